import { defineCommand } from "citty";
import { controlRequest } from "../src/behavior/supervisor/control.ts";
import type { ServiceStatus } from "../src/behavior/supervisor/supervisor.ts";
import { Exit, guard } from "./lib/errors.ts";
import { configArg, systemContext } from "./lib/system.ts";

export default defineCommand({
  meta: {
    name: "status",
    description: "Table of services: pid, state, uptime, RSS, messages in/out, drops, gaps, restarts, last error",
  },
  args: { ...configArg, json: { type: "boolean", description: "print JSON" } },
  async run({ args }) {
    await guard(async () => {
      const { runDir } = systemContext(args.config);
      const reply = await controlRequest(runDir, { cmd: "status" });
      if (!reply) {
        if (args.json) process.stdout.write(`${JSON.stringify({ running: false, run_dir: runDir })}\n`);
        else process.stderr.write(`ap is not running (no supervisor in ${runDir}); start it with ap up\n`);
        process.exit(Exit.Failure);
      }
      if (!reply.ok) throw new Error(reply.error.message);
      const services = reply.services as ServiceStatus[];
      if (args.json) {
        process.stdout.write(
          `${JSON.stringify({ running: true, supervisor_pid: reply.pid, run_dir: runDir, services }, null, 2)}\n`,
        );
        return;
      }
      process.stdout.write(`supervisor pid ${reply.pid} · run dir ${runDir}\n${table(services)}\n`);
    });
  },
});

function table(services: ServiceStatus[]): string {
  const head = [
    "SERVICE",
    "PID",
    "STATE",
    "UPTIME",
    "RSS",
    "IN",
    "OUT",
    "DROPS",
    "GAPS",
    "RESTARTS",
    "NOTE / LAST ERROR",
  ];
  const rows = services.map((s) => [
    s.name,
    s.pid === null ? "-" : String(s.pid),
    s.state,
    s.uptime_ms ? duration(s.uptime_ms) : "-",
    s.rss_bytes === null ? "-" : `${(s.rss_bytes / 1048576).toFixed(1)}M`,
    count(s.msgs_in),
    count(s.msgs_out),
    count(s.drops),
    count(s.gaps),
    String(s.restarts),
    [s.note, s.last_error].filter(Boolean).join(" · "),
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  return [head, ...rows]
    .map((r) =>
      r
        .map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i])))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

const count = (n: number | null) => (n === null ? "-" : String(n));

function duration(ms: number): string {
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${s % 60}s`;
  return `${Math.floor(s / 3600)}h${Math.floor((s % 3600) / 60)}m`;
}
