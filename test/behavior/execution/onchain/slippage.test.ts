import { describe, expect, test } from "bun:test";
import { decodeFrames } from "../helpers.ts";
import {
  anvilMarket,
  balanceOf,
  competitorBuysBase,
  E18,
  ethBalance,
  mine,
  predictOut,
  signalFor,
  startExecutor,
} from "./helpers.ts";

const m = anvilMarket();

describe("OnchainExecutor when the price moves between signal and inclusion", () => {
  test("the transaction reverts (gas is the whole loss, status slippage), later ones are skipped, the breaker trips", async () => {
    const h = await startExecutor(m, { maxErrors: 3 });
    const amountIn = 1_000n * E18;
    const expectedOut = await predictOut(m, [m.pairA, m.pairB], amountIn);
    const quoteBefore = await balanceOf(m, m.quote, m.account.address);
    const ethBefore = await ethBalance(m, m.account.address);

    // simulated on the state of the signal: passes, and is in the mempool
    const sent = await h.executor.onSignal(signalFor(m, { buy: m.pairA, sell: m.pairB, amountIn, expectedOut }));
    expect(sent.state).toBe("submitted");
    // another account buys base on the same pair with a higher tip: mined first in the same block
    await competitorBuysBase(m, m.pairA, 10_000n * E18, 50n * 10n ** 9n);
    await mine(m);
    const [r] = await h.executor.poll();
    expect(r.state).toBe("reverted");
    expect(r.gasCostWei).toBeGreaterThan(0n);
    expect(await balanceOf(m, m.quote, m.account.address)).toBe(quoteBefore);
    expect(await ethBalance(m, m.account.address)).toBe(ethBefore - r.gasCostWei);

    // the same opportunity again: the simulation reverts with ProfitBelowMinimum, nothing is sent
    const nextNonce = h.nonces.next;
    const skipped = await h.executor.onSignal(signalFor(m, { buy: m.pairA, sell: m.pairB, amountIn, expectedOut }));
    expect(skipped).toMatchObject({ state: "rejected", reason: 3, check: "slippage" });
    expect(h.nonces.next).toBe(nextNonce);
    expect(h.executor.breakers.tripped.size).toBe(0);
    await h.executor.onSignal(signalFor(m, { buy: m.pairA, sell: m.pairB, amountIn, expectedOut }));
    // third failure within the window: the error-rate breaker trips and refuses the next signal (reason 2)
    expect(h.executor.breakers.tripped.size).toBe(1);
    const refused = await h.executor.onSignal(signalFor(m, { buy: m.pairA, sell: m.pairB, amountIn, expectedOut }));
    expect(refused).toMatchObject({ state: "rejected", reason: 2, check: "circuit_breaker" });

    const out = decodeFrames(h.frames);
    const statuses = out.filter((o) => o.type === 41).map((o) => [o.value.status, o.value.reason]);
    expect(statuses).toEqual([
      [1, 0],
      [2, 3],
      [2, 3],
      [2, 3],
      [2, 2],
    ]);
    // the revert's only Fill: its gas, on the native token (the skipped signals sent nothing and cost nothing)
    const fills = out.filter((o) => o.type === 42).map((o) => o.value);
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ side: 2, quantityNative: r.gasCostWei, txHash: r.hash });
    const breakers = out.filter((o) => o.type === 71).map((o) => [o.value.scope, o.value.state, o.value.reason]);
    expect(breakers).toEqual([[1, 1, 2]]);
  });
});
