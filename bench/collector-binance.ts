/**
 * Binance collector throughput: messages/s from raw venue JSON text to built frames (scan, exact e8 parsing, book
 * upkeep, frame building into a no-op sink; no sockets), against JSON.parse alone of the same messages in the same
 * run (the floor). Run: bun bench/collector-binance.ts   Writes bench/results/collector-binance.json.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { BINANCE_MARKETS } from "../src/behavior/adapters/binance/config.ts";
import { fallbackInstrument } from "../src/behavior/adapters/binance/instrument-provider.ts";
import { BinanceNormalizer } from "../src/behavior/adapters/binance/normalizer.ts";
import { MarketPublisher } from "../src/behavior/adapters/common/market-publisher.ts";
import { loadCaptureRecords } from "../src/behavior/venues/capture-records.ts";

const FIXTURES = new URL("../fixtures/binance/", import.meta.url).pathname;
const SESSIONS = [
  {
    name: "spot 2024 BTCUSDT",
    file: "spot-btcusdt-depth100ms-trade-bookticker-2024-08-08.hftbacktest.jsonl.gz",
    market: "spot" as const,
  },
  {
    name: "usdm 2024 BTCUSDT",
    file: "usdm-btcusdt-depth0ms-trade-bookticker-2024-08-08.hftbacktest.jsonl.gz",
    market: "usdm" as const,
  },
];

function session(file: string) {
  const records = loadCaptureRecords(FIXTURES + file);
  const ws = records.filter((r) => r.kind === "ws").map((r) => r.raw);
  const snapshot = records.find((r) => r.kind === "rest")!.raw;
  return { ws, snapshot };
}

function timeMs(run: () => void, minMs = 400): { perPassMs: number; passes: number } {
  run(); // warm-up
  let passes = 0;
  const start = performance.now();
  while (performance.now() - start < minMs) {
    run();
    passes++;
  }
  return { perPassMs: (performance.now() - start) / passes, passes };
}

export async function benchCollectorBinance(): Promise<unknown> {
  const rows = [];
  for (const s of SESSIONS) {
    const { ws, snapshot } = session(s.file);
    const spec = BINANCE_MARKETS[s.market];
    let sinkBytes = 0;
    const collector = () => {
      const publisher = new MarketPublisher({ source: 1, name: "bench", sink: (f) => (sinkBytes += f.length) });
      const n = new BinanceNormalizer({
        market: s.market,
        publisher,
        instruments: new Map([["BTCUSDT", fallbackInstrument("BTCUSDT", spec)]]),
        requestSnapshot: () => {},
      });
      n.requestAllSnapshots(false);
      n.applySnapshot("BTCUSDT", snapshot);
      for (let i = 0; i < ws.length; i++) n.handleMessage(ws[i]);
      if (n.counters.gaps !== 0 || n.counters.parseErrors !== 0) throw new Error("bench session did not sync");
    };
    let keep = 0;
    const floor = () => {
      for (let i = 0; i < ws.length; i++) keep += JSON.parse(ws[i]) ? 1 : 0;
    };
    const f = timeMs(floor);
    const c = timeMs(collector);
    rows.push({
      session: s.name,
      messages: ws.length,
      json_parse_msgs_per_s: Math.round(ws.length / (f.perPassMs / 1000)),
      collector_msgs_per_s: Math.round(ws.length / (c.perPassMs / 1000)),
      ratio_collector_over_json_parse: Number((c.perPassMs / f.perPassMs).toFixed(2)),
    });
    void keep;
    void sinkBytes;
  }
  console.table(rows);
  const result = { bench: "collector-binance", date: new Date().toISOString(), bun: Bun.version, rows };
  mkdirSync(new URL("results/", import.meta.url).pathname, { recursive: true });
  writeFileSync(
    new URL("results/collector-binance.json", import.meta.url).pathname,
    `${JSON.stringify(result, null, 2)}\n`,
  );
  return result;
}

if (import.meta.main) await benchCollectorBinance();
