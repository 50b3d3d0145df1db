import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { AuditLog, verifyAuditLog } from "../../../src/behavior/execution/audit-log.ts";
import { referencePrice } from "../../../src/behavior/execution/market-state.ts";
import { E8 as E8P } from "../../../src/behavior/execution/portfolio.ts";
import type { InstrumentId } from "../../../src/data/instrument-id.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import { BTC, E8, ETH, fills, Harness, px, T0, tempDir, testConfig } from "./helpers.ts";

/** A small deterministic PRNG (xorshift32): the scenario is the same on every run and machine. */
function rng(seed: number): () => number {
  let x = seed >>> 0;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

/** Input frames: books moving around, market and limit orders both ways, trades through resting orders. */
function scenarioFrames(seed: number, steps: number): Uint8Array[] {
  const r = rng(seed);
  const md = new FrameBuilder({ domain: 1, source: 2 });
  const ex = new FrameBuilder({ domain: 3, source: 21 });
  const frames: Uint8Array[] = [];
  let t = T0;
  const mid = [px(60_000), px(3_000)];
  let id = 1n;
  for (let i = 0; i < steps; i++) {
    t += BigInt(1 + (r() % 500)) * 1_000_000n;
    const k = r() % 2;
    const inst = [BTC, ETH][k];
    const tick = k === 0 ? 1_000_000_000n : 10_000_000n;
    mid[k] += (BigInt(r() % 5) - 2n) * tick;
    const roll = r() % 10;
    if (roll < 4) {
      const levels = (side: number) =>
        Array.from({ length: 5 }, (_, j) => ({
          price: mid[k] + BigInt(side) * BigInt(j + 1) * tick,
          size: BigInt(1 + (r() % 50)) * (E8 / 100n),
          orderCount: 0,
        }));
      frames.push(
        md
          .begin(t)
          .add("OrderBook", {
            instrument: inst,
            exchangeTsNs: t,
            updateId: 0n,
            flags: 1,
            bids: levels(-1),
            asks: levels(1),
          })
          .finish()
          .slice(),
      );
    } else if (roll < 8) {
      const side = 1 + (r() % 2);
      const market = r() % 3 === 0;
      frames.push(
        ex
          .begin(t)
          .add("OrderRequest", {
            orderId: id++,
            signalId: 0n,
            instrument: inst,
            side,
            orderType: market ? 1 : 2,
            timeInForce: 1 + (r() % 2),
            flags: 1,
            price: market ? 0n : mid[k] + (side === 1 ? -1n : 1n) * BigInt(r() % 4) * tick,
            quantity: BigInt(1 + (r() % 20)) * (E8 / 100n),
            quantityNative: 0n,
            maxSlippageBps: 0,
            strategyId: 21,
            timestampNs: t,
          })
          .finish()
          .slice(),
      );
    } else {
      const price = mid[k] + (BigInt(r() % 9) - 4n) * tick;
      frames.push(
        md
          .begin(t)
          .add("Trade", {
            instrument: inst,
            price,
            size: BigInt(1 + (r() % 30)) * (E8 / 100n),
            exchangeTsNs: t,
            side: 1,
          })
          .finish()
          .slice(),
      );
    }
  }
  return frames;
}

function run(frames: Uint8Array[], auditPath?: string) {
  const audit = auditPath ? new AuditLog(auditPath, "never") : undefined;
  const h = new Harness(
    testConfig({ breakers: { lossLimitE8: 10n ** 18n, staleDataMs: 86_400_000 }, risk: { maxBookAgeMs: 86_400_000 } }),
    audit,
  );
  for (const f of frames) h.feed(f);
  audit?.close();
  const hasher = new Bun.CryptoHasher("sha256");
  for (const f of h.frames) hasher.update(f);
  return { h, hash: hasher.digest("hex") };
}

describe("P&L reconciles exactly with the Fill frames", () => {
  test("positions, cash, fees and FIFO realised P&L recomputed from the fills alone equal the engine's", () => {
    const { h } = run(scenarioFrames(7, 3_000));
    const fs = fills(h.out);
    expect(fs.length).toBeGreaterThan(100);
    // independent recomputation: per instrument FIFO lots, signed quantities, cash at e16
    const lots = new Map<string, { qty: bigint; price: bigint }[]>();
    const qty = new Map<string, bigint>();
    let cash = 0n;
    let realised = 0n;
    let fees = 0n;
    for (const f of fs) {
      const key = (f.instrument as InstrumentId).toString();
      const price = f.price as bigint;
      let q = (f.side === 1 ? 1n : -1n) * (f.quantity as bigint);
      qty.set(key, (qty.get(key) ?? 0n) + q);
      cash -= q * price + (f.fee as bigint) * E8P;
      fees += f.fee as bigint;
      const book = lots.get(key) ?? [];
      lots.set(key, book);
      while (q !== 0n && book.length > 0 && book[0].qty > 0n !== q > 0n) {
        const lot = book[0];
        const close = [lot.qty < 0n ? -lot.qty : lot.qty, q < 0n ? -q : q].reduce((a, b) => (a < b ? a : b));
        realised += (lot.qty > 0n ? price - lot.price : lot.price - price) * close;
        lot.qty += lot.qty > 0n ? -close : close;
        q += q > 0n ? -close : close;
        if (lot.qty === 0n) book.shift();
      }
      if (q !== 0n) book.push({ qty: q, price });
    }
    const p = h.engine.portfolio;
    expect(p.cashE16).toBe(cash);
    expect(p.feesE8).toBe(fees);
    expect(p.realisedE16).toBe(realised);
    for (const [key, q] of qty) expect(p.positions.get(key)!.qty).toBe(q);
    // the accounting identity: cash + positions at the mark = realised + unrealised - fees
    const mark = (i: InstrumentId) => referencePrice(h.engine.market.books.get(i.toString()));
    let held = 0n;
    let unrealised = 0n;
    for (const [key, book] of lots) {
      const m = mark(p.positions.get(key)!.instrument);
      held += (qty.get(key) ?? 0n) * m;
      for (const lot of book) unrealised += (m - lot.price) * lot.qty;
    }
    expect(p.unrealisedE16(mark)).toBe(unrealised);
    expect(cash + held).toBe(realised + unrealised - fees * E8P);
    expect(h.engine.pnlE16()).toBe(realised + unrealised - fees * E8P);
  });
});

describe("determinism", () => {
  test("the same input frames give byte-identical output frames and audit logs on two runs", () => {
    using tmp = tempDir();
    const frames = scenarioFrames(11, 1_500);
    const a = run(frames, join(tmp.dir, "a.log"));
    const b = run(frames, join(tmp.dir, "b.log"));
    expect(a.h.frames.length).toBeGreaterThan(200);
    expect(a.hash).toBe(b.hash);
    expect(readFileSync(join(tmp.dir, "a.log"))).toEqual(readFileSync(join(tmp.dir, "b.log")));
    expect(verifyAuditLog(join(tmp.dir, "a.log")).ok).toBe(true);
    console.log(`output frames: ${a.h.frames.length}, sha256 ${a.hash}`);
  });
});
