import { ApError } from "../../core/errors.ts";

/** A backtest that cannot run: bad input file, no market data, an option out of range. */
export class BacktestError extends ApError {
  override readonly name = "BacktestError";
}
