import { FrameBuilder } from "../../rules/builder.ts";
import type { FrameParser } from "../../rules/parser.ts";
import type { ServiceStatus } from "../supervisor/supervisor.ts";

/**
 * The dashboard's own frame to the browser (docs/dashboard.md "The status frame"): header domain 4 (system), source
 * 60 (dashboard), one TLV of type 240 in the experimental range (PROTOCOL.md §4 200-254; 200-207 belong to the bus,
 * 208-209 to the execution kill switch) whose value is UTF-8 JSON, extended form when over 255 bytes. It never
 * travels on a relay: only the dashboard's WebSocket carries it. Pure: bundled into the page too.
 */
export const DASHBOARD_STATUS_TLV = 240;

/** Largest JSON value: the extended TLV length is a u16. */
export const MAX_STATUS_BYTES = 65_535;

/** One row of the supervisor's table (`ap status --json`), as the dashboard forwards it. */
export type ServiceRow = ServiceStatus;

export interface DashboardStatus {
  /** Dashboard clock, ms since the epoch (Number: a time, not money). */
  at_ms: number;
  /** null when no supervisor answers on <runDir>/supervisor.sock (a dashboard started by hand). */
  supervisor: { pid: number; services: ServiceRow[] } | null;
  /** BusClient state per relay: connecting, handshaking, ready, backoff. */
  relays: Record<string, string>;
  dashboard: {
    frames_in: number;
    frames_out: number;
    /** Frames replaced by a newer one of the same instrument before they were sent (throttling). */
    coalesced: number;
    /** Signal/execution frames over the per-tick cap, not sent. */
    shed: number;
    /** Relay bytes the framer skipped, and frames the dashboard could not use. */
    bad_frames: number;
    clients: number;
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

/**
 * Builds the status frame. A status whose JSON is over 64 KiB drops the service rows' last_error texts, then the
 * rows themselves, rather than failing (the rest of the status is a few hundred bytes).
 */
export function buildStatusFrame(
  status: DashboardStatus,
  builder = new FrameBuilder({ domain: 4, source: 60 }),
): Uint8Array {
  let bytes = encoder.encode(JSON.stringify(status));
  if (bytes.length > MAX_STATUS_BYTES && status.supervisor) {
    const services = status.supervisor.services.map((s) => ({ ...s, last_error: null }));
    bytes = encoder.encode(JSON.stringify({ ...status, supervisor: { ...status.supervisor, services } }));
    if (bytes.length > MAX_STATUS_BYTES) {
      bytes = encoder.encode(JSON.stringify({ ...status, supervisor: { ...status.supervisor, services: [] } }));
    }
  }
  return builder.begin().addRaw(DASHBOARD_STATUS_TLV, bytes).finish().slice();
}

/** The status in the parser's current TLV (type 240); undefined when its bytes are not UTF-8 JSON of an object. */
export function readStatus(parser: FrameParser): DashboardStatus | undefined {
  try {
    const v = JSON.parse(decoder.decode(parser.tlvValue())) as unknown;
    return v !== null && typeof v === "object" ? (v as DashboardStatus) : undefined;
  } catch {
    return undefined;
  }
}
