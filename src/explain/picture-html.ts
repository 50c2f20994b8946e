// Counterexamples as self-contained web pages: one file's picture, text
// trace and details; or one index page for many files, each entry's picture
// and trace folded in a <details> section, so the one page is enough.
// No scripts, no external fonts or styles, nothing from the network.
import type { AnyModel } from "../kernel/model.ts";
import { MACHINE_PROPERTIES } from "../kernel/model.ts";
import { describeEvent } from "../sim/events.ts";
import type { Counterexample } from "../harness/counterexample.ts";
import { escapeMarkup as esc } from "./markup-text.ts";
import { renderSvg } from "./picture-svg.ts";
import { renderTrace } from "./trace-text.ts";

export interface IndexItem {
  file: string;
  cx?: Counterexample;
  model?: AnyModel;
  /** Why the file could not be read or validated. */
  error?: string;
}

const CSS = `
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif; margin: 1.5em; color: #1a1a1a; background: #fafafa; }
h1 { font-size: 1.4em; margin: 0 0 .3em; }
h2 { font-size: 1.15em; margin: 1.4em 0 .4em; }
h3 { font-size: 1em; margin: 1em 0 .3em; }
code, pre, .mono { font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
pre { background: #ffffff; border: 1px solid #dddddd; padding: .8em; overflow-x: auto; line-height: 1.35; }
code.wrap { white-space: pre-wrap; word-break: break-all; }
.message { color: #b00000; font-weight: 600; }
.error { color: #b00000; }
table { border-collapse: collapse; background: #ffffff; }
th, td { border: 1px solid #dddddd; padding: .3em .6em; text-align: left; vertical-align: top; }
th { background: #f0f0f0; }
table.details th { width: 9em; }
.picture { overflow: auto; border: 1px solid #dddddd; background: #ffffff; }
.picture svg { display: block; }
ol.schedule { columns: 18em; font-family: "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
ol.schedule li.failing { color: #b00000; font-weight: bold; }
details { margin: .6em 0; border: 1px solid #dddddd; background: #ffffff; padding: .3em .8em; }
details > summary { cursor: pointer; font-weight: 600; padding: .2em 0; }
`;

function page(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

const titleOf = (cx: Counterexample) => `${cx.model} / ${cx.variant}: ${cx.property}`;

function meaningOf(model: AnyModel, property: string): string {
  return model.properties[property] ?? MACHINE_PROPERTIES[property] ?? "";
}

function detailsTable(cx: Counterexample, model: AnyModel, file: string | undefined): string {
  const rows: [string, string][] = [];
  if (file !== undefined) rows.push(["file", `<code>${esc(file)}</code>`]);
  rows.push(["model", `${esc(cx.model)} <span>— ${esc(model.description)}</span>`]);
  rows.push(["variant", `${esc(cx.variant)} <span>— ${esc(model.variants[cx.variant]?.description ?? "")}</span>`]);
  rows.push(["property", `${esc(cx.property)} <span>— ${esc(meaningOf(model, cx.property))}</span>`]);
  const at = cx.failure.event < cx.schedule.length ? `event ${cx.failure.event}` : "the drain";
  rows.push(["failure", `<span class="message">${esc(cx.failure.message)}</span><br>at ${esc(at)}${cx.failure.contexts.length ? `; contexts ${esc(cx.failure.contexts.join(", "))}` : ""}`]);
  rows.push(["config", `<code>${esc(Object.entries(cx.config).map(([k, v]) => `${k}=${v}`).join(" "))}</code>`]);
  rows.push(["workload", `<code class="wrap">${esc(JSON.stringify(cx.workload))}</code>`]);
  const fd = cx.found;
  rows.push(["found", esc(`${fd.strategy}, seed ${fd.seed}${fd.shard ? `, shard ${fd.shard}` : ""}, run ${fd.runs}, fast-check ${fd.fastCheck}, ${fd.date}`)]);
  return `<table class="details">\n${rows.map(([k, v]) => `<tr><th>${k}</th><td>${v}</td></tr>`).join("\n")}\n</table>`;
}

function scheduleList(cx: Counterexample): string {
  if (cx.schedule.length === 0) return `<p>No events: the plain sequential run (the default drain) breaks it.</p>`;
  const items = cx.schedule.map((e, i) => `<li value="${i}"${i === cx.failure.event ? ` class="failing"` : ""}>${esc(describeEvent(e))}</li>`);
  return `<p>${cx.schedule.length} event(s), each a deliberate deviation from the default policy, then the default drain.</p>\n<ol class="schedule" start="0">\n${items.join("\n")}\n</ol>`;
}

/** Picture, text trace, details and schedule of one counterexample; `h` is the heading level of its parts. */
function counterexampleBody(cx: Counterexample, model: AnyModel, file: string | undefined, h: number): string {
  return [
    `<h${h}>Picture</h${h}>`,
    `<div class="picture">\n${renderSvg(cx, model)}</div>`,
    `<h${h}>Text trace</h${h}>`,
    `<pre class="trace">${esc(renderTrace(cx, model))}</pre>`,
    `<h${h}>Details</h${h}>`,
    detailsTable(cx, model, file),
    `<h${h}>Schedule</h${h}>`,
    scheduleList(cx),
  ].join("\n");
}

export function renderHtml(cx: Counterexample, model: AnyModel, opts: { file?: string } = {}): string {
  const body = [`<h1>${esc(titleOf(cx))}</h1>`, `<p class="message">${esc(cx.failure.message)}</p>`, counterexampleBody(cx, model, opts.file, 2)].join("\n");
  return page(titleOf(cx), body);
}

export function renderIndexHtml(items: IndexItem[]): string {
  const anchor = (i: number) => `cx-${i}`;
  const readable = (it: IndexItem) => it.cx !== undefined && it.model !== undefined && it.error === undefined;
  const good = items.filter(readable).length;
  const rows = items.map((it, i) => {
    if (!readable(it)) return `<tr><td colspan="5" class="error">unreadable: ${esc(it.error ?? "no model for it")}</td><td><code>${esc(it.file)}</code></td></tr>`;
    const cx = it.cx!;
    return `<tr><td>${esc(cx.model)}</td><td>${esc(cx.variant)}</td><td><a href="#${anchor(i)}">${esc(cx.property)}</a></td><td>${cx.schedule.length}</td><td>${esc(cx.failure.message)}</td><td><code>${esc(it.file)}</code></td></tr>`;
  });
  const sections = items.map((it, i) => {
    if (!readable(it)) return "";
    const cx = it.cx!;
    let inner: string;
    try {
      inner = counterexampleBody(cx, it.model!, it.file, 3);
    } catch (err) {
      inner = `<p class="error">cannot draw it: ${esc(err instanceof Error ? err.message : String(err))}</p>`;
    }
    return `<details id="${anchor(i)}">\n<summary>${esc(titleOf(cx))} <span class="mono">(${esc(it.file)})</span></summary>\n<p class="message">${esc(cx.failure.message)}</p>\n${inner}\n</details>`;
  });
  const bad = items.filter((it) => !readable(it));
  const body = [
    `<h1>Counterexamples</h1>`,
    `<p>${items.length} file(s), ${good} readable${bad.length ? `, ${bad.length} not` : ""}. Open an entry below for its picture and text trace.</p>`,
    `<table class="index">\n<tr><th>model</th><th>variant</th><th>property</th><th>events</th><th>message</th><th>file</th></tr>\n${rows.join("\n")}\n</table>`,
    `<h2>Entries</h2>`,
    sections.filter((x) => x !== "").join("\n"),
    ...(bad.length ? [`<h2>Unreadable files</h2>`, `<ul>\n${bad.map((it) => `<li><code>${esc(it.file)}</code>: <span class="error">${esc(it.error ?? "no model for it")}</span></li>`).join("\n")}\n</ul>`] : []),
  ].join("\n");
  return page("Counterexamples", body);
}
