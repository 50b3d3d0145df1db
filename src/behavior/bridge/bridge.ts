import { join } from "node:path";
import type { ConsumerMessages, JsMsg } from "@nats-io/jetstream";
import type { MsgHdrs, NatsConnection, Subscription } from "@nats-io/transport-node";
import { writeNowNs } from "../../core/time.ts";
import { SourceType } from "../../data/venues.ts";
import { ErrorCode } from "../../rules/error-codes.ts";
import { FrameParser } from "../../rules/parser.ts";
import { RELAY_CONFIGS, type RelayName } from "../relay/relay-configs.ts";
import { BusClient, type ConnectionState, Role } from "../transport/bus-client.ts";
import type { BridgeConfig } from "./bridge-config.ts";
import { BridgeError } from "./errors.ts";
import { ensureHistoryStream } from "./history-stream.ts";
import { natsConnectionOptions } from "./nats-connection-options.ts";
import { NatsWire } from "./nats-wire.ts";
import { type OriginState, OriginTracker, type TrackVerdict } from "./origin-tracker.ts";
import { type SubjectEntry, SubjectScheme } from "./subject-scheme.ts";
import { within } from "./within.ts";

/** NATS headers of every message a bridge publishes (docs/bridge.md, "Headers"). */
export const HEADER_ORIGIN = "Ap-Origin";
export const HEADER_SEQ = "Ap-Seq";

export type NatsState = "connecting" | "connected" | "reconnecting" | "closed";

export interface BridgeLogger {
  info(message: string): void;
  warn(message: string): void;
}

export interface BridgeOptions {
  config: BridgeConfig;
  runDir: string;
  env?: Record<string, string | undefined>;
  /** Lines already redacted by the caller's logger are still passed through `redact` here. */
  log: BridgeLogger;
  /** Applied to every text that may hold a server URL (NATS status events, errors). */
  redact: (text: string) => string;
  /** Relay sockets; default `<runDir>/<relay>.sock`. */
  socketOf?: (relay: RelayName) => string;
  onNatsState?: (state: NatsState) => void;
  /** Bounds start(): NATS and the relays must be reached within it. Default 10 s. */
  startTimeoutMs?: number;
}

export interface BridgeCounters {
  /** Frames taken from the local relays and published to NATS. */
  published: number;
  publishedBytes: number;
  /** Frames from the relays left out by the types / venues filters. */
  filtered: number;
  /** Frames not published because the NATS client already held max_buffer_bytes while disconnected (Ap-Seq moved on). */
  droppedDisconnected: number;
  publishErrors: number;
  /** Messages from NATS (core subscriptions and the JetStream consumer). */
  received: number;
  receivedBytes: number;
  /** Messages with this instance's own Ap-Origin, dropped (JetStream delivers them back; core NATS never does). */
  ownOrigin: number;
  /** Messages that are not one valid Protocol V2 frame (checksum...), dropped. */
  badFrames: number;
  /** Frames of a domain this bridge does not subscribe to, dropped. */
  wrongDomain: number;
  /** Messages without Ap-Origin / Ap-Seq (not from a bridge): forwarded, no gap detection possible. */
  unstamped: number;
  /** Frames handed to the local relays. */
  republished: number;
  /** Frames the relay client's full queue refused. */
  relayRefused: number;
  natsDisconnects: number;
  natsReconnects: number;
}

export interface BridgeStats extends BridgeCounters {
  msgs_in: number;
  msgs_out: number;
  drops: number;
  /** Frames held while NATS is away, to be sent after the reconnect. */
  held: number;
  gaps: number;
  missing: number;
  duplicates: number;
  originRestarts: number;
  origins: number;
  instance: string;
  nats: NatsState;
  server: string;
  relays: Record<string, string>;
  lagUsLast: number;
  lagUsMax: number;
  jetstream: { stream: string; pending: number } | null;
  note: string;
  [extra: string]: unknown;
}

/**
 * The bridge (docs/bridge.md): one NATS connection, and per relay domain one BusClient connection that subscribes
 * (domains in `publish`) and publishes (domains in `subscribe`). Frames travel as their Protocol V2 bytes.
 *
 * Loop fences: (1) a domain that goes both ways uses ONE relay connection with Role.Both, and the relay never echoes
 * a connection's own frames to it, so what the bridge republishes never comes back to it; (2) the NATS connection is
 * noEcho; (3) a message whose Ap-Origin is this instance's is dropped (JetStream redeliveries included); and one
 * bridge per run directory (run-bridge.ts's pid lock), so no second bridge can pick the first one's frames up.
 */
export class Bridge {
  readonly config: BridgeConfig;
  readonly counters: BridgeCounters = {
    published: 0,
    publishedBytes: 0,
    filtered: 0,
    droppedDisconnected: 0,
    publishErrors: 0,
    received: 0,
    receivedBytes: 0,
    ownOrigin: 0,
    badFrames: 0,
    wrongDomain: 0,
    unstamped: 0,
    republished: 0,
    relayRefused: 0,
    natsDisconnects: 0,
    natsReconnects: 0,
  };
  readonly tracker = new OriginTracker();
  /** Connected only when both the nats.js connection and the publishing connection (if any) are up. */
  natsState: NatsState = "connecting";
  /** The nats.js connection's own state. */
  private ncState: NatsState = "connecting";
  /** The server currently connected to (host:port, never credentials). */
  server = "";
  /** Messages the JetStream consumer has not delivered yet (last reported). */
  jetstreamPending = 0;
  /** Age of the last republished frame (receive time less its header timestamp, ns; clocks of two hosts). */
  lagNsLast = 0;
  lagNsMax = 0;
  private readonly options: BridgeOptions;
  private readonly scheme: SubjectScheme;
  private readonly relays = new Map<RelayName, BusClient>();
  /** BusClient per header domain (1-3) for the receiving side; undefined: not subscribed. */
  private readonly byDomain: (BusClient | undefined)[] = [undefined, undefined, undefined, undefined];
  private readonly typeFilter: Uint8Array | undefined;
  private nc: NatsConnection | undefined;
  private hdrs: MsgHdrs | undefined;
  /** The publishing connection (nats-wire.ts); undefined with TLS, where nats.js publishes. */
  private pub: NatsWire | undefined;
  private subs: Subscription[] = [];
  private coreSubjects: string[] = [];
  private readonly instanceBytes: Uint8Array;
  private readonly decoder = new TextDecoder();
  /** (origin, subject) bytes -> tracker state, by a hash of both: no strings per message (origin-tracker.ts). */
  private readonly trackCache = new Map<number, { origin: Uint8Array; subject: Uint8Array; state: OriginState }>();
  private consumer: ConsumerMessages | undefined;
  /** Frames taken while NATS was away, published first after the reconnect. */
  private away: { entry: SubjectEntry; seq: number; frame: Uint8Array }[] = [];
  private awayBytes = 0;
  private readonly parser = new FrameParser();
  private readonly clock = new DataView(new ArrayBuffer(8));
  private stopped = false;

  constructor(options: BridgeOptions) {
    this.options = options;
    this.config = options.config;
    this.scheme = new SubjectScheme(this.config.subjectPrefix, this.config.venues);
    this.instanceBytes = new TextEncoder().encode(this.config.instance);
    if (this.config.types.length > 0) {
      this.typeFilter = new Uint8Array(256);
      for (const t of this.config.types) this.typeFilter[t] = 1;
    }
  }

  /** Connects to NATS and the relays; resolves when both sides are up. Throws BridgeError (NatsUnavailable...). */
  async start(): Promise<void> {
    const { config, env = process.env } = this.options;
    const timeoutMs = this.options.startTimeoutMs ?? 10_000;
    const { connect, headers } = await import("@nats-io/transport-node");
    const options = natsConnectionOptions(config, env, `ap-bridge ${config.instance}`);
    this.nc = await within(timeoutMs, connect(options), () =>
      this.error("NatsUnavailable", `no NATS server answered within ${timeoutMs} ms`, {
        servers: this.options.redact(String(options.servers)),
      }),
    ).catch((e: unknown) => {
      if (e instanceof BridgeError) throw e;
      throw this.error("NatsUnavailable", `NATS connection failed: ${this.options.redact(String(e))}`, {
        servers: this.options.redact(String(options.servers)),
      });
    });
    const nc = this.nc;
    this.server = nc.getServer();
    this.setNatsState("connected");
    void this.watchNats(nc);
    this.hdrs = headers();
    this.hdrs.set(HEADER_ORIGIN, config.instance);
    // The hot path on a connection of its own (nats-wire.ts): publishing, and the core subscriptions, on ONE
    // connection with echo off (loop fence (2) is per connection). nats.js keeps JetStream, status and drain; with
    // TLS it does everything. Created now so that frames from the relays are held until it is up; started once the
    // relays are, so that no message arrives before its relay connection exists.
    const jsIn = config.jetstream && config.subscribe.includes("market-data");
    const coreIn = jsIn ? config.subscribe.filter((d) => d !== "market-data") : config.subscribe;
    this.coreSubjects = this.scheme.subscriptions(coreIn, config.types, config.venues);
    if (options.tls === undefined && (config.publish.length > 0 || this.coreSubjects.length > 0)) {
      this.pub = new NatsWire({
        server: () => nc.getServer(),
        connection: options,
        instance: config.instance,
        maxQueueBytes: Math.max(config.maxBufferBytes, 1 << 20),
        subjects: this.coreSubjects,
        onMessage: (subject, origin, seq, buf, start, end) => this.receiveRaw(subject, origin, seq, buf, start, end),
        onUp: () => this.setNatsState(this.ncState),
        onDown: (why) => {
          this.options.log.warn(`nats: data connection ${why}, reconnecting`);
          this.setNatsState(this.ncState);
        },
        onError: (message) => this.options.log.warn(`nats (data connection): ${this.options.redact(message)}`),
      });
      this.setNatsState(this.ncState); // "connecting" until the data connection is up too
    }

    if (config.jetstream && (config.publish.includes("market-data") || config.subscribe.includes("market-data"))) {
      await ensureHistoryStream(nc, config);
    }

    const domains = new Set<RelayName>([...config.publish, ...config.subscribe]);
    for (const relay of domains) {
      const out = config.publish.includes(relay);
      const into = config.subscribe.includes(relay);
      const rc = RELAY_CONFIGS[relay];
      const types: number[] = [];
      for (let t = rc.types[0]; t <= rc.types[1]; t++) if (!this.typeFilter || this.typeFilter[t]) types.push(t);
      const client = new BusClient({
        socketPath: this.options.socketOf?.(relay) ?? join(this.options.runDir, `${relay}.sock`),
        domain: rc.domain,
        source: SourceType.OperatorCli,
        // Fence (1): both ways on ONE connection, so the relay's no-echo keeps republished frames from us.
        role: (out ? Role.Subscriber : 0) | (into ? Role.Publisher : 0),
        // Only the domain's own types: control TLVs (heartbeats) are per hop and stay local.
        types: out ? types : [],
        name: `bridge ${config.instance}`,
        onFrame: out ? (frame) => this.forward(relay, frame) : undefined,
        onState: (s: ConnectionState) => {
          if (s === "backoff") this.options.log.warn(`relay ${relay}: connection lost, reconnecting`);
        },
      });
      this.relays.set(relay, client);
      if (into) this.byDomain[rc.domain] = client;
    }
    await within(timeoutMs, Promise.all([...this.relays.values()].map((c) => c.ready())), () =>
      this.error("RelayUnavailable", `the relays did not answer within ${timeoutMs} ms`, {
        run_dir: this.options.runDir,
      }),
    );
    if (this.pub !== undefined) {
      const pub = this.pub;
      pub.start();
      await within(timeoutMs, pub.whenUp(), () =>
        this.error("NatsUnavailable", `the data connection was not accepted within ${timeoutMs} ms`, {
          servers: this.options.redact(String(options.servers)),
        }),
      );
    }
    await this.subscribe(nc);
  }

  /** Closes the NATS connection (flushing what it holds) and the relay connections. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.consumer?.close().catch(() => {});
    for (const c of this.relays.values()) c.close();
    this.pub?.stop();
    if (this.nc && !this.nc.isClosed()) await this.nc.drain().catch(() => this.nc?.close());
    this.setNatsState("closed");
  }

  /** Resolves when the NATS connection has reached the state (now, if it is there). */
  flushNats(): Promise<void> {
    return this.nc?.flush() ?? Promise.resolve();
  }

  relayState(relay: RelayName): ConnectionState | undefined {
    return this.relays.get(relay)?.state;
  }

  /** The counters of a `stats` line (`ap status`): msgs_in = from NATS, msgs_out = to NATS. */
  stats(): BridgeStats {
    const c = this.counters;
    const t = this.tracker;
    const relays: Record<string, string> = {};
    for (const [name, client] of this.relays) relays[name] = client.state;
    const lagMs = Math.trunc(this.lagNsLast / 1_000_000);
    return {
      ...c,
      msgs_in: c.received,
      msgs_out: c.published,
      drops: c.droppedDisconnected + c.publishErrors + c.badFrames + c.relayRefused,
      held: this.away.length,
      gaps: t.gaps,
      missing: t.missing,
      duplicates: t.duplicates,
      originRestarts: t.restarts,
      origins: t.origins,
      instance: this.config.instance,
      nats: this.natsState,
      server: this.options.redact(this.server),
      relays,
      lagUsLast: Math.trunc(this.lagNsLast / 1000),
      lagUsMax: Math.trunc(this.lagNsMax / 1000),
      jetstream: this.config.jetstream ? { stream: this.config.stream, pending: this.jetstreamPending } : null,
      note: `nats ${this.natsState}${this.natsState === "connected" ? ` ${this.options.redact(this.server)}` : ""} · lag ${lagMs} ms${t.missing > 0 ? ` · missing ${t.missing}` : ""}`,
    };
  }

  // ---- relay -> NATS --------------------------------------------------------------------------------------------

  private forward(relay: RelayName, frame: Uint8Array): void {
    const entry = this.scheme.entryOf(relay, frame);
    const first = frame[32] === 255 ? frame[34] : frame[32];
    if (entry.excluded || (this.typeFilter !== undefined && this.typeFilter[first] === 0)) {
      this.counters.filtered++;
      return;
    }
    const seq = ++entry.seq;
    const pub = this.pub;
    if (this.natsState === "connected") {
      if (this.away.length > 0) this.sendAway();
      // The frame is the relay client's view, valid only during this call: the publishing connection copies it into
      // its buffer at once (every frame of this relay read leaves in one write); nats.js writes a microtask later, so
      // it gets a copy.
      this.publish(entry, seq, pub !== undefined ? frame : frame.slice());
      return;
    }
    // nats.js discards its outbound buffer at every reconnect attempt (protocol.js prepare() -> resetOutbound), and
    // the publishing connection keeps nothing across a loss, so frames are kept here, bounded, and published in order
    // once both connections are up again. Past the bound a frame is dropped; its Ap-Seq was taken, so every receiver
    // counts it as missing.
    if (this.natsState === "closed" || this.stopped || this.awayBytes + frame.length > this.config.maxBufferBytes) {
      this.counters.droppedDisconnected++;
      return;
    }
    this.away.push({ entry, seq, frame: frame.slice() });
    this.awayBytes += frame.length;
  }

  private hpubOf(entry: SubjectEntry): Uint8Array {
    entry.hpub = NatsWire.prefixOf(entry.subject);
    return entry.hpub;
  }

  /** Frames held while NATS was away, in order, once both connections are up again. */
  private sendAway(): void {
    if (this.natsState !== "connected") return;
    const away = this.away;
    this.away = [];
    this.awayBytes = 0;
    for (const m of away) this.publish(m.entry, m.seq, m.frame);
    if (away.length > 0) this.options.log.info(`nats: ${away.length} frames held meanwhile sent`);
  }

  private publish(entry: SubjectEntry, seq: number, frame: Uint8Array): void {
    const pub = this.pub;
    if (pub !== undefined) {
      if (!pub.publish(entry.hpub ?? this.hpubOf(entry), seq, frame)) {
        this.counters.publishErrors++;
        return;
      }
      this.counters.published++;
      this.counters.publishedBytes += frame.length;
      return;
    }
    const subject = entry.subject;
    const hdrs = this.hdrs!;
    hdrs.set(HEADER_SEQ, String(seq));
    try {
      // The headers object is encoded inside publish(), so one object serves every message.
      this.nc!.publish(subject, frame, { headers: hdrs });
    } catch {
      this.counters.publishErrors++;
      return;
    }
    this.counters.published++;
    this.counters.publishedBytes += frame.length;
  }

  // ---- NATS -> relay --------------------------------------------------------------------------------------------

  private async subscribe(nc: NatsConnection): Promise<void> {
    const { config } = this;
    const js = config.jetstream && config.subscribe.includes("market-data");
    // Core subscriptions are the data connection's, when there is one.
    for (const subject of this.pub === undefined ? this.coreSubjects : []) {
      this.subs.push(
        nc.subscribe(subject, {
          callback: (_error, msg) => this.receive(msg.subject, msg.data, msg.headers),
        }),
      );
    }
    if (js) {
      const { jetstream, DeliverPolicy } = await import("@nats-io/jetstream");
      const filter = this.scheme.subscriptions(["market-data"], config.types, config.venues);
      // An ordered consumer: in stream order, recreated by the client at the next stream sequence after any loss
      // (a server restart included), so what was stored while this side was away is delivered, not lost.
      const consumer = await jetstream(nc).consumers.get(config.stream, {
        // One subject as a string: a list needs nats-server 2.10 (Debian 12 ships 2.9).
        filter_subjects: filter.length === 1 ? filter[0] : filter,
        deliver_policy: DeliverPolicy.New,
      });
      this.consumer = await consumer.consume({
        // A pull that died with the server is noticed by missing heartbeats: 2 x 1 s, not the default 2 x 15 s.
        expires: 2000,
        idle_heartbeat: 1000,
        callback: (m: JsMsg) => {
          this.jetstreamPending = m.info.pending;
          this.receive(m.subject, m.data, m.headers);
        },
      });
    }
    await nc.flush(); // the server has the subscriptions
  }

  private receive(subject: string, data: Uint8Array, hdrs: MsgHdrs | undefined): void {
    const c = this.counters;
    c.received++;
    c.receivedBytes += data.length;
    const origin = hdrs?.get(HEADER_ORIGIN) ?? "";
    if (origin === this.config.instance) {
      c.ownOrigin++; // fence (3)
      return;
    }
    const parser = this.parser;
    if (parser.check(data) !== ErrorCode.Ok || parser.frameSize !== data.length) {
      c.badFrames++;
      return;
    }
    const client = this.byDomain[data[4]];
    if (client === undefined) {
      c.wrongDomain++;
      return;
    }
    const seq = origin === "" ? 0 : Number(hdrs?.get(HEADER_SEQ) ?? "");
    if (!(Number.isSafeInteger(seq) && seq > 0)) c.unstamped++;
    else if (this.tracker.track(origin, subject, seq) === "duplicate") return;
    if ((c.received & 63) === 1) this.sampleLag(data);
    if (client.send(data)) c.republished++;
    else c.relayRefused++;
  }

  /** receive() for the data connection: the same steps on the message's bytes (nats-wire.ts). */
  private receiveRaw(
    subject: Uint8Array,
    origin: Uint8Array | undefined,
    seq: number,
    buf: Uint8Array,
    start: number,
    end: number,
  ): void {
    const c = this.counters;
    c.received++;
    c.receivedBytes += end - start;
    if (origin !== undefined && bytesEqual(origin, this.instanceBytes)) {
      c.ownOrigin++; // fence (3)
      return;
    }
    const parser = this.parser;
    if (parser.check(buf, start) !== ErrorCode.Ok || parser.frameSize !== end - start) {
      c.badFrames++;
      return;
    }
    const data = buf.subarray(start, end);
    const client = this.byDomain[data[4]];
    if (client === undefined) {
      c.wrongDomain++;
      return;
    }
    if (origin === undefined || origin.length === 0 || !(Number.isSafeInteger(seq) && seq > 0)) c.unstamped++;
    else if (this.trackBytes(origin, subject, seq) === "duplicate") return;
    if ((c.received & 63) === 1) this.sampleLag(data);
    if (client.send(data)) c.republished++;
    else c.relayRefused++;
  }

  private trackBytes(origin: Uint8Array, subject: Uint8Array, seq: number): TrackVerdict {
    let h = 0x811c9dc5;
    for (let i = 0; i < origin.length; i++) h = Math.imul(h ^ origin[i], 0x01000193);
    h = Math.imul(h ^ 0xff, 0x01000193);
    for (let i = 0; i < subject.length; i++) h = Math.imul(h ^ subject[i], 0x01000193);
    const hit = this.trackCache.get(h);
    if (hit !== undefined && bytesEqual(hit.origin, origin) && bytesEqual(hit.subject, subject)) {
      return this.tracker.step(hit.state, seq);
    }
    const state = this.tracker.stateOf(this.decoder.decode(origin), this.decoder.decode(subject));
    if (state === undefined) return "ok"; // untracked (the tracker's bound)
    this.trackCache.set(h, { origin: origin.slice(), subject: subject.slice(), state });
    return this.tracker.step(state, seq);
  }

  /** now - header timestamp in integer ns, from u32 halves (never a float of a timestamp). */
  private sampleLag(frame: Uint8Array): void {
    const clock = this.clock;
    writeNowNs(clock, 0);
    const frameLo = (frame[16] | (frame[17] << 8) | (frame[18] << 16) | (frame[19] << 24)) >>> 0;
    const frameHi = (frame[20] | (frame[21] << 8) | (frame[22] << 16) | (frame[23] << 24)) >>> 0;
    const lag = (clock.getUint32(4, true) - frameHi) * 4294967296 + (clock.getUint32(0, true) - frameLo);
    this.lagNsLast = lag;
    if (lag > this.lagNsMax) this.lagNsMax = lag;
  }

  // ---- NATS connection state ------------------------------------------------------------------------------------

  private async watchNats(nc: NatsConnection): Promise<void> {
    for await (const s of nc.status()) {
      if (s.type === "disconnect") {
        this.counters.natsDisconnects++;
        this.setNatsState("reconnecting");
        this.options.log.warn(`nats: disconnected from ${this.options.redact(s.server)}, reconnecting`);
      } else if (s.type === "reconnect") {
        this.counters.natsReconnects++;
        this.server = nc.getServer();
        this.options.log.info(`nats: reconnected to ${this.options.redact(s.server)}`);
        this.pub?.kick(); // the server is back: no need to wait for the publishing connection's next attempt
        this.setNatsState("connected");
      } else if (s.type === "error") {
        this.options.log.warn(`nats: ${this.options.redact(String(s.error))}`);
      } else if (s.type === "close") {
        this.setNatsState("closed");
      }
    }
  }

  /** Takes the nats.js connection's state; what is shown (and gates publishing) also needs the publisher up. */
  private setNatsState(nc: NatsState): void {
    this.ncState = nc;
    const pubDown = this.pub !== undefined && !this.pub.up && !this.stopped;
    const state: NatsState =
      nc === "connected" && pubDown ? (this.pub!.connects > 0 ? "reconnecting" : "connecting") : nc;
    if (state === this.natsState) return;
    this.natsState = state;
    if (state === "connected") this.sendAway();
    this.options.onNatsState?.(state);
  }

  private error(code: string, message: string, facts: Record<string, string>): BridgeError {
    return new BridgeError({
      code,
      message,
      facts,
      hint: "check bridge.servers / AP_NATS_URL and that nats-server runs",
    });
  }
}

function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
