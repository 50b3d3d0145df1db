import { createCipheriv, createDecipheriv, randomBytes, timingSafeEqual } from "node:crypto";
import { pbkdf2Async } from "@noble/hashes/pbkdf2.js";
import { scryptAsync } from "@noble/hashes/scrypt.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { bytesToHex, hexToBytes } from "@noble/hashes/utils.js";
import { OnchainError } from "./errors.ts";

/**
 * Web3 Secret Storage (the "version 3" JSON keystore of geth, clef, foundry's `cast wallet`):
 *   derived = scrypt(password, salt, n, r, p, dklen 32) or pbkdf2-hmac-sha256(password, salt, c, 32)
 *   mac     = keccak256(derived[16..32] ++ ciphertext)          checked before anything is decrypted
 *   key     = aes-128-ctr(derived[0..16], iv).decrypt(ciphertext)
 * viem has no keystore support, so the KDFs come from @noble/hashes and AES-CTR from node:crypto.
 * https://ethereum.org/en/developers/docs/data-structures-and-encoding/web3-secret-storage/
 */
export interface KeystoreV3 {
  version: 3;
  id?: string;
  address?: string;
  crypto: {
    cipher: "aes-128-ctr";
    cipherparams: { iv: string };
    ciphertext: string;
    kdf: "scrypt" | "pbkdf2";
    kdfparams: { dklen: number; salt: string; n?: number; r?: number; p?: number; c?: number; prf?: string };
    mac: string;
  };
}

function fail(code: string, message: string, hint?: string): never {
  throw new OnchainError({ code, message, hint, facts: {} });
}

async function deriveKey(password: string, c: KeystoreV3["crypto"]): Promise<Uint8Array> {
  const k = c.kdfparams;
  const salt = hexToBytes(k.salt.replace(/^0x/, ""));
  if (k.dklen !== 32) fail("KeystoreUnsupported", `dklen ${k.dklen}: only 32 is supported`);
  if (c.kdf === "scrypt") {
    const { n, r, p } = k;
    if (!n || !r || !p) fail("KeystoreMalformed", "scrypt needs n, r and p");
    return scryptAsync(password, salt, { N: n, r, p, dkLen: 32, maxmem: 2 ** 31 });
  }
  if (c.kdf === "pbkdf2") {
    if (k.prf !== "hmac-sha256" || !k.c) fail("KeystoreUnsupported", "pbkdf2 needs prf hmac-sha256 and c");
    return pbkdf2Async(sha256, password, salt, { c: k.c, dkLen: 32 });
  }
  return fail("KeystoreUnsupported", `kdf ${String(c.kdf)}: only scrypt and pbkdf2 are supported`);
}

/** The private key (0x + 64 hex) inside a keystore; a wrong password is a MAC mismatch, reported without details. */
export async function decryptKeystore(json: string | KeystoreV3, password: string): Promise<`0x${string}`> {
  let ks: KeystoreV3;
  try {
    ks = (typeof json === "string" ? JSON.parse(json) : json) as KeystoreV3;
  } catch {
    return fail("KeystoreMalformed", "the keystore file is not JSON");
  }
  const c = ks?.crypto ?? (ks as unknown as { Crypto?: KeystoreV3["crypto"] }).Crypto;
  if (ks?.version !== 3 || !c) fail("KeystoreUnsupported", "only version 3 keystores are supported");
  if (c.cipher !== "aes-128-ctr") fail("KeystoreUnsupported", `cipher ${c.cipher}: only aes-128-ctr is supported`);
  const derived = await deriveKey(password, c);
  const ciphertext = hexToBytes(c.ciphertext.replace(/^0x/, ""));
  const mac = keccak_256(concat(derived.subarray(16, 32), ciphertext));
  const expected = hexToBytes(c.mac.replace(/^0x/, ""));
  if (expected.length !== 32 || !timingSafeEqual(mac, expected)) {
    fail(
      "KeystorePasswordWrong",
      "the keystore MAC does not match",
      "check the password (AP_EXECUTION_KEYSTORE_PASSWORD)",
    );
  }
  const decipher = createDecipheriv("aes-128-ctr", derived.subarray(0, 16), hexToBytes(c.cipherparams.iv));
  const key = concat(decipher.update(ciphertext), decipher.final());
  derived.fill(0);
  if (key.length !== 32) fail("KeystoreMalformed", "the decrypted key is not 32 bytes");
  return `0x${bytesToHex(key)}`;
}

/** A version 3 scrypt keystore for `privateKey` (tests and key import); n = 2^18 is geth's standard cost. */
export async function encryptKeystore(
  privateKey: `0x${string}`,
  password: string,
  options: { n?: number; r?: number; p?: number } = {},
): Promise<KeystoreV3> {
  const n = options.n ?? 262_144;
  const r = options.r ?? 8;
  const p = options.p ?? 1;
  const salt = randomBytes(32);
  const iv = randomBytes(16);
  const derived = await scryptAsync(password, salt, { N: n, r, p, dkLen: 32, maxmem: 2 ** 31 });
  const cipher = createCipheriv("aes-128-ctr", derived.subarray(0, 16), iv);
  const ciphertext = concat(cipher.update(hexToBytes(privateKey.slice(2))), cipher.final());
  const mac = keccak_256(concat(derived.subarray(16, 32), ciphertext));
  return {
    version: 3,
    id: crypto.randomUUID(),
    crypto: {
      cipher: "aes-128-ctr",
      cipherparams: { iv: bytesToHex(iv) },
      ciphertext: bytesToHex(ciphertext),
      kdf: "scrypt",
      kdfparams: { dklen: 32, salt: bytesToHex(salt), n, r, p },
      mac: bytesToHex(mac),
    },
  };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
