/**
 * The pre-trade risk checks: small pure functions, each returning undefined (pass) or a RiskRejection that names
 * the check and carries the numbers it compared. The engine runs them in the order below for every order and turns
 * a rejection into an OrderStatus (status 2 rejected, reason 1 risk limit) plus an audit record with these facts.
 * Money is USD e8, prices e8, quantities e8 (docs/execution.md "Risk checks").
 */
export type RiskCheck =
  | "stale_data"
  | "order_notional"
  | "position_limit"
  | "total_position_limit"
  | "open_orders"
  | "price_deviation"
  | "gas_price"
  | "daily_loss";

export interface RiskRejection {
  readonly check: RiskCheck;
  readonly message: string;
  readonly facts: Readonly<Record<string, string | number>>;
}

const E8 = 100_000_000n;
const abs = (x: bigint): bigint => (x < 0n ? -x : x);

/** USD e8 value of a quantity e8 at a price e8, rounded down. */
export function notionalE8(priceE8: bigint, quantityE8: bigint): bigint {
  return abs(priceE8 * quantityE8) / E8;
}

/** The data the order would trade against must be usable (snapshot seen, not invalidated) and recent. */
export function checkDataStaleness(p: {
  usable: boolean;
  updatedNs: bigint;
  nowNs: bigint;
  maxAgeMs: number;
}): RiskRejection | undefined {
  const ageNs = p.nowNs - p.updatedNs;
  if (!p.usable || p.updatedNs === 0n) {
    return { check: "stale_data", message: "no usable market data", facts: { usable: String(p.usable) } };
  }
  if (ageNs > BigInt(p.maxAgeMs) * 1_000_000n) {
    return {
      check: "stale_data",
      message: "market data too old",
      facts: { age_ms: String(ageNs / 1_000_000n), max_age_ms: p.maxAgeMs },
    };
  }
  return undefined;
}

export function checkOrderNotional(p: { notionalE8: bigint; maxE8: bigint }): RiskRejection | undefined {
  if (p.notionalE8 <= p.maxE8) return undefined;
  return {
    check: "order_notional",
    message: "order notional above the limit",
    facts: { notional_usd_e8: String(p.notionalE8), max_usd_e8: String(p.maxE8) },
  };
}

/** Worst-case |position| after the order (resting orders on the same side included), valued at the reference. */
export function checkPositionLimit(p: {
  positionAfterE8: bigint;
  referencePriceE8: bigint;
  maxNotionalE8: bigint;
}): RiskRejection | undefined {
  const value = notionalE8(p.referencePriceE8, p.positionAfterE8);
  if (value <= p.maxNotionalE8) return undefined;
  return {
    check: "position_limit",
    message: "position in the instrument would exceed the limit",
    facts: {
      position_after_e8: String(p.positionAfterE8),
      value_usd_e8: String(value),
      max_usd_e8: String(p.maxNotionalE8),
    },
  };
}

export function checkTotalPosition(p: { totalAfterE8: bigint; maxE8: bigint }): RiskRejection | undefined {
  if (p.totalAfterE8 <= p.maxE8) return undefined;
  return {
    check: "total_position_limit",
    message: "total position would exceed the limit",
    facts: { total_usd_e8: String(p.totalAfterE8), max_usd_e8: String(p.maxE8) },
  };
}

export function checkOpenOrders(p: { open: number; max: number }): RiskRejection | undefined {
  if (p.open + 1 <= p.max) return undefined;
  return { check: "open_orders", message: "too many resting orders", facts: { open: p.open, max: p.max } };
}

/** |price - reference| / reference <= maxBps / 10000, compared in integers. A zero reference fails. */
export function checkPriceDeviation(p: {
  price: bigint;
  reference: bigint;
  maxBps: number;
}): RiskRejection | undefined {
  if (p.reference > 0n && abs(p.price - p.reference) * 10_000n <= BigInt(p.maxBps) * p.reference) return undefined;
  return {
    check: "price_deviation",
    message: "price too far from the reference",
    facts: { price: String(p.price), reference: String(p.reference), max_bps: p.maxBps },
  };
}

/** A signal's gas ceiling (gwei, 0 = none) against the chain's last base + priority fee (wei). */
export function checkGasPrice(p: { gasWei: bigint | undefined; maxGwei: number }): RiskRejection | undefined {
  if (p.maxGwei === 0 || p.gasWei === undefined || p.gasWei <= BigInt(p.maxGwei) * 1_000_000_000n) return undefined;
  return {
    check: "gas_price",
    message: "gas price above the signal's ceiling",
    facts: { gas_wei: String(p.gasWei), max_gwei: p.maxGwei },
  };
}

/** The day's P&L (USD e8, realised + unrealised - fees since 00:00 UTC) must stay above -limit. */
export function checkDailyLoss(p: { dailyPnlE8: bigint; limitE8: bigint }): RiskRejection | undefined {
  if (p.dailyPnlE8 > -p.limitE8) return undefined;
  return {
    check: "daily_loss",
    message: "daily loss limit reached",
    facts: { daily_pnl_usd_e8: String(p.dailyPnlE8), limit_usd_e8: String(p.limitE8) },
  };
}
