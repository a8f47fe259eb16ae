import type { ContractTransactionResponse, Signer } from "ethers";
import { ConsortiumClient, ConsortiumTypes, signTypedRequest, type AgreementTermsStruct } from "../../sdk/src";
import type { Consortium } from "../../typechain-types";

/**
 * The Consortium's member actions as tests use them: signed (EIP-712) by the acting key through the SDK and relayed
 * by another account, returning the contract call so that chai's revert and event matchers apply.
 */
interface Fixture {
  consortium: Consortium;
  deployer: Signer;
}

async function client(f: Fixture): Promise<ConsortiumClient> {
  return ConsortiumClient.connect(await f.consortium.getAddress(), f.deployer as Signer & { provider: never });
}

function auth(r: { nonce: bigint | number; deadline: number }, signature: string) {
  return { nonce: r.nonce, deadline: r.deadline, signature };
}

export async function propose(
  f: Fixture,
  by: Signer,
  kind: number,
  payload: string,
): Promise<ContractTransactionResponse> {
  const c = await client(f);
  const nonce = await f.consortium.nonces(await by.getAddress());
  const deadline = (await f.deployer.provider!.getBlock("latest"))!.timestamp + 3600;
  const request = { kind, payload, nonce, deadline };
  const { signature } = await signRaw(c, by, "Propose", request);
  return f.consortium.connect(f.deployer).propose(kind, payload, auth(request, signature));
}

export async function vote(f: Fixture, by: Signer, proposalId: bigint | number, support: boolean) {
  const s = await (await client(f)).signVote(by, proposalId, support);
  return f.consortium.connect(f.deployer).vote(proposalId, support, auth(s.request, s.signature));
}

export async function revokeOwnKey(f: Fixture, by: Signer, memberId: bigint | number, key: string) {
  const s = await (await client(f)).signRevokeOwnKey(by, memberId, key);
  return f.consortium.connect(f.deployer).revokeOwnKey(memberId, key, auth(s.request, s.signature));
}

export async function proposeAgreement(
  f: Fixture,
  by: Signer,
  terms: Omit<AgreementTermsStruct, "textHash" | "categories" | "from" | "to"> & {
    from: string;
    to: string;
    textHash: string;
    categories: bigint;
  },
) {
  const s = await (await client(f)).signProposeAgreement(by, terms as AgreementTermsStruct);
  return f.consortium.connect(f.deployer).proposeAgreement(terms, auth(s.request, s.signature));
}

export async function approveAgreement(f: Fixture, by: Signer, agreementId: bigint | number) {
  const s = await (await client(f)).signApproveAgreement(by, agreementId);
  return f.consortium.connect(f.deployer).approveAgreement(agreementId, auth(s.request, s.signature));
}

export async function setAgreementSuspended(f: Fixture, by: Signer, agreementId: bigint | number, suspended: boolean) {
  const s = await (await client(f)).signSetAgreementSuspended(by, agreementId, suspended);
  return f.consortium.connect(f.deployer).setAgreementSuspended(agreementId, suspended, auth(s.request, s.signature));
}

/** Signs a raw Propose (the payload may be deliberately malformed, which the SDK's encoder would refuse). */
function signRaw(c: ConsortiumClient, by: Signer, primaryType: "Propose", request: object) {
  return signTypedRequest(by, c.domain, ConsortiumTypes, primaryType, request);
}
