import { dlopen, ptr, read } from "bun:ffi";

/**
 * The benchmarks' clock shared by processes, and their pacing (bench/relay.ts, bench/floor.ts).
 *
 * Latency is measured across processes, so both ends need the same clock. Bun.nanoseconds() and process.hrtime()
 * count from each process's start (measured: a fresh process reads ~2 ms), and the header timestamp written by
 * FrameBuilder is Date.now()-based (ms origin). So: CLOCK_MONOTONIC from libc through bun:ffi, read once to learn
 * this process's offset to Bun.nanoseconds() (the narrowest of 200 bracketing reads: ~70 ns wide here, stable to
 * 10 ns over seconds), then Bun.nanoseconds() + offset on the hot path: no FFI call, no bigint. The publisher puts
 * that clock in Trade.exchange_ts_ns; the receiver subtracts it from its own reading.
 *
 * The paced publisher sleeps until each absolute send time with clock_nanosleep(TIMER_ABSTIME) after setting its
 * timer slack to 1 ns (prctl PR_SET_TIMERSLACK): Atomics.wait measured 80-90 us of overshoot for any timeout below
 * 100 us with the default 50 us slack, and Bun.sleepSync rounds sub-ms waits to 0. Pacing is the workload's clock,
 * not a wait for a condition.
 */
const CLOCK_MONOTONIC = 1;
const TIMER_ABSTIME = 1;
const PR_SET_TIMERSLACK = 29;

interface Libc {
  clock_gettime(id: number, ts: number): number;
  clock_nanosleep(id: number, flags: number, ts: Int32Array, rem: null): number;
  prctl(option: number, a: number, b: number, c: number, d: number): number;
}
let libc: Libc | undefined;
const timespec = new Int32Array(4); // struct timespec on x86_64/arm64 Linux: i64 tv_sec, i64 tv_nsec (LE)
let timespecPtr = 0;
let monoOffset = 0;

function loadLibc(): Libc {
  if (libc === undefined) {
    const lib = dlopen("libc.so.6", {
      clock_gettime: { args: ["i32", "ptr"], returns: "i32" },
      clock_nanosleep: { args: ["i32", "i32", "ptr", "ptr"], returns: "i32" },
      prctl: { args: ["i32", "u64", "u64", "u64", "u64"], returns: "i32" },
    });
    libc = lib.symbols as unknown as Libc;
    timespecPtr = ptr(timespec);
  }
  return libc;
}

function monotonicFromLibc(): number {
  loadLibc().clock_gettime(CLOCK_MONOTONIC, timespecPtr);
  // read.i32, not timespec[0]: the JIT hoists typed-array loads over the FFI call (measured: the same value
  // returned for 2 s once optimised).
  return read.i32(timespecPtr, 0) * 1e9 + read.i32(timespecPtr, 8);
}

/** Learns this process's offset from Bun.nanoseconds() to CLOCK_MONOTONIC. */
export function calibrateClock(): void {
  for (let i = 0; i < 2000; i++) monotonicFromLibc() + Bun.nanoseconds(); // JIT both before timing them
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < 200; i++) {
    const a = monotonicFromLibc();
    const b = Bun.nanoseconds();
    const c = monotonicFromLibc();
    if (c - a < best) {
      best = c - a;
      monoOffset = (a + c) / 2 - b;
    }
  }
}

/** CLOCK_MONOTONIC in ns, the same in every process of the machine (exact in a double: < 2^53 ns = 104 days). */
export function monoNs(): number {
  return Bun.nanoseconds() + monoOffset;
}

export function sleepUntil(ns: number): void {
  const sec = Math.floor(ns / 1e9);
  timespec[0] = sec;
  timespec[1] = 0;
  timespec[2] = ns - sec * 1e9;
  timespec[3] = 0;
  loadLibc().clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, timespec, null); // the array itself: stores land first
}

/** Timer slack 1 ns for this process (prctl PR_SET_TIMERSLACK): sleepUntil wakes on time instead of ~50 us late. */
export function preciseTimerSlack(): void {
  loadLibc().prctl(PR_SET_TIMERSLACK, 1, 0, 0, 0);
}
