// What every command shares: usage errors, option parsing with one-line
// errors, whole-number options, and where output goes.
import { parseArgs } from "node:util";
import type { ProgressStream } from "../harness/progress.ts";

/** A mistake of the user's: printed as one line `error: ...`, exit code 2. */
export class UsageError extends Error {}

export interface Io {
  out: (s: string) => void;
  err: (s: string) => void;
  /** The terminal a hunt draws its progress on (standard error). */
  tty: ProgressStream;
}

export type Options = NonNullable<NonNullable<Parameters<typeof parseArgs>[0]>["options"]>;

/** Parses a command's arguments; an unknown option or a missing value is a UsageError naming the command's options. */
export function parse(command: string, args: string[], options: Options) {
  try {
    return parseArgs({ args, options, allowPositionals: true, strict: true });
  } catch (err) {
    const e = err as Error & { code?: string };
    const names = Object.keys(options).map((k) => `--${k}`);
    const known = names.length > 0 ? `options of ${command}: ${names.join(", ")}` : `${command} takes no options`;
    const unknown = /Unknown option '([^']+)'/.exec(e.message);
    if (unknown) throw new UsageError(`unknown option '${unknown[1]}' (${known}; see 'help')`);
    const missing = /Option '(-[^ ']+)[^']*' argument missing/.exec(e.message);
    if (missing) throw new UsageError(`${missing[1]} needs a value`);
    const dash = /Option '(-[^ ']+)' argument is ambiguous/.exec(e.message);
    if (dash) throw new UsageError(`${dash[1]} needs a value (one that starts with a dash is written ${dash[1]}=VALUE)`);
    const noValue = /Option '(-[^ ']+)[^']*' does not take an argument/.exec(e.message);
    if (noValue) throw new UsageError(`${noValue[1]} takes no value`);
    throw new UsageError(`${e.message.split("\n")[0]} (${known})`);
  }
}

/** A whole-number option from min to max; undefined when not given. */
export function wholeNumber(flag: string, v: string | undefined, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!/^-?\d+$/.test(v) || n < min || n > max) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, got '${v}'`);
  return n;
}

/** A list for an error message: "a, b or c". */
export function oneOf(names: readonly string[]): string {
  return names.length <= 1 ? (names[0] ?? "nothing") : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}
