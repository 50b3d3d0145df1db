import { FrameBuilder } from "../../rules/builder.ts";
import { HEADER_SIZE } from "../../rules/header.ts";
import type { FrameParser } from "../../rules/parser.ts";

/**
 * The bus's own control TLVs, in the experimental range 200-254 of PROTOCOL.md §4 (docs/relay.md describes them).
 * Types 200-207 are reserved for the bus: a relay consumes a frame whose first TLV is one of them and never forwards
 * it. Control frames carry sequence 0 and are outside every publisher's sequence.
 */
export const BusTlv = {
  /** client -> relay, 40 bytes: version u8 (1) · role u8 · pad 6 · type mask 32 bytes (bit t = TLV type t). */
  Subscribe: 200,
  /** client -> relay, optional, same frame as Subscribe: the client's name, UTF-8, 1-64 bytes (logs and stats). */
  ClientName: 201,
  /** relay -> client, 16 bytes: connection_id u32 · role u8 · domain u8 · pad 2 · relay_time_ns u64. */
  Subscribed: 202,
  /** client -> relay, 0 bytes: asks for the relay's stats. */
  StatsRequest: 203,
  /** relay -> client: the stats as UTF-8 JSON (extended form when over 255 bytes). */
  Stats: 204,
} as const;

export const BUS_TLV_MIN = 200;
export const BUS_TLV_MAX = 207;
export const SUBSCRIBE_VERSION = 1;
export const SUBSCRIBE_SIZE = 40;
export const SUBSCRIBED_SIZE = 16;

/** Role bits of a connection. */
export const Role = { None: 0, Publisher: 1, Subscriber: 2, Both: 3 } as const;
export type Role = (typeof Role)[keyof typeof Role];

export function roleName(role: number): string {
  return ["none", "publisher", "subscriber", "both"][role & 3];
}

/** Type of the first TLV of a checked frame (0 when the payload is empty); reads the bytes, allocates nothing. */
export function firstTlvType(frame: Uint8Array): number {
  if (frame.length <= HEADER_SIZE) return 0;
  const t = frame[HEADER_SIZE];
  return t === 255 ? frame[HEADER_SIZE + 2] : t;
}

/** A 256-bit TLV type mask as 8 u32 words; `types` undefined means every type. */
export function typeMask(types?: readonly number[]): Uint32Array {
  const mask = new Uint32Array(8);
  if (types === undefined) mask.fill(0xffffffff);
  else for (const t of types) mask[t >>> 5] |= 1 << (t & 31);
  return mask;
}

export interface SubscribeRequest {
  role: number;
  /** TLV types wanted; undefined = all. */
  types?: readonly number[];
  name?: string;
}

/** The handshake frame a client sends first on every connection. */
export function buildSubscribeFrame(domain: number, source: number, request: SubscribeRequest): Uint8Array {
  const value = new Uint8Array(SUBSCRIBE_SIZE);
  value[0] = SUBSCRIBE_VERSION;
  value[1] = request.role & 3;
  const mask = typeMask(request.types);
  new Uint8Array(value.buffer, 8, 32).set(new Uint8Array(mask.buffer));
  const b = new FrameBuilder({ domain, source, firstSequence: 0 }).begin().addRaw(BusTlv.Subscribe, value);
  if (request.name) b.addRaw(BusTlv.ClientName, new TextEncoder().encode(request.name).subarray(0, 64));
  return b.finish().slice();
}

export function buildStatsRequestFrame(domain: number, source: number): Uint8Array {
  return new FrameBuilder({ domain, source, firstSequence: 0 })
    .begin()
    .addRaw(BusTlv.StatsRequest, new Uint8Array(0))
    .finish()
    .slice();
}

export function buildSubscribedFrame(domain: number, source: number, connectionId: number, role: number): Uint8Array {
  const value = new Uint8Array(SUBSCRIBED_SIZE);
  const dv = new DataView(value.buffer);
  dv.setUint32(0, connectionId, true);
  value[4] = role;
  value[5] = domain;
  dv.setBigUint64(8, BigInt(Date.now()) * 1_000_000n, true);
  return new FrameBuilder({ domain, source, firstSequence: 0 })
    .begin()
    .addRaw(BusTlv.Subscribed, value)
    .finish()
    .slice();
}

export function buildStatsFrame(domain: number, source: number, stats: unknown): Uint8Array {
  const json = new TextEncoder().encode(JSON.stringify(stats));
  return new FrameBuilder({ domain, source, firstSequence: 0 }).begin().addRaw(BusTlv.Stats, json).finish().slice();
}

export interface ParsedSubscribe {
  role: number;
  /** 8 words; all ones = every type. */
  mask: Uint32Array;
  allTypes: boolean;
  name: string;
}

/** Reads a Subscribe frame (already checked by the parser); undefined if its Subscribe TLV is malformed. */
export function parseSubscribe(parser: FrameParser): ParsedSubscribe | undefined {
  let out: ParsedSubscribe | undefined;
  let name = "";
  for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
    if (parser.tlvType === BusTlv.Subscribe) {
      if (parser.tlvLength !== SUBSCRIBE_SIZE) return undefined;
      const v = parser.tlvValue();
      if (v[0] !== SUBSCRIBE_VERSION) return undefined;
      const mask = new Uint32Array(8);
      new Uint8Array(mask.buffer).set(v.subarray(8, 40));
      out = { role: v[1] & 3, mask, allTypes: mask.every((w) => w === 0xffffffff), name: "" };
    } else if (parser.tlvType === BusTlv.ClientName) {
      name = new TextDecoder().decode(parser.tlvValue()).slice(0, 64);
    }
  }
  if (out) out.name = name;
  return out;
}

/** Reads the Subscribed acknowledgement: the connection id the relay gave this client. */
export function parseSubscribed(parser: FrameParser): { connectionId: number; role: number } | undefined {
  if (!parser.firstTlv() || parser.tlvType !== BusTlv.Subscribed || parser.tlvLength !== SUBSCRIBED_SIZE) return;
  const v = parser.tlvValue();
  return { connectionId: new DataView(v.buffer, v.byteOffset, 16).getUint32(0, true), role: v[4] };
}

/** Reads a Stats reply. */
export function parseStats<T = unknown>(parser: FrameParser): T | undefined {
  if (!parser.firstTlv() || parser.tlvType !== BusTlv.Stats) return;
  return JSON.parse(new TextDecoder().decode(parser.tlvValue())) as T;
}
