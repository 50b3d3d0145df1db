/**
 * One error base for the whole system. Every failure a user or an operator can meet is an ApError with
 * - a stable `code` (the PROTOCOL.md §8 names for codec errors),
 * - the facts as plain fields (`facts`), so nobody parses a message string,
 * - a `likelyCause` and a `hint` (what to check or do next).
 *
 * Codec errors are built only after a check has failed (see src/rules/diagnose.ts), so carrying rich facts costs
 * nothing on the happy path.
 */
export type Facts = Record<string, string | number | bigint | boolean | null | undefined>;

export interface ApErrorParams {
  code: string;
  message: string;
  facts?: Facts;
  likelyCause?: string;
  hint?: string;
}

export class ApError extends Error {
  override readonly name: string = "ApError";
  readonly code: string;
  readonly facts: Facts;
  readonly likelyCause: string | undefined;
  readonly hint: string | undefined;

  constructor(params: ApErrorParams) {
    super(params.message);
    this.code = params.code;
    this.facts = params.facts ?? {};
    this.likelyCause = params.likelyCause;
    this.hint = params.hint;
  }

  /** One line for a terminal: `Code: message (fact=value, ...) — likely cause — hint: ...`. */
  toLine(): string {
    const facts = Object.entries(this.facts)
      .filter(([k, v]) => v !== undefined && !(k === "likely_cause" && v === this.likelyCause))
      .map(([k, v]) => `${k}=${formatFact(v)}`)
      .join(", ");
    let line = `${this.code}: ${this.message}`;
    if (facts) line += ` (${facts})`;
    if (this.likelyCause) line += `; likely cause: ${this.likelyCause}`;
    if (this.hint) line += `; hint: ${this.hint}`;
    return line;
  }

  /** JSON-safe form (bigints as decimal strings). */
  toJSON(): Record<string, unknown> {
    const facts: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(this.facts)) facts[k] = typeof v === "bigint" ? v.toString() : v;
    return { code: this.code, message: this.message, facts, likely_cause: this.likelyCause, hint: this.hint };
  }
}

function formatFact(v: Facts[string]): string {
  return typeof v === "bigint" ? v.toString() : String(v);
}

/** A configuration value (environment or file) that the program cannot start with. */
export class ConfigError extends ApError {
  override readonly name = "ConfigError";
}

/** Text that is not an exact decimal of the requested scale, or out of the target integer's range. */
export class DecimalError extends ApError {
  override readonly name = "DecimalError";
}

/** An InstrumentId (bytes or canonical text) that breaks PROTOCOL.md §5. */
export class InstrumentIdError extends ApError {
  override readonly name = "InstrumentIdError";
}

/** A frame or byte stream that breaks PROTOCOL.md; `code` is one of the §8 names. */
export class ProtocolError extends ApError {
  override readonly name = "ProtocolError";
}

/** Input to `ap encode` or a TLV value that cannot be encoded (missing field, value out of range). */
export class EncodeError extends ApError {
  override readonly name = "EncodeError";
}
