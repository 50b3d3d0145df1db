/**
 * Binance market-data messages read straight from their text, without JSON.parse: prices and sizes are decimal
 * strings that go to e8 bigints digit by digit (never through a float), ids and times are digit runs.
 *
 * One BinanceScanner serves every message: scan() walks the object once (a combined-stream envelope
 * `{"stream":..,"data":{..}}` or a bare `/ws` event) and records where each field of interest starts and ends;
 * the typed readers then parse only what the message kind needs. The depth arrays `b`/`a` are walked by
 * forEachLevel() with a reused callback, so the hot path allocates only the bigints the book keeps.
 */
import { BinanceParseError } from "./errors.ts";

export const MessageKind = {
  Unknown: 0,
  DepthUpdate: 1,
  Trade: 2,
  AggTrade: 3,
  BookTicker: 4,
  /** `{"result":null,"id":1}`: the answer to a SUBSCRIBE. */
  Response: 5,
  /** `{"code":..,"msg":..}`: an error from the venue. */
  Error: 6,
} as const;
export type MessageKind = (typeof MessageKind)[keyof typeof MessageKind];

// Character codes: module-local constants, also in fast-reader.ts on purpose (imported from a shared
// module they measured ~2% slower on the trade/bookTicker bench).
const Q = 34; // "
const BACKSLASH = 92;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const COMMA = 44;
const COLON = 58;
const DOT = 46;
const ZERO = 48;

/** Largest integer part for which `whole·1e8 + fraction` stays below 2^53 (an exact integer in a double). */
const FAST_WHOLE_MAX = 90_071_991;
const POW10 = [1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000];
const E8 = 100_000_000n;

/** Field slots: the start and end (exclusive) of each value in the text; strings without their quotes. */
const F = {
  e: 0,
  E: 1,
  T: 2,
  s: 3,
  U: 4,
  u: 5,
  pu: 6,
  b: 7,
  a: 8,
  p: 9,
  q: 10,
  m: 11,
  B: 12,
  A: 13,
  t: 14,
  stream: 15,
  id: 16,
  result: 17,
  code: 18,
  msg: 19,
} as const;
const SLOTS = 20;

function slotOf(text: string, start: number, end: number, nested: boolean): number {
  const len = end - start;
  const c = text.charCodeAt(start);
  if (len === 1) {
    switch (c) {
      case 101: // e
        return F.e;
      case 69: // E
        return F.E;
      case 84: // T
        return F.T;
      case 115: // s
        return F.s;
      case 85: // U
        return F.U;
      case 117: // u
        return F.u;
      case 98: // b
        return F.b;
      case 97: // a
        return F.a;
      case 112: // p
        return F.p;
      case 113: // q
        return F.q;
      case 109: // m
        return F.m;
      case 66: // B
        return F.B;
      case 65: // A
        return F.A;
      case 116: // t
        return F.t;
    }
    return -1;
  }
  if (len === 2) {
    if (c === 112 && text.charCodeAt(start + 1) === 117) return F.pu;
    if (!nested && c === 105 && text.charCodeAt(start + 1) === 100) return F.id;
    return -1;
  }
  if (nested) return -1;
  if (len === 6 && text.startsWith("stream", start)) return F.stream;
  if (len === 6 && text.startsWith("result", start)) return F.result;
  if (len === 4 && text.startsWith("code", start)) return F.code;
  if (len === 3 && text.startsWith("msg", start)) return F.msg;
  return -1;
}

export class BinanceScanner {
  text = "";
  kind: MessageKind = MessageKind.Unknown;
  /** Where the scan stopped on malformed text (for error facts). */
  failAt = -1;
  failReason = "";
  private readonly starts = new Int32Array(SLOTS);
  private readonly ends = new Int32Array(SLOTS);
  /** 1 when the value was a JSON string. */
  private readonly quoted = new Uint8Array(SLOTS);
  /**
   * The `b` and `a` level arrays read while scanning (the scan has to find their end anyway: skipValue walked every
   * character, then levelsInto walked them again, ~17% of a depth event). pre[k] holds the levels of the array that
   * started at preStart[k] (-1: none, or it did not parse: levelsInto then reads it again and throws as before).
   */
  private readonly pre: LevelBuffer[] = [
    { prices: [], sizes: [], sides: [], n: 0, unsafe: false },
    { prices: [], sizes: [], sides: [], n: 0, unsafe: false },
  ];
  private readonly preStart = new Int32Array(2);

  /** Scans one message; returns its kind (Unknown also for malformed text: see failReason). */
  scan(text: string): MessageKind {
    this.text = text;
    this.starts.fill(-1);
    this.preStart[0] = -1;
    this.preStart[1] = -1;
    this.failAt = -1;
    this.failReason = "";
    this.kind = MessageKind.Unknown;
    const i = skipWs(text, 0);
    if (text.charCodeAt(i) !== OPEN_BRACE) return this.fail(i, "message is not a JSON object");
    if (this.scanObject(i, false) < 0) return MessageKind.Unknown;
    return (this.kind = this.classify());
  }

  private classify(): MessageKind {
    const st = this.starts;
    if (st[F.e] >= 0) {
      if (this.is(F.e, "depthUpdate")) return MessageKind.DepthUpdate;
      if (this.is(F.e, "trade")) return MessageKind.Trade;
      if (this.is(F.e, "aggTrade")) return MessageKind.AggTrade;
      if (this.is(F.e, "bookTicker")) return MessageKind.BookTicker;
      return MessageKind.Unknown;
    }
    // Spot bookTicker carries no "e": {"u":..,"s":..,"b":"..","B":"..","a":"..","A":".."}.
    if (st[F.u] >= 0 && st[F.s] >= 0 && st[F.B] >= 0 && st[F.A] >= 0 && this.quoted[F.b]) return MessageKind.BookTicker;
    if (st[F.code] >= 0 && st[F.msg] >= 0) return MessageKind.Error;
    if (st[F.id] >= 0 && st[F.result] >= 0) return MessageKind.Response;
    return MessageKind.Unknown;
  }

  /** True when the field is present and its text is exactly `value` (compared in place). */
  is(slot: number, value: string): boolean {
    if (this.starts[slot] < 0) return false;
    const s = this.starts[slot];
    return this.ends[slot] - s === value.length && this.text.startsWith(value, s);
  }

  private fail(at: number, reason: string): MessageKind {
    this.failAt = at;
    this.failReason = reason;
    return MessageKind.Unknown;
  }

  /** Scans the object at `i` (its `{`), recording fields; returns the index after its `}`, or -1. */
  private scanObject(i: number, nested: boolean): number {
    const text = this.text;
    const n = text.length;
    i = skipWs(text, i + 1);
    if (text.charCodeAt(i) === CLOSE_BRACE) return i + 1;
    for (;;) {
      if (text.charCodeAt(i) !== Q) return this.failIdx(i, "expected a key");
      const keyStart = i + 1;
      const keyEnd = text.indexOf('"', keyStart);
      if (keyEnd < 0) return this.failIdx(i, "unterminated key");
      i = skipWs(text, keyEnd + 1);
      if (text.charCodeAt(i) !== COLON) return this.failIdx(i, "expected ':'");
      i = skipWs(text, i + 1);
      const isData = !nested && keyEnd - keyStart === 4 && text.startsWith("data", keyStart);
      const slot = isData ? -1 : slotOf(text, keyStart, keyEnd, nested);
      const c = text.charCodeAt(i);
      let end: number;
      if (c === Q) {
        end = stringEnd(text, i + 1);
        if (end < 0) return this.failIdx(i, "unterminated string");
        if (slot >= 0) this.record(slot, i + 1, end, 1);
        end++;
      } else if (c === OPEN_BRACE) {
        end = isData ? this.scanObject(i, true) : skipValue(text, i);
        if (end < 0) return this.failIdx(i, "unterminated object");
      } else if (c === OPEN_BRACKET) {
        end = slot === F.b || slot === F.a ? this.preLevels(slot === F.b ? 0 : 1, i) : -1;
        if (end < 0) end = skipValue(text, i);
        if (end < 0) return this.failIdx(i, "unterminated array");
        if (slot >= 0) this.record(slot, i, end, 0);
      } else {
        end = i;
        while (end < n) {
          const d = text.charCodeAt(end);
          if (d === COMMA || d === CLOSE_BRACE || d === CLOSE_BRACKET || d <= 32) break;
          end++;
        }
        if (end === i) return this.failIdx(i, "expected a value");
        if (slot >= 0) this.record(slot, i, end, 0);
      }
      i = skipWs(text, end);
      const sep = text.charCodeAt(i);
      if (sep === COMMA) {
        i = skipWs(text, i + 1);
        continue;
      }
      if (sep === CLOSE_BRACE) return i + 1;
      return this.failIdx(i, "expected ',' or '}'");
    }
  }

  private record(slot: number, start: number, end: number, quoted: number): void {
    // A key seen twice (the envelope's and the event's) keeps the inner one: nested objects are scanned later.
    this.starts[slot] = start;
    this.ends[slot] = end;
    this.quoted[slot] = quoted;
  }

  /**
   * Reads the level array at `i` into pre[k]; returns the index after it (what skipValue returns for it: a level
   * that parses holds only digits, '.', '-' in its strings), or -1 when it does not parse (skipValue then).
   */
  private preLevels(k: number, i: number): number {
    const buf = this.pre[k];
    buf.n = 0;
    buf.unsafe = false;
    try {
      const end = levelsIn(this.text, i, this.text.length, buf, k + 1);
      this.preStart[k] = i;
      return end;
    } catch {
      this.preStart[k] = -1;
      return -1;
    }
  }

  private failIdx(at: number, reason: string): number {
    this.fail(at, reason);
    return -1;
  }

  has(slot: number): boolean {
    return this.starts[slot] >= 0;
  }

  /** The raw text of a field ("" when absent). Allocates: for symbols and error facts, not for numbers. */
  str(slot: number): string {
    const s = this.starts[slot];
    return s < 0 ? "" : this.text.slice(s, this.ends[slot]);
  }

  /** A non-negative integer field (ids, ms times) as a Number; exact: more than 15 digits is refused. */
  int(slot: number): number {
    const s = this.starts[slot];
    if (s < 0) throw this.error("MissingField", slotName(slot));
    const e = this.ends[slot];
    if (e - s > 15 || e === s) throw this.error("BadInteger", slotName(slot));
    let v = 0;
    for (let i = s; i < e; i++) {
      const d = this.text.charCodeAt(i) - ZERO;
      if (d < 0 || d > 9) throw this.error("BadInteger", slotName(slot));
      v = v * 10 + d;
    }
    return v;
  }

  /** An integer field, or -1 when absent. */
  intOr(slot: number): number {
    return this.starts[slot] < 0 ? -1 : this.int(slot);
  }

  /** A millisecond time field as bigint nanoseconds, 0n when absent. */
  msAsNs(slot: number): bigint {
    return this.starts[slot] < 0 ? 0n : BigInt(this.int(slot)) * 1_000_000n;
  }

  bool(slot: number): boolean {
    const s = this.starts[slot];
    if (s < 0) throw this.error("MissingField", slotName(slot));
    return this.text.charCodeAt(s) === 116; // t(rue)
  }

  /** A decimal-string field as an e8 bigint (exact or BinanceParseError PrecisionLoss). */
  e8(slot: number): bigint {
    const s = this.starts[slot];
    if (s < 0) throw this.error("MissingField", slotName(slot));
    return parseE8(this.text, s, this.ends[slot]);
  }

  /**
   * A decimal-string field as an exact e8 Number, NaN when it is beyond what a double holds exactly (|v| >= 2^53:
   * the caller then takes the bigint path, e8()). Same errors as e8().
   */
  e8n(slot: number): number {
    const s = this.starts[slot];
    if (s < 0) throw this.error("MissingField", slotName(slot));
    return parseE8Num(this.text, s, this.ends[slot]);
  }

  /** A millisecond time field as a Number of ms (exact), -1 when absent. */
  ms(slot: number): number {
    return this.starts[slot] < 0 ? -1 : this.int(slot);
  }

  /** ms() that does not throw: -1 when absent, NaN when not a valid integer field. */
  msOrNaN(slot: number): number {
    const s = this.starts[slot];
    if (s < 0) return -1;
    const e = this.ends[slot];
    if (e - s > 15 || e === s) return Number.NaN;
    let v = 0;
    for (let i = s; i < e; i++) {
      const d = this.text.charCodeAt(i) - ZERO;
      if (d < 0 || d > 9) return Number.NaN;
      v = v * 10 + d;
    }
    return v;
  }

  /**
   * Appends the `["price","size"]` pairs of the array field (`b` or `a`) to `out` as exact e8 Numbers with `side`;
   * sets out.unsafe when a value does not fit (the caller re-reads the message with forEachLevel and bigints).
   * Same validation and errors, in the same order, as forEachLevel.
   */
  levelsInto(slot: number, out: LevelBuffer, side: number): void {
    const s = this.starts[slot];
    if (s < 0) throw this.error("MissingField", slotName(slot));
    const k = slot === F.b ? 0 : slot === F.a ? 1 : -1;
    if (k >= 0 && this.preStart[k] === s) {
      // read during scan(): the same levels levelsIn would read now
      const pre = this.pre[k];
      const prices = out.prices;
      const sizes = out.sizes;
      const sides = out.sides;
      let n = out.n;
      for (let j = 0; j < pre.n; j++, n++) {
        prices[n] = pre.prices[j];
        sizes[n] = pre.sizes[j];
        sides[n] = side;
      }
      out.n = n;
      if (pre.unsafe) out.unsafe = true;
      return;
    }
    levelsIn(this.text, s, this.ends[slot], out, side);
  }

  /**
   * Calls `onLevel(price, size)` for each `["price","size"]` pair of the array field (`b` or `a`), in order.
   * Returns the number of levels. Throws BinanceParseError on malformed text or precision loss.
   */
  forEachLevel(slot: number, onLevel: (price: bigint, size: bigint) => void): number {
    const s = this.starts[slot];
    if (s < 0) throw this.error("MissingField", slotName(slot));
    return forEachLevelIn(this.text, s, this.ends[slot], onLevel);
  }

  error(code: string, field: string): BinanceParseError {
    return new BinanceParseError({
      code,
      message: `${code === "MissingField" ? "missing" : "malformed"} field "${field}" in a Binance message`,
      facts: { field, excerpt: this.text.slice(0, 120) },
      hint: "the message is counted as a parse error and skipped",
    });
  }
}

export const Field = F;

const SLOT_NAMES = Object.fromEntries(Object.entries(F).map(([k, v]) => [v, k])) as Record<number, string>;
function slotName(slot: number): string {
  return SLOT_NAMES[slot] ?? String(slot);
}

function skipWs(text: string, i: number): number {
  while (i < text.length && text.charCodeAt(i) <= 32) i++;
  return i;
}

/** Index of the closing quote of a string whose content starts at `i`, honouring backslash escapes. */
function stringEnd(text: string, i: number): number {
  for (;;) {
    const q = text.indexOf('"', i);
    if (q < 0) return -1;
    let k = q - 1;
    let backslashes = 0;
    while (k >= i && text.charCodeAt(k) === BACKSLASH) {
      backslashes++;
      k--;
    }
    if ((backslashes & 1) === 0) return q;
    i = q + 1;
  }
}

/** Index after the object or array starting at `i` (strings honoured), or -1. */
function skipValue(text: string, i: number): number {
  let depth = 0;
  const n = text.length;
  for (; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === Q) {
      i = stringEnd(text, i + 1);
      if (i < 0) return -1;
    } else if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
    else if (c === CLOSE_BRACE || c === CLOSE_BRACKET) {
      if (--depth === 0) return i + 1;
    }
  }
  return -1;
}

/**
 * Decimal text [start, end) -> e8 bigint. The digits are scanned (and every error raised) by parseE8Num; only an
 * integer part above FAST_WHOLE_MAX, where the Number may not be exact, is rebuilt from the already-checked text
 * through BigInt. Non-zero digits past the eighth decimal are PrecisionLoss (PROTOCOL.md §1: an error, never
 * rounded); signs (a price or size is never negative), exponents and empty parts are NotADecimal.
 */
export function parseE8(text: string, start: number, end: number): bigint {
  const n = parseE8Num(text, start, end);
  if (!Number.isNaN(n)) return BigInt(n);
  // Wide: the text is valid (parseE8Num checked it), so the integer digits and the first eight fraction digits
  // (any further ones are zeros), padded to eight, are the e8 value's digits.
  const dot = text.indexOf(".", start);
  if (dot < 0 || dot >= end) return BigInt(text.slice(start, end)) * E8;
  return BigInt(text.slice(start, dot) + text.slice(dot + 1, Math.min(dot + 9, end)).padEnd(8, "0"));
}

/**
 * Decimal text [start, end) -> e8 value as an exact integer double (no bigint allocation: BigInt() was ~10% of the
 * collector's profile), digit by digit: the integer part and eight fraction digits are accumulated as integers
 * (exact while below 2^53, which FAST_WHOLE_MAX guarantees). NaN when the integer part exceeds FAST_WHOLE_MAX (the
 * value may not be exact as a double): the caller falls back to parseE8. Errors as parseE8's.
 */
export function parseE8Num(text: string, start: number, end: number): number {
  let whole = 0;
  let i = start;
  let wholeDigits = 0;
  for (; i < end; i++) {
    const d = text.charCodeAt(i) - ZERO;
    if (d < 0 || d > 9) break;
    whole = whole * 10 + d;
    wholeDigits++;
  }
  let frac = 0;
  let fracDigits = 0;
  if (i < end && text.charCodeAt(i) === DOT) {
    i++;
    for (; i < end; i++) {
      const d = text.charCodeAt(i) - ZERO;
      if (d < 0 || d > 9) break;
      if (fracDigits < 8) frac = frac * 10 + d;
      else if (d !== 0) throw precisionLoss(text, start, end);
      fracDigits++;
    }
    if (fracDigits === 0) throw notADecimal(text, start, end);
  }
  if (i !== end || wholeDigits === 0) throw notADecimal(text, start, end);
  if (whole > FAST_WHOLE_MAX) return Number.NaN;
  if (fracDigits < 8) frac *= POW10[8 - fracDigits];
  const v = whole * 100_000_000 + frac;
  return v;
}

/** Parsed depth levels of one event as exact e8 Numbers (reused across messages). */
export interface LevelBuffer {
  prices: number[];
  sizes: number[];
  sides: number[];
  n: number;
  /** A value did not fit a Number exactly: the event must be re-read with bigints. */
  unsafe: boolean;
}

/**
 * forEachLevelIn for Numbers, into `out`: the same grammar, checks and errors, in the same order. Returns the index
 * after the array's closing bracket.
 */
function levelsIn(text: string, start: number, end: number, out: LevelBuffer, side: number): number {
  let i = skipWs(text, start + 1);
  if (text.charCodeAt(i) === CLOSE_BRACKET) return i + 1;
  const prices = out.prices;
  const sizes = out.sizes;
  const sides = out.sides;
  for (;;) {
    if (text.charCodeAt(i) !== OPEN_BRACKET) throw malformedLevels(text, i);
    const levelStart = i;
    i = skipWs(text, i + 1);
    if (text.charCodeAt(i) !== Q) throw malformedLevels(text, i);
    const pEnd = quoteAfter(text, i + 1, end);
    if (pEnd < 0) throw malformedLevels(text, i);
    const price = parseE8Num(text, i + 1, pEnd);
    i = skipWs(text, pEnd + 1);
    if (text.charCodeAt(i) !== COMMA) throw malformedLevels(text, i);
    i = skipWs(text, i + 1);
    if (text.charCodeAt(i) !== Q) throw malformedLevels(text, i);
    const qEnd = quoteAfter(text, i + 1, end);
    if (qEnd < 0) throw malformedLevels(text, i);
    const size = parseE8Num(text, i + 1, qEnd);
    i = skipWs(text, qEnd + 1);
    if (text.charCodeAt(i) === COMMA) {
      const after = skipValue(text, levelStart);
      if (after < 0 || after > end) throw malformedLevels(text, i);
      i = after - 1;
    }
    if (text.charCodeAt(i) !== CLOSE_BRACKET) throw malformedLevels(text, i);
    if (Number.isNaN(price) || Number.isNaN(size)) out.unsafe = true;
    const k = out.n++;
    prices[k] = price;
    sizes[k] = size;
    sides[k] = side;
    i = skipWs(text, i + 1);
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      i = skipWs(text, i + 1);
      continue;
    }
    if (c === CLOSE_BRACKET) return i + 1;
    throw malformedLevels(text, i);
  }
}

/**
 * text.indexOf('"', from) limited to `end` (-1 past it), as a loop: a price or size is ~8-15 characters, where the
 * native indexOf call costs more than the scan.
 */
function quoteAfter(text: string, from: number, end: number): number {
  for (let k = from; k < end; k++) if (text.charCodeAt(k) === Q) return k;
  return -1;
}

function forEachLevelIn(
  text: string,
  start: number,
  end: number,
  onLevel: (price: bigint, size: bigint) => void,
): number {
  // [["61737.63000000","0.00000000"],["61730.17000000","0.00000000"]]  (whitespace tolerated)
  let i = skipWs(text, start + 1);
  let count = 0;
  if (text.charCodeAt(i) === CLOSE_BRACKET) return 0;
  for (;;) {
    if (text.charCodeAt(i) !== OPEN_BRACKET) throw malformedLevels(text, i);
    const levelStart = i;
    i = skipWs(text, i + 1);
    if (text.charCodeAt(i) !== Q) throw malformedLevels(text, i);
    const pEnd = text.indexOf('"', i + 1);
    if (pEnd < 0 || pEnd >= end) throw malformedLevels(text, i);
    const price = parseE8(text, i + 1, pEnd);
    i = skipWs(text, pEnd + 1);
    if (text.charCodeAt(i) !== COMMA) throw malformedLevels(text, i);
    i = skipWs(text, i + 1);
    if (text.charCodeAt(i) !== Q) throw malformedLevels(text, i);
    const qEnd = text.indexOf('"', i + 1);
    if (qEnd < 0 || qEnd >= end) throw malformedLevels(text, i);
    const size = parseE8(text, i + 1, qEnd);
    i = skipWs(text, qEnd + 1);
    // Binance levels are pairs; tolerate (skip) extra elements as older API versions sent `[]` tails.
    if (text.charCodeAt(i) === COMMA) {
      const after = skipValue(text, levelStart);
      if (after < 0 || after > end) throw malformedLevels(text, i);
      i = after - 1;
    }
    if (text.charCodeAt(i) !== CLOSE_BRACKET) throw malformedLevels(text, i);
    onLevel(price, size);
    count++;
    i = skipWs(text, i + 1);
    const c = text.charCodeAt(i);
    if (c === COMMA) {
      i = skipWs(text, i + 1);
      continue;
    }
    if (c === CLOSE_BRACKET) return count;
    throw malformedLevels(text, i);
  }
}

function excerpt(text: string, start: number, end: number): string {
  const s = text.slice(start, Math.min(end, start + 40));
  return s;
}

function precisionLoss(text: string, start: number, end: number): BinanceParseError {
  return new BinanceParseError({
    code: "PrecisionLoss",
    message: `"${excerpt(text, start, end)}" has more than 8 decimals`,
    facts: { input: excerpt(text, start, end), decimals: 8 },
    likelyCause: "the venue sent more precision than the e8 wire scale holds",
    hint: "refused, never rounded: the message is counted as a precision error and skipped",
  });
}

function notADecimal(text: string, start: number, end: number): BinanceParseError {
  return new BinanceParseError({
    code: "NotADecimal",
    message: `"${excerpt(text, start, end)}" is not a plain decimal number`,
    facts: { input: excerpt(text, start, end) },
    hint: 'Binance sends prices and sizes as decimal strings like "61737.63000000"',
  });
}

function malformedLevels(text: string, at: number): BinanceParseError {
  return new BinanceParseError({
    code: "MalformedLevels",
    message: "a depth level array is not [[price, size], ...]",
    facts: { offset: at, excerpt: text.slice(Math.max(0, at - 20), at + 20) },
    hint: "the message is counted as a parse error and skipped",
  });
}

export interface DepthSnapshot {
  lastUpdateId: number;
  /** Best first: bids descending, asks ascending (as Binance sends them). */
  bids: { price: bigint; size: bigint }[];
  asks: { price: bigint; size: bigint }[];
}

/**
 * A REST depth body (`/api/v3/depth`, `/fapi/v1/depth`): `{"lastUpdateId":N,["E":..,"T":..,]"bids":[..],"asks":[..]}`,
 * read textually like the stream messages. Throws BinanceParseError.
 */
export function parseDepthSnapshot(text: string): DepthSnapshot {
  const out: DepthSnapshot = { lastUpdateId: 0, bids: [], asks: [] };
  out.lastUpdateId = readDepthSnapshot(text, (side, at, end) => {
    const levels = side === 0 ? out.bids : out.asks;
    forEachLevelIn(text, at, end, (price, size) => levels.push({ price, size }));
  });
  return out;
}

/**
 * parseDepthSnapshot into two LevelBuffers of exact e8 Numbers (no bigint, no object per level: the 1000+1000-level
 * snapshot, with a fresh normalizer, loads in ~330 instead of ~440 us: about JSON.parse of the body). Returns lastUpdateId; the same checks and errors in the same order.
 * A buffer with `unsafe` set holds a value beyond 2^53: read the body again with parseDepthSnapshot.
 */
export function parseDepthSnapshotInto(text: string, bids: LevelBuffer, asks: LevelBuffer): number {
  bids.n = 0;
  bids.unsafe = false;
  asks.n = 0;
  asks.unsafe = false;
  return readDepthSnapshot(text, (side, at, end) => {
    if (side === 0) levelsIn(text, at, end, bids, 1);
    else levelsIn(text, at, end, asks, 2);
  });
}

/** lastUpdateId, then `onSide(0, at, end)` for "bids" and `onSide(1, ...)` for "asks" (errors in that order). */
function readDepthSnapshot(text: string, onSide: (side: number, at: number, end: number) => void): number {
  const idAt = keyValueStart(text, "lastUpdateId");
  let idEnd = idAt;
  while (idEnd < text.length && text.charCodeAt(idEnd) >= ZERO && text.charCodeAt(idEnd) <= ZERO + 9) idEnd++;
  if (idAt < 0 || idEnd === idAt || idEnd - idAt > 15) {
    throw new BinanceParseError({
      code: "BadSnapshot",
      message: "depth snapshot without a usable lastUpdateId",
      facts: { excerpt: text.slice(0, 120) },
      likelyCause: "the REST call answered an error body (rate limit, unknown symbol) instead of a book",
      hint: "the snapshot is retried with backoff",
    });
  }
  const lastUpdateId = Number(text.slice(idAt, idEnd));
  const sides = ["bids", "asks"] as const;
  for (let k = 0; k < 2; k++) {
    const side = sides[k];
    const at = keyValueStart(text, side);
    const end = at < 0 ? -1 : skipValue(text, at);
    if (end < 0) {
      throw new BinanceParseError({
        code: "BadSnapshot",
        message: `depth snapshot without "${side}"`,
        facts: { excerpt: text.slice(0, 120) },
        hint: "the snapshot is retried with backoff",
      });
    }
    onSide(k, at, end);
  }
  return lastUpdateId;
}

/** Index of the value of top-level-ish key `"key":` (first occurrence), or -1. */
function keyValueStart(text: string, key: string): number {
  const k = text.indexOf(`"${key}"`);
  if (k < 0) return -1;
  let i = skipWs(text, k + key.length + 2);
  if (text.charCodeAt(i) !== COLON) return -1;
  i = skipWs(text, i + 1);
  return i;
}
