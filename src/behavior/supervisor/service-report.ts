import { type ConsolaInstance, createConsola } from "consola";

/**
 * The supervisor's side channel with its services: a service writes single lines on stdout,
 *   `ready <detail>`        once it serves (the start-up handshake the supervisor waits on), and
 *   `stats <json>`          its counters, every AP_STATS_INTERVAL_MS (msgs_in, msgs_out, drops, gaps, ...).
 * Everything else a service prints (stderr, other stdout lines) goes to its log.
 */
/**
 * A service's logger: stderr only (stdout carries the ready/stats lines above), tagged with the service. The level is
 * explicit (AP_LOG_LEVEL, default 3 = info) because consola goes silent under a test runner's NODE_ENV=test.
 */
export function serviceLogger(tag: string): ConsolaInstance {
  const level = Number(process.env.AP_LOG_LEVEL ?? 3);
  return createConsola({ level, stdout: process.stderr, stderr: process.stderr }).withTag(tag);
}

/** How a service refuses to start: one line on stderr, exit 1 (the supervisor shows it as the reason). */
export function failStart(log: ConsolaInstance, message: string): never {
  log.error(message);
  process.exit(1);
}

export interface ServiceStats {
  msgs_in?: number;
  msgs_out?: number;
  drops?: number;
  gaps?: number;
  [extra: string]: unknown;
}

export function reportReady(detail = ""): void {
  process.stdout.write(`ready ${detail}\n`);
}

let emitNow: (() => void) | undefined;

/** Sends a `stats` line at once (after a change the operator must see, e.g. the kill switch). */
export function reportStatsNow(): void {
  emitNow?.();
}

/** Starts periodic `stats` lines; returns a stop function. The timer does not keep the process alive. */
export function reportStats(
  collect: () => ServiceStats,
  intervalMs = Number(process.env.AP_STATS_INTERVAL_MS ?? 1000),
): () => void {
  const emit = () => process.stdout.write(`stats ${JSON.stringify(collect())}\n`);
  emitNow = emit;
  emit();
  const timer = setInterval(emit, intervalMs);
  timer.unref?.();
  return () => clearInterval(timer);
}

/** Parses one stdout line of a service: a handshake, a stats report, or a plain log line. */
export function parseServiceLine(
  line: string,
): { kind: "ready"; detail: string } | { kind: "stats"; stats: ServiceStats } | { kind: "log" } {
  if (line === "ready" || line.startsWith("ready ")) return { kind: "ready", detail: line.slice(6) };
  if (line.startsWith("stats {")) {
    try {
      return { kind: "stats", stats: JSON.parse(line.slice(6)) as ServiceStats };
    } catch {
      return { kind: "log" };
    }
  }
  return { kind: "log" };
}
