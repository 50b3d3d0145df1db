import { describe, expect, test } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { resolveFlashArbitrageConfig } from "../../../src/behavior/strategies/flash-arbitrage/config.ts";
import { FlashArbitrage } from "../../../src/behavior/strategies/flash-arbitrage/flash-arbitrage.ts";
import { BusClient, Role } from "../../../src/behavior/transport/bus-client.ts";
import type { ArbitrageSignal } from "../../../src/data/tlv-layouts.ts";
import { SourceType } from "../../../src/data/venues.ts";
import { Child, startRelay, tempDir, Until } from "../relay/helpers.ts";
import { book, E8, gasPrice, KRAKEN_ETH, KRAKEN_POL, MarketFrames, QUICK_POOL, sha256, v2Pool } from "./helpers.ts";

const FA_MAIN = join(import.meta.dir, "../../../src/behavior/strategies/flash-arbitrage/main.ts");
const T0 = 1_700_000_000_000_000_000n;

describe("flash arbitrage through real relay processes", () => {
  test("market data in on the market data relay -> one ArbitrageSignal frame out of the signal relay", async () => {
    using tmp = tempDir();
    const md = join(tmp.dir, "market-data.sock");
    const sig = join(tmp.dir, "signal.sock");
    const cfg = join(tmp.dir, "ap.toml");
    writeFileSync(
      cfg,
      "[strategies.flash_arbitrage]\ndeterministic = true\nmin_profit_usd_e8 = 100000000\nflash_fee_ppm = 0\n",
    );
    const relays = await Promise.all([startRelay("market-data", md), startRelay("signal", sig)]);
    const fa = new Child([FA_MAIN, "--config", cfg, "--market-data-socket", md, "--signal-socket", sig], {
      AP_STATS_INTERVAL_MS: "60000",
    });
    try {
      await fa.waitStdout(/^ready .+$/m);
      const received: Uint8Array[] = [];
      let signal: ArbitrageSignal | undefined;
      const got = new Until();
      const sub = new BusClient({
        socketPath: sig,
        domain: 2,
        source: SourceType.Dashboard,
        role: Role.Subscriber,
        types: [32],
        onFrame: (frame, parser) => {
          received.push(frame.slice());
          for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv())
            if (parser.tlvType === 32) signal = parser.readTlv() as unknown as ArbitrageSignal;
          got.check();
        },
      });
      const pub = new BusClient({ socketPath: md, domain: 1, source: SourceType.Replay, role: Role.Publisher });
      await Promise.all([sub.ready(), pub.ready()]);
      const m = new MarketFrames();
      pub.send(m.bytes(T0, ["GasPrice", gasPrice(30_000_000_000n)]));
      pub.send(
        m.bytes(T0, ["OrderBook", book(KRAKEN_POL, T0, [[50_000_000n, 1000n * E8]], [[50_010_000n, 1000n * E8]])]),
      );
      pub.send(m.bytes(T0, ["PoolState", v2Pool(QUICK_POOL, 2_000_000n * 10n ** 6n, 1000n * 10n ** 18n)]));
      pub.send(m.bytes(T0 + 7n, ["OrderBook", book(KRAKEN_ETH, T0 + 7n, [[2030n * E8, 2n * E8]], [[2031n * E8, E8]])]));
      await got.until(() => received.length >= 1);
      expect(signal!.sellInstrument.toString()).toBe(KRAKEN_ETH.toString());
      expect(signal!.buyInstrument.toString()).toBe(QUICK_POOL.toString());
      expect(signal!.timestampNs).toBe(T0 + 7n);
      // the relayed frame is byte for byte the one the same strategy builds in-process from the same frames
      const local: Uint8Array[] = [];
      const inProcess = new FlashArbitrage(
        resolveFlashArbitrageConfig({ deterministic: true, min_profit_usd_e8: 100_000_000, flash_fee_ppm: 0 }),
        (f) => local.push(f.slice()),
      );
      const m2 = new MarketFrames();
      inProcess.onMarketFrame(m2.frame(T0, ["GasPrice", gasPrice(30_000_000_000n)]));
      inProcess.onMarketFrame(
        m2.frame(T0, ["OrderBook", book(KRAKEN_POL, T0, [[50_000_000n, 1000n * E8]], [[50_010_000n, 1000n * E8]])]),
      );
      inProcess.onMarketFrame(
        m2.frame(T0, ["PoolState", v2Pool(QUICK_POOL, 2_000_000n * 10n ** 6n, 1000n * 10n ** 18n)]),
      );
      inProcess.onMarketFrame(
        m2.frame(T0 + 7n, ["OrderBook", book(KRAKEN_ETH, T0 + 7n, [[2030n * E8, 2n * E8]], [[2031n * E8, E8]])]),
      );
      expect(sha256(received)).toBe(sha256(local));
      pub.close();
      sub.close();
    } finally {
      fa.kill("SIGTERM");
      expect(await fa.proc.exited).toBe(0);
      for (const r of relays) r.kill("SIGTERM");
      await Promise.all(relays.map((r) => r.proc.exited));
    }
  }, 20_000);
});
