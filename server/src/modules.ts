/** Every module of the gateway, in the order their routes are declared. */
import type { GatewayModule } from "./gateway";
import { auditModule } from "./audit";
import { authModule } from "./auth/siwe";
import { packagesModule } from "./routes/packages";
import { submissionsModule } from "./routes/submissions";
import { verificationModule } from "./routes/verification";

export const gatewayModules: readonly GatewayModule[] = [
  authModule,
  auditModule,
  verificationModule,
  submissionsModule,
  packagesModule,
];
