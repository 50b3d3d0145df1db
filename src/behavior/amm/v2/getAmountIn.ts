import { MAX_UINT256 } from "../constants.ts";
import { FEE_0_3_PERCENT, type V2Fee } from "./v2Fee.ts";
import { v2Revert } from "./v2Revert.ts";

/**
 * UniswapV2Library.getAmountIn: the input needed for an exact output,
 *   reserveIn * amountOut * 1000 / ((reserveOut - amountOut) * 997) + 1
 * (floor + 1: one more than needed when the division is exact, as the contract does).
 */
export function getAmountIn(
  amountOut: bigint,
  reserveIn: bigint,
  reserveOut: bigint,
  fee: V2Fee = FEE_0_3_PERCENT,
): bigint {
  if (amountOut <= 0n) throw v2Revert("UniswapV2Library: INSUFFICIENT_OUTPUT_AMOUNT", { amountOut });
  if (reserveIn <= 0n || reserveOut <= 0n) {
    throw v2Revert("UniswapV2Library: INSUFFICIENT_LIQUIDITY", { reserveIn, reserveOut });
  }
  // reserveOut.sub(amountOut): ds-math-sub-underflow; equal reserves give a zero denominator (division by zero).
  if (amountOut > reserveOut) throw v2Revert("ds-math-sub-underflow", { amountOut, reserveOut });
  if (amountOut === reserveOut) throw v2Revert("DIVISION_BY_ZERO", { amountOut, reserveOut });
  const numerator = reserveIn * amountOut * fee.scale;
  if (numerator > MAX_UINT256) throw v2Revert("ds-math-mul-overflow", { amountOut, reserveIn, reserveOut });
  return numerator / ((reserveOut - amountOut) * fee.gamma) + 1n;
}
