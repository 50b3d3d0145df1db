import { MAX_INT128, MIN_INT128 } from "../constants.ts";
import { v3Revert } from "../errors.ts";
import { addDelta } from "./addDelta.ts";
import type { V3Pool } from "./types.ts";

/**
 * Tick.update: adds liquidityDelta to a tick's gross liquidity ('LO' above maxLiquidityPerTick) and to its net
 * liquidity (subtracted for an upper tick). Returns whether the tick flipped between initialized and not. A newly
 * initialized tick at or below the current tick takes the global fee growth as its outside value ("all growth
 * happened below"), as the contract assumes. A tick that is left with zero gross liquidity stays in the map until
 * clearTick (Tick.clear runs after the position update in _updatePosition).
 */
export function updateTick(pool: V3Pool, tick: number, liquidityDelta: bigint, upper: boolean): boolean {
  let info = pool.ticks.get(tick);
  const grossBefore = info === undefined ? 0n : info.liquidityGross;
  const grossAfter = addDelta(grossBefore, liquidityDelta);
  if (grossAfter > pool.maxLiquidityPerTick) {
    throw v3Revert("LO", "tick liquidity above maxLiquidityPerTick", {
      tick,
      liquidityGross: grossAfter,
      maxLiquidityPerTick: pool.maxLiquidityPerTick,
    });
  }
  const flipped = (grossAfter === 0n) !== (grossBefore === 0n);
  if (info === undefined) {
    info = { liquidityGross: 0n, liquidityNet: 0n, feeGrowthOutside0X128: 0n, feeGrowthOutside1X128: 0n };
    pool.ticks.set(tick, info);
  }
  if (grossBefore === 0n && tick <= pool.tick) {
    info.feeGrowthOutside0X128 = pool.feeGrowthGlobal0X128;
    info.feeGrowthOutside1X128 = pool.feeGrowthGlobal1X128;
  }
  info.liquidityGross = grossAfter;
  // int256(liquidityNet).sub/add(liquidityDelta).toInt128()
  const net = upper ? info.liquidityNet - liquidityDelta : info.liquidityNet + liquidityDelta;
  if (net > MAX_INT128 || net < MIN_INT128) {
    throw v3Revert("CAST_OVERFLOW", "liquidityNet does not fit in int128", {
      tick,
      liquidityNet: net,
      solidity: "toInt128",
    });
  }
  info.liquidityNet = net;
  return flipped;
}
