import type { InstrumentId } from "../../../data/instrument-id.ts";

/** The initialized ticks of some bitmap words, as read from the pool contract at one block. */
export interface TickWords {
  /** The block the reads were made at; the data includes every log of that block. */
  blockNumber: bigint;
  /** UniswapV3Pool.tickBitmap(wordPos) for each requested word (0n when empty). */
  words: Map<number, bigint>;
  /** UniswapV3Pool.ticks(tick) (liquidityGross, liquidityNet) for every set bit of those words. */
  ticks: Map<number, { liquidityGross: bigint; liquidityNet: bigint }>;
}

/**
 * Where V3 tick data comes from: contract reads (tickBitmap, ticks) or a multicall lens, implemented by the chain
 * adapter in a later issue. Events alone cannot give it: a Mint of a position opened before the collector started is
 * the only trace of ticks that were initialized long ago.
 */
export interface TickDataLoader {
  loadTickWords(request: { pool: InstrumentId; wordPositions: readonly number[] }): Promise<TickWords>;
}
