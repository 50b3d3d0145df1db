import { MAX_INT256, MAX_SQRT_RATIO, MIN_SQRT_RATIO } from "../../amm/constants.ts";
import { getAmountIn } from "../../amm/v2/getAmountIn.ts";
import { getAmountOut } from "../../amm/v2/getAmountOut.ts";
import { getSqrtRatioAtTick } from "../../amm/v3/getSqrtRatioAtTick.ts";
import { quoteSwapV3 } from "../../amm/v3/quoteSwapV3.ts";
import type { V3Pool } from "../../amm/v3/types.ts";
import type { DexPoolState } from "../common/market-state.ts";

/** Result of a leg quote that the pool cannot serve (past its reserves or its known liquidity window). */
export const INFEASIBLE = -1n;

/**
 * One direction through one pool, quoted with the exact AMM math. `zeroForOne`: token0 is paid in.
 *
 * V3 pools are known from PoolState snapshots and Swap/Mint/Burn events: price, tick and in-range liquidity, but no
 * tick data (the bus has no TLV for it). Initialized ticks are multiples of tickSpacing, so the in-range liquidity
 * holds exactly inside [floor(tick / spacing) * spacing, + spacing): quotes are exact there and a size that would
 * leave that window is INFEASIBLE (docs/strategies.md "V3 window"). The swap is run by the pool's own loop on a
 * copy whose bitmap is empty and complete, with the window edge as the price limit.
 */
export interface PoolLeg {
  /** Exact input -> output, INFEASIBLE when the pool cannot take all of it. */
  amountOut(amountIn: bigint): bigint;
  /** Input needed for an exact output, INFEASIBLE when the pool cannot give that much. */
  amountIn(amountOut: bigint): bigint;
  /** The largest input the leg takes (V2: unbounded, returned as MAX_INT256). */
  readonly maxIn: bigint;
  /** The largest output the leg gives. */
  readonly maxOut: bigint;
  readonly protocol: 2 | 3;
}

export function poolLeg(pool: DexPoolState, zeroForOne: boolean): PoolLeg {
  const s = pool.state;
  if (s.protocol === 2) {
    const rIn = zeroForOne ? s.reserve0 : s.reserve1;
    const rOut = zeroForOne ? s.reserve1 : s.reserve0;
    const fee = s.fee;
    return {
      protocol: 2,
      maxIn: MAX_INT256,
      maxOut: rOut > 0n ? rOut - 1n : 0n,
      amountOut: (x) => (x <= 0n ? 0n : getAmountOut(x, rIn, rOut, fee)),
      amountIn: (y) => (y <= 0n ? 0n : y >= rOut ? INFEASIBLE : getAmountIn(y, rIn, rOut, fee)),
    };
  }
  const v3 = s.v3;
  const spacing = v3.tickSpacing;
  const lower = Math.floor(v3.tick / spacing) * spacing;
  const limit = zeroForOne ? getSqrtRatioAtTick(lower) : getSqrtRatioAtTick(lower + spacing);
  const window: V3Pool = { ...v3, bitmap: new Map(), ticks: new Map(), bitmapComplete: true };
  const room = zeroForOne
    ? limit < v3.sqrtPriceX96 && limit > MIN_SQRT_RATIO
    : limit > v3.sqrtPriceX96 && limit < MAX_SQRT_RATIO;
  if (!room || !v3.unlocked || v3.liquidity === 0n) {
    return { protocol: 3, maxIn: 0n, maxOut: 0n, amountOut: () => INFEASIBLE, amountIn: () => INFEASIBLE };
  }
  const params = { zeroForOne, amountSpecified: 0n, sqrtPriceLimitX96: limit };
  const toEdge = quoteSwapV3(window, { zeroForOne, amountSpecified: MAX_INT256, sqrtPriceLimitX96: limit });
  const maxIn = zeroForOne ? toEdge.amount0 : toEdge.amount1;
  const maxOut = zeroForOne ? -toEdge.amount1 : -toEdge.amount0;
  return {
    protocol: 3,
    maxIn,
    maxOut,
    amountOut(x) {
      if (x <= 0n) return 0n;
      if (x > maxIn) return INFEASIBLE;
      params.amountSpecified = x;
      const r = quoteSwapV3(window, params);
      const spent = zeroForOne ? r.amount0 : r.amount1;
      if (spent < x) return INFEASIBLE;
      return zeroForOne ? -r.amount1 : -r.amount0;
    },
    amountIn(y) {
      if (y <= 0n) return 0n;
      if (y > maxOut) return INFEASIBLE;
      params.amountSpecified = -y;
      const r = quoteSwapV3(window, params);
      const got = zeroForOne ? -r.amount1 : -r.amount0;
      if (got < y) return INFEASIBLE;
      return zeroForOne ? r.amount0 : r.amount1;
    },
  };
}
