import { describe, expect, test } from "bun:test";
import { reconcileFills } from "../../../src/behavior/backtest/reconcile-fills.ts";
import { ExecutionEngine } from "../../../src/behavior/execution/engine.ts";
import { gasTokenPriceFromMarket } from "../../../src/behavior/execution/gas.ts";
import { referencePrice } from "../../../src/behavior/execution/market-state.ts";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import type { TlvName } from "../../../src/data/tlv-layouts.ts";
import { VenueId } from "../../../src/data/venues.ts";
import { E8, feeder, fillsOf, T0, testConfig } from "./helpers.ts";
import {
  anvilMarket,
  mine,
  predictOut,
  routeToExecutor,
  signalFor,
  startExecutor,
  v2PoolState,
} from "./onchain/helpers.ts";

/**
 * Live fills in the engine's portfolio: the Fills of a mined arbitrage transaction move the engine's token balances
 * exactly as the paper swap path's Fills do; the gas is the receipt's (a Fill on the native token, valued at the
 * engine's ETH/USD mark) where paper books the signal's estimate; P&L recomputed from the Fill frames alone reconciles.
 */

describe("on-chain Fills enter the engine's portfolio", () => {
  const m = anvilMarket();

  test("a mined V2-V2 arbitrage moves token balances and cash as its paper fills would; the Fill frames reconcile", async () => {
    const engineFrames: Uint8Array[] = [];
    const route = routeToExecutor();
    const engine = new ExecutionEngine({
      config: testConfig(),
      publish: (f) => engineFrames.push(f),
      live: route.router,
    });
    const h = await startExecutor(m, {
      onFill: (f) => engine.applyLiveFill(f),
      gasTokenPriceE8: gasTokenPriceFromMarket(engine.market),
    });
    route.executor = h.executor;
    const paper = new ExecutionEngine({ config: testConfig(), publish: () => {} });
    const feedLive = feeder(engine);
    const feedPaper = feeder(paper);

    const book = {
      instrument: InstrumentId.spot(VenueId.Kraken, "ETH", "USD"),
      exchangeTsNs: T0,
      updateId: 1n,
      flags: 1,
      bids: [{ price: 3_000_00000000n, size: E8, orderCount: 1 }],
      asks: [{ price: 3_000_00000002n, size: E8, orderCount: 1 }],
    };
    feedLive(1, [["OrderBook", book]]);
    feedPaper(1, [["OrderBook", book]]);
    for (const pool of [m.pairA, m.pairB]) {
      const state = await v2PoolState(m, pool);
      feedLive(1, [["PoolState", state]]);
      feedPaper(1, [["PoolState", state]]);
    }
    const amountIn = 1_000n * 10n ** 18n;
    const expectedOut = await predictOut(m, [m.pairA, m.pairB], amountIn);
    const s = signalFor(m, { buy: m.pairA, sell: m.pairB, amountIn, expectedOut });
    const gasCostUsdE8 = 1_234_567n;
    const tlvs: [TlvName, unknown][] = [
      ["SignalIdentity", { signalId: s.signalId, strategyId: 1, strategyVersion: 1, confidence: 90 }],
      ["Economics", { expectedProfitUsdE8: 1n, requiredCapitalUsdE8: 1_000n * E8, gasCostUsdE8, feesUsdE8: 0n }],
      ["ArbitrageSignal", s],
    ];
    feedLive(2, tlvs);
    feedPaper(2, tlvs);
    expect(await route.pending).toMatchObject({ state: "submitted" });
    await mine(m);
    const [resolved] = await h.executor.poll();
    const receipt = await m.chain.publicClient.getTransactionReceipt({ hash: resolved.hash! });
    const wei = receipt.gasUsed * receipt.effectiveGasPrice;
    // ETH at the book's mid, 3000.00000001 USD, rounded up to the USD e8
    const gasUsd = (wei * 3_000_00000001n + 10n ** 18n - 1n) / 10n ** 18n;

    const fills = fillsOf(h.frames);
    expect(fills).toHaveLength(5);
    expect(fills[3].quantityNative).toBe(expectedOut);
    const p = engine.portfolio;
    // the same token balances as the paper path's Fills of the same signal on the same pools, plus the native
    // token's: down by the receipt's gas, exactly
    const native = fills[4].instrument.toString();
    expect(new Map([...p.tokenBalances].filter(([k]) => k !== native))).toEqual(paper.portfolio.tokenBalances);
    expect(p.tokenBalances.get(native)).toBe(-wei);
    // cash and fees: the real gas at ETH/USD live, the signal's estimate in paper
    expect(paper.portfolio.feesE8).toBe(gasCostUsdE8);
    expect(paper.portfolio.cashE16).toBe(-gasCostUsdE8 * E8);
    expect(p.feesE8).toBe(gasUsd);
    expect(p.cashE16).toBe(-gasUsd * E8);
    // per token instrument (the pool's venue, so each pair's tokens apart): quote paid on A, received on B
    let quoteNet = 0n;
    for (const f of [fills[0], fills[3]]) quoteNet += p.tokenBalances.get(f.instrument.toString())!;
    expect(quoteNet).toBe(
      fills[0].instrument.equals(fills[3].instrument) ? 2n * (expectedOut - amountIn) : expectedOut - amountIn,
    );
    expect(p.tokenBalances.size).toBeGreaterThan(0);
    expect(engine.pnlE16()).toBe(-gasUsd * E8);
    expect(engine.dailyPnlE8()).toBe(-gasUsd);
    expect(engine.counters.fills).toBe(5);
    // P&L from the Fill frames alone, against the engine
    const mark = (k: string) => referencePrice(engine.market.books.get(k));
    const r = reconcileFills(fills, p, mark, engine.pnlE16());
    expect(r.mismatches).toEqual([]);
    expect(r.ok).toBe(true);
  }, 30_000);
});
