import { ApError, type ApErrorParams } from "../../../core/errors.ts";

/**
 * A failure of on-chain execution. `retrySafe` is the one fact a caller must never guess:
 * - true: nothing reached the chain (refused before signing, simulation reverted, the RPC refused the transaction
 *   with an answer): the same signal may be tried again.
 * - false: see OutcomeUnknownError.
 */
export class OnchainError extends ApError {
  override readonly name: string = "OnchainError";
  readonly retrySafe: boolean;

  constructor(params: ApErrorParams & { retrySafe?: boolean }) {
    super(params);
    this.retrySafe = params.retrySafe ?? true;
  }
}

/**
 * A signed transaction was handed to an endpoint and no answer came back (timeout, connection lost after the
 * request was written): it may be in a mempool or a block. Its hash is known (signed locally), so it is tracked
 * until a receipt or a conflicting nonce resolves it; it is never sent again as a new transaction.
 */
export class OutcomeUnknownError extends OnchainError {
  override readonly name = "OutcomeUnknownError";
  readonly hash: `0x${string}`;
  readonly nonce: number;

  constructor(params: ApErrorParams & { hash: `0x${string}`; nonce: number }) {
    super({ ...params, retrySafe: false });
    this.hash = params.hash;
    this.nonce = params.nonce;
  }
}
