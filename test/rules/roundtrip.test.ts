import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { EncodeError, ProtocolError } from "../../src/core/errors.ts";
import { I64_MAX, I64_MIN, U64_MAX, U128_MAX, U256_MAX } from "../../src/core/fixed-point.ts";
import { DEFAULT_LIMITS, type Limits } from "../../src/core/limits.ts";
import { InstrumentId } from "../../src/data/instrument-id.ts";
import { domainOfType, LAYOUTS, type TlvLayout, type TlvName, type TlvValues } from "../../src/data/tlv-layouts.ts";
import { FrameBuilder } from "../../src/rules/builder.ts";
import { frameChecksum } from "../../src/rules/crc32.ts";
import { ErrorCode } from "../../src/rules/error-codes.ts";
import { frameToJson, jsonToFrame } from "../../src/rules/json.ts";
import { FrameParser } from "../../src/rules/parser.ts";
import { boundaryValue, comparable, hexOf, instrumentIdArb, tlvValueArb } from "../data/tlv-arbitraries.ts";

/**
 * Every TLV type of LAYOUTS through FrameBuilder -> FrameParser -> readTlv(), and through the JSON form, with values
 * drawn from the layout table itself (full integer ranges, boundaries weighted in, lists up to the limits).
 */
const SEED = 0x7007;
const NAMES = Object.keys(LAYOUTS) as TlvName[];
const BTC_USD = InstrumentId.spot(101, "BTC", "USD");

/** Domain a builder needs for `layout` (control types go anywhere: any of 1-4). */
const domainFor = (layout: TlvLayout, any = 1) => domainOfType(layout.type) || any;

function encodeError(fn: () => unknown): EncodeError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(EncodeError);
    return e as EncodeError;
  }
  throw new Error("expected an EncodeError, nothing was thrown");
}

/** Parses `bytes`, asserting Ok, and returns [type, extended, value] per TLV. */
function readAll(bytes: Uint8Array, limits: Limits = DEFAULT_LIMITS): [number, boolean, unknown][] {
  const parser = new FrameParser({ limits, strict: true });
  const code = parser.check(bytes);
  if (code !== ErrorCode.Ok) throw new Error(`check failed with code ${code}`);
  const out: [number, boolean, unknown][] = [];
  for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
    out.push([parser.tlvType, parser.tlvExtended, comparable(parser.readTlv())]);
  }
  expect(out.length).toBe(parser.tlvCount);
  return out;
}

/** JSON form and back must give the very same bytes. */
function expectJsonRoundTrip(bytes: Uint8Array, limits: Limits = DEFAULT_LIMITS): void {
  const json = frameToJson(bytes, 0, limits);
  const back = jsonToFrame(JSON.parse(JSON.stringify(json)), limits);
  expect(hexOf(back)).toBe(hexOf(bytes));
}

describe("round trip of every TLV type (property)", () => {
  for (const name of NAMES) {
    const layout: TlvLayout = LAYOUTS[name];
    test(`${name} (type ${layout.type}): build -> check -> readTlv and -> JSON -> bytes are the identity`, () => {
      const header = fc.record({
        anyDomain: fc.integer({ min: 1, max: 4 }),
        extended: fc.boolean(),
        timestampNs: fc.bigInt({ min: 0n, max: U64_MAX }),
        sequence: fc.oneof(fc.constant(1), fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER)),
        flags: fc.integer({ min: 0, max: 3 }),
        source: fc.integer({ min: 0, max: 255 }),
      });
      fc.assert(
        fc.property(tlvValueArb(layout), header, (value, h) => {
          const domain = domainFor(layout, h.anyDomain);
          const b = new FrameBuilder({ domain, source: h.source, firstSequence: h.sequence, initialCapacity: 64 });
          const bytes = b
            .begin(h.timestampNs, h.flags)
            .add(name, value as never, h.extended)
            .finish()
            .slice();
          const [[type, extended, read]] = readAll(bytes);
          expect(type).toBe(layout.type);
          expect(extended).toBe(h.extended || bytes.length - 32 - 2 > 255);
          expect(read).toEqual(comparable(value));
          const p = new FrameParser();
          p.check(bytes);
          expect([p.domain, p.source, p.flags, p.sequenceNumber, p.timestampNs]).toEqual([
            domain,
            h.source,
            h.flags,
            h.sequence,
            h.timestampNs,
          ]);
          expectJsonRoundTrip(bytes);
        }),
        { seed: SEED + layout.type, numRuns: layout.lists ? 60 : 120 },
      );
    });
  }
});

describe("boundary values of every TLV type", () => {
  for (const name of NAMES) {
    const layout: TlvLayout = LAYOUTS[name];
    for (const end of ["min", "max"] as const) {
      test(`${name}: every field at its ${end === "min" ? "minimum (0, i64 min, null id)" : "maximum (max u64/u128/u256, i64 max)"}`, () => {
        const value = boundaryValue(layout, end, BTC_USD, 2);
        const b = new FrameBuilder({ domain: domainFor(layout), source: 1 });
        const bytes = b
          .begin(end === "min" ? 0n : U64_MAX)
          .add(name, value as never)
          .finish()
          .slice();
        const [[, , read]] = readAll(bytes);
        expect(read).toEqual(comparable(value));
        expectJsonRoundTrip(bytes);
      });
    }
  }

  test("the explicit boundaries appear on the wire little-endian", () => {
    const b = new FrameBuilder({ domain: 1, source: 1 });
    const swap = boundaryValue(LAYOUTS.PoolSwap, "max", InstrumentId.pool(301, 137, `0x${"ab".repeat(20)}`));
    const bytes = b
      .begin(0n)
      .add("PoolSwap", swap as TlvValues["PoolSwap"])
      .finish();
    const value = bytes.subarray(34);
    expect(hexOf(value.subarray(80, 96))).toBe("ff".repeat(16)); // amount0_in = max u128
    expect(hexOf(value.subarray(144, 176))).toBe("ff".repeat(32)); // sqrt_price_x96 = max u256
    expect(hexOf(value.subarray(192, 196))).toBe("ffffff7f"); // tick = i32 max
    const t = b
      .begin(0n)
      .add("Trade", { instrument: BTC_USD, price: I64_MIN, size: I64_MAX, exchangeTsNs: U64_MAX, side: 255 })
      .finish();
    expect(hexOf(t.subarray(34 + 32, 34 + 57))).toBe(`${"00".repeat(7)}80${"ff".repeat(7)}7f${"ff".repeat(8)}ff`);
  });
});

describe("several TLVs per frame (property)", () => {
  for (const domain of [1, 2, 3, 4]) {
    const names = NAMES.filter((n) => [domain, 0].includes(domainOfType(LAYOUTS[n].type)));
    test(`domain ${domain}: ${names.join(", ")} mixed, standard and extended form, read back in order`, () => {
      const entry = fc
        .constantFrom(...names)
        .chain((name) => fc.tuple(fc.constant(name), tlvValueArb(LAYOUTS[name], { maxItems: 12 }), fc.boolean()));
      fc.assert(
        fc.property(fc.array(entry, { minLength: 1, maxLength: 6 }), (entries) => {
          const b = new FrameBuilder({ domain, source: 91 });
          b.begin(1_700_000_000_000_000_000n);
          for (const [name, value, ext] of entries) b.add(name, value as never, ext);
          const bytes = b.finish().slice();
          const read = readAll(bytes);
          expect(read.map(([type]) => type)).toEqual(entries.map(([name]) => LAYOUTS[name].type));
          expect(read.map(([, , v]) => v)).toEqual(entries.map(([, v]) => comparable(v)));
          for (let i = 0; i < entries.length; i++) if (entries[i][2]) expect(read[i][1]).toBe(true);
          expectJsonRoundTrip(bytes);
        }),
        { seed: SEED + domain, numRuns: 80 },
      );
    });
  }

  test("an empty frame (no TLVs) builds, checks and round-trips through JSON", () => {
    const bytes = new FrameBuilder({ domain: 4, source: 91 }).begin(5n).finish().slice();
    expect(bytes.length).toBe(32);
    expect(readAll(bytes)).toEqual([]);
    expectJsonRoundTrip(bytes);
  });

  test("unknown types travel as raw bytes, in both forms, next to typed TLVs", () => {
    const b = new FrameBuilder({ domain: 1, source: 91 });
    const raw = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const bytes = b
      .begin(1n)
      .addRaw(200, raw.subarray(0, 10))
      .add("Heartbeat", { sentNs: 1n, status: 0 })
      .addRaw(5, raw)
      .addRaw(201, new Uint8Array(0), true)
      .finish()
      .slice();
    const p = new FrameParser();
    expect(p.check(bytes)).toBe(ErrorCode.Ok);
    expect(p.tlvCount).toBe(4);
    expect(new FrameParser({ strict: true }).check(bytes)).toBe(ErrorCode.UnknownTlvType);
    expectJsonRoundTrip(bytes);
  });
});

describe("lists up to the limits", () => {
  const level = (i: number) => ({ price: 1000n - BigInt(i), size: BigInt(i + 1), orderCount: i });

  test("an OrderBook with 50 + 50 levels (the default limit) is accepted, extended, and reads back", () => {
    const value = {
      instrument: BTC_USD,
      exchangeTsNs: 1n,
      updateId: 2n,
      flags: 1,
      bids: Array.from({ length: 50 }, (_, i) => level(i)),
      asks: Array.from({ length: 50 }, (_, i) => level(i)),
    };
    const bytes = new FrameBuilder({ domain: 1, source: 1 }).build("OrderBook", value).slice();
    expect(bytes.length).toBe(32 + 5 + 56 + 24 * 100);
    const [[, extended, read]] = readAll(bytes);
    expect(extended).toBe(true);
    expect(read).toEqual(comparable(value));
    expectJsonRoundTrip(bytes);
  });

  test("an OrderBook of 8 levels in all fits the standard form (255 bytes); 9 levels switch to extended", () => {
    const book = (n: number) => ({
      instrument: BTC_USD,
      exchangeTsNs: 1n,
      updateId: 0n,
      flags: 0,
      bids: Array.from({ length: n }, (_, i) => level(i)),
      asks: [],
    });
    const eight = new FrameBuilder({ domain: 1, source: 1 }).build("OrderBook", book(8));
    expect([eight[32], eight[33]]).toEqual([3, 56 + 8 * 24]);
    const nine = new FrameBuilder({ domain: 1, source: 1 }).build("OrderBook", book(9));
    expect([...nine.subarray(32, 37)]).toEqual([255, 0, 3, (56 + 9 * 24) & 0xff, (56 + 9 * 24) >> 8]);
  });

  test("a BookDelta with 100 changes and a PoolLiquidity with 8 tokens are accepted", () => {
    const changes = Array.from({ length: 100 }, (_, i) => ({ price: BigInt(i), size: 0n, side: 1 + (i % 2) }));
    const delta = { instrument: BTC_USD, exchangeTsNs: 1n, firstUpdateId: 1n, lastUpdateId: 100n, changes };
    const tokens = Array.from({ length: 8 }, (_, i) => ({
      address: `0x${i.toString(16).padStart(40, "0")}` as const,
      decimals: 18,
      balance: U128_MAX - BigInt(i),
    }));
    const pool = InstrumentId.pool(300, 1, `0x${"11".repeat(20)}`);
    const liquidity = { pool, blockNumber: 1n, timestampNs: 2n, tokens };
    const bytes = new FrameBuilder({ domain: 1, source: 1 })
      .begin(0n)
      .add("BookDelta", delta)
      .add("PoolLiquidity", liquidity)
      .finish()
      .slice();
    expect(readAll(bytes).map(([, , v]) => v)).toEqual([comparable(delta), comparable(liquidity)]);
    expectJsonRoundTrip(bytes);
  });

  test("raised limits are honoured by builder and parser alike", () => {
    const limits = { maxOrderLevels: 200, maxPoolTokens: 32 };
    const bids = Array.from({ length: 200 }, (_, i) => level(i));
    const value = { instrument: BTC_USD, exchangeTsNs: 1n, updateId: 0n, flags: 0, bids, asks: [] };
    const bytes = new FrameBuilder({ domain: 1, source: 1, limits }).build("OrderBook", value).slice();
    expect(readAll(bytes, limits)[0][2]).toEqual(comparable(value));
    expect(new FrameParser().check(bytes)).toBe(ErrorCode.TooManyLevels);
    expectJsonRoundTrip(bytes, limits);
  });
});

describe("JSON form", () => {
  test("a u64 sequence above 2^53 survives JSON -> bytes -> JSON exactly", () => {
    const bytes = new FrameBuilder({ domain: 4, source: 1 }).build("Heartbeat", { sentNs: 1n, status: 1 }, 7n).slice();
    const json = frameToJson(bytes);
    json.sequence = U64_MAX.toString();
    const frame = jsonToFrame(json);
    const p = new FrameParser();
    expect(p.check(frame)).toBe(ErrorCode.Ok);
    expect(p.sequence).toBe(U64_MAX);
    expect(frameToJson(frame).sequence).toBe(U64_MAX.toString());
  });

  test("an invalid InstrumentId is reported with its offset in the frame", () => {
    const bytes = new FrameBuilder({ domain: 1, source: 1 })
      .build("Trade", { instrument: BTC_USD, price: 1n, size: 1n, exchangeTsNs: 1n, side: 1 }, 1n)
      .slice();
    bytes[32 + 2 + 3] = 7; // flags byte of the id, at frame offset 37
    new DataView(bytes.buffer).setUint32(28, frameChecksum(bytes, 0, bytes.length - 32), true);
    let error: unknown;
    try {
      frameToJson(bytes);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ProtocolError);
    const e = error as ProtocolError;
    expect(e.code).toBe("InvalidInstrumentId");
    expect(e.facts).toEqual({ offset: 37, reason: "flags byte is 7, must be 0" });
    // the same frame placed later in a buffer reports the same frame-relative offset
    const shifted = new Uint8Array(bytes.length + 50);
    shifted.set(bytes, 50);
    expect(() => frameToJson(shifted, 50)).toThrow(ProtocolError);
    try {
      frameToJson(shifted, 50);
    } catch (e2) {
      expect((e2 as ProtocolError).facts.offset).toBe(37);
    }
  });

  test("a negative or too large sequence or timestamp is refused, not wrapped", () => {
    const json = frameToJson(
      new FrameBuilder({ domain: 4, source: 1 }).build("Heartbeat", { sentNs: 1n, status: 0 }, 1n),
    );
    for (const field of ["sequence", "timestamp_ns"] as const) {
      for (const bad of ["-1", (U64_MAX + 1n).toString()]) {
        const e = encodeError(() => jsonToFrame({ ...json, [field]: bad }));
        expect(e.facts.field).toBe(field);
      }
    }
  });
});

describe("FrameBuilder refuses values that do not fit", () => {
  const trade = { instrument: BTC_USD, price: 1n, size: 1n, exchangeTsNs: 1n, side: 1 };
  const b = new FrameBuilder({ domain: 1, source: 2 });

  test("an i64 above 2^63-1 names the field and the range", () => {
    const e = encodeError(() => b.begin(0n).add("Trade", { ...trade, price: I64_MAX + 1n }));
    expect(e.code).toBe("InvalidField");
    expect(e.facts.field).toBe("price");
    expect(e.toLine()).toMatchInlineSnapshot(
      `"InvalidField: Trade.price: expected i64 in -9223372036854775808..9223372036854775807 (a bigint), got 9223372036854775808n (tlv=Trade, field=price, expected=i64 in -9223372036854775808..9223372036854775807 (a bigint), actual=9223372036854775808n); hint: values that do not fit their wire type are refused, never wrapped or rounded"`,
    );
    expect(encodeError(() => b.begin(0n).add("Trade", { ...trade, size: I64_MIN - 1n })).facts.field).toBe("size");
  });

  test("a negative u64 is refused", () => {
    const e = encodeError(() => b.begin(0n).add("Trade", { ...trade, exchangeTsNs: -1n }));
    expect(e.facts).toMatchObject({ tlv: "Trade", field: "exchange_ts_ns", actual: "-1n" });
  });

  test("a u8 of 300, a fraction or a negative is refused", () => {
    const e = encodeError(() => b.begin(0n).add("Trade", { ...trade, side: 300 }));
    expect(e.message).toMatchInlineSnapshot(`"Trade.side: expected u8 integer in 0..255 (a number), got 300"`);
    expect(encodeError(() => b.begin(0n).add("Trade", { ...trade, side: 1.5 })).facts.field).toBe("side");
    expect(encodeError(() => b.begin(0n).add("Trade", { ...trade, side: -1 })).facts.field).toBe("side");
    expect(encodeError(() => b.begin(0n).add("Trade", { ...trade, side: Number.NaN })).facts.field).toBe("side");
  });

  test("a value of the wrong JavaScript type is an EncodeError, not a TypeError", () => {
    const bad = (v: object) => b.begin(0n).add("Trade", { ...trade, ...v } as never);
    expect(encodeError(() => bad({ side: 1n })).facts.field).toBe("side");
    expect(encodeError(() => bad({ price: 1 })).facts.field).toBe("price");
    expect(encodeError(() => bad({ instrument: "kraken:spot:BTC/USD" })).facts.field).toBe("instrument");
    const book = { instrument: BTC_USD, exchangeTsNs: 1n, updateId: 1n, flags: 0, bids: [] };
    expect(encodeError(() => b.begin(0n).add("OrderBook", book as never)).facts.field).toBe("asks");
  });

  test("wide integers one past their maximum are refused: u128, u256, u32, i32", () => {
    const swap = boundaryValue(LAYOUTS.PoolSwap, "min", BTC_USD) as TlvValues["PoolSwap"];
    const cases: [Partial<TlvValues["PoolSwap"]>, string][] = [
      [{ amount0In: U128_MAX + 1n }, "amount0_in"],
      [{ sqrtPriceX96: U256_MAX + 1n }, "sqrt_price_x96"],
      [{ logIndex: 2 ** 32 }, "log_index"],
      [{ tick: 2 ** 31 }, "tick"],
      [{ tick: -(2 ** 31) - 1 }, "tick"],
      [{ txHash: "0x1234" }, "tx_hash"],
    ];
    for (const [patch, field] of cases) {
      expect(encodeError(() => b.begin(0n).add("PoolSwap", { ...swap, ...patch })).facts.field).toBe(field);
    }
  });

  test("more levels than ALPHAPULSE_MAX_ORDER_LEVELS is TooManyLevels naming the variable", () => {
    const lv = { price: 1n, size: 1n, orderCount: 0 };
    const book = (bids: number, asks: number) => ({
      instrument: BTC_USD,
      exchangeTsNs: 1n,
      updateId: 1n,
      flags: 0,
      bids: Array.from({ length: bids }, () => lv),
      asks: Array.from({ length: asks }, () => lv),
    });
    const e = encodeError(() => b.begin(0n).add("OrderBook", book(51, 0)));
    expect(e.code).toBe("TooManyLevels");
    expect(e.facts).toEqual({ count: 51, max: 50, variable: "ALPHAPULSE_MAX_ORDER_LEVELS" });
    expect(e.message).toMatchInlineSnapshot(`"OrderBook has 51 entries, more than ALPHAPULSE_MAX_ORDER_LEVELS=50"`);
    const small = new FrameBuilder({ domain: 1, source: 1, limits: { maxOrderLevels: 5, maxPoolTokens: 8 } });
    expect(encodeError(() => small.begin(0n).add("OrderBook", book(5, 6))).facts).toEqual({
      count: 6,
      max: 5,
      variable: "ALPHAPULSE_MAX_ORDER_LEVELS",
    });
    const changes = Array.from({ length: 11 }, () => ({ price: 1n, size: 1n, side: 1 }));
    const delta = { instrument: BTC_USD, exchangeTsNs: 1n, firstUpdateId: 1n, lastUpdateId: 2n, changes };
    expect(encodeError(() => small.begin(0n).add("BookDelta", delta)).facts).toEqual({
      count: 11,
      max: 10,
      variable: "ALPHAPULSE_MAX_ORDER_LEVELS",
    });
  });

  test("more tokens than ALPHAPULSE_MAX_POOL_TOKENS is TooManyTokens", () => {
    const tokens = Array.from({ length: 9 }, () => ({
      address: `0x${"00".repeat(20)}` as const,
      decimals: 6,
      balance: 1n,
    }));
    const pool = InstrumentId.pool(300, 1, `0x${"11".repeat(20)}`);
    const e = encodeError(() => b.begin(0n).add("PoolLiquidity", { pool, blockNumber: 1n, timestampNs: 1n, tokens }));
    expect(e.code).toBe("TooManyTokens");
    expect(e.facts).toEqual({ count: 9, max: 8, variable: "ALPHAPULSE_MAX_POOL_TOKENS" });
  });

  test("a refused TLV leaves the frame as it was", () => {
    b.begin(0n).add("Trade", trade);
    expect(() => b.add("Trade", { ...trade, side: 300 })).toThrow(EncodeError);
    const bytes = b.finish();
    expect(readAll(bytes).length).toBe(1);
  });

  test("a TLV of another domain is refused, typed or raw; control types go anywhere", () => {
    const order = boundaryValue(LAYOUTS.OrderRequest, "min", BTC_USD) as TlvValues["OrderRequest"];
    const e = encodeError(() => b.begin(0n).add("OrderRequest", order));
    expect(e.code).toBe("DomainMismatch");
    expect(e.facts).toEqual({ tlv_type: 40, tlv_domain: 3, frame_domain: 1 });
    expect(e.message).toMatchInlineSnapshot(`"TLV type 40 belongs to domain 3, this builder makes domain 1 frames"`);
    expect(encodeError(() => b.begin(0n).addRaw(20, new Uint8Array(16))).code).toBe("DomainMismatch");
    expect(encodeError(() => b.begin(0n).addRaw(80, new Uint8Array(1))).facts.tlv_domain).toBe(4);
    for (const domain of [1, 2, 3, 4]) {
      const bytes = new FrameBuilder({ domain, source: 1 }).build("Heartbeat", { sentNs: 1n, status: 0 });
      expect(new FrameParser().check(bytes)).toBe(ErrorCode.Ok);
    }
  });

  test("raw TLV types 0 and 255 are refused", () => {
    expect(encodeError(() => b.begin(0n).addRaw(0, new Uint8Array(1))).code).toBe("InvalidTlvType");
    expect(encodeError(() => b.begin(0n).addRaw(255, new Uint8Array(1))).code).toBe("InvalidTlvType");
  });

  test("a frame timestamp outside u64 or a sequence that is not a safe integer is refused, not wrapped", () => {
    const e = encodeError(() => b.begin(-1n));
    expect(e.message).toMatchInlineSnapshot(`"frame timestamp_ns: expected a u64 (a bigint), got -1n"`);
    expect(encodeError(() => b.begin(U64_MAX + 1n)).facts.field).toBe("timestamp_ns");
    expect(encodeError(() => b.begin(5 as never)).facts.field).toBe("timestamp_ns");
    for (const firstSequence of [-1, 1.5, 2 ** 53]) {
      expect(encodeError(() => new FrameBuilder({ domain: 1, source: 1, firstSequence })).facts.field).toBe("sequence");
    }
    expect(new FrameParser().check(b.begin(U64_MAX).finish())).toBe(ErrorCode.Ok);
  });

  test("a source that is not a u8 is refused (the header byte would wrap)", () => {
    expect(encodeError(() => new FrameBuilder({ domain: 1, source: 300 })).facts).toEqual({
      field: "source",
      actual: "300",
    });
    expect(encodeError(() => new FrameBuilder({ domain: 1, source: -1 })).facts.field).toBe("source");
  });

  test("a builder for an unknown domain cannot be made", () => {
    expect(encodeError(() => new FrameBuilder({ domain: 5, source: 1 })).code).toBe("UnknownDomain");
    expect(encodeError(() => new FrameBuilder({ domain: 0, source: 1 })).code).toBe("UnknownDomain");
  });
});

describe("instrument ids of each kind in TLVs (property)", () => {
  test("spot, perp, pool and token ids survive a Fill and a CircuitBreaker unchanged", () => {
    fc.assert(
      fc.property(instrumentIdArb, fc.option(instrumentIdArb, { nil: null }), (id, maybe) => {
        const fill = { ...boundaryValue(LAYOUTS.Fill, "max", id), instrument: id } as TlvValues["Fill"];
        const breaker = { ...boundaryValue(LAYOUTS.CircuitBreaker, "min", id), instrument: maybe };
        const bytes = new FrameBuilder({ domain: 3, source: 1 })
          .begin(0n)
          .add("Fill", fill)
          .add("CircuitBreaker", breaker as TlvValues["CircuitBreaker"])
          .finish()
          .slice();
        expect(readAll(bytes).map(([, , v]) => v)).toEqual([comparable(fill), comparable(breaker)]);
        expectJsonRoundTrip(bytes);
      }),
      { seed: SEED, numRuns: 300 },
    );
  });
});
