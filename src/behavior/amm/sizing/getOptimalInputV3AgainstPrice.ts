import { MAX_INT256, MAX_SQRT_RATIO, MIN_SQRT_RATIO, PPM } from "../constants.ts";
import { isqrt } from "../isqrt.ts";
import type { RawPrice } from "../rawPrice.ts";
import { quoteSwapV3 } from "../v3/quoteSwapV3.ts";
import type { SwapV3Result } from "../v3/runSwapV3.ts";
import type { V3Pool } from "../v3/types.ts";

export interface V3PriceArbitrage {
  /** Paid into the pool (fee included); 0 when the pool is not cheaper than the outside price. */
  amountIn: bigint;
  /** Received from the pool. */
  amountOut: bigint;
  /** amountOut valued at the outside price in input-token units (floor), minus amountIn. */
  profit: bigint;
  /** The sqrt price the swap stops at: where the pool's marginal rate after fee equals the outside price. */
  sqrtPriceLimitX96: bigint;
  swap: SwapV3Result | undefined;
}

/**
 * Best input for buying from a V3 pool and selling at an outside price p (input-token raw units per output-token
 * raw unit), by bisection on the marginal price solved in closed form: profit grows while the pool's marginal rate
 * after the fee beats 1/p, i.e. until the pool price P (token1 per token0) reaches
 *   zeroForOne (pay token0, get token1):  P* = 1 / ((1 - f) * p)
 *   oneForZero (pay token1, get token0):  P* = (1 - f) * p
 * sqrt(P*) * 2^96 is one integer sqrt, and the pool's own swap loop with that price limit walks the ticks and
 * returns the exact input that gets there. maxAmountIn caps the size (flash-loan liquidity, risk limit): past it
 * the swap is an exact input of maxAmountIn.
 */
export function getOptimalInputV3AgainstPrice(
  pool: V3Pool,
  zeroForOne: boolean,
  price: RawPrice,
  maxAmountIn: bigint = MAX_INT256,
): V3PriceArbitrage {
  const gamma = PPM - pool.fee;
  const limit = zeroForOne
    ? isqrt(((1n << 192n) * PPM * price.denominator) / (gamma * price.numerator))
    : isqrt(((1n << 192n) * gamma * price.numerator) / (PPM * price.denominator));
  const none = { amountIn: 0n, amountOut: 0n, profit: 0n, sqrtPriceLimitX96: limit, swap: undefined };
  // not profitable at the current price, or the limit is outside what the pool accepts ('SPL')
  if (
    zeroForOne
      ? !(limit < pool.sqrtPriceX96 && limit > MIN_SQRT_RATIO)
      : !(limit > pool.sqrtPriceX96 && limit < MAX_SQRT_RATIO)
  ) {
    return none;
  }
  const toLimit = quoteSwapV3(pool, { zeroForOne, amountSpecified: maxAmountIn, sqrtPriceLimitX96: limit });
  const amountIn = zeroForOne ? toLimit.amount0 : toLimit.amount1;
  if (amountIn === 0n) return none;
  // Executed as an exact input of amountIn (what a flash-arbitrage contract sends): its last step can round one
  // wei differently from the limit-stopped swap, so the amounts are re-quoted that way.
  const swap = quoteSwapV3(pool, {
    zeroForOne,
    amountSpecified: amountIn,
    sqrtPriceLimitX96: zeroForOne ? MIN_SQRT_RATIO + 1n : MAX_SQRT_RATIO - 1n,
  });
  const amountOut = zeroForOne ? -swap.amount1 : -swap.amount0;
  return {
    amountIn,
    amountOut,
    profit: (amountOut * price.numerator) / price.denominator - amountIn,
    sqrtPriceLimitX96: limit,
    swap,
  };
}
