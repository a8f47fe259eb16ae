/**
 * What a client needs to sign requests without a chain node of its own: the chain and consortium ids, every contract
 * with its address and EIP-712 domain, the head block and chain time, a signer's next nonce at each contract
 * (`GET /v1/chain`); and a read-only JSON-RPC endpoint onto the chain the gateway reads (`POST /v1/chain/rpc`), so the
 * SDK (and the `crossproof` CLI with `--gateway` alone) can read the chain through the gateway.
 *
 * Nothing here is secret: the chain is readable by every member's node anyway. The trust point is the gateway itself:
 * a client that signs with the domain and nonce the gateway states trusts the gateway to state them truly (a wrong
 * domain makes signatures the contracts refuse, nothing worse: the signature binds the contract address and chain).
 * A member who does not trust its gateway reads its own node (`--rpc`).
 */
import { Contract, id, type TypedDataDomain } from "ethers";
import { z } from "../zod";
import { DEPLOYED_CONTRACTS, contractHistory, type DeployedContractName } from "../../../sdk/src";
import type { GatewayContext, GatewayModule } from "../gateway";
import { Problem } from "../problems";

const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address (0x + 40 hex digits)");

const DomainSchema = z
  .object({
    name: z.string(),
    version: z.string(),
    chainId: z.number().int(),
    verifyingContract: address,
    salt: z.string().optional(),
  })
  .openapi("Eip712Domain");

const ChainSchema = z
  .object({
    chainId: z.number().int(),
    consortiumId: z.string(),
    consortiumName: z.string(),
    head: z.object({ number: z.number().int(), hash: z.string(), timestamp: z.number().int() }),
    chainTime: z
      .number()
      .int()
      .openapi({ description: "The head block's timestamp: what deadlines are checked against" }),
    contracts: z.record(
      z.object({
        address,
        domain: DomainSchema.optional().openapi({ description: "The EIP-712 domain requests to it are signed for" }),
      }),
    ),
    nonces: z
      .record(z.string())
      .optional()
      .openapi({ description: "With ?signer=: the signer's next nonce at each contract that takes signed requests" }),
    deployment: z.record(z.unknown()).openapi({ description: "The deployment record (as `npm run deploy` writes it)" }),
  })
  .openapi("ChainInfo");

/** The JSON-RPC methods the proxy answers: reads only. */
export const RPC_READ_METHODS = new Set([
  "eth_chainId",
  "net_version",
  "eth_blockNumber",
  "eth_getBlockByNumber",
  "eth_getBlockByHash",
  "eth_call",
  "eth_getCode",
  "eth_getLogs",
  "eth_getTransactionByHash",
  "eth_getTransactionReceipt",
]);
/** The most calls one JSON-RPC batch may carry. */
export const RPC_MAX_BATCH = 50;

const RpcCall = z
  .object({
    jsonrpc: z.literal("2.0"),
    id: z.union([z.number(), z.string(), z.null()]),
    method: z.string(),
    params: z.array(z.unknown()).default([]),
  })
  .openapi("JsonRpcCall");

type RpcAnswer = { jsonrpc: "2.0"; id: unknown; result?: unknown; error?: { code: number; message: string } };

function domainJson(d: TypedDataDomain): z.infer<typeof DomainSchema> {
  return {
    name: String(d.name),
    version: String(d.version),
    chainId: Number(d.chainId),
    verifyingContract: String(d.verifyingContract),
    ...(d.salt === undefined || d.salt === null ? {} : { salt: String(d.salt) }),
  };
}

export const chainModule: GatewayModule = (ctx: GatewayContext) => {
  const tags = ["chain"];
  const cp = ctx.cp;
  const domains: Partial<Record<DeployedContractName, TypedDataDomain>> = {
    Consortium: cp.consortium.domains.consortium,
    ConsortiumGovernance: cp.consortium.domains.governance,
    RecognitionAgreements: cp.consortium.domains.agreements,
    EvidenceRegistry: cp.evidence.domain,
    LicenseRegistry: cp.licenses.domain,
    AssistanceDesk: cp.assistance.domain,
  };
  /** Every address the chain's contracts of this consortium live at, current and retired (eth_call/getLogs targets). */
  const known = new Set<string>();
  for (const name of DEPLOYED_CONTRACTS) {
    for (const c of contractHistory(cp.deployment, name)) known.add(c.address.toLowerCase());
  }

  ctx.api.route({
    method: "get",
    path: "/v1/chain",
    summary: "The chain, its contracts and EIP-712 domains, chain time; a signer's nonces",
    description:
      "Everything a client needs to sign a request offline without a chain node: the EIP-712 domain of each " +
      "contract, chain time (for deadlines) and, with `signer`, its next nonce at each contract. Public: nothing " +
      "here is secret. A client trusts the gateway for these values; one that does not reads its own node.",
    tags,
    auth: "public",
    query: z.object({ signer: address.optional() }).strict(),
    responses: { 200: { description: "The chain as the gateway reads it", schema: ChainSchema } },
    handler: async ({ query }) => {
      const block = await cp.provider.getBlock("latest");
      if (block === null) throw new Problem("chain-unavailable", "the chain node answered no latest block");
      const contracts: Record<string, { address: string; domain?: z.infer<typeof DomainSchema> }> = {};
      for (const name of DEPLOYED_CONTRACTS) {
        const domain = domains[name];
        contracts[name] = {
          address: cp.deployment.contracts[name].address,
          ...(domain === undefined ? {} : { domain: domainJson(domain) }),
        };
      }
      let nonces: Record<string, string> | undefined;
      if (query.signer !== undefined) {
        nonces = {};
        for (const name of DEPLOYED_CONTRACTS) {
          const c = new Contract(
            cp.deployment.contracts[name].address,
            ["function nonces(address) view returns (uint256)"],
            cp.provider,
          );
          const n = (await c.getFunction("nonces").staticCall(query.signer, { blockTag: block.number })) as bigint;
          nonces[name] = n.toString();
        }
      }
      return {
        status: 200,
        headers: { "cache-control": "no-store" },
        body: {
          chainId: Number(cp.chainId),
          consortiumId: cp.deployment.consortiumId,
          consortiumName: cp.deployment.consortiumName,
          head: { number: block.number, hash: block.hash ?? "", timestamp: block.timestamp },
          chainTime: block.timestamp,
          contracts,
          ...(nonces === undefined ? {} : { nonces }),
          deployment: cp.deployment as unknown as Record<string, unknown>,
        },
      };
    },
  });

  /**
   * What a signed-in account that is not a member (a rights holder, a licensee) may read here: what signing its own
   * licensing requests needs — the chain, block headers, and calls to the Consortium and the LicenseRegistry (a
   * licence is read by its unguessable id). No logs, no transactions, no other contract: least disclosure.
   */
  const accountTargets = new Set(
    (["Consortium", "LicenseRegistry"] as const).flatMap((n) =>
      contractHistory(cp.deployment, n).map((c) => c.address.toLowerCase()),
    ),
  );
  const ACCOUNT_METHODS = new Set([
    "eth_chainId",
    "net_version",
    "eth_blockNumber",
    "eth_getBlockByNumber",
    "eth_getCode",
    "eth_call",
  ]);
  /** Calls an account may make to any of the consortium's contracts: its EIP-712 domain (ERC-5267) and its nonces. */
  const ACCOUNT_ANY_CONTRACT_SELECTORS = new Set([
    id("eip712Domain()").slice(0, 10),
    id("nonces(address)").slice(0, 10),
  ]);
  const accountMayCall = (target: unknown, data: unknown): boolean => {
    if (typeof target !== "string") return false;
    if (accountTargets.has(target.toLowerCase())) return true;
    return (
      known.has(target.toLowerCase()) &&
      typeof data === "string" &&
      ACCOUNT_ANY_CONTRACT_SELECTORS.has(data.slice(0, 10).toLowerCase())
    );
  };

  async function answer(call: unknown, member: boolean): Promise<RpcAnswer> {
    const parsed = RpcCall.safeParse(call);
    const id = (call as { id?: unknown } | null)?.id ?? null;
    if (!parsed.success) return { jsonrpc: "2.0", id, error: { code: -32600, message: "not a JSON-RPC 2.0 call" } };
    const { method, params } = parsed.data;
    if (!member) {
      const tx = params[0] as { to?: unknown; data?: unknown; input?: unknown } | undefined;
      const allowed =
        ACCOUNT_METHODS.has(method) &&
        (method !== "eth_call" || accountMayCall(tx?.to, tx?.data ?? tx?.input)) &&
        (method !== "eth_getBlockByNumber" || params[1] !== true);
      if (!allowed) {
        return {
          jsonrpc: "2.0",
          id,
          error: {
            code: -32601,
            message:
              `${method} is not served to accounts: they read the chain, block headers, code, calls to the ` +
              "Consortium and the LicenseRegistry, and any contract's EIP-712 domain and nonces only",
          },
        };
      }
    }
    if (!RPC_READ_METHODS.has(method)) {
      return {
        jsonrpc: "2.0",
        id,
        error: { code: -32601, message: `${method} is not served here: the gateway's chain endpoint only reads` },
      };
    }
    if (method === "eth_call" || method === "eth_getLogs") {
      const target = (params[0] as { to?: unknown; address?: unknown } | undefined)?.[
        method === "eth_call" ? "to" : "address"
      ];
      const targets = Array.isArray(target) ? target : [target];
      if (targets.length === 0 || !targets.every((t) => typeof t === "string" && known.has(t.toLowerCase()))) {
        return {
          jsonrpc: "2.0",
          id,
          error: { code: -32602, message: `${method} is served only for this consortium's contracts` },
        };
      }
    }
    try {
      return { jsonrpc: "2.0", id, result: await cp.provider.send(method, params) };
    } catch (err) {
      const e = err as { error?: { code?: number; message?: string; data?: unknown }; message?: string };
      return {
        jsonrpc: "2.0",
        id,
        error: {
          code: e.error?.code ?? -32603,
          message: e.error?.message ?? e.message ?? "the chain node refused",
          ...(e.error?.data === undefined ? {} : { data: e.error.data }),
        },
      };
    }
  }

  ctx.api.route({
    method: "post",
    path: "/v1/chain/rpc",
    summary: "Read-only JSON-RPC onto the chain the gateway reads",
    description:
      `JSON-RPC 2.0 (one call, or a batch of up to ${RPC_MAX_BATCH}), answering only reads: ` +
      `${[...RPC_READ_METHODS].join(", ")}; eth_call and eth_getLogs only for this consortium's contracts. ` +
      "Signed-in members; accounts read the chain, headers and calls to the Consortium and LicenseRegistry only " +
      "(least disclosure). Transactions are not " +
      "relayed here (signed requests go to /v1/submissions). Errors are JSON-RPC errors.",
    tags,
    // Signed in: eth_call on the registries would show any stranger what least disclosure keeps from them; accounts
    // that are not members read only what signing their licensing requests needs.
    auth: "signed-in",
    body: z.union([RpcCall.passthrough(), z.array(z.unknown()).min(1).max(RPC_MAX_BATCH)]),
    responses: { 200: { description: "The JSON-RPC answer (or answers, in order)", schema: z.unknown() } },
    handler: async ({ body, principal }) => {
      const member = principal?.kind === "member";
      const answered = Array.isArray(body)
        ? await Promise.all(body.map((c) => answer(c, member)))
        : await answer(body, member);
      return { status: 200, headers: { "cache-control": "no-store" }, body: answered };
    },
  });
};
