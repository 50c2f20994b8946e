// Imports point downward only (ARCHITECTURE.md): each layer may import the
// layers listed for it, and models need the kernel API alone, as users' do.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { root } from "./helpers/cli.ts";

const src = path.join(root, "src");
const files = (dir: string): string[] =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : e.name.endsWith(".ts") ? [path.join(dir, e.name)] : []));

/** The top folder of src a path lies in ("sim", "kernel", "models" ...), or the file name for src/*.ts. */
const layerOf = (file: string) => path.relative(src, file).split(path.sep)[0]!;

const ALLOWED: Record<string, string[]> = {
  sim: ["sim"],
  kernel: ["kernel", "sim"],
  models: ["models", "kernel"],
  strategies: ["strategies", "sim", "kernel", "harness"],
  harness: ["harness", "kernel", "sim", "strategies"],
  litmus: ["litmus", "sim"],
  explain: ["explain", "harness", "kernel", "sim"],
};

/** Known strays, each to be brought home (none now). */
const KNOWN = new Set<string>();

describe("layers", () => {
  for (const [layer, allowed] of Object.entries(ALLOWED)) {
    it(`src/${layer} imports only ${allowed.join(", ")}`, () => {
      const bad: string[] = [];
      for (const f of files(path.join(src, layer))) {
        for (const m of fs.readFileSync(f, "utf8").matchAll(/^import[^"]*"(\.{1,2}\/[^"]+)"/gm)) {
          const target = path.resolve(path.dirname(f), m[1]!);
          if (!target.startsWith(src + path.sep)) continue;
          const to = layerOf(target);
          if (!allowed.includes(to) && !KNOWN.has(`${path.relative(root, f)} -> ${to}`)) bad.push(`${path.relative(root, f)} imports ${m[1]}`);
        }
      }
      expect(bad).toEqual([]);
    });
  }
});
