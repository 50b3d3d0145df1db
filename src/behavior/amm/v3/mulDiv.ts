import { MAX_UINT256 } from "../constants.ts";
import { v3Revert } from "../errors.ts";

/**
 * FullMath.mulDiv: floor(a * b / denominator) with a 512-bit intermediate. Reverts (require(denominator > prod1))
 * when the denominator is 0 or the result does not fit in uint256. bigint has no 512-bit limit, so the product is
 * exact; only the result range has to be checked.
 */
export function mulDiv(a: bigint, b: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw mulDivOverflow(a, b, denominator);
  const result = (a * b) / denominator;
  if (result > MAX_UINT256) throw mulDivOverflow(a, b, denominator);
  return result;
}

export function mulDivOverflow(a: bigint, b: bigint, denominator: bigint) {
  return v3Revert("MULDIV_OVERFLOW", "FullMath.mulDiv result does not fit in uint256 (or denominator is 0)", {
    a,
    b,
    denominator,
    solidity: "require(denominator > prod1)",
  });
}
