import { EncodeError } from "../../../core/errors.ts";
import type { TlvName, TlvValues } from "../../../data/tlv-layouts.ts";
import { RelayDomain } from "../../../data/venues.ts";
import { FrameBuilder } from "../../../rules/builder.ts";
import { BusClient } from "../../transport/bus-client.ts";
import { Role } from "../../transport/bus-control.ts";

export interface MarketPublisherOptions {
  /** SourceType of the collector. */
  source: number;
  /** Name shown in the relay's stats. */
  name: string;
  /** The market-data relay's socket; omitted when `sink` is given. */
  socketPath?: string;
  /** Receives each built frame instead of (or besides) the relay: tests and benchmarks. Copy it to keep it. */
  sink?: (frame: Uint8Array) => void;
  /** Header flags for every frame (bit 0: replayed data). */
  flags?: number;
}

/**
 * How a collector puts normalised data on the market-data relay: one FrameBuilder (domain 1, the collector's source
 * type, its own sequence) and one publishing BusClient. Counts frames per TLV name.
 */
export class MarketPublisher {
  readonly counts: Record<string, number> = {};
  framesOut = 0;
  private readonly builder: FrameBuilder;
  private readonly bus: BusClient | undefined;

  constructor(private readonly options: MarketPublisherOptions) {
    this.builder = new FrameBuilder({
      domain: RelayDomain.MarketData,
      source: options.source,
      flags: options.flags ?? 0,
    });
    this.bus = options.socketPath
      ? new BusClient({
          socketPath: options.socketPath,
          domain: RelayDomain.MarketData,
          source: options.source,
          role: Role.Publisher,
          name: options.name,
        })
      : undefined;
  }

  publish<K extends TlvName>(name: K, value: TlvValues[K], timestampNs?: bigint): void {
    const frame = this.builder.begin(timestampNs).add(name, value).finish();
    this.framesOut++;
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    this.bus?.send(frame);
    this.options.sink?.(frame);
  }

  /**
   * Several TLVs of one type in one frame, counted as one frame: a value that must travel whole but exceeds one
   * TLV's limit (a Binance depth event with more changes than a BookDelta may hold).
   */
  publishAll<K extends TlvName>(name: K, values: readonly TlvValues[K][], timestampNs?: bigint): void {
    const builder = this.builder.begin(timestampNs);
    for (const value of values) builder.add(name, value);
    const frame = builder.finish();
    this.framesOut++;
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    this.bus?.send(frame);
    this.options.sink?.(frame);
  }

  /**
   * Publishes one TLV given as its value bytes, for a collector that writes TLV values itself on its hot path (the
   * Polygon collector writes pool events straight from the log's hex). Counted under `name`, like publish().
   */
  publishRaw(type: number, name: string, value: Uint8Array, timestampNs?: bigint): void {
    const frame = this.builder.begin(timestampNs).addRaw(type, value).finish();
    this.framesOut++;
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    this.bus?.send(frame);
    this.options.sink?.(frame);
  }

  /** Several raw TLVs of one type in one frame, counted as one frame (publishAll for publishRaw values). */
  publishRawAll(type: number, name: string, values: readonly Uint8Array[], timestampNs?: bigint): void {
    const builder = this.builder.begin(timestampNs);
    for (const value of values) builder.addRaw(type, value);
    const frame = builder.finish();
    this.framesOut++;
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    this.bus?.send(frame);
    this.options.sink?.(frame);
  }

  // ---- one TLV whose value the collector writes in place --------------------------------------------------
  //
  //   const at = publisher.beginValue(TlvType.BookDelta, size); // write the value at publisher.valueBytes[at..]
  //   publisher.finishValue("BookDelta");
  //
  // The frame publishRaw(type, name, value) would make, built by the same FrameBuilder (FrameBuilder.addInPlace):
  // the value is not copied.

  private valueOpen = false;

  /**
   * Starts a frame of one TLV of `type` with a value of `size` bytes; returns where the value goes in valueBytes.
   * Throws EncodeError (as the builder does) for a type outside 1-254 or of another domain, or a value too large.
   */
  beginValue(type: number, size: number, timestampNs?: bigint): number {
    const at = this.builder.begin(timestampNs).addInPlace(type, size);
    this.valueOpen = true;
    return at;
  }

  /** The buffer beginValue's offsets point into (take it after beginValue), and a DataView over it. */
  get valueBytes(): Uint8Array {
    return this.builder.bytes;
  }
  get valueView(): DataView {
    return this.builder.view;
  }

  /** Completes and publishes the frame begun by beginValue (counted under `name`, like publishRaw). */
  finishValue(name: string): void {
    if (!this.valueOpen) {
      throw new EncodeError({
        code: "NoFrame",
        message: "finishValue() without beginValue()",
        hint: "call beginValue() first",
      });
    }
    this.valueOpen = false;
    const frame = this.builder.finish();
    this.framesOut++;
    this.counts[name] = (this.counts[name] ?? 0) + 1;
    this.bus?.send(frame);
    this.options.sink?.(frame);
  }

  /** Resolves when queued frames have gone to the relay (or at once without a relay). */
  async flushed(): Promise<void> {
    if (this.bus) await this.bus.drained(0);
  }

  get relay(): BusClient | undefined {
    return this.bus;
  }

  close(): void {
    this.bus?.close();
  }
}
