import { ApError } from "../../core/errors.ts";

/**
 * A bridge problem an operator must act on: a bad [bridge] table, NATS unreachable at start, another bridge on the
 * same run directory. Codes: BridgeConfig, BridgeAlreadyRunning, NatsUnavailable, HistoryUnavailable.
 */
export class BridgeError extends ApError {
  override readonly name = "BridgeError";
}
