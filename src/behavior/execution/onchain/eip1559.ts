import { keccak_256 } from "@noble/hashes/sha3.js";
import type { Address, Hex, LocalAccount } from "viem";
import { OnchainError } from "./errors.ts";

/** The fields of an EIP-1559 contract call without value or access list (what the executor signs per signal). */
export interface Eip1559Call {
  chainId: number;
  nonce: number;
  maxPriorityFeePerGas: bigint;
  maxFeePerGas: bigint;
  gas: bigint;
  to: Address;
  data: Hex;
}

/**
 * Signs an EIP-1559 transaction: 0x02 || rlp([chain_id, nonce, tip, max_fee, gas, to, value = 0, data,
 * access_list = [], y_parity, r, s]), the signature over keccak256 of the same without the last three.
 *
 * The same bytes as viem's `account.signTransaction` (RFC 6979: deterministic; checked in bench and tests against
 * anvil), in about half the time: viem serialises twice through hex strings, validates the fields and hashes
 * hex; here the RLP is written once into a byte array (Buffer's native hex), keccak runs on bytes, and only the
 * secp256k1 signature goes through the account (`account.sign({ hash })`: the key stays in viem's closure).
 * Accounts without `sign` (not local) use `signTransaction`.
 */
export async function signEip1559(account: LocalAccount, tx: Eip1559Call): Promise<{ raw: Hex; hash: Hex }> {
  if (account.sign === undefined) {
    const raw = await account.signTransaction({ type: "eip1559", value: 0n, ...tx });
    return { raw, hash: `0x${Buffer.from(keccak_256(Buffer.from(raw.slice(2), "hex"))).toString("hex")}` };
  }
  const to = Buffer.from(tx.to.slice(2), "hex");
  // what viem's serializer would refuse
  if (to.length !== 20 || tx.chainId <= 0 || tx.maxPriorityFeePerGas > tx.maxFeePerGas || (tx.data.length & 1) === 1) {
    throw new OnchainError({
      code: "InvalidTransaction",
      message: "refused to sign: bad address, chain id, fee order or calldata",
      facts: { to: tx.to, chain_id: tx.chainId, tip: tx.maxPriorityFeePerGas, max_fee: tx.maxFeePerGas },
    });
  }
  const data = Buffer.from(tx.data.slice(2), "hex");
  const fields: Uint8Array[] = [
    int(BigInt(tx.chainId)),
    int(BigInt(tx.nonce)),
    int(tx.maxPriorityFeePerGas),
    int(tx.maxFeePerGas),
    int(tx.gas),
    to,
    EMPTY,
    data,
  ];
  const unsigned = typed(fields, EMPTY_LIST);
  const signature = await account.sign({ hash: `0x${Buffer.from(keccak_256(unsigned)).toString("hex")}` });
  // r (32) || s (32) || v (27 or 28), as viem serialises it
  const sig = Buffer.from(signature.slice(2), "hex");
  const v = sig[64];
  const yParity = v === 0 || v === 1 ? v : v - 27;
  const signed = typed(fields, EMPTY_LIST, int(BigInt(yParity)), trim(sig.subarray(0, 32)), trim(sig.subarray(32, 64)));
  return {
    raw: `0x${Buffer.from(signed.buffer, signed.byteOffset, signed.length).toString("hex")}`,
    hash: `0x${Buffer.from(keccak_256(signed)).toString("hex")}`,
  };
}

const EMPTY = new Uint8Array(0);
/** An empty access list: rlp([]) = 0xc0, as an already encoded item. */
const EMPTY_LIST = Uint8Array.of(0xc0);

/** A big-endian integer without leading zeros (0: empty), as RLP wants it. */
function int(x: bigint): Uint8Array {
  if (x === 0n) return EMPTY;
  let h = x.toString(16);
  if (h.length % 2 === 1) h = `0${h}`;
  return Buffer.from(h, "hex");
}

function trim(b: Uint8Array): Uint8Array {
  let i = 0;
  while (i < b.length && b[i] === 0) i++;
  return b.subarray(i);
}

function headerLength(len: number): number {
  if (len <= 55) return 1;
  let n = 0;
  for (let l = len; l > 0; l = Math.floor(l / 256)) n++;
  return 1 + n;
}

function writeHeader(out: Uint8Array, at: number, len: number, short: number, long: number): number {
  if (len <= 55) {
    out[at] = short + len;
    return at + 1;
  }
  const n = headerLength(len) - 1;
  out[at] = long + n;
  for (let i = n; i >= 1; i--) {
    out[at + i] = len & 0xff;
    len = Math.floor(len / 256);
  }
  return at + 1 + n;
}

function itemLength(b: Uint8Array): number {
  return b.length === 1 && b[0] < 0x80 ? 1 : headerLength(b.length) + b.length;
}

/**
 * 0x02 || rlp(list): byte strings from `strings` (each RLP-encoded here), then `accessList` (already encoded),
 * then `tail` byte strings (the signature fields).
 */
function typed(strings: Uint8Array[], accessList: Uint8Array, ...tail: Uint8Array[]): Uint8Array {
  let payload = accessList.length;
  for (const b of strings) payload += itemLength(b);
  for (const b of tail) payload += itemLength(b);
  const out = new Uint8Array(1 + headerLength(payload) + payload);
  out[0] = 0x02;
  let at = writeHeader(out, 1, payload, 0xc0, 0xf7);
  const put = (b: Uint8Array) => {
    if (b.length === 1 && b[0] < 0x80) {
      out[at++] = b[0];
      return;
    }
    at = writeHeader(out, at, b.length, 0x80, 0xb7);
    out.set(b, at);
    at += b.length;
  };
  for (const b of strings) put(b);
  out.set(accessList, at);
  at += accessList.length;
  for (const b of tail) put(b);
  return out;
}
