import { PoolStateError, TickDataMissingError } from "../errors.ts";
import { quoteSwapV3 } from "../v3/quoteSwapV3.ts";
import type { SwapV3Params, SwapV3Result } from "../v3/runSwapV3.ts";
import { applyTickWords } from "./applyTickWords.ts";
import type { TickDataLoader } from "./TickDataLoader.ts";
import type { V3PoolState } from "./types.ts";

/**
 * Quotes a swap on a tracked V3 pool, loading missing bitmap words on demand: each TickDataMissingError names the
 * word the walk needs; it is loaded and the quote runs again (at most maxLoads words).
 */
export async function quotePoolSwapV3(
  state: V3PoolState,
  loader: TickDataLoader,
  params: SwapV3Params,
  maxLoads = 16,
): Promise<SwapV3Result> {
  if (!state.ready) {
    throw new PoolStateError({
      code: "PoolNotReady",
      message: "pool state needs a snapshot or a Swap event first",
      facts: { pool: state.pool.toString(), removedEvents: state.removedEvents },
    });
  }
  for (let loads = 0; ; loads++) {
    try {
      return quoteSwapV3(state.v3, params);
    } catch (e) {
      if (!(e instanceof TickDataMissingError) || loads >= maxLoads) throw e;
      applyTickWords(state, await loader.loadTickWords({ pool: state.pool, wordPositions: [e.wordPos] }));
    }
  }
}
