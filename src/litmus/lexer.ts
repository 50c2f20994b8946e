// Tokens of the kernel's C litmus format (herd7's C dialect): identifiers,
// numbers, punctuation, with herd's (* *) comments and C's // and /* */
// comments skipped. Every token keeps its line, for error messages.

export interface Token {
  kind: "id" | "num" | "punct" | "str" | "end";
  text: string;
  line: number;
}

/** A mistake in a litmus file: its message names the line. */
export class LitmusError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
  }
}

const PUNCT = ["/\\", "\\/", "==", "!=", "<=", ">=", "&&", "||", "->", "{", "}", "(", ")", "[", "]", ";", ",", "*", "&", "=", "<", ">", "+", "-", "!", "~", ":", "?", "|", "^", "%", "/", "."];

export function tokenize(src: string, firstLine = 1): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = firstLine;
  const fail = (msg: string) => {
    throw new LitmusError(line, msg);
  };
  while (i < src.length) {
    const c = src[i]!;
    if (c === "\n") {
      line++;
      i++;
    } else if (c === " " || c === "\t" || c === "\r") i++;
    else if (src.startsWith("(*", i) && /\s/.test(src[i + 2] ?? " ")) {
      // herd's comment; "(*x" is a call's argument, as in READ_ONCE(*x).
      let depth = 0;
      do {
        if (src.startsWith("(*", i) && /\s/.test(src[i + 2] ?? " ")) (depth++, (i += 2));
        else if (src.startsWith("*)", i)) (depth--, (i += 2));
        else if (i >= src.length) fail("a (* comment is never closed");
        else (src[i] === "\n" && line++, i++);
      } while (depth > 0);
    } else if (src.startsWith("//", i)) {
      while (i < src.length && src[i] !== "\n") i++;
    } else if (src.startsWith("/*", i)) {
      const end = src.indexOf("*/", i + 2);
      if (end < 0) fail("a /* comment is never closed");
      for (let k = i; k < end; k++) if (src[k] === "\n") line++;
      i = end + 2;
    } else if (c === '"') {
      const end = src.indexOf('"', i + 1);
      if (end < 0) fail("a string is never closed");
      out.push({ kind: "str", text: src.slice(i + 1, end), line });
      for (let k = i; k < end; k++) if (src[k] === "\n") line++;
      i = end + 1;
    } else if (/[0-9]/.test(c)) {
      const m = /^(0x[0-9a-fA-F]+|[0-9]+)[uUlL]*/.exec(src.slice(i))!;
      out.push({ kind: "num", text: String(Number(m[1])), line });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))!;
      out.push({ kind: "id", text: m[0], line });
      i += m[0].length;
    } else {
      const p = PUNCT.find((p) => src.startsWith(p, i));
      if (p === undefined) fail(`unexpected character '${c}'`);
      out.push({ kind: "punct", text: p!, line });
      i += p!.length;
    }
  }
  out.push({ kind: "end", text: "end of file", line });
  return out;
}
