import { describe, expect, test } from "bun:test";
import { CexCredentials } from "../../../../src/behavior/execution/cex/credentials.ts";
import { VenueRejectedError } from "../../../../src/behavior/execution/cex/errors.ts";
import { KrakenExecutionClient } from "../../../../src/behavior/execution/cex/kraken-client.ts";
import { CexReconciler } from "../../../../src/behavior/execution/cex/reconciler.ts";
import { captureLog, decode, E8, KRAKEN_KEY, KRAKEN_SECRET, order, replayKraken, startKraken } from "./helpers.ts";

function setup(
  venue: Awaited<ReturnType<typeof startKraken>>,
  over: Partial<ConstructorParameters<typeof KrakenExecutionClient>[0]> = {},
) {
  const { log, lines } = captureLog();
  const frames: Uint8Array[] = [];
  const client = new KrakenExecutionClient({
    baseUrl: venue.restUrl,
    credentials: new CexCredentials(KRAKEN_KEY, new Uint8Array(Buffer.from(KRAKEN_SECRET, "base64"))),
    log,
    ...over,
  });
  const reconciler = new CexReconciler({ clients: { kraken: client }, publish: (f) => frames.push(f.slice()), log });
  return { client, reconciler, frames, lines };
}

describe("KrakenExecutionClient against the replay venue", () => {
  test("a market buy walks the replayed book; fills and status match the venue's order and trades", async () => {
    await using venue = Object.assign(await startKraken(), { [Symbol.asyncDispose]: async () => venue.stop() });
    await replayKraken(venue);
    const book = venue.orders!.books.get("XBT/USD")!.asks;
    const asks = book.book.asks.map((l) => l.price);
    // all of the best level and some of the next: two fills at two prices
    const e8 = (text: string) => BigInt(text.replace(".", "")) / 10n ** BigInt(text.split(".")[1].length - 8);
    const qty = e8(book.text.get(asks[0])![1]) + e8(book.text.get(asks[1])![1]) / 2n;
    const { reconciler, frames } = setup(venue);
    await reconciler.submit(order({ orderId: 1n, type: "market", quantityE8: qty }));
    const out = decode(frames);
    expect(out.map((o) => o.type)).toEqual([41, ...out.slice(1, -1).map(() => 42), 41]);
    expect(out[0].value.status).toBe(1);
    const fills = out.filter((o) => o.type === 42).map((o) => o.value);
    expect(fills.length).toBe(2);
    expect(fills[0].price).toBe(asks[0] / 10n ** 10n);
    // the venue's view: same trades, same volume, same prices
    const venueFills = venue.orders!.matcher.fills;
    expect(fills.map((f) => [f.price, f.quantity, f.liquidity])).toEqual(
      venueFills.map((f) => [f.price / 10n ** 10n, f.qty / 10n ** 10n, 2]),
    );
    const last = out[out.length - 1].value;
    expect(last.status).toBe(4);
    expect(last.filledQuantity).toBe(qty);
    const o = venue.orders!.matcher.orders.values().next().value!;
    expect(o.filled).toBe(qty * 10n ** 10n);
    expect(last.averagePrice).toBe(o.cost / o.filled / 10n ** 10n);
  });

  test("a resting limit order is filled when the replayed book crosses it, found by polling", async () => {
    await using venue = Object.assign(await startKraken(), { [Symbol.asyncDispose]: async () => venue.stop() });
    const { reconciler, frames } = setup(venue);
    // before any book: the order rests; the capture's first snapshot has 4.28732553 offered at 27120.0
    await reconciler.submit(order({ orderId: 7n, priceE8: 27_120n * E8, quantityE8: 3n * E8 }));
    expect(decode(frames).map((o) => o.value.status)).toEqual([1]);
    await replayKraken(venue);
    await reconciler.poll();
    const out = decode(frames).slice(1);
    expect(out.map((o) => o.type)).toEqual([42, 41]);
    expect(out[0].value).toMatchObject({ price: 27_120n * E8, quantity: 3n * E8, liquidity: 1 });
    expect(out[1].value).toMatchObject({ status: 4, filledQuantity: 3n * E8, averagePrice: 27_120n * E8 });
    await reconciler.poll(); // nothing new: fills are idempotent by trade id
    expect(decode(frames).length).toBe(3);
  });

  test("a wrong secret or key is refused with Kraken's error, and the order is reported rejected", async () => {
    await using venue = Object.assign(await startKraken(), { [Symbol.asyncDispose]: async () => venue.stop() });
    const badSecret = setup(venue, {
      credentials: new CexCredentials(KRAKEN_KEY, new Uint8Array(Buffer.from("d3Jvbmc=", "base64"))),
    });
    const e = await badSecret.client.placeOrder(order({ orderId: 1n, priceE8: E8 })).catch((x) => x);
    expect(e).toBeInstanceOf(VenueRejectedError);
    expect(e.venueError).toBe("EAPI:Invalid signature");
    expect(e.retrySafe).toBe(false);
    const badKey = setup(venue, {
      credentials: new CexCredentials("nope", new Uint8Array(Buffer.from(KRAKEN_SECRET, "base64"))),
    });
    await badKey.reconciler.submit(order({ orderId: 2n, priceE8: E8 }));
    expect(decode(badKey.frames).map((o) => [o.value.status, o.value.reason])).toEqual([[2, 5]]);
    expect(venue.orders!.requests.map((r) => r.error)).toEqual(["EAPI:Invalid signature", "EAPI:Invalid key"]);
    expect(venue.orders!.placed).toBe(0);
  });

  test("a nonce not above the last one is refused as Kraken does (EAPI:Invalid nonce)", async () => {
    await using venue = Object.assign(await startKraken(), { [Symbol.asyncDispose]: async () => venue.stop() });
    const { client } = setup(venue);
    expect(await client.queryOrder({ orderId: 1n, symbol: "XBT/USD" })).toBeUndefined();
    const { krakenSignature } = await import("../../../../src/behavior/execution/cex/kraken-sign.ts");
    const postData = "nonce=1&userref=1";
    const res = await fetch(`${venue.restUrl}/0/private/OpenOrders`, {
      method: "POST",
      headers: {
        "API-Key": KRAKEN_KEY,
        "API-Sign": krakenSignature({
          uriPath: "/0/private/OpenOrders",
          nonce: "1",
          postData,
          secret: new Uint8Array(Buffer.from(KRAKEN_SECRET, "base64")),
        }),
      },
      body: postData,
    });
    expect(await res.json()).toEqual({ error: ["EAPI:Invalid nonce"] });
  });

  test("an AddOrder answer lost past our timeout is outcome-unknown, resolved by userref, never sent twice", async () => {
    await using venue = Object.assign(await startKraken(), { [Symbol.asyncDispose]: async () => venue.stop() });
    await replayKraken(venue);
    const { reconciler, frames, client } = setup(venue, { timeoutMs: 200 });
    const release = venue.orders!.holdAddOrderAnswers(1);
    const t = await reconciler.submit(order({ orderId: 42n, type: "market", quantityE8: E8 / 2n }));
    release();
    expect(reconciler.counters.outcomeUnknown).toBe(1);
    expect(reconciler.counters.resolvedByQuery).toBe(1);
    expect(venue.orders!.placed).toBe(1);
    expect(venue.orders!.requests.filter((r) => r.method === "AddOrder").length).toBe(1);
    expect(venue.orders!.requests.map((r) => r.method).slice(1, 3)).toEqual(["OpenOrders", "ClosedOrders"]);
    expect(t.venueOrderId).toBe([...venue.orders!.matcher.orders.keys()][0]);
    const out = decode(frames);
    expect(out[0].value.status).toBe(1);
    expect(out[out.length - 1].value).toMatchObject({ status: 4, filledQuantity: E8 / 2n });
    expect(client.venue).toBe("kraken");
  });

  test("a burst of orders is spaced as the trading counter demands (venue's arrival times)", async () => {
    // a small counter so the burst must wait: max 3, decay 20 per second (one unit per 50 ms)
    const tradingCounter = { max: 3, decayMilliPerSecond: 20_000 };
    await using venue = Object.assign(await startKraken({ tradingCounter }), {
      [Symbol.asyncDispose]: async () => venue.stop(),
    });
    const { reconciler, frames } = setup(venue, { tradingCounter });
    const n = 8;
    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        reconciler.submit(order({ orderId: BigInt(100 + i), priceE8: 20_000n * E8, quantityE8: E8 })),
      ),
    );
    const requests = venue.orders!.requests.filter((r) => r.method === "AddOrder");
    // Concurrent requests may reach the venue out of nonce order under load: the late one is refused with
    // EAPI:Invalid nonce (not acted on, retry-safe) and sent again with a new nonce. Never a rate-limit refusal.
    expect(requests.filter((r) => r.error !== undefined).map((r) => r.error)).toEqual(
      requests.filter((r) => r.error !== undefined).map(() => "EAPI:Invalid nonce"),
    );
    const adds = requests.filter((r) => r.error === undefined);
    expect(adds.length).toBe(n);
    expect(venue.orders!.placed).toBe(n);
    expect(adds.every((r) => r.levelAfter! <= 3_000_000n)).toBe(true);
    // 3 fit at once; each further one needs a unit decayed: at least (n - 3) x 50 ms between first and last arrival
    expect(adds[n - 1].atUs - adds[0].atUs).toBeGreaterThanOrEqual(BigInt((n - 3) * 50_000));
    expect(decode(frames).filter((o) => o.value.status === 1).length).toBe(n);
  });

  test("keys and secrets never appear in logs or stats", async () => {
    await using venue = Object.assign(await startKraken(), { [Symbol.asyncDispose]: async () => venue.stop() });
    await replayKraken(venue);
    const { reconciler, lines, client } = setup(venue, { timeoutMs: 200 });
    const release = venue.orders!.holdAddOrderAnswers(1);
    await reconciler.submit(order({ orderId: 1n, type: "market", quantityE8: E8 }));
    release();
    const bad = setup(venue, { credentials: new CexCredentials(KRAKEN_KEY, new Uint8Array([1, 2, 3])) });
    await bad.reconciler.submit(order({ orderId: 2n, priceE8: E8 }));
    const text = [
      ...lines,
      ...bad.lines,
      JSON.stringify(reconciler.stats()),
      JSON.stringify(bad.reconciler.stats()),
      String(new CexCredentials(KRAKEN_KEY, new Uint8Array(Buffer.from(KRAKEN_SECRET, "base64")))),
      Bun.inspect(client),
    ].join("\n");
    expect(lines.length).toBeGreaterThan(0);
    for (const secret of [KRAKEN_KEY, KRAKEN_SECRET, Buffer.from(KRAKEN_SECRET, "base64").toString()]) {
      expect(text).not.toContain(secret);
    }
  });
});
