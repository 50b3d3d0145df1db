import { describe, expect, test } from "bun:test";
import { join } from "node:path";
import type { Socket } from "bun";
import { listenUnix } from "../../../src/behavior/transport/listen-unix.ts";
import { WriteQueue } from "../../../src/behavior/transport/write-queue.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import { StreamFramer } from "../../../src/rules/framer.ts";
import { SequenceCheck, tempDir, tradeBuilder, Until } from "../relay/helpers.ts";

describe("WriteQueue", () => {
  test("keeps the unwritten tail of a partial write and resumes on drain; every byte arrives in order", async () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "q.sock");
    const queue = new WriteQueue(64 << 20);
    let partialWrites = 0;
    let drains = 0;
    let pushed = 0;
    const flush = (s: Socket<undefined>) => {
      const before = queue.length;
      const n = queue.flushTo(s);
      if (n >= 0 && n < before) partialWrites++;
    };
    const frames = 40_000; // 3.9 MB in one tick, far over the kernel's socket buffer
    using server = await listenUnix<undefined>({
      path,
      socket: {
        binaryType: "uint8array",
        open(s) {
          const { next } = tradeBuilder();
          for (let i = 0; i < frames; i++) if (queue.push(next())) pushed++;
          flush(s);
        },
        drain(s) {
          drains++;
          flush(s);
        },
      },
    });
    const check = new SequenceCheck();
    const framer = new StreamFramer({ onFrame: check.onFrame });
    const client = await Bun.connect({
      unix: path,
      socket: { binaryType: "uint8array", data: (_s, chunk) => framer.push(chunk) },
    });
    await check.reach(frames);
    expect(pushed).toBe(frames);
    expect(check.errors).toEqual([]);
    expect(framer.skippedBytes).toBe(0);
    expect(partialWrites).toBeGreaterThan(0);
    expect(drains).toBeGreaterThan(0);
    expect(queue.length).toBe(0);
    client.end();
    server.stop(true);
  });

  test("refuses, without copying, a frame that would take it past its limit", () => {
    const queue = new WriteQueue(1000, 256);
    const { next } = tradeBuilder(); // 98-byte frames
    for (let i = 0; i < 10; i++) expect(queue.push(next())).toBe(true);
    expect(queue.push(next())).toBe(false);
    expect(queue.length).toBe(980);
  });

  test("gives a burst-grown buffer back once empty, never while bytes are queued", () => {
    const queue = new WriteQueue(1 << 20, 1024);
    const { next } = tradeBuilder();
    for (let i = 0; i < 100; i++) queue.push(next());
    expect(queue.capacity).toBeGreaterThan(1024);
    expect(queue.shrink()).toBe(false); // 9,800 bytes still queued
    queue.clear();
    expect(queue.shrink()).toBe(true);
    expect(queue.capacity).toBe(1024);
    expect(queue.push(next())).toBe(true);
  });

  test("an empty queue takes one frame larger than its limit, so no frame is undeliverable", () => {
    const queue = new WriteQueue(1000, 256);
    const big = new FrameBuilder({ domain: 1, source: 2 }).begin().addRaw(220, new Uint8Array(3000)).finish();
    expect(queue.push(big)).toBe(true);
    expect(queue.push(big)).toBe(false);
    expect(queue.length).toBe(big.length);
  });

  test("after a connection is lost mid-frame, drops the rest of that frame so the queue starts at a boundary", async () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "q.sock");
    const queue = new WriteQueue(64 << 20);
    const { next } = tradeBuilder();
    const size = next().length;
    const opened = new Until();
    let written = -1;
    using server = await listenUnix<undefined>({
      path,
      socket: {
        data() {},
        open(s) {
          for (let i = 0; i < 20_000; i++) queue.push(next());
          written = queue.flushTo(s); // the peer is not reading yet: a partial write
          opened.check();
        },
      },
    });
    const client = await Bun.connect({ unix: path, socket: { data() {} } });
    await opened.until(() => written >= 0);
    const total = 20_000 * size;
    expect(written).toBeLessThan(total);
    const dropped = queue.discardPartialFrame();
    expect((written + dropped) % size).toBe(0);
    expect(dropped).toBeLessThan(size);
    expect(queue.length).toBe(total - written - dropped);
    expect(queue.discardPartialFrame()).toBe(0); // already at a boundary
    client.end();
    server.stop(true);
  });
});
