import { defineCommand } from "citty";
import { controlRequest } from "../src/behavior/supervisor/control.ts";
import { guard } from "./lib/errors.ts";
import { configArg, systemContext } from "./lib/system.ts";

export default defineCommand({
  meta: {
    name: "down",
    description: "Stop everything gracefully: SIGTERM each service (reverse order), SIGKILL after the timeout",
  },
  args: { ...configArg },
  async run({ args }) {
    await guard(async () => {
      const { config, runDir } = systemContext(args.config);
      const reply = await controlRequest(runDir, { cmd: "down" }, config.supervisor.stopTimeoutMs * 4 + 5_000);
      if (!reply) {
        process.stdout.write(`ap is not running (run dir ${runDir})\n`);
        return;
      }
      if (!reply.ok) throw new Error(reply.error.message);
      process.stdout.write(`ap stopped: ${(reply.stopped as string[]).join(", ")}\n`);
    });
  },
});
