import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { DepthBook } from "../../../../src/behavior/adapters/binance/depth-book.ts";
import { setI64, setU64 } from "../../../../src/behavior/adapters/binance/tlv-writer.ts";
import { OrderBook } from "../../../../src/behavior/market/order-book.ts";
import { InstrumentId } from "../../../../src/data/instrument-id.ts";

/**
 * DepthBook (Numbers, worst-to-best sides that move the shorter part on insert/remove) against the common OrderBook
 * (bigints, splice): the same operations give the same levels. Set FUZZ_SEED to replay a failure.
 */
const SEED = Number(process.env.FUZZ_SEED ?? 0xb00c_0de) >>> 0;
const ID = InstrumentId.spot(100, "BTC", "USDT");

function levels(book: { toTlv: DepthBook["toTlv"] }) {
  const t = book.toTlv(ID, 0n, 0n, 1_000_000, true);
  return { bids: t.bids, asks: t.asks };
}

describe("DepthBook", () => {
  test("random sets and removes, near and far from the top (shifts of both parts, loops and copyWithin, recentring) = OrderBook", () => {
    const op = fc.tuple(
      fc.boolean(),
      // clustered prices (hits, removes) and a wide range (inserts all over the side)
      fc.oneof(fc.integer({ min: 990, max: 1010 }), fc.integer({ min: 1, max: 6000 })),
      fc.oneof({ weight: 1, arbitrary: fc.constant(0) }, { weight: 3, arbitrary: fc.integer({ min: 1, max: 99 }) }),
    );
    fc.assert(
      fc.property(fc.array(op, { minLength: 1, maxLength: 3000 }), (ops) => {
        const a = new DepthBook();
        const b = new OrderBook();
        for (const [bid, p, q] of ops) {
          const price = p * 1_000_000;
          a.setNum(bid, price, q);
          b.set(bid ? "bid" : "ask", BigInt(price), BigInt(q));
        }
        expect(levels(a)).toEqual(levels(b));
        expect(a.bidLevels).toBe(b.bids.length);
        expect(a.askLevels).toBe(b.asks.length);
      }),
      { seed: SEED, numRuns: 60 },
    );
  });

  test("a snapshot side of 3000 levels best first, then inserts at every depth: sorted and complete", () => {
    const a = new DepthBook();
    const b = new OrderBook();
    for (let k = 0; k < 3000; k++) {
      a.setNum(true, 10_000_000 - 2 * k, 1 + k);
      b.set("bid", BigInt(10_000_000 - 2 * k), BigInt(1 + k));
    }
    for (let k = 0; k < 3000; k += 7) {
      a.setNum(true, 10_000_000 - 2 * k - 1, 5);
      b.set("bid", BigInt(10_000_000 - 2 * k - 1), 5n);
      a.setNum(true, 10_000_000 - 2 * k, 0);
      b.set("bid", BigInt(10_000_000 - 2 * k), 0n);
    }
    expect(levels(a)).toEqual(levels(b));
  });
});

describe("tlv-writer", () => {
  test("setI64 / setU64 write the bytes DataView.setBigInt64 writes (|v| <= 2^53)", () => {
    const x = new DataView(new ArrayBuffer(8));
    const y = new DataView(new ArrayBuffer(8));
    const edge = [0, 1, 2 ** 31 - 1, 2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 32 + 1, 2 ** 53 - 1, 2 ** 53];
    fc.assert(
      fc.property(
        fc.oneof(fc.constantFrom(...edge, ...edge.map((v) => -v)), fc.integer({ min: -(2 ** 53), max: 2 ** 53 })),
        (v) => {
          setI64(x, 0, v);
          y.setBigInt64(0, BigInt(v), true);
          expect(x.getBigInt64(0, true)).toBe(y.getBigInt64(0, true));
          if (v >= 0 && v < 2 ** 53) {
            setU64(x, 0, v);
            expect(x.getBigUint64(0, true)).toBe(BigInt(v));
          }
        },
      ),
      { seed: SEED, numRuns: 2000 },
    );
  });
});
