import { ApError, type ApErrorParams } from "../../../core/errors.ts";

/**
 * What a failed venue request means for the order, the nautilus_trader distinction:
 * - "rejected": the venue answered and refused (bad order, bad signature, insufficient funds). Definitive: the order
 *   does not exist. Sending the same request again would be refused again.
 * - "retry_safe": the venue certainly did not act (rate limited, nonce out of order, connection refused before a byte
 *   was sent). The same request may be sent again.
 * - "outcome_unknown": the request may have reached the venue and its answer was lost (timeout, connection reset,
 *   5xx on a state-changing call). Never resent: resolved by querying the venue by our client order id / userref.
 */
export type CexOutcome = "rejected" | "retry_safe" | "outcome_unknown";

export interface CexErrorParams extends ApErrorParams {
  venue: string;
  /** The venue's own error text (Kraken "EAPI:Invalid key", Binance `-2015 Invalid API-key...`). */
  venueError?: string;
  httpStatus?: number;
}

export abstract class CexError extends ApError {
  abstract readonly outcome: CexOutcome;
  readonly venue: string;
  readonly venueError: string | undefined;
  readonly httpStatus: number | undefined;

  constructor(params: CexErrorParams) {
    super({
      ...params,
      facts: { venue: params.venue, venue_error: params.venueError, http_status: params.httpStatus, ...params.facts },
    });
    this.venue = params.venue;
    this.venueError = params.venueError;
    this.httpStatus = params.httpStatus;
  }

  get retrySafe(): boolean {
    return this.outcome === "retry_safe";
  }
}

/** The venue answered and refused the request. */
export class VenueRejectedError extends CexError {
  override readonly name = "VenueRejectedError";
  readonly outcome = "rejected" as const;
}

/** The venue did not act on the request; sending it again is safe. */
export class RetrySafeError extends CexError {
  override readonly name = "RetrySafeError";
  readonly outcome = "retry_safe" as const;
  /** How long the venue asks us to wait (Retry-After, rate counter), ms; 0 when unknown. */
  readonly retryAfterMs: number;

  constructor(params: CexErrorParams & { retryAfterMs?: number }) {
    super(params);
    this.retryAfterMs = params.retryAfterMs ?? 0;
  }
}

/** The request may have been acted on; its answer was lost. Resolve by query, never by resending. */
export class OutcomeUnknownError extends CexError {
  override readonly name = "OutcomeUnknownError";
  readonly outcome = "outcome_unknown" as const;
}

/** Live CEX execution cannot start: missing keys, --live-cex without keys, an instrument with no venue symbol. */
export class CexConfigError extends ApError {
  override readonly name = "CexConfigError";
}
