import { mkdirSync, writeFileSync } from "node:fs";
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
