import { MAX_UINT256 } from "../constants.ts";
import { v2Revert } from "./v2Revert.ts";

/** UniswapV2Library.quote: amountA of one token at the reserves' ratio, no fee, rounded down (liquidity maths). */
export function quote(amountA: bigint, reserveA: bigint, reserveB: bigint): bigint {
  if (amountA <= 0n) throw v2Revert("UniswapV2Library: INSUFFICIENT_AMOUNT", { amountA });
  if (reserveA <= 0n || reserveB <= 0n)
    throw v2Revert("UniswapV2Library: INSUFFICIENT_LIQUIDITY", { reserveA, reserveB });
  const product = amountA * reserveB;
  if (product > MAX_UINT256) throw v2Revert("ds-math-mul-overflow", { amountA, reserveB });
  return product / reserveA;
}
