/** Every module of the gateway, in the order their routes are declared. */
import type { GatewayModule } from "./gateway";
import { verificationModule } from "./routes/verification";

export const gatewayModules: readonly GatewayModule[] = [verificationModule];
