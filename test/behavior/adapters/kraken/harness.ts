import { expect } from "bun:test";
import { join } from "node:path";
import { MarketPublisher } from "../../../../src/behavior/adapters/common/market-publisher.ts";
import {
  KrakenDataClient,
  type KrakenDataClientOptions,
} from "../../../../src/behavior/adapters/kraken/data-client.ts";
import { OrderBook } from "../../../../src/behavior/market/order-book.ts";
import {
  KRAKEN_DEMO_PAIRS,
  type KrakenVenueOptions,
  startKrakenVenue,
} from "../../../../src/behavior/venues/kraken-venue.ts";
import type { InstrumentId } from "../../../../src/data/instrument-id.ts";
import { SourceType } from "../../../../src/data/venues.ts";
import { ErrorCode } from "../../../../src/rules/error-codes.ts";
import { FrameParser } from "../../../../src/rules/parser.ts";

export const FIXTURES = join(import.meta.dir, "../../../../fixtures/kraken");
export const fixture = (name: string): string => join(FIXTURES, name);

export const V1_BOOK1000 = fixture("v1-book1000-10pairs-2021-04-17.cryptofeed.jsonl.gz");
export const V1_BOOK10 = fixture("v1-book10-xbtusd-2023-08-30.python-kraken-sdk.jsonl.gz");
export const V1_TRADES = fixture("v1-trade-10pairs-2021-04-17.cryptofeed.jsonl");
export const V1_ASSET_PAIRS = fixture("v1-rest-assetpairs-2021-04-17.cryptofeed.jsonl.gz");
export const V2_BOOK10 = fixture("v2-book10-btcusd-2023-07-30.python-kraken-sdk.jsonl.gz");
export const V2_INSTRUMENTS = fixture("v2-instrument-snapshot.kraken-data-recorder.json.gz");

/** The ten v1 pairs of the 2021 cryptofeed capture (the replay venue's demo list). */
export const PAIRS_2021: string[] = [...KRAKEN_DEMO_PAIRS];

/** A decoded published frame: TLV name and value. */
export interface Published {
  type: number;
  value: Record<string, unknown>;
}

/**
 * A publisher for handler tests: every frame must pass FrameParser.check (asserted), and each of its TLVs is decoded
 * and handed to `onTlv` as it is published.
 */
export function checkedPublisher(onTlv: (type: number, value: Record<string, unknown>) => void): MarketPublisher {
  const parser = new FrameParser();
  return new MarketPublisher({
    source: SourceType.KrakenCollector,
    name: "t",
    sink: (frame) => {
      expect(parser.check(frame)).toBe(ErrorCode.Ok);
      for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) onTlv(parser.tlvType, parser.readTlv()!);
    },
  });
}

/**
 * A replay venue and the Kraken data client against it over a real WebSocket, publishing into a sink whose frames
 * are checked and decoded with FrameParser. Disposable: `await using run = await startRun(...)`.
 */
export async function startRun(
  venueOptions: KrakenVenueOptions,
  clientOptions: Partial<KrakenDataClientOptions> = {},
): Promise<{
  client: KrakenDataClient;
  venue: Awaited<ReturnType<typeof startKrakenVenue>>;
  frames: Published[];
  frameErrors: number;
  [Symbol.asyncDispose](): Promise<void>;
}> {
  const venue = await startKrakenVenue(venueOptions);
  const parser = new FrameParser();
  const frames: Published[] = [];
  const run = { frameErrors: 0 };
  const publisher = new MarketPublisher({
    source: SourceType.KrakenCollector,
    name: "test",
    sink: (frame) => {
      if (parser.check(frame) !== ErrorCode.Ok || parser.source !== SourceType.KrakenCollector) {
        run.frameErrors++;
        return;
      }
      for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
        frames.push({ type: parser.tlvType, value: parser.readTlv()! });
      }
    },
  });
  const client = new KrakenDataClient({
    url: venue.url,
    restUrl: venue.restUrl,
    publisher,
    backoff: { initialMs: 5, maxMs: 20 },
    minResyncIntervalMs: 0,
    ...clientOptions,
  });
  await client.start();
  return {
    client,
    venue,
    frames,
    get frameErrors() {
      return run.frameErrors;
    },
    async [Symbol.asyncDispose]() {
      client.close();
      venue.stop();
    },
  };
}

/**
 * A consumer's view: replays OrderBook (replace) and BookDelta (apply) frames per instrument, and drops a book on
 * StateInvalidation, as a strategy would.
 */
export function consumerBooks(frames: Published[]): Map<string, OrderBook> {
  const books = new Map<string, OrderBook>();
  for (const f of frames) {
    const id = (f.value.instrument as InstrumentId | undefined)?.toString();
    if (id === undefined) continue;
    if (f.type === 3) {
      const b = new OrderBook();
      for (const l of f.value.bids as { price: bigint; size: bigint }[]) b.set("bid", l.price, l.size);
      for (const l of f.value.asks as { price: bigint; size: bigint }[]) b.set("ask", l.price, l.size);
      books.set(id, b);
    } else if (f.type === 6) {
      const b = books.get(id);
      if (!b) continue;
      for (const c of f.value.changes as { price: bigint; size: bigint; side: number }[]) {
        b.set(c.side === 1 ? "bid" : "ask", c.price, c.size);
      }
    } else if (f.type === 19) books.delete(id);
  }
  return books;
}

/** Position (among the capture's inbound ws records) of the n-th (0-based) record matching `match`. */
export function nthRecord(records: readonly { raw: string }[], match: (raw: string) => boolean, n: number): number {
  let seen = 0;
  for (let i = 0; i < records.length; i++) {
    if (match(records[i].raw) && seen++ === n) return i;
  }
  throw new Error(`no record number ${n} matches`);
}

export const isV1BookUpdate = (raw: string): boolean => raw.startsWith("[") && raw.includes('"c":"');
export const isV2BookUpdate = (raw: string): boolean => raw.includes('"channel":"book","type":"update"');
