import { StrategyError } from "./errors.ts";
import type { TokenEntry } from "./token-table.ts";

type Raw = Record<string, unknown>;

/** Reads typed values out of a TOML table, naming the key and the value in every error. */
export class ConfigReader {
  private readonly seen = new Set<string>();
  constructor(
    private readonly section: string,
    private readonly table: Raw,
  ) {}

  private get(key: string): unknown {
    this.seen.add(key);
    return this.table[key];
  }

  fail(key: string, value: unknown, expected: string): never {
    throw new StrategyError({
      code: "BadStrategyConfig",
      message: `${this.section}.${key} = ${String(value)}: expected ${expected}`,
      facts: { key: `${this.section}.${key}`, value: String(value), expected },
      hint: "fix the value in ap.toml or remove it to take the default",
    });
  }

  int(key: string, def: number, min: number, max: number): number {
    const v = this.get(key);
    if (v === undefined) return def;
    if (typeof v !== "number" || !Number.isInteger(v) || v < min || v > max) {
      this.fail(key, v, `an integer in ${min}..${max}`);
    }
    return v;
  }

  big(key: string, def: bigint, min: bigint, max?: bigint): bigint {
    const v = this.get(key);
    if (v === undefined) return def;
    return this.toBig(key, v, min, max);
  }

  private toBig(key: string, v: unknown, min: bigint, max?: bigint): bigint {
    let b: bigint | undefined;
    if (typeof v === "bigint") b = v;
    else if (typeof v === "number" && Number.isSafeInteger(v)) b = BigInt(v);
    else if (typeof v === "string" && /^-?\d+$/.test(v)) b = BigInt(v);
    if (b === undefined || b < min || (max !== undefined && b > max)) {
      this.fail(
        key,
        v,
        `an integer >= ${min}${max === undefined ? "" : ` and <= ${max}`} (a string for values over 2^53)`,
      );
    }
    return b;
  }

  bool(key: string, def: boolean): boolean {
    const v = this.get(key);
    if (v === undefined) return def;
    if (typeof v !== "boolean") this.fail(key, v, "true or false");
    return v;
  }

  text(key: string, def: string): string {
    const v = this.get(key);
    if (v === undefined) return def;
    if (typeof v !== "string") this.fail(key, v, "a string");
    return v;
  }

  strings(key: string, def: readonly string[]): readonly string[] {
    const v = this.get(key);
    if (v === undefined) return def;
    if (!Array.isArray(v) || !v.every((s) => typeof s === "string")) this.fail(key, v, "a list of strings");
    return v as string[];
  }

  intTable(key: string, def: Readonly<Record<string, number>>, min: number, max: number): Record<string, number> {
    const v = this.get(key);
    if (v === undefined) return { ...def };
    if (typeof v !== "object" || v === null) this.fail(key, v, "a table of integers");
    const out: Record<string, number> = { ...def };
    for (const [k, x] of Object.entries(v as Raw)) {
      if (typeof x !== "number" || !Number.isInteger(x) || x < min || x > max) {
        this.fail(`${key}.${k}`, x, `an integer in ${min}..${max}`);
      }
      out[k] = x;
    }
    return out;
  }

  bigTable(key: string, def: Readonly<Record<number, bigint>>): Record<number, bigint> {
    const v = this.get(key);
    if (v === undefined) return { ...def };
    if (typeof v !== "object" || v === null) this.fail(key, v, "a table chain id -> integer");
    const out: Record<number, bigint> = { ...def };
    for (const [k, x] of Object.entries(v as Raw)) {
      if (!/^\d+$/.test(k)) this.fail(`${key}.${k}`, k, "a decimal chain id as the key");
      out[Number(k)] = this.toBig(`${key}.${k}`, x, 0n);
    }
    return out;
  }

  tokens(key: string, def: readonly TokenEntry[]): readonly TokenEntry[] {
    const v = this.get(key);
    if (v === undefined) return def;
    if (!Array.isArray(v)) this.fail(key, v, "a list of { chain_id, address, asset }");
    return v.map((t: Raw, i: number) => {
      if (
        typeof t !== "object" ||
        typeof t.chain_id !== "number" ||
        typeof t.address !== "string" ||
        typeof t.asset !== "string"
      ) {
        this.fail(`${key}[${i}]`, JSON.stringify(t), '{ chain_id = 137, address = "0x...", asset = "ETH" }');
      }
      return { chainId: t.chain_id, address: (t.address as string).toLowerCase() as `0x${string}`, asset: t.asset };
    });
  }

  rejectUnknown(): void {
    for (const k of Object.keys(this.table)) {
      if (!this.seen.has(k)) this.fail(k, this.table[k], "a known key (see docs/strategies.md)");
    }
  }
}
