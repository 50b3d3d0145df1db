import { ApError } from "../../core/errors.ts";

/** A socket, run directory or connection problem of the message bus. */
export class TransportError extends ApError {
  override readonly name = "TransportError";
}
