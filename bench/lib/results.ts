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
