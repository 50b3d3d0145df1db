import { existsSync, openSync, readdirSync, readSync, statSync, watch } from "node:fs";
import { join } from "node:path";
import { defineCommand } from "citty";
import { Exit, guard } from "./lib/errors.ts";
import { configArg, systemContext } from "./lib/system.ts";

/**
 * `ap logs [service] [-f]`: the services' logs merged in time order. Each line is `<UTC time> <service> <text>`
 * as the supervisor wrote it; -f keeps printing new lines as they are written (fs.watch, no polling).
 */
export default defineCommand({
  meta: {
    name: "logs",
    description: "Show the services' logs merged in time order, each line with its service and time (-f to follow)",
  },
  args: {
    ...configArg,
    service: { type: "positional", required: false, description: "only this service (ap status lists the names)" },
    follow: { type: "boolean", alias: "f", description: "keep printing new lines" },
    lines: { type: "string", alias: "n", description: "only the last N lines (default: all)" },
  },
  async run({ args }) {
    await guard(async () => {
      const { runDir } = systemContext(args.config);
      const dir = join(runDir, "logs");
      if (!existsSync(dir)) {
        process.stderr.write(`no logs in ${dir}: ap has not run with this run dir\n`);
        process.exit(Exit.Failure);
      }
      const wanted = (name: string) => name.endsWith(".log") && (!args.service || name === `${args.service}.log`);
      const offsets = new Map<string, number>();
      const all: string[] = [];
      for (const name of readdirSync(dir).filter(wanted)) {
        const { text, end } = readFrom(join(dir, name), 0);
        offsets.set(name, end);
        all.push(...text.split("\n").filter(Boolean));
      }
      if (args.service && offsets.size === 0) {
        process.stderr.write(`no log for service "${args.service}" in ${dir}\n`);
        process.exit(Exit.Failure);
      }
      all.sort((a, b) => (a.slice(0, 24) < b.slice(0, 24) ? -1 : a.slice(0, 24) > b.slice(0, 24) ? 1 : 0));
      const n = args.lines ? Number(args.lines) : all.length;
      for (const line of all.slice(Math.max(0, all.length - n))) process.stdout.write(`${line}\n`);
      if (!args.follow) return;
      const partial = new Map<string, string>();
      const catchUp = (name: string) => {
        const { text, end } = readFrom(join(dir, name), offsets.get(name) ?? 0);
        offsets.set(name, end);
        const joined = (partial.get(name) ?? "") + text;
        const cut = joined.lastIndexOf("\n");
        partial.set(name, joined.slice(cut + 1));
        if (cut >= 0) process.stdout.write(joined.slice(0, cut + 1));
      };
      watch(dir, (_event, name) => {
        if (name && wanted(name)) catchUp(name);
      });
      // Lines written between the first read and the watch starting, and change events a watcher may coalesce or
      // miss: a light re-check every 250 ms (like tail -F) keeps the follower complete.
      const catchUpAll = () => {
        for (const name of readdirSync(dir).filter(wanted)) catchUp(name);
      };
      catchUpAll();
      setInterval(catchUpAll, 250);
      await new Promise(() => {}); // until Ctrl-C
    });
  },
});

function readFrom(path: string, offset: number): { text: string; end: number } {
  const size = statSync(path).size;
  if (size <= offset) return { text: "", end: size < offset ? 0 : offset };
  const buf = Buffer.alloc(size - offset);
  const fd = openSync(path, "r");
  readSync(fd, buf, 0, buf.length, offset);
  return { text: buf.toString("utf8"), end: size };
}
