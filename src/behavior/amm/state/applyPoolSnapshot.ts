import type { PoolState } from "../../../data/tlv-layouts.ts";
import { PoolStateError } from "../errors.ts";
import type { TrackedPoolState } from "./types.ts";

/** End of block: a snapshot read at block B includes every log of B. */
export const END_OF_BLOCK = 0xffffffff;

/**
 * Takes a PoolState TLV (a full snapshot read at block_number) as the new truth: reserves for V2, slot0 price,
 * tick and liquidity for V3. Tick data is not part of a snapshot; it stays as loaded (see applyTickWords).
 */
export function applyPoolSnapshot(state: TrackedPoolState, snapshot: PoolState): void {
  if (!snapshot.pool.equals(state.pool) || snapshot.protocol !== state.protocol) {
    throw new PoolStateError({
      code: "SnapshotMismatch",
      message: "snapshot is for another pool or protocol",
      facts: {
        pool: state.pool.toString(),
        snapshotPool: snapshot.pool.toString(),
        protocol: state.protocol,
        snapshotProtocol: snapshot.protocol,
      },
    });
  }
  if (state.protocol === 2) {
    state.reserve0 = snapshot.reserve0;
    state.reserve1 = snapshot.reserve1;
  } else {
    const v3 = state.v3;
    v3.sqrtPriceX96 = snapshot.sqrtPriceX96;
    v3.tick = snapshot.tick;
    v3.liquidity = snapshot.liquidity;
    v3.unlocked = snapshot.sqrtPriceX96 !== 0n;
  }
  state.validAt = { blockNumber: snapshot.blockNumber, logIndex: END_OF_BLOCK };
  state.ready = true;
}
