// Colours of a picture, given in order of first appearance so the same file
// always gets the same colours: cool ones for threads, warm ones for
// interrupt lines, a separate set for locks; red only for the failure.

const THREADS = ["#4e79a7", "#59a14f", "#b07aa1", "#9c755f", "#76b7b2", "#7b68ee", "#2e8b57", "#a0cbe8", "#8cd17d", "#d4a6c8"];
const IRQS = ["#f28e2b", "#e0b000", "#ff9da7", "#d37295", "#c47a00", "#f1ce63"];
const LOCKS = ["#1b9e77", "#d95f02", "#7570b3", "#e7298a", "#66a61e", "#a6761d", "#1f78b4", "#666666"];

export const FAIL_RED = "#d00000";
export const IRQS_OFF = "#37474f";
export const PREEMPT_OFF = "#7e57c2";
export const MACHINE_GREY = "#9e9e9e";
export const ENV_COLOUR = "#607d8b";
export const DRAIN_GREY = "#eeeeee";

/** Hands out colours from a palette by name, cycling when it runs out. */
class Assigner {
  private readonly given = new Map<string, string>();
  constructor(private readonly palette: readonly string[]) {}
  get(name: string): string {
    let c = this.given.get(name);
    if (c === undefined) this.given.set(name, (c = this.palette[this.given.size % this.palette.length]!));
    return c;
  }
  entries(): [string, string][] {
    return [...this.given];
  }
}

/** The interrupt line of a handler instance: "nic#2" is line "nic". */
export function lineOf(handler: string): string {
  const i = handler.lastIndexOf("#");
  return i < 0 ? handler : handler.slice(0, i);
}

export class Palette {
  readonly threads = new Assigner(THREADS);
  readonly irqLines = new Assigner(IRQS);
  readonly locks = new Assigner(LOCKS);
  private readonly handlers = new Set<string>();

  constructor(threadNames: readonly string[]) {
    for (const t of threadNames) this.threads.get(t);
  }

  /** Records that `ctx` is an interrupt handler (so its colour comes from its line). */
  markHandler(ctx: string): void {
    this.handlers.add(ctx);
    this.irqLines.get(lineOf(ctx));
  }

  isHandler(ctx: string): boolean {
    return this.handlers.has(ctx);
  }

  context(ctx: string): string {
    if (ctx === "") return MACHINE_GREY;
    return this.handlers.has(ctx) ? this.irqLines.get(lineOf(ctx)) : this.threads.get(ctx);
  }
}

/** `hex` mixed with white: 0 is the colour itself, 1 is white. */
export function tint(hex: string, towardsWhite: number): string {
  const n = parseInt(hex.slice(1), 16);
  const mix = (c: number) => Math.round(c + (255 - c) * towardsWhite);
  const [r, g, b] = [mix((n >> 16) & 255), mix((n >> 8) & 255), mix(n & 255)];
  return `#${((r << 16) | (g << 8) | b).toString(16).padStart(6, "0")}`;
}
