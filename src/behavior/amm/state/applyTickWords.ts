import { PoolStateError } from "../errors.ts";
import type { TickWords } from "./TickDataLoader.ts";
import type { V3PoolState } from "./types.ts";

/**
 * Installs loaded bitmap words and their ticks. The data must not be older than the state's block: Mint/Burn logs
 * between the read and the state would be missing from it (newer is fine: later logs of blocks up to the read are
 * skipped for these words by applyPoolEvent, which compares with the word's block).
 */
export function applyTickWords(state: V3PoolState, data: TickWords): void {
  const at = state.validAt;
  if (at !== undefined && data.blockNumber < at.blockNumber) {
    throw new PoolStateError({
      code: "TickDataTooOld",
      message: "tick data was read before the block the pool state is at",
      facts: { pool: state.pool.toString(), readAt: data.blockNumber, stateAt: at.blockNumber },
      hint: "read the words again at the state's block or later",
    });
  }
  const v3 = state.v3;
  const spacing = v3.tickSpacing;
  for (const [wordPos, word] of data.words) {
    // drop the ticks of the word before installing the fresh ones
    for (const tick of v3.ticks.keys()) if ((tick / spacing) >> 8 === wordPos) v3.ticks.delete(tick);
    v3.bitmap.set(wordPos, word);
    state.wordBlocks.set(wordPos, data.blockNumber);
  }
  for (const [tick, t] of data.ticks) {
    v3.ticks.set(tick, {
      liquidityGross: t.liquidityGross,
      liquidityNet: t.liquidityNet,
      feeGrowthOutside0X128: 0n,
      feeGrowthOutside1X128: 0n,
    });
  }
}
