// The pictures of counterexamples (an SVG of one run, an HTML page of one
// or of a whole folder), loaded when a command asks for one. The renderers
// live in picture-svg.ts and picture-html.ts; this module only finds them,
// so that the commands that draw no picture never load them.
import type { AnyModel } from "../kernel/model.ts";
import type { Counterexample } from "../harness/counterexample.ts";

export interface IndexItem {
  file: string;
  cx?: Counterexample;
  model?: AnyModel;
  error?: string;
}

export interface Pictures {
  renderSvg(cx: Counterexample, model: AnyModel): string;
  renderHtml(cx: Counterexample, model: AnyModel, opts?: { file?: string }): string;
  renderIndexHtml(items: IndexItem[]): string;
}

// Module names held in variables: the renderers are found when they are run.
const SVG = "./picture-svg.ts";
const HTML = "./picture-html.ts";

export async function loadPictures(): Promise<Pictures> {
  const svg = (await import(SVG)) as Pick<Pictures, "renderSvg">;
  const html = (await import(HTML)) as Pick<Pictures, "renderHtml" | "renderIndexHtml">;
  return { renderSvg: svg.renderSvg, renderHtml: html.renderHtml, renderIndexHtml: html.renderIndexHtml };
}
