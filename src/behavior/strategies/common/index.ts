// Strategy building blocks shared by flash-arbitrage and market-making. Re-exports only.

export { type Level, OrderBook } from "../../market/order-book.ts";
export { BookCurve } from "./book-curve.ts";
export { ConfigReader } from "./config-reader.ts";
export { StrategyError } from "./errors.ts";
export {
  bookCurves,
  type CexBookState,
  type DexPoolState,
  type GasState,
  MarketState,
  type MarketUpdate,
} from "./market-state.ts";
export {
  DEFAULT_ASSET_ALIASES,
  DEFAULT_GAS_ASSETS,
  DEFAULT_TOKENS,
  DEFAULT_USD_ASSETS,
  type TokenEntry,
  TokenTable,
} from "./token-table.ts";
