/**
 * A governor's vote on a consortium running on Besu (docs/BESU.md, "Admit a new country"): propose a member's
 * admission, or vote on a proposal. The governor signs (EIP-712, its key never leaves this process); the relayer
 * account sends the transaction at gas price 0. Both keys come from the environment, never from the command line.
 *
 *   GOVERNOR_KEY=0x… RELAYER_KEY=0x… npm run besu:governance -- propose-admission --rpc http://127.0.0.1:8545 \
 *     --deployment deployments/crossproof.json --jurisdiction IT --roles AGENCY,GOVERNOR \
 *     --name "Agenzia per la cybersicurezza (IT)" --key 0x…
 *   GOVERNOR_KEY=0x… RELAYER_KEY=0x… npm run besu:governance -- vote --rpc http://127.0.0.1:8545 \
 *     --deployment deployments/crossproof.json --proposal 7 --support yes
 */
import { Command } from "commander";
import { Wallet, type Signer } from "ethers";
import { connect, type Crossproof, type MadeProposal, type CastVote, type RoleName } from "../sdk/src";

/** Proposes the admission of a member; the proposer's own vote counts. */
export async function proposeAdmission(
  cp: Crossproof,
  governor: Signer,
  relayer: Signer,
  member: { jurisdiction: string; roles: RoleName[]; name: string; key: string },
): Promise<MadeProposal> {
  const signed = await cp.consortium.signPropose(governor, { kind: "AdmitMember", ...member });
  return (await cp.consortium.submit(signed, relayer)).wait();
}

/** Votes on a proposal; the vote that reaches the quorum executes it. */
export async function castVote(
  cp: Crossproof,
  governor: Signer,
  relayer: Signer,
  proposalId: bigint,
  support: boolean,
): Promise<CastVote> {
  const signed = await cp.consortium.signVote(governor, proposalId, support);
  return (await cp.consortium.submit(signed, relayer)).wait();
}

function keyFromEnv(name: string): string {
  const key = process.env[name];
  if (key === undefined || !/^0x[0-9a-fA-F]{64}$/.test(key)) {
    console.error(`${name} must hold a private key (0x + 64 hex digits)`);
    process.exit(2);
  }
  return key;
}

async function withConsortium(o: { rpc: string; deployment: string }, run: (cp: Crossproof) => Promise<void>) {
  const cp = await connect({ rpcUrl: o.rpc, deployment: o.deployment });
  try {
    await run(cp);
  } finally {
    cp.close();
  }
}

if (require.main === module) {
  const program = new Command().name("besu:governance").description("a governor's proposal or vote, relayed");
  program
    .command("propose-admission")
    .requiredOption("--rpc <url>", "the node's JSON-RPC URL")
    .requiredOption("--deployment <file>", "the deployment record")
    .requiredOption("--jurisdiction <cc>", "ISO 3166-1 alpha-2 code of the new member")
    .requiredOption("--roles <list>", "comma-separated roles (AGENCY, COURT, PLATFORM, REGISTRY, OPERATOR, GOVERNOR)")
    .requiredOption("--name <name>", "the member's official name (only its hash goes on chain)")
    .requiredOption("--key <address>", "the member's first signing key")
    .action(
      async (o: { rpc: string; deployment: string; jurisdiction: string; roles: string; name: string; key: string }) =>
        withConsortium(o, async (cp) => {
          const made = await proposeAdmission(
            cp,
            new Wallet(keyFromEnv("GOVERNOR_KEY")),
            new Wallet(keyFromEnv("RELAYER_KEY"), cp.provider),
            {
              jurisdiction: o.jurisdiction,
              roles: o.roles.split(",").map((r) => r.trim().toUpperCase()) as RoleName[],
              name: o.name,
              key: o.key,
            },
          );
          console.log(
            `proposal ${made.proposalId} (${made.kind}) ${made.executed ? "executed at once" : `open until ${new Date(made.expiresAt * 1000).toISOString()}`}`,
          );
        }),
    );
  program
    .command("vote")
    .requiredOption("--rpc <url>", "the node's JSON-RPC URL")
    .requiredOption("--deployment <file>", "the deployment record")
    .requiredOption("--proposal <id>", "the proposal id")
    .requiredOption("--support <yes|no>", "yes or no")
    .action(async (o: { rpc: string; deployment: string; proposal: string; support: string }) =>
      withConsortium(o, async (cp) => {
        if (o.support !== "yes" && o.support !== "no") throw new Error("--support must be yes or no");
        const vote = await castVote(
          cp,
          new Wallet(keyFromEnv("GOVERNOR_KEY")),
          new Wallet(keyFromEnv("RELAYER_KEY"), cp.provider),
          BigInt(o.proposal),
          o.support === "yes",
        );
        console.log(
          `voted ${o.support} on proposal ${vote.proposalId}${vote.executed ? ": the quorum is reached, it took effect" : ""}`,
        );
      }),
    );
  program.parseAsync().catch((err: unknown) => {
    console.error((err as Error).message);
    process.exit(1);
  });
}
