/**
 * The Binance collector's fast path: one pass over a market-data message in the exact compact form Binance sends,
 * reading every field the normaliser uses straight into numbers (e8 prices and sizes, ms times, update ids) and the
 * depth levels into a reused LevelBuffer. No substring, no object, no bigint, no closure per message.
 *
 * Accepted: `{"stream":"<name>","data":{<event>}}` (combined streams) or a bare `{<event>}`, where <event> is a
 * depthUpdate, trade, aggTrade or bookTicker (with or without "e") object of `"key":value` pairs without whitespace,
 * in any order, each key at most once. Values the normaliser reads must have the form Binance sends (decimal strings
 * of digits with an optional fraction, integers of 1-15 digits, true/false, arrays of `["price","size"]` pairs);
 * other keys may carry strings without escapes, numbers, true/false/null.
 *
 * Anything else returns FastKind.Miss and the message takes the general path (BinanceScanner), which reads every
 * valid JSON form and raises the typed errors: whitespace, escapes, nested objects, duplicate keys, unknown events,
 * a value beyond 2^53 at e8 (whose integer part exceeds FAST_WHOLE_MAX), a '-' sign, more than 8 non-zero
 * decimals, a malformed field. So for every message it accepts, the fast path yields exactly the values the
 * general path reads (test/behavior/adapters/binance/fast-path.test.ts checks this on every captured message and on
 * generated ones), and it never has to refuse anything itself.
 */
import type { LevelBuffer } from "./parsing.ts";

export const FastKind = { Miss: 0, Depth: 1, Trade: 2, BookTicker: 3 } as const;
export type FastKind = (typeof FastKind)[keyof typeof FastKind];

// Character codes: module-local constants, also in parsing.ts on purpose (imported from a shared
// module they measured ~2% slower on the trade/bookTicker bench).
const Q = 34; // "
const BACKSLASH = 92;
const COLON = 58;
const COMMA = 44;
const OPEN_BRACE = 123;
const CLOSE_BRACE = 125;
const OPEN_BRACKET = 91;
const CLOSE_BRACKET = 93;
const DOT = 46;
const ZERO = 48;

/**
 * The largest e8 value the general path keeps as a Number: its integer part at most FAST_WHOLE_MAX (90,071,991,
 * parsing.ts), fraction at most 99,999,999. Larger values go to the general path (bigints).
 */
const MAX_E8 = 9_007_199_199_999_999;
const MAX_SAFE = Number.MAX_SAFE_INTEGER;
const SCALE = [100_000_000, 10_000_000, 1_000_000, 100_000, 10_000, 1000, 100, 10, 1];

/** Keys the normaliser reads: bit per key, so a second occurrence is seen (and sent to the general path). */
const K_e = 1;
const K_E = 2;
const K_T = 4;
const K_s = 8;
const K_U = 16;
const K_u = 32;
const K_pu = 64;
const K_b = 128;
const K_a = 256;
const K_B = 512;
const K_A = 1024;
const K_p = 2048;
const K_q = 4096;
const K_m = 8192;
/** `b` / `a` held a level array (else a decimal string). */
const B_LEVELS = 16384;
const A_LEVELS = 32768;
/** `a` held a plain number (aggTrade's aggregate trade id): fine for a trade, not for a book. */
const A_NUMBER = 65536;

const STREAM_OPEN = '{"stream":"';
const PREFIX_SLOTS = 16;
const DATA_OPEN = '","data":{"';

const EV_DEPTH = 1;
const EV_TRADE = 2;
const EV_AGG = 3;
const EV_TICKER = 4;

const DEPTH_NEEDS = K_s | K_U | K_u | K_b | K_a | B_LEVELS | A_LEVELS;
const TRADE_NEEDS = K_s | K_p | K_q | K_m;
const TICKER_NEEDS = K_s | K_b | K_B | K_a | K_A;

/** The value read by the last readE8 / readInt (a module slot: a call returns the index, this the value). */
let num = 0;

/**
 * A decimal string's content at `i` (after its opening quote) as an exact e8 Number: digits, optionally '.' and
 * digits, non-zero digits at most 8 after the point. Returns the index after the closing quote, or -1 (other form,
 * or beyond MAX_E8) for the general path, which reads the same text the same way or raises its typed error.
 */
function readE8(text: string, i: number): number {
  let d = text.charCodeAt(i) - ZERO;
  if (!(d >= 0 && d <= 9)) return -1;
  let v = 0;
  do {
    v = v * 10 + d;
    d = text.charCodeAt(++i) - ZERO;
  } while (d >= 0 && d <= 9);
  let scale = 100_000_000;
  if (d === DOT - ZERO) {
    d = text.charCodeAt(++i) - ZERO;
    if (!(d >= 0 && d <= 9)) return -1;
    let fd = 0;
    do {
      if (fd < 8) {
        v = v * 10 + d;
        fd++;
      } else if (d !== 0) return -1; // precision beyond e8: the general path refuses it
      d = text.charCodeAt(++i) - ZERO;
    } while (d >= 0 && d <= 9);
    scale = SCALE[fd];
  }
  // v is exact while every partial value stays below 2^53; once one does not, v >= 2^53 from then on (rounding is
  // monotonic), so `v <= MAX_SAFE` proves v exact, and the product is exact whenever it is <= MAX_E8 < 2^53.
  if (d !== Q - ZERO || v > MAX_SAFE) return -1;
  v *= scale;
  if (v > MAX_E8) return -1;
  num = v;
  return i + 1;
}

/** An unquoted integer of 1-15 digits at `i` (as BinanceScanner.int reads it). Returns the index after it, or -1. */
function readInt(text: string, i: number): number {
  const start = i;
  let v = 0;
  let d = text.charCodeAt(i) - ZERO;
  while (d >= 0 && d <= 9) {
    v = v * 10 + d;
    d = text.charCodeAt(++i) - ZERO;
  }
  if (i === start || i - start > 15) return -1;
  num = v;
  return i;
}

/** A string's content at `i` without escapes: the index of its closing quote, or -1. */
function stringEnd(text: string, i: number): number {
  for (;;) {
    const c = text.charCodeAt(i);
    if (c === Q) return i;
    if (c === BACKSLASH || Number.isNaN(c)) return -1; // an escape, or the end of the text (NaN)
    i++;
  }
}

/** A value the normaliser does not read, at `i`: a string without escapes or a bare token. Index after it, or -1. */
function skipSimple(text: string, i: number): number {
  const c = text.charCodeAt(i);
  if (c === Q) {
    const e = stringEnd(text, i + 1);
    return e < 0 ? -1 : e + 1;
  }
  if (c === OPEN_BRACE || c === OPEN_BRACKET) return -1;
  const start = i;
  // the usual case, a number (a trade id): its digits, then a separator
  let d = c - ZERO;
  while (d >= 0 && d <= 9) d = text.charCodeAt(++i) - ZERO;
  if ((d === COMMA - ZERO || d === CLOSE_BRACE - ZERO) && i > start) return i;
  for (;;) {
    const d = text.charCodeAt(i);
    if (d === COMMA || d === CLOSE_BRACE || Number.isNaN(d)) break;
    if (d <= 32 || d === Q || d === CLOSE_BRACKET || d === OPEN_BRACE || d === OPEN_BRACKET) return -1;
    i++;
  }
  return i === start ? -1 : i;
}

/**
 * `[["p","q"],...]` at `i` appended to `out` with `side`. Returns the index after the closing bracket, or -1
 * (out.n may then have grown: the caller resets it).
 */
function readLevels(text: string, i: number, out: LevelBuffer, side: number): number {
  if (text.charCodeAt(++i) === CLOSE_BRACKET) return i + 1;
  const prices = out.prices;
  const sizes = out.sizes;
  const sides = out.sides;
  let n = out.n;
  for (;;) {
    if (text.charCodeAt(i) !== OPEN_BRACKET || text.charCodeAt(i + 1) !== Q) return -1;
    i = readE8(text, i + 2);
    if (i < 0) return -1;
    const price = num;
    if (text.charCodeAt(i) !== COMMA || text.charCodeAt(i + 1) !== Q) return -1;
    i = readE8(text, i + 2);
    if (i < 0 || text.charCodeAt(i) !== CLOSE_BRACKET) return -1;
    prices[n] = price;
    sizes[n] = num;
    sides[n] = side;
    n++;
    const c = text.charCodeAt(i + 1);
    i += 2;
    if (c === COMMA) continue;
    if (c === CLOSE_BRACKET) break;
    return -1;
  }
  out.n = n;
  return i;
}

export class BinanceFastReader {
  /** The last message read. */
  text = "";
  /** Where the symbol's text is (without quotes). */
  symStart = 0;
  symEnd = 0;
  /** Envelope prefixes seen (`{"stream":"<name>","data":{"`), by a hash of a few of their characters. */
  private readonly prefixes: string[] = new Array(PREFIX_SLOTS).fill("");
  /** Set by the normaliser: the symbol of its last message. */
  symbolHint = "";
  /** The symbol is symbolHint. */
  sameSymbol = false;
  /** ms times, -1 when absent. */
  E = -1;
  T = -1;
  /** Update ids; pu is -1 when absent. */
  U = 0;
  u = 0;
  pu = -1;
  /** Trade: price, size (e8), buyer is maker. */
  p = 0;
  q = 0;
  m = false;
  /** bookTicker: bid price/size, ask price/size (e8). */
  b = 0;
  B = 0;
  a = 0;
  A = 0;

  /** `levels`: where a depth event's levels go (bids tagged `bidTag`, then asks `askTag`; order as sent). */
  constructor(
    private readonly levels: LevelBuffer,
    private readonly bidTag: number,
    private readonly askTag: number,
  ) {}

  /** Reads one message; FastKind.Miss: not the fast form, use the general path (nothing was changed but scratch). */
  read(text: string): FastKind {
    this.text = text;
    let i = 1;
    let envelope = false;
    // {"stream":"<name>","data":{"  One native compare with the prefix a message of the same stream had, else three
    // (instead of ~40 charCodeAt).
    const slot = (text.charCodeAt(11) * 7 + text.charCodeAt(19) * 3 + text.charCodeAt(20)) & (PREFIX_SLOTS - 1);
    const cached = this.prefixes[slot];
    if (cached !== "" && text.startsWith(cached)) {
      envelope = true;
      i = cached.length - 1;
    } else if (text.startsWith(STREAM_OPEN)) {
      // The name's end: the first quote after it, not escaped (its content is not read: escapes inside are fine).
      const e = text.indexOf('"', 11);
      if (e < 0 || text.charCodeAt(e - 1) === BACKSLASH || !text.startsWith(DATA_OPEN, e)) return FastKind.Miss;
      envelope = true;
      i = e + 10;
      if (i < 80) this.prefixes[slot] = text.slice(0, i + 1);
    } else if (text.charCodeAt(0) !== OPEN_BRACE || text.charCodeAt(1) !== Q) return FastKind.Miss;
    const lv = this.levels;
    lv.n = 0;
    lv.unsafe = false;
    let seen = 0;
    let ev = 0;
    this.E = -1;
    this.T = -1;
    this.pu = -1;
    // i: the opening quote of a key. One switch on the key's character reads its value (keys the normaliser does not
    // read: skipped); a key seen twice sends the message to the general path.
    for (;;) {
      const k1 = text.charCodeAt(i + 1);
      if (k1 === Q || k1 === BACKSLASH) return FastKind.Miss;
      if (text.charCodeAt(i + 2) === Q) {
        if (text.charCodeAt(i + 3) !== COLON) return FastKind.Miss;
        i += 4;
        switch (k1) {
          case 101: // e
            if ((seen & K_e) !== 0) return FastKind.Miss;
            seen |= K_e;
            switch (text.charCodeAt(i + 1)) {
              case 100: // d
                ev = EV_DEPTH;
                i = text.startsWith('"depthUpdate"', i) ? i + 13 : -1;
                break;
              case 116: // t
                ev = EV_TRADE;
                i = text.startsWith('"trade"', i) ? i + 7 : -1;
                break;
              case 98: // b
                ev = EV_TICKER;
                i = text.startsWith('"bookTicker"', i) ? i + 12 : -1;
                break;
              case 97: // a
                ev = EV_AGG;
                i = text.startsWith('"aggTrade"', i) ? i + 10 : -1;
                break;
              default:
                return FastKind.Miss;
            }
            break;
          case 69: // E
            if ((seen & K_E) !== 0) return FastKind.Miss;
            seen |= K_E;
            i = readInt(text, i);
            this.E = num;
            break;
          case 84: // T
            if ((seen & K_T) !== 0) return FastKind.Miss;
            seen |= K_T;
            i = readInt(text, i);
            this.T = num;
            break;
          case 115: {
            // s
            if ((seen & K_s) !== 0 || text.charCodeAt(i) !== Q) return FastKind.Miss;
            seen |= K_s;
            // the symbol of the last message again (compared as it is read: the normaliser need not compare it)
            const hint = this.symbolHint;
            const hl = hint.length;
            let e = i + 1;
            let same = true;
            for (let k = 0; ; k++, e++) {
              const c = text.charCodeAt(e);
              if (c === Q) break;
              if (c === BACKSLASH || Number.isNaN(c)) return FastKind.Miss;
              if (k >= hl || c !== hint.charCodeAt(k)) same = false;
            }
            this.sameSymbol = same && e - i - 1 === hl;
            this.symStart = i + 1;
            this.symEnd = e;
            i = e + 1;
            break;
          }
          case 85: // U
            if ((seen & K_U) !== 0) return FastKind.Miss;
            seen |= K_U;
            i = readInt(text, i);
            this.U = num;
            break;
          case 117: // u
            if ((seen & K_u) !== 0) return FastKind.Miss;
            seen |= K_u;
            i = readInt(text, i);
            this.u = num;
            break;
          case 98: {
            // b
            if ((seen & K_b) !== 0) return FastKind.Miss;
            seen |= K_b;
            const c = text.charCodeAt(i);
            if (c === Q) {
              i = readE8(text, i + 1);
              this.b = num;
            } else if (c === OPEN_BRACKET) {
              seen |= B_LEVELS;
              // levels are kept bids first: an `a` array read before would be out of order
              if ((seen & A_LEVELS) !== 0) return FastKind.Miss;
              i = readLevels(text, i, lv, this.bidTag);
            } else return FastKind.Miss;
            break;
          }
          case 97: {
            // a
            if ((seen & K_a) !== 0) return FastKind.Miss;
            seen |= K_a;
            const c = text.charCodeAt(i);
            if (c === Q) {
              i = readE8(text, i + 1);
              this.a = num;
            } else if (c === OPEN_BRACKET) {
              seen |= A_LEVELS;
              i = readLevels(text, i, lv, this.askTag);
            } else {
              seen |= A_NUMBER;
              i = skipSimple(text, i);
            }
            break;
          }
          case 66: // B
            if ((seen & K_B) !== 0 || text.charCodeAt(i) !== Q) return FastKind.Miss;
            seen |= K_B;
            i = readE8(text, i + 1);
            this.B = num;
            break;
          case 65: // A
            if ((seen & K_A) !== 0 || text.charCodeAt(i) !== Q) return FastKind.Miss;
            seen |= K_A;
            i = readE8(text, i + 1);
            this.A = num;
            break;
          case 112: // p
            if ((seen & K_p) !== 0 || text.charCodeAt(i) !== Q) return FastKind.Miss;
            seen |= K_p;
            i = readE8(text, i + 1);
            this.p = num;
            break;
          case 113: // q
            if ((seen & K_q) !== 0 || text.charCodeAt(i) !== Q) return FastKind.Miss;
            seen |= K_q;
            i = readE8(text, i + 1);
            this.q = num;
            break;
          case 109: // m
            if ((seen & K_m) !== 0) return FastKind.Miss;
            seen |= K_m;
            if (
              text.charCodeAt(i) === 116 &&
              text.charCodeAt(i + 1) === 114 &&
              text.charCodeAt(i + 2) === 117 &&
              text.charCodeAt(i + 3) === 101
            ) {
              this.m = true;
              i += 4;
            } else if (
              text.charCodeAt(i) === 102 &&
              text.charCodeAt(i + 1) === 97 &&
              text.charCodeAt(i + 2) === 108 &&
              text.charCodeAt(i + 3) === 115 &&
              text.charCodeAt(i + 4) === 101
            ) {
              this.m = false;
              i += 5;
            } else return FastKind.Miss;
            break;
          default:
            i = skipSimple(text, i);
        }
      } else if (k1 === 112 && text.charCodeAt(i + 2) === 117 && text.charCodeAt(i + 3) === Q) {
        // pu
        if ((seen & K_pu) !== 0 || text.charCodeAt(i + 4) !== COLON) return FastKind.Miss;
        seen |= K_pu;
        i = readInt(text, i + 5);
        this.pu = num;
      } else {
        const e = stringEnd(text, i + 1);
        if (e < 0) return FastKind.Miss;
        // "data"/"stream" and the like inside a bare event change what the general path records: not here
        if (!envelope && e - i - 1 > 2) return FastKind.Miss;
        if (text.charCodeAt(e + 1) !== COLON) return FastKind.Miss;
        i = skipSimple(text, e + 2);
      }
      if (i < 0) return FastKind.Miss;
      const c = text.charCodeAt(i);
      if (c === COMMA) {
        if (text.charCodeAt(++i) !== Q) return FastKind.Miss;
        continue;
      }
      if (c !== CLOSE_BRACE) return FastKind.Miss;
      i++;
      break;
    }
    if (envelope) {
      if (text.charCodeAt(i) !== CLOSE_BRACE) return FastKind.Miss;
      i++;
    }
    if (i !== text.length) return FastKind.Miss;
    switch (ev) {
      case EV_DEPTH:
        return (seen & DEPTH_NEEDS) === DEPTH_NEEDS ? FastKind.Depth : FastKind.Miss;
      case EV_TRADE:
      case EV_AGG:
        return (seen & TRADE_NEEDS) === TRADE_NEEDS ? FastKind.Trade : FastKind.Miss;
      case EV_TICKER:
        return (seen & (TICKER_NEEDS | B_LEVELS | A_LEVELS | A_NUMBER)) === TICKER_NEEDS
          ? FastKind.BookTicker
          : FastKind.Miss;
      default:
        // spot bookTicker: no "e"; the general path's rule (u, s, B, A and a string b), and a string a
        return (seen & (TICKER_NEEDS | K_u | B_LEVELS | A_LEVELS | A_NUMBER)) === (TICKER_NEEDS | K_u)
          ? FastKind.BookTicker
          : FastKind.Miss;
    }
  }
}
