import { describe, expect, test } from "bun:test";
import { NATIVE_TOKEN_ADDRESS } from "../../../../src/behavior/execution/gas.ts";
import type { InstrumentId } from "../../../../src/data/instrument-id.ts";
import { decodeFrames } from "../helpers.ts";
import { anvilMarket, balanceOf, mine, predictOut, signalFor, startExecutor } from "./helpers.ts";

const m = anvilMarket();

describe("OnchainExecutor on anvil with the real Uniswap contracts", () => {
  test("a profitable V2-V2 flash arbitrage executes and its profit equals the exact AMM prediction to the wei", async () => {
    const h = await startExecutor(m);
    const amountIn = 1_000n * 10n ** 18n;
    const expectedOut = await predictOut(m, [m.pairA, m.pairB], amountIn);
    expect(expectedOut).toBeGreaterThan(amountIn);
    const before = await balanceOf(m, m.quote, m.account.address);
    const s = signalFor(m, { buy: m.pairA, sell: m.pairB, amountIn, expectedOut });
    const outcome = await h.executor.onSignal(s);
    expect(outcome.state).toBe("submitted");
    await mine(m);
    const [resolved] = await h.executor.poll();
    expect(resolved.state).toBe("mined");
    const after = await balanceOf(m, m.quote, m.account.address);
    expect(after - before).toBe(expectedOut - amountIn);
    // nothing stays in the contract
    expect(await balanceOf(m, m.quote, m.contract)).toBe(0n);
    expect(await balanceOf(m, m.base, m.contract)).toBe(0n);
    const out = decodeFrames(h.frames);
    const statuses = out.filter((o) => o.type === 41).map((o) => o.value.status);
    expect(statuses).toEqual([1, 4]);
    const fills = out.filter((o) => o.type === 42).map((o) => o.value);
    // per hop what was paid and received, then the gas the receipt paid (native token, wei)
    expect(fills.length).toBe(5);
    expect(fills[0].txHash).toBe(resolved.hash);
    expect(fills[3].quantityNative).toBe(expectedOut);
    expect(fills[0].quantityNative).toBe(amountIn);
    const receipt = await m.chain.publicClient.getTransactionReceipt({ hash: resolved.hash! });
    expect(fills[4]).toMatchObject({ side: 2, quantityNative: receipt.gasUsed * receipt.effectiveGasPrice });
    expect((fills[4].instrument as InstrumentId).address).toBe(NATIVE_TOKEN_ADDRESS);
  });

  test("V2-V3 and V3-V2 flash arbitrages: profit equals the exact prediction (V2 getAmountOut, V3 swap loop)", async () => {
    const h = await startExecutor(m);
    for (const [buy, sell] of [
      [m.pairA, m.v3],
      [m.v3, m.pairB],
    ]) {
      const amountIn = 500n * 10n ** 18n;
      const expectedOut = await predictOut(m, [buy, sell], amountIn);
      expect(expectedOut).toBeGreaterThan(amountIn);
      const before = await balanceOf(m, m.quote, m.account.address);
      const outcome = await h.executor.onSignal(signalFor(m, { buy, sell, amountIn, expectedOut }));
      expect(outcome.state).toBe("submitted");
      await mine(m);
      const [resolved] = await h.executor.poll();
      expect(resolved.state).toBe("mined");
      expect((await balanceOf(m, m.quote, m.account.address)) - before).toBe(expectedOut - amountIn);
      expect(await balanceOf(m, m.base, m.contract)).toBe(0n);
    }
  });
});
