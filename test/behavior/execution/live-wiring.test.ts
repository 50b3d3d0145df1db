import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ledgerFromFills } from "../../../src/behavior/backtest/reconcile-fills.ts";
import { sendControl } from "../../../src/behavior/execution/control-client.ts";
import { e16ToE8 } from "../../../src/behavior/execution/portfolio.ts";
import { BusClient, Role } from "../../../src/behavior/transport/bus-client.ts";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import type { Fill } from "../../../src/data/tlv-layouts.ts";
import { VenueId } from "../../../src/data/venues.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import type { FrameParser } from "../../../src/rules/parser.ts";
import { Child, startRelay, Until } from "../relay/helpers.ts";
import { BINANCE_KEY, BINANCE_SECRET, BTCUSDT, replayBinance, startBinance } from "./cex/helpers.ts";
import { executionListener, tempDir } from "./helpers.ts";
import { anvilMarket, CHAIN_ID, EXECUTOR_KEY, mine, predictOut, signalFor, v2PoolState } from "./onchain/helpers.ts";

/**
 * The execution service (main.ts) with --live-onchain / --live-cex: refusals without keys, and a signal that passes
 * the engine's checks becoming a real transaction on anvil whose receipt comes back as Fill frames; the kill switch
 * stops submission; the key appears in no log line, stats line or audit record.
 */
const ENGINE = join(import.meta.dir, "../../../src/behavior/execution/main.ts");
const CLEAN_ENV = {
  AP_EXECUTION_RPC_URL: "",
  AP_EXECUTION_CHAIN_ID: "",
  AP_EXECUTION_CONTRACT: "",
  AP_EXECUTION_PRIVATE_KEY: "",
  AP_EXECUTION_KEYSTORE: "",
  AP_KRAKEN_API_KEY: "",
  AP_KRAKEN_API_SECRET: "",
  AP_BINANCE_API_KEY: "",
  AP_BINANCE_API_SECRET: "",
  AP_CONFIG: "",
};

async function refusal(args: string[], env: Record<string, string>): Promise<{ code: number; stderr: string }> {
  using tmp = tempDir();
  const child = new Child([ENGINE, "--run-dir", tmp.dir, ...args], { ...CLEAN_ENV, ...env });
  const code = await child.proc.exited;
  await child.waitStderr(/\S/);
  return { code, stderr: child.stderr };
}

describe("live flags refuse to start without their configuration and keys", () => {
  test("--live-onchain without an RPC url names AP_EXECUTION_RPC_URL", async () => {
    const r = await refusal(["--live-onchain"], {});
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("AP_EXECUTION_RPC_URL is not set");
  });

  test("--live-onchain without a key names AP_EXECUTION_PRIVATE_KEY", async () => {
    const r = await refusal(["--live-onchain"], {
      AP_EXECUTION_RPC_URL: "http://127.0.0.1:1",
      AP_EXECUTION_CHAIN_ID: "31337",
      AP_EXECUTION_CONTRACT: "0x5FbDB2315678afecb367f032d93F642f64180aa3",
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("AP_EXECUTION_PRIVATE_KEY is not set");
  });

  test("--live-cex without keys names AP_KRAKEN_API_KEY; half a pair names the other half, never a value", async () => {
    const r = await refusal(["--live-cex"], {});
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("AP_KRAKEN_API_KEY");
    const half = await refusal(["--live-cex"], { AP_BINANCE_API_KEY: "my-secret-api-key-value" });
    expect(half.code).toBe(1);
    expect(half.stderr).toContain("AP_BINANCE_API_SECRET");
    expect(half.stderr).not.toContain("my-secret-api-key-value");
  });
});

describe("--live-onchain through the real relays on anvil", () => {
  const m = anvilMarket();

  test("a signal passes the engine's checks, is mined, and its receipt comes back as Fills; halt stops submission", async () => {
    using tmp = tempDir();
    const dir = tmp.dir;
    const relays = await Promise.all(
      ["market-data", "signal", "execution"].map((d) => startRelay(d, join(dir, `${d}.sock`))),
    );
    const audit = join(dir, "audit.log");
    const engine = new Child(
      [ENGINE, "--run-dir", dir, "--audit-log", audit, "--live-onchain", "--live-poll-ms", "20"],
      {
        ...CLEAN_ENV,
        AP_EXECUTION_RPC_URL: m.anvil.url,
        AP_EXECUTION_CHAIN_ID: String(CHAIN_ID),
        AP_EXECUTION_CONTRACT: m.contract,
        AP_EXECUTION_PRIVATE_KEY: EXECUTOR_KEY,
        AP_STATS_INTERVAL_MS: "50",
      },
    );
    try {
      await engine.waitStdout(/^ready .+$/m);
      expect(engine.stderr).toContain("LIVE ON-CHAIN EXECUTION");
      expect(engine.stderr).toContain(m.account.address);

      const { client: listener, received, events } = executionListener(join(dir, "execution.sock"));
      const market = new BusClient({
        socketPath: join(dir, "market-data.sock"),
        domain: 1,
        source: 2,
        role: Role.Publisher,
      });
      const signals = new BusClient({
        socketPath: join(dir, "signal.sock"),
        domain: 2,
        source: 20,
        role: Role.Publisher,
      });
      await Promise.all([listener.ready(), market.ready(), signals.ready()]);
      const md = new FrameBuilder({ domain: 1, source: 2 });
      const sg = new FrameBuilder({ domain: 2, source: 20 });

      // the gas token's book (its mid is the mark of the gas actually paid): mid = 2000.5 USD
      const level = (price: bigint) => [{ price, size: 10n * 100_000_000n, orderCount: 1 }];
      market.send(
        md
          .begin()
          .add("OrderBook", {
            instrument: InstrumentId.spot(VenueId.Kraken, "ETH", "USD"),
            exchangeTsNs: 0n,
            updateId: 1n,
            flags: 1,
            bids: level(2_000_00000000n),
            asks: level(2_001_00000000n),
          })
          .finish(),
      );
      // the pools' state as a collector would publish it, read from the chain
      for (const pool of [m.pairA, m.pairB]) {
        const state = await v2PoolState(m, pool);
        market.send(md.begin().add("PoolState", state).finish());
      }
      const statusOf = (id: bigint) =>
        received.filter((r) => r.type === 41 && r.value.orderId === id).map((r) => r.value);
      const sendSignal = async (amountIn: bigint) => {
        const expectedOut = await predictOut(m, [m.pairA, m.pairB], amountIn);
        const s = { ...signalFor(m, { buy: m.pairA, sell: m.pairB, amountIn, expectedOut }), validUntilNs: 0n };
        const economics = {
          expectedProfitUsdE8: 1n,
          requiredCapitalUsdE8: 1_000n * 100_000_000n,
          gasCostUsdE8: 1_000_000n,
          feesUsdE8: 0n,
        };
        signals.send(
          sg
            .begin()
            .add("SignalIdentity", { signalId: s.signalId, strategyId: 1, strategyVersion: 1, confidence: 90 })
            .add("Economics", economics)
            .add("ArbitrageSignal", s)
            .finish(),
        );
        return { id: (1n << 63n) | s.signalId, expectedOut };
      };

      // The pool states reach the engine before the signal: the relays keep each publisher's order, not across
      // publishers, so the signal goes once the engine's stats show it has the market frames.
      await engine.waitStdout(/"msgs_in":[3-9]/);
      const first = await sendSignal(1_000n * 10n ** 18n);
      await events.until(() => statusOf(first.id).some((s) => s.status === 1));
      await mine(m);
      await events.until(() => statusOf(first.id).some((s) => s.status === 4));
      const fills = received.filter((r) => r.type === 42 && r.value.orderId === first.id).map((r) => r.value);
      // four token Fills from the Transfer logs, then the gas Fill: the receipt's gas on the chain's native token
      expect(fills).toHaveLength(5);
      const hash = fills[0].txHash as `0x${string}`;
      expect(hash).not.toBe(`0x${"0".repeat(64)}`);
      const receipt = await m.chain.publicClient.getTransactionReceipt({ hash });
      expect(receipt.status).toBe("success");
      expect(receipt.from.toLowerCase()).toBe(m.account.address.toLowerCase());
      expect(fills[3].quantityNative).toBe(first.expectedOut);
      const wei = receipt.gasUsed * receipt.effectiveGasPrice;
      const gasUsd = (wei * 2_000_50000000n + 10n ** 18n - 1n) / 10n ** 18n;
      expect(fills[4]).toMatchObject({
        txHash: hash,
        side: 2,
        quantityNative: wei,
        price: 2_000_50000000n,
        fee: gasUsd,
      });
      // the receipt's Fills moved the engine's P&L: its stats show what the Fill frames alone give (the real gas,
      // not the signal's estimate of 1_000_000)
      const ledger = ledgerFromFills(fills as unknown as Fill[]);
      const fromFills = e16ToE8(ledger.realisedE16 - ledger.feesE8 * 100_000_000n);
      expect(fromFills).toBe(-gasUsd);
      await engine.waitStdout(new RegExp(`"daily_pnl_usd_e8":"${fromFills}"`));

      // the kill switch: the engine refuses the next signal itself (status 2, reason 2), nothing is sent
      const ack = await sendControl({ command: "halt", reason: "test", runDir: dir });
      expect(ack.state).toBe(1);
      const pendingBefore = await m.chain.publicClient.getTransactionCount({
        address: m.account.address,
        blockTag: "pending",
      });
      const second = await sendSignal(10n ** 18n);
      await events.until(() => statusOf(second.id).length > 0);
      expect(statusOf(second.id)).toMatchObject([{ status: 2, reason: 2 }]);
      expect(await m.chain.publicClient.getTransactionCount({ address: m.account.address, blockTag: "pending" })).toBe(
        pendingBefore,
      );

      // stats carry the live counters, and no key anywhere
      await engine.waitStdout(/"onchain_mined":1/);
      const key = EXECUTOR_KEY.slice(2).toLowerCase();
      for (const text of [engine.stdout, engine.stderr, readFileSync(audit, "utf8")]) {
        expect(text.toLowerCase()).not.toContain(key);
      }
      listener.close();
      market.close();
      signals.close();
    } finally {
      engine.kill("SIGTERM");
      await engine.proc.exited;
      for (const r of relays) r.kill();
    }
  }, 30_000);
});

describe("--live-cex through the real relays against the Binance replay venue's order desk", () => {
  test("an OrderRequest passes the engine's checks, is filled by the venue, and comes back as Fill and OrderStatus", async () => {
    using tmp = tempDir();
    const dir = tmp.dir;
    const venue = await startBinance();
    await replayBinance(venue);
    const relays = await Promise.all(
      ["market-data", "signal", "execution"].map((d) => startRelay(d, join(dir, `${d}.sock`))),
    );
    const audit = join(dir, "audit.log");
    const engine = new Child(
      [ENGINE, "--run-dir", dir, "--audit-log", audit, "--live-cex", "--binance-rest-url", venue.restUrl],
      {
        ...CLEAN_ENV,
        AP_BINANCE_API_KEY: BINANCE_KEY,
        AP_BINANCE_API_SECRET: BINANCE_SECRET,
        AP_STATS_INTERVAL_MS: "50",
        AP_RISK_MAX_OPEN_ORDERS: "1",
      },
    );
    try {
      await engine.waitStdout(/^ready .+$/m);
      expect(engine.stderr).toContain("LIVE CEX EXECUTION");
      const received: { type: number; value: Record<string, unknown> }[] = [];
      const events = new Until();
      const strategy = new BusClient({
        socketPath: join(dir, "execution.sock"),
        domain: 3,
        source: 21,
        role: Role.Both,
        types: [41, 42],
        onFrame: (_f, parser: FrameParser) => {
          for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv())
            received.push({ type: parser.tlvType, value: parser.readTlv()! });
          events.check();
        },
      });
      const market = new BusClient({
        socketPath: join(dir, "market-data.sock"),
        domain: 1,
        source: 1,
        role: Role.Publisher,
      });
      await Promise.all([strategy.ready(), market.ready()]);
      market.send(
        new FrameBuilder({ domain: 1, source: 1 })
          .begin()
          .add("OrderBook", {
            instrument: BTCUSDT,
            exchangeTsNs: 1n,
            updateId: 0n,
            flags: 1,
            bids: [{ price: 60_000n * 100_000_000n, size: 100_000_000n, orderCount: 0 }],
            asks: [{ price: 60_010n * 100_000_000n, size: 100_000_000n, orderCount: 0 }],
          })
          .finish(),
      );
      await engine.waitStdout(/"msgs_in":[1-9]/);
      const sendOrder = (orderId: bigint, orderType: number, timeInForce: number, price: bigint) =>
        strategy.send(
          new FrameBuilder({ domain: 3, source: 21 })
            .begin()
            .add("OrderRequest", {
              orderId,
              signalId: 0n,
              instrument: BTCUSDT,
              side: 1,
              orderType,
              timeInForce,
              flags: 0,
              price,
              quantity: 1_000_000n,
              quantityNative: 0n,
              maxSlippageBps: 0,
              strategyId: 21,
              timestampNs: 1n,
            })
            .finish(),
        );
      sendOrder(7n, 1, 2, 0n);
      const statuses = () => received.filter((r) => r.type === 41 && r.value.orderId === 7n).map((r) => r.value);
      await events.until(() => statuses().some((s) => s.status === 4 || s.status === 2));
      expect(statuses().map((s) => s.status)).toEqual([1, 4]);
      const fills = received.filter((r) => r.type === 42 && r.value.orderId === 7n).map((r) => r.value);
      expect(fills.length).toBeGreaterThan(0);
      expect(fills.reduce((n, f) => n + (f.quantity as bigint), 0n)).toBe(1_000_000n);
      expect(venue.orders!.requests.some((r) => r.path === "/api/v3/order")).toBe(true);
      await engine.waitStdout(/"cex_fills":[1-9]/);
      // a GTC limit buy below the market rests at the venue and takes the one open-order slot (AP_RISK_MAX_OPEN_ORDERS
      // = 1): the next one is refused by the engine (status 2, reason 1), as a paper resting order would make it
      const statusOf = (id: bigint) =>
        received.filter((r) => r.type === 41 && r.value.orderId === id).map((r) => r.value.status);
      sendOrder(8n, 2, 1, 58_000n * 100_000_000n);
      await events.until(() => statusOf(8n).length > 0);
      expect(statusOf(8n)).toEqual([1]);
      sendOrder(9n, 2, 1, 58_000n * 100_000_000n);
      await events.until(() => statusOf(9n).length > 0);
      expect(received.find((r) => r.type === 41 && r.value.orderId === 9n)!.value).toMatchObject({
        status: 2,
        reason: 1,
      });
      expect(venue.orders!.requests.filter((r) => r.method === "POST").length).toBe(2);
      for (const text of [engine.stdout, engine.stderr, readFileSync(audit, "utf8")]) {
        expect(text).not.toContain(BINANCE_SECRET);
        expect(text).not.toContain(BINANCE_KEY);
      }
      strategy.close();
      market.close();
    } finally {
      engine.kill("SIGTERM");
      await engine.proc.exited;
      for (const r of relays) r.kill();
      await venue.stop();
    }
  }, 30_000);
});
