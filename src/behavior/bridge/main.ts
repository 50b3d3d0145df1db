/**
 * The bridge service:  bun src/behavior/bridge/main.ts [--run-dir D] [--config ap.toml]
 *
 * Relays <-> NATS (docs/bridge.md). `ready <instance>` on stdout once NATS and the relays are up, then `stats {...}`
 * lines for `ap status`; logs on stderr. SIGTERM / SIGINT: clean stop, exit 0.
 */
import { parseArgs } from "node:util";
import { runBridge } from "./run-bridge.ts";

const { values } = parseArgs({
  options: { "run-dir": { type: "string" }, config: { type: "string" } },
  strict: true,
});
await runBridge({ runDir: values["run-dir"], configPath: values.config });
