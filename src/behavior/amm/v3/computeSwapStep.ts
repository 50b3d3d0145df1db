import { PPM } from "../constants.ts";
import { getAmount0Delta } from "./getAmount0Delta.ts";
import { getAmount1Delta } from "./getAmount1Delta.ts";
import { getNextSqrtPriceFromInput } from "./getNextSqrtPriceFromInput.ts";
import { getNextSqrtPriceFromOutput } from "./getNextSqrtPriceFromOutput.ts";
import { mulDiv } from "./mulDiv.ts";
import { mulDivRoundingUp } from "./mulDivRoundingUp.ts";

export interface SwapStep {
  /** The price after the step: the target when reached, else where the remaining amount ran out. */
  sqrtRatioNextX96: bigint;
  /** Paid into the pool, fee excluded. */
  amountIn: bigint;
  /** Paid out of the pool. */
  amountOut: bigint;
  /** Fee on the input, in the input token. */
  feeAmount: bigint;
}

/**
 * SwapMath.computeSwapStep, line for line: one swap step inside a range of constant liquidity, from the current sqrt
 * price towards the target (the next initialized tick or the price limit). amountRemaining > 0 is exact input
 * (fee included), < 0 exact output. feePips in millionths. The direction is implied: current >= target is
 * zeroForOne.
 */
export function computeSwapStep(
  sqrtRatioCurrentX96: bigint,
  sqrtRatioTargetX96: bigint,
  liquidity: bigint,
  amountRemaining: bigint,
  feePips: bigint,
): SwapStep {
  const zeroForOne = sqrtRatioCurrentX96 >= sqrtRatioTargetX96;
  const exactIn = amountRemaining >= 0n;
  let sqrtRatioNextX96: bigint;
  let amountIn = 0n;
  let amountOut = 0n;

  if (exactIn) {
    const amountRemainingLessFee = mulDiv(amountRemaining, PPM - feePips, PPM);
    amountIn = zeroForOne
      ? getAmount0Delta(sqrtRatioTargetX96, sqrtRatioCurrentX96, liquidity, true)
      : getAmount1Delta(sqrtRatioCurrentX96, sqrtRatioTargetX96, liquidity, true);
    sqrtRatioNextX96 =
      amountRemainingLessFee >= amountIn
        ? sqrtRatioTargetX96
        : getNextSqrtPriceFromInput(sqrtRatioCurrentX96, liquidity, amountRemainingLessFee, zeroForOne);
  } else {
    amountOut = zeroForOne
      ? getAmount1Delta(sqrtRatioTargetX96, sqrtRatioCurrentX96, liquidity, false)
      : getAmount0Delta(sqrtRatioCurrentX96, sqrtRatioTargetX96, liquidity, false);
    sqrtRatioNextX96 =
      -amountRemaining >= amountOut
        ? sqrtRatioTargetX96
        : getNextSqrtPriceFromOutput(sqrtRatioCurrentX96, liquidity, -amountRemaining, zeroForOne);
  }

  const max = sqrtRatioTargetX96 === sqrtRatioNextX96;
  // Recompute whichever amount was not fixed by reaching the target with the known side.
  if (zeroForOne) {
    if (!(max && exactIn)) amountIn = getAmount0Delta(sqrtRatioNextX96, sqrtRatioCurrentX96, liquidity, true);
    if (!(max && !exactIn)) amountOut = getAmount1Delta(sqrtRatioNextX96, sqrtRatioCurrentX96, liquidity, false);
  } else {
    if (!(max && exactIn)) amountIn = getAmount1Delta(sqrtRatioCurrentX96, sqrtRatioNextX96, liquidity, true);
    if (!(max && !exactIn)) amountOut = getAmount0Delta(sqrtRatioCurrentX96, sqrtRatioNextX96, liquidity, false);
  }

  // Cap the output at the requested amount (rounding of the price can overshoot by one).
  if (!exactIn && amountOut > -amountRemaining) amountOut = -amountRemaining;

  // When exact input did not reach the target, the whole remainder beyond amountIn is fee.
  const feeAmount =
    exactIn && sqrtRatioNextX96 !== sqrtRatioTargetX96
      ? amountRemaining - amountIn
      : mulDivRoundingUp(amountIn, feePips, PPM - feePips);

  return { sqrtRatioNextX96, amountIn, amountOut, feeAmount };
}
