import { readFileSync } from "node:fs";
import type { ConnectionOptions } from "@nats-io/transport-node";
import { credsAuthenticator, nkeyAuthenticator } from "@nats-io/transport-node";
import type { BridgeConfig } from "./bridge-config.ts";
import { BridgeError } from "./errors.ts";

/**
 * Credentials and TLS files come from the environment only, never from ap.toml (which is committed and shown):
 *
 *   AP_NATS_URL                  servers, comma-separated; replaces bridge.servers; may hold user:password@
 *   AP_NATS_USER, AP_NATS_PASSWORD   user and password
 *   AP_NATS_TOKEN                token
 *   AP_NATS_NKEY_SEED            nkey seed (SU...)
 *   AP_NATS_CREDS_FILE           a .creds file (JWT + seed), e.g. from nsc
 *   AP_NATS_TLS_CA, AP_NATS_TLS_CERT, AP_NATS_TLS_KEY   PEM files (any of them turns TLS on)
 */
export const NATS_SECRET_VARIABLES = ["AP_NATS_URL", "AP_NATS_PASSWORD", "AP_NATS_TOKEN", "AP_NATS_NKEY_SEED"] as const;

/** The connection options of the bridge: endless reconnects, no echo of its own messages, auth and TLS from env. */
export function natsConnectionOptions(
  config: BridgeConfig,
  env: Record<string, string | undefined>,
  name: string,
): ConnectionOptions {
  const listed = env.AP_NATS_URL
    ? env.AP_NATS_URL.split(",")
        .map((s) => s.trim())
        .filter(Boolean)
    : [...config.servers];
  // nats.js does not read credentials from a server URL: they are taken out here (user:pass, or a lone token).
  let urlUser: string | undefined;
  let urlPass: string | undefined;
  const servers = listed.map((server) => {
    const m = /^([a-z][a-z0-9+.-]*:\/\/)?([^/@]*)@(.*)$/i.exec(server);
    if (!m) return server;
    const [user, ...rest] = m[2].split(":");
    urlUser = decodeURIComponent(user);
    urlPass = rest.length > 0 ? decodeURIComponent(rest.join(":")) : undefined;
    return `${m[1] ?? ""}${m[3]}`;
  });
  const options: ConnectionOptions = {
    servers,
    name,
    // The bridge never receives what it publishes itself (one of the three loop fences, docs/bridge.md).
    noEcho: true,
    maxReconnectAttempts: -1,
    waitOnFirstConnect: true,
    // A nats-server restart is noticed and retried within ~100-150 ms (the default waits 2 s per attempt).
    reconnectTimeWait: 100,
    reconnectJitter: 50,
    pingInterval: 10_000,
    maxPingOut: 3,
  };
  if (urlUser !== undefined) {
    if (urlPass === undefined) options.token = urlUser;
    else {
      options.user = urlUser;
      options.pass = urlPass;
    }
  }
  if (env.AP_NATS_USER) {
    options.user = env.AP_NATS_USER;
    options.pass = env.AP_NATS_PASSWORD ?? "";
  }
  if (env.AP_NATS_TOKEN) options.token = env.AP_NATS_TOKEN;
  if (env.AP_NATS_NKEY_SEED) options.authenticator = nkeyAuthenticator(new TextEncoder().encode(env.AP_NATS_NKEY_SEED));
  if (env.AP_NATS_CREDS_FILE)
    options.authenticator = credsAuthenticator(readSecretFile(env.AP_NATS_CREDS_FILE, "AP_NATS_CREDS_FILE"));
  const ca = env.AP_NATS_TLS_CA;
  const cert = env.AP_NATS_TLS_CERT;
  const key = env.AP_NATS_TLS_KEY;
  if (config.tls || ca || cert || key) {
    options.tls = {
      ...(ca ? { caFile: ca } : {}),
      ...(cert ? { certFile: cert } : {}),
      ...(key ? { keyFile: key } : {}),
    };
  }
  return options;
}

function readSecretFile(path: string, variable: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    throw new BridgeError({
      code: "BridgeConfig",
      message: `${variable} names a file that cannot be read: ${(e as NodeJS.ErrnoException).code ?? "error"}`,
      facts: { variable, path },
      hint: "give the path of a readable .creds file",
    });
  }
}
