import { EncodeError, InstrumentIdError, ProtocolError } from "../core/errors.ts";
import { U64_MAX } from "../core/fixed-point.ts";
import { DEFAULT_LIMITS, type Limits } from "../core/limits.ts";
import { InstrumentId } from "../data/instrument-id.ts";
import { camelCase, type FieldSpec, LAYOUT_BY_TYPE, type TlvLayout } from "../data/tlv-layouts.ts";
import { FrameBuilder } from "./builder.ts";
import { frameChecksum } from "./crc32.ts";
import { diagnose, hex32 } from "./diagnose.ts";
import { ErrorCode } from "./error-codes.ts";
import { FrameParser } from "./parser.ts";

/**
 * The JSON form of a frame: the shape of the `decoded` objects in protocol-vectors.jsonl, printed by
 * `ap decode --json` and read back by `ap encode`. Header bytes are numbers, every 64-bit or wider value (and, as in
 * the vectors, every TLV field) is a decimal string, instruments are canonical text, addresses and hashes 0x hex.
 * decode -> encode reproduces the bytes exactly: the JSON records the TLV form (`extended`), and pad bytes are zero.
 */
export interface FrameJson {
  magic: string;
  domain: number;
  version: number;
  source: number;
  flags: number;
  sequence: string;
  timestamp_ns: string;
  payload_size: number;
  checksum: string;
  checksum_ok: boolean;
  calculated_checksum: string;
  tlvs: TlvJson[];
}

export interface TlvJson {
  type: string;
  type_number: number;
  length: number;
  extended: boolean;
  [field: string]: unknown;
}

/** Decodes one valid frame at `offset` to its JSON form. Throws ProtocolError (with diagnostics) if it is not valid. */
export function frameToJson(bytes: Uint8Array, offset = 0, limits: Limits = DEFAULT_LIMITS): FrameJson {
  const parser = new FrameParser({ limits });
  if (parser.check(bytes, offset) !== ErrorCode.Ok) throw diagnose(parser, limits);
  const tlvs: TlvJson[] = [];
  for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
    const layout = LAYOUT_BY_TYPE[parser.tlvType];
    const head: TlvJson = {
      type: layout?.name ?? "Unknown",
      type_number: parser.tlvType,
      length: parser.tlvLength,
      extended: parser.tlvExtended,
    };
    if (layout === undefined) {
      head.raw = toHex(parser.tlvValue());
    } else {
      let value: Record<string, unknown>;
      try {
        value = parser.readTlv()!;
      } catch (e) {
        if (e instanceof InstrumentIdError) {
          throw new ProtocolError({
            code: "InvalidInstrumentId",
            message: `${layout.name} at offset ${parser.tlvOffset - offset}: ${e.message}`,
            facts: {
              // fromBytes reports the absolute offset in `bytes`; facts are relative to the frame's start
              offset: Number(e.facts.offset ?? 0) - offset,
              reason: String(e.facts.reason ?? ""),
            },
            hint: e.hint,
          });
        }
        throw e;
      }
      Object.assign(head, valueToJson(layout, value));
    }
    tlvs.push(head);
  }
  const hexChecksum = `0x${hex32(parser.checksum)}`;
  return {
    magic: "0xdeadbeef",
    domain: parser.domain,
    version: parser.version,
    source: parser.source,
    flags: parser.flags,
    sequence: parser.sequence.toString(),
    timestamp_ns: parser.timestampNs.toString(),
    payload_size: parser.payloadSize,
    checksum: hexChecksum,
    checksum_ok: true,
    calculated_checksum: `0x${hex32(frameChecksum(bytes, offset, parser.payloadSize))}`,
    tlvs,
  };
}

function fieldsToJson(
  fields: readonly FieldSpec[],
  value: Record<string, unknown>,
  lists: TlvLayout["lists"],
  out: Record<string, unknown>,
): void {
  for (const [name, kind] of fields) {
    if (kind === "count8" || kind === "count16") {
      const list = lists!.find((l) => l.count === name)!;
      out[name] = String((value[list.name] as unknown[]).length);
      continue;
    }
    const v = value[camelCase(name)];
    out[name] = v === null ? null : v instanceof InstrumentId ? v.toString() : String(v);
  }
}

/** A decoded TLV value (camelCase, typed) to its JSON fields (snake_case, strings). */
export function valueToJson(layout: TlvLayout, value: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  fieldsToJson(layout.fields, value, layout.lists, out);
  for (const l of layout.lists ?? []) {
    out[l.name] = (value[l.name] as Record<string, unknown>[]).map((item) => {
      const o: Record<string, unknown> = {};
      fieldsToJson(l.fields, item, undefined, o);
      return o;
    });
  }
  return out;
}

/** JSON fields (snake_case; numbers or decimal strings) to a typed value for the builder. */
export function valueFromJson(
  layout: TlvLayout,
  json: Record<string, unknown>,
  where = layout.name,
): Record<string, unknown> {
  const value = fieldsFromJson(layout.fields, json, where);
  for (const l of layout.lists ?? []) {
    const items = json[l.name];
    if (!Array.isArray(items)) missing(where, l.name, "an array");
    const declared = json[l.count];
    if (declared !== undefined && String(declared) !== String(items.length)) {
      throw new EncodeError({
        code: "InvalidField",
        message: `${where}.${l.count} is ${declared} but ${l.name} has ${items.length} entries`,
        facts: { tlv: where, field: l.count, expected: items.length, actual: String(declared) },
        hint: `omit ${l.count}: it is derived from the array`,
      });
    }
    value[l.name] = items.map((item, i) =>
      fieldsFromJson(l.fields, item as Record<string, unknown>, `${where}.${l.name}[${i}]`),
    );
  }
  return value;
}

function fieldsFromJson(
  fields: readonly FieldSpec[],
  json: Record<string, unknown>,
  where: string,
): Record<string, unknown> {
  if (json === null || typeof json !== "object") missing(where, "(value)", "an object");
  const out: Record<string, unknown> = {};
  for (const [name, kind] of fields) {
    if (kind === "count8" || kind === "count16") continue;
    const raw = json[name];
    const key = camelCase(name);
    switch (kind) {
      case "u8":
      case "u16":
      case "u32":
      case "i32":
        out[key] = integerFromJson(raw, where, name, false);
        break;
      case "u64":
      case "i64":
      case "u128":
      case "u256":
        out[key] = integerFromJson(raw, where, name, true);
        break;
      case "iid":
      case "iid0":
        if (raw === null && kind === "iid0") out[key] = null;
        else if (typeof raw === "string") out[key] = InstrumentId.parse(raw);
        else
          missing(
            where,
            name,
            kind === "iid0" ? "instrument text or null" : "instrument text like kraken:spot:BTC/USD",
          );
        break;
      default:
        if (typeof raw !== "string") missing(where, name, "0x hex text");
        out[key] = (raw as string).toLowerCase();
    }
  }
  return out;
}

function integerFromJson(raw: unknown, where: string, name: string, big: boolean): number | bigint {
  let text: string;
  if (typeof raw === "string") text = raw;
  else if (typeof raw === "number" && Number.isSafeInteger(raw)) text = String(raw);
  else return missing(where, name, "an integer (decimal string, or a JSON number below 2^53)");
  if (!/^-?\d+$/.test(text)) return missing(where, name, `an integer, got ${JSON.stringify(raw)}`);
  return big ? BigInt(text) : Number(text);
}

/** A header u64 (sequence, timestamp_ns): refused outside 0..2^64-1 instead of being wrapped by DataView. */
function u64FromJson(raw: unknown, name: string): bigint {
  const value = integerFromJson(raw, "frame", name, true) as bigint;
  if (value < 0n || value > U64_MAX) missing("frame", name, `a u64 in 0..${U64_MAX}, got ${value}`);
  return value;
}

function missing(where: string, field: string, expected: string): never {
  throw new EncodeError({
    code: "InvalidField",
    message: `${where}.${field}: expected ${expected}`,
    facts: { tlv: where, field, expected },
    hint: "the input shape is what `ap decode --json` prints",
  });
}

/**
 * Builds a frame from its JSON form. Header fields default to: version 1, flags 0, sequence 1, timestamp_ns now.
 * magic, payload_size and the checksums in the input are ignored: they are always recomputed.
 */
export function jsonToFrame(
  json: Partial<FrameJson> & { tlvs: TlvJson[] },
  limits: Limits = DEFAULT_LIMITS,
): Uint8Array {
  if (json === null || typeof json !== "object" || !Array.isArray(json.tlvs))
    missing("frame", "tlvs", "an array of TLVs");
  if (json.version !== undefined && json.version !== 1) {
    throw new EncodeError({
      code: "UnsupportedVersion",
      message: `version ${json.version}`,
      facts: { found: json.version, supported: 1 },
    });
  }
  const sequence = json.sequence === undefined ? 1n : u64FromJson(json.sequence, "sequence");
  const builder = new FrameBuilder({
    domain: Number(json.domain ?? 0),
    source: Number(json.source ?? 91),
    limits,
    firstSequence: sequence > BigInt(Number.MAX_SAFE_INTEGER) ? 0 : Number(sequence), // larger: written below
  });
  const ts = json.timestamp_ns === undefined ? undefined : u64FromJson(json.timestamp_ns, "timestamp_ns");
  builder.begin(ts, Number(json.flags ?? 0));
  json.tlvs.forEach((tlv, i) => {
    const typeNumber = Number(tlv.type_number ?? LAYOUT_BY_NAME.get(String(tlv.type))?.type);
    const layout = LAYOUT_BY_TYPE[typeNumber];
    if (typeof tlv.raw === "string") {
      builder.addRaw(typeNumber, fromHex(tlv.raw), tlv.extended === true);
    } else if (layout === undefined) {
      missing(
        `tlvs[${i}]`,
        "type_number",
        `a known TLV type or a "raw" hex value (got ${tlv.type_number ?? tlv.type})`,
      );
    } else {
      const value = valueFromJson(layout, tlv, `tlvs[${i}] ${layout.name}`);
      builder.add(layout.name as never, value as never, tlv.extended === true);
    }
  });
  const frame = builder.finish().slice();
  // sequence above 2^53 is rare (replayed captures); write it exactly and re-seal the checksum.
  if (sequence > BigInt(Number.MAX_SAFE_INTEGER)) {
    const dv = new DataView(frame.buffer);
    dv.setBigUint64(8, sequence, true);
    dv.setUint32(28, frameChecksum(frame, 0, frame.length - 32), true);
  }
  return frame;
}

const LAYOUT_BY_NAME = new Map(LAYOUT_BY_TYPE.filter((l): l is TlvLayout => l !== undefined).map((l) => [l.name, l]));

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));
export function toHex(bytes: Uint8Array): string {
  let s = "";
  for (let i = 0; i < bytes.length; i++) s += HEX[bytes[i]];
  return s;
}

/** Hex text (optional 0x, whitespace ignored) to bytes; throws EncodeError on odd length or non-hex. */
export function fromHex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "").replace(/^0x/i, "");
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean)) {
    const bad = clean.search(/[^0-9a-fA-F]/);
    throw new EncodeError({
      code: "BadHex",
      message:
        bad >= 0
          ? `"${clean[bad]}" at position ${bad} is not a hex digit`
          : `odd number of hex digits (${clean.length})`,
      facts: { length: clean.length, position: bad >= 0 ? bad : undefined },
      hint: "give pairs of hex digits; a 0x prefix and whitespace are allowed",
    });
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(clean.substr(2 * i, 2), 16);
  return out;
}
