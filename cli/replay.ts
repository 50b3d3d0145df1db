import { statSync } from "node:fs";
import { defineCommand } from "citty";
import { CaptureReader } from "../src/behavior/capture/capture-reader.ts";
import { CaptureError } from "../src/behavior/capture/errors.ts";
import { markReplayed } from "../src/behavior/capture/mark-replayed.ts";
import { relayEndpoint, waitForRelay } from "../src/behavior/capture/relay-endpoint.ts";
import { monoNs, parseSpeed, ReplaySchedule } from "../src/behavior/capture/replay-schedule.ts";
import { BusClient, Role } from "../src/behavior/transport/bus-client.ts";
import { SourceType } from "../src/data/venues.ts";
import { MAX_FRAME_SIZE } from "../src/rules/header.ts";
import { guard } from "./lib/errors.ts";
import { configArg, systemContext } from "./lib/system.ts";

export default defineCommand({
  meta: {
    name: "replay",
    description:
      "Publish a capture file's frames to a relay, keeping the recorded spacing scaled by --speed (frames get the replayed flag)",
  },
  args: {
    file: { type: "positional", required: false, description: "capture file written by ap record" },
    from: {
      type: "string",
      description: "nats: instead of a file, the last --minutes of the JetStream market data stream (docs/bridge.md)",
    },
    minutes: { type: "string", description: "with --from nats: how far back, whole minutes (default 5)" },
    speed: { type: "string", default: "1x", description: "1x (recorded pace), 10x, 0.5x ... or max (no waiting)" },
    to: { type: "string", description: "relay to publish to (default: the relay the file was recorded from)" },
    "as-recorded": {
      type: "boolean",
      description: "send the bytes exactly as recorded (no replayed flag, original checksum)",
    },
    "wait-ms": { type: "string", default: "5000", description: "how long to wait for the relay at start (ms)" },
    ...configArg,
  },
  async run({ args, rawArgs }) {
    if (args.from !== undefined) {
      if (args.from !== "nats") {
        process.stderr.write(`ap replay: --from must be nats (got "${args.from}")\n`);
        process.exit(2);
      }
      const { replay } = await import("./bridge.ts");
      const { runCommand } = await import("citty");
      const passed = rawArgs.filter(
        (a, i) => a !== "--from" && rawArgs[i - 1] !== "--from" && !a.startsWith("--from="),
      );
      await runCommand(replay, { rawArgs: passed });
      return;
    }
    if (!args.file) {
      process.stderr.write("ap replay: give a capture file, or --from nats (ap replay --help)\n");
      process.exit(2);
    }
    const file = args.file;
    await guard(async () => {
      const speed = parseSpeed(args.speed);
      const { runDir } = systemContext(args.config);
      const fileSize = statSync(file, { throwIfNoEntry: false })?.size ?? 0;
      let damagedBytes = 0;
      const progress = new Progress(fileSize);
      const reader = new CaptureReader(file, {
        onDamage: (d) => {
          damagedBytes += d.length;
          progress.clear();
          process.stderr.write(
            `ap replay: damaged bytes at offset ${d.offset} (${d.length} bytes, ${d.reason}): skipped, continuing at the next good record\n`,
          );
        },
      });
      const { config, socketPath } = relayEndpoint(args.to ?? (reader.header.relay || "market-data"), runDir);
      if (reader.header.domain !== 0 && reader.header.domain !== config.domain) {
        reader.close();
        throw new CaptureError({
          code: "CaptureDomainMismatch",
          message: `${args.file} holds domain ${reader.header.domain} frames (${reader.header.relay}), relay ${config.name} takes domain ${config.domain}`,
          facts: {
            file: args.file,
            file_domain: reader.header.domain,
            relay: config.name,
            relay_domain: config.domain,
          },
          hint: `replay it to ${reader.header.relay || "its own relay"} (--to)`,
        });
      }
      const client = new BusClient({
        socketPath,
        domain: config.domain,
        source: SourceType.Replay,
        role: Role.Publisher,
        name: "ap replay",
      });
      let stopping = false;
      process.on("SIGINT", () => (stopping = true));
      process.on("SIGTERM", () => (stopping = true));
      try {
        await waitForRelay(client, Number(args["wait-ms"]));
      } catch (e) {
        client.close();
        reader.close();
        throw e;
      }

      const scratch = new Uint8Array(MAX_FRAME_SIZE);
      const scratchView = new DataView(scratch.buffer);
      const startMono = monoNs();
      const schedule = new ReplaySchedule(speed, startMono);
      let frames = 0;
      let bytes = 0;
      let refused = 0;
      let firstRecv: bigint | undefined;
      let lastRecv = 0n;
      for (const record of reader) {
        if (stopping) break;
        firstRecv ??= record.recvNs;
        lastRecv = record.recvNs;
        const due = schedule.dueMonoNs(record.recvNs);
        // Never early: sleep (timer granularity is 1 ms) until the due time has passed. Frames due within the same
        // millisecond leave together; lateness never accumulates since every due time comes from the same origin.
        for (let wait = due - monoNs(); wait > 0n && !stopping; wait = due - monoNs()) {
          await Bun.sleep(Number((wait + 999_999n) / 1_000_000n));
        }
        const frame = args["as-recorded"] ? record.frame : markReplayed(record.frame, scratch, scratchView);
        if (client.send(frame)) {
          frames++;
          bytes += frame.length;
        } else refused++;
        if (client.backpressured) await client.drained();
        if ((frames & 255) === 0) progress.update(reader.position, frames, startMono);
      }
      await client.drained(0);
      client.close();
      reader.close();
      progress.clear();

      const ms = Number((monoNs() - startMono) / 1_000n) / 1000;
      const spanMs = firstRecv === undefined ? 0 : Number((lastRecv - firstRecv) / 1_000n) / 1000;
      const rate = ms > 0 ? Math.round((frames / ms) * 1000) : frames;
      const lines = [
        `replayed ${frames} frames (${bytes} bytes) from ${args.file} to ${config.name} in ${(ms / 1000).toFixed(3)} s: ${rate} frames/s at speed ${speed.text} (recorded span ${(spanMs / 1000).toFixed(3)} s)${stopping ? ", stopped early" : ""}`,
        `  damaged records skipped: ${reader.damage.length} run${reader.damage.length === 1 ? "" : "s"}, ${damagedBytes} bytes`,
      ];
      if (reader.tornTail) {
        lines.push(
          `  torn last record: ${reader.tornTail.length} bytes at offset ${reader.tornTail.offset} (recorder stopped mid-write), not sent`,
        );
      }
      if (refused > 0) lines.push(`  ${refused} frames refused by the full send queue`);
      process.stdout.write(`${lines.join("\n")}\n`);
    });
  },
});

/** A progress bar on a terminal (stderr), a plain line every 2 s otherwise. */
class Progress {
  private readonly tty = process.stderr.isTTY === true;
  private last = 0;
  private shown = false;
  constructor(private readonly fileSize: number) {}

  update(position: number, frames: number, startMono: bigint): void {
    const now = performance.now();
    if (now - this.last < (this.tty ? 100 : 2000)) return;
    this.last = now;
    const fraction = this.fileSize > 0 ? Math.min(1, position / this.fileSize) : 0;
    const secs = Number((monoNs() - startMono) / 1_000_000n) / 1000;
    const text = `${(fraction * 100).toFixed(0).padStart(3)}% · ${frames} frames · ${secs.toFixed(1)} s`;
    if (this.tty) {
      const width = 30;
      const full = Math.round(fraction * width);
      process.stderr.write(`\r[${"#".repeat(full)}${".".repeat(width - full)}] ${text}`);
      this.shown = true;
    } else {
      process.stderr.write(`replay: ${text}\n`);
    }
  }

  clear(): void {
    if (this.shown) process.stderr.write("\r\x1b[K");
    this.shown = false;
  }
}
