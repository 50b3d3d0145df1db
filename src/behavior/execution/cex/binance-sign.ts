import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";

const utf8 = new TextEncoder();

/**
 * Binance SIGNED endpoint signature (developers.binance.com, spot REST "Request security", HMAC keys):
 *   hex( HMAC-SHA256( key = secretKey (its ASCII text), message = totalParams ) )
 * totalParams = the query string concatenated with the request body, exactly as sent (no re-encoding).
 */
export function binanceSignature(params: { totalParams: string; secret: Uint8Array }): string {
  return Buffer.from(hmac(sha256, params.secret, utf8.encode(params.totalParams))).toString("hex");
}
