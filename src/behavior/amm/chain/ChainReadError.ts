import { ApError } from "../../../core/errors.ts";

/**
 * A contract read for pool state that failed or returned data that cannot be used. `code`:
 * - `ChainReadFailed`: the eth_call (or the multicall carrying it) failed; `facts.call` names the call, e.g.
 *   `ticks(-887270)`, `facts.cause` is the RPC's or viem's short message.
 * - `TickDataInconsistent`: a bit set in tickBitmap whose ticks(tick) is not initialized, which one block's state
 *   never shows: the reads were not all served at the same block (a load-balanced RPC ignoring the block number).
 * - `ChainMismatch`: the pool's InstrumentId names another chain than the client's.
 * - `PoolNotInitialized`: slot0.sqrtPriceX96 is 0 at that block.
 * `facts.pool` and `facts.blockNumber` are always there.
 */
export class ChainReadError extends ApError {
  override readonly name = "ChainReadError";
}
