// Text for SVG and HTML: escaping, and fitting it to a width in a monospace
// font (context names hold '#' and '/', messages hold '<' and '&').

/** Escapes text for XML and HTML content and for quoted attribute values. */
export function escapeMarkup(s: string): string {
  return s.replace(/[&<>"']/g, (c) => (c === "&" ? "&amp;" : c === "<" ? "&lt;" : c === ">" ? "&gt;" : c === '"' ? "&quot;" : "&#39;"));
}

/** Cuts text to at most `chars` characters, marking the cut with an ellipsis. */
export function fitChars(s: string, chars: number): string {
  if (chars <= 0) return "";
  return s.length <= chars ? s : s.slice(0, Math.max(0, chars - 1)) + "…";
}

/** Breaks text into lines of at most `chars` characters, at spaces where it can. */
export function wrapChars(s: string, chars: number): string[] {
  const out: string[] = [];
  let line = "";
  for (const word of s.split(" ")) {
    let w = word;
    while (w.length > chars) {
      if (line !== "") out.push(line), (line = "");
      out.push(w.slice(0, chars));
      w = w.slice(chars);
    }
    if (line === "") line = w;
    else if (line.length + 1 + w.length <= chars) line += " " + w;
    else out.push(line), (line = w);
  }
  if (line !== "" || out.length === 0) out.push(line);
  return out;
}
