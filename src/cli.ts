// The command line: list, hunt, replay, show, litmus (each in src/cli/).
// Exit codes: 0 nothing found / replay as expected; 1 a property failed;
// 2 bad usage or unreadable input, with a one-line reason.
import * as fs from "node:fs";
import { pathToFileURL } from "node:url";
import type { ProgressStream } from "./harness/progress.ts";
import type { Io } from "./cli/common.ts";
import { UsageError } from "./cli/common.ts";
import { cmdHunt } from "./cli/hunt.ts";
import { cmdList } from "./cli/list.ts";
import { cmdLitmus } from "./cli/litmus.ts";
import { cmdReplay } from "./cli/replay.ts";
import { cmdShow } from "./cli/show.ts";
import { usage } from "./cli/usage.ts";

export { UsageError } from "./cli/common.ts";

/** The name the command line is run by, for its help text. */
let programName = "npx tsx src/cli.ts";
export function setProgramName(name: string): void {
  programName = name;
}

const COMMANDS: Record<string, (args: string[], io: Io) => Promise<number>> = { list: cmdList, hunt: cmdHunt, replay: cmdReplay, show: cmdShow, litmus: cmdLitmus };

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
  // What a file holds reaches the terminal or a CI log only with its control characters escaped.
  const rawOut = out;
  const rawErr = err;
  out = (s) => rawOut(escapeControls(s));
  err = (s) => rawErr(escapeControls(s));
  const [cmd, ...rest] = argv;
  try {
    if (cmd === "help" || cmd === "--help" || cmd === "-h") {
      out(usage(programName));
      return 0;
    }
    const run = cmd === undefined ? undefined : COMMANDS[cmd];
    if (run === undefined)
      throw new UsageError(`${cmd === undefined ? "no command given" : `unknown command '${cmd}'`} (commands: ${Object.keys(COMMANDS).join(", ")}, help)`);
    return await run(rest, { out, err, tty });
  } catch (e) {
    if (e instanceof UsageError) {
      err(`error: ${oneLine(e.message)}`);
      return 2;
    }
    const io = ioProblem(e);
    if (io !== undefined) {
      err(`error: ${io}`); // a file the command could not read or write
      return 2;
    }
    // Anything else was thrown by model code (a user's model that crashes in setup or its workload) or is a bug here.
    if (process.env.KRH_DEBUG) throw e;
    err(`error: ${oneLine(e instanceof Error ? e.message : String(e))} (KRH_DEBUG=1 shows where)`);
    return 2;
  }
}

/** Control characters (an escape sequence in a hostile file) written as \xNN; lines and tabs stay. */
export function escapeControls(s: string): string {
  return s.replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}

const oneLine = (s: string) => s.replace(/\s*\n\s*/g, " ").trim();

/** A file system error as one line that says what is wrong with which path. */
function ioProblem(e: unknown): string | undefined {
  const { code, path: p, message } = e as NodeJS.ErrnoException;
  if (typeof code !== "string" || !/^E[A-Z]+$/.test(code)) return undefined;
  const where = p === undefined ? "" : `${p === "" ? "(an empty path)" : p}: `;
  switch (code) {
    case "ENOENT":
      return `${where}no such file or folder`;
    case "ENOTDIR":
      return `${where}a part of this path is a file, not a folder`;
    case "EEXIST":
      return `${where}exists and is not a folder`;
    case "EISDIR":
      return `${where}is a folder, not a file`;
    case "EACCES":
    case "EPERM":
      return `${where}permission denied`;
    default:
      return oneLine(message);
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
