// The litmus command on files of every kind: conditions, bad input,
// contradictions, and the memory modes asked for.
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { parseLitmus } from "../../src/litmus/parse.ts";
import { judge } from "../../src/litmus/verdict.ts";
import { cli, tmp } from "../helpers/cli.ts";

const SB = (result: string, cond = "exists (0:r0=0 /\\ 1:r0=0)", extra = "") => `C SB-${result}
(* Result: ${result} *)
{}
P0(int *x, int *y)
{
	int r0;
	WRITE_ONCE(*x, 1);
	r0 = READ_ONCE(*y);
}
P1(int *x, int *y)
{
	int r0;
	WRITE_ONCE(*y, 1);
	r0 = READ_ONCE(*x);
}
${extra}${cond}
`;

function folder(files: Record<string, string>): string {
  const dir = tmp();
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  return dir;
}

describe("litmus", () => {
  it("a verdict that shows what LKMM forbids is a contradiction: exit 1, marked with !", async () => {
    const dir = folder({ "a.litmus": SB("Never") });
    const r = await cli(["litmus", dir]);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/^SB-Never +Never +Never \d+ +Sometimes! \d+ +Sometimes! \d+ +Sometimes! \d+$/m);
    expect(r.out).toMatch(/1 contradiction\(s\): SB-Never$/m);
  });

  it("--memory picks the modes, in the order given", async () => {
    const dir = folder({ "a.litmus": SB("Never") });
    const r = await cli(["litmus", dir, "--memory", "sc"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^test +LKMM +sc$/m);
    const two = await cli(["litmus", path.join(dir, "a.litmus"), "--memory", "weak", "--memory", "tso"]);
    expect(two.out).toMatch(/^test +LKMM +weak +tso$/m);
    expect((await cli(["litmus", dir, "--memory", "arm"])).err).toBe("error: --memory takes sc, tso, pso or weak, got 'arm'");
  });

  it("a construct it does not know: one line naming the file, line and construct; exit 2; the other files still run", async () => {
    const loop = SB("Sometimes").replace("\tr0 = READ_ONCE(*y);", "\twhile (READ_ONCE(*y) == 0)\n\t\t;");
    const call = SB("Sometimes").replace("r0 = READ_ONCE(*x);", "r0 = srcu_read_lock(x);");
    const dir = folder({ "a-loop.litmus": loop, "b-call.litmus": call, "c-good.litmus": SB("Sometimes") });
    const r = await cli(["litmus", dir]);
    expect(r.code).toBe(2);
    expect(r.errLines).toEqual([`${path.join(dir, "a-loop.litmus")}: line 8: unknown construct 'while'`, `${path.join(dir, "b-call.litmus")}: line 14: unknown construct 'srcu_read_lock'`]);
    expect(r.out).toMatch(/^SB-Sometimes +Sometimes/m);
    expect(r.out).toMatch(/2 file\(s\) not read/);
  });

  it("a file that is not a litmus test, a missing path, no path: clear errors", async () => {
    const dir = folder({ "x.litmus": "hello\n" });
    const r = await cli(["litmus", dir]);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${path.join(dir, "x.litmus")}: line 1: not a C litmus test: the first line must be 'C name', found 'hello'`);
    expect((await cli(["litmus", path.join(dir, "nope")])).err).toBe(`error: ${path.join(dir, "nope")}: no such file or folder`);
    expect((await cli(["litmus"])).err).toBe("error: litmus needs a litmus file or a folder of them");
  });

  it("~exists, forall, filter and locations are read; Always when every final state satisfies", () => {
    const notExists = judge(parseLitmus(SB("Sometimes", "~exists (0:r0=0 /\\ 1:r0=0)")), ["sc", "tso"]);
    expect(notExists.map((v) => v.verdict)).toEqual(["Never", "Sometimes"]);
    const forall = judge(parseLitmus(SB("Always", "forall (0:r0=1 \\/ 1:r0=1)")), ["sc", "tso"]);
    expect(forall.map((v) => [v.verdict, v.contradicts])).toEqual([
      ["Always", false],
      ["Sometimes", true],
    ]);
    const filtered = judge(parseLitmus(SB("Sometimes", "exists (1:r0=0)", "locations [x; y]\nfilter (0:r0=1)\n")), ["sc"]);
    expect(filtered[0]!.positive + filtered[0]!.negative).toBe(2); // r0=1 leaves (r1=0, r1=1)
    const neg = judge(parseLitmus(SB("Never", "exists (~(x=1) \\/ y=2)")), ["weak"]);
    expect(neg[0]!.verdict).toBe("Never");
  });

  it("a lock taken twice by one process is a deadlock, counted apart from the outcomes", () => {
    const t = parseLitmus(`C self-deadlock
{}
P0(spinlock_t *s, int *x)
{
	spin_lock(s);
	spin_lock(s);
	WRITE_ONCE(*x, 1);
}
exists (x=1)
`);
    const [v] = judge(t, ["sc"]);
    expect(v!.deadlocks).toBe(1);
    expect(v!.verdict).toBe("Never");
  });

  it("registers and locations initialised in the init block, pointers compared by name", () => {
    const t = parseLitmus(`C init
{
	int x = 3;
	int *p = &x;
	0:r1 = 5;
	atomic_t v = ATOMIC_INIT(-2);
}
P0(int *x, int **p, atomic_t *v)
{
	int *r0;
	int r2;
	r0 = READ_ONCE(*p);
	r2 = READ_ONCE(*r0) + r1 + atomic_add_return(2, v);
}
exists (0:r0=x /\\ 0:r2=8 /\\ v=0)
`);
    expect(judge(t, ["sc", "weak"]).map((v) => v.verdict)).toEqual(["Always", "Always"]);
  });
});

describe("litmus: C as herd reads it", () => {
  const verdicts = (src: string) => judge(parseLitmus(src), ["sc", "weak"]).map((v) => v.verdict);

  it("a register may be named like another process's location", () => {
    expect(verdicts(`C regname
{}
P0(int *x) { int y; y = 7; WRITE_ONCE(*x, y); }
P1(int *y) { WRITE_ONCE(*y, 1); }
exists (x=7 /\\ y=1)
`)).toEqual(["Always", "Always"]);
  });

  it("&& and || short-circuit: the right side's accesses run only when needed", () => {
    expect(verdicts(`C guard
{ int *p = &x; }
P0(int **p, int *x) { int *r0; int r1 = 0; r0 = READ_ONCE(*p); if (r0 != 0 && READ_ONCE(*r0) == 0) r1 = 1; }
P1(int **p) { WRITE_ONCE(*p, 0); }
exists (0:r1=1)
`)).toEqual(["Sometimes", "Sometimes"]);
    expect(verdicts(`C no-xchg
{}
P0(int *x) { int r0 = 0; int r1 = 0; if (r0 != 0 && xchg(x, 1) == 0) r1 = 1; if (r0 == 0 || xchg(x, 2) == 0) r1 = r1 + 2; }
exists (x=0 /\\ 0:r1=2)
`)).toEqual(["Always", "Always"]);
  });

  it("declarators share a type in the init block, a double pointer reads through twice, and only the header's Result counts", () => {
    const t = parseLitmus(`C misc
(* an aside that mentions Result: Never in passing *)
(* Result: Always *)
{ int x = 1, y = 2; int *p = &x; int **pp = &p; }
P0(int ***pp, int *y) { int *r0; int r1; r0 = READ_ONCE(**pp); r1 = READ_ONCE(*r0); }
exists (0:r0=x /\\ 0:r1=1 /\\ y=2)
`);
    expect(t.result).toBe("Always");
    expect(judge(t, ["sc"]).map((v) => [v.verdict, v.contradicts])).toEqual([["Always", false]]);
  });
});
