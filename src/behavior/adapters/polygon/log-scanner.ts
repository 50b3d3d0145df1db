/**
 * The Polygon collector's fast path over the JSON-RPC text: one log object read in place (no JSON.parse, no
 * substring, no object per message) into a reused LogScan of positions and small quantities. The encoder
 * (PoolEventEncoder.encodeText) then writes the event TLV from those positions.
 *
 * The scanner accepts only the plain shape nodes send: a log object whose keys are among address, topics, data,
 * blockNumber, blockHash, blockTimestamp, transactionHash, transactionIndex, logIndex and removed (any order, each
 * once, optional JSON whitespace between tokens), string values without escapes, hex quantities of at most 13
 * digits, removed as a literal. Anything else (another key, a duplicate key, an escape, a number, null, more than
 * four topics, a quantity that is not "0x" + 1..13 hex digits) returns -1 and the caller gives the whole message to
 * the JSON.parse path, so what is published never depends on which path read it.
 *
 * Characters are validated where they are used: the address and topic0 are compared in full with the known pools
 * and events, every other topic and the hashes are checked as 64 hex digits (by the encoder, which decodes the
 * ones it uses), the data's digits are all read or compared. A string the scanner skips therefore never hides a
 * quote or a control character that would make the text invalid JSON.
 */

const QUOTE = 34;
const COMMA = 44;
const COLON = 58;
const LBRACE = 123;
const RBRACE = 125;
const LBRACKET = 91;
const RBRACKET = 93;
const ZERO = 48;
const X = 120;

/** Value of each hex digit's UTF-16 code, -1 for anything else (64 KiB, so no range test per char). */
export const HEX_VALUE = (() => {
  const t = new Int8Array(65536).fill(-1);
  for (let i = 0; i < 10; i++) t[48 + i] = i;
  for (let i = 0; i < 6; i++) {
    t[65 + i] = 10 + i;
    t[97 + i] = 10 + i;
  }
  return t;
})();

/** Where the fields of the last scanned log are. Positions index the text; -1 when absent. */
export class LogScan {
  /** The address's "0x". */
  address = -1;
  /** Each topic's "0x" (a 66-character string; its digits are checked by the encoder). */
  readonly topics = new Int32Array(4);
  topicCount = 0;
  /** The data's "0x" and its closing quote. */
  data = -1;
  dataEnd = -1;
  blockNumber = -1;
  logIndex = -1;
  /** Seconds, or -1 without blockTimestamp. */
  blockTimestamp = -1;
  /** The transaction hash's "0x" (66 characters). */
  transactionHash = -1;
  /** The block hash's "0x" (66 characters), or -1. */
  blockHash = -1;
  removed = false;
  /** The value of the last quantity read (scratch of quantity()). */
  q = 0;
}

/** Key ids: bit positions in the "seen" mask. */
const K_ADDRESS = 0;
const K_TOPICS = 1;
const K_DATA = 2;
const K_BLOCK_NUMBER = 3;
const K_BLOCK_HASH = 4;
const K_BLOCK_TIMESTAMP = 5;
const K_TX_HASH = 6;
const K_TX_INDEX = 7;
const K_LOG_INDEX = 8;
const K_REMOVED = 9;
/** address, topics, data, blockNumber, transactionHash, logIndex: without one the JSON.parse path decides. */
const REQUIRED =
  (1 << K_ADDRESS) | (1 << K_TOPICS) | (1 << K_DATA) | (1 << K_BLOCK_NUMBER) | (1 << K_TX_HASH) | (1 << K_LOG_INDEX);

/** Each key with its quotes, as compared by one startsWith. */
const KEY_TEXT = [
  '"address"',
  '"topics"',
  '"data"',
  '"blockNumber"',
  '"blockHash"',
  '"blockTimestamp"',
  '"transactionHash"',
  '"transactionIndex"',
  '"logIndex"',
  '"removed"',
];

/** The key id for the key whose opening quote is at `p` (from two or three characters; then compared in full). */
function keyId(t: string, p: number): number {
  switch (t.charCodeAt(p + 1)) {
    case 97: // a
      return K_ADDRESS;
    case 100: // d
      return K_DATA;
    case 108: // l
      return K_LOG_INDEX;
    case 114: // r
      return K_REMOVED;
    case 98: {
      // blockNumber / blockHash / blockTimestamp
      const c = t.charCodeAt(p + 6);
      return c === 78 ? K_BLOCK_NUMBER : c === 72 ? K_BLOCK_HASH : c === 84 ? K_BLOCK_TIMESTAMP : -1;
    }
    case 116: {
      // topics / transactionHash / transactionIndex
      const c = t.charCodeAt(p + 2);
      if (c === 111) return K_TOPICS;
      if (c !== 114) return -1;
      const d = t.charCodeAt(p + 12);
      return d === 72 ? K_TX_HASH : d === 73 ? K_TX_INDEX : -1;
    }
  }
  return -1;
}

function isSpace(c: number): boolean {
  return c === 32 || c === 10 || c === 13 || c === 9;
}

/** The first position at or after p that is not JSON whitespace. */
export function skipSpace(t: string, p: number): number {
  while (isSpace(t.charCodeAt(p))) p++;
  return p;
}

/**
 * The quoted hex quantity at p ('"0x' + 1..13 digits + '"') into `s.q`; returns the position after the closing
 * quote, or -1. (Scratch in the record, not a module variable: module `let`s cost a scope lookup per access.)
 */
function quantity(t: string, p: number, s: LogScan): number {
  if (t.charCodeAt(p) !== QUOTE || t.charCodeAt(p + 1) !== ZERO || t.charCodeAt(p + 2) !== X) return -1;
  let c = p + 3;
  let v = 0;
  for (;;) {
    const d = HEX_VALUE[t.charCodeAt(c)];
    if (d < 0) break;
    v = v * 16 + d;
    c++;
  }
  const n = c - p - 3;
  if (n < 1 || n > 13 || t.charCodeAt(c) !== QUOTE) return -1;
  s.q = v;
  return c + 1;
}

/** A 66-character string '"0x' + 64 + '"' at p (digits not checked here); returns its "0x" position or -1. */
function word(t: string, p: number): number {
  return t.charCodeAt(p) === QUOTE &&
    t.charCodeAt(p + 1) === ZERO &&
    t.charCodeAt(p + 2) === X &&
    t.charCodeAt(p + 67) === QUOTE
    ? p + 1
    : -1;
}

/**
 * Scans the log object whose "{" is at p into `s`. Returns the position after its "}", or -1 for anything outside
 * the fast shape (the caller then takes the JSON.parse path).
 */
export function scanLog(t: string, p: number, s: LogScan): number {
  if (t.charCodeAt(p) !== LBRACE) return -1;
  s.blockTimestamp = -1;
  s.blockHash = -1;
  s.removed = false;
  s.topicCount = 0;
  let seen = 0;
  p++;
  for (;;) {
    if (t.charCodeAt(p) !== QUOTE) {
      p = skipSpace(t, p);
      if (t.charCodeAt(p) !== QUOTE) return -1;
    }
    const id = keyId(t, p);
    if (id < 0 || seen & (1 << id)) return -1;
    seen |= 1 << id;
    const key = KEY_TEXT[id];
    if (!t.startsWith(key, p)) return -1;
    p += key.length;
    if (t.charCodeAt(p) !== COLON) {
      p = skipSpace(t, p);
      if (t.charCodeAt(p) !== COLON) return -1;
    }
    p++;
    if (t.charCodeAt(p) !== QUOTE) p = skipSpace(t, p);
    switch (id) {
      case K_ADDRESS:
        // 42 characters; compared in full with the pool's address by the caller
        if (t.charCodeAt(p) !== QUOTE || t.charCodeAt(p + 43) !== QUOTE) return -1;
        s.address = p + 1;
        p += 44;
        break;
      case K_TOPICS: {
        if (t.charCodeAt(p) !== LBRACKET) return -1;
        p = skipSpace(t, p + 1);
        let n = 0;
        if (t.charCodeAt(p) !== RBRACKET) {
          for (;;) {
            const w = word(t, p);
            if (w < 0 || n === 4) return -1;
            s.topics[n++] = w;
            p += 68;
            if (t.charCodeAt(p) !== COMMA && t.charCodeAt(p) !== RBRACKET) p = skipSpace(t, p);
            if (t.charCodeAt(p) === RBRACKET) break;
            if (t.charCodeAt(p) !== COMMA) return -1;
            p = skipSpace(t, p + 1);
          }
        }
        s.topicCount = n;
        p++;
        break;
      }
      case K_DATA: {
        if (t.charCodeAt(p) !== QUOTE) return -1;
        const end = t.indexOf('"', p + 1);
        if (end < 0) return -1;
        s.data = p + 1;
        s.dataEnd = end;
        p = end + 1;
        break;
      }
      case K_BLOCK_NUMBER:
        p = quantity(t, p, s);
        s.blockNumber = s.q;
        break;
      case K_LOG_INDEX:
        p = quantity(t, p, s);
        s.logIndex = s.q;
        break;
      case K_BLOCK_TIMESTAMP:
        p = quantity(t, p, s);
        s.blockTimestamp = s.q;
        break;
      case K_TX_INDEX:
        p = quantity(t, p, s);
        break;
      case K_TX_HASH:
        s.transactionHash = word(t, p);
        if (s.transactionHash < 0) return -1;
        p += 68;
        break;
      case K_BLOCK_HASH:
        s.blockHash = word(t, p);
        if (s.blockHash < 0) return -1;
        p += 68;
        break;
      case K_REMOVED:
        if (t.startsWith("false", p)) p += 5;
        else if (t.startsWith("true", p)) {
          s.removed = true;
          p += 4;
        } else return -1;
        break;
    }
    if (p < 0) return -1;
    let c = t.charCodeAt(p);
    if (c !== COMMA && c !== RBRACE) {
      p = skipSpace(t, p);
      c = t.charCodeAt(p);
    }
    p++;
    if (c === RBRACE) return (seen & REQUIRED) === REQUIRED ? p : -1;
    if (c !== COMMA) return -1;
  }
}
