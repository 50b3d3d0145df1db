import { describe, expect, test } from "bun:test";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { AuditLog } from "../../../../src/behavior/execution/audit-log.ts";
import {
  compileFlashArbitrage,
  FLASH_ARBITRAGE_ARTIFACT,
} from "../../../../src/behavior/execution/onchain/compileFlashArbitrage.ts";
import { decryptKeystore, encryptKeystore } from "../../../../src/behavior/execution/onchain/keystore.ts";
import { loadSigningAccount } from "../../../../src/behavior/execution/onchain/loadSigningAccount.ts";
import { anvilMarket, E18, EXECUTOR_KEY, mine, signalFor, startExecutor } from "./helpers.ts";

describe("FlashArbitrage artifact", () => {
  test("the committed artifact is what solc-js compiles from contracts/FlashArbitrage.sol", async () => {
    const committed = JSON.parse(readFileSync(FLASH_ARBITRAGE_ARTIFACT, "utf8"));
    const fresh = await compileFlashArbitrage();
    expect(committed.sourceSha256).toBe(fresh.sourceSha256);
    expect(committed.bytecode).toBe(fresh.bytecode);
    expect(committed.abi).toEqual(fresh.abi);
  });
});

describe("loadSigningAccount", () => {
  test("reads AP_EXECUTION_PRIVATE_KEY and removes it from the environment", async () => {
    const env: Record<string, string | undefined> = { AP_EXECUTION_PRIVATE_KEY: EXECUTOR_KEY };
    const account = await loadSigningAccount({ env });
    expect(account.address).toBe("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    expect(env.AP_EXECUTION_PRIVATE_KEY).toBeUndefined();
    expect(JSON.stringify(account)).not.toContain(EXECUTOR_KEY.slice(2));
  });

  test("decrypts a scrypt keystore; a wrong password is a MAC mismatch that names no secret", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ap-keystore-"));
    const path = join(dir, "key.json");
    writeFileSync(path, JSON.stringify(await encryptKeystore(EXECUTOR_KEY, "correct horse", { n: 1024 })));
    const account = await loadSigningAccount({
      env: { AP_EXECUTION_KEYSTORE: path, AP_EXECUTION_KEYSTORE_PASSWORD: "correct horse" },
    });
    expect(account.address).toBe("0x70997970C51812dc3A010C7d01b50e0d17dc79C8");
    const wrong = await loadSigningAccount({ keystorePath: path, password: "wrong" }).catch((e) => e);
    expect(wrong.code).toBe("KeystorePasswordWrong");
    expect(wrong.toLine()).toMatchInlineSnapshot(
      `"KeystorePasswordWrong: the keystore MAC does not match; hint: check the password (AP_EXECUTION_KEYSTORE_PASSWORD)"`,
    );
  });

  test("decrypts the Web3 Secret Storage pbkdf2 test vector", async () => {
    const key = await decryptKeystore(
      {
        version: 3,
        crypto: {
          cipher: "aes-128-ctr",
          cipherparams: { iv: "6087dab2f9fdbbfaddc31a909735c1e6" },
          ciphertext: "5318b4d5bcd28de64ee5559e671353e16f075ecae9f99c7a79a38af5f869aa46",
          kdf: "pbkdf2",
          kdfparams: {
            c: 262144,
            dklen: 32,
            prf: "hmac-sha256",
            salt: "ae3cd4e7013836a3df6bd7241b12db061dbe2c6785853cce422d148a624ce0bd",
          },
          mac: "517ead924a9d0dc3124507e3393d175ce3ff7c1e96529c6c555ce9e51205e9b2",
        },
      },
      "testpassword",
    );
    expect(key).toBe("0x7a28b5ba57c53603b0b07b56bba752f7784bf506fa95edc395f5cf6c7514fe9d");
  });
});

describe("secrets stay out of logs, stats and the audit log", () => {
  const m = anvilMarket();

  test("a live run's log lines, stats (what ap status and the dashboard show) and audit records never hold the key", async () => {
    const dir = mkdtempSync(join(tmpdir(), "ap-secrets-"));
    const audit = new AuditLog(join(dir, "audit.log"), "never");
    const lines: string[] = [];
    const h = await startExecutor(m, { audit, config: { receiptTimeoutMs: 0 } });
    (h.executor as unknown as { o: { log: unknown } }).o.log = {
      info: (s: string) => lines.push(s),
      warn: (s: string) => lines.push(s),
    };
    await h.executor.onSignal(
      signalFor(m, { buy: m.pairA, sell: m.pairB, amountIn: 10n * E18, expectedOut: 10n * E18 }),
    );
    await h.executor.poll(); // outcome unknown: a warning line
    await mine(m);
    await h.executor.poll();
    audit.close();
    const texts = [lines.join("\n"), JSON.stringify(h.executor.stats()), readFileSync(join(dir, "audit.log"), "utf8")];
    expect(lines.length).toBeGreaterThan(0);
    for (const text of texts) {
      expect(text.toLowerCase()).not.toContain(EXECUTOR_KEY.slice(2).toLowerCase());
    }
    // the nonce file holds signed transactions (public once sent), never the key
    expect(readFileSync(h.nonces.path, "utf8")).not.toContain(EXECUTOR_KEY.slice(2));
  });
});
