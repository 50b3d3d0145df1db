import type { PoolEvent } from "../../../src/behavior/amm/state/types.ts";
import type { Address } from "../../../src/data/instrument-id.ts";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import { VenueId } from "../../../src/data/venues.ts";
import { readFixtureJsonl } from "./fixtures.ts";

/**
 * The captured Polygon day of the Uniswap V3 USDC.e/WETH 0.05 % pool (fixtures/polygon, 3098 Swap, 107 Mint,
 * 141 Burn, 139 Collect logs of 2023-11-25), turned into the collector's pool event values (PROTOCOL.md §6) the way
 * the Polygon adapter maps them: signed V3 amounts to _in when positive and _out when negative, flags bit 1 set.
 * This decoder is test scaffolding; the adapter's own decoder is another issue.
 */
interface GetLogsEntry {
  topics: string[];
  data: string;
  blockNumber: string;
  blockTimestamp: string;
  transactionHash: string;
  logIndex: string;
  removed: boolean;
}

export const DAY_POOL_ADDRESS = "0x45dda9cb7c25131df268515131f647d726f50608";
export const DAY_POOL = InstrumentId.pool(VenueId.UniswapV3, 137, DAY_POOL_ADDRESS);
export const DAY_FEE = 500;
export const DAY_TICK_SPACING = 10;

const SWAP = "0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67";
const MINT = "0x7a53080ba414158be7ec69b987b5fb7d07dee101fe85488f0853ae16239d0bde";
const BURN = "0x0c396cd989a39f4459b5fa1aed6a9a8dcdbc45908acfd67e028cd568da98982c";

const words = (data: string) => (data.slice(2).match(/.{64}/g) ?? []).map((w) => BigInt(`0x${w}`));
const int256 = (x: bigint) => BigInt.asIntN(256, x);
const int24 = (x: bigint) => Number(BigInt.asIntN(24, x));
const abs = (x: bigint) => (x < 0n ? -x : x);

export interface DaySwap {
  event: Extract<PoolEvent, { type: 11 }>;
  /** Signed as in the log: > 0 paid into the pool. */
  amount0: bigint;
  amount1: bigint;
}

export function loadPolygonDay(): { events: PoolEvent[]; swaps: Map<PoolEvent, DaySwap> } {
  const logs = readFixtureJsonl<GetLogsEntry>("polygon/univ3-usdce-weth-500-0x45dd-2023-11-25.getlogs.jsonl.gz");
  const events: PoolEvent[] = [];
  const swaps = new Map<PoolEvent, DaySwap>();
  for (const log of logs) {
    const head = {
      pool: DAY_POOL,
      blockNumber: BigInt(log.blockNumber),
      logIndex: Number(log.logIndex),
      flags: 2 | (log.removed ? 1 : 0),
      token0Decimals: 6,
      token1Decimals: 18,
      txHash: log.transactionHash as `0x${string}`,
      timestampNs: BigInt(log.blockTimestamp) * 1_000_000_000n,
    };
    const w = words(log.data);
    if (log.topics[0] === SWAP) {
      const amount0 = int256(w[0]);
      const amount1 = int256(w[1]);
      const event = {
        type: 11 as const,
        value: {
          ...head,
          amount0In: amount0 > 0n ? amount0 : 0n,
          amount1In: amount1 > 0n ? amount1 : 0n,
          amount0Out: amount0 < 0n ? -amount0 : 0n,
          amount1Out: amount1 < 0n ? -amount1 : 0n,
          sqrtPriceX96: w[2],
          liquidity: w[3],
          tick: int24(w[4]),
        },
      };
      events.push(event);
      swaps.set(event, { event, amount0, amount1 });
    } else if (log.topics[0] === MINT || log.topics[0] === BURN) {
      const mint = log.topics[0] === MINT;
      // Mint data: sender, amount, amount0, amount1; Burn data: amount, amount0, amount1
      const [liquidity, amount0, amount1] = mint ? w.slice(1) : w;
      const value = {
        ...head,
        owner: `0x${log.topics[1].slice(26)}` as Address,
        tickLower: int24(BigInt(log.topics[2])),
        tickUpper: int24(BigInt(log.topics[3])),
        liquidity,
        amount0: abs(amount0),
        amount1: abs(amount1),
      };
      events.push(mint ? { type: 12, value } : { type: 13, value });
    }
  }
  return { events, swaps };
}
