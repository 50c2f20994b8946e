// Renders every counterexample under a folder to SVG and HTML, and one index
// page for them all, through the picture functions (for check-pictures.sh).
// Models are found as `show` finds them: built-in ones by name, and a model
// of one's own through the model file its counterexample records.
// Usage: npx tsx scripts/render-pictures.ts OUT_DIR [COUNTEREXAMPLE_DIR]
// Prints one line per file drawn: "<svg path>\t<html path>\t<property>", and
// one per file that cannot be read: "unreadable\t<file>\t<why>". Exits 1
// when some file cannot be read (after drawing all the others).
import * as fs from "node:fs";
import * as path from "node:path";
import type { IndexItem } from "../src/explain/picture-html.ts";
import { lookup } from "../src/cli/models.ts";
import { counterexampleFiles, readCounterexampleFile } from "../src/harness/counterexample.ts";
import { renderHtml, renderIndexHtml } from "../src/explain/picture-html.ts";
import { renderSvg } from "../src/explain/picture-svg.ts";

const [out, dir = "counterexamples"] = process.argv.slice(2);
if (out === undefined) {
  console.error("usage: npx tsx scripts/render-pictures.ts OUT_DIR [COUNTEREXAMPLE_DIR]");
  process.exit(2);
}
const models = lookup([]);
const items: IndexItem[] = [];
let unreadable = 0;
for (const file of counterexampleFiles(dir)) {
  const m = await models.forFile(file);
  const r = "error" in m ? m : readCounterexampleFile(file, m.find);
  if ("error" in r) {
    items.push({ file, error: r.error });
    console.log(`unreadable\t${file}\t${r.error.replace(/\s+/g, " ")}`);
    unreadable++;
    continue;
  }
  items.push({ file, cx: r.cx, model: r.model });
  const base = path.join(out, path.relative(dir, file)).replace(/\.json$/, "");
  fs.mkdirSync(path.dirname(base), { recursive: true });
  fs.writeFileSync(`${base}.svg`, renderSvg(r.cx, r.model));
  fs.writeFileSync(`${base}.html`, renderHtml(r.cx, r.model, { file }));
  console.log(`${base}.svg\t${base}.html\t${r.cx.property}`);
}
fs.mkdirSync(out, { recursive: true });
fs.writeFileSync(path.join(out, "index.html"), renderIndexHtml(items));
if (unreadable > 0) process.exitCode = 1;
