import { getAmountIn } from "./getAmountIn.ts";
import type { V2Hop } from "./V2Hop.ts";
import { v2Revert } from "./v2Revert.ts";

/**
 * UniswapV2Library.getAmountsIn: amounts along a route for an exact output, computed backwards from the last hop.
 * amounts[hops.length] = amountOut, amounts[i] = getAmountIn(amounts[i + 1]) through hop i.
 */
export function getAmountsIn(amountOut: bigint, hops: readonly V2Hop[]): bigint[] {
  if (hops.length < 1) throw v2Revert("UniswapV2Library: INVALID_PATH", { hops: hops.length });
  const amounts: bigint[] = new Array(hops.length + 1);
  amounts[hops.length] = amountOut;
  for (let i = hops.length - 1; i >= 0; i--) {
    const h = hops[i];
    amounts[i] = getAmountIn(amounts[i + 1], h.reserveIn, h.reserveOut, h.fee);
  }
  return amounts;
}
