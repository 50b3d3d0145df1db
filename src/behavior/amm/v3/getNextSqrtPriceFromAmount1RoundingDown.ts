import { MAX_UINT160, Q96 } from "../constants.ts";
import { v3Revert } from "../errors.ts";
import { divRoundingUp } from "./divRoundingUp.ts";
import { mulDiv } from "./mulDiv.ts";
import { mulDivRoundingUp } from "./mulDivRoundingUp.ts";

/**
 * SqrtPriceMath.getNextSqrtPriceFromAmount1RoundingDown: the price after adding (add) or removing token1, always
 * rounded down: sqrtP ± amount / liquidity. The contract takes (amount << 96) / liquidity when amount fits in 160
 * bits and FullMath otherwise; both give the same floor (ceil when removing), so only the reverts differ.
 */
export function getNextSqrtPriceFromAmount1RoundingDown(
  sqrtPX96: bigint,
  liquidity: bigint,
  amount: bigint,
  add: boolean,
): bigint {
  if (add) {
    let quotient: bigint;
    if (amount <= MAX_UINT160) {
      if (liquidity === 0n) throw liquidityZero(sqrtPX96, amount);
      quotient = (amount << 96n) / liquidity;
    } else quotient = mulDiv(amount, Q96, liquidity);
    // uint256(sqrtPX96).add(quotient).toUint160()
    const next = sqrtPX96 + quotient;
    if (next > MAX_UINT160) {
      throw v3Revert("CAST_OVERFLOW", "next sqrt price does not fit in uint160", {
        sqrtPX96,
        liquidity,
        amount,
        solidity: "SafeCast.toUint160",
      });
    }
    return next;
  }
  const quotient =
    amount <= MAX_UINT160 ? divRoundingUp(amount << 96n, liquidity) : mulDivRoundingUp(amount, Q96, liquidity);
  // require(sqrtPX96 > quotient); with liquidity 0 the assembly division yields 0 and this require decides.
  if (sqrtPX96 <= quotient) {
    throw v3Revert("OUTPUT_TOO_LARGE", "token1 output reaches the virtual reserves", {
      sqrtPX96,
      liquidity,
      amount,
      solidity: "require(sqrtPX96 > quotient)",
    });
  }
  return sqrtPX96 - quotient;
}

function liquidityZero(sqrtPX96: bigint, amount: bigint) {
  return v3Revert("LIQUIDITY_ZERO", "division by zero liquidity", {
    sqrtPX96,
    amount,
    solidity: "(amount << 96) / liquidity",
  });
}
