import type { InstrumentId } from "../../../data/instrument-id.ts";
import { PoolStateError } from "../errors.ts";
import { v2Fee } from "../v2/v2Fee.ts";
import { createV3Pool } from "../v3/createV3Pool.ts";
import type { V2PoolState, V3PoolState } from "./types.ts";

export interface PoolMetadata {
  pool: InstrumentId;
  /** 2 = Uniswap V2 style, 3 = Uniswap V3 (PoolState.protocol). */
  protocol: 2 | 3;
  /** Fee in millionths (PoolState.fee_ppm): 3000 QuickSwap/SushiSwap, 500 for the V3 0.05 % tier. */
  feePpm: number;
  /** V3 only. */
  tickSpacing?: number;
  token0Decimals: number;
  token1Decimals: number;
}

/** An empty state for a known pool, not ready until a snapshot or a self-contained event arrives. */
export function createPoolState(meta: PoolMetadata): V2PoolState | V3PoolState {
  const base = {
    pool: meta.pool,
    token0Decimals: meta.token0Decimals,
    token1Decimals: meta.token1Decimals,
    validAt: undefined,
    ready: false,
    staleEvents: 0,
    removedEvents: 0,
  };
  if (meta.protocol === 2)
    return { ...base, protocol: 2, fee: v2Fee({ ppm: meta.feePpm }), reserve0: 0n, reserve1: 0n };
  if (meta.tickSpacing === undefined || !Number.isInteger(meta.tickSpacing) || meta.tickSpacing <= 0) {
    throw new PoolStateError({
      code: "InvalidTickSpacing",
      message: "a V3 pool needs a positive integer tickSpacing",
      facts: { pool: meta.pool.toString(), tickSpacing: meta.tickSpacing },
    });
  }
  return {
    ...base,
    protocol: 3,
    v3: createV3Pool({ fee: BigInt(meta.feePpm), tickSpacing: meta.tickSpacing, bitmapComplete: false }),
    wordBlocks: new Map(),
  };
}
