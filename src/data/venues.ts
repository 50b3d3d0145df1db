/**
 * Number tables of PROTOCOL.md §2, §4 and §5: relay domains, source types, venues and chains.
 * Text names are the canonical spellings used in InstrumentId text and in `ap decode` output.
 */

export const RelayDomain = { MarketData: 1, Signal: 2, Execution: 3, System: 4 } as const;
export type RelayDomain = (typeof RelayDomain)[keyof typeof RelayDomain];
export const DOMAIN_NAMES: Record<number, string> = { 1: "market_data", 2: "signal", 3: "execution", 4: "system" };

export const SourceType = {
  BinanceCollector: 1,
  KrakenCollector: 2,
  CoinbaseCollector: 3,
  PolygonCollector: 4,
  GeminiCollector: 5,
  ArbitrageStrategy: 20,
  MarketMaker: 21,
  PortfolioManager: 40,
  RiskManager: 41,
  ExecutionEngine: 42,
  Dashboard: 60,
  Metrics: 61,
  StateManager: 62,
  MarketDataRelay: 80,
  SignalRelay: 81,
  ExecutionRelay: 82,
  Replay: 90,
  OperatorCli: 91,
} as const;
export type SourceType = (typeof SourceType)[keyof typeof SourceType];
export const SOURCE_NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(SourceType).map(([name, n]) => [n, name]),
);

export const VenueId = {
  Binance: 100,
  Kraken: 101,
  Coinbase: 102,
  Gemini: 108,
  UniswapV2: 300,
  UniswapV3: 301,
  SushiSwap: 302,
  QuickSwap: 400,
  SushiSwapPolygon: 401,
  Test: 65000,
} as const;
export type VenueId = (typeof VenueId)[keyof typeof VenueId];

const VENUE_TEXT: [number, string][] = [
  [100, "binance"],
  [101, "kraken"],
  [102, "coinbase"],
  [108, "gemini"],
  [300, "uniswap_v2"],
  [301, "uniswap_v3"],
  [302, "sushiswap"],
  [400, "quickswap"],
  [401, "sushiswap_polygon"],
  [65000, "test"],
];
export const VENUE_NAME_BY_ID: ReadonlyMap<number, string> = new Map(VENUE_TEXT);
export const VENUE_ID_BY_NAME: ReadonlyMap<string, number> = new Map(VENUE_TEXT.map(([n, s]) => [s, n]));

const CHAIN_TEXT: [number, string][] = [
  [1, "ethereum"],
  [10, "optimism"],
  [56, "bsc"],
  [137, "polygon"],
  [8453, "base"],
  [42161, "arbitrum"],
];
export const CHAIN_NAME_BY_ID: ReadonlyMap<number, string> = new Map(CHAIN_TEXT);
export const CHAIN_ID_BY_NAME: ReadonlyMap<string, number> = new Map(CHAIN_TEXT.map(([n, s]) => [s, n]));
