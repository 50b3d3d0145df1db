/**
 * The captured Polygon days and the pools they come from, for the collector's tests and bench/collector-polygon.ts:
 * file paths, the pools' PoolInfo and the reader of a getLogs capture. No test runtime or venue imports, so the
 * bench can load it.
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { PoolInfo, RpcLog } from "../../../../src/behavior/adapters/polygon/pool-info.ts";
import { InstrumentId } from "../../../../src/data/instrument-id.ts";

export const FIXTURES = join(import.meta.dir, "../../../../fixtures/polygon");
export const V3_DAY = join(FIXTURES, "univ3-usdce-weth-500-0x45dd-2023-11-25.getlogs.jsonl.gz");
export const QUICKSWAP = join(FIXTURES, "quickswap-weth-dai-0x4a35-block13572468.getlogs.jsonl");
export const V3_POOL = "0x45dda9cb7c25131df268515131f647d726f50608";
export const QS_POOL = "0x4a35582a710e1f4b2030a3f826da20bfb6703c09";

/** The Uniswap V3 USDC.e/WETH 0.05% pool of V3_DAY (venue 301). */
export const V3_POOL_INFO: PoolInfo = {
  address: V3_POOL,
  instrument: InstrumentId.pool(301, 137, V3_POOL),
  venue: 301,
  protocol: 3,
  token0: "0x2791bca1f2de4661ed88a30c99a7a9449aa84174",
  token1: "0x7ceb23fd6bc0add59e62ac25578270cff1b9f619",
  decimals0: 6,
  decimals1: 18,
  symbol0: "USDC.e",
  symbol1: "WETH",
  feePpm: 500,
  tickSpacing: 10,
  factory: "0x1f98431c8ad98523631ae4a59f267346ea31f984",
};

/** The logs of a getLogs capture (JSON lines, gzipped when the name ends in .gz). */
export function readLogs(path: string): RpcLog[] {
  const raw = new Uint8Array(readFileSync(path));
  const text = new TextDecoder().decode(path.endsWith(".gz") ? Bun.gunzipSync(raw) : raw);
  return text
    .split("\n")
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as RpcLog);
}
