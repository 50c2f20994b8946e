// A counterexample as a timeline picture (SVG). Time runs down, one row per
// trace entry; one lane per CPU, and one for the machine's environment
// events if there are any. In a lane, each context is a coloured band, an
// interrupt handler nested on top of what it interrupted (indented by its
// depth); beside the band, bars show where interrupts are off, preemption is
// off and which locks are held or waited for. The axis on the left gives the
// schedule's event indices (scheduled deviations) and where the default
// drain begins; the failing action is outlined in red and explained below.
import type { AnyModel } from "../kernel/model.ts";
import type { ScheduleEvent } from "../sim/events.ts";
import { describeEvent } from "../sim/events.ts";
import type { Failure } from "../sim/failure.ts";
import type { TraceEntry } from "../sim/machine.ts";
import type { Counterexample } from "../harness/counterexample.ts";
import { escapeMarkup as esc, fitChars, wrapChars } from "./markup-text.ts";
import { drawLegend } from "./picture-legend.ts";
import { DRAIN_GREY, ENV_COLOUR, FAIL_RED, IRQS_OFF, PREEMPT_OFF, Palette, lineOf, tint } from "./picture-palette.ts";
import { replayWithSnapshots } from "./picture-replay.ts";
import type { SnapshotReplay } from "./picture-replay.ts";
import type { PictureSpans } from "./picture-spans.ts";
import { pictureSpans } from "./picture-spans.ts";
import { CHAR_W, SMALL_CHAR_W, SvgParts, num } from "./svg-builder.ts";

const MARGIN = 16;
const MIN_WIDTH = 760;
const ROW_H = 18;
const AXIS_W = 104;
const LANE_GAP = 14;
/** A lane's band: at least wide enough for its heading; one with entries a little wider; none wider than this. */
const IDLE_BAND_W = 44;
const MIN_BAND_W = 100;
const MAX_BAND_W = 640;
/** Advance of one character of the 13px bold lane headings. */
const HEADING_CHAR_W = 8.2;
const BAR_W = 10;
const COL_W = BAR_W + 3;
/** Indent of each nested interrupt handler's band. */
const INSET = 14;
const LANE_HEAD_H = 66;
/** Space between the last row and the box that says what broke. */
const BELOW_ROWS = 14;
/** Pictures longer than this repeat the lane names under the rows. */
const REPEAT_HEADINGS_AFTER = 30;
const TEXT = "#1a1a1a";
const FONT = "DejaVu Sans Mono, Menlo, Consolas, monospace";

const KIND_SHORT: Record<ScheduleEvent["kind"], string> = { step: "step", irq: "irq", preempt: "pre", migrate: "mig", env: "env" };
const KIND_COLOUR: Record<ScheduleEvent["kind"], string> = { step: "#555555", irq: "#c45f00", preempt: PREEMPT_OFF, migrate: "#00838f", env: ENV_COLOUR };

const labelOf = (e: TraceEntry) => (e.ctx === "" ? e.text : `${e.ctx}: ${e.text}`);

interface Lane {
  /** CPU number, or -1 for the machine's environment. */
  cpu: number;
  /** Left edge: the bar columns (irqs off, preempt, locks), then the band. */
  x: number;
  bandX: number;
  bandW: number;
}

const headingOf = (cpu: number) => (cpu < 0 ? "machine (environment)" : `cpu${cpu}`);

/** How deep an entry is drawn: a scheduler entry goes on top of whatever runs on its CPU, so it does not hide the nesting. */
function depthOf(r: SnapshotReplay, e: TraceEntry): number {
  return e.cpu < 0 ? 0 : e.ctx === "" ? Math.max(e.depth, r.after[e.step]![e.cpu]!.irqs.length) : e.depth;
}

/**
 * Lanes side by side, each band as wide as its own longest entry (up to a
 * bound), a lane with no entries just wide enough for its name. Width the
 * picture has to spare (it is never narrower than MIN_WIDTH) goes to the
 * lanes that have entries, in equal parts.
 */
function lanesOf(r: SnapshotReplay, sp: PictureSpans, cpus: number): Lane[] {
  const hasEnv = sp.rows.some((e) => e.cpu < 0);
  const specs = [...Array.from({ length: cpus }, (_, i) => i), ...(hasEnv ? [-1] : [])].map((cpu) => {
    const rows = sp.rows.filter((e) => e.cpu === cpu);
    const heading = Math.ceil(headingOf(cpu).length * HEADING_CHAR_W + 8);
    const need = Math.max(0, ...rows.map((e) => depthOf(r, e) * INSET + labelOf(e).length * CHAR_W + 10));
    const gutter = cpu < 0 ? 0 : (2 + sp.lockSlots[cpu]!) * COL_W + 4;
    const bandW = rows.length === 0 ? Math.max(IDLE_BAND_W, heading) : Math.ceil(Math.min(MAX_BAND_W, Math.max(MIN_BAND_W, heading, need)));
    return { cpu, gutter, bandW, busy: rows.length > 0 };
  });
  const used = MARGIN + AXIS_W + specs.reduce((w, l) => w + l.gutter + l.bandW + LANE_GAP, -LANE_GAP) + MARGIN;
  const busy = specs.filter((l) => l.busy);
  if (used < MIN_WIDTH && busy.length > 0) {
    const spare = MIN_WIDTH - used;
    busy.forEach((l, i) => (l.bandW += Math.floor(spare / busy.length) + (i < spare % busy.length ? 1 : 0)));
  }
  const lanes: Lane[] = [];
  let x = MARGIN + AXIS_W;
  for (const { cpu, gutter, bandW } of specs) {
    lanes.push({ cpu, x, bandX: x + gutter, bandW });
    x += gutter + bandW + LANE_GAP;
  }
  return lanes;
}

/** Colours in order of first appearance: threads as created, handlers and locks as they show up. */
function paletteOf(r: SnapshotReplay, sp: PictureSpans): Palette {
  const palette = new Palette(r.run.machine.threads.map((t) => t.name));
  for (const e of sp.rows) if (e.ctx !== "" && e.depth > 0) palette.markHandler(e.ctx);
  for (const snap of r.after) for (const c of snap) for (const h of c.irqs) palette.markHandler(h);
  const byStart = [...sp.locks].sort((a, b) => a.from - b.from || a.cpu - b.cpu || a.slot - b.slot);
  for (const l of byStart) palette.locks.get(l.lock);
  return palette;
}

class Timeline {
  readonly s = new SvgParts();
  readonly lanes: Lane[];
  readonly width: number;
  /** Characters of 11px text across the picture. */
  readonly textChars: number;
  readonly palette: Palette;
  readonly sp: PictureSpans;
  rowsTop = 0;

  constructor(
    readonly cx: Counterexample,
    readonly replay: SnapshotReplay,
  ) {
    this.sp = pictureSpans(replay);
    this.palette = paletteOf(replay, this.sp);
    this.lanes = lanesOf(replay, this.sp, replay.run.machine.cpus.length);
    const last = this.lanes[this.lanes.length - 1]!;
    this.width = Math.max(MIN_WIDTH, last.bandX + last.bandW + MARGIN);
    this.textChars = Math.floor((this.width - 2 * MARGIN) / CHAR_W);
  }

  get rowsBottom(): number {
    return this.rowY(this.sp.rows.length);
  }

  rowY(r: number): number {
    return this.rowsTop + r * ROW_H;
  }

  /**
   * Where the state after action `a` begins: at the top of that action's
   * rows, so that the bar runs beside the action that changed the state (an
   * action with no rows: where the next one's begin). a = -1: before the
   * first action, the top of the rows; a = the number of actions: after the
   * last, the bottom of the rows.
   */
  stateY(a: number): number {
    const { lastRowOf } = this.sp;
    if (a < 0) return this.rowsTop;
    // Rows are in the order of their actions: action a's rows begin right after the last row of any action before it.
    for (let k = a - 1; k >= 0; k--) if (lastRowOf[k]! >= 0) return this.rowY(lastRowOf[k]! + 1);
    return this.rowsTop;
  }

  /** Where a state that holds through action `to` ends: where the action that ended it begins; one that never ends, at the bottom of the rows. */
  endY(to: number): number {
    return this.stateY(to + 1);
  }

  lane(cpu: number): Lane {
    return this.lanes.find((l) => l.cpu === cpu)!;
  }

  /** What broke, the file's settings, and whether this replay agrees; returns the y below. */
  header(y: number): number {
    const { cx, s, textChars } = this;
    const { run } = this.replay;
    const f = run.failure;
    s.text(MARGIN, (y += 14), `${cx.model} / ${cx.variant}: ${cx.property}`, `font-size="15" font-weight="bold"`);
    y += 8;
    for (const line of wrapChars(cx.failure.message, textChars)) s.text(MARGIN, (y += 16), line, `fill="${FAIL_RED}"`);
    y += 6;
    const meta = [
      `config    ${Object.entries(cx.config).map(([k, v]) => `${k}=${v}`).join(" ")}`,
      `workload  ${JSON.stringify(cx.workload)}`,
      `schedule  ${cx.schedule.length} event(s), then the default drain; ${this.sp.actions} action(s) in all`,
      `found     ${cx.found.strategy}, seed ${cx.found.seed}, run ${cx.found.runs}`,
    ];
    if (f === undefined) meta.push(`replay    this replay breaks no property`);
    else if (f.property !== cx.property) meta.push(`replay    this replay breaks ${f.property}, not ${cx.property}`);
    if (run.skipped.length > 0) meta.push(`skipped   events ${run.skipped.map((k) => k.index).join(", ")} (not enabled at their turn)`);
    for (const line of meta) {
      const shown = fitChars(line, textChars);
      s.text(MARGIN, (y += 15), shown, `fill="#444444"`, shown === line ? undefined : line);
    }
    return y + 14;
  }

  /** Lane names; with the bar columns' names (rotated) above the rows. */
  laneHeadings(top: number, withColumns: boolean): void {
    const { s } = this;
    for (const lane of this.lanes) {
      s.text(lane.bandX + 4, top + 14, headingOf(lane.cpu), `font-size="13" font-weight="bold"`);
      if (!withColumns || lane.cpu < 0) continue;
      const cols = ["irqs off", "preempt", ...(this.sp.lockSlots[lane.cpu]! > 0 ? ["locks"] : [])];
      cols.forEach((c, i) => {
        const x = lane.x + i * COL_W + BAR_W / 2 + 3;
        const y = top + LANE_HEAD_H - 4;
        s.text(x, y, c, `font-size="9" fill="#555555" transform="rotate(-90 ${num(x)} ${num(y)})"`);
      });
    }
    if (withColumns) s.text(MARGIN + 4, top + LANE_HEAD_H - 6, "event", `font-size="10" fill="#555555"`);
  }

  /** Light lines between actions, and the drain's grey in the axis column. */
  background(): void {
    const { s, sp } = this;
    const firstDrainRow = sp.rows.findIndex((e) => e.event < 0);
    if (firstDrainRow >= 0) s.rect(MARGIN, this.rowY(firstDrainRow), AXIS_W - 6, this.rowsBottom - this.rowY(firstDrainRow), `fill="${DRAIN_GREY}"`);
    sp.rows.forEach((e, r) => {
      if (r > 0 && sp.rows[r - 1]!.step !== e.step) s.line(MARGIN, this.width - MARGIN, this.rowY(r), `stroke="#eeeeee"`);
    });
  }

  /** Each context's presence on its CPU; a handler indented by its depth, on top of what it interrupted. */
  bands(): void {
    for (const b of this.sp.bands) {
      const lane = this.lane(b.cpu);
      const c = this.palette.context(b.ctx);
      const irq = this.palette.isHandler(b.ctx);
      this.s.rect(
        lane.bandX + b.depth * INSET,
        this.rowY(b.fromRow),
        lane.bandW - b.depth * INSET,
        (b.toRow - b.fromRow + 1) * ROW_H,
        `class="krh-band" fill="${tint(c, irq ? 0.66 : 0.72)}"${irq ? ` stroke="${c}" stroke-width="1"` : ""}`,
        `${b.ctx} on cpu${b.cpu}${irq ? ` (interrupt handler, nesting depth ${b.depth})` : ""}`,
      );
    }
  }

  /** Every trace entry: a cell with its text (cut to fit), and the whole text, its event and CPU as a tooltip. */
  entries(): void {
    const { cx, s } = this;
    this.sp.rows.forEach((e, r) => {
      const lane = this.lane(e.cpu);
      const inset = depthOf(this.replay, e) * INSET;
      const x = lane.bandX + inset;
      const w = lane.bandW - inset;
      const y = this.rowY(r);
      const colour = e.cpu < 0 ? ENV_COLOUR : this.palette.context(e.ctx);
      const sched = e.event >= 0 ? cx.schedule[e.event] : undefined;
      const when = sched !== undefined ? `event ${e.event} (${describeEvent(sched)})` : `drain, action ${e.step}`;
      const label = labelOf(e);
      const fit = fitChars(label, Math.floor((w - 8) / CHAR_W));
      const ctxPart = e.ctx === "" ? "" : fitChars(`${e.ctx}:`, fit.length);
      s.raw(
        `<g class="krh-entry"><title>${esc(`${when}, ${e.cpu < 0 ? "machine" : `cpu${e.cpu}`}: ${label}`)}</title>` +
          `<rect x="${num(x)}" y="${y + 1}" width="${num(w)}" height="${ROW_H - 2}" rx="2" fill="${tint(colour, e.ctx === "" ? 0.6 : 0.45)}"/>` +
          `<text x="${num(x + 4)}" y="${y + ROW_H - 5}" fill="${TEXT}"${e.ctx === "" ? ` font-style="italic"` : ""}>` +
          (ctxPart ? `<tspan font-weight="bold">${esc(ctxPart)}</tspan>` : "") +
          `${esc(fit.slice(ctxPart.length))}</text></g>`,
      );
    });
  }

  /** Interrupts off, preemption off, and locks, each from the action that began it to the one that ended it. */
  stateBars(): void {
    const { s } = this;
    for (const o of this.sp.irqsOff) {
      const y0 = this.stateY(o.from);
      const h = this.endY(o.to) - y0;
      if (h > 0) s.rect(this.lane(o.cpu).x, y0, BAR_W, h, `class="krh-irqs-off" fill="${IRQS_OFF}"`, `interrupts off on cpu${o.cpu}`);
    }
    for (const p of this.sp.preempt) {
      const y0 = this.stateY(p.from);
      const h = this.endY(p.to) - y0;
      const opacity = Math.min(1, 0.35 + 0.25 * p.value);
      if (h > 0) s.rect(this.lane(p.cpu).x + COL_W, y0, BAR_W, h, `class="krh-preempt-off" fill="${PREEMPT_OFF}" fill-opacity="${num(opacity)}"`, `preempt_count ${p.value} on cpu${p.cpu}`);
    }
    for (const l of this.sp.locks) {
      const x = this.lane(l.cpu).x + (2 + l.slot) * COL_W;
      const c = this.palette.locks.get(l.lock);
      // One bar per stretch of owning or of waiting, a pixel apart from the next.
      for (let i = 0; i < l.owned.length; ) {
        let j = i;
        while (j + 1 < l.owned.length && l.owned[j + 1] === l.owned[i]) j++;
        const owned = l.owned[i]!;
        const y0 = this.stateY(l.from + i) + 1;
        const h = this.endY(l.from + j) - y0 - 1;
        if (h > 0) {
          const style = owned ? `fill="${c}"` : `fill="#ffffff" stroke="${c}" stroke-width="1.5" stroke-dasharray="3 2"`;
          s.rect(x, y0, BAR_W, h, `class="krh-lock" ${style}`, owned ? `${l.holder} holds ${l.lock}` : `${l.holder} waits for ${l.lock}`);
          const name = `${l.lock} (${l.holder})`;
          if (h > name.length * SMALL_CHAR_W + 8) {
            const [tx, ty] = [x + BAR_W / 2 + 3, y0 + 4];
            s.text(tx, ty, name, `font-size="9" fill="${owned ? "#ffffff" : c}" text-anchor="end" transform="rotate(-90 ${num(tx)} ${num(ty)})"`);
          }
        }
        i = j + 1;
      }
    }
  }

  /** Each scheduled action's event index and kind, each drained action's number (dN); the drain's start, with a dashed line across. */
  axis(): void {
    const { cx, s, sp } = this;
    const firstDrainRow = sp.rows.findIndex((e) => e.event < 0);
    sp.rows.forEach((e, r) => {
      if (r > 0 && sp.rows[r - 1]!.step === e.step) return;
      const y = this.rowY(r) + ROW_H - 5;
      const ev = e.event >= 0 ? cx.schedule[e.event] : undefined;
      if (ev !== undefined) {
        const kind = `${KIND_SHORT[ev.kind]}${ev.kind === "irq" ? ` ${fitChars(lineOf(ev.line), 6)}` : ""}`;
        s.raw(
          `<g class="krh-axis"><title>${esc(`event ${e.event} of the schedule: ${describeEvent(ev)}`)}</title>` +
            `<text x="${MARGIN + 34}" y="${y}" text-anchor="end" font-weight="bold">${e.event}</text>` +
            `<text x="${MARGIN + 38}" y="${y}" font-size="10" fill="${KIND_COLOUR[ev.kind]}">${esc(kind)}</text></g>`,
        );
      } else {
        // In the drain, each action's number (dN), as the text trace and failure messages ("drain action N") give it.
        s.raw(
          `<g class="krh-axis-drain"><title>${esc(`the default drain, action ${e.step}`)}</title>` +
            `<text x="${MARGIN + 34}" y="${y}" text-anchor="end" fill="#555555">d${e.step}</text>` +
            (r === firstDrainRow ? `<text x="${MARGIN + 38}" y="${y}" font-size="10" fill="#777777">drain</text>` : "") +
            `</g>`,
        );
      }
    });
    if (firstDrainRow > 0) s.line(MARGIN, this.width - MARGIN, this.rowY(firstDrainRow), `stroke="#777777" stroke-dasharray="6 3"`);
  }

  /** The failing action outlined in red with a marker, and what broke, in a red box below the rows; returns the y below. */
  failure(f: Failure | undefined, y: number): number {
    const { cx, s, sp, width } = this;
    if (f === undefined) {
      s.text(MARGIN, y + 16, "this replay breaks no property", `fill="#444444"`);
      return y + 26;
    }
    const at = f.event < cx.schedule.length ? `event ${f.event}` : "the drain";
    const why = `${f.property} broken at ${at}${f.contexts.length ? ` (${f.contexts.join(", ")})` : ""}: ${f.message}`;
    const rows = sp.rows.map((e, r) => (e.step === f.step ? r : -1)).filter((r) => r >= 0);
    if (rows.length > 0) {
      const y0 = this.rowY(rows[0]!);
      const h = (rows[rows.length - 1]! - rows[0]! + 1) * ROW_H;
      s.raw(
        `<g class="krh-fail"><title>${esc(why)}</title>` +
          `<rect x="${MARGIN - 4}" y="${y0}" width="${width - 2 * MARGIN + 8}" height="${h}" fill="none" stroke="${FAIL_RED}" stroke-width="2.5"/>` +
          `<path d="M ${MARGIN - 12} ${num(y0 + h / 2 - 6)} l 9 6 l -9 6 z" fill="${FAIL_RED}"/></g>`,
      );
    }
    const lines = wrapChars(why, this.textChars - 2);
    const boxH = 12 + lines.length * 16;
    s.rect(MARGIN - 4, y, width - 2 * MARGIN + 8, boxH, `fill="${tint(FAIL_RED, 0.92)}" stroke="${FAIL_RED}" stroke-width="1.5" rx="3"`);
    lines.forEach((line, i) => s.text(MARGIN + 4, y + 20 + i * 16, line, `fill="${FAIL_RED}"${i === 0 ? ` font-weight="bold"` : ""}`));
    return y + boxH + 10;
  }
}

export function renderSvg(cx: Counterexample, model: AnyModel): string {
  const replay = replayWithSnapshots(cx, model);
  const t = new Timeline(cx, replay);
  let y = t.header(MARGIN);
  y += drawLegend(t.s, t.palette, t.sp, t.lanes.some((l) => l.cpu < 0), MARGIN, y, t.width - 2 * MARGIN) + 6;
  t.laneHeadings(y, true);
  t.rowsTop = y + LANE_HEAD_H;
  // Back to front: row lines, bands, entries, bars, axis, the failure on top.
  t.background();
  t.bands();
  t.entries();
  t.stateBars();
  t.axis();
  y = t.failure(replay.run.failure, t.rowsBottom + BELOW_ROWS);
  if (t.sp.rows.length > REPEAT_HEADINGS_AFTER) {
    t.laneHeadings(y - 4, false);
    y += 24;
  }
  const { width } = t;
  const height = y + MARGIN;
  const title = `${cx.model} / ${cx.variant}: ${cx.property}`;
  return (
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="${FONT}" font-size="11" fill="${TEXT}" role="img" aria-label="${esc(title)}">\n` +
    `<title>${esc(title)}</title>\n` +
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>\n` +
    t.s.parts.join("\n") +
    `\n</svg>\n`
  );
}
