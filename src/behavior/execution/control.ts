import { FrameBuilder } from "../../rules/builder.ts";
import type { FrameParser } from "../../rules/parser.ts";

/**
 * The kill-switch control TLVs, on the execution relay, in the experimental range (PROTOCOL.md §4 200-254; the bus
 * keeps 200-207, docs/relay.md). Any process on the execution relay may send them (the run directory is private to
 * the user); the engine answers each with a CircuitBreaker frame (scope global, reason manual): state 1 for Halt,
 * state 2 for Resume. docs/execution.md "Halt and resume".
 */
export const ControlTlv = {
  /** value: the reason, UTF-8, 0-255 bytes. */
  Halt: 208,
  /** value: 1 byte, 0 = clear the kill switch, 1 = also reset every other tripped breaker. */
  Resume: 209,
} as const;

export function buildHaltFrame(reason: string, source = 91): Uint8Array {
  const bytes = new TextEncoder().encode(reason);
  const value = bytes.length > 255 ? bytes.subarray(0, 255) : bytes;
  return new FrameBuilder({ domain: 3, source }).begin().addRaw(ControlTlv.Halt, value).finish().slice();
}

export function buildResumeFrame(all: boolean, source = 91): Uint8Array {
  return new FrameBuilder({ domain: 3, source })
    .begin()
    .addRaw(ControlTlv.Resume, Uint8Array.of(all ? 1 : 0))
    .finish()
    .slice();
}

/** The halt reason of the parser's current TLV (a Halt TLV). */
export function readHaltReason(parser: FrameParser): string {
  return new TextDecoder("utf-8", { fatal: false }).decode(parser.tlvValue());
}
