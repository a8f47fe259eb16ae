/**
 * Upload-authorisation benchmark (`npm run bench:authorizations`): the latency of `POST /v1/authorizations` as a
 * platform sees it — over HTTP, signed answers included — for single queries and for batches, on a fresh embedded
 * chain (Anvil) with crossproof deployed and a gateway in this process.
 *
 *   BENCH_WORKS      works registered (default 20)
 *   BENCH_LICENSEES  licensees, each with one linked account and one licence per work (default 10)
 *   BENCH_SINGLE     single queries timed (default 300)
 *   BENCH_BATCHES    batches timed per batch size (default 20)
 *   BENCH_SIZES      batch sizes, comma-separated (default 100,1000)
 *
 * Queries mix the answer kinds (allowed, another territory or right, unknown work, unknown account), picked by a
 * fixed pseudo-random sequence so that runs compare. Reported: p50 and p99 of the request's wall time (ms), and for
 * batches the time per item. Setup (registrations, grants, links) is not timed.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { HDNodeWallet, Mnemonic, Wallet, id } from "ethers";
import {
  ConsortiumClient,
  LicenceClient,
  computeCid,
  createProvider,
  generateReportKey,
  loadConsortiumConfig,
  uploaderAccountHash,
  type RightName,
} from "../sdk/src";
import { loadGatewayConfig } from "../server/src/config";
import { startGateway } from "../server/src/gateway";
import { auditModule } from "../server/src/audit";
import { indexerModule } from "../server/src/indexer";
import { addKeys } from "../server/src/keystore";
import { authorizationsModule } from "../server/src/routes/authorizations";
import { ANVIL_MNEMONIC, freePort, startAnvil } from "./lib/anvil";
import { deployCrossproof } from "./lib/deploy";

const WORKS = Number(process.env.BENCH_WORKS ?? 20);
const LICENSEES = Number(process.env.BENCH_LICENSEES ?? 10);
const SINGLE = Number(process.env.BENCH_SINGLE ?? 300);
const BATCHES = Number(process.env.BENCH_BATCHES ?? 20);
const SIZES = (process.env.BENCH_SIZES ?? "100,1000").split(",").map(Number);
/** The demo consortium's platform member and its key (Anvil account 3). */
const PLATFORM = 3n;

const anvilKey = (i: number) =>
  new Wallet(HDNodeWallet.fromMnemonic(Mnemonic.fromPhrase(ANVIL_MNEMONIC), `m/44'/60'/0'/0/${i}`).privateKey);

/** A fixed pseudo-random sequence (mulberry32), so that every run asks the same questions. */
function sequence(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

async function main() {
  const dir = mkdtempSync(path.join(tmpdir(), "crossproof-bench-authorizations-"));
  const anvil = await startAnvil({ port: await freePort() });
  const provider = createProvider(anvil.url);
  try {
    const deploymentFile = path.join(dir, "deployment.json");
    const { record } = await deployCrossproof({
      signer: anvilKey(0).connect(provider),
      config: loadConsortiumConfig("config/demo-consortium.json"),
      deploymentFile,
    });
    const relayer = anvilKey(8).connect(provider);
    const licences = await LicenceClient.connect(record.contracts.LicenseRegistry.address, provider);
    const consortium = await ConsortiumClient.connect(record.contracts.Consortium.address, provider);
    const platformKey = anvilKey(3);
    const reportKey = await generateReportKey();
    await (
      await consortium.submit(
        await consortium.signAddOwnPublicKey(platformKey, PLATFORM, { purpose: "Report", jwk: reportKey.publicJwk }),
        relayer,
      )
    ).wait();
    const keystoreDir = path.join(dir, "keys");
    await addKeys(keystoreDir, "benchmark keystore password", {
      memberId: Number(PLATFORM),
      reportKeys: [{ kid: reportKey.kid, jwk: reportKey.privateJwk }],
      packageKeys: [],
    });

    console.log(`setup: ${WORKS} works, ${LICENSEES} licensees with a linked account and a licence per work`);
    const holder = new Wallet(id("bench holder"));
    const works = Array.from({ length: WORKS }, (_, i) => id(`bench work ${i}`));
    const licensees = Array.from({ length: LICENSEES }, (_, i) => new Wallet(id(`bench licensee ${i}`)));
    const accounts = licensees.map((_, i) => uploaderAccountHash(`bench-account-${i}`));
    const end = (await licences.chainTime()) + 365 * 24 * 3600;
    const pending: Promise<unknown>[] = [];
    const send = async (signed: Parameters<LicenceClient["submit"]>[0]) =>
      pending.push((await licences.submit(signed, relayer)).wait());
    for (const w of works) {
      await send(
        await licences.signRegisterWork(holder, {
          contentHash: w,
          rightsHolder: holder.address,
          originJurisdiction: "FR",
          metadataCid: await computeCid(new TextEncoder().encode(w)),
        }),
      );
    }
    await Promise.all(pending.splice(0));
    for (const w of works) {
      for (const l of licensees) {
        await send(
          await licences.signGrant(holder, {
            workId: w,
            licensee: l.address,
            rights: ["MAKE_AVAILABLE", "REPRODUCE"],
            territories: ["EU"],
            end,
          }),
        );
      }
    }
    for (const [i, l] of licensees.entries()) {
      const asked = await licences.signLinkAccount(l, { platform: PLATFORM, accountHash: accounts[i]! });
      await send(await licences.confirmAccountLink(platformKey, asked));
    }
    await Promise.all(pending.splice(0));

    const gw = await startGateway(
      loadGatewayConfig(
        {},
        {
          port: "0",
          rpcUrl: anvil.url,
          dataDir: path.join(dir, "gateway"),
          deploymentFile,
          keystoreDir,
          keystorePassword: "benchmark keystore password",
          indexerPollMs: "0",
          // The benchmark measures answers, not the per-client request limit.
          rateLimit: "1000000",
          logLevel: "silent",
        },
      ),
      [auditModule, indexerModule, authorizationsModule],
    );
    try {
      const { token } = await gw.ctx.sessions.issue({
        kind: "member",
        memberId: PLATFORM,
        roles: ["PLATFORM"],
        jurisdiction: "US",
        address: platformKey.address,
      });
      const next = sequence(15);
      const pick = <T>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
      const question = () => {
        const k = next();
        return {
          workId: k < 0.05 ? id(`unregistered ${next()}`) : pick(works),
          accountHash: k > 0.95 ? uploaderAccountHash(`unlinked ${next()}`) : pick(accounts),
          territory: pick(["FR", "DE", "ES", "US", "BR"]),
          right: pick(["MAKE_AVAILABLE", "REPRODUCE", "BROADCAST"] as RightName[]),
        };
      };
      const ask = async (body: unknown) => {
        const t0 = performance.now();
        const res = await fetch(`${gw.url}/v1/authorizations`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
          body: JSON.stringify(body),
        });
        const answer = (await res.json()) as { answers?: { answer: string }[]; detail?: string };
        if (res.status !== 200) throw new Error(`HTTP ${res.status}: ${answer.detail}`);
        return { ms: performance.now() - t0, answers: answer.answers! };
      };
      // Warm-up (connections, prepared statements, the JIT).
      for (let i = 0; i < 10; i++) await ask(question());

      const kinds = new Map<string, number>();
      const single: number[] = [];
      for (let i = 0; i < SINGLE; i++) {
        const r = await ask(question());
        single.push(r.ms);
        kinds.set(r.answers[0]!.answer, (kinds.get(r.answers[0]!.answer) ?? 0) + 1);
      }
      single.sort((a, b) => a - b);
      console.log(`answers asked singly: ${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ")}`);
      console.log(
        `single queries (${SINGLE}):  p50 ${percentile(single, 50).toFixed(1)} ms  p99 ${percentile(single, 99).toFixed(1)} ms`,
      );
      for (const size of SIZES) {
        const times: number[] = [];
        for (let b = 0; b < BATCHES; b++) {
          const r = await ask({ items: Array.from({ length: size }, question) });
          if (r.answers.length !== size) throw new Error(`a batch of ${size} got ${r.answers.length} answers`);
          times.push(r.ms);
        }
        times.sort((a, b) => a - b);
        const p50 = percentile(times, 50);
        const p99 = percentile(times, 99);
        console.log(
          `batches of ${size} (${BATCHES}):  p50 ${p50.toFixed(1)} ms  p99 ${p99.toFixed(1)} ms  ` +
            `(${((p50 / size) * 1000).toFixed(0)} µs per item at p50)`,
        );
      }
    } finally {
      await gw.close();
    }
  } finally {
    provider.destroy();
    await anvil.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
