import { join } from "node:path";
import { isRelayName, RELAY_CONFIGS, type RelayConfig } from "../relay/relay-configs.ts";
import type { BusClient } from "../transport/bus-client.ts";
import { TransportError } from "../transport/errors.ts";

/** A relay by name (`market-data`, `signal`, `execution`) and its socket in the run directory. */
export function relayEndpoint(name: string, runDir: string): { config: RelayConfig; socketPath: string } {
  if (!isRelayName(name)) {
    throw new TransportError({
      code: "UnknownRelay",
      message: `no relay named "${name}"`,
      facts: { relay: name },
      hint: `relays: ${Object.keys(RELAY_CONFIGS).join(", ")}`,
    });
  }
  return { config: RELAY_CONFIGS[name], socketPath: join(runDir, `${name}.sock`) };
}

/**
 * Resolves when the client's handshake is acknowledged; rejects with RelayUnavailable after `timeoutMs` (the
 * client keeps retrying meanwhile, so a relay that starts a moment later is still reached).
 */
export async function waitForRelay(client: BusClient, timeoutMs: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(
        new TransportError({
          code: "RelayUnavailable",
          message: `no relay answered on ${client.options.socketPath} within ${timeoutMs} ms`,
          facts: { socket: client.options.socketPath, connect_failures: client.counters.connectFailures },
          hint: "start the relays with `ap up` (or check AP_RUN_DIR)",
        }),
      );
    }, timeoutMs);
  });
  try {
    await Promise.race([client.ready(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
