// Re-exports only (STYLE.md: one exported function per file).
export { getOptimalInputV3AgainstPrice, type V3PriceArbitrage } from "./getOptimalInputV3AgainstPrice.ts";
export { type CrossPoolArbitrage, getOptimalInputV3ToV2 } from "./getOptimalInputV3ToV2.ts";
export { maximizeProfit, type ProfitMaximum } from "./maximizeProfit.ts";
export { type NetProfit, type NetProfitParams, netArbitrageProfit } from "./netArbitrageProfit.ts";
