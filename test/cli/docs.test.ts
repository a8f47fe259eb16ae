/** docs/CLI.md states the exit code of every SDK error code and gateway problem type as the CLI applies them. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { CrossproofErrorCodes } from "../../sdk/src";
import { ExitCode, PROBLEM_TYPE_CLASSES, SDK_CODE_CLASSES, classify } from "../../sdk/src/cli/exit-codes";
import { CrossproofError } from "../../sdk/src";

const doc = readFileSync(path.resolve(__dirname, "..", "..", "docs", "CLI.md"), "utf8");

/** The exit code docs/CLI.md gives `name` in a table row listing it as `name`. */
function documentedExit(name: string): number | undefined {
  const row = doc.split("\n").find((l) => l.startsWith("|") && l.includes(`\`${name}\``));
  const last = row
    ?.split("|")
    .map((c) => c.trim())
    .filter((c) => c !== "")
    .at(-1);
  return last === undefined ? undefined : Number.parseInt(last, 10);
}

describe("docs/CLI.md: exit codes", function () {
  it("every SDK error code is in the table with the exit code the CLI uses", function () {
    for (const code of CrossproofErrorCodes) {
      expect(documentedExit(code), code).to.equal(ExitCode[SDK_CODE_CLASSES[code]]);
    }
  });

  it("every gateway problem type is in the table with the exit code the CLI uses", function () {
    for (const [slug, exitClass] of Object.entries(PROBLEM_TYPE_CLASSES)) {
      expect(documentedExit(slug), slug).to.equal(ExitCode[exitClass]);
    }
  });

  it("every problem type the gateway declares has a class (server/src/problems.ts)", function () {
    const problems = readFileSync(path.resolve(__dirname, "..", "..", "server", "src", "problems.ts"), "utf8");
    const block = problems.slice(problems.indexOf("ProblemTypes"), problems.indexOf("} as const"));
    const slugs = [...block.matchAll(/^\s+"?([a-z-]+)"?: \{ status:/gm)].map((m) => m[1]);
    expect(slugs.length).to.be.greaterThan(10);
    expect(Object.keys(PROBLEM_TYPE_CLASSES).sort()).to.deep.equal([...slugs].sort());
  });

  it("a gateway problem without an SDK code is classed by its type, else by its status", function () {
    const gatewayError = (problem: Record<string, unknown>) =>
      new CrossproofError("GATEWAY_ERROR", "x", { details: { status: problem.status, problem } });
    expect(classify(gatewayError({ type: "urn:crossproof:problem:forbidden", status: 403 })).exitClass).to.equal(
      "AUTH",
    );
    expect(classify(gatewayError({ type: "urn:crossproof:problem:contract-refused", status: 422 })).exitClass).to.equal(
      "REFUSED",
    );
    expect(classify(gatewayError({ type: "urn:example:other", status: 404 })).exitClass).to.equal("NOT_FOUND");
    expect(classify(gatewayError({ type: "urn:example:other", status: 503 })).exitClass).to.equal("NETWORK");
    expect(classify(new Error("a bug")).exitClass).to.equal("INTERNAL");
  });
});
