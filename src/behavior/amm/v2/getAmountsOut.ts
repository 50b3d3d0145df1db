import { getAmountOut } from "./getAmountOut.ts";
import type { V2Hop } from "./V2Hop.ts";
import { v2Revert } from "./v2Revert.ts";

/**
 * UniswapV2Library.getAmountsOut: amounts along a route for an exact input. amounts[0] = amountIn, amounts[i + 1]
 * = getAmountOut(amounts[i]) through hop i. Each hop carries its reserves already oriented in -> out and its fee,
 * so one route can mix forks (QuickSwap then SushiSwap).
 */
export function getAmountsOut(amountIn: bigint, hops: readonly V2Hop[]): bigint[] {
  if (hops.length < 1) throw v2Revert("UniswapV2Library: INVALID_PATH", { hops: hops.length });
  const amounts = [amountIn];
  for (let i = 0; i < hops.length; i++) {
    const h = hops[i];
    amounts.push(getAmountOut(amounts[i], h.reserveIn, h.reserveOut, h.fee));
  }
  return amounts;
}
