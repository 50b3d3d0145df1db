import { readFileSync } from "node:fs";
import { gunzipSync } from "node:zlib";

const ROOT = new URL("../../../fixtures/", import.meta.url);

/** A JSON fixture under fixtures/ (copied from the shared captures; see docs/amm.md). */
export function readFixtureJson<T = unknown>(path: string): T {
  return JSON.parse(readFileSync(new URL(path, ROOT), "utf8")) as T;
}

/** A JSON-lines fixture, gunzipped when the name ends in .gz. */
export function readFixtureJsonl<T = unknown>(path: string): T[] {
  const raw = readFileSync(new URL(path, ROOT));
  const text = path.endsWith(".gz") ? gunzipSync(raw).toString("utf8") : raw.toString("utf8");
  return text
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as T);
}
