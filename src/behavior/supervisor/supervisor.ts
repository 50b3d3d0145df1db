import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { ApConfig } from "../../core/config.ts";
import { ApError } from "../../core/errors.ts";
import { parseServiceLine, type ServiceStats } from "./service-report.ts";
import { type ServiceSpec, startLayers } from "./services.ts";

export type ServiceState = "starting" | "ready" | "backoff" | "crash-loop" | "stopping" | "stopped" | "failed";

/** What `ap status` shows for one service. */
export interface ServiceStatus {
  name: string;
  pid: number | null;
  state: ServiceState;
  uptime_ms: number;
  rss_bytes: number | null;
  restarts: number;
  msgs_in: number | null;
  msgs_out: number | null;
  drops: number | null;
  gaps: number | null;
  last_error: string | null;
  endpoint: string | null;
  /** A short state the service wants the operator to see (its `note` stat), e.g. the kill switch. */
  note: string | null;
  /** Every counter the service reported (its last `stats` line). */
  stats: ServiceStats | null;
}

/** Events the supervisor reports as they happen (the foreground `ap up` prints them). */
export type SupervisorEvent =
  | { kind: "ready"; service: string; pid: number; ms: number; detail: string }
  | {
      kind: "exit";
      service: string;
      pid: number;
      code: number | null;
      signal: string | null;
      restartInMs: number;
      crashLoop: boolean;
    }
  | { kind: "failed"; service: string; reason: string }
  | { kind: "stopped"; service: string };

class Managed {
  proc: Subprocess<"ignore", "pipe", "pipe"> | undefined;
  state: ServiceState = "stopped";
  startedAt = 0;
  readyAt = 0;
  restarts = 0;
  crashTimes: number[] = [];
  stats: ServiceStats | undefined;
  /** The detail of the last `ready` line (e.g. a venue's URLs), handed to dependents as {ready:<name>:<n>}. */
  readyDetail = "";
  lastError: string | null = null;
  restartTimer: ReturnType<typeof setTimeout> | undefined;
  /** Resolves when the current process reports ready, rejects when it exits or times out first. */
  readyWaiter: { resolve: () => void; reject: (e: Error) => void } | undefined;
  constructor(readonly spec: ServiceSpec) {}
}

/**
 * Runs services as child processes: starts them in dependency order and waits for each one's `ready` handshake
 * (never a sleep), restarts a crashed service with exponential backoff, reports a crash loop, stops everything
 * gracefully (SIGTERM, then SIGKILL after the timeout), and writes each service's output to
 * `<runDir>/logs/<service>.log`, one line each with its time and service name.
 */
export class Supervisor {
  private readonly services: Map<string, Managed>;
  private readonly order: ServiceSpec[][];
  private readonly logDir: string;
  private shuttingDown = false;

  constructor(
    private readonly config: ApConfig,
    readonly runDir: string,
    specs: readonly ServiceSpec[],
    private readonly onEvent: (e: SupervisorEvent) => void = () => {},
  ) {
    this.services = new Map(specs.map((s) => [s.name, new Managed(s)]));
    this.order = startLayers(specs);
    this.logDir = join(runDir, "logs");
    mkdirSync(this.logDir, { recursive: true, mode: 0o700 });
  }

  /** Starts every service, layer by layer. Rejects with the services that did not become ready, and why. */
  async start(): Promise<void> {
    for (const layer of this.order) {
      const results = await Promise.allSettled(layer.map((spec) => this.startOne(this.services.get(spec.name)!)));
      const failed = results.flatMap((r, i) =>
        r.status === "rejected" ? [`${layer[i].name}: ${(r.reason as Error).message}`] : [],
      );
      if (failed.length > 0) {
        throw new ApError({
          code: "ServiceStartFailed",
          message: `not started: ${failed.join("; ")}`,
          facts: { services: failed.length },
          hint: `see the logs: ap logs, or ${this.logDir}`,
        });
      }
    }
  }

  private startOne(m: Managed): Promise<void> {
    const spec = m.spec;
    m.state = "starting";
    m.startedAt = Date.now();
    m.stats = undefined;
    let command: string[];
    try {
      command = spec.command.map((arg) => this.resolveArg(arg));
    } catch (e) {
      m.state = "failed";
      m.lastError = (e as Error).message;
      return Promise.reject(e);
    }
    this.log(
      spec.name,
      `starting: ${spec.command.map((a) => (a.startsWith("{env:") ? a : this.resolveArgSafe(a))).join(" ")}`,
    );
    const proc = Bun.spawn(command, {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: {
        ...process.env,
        ...spec.env,
        AP_RUN_DIR: this.runDir,
        AP_SERVICE: spec.name,
        AP_STATS_INTERVAL_MS: String(this.config.supervisor.statsIntervalMs),
      },
    });
    m.proc = proc;
    const ready = new Promise<void>((resolve, reject) => {
      m.readyWaiter = { resolve, reject };
    });
    const timeout = setTimeout(() => {
      if (m.proc === proc && m.state === "starting") {
        const reason = `did not report ready within ${this.config.supervisor.readyTimeoutMs} ms`;
        m.lastError = reason;
        m.readyWaiter?.reject(new Error(reason));
        m.readyWaiter = undefined;
        proc.kill("SIGKILL");
      }
    }, this.config.supervisor.readyTimeoutMs);
    this.pump(proc.stdout, (line) => {
      const parsed = parseServiceLine(line);
      if (parsed.kind === "ready" && m.proc === proc && m.state === "starting") {
        clearTimeout(timeout);
        m.state = "ready";
        m.readyAt = Date.now();
        const changed = m.readyDetail !== "" && m.readyDetail !== parsed.detail;
        m.readyDetail = parsed.detail;
        this.log(spec.name, `ready ${parsed.detail}`.trim());
        if (changed) this.restartDependents(spec.name);
        this.onEvent({
          kind: "ready",
          service: spec.name,
          pid: proc.pid,
          ms: m.readyAt - m.startedAt,
          detail: parsed.detail,
        });
        m.readyWaiter?.resolve();
        m.readyWaiter = undefined;
      } else if (parsed.kind === "stats") {
        m.stats = parsed.stats;
      } else {
        this.log(spec.name, line);
      }
    });
    this.pump(proc.stderr, (line) => {
      this.log(spec.name, line);
      if (/\b(error|fatal|ERROR|FATAL)\b|✖/.test(line)) m.lastError = line.slice(0, 300);
    });
    proc.exited.then((code) => {
      clearTimeout(timeout);
      this.onExit(m, proc, code);
    });
    return ready;
  }

  private onExit(m: Managed, proc: Subprocess, code: number | null): void {
    if (m.proc !== proc) return;
    const signal = proc.signalCode ? String(proc.signalCode) : null;
    m.proc = undefined;
    const waiter = m.readyWaiter;
    m.readyWaiter = undefined;
    if (m.state === "stopping" || this.shuttingDown) {
      m.state = "stopped";
      this.log(m.spec.name, `stopped (exit ${code ?? signal})`);
      this.onEvent({ kind: "stopped", service: m.spec.name });
      waiter?.reject(new Error("stopped while starting"));
      return;
    }
    const how = signal ? `killed by ${signal}` : `exited with code ${code}`;
    if (m.lastError === null || code !== 0) m.lastError = m.lastError ?? how;
    if (waiter) {
      // Died before it was ready: a start failure, not a crash to retry.
      m.state = "failed";
      const reason = `${how} before reporting ready${m.lastError && m.lastError !== how ? ` (${m.lastError})` : ""}`;
      m.lastError = reason;
      this.log(m.spec.name, reason);
      this.onEvent({ kind: "failed", service: m.spec.name, reason });
      waiter.reject(new Error(reason));
      return;
    }
    const now = Date.now();
    const window = this.config.supervisor.crashLoopWindowMs;
    m.crashTimes = m.crashTimes.filter((t) => now - t < window);
    m.crashTimes.push(now);
    const crashes = m.crashTimes.length;
    const crashLoop = crashes >= this.config.supervisor.crashLoopRestarts;
    const delay = Math.min(
      this.config.supervisor.restartBackoffMs * 2 ** (crashes - 1),
      this.config.supervisor.restartBackoffMaxMs,
    );
    m.state = crashLoop ? "crash-loop" : "backoff";
    m.lastError = `${how}${crashLoop ? `; crash loop: ${crashes} crashes in ${window / 1000}s` : ""}`;
    this.log(
      m.spec.name,
      `${how}; restart ${m.restarts + 1} in ${delay} ms${crashLoop ? ` — CRASH LOOP (${crashes} crashes in ${window / 1000}s)` : ""}`,
    );
    this.onEvent({ kind: "exit", service: m.spec.name, pid: proc.pid, code, signal, restartInMs: delay, crashLoop });
    m.restartTimer = setTimeout(() => {
      m.restartTimer = undefined;
      if (this.shuttingDown || m.state === "stopping" || m.state === "stopped") return;
      m.restarts++;
      this.startOne(m).catch((e: Error) => this.log(m.spec.name, `restart failed: ${e.message}`));
    }, delay);
  }

  /** Stops one service: SIGTERM, then SIGKILL after the configured timeout. Resolves when it has exited. */
  async stopOne(name: string): Promise<void> {
    const m = this.mustGet(name);
    if (m.restartTimer) clearTimeout(m.restartTimer);
    m.restartTimer = undefined;
    const proc = m.proc;
    if (!proc) {
      m.state = "stopped";
      return;
    }
    m.state = "stopping";
    proc.kill("SIGTERM");
    const killer = setTimeout(() => {
      this.log(name, `did not stop within ${this.config.supervisor.stopTimeoutMs} ms: SIGKILL`);
      proc.kill("SIGKILL");
    }, this.config.supervisor.stopTimeoutMs);
    await proc.exited;
    clearTimeout(killer);
  }

  /**
   * `{ready:<service>:<n>}` in a command argument becomes the n-th word of that service's ready line: how a
   * collector learns the URL of the replay venue it depends on (ports are chosen at start).
   */
  private resolveArg(arg: string): string {
    // {env:NAME}: a secret-bearing value (a node URL with a key) resolved at spawn, so the spec and the logged
    // command line never hold it.
    if (/^\{env:\w+\}$/.test(arg)) return process.env[arg.slice(5, -1)] ?? "";
    return arg.replace(/\{ready:([\w-]+):(\d+)\}/g, (whole, name: string, index: string) => {
      const word = this.services.get(name)?.readyDetail.split(/\s+/)[Number(index)];
      if (word === undefined || word === "") {
        throw new ApError({
          code: "UnresolvedDependency",
          message: `${whole}: ${name} has not reported that value`,
          facts: { placeholder: whole, service: name },
          hint: `declare ${name} in dependsOn so it is ready first`,
        });
      }
      return word;
    });
  }

  private resolveArgSafe(arg: string): string {
    try {
      return this.resolveArg(arg);
    } catch {
      return arg;
    }
  }

  /** A dependency came back with a different ready line (a new port): its dependents must follow it. */
  private restartDependents(name: string): void {
    for (const m of this.services.values()) {
      if (!m.spec.dependsOn.includes(name) || m.state !== "ready") continue;
      this.log(m.spec.name, `${name} changed its address: restarting`);
      this.restart(m.spec.name).catch((e: Error) => this.log(m.spec.name, `restart failed: ${e.message}`));
    }
  }

  /** Stops everything in reverse dependency order. */
  async stopAll(): Promise<void> {
    this.shuttingDown = true;
    for (const layer of [...this.order].reverse()) await Promise.all(layer.map((s) => this.stopOne(s.name)));
  }

  /** Restarts one service and resolves when it is ready again. */
  async restart(name: string): Promise<void> {
    const m = this.mustGet(name);
    await this.stopOne(name);
    m.restarts++;
    m.crashTimes = [];
    m.lastError = null;
    await this.startOne(m);
  }

  status(): ServiceStatus[] {
    const now = Date.now();
    return [...this.services.values()].map((m) => ({
      name: m.spec.name,
      pid: m.proc?.pid ?? null,
      state: m.state,
      uptime_ms: m.proc && m.state === "ready" ? now - m.readyAt : 0,
      rss_bytes: m.proc ? rssOf(m.proc.pid) : null,
      restarts: m.restarts,
      msgs_in: numberOrNull(m.stats?.msgs_in),
      msgs_out: numberOrNull(m.stats?.msgs_out),
      drops: numberOrNull(m.stats?.drops),
      gaps: numberOrNull(m.stats?.gaps),
      last_error: m.lastError,
      endpoint: m.spec.endpoint ?? null,
      note: typeof m.stats?.note === "string" ? m.stats.note : null,
      stats: m.stats ?? null,
    }));
  }

  serviceNames(): string[] {
    return [...this.services.keys()];
  }

  private mustGet(name: string): Managed {
    const m = this.services.get(name);
    if (!m) {
      throw new ApError({
        code: "UnknownService",
        message: `no service named "${name}"`,
        facts: { service: name },
        hint: `services: ${[...this.services.keys()].join(", ")}`,
      });
    }
    return m;
  }

  /** Appends one line to the service's log: `<ISO time> <service> <text>`. */
  log(service: string, text: string): void {
    appendFileSync(join(this.logDir, `${service}.log`), `${new Date().toISOString()} ${service} ${text}\n`);
  }

  private async pump(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    let rest = "";
    for await (const chunk of stream) {
      rest += decoder.decode(chunk, { stream: true });
      let nl = rest.indexOf("\n");
      while (nl >= 0) {
        onLine(rest.slice(0, nl));
        rest = rest.slice(nl + 1);
        nl = rest.indexOf("\n");
      }
    }
    if (rest) onLine(rest);
  }
}

function numberOrNull(v: unknown): number | null {
  return typeof v === "number" ? v : null;
}

/** Resident set size from /proc (Linux); null where it cannot be read. */
export function rssOf(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) * 1024 : null;
  } catch {
    return null;
  }
}
