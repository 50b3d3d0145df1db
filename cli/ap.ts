import pkg from "../package.json" with { type: "json" };

// Colour only on a terminal (citty reads NO_COLOR when it prints usage).
if (!process.stdout.isTTY) process.env.NO_COLOR = "1";
const { defineCommand, runMain } = await import("citty");

/**
 * ap: the root command. Subcommands are lazy imports, so `ap decode` loads only the codec and starts in
 * milliseconds. Every subcommand prints its own complete --help.
 */
const main = defineCommand({
  meta: {
    name: "ap",
    version: pkg.version,
    description:
      "ap: crypto trading system speaking Protocol V2 (32-byte header + TLV payload, CRC32) over unix sockets",
  },
  subCommands: {
    up: () => import("./up.ts").then((m) => m.default),
    status: () => import("./status.ts").then((m) => m.default),
    logs: () => import("./logs.ts").then((m) => m.default),
    down: () => import("./down.ts").then((m) => m.default),
    restart: () => import("./restart.ts").then((m) => m.default),
    run: () => import("./run.ts").then((m) => m.default),
    venue: () => import("./venue.ts").then((m) => m.default),
    decode: () => import("./decode.ts").then((m) => m.default),
    encode: () => import("./encode.ts").then((m) => m.default),
    inspect: () => import("./inspect.ts").then((m) => m.default),
    bench: () => import("./bench.ts").then((m) => m.default),
    record: () => import("./record.ts").then((m) => m.default),
    tap: () => import("./tap.ts").then((m) => m.default),
    replay: () => import("./replay.ts").then((m) => m.default),
    halt: () => import("./halt.ts").then((m) => m.default),
    resume: () => import("./resume.ts").then((m) => m.default),
    audit: () => import("./audit.ts").then((m) => m.default),
    backtest: () => import("./backtest.ts").then((m) => m.default),
    bridge: () => import("./bridge.ts").then((m) => m.default),
  },
});

runMain(main);
