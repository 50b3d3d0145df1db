import { parseDecimal } from "../../core/fixed-point.ts";

/**
 * Where the replay venue's reference book (a recorded REST snapshot plus every captured depth event since) is the
 * venue's true book. A recorded side with fewer levels than the request's limit was the whole side: every level of
 * it is known, forever (each later change comes in a depth event). A side cut at the limit is known exactly only from
 * its best level down to its last recorded price (bids: price >= bidFloor, asks: price <= askCeiling); beyond it the
 * reference book holds only the levels some event touched, not the untouched ones the venue had there.
 * undefined: the whole side is known.
 */
export interface KnownRange {
  bidFloor: bigint | undefined;
  askCeiling: bigint | undefined;
}

/** Binance's default `limit` of GET depth when the request gave none (spot /api/v3/depth 100, USD-M 500). */
export function snapshotLimit(url: string): number {
  const u = new URL(url);
  const given = u.searchParams.get("limit");
  return given !== null ? Number(given) : u.pathname.startsWith("/fapi") ? 500 : 100;
}

export function knownRange(snapshot: { bids: string[][]; asks: string[][] }, limit: number): KnownRange {
  const { bids, asks } = snapshot;
  return {
    bidFloor: bids.length >= limit ? parseDecimal(bids[bids.length - 1][0], 8) : undefined,
    askCeiling: asks.length >= limit ? parseDecimal(asks[asks.length - 1][0], 8) : undefined,
  };
}

export interface DerivedSnapshot {
  lastUpdateId: number;
  bids: [string, string][];
  asks: [string, string][];
}

/**
 * The depth answer the venue would give at `lastUpdateId`, as far as the capture tells: the reference book's levels
 * inside the known range, best first, at most `limit` per side. Every level in it is the venue's true level and no
 * true level is missing between the best and the last one given: it is the exact prefix of the true book. It has
 * fewer than `limit` levels on a side when the known range holds fewer (the true answer would go on with levels the
 * capture never saw). Levels beyond the known range are left out even when an event touched them: the untouched
 * levels between would be missing, so the answer would have holes.
 */
export function deriveSnapshot(
  bids: Map<string, string>,
  asks: Map<string, string>,
  lastUpdateId: number,
  range: KnownRange,
  limit = 1000,
): DerivedSnapshot {
  const side = (levels: Map<string, string>, bid: boolean, bound: bigint | undefined): [string, string][] => {
    const keyed: [bigint, string, string][] = [];
    for (const [p, q] of levels) {
      const price = parseDecimal(p, 8);
      if (bound !== undefined && (bid ? price < bound : price > bound)) continue;
      keyed.push([price, p, q]);
    }
    keyed.sort((x, y) => (x[0] === y[0] ? 0 : x[0] < y[0] === bid ? 1 : -1));
    return keyed.slice(0, limit).map(([, p, q]) => [p, q]);
  };
  return {
    lastUpdateId,
    bids: side(bids, true, range.bidFloor),
    asks: side(asks, false, range.askCeiling),
  };
}
