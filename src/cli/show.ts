// show: a counterexample as text (one column per CPU), or as pictures: an
// SVG or an HTML page of one file, an HTML index of a whole folder.
import * as fs from "node:fs";
import * as path from "node:path";
import { counterexampleFiles, readCounterexampleFile } from "../harness/counterexample.ts";
import { writeFileAtomic } from "../harness/write-file.ts";
import type { IndexItem, Pictures } from "../explain/picture.ts";
import { loadPictures } from "../explain/picture.ts";
import { renderTrace } from "../explain/trace-text.ts";
import type { Io } from "./common.ts";
import { UsageError, parse } from "./common.ts";
import { lookup, modelsFromFiles } from "./models.ts";

/** An output file must have the extension of what is written in it, so that no counterexample (.json) or anything else is overwritten by a picture. */
function outputPath(flag: "--svg" | "--html", file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  const ext = flag === "--svg" ? ".svg" : ".html";
  if (path.extname(file).toLowerCase() !== ext) throw new UsageError(`${flag} takes a file name ending in ${ext}, got '${file}'`);
  if (fs.existsSync(file) && fs.statSync(file).isDirectory()) throw new UsageError(`${flag} ${file}: is a folder`);
  return file;
}

function write(flag: string, file: string, text: string, io: Io): void {
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    writeFileAtomic(file, text);
  } catch (err) {
    throw new UsageError(`${flag} ${file}: ${(err as Error).message}`);
  }
  io.out(`wrote ${file}`);
}

async function pictures(): Promise<Pictures> {
  try {
    return await loadPictures();
  } catch (err) {
    throw new UsageError(`cannot draw pictures here: ${(err as Error).message.split("\n")[0]}`);
  }
}

/** A counterexample's path as the page that shows it should link to it: relative to the page's folder. */
const linkFrom = (page: string, file: string) => path.relative(path.dirname(path.resolve(page)), path.resolve(file)).split(path.sep).join("/");

export async function cmdShow(args: string[], io: Io): Promise<number> {
  const { values, positionals } = parse("show", args, {
    svg: { type: "string" },
    html: { type: "string" },
    "model-file": { type: "string", multiple: true },
  });
  if (positionals.length !== 1) throw new UsageError("show takes exactly one counterexample file (or, with --html, one folder)");
  const target = positionals[0]!;
  if (!fs.existsSync(target)) throw new UsageError(`${target}: no such file or folder`);
  const svg = outputPath("--svg", values.svg as string | undefined);
  const html = outputPath("--html", values.html as string | undefined);
  const models = lookup(await modelsFromFiles((values["model-file"] as string[] | undefined) ?? []));

  if (fs.statSync(target).isDirectory()) {
    if (svg !== undefined) throw new UsageError(`--svg draws one counterexample file, and ${target} is a folder (for a folder: --html OUT.html)`);
    if (html === undefined) throw new UsageError(`${target} is a folder: show prints one file, or writes an index of a folder with --html OUT.html`);
    const files = counterexampleFiles(target);
    if (files.length === 0) throw new UsageError(`no counterexample files (*.json) in ${target}`);
    const items: IndexItem[] = [];
    for (const file of files) {
      const m = await models.forFile(file);
      const r = "error" in m ? m : readCounterexampleFile(file, m.find);
      items.push("error" in r ? { file: linkFrom(html, file), error: r.error } : { file: linkFrom(html, file), cx: r.cx, model: r.model });
    }
    write("--html", html, (await pictures()).renderIndexHtml(items), io);
    return 0;
  }

  const m = await models.forFile(target);
  const r = "error" in m ? m : readCounterexampleFile(target, m.find);
  if ("error" in r) throw new UsageError(`${target}: ${r.error}`);
  if (svg === undefined && html === undefined) {
    io.out(renderTrace(r.cx, r.model));
    return 0;
  }
  const draw = await pictures();
  if (svg !== undefined) write("--svg", svg, draw.renderSvg(r.cx, r.model), io);
  if (html !== undefined) write("--html", html, draw.renderHtml(r.cx, r.model, { file: linkFrom(html, target) }), io);
  return 0;
}
