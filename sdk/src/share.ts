import type { Signer } from "ethers";
import type { MemberPublicKey } from "./consortium";
import type { ConsortiumClient } from "./consortium-client";
import type { Hex } from "./eip712";
import { CrossproofError } from "./errors";
import type { EvidenceClient } from "./evidence-client";
import {
  rewrapPackage,
  type RecipientKeyResolver,
  type RecipientPrivateKey,
  type RecipientPublicKey,
  type RewrapPackageParameters,
} from "./package";
import type { Relayer } from "./relayer";
import type { ContentStore } from "./store";

/**
 * Sharing an anchored evidence package with another member, in one call: its registered encryption key, the envelope
 * re-wrapped for it, and the RecipientAdded custody event that records the new package's CID for the record.
 */

/**
 * A lookup of package recipients' public keys among the members' registered encryption keys (the Consortium's
 * `PublicKeyAdded` events, each JWK checked against its key id), by `kid` — the RFC 7638 thumbprint a package names
 * its recipients by. The events are read once, on the first lookup.
 *
 * Revoked and expired keys are found too: carrying a current recipient over to a re-wrapped envelope gives it
 * nothing it does not already hold (the file key is unchanged, and the previous package still opens with its key),
 * whereas dropping it would take the new package away from a member that holds the evidence.
 */
export function registeredRecipientKeys(consortium: ConsortiumClient): RecipientKeyResolver {
  let keys: Promise<Map<string, RecipientPublicKey>> | undefined;
  return async (kid) => {
    keys ??= consortium
      .registeredPublicKeys()
      .then(
        (all) => new Map(all.filter((k) => k.purpose === "Encryption").map((k) => [k.kid, { kid: k.kid, jwk: k.jwk }])),
      );
    return (await keys).get(kid);
  };
}

/** Parameters of {@link sharePackage}. */
export interface SharePackageParameters {
  evidence: EvidenceClient;
  consortium: ConsortiumClient;
  /** The evidence record whose package is shared. */
  recordId: string;
  /** The member to share it with. */
  recipientMember: bigint | number;
  /** The private key of one of the package's current recipients (the holder's own). */
  holderKey: RecipientPrivateKey;
  store: ContentStore;
  /** A signing key of the anchoring member or of the current custodian: signs the RecipientAdded event. */
  signer: Signer;
  /** Submits the signed event: a {@link Relayer}, or any Signer with gas. */
  submitter: Signer | Relayer;
  /** The package to re-wrap (default: the anchored one; give a re-wrapped package the holder received instead). */
  packageCid?: string;
  /**
   * Which of the recipient member's encryption keys (key ids) to wrap for (default: every one valid now). Each must
   * be an encryption key of that member valid now.
   */
  recipientKeys?: readonly string[];
  /** The current recipients' public keys (default: found among the members' registered encryption keys). */
  currentRecipients?: RewrapPackageParameters["currentRecipients"];
  /** Seconds the signature stays valid (default one hour, by chain time). */
  validFor?: number;
}

/** What {@link sharePackage} did. */
export interface SharedPackage {
  /** The new package's CID, recorded on chain by the RecipientAdded event. */
  cid: string;
  recordId: Hex;
  /** The member it was shared with. */
  recipient: bigint;
  /** The key ids it was wrapped for (the recipient member's encryption keys). */
  recipientKeys: string[];
  /** The package hash: unchanged. */
  contentHash: Hex;
  /** The transaction of the RecipientAdded event. */
  transactionHash: string;
  blockNumber: number;
}

/**
 * Shares an anchored evidence package with another member, as the anchoring member or the custodian:
 * 1. reads the record, and the recipient member's encryption keys registered in the Consortium and valid now
 *    (`NO_ENCRYPTION_KEY` when it has none — a report key does not count — or when a key named in `recipientKeys`
 *    is not one of them);
 * 2. re-wraps the package's envelope for those keys besides its current recipients ({@link rewrapPackage}: the
 *    files are linked as they are, the package hash is unchanged, the CID is new; the package must be the anchored
 *    content);
 * 3. signs a RecipientAdded custody event whose details hash commits to the new CID
 *    (`EvidenceClient.signAddRecipient`), submits it and waits for it.
 *
 * The contract decides who may add a recipient (the anchoring member or the custodian; the recipient an active
 * member): a refusal comes back as `CONTRACT_REVERTED` with the custom error in `details.error`
 * (`CustodyNotCustodian`, `CustodyInvalidCounterparty`, ...). The new package is stored before the event is signed
 * (its CID is what the event commits to), so a refused event leaves an unreferenced package in the store and
 * nothing on chain.
 *
 * The recipient then opens it with `EvidenceClient.openAndRecordAccess({ packageCid: shared.cid, ... })`, and a
 * verifier given that CID reports it as recorded by the RecipientAdded event.
 * @example
 * const shared = await sharePackage({ evidence, consortium, recordId, recipientMember: 2, holderKey: frPackageKey,
 *   store, signer: frSigningKey, submitter: relayer });
 * // tell the DE court: shared.cid
 */
export async function sharePackage(p: SharePackageParameters): Promise<SharedPackage> {
  const record = await p.evidence.getEvidence(p.recordId);
  if (record === undefined) throw new CrossproofError("INVALID_ARGUMENT", `no evidence record ${p.recordId}`);
  const recipient = BigInt(p.recipientMember);
  if (recipient <= 0n) throw new CrossproofError("INVALID_ARGUMENT", "the recipient must be a member id");
  const keys = await recipientEncryptionKeys(p.consortium, recipient, p.recipientKeys);
  const rewrapped = await rewrapPackage({
    cid: p.packageCid ?? record.packageCid,
    store: p.store,
    holderKey: p.holderKey,
    recipients: keys.map((k) => ({ kid: k.kid, jwk: k.jwk })),
    currentRecipients: p.currentRecipients ?? registeredRecipientKeys(p.consortium),
    expectedContentHash: record.contentHash,
  });
  const signed = await p.evidence.signAddRecipient(p.signer, {
    recordId: record.recordId,
    recipient,
    packageCid: rewrapped.cid,
    ...(p.validFor === undefined ? {} : { validFor: p.validFor }),
  });
  const { receipt } = await (await p.evidence.submit(signed, p.submitter)).wait();
  return {
    cid: rewrapped.cid,
    recordId: record.recordId,
    recipient,
    recipientKeys: rewrapped.added,
    contentHash: rewrapped.contentHash,
    transactionHash: receipt.hash,
    blockNumber: receipt.blockNumber,
  };
}

/**
 * A member's encryption keys valid now (`Consortium.isValidPublicKey`: within its window, member active), or the
 * ones named among them. `NO_ENCRYPTION_KEY` when there are none, or a key named is not one of them.
 */
async function recipientEncryptionKeys(
  consortium: ConsortiumClient,
  memberId: bigint,
  named: readonly string[] | undefined,
): Promise<MemberPublicKey[]> {
  const live = await consortium.publicKeysOf(memberId, "Encryption");
  const valid: MemberPublicKey[] = [];
  for (const k of live) if (await consortium.isValidPublicKey(memberId, k.keyId, "Encryption")) valid.push(k);
  if (named === undefined) {
    if (valid.length > 0) return valid;
    const reportKeys = (await consortium.publicKeysOf(memberId, "Report")).map((k) => k.kid);
    throw new CrossproofError(
      "NO_ENCRYPTION_KEY",
      `member ${memberId} has no encryption key valid now` +
        (reportKeys.length > 0 ? " (only report keys, which sign reports and receive no package)" : ""),
      { details: { memberId: memberId.toString(), reportKeys } },
    );
  }
  if (named.length === 0) throw new CrossproofError("INVALID_ARGUMENT", "no recipient key named");
  const isKey = (k: MemberPublicKey, kid: string) => k.kid === kid || k.keyId === kid.toLowerCase();
  const reportKeys = await consortium.publicKeysOf(memberId, "Report");
  return named.map((kid) => {
    const key = valid.find((k) => isKey(k, kid));
    if (key === undefined) {
      const report = reportKeys.some((k) => isKey(k, kid));
      throw new CrossproofError(
        "NO_ENCRYPTION_KEY",
        `${kid} is not an encryption key of member ${memberId} valid now` +
          (report ? ": it is a report key, which signs reports and receives no package" : ""),
        { details: { memberId: memberId.toString(), kid, ...(report ? { purpose: "Report" } : {}) } },
      );
    }
    return key;
  });
}
