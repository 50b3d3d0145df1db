/**
 * The detached supervisor process behind `ap up --detach`:  bun src/behavior/supervisor/main.ts
 *
 * Reports start-up progress on stdout as JSON lines (`{"event":...}`), ending with `{"event":"up"}` or
 * `{"event":"failed"}`; after that it never writes to stdout again (the launcher has gone) and logs to
 * <runDir>/logs/supervisor.log. SIGTERM/SIGINT or `ap down` stop everything and exit 0.
 */
import { loadConfig } from "../../core/config.ts";
import { ApError } from "../../core/errors.ts";
import { defaultRunDir } from "../transport/run-dir.ts";
import { runSystem } from "./run.ts";

let attached = true;
const emit = (o: Record<string, unknown>) => {
  if (attached) process.stdout.write(`${JSON.stringify(o)}\n`);
};

try {
  const config = loadConfig();
  const runDir = config.runDir || defaultRunDir();
  const system = await runSystem(config, runDir, (e) => emit({ event: e.kind, ...e }));
  emit({
    event: "up",
    ms: Math.round(system.startupMs),
    pid: process.pid,
    run_dir: runDir,
    services: system.supervisor.serviceNames(),
  });
  attached = false;
  for (const sig of ["SIGTERM", "SIGINT", "SIGHUP"] as const) process.on(sig, () => void system.stop());
  await system.stopped;
  process.exit(0);
} catch (e) {
  emit({ event: "failed", message: e instanceof ApError ? e.toLine() : String(e) });
  process.exit(1);
}
