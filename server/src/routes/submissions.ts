/**
 * Submissions: members and accounts hand the gateway EIP-712 signed requests built by the SDK
 * (`toWireRequest`); the gateway checks them (see outbox.ts), files them in its durable outbox, answers `202` with
 * a tracking id, and its worker sends them through the relayer key. `GET /v1/submissions/{id}` says where one is.
 */
import { Gauge, Counter } from "prom-client";
import { SIGNED_REQUEST_FORMAT, DomainName } from "../../../sdk/src";
import { recordAudit } from "../audit";
import type { Principal } from "../auth/principal";
import type { GatewayModule } from "../gateway";
import { Outbox, OutboxStates, type Submitter } from "../outbox";
import { Problem } from "../problems";
import { z } from "../zod";

const hex = (bytes: number) =>
  z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`), `${bytes} bytes as 0x-hex`);
const signature = hex(65);
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address");
const contracts = Object.keys(DomainName) as [keyof typeof DomainName, ...(keyof typeof DomainName)[]];

/** A signed request on the wire (the SDK's `WireSignedRequest`); its fields are checked against the contract's types. */
export const SignedRequestSchema = z
  .object({
    format: z.literal(SIGNED_REQUEST_FORMAT),
    contract: z.enum(contracts),
    primaryType: z.string().min(1).max(64).openapi({ example: "AnchorEvidence" }),
    domain: z
      .object({
        name: z.string().max(64),
        version: z.string().max(8),
        chainId: z.string().regex(/^[0-9]{1,78}$/, "a decimal chain id"),
        verifyingContract: address,
        salt: hex(32),
      })
      .strict(),
    request: z.record(z.unknown()).openapi({
      description:
        "The request's fields as the contract's EIP-712 type names them: integers as decimal strings, bytes and " +
        "addresses as 0x-hex, booleans, arrays and structs as JSON",
    }),
    signature,
    signer: address.openapi({ description: "The key that signed (checked: the signature must recover it)" }),
    cosignatures: z
      .record(signature)
      .optional()
      .openapi({ description: "Second signatures by name: newHolderSignature (AssignWork), keySignature (AddOwnKey)" }),
  })
  .strict()
  .openapi("SignedRequest");

const SubmissionErrorSchema = z
  .object({
    code: z.string().openapi({
      description: "The SDK's error code, or DEPENDENCY_FAILED: a submission it was accepted behind failed",
    }),
    message: z.string(),
    error: z.string().optional().openapi({ description: "The contract's custom error" }),
    args: z.array(z.unknown()).optional(),
    argsInWords: z.record(z.string()).optional(),
    dependency: z
      .object({ id: z.string().uuid(), primaryType: z.string(), error: z.record(z.unknown()) })
      .optional()
      .openapi({ description: "DEPENDENCY_FAILED: the submission it waited for, and how that one failed" }),
  })
  .openapi("SubmissionError");

export const SubmissionSchema = z
  .object({
    id: z.string().uuid(),
    status: z.enum(["pending", "confirmed", "failed"]),
    state: z.enum(OutboxStates),
    contract: z.string(),
    primaryType: z.string(),
    digest: z.string(),
    signer: z.string(),
    checkedAtIntake: z.boolean(),
    dependsOn: z
      .array(z.string().uuid())
      .optional()
      .openapi({
        description:
          "The submissions still in the outbox this one was accepted behind (the anchor of its record, the signer's " +
          "previous nonce…): it is sent once they are all confirmed, and fails with DEPENDENCY_FAILED if one fails",
      }),
    waitingFor: z
      .array(z.string().uuid())
      .optional()
      .openapi({ description: "Those of dependsOn not settled yet, while this one waits to be sent" }),
    acceptedAt: z.string(),
    sentAt: z.string().optional(),
    settledAt: z.string().optional(),
    transaction: z
      .object({ hash: z.string(), nonce: z.number().int(), blockNumber: z.number().int().optional() })
      .optional(),
    result: z.record(z.unknown()).optional().openapi({ description: "The domain result (recordId, licenceId…)" }),
    error: SubmissionErrorSchema.optional(),
  })
  .openapi("Submission");

const Accepted = z
  .object({ id: z.string().uuid(), status: z.enum(["pending", "confirmed", "failed"]), statusUrl: z.string() })
  .openapi("SubmissionAccepted");

function submitterOf(principal: Principal): Submitter {
  return { address: principal.address, memberId: principal.kind === "member" ? principal.memberId : null };
}

export const submissionsModule: GatewayModule = (ctx) => {
  const outbox =
    ctx.config.relayerKey === ""
      ? undefined
      : new Outbox(ctx.db, {
          cp: ctx.cp,
          relayerKey: ctx.config.relayerKey,
          log: ctx.log,
          options: { confirmations: ctx.config.confirmations },
        });
  if (outbox === undefined) {
    ctx.log.warn("no relayer key (CROSSPROOF_RELAYER_KEY): submissions are refused");
  } else {
    const settled = new Counter({
      name: "crossproof_gateway_outbox_settled_total",
      help: "Submissions settled since the gateway started, by outcome",
      labelNames: ["outcome"] as const,
      registers: [ctx.metrics.registry],
    });
    outbox.onSettled = (outcome) => settled.inc({ outcome });
    const reopened = new Counter({
      name: "crossproof_gateway_outbox_reopened_total",
      help: "Confirmed submissions that went back to pending because their block left the chain (a reorganisation)",
      registers: [ctx.metrics.registry],
    });
    outbox.onReopened = (count) => reopened.inc(count);
    new Gauge({
      name: "crossproof_gateway_outbox_depth",
      help: "Submissions in the outbox not settled yet: accepted (waiting to be sent), sent (waiting for a receipt)",
      labelNames: ["state"] as const,
      registers: [ctx.metrics.registry],
      collect() {
        const counts = outbox.counts();
        this.set({ state: "accepted" }, counts.accepted);
        this.set({ state: "sent" }, counts.sent);
      },
    });
    outbox.start();
    ctx.onClose(() => outbox.close());
  }
  const need = (): Outbox => {
    if (outbox === undefined) {
      throw new Problem("not-ready", "this gateway has no relayer key (CROSSPROOF_RELAYER_KEY): it cannot submit");
    }
    return outbox;
  };

  ctx.api.route({
    method: "post",
    path: "/v1/submissions",
    summary: "Submit an EIP-712 signed request; it is filed in the outbox and sent by the gateway's relayer",
    description:
      "Checked before it is filed: its fields against the contract's EIP-712 types (400), the deployment's domain " +
      "(422 DOMAIN_MISMATCH), the signature recovered offline and the named signer's (422 SIGNATURE_INVALID), the " +
      "deadline (422 CONTRACT_REVERTED, error SignedRequestExpired) and, when the chain answers, the contract's own " +
      "rules by a static call from the relayer (422 CONTRACT_REVERTED with the custom error and its arguments in " +
      "words). Accepted while the chain does not answer (checked when it is sent; a failure then shows on its " +
      "status). The same signed request submitted again answers its first submission (200). A request the chain " +
      "refuses only because it depends on a submission still in the outbox (custody, an endorsement or a " +
      "retraction of a record whose anchor is queued; the signer's next nonce while its previous one is queued) is " +
      "accepted behind it (dependsOn) and checked when it is sent. A request's nonce must be the signer's nonce on " +
      "chain plus its nonce-carrying requests in the outbox: 409 NONCE_TAKEN or NONCE_GAP otherwise.",
    tags: ["submissions"],
    auth: "signed-in",
    body: SignedRequestSchema,
    responses: {
      202: { description: "Accepted: follow statusUrl", schema: Accepted },
      200: { description: "This request was submitted before: its submission", schema: Accepted },
      409: { description: "Its nonce is taken by a queued submission, or leaves a gap (code NONCE_TAKEN, NONCE_GAP)" },
      422: { description: "The signature is not valid, or the contract refuses the request" },
      503: { description: "This gateway has no relayer key" },
    },
    handler: async ({ body, principal, req }) => {
      const { submission, created } = await need().intake(submitterOf(principal!), body);
      const statusUrl = `/v1/submissions/${submission.id}`;
      if (created) recordAudit(ctx, req, "submitted", submission.id);
      return {
        status: created ? 202 : 200,
        headers: { location: statusUrl },
        body: { id: submission.id, status: submission.status, statusUrl },
      };
    },
  });

  ctx.api.route({
    method: "get",
    path: "/v1/submissions/:id",
    summary: "Where a submission is: pending, confirmed (transaction, block, result) or failed (decoded error)",
    description:
      "For its submitter; a member's submissions also for the member's own keys and its staff logins. Anyone else: 404.",
    tags: ["submissions"],
    auth: "signed-in",
    params: z.object({ id: z.string().uuid() }),
    responses: {
      200: { description: "The submission", schema: SubmissionSchema },
      404: { description: "No such submission (or not yours)" },
    },
    handler: async ({ params, principal }) => {
      const found = need().get(params.id);
      const p = principal!;
      const visible =
        found !== undefined &&
        (found.submitter.toLowerCase() === p.address.toLowerCase() ||
          (p.kind === "member" && found.memberId === p.memberId.toString()));
      if (!visible) throw new Problem("not-found", `no submission ${params.id}`);
      return { status: 200, headers: { "cache-control": "no-store" }, body: found.submission };
    },
  });
};
