import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import type { ProtocolError } from "../../src/core/errors.ts";
import { InstrumentId } from "../../src/data/instrument-id.ts";
import { domainOfType, LAYOUTS, type TlvName } from "../../src/data/tlv-layouts.ts";
import { FrameBuilder } from "../../src/rules/builder.ts";
import { frameChecksum } from "../../src/rules/crc32.ts";
import { StreamFramer } from "../../src/rules/framer.ts";
import { hexOf, prng, tlvValueArb } from "../data/tlv-arbitraries.ts";

/**
 * StreamFramer under a long stream of valid frames with garbage between some of them, fed in every chunking from
 * one byte at a time to one huge chunk. Set FRAMER_SEED to replay a failure.
 */
const SEED = Number(process.env.FRAMER_SEED ?? 0xf4a3e5) >>> 0;
const SEED_TEXT = `seed 0x${SEED.toString(16)}`;
const NAMES = Object.keys(LAYOUTS) as TlvName[];
const BTC_USD = InstrumentId.spot(101, "BTC", "USD");

/** Frames of every TLV type, one to three TLVs each, OrderBooks of up to 60 levels (extended form), empty frames. */
function makeFrames(count: number, seed: number): Uint8Array[] {
  const rnd = prng(seed);
  const values = new Map(
    NAMES.map((name) => [
      name,
      fc.sample(tlvValueArb(LAYOUTS[name], { maxItems: name === "OrderBook" ? 30 : 10 }), {
        seed: seed ^ LAYOUTS[name].type,
        numRuns: 40,
      }),
    ]),
  );
  const builders = [1, 2, 3, 4].map((domain) => new FrameBuilder({ domain, source: 80 + domain }));
  const frames: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const first = i % 5 === 0 ? "OrderBook" : NAMES[rnd.below(NAMES.length)];
    const domain = domainOfType(LAYOUTS[first].type) || 1 + rnd.below(4);
    const b = builders[domain - 1].begin(BigInt(i));
    const tlvs = i % 97 === 0 ? 0 : 1 + rnd.below(3);
    for (let t = 0; t < tlvs; t++) {
      const candidates = t === 0 ? [first] : NAMES.filter((n) => [0, domain].includes(domainOfType(LAYOUTS[n].type)));
      const name = candidates[rnd.below(candidates.length)];
      const pool = values.get(name)!;
      b.add(name, pool[rnd.below(pool.length)] as never, rnd.below(10) === 0);
    }
    frames.push(b.finish().slice());
  }
  return frames;
}

type GarbageKind = "random" | "fake magic" | "fake header" | "truncated frame" | "bit flip" | "bad TLV";
const GARBAGE_KINDS: GarbageKind[] = ["random", "fake magic", "fake header", "truncated frame", "bit flip", "bad TLV"];

/**
 * Bytes the framer must drop entirely. None of them can start a valid frame, and none claims a payload so large
 * that the framer would wait for bytes beyond the stream's clean tail: a flipped bit in payload_size is kept below
 * bit 10 (at most 1,023 more bytes) or at bit 20 and up (over the 1 MiB limit: refused at once).
 */
function garbage(kind: GarbageKind, rnd: ReturnType<typeof prng>, spare: Uint8Array): Uint8Array {
  switch (kind) {
    case "random":
      return rnd.bytes(1 + rnd.below(64));
    case "fake magic": {
      const g = rnd.bytes(4 + rnd.below(40));
      g.set([0xef, 0xbe, 0xad, 0xde], rnd.below(g.length - 3));
      return g;
    }
    case "fake header": {
      // a plausible header (magic, domain, version 1) with a small payload_size and a wrong checksum
      const size = rnd.below(100);
      const g = rnd.bytes(32 + rnd.below(size + 1));
      const dv = new DataView(g.buffer);
      dv.setUint32(0, 0xdeadbeef, true);
      g[4] = 1 + rnd.below(4);
      g[5] = 1;
      dv.setUint32(24, size, true);
      return g;
    }
    case "truncated frame": {
      const cut = rnd.below(4) === 0 ? 1 + rnd.below(3) : 32 + rnd.below(spare.length - 32);
      return spare.slice(0, cut);
    }
    case "bit flip": {
      const g = spare.slice();
      let bit: number;
      do bit = rnd.below(g.length * 8);
      while (bit >= 24 * 8 + 10 && bit < 24 * 8 + 20);
      g[bit >> 3] ^= 1 << (bit & 7);
      return g;
    }
    case "bad TLV": {
      // checksum right, TLV length wrong: well delimited, so dropped whole
      const g = spare.slice();
      g[33] = g[32] === 255 ? g[33] : (g[33] + 1) & 0xff;
      if (g[32] === 255) g[35] ^= 1;
      new DataView(g.buffer).setUint32(28, frameChecksum(g, 0, g.length - 32), true);
      return g;
    }
  }
}

interface Stream {
  bytes: Uint8Array;
  frames: Uint8Array[];
  garbageBytes: number;
  garbageByKind: Map<GarbageKind, number>;
}

/** Valid frames with garbage before about one in four, none in the last 16 KiB (the clean tail). */
function makeStream(count: number, seed: number): Stream {
  const rnd = prng(seed);
  const frames = makeFrames(count, seed);
  const spares = makeFrames(200, seed + 1).filter((f) => f.length > 34);
  const pieces: Uint8Array[] = [];
  const byKind = new Map<GarbageKind, number>();
  let garbageBytes = 0;
  let tail = 0;
  const cleanFrom = frames.findLastIndex((f) => (tail += f.length) >= 16_384);
  frames.forEach((frame, i) => {
    if (i < cleanFrom && rnd.below(4) === 0) {
      const kind = GARBAGE_KINDS[rnd.below(GARBAGE_KINDS.length)];
      const g = garbage(kind, rnd, spares[rnd.below(spares.length)]);
      pieces.push(g);
      garbageBytes += g.length;
      byKind.set(kind, (byKind.get(kind) ?? 0) + 1);
    }
    pieces.push(frame);
  });
  const bytes = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    bytes.set(p, at);
    at += p.length;
  }
  return { bytes, frames, garbageBytes, garbageByKind: byKind };
}

/** Feeds `bytes` cut by `nextChunk` and collects copies of the frames and the skips. */
function run(bytes: Uint8Array, nextChunk: (remaining: number) => number, maxFrameSize?: number) {
  const out: Uint8Array[] = [];
  const skips: [number, ProtocolError][] = [];
  const framer = new StreamFramer({
    onFrame: (frame) => out.push(frame.slice()),
    onSkip: (n, e) => skips.push([n, e]),
    maxFrameSize,
  });
  let maxBuffered = 0;
  for (let at = 0; at < bytes.length; ) {
    const n = Math.min(bytes.length - at, Math.max(1, nextChunk(bytes.length - at)));
    framer.push(bytes.subarray(at, at + n));
    at += n;
    if (framer.buffered > maxBuffered) maxBuffered = framer.buffered;
  }
  return { out, skips, framer, maxBuffered };
}

function concat(frames: Uint8Array[]): Uint8Array {
  const all = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    all.set(f, at);
    at += f.length;
  }
  return all;
}

/** Every valid frame exactly once, in order, byte-identical; every garbage byte counted as skipped. */
function expectExact(stream: Stream, result: ReturnType<typeof run>): void {
  const { out, framer, skips } = result;
  expect(out.map((f) => f.length)).toEqual(stream.frames.map((f) => f.length));
  expect(Buffer.from(concat(out)).equals(Buffer.from(concat(stream.frames)))).toBe(true);
  expect(framer.frames).toBe(stream.frames.length);
  expect(framer.skippedBytes).toBe(stream.garbageBytes);
  expect(skips.reduce((n, [k]) => n + k, 0)).toBe(stream.garbageBytes);
  expect(framer.buffered).toBe(0);
}

describe(`StreamFramer over a long stream with garbage (${SEED_TEXT})`, () => {
  const stream = makeStream(3000, SEED);

  test("the stream holds thousands of frames, extended OrderBooks, and every kind of garbage", () => {
    expect(stream.frames.length).toBe(3000);
    expect(stream.frames.some((f) => f[32] === 255 && f[34] === 3)).toBe(true); // an extended OrderBook
    for (const kind of GARBAGE_KINDS) expect(stream.garbageByKind.get(kind) ?? 0).toBeGreaterThan(50);
    expect(stream.garbageBytes).toBeGreaterThan(10_000);
  });

  test(`one huge chunk: every valid frame once, in order, byte-identical; skipped = garbage (${SEED_TEXT})`, () => {
    expectExact(
      stream,
      run(stream.bytes, (n) => n),
    );
  });

  test(`one byte at a time gives the same frames and skip count (${SEED_TEXT})`, () => {
    expectExact(
      stream,
      run(stream.bytes, () => 1),
    );
  });

  test(`random chunk sizes from 1 byte to 8 KiB give the same frames and skip count (${SEED_TEXT})`, () => {
    const rnd = prng(SEED ^ 0xc4);
    expectExact(
      stream,
      run(stream.bytes, () => (rnd.below(3) === 0 ? 1 + rnd.below(8) : 1 + rnd.below(8192))),
    );
  });

  test(`chunks cut around every frame boundary (sizes 1..64) give the same frames and skip count (${SEED_TEXT})`, () => {
    const rnd = prng(SEED ^ 0x64);
    expectExact(
      stream,
      run(stream.bytes, () => 1 + rnd.below(64)),
    );
  });

  test("skips are reported with a ProtocolError naming why", () => {
    const { skips } = run(stream.bytes, (n) => n);
    const codes = new Set(skips.map(([, e]) => e.code));
    for (const code of ["BadMagic", "ChecksumMismatch", "TlvSizeMismatch"]) expect(codes.has(code)).toBe(true);
    for (const [n, e] of skips) {
      expect(n).toBeGreaterThan(0);
      expect(e.name).toBe("ProtocolError");
    }
  });
});

describe("StreamFramer garbage accounting, one case at a time", () => {
  const [a, b, spare] = makeFrames(3, SEED ^ 0xab).map((f) => f);
  const trade = new FrameBuilder({ domain: 1, source: 2 })
    .build("Trade", { instrument: BTC_USD, price: 1n, size: 1n, exchangeTsNs: 1n, side: 1 }, 1n)
    .slice();

  /** Frames after the case under test: a cut or corrupted candidate may claim up to 1 KiB more than it has. */
  const tail = makeFrames(60, SEED ^ 0x7a);
  const tailHex = tail.map(hexOf);
  function feed(...pieces: Uint8Array[]) {
    return run(concat([...pieces, ...tail]), (n) => n);
  }

  test("a bit-flipped frame's bytes are all counted as skipped, and the next frame comes out", () => {
    for (let bit = 0; bit < trade.length * 8; bit++) {
      if (bit >= 24 * 8 + 10 && bit < 24 * 8 + 20) continue; // payload_size grown by 1 KiB or more: waits (below)
      const flipped = trade.slice();
      flipped[bit >> 3] ^= 1 << (bit & 7);
      const r = feed(a, flipped, b);
      expect(r.out.map(hexOf)).toEqual([...[a, b].map(hexOf), ...tailHex]);
      expect(r.framer.skippedBytes).toBe(trade.length);
    }
  });

  test("a flipped high payload_size bit makes the framer wait for the bytes, then drop the whole frame", () => {
    const flipped = trade.slice();
    flipped[26] ^= 0x01; // payload_size + 65,536
    const filler = makeFrames(400, SEED ^ 0xf1);
    const r = feed(flipped, ...filler);
    expect(r.out.length).toBe(filler.length + tail.length);
    expect(r.framer.skippedBytes).toBe(trade.length);
  });

  test("a truncated frame is dropped; only its bytes are skipped", () => {
    for (const cut of [1, 2, 3, 4, 16, 31, 32, 33, trade.length - 1]) {
      const r = feed(a, trade.subarray(0, cut), b);
      expect(r.out.map(hexOf)).toEqual([...[a, b].map(hexOf), ...tailHex]);
      expect(r.framer.skippedBytes).toBe(cut);
    }
  });

  test("a frame whose checksum holds but whose TLV is invalid is skipped whole, as one skip", () => {
    const bad = trade.slice();
    bad[33] = 63;
    new DataView(bad.buffer).setUint32(28, frameChecksum(bad, 0, bad.length - 32), true);
    const r = feed(a, bad, b);
    expect(r.out.map(hexOf)).toEqual([...[a, b].map(hexOf), ...tailHex]);
    expect(r.skips.map(([n, e]) => [n, e.code])).toEqual([[bad.length, "TlvSizeMismatch"]]);
  });

  test("garbage made of magic bytes only is skipped", () => {
    const magic = Uint8Array.of(0xef, 0xbe, 0xad, 0xde);
    const r = feed(magic, magic, a, magic.subarray(0, 3), b);
    expect(r.out.map(hexOf)).toEqual([...[a, b].map(hexOf), ...tailHex]);
    expect(r.framer.skippedBytes).toBe(11);
  });

  test("a frame split at every possible offset comes out once", () => {
    const ext = makeFrames(5, SEED ^ 0x5).find((f) => f[32] === 255) ?? spare;
    for (const frame of [trade, ext]) {
      for (let cut = 0; cut <= frame.length; cut++) {
        const out: string[] = [];
        const framer = new StreamFramer({ onFrame: (f) => out.push(hexOf(f)) });
        framer.push(frame.subarray(0, cut));
        framer.push(frame.subarray(cut));
        expect(out).toEqual([hexOf(frame)]);
        expect([framer.skippedBytes, framer.buffered]).toEqual([0, 0]);
      }
    }
  });

  test("a frame split in three at every pair of offsets comes out once", () => {
    for (let i = 0; i <= trade.length; i += 3) {
      for (let j = i; j <= trade.length; j += 5) {
        const out: string[] = [];
        const framer = new StreamFramer({ onFrame: (f) => out.push(hexOf(f)) });
        framer.push(trade.subarray(0, i));
        framer.push(trade.subarray(i, j));
        framer.push(trade.subarray(j));
        expect(out).toEqual([hexOf(trade)]);
      }
    }
  });

  test("bytes at the end that could start a frame are held, not skipped, until the rest arrives", () => {
    const out: string[] = [];
    const framer = new StreamFramer({ onFrame: (f) => out.push(hexOf(f)) });
    framer.push(trade.subarray(0, 40));
    expect([out.length, framer.buffered, framer.skippedBytes]).toEqual([0, 40, 0]);
    framer.push(trade.subarray(40));
    expect(out).toEqual([hexOf(trade)]);
  });
});

describe("StreamFramer size limit", () => {
  function hugeHeader(payloadSize: number): Uint8Array {
    const h = new Uint8Array(32);
    const dv = new DataView(h.buffer);
    dv.setUint32(0, 0xdeadbeef, true);
    h[4] = 1;
    h[5] = 1;
    dv.setUint32(24, payloadSize, true);
    return h;
  }
  const trade = new FrameBuilder({ domain: 1, source: 2 })
    .build("Trade", { instrument: BTC_USD, price: 1n, size: 1n, exchangeTsNs: 1n, side: 1 }, 1n)
    .slice();

  test("a payload_size above maxFrameSize is refused at once: nothing of it is buffered", () => {
    const out: Uint8Array[] = [];
    const skips: string[] = [];
    const framer = new StreamFramer({
      maxFrameSize: 4096,
      onFrame: (f) => out.push(f.slice()),
      onSkip: (_, e) => skips.push(e.code),
    });
    framer.push(hugeHeader(100_000));
    expect(framer.buffered).toBeLessThan(4);
    const filler = new Uint8Array(1000).fill(0x11);
    for (let i = 0; i < 200; i++) {
      framer.push(filler);
      expect(framer.buffered).toBeLessThan(4);
    }
    framer.push(trade);
    expect(out.map(hexOf)).toEqual([hexOf(trade)]);
    expect(framer.skippedBytes).toBe(32 + 200_000);
    expect(skips[0]).toBe("PayloadTooLarge");
  });

  test("the limit holds when the header arrives one byte at a time", () => {
    const framer = new StreamFramer({ maxFrameSize: 4096, onFrame: () => {} });
    const header = hugeHeader(4096 - 32 + 1);
    for (const byte of header) {
      framer.push(Uint8Array.of(byte));
      expect(framer.buffered).toBeLessThanOrEqual(32);
    }
    expect(framer.buffered).toBeLessThan(4);
    expect(framer.skippedBytes).toBeGreaterThan(28);
  });

  test("a frame of exactly maxFrameSize is accepted", () => {
    const big = new FrameBuilder({ domain: 1, source: 2 })
      .begin(1n)
      .addRaw(200, new Uint8Array(4096 - 32 - 5), true)
      .finish()
      .slice();
    expect(big.length).toBe(4096);
    const r = run(big, () => 100, 4096);
    expect(r.out.length).toBe(1);
    const over = run(
      new FrameBuilder({ domain: 1, source: 2 })
        .begin(1n)
        .addRaw(200, new Uint8Array(4096 - 32 - 4), true)
        .finish(),
      () => 100,
      4096,
    );
    expect(over.out.length).toBe(0);
    expect(over.maxBuffered).toBeLessThan(100);
  });

  test("the default limit is the protocol's 1 MiB: a larger payload_size is refused at once", () => {
    const framer = new StreamFramer({ onFrame: () => {} });
    framer.push(hugeHeader(1_048_576 - 32 + 1));
    expect(framer.buffered).toBeLessThan(4);
    expect(framer.skippedBytes).toBeGreaterThan(28);
  });
});
