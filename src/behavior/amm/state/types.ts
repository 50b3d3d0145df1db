import type { InstrumentId } from "../../../data/instrument-id.ts";
import type { PoolBurn, PoolMint, PoolSwap, PoolSync } from "../../../data/tlv-layouts.ts";
import type { V2Fee } from "../v2/v2Fee.ts";
import type { V3Pool } from "../v3/types.ts";

/** Where in the chain a state is valid: after the log (blockNumber, logIndex) was applied. */
export interface ChainPosition {
  blockNumber: bigint;
  /** Block-level log index; 0xffffffff for "end of block" (a snapshot read at that block). */
  logIndex: number;
}

/** A collector pool event, tagged with its TLV type (PROTOCOL.md §6: 11 PoolSwap, 12 PoolMint, 13 PoolBurn, 16 PoolSync). */
export type PoolEvent =
  | { type: 11; value: PoolSwap }
  | { type: 12; value: PoolMint }
  | { type: 13; value: PoolBurn }
  | { type: 16; value: PoolSync };

/** What applyPoolEvent did with an event, for the caller's counters and logs. */
export type PoolEventOutcome =
  /** the state moved to the event's position */
  | "applied"
  /** the event is at or before the state's position: ignored and counted in `staleEvents` */
  | "stale"
  /** flags bit 0: a reorg retracted this event; the state needs a snapshot (V2: the next Sync, V3: the next Swap for
   * the price and a tick reload) */
  | "removed"
  /** an event that carries nothing for this protocol (a V2 Swap: the Sync before it has the reserves) */
  | "ignored";

interface PoolStateBase {
  readonly pool: InstrumentId;
  readonly token0Decimals: number;
  readonly token1Decimals: number;
  /** Position of the last applied event or snapshot; undefined before the first one. */
  validAt: ChainPosition | undefined;
  /** false until a snapshot or a self-contained event (V2 Sync, V3 Swap) arrived, and again after a removed event. */
  ready: boolean;
  /** Events ignored for being at or before validAt. */
  staleEvents: number;
  /** Events with the removed flag. */
  removedEvents: number;
}

export interface V2PoolState extends PoolStateBase {
  readonly protocol: 2;
  readonly fee: V2Fee;
  reserve0: bigint;
  reserve1: bigint;
}

export interface V3PoolState extends PoolStateBase {
  readonly protocol: 3;
  /**
   * Price state (sqrtPriceX96, tick, liquidity) from the events, tick data (bitmap words, liquidityNet) from the
   * TickDataLoader; bitmapComplete is false, so a quote that walks into an unloaded word throws TickDataMissingError.
   * Fee growth is not known from events and stays 0 (quotes do not depend on it).
   */
  readonly v3: V3Pool;
  /** Per loaded bitmap word, the block its data was read at: Mint/Burn events of later blocks update it. */
  readonly wordBlocks: Map<number, bigint>;
}

export type TrackedPoolState = V2PoolState | V3PoolState;
