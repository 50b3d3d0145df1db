import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";

const utf8 = new TextEncoder();

/**
 * Kraken spot REST API-Sign (docs.kraken.com/api/docs/guides/spot-rest-auth):
 *   base64( HMAC-SHA512( key = base64decode(secret), message = uriPath + SHA256(nonce + postData) ) )
 * `uriPath` starts at "/0/private"; `postData` is the exact form-encoded body sent (it contains nonce=... too).
 */
export function krakenSignature(params: {
  uriPath: string;
  nonce: string;
  postData: string;
  secret: Uint8Array;
}): string {
  const inner = sha256(utf8.encode(params.nonce + params.postData));
  const path = utf8.encode(params.uriPath);
  const message = new Uint8Array(path.length + inner.length);
  message.set(path, 0);
  message.set(inner, path.length);
  return Buffer.from(hmac(sha512, params.secret, message)).toString("base64");
}
