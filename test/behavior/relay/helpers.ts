import { mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import type { Trade } from "../../../src/data/tlv-layouts.ts";
import { VenueId } from "../../../src/data/venues.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";
import type { FrameParser } from "../../../src/rules/parser.ts";

export const RELAY_MAIN = join(import.meta.dir, "../../../src/behavior/relay/main.ts");
export const FIXTURES = join(import.meta.dir, "fixtures");
export const BUN = process.execPath;

/** Frames for the big runs: 1M as the issue asks (about 1-2 s here); AP_TEST_FRAMES to change it. */
export const TEST_FRAMES = Number(process.env.AP_TEST_FRAMES ?? 1_000_000);

/** A fresh private directory (mkdtemp makes it 0700), short enough for a unix socket path. */
export function tempDir(): { dir: string; [Symbol.dispose](): void } {
  const dir = mkdtempSync("/tmp/ap-relay-");
  return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Resolves when `predicate` holds at one of the check() calls made by event callbacks; no polling, no sleep. */
export class Until {
  private waiters: { predicate: () => boolean; resolve: () => void }[] = [];
  until(predicate: () => boolean): Promise<void> {
    if (predicate()) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ predicate, resolve }));
  }
  check = (): void => {
    if (this.waiters.length === 0) return;
    const left = [];
    for (const w of this.waiters) {
      if (w.predicate()) w.resolve();
      else left.push(w);
    }
    this.waiters = left;
  };
}

/**
 * A child process (`bun <args>`, or `<launcher> <args>`) whose stdout/stderr are read into strings as they arrive,
 * with waits on their content.
 */
export class Child {
  readonly proc: Subprocess<"ignore", "pipe", "pipe">;
  stdout = "";
  stderr = "";
  private readonly changed = new Until();
  private readonly pumps: Promise<unknown>;
  /** The exit code, once the process has exited and all it wrote has been read. */
  readonly done: Promise<number>;

  constructor(args: string[], env: Record<string, string> = {}, launcher: readonly string[] = [BUN]) {
    this.proc = Bun.spawn([...launcher, ...args], {
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
      env: { ...process.env, ...env },
    });
    this.pumps = Promise.all([
      this.pump(this.proc.stdout, (s) => (this.stdout += s)),
      this.pump(this.proc.stderr, (s) => (this.stderr += s)),
    ]);
    this.done = Promise.all([this.proc.exited, this.pumps]).then(([code]) => code);
  }

  private async pump(stream: ReadableStream<Uint8Array>, append: (s: string) => void): Promise<void> {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      append(decoder.decode(chunk, { stream: true }));
      this.changed.check();
    }
    this.changed.check();
  }

  /** Resolves when stdout has a line matching `re` (rejects if the process exits first). */
  async waitStdout(re: RegExp): Promise<RegExpMatchArray> {
    await Promise.race([this.changed.until(() => re.test(this.stdout)), this.exitedEarly("stdout", re)]);
    return this.stdout.match(re)!;
  }

  async waitStderr(re: RegExp): Promise<void> {
    await Promise.race([this.changed.until(() => re.test(this.stderr)), this.exitedEarly("stderr", re)]);
  }

  private async exitedEarly(which: string, re: RegExp): Promise<never> {
    const code = await this.proc.exited;
    await this.pumps; // everything the process wrote has been read
    if (re.test(which === "stdout" ? this.stdout : this.stderr)) return new Promise(() => {});
    throw new Error(
      `process exited (${code}) before ${which} matched ${re}\nstdout: ${this.stdout}\nstderr: ${this.stderr}`,
    );
  }

  kill(signal: NodeJS.Signals | number = "SIGKILL"): void {
    this.proc.kill(signal);
  }
}

/** Starts the fixture subscriber process (fixtures/subscriber.ts) and waits for its `ready` line. */
export async function startChildSubscriber(socketPath: string, name: string): Promise<Child> {
  const child = new Child([join(FIXTURES, "subscriber.ts"), socketPath, name]);
  await child.waitStdout(/^ready$/m);
  return child;
}

/** Closes the clients, then stops the relay with SIGTERM; resolves with its exit code. */
export async function stopRelay(relay: Child, clients: readonly { close(): void }[] = []): Promise<number> {
  for (const c of clients) c.close();
  relay.kill("SIGTERM");
  return await relay.proc.exited;
}

/** Starts `bun src/behavior/relay/main.ts` and waits for its `ready <path>` line. */
export async function startRelay(domain: string, socketPath: string, extra: string[] = []): Promise<Child> {
  const relay = new Child([RELAY_MAIN, "--domain", domain, "--socket", socketPath, ...extra]);
  await relay.waitStdout(/^ready .+$/m);
  return relay;
}

export function tradeBuilder(domain = 1): { builder: FrameBuilder; next: () => Uint8Array } {
  const builder = new FrameBuilder({ domain, source: 2 });
  const trade: Trade = {
    instrument: InstrumentId.spot(VenueId.Kraken, "BTC", "USD"),
    price: 4500012345678n,
    size: 150000000n,
    exchangeTsNs: 1700000000000000000n,
    side: 1,
  };
  return { builder, next: () => builder.build("Trade", trade) };
}

/** A subscriber's bookkeeping: counts frames and checks the sequence is 1, 2, 3 ... with nothing missing. */
export class SequenceCheck {
  received = 0;
  expected = 1;
  errors: string[] = [];
  readonly events = new Until();
  onFrame = (_frame: Uint8Array, parser: FrameParser): void => {
    const seq = parser.sequenceNumber;
    if (seq !== this.expected && this.errors.length < 5) this.errors.push(`got ${seq}, expected ${this.expected}`);
    this.expected = seq + 1;
    this.received++;
    this.events.check();
  };
  reach(n: number): Promise<void> {
    return this.events.until(() => this.received >= n);
  }
}

/**
 * Publishes `count` frames, never more than `window` ahead of the slowest of `checks`: the subscribers share this
 * process with the publisher, and without a window the publisher could outrun them into the relay's queue limit.
 */
export async function publishWindowed(
  pub: { send(frame: Uint8Array): boolean; backpressured: boolean; drained(): Promise<void> },
  next: () => Uint8Array,
  count: number,
  checks: SequenceCheck[],
  window = 20_000,
): Promise<void> {
  const base = Math.min(...checks.map((c) => c.received));
  for (let i = 0; i < count; i++) {
    pub.send(next());
    if (pub.backpressured) await pub.drained();
    if (i % 1000 === 999 && i >= window) await Promise.all(checks.map((c) => c.reach(base + i - window)));
  }
}
