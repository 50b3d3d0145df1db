/**
 * A local EVM for tests and the `ap up --chain local` demo: Foundry's anvil from its npm platform package
 * (@foundry-rs/anvil, no download). Moved here from test/behavior/amm/evm/startAnvil.ts (which re-exports it) so the
 * chain demo's service can use it too.
 */
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import { platform } from "node:process";
import type { Subprocess } from "bun";

/** A running anvil: its JSON-RPC url, and how to stop it. */
export interface Anvil extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  readonly chainId: number;
  readonly process: Subprocess<"ignore", "pipe", "pipe">;
  /** Kill (SIGKILL: nothing to flush) and wait for the exit. */
  stop(): Promise<void>;
}

export interface StartAnvilOptions {
  /** Genesis timestamp; fixed by default so that block timestamps, hence runs, are deterministic. */
  timestamp?: bigint;
  /**
   * false (the default): `--no-mining`, blocks are mined by evm_mine only. Anvil's automine mines after
   * eth_sendTransaction has returned, so a receipt would have to be polled for; evm_mine returns once the block is
   * mined, so a test sends, mines and reads the receipt without waiting on a timer.
   */
  automine?: boolean;
  /** Extra command-line flags. */
  args?: string[];
  /** How many dev accounts (default 3). */
  accounts?: number;
}

/**
 * anvil's well-known dev accounts (mnemonic "test test ... junk"). PUBLIC KEYS OF A LOCAL DEV CHAIN: everyone knows
 * these private keys; they must never hold anything of value on a real chain.
 */
export const ANVIL_DEV_KEYS = [
  "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80",
  "0x59c6995e998f97a5a0044966f0945389dc9e86dae88c7a8412f4603b6b78690d",
  "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3d73ff8f2b8d9f7a",
] as const;

const require = createRequire(import.meta.url);

/**
 * The anvil binary from its npm platform package (@foundry-rs/anvil ships it as an optional dependency per
 * platform; we call the binary directly rather than the package's node wrapper, so the pid we kill is anvil's).
 */
export function anvilBinary(): string {
  const arch = process.arch === "x64" ? "amd64" : process.arch;
  const os = platform === "win32" ? "win32" : platform;
  const path = require.resolve(`@foundry-rs/anvil-${os}-${arch}/bin/anvil${os === "win32" ? ".exe" : ""}`);
  return path;
}

/**
 * Starts anvil on a free loopback port (--port 0: the kernel picks it, anvil prints "Listening on host:port"), waits
 * for that line and for an answer to eth_chainId: events, not sleeps. `--hardfork cancun` (later hardforks slow down
 * as the chain grows, issue 9), fixed genesis timestamp. On Linux it runs under `setpriv --pdeathsig SIGKILL`, so a
 * test runner killed with SIGKILL does not leave it behind.
 */
export async function startAnvil(options: StartAnvilOptions = {}): Promise<Anvil> {
  const args = [
    anvilBinary(),
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--hardfork",
    "cancun",
    "--timestamp",
    String(options.timestamp ?? 1_700_000_000n),
    "--accounts",
    String(options.accounts ?? 3),
    ...(options.automine ? [] : ["--no-mining"]),
    ...(options.args ?? []),
  ];
  const cmd =
    platform === "linux" && existsSync("/usr/bin/setpriv") ? ["setpriv", "--pdeathsig", "SIGKILL", ...args] : args;
  const proc = Bun.spawn(cmd, { stdin: "ignore", stdout: "pipe", stderr: "pipe" });

  // Read stdout to the end (anvil logs every request; an unread pipe would fill and block it), resolving the port
  // when the listening line appears.
  let output = "";
  const listening = new Promise<number>((resolve, reject) => {
    (async () => {
      const decoder = new TextDecoder();
      let found = false;
      for await (const chunk of proc.stdout) {
        if (found) continue;
        output += decoder.decode(chunk, { stream: true });
        const m = /Listening on 127\.0\.0\.1:(\d+)/.exec(output);
        if (m) {
          found = true;
          output = "";
          resolve(Number(m[1]));
        }
      }
      if (!found)
        reject(new Error(`anvil exited before listening (code ${await proc.exited}): ${output.slice(-2000)}`));
    })().catch(reject);
  });
  void new Response(proc.stderr).text().then((text) => {
    if (text) output += text;
  });

  const port = await listening;
  const url = `http://127.0.0.1:${port}`;
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ jsonrpc: "2.0", id: 1, method: "eth_chainId", params: [] }),
  });
  const chainId = Number.parseInt(((await res.json()) as { result: string }).result, 16);

  const stop = async () => {
    proc.kill("SIGKILL");
    await proc.exited;
  };
  return { url, port, chainId, process: proc, stop, [Symbol.asyncDispose]: stop };
}
