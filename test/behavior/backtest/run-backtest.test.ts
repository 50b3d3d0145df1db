import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fixtureStreams } from "../../../src/behavior/backtest/fixture-market-data.ts";
import { mergeStreams } from "../../../src/behavior/backtest/merge-streams.ts";
import { DEFAULT_MM_INSTRUMENT, runBacktest } from "../../../src/behavior/backtest/run-backtest.ts";
import { CaptureWriter } from "../../../src/behavior/capture/capture-writer.ts";
import type { OrderBook } from "../../../src/data/tlv-layouts.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import { FrameParser } from "../../../src/rules/parser.ts";

const FIXTURES = { fixtures: true } as const;
const merged = mergeStreams(fixtureStreams()).map((f) => f.frame);

function withTempDir<T>(body: (dir: string) => T): T {
  const dir = mkdtempSync(join(tmpdir(), "ap-backtest-"));
  try {
    return body(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("runBacktest", () => {
  test("two runs over the real fixture data give the same hash and byte-identical output frames and files", () => {
    withTempDir((dir) => {
      const a = runBacktest({ input: FIXTURES, keepFrames: true, out: join(dir, "a.apcap") });
      const b = runBacktest({ input: FIXTURES, keepFrames: true, out: join(dir, "b.apcap") });
      expect(a.marketFrames).toBeGreaterThan(10_000);
      expect(a.outputFrames).toBeGreaterThan(0);
      expect(b.sha256).toBe(a.sha256);
      expect(b.frames!.length).toBe(a.frames!.length);
      for (let i = 0; i < a.frames!.length; i++) expect(Buffer.compare(a.frames![i], b.frames![i])).toBe(0);
      const fa = readFileSync(join(dir, "a.apcap"));
      expect(Buffer.compare(fa, readFileSync(join(dir, "b.apcap")))).toBe(0);
      // the file holds exactly the hashed frames, after the 64-byte header and a 20-byte record header each
      expect(fa.length).toBe(64 + a.frames!.reduce((n, f) => n + 20 + f.length, 0));
    });
  });

  test("the market maker gets fills and P&L recomputed from the Fill frames alone equals the engine's", () => {
    const s = runBacktest({ input: FIXTURES });
    expect(s.counts.Fill).toBeGreaterThanOrEqual(1);
    expect(s.marketMaker.fills).toBe(s.fills);
    expect(s.reconciliation.mismatches).toEqual([]);
    expect(s.reconciliation.ok).toBe(true);
    expect(s.reconciliation.ledger.fills).toBe(s.fills);
    expect(s.reconciliation.pnlE16).toBe(s.pnl.totalE16);
    // the strategy's own books agree with the engine's
    const pos = s.positions.find((p) => p.instrument === DEFAULT_MM_INSTRUMENT.toString());
    expect(pos?.qtyE8).toBe(s.marketMaker.positionE8);
    expect(s.pnl.cashE16).toBe(s.marketMaker.cashE16);
  });

  test("real Polygon V3 pool data with a hand-made Kraken ETH/USD book gives arbitrage signals, the same on two runs", () => {
    const a = runBacktest({ input: { fixtures: true, arbitrageScenario: true } });
    const b = runBacktest({ input: { fixtures: true, arbitrageScenario: true } });
    expect(a.signals).toBeGreaterThan(0);
    expect(a.counts.Economics).toBe(a.signals);
    expect(b.sha256).toBe(a.sha256);
    expect(a.reconciliation.ok).toBe(true);
  });

  test("a capture file of the merged market data gives the same output as the frames themselves", () => {
    withTempDir((dir) => {
      const path = join(dir, "md.apcap");
      const w = new CaptureWriter({ path, relay: "market-data", domain: 1, flushIntervalMs: 0, createdNs: 1n });
      const p = new FrameParser();
      for (const f of merged) {
        p.check(f);
        w.append(p.timestampNs, f);
      }
      w.close();
      const fromFile = runBacktest({ input: { capture: path } });
      const fromFrames = runBacktest({ input: { frames: merged } });
      expect(fromFile.marketFrames).toBe(merged.length);
      expect(fromFile.sha256).toBe(fromFrames.sha256);
    });
  });

  test("one altered input frame (the Binance snapshot's best ask one tick higher) changes the hash", () => {
    const base = runBacktest({ input: { frames: merged } });
    const p = new FrameParser();
    const i = merged.findIndex((f) => {
      p.check(f);
      return (
        p.firstTlv() &&
        p.tlvType === 3 &&
        String((p.readTlv() as { instrument: unknown }).instrument).startsWith("binance")
      );
    });
    expect(i).toBeGreaterThanOrEqual(0);
    p.check(merged[i]);
    p.firstTlv();
    const book = p.readTlv() as unknown as OrderBook;
    const asks = book.asks.map((l, j) => (j === 0 ? { ...l, price: l.price + 1_000_000n } : l));
    const altered = new FrameBuilder({ domain: 1, source: p.source })
      .begin(p.timestampNs)
      .add("OrderBook", { ...book, asks })
      .finish()
      .slice();
    const changed = runBacktest({ input: { frames: merged.map((f, j) => (j === i ? altered : f)) } });
    expect(changed.sha256).not.toBe(base.sha256);
  });
});
