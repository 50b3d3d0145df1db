import { PoolStateError } from "../errors.ts";
import { addDelta } from "../v3/addDelta.ts";
import { flipTick } from "../v3/flipTick.ts";
import { updateTick } from "../v3/updateTick.ts";
import type { PoolEvent, PoolEventOutcome, TrackedPoolState, V3PoolState } from "./types.ts";

const FLAG_REMOVED = 1;
const FLAG_V3 = 2;

/**
 * Applies one collector pool event (PROTOCOL.md §6) to a pool's state, in chain order.
 *
 * - removed (flags bit 0, a reorg retraction): the state is marked not ready and counted; nothing is reversed. V2
 *   becomes ready again with the next Sync (it carries the whole reserves); V3 with the next Swap (it carries
 *   sqrtPriceX96, tick and liquidity), and its tick data is dropped because a retracted Mint/Burn may have changed
 *   it: the owner reloads it (ensureTickWords).
 * - at or before validAt: ignored and counted (replays, duplicates after a reconnect).
 * - V2: Sync sets the reserves (the Sync is emitted right before its Swap/Mint/Burn, so Swap adds nothing).
 * - V3: Swap sets slot0 price, tick and in-range liquidity; Mint/Burn add their liquidity to the in-range liquidity
 *   when tickLower <= tick < tickUpper (UniswapV3Pool._modifyPosition) and to both ticks' data when their bitmap
 *   word is loaded and was read before the event's block.
 */
export function applyPoolEvent(state: TrackedPoolState, event: PoolEvent): PoolEventOutcome {
  const e = event.value;
  if (!e.pool.equals(state.pool)) {
    throw new PoolStateError({
      code: "EventPoolMismatch",
      message: "event is for another pool",
      facts: { pool: state.pool.toString(), eventPool: e.pool.toString() },
    });
  }
  if ((e.flags & FLAG_REMOVED) !== 0) {
    state.removedEvents++;
    state.ready = false;
    if (state.protocol === 3) {
      state.v3.bitmap.clear();
      state.v3.ticks.clear();
      state.wordBlocks.clear();
    }
    return "removed";
  }
  const at = state.validAt;
  if (
    at !== undefined &&
    (e.blockNumber < at.blockNumber || (e.blockNumber === at.blockNumber && e.logIndex <= at.logIndex))
  ) {
    state.staleEvents++;
    return "stale";
  }

  if (state.protocol === 2) {
    if (event.type !== 16) return "ignored";
    state.reserve0 = event.value.reserve0;
    state.reserve1 = event.value.reserve1;
    state.ready = true;
  } else {
    if ((e.flags & FLAG_V3) === 0) {
      throw new PoolStateError({
        code: "NotV3Event",
        message: "V3 pool event without the V3-fields flag",
        facts: { pool: state.pool.toString(), type: event.type, flags: e.flags },
      });
    }
    const v3 = state.v3;
    if (event.type === 11) {
      v3.sqrtPriceX96 = event.value.sqrtPriceX96;
      v3.tick = event.value.tick;
      v3.liquidity = event.value.liquidity;
      v3.unlocked = true;
      state.ready = true;
    } else if (event.type === 12 || event.type === 13) {
      const m = event.value;
      const delta = event.type === 12 ? m.liquidity : -m.liquidity;
      if (delta !== 0n) {
        if (state.ready && v3.tick >= m.tickLower && v3.tick < m.tickUpper)
          v3.liquidity = addDelta(v3.liquidity, delta);
        updateLoadedTick(state, m.tickLower, delta, false, m.blockNumber);
        updateLoadedTick(state, m.tickUpper, delta, true, m.blockNumber);
      }
    } else return "ignored";
  }
  state.validAt = { blockNumber: e.blockNumber, logIndex: e.logIndex };
  return "applied";
}

/** Tick.update + flipTick for one tick, when its word is loaded from a block before the event. */
function updateLoadedTick(state: V3PoolState, tick: number, delta: bigint, upper: boolean, blockNumber: bigint): void {
  const v3 = state.v3;
  const wordPos = (tick / v3.tickSpacing) >> 8;
  const readAt = state.wordBlocks.get(wordPos);
  if (readAt === undefined || blockNumber <= readAt) return;
  const flipped = updateTick(v3, tick, delta, upper);
  if (flipped) {
    flipTick(v3, tick);
    if (delta < 0n) v3.ticks.delete(tick);
  }
}
