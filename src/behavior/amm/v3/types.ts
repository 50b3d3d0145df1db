/**
 * State of a Uniswap V3 pool as the simulator keeps it: the fields of UniswapV3Pool.sol that a swap, mint or burn
 * reads or writes. Oracle observations, secondsOutside / tickCumulativeOutside and per-owner positions are not
 * kept: no swap or liquidity amount depends on them (see docs/amm.md).
 */
export interface TickInfo {
  /** Total position liquidity referencing this tick (Tick.Info.liquidityGross). */
  liquidityGross: bigint;
  /** Liquidity added when the price crosses the tick left to right (int128). */
  liquidityNet: bigint;
  /** Fee growth on the other side of the tick, Q128.128, wrapping mod 2^256. */
  feeGrowthOutside0X128: bigint;
  feeGrowthOutside1X128: bigint;
}

export interface V3Pool {
  /** Fee in pips (millionths): 500, 3000, 10000. */
  readonly fee: bigint;
  readonly tickSpacing: number;
  /** Tick.tickSpacingToMaxLiquidityPerTick(tickSpacing). */
  readonly maxLiquidityPerTick: bigint;
  // slot0
  sqrtPriceX96: bigint;
  tick: number;
  /** feeProtocol byte of slot0: low 4 bits for token0, high 4 bits for token1 (each 0 or 4..10). */
  feeProtocol: number;
  /** slot0.unlocked: false before initialize (and while a call is in flight); a swap on a locked pool is 'LOK'. */
  unlocked: boolean;
  /** In-range liquidity. */
  liquidity: bigint;
  feeGrowthGlobal0X128: bigint;
  feeGrowthGlobal1X128: bigint;
  protocolFees0: bigint;
  protocolFees1: bigint;
  /** Initialized ticks only (a tick whose liquidityGross fell to 0 is deleted, as Tick.clear does). */
  ticks: Map<number, TickInfo>;
  /** TickBitmap words by word position (int16). */
  bitmap: Map<number, bigint>;
  /**
   * true: a word absent from `bitmap` is all zero (a pool built from empty by mint). false: an absent word was never
   * loaded, and a swap that needs it throws TickDataMissingError instead of guessing.
   */
  bitmapComplete: boolean;
}
