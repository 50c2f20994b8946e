// The peer column: the allocator's interrupt race as a TypeScript user would
// first write it, with promises and fast-check's own scheduler
// (fc.scheduler). The same code as the mempool model's preempt-lock variant,
// cut down to one page: every `await step()` is where the model yields, and
// the "interrupt" is a task that, once it starts, runs to the end, as a
// handler nested on the thread does. The correct version (irq-preempt-lock)
// keeps the interrupt out while the thread is inside the allocator: raised
// then, it stays pending until local_irq_restore().
import fc from "fast-check";

/** The one workload both sides run: one thread allocating twice and freeing once, one interrupt that allocates, on one CPU. */
export const FIXED_WORKLOAD = { objectsPerPage: 3, threads: [{ cpu: 0, ops: ["alloc", "alloc", "free"] }], irq: { cpus: [0], count: 1 } };

interface Obj {
  name: string;
  next: Obj | null;
}

class Page {
  nalloc = 0;
  local_free: Obj | null;
  readonly objects: Obj[];
  constructor(n: number) {
    this.objects = Array.from({ length: n }, (_, i) => ({ name: `o${i}`, next: null }));
    for (let i = n - 1; i >= 0; i--) this.objects[i]!.next = i + 1 < n ? this.objects[i + 1]! : null;
    this.local_free = this.objects[0] ?? null;
  }
}

type Step = () => Promise<unknown>;

async function alloc(p: Page, step: Step): Promise<Obj> {
  const obj = p.local_free;
  await step();
  const n = p.nalloc;
  await step();
  p.nalloc = n + 1;
  await step();
  if (obj === null) throw new Error("NULL dereference");
  const nx = obj.next;
  await step();
  p.local_free = nx;
  await step();
  return obj;
}

async function free(p: Page, obj: Obj, step: Step): Promise<void> {
  const n = p.nalloc;
  await step();
  p.nalloc = n - 1;
  await step();
  obj.next = p.local_free;
  await step();
  p.local_free = obj;
  await step();
}

/** The handler's body, atomic with respect to the thread it interrupts. */
function allocAtomic(p: Page): Obj {
  const obj = p.local_free;
  if (obj === null) throw new Error("NULL dereference");
  p.nalloc++;
  p.local_free = obj.next;
  return obj;
}

/** The same checks as the model's, at the end: each object in one place, counts right. */
function check(p: Page, held: Obj[]): void {
  const onList: Obj[] = [];
  for (let o = p.local_free, k = 0; o !== null && k < 10; o = o.next, k++) onList.push(o);
  for (const o of p.objects) {
    const places = onList.filter((x) => x === o).length + held.filter((x) => x === o).length;
    if (places !== 1) throw new Error(`${o.name} in ${places} places`);
  }
  if (p.nalloc !== held.length) throw new Error(`nalloc ${p.nalloc}, held ${held.length}`);
}

/** Runs to the first failure with fc.scheduler, or undefined within the budget. */
export async function peerRunsToFailure(seed: number, budget: number): Promise<{ runs?: number; ms: number }> {
  const started = performance.now();
  let runs = 0;
  let found: number | undefined;
  const prop = fc.asyncProperty(fc.scheduler(), async (s) => {
    runs++;
    const page = new Page(3);
    const held: Obj[] = [];
    const step: Step = () => s.schedule(Promise.resolve());
    const thread = (async () => {
      const a = await alloc(page, step);
      held.push(a);
      const b = await alloc(page, step);
      held.push(b);
      await free(page, b, step);
      held.splice(held.indexOf(b), 1);
    })();
    const irq = s.schedule(Promise.resolve()).then(() => held.push(allocAtomic(page)));
    await s.waitFor(Promise.all([thread, irq]));
    check(page, held);
  });
  const details = await fc.check(prop, { seed, numRuns: budget, endOnFailure: true });
  if (details.failed) found = runs;
  return { runs: found, ms: performance.now() - started };
}

/**
 * One run of the correct version: the thread allocates, allocates and frees
 * with interrupts off (local_irq_save() to local_irq_restore()); before each
 * operation, and after the last, the interrupt may come in. Raised while
 * they are off, it stays pending (polling at scheduled points, counted in
 * `pendingPolls`) until they are on again. `points` counts every
 * scheduled point the scheduler releases.
 */
async function correctRun(s: fc.Scheduler, counter: { points: number; pendingPolls: number }): Promise<void> {
  const page = new Page(3);
  const held: Obj[] = [];
  let irqsOff = false;
  const step: Step = () => (counter.points++, s.schedule(Promise.resolve()));
  const irqOff = async <T>(body: () => Promise<T>): Promise<T> => {
    await step(); // interrupts on: the interrupt may come in here
    irqsOff = true;
    try {
      return await body();
    } finally {
      irqsOff = false;
    }
  };
  const thread = (async () => {
    const a = await irqOff(() => alloc(page, step));
    held.push(a);
    const b = await irqOff(() => alloc(page, step));
    held.push(b);
    await irqOff(() => free(page, b, step));
    held.splice(held.indexOf(b), 1);
  })();
  const irq = (async () => {
    await step();
    while (irqsOff) counter.pendingPolls++, await step();
    held.push(allocAtomic(page));
  })();
  await s.waitFor(Promise.all([thread, irq]));
  check(page, held);
}

/** fc.scheduler's speed on the correct version over `runs` runs (after a warm-up): runs, scheduled points and the interrupt's pending polls among them, per second. */
export async function peerSpeed(runs: number): Promise<{ runsPerSec: number; pointsPerSec: number; pendingPollsPerSec: number }> {
  const counter = { points: 0, pendingPolls: 0 };
  const prop = fc.asyncProperty(fc.scheduler(), (s) => correctRun(s, counter));
  await fc.assert(prop, { seed: 99, numRuns: Math.min(runs, 1000) });
  counter.points = counter.pendingPolls = 0;
  const started = performance.now();
  await fc.assert(prop, { seed: 1, numRuns: runs });
  const secs = (performance.now() - started) / 1000;
  return { runsPerSec: runs / secs, pointsPerSec: counter.points / secs, pendingPollsPerSec: counter.pendingPolls / secs };
}
