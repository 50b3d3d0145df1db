import { EncodeError } from "../core/errors.ts";
import { I64_MAX, I64_MIN, U64_MAX, U128_MAX, U256_MAX } from "../core/fixed-point.ts";
import type { Limits } from "../core/limits.ts";
import { InstrumentId } from "../data/instrument-id.ts";
import { camelCase, type FieldSpec, LAYOUT_BY_TYPE, type ListSpec, type TlvLayout } from "../data/tlv-layouts.ts";

/**
 * The TLV layouts of src/data compiled, once at load, into straight-line encoders and decoders (the protobufjs
 * approach: one table is the single source of truth, the generated code has no loop over field descriptors and
 * reads each property monomorphically). `compiledCodec(type).source` shows the generated code for debugging.
 *
 * Encoders refuse values that do not fit (an i64 price above 2^63-1, a u8 of 300...) with an EncodeError naming the
 * field: DataView would otherwise wrap them silently. Decoders return plain objects with camelCase keys.
 */
export interface CompiledTlv {
  readonly layout: TlvLayout;
  /** Value size in bytes for this value (fixed size, or fixed part + list items). */
  size(value: object): number;
  /** Writes the value at `o` (pad bytes zeroed). The caller has checked that `size(value)` bytes are available. */
  write(dv: DataView, u8: Uint8Array, o: number, value: object): void;
  /** Reads a value of `length` bytes at `o`. Structure must have been checked (see checkTlvValue). */
  read(dv: DataView, u8: Uint8Array, o: number, length: number): Record<string, unknown>;
  /** Readers of one list each (book levels, changes, tokens), by list name. */
  readonly readList: Readonly<Record<string, (dv: DataView, u8: Uint8Array, o: number) => Record<string, unknown>[]>>;
  readonly source: string;
}

const INT_RANGES: Record<string, [number, number]> = {
  u8: [0, 0xff],
  u16: [0, 0xffff],
  u32: [0, 0xffffffff],
  i32: [-0x80000000, 0x7fffffff],
};
const BIG_RANGES: Record<string, [bigint, bigint]> = {
  u64: [0n, U64_MAX],
  i64: [I64_MIN, I64_MAX],
  u128: [0n, U128_MAX],
  u256: [0n, U256_MAX],
};
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** Cold path helpers referenced by the generated code. */
const helpers = {
  InstrumentId,
  M64: U64_MAX,
  bad(layout: string, field: string, kind: string, value: unknown): never {
    const shown = typeof value === "bigint" ? `${value}n` : (JSON.stringify(value) ?? String(value));
    let expected: string = kind;
    if (kind in INT_RANGES) expected = `${kind} integer in ${INT_RANGES[kind][0]}..${INT_RANGES[kind][1]} (a number)`;
    if (kind in BIG_RANGES) expected = `${kind} in ${BIG_RANGES[kind][0]}..${BIG_RANGES[kind][1]} (a bigint)`;
    if (kind === "iid") expected = "an InstrumentId";
    if (kind === "iid0") expected = "an InstrumentId or null";
    if (kind === "addr") expected = "0x and 40 hex digits";
    if (kind === "hash") expected = "0x and 64 hex digits";
    if (kind === "list") expected = "an array";
    throw new EncodeError({
      code: "InvalidField",
      message: `${layout}.${field}: expected ${expected}, got ${shown}`,
      facts: { tlv: layout, field, expected, actual: shown },
      hint: "values that do not fit their wire type are refused, never wrapped or rounded",
    });
  },
  writeHex(u8: Uint8Array, o: number, text: unknown, bytes: number, layout: string, field: string): void {
    if (typeof text !== "string" || text.length !== 2 + 2 * bytes || !/^0x[0-9a-fA-F]*$/.test(text)) {
      helpers.bad(layout, field, bytes === 20 ? "addr" : "hash", text);
    }
    for (let i = 0; i < bytes; i++) u8[o + i] = Number.parseInt((text as string).substr(2 + 2 * i, 2), 16);
  },
  readHex(u8: Uint8Array, o: number, bytes: number): string {
    let s = "0x";
    for (let i = 0; i < bytes; i++) s += HEX[u8[o + i]];
    return s;
  },
};

function genWriteField(f: FieldSpec, layoutName: string, base: string, src: string): string {
  const [name, kind, off] = f;
  const key = camelCase(name);
  const at = `${base} + ${off}`;
  const bad = `h.bad(${JSON.stringify(layoutName)}, ${JSON.stringify(name)}, "${kind}", x)`;
  switch (kind) {
    case "u8":
    case "u16":
    case "u32":
    case "i32": {
      const [lo, hi] = INT_RANGES[kind];
      const check = `x = ${src}.${key}; if (typeof x !== "number" || !(x >= ${lo} && x <= ${hi}) || x !== Math.floor(x)) ${bad};`;
      if (kind === "u8") return `${check} u8[${at}] = x;`;
      const setter = { u16: "setUint16", u32: "setUint32", i32: "setInt32" }[kind];
      return `${check} dv.${setter}(${at}, x, true);`;
    }
    case "u64":
    case "i64": {
      const [lo, hi] = BIG_RANGES[kind];
      const setter = kind === "u64" ? "setBigUint64" : "setBigInt64";
      return `x = ${src}.${key}; if (typeof x !== "bigint" || x < ${lo}n || x > ${hi}n) ${bad}; dv.${setter}(${at}, x, true);`;
    }
    case "u128":
    case "u256": {
      const limbs = kind === "u128" ? 2 : 4;
      let s = `x = ${src}.${key}; if (typeof x !== "bigint" || x < 0n || x > ${BIG_RANGES[kind][1]}n) ${bad}; `;
      s += `dv.setBigUint64(${at}, x & M64, true); `;
      for (let i = 1; i < limbs; i++) s += `dv.setBigUint64(${at} + ${8 * i}, (x >> ${64 * i}n) & M64, true); `;
      return s;
    }
    case "iid":
      return `x = ${src}.${key}; if (!(x instanceof IID)) ${bad}; u8.set(x.bytes, ${at});`;
    case "iid0":
      return `x = ${src}.${key}; if (x === null) u8.fill(0, ${at}, ${at} + 32); else { if (!(x instanceof IID)) ${bad}; u8.set(x.bytes, ${at}); }`;
    case "addr":
    case "hash":
      return `h.writeHex(u8, ${at}, ${src}.${key}, ${kind === "addr" ? 20 : 32}, ${JSON.stringify(layoutName)}, ${JSON.stringify(name)});`;
    default:
      return ""; // counts are written from the list lengths
  }
}

function genReadField(f: FieldSpec, base: string): string {
  const [name, kind, off] = f;
  const key = camelCase(name);
  const at = `${base} + ${off}`;
  switch (kind) {
    case "u8":
      return `${key}: u8[${at}]`;
    case "u16":
      return `${key}: dv.getUint16(${at}, true)`;
    case "u32":
      return `${key}: dv.getUint32(${at}, true)`;
    case "i32":
      return `${key}: dv.getInt32(${at}, true)`;
    case "u64":
      return `${key}: dv.getBigUint64(${at}, true)`;
    case "i64":
      return `${key}: dv.getBigInt64(${at}, true)`;
    case "u128":
      return `${key}: dv.getBigUint64(${at}, true) | (dv.getBigUint64(${at} + 8, true) << 64n)`;
    case "u256":
      return `${key}: dv.getBigUint64(${at}, true) | (dv.getBigUint64(${at} + 8, true) << 64n) | (dv.getBigUint64(${at} + 16, true) << 128n) | (dv.getBigUint64(${at} + 24, true) << 192n)`;
    case "iid":
      return `${key}: IID.fromBytes(u8, ${at})`;
    case "iid0":
      return `${key}: isZero(u8, ${at}) ? null : IID.fromBytes(u8, ${at})`;
    case "addr":
      return `${key}: h.readHex(u8, ${at}, 20)`;
    case "hash":
      return `${key}: h.readHex(u8, ${at}, 32)`;
    default:
      return "";
  }
}

/** Byte ranges of the fixed part (or of one list item) not covered by any field: pad, zeroed on write. */
function padBytes(size: number, fields: readonly FieldSpec[]): number[] {
  const width: Record<string, number> = { u8: 1, u16: 2, u32: 4, i32: 4, u64: 8, i64: 8, u128: 16, u256: 32 };
  Object.assign(width, { iid: 32, iid0: 32, addr: 20, hash: 32, count8: 1, count16: 2 });
  const covered = new Uint8Array(size);
  for (const [, kind, off] of fields) covered.fill(1, off, off + width[kind]);
  const pads: number[] = [];
  for (let i = 0; i < size; i++) if (!covered[i]) pads.push(i);
  return pads;
}

/**
 * Zero writes for pad bytes, a run of 4 as one setUint32 and of 2 as one setUint16: a book level's 4 pad bytes
 * cost one store instead of four (OrderBook 10+10 build with the timestamp given: 483 -> 464 ns, min of 9).
 */
function padWrites(pads: number[], base: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < pads.length; ) {
    let run = 1;
    while (i + run < pads.length && pads[i + run] === pads[i] + run) run++;
    let at = pads[i];
    let left = run;
    while (left >= 4) {
      out.push(`dv.setUint32(${base} + ${at}, 0);`);
      at += 4;
      left -= 4;
    }
    if (left >= 2) {
      out.push(`dv.setUint16(${base} + ${at}, 0);`);
      at += 2;
      left -= 2;
    }
    if (left === 1) out.push(`u8[${base} + ${at}] = 0;`);
    i += run;
  }
  return out;
}

function compile(layout: TlvLayout): CompiledTlv {
  const lists = layout.lists ?? [];
  const lines: string[] = [];
  // size()
  let sizeExpr = `${layout.size}`;
  // a missing list counts 0 here so that write() refuses it with an EncodeError naming it, not a TypeError
  for (const l of lists) sizeExpr += ` + ${l.itemSize} * (Array.isArray(v.${l.name}) ? v.${l.name}.length : 0)`;
  const sizeSrc = `function size(v) { return ${sizeExpr}; }`;
  // write()
  lines.push("function write(dv, u8, o, v) {", "  let x;");
  for (const f of layout.fields) {
    const s = genWriteField(f, layout.name, "o", "v");
    if (s) lines.push(`  ${s}`);
  }
  for (const w of padWrites(padBytes(layout.size, layout.fields), "o")) lines.push(`  ${w}`);
  lines.push(`  let p = o + ${layout.size};`);
  for (const l of lists) {
    const countField = layout.fields.find((f) => f[0] === l.count)!;
    const setter = countField[1] === "count8" ? "setUint8" : "setUint16";
    const max = countField[1] === "count8" ? 0xff : 0xffff;
    lines.push(
      `  const ${l.name} = v.${l.name};`,
      `  if (!Array.isArray(${l.name}) || ${l.name}.length > ${max}) h.bad(${JSON.stringify(layout.name)}, "${l.name}", "list", ${l.name});`,
      `  dv.${setter}(o + ${countField[2]}, ${l.name}.length, true);`,
      `  for (let i = 0; i < ${l.name}.length; i++, p += ${l.itemSize}) {`,
      `    const e = ${l.name}[i];`,
    );
    for (const f of l.fields) {
      const s = genWriteField(f, `${layout.name}.${l.name}[]`, "p", "e");
      if (s) lines.push(`    ${s}`);
    }
    for (const w of padWrites(padBytes(l.itemSize, l.fields), "p")) lines.push(`    ${w}`);
    lines.push("  }");
  }
  lines.push("}");
  // read()
  lines.push("function read(dv, u8, o, length) {");
  if (lists.length > 0) lines.push(`  let p = o + ${layout.size};`);
  for (const l of lists) {
    const countField = layout.fields.find((f) => f[0] === l.count)!;
    const getCount =
      countField[1] === "count8" ? `u8[o + ${countField[2]}]` : `dv.getUint16(o + ${countField[2]}, true)`;
    lines.push(
      `  const ${l.name} = new Array(${getCount});`,
      `  for (let i = 0; i < ${l.name}.length; i++, p += ${l.itemSize}) ${l.name}[i] = { ${l.fields
        .map((f) => genReadField(f, "p"))
        .filter(Boolean)
        .join(", ")} };`,
    );
  }
  const props = layout.fields.map((f) => genReadField(f, "o")).filter(Boolean);
  for (const l of lists) props.push(l.name);
  lines.push(`  return { ${props.join(", ")} };`, "}");
  // readList_<name>(): one list alone, skipping the lists before it (used by the lazy views).
  const listReaders: string[] = [];
  lists.forEach((l, index) => {
    const countExpr = (x: ListSpec) => {
      const f = layout.fields.find((g) => g[0] === x.count)!;
      return f[1] === "count8" ? `u8[o + ${f[2]}]` : `dv.getUint16(o + ${f[2]}, true)`;
    };
    let start = `o + ${layout.size}`;
    for (const before of lists.slice(0, index)) start += ` + ${before.itemSize} * ${countExpr(before)}`;
    const item = l.fields
      .map((f) => genReadField(f, "p"))
      .filter(Boolean)
      .join(", ");
    lines.push(
      `function readList_${l.name}(dv, u8, o) {`,
      `  let p = ${start};`,
      `  const out = new Array(${countExpr(l)});`,
      `  for (let i = 0; i < out.length; i++, p += ${l.itemSize}) out[i] = { ${item} };`,
      "  return out;",
      "}",
    );
    listReaders.push(`${l.name}: readList_${l.name}`);
  });
  const source = `${sizeSrc}\n${lines.join("\n")}`;
  const factory = new Function(
    "h",
    `"use strict"; const IID = h.InstrumentId, M64 = h.M64;
     function isZero(u8, o) { for (let i = 0; i < 32; i++) if (u8[o + i] !== 0) return false; return true; }
     ${source}
     return { size, write, read, readList: { ${listReaders.join(", ")} } };`,
  );
  const fns = factory(helpers) as Pick<CompiledTlv, "size" | "write" | "read" | "readList">;
  return { layout, ...fns, source };
}

/**
 * Compiled on first use: a relay only checks frames (checkTlvValue reads the layout tables) and never needs the
 * encoders and decoders, whose generated code costs memory in every process.
 */
const COMPILED: (CompiledTlv | undefined)[] = new Array(256).fill(undefined);

/** The compiled codec of a TLV type number, or undefined for reserved and unknown types. */
export function compiledCodec(type: number): CompiledTlv | undefined {
  const codec = COMPILED[type];
  if (codec !== undefined) return codec;
  const layout = LAYOUT_BY_TYPE[type];
  return layout === undefined ? undefined : (COMPILED[type] = compile(layout));
}

// ---- structural check of a received value (used by the parser; no allocation) ---------------------------------

/** Result codes of checkTlvValue; the parser turns them into PROTOCOL.md §8 errors. */
export const TlvCheck = { Ok: 0, SizeMismatch: 1, TooMany: 2 } as const;

/** Scratch facts of the last failed check (read only right after a failure). */
export const tlvCheckFacts = { expected: 0, actual: 0, count: 0, max: 0, variable: "" };

/**
 * Checks that a value of `length` bytes at `o` has the exact size its layout requires, and that list counts are
 * within the runtime limits. Fixed layouts: length === size. Lists: length === fixed + items, counts <= limits.
 */
export function checkTlvValue(layout: TlvLayout, dv: DataView, o: number, length: number, limits: Limits): number {
  const lists = layout.lists;
  if (lists === undefined) {
    if (length === layout.size) return TlvCheck.Ok;
    tlvCheckFacts.expected = layout.size;
    tlvCheckFacts.actual = length;
    return TlvCheck.SizeMismatch;
  }
  if (length < layout.size) {
    tlvCheckFacts.expected = layout.size;
    tlvCheckFacts.actual = length;
    return TlvCheck.SizeMismatch;
  }
  let expected = layout.size;
  for (let i = 0; i < lists.length; i++) {
    const l = lists[i];
    const count = countOf(layout, l, dv, o);
    const max =
      l.limit === "levels"
        ? limits.maxOrderLevels
        : l.limit === "tokens"
          ? limits.maxPoolTokens
          : 2 * limits.maxOrderLevels;
    if (count > max) {
      tlvCheckFacts.count = count;
      tlvCheckFacts.max = max;
      tlvCheckFacts.variable = l.limit === "tokens" ? "ALPHAPULSE_MAX_POOL_TOKENS" : "ALPHAPULSE_MAX_ORDER_LEVELS";
      return TlvCheck.TooMany;
    }
    expected += l.itemSize * count;
  }
  if (length === expected) return TlvCheck.Ok;
  tlvCheckFacts.expected = expected;
  tlvCheckFacts.actual = length;
  return TlvCheck.SizeMismatch;
}

function countOf(layout: TlvLayout, list: ListSpec, dv: DataView, o: number): number {
  for (const f of layout.fields) {
    if (f[0] === list.count) return f[1] === "count8" ? dv.getUint8(o + f[2]) : dv.getUint16(o + f[2], true);
  }
  return 0;
}
