/**
 * Everything the SDK has, for this repository's own scripts, tests and gateway. The published package's root export
 * is the curated `public.ts`; the low-level modules are its sub-path exports.
 */
export * from "./errors";
export * from "./jurisdiction";
export * from "./constants";
export * from "./config";
export * from "./eip712";
export * from "./merkle";
export * from "./cid";
export * from "./store";
export * from "./hash";
export * from "./manifest";
export * from "./package";
export * from "./contract-errors";
export * from "./contract-client";
export * from "./provider";
export * from "./json-rpc";
export * from "./relayer";
export * from "./evidence";
export * from "./custody-details";
export * from "./evidence-client";
export * from "./share";
export * from "./licensing";
export * from "./licensing-client";
export * from "./authorization";
export * from "./assistance";
export * from "./assistance-client";
export * from "./consortium";
export * from "./consortium-client";
export * from "./member-keys";
export * from "./report";
export * from "./verify";
export * from "./verify-report";
export * from "./deployment";
export * from "./connect";
export * from "./gateway-client";
export * from "./wire";
export * from "./qbft";
export * from "./fingerprint";
export * from "./fingerprint-extract";
export * from "./iscc";
export * from "./fingerprint-match";
export * from "./alerts";
export * from "./fingerprint-client";
export * from "./fingerprint-store";
export * from "./iscc-extract";
