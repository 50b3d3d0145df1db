import { ConfigReader } from "../common/config-reader.ts";
import { DEFAULT_TOKENS, DEFAULT_USD_ASSETS, type TokenEntry } from "../common/token-table.ts";

/**
 * Flash-arbitrage configuration: the `[strategies.flash_arbitrage]` TOML table (snake_case keys, listed in
 * docs/strategies.md). Every key has a default; amounts are integers with their scale in the name (_e8 = USD with 8
 * decimals, _ppm = millionths, _bps = 1/10000).
 */
export interface FlashArbitrageConfig {
  strategyId: number;
  strategyVersion: number;
  /** No signal below this net profit (after pool, taker and flash fees and gas). */
  minProfitUsdE8: bigint;
  /** min_amount_out = expected * (10000 - slippageBps) / 10000. */
  slippageBps: number;
  /** valid_until_ns = signal time + this. */
  validForMs: number;
  /** Largest trade notional considered per opportunity. */
  maxTradeUsdE8: bigint;
  /** CEX-DEX sizes are whole lots of this CEX quantity (e8 of the base asset). */
  lotSizeE8: bigint;
  /** DEX-DEX inputs are whole steps of this USD amount. */
  dexStepUsdE8: bigint;
  /** After the golden-section search, the size walks outward until this many lots/steps in a row do not improve. */
  refineSteps: number;
  /** CEX taker fee per venue name (kraken, binance ...), in bps; `default` for the others. */
  takerFeeBps: Readonly<Record<string, number>>;
  /** Fee on the capital of a CEX-DEX trade's DEX leg (a flash loan; Aave V3: 500 = 0.05 %). */
  flashFeePpm: bigint;
  /** Fee of a DEX-DEX round trip's borrow (a Uniswap flash swap pays only the swap fee: 0). */
  dexFlashFeePpm: bigint;
  /** Gas units: per V2 swap, per V3 swap, plus the transaction overhead (flash call, transfers). */
  gasUnitsV2Swap: bigint;
  gasUnitsV3Swap: bigint;
  gasUnitsOverhead: bigint;
  /** Gas token price in USD e8 per chain id when no CEX book of it is known (0 / absent: no signal on that chain). */
  gasTokenUsdE8: Readonly<Record<number, bigint>>;
  /** Signal timestamps from the triggering frame's time, never the clock (replays and tests). */
  deterministic: boolean;
  firstSignalId: bigint;
  cexDex: boolean;
  dexDex: boolean;
  tokens: readonly TokenEntry[];
  usdAssets: readonly string[];
}

export const DEFAULT_FLASH_ARBITRAGE_CONFIG: FlashArbitrageConfig = {
  strategyId: 1,
  strategyVersion: 1,
  minProfitUsdE8: 100_000_000n, // 1 USD
  slippageBps: 30,
  validForMs: 2_000,
  maxTradeUsdE8: 10_000_000_000_000n, // 100,000 USD
  lotSizeE8: 10_000n, // 0.0001 of the base asset
  dexStepUsdE8: 1_000_000n, // 0.01 USD
  refineSteps: 16,
  takerFeeBps: { kraken: 26, binance: 10, default: 30 },
  flashFeePpm: 500n,
  dexFlashFeePpm: 0n,
  gasUnitsV2Swap: 110_000n,
  gasUnitsV3Swap: 160_000n,
  gasUnitsOverhead: 60_000n,
  gasTokenUsdE8: {},
  deterministic: false,
  firstSignalId: 1n,
  cexDex: true,
  dexDex: true,
  tokens: DEFAULT_TOKENS,
  usdAssets: DEFAULT_USD_ASSETS,
};

/** The config from a parsed TOML table (snake_case keys); unknown keys and bad values are StrategyErrors. */
export function resolveFlashArbitrageConfig(table: Record<string, unknown> = {}): FlashArbitrageConfig {
  const d = DEFAULT_FLASH_ARBITRAGE_CONFIG;
  const r = new ConfigReader("strategies.flash_arbitrage", table);
  const config: FlashArbitrageConfig = {
    strategyId: r.int("strategy_id", d.strategyId, 0, 65535),
    strategyVersion: r.int("strategy_version", d.strategyVersion, 0, 65535),
    minProfitUsdE8: r.big("min_profit_usd_e8", d.minProfitUsdE8, 0n),
    slippageBps: r.int("slippage_bps", d.slippageBps, 0, 10_000),
    validForMs: r.int("valid_for_ms", d.validForMs, 1, 3_600_000),
    maxTradeUsdE8: r.big("max_trade_usd_e8", d.maxTradeUsdE8, 1n),
    lotSizeE8: r.big("lot_size_e8", d.lotSizeE8, 1n),
    dexStepUsdE8: r.big("dex_step_usd_e8", d.dexStepUsdE8, 1n),
    refineSteps: r.int("refine_steps", d.refineSteps, 0, 10_000),
    takerFeeBps: r.intTable("taker_fee_bps", d.takerFeeBps, 0, 10_000),
    flashFeePpm: r.big("flash_fee_ppm", d.flashFeePpm, 0n, 999_999n),
    dexFlashFeePpm: r.big("dex_flash_fee_ppm", d.dexFlashFeePpm, 0n, 999_999n),
    gasUnitsV2Swap: r.big("gas_units_v2_swap", d.gasUnitsV2Swap, 0n),
    gasUnitsV3Swap: r.big("gas_units_v3_swap", d.gasUnitsV3Swap, 0n),
    gasUnitsOverhead: r.big("gas_units_overhead", d.gasUnitsOverhead, 0n),
    gasTokenUsdE8: r.bigTable("gas_token_usd_e8", d.gasTokenUsdE8),
    deterministic: r.bool("deterministic", d.deterministic),
    firstSignalId: r.big("first_signal_id", d.firstSignalId, 1n),
    cexDex: r.bool("cex_dex", d.cexDex),
    dexDex: r.bool("dex_dex", d.dexDex),
    tokens: r.tokens("tokens", d.tokens),
    usdAssets: r.strings("usd_assets", d.usdAssets),
  };
  r.rejectUnknown();
  return config;
}
