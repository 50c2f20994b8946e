// A small strict XML parser for tests: it throws, with the offset, on
// anything that is not well-formed (unclosed or crossed tags, unquoted or
// repeated attributes, a raw '<' or '&', unknown entities, text outside the
// root), and returns the element tree with entities decoded.

export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: (XmlElement | string)[];
}

const NAME = /[A-Za-z_:][-A-Za-z0-9_:.]*/y;
const SPACE = /[ \t\r\n]*/y;
const ENTITIES: Record<string, string> = { amp: "&", lt: "<", gt: ">", quot: '"', apos: "'" };

class Parser {
  private i = 0;
  constructor(private readonly s: string) {}

  fail(what: string): never {
    const around = this.s.slice(Math.max(0, this.i - 30), this.i + 30).replace(/\n/g, "\\n");
    throw new Error(`not well-formed XML at offset ${this.i}: ${what} (near "${around}")`);
  }

  private at(str: string): boolean {
    return this.s.startsWith(str, this.i);
  }

  private space(): number {
    SPACE.lastIndex = this.i;
    SPACE.exec(this.s);
    const n = SPACE.lastIndex - this.i;
    this.i = SPACE.lastIndex;
    return n;
  }

  private name(): string {
    NAME.lastIndex = this.i;
    const m = NAME.exec(this.s);
    if (m === null) this.fail("a name expected");
    this.i = NAME.lastIndex;
    return m[0];
  }

  /** Decodes character data, rejecting raw '<', bare '&' and unknown entities. */
  private decode(raw: string, start: number): string {
    if (/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/.test(raw)) (this.i = start), this.fail("a control character");
    return raw.replace(/&([^;&<\s]*);?/g, (all, ent: string) => {
      if (!all.endsWith(";")) (this.i = start), this.fail(`a bare '&'`);
      if (ent in ENTITIES) return ENTITIES[ent]!;
      const m = /^#(?:x([0-9a-fA-F]+)|([0-9]+))$/.exec(ent);
      if (m === null) (this.i = start), this.fail(`unknown entity &${ent};`);
      return String.fromCodePoint(m[1] !== undefined ? parseInt(m[1], 16) : parseInt(m[2]!, 10));
    });
  }

  /** Comments and processing instructions, skipped; returns whether one was. */
  private misc(): boolean {
    if (this.at("<!--")) {
      const end = this.s.indexOf("-->", this.i + 4);
      if (end < 0) this.fail("an unclosed comment");
      if (this.s.slice(this.i + 4, end).includes("--")) this.fail("'--' inside a comment");
      this.i = end + 3;
      return true;
    }
    if (this.at("<?")) {
      const end = this.s.indexOf("?>", this.i + 2);
      if (end < 0) this.fail("an unclosed processing instruction");
      this.i = end + 2;
      return true;
    }
    return false;
  }

  private element(): XmlElement {
    if (!this.at("<")) this.fail("'<' expected");
    this.i++;
    const name = this.name();
    const attrs: Record<string, string> = {};
    for (;;) {
      const gap = this.space();
      if (this.at("/>")) {
        this.i += 2;
        return { name, attrs, children: [] };
      }
      if (this.at(">")) {
        this.i++;
        break;
      }
      if (gap === 0) this.fail("whitespace expected between attributes");
      const a = this.name();
      if (a in attrs) this.fail(`attribute ${a} repeated`);
      this.space();
      if (!this.at("=")) this.fail(`'=' expected after attribute ${a}`);
      this.i++;
      this.space();
      const q = this.s[this.i];
      if (q !== '"' && q !== "'") this.fail(`attribute ${a} not quoted`);
      const end = this.s.indexOf(q, this.i + 1);
      if (end < 0) this.fail(`attribute ${a} not closed`);
      const raw = this.s.slice(this.i + 1, end);
      if (raw.includes("<")) this.fail(`'<' in the value of attribute ${a}`);
      attrs[a] = this.decode(raw, this.i);
      this.i = end + 1;
    }
    const children: (XmlElement | string)[] = [];
    for (;;) {
      if (this.i >= this.s.length) this.fail(`<${name}> not closed`);
      if (this.at("</")) {
        this.i += 2;
        const close = this.name();
        if (close !== name) this.fail(`</${close}> closes <${name}>`);
        this.space();
        if (!this.at(">")) this.fail("'>' expected");
        this.i++;
        return { name, attrs, children };
      }
      if (this.at("<![CDATA[")) {
        const end = this.s.indexOf("]]>", this.i);
        if (end < 0) this.fail("an unclosed CDATA section");
        children.push(this.s.slice(this.i + 9, end));
        this.i = end + 3;
      } else if (this.at("<!--") || this.at("<?")) this.misc();
      else if (this.at("<")) children.push(this.element());
      else {
        const next = this.s.indexOf("<", this.i);
        const end = next < 0 ? this.s.length : next;
        const raw = this.s.slice(this.i, end);
        if (raw.includes("]]>")) this.fail("']]>' in text");
        children.push(this.decode(raw, this.i));
        this.i = end;
      }
    }
  }

  document(): XmlElement {
    for (;;) {
      this.space();
      if (!this.misc()) break;
    }
    if (this.at("<!")) this.fail("a DOCTYPE or other declaration (not supported)");
    const root = this.element();
    for (;;) {
      this.space();
      if (!this.misc()) break;
    }
    if (this.i !== this.s.length) this.fail("content after the root element");
    return root;
  }
}

export function parseXml(s: string): XmlElement {
  return new Parser(s).document();
}

/** All text inside an element, entities decoded. */
export function textOf(e: XmlElement | string): string {
  return typeof e === "string" ? e : e.children.map(textOf).join("");
}

/** Every element below `e` (itself included) that passes `pick`, in document order. */
export function findAll(e: XmlElement, pick: (x: XmlElement) => boolean): XmlElement[] {
  const out: XmlElement[] = pick(e) ? [e] : [];
  for (const c of e.children) if (typeof c !== "string") out.push(...findAll(c, pick));
  return out;
}
