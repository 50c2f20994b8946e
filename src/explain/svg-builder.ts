// Building SVG text: elements collected in order, every text escaped on the
// way in, numbers written the same way every time (same input, same bytes).
import { escapeMarkup as esc } from "./markup-text.ts";

/** Advance of one character of 11px monospace text, a little generous so that fitted text never overflows. */
export const CHAR_W = 6.8;
/** The same for 9px text. */
export const SMALL_CHAR_W = 5.6;

export const num = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(1));

export class SvgParts {
  readonly parts: string[] = [];

  rect(x: number, y: number, w: number, h: number, attrs: string, title?: string): void {
    const r = `x="${num(x)}" y="${num(y)}" width="${num(w)}" height="${num(h)}" ${attrs}`;
    this.parts.push(title === undefined ? `<rect ${r}/>` : `<rect ${r}><title>${esc(title)}</title></rect>`);
  }

  text(x: number, y: number, s: string, attrs = "", title?: string): void {
    this.parts.push(`<text x="${num(x)}" y="${num(y)}"${attrs ? " " + attrs : ""}>${esc(s)}${title === undefined ? "" : `<title>${esc(title)}</title>`}</text>`);
  }

  line(x1: number, x2: number, y: number, attrs: string): void {
    this.parts.push(`<line x1="${num(x1)}" x2="${num(x2)}" y1="${num(y)}" y2="${num(y)}" ${attrs}/>`);
  }

  /** Markup built by the caller, its texts already escaped. */
  raw(s: string): void {
    this.parts.push(s);
  }
}
