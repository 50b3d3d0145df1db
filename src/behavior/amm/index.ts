// Exact Uniswap V2/V3 math, pool state and sizing (docs/amm.md). Re-exports only.
export * from "./chain/index.ts";
export * from "./constants.ts";
export * from "./errors.ts";
export * from "./isqrt.ts";
export * from "./rawPrice.ts";
export * from "./sizing/index.ts";
export * from "./state/index.ts";
export * from "./v2/index.ts";
export * from "./v3/index.ts";
