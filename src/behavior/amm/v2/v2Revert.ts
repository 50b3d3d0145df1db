import type { Facts } from "../../../core/errors.ts";
import { V2RevertError } from "../errors.ts";

/**
 * One V2 revert. `reason` is the contract's string ("UniswapV2Library: INSUFFICIENT_LIQUIDITY", "UniswapV2: K",
 * "ds-math-mul-overflow"); DIVISION_BY_ZERO is ours for the unchecked `/` of getAmountIn. code drops the prefix:
 * "UniswapV2:INSUFFICIENT_LIQUIDITY".
 */
export function v2Revert(reason: string, facts: Facts): V2RevertError {
  const short = reason.replace(/^UniswapV2(Library)?: /, "");
  return new V2RevertError(reason, {
    code: `UniswapV2:${short}`,
    message: MESSAGES[short] ?? reason,
    facts,
  });
}

const MESSAGES: Record<string, string> = {
  INSUFFICIENT_INPUT_AMOUNT: "input amount must be above 0",
  INSUFFICIENT_OUTPUT_AMOUNT: "output amount must be above 0",
  INSUFFICIENT_AMOUNT: "amount must be above 0",
  INSUFFICIENT_LIQUIDITY: "a reserve is 0 (or the output reaches it)",
  INVALID_PATH: "a route needs at least one pool",
  K: "the swap would decrease the fee-adjusted constant product",
  "ds-math-mul-overflow": "a product exceeds uint256",
  "ds-math-sub-underflow": "output larger than the reserve",
  DIVISION_BY_ZERO: "output equal to the reserve",
};
