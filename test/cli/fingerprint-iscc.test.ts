import { expect } from "chai";
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bundleCli, runCli } from "../helpers/cli";

const hasFfmpeg = spawnSync("ffmpeg", ["-hide_banner", "-version"]).status === 0;
const SAMPLE = path.resolve(__dirname, "..", "vectors", "iscc", "demo.mp4");

/** `crossproof fingerprint` prints the ISCC-CODE iscc-sdk's `code_iscc` gives the sample video (PROVENANCE.md). */
describe("CLI: fingerprint prints a video's full ISCC-CODE", function () {
  this.timeout(120_000);
  let dir = "";
  let bundle = "";
  let remove = (): void => {};

  before(function () {
    if (!hasFfmpeg) {
      console.log("    (ffmpeg is not installed: apt-get install --no-install-recommends ffmpeg; skipping)");
      this.skip();
    }
    dir = mkdtempSync(path.join(tmpdir(), "crossproof-cli-iscc-"));
    ({ bundle, remove } = bundleCli("crossproof-iscc"));
  });

  after(function () {
    remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("Meta-, Video-, Data- and Instance-Code, as iscc-sdk composes them for a video file", async function () {
    copyFileSync(SAMPLE, path.join(dir, "video.mp4"));
    const run = await runCli(bundle, ["fingerprint", "video.mp4", "--json"], { cwd: dir });
    expect(run.code, run.stderr).to.equal(0);
    const { iscc } = run.json<{
      iscc: { code: string; units: string[]; mode: string; meta: { name: string } | null; videoFrames: number };
    }>();
    expect(iscc.code).to.equal("ISCC:KMCV6UK6BSXJ3I4GLYHIH5A5DNZPYBWQO33FNHPQFOOUCLLW3HKRNUA");
    expect(iscc.units).to.deep.equal([
      "ISCC:AAAV6UK6BSXJ3I4G",
      "ISCC:EMAV4DUD6QORW4X4",
      "ISCC:GAAQNUDW6ZLJ34BL",
      "ISCC:IAAZ2QJNO3M5KFWQ",
    ]);
    expect(iscc.mode).to.equal("video");
    expect(iscc.videoFrames).to.equal(300);
    expect(iscc.meta?.name).to.equal("Kali by Anokato - Spiral Sessions 2019");
    expect(run.json()).to.not.have.nested.property("iscc.note");
  });
});
