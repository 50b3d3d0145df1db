import type { Address, PublicClient } from "viem";
import type { InstrumentId } from "../../../data/instrument-id.ts";
import type { TickDataLoader, TickWords } from "../state/TickDataLoader.ts";
import { chainPoolAddress } from "./chainPoolAddress.ts";
import { readContractsAt } from "./readContractsAt.ts";
import { readV3TickWords } from "./readV3TickWords.ts";
import { uniswapV3PoolReadAbi } from "./uniswapV3PoolReadAbi.ts";

export interface ChainTickDataLoaderParams {
  client: PublicClient;
  /**
   * The block every read is made at. A number pins the loader to that block (the state of a snapshot taken there);
   * "latest" asks eth_blockNumber once per load and pins that load's reads to it, so one load is never torn across
   * blocks.
   */
  blockNumber: bigint | "latest";
  /** See readContractsAt: a Multicall3 address, false for plain eth_calls, undefined for the chain's multicall3. */
  multicallAddress?: Address | false;
  multicallBatchSize?: number;
}

/** A TickDataLoader over contract reads, with counters for logs and tests. */
export interface ChainTickDataLoader extends TickDataLoader {
  /** loadTickWords calls. */
  readonly loads: number;
  /** Bitmap words read, over all loads. */
  readonly wordsRead: number;
  /** ticks() read, over all loads. */
  readonly ticksRead: number;
}

/**
 * The TickDataLoader of issue 6 over a viem PublicClient: UniswapV3Pool.tickBitmap(wordPos) and ticks(tick) by
 * eth_call at one block (Multicall3 aggregate3 when there is one). tickSpacing is immutable, so it is read once per
 * pool and kept.
 */
export function createChainTickDataLoader(params: ChainTickDataLoaderParams): ChainTickDataLoader {
  const { client } = params;
  const spacings = new Map<Address, number>();
  const counters = { loads: 0, wordsRead: 0, ticksRead: 0 };

  async function loadTickWords(request: { pool: InstrumentId; wordPositions: readonly number[] }): Promise<TickWords> {
    const pool = chainPoolAddress(client, request.pool);
    const blockNumber =
      params.blockNumber === "latest" ? await client.getBlockNumber({ cacheTime: 0 }) : params.blockNumber;
    let tickSpacing = spacings.get(pool);
    if (tickSpacing === undefined) {
      const [read] = await readContractsAt({
        ...params,
        pool,
        blockNumber,
        reads: [{ address: pool, abi: uniswapV3PoolReadAbi, functionName: "tickSpacing" }],
      });
      tickSpacing = read as number;
      spacings.set(pool, tickSpacing);
    }
    const data = await readV3TickWords({
      ...params,
      pool,
      tickSpacing,
      wordPositions: request.wordPositions,
      blockNumber,
    });
    counters.loads++;
    counters.wordsRead += data.words.size;
    counters.ticksRead += data.ticks.size;
    return data;
  }

  return {
    loadTickWords,
    get loads() {
      return counters.loads;
    },
    get wordsRead() {
      return counters.wordsRead;
    },
    get ticksRead() {
      return counters.ticksRead;
    },
  };
}
