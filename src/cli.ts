// The command line: list, hunt, replay, show (each in src/cli/).
// Exit codes: 0 nothing found / replay as expected; 1 a property failed;
// 2 bad usage or unreadable input, with a one-line reason.
import * as fs from "node:fs";
import { pathToFileURL } from "node:url";
import type { ProgressStream } from "./harness/progress.ts";
import type { Io } from "./cli/common.ts";
import { UsageError } from "./cli/common.ts";
import { cmdHunt } from "./cli/hunt.ts";
import { cmdList } from "./cli/list.ts";
import { cmdReplay } from "./cli/replay.ts";
import { cmdShow } from "./cli/show.ts";
import { USAGE } from "./cli/usage.ts";

export { UsageError } from "./cli/common.ts";

const COMMANDS: Record<string, (args: string[], io: Io) => Promise<number>> = { list: cmdList, hunt: cmdHunt, replay: cmdReplay, show: cmdShow };

/**
 * Runs the command line; resolves to the exit code. `tty` is where a hunt
 * draws its live progress line, if it is a terminal.
 */
export async function main(
  argv: string[],
  out: (s: string) => void = (s) => console.log(s),
  err: (s: string) => void = (s) => console.error(s),
  tty: ProgressStream = process.stderr,
): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    if (cmd === "help" || cmd === "--help" || cmd === "-h") {
      out(USAGE);
      return 0;
    }
    const run = cmd === undefined ? undefined : COMMANDS[cmd];
    if (run === undefined)
      throw new UsageError(`${cmd === undefined ? "no command given" : `unknown command '${cmd}'`} (commands: ${Object.keys(COMMANDS).join(", ")}, help)`);
    return await run(rest, { out, err, tty });
  } catch (e) {
    if (e instanceof UsageError) {
      err(`error: ${e.message}`);
      return 2;
    }
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) {
      err(`error: ${(e as Error).message}`); // a file the command could not read or write
      return 2;
    }
    throw e;
  }
}

function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (script === undefined) return false;
  try {
    return pathToFileURL(fs.realpathSync(script)).href === import.meta.url;
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = await main(process.argv.slice(2));
