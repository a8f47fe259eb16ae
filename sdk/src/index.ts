export * from "./errors";
export * from "./jurisdiction";
export * from "./constants";
export * from "./governance";
export * from "./config";
export * from "./eip712";
export * from "./merkle";
export * from "./cid";
