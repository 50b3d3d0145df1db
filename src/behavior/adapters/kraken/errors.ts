import { ApError } from "../../../core/errors.ts";

/**
 * Bad or unexpected Kraken input, or a book that stopped agreeing with Kraken's checksum. The collector counts these
 * and carries on; they are thrown only from start-up paths (metadata that cannot be read).
 */
export class KrakenError extends ApError {
  override readonly name = "KrakenError";
}
