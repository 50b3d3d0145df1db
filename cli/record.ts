import { defineCommand } from "citty";
import { CaptureWriter } from "../src/behavior/capture/capture-writer.ts";
import { relayEndpoint, waitForRelay } from "../src/behavior/capture/relay-endpoint.ts";
import { BusClient, Role } from "../src/behavior/transport/bus-client.ts";
import { SourceType } from "../src/data/venues.ts";
import { exitWithError, guard } from "./lib/errors.ts";
import { configArg, systemContext } from "./lib/system.ts";

export default defineCommand({
  meta: {
    name: "record",
    description:
      "Record every frame of a relay, with its receive time (ns), into a capture file until Ctrl-C (docs/capture-format.md)",
  },
  args: {
    relay: { type: "string", default: "market-data", description: "relay to record: market-data, signal, execution" },
    output: { type: "string", alias: "o", required: true, description: "capture file to create" },
    force: { type: "boolean", description: "replace the output file if it exists" },
    "wait-ms": { type: "string", default: "5000", description: "how long to wait for the relay at start (ms)" },
    ...configArg,
  },
  async run({ args }) {
    await guard(async () => {
      const { runDir } = systemContext(args.config);
      const { config, socketPath } = relayEndpoint(args.relay, runDir);
      const writer = new CaptureWriter({
        path: args.output,
        relay: config.name,
        domain: config.domain,
        overwrite: args.force,
      });
      // Test hook: a line on stdout every N frames, so a test can wait on an event instead of sleeping.
      const reportEvery = Number(process.env.AP_RECORD_REPORT_EVERY ?? 0);
      let frameBytes = 0;
      const client = new BusClient({
        socketPath,
        domain: config.domain,
        source: SourceType.OperatorCli,
        role: Role.Subscriber,
        name: "ap record",
        onFrame: (frame) => {
          try {
            writer.appendNow(frame);
          } catch (e) {
            exitWithError(e); // disk full or the like: stop with one line rather than lose frames silently
          }
          frameBytes += frame.length;
          if (reportEvery > 0 && writer.records % reportEvery === 0) {
            writer.flush();
            process.stdout.write(`recorded ${writer.records} frames\n`);
          }
        },
        onState: (state) => {
          if (state === "backoff" && client.counters.connects > 0) {
            process.stderr.write(`ap record: lost ${config.name}, reconnecting\n`);
          }
        },
      });
      const stop = new Promise<void>((resolve) => {
        process.on("SIGINT", () => resolve());
        process.on("SIGTERM", () => resolve());
      });
      await waitForRelay(client, Number(args["wait-ms"])).catch((e) => {
        client.close();
        writer.close();
        throw e;
      });
      const started = performance.now();
      process.stdout.write(`recording ${config.name} (${socketPath}) to ${args.output}; Ctrl-C to stop\n`);
      await stop;
      client.close();
      writer.close();
      const ms = performance.now() - started;
      process.stdout.write(
        `recorded ${writer.records} frames, ${frameBytes} frame bytes (file ${writer.bytes} bytes) from ${config.name} in ${(ms / 1000).toFixed(3)} s\n`,
      );
      if (client.counters.reconnects > 0) {
        process.stdout.write(
          `  the relay connection was lost ${client.counters.disconnects} times: frames sent meanwhile are missing\n`,
        );
      }
    });
  },
});
