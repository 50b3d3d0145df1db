import { afterEach, describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ServiceSpec } from "../../../src/behavior/supervisor/services.ts";
import { startLayers } from "../../../src/behavior/supervisor/services.ts";
import { Supervisor, type SupervisorEvent } from "../../../src/behavior/supervisor/supervisor.ts";
import { parseConfig } from "../../../src/core/config.ts";

/** Real child processes (bun -e scripts) under a real Supervisor; every wait is on an event, never a sleep. */
const dirs: string[] = [];
let sup: Supervisor | undefined;
afterEach(async () => {
  await sup?.stopAll();
  sup = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const config = parseConfig(
  {
    supervisor: {
      restart_backoff_ms: 10,
      restart_backoff_max_ms: 100,
      crash_loop_restarts: 3,
      ready_timeout_ms: 2000,
      stop_timeout_ms: 500,
    },
  },
  {},
);

function runDir(): string {
  const d = mkdtempSync(join(tmpdir(), "ap-sup-"));
  dirs.push(d);
  return d;
}

const script = (name: string, code: string, dependsOn: string[] = []): ServiceSpec => ({
  name,
  command: [process.execPath, "-e", code],
  dependsOn,
});
const READY = `process.stdout.write("ready\\n"); setInterval(() => {}, 1000);`;

/** Collects events and lets a test await the n-th event matching a predicate. */
function events() {
  const seen: SupervisorEvent[] = [];
  const waiters: { pred: (e: SupervisorEvent) => boolean; resolve: (e: SupervisorEvent) => void }[] = [];
  const on = (e: SupervisorEvent) => {
    seen.push(e);
    for (const w of waiters.splice(0)) {
      if (w.pred(e)) w.resolve(e);
      else waiters.push(w);
    }
  };
  const next = (pred: (e: SupervisorEvent) => boolean) =>
    new Promise<SupervisorEvent>((resolve) => waiters.push({ pred, resolve }));
  return { seen, on, next };
}

describe("Supervisor", () => {
  test("starts services in dependency order, each after its dependencies reported ready", async () => {
    const ev = events();
    sup = new Supervisor(
      config,
      runDir(),
      [script("c", READY, ["b"]), script("a", READY), script("b", READY, ["a"])],
      ev.on,
    );
    await sup.start();
    expect(ev.seen.filter((e) => e.kind === "ready").map((e) => e.service)).toEqual(["a", "b", "c"]);
    expect(sup.status().map((s) => s.state)).toEqual(["ready", "ready", "ready"]);
    expect(startLayers([script("x", "", ["y"]), script("y", "")]).map((l) => l.map((s) => s.name))).toEqual([
      ["y"],
      ["x"],
    ]);
  });

  test("a crashed service is restarted with backoff, counted and logged", async () => {
    const ev = events();
    sup = new Supervisor(config, runDir(), [script("svc", READY)], ev.on);
    await sup.start();
    const pid = sup.status()[0].pid!;
    const restarted = ev.next((e) => e.kind === "ready" && e.pid !== pid);
    process.kill(pid, "SIGKILL");
    await restarted;
    const s = sup.status()[0];
    expect(s.restarts).toBe(1);
    expect(s.state).toBe("ready");
    expect(s.last_error).toContain("killed by SIGKILL");
    const exit = ev.seen.find((e) => e.kind === "exit")!;
    expect(exit).toMatchObject({ kind: "exit", service: "svc", signal: "SIGKILL", crashLoop: false });
    expect(readFileSync(join(sup.runDir, "logs/svc.log"), "utf8")).toMatch(/killed by SIGKILL; restart 1 in 10 ms/);
  });

  test("a crash loop is reported, not hidden", async () => {
    const ev = events();
    // Reports ready, then dies 20 ms later, every time.
    sup = new Supervisor(
      config,
      runDir(),
      [script("flaky", `process.stdout.write("ready\\n"); setTimeout(() => process.exit(3), 20);`)],
      ev.on,
    );
    await sup.start();
    const loop = await ev.next((e) => e.kind === "exit" && e.crashLoop);
    expect(loop).toMatchObject({ service: "flaky", code: 3, crashLoop: true });
    expect(sup.status()[0].last_error).toContain("crash loop");
  });

  test("a service that exits before ready fails the start with the reason", async () => {
    sup = new Supervisor(config, runDir(), [
      script("ok", READY),
      script("broken", `console.error("fatal: no config"); process.exit(2);`, ["ok"]),
    ]);
    const err = await sup.start().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain("broken: exited with code 2 before reporting ready (fatal: no config)");
  });

  test("a service that never reports ready is killed after the ready timeout", async () => {
    const quick = parseConfig({ supervisor: { ready_timeout_ms: 300 } }, {});
    sup = new Supervisor(quick, runDir(), [script("mute", "setInterval(() => {}, 1000);")]);
    const err = await sup.start().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain("did not report ready within 300 ms");
  });

  test("stop sends SIGTERM, then SIGKILL to a service that ignores it", async () => {
    const ev = events();
    sup = new Supervisor(config, runDir(), [script("stubborn", `process.on("SIGTERM", () => {}); ${READY}`)], ev.on);
    await sup.start();
    await sup.stopAll();
    expect(sup.status()[0].state).toBe("stopped");
    expect(readFileSync(join(sup.runDir, "logs/stubborn.log"), "utf8")).toContain(
      "did not stop within 500 ms: SIGKILL",
    );
  });

  test("stats lines feed the status counters; other output goes to the log", async () => {
    const ev = events();
    const code = `process.stdout.write('hello\\n'); process.stdout.write('stats {"msgs_in":5,"msgs_out":15,"drops":1,"gaps":0}\\n'); ${READY}`;
    sup = new Supervisor(config, runDir(), [script("counted", code)], ev.on);
    await sup.start();
    const s = sup.status()[0];
    expect([s.msgs_in, s.msgs_out, s.drops, s.gaps]).toEqual([5, 15, 1, 0]);
    expect(s.rss_bytes).toBeGreaterThan(1_000_000);
    expect(readFileSync(join(sup.runDir, "logs/counted.log"), "utf8")).toMatch(/^\S+Z counted hello$/m);
  });
});

describe("Supervisor dependencies", () => {
  test("a dependent gets its dependency's ready words in {ready:<name>:<n>}", async () => {
    const ev = events();
    const venue = script(
      "venue",
      `process.stdout.write("ready ws://127.0.0.1:1234 http://127.0.0.1:1234\\n"); setInterval(() => {}, 1000);`,
    );
    const collector: ServiceSpec = {
      name: "collector",
      command: [
        process.execPath,
        "-e",
        `process.stdout.write("ready " + process.argv.slice(-2).join(",") + "\\n"); setInterval(() => {}, 1000);`,
        "{ready:venue:0}",
        "{ready:venue:1}",
      ],
      dependsOn: ["venue"],
    };
    sup = new Supervisor(config, runDir(), [collector, venue], ev.on);
    await sup.start();
    expect(readFileSync(join(sup.runDir, "logs/collector.log"), "utf8")).toContain(
      "ready ws://127.0.0.1:1234,http://127.0.0.1:1234",
    );
  });

  test("an unknown placeholder fails the start with a clear reason", async () => {
    const bad: ServiceSpec = { name: "x", command: [process.execPath, "-e", "", "{ready:nobody:0}"], dependsOn: [] };
    sup = new Supervisor(config, runDir(), [bad]);
    const err = await sup.start().then(
      () => undefined,
      (e: Error) => e,
    );
    expect(err?.message).toContain("{ready:nobody:0}: nobody has not reported that value");
  });
});
