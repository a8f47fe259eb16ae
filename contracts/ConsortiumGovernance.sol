// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

import {IConsortium} from "./interfaces/IConsortium.sol";
import {IConsortiumGovernance} from "./interfaces/IConsortiumGovernance.sol";
import {IRecognitionAgreements} from "./interfaces/IRecognitionAgreements.sol";
import {IWorkDisputes} from "./interfaces/IWorkDisputes.sol";
import {MemberSigned} from "./base/MemberSigned.sol";
import {Roles} from "./base/Common.sol";

/**
 * @title ConsortiumGovernance
 * @notice Proposals and votes of the consortium's GOVERNORs; a passed proposal changes the {Consortium} (members,
 * roles, keys), this contract's parameters, or resolves a work dispute in a licence registry.
 */
contract ConsortiumGovernance is IConsortiumGovernance, MemberSigned {
    bytes32 private constant _PROPOSE_TYPEHASH = keccak256(
        "Propose(uint8 kind,bytes payload,uint256 nonce,uint48 deadline)"
    );
    bytes32 private constant _VOTE_TYPEHASH = keccak256(
        "Vote(uint256 proposalId,bool support,uint256 nonce,uint48 deadline)"
    );
    uint32 private constant _MIN_VOTING_PERIOD = 1 hours;

    IConsortium private immutable _members;

    uint16 private _quorumNumerator;
    uint16 private _quorumDenominator;
    uint32 private _votingPeriod;

    mapping(uint256 proposalId => Proposal) private _proposals;
    mapping(uint256 proposalId => mapping(uint64 memberId => VoteValue)) private _votes;
    mapping(uint256 proposalId => uint64[]) private _voters;
    uint256 private _proposalCount;

    mapping(bytes32 key => uint256) private _parameters;

    /**
     * @param consortium_ the Consortium (members and keys) this governance changes.
     * @param quorumNumerator with `quorumDenominator`, the share of eligible governors whose yes votes pass a proposal.
     * @param votingPeriod seconds a proposal stays open.
     */
    constructor(
        IConsortium consortium_,
        uint16 quorumNumerator,
        uint16 quorumDenominator,
        uint32 votingPeriod
    ) MemberSigned("crossproof ConsortiumGovernance", consortium_, consortium_.consortiumId()) {
        _members = consortium_;
        _setGovernanceParameters(quorumNumerator, quorumDenominator, votingPeriod);
    }

    /// @inheritdoc IConsortiumGovernance
    function parameter(bytes32 key) external view returns (uint256) {
        return _parameters[key];
    }

    /// @inheritdoc IConsortiumGovernance
    function governanceParameters() external view returns (uint16, uint16, uint32) {
        return (_quorumNumerator, _quorumDenominator, _votingPeriod);
    }

    /// @inheritdoc IConsortiumGovernance
    function propose(ProposeRequest calldata r, bytes calldata signature) external returns (uint256 proposalId) {
        Signer memory s = _verifySignedWithNonce(
            keccak256(abi.encode(_PROPOSE_TYPEHASH, r.kind, keccak256(r.payload), r.nonce, r.deadline)),
            signature,
            r.deadline,
            Roles.GOVERNOR,
            r.nonce
        );
        _validateProposal(r.kind, r.payload);
        proposalId = ++_proposalCount;
        uint48 expiresAt = uint48(block.timestamp) + _votingPeriod;
        Proposal storage p = _proposals[proposalId];
        p.kind = r.kind;
        p.proposer = s.memberId;
        p.createdAt = uint48(block.timestamp);
        p.expiresAt = expiresAt;
        p.quorumNumerator = _quorumNumerator;
        p.quorumDenominator = _quorumDenominator;
        p.payload = r.payload;
        emit ProposalCreated(
            proposalId,
            r.kind,
            s.memberId,
            expiresAt,
            _quorumNumerator,
            _quorumDenominator,
            r.payload
        );
        _castVote(proposalId, p, s.memberId, true);
    }

    /// @inheritdoc IConsortiumGovernance
    function vote(VoteRequest calldata r, bytes calldata signature) external {
        Signer memory s = _verifySignedWithNonce(
            keccak256(abi.encode(_VOTE_TYPEHASH, r.proposalId, r.support, r.nonce, r.deadline)),
            signature,
            r.deadline,
            Roles.GOVERNOR,
            r.nonce
        );
        Proposal storage p = _openProposal(r.proposalId);
        if (_votes[r.proposalId][s.memberId] != VoteValue.None) {
            revert GovernanceAlreadyVoted(r.proposalId, s.memberId);
        }
        _castVote(r.proposalId, p, s.memberId, r.support);
    }

    /// @inheritdoc IConsortiumGovernance
    function execute(uint256 proposalId) external {
        Proposal storage p = _openProposal(proposalId);
        (uint32 yes, , uint32 eligible) = tally(proposalId);
        if (!_quorumReached(p, yes, eligible)) revert GovernanceQuorumNotReached(proposalId, yes, eligible);
        _execute(proposalId, p, yes, eligible);
    }

    /// @inheritdoc IConsortiumGovernance
    function getProposal(uint256 proposalId) external view returns (Proposal memory) {
        return _proposals[proposalId];
    }

    /// @inheritdoc IConsortiumGovernance
    function voteOf(uint256 proposalId, uint64 memberId) external view returns (VoteValue) {
        return _votes[proposalId][memberId];
    }

    /// @inheritdoc IConsortiumGovernance
    function tally(uint256 proposalId) public view returns (uint32 yes, uint32 no, uint32 eligibleGovernors) {
        uint64[] storage voters = _voters[proposalId];
        for (uint256 i = 0; i < voters.length; ++i) {
            uint64 voter = voters[i];
            if (!_members.isEligibleGovernor(voter)) continue;
            if (_votes[proposalId][voter] == VoteValue.Yes) ++yes;
            else ++no;
        }
        eligibleGovernors = _members.eligibleGovernorCount();
    }

    /// @inheritdoc IConsortiumGovernance
    function proposalCount() external view returns (uint256) {
        return _proposalCount;
    }

    // ----------------------------------------------------------------------------------------------------------------
    // Internals
    // ----------------------------------------------------------------------------------------------------------------

    function _setGovernanceParameters(uint16 numerator, uint16 denominator, uint32 votingPeriod) private {
        _checkGovernanceParameters(numerator, denominator, votingPeriod);
        _quorumNumerator = numerator;
        _quorumDenominator = denominator;
        _votingPeriod = votingPeriod;
        emit GovernanceParametersChanged(numerator, denominator, votingPeriod);
    }

    function _checkGovernanceParameters(uint16 numerator, uint16 denominator, uint32 votingPeriod) private pure {
        if (numerator == 0 || denominator == 0 || numerator > denominator || votingPeriod < _MIN_VOTING_PERIOD) {
            revert GovernanceInvalidParameters(numerator, denominator, votingPeriod);
        }
    }

    function _openProposal(uint256 proposalId) private view returns (Proposal storage p) {
        p = _proposals[proposalId];
        if (p.createdAt == 0) revert GovernanceUnknownProposal(proposalId);
        if (p.executed) revert GovernanceProposalAlreadyExecuted(proposalId);
        if (block.timestamp >= p.expiresAt) revert GovernanceProposalExpired(proposalId, p.expiresAt);
    }

    function _castVote(uint256 proposalId, Proposal storage p, uint64 voter, bool support) private {
        _votes[proposalId][voter] = support ? VoteValue.Yes : VoteValue.No;
        _voters[proposalId].push(voter);
        emit VoteCast(proposalId, voter, support);
        if (!support) return;
        (uint32 yes, , uint32 eligible) = tally(proposalId);
        if (_quorumReached(p, yes, eligible)) _execute(proposalId, p, yes, eligible);
    }

    function _quorumReached(Proposal storage p, uint32 yes, uint32 eligible) private view returns (bool) {
        return yes > 0 && uint256(yes) * p.quorumDenominator >= uint256(p.quorumNumerator) * eligible;
    }

    /// @dev Checks that a payload decodes for its kind, before anyone votes on it.
    function _validateProposal(ProposalKind kind, bytes calldata payload) private view {
        if (payload.length != _payloadWords(kind) * 32 || !_cleanWords(kind, payload)) {
            revert GovernanceInvalidProposal(kind);
        }
        if (kind == ProposalKind.AdmitMember) {
            (bytes2 j, uint8 roles, , address key) = abi.decode(payload, (bytes2, uint8, bytes32, address));
            _members.checkAdmission(j, roles, key);
        } else if (kind == ProposalKind.SetGovernanceParameters) {
            (uint16 n, uint16 d, uint32 period) = abi.decode(payload, (uint16, uint16, uint32));
            _checkGovernanceParameters(n, d, period);
        } else if (kind == ProposalKind.SetParameter) {
            if (bytes32(payload[:32]) == bytes32(0)) revert GovernanceInvalidProposal(kind);
        } else if (kind == ProposalKind.DefineAssistanceProfile) {
            if (!_agreementsContract().isValidAssistanceProfile(_profile(payload)))
                revert GovernanceInvalidProposal(kind);
        } else if (kind == ProposalKind.ResolveWorkDispute) {
            (address registry, uint256 disputeId, , ) = abi.decode(payload, (address, uint256, address, bytes32));
            if (registry.code.length == 0 || !IWorkDisputes(registry).isDisputeOpen(disputeId)) {
                revert GovernanceInvalidProposal(kind);
            }
        } else {
            // Every other kind starts with the member id.
            uint64 id = abi.decode(payload[:32], (uint64));
            if (_members.getMember(id).status == IConsortium.MemberStatus.None) {
                revert IConsortium.ConsortiumUnknownMember(id);
            }
        }
    }

    /**
     * @dev Whether every word of the payload `p` is the clean ABI encoding of its kind's argument types. Without
     * this, a payload with dirty high bits in a word that is only decoded at execution (a role, a key, a window)
     * would be accepted, voted on, and then make the deciding vote revert.
     */
    function _cleanWords(ProposalKind kind, bytes calldata p) private pure returns (bool) {
        if (kind == ProposalKind.AdmitMember) {
            // bytes2 is left-aligned: its low 240 bits must be zero.
            return uint256(bytes32(p[:32])) << 16 == 0 && _fits(p, 1, 8) && _fits(p, 3, 160);
        }
        if (kind == ProposalKind.SetRoles) return _fits(p, 0, 64) && _fits(p, 1, 8);
        if (kind == ProposalKind.AddKey)
            return _fits(p, 0, 64) && _fits(p, 1, 160) && _fits(p, 2, 48) && _fits(p, 3, 48);
        if (kind == ProposalKind.RevokeKey) return _fits(p, 0, 64) && _fits(p, 1, 160);
        if (kind == ProposalKind.RevokePublicKey) return _fits(p, 0, 64);
        if (kind == ProposalKind.SetGovernanceParameters) return _fits(p, 0, 16) && _fits(p, 1, 16) && _fits(p, 2, 32);
        if (kind == ProposalKind.SetParameter) return true;
        if (kind == ProposalKind.ResolveWorkDispute) return _fits(p, 0, 160) && _fits(p, 2, 160);
        if (kind == ProposalKind.DefineAssistanceProfile) {
            // Six uint32 windows, four uint8 masks, a bool, a bytes32.
            for (uint256 i = 0; i < 11; ++i)
                if (
                    !_fits(
                        p,
                        i,
                        i < 6
                            ? 32
                            : i < 10
                                ? 8
                                : 1
                    )
                ) return false;
            return true;
        }
        return _fits(p, 0, 64);
    }

    function _agreementsContract() private view returns (IRecognitionAgreements) {
        return IRecognitionAgreements(_members.agreements());
    }

    function _profile(bytes memory payload) private pure returns (IRecognitionAgreements.AssistanceProfile memory) {
        return abi.decode(payload, (IRecognitionAgreements.AssistanceProfile));
    }

    /// @dev Whether word `i` of `p` holds an unsigned value (or an address) of at most `bits` bits.
    function _fits(bytes calldata p, uint256 i, uint256 bits) private pure returns (bool) {
        return uint256(bytes32(p[i * 32:(i + 1) * 32])) >> bits == 0;
    }

    function _payloadWords(ProposalKind kind) private pure returns (uint256) {
        if (kind == ProposalKind.AdmitMember || kind == ProposalKind.AddKey) return 4;
        if (kind == ProposalKind.ResolveWorkDispute) return 4;
        if (kind == ProposalKind.DefineAssistanceProfile) return 12;
        if (
            kind == ProposalKind.SetRoles ||
            kind == ProposalKind.RevokeKey ||
            kind == ProposalKind.SetParameter ||
            kind == ProposalKind.RevokePublicKey
        ) return 2;
        if (kind == ProposalKind.SetGovernanceParameters) return 3;
        return 1;
    }

    function _execute(uint256 proposalId, Proposal storage p, uint32 yes, uint32 eligible) private {
        p.executed = true;
        bytes memory d = p.payload;
        ProposalKind kind = p.kind;
        if (kind == ProposalKind.AdmitMember) {
            (bytes2 j, uint8 roles, bytes32 nameHash, address key) = abi.decode(d, (bytes2, uint8, bytes32, address));
            _members.admitMember(j, roles, nameHash, key);
        } else if (kind == ProposalKind.SuspendMember) {
            _members.setMemberStatus(abi.decode(d, (uint64)), IConsortium.MemberStatus.Suspended);
        } else if (kind == ProposalKind.ReinstateMember) {
            _members.setMemberStatus(abi.decode(d, (uint64)), IConsortium.MemberStatus.Active);
        } else if (kind == ProposalKind.RemoveMember) {
            _members.setMemberStatus(abi.decode(d, (uint64)), IConsortium.MemberStatus.Removed);
        } else if (kind == ProposalKind.SetRoles) {
            (uint64 id, uint8 roles) = abi.decode(d, (uint64, uint8));
            _members.setRoles(id, roles);
        } else if (kind == ProposalKind.AddKey) {
            (uint64 id, address key, uint48 from, uint48 until) = abi.decode(d, (uint64, address, uint48, uint48));
            _members.addKey(id, key, from, until);
        } else if (kind == ProposalKind.RevokeKey) {
            (uint64 id, address key) = abi.decode(d, (uint64, address));
            _members.revokeKey(id, key);
        } else if (kind == ProposalKind.SetGovernanceParameters) {
            (uint16 n, uint16 den, uint32 period) = abi.decode(d, (uint16, uint16, uint32));
            _setGovernanceParameters(n, den, period);
        } else if (kind == ProposalKind.SetParameter) {
            (bytes32 key, uint256 value) = abi.decode(d, (bytes32, uint256));
            _parameters[key] = value;
            emit ParameterChanged(key, value);
        } else if (kind == ProposalKind.RevokePublicKey) {
            (uint64 id, bytes32 keyId) = abi.decode(d, (uint64, bytes32));
            _members.revokePublicKey(id, keyId);
        } else if (kind == ProposalKind.DefineAssistanceProfile) {
            _agreementsContract().defineAssistanceProfile(_profile(d));
        } else {
            (address registry, uint256 disputeId, address newHolder, bytes32 decisionHash) = abi.decode(
                d,
                (address, uint256, address, bytes32)
            );
            IWorkDisputes(registry).resolveDispute(disputeId, newHolder, decisionHash);
        }
        emit ProposalExecuted(proposalId, yes, eligible);
    }
}
