export { type ConnectionStats, Relay, type RelayOptions, type RelayStats } from "./relay.ts";
export { isRelayName, RELAY_CONFIGS, type RelayConfig, type RelayName } from "./relay-configs.ts";
