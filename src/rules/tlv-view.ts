import { InstrumentId } from "../data/instrument-id.ts";
import { camelCase, type FieldSpec, LAYOUTS, type TlvName, type TlvValues } from "../data/tlv-layouts.ts";
import type { FrameParser } from "./parser.ts";
import { compiledCodec } from "./tlv-codec.ts";

/**
 * Lazy, reusable views over a TLV value in the received bytes: a getter decodes its one field when read, nothing is
 * copied, and one view object serves every message (bind it to the parser's current TLV).
 *
 *   const trade = tlvView("Trade");
 *   for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv())
 *     if (parser.tlvType === TlvType.Trade) total += trade.bind(parser).size;   // reads 8 bytes, nothing else
 *
 * List fields (book levels, changes, tokens) decode the whole list when read.
 */
export type TlvView<K extends TlvName> = Readonly<TlvValues[K]> & {
  /** Points the view at the parser's current TLV (which must be of this view's type). */
  bind(parser: FrameParser): TlvView<K>;
};

class BaseView {
  dv: DataView = new DataView(new ArrayBuffer(0));
  u8: Uint8Array = new Uint8Array(0);
  o = 0;
  len = 0;
  bind(parser: FrameParser): this {
    this.dv = parser.view;
    this.u8 = parser.bytes;
    this.o = parser.tlvOffset;
    this.len = parser.tlvLength;
    return this;
  }
}

type Getter = (this: BaseView) => unknown;

function getterFor([, kind, off]: FieldSpec): Getter | undefined {
  switch (kind) {
    case "u8":
      return function () {
        return this.u8[this.o + off];
      };
    case "u16":
      return function () {
        return this.dv.getUint16(this.o + off, true);
      };
    case "u32":
      return function () {
        return this.dv.getUint32(this.o + off, true);
      };
    case "i32":
      return function () {
        return this.dv.getInt32(this.o + off, true);
      };
    case "u64":
      return function () {
        return this.dv.getBigUint64(this.o + off, true);
      };
    case "i64":
      return function () {
        return this.dv.getBigInt64(this.o + off, true);
      };
    case "u128":
    case "u256": {
      const limbs = kind === "u128" ? 2 : 4;
      return function () {
        let v = 0n;
        for (let i = limbs - 1; i >= 0; i--) v = (v << 64n) | this.dv.getBigUint64(this.o + off + 8 * i, true);
        return v;
      };
    }
    case "iid":
      return function () {
        return InstrumentId.fromBytes(this.u8, this.o + off);
      };
    case "iid0":
      return function () {
        for (let i = 0; i < 32; i++)
          if (this.u8[this.o + off + i] !== 0) return InstrumentId.fromBytes(this.u8, this.o + off);
        return null;
      };
    case "addr":
    case "hash": {
      const n = kind === "addr" ? 20 : 32;
      return function () {
        let s = "0x";
        for (let i = 0; i < n; i++) s += this.u8[this.o + off + i].toString(16).padStart(2, "0");
        return s;
      };
    }
    default:
      return undefined; // counts are not part of the value
  }
}

const VIEW_CLASSES = new Map<string, new () => BaseView>();
for (const layout of Object.values(LAYOUTS)) {
  const cls = class extends BaseView {};
  Object.defineProperty(cls, "name", { value: `${layout.name}View` });
  for (const field of layout.fields) {
    const get = getterFor(field);
    if (get) Object.defineProperty(cls.prototype, camelCase(field[0]), { get, enumerable: true });
  }
  const lists = "lists" in layout ? layout.lists : [];
  const codec = compiledCodec(layout.type)!;
  for (const list of lists) {
    const readList = codec.readList[list.name];
    Object.defineProperty(cls.prototype, list.name, {
      get(this: BaseView) {
        return readList(this.dv, this.u8, this.o);
      },
      enumerable: true,
    });
  }
  VIEW_CLASSES.set(layout.name, cls);
}

/** A new reusable lazy view for one TLV type. Make one per type and per consumer, then bind() it per message. */
export function tlvView<K extends TlvName>(name: K): TlvView<K> {
  const cls = VIEW_CLASSES.get(name)!;
  return new cls() as unknown as TlvView<K>;
}
