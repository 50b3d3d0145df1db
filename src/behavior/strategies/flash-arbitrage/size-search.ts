import { maximizeProfit } from "../../amm/sizing/maximizeProfit.ts";

/** A profit far below any real one: what an infeasible size is worth, so searches walk away from it. */
export const NO_PROFIT = -(1n << 200n);

export interface SizedProfit {
  /** Steps (lots or input steps); 0 when nothing is profitable. */
  steps: bigint;
  profit: bigint;
}

/**
 * Best number of steps in [1, maxSteps] for a profit function of the steps. The exact profit of a CEX-DEX or
 * DEX-DEX trade is concave in its size (each AMM leg is concave, a walked book is piecewise linear and concave),
 * up to the floors of integer amounts. So: if one step does not pay, none does (a concave f with f(0) = 0 has f(n)
 * <= n f(1)); else the integer golden-section search of amm/sizing narrows to a window, then the size walks outward
 * from its answer while it improves, giving up after `refine` non-improving steps in a row (the floors make a
 * plateau a few steps wide around the optimum; ties keep the smaller size).
 */
export function sizeBySteps(profitOf: (steps: bigint) => bigint, maxSteps: bigint, refine: number): SizedProfit {
  if (maxSteps < 1n) return { steps: 0n, profit: 0n };
  const first = profitOf(1n);
  if (first <= 0n) return { steps: 0n, profit: 0n };
  const found = maxSteps > 8n ? maximizeProfit(profitOf, 1n, maxSteps, 8n) : { amountIn: 1n, profit: first };
  let best = found.amountIn;
  let bestProfit = found.profit;
  if (maxSteps <= 8n) {
    for (let s = 2n; s <= maxSteps; s++) {
      const p = profitOf(s);
      if (p > bestProfit) {
        best = s;
        bestProfit = p;
      }
    }
  }
  // walk outward from the search's answer while sizes keep paying more; stop after `refine` steps in a row that do
  // not (the integer floors make a plateau a few steps wide, never wider than that by the tests' brute force)
  for (const dir of [-1n, 1n]) {
    let misses = 0;
    for (let s = best + dir; s >= 1n && s <= maxSteps && misses < refine; s += dir) {
      const p = profitOf(s);
      if (p > bestProfit || (p === bestProfit && s < best)) {
        best = s;
        bestProfit = p;
        misses = 0;
      } else misses++;
    }
  }
  return bestProfit > 0n ? { steps: best, profit: bestProfit } : { steps: 0n, profit: 0n };
}
