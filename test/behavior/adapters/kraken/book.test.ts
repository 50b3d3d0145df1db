import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { BAD_DECIMAL, scanDecimal, scanRfc3339Ns } from "../../../../src/behavior/adapters/common/decimal-scan.ts";
import { KrakenBook } from "../../../../src/behavior/adapters/kraken/book.ts";
import { krakenBookChecksum, krakenChecksumInput } from "../../../../src/behavior/adapters/kraken/checksum.ts";
import { E8_BAD, E8_WIDE, rfc3339, rfc3339Ms, scanE8 } from "../../../../src/behavior/adapters/kraken/e8.ts";
import { KrakenFeedHandler } from "../../../../src/behavior/adapters/kraken/feed-handler.ts";
import {
  levelCrc,
  scanE8Crc,
  scanE8CrcTo,
  shiftZeros,
  textDigitsCrc,
  valueDigitsCrc,
} from "../../../../src/behavior/adapters/kraken/level-crc.ts";
import { OrderBook } from "../../../../src/behavior/market/order-book.ts";
import { InstrumentId } from "../../../../src/data/instrument-id.ts";
import { crc32 } from "../../../../src/rules/crc32.ts";
import { checkedPublisher, consumerBooks, type Published } from "./harness.ts";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
const enc = new TextEncoder();

/** Decimal-looking text: digits, an optional point and fraction, sometimes a stray character. */
const decimalText = fc
  .tuple(
    fc.stringMatching(/^[0-9]{0,19}$/),
    fc.option(fc.stringMatching(/^[0-9]{0,12}$/)),
    fc.option(fc.constantFrom("-", "e", "x", ".", " ")),
    fc.nat(25),
  )
  .map(([int, frac, junk, at]) => {
    const s = frac === null ? int : `${int}.${frac}`;
    return junk === null ? s : s.slice(0, at) + junk + s.slice(at);
  });

/** The register of plain CRC-32 over the bytes of `text` from register `c` (reference for the per-level CRC). */
function registerOver(text: string, c: number): number {
  // crc32(buf, 0, n, crc) starts from ~crc and ends with ~: undo both to continue a raw register
  return ~crc32(enc.encode(text), 0, text.length, ~c >>> 0);
}

describe("exact e8 Numbers (e8.ts)", () => {
  test("scanE8 accepts and refuses exactly what scanDecimal does, with the same value", () => {
    fc.assert(
      fc.property(decimalText, (s) => {
        const ref = scanDecimal(s, 0, s.length, 8);
        const v = scanE8(s, 0, s.length);
        if (ref === BAD_DECIMAL) expect(v).toBe(E8_BAD);
        else if (v === E8_WIDE) expect(ref > MAX_SAFE).toBe(true);
        else expect(BigInt(v)).toBe(ref);
      }),
      { numRuns: 5000 },
    );
  });

  test("rfc3339Ms + subMsNs is scanRfc3339Ns, without a bigint", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 4102444799999 }), fc.nat(999_999), fc.nat(9), (ms, sub, digits) => {
        const iso = new Date(ms).toISOString(); // ...SS.mmmZ
        const frac = `${iso.slice(20, 23)}${String(sub).padStart(6, "0")}`.slice(0, digits);
        const s = `${iso.slice(0, 19)}${digits > 0 ? `.${frac}` : ""}Z`;
        const ref = scanRfc3339Ns(s, 0, s.length);
        const got = rfc3339Ms(s, 0, s.length);
        expect(BigInt(got) * 1_000_000n + BigInt(rfc3339.subMsNs)).toBe(ref);
      }),
      { numRuns: 2000 },
    );
  });
});

describe("per-level checksum CRC (level-crc.ts)", () => {
  test("shiftZeros(c, n) is the register after n zero bytes", () => {
    fc.assert(
      fc.property(fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }), fc.nat(300), (c, n) => {
        expect(shiftZeros(c, n) | 0).toBe(registerOver("\0".repeat(n), c) | 0);
      }),
    );
  });

  test("text, value and fused forms give the digits krakenChecksumInput writes", () => {
    fc.assert(
      fc.property(
        decimalText,
        decimalText,
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: 0, max: 10 }),
        (p, q, pd, qd) => {
          const pv = scanDecimal(p, 0, p.length, 8);
          const qv = scanDecimal(q, 0, q.length, 8);
          if (pv === BAD_DECIMAL || qv === BAD_DECIMAL) return;
          const book = new OrderBook();
          book.asks.push({ price: pv, size: qv }); // size 0 kept: the digit rule is what is tested
          const input = krakenChecksumInput(book, pd, qd);
          const want = registerOver(input, 0) | 0;
          textDigitsCrc(p, 0, p.length, pd, 0, 0);
          textDigitsCrc(q, 0, q.length, qd, levelCrc.g, levelCrc.len);
          expect([levelCrc.g | 0, levelCrc.len]).toEqual([want, input.length]);
          const small = (v: bigint) => (v > MAX_SAFE ? [0, v] : [Number(v), undefined]) as [number, bigint | undefined];
          valueDigitsCrc(...small(pv), pd, 0, 0);
          valueDigitsCrc(...small(qv), qd, levelCrc.g, levelCrc.len);
          expect([levelCrc.g | 0, levelCrc.len]).toEqual([want, input.length]);
          const a = scanE8Crc(p, 0, p.length, pd, 0, 0);
          if (a < 0) return;
          expect(BigInt(a)).toBe(pv);
          const b = scanE8Crc(q, 0, q.length, qd, levelCrc.g, levelCrc.len);
          if (b < 0) return;
          expect(BigInt(b)).toBe(qv);
          expect([levelCrc.g | 0, levelCrc.len]).toEqual([want, input.length]);
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe("scanE8CrcTo (the fast paths' reader)", () => {
  test("finds the end of the run and gives scanE8Crc's value and CRC for it", () => {
    fc.assert(
      fc.property(
        decimalText,
        fc.constantFrom('"', ",", "}", "", "]"),
        fc.integer({ min: 0, max: 10 }),
        fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }),
        fc.nat(20),
        (text, terminator, decimals, g0, len0) => {
          const s = `[${text}${terminator}`;
          let end = 1;
          while (end < s.length && /[0-9.]/.test(s[end])) end++;
          const got = scanE8CrcTo(s, 1, decimals, g0, len0);
          if (got !== E8_BAD) expect(levelCrc.end).toBe(end); // refused: the caller falls back, the end is moot
          const gotCrc = [levelCrc.g, levelCrc.len];
          const ref = scanE8Crc(s, 1, end, decimals, g0, len0);
          if (got >= 0) {
            expect(got).toBe(ref);
            expect(gotCrc).toEqual([levelCrc.g, levelCrc.len]);
          } else if (/^[0-9]/.test(text)) expect(got).toBe(ref);
          else expect(got).toBe(E8_BAD); // not starting with a digit: refused here, the general path decides
        },
      ),
      { numRuns: 5000 },
    );
  });
});

/** Random book updates on a few prices (collisions, removals, re-insertions), some sizes beyond 2^53. */
const updates = fc.array(
  fc.record({
    bid: fc.boolean(),
    price: fc.integer({ min: 1, max: 40 }),
    size: fc.oneof(
      fc.constant(0n),
      fc.bigInt({ min: 1n, max: 10n ** 9n }),
      fc.bigInt({ min: MAX_SAFE, max: 2n ** 62n }),
    ),
  }),
  { maxLength: 120 },
);

describe("KrakenBook against the shared OrderBook", () => {
  test("same levels after every update and the same checksum as krakenBookChecksum", () => {
    const id = InstrumentId.fromVenueSymbol("kraken", "XBT/USD");
    fc.assert(
      fc.property(updates, fc.integer({ min: 1, max: 30 }), (ups, depth) => {
        const mine = new KrakenBook("XBT/USD", id, depth);
        mine.priceDecimals = 5;
        mine.qtyDecimals = 8;
        const ref = new OrderBook();
        for (const u of ups) {
          const p = BigInt(u.price) * 10n ** 8n + 12345n;
          const side = u.bid ? mine.bids : mine.asks;
          const big = u.size > MAX_SAFE;
          side.set(Number(p), undefined, big ? Number(u.size) : Number(u.size), big ? u.size : undefined, 0, 0, -1);
          ref.set(u.bid ? "bid" : "ask", p, u.size);
          mine.truncate(depth);
          ref.truncate(depth);
          const view = mine.book;
          expect(view.bids).toEqual(ref.bids);
          expect(view.asks).toEqual(ref.asks);
          expect(mine.checksum()).toBe(krakenBookChecksum(ref, 5, 8));
        }
      }),
      { numRuns: 300 },
    );
  });
});

// ---- deltas: a consumer of the published frames holds the collector's book ---------------------------------------

const fmt = (v: bigint, d: number) => `${v / 10n ** BigInt(d)}.${String(v % 10n ** BigInt(d)).padStart(d, "0")}`;

/**
 * A v1 session for one pair built from random updates: snapshot, then one message per step with Kraken's checksum
 * of the reference book after the step (apply, then truncate to the depth).
 */
function session(depth: number, snapshot: number[], steps: { bid: boolean; price: number; size: number }[][]) {
  const ref = new OrderBook();
  const level = (price: number, size: number) => {
    const p = BigInt(price) * 1000n; // 5 price decimals: prices like "123.45000"
    const q = BigInt(size) * 1_000_000n; // 8 qty decimals
    return { p, q, text: `["${fmt(p, 5)}","${fmt(q, 8)}","1693415330.${String(price).padStart(6, "0")}"]` };
  };
  const pair = `"book-${depth}","XBT/USD"]`;
  const as: string[] = [];
  const bs: string[] = [];
  for (const [i, price] of snapshot.entries()) {
    const bid = i % 2 === 0;
    const l = level(bid ? price : price + 1000, 1 + (price % 7));
    ref.set(bid ? "bid" : "ask", l.p * 1000n, l.q);
    (bid ? bs : as).push(l.text);
  }
  ref.truncate(depth);
  const messages = [`[7,{"as":[${as.join(",")}],"bs":[${bs.join(",")}]},${pair}`];
  for (const step of steps) {
    const a: string[] = [];
    const b: string[] = [];
    for (const u of step) {
      const l = level(u.bid ? u.price : u.price + 1000, u.size);
      ref.set(u.bid ? "bid" : "ask", l.p * 1000n, l.q);
      (u.bid ? b : a).push(l.text);
    }
    ref.truncate(depth);
    const c = krakenBookChecksum(ref, 5, 8);
    const parts: string[] = [];
    if (a.length > 0) parts.push(`"a":[${a.join(",")}]`);
    if (b.length > 0) parts.push(`"b":[${b.join(",")}]`);
    messages.push(`[7,{${parts.join(",")},"c":"${c}"},${pair}`);
  }
  return { messages, ref };
}

function run(depth: number, maxLevels: number) {
  const frames: Published[] = [];
  const publisher = checkedPublisher((type, value) => frames.push({ type, value }));
  const h = new KrakenFeedHandler({ api: "v1", depth, publisher, maxLevels });
  return { h, frames };
}

const steps = fc.array(
  fc.array(
    fc.record({ bid: fc.boolean(), price: fc.integer({ min: 1, max: 60 }), size: fc.integer({ min: 0, max: 3 }) }),
    { minLength: 1, maxLength: 8 },
  ),
  { maxLength: 60 },
);

describe("published BookDeltas rebuild the collector's book", () => {
  test("deep book (depth > ALPHAPULSE_MAX_ORDER_LEVELS): the consumer holds the top levels exactly after every message", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 40 }),
        steps,
        fc.integer({ min: 1, max: 8 }),
        (snap, st, view) => {
          const { messages } = session(1000, snap, st);
          const { h, frames } = run(1000, view);
          const id = InstrumentId.fromVenueSymbol("kraken", "XBT/USD").toString();
          let lastId = 0n;
          for (const m of messages) {
            h.handle(m, 1n);
            const mine = h.books.get("XBT/USD")!.book;
            const theirs = consumerBooks(frames).get(id)!;
            expect(theirs.bids).toEqual(mine.bids.slice(0, view));
            expect(theirs.asks).toEqual(mine.asks.slice(0, view));
          }
          // update ids continue: every delta starts right after the previous frame
          for (const f of frames) {
            const v = f.value as { updateId?: bigint; firstUpdateId?: bigint; lastUpdateId?: bigint };
            if (f.type === 3) lastId = v.updateId!;
            else if (f.type === 6) {
              expect(v.firstUpdateId).toBe(lastId + 1n);
              lastId = v.lastUpdateId!;
            }
          }
          expect(h.counters.checksumsVerified).toBe(st.length);
          expect(h.counters.checksumMismatches).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  test("book within one OrderBook TLV (depth <= the limit): the consumer holds the whole book after every message", () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.integer({ min: 1, max: 60 }), { minLength: 1, maxLength: 30 }),
        steps,
        (snap, st) => {
          const { messages, ref } = session(10, snap, st);
          const { h, frames } = run(10, 50);
          const id = InstrumentId.fromVenueSymbol("kraken", "XBT/USD").toString();
          for (const m of messages) {
            h.handle(m, 1n);
            const mine = h.books.get("XBT/USD")!.book;
            const theirs = consumerBooks(frames).get(id)!;
            expect(theirs.bids).toEqual(mine.bids);
            expect(theirs.asks).toEqual(mine.asks);
          }
          expect(h.books.get("XBT/USD")!.book.bids).toEqual(ref.bids);
          expect(h.counters.checksumsVerified).toBe(st.length);
        },
      ),
      { numRuns: 200 },
    );
  });
});
