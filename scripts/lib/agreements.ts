import type { Provider, Signer } from "ethers";
import {
  ConsortiumClient,
  agreementTermsFromConfig,
  agreementTerms,
  fromJurisdiction,
  Role,
  toJurisdiction,
  type ConsortiumConfig,
} from "../../sdk/src";
import type { DeploymentRecord } from "./deploy";

/** A concluded agreement as `npm start` lists it. */
export interface AgreementSummary {
  id: bigint;
  from: string;
  to: string;
  categories: number[];
  minAssurance: number;
  anchorWindow: number;
  responseWindow: number;
  emergencyResponseWindow: number;
  concludedAt: number;
  suspended: boolean;
}

/**
 * Concludes the recognition agreements a founding configuration declares, on a chain whose governor keys we hold
 * (a local development chain): a governor of `from` proposes, a governor of `to` approves. Idempotent: an agreement
 * with the same terms already concluded between the two is left as it is. An agreement whose governors the chain's
 * consortium does not have (a chain founded with an earlier configuration) is skipped with a line in the log.
 */
export async function concludeConfiguredAgreements(p: {
  provider: Provider;
  relayer: Signer;
  record: DeploymentRecord;
  config: ConsortiumConfig;
  /** The signer of a founder key, if we hold it. */
  keyFor: (address: string) => Signer | undefined;
  log?: (line: string) => void;
}): Promise<bigint[]> {
  const log = p.log ?? (() => {});
  const client = await ConsortiumClient.connect(p.record.contracts.Consortium!.address, p.provider);
  const governorOf = (jurisdiction: string): Signer => {
    const f = p.config.founders.find((m) => m.jurisdiction === jurisdiction && m.roles.includes("GOVERNOR"));
    const signer = f === undefined ? undefined : p.keyFor(f.key);
    if (signer === undefined) throw new Error(`no governor key of ${jurisdiction} to conclude its agreements`);
    return signer;
  };
  /** Whether the chain's consortium has this governor as an authorised GOVERNOR of that jurisdiction. */
  const governs = async (signer: Signer, jurisdiction: string): Promise<boolean> => {
    const info = await client.consortium.signerInfo(await signer.getAddress());
    return (
      info.authorized &&
      (Number(info.roles) & Role.GOVERNOR) !== 0 &&
      info.jurisdiction.toLowerCase() === toJurisdiction(jurisdiction).toLowerCase()
    );
  };
  const ids: bigint[] = [];
  for (const a of p.config.recognitionAgreements) {
    // A chain founded with an earlier configuration lacks the members added since: say so rather than fail.
    const missing = [];
    for (const side of [a.from, a.to]) if (!(await governs(governorOf(side), side))) missing.push(side);
    if (missing.length > 0) {
      log(
        `recognition agreement ${a.from} → ${a.to} skipped: this chain's consortium has no governor of ` +
          `${missing.join(" and ")} from the configuration (founded with an earlier one? start afresh to get it)`,
      );
      continue;
    }
    const terms = agreementTerms(agreementTermsFromConfig(a));
    const existing = await client.agreements.agreementsBetween(terms.from, terms.to);
    let found: bigint | undefined;
    for (const id of existing) {
      const g = await client.agreements.getAgreement(id);
      if (g.terms.textHash === terms.textHash && g.terms.categories === terms.categories) found = id;
    }
    if (found !== undefined) {
      ids.push(found);
      continue;
    }
    const { agreementId: id } = await (
      await client.submit(await client.signProposeAgreement(governorOf(a.from), terms), p.relayer)
    ).wait();
    const { concluded } = await (
      await client.submit(await client.signApproveAgreement(governorOf(a.to), id), p.relayer)
    ).wait();
    if (!concluded) throw new Error(`recognition agreement ${id} ${a.from} → ${a.to} was approved but not concluded`);
    log(`recognition agreement ${id} ${a.from} → ${a.to} concluded`);
    ids.push(id);
  }
  return ids;
}

/** Every concluded agreement between the consortium's jurisdictions. */
export async function listAgreements(client: ConsortiumClient, jurisdictions: string[]): Promise<AgreementSummary[]> {
  const out: AgreementSummary[] = [];
  const codes = [...new Set(jurisdictions)];
  for (const from of codes) {
    for (const to of codes) {
      if (from === to) continue;
      const ids = await client.agreements.agreementsBetween(toJurisdiction(from), toJurisdiction(to));
      for (const id of ids) {
        const g = await client.agreements.getAgreement(id);
        const categories: number[] = [];
        for (let c = 0; c < 64; ++c) if ((g.terms.categories >> BigInt(c)) & 1n) categories.push(c);
        out.push({
          id,
          from: fromJurisdiction(g.terms.from),
          to: fromJurisdiction(g.terms.to),
          categories,
          minAssurance: Number(g.terms.minAssurance),
          anchorWindow: Number(g.terms.anchorWindow),
          responseWindow: Number(g.terms.responseWindow),
          emergencyResponseWindow: Number(g.terms.emergencyResponseWindow),
          concludedAt: Number(g.concludedAt),
          suspended: g.suspended,
        });
      }
    }
  }
  return out.sort((a, b) => Number(a.id - b.id));
}
