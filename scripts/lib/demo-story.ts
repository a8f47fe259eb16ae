/**
 * `npm run demo`'s story, told through the gateway `npm start` runs: every party signs its own requests with its own
 * key (the SDK, offline) and hands them to the gateway (`POST /v1/submissions`), which relays them; reports come from
 * `POST /v1/verifications`, signed by the calling member's report key; reads go through the gateway's routes. The
 * chain node is read only for what signing needs (EIP-712 domains, nonces, chain time), as a partner agency's own node
 * would be.
 *
 * The cast (`config/demo-consortium.json`, members 6 to 9; the setting is the seed policy's, cross-border live-stream
 * and short-video piracy): a copyright enforcement bureau in CN, a police IP crime unit and a live-streaming platform in
 * SG, a court in FR; and three plain accounts, a rights holder, its distributor and a sublicensee.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { tmpdir } from "node:os";
import path from "node:path";
import { id as keccakText, type Wallet } from "ethers";
import {
  EmbeddedContentStore,
  EvidenceCategory,
  GatewayClient,
  Role,
  buildManifest,
  caseReferenceHash,
  checkRecipientPublicKey,
  computeCid,
  connect,
  fromJurisdiction,
  readPackageHeader,
  registeredRecipientKeys,
  reportDigest,
  rewrapPackage,
  sealPackage,
  sha256Hex,
  isCrossproofError,
  type ContentStore,
  type Crossproof,
  type GatewayPrincipal,
  type RecipientPublicKey,
  type SignedRequest,
  type VerificationReport,
} from "../../sdk/src";
import { devAccount, devAccountFor } from "./anvil";
import { demoMemberKeys } from "./demo-gateway";
import { TimeTravelRefusedError, advanceLocalChainTime } from "./time-travel";

/** The plain accounts of the licensing chain (Anvil's mnemonic, past the accounts members use). */
export const DEMO_ACCOUNTS = { rightsHolder: 14, distributor: 15, sublicensee: 16 } as const;

export interface CrossBorderDemoParameters {
  /** The gateway `npm start` runs (http://127.0.0.1:8080 by default). */
  gatewayUrl: string;
  /** The chain node (read for EIP-712 domains, nonces and chain time; time-travelled only if it is local). */
  rpcUrl: string;
  /** `npm start`'s data folder: the deployment record, the members' key files, and `demo/` for the saved reports. */
  dataDir: string;
  log?: (line: string) => void;
}

/** What the story came to, in the domain's values. */
export interface CrossBorderDemoOutcome {
  /** This run's tag: in the case reference, the capture and the saved files. */
  run: string;
  caseReference: string;
  members: { cnAgency: number; sgAgency: number; sgPlatform: number; frCourt: number };
  recordId: string;
  contentHash: string;
  packageCid: string;
  /** The package re-wrapped for the FR court (same content hash, new CID). */
  sharedCid: string;
  custody: { events: string[]; status: string };
  preservation: {
    answered: { requestId: string; state: string; late: boolean; deadline: string; agreementId: number };
    /** The request left unanswered: its state after the clock passed its deadline (or why time was not moved). */
    unanswered: { requestId: string; stateNow: string; deadline: string; timeTravelRefused?: string };
    /** The SG platform's figures for the period of the two requests. */
    compliance: { due: number; answeredOnTime: number; overdue: number };
  };
  licensing: {
    chain: string[];
    authorized: { territory: string; authorized: boolean; reason: string; summary: string };
    refused: { territory: string; authorized: boolean; reason: string; summary: string };
  };
  court: {
    indication: string;
    reportIssuer: string;
    reportKid: string;
    reportVerified: boolean;
    reportFile: string;
    endorsement: { verdict: string; agreementId: string; agreement: string };
  };
  tampered: { indication: string; check: string; subCode: string; summary: string };
  /** Files the demo kept (under `<dataDir>/demo/<run>/`): signed reports and this outcome; no evidence content. */
  kept: string[];
}

type Json = Record<string, unknown>;

/** A party at the gateway: its key, its session, and what it does through the gateway's routes. */
class Party {
  constructor(
    readonly name: string,
    readonly key: Wallet,
    readonly gateway: GatewayClient,
    readonly principal: GatewayPrincipal,
  ) {}

  static async signIn(url: string, name: string, key: Wallet): Promise<Party> {
    const gateway = new GatewayClient(url);
    const principal = await gateway.signIn(key);
    return new Party(name, key, gateway, principal);
  }

  get memberId(): number {
    if (this.principal.kind !== "member") throw new Error(`${this.name} signed in as an account, not a member`);
    return Number(this.principal.memberId);
  }

  /** A gateway route through the SDK's client; a problem becomes an error naming the party and the contract's words. */
  async call<T = Json>(method: string, route: string, body?: unknown): Promise<T> {
    try {
      return await this.gateway.request<T>(method, route, body);
    } catch (err) {
      throw this.#named(err);
    }
  }

  /** Hands a signed request to the gateway and waits until it is confirmed on chain; its domain result. */
  async submit(signed: SignedRequest<unknown>): Promise<Json> {
    try {
      const { id } = await this.gateway.submit(signed);
      return (await this.gateway.waitForSubmission(id, { timeoutMs: 120_000, pollMs: 150 })).result;
    } catch (err) {
      throw this.#named(err, `the chain refused ${signed.primaryType}`);
    }
  }

  /** Stores a package this party sealed (or re-wrapped) at the gateway; the gateway's CID must be the same. */
  async uploadPackage(store: ContentStore, cid: string): Promise<string> {
    try {
      return (await this.gateway.uploadPackage(store, cid)).cid;
    } catch (err) {
      throw this.#named(err);
    }
  }

  #named(err: unknown, what?: string): Error {
    if (!isCrossproofError(err)) return err as Error;
    const words = (err.details as { argsInWords?: unknown } | undefined)?.argsInWords;
    const named = new Error(
      `${this.name}: ${what === undefined ? "" : `${what}: `}${err.message}${words === undefined ? "" : ` ${JSON.stringify(words)}`}`,
      { cause: err },
    );
    return named;
  }

  /** A read that the gateway's index may answer a poll late: asked again until `ready` says so (10 s at most). */
  async read<T = Json>(route: string, ready: (body: T) => boolean = () => true): Promise<T> {
    const until = Date.now() + 10_000;
    for (;;) {
      try {
        const body = await this.call<T>("GET", route);
        if (ready(body) || Date.now() > until) return body;
      } catch (err) {
        const status = ((err as Error).cause as { details?: { status?: number } } | undefined)?.details?.status;
        if (Date.now() > until || status !== 404) throw err;
      }
      await sleep(250);
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const iso = (t: number) => new Date(t * 1000).toISOString().replace(/\.\d+Z$/, "Z");
/** A time in China Standard Time (UTC+8), as the CN bureau's capture tool writes it. */
const chinaTime = (t: number) => `${iso(t + 8 * 3600).slice(0, -1)}+08:00`;

/**
 * A member's newest encryption key valid at chain time `now`, as the gateway publishes the registered keys
 * (`GET /v1/members/:id`), its key id checked against the key.
 */
async function encryptionKeyOf(party: Party, memberId: number, now: number): Promise<RecipientPublicKey> {
  const m = await party.call<{
    publicKeys: { kid: string; purpose: string; validFrom: string; validUntil: string | null; jwk: Json }[];
  }>("GET", `/v1/members/${memberId}`);
  const live = m.publicKeys.filter(
    (k) =>
      k.purpose === "Encryption" &&
      Date.parse(k.validFrom) <= now * 1000 &&
      (k.validUntil === null || Date.parse(k.validUntil) > now * 1000),
  );
  const key = live.at(-1);
  if (key === undefined) throw new Error(`member ${memberId} has no encryption key registered: was npm start run?`);
  return checkRecipientPublicKey({ kid: key.kid, jwk: key.jwk as RecipientPublicKey["jwk"] });
}

/** The story's members on this chain, found by jurisdiction and role, each with its (demo) key. */
async function castOf(cp: Crossproof): Promise<Record<"cnAgency" | "sgAgency" | "sgPlatform" | "frCourt", Wallet>> {
  const consortium = cp.consortium.consortium;
  const count = Number(await consortium.memberCount());
  const find = async (jurisdiction: string, role: keyof typeof Role): Promise<Wallet> => {
    for (let id = 1; id <= count; ++id) {
      const m = await consortium.getMember(id);
      if (fromJurisdiction(m.jurisdiction) !== jurisdiction || (Number(m.roles) & Role[role]) === 0) continue;
      for (const key of await consortium.keysOf(id)) {
        const w = devAccountFor(key, cp.provider);
        if (w !== undefined) return w;
      }
    }
    throw new Error(
      `this chain's consortium has no ${role} in ${jurisdiction} with a demo key: it was founded with an earlier ` +
        "config/demo-consortium.json. Stop npm start, delete its data folder (.crossproof) and start it again",
    );
  };
  return {
    cnAgency: await find("CN", "AGENCY"),
    sgAgency: await find("SG", "AGENCY"),
    sgPlatform: await find("SG", "PLATFORM"),
    frCourt: await find("FR", "COURT"),
  };
}

/**
 * Plays the cross-border story on a running `npm start` stack (see the module comment), printing each step in plain
 * words and a summary. Every run uses its own case reference and capture, so it can be played again on the same
 * chain. The capture and every plaintext file live in a temporary folder removed at the end; the demo keeps only the
 * FR court's signed reports and the outcome, under `<dataDir>/demo/<run>/`.
 */
export async function runCrossBorderDemo(p: CrossBorderDemoParameters): Promise<CrossBorderDemoOutcome> {
  const log = p.log ?? (() => {});
  const run = `${new Date().toISOString().slice(0, 10).replace(/-/g, "")}-${randomBytes(4).toString("hex")}`;
  const cp = await connect({ rpcUrl: p.rpcUrl, deployment: path.join(p.dataDir, "deployment.json") });
  const work = mkdtempSync(path.join(tmpdir(), "crossproof-demo-"));
  // The plaintext goes with the run, also when the process is made to exit half-way (scripts/demo.ts exits on Ctrl-C).
  const removeWork = () => rmSync(work, { recursive: true, force: true });
  process.on("exit", removeWork);
  let store: EmbeddedContentStore | undefined;
  try {
    const keys = await castOf(cp);
    const [cn, sg, platform, court] = await Promise.all([
      Party.signIn(p.gatewayUrl, "the CN bureau", keys.cnAgency),
      Party.signIn(p.gatewayUrl, "the SG police unit", keys.sgAgency),
      Party.signIn(p.gatewayUrl, "LionCast (SG platform)", keys.sgPlatform),
      Party.signIn(p.gatewayUrl, "the Paris court", keys.frCourt),
    ]);
    log(`Run ${run} on the gateway at ${p.gatewayUrl} (chain ${cp.chainId}); each party signs in with its own key:`);
    for (const party of [cn, sg, platform, court]) {
      const pr = party.principal as Extract<GatewayPrincipal, { kind: "member" }>;
      log(`  ${party.name}: member ${pr.memberId}, ${pr.jurisdiction}, ${pr.roles.join("+")}`);
    }
    store = await EmbeddedContentStore.open(path.join(work, "packages"));

    // 1. Capture, package, anchor.
    log("");
    log("1. The CN bureau captures a pirated live stream of a football match and anchors the evidence");
    const clipPath = path.join(work, "live-stream-capture.webm");
    // A stand-in for the recorded video: a marker line, then noise (unique to this run).
    writeFileSync(
      clipPath,
      Buffer.concat([Buffer.from(`crossproof demo capture ${run}\n`), randomBytes(1_500_000 + (run.length % 7))]),
    );
    const logPath = path.join(work, "capture-log.json");
    const stream = `https://live.lioncast.example/watch/${run}`;
    const collectedAt = (await cp.chainTime()) - 300;
    writeFileSync(
      logPath,
      JSON.stringify({ stream, viewers: 18_342, started: chinaTime(collectedAt - 900), run }, null, 2),
    );
    const files = [
      { path: "live-stream-capture.webm", source: clipPath },
      { path: "capture-log.json", source: logPath },
    ];
    const manifest = await buildManifest({
      files,
      category: EvidenceCategory.LIVE_STREAM_RECORDING,
      acquisition: {
        tool: { name: "crossproof-demo-stream-recorder", version: "2.1" },
        method: "screen-recording",
        collector: { name: "Investigator Li Wei (demo)", organisation: cn.name, memberId: cn.memberId },
        collectedAt: chinaTime(collectedAt),
        timeZone: "Asia/Shanghai",
        source: { url: stream, platform: "LionCast", account: `mirror-${run.slice(-4)}` },
        jurisdiction: { collecting: "CN", firstUpload: "SG", primaryDissemination: "CN" },
      },
    });
    const recipients = [
      await encryptionKeyOf(cn, cn.memberId, await cp.chainTime()),
      await encryptionKeyOf(cn, sg.memberId, await cp.chainTime()),
    ];
    const sealed = await sealPackage({ manifest, files, recipients, store });
    await cn.uploadPackage(store, sealed.cid);
    log(`   package ${sealed.contentHash} (2 files), encrypted for the CN bureau and the SG police unit`);
    log(`   stored at the gateway as ${sealed.cid}`);
    const caseReference = `SZ-CB-${run}`;
    const caseRef = caseReferenceHash(caseReference, keccakText(`case salt ${run}`));
    const anchored = await cn.submit(
      await cp.evidence.signAnchorEvidence(cn.key, {
        contentHash: sealed.contentHash,
        packageCid: sealed.cid,
        category: EvidenceCategory.LIVE_STREAM_RECORDING,
        firstUpload: "SG",
        primaryDissemination: "CN",
        caseRef,
        collectedAt,
      }),
    );
    const recordId = String(anchored.recordId);
    log(`   anchored as record ${recordId} (case ${caseReference}; collected in CN, first uploaded in SG)`);

    // 2. Custody CN → SG, acknowledged.
    log("");
    log("2. Custody passes from the CN bureau to the SG police unit, which acknowledges receipt");
    for (const [party, eventType, counterparty] of [
      [cn, "Collected", 0],
      [cn, "Sealed", 0],
      [cn, "Transferred", sg.memberId],
      [sg, "Received", cn.memberId],
    ] as const) {
      await party.submit(await cp.evidence.signCustody(party.key, { recordId, eventType, counterparty }));
      log(`   ${eventType.padEnd(11)} signed by ${party.name}`);
    }
    const custody = await sg.read<{ events: { eventType: string }[]; verification: { status: string } }>(
      `/v1/evidence/${recordId}/custody`,
      (c) => c.events.length >= 4,
    );
    log(`   custody: ${custody.events.map((e) => e.eventType).join(" → ")}: ${custody.verification.status}`);

    // 3. Preservation requests to the SG platform: one answered, one left to go overdue.
    log("");
    log("3. The CN bureau asks LionCast (SG) to preserve the uploader's data: two PRESERVE requests");
    const issue = async (account: string) =>
      cn.submit(
        await cp.assistance.signIssue(cn.key, {
          addressee: platform.memberId,
          kind: "Preserve",
          caseRef,
          evidenceIds: [recordId],
          contentRefsHash: keccakText(`${stream} ${account}`),
          dataCategories: ["SUBSCRIBER", "TRAFFIC", "CONTENT"],
          firstUpload: "SG",
          primaryDissemination: "CN",
          legalBasisHash: keccakText("Copyright Law of the PRC, art. 53; CN-SG recognition agreement (demo)"),
        }),
      );
    const first = await issue("uploader");
    const second = await issue("mirror account");
    const hours = (Number(first.deadline) - (await cp.chainTime())) / 3600;
    log(
      `   request ${short(first.requestId)} and ${short(second.requestId)} issued, due ${iso(Number(first.deadline))} ` +
        `(${Math.round(hours)} hours, the terms of recognition agreement #${first.agreementId})`,
    );
    await platform.submit(await cp.assistance.signAcknowledge(platform.key, { requestId: String(first.requestId) }));
    const confirmation = path.join(work, "preservation-confirmation.json");
    writeFileSync(
      confirmation,
      JSON.stringify({ requestId: first.requestId, preserved: ["subscriber", "traffic", "content"], run }),
    );
    const answerPackage = await sealPackage({
      manifest: await buildManifest({
        files: [{ path: "preservation-confirmation.json", source: confirmation }],
        category: EvidenceCategory.PLATFORM_RECORDS,
        acquisition: {
          tool: { name: "lioncast-legal-export", version: "5" },
          method: "platform-export",
          collector: { name: "Trust & Safety desk (demo)", organisation: platform.name, memberId: platform.memberId },
          collectedAt: iso(await cp.chainTime()),
          source: { platform: "LionCast", account: `mirror-${run.slice(-4)}` },
          jurisdiction: { collecting: "SG" },
        },
      }),
      files: [{ path: "preservation-confirmation.json", source: confirmation }],
      recipients: [await encryptionKeyOf(platform, cn.memberId, await cp.chainTime())],
      store,
    });
    await platform.uploadPackage(store, answerPackage.cid);
    const answered = await platform.submit(
      await cp.assistance.signAnswer(platform.key, {
        requestId: String(first.requestId),
        outcome: "Fulfilled",
        responseHash: answerPackage.contentHash,
        responseCid: answerPackage.cid,
      }),
    );
    log(
      `   LionCast acknowledged the first and answered it: ${String(answered.state)}` +
        `${answered.late === true ? " (late)" : " (on time)"}, its confirmation sealed for the CN bureau`,
    );
    log("   the second request is left unanswered");
    let timeTravelRefused: string | undefined;
    try {
      const to = await advanceLocalChainTime(
        p.rpcUrl,
        Number(second.deadline) - (await cp.chainTime()) + 60,
        (method, params) => cp.provider.send(method, params),
      );
      log(`   (local chain only: its clock moved past the deadline, to ${iso(to)})`);
    } catch (err) {
      if (!(err instanceof TimeTravelRefusedError)) throw err;
      timeTravelRefused = err.message;
      log(`   (the clock was not moved: ${err.message})`);
    }
    const view = async (id: unknown) =>
      (await cn.read<{ request: Json }>(`/v1/assistance/${String(id)}`)).request as {
        requestId: string;
        state: string;
        stateNow: string;
        late: boolean;
        deadline: string;
        agreementId: number;
      };
    const [firstNow, secondNow] = [await view(first.requestId), await view(second.requestId)];
    log(
      `   now: the first is ${firstNow.stateNow}, the second is ${secondNow.stateNow} (deadline ${secondNow.deadline})`,
    );
    const figures = await cn.read<{ due: number; answeredOnTime: number; overdue: number }>(
      `/v1/compliance/${platform.memberId}?from=${Number(first.deadline) - 1}&to=${Number(second.deadline) + 1}`,
    );
    log(
      `   LionCast's compliance for these deadlines: ${figures.due} due, ${figures.answeredOnTime} answered on time, ` +
        `${figures.overdue} overdue`,
    );

    // 4. The licensing chain.
    log("");
    log("4. The rights holder proves its licence chain: holder → distributor → sublicensee");
    const [holder, distributor] = await Promise.all([
      Party.signIn(
        p.gatewayUrl,
        "Pearl River Sports Media (rights holder)",
        devAccount(DEMO_ACCOUNTS.rightsHolder, cp.provider),
      ),
      Party.signIn(p.gatewayUrl, "AsiaLive Distribution", devAccount(DEMO_ACCOUNTS.distributor, cp.provider)),
    ]);
    const sublicensee = devAccount(DEMO_ACCOUNTS.sublicensee, cp.provider);
    const { workId } = await holder.submit(
      await cp.licenses.signRegisterWork(holder.key, {
        contentHash: `0x${sha256Hex(`reference recording of the match broadcast, run ${run}`)}`,
        rightsHolder: holder.key.address,
        originJurisdiction: "CN",
        metadataCid: await computeCid(new TextEncoder().encode(`{"title":"Cup final (demo)","run":"${run}"}`)),
      }),
    );
    const now = await cp.chainTime();
    const { licenceId: rootId } = await holder.submit(
      await cp.licenses.signGrant(holder.key, {
        workId: String(workId),
        licensee: distributor.key.address,
        rights: ["BROADCAST", "MAKE_AVAILABLE"],
        territories: ["SG", "MY", "FR"],
        end: now + 365 * 86400,
        sublicensable: true,
      }),
    );
    const { licenceId: leafId } = await distributor.submit(
      await cp.licenses.signGrant(distributor.key, {
        workId: String(workId),
        parentId: String(rootId),
        licensee: sublicensee.address,
        rights: ["BROADCAST"],
        territories: ["SG"],
        end: now + 180 * 86400,
      }),
    );
    log(`   work ${short(workId)}: licence ${short(rootId)} to AsiaLive (SG, MY, FR; sublicensable),`);
    log(`   sublicence ${short(leafId)} from AsiaLive to LionStream (${short(sublicensee.address)}): broadcast in SG`);
    type Verdict = { authorized: boolean; reason: string; summary: string; chain: unknown[] };
    const ask = (territory: string) =>
      holder.read<Verdict>(`/v1/licences/${String(leafId)}/authorization?right=BROADCAST&territory=${territory}`);
    const inSg = await ask("SG");
    const inFr = await ask("FR");
    log(`   SG: ${inSg.reason}: ${inSg.summary}`);
    log(`   FR: ${inFr.reason}: ${inFr.summary}`);

    // 5. Shared with the FR court, verified through the gateway, endorsed.
    log("");
    log("5. The SG police unit shares the package with the Paris court, which verifies and recognises it");
    const sgKeys = await demoMemberKeys(p.dataDir, sg.memberId);
    const header = await readPackageHeader(store, sealed.cid);
    const holderKey = sgKeys.packageKeys.find((k) => header.recipients.includes(k.kid));
    if (holderKey === undefined) throw new Error("the SG police unit holds no key the package was sealed for");
    const rewrapped = await rewrapPackage({
      cid: sealed.cid,
      store,
      holderKey,
      recipients: [await encryptionKeyOf(sg, court.memberId, await cp.chainTime())],
      currentRecipients: registeredRecipientKeys(cp.consortium),
      expectedContentHash: sealed.contentHash,
    });
    await sg.uploadPackage(store, rewrapped.cid);
    await sg.submit(
      await cp.evidence.signAddRecipient(sg.key, { recordId, recipient: court.memberId, packageCid: rewrapped.cid }),
    );
    log(`   re-wrapped for the court's registered key: ${rewrapped.cid} (same package hash), RecipientAdded on chain`);
    const signed = await court.gateway.verify({ packageCid: rewrapped.cid }, { anchoredBy: cn.memberId });
    log(`   the court's verification through the gateway: ${signed.report.indication}`);
    for (const c of checksOf(signed.report)) log(`     ${c.check.padEnd(24)} ${c.result}`);
    const reVerified = await court.gateway.verifyReport(signed.jws);
    const jwks = await court.gateway.jwks();
    const courtKey = jwks.keys.find((k) => k.kid === signed.kid) as { crossproof_member?: string } | undefined;
    log(
      `   report signed by member ${reVerified.issuerMemberId}'s report key ${signed.kid} ` +
        `(published for member ${courtKey?.crossproof_member ?? "?"}), checked against the chain: valid`,
    );
    const endorsed = await court.submit(
      await cp.evidence.signEndorsement(court.key, {
        recordId,
        verdict: "Recognized",
        reportHash: reportDigest(signed.jws),
      }),
    );
    const agreement = await court.call<{ from: string; to: string; minAssurance: string[] }>(
      "GET",
      `/v1/agreements/${String(endorsed.agreementId)}`,
    );
    log(
      `   the court recorded "${String(endorsed.verdict)}" citing recognition agreement #${String(endorsed.agreementId)} ` +
        `(${agreement.from} → ${agreement.to}, ${agreement.minAssurance.join(" + ")} checked on chain)`,
    );

    // 6. A tampered copy.
    log("");
    log("6. A copy of the clip with a few bytes changed is checked against the anchored manifest");
    const tamperedPath = path.join(work, "tampered-copy.webm");
    const bytes = readFileSync(clipPath);
    bytes[bytes.length >> 1] = bytes[bytes.length >> 1]! ^ 0xff;
    writeFileSync(tamperedPath, bytes);
    const tampered = await court.gateway.verifyUpload(
      { manifest: sealed.manifest, files: [{ path: "live-stream-capture.webm", source: tamperedPath }] },
      { anchoredBy: cn.memberId },
    );
    const failed = checksOf(tampered.report).find((c) => c.result === "FAILED");
    log(
      `   ${tampered.report.indication}: ${failed?.check ?? "no check"} ${failed?.subCode ?? ""}: ` +
        `${failed?.summary ?? tampered.report.summary}`,
    );

    // What is kept.
    const keptDir = path.join(p.dataDir, "demo", run);
    mkdirSync(keptDir, { recursive: true });
    const reportFile = path.join(keptDir, "court-report.jws");
    writeFileSync(reportFile, `${signed.jws}\n`);
    writeFileSync(path.join(keptDir, "tampered-copy-report.jws"), `${tampered.jws}\n`);
    const outcome: CrossBorderDemoOutcome = {
      run,
      caseReference,
      members: { cnAgency: cn.memberId, sgAgency: sg.memberId, sgPlatform: platform.memberId, frCourt: court.memberId },
      recordId,
      contentHash: sealed.contentHash,
      packageCid: sealed.cid,
      sharedCid: rewrapped.cid,
      custody: { events: custody.events.map((e) => e.eventType), status: custody.verification.status },
      preservation: {
        answered: {
          requestId: firstNow.requestId,
          state: firstNow.stateNow,
          late: firstNow.late,
          deadline: firstNow.deadline,
          agreementId: firstNow.agreementId,
        },
        unanswered: {
          requestId: secondNow.requestId,
          stateNow: secondNow.stateNow,
          deadline: secondNow.deadline,
          ...(timeTravelRefused === undefined ? {} : { timeTravelRefused }),
        },
        compliance: { due: figures.due, answeredOnTime: figures.answeredOnTime, overdue: figures.overdue },
      },
      licensing: {
        chain: [holder.key.address, distributor.key.address, sublicensee.address],
        authorized: { territory: "SG", authorized: inSg.authorized, reason: inSg.reason, summary: inSg.summary },
        refused: { territory: "FR", authorized: inFr.authorized, reason: inFr.reason, summary: inFr.summary },
      },
      court: {
        indication: signed.report.indication,
        reportIssuer: reVerified.issuerMemberId,
        reportKid: signed.kid,
        reportVerified: reVerified.valid,
        reportFile,
        endorsement: {
          verdict: String(endorsed.verdict),
          agreementId: String(endorsed.agreementId),
          agreement: `${agreement.from} → ${agreement.to}`,
        },
      },
      tampered: {
        indication: tampered.report.indication,
        check: failed?.check ?? "",
        subCode: failed?.subCode ?? "",
        summary: failed?.summary ?? "",
      },
      kept: [reportFile, path.join(keptDir, "tampered-copy-report.jws"), path.join(keptDir, "outcome.json")],
    };
    writeFileSync(path.join(keptDir, "outcome.json"), `${JSON.stringify(outcome, null, 2)}\n`);
    summarise(outcome, log);
    return outcome;
  } finally {
    await store?.close();
    removeWork();
    process.off("exit", removeWork);
    cp.close();
  }
}

/** Every check of a report: the evidence's own, then the first anchor's. */
function checksOf(report: VerificationReport) {
  return [...report.checks, ...(report.anchors[0]?.checks ?? [])];
}

const short = (h: unknown) => `${String(h).slice(0, 10)}…`;

function summarise(o: CrossBorderDemoOutcome, log: (line: string) => void): void {
  const p = o.preservation;
  log("");
  log(`Summary of run ${o.run} (case ${o.caseReference})`);
  log(`  evidence      record ${o.recordId}, anchored by the CN bureau (member ${o.members.cnAgency})`);
  log(`  custody       ${o.custody.events.join(" → ")}: ${o.custody.status}`);
  log(
    `  preservation  first request ${p.answered.state}${p.answered.late ? " late" : " on time"}; second ` +
      `${p.unanswered.stateNow}${p.unanswered.timeTravelRefused === undefined ? "" : " (clock not moved)"}; ` +
      `LionCast: ${p.compliance.answeredOnTime} on time, ${p.compliance.overdue} overdue`,
  );
  log(
    `  licensing     LionStream may broadcast in SG (${o.licensing.authorized.reason}), not in FR ` +
      `(${o.licensing.refused.reason})`,
  );
  log(
    `  court         ${o.court.indication}, report signed by member ${o.court.reportIssuer}; ` +
      `${o.court.endorsement.verdict} under agreement #${o.court.endorsement.agreementId} (${o.court.endorsement.agreement})`,
  );
  log(`  tampered copy ${o.tampered.indication} at ${o.tampered.check} (${o.tampered.subCode})`);
  log(`  kept          ${path.dirname(o.kept[0]!)}: the signed reports and outcome.json (no evidence content)`);
}

/** Whether a folder holds the demo's outcome for a run (for tests and tooling). */
export function keptOutcome(dataDir: string, run: string): CrossBorderDemoOutcome | undefined {
  const file = path.join(dataDir, "demo", run, "outcome.json");
  return existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as CrossBorderDemoOutcome) : undefined;
}
