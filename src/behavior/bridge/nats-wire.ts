import type { ConnectionOptions } from "@nats-io/transport-node";
import type { Socket } from "bun";

/**
 * The bridge's publishing connection to NATS: a second, publish-only client connection that speaks the NATS text
 * protocol itself over a Bun native socket (Bun.connect), beside the nats.js connection that keeps everything else
 * (subscriptions, JetStream, status). Why (bench/README.md, "Bridge"): nats.js re-encodes the header block of every
 * message (MsgHdrsImpl.encode, a string built and TextEncoder'd per message) and writes through Bun's node:net
 * compatibility layer (stream, callback and promise per write); here a message is a few byte copies into one buffer:
 *
 *   HPUB <subject> <header bytes> <total bytes>\r\nNATS/1.0\r\nAp-Origin: <instance>\r\nAp-Seq: <n>\r\n\r\n<frame>\r\n
 *
 * with "HPUB <subject> " and the header block up to the Ap-Seq value made once (per subject; per instance), and every
 * message of one relay read leaves in one socket write (a microtask after the read).
 *
 * Protocol (docs.nats.io, "Client Protocol"): the server sends INFO; the client answers CONNECT {...} and PING, and
 * is up at the PONG (an auth failure is a -ERR and a close instead); the server's PINGs are answered with PONG. The
 * connection never subscribes, so INFO, PING, PONG, +OK and -ERR are all it reads. Plain TCP only: with TLS the
 * bridge publishes through nats.js (bridge.ts).
 *
 * Loss: nothing is kept across a lost connection (like nats.js, which discards its outbound buffer at a reconnect).
 * Every message written took its Ap-Seq, so what the server did not get is a counted `missing` at the receivers.
 */
export interface NatsPublisherOptions {
  /** host:port of the server to (re)connect to: the nats.js connection's current server. */
  server: () => string;
  /** From natsConnectionOptions: name, user / pass, token, authenticator (nkey, creds). */
  connection: ConnectionOptions;
  /** The Ap-Origin header value. */
  instance: string;
  /** Bytes queued beyond which publish() refuses (a socket that does not take them). */
  maxQueueBytes: number;
  /** Retry delay after a failed or lost connection: base + random jitter, ms. */
  reconnectWaitMs?: number;
  reconnectJitterMs?: number;
  onUp: () => void;
  onDown: (why: string) => void;
  /** A -ERR from the server (already a protocol message; may be passed to a redactor by the caller). */
  onError: (message: string) => void;
}

const enc = new TextEncoder();
const CRLF0 = 13;
const CRLF1 = 10;
const PONG = enc.encode("PONG\r\n");

/** Decimal digits of a non-negative safe integer. */
function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Writes n (a non-negative safe integer) in decimal at `at`; returns the position after it. */
function writeUint(buf: Uint8Array, at: number, n: number): number {
  const end = at + digits(n);
  let p = end;
  do {
    const q = Math.floor(n / 10);
    buf[--p] = 48 + (n - q * 10);
    n = q;
  } while (n > 0);
  return end;
}

export class NatsPublisher {
  /** True between the PONG that answers CONNECT and the loss of the connection. */
  up = false;
  /** Connections that reached up. */
  connects = 0;
  private readonly options: NatsPublisherOptions;
  /** "NATS/1.0\r\nAp-Origin: <instance>\r\nAp-Seq: " */
  private readonly headerHead: Uint8Array;
  private socket: Socket<NatsPublisher> | undefined;
  private buf = new Uint8Array(64 * 1024);
  private head = 0;
  private tail = 0;
  private flushScheduled = false;
  private readonly flushTask = () => this.flush();
  private inbound = "";
  private readonly decoder = new TextDecoder();
  private maxPayload = 1 << 20;
  private handshaking = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private upWaiters: (() => void)[] = [];

  constructor(options: NatsPublisherOptions) {
    this.options = options;
    this.headerHead = enc.encode(`NATS/1.0\r\nAp-Origin: ${options.instance}\r\nAp-Seq: `);
  }

  /** The "HPUB <subject> " bytes of a subject (the caller caches them per subject). */
  static prefixOf(subject: string): Uint8Array {
    return enc.encode(`HPUB ${subject} `);
  }

  /** Starts connecting (and reconnecting after every loss, until stop()). */
  start(): void {
    this.connect();
  }

  /** Connects now if waiting between attempts (the nats.js connection found the server back). */
  kick(): void {
    if (this.timer === undefined || this.stopped) return;
    clearTimeout(this.timer);
    this.connect();
  }

  /** Resolves when up (now if it is). */
  whenUp(): Promise<void> {
    if (this.up) return Promise.resolve();
    return new Promise((resolve) => this.upWaiters.push(resolve));
  }

  /** Bytes waiting for the socket. */
  get queued(): number {
    return this.tail - this.head;
  }

  /**
   * Queues one HPUB of `frame` (copied now: the frame may be a view valid only during the caller's call). False when
   * not up, when the frame is larger than the server's max_payload, or when maxQueueBytes are already waiting.
   */
  publish(prefix: Uint8Array, seq: number, frame: Uint8Array): boolean {
    if (!this.up) return false;
    const head = this.headerHead;
    const hdrLen = head.length + digits(seq) + 4;
    const total = hdrLen + frame.length;
    if (total > this.maxPayload) return false;
    const need = prefix.length + 34 + total; // two lengths (<= 16 digits each), a space, CRLFs
    if (this.tail - this.head + need > this.options.maxQueueBytes && this.tail > this.head) return false;
    if (this.tail + need > this.buf.length) this.makeRoom(need);
    const buf = this.buf;
    let p = this.tail;
    buf.set(prefix, p);
    p = writeUint(buf, p + prefix.length, hdrLen);
    buf[p++] = 32;
    p = writeUint(buf, p, total);
    buf[p++] = CRLF0;
    buf[p++] = CRLF1;
    buf.set(head, p);
    p = writeUint(buf, p + head.length, seq);
    buf[p++] = CRLF0;
    buf[p++] = CRLF1;
    buf[p++] = CRLF0;
    buf[p++] = CRLF1;
    buf.set(frame, p);
    p += frame.length;
    buf[p++] = CRLF0;
    buf[p++] = CRLF1;
    this.tail = p;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(this.flushTask);
    }
    return true;
  }

  /** Writes what is queued and closes; no reconnect. */
  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const socket = this.socket;
    this.socket = undefined;
    if (socket) {
      if (this.up) this.flushTo(socket);
      socket.end();
    }
    this.up = false;
  }

  // ---- connection life -----------------------------------------------------------------------------------------

  private connect(): void {
    this.timer = undefined;
    if (this.stopped) return;
    const server = this.options.server().replace(/^[a-z]+:\/\//i, "");
    const colon = server.lastIndexOf(":");
    const hostname = (colon > 0 ? server.slice(0, colon) : server).replace(/^\[(.*)\]$/, "$1");
    const port = colon > 0 ? Number(server.slice(colon + 1)) : 4222;
    Bun.connect<NatsPublisher>({ hostname, port, data: this, socket: HANDLERS }).catch(() => {
      // connectError scheduled the retry
    });
  }

  /** @internal */
  isCurrent(socket: Socket<NatsPublisher>): boolean {
    return this.socket === socket;
  }

  /** @internal */
  onOpen(socket: Socket<NatsPublisher>): void {
    if (this.stopped) {
      socket.end();
      return;
    }
    socket.setNoDelay(true);
    this.socket = socket;
    this.inbound = "";
    this.handshaking = true;
  }

  /** @internal */
  onData(socket: Socket<NatsPublisher>, chunk: Uint8Array): void {
    this.inbound += this.decoder.decode(chunk);
    let nl = this.inbound.indexOf("\r\n");
    while (nl >= 0) {
      const line = this.inbound.slice(0, nl);
      this.inbound = this.inbound.slice(nl + 2);
      this.onLine(socket, line);
      if (this.socket !== socket) return;
      nl = this.inbound.indexOf("\r\n");
    }
    if (this.inbound.length > 1 << 20) socket.end(); // not a NATS server
  }

  private onLine(socket: Socket<NatsPublisher>, line: string): void {
    const op = line.slice(0, 4).toUpperCase();
    if (op === "PING") {
      socket.write(PONG);
    } else if (op === "PONG") {
      if (this.handshaking) {
        this.handshaking = false;
        this.up = true;
        this.connects++;
        this.options.onUp();
        const waiters = this.upWaiters;
        this.upWaiters = [];
        for (const w of waiters) w();
      }
    } else if (op === "INFO") {
      if (!this.handshaking) return; // cluster updates: the nats.js connection follows them
      let info: { nonce?: string; max_payload?: number; tls_required?: boolean };
      try {
        info = JSON.parse(line.slice(5));
      } catch {
        socket.end();
        return;
      }
      if (typeof info.max_payload === "number" && info.max_payload > 0) this.maxPayload = info.max_payload;
      socket.write(enc.encode(`CONNECT ${JSON.stringify(this.connectOptions(info.nonce))}\r\nPING\r\n`));
    } else if (op === "-ERR") {
      this.options.onError(line.slice(5).trim());
    }
    // +OK (verbose is off) and anything else: nothing to do.
  }

  private connectOptions(nonce: string | undefined): Record<string, unknown> {
    const o = this.options.connection;
    const c: Record<string, unknown> = {
      verbose: false,
      pedantic: false,
      lang: "ap-bridge",
      version: "1",
      protocol: 1,
      headers: true,
      no_responders: false,
      echo: false,
      name: o.name ? `${o.name} publisher` : undefined,
    };
    if (o.user !== undefined) {
      c.user = o.user;
      c.pass = o.pass;
    }
    if (o.token !== undefined) c.auth_token = o.token;
    const auth = o.authenticator;
    const fns = typeof auth === "function" ? [auth] : Array.isArray(auth) ? auth : [];
    for (const fn of fns) Object.assign(c, fn(nonce));
    return c;
  }

  /** @internal */
  onDrain(): void {
    if (this.socket && this.up) this.flushTo(this.socket);
  }

  /** @internal socket closed, or connect failed */
  onLost(why: string): void {
    const wasUp = this.up;
    this.socket = undefined;
    this.up = false;
    this.handshaking = false;
    // A message cut by the loss must not start the next connection torn: everything queued goes.
    this.head = this.tail = 0;
    if (wasUp) this.options.onDown(why);
    if (this.stopped) return;
    const wait = (this.options.reconnectWaitMs ?? 100) + Math.random() * (this.options.reconnectJitterMs ?? 50);
    this.timer = setTimeout(() => this.connect(), wait);
  }

  private flush(): void {
    this.flushScheduled = false;
    if (this.socket && this.up) this.flushTo(this.socket);
  }

  private flushTo(socket: Socket<NatsPublisher>): void {
    const len = this.tail - this.head;
    if (len === 0) return;
    const n = socket.write(this.buf, this.head, len);
    if (n <= 0) return; // full: drain comes; closed: close comes
    this.head += n;
    if (this.head === this.tail) this.head = this.tail = 0;
  }

  private makeRoom(need: number): void {
    const queued = this.tail - this.head;
    if (queued + need <= this.buf.length && this.head > 0) {
      this.buf.copyWithin(0, this.head, this.tail);
    } else {
      let size = this.buf.length * 2;
      while (size < queued + need) size *= 2;
      const next = new Uint8Array(size);
      next.set(this.buf.subarray(this.head, this.tail));
      this.buf = next;
    }
    this.head = 0;
    this.tail = queued;
  }
}

const HANDLERS = {
  binaryType: "uint8array",
  open(socket: Socket<NatsPublisher>) {
    socket.data.onOpen(socket);
  },
  data(socket: Socket<NatsPublisher>, chunk: Uint8Array) {
    if (socket.data.isCurrent(socket)) socket.data.onData(socket, chunk);
  },
  drain(socket: Socket<NatsPublisher>) {
    if (socket.data.isCurrent(socket)) socket.data.onDrain();
  },
  close(socket: Socket<NatsPublisher>) {
    if (socket.data.isCurrent(socket)) socket.data.onLost("closed");
  },
  connectError(socket: Socket<NatsPublisher>) {
    socket.data.onLost("connect failed");
  },
} as const;
