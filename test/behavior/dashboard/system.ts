import { join, resolve } from "node:path";
import { serveControl } from "../../../src/behavior/supervisor/control.ts";
import type { ServiceSpec } from "../../../src/behavior/supervisor/services.ts";
import type { Supervisor } from "../../../src/behavior/supervisor/supervisor.ts";

/**
 * The running system the dashboard tests watch: the three relays and the execution service as a Supervisor's
 * specs (sockets in the run directory), and a control socket that answers `status` with the supervisor's table.
 */
const ROOT = resolve(import.meta.dir, "../../..");

/** The relay socket of a domain in the run directory. */
export const relaySocket = (dir: string, name: string): string => join(dir, `${name}.sock`);

/**
 * Specs for relay-market-data, relay-signal, relay-execution and the execution service (run dir and audit log in
 * dir, then extraArgs; env reaches the execution service only).
 */
export function systemSpecs(
  dir: string,
  execution: { extraArgs?: readonly string[]; env?: Readonly<Record<string, string>> } = {},
): ServiceSpec[] {
  const relay = (name: string): ServiceSpec => ({
    name: `relay-${name}`,
    command: [
      process.execPath,
      join(ROOT, "src/behavior/relay/main.ts"),
      "--domain",
      name,
      "--socket",
      relaySocket(dir, name),
    ],
    dependsOn: [],
    endpoint: relaySocket(dir, name),
  });
  return [
    relay("market-data"),
    relay("signal"),
    relay("execution"),
    {
      name: "execution",
      command: [
        process.execPath,
        join(ROOT, "src/behavior/execution/main.ts"),
        "--run-dir",
        dir,
        "--audit-log",
        join(dir, "audit.log"),
        ...(execution.extraArgs ?? []),
      ],
      dependsOn: ["relay-market-data", "relay-signal", "relay-execution"],
      ...(execution.env ? { env: execution.env } : {}),
    },
  ];
}

/** The supervisor's control socket in dir: `status` answers with its table, anything else with the pid. */
export function serveStatusControl(dir: string, supervisor: Supervisor): ReturnType<typeof serveControl> {
  return serveControl(dir, async (req) => {
    if (req.cmd === "status") return { pid: process.pid, run_dir: dir, services: supervisor.status() };
    return { pid: process.pid };
  });
}
