/** Every module of the gateway, in the order their routes are declared. */
import type { GatewayModule } from "./gateway";
import { auditModule } from "./audit";
import { alertsModule } from "./routes/alerts";
import { runningMarkModule } from "./backup";
import { authModule } from "./auth/siwe";
import { indexerModule } from "./indexer";
import { retentionModule } from "./retention";
import { authorizationsModule } from "./routes/authorizations";
import { chainModule } from "./routes/chain";
import { packagesModule } from "./routes/packages";
import { readsModule } from "./routes/reads";
import { submissionsModule } from "./routes/submissions";
import { verificationModule } from "./routes/verification";

export const gatewayModules: readonly GatewayModule[] = [
  authModule,
  auditModule,
  indexerModule,
  verificationModule,
  readsModule,
  chainModule,
  authorizationsModule,
  submissionsModule,
  packagesModule,
  retentionModule,
  runningMarkModule,
  alertsModule,
];
