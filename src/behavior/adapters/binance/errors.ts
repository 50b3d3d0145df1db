import { ApError } from "../../../core/errors.ts";

/** A Binance message or REST body that cannot be read exactly (malformed text, more than 8 decimals). */
export class BinanceParseError extends ApError {
  override readonly name = "BinanceParseError";
}

/** A REST call that failed: HTTP status, rate limit (429/418 with Retry-After) or transport error. */
export class BinanceRestError extends ApError {
  override readonly name = "BinanceRestError";
}
