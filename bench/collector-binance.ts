/**
 * Binance collector throughput: messages/s from raw venue JSON text to built frames (scan, exact e8 parsing, book
 * upkeep, frame building into a no-op sink; no sockets), against JSON.parse alone of the same messages in the same
 * run (the floor). Run: bun bench/collector-binance.ts   Writes bench/results/collector-binance.json.
 *
 * Each pass replays a whole captured session through a fresh BinanceNormalizer: the REST depth snapshot (1000+1000
 * levels) is loaded first, then every WebSocket message. The snapshot load is timed on its own (a pass that only
 * loads it) and reported apart: the headline ratio is the stream alone (collector pass minus snapshot load, over
 * JSON.parse of the stream messages); `withSnapshot` counts it on both sides (JSON.parse of the snapshot body added
 * to the floor). Per-kind rows replay only the depth events, only the trades, or only the bookTickers (the depth
 * rows still load the snapshot first; it is subtracted) against JSON.parse of the same subset.
 *
 * The collector takes its fast path (fast-reader.ts) for every message in Binance's own form once a book is live;
 * `fast_path` / `fallbacks` count the session's messages each way (the fallbacks are the sync phase's depth events).
 *
 * Passes alternate (floor, snapshot, collector, per-kind...) for AP_BENCH_ROUNDS rounds (default 9) so a burst of
 * load from another process hits all of them alike; the figures are the medians.
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

function kindOf(text: string): "depth" | "trade" | "bookTicker" {
  if (text.includes('"depthUpdate"')) return "depth";
  if (text.includes('"e":"trade"') || text.includes('"aggTrade"')) return "trade";
  return "bookTicker";
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[s.length >> 1];
}

let sinkBytes = 0;
let keep = 0;

export async function benchCollectorBinance(): Promise<unknown> {
  const rounds = Number(process.env.AP_BENCH_ROUNDS ?? 9);
  const rows = [];
  const perKind = [];
  for (const s of SESSIONS) {
    const { ws, snapshot } = session(s.file);
    const spec = BINANCE_MARKETS[s.market];
    const normalizer = () => {
      const publisher = new MarketPublisher({ source: 1, name: "bench", sink: (f) => (sinkBytes += f.length) });
      const n = new BinanceNormalizer({
        market: s.market,
        publisher,
        instruments: new Map([["BTCUSDT", fallbackInstrument("BTCUSDT", spec)]]),
        requestSnapshot: () => {},
      });
      n.requestAllSnapshots(false);
      n.applySnapshot("BTCUSDT", snapshot);
      return n;
    };
    let last: BinanceNormalizer | undefined;
    const collect = (msgs: string[]) => () => {
      const n = normalizer();
      for (let i = 0; i < msgs.length; i++) n.handleMessage(msgs[i]);
      if (n.counters.gaps !== 0 || n.counters.parseErrors !== 0) throw new Error("bench session did not sync");
      last = n;
    };
    const floorOf = (msgs: string[]) => () => {
      for (let i = 0; i < msgs.length; i++) keep += JSON.parse(msgs[i]) ? 1 : 0;
    };
    const subsets = {
      depth: ws.filter((m) => kindOf(m) === "depth"),
      trade: ws.filter((m) => kindOf(m) === "trade"),
      bookTicker: ws.filter((m) => kindOf(m) === "bookTicker"),
    };
    const cases: Record<string, () => void> = {
      floor: floorOf(ws),
      floorSnapshot: () => {
        keep += JSON.parse(snapshot) ? 1 : 0;
      },
      snapshot: () => void normalizer(),
      collector: collect(ws),
    };
    for (const [k, msgs] of Object.entries(subsets)) {
      cases[`floor-${k}`] = floorOf(msgs);
      cases[`collector-${k}`] = collect(msgs);
    }
    const times: Record<string, number[]> = {};
    for (const [k, run] of Object.entries(cases)) {
      for (let w = 0; w < 5; w++) run(); // warm-up
      times[k] = [];
    }
    for (let r = 0; r < rounds; r++) {
      for (const [k, run] of Object.entries(cases)) {
        // a small case is repeated so each timing spans a few ms
        const reps = k === "snapshot" || k === "floorSnapshot" ? 20 : 1;
        const t = Bun.nanoseconds();
        for (let i = 0; i < reps; i++) run();
        times[k].push((Bun.nanoseconds() - t) / reps);
      }
    }
    // the whole session once more, for its fast-path counters (not timed)
    collect(ws)();
    const counters = last!.counters;
    const m = (k: string) => median(times[k]);
    const floorNs = m("floor");
    const snapNs = m("snapshot");
    const streamNs = m("collector") - snapNs;
    rows.push({
      session: s.name,
      messages: ws.length,
      json_parse_msgs_per_s: Math.round(ws.length / (floorNs / 1e9)),
      collector_msgs_per_s: Math.round(ws.length / (streamNs / 1e9)),
      /** stream only: (collector pass - snapshot load) / JSON.parse of the same messages; <= 1 meets the target */
      ratio_collector_over_json_parse: Number((streamNs / floorNs).toFixed(2)),
      snapshot_load_us: Math.round(snapNs / 1000),
      snapshot_json_parse_us: Math.round(m("floorSnapshot") / 1000),
      /** both sides with the snapshot body: (collector pass) / (JSON.parse of the messages and the snapshot) */
      ratio_with_snapshot: Number((m("collector") / (floorNs + m("floorSnapshot"))).toFixed(2)),
      /** messages handled whole by the fast path / passed to the general one (the sync phase's depth events) */
      fast_path: counters.fastPath,
      fallbacks: counters.fallbacks,
    });
    for (const k of Object.keys(subsets)) {
      const n = subsets[k as keyof typeof subsets].length;
      const f = m(`floor-${k}`);
      const c = m(`collector-${k}`) - snapNs;
      perKind.push({
        session: s.name,
        kind: k,
        messages: n,
        json_parse_ns_per_msg: Math.round(f / n),
        collector_ns_per_msg: Math.round(c / n),
        ratio: Number((c / f).toFixed(2)),
      });
    }
  }
  console.table(rows);
  console.table(perKind);
  const result = {
    bench: "collector-binance",
    date: new Date().toISOString(),
    bun: Bun.version,
    method: `median of ${rounds} interleaved rounds; stream ratio excludes the REST snapshot load (timed apart)`,
    rows,
    perKind,
  };
  void keep;
  void sinkBytes;
  mkdirSync(new URL("results/", import.meta.url).pathname, { recursive: true });
  writeFileSync(
    new URL("results/collector-binance.json", import.meta.url).pathname,
    `${JSON.stringify(result, null, 2)}\n`,
  );
  return result;
}

if (import.meta.main) await benchCollectorBinance();
