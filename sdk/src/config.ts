import { readFileSync } from "node:fs";
import { ZeroAddress, getAddress, id as keccakUtf8 } from "ethers";
import { z } from "zod";
import { Assurance, Role, type AssuranceName, type RoleName } from "./constants";
import { CrossproofError } from "./errors";
import { isJurisdictionCode, toJurisdiction, type JurisdictionHex } from "./jurisdiction";
import { memberNameHash } from "./consortium";
import type { AgreementTermsInput } from "./consortium";

const roleName = z.enum(Object.keys(Role) as [RoleName, ...RoleName[]]);
const assuranceName = z.enum(Object.keys(Assurance) as [AssuranceName, ...AssuranceName[]]);
const jurisdictionCode = z.string().refine(isJurisdictionCode, "an assigned ISO 3166-1 alpha-2 code");
const seconds = z
  .number()
  .int()
  .min(1)
  .max(2 ** 32 - 1);

/**
 * A recognition agreement the founding configuration declares between two of its jurisdictions. Only a local
 * development chain (`npm start`), whose governor keys are known, concludes these by itself; on a real network each
 * side's governor signs its approval.
 */
export const agreementConfigSchema = z
  .object({
    /** Collecting jurisdiction. */
    from: jurisdictionCode,
    /** Recognising jurisdiction. */
    to: jurisdictionCode,
    /** Evidence category indexes (0-63) covered. */
    categories: z.array(z.number().int().min(0).max(63)).min(1),
    minAssurance: z.array(assuranceName).default([]),
    /** With TIMELY_ANCHOR: the most seconds between collection and anchoring. */
    anchorWindowSeconds: seconds.optional(),
    responseWindowSeconds: seconds.optional(),
    emergencyResponseWindowSeconds: seconds.optional(),
    /** The agreement's text (its keccak256 goes on chain). */
    text: z.string().min(1),
  })
  .strict()
  .refine((a) => a.from !== a.to, "an agreement is between two different jurisdictions")
  .refine(
    (a) => a.minAssurance.includes("TIMELY_ANCHOR") === (a.anchorWindowSeconds !== undefined),
    "anchorWindowSeconds goes with the TIMELY_ANCHOR flag, and only with it",
  );
export type AgreementConfig = z.infer<typeof agreementConfigSchema>;
const address = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, "an Ethereum address")
  .transform((a) => getAddress(a.toLowerCase()))
  // The Consortium refuses the zero address as a key (ConsortiumKeyUnavailable): say so before deploying.
  .refine((a) => a !== ZeroAddress, "not the zero address");

/** The founding configuration of a consortium (see `config/demo-consortium.json`). */
export const consortiumConfigSchema = z
  .object({
    name: z.string().min(1),
    quorum: z
      .object({ numerator: z.number().int().min(1).max(65535), denominator: z.number().int().min(1).max(65535) })
      .refine((q) => q.numerator <= q.denominator, "quorum numerator must not exceed the denominator"),
    votingPeriodSeconds: z
      .number()
      .int()
      .min(3600)
      .max(2 ** 32 - 1),
    founders: z
      .array(
        z.object({
          name: z.string().min(1),
          jurisdiction: jurisdictionCode,
          roles: z.array(roleName).min(1),
          key: address,
        }),
      )
      .min(1)
      .refine((f) => f.some((m) => m.roles.includes("GOVERNOR")), "at least one founder must be a GOVERNOR")
      .refine((f) => new Set(f.map((m) => m.key)).size === f.length, "founder keys must be distinct"),
    recognitionAgreements: z.array(agreementConfigSchema).default([]),
  })
  .strict()
  .superRefine((c, ctx) => {
    const governed = new Set(c.founders.filter((f) => f.roles.includes("GOVERNOR")).map((f) => f.jurisdiction));
    c.recognitionAgreements.forEach((a, i) => {
      for (const side of [a.from, a.to]) {
        if (!governed.has(side)) {
          ctx.addIssue({
            code: "custom",
            path: ["recognitionAgreements", i],
            message: `no founding GOVERNOR in ${side} to approve it`,
          });
        }
      }
    });
  });

export type ConsortiumConfig = z.infer<typeof consortiumConfigSchema>;
export type ConsortiumConfigInput = z.input<typeof consortiumConfigSchema>;

/** The Consortium constructor's arguments. */
export interface ConsortiumConstructorArgs {
  founders: { jurisdiction: JurisdictionHex; roles: number; nameHash: string; key: string }[];
  quorumNumerator: number;
  quorumDenominator: number;
  votingPeriod: number;
}

/** Validates a consortium configuration object. */
export function parseConsortiumConfig(value: unknown): ConsortiumConfig {
  const r = consortiumConfigSchema.safeParse(value);
  if (!r.success) {
    throw new CrossproofError(
      "CONFIG_INVALID",
      `invalid consortium configuration: ${r.error.issues.map((i) => `${i.path.join(".") || "(root)"}: ${i.message}`).join("; ")}`,
      { cause: r.error },
    );
  }
  return r.data;
}

/** Reads and validates a consortium configuration file. */
export function loadConsortiumConfig(path: string): ConsortiumConfig {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, "utf8"));
  } catch (cause) {
    throw new CrossproofError("CONFIG_INVALID", `cannot read consortium configuration ${path}: ${String(cause)}`, {
      cause,
    });
  }
  return parseConsortiumConfig(raw);
}

/** Maps a configuration to the Consortium constructor's arguments. */
export function consortiumConstructorArgs(config: ConsortiumConfig): ConsortiumConstructorArgs {
  return {
    founders: config.founders.map((f) => ({
      jurisdiction: toJurisdiction(f.jurisdiction),
      roles: f.roles.reduce((m, r) => m | Role[r], 0),
      nameHash: memberNameHash(f.name),
      key: f.key,
    })),
    quorumNumerator: config.quorum.numerator,
    quorumDenominator: config.quorum.denominator,
    votingPeriod: config.votingPeriodSeconds,
  };
}

/** The agreement text's hash as recorded on chain: keccak256 of its NFC-normalised UTF-8 bytes. */
export function agreementTextHash(text: string): string {
  return keccakUtf8(text.normalize("NFC"));
}

/** The on-chain terms of an agreement the configuration declares (effective at once, no expiry). */
export function agreementTermsFromConfig(a: AgreementConfig): AgreementTermsInput {
  return {
    from: a.from,
    to: a.to,
    categories: a.categories,
    minAssurance: a.minAssurance,
    ...(a.anchorWindowSeconds === undefined ? {} : { anchorWindow: a.anchorWindowSeconds }),
    ...(a.responseWindowSeconds === undefined ? {} : { responseWindow: a.responseWindowSeconds }),
    ...(a.emergencyResponseWindowSeconds === undefined
      ? {}
      : { emergencyResponseWindow: a.emergencyResponseWindowSeconds }),
    textHash: agreementTextHash(a.text),
  };
}
