import { v3Revert } from "../errors.ts";
import { getNextSqrtPriceFromAmount0RoundingUp } from "./getNextSqrtPriceFromAmount0RoundingUp.ts";
import { getNextSqrtPriceFromAmount1RoundingDown } from "./getNextSqrtPriceFromAmount1RoundingDown.ts";

/**
 * SqrtPriceMath.getNextSqrtPriceFromOutput: the price after amountOut of token1 (zeroForOne) or token0 leaves the
 * pool; reverts when the output reaches the virtual reserves.
 */
export function getNextSqrtPriceFromOutput(
  sqrtPX96: bigint,
  liquidity: bigint,
  amountOut: bigint,
  zeroForOne: boolean,
): bigint {
  if (sqrtPX96 <= 0n) throw v3Revert("PRICE_ZERO", "sqrt price is 0", { sqrtPX96, solidity: "require(sqrtPX96 > 0)" });
  if (liquidity <= 0n) {
    throw v3Revert("LIQUIDITY_ZERO", "liquidity is 0", { liquidity, solidity: "require(liquidity > 0)" });
  }
  return zeroForOne
    ? getNextSqrtPriceFromAmount1RoundingDown(sqrtPX96, liquidity, amountOut, false)
    : getNextSqrtPriceFromAmount0RoundingUp(sqrtPX96, liquidity, amountOut, false);
}
