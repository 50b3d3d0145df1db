export { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF } from "./backoff.ts";
export { BusClient, type BusClientCounters, type BusClientOptions, type ConnectionState } from "./bus-client.ts";
export * from "./bus-control.ts";
export { TransportError } from "./errors.ts";
export { type ListenUnixOptions, listenUnix } from "./listen-unix.ts";
export { defaultRunDir, ensureRunDir } from "./run-dir.ts";
export { type WritableSocket, WriteQueue } from "./write-queue.ts";
