import { ApError } from "../../core/errors.ts";

/** A failure of the execution service: bad configuration value, unusable audit log, control path not answering. */
export class ExecutionError extends ApError {
  override readonly name = "ExecutionError";
}

/** `ap audit verify` found a record that is not what the chain says it should be. */
export class AuditChainError extends ApError {
  override readonly name = "AuditChainError";
}
