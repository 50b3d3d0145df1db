import { describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { ROOT, runAp } from "./helpers.ts";

/** The operator tools, run as a user runs them: `node bin/ap.js ...` (the npm bin), asserting on output and exit code. */
const VECTORS = readFileSync(join(ROOT, "fixtures/protocol/protocol-vectors.jsonl"), "utf8")
  .trim()
  .split("\n")
  .map((l) => JSON.parse(l) as { name: string; hex: string; decoded?: unknown });
const hexOf = (name: string) => VECTORS.find((v) => v.name === name)!.hex;

function ap(args: string[], options: { stdin?: string; env?: Record<string, string> } = {}) {
  return runAp(args, { cwd: ROOT, stdin: options.stdin, env: { ...process.env, ...options.env } });
}

describe("ap decode", () => {
  test("renders a Trade with scaled price, instrument components and UTC time", async () => {
    const r = await ap(["decode", hexOf("trade")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("kraken:spot:BTC/USD  (venue 101, kind 1 spot, base BTC, quote USD)");
    expect(r.stdout).toContain("45000.12345678  [4500012345678 e8]");
    expect(r.stdout).toContain("2023-11-14T22:13:20.123456789Z");
    expect(r.stdout).toContain("1 (buyer was taker)");
  });

  test("renders token amounts with their decimals", async () => {
    const r = await ap(["decode", hexOf("poolswap_u128")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("2051.234567  [2051234567 native, token0 6 decimals]");
    expect(r.stdout).toContain("1  [1000000000000000000 native, token1 18 decimals]");
  });

  test("--json prints the vector's decoded form", async () => {
    const r = await ap(["decode", "--json", hexOf("arbitrage_signal_multi")]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(VECTORS.find((v) => v.name === "arbitrage_signal_multi")!.decoded as never);
  });

  test("reads stdin with 0x prefixes, whitespace and several concatenated frames", async () => {
    const input = `0x${hexOf("trade")}\n  0x${hexOf("quote").replace(/(..)/g, "$1 ")}\n${hexOf("heartbeat_small_extended_form")}`;
    const r = await ap(["decode", "--json"], { stdin: input });
    expect(r.code).toBe(0);
    const frames = JSON.parse(r.stdout) as { tlvs: { type: string }[] }[];
    expect(frames.map((f) => f.tlvs[0].type)).toEqual(["Trade", "Quote", "Heartbeat"]);
  });

  test("a bad frame prints the diagnostic, exits 1, and no stack trace", async () => {
    const r = await ap(["decode", hexOf("trade_checksum_never_computed")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("ChecksumMismatch");
    expect(r.stderr).toContain("sender never calculated the checksum");
    expect(r.stderr).not.toContain("    at ");
  });

  test("after a bad frame, the following frames still decode", async () => {
    const r = await ap(["decode", "--json", hexOf("trade_bitflip_bad_checksum") + hexOf("order_request")]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("data corrupted in transit");
    expect(JSON.parse(r.stdout).tlvs[0].type).toBe("OrderRequest");
  });

  test("non-hex input is a one-line error", async () => {
    const r = await ap(["decode", "efbeXX"]);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain("BadHex");
  });
});

describe("ap encode", () => {
  test("ap decode --json | ap encode gives back the same bytes, for every valid vector", async () => {
    for (const v of VECTORS.filter((x) => x.decoded)) {
      const decoded = await ap(["decode", "--json", v.hex]);
      const encoded = await ap(["encode"], { stdin: decoded.stdout });
      expect(encoded.code).toBe(0);
      expect(encoded.stdout.trim()).toBe(v.hex);
    }
  });

  test("JSON as an argument; a value out of range is refused with the field named", async () => {
    const json = JSON.parse(JSON.stringify(VECTORS.find((v) => v.name === "trade")!.decoded)) as {
      tlvs: Record<string, unknown>[];
    };
    expect((await ap(["encode", JSON.stringify(json)])).stdout.trim()).toBe(hexOf("trade"));
    json.tlvs[0].price = "9223372036854775808";
    const r = await ap(["encode", JSON.stringify(json)]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Trade.price: expected i64");
  });
});

describe("ap inspect", () => {
  test("explains a byte-swapped magic and shows which checksum variant matches", async () => {
    const r = await ap(["inspect", hexOf("trade_magic_big_endian")]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain("byte order reversed");
    const ok = await ap(["inspect", hexOf("trade_checksum_never_computed")]);
    expect(ok.stdout).toContain("= 0x00000000  never calculated (0)");
  });

  test("reports a cut frame: which bytes are missing", async () => {
    const r = await ap(["inspect", "--json", hexOf("trade").slice(0, 120)]);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.error.code).toBe("Truncated");
    expect(report.trailing).toBe("38 payload bytes missing (frame cut)");
  });

  test("a valid frame is VALID with its TLVs listed", async () => {
    const r = await ap(["inspect", hexOf("orderbook_10x10_extended")]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("VALID");
    expect(r.stdout).toContain("@32 extended type 3 OrderBook, 536 bytes");
  });
});

describe("ap start-up", () => {
  test("an invalid limit stops the program with one line naming the variable, value and range", async () => {
    const r = await ap(["decode", hexOf("trade")], { env: { ALPHAPULSE_MAX_ORDER_LEVELS: "5000" } });
    expect(r.code).toBe(3);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toContain('ALPHAPULSE_MAX_ORDER_LEVELS="5000" is not an integer in 1..1000');
  });

  test("a frame with more levels than the configured limit is refused", async () => {
    const r = await ap(["decode", hexOf("orderbook_10x10_extended")], { env: { ALPHAPULSE_MAX_ORDER_LEVELS: "5" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("TooManyLevels");
  });

  test("ap --help and every subcommand's --help describe their arguments", async () => {
    const root = await ap(["--help"]);
    expect(root.code).toBe(0);
    for (const sub of ["up", "status", "logs", "down", "restart", "decode", "encode", "inspect", "bench"]) {
      expect(root.stdout).toContain(sub);
      const r = await ap([sub, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`ap ${sub}`);
    }
  });
});
