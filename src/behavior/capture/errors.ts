import { ApError } from "../../core/errors.ts";

/** A capture file that cannot be opened, written or read (bad header, I/O failure, unsupported version). */
export class CaptureError extends ApError {
  override readonly name = "CaptureError";
}
