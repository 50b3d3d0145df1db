import type { Address, PublicClient } from "viem";
import type { TickWords } from "../state/TickDataLoader.ts";
import { ChainReadError } from "./ChainReadError.ts";
import { readContractsAt } from "./readContractsAt.ts";
import { uniswapV3PoolReadAbi } from "./uniswapV3PoolReadAbi.ts";

export interface ReadV3TickWordsParams {
  client: PublicClient;
  pool: Address;
  /** The pool's tickSpacing (immutable): bit b of word w is tick (256 w + b) * tickSpacing. */
  tickSpacing: number;
  wordPositions: readonly number[];
  blockNumber: bigint;
  multicallAddress?: Address | false;
  multicallBatchSize?: number;
}

/**
 * tickBitmap(w) for every word, then ticks(t) for every set bit, all at `blockNumber`: two rounds, since which
 * ticks to read is known only from the words. A set bit whose tick is not initialized throws TickDataInconsistent.
 */
export async function readV3TickWords(params: ReadV3TickWordsParams): Promise<TickWords> {
  const { pool, tickSpacing, wordPositions, blockNumber } = params;
  const abi = uniswapV3PoolReadAbi;
  const wordValues = (await readContractsAt({
    ...params,
    reads: wordPositions.map((w) => ({ address: pool, abi, functionName: "tickBitmap", args: [w] })),
  })) as bigint[];

  const words = new Map<number, bigint>();
  const tickList: number[] = [];
  for (let i = 0; i < wordPositions.length; i++) {
    const wordPos = wordPositions[i];
    const word = wordValues[i];
    words.set(wordPos, word);
    for (let bit = 0; bit < 256; bit++) {
      if (((word >> BigInt(bit)) & 1n) === 1n) tickList.push((wordPos * 256 + bit) * tickSpacing);
    }
  }

  const tickValues = (await readContractsAt({
    ...params,
    reads: tickList.map((t) => ({ address: pool, abi, functionName: "ticks", args: [t] })),
  })) as (readonly [bigint, bigint, bigint, bigint, bigint, bigint, number, boolean])[];

  const ticks = new Map<number, { liquidityGross: bigint; liquidityNet: bigint }>();
  for (let i = 0; i < tickList.length; i++) {
    const [liquidityGross, liquidityNet, , , , , , initialized] = tickValues[i];
    if (!initialized || liquidityGross === 0n) {
      throw new ChainReadError({
        code: "TickDataInconsistent",
        message: "a tick set in the bitmap is not initialized",
        facts: { pool, blockNumber, tick: tickList[i], liquidityGross, initialized },
        likelyCause: "the reads were served from different blocks (an RPC that ignores the block number)",
        hint: "read again through one RPC node that honours blockNumber",
      });
    }
    ticks.set(tickList[i], { liquidityGross, liquidityNet });
  }
  return { blockNumber, words, ticks };
}
