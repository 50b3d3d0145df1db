import { defineCommand } from "citty";
import { controlRequest } from "../src/behavior/supervisor/control.ts";
import { Exit, guard } from "./lib/errors.ts";
import { configArg, systemContext } from "./lib/system.ts";

export default defineCommand({
  meta: { name: "restart", description: "Restart one service and wait until it reports ready again" },
  args: {
    ...configArg,
    service: { type: "positional", required: true, description: "service name, as ap status lists it" },
  },
  async run({ args }) {
    await guard(async () => {
      const { runDir } = systemContext(args.config);
      const reply = await controlRequest(runDir, { cmd: "restart", service: args.service });
      if (!reply) {
        process.stderr.write(`ap is not running (run dir ${runDir})\n`);
        process.exit(Exit.Failure);
      }
      if (!reply.ok) {
        process.stderr.write(
          `ap restart: ${reply.error.code}: ${reply.error.message}${reply.error.hint ? `; hint: ${reply.error.hint}` : ""}\n`,
        );
        process.exit(Exit.Failure);
      }
      process.stdout.write(`${args.service} restarted and ready\n`);
    });
  },
});
