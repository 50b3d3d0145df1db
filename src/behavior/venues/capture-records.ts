import { readFileSync } from "node:fs";

/**
 * Venue captures (shared/captures/SOURCES.md "Common record format"): one JSON object per line with recv_ns (decimal
 * string or null), kind (ws, ws_out, ws_open, rest), url and raw (the frame or body text exactly as recorded).
 * `.gz` files are gunzipped. raw stays text: Kraken ids exceed 2^53 and v2 number literals matter for checksums.
 */
export interface CaptureRecord {
  /** Receive time in ns since the epoch, or null where the source had none. */
  recvNs: bigint | null;
  kind: "ws" | "ws_out" | "ws_open" | "rest";
  url?: string;
  raw: string;
  /** Line number in the file (1-based), for error messages. */
  line: number;
}

export function loadCaptureRecords(path: string): CaptureRecord[] {
  const raw = new Uint8Array(readFileSync(path));
  const bytes = path.endsWith(".gz") ? Bun.gunzipSync(raw) : raw;
  const text = new TextDecoder().decode(bytes);
  const out: CaptureRecord[] = [];
  let line = 0;
  for (const row of text.split("\n")) {
    line++;
    if (!row.trim()) continue;
    const r = JSON.parse(row) as { recv_ns: string | null; kind: CaptureRecord["kind"]; url?: string; raw?: string };
    out.push({
      recvNs: r.recv_ns === null ? null : BigInt(r.recv_ns),
      kind: r.kind,
      url: r.url,
      raw: r.raw ?? "",
      line,
    });
  }
  return out;
}

/** Speed of a replay: a factor (1 = recorded pace, 10 = ten times faster) or Infinity for as fast as possible. */
export function parseSpeed(text: string): number {
  if (text === "max") return Number.POSITIVE_INFINITY;
  const m = /^(\d+(?:\.\d+)?)x?$/.exec(text);
  if (!m || Number(m[1]) <= 0) throw new Error(`speed "${text}" is not like 1x, 10x, 0.5x or max`);
  return Number(m[1]);
}

/**
 * Plays records at their recorded spacing divided by `speed` (records without a time get `defaultGapMs`), calling
 * `emit` for each; resolves when all are played or `signal` aborts. Timing is from a monotonic clock measured against
 * the start, so delays never accumulate drift. Speed Infinity yields to the event loop every `batch` records only.
 */
export async function playRecords<T extends { recvNs: bigint | null }>(
  records: readonly T[],
  speed: number,
  emit: (record: T, index: number) => void | Promise<void>,
  options: { signal?: AbortSignal /** whole milliseconds */; defaultGapMs?: number; batch?: number } = {},
): Promise<void> {
  const gapNs = BigInt(Math.trunc(options.defaultGapMs ?? 10)) * 1_000_000n;
  const batch = options.batch ?? 256;
  const start = Bun.nanoseconds();
  let first: bigint | undefined;
  let synthetic = 0n;
  for (let i = 0; i < records.length; i++) {
    if (options.signal?.aborted) return;
    const r = records[i];
    if (Number.isFinite(speed)) {
      let offsetNs: bigint;
      if (r.recvNs === null) offsetNs = synthetic += gapNs;
      else {
        first ??= r.recvNs;
        offsetNs = r.recvNs - first;
      }
      const dueMs = Number(offsetNs / 1000n) / 1000 / speed;
      const waitMs = dueMs - (Bun.nanoseconds() - start) / 1e6;
      if (waitMs > 1) await new Promise((resolve) => setTimeout(resolve, waitMs));
    } else if (i % batch === batch - 1) {
      await new Promise((resolve) => setImmediate(resolve));
    }
    await emit(r, i);
  }
}
