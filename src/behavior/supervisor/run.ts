import type { ApConfig } from "../../core/config.ts";
import { ensureRunDir } from "../transport/run-dir.ts";
import { type ControlRequest, serveControl } from "./control.ts";
import { servicesFromConfig } from "./services.ts";
import { Supervisor, type SupervisorEvent } from "./supervisor.ts";

export interface RunningSystem {
  supervisor: Supervisor;
  /** Resolves when the system has stopped (ap down, a signal, or stop()). */
  stopped: Promise<void>;
  stop(): Promise<void>;
  startupMs: number;
}

/**
 * Starts the supervisor with its control socket, then every service. Rejects (after stopping what started) when a
 * service does not become ready. Used by the foreground `ap up` and by the detached supervisor process.
 */
export async function runSystem(
  config: ApConfig,
  runDir: string,
  onEvent: (e: SupervisorEvent) => void,
): Promise<RunningSystem> {
  const t0 = performance.now();
  ensureRunDir(runDir);
  const supervisor = new Supervisor(config, runDir, servicesFromConfig(config, runDir), onEvent);
  let servicesStopped!: () => void;
  const allServicesStopped = new Promise<void>((r) => {
    servicesStopped = r;
  });
  let resolveStopped!: () => void;
  const stopped = new Promise<void>((r) => {
    resolveStopped = r;
  });
  let stopping: Promise<void> | undefined;
  const control = await serveControl(runDir, async (req: ControlRequest) => {
    switch (req.cmd) {
      case "ping":
        return { pid: process.pid, run_dir: runDir };
      case "status":
        return { pid: process.pid, run_dir: runDir, services: supervisor.status() };
      case "restart":
        await supervisor.restart(req.service);
        return { service: req.service };
      case "down":
        queueMicrotask(() => void stop());
        await allServicesStopped;
        return { stopped: supervisor.serviceNames() };
      default:
        throw new Error(`unknown command ${JSON.stringify(req)}`);
    }
  });
  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      supervisor.log("supervisor", "stopping all services");
      await supervisor.stopAll();
      servicesStopped();
      // Let a pending `down` reply flush before the listener goes and the process may exit.
      await new Promise((r) => setTimeout(r, 50));
      control.stop(true);
      resolveStopped();
    })();
    return stopping;
  };
  try {
    await supervisor.start();
  } catch (e) {
    await stop();
    throw e;
  }
  return { supervisor, stopped, stop, startupMs: performance.now() - t0 };
}
