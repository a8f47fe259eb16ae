import { expect } from "chai";
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { build } from "esbuild";

const src = path.resolve(__dirname, "..", "..", "sdk", "src");
const DOMAINS = ["evidence", "licensing", "assistance", "consortium"] as const;
/** What a pure domain module must never pull in, directly or through another module: network and chain I/O. */
const IO_MODULES = [
  "typechain/",
  "contract-client.ts",
  "relayer.ts",
  "provider.ts",
  "json-rpc.ts",
  "store.ts",
  "gateway-client.ts",
  "connect.ts",
];

/** The SDK's files each domain module reaches, resolved by a bundler (so an indirect import counts too). */
async function reachedFrom(entry: string): Promise<string[]> {
  const result = await build({
    entryPoints: [path.join(src, entry)],
    bundle: true,
    platform: "browser",
    format: "esm",
    write: false,
    metafile: true,
    logLevel: "silent",
  });
  return Object.keys(result.metafile.inputs).filter((f) => f.startsWith("sdk/src/"));
}

/**
 * One layout per domain (issue 10): `<domain>.ts` holds the domain's types, EIP-712 tables, ids and the contract's
 * rules mirrored offline; `<domain>-client.ts` talks to the chain. The pure half must stay pure — a court's page, a
 * platform's edge, a test can use it with no node and no network — and each client builds on its own pure half.
 */
describe("SDK layout: a pure module and a client per domain", function () {
  this.timeout(60_000);

  for (const domain of DOMAINS) {
    it(`${domain}.ts reaches no chain, network or storage module and bundles for a browser`, async function () {
      const reached = await reachedFrom(`${domain}.ts`);
      expect(reached).to.include(`sdk/src/${domain}.ts`);
      expect(reached.filter((f) => IO_MODULES.some((m) => f.includes(m)))).to.deep.equal([]);
    });

    it(`${domain}-client.ts builds on ${domain}.ts and exports a ContractClient`, function () {
      const text = readFileSync(path.join(src, `${domain}-client.ts`), "utf8");
      expect(text).to.match(new RegExp(`from "\\./${domain}";`));
      expect(text).to.match(/export class \w+Client extends ContractClient</);
    });
  }

  it("no other module holds a ContractClient, and every client file belongs to a domain", function () {
    const clients = readdirSync(src)
      .filter((f) => f.endsWith(".ts"))
      .filter((f) => /extends ContractClient</.test(readFileSync(path.join(src, f), "utf8")));
    expect(clients.sort()).to.deep.equal(DOMAINS.map((d) => `${d}-client.ts`).sort());
  });
});
