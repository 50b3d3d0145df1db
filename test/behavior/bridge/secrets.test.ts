import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { rmSync } from "node:fs";
import { Child } from "../relay/helpers.ts";
import { BRIDGE_MAIN, Instance, NatsServer, tempStore } from "./helpers.ts";

const PASSWORD = "Sup3r-Secret-pw-9137";

describe("Bridge credentials", () => {
  const store = tempStore();
  const nats = new NatsServer(store, false, ["--user", "ap", "--pass", PASSWORD]);
  const a = new Instance("s");

  beforeAll(async () => {
    await nats.start();
    await a.startRelays();
  });
  afterAll(async () => {
    await a.stop();
    await nats.stop();
    rmSync(store, { recursive: true, force: true });
  });

  test("a password in AP_NATS_URL or AP_NATS_PASSWORD reaches no log line and no stats line", async () => {
    const url = `nats://ap:${PASSWORD}@127.0.0.1:${nats.port}`;
    const bridge = await a.startBridge(`instance = "s"\nservers = ["nats://127.0.0.1:1"]`, { AP_NATS_URL: url });
    await a.bridgeStats((s) => s.nats === "connected");
    await nats.stop(); // disconnect and reconnect lines name the server
    await a.bridgeStats((s) => s.nats === "reconnecting");
    await nats.start();
    await a.bridgeStats((s) => s.nats === "connected" && (s.natsReconnects as number) >= 1);
    bridge.kill("SIGTERM");
    await bridge.proc.exited;
    // A refused login: the error line must not quote the password either.
    const refused = new Child([BRIDGE_MAIN, "--run-dir", `${a.runDir}/x`, "--config", `${a.runDir}/ap.toml`], {
      AP_NATS_URL: `nats://127.0.0.1:${nats.port}`,
      AP_NATS_USER: "ap",
      AP_NATS_PASSWORD: `${PASSWORD}-wrong`,
    });
    expect(await refused.proc.exited).toBe(1);
    const output = bridge.stdout + bridge.stderr + refused.stdout + refused.stderr;
    expect(bridge.stderr).toContain("reconnected");
    expect(refused.stderr).toContain("NatsUnavailable");
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain("Secret");
  });
});
