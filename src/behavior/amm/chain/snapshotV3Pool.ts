import type { Address, PublicClient } from "viem";
import type { InstrumentId } from "../../../data/instrument-id.ts";
import { MAX_TICK, MIN_TICK } from "../constants.ts";
import { END_OF_BLOCK } from "../state/applyPoolSnapshot.ts";
import { applyTickWords } from "../state/applyTickWords.ts";
import { createPoolState } from "../state/createPoolState.ts";
import type { V3PoolState } from "../state/types.ts";
import { ChainReadError } from "./ChainReadError.ts";
import { chainPoolAddress } from "./chainPoolAddress.ts";
import { readContractsAt } from "./readContractsAt.ts";
import { readV3PoolState } from "./readV3PoolState.ts";
import { readV3TickWords } from "./readV3TickWords.ts";
import { erc20DecimalsAbi } from "./uniswapV3PoolReadAbi.ts";

export interface SnapshotV3PoolParams {
  client: PublicClient;
  pool: InstrumentId;
  /** The block the snapshot is valid at (end of block); "latest" asks eth_blockNumber once. */
  blockNumber: bigint | "latest";
  /**
   * Bitmap words loaded on each side of the current tick's word: 2 loads 5 words. A quote that walks further throws
   * TickDataMissingError; quotePoolSwapV3 with a loader pinned to the same block loads the word then.
   */
  wordsEachSide: number;
  /** The tokens' decimals when known; read with decimals() otherwise. */
  tokenDecimals?: readonly [number, number];
  multicallAddress?: Address | false;
  multicallBatchSize?: number;
}

/**
 * A V3 pool's state read from the chain at one block: slot0, liquidity, fee, tickSpacing and the tick data of
 * 2 * wordsEachSide + 1 bitmap words around the current tick, as a ready V3PoolState (the simulator pool inside it,
 * validAt = the end of that block). Three rounds of reads: pool fields (and decimals), the words, their ticks.
 * Fee growth is not read: no swap amount depends on it (docs/amm.md).
 */
export async function snapshotV3Pool(params: SnapshotV3PoolParams): Promise<V3PoolState> {
  const { client } = params;
  const pool = chainPoolAddress(client, params.pool);
  const blockNumber =
    params.blockNumber === "latest" ? await client.getBlockNumber({ cacheTime: 0 }) : params.blockNumber;
  const read = { ...params, pool, blockNumber };
  const chain = await readV3PoolState(read);
  if (chain.sqrtPriceX96 === 0n) {
    throw new ChainReadError({
      code: "PoolNotInitialized",
      message: "the pool has no price yet (initialize was not called)",
      facts: { pool, blockNumber },
    });
  }
  const decimals =
    params.tokenDecimals ??
    ((await readContractsAt({
      ...read,
      reads: [
        { address: chain.token0, abi: erc20DecimalsAbi, functionName: "decimals" },
        { address: chain.token1, abi: erc20DecimalsAbi, functionName: "decimals" },
      ],
    })) as [number, number]);

  const state = createPoolState({
    pool: params.pool,
    protocol: 3,
    feePpm: chain.fee,
    tickSpacing: chain.tickSpacing,
    token0Decimals: decimals[0],
    token1Decimals: decimals[1],
  }) as V3PoolState;
  const v3 = state.v3;
  v3.sqrtPriceX96 = chain.sqrtPriceX96;
  v3.tick = chain.tick;
  v3.feeProtocol = chain.feeProtocol;
  v3.unlocked = chain.unlocked;
  v3.liquidity = chain.liquidity;
  state.validAt = { blockNumber, logIndex: END_OF_BLOCK };
  state.ready = true;

  const words = await readV3TickWords({
    ...read,
    tickSpacing: chain.tickSpacing,
    wordPositions: wordsAround(chain.tick, chain.tickSpacing, params.wordsEachSide),
  });
  applyTickWords(state, words);
  return state;
}

/** The word of `tick` and `each` words on each side, within the words TickMath's range can touch. */
function wordsAround(tick: number, tickSpacing: number, each: number): number[] {
  const wordOf = (t: number) => Math.floor(t / tickSpacing) >> 8; // floor: TickBitmap compresses toward -infinity
  const center = wordOf(tick);
  const lo = Math.max(center - each, wordOf(MIN_TICK));
  const hi = Math.min(center + each, wordOf(MAX_TICK));
  const out: number[] = [];
  for (let w = lo; w <= hi; w++) out.push(w);
  return out;
}
