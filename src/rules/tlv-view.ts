import { InstrumentId } from "../data/instrument-id.ts";
import {
  camelCase,
  type FieldSpec,
  LAYOUTS,
  type ListSpec,
  type TlvLayout,
  type TlvName,
  type TlvValues,
} from "../data/tlv-layouts.ts";
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
 * List fields (book levels, changes, tokens) decode the whole list when read (an array of new objects). To walk a list
 * without allocating, use its cursor: `<list>Length` and `<list>At(i)`, which returns one reused item view per list
 * (valid until the next `<list>At` call on the same view):
 *
 *   const book = tlvView("OrderBook").bind(parser);
 *   for (let i = 0; i < book.bidsLength; i++) best = max(best, book.bidsAt(i).price);
 */
export type TlvView<K extends TlvName> = Readonly<TlvValues[K]> &
  ListCursors<TlvValues[K]> & {
    /** Points the view at the parser's current TLV (which must be of this view's type). */
    bind(parser: FrameParser): TlvView<K>;
  };

/** For each list field `x` of a value: `xLength` and `xAt(i)` (a reused item view). */
type ListCursors<V> = {
  readonly [P in keyof V as V[P] extends readonly unknown[] ? `${P & string}Length` : never]: number;
} & {
  readonly [P in keyof V as V[P] extends readonly unknown[]
    ? `${P & string}At`
    : never]: V[P] extends readonly (infer I)[] ? (i: number) => Readonly<I> : never;
};

class BaseView {
  dv: DataView = new DataView(new ArrayBuffer(0));
  u8: Uint8Array = new Uint8Array(0);
  o = 0;
  len = 0;
  /** The reused item views of `<list>At`, by list index (made on first use). */
  cursors: BaseView[] = [];
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

/** Item views: a BaseView whose `o` is the item's offset, with the item fields' getters. */
const ITEM_CLASSES = new Map<ListSpec, new () => BaseView>();
const VIEW_CLASSES = new Map<string, new () => BaseView>();
for (const layout of Object.values(LAYOUTS)) {
  const cls = class extends BaseView {};
  Object.defineProperty(cls, "name", { value: `${layout.name}View` });
  for (const field of layout.fields) {
    const get = getterFor(field);
    if (get) Object.defineProperty(cls.prototype, camelCase(field[0]), { get, enumerable: true });
  }
  const lists: readonly ListSpec[] = "lists" in layout ? layout.lists : [];
  const codec = compiledCodec(layout.type)!;
  lists.forEach((list, index) => {
    const readList = codec.readList[list.name];
    Object.defineProperty(cls.prototype, list.name, {
      get(this: BaseView) {
        return readList(this.dv, this.u8, this.o);
      },
      enumerable: true,
    });
    defineCursor(cls, layout, lists, index);
  });
  VIEW_CLASSES.set(layout.name, cls);
}

function itemClass(list: ListSpec): new () => BaseView {
  let cls = ITEM_CLASSES.get(list);
  if (cls === undefined) {
    cls = class extends BaseView {};
    for (const field of list.fields) {
      const get = getterFor(field);
      if (get) Object.defineProperty(cls.prototype, camelCase(field[0]), { get, enumerable: true });
    }
    ITEM_CLASSES.set(list, cls);
  }
  return cls;
}

/** `<list>Length` and `<list>At(i)` on a view class: the list starts after the fixed part and the lists before it. */
function defineCursor(cls: new () => BaseView, layout: TlvLayout, lists: readonly ListSpec[], index: number): void {
  const countOf = (l: ListSpec): ((v: BaseView) => number) => {
    const [, kind, off] = layout.fields.find((f) => f[0] === l.count)!;
    return kind === "count8" ? (v) => v.u8[v.o + off] : (v) => v.dv.getUint16(v.o + off, true);
  };
  const list = lists[index];
  const count = countOf(list);
  const before = lists.slice(0, index).map((l) => ({ itemSize: l.itemSize, count: countOf(l) }));
  const fixed = layout.size;
  const Item = itemClass(list);
  Object.defineProperty(cls.prototype, `${list.name}Length`, {
    get(this: BaseView) {
      return count(this);
    },
  });
  Object.defineProperty(cls.prototype, `${list.name}At`, {
    value(this: BaseView, i: number): BaseView {
      const item = (this.cursors[index] ??= new Item());
      let p = this.o + fixed;
      for (let k = 0; k < before.length; k++) p += before[k].itemSize * before[k].count(this);
      item.dv = this.dv;
      item.u8 = this.u8;
      item.o = p + list.itemSize * i;
      item.len = list.itemSize;
      return item;
    },
  });
}

/** A new reusable lazy view for one TLV type. Make one per type and per consumer, then bind() it per message. */
export function tlvView<K extends TlvName>(name: K): TlvView<K> {
  const cls = VIEW_CLASSES.get(name)!;
  return new cls() as unknown as TlvView<K>;
}
