import { mkdtempSync, rmSync } from "node:fs";
import type { AuditSink } from "../../../src/behavior/execution/audit-log.ts";
import {
  DEFAULT_BREAKERS,
  DEFAULT_EXECUTION,
  DEFAULT_RISK,
  type ExecutionServiceConfig,
} from "../../../src/behavior/execution/config.ts";
import { ExecutionEngine } from "../../../src/behavior/execution/engine.ts";
import { BusClient, Role } from "../../../src/behavior/transport/bus-client.ts";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import type { Fill, OrderRequest, TlvName, TlvValues } from "../../../src/data/tlv-layouts.ts";
import { VenueId } from "../../../src/data/venues.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import { ErrorCode } from "../../../src/rules/error-codes.ts";
import { FrameParser } from "../../../src/rules/parser.ts";
import { Until } from "../relay/helpers.ts";

export const BTC = InstrumentId.spot(VenueId.Kraken, "BTC", "USD");
export const ETH = InstrumentId.spot(VenueId.Kraken, "ETH", "USD");
export const T0 = 1_700_000_000_000_000_000n;
export const MS = 1_000_000n;
export const E8 = 100_000_000n;

/** A decoded output frame: the TLV name and its value. */
export interface Out {
  type: number;
  value: Record<string, unknown>;
}

export function decodeFrames(frames: readonly Uint8Array[]): Out[] {
  const parser = new FrameParser();
  const out: Out[] = [];
  for (const f of frames) {
    if (parser.check(f) !== ErrorCode.Ok) throw new Error("engine produced an invalid frame");
    for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv())
      out.push({ type: parser.tlvType, value: parser.readTlv()! });
  }
  return out;
}

export function testConfig(
  over: {
    risk?: Partial<ExecutionServiceConfig["risk"]>;
    execution?: Partial<ExecutionServiceConfig["execution"]>;
    breakers?: Partial<ExecutionServiceConfig["breakers"]>;
  } = {},
): ExecutionServiceConfig {
  return {
    runDir: "",
    risk: { ...DEFAULT_RISK, ...over.risk },
    execution: { ...DEFAULT_EXECUTION, deterministic: true, ...over.execution },
    breakers: { ...DEFAULT_BREAKERS, ...over.breakers },
  };
}

/** An engine fed in-process, in deterministic mode: frames go through a real FrameParser check. */
export class Harness {
  readonly engine: ExecutionEngine;
  readonly frames: Uint8Array[] = [];
  private readonly parser = new FrameParser();
  private readonly md = new FrameBuilder({ domain: 1, source: 2 });
  private readonly sig = new FrameBuilder({ domain: 2, source: 20 });
  private readonly ex = new FrameBuilder({ domain: 3, source: 21 });
  t = T0;

  constructor(config = testConfig(), audit?: AuditSink) {
    this.engine = new ExecutionEngine({ config, audit, publish: (f) => this.frames.push(f) });
  }

  get out(): Out[] {
    return decodeFrames(this.frames);
  }

  /** Output since `from` (an index into frames). */
  outFrom(from: number): Out[] {
    return decodeFrames(this.frames.slice(from));
  }

  feed(frame: Uint8Array): void {
    const code = this.parser.check(frame);
    if (code !== ErrorCode.Ok) throw new Error(`test frame invalid: ${code}`);
    this.engine.onFrame(frame, this.parser);
  }

  advance(ms: bigint): this {
    this.t += ms * MS;
    return this;
  }

  send<K extends TlvName>(name: K, value: TlvValues[K]): Out[] {
    const from = this.frames.length;
    const type = (value as unknown as object) && name;
    const b = ["OrderRequest", "OrderCancel"].includes(type)
      ? this.ex
      : ["SignalIdentity", "Economics", "ArbitrageSignal"].includes(type)
        ? this.sig
        : this.md;
    this.feed(b.begin(this.t).add(name, value).finish());
    return this.outFrom(from);
  }

  sendSignal(
    identity: TlvValues["SignalIdentity"],
    economics: TlvValues["Economics"],
    signal: TlvValues["ArbitrageSignal"],
  ): Out[] {
    const from = this.frames.length;
    this.feed(
      this.sig
        .begin(this.t)
        .add("SignalIdentity", identity)
        .add("Economics", economics)
        .add("ArbitrageSignal", signal)
        .finish(),
    );
    return this.outFrom(from);
  }

  sendRaw(domain: 1 | 2 | 3, type: number, value: Uint8Array): Out[] {
    const from = this.frames.length;
    const b = domain === 1 ? this.md : domain === 2 ? this.sig : this.ex;
    this.feed(b.begin(this.t).addRaw(type, value).finish());
    return this.outFrom(from);
  }

  book(instrument: InstrumentId, bids: [bigint, bigint][], asks: [bigint, bigint][]): Out[] {
    return this.send("OrderBook", {
      instrument,
      exchangeTsNs: this.t,
      updateId: 0n,
      flags: 1,
      bids: bids.map(([price, size]) => ({ price, size, orderCount: 0 })),
      asks: asks.map(([price, size]) => ({ price, size, orderCount: 0 })),
    });
  }

  order(o: Partial<OrderRequest> & { orderId: bigint }): Out[] {
    return this.send("OrderRequest", {
      signalId: 0n,
      instrument: BTC,
      side: 1,
      orderType: 2,
      timeInForce: 1,
      flags: 1,
      price: 0n,
      quantity: E8,
      quantityNative: 0n,
      maxSlippageBps: 0,
      strategyId: 21,
      timestampNs: this.t,
      ...o,
    });
  }

  trade(instrument: InstrumentId, price: bigint, size: bigint): Out[] {
    return this.send("Trade", { instrument, price, size, exchangeTsNs: this.t, side: 2 });
  }
}

/**
 * Feeds frames to an engine through a real FrameParser check, market data (domain 1) and signals (domain 2) from
 * their own builders, all stamped T0 (deterministic clock: the frame timestamps).
 */
export function feeder(engine: ExecutionEngine) {
  const parser = new FrameParser();
  const builders = { 1: new FrameBuilder({ domain: 1, source: 2 }), 2: new FrameBuilder({ domain: 2, source: 20 }) };
  return (domain: 1 | 2, tlvs: [TlvName, unknown][]) => {
    let b = builders[domain].begin(T0);
    for (const [name, value] of tlvs) b = b.add(name, value as TlvValues[typeof name]);
    const frame = b.finish();
    if (parser.check(frame) !== ErrorCode.Ok) throw new Error("test frame invalid");
    engine.onFrame(frame, parser);
  };
}

/** The Fills in these frames, decoded. */
export const fillsOf = (frames: readonly Uint8Array[]): Fill[] =>
  decodeFrames(frames)
    .filter((o) => o.type === 42)
    .map((o) => o.value as unknown as Fill);

/** Price in e8 from whole units. */
export const px = (whole: number | bigint): bigint => BigInt(whole) * E8;

export function statuses(out: Out[]): Record<string, unknown>[] {
  return out.filter((o) => o.type === 41).map((o) => o.value);
}
export function fills(out: Out[]): Record<string, unknown>[] {
  return out.filter((o) => o.type === 42).map((o) => o.value);
}
export function breakerFrames(out: Out[]): Record<string, unknown>[] {
  return out.filter((o) => o.type === 71).map((o) => o.value);
}

export function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync("/tmp/ap-exec-");
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A client of the execution relay collecting every OrderStatus, Fill and CircuitBreaker it receives. */
export function executionListener(socketPath: string, role: number = Role.Subscriber) {
  const received: { type: number; value: Record<string, unknown> }[] = [];
  const events = new Until();
  const client = new BusClient({
    socketPath,
    domain: 3,
    source: 21,
    role,
    types: [41, 42, 71],
    onFrame: (_f, parser: FrameParser) => {
      for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
        received.push({ type: parser.tlvType, value: parser.readTlv()! });
      }
      events.check();
    },
  });
  return { client, received, events };
}
