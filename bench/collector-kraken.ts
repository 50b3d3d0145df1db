/**
 * Kraken collector throughput: raw venue JSON text -> built Protocol V2 frames (in-place parse, exact e8 decimals,
 * book upkeep with depth truncation, CRC32 checksum verified on every update, frames with timestamp and CRC through
 * MarketPublisher/FrameBuilder), no sockets. The floor is
 * JSON.parse alone of the same messages in the same run: what any collector pays before it has read a single value.
 * Each case is a whole capture replayed start to end (its snapshot resets the books); floor and collector runs
 * alternate and the best of five is kept, to damp the noise of a shared machine.
 *
 *   bun bench/collector-kraken.ts      prints a table, writes bench/results/collector-kraken.json
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { MarketPublisher } from "../src/behavior/adapters/common/market-publisher.ts";
import { type KrakenApi, KrakenFeedHandler } from "../src/behavior/adapters/kraken/feed-handler.ts";
import { instrumentsFromV2Snapshot } from "../src/behavior/adapters/kraken/instrument-provider.ts";
import { loadCaptureRecords } from "../src/behavior/venues/capture-records.ts";
import { SourceType } from "../src/data/venues.ts";

const FIXTURES = new URL("../fixtures/kraken/", import.meta.url).pathname;

interface Case {
  name: string;
  file: string;
  api: KrakenApi;
  depth: number;
}

const CASES: Case[] = [
  {
    name: "v1 book-10 XBT/USD (979 updates)",
    file: "v1-book10-xbtusd-2023-08-30.python-kraken-sdk.jsonl.gz",
    api: "v1",
    depth: 10,
  },
  {
    name: "v2 book-10 BTC/USD (510 book msgs)",
    file: "v2-book10-btcusd-2023-07-30.python-kraken-sdk.jsonl.gz",
    api: "v2",
    depth: 10,
  },
  {
    name: "v1 book-1000 10 pairs (4269 updates)",
    file: "v1-book1000-10pairs-2021-04-17.cryptofeed.jsonl.gz",
    api: "v1",
    depth: 1000,
  },
  { name: "v1 trades 10 pairs (49 msgs)", file: "v1-trade-10pairs-2021-04-17.cryptofeed.jsonl", api: "v1", depth: 10 },
];

interface Row {
  name: string;
  messages: number;
  bytes: number;
  jsonParseMsgsPerSec: number;
  collectorMsgsPerSec: number;
  /** collector ns per message / JSON.parse ns per message: 1.0 = as fast as the floor. */
  costVsJsonParse: number;
  framesPerPass: number;
  checksumsPerPass: number;
  mismatches: number;
}

let sink = 0;

/** Runs `pass()` (one whole capture) for about `ms`; returns passes per second. */
function measure(pass: () => void, ms: number): number {
  for (let i = 0; i < 3; i++) pass();
  let n = 0;
  const start = Bun.nanoseconds();
  const deadline = start + ms * 1e6;
  let now = start;
  while (now < deadline) {
    pass();
    n++;
    now = Bun.nanoseconds();
  }
  return n / ((now - start) / 1e9);
}

export async function benchCollectorKraken(): Promise<unknown> {
  const instruments = instrumentsFromV2Snapshot(
    new TextDecoder().decode(
      Bun.gunzipSync(new Uint8Array(readFileSync(`${FIXTURES}v2-instrument-snapshot.kraken-data-recorder.json.gz`))),
    ),
  ).bySymbol;
  const rows: Row[] = [];
  for (const c of CASES) {
    const texts = loadCaptureRecords(FIXTURES + c.file)
      .filter((r) => r.kind === "ws")
      .map((r) => r.raw);
    const bytes = texts.reduce((n, t) => n + t.length, 0);
    const publisher = new MarketPublisher({ source: SourceType.KrakenCollector, name: "bench" });
    const handler = new KrakenFeedHandler({
      api: c.api,
      depth: c.depth,
      publisher,
      instruments: c.api === "v2" ? instruments : undefined,
    });
    const floorPass = () => {
      for (let i = 0; i < texts.length; i++) sink += (JSON.parse(texts[i]) as unknown[]).length === 1 ? 1 : 0;
    };
    const collectorPass = () => {
      for (let i = 0; i < texts.length; i++) handler.handle(texts[i], 0n);
    };
    collectorPass();
    const framesPerPass = publisher.framesOut;
    const checksumsPerPass = handler.counters.checksumsVerified;
    let floor = 0;
    let collector = 0;
    for (let round = 0; round < 5; round++) {
      floor = Math.max(floor, measure(floorPass, 250));
      collector = Math.max(collector, measure(collectorPass, 250));
    }
    rows.push({
      name: c.name,
      messages: texts.length,
      bytes,
      jsonParseMsgsPerSec: Math.round(floor * texts.length),
      collectorMsgsPerSec: Math.round(collector * texts.length),
      costVsJsonParse: Number((floor / collector).toFixed(2)),
      framesPerPass,
      checksumsPerPass,
      mismatches: handler.counters.checksumMismatches,
    });
  }
  const result = {
    bench: "collector-kraken",
    date: new Date().toISOString(),
    bun: Bun.version,
    note:
      "collector = in-place parse + exact e8 decimals + book upkeep + CRC32 checksum on every update + frame build " +
      "(MarketPublisher, no socket); floor = JSON.parse of the same texts. costVsJsonParse = collector time / floor " +
      "time per message (target <= 1). book-1000 publishes a BookDelta of its top-50 view per update (see docs).",
    rows,
  };
  console.log(
    `${"case".padEnd(40)} ${"msgs".padStart(6)} ${"JSON.parse msg/s".padStart(17)} ${"collector msg/s".padStart(16)} ${"cost/parse".padStart(10)} ${"frames".padStart(7)} ${"checksums".padStart(9)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.name.padEnd(40)} ${String(r.messages).padStart(6)} ${r.jsonParseMsgsPerSec.toLocaleString("en").padStart(17)} ${r.collectorMsgsPerSec.toLocaleString("en").padStart(16)} ${r.costVsJsonParse.toFixed(2).padStart(10)} ${String(r.framesPerPass).padStart(7)} ${String(r.checksumsPerPass).padStart(9)}`,
    );
  }
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./results/collector-kraken.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  if (sink === -1) console.log(sink);
  return result;
}

if (import.meta.main) await benchCollectorKraken();
