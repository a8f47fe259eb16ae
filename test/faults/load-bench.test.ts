import { expect } from "chai";
import { runLoadBench } from "../../scripts/lib/load-bench";

/** `npm run bench:load` in miniature: the script runs end to end and its checks hold (no figures asserted). */
describe("bench:load (smoke: 30 submissions, 2 s of verifications)", function () {
  this.timeout(300_000);
  it("answers every request, confirms every accepted submission once, and reports memory and latency", async function () {
    const r = await runLoadBench({
      submissions: 30,
      submissionConnections: 4,
      verificationSeconds: 2,
      verificationConnections: 2,
    });
    expect(r.submissions).to.include({
      requests: 30,
      accepted: 30,
      confirmed: 30,
      failed: 0,
      lost: 0,
      anchoredOnChain: 30,
      duplicatesOnChain: 0,
      relayerTransactions: 30,
      errors: 0,
      timeouts: 0,
      unexpectedStatus: 0,
    });
    expect(r.verifications).to.include({ errors: 0, timeouts: 0, unexpectedStatus: 0 });
    expect(r.verifications.requests).to.be.greaterThan(0);
    for (const v of Object.values(r.memory).flat()) expect(v).to.be.greaterThan(0);
    expect(r.submissions.p99Ms).to.be.at.least(r.submissions.p50Ms);
  });
});
