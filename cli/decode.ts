import { defineCommand } from "citty";
import { readLimits } from "../src/core/limits.ts";
import { diagnose } from "../src/rules/diagnose.ts";
import { ErrorCode } from "../src/rules/error-codes.ts";
import { frameToJson } from "../src/rules/json.ts";
import { FrameParser } from "../src/rules/parser.ts";
import { Exit, guard } from "./lib/errors.ts";
import { readFrameInput } from "./lib/input.ts";
import { renderFrame } from "./lib/render.ts";

export default defineCommand({
  meta: {
    name: "decode",
    description:
      "Decode Protocol V2 frames from hex (arguments, a file, or stdin; 0x prefixes, whitespace and several concatenated frames allowed)",
  },
  args: {
    hex: { type: "positional", required: false, description: "frame bytes as hex; omit to read stdin" },
    json: { type: "boolean", description: "print JSON (the shape `ap encode` reads; bigints as decimal strings)" },
  },
  async run({ args }) {
    await guard(async () => {
      const limits = readLimits();
      const { bytes } = await readFrameInput(args._.length ? args._ : args.hex ? [args.hex] : []);
      if (bytes.length === 0) {
        process.stderr.write("ap decode: no input; give hex as an argument or on stdin (ap decode --help)\n");
        process.exit(Exit.Usage);
      }
      const parser = new FrameParser({ limits });
      const frames: unknown[] = [];
      let failed = 0;
      let p = 0;
      let index = 0;
      while (p < bytes.length) {
        index++;
        const code = parser.check(bytes, p);
        if (code !== ErrorCode.Ok) {
          failed++;
          process.stderr.write(`ap decode: frame ${index} at byte ${p}: ${diagnose(parser, limits).toLine()}\n`);
          // Resynchronise on the next magic (PROTOCOL.md §2) so later frames still decode.
          const next = findMagic(bytes, p + 1);
          if (next < 0) break;
          p = next;
          continue;
        }
        const size = parser.frameSize;
        try {
          const json = frameToJson(bytes, p, limits);
          if (args.json) frames.push(json);
          else process.stdout.write(`${renderFrame(json, index, size)}\n`);
        } catch (e) {
          failed++;
          process.stderr.write(
            `ap decode: frame ${index} at byte ${p}: ${(e as { toLine?: () => string }).toLine?.() ?? e}\n`,
          );
        }
        p += size;
      }
      if (args.json) process.stdout.write(`${JSON.stringify(frames.length === 1 ? frames[0] : frames, null, 2)}\n`);
      if (failed > 0) process.exit(Exit.Failure);
    });
  },
});

function findMagic(bytes: Uint8Array, from: number): number {
  for (let i = bytes.indexOf(0xef, from); i >= 0; i = bytes.indexOf(0xef, i + 1)) {
    if (bytes[i + 1] === 0xbe && bytes[i + 2] === 0xad && bytes[i + 3] === 0xde) return i;
  }
  return -1;
}
