import { TlvType } from "../../../data/tlv-layouts.ts";
import { Topic } from "./abi.ts";
import { PoolEventFlags } from "./decode-pool-log.ts";
import { PolygonCollectorError } from "./errors.ts";
import type { PoolInfo, RpcLog } from "./pool-info.ts";

/** Value of each hex digit's UTF-16 code, -1 for anything else (built once; 64 KiB, so no range test per char). */
const HEX_VALUE = (() => {
  const t = new Int8Array(65536).fill(-1);
  for (let i = 0; i < 10; i++) t[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[65 + i] = 10 + i;
    t[97 + i] = 10 + i;
  }
  return t;
})();

const ZERO = 48; // "0"
/** Runs of "0" and "f" compared with startsWith (native, memcmp-like) instead of a loop per digit. */
const ZEROS = "0".repeat(64);
const EFFS = "f".repeat(64);
const SIZE = { PoolSwap: 208, PoolSync: 120, PoolMint: 168 } as const;

/**
 * The collector's hot path: a pool log's hex text written straight into the TLV value bytes of PROTOCOL.md §6
 * (little-endian u128/u256, i32 tick, 32-byte hash, 20-byte owner), with no bigint and no intermediate object, into
 * one reused scratch buffer. Exactly the bytes the FrameBuilder would write for decodePoolLog's value (the reference
 * decoder); a test compares the two over every log of the captured day and over the edge cases.
 *
 * Range rules, checked on the hex digits themselves: a u128 field is a word whose upper 32 digits are 0; V3's int256
 * amount is positive (upper 32 digits 0) or negative (upper 32 digits f, magnitude = two's complement, non-zero low
 * half); a uint160 sqrt price has 24 leading 0 digits; an int24 tick is sign-extended (all 0 or all f above it, with
 * bit 23 matching). Anything else throws PolygonCollectorError(BadLog) like the reference decoder.
 *
 * encode() returns the TLV type (0 for a log the TLVs do not carry); the value is `value.subarray(0, length)`, valid
 * until the next call. blockNumber and logIndex of the last log are kept for the collector's de-duplication.
 */
export class PoolEventEncoder {
  readonly value = new Uint8Array(256);
  private readonly dv = new DataView(this.value.buffer);
  length = 0;
  blockNumber = 0;
  logIndex = 0;
  private log!: RpcLog;

  encode(log: RpcLog, pool: PoolInfo): number {
    this.log = log;
    const topics = log.topics;
    const topic0 = topics?.[0];
    if (typeof topic0 !== "string") this.bad("no topic0");
    const data = log.data;
    if (typeof data !== "string" || data.charCodeAt(0) !== 48 || data.charCodeAt(1) !== 120 || (data.length - 2) % 64) {
      this.bad("data is not 0x and whole 32-byte words");
    }
    const words = (data.length - 2) >>> 6;
    let type = 0;
    if (pool.protocol === 3) {
      if (topic0 === Topic.V3Swap) {
        this.words(words, 5);
        type = TlvType.PoolSwap;
        this.length = SIZE.PoolSwap;
        this.head(pool, PoolEventFlags.V3);
        this.signedAmount(data, 0, 80, 112, "amount0");
        this.signedAmount(data, 1, 96, 128, "amount1");
        this.unsigned(data, 2 + 128, 144, 32, 20, "sqrtPriceX96");
        this.unsigned(data, 2 + 192, 176, 16, 16, "liquidity");
        this.dv.setInt32(192, this.int24(data, 2 + 256, "tick"), true);
        this.dv.setUint32(196, 0, true);
        this.timestamp(200);
      } else if (topic0 === Topic.V3Mint || topic0 === Topic.V3Burn) {
        const mint = topic0 === Topic.V3Mint;
        this.words(words, mint ? 4 : 3);
        if (topics.length !== 4) this.bad(`expected 4 topics, got ${topics.length}`);
        type = mint ? TlvType.PoolMint : TlvType.PoolBurn;
        this.length = SIZE.PoolMint;
        this.head(pool, PoolEventFlags.V3);
        const at = 2 + (mint ? 64 : 0);
        this.owner(topics[1]);
        this.dv.setInt32(104, this.int24(this.topic(topics[2]), 2, "tickLower"), true);
        this.dv.setInt32(108, this.int24(this.topic(topics[3]), 2, "tickUpper"), true);
        this.unsigned(data, at, 112, 16, 16, "amount");
        this.unsigned(data, at + 64, 128, 16, 16, "amount0");
        this.unsigned(data, at + 128, 144, 16, 16, "amount1");
        this.timestamp(160);
      }
      return type;
    }
    if (topic0 === Topic.V2Sync) {
      this.words(words, 2);
      type = TlvType.PoolSync;
      this.length = SIZE.PoolSync;
      this.head(pool, 0);
      this.unsigned(data, 2, 80, 16, 16, "reserve0");
      this.unsigned(data, 66, 96, 16, 16, "reserve1");
      this.timestamp(112);
    } else if (topic0 === Topic.V2Swap) {
      this.words(words, 4);
      type = TlvType.PoolSwap;
      this.length = SIZE.PoolSwap;
      this.head(pool, 0);
      this.unsigned(data, 2, 80, 16, 16, "amount0In");
      this.unsigned(data, 66, 96, 16, 16, "amount1In");
      this.unsigned(data, 130, 112, 16, 16, "amount0Out");
      this.unsigned(data, 194, 128, 16, 16, "amount1Out");
      this.value.fill(0, 144, 200); // sqrt price, liquidity, tick, pad: V2 has none
      this.timestamp(200);
    } else if (topic0 === Topic.V2Mint || topic0 === Topic.V2Burn) {
      this.words(words, 2);
      if (topics.length < 2) this.bad("no sender topic");
      type = topic0 === Topic.V2Mint ? TlvType.PoolMint : TlvType.PoolBurn;
      this.length = SIZE.PoolMint;
      this.head(pool, 0);
      this.owner(topics[1]);
      this.value.fill(0, 104, 128); // ticks and liquidity: V3 only
      this.unsigned(data, 2, 128, 16, 16, "amount0");
      this.unsigned(data, 66, 144, 16, 16, "amount1");
      this.timestamp(160);
    }
    return type;
  }

  /** Pool event head (48 + 32 bytes). */
  private head(pool: PoolInfo, flags: number): void {
    const log = this.log;
    const v = this.value;
    const block = this.quantity(log.blockNumber, "blockNumber");
    const index = this.quantity(log.logIndex, "logIndex");
    this.blockNumber = block;
    this.logIndex = index;
    v.set(pool.instrument.bytes, 0);
    this.dv.setUint32(32, block % 4294967296, true);
    this.dv.setUint32(36, Math.floor(block / 4294967296), true);
    this.dv.setUint32(40, index, true);
    v[44] = flags | (log.removed === true ? PoolEventFlags.Removed : 0);
    v[45] = pool.decimals0;
    v[46] = pool.decimals1;
    v[47] = 0;
    const h = log.transactionHash;
    if (typeof h !== "string" || h.length !== 66 || h.charCodeAt(1) !== 120)
      this.bad("transactionHash is not a 32-byte hash");
    for (let i = 0; i < 32; i++) v[48 + i] = this.byteAt(h, 2 + 2 * i, "transactionHash is not a 32-byte hash");
  }

  /** Writes `bytes` little-endian bytes of the word at char `p`; the digits above `fit` bytes must be 0. */
  private unsigned(data: string, p: number, at: number, bytes: number, fit: number, field: string): void {
    const lead = 64 - 2 * fit;
    if (lead > 0 && !data.startsWith(ZEROS.slice(0, lead), p)) {
      for (let c = p; c < p + lead; c++) {
        if (data.charCodeAt(c) !== ZERO) this.hexOr(data, c, `${field} does not fit its wire type`);
      }
    }
    const v = this.value;
    const last = p + 62;
    for (let j = 0; j < bytes; j++) v[at + j] = this.byteAt(data, last - 2 * j, "malformed hex");
  }

  /** V3 int256 amount `i`: > 0 -> the _in slot, < 0 -> its magnitude in the _out slot, the other slot zeroed. */
  private signedAmount(data: string, i: number, inAt: number, outAt: number, field: string): void {
    const p = 2 + 64 * i;
    const negative = this.hex(data, p) >= 8;
    if (!negative) {
      this.unsigned(data, p, inAt, 16, 16, field);
      this.value.fill(0, outAt, outAt + 16);
      return;
    }
    if (!data.startsWith(EFFS.slice(0, 32), p)) {
      for (let c = p; c < p + 32; c++) {
        const d = data.charCodeAt(c);
        if (d !== 102 && d !== 70) this.hexOr(data, c, `${field} does not fit its wire type`);
      }
    }
    const v = this.value;
    let carry = 1;
    let nonZero = 0;
    for (let j = 0; j < 16; j++) {
      const b = this.byteAt(data, p + 62 - 2 * j, "malformed hex");
      nonZero |= b;
      const x = (~b & 0xff) + carry;
      v[outAt + j] = x & 0xff;
      carry = x >>> 8;
    }
    if (nonZero === 0) this.bad(`${field} does not fit its wire type`); // -2^128: magnitude 2^128
    v.fill(0, inAt, inAt + 16);
  }

  /** int24 in the word at `p`, sign extension checked. */
  private int24(data: string, p: number, field: string): number {
    const negative = this.hex(data, p + 58) >= 8;
    const fill = negative ? 102 : ZERO;
    if (!data.startsWith(negative ? EFFS.slice(0, 58) : ZEROS.slice(0, 58), p)) {
      for (let c = p; c < p + 58; c++) {
        const d = data.charCodeAt(c);
        if (d !== fill && !(negative && d === 70)) this.bad(`${field} is not a sign-extended int24`);
      }
    }
    let x = 0;
    for (let c = p + 58; c < p + 64; c++) x = (x << 4) | this.hex(data, c);
    return negative ? x - 0x1000000 : x;
  }

  private owner(topic: string): void {
    const t = this.topic(topic);
    for (let c = 2; c < 26; c++) if (t.charCodeAt(c) !== ZERO) this.bad("an address topic has non-zero upper bytes");
    for (let i = 0; i < 20; i++) this.value[80 + i] = this.byteAt(t, 26 + 2 * i, "a topic is not a 32-byte word");
    this.value.fill(0, 100, 104);
  }

  private topic(topic: string): string {
    if (typeof topic !== "string" || topic.length !== 66 || topic.charCodeAt(1) !== 120) {
      this.bad("a topic is not a 32-byte word");
    }
    return topic;
  }

  private timestamp(at: number): void {
    const ts = this.log.blockTimestamp;
    if (ts === undefined) {
      this.dv.setUint32(at, 0, true);
      this.dv.setUint32(at + 4, 0, true);
      return;
    }
    // seconds * 1e9 exceeds 2^53: multiplied in 16-bit halves so every partial product is an exact double
    const sec = this.quantity(ts, "blockTimestamp");
    if (sec > 0xffffffff) this.bad("blockTimestamp is beyond 2106");
    const a = (sec % 65536) * 1e9;
    const b = Math.floor(sec / 65536) * 1e9;
    let lo = (a % 4294967296) + (b % 65536) * 65536;
    let hi = Math.floor(a / 4294967296) + Math.floor(b / 65536);
    if (lo >= 4294967296) {
      lo -= 4294967296;
      hi++;
    }
    this.dv.setUint32(at, lo, true);
    this.dv.setUint32(at + 4, hi, true);
  }

  private words(words: number, expected: number): void {
    if (words !== expected) this.bad(`data has ${words} words, the event has ${expected}`);
  }

  /** A hex quantity below 2^52: Number("0x..") is exact there and NaN for any non-hex character. */
  private quantity(hex: string, field: string): number {
    const n = typeof hex === "string" && hex.length <= 15 && hex.charCodeAt(1) === 120 ? Number(hex) : Number.NaN;
    if (!(n >= 0)) this.bad(`${field} is not a hex quantity below 2^52`);
    return n;
  }

  private byteAt(s: string, c: number, reason: string): number {
    const hi = HEX_VALUE[s.charCodeAt(c)];
    const lo = HEX_VALUE[s.charCodeAt(c + 1)];
    if ((hi | lo) < 0) this.bad(reason); // c is inside s: every length is checked before the digits are read
    return (hi << 4) | lo;
  }

  private hex(s: string, c: number): number {
    const d = HEX_VALUE[s.charCodeAt(c)];
    if (!(d >= 0)) this.bad("malformed hex");
    return d;
  }

  /** A digit that failed a range test: report malformed hex if it is not a digit at all, else `reason`. */
  private hexOr(s: string, c: number, reason: string): never {
    this.hex(s, c);
    return this.bad(reason);
  }

  private bad(reason: string): never {
    const log = this.log;
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
}
