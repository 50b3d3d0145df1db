import { defineCommand } from "citty";
import { relayEndpoint, waitForRelay } from "../src/behavior/capture/relay-endpoint.ts";
import { BusClient, Role } from "../src/behavior/transport/bus-client.ts";
import { readLimits } from "../src/core/limits.ts";
import { LAYOUTS, TlvType } from "../src/data/tlv-layouts.ts";
import { SourceType } from "../src/data/venues.ts";
import { frameToJson } from "../src/rules/json.ts";
import { Exit, guard } from "./lib/errors.ts";
import { renderFrame } from "./lib/render.ts";
import { configArg, systemContext } from "./lib/system.ts";

export default defineCommand({
  meta: {
    name: "tap",
    description: "Print the frames flowing through a relay, decoded as `ap decode` prints them, until Ctrl-C",
  },
  args: {
    relay: { type: "positional", required: true, description: "market-data, signal or execution" },
    json: { type: "boolean", description: "one JSON object per frame and line (the `ap decode --json` shape)" },
    type: {
      type: "string",
      description: "only frames with one of these TLV types: names or numbers, comma-separated (Trade,Quote or 1,2)",
    },
    count: { type: "string", description: "exit after this many frames" },
    "wait-ms": { type: "string", default: "5000", description: "how long to wait for the relay at start (ms)" },
    ...configArg,
  },
  async run({ args }) {
    await guard(async () => {
      const { runDir } = systemContext(args.config);
      const { config, socketPath } = relayEndpoint(args.relay, runDir);
      const types = args.type === undefined ? undefined : parseTypes(args.type);
      const limit = args.count === undefined ? Number.POSITIVE_INFINITY : Number(args.count);
      if (!(limit > 0)) usage(`--count ${args.count} is not a positive number of frames`);
      const limits = readLimits();
      let index = 0;
      let done: () => void = () => {};
      const client = new BusClient({
        socketPath,
        domain: config.domain,
        source: SourceType.OperatorCli,
        role: Role.Subscriber,
        types,
        name: "ap tap",
        onFrame: (frame) => {
          if (index >= limit) return;
          index++;
          try {
            const json = frameToJson(frame, 0, limits);
            process.stdout.write(
              args.json ? `${JSON.stringify(json)}\n` : `${renderFrame(json, index, frame.length)}\n`,
            );
          } catch (e) {
            // the relay checks structure; values (an InstrumentId, say) are checked when read, as in ap decode
            process.stderr.write(`ap tap: frame ${index}: ${(e as { toLine?: () => string }).toLine?.() ?? e}\n`);
          }
          if (index >= limit) done();
        },
        onState: (state) => {
          if (state === "backoff" && client.counters.connects > 0) {
            process.stderr.write(`ap tap: lost ${config.name}, reconnecting\n`);
          }
        },
      });
      const stopped = new Promise<void>((resolve) => {
        done = resolve;
        process.on("SIGINT", () => resolve());
        process.on("SIGTERM", () => resolve());
      });
      // stdout closed by the reader (ap tap | head): stop quietly.
      process.stdout.on("error", () => done());
      await waitForRelay(client, Number(args["wait-ms"]));
      const which = types === undefined ? "all types" : `types ${types.join(",")}`;
      process.stderr.write(`tapping ${config.name} (${socketPath}), ${which}; Ctrl-C to stop\n`);
      await stopped;
      client.close();
      process.stderr.write(`${index} frames\n`);
    });
  },
});

/** `Trade,Quote,100` -> [1, 2, 100]; names are matched without regard to case. */
function parseTypes(text: string): number[] {
  const byName = new Map(Object.entries(TlvType).map(([name, type]) => [name.toLowerCase(), type as number]));
  const out: number[] = [];
  for (const part of text.split(",")) {
    const t = part.trim();
    if (t === "") continue;
    const n = /^\d+$/.test(t) ? Number(t) : byName.get(t.toLowerCase());
    if (n === undefined || n < 1 || n > 254) {
      usage(`--type ${t}: not a TLV type name or number 1-254`, `names: ${Object.keys(LAYOUTS).join(", ")}`);
    }
    out.push(n);
  }
  if (out.length === 0) usage("--type needs at least one TLV type");
  return out;
}

function usage(message: string, hint = "ap tap --help"): never {
  process.stderr.write(`ap tap: ${message}; ${hint}\n`);
  process.exit(Exit.Usage);
}
