import { expect, test } from "bun:test";
import { join } from "node:path";
import { parseServiceLine } from "../../../../src/behavior/supervisor/service-report.ts";
import { BusClient } from "../../../../src/behavior/transport/bus-client.ts";
import { Role } from "../../../../src/behavior/transport/bus-control.ts";
import { startKrakenVenue } from "../../../../src/behavior/venues/kraken-venue.ts";
import { TlvType } from "../../../../src/data/tlv-layouts.ts";
import { RelayDomain, SourceType } from "../../../../src/data/venues.ts";
import { Child, startRelay, tempDir, Until } from "../../relay/helpers.ts";
import { V1_BOOK10 } from "./harness.ts";

const KRAKEN_MAIN = join(import.meta.dir, "../../../../src/behavior/adapters/kraken/main.ts");

test("main.ts as a service: ready handshake, frames through a real relay, stats lines, clean SIGTERM", async () => {
  using tmp = tempDir();
  const socketPath = join(tmp.dir, "market-data.sock");
  const relay = await startRelay("market-data", socketPath);
  const venue = await startKrakenVenue({ capture: V1_BOOK10 });
  const counts: Record<number, number> = {};
  let sources = 0;
  const events = new Until();
  const sub = new BusClient({
    socketPath,
    domain: RelayDomain.MarketData,
    source: SourceType.OperatorCli,
    role: Role.Subscriber,
    onFrame: (_frame, parser) => {
      if (parser.source === SourceType.KrakenCollector) sources++;
      for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv())
        counts[parser.tlvType] = (counts[parser.tlvType] ?? 0) + 1;
      events.check();
    },
  });
  try {
    await sub.ready();
    const collector = new Child(
      [KRAKEN_MAIN, "--url", venue.url, "--relay", socketPath, "--symbols", "XBT/USD", "--no-trades"],
      { AP_STATS_INTERVAL_MS: "50", AP_LOG_LEVEL: "1" },
    );
    await collector.waitStdout(/^ready kraken v1 XBT\/USD depth 10 via ws:\/\/127\.0\.0\.1:\d+$/m);
    await events.until(() => (counts[TlvType.BookDelta] ?? 0) >= 979);
    expect(counts[TlvType.OrderBook]).toBe(1);
    expect(counts[TlvType.BookDelta]).toBe(979);
    expect(sources).toBe(980);
    await collector.waitStdout(/"checksums_verified":979/);
    const stats = collector.stdout
      .split("\n")
      .map(parseServiceLine)
      .filter((l) => l.kind === "stats")
      .map((l) => (l as { stats: Record<string, unknown> }).stats)
      .findLast((s) => s.checksums_verified === 979)!;
    expect(stats).toMatchObject({
      connection: "open",
      api: "v1",
      checksum_mismatches: 0,
      gaps: 0,
      resyncs: 0,
      books_synced: 1,
      msgs_out: 980,
    });
    expect((stats.books as Record<string, { synced: boolean }>)["kraken:spot:BTC/USD"].synced).toBe(true);
    collector.kill("SIGTERM");
    expect(await collector.proc.exited).toBe(0);
  } finally {
    sub.close();
    venue.stop();
    relay.kill("SIGTERM");
    await relay.proc.exited;
  }
});
