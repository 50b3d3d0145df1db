/**
 * Binance data client configuration (the future `[venues.binance]` TOML table; main.ts takes the same keys as flags).
 * Market constants are from the venue documents: spot https://developers.binance.com/docs/binance-spot-api-docs
 * (REST limits, web-socket-streams "How to manage a local order book correctly"), USD-M futures
 * https://developers.binance.com/docs/derivatives/usds-margined-futures (same page under websocket-market-streams).
 */
export type BinanceMarket = "spot" | "usdm";

export interface BinanceMarketSpec {
  market: BinanceMarket;
  /** InstrumentId kind. */
  kind: "spot" | "perp";
  restDepthPath: string;
  exchangeInfoPath: string;
  pingPath: string;
  /** Request weight of one depth snapshot at `limit` levels. */
  depthWeight(limit: number): number;
  /** REQUEST_WEIGHT per minute when exchangeInfo does not say (spot 6000, USD-M 2400). */
  defaultWeightPerMinute: number;
  defaultWsUrl: string;
  defaultRestUrl: string;
}

export const BINANCE_MARKETS: Record<BinanceMarket, BinanceMarketSpec> = {
  spot: {
    market: "spot",
    kind: "spot",
    restDepthPath: "/api/v3/depth",
    exchangeInfoPath: "/api/v3/exchangeInfo",
    pingPath: "/api/v3/ping",
    // GET /api/v3/depth weight: limit 1-100 -> 5, 101-500 -> 25, 501-1000 -> 50, 1001-5000 -> 250.
    depthWeight: (limit) => (limit <= 100 ? 5 : limit <= 500 ? 25 : limit <= 1000 ? 50 : 250),
    defaultWeightPerMinute: 6000,
    defaultWsUrl: "wss://stream.binance.com:9443",
    defaultRestUrl: "https://api.binance.com",
  },
  usdm: {
    market: "usdm",
    kind: "perp",
    restDepthPath: "/fapi/v1/depth",
    exchangeInfoPath: "/fapi/v1/exchangeInfo",
    pingPath: "/fapi/v1/ping",
    // GET /fapi/v1/depth weight: limit 5-50 -> 2, 100 -> 5, 500 -> 10, 1000 -> 20.
    depthWeight: (limit) => (limit <= 50 ? 2 : limit <= 100 ? 5 : limit <= 500 ? 10 : 20),
    defaultWeightPerMinute: 2400,
    defaultWsUrl: "wss://fstream.binance.com",
    defaultRestUrl: "https://fapi.binance.com",
  },
};

export interface BinanceDataClientConfig {
  market: BinanceMarket;
  /** WebSocket base URL (ws://host:port); `/stream?streams=...` is appended. A trailing /stream or /ws is accepted. */
  url: string;
  /** REST base URL (http://host:port). */
  restUrl: string;
  /** Venue symbols, e.g. ["BTCUSDT"]. */
  symbols: string[];
  /** Diff-depth stream speed suffix: "100ms" (spot default), "0ms" (USD-M), "" for the 1 s stream. */
  depthSpeed: string;
  /** Levels asked of the REST snapshot (1000: the whole book Binance serves). */
  snapshotLimit: number;
  /** Levels per side in published OrderBook TLVs (at most ALPHAPULSE_MAX_ORDER_LEVELS). */
  bookDepth: number;
  /** Trade streams: "trade", "aggTrade", both, or none. */
  trades: ("trade" | "aggTrade")[];
  bookTicker: boolean;
  /** Reconnect after this much silence (a connection that died without a close). */
  staleAfterMs: number;
  /** Delay before the n-th consecutive snapshot retry of one symbol (the first is immediate). */
  snapshotBackoff: { initialMs: number; maxMs: number };
}

export function defaultBinanceConfig(market: BinanceMarket, overrides: Partial<BinanceDataClientConfig> = {}) {
  const spec = BINANCE_MARKETS[market];
  const config: BinanceDataClientConfig = {
    market,
    url: spec.defaultWsUrl,
    restUrl: spec.defaultRestUrl,
    symbols: ["BTCUSDT"],
    depthSpeed: market === "spot" ? "100ms" : "0ms",
    snapshotLimit: 1000,
    bookDepth: 50,
    trades: ["trade"],
    bookTicker: true,
    staleAfterMs: 60_000,
    snapshotBackoff: { initialMs: 250, maxMs: 30_000 },
    ...overrides,
  };
  return config;
}

/** The streams of one combined connection, lower-case as Binance names them. */
export function streamNames(config: BinanceDataClientConfig): string[] {
  const out: string[] = [];
  for (const symbol of config.symbols) {
    const s = symbol.toLowerCase();
    out.push(config.depthSpeed ? `${s}@depth@${config.depthSpeed}` : `${s}@depth`);
    for (const t of config.trades) out.push(`${s}@${t}`);
    if (config.bookTicker) out.push(`${s}@bookTicker`);
  }
  return out;
}

/** ws base + `/stream?streams=a/b/c` (Binance combined stream; at most 1024 streams per connection). */
export function combinedStreamUrl(config: BinanceDataClientConfig): string {
  const base = config.url.replace(/\/+$/, "").replace(/\/(stream|ws)$/, "");
  return `${base}/stream?streams=${streamNames(config).join("/")}`;
}
