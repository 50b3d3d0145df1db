import { describe, expect, test } from "bun:test";
import { chmodSync, mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { TransportError } from "../../../src/behavior/transport/errors.ts";
import { listenUnix } from "../../../src/behavior/transport/listen-unix.ts";
import { defaultRunDir, ensureRunDir } from "../../../src/behavior/transport/run-dir.ts";
import { Child, tempDir } from "../relay/helpers.ts";

describe("ensureRunDir", () => {
  test("creates missing directories with mode 0700 whatever the umask", () => {
    using tmp = tempDir();
    const dir = join(tmp.dir, "a", "run");
    const old = process.umask(0o002);
    try {
      ensureRunDir(dir);
    } finally {
      process.umask(old);
    }
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(ensureRunDir(dir)).toBe(dir); // an existing private directory is fine
  });

  test("refuses a directory others can enter, and a path that is a file", () => {
    using tmp = tempDir();
    const open = join(tmp.dir, "open");
    mkdirSync(open);
    chmodSync(open, 0o750);
    expect(() => ensureRunDir(open)).toThrow(TransportError);
    expect(() => ensureRunDir(open)).toThrow(`run directory ${open} has mode 0750`);
    const file = join(tmp.dir, "file");
    writeFileSync(file, "");
    expect(() => ensureRunDir(file)).toThrow("is not a directory");
  });

  test("defaults to AP_RUN_DIR, then $XDG_RUNTIME_DIR/ap", () => {
    expect(defaultRunDir({ AP_RUN_DIR: "/x/run" })).toBe("/x/run");
    expect(defaultRunDir({ XDG_RUNTIME_DIR: "/run/user/1000" })).toBe("/run/user/1000/ap");
  });
});

describe("listenUnix", () => {
  test("makes the socket 0600 and refuses a path another listener serves", async () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "s.sock");
    const first = await listenUnix<undefined>({ path, socket: { data() {} } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    await expect(listenUnix<undefined>({ path, socket: { data() {} } })).rejects.toThrow(
      "another process is listening",
    );
    first.stop(true);
  });

  test("replaces the socket file left by a process killed with SIGKILL", async () => {
    using tmp = tempDir();
    const path = join(tmp.dir, "s.sock");
    const script = `Bun.listen({ unix: ${JSON.stringify(path)}, socket: { data() {} } }); console.log("ready");`;
    const child = new Child(["-e", script]);
    await child.waitStdout(/^ready$/m);
    child.kill("SIGKILL");
    await child.proc.exited;
    expect(statSync(path).isSocket()).toBe(true); // stale: nobody answers on it
    const listener = await listenUnix<undefined>({ path, socket: { data() {} } });
    expect(statSync(path).mode & 0o777).toBe(0o600);
    listener.stop(true);
  });

  test("refuses a socket path longer than sun_path allows", async () => {
    using tmp = tempDir();
    const path = join(tmp.dir, `${"x".repeat(120)}.sock`);
    await expect(listenUnix<undefined>({ path, socket: { data() {} } })).rejects.toThrow("unix sockets allow 103");
  });
});
