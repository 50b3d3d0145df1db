import { existsSync, readFileSync, statSync } from "node:fs";
import { fromHex } from "../../src/rules/json.ts";

/** Reads all of stdin as text (empty when stdin is a TTY). */
export async function readStdinText(): Promise<string> {
  if (process.stdin.isTTY) return "";
  return await new Response(Bun.stdin.stream()).text();
}

/**
 * Bytes from a command's input: hex text given as arguments (joined; 0x prefixes and whitespace allowed), or a file
 * path (binary, or hex text), or stdin when no argument is given.
 */
export async function readFrameInput(args: string[]): Promise<{ bytes: Uint8Array; source: string }> {
  if (
    args.length === 1 &&
    !/^(0x)?[0-9a-fA-F\s]*$/.test(args[0]) &&
    existsSync(args[0]) &&
    statSync(args[0]).isFile()
  ) {
    const raw = new Uint8Array(readFileSync(args[0]));
    const text = new TextDecoder().decode(raw.subarray(0, 4096));
    const looksHex = /^[\s0-9a-fA-Fx]*$/.test(text);
    return { bytes: looksHex ? fromHex(stripPrefixes(new TextDecoder().decode(raw))) : raw, source: args[0] };
  }
  const text = args.length > 0 ? args.join(" ") : await readStdinText();
  return { bytes: fromHex(stripPrefixes(text)), source: args.length > 0 ? "argument" : "stdin" };
}

/** Allows several frames written as "0x...." "0x...." by removing every 0x prefix, not only the first. */
function stripPrefixes(text: string): string {
  return text.replace(/0x/gi, "");
}
