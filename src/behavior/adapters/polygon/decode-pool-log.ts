import { U128_MAX } from "../../../core/fixed-point.ts";
import type { Address } from "../../../data/instrument-id.ts";
import type { PoolBurn, PoolMint, PoolSwap, PoolSync } from "../../../data/tlv-layouts.ts";
import { Topic } from "./abi.ts";
import { PolygonCollectorError } from "./errors.ts";
import type { PoolInfo, RpcLog } from "./pool-info.ts";

export type DecodedPoolEvent =
  | { name: "PoolSwap"; value: PoolSwap }
  | { name: "PoolSync"; value: PoolSync }
  | { name: "PoolMint"; value: PoolMint }
  | { name: "PoolBurn"; value: PoolBurn };

/** Pool event head flags (PROTOCOL.md §6). */
export const PoolEventFlags = { Removed: 1, V3: 2 } as const;

const U160_MAX = (1n << 160n) - 1n;
const HASH = /^0x[0-9a-fA-F]{64}$/;

/**
 * Decodes one pool log into its event TLV value, exactly: every ABI word is read as a bigint from its 64 hex digits
 * (no float, no ABI library on the hot path), V3's int256 amounts are split by sign (> 0 paid into the pool -> _in,
 * < 0 -> _out), and every value is range-checked against its TLV type (u128 amounts, u160 sqrt price, u128
 * liquidity, int24 tick with a correct sign extension). Returns null for a pool event the TLVs do not carry
 * (Collect, Flash...). Throws PolygonCollectorError(BadLog) with the facts otherwise.
 *
 * Layouts (Uniswap v2-core UniswapV2Pair.sol, v3-core IUniswapV3PoolEvents.sol):
 *   V2 Sync(uint112 reserve0, uint112 reserve1)                                data: 2 words
 *   V2 Swap(address indexed sender, uint amount0In, uint amount1In, uint amount0Out, uint amount1Out,
 *           address indexed to)                                                data: 4 words
 *   V2 Mint(address indexed sender, uint amount0, uint amount1)                data: 2 words
 *   V2 Burn(address indexed sender, uint amount0, uint amount1, address indexed to)  data: 2 words
 *   V3 Swap(address indexed sender, address indexed recipient, int256 amount0, int256 amount1,
 *           uint160 sqrtPriceX96, uint128 liquidity, int24 tick)               data: 5 words
 *   V3 Mint(address sender, address indexed owner, int24 indexed tickLower, int24 indexed tickUpper,
 *           uint128 amount, uint256 amount0, uint256 amount1)                  data: 4 words
 *   V3 Burn(address indexed owner, int24 indexed tickLower, int24 indexed tickUpper, uint128 amount,
 *           uint256 amount0, uint256 amount1)                                  data: 3 words
 */
export function decodePoolLog(log: RpcLog, pool: PoolInfo): DecodedPoolEvent | null {
  try {
    return decode(log, pool);
  } catch (e) {
    if (e instanceof PolygonCollectorError) throw e;
    // BigInt() of a word with a non-hex character: checked here rather than by a regex over every data field
    return bad(log, `malformed hex (${e instanceof Error ? e.message : String(e)})`);
  }
}

function decode(log: RpcLog, pool: PoolInfo): DecodedPoolEvent | null {
  const topics = log.topics;
  const topic0 = topics?.[0];
  if (typeof topic0 !== "string") bad(log, "no topic0");
  const data = log.data;
  if (typeof data !== "string" || data.charCodeAt(0) !== 48 || data.charCodeAt(1) !== 120 || (data.length - 2) % 64) {
    bad(log, "data is not 0x and whole 32-byte words");
  }
  const words = (data.length - 2) >>> 6;
  const v3 = pool.protocol === 3;
  const head = {
    pool: pool.instrument,
    blockNumber: BigInt(quantity(log, log.blockNumber, "blockNumber")),
    logIndex: quantity(log, log.logIndex, "logIndex"),
    flags: (v3 ? PoolEventFlags.V3 : 0) | (log.removed === true ? PoolEventFlags.Removed : 0),
    token0Decimals: pool.decimals0,
    token1Decimals: pool.decimals1,
    txHash: txHash(log),
  };
  const timestampNs =
    log.blockTimestamp === undefined
      ? 0n
      : BigInt(quantity(log, log.blockTimestamp, "blockTimestamp")) * 1_000_000_000n;

  if (v3) {
    if (topic0 === Topic.V3Swap) {
      expectWords(log, words, 5);
      const amount0 = BigInt.asIntN(256, word(data, 0));
      const amount1 = BigInt.asIntN(256, word(data, 1));
      return {
        name: "PoolSwap",
        value: {
          ...head,
          amount0In: amount0 > 0n ? u128(log, amount0, "amount0") : 0n,
          amount1In: amount1 > 0n ? u128(log, amount1, "amount1") : 0n,
          amount0Out: amount0 < 0n ? u128(log, -amount0, "amount0") : 0n,
          amount1Out: amount1 < 0n ? u128(log, -amount1, "amount1") : 0n,
          sqrtPriceX96: range(log, word(data, 2), U160_MAX, "sqrtPriceX96"),
          liquidity: u128(log, word(data, 3), "liquidity"),
          tick: int24(log, word(data, 4), "tick"),
          timestampNs,
        },
      };
    }
    if (topic0 === Topic.V3Mint || topic0 === Topic.V3Burn) {
      const mint = topic0 === Topic.V3Mint;
      expectWords(log, words, mint ? 4 : 3);
      if (topics.length !== 4) bad(log, `expected 4 topics, got ${topics.length}`);
      const at = mint ? 1 : 0; // Mint's data starts with the (unindexed) sender
      return {
        name: mint ? "PoolMint" : "PoolBurn",
        value: {
          ...head,
          owner: topicAddress(log, topics[1]),
          tickLower: int24(log, topicWord(log, topics[2]), "tickLower"),
          tickUpper: int24(log, topicWord(log, topics[3]), "tickUpper"),
          liquidity: u128(log, word(data, at), "amount"),
          amount0: u128(log, word(data, at + 1), "amount0"),
          amount1: u128(log, word(data, at + 2), "amount1"),
          timestampNs,
        },
      };
    }
    return null;
  }

  if (topic0 === Topic.V2Sync) {
    expectWords(log, words, 2);
    return {
      name: "PoolSync",
      value: {
        ...head,
        reserve0: u128(log, word(data, 0), "reserve0"),
        reserve1: u128(log, word(data, 1), "reserve1"),
        timestampNs,
      },
    };
  }
  if (topic0 === Topic.V2Swap) {
    expectWords(log, words, 4);
    return {
      name: "PoolSwap",
      value: {
        ...head,
        amount0In: u128(log, word(data, 0), "amount0In"),
        amount1In: u128(log, word(data, 1), "amount1In"),
        amount0Out: u128(log, word(data, 2), "amount0Out"),
        amount1Out: u128(log, word(data, 3), "amount1Out"),
        sqrtPriceX96: 0n,
        liquidity: 0n,
        tick: 0,
        timestampNs,
      },
    };
  }
  if (topic0 === Topic.V2Mint || topic0 === Topic.V2Burn) {
    expectWords(log, words, 2);
    if (topics.length < 2) bad(log, "no sender topic");
    return {
      name: topic0 === Topic.V2Mint ? "PoolMint" : "PoolBurn",
      value: {
        ...head,
        owner: topicAddress(log, topics[1]),
        tickLower: 0,
        tickUpper: 0,
        liquidity: 0n,
        amount0: u128(log, word(data, 0), "amount0"),
        amount1: u128(log, word(data, 1), "amount1"),
        timestampNs,
      },
    };
  }
  return null;
}

function word(data: string, i: number): bigint {
  return BigInt(`0x${data.substring(2 + 64 * i, 66 + 64 * i)}`);
}

/** A hex quantity below 2^52: Number("0x..") is exact there and NaN for any non-hex character. */
function quantity(log: RpcLog, hex: string, field: string): number {
  const n = typeof hex === "string" && hex.length <= 15 && hex.charCodeAt(1) === 120 ? Number(hex) : Number.NaN;
  if (!(n >= 0)) bad(log, `${field} is not a hex quantity below 2^52`);
  return n;
}

function txHash(log: RpcLog): `0x${string}` {
  const h = log.transactionHash;
  if (typeof h !== "string" || !HASH.test(h)) bad(log, "transactionHash is not a 32-byte hash");
  return h.toLowerCase() as `0x${string}`;
}

function topicWord(log: RpcLog, topic: string): bigint {
  if (typeof topic !== "string" || !HASH.test(topic)) bad(log, "a topic is not a 32-byte word");
  return BigInt(topic);
}

function topicAddress(log: RpcLog, topic: string): Address {
  const w = topicWord(log, topic);
  if (w > U160_MAX) bad(log, "an address topic has non-zero upper bytes");
  return `0x${topic.slice(26).toLowerCase()}` as Address;
}

function expectWords(log: RpcLog, words: number, expected: number): void {
  if (words !== expected) bad(log, `data has ${words} words, the event has ${expected}`);
}

function u128(log: RpcLog, value: bigint, field: string): bigint {
  return range(log, value, U128_MAX, field);
}

function range(log: RpcLog, value: bigint, max: bigint, field: string): bigint {
  if (value < 0n || value > max) bad(log, `${field} ${value} does not fit its wire type (max ${max})`);
  return value;
}

/** An ABI int24 is sign-extended to 256 bits: anything else is not a valid encoding. */
function int24(log: RpcLog, w: bigint, field: string): number {
  const v = BigInt.asIntN(24, w);
  if (BigInt.asIntN(256, w) !== v) bad(log, `${field} is not a sign-extended int24`);
  return Number(v);
}

function bad(log: RpcLog, reason: string): never {
  throw new PolygonCollectorError({
    code: "BadLog",
    message: `cannot decode pool log: ${reason}`,
    facts: {
      address: String(log?.address),
      block: String(log?.blockNumber),
      log_index: String(log?.logIndex),
      topic0: String(log?.topics?.[0]),
      reason,
    },
    hint: "the node sent a log that does not match the event's ABI; it is counted and skipped",
  });
}
