import { MAX_UINT256 } from "../constants.ts";
import { PoolStateError } from "../errors.ts";
import type { V3Pool } from "./types.ts";

/**
 * Tick.cross: flips the tick's fee growth outside to the other side (global - outside, unchecked mod 2^256) and
 * returns its liquidityNet. With commit false (a quote) the tick is only read.
 */
export function crossTick(
  pool: V3Pool,
  tick: number,
  feeGrowthGlobal0X128: bigint,
  feeGrowthGlobal1X128: bigint,
  commit: boolean,
): bigint {
  const info = pool.ticks.get(tick);
  // An initialized bit without tick data is impossible on chain; a loader that gave the bitmap without the tick
  // would make the crossing wrong, so be loud.
  if (info === undefined) {
    throw new PoolStateError({
      code: "TickInfoMissing",
      message: `tick ${tick} is set in the bitmap but has no TickInfo`,
      facts: { tick },
      likelyCause: "a TickDataLoader returned a bitmap word without the ticks it marks as initialized",
      hint: "load the liquidityNet of every set bit together with its word",
    });
  }
  if (commit) {
    info.feeGrowthOutside0X128 = (feeGrowthGlobal0X128 - info.feeGrowthOutside0X128) & MAX_UINT256;
    info.feeGrowthOutside1X128 = (feeGrowthGlobal1X128 - info.feeGrowthOutside1X128) & MAX_UINT256;
  }
  return info.liquidityNet;
}
