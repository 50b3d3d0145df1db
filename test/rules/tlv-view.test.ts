import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { InstrumentId } from "../../src/data/instrument-id.ts";
import { camelCase, domainOfType, LAYOUTS, type TlvName } from "../../src/data/tlv-layouts.ts";
import { FrameBuilder } from "../../src/rules/builder.ts";
import { ErrorCode } from "../../src/rules/error-codes.ts";
import { fromHex } from "../../src/rules/json.ts";
import { FrameParser } from "../../src/rules/parser.ts";
import { tlvView } from "../../src/rules/tlv-view.ts";
import { comparable, tlvValueArb } from "../data/tlv-arbitraries.ts";

describe("tlvView", () => {
  test("reads each field lazily from the received bytes, equal to a full decode", () => {
    const parser = new FrameParser();
    const hex =
      "efbeadde01010200010000000000000015cd853dfe9c9717420000003e49b0c2014065000100000000004254430000000000000000005553440000000000000000004e29a3bd1704000080d1f0080000000000002a36fe9c97170100000000000000";
    expect(parser.check(fromHex(hex))).toBe(ErrorCode.Ok);
    expect(parser.firstTlv()).toBe(true);
    const trade = tlvView("Trade").bind(parser);
    expect(trade.price).toBe(4500012345678n);
    expect(trade.size).toBe(150000000n);
    expect(trade.side).toBe(1);
    expect(trade.instrument.toString()).toBe("kraken:spot:BTC/USD");
    const full = parser.readTlv()!;
    for (const key of Object.keys(full)) expect(trade[key as keyof typeof trade] as unknown).toEqual(full[key]);
  });

  test("one view object serves many messages; views exist for every layout, lists included", () => {
    const b = new FrameBuilder({ domain: 1, source: 1 });
    const p = new FrameParser();
    const view = tlvView("OrderBook");
    const id = InstrumentId.spot(100, "BTC", "USDT");
    for (let n = 1; n <= 3; n++) {
      const bids = Array.from({ length: n }, (_, i) => ({ price: 100n - BigInt(i), size: 1n, orderCount: i }));
      const bytes = b.build("OrderBook", {
        instrument: id,
        exchangeTsNs: 1n,
        updateId: BigInt(n),
        flags: 1,
        bids,
        asks: [],
      });
      expect(p.check(bytes)).toBe(ErrorCode.Ok);
      p.firstTlv();
      expect(view.bind(p).updateId).toBe(BigInt(n));
      expect(view.bids).toEqual(bids);
    }
    for (const name of Object.keys(LAYOUTS)) expect(tlvView(name as keyof typeof LAYOUTS)).toBeDefined();
  });

  test("list cursors (<list>Length, <list>At(i)) read every item exactly as the decoded list, for every list layout", () => {
    const withLists = (Object.keys(LAYOUTS) as TlvName[]).filter((n) => "lists" in LAYOUTS[n]);
    expect(withLists.length).toBeGreaterThanOrEqual(3); // OrderBook, BookDelta, PoolLiquidity at least
    const p = new FrameParser();
    for (const name of withLists) {
      const layout = LAYOUTS[name];
      const domain = domainOfType(layout.type) || 1;
      const b = new FrameBuilder({ domain, source: 1 });
      const view = tlvView(name) as unknown as Record<string, unknown> & { bind(p: FrameParser): unknown };
      fc.assert(
        fc.property(tlvValueArb(layout, { maxItems: 12 }), (value) => {
          const bytes = b
            .begin(1n)
            .add(name, value as never)
            .finish();
          expect(p.check(bytes)).toBe(ErrorCode.Ok);
          p.firstTlv();
          view.bind(p);
          for (const list of (
            layout as { lists: readonly { name: string; fields: readonly (readonly [string, string, number])[] }[] }
          ).lists) {
            const items = value[list.name] as Record<string, unknown>[];
            expect(view[`${list.name}Length`]).toBe(items.length);
            const at = view[`${list.name}At`] as (i: number) => Record<string, unknown>;
            for (let i = 0; i < items.length; i++) {
              const item = at.call(view, i);
              for (const [field, kind] of list.fields) {
                if (kind.startsWith("pad")) continue;
                const key = camelCase(field);
                expect(comparable(item[key])).toEqual(comparable(items[i][key]));
              }
            }
          }
        }),
        { numRuns: 100 },
      );
    }
  });
});
