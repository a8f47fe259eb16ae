/** Key files: `key new`, `key import`, `key show`; and `config` (the settings in force). */
import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { Wallet, isKeystoreJson } from "ethers";
import { generateRecipientKey } from "../../index";
import type { Io } from "../context";
import { CliError } from "../exit-codes";
import {
  DEFAULT_SCRYPT_N,
  PASSWORD_ENV,
  readPassword,
  useNativeScrypt,
  writeKeystore,
  writePackageKey,
} from "../keystore";
import { fields } from "../output";
import { action, examples } from "../util";

const cost = (v: unknown): number => {
  const n = Number(v ?? DEFAULT_SCRYPT_N);
  if (!Number.isInteger(n) || n < 1024 || (n & (n - 1)) !== 0) {
    throw new CliError("USAGE", `--kdf-cost is a power of two ≥ 1024, got ${String(v)}`);
  }
  return n;
};

export function keyCommands(program: Command, io: Io): void {
  const key = program
    .command("key")
    .description("Key files: a member's signing key (encrypted JSON keystore) or a package key");

  examples(
    key
      .command("new")
      .description(`Make a new key and write it encrypted (password from ${PASSWORD_ENV} or a prompt)`)
      .requiredOption("--out <file>", "the key file to write")
      .option(
        "--package",
        "a package (X25519 encryption) key instead of a signing key; its public half goes to <out>.pub.json",
      )
      .option(
        "--kdf-cost <N>",
        `scrypt N of a signing keystore (default ${DEFAULT_SCRYPT_N}; lower only for throwaway keys)`,
      )
      .option("--force", "replace an existing file")
      .action(
        action(io, async (ctx, o) => {
          const out = String(o.out);
          const password = await readPassword(ctx.io.passwords, out, true);
          if (o.package === true) {
            const { publicKey, privateKey } = await generateRecipientKey();
            await writePackageKey(out, privateKey, password, { force: o.force === true });
            const pub = `${out}.pub.json`;
            await ctx.writeFile(pub, `${JSON.stringify(publicKey, null, 2)}\n`);
            ctx.out.result(
              { kind: "package", file: out, publicKeyFile: pub, kid: publicKey.kid, jwk: publicKey.jwk },
              fields([
                ["package key", out],
                ["public key", pub],
                ["kid", publicKey.kid],
              ]),
            );
            return;
          }
          const wallet = Wallet.createRandom();
          const address = await writeKeystore(out, wallet.privateKey, password, {
            force: o.force === true,
            scryptN: cost(o.kdfCost),
          });
          ctx.out.result(
            { kind: "signing", file: out, address },
            fields([
              ["key file", out],
              ["address", address],
            ]),
          );
          ctx.out.note("have this address added to your member (a governance AddKey proposal) before it signs");
        }),
      ),
    [
      "crossproof key new --out ~/.crossproof/officer-martin.json   # password: CROSSPROOF_KEYSTORE_PASSWORD or a prompt",
      "crossproof key new --package --out ~/.crossproof/fr-agency.package-key",
    ],
  );

  examples(
    key
      .command("import")
      .description(
        "Encrypt an existing private key (read from a file or stdin, never from the command line) into a keystore; or re-encrypt a keystore",
      )
      .argument("<source>", "a file holding the 0x private key, or an encrypted JSON keystore, or - for stdin")
      .requiredOption("--out <file>", "the key file to write")
      .option("--kdf-cost <N>", `scrypt N (default ${DEFAULT_SCRYPT_N})`)
      .option("--force", "replace an existing file")
      .action(
        action(io, async (ctx, o, source: string) => {
          let text: string;
          try {
            text = (source === "-" ? readFileSync(0, "utf8") : readFileSync(source, "utf8")).trim();
          } catch (cause) {
            throw new CliError("INPUT", `cannot read ${source}`, undefined, { cause });
          }
          let privateKey: string;
          if (isKeystoreJson(text)) {
            const password = await readPassword(ctx.io.passwords, source);
            useNativeScrypt();
            try {
              privateKey = ((await Wallet.fromEncryptedJson(text, password)) as Wallet).privateKey;
            } catch (cause) {
              throw new CliError("AUTH", `wrong password for ${source}`, `check ${PASSWORD_ENV}`, { cause });
            }
          } else if (/^(0x)?[0-9a-fA-F]{64}$/.test(text)) {
            privateKey = text.startsWith("0x") ? text : `0x${text}`;
          } else {
            throw new CliError("INPUT", `${source} holds neither a 0x private key nor an encrypted keystore`);
          }
          const password = await readPassword(ctx.io.passwords, String(o.out));
          const address = await writeKeystore(String(o.out), privateKey, password, {
            force: o.force === true,
            scryptN: cost(o.kdfCost),
          });
          ctx.out.result(
            { kind: "signing", file: String(o.out), address },
            fields([
              ["key file", String(o.out)],
              ["address", address],
            ]),
          );
          ctx.out.note(`now delete ${source} if it held the key in clear`);
        }),
      ),
    [
      "crossproof key import ./old.key --out ~/.crossproof/agency.json",
      "vault read -field=key secret/agency | crossproof key import - --out agency.json",
    ],
  );

  examples(
    key
      .command("show")
      .description("The address of the key file in use and the member it signs for (if a chain is configured)")
      .action(
        action(io, async (ctx) => {
          const wallet = await ctx.wallet();
          let member: { memberId: string; jurisdiction: string; roles: string[] } | null = null;
          if (ctx.settings.rpc !== undefined && ctx.settings.deployment !== undefined) {
            const s = await ctx.signer();
            member = { memberId: s.memberId.toString(), jurisdiction: s.jurisdiction, roles: s.roles };
          }
          ctx.out.result(
            { address: wallet.address, member },
            fields([
              ["address", wallet.address],
              [
                "member",
                member === null
                  ? "(no chain configured)"
                  : `${member.memberId} (${member.jurisdiction}, ${member.roles.join(",")})`,
              ],
            ]),
          );
        }),
      ),
    ["crossproof key show --key agency.json"],
  );

  examples(
    program
      .command("config")
      .description("The settings in force and where each comes from (flag, environment, config file)")
      .action(
        action(io, async (ctx) => {
          const s = ctx.settings;
          const data = {
            configFile: s.configFile,
            mode: ctx.mode,
            gateway: s.gateway ?? null,
            rpc: s.rpc ?? null,
            deployment: s.deployment ?? null,
            key: s.key ?? null,
            relayerKey: s.relayerKey ?? null,
            store: s.store ?? null,
            sources: s.sources,
          };
          const show = (k: keyof typeof s.sources & string, v: string | null) =>
            v === null ? "-" : `${v} (${s.sources[k]})`;
          ctx.out.result(
            data,
            fields([
              ["config file", s.configFile],
              ["mode", ctx.mode],
              ["gateway", show("gateway", data.gateway)],
              ["rpc", show("rpc", data.rpc)],
              ["deployment", show("deployment", data.deployment)],
              ["key", show("key", data.key)],
              ["relayer key", show("relayerKey", data.relayerKey)],
              ["store", show("store", data.store)],
            ]),
          );
        }),
      ),
    ["crossproof config", "crossproof config --json"],
  );
}
