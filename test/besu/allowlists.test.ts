import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "../../scripts/lib/anvil";
import { generateNetwork, permissionsConfig } from "../../scripts/besu-network";
import { parsePermissionsConfig, reconcileNode, type Allowlists } from "../../scripts/besu-allowlists";

/**
 * A double of a Besu node's PERM API (no Besu can run here): the four methods the tool uses, with Besu's answer
 * shapes (`perm_add*` answers "Success"; an entry already listed is an error, as Besu's "Request contains an existing
 * …" is).
 */
async function permDouble(initial: Allowlists): Promise<{ url: string; lists: Allowlists; close(): Promise<void> }> {
  const lists = { accounts: [...initial.accounts], nodes: [...initial.nodes] };
  const server: Server = createServer((req, res) => {
    let body = "";
    req.on("data", (c: Buffer) => (body += c.toString()));
    req.on("end", () => {
      const call = JSON.parse(body) as { id: number; method: string; params: unknown[] };
      const answer = (result: unknown) => res.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, result }));
      const fail = (message: string) =>
        res.end(JSON.stringify({ jsonrpc: "2.0", id: call.id, error: { code: -32000, message } }));
      const add = (list: string[]) => {
        const items = call.params[0] as string[];
        if (items.some((i) => list.includes(i))) return fail("Request contains an existing entry");
        list.push(...items);
        return answer("Success");
      };
      switch (call.method) {
        case "perm_getAccountsAllowlist":
          return answer(lists.accounts);
        case "perm_getNodesAllowlist":
          return answer(lists.nodes);
        case "perm_addAccountsToAllowlist":
          return add(lists.accounts);
        case "perm_addNodesToAllowlist":
          return add(lists.nodes);
        default:
          return fail("Method not found");
      }
    });
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${port}`,
    lists,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe("Besu allowlists: every node as the consortium's file (npm run besu:allowlists)", function () {
  let out: string;
  before(() => (out = mkdtempSync(path.join(tmpdir(), "crossproof-allowlists-"))));
  after(() => rmSync(out, { recursive: true, force: true }));

  it("reads the file the generator writes", function () {
    const m = generateNetwork({ out: path.join(out, "net"), countries: ["FR", "DE"], validatorsPerCountry: 2 });
    const lists = parsePermissionsConfig(readFileSync(path.join(out, "net", "permissions_config.toml"), "utf8"));
    expect(lists.nodes).to.deep.equal(m.validators.map((v) => v.enode));
    expect(lists.accounts).to.deep.equal(m.accounts.map((a) => a.address));
  });

  it("brings a new country's nodes and relayer to a node that lacks them, and reports what it has beyond the file", async function () {
    const net = generateNetwork({
      out: path.join(out, "four"),
      countries: ["FR", "DE", "US", "ES"],
      validatorsPerCountry: 2,
    });
    const it = generateNetwork({ out: path.join(out, "it"), countries: ["IT"], validatorsPerCountry: 2 });
    const before = parsePermissionsConfig(permissionsConfig(net));
    // The consortium's file after admitting IT: IT's validators and its relayer added.
    const after = parsePermissionsConfig(
      permissionsConfig({
        ...net,
        validators: [...net.validators, ...it.validators],
        accounts: [...net.accounts, ...it.accounts.filter((a) => a.name === "relayer-it")],
      }),
    );
    const stray = "0x000000000000000000000000000000000000dEaD";
    const node = await permDouble({ accounts: [...before.accounts, stray], nodes: before.nodes });
    try {
      const seen = await reconcileNode(node.url, after, false);
      expect(seen.missingNodes).to.deep.equal(it.validators.map((v) => v.enode));
      expect(seen.missingAccounts).to.deep.equal([it.accounts.find((a) => a.name === "relayer-it")!.address]);
      expect(seen.extraAccounts).to.deep.equal([stray.toLowerCase()]);
      expect(node.lists.nodes).to.have.length(8); // only looked

      const applied = await reconcileNode(node.url, after, true);
      expect([applied.missingAccounts, applied.missingNodes, applied.extraNodes]).to.deep.equal([[], [], []]);
      expect(applied.extraAccounts).to.deep.equal([stray.toLowerCase()]); // never removed by the tool
      expect(node.lists.nodes).to.have.length(10);
      // Applying again adds nothing (Besu would refuse an existing entry).
      expect((await reconcileNode(node.url, after, true)).missingNodes).to.deep.equal([]);
    } finally {
      await node.close();
    }
  });
});
