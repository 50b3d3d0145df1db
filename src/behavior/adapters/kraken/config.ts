import type { BackoffOptions } from "../../transport/backoff.ts";
import type { KrakenApi } from "./feed-handler.ts";

/**
 * Configuration of the Kraken collector (TOML `[venues.kraken]`, taken as CLI flags by main.ts until the config
 * owner adds the section): url, rest_url, api, symbols, depth, trades, stale_after_ms, ping_interval_ms,
 * min_resync_interval_ms.
 */
export interface KrakenConfig {
  /** WebSocket URL: wss://ws.kraken.com (v1) or wss://ws.kraken.com/v2 (v2), or a replay venue. */
  url: string;
  /** REST base for v1 AssetPairs (https://api.kraken.com); v2 takes precision from the instrument channel. */
  restUrl?: string;
  /** Protocol; by default v2 when the URL path ends in /v2, v1 otherwise. */
  api?: KrakenApi;
  /** Venue symbols: "XBT/USD" style for v1, "BTC/USD" for v2. */
  symbols: string[];
  /** Book depth: 10, 25, 100, 500 or 1000. */
  depth: number;
  /** Subscribe to the trade channel too. */
  trades: boolean;
  /** Reconnect when nothing arrived for this long; Kraken sends a heartbeat every second when idle. */
  staleAfterMs: number;
  /** Application ping interval (v1 {"event":"ping"}, v2 {"method":"ping"}). */
  pingIntervalMs: number;
  /**
   * Least time between two forced reconnects (checksum resyncs). Kraken limits WebSocket connection attempts per IP
   * (about 150 per rolling 10 minutes, i.e. one per 4 s sustained): the default keeps a mismatch storm under it.
   */
  minResyncIntervalMs: number;
  backoff: BackoffOptions;
}

export const KRAKEN_DEFAULTS = {
  url: "wss://ws.kraken.com/v2",
  depth: 10,
  trades: true,
  staleAfterMs: 10_000,
  pingIntervalMs: 5_000,
  minResyncIntervalMs: 4_000,
  backoff: { initialMs: 1_000, maxMs: 60_000, factor: 2, jitter: 0.5 },
} as const;

export const KRAKEN_DEPTHS = [10, 25, 100, 500, 1000] as const;

export function apiOfUrl(url: string): KrakenApi {
  try {
    return new URL(url).pathname.replace(/\/+$/, "").endsWith("/v2") ? "v2" : "v1";
  } catch {
    return "v1";
  }
}
