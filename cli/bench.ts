import { defineCommand } from "citty";
import { guard } from "./lib/errors.ts";

/**
 * `ap bench <suite>`: benchmarks that print ratios against baselines measured in the same run and write JSON to
 * bench/results/. Each suite is a lazy import, so one suite never loads another's dependencies.
 */
const SUITES: Record<string, { about: string; run: (quick: boolean) => Promise<unknown> }> = {
  codec: {
    about: "frame build/parse vs a DataView baseline, msgpackr and protobufjs",
    run: async (quick) => (await import("../bench/codec.ts")).benchCodec({ quick }),
  },
  relay: {
    about: "relay fan-out and 3-hop chain vs nats-server: throughput, p50/p99/p99.9, RSS",
    run: async (quick) => (await import("../bench/relay.ts")).benchRelay({ quick }),
  },
  amm: {
    about: "Uniswap V2/V3 quotes, swaps and optimal sizing per second",
    run: async () => (await import("../bench/amm.ts")).benchAmm(),
  },
  collectors: {
    about: "raw venue JSON to frames per venue vs JSON.parse alone",
    run: async () => {
      await (await import("../bench/collector-kraken.ts")).benchCollectorKraken();
      await (await import("../bench/collector-binance.ts")).benchCollectorBinance();
      return (await import("../bench/collector-polygon.ts")).benchCollectorPolygon();
    },
  },
  execution: {
    about: "on-chain live execution: signal to signed transaction handed to the RPC, swaps/s on anvil",
    run: async (quick) => (await import("../bench/execution.ts")).benchExecution({ quick }),
  },
  pipeline: {
    about: "tick-to-signal latency across processes (market data relay -> strategy -> signal relay)",
    run: async (quick) => (await import("../bench/pipeline.ts")).benchPipeline({ quick }),
  },
  floor: {
    about: "what this machine and Bun allow: a raw unix-socket chain's latency, write() cost, clock reads, idle RSS",
    run: async (quick) => (await import("../bench/floor.ts")).benchFloor({ quick }),
  },
  bridge: {
    about: "relay -> bridge -> NATS -> bridge -> relay vs the local relay and nats-server: throughput, p50/p99, RSS",
    run: async (quick) => (await import("../bench/bridge.ts")).benchBridge({ quick }),
  },
};

export default defineCommand({
  meta: {
    name: "bench",
    description: `Run a benchmark: ${Object.entries(SUITES)
      .map(([name, s]) => `${name} (${s.about})`)
      .join("; ")}`,
  },
  args: {
    suite: { type: "positional", required: true, description: `which benchmark: ${Object.keys(SUITES).join(" | ")}` },
    quick: { type: "boolean", description: "short rounds (smoke run; numbers are rough)" },
  },
  async run({ args }) {
    await guard(async () => {
      const suite = SUITES[args.suite];
      if (!suite) {
        process.stderr.write(`ap bench: unknown suite "${args.suite}"; available: ${Object.keys(SUITES).join(", ")}\n`);
        process.exit(2);
      }
      await suite.run(args.quick ?? false);
    });
  },
});
