import { Q96 } from "../constants.ts";
import { mulDiv } from "./mulDiv.ts";
import { mulDivRoundingUp } from "./mulDivRoundingUp.ts";

/**
 * SqrtPriceMath.getAmount1Delta (unsigned): token1 between two sqrt prices, liquidity * (sqrtB - sqrtA) / 2^96,
 * rounded up or down.
 */
export function getAmount1Delta(
  sqrtRatioAX96: bigint,
  sqrtRatioBX96: bigint,
  liquidity: bigint,
  roundUp: boolean,
): bigint {
  const diff = sqrtRatioAX96 > sqrtRatioBX96 ? sqrtRatioAX96 - sqrtRatioBX96 : sqrtRatioBX96 - sqrtRatioAX96;
  return roundUp ? mulDivRoundingUp(liquidity, diff, Q96) : mulDiv(liquidity, diff, Q96);
}
