import { MAX_SQRT_RATIO, MIN_SQRT_RATIO } from "../constants.ts";
import { v3Revert } from "../errors.ts";
import { getSqrtRatioAtTick } from "./getSqrtRatioAtTick.ts";
import { mostSignificantBit } from "./mostSignificantBit.ts";

/*
 * TickMath.getTickAtSqrtRatio: the greatest tick whose sqrt ratio is <= sqrtPriceX96. Ported step by step: log2 of
 * the Q128.128 ratio to 14 fractional bits (the contract's loop from bit 63 down to 50), times log_sqrt(1.0001)(2),
 * then the two candidate ticks with the contract's error bounds, and one getSqrtRatioAtTick to pick between them.
 * bigint >> on negative values is an arithmetic shift, as Solidity's on int256.
 */
const LOG_SQRT10001_2 = 255738958999603826347141n; // 128.128 number
const TICK_LOW_ERROR = 3402992956809132418596140100660247210n;
const TICK_HI_ERROR = 291339464771989622907027621153398088495n;

export function getTickAtSqrtRatio(sqrtPriceX96: bigint): number {
  // require(sqrtPriceX96 >= MIN_SQRT_RATIO && sqrtPriceX96 < MAX_SQRT_RATIO, 'R')
  if (sqrtPriceX96 < MIN_SQRT_RATIO || sqrtPriceX96 >= MAX_SQRT_RATIO) {
    throw v3Revert("R", "sqrtPriceX96 outside [MIN_SQRT_RATIO, MAX_SQRT_RATIO)", {
      sqrtPriceX96,
      minSqrtRatio: MIN_SQRT_RATIO,
      maxSqrtRatio: MAX_SQRT_RATIO,
    });
  }
  const ratio = sqrtPriceX96 << 32n;
  const msb = mostSignificantBit(ratio);
  let r = msb >= 128 ? ratio >> BigInt(msb - 127) : ratio << BigInt(127 - msb);
  let log2 = BigInt(msb - 128) << 64n;
  for (let i = 63n; i >= 50n; i--) {
    r = (r * r) >> 127n;
    const f = r >> 128n;
    log2 |= f << i;
    r >>= f;
  }
  const logSqrt10001 = log2 * LOG_SQRT10001_2;
  const tickLow = Number((logSqrt10001 - TICK_LOW_ERROR) >> 128n);
  const tickHi = Number((logSqrt10001 + TICK_HI_ERROR) >> 128n);
  if (tickLow === tickHi) return tickLow;
  return getSqrtRatioAtTick(tickHi) <= sqrtPriceX96 ? tickHi : tickLow;
}
