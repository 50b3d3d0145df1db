import { ApError } from "../../../core/errors.ts";

/**
 * A strategy input or configuration the strategy cannot use: a malformed book, a pool without metadata, a config
 * value out of range. Frames that raise it are counted and skipped; a strategy never stops on bad input.
 */
export class StrategyError extends ApError {
  override readonly name = "StrategyError";
}
