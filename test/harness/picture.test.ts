// Pictures of counterexamples: every committed file draws as well-formed
// SVG holding every trace entry and the failing property; its page holds
// the picture and the text trace; the index lists every file. The picture's
// state (nesting, interrupts, locks) is checked on a schedule built here.
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import type { Counterexample } from "../../src/harness/counterexample.ts";
import { escapeMarkup } from "../../src/explain/markup-text.ts";
import type { IndexItem } from "../../src/explain/picture-html.ts";
import { renderHtml, renderIndexHtml } from "../../src/explain/picture-html.ts";
import { replayWithSnapshots } from "../../src/explain/picture-replay.ts";
import { renderSvg } from "../../src/explain/picture-svg.ts";
import { runSchedule } from "../../src/harness/run.ts";
import { renderTrace } from "../../src/explain/trace-text.ts";
import { variantConfig } from "../../src/kernel/model.ts";
import { findModel } from "../../src/models/index.ts";
import type { XmlElement } from "./xml-strict.ts";
import { findAll, parseXml, textOf } from "./xml-strict.ts";
import { readSaved } from "../helpers/saved.ts";

const root = path.join(import.meta.dirname, "..", "..");
// Every committed counterexample, its model found as replay and show find it (by name, or through found.modelFile).
const items: IndexItem[] = await readSaved(path.join(root, "counterexamples"));
const files = items.map((i) => i.file);

const byClass = (root: XmlElement, cls: string) => findAll(root, (e) => (e.attrs.class ?? "").split(" ").includes(cls));
const rectOf = (e: XmlElement) => ({ x: Number(e.attrs.x), y: Number(e.attrs.y), w: Number(e.attrs.width), h: Number(e.attrs.height) });
const titleOf = (e: XmlElement) => textOf(e.children.find((c): c is XmlElement => typeof c !== "string" && c.name === "title") ?? "");

describe("the strict XML checker", () => {
  it("accepts well-formed XML and decodes its entities", () => {
    const doc = parseXml(`<?xml version="1.0"?><a x="1 &amp; 2"><!-- c --><b/>t&lt;&#35;&#x2f;<![CDATA[<raw>]]></a>`);
    expect(doc.attrs.x).toBe("1 & 2");
    expect(textOf(doc)).toBe("t<#/<raw>");
  });

  it.each([`<a><b></a></b>`, `<a x=1/>`, `<a>&</a>`, `<a x="1" x="2"/>`, `<a/>c`, `<a>&foo;</a>`, `<a x="<"/>`, `<a y="1"z="2"/>`, `<a>`, `<a/><b/>`])("rejects %s", (bad) => {
    expect(() => parseXml(bad)).toThrow(/not well-formed/);
  });
});

describe("every committed counterexample as a picture", () => {
  it("there are files to draw, and all of them can be read", () => {
    expect(files.length).toBeGreaterThan(0);
    expect(items.filter((it) => it.error !== undefined)).toEqual([]);
  });

  for (const item of items) {
    if (item.cx === undefined || item.model === undefined) continue;
    const { cx, model, file } = { cx: item.cx, model: item.model, file: item.file };
    it(path.relative(root, file), () => {
      const svg = renderSvg(cx, model);
      const root = parseXml(svg);
      expect(root.name).toBe("svg");
      expect(root.attrs.xmlns).toBe("http://www.w3.org/2000/svg");

      // Every trace entry is drawn, in order, carrying its full text (the run goes on past other properties' violations, as show's does).
      const trace = runSchedule(model, cx.variant, cx.config, cx.workload, cx.schedule, { trace: true, focus: cx.property }).machine.trace;
      const entries = byClass(root, "krh-entry").map(titleOf);
      expect(entries.length).toBe(trace.length);
      trace.forEach((e, i) => expect(entries[i]!.endsWith(e.ctx === "" ? e.text : `${e.ctx}: ${e.text}`)).toBe(true));

      // The failing action is marked with the property and the message.
      const fail = byClass(root, "krh-fail");
      expect(fail.length).toBe(1);
      expect(titleOf(fail[0]!)).toContain(`${cx.property} broken at`);
      expect(titleOf(fail[0]!)).toContain(cx.failure.message);
      expect(textOf(root)).toContain(cx.property);

      // Same file, same bytes.
      expect(renderSvg(cx, model)).toBe(svg);

      const html = renderHtml(cx, model, { file });
      expect(html.startsWith("<!DOCTYPE html>")).toBe(true);
      expect(html).toContain(svg);
      expect(html).toContain(`<pre class="trace">${escapeMarkup(renderTrace(cx, model))}</pre>`);
      expect(html).toContain(escapeMarkup(file));
      expect(html).not.toMatch(/<script|<link|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
      expect(renderHtml(cx, model, { file })).toBe(html);
    });
  }

  it("the index lists every file, readable or not, each readable one with its picture", () => {
    const all: IndexItem[] = [...items, { file: "counterexamples/broken/x--y--00000000.json", error: "not JSON: <oops> & more" }];
    const html = renderIndexHtml(all);
    for (const it of all) expect(html).toContain(`<code>${escapeMarkup(it.file)}</code>`);
    expect(html).toContain(escapeMarkup("not JSON: <oops> & more"));
    expect(html.match(/<details id=/g)?.length).toBe(items.length);
    expect(html.match(/<svg xmlns/g)?.length).toBe(items.length);
    expect(renderIndexHtml(all)).toBe(html);
  });
});

describe("the lanes' widths", () => {
  it("each lane is as wide as its own entries: channel's machine texts are whole, and an idle CPU's lane is narrow", () => {
    const item = items.find((it) => it.file.includes(`${path.sep}channel${path.sep}no-recheck--`));
    expect(item?.cx).toBeDefined();
    const root = parseXml(renderSvg(item!.cx!, item!.model!));
    const drawn = byClass(root, "krh-entry");
    expect(drawn.length).toBeGreaterThan(0);
    for (const g of drawn) {
      const text = g.children.find((c): c is XmlElement => typeof c !== "string" && c.name === "text")!;
      // The title is "<when>, <lane>: <label>"; the cell shows the whole label.
      expect(titleOf(g).endsWith(`: ${textOf(text)}`), titleOf(g)).toBe(true);
      expect(textOf(text)).not.toContain("…");
    }
    expect(drawn.map(titleOf).filter((t) => t.endsWith(", machine: time 0 -> 100 us (a stall: something else could have gone on)")).length).toBe(1);
    // The lane headings' positions: the CPU that runs nothing has a narrow lane, so the next begins soon after it.
    const headings = findAll(root, (e) => e.name === "text" && e.attrs["font-size"] === "13");
    const x = (name: string) => Number(headings.find((h) => textOf(h) === name)!.attrs.x);
    const idle = [0, 1, 2].find((c) => !drawn.map(titleOf).some((t) => t.includes(`, cpu${c}: `)))!;
    expect(idle).toBeDefined();
    expect(x(`cpu${idle + 1}`) - x(`cpu${idle}`)).toBeLessThan(120);
  });
});

/** spinlock's plain-lock-in-irq bug, built here: T0 takes priv->lock, the interrupt comes, and the handler spins on it. */
function plainLockInIrq(message = "deadlock"): Counterexample {
  const model = findModel("spinlock")!;
  return {
    format: "krh-counterexample/1",
    model: "spinlock",
    variant: "plain-lock-in-irq",
    property: "deadlock",
    config: { ...variantConfig(model, "plain-lock-in-irq"), cpus: 1, lockdep: 0 },
    workload: { threads: [{ cpu: 0, sends: 1 }], irq: { cpus: [0], count: 1 }, nested: false },
    schedule: [
      { kind: "step", cpu: 0 },
      { kind: "irq", cpu: 0, line: "nic" },
    ],
    failure: { message, event: 2, contexts: ["nic#1", "T0"] },
    found: { strategy: "test", seed: 0, runs: 1, fastCheck: "-", date: "-" },
  };
}

describe("what the picture knows of the machine", () => {
  const model = findModel("spinlock")!;

  it("snapshots every action: the thread's lock, then the handler nested on it, spinning for the lock", () => {
    const r = replayWithSnapshots(plainLockInIrq(), model);
    expect(r.run.failure?.property).toBe("deadlock");
    expect(r.after.length).toBe(r.run.machine.steps);
    const [took, irq] = [r.after[0]![0]!, r.after[1]![0]!];
    expect(took).toMatchObject({ thread: "T0", irqs: [], irqsEnabled: true, preemptCount: 1, holds: [{ lock: "priv->lock", holder: "T0", owned: true }] });
    expect(irq).toMatchObject({ thread: "T0", irqs: ["nic#1"], irqsEnabled: false });
    const end = r.after[r.after.length - 1]![0]!;
    expect(end.holds).toEqual([
      { lock: "priv->lock", holder: "T0", owned: true },
      { lock: "priv->lock", holder: "nic#1", owned: false },
    ]);
  });

  it("draws the handler nested on the thread, interrupts off, the lock held and waited for", () => {
    const root = parseXml(renderSvg(plainLockInIrq(), model));
    const bands = byClass(root, "krh-band").map(titleOf);
    expect(bands).toContain("T0 on cpu0");
    expect(bands).toContain("nic#1 on cpu0 (interrupt handler, nesting depth 1)");
    const locks = byClass(root, "krh-lock").map(titleOf);
    expect(locks).toEqual(["T0 holds priv->lock", "nic#1 waits for priv->lock"]);
    expect(byClass(root, "krh-irqs-off").length).toBe(1);
    expect(byClass(root, "krh-preempt-off").length).toBeGreaterThan(0);
    // The axis names the two scheduled events, then the drain.
    const axis = byClass(root, "krh-axis").map(titleOf);
    expect(axis).toEqual(["event 0 of the schedule: step cpu0", "event 1 of the schedule: irq nic on cpu0"]);
    // The drained action by its number, as the text trace and failure messages give it.
    const drained = byClass(root, "krh-axis-drain");
    expect(drained.map(titleOf)).toEqual(["the default drain, action 2"]);
    expect(findAll(drained[0]!, (e) => e.name === "text").map(textOf)).toEqual(["d2", "drain"]);
  });

  it("draws each bar beside the rows it describes: from the top of the action that set the state, a state that never ends to the bottom of the last row", () => {
    const root = parseXml(renderSvg(plainLockInIrq(), model));
    // The three rows: T0 takes the lock (0), the interrupt comes (1), the handler spins (2, the failing action).
    const rows = byClass(root, "krh-entry").map((g) => rectOf(g.children.find((c): c is XmlElement => typeof c !== "string" && c.name === "rect")!));
    expect(rows.length).toBe(3);
    const top = (r: number) => rows[r]!.y - 1;
    const bottom = rows[2]!.y + rows[2]!.h + 1;
    const bar = (cls: string, title?: string) => {
      const found = byClass(root, cls).filter((e) => title === undefined || titleOf(e) === title);
      expect(found.length, `${cls} ${title ?? ""}`).toBe(1);
      return rectOf(found[0]!);
    };
    const irqsOff = bar("krh-irqs-off");
    expect([irqsOff.y, irqsOff.y + irqsOff.h]).toEqual([top(1), bottom]);
    // Lock bars keep a pixel clear at each end.
    const held = bar("krh-lock", "T0 holds priv->lock");
    expect([held.y, held.y + held.h]).toEqual([top(0) + 1, bottom - 1]);
    const waits = bar("krh-lock", "nic#1 waits for priv->lock");
    expect([waits.y, waits.y + waits.h]).toEqual([top(2) + 1, bottom - 1]);
    // Preemption goes off with the lock, one deeper with the handler's spin_lock.
    const preempt = byClass(root, "krh-preempt-off").map(rectOf);
    expect(preempt[0]!.y).toBe(top(0));
    expect(Math.max(...preempt.map((p) => p.y + p.h))).toBe(bottom);
    // Nothing runs past the red outline of the failing action.
    const fail = rectOf(byClass(root, "krh-fail")[0]!.children.find((c): c is XmlElement => typeof c !== "string" && c.name === "rect")!);
    expect([fail.y, fail.y + fail.h]).toEqual([top(2), bottom]);
  });

  it("escapes what the texts hold", () => {
    const cx = plainLockInIrq(`a <b> & 'c' "d" #/`);
    const root = parseXml(renderSvg(cx, model));
    expect(textOf(root)).toContain(`a <b> & 'c' "d" #/`);
    expect(renderHtml(cx, model)).toContain(escapeMarkup(`a <b> & 'c' "d" #/`));
  });
});
