import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";

/**
 * Writes a benchmark's result object as JSON to `<dir>/<name>-<ISO date>.json` (kept, to compare over time) and
 * `<dir>/<name>-latest.json`; returns the two paths.
 */
export function writeResults(dir: string, name: string, result: { date: string }): string[] {
  const text = `${JSON.stringify(result, null, 2)}\n`;
  mkdirSync(dir, { recursive: true });
  const files = [
    join(dir, `${name}-${result.date.slice(0, 19).replace(/:/g, "-")}.json`),
    join(dir, `${name}-latest.json`),
  ];
  for (const f of files) writeFileSync(f, text);
  return files;
}

export interface Percentiles {
  p50: number;
  p99: number;
  p999: number;
  max: number;
  samples: number;
}

/** Nearest-rank percentiles of nanosecond samples, in microseconds rounded to 0.01. */
export function percentilesUs(ns: ArrayLike<number>): Percentiles {
  const s = Float64Array.from(ns).sort();
  const at = (q: number) => Math.round(s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))] / 10) / 100;
  return { p50: at(0.5), p99: at(0.99), p999: at(0.999), max: at(1), samples: s.length };
}

/** The machine a result was measured on (the `machine` field of every result file). */
export function machine(): Record<string, unknown> {
  const cpu = cpus();
  return {
    cpuModel: cpu[0]?.model ?? "unknown",
    cores: cpu.length,
    bun: Bun.version,
    bunRevision: Bun.revision,
    platform: `${process.platform}-${process.arch}`,
  };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
