import { tickSpacingToMaxLiquidityPerTick } from "./tickSpacingToMaxLiquidityPerTick.ts";
import type { V3Pool } from "./types.ts";

export interface CreateV3PoolParams {
  /** Fee in pips: 500, 3000, 10000. */
  fee: bigint;
  tickSpacing: number;
  /** See V3Pool.bitmapComplete; true (the default) for a pool built from empty. */
  bitmapComplete?: boolean;
}

/** A pool as UniswapV3Factory.createPool leaves it: not initialized (price 0, locked until initializeV3Pool). */
export function createV3Pool(params: CreateV3PoolParams): V3Pool {
  return {
    fee: params.fee,
    tickSpacing: params.tickSpacing,
    maxLiquidityPerTick: tickSpacingToMaxLiquidityPerTick(params.tickSpacing),
    sqrtPriceX96: 0n,
    tick: 0,
    feeProtocol: 0,
    unlocked: false,
    liquidity: 0n,
    feeGrowthGlobal0X128: 0n,
    feeGrowthGlobal1X128: 0n,
    protocolFees0: 0n,
    protocolFees1: 0n,
    ticks: new Map(),
    bitmap: new Map(),
    bitmapComplete: params.bitmapComplete ?? true,
  };
}
