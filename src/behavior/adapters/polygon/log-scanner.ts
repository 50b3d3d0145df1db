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

const ENCODER = new TextEncoder();
/** The longest message the fast path takes (a log notification is ~1 KB); longer ones go to JSON.parse. */
const MAX_TEXT = 60 * 1024;

/** Value of each byte as a hex digit, -1 for anything else. */
const HEX_BYTE = HEX_VALUE.slice(0, 256);

/**
 * Where the fields of the last scanned log are, and the message's bytes. Positions index the text (and its bytes:
 * the fast path takes only all-ASCII texts, one byte per character); -1 when absent.
 */
export class LogScan {
  /** The message copied once by TextEncoder.encodeInto (~40 ns for 1 KB); keys are compared 4 bytes at a time. */
  readonly bytes = new Uint8Array(64 * 1024);
  readonly dv = new DataView(this.bytes.buffer);
  /** Characters (= bytes) of the loaded text. */
  length = 0;
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

  /**
   * Copies `t` into `bytes`; false (the caller falls back to JSON.parse) unless every character is ASCII (then
   * each is one byte and positions agree) and the text fits. A 0 byte follows the text: no scan step accepts it,
   * so no loop runs into the bytes of an earlier message.
   */
  load(t: string): boolean {
    const n = t.length;
    if (n > MAX_TEXT) return false;
    const r = ENCODER.encodeInto(t, this.bytes);
    if (r.read !== n || r.written !== n) return false;
    this.bytes[n] = 0;
    this.length = n;
    return true;
  }
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

/**
 * Each key text as little-endian 32-bit words at offsets 0, 4, ... and, for a length not a multiple of 4, one last
 * word ending at the key's end (overlapping the one before): the key is equal iff every word is.
 */
const KEY_FIRST = new Int32Array(KEY_TEXT.length + 1);
const KEY_OFFSET: number[] = [];
const KEY_WORD: number[] = [];
for (let id = 0; id < KEY_TEXT.length; id++) {
  const b = new TextEncoder().encode(KEY_TEXT[id]);
  const dv = new DataView(b.buffer);
  KEY_FIRST[id] = KEY_OFFSET.length;
  for (let o = 0; o + 4 <= b.length; o += 4) KEY_OFFSET.push(o);
  if (b.length % 4) KEY_OFFSET.push(b.length - 4);
  for (let k = KEY_FIRST[id]; k < KEY_OFFSET.length; k++) KEY_WORD.push(dv.getInt32(KEY_OFFSET[k], true));
}
KEY_FIRST[KEY_TEXT.length] = KEY_OFFSET.length;
/** The words of all keys in one flat pair of arrays: key `id` owns [KEY_FIRST[id], KEY_FIRST[id + 1]). */
const KEY_OFFSETS = Int32Array.from(KEY_OFFSET);
const KEY_WORDS = Int32Array.from(KEY_WORD);

/** The key `id`'s text (with its quotes) is at p: compared 4 bytes at a time. */
function keyAt(dv: DataView, p: number, id: number): boolean {
  const end = KEY_FIRST[id + 1];
  for (let k = KEY_FIRST[id]; k < end; k++) if (dv.getInt32(p + KEY_OFFSETS[k], true) !== KEY_WORDS[k]) return false;
  return true;
}

/** The key id for the key whose opening quote is at `p` (from two or three bytes; then compared in full). */
function keyId(t: Uint8Array, p: number): number {
  switch (t[p + 1]) {
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
      const c = t[p + 6];
      return c === 78 ? K_BLOCK_NUMBER : c === 72 ? K_BLOCK_HASH : c === 84 ? K_BLOCK_TIMESTAMP : -1;
    }
    case 116: {
      // topics / transactionHash / transactionIndex
      const c = t[p + 2];
      if (c === 111) return K_TOPICS;
      if (c !== 114) return -1;
      const d = t[p + 12];
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

/** skipSpace over the loaded bytes. */
function skipSpaceAt(t: Uint8Array, p: number): number {
  while (isSpace(t[p])) p++;
  return p;
}

/**
 * The quoted hex quantity at p ('"0x' + 1..13 digits + '"') into `s.q`; returns the position after the closing
 * quote, or -1. (Scratch in the record, not a module variable: module `let`s cost a scope lookup per access.)
 */
function quantity(t: Uint8Array, p: number, s: LogScan): number {
  if (t[p] !== QUOTE || t[p + 1] !== ZERO || t[p + 2] !== X) return -1;
  let c = p + 3;
  let v = 0;
  for (;;) {
    const d = HEX_BYTE[t[c]];
    if (d < 0) break;
    v = v * 16 + d;
    c++;
  }
  const n = c - p - 3;
  if (n < 1 || n > 13 || t[c] !== QUOTE) return -1;
  s.q = v;
  return c + 1;
}

/** A 66-character string '"0x' + 64 + '"' at p (digits not checked here); returns its "0x" position or -1. */
function word(t: Uint8Array, p: number): number {
  return t[p] === QUOTE && t[p + 1] === ZERO && t[p + 2] === X && t[p + 67] === QUOTE ? p + 1 : -1;
}

/**
 * The closing quote of the data string whose "0x" is at d: the first of d + 2 + 128, 192, 256, 320 (the data
 * lengths of the events the fast path encodes) that holds a quote, or -1 (any other length: the JSON.parse path).
 * Not a search: the encoder then requires every character of [d + 2, end) to be a hex digit, so no earlier quote.
 */
function dataEnd(t: Uint8Array, d: number): number {
  for (let n = 130; n <= 322; n += 64) if (t[d + n] === QUOTE) return d + n;
  return -1;
}

/**
 * Scans the log object whose "{" is at p in the bytes loaded by `s.load()` into `s`. Returns the position after
 * its "}", or -1 for anything outside the fast shape (the caller then takes the JSON.parse path). Every byte read
 * is before the returned position, which the caller checks against the text's end.
 */
export function scanLog(p: number, s: LogScan): number {
  const t = s.bytes;
  const dv = s.dv;
  if (t[p] !== LBRACE) return -1;
  s.blockTimestamp = -1;
  s.blockHash = -1;
  s.removed = false;
  s.topicCount = 0;
  let seen = 0;
  p++;
  for (;;) {
    if (t[p] !== QUOTE) {
      p = skipSpaceAt(t, p);
      if (t[p] !== QUOTE) return -1;
    }
    const id = keyId(t, p);
    if (id < 0 || seen & (1 << id) || !keyAt(dv, p, id)) return -1;
    seen |= 1 << id;
    p += KEY_TEXT[id].length;
    if (t[p] !== COLON) {
      p = skipSpaceAt(t, p);
      if (t[p] !== COLON) return -1;
    }
    p++;
    if (t[p] !== QUOTE) p = skipSpaceAt(t, p);
    switch (id) {
      case K_ADDRESS:
        // 42 characters; compared in full with the pool's address by the caller
        if (t[p] !== QUOTE || t[p + 43] !== QUOTE) return -1;
        s.address = p + 1;
        p += 44;
        break;
      case K_TOPICS: {
        if (t[p] !== LBRACKET) return -1;
        p = skipSpaceAt(t, p + 1);
        let n = 0;
        if (t[p] !== RBRACKET) {
          for (;;) {
            const w = word(t, p);
            if (w < 0 || n === 4) return -1;
            s.topics[n++] = w;
            p += 68;
            if (t[p] !== COMMA && t[p] !== RBRACKET) p = skipSpaceAt(t, p);
            if (t[p] === RBRACKET) break;
            if (t[p] !== COMMA) return -1;
            p = skipSpaceAt(t, p + 1);
          }
        }
        s.topicCount = n;
        p++;
        break;
      }
      case K_DATA: {
        if (t[p] !== QUOTE) return -1;
        const end = dataEnd(t, p + 1);
        if (end < 0) return -1;
        s.data = p + 1;
        s.dataEnd = end;
        p = end + 1;
        break;
      }
      // One case per key writing its own LogScan field (alike on purpose): a shared case would branch again on the key.
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
        // "false" / "true" as one little-endian word each (+ the "e" of false)
        if (dv.getInt32(p, true) === FALS && t[p + 4] === 101) p += 5;
        else if (dv.getInt32(p, true) === TRUE) {
          s.removed = true;
          p += 4;
        } else return -1;
        break;
    }
    if (p < 0) return -1;
    let c = t[p];
    if (c !== COMMA && c !== RBRACE) {
      p = skipSpaceAt(t, p);
      c = t[p];
    }
    p++;
    if (c === RBRACE) return (seen & REQUIRED) === REQUIRED ? p : -1;
    if (c !== COMMA) return -1;
  }
}

/** "fals" and "true" as little-endian 32-bit words. */
const FALS = 0x736c6166;
const TRUE = 0x65757274;
