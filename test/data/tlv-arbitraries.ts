import fc from "fast-check";
import { I64_MAX, I64_MIN, U64_MAX, U128_MAX, U256_MAX } from "../../src/core/fixed-point.ts";
import { DEFAULT_LIMITS, type Limits } from "../../src/core/limits.ts";
import { InstrumentId } from "../../src/data/instrument-id.ts";
import {
  camelCase,
  type FieldKind,
  type FieldSpec,
  type ListSpec,
  type TlvLayout,
} from "../../src/data/tlv-layouts.ts";
import { CHAIN_NAME_BY_ID, VENUE_NAME_BY_ID } from "../../src/data/venues.ts";

/**
 * fast-check arbitraries derived from the layout table (src/data/tlv-layouts.ts), shared by the codec suites:
 * every field kind over its full range with the boundaries weighted in, valid InstrumentIds of each kind, lists up
 * to the runtime limits. Also a tiny seeded PRNG for the fuzz and framer suites, where fast-check's shrinking is not
 * needed and speed is.
 */

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
export function hexOf(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}

const SYMBOL_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-_".split("");
export const symbolArb = fc.string({ unit: fc.constantFrom(...SYMBOL_CHARS), minLength: 1, maxLength: 12 });
/** Named venues often (they are written by name), any u16 otherwise (written v<number>). */
export const venueArb = fc.oneof(fc.constantFrom(...VENUE_NAME_BY_ID.keys()), fc.integer({ min: 0, max: 0xffff }));
export const chainArb = fc.oneof(fc.constantFrom(...CHAIN_NAME_BY_ID.keys()), fc.nat({ max: 0xffffffff }));
export const addressArb = fc.uint8Array({ minLength: 20, maxLength: 20 }).map((b) => `0x${hexOf(b)}` as `0x${string}`);
export const hashArb = fc.uint8Array({ minLength: 32, maxLength: 32 }).map((b) => `0x${hexOf(b)}` as `0x${string}`);

export const instrumentIdArb: fc.Arbitrary<InstrumentId> = fc.oneof(
  fc.tuple(venueArb, symbolArb, symbolArb).map(([v, b, q]) => InstrumentId.spot(v, b, q)),
  fc.tuple(venueArb, symbolArb, symbolArb).map(([v, b, q]) => InstrumentId.perp(v, b, q)),
  fc.tuple(venueArb, chainArb, addressArb).map(([v, c, a]) => InstrumentId.pool(v, c, a)),
  fc.tuple(venueArb, chainArb, addressArb).map(([v, c, a]) => InstrumentId.token(v, c, a)),
);

/** Wire range of each integer kind. */
export const INT_RANGE = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u32: [0, 0xffffffff],
  i32: [-0x80000000, 0x7fffffff],
} as const;
export const BIG_RANGE = {
  u64: [0n, U64_MAX],
  i64: [I64_MIN, I64_MAX],
  u128: [0n, U128_MAX],
  u256: [0n, U256_MAX],
} as const;

function bigArb(min: bigint, max: bigint): fc.Arbitrary<bigint> {
  const edges = [min, max, 0n, 1n, U64_MAX, U64_MAX + 1n, U128_MAX, I64_MAX, I64_MAX + 1n, -1n, I64_MIN];
  return fc.oneof(
    { arbitrary: fc.constantFrom(...edges.filter((e) => e >= min && e <= max)), weight: 1 },
    { arbitrary: fc.bigInt({ min, max }), weight: 3 },
  );
}

function intArb(min: number, max: number): fc.Arbitrary<number> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(min, max, 0), weight: 1 },
    { arbitrary: fc.integer({ min, max }), weight: 3 },
  );
}

export function fieldArb(kind: FieldKind): fc.Arbitrary<unknown> {
  switch (kind) {
    case "u8":
    case "u16":
    case "u32":
    case "i32":
      return intArb(INT_RANGE[kind][0], INT_RANGE[kind][1]);
    case "u64":
    case "i64":
    case "u128":
    case "u256":
      return bigArb(BIG_RANGE[kind][0], BIG_RANGE[kind][1]);
    case "iid":
      return instrumentIdArb;
    case "iid0":
      return fc.option(instrumentIdArb, { nil: null });
    case "addr":
      return addressArb;
    case "hash":
      return hashArb;
    default:
      throw new Error(`no arbitrary for ${kind}: counts are derived from the lists`);
  }
}

/** Most entries a list may carry under `limits` (PROTOCOL.md §7). */
export function listLimit(list: ListSpec, limits: Limits = DEFAULT_LIMITS): number {
  if (list.limit === "levels") return limits.maxOrderLevels;
  if (list.limit === "tokens") return limits.maxPoolTokens;
  return 2 * limits.maxOrderLevels;
}

function fieldsArb(fields: readonly FieldSpec[]): Record<string, fc.Arbitrary<unknown>> {
  const rec: Record<string, fc.Arbitrary<unknown>> = {};
  for (const [name, kind] of fields) if (kind !== "count8" && kind !== "count16") rec[camelCase(name)] = fieldArb(kind);
  return rec;
}

/** A typed value of `layout` (camelCase keys), lists of 0..limit entries. */
export function tlvValueArb(
  layout: TlvLayout,
  options: { limits?: Limits; maxItems?: number } = {},
): fc.Arbitrary<Record<string, unknown>> {
  const rec = fieldsArb(layout.fields);
  for (const l of layout.lists ?? []) {
    const maxLength = Math.min(listLimit(l, options.limits), options.maxItems ?? Number.POSITIVE_INFINITY);
    rec[l.name] = fc.array(fc.record(fieldsArb(l.fields)), { maxLength, size: "max" });
  }
  return fc.record(rec);
}

/** A value of `layout` with every field at the low (`"min"`) or high (`"max"`) end of its wire range. */
export function boundaryValue(
  layout: TlvLayout,
  end: "min" | "max",
  id: InstrumentId,
  items = 1,
): Record<string, unknown> {
  const fill = (fields: readonly FieldSpec[]) => {
    const out: Record<string, unknown> = {};
    for (const [name, kind] of fields) {
      const i = end === "min" ? 0 : 1;
      if (kind in INT_RANGE) out[camelCase(name)] = INT_RANGE[kind as keyof typeof INT_RANGE][i];
      else if (kind in BIG_RANGE) out[camelCase(name)] = BIG_RANGE[kind as keyof typeof BIG_RANGE][i];
      else if (kind === "iid") out[camelCase(name)] = id;
      else if (kind === "iid0") out[camelCase(name)] = end === "min" ? null : id;
      else if (kind === "addr") out[camelCase(name)] = `0x${(end === "min" ? "00" : "ff").repeat(20)}`;
      else if (kind === "hash") out[camelCase(name)] = `0x${(end === "min" ? "00" : "ff").repeat(32)}`;
    }
    return out;
  };
  const value = fill(layout.fields);
  for (const l of layout.lists ?? []) value[l.name] = Array.from({ length: items }, () => fill(l.fields));
  return value;
}

/** Replaces InstrumentIds by their canonical text so values compare structurally (ids cache their text lazily). */
export function comparable(value: unknown): unknown {
  if (value instanceof InstrumentId) return `iid:${value.toString()}:${hexOf(value.bytes)}`;
  if (Array.isArray(value)) return value.map(comparable);
  if (value !== null && typeof value === "object") {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = comparable(v);
    return out;
  }
  return value;
}

/** mulberry32: a small, fast, seeded PRNG (uint32 per call), so fuzz failures reproduce from the printed seed. */
export function prng(seed: number): { u32(): number; below(n: number): number; bytes(n: number): Uint8Array } {
  let a = seed >>> 0;
  const u32 = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
  return {
    u32,
    below: (n: number) => (n <= 0 ? 0 : u32() % n),
    bytes: (n: number) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i++) out[i] = u32() & 0xff;
      return out;
    },
  };
}
