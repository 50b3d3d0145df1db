import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { MarketPublisher } from "../../../../src/behavior/adapters/common/market-publisher.ts";
import { InstrumentId } from "../../../../src/data/instrument-id.ts";
import { TlvType } from "../../../../src/data/tlv-layouts.ts";
import { SourceType } from "../../../../src/data/venues.ts";
import { frameChecksum } from "../../../../src/rules/crc32.ts";
import { ErrorCode } from "../../../../src/rules/error-codes.ts";
import { FrameParser } from "../../../../src/rules/parser.ts";

/** MarketPublisher.beginValue/finishValue (the value written in place) against publishRaw and publish. */
describe("MarketPublisher: values written in place", () => {
  test("same frames as publishRaw, one sequence with the builder's frames, every frame checks", () => {
    const id = InstrumentId.fromVenueSymbol("kraken", "XBT/USD");
    fc.assert(
      fc.property(
        fc.array(
          // sizes either side of the native payload CRC threshold (56 bytes)
          fc.tuple(fc.constantFrom("publish", "raw", "value"), fc.uint8Array({ minLength: 2, maxLength: 400 })),
          {
            minLength: 1,
            maxLength: 30,
          },
        ),
        fc.constantFrom(0, 1),
        (ops, flags) => {
          const parser = new FrameParser();
          const got: Uint8Array[] = [];
          const a = new MarketPublisher({
            source: SourceType.KrakenCollector,
            name: "a",
            flags,
            sink: (f) => got.push(f.slice()),
          });
          const want: Uint8Array[] = [];
          const b = new MarketPublisher({
            source: SourceType.KrakenCollector,
            name: "b",
            flags,
            sink: (f) => want.push(f.slice()),
          });
          for (const [op, bytes] of ops) {
            if (op === "publish") {
              const st = { instrument: id, reason: bytes[0], venueSequence: BigInt(bytes[1]) };
              a.publish("StateInvalidation", st, 7n);
              b.publish("StateInvalidation", st, 7n);
            } else if (op === "raw") {
              a.publishRaw(TlvType.Trade, "Trade", bytes, 7n);
              b.publishRaw(TlvType.Trade, "Trade", bytes, 7n);
            } else {
              const at = a.beginValue(TlvType.Trade, bytes.length, 7n);
              a.valueBytes.set(bytes, at);
              a.finishValue("Trade");
              b.publishRaw(TlvType.Trade, "Trade", bytes, 7n);
            }
          }
          expect(got).toEqual(want); // same bytes: header, sequence, timestamp given, TLV, CRC
          // a whole frame checks (the CRC, the header); the Trade layout only when the value is a Trade's 64 bytes
          for (const f of got) {
            const dv = new DataView(f.buffer, f.byteOffset, f.length);
            expect(dv.getUint32(28, true)).toBe(frameChecksum(f, 0, f.length - 32));
            expect(dv.getUint32(24, true)).toBe(f.length - 32);
            if (f[32] !== TlvType.Trade || f.length === 98) expect(parser.check(f)).toBe(ErrorCode.Ok);
          }
          const seqs = got.map((f) => new DataView(f.buffer).getUint32(8, true));
          expect(seqs).toEqual(got.map((_, i) => i + 1));
          expect(a.counts).toEqual(b.counts);
          expect(a.framesOut).toBe(b.framesOut);
        },
      ),
      { numRuns: 300 },
    );
  });

  test("every value size 0..600 (JS and native payload CRC): the frame publishRaw makes, and it checks", () => {
    const got: Uint8Array[] = [];
    const want: Uint8Array[] = [];
    const a = new MarketPublisher({ source: SourceType.KrakenCollector, name: "a", sink: (f) => got.push(f.slice()) });
    const b = new MarketPublisher({ source: SourceType.KrakenCollector, name: "b", sink: (f) => want.push(f.slice()) });
    for (let size = 0; size <= 600; size++) {
      const bytes = new Uint8Array(size);
      for (let i = 0; i < size; i++) bytes[i] = (i * 151 + size * 7 + 3) & 0xff;
      const at = a.beginValue(TlvType.Trade, size, 0xfedcba9876543210n);
      a.valueBytes.set(bytes, at);
      a.finishValue("Trade");
      b.publishRaw(TlvType.Trade, "Trade", bytes, 0xfedcba9876543210n);
      const f = got[got.length - 1];
      expect(f).toEqual(want[want.length - 1]);
      expect(new DataView(f.buffer).getUint32(28, true)).toBe(frameChecksum(f, 0, f.length - 32));
    }
    expect(got.length).toBe(601);
  });

  test("the clock stamps a frame when no time is given; bad types and sizes are refused like the builder's", () => {
    const frames: Uint8Array[] = [];
    const p = new MarketPublisher({
      source: SourceType.KrakenCollector,
      name: "c",
      sink: (f) => frames.push(f.slice()),
    });
    const before = BigInt(Date.now()) * 1_000_000n - 10_000_000_000n;
    p.beginValue(TlvType.Trade, 64);
    p.finishValue("Trade");
    const ts = new DataView(frames[0].buffer).getBigUint64(16, true);
    expect(ts > before).toBe(true);
    expect(new FrameParser().check(frames[0])).toBe(ErrorCode.Ok);
    expect(() => p.beginValue(0, 8)).toThrow("1-254");
    expect(() => p.beginValue(TlvType.Trade, 70_000)).toThrow("does not fit");
    expect(() => p.finishValue("Trade")).toThrow("without beginValue");
  });
});
