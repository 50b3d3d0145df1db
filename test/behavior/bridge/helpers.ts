import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import type { ServiceStats } from "../../../src/behavior/supervisor/service-report.ts";
import { Child, startRelay, Until } from "../relay/helpers.ts";

export const BRIDGE_MAIN = join(import.meta.dir, "../../../src/behavior/bridge/main.ts");
export const NATS_SERVER = "/usr/sbin/nats-server";

/** nats-server on 127.0.0.1; `-p -1` the first time (a free port chosen by the server), the same port on restart. */
export class NatsServer {
  proc!: Subprocess<"ignore", "pipe", "pipe">;
  port = 0;
  log = "";
  private readonly changed = new Until();
  constructor(
    readonly storeDir: string,
    readonly jetstream: boolean,
    readonly extra: string[] = [],
  ) {}

  get url(): string {
    return `nats://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.log = "";
    const js = this.jetstream ? ["-js", "-sd", this.storeDir] : [];
    this.proc = Bun.spawn([NATS_SERVER, "-a", "127.0.0.1", "-p", String(this.port || -1), ...js, ...this.extra], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    void this.pump(this.proc.stderr);
    void this.pump(this.proc.stdout);
    await Promise.race([
      this.changed.until(() => this.log.includes("Server is ready")),
      this.proc.exited.then((code) => {
        throw new Error(`nats-server exited (${code}) before it was ready:\n${this.log}`);
      }),
    ]);
    const m = /Listening for client connections on [\d.]+:(\d+)/.exec(this.log);
    if (!m) throw new Error(`nats-server: no port in its log:\n${this.log}`);
    this.port = Number(m[1]);
  }

  private async pump(stream: ReadableStream<Uint8Array>): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      this.log += decoder.decode(chunk, { stream: true });
      this.changed.check();
    }
  }

  async stop(): Promise<void> {
    this.proc.kill("SIGKILL");
    await this.proc.exited;
  }
}

/** A stats line of a service's stdout, parsed; the last one. */
export function lastStats(child: Child): ServiceStats | undefined {
  const lines = child.stdout.split("\n").filter((l) => l.startsWith("stats {"));
  return lines.length ? (JSON.parse(lines[lines.length - 1].slice(6)) as ServiceStats) : undefined;
}

/** One ap instance: its own run dir (0700), its market data relay (and others), and a bridge child. */
export class Instance {
  readonly runDir: string;
  readonly relays: Child[] = [];
  bridge: Child | undefined;
  constructor(readonly name: string) {
    this.runDir = mkdtempSync(`/tmp/ap-br-${name}-`);
  }

  sock(relay = "market-data"): string {
    return join(this.runDir, `${relay}.sock`);
  }

  async startRelays(names: string[] = ["market-data"]): Promise<void> {
    for (const n of names) this.relays.push(await startRelay(n, this.sock(n)));
  }

  /** Writes ap.toml with a [bridge] table and starts the bridge; resolves at its ready line. */
  async startBridge(bridgeToml: string, env: Record<string, string> = {}): Promise<Child> {
    const config = join(this.runDir, "ap.toml");
    writeFileSync(config, `[bridge]\n${bridgeToml}\n`);
    this.bridge = new Child([BRIDGE_MAIN, "--run-dir", this.runDir, "--config", config], {
      AP_STATS_INTERVAL_MS: "100",
      ...env,
    });
    await this.bridge.waitStdout(/^ready .+$/m);
    return this.bridge;
  }

  /** Waits for a stats line of the bridge for which `predicate` holds (stats lines come every 100 ms). */
  async bridgeStats(predicate: (s: ServiceStats) => boolean): Promise<ServiceStats> {
    const bridge = this.bridge!;
    const re = /^stats (\{.*\})$/gm;
    let found: ServiceStats | undefined;
    await bridge.waitStdout({
      test: (text: string) => {
        for (const m of text.matchAll(re)) {
          const s = JSON.parse(m[1]) as ServiceStats;
          if (predicate(s)) {
            found = s;
            return true;
          }
        }
        return false;
      },
    } as unknown as RegExp);
    return found!;
  }

  async stop(): Promise<void> {
    const all = [...(this.bridge ? [this.bridge] : []), ...this.relays];
    for (const c of all) c.kill("SIGTERM");
    await Promise.all(all.map((c) => c.proc.exited));
    rmSync(this.runDir, { recursive: true, force: true });
  }
}

export function tempStore(): string {
  const dir = mkdtempSync("/tmp/ap-br-nats-");
  mkdirSync(dir, { recursive: true });
  return dir;
}
