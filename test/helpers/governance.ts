import { expect } from "chai";
import { time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionResponse, Signer } from "ethers";
import {
  ConsortiumClient,
  GovernanceTypes,
  agreementTerms,
  encodeProposal,
  signTypedRequest,
  type ProposalParameters,
  type AgreementTermsInput,
  type AgreementTermsStruct,
} from "../../sdk/src";
import type { Consortium, ConsortiumGovernance, RecognitionAgreements } from "../../sdk/src/typechain";

/**
 * The consortium's member actions as tests use them: signed (EIP-712) by the acting key through the SDK and relayed
 * by another account, returning the contract call so that chai's revert and event matchers apply.
 */
export interface Fixture {
  consortium: Consortium;
  governance: ConsortiumGovernance;
  agreements: RecognitionAgreements;
  deployer: Signer;
}

export async function client(f: Fixture): Promise<ConsortiumClient> {
  return ConsortiumClient.connect(await f.consortium.getAddress(), f.deployer as Signer & { provider: never });
}

/** Proposes a raw (kind, payload): the payload may be deliberately malformed, which the SDK's encoder would refuse. */
export async function propose(
  f: Fixture,
  by: Signer,
  kind: number,
  payload: string,
): Promise<ContractTransactionResponse> {
  const c = await client(f);
  const nonce = await f.governance.nonces(await by.getAddress());
  const deadline = (await f.deployer.provider!.getBlock("latest"))!.timestamp + 3600;
  const request = { kind, payload, nonce, deadline };
  const { signature } = await signTypedRequest(by, c.domains.governance, GovernanceTypes, "Propose", request);
  return f.governance.connect(f.deployer).propose(request, signature);
}

export async function vote(f: Fixture, by: Signer, proposalId: bigint | number, support: boolean) {
  const s = await (await client(f)).signVote(by, proposalId, support);
  return f.governance.connect(f.deployer).vote(s.request, s.signature);
}

export async function revokeOwnKey(f: Fixture, by: Signer, memberId: bigint | number, key: string) {
  const s = await (await client(f)).signRevokeOwnKey(by, memberId, key);
  return f.consortium.connect(f.deployer).revokeOwnKey(s.request, s.signature);
}

export async function addOwnKey(
  f: Fixture,
  by: Signer,
  newKey: Signer,
  memberId: bigint | number,
  o: { validFrom?: number; validUntil?: number } = {},
) {
  const s = await (await client(f)).signAddOwnKey(by, newKey, memberId, o);
  return f.consortium.connect(f.deployer).addOwnKey(s.request, s.signature, s.keySignature);
}

type Terms = AgreementTermsInput | AgreementTermsStruct;
const toStruct = (t: Terms): AgreementTermsStruct =>
  typeof t.categories === "bigint" ? (t as AgreementTermsStruct) : agreementTerms(t as AgreementTermsInput);

export async function proposeAgreement(f: Fixture, by: Signer, terms: Terms) {
  const s = await (await client(f)).signProposeAgreement(by, toStruct(terms));
  return f.agreements.connect(f.deployer).proposeAgreement(s.request, s.signature);
}

export async function approveAgreement(f: Fixture, by: Signer, agreementId: bigint | number) {
  const s = await (await client(f)).signApproveAgreement(by, agreementId);
  return f.agreements.connect(f.deployer).approveAgreement(s.request, s.signature);
}

export async function setAgreementSuspended(f: Fixture, by: Signer, agreementId: bigint | number, suspended: boolean) {
  const s = await (await client(f)).signSetAgreementSuspended(by, agreementId, suspended);
  return f.agreements.connect(f.deployer).setAgreementSuspended(s.request, s.signature);
}

/** Proposes (by `fromSide`) and approves (by `toSide`) an agreement; returns its id. */
export async function concludeAgreement(f: Fixture, fromSide: Signer, toSide: Signer, terms: Terms): Promise<bigint> {
  await (await proposeAgreement(f, fromSide, terms)).wait();
  const id = await f.agreements.agreementCount();
  await (await approveAgreement(f, toSide, id)).wait();
  return id;
}

/** Proposes through the SDK's encoder, signed by `by`; returns the proposal id. */
export async function proposeParameters(f: Fixture, by: Signer, p: ProposalParameters): Promise<bigint> {
  const e = encodeProposal(p);
  await (await propose(f, by, e.kind, e.payload)).wait();
  return f.governance.proposalCount();
}

/**
 * Proposed by the first governor, then voted yes by the others in turn (by default FR then DE: 2 of the 3 founding
 * governors, the quorum); checks that it passed and returns its id.
 */
export async function pass(f: Fixture, p: ProposalParameters, governors: Signer[]): Promise<bigint> {
  const id = await proposeParameters(f, governors[0]!, p);
  for (const g of governors.slice(1)) await (await vote(f, g, id, true)).wait();
  expect((await f.governance.getProposal(id)).executed, `${p.kind} passed`).to.equal(true);
  return id;
}

/** Fixes the timestamp of the next block (the next transaction) and returns it. */
export async function nextBlockAt(secondsFromNow = 5): Promise<number> {
  const t = (await time.latest()) + secondsFromNow;
  await time.setNextBlockTimestamp(t);
  return t;
}
