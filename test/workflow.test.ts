// The CI workflow: valid YAML; it runs nothing but npm ci, npm test, the
// package check and the command line; its deep hunt covers every built-in model and example and
// gives the command line arguments it accepts; and KRH_JUNIT really makes
// vitest write a JUnit report.
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseDocument } from "yaml";
import { planHunt } from "../src/cli/hunt.ts";
import { MODELS } from "../src/models/index.ts";
import { root, tmp } from "./helpers/cli.ts";

interface Step {
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  if?: string;
  strategy?: { matrix: Record<string, unknown[]> };
  steps: Step[];
}

const text = fs.readFileSync(path.join(root, ".github", "workflows", "ci.yml"), "utf8");
const doc = parseDocument(text, { strict: true, uniqueKeys: true, prettyErrors: false });
const wf = doc.toJS() as { on: Record<string, unknown>; jobs: Record<string, Job> };
const runs = (job: Job) => job.steps.filter((s) => s.run !== undefined).map((s) => s.run!.trim());
const CLI = "npx tsx src/cli.ts ";

/** Evaluates the ${{ }} expressions a run line uses: matrix values, and `inputs.x || 'default'` with no inputs (a scheduled run). */
function substitute(line: string, matrix: Record<string, unknown>): string {
  return line.replace(/\$\{\{\s*(.+?)\s*\}\}/g, (_, expr: string) => {
    const fallback = /^inputs\.\w+ \|\| '([^']*)'$/.exec(expr);
    if (fallback) return fallback[1]!;
    const value = expr.split(".").reduce<unknown>((v, k) => (k === "matrix" ? matrix : (v as Record<string, unknown> | undefined)?.[k]), undefined);
    if (typeof value !== "string" && typeof value !== "number") throw new Error(`cannot evaluate \${{ ${expr} }}`);
    return String(value);
  });
}

/** Every combination of a matrix's values. */
function combinations(matrix: Record<string, unknown[]>): Record<string, unknown>[] {
  return Object.entries(matrix).reduce<Record<string, unknown>[]>((acc, [k, vs]) => acc.flatMap((a) => vs.map((v) => ({ ...a, [k]: v }))), [{}]);
}

describe(".github/workflows/ci.yml", () => {
  it("is valid YAML, with no duplicate keys", () => {
    expect(doc.errors.map((e) => e.message)).toEqual([]);
    expect(doc.warnings.map((e) => e.message)).toEqual([]);
  });

  it("runs on pull requests, pushes to main, a schedule and by hand", () => {
    expect(Object.keys(wf.on).sort()).toEqual(["pull_request", "push", "schedule", "workflow_dispatch"]);
    const [cron] = wf.on.schedule as { cron: string }[];
    expect(cron!.cron.split(" ")).toHaveLength(5);
  });

  it("runs nothing but npm ci, npm test and the command line", () => {
    const lines = Object.values(wf.jobs).flatMap(runs).flatMap((r) => r.split("\n"));
    expect(lines.length).toBeGreaterThan(0);
    for (const l of lines) {
      // One command each: no second command, pipe, redirection or substitution of the shell's.
      const bare = l.replace(/\$\{\{.*?\}\}/g, "X");
      expect(bare === "npm ci" || bare === "npm test" || bare === "npm run check-package" || (bare.startsWith(CLI) && !/[;&|<>`"'\\$()]/.test(bare)), l).toBe(true);
    }
  });

  it("test: npm ci and npm test on Node 20 and 22, the JUnit report uploaded", () => {
    const job = wf.jobs.test!;
    expect(job.strategy!.matrix.node).toEqual([20, 22]);
    expect(job.steps.map((s) => s.uses?.replace(/@.*/, "") ?? s.run)).toEqual(["actions/checkout", "actions/setup-node", "npm ci", "npm test", "npm run check-package", "actions/upload-artifact"]);
    expect(job.steps[1]!.with!["node-version"]).toBe("${{ matrix.node }}");
    const report = job.steps[3]!.env!.KRH_JUNIT;
    expect(report).toBeTruthy();
    expect(job.steps[5]!.with!.path).toBe(report);
  });

  describe("deep-hunt", () => {
    const job = wf.jobs["deep-hunt"]!;
    const matrix = job.strategy!.matrix as { shard: number[]; target: { name: string; model: string }[] };
    const hunt = runs(job).find((r) => r.startsWith(`${CLI}hunt `))!;
    const upload = job.steps.find((s) => s.uses?.startsWith("actions/upload-artifact@"))!;

    it("runs only on the schedule or by hand", () => {
      expect(job.if).toBe("github.event_name == 'schedule' || github.event_name == 'workflow_dispatch'");
      expect(wf.jobs.test!.if).toBe("github.event_name == 'push' || github.event_name == 'pull_request'");
    });

    it("hunts every built-in model and every example model", () => {
      const examples = fs.readdirSync(path.join(root, "examples")).filter((f) => f.endsWith(".ts") && !f.endsWith(".test.ts")).map((f) => `--model-file examples/${f}`);
      const targets = matrix.target.map((t) => t.model);
      expect(targets).toEqual(expect.arrayContaining([...MODELS.map((m) => m.name), ...examples]));
      expect(new Set(matrix.target.map((t) => t.name)).size).toBe(matrix.target.length);
    });

    it("every job of the matrix gives the hunt arguments it accepts: the correct variants, a random seed, its own shard", async () => {
      const n = matrix.shard.length;
      expect(matrix.shard).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      for (const m of combinations(matrix as unknown as Record<string, unknown[]>)) {
        const args = substitute(hunt, m).slice(CLI.length).split(/\s+/);
        const p = await planHunt(args.slice(1));
        const correct = Object.entries(p.model.variants).filter(([, v]) => v.correct).map(([k]) => k);
        expect({ variants: p.variants, seedRandom: p.seedRandom, shard: p.shard, out: p.outDir, runs: p.runs }).toEqual({
          variants: correct,
          seedRandom: true,
          shard: { index: (m.shard as number) - 1, count: n },
          out: "new-counterexamples",
          runs: 2_000_000,
        });
      }
    });

    it("uploads what the hunt saved when it fails", () => {
      expect(upload.if).toBe("failure()");
      expect(upload.with!.path).toBe("new-counterexamples/");
    });
  });
});

describe("KRH_JUNIT", () => {
  it("makes npm test write a JUnit report there too", () => {
    const file = path.join(tmp(), "reports", "junit.xml");
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST")));
    const r = spawnSync(path.join(root, "node_modules", ".bin", "vitest"), ["run", "test/kernel/kernel.test.ts"], { cwd: root, env: { ...env, KRH_JUNIT: file }, encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    const xml = fs.readFileSync(file, "utf8");
    expect(xml).toMatch(/^<\?xml /);
    expect(xml).toMatch(/<testsuite name="test\/kernel\/kernel\.test\.ts" [^>]*tests="\d+" failures="0"/);
  });
});

describe("a user's own vitest", () => {
  it("runs the examples' tests through Vite's module runner, as a project of one's own does (npm test imports natively)", () => {
    const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith("VITEST")));
    const config = path.join("test", "fixtures", "consumer", "vitest.config.ts");
    const r = spawnSync(path.join(root, "node_modules", ".bin", "vitest"), ["run", "--config", config, "--root", root], { cwd: root, env: { ...env, NO_COLOR: "1" }, encoding: "utf8" });
    expect(r.status, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/examples\/ticket-lock\.test\.ts/);
    expect(r.stdout).toMatch(/Tests\s+\S*\d+ passed/);
  });
});
