import { MAX_UINT256 } from "../constants.ts";
import { FEE_0_3_PERCENT, type V2Fee } from "./v2Fee.ts";
import { v2Revert } from "./v2Revert.ts";

/**
 * UniswapV2Library.getAmountOut: the output of an exact input, rounded down.
 *   amountInWithFee = amountIn * 997; out = amountInWithFee * reserveOut / (reserveIn * 1000 + amountInWithFee)
 * with the fork's gamma / scale in place of 997 / 1000. Positional arguments as in the Solidity signature: this is
 * the hottest function of the strategy (see bench/amm.ts).
 */
export function getAmountOut(
  amountIn: bigint,
  reserveIn: bigint,
  reserveOut: bigint,
  fee: V2Fee = FEE_0_3_PERCENT,
): bigint {
  if (amountIn <= 0n) throw v2Revert("UniswapV2Library: INSUFFICIENT_INPUT_AMOUNT", { amountIn });
  if (reserveIn <= 0n || reserveOut <= 0n) {
    throw v2Revert("UniswapV2Library: INSUFFICIENT_LIQUIDITY", { reserveIn, reserveOut });
  }
  const amountInWithFee = amountIn * fee.gamma;
  const numerator = amountInWithFee * reserveOut;
  const denominator = reserveIn * fee.scale + amountInWithFee;
  // SafeMath.mul / add: every intermediate is <= numerator or denominator, so two checks cover all of them.
  if (numerator > MAX_UINT256 || denominator > MAX_UINT256) {
    throw v2Revert("ds-math-mul-overflow", { amountIn, reserveIn, reserveOut });
  }
  return numerator / denominator;
}
