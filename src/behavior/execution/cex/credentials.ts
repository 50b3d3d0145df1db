import { CexConfigError } from "./errors.ts";

const REDACTED = "[redacted]";

/**
 * One venue's API key pair. Both halves sit in private fields: JSON.stringify, String(), console.log/inspect and
 * consola all see "[redacted]"; only the signer and the header writer read them (apiKey(), secretBytes()).
 */
export class CexCredentials {
  readonly #apiKey: string;
  readonly #secret: Uint8Array;

  constructor(apiKey: string, secret: Uint8Array) {
    this.#apiKey = apiKey;
    this.#secret = secret;
  }

  apiKey(): string {
    return this.#apiKey;
  }

  secretBytes(): Uint8Array {
    return this.#secret;
  }

  toString(): string {
    return REDACTED;
  }

  toJSON(): string {
    return REDACTED;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return REDACTED;
  }
}

export interface CexKeys {
  kraken?: CexCredentials;
  binance?: CexCredentials;
}

/**
 * Keys from the environment only: AP_KRAKEN_API_KEY / AP_KRAKEN_API_SECRET (the secret base64, as Kraken issues it)
 * and AP_BINANCE_API_KEY / AP_BINANCE_API_SECRET (the secret's text is the HMAC key). A venue with one half set and
 * not the other is a configuration error; neither half is ever put into the error.
 */
export function loadCexKeys(env: Record<string, string | undefined> = process.env): CexKeys {
  const keys: CexKeys = {};
  const kKey = env.AP_KRAKEN_API_KEY;
  const kSecret = env.AP_KRAKEN_API_SECRET;
  if (kKey || kSecret) {
    if (!kKey || !kSecret) throw halfSet("kraken", "AP_KRAKEN_API_KEY", "AP_KRAKEN_API_SECRET");
    const decoded = Buffer.from(kSecret, "base64");
    if (decoded.length === 0 || decoded.toString("base64").replace(/=+$/, "") !== kSecret.replace(/=+$/, "")) {
      throw new CexConfigError({
        code: "BadKrakenSecret",
        message: "AP_KRAKEN_API_SECRET is not base64",
        hint: "paste the private key exactly as Kraken shows it",
      });
    }
    keys.kraken = new CexCredentials(kKey, new Uint8Array(decoded));
  }
  const bKey = env.AP_BINANCE_API_KEY;
  const bSecret = env.AP_BINANCE_API_SECRET;
  if (bKey || bSecret) {
    if (!bKey || !bSecret) throw halfSet("binance", "AP_BINANCE_API_KEY", "AP_BINANCE_API_SECRET");
    keys.binance = new CexCredentials(bKey, new TextEncoder().encode(bSecret));
  }
  return keys;
}

function halfSet(venue: string, a: string, b: string): CexConfigError {
  return new CexConfigError({
    code: "HalfSetKeys",
    message: `${venue}: set both ${a} and ${b}, or neither`,
    facts: { venue },
  });
}
