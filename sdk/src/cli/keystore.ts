/**
 * Member keys on disk: an encrypted JSON keystore (the Web3 Secret Storage format ethers and geth write; scrypt),
 * opened with a password from the environment or a prompt — never from the command line. Package keys (X25519
 * recipient keys) are kept as a JWE (PBES2-HS512+A256KW, A256GCM) under the same kind of password.
 */
import { scrypt as nodeScrypt } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { Wallet, encryptKeystoreJson, isKeystoreJson, scrypt } from "ethers";
import { CompactEncrypt, compactDecrypt } from "jose";
import type { RecipientPrivateKey } from "../index";
import { CliError } from "./exit-codes";

/** The environment variable the keystore password is read from. */
export const PASSWORD_ENV = "CROSSPROOF_KEYSTORE_PASSWORD";
/** scrypt's cost parameter N for new keystores (ethers' default; `--kdf-cost` lowers it for throwaway keys). */
export const DEFAULT_SCRYPT_N = 131072;

let nativeScrypt = false;
/** ethers' scrypt is pure JavaScript (seconds per keystore); Node's is native. Same function, same results. */
export function useNativeScrypt(): void {
  if (nativeScrypt) return;
  nativeScrypt = true;
  scrypt.register(
    (password, salt, N, r, p, dkLen) =>
      new Promise((resolve, reject) =>
        nodeScrypt(password, salt, dkLen, { N, r, p, maxmem: 256 * N * r + 1024 * 1024 }, (err, key) =>
          err === null ? resolve(new Uint8Array(key)) : reject(err),
        ),
      ),
  );
}

/** How the CLI gets a password: the environment, else a hidden prompt on a terminal. */
export interface PasswordSource {
  env: NodeJS.ProcessEnv;
  /** Asks on the terminal (undefined when stdin is not a terminal). */
  prompt: ((question: string) => Promise<string>) | undefined;
}

export async function readPassword(src: PasswordSource, what: string, confirm = false): Promise<string> {
  const fromEnv = src.env[PASSWORD_ENV];
  if (fromEnv !== undefined && fromEnv !== "") return fromEnv;
  if (src.prompt === undefined) {
    throw new CliError(
      "AUTH",
      `no password for ${what}`,
      `set ${PASSWORD_ENV} or run in a terminal to be asked (a password is never a command-line flag)`,
    );
  }
  const password = await src.prompt(`Password for ${what}: `);
  if (confirm && (await src.prompt("Repeat the password: ")) !== password) {
    throw new CliError("INPUT", "the passwords differ", "type the same password twice");
  }
  if (password === "") throw new CliError("INPUT", "an empty password", "choose a password");
  return password;
}

/** Opens a member's keystore file. `AUTH` for a wrong password, `INPUT` for a file that is not a keystore. */
export async function openKeystore(file: string, src: PasswordSource): Promise<Wallet> {
  let json: string;
  try {
    json = readFileSync(file, "utf8");
  } catch (cause) {
    throw new CliError("INPUT", `cannot read the key file ${file}`, "check --key (or `key` in the config file)", {
      cause,
    });
  }
  if (!isKeystoreJson(json)) {
    throw new CliError("INPUT", `${file} is not an encrypted JSON keystore`, "make one with `crossproof key new`");
  }
  const password = await readPassword(src, file);
  useNativeScrypt();
  try {
    return (await Wallet.fromEncryptedJson(json, password)) as Wallet;
  } catch (cause) {
    if (/incorrect password|invalid password/i.test(String((cause as Error).message))) {
      throw new CliError("AUTH", `wrong password for ${file}`, `check ${PASSWORD_ENV}`, { cause });
    }
    throw new CliError("INPUT", `cannot open the key file ${file}: ${(cause as Error).message}`, undefined, { cause });
  }
}

/** Writes a keystore for `privateKey` (refuses to overwrite unless `force`). */
export async function writeKeystore(
  file: string,
  privateKey: string,
  password: string,
  o: { force?: boolean; scryptN?: number } = {},
): Promise<string> {
  if (existsSync(file) && o.force !== true) {
    throw new CliError("INPUT", `${file} exists`, "choose another --out, or --force to replace it");
  }
  useNativeScrypt();
  const wallet = new Wallet(privateKey);
  const json = await encryptKeystoreJson({ address: wallet.address, privateKey: wallet.privateKey }, password, {
    scrypt: { N: o.scryptN ?? DEFAULT_SCRYPT_N },
  });
  writeFileSync(file, json, { mode: 0o600 });
  return wallet.address;
}

/** PBKDF2 iterations of a package key file (as the gateway's keystore). */
const P2C = 600_000;

/** Writes a package (recipient) private key as a password-encrypted JWE. */
export async function writePackageKey(
  file: string,
  key: RecipientPrivateKey,
  password: string,
  o: { force?: boolean; iterations?: number } = {},
): Promise<void> {
  if (existsSync(file) && o.force !== true) {
    throw new CliError("INPUT", `${file} exists`, "choose another --out, or --force to replace it");
  }
  const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(key)))
    .setProtectedHeader({
      alg: "PBES2-HS512+A256KW",
      enc: "A256GCM",
      p2c: o.iterations ?? P2C,
      cty: "crossproof.package-key",
    })
    .encrypt(new TextEncoder().encode(password));
  writeFileSync(file, jwe, { mode: 0o600 });
}

/** Opens a package key file written by {@link writePackageKey}. */
export async function openPackageKey(file: string, src: PasswordSource): Promise<RecipientPrivateKey> {
  let jwe: string;
  try {
    jwe = readFileSync(file, "utf8").trim();
  } catch (cause) {
    throw new CliError("INPUT", `cannot read the package key file ${file}`, undefined, { cause });
  }
  const password = await readPassword(src, file);
  try {
    const { plaintext } = await compactDecrypt(jwe, new TextEncoder().encode(password), {
      keyManagementAlgorithms: ["PBES2-HS512+A256KW"],
      maxPBES2Count: 10_000_000,
    });
    const key = JSON.parse(new TextDecoder().decode(plaintext)) as RecipientPrivateKey;
    if (typeof key.kid !== "string" || typeof key.jwk !== "object") throw new Error("not a package key");
    return key;
  } catch (cause) {
    if (/decryption operation failed|decryption failed/i.test(String((cause as Error).message))) {
      throw new CliError("AUTH", `wrong password for ${file}`, `check ${PASSWORD_ENV}`, { cause });
    }
    throw new CliError("INPUT", `${file} is not a package key file`, "make one with `crossproof key new --package`", {
      cause,
    });
  }
}

/** A hidden prompt on the terminal (stdin in raw mode; the typed characters are not echoed). */
export function terminalPrompt(stdin: NodeJS.ReadStream, stderr: NodeJS.WriteStream): PasswordSource["prompt"] {
  if (stdin.isTTY !== true) return undefined;
  return (question) =>
    new Promise((resolve, reject) => {
      let typed = "";
      // Echo off before the question shows: what is typed (or pasted) at once must not be echoed either.
      stdin.setRawMode(true);
      stdin.resume();
      stdin.setEncoding("utf8");
      stderr.write(question);
      const done = (err?: Error) => {
        stdin.setRawMode(false);
        stdin.pause();
        stdin.removeListener("data", onData);
        stderr.write("\n");
        if (err === undefined) resolve(typed);
        else reject(err);
      };
      const onData = (chunk: string) => {
        for (const ch of chunk) {
          if (ch === "\r" || ch === "\n" || ch === "\u0004") return done();
          if (ch === "\u0003") return done(new CliError("INTERRUPTED", "interrupted"));
          if (ch === "\u007f" || ch === "\b") typed = typed.slice(0, -1);
          else typed += ch;
        }
      };
      stdin.on("data", onData);
    });
}
