// Progress of a long hunt: on a terminal, one line rewritten in place a few
// times a second (runs done of the budget, runs per second, failures found,
// time elapsed); elsewhere (a pipe, a file, CI) only one closing line. It
// only watches: the runs a hunt makes do not depend on it.

export interface ProgressStream {
  isTTY?: boolean;
  columns?: number;
  write(s: string): unknown;
}

export interface ProgressOptions {
  /** The terminal the live line is drawn on. */
  stream: ProgressStream;
  /** Draw the live line; otherwise only the closing line is printed. */
  live: boolean;
  /** Where the closing line goes when there is no live line. */
  line: (s: string) => void;
  /** What is hunted, for the closing line: "mempool". */
  what: string;
  /** Variants to be hunted, and the runs each may take (undefined: until the strategy is done). */
  variants: number;
  budget: number | undefined;
  now?: () => number;
  /** Least time between two redraws of the live line. */
  everyMs?: number;
}

/** Whether we run in CI: the CI variable set to something other than false or 0. */
export function inCI(env: Record<string, string | undefined> = process.env): boolean {
  const v = env.CI;
  return v !== undefined && v !== "" && v !== "false" && v !== "0";
}

/** Whether a live line should be drawn on this stream. */
export function wantsLiveLine(stream: ProgressStream, env: Record<string, string | undefined> = process.env): boolean {
  return stream.isTTY === true && !inCI(env);
}

export function formatElapsed(ms: number): string {
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.floor(s);
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const sec = String(whole % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${sec}` : `${m}:${sec}`;
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

export class HuntProgress {
  private readonly now: () => number;
  private readonly every: number;
  private readonly started: number;
  private lastDraw = -Infinity;
  private drawn = false;
  private variant = 0;
  private label = "";
  private doneBefore = 0;
  private current = 0;
  private failures = 0;
  private state = "";

  constructor(private readonly o: ProgressOptions) {
    this.now = o.now ?? (() => performance.now());
    this.every = o.everyMs ?? 250;
    this.started = this.now();
  }

  /** A variant's hunt begins. */
  begin(label: string): void {
    this.variant++;
    this.label = label;
    this.current = 0;
    this.state = "";
    this.draw(true);
  }

  /** The current variant has made `done` runs. */
  runs(done: number): void {
    this.current = done;
    this.draw(false);
  }

  /** The current variant failed; what follows is shrinking. */
  found(property: string): void {
    this.failures++;
    this.state = `${property} broken, shrinking`;
    this.draw(true);
  }

  /** The current variant's hunt is over, after `runs` runs. */
  end(runs: number): void {
    this.doneBefore += runs;
    this.current = 0;
  }

  /** Erases the live line, before other output. */
  clear(): void {
    if (!this.drawn) return;
    this.o.stream.write("\r\x1b[K");
    this.drawn = false;
  }

  /** The closing line: on the terminal in place of the live line, elsewhere as the one line printed. */
  finish(): string {
    const ms = this.now() - this.started;
    const runs = this.doneBefore + this.current;
    const line = `hunted ${plural(this.variant, "variant")} of ${this.o.what}: ${plural(runs, "run")} in ${formatElapsed(ms)}, ${this.rate(runs, ms)} runs/s, ${plural(this.failures, "failure")} found`;
    this.clear();
    if (this.o.live) this.o.stream.write(`${line}\n`);
    else this.o.line(line);
    return line;
  }

  private rate(runs: number, ms: number): number {
    return ms > 0 ? Math.round((runs * 1000) / ms) : 0;
  }

  private draw(force: boolean): void {
    if (!this.o.live) return;
    const t = this.now();
    if (!force && t - this.lastDraw < this.every) return;
    this.lastDraw = t;
    const ms = t - this.started;
    const runs = this.doneBefore + this.current;
    const budget = this.o.budget === undefined ? "" : `/${this.o.budget * this.o.variants}`;
    const which = this.o.variants > 1 ? ` [${this.variant}/${this.o.variants}]` : "";
    let line = `${this.label}${which}: ${runs}${budget} runs, ${this.rate(runs, ms)} runs/s, ${plural(this.failures, "failure")} found, ${formatElapsed(ms)}${this.state ? `; ${this.state}` : ""}`;
    const width = (this.o.stream.columns ?? 0) - 1;
    if (width > 10 && line.length > width) line = line.slice(0, width - 1) + "…";
    this.o.stream.write(`\r${line}\x1b[K`);
    this.drawn = true;
  }
}
