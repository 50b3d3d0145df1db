import { describe, expect, test } from "bun:test";
import { NatsWire } from "../../../src/behavior/bridge/nats-wire.ts";

/**
 * The bridge's own NATS protocol reader (MSG / HMSG scanned in place, Ap-Origin / Ap-Seq read from the raw header
 * bytes): every message comes out once, in order, whatever the read boundaries, with payloads containing CRLF,
 * reply subjects, odd header spacing and lower-case header keys. Seeded, so a failure reproduces.
 */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe("NatsWire reader", () => {
  test("300 messages under 200 random read splits come out once, in order (seed 0x5eed)", () => {
    const got: string[] = [];
    const dec = new TextDecoder();
    const wire = new NatsWire({
      server: () => "127.0.0.1:1",
      connection: {},
      instance: "x",
      maxQueueBytes: 1 << 20,
      subjects: ["a.>", "b.>"],
      onUp() {},
      onDown() {},
      onError(m: string) {
        got.push(`ERR ${m}`);
      },
      onMessage(
        subject: Uint8Array,
        origin: Uint8Array | undefined,
        seq: number,
        buf: Uint8Array,
        s: number,
        e: number,
      ) {
        got.push(
          `${dec.decode(subject)}|${origin ? dec.decode(origin) : "-"}|${seq}|${dec.decode(buf.subarray(s, e))}`,
        );
      },
    } as never);
    const sock = { write: (b: Uint8Array) => b.length, end() {}, setNoDelay() {} };
    const w = wire as unknown as { onOpen(s: unknown): void; onData(s: unknown, b: Uint8Array): void };
    w.onOpen(sock);
    let text = "";
    const expected: string[] = [];
    for (let i = 0; i < 300; i++) {
      const body = `${"p".repeat(i % 17)}\r\n${i}`;
      if (i % 3 === 0) {
        text += `MSG a.s${i % 5} 1 ${body.length}\r\n${body}\r\n`;
        expected.push(`a.s${i % 5}|-|NaN|${body}`);
      } else if (i % 3 === 1) {
        const h = `NATS/1.0\r\nAp-Origin: o${i % 4}\r\nap-seq:  ${i}\r\nX: y\r\n\r\n`;
        text += `HMSG b.t${i} 2 reply.to ${h.length} ${h.length + body.length}\r\n${h}${body}\r\n`;
        expected.push(`b.t${i}|o${i % 4}|${i}|${body}`);
      } else {
        text += i % 2 ? "PING\r\n" : "+OK\r\n";
      }
    }
    const bytes = new TextEncoder().encode(text);
    const random = mulberry32(0x5eed);
    for (let trial = 0; trial < 200; trial++) {
      got.length = 0;
      for (let p = 0; p < bytes.length; ) {
        const n = 1 + Math.floor(random() * (trial % 2 ? 7 : 300));
        w.onData(sock, bytes.slice(p, p + n));
        p += n;
      }
      expect(got).toEqual(expected);
    }
  });
});
