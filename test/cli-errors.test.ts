// Every mistake a user can make on the command line is one line on standard
// error, `error: ...`, saying what is wrong and what would do; exit code 2.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { cli, fixture, root, tmp } from "./helpers/cli.ts";

const saved = path.join(root, "counterexamples", "spinlock", "shared-flags--irq-state--b63811c5.json");
const rel = (p: string) => path.relative(root, p);

/** A counterexample file holding `json` (or, given a string, that text). */
function file(json: unknown): string {
  const f = path.join(tmp(), "cx.json");
  fs.writeFileSync(f, typeof json === "string" ? json : JSON.stringify(json));
  return f;
}
const cx = () => JSON.parse(fs.readFileSync(saved, "utf8")) as Record<string, unknown>;

async function expectUsageError(args: string[], msg: RegExp) {
  const r = await cli(args);
  expect(r.code, r.err).toBe(2);
  expect(r.errLines, "one line on standard error").toHaveLength(1);
  expect(r.err).toMatch(/^error: /);
  expect(r.err).toMatch(msg);
  expect(r.err).not.toMatch(/\n|    at /); // no stack trace
}

const table = (cases: [string[], RegExp][]) => {
  for (const [args, msg] of cases) it(args.join(" ") || "(nothing)", () => expectUsageError(args, msg));
};

describe("commands and options", () => {
  table([
    [[], /no command given \(commands: list, hunt, replay, show, litmus, help\)/],
    [["frobnicate"], /unknown command 'frobnicate' \(commands: list, hunt, replay, show, litmus, help\)/],
    [["hunt", "mempool", "--bogus"], /unknown option '--bogus' \(options of hunt: --model-file, --variant, --correct, --runs, .*, --quiet; see 'help'\)/],
    [["list", "--bogus"], /unknown option '--bogus' \(options of list: --json, --model-file; see 'help'\)/],
    [["hunt", "mempool", "--runs"], /^error: --runs needs a value$/],
    [["list", "--json=yes"], /^error: --json takes no value$/],
    [["list", "extra"], /list takes no arguments, got 'extra'/],
  ]);
});

describe("hunt", () => {
  table([
    [["hunt"], /hunt needs a model name \(known: mempool, spinlock, rcu, channel, netback-pool, shadow-driver, xen-busdma, virtio-evtchn\) or --model-file FILE\.ts/],
    [["hunt", "nosuch"], /unknown model 'nosuch' \(known: mempool, spinlock, rcu, channel, netback-pool, shadow-driver, xen-busdma, virtio-evtchn; a model of your own: --model-file FILE\.ts\)/],
    [["hunt", "mempool", "spinlock"], /hunt takes one model, got 'mempool spinlock'/],
    [["hunt", "mempool", "--variant", "nosuch"], /model mempool has no variant 'nosuch' \(known: preempt-lock, irq-preempt-lock, /],
    [["hunt", "mempool", "--variant", "preempt-lock", "--correct"], /give --variant or --correct, not both/],
    [["hunt", "mempool", "--strategy", "psychic"], /unknown strategy 'psychic' \(known: fast-check, portfolio, random, pct, pctwm, exhaustive, pos, surw, rff\)/],
    [["hunt", "mempool", "--depth", "2"], /--depth is an option of pct and pctwm, not of portfolio/],
    [["hunt", "mempool", "--strategy", "pct", "--bound", "2"], /--bound is an option of exhaustive, not of pct/],
    [["hunt", "mempool", "--property", "nosuch"], /model mempool has no property 'nosuch' \(known: conservation, /],
    [["hunt", "mempool", "--runs", "lots"], /--runs takes a whole number from 1 to \d+, got 'lots'/],
    [["hunt", "mempool", "--seed", "1.5"], /--seed takes a whole number from -2147483648 to 2147483647, got '1.5'/],
    [["hunt", "mempool", "--cpus", "0"], /--cpus takes a whole number from 1 to 64, got '0'/],
    [["hunt", "mempool", "--workers", "100"], /--workers takes a whole number from 1 to 64/],
    [["hunt", "mempool", "--max-steps", "-1"], /^error: --max-steps needs a value \(one that starts with a dash is written --max-steps=VALUE\)$/],
    [["hunt", "channel", "--cpus", "1"], /channel needs cpus >= 2 \(the borrower's, then one for the owner\), got 1/],
    [["hunt", "mempool", "--out", ""], /^error: --out needs a folder name$/],
    [["hunt", "mempool", "--set", "lockdep=5"], /^error: --set lockdep takes 0 \(off\) or 1 \(on\), got '5'$/],
    [["hunt", "--model-file", rel(fixture("crashes.ts")), "setup-throws"], /^error: setup went wrong \(KRH_DEBUG=1 shows where\)$/],
    [["hunt", "--model-file", rel(fixture("crashes.ts")), "setup-returns-something-else"], /model setup-returns-something-else: setup\(\) returned 42; it must return nothing or \{ invariants\?, finals\?, sequential\? \}/],
    [["hunt", "--model-file", rel(fixture("crashes.ts")), "undeclared-check"], /model undeclared-check: its setup\(\) checks 'undeclared', which is not one of its properties \(declared: declared\)/],
    [["hunt", "mempool", "--max-steps=-1"], /--max-steps takes a whole number from 1 to /],
    [["hunt", "mempool", "--shard", "5/4"], /--shard takes I\/N with 1 <= I <= N, for example 2\/4, got '5\/4'/],
    [["hunt", "mempool", "--shard", "half"], /--shard takes I\/N/],
    [["hunt", "mempool", "--set", "colour=red"], /model mempool has no setting 'colour' \(known: lockdep, failslab, hotplug, signalThreshold\)/],
    [["hunt", "mempool", "--set", "lockdep"], /--set takes KEY=VALUE, for example --set lockdep=0, got 'lockdep'/],
    [["hunt", "mempool", "--set", "lockdep=on"], /--set lockdep takes 0 \(off\) or 1 \(on\), got 'on'/],
    [["hunt", "mempool", "--set", "cpus=2"], /use --cpus for cpus/],
    [["hunt", "mempool", "--memory", "tso"], /model mempool has no memory setting, so --memory does not apply \(models with one: /],
    [["hunt", "mempool", "--out", "package.json/sub/dir"], /^error: --out package\.json\/sub\/dir: a part of this path is a file, not a folder$/],
    [["hunt", "mempool", "--out", "package.json"], /^error: --out package\.json: not a folder$/],
  ]);
});

describe("--memory on a model with a memory setting", () => {
  table([
    [["hunt", "--model-file", rel(fixture("memory.ts")), "--memory", "arm"], /--memory takes sc, tso, pso or weak, got 'arm'/],
    [["hunt", "--model-file", rel(fixture("memory.ts")), "--set", "memory=arm"], /--set memory takes sc, tso, pso or weak, got 'arm'/],
    [["hunt", "--model-file", rel(fixture("memory.ts")), "--memory", "tso", "--set", "memory=pso"], /give the memory model once: --memory or --set memory, not both/],
  ]);
});

describe("--model-file", () => {
  const syntax = path.join(tmp(), "broken.ts");
  fs.writeFileSync(syntax, "export default {{ name: ;\n");
  table([
    [["hunt", "--model-file", "no/such/model.ts"], /--model-file no\/such\/model\.ts: no such file/],
    [["hunt", "--model-file", "src"], /--model-file src: not a file/],
    [["hunt", "--model-file", syntax], /--model-file .*broken\.ts: cannot load it: /],
    [["hunt", "--model-file", rel(fixture("none.ts"))], /none\.ts exports no model: export a model made with defineModel\(\) \(name, description, variants, properties, defaults, workload, setup\)/],
    [
      ["hunt", "--model-file", rel(fixture("half.ts"))],
      /half\.ts: the default export is not a model: it lacks description \(a string\), properties \(an object\), defaults \(an object\), workload \(a function\), setup \(a function\); export a model/,
    ],
    [["hunt", "--model-file", rel(fixture("bad-name.ts"))], /bad-name\.ts: cannot load it: model Bad_Name: name 'Bad_Name' must be lower-case letters, digits, dashes and underscores/],
    [["hunt", "--model-file", rel(fixture("two.ts"))], /two\.ts exports several models \(first-fixture, second-fixture\): name the one to use/],
    [["hunt", "third-fixture", "--model-file", rel(fixture("two.ts"))], /two\.ts has no model 'third-fixture' \(it has: first-fixture, second-fixture\)/],
    [["hunt", "--model-file", rel(fixture("shadow.ts"))], /its model is named 'mempool', as a built-in model is \(built-in: mempool, spinlock, rcu, channel, netback-pool, shadow-driver, xen-busdma, virtio-evtchn\); give it a name of its own/],
    [["list", "--model-file", rel(fixture("half.ts"))], /half\.ts: the default export is not a model/],
    [["replay", saved, "--model-file", rel(fixture("none.ts"))], /none\.ts exports no model/],
  ]);
});

describe("replay and show of what cannot be read", () => {
  table([
    [["replay"], /replay needs at least one counterexample file or folder/],
    [["replay", "/no/such/file.json"], /\/no\/such\/file\.json: no such file or folder/],
    [["replay", "src/kernel"], /no counterexample files \(\*\.json\) in src\/kernel/],
    [["show"], /show takes exactly one counterexample file \(or, with --html, one folder\)/],
    [["show", "/no/such/file.json"], /no such file or folder/],
    [["show", file("{ not json")], /cx\.json: not JSON: /],
    [["show", file({ ...cx(), format: "other/9" })], /cx\.json: unknown format "other\/9" \(expected "krh-counterexample\/1"\)/],
    [["show", file({ ...cx(), model: "nosuch" })], /cx\.json: unknown model 'nosuch' \(known: mempool, spinlock, rcu, channel, netback-pool, shadow-driver, xen-busdma, virtio-evtchn\); for a model of your own, give its file with --model-file/],
    [["show", file({ ...cx(), variant: "nosuch" })], /model spinlock has no variant 'nosuch' \(known: irqsave, /],
    [["show", file({ ...cx(), schedule: [{ kind: "jump" }] })], /schedule event 0 /],
    [["show", file({ ...cx(), config: { cpus: 0, maxSteps: 1 } })], /config\.cpus must be a whole number from 1 to 64/],
    [["show", file({ ...cx(), found: { ...(cx().found as object), modelFile: 5 } })], /found\.modelFile must be a path/],
    [["show", file({ ...cx(), model: "ticket-lock", found: { ...(cx().found as object), modelFile: "gone.ts" } })], /gone\.ts: no such file \(the model file its found\.modelFile names\); give ticket-lock's file with --model-file/],
  ]);

  it("replay: each unreadable file is one error line, and the others are still replayed", async () => {
    const dir = tmp();
    fs.copyFileSync(saved, path.join(dir, "a.json"));
    fs.writeFileSync(path.join(dir, "b.json"), JSON.stringify({ ...cx(), model: "nosuch" }));
    fs.writeFileSync(path.join(dir, "c.json"), "[]");
    const r = await cli(["replay", dir]);
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual([
      `error: ${path.join(dir, "b.json")}: unknown model 'nosuch' (known: mempool, spinlock, rcu, channel, netback-pool, shadow-driver, xen-busdma, virtio-evtchn); for a model of your own, give its file with --model-file`,
      `error: ${path.join(dir, "c.json")}: not a JSON object`,
    ]);
    expect(r.out).toContain(`${path.join(dir, "a.json")}: as expected`);
    expect(r.out).toMatch(/1 as expected, 0 not as expected, 2 unreadable$/);
  });
});

describe("show's picture files", () => {
  table([
    [["show", saved, "--svg", "out.png"], /--svg takes a file name ending in \.svg, got 'out\.png'/],
    [["show", saved, "--html", "out.json"], /--html takes a file name ending in \.html, got 'out\.json'/],
    [["show", saved, "--svg", saved], /--svg takes a file name ending in \.svg, got '.*\.json'/],
    [["show", saved, "--html", "src"], /--html takes a file name ending in \.html, got 'src'/],
    [["show", "counterexamples"], /counterexamples is a folder: show prints one file, or writes an index of a folder with --html OUT\.html/],
    [["show", "counterexamples", "--svg", "x.svg"], /--svg draws one counterexample file, and counterexamples is a folder \(for a folder: --html OUT\.html\)/],
    [["show", "src/kernel", "--html", path.join(tmp(), "x.html")], /no counterexample files \(\*\.json\) in src\/kernel/],
  ]);
});
