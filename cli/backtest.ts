import { existsSync, readFileSync } from "node:fs";
import { defineCommand } from "citty";
import type { BacktestInput, BacktestSummary } from "../src/behavior/backtest/run-backtest.ts";
import { ConfigError } from "../src/core/errors.ts";
import { guard } from "./lib/errors.ts";

const E8 = 100_000_000n;

/** USD e16 / e8 as a decimal string (display only). */
function usd(v: bigint, scale: bigint): string {
  const neg = v < 0n;
  const a = neg ? -v : v;
  const cents = (a * 100n) / scale;
  return `${neg ? "-" : ""}${cents / 100n}.${(cents % 100n).toString().padStart(2, "0")}`;
}

/** A quantity e8 with its 8 decimals (display only). */
function qty8(v: bigint): string {
  const a = v < 0n ? -v : v;
  return `${v < 0n ? "-" : ""}${a / E8}.${(a % E8).toString().padStart(8, "0")}`;
}

function readConfig(path: string | undefined): Record<string, Record<string, unknown>> {
  if (path === undefined) return {};
  if (!existsSync(path)) {
    throw new ConfigError({ code: "ConfigNotFound", message: `config file ${path} does not exist`, facts: { path } });
  }
  return Bun.TOML.parse(readFileSync(path, "utf8")) as Record<string, Record<string, unknown>>;
}

export default defineCommand({
  meta: {
    name: "backtest",
    description:
      "Replay market data through the collectors' normalisation, both strategies and the paper engine in one process; print the SHA-256 of the output frames, counts, P&L and the fills reconciliation",
  },
  args: {
    capture: { type: "string", description: "a market-data capture file (ap record)" },
    fixtures: { type: "boolean", description: "the venue captures in fixtures/ (default when no --capture)" },
    "arbitrage-scenario": {
      type: "boolean",
      description: "with --fixtures: add the hand-made Kraken ETH/USD book priced against the real Polygon V3 pool",
    },
    out: { type: "string", description: "write the output frames to this capture file" },
    force: { type: "boolean", description: "overwrite --out" },
    config: {
      type: "string",
      description:
        "TOML with [strategies.flash_arbitrage], [strategies.market_making], [risk], [execution], [breakers]",
    },
    json: { type: "boolean", description: "one JSON object on stdout (bigints as strings)" },
  },
  async run({ args }) {
    await guard(async () => {
      const { runBacktest } = await import("../src/behavior/backtest/run-backtest.ts");
      const toml = readConfig(args.config);
      const strategies = (toml.strategies ?? {}) as Record<string, Record<string, unknown>>;
      const input: BacktestInput =
        args.capture !== undefined
          ? { capture: args.capture }
          : { fixtures: true, arbitrageScenario: args["arbitrage-scenario"] ?? false };
      const t0 = performance.now();
      const s = runBacktest({
        input,
        flashArbitrage: strategies.flash_arbitrage,
        marketMaking: strategies.market_making,
        execution: { risk: toml.risk, execution: toml.execution, breakers: toml.breakers },
        out: args.out,
        overwrite: args.force ?? false,
      });
      const ms = Math.round(performance.now() - t0);
      if (args.json) {
        const { frames: _frames, reconciliation, ...rest } = s;
        const out = { ...rest, ms, reconciliation: { ok: reconciliation.ok, mismatches: reconciliation.mismatches } };
        process.stdout.write(`${JSON.stringify(out, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}\n`);
      } else process.stdout.write(render(s, ms, args.out));
      if (!s.reconciliation.ok) process.exitCode = 1;
    });
  },
});

function render(s: BacktestSummary, ms: number, out: string | undefined): string {
  const lines = [
    `sha256 ${s.sha256}`,
    `input  ${s.marketFrames} market data frames (${s.skippedFrames} skipped, ${s.damagedRuns} damaged runs), ${ms} ms`,
    `output ${s.outputFrames} frames: ${Object.entries(s.counts)
      .map(([k, v]) => `${k} ${v}`)
      .join(", ")}`,
  ];
  for (const p of s.positions) {
    lines.push(`position ${p.instrument} ${qty8(p.qtyE8)} at mark ${usd(p.markE8, E8)}`);
  }
  for (const t of s.tokenBalances) lines.push(`balance ${t.token} ${t.native} (native units)`);
  const e16 = E8 * E8;
  lines.push(
    `P&L ${usd(s.pnl.totalE16, e16)} USD (realised ${usd(s.pnl.realisedE16, e16)}, unrealised ${usd(s.pnl.unrealisedE16, e16)}, fees ${usd(s.pnl.feesE8, E8)})`,
    s.reconciliation.ok
      ? `reconciled: P&L from ${s.reconciliation.ledger.fills} Fill frames = engine P&L (${s.reconciliation.pnlE16} e16)`
      : `NOT reconciled: ${s.reconciliation.mismatches.join("; ")}`,
  );
  if (out !== undefined) lines.push(`frames written to ${out}`);
  return `${lines.join("\n")}\n`;
}
