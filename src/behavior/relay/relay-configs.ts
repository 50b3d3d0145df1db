import { RelayDomain, SourceType } from "../../data/venues.ts";

export interface RelayConfig {
  /** Name used for the socket file, the log tag and `ap status`. */
  readonly name: string;
  readonly domain: number;
  /** SourceType stamped on the relay's own control frames. */
  readonly source: number;
  /** The TLV types of the domain (PROTOCOL.md §4); control types 100-119 pass on every relay. */
  readonly types: readonly [first: number, last: number];
}

/** The three relays of PROTOCOL.md §4: one engine (relay.ts), three configurations. */
export const RELAY_CONFIGS = {
  "market-data": {
    name: "market-data",
    domain: RelayDomain.MarketData,
    source: SourceType.MarketDataRelay,
    types: [1, 19],
  },
  signal: { name: "signal", domain: RelayDomain.Signal, source: SourceType.SignalRelay, types: [20, 39] },
  execution: { name: "execution", domain: RelayDomain.Execution, source: SourceType.ExecutionRelay, types: [40, 79] },
} as const satisfies Record<string, RelayConfig>;

export type RelayName = keyof typeof RELAY_CONFIGS;

export function isRelayName(name: string): name is RelayName {
  return Object.hasOwn(RELAY_CONFIGS, name);
}
