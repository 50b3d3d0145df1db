import type { ConnectionOptions } from "@nats-io/transport-node";
import type { Socket } from "bun";

/**
 * The bridge's data connection to NATS: a second client connection that speaks the NATS text protocol itself over a
 * Bun native socket (Bun.connect) for the hot path, publishing and core subscriptions, beside the nats.js connection
 * that keeps the rest (JetStream, status, drain). Why (bench/README.md, "Bridge"): nats.js re-encodes the header block of every
 * message (MsgHdrsImpl.encode, a string built and TextEncoder'd per message) and writes through Bun's node:net
 * compatibility layer (stream, callback and promise per write); here a message is a few byte copies into one buffer:
 *
 *   HPUB <subject> <header bytes> <total bytes>\r\nNATS/1.0\r\nAp-Origin: <instance>\r\nAp-Seq: <n>\r\n\r\n<frame>\r\n
 *
 * with "HPUB <subject> " and the header block up to the Ap-Seq value made once (per subject; per instance), and every
 * message of one relay read leaves in one socket write (a microtask after the read).
 *
 * Receiving, nats.js parses every MSG/HMSG into objects, decodes the header block into a Map and reads through
 * node:net streams; here the bytes of one socket read are scanned in place and each message is handed on as views
 * (subject, Ap-Origin value, Ap-Seq number, payload), valid during the call.
 *
 * Protocol (docs.nats.io, "Client Protocol"): the server sends INFO; the client answers CONNECT {...} (echo off: the
 * server never hands this connection its own publications, loop fence (2)), its SUBs and PING, and is up at the PONG
 * (the subscriptions are in place then; an auth failure is a -ERR and a close instead); the server's PINGs are
 * answered with PONG. Subscriptions are sent again on every new connection. Plain TCP only: with TLS the bridge
 * uses nats.js for everything (bridge.ts).
 *
 * Loss: nothing is kept across a lost connection (like nats.js, which discards its outbound buffer at a reconnect).
 * Every message written took its Ap-Seq, so what the server did not get is a counted `missing` at the receivers.
 */
export interface NatsWireOptions {
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
  /** Core subscriptions (sid = index + 1), made on every connection before it is up. */
  subjects?: readonly string[];
  /**
   * Each message of the subscriptions: views into the read buffer, valid only during the call. `origin` is the
   * Ap-Origin value (undefined without one), `seq` the Ap-Seq value (NaN without one or when not a number), the
   * payload is buf[start, end): the read buffer itself rather than a view per message, so that a FrameParser keeps
   * its DataView across the messages of one read.
   */
  onMessage?: (
    subject: Uint8Array,
    origin: Uint8Array | undefined,
    seq: number,
    buf: Uint8Array,
    start: number,
    end: number,
  ) => void;
}

const enc = new TextEncoder();
const CRLF0 = 13;
const CRLF1 = 10;
const PONG = enc.encode("PONG\r\n");

const KEY_ORIGIN = enc.encode("ap-origin");
const KEY_SEQ = enc.encode("ap-seq");

/** buf[a, b) equals `key` (lower case ASCII), ignoring case. */
function keyIs(buf: Uint8Array, a: number, b: number, key: Uint8Array): boolean {
  if (b - a !== key.length) return false;
  for (let i = 0; i < key.length; i++) if ((buf[a + i] | 0x20) !== key[i]) return false;
  return true;
}

/** The decimal number in buf[a, b); NaN if it holds anything but digits (or more than 15 of them). */
function parseUint(buf: Uint8Array, a: number, b: number): number {
  if (b <= a || b - a > 15) return Number.NaN;
  let n = 0;
  for (let i = a; i < b; i++) {
    const d = buf[i] - 48;
    if (d < 0 || d > 9) return Number.NaN;
    n = n * 10 + d;
  }
  return n;
}

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

export class NatsWire {
  /** True between the PONG that answers CONNECT and the loss of the connection. */
  up = false;
  /** Connections that reached up. */
  connects = 0;
  private readonly options: NatsWireOptions;
  /** "NATS/1.0\r\nAp-Origin: <instance>\r\nAp-Seq: " */
  private readonly headerHead: Uint8Array;
  private socket: Socket<NatsWire> | undefined;
  private buf = new Uint8Array(64 * 1024);
  private head = 0;
  private tail = 0;
  private flushScheduled = false;
  private readonly flushTask = () => this.flush();
  /** Bytes of an incomplete line or message, kept for the next read. */
  private inbound = new Uint8Array(64 * 1024);
  private inboundLength = 0;
  /** Control lines only (INFO, PING, PONG, +OK, -ERR): an INFO can be longer than fromCharCode's argument limit. */
  private readonly decoder = new TextDecoder();
  private maxPayload = 1 << 20;
  private handshaking = false;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private stopped = false;
  private upWaiters: (() => void)[] = [];

  constructor(options: NatsWireOptions) {
    this.options = options;
    this.headerHead = enc.encode(`NATS/1.0\r\nAp-Origin: ${options.instance}\r\nAp-Seq: `);
    this.subCount = options.subjects?.length ?? 0;
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
    Bun.connect<NatsWire>({ hostname, port, data: this, socket: HANDLERS }).catch(() => {
      // connectError scheduled the retry
    });
  }

  /** @internal */
  isCurrent(socket: Socket<NatsWire>): boolean {
    return this.socket === socket;
  }

  /** @internal */
  onOpen(socket: Socket<NatsWire>): void {
    if (this.stopped) {
      socket.end();
      return;
    }
    socket.setNoDelay(true);
    this.socket = socket;
    this.inboundLength = 0;
    this.handshaking = true;
  }

  /** @internal */
  onData(socket: Socket<NatsWire>, chunk: Uint8Array): void {
    let buf = chunk;
    let len = chunk.length;
    if (this.inboundLength > 0) {
      const need = this.inboundLength + len;
      if (need > this.inbound.length) {
        const next = new Uint8Array(Math.max(need, this.inbound.length * 2));
        next.set(this.inbound.subarray(0, this.inboundLength));
        this.inbound = next;
      }
      this.inbound.set(chunk, this.inboundLength);
      buf = this.inbound;
      len = need;
    }
    const pos = this.scan(socket, buf, len);
    if (this.socket !== socket) return;
    const rest = len - pos;
    if (rest === 0) this.inboundLength = 0;
    else if (buf === this.inbound) {
      if (pos > 0) buf.copyWithin(0, pos, len);
      this.inboundLength = rest;
    } else {
      if (rest > this.inbound.length) this.inbound = new Uint8Array(Math.max(rest, this.inbound.length * 2));
      this.inbound.set(buf.subarray(pos, len));
      this.inboundLength = rest;
    }
    // A line this long is not the NATS protocol (messages are bounded by max_payload, lines by the server).
    if (this.inboundLength > this.maxPayload + 4096) socket.end();
  }

  /** Handles every whole line / message in buf[0, len); returns where the incomplete rest starts. */
  private scan(socket: Socket<NatsWire>, buf: Uint8Array, len: number): number {
    let pos = 0;
    while (pos < len) {
      let nl = buf.indexOf(CRLF1, pos);
      if (nl < 0 || nl >= len) return pos;
      const lineEnd = nl > pos && buf[nl - 1] === CRLF0 ? nl - 1 : nl;
      nl++;
      const c = buf[pos] | 0x20;
      if (c === 0x6d /* m */ || (c === 0x68 /* h */ && (buf[pos + 1] | 0x20) === 0x6d)) {
        // MSG <subject> <sid> [reply] <size>  |  HMSG <subject> <sid> [reply] <header size> <total size>
        const withHeaders = c === 0x68;
        const t = this.tokens;
        let n = 0;
        let p = pos + (withHeaders ? 5 : 4);
        while (p < lineEnd && n < 10) {
          while (p < lineEnd && buf[p] === 32) p++;
          if (p >= lineEnd) break;
          t[n++] = p;
          while (p < lineEnd && buf[p] !== 32) p++;
          t[n++] = p;
        }
        const count = n >> 1;
        if (count < (withHeaders ? 4 : 3)) {
          socket.end(); // a protocol error: nothing after it can be trusted
          return len;
        }
        const total = parseUint(buf, t[n - 2], t[n - 1]);
        const hdr = withHeaders ? parseUint(buf, t[n - 4], t[n - 3]) : 0;
        if (!(total >= hdr && hdr >= 0)) {
          socket.end();
          return len;
        }
        const end = nl + total;
        if (end + 2 > len) return pos; // the rest of the message comes with the next read
        const sid = parseUint(buf, t[2], t[3]);
        if (sid >= 1 && sid <= this.subCount) this.message(buf, t[0], t[1], nl, hdr, end);
        if (this.socket !== socket) return len;
        pos = end + 2;
        continue;
      }
      this.onLine(socket, this.decoder.decode(buf.subarray(pos, lineEnd)));
      if (this.socket !== socket) return len;
      pos = nl;
    }
    return pos;
  }

  /** One MSG/HMSG: Ap-Origin and Ap-Seq read from the header bytes, then onMessage. */
  private message(buf: Uint8Array, s0: number, s1: number, start: number, hdr: number, end: number): void {
    let origin: Uint8Array | undefined;
    let seq = Number.NaN;
    if (hdr > 0) {
      const hend = start + hdr;
      let p = buf.indexOf(CRLF1, start) + 1; // past the NATS/1.0 line
      while (p > 0 && p < hend) {
        let e = buf.indexOf(CRLF1, p);
        if (e < 0 || e > hend) e = hend;
        const lineEnd = e > p && buf[e - 1] === CRLF0 ? e - 1 : e;
        const colon = buf.indexOf(58, p);
        if (colon > p && colon < lineEnd) {
          let v = colon + 1;
          while (v < lineEnd && buf[v] === 32) v++;
          let ve = lineEnd;
          while (ve > v && buf[ve - 1] === 32) ve--;
          if (keyIs(buf, p, colon, KEY_ORIGIN)) origin = buf.subarray(v, ve);
          else if (keyIs(buf, p, colon, KEY_SEQ)) seq = ve > v ? parseUint(buf, v, ve) : Number.NaN;
        }
        p = e + 1;
      }
    }
    this.options.onMessage?.(buf.subarray(s0, s1), origin, seq, buf, start + hdr, end);
  }

  private readonly tokens = new Int32Array(10);
  private readonly subCount: number;

  private onLine(socket: Socket<NatsWire>, line: string): void {
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
      let subs = "";
      const subjects = this.options.subjects ?? [];
      for (let i = 0; i < subjects.length; i++) subs += `SUB ${subjects[i]} ${i + 1}\r\n`;
      socket.write(enc.encode(`CONNECT ${JSON.stringify(this.connectOptions(info.nonce))}\r\n${subs}PING\r\n`));
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

  private flushTo(socket: Socket<NatsWire>): void {
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
  open(socket: Socket<NatsWire>) {
    socket.data.onOpen(socket);
  },
  data(socket: Socket<NatsWire>, chunk: Uint8Array) {
    if (socket.data.isCurrent(socket)) socket.data.onData(socket, chunk);
  },
  drain(socket: Socket<NatsWire>) {
    if (socket.data.isCurrent(socket)) socket.data.onDrain();
  },
  close(socket: Socket<NatsWire>) {
    if (socket.data.isCurrent(socket)) socket.data.onLost("closed");
  },
  connectError(socket: Socket<NatsWire>) {
    socket.data.onLost("connect failed");
  },
} as const;
