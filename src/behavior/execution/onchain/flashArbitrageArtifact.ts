import type { Abi, Hex } from "viem";
import artifact from "../../../../contracts/FlashArbitrage.json";

/** The committed artifact of contracts/FlashArbitrage.sol (compileFlashArbitrage.ts writes it; a test recompiles). */
export const flashArbitrageAbi = artifact.abi as Abi;
export const flashArbitrageBytecode = artifact.bytecode as Hex;
