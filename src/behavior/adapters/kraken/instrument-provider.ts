import { InstrumentId } from "../../../data/instrument-id.ts";
import type { InstrumentMeta } from "../../../data/tlv-layouts.ts";
import { BAD_DECIMAL, plainDecimal, scanDecimal } from "../common/decimal-scan.ts";
import { KrakenError } from "./errors.ts";
import { parseJsonKeepNumbers } from "./json-cursor.ts";

/**
 * Instrument metadata, the nautilus "instrument provider" of the Kraken adapter. Two sources:
 * - v1: REST `GET /0/public/AssetPairs` (pair_decimals, lot_decimals, ordermin, wsname "XBT/USD", status);
 * - v2: the WebSocket `instrument` channel snapshot (price_precision, qty_precision, price_increment, qty_min,
 *   status; symbols already "BTC/USD").
 * Numbers are read from their literal text (parseJsonKeepNumbers), so "1E-8" or "0.00010000" stay exact.
 */
export interface KrakenInstrument {
  /** The venue's WebSocket name: "XBT/USD" (v1) or "BTC/USD" (v2). */
  symbol: string;
  id: InstrumentId;
  /** Price and quantity decimals of the venue's metadata. */
  priceDecimals: number;
  qtyDecimals: number;
  /** e8; 0 when the metadata value does not fit e8 exactly (counted in `unrepresentable`). */
  tickSize: bigint;
  minSize: bigint;
  /** 1 online, 2 halted (cancel/post/limit/reduce only, maintenance), 3 delisted. */
  status: 1 | 2 | 3;
}

export interface InstrumentSet {
  bySymbol: Map<string, KrakenInstrument>;
  /** Entries skipped: no ws name, a symbol InstrumentId refuses, or a bad precision. */
  skipped: number;
  /** Tick or min size with more than 8 decimals (kept as 0). */
  unrepresentable: number;
}

function e8(text: string | undefined, set: InstrumentSet): bigint {
  if (text === undefined) return 0n;
  const plain = plainDecimal(text);
  const v = scanDecimal(plain, 0, plain.length, 8);
  if (v === BAD_DECIMAL) {
    set.unrepresentable++;
    return 0n;
  }
  return v;
}

/** One unit of the last price decimal, e8: pair_decimals 1 -> 0.1 -> 10000000n. */
function tickOfDecimals(pd: number, set: InstrumentSet): bigint {
  if (pd <= 8) return 10n ** BigInt(8 - pd);
  set.unrepresentable++;
  return 0n;
}

function status(text: string | undefined): 1 | 2 | 3 {
  if (text === undefined || text === "online") return 1;
  if (text === "delisted") return 3;
  return 2;
}

function decimals(text: unknown): number {
  const n = Number(text);
  return Number.isInteger(n) && n >= 0 && n <= 18 ? n : -1;
}

/** AssetPairs REST body -> instruments keyed by wsname ("XBT/USD"). */
export function instrumentsFromAssetPairs(body: string): InstrumentSet {
  const set: InstrumentSet = { bySymbol: new Map(), skipped: 0, unrepresentable: 0 };
  const doc = parseJsonKeepNumbers(body) as { error?: unknown[]; result?: Record<string, Record<string, string>> };
  if (!doc.result || (Array.isArray(doc.error) && doc.error.length > 0)) {
    throw new KrakenError({
      code: "KrakenAssetPairs",
      message: "AssetPairs response has no result",
      facts: { error: JSON.stringify(doc.error ?? null).slice(0, 200) },
      hint: "check --rest-url (it should serve /0/public/AssetPairs)",
    });
  }
  for (const p of Object.values(doc.result)) {
    const pd = decimals(p.pair_decimals);
    const qd = decimals(p.lot_decimals);
    if (!p.wsname || pd < 0 || qd < 0) {
      set.skipped++;
      continue;
    }
    let id: InstrumentId;
    try {
      id = InstrumentId.fromVenueSymbol("kraken", p.wsname);
    } catch {
      set.skipped++;
      continue;
    }
    set.bySymbol.set(p.wsname, {
      symbol: p.wsname,
      id,
      priceDecimals: pd,
      qtyDecimals: qd,
      tickSize: tickOfDecimals(pd, set),
      minSize: e8(p.ordermin, set),
      status: status(p.status),
    });
  }
  return set;
}

/** v2 `instrument` channel snapshot (the message text) -> instruments keyed by symbol ("BTC/USD"). */
export function instrumentsFromV2Snapshot(message: string): InstrumentSet {
  const set: InstrumentSet = { bySymbol: new Map(), skipped: 0, unrepresentable: 0 };
  const doc = parseJsonKeepNumbers(message) as { data?: { pairs?: Record<string, string>[] } };
  for (const p of doc.data?.pairs ?? []) {
    const pd = decimals(p.price_precision);
    const qd = decimals(p.qty_precision);
    if (!p.symbol || pd < 0 || qd < 0) {
      set.skipped++;
      continue;
    }
    let id: InstrumentId;
    try {
      id = InstrumentId.fromVenueSymbol("kraken", p.symbol);
    } catch {
      set.skipped++;
      continue;
    }
    set.bySymbol.set(p.symbol, {
      symbol: p.symbol,
      id,
      priceDecimals: pd,
      qtyDecimals: qd,
      tickSize: e8(p.price_increment ?? p.tick_size, set),
      minSize: e8(p.qty_min, set),
      status: status(p.status),
    });
  }
  return set;
}

/** The InstrumentMeta TLV of an instrument. */
export function instrumentMeta(i: KrakenInstrument): InstrumentMeta {
  return {
    instrument: i.id,
    priceDecimals: i.priceDecimals,
    sizeDecimals: i.qtyDecimals,
    status: i.status,
    tickSize: i.tickSize,
    minSize: i.minSize,
  };
}
