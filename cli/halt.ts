import { defineCommand } from "citty";
import { sendControl } from "../src/behavior/execution/control-client.ts";
import { guard } from "./lib/errors.ts";

export default defineCommand({
  meta: {
    name: "halt",
    description:
      "Kill switch: the execution engine cancels every open order and refuses new ones until `ap resume` (waits for its acknowledgement)",
  },
  args: {
    reason: { type: "string", description: "why (kept in the audit log)", default: "operator halt" },
    socket: { type: "string", description: "execution relay socket (default <run dir>/execution.sock)" },
    "run-dir": { type: "string", description: "run directory (default AP_RUN_DIR, XDG_RUNTIME_DIR/ap, /tmp/ap-<uid>)" },
    timeout: { type: "string", description: "ms to wait for the engine's acknowledgement", default: "5000" },
    json: { type: "boolean", description: "print JSON" },
  },
  async run({ args }) {
    await guard(async () => {
      const ack = await sendControl({
        command: "halt",
        reason: args.reason,
        socketPath: args.socket,
        runDir: args["run-dir"],
        timeoutMs: Number(args.timeout),
      });
      if (args.json)
        process.stdout.write(`${JSON.stringify({ halted: true, timestamp_ns: String(ack.timestampNs) })}\n`);
      else process.stdout.write(`halted: open orders cancelled, new orders refused until ap resume (${args.reason})\n`);
    });
  },
});
