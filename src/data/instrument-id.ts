import { InstrumentIdError } from "../core/errors.ts";
import { CHAIN_ID_BY_NAME, CHAIN_NAME_BY_ID, VENUE_ID_BY_NAME, VENUE_NAME_BY_ID } from "./venues.ts";

/**
 * InstrumentId, PROTOCOL.md §5: 32 bytes, bijective with its canonical text.
 *
 *   0 venue u16 · 2 kind u8 · 3 flags u8 (0) · 4 chain_id u32 · 8..32 symbols (12+12 ASCII, NUL-padded)
 *                                                               or address (20) + 4 zero bytes
 *
 * An InstrumentId is immutable and carries both forms: `bytes` (what goes on the wire, what ids compare by) and
 * `toString()` (the canonical text). Build one once and reuse it; the builder copies its 32 bytes.
 */
export const InstrumentKind = { Spot: 1, Perp: 2, Pool: 3, Token: 4 } as const;
export type InstrumentKind = (typeof InstrumentKind)[keyof typeof InstrumentKind];
const KIND_TEXT = ["", "spot", "perp", "pool", "token"] as const;

export const INSTRUMENT_ID_SIZE = 32;
const SYMBOL_SIZE = 12;
const SYMBOL = /^[A-Z0-9._-]{1,12}$/;
const ADDRESS = /^0x[0-9a-f]{40}$/;

export type Address = `0x${string}`;

export class InstrumentId {
  readonly venue: number;
  readonly kind: InstrumentKind;
  /** EVM chain id for pools and tokens, 0 for CEX pairs. */
  readonly chainId: number;
  /** Base and quote symbols for kinds 1-2, "" otherwise. */
  readonly base: string;
  readonly quote: string;
  /** Lower-case 0x address for kinds 3-4, "" otherwise. */
  readonly address: Address | "";
  /** The 32 wire bytes. Do not mutate. */
  readonly bytes: Uint8Array;
  private text: string | undefined;

  private constructor(
    venue: number,
    kind: InstrumentKind,
    chainId: number,
    base: string,
    quote: string,
    address: Address | "",
    bytes: Uint8Array,
  ) {
    this.venue = venue;
    this.kind = kind;
    this.chainId = chainId;
    this.base = base;
    this.quote = quote;
    this.address = address;
    this.bytes = bytes;
  }

  static spot(venue: number, base: string, quote: string): InstrumentId {
    return InstrumentId.pair(venue, InstrumentKind.Spot, base, quote);
  }

  static perp(venue: number, base: string, quote: string): InstrumentId {
    return InstrumentId.pair(venue, InstrumentKind.Perp, base, quote);
  }

  static pool(venue: number, chainId: number, address: string): InstrumentId {
    return InstrumentId.onChain(venue, InstrumentKind.Pool, chainId, address);
  }

  static token(venue: number, chainId: number, address: string): InstrumentId {
    return InstrumentId.onChain(venue, InstrumentKind.Token, chainId, address);
  }

  /**
   * From a venue's own symbol: Kraken "XBT/USD" (aliases XBT->BTC, XDG->DOGE), Binance "BTCUSDT" (split on the
   * known quote assets; pass base and quote explicitly via spot() when exchangeInfo gives them).
   */
  static fromVenueSymbol(venue: "kraken" | "binance", symbol: string, kind: "spot" | "perp" = "spot"): InstrumentId {
    const k = kind === "spot" ? InstrumentKind.Spot : InstrumentKind.Perp;
    if (venue === "kraken") {
      const parts = symbol.toUpperCase().split("/");
      if (parts.length !== 2) {
        throw new InstrumentIdError({
          code: "BadVenueSymbol",
          message: `Kraken symbol "${symbol}" is not BASE/QUOTE`,
          facts: { symbol },
          hint: 'use the WebSocket name, e.g. "XBT/USD"',
        });
      }
      return InstrumentId.pair(101, k, krakenAlias(parts[0]), krakenAlias(parts[1]));
    }
    const upper = symbol.toUpperCase();
    for (const q of BINANCE_QUOTES) {
      if (upper.length > q.length && upper.endsWith(q)) return InstrumentId.pair(100, k, upper.slice(0, -q.length), q);
    }
    throw new InstrumentIdError({
      code: "BadVenueSymbol",
      message: `cannot split Binance symbol "${symbol}" into base and quote`,
      facts: { symbol, known_quotes: BINANCE_QUOTES.join(" ") },
      hint: "take baseAsset and quoteAsset from exchangeInfo and call InstrumentId.spot(100, base, quote)",
    });
  }

  /** Decodes and validates 32 bytes at `offset`; throws InstrumentIdError naming the offending byte. */
  static fromBytes(buf: Uint8Array, offset = 0): InstrumentId {
    const fail = (at: number, reason: string): never => {
      throw new InstrumentIdError({
        code: "InvalidInstrumentId",
        message: `invalid InstrumentId: ${reason}`,
        facts: { offset: offset + at, reason },
        hint: "ids are built only from venue symbols or (chain, address); see PROTOCOL.md §5",
      });
    };
    if (buf.length - offset < INSTRUMENT_ID_SIZE) fail(0, `needs 32 bytes, ${buf.length - offset} available`);
    const venue = buf[offset] | (buf[offset + 1] << 8);
    const kind = buf[offset + 2];
    if (buf[offset + 3] !== 0) fail(3, `flags byte is ${buf[offset + 3]}, must be 0`);
    const chainId =
      (buf[offset + 4] | (buf[offset + 5] << 8) | (buf[offset + 6] << 16) | (buf[offset + 7] << 24)) >>> 0;
    const bytes = buf.slice(offset, offset + INSTRUMENT_ID_SIZE);
    if (kind === InstrumentKind.Spot || kind === InstrumentKind.Perp) {
      if (chainId !== 0) fail(4, `chain_id is ${chainId}, must be 0 for a CEX pair`);
      const base = readSymbol(bytes, 8, fail);
      const quote = readSymbol(bytes, 8 + SYMBOL_SIZE, fail);
      return new InstrumentId(venue, kind, 0, base, quote, "", bytes);
    }
    if (kind === InstrumentKind.Pool || kind === InstrumentKind.Token) {
      for (let i = 28; i < 32; i++) if (bytes[i] !== 0) fail(i, "padding after the address must be zero");
      let hex = "0x";
      for (let i = 8; i < 28; i++) hex += HEX[bytes[i]];
      return new InstrumentId(venue, kind, chainId, "", "", hex as Address, bytes);
    }
    return fail(2, `unknown kind ${kind} (1 spot, 2 perp, 3 pool, 4 token)`);
  }

  /** Parses canonical text; non-canonical spellings (upper-case hex, "v101" for kraken) are refused with a hint. */
  static parse(text: string): InstrumentId {
    const fail = (reason: string, hint?: string): never => {
      throw new InstrumentIdError({
        code: "InvalidInstrumentId",
        message: `invalid instrument text "${text}": ${reason}`,
        facts: { text, reason },
        hint: hint ?? "forms: kraken:spot:BTC/USD, binance:perp:BTC/USDT, uniswap_v3:pool:polygon:0x<40 hex>",
      });
    };
    const parts = text.split(":");
    const venue = parseVenue(parts[0], fail);
    const kind = KIND_TEXT.indexOf(parts[1] as (typeof KIND_TEXT)[number]);
    if (kind < 1) return fail(`unknown kind "${parts[1]}"`);
    if (kind <= 2) {
      if (parts.length !== 3) fail("expected venue:kind:BASE/QUOTE");
      const pair = parts[2].split("/");
      if (pair.length !== 2) fail("expected BASE/QUOTE");
      return InstrumentId.pair(venue, kind as InstrumentKind, pair[0], pair[1]);
    }
    if (parts.length !== 4) fail("expected venue:kind:chain:0xaddress");
    const chainId = parseChain(parts[2], fail);
    if (!ADDRESS.test(parts[3]))
      fail("address must be 0x and 40 lower-case hex digits", `write ${parts[3].toLowerCase()}`);
    return InstrumentId.onChain(venue, kind as InstrumentKind, chainId, parts[3]);
  }

  /** Canonical text, e.g. `kraken:spot:BTC/USD` or `uniswap_v3:pool:polygon:0x45dd...`. */
  toString(): string {
    if (this.text !== undefined) return this.text;
    const venue = VENUE_NAME_BY_ID.get(this.venue) ?? `v${this.venue}`;
    const kind = KIND_TEXT[this.kind];
    this.text =
      this.kind <= 2
        ? `${venue}:${kind}:${this.base}/${this.quote}`
        : `${venue}:${kind}:${CHAIN_NAME_BY_ID.get(this.chainId) ?? this.chainId}:${this.address}`;
    return this.text;
  }

  toJSON(): string {
    return this.toString();
  }

  equals(other: InstrumentId): boolean {
    for (let i = 0; i < INSTRUMENT_ID_SIZE; i++) if (this.bytes[i] !== other.bytes[i]) return false;
    return true;
  }

  private static pair(venue: number, kind: InstrumentKind, base: string, quote: string): InstrumentId {
    checkVenue(venue);
    for (const s of [base, quote]) {
      if (!SYMBOL.test(s)) {
        throw new InstrumentIdError({
          code: "InvalidInstrumentId",
          message: `symbol "${s}" is not 1-12 characters of A-Z 0-9 . - _`,
          facts: { symbol: s },
          hint: "upper-case the symbol and normalise venue aliases (Kraken XBT -> BTC) before building the id",
        });
      }
    }
    const bytes = new Uint8Array(INSTRUMENT_ID_SIZE);
    writeHead(bytes, venue, kind, 0);
    for (let i = 0; i < base.length; i++) bytes[8 + i] = base.charCodeAt(i);
    for (let i = 0; i < quote.length; i++) bytes[8 + SYMBOL_SIZE + i] = quote.charCodeAt(i);
    return new InstrumentId(venue, kind, 0, base, quote, "", bytes);
  }

  private static onChain(venue: number, kind: InstrumentKind, chainId: number, address: string): InstrumentId {
    checkVenue(venue);
    if (!Number.isInteger(chainId) || chainId < 0 || chainId > 0xffffffff) {
      throw new InstrumentIdError({
        code: "InvalidInstrumentId",
        message: `chain id ${chainId} is not a u32`,
        facts: { chain_id: chainId },
      });
    }
    const lower = address.toLowerCase();
    if (!ADDRESS.test(lower)) {
      throw new InstrumentIdError({
        code: "InvalidInstrumentId",
        message: `"${address}" is not a 20-byte hex address`,
        facts: { address },
        hint: "give 0x followed by 40 hex digits",
      });
    }
    const bytes = new Uint8Array(INSTRUMENT_ID_SIZE);
    writeHead(bytes, venue, kind, chainId);
    for (let i = 0; i < 20; i++) bytes[8 + i] = Number.parseInt(lower.slice(2 + 2 * i, 4 + 2 * i), 16);
    return new InstrumentId(venue, kind, chainId, "", "", lower as Address, bytes);
  }
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Binance quote assets, longest first so "FDUSD" wins over "USD" and "USDT" over "USD". */
const BINANCE_QUOTES = [
  "FDUSD",
  "USDT",
  "USDC",
  "BUSD",
  "TUSD",
  "DAI",
  "BTC",
  "ETH",
  "BNB",
  "EUR",
  "TRY",
  "BRL",
  "GBP",
  "JPY",
  "USD",
];

function krakenAlias(symbol: string): string {
  if (symbol === "XBT") return "BTC";
  if (symbol === "XDG") return "DOGE";
  return symbol;
}

function writeHead(bytes: Uint8Array, venue: number, kind: number, chainId: number): void {
  bytes[0] = venue & 0xff;
  bytes[1] = venue >>> 8;
  bytes[2] = kind;
  bytes[4] = chainId & 0xff;
  bytes[5] = (chainId >>> 8) & 0xff;
  bytes[6] = (chainId >>> 16) & 0xff;
  bytes[7] = chainId >>> 24;
}

function checkVenue(venue: number): void {
  if (!Number.isInteger(venue) || venue < 0 || venue > 0xffff) {
    throw new InstrumentIdError({
      code: "InvalidInstrumentId",
      message: `venue ${venue} is not a u16`,
      facts: { venue },
    });
  }
}

function readSymbol(bytes: Uint8Array, at: number, fail: (at: number, reason: string) => never): string {
  let s = "";
  let i = 0;
  for (; i < SYMBOL_SIZE && bytes[at + i] !== 0; i++) {
    const c = bytes[at + i];
    const ok = (c >= 0x41 && c <= 0x5a) || (c >= 0x30 && c <= 0x39) || c === 0x2e || c === 0x2d || c === 0x5f;
    if (!ok) fail(at + i, `symbol byte 0x${HEX[c]} is not one of A-Z 0-9 . - _`);
    s += String.fromCharCode(c);
  }
  if (i === 0) fail(at, "empty symbol");
  for (; i < SYMBOL_SIZE; i++) if (bytes[at + i] !== 0) fail(at + i, "bytes after a symbol's NUL padding must be zero");
  return s;
}

function parseVenue(text: string, fail: (reason: string, hint?: string) => never): number {
  const named = VENUE_ID_BY_NAME.get(text);
  if (named !== undefined) return named;
  const m = /^v(0|[1-9]\d{0,4})$/.exec(text);
  if (m) {
    const id = Number(m[1]);
    if (id > 0xffff) fail(`venue number ${id} is not a u16`);
    const name = VENUE_NAME_BY_ID.get(id);
    if (name !== undefined) fail(`venue ${id} has a name`, `write "${name}"`);
    return id;
  }
  return fail(`unknown venue "${text}"`, `known: ${[...VENUE_ID_BY_NAME.keys()].join(", ")}, or v<number>`);
}

function parseChain(text: string, fail: (reason: string, hint?: string) => never): number {
  const named = CHAIN_ID_BY_NAME.get(text);
  if (named !== undefined) return named;
  if (/^(0|[1-9]\d{0,9})$/.test(text) && Number(text) <= 0xffffffff) {
    const name = CHAIN_NAME_BY_ID.get(Number(text));
    if (name !== undefined) fail(`chain ${text} has a name`, `write "${name}"`);
    return Number(text);
  }
  return fail(`unknown chain "${text}"`, `known: ${[...CHAIN_ID_BY_NAME.keys()].join(", ")}, or a decimal chain id`);
}
