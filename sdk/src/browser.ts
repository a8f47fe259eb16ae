/**
 * The pure core a web page loads (`@crossproof/sdk/report`): the verification report's format and schema, and
 * signing and verifying reports (JWS). No Node-only API is used here or in what it imports; a test bundles this entry
 * for browsers and runs it in Chromium.
 */
export * from "./errors";
export * from "./report";
export * from "./verify-report";
