import { TlvType } from "../../../data/tlv-layouts.ts";
import { Topic } from "./abi.ts";
import { PoolEventFlags } from "./decode-pool-log.ts";
import { PolygonCollectorError } from "./errors.ts";
import { HEX_VALUE, type LogScan } from "./log-scanner.ts";
import type { PoolInfo, RpcLog } from "./pool-info.ts";

const ZERO = 48; // "0"
/**
 * Runs of "0" and "f" compared with startsWith (native, memcmp-like) instead of a loop per digit. Built once per
 * length used (24, 32, 58): `ZEROS.slice(0, n)` per call allocated a string each time.
 */
const ZEROS = "0".repeat(64);
const EFFS = "f".repeat(64);
const ZERO_RUN: string[] = Array.from({ length: 65 }, (_, n) => ZEROS.slice(0, n));
const EFF_RUN: string[] = Array.from({ length: 65 }, (_, n) => EFFS.slice(0, n));

/**
 * The 8 hex digits at s[c, c+8) as an unsigned 32-bit number (big-endian, as written), or -1 if any is not a hex
 * digit. One setUint32 per 4 bytes instead of a table lookup pair, bounds check and store per byte (~5 ns per 8
 * digits). Used for topics, and for the data and hash when setFromHex refuses them (to find the exact reason).
 */
function hex32(s: string, c: number): number {
  const a = HEX_VALUE[s.charCodeAt(c)];
  const b = HEX_VALUE[s.charCodeAt(c + 1)];
  const d = HEX_VALUE[s.charCodeAt(c + 2)];
  const e = HEX_VALUE[s.charCodeAt(c + 3)];
  const f = HEX_VALUE[s.charCodeAt(c + 4)];
  const g = HEX_VALUE[s.charCodeAt(c + 5)];
  const h = HEX_VALUE[s.charCodeAt(c + 6)];
  const i = HEX_VALUE[s.charCodeAt(c + 7)];
  if ((a | b | d | e | f | g | h | i) < 0) return -1;
  return ((a << 28) | (b << 24) | (d << 20) | (e << 16) | (f << 12) | (g << 8) | (h << 4) | i) >>> 0;
}

/** An exact hex quantity "0x" + 1..13 digits (below 2^52), or -1: the caller then asks Number() (same result). */
function hexQuantity(s: string): number {
  const n = s.length;
  if (n < 3 || n > 15 || s.charCodeAt(0) !== ZERO || s.charCodeAt(1) !== 120) return -1;
  let v = 0;
  for (let c = 2; c < n; c++) {
    const d = HEX_VALUE[s.charCodeAt(c)];
    if (d < 0) return -1;
    v = v * 16 + d;
  }
  return v;
}
const SIZE = { PoolSwap: 208, PoolSync: 120, PoolMint: 168 } as const;

/**
 * Byte value of two ASCII hex digits, indexed by (first << 7) | second; -1 for any other pair (16 K entries). The
 * text path reads 8 digits as 4 lookups.
 */
const PAIR = (() => {
  const t = new Int16Array(16384).fill(-1);
  for (let a = 0; a < 128; a++) {
    for (let b = 0; b < 128; b++) {
      if (HEX_VALUE[a] >= 0 && HEX_VALUE[b] >= 0) t[(a << 7) | b] = HEX_VALUE[a] * 16 + HEX_VALUE[b];
    }
  }
  return t;
})();

/** Event ids of the text path (topic0 recognised from its first two digits, then compared in full). */
const EV_V3_SWAP = 1;
const EV_V3_MINT = 2;
const EV_V3_BURN = 3;
const EV_V2_SYNC = 4;
const EV_V2_SWAP = 5;
// 6: V2 Mint, 7: V2 Burn (read only through the tables below)
const EVENT_TOPIC = [
  "",
  Topic.V3Swap,
  Topic.V3Mint,
  Topic.V3Burn,
  Topic.V2Sync,
  Topic.V2Swap,
  Topic.V2Mint,
  Topic.V2Burn,
];

/** Per event id: the data's hex digits, the TLV type, the value's length, the topics the event reads. */
const EV_DIGITS = [0, 320, 256, 192, 128, 256, 128, 128];
const EV_TYPE = [
  0,
  TlvType.PoolSwap,
  TlvType.PoolMint,
  TlvType.PoolBurn,
  TlvType.PoolSync,
  TlvType.PoolSwap,
  TlvType.PoolMint,
  TlvType.PoolBurn,
];
const EV_LENGTH = [
  0,
  SIZE.PoolSwap,
  SIZE.PoolMint,
  SIZE.PoolMint,
  SIZE.PoolSync,
  SIZE.PoolSwap,
  SIZE.PoolMint,
  SIZE.PoolMint,
];
const EV_TOPICS = [0, 1, 4, 4, 1, 1, 2, 2];

/** Each event topic's 64 digits (after "0x") as 16 little-endian 32-bit words of their ASCII bytes. */
const EVENT_WORDS: Int32Array[] = EVENT_TOPIC.map((topic) => {
  const w = new Int32Array(16);
  if (topic === "") return w;
  const b = new DataView(new TextEncoder().encode(topic.slice(2)).buffer);
  for (let k = 0; k < 16; k++) w[k] = b.getInt32(4 * k, true);
  return w;
});

/** Event id by the bytes of a topic0's first two digits, (first << 8) | second; 0 for none of the events. */
const EVENT_BY_LEAD = (() => {
  const t = new Uint8Array(65536);
  for (let ev = 1; ev < EVENT_TOPIC.length; ev++) {
    const lead = (EVENT_TOPIC[ev].charCodeAt(2) << 8) | EVENT_TOPIC[ev].charCodeAt(3);
    if (t[lead] !== 0) throw new Error("two event topics share their first two digits");
    t[lead] = ev;
  }
  return t;
})();

/** The event whose topic0's "0x" is at p in the scanned bytes: two digits pick it, then all 64 are compared. */
function eventOf(s: LogScan, p: number): number {
  const t = s.bytes;
  const ev = EVENT_BY_LEAD[(t[p + 2] << 8) | t[p + 3]];
  if (ev === 0) return 0;
  const w = EVENT_WORDS[ev];
  const dv = s.dv;
  for (let k = 0; k < 16; k++) if (dv.getInt32(p + 2 + 4 * k, true) !== w[k]) return 0;
  return ev;
}

/**
 * Byte value of two ASCII hex digits (either case) by the big-endian 16-bit code of their two bytes, -1 for any
 * other pair: 8 digits are read as two 32-bit loads and 4 lookups.
 */
const PAIR16 = (() => {
  const t = new Int16Array(65536).fill(-1);
  for (let a = 0; a < 128; a++) {
    for (let b = 0; b < 128; b++) {
      if (HEX_VALUE[a] >= 0 && HEX_VALUE[b] >= 0) t[(a << 8) | b] = HEX_VALUE[a] * 16 + HEX_VALUE[b];
    }
  }
  return t;
})();

/** The high bit of each byte, as an int32. */
const HIGH_BITS = 0x80808080 | 0;

/**
 * The 64 characters at c (loaded bytes, all ASCII) can stand unread inside a JSON string, decoded as themselves:
 * none is a control character, a quote or a backslash. Checked 4 bytes at a time: every byte >= "0" (0x30, which
 * excludes the controls and the quote) and none a backslash (0x5c). A topic or block hash that encode() does not
 * read needs no more: the JSON.parse path publishes the same frame whatever such a string holds.
 */
function plain64(dv: DataView, c: number): boolean {
  let ge = -1;
  let bs = 0;
  for (let k = 0; k < 64; k += 4) {
    const x = dv.getInt32(c + k, true);
    // bytes < 0x80: (b | 0x80) - 0x30 keeps its high bit iff b >= 0x30, and never borrows from the next byte
    ge &= (x | HIGH_BITS) - 0x30303030;
    // the exact "has a zero byte" test on x ^ "\\\\\\\\": some byte is a backslash
    const y = x ^ 0x5c5c5c5c;
    bs |= (y - 0x01010101) & ~y;
  }
  return (ge & HIGH_BITS) === HIGH_BITS && (bs & HIGH_BITS) === 0;
}

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
  /**
   * The log's data as bytes, decoded by one native Uint8Array.prototype.setFromHex call (~65 ns for a V3 swap's 5
   * words, against ~150 ns for the digit loops), on first use per log; the words are then moved 4 bytes at a time.
   * A data field that is not all hex digits fails the call and takes the digit loops, which find the exact reason.
   */
  private readonly raw = new Uint8Array(256);
  private readonly rawDv = new DataView(this.raw.buffer);
  /** 0 not decoded yet for this log, 1 decoded, 2 not decodable (the digit loops report why). */
  private rawState = 0;
  /** The last valid blockTimestamp text and its nanoseconds as two u32 words. */
  private lastTs: string | undefined;
  private lastTsLo = 0;
  private lastTsHi = 0;
  /** value[48, 80): the transaction hash, written by setFromHex in place. */
  private readonly hashView = this.value.subarray(48, 80) as Uint8Array & { setFromHex(s: string): unknown };
  /** Negative once hex8() met a character that is not a hex digit (reset per log by encodeText). */
  private hexBad = 0;
  /** The pool whose instrument bytes value[0, 32) holds (the text path writes them only when the pool changes). */
  private instrumentOf: PoolInfo | undefined;
  /** The last blockTimestamp seconds of the text path and its nanoseconds as two u32 words. */
  private lastSec = -1;
  private lastSecLo = 0;
  private lastSecHi = 0;
  /** view() results by length: a subarray per published event cost ~29 ns and an allocation. */
  private readonly views: (Uint8Array | undefined)[] = [];

  /** The encoded value, `value.subarray(0, length)`, cached per length; valid until the next encode(). */
  view(): Uint8Array {
    const n = this.length;
    let v = this.views[n];
    if (v === undefined) v = this.views[n] = this.value.subarray(0, n);
    return v;
  }

  encode(log: RpcLog, pool: PoolInfo): number {
    this.log = log;
    this.rawState = 0;
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

  /**
   * The fast path: the log scanned in place (LogScan positions into `t`) written as its TLV value, with exactly the
   * bytes encode() writes for the same log. Returns the TLV type, or 0 for anything it does not take: an event the
   * TLVs do not carry, a value out of its wire range, a character that is not a hex digit, upper-case digits in a
   * range check, a word count that does not fit. The caller then gives the message to the JSON.parse path, which
   * publishes, ignores or reports it (BadLog) as before: the text path never throws and never reports.
   */
  encodeText(t: string, s: LogScan, pool: PoolInfo): number {
    if (s.topicCount === 0) return 0;
    const ev = eventOf(s, s.topics[0]);
    if (ev === 0 || ev <= EV_V3_BURN !== (pool.protocol === 3)) return 0;
    const d = s.data + 2; // first digit of the data
    if (t.charCodeAt(s.data) !== ZERO || t.charCodeAt(s.data + 1) !== 120) return 0;
    const digits = s.dataEnd - d;
    this.hexBad = 0;
    // topics the event does not read, and the block hash, must still be plain JSON string content (plain64)
    const n = s.topicCount;
    const used = EV_TOPICS[ev];
    for (let i = used; i < n; i++) if (!plain64(s.dv, s.topics[i] + 2)) return 0;
    if (s.blockHash >= 0 && !plain64(s.dv, s.blockHash + 2)) return 0;
    // the scanner takes at most 4 topics: n < used is V3 Mint/Burn's n !== 4 and V2 Mint/Burn's n < 2
    if (digits !== EV_DIGITS[ev] || n < used) return 0;
    const type = EV_TYPE[ev];
    this.length = EV_LENGTH[ev];
    if (!this.dataBytes(t, d, s.dataEnd)) return 0;
    this.headText(s, pool, ev <= EV_V3_BURN ? PoolEventFlags.V3 : 0);
    switch (ev) {
      case EV_V3_SWAP:
        if (!this.signedRaw(0, 80, 112) || !this.signedRaw(32, 96, 128)) return 0;
        if (!this.unsignedRaw(64, 144, 20) || !this.unsignedRaw(96, 176, 16) || !this.int24Raw(128, 192)) return 0;
        this.dv.setUint32(196, 0, true);
        break;
      case EV_V3_MINT:
      case EV_V3_BURN: {
        // Mint's (unindexed) sender is checked as hex by dataBytes, not carried
        const at = ev === EV_V3_MINT ? 32 : 0;
        if (!this.ownerText(t, s.topics[1] + 2)) return 0;
        if (!this.int24Text(t, s.topics[2] + 2, 104) || !this.int24Text(t, s.topics[3] + 2, 108)) return 0;
        if (!this.unsignedRaw(at, 112, 16) || !this.unsignedRaw(at + 32, 128, 16)) return 0;
        if (!this.unsignedRaw(at + 64, 144, 16)) return 0;
        break;
      }
      case EV_V2_SYNC:
        if (!this.unsignedRaw(0, 80, 16) || !this.unsignedRaw(32, 96, 16)) return 0;
        break;
      case EV_V2_SWAP:
        if (!this.unsignedRaw(0, 80, 16) || !this.unsignedRaw(32, 96, 16)) return 0;
        if (!this.unsignedRaw(64, 112, 16) || !this.unsignedRaw(96, 128, 16)) return 0;
        this.value.fill(0, 144, 200);
        break;
      default: // V2 Mint / Burn
        if (!this.ownerText(t, s.topics[1] + 2)) return 0;
        this.value.fill(0, 104, 128);
        if (!this.unsignedRaw(0, 128, 16) || !this.unsignedRaw(32, 144, 16)) return 0;
    }
    // every value ends with its 8-byte timestamp
    if (!this.timestampSec(s.blockTimestamp, this.length - 8)) return 0;
    if (this.hexBad < 0) return 0;
    this.blockNumber = s.blockNumber;
    this.logIndex = s.logIndex;
    return type;
  }

  /**
   * The 8 hex digits at t[c, c+8) as a 32-bit word (big-endian as written, returned as an int32: setInt32 writes
   * the same bytes). A non-digit (or a code above 127) makes `hexBad` negative instead of branching per group.
   */
  private hex8(t: string, c: number): number {
    const a = t.charCodeAt(c);
    const b = t.charCodeAt(c + 1);
    const d = t.charCodeAt(c + 2);
    const e = t.charCodeAt(c + 3);
    const f = t.charCodeAt(c + 4);
    const g = t.charCodeAt(c + 5);
    const h = t.charCodeAt(c + 6);
    const i = t.charCodeAt(c + 7);
    const x = PAIR[((a << 7) | b) & 16383];
    const y = PAIR[((d << 7) | e) & 16383];
    const z = PAIR[((f << 7) | g) & 16383];
    const w = PAIR[((h << 7) | i) & 16383];
    this.hexBad |= x | y | z | w | -((a | b | d | e | f | g | h | i) >> 7);
    return (x << 24) | (y << 16) | (z << 8) | w;
  }

  /**
   * The 8 hex digits at c in the scanned bytes as a 32-bit word (big-endian as written): two 32-bit loads, four
   * PAIR16 lookups; a pair that is not two hex digits makes `hexBad` negative.
   */
  private hex8At(dv: DataView, c: number): number {
    const x = dv.getUint32(c);
    const y = dv.getUint32(c + 4);
    const a = PAIR16[x >>> 16];
    const b = PAIR16[x & 0xffff];
    const d = PAIR16[y >>> 16];
    const e = PAIR16[y & 0xffff];
    this.hexBad |= a | b | d | e;
    return (a << 24) | (b << 16) | (d << 8) | e;
  }

  /** Pool event head from the scan; a transaction hash that is not 64 hex digits makes `hexBad` negative. */
  private headText(s: LogScan, pool: PoolInfo, flags: number): void {
    const v = this.value;
    const dv = this.dv;
    if (this.instrumentOf !== pool) {
      v.set(pool.instrument.bytes, 0);
      this.instrumentOf = pool;
    }
    const block = s.blockNumber;
    const blockHi = Math.floor(block / 4294967296);
    dv.setUint32(32, block - blockHi * 4294967296, true);
    dv.setUint32(36, blockHi, true);
    dv.setUint32(40, s.logIndex, true);
    v[44] = flags | (s.removed ? PoolEventFlags.Removed : 0);
    v[45] = pool.decimals0;
    v[46] = pool.decimals1;
    v[47] = 0;
    const h = s.transactionHash + 2;
    const b = s.dv;
    for (let k = 0; k < 32; k += 4) dv.setInt32(48 + k, this.hex8At(b, h + 2 * k), false);
  }

  /**
   * t[d, end), the data's digits, into `raw` by one native setFromHex (the digits of all words, validated and
   * decoded at ~0.1 ns a digit, against ~0.7 ns for a JS digit loop on this machine): the one substring of the fast
   * path, measured the cheaper way. False if any character is not a hex digit.
   */
  private dataBytes(t: string, d: number, end: number): boolean {
    try {
      (this.raw as Uint8Array & { setFromHex(s: string): unknown }).setFromHex(t.slice(d, end));
      return true;
    } catch {
      return false;
    }
  }

  /**
   * The data word at raw[o, o+32) as `fit` little-endian bytes (16: a u128; 20: a uint160 written as the u256 the
   * TLV holds) at `at`; false unless the bytes above `fit` are zero.
   */
  private unsignedRaw(o: number, at: number, fit: number): boolean {
    const r = this.rawDv;
    const dv = this.dv;
    if (fit === 16) {
      if ((r.getInt32(o) | r.getInt32(o + 4) | r.getInt32(o + 8) | r.getInt32(o + 12)) !== 0) return false;
      dv.setInt32(at, r.getInt32(o + 28), true);
      dv.setInt32(at + 4, r.getInt32(o + 24), true);
      dv.setInt32(at + 8, r.getInt32(o + 20), true);
      dv.setInt32(at + 12, r.getInt32(o + 16), true);
      return true;
    }
    if ((r.getInt32(o) | r.getInt32(o + 4) | r.getInt32(o + 8)) !== 0) return false;
    dv.setInt32(at, r.getInt32(o + 28), true);
    dv.setInt32(at + 4, r.getInt32(o + 24), true);
    dv.setInt32(at + 8, r.getInt32(o + 20), true);
    dv.setInt32(at + 12, r.getInt32(o + 16), true);
    dv.setInt32(at + 16, r.getInt32(o + 12), true);
    dv.setUint32(at + 20, 0, true);
    dv.setUint32(at + 24, 0, true);
    dv.setUint32(at + 28, 0, true);
    return true;
  }

  /** V3 int256 amount at raw[o, o+32): > 0 -> the _in slot, < 0 -> its magnitude in the _out slot (encode()'s rule). */
  private signedRaw(o: number, inAt: number, outAt: number): boolean {
    const r = this.rawDv;
    const dv = this.dv;
    if (this.raw[o] < 0x80) {
      if (!this.unsignedRaw(o, inAt, 16)) return false;
      dv.setUint32(outAt, 0, true);
      dv.setUint32(outAt + 4, 0, true);
      dv.setUint32(outAt + 8, 0, true);
      dv.setUint32(outAt + 12, 0, true);
      return true;
    }
    if ((r.getInt32(o) & r.getInt32(o + 4) & r.getInt32(o + 8) & r.getInt32(o + 12)) !== -1) return false;
    // magnitude = two's complement of the low 128 bits, in 32-bit groups from the least significant
    let carry = 1;
    let nonZero = 0;
    for (let k = 0; k < 4; k++) {
      const w = r.getUint32(o + 28 - 4 * k);
      nonZero |= w;
      const x = (~w >>> 0) + carry;
      carry = x > 0xffffffff ? 1 : 0;
      dv.setUint32(outAt + 4 * k, x >>> 0, true);
    }
    if (nonZero === 0) return false; // -2^128: magnitude 2^128, out of range (encode() reports it)
    dv.setUint32(inAt, 0, true);
    dv.setUint32(inAt + 4, 0, true);
    dv.setUint32(inAt + 8, 0, true);
    dv.setUint32(inAt + 12, 0, true);
    return true;
  }

  /** The int24 of the data word at raw[o, o+32), sign extension checked, as an i32 at `at`. */
  private int24Raw(o: number, at: number): boolean {
    const r = this.rawDv;
    const last = r.getInt32(o + 28);
    const tick = (last << 8) >> 8;
    const fill = tick < 0 ? -1 : 0;
    if (last >> 24 !== fill) return false;
    for (let k = 0; k < 28; k += 4) if (r.getInt32(o + k) !== fill) return false;
    this.dv.setInt32(at, tick, true);
    return true;
  }

  /** The int24 of the word at t[p, p+64), sign extension checked (lower-case "f"), as an i32 at `at`. */
  private int24Text(t: string, p: number, at: number): boolean {
    const a = HEX_VALUE[t.charCodeAt(p + 58)];
    const negative = a >= 8;
    if (!t.startsWith(negative ? EFF_RUN[58] : ZERO_RUN[58], p)) return false;
    const b = HEX_VALUE[t.charCodeAt(p + 59)];
    const c = HEX_VALUE[t.charCodeAt(p + 60)];
    const d = HEX_VALUE[t.charCodeAt(p + 61)];
    const e = HEX_VALUE[t.charCodeAt(p + 62)];
    const f = HEX_VALUE[t.charCodeAt(p + 63)];
    if ((a | b | c | d | e | f) < 0) return false;
    const x = (a << 20) | (b << 16) | (c << 12) | (d << 8) | (e << 4) | f;
    this.dv.setInt32(at, negative ? x - 0x1000000 : x, true);
    return true;
  }

  /** The address in the topic word at t[p, p+64) (24 leading "0" digits) at value[80, 104). */
  private ownerText(t: string, p: number): boolean {
    if (!t.startsWith(ZERO_RUN[24], p)) return false;
    const dv = this.dv;
    for (let g = 0; g < 5; g++) dv.setInt32(80 + 4 * g, this.hex8(t, p + 24 + 8 * g), false);
    dv.setUint32(100, 0, true);
    return true;
  }

  /** blockTimestamp seconds (-1: none) as nanoseconds at `at`; the words of the last value are reused. */
  private timestampSec(sec: number, at: number): boolean {
    const dv = this.dv;
    if (sec < 0) {
      dv.setUint32(at, 0, true);
      dv.setUint32(at + 4, 0, true);
      return true;
    }
    if (sec !== this.lastSec) {
      if (sec > 0xffffffff) return false;
      // seconds * 1e9 exceeds 2^53: multiplied in 16-bit halves so every partial product is an exact double.
      // Integer ops only: `%` on doubles calls fmod (this took ~59 ns a log with them, ~30 ns now).
      // sec < 2^32: `& 0xffff` and `>>> 16` are exact; a, b < 2^46; the quotients below are < 2^31.
      const a = (sec & 0xffff) * 1e9;
      const b = (sec >>> 16) * 1e9;
      const aHi = (a / 4294967296) | 0;
      const bHi = (b / 65536) | 0;
      let lo = a - aHi * 4294967296 + (b - bHi * 65536) * 65536;
      let hi = aHi + bHi;
      if (lo >= 4294967296) {
        lo -= 4294967296;
        hi++;
      }
      this.lastSec = sec;
      this.lastSecLo = lo;
      this.lastSecHi = hi;
    }
    dv.setUint32(at, this.lastSecLo, true);
    dv.setUint32(at + 4, this.lastSecHi, true);
    return true;
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
    this.instrumentOf = pool;
    const blockHi = Math.floor(block / 4294967296);
    this.dv.setUint32(32, block - blockHi * 4294967296, true); // not `%`: a double modulo calls fmod (~20 ns)
    this.dv.setUint32(36, blockHi, true);
    this.dv.setUint32(40, index, true);
    v[44] = flags | (log.removed === true ? PoolEventFlags.Removed : 0);
    v[45] = pool.decimals0;
    v[46] = pool.decimals1;
    v[47] = 0;
    const h = log.transactionHash;
    if (typeof h !== "string" || h.length !== 66 || h.charCodeAt(1) !== 120)
      this.bad("transactionHash is not a 32-byte hash");
    try {
      this.hashView.setFromHex(h.slice(2));
      return;
    } catch {
      // not hex: the loop below finds it and reports it
    }
    for (let g = 0; g < 8; g++) {
      const x = hex32(h, 2 + 8 * g);
      if (x < 0) this.bad("transactionHash is not a 32-byte hash");
      this.dv.setUint32(48 + 4 * g, x, false); // bytes in text order
    }
  }

  /** Writes `bytes` little-endian bytes of the word at char `p`; the digits above `fit` bytes must be 0. */
  private unsigned(data: string, p: number, at: number, bytes: number, fit: number, field: string): void {
    const lead = 64 - 2 * fit;
    if (lead > 0 && !data.startsWith(ZERO_RUN[lead], p)) {
      for (let c = p; c < p + lead; c++) {
        if (data.charCodeAt(c) !== ZERO) this.hexOr(data, c, `${field} does not fit its wire type`);
      }
    }
    // little-endian: 32-bit group k (bytes 4k..4k+3) is the 8 digits ending 8k digits before the word's end
    const dv = this.dv;
    const end = p + 64;
    if (this.decoded(data)) {
      const rawEnd = (end - 2) >>> 1;
      for (let k = 0; k < bytes >>> 2; k++) dv.setUint32(at + 4 * k, this.rawDv.getUint32(rawEnd - 4 * (k + 1)), true);
      return;
    }
    for (let k = 0; k < bytes >>> 2; k++) {
      const x = hex32(data, end - 8 * (k + 1));
      if (x < 0) this.bad("malformed hex");
      dv.setUint32(at + 4 * k, x, true);
    }
  }

  /** Decodes the log's data into `raw` once per log; false when it is not all hex digits. */
  private decoded(data: string): boolean {
    if (this.rawState === 0) {
      this.rawState = 2;
      // every caller has checked the word count first (at most 5 words = 160 bytes)
      if (data.length - 2 <= 2 * this.raw.length) {
        try {
          (this.raw as Uint8Array & { setFromHex(s: string): unknown }).setFromHex(data.slice(2));
          this.rawState = 1;
        } catch {
          // not hex: the digit loops report the exact reason
        }
      }
    }
    return this.rawState === 1;
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
    if (!data.startsWith(EFF_RUN[32], p)) {
      for (let c = p; c < p + 32; c++) {
        const d = data.charCodeAt(c);
        if (d !== 102 && d !== 70) this.hexOr(data, c, `${field} does not fit its wire type`);
      }
    }
    // magnitude = two's complement of the low 128 bits, in 32-bit groups from the least significant
    const dv = this.dv;
    let carry = 1;
    let nonZero = 0;
    const raw = this.decoded(data);
    for (let k = 0; k < 4; k++) {
      const w = raw ? this.rawDv.getUint32(((p + 56) >>> 1) - 1 - 4 * k) : hex32(data, p + 56 - 8 * k);
      if (w < 0) this.bad("malformed hex");
      nonZero |= w;
      const x = (~w >>> 0) + carry;
      carry = x > 0xffffffff ? 1 : 0;
      dv.setUint32(outAt + 4 * k, x >>> 0, true);
    }
    if (nonZero === 0) this.bad(`${field} does not fit its wire type`); // -2^128: magnitude 2^128
    this.value.fill(0, inAt, inAt + 16);
  }

  /** int24 in the word at `p`, sign extension checked. */
  private int24(data: string, p: number, field: string): number {
    const negative = this.hex(data, p + 58) >= 8;
    const fill = negative ? 102 : ZERO;
    if (!data.startsWith(negative ? EFF_RUN[58] : ZERO_RUN[58], p)) {
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
    for (let g = 0; g < 5; g++) {
      const x = hex32(t, 26 + 8 * g);
      if (x < 0) this.bad("a topic is not a 32-byte word");
      this.dv.setUint32(80 + 4 * g, x, false); // bytes in text order
    }
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
    // Logs of one block share its timestamp: the last one's words are reused when the text is the same (this
    // method was ~20% of encode()).
    if (ts === this.lastTs) {
      this.dv.setUint32(at, this.lastTsLo, true);
      this.dv.setUint32(at + 4, this.lastTsHi, true);
      return;
    }
    const sec = this.quantity(ts, "blockTimestamp");
    if (sec > 0xffffffff) this.bad("blockTimestamp is beyond 2106");
    this.timestampSec(sec, at);
    this.lastTs = ts;
    this.lastTsLo = this.lastSecLo;
    this.lastTsHi = this.lastSecHi;
  }

  private words(words: number, expected: number): void {
    if (words !== expected) this.bad(`data has ${words} words, the event has ${expected}`);
  }

  /** A hex quantity below 2^52: Number("0x..") is exact there and NaN for any non-hex character. */
  private quantity(hex: string, field: string): number {
    // the common case "0x" + hex digits read by a loop (~20 ns less per call than Number("0x..."), 3 calls a log)
    const q = typeof hex === "string" ? hexQuantity(hex) : -1;
    if (q >= 0) return q;
    const n = typeof hex === "string" && hex.length <= 15 && hex.charCodeAt(1) === 120 ? Number(hex) : Number.NaN;
    if (!(n >= 0)) this.bad(`${field} is not a hex quantity below 2^52`);
    return n;
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
