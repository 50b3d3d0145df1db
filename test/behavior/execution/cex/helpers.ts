import { type ConsolaInstance, createConsola } from "consola";
import type { CexOrder } from "../../../../src/behavior/execution/cex/types.ts";
import { type BinanceVenue, startBinanceVenue } from "../../../../src/behavior/venues/binance-venue.ts";
import { type KrakenVenue, startKrakenVenue } from "../../../../src/behavior/venues/kraken-venue.ts";
import { InstrumentId } from "../../../../src/data/instrument-id.ts";
import { ErrorCode } from "../../../../src/rules/error-codes.ts";
import { FrameParser } from "../../../../src/rules/parser.ts";

const FIXTURES = new URL("../../../../fixtures/", import.meta.url).pathname;
export const KRAKEN_BOOK10 = `${FIXTURES}kraken/v1-book10-xbtusd-2023-08-30.python-kraken-sdk.jsonl.gz`;
export const BINANCE_SPOT = `${FIXTURES}binance/spot-btcusdt-depth100ms-trade-bookticker-2024-08-08.hftbacktest.jsonl.gz`;

/** Test key pairs: distinctive text, so a leak into logs or stats is found by a plain search. */
export const KRAKEN_KEY = "ApTestKrakenKeyDoNotLog0001";
export const KRAKEN_SECRET = Buffer.from("ap-test-kraken-secret-do-not-log-0001").toString("base64");
export const BINANCE_KEY = "ApTestBinanceKeyDoNotLog0001";
export const BINANCE_SECRET = "ApTestBinanceSecretDoNotLog0001";

export const XBTUSD = InstrumentId.spot(101, "BTC", "USD");
export const BTCUSDT = InstrumentId.spot(100, "BTC", "USDT");
export const E8 = 100_000_000n;

export interface Out {
  type: number;
  value: Record<string, unknown>;
}

export function decode(frames: readonly Uint8Array[]): Out[] {
  const parser = new FrameParser();
  const out: Out[] = [];
  for (const f of frames) {
    if (parser.check(f) !== ErrorCode.Ok) throw new Error("invalid frame");
    for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv())
      out.push({ type: parser.tlvType, value: parser.readTlv()! });
  }
  return out;
}

/** A consola instance at debug level whose every line (tag, message, args) lands in `lines`. */
export function captureLog(): { log: ConsolaInstance; lines: string[] } {
  const lines: string[] = [];
  const log = createConsola({
    level: 5,
    reporters: [{ log: (o) => lines.push(JSON.stringify({ tag: o.tag, args: o.args.map((a) => String(a)) })) }],
  });
  return { log, lines };
}

export function order(over: Partial<CexOrder> & Pick<CexOrder, "orderId">): CexOrder {
  return {
    instrument: XBTUSD,
    symbol: "XBT/USD",
    side: "buy",
    type: "limit",
    timeInForce: "gtc",
    postOnly: false,
    priceE8: 0n,
    quantityE8: E8,
    ...over,
  };
}

export async function startKraken(
  orders: Partial<Parameters<typeof startKrakenVenue>[0]["orders"]> = {},
): Promise<KrakenVenue> {
  return startKrakenVenue({ capture: KRAKEN_BOOK10, orders: { apiKey: KRAKEN_KEY, secret: KRAKEN_SECRET, ...orders } });
}

/** Plays the whole capture once on one WebSocket connection and waits until the desk has seen every record. */
export async function replayKraken(venue: KrakenVenue): Promise<void> {
  const ws = new WebSocket(venue.url);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  ws.send(JSON.stringify({ event: "subscribe", pair: ["XBT/USD"], subscription: { name: "book", depth: 10 } }));
  await venue.orders!.playedRecords(venue.records.length);
  ws.close();
}

export async function startBinance(
  orders: Partial<Parameters<typeof startBinanceVenue>[0]["orders"]> = {},
): Promise<BinanceVenue> {
  return startBinanceVenue({
    capture: BINANCE_SPOT,
    speed: Number.POSITIVE_INFINITY,
    orders: { apiKey: BINANCE_KEY, secret: BINANCE_SECRET, ...orders },
  });
}

/** Plays the whole capture once: a client connected, the recorded depth snapshot asked for, the end awaited. */
export async function replayBinance(venue: BinanceVenue): Promise<void> {
  const ws = new WebSocket(`${venue.url}/stream?streams=btcusdt@depth@100ms/btcusdt@trade`);
  ws.onmessage = () => {};
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  const res = await fetch(`${venue.restUrl}/api/v3/depth?symbol=BTCUSDT&limit=1000`);
  await res.text();
  await venue.finished;
  ws.close();
}
