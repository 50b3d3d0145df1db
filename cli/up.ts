import { defineCommand } from "citty";
import { Exit } from "./lib/errors.ts";

/**
 * `ap up`: will start the relays, collectors, strategies, paper execution and the dashboard (the message-bus and
 * demo issues). Until those exist it says plainly what is built and what is not, and exits non-zero so no script
 * mistakes it for a running system.
 */
export default defineCommand({
  meta: { name: "up", description: "Start the system (relays, collectors, strategies, paper execution, dashboard)" },
  args: {
    live: { type: "boolean", description: "use the real venues' public feeds instead of the recorded demo data" },
    detach: { type: "boolean", description: "run in the background" },
  },
  run() {
    process.stderr.write(
      [
        "ap up: the running system is not built yet.",
        "  built:     the Protocol V2 codec and the operator tools: ap decode, ap encode, ap inspect, ap bench codec",
        "  not built: relays and supervisor (ap up/status/logs/down), collectors, strategies, execution, dashboard",
        "  try:       npx ap decode efbeadde01010200010000000000000015cd853dfe9c9717420000003e49b0c2014065000100000000004254430000000000000000005553440000000000000000004e29a3bd1704000080d1f0080000000000002a36fe9c97170100000000000000",
        "",
      ].join("\n"),
    );
    process.exit(Exit.Failure);
  },
});
