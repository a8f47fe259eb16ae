/**
 * Edited clips recognised through the gateway (issue 16), end to end: works registered with their fingerprints
 * (stored content-addressed, digest and CID on chain), the gateway's fingerprint index built from the chain's events
 * and the content store, kept in its SQLite and its saved index file across restarts (loaded when it holds what the
 * database gives, rebuilt when it does not: another state, damaged, truncated, another version), and
 * `POST /v1/authorizations` asked about a clip — its fingerprint computed at the platform's edge, or the clip itself
 * uploaded — answering the matched works, where, and the licence answer for each, signed. Media generated with
 * ffmpeg's lavfi sources; skipped without ffmpeg.
 */
import { expect } from "chai";
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Wallet, id } from "ethers";
import { pino } from "pino";
import { Registry } from "prom-client";
import {
  ConsortiumClient,
  decodeFingerprint,
  EmbeddedContentStore,
  LicenceClient,
  computeCid,
  CLIP_FRAMES_PER_SECOND,
  FINGERPRINT_INDEX_FILE_VERSION,
  extractFingerprint,
  fingerprintDigest,
  generateReportKey,
  loadFingerprintIndexFile,
  storeFingerprint,
  uploaderAccountHash,
  verifyAuthorizationAnswer,
  type Fingerprint,
  type Hex,
  type StoredFingerprint,
} from "../../sdk/src";
import { auditModule } from "../../server/src/audit";
import { WorkFingerprints } from "../../server/src/fingerprints";
import { authModule } from "../../server/src/auth/siwe";
import type { RunningGateway } from "../../server/src/gateway";
import { indexerModule } from "../../server/src/indexer";
import { addKeys } from "../../server/src/keystore";
import { authorizationsModule } from "../../server/src/routes/authorizations";
import { bundleCli, runCli } from "../helpers/cli";
import { devKey, startTestChain, startTestGateway, type TestChain } from "../helpers/gateway";

const hasFfmpeg = spawnSync("ffmpeg", ["-hide_banner", "-version"]).status === 0;

/** The demo consortium's platform (Streamly, US). */
const PLATFORM = 3n;
const YEAR = 365 * 24 * 3600;
const PASSWORD = "correct horse battery staple";

describe("gateway: clips matched against registered works' fingerprints (real chain, real HTTP, ffmpeg)", function () {
  this.timeout(300_000);
  let chain: TestChain;
  let gw: RunningGateway | undefined;
  let consortium: ConsortiumClient;
  let licences: LicenceClient;
  let token: string;
  let dir: string;
  let keystoreDir: string;
  let storeDir: string;
  const relayer = () => chain.account(8);
  const holder = new Wallet(id("fingerprints: rights holder"));
  const licensee = new Wallet(id("fingerprints: licensee"));
  const platformKey = new Wallet(devKey(3));
  const ACCOUNT = uploaderAccountHash("clip-uploader", { pepper: id("pepper") });
  const FILM = id("work: the generated film") as Hex;
  const FORGED = id("work: a forged fingerprint") as Hex;
  const OTHER = id("work: the other film") as Hex;
  const clips: Record<string, Fingerprint> = {};
  let film: StoredFingerprint;
  let other: StoredFingerprint;
  /** The film's matches for the trim, as the first gateway answered them: every later index must answer the same. */
  let filmMatches: unknown[] = [];

  const gen = (name: string, args: string[]): string => {
    const out = path.join(dir, name);
    execFileSync("ffmpeg", ["-hide_banner", "-loglevel", "error", "-y", ...args, out]);
    return out;
  };
  const x264 = ["-c:v", "libx264", "-preset", "ultrafast", "-c:a", "aac"];
  const submit = async (signed: Parameters<LicenceClient["submit"]>[0]) =>
    (await licences.submit(signed, relayer())).wait();

  const startGateway = async (contentStore: string) => {
    gw = await startTestGateway(chain, [authModule, auditModule, indexerModule, authorizationsModule], {
      indexerPollMs: "0",
      keystoreDir,
      keystorePassword: PASSWORD,
      contentStore,
    });
    token = (
      await gw.ctx.sessions.issue({
        kind: "member",
        memberId: PLATFORM,
        roles: ["PLATFORM"],
        jurisdiction: "US",
        address: platformKey.address,
      })
    ).token;
  };

  before(async function () {
    if (!hasFfmpeg) {
      console.log("    (ffmpeg is not installed: apt-get install --no-install-recommends ffmpeg; skipping)");
      this.skip();
    }
    chain = await startTestChain();
    dir = mkdtempSync(path.join(chain.dataDir, "media-"));
    const c = chain.record.contracts;
    licences = await LicenceClient.connect(c.LicenseRegistry.address, chain.provider);
    consortium = await ConsortiumClient.connect(c.Consortium.address, chain.provider);
    const reportKey = await generateReportKey();
    await (
      await consortium.submit(
        await consortium.signAddOwnPublicKey(platformKey, PLATFORM, { purpose: "Report", jwk: reportKey.publicJwk }),
        relayer(),
      )
    ).wait();
    keystoreDir = path.join(mkdtempSync(path.join(chain.dataDir, "keys-")), "keys");
    await addKeys(keystoreDir, PASSWORD, {
      memberId: Number(PLATFORM),
      reportKeys: [{ kid: reportKey.kid, jwk: reportKey.privateJwk }],
      packageKeys: [],
    });

    // Two works (16 s each), a trimmed re-encoded clip of the film, and a clip of a work nobody registered.
    const filmFile = gen("film.mp4", [
      ...["-f", "lavfi", "-i", "mandelbrot=size=320x240:rate=10,trim=duration=16"],
      ...["-f", "lavfi", "-i", "aevalsrc=0.4*sin(2*PI*(220+110*floor(mod(t*2\\,4)))*t):s=22050:d=16"],
      ...x264,
      "-shortest",
    ]);
    const otherFile = gen("other.mp4", [
      ...["-f", "lavfi", "-i", "life=size=320x240:rate=10:seed=99:mold=10,trim=duration=16"],
      ...["-f", "lavfi", "-i", "aevalsrc=0.5*sin(2*PI*(600+150*floor(mod(t*3\\,5)))*t):s=22050:d=16"],
      ...x264,
      "-shortest",
    ]);
    gen("trim.mkv", [
      ...["-ss", "6", "-t", "8", "-i", filmFile, "-vf", "scale=240:180"],
      ...["-c:v", "mpeg4", "-q:v", "8", "-c:a", "libvorbis"],
    ]);
    gen("unregistered.mp4", [
      ...["-f", "lavfi", "-i", "life=size=320x240:rate=10:seed=4242:mold=10,trim=duration=8"],
      ...["-f", "lavfi", "-i", "aevalsrc=0.4*sin(2*PI*880*t):s=22050:d=8", ...x264, "-shortest"],
    ]);
    gen("other-trim.mp4", ["-ss", "4", "-t", "8", "-i", otherFile, ...x264]);
    for (const name of ["trim.mkv", "unregistered.mp4", "other-trim.mp4"]) {
      clips[name] = await extractFingerprint(path.join(dir, name), { framesPerSecond: CLIP_FRAMES_PER_SECOND });
    }

    // The works' fingerprint files go into the content store the gateway reads.
    storeDir = path.join(chain.dataDir, "store-1");
    const store = await EmbeddedContentStore.open(storeDir);
    const filmFp = await extractFingerprint(filmFile);
    film = await storeFingerprint(store, filmFp);
    other = await storeFingerprint(store, await extractFingerprint(otherFile));
    await store.close();

    // The film: registered with its fingerprint's digest, the file's CID set by the holder; licensed in FR.
    await submit(
      await licences.signRegisterWork(holder, {
        contentHash: FILM,
        rightsHolder: holder.address,
        originJurisdiction: "FR",
        metadataCid: await computeCid(new TextEncoder().encode("the generated film")),
        fingerprint: filmFp,
      }),
    );
    await submit(
      await licences.signSetFingerprint(holder, {
        workId: FILM,
        fingerprintHash: film.digest,
        fingerprintCid: film.cid,
      }),
    );
    // A forged record: the digest of one file, the CID of another (the other work's fingerprint).
    await submit(
      await licences.signRegisterWork(holder, {
        contentHash: FORGED,
        rightsHolder: holder.address,
        originJurisdiction: "FR",
        metadataCid: await computeCid(new TextEncoder().encode("forged")),
      }),
    );
    await submit(
      await licences.signSetFingerprint(holder, {
        workId: FORGED,
        fingerprintHash: id("not the digest of the file at the CID"),
        fingerprintCid: other.cid,
      }),
    );
    await submit(
      await licences.signGrant(holder, {
        workId: FILM,
        licensee: licensee.address,
        rights: ["MAKE_AVAILABLE"],
        territories: ["FR"],
        end: (await licences.chainTime()) + YEAR,
      }),
    );
    const asked = await licences.signLinkAccount(licensee, { platform: PLATFORM, accountHash: ACCOUNT });
    await submit(await licences.confirmAccountLink(platformKey, asked, { platformMemberId: PLATFORM }));
    await startGateway(storeDir);
  });
  let removeBundle: (() => void) | undefined;
  after(async () => {
    removeBundle?.();
    await gw?.close();
    await chain?.stop();
  });

  const question = { accountHash: ACCOUNT, territory: "FR", right: "MAKE_AVAILABLE" };
  const post = async (body: unknown) => {
    const res = await fetch(`${gw!.url}/v1/authorizations`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const upload = async (file: string, name: string) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(question)) form.append(k, v);
    form.append("clip", new Blob([readFileSync(file)]), name);
    const res = await fetch(`${gw!.url}/v1/authorizations`, {
      method: "POST",
      headers: { authorization: `Bearer ${token}` },
      body: form,
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  /** The signed document of a 200 answer, its JWS verified against the chain's report keys. */
  const signed = async (r: { status: number; body: Record<string, unknown> }) => {
    expect(r.status, JSON.stringify(r.body)).to.equal(200);
    const verified = await verifyAuthorizationAnswer(r.body.jws as string, { consortium });
    const { jws: _jws, kid: _kid, digest: _digest, ...document } = r.body;
    expect(verified.document).to.deep.equal(document);
    return verified.document;
  };
  /** The gateway's metrics: value of `name` with exactly `labels` (label order as printed), undefined when absent. */
  const metric = async (name: string, labels = ""): Promise<number | undefined> => {
    const text = await (await fetch(`${gw!.url}/metrics`)).text();
    const line = text.split("\n").find((l) => l.startsWith(labels === "" ? `${name} ` : `${name}{${labels}} `));
    return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(" ") + 1));
  };
  /** How the running gateway made its fingerprint index at start (its one `starts_total` sample). */
  const indexStart = async () => {
    const text = await (await fetch(`${gw!.url}/metrics`)).text();
    const starts = [
      ...text.matchAll(
        /^crossproof_gateway_fingerprint_index_starts_total\{source="(\w+)",reason="([\w-]+)"\} (\d+)$/gm,
      ),
    ];
    expect(starts.map((m) => m[3])).to.deep.equal(["1"]);
    return { source: starts[0]![1], reason: starts[0]![2] };
  };
  const indexFile = () => path.join(chain.dataDir, "gateway", "fingerprints.cpfpidx");
  /** The clip's matches (a 200 answer, signature checked). */
  const matchesOf = async (clip: string) =>
    (await signed(await post({ ...question, fingerprint: clips[clip] }))).clip!.matches;
  /** The film found where the trim was cut (6 s to 14 s), then ALLOWED for the linked licensee. */
  const expectFilmFound = (doc: Awaited<ReturnType<typeof signed>>, source: string) => {
    expect(doc.clip).to.deep.include({ source, fingerprintDigest: fingerprintDigest(clips["trim.mkv"]!) });
    expect(doc.clip!.indexedWorks).to.equal(1);
    const [m, ...rest] = doc.clip!.matches;
    expect(rest.map((r) => r.workId).filter((w) => w !== FILM)).to.deep.equal([]);
    expect(m).to.deep.include({ workId: FILM, workFingerprint: film.digest, mirrored: false });
    expect(m!.workStartMs).to.be.within(5500, 6500);
    expect(m!.workEndMs).to.be.within(13_500, 14_500);
    expect(m!.clipStartMs).to.be.at.most(500);
    expect(m!.clipEndMs).to.be.within(7500, 8000);
    expect(m!.speed).to.be.within(0.95, 1.05);
    expect(m!.videoScore).to.be.above(0.8);
    expect(m!.audioScore).to.be.above(0.8);
    expect(m!.score).to.be.above(0.8);
    expect(doc.answers).to.have.length(1);
    expect(doc.answers[0]).to.deep.include({ answer: "ALLOWED", reason: "OK", licensee: licensee.address });
    expect(doc.answers[0]!.query).to.deep.include({ workId: FILM, territory: "FR", accountHash: ACCOUNT });
  };

  it("a trimmed, re-encoded clip's edge fingerprint: the film, where, and the licence answer, signed", async function () {
    const doc = await signed(
      await post({
        ...question,
        fingerprint: clips["trim.mkv"],
        fingerprintDigest: fingerprintDigest(clips["trim.mkv"]!),
      }),
    );
    expectFilmFound(doc, "fingerprint");
    filmMatches = doc.clip!.matches;
    // A first start: no index file yet, so the index was made from the database (empty then) and grew from the chain.
    expect(await indexStart()).to.deep.equal({ source: "database", reason: "missing" });
  });

  it("the clip itself uploaded (multipart) is decoded by the gateway and answered the same way", async function () {
    expectFilmFound(await signed(await upload(path.join(dir, "trim.mkv"), "trim.mkv")), "upload");
  });

  it("an unregistered clip matches nothing: no works, no licence answers", async function () {
    const doc = await signed(await post({ ...question, fingerprint: clips["unregistered.mp4"] }));
    expect(doc.clip!.matches).to.deep.equal([]);
    expect(doc.answers).to.deep.equal([]);
  });

  it("attack: a fingerprint file that is not the one whose digest is on record is refused, not indexed", async function () {
    const state = await fetch(`${gw!.url}/v1/works/${FORGED}/fingerprint`, {
      headers: { authorization: `Bearer ${token}` },
    });
    const body = (await state.json()) as Record<string, unknown>;
    expect(state.status, JSON.stringify(body)).to.equal(200);
    expect(body).to.deep.include({ workId: FORGED, indexed: false });
    expect(body.failure).to.deep.include({ code: "FINGERPRINT_DIGEST_MISMATCH", permanent: true });
    // A clip of the file actually stored there is not attributed to the forged work.
    const doc = await signed(await post({ ...question, fingerprint: clips["other-trim.mp4"] }));
    expect(doc.clip!.matches).to.deep.equal([]);
    // The film's own record is fine.
    const filmState = await fetch(`${gw!.url}/v1/works/${FILM}/fingerprint`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await filmState.json()).to.deep.include({ indexed: true, digest: film.digest, cid: film.cid });
  });

  it("problems: a digest that is not the fingerprint's, an invalid fingerprint, an undecodable upload", async function () {
    const forged = await post({ ...question, fingerprint: clips["trim.mkv"], fingerprintDigest: film.digest });
    expect(forged.status).to.equal(422);
    expect(forged.body).to.deep.include({
      type: "urn:crossproof:problem:hash-mismatch",
      code: "FINGERPRINT_DIGEST_MISMATCH",
    });
    const invalid = await post({ ...question, fingerprint: { ...clips["trim.mkv"], version: 2 } });
    expect(invalid.status).to.equal(422);
    expect(invalid.body).to.deep.include({
      type: "urn:crossproof:problem:fingerprint-invalid",
      code: "FINGERPRINT_INVALID",
    });
    const junk = path.join(dir, "junk.mp4");
    writeFileSync(junk, "not a video, only text pretending to be one ".repeat(40));
    const undecodable = await upload(junk, "junk.mp4");
    expect(undecodable.status).to.equal(422);
    expect(undecodable.body).to.deep.include({
      type: "urn:crossproof:problem:media-undecodable",
      code: "MEDIA_UNDECODABLE",
    });
  });

  it("CLI: `fingerprint` writes the file and prints digest, CID and ISCC; `match` answers through the gateway", async function () {
    const cliDir = mkdtempSync(path.join(chain.dataDir, "cli-"));
    let bundle: string;
    ({ bundle, remove: removeBundle } = bundleCli("crossproof-fingerprint"));
    const env = { CROSSPROOF_KEYSTORE_PASSWORD: PASSWORD };
    const importKey = async (name: string, key: string): Promise<string> => {
      const raw = path.join(cliDir, `${name}.hex`);
      writeFileSync(raw, key, { mode: 0o600 });
      const keyFile = path.join(cliDir, `${name}.json`);
      const imported = await new Promise<number | null>((resolve, reject) =>
        spawn(process.execPath, [bundle, "key", "import", raw, "--out", keyFile, "--kdf-cost", "1024"], {
          cwd: cliDir,
          env: { PATH: process.env.PATH ?? "", HOME: cliDir, ...env },
          stdio: "ignore",
        })
          .on("error", reject)
          .on("close", resolve),
      );
      expect(imported).to.equal(0);
      return keyFile;
    };
    const keyFile = await importKey("platform", devKey(3));
    const trim = path.join(dir, "trim.mkv");

    const fp = await runCli(
      bundle,
      [
        "fingerprint",
        trim,
        "--fps",
        String(CLIP_FRAMES_PER_SECOND),
        "--out",
        path.join(cliDir, "trim.fp.json"),
        "--json",
      ],
      {
        cwd: cliDir,
      },
    );
    expect(fp.code, fp.stderr).to.equal(0);
    const printed = fp.json<{ digest: string; cid: string; iscc: { code: string }; frames: number }>();
    const written = decodeFingerprint(readFileSync(path.join(cliDir, "trim.fp.json")));
    expect(printed.digest).to.equal(fingerprintDigest(written));
    expect(printed.digest).to.equal(fingerprintDigest(clips["trim.mkv"]!));
    expect(printed.cid).to.equal(await computeCid(readFileSync(path.join(cliDir, "trim.fp.json"))));
    expect(printed.frames).to.equal(written.video!.hashes.length);
    expect(printed.iscc.code).to.match(/^ISCC:[A-Z2-7]+$/);

    const question = ["--account-hash", ACCOUNT, "--territory", "FR", "--right", "MAKE_AVAILABLE"];
    // The signed answers are checked against the chain's report keys (--rpc, --deployment).
    const connection = ["--gateway", gw!.url, "--rpc", chain.anvil.url, "--deployment", chain.deploymentFile];
    connection.push("--key", keyFile, "--json");
    const m = await runCli(bundle, ["match", trim, ...question, ...connection], { cwd: cliDir, env });
    expect(m.code, `${m.stdout}\n${m.stderr}`).to.equal(0);
    const answer = m.json<{
      matched: boolean;
      allAllowed: boolean;
      checkedAgainst: string;
      clip: { source: string; matches: { workId: string; workStartMs: number }[] };
      answers: { workId: string; answer: string }[];
    }>();
    expect(answer).to.deep.include({ matched: true, allAllowed: true, checkedAgainst: "chain" });
    expect(answer.clip.source).to.equal("fingerprint");
    expect(answer.clip.matches[0]!.workId).to.equal(FILM);
    expect(answer.clip.matches[0]!.workStartMs).to.be.within(5500, 6500);
    expect(answer.answers).to.deep.equal([{ ...answer.answers[0], workId: FILM, answer: "ALLOWED" }]);
    // Nothing matched (the clip uploaded this time): exit 1, not authorised; a file ffmpeg cannot decode: exit 3.
    const unregistered = path.join(dir, "unregistered.mp4");
    const none = await runCli(bundle, ["match", unregistered, "--upload", ...question, ...connection], {
      cwd: cliDir,
      env,
    });
    expect(none.code, none.stderr).to.equal(1);
    expect(none.json()).to.deep.include({ matched: false, allAllowed: false });
    expect(none.json<{ clip: { source: string } }>().clip.source).to.equal("upload");
    const junk = path.join(cliDir, "junk.mp4");
    writeFileSync(junk, "not a video ".repeat(100));
    const bad = await runCli(bundle, ["match", junk, ...question, ...connection], { cwd: cliDir, env });
    expect(bad.code).to.equal(3);
    expect(bad.json<{ error: { code: string } }>().error.code).to.equal("MEDIA_UNDECODABLE");

    // The holder withdraws the forged record's fingerprint (direct mode, another account paying gas): gone from the index.
    const holderKey = await importKey("holder", holder.privateKey);
    const relayerKey = await importKey("relayer", devKey(7));
    const chainFlags = ["--rpc", chain.anvil.url, "--deployment", chain.deploymentFile, "--relayer-key", relayerKey];
    const withdrawn = await runCli(
      bundle,
      ["licence", "set-fingerprint", FORGED, "--withdraw", ...chainFlags, "--key", holderKey, "--json"],
      { cwd: cliDir, env },
    );
    expect(withdrawn.code, `${withdrawn.stdout}\n${withdrawn.stderr}`).to.equal(0);
    expect(withdrawn.json()).to.deep.include({ workId: FORGED, holder: holder.address });
    expect(withdrawn.json()).to.not.have.property("fingerprintHash");
    const state = await fetch(`${gw!.url}/v1/works/${FORGED}/fingerprint`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(state.status).to.equal(404);
  });

  it("after a restart the saved index is loaded, not rebuilt: the same answers, without fetching the files again", async function () {
    await gw!.close();
    gw = undefined;
    // Closing wrote the index with the digest of each work's file.
    const saved = await loadFingerprintIndexFile(indexFile());
    expect(saved.fileVersion).to.equal(FINGERPRINT_INDEX_FILE_VERSION);
    expect([...saved.fingerprints!]).to.deep.equal([[FILM, film.digest]]);
    // An empty content store: whatever the gateway matches now comes from its own data.
    await startGateway(path.join(chain.dataDir, "store-empty"));
    const doc = await signed(await post({ ...question, fingerprint: clips["trim.mkv"] }));
    expectFilmFound(doc, "fingerprint");
    expect(doc.clip!.matches).to.deep.equal(filmMatches);
    expect(await indexStart()).to.deep.equal({ source: "file", reason: "matches-database" });
    expect(await metric("crossproof_gateway_fingerprint_index_works")).to.equal(1);
  });

  it("a work added is appended; withdrawn while the gateway was down, it leaves the loaded index (from its columns)", async function () {
    await submit(
      await licences.signRegisterWork(holder, {
        contentHash: OTHER,
        rightsHolder: holder.address,
        originJurisdiction: "FR",
        metadataCid: await computeCid(new TextEncoder().encode("the other film")),
      }),
    );
    await submit(
      await licences.signSetFingerprint(holder, {
        workId: OTHER,
        fingerprintHash: other.digest,
        fingerprintCid: other.cid,
      }),
    );
    // Its file was kept when the forged record pointed at it: nothing to fetch (the store is empty).
    const found = (await matchesOf("other-trim.mp4")) as { workId: string; workStartMs: number }[];
    expect(found.map((m) => m.workId)).to.deep.equal([OTHER]);
    expect(found[0]!.workStartMs).to.be.within(3500, 4500);
    expect(await metric("crossproof_gateway_fingerprint_index_updates_total", 'how="appended"')).to.equal(1);
    expect(await metric("crossproof_gateway_fingerprint_index_works")).to.equal(2);
    await gw!.close();
    gw = undefined;
    const both = await loadFingerprintIndexFile(indexFile());
    expect(new Map(both.fingerprints)).to.deep.equal(
      new Map([
        [FILM, film.digest],
        [OTHER, other.digest],
      ]),
    );
    copyFileSync(indexFile(), path.join(dir, "index-with-both.cpfpidx"));

    // While the gateway is down, the holder withdraws the other film's fingerprint.
    await submit(await licences.signSetFingerprint(holder, { workId: OTHER }));
    await startGateway(path.join(chain.dataDir, "store-empty"));
    expect(await matchesOf("other-trim.mp4")).to.deep.equal([]);
    expect(await matchesOf("trim.mkv")).to.deep.equal(filmMatches);
    // The file held what the database held at start; the withdrawal, read from the chain, then took the work out.
    expect(await indexStart()).to.deep.equal({ source: "file", reason: "matches-database" });
    expect(await metric("crossproof_gateway_fingerprint_index_updates_total", 'how="rebuilt"')).to.equal(1);
    expect(await metric("crossproof_gateway_fingerprint_index_works")).to.equal(1);
  });

  it("an index file from another state (an older one swapped in) is detected and rebuilt from the database", async function () {
    await gw!.close();
    gw = undefined;
    expect([...(await loadFingerprintIndexFile(indexFile())).fingerprints!]).to.deep.equal([[FILM, film.digest]]);
    copyFileSync(path.join(dir, "index-with-both.cpfpidx"), indexFile());
    await startGateway(path.join(chain.dataDir, "store-empty"));
    expect(await matchesOf("other-trim.mp4")).to.deep.equal([]);
    expect(await matchesOf("trim.mkv")).to.deep.equal(filmMatches);
    expect(await indexStart()).to.deep.equal({ source: "database", reason: "stale" });
    await gw!.close();
    gw = undefined;
    // Saved again as the database has it.
    expect([...(await loadFingerprintIndexFile(indexFile())).fingerprints!]).to.deep.equal([[FILM, film.digest]]);
  });

  it("a damaged, truncated or foreign-version index file is rebuilt from the database, with the same answers", async function () {
    const damage: [string, (b: Buffer) => Buffer][] = [
      [
        "checksum",
        (b) => {
          b[b.length - 100]! ^= 0x01; // a bit of the Chromaprint values
          return b;
        },
      ],
      ["truncated", (b) => b.subarray(0, b.length - 4)],
      [
        "version",
        (b) => {
          b.writeUInt32LE(99, 8);
          return b;
        },
      ],
    ];
    for (const [reason, spoil] of damage) {
      writeFileSync(indexFile(), spoil(readFileSync(indexFile())));
      await startGateway(path.join(chain.dataDir, "store-empty"));
      expect(await matchesOf("trim.mkv"), reason).to.deep.equal(filmMatches);
      expect(await indexStart()).to.deep.equal({ source: "database", reason });
      await gw!.close();
      gw = undefined;
      expect([...(await loadFingerprintIndexFile(indexFile())).fingerprints!], reason).to.deep.equal([
        [FILM, film.digest],
      ]);
    }
  });

  it("changes to the index are written together: three changes, one write (at shutdown, before the delay)", async function () {
    await startGateway(path.join(chain.dataDir, "store-empty"));
    const { db } = gw!.ctx;
    const indexer = gw!.ctx.indexer!;
    const file = path.join(mkdtempSync(path.join(chain.dataDir, "coalesce-")), "fingerprints.cpfpidx");
    const registry = new Registry();
    // The gateway's own class on the gateway's database and chain index, its file elsewhere, a delay of an hour.
    const index = new WorkFingerprints({
      db,
      store: gw!.ctx.store,
      indexer,
      log: pino({ level: "silent" }),
      indexFile: file,
      saveDelayMs: 3_600_000,
      metrics: registry,
    });
    const count = async (name: string) => {
      const line = (await registry.metrics()).split("\n").find((l) => l.startsWith(name));
      return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(" ") + 1));
    };
    await index.refresh(); // 1: made from the database (no file)
    expect(index.start).to.deep.equal({ source: "database", reason: "missing" });
    await submit(
      await licences.signSetFingerprint(holder, {
        workId: OTHER,
        fingerprintHash: other.digest,
        fingerprintCid: other.cid,
      }),
    );
    await indexer.syncOnce();
    await index.refresh(); // 2: the other film appended
    expect(index.works).to.equal(2);
    await submit(await licences.signSetFingerprint(holder, { workId: OTHER }));
    await indexer.syncOnce();
    await index.refresh(); // 3: and taken out again
    expect(index.works).to.equal(1);
    expect(await count('crossproof_gateway_fingerprint_index_updates_total{how="appended"}')).to.equal(1);
    expect(await count('crossproof_gateway_fingerprint_index_updates_total{how="rebuilt"}')).to.equal(1);
    expect(await count("crossproof_gateway_fingerprint_index_saves_total")).to.equal(0);
    await index.close();
    expect(await count('crossproof_gateway_fingerprint_index_saves_total{result="saved"}')).to.equal(1);
    expect([...(await loadFingerprintIndexFile(file)).fingerprints!]).to.deep.equal([[FILM, film.digest]]);
    // Closed, it no longer follows the chain.
    await index.refresh();
    expect(await count('crossproof_gateway_fingerprint_index_saves_total{result="saved"}')).to.equal(1);
  });
});
