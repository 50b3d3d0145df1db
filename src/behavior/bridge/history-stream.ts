import type { NatsConnection } from "@nats-io/transport-node";
import type { BridgeConfig } from "./bridge-config.ts";
import { BridgeError } from "./errors.ts";

/**
 * Creates (or updates) the JetStream stream that keeps the market data subjects for `history_minutes`: file storage,
 * oldest messages discarded by age. The bridge keeps publishing with core NATS; the server stores what matches.
 */
export async function ensureHistoryStream(nc: NatsConnection, config: BridgeConfig): Promise<void> {
  const { jetstreamManager, RetentionPolicy, StorageType, DiscardPolicy } = await import("@nats-io/jetstream");
  const subjects = [`${config.subjectPrefix}.market-data.>`];
  // max_age is in ns: an integer count of minutes times 6e10 stays exact (< 2^53 for up to ~104 days).
  const maxAge = config.historyMinutes * 60_000_000_000;
  try {
    const jsm = await jetstreamManager(nc, { timeout: 5000 });
    const existing = await jsm.streams.info(config.stream).catch(() => undefined);
    if (existing === undefined) {
      await jsm.streams.add({
        name: config.stream,
        subjects,
        max_age: maxAge,
        storage: StorageType.File,
        retention: RetentionPolicy.Limits,
        discard: DiscardPolicy.Old,
      });
    } else if (existing.config.max_age !== maxAge || String(existing.config.subjects) !== String(subjects)) {
      await jsm.streams.update(config.stream, { subjects, max_age: maxAge });
    }
  } catch (e) {
    throw new BridgeError({
      code: "HistoryUnavailable",
      message: `JetStream stream ${config.stream} could not be created or checked: ${e instanceof Error ? e.message : e}`,
      facts: { stream: config.stream },
      hint: "is JetStream enabled on the server (nats-server -js)? else set bridge.jetstream = false",
    });
  }
}
