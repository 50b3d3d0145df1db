import { join } from "node:path";
import type { JsMsg } from "@nats-io/jetstream";
import { SourceType } from "../../data/venues.ts";
import { ErrorCode } from "../../rules/error-codes.ts";
import { MAX_FRAME_SIZE } from "../../rules/header.ts";
import { FrameParser } from "../../rules/parser.ts";
import { markReplayed } from "../capture/mark-replayed.ts";
import { RELAY_CONFIGS } from "../relay/relay-configs.ts";
import { BusClient, Role } from "../transport/bus-client.ts";
import { HEADER_ORIGIN } from "./bridge.ts";
import type { BridgeConfig } from "./bridge-config.ts";
import { BridgeError } from "./errors.ts";
import { natsConnectionOptions } from "./nats-connection-options.ts";
import { SubjectScheme } from "./subject-scheme.ts";
import { within } from "./within.ts";

export interface ReplayHistoryOptions {
  config: BridgeConfig;
  runDir: string;
  env?: Record<string, string | undefined>;
  /** How far back: the last `minutes` of the stream (at most what it keeps). */
  minutes: number;
  /** Send the stored bytes unchanged; default: with the replayed flag set (PROTOCOL.md §2), as `ap replay` does. */
  asRecorded?: boolean;
  /** Include frames this instance published itself (default: skipped, its own consumers saw them live). */
  includeOwn?: boolean;
  timeoutMs?: number;
}

export interface ReplayHistoryResult {
  frames: number;
  bytes: number;
  ownSkipped: number;
  badFrames: number;
  refused: number;
  firstStreamSeq: number;
  lastStreamSeq: number;
}

/**
 * `ap bridge replay`: the market data of the last N minutes from the JetStream stream into the local market data
 * relay, in stream order, then stops (at the stream's end as of the first message delivered).
 */
export async function replayHistory(options: ReplayHistoryOptions): Promise<ReplayHistoryResult> {
  const { config, env = process.env } = options;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const { connect } = await import("@nats-io/transport-node");
  const { jetstream, DeliverPolicy } = await import("@nats-io/jetstream");
  const rc = RELAY_CONFIGS["market-data"];
  const relay = new BusClient({
    socketPath: join(options.runDir, "market-data.sock"),
    domain: rc.domain,
    source: SourceType.Replay,
    role: Role.Publisher,
    name: "ap bridge replay",
  });
  const connectOptions = {
    ...natsConnectionOptions(config, env, "ap bridge replay"),
    waitOnFirstConnect: false,
    maxReconnectAttempts: 0,
  };
  const nc = await connect(connectOptions).catch(() => {
    relay.close();
    throw new BridgeError({
      code: "NatsUnavailable",
      message: "no NATS server answered",
      hint: "check bridge.servers / AP_NATS_URL and that nats-server runs",
    });
  });
  const result: ReplayHistoryResult = {
    frames: 0,
    bytes: 0,
    ownSkipped: 0,
    badFrames: 0,
    refused: 0,
    firstStreamSeq: 0,
    lastStreamSeq: 0,
  };
  try {
    await within(
      timeoutMs,
      relay.ready(),
      () =>
        new BridgeError({
          code: "RelayUnavailable",
          message: `the market data relay did not answer within ${timeoutMs} ms`,
          facts: { run_dir: options.runDir },
          hint: "start the relays first (ap up)",
        }),
    );
    const start = new Date(Date.now() - options.minutes * 60_000).toISOString();
    const scheme = new SubjectScheme(config.subjectPrefix);
    const consumer = await jetstream(nc)
      .consumers.get(config.stream, {
        filter_subjects: oneOrList(scheme.subscriptions(["market-data"], config.types, config.venues)),
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: start,
      })
      .catch((e: unknown) => {
        throw new BridgeError({
          code: "HistoryUnavailable",
          message: `no JetStream stream ${config.stream}: ${e instanceof Error ? e.message : e}`,
          facts: { stream: config.stream },
          hint: "a bridge with bridge.jetstream = true creates it",
        });
      });
    const info = await consumer.info();
    if (info.num_pending === 0) return result;
    const parser = new FrameParser();
    const scratch = new Uint8Array(MAX_FRAME_SIZE);
    const scratchView = new DataView(scratch.buffer);
    const messages = await consumer.consume();
    for await (const m of messages as AsyncIterable<JsMsg>) {
      result.firstStreamSeq ||= m.seq;
      result.lastStreamSeq = m.seq;
      if (!options.includeOwn && m.headers?.get(HEADER_ORIGIN) === config.instance) result.ownSkipped++;
      else if (parser.check(m.data) !== ErrorCode.Ok || parser.frameSize !== m.data.length) result.badFrames++;
      else {
        const frame = options.asRecorded ? m.data : markReplayed(m.data, scratch, scratchView);
        if (relay.send(frame)) {
          result.frames++;
          result.bytes += frame.length;
        } else result.refused++;
        if (relay.backpressured) await relay.drained();
      }
      if (m.info.pending === 0) break;
    }
    await messages.close();
    await relay.drained(0);
    return result;
  } finally {
    relay.close();
    await nc.close();
  }
}

/** One subject as a string: a list needs nats-server 2.10 (Debian 12 ships 2.9). */
const oneOrList = (subjects: string[]): string | string[] => (subjects.length === 1 ? subjects[0] : subjects);
