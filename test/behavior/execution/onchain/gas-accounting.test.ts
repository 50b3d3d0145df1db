import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import { reconcileFills } from "../../../../src/behavior/backtest/reconcile-fills.ts";
import { DashboardState } from "../../../../src/behavior/dashboard/page/dashboard-state.ts";
import { AuditLog, parseLine, verifyAuditLog } from "../../../../src/behavior/execution/audit-log.ts";
import { ExecutionEngine } from "../../../../src/behavior/execution/engine.ts";
import {
  gasTokenInstrument,
  gasTokenPriceFromMarket,
  NATIVE_TOKEN_ADDRESS,
} from "../../../../src/behavior/execution/gas.ts";
import { referencePrice } from "../../../../src/behavior/execution/market-state.ts";
import type { OnchainConfig } from "../../../../src/behavior/execution/onchain/config.ts";
import { InstrumentId } from "../../../../src/data/instrument-id.ts";
import type { Fill } from "../../../../src/data/tlv-layouts.ts";
import { VenueId } from "../../../../src/data/venues.ts";
import { FrameBuilder } from "../../../../src/rules/builder.ts";
import { decodeFrames, E8, feeder, fillsOf, testConfig } from "../helpers.ts";
import {
  anvilMarket,
  balanceOf,
  CHAIN_ID,
  competitorBuysBase,
  E18,
  type ExecutorHarness,
  ethBalance,
  type Market,
  mine,
  predictOut,
  routeToExecutor,
  signalFor,
  startExecutor,
  T0_NS,
  v2PoolState,
} from "./helpers.ts";

/**
 * Gas actually paid (docs/execution.md "Gas actually paid"): every receipt of ours — mined, reverted, a mined
 * replacement or cancel — books gasUsed x effectiveGasPrice on the chain's native token as a Fill, valued at the gas
 * token's mark from the engine's ETH/USD book; a dropped transaction books nothing. Checked against receipts fetched
 * independently through viem, the account's ETH balance on anvil, the audit log and a replay of the Fill frames.
 */

// the engine's ETH/USD book: mid = (bid + ask) / 2 rounded down = 2000.56172839 USD
const BID = 2_000_12345678n;
const ASK = 2_001_00000001n;
const MID = (BID + ASK) / 2n;
const GAS_ESTIMATE_USD_E8 = 1_234_567n;
const NATIVE = gasTokenInstrument(VenueId.QuickSwap, CHAIN_ID);

/** ceil(wei x mark / 1e18), written out again here (not gas.ts's). */
const usdOf = (wei: bigint, markE8: bigint) => {
  const n = wei * markE8;
  return n / E18 + (n % E18 === 0n ? 0n : 1n);
};

interface Live {
  engine: ExecutionEngine;
  h: ExecutorHarness;
  auditPath: string;
  audit: AuditLog;
  warnings: string[];
  /** Sends SignalIdentity + Economics + ArbitrageSignal through the engine; resolves with the executor's outcome. */
  signal(p: { buy: InstrumentId; sell: InstrumentId; amountIn: bigint }): Promise<unknown>;
  fills(): Fill[];
  statuses(): [number, number][];
}

/** An engine with live routing to an executor on anvil, the ETH/USD book fed to it, and a real audit log file. */
async function live(m: Market, config: Partial<OnchainConfig> = {}, book = true): Promise<Live> {
  const runDir = mkdtempSync(join(tmpdir(), "ap-gas-"));
  const auditPath = join(runDir, "execution-audit.log");
  const audit = new AuditLog(auditPath);
  const route = routeToExecutor();
  const engine = new ExecutionEngine({ config: testConfig(), publish: () => {}, live: route.router, audit });
  const feed = feeder(engine);
  const warnings: string[] = [];
  const h = await startExecutor(m, {
    runDir,
    config,
    audit,
    onFill: (f) => engine.applyLiveFill(f),
    gasTokenPriceE8: gasTokenPriceFromMarket(engine.market),
    log: { info: () => {}, warn: (s) => warnings.push(s) },
  });
  route.executor = h.executor;
  if (book) {
    const level = (price: bigint) => [{ price, size: 10n * E8, orderCount: 1 }];
    feed(1, [
      [
        "OrderBook",
        {
          instrument: InstrumentId.spot(VenueId.Kraken, "ETH", "USD"),
          exchangeTsNs: T0_NS,
          updateId: 1n,
          flags: 1,
          bids: level(BID),
          asks: level(ASK),
        },
      ],
    ]);
  }
  for (const pool of [m.pairA, m.pairB]) feed(1, [["PoolState", await v2PoolState(m, pool)]]);
  let nextId = 1_000n;
  return {
    engine,
    h,
    auditPath,
    audit,
    warnings,
    async signal(p) {
      const expectedOut = await predictOut(m, [p.buy, p.sell], p.amountIn);
      const s = {
        ...signalFor(m, { buy: p.buy, sell: p.sell, amountIn: p.amountIn, expectedOut }),
        signalId: nextId++,
      };
      feed(2, [
        ["SignalIdentity", { signalId: s.signalId, strategyId: 1, strategyVersion: 1, confidence: 90 }],
        [
          "Economics",
          {
            expectedProfitUsdE8: 1n,
            requiredCapitalUsdE8: 1_000n * E8,
            gasCostUsdE8: GAS_ESTIMATE_USD_E8,
            feesUsdE8: 0n,
          },
        ],
        ["ArbitrageSignal", s],
      ]);
      return route.pending;
    },
    fills: () => fillsOf(h.frames),
    statuses: () =>
      decodeFrames(h.frames)
        .filter((o) => o.type === 41)
        .map((o) => [o.value.status as number, o.value.reason as number]),
  };
}

function gasRecords(path: string) {
  return readFileSync(path, "utf8")
    .trim()
    .split("\n")
    .map((l) => parseLine(l)!)
    .filter((r) => r.kind === "gas")
    .map((r) => r.data);
}

const isGas = (f: Fill) => f.instrument.address === NATIVE_TOKEN_ADDRESS;

describe("gas actually paid, from receipts on anvil", () => {
  const m = anvilMarket();

  test("a mined V2-V2 arbitrage books exactly gasUsed x effectiveGasPrice; P&L = profit to the wei - gas at ETH/USD", async () => {
    const L = await live(m);
    const ethBefore = await ethBalance(m, m.account.address);
    const quoteBefore = await balanceOf(m, m.quote, m.account.address);
    const amountIn = 1_000n * E18;
    const profit = (await predictOut(m, [m.pairA, m.pairB], amountIn)) - amountIn;
    expect(profit).toBeGreaterThan(0n);
    expect(await L.signal({ buy: m.pairA, sell: m.pairB, amountIn })).toMatchObject({ state: "submitted" });
    await mine(m);
    const [r] = await L.h.executor.poll();
    expect(r.state).toBe("mined");

    // the receipt, fetched independently through viem
    const receipt = await m.chain.publicClient.getTransactionReceipt({ hash: r.hash as Hex });
    expect(receipt.status).toBe("success");
    const wei = receipt.gasUsed * receipt.effectiveGasPrice;
    expect(wei).toBeGreaterThan(0n);
    expect(r).toMatchObject({
      gasUsed: receipt.gasUsed,
      effectiveGasPrice: receipt.effectiveGasPrice,
      gasCostWei: wei,
    });
    // on chain: the account paid exactly that in ETH and gained exactly the predicted profit in quote
    expect(await ethBalance(m, m.account.address)).toBe(ethBefore - wei);
    expect((await balanceOf(m, m.quote, m.account.address)) - quoteBefore).toBe(profit);

    // four swap Fills (no fee: the estimate is no longer booked) and one gas Fill, then status 4
    const fills = L.fills();
    expect(fills).toHaveLength(5);
    expect(fills.slice(0, 4).map((f) => f.fee)).toEqual([0n, 0n, 0n, 0n]);
    const gas = fills[4];
    expect(isGas(gas)).toBe(true);
    expect(gas.instrument.equals(NATIVE)).toBe(true);
    expect(gas).toMatchObject({ side: 2, quantityNative: wei, price: MID, txHash: r.hash, quantity: wei / 10n ** 10n });
    const usd = usdOf(wei, MID);
    expect(gas.fee).toBe(usd);
    expect(r.gasCostUsdE8).toBe(usd);
    expect(L.statuses()).toEqual([
      [1, 0],
      [4, 0],
    ]);

    // the engine's portfolio: native ETH down by the wei exactly, quote up by the profit to the wei, USD P&L = -gas
    const p = L.engine.portfolio;
    expect(p.tokenBalances.get(NATIVE.toString())).toBe(-wei);
    let quote = 0n;
    for (const [k, v] of p.tokenBalances) if (k.endsWith(m.quote.toLowerCase())) quote += v;
    expect(quote).toBe(profit);
    expect(p.feesE8).toBe(usd);
    expect(L.engine.pnlE16()).toBe(-usd * E8);
    expect(L.engine.dailyPnlE8()).toBe(-usd);
    // and the profit net of gas in USD, quote taken at 1 USD (18 decimals): profit to the wei minus the gas at ETH/USD
    expect(profit * E8 - usd * E18).toBe(profit * E8 + L.engine.pnlE16() * 10n ** 10n);

    // the audit log: one gas record with hash, gas used, effective price, wei, and the estimate beside the actual
    L.audit.flush();
    const [rec] = gasRecords(L.auditPath);
    expect(rec).toMatchObject({
      hash: r.hash,
      outcome: "mined",
      gas_used: receipt.gasUsed.toString(),
      effective_gas_price: receipt.effectiveGasPrice.toString(),
      gas_cost_wei: wei.toString(),
      gas_asset: "ETH",
      gas_token_usd_e8: MID.toString(),
      usd_source: "book",
      gas_cost_usd_e8: usd.toString(),
      gas_estimate_usd_e8: GAS_ESTIMATE_USD_E8.toString(),
    });
    expect(verifyAuditLog(L.auditPath).ok).toBe(true);
    // P&L recomputed from the Fill frames alone equals the engine's
    const mark = (k: string) => referencePrice(L.engine.market.books.get(k));
    expect(reconcileFills(fills, p, mark, L.engine.pnlE16()).mismatches).toEqual([]);
    expect(L.h.executor.stats()).toMatchObject({ onchain_gas_fills: 1, onchain_gas_paid_wei: wei.toString() });
    // the dashboard, from the same frames (the ETH/USD book and the executor's output), shows the same P&L
    const page = new DashboardState();
    page.applyMessage(
      new FrameBuilder({ domain: 1, source: 2 })
        .begin(T0_NS)
        .add("OrderBook", {
          instrument: InstrumentId.spot(VenueId.Kraken, "ETH", "USD"),
          exchangeTsNs: T0_NS,
          updateId: 1n,
          flags: 1,
          bids: [{ price: BID, size: E8, orderCount: 1 }],
          asks: [{ price: ASK, size: E8, orderCount: 1 }],
        })
        .finish()
        .slice(),
    );
    for (const f of L.h.frames) page.applyMessage(f);
    expect(page.pnlNow()).toMatchObject({ totalE8: -usd, feesE8: usd });
    expect(page.fills[0]).toMatchObject({ instrument: NATIVE.toString(), fee: usd, quantity: wei / 10n ** 10n });
  }, 60_000);

  test("a stuck transaction replaced: only the mined replacement's gas is booked", async () => {
    const L = await live(m, { replaceAfterMs: 1_000 });
    const ethBefore = await ethBalance(m, m.account.address);
    const sent = (await L.signal({ buy: m.pairA, sell: m.pairB, amountIn: 10n * E18 })) as { hash: Hex };
    L.h.clock.t += 2_000_000_000n;
    await L.h.executor.poll();
    const versions = L.h.nonces.inflight[0].versions;
    expect(versions.map((v) => v.kind)).toEqual(["original", "replacement"]);
    await mine(m);
    const [r] = await L.h.executor.poll();
    expect(r).toMatchObject({ state: "mined", hash: versions[1].hash });
    const receipt = await m.chain.publicClient.getTransactionReceipt({ hash: versions[1].hash as Hex });
    const wei = receipt.gasUsed * receipt.effectiveGasPrice;
    // the original was never mined: no receipt, no gas
    await expect(m.chain.publicClient.getTransactionReceipt({ hash: sent.hash })).rejects.toThrow();
    expect(await ethBalance(m, m.account.address)).toBe(ethBefore - wei);
    const gas = L.fills().filter(isGas);
    expect(gas).toHaveLength(1);
    expect(gas[0]).toMatchObject({ txHash: versions[1].hash, quantityNative: wei, fee: usdOf(wei, MID) });
    expect(L.engine.portfolio.tokenBalances.get(NATIVE.toString())).toBe(-wei);
    L.audit.flush();
    expect(gasRecords(L.auditPath).map((g) => [g.hash, g.version, g.gas_cost_wei])).toEqual([
      [versions[1].hash, "replacement", wei.toString()],
    ]);
  }, 60_000);

  test("a dropped transaction (its nonce taken by another transaction of the account) books no gas", async () => {
    const L = await live(m);
    const ethBefore = await ethBalance(m, m.account.address);
    const sent = (await L.signal({ buy: m.pairA, sell: m.pairB, amountIn: 10n * E18 })) as { hash: Hex; nonce: number };
    // someone else with the same key takes the nonce with higher fees: ours never gets mined
    const other = await m.chain.wallet.sendTransaction({
      account: m.account,
      chain: m.chain.wallet.chain,
      to: m.account.address,
      value: 0n,
      nonce: sent.nonce,
      gas: 21_000n,
      maxFeePerGas: 300n * 10n ** 9n,
      maxPriorityFeePerGas: 100n * 10n ** 9n,
    } as never);
    await mine(m);
    const [r] = await L.h.executor.poll();
    expect(r).toMatchObject({ state: "dropped", gasUsed: 0n, gasCostWei: 0n, gasCostUsdE8: 0n });
    const otherReceipt = await m.chain.publicClient.getTransactionReceipt({ hash: other });
    // the account paid the other transaction's gas (not ours to book); ours has no receipt
    expect(await ethBalance(m, m.account.address)).toBe(
      ethBefore - otherReceipt.gasUsed * otherReceipt.effectiveGasPrice,
    );
    await expect(m.chain.publicClient.getTransactionReceipt({ hash: sent.hash })).rejects.toThrow();
    expect(L.fills()).toEqual([]);
    expect(L.engine.portfolio.tokenBalances.size).toBe(0);
    expect(L.engine.portfolio.feesE8).toBe(0n);
    expect(L.statuses()).toEqual([
      [1, 0],
      [2, 5],
    ]);
    L.audit.flush();
    expect(gasRecords(L.auditPath)).toEqual([]);
  }, 60_000);

  test("a stuck transaction cancelled (0 wei to self): the cancel's gas is booked, no estimate beside it", async () => {
    const L = await live(m, { replaceAfterMs: 1_000, stuckPolicy: "cancel" });
    await L.signal({ buy: m.pairA, sell: m.pairB, amountIn: 10n * E18 });
    L.h.clock.t += 2_000_000_000n;
    await L.h.executor.poll();
    await mine(m);
    const [r] = await L.h.executor.poll();
    const cancel = L.h.executor.counters.cancelled;
    expect(cancel).toBe(1);
    const receipt = await m.chain.publicClient.getTransactionReceipt({ hash: r.hash as Hex });
    expect(receipt.gasUsed).toBe(21_000n);
    const wei = receipt.gasUsed * receipt.effectiveGasPrice;
    const fills = L.fills();
    expect(fills).toHaveLength(1);
    expect(fills[0]).toMatchObject({ txHash: r.hash, quantityNative: wei, fee: usdOf(wei, MID) });
    expect(L.statuses()).toEqual([
      [1, 0],
      [5, 0],
    ]);
    L.audit.flush();
    expect(gasRecords(L.auditPath)).toMatchObject([
      { version: "cancel", outcome: "cancel", gas_estimate_usd_e8: null },
    ]);
  }, 60_000);

  test("without an ETH/USD book: [onchain] gas_token_usd_e8, else the signal's estimate (flagged, warned)", async () => {
    const withConfig = await live(m, { gasTokenUsdE8: 3_000_00000000n }, false);
    await withConfig.signal({ buy: m.pairA, sell: m.pairB, amountIn: 10n * E18 });
    await mine(m);
    const [a] = await withConfig.h.executor.poll();
    expect(a.state).toBe("mined");
    expect(a.gasCostUsdE8).toBe(usdOf(a.gasCostWei, 3_000_00000000n));
    expect(withConfig.fills().filter(isGas)[0]).toMatchObject({ price: 3_000_00000000n, fee: a.gasCostUsdE8 });
    expect(withConfig.warnings).toEqual([]);

    const bare = await live(m, {}, false);
    await bare.signal({ buy: m.pairA, sell: m.pairB, amountIn: 10n * E18 });
    await mine(m);
    const [b] = await bare.h.executor.poll();
    expect(b.state).toBe("mined");
    // the wei are still exact; the USD is the strategy's estimate, and it says so
    const gas = bare.fills().filter(isGas)[0];
    expect(gas).toMatchObject({ quantityNative: b.gasCostWei, price: 0n, fee: GAS_ESTIMATE_USD_E8 });
    expect(bare.h.executor.counters.gasUnpriced).toBe(1);
    expect(bare.warnings.join("\n")).toContain("no USD mark");
    bare.audit.flush();
    expect(gasRecords(bare.auditPath)).toMatchObject([{ usd_source: "estimate", gas_token_usd_e8: "0" }]);
  }, 60_000);
});

describe("gas of a reverted transaction", () => {
  const m = anvilMarket();

  test("the slippage revert books its gas and nothing else: one Fill on ETH, P&L = -gas at ETH/USD", async () => {
    const L = await live(m);
    const ethBefore = await ethBalance(m, m.account.address);
    const quoteBefore = await balanceOf(m, m.quote, m.account.address);
    expect(await L.signal({ buy: m.pairA, sell: m.pairB, amountIn: 1_000n * E18 })).toMatchObject({
      state: "submitted",
    });
    await competitorBuysBase(m, m.pairA, 10_000n * E18, 50n * 10n ** 9n);
    await mine(m);
    const [r] = await L.h.executor.poll();
    expect(r.state).toBe("reverted");
    const receipt = await m.chain.publicClient.getTransactionReceipt({ hash: r.hash as Hex });
    expect(receipt.status).toBe("reverted");
    const wei = receipt.gasUsed * receipt.effectiveGasPrice;
    expect(r.gasCostWei).toBe(wei);
    expect(await ethBalance(m, m.account.address)).toBe(ethBefore - wei);
    expect(await balanceOf(m, m.quote, m.account.address)).toBe(quoteBefore);

    const fills = L.fills();
    expect(fills).toHaveLength(1);
    const usd = usdOf(wei, MID);
    expect(fills[0]).toMatchObject({ side: 2, quantityNative: wei, fee: usd, price: MID, txHash: r.hash });
    expect(fills[0].instrument.equals(NATIVE)).toBe(true);
    // the gas Fill, then status 2 reason 3 (slippage)
    expect(L.statuses()).toEqual([
      [1, 0],
      [2, 3],
    ]);
    const p = L.engine.portfolio;
    expect([...p.tokenBalances]).toEqual([[NATIVE.toString(), -wei]]);
    expect(p.cashE16).toBe(-usd * E8);
    expect(L.engine.pnlE16()).toBe(-usd * E8);
    L.audit.flush();
    expect(gasRecords(L.auditPath)).toMatchObject([
      {
        hash: r.hash,
        outcome: "reverted",
        gas_used: receipt.gasUsed.toString(),
        effective_gas_price: receipt.effectiveGasPrice.toString(),
        gas_cost_wei: wei.toString(),
        gas_cost_usd_e8: usd.toString(),
      },
    ]);
    const mark = (k: string) => referencePrice(L.engine.market.books.get(k));
    expect(reconcileFills(fills, p, mark, L.engine.pnlE16()).ok).toBe(true);
    expect(verifyAuditLog(L.auditPath).ok).toBe(true);
  }, 60_000);
});
