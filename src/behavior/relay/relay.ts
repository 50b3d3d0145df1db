import type { Socket, UnixSocketListener } from "bun";
import type { ConsolaInstance } from "consola/core";
import { ProtocolError } from "../../core/errors.ts";
import { DOMAIN_NAMES } from "../../data/venues.ts";
import { StreamFramer } from "../../rules/framer.ts";
import type { FrameParser } from "../../rules/parser.ts";
import {
  BUS_TLV_MAX,
  BUS_TLV_MIN,
  BusTlv,
  buildStatsFrame,
  buildSubscribedFrame,
  firstTlvType,
  parseSubscribe,
  Role,
  roleName,
} from "../transport/bus-control.ts";
import { listenUnix } from "../transport/listen-unix.ts";
import { WriteQueue } from "../transport/write-queue.ts";
import type { RelayConfig } from "./relay-configs.ts";
import { createRelayLogger } from "./relay-logger.ts";
import type { TransitTrace } from "./transit-trace.ts";

export interface RelayOptions extends RelayConfig {
  socketPath: string;
  /** Bytes queued for one subscriber before it is disconnected as a slow consumer. Default 8 MiB. */
  maxQueueBytes?: number;
  logger?: ConsolaInstance;
  /** Most drop diagnostics logged per second; the rest are counted and summarised. Default 20. */
  maxDropLogsPerSecond?: number;
  /** Records every data frame's receive and send time (docs/relay.md "Transit trace"); off by default. */
  trace?: TransitTrace;
}

export interface ConnectionStats {
  id: number;
  name: string;
  role: string;
  framesIn: number;
  bytesIn: number;
  framesOut: number;
  /** Sequence gaps seen on this publisher connection, and the frames they skipped. */
  gaps: number;
  missingFrames: number;
  /** Frames whose sequence was not above the previous one (duplicates or reordering). */
  duplicates: number;
  lastSequence: number;
  queuedBytes: number;
}

export interface RelayStats {
  relay: string;
  domain: number;
  socketPath: string;
  pid: number;
  startedAtMs: number;
  uptimeMs: number;
  /** Resident set size of the relay process. */
  rssBytes: number;
  /** Valid data frames received from publishers (control frames excluded). */
  framesIn: number;
  bytesIn: number;
  /** Frame copies queued to subscribers. */
  framesOut: number;
  bytesOut: number;
  /** Drop events by reason (the ProtocolError code, or RelayDomainMismatch, NotPublisher, BadHandshake ...). */
  drops: Record<string, number>;
  droppedBytes: number;
  gaps: number;
  missingFrames: number;
  duplicates: number;
  connections: number;
  publishers: number;
  subscribers: number;
  connectionsTotal: number;
  /** Connections closed, for any reason (slow-consumer disconnects included). */
  disconnects: number;
  slowConsumerDisconnects: number;
  queuedBytes: number;
  perConnection: ConnectionStats[];
}

const MAX_LISTED_CONNECTIONS = 200;

class Connection {
  readonly id: number;
  readonly socket: Socket<Connection>;
  readonly queue: WriteQueue;
  framer!: StreamFramer;
  role = 0;
  handshaken = false;
  name = "";
  allTypes = true;
  mask: Uint32Array = new Uint32Array(8);
  /** Next expected sequence; -1 before the first data frame (the first one sets the baseline). */
  expectedSequence = -1;
  framesIn = 0;
  bytesIn = 0;
  framesOut = 0;
  gaps = 0;
  missingFrames = 0;
  duplicates = 0;
  dirty = false;
  slow = false;
  closed = false;

  constructor(id: number, socket: Socket<Connection>, maxQueueBytes: number) {
    this.id = id;
    this.socket = socket;
    this.queue = new WriteQueue(maxQueueBytes);
  }

  get label(): string {
    return this.name ? `#${this.id} ${this.name}` : `#${this.id}`;
  }
}

/**
 * The relay engine: one unix socket, any number of publishers and subscribers, every frame checked and fanned out
 * unchanged (the received bytes, never re-encoded). The market-data, signal and execution relays are this class with
 * the configurations of relay-configs.ts. docs/relay.md states the handshake, the queue policy and the counters.
 *
 * Hot path (per frame): the StreamFramer's check (magic, version, size, CRC-32, TLV walk incl. each TLV's domain),
 * then the header domain, the sequence, and one copy into each interested subscriber's WriteQueue. No allocation
 * beyond the framer's frame view, no closure, no try/catch. Queues are flushed once per received chunk, so the
 * frames of one read leave in one write per subscriber.
 */
export class Relay {
  readonly name: string;
  readonly domain: number;
  readonly source: number;
  readonly socketPath: string;
  readonly maxQueueBytes: number;
  private readonly log: ConsolaInstance;
  private readonly trace: TransitTrace | undefined;
  private listener: UnixSocketListener<Connection> | undefined;
  private housekeeping: ReturnType<typeof setInterval> | undefined;
  private readonly connections = new Set<Connection>();
  /** Subscribers, as an array for the fan-out loop (rebuilt on the cold path when roles change). */
  private subscribers: Connection[] = [];
  private readonly dirty: Connection[] = [];
  private readonly slow: Connection[] = [];
  /** Types present in the current frame, filled only when a subset subscriber exists. */
  private readonly frameMask = new Uint32Array(8);
  private subsetSubscribers = 0;
  private nextId = 1;
  private readonly startedAtMs = Date.now();
  // counters
  private framesIn = 0;
  private bytesIn = 0;
  private framesOut = 0;
  private bytesOut = 0;
  private readonly drops = new Map<string, number>();
  private droppedBytes = 0;
  private gaps = 0;
  private missingFrames = 0;
  private duplicates = 0;
  private connectionsTotal = 0;
  private disconnects = 0;
  private slowConsumerDisconnects = 0;
  // drop log rate limit
  private readonly maxDropLogs: number;
  private dropLogWindow = 0;
  private dropLogsInWindow = 0;
  private dropLogsSuppressed = 0;

  constructor(options: RelayOptions) {
    this.name = options.name;
    this.domain = options.domain;
    this.source = options.source;
    this.socketPath = options.socketPath;
    this.maxQueueBytes = options.maxQueueBytes ?? 8 << 20;
    this.log = options.logger ?? createRelayLogger(options.name);
    this.maxDropLogs = options.maxDropLogsPerSecond ?? 20;
    this.trace = options.trace;
  }

  /** Listens on the socket (run directory 0700, socket 0600, a stale socket file replaced). */
  async start(): Promise<void> {
    this.listener = await listenUnix<Connection>({
      path: this.socketPath,
      socket: {
        binaryType: "uint8array",
        open: (socket) => this.onOpen(socket),
        data: (socket, chunk) => this.onData(socket.data, chunk),
        drain: (socket) => this.onDrain(socket.data),
        close: (socket, error) => this.onClose(socket.data, error),
        error: (socket, error) => this.log.warn(`connection ${socket.data?.label} error: ${error.message}`),
      },
    });
    // Queues grown by a burst are given back once idle: a subscriber that lagged 4 MB once should not pin 4 MB.
    this.housekeeping = setInterval(() => {
      for (const c of this.connections) c.queue.shrink();
    }, 1000);
    this.housekeeping.unref();
    this.log.info(`listening on ${this.socketPath} (domain ${this.domain} ${DOMAIN_NAMES[this.domain]})`);
  }

  /** Closes every connection and the listener; the socket file is removed. */
  stop(): void {
    clearInterval(this.housekeeping);
    for (const c of this.connections) c.socket.end();
    this.listener?.stop(true);
    this.listener = undefined;
  }

  // ---- connections -------------------------------------------------------------------------------------------

  private onOpen(socket: Socket<Connection>): void {
    const conn = new Connection(this.nextId++, socket, this.maxQueueBytes);
    conn.framer = new StreamFramer({
      onFrame: (frame, parser) => this.onFrame(conn, frame, parser),
      onSkip: (skipped, error) => this.onSkip(conn, skipped, error),
    });
    socket.data = conn;
    this.connections.add(conn);
    this.connectionsTotal++;
  }

  private onData(conn: Connection, chunk: Uint8Array): void {
    conn.bytesIn += chunk.length;
    const trace = this.trace;
    if (trace === undefined) {
      conn.framer.push(chunk);
      this.flushDirty();
      return;
    }
    trace.chunkIn();
    conn.framer.push(chunk);
    this.flushDirty();
    trace.chunkOut();
  }

  private onDrain(conn: Connection): void {
    if (conn.closed) return;
    if (conn.queue.flushTo(conn.socket) < 0) conn.socket.end();
  }

  private onClose(conn: Connection | undefined, error?: Error): void {
    if (conn === undefined || conn.closed) return;
    conn.closed = true;
    this.connections.delete(conn);
    if (conn.role & Role.Subscriber) this.rebuildSubscribers();
    if (conn.framer.buffered > 0) {
      // A publisher gone mid-frame: the partial frame dies with its framer, nothing of it was forwarded.
      this.countDrop("PartialFrame", conn.framer.buffered);
      this.log.warn(`connection ${conn.label} closed mid-frame: ${conn.framer.buffered} bytes discarded`);
    }
    this.disconnects++;
    this.log.info(
      `connection ${conn.label} closed (${roleName(conn.role)}, ${conn.framesIn} frames in, ${conn.framesOut} out)` +
        (error ? `: ${error.message}` : ""),
    );
  }

  // ---- hot path ----------------------------------------------------------------------------------------------

  private onFrame(conn: Connection, frame: Uint8Array, parser: FrameParser): void {
    if (frame[4] !== this.domain) {
      this.rejectRelayDomain(conn, frame, parser);
      return;
    }
    const t = firstTlvType(frame);
    if (t >= BUS_TLV_MIN && t <= BUS_TLV_MAX) {
      this.onControl(conn, t, parser);
      return;
    }
    if ((conn.role & Role.Publisher) === 0 && !this.implicitPublisher(conn)) return;

    const seq = parser.sequenceNumber;
    const expected = conn.expectedSequence;
    if (seq !== expected && expected !== -1) {
      if (seq > expected) {
        conn.gaps++;
        conn.missingFrames += seq - expected;
        this.gaps++;
        this.missingFrames += seq - expected;
      } else {
        conn.duplicates++;
        this.duplicates++;
      }
    }
    if (seq >= expected) conn.expectedSequence = seq + 1;
    if (this.trace !== undefined) this.trace.frame(frame[6], seq);

    const size = frame.length;
    conn.framesIn++;
    this.framesIn++;
    this.bytesIn += size;
    if (this.subsetSubscribers > 0) this.fillFrameMask(parser);

    const subs = this.subscribers;
    const mask = this.frameMask;
    let delivered = 0;
    for (let i = 0; i < subs.length; i++) {
      const s = subs[i];
      if (s === conn || s.slow) continue;
      if (!s.allTypes) {
        const m = s.mask;
        if (
          ((m[0] & mask[0]) |
            (m[1] & mask[1]) |
            (m[2] & mask[2]) |
            (m[3] & mask[3]) |
            (m[4] & mask[4]) |
            (m[5] & mask[5]) |
            (m[6] & mask[6]) |
            (m[7] & mask[7])) ===
          0
        )
          continue;
      }
      if (!s.queue.push(frame)) {
        s.slow = true;
        this.slow.push(s);
        continue;
      }
      s.framesOut++;
      delivered++;
      if (!s.dirty) {
        s.dirty = true;
        this.dirty.push(s);
      }
    }
    this.framesOut += delivered;
    this.bytesOut += delivered * size;
  }

  private fillFrameMask(parser: FrameParser): void {
    const mask = this.frameMask;
    mask.fill(0);
    for (let ok = parser.firstTlv(); ok; ok = parser.nextTlv()) {
      const t = parser.tlvType;
      mask[t >>> 5] |= 1 << (t & 31);
    }
  }

  /** Writes what the last chunk queued: one write per subscriber; then disconnects the subscribers past their limit. */
  private flushDirty(): void {
    const dirty = this.dirty;
    for (let i = 0; i < dirty.length; i++) {
      const s = dirty[i];
      s.dirty = false;
      if (!s.slow && !s.closed && s.queue.flushTo(s.socket) < 0) s.socket.end();
    }
    dirty.length = 0;
    if (this.slow.length > 0) this.disconnectSlow();
  }

  // ---- cold path ---------------------------------------------------------------------------------------------

  private disconnectSlow(): void {
    for (const s of this.slow) {
      this.slowConsumerDisconnects++;
      this.log.warn(
        `slow consumer ${s.label} disconnected: ${s.queue.length} bytes queued, limit ${this.maxQueueBytes}`,
      );
      s.queue.clear();
      s.socket.terminate();
      this.onClose(s);
    }
    this.slow.length = 0;
  }

  /** A connection that publishes without a handshake is a publisher; one that declared another role may not. */
  private implicitPublisher(conn: Connection): boolean {
    if (conn.handshaken) {
      this.countDrop("NotPublisher", 0);
      this.logDrop(`connection ${conn.label} (${roleName(conn.role)}) sent a data frame without the publisher role`);
      return false;
    }
    conn.role = Role.Publisher;
    conn.handshaken = true;
    return true;
  }

  private onControl(conn: Connection, type: number, parser: FrameParser): void {
    if (type === BusTlv.Subscribe) {
      const sub = parseSubscribe(parser);
      if (sub === undefined) {
        this.countDrop("BadHandshake", parser.frameSize);
        this.logDrop(`connection ${conn.label} sent a malformed Subscribe (docs/relay.md); closing it`);
        conn.socket.end();
        return;
      }
      const wasSubscriber = (conn.role & Role.Subscriber) !== 0;
      conn.role = sub.role;
      conn.mask = sub.mask;
      conn.allTypes = sub.allTypes;
      conn.name = sub.name;
      conn.handshaken = true;
      if (wasSubscriber || (sub.role & Role.Subscriber) !== 0) this.rebuildSubscribers();
      this.reply(conn, buildSubscribedFrame(this.domain, this.source, conn.id, conn.role));
      this.log.info(`connection ${conn.label} is a ${roleName(conn.role)}${sub.allTypes ? "" : " (subset of types)"}`);
    } else if (type === BusTlv.StatsRequest) {
      this.reply(conn, buildStatsFrame(this.domain, this.source, this.stats()));
    } else {
      this.countDrop("UnknownControl", parser.frameSize);
      this.logDrop(`connection ${conn.label} sent bus control TLV ${type}, which this relay does not know`);
    }
  }

  private reply(conn: Connection, frame: Uint8Array): void {
    if (!conn.queue.push(frame)) {
      conn.slow = true;
      this.slow.push(conn);
      return;
    }
    if (!conn.dirty) {
      conn.dirty = true;
      this.dirty.push(conn);
    }
  }

  private rebuildSubscribers(): void {
    this.subscribers = [...this.connections].filter((c) => (c.role & Role.Subscriber) !== 0 && !c.closed);
    this.subsetSubscribers = this.subscribers.filter((c) => !c.allTypes).length;
  }

  private rejectRelayDomain(conn: Connection, frame: Uint8Array, parser: FrameParser): void {
    this.countDrop("RelayDomainMismatch", frame.length);
    if (!this.mayLogDrop()) return;
    const error = new ProtocolError({
      code: "RelayDomainMismatch",
      message: `frame of domain ${frame[4]} (${DOMAIN_NAMES[frame[4]]}) sent to the ${this.name} relay (domain ${this.domain})`,
      facts: {
        frame_domain: frame[4],
        relay_domain: this.domain,
        sequence: parser.sequenceNumber,
        source: parser.source,
      },
      likelyCause: "a publisher connected to the wrong relay",
      hint: "each relay carries only its own domain (PROTOCOL.md §4)",
    });
    this.log.warn(`dropped frame from ${conn.label}: ${error.toLine()}`);
  }

  private onSkip(conn: Connection, skipped: number, error: ProtocolError): void {
    this.countDrop(error.code, skipped);
    if (this.mayLogDrop()) this.log.warn(`dropped ${skipped} bytes from ${conn.label}: ${error.toLine()}`);
  }

  private countDrop(reason: string, bytes: number): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
    this.droppedBytes += bytes;
  }

  private logDrop(line: string): void {
    if (this.mayLogDrop()) this.log.warn(line);
  }

  /** At most maxDropLogs lines a second, so a flood of bad frames cannot flood the log (they are all counted). */
  private mayLogDrop(): boolean {
    const window = Math.floor(Date.now() / 1000);
    if (window !== this.dropLogWindow) {
      if (this.dropLogsSuppressed > 0) this.log.warn(`${this.dropLogsSuppressed} more drops not logged (see stats)`);
      this.dropLogWindow = window;
      this.dropLogsInWindow = 0;
      this.dropLogsSuppressed = 0;
    }
    if (this.dropLogsInWindow < this.maxDropLogs) {
      this.dropLogsInWindow++;
      return true;
    }
    this.dropLogsSuppressed++;
    return false;
  }

  /** A snapshot of the counters (for `ap status`, and for any client through the StatsRequest control frame). */
  stats(): RelayStats {
    let publishers = 0;
    let queuedBytes = 0;
    const perConnection: ConnectionStats[] = [];
    for (const c of this.connections) {
      if (c.role & Role.Publisher) publishers++;
      queuedBytes += c.queue.length;
      if (perConnection.length < MAX_LISTED_CONNECTIONS) {
        perConnection.push({
          id: c.id,
          name: c.name,
          role: roleName(c.role),
          framesIn: c.framesIn,
          bytesIn: c.bytesIn,
          framesOut: c.framesOut,
          gaps: c.gaps,
          missingFrames: c.missingFrames,
          duplicates: c.duplicates,
          lastSequence: c.expectedSequence === -1 ? 0 : c.expectedSequence - 1,
          queuedBytes: c.queue.length,
        });
      }
    }
    return {
      relay: this.name,
      domain: this.domain,
      socketPath: this.socketPath,
      pid: process.pid,
      startedAtMs: this.startedAtMs,
      uptimeMs: Date.now() - this.startedAtMs,
      rssBytes: process.memoryUsage.rss(),
      framesIn: this.framesIn,
      bytesIn: this.bytesIn,
      framesOut: this.framesOut,
      bytesOut: this.bytesOut,
      drops: Object.fromEntries(this.drops),
      droppedBytes: this.droppedBytes,
      gaps: this.gaps,
      missingFrames: this.missingFrames,
      duplicates: this.duplicates,
      connections: this.connections.size,
      publishers,
      subscribers: this.subscribers.length,
      connectionsTotal: this.connectionsTotal,
      disconnects: this.disconnects,
      slowConsumerDisconnects: this.slowConsumerDisconnects,
      queuedBytes,
      perConnection,
    };
  }
}
