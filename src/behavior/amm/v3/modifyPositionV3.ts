import { MAX_TICK, MIN_TICK } from "../constants.ts";
import { v3Revert } from "../errors.ts";
import { addDelta } from "./addDelta.ts";
import { flipTick } from "./flipTick.ts";
import { getAmount0DeltaSigned } from "./getAmount0DeltaSigned.ts";
import { getAmount1DeltaSigned } from "./getAmount1DeltaSigned.ts";
import { getSqrtRatioAtTick } from "./getSqrtRatioAtTick.ts";
import type { TickInfo, V3Pool } from "./types.ts";
import { updateTick } from "./updateTick.ts";

export interface PositionChange {
  tickLower: number;
  tickUpper: number;
  /** int128: > 0 adds liquidity (mint), < 0 removes it (burn). */
  liquidityDelta: bigint;
}

export interface PositionAmounts {
  /** Signed: > 0 paid into the pool (mint, rounded up), < 0 owed to the owner (burn, rounded down). */
  amount0: bigint;
  amount1: bigint;
}

/**
 * UniswapV3Pool._modifyPosition (+ _updatePosition without the per-owner Position bookkeeping): checks the range
 * ('TLU', 'TLM', 'TUM'), updates both ticks ('LO'), flips their bitmap bits, clears ticks left empty by a burn,
 * adds the delta to the in-range liquidity when the current tick is inside [tickLower, tickUpper), and returns the
 * token amounts of the change.
 */
export function modifyPositionV3(pool: V3Pool, change: PositionChange): PositionAmounts {
  const { tickLower, tickUpper, liquidityDelta } = change;
  if (!pool.unlocked) throw v3Revert("LOK", "pool is locked (not initialized)", { sqrtPriceX96: pool.sqrtPriceX96 });
  // checkTicks
  if (!(tickLower < tickUpper)) throw v3Revert("TLU", "tickLower must be below tickUpper", { tickLower, tickUpper });
  if (tickLower < MIN_TICK) throw v3Revert("TLM", "tickLower below MIN_TICK", { tickLower, minTick: MIN_TICK });
  if (tickUpper > MAX_TICK) throw v3Revert("TUM", "tickUpper above MAX_TICK", { tickUpper, maxTick: MAX_TICK });

  let amount0 = 0n;
  let amount1 = 0n;
  if (liquidityDelta === 0n) return { amount0, amount1 };

  // A revert undoes the whole call on chain; here the two ticks, their bitmap words and the liquidity are saved
  // and put back if any step below throws (LO, LS, LA, a cast), so a refused mint or burn leaves the pool as it was.
  const saved = savePositionState(pool, tickLower, tickUpper);
  try {
    // _updatePosition: both ticks, then bitmap flips, then clearing of ticks a burn emptied.
    const flippedLower = updateTick(pool, tickLower, liquidityDelta, false);
    const flippedUpper = updateTick(pool, tickUpper, liquidityDelta, true);
    if (flippedLower) flipTick(pool, tickLower);
    if (flippedUpper) flipTick(pool, tickUpper);
    if (liquidityDelta < 0n) {
      if (flippedLower) pool.ticks.delete(tickLower);
      if (flippedUpper) pool.ticks.delete(tickUpper);
    }

    const tick = pool.tick;
    if (tick < tickLower) {
      // price below the range: only token0
      amount0 = getAmount0DeltaSigned(getSqrtRatioAtTick(tickLower), getSqrtRatioAtTick(tickUpper), liquidityDelta);
    } else if (tick < tickUpper) {
      amount0 = getAmount0DeltaSigned(pool.sqrtPriceX96, getSqrtRatioAtTick(tickUpper), liquidityDelta);
      amount1 = getAmount1DeltaSigned(getSqrtRatioAtTick(tickLower), pool.sqrtPriceX96, liquidityDelta);
      pool.liquidity = addDelta(pool.liquidity, liquidityDelta);
    } else {
      // price above the range: only token1
      amount1 = getAmount1DeltaSigned(getSqrtRatioAtTick(tickLower), getSqrtRatioAtTick(tickUpper), liquidityDelta);
    }
  } catch (e) {
    restorePositionState(pool, saved);
    throw e;
  }
  return { amount0, amount1 };
}

interface SavedPositionState {
  ticks: [number, TickInfo | undefined][];
  words: [number, bigint | undefined][];
  liquidity: bigint;
}

function savePositionState(pool: V3Pool, tickLower: number, tickUpper: number): SavedPositionState {
  const spacing = pool.tickSpacing;
  const wordOf = (t: number) => Math.floor(t / spacing) >> 8;
  return {
    ticks: [tickLower, tickUpper].map((t) => {
      const info = pool.ticks.get(t);
      return [t, info === undefined ? undefined : { ...info }];
    }),
    words: [wordOf(tickLower), wordOf(tickUpper)].map((w) => [w, pool.bitmap.get(w)]),
    liquidity: pool.liquidity,
  };
}

function restorePositionState(pool: V3Pool, saved: SavedPositionState): void {
  for (const [t, info] of saved.ticks) {
    if (info === undefined) pool.ticks.delete(t);
    else pool.ticks.set(t, info);
  }
  for (const [w, word] of saved.words) {
    if (word === undefined) pool.bitmap.delete(w);
    else pool.bitmap.set(w, word);
  }
  pool.liquidity = saved.liquidity;
}
