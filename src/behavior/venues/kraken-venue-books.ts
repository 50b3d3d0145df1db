import { parseDecimal } from "../../core/fixed-point.ts";
import { OrderBook } from "../market/order-book.ts";

/**
 * The replay venue's own view of each pair's book, kept as the recorded TEXT of every level, so that a client that
 * unsubscribes and subscribes again mid-replay gets a snapshot of the book as it stands at that point of the
 * capture, exactly as Kraken would send it (v1 strings, v2 number literals), and the recorded updates that follow
 * apply on top of it. Every played record updates it, whatever the faults do to what is sent.
 *
 * Order comes from the common OrderBook over exact keys (parseDecimal at 18 decimals); the text of each level sits
 * in a map beside it. Depth: what the capture's channel name says (book-10, book-1000) or the v2 subscription.
 */
interface SideText {
  book: OrderBook;
  /** price key -> the level as recorded: v1 [price, volume, time], v2 [price literal, qty literal]. */
  text: Map<bigint, string[]>;
}

export class VenueBook {
  readonly bids: SideText = { book: new OrderBook(), text: new Map() };
  readonly asks: SideText = { book: new OrderBook(), text: new Map() };

  constructor(
    readonly pair: string,
    public depth: number,
    /** v1 channel id of the capture, reused when the client subscribes again. */
    public channelId = 0,
  ) {}

  clear(): void {
    for (const s of [this.bids, this.asks]) {
      s.book.clear();
      s.text.clear();
    }
  }

  set(bid: boolean, level: string[]): void {
    const s = bid ? this.bids : this.asks;
    const key = parseDecimal(level[0], 18);
    const removed = parseDecimal(level[1], 18) === 0n;
    s.book.set(bid ? "bid" : "ask", key, removed ? 0n : 1n);
    if (removed) s.text.delete(key);
    else s.text.set(key, level);
  }

  truncate(): void {
    for (const [s, levels] of [
      [this.bids, this.bids.book.bids],
      [this.asks, this.asks.book.asks],
    ] as const) {
      for (let i = this.depth; i < levels.length; i++) s.text.delete(levels[i].price);
      s.book.truncate(this.depth);
    }
  }

  private levels(bid: boolean): string[][] {
    const s = bid ? this.bids : this.asks;
    return (bid ? s.book.bids : s.book.asks).map((l) => s.text.get(l.price)!);
  }

  /** v1 snapshot message: [channelID, {"as": [...], "bs": [...]}, "book-<depth>", pair]. */
  v1Snapshot(): string {
    const as = this.levels(false).map((l) => l.slice(0, 3));
    const bs = this.levels(true).map((l) => l.slice(0, 3));
    return JSON.stringify([this.channelId, { as, bs }, `book-${this.depth}`, this.pair]);
  }

  /** v2 snapshot message with the recorded literals (no checksum: the updates that follow carry theirs). */
  v2Snapshot(): string {
    const side = (bid: boolean) => this.levels(bid).map(([p, q]) => `{"price":${p},"qty":${q}}`);
    return `{"channel":"book","type":"snapshot","data":[{"symbol":${JSON.stringify(this.pair)},"bids":[${side(true).join(",")}],"asks":[${side(false).join(",")}]}]}`;
  }
}

const V2_LEVEL = /\{"price":([^,}]+),"qty":([^,}]+)\}/g;

/**
 * Applies one recorded message to the venue's books (creating a book on its snapshot). Returns the pair and
 * channel kind of a channel message ("book" | "trade"), or undefined for anything else.
 */
export function applyRecorded(
  books: Map<string, VenueBook>,
  raw: string,
  v2Depth: number,
): { pair: string; kind: "book" | "trade" } | undefined {
  if (raw.startsWith("[")) {
    let m: unknown[];
    try {
      m = JSON.parse(raw) as unknown[];
    } catch {
      return undefined;
    }
    const pair = String(m[m.length - 1]);
    const name = String(m[m.length - 2]);
    if (!name.startsWith("book")) return name === "trade" ? { pair, kind: "trade" } : undefined;
    let b = books.get(pair);
    for (const part of m.slice(1, -2) as Record<string, string[][]>[]) {
      if (part.as || part.bs) {
        b ??= new VenueBook(pair, Number(name.slice(5)) || 10, Number(m[0]));
        books.set(pair, b);
        b.clear();
        b.channelId = Number(m[0]);
      }
      if (!b) continue;
      for (const l of part.as ?? part.a ?? []) b.set(false, l);
      for (const l of part.bs ?? part.b ?? []) b.set(true, l);
    }
    b?.truncate();
    return { pair, kind: "book" };
  }
  if (!raw.startsWith('{"channel":"book"') && !raw.startsWith('{"channel":"trade"')) return undefined;
  const symbol = /"symbol":"([^"]+)"/.exec(raw)?.[1];
  if (symbol === undefined) return undefined;
  if (raw.startsWith('{"channel":"trade"')) return { pair: symbol, kind: "trade" };
  let b = books.get(symbol);
  if (raw.includes('"type":"snapshot"')) {
    b ??= new VenueBook(symbol, v2Depth);
    books.set(symbol, b);
    b.clear();
  }
  if (!b) return { pair: symbol, kind: "book" };
  for (const [key, bid] of [
    ['"bids":[', true],
    ['"asks":[', false],
  ] as const) {
    const start = raw.indexOf(key);
    if (start < 0) continue;
    const end = raw.indexOf("]", start);
    for (const lm of raw.slice(start, end).matchAll(V2_LEVEL)) b.set(bid, [lm[1], lm[2]]);
  }
  b.truncate();
  return { pair: symbol, kind: "book" };
}
