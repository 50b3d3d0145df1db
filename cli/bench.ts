import { defineCommand } from "citty";
import { guard } from "./lib/errors.ts";

/** `ap bench <suite>`: benchmarks that print ratios against baselines measured in the same run and write JSON. */
export default defineCommand({
  meta: {
    name: "bench",
    description:
      "Run a benchmark: codec (build/parse vs DataView, msgpackr, protobufjs), amm (Uniswap V2/V3 math), relay (vs nats-server)",
  },
  args: {
    suite: { type: "positional", required: true, description: "which benchmark: codec | amm | relay" },
    quick: { type: "boolean", description: "short rounds (smoke run; numbers are rough)" },
  },
  async run({ args }) {
    await guard(async () => {
      switch (args.suite) {
        case "codec": {
          const { benchCodec } = await import("../bench/codec.ts");
          await benchCodec({ quick: args.quick });
          return;
        }
        case "amm": {
          const { benchAmm } = await import("../bench/amm.ts");
          await benchAmm();
          return;
        }
        case "relay": {
          const { benchRelay } = await import("../bench/relay.ts");
          await benchRelay({ quick: args.quick });
          return;
        }
        default:
          process.stderr.write(`ap bench: unknown suite "${args.suite}"; available: codec, amm, relay\n`);
          process.exit(2);
      }
    });
  },
});
