// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/**
 * @title IConsortium
 * @notice The permissioned core of crossproof: who the members are, where they sit, what they may do and which keys
 * sign for them (and when). Every other crossproof contract asks this one "who signed this, and may they do that?".
 *
 * The consortium is three contracts (each under the EIP-170 size limit): this one (members and keys), the
 * {IConsortiumGovernance} (one-member-one-vote proposals that change members, keys and parameters) and the
 * {IRecognitionAgreements} (bilateral recognition between jurisdictions). This contract names the other two
 * ({governance}, {agreements}); they are linked once, right after deployment, by the deployer, who keeps no power.
 *
 * Member writes here — revoking or adding one's own signing key or public key — are EIP-712 requests signed by a
 * member key (see {IMemberSigned}); everything else changes only through a passed governance proposal.
 *
 * Time is `uint48` unix seconds throughout. A jurisdiction is an officially assigned ISO 3166-1 alpha-2 code as
 * `bytes2` ("FR" is `0x4652`).
 */
interface IConsortium {
    // ----------------------------------------------------------------------------------------------------------------
    // Types
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev Lifecycle of a member. `Removed` is final.
    enum MemberStatus {
        None,
        Active,
        Suspended,
        Removed
    }

    /// @dev Who added a key.
    enum KeyOrigin {
        // A founding member's key, set by the constructor.
        Founding,
        // The initial key of a member admitted by governance.
        Admission,
        // The member itself, signing with one of its valid keys, and the new key proving possession.
        Member,
        // A governance override (e.g. a member that lost every key).
        Governance
    }

    /// @dev A member as stored. Packed into one slot (plus the name hash).
    struct Member {
        // ISO 3166-1 alpha-2 code of the member's home jurisdiction: the collecting jurisdiction of its evidence.
        bytes2 jurisdiction;
        // Role flags, see the ROLE_* constants.
        uint8 roles;
        // Current status.
        MemberStatus status;
        // When the current status began.
        uint48 statusSince;
        // keccak256 of the member's official name (the name itself stays off chain).
        bytes32 nameHash;
    }

    /// @dev One entry of a member's status history.
    struct StatusChange {
        MemberStatus status;
        uint48 since;
    }

    /// @dev A signing key. A key belongs to one member for ever and is never reused. The key record also carries a
    /// copy of its member's roles, status and jurisdiction, kept in sync on every change, so that a registry learns
    /// everything about a signer from one storage slot (every signed write pays for this read).
    struct SigningKey {
        // The member the key signs for (0 = unknown key).
        uint64 memberId;
        // First second at which signatures by this key count.
        uint48 validFrom;
        // First second at which they no longer count (type(uint48).max = open-ended).
        uint48 validUntil;
        // The member's roles now (copy).
        uint8 roles;
        // The member's status now (copy).
        MemberStatus status;
        // The member's jurisdiction (copy).
        bytes2 jurisdiction;
    }

    /// @dev What a contract needs to know about a signer, in one call.
    struct SignerInfo {
        // The member the key signs for (0 = unknown key).
        uint64 memberId;
        // The member's role flags.
        uint8 roles;
        // The member's jurisdiction.
        bytes2 jurisdiction;
        // The member's status now.
        MemberStatus status;
        // The key is within its validity window now.
        bool keyValid;
        // The key is valid now and the member is active now.
        bool authorized;
    }

    /// @dev Founding member, set once by the constructor.
    struct FoundingMember {
        bytes2 jurisdiction;
        uint8 roles;
        bytes32 nameHash;
        address key;
    }

    /// @dev Signed by a valid key of `memberId` (active or suspended): revoke `key`, one of the member's keys.
    struct RevokeOwnKeyRequest {
        uint64 memberId;
        address key;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by a valid key of `memberId` (active) and by `key` itself (proof of possession).
    struct AddOwnKeyRequest {
        uint64 memberId;
        address key;
        // 0 = from the block that adds it; otherwise not in the past.
        uint48 validFrom;
        // 0 = open-ended.
        uint48 validUntil;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev What a member's public key is for.
    enum KeyPurpose {
        None,
        // Signs the member's verification reports (JWS).
        Report,
        // Receives evidence packages: a content key is wrapped for it (JWE, ECDH-ES key agreement).
        Encryption
    }

    /// @dev The JOSE algorithm of a public key (RFC 7518 / RFC 8037 `alg` names); the curve is in the JWK.
    enum KeyAlgorithm {
        None,
        // ECDSA with P-256 and SHA-256 (report keys, EC P-256 JWK).
        ES256,
        // Ed25519 signatures (report keys, OKP Ed25519 JWK).
        EdDSA,
        // ECDH-ES key agreement and its key-wrapping variants (encryption keys, EC P-256 or OKP X25519 JWK).
        EcdhEs
    }

    /**
     * @dev A member's public key (report or encryption), stored under (member, key id). The key id is the RFC 7638
     * JWK thumbprint (SHA-256) of the key: the `kid` a JOSE verifier sees. It is bound to the member: another member
     * may register the same public key under its own id without touching this one, and a verifier always asks for
     * (member, kid). The JWK itself is only in the {PublicKeyAdded} event. One slot.
     */
    struct PublicKey {
        // The member the key belongs to (0 = no such key for that member).
        uint64 memberId;
        KeyPurpose purpose;
        KeyAlgorithm algorithm;
        // First second at which the key counts.
        uint48 validFrom;
        // First second at which it no longer counts (type(uint48).max = open-ended).
        uint48 validUntil;
    }

    /**
     * @dev Signed by a valid key of `memberId` (active): register a public key of the member. The key id is
     * sha256(jwk). `jwk` is the key's RFC 7638 thumbprint input as UTF-8 — its required members only, in
     * lexicographic order, without whitespace — e.g. `{"crv":"P-256","kty":"EC","x":"…","y":"…"}`.
     */
    struct AddOwnPublicKeyRequest {
        uint64 memberId;
        KeyPurpose purpose;
        KeyAlgorithm algorithm;
        bytes jwk;
        // 0 = from the block that adds it; otherwise not in the past.
        uint48 validFrom;
        // 0 = open-ended.
        uint48 validUntil;
        uint256 nonce;
        uint48 deadline;
    }

    /// @dev Signed by a valid key of `memberId` (active or suspended): revoke one of the member's public keys.
    struct RevokeOwnPublicKeyRequest {
        uint64 memberId;
        bytes32 keyId;
        uint256 nonce;
        uint48 deadline;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Events
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev The governance and agreements contracts were linked (once).
    event ConsortiumLinked(address governance, address agreements);
    /// @dev A member was admitted (by the constructor or a passed proposal).
    event MemberAdmitted(uint64 indexed memberId, bytes2 indexed jurisdiction, uint8 roles, bytes32 nameHash);
    /// @dev A member's status changed.
    event MemberStatusChanged(uint64 indexed memberId, MemberStatus status, uint48 since);
    /// @dev A member's roles changed.
    event MemberRolesChanged(uint64 indexed memberId, uint8 roles);
    /// @dev A signing key was added for a member; `origin` says by whom.
    event KeyAdded(uint64 indexed memberId, address indexed key, uint48 validFrom, uint48 validUntil, KeyOrigin origin);
    /// @dev A signing key was revoked; signatures made before `revokedAt` still count.
    event KeyRevoked(uint64 indexed memberId, address indexed key, uint48 revokedAt, bool selfRevoked);
    /**
     * @dev A member registered a public key. `jwk` is the key as its RFC 7638 thumbprint input (UTF-8 JSON of the
     * required members): `keyId` == sha256(jwk), checked on chain.
     */
    event PublicKeyAdded(
        uint64 indexed memberId,
        bytes32 indexed keyId,
        KeyPurpose purpose,
        KeyAlgorithm algorithm,
        uint48 validFrom,
        uint48 validUntil,
        bytes jwk
    );
    /// @dev A public key was revoked (by its member, or by governance); what it signed before `revokedAt` counts.
    event PublicKeyRevoked(uint64 indexed memberId, bytes32 indexed keyId, uint48 revokedAt, bool selfRevoked);

    // ----------------------------------------------------------------------------------------------------------------
    // Errors
    // ----------------------------------------------------------------------------------------------------------------

    /// @dev Only the linked governance contract may do this.
    error ConsortiumOnlyGovernance(address caller);
    /// @dev Linking was already done, is not the deployer's, or names contracts of another consortium.
    error ConsortiumInvalidLink();
    /// @dev No such member.
    error ConsortiumUnknownMember(uint64 memberId);
    /// @dev The member's status does not allow this.
    error ConsortiumInvalidMemberStatus(uint64 memberId, MemberStatus status);
    /// @dev The jurisdiction is not an officially assigned ISO 3166-1 alpha-2 code.
    error ConsortiumInvalidJurisdiction(bytes2 jurisdiction);
    /// @dev Role flags outside the defined ones, or none.
    error ConsortiumInvalidRoles(uint8 roles);
    /// @dev The key is the zero address or already belongs to a member (keys are never reused).
    error ConsortiumKeyUnavailable(address key);
    /// @dev The key is not a key of that member.
    error ConsortiumKeyNotOfMember(uint64 memberId, address key);
    /// @dev The key's validity window is empty, starts in the past or is already over.
    error ConsortiumInvalidKeyWindow(uint48 validFrom, uint48 validUntil);
    /// @dev The key is already revoked or expired.
    error ConsortiumKeyAlreadyRevoked(address key);
    /// @dev The member already has the maximum number of live keys ({MAX_LIVE_KEYS}).
    error ConsortiumTooManyKeys(uint64 memberId);
    /// @dev The new key's proof-of-possession signature is not by that key.
    error ConsortiumKeyNotProven(address key);
    /// @dev The change would leave the consortium without a governor able to sign (active, with a valid key).
    error ConsortiumLastGovernor(uint64 memberId);
    /// @dev Founding members were empty or without a governor, or the consortium id is zero.
    error ConsortiumInvalidFounding();
    /// @dev The member already registered this public key (a key id is never reused by its member, even revoked).
    error ConsortiumPublicKeyUnavailable(uint64 memberId, bytes32 keyId);
    /// @dev The member has no public key with this id.
    error ConsortiumPublicKeyNotOfMember(uint64 memberId, bytes32 keyId);
    /// @dev The public key is already revoked or expired.
    error ConsortiumPublicKeyAlreadyRevoked(uint64 memberId, bytes32 keyId);
    /// @dev The member already has {MAX_LIVE_PUBLIC_KEYS} live public keys for this purpose.
    error ConsortiumTooManyPublicKeys(uint64 memberId, KeyPurpose purpose);
    /// @dev The algorithm does not serve the purpose (report keys sign: ES256, EdDSA; encryption keys: ECDH-ES).
    error ConsortiumInvalidKeyAlgorithm(KeyPurpose purpose, KeyAlgorithm algorithm);
    /// @dev The JWK is not the RFC 7638 thumbprint input of a public key of a curve the algorithm takes.
    error ConsortiumInvalidJwk(KeyAlgorithm algorithm);

    // ----------------------------------------------------------------------------------------------------------------
    // Consortium
    // ----------------------------------------------------------------------------------------------------------------

    /**
     * @notice The consortium id: chosen at founding (a hash of the founding configuration and a random value), it is
     * the salt of every crossproof EIP-712 domain of this consortium.
     */
    function consortiumId() external view returns (bytes32);

    /// @notice The governance contract (zero until linked).
    function governance() external view returns (address);

    /// @notice The recognition agreements contract (zero until linked).
    function agreements() external view returns (address);

    /**
     * @notice Links the governance and agreements contracts, once, by the deployer; both must name this contract.
     * @dev Emits {ConsortiumLinked}.
     */
    function link(address governance_, address agreements_) external;

    /// @notice The most keys a member may hold at once (not revoked, not expired).
    // solhint-disable-next-line func-name-mixedcase
    function MAX_LIVE_KEYS() external pure returns (uint256);

    /// @notice The most public keys a member may hold at once per purpose (not revoked, not expired).
    // solhint-disable-next-line func-name-mixedcase
    function MAX_LIVE_PUBLIC_KEYS() external pure returns (uint256);

    // ----------------------------------------------------------------------------------------------------------------
    // Members and keys: views
    // ----------------------------------------------------------------------------------------------------------------

    /// @notice The member record.
    function getMember(uint64 memberId) external view returns (Member memory);

    /// @notice Number of members ever admitted (ids run from 1 to this).
    function memberCount() external view returns (uint64);

    /// @notice The member's whole status history, oldest first.
    function statusHistory(uint64 memberId) external view returns (StatusChange[] memory);

    /// @notice The member's status at `atTime` (None before admission).
    function statusAt(uint64 memberId, uint48 atTime) external view returns (MemberStatus);

    /// @notice The key record (memberId 0 = unknown key).
    function getKey(address key) external view returns (SigningKey memory);

    /// @notice The member's live keys: not revoked, and not yet pruned after expiry (every key is in the events).
    function keysOf(uint64 memberId) external view returns (address[] memory);

    /**
     * @notice True when `key` belonged to `memberId`, was within its validity window at `atTime`, and the member
     * was active at `atTime`. Rotating or revoking a key later never changes the answer for an earlier time.
     */
    function isValidSigner(uint64 memberId, address key, uint48 atTime) external view returns (bool);

    /// @notice Who `key` signs for and whether it may act now, in one call (for the registries).
    function signerInfo(address key) external view returns (SignerInfo memory);

    /// @notice Whether the member is a governor able to act now: active, GOVERNOR, with a key valid now.
    function isEligibleGovernor(uint64 memberId) external view returns (bool);

    /// @notice The governors able to act now (see {isEligibleGovernor}): the quorum's denominator.
    function eligibleGovernorCount() external view returns (uint32);

    /// @notice The member's public key `keyId` (memberId 0 = the member has no such key).
    function publicKeyOf(uint64 memberId, bytes32 keyId) external view returns (PublicKey memory);

    /// @notice The member's live public keys for `purpose`: not revoked, not yet pruned after expiry (possibly not yet
    /// valid). Every key, with its JWK, is in the {PublicKeyAdded} events.
    function publicKeysOf(uint64 memberId, KeyPurpose purpose) external view returns (bytes32[] memory);

    /**
     * @notice True when `keyId` is a public key of `memberId` for `purpose`, within its validity window at `atTime`,
     * and the member was active at `atTime` (as {isValidSigner}). A verifier asks with the member id the signed
     * report names, never with the key id alone.
     */
    function isValidPublicKey(
        uint64 memberId,
        bytes32 keyId,
        KeyPurpose purpose,
        uint48 atTime
    ) external view returns (bool);

    // ----------------------------------------------------------------------------------------------------------------
    // Members and keys: self-service
    // ----------------------------------------------------------------------------------------------------------------

    /**
     * @notice A member revokes one of its own keys at once, without a vote (key compromise), its last one included.
     * @dev Requirements:
     * - the signer is a key of `memberId` valid now; the member is active or suspended (a suspended member can still
     *   revoke a compromised key; the key stays revoked when the member is reinstated);
     * - `key` is a live key of `memberId`;
     * - it is not the last valid key of the last governor able to act.
     *
     * Emits a {KeyRevoked} event.
     */
    function revokeOwnKey(RevokeOwnKeyRequest calldata request, bytes calldata signature) external;

    /**
     * @notice A member adds a key of its own, signed by one of its valid keys and by the new key.
     * @dev Requirements: active member; the new key is unused and proves possession; the window does not start in
     * the past; fewer than {MAX_LIVE_KEYS} live keys.
     *
     * Emits a {KeyAdded} event with origin `Member`.
     */
    function addOwnKey(
        AddOwnKeyRequest calldata request,
        bytes calldata signature,
        bytes calldata keySignature
    ) external;

    /**
     * @notice A member registers a public key of its own (a report key or an encryption key), signed by one of its
     * valid signing keys.
     * @dev No proof of possession is possible on chain (no P-256 or Ed25519 verification on cancun); the key id is
     * therefore bound to the member, so registering another member's public key neither blocks nor claims it.
     *
     * Requirements:
     * - the signer is a key, valid now, of `memberId`, which is active;
     * - `algorithm` serves `purpose` (Report: ES256 or EdDSA; Encryption: EcdhEs);
     * - `jwk` is the RFC 7638 thumbprint input of an EC P-256 (ES256, EcdhEs), OKP Ed25519 (EdDSA) or OKP X25519
     *   (EcdhEs) public key;
     * - the member never registered this key id before;
     * - the window does not start in the past and is not empty;
     * - fewer than {MAX_LIVE_PUBLIC_KEYS} live keys for `purpose` (expired ones are pruned first).
     *
     * Emits a {PublicKeyAdded} event.
     */
    function addOwnPublicKey(AddOwnPublicKeyRequest calldata request, bytes calldata signature) external;

    /**
     * @notice A member revokes one of its public keys at once.
     * @dev Requirements: the signer is a key, valid now, of `memberId`, which is active or suspended (a suspended
     * member can still stop a compromised key); `keyId` is a key of the member, not yet revoked or expired.
     *
     * Emits a {PublicKeyRevoked} event.
     */
    function revokeOwnPublicKey(RevokeOwnPublicKeyRequest calldata request, bytes calldata signature) external;

    // ----------------------------------------------------------------------------------------------------------------
    // Governance-only changes (called by the governance contract when a proposal passes)
    // ----------------------------------------------------------------------------------------------------------------

    /// @notice Checks an admission's fields without changing anything (for proposal validation).
    function checkAdmission(bytes2 jurisdiction, uint8 roles, address key) external view;

    function admitMember(bytes2 jurisdiction, uint8 roles, bytes32 nameHash, address key) external returns (uint64);

    /// @notice Suspend (Active → Suspended), reinstate (Suspended → Active) or remove (any → Removed).
    function setMemberStatus(uint64 memberId, MemberStatus status) external;

    function setRoles(uint64 memberId, uint8 roles) external;

    function addKey(uint64 memberId, address key, uint48 validFrom, uint48 validUntil) external;

    function revokeKey(uint64 memberId, address key) external;

    /// @notice Revokes a member's public key (report or encryption) at once. Emits {PublicKeyRevoked}.
    function revokePublicKey(uint64 memberId, bytes32 keyId) external;
}
