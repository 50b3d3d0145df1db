import { defineCommand } from "citty";
import { EncodeError } from "../src/core/errors.ts";
import { readLimits } from "../src/core/limits.ts";
import { type FrameJson, jsonToFrame, toHex } from "../src/rules/json.ts";
import { Exit, guard } from "./lib/errors.ts";
import { readStdinText } from "./lib/input.ts";

export default defineCommand({
  meta: {
    name: "encode",
    description:
      "Build frames from JSON (the shape `ap decode --json` prints: one frame object or an array) and print them as hex",
  },
  args: {
    json: { type: "positional", required: false, description: "frame JSON; omit to read stdin" },
  },
  async run({ args }) {
    await guard(async () => {
      const limits = readLimits();
      const text = args.json ?? (await readStdinText());
      if (!text.trim()) {
        process.stderr.write("ap encode: no input; give JSON as an argument or on stdin (ap encode --help)\n");
        process.exit(Exit.Usage);
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch (e) {
        throw new EncodeError({
          code: "BadJson",
          message: `input is not JSON: ${(e as Error).message}`,
          hint: "pipe the output of `ap decode --json`",
        });
      }
      const frames = (Array.isArray(parsed) ? parsed : [parsed]) as FrameJson[];
      for (const frame of frames) process.stdout.write(`${toHex(jsonToFrame(frame, limits))}\n`);
    });
  },
});
