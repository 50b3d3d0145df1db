import { parseDecimal } from "../../../core/fixed-point.ts";
import { InstrumentId } from "../../../data/instrument-id.ts";
import { VenueId } from "../../../data/venues.ts";
import type { BinanceMarketSpec } from "./config.ts";
import { BinanceParseError } from "./errors.ts";

/** What the collector knows of one symbol, from exchangeInfo. */
export interface BinanceInstrument {
  symbol: string;
  id: InstrumentId;
  /** Decimals of tickSize / stepSize with trailing zeros removed ("0.01000000" -> 2). */
  priceDecimals: number;
  sizeDecimals: number;
  /** e8. */
  tickSize: bigint;
  minSize: bigint;
  /** 1 online, 2 halted, 3 delisted (InstrumentMeta status). */
  status: number;
}

export interface ExchangeInfo {
  instruments: Map<string, BinanceInstrument>;
  /** REQUEST_WEIGHT per minute from rateLimits, if given. */
  weightPerMinute: number | undefined;
}

interface RawSymbol {
  symbol: string;
  status: string;
  baseAsset: string;
  quoteAsset: string;
  filters?: { filterType: string; tickSize?: string; stepSize?: string; minQty?: string }[];
}

/**
 * Reads an exchangeInfo body (`/api/v3/exchangeInfo`, `/fapi/v1/exchangeInfo`). JSON.parse is safe here: every
 * size and price in it is a string; only counts and times are numbers.
 */
export function parseExchangeInfo(text: string, spec: BinanceMarketSpec): ExchangeInfo {
  let body: {
    symbols?: RawSymbol[];
    rateLimits?: { rateLimitType: string; interval: string; intervalNum: number; limit: number }[];
  };
  try {
    body = JSON.parse(text);
  } catch {
    throw new BinanceParseError({
      code: "BadExchangeInfo",
      message: "exchangeInfo is not JSON",
      facts: { excerpt: text.slice(0, 120) },
    });
  }
  const instruments = new Map<string, BinanceInstrument>();
  for (const s of body.symbols ?? []) {
    const price = s.filters?.find((f) => f.filterType === "PRICE_FILTER");
    const lot = s.filters?.find((f) => f.filterType === "LOT_SIZE");
    const tick = price?.tickSize ?? "0.00000001";
    const step = lot?.stepSize ?? "0.00000001";
    const id =
      spec.kind === "spot"
        ? InstrumentId.spot(VenueId.Binance, s.baseAsset, s.quoteAsset)
        : InstrumentId.perp(VenueId.Binance, s.baseAsset, s.quoteAsset);
    instruments.set(s.symbol, {
      symbol: s.symbol,
      id,
      priceDecimals: decimalsOf(tick),
      sizeDecimals: decimalsOf(step),
      tickSize: parseDecimal(tick, 8),
      minSize: parseDecimal(lot?.minQty ?? step, 8),
      status: s.status === "TRADING" ? 1 : s.status === "BREAK" || s.status === "HALT" ? 2 : 3,
    });
  }
  const w = body.rateLimits?.find((r) => r.rateLimitType === "REQUEST_WEIGHT");
  const weightPerMinute = w ? Math.floor(w.limit / (w.interval === "MINUTE" ? w.intervalNum : 1)) : undefined;
  return { instruments, weightPerMinute };
}

/** An instrument for a symbol exchangeInfo did not list (or could not be fetched): base/quote split by suffix. */
export function fallbackInstrument(symbol: string, spec: BinanceMarketSpec): BinanceInstrument {
  return {
    symbol,
    id: InstrumentId.fromVenueSymbol("binance", symbol, spec.kind),
    priceDecimals: 8,
    sizeDecimals: 8,
    tickSize: 1n,
    minSize: 1n,
    status: 1,
  };
}

function decimalsOf(text: string): number {
  const frac = text.split(".")[1] ?? "";
  return frac.replace(/0+$/, "").length;
}
