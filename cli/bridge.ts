import { defineCommand } from "citty";
import { guard } from "./lib/errors.ts";
import { configArg, systemContext } from "./lib/system.ts";

/**
 * `ap bridge`: the relays of this ap instance <-> NATS (docs/bridge.md), in the foreground: ready and stats lines on
 * stdout, logs on stderr, Ctrl-C stops it cleanly. `ap bridge replay --minutes N`: the last N minutes of market data
 * from the JetStream stream into the local market data relay (a late or restarted host catching up).
 */
const run = defineCommand({
  meta: { name: "run", description: "Run the bridge in the foreground (the default subcommand)" },
  args: { ...configArg },
  async run({ args }) {
    const { runBridge } = await import("../src/behavior/bridge/run-bridge.ts");
    await runBridge({ configPath: args.config });
  },
});

/** `ap bridge replay`, also reached as `ap replay --from nats`. */
export const replay = defineCommand({
  meta: {
    name: "replay",
    description: "Publish the last N minutes of the JetStream market data stream into the local market data relay",
  },
  args: {
    minutes: {
      type: "string",
      default: "5",
      description: "how far back (whole minutes; at most what the stream keeps)",
    },
    "as-recorded": { type: "boolean", description: "the stored bytes unchanged (default: replayed flag set)" },
    "include-own": { type: "boolean", description: "also the frames this instance published itself" },
    ...configArg,
  },
  async run({ args }) {
    await guard(async () => {
      const { parseBridgeConfig } = await import("../src/behavior/bridge/bridge-config.ts");
      const { replayHistory } = await import("../src/behavior/bridge/replay-history.ts");
      const { BridgeError } = await import("../src/behavior/bridge/errors.ts");
      const minutes = Number(args.minutes);
      if (!Number.isInteger(minutes) || minutes < 1) {
        throw new BridgeError({
          code: "BadArgument",
          message: `--minutes must be a whole number >= 1 (got "${args.minutes}")`,
          facts: { minutes: args.minutes },
        });
      }
      const { config, runDir } = systemContext(args.config);
      const r = await replayHistory({
        config: parseBridgeConfig(config.owned.bridge, runDir),
        runDir,
        minutes,
        asRecorded: args["as-recorded"],
        includeOwn: args["include-own"],
      });
      process.stdout.write(
        `replayed ${r.frames} frames (${r.bytes} bytes) of the last ${minutes} min into market-data` +
          (r.frames > 0 ? ` (stream sequences ${r.firstStreamSeq}-${r.lastStreamSeq})` : "") +
          `; own frames skipped ${r.ownSkipped}, bad frames ${r.badFrames}, refused ${r.refused}\n`,
      );
    });
  },
});

export default defineCommand({
  meta: {
    name: "bridge",
    description:
      "Bridge the relays over NATS (foreground; [bridge] in ap.toml, credentials from AP_NATS_*), or replay JetStream history",
  },
  args: { ...configArg },
  subCommands: { run, replay },
  default: "run",
});
