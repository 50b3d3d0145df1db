import { MAX_UINT112 } from "../constants.ts";
import { FEE_0_3_PERCENT, type V2Fee } from "./v2Fee.ts";
import { v2Revert } from "./v2Revert.ts";

export interface V2PairSwap {
  reserve0: bigint;
  reserve1: bigint;
  /** Tokens sent to the pair before the call (flash swaps: repaid inside the callback). */
  amount0In: bigint;
  amount1In: bigint;
  amount0Out: bigint;
  amount1Out: bigint;
  fee?: V2Fee;
}

/**
 * UniswapV2Pair.swap's checks and its Sync: returns the new reserves or reverts as the pair does ('INSUFFICIENT_
 * OUTPUT_AMOUNT', 'INSUFFICIENT_LIQUIDITY', 'INSUFFICIENT_INPUT_AMOUNT', 'K', 'OVERFLOW'). The K check is
 * balance0Adjusted * balance1Adjusted >= reserve0 * reserve1 * 1000^2, balanceAdjusted = balance * 1000 - amountIn * 3.
 */
export function swapV2Pair(s: V2PairSwap): { reserve0: bigint; reserve1: bigint } {
  const fee = s.fee ?? FEE_0_3_PERCENT;
  if (s.amount0Out <= 0n && s.amount1Out <= 0n) {
    throw v2Revert("UniswapV2: INSUFFICIENT_OUTPUT_AMOUNT", { amount0Out: s.amount0Out, amount1Out: s.amount1Out });
  }
  if (s.amount0Out >= s.reserve0 || s.amount1Out >= s.reserve1) {
    throw v2Revert("UniswapV2: INSUFFICIENT_LIQUIDITY", {
      amount0Out: s.amount0Out,
      amount1Out: s.amount1Out,
      reserve0: s.reserve0,
      reserve1: s.reserve1,
    });
  }
  const balance0 = s.reserve0 + s.amount0In - s.amount0Out;
  const balance1 = s.reserve1 + s.amount1In - s.amount1Out;
  // amountIn = balance > reserve - amountOut ? balance - (reserve - amountOut) : 0, which is amount*In here.
  if (s.amount0In <= 0n && s.amount1In <= 0n) throw v2Revert("UniswapV2: INSUFFICIENT_INPUT_AMOUNT", {});
  const feeUnits = fee.scale - fee.gamma;
  const adjusted0 = balance0 * fee.scale - s.amount0In * feeUnits;
  const adjusted1 = balance1 * fee.scale - s.amount1In * feeUnits;
  if (adjusted0 * adjusted1 < s.reserve0 * s.reserve1 * fee.scale * fee.scale) {
    throw v2Revert("UniswapV2: K", {
      balance0Adjusted: adjusted0,
      balance1Adjusted: adjusted1,
      reserve0: s.reserve0,
      reserve1: s.reserve1,
    });
  }
  // _update: require(balance0 <= uint112(-1) && balance1 <= uint112(-1), 'UniswapV2: OVERFLOW')
  if (balance0 > MAX_UINT112 || balance1 > MAX_UINT112) throw v2Revert("UniswapV2: OVERFLOW", { balance0, balance1 });
  return { reserve0: balance0, reserve1: balance1 };
}
