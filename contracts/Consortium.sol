// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {Nonces} from "@openzeppelin/contracts/utils/Nonces.sol";
import {IConsortium} from "./interfaces/IConsortium.sol";
import {Roles, Assurance, Jurisdictions} from "./base/Common.sol";

/**
 * @title Consortium
 * @notice Members, jurisdictions, roles, signing keys, one-member-one-vote governance and bilateral recognition
 * agreements. The deployer founds the consortium in the constructor and keeps no power afterwards.
 */
contract Consortium is IConsortium, EIP712, Nonces {
    uint48 private constant _OPEN_ENDED = type(uint48).max;

    bytes32 private constant _REVOKE_OWN_KEY_TYPEHASH = keccak256(
        "RevokeOwnKey(uint64 memberId,address key,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _PROPOSE_TYPEHASH = keccak256(
        "Propose(uint8 kind,bytes payload,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _VOTE_TYPEHASH = keccak256(
        "Vote(uint256 proposalId,bool support,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _TERMS_TYPEHASH = keccak256(
        "AgreementTerms(bytes2 from,bytes2 to,uint64 categories,uint8 minAssurance,uint48 effectiveFrom,"
        "uint48 expiresAt,uint32 responseWindow,uint32 emergencyResponseWindow,bytes32 textHash)"
    );
    bytes32 private constant _PROPOSE_AGREEMENT_TYPEHASH = keccak256(
        "ProposeAgreement(AgreementTerms terms,uint256 nonce,uint48 deadline)AgreementTerms(bytes2 from,bytes2 to,"
        "uint64 categories,uint8 minAssurance,uint48 effectiveFrom,uint48 expiresAt,uint32 responseWindow,"
        "uint32 emergencyResponseWindow,bytes32 textHash)"
    );
    bytes32 private constant _APPROVE_AGREEMENT_TYPEHASH = keccak256(
        "ApproveAgreement(uint256 agreementId,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _SUSPEND_AGREEMENT_TYPEHASH = keccak256(
        "SetAgreementSuspended(uint256 agreementId,bool suspended,uint256 nonce,uint48 deadline)"
    );
    uint32 private constant _MIN_VOTING_PERIOD = 1 hours;

    mapping(uint64 memberId => Member) private _members;
    mapping(uint64 memberId => StatusChange[]) private _history;
    mapping(uint64 memberId => address[]) private _memberKeys;
    mapping(address key => SigningKey) private _keys;
    uint64 private _memberCount;
    uint32 private _activeGovernors;

    uint16 private _quorumNumerator;
    uint16 private _quorumDenominator;
    uint32 private _votingPeriod;

    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(uint64 memberId => bool)) private _voted;
    uint256 private _proposalCount;

    mapping(bytes32 key => uint256) private _parameters;

    mapping(uint256 agreementId => Agreement) private _agreements;
    mapping(uint256 agreementId => Suspension[]) private _suspensions;
    mapping(bytes4 fromTo => uint256[]) private _agreementsByPair;
    uint256 private _agreementCount;

    /**
     * @param founders the founding members, each with one initial key; at least one must be a GOVERNOR.
     * @param quorumNumerator with `quorumDenominator`, the share of active governors whose yes votes pass a proposal.
     * @param votingPeriod seconds a proposal stays open.
     */
    constructor(
        FoundingMember[] memory founders,
        uint16 quorumNumerator,
        uint16 quorumDenominator,
        uint32 votingPeriod
    ) EIP712("crossproof Consortium", "1") {
        if (founders.length == 0) revert ConsortiumInvalidFounding();
        _setGovernanceParameters(quorumNumerator, quorumDenominator, votingPeriod);
        for (uint256 i = 0; i < founders.length; ++i) {
            FoundingMember memory f = founders[i];
            _admit(f.jurisdiction, f.roles, f.nameHash, f.key);
        }
        if (_activeGovernors == 0) revert ConsortiumInvalidFounding();
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Members and keys: views
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function getMember(uint64 memberId) external view returns (Member memory) {
        return _members[memberId];
    }

    /// @inheritdoc IConsortium
    function memberCount() external view returns (uint64) {
        return _memberCount;
    }

    /// @inheritdoc IConsortium
    function statusHistory(uint64 memberId) external view returns (StatusChange[] memory) {
        return _history[memberId];
    }

    /// @inheritdoc IConsortium
    function statusAt(uint64 memberId, uint48 atTime) public view returns (MemberStatus) {
        StatusChange[] storage h = _history[memberId];
        for (uint256 i = h.length; i > 0; --i) {
            if (h[i - 1].since <= atTime) return h[i - 1].status;
        }
        return MemberStatus.None;
    }

    /// @inheritdoc IConsortium
    function getKey(address key) external view returns (SigningKey memory) {
        return _keys[key];
    }

    /// @inheritdoc IConsortium
    function keysOf(uint64 memberId) external view returns (address[] memory) {
        return _memberKeys[memberId];
    }

    /// @inheritdoc IConsortium
    function isValidSigner(uint64 memberId, address key, uint48 atTime) external view returns (bool) {
        SigningKey memory k = _keys[key];
        return
            memberId != 0 &&
            k.memberId == memberId &&
            k.validFrom <= atTime &&
            atTime < k.validUntil &&
            statusAt(memberId, atTime) == MemberStatus.Active;
    }

    /// @inheritdoc IConsortium
    function signerInfo(address key) external view returns (SignerInfo memory info) {
        SigningKey memory k = _keys[key];
        uint48 nowTs = uint48(block.timestamp);
        info.memberId = k.memberId;
        info.roles = k.roles;
        info.jurisdiction = k.jurisdiction;
        info.authorized =
            k.memberId != 0 &&
            k.status == MemberStatus.Active &&
            k.validFrom <= nowTs &&
            nowTs < k.validUntil;
    }

    /// @inheritdoc IConsortium
    function activeGovernorCount() external view returns (uint32) {
        return _activeGovernors;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Members and keys: self-service
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function revokeOwnKey(uint64 memberId, address key, Authorization calldata auth) external {
        (uint64 caller, , address signer) = _authorize(
            keccak256(abi.encode(_REVOKE_OWN_KEY_TYPEHASH, memberId, key, auth.nonce, auth.deadline)),
            auth,
            0
        );
        if (caller != memberId) revert ConsortiumKeyNotOfMember(memberId, signer);
        _revokeKey(memberId, key, true);
    }

    /// @notice The EIP-712 domain separator of this contract on this chain.
    // solhint-disable-next-line func-name-mixedcase
    function DOMAIN_SEPARATOR() external view returns (bytes32) {
        return _domainSeparatorV4();
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Governance
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function parameter(bytes32 key) external view returns (uint256) {
        return _parameters[key];
    }

    /// @inheritdoc IConsortium
    function governanceParameters() external view returns (uint16, uint16, uint32) {
        return (_quorumNumerator, _quorumDenominator, _votingPeriod);
    }

    /// @inheritdoc IConsortium
    function propose(
        ProposalKind kind,
        bytes calldata payload,
        Authorization calldata auth
    ) external returns (uint256 proposalId) {
        (uint64 proposer, , ) = _authorize(
            keccak256(abi.encode(_PROPOSE_TYPEHASH, kind, keccak256(payload), auth.nonce, auth.deadline)),
            auth,
            Roles.GOVERNOR
        );
        _validateProposal(kind, payload);
        proposalId = ++_proposalCount;
        uint48 expiresAt = uint48(block.timestamp) + _votingPeriod;
        Proposal storage p = _proposals[proposalId];
        p.kind = kind;
        p.proposer = proposer;
        p.createdAt = uint48(block.timestamp);
        p.expiresAt = expiresAt;
        p.payload = payload;
        emit ProposalCreated(proposalId, kind, proposer, expiresAt, payload);
        _castVote(proposalId, p, proposer, true);
    }

    /// @inheritdoc IConsortium
    function vote(uint256 proposalId, bool support, Authorization calldata auth) external {
        (uint64 voter, , ) = _authorize(
            keccak256(abi.encode(_VOTE_TYPEHASH, proposalId, support, auth.nonce, auth.deadline)),
            auth,
            Roles.GOVERNOR
        );
        Proposal storage p = _openProposal(proposalId);
        if (_voted[proposalId][voter]) revert ConsortiumAlreadyVoted(proposalId, voter);
        _castVote(proposalId, p, voter, support);
    }

    /// @inheritdoc IConsortium
    function execute(uint256 proposalId) external {
        Proposal storage p = _openProposal(proposalId);
        if (!_quorumReached(p.yesVotes)) revert ConsortiumQuorumNotReached(proposalId, p.yesVotes, _activeGovernors);
        _execute(proposalId, p);
    }

    /// @inheritdoc IConsortium
    function getProposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposals[proposalId];
    }

    /// @inheritdoc IConsortium
    function hasVoted(uint256 proposalId, uint64 memberId) external view returns (bool) {
        return _voted[proposalId][memberId];
    }

    /// @inheritdoc IConsortium
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Recognition agreements
    // ----------------------------------------------------------------------------------------------------------------

    /// @inheritdoc IConsortium
    function proposeAgreement(
        AgreementTerms calldata terms,
        Authorization calldata auth
    ) external returns (uint256 agreementId) {
        (uint64 caller, bytes2 side, ) = _authorize(
            keccak256(abi.encode(_PROPOSE_AGREEMENT_TYPEHASH, _termsHash(terms), auth.nonce, auth.deadline)),
            auth,
            Roles.GOVERNOR
        );
        if (
            !Jurisdictions.isValid(terms.from) ||
            !Jurisdictions.isValid(terms.to) ||
            terms.from == terms.to ||
            terms.categories == 0 ||
            terms.minAssurance & ~Assurance.ALL != 0 ||
            (terms.expiresAt != 0 && (terms.expiresAt <= terms.effectiveFrom || terms.expiresAt <= block.timestamp))
        ) revert ConsortiumInvalidAgreement();
        agreementId = ++_agreementCount;
        if (side != terms.from && side != terms.to) revert ConsortiumNotAgreementParty(agreementId, side);
        Agreement storage a = _agreements[agreementId];
        a.terms = terms;
        if (side == terms.from) a.approvedByFrom = caller;
        else a.approvedByTo = caller;
        _agreementsByPair[_pair(terms.from, terms.to)].push(agreementId);
        emit AgreementProposed(agreementId, terms.from, terms.to, caller, terms);
        emit AgreementApproved(agreementId, side, caller);
    }

    /// @inheritdoc IConsortium
    function approveAgreement(uint256 agreementId, Authorization calldata auth) external {
        (uint64 caller, bytes2 side, ) = _authorize(
            keccak256(abi.encode(_APPROVE_AGREEMENT_TYPEHASH, agreementId, auth.nonce, auth.deadline)),
            auth,
            Roles.GOVERNOR
        );
        Agreement storage a = _existingAgreement(agreementId);
        if (side == a.terms.from) {
            if (a.approvedByFrom != 0) revert ConsortiumAgreementAlreadyApproved(agreementId, side);
            a.approvedByFrom = caller;
        } else if (side == a.terms.to) {
            if (a.approvedByTo != 0) revert ConsortiumAgreementAlreadyApproved(agreementId, side);
            a.approvedByTo = caller;
        } else {
            revert ConsortiumNotAgreementParty(agreementId, side);
        }
        emit AgreementApproved(agreementId, side, caller);
        if (a.approvedByFrom != 0 && a.approvedByTo != 0) {
            a.concludedAt = uint48(block.timestamp);
            emit AgreementConcluded(agreementId, a.concludedAt);
        }
    }

    /// @inheritdoc IConsortium
    function setAgreementSuspended(uint256 agreementId, bool suspended, Authorization calldata auth) external {
        (uint64 caller, bytes2 side, ) = _authorize(
            keccak256(abi.encode(_SUSPEND_AGREEMENT_TYPEHASH, agreementId, suspended, auth.nonce, auth.deadline)),
            auth,
            Roles.GOVERNOR
        );
        Agreement storage a = _existingAgreement(agreementId);
        if (side != a.terms.from && side != a.terms.to) revert ConsortiumNotAgreementParty(agreementId, side);
        if (a.concludedAt == 0 || a.suspended == suspended) revert ConsortiumAgreementStateUnchanged(agreementId);
        uint48 nowTs = uint48(block.timestamp);
        Suspension[] storage s = _suspensions[agreementId];
        if (suspended) {
            s.push(Suspension({since: nowTs, until: 0, by: side}));
        } else {
            Suspension storage last = s[s.length - 1];
            if (last.by != side) revert ConsortiumNotAgreementParty(agreementId, side);
            last.until = nowTs;
        }
        a.suspended = suspended;
        emit AgreementSuspensionChanged(agreementId, suspended, caller, nowTs);
    }

    /// @inheritdoc IConsortium
    function getAgreement(uint256 agreementId) external view returns (Agreement memory) {
        return _agreements[agreementId];
    }

    /// @inheritdoc IConsortium
    function suspensionsOf(uint256 agreementId) external view returns (Suspension[] memory) {
        return _suspensions[agreementId];
    }

    /// @inheritdoc IConsortium
    function agreementsBetween(bytes2 from, bytes2 to) external view returns (uint256[] memory) {
        return _agreementsByPair[_pair(from, to)];
    }

    /// @inheritdoc IConsortium
    function agreementCount() external view returns (uint256) {
        return _agreementCount;
    }

    /// @inheritdoc IConsortium
    function agreementInForce(uint256 agreementId, uint8 category, uint48 atTime) public view returns (bool) {
        Agreement storage a = _agreements[agreementId];
        AgreementTerms storage t = a.terms;
        if (
            a.concludedAt == 0 ||
            atTime < a.concludedAt ||
            atTime < t.effectiveFrom ||
            (t.expiresAt != 0 && atTime >= t.expiresAt) ||
            category >= 64 ||
            (t.categories >> category) & 1 == 0
        ) return false;
        Suspension[] storage s = _suspensions[agreementId];
        for (uint256 i = 0; i < s.length; ++i) {
            if (s[i].since <= atTime && (s[i].until == 0 || atTime < s[i].until)) return false;
        }
        return true;
    }

    /// @inheritdoc IConsortium
    function recognition(
        bytes2 from,
        bytes2 to,
        uint8 category,
        uint48 atTime
    ) public view returns (bool recognized, uint256 agreementId) {
        if (from == to) return (Jurisdictions.isValid(from), 0);
        uint256[] storage ids = _agreementsByPair[_pair(from, to)];
        for (uint256 i = ids.length; i > 0; --i) {
            if (agreementInForce(ids[i - 1], category, atTime)) return (true, ids[i - 1]);
        }
        return (false, 0);
    }

    /// @inheritdoc IConsortium
    function isRecognized(bytes2 from, bytes2 to, uint8 category, uint48 atTime) external view returns (bool) {
        (bool recognized, ) = recognition(from, to, category, atTime);
        return recognized;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

    /**
     * @dev Verifies a member's signed request: deadline, signature, nonce, and that the signer is a key valid now of an
     * active member holding all of `roles`.
     */
    function _authorize(
        bytes32 structHash,
        Authorization calldata auth,
        uint8 roles
    ) private returns (uint64 memberId, bytes2 jurisdiction, address key) {
        if (block.timestamp > auth.deadline) revert ConsortiumRequestExpired(auth.deadline);
        ECDSA.RecoverError err;
        (key, err, ) = ECDSA.tryRecoverCalldata(_hashTypedDataV4(structHash), auth.signature);
        if (err != ECDSA.RecoverError.NoError) revert ConsortiumInvalidSignature();
        SigningKey storage k = _keys[key];
        memberId = k.memberId;
        if (
            memberId == 0 ||
            k.status != MemberStatus.Active ||
            block.timestamp < k.validFrom ||
            block.timestamp >= k.validUntil
        ) revert ConsortiumUnauthorizedKey(key);
        if (k.roles & roles != roles) revert ConsortiumMissingRole(memberId, roles);
        jurisdiction = k.jurisdiction;
        _useCheckedNonce(key, auth.nonce);
    }

    function _termsHash(AgreementTerms calldata t) private pure returns (bytes32) {
        return
            keccak256(
                abi.encode(
                    _TERMS_TYPEHASH,
                    t.from,
                    t.to,
                    t.categories,
                    t.minAssurance,
                    t.effectiveFrom,
                    t.expiresAt,
                    t.responseWindow,
                    t.emergencyResponseWindow,
                    t.textHash
                )
            );
    }

    function _existingMember(uint64 memberId) private view returns (Member storage m) {
        m = _members[memberId];
        if (m.status == MemberStatus.None) revert ConsortiumUnknownMember(memberId);
    }

    function _existingAgreement(uint256 agreementId) private view returns (Agreement storage a) {
        a = _agreements[agreementId];
        if (a.terms.from == bytes2(0)) revert ConsortiumUnknownAgreement(agreementId);
    }

    function _pair(bytes2 from, bytes2 to) private pure returns (bytes4) {
        return bytes4(bytes.concat(from, to));
    }

    function _admit(bytes2 jurisdiction, uint8 roles, bytes32 nameHash, address key) private returns (uint64 id) {
        _checkMemberFields(jurisdiction, roles, key);
        id = ++_memberCount;
        _members[id] = Member({
            jurisdiction: jurisdiction,
            roles: roles,
            status: MemberStatus.None,
            statusSince: 0,
            nameHash: nameHash
        });
        emit MemberAdmitted(id, jurisdiction, roles, nameHash);
        _setStatus(id, MemberStatus.Active);
        _addKey(id, key, uint48(block.timestamp), _OPEN_ENDED);
    }

    function _checkMemberFields(bytes2 jurisdiction, uint8 roles, address key) private view {
        if (!Jurisdictions.isValid(jurisdiction)) revert ConsortiumInvalidJurisdiction(jurisdiction);
        if (roles == 0 || roles & ~Roles.ALL != 0) revert ConsortiumInvalidRoles(roles);
        if (key == address(0) || _keys[key].memberId != 0) revert ConsortiumKeyUnavailable(key);
    }

    function _setStatus(uint64 id, MemberStatus status) private {
        Member storage m = _members[id];
        MemberStatus old = m.status;
        bool governor = m.roles & Roles.GOVERNOR != 0;
        if (governor && old == MemberStatus.Active && status != MemberStatus.Active) {
            if (_activeGovernors == 1) revert ConsortiumLastGovernor(id);
            --_activeGovernors;
        } else if (governor && old != MemberStatus.Active && status == MemberStatus.Active) {
            ++_activeGovernors;
        }
        uint48 nowTs = uint48(block.timestamp);
        m.status = status;
        m.statusSince = nowTs;
        _history[id].push(StatusChange({status: status, since: nowTs}));
        address[] storage keys = _memberKeys[id];
        for (uint256 i = 0; i < keys.length; ++i) _keys[keys[i]].status = status;
        emit MemberStatusChanged(id, status, nowTs);
    }

    function _setRoles(uint64 id, uint8 roles) private {
        Member storage m = _existingMember(id);
        if (roles == 0 || roles & ~Roles.ALL != 0) revert ConsortiumInvalidRoles(roles);
        if (m.status == MemberStatus.Removed) revert ConsortiumInvalidMemberStatus(id, m.status);
        bool wasGovernor = m.roles & Roles.GOVERNOR != 0;
        bool isGovernor = roles & Roles.GOVERNOR != 0;
        if (m.status == MemberStatus.Active && wasGovernor != isGovernor) {
            if (isGovernor) ++_activeGovernors;
            else if (_activeGovernors == 1) revert ConsortiumLastGovernor(id);
            else --_activeGovernors;
        }
        m.roles = roles;
        address[] storage keys = _memberKeys[id];
        for (uint256 i = 0; i < keys.length; ++i) _keys[keys[i]].roles = roles;
        emit MemberRolesChanged(id, roles);
    }

    function _transition(uint64 id, MemberStatus required, MemberStatus next) private {
        Member storage m = _existingMember(id);
        bool allowed = next == MemberStatus.Removed ? m.status != MemberStatus.Removed : m.status == required;
        if (!allowed) revert ConsortiumInvalidMemberStatus(id, m.status);
        _setStatus(id, next);
    }

    function _addKey(uint64 id, address key, uint48 validFrom, uint48 validUntil) private {
        if (key == address(0) || _keys[key].memberId != 0) revert ConsortiumKeyUnavailable(key);
        if (validFrom >= validUntil || validUntil <= block.timestamp) {
            revert ConsortiumInvalidKeyWindow(validFrom, validUntil);
        }
        Member storage m = _members[id];
        _keys[key] = SigningKey({
            memberId: id,
            validFrom: validFrom,
            validUntil: validUntil,
            roles: m.roles,
            status: m.status,
            jurisdiction: m.jurisdiction
        });
        _memberKeys[id].push(key);
        emit KeyAdded(id, key, validFrom, validUntil);
    }

    function _revokeKey(uint64 id, address key, bool selfRevoked) private {
        SigningKey storage k = _keys[key];
        if (id == 0 || k.memberId != id) revert ConsortiumKeyNotOfMember(id, key);
        uint48 nowTs = uint48(block.timestamp);
        if (k.validUntil <= nowTs) revert ConsortiumKeyAlreadyRevoked(key);
        k.validUntil = nowTs;
        emit KeyRevoked(id, key, nowTs, selfRevoked);
    }

    function _setGovernanceParameters(uint16 numerator, uint16 denominator, uint32 votingPeriod) private {
        if (numerator == 0 || denominator == 0 || numerator > denominator || votingPeriod < _MIN_VOTING_PERIOD) {
            revert ConsortiumInvalidGovernanceParameters(numerator, denominator, votingPeriod);
        }
        _quorumNumerator = numerator;
        _quorumDenominator = denominator;
        _votingPeriod = votingPeriod;
        emit GovernanceParametersChanged(numerator, denominator, votingPeriod);
    }

    function _openProposal(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.createdAt == 0) revert ConsortiumUnknownProposal(proposalId);
        if (p.executed) revert ConsortiumProposalAlreadyExecuted(proposalId);
        if (block.timestamp >= p.expiresAt) revert ConsortiumProposalExpired(proposalId, p.expiresAt);
    }

    function _castVote(uint256 proposalId, Proposal storage p, uint64 voter, bool support) private {
        _voted[proposalId][voter] = true;
        if (support) ++p.yesVotes;
        else ++p.noVotes;
        emit VoteCast(proposalId, voter, support);
        if (support && _quorumReached(p.yesVotes)) _execute(proposalId, p);
    }

    function _quorumReached(uint32 yesVotes) private view returns (bool) {
        return uint256(yesVotes) * _quorumDenominator >= uint256(_quorumNumerator) * _activeGovernors;
    }

    /// @dev Checks that a payload decodes for its kind, before anyone votes on it.
    function _validateProposal(ProposalKind kind, bytes calldata payload) private view {
        uint256 words = _payloadWords(kind);
        if (payload.length != words * 32) revert ConsortiumInvalidProposal(kind);
        if (kind == ProposalKind.AdmitMember) {
            (bytes2 j, uint8 roles, , address key) = abi.decode(payload, (bytes2, uint8, bytes32, address));
            _checkMemberFields(j, roles, key);
        } else if (kind == ProposalKind.SetGovernanceParameters) {
            (uint16 n, uint16 d, uint32 period) = abi.decode(payload, (uint16, uint16, uint32));
            if (n == 0 || d == 0 || n > d || period < _MIN_VOTING_PERIOD) {
                revert ConsortiumInvalidGovernanceParameters(n, d, period);
            }
        } else if (kind == ProposalKind.SetParameter) {
            if (bytes32(payload[:32]) == bytes32(0)) revert ConsortiumInvalidProposal(kind);
        } else {
            // Every other kind starts with the member id.
            _existingMember(abi.decode(payload[:32], (uint64)));
        }
    }

    function _payloadWords(ProposalKind kind) private pure returns (uint256) {
        if (kind == ProposalKind.AdmitMember || kind == ProposalKind.AddKey) return 4;
        if (kind == ProposalKind.SetRoles || kind == ProposalKind.RevokeKey || kind == ProposalKind.SetParameter) {
            return 2;
        }
        if (kind == ProposalKind.SetGovernanceParameters) return 3;
        return 1;
    }

    function _execute(uint256 proposalId, Proposal storage p) private {
        p.executed = true;
        bytes memory d = p.payload;
        ProposalKind kind = p.kind;
        if (kind == ProposalKind.AdmitMember) {
            (bytes2 j, uint8 roles, bytes32 nameHash, address key) = abi.decode(d, (bytes2, uint8, bytes32, address));
            _admit(j, roles, nameHash, key);
        } else if (kind == ProposalKind.SuspendMember) {
            _transition(abi.decode(d, (uint64)), MemberStatus.Active, MemberStatus.Suspended);
        } else if (kind == ProposalKind.ReinstateMember) {
            _transition(abi.decode(d, (uint64)), MemberStatus.Suspended, MemberStatus.Active);
        } else if (kind == ProposalKind.RemoveMember) {
            _transition(abi.decode(d, (uint64)), MemberStatus.None, MemberStatus.Removed);
        } else if (kind == ProposalKind.SetRoles) {
            (uint64 id, uint8 roles) = abi.decode(d, (uint64, uint8));
            _setRoles(id, roles);
        } else if (kind == ProposalKind.AddKey) {
            (uint64 id, address key, uint48 from, uint48 until) = abi.decode(d, (uint64, address, uint48, uint48));
            Member storage m = _existingMember(id);
            if (m.status == MemberStatus.Removed) revert ConsortiumInvalidMemberStatus(id, m.status);
            _addKey(id, key, from == 0 ? uint48(block.timestamp) : from, until == 0 ? _OPEN_ENDED : until);
        } else if (kind == ProposalKind.RevokeKey) {
            (uint64 id, address key) = abi.decode(d, (uint64, address));
            _revokeKey(id, key, false);
        } else if (kind == ProposalKind.SetGovernanceParameters) {
            (uint16 n, uint16 den, uint32 period) = abi.decode(d, (uint16, uint16, uint32));
            _setGovernanceParameters(n, den, period);
        } else {
            (bytes32 key, uint256 value) = abi.decode(d, (bytes32, uint256));
            _parameters[key] = value;
            emit ParameterChanged(key, value);
        }
        emit ProposalExecuted(proposalId);
    }
}
