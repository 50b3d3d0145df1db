import { MAX_TICK, MAX_UINT128, MIN_TICK } from "../constants.ts";

/** Tick.tickSpacingToMaxLiquidityPerTick: uint128 max spread over the usable ticks (Solidity `/` truncates to 0). */
export function tickSpacingToMaxLiquidityPerTick(tickSpacing: number): bigint {
  const minTick = Math.trunc(MIN_TICK / tickSpacing) * tickSpacing;
  const maxTick = Math.trunc(MAX_TICK / tickSpacing) * tickSpacing;
  const numTicks = BigInt((maxTick - minTick) / tickSpacing + 1);
  return MAX_UINT128 / numTicks;
}
