import { v3Revert } from "../errors.ts";
import { divRoundingUp } from "./divRoundingUp.ts";
import { mulDiv } from "./mulDiv.ts";
import { mulDivRoundingUp } from "./mulDivRoundingUp.ts";

/**
 * SqrtPriceMath.getAmount0Delta (unsigned): token0 between two sqrt prices for a liquidity,
 * liquidity * 2^96 * (sqrtB - sqrtA) / sqrtB / sqrtA, rounded up (roundUp: what the pool is paid) or down (what it
 * pays out). The two divisions are done separately as in the contract, which is what makes the rounding exact.
 */
export function getAmount0Delta(
  sqrtRatioAX96: bigint,
  sqrtRatioBX96: bigint,
  liquidity: bigint,
  roundUp: boolean,
): bigint {
  if (sqrtRatioAX96 > sqrtRatioBX96) {
    const t = sqrtRatioAX96;
    sqrtRatioAX96 = sqrtRatioBX96;
    sqrtRatioBX96 = t;
  }
  if (sqrtRatioAX96 <= 0n) {
    throw v3Revert("PRICE_ZERO", "sqrt price is 0", { sqrtRatioAX96, solidity: "require(sqrtRatioAX96 > 0)" });
  }
  const numerator1 = liquidity << 96n;
  const numerator2 = sqrtRatioBX96 - sqrtRatioAX96;
  return roundUp
    ? divRoundingUp(mulDivRoundingUp(numerator1, numerator2, sqrtRatioBX96), sqrtRatioAX96)
    : mulDiv(numerator1, numerator2, sqrtRatioBX96) / sqrtRatioAX96;
}
