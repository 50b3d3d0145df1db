/**
 * CLOCK_MONOTONIC in nanoseconds, comparable across the processes of one machine, for measuring latencies between
 * processes (the relays' transit trace). Bun.nanoseconds() counts from each process's start and the frame header's
 * timestamp has a Date.now() origin, so neither compares across processes.
 *
 * clock_gettime comes from libc through bun:ffi once, to learn this process's offset to Bun.nanoseconds() (the
 * narrowest of 200 bracketing reads); the returned clock is then Bun.nanoseconds() + offset: no FFI call, no bigint.
 * The value is an integer below 2^53 (ns since boot). Linux only (libc.so.6); elsewhere the caller gets an error.
 * A diagnostic clock: market data timestamps stay on core/time.ts.
 */
import { dlopen, ptr, read } from "bun:ffi";

const CLOCK_MONOTONIC = 1;

export function monotonicClock(): () => number {
  const lib = dlopen("libc.so.6", { clock_gettime: { args: ["i32", "ptr"], returns: "i32" } });
  const timespec = new Int32Array(4); // struct timespec on 64-bit Linux: i64 tv_sec, i64 tv_nsec
  const at = ptr(timespec);
  const libcNs = (): number => {
    lib.symbols.clock_gettime(CLOCK_MONOTONIC, at);
    // read.i32, not timespec[0]: the JIT may hoist a typed-array load above the FFI call (bench/README.md)
    return read.i32(at, 0) * 1_000_000_000 + read.i32(at, 8);
  };
  for (let i = 0; i < 2000; i++) libcNs() + Bun.nanoseconds(); // compile both before bracketing
  let best = Number.POSITIVE_INFINITY;
  let offset = 0;
  for (let i = 0; i < 200; i++) {
    const a = libcNs();
    const b = Bun.nanoseconds();
    const c = libcNs();
    if (c - a < best) {
      best = c - a;
      offset = a + Math.floor((c - a) / 2) - b;
    }
  }
  lib.close();
  return () => Bun.nanoseconds() + offset;
}
