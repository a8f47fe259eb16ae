import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { QUICK, markdown, runFingerprintBench, writeReadme } from "../../scripts/bench-fingerprint";

const hasFfmpeg = spawnSync("ffmpeg", ["-hide_banner", "-version"]).status === 0;
/** Debian's ffmpeg is built with libflite (the speech sources); another build may not be. */
const hasFlite =
  hasFfmpeg && spawnSync("ffmpeg", ["-hide_banner", "-h", "filter=flite"]).stdout.toString().includes("text");

/** `npm run bench:fingerprint` end to end in its smallest form: one work, three edits, a few negatives, a small index. */
describe("bench:fingerprint (smallest quick mode, end to end)", function () {
  this.timeout(120_000);

  before(function () {
    if (!hasFfmpeg || !hasFlite) {
      console.log("    (ffmpeg with its flite filter is not installed: apt-get install ffmpeg (Debian); skipping)");
      this.skip();
    }
  });

  it("generates, edits, matches and reports recall, IoU, latency and the scale figures; writes the README block", async function () {
    const lines: string[] = [];
    const res = await runFingerprintBench({
      ...QUICK,
      mode: "test",
      works: 1,
      workSeconds: 12,
      clipSeconds: 5,
      negatives: 6,
      negativeSeconds: 5,
      scaleFrames: 20_000,
      edits: ["trim", "mirror", "sound only"],
      realClips: 1,
      log: (l) => lines.push(l),
    });
    // One generated work of 24 frames, and the real sample video (60 s: 120 frames).
    expect(res.index).to.include({ works: 2, frames: 24 + 120 });
    expect(res.real!.rows.map((r) => [r.edit, r.clips])).to.deep.equal([
      ["trim", 1],
      ["mirror", 1],
      ["sound only", 1],
    ]);
    expect(res.real!.rows.find((r) => r.edit === "trim")).to.include({ either: 1 });
    expect(res.negatives).to.include({ unregistered: res.negatives.total - 2 });
    expect(res.negatives.unregistered).to.be.at.least(6);
    const row = (edit: string) => res.rows.find((r) => r.edit === edit)!;
    expect(row("trim")).to.include({ clips: 1, either: 1 });
    expect(row("mirror")).to.include({ clips: 1, video: 1 });
    expect(row("sound only")).to.include({ clips: 1, video: null, audio: 1 });
    expect(row("trim").iou).to.be.above(0.5);
    expect(row("pictures with other sound")).to.include({ clips: 1, video: 1, audio: null });
    expect(row("sound over other pictures")).to.include({ clips: 1, video: null, audio: 1 });
    expect(res.latencyMs.p95).to.be.at.least(res.latencyMs.p50);
    expect(res.scale!.frames).to.equal(20_000);
    expect(res.scale!.probes.map((p) => p.probeRadius)).to.deep.equal([1, 2]);
    expect(res.scale!.loadMs).to.be.at.least(0);
    expect(lines.some((l) => l.startsWith("negatives:"))).to.equal(true);

    const md = markdown(res);
    expect(md).to.include("| trim | 1 | 100 % | 100 % | 100 % |");
    expect(md).to.include("cannot show real-world rates");
    expect(md).to.include("| edit (real footage) |");
    const dir = mkdtempSync(path.join(tmpdir(), "crossproof-benchmd-"));
    try {
      const readme = path.join(dir, "README.md");
      writeFileSync(
        readme,
        "# x\n\nbefore\n<!-- bench:fingerprint -->\nold table\n<!-- /bench:fingerprint -->\nafter\n",
      );
      await writeReadme(readme, md);
      const text = readFileSync(readme, "utf8");
      expect(text).to.not.include("old table");
      expect(text).to.include("| edit ").and.to.include("cannot show real-world rates");
      expect(text).to.match(/\| trim +\| +1 \| +100 % \|/);
      expect(text.startsWith("# x\n\nbefore\n<!-- bench:fingerprint -->")).to.equal(true);
      expect(text.endsWith("<!-- /bench:fingerprint -->\nafter\n")).to.equal(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
