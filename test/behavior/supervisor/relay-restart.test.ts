import { afterAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { servicesFromConfig } from "../../../src/behavior/supervisor/services.ts";
import { Supervisor, type SupervisorEvent } from "../../../src/behavior/supervisor/supervisor.ts";
import { BusClient, type ConnectionState } from "../../../src/behavior/transport/bus-client.ts";
import { Role } from "../../../src/behavior/transport/bus-control.ts";
import { parseConfig } from "../../../src/core/config.ts";
import { InstrumentId } from "../../../src/data/instrument-id.ts";
import { FrameBuilder } from "../../../src/rules/builder.ts";

/**
 * Issue 4: "kill -9 of a relay: the supervisor restarts it; publishers and subscribers reconnect by themselves".
 * A real supervisor runs the real market-data relay; a publisher and a subscriber are BusClients. Every wait is on
 * an event (supervisor events, connection states, a frame arriving).
 */
const runDir = mkdtempSync(join(tmpdir(), "ap-rr-"));
afterAll(() => rmSync(runDir, { recursive: true, force: true }));

function waitFor<T>(register: (resolve: (v: T) => void) => void): Promise<T> {
  return new Promise(register);
}

describe("a relay killed with SIGKILL under the supervisor", () => {
  test("is restarted, and its publisher and subscriber reconnect by themselves", async () => {
    const config = parseConfig(
      { profile: "relays", relays: { enabled: ["market-data"] }, supervisor: { restart_backoff_ms: 20 } },
      {},
    );
    const listeners: ((e: SupervisorEvent) => void)[] = [];
    const sup = new Supervisor(config, runDir, servicesFromConfig(config, runDir), (e) => {
      for (const l of listeners) l(e);
    });
    await sup.start();
    const socketPath = join(runDir, "market-data.sock");
    const received: bigint[] = [];
    const onReceive: ((n: number) => void)[] = [];
    const subStates: ConnectionState[] = [];
    const onSubState: ((s: ConnectionState) => void)[] = [];
    const sub = new BusClient({
      socketPath,
      domain: 1,
      source: 91,
      role: Role.Subscriber,
      name: "test-sub",
      onFrame: (_frame, parser) => {
        parser.firstTlv();
        received.push((parser.readTlv() as { price: bigint }).price);
        for (const f of onReceive) f(received.length);
      },
      onState: (s) => {
        subStates.push(s);
        for (const f of onSubState) f(s);
      },
    });
    const pub = new BusClient({ socketPath, domain: 1, source: 91, role: Role.Publisher, name: "test-pub" });
    await Promise.all([sub.ready(), pub.ready()]);
    const builder = new FrameBuilder({ domain: 1, source: 91 });
    const id = InstrumentId.spot(101, "BTC", "USD");
    const send = (price: bigint) =>
      pub.send(builder.build("Trade", { instrument: id, price, size: 1n, exchangeTsNs: 1n, side: 1 }));
    const arrival = (n: number) => waitFor<number>((r) => onReceive.push((len) => len >= n && r(len)));

    const first = arrival(1);
    send(100n);
    await first;

    const relayPid = sup.status()[0].pid!;
    const restarted = waitFor<SupervisorEvent>((r) =>
      listeners.push((e) => e.kind === "ready" && e.pid !== relayPid && r(e)),
    );
    const subLost = waitFor<void>((r) => onSubState.push((s) => s === "backoff" && r()));
    process.kill(relayPid, "SIGKILL");
    await subLost;
    await restarted;
    await Promise.all([sub.ready(), pub.ready()]);
    expect(sup.status()[0].restarts).toBe(1);
    expect(sub.counters.reconnects).toBeGreaterThanOrEqual(1);

    const after = arrival(2);
    send(200n);
    await after;
    expect(received).toEqual([100n, 200n]);
    sub.close();
    pub.close();
    await sup.stopAll();
  }, 20_000);
});
