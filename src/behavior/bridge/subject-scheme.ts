import { LAYOUT_BY_TYPE } from "../../data/tlv-layouts.ts";
import { VENUE_ID_BY_NAME, VENUE_NAME_BY_ID } from "../../data/venues.ts";
import { EXT_TLV_HEADER, EXTENDED_MARKER, HEADER_SIZE } from "../../rules/header.ts";
import { RELAY_CONFIGS, type RelayName } from "../relay/relay-configs.ts";

/**
 * The one subject scheme of the bridge (docs/bridge.md):
 *
 *   <prefix>.<domain>.<tlv>.<venue>        ap.market-data.trade.kraken, ap.market-data.pool-swap.uniswap_v3,
 *                                          ap.execution.order-request.none
 *
 * - domain: the relay name (market-data, signal, execution);
 * - tlv: the frame's FIRST TLV, its PROTOCOL.md name in kebab case (`t<n>` for a type without a layout);
 * - venue: the venue of the first TLV's first InstrumentId (venues.ts names; `v<n>` for an unknown id), `none` when
 *   that TLV carries no instrument.
 * A frame is sent whole under one subject; its other TLVs do not change the subject.
 */
export interface SubjectEntry {
  readonly subject: string;
  /** Frames this bridge published on the subject: the Ap-Seq header of the next one is seq + 1. */
  seq: number;
  /** Dropped by the venue filter. */
  readonly excluded: boolean;
  /** "HPUB <subject> " as bytes, made by the publishing connection at the subject's first message. */
  hpub: Uint8Array | undefined;
}

/** Offset of the first InstrumentId field in each TLV type's value, -1 when it has none (built once at load). */
const VENUE_OFFSET: Int32Array = (() => {
  const table = new Int32Array(256).fill(-1);
  for (let t = 0; t < 256; t++) {
    const field = LAYOUT_BY_TYPE[t]?.fields.find((f) => f[1] === "iid" || f[1] === "iid0");
    if (field) table[t] = field[2];
  }
  return table;
})();

const TLV_TOKEN: string[] = Array.from({ length: 256 }, (_, t) => {
  const name = LAYOUT_BY_TYPE[t]?.name;
  return name ? name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase() : `t${t}`;
});

/** The subject token of a TLV type (`order-book`). */
export function tlvToken(type: number): string {
  return TLV_TOKEN[type];
}

export function venueToken(venue: number): string {
  return venue < 0 ? "none" : (VENUE_NAME_BY_ID.get(venue) ?? `v${venue}`);
}

export class SubjectScheme {
  readonly prefix: string;
  private readonly venueFilter: Set<number> | undefined;
  /** By (domain << 24 | type << 16 | venue + 1): subjects are strings made once per kind of frame. */
  private readonly entries = new Map<number, SubjectEntry>();

  constructor(prefix: string, venues: readonly string[] = []) {
    this.prefix = prefix;
    this.venueFilter = venues.length === 0 ? undefined : new Set(venues.map((v) => VENUE_ID_BY_NAME.get(v) ?? -2));
  }

  /**
   * The subject of a valid frame (checked by the framer: the first TLV is whole). No allocation after the first frame
   * of a kind: one Map lookup.
   */
  entryOf(relay: RelayName, frame: Uint8Array): SubjectEntry {
    let p = HEADER_SIZE;
    let type = frame[p];
    if (type === EXTENDED_MARKER) {
      type = frame[p + 2];
      p += EXT_TLV_HEADER;
    } else p += 2;
    const at = VENUE_OFFSET[type];
    const venue = at < 0 || p + at + 2 > frame.length ? -1 : frame[p + at] | (frame[p + at + 1] << 8);
    const key = (frame[4] << 24) | (type << 16) | (venue + 1);
    let entry = this.entries.get(key);
    if (entry === undefined) {
      entry = {
        subject: `${this.prefix}.${relay}.${TLV_TOKEN[type]}.${venueToken(venue)}`,
        seq: 0,
        excluded: this.venueFilter !== undefined && !this.venueFilter.has(venue),
        hpub: undefined,
      };
      this.entries.set(key, entry);
    }
    return entry;
  }

  /** Subjects to subscribe to for the given domains, narrowed by types and venues (wildcards otherwise). */
  subscriptions(domains: readonly RelayName[], types: readonly number[], venues: readonly string[]): string[] {
    const out: string[] = [];
    for (const d of domains) {
      const [first, last] = RELAY_CONFIGS[d].types;
      const own = types.filter((t) => t >= first && t <= last);
      if (types.length > 0 && own.length === 0) continue;
      const tlvs = own.length > 0 ? own.map(tlvToken) : ["*"];
      const vs = venues.length > 0 ? venues : ["*"];
      if (tlvs[0] === "*" && vs[0] === "*") out.push(`${this.prefix}.${d}.>`);
      else for (const t of tlvs) for (const v of vs) out.push(`${this.prefix}.${d}.${t}.${v}`);
    }
    return out;
  }
}
