/**
 * Keeps every node's allowlists equal to the consortium's `permissions_config.toml` (docs/BESU.md, "Allowlists"):
 * reads each node's lists over its PERM API, reports what differs, and with `--apply` adds what a node lacks
 * (`perm_addAccountsToAllowlist`, `perm_addNodesToAllowlist`; Besu writes them into its own file). Entries a node has
 * and the file does not are reported, never removed by this tool. Exits 1 while any node differs.
 *
 *   npm run besu:allowlists -- --file deploy/besu/network/permissions_config.toml \
 *     --rpc http://fr-1.internal:8545 --rpc http://de-1.internal:8545 [--apply]
 */
import { readFileSync } from "node:fs";
import { Command } from "commander";

export interface Allowlists {
  accounts: string[];
  nodes: string[];
}

/** The two lists of a `permissions_config.toml` as the generator writes it (TOML arrays of strings). */
export function parsePermissionsConfig(text: string): Allowlists {
  const list = (key: string): string[] => {
    const m = new RegExp(`^\\s*${key}\\s*=\\s*(\\[[^\\]]*\\])`, "m").exec(text);
    if (m === null) throw new Error(`no ${key} in the permissions file`);
    return JSON.parse(m[1]!) as string[];
  };
  return { accounts: list("accounts-allowlist"), nodes: list("nodes-allowlist") };
}

export interface NodeDifference {
  rpc: string;
  /** In the file, not on the node. */
  missingAccounts: string[];
  missingNodes: string[];
  /** On the node, not in the file. */
  extraAccounts: string[];
  extraNodes: string[];
}

type Rpc = (url: string, method: string, params: unknown[]) => Promise<unknown>;

const jsonRpc: Rpc = async (url, method, params) => {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
  });
  const body = (await res.json()) as { result?: unknown; error?: { message?: string } };
  if (body.error !== undefined) throw new Error(`${url} ${method}: ${body.error.message ?? "error"}`);
  return body.result;
};

/** Compares one node's lists with the file's; with `apply`, adds what it lacks first and compares again. */
export async function reconcileNode(url: string, want: Allowlists, apply: boolean, rpc: Rpc = jsonRpc) {
  const read = async (): Promise<NodeDifference> => {
    const accounts = ((await rpc(url, "perm_getAccountsAllowlist", [])) as string[]).map((a) => a.toLowerCase());
    const nodes = (await rpc(url, "perm_getNodesAllowlist", [])) as string[];
    const wantAccounts = want.accounts.map((a) => a.toLowerCase());
    return {
      rpc: url,
      missingAccounts: want.accounts.filter((a) => !accounts.includes(a.toLowerCase())),
      missingNodes: want.nodes.filter((n) => !nodes.includes(n)),
      extraAccounts: accounts.filter((a) => !wantAccounts.includes(a)),
      extraNodes: nodes.filter((n) => !want.nodes.includes(n)),
    };
  };
  const before = await read();
  if (!apply) return before;
  if (before.missingAccounts.length > 0) await rpc(url, "perm_addAccountsToAllowlist", [before.missingAccounts]);
  if (before.missingNodes.length > 0) await rpc(url, "perm_addNodesToAllowlist", [before.missingNodes]);
  return read();
}

const differs = (d: NodeDifference) =>
  d.missingAccounts.length + d.missingNodes.length + d.extraAccounts.length + d.extraNodes.length > 0;

if (require.main === module) {
  const program = new Command()
    .name("besu:allowlists")
    .description("compare (and with --apply, complete) every node's allowlists with the consortium's file")
    .requiredOption("--file <toml>", "the consortium's permissions_config.toml")
    .requiredOption("--rpc <url...>", "each node's JSON-RPC URL (PERM API enabled)")
    .option("--apply", "add to each node what it lacks", false)
    .parse();
  const o = program.opts<{ file: string; rpc: string[]; apply: boolean }>();
  void (async () => {
    const want = parsePermissionsConfig(readFileSync(o.file, "utf8"));
    let bad = 0;
    for (const url of o.rpc) {
      const d = await reconcileNode(url, want, o.apply);
      if (!differs(d)) {
        console.log(`${url}: same as the file (${want.accounts.length} accounts, ${want.nodes.length} nodes)`);
        continue;
      }
      bad++;
      console.log(`${url}: differs`);
      for (const a of d.missingAccounts) console.log(`  lacks account ${a}`);
      for (const n of d.missingNodes) console.log(`  lacks node ${n}`);
      for (const a of d.extraAccounts) console.log(`  has account ${a}, not in the file`);
      for (const n of d.extraNodes) console.log(`  has node ${n}, not in the file`);
    }
    process.exit(bad === 0 ? 0 : 1);
  })().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
