import type { InstrumentId } from "../../data/instrument-id.ts";
import { MAX_SQRT_RATIO, MIN_SQRT_RATIO } from "../amm/constants.ts";
import { getAmountOut } from "../amm/v2/getAmountOut.ts";
import { quoteSwapV3 } from "../amm/v3/quoteSwapV3.ts";
import { ExecutionError } from "./errors.ts";
import type { PoolEntry } from "./market-state.ts";

/** One hop of a paper swap: exact amounts in native units. */
export interface SwapLeg {
  pool: InstrumentId;
  tokenIn: string;
  tokenOut: string;
  amountIn: bigint;
  amountOut: bigint;
  decimalsIn: number;
  decimalsOut: number;
}

/**
 * Runs `amountIn` of `tokenIn` through the pools in order with the exact AMM math (V2 getAmountOut with the pool's
 * fee; V3 the pool's swap loop as a quote, exact input, no price limit beyond the protocol's). Each hop's output is
 * the next hop's input. The pool states are read, not changed: a paper swap is not on chain, and the next chain
 * event overwrites the state anyway. Throws the AMM's revert or TickDataMissingError, or ExecutionError when a
 * token is not in the pool.
 */
export function simulateSwapPath(pools: readonly PoolEntry[], tokenIn: string, amountIn: bigint): SwapLeg[] {
  const legs: SwapLeg[] = [];
  let token = tokenIn.toLowerCase();
  let amount = amountIn;
  for (const p of pools) {
    const s = p.state;
    const zeroForOne = token === p.token0.toLowerCase();
    if (!zeroForOne && token !== p.token1.toLowerCase()) {
      throw new ExecutionError({
        code: "TokenNotInPool",
        message: `token ${token} is not in pool ${s.pool}`,
        facts: { token, pool: s.pool.toString(), token0: p.token0, token1: p.token1 },
      });
    }
    let out: bigint;
    if (s.protocol === 2) {
      out = zeroForOne
        ? getAmountOut(amount, s.reserve0, s.reserve1, s.fee)
        : getAmountOut(amount, s.reserve1, s.reserve0, s.fee);
    } else {
      const r = quoteSwapV3(s.v3, {
        zeroForOne,
        amountSpecified: amount,
        sqrtPriceLimitX96: zeroForOne ? MIN_SQRT_RATIO + 1n : MAX_SQRT_RATIO - 1n,
      });
      out = -(zeroForOne ? r.amount1 : r.amount0);
      const used = zeroForOne ? r.amount0 : r.amount1;
      if (used !== amount) {
        throw new ExecutionError({
          code: "SwapIncomplete",
          message: "the pool's liquidity ran out before the whole input was swapped",
          facts: { pool: s.pool.toString(), amountIn: amount, used },
        });
      }
    }
    const tokenOut = (zeroForOne ? p.token1 : p.token0).toLowerCase();
    legs.push({
      pool: s.pool,
      tokenIn: token,
      tokenOut,
      amountIn: amount,
      amountOut: out,
      decimalsIn: zeroForOne ? s.token0Decimals : s.token1Decimals,
      decimalsOut: zeroForOne ? s.token1Decimals : s.token0Decimals,
    });
    token = tokenOut;
    amount = out;
  }
  return legs;
}
