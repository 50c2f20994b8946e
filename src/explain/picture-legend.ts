// The legend of a picture: one line per group (contexts, interrupt
// handlers, bars, axis), each with the colours this picture uses.
import { DRAIN_GREY, ENV_COLOUR, FAIL_RED, IRQS_OFF, MACHINE_GREY, PREEMPT_OFF, tint } from "./picture-palette.ts";
import type { Palette } from "./picture-palette.ts";
import type { PictureSpans } from "./picture-spans.ts";
import { CHAR_W, SvgParts } from "./svg-builder.ts";

interface LegendItem {
  label: string;
  swatch: (s: SvgParts, x: number, y: number) => void;
}

interface LegendGroup {
  title: string;
  items: LegendItem[];
}

const TITLE_W = 92;
const LINE_H = 18;

const box = (fill: string, stroke?: string) => (s: SvgParts, x: number, y: number) =>
  s.rect(x, y + 1, 16, 12, `fill="${fill}"${stroke ? ` stroke="${stroke}" stroke-width="1.5"` : ""}`);
const bar = (fill: string, opacity = 1) => (s: SvgParts, x: number, y: number) => s.rect(x + 4, y, 8, 14, `fill="${fill}"${opacity < 1 ? ` fill-opacity="${opacity}"` : ""}`);

function groups(palette: Palette, sp: PictureSpans, hasEnv: boolean): LegendGroup[] {
  const contexts: LegendItem[] = palette.threads.entries().map(([t, c]) => ({ label: t, swatch: box(tint(c, 0.45)) }));
  contexts.push({ label: "scheduler (a switch, a migration)", swatch: box(tint(MACHINE_GREY, 0.6)) });
  if (hasEnv) contexts.push({ label: "environment", swatch: box(tint(ENV_COLOUR, 0.6)) });

  const lines = palette.irqLines.entries();
  const handlers: LegendItem[] = lines.map(([l, c]) => ({ label: `${l} handler`, swatch: box(tint(c, 0.45), c) }));
  if (lines.length > 0) {
    const [thread, irq] = [palette.threads.entries()[0]?.[1] ?? MACHINE_GREY, lines[0]![1]];
    const nested = (s: SvgParts, x: number, y: number) => {
      s.rect(x, y, 18, 14, `fill="${tint(thread, 0.72)}"`);
      s.rect(x + 6, y + 2, 12, 10, `fill="${tint(irq, 0.45)}" stroke="${irq}"`);
    };
    handlers.push({ label: "a handler is drawn on what it interrupted, indented by its depth", swatch: nested });
  }

  const bars: LegendItem[] = [
    { label: "interrupts off", swatch: bar(IRQS_OFF) },
    { label: "preemption off (darker: deeper)", swatch: bar(PREEMPT_OFF, 0.6) },
    ...palette.locks.entries().map(([l, c]) => ({ label: `${l} held`, swatch: bar(c) })),
  ];
  if (sp.locks.some((l) => l.owned.includes(false)))
    bars.push({ label: "waiting for the lock", swatch: (s, x, y) => s.rect(x + 4, y, 8, 14, `fill="#ffffff" stroke="#555555" stroke-width="1.5" stroke-dasharray="3 2"`) });
  bars.push({ label: "a bar starts with the action that set the state and stops at the one that ended it", swatch: () => {} });

  const axis: LegendItem[] = [
    { label: "scheduled event 7 (a deviation), its kind", swatch: (s, x, y) => s.text(x + 14, y + 11, "7", `font-weight="bold" text-anchor="end"`) },
    { label: "default drain (d7: its action 7)", swatch: box(DRAIN_GREY) },
    { label: "the failing action", swatch: (s, x, y) => s.rect(x, y + 1, 16, 12, `fill="none" stroke="${FAIL_RED}" stroke-width="2"`) },
  ];
  return [
    { title: "contexts", items: contexts },
    { title: "interrupts", items: handlers },
    { title: "bars", items: bars },
    { title: "axis", items: axis },
  ];
}

/** Draws the legend from (x0, y0) within `width`, wrapping inside a group; returns the height used. */
export function drawLegend(s: SvgParts, palette: Palette, sp: PictureSpans, hasEnv: boolean, x0: number, y0: number, width: number): number {
  let y = y0;
  for (const g of groups(palette, sp, hasEnv)) {
    if (g.items.length === 0) continue;
    s.text(x0, y + 11, g.title, `font-weight="bold"`);
    let x = x0 + TITLE_W;
    for (const it of g.items) {
      const w = 22 + it.label.length * CHAR_W + 18;
      if (x > x0 + TITLE_W && x + w > x0 + width) (x = x0 + TITLE_W), (y += LINE_H);
      it.swatch(s, x, y);
      s.text(x + 22, y + 11, it.label);
      x += w;
    }
    y += LINE_H;
  }
  return y - y0;
}
