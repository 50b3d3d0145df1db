import { MAX_UINT160, MAX_UINT256 } from "../constants.ts";
import { v3Revert } from "../errors.ts";
import { divRoundingUp } from "./divRoundingUp.ts";
import { mulDivRoundingUp } from "./mulDivRoundingUp.ts";

/**
 * SqrtPriceMath.getNextSqrtPriceFromAmount0RoundingUp: the price after adding (add) or removing token0, always
 * rounded up so the price moves less than exactly, in the pool's favour. Formula liquidity * sqrtP / (liquidity ±
 * amount * sqrtP), with the contract's fallback liquidity / (liquidity / sqrtP + amount) when the product overflows.
 */
export function getNextSqrtPriceFromAmount0RoundingUp(
  sqrtPX96: bigint,
  liquidity: bigint,
  amount: bigint,
  add: boolean,
): bigint {
  if (amount === 0n) return sqrtPX96;
  const numerator1 = liquidity << 96n;
  // `product / amount == sqrtPX96` in the contract is false exactly when amount * sqrtPX96 wrapped past 2^256.
  const product = amount * sqrtPX96;
  if (add) {
    if (product <= MAX_UINT256) {
      const denominator = numerator1 + product;
      // `denominator >= numerator1` fails when the uint256 sum wrapped.
      if (denominator <= MAX_UINT256) return mulDivRoundingUp(numerator1, sqrtPX96, denominator);
    }
    // divRoundingUp(numerator1, (numerator1 / sqrtPX96).add(amount)): LowGasSafeMath.add reverts on overflow.
    const sum = numerator1 / sqrtPX96 + amount;
    if (sum > MAX_UINT256) {
      throw v3Revert("PRICE_OVERFLOW", "numerator1 / sqrtPX96 + amount overflows uint256", {
        sqrtPX96,
        liquidity,
        amount,
        solidity: "LowGasSafeMath.add",
      });
    }
    // uint160(...) in the contract is a truncating cast; the value is <= sqrtPX96 anyway.
    return divRoundingUp(numerator1, sum) & MAX_UINT160;
  }
  // require((product = amount * sqrtPX96) / amount == sqrtPX96 && numerator1 > product)
  if (product > MAX_UINT256 || numerator1 <= product) {
    throw v3Revert("OUTPUT_TOO_LARGE", "token0 output reaches the virtual reserves", {
      sqrtPX96,
      liquidity,
      amount,
      solidity: "require((product = amount * sqrtPX96) / amount == sqrtPX96 && numerator1 > product)",
    });
  }
  const next = mulDivRoundingUp(numerator1, sqrtPX96, numerator1 - product);
  // .toUint160(): require((z = uint160(y)) == y)
  if (next > MAX_UINT160) {
    throw v3Revert("CAST_OVERFLOW", "next sqrt price does not fit in uint160", {
      next,
      solidity: "SafeCast.toUint160",
    });
  }
  return next;
}
