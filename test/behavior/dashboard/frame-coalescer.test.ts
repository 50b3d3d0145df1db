import { describe, expect, test } from "bun:test";
import { FrameCoalescer } from "../../../src/behavior/dashboard/frame-coalescer.ts";
import { formatE8, formatE18Price, priceFromSqrtX96 } from "../../../src/behavior/dashboard/page/format.ts";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import { StreamFramer } from "../../../src/rules/framer.ts";
import type { FrameParser } from "../../../src/rules/parser.ts";

const BTC = InstrumentId.spot(101, "BTC", "USD");
const ETH = InstrumentId.spot(101, "ETH", "USD");
const md = new FrameBuilder({ domain: 1, source: 90 });
const ex = new FrameBuilder({ domain: 3, source: 90 });

/** Feeds frames to the coalescer through the codec's framer, as the BusClient does. */
function feed(c: FrameCoalescer, frame: Uint8Array): void {
  new StreamFramer({ onFrame: (f, p) => c.push(f, p) }).push(frame.slice());
}

function decode(batch: Uint8Array | undefined): { type: number; value: Record<string, unknown> }[] {
  const out: { type: number; value: Record<string, unknown> }[] = [];
  if (batch === undefined) return out;
  new StreamFramer({
    onFrame: (_f, p: FrameParser) => {
      p.firstTlv();
      out.push({ type: p.tlvType, value: p.readTlv() ?? {} });
    },
  }).push(batch);
  return out;
}

const book = (instrument: InstrumentId, bid: bigint) =>
  md
    .begin()
    .add("OrderBook", {
      instrument,
      exchangeTsNs: 1n,
      updateId: bid,
      flags: 1,
      bids: [{ price: bid, size: 100n, orderCount: 0 }],
      asks: [{ price: bid + 10n, size: 200n, orderCount: 0 }],
    })
    .finish();

describe("FrameCoalescer", () => {
  test("sends one OrderBook per instrument per flush, the latest, and counts the rest as coalesced", () => {
    const c = new FrameCoalescer();
    for (let i = 1n; i <= 100n; i++) feed(c, book(BTC, 1000n + i));
    feed(c, book(ETH, 500n));
    const sent = decode(c.flush());
    expect(sent.map((s) => [s.type, String(s.value.instrument)])).toEqual([
      [3, "kraken:spot:BTC/USD"],
      [3, "kraken:spot:ETH/USD"],
    ]);
    expect((sent[0].value.bids as { price: bigint }[])[0].price).toBe(1100n);
    expect(c.counters.coalesced).toBe(99);
    expect(c.flush()).toBeUndefined();
  });

  test("applies BookDelta changes to the kept book (size 0 removes a level)", () => {
    const c = new FrameCoalescer();
    feed(c, book(BTC, 1000n));
    const delta = md
      .begin()
      .add("BookDelta", {
        instrument: BTC,
        exchangeTsNs: 2n,
        firstUpdateId: 2n,
        lastUpdateId: 3n,
        changes: [
          { price: 1005n, size: 7n, side: 1 },
          { price: 1010n, size: 0n, side: 2 },
          { price: 1020n, size: 9n, side: 2 },
        ],
      })
      .finish();
    feed(c, delta);
    const [b] = decode(c.flush());
    expect(b.value.bids).toEqual([
      { price: 1005n, size: 7n, orderCount: 0 },
      { price: 1000n, size: 100n, orderCount: 0 },
    ]);
    expect(b.value.asks).toEqual([{ price: 1020n, size: 9n, orderCount: 0 }]);
    expect(b.value.updateId).toBe(3n);
  });

  test("passes execution frames unchanged up to the per-flush cap, and replays fills to a new page", () => {
    const c = new FrameCoalescer({ maxPassPerFlush: 3 });
    const fills: Uint8Array[] = [];
    for (let i = 1n; i <= 5n; i++) {
      const f = ex
        .begin()
        .add("Fill", {
          orderId: i,
          fillId: i,
          instrument: BTC,
          side: 1,
          liquidity: 2,
          price: 100n,
          quantity: 1n,
          fee: 0n,
          quantityNative: 0n,
          txHash: `0x${"00".repeat(32)}`,
          timestampNs: i,
        })
        .finish()
        .slice();
      fills.push(f);
      feed(c, f);
    }
    const batch = c.flush()!;
    expect(batch).toEqual(new Uint8Array(Buffer.concat(fills.slice(0, 3))));
    expect(c.counters.shed).toBe(2);
    expect(decode(c.snapshot()).filter((s) => s.type === 42)).toHaveLength(5);
  });
});

describe("page formatting", () => {
  test("formats e8 integers with rounding half away from zero and separators", () => {
    expect(formatE8(6_462_500_000_000n, 2)).toBe("64,625.00");
    expect(formatE8(662_500_000n, 2)).toBe("6.63");
    expect(formatE8(-662_500_000n, 2)).toBe("-6.63");
    expect(formatE8(1n, 8)).toBe("0.00000001");
  });

  test("prices a V3 pool from its sqrt price with the decimals applied, to six significant digits", () => {
    // price token0 (6 decimals) in token1 (18 decimals) = (sqrtP / 2^96)^2 · 10^(6-18)
    const sqrt = 1n << 96n; // raw price 1: 1 unit of token0 per unit of token1 -> 1e-12 human
    expect(formatE18Price(priceFromSqrtX96(sqrt, 6, 18))).toBe("0.00000000000100000"); // six significant digits
    expect(formatE18Price(priceFromSqrtX96(sqrt, 18, 6))).toBe("1,000,000,000,000");
  });
});
