/**
 * The keys of the members a gateway serves, in encrypted key files: one file per member
 * (`member-<id>.jwe`), a JWE (`PBES2-HS512+A256KW`, 600,000 PBKDF2 iterations, `A256GCM`) over the member's keys:
 * signing keys (secp256k1, for members whose requests the gateway signs), report keys (P-256 / Ed25519 JWKs, to sign
 * verification reports) and package keys (X25519 / P-256 JWKs, to open packages addressed to the member). The
 * password comes from the environment (`CROSSPROOF_KEYSTORE_PASSWORD`), never from the command line.
 *
 * Rotation: add the new key to the file (`addKeys`), register it on chain, and keep the old one: a report key stays
 * needed until its reports are no longer checked against it (they are checked against the chain's record of when it
 * was valid, not against this file), a package key as long as packages sealed for it must be opened. Revoking on
 * chain is what stops a key; removing it from the file only stops this gateway from using it.
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { Wallet } from "ethers";
import { CompactEncrypt, compactDecrypt, type JWK } from "jose";
import { z } from "./zod";
import type { RecipientPrivateKey } from "../../sdk/src";

const PBES2_ITERATIONS = 600_000;

const privateJwk = z.object({ kty: z.string(), d: z.string() }).passthrough();
const fileSchema = z
  .object({
    format: z.literal("crossproof.member-keys/1"),
    memberId: z.string().regex(/^[1-9][0-9]*$/),
    signingKeys: z.array(z.string().regex(/^0x[0-9a-fA-F]{64}$/)).default([]),
    reportKeys: z.array(z.object({ kid: z.string().min(1), jwk: privateJwk })).default([]),
    packageKeys: z.array(z.object({ kid: z.string().min(1), jwk: privateJwk })).default([]),
  })
  .strict();
type KeyFile = z.infer<typeof fileSchema>;

/** One member's keys, as the gateway uses them. */
export interface HostedMember {
  memberId: bigint;
  /** Keys that sign the member's requests (when the gateway signs for it, e.g. the Accessed custody events). */
  signers: Wallet[];
  /** Report keys (private JWKs with their kid), newest last. */
  reportKeys: { kid: string; jwk: JWK }[];
  /** Package keys, newest last: every one is tried on a package addressed to the member. */
  packageKeys: RecipientPrivateKey[];
}

export interface MemberKeysInput {
  memberId: bigint | number;
  signingKeys?: string[];
  reportKeys?: { kid: string; jwk: JWK }[];
  packageKeys?: RecipientPrivateKey[];
}

const fileOf = (dir: string, memberId: bigint | number) => path.join(dir, `member-${BigInt(memberId)}.jwe`);

async function encryptFile(file: string, password: string, content: KeyFile): Promise<void> {
  const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(content)))
    .setProtectedHeader({ alg: "PBES2-HS512+A256KW", enc: "A256GCM", p2c: PBES2_ITERATIONS, cty: "json" })
    .encrypt(new TextEncoder().encode(password));
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, jwe, { mode: 0o600 });
  renameSync(tmp, file);
  chmodSync(file, 0o600);
}

function decryptFile(file: string, password: string): Promise<KeyFile> {
  return decryptJwe(readFileSync(file, "utf8"), password, `the key file ${file}`);
}

async function decryptJwe(jwe: string, password: string, source: string): Promise<KeyFile> {
  let plaintext: Uint8Array;
  try {
    ({ plaintext } = await compactDecrypt(jwe.trim(), new TextEncoder().encode(password), {
      keyManagementAlgorithms: ["PBES2-HS512+A256KW"],
      contentEncryptionAlgorithms: ["A256GCM"],
      maxPBES2Count: 10_000_000,
    }));
  } catch (cause) {
    throw new Error(`cannot open ${source}: wrong CROSSPROOF_KEYSTORE_PASSWORD, or it is damaged`, {
      cause,
    });
  }
  return fileSchema.parse(JSON.parse(new TextDecoder().decode(plaintext)));
}

function assertPassword(password: string): void {
  if (password.length < 12) throw new Error("the keystore password must have at least 12 characters");
}

/**
 * Adds keys to a member's key file (creating it), keeping the ones it holds: rotation never loses the old keys.
 * A key already in the file is not added twice.
 */
export async function addKeys(dir: string, password: string, input: MemberKeysInput): Promise<void> {
  assertPassword(password);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const file = fileOf(dir, input.memberId);
  const current: KeyFile = existsSync(file)
    ? await decryptFile(file, password)
    : {
        format: "crossproof.member-keys/1",
        memberId: BigInt(input.memberId).toString(),
        signingKeys: [],
        reportKeys: [],
        packageKeys: [],
      };
  const add = <T>(list: T[], items: T[] | undefined, key: (t: T) => string) => {
    const seen = new Set(list.map(key));
    for (const item of items ?? []) if (!seen.has(key(item))) list.push(item);
  };
  add(current.signingKeys, input.signingKeys, (k) => k.toLowerCase());
  add(current.reportKeys, input.reportKeys as KeyFile["reportKeys"], (k) => k.kid);
  add(current.packageKeys, input.packageKeys as KeyFile["packageKeys"], (k) => k.kid);
  await encryptFile(file, password, current);
}

/** Removes keys from a member's key file (by signing address or kid); returns how many were removed. */
export async function removeKeys(
  dir: string,
  password: string,
  memberId: bigint | number,
  keys: readonly string[],
): Promise<number> {
  const file = fileOf(dir, memberId);
  const current = await decryptFile(file, password);
  const drop = new Set(keys.map((k) => k.toLowerCase()));
  const before = current.signingKeys.length + current.reportKeys.length + current.packageKeys.length;
  current.signingKeys = current.signingKeys.filter((k) => !drop.has(new Wallet(k).address.toLowerCase()));
  current.reportKeys = current.reportKeys.filter((k) => !drop.has(k.kid.toLowerCase()));
  current.packageKeys = current.packageKeys.filter((k) => !drop.has(k.kid.toLowerCase()));
  await encryptFile(file, password, current);
  return before - (current.signingKeys.length + current.reportKeys.length + current.packageKeys.length);
}

/** The environment variable that may carry a member's key file instead of the keystore folder. */
export const MEMBER_KEYS_VARIABLE = /^CROSSPROOF_MEMBER_KEYS_([1-9][0-9]*)$/;

/** A member's keys as the gateway uses them, from a decrypted key file. */
function hostedMemberOf(k: KeyFile): HostedMember {
  return {
    memberId: BigInt(k.memberId),
    signers: k.signingKeys.map((key) => new Wallet(key)),
    reportKeys: k.reportKeys.map((r) => ({ kid: r.kid, jwk: r.jwk as JWK })),
    packageKeys: k.packageKeys.map((p) => ({ kid: p.kid, jwk: p.jwk as JWK })),
  };
}

/**
 * Every member key file in `dir`, and every key file given in the environment as `CROSSPROOF_MEMBER_KEYS_<member
 * id>` (the same encrypted JWE a key file holds: for deployments that inject secrets as variables rather than files),
 * opened with the password. A missing folder is an empty keystore; a member given both ways is refused (which one
 * counts would be a guess).
 */
export async function loadKeystore(
  dir: string,
  password: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Map<bigint, HostedMember>> {
  const members = new Map<bigint, HostedMember>();
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /^member-[1-9][0-9]*\.jwe$/.test(f)) : [];
  const variables = Object.keys(env).filter((k) => MEMBER_KEYS_VARIABLE.test(k) && (env[k] ?? "") !== "");
  if (files.length + variables.length > 0) assertPassword(password);
  for (const f of files) {
    const k = await decryptFile(path.join(dir, f), password);
    if (`member-${k.memberId}.jwe` !== f) throw new Error(`${f} holds the keys of member ${k.memberId}`);
    members.set(BigInt(k.memberId), hostedMemberOf(k));
  }
  for (const name of variables) {
    const id = BigInt(MEMBER_KEYS_VARIABLE.exec(name)![1]!);
    if (members.has(id)) throw new Error(`member ${id}'s keys are given both in ${dir} and in ${name}`);
    const k = await decryptJwe(env[name]!, password, name);
    if (BigInt(k.memberId) !== id) throw new Error(`${name} holds the keys of member ${k.memberId}`);
    members.set(id, hostedMemberOf(k));
  }
  return members;
}
