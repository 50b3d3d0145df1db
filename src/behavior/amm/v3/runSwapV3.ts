import { MAX_INT256, MAX_SQRT_RATIO, MAX_TICK, MAX_UINT256, MIN_SQRT_RATIO, MIN_TICK, Q128 } from "../constants.ts";
import { v3Revert } from "../errors.ts";
import { addDelta } from "./addDelta.ts";
import { computeSwapStep } from "./computeSwapStep.ts";
import { crossTick } from "./crossTick.ts";
import { getSqrtRatioAtTick } from "./getSqrtRatioAtTick.ts";
import { getTickAtSqrtRatio } from "./getTickAtSqrtRatio.ts";
import { mulDiv } from "./mulDiv.ts";
import { type NextTick, nextInitializedTickWithinOneWord } from "./nextInitializedTickWithinOneWord.ts";
import type { V3Pool } from "./types.ts";

export interface SwapV3Params {
  zeroForOne: boolean;
  /** int256: > 0 exact input (fee included), < 0 exact output. */
  amountSpecified: bigint;
  /** The price the swap may not pass: below the current price for zeroForOne, above it otherwise. */
  sqrtPriceLimitX96: bigint;
}

export interface SwapV3Result {
  /** Pool balance deltas as in the Swap event: > 0 paid into the pool, < 0 paid out. */
  amount0: bigint;
  amount1: bigint;
  /** slot0 and liquidity after the swap. */
  sqrtPriceX96: bigint;
  tick: number;
  liquidity: bigint;
  /** Global fee growth of the input token after the swap. */
  feeGrowthGlobalX128: bigint;
  /** Protocol fee taken in the input token. */
  protocolFee: bigint;
  /** computeSwapStep calls (one per initialized tick or bitmap word boundary reached, plus the last). */
  steps: number;
  /** Initialized ticks crossed. */
  ticksCrossed: number;
}

const scratch: NextTick = { next: 0, initialized: false };

/**
 * The loop of UniswapV3Pool.swap. With commit the pool is updated as the contract does (slot0, liquidity, fee
 * growth, protocol fees, crossed ticks' fee growth outside); without it the pool is only read (a quote). Oracle
 * writes are not simulated. Reverts: 'AS' (amountSpecified 0), 'LOK' (not initialized), 'SPL' (limit on the wrong
 * side of the price or outside (MIN_SQRT_RATIO, MAX_SQRT_RATIO)), and TickDataMissingError when the walk needs a
 * bitmap word that was never loaded (then nothing was written).
 */
export function runSwapV3(pool: V3Pool, params: SwapV3Params, commit: boolean): SwapV3Result {
  const { zeroForOne, amountSpecified, sqrtPriceLimitX96 } = params;
  if (amountSpecified === 0n) throw v3Revert("AS", "amountSpecified is 0", { amountSpecified });
  if (!pool.unlocked) throw v3Revert("LOK", "pool is locked (not initialized)", { sqrtPriceX96: pool.sqrtPriceX96 });
  const priceStart = pool.sqrtPriceX96;
  if (
    zeroForOne
      ? !(sqrtPriceLimitX96 < priceStart && sqrtPriceLimitX96 > MIN_SQRT_RATIO)
      : !(sqrtPriceLimitX96 > priceStart && sqrtPriceLimitX96 < MAX_SQRT_RATIO)
  ) {
    throw v3Revert(
      "SPL",
      zeroForOne
        ? "price limit must be below the current price and above MIN_SQRT_RATIO"
        : "price limit must be above the current price and below MAX_SQRT_RATIO",
      { zeroForOne, sqrtPriceLimitX96, sqrtPriceX96: priceStart },
    );
  }

  const feeProtocol = BigInt(zeroForOne ? pool.feeProtocol % 16 : pool.feeProtocol >> 4);
  const exactInput = amountSpecified > 0n;
  const fee = pool.fee;
  let amountSpecifiedRemaining = amountSpecified;
  let amountCalculated = 0n;
  let sqrtPriceX96 = priceStart;
  let tick = pool.tick;
  let feeGrowthGlobalX128 = zeroForOne ? pool.feeGrowthGlobal0X128 : pool.feeGrowthGlobal1X128;
  let protocolFee = 0n;
  let liquidity = pool.liquidity;
  let steps = 0;
  let ticksCrossed = 0;
  // Ticks crossed in a committed swap are written only after the loop, so a TickDataMissingError half way leaves the
  // pool untouched.
  let crossed: { tick: number; feeGrowthGlobalX128: bigint }[] | undefined;

  while (amountSpecifiedRemaining !== 0n && sqrtPriceX96 !== sqrtPriceLimitX96) {
    const sqrtPriceStartX96 = sqrtPriceX96;
    nextInitializedTickWithinOneWord(pool, tick, zeroForOne, scratch);
    let tickNext = scratch.next;
    const initialized = scratch.initialized;
    // the bitmap does not know the tick bounds
    if (tickNext < MIN_TICK) tickNext = MIN_TICK;
    else if (tickNext > MAX_TICK) tickNext = MAX_TICK;
    const sqrtPriceNextX96 = getSqrtRatioAtTick(tickNext);

    const target = (zeroForOne ? sqrtPriceNextX96 < sqrtPriceLimitX96 : sqrtPriceNextX96 > sqrtPriceLimitX96)
      ? sqrtPriceLimitX96
      : sqrtPriceNextX96;
    const step = computeSwapStep(sqrtPriceX96, target, liquidity, amountSpecifiedRemaining, fee);
    steps++;
    sqrtPriceX96 = step.sqrtRatioNextX96;

    const paid = step.amountIn + step.feeAmount;
    if (paid > MAX_INT256 || step.amountOut > MAX_INT256) {
      throw v3Revert("CAST_OVERFLOW", "step amount does not fit in int256", { paid, amountOut: step.amountOut });
    }
    if (exactInput) {
      amountSpecifiedRemaining -= paid;
      amountCalculated -= step.amountOut;
    } else {
      amountSpecifiedRemaining += step.amountOut;
      amountCalculated += paid;
    }

    let feeAmount = step.feeAmount;
    if (feeProtocol > 0n) {
      const delta = feeAmount / feeProtocol;
      feeAmount -= delta;
      protocolFee += delta;
    }
    // unchecked += in Solidity 0.7: fee growth wraps mod 2^256 by design
    if (liquidity > 0n) feeGrowthGlobalX128 = (feeGrowthGlobalX128 + mulDiv(feeAmount, Q128, liquidity)) & MAX_UINT256;

    if (sqrtPriceX96 === sqrtPriceNextX96) {
      // reached the next tick: cross it if initialized
      if (initialized) {
        const fg0 = zeroForOne ? feeGrowthGlobalX128 : pool.feeGrowthGlobal0X128;
        const fg1 = zeroForOne ? pool.feeGrowthGlobal1X128 : feeGrowthGlobalX128;
        let liquidityNet = crossTick(pool, tickNext, fg0, fg1, false);
        if (commit) (crossed ??= []).push({ tick: tickNext, feeGrowthGlobalX128 });
        // moving leftward, liquidityNet is interpreted as the opposite sign
        if (zeroForOne) liquidityNet = -liquidityNet;
        liquidity = addDelta(liquidity, liquidityNet);
        ticksCrossed++;
      }
      tick = zeroForOne ? tickNext - 1 : tickNext;
    } else if (sqrtPriceX96 !== sqrtPriceStartX96) {
      // recompute unless we're on a lower tick boundary (already transitioned ticks) and haven't moved
      tick = getTickAtSqrtRatio(sqrtPriceX96);
    }
  }

  if (commit) {
    if (crossed !== undefined) {
      for (const c of crossed) {
        crossTick(
          pool,
          c.tick,
          zeroForOne ? c.feeGrowthGlobalX128 : pool.feeGrowthGlobal0X128,
          zeroForOne ? pool.feeGrowthGlobal1X128 : c.feeGrowthGlobalX128,
          true,
        );
      }
    }
    pool.sqrtPriceX96 = sqrtPriceX96;
    pool.tick = tick;
    pool.liquidity = liquidity;
    if (zeroForOne) {
      pool.feeGrowthGlobal0X128 = feeGrowthGlobalX128;
      pool.protocolFees0 += protocolFee;
    } else {
      pool.feeGrowthGlobal1X128 = feeGrowthGlobalX128;
      pool.protocolFees1 += protocolFee;
    }
  }

  const specifiedUsed = amountSpecified - amountSpecifiedRemaining;
  const inputIsToken0 = zeroForOne === exactInput;
  return {
    amount0: inputIsToken0 ? specifiedUsed : amountCalculated,
    amount1: inputIsToken0 ? amountCalculated : specifiedUsed,
    sqrtPriceX96,
    tick,
    liquidity,
    feeGrowthGlobalX128,
    protocolFee,
    steps,
    ticksCrossed,
  };
}
