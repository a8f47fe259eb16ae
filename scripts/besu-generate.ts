/**
 * Writes a new Hyperledger Besu QBFT network for crossproof: validator keys, the genesis (QBFT extraData listing the
 * validators), the shared allowlists and each node's configuration. See docs/BESU.md.
 *
 *   npm run besu:generate -- --countries 4 --validators-per-country 2 --out deploy/besu/network
 *   npm run besu:generate -- --countries FR,DE,US,ES --validators-per-country 2 --chain-id 4270713 \
 *     --hosts hosts.json --out deploy/besu/network
 *
 * Keys are written with mode 0600 under nodes/<name>/key and accounts/<name>.key: move each to its own machine.
 */
import { existsSync, readFileSync, readdirSync } from "node:fs";
import path from "node:path";
import { Command } from "commander";
import { DEFAULT_CHAIN_ID, DEFAULT_COUNTRIES, generateNetwork } from "./besu-network";

const program = new Command()
  .name("besu:generate")
  .description("write keys, genesis, allowlists and node configurations of a crossproof Besu QBFT network")
  .option("--countries <n|codes>", "how many countries (the first of FR,DE,US,ES,IT,NL,PL,BE) or a list of codes", "4")
  .option("--validators-per-country <n>", "validators each country runs", "2")
  .option("--chain-id <id>", "the network's chain id", String(DEFAULT_CHAIN_ID))
  .option("--hosts <file>", 'JSON object: node name ("fr-1") → its IP address (default 10.x.0.y placeholders)')
  .option("--out <dir>", "folder to write (must be empty or absent)", "deploy/besu/network")
  .parse();

const o = program.opts<{
  countries: string;
  validatorsPerCountry: string;
  chainId: string;
  hosts?: string;
  out: string;
}>();
const countries = /^\d+$/.test(o.countries)
  ? DEFAULT_COUNTRIES.slice(0, Number(o.countries))
  : o.countries.split(",").map((c) => c.trim().toUpperCase());
if (/^\d+$/.test(o.countries) && Number(o.countries) > DEFAULT_COUNTRIES.length) {
  program.error(`--countries: at most ${DEFAULT_COUNTRIES.length} by number; list the codes for more`);
}
if (existsSync(o.out) && readdirSync(o.out).length > 0) {
  program.error(`${o.out} is not empty: generating again would replace the keys of a network that may be running`);
}
try {
  const manifest = generateNetwork({
    out: o.out,
    countries,
    validatorsPerCountry: Number(o.validatorsPerCountry),
    chainId: Number(o.chainId),
    ...(o.hosts === undefined ? {} : { hosts: JSON.parse(readFileSync(o.hosts, "utf8")) as Record<string, string> }),
  });
  console.log(
    `wrote a ${manifest.validators.length}-validator network (${countries.join(", ")}; chain id ${manifest.chainId}) ` +
      `to ${path.resolve(o.out)}`,
  );
  for (const v of manifest.validators) console.log(`  validator ${v.name.padEnd(6)} ${v.address}  ${v.host}`);
  for (const a of manifest.accounts) console.log(`  account   ${a.name.padEnd(10)} ${a.address}`);
  console.log(`next: npm run lint:genesis -- ${path.join(o.out, "genesis.json")}`);
} catch (err) {
  program.error((err as Error).message);
}
