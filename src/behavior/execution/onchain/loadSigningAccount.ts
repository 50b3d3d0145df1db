import { readFileSync } from "node:fs";
import type { LocalAccount } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { OnchainError } from "./errors.ts";
import { decryptKeystore } from "./keystore.ts";

export interface SigningKeySource {
  /** Environment to read: AP_EXECUTION_PRIVATE_KEY, or AP_EXECUTION_KEYSTORE + AP_EXECUTION_KEYSTORE_PASSWORD. */
  env?: Record<string, string | undefined>;
  /** A keystore file (overrides AP_EXECUTION_KEYSTORE). */
  keystorePath?: string;
  /** Its password (overrides AP_EXECUTION_KEYSTORE_PASSWORD). */
  password?: string;
}

/**
 * The signing account for live execution. The key comes from AP_EXECUTION_PRIVATE_KEY or from an encrypted keystore
 * (keystore.ts); it lives only inside viem's LocalAccount closure (the account object holds the address and the
 * public key, not the private key), and is never logged: errors name the variable, never its value. The variables
 * are deleted from `env` once read, so a child process or a later dump of the environment does not carry them.
 */
export async function loadSigningAccount(source: SigningKeySource = {}): Promise<LocalAccount> {
  const env = source.env ?? process.env;
  const raw = env.AP_EXECUTION_PRIVATE_KEY;
  const keystorePath = source.keystorePath ?? env.AP_EXECUTION_KEYSTORE;
  let key: string;
  if (raw !== undefined && raw !== "") {
    key = raw.trim();
    delete env.AP_EXECUTION_PRIVATE_KEY;
  } else if (keystorePath) {
    const password = source.password ?? env.AP_EXECUTION_KEYSTORE_PASSWORD;
    if (password === undefined) {
      throw new OnchainError({
        code: "KeystorePasswordMissing",
        message: "a keystore is configured but no password is given",
        facts: { keystore: keystorePath },
        hint: "set AP_EXECUTION_KEYSTORE_PASSWORD",
      });
    }
    delete env.AP_EXECUTION_KEYSTORE_PASSWORD;
    key = await decryptKeystore(readFileSync(keystorePath, "utf8"), password);
  } else {
    throw new OnchainError({
      code: "SigningKeyMissing",
      message: "live on-chain execution needs a key",
      hint: "set AP_EXECUTION_PRIVATE_KEY, or AP_EXECUTION_KEYSTORE and AP_EXECUTION_KEYSTORE_PASSWORD",
    });
  }
  if (!key.startsWith("0x")) key = `0x${key}`;
  if (!/^0x[0-9a-fA-F]{64}$/.test(key)) {
    // the value is not echoed: a mistyped key is still mostly a key
    throw new OnchainError({
      code: "SigningKeyMalformed",
      message: "the private key is not 32 bytes of hex",
      facts: { length: key.length },
      hint: "AP_EXECUTION_PRIVATE_KEY takes 0x and 64 hex digits",
    });
  }
  return privateKeyToAccount(key as `0x${string}`);
}
