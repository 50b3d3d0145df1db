/**
 * Compiles contracts/FlashArbitrage.sol with solc-js (the npm `solc` package, a dev dependency: loaded only here) and
 * writes contracts/FlashArbitrage.json, the artifact the executor deploys and calls:
 *   bun src/behavior/execution/onchain/compileFlashArbitrage.ts
 * test/behavior/execution/onchain/artifact.test.ts recompiles and compares, so the committed artifact is always the
 * source's.
 */
import { readFileSync, writeFileSync } from "node:fs";
import { resolve } from "node:path";
import type { Abi, Hex } from "viem";
import { OnchainError } from "./errors.ts";

export const FLASH_ARBITRAGE_SOURCE = resolve(import.meta.dir, "../../../../contracts/FlashArbitrage.sol");
export const FLASH_ARBITRAGE_ARTIFACT = resolve(import.meta.dir, "../../../../contracts/FlashArbitrage.json");

/** What the artifact file holds: the compiler, the settings and the source hash beside the output. */
export interface FlashArbitrageArtifact {
  contractName: "FlashArbitrage";
  compiler: string;
  sourceSha256: string;
  settings: { optimizer: { enabled: boolean; runs: number }; evmVersion: string };
  abi: Abi;
  bytecode: Hex;
}

const SETTINGS = { optimizer: { enabled: true, runs: 10_000 }, evmVersion: "cancun" };

export async function compileFlashArbitrage(): Promise<FlashArbitrageArtifact> {
  const solc = (await import("solc")).default;
  const source = readFileSync(FLASH_ARBITRAGE_SOURCE, "utf8");
  const input = {
    language: "Solidity",
    sources: { "FlashArbitrage.sol": { content: source } },
    settings: { ...SETTINGS, outputSelection: { "*": { FlashArbitrage: ["abi", "evm.bytecode.object"] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === "error");
  if (errors.length > 0) {
    throw new OnchainError({
      code: "ContractCompileFailed",
      message: errors.map((e) => e.formattedMessage).join("\n"),
      facts: { source: FLASH_ARBITRAGE_SOURCE },
    });
  }
  const c = output.contracts["FlashArbitrage.sol"].FlashArbitrage;
  return {
    contractName: "FlashArbitrage",
    compiler: solc.version(),
    sourceSha256: new Bun.CryptoHasher("sha256").update(source).digest("hex"),
    settings: SETTINGS,
    abi: c.abi,
    bytecode: `0x${c.evm.bytecode.object}`,
  };
}

if (import.meta.main) {
  const artifact = await compileFlashArbitrage();
  writeFileSync(FLASH_ARBITRAGE_ARTIFACT, `${JSON.stringify(artifact, null, 2)}\n`);
  console.log(`wrote ${FLASH_ARBITRAGE_ARTIFACT} (${(artifact.bytecode.length - 2) / 2} bytes of init code)`);
}
