import type { Socket } from "bun";
import type { ProtocolError } from "../../core/errors.ts";
import { StreamFramer } from "../../rules/framer.ts";
import type { FrameParser } from "../../rules/parser.ts";
import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
import {
  BUS_TLV_MAX,
  BUS_TLV_MIN,
  BusTlv,
  buildStatsRequestFrame,
  buildSubscribeFrame,
  firstTlvType,
  parseStats,
  parseSubscribed,
  Role,
} from "./bus-control.ts";
import { TransportError } from "./errors.ts";
import { WriteQueue } from "./write-queue.ts";

/** connecting -> handshaking -> ready; on loss: backoff -> connecting ...; closed by close(). */
export type ConnectionState = "connecting" | "handshaking" | "ready" | "backoff" | "closed";

export interface BusClientOptions {
  /** The relay's socket. */
  socketPath: string;
  /** The relay's domain: the header domain of the handshake frames. */
  domain: number;
  /** SourceType of this process. */
  source: number;
  /** Role.Publisher, Role.Subscriber or Role.Both. */
  role: number;
  /** TLV types to receive (a frame is delivered if any of its TLVs is listed); default all. */
  types?: readonly number[];
  /** Shown in the relay's logs and stats. */
  name?: string;
  /** Each frame from the relay, a view valid only during the call. Relay control replies are not passed here. */
  onFrame?: (frame: Uint8Array, parser: FrameParser) => void;
  /** Bytes from the relay that did not form valid frames. */
  onSkip?: (skipped: number, error: ProtocolError) => void;
  onState?: (state: ConnectionState) => void;
  /** Bytes queued for sending before send() refuses (and counts) frames. Default 16 MiB. */
  maxQueueBytes?: number;
  /** Queued bytes above which `backpressured` is true and a publisher should await drained(). Default 1 MiB. */
  highWaterBytes?: number;
  backoff?: BackoffOptions;
}

export interface BusClientCounters {
  /** Successful connections (the first one included). */
  connects: number;
  /** Successful connections after a loss. */
  reconnects: number;
  /** Connection attempts that failed (relay down, socket missing). */
  connectFailures: number;
  /** Established connections lost (not counting close()). */
  disconnects: number;
  framesIn: number;
  bytesIn: number;
  /** Frames accepted by send(). */
  framesOut: number;
  /** Bytes written to the socket. */
  bytesOut: number;
  /** Frames refused by send() because the queue was full. */
  droppedFrames: number;
  /** Bytes of a frame cut by a lost connection, dropped rather than sent torn on the next connection. */
  discardedPartialBytes: number;
  /** Bytes from the relay dropped by the framer. */
  skippedBytes: number;
}

/**
 * A connection to a relay that keeps itself up: it connects, sends the Subscribe handshake (docs/relay.md), and on
 * any loss retries with exponential backoff and jitter, re-sending the handshake on every new connection.
 *
 * send() copies a frame into the write queue; every frame sent in the same tick leaves in one write, scheduled as a
 * microtask. While the relay is away frames keep queueing (up to maxQueueBytes) and go out after the reconnect; a
 * frame cut by the loss is dropped whole, never sent torn.
 */
export class BusClient {
  readonly options: BusClientOptions;
  readonly counters: BusClientCounters = {
    connects: 0,
    reconnects: 0,
    connectFailures: 0,
    disconnects: 0,
    framesIn: 0,
    bytesIn: 0,
    framesOut: 0,
    bytesOut: 0,
    droppedFrames: 0,
    discardedPartialBytes: 0,
    skippedBytes: 0,
  };
  /** Connection id the relay gave the current connection (0 before the handshake completes). */
  connectionId = 0;
  private stateValue: ConnectionState = "connecting";
  private socket: Socket<BusClient> | undefined;
  private framer: StreamFramer | undefined;
  private readonly queue: WriteQueue;
  private readonly control = new WriteQueue(1 << 20, 4096);
  private readonly highWater: number;
  private readonly backoff: Required<BackoffOptions>;
  private attempt = 0;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private flushScheduled = false;
  private readonly flushTask = () => this.flush();
  private readonly userOnFrame: BusClientOptions["onFrame"];
  private readyWaiters: (() => void)[] = [];
  private drainWaiters: { bytes: number; resolve: () => void }[] = [];
  private statsWaiters: ((stats: unknown) => void)[] = [];

  constructor(options: BusClientOptions) {
    this.options = options;
    this.queue = new WriteQueue(options.maxQueueBytes ?? 16 << 20);
    this.highWater = options.highWaterBytes ?? 1 << 20;
    this.backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.userOnFrame = options.onFrame;
    this.connect();
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** Bytes waiting to be written. */
  get queuedBytes(): number {
    return this.queue.length;
  }

  /** True while more than highWaterBytes are queued: a publisher should await drained(). */
  get backpressured(): boolean {
    return this.queue.length > this.highWater;
  }

  /** Resolves when the relay has acknowledged the handshake (now, if it already has). */
  ready(): Promise<void> {
    if (this.stateValue === "ready") return Promise.resolve();
    return new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  /** Resolves when at most `bytes` are queued (default half the high-water mark; 0: all written to the socket). */
  drained(bytes = this.highWater >>> 1): Promise<void> {
    if (this.queue.length <= bytes) return Promise.resolve();
    return new Promise((resolve) => this.drainWaiters.push({ bytes, resolve }));
  }

  /**
   * Queues a copy of a whole frame. False if the queue is full: the frame is dropped and counted (await drained()
   * when `backpressured` to avoid that).
   */
  send(frame: Uint8Array): boolean {
    if (this.stateValue === "closed" || !this.queue.push(frame)) {
      this.counters.droppedFrames++;
      return false;
    }
    this.counters.framesOut++;
    if (!this.flushScheduled && this.stateValue === "ready") {
      this.flushScheduled = true;
      queueMicrotask(this.flushTask);
    }
    return true;
  }

  /**
   * Asks the relay for its stats (docs/relay.md); resolves with the relay's stats object, or rejects with a
   * TransportError (StatsTimeout) if no answer came within `timeoutMs` (default 5000).
   */
  requestStats<T = unknown>(timeoutMs = 5000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const waiter = (stats: unknown) => {
        clearTimeout(timer);
        resolve(stats as T);
      };
      const timer = setTimeout(() => {
        this.statsWaiters = this.statsWaiters.filter((w) => w !== waiter);
        reject(
          new TransportError({
            code: "StatsTimeout",
            message: `no stats from ${this.options.socketPath} within ${timeoutMs} ms (connection ${this.stateValue})`,
            facts: { socket: this.options.socketPath, state: this.stateValue, timeout_ms: timeoutMs },
            hint: "is the relay running, and is this client's domain the relay's?",
          }),
        );
      }, timeoutMs);
      this.statsWaiters.push(waiter);
      this.control.push(buildStatsRequestFrame(this.options.domain, this.options.source));
      if (this.socket) this.flush();
    });
  }

  /** Stops for good: no reconnect; queued bytes are written if the socket takes them now, then it closes. */
  close(): void {
    if (this.stateValue === "closed") return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    this.setState("closed");
    if (socket) {
      this.flushTo(socket);
      socket.end();
    }
  }

  // ---- connection life ---------------------------------------------------------------------------------------

  private connect(): void {
    this.timer = undefined;
    this.setState("connecting");
    Bun.connect<BusClient>({ unix: this.options.socketPath, data: this, socket: CLIENT_HANDLERS }).catch(() => {
      // connectError already scheduled the retry
    });
  }

  /** @internal true for the socket of the current connection (not one already given up by close()). */
  isCurrent(socket: Socket<BusClient>): boolean {
    return this.socket === socket;
  }

  /** @internal socket handler */
  onOpen(socket: Socket<BusClient>): void {
    if (this.stateValue === "closed") {
      socket.end();
      return;
    }
    this.socket = socket;
    this.counters.connects++;
    if (this.counters.connects > 1) this.counters.reconnects++;
    this.framer = new StreamFramer({
      onFrame: (frame, parser) => this.onFrame(frame, parser),
      onSkip: (n, error) => {
        this.counters.skippedBytes += n;
        this.options.onSkip?.(n, error);
      },
    });
    this.setState("handshaking");
    const { domain, source, role, types, name } = this.options;
    // The handshake goes first on the wire: the control queue is always written before the data queue.
    this.control.clear();
    this.control.push(buildSubscribeFrame(domain, source, { role, types, name }));
    // Stats requests lost with the previous connection are asked again.
    for (let i = 0; i < this.statsWaiters.length; i++) this.control.push(buildStatsRequestFrame(domain, source));
    this.flush();
  }

  /** @internal */
  onData(chunk: Uint8Array): void {
    this.counters.bytesIn += chunk.length;
    this.framer!.push(chunk);
  }

  private onFrame(frame: Uint8Array, parser: FrameParser): void {
    const t = firstTlvType(frame);
    if (t >= BUS_TLV_MIN && t <= BUS_TLV_MAX) {
      this.onControl(t, parser);
      return;
    }
    this.counters.framesIn++;
    this.userOnFrame?.(frame, parser);
  }

  private onControl(type: number, parser: FrameParser): void {
    if (type === BusTlv.Subscribed) {
      this.connectionId = parseSubscribed(parser)?.connectionId ?? 0;
      this.attempt = 0;
      this.setState("ready");
      const waiters = this.readyWaiters;
      this.readyWaiters = [];
      for (const w of waiters) w();
      this.flush(); // frames queued while away
    } else if (type === BusTlv.Stats) {
      const stats = parseStats(parser);
      this.statsWaiters.shift()?.(stats);
    }
  }

  /** @internal */
  onDrain(): void {
    this.flush();
  }

  /** @internal socket closed, or connect failed */
  onLost(failedToConnect: boolean): void {
    if (failedToConnect) this.counters.connectFailures++;
    else this.counters.disconnects++;
    this.socket = undefined;
    this.framer = undefined;
    this.connectionId = 0;
    if (this.stateValue === "closed") return;
    this.counters.discardedPartialBytes += this.queue.discardPartialFrame();
    this.control.clear();
    this.setState("backoff");
    const delay = backoffDelay(this.attempt++, this.backoff);
    this.timer = setTimeout(() => this.connect(), delay);
  }

  private flush(): void {
    this.flushScheduled = false;
    const socket = this.socket;
    if (socket === undefined) return;
    this.flushTo(socket);
  }

  private flushTo(socket: Socket<BusClient>): void {
    if (this.control.length > 0) {
      const n = this.control.flushTo(socket);
      if (n > 0) this.counters.bytesOut += n;
      if (this.control.length > 0) return; // wait for drain; data must not overtake the handshake
    }
    if (this.stateValue !== "ready" && this.stateValue !== "closed") return; // data waits for the acknowledgement
    const n = this.queue.flushTo(socket);
    if (n > 0) this.counters.bytesOut += n;
    if (this.drainWaiters.length > 0) this.wakeDrainWaiters();
  }

  private wakeDrainWaiters(): void {
    const queued = this.queue.length;
    const waiting = this.drainWaiters;
    this.drainWaiters = waiting.filter((w) => w.bytes < queued);
    for (const w of waiting) if (w.bytes >= queued) w.resolve();
  }

  private setState(state: ConnectionState): void {
    if (state === this.stateValue) return;
    this.stateValue = state;
    this.options.onState?.(state);
  }
}

/** One handler object shared by every client connection (Bun calls them with the socket; the client is its data). */
const CLIENT_HANDLERS = {
  binaryType: "uint8array",
  open(socket: Socket<BusClient>) {
    socket.data.onOpen(socket);
  },
  data(socket: Socket<BusClient>, chunk: Uint8Array) {
    socket.data.onData(chunk);
  },
  drain(socket: Socket<BusClient>) {
    socket.data.onDrain();
  },
  close(socket: Socket<BusClient>) {
    if (socket.data.isCurrent(socket)) socket.data.onLost(false);
  },
  connectError(socket: Socket<BusClient>) {
    socket.data.onLost(true);
  },
} as const;

export { Role };
