import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import fc from "fast-check";
import { MarketPublisher } from "../../../../src/behavior/adapters/common/market-publisher.ts";
import { type KrakenApi, KrakenFeedHandler } from "../../../../src/behavior/adapters/kraken/feed-handler.ts";
import { instrumentsFromV2Snapshot } from "../../../../src/behavior/adapters/kraken/instrument-provider.ts";
import { loadCaptureRecords } from "../../../../src/behavior/venues/capture-records.ts";
import { SourceType } from "../../../../src/data/venues.ts";
import { ErrorCode } from "../../../../src/rules/error-codes.ts";
import { FrameParser } from "../../../../src/rules/parser.ts";
import { V1_BOOK10, V1_BOOK1000, V1_TRADES, V2_BOOK10, V2_INSTRUMENTS } from "./harness.ts";

/**
 * The fast paths (book updates in Kraken's exact form, read in two phases) against the general path they bypass:
 * for every captured message and for mutated ones (whitespace, cut, a changed character, another level text), the
 * same frames (header timestamp and CRC aside: the clock), the same counters, the same books.
 */

const instruments = instrumentsFromV2Snapshot(
  new TextDecoder().decode(Bun.gunzipSync(readFileSync(V2_INSTRUMENTS))),
).bySymbol;

function texts(file: string): string[] {
  return loadCaptureRecords(file)
    .filter((r) => r.kind === "ws")
    .map((r) => r.raw);
}

interface Side {
  h: KrakenFeedHandler;
  frames: Uint8Array[];
}

function side(api: KrakenApi, depth: number, fastPaths: boolean): Side {
  const parser = new FrameParser();
  const frames: Uint8Array[] = [];
  const publisher = new MarketPublisher({
    source: SourceType.KrakenCollector,
    name: "t",
    sink: (frame) => {
      expect(parser.check(frame)).toBe(ErrorCode.Ok);
      const copy = frame.slice();
      copy.fill(0, 16, 24); // header timestamp: the clock
      copy.fill(0, 28, 32); // CRC over it
      frames.push(copy);
    },
  });
  const h = new KrakenFeedHandler({
    api,
    depth,
    publisher,
    fastPaths,
    instruments: api === "v2" ? instruments : undefined,
  });
  return { h, frames };
}

function counters(h: KrakenFeedHandler): Record<string, number> {
  const { fastPath: _f, fastFallbacks: _b, fastSnapshots: _s, ...rest } = h.counters;
  return rest;
}

function books(h: KrakenFeedHandler): unknown {
  return [...h.books.values()].map((b) => ({
    symbol: b.symbol,
    synced: b.synced,
    updateId: b.updateId,
    book: b.book,
    checksum: b.synced ? b.checksum() : -1,
  }));
}

/** Feeds the messages to a fast and a general handler; asserts equal output after each; returns the fast one. */
function compare(api: KrakenApi, depth: number, messages: string[], everyMessage = true): KrakenFeedHandler {
  const fast = side(api, depth, true);
  const general = side(api, depth, false);
  let seen = 0;
  for (const m of messages) {
    fast.h.handle(m, 123456789n);
    general.h.handle(m, 123456789n);
    if (everyMessage) {
      expect(fast.frames.slice(seen)).toEqual(general.frames.slice(seen));
      expect(fast.frames.length).toBe(general.frames.length);
      seen = fast.frames.length;
      expect(counters(fast.h)).toEqual(counters(general.h));
    }
  }
  expect(fast.frames).toEqual(general.frames);
  expect(counters(fast.h)).toEqual(counters(general.h));
  expect(books(fast.h)).toEqual(books(general.h));
  return fast.h;
}

const CASES = [
  { name: "v1 book-10", file: V1_BOOK10, api: "v1" as const, depth: 10, updates: 979, snapshots: 1, fallbacks: 0 },
  { name: "v2 book-10", file: V2_BOOK10, api: "v2" as const, depth: 10, updates: 509, snapshots: 0, fallbacks: 0 },
  // book-1000: the XBT/CHF and XMR/USD snapshots hold a size of 2^53 e8 or more (9999999997, 99999997): bigints,
  // the general path
  {
    name: "v1 book-1000, 10 pairs",
    file: V1_BOOK1000,
    api: "v1" as const,
    depth: 1000,
    updates: 4269,
    snapshots: 8,
    fallbacks: 2,
  },
];

describe("fast paths: the captures", () => {
  for (const c of CASES) {
    test(`${c.name}: every update by the fast path, same frames, counters and books as the general path`, () => {
      const h = compare(c.api, c.depth, texts(c.file), c.depth === 10);
      expect(h.counters.fastPath).toBe(c.updates);
      expect(h.counters.fastSnapshots).toBe(c.snapshots);
      expect(h.counters.fastFallbacks).toBe(c.fallbacks);
      expect(h.counters.checksumMismatches).toBe(0);
    });
  }

  test("v1 trades session (heartbeats, status messages): same frames and counters", () => {
    const h = compare("v1", 10, texts(V1_TRADES));
    expect(h.counters.heartbeats).toBe(30);
    expect(h.counters.trades).toBe(10);
  });
});

/** A mutation of one message: whitespace, a cut, a changed character, or one number literal replaced. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("space" as const), at: fc.nat(), ch: fc.constantFrom(" ", "\n", "\t") }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant("char" as const),
    at: fc.nat(),
    ch: fc.constantFrom('"', ",", "]", "}", "0", "9", ".", "e", "-", "r", "x"),
  }),
  fc.record({
    kind: fc.constant("number" as const),
    at: fc.nat(),
    text: fc.oneof(
      fc.constantFrom("0", "0.0", "00.10", "1e-8", "-1", ".5", "5.", "1..2", "0.123456789", "0.123456780", ""),
      fc.constantFrom("123456789012345678", "92233720368.54775807", "92233720368.54775808", "90071992.54740993"),
      fc.stringMatching(/^[0-9]{1,12}(\.[0-9]{0,10})?$/),
    ),
  }),
);

function mutate(
  text: string,
  m: fc.Arbitrary<unknown> extends never ? never : { kind: string; at: number; ch?: string; text?: string },
): string {
  const at = m.at % (text.length + 1);
  switch (m.kind) {
    case "space":
      return text.slice(0, at) + m.ch + text.slice(at);
    case "cut":
      return text.slice(0, at);
    case "char":
      return text.slice(0, at) + m.ch + text.slice(at + 1);
    default: {
      // the n-th number (quoted in v1, a literal in v2) replaced
      const numbers = [...text.matchAll(/[0-9][0-9.]*/g)];
      if (numbers.length === 0) return text;
      const n = numbers[at % numbers.length];
      return text.slice(0, n.index) + m.text + text.slice((n.index ?? 0) + n[0].length);
    }
  }
}

describe("fast paths: mutated captured messages (fast-check)", () => {
  for (const c of CASES.slice(0, 2)) {
    const all = texts(c.file);
    const snapshotAt = all.findIndex((t) => (c.api === "v1" ? t.includes('"as":') : t.includes('"snapshot"')));
    const head = all.slice(0, snapshotAt + 1);
    const updates = all.slice(snapshotAt + 1);
    test(`${c.name}: a session with one mutated update gives the same frames, counters and books`, () => {
      let fastAfter = 0;
      let fellBack = 0;
      fc.assert(
        fc.property(fc.nat(updates.length - 1), fc.nat(5), mutation, (k, after, m) => {
          const msgs = [...head, ...updates.slice(0, k), mutate(updates[k], m), ...updates.slice(k + 1, k + 1 + after)];
          const h = compare(c.api, c.depth, msgs);
          if (h.counters.fastFallbacks > 0) fellBack++;
          // read by the template with another value, which the checksum then refused
          if (h.counters.fastFallbacks === 0 && h.counters.checksumMismatches > 0) fastAfter++;
        }),
        { numRuns: 300 },
      );
      // both outcomes were exercised: mutations the template refuses, and ones it reads (a changed digit: mismatch)
      expect(fellBack).toBeGreaterThan(30);
      expect(fastAfter).toBeGreaterThan(0);
    });
  }
});

describe("fast paths: mutated captured v1 snapshots (fast-check)", () => {
  // book-10 (XBT/USD) and one pair of the book-1000 session (ADA/XBT, 2 x 1000 levels), each with its first updates
  const book10 = texts(V1_BOOK10);
  const deep = texts(V1_BOOK1000);
  const adaChannel = deep.find((t) => t.includes('"as":') && t.endsWith('"ADA/XBT"]'))?.match(/^\[(\d+),/)?.[1] ?? "";
  const sessions = [
    { name: "book-10", depth: 10, msgs: book10.slice(0, 40) },
    {
      name: "book-1000 ADA/XBT",
      depth: 1000,
      msgs: [
        ...deep.filter((t) => t.includes('"subscriptionStatus"') && t.includes('"ADA/XBT"')),
        ...deep.filter((t) => t.startsWith(`[${adaChannel},`)).slice(0, 12),
      ],
    },
  ];
  for (const c of sessions) {
    test(`${c.name}: a mutated snapshot and the updates after it give the same frames, counters and books`, () => {
      const at = c.msgs.findIndex((t) => t.includes('"as":'));
      expect(at).toBeGreaterThanOrEqual(0);
      expect(compare("v1", c.depth, c.msgs).counters.fastSnapshots).toBe(1);
      let fellBack = 0;
      let fast = 0;
      fc.assert(
        fc.property(mutation, (m) => {
          const msgs = [...c.msgs];
          msgs[at] = mutate(msgs[at], m);
          const h = compare("v1", c.depth, msgs);
          if (h.counters.fastSnapshots === 1) fast++;
          else fellBack++;
        }),
        { numRuns: c.depth === 10 ? 300 : 60 },
      );
      // both outcomes: mutations the template refuses, and ones it reads (a changed digit, a cut in a level's number)
      expect(fellBack).toBeGreaterThan(5);
      expect(fast).toBeGreaterThan(0);
    });
  }
});

describe("fast paths: v1 subscriptionStatus and systemStatus read in place (fast-check)", () => {
  const session = texts(V1_TRADES);
  const status = session.filter((t) => t.includes('"event":"subscriptionStatus"') || t.includes('"systemStatus"'));
  const trades = session.filter((t) => t.startsWith("["));
  const book = texts(V1_BOOK10).find((t) => t.includes('"subscriptionStatus"')) ?? "";

  test("the captured ones: same counters, channels and venue status as the general path", () => {
    expect(status.length).toBe(11);
    expect(book).toContain('"depth":10,"name":"book"');
    const h = compare("v1", 10, [...status, book, ...trades]);
    expect(h.venueStatus).toBe("online");
    expect(h.counters.subscriptions).toBe(11);
    expect(h.counters.trades).toBe(10);
  });

  test("mutated ones (and a trade after them): same frames, counters and venue status", () => {
    fc.assert(
      fc.property(fc.nat(status.length), mutation, fc.nat(trades.length - 1), (k, m, t) => {
        const original = k === status.length ? book : status[k];
        const text = mutate(original, m);
        const fast = side("v1", 10, true);
        const general = side("v1", 10, false);
        for (const msg of [text, trades[t]]) {
          fast.h.handle(msg, 5n);
          general.h.handle(msg, 5n);
        }
        expect(fast.frames).toEqual(general.frames);
        expect(counters(fast.h)).toEqual(counters(general.h));
        expect(fast.h.venueStatus).toBe(general.h.venueStatus);
        expect(books(fast.h)).toEqual(books(general.h));
      }),
      { numRuns: 400 },
    );
  });
});
