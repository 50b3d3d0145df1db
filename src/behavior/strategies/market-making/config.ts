import { InstrumentId } from "../../../data/instrument-id.ts";
import { ConfigReader } from "../common/config-reader.ts";
import { StrategyError } from "../common/errors.ts";

/** Market-making configuration: the `[strategies.market_making]` TOML table (keys in docs/strategies.md). */
export interface MarketMakingConfig {
  strategyId: number;
  /** The CEX instrument quoted, canonical text (kraken:spot:ETH/USD). */
  instrument: InstrumentId;
  /** "mid" = (bid + ask) / 2; "micro" = size-weighted: (bid * askSize + ask * bidSize) / (bidSize + askSize). */
  fairValue: "mid" | "micro";
  /** Size of each quote (e8 of the base asset). */
  quoteSizeE8: bigint;
  /** Smallest total spread, bps of fair value. */
  minSpreadBps: bigint;
  /** Half-spread from volatility: volMultiplierPct / 100 * sigma (sigma = sqrt of the EWMA of squared moves, e8). */
  volMultiplierPct: bigint;
  /** EWMA weight of the newest squared move, in millionths. */
  ewmaAlphaPpm: bigint;
  /** Quotes move when the wanted price differs from the resting one by more than this (bps of fair value). */
  refreshThresholdBps: bigint;
  /** Skew at a full position: both quotes move this many bps of fair value against the inventory. */
  skewBpsAtMaxPosition: bigint;
  /** Largest absolute position (e8 of the base); a side that would pass it is not quoted. */
  maxPositionE8: bigint;
  /** Most orders resting at once (at most one per side is used). */
  maxOpenOrders: number;
  /** Prices are rounded to this tick (e8): bids down, asks up. */
  tickSizeE8: bigint;
  /** Quotes are pulled when the book has not updated for this long. */
  staleAfterMs: number;
  /** OrderRequest flags bit 0. */
  paper: boolean;
  deterministic: boolean;
  firstOrderId: bigint;
}

export function resolveMarketMakingConfig(table: Record<string, unknown> = {}): MarketMakingConfig {
  const r = new ConfigReader("strategies.market_making", table);
  const text = r.text("instrument", "kraken:spot:ETH/USD");
  let instrument: InstrumentId;
  try {
    instrument = InstrumentId.parse(text);
  } catch (e) {
    throw new StrategyError({
      code: "BadStrategyConfig",
      message: `strategies.market_making.instrument = ${text}: not an instrument`,
      facts: { key: "strategies.market_making.instrument", value: text, cause: (e as Error).message },
      hint: "canonical text, e.g. kraken:spot:ETH/USD",
    });
  }
  const fair = r.text("fair_value", "micro");
  if (fair !== "mid" && fair !== "micro") r.fail("fair_value", fair, '"mid" or "micro"');
  const config: MarketMakingConfig = {
    strategyId: r.int("strategy_id", 2, 0, 65535),
    instrument,
    fairValue: fair as "mid" | "micro",
    quoteSizeE8: r.big("quote_size_e8", 10_000_000n, 1n), // 0.1 base
    minSpreadBps: r.big("min_spread_bps", 10n, 0n, 10_000n),
    volMultiplierPct: r.big("vol_multiplier_pct", 200n, 0n),
    ewmaAlphaPpm: r.big("ewma_alpha_ppm", 50_000n, 1n, 1_000_000n),
    refreshThresholdBps: r.big("refresh_threshold_bps", 2n, 0n, 10_000n),
    skewBpsAtMaxPosition: r.big("skew_bps_at_max_position", 10n, 0n, 10_000n),
    maxPositionE8: r.big("max_position_e8", 100_000_000n, 0n), // 1 base
    maxOpenOrders: r.int("max_open_orders", 2, 0, 1000),
    tickSizeE8: r.big("tick_size_e8", 1_000_000n, 1n), // 0.01
    staleAfterMs: r.int("stale_after_ms", 2_000, 1, 3_600_000),
    paper: r.bool("paper", true),
    deterministic: r.bool("deterministic", false),
    firstOrderId: r.big("first_order_id", 1n, 1n),
  };
  r.rejectUnknown();
  return config;
}
