import { afterEach, describe, expect, test } from "bun:test";
import { type LiveCex, startLiveCex } from "../../../src/behavior/execution/cex/live-service.ts";
import type { ExecutionServiceConfig } from "../../../src/behavior/execution/config.ts";
import { ExecutionEngine, type LiveRouter } from "../../../src/behavior/execution/engine.ts";
import type { OrderRequest } from "../../../src/data/tlv-layouts.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import { ErrorCode } from "../../../src/rules/error-codes.ts";
import { FrameParser } from "../../../src/rules/parser.ts";
import { Until } from "../relay/helpers.ts";
import { BINANCE_KEY, BINANCE_SECRET, BTCUSDT, startBinance } from "./cex/helpers.ts";
import { decodeFrames, E8, T0, testConfig } from "./helpers.ts";
import { MemoryAudit } from "./memory-audit.ts";

/**
 * Live resting CEX orders in the engine's risk checks: an order the venue took and has not filled or cancelled
 * counts in max_open_orders and in the position worst case exactly as a paper resting order does, so the same
 * sequence of orders is refused at the same order, by the same check, with the same facts, in both modes.
 */
type Venue = Awaited<ReturnType<typeof startBinance>>;
let venue: Venue | undefined;
afterEach(async () => {
  await venue?.stop();
  venue = undefined;
});

/** An engine fed in-process (deterministic clock), live against the Binance replay venue's order desk or paper. */
function engineFor(config: ExecutionServiceConfig, liveVenue?: Venue) {
  const frames: Uint8Array[] = [];
  const audit = new MemoryAudit();
  const events = new Until();
  const push = (f: Uint8Array) => {
    frames.push(f.slice());
    events.check();
  };
  let cex: LiveCex | undefined;
  const live: LiveRouter = {
    order: (o) => cex!.order(o),
    cancel: (c) => cex!.cancel(c),
    openOrders: () => cex!.openOrders(),
  };
  const engine = new ExecutionEngine({ config, audit, publish: push, ...(liveVenue ? { live } : {}) });
  if (liveVenue) {
    cex = startLiveCex({
      env: { AP_BINANCE_API_KEY: BINANCE_KEY, AP_BINANCE_API_SECRET: BINANCE_SECRET },
      binanceUrl: liveVenue.restUrl,
      publish: push,
    });
  }
  const parser = new FrameParser();
  const md = new FrameBuilder({ domain: 1, source: 2 });
  const ex = new FrameBuilder({ domain: 3, source: 21 });
  const feed = (frame: Uint8Array) => {
    if (parser.check(frame) !== ErrorCode.Ok) throw new Error("test frame invalid");
    engine.onFrame(frame, parser);
  };
  // the 2024-08-08 market of the capture is ~61,800: the engine's book says so too
  feed(
    md
      .begin(T0)
      .add("OrderBook", {
        instrument: BTCUSDT,
        exchangeTsNs: T0,
        updateId: 0n,
        flags: 1,
        bids: [{ price: 61_800n * E8, size: E8, orderCount: 0 }],
        asks: [{ price: 61_810n * E8, size: E8, orderCount: 0 }],
      })
      .finish(),
  );
  const statuses = (id: bigint) =>
    decodeFrames(frames)
      .filter((o) => o.type === 41 && o.value.orderId === id)
      .map((o) => o.value.status as number);
  return {
    engine,
    audit,
    statuses,
    /** Resolves once the order has a status (live: the venue's answer). */
    async order(over: Partial<OrderRequest> & { orderId: bigint }): Promise<number[]> {
      feed(
        ex
          .begin(T0)
          .add("OrderRequest", {
            signalId: 0n,
            instrument: BTCUSDT,
            side: 1,
            orderType: 2,
            timeInForce: 1,
            flags: 0,
            // below the market: rests (paper book and the venue alike)
            price: 60_000n * E8,
            quantity: E8 / 100n,
            quantityNative: 0n,
            maxSlippageBps: 0,
            strategyId: 21,
            timestampNs: T0,
            ...over,
          })
          .finish(),
      );
      await events.until(() => statuses(over.orderId).length > 0);
      return statuses(over.orderId);
    },
    /** Resolves once the order is done (filled, cancelled, expired or rejected). */
    async settled(orderId: bigint): Promise<number[]> {
      await events.until(() => statuses(orderId).some((x) => x !== 1 && x !== 3));
      return statuses(orderId);
    },
    async cancel(orderId: bigint): Promise<void> {
      feed(ex.begin(T0).add("OrderCancel", { orderId, reason: 0, timestampNs: T0 }).finish());
      await events.until(() => statuses(orderId).includes(5));
    },
    refusal(orderId: bigint) {
      return audit.decisions().find((d) => d.order_id === orderId && d.decision === "reject");
    },
  };
}

describe("live resting CEX orders count in the engine's risk checks as paper resting orders do", () => {
  test("max_open_orders: the venue's resting order fills the one slot; the next refused; a cancel frees it", async () => {
    venue = await startBinance();
    const config = testConfig({ risk: { maxOpenOrders: 1 } });
    const live = engineFor(config, venue);
    const paper = engineFor(config);
    for (const e of [live, paper]) {
      expect(await e.order({ orderId: 1n })).toEqual([1]);
      expect(await e.order({ orderId: 2n })).toEqual([2]);
      // an order that cannot rest is not limited by max_open_orders (IOC far below the market: cancelled unfilled)
      await e.order({ orderId: 3n, timeInForce: 2 });
      expect(await e.settled(3n)).toEqual([1, 5]);
    }
    expect(venue.orders!.placed).toBe(2); // 1 and 3; 2 never left the engine
    expect(live.refusal(2n)).toEqual(paper.refusal(2n)!);
    expect(live.refusal(2n)).toMatchObject({ reason: 1, check: "open_orders", facts: { open: 1, max: 1 } });
    for (const e of [live, paper]) {
      await e.cancel(1n);
      expect(await e.order({ orderId: 4n })).toEqual([1]);
    }
  }, 20_000);

  test("position worst case: the resting live buy counts as filled; the next buy over the limit is refused", async () => {
    venue = await startBinance();
    // 0.01 BTC at the ~61,805 mid is ~618 USD: one fits under 1,000 USD, two do not
    const config = testConfig({ risk: { maxPositionNotionalE8: 1_000n * E8 } });
    const live = engineFor(config, venue);
    const paper = engineFor(config);
    for (const e of [live, paper]) {
      expect(await e.order({ orderId: 1n })).toEqual([1]);
      expect(await e.order({ orderId: 2n })).toEqual([2]);
      // a sell is on the other side: the worst case of the buys does not grow
      expect(await e.order({ orderId: 3n, side: 2, price: 63_000n * E8 })).toEqual([1]);
    }
    expect(live.refusal(2n)).toEqual(paper.refusal(2n)!);
    expect(live.refusal(2n)).toMatchObject({ reason: 1, check: "position_limit" });
  }, 20_000);
});
