import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { type CaptureDamage, CaptureReader, type DamageReason } from "../../../src/behavior/capture/capture-reader.ts";
import { CaptureWriter } from "../../../src/behavior/capture/capture-writer.ts";
import { CAPTURE_HEADER_SIZE, decodeHeader, RECORD_HEADER_SIZE } from "../../../src/behavior/capture/format.ts";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import { VenueId } from "../../../src/data/venues.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";

function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync(join(tmpdir(), "ap-capture-"));
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

const BTC = InstrumentId.spot(VenueId.Kraken, "BTC", "USD");

/** Frames of varying sizes: trades, and order books with 0-40 levels (some over 255 bytes: extended TLVs). */
function makeFrames(count: number, seed = 1): Uint8Array[] {
  const b = new FrameBuilder({ domain: 1, source: 2 });
  const frames: Uint8Array[] = [];
  let x = seed;
  for (let i = 0; i < count; i++) {
    x = (x * 1103515245 + 12345) & 0x7fffffff;
    const ts = 1_700_000_000_000_000_000n + BigInt(i) * 1000n;
    if (x % 3 === 0) {
      const levels = x % 41;
      const level = (k: number) => ({ price: 4500000000000n + BigInt(k), size: 100000000n, orderCount: k });
      frames.push(
        b
          .begin(ts)
          .add("OrderBook", {
            instrument: BTC,
            exchangeTsNs: ts,
            updateId: BigInt(i),
            flags: 1,
            bids: Array.from({ length: levels >> 1 }, (_, k) => level(k)),
            asks: Array.from({ length: levels - (levels >> 1) }, (_, k) => level(k)),
          })
          .finish()
          .slice(),
      );
    } else {
      frames.push(
        b
          .begin(ts)
          .add("Trade", { instrument: BTC, price: BigInt(x), size: 1n, exchangeTsNs: ts, side: 1 })
          .finish()
          .slice(),
      );
    }
  }
  return frames;
}

function write(path: string, frames: Uint8Array[], recv: (i: number) => bigint): number[] {
  const w = new CaptureWriter({ path, relay: "market-data", domain: 1, bufferBytes: 8192 });
  const offsets: number[] = [];
  frames.forEach((f, i) => {
    offsets.push(w.bytes);
    w.append(recv(i), f);
  });
  w.close();
  return offsets;
}

function readAll(path: string): {
  recv: bigint[];
  frames: Uint8Array[];
  reader: CaptureReader;
  damage: CaptureDamage[];
} {
  const damage: CaptureDamage[] = [];
  const reader = new CaptureReader(path, { onDamage: (d) => damage.push(d), chunkBytes: 4096 });
  const recv: bigint[] = [];
  const frames: Uint8Array[] = [];
  for (const r of reader) {
    recv.push(r.recvNs);
    frames.push(r.frame.slice());
  }
  return { recv, frames, reader, damage };
}

const recvOf = (i: number) => 1_800_000_000_000_000_000n + BigInt(i) * 12_345n;

describe("CaptureWriter and CaptureReader", () => {
  test("round-trips 5,000 frames with their receive times, header included", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "a.apcap");
    const frames = makeFrames(5000);
    write(path, frames, recvOf);
    const header = decodeHeader(readFileSync(path).subarray(0, CAPTURE_HEADER_SIZE), path);
    expect(header).toMatchObject({ version: 1, domain: 1, relay: "market-data" });
    expect(header.createdNs > 1_700_000_000_000_000_000n).toBe(true);
    const got = readAll(path);
    expect(got.damage).toEqual([]);
    expect(got.reader.tornTail).toBeUndefined();
    expect(got.frames.length).toBe(5000);
    for (let i = 0; i < frames.length; i++) {
      expect(got.frames[i]).toEqual(frames[i]);
      expect(got.recv[i]).toBe(recvOf(i));
    }
  });

  test("appendNow stamps a receive time from the ns clock, non-decreasing", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "now.apcap");
    const w = new CaptureWriter({ path, relay: "signal", domain: 2 });
    const before = BigInt(Date.now()) * 1_000_000n;
    for (const f of makeFrames(100)) w.appendNow(f);
    w.close();
    const { recv } = readAll(path);
    expect(recv.length).toBe(100);
    expect(recv[0] >= before - 1_000_000_000n).toBe(true);
    for (let i = 1; i < recv.length; i++) expect(recv[i] >= recv[i - 1]).toBe(true);
  });

  test("flush makes records readable while the writer is still open (a kill after flush loses nothing)", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "open.apcap");
    const w = new CaptureWriter({ path, relay: "market-data", domain: 1, flushIntervalMs: 0 });
    const frames = makeFrames(50);
    for (let i = 0; i < frames.length; i++) w.append(recvOf(i), frames[i]);
    expect(readAll(path).frames.length).toBe(0); // still buffered
    w.flush();
    expect(readAll(path).frames).toEqual(frames);
    w.close();
  });

  test("refuses to overwrite an existing file unless asked", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "x.apcap");
    writeFileSync(path, "keep me");
    expect(() => new CaptureWriter({ path, relay: "market-data", domain: 1 })).toThrow(/already exists/);
    expect(readFileSync(path, "utf8")).toBe("keep me");
    new CaptureWriter({ path, relay: "market-data", domain: 1, overwrite: true }).close();
    expect(readFileSync(path).length).toBe(CAPTURE_HEADER_SIZE);
  });

  test("a file that is not a capture is refused with its magic", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "not.apcap");
    writeFileSync(path, Buffer.alloc(100, 0x41));
    expect(() => new CaptureReader(path)).toThrow("is not an ap capture file");
    writeFileSync(path, "APCAP");
    expect(() => new CaptureReader(path)).toThrow("shorter than the 64-byte capture header");
  });

  test("truncated at every offset of the last record: all earlier records read, the torn tail reported", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "torn.apcap");
    const frames = makeFrames(40, 7);
    // the last frame is an order book: a long record, so the cut points cover header and frame
    frames.push(makeFrames(3, 3)[0]);
    const offsets = write(path, frames, recvOf);
    const full = readFileSync(path);
    const last = offsets[offsets.length - 1];
    const lastSize = full.length - last;
    expect(lastSize).toBeGreaterThan(RECORD_HEADER_SIZE + 32);
    for (let cut = 0; cut < lastSize; cut++) {
      writeFileSync(path, full.subarray(0, last + cut));
      const got = readAll(path);
      expect(got.frames.length).toBe(frames.length - 1);
      expect(got.frames[got.frames.length - 1]).toEqual(frames[frames.length - 2]);
      expect(got.damage).toEqual([]);
      expect(got.reader.tornTail).toEqual(cut === 0 ? undefined : { offset: last, length: cut });
    }
  });

  test("corruption in the middle is reported at its offset and reading continues at the next good record", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "bad.apcap");
    const frames = makeFrames(300, 5);
    const offsets = write(path, frames, recvOf);
    const clean = new Uint8Array(readFileSync(path)); // a copy: Buffer#slice would share memory
    const cases: {
      name: string;
      damage: (b: Uint8Array) => Uint8Array;
      lost: number[];
      at: number;
      reason: DamageReason;
    }[] = [
      {
        name: "bit flip in a frame",
        damage: (b) => flip(b, offsets[10] + RECORD_HEADER_SIZE + 40),
        lost: [10],
        at: offsets[10],
        reason: "BadFrameChecksum",
      },
      {
        name: "length field changed",
        damage: (b) => flip(b, offsets[20] + 5),
        lost: [20],
        at: offsets[20],
        reason: "BadRecordHeaderCrc",
      },
      {
        name: "receive time changed",
        damage: (b) => flip(b, offsets[30] + 9),
        lost: [30],
        at: offsets[30],
        reason: "BadRecordHeaderCrc",
      },
      {
        name: "marker destroyed",
        damage: (b) => flip(b, offsets[40]),
        lost: [40],
        at: offsets[40],
        reason: "BadMarker",
      },
      {
        name: "garbage inserted between records",
        damage: (b) => splice(b, offsets[50], 0, garbage(777)),
        lost: [],
        at: offsets[50],
        reason: "BadMarker",
      },
      {
        name: "bytes cut out of a record",
        damage: (b) => splice(b, offsets[60] + 60, 25, new Uint8Array(0)),
        lost: [60],
        at: offsets[60],
        reason: "BadFrameChecksum",
      },
      {
        name: "a record overwritten with zeros",
        damage: (b) => splice(b, offsets[70], offsets[72] - offsets[70], new Uint8Array(offsets[72] - offsets[70])),
        lost: [70, 71],
        at: offsets[70],
        reason: "BadMarker",
      },
    ];
    for (const c of cases) {
      writeFileSync(path, c.damage(clean.slice()));
      const got = readAll(path);
      const expected = frames.filter((_, i) => !c.lost.includes(i));
      expect({ name: c.name, count: got.frames.length }).toEqual({ name: c.name, count: expected.length });
      expect(got.frames).toEqual(expected);
      expect(got.damage.length).toBe(1);
      expect({ name: c.name, offset: got.damage[0].offset, reason: got.damage[0].reason }).toEqual({
        name: c.name,
        offset: c.at,
        reason: c.reason,
      });
      expect(got.reader.tornTail).toBeUndefined();
    }
  });

  test("garbage at the end of the file is damage up to the end, not records", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "tail.apcap");
    const frames = makeFrames(10);
    write(path, frames, recvOf);
    const size = readFileSync(path).length;
    writeFileSync(path, Buffer.concat([readFileSync(path), Buffer.alloc(100, 0x55)]));
    const got = readAll(path);
    expect(got.frames).toEqual(frames);
    expect(got.damage).toEqual([{ offset: size, length: 100, reason: "BadMarker" }]);
  });

  test("reads a file larger than its buffer in chunks (4 KiB reads, 20,000 records)", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "big.apcap");
    const frames = makeFrames(20_000, 11);
    write(path, frames, recvOf);
    const reader = new CaptureReader(path, { chunkBytes: 4096 });
    let n = 0;
    for (const r of reader) {
      if (r.frame.length !== frames[n].length || r.recvNs !== recvOf(n)) throw new Error(`record ${n} differs`);
      n++;
    }
    expect(n).toBe(20_000);
    expect(reader.damage).toEqual([]);
  });

  test("property: random frame sequences, random damage and a random cut read back as the good records", () => {
    const pool = makeFrames(64, 13);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(63), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n })), { minLength: 0, maxLength: 60 }),
        fc.option(fc.tuple(fc.nat(), fc.uint8Array({ minLength: 1, maxLength: 64 }))),
        fc.nat(),
        (records, insert, cutSeed) => {
          using tmp = tempDir();
          const path = join(tmp.dir, "p.apcap");
          const frames = records.map(([k]) => pool[k]);
          const offsets = write(path, frames, (i) => records[i][1]);
          let bytes: Uint8Array = readFileSync(path);
          // garbage inserted at a record boundary: no record lost
          let boundary = -1;
          if (insert && offsets.length > 0) {
            boundary = offsets[insert[0] % offsets.length];
            bytes = splice(bytes, boundary, 0, insert[1]);
          }
          // cut inside the last record (or nowhere)
          let keep = frames.length;
          let torn = 0;
          if (frames.length > 0 && cutSeed % 2 === 0) {
            const lastStart = bytes.length - (RECORD_HEADER_SIZE + frames[frames.length - 1].length);
            torn = cutSeed % (bytes.length - lastStart);
            bytes = bytes.subarray(0, lastStart + torn);
            keep--;
          }
          writeFileSync(path, bytes);
          const got = readAll(path);
          expect(got.frames).toEqual(frames.slice(0, keep));
          expect(got.recv).toEqual(records.slice(0, keep).map((r) => r[1]));
          expect(got.reader.tornTail?.length ?? 0).toBe(torn);
          // inserted garbage is reported where it was put (unless it happens to start like a record marker)
          if (boundary >= 0 && !(keep < frames.length && boundary === offsets[offsets.length - 1])) {
            const d = got.damage[0];
            if (d) expect(d.offset).toBe(boundary);
          }
        },
      ),
      { numRuns: 150 },
    );
  });

  test("truncateSync mid-header of a record is a torn tail of that many bytes", () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "t.apcap");
    const frames = makeFrames(3);
    const offsets = write(path, frames, recvOf);
    truncateSync(path, offsets[2] + 7);
    const got = readAll(path);
    expect(got.frames).toEqual(frames.slice(0, 2));
    expect(got.reader.tornTail).toEqual({ offset: offsets[2], length: 7 });
  });
});

function flip(b: Uint8Array, at: number): Uint8Array {
  b[at] ^= 0x5a;
  return b;
}

function splice(b: Uint8Array, at: number, remove: number, insert: Uint8Array): Uint8Array {
  const out = new Uint8Array(b.length - remove + insert.length);
  out.set(b.subarray(0, at), 0);
  out.set(insert, at);
  out.set(b.subarray(at + remove), at + insert.length);
  return out;
}

function garbage(n: number): Uint8Array {
  const g = new Uint8Array(n);
  for (let i = 0; i < n; i++) g[i] = (i * 37 + 11) & 0xff;
  return g;
}
