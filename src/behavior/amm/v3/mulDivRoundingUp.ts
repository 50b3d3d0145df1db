import { MAX_UINT256 } from "../constants.ts";
import { mulDivOverflow } from "./mulDiv.ts";

/**
 * FullMath.mulDivRoundingUp: ceil(a * b / denominator). Same reverts as mulDiv, plus require(result < max) before
 * the increment.
 */
export function mulDivRoundingUp(a: bigint, b: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw mulDivOverflow(a, b, denominator);
  const product = a * b;
  let result = product / denominator;
  if (product % denominator !== 0n) result++;
  if (result > MAX_UINT256) throw mulDivOverflow(a, b, denominator);
  return result;
}
