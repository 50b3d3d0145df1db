import { defineCommand } from "citty";
import { sendControl } from "../src/behavior/execution/control-client.ts";
import { guard } from "./lib/errors.ts";

export default defineCommand({
  meta: {
    name: "resume",
    description: "Clears the kill switch set by `ap halt` (waits for the engine's acknowledgement)",
  },
  args: {
    all: { type: "boolean", description: "also reset every other tripped circuit breaker" },
    socket: { type: "string", description: "execution relay socket (default <run dir>/execution.sock)" },
    "run-dir": { type: "string", description: "run directory (default AP_RUN_DIR, XDG_RUNTIME_DIR/ap, /tmp/ap-<uid>)" },
    timeout: { type: "string", description: "ms to wait for the engine's acknowledgement", default: "5000" },
    json: { type: "boolean", description: "print JSON" },
  },
  async run({ args }) {
    await guard(async () => {
      const ack = await sendControl({
        command: "resume",
        all: args.all ?? false,
        socketPath: args.socket,
        runDir: args["run-dir"],
        timeoutMs: Number(args.timeout),
      });
      if (args.json)
        process.stdout.write(`${JSON.stringify({ halted: false, timestamp_ns: String(ack.timestampNs) })}\n`);
      else process.stdout.write(`resumed${args.all ? " (every breaker reset)" : ""}\n`);
    });
  },
});
