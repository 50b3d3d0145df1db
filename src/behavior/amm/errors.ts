import { ApError, type ApErrorParams } from "../../core/errors.ts";

/**
 * Reverts of the Uniswap contracts as typed errors. `reason` is the contract's revert string ("SPL", "LOK",
 * "UniswapV2Library: INSUFFICIENT_LIQUIDITY") or, where the contract reverts without one, the failed `require`
 * written out (e.g. "require(sqrtPX96 > quotient)"), so a reader can find the line in the Solidity source.
 */
export class AmmRevertError extends ApError {
  override readonly name: string = "AmmRevertError";
  readonly reason: string;
  constructor(reason: string, params: ApErrorParams) {
    super(params);
    this.reason = reason;
  }
}

/** A revert of Uniswap V3 core (UniswapV3Pool.sol and its libraries). code = "UniswapV3:<reason>". */
export class V3RevertError extends AmmRevertError {
  override readonly name = "V3RevertError";
}

/** A revert of Uniswap V2 (UniswapV2Library.sol, UniswapV2Pair.sol). code = "UniswapV2:<short reason>". */
export class V2RevertError extends AmmRevertError {
  override readonly name = "V2RevertError";
}

/**
 * A V3 swap needs a tick-bitmap word that was never loaded. Not a revert: the caller loads the word with a
 * TickDataLoader (src/behavior/amm/state) and runs the swap again.
 */
export class TickDataMissingError extends ApError {
  override readonly name = "TickDataMissingError";
  readonly wordPos: number;
  constructor(wordPos: number, tick: number) {
    super({
      code: "TickDataMissing",
      message: `tick bitmap word ${wordPos} is not loaded`,
      facts: { wordPos, tick },
      likelyCause: "the swap walks past the ticks loaded for this pool",
      hint: "load the word (and its initialized ticks) with the pool's TickDataLoader, then quote again",
    });
    this.wordPos = wordPos;
  }
}

/** An event or snapshot that the pool state cannot take (wrong pool, wrong protocol, unusable values). */
export class PoolStateError extends ApError {
  override readonly name = "PoolStateError";
}

/**
 * Helper for the V3 libraries: one line per revert site. Where the contract has a revert string the reason is that
 * string; where it reverts without one (a bare `require`, a checked cast, FullMath's overflow) the reason is one of our
 * tags below and `facts.solidity` names the failed check:
 * MULDIV_OVERFLOW (FullMath result >= 2^256 or denominator 0), PRICE_ZERO, LIQUIDITY_ZERO, PRICE_OVERFLOW
 * (SqrtPriceMath add branch), OUTPUT_TOO_LARGE (output >= virtual reserves), CAST_OVERFLOW (SafeCast), TICK_SPACING
 * (TickBitmap.flipTick), AMOUNT_ZERO (mint/burn of 0).
 */
export function v3Revert(reason: string, message: string, facts: ApErrorParams["facts"], hint?: string): V3RevertError {
  return new V3RevertError(reason, { code: `UniswapV3:${reason}`, message, facts, hint });
}
