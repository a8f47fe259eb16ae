/**
 * The package's root export (`@crossproof/sdk`): what a partner agency, court or platform needs to connect, verify,
 * sign and check reports, package and share evidence, and use the clients. The low-level pieces (EIP-712 tables,
 * Merkle trees, CIDs, custody hashes, the relayer's internals…) are sub-path exports, one module each (see
 * package.json `exports`). This repository's own scripts and tests import `./index`, which exports everything.
 */
export * from "./errors";
export { connect, type ConnectParameters, type Crossproof } from "./connect";
export {
  contractHistory,
  parseDeployment,
  readDeploymentFile,
  type DeployedContract,
  type DeploymentRecord,
} from "./deployment";
export { createProvider } from "./provider";
export {
  GatewayClient,
  type GatewayAuthorizationAnswers,
  type GatewayUploadQuery,
  type GatewayPrincipal,
  type GatewayProblem,
  type GatewaySignedReport,
  type GatewayVerificationOptions,
} from "./gateway-client";
export { Relayer, type RelayerOptions } from "./relayer";
export {
  SIGNED_REQUEST_FORMAT,
  parseWireRequest,
  toWireRequest,
  type ParsedSignedRequest,
  type WireSignedRequest,
} from "./wire";
export { ConsortiumClient } from "./consortium-client";
export { type MemberPublicKey } from "./consortium";
export { EvidenceClient } from "./evidence-client";
export { caseReferenceHash } from "./evidence";
export { LicenceClient } from "./licensing-client";
export { uploaderAccountHash } from "./licensing";
export {
  AUTHORIZATION_ANSWER_FORMAT,
  authorizationAnswerDigest,
  signAuthorizationAnswer,
  verifyAuthorizationAnswer,
  type AuthorizationAnswerDocument,
  type UploadAnswerName,
  type UploadAuthorization,
  type VerifiedAuthorizationAnswer,
} from "./authorization";
export { AssistanceClient } from "./assistance-client";
export {
  EvidenceVerifier,
  verifyEvidence,
  type EvidenceInput,
  type VerifierClients,
  type VerifyEvidenceParameters,
} from "./verify";
export {
  CHECK_ORDER,
  Checks,
  REDUCED_REPORT_FORMAT,
  REPORT_FORMAT,
  TimePolicies,
  reduceReport,
  type AnyVerificationReport,
  type CheckName,
  type CheckResultName,
  type Indication,
  type ReducedVerificationReport,
  type TimePolicy,
  type VerificationReport,
} from "./report";
export {
  generateReportKey,
  parseReport,
  reportDigest,
  signReport,
  verifyReport,
  type ReportKeyPair,
  type SignReportParameters,
  type VerifiedReport,
  type VerifyReportOptions,
} from "./verify-report";
export {
  EvidenceCategory,
  buildManifest,
  manifestHash,
  type EvidenceCategoryName,
  type EvidenceManifest,
  type EvidenceManifestInput,
} from "./manifest";
export {
  generateRecipientKey,
  openPackage,
  readPackageHeader,
  rewrapPackage,
  sealPackage,
  type OpenedPackage,
  type RecipientPrivateKey,
  type RecipientPublicKey,
} from "./package";
export { sharePackage, type SharedPackage, type SharePackageParameters } from "./share";
export { EmbeddedContentStore, KuboContentStore, computeCid, type ContentStore, type DeletedBlocks } from "./store";
export { sha256OfFile } from "./hash";
export { Assurance, OPEN_ENDED, Role, type RoleName } from "./constants";
export {
  ACCOUNT_ALERT_KINDS,
  ALERT_FORMAT,
  ALERT_JWS_TYPE,
  AlertKinds,
  IDEMPOTENCY_HEADER,
  WEBHOOK_SIGNATURE_HEADER,
  verifyWebhook,
  type AlertEvent,
  type AlertKind,
  type VerifiedWebhook,
  type VerifyWebhookParameters,
} from "./alerts";
export { type GatewayAlertDelivery, type GatewayAlertSubscription, type NewAlertSubscription } from "./gateway-client";
export {
  CLIP_FRAMES_PER_SECOND,
  WORK_FRAMES_PER_SECOND,
  decodeFingerprint,
  encodeFingerprint,
  fingerprintDigest,
  validateFingerprint,
  type Fingerprint,
} from "./fingerprint";
export { extractFingerprint, type ExtractOptions, type FingerprintFailure } from "./fingerprint-extract";
export {
  ISCC_VIDEO_FPS,
  extractMpeg7Signature,
  extractVideoSignatures,
  isccOfMediaFile,
  type IsccMediaMode,
  type IsccMetaInput,
  type MediaIscc,
  type MediaIsccOptions,
  type VideoSignatureOptions,
} from "./iscc-extract";
export {
  decodeMpeg7Signature,
  isccAudioCode,
  isccCode,
  isccVideoCode,
  type Mpeg7Frame,
  type Mpeg7Signature,
} from "./iscc";
export { FingerprintIndex, type ClipMatch, type MatchOptions } from "./fingerprint-match";
export {
  MAX_FINGERPRINT_BYTES,
  checkFingerprintDigest,
  loadFingerprint,
  storeFingerprint,
  type StoredFingerprint,
} from "./fingerprint-client";
export {
  loadFingerprintIndex,
  loadFingerprintIndexFile,
  saveFingerprintIndex,
  type LoadedFingerprintIndex,
  type SaveFingerprintIndexOptions,
} from "./fingerprint-store";
