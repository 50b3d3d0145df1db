import { createHash } from "node:crypto";
import { hostname } from "node:os";
import { VENUE_ID_BY_NAME } from "../../data/venues.ts";
import { isRelayName, RELAY_CONFIGS, type RelayName } from "../relay/relay-configs.ts";
import { BridgeError } from "./errors.ts";

/** The [bridge] table of ap.toml, validated (docs/bridge.md, "Configuration"). */
export interface BridgeConfig {
  /** NATS servers (`nats://host:port`, `tls://...`); AP_NATS_URL replaces them (it may carry credentials). */
  readonly servers: readonly string[];
  /** This ap instance's origin id: the Ap-Origin header of what it publishes. Unique per instance. */
  readonly instance: string;
  /** First subject token(s): `<prefix>.<domain>.<tlv>.<venue>`. */
  readonly subjectPrefix: string;
  /** Relay domains forwarded to NATS. */
  readonly publish: readonly RelayName[];
  /** Relay domains taken from NATS into the local relays. */
  readonly subscribe: readonly RelayName[];
  /** Only these TLV types (first TLV of a frame), both ways; empty: every type of the domain. */
  readonly types: readonly number[];
  /** Only these venues (the first TLV's instrument), both ways; empty: every venue. */
  readonly venues: readonly string[];
  /** Market data through a JetStream stream: received through an ordered consumer, kept `historyMinutes`. */
  readonly jetstream: boolean;
  readonly stream: string;
  readonly historyMinutes: number;
  /** Bytes of frames the bridge holds while NATS is away (sent after the reconnect); past it frames are dropped and counted. */
  readonly maxBufferBytes: number;
  /** Require TLS (CA, certificate and key files from AP_NATS_TLS_CA / _CERT / _KEY). */
  readonly tls: boolean;
}

const KEYS = [
  "servers",
  "instance",
  "subject_prefix",
  "publish",
  "subscribe",
  "types",
  "venues",
  "jetstream",
  "stream",
  "history_minutes",
  "max_buffer_bytes",
  "tls",
] as const;

const TOKENS = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

/**
 * Validates [bridge] (`config.owned.bridge`, as parsed). `runDir` makes the default instance id: host name plus a
 * short hash of the run directory, so two ap instances on one machine differ without configuration.
 */
export function parseBridgeConfig(table: unknown, runDir: string): BridgeConfig {
  const t = (table ?? {}) as Record<string, unknown>;
  if (typeof t !== "object" || Array.isArray(t)) fail("bridge", t, "a table");
  for (const key of Object.keys(t)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      throw new BridgeError({
        code: "BridgeConfig",
        message: `unknown key "bridge.${key}"`,
        facts: { key: `bridge.${key}` },
        hint: `known: ${KEYS.map((k) => `bridge.${k}`).join(", ")}`,
      });
    }
  }
  const servers = strings(t, "servers", ["nats://127.0.0.1:4222"]);
  if (servers.length === 0) fail("servers", t.servers, "at least one server");
  const runHash = createHash("sha256").update(runDir).digest("hex").slice(0, 8);
  const instance = string(t, "instance", `${hostname()}-${runHash}`);
  if (!/^[\x21-\x7e]{1,128}$/.test(instance)) fail("instance", instance, "1-128 printable ASCII characters, no space");
  const subjectPrefix = string(t, "subject_prefix", "ap");
  if (!TOKENS.test(subjectPrefix)) fail("subject_prefix", subjectPrefix, "subject tokens [A-Za-z0-9_-] joined by dots");
  const domains = (key: string, def: string[]): RelayName[] => {
    const list = strings(t, key, def);
    for (const d of list)
      if (!isRelayName(d)) fail(key, t[key], `domains among ${Object.keys(RELAY_CONFIGS).join(", ")}`);
    return list as RelayName[];
  };
  const publish = domains("publish", ["market-data"]);
  const subscribe = domains("subscribe", []);
  const types = ints(t, "types", 1, 99);
  const venues = strings(t, "venues", []);
  for (const v of venues)
    if (!VENUE_ID_BY_NAME.has(v)) fail("venues", t.venues, `venue names (${[...VENUE_ID_BY_NAME.keys()].join(", ")})`);
  const jetstream = bool(t, "jetstream", false);
  const stream = string(t, "stream", "AP_MARKET_DATA");
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(stream)) fail("stream", stream, "a stream name [A-Za-z0-9_-], 1-64 characters");
  const historyMinutes = int(t, "history_minutes", 10, 1, 10_080);
  const maxBufferBytes = int(t, "max_buffer_bytes", 8 << 20, 65_536, 1 << 30);
  const tls = bool(t, "tls", false);
  return {
    servers,
    instance,
    subjectPrefix,
    publish,
    subscribe,
    types,
    venues,
    jetstream,
    stream,
    historyMinutes,
    maxBufferBytes,
    tls,
  };
}

function fail(key: string, value: unknown, expected: string): never {
  throw new BridgeError({
    code: "BridgeConfig",
    message: `bridge.${key} = ${JSON.stringify(value)}: expected ${expected}`,
    facts: { key: `bridge.${key}`, expected },
    hint: "see docs/bridge.md, Configuration",
  });
}
function string(t: Record<string, unknown>, key: string, def: string): string {
  const v = t[key] ?? def;
  if (typeof v !== "string" || v === "") fail(key, v, "a non-empty string");
  return v;
}
function strings(t: Record<string, unknown>, key: string, def: string[]): string[] {
  const v = t[key] ?? def;
  if (!Array.isArray(v) || v.some((s) => typeof s !== "string" || s === "")) fail(key, v, "a list of strings");
  return [...(v as string[])];
}
function ints(t: Record<string, unknown>, key: string, min: number, max: number): number[] {
  const v = t[key] ?? [];
  if (!Array.isArray(v) || v.some((n) => typeof n !== "number" || !Number.isInteger(n) || n < min || n > max))
    fail(key, v, `a list of integers in ${min}..${max}`);
  return [...(v as number[])];
}
function int(t: Record<string, unknown>, key: string, def: number, min: number, max: number): number {
  const v = t[key] ?? def;
  if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) fail(key, v, `an integer in ${min}..${max}`);
  return v;
}
function bool(t: Record<string, unknown>, key: string, def: boolean): boolean {
  const v = t[key] ?? def;
  if (typeof v !== "boolean") fail(key, v, "true or false");
  return v;
}
