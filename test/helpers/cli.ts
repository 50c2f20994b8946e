// Running the command line in this process, its output captured.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { main } from "../../src/cli.ts";
import type { ProgressStream } from "../../src/harness/progress.ts";

export const root = path.join(import.meta.dirname, "..", "..");

/** A stream that records what is written to it; a terminal if `isTTY`. */
export function fakeStream(isTTY: boolean): ProgressStream & { writes: string[] } {
  const writes: string[] = [];
  return { isTTY, columns: 200, writes, write: (s: string) => writes.push(s) };
}

/** Runs the CLI; standard error is not a terminal unless a stream says otherwise. */
export async function cli(args: string[], tty: ProgressStream = fakeStream(false)) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(args, (s) => out.push(s), (s) => err.push(s), tty);
  return { code, out: out.join("\n"), err: err.join("\n"), errLines: err };
}

export const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "krh-cli-"));
export const jsonFiles = (dir: string) => fs.readdirSync(dir, { recursive: true }).map(String).filter((f) => f.endsWith(".json"));
export const fixture = (name: string) => path.join(root, "test", "fixtures", "models", name);
export const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
