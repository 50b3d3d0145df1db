import { describe, expect, test } from "bun:test";
import { BinanceExecutionClient } from "../../../../src/behavior/execution/cex/binance-client.ts";
import { CexCredentials } from "../../../../src/behavior/execution/cex/credentials.ts";
import { RetrySafeError, VenueRejectedError } from "../../../../src/behavior/execution/cex/errors.ts";
import { CexReconciler } from "../../../../src/behavior/execution/cex/reconciler.ts";
import {
  BINANCE_KEY,
  BINANCE_SECRET,
  BTCUSDT,
  captureLog,
  decode,
  E8,
  order,
  replayBinance,
  startBinance,
} from "./helpers.ts";

type Venue = Awaited<ReturnType<typeof startBinance>>;

function setup(venue: Venue, over: Partial<ConstructorParameters<typeof BinanceExecutionClient>[0]> = {}) {
  const { log, lines } = captureLog();
  const frames: Uint8Array[] = [];
  const client = new BinanceExecutionClient({
    baseUrl: venue.restUrl,
    credentials: new CexCredentials(BINANCE_KEY, new TextEncoder().encode(BINANCE_SECRET)),
    log,
    ...over,
  });
  const reconciler = new CexReconciler({ clients: { binance: client }, publish: (f) => frames.push(f.slice()), log });
  return { client, reconciler, frames, lines };
}

const btc = (over: Parameters<typeof order>[0]) => order({ instrument: BTCUSDT, symbol: "BTCUSDT", ...over });
const disposable = (venue: Venue) => Object.assign(venue, { [Symbol.asyncDispose]: async () => venue.stop() });

describe("BinanceExecutionClient against the replay venue", () => {
  test("a market buy fills against the replayed reference book; fills and status match myTrades and the order", async () => {
    await using venue = disposable(await startBinance());
    await replayBinance(venue);
    const { reconciler, frames } = setup(venue);
    await reconciler.submit(btc({ orderId: 1n, type: "market", quantityE8: 2n * E8 }));
    const out = decode(frames);
    expect(out[0].value.status).toBe(1);
    const fills = out.filter((o) => o.type === 42).map((o) => o.value);
    const venueFills = venue.orders!.matcher.fills;
    expect(fills.length).toBe(venueFills.length);
    expect(fills.map((f) => [f.price, f.quantity, f.fee])).toEqual(
      venueFills.map((f) => [f.price / 10n ** 10n, f.qty / 10n ** 10n, f.fee / 10n ** 10n]),
    );
    expect(out[out.length - 1].value).toMatchObject({ status: 4, filledQuantity: 2n * E8 });
  });

  test("a resting limit buy rests before the replay and is filled by the replayed market, found by polling", async () => {
    await using venue = disposable(await startBinance());
    const { reconciler, frames } = setup(venue);
    // far above the 2024-08-08 market (~61,800): every replayed ask crosses it
    await reconciler.submit(btc({ orderId: 5n, priceE8: 70_000n * E8, quantityE8: E8 / 100n }));
    expect(decode(frames).map((o) => o.value.status)).toEqual([1]);
    await replayBinance(venue);
    await reconciler.poll();
    const out = decode(frames).slice(1);
    expect(out.at(-1)!.value).toMatchObject({ status: 4, filledQuantity: E8 / 100n, averagePrice: 70_000n * E8 });
    expect(out.filter((o) => o.type === 42).every((o) => o.value.liquidity === 1)).toBe(true);
  });

  test("a wrong key, a wrong secret and a stale timestamp are refused with Binance's codes", async () => {
    await using venue = disposable(await startBinance());
    const badKey = setup(venue, {
      credentials: new CexCredentials("nope", new TextEncoder().encode(BINANCE_SECRET)),
    });
    const e1 = await badKey.client.placeOrder(btc({ orderId: 1n, priceE8: E8 })).catch((x) => x);
    expect(e1).toBeInstanceOf(VenueRejectedError);
    expect(e1.venueError).toBe("-2015 Invalid API-key, IP, or permissions for action.");
    expect(e1.httpStatus).toBe(401);
    const badSecret = setup(venue, { credentials: new CexCredentials(BINANCE_KEY, new TextEncoder().encode("x")) });
    await badSecret.reconciler.submit(btc({ orderId: 2n, priceE8: E8 }));
    expect(decode(badSecret.frames).map((o) => [o.value.status, o.value.reason])).toEqual([[2, 5]]);
    const stale = setup(venue, { clockMs: () => Date.now() - 60_000 });
    const e3 = await stale.client.queryOrder({ orderId: 3n, symbol: "BTCUSDT" }).catch((x) => x);
    expect(e3).toBeInstanceOf(RetrySafeError);
    expect(e3.venueError).toBe("-1021 Timestamp for this request is outside of the recvWindow.");
    expect(venue.orders!.requests.map((r) => r.error)).toEqual([
      "-2015 Invalid API-key, IP, or permissions for action.",
      "-1022 Signature for this request is not valid.",
      "-1021 Timestamp for this request is outside of the recvWindow.",
    ]);
    expect(venue.orders!.placed).toBe(0);
  });

  test("a new-order answer lost past our timeout is resolved by origClientOrderId, never sent twice", async () => {
    await using venue = disposable(await startBinance());
    await replayBinance(venue);
    const { reconciler, frames } = setup(venue, { timeoutMs: 200 });
    const release = venue.orders!.holdOrderAnswers(1);
    await reconciler.submit(btc({ orderId: 9n, type: "market", quantityE8: E8 / 10n }));
    release();
    expect(reconciler.counters).toMatchObject({ outcomeUnknown: 1, resolvedByQuery: 1 });
    expect(venue.orders!.placed).toBe(1);
    expect(venue.orders!.requests.filter((r) => r.method === "POST").length).toBe(1);
    expect(decode(frames).at(-1)!.value).toMatchObject({ status: 4, filledQuantity: E8 / 10n });
  });

  test("a burst of orders stays within the ORDERS window (venue's arrival times)", async () => {
    const orderLimit = { limit: 3, windowMs: 100 };
    await using venue = disposable(await startBinance({ orderLimit }));
    const { reconciler } = setup(venue, { orderLimit });
    const n = 8;
    await Promise.all(
      Array.from({ length: n }, (_, i) => reconciler.submit(btc({ orderId: BigInt(50 + i), priceE8: 1_000n * E8 }))),
    );
    const times = venue.orders!.orderTimesUs;
    expect(times.length).toBe(n);
    expect(venue.orders!.requests.every((r) => r.error === undefined)).toBe(true);
    for (let i = 3; i < n; i++) expect(times[i] - times[i - 3]).toBeGreaterThanOrEqual(100_000n);
  });

  test("keys and secrets never appear in logs or stats", async () => {
    await using venue = disposable(await startBinance());
    await replayBinance(venue);
    const { reconciler, lines, client } = setup(venue, { timeoutMs: 200 });
    const release = venue.orders!.holdOrderAnswers(1);
    await reconciler.submit(btc({ orderId: 1n, type: "market", quantityE8: E8 / 10n }));
    release();
    const bad = setup(venue, { credentials: new CexCredentials(BINANCE_KEY, new TextEncoder().encode("x")) });
    await bad.reconciler.submit(btc({ orderId: 2n, priceE8: E8 }));
    const text = [...lines, ...bad.lines, JSON.stringify(reconciler.stats()), Bun.inspect(client)].join("\n");
    expect(lines.length).toBeGreaterThan(0);
    expect(text).not.toContain(BINANCE_KEY);
    expect(text).not.toContain(BINANCE_SECRET);
  });
});
