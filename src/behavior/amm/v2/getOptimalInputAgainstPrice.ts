import { isqrt } from "../isqrt.ts";
import type { RawPrice } from "../rawPrice.ts";
import { getAmountOut } from "./getAmountOut.ts";
import type { V2Hop } from "./V2Hop.ts";
import { FEE_0_3_PERCENT } from "./v2Fee.ts";

export interface V2PriceArbitrage {
  /** Token In put into the pool (0 when the pool is not cheaper than the outside price). */
  amountIn: bigint;
  /** Token Out from the pool (exact getAmountOut). */
  amountOut: bigint;
  /** amountOut valued at the outside price in token In units (floor), minus amountIn. */
  profit: bigint;
}

/**
 * Closed-form best input for buying token Out from a V2 pool with token In and selling it at an outside (CEX) price
 * p = In per Out (raw units, exact fraction). Profit p*out(x) - x is maximal where out'(x) = 1/p:
 *   x* = (sqrt(g * rIn * rOut * p) - rIn) / g,  g = gamma/scale
 *      = (isqrt(G*S*rIn*rOut*pN*pD) / pD - S*rIn) / G.
 * To trade the other way (buy on the CEX, sell into the pool) pass the pool reversed and the inverted price.
 * Outside-venue fees and gas are not included here; see netArbitrageProfit.
 */
export function getOptimalInputAgainstPrice(pool: V2Hop, price: RawPrice): V2PriceArbitrage {
  const fee = pool.fee ?? FEE_0_3_PERCENT;
  const rIn = pool.reserveIn;
  const rOut = pool.reserveOut;
  const root = isqrt(fee.gamma * fee.scale * rIn * rOut * price.numerator * price.denominator) / price.denominator;
  const numerator = root - fee.scale * rIn;
  if (numerator <= 0n) return { amountIn: 0n, amountOut: 0n, profit: 0n };
  const amountIn = numerator / fee.gamma;
  if (amountIn === 0n) return { amountIn: 0n, amountOut: 0n, profit: 0n };
  const amountOut = getAmountOut(amountIn, rIn, rOut, fee);
  return { amountIn, amountOut, profit: (amountOut * price.numerator) / price.denominator - amountIn };
}
