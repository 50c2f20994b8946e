// Renders every counterexample under a folder to SVG and HTML, and one index
// page for them all, through the picture functions (for check-pictures.sh).
// Usage: npx tsx scripts/render-pictures.ts OUT_DIR [COUNTEREXAMPLE_DIR]
// Prints one line per file: "<svg path>\t<html path>\t<property>".
import * as fs from "node:fs";
import * as path from "node:path";
import type { IndexItem } from "../src/harness/picture-html.ts";
import { counterexampleFiles, readCounterexampleFile } from "../src/harness/counterexample.ts";
import { renderHtml, renderIndexHtml } from "../src/harness/picture-html.ts";
import { renderSvg } from "../src/harness/picture-svg.ts";
import { findModel } from "../src/models/index.ts";

const [out, dir = "counterexamples"] = process.argv.slice(2);
if (out === undefined) {
  console.error("usage: npx tsx scripts/render-pictures.ts OUT_DIR [COUNTEREXAMPLE_DIR]");
  process.exit(2);
}
const items: IndexItem[] = [];
for (const file of counterexampleFiles(dir)) {
  const r = readCounterexampleFile(file, findModel);
  if ("error" in r) {
    items.push({ file, error: r.error });
    continue;
  }
  items.push({ file, cx: r.cx, model: r.model });
  const base = path.join(out, path.relative(dir, file)).replace(/\.json$/, "");
  fs.mkdirSync(path.dirname(base), { recursive: true });
  fs.writeFileSync(`${base}.svg`, renderSvg(r.cx, r.model));
  fs.writeFileSync(`${base}.html`, renderHtml(r.cx, r.model, { file }));
  console.log(`${base}.svg\t${base}.html\t${r.cx.property}`);
}
fs.writeFileSync(path.join(out, "index.html"), renderIndexHtml(items));
