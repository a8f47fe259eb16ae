/**
 * One call from a deployment record and a chain node to every client, configured the way the SDK needs: the SDK's
 * own provider (no request batching, no response cache, a chain clock for deadlines) and, when a key is given, one
 * {@link Relayer} that submits every signed request.
 */
import type { JsonRpcApiProvider, Signer } from "ethers";
import { AssistanceClient } from "./assistance-client";
import { ConsortiumClient } from "./consortium-client";
import { chainTimeOf } from "./contract-client";
import {
  contractHistory,
  parseDeployment,
  readDeploymentFile,
  type DeployedContractName,
  type DeploymentRecord,
} from "./deployment";
import { CrossproofError } from "./errors";
import { EvidenceClient } from "./evidence-client";
import { LicenceClient } from "./licensing-client";
import { createProvider, type CreateProviderOptions } from "./provider";
import { Relayer, type RelayerOptions } from "./relayer";
import type { VerificationReport } from "./report";
import { EvidenceVerifier, type VerifyEvidenceParameters } from "./verify";

/** Parameters of {@link connect}. */
export type ConnectParameters = (
  | {
      /** The chain node's JSON-RPC URL (e.g. `http://127.0.0.1:8545`, or the member's Besu node). */
      rpcUrl: string;
      providerOptions?: CreateProviderOptions;
    }
  | {
      /**
       * A provider you configured. Prefer `rpcUrl`: a plain ethers `JsonRpcProvider` batches and caches requests,
       * which makes back-to-back submissions reuse nonces and deadlines read stale chain time.
       */
      provider: JsonRpcApiProvider;
    }
) & {
  /** The deployment record, or the path of its file (JSON, as `npm run deploy` writes it). */
  deployment: DeploymentRecord | string;
  /**
   * Who pays for and sends the signed requests: a private key (a {@link Relayer} is made for it) or a Signer of
   * yours. Absent: a read-and-verify connection; signing needs no relayer, submitting does.
   */
  relayer?: string | Signer;
  relayerOptions?: RelayerOptions;
};

/** Every client of one consortium deployment, and the verifier. */
export interface Crossproof {
  readonly deployment: DeploymentRecord;
  readonly provider: JsonRpcApiProvider;
  readonly chainId: bigint;
  readonly consortium: ConsortiumClient;
  readonly evidence: EvidenceClient;
  readonly licenses: LicenceClient;
  readonly assistance: AssistanceClient;
  /** The verifier (evidence, consortium and licences), reading each record where it was anchored. */
  readonly verifier: EvidenceVerifier;
  /** What submits signed requests; undefined on a read-and-verify connection. */
  readonly relayer: Signer | undefined;
  /** {@link verifyEvidence} through this connection. */
  verify(p: VerifyEvidenceParameters): Promise<VerificationReport>;
  /** Chain time (unix seconds): the clock deadlines and validity windows are checked against. */
  chainTime(): Promise<number>;
  /** The relayer, asserting there is one (`INVALID_ARGUMENT` on a read-and-verify connection). */
  requireRelayer(): Signer;
  /** Stops the relayer (if this call made it) and the provider (if this call made it). */
  close(): void;
}

/**
 * Connects to a consortium's deployment: checks that the node serves the chain the record names and that the
 * Consortium there is the one the record names (its consortium id, the salt of every EIP-712 domain), then returns
 * every client.
 *
 * Errors: `DEPLOYMENT_NOT_FOUND` / `DEPLOYMENT_INVALID` (the file), `DEPLOYMENT_MISMATCH` (another chain, or
 * another consortium at that address), `CHAIN_ERROR` (the node cannot be reached).
 * @example
 * const cp = await connect({ rpcUrl: "http://127.0.0.1:8545", deployment: ".crossproof/deployment.json" });
 * const report = await cp.verify({ evidence: { contentHash }, verifier: { jurisdiction: "DE" } });
 * console.log(report.indication);
 * cp.close();
 */
export async function connect(p: ConnectParameters): Promise<Crossproof> {
  const deployment =
    typeof p.deployment === "string" ? readDeploymentFile(p.deployment) : parseDeployment(p.deployment);
  const ownsProvider = "rpcUrl" in p;
  const provider: JsonRpcApiProvider = ownsProvider
    ? createProvider(p.rpcUrl, { chainId: deployment.chainId, ...p.providerOptions })
    : p.provider;
  let relayer: Signer | undefined;
  let ownsRelayer = false;
  const close = () => {
    if (ownsRelayer) (relayer as Relayer).close();
    if (ownsProvider) provider.destroy();
  };
  try {
    await checkChain(provider, deployment, "rpcUrl" in p ? p.rpcUrl : undefined);
    const address = (name: DeployedContractName) => deployment.contracts[name].address;
    const [consortium, evidence, licenses, assistance] = await Promise.all([
      ConsortiumClient.connect(address("Consortium"), provider),
      EvidenceClient.connect(address("EvidenceRegistry"), provider),
      LicenceClient.connect(address("LicenseRegistry"), provider),
      AssistanceClient.connect(address("AssistanceDesk"), provider),
    ]);
    const salt = String(consortium.domains.consortium.salt ?? "").toLowerCase();
    if (salt !== deployment.consortiumId.toLowerCase()) {
      throw new CrossproofError(
        "DEPLOYMENT_MISMATCH",
        `the Consortium at ${address("Consortium")} has consortium id ${salt}, the deployment record says ` +
          `${deployment.consortiumId}: this record is not for the consortium on this chain`,
        { details: { expected: deployment.consortiumId, actual: salt } },
      );
    }
    for (const [name, client] of [
      ["ConsortiumGovernance", consortium.governance],
      ["RecognitionAgreements", consortium.agreements],
    ] as const) {
      const at = (await client.getAddress()).toLowerCase();
      if (at !== address(name).toLowerCase()) {
        throw new CrossproofError(
          "DEPLOYMENT_MISMATCH",
          `the Consortium names ${at} as its ${name}, the deployment record ${address(name)}`,
        );
      }
    }
    if (typeof p.relayer === "string") {
      relayer = new Relayer(p.relayer, provider, p.relayerOptions ?? {});
      ownsRelayer = true;
    } else {
      relayer = p.relayer;
    }
    // Records anchored under an earlier EvidenceRegistry of this consortium are read where they were anchored.
    const earlierEvidence = await Promise.all(
      contractHistory(deployment, "EvidenceRegistry")
        .slice(1)
        .map((c) => EvidenceClient.connect(c.address, provider)),
    );
    const verifier = EvidenceVerifier.fromClients({ evidence, consortium, licenses, earlierEvidence });
    return {
      deployment,
      provider,
      chainId: BigInt(deployment.chainId),
      consortium,
      evidence,
      licenses,
      assistance,
      verifier,
      relayer,
      verify: (v) => verifier.verify(v),
      chainTime: () => chainTimeOf(provider),
      requireRelayer() {
        if (relayer === undefined) {
          throw new CrossproofError(
            "INVALID_ARGUMENT",
            "this connection has no relayer: pass `relayer` (a private key or a Signer) to connect() to submit",
          );
        }
        return relayer;
      },
      close,
    };
  } catch (err) {
    close();
    throw err;
  }
}

/** The node serves the record's chain. */
async function checkChain(provider: JsonRpcApiProvider, deployment: DeploymentRecord, url: string | undefined) {
  let chainId: bigint;
  try {
    chainId = BigInt((await provider.send("eth_chainId", [])) as string);
  } catch (cause) {
    throw new CrossproofError(
      "CHAIN_ERROR",
      `cannot reach the chain node${url === undefined ? "" : ` at ${url}`}: is it running, and is the URL right?`,
      { cause },
    );
  }
  if (chainId !== BigInt(deployment.chainId)) {
    throw new CrossproofError(
      "DEPLOYMENT_MISMATCH",
      `the node${url === undefined ? "" : ` at ${url}`} serves chain ${chainId}, the deployment record is for chain ` +
        `${deployment.chainId}`,
      { details: { expected: deployment.chainId, actual: Number(chainId) } },
    );
  }
}
