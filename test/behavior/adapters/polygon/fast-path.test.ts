import { describe, expect, test } from "bun:test";
import fc from "fast-check";
import { MarketPublisher } from "../../../../src/behavior/adapters/common/market-publisher.ts";
import { PolygonDataClient } from "../../../../src/behavior/adapters/polygon/data-client.ts";
import { PolygonCollectorError } from "../../../../src/behavior/adapters/polygon/errors.ts";
import type { PoolInfo, RpcLog } from "../../../../src/behavior/adapters/polygon/pool-info.ts";
import { InstrumentId } from "../../../../src/data/instrument-id.ts";
import { SourceType } from "../../../../src/data/venues.ts";
import { QS_POOL, QUICKSWAP, readLogs, SWAP_V3, V3_DAY, V3_POOL, V3_POOL_INFO } from "./helpers.ts";

/**
 * The collector's in-place scanner (fast path) against the JSON.parse path, message by message: both clients get
 * the same text; what they publish (every frame's TLV bytes and sequence), the problems they report and their
 * decode/ignore counters must be the same. The fast path may decline a message (then JSON.parse reads it), never
 * publish something else.
 */

const V3 = V3_POOL_INFO;
const QS: PoolInfo = {
  address: QS_POOL,
  instrument: InstrumentId.pool(302, 137, QS_POOL),
  venue: 302,
  protocol: 2,
  token0: "0x7ceb23fd6bc0add59e62ac25578270cff1b9f619",
  token1: "0x8f3cf7ad23cd3cadbd9735aff958023239c6a063",
  decimals0: 18,
  decimals1: 18,
  symbol0: "WETH",
  symbol1: "DAI",
  feePpm: 3000,
  tickSpacing: 0,
  factory: "0x5757371414417b8c6caad45baef941abc7d3ab32",
};

const SUB = "0x9ce59a13059e417087c02d3236a0b1cc";

interface Side {
  client: PolygonDataClient;
  /** Every published frame without its timestamp and checksum (the only bytes that differ run to run). */
  frames: string[];
  problems: string[];
}

function side(fastPath: boolean): Side {
  const frames: string[] = [];
  const problems: string[] = [];
  const publisher = new MarketPublisher({
    source: SourceType.PolygonCollector,
    name: "test",
    sink: (f) => {
      const b = Uint8Array.from(f);
      b.fill(0, 16, 24); // timestamp
      b.fill(0, 28, 32); // checksum
      frames.push(Buffer.from(b).toString("hex"));
    },
  });
  const client = new PolygonDataClient({ url: "ws://offline", pools: [V3_POOL, QS_POOL] }, publisher, {
    offline: true,
    fastPath,
    onProblem: (what, e) =>
      problems.push(e instanceof PolygonCollectorError ? `${what}: ${e.code} ${e.message}` : `${what}: ${String(e)}`),
  });
  client.addPool(V3);
  client.addPool(QS);
  (client as unknown as { subscriptionId: string }).subscriptionId = SUB;
  return { client, frames, problems };
}

function pair(): { fast: Side; slow: Side; feed: (text: string) => void } {
  const fast = side(true);
  const slow = side(false);
  return {
    fast,
    slow,
    feed: (text) => {
      fast.client.ingestText(text);
      slow.client.ingestText(text);
    },
  };
}

const COUNTERS = [
  "logsIn",
  "swaps",
  "syncs",
  "mints",
  "burns",
  "corrections",
  "removedUnseen",
  "duplicates",
  "decodeErrors",
  "unknownPoolLogs",
  "ignoredLogs",
] as const;

function expectSame(fast: Side, slow: Side): void {
  expect(fast.frames).toEqual(slow.frames);
  expect(fast.problems).toEqual(slow.problems);
  const f = fast.client.stats();
  const s = slow.client.stats();
  for (const k of COUNTERS) expect([k, f[k]]).toEqual([k, s[k]]);
  expect(fast.client.rpc.counters.bad).toBe(slow.client.rpc.counters.bad);
}

function notification(body: string, sub = SUB): string {
  return `{"jsonrpc":"2.0","method":"eth_subscription","params":{"subscription":"${sub}","result":${body}}}`;
}

const day = readLogs(V3_DAY);
const quickswap = readLogs(QUICKSWAP);

describe("the fast path against the JSON.parse path", () => {
  test("every log of the captured V3 day and the QuickSwap pair: the same frames, byte for byte", () => {
    const { fast, slow, feed } = pair();
    for (const log of [...day, ...quickswap]) feed(notification(JSON.stringify(log)));
    expectSame(fast, slow);
    const c = fast.client.stats();
    // 3098 swaps + 107 mints + 141 burns of the day, Sync + Swap of the pair; Collect logs are ignored (JSON.parse)
    expect([c.swaps, c.mints, c.burns, c.syncs]).toEqual([3099, 107, 141, 1]);
    expect(c.fastLogs).toBe(3098 + 107 + 141 + 2);
    expect(c.ignoredLogs).toBe(day.length - 3346);
    expect(c.fastFallbacks).toBe(day.length - 3346);
    expect(slow.client.stats().fastLogs).toBe(0);
  });

  test("removed logs (a reorg) become the same corrections; a re-sent log is the same duplicate", () => {
    const { fast, slow, feed } = pair();
    const logs = day.filter((l) => l.topics[0] === SWAP_V3).slice(0, 50);
    for (const log of logs) feed(notification(JSON.stringify(log)));
    for (const log of logs.slice(10, 20)) feed(notification(JSON.stringify({ ...log, removed: true })));
    for (const log of logs.slice(15, 25)) feed(notification(JSON.stringify(log)));
    feed(notification(JSON.stringify({ ...logs[0], removed: true, logIndex: "0x3ff" }))); // never published
    expectSame(fast, slow);
    const c = fast.client.stats();
    expect([c.corrections, c.duplicates, c.removedUnseen]).toEqual([10, 5, 1]);
    expect(c.fastLogs).toBe(50 + 10 + 10 + 1);
    // each correction: the event with the removed flag, then a StateInvalidation (reason reorg)
    expect(fast.frames.length).toBe(50 + 10 * 2 + 5);
  });

  test("geth's key order with blockHash, whitespace, upper-case hex, another subscription, batches and answers", () => {
    const { fast, slow, feed } = pair();
    const [a, b, c] = day.filter((l) => l.topics[0] === SWAP_V3);
    const blockHash = `0x${"ab".repeat(32)}`;
    const geth = (l: RpcLog) =>
      `{"address":"${l.address}","topics":${JSON.stringify(l.topics)},"data":"${l.data}","blockNumber":"${l.blockNumber}","transactionHash":"${l.transactionHash}","transactionIndex":"${l.transactionIndex}","blockHash":"${blockHash}","logIndex":"${l.logIndex}","removed":false}`;
    feed(notification(geth(a)));
    feed(notification(JSON.stringify(b, null, 2)).replace("{", "{ \n\t"));
    feed(notification(JSON.stringify({ ...c, data: c.data.toUpperCase().replace("0X", "0x") })));
    feed(notification(JSON.stringify(c), "0xother"));
    feed(`[${notification(JSON.stringify(c))}]`);
    feed(`{"jsonrpc":"2.0","id":7,"result":"0x1"}`);
    feed(notification(JSON.stringify({ ...c, address: c.address.toUpperCase().replace("0X", "0x") })));
    expectSame(fast, slow);
    const s = fast.client.stats();
    expect(s.fastLogs).toBeGreaterThanOrEqual(2); // geth's shape and the indented one
    expect(s.swaps).toBe(3);
  });

  test("malformed text: the JSON.parse path's outcome (not JSON, or the typed BadLog error), never a frame more", () => {
    const { fast, slow, feed } = pair();
    const log = day.find((l) => l.topics[0] === SWAP_V3)!;
    const good = notification(JSON.stringify(log));
    const topic1 = good.indexOf(log.topics[1]);
    const bad = [
      good.slice(0, -1), // truncated
      `${good.slice(0, topic1 + 10)}\u0001${good.slice(topic1 + 11)}`, // a control character in an unread topic
      `${good.slice(0, topic1 + 10)}"${good.slice(topic1 + 11)}`, // a quote in an unread topic
      good.replace(log.data.slice(2, 10), "0000zz00"), // a non-hex digit in data
      good.replace(log.transactionHash, `${log.transactionHash.slice(0, 65)}g`),
      good.replace(`"blockNumber":"${log.blockNumber}"`, `"blockNumber":"0x"`),
      good.replace(`"logIndex":"${log.logIndex}"`, `"logIndex":31`),
      good.replace(`"data":"${log.data}"`, `"data":"${log.data.slice(0, -2)}"`),
      good.replace(`"removed":false`, `"removed":false,"removed":true`),
      good.replace(`"removed":false`, `"removed":fals`),
      good.replace(log.topics[0], `${log.topics[0].slice(0, 60)}ffffff`),
    ];
    for (const text of bad) feed(text);
    expectSame(fast, slow);
    expect(fast.frames.length).toBe(slow.frames.length);
    expect(fast.problems.some((p) => p.includes("BadLog"))).toBe(true);
    expect(fast.client.rpc.counters.bad).toBeGreaterThan(0);
  });
});

describe("strings the encoder does not read (topics beyond the event's, the block hash)", () => {
  test("every ASCII character and some others at each position of an unread topic or block hash: the JSON.parse path's outcome; the fast path takes exactly the plain ones", () => {
    const log = day.find((l) => l.topics[0] === SWAP_V3)!;
    const blockHash = `0x${"ab".repeat(32)}`;
    const good = notification(JSON.stringify({ ...log, blockHash }));
    const starts = [good.indexOf(log.topics[1]) + 2, good.indexOf(log.topics[2]) + 2, good.indexOf(blockHash) + 2];
    const chars = [...Array.from({ length: 128 }, (_, c) => String.fromCharCode(c)), "é", "\u2028", "\ud800", "€"];
    let plain = 0;
    for (const start of starts) {
      for (const at of [0, 1, 2, 3, 31, 32, 61, 62, 63]) {
        for (const ch of chars) {
          const { fast, slow, feed } = pair();
          const p = start + at;
          feed(good.slice(0, p) + ch + good.slice(p + 1));
          expectSame(fast, slow);
          // taken in place: ASCII from "0" up, bar the backslash; anything else is left to JSON.parse
          const code = ch.charCodeAt(0);
          const taken = ch.length === 1 && code >= 0x30 && code < 0x80 && code !== 0x5c;
          expect([ch, fast.client.stats().fastLogs]).toEqual([ch, taken ? 1 : 0]);
          if (taken) plain++;
        }
      }
    }
    expect(plain).toBe(3 * 9 * (128 - 48 - 1));
  });
});

// ---- generated logs -------------------------------------------------------------------------------------------

const U128_MAX = (1n << 128n) - 1n;
const hexWord = (v: bigint) => BigInt.asUintN(256, v).toString(16).padStart(64, "0");
const hexQ = (n: number) => `0x${n.toString(16)}`;

/** A word value around the edges of each field's range, or anything in 256 bits. */
const wordValue = fc.oneof(
  { arbitrary: fc.bigInt({ min: 0n, max: U128_MAX }), weight: 6 },
  {
    arbitrary: fc.constantFrom(0n, 1n, U128_MAX, U128_MAX + 1n, -1n, -U128_MAX, -(U128_MAX + 1n), (1n << 160n) - 1n),
    weight: 3,
  },
  { arbitrary: fc.bigInt({ min: -(1n << 255n), max: (1n << 255n) - 1n }), weight: 1 },
);
const tickValue = fc.oneof(
  fc.integer({ min: -887272, max: 887272 }),
  fc.constantFrom(-8388608, 8388607, 8388608, -8388609),
);

const event = fc.oneof(
  fc.record({
    kind: fc.constant("v3swap" as const),
    words: fc.tuple(wordValue, wordValue, wordValue, wordValue),
    tick: tickValue,
  }),
  fc.record({ kind: fc.constant("v2sync" as const), words: fc.tuple(wordValue, wordValue) }),
  fc.record({ kind: fc.constant("v2swap" as const), words: fc.tuple(wordValue, wordValue, wordValue, wordValue) }),
);

const log = fc.record({
  event,
  block: fc.integer({ min: 0, max: 2 ** 40 }),
  logIndex: fc.integer({ min: 0, max: 2 ** 21 }),
  timestamp: fc.option(fc.integer({ min: 0, max: 2 ** 33 }), { nil: undefined }),
  removed: fc.option(fc.boolean(), { nil: undefined }),
  hash: fc.uint8Array({ minLength: 32, maxLength: 32 }),
  withBlockHash: fc.boolean(),
  order: fc.array(fc.nat(), { minLength: 10, maxLength: 10 }),
  spaces: fc.array(fc.constantFrom("", "", "", " ", "\n", "\t ", "\r\n"), { minLength: 48, maxLength: 48 }),
});

function render(g: typeof log extends fc.Arbitrary<infer T> ? T : never): string {
  const e = g.event;
  let address = V3_POOL;
  let topics: string[];
  let data: string;
  if (e.kind === "v3swap") {
    topics = [SWAP_V3, `0x${"0".repeat(24)}${"12".repeat(20)}`, `0x${"0".repeat(24)}${"34".repeat(20)}`];
    data = `0x${e.words.map(hexWord).join("")}${hexWord(BigInt(e.tick))}`;
  } else {
    address = QS_POOL;
    topics =
      e.kind === "v2sync"
        ? ["0x1c411e9a96e071241c2f21f7726b17ae89e3cab4c78be50e062b03a9fffbbad1"]
        : [
            "0xd78ad95fa46c994b6551d0da85fc275fe613ce37657fb8d5e3d130840159d822",
            `0x${"0".repeat(24)}${"56".repeat(20)}`,
            `0x${"0".repeat(24)}${"78".repeat(20)}`,
          ];
    data = `0x${e.words.map(hexWord).join("")}`;
  }
  const fields: [string, string][] = [
    ["address", JSON.stringify(address)],
    ["topics", `[${topics.map((t) => JSON.stringify(t)).join(",")}]`],
    ["data", JSON.stringify(data)],
    ["blockNumber", JSON.stringify(hexQ(g.block))],
    ["transactionHash", JSON.stringify(`0x${Buffer.from(g.hash).toString("hex")}`)],
    ["transactionIndex", JSON.stringify("0x3")],
    ["logIndex", JSON.stringify(hexQ(g.logIndex))],
  ];
  if (g.timestamp !== undefined) fields.push(["blockTimestamp", JSON.stringify(hexQ(g.timestamp))]);
  if (g.removed !== undefined) fields.push(["removed", String(g.removed)]);
  if (g.withBlockHash) fields.push(["blockHash", JSON.stringify(`0x${"cd".repeat(32)}`)]);
  // a random key order: sort by the generated ranks
  const ranked = fields.map((f, i) => ({ f, r: g.order[i] ?? i })).sort((a, b) => a.r - b.r);
  let sp = 0;
  const w = () => g.spaces[sp++ % g.spaces.length];
  return `{${w()}${ranked.map(({ f: [k, v] }) => `"${k}"${w()}:${w()}${v}`).join(`${w()},${w()}`)}${w()}}`;
}

describe("generated log notifications (fast-check)", () => {
  test("random amounts (max u128, negative int256, out of range), ticks, key order and whitespace: the same frames as JSON.parse, or a fallback", () => {
    let fastTaken = 0;
    fc.assert(
      fc.property(fc.array(log, { minLength: 1, maxLength: 8 }), (logs) => {
        const { fast, slow, feed } = pair();
        for (const g of logs) feed(notification(render(g)));
        expectSame(fast, slow);
        fastTaken += fast.client.stats().fastLogs;
      }),
      { numRuns: Number(process.env.AP_FUZZ_RUNS ?? 400) },
    );
    expect(fastTaken).toBeGreaterThan(100); // the property exercised the fast path, not only its fallback
  });

  test("one character of a captured notification replaced by anything: the same outcome as JSON.parse", () => {
    const texts = [...day.slice(0, 40), ...quickswap].map((l) => notification(JSON.stringify(l)));
    fc.assert(
      fc.property(
        fc.nat({ max: texts.length - 1 }),
        fc.nat(),
        fc.oneof(fc.constantFrom('"', "\\", ",", "}", "]", " ", "\u0000", "\u001f", "0", "f", "F", "x", "g", "é")),
        (i, at, ch) => {
          const text = texts[i];
          const p = at % text.length;
          const { fast, slow, feed } = pair();
          feed(text.slice(0, p) + ch + text.slice(p + 1));
          expectSame(fast, slow);
        },
      ),
      { numRuns: Number(process.env.AP_FUZZ_RUNS ?? 3000) },
    );
  });
});
