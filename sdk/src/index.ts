export * from "./errors";
export * from "./jurisdiction";
export * from "./constants";
export * from "./governance";
export * from "./config";
