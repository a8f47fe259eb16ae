/**
 * The demo members' gateway for `npm start`: each demo member (Anvil's public test keys) gets a report key and a
 * package key, registered on chain and kept in the gateway's encrypted keystore; then the gateway starts, hosting
 * them all. Local development only: the member keys are public, the keystore password a known default.
 */
import { copyFileSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Provider } from "ethers";
import {
  ConsortiumClient,
  generateRecipientKey,
  generateReportKey,
  type DeploymentRecord,
  type RecipientPrivateKey,
} from "../../sdk/src";
import { loadGatewayConfig, type ConfigKey } from "../../server/src/config";
import { startGateway, type RunningGateway } from "../../server/src/gateway";
import { addKeys, loadKeystore, type HostedMember } from "../../server/src/keystore";
import { gatewayModules } from "../../server/src/modules";
import { devAccount, devAccountFor } from "./anvil";

/** The keystore password `npm start` uses when CROSSPROOF_KEYSTORE_PASSWORD is not set (demo only). */
export const DEMO_KEYSTORE_PASSWORD = "crossproof demo keystore (local only)";
/** The account that relays the gateway's submissions (Anvil dev account 9: no demo member, not the deployer). */
export const GATEWAY_RELAYER_ACCOUNT = 9;

export interface DemoGatewayParameters {
  provider: Provider;
  record: DeploymentRecord;
  rpcUrl: string;
  dataDir: string;
  /** Extra configuration (port, host…); the environment is read too. */
  overrides?: Partial<Record<ConfigKey, string>>;
  log?: (line: string) => void;
}

/**
 * Makes sure every demo member has a report key and a package key registered on chain and held in the keystore
 * (idempotent: keys already registered are reused; keys of a chain that was reset are registered again), then starts
 * the gateway.
 */
export async function startDemoGateway(p: DemoGatewayParameters): Promise<RunningGateway> {
  const log = p.log ?? (() => {});
  const config = loadGatewayConfig(process.env, {
    dataDir: p.dataDir,
    rpcUrl: p.rpcUrl,
    relayerKey: process.env.CROSSPROOF_RELAYER_KEY ?? devAccount(GATEWAY_RELAYER_ACCOUNT, p.provider).privateKey,
    keystorePassword: process.env.CROSSPROOF_KEYSTORE_PASSWORD ?? DEMO_KEYSTORE_PASSWORD,
    ...p.overrides,
  });
  const consortium = await ConsortiumClient.connect(p.record.contracts.Consortium.address, p.provider);
  const relayer = devAccount(0, p.provider);
  const held = await loadKeystore(config.keystoreDir, config.keystorePassword);
  const count = Number(await consortium.consortium.memberCount());
  let changed = false;
  for (let id = 1; id <= count; ++id) {
    const memberKeys = await consortium.consortium.keysOf(id);
    const member = memberKeys.map((k) => devAccountFor(k, p.provider)).find((w) => w !== undefined);
    if (member === undefined) continue; // not a demo key: the gateway cannot act for it
    const have = held.get(BigInt(id));
    const reportKeys = have?.reportKeys ?? [];
    const packageKeys: RecipientPrivateKey[] = have?.packageKeys ?? [];
    const toAdd: { reportKeys: typeof reportKeys; packageKeys: RecipientPrivateKey[] } = {
      reportKeys: [],
      packageKeys: [],
    };
    if (reportKeys.length === 0) {
      const k = await generateReportKey();
      toAdd.reportKeys.push({ kid: k.kid, jwk: k.privateJwk });
    }
    if (packageKeys.length === 0) {
      const k = await generateRecipientKey();
      toAdd.packageKeys.push(k.privateKey);
    }
    // Re-encrypting a key file costs a full PBKDF2 run: only when something is new (a restart adds nothing).
    const hasSigner = have?.signers.some((w) => w.address === member.address) ?? false;
    if (!hasSigner || toAdd.reportKeys.length > 0 || toAdd.packageKeys.length > 0) {
      changed = true;
      await addKeys(config.keystoreDir, config.keystorePassword, {
        memberId: id,
        signingKeys: [member.privateKey],
        ...toAdd,
      });
    }
    // Register on chain what the chain does not have yet (a new chain with an old keystore, or new keys).
    for (const [purpose, keys] of [
      ["Report", [...reportKeys, ...toAdd.reportKeys]],
      ["Encryption", [...packageKeys, ...toAdd.packageKeys]],
    ] as const) {
      for (const k of keys) {
        if (await consortium.isValidPublicKey(id, k.kid, purpose)) continue;
        const { d: _d, ...publicJwk } = k.jwk;
        const signed = await consortium.signAddOwnPublicKey(member, id, { purpose, jwk: publicJwk });
        await (await consortium.submit(signed, relayer)).wait();
        log(`member ${id}: ${purpose.toLowerCase()} key ${k.kid} registered`);
      }
    }
  }
  // A restart added nothing: the keystore opened above is the gateway's (no second PBKDF2 run per file).
  return startGateway(config, gatewayModules, changed ? {} : { members: held });
}

/** Where `npm start`'s gateway keeps its keystore for a data folder, and its password (the environment's, or the demo's). */
export function demoKeystore(dataDir: string, env: NodeJS.ProcessEnv = process.env): { dir: string; password: string } {
  const config = loadGatewayConfig(env, {
    dataDir,
    keystorePassword: env.CROSSPROOF_KEYSTORE_PASSWORD ?? DEMO_KEYSTORE_PASSWORD,
  });
  return { dir: config.keystoreDir, password: config.keystorePassword };
}

/**
 * One hosted member's keys from the demo gateway's keystore, as the member's own staff would take them from its key
 * vault (on `npm start`'s one-machine stack, the member's vault is the gateway's keystore): only that member's file is
 * opened (one PBKDF2 run), through a private copy removed at once.
 */
export async function demoMemberKeys(dataDir: string, memberId: number | bigint): Promise<HostedMember> {
  const { dir, password } = demoKeystore(dataDir);
  const file = path.join(dir, `member-${BigInt(memberId)}.jwe`);
  if (!existsSync(file)) {
    throw new Error(`no key file for member ${memberId} in ${dir}: is this the data folder npm start uses?`);
  }
  const one = mkdtempSync(path.join(tmpdir(), "crossproof-member-keys-"));
  try {
    copyFileSync(file, path.join(one, path.basename(file)));
    const held = (await loadKeystore(one, password, {})).get(BigInt(memberId));
    if (held === undefined) throw new Error(`${file} holds no keys of member ${memberId}`);
    return held;
  } finally {
    rmSync(one, { recursive: true, force: true });
  }
}
