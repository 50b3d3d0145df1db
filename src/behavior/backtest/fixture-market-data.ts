import { readFileSync } from "node:fs";
import { join } from "node:path";
import { InstrumentId } from "../../data/instrument-id.ts";
import { SourceType } from "../../data/venues.ts";
import { FrameParser } from "../../rules/parser.ts";
import { BINANCE_MARKETS, type BinanceMarket } from "../adapters/binance/config.ts";
import { fallbackInstrument } from "../adapters/binance/instrument-provider.ts";
import { BinanceNormalizer } from "../adapters/binance/normalizer.ts";
import { MarketPublisher } from "../adapters/common/market-publisher.ts";
import { type KrakenApi, KrakenFeedHandler } from "../adapters/kraken/feed-handler.ts";
import { POLYGON_FACTORIES } from "../adapters/polygon/config.ts";
import { PolygonDataClient } from "../adapters/polygon/data-client.ts";
import type { PoolInfo, RpcLog } from "../adapters/polygon/pool-info.ts";
import { loadCaptureRecords } from "../venues/capture-records.ts";
import { BacktestError } from "./errors.ts";
import type { TimedFrame } from "./merge-streams.ts";

export const FIXTURES_DIR = join(import.meta.dir, "../../../fixtures");

/** Which venue captures of fixtures/ become market data; paths relative to fixtures/. */
export interface FixtureSelection {
  kraken?: { file: string; api: KrakenApi; depth: number }[];
  binance?: { file: string; market: BinanceMarket; symbols: string[] }[];
  polygon?: { file: string }[];
}

/** The default set: one capture per venue, with trades where the venue's capture has them. */
export const DEFAULT_FIXTURES: FixtureSelection = {
  kraken: [{ file: "kraken/v1-book10-xbtusd-2023-08-30.python-kraken-sdk.jsonl.gz", api: "v1", depth: 10 }],
  binance: [
    {
      file: "binance/spot-btcusdt-depth100ms-trade-bookticker-2024-08-08.hftbacktest.jsonl.gz",
      market: "spot",
      symbols: ["BTCUSDT"],
    },
  ],
  polygon: [{ file: "polygon/univ3-usdce-weth-500-0x45dd-2023-11-25.getlogs.jsonl.gz" }],
};

const NS_PER_S = 1_000_000_000n;

/**
 * Turns one venue capture into market data frames with the collector's own normalisation code, driven directly
 * (no socket, no timer, so nothing depends on scheduling): Kraken KrakenFeedHandler.handle, Binance
 * BinanceNormalizer.handleMessage / applySnapshot, Polygon PolygonDataClient.ingestLog (offline). Each frame gets a
 * time: the largest exchange / block time among its TLVs, else the receive time of the capture record that
 * produced it, else 0 (mergeStreams then carries the previous frame's time forward).
 */
export function krakenStream(path: string, api: KrakenApi, depth: number): TimedFrame[] {
  const sink = new FrameSink();
  const handler = new KrakenFeedHandler({ api, depth, publisher: sink.publisher(SourceType.KrakenCollector) });
  for (const r of loadCaptureRecords(path)) {
    if (r.kind !== "ws") continue;
    sink.recvNs = r.recvNs ?? 0n;
    handler.handle(r.raw, sink.recvNs);
  }
  return sink.frames;
}

/**
 * Binance: records in file order; the REST depth snapshot is applied where the capture has it (events before it are
 * buffered by the normalizer, as the collector does while its snapshot request is in flight). A gap later asks for a
 * snapshot the capture cannot give: that book stays invalidated to the end, as it would against a silent venue.
 */
export function binanceStream(path: string, market: BinanceMarket, symbols: readonly string[]): TimedFrame[] {
  const sink = new FrameSink();
  const spec = BINANCE_MARKETS[market];
  const normalizer = new BinanceNormalizer({
    market,
    publisher: sink.publisher(SourceType.BinanceCollector),
    instruments: new Map(symbols.map((s) => [s, fallbackInstrument(s, spec)])),
    requestSnapshot: () => {},
  });
  normalizer.requestAllSnapshots(false);
  for (const r of loadCaptureRecords(path)) {
    sink.recvNs = r.recvNs ?? 0n;
    if (r.kind === "ws") normalizer.handleMessage(r.raw);
    else if (r.kind === "rest") {
      const symbol = /[?&]symbol=([A-Z0-9]+)/.exec(r.url ?? "")?.[1];
      if (symbol !== undefined && symbols.includes(symbol)) normalizer.applySnapshot(symbol, r.raw);
    }
  }
  return sink.frames;
}

interface PoolRow {
  type: "uniswap-v2" | "uniswap-v3";
  address: string;
  token0: { address: string; decimals: number; symbol: string };
  token1: { address: string; decimals: number; symbol: string };
  feePips?: number;
  tickSpacing?: number;
  factory: string;
}

const V3_SWAP = "0xc42079f94a6350d7e6235f29174924f928cc2ac818eb64fed8004e115fbcca67";
const V2_SYNC = "0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1";

/**
 * Polygon: getLogs lines through the collector's decoder, encoder and de-duplication (ingestLog). Pool metadata comes
 * from fixtures/polygon/pools.json and the collector's factory table (POLYGON_FACTORIES), as its instrument provider
 * would read them by eth_call. The collector's PoolState comes from eth_call state reads, which a log capture does
 * not hold; so a pool's first PoolState is published right after its first V3 Swap / V2 Sync log, with the state
 * that log reports (a V3 Swap carries sqrtPriceX96, liquidity and tick after the swap; a Sync the reserves): exact,
 * not estimated. Consumers ignore the pool's events before it.
 */
export function polygonStream(path: string, poolsFile = join(FIXTURES_DIR, "polygon/pools.json")): TimedFrame[] {
  const sink = new FrameSink();
  const publisher = sink.publisher(SourceType.PolygonCollector);
  const rows = (JSON.parse(readFileSync(poolsFile, "utf8")) as { pools: PoolRow[] }).pools;
  const infos = new Map<string, PoolInfo>();
  for (const row of rows) {
    const known = POLYGON_FACTORIES.get(row.factory.toLowerCase());
    if (known === undefined) continue;
    const address = row.address.toLowerCase() as `0x${string}`;
    infos.set(address, {
      address,
      instrument: InstrumentId.pool(known.venue, 137, address),
      venue: known.venue,
      protocol: known.protocol,
      token0: row.token0.address.toLowerCase() as `0x${string}`,
      token1: row.token1.address.toLowerCase() as `0x${string}`,
      decimals0: row.token0.decimals,
      decimals1: row.token1.decimals,
      symbol0: row.token0.symbol,
      symbol1: row.token1.symbol,
      feePpm: known.protocol === 3 ? (row.feePips ?? 3000) : (known.v2FeePpm ?? 3000),
      tickSpacing: known.protocol === 3 ? (row.tickSpacing ?? 60) : 0,
      factory: row.factory.toLowerCase() as `0x${string}`,
    });
  }
  const client = new PolygonDataClient(
    { url: "ws://offline", pools: [...infos.keys()] as `0x${string}`[] },
    publisher,
    { offline: true },
  );
  for (const info of infos.values()) client.addPool(info);
  const raw = new Uint8Array(readFileSync(path));
  const text = new TextDecoder().decode(path.endsWith(".gz") ? Bun.gunzipSync(raw) : raw);
  const snapshotted = new Set<string>();
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    const log = JSON.parse(line) as RpcLog;
    sink.recvNs = log.blockTimestamp === undefined ? 0n : BigInt(log.blockTimestamp) * NS_PER_S;
    client.ingestLog(log, false);
    const info = infos.get(log.address.toLowerCase());
    const t0 = log.topics[0];
    if (info === undefined || snapshotted.has(info.address) || log.removed === true) continue;
    if (t0 !== (info.protocol === 3 ? V3_SWAP : V2_SYNC)) continue;
    snapshotted.add(info.address);
    const w = (log.data.slice(2).match(/.{64}/g) ?? []).map((x) => BigInt(`0x${x}`));
    const v3 = info.protocol === 3;
    publisher.publish("PoolState", {
      pool: info.instrument,
      blockNumber: BigInt(log.blockNumber),
      timestampNs: sink.recvNs,
      token0: info.token0,
      token1: info.token1,
      feePpm: info.feePpm,
      tickSpacing: info.tickSpacing,
      token0Decimals: info.decimals0,
      token1Decimals: info.decimals1,
      protocol: info.protocol,
      reserve0: v3 ? 0n : w[0],
      reserve1: v3 ? 0n : w[1],
      sqrtPriceX96: v3 ? w[2] : 0n,
      liquidity: v3 ? w[3] : 0n,
      tick: v3 ? Number(BigInt.asIntN(24, w[4])) : 0,
    });
  }
  return sink.frames;
}

/** The selected captures as one stream per capture, in the order kraken, binance, polygon (the merge tie-break). */
export function fixtureStreams(selection: FixtureSelection = DEFAULT_FIXTURES, dir = FIXTURES_DIR): TimedFrame[][] {
  const at = (file: string) => {
    const path = join(dir, file);
    try {
      readFileSync(path, { flag: "r" }).subarray(0, 0);
    } catch (e) {
      throw new BacktestError({
        code: "FixtureMissing",
        message: `fixture ${file} cannot be read`,
        facts: { path, cause: (e as Error).message },
        hint: "run from the repository root, or pass --capture",
      });
    }
    return path;
  };
  const streams: TimedFrame[][] = [];
  for (const k of selection.kraken ?? []) streams.push(krakenStream(at(k.file), k.api, k.depth));
  for (const b of selection.binance ?? []) streams.push(binanceStream(at(b.file), b.market, b.symbols));
  for (const p of selection.polygon ?? []) streams.push(polygonStream(at(p.file)));
  return streams;
}

/** Collects a collector's frames (copies) with their time; `recvNs` is the capture record being processed. */
class FrameSink {
  readonly frames: TimedFrame[] = [];
  recvNs = 0n;
  private readonly parser = new FrameParser();

  publisher(source: number): MarketPublisher {
    return new MarketPublisher({ source, name: "backtest", sink: (frame) => this.take(frame) });
  }

  private take(frame: Uint8Array): void {
    const copy = frame.slice();
    let t = 0n;
    if (this.parser.check(copy) === 0) {
      for (let ok = this.parser.firstTlv(); ok; ok = this.parser.nextTlv()) {
        const v = this.parser.readTlv() as { exchangeTsNs?: bigint; timestampNs?: bigint } | undefined;
        const ts = v?.exchangeTsNs ?? v?.timestampNs ?? 0n;
        if (ts > t) t = ts;
      }
    }
    this.frames.push({ frame: copy, timeNs: t > 0n ? t : this.recvNs });
  }
}
