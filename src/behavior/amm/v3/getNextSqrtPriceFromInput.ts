import { v3Revert } from "../errors.ts";
import { getNextSqrtPriceFromAmount0RoundingUp } from "./getNextSqrtPriceFromAmount0RoundingUp.ts";
import { getNextSqrtPriceFromAmount1RoundingDown } from "./getNextSqrtPriceFromAmount1RoundingDown.ts";

/**
 * SqrtPriceMath.getNextSqrtPriceFromInput: the price after amountIn of token0 (zeroForOne) or token1 enters the
 * pool; rounds so the price never passes the exact target.
 */
export function getNextSqrtPriceFromInput(
  sqrtPX96: bigint,
  liquidity: bigint,
  amountIn: bigint,
  zeroForOne: boolean,
): bigint {
  if (sqrtPX96 <= 0n) throw v3Revert("PRICE_ZERO", "sqrt price is 0", { sqrtPX96, solidity: "require(sqrtPX96 > 0)" });
  if (liquidity <= 0n) {
    throw v3Revert("LIQUIDITY_ZERO", "liquidity is 0", { liquidity, solidity: "require(liquidity > 0)" });
  }
  return zeroForOne
    ? getNextSqrtPriceFromAmount0RoundingUp(sqrtPX96, liquidity, amountIn, true)
    : getNextSqrtPriceFromAmount1RoundingDown(sqrtPX96, liquidity, amountIn, true);
}
