import { PoolStateError } from "../errors.ts";

export interface ProfitMaximum {
  amountIn: bigint;
  profit: bigint;
  /** profitOf calls made. */
  evaluations: number;
}

/**
 * Integer golden-section search for the input in [lo, hi] that maximises an exact profit function (a chain of
 * exact quotes minus the input). The continuous profit of a chain of AMM swaps is concave (each leg is concave and
 * increasing), hence unimodal; the integer floors of the quotes add wei-level ripples, so the search narrows to a
 * window of `finalWindow` inputs and scans it. About 1.44 * log2((hi - lo) / finalWindow) + finalWindow evaluations.
 */
export function maximizeProfit(
  profitOf: (amountIn: bigint) => bigint,
  lo: bigint,
  hi: bigint,
  finalWindow = 8n,
): ProfitMaximum {
  if (lo < 0n || hi < lo || finalWindow < 2n) {
    throw new PoolStateError({
      code: "InvalidSearchRange",
      message: "search needs 0 <= lo <= hi and a final window of at least 2",
      facts: { lo, hi, finalWindow },
    });
  }
  let evaluations = 0;
  const f = (x: bigint) => {
    evaluations++;
    return profitOf(x);
  };
  // 1/phi as a fraction of 2^64: c = a + (b - a) * INV_PHI_X64 >> 64
  const INV_PHI_X64 = 11400714819323198485n; // floor(2^64 * 0.6180339887498949)
  let a = lo;
  let b = hi;
  let c = b - (((b - a) * INV_PHI_X64) >> 64n);
  let d = a + (((b - a) * INV_PHI_X64) >> 64n);
  let fc = f(c);
  let fd = f(d);
  while (b - a > finalWindow) {
    if (fc >= fd) {
      // maximum in [a, d]
      b = d;
      d = c;
      fd = fc;
      c = b - (((b - a) * INV_PHI_X64) >> 64n);
      fc = c === d ? fd : f(c);
    } else {
      a = c;
      c = d;
      fc = fd;
      d = a + (((b - a) * INV_PHI_X64) >> 64n);
      fd = d === c ? fc : f(d);
    }
  }
  let best = a;
  let bestProfit = f(a);
  for (let x = a + 1n; x <= b; x++) {
    const p = f(x);
    if (p > bestProfit) {
      best = x;
      bestProfit = p;
    }
  }
  return { amountIn: best, profit: bestProfit, evaluations };
}
