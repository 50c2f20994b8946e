// show --svg and --html write what the picture renderers draw, to the
// files asked for (their folders made as needed); show DIR --html writes an
// index of every counterexample file under the folder, readable or not.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { readCounterexampleFile } from "../src/harness/counterexample.ts";
import { loadPictures } from "../src/explain/picture.ts";
import { findModel } from "../src/models/index.ts";
import { cli, root, tmp } from "./helpers/cli.ts";

const rendered = ["picture-svg.ts", "picture-html.ts"].every((f) => fs.existsSync(path.join(root, "src", "explain", f)));
const saved = path.join(root, "counterexamples", "spinlock", "shared-flags--irq-state--b63811c5.json");

describe.runIf(rendered)("show's pictures", () => {
  const read = () => {
    const r = readCounterexampleFile(saved, findModel);
    if ("error" in r) throw new Error(r.error);
    return r;
  };

  it("--svg and --html of one file: what renderSvg and renderHtml draw, in new folders", async () => {
    const dir = tmp();
    const svg = path.join(dir, "a", "b", "run.svg");
    const html = path.join(dir, "c", "run.html");
    const r = await cli(["show", saved, "--svg", svg, "--html", html]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toBe(`wrote ${svg}\nwrote ${html}`);
    const { cx, model } = read();
    const draw = await loadPictures();
    expect(fs.readFileSync(svg, "utf8")).toBe(draw.renderSvg(cx, model));
    expect(fs.readFileSync(html, "utf8")).toBe(draw.renderHtml(cx, model, { file: path.relative(path.dirname(html), saved) }));
  });

  it("DIR --html: an index of every file under the folder, each linked from the page's folder, unreadable ones with their error", async () => {
    const dir = tmp();
    fs.mkdirSync(path.join(dir, "cx", "spinlock"), { recursive: true });
    fs.copyFileSync(saved, path.join(dir, "cx", "spinlock", "a.json"));
    fs.writeFileSync(path.join(dir, "cx", "b.json"), "{ not json");
    const page = path.join(dir, "report", "index.html");
    const r = await cli(["show", path.join(dir, "cx"), "--html", page]);
    expect(r.code, r.err).toBe(0);
    const { cx, model } = read();
    const bad = readCounterexampleFile(path.join(dir, "cx", "b.json"), findModel) as { error: string };
    const draw = await loadPictures();
    expect(fs.readFileSync(page, "utf8")).toBe(
      draw.renderIndexHtml([
        { file: "../cx/b.json", error: bad.error },
        { file: "../cx/spinlock/a.json", cx, model },
      ]),
    );
  });
});
