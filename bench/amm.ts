/**
 * AMM math throughput: V2 quotes, V3 single steps, V3 multi-tick swaps and optimal-size searches, each next to a
 * baseline measured in the same run (a plain bigint multiply-divide, the floor of any exact quote). Inputs cycle
 * through arrays built before timing so no case is constant-folded; results feed a sink.
 *
 *   bun bench/amm.ts            prints a table, writes bench/results/amm.json
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { MIN_SQRT_RATIO } from "../src/behavior/amm/constants.ts";
import { rawPrice } from "../src/behavior/amm/rawPrice.ts";
import { getOptimalInputV3AgainstPrice } from "../src/behavior/amm/sizing/getOptimalInputV3AgainstPrice.ts";
import { getOptimalInputV3ToV2 } from "../src/behavior/amm/sizing/getOptimalInputV3ToV2.ts";
import { getAmountOut } from "../src/behavior/amm/v2/getAmountOut.ts";
import { getOptimalInputBetweenPools } from "../src/behavior/amm/v2/getOptimalInputBetweenPools.ts";
import { computeSwapStep } from "../src/behavior/amm/v3/computeSwapStep.ts";
import { createV3Pool } from "../src/behavior/amm/v3/createV3Pool.ts";
import { getSqrtRatioAtTick } from "../src/behavior/amm/v3/getSqrtRatioAtTick.ts";
import { initializeV3Pool } from "../src/behavior/amm/v3/initializeV3Pool.ts";
import { mintV3 } from "../src/behavior/amm/v3/mintV3.ts";
import { quoteSwapV3 } from "../src/behavior/amm/v3/quoteSwapV3.ts";
import type { V3Pool } from "../src/behavior/amm/v3/types.ts";

interface Row {
  name: string;
  opsPerSec: number;
  nsPerOp: number;
  baseline: string;
  baselineOpsPerSec: number;
  /** opsPerSec / baselineOpsPerSec */
  ratio: number;
  target?: number;
  meetsTarget?: boolean;
}

let sink = 0n;

/** Runs fn(i) for about `ms` milliseconds after a warm-up; returns operations per second. */
function measure(fn: (i: number) => bigint, ms = 400): number {
  for (let i = 0; i < 20_000; i++) sink ^= fn(i);
  let n = 0;
  let batch = 1000;
  const start = Bun.nanoseconds();
  const deadline = start + ms * 1e6;
  let now = start;
  while (now < deadline) {
    for (let i = 0; i < batch; i++) sink ^= fn(n + i);
    n += batch;
    now = Bun.nanoseconds();
    if (batch < 100_000) batch *= 2;
  }
  return n / ((now - start) / 1e9);
}

/** USDC.e/WETH-like 0.05 % pool (price ~2000) with 40 overlapping positions: 80 initialized ticks within +-1000. */
function layeredPool(): V3Pool {
  const pool = createV3Pool({ fee: 500n, tickSpacing: 10 });
  initializeV3Pool(pool, getSqrtRatioAtTick(200_311));
  for (let i = 0; i < 40; i++) {
    const width = 50 * (1 + (i % 7));
    const centre = 200_310 + 10 * ((i * 53) % 121) - 600;
    mintV3(pool, centre - width, centre + width, 10n ** 17n * BigInt(1 + (i % 4)));
  }
  return pool;
}

export async function benchAmm(): Promise<unknown> {
  const N = 1024;
  const mask = N - 1;
  // V2: QuickSwap-size reserves, inputs from 1e15 to ~1e21 wei
  const amounts = Array.from({ length: N }, (_, i) => 10n ** 15n + BigInt(i) * 7_919_000_000_000_000n);
  const reserveIn = 669013079369666885680n;
  const reserveOut = 1590863616630637399398841n;
  // V3 single steps: real pre-swap states of the Polygon day (USDC.e/WETH 0.05 %)
  const sqrtP = 1736663189734261915999643908203665n;
  const liquidity = 1144008204379143069n;
  const stepAmounts = Array.from({ length: N }, (_, i) => 10n ** 14n + BigInt(i) * 97_000_000_000_000n);
  const target = getSqrtRatioAtTick(200_500);
  // V3 multi-tick: swaps of 10k .. 3.1M USDC.e, crossing 0 to ~12 initialized ticks
  const pool = layeredPool();
  const swapAmounts = Array.from({ length: N }, (_, i) => 10_000n * 10n ** 6n + BigInt(i) * 3_000n * 10n ** 6n);
  let steps = 0;
  let crossed = 0;
  for (const amountSpecified of swapAmounts) {
    const r = quoteSwapV3(pool, { zeroForOne: true, amountSpecified, sqrtPriceLimitX96: MIN_SQRT_RATIO + 1n });
    steps += r.steps;
    crossed += r.ticksCrossed;
  }
  const price = rawPrice({ price: 2100n * 10n ** 8n, priceDecimals: 8, baseDecimals: 18, quoteDecimals: 6 });
  const prices = Array.from({ length: N }, (_, i) => ({
    numerator: price.numerator + BigInt(i) * 10n ** 12n,
    denominator: price.denominator,
  }));
  const v2Pools = Array.from({ length: N }, (_, i) => ({
    a: { reserveIn: 3n * 10n ** 24n, reserveOut: 1500n * 10n ** 18n },
    b: { reserveIn: 1400n * 10n ** 18n + BigInt(i) * 10n ** 16n, reserveOut: 3n * 10n ** 24n },
  }));
  const v2Leg = { reserveIn: 2000n * 10n ** 18n, reserveOut: 4_300_000n * 10n ** 6n };

  // baselines: the same shapes of arithmetic with nothing exact about them
  const mulDivBase = measure((i) => (amounts[i & mask] * 997n * reserveOut) / (reserveIn * 1000n + amounts[i & mask]));
  const mulDiv3Base = measure((i) => {
    const a = stepAmounts[i & mask];
    return ((a * sqrtP) / liquidity + (a * liquidity) / sqrtP) * 3n;
  });

  const rows: Row[] = [];
  const add = (name: string, ops: number, baseline: string, baseOps: number, target?: number) =>
    rows.push({
      name,
      opsPerSec: Math.round(ops),
      nsPerOp: Math.round(1e9 / ops),
      baseline,
      baselineOpsPerSec: Math.round(baseOps),
      ratio: Math.round((ops / baseOps) * 1000) / 1000,
      ...(target === undefined ? {} : { target, meetsTarget: ops >= target }),
    });

  add(
    "V2 getAmountOut",
    measure((i) => getAmountOut(amounts[i & mask], reserveIn, reserveOut)),
    "bigint (a*997*r)/(r*1000+a)",
    mulDivBase,
    5_000_000,
  );
  add(
    "V3 computeSwapStep (exact in, real state)",
    measure((i) => computeSwapStep(sqrtP, target, liquidity, stepAmounts[i & mask], 500n).amountOut),
    "bigint 2 mul-div",
    mulDiv3Base,
    1_000_000,
  );
  add(
    `V3 quoteSwapV3 multi-tick (avg ${(steps / N).toFixed(1)} steps, ${(crossed / N).toFixed(1)} ticks crossed)`,
    measure(
      (i) =>
        quoteSwapV3(pool, {
          zeroForOne: true,
          amountSpecified: swapAmounts[i & mask],
          sqrtPriceLimitX96: MIN_SQRT_RATIO + 1n,
        }).amount1,
    ),
    "bigint 2 mul-div",
    mulDiv3Base,
  );
  add(
    "optimal size V2<->V2 (closed form)",
    measure((i) => getOptimalInputBetweenPools(v2Pools[i & mask].a, v2Pools[i & mask].b).profit),
    "bigint (a*997*r)/(r*1000+a)",
    mulDivBase,
  );
  add(
    "optimal size V3 vs CEX price (marginal price + swap)",
    measure((i) => getOptimalInputV3AgainstPrice(pool, true, prices[i & mask]).profit),
    "bigint 2 mul-div",
    mulDiv3Base,
  );
  add(
    "optimal size V3->V2 (golden-section search)",
    measure((i) => getOptimalInputV3ToV2(pool, true, v2Leg, 10n ** 12n + BigInt(i & mask)).profit, 1500),
    "bigint 2 mul-div",
    mulDiv3Base,
  );

  const result = {
    bench: "amm",
    runtime: `bun ${Bun.version}`,
    cpus: navigator.hardwareConcurrency,
    date: new Date().toISOString(),
    rows,
    sink: String(sink & 1n),
  };
  const table = rows.map((r) => ({
    case: r.name,
    "ops/s": r.opsPerSec.toLocaleString("en-US"),
    "ns/op": r.nsPerOp,
    "x baseline": r.ratio,
    target: r.target === undefined ? "" : `${r.target.toLocaleString("en-US")} ${r.meetsTarget ? "ok" : "MISSED"}`,
  }));
  console.table(table);
  console.log(
    `baselines: bigint (a*997*r)/(r*1000+a) ${Math.round(mulDivBase).toLocaleString("en-US")}/s, bigint 2 mul-div ${Math.round(mulDiv3Base).toLocaleString("en-US")}/s`,
  );
  mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
  writeFileSync(new URL("./results/amm.json", import.meta.url), `${JSON.stringify(result, null, 2)}\n`);
  return result;
}

if (import.meta.main) await benchAmm();
