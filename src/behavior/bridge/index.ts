export {
  Bridge,
  type BridgeCounters,
  type BridgeOptions,
  type BridgeStats,
  HEADER_ORIGIN,
  HEADER_SEQ,
  type NatsState,
} from "./bridge.ts";
export { type BridgeConfig, parseBridgeConfig } from "./bridge-config.ts";
export { BridgeError } from "./errors.ts";
export { ensureHistoryStream } from "./history-stream.ts";
export { NATS_SECRET_VARIABLES, natsConnectionOptions } from "./nats-connection-options.ts";
export { OriginTracker, type TrackVerdict } from "./origin-tracker.ts";
export { type ReplayHistoryOptions, type ReplayHistoryResult, replayHistory } from "./replay-history.ts";
export { type RunBridgeOptions, runBridge } from "./run-bridge.ts";
export { createSecretRedactor } from "./secret-redactor.ts";
export { SubjectScheme, tlvToken, venueToken } from "./subject-scheme.ts";
