import { MAX_SQRT_RATIO, MIN_SQRT_RATIO } from "../constants.ts";
import { getAmountOut } from "../v2/getAmountOut.ts";
import type { V2Hop } from "../v2/V2Hop.ts";
import { FEE_0_3_PERCENT } from "../v2/v2Fee.ts";
import { quoteSwapV3 } from "../v3/quoteSwapV3.ts";
import type { V3Pool } from "../v3/types.ts";
import { maximizeProfit } from "./maximizeProfit.ts";

export interface CrossPoolArbitrage {
  /** Paid into the V3 pool (fee included); 0 when no input is profitable. */
  amountIn: bigint;
  /** Back from the V2 pool, same token as amountIn. */
  amountOut: bigint;
  profit: bigint;
  evaluations: number;
}

/**
 * Best input for a round trip V3 -> V2: pay token A into the V3 pool (zeroForOne says which of its tokens A is), sell
 * what comes out into the V2 pool (reserves oriented B -> A) for A. The profit is a chain of two exact quotes minus
 * the input, piecewise smooth (it changes slope at every initialized tick) and unimodal; maximizeProfit searches it
 * over [0, maxAmountIn]. Every evaluation is a full multi-tick V3 quote, exact as the contract.
 */
export function getOptimalInputV3ToV2(
  v3: V3Pool,
  zeroForOne: boolean,
  v2: V2Hop,
  maxAmountIn: bigint,
): CrossPoolArbitrage {
  const fee = v2.fee ?? FEE_0_3_PERCENT;
  const sqrtPriceLimitX96 = zeroForOne ? MIN_SQRT_RATIO + 1n : MAX_SQRT_RATIO - 1n;
  const amountOutOf = (x: bigint): bigint => {
    if (x <= 0n) return 0n;
    const r = quoteSwapV3(v3, { zeroForOne, amountSpecified: x, sqrtPriceLimitX96 });
    const mid = zeroForOne ? -r.amount1 : -r.amount0;
    // the V3 leg may stop early at the price limit; an input it did not take is not spent
    const spent = zeroForOne ? r.amount0 : r.amount1;
    return mid <= 0n ? x - spent : getAmountOut(mid, v2.reserveIn, v2.reserveOut, fee) + (x - spent);
  };
  const best = maximizeProfit((x) => amountOutOf(x) - x, 0n, maxAmountIn);
  if (best.profit <= 0n) return { amountIn: 0n, amountOut: 0n, profit: 0n, evaluations: best.evaluations };
  return {
    amountIn: best.amountIn,
    amountOut: best.amountIn + best.profit,
    profit: best.profit,
    evaluations: best.evaluations,
  };
}
