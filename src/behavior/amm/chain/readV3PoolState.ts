import type { Address, PublicClient } from "viem";
import { readContractsAt } from "./readContractsAt.ts";
import { uniswapV3PoolReadAbi } from "./uniswapV3PoolReadAbi.ts";

/** What a swap needs from UniswapV3Pool besides the tick data, as read at one block. */
export interface V3PoolChainState {
  pool: Address;
  blockNumber: bigint;
  sqrtPriceX96: bigint;
  tick: number;
  /** slot0.feeProtocol: low 4 bits token0, high 4 bits token1. */
  feeProtocol: number;
  /** slot0.unlocked: true between calls once initialized. */
  unlocked: boolean;
  /** In-range liquidity. */
  liquidity: bigint;
  /** Fee in pips (uint24). */
  fee: number;
  tickSpacing: number;
  token0: Address;
  token1: Address;
}

export interface ReadV3PoolStateParams {
  client: PublicClient;
  pool: Address;
  blockNumber: bigint;
  multicallAddress?: Address | false;
}

/** slot0, liquidity, fee, tickSpacing, token0, token1 in one batch at `blockNumber`. */
export async function readV3PoolState(params: ReadV3PoolStateParams): Promise<V3PoolChainState> {
  const { pool, blockNumber } = params;
  const abi = uniswapV3PoolReadAbi;
  const [slot0, liquidity, fee, tickSpacing, token0, token1] = (await readContractsAt({
    ...params,
    reads: [
      { address: pool, abi, functionName: "slot0" },
      { address: pool, abi, functionName: "liquidity" },
      { address: pool, abi, functionName: "fee" },
      { address: pool, abi, functionName: "tickSpacing" },
      { address: pool, abi, functionName: "token0" },
      { address: pool, abi, functionName: "token1" },
    ],
  })) as [readonly [bigint, number, number, number, number, number, boolean], bigint, number, number, Address, Address];
  return {
    pool,
    blockNumber,
    sqrtPriceX96: slot0[0],
    tick: slot0[1],
    feeProtocol: slot0[5],
    unlocked: slot0[6],
    liquidity,
    fee,
    tickSpacing,
    token0,
    token1,
  };
}
