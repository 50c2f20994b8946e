// The deterministic SMP machine. It knows CPUs, contexts and events, and
// nothing of any model: models reach it through the kernel API.
import { Context } from "./context.ts";
import { Cpu } from "./cpu.ts";
import type { IrqFrame } from "./cpu.ts";
import { setRunning } from "./current.ts";
import type { EnvEvent, ScheduleEvent, StepEvent } from "./events.ts";
import { NO_ENV_EVENTS, describeEvent } from "./events.ts";
import type { Failure, Violation } from "./failure.ts";
import type { Footprint } from "./footprint.ts";
import type { Gen, Wait } from "./step.ts";
import { Doorbells } from "./doorbell.ts";
import { Memory, memoryEventArg } from "./memory.ts";
import type { MemoryModel } from "./memory.ts";

export interface MachineOptions {
  cpus: number;
  /** Actions (scheduled events and drained moves) after which the run is a hang. */
  maxSteps: number;
  /** Record a trace entry for every step (replay and show); off while hunting. */
  trace?: boolean;
  /** When stores become visible to other CPUs; sequential consistency unless told. */
  memory?: MemoryModel;
}

/** A computer of its own: its CPUs share memory, and reach another host's only through what it maps. */
export interface Host {
  readonly name: string;
  readonly cpus: readonly number[];
}

export interface TraceEntry {
  /** Index of the action it belongs to (every event and drained move is one action). */
  step: number;
  /** Index of the schedule event, or -1 in the drain. */
  event: number;
  cpu: number;
  /** The context that stepped, or "" for a machine action. */
  ctx: string;
  /** Nesting depth of interrupt handlers on that CPU when it happened. */
  depth: number;
  text: string;
}

/** Something outside the CPUs that changes state at times the schedule chooses. */
export interface EnvSource {
  readonly name: string;
  /** Its events enabled now, in a fixed order. */
  enabled(): EnvEvent[];
  /** Performs one; returns the text for the trace. */
  apply(e: EnvEvent): string;
  /** The event the default policy takes in the drain when no CPU can go on, if any. */
  drainMove?(): EnvEvent | undefined;
  /** An event the default policy takes before anything else (so that the drain never chooses it late), if any. */
  eagerMove?(): EnvEvent | undefined;
  /** The nearest virtual time at which it will have an event (a timer's expiry), if any: the clock may jump there. */
  nextDeadline?(now: number): number | undefined;
}

interface IrqLine {
  readonly name: string;
  readonly handler: () => Gen<unknown>;
  /** A softirq: run on the way out of interrupts, never nested in one, held off by local_bh_disable(). */
  readonly soft: boolean;
  /** Deliveries of fresh interrupts left, per CPU. */
  readonly budget: Map<number, number>;
  deliveries: number;
}

/** A waiting kernel call made in a step (kernel_call): who called what, and whether it was driven. */
export interface PendingCall {
  readonly started: boolean;
  readonly caller: string;
  readonly callee: string;
}

/** Hooks the layers above install: checks run after every step, at a context's exit. */
export interface MachineHooks {
  afterStep?(): void;
  /** A context returned; for a handler, `frame` is the one just popped. */
  onExit?(ctx: Context, cpu: Cpu, frame?: IrqFrame): void;
  /** While recording footprints: an event (scheduled or drained) was performed; `stepper` names the context a step advanced. */
  footprinted?(e: ScheduleEvent, stepper: string | undefined, fp: Footprint): void;
}

/** Failures after which a run cannot go on. */
const ENDS_A_RUN = new Set(["oops", "deadlock", "hang", "lost-wakeup"]);

export class Machine {
  readonly cpus: Cpu[];
  readonly maxSteps: number;
  readonly tracing: boolean;
  readonly trace: TraceEntry[] = [];
  readonly threads: Context[] = [];
  readonly envSources: EnvSource[] = [];
  readonly hooks: MachineHooks = {};
  /** State the layers above keep per machine (the kernel's lock tracking), by key. */
  readonly ext = new Map<object, unknown>();
  /** Checks the layers above run once the drain has ended without a failure. */
  readonly endChecks: (() => void)[] = [];
  /** Actions taken so far: every applied event and every drained move counts one. */
  steps = 0;
  /** Shared memory words and the CPUs' store buffers. */
  readonly memory: Memory;
  /** Virtual time in microseconds: it moves only by a clock event, to the nearest deadline. */
  now = 0;
  /** The hosts; one holding every CPU unless a model says otherwise (setHosts). */
  get hosts(): readonly Host[] {
    return this.hostList;
  }
  private hostList: Host[];
  /** Each CPU's host, by CPU id: hostOf() is asked for every thread at every step of a strategy. */
  private hostByCpu: Host[];
  /** Remote interrupts between hosts, once a model routes one. */
  doorbells: Doorbells | undefined;
  /** Index of the action under way (its trace entries and failures carry it). */
  private action = 0;
  failure: Failure | undefined;
  /**
   * The property a hunt asks about (--property): a violation of another one
   * does not end the run where the machine can go on; it is counted here.
   */
  focus: string | undefined;
  readonly passedOver = new Map<string, number>();
  /** Waiting kernel calls made in the step under way (see kernel_call): one not started by its end was never driven. */
  calls: PendingCall[] = [];
  private readonly lines = new Map<string, IrqLine>();
  /** The same lines sorted by name (lines are never taken out): the enabled interrupts come out in order with no sort. */
  private readonly sortedLines: IrqLine[] = [];
  private readonly threadByName = new Map<string, Context>();
  /** Schedule index of the event being applied; -1 in the drain. */
  private eventIndex = -1;
  /** Where failures in the drain are reported: the schedule's length. */
  private drainIndex = 0;
  private lastCpu = 0;
  private stepping: Context | null = null;
  /** Whether each event's footprint is kept (recordFootprints), the last one's, and whether the model shares state only in memory. */
  private recording = false;
  private lastFootprint: Footprint | undefined;
  private memoryOnly = false;

  constructor(opts: MachineOptions) {
    if (!Number.isInteger(opts.cpus) || opts.cpus < 1) throw new Error(`cpus must be a whole number >= 1, got ${opts.cpus}`);
    this.cpus = [];
    for (let i = 0; i < opts.cpus; i++) this.cpus.push(new Cpu(i));
    this.maxSteps = opts.maxSteps;
    this.tracing = opts.trace ?? false;
    this.memory = new Memory(opts.memory ?? "sc", opts.cpus);
    if (this.memory.model !== "sc") this.envSources.push(this.memory);
    this.hostList = [{ name: "host", cpus: this.cpus.map((c) => c.id) }];
    this.hostByCpu = this.cpus.map(() => this.hostList[0]!);
    this.stepEvents = this.cpus.map((c) => ({ kind: "step", cpu: c.id }));
  }

  /** The step event of each CPU, made once: the drain and the hunt take steps by the thousand, and events are never changed. */
  private readonly stepEvents: readonly StepEvent[];

  /** The event "step `cpu`" (one object per CPU, shared). */
  stepEvent(cpu: number): StepEvent {
    return this.stepEvents[cpu] ?? { kind: "step", cpu };
  }

  /** Splits the CPUs into hosts (at boot). Threads never migrate between hosts. */
  setHosts(hosts: Host[]): void {
    // Every CPU in exactly one host (a model with hosts does this for every run: no sorting).
    const byCpu = new Array<Host | undefined>(this.cpus.length);
    let placed = 0;
    for (const h of hosts)
      for (const c of h.cpus) {
        if (!Number.isInteger(c) || c < 0 || c >= byCpu.length || byCpu[c] !== undefined) placed = -Infinity;
        else byCpu[c] = h;
        placed++;
      }
    if (placed !== this.cpus.length) throw new Error(`hosts must split cpu0..cpu${this.cpus.length - 1} between them, got ${JSON.stringify(hosts)}`);
    this.hostList = hosts;
    this.hostByCpu = byCpu as Host[];
  }

  hostOf(cpu: number): Host {
    return this.hostByCpu[cpu]!;
  }

  // ---- footprints (src/sim/footprint.ts) ----

  /**
   * The model declares (at boot) that its contexts share state only through
   * memory words and spinlocks: their steps are then transparent, told
   * apart by what they touch, unless one does something else the machine
   * cannot see into.
   */
  declareMemoryOnly(): void {
    this.memoryOnly = true;
  }

  /** Whether the model said so. */
  get sharesOnlyMemory(): boolean {
    return this.memoryOnly;
  }

  /** From now on every event's footprint is kept, to be read with footprint() once it has been performed. */
  recordFootprints(): void {
    this.recording = true;
    this.memory.nameStores();
  }

  /** What the last event performed touched (while recording). */
  footprint(): Footprint | undefined {
    return this.lastFootprint;
  }

  /** The footprint of the event under way while recording, else null: kernel code adds what it touched. */
  get touching(): Footprint | null {
    return this.memory.log;
  }

  /** The event under way did something the machine cannot see into (kernel code says so): it depends on every other. */
  unseen(): void {
    if (this.memory.log !== null) this.memory.log.opaque = true;
  }

  /** A footprint for `e`, before it runs: a step is transparent if the model shares only memory; a memory event always is. */
  private startFootprint(e: ScheduleEvent): Footprint {
    if (e.kind === "step") return { cpu: e.cpu, opaque: !this.memoryOnly, accesses: [] };
    if (e.kind === "env" && e.source === this.memory.name) {
      const { cpu } = memoryEventArg(String(e.arg));
      return { cpu, opaque: !(cpu >= 0), accesses: [] };
    }
    return { cpu: e.kind === "env" || e.kind === "migrate" ? -1 : e.cpu, opaque: true, accesses: [] };
  }

  hasClock(): boolean {
    return this.envSources.includes(this.clock);
  }

  /** Virtual time from now on: waits may carry deadlines, and the clock is a source of events. */
  enableClock(): void {
    this.unseen();
    if (!this.envSources.includes(this.clock)) this.envSources.push(this.clock);
  }

  /** Remote interrupts from now on, of which at most `lossBudget` rings may be lost in the run. */
  enableDoorbells(lossBudget: number): Doorbells {
    this.unseen();
    if (this.doorbells === undefined) {
      this.doorbells = new Doorbells(
        lossBudget,
        (cpu, line) => this.raiseIrq(cpu, line),
        (mark) => this.memory.visible(mark),
      );
      this.envSources.push(this.doorbells);
    }
    return this.doorbells;
  }

  /** The nearest deadline after now of a waiting context, if any. */
  nextDeadline(): number | undefined {
    let next: number | undefined;
    // Plain loops, no closure: the drain asks this at every move of a model with a clock.
    for (const t of this.threads) if (!t.done) next = this.sooner(next, t.waiting?.deadline);
    for (const cpu of this.cpus) for (const f of cpu.irqStack) next = this.sooner(next, f.ctx.waiting?.deadline);
    for (const s of this.envSources) next = this.sooner(next, s.nextDeadline?.(this.now));
    return next;
  }

  /** The earlier of a deadline found so far and `d`, counting only deadlines after now. */
  private sooner(next: number | undefined, d: number | undefined): number | undefined {
    return d !== undefined && d > this.now && (next === undefined || d < next) ? d : next;
  }

  /**
   * Clock events taken while something else could still progress: time
   * passed over a CPU that could have run, or a store or doorbell still on
   * its way. A liveness property ("answered before its timeout") holds only
   * for a machine that was not stalled so.
   */
  stalls = 0;

  /**
   * The clock: time jumps to the nearest deadline of a waiting context. The
   * schedule may take it whenever there is one, so time can pass while a CPU
   * is stalled or a doorbell is delayed; the drain takes it only when nothing
   * else can progress (no CPU can step, no interrupt is pending, no store or
   * doorbell is on its way).
   */
  private readonly clock: EnvSource = new Clock(this);

  // ---- building a world ----

  /** Creates a thread on `cpu`'s run queue (or running it, if that CPU is idle). */
  /**
   * Creates a thread on `cpu`'s run queue (or running it, if that CPU is idle).
   * A thread created `parked` starts asleep on that wait, as a kthread that
   * went straight to waiting for work; its code runs once it is woken.
   */
  spawn(name: string, fn: () => Gen<unknown>, opts: { cpu: number; pinned?: boolean; percpu?: boolean; daemon?: boolean; prio?: number; parked?: Wait }): Context {
    if (this.threadByName.has(name)) throw new Error(`thread '${name}' already exists`);
    this.unseen();
    // A thread made for an offline CPU starts on an online one (a per-CPU one goes home once its CPU is back).
    const asked = this.cpu(opts.cpu);
    const cpu = asked.online ? asked : this.fallbackCpu(asked.id);
    const percpu = opts.percpu ?? false;
    const t = new Context(name, "thread", fn(), cpu.id, (opts.pinned ?? false) || percpu, opts.daemon ?? false, opts.prio ?? 0, percpu);
    if (cpu !== asked && percpu) t.home = asked.id;
    this.threads.push(t);
    this.threadByName.set(name, t);
    if (opts.parked !== undefined) {
      t.waiting = opts.parked;
      t.lastLabel = `sleeps until ${opts.parked.what()}`;
    }
    if (cpu.current === null && !t.asleep()) cpu.current = t;
    else cpu.runqueue.push(t);
    return t;
  }

  /** Registers an interrupt line; `count` fresh interrupts may arrive on each of `cpus`. */
  requestIrq(line: string, handler: () => Gen<unknown>, opts: { cpus: number[]; count: number; softirq?: boolean }): void {
    if (this.lines.has(line)) throw new Error(`irq line '${line}' already registered`);
    this.unseen();
    const budget = new Map<number, number>();
    for (const c of opts.cpus) budget.set(this.cpu(c).id, opts.count);
    const l: IrqLine = { name: line, handler, budget, deliveries: 0, soft: opts.softirq ?? false };
    this.lines.set(line, l);
    // `<` orders strings as sort() does (by UTF-16 code units).
    let at = this.sortedLines.length;
    while (at > 0 && line < this.sortedLines[at - 1]!.name) at--;
    this.sortedLines.splice(at, 0, l);
  }

  /**
   * Marks an interrupt pending on a CPU (an IPI, a device); it is delivered
   * by an irq event. A hard interrupt meant for an offline CPU goes to the
   * one that took over its interrupts; a softirq waits for the CPU to be back.
   */
  raiseIrq(cpu: number, line: string): void {
    const l = this.lines.get(line);
    if (l === undefined) throw new Error(`irq line '${line}' is not registered`);
    this.unseen();
    if (!l.soft && !this.cpu(cpu).online) cpu = this.fallbackCpu(cpu).id;
    if (!l.budget.has(cpu)) l.budget.set(cpu, 0);
    this.cpu(cpu).pending.add(line);
  }

  /** Hard interrupt lines (not softirqs) pending on a CPU, sorted. */
  pendingHardIrqs(cpu: Cpu): string[] {
    return [...cpu.pending].filter((l) => !this.lines.get(l)!.soft).sort();
  }

  hasIrqLine(line: string): boolean {
    return this.lines.has(line);
  }

  /** free_irq: the line raises nothing more, and what is pending is dropped. Handlers running finish. */
  freeIrqLine(line: string): void {
    const l = this.lines.get(line);
    if (l === undefined) return;
    this.unseen();
    for (const c of l.budget.keys()) l.budget.set(c, 0);
    for (const cpu of this.cpus) cpu.pending.delete(line);
  }

  /** Whether a handler of `line` is running (or interrupted) on some CPU. */
  handlerRunning(line: string): boolean {
    return this.cpus.some((c) => c.irqStack.some((f) => f.line === line));
  }

  addEnvSource(src: EnvSource): void {
    if (this.envSources.some((s) => s.name === src.name)) throw new Error(`env source '${src.name}' already added`);
    this.unseen();
    this.envSources.push(src);
  }

  cpu(id: number): Cpu {
    const c = this.cpus[id];
    if (c === undefined) throw new Error(`no cpu${id} (the machine has ${this.cpus.length})`);
    return c;
  }

  thread(name: string): Context | undefined {
    return this.threadByName.get(name);
  }

  // ---- what can happen now ----

  /** How many CPUs are offline now. */
  private offline = 0;

  /** The online CPU that takes over from `id` (select_fallback_rq()): the lowest other online one of its host. */
  fallbackCpu(id: number): Cpu {
    const to = this.cpus.find((c) => c.id !== id && c.online && this.hostOf(id).cpus.includes(c.id));
    if (to === undefined) throw new Error(`cpu${id} has no online CPU of its host to hand its threads to`);
    return to;
  }

  /**
   * CPU hotplug: `id` leaves cpu_online_mask (take_cpu_down()), after a full
   * barrier, and its threads go to `to`'s run queue: a per-CPU kernel
   * thread to come back when the CPU does, a thread bound to it no longer
   * affine (select_fallback_rq()): free to run anywhere from now on. The caller makes sure it may: no handler running
   * there, its thread preemptible (stop_machine() got it to run the stopper).
   */
  takeDown(id: number, to: number): void {
    const cpu = this.cpu(id);
    const dest = this.cpu(to);
    if (!cpu.online || !dest.online || id === to) throw new Error(`cpu${id} cannot go offline to cpu${to}`);
    if (cpu.irqStack.length > 0 || (cpu.current !== null && !cpu.preemptible())) throw new Error(`cpu${id} cannot go offline in the middle of ${cpu.top()!.name}`);
    this.unseen();
    this.memory.mb(id);
    cpu.online = false;
    this.offline++;
    // Its device interrupts are routed to `to` from now on (irq_migrate_all_off_this_cpu()).
    for (const [name, l] of this.lines) {
      if (l.soft) continue;
      const left = l.budget.get(id) ?? 0;
      if (left > 0) l.budget.set(to, (l.budget.get(to) ?? 0) + left);
      l.budget.set(id, 0);
      if (cpu.pending.delete(name)) dest.pending.add(name);
    }
    const moved = [...(cpu.current === null ? [] : [cpu.current]), ...cpu.runqueue];
    cpu.current = null;
    cpu.runqueue.length = 0;
    const names = moved.map((t) => (t.percpu ? `${t.name} (per-CPU)` : t.pinned ? `${t.name} (no longer affine to cpu${id})` : t.name));
    for (const t of moved) {
      if (t.percpu && t.home === undefined) t.home = id;
      else if (!t.percpu) t.pinned = false;
      t.cpu = to;
      dest.runqueue.push(t);
    }
    this.record(id, "", 0, `cpu${id} goes offline${moved.length > 0 ? `; ${names.join(", ")} move to cpu${to}` : ""}`);
  }

  /** CPU hotplug: `id` is online again; the per-CPU threads pushed off it go back as soon as they are not running. */
  bringUp(id: number): void {
    const cpu = this.cpu(id);
    if (cpu.online) throw new Error(`cpu${id} is online already`);
    this.unseen();
    cpu.online = true;
    this.offline--;
    const back: string[] = [];
    for (const other of this.cpus) {
      for (const t of [...other.runqueue]) {
        if (t.home !== id) continue;
        other.runqueue.splice(other.runqueue.indexOf(t), 1);
        this.requeue(t);
        back.push(t.name);
      }
    }
    this.record(id, "", 0, `cpu${id} comes online${back.length > 0 ? `; ${back.join(", ")} back on it` : ""}`);
  }

  /** Puts a thread that leaves its CPU on a run queue: its home's if it has one that is online again, else its own CPU's. */
  private requeue(t: Context): void {
    if (t.home !== undefined && this.cpus[t.home]!.online) {
      t.cpu = t.home;
      t.home = undefined;
    }
    this.cpus[t.cpu]!.runqueue.push(t);
  }

  /** Whether a step on this CPU would make progress. */
  canStep(cpu: Cpu): boolean {
    if (!cpu.online) return false;
    const top = cpu.top();
    if (top !== null) return top.canRun();
    return cpu.firstReady() !== undefined;
  }

  /** Interrupt lines that could be delivered on this CPU now, sorted: not one whose handler is already running there. */
  deliverableLines(cpu: Cpu): string[] {
    if (!cpu.irqsEnabled || !cpu.online) return [];
    const out: string[] = [];
    for (const l of this.sortedLines) if (this.deliverable(cpu, l.name, l)) out.push(l.name);
    return out;
  }

  /** Whether `line` could be delivered on `cpu`, whose interrupts are on: raised or budgeted, its handler not running there. */
  private deliverable(cpu: Cpu, name: string, l: IrqLine): boolean {
    // A softirq runs only outside every interrupt and with bottom halves enabled.
    if (l.soft && (cpu.irqStack.length > 0 || cpu.bhDisabled > 0)) return false;
    if (!cpu.pending.has(name) && (l.budget.get(cpu.id) ?? 0) <= 0) return false;
    for (const f of cpu.irqStack) if (f.line === name) return false;
    return true;
  }

  /** The first line, in sorted order, pending on `cpu` and deliverable now; builds no list (the drain asks at every move). */
  private firstPendingLine(cpu: Cpu): string | undefined {
    if (!cpu.irqsEnabled || !cpu.online || cpu.pending.size === 0) return undefined;
    let first: string | undefined;
    // `<` orders strings as sort() does (by UTF-16 code units).
    for (const name of cpu.pending) {
      const l = this.lines.get(name);
      if (l !== undefined && (first === undefined || name < first) && this.deliverable(cpu, name, l)) first = name;
    }
    return first;
  }

  /**
   * Threads a preemption of this CPU could switch to, in run-queue order: ready
   * ones of higher priority, or any ready normal thread when a normal thread
   * runs (time slicing). SCHED_FIFO threads of one priority never preempt
   * each other.
   */
  preemptTargets(cpu: Cpu): Context[] {
    const cur = cpu.current;
    if (cur === null || !cpu.preemptible()) return [];
    return cpu.runqueue.filter((t) => preempts(t, cur));
  }

  /** The CPUs a thread may migrate to: the other CPUs of its host. */
  migrationTargets(t: Context): Cpu[] {
    const host = this.hostOf(t.cpu);
    return this.cpus.filter((c) => movesTo(t, c, host));
  }

  /** Threads that may be moved to another CPU now, in creation order. */
  migratable(): Context[] {
    return this.threads.filter((t) => this.canMigrate(t));
  }

  /** Whether `t` may be moved to another CPU now: it has somewhere to go, another CPU of its host, and is not running unpreemptibly. */
  private canMigrate(t: Context): boolean {
    if (t.done || t.pinned || this.hostOf(t.cpu).cpus.length < 2) return false;
    if (this.offline > 0 && this.migrationTargets(t).length === 0) return false;
    const cpu = this.cpus[t.cpu]!;
    return cpu.current !== t || cpu.preemptible();
  }

  isEnabled(e: ScheduleEvent): boolean {
    if (e.kind === "env") return this.envSource(e.source)?.enabled().some((x) => x.arg === e.arg) ?? false;
    const cpu = this.cpus[e.cpu];
    if (cpu === undefined) return false;
    switch (e.kind) {
      case "step":
        return this.canStep(cpu);
      case "irq":
        return this.deliverableLines(cpu).includes(e.line);
      case "preempt":
        return this.preemptTargets(cpu).some((t) => t.name === e.to);
      case "migrate": {
        const t = this.threadByName.get(e.thread);
        return t !== undefined && this.migratable().includes(t) && this.migrationTargets(t).includes(cpu);
      }
    }
  }

  /**
   * Every event enabled now, in a fixed order (for strategies that pick
   * among them): per CPU its step, its deliverable lines in sorted order,
   * its preemptions; then the migrations; then the environment's events.
   * Online strategies ask at every step, so events are pushed as they are
   * found, with no list of lines or targets made on the way.
   */
  enabledEvents(): ScheduleEvent[] {
    const out: ScheduleEvent[] = [];
    this.listEnabled(out);
    return out;
  }

  /** Whether any event is enabled now (enabledEvents() is not empty), with no list built. */
  anyEnabled(): boolean {
    return this.listEnabled(undefined);
  }

  /** enabledEvents() into `out`; with none, stops at the first enabled event. Returns whether there is one. */
  private listEnabled(out: ScheduleEvent[] | undefined): boolean {
    for (const cpu of this.cpus) {
      if (this.canStep(cpu)) {
        if (out === undefined) return true;
        out.push(this.stepEvent(cpu.id));
      }
      if (cpu.irqsEnabled && cpu.online)
        for (const l of this.sortedLines) {
          if (!this.deliverable(cpu, l.name, l)) continue;
          if (out === undefined) return true;
          out.push({ kind: "irq", cpu: cpu.id, line: l.name });
        }
      const cur = cpu.current;
      if (cur !== null && cpu.preemptible())
        for (const t of cpu.runqueue) {
          if (!preempts(t, cur)) continue;
          if (out === undefined) return true;
          out.push({ kind: "preempt", cpu: cpu.id, to: t.name });
        }
    }
    if (this.cpus.length > 1) {
      // migratable()'s threads, in its order, with no list made.
      for (const t of this.threads) {
        if (!this.canMigrate(t)) continue;
        const host = this.hostOf(t.cpu);
        for (const c of this.cpus) {
          if (!movesTo(t, c, host)) continue;
          if (out === undefined) return true;
          out.push({ kind: "migrate", thread: t.name, cpu: c.id });
        }
      }
    }
    for (const s of this.envSources) {
      const es = s.enabled();
      if (es.length === 0) continue;
      if (out === undefined) return true;
      for (let i = 0; i < es.length; i++) out.push(es[i]!);
    }
    return out !== undefined && out.length > 0;
  }

  // ---- making it happen ----

  /**
   * Applies an event if it is enabled; returns whether it was. `index` is its
   * place in the schedule. `known`: the caller has just found it among the
   * enabled events (fast-check's resolve), so it is not looked for again;
   * an environment event always is (its source must be one of the machine's).
   */
  apply(e: ScheduleEvent, index: number, known = false): boolean {
    if (this.failure !== undefined || !((known && e.kind !== "env") || this.isEnabled(e))) return false;
    this.eventIndex = index;
    this.perform(e);
    return true;
  }

  /**
   * The event the default policy takes next: an environment source's eager
   * move (a CPU applying an invalidation); an interrupt already pending
   * where interrupts are on; else a step of the CPU that ran last, if it can
   * go on, else of the lowest CPU that can; else a preemption of a thread that
   * spins while preemptible, for a ready one (the tick would do it); else the
   * environment's own move, the clock's last of all (`withoutClock` leaves it
   * out: the clock asks this to know whether anything else could happen).
   * Undefined when none of these is possible.
   */
  defaultNext(withoutClock = false): ScheduleEvent | undefined {
    for (const s of this.envSources) {
      const e = s.eagerMove?.();
      if (e !== undefined) return e;
    }
    for (const c of this.cpus) {
      const line = this.firstPendingLine(c);
      if (line !== undefined) return { kind: "irq", cpu: c.id, line };
    }
    const last = this.cpus[this.lastCpu]!;
    if (this.canStep(last)) return this.stepEvent(last.id);
    for (const c of this.cpus) if (this.canStep(c)) return this.stepEvent(c.id);
    for (const cpu of this.cpus) {
      const cur = cpu.current;
      if (cur === null || cur.canRun() || cpu.inIrq || !cpu.preemptible()) continue;
      // The first of preemptTargets() that can run, without the list: the drain asks at every move.
      for (const t of cpu.runqueue) if (preempts(t, cur) && t.canRun()) return { kind: "preempt", cpu: cpu.id, to: t.name };
    }
    // The clock last, wherever it is in the list: it moves only when nothing else can, and by now nothing else can.
    for (const s of this.envSources) {
      if (s === this.clock) continue;
      const e = s.drainMove?.();
      if (e !== undefined) return e;
    }
    return withoutClock || !this.hasClock() ? undefined : this.clock.enabled()[0];
  }

  /**
   * Runs to the end with the default policy (defaultNext), then reports
   * whatever is left blocked as a deadlock and runs the end checks.
   */
  drain(scheduleLength: number): void {
    this.eventIndex = -1;
    this.drainIndex = scheduleLength;
    while (this.failure === undefined) {
      const e = this.defaultNext();
      if (e === undefined) break;
      this.perform(e);
    }
    if (this.failure === undefined) {
      this.action = Math.max(0, this.steps - 1); // a deadlock is reported at the last action taken
      this.checkDeadlock();
    }
    for (const check of this.endChecks) if (this.failure === undefined) check();
  }

  /**
   * Performs an enabled event as one action. A scheduled event on a CPU makes
   * it the one that ran last; in the drain only a step does (an interrupt
   * delivered or a tick taken there does not move the drain's attention).
   */
  private perform(e: ScheduleEvent): void {
    this.beginAction();
    if (e.kind === "step" || this.eventIndex >= 0) this.lastCpu = defaultCpuAfter(e, this.lastCpu);
    const stepper = this.recording && e.kind === "step" && this.hooks.footprinted !== undefined ? this.cpus[e.cpu]!.stepper()?.name : undefined;
    if (this.recording) this.memory.log = this.startFootprint(e);
    switch (e.kind) {
      case "step":
        this.stepCpu(this.cpus[e.cpu]!);
        break;
      case "irq":
        this.deliverIrq(this.cpus[e.cpu]!, e.line);
        break;
      case "preempt":
        this.switchTo(this.cpus[e.cpu]!, this.threadByName.get(e.to)!, this.eventIndex < 0 ? "preempted by the tick" : "preempted");
        break;
      case "migrate":
        this.migrate(this.threadByName.get(e.thread)!, this.cpus[e.cpu]!);
        break;
      case "env": {
        const text = this.envSource(e.source)!.apply(e);
        this.record(-1, "", 0, text);
        break;
      }
    }
    if (this.recording) {
      this.lastFootprint = this.memory.log!;
      this.memory.log = null;
      this.hooks.footprinted?.(e, stepper, this.lastFootprint);
    }
    this.afterAction();
  }

  /**
   * Records a broken property; the first one stands. With a focus, another
   * property's violation is only counted, unless the run cannot go on after
   * it (a crash, a deadlock, a hang, a lost wake-up).
   */
  fail(property: string, v: Violation): void {
    if (this.failure !== undefined) return;
    if (this.focus !== undefined && property !== this.focus && !ENDS_A_RUN.has(property)) {
      this.passedOver.set(property, (this.passedOver.get(property) ?? 0) + 1);
      return;
    }
    const message = typeof v === "string" ? v : v.message;
    const named = typeof v === "string" ? [] : (v.contexts ?? []);
    const first = this.stepping?.name;
    const contexts = [...new Set([...(first ? [first] : []), ...named])];
    this.failure = { property, message, event: this.eventIndex >= 0 ? this.eventIndex : this.drainIndex, step: this.action, contexts };
  }

  /** Where the machine is, for reports: "event 7", or "drain action 31" after the schedule. */
  where(): string {
    return describePlace(this.place());
  }

  /** Where the machine is, as a number to describe later (describePlace): the lock validator marks every lock operation so. */
  place(): number {
    return this.eventIndex >= 0 ? this.eventIndex : -1 - this.action;
  }

  /** Adds a line to the trace on behalf of the running context (used by kernel facilities). */
  note(cpu: number, text: string): void {
    if (this.tracing) this.record(cpu, "", this.cpus[cpu]?.irqStack.length ?? 0, text);
  }

  // ---- internals ----

  private envSource(name: string): EnvSource | undefined {
    return this.envSources.find((s) => s.name === name);
  }

  private stepCpu(cpu: Cpu): void {
    let ctx = cpu.top();
    if (ctx === null) {
      ctx = cpu.firstReady()!;
      cpu.runqueue.splice(cpu.runqueue.indexOf(ctx), 1);
      cpu.current = ctx;
      this.memory.mb(cpu.id); // a context switch is a full barrier (__schedule())
      // A thread switched out while spinning is put back on the CPU still spinning, not let through.
      if (ctx.waiting !== null && !ctx.waiting.until()) {
        this.record(cpu.id, ctx.name, 0, `is back on cpu${cpu.id}, spins until ${ctx.waiting.what()}`);
        return;
      }
    }
    ctx.waiting = null;
    this.stepping = ctx;
    if (ctx.running === null || ctx.running.cpu !== cpu) ctx.running = { machine: this, cpu, ctx };
    setRunning(ctx.running);
    let r: IteratorResult<unknown, unknown>;
    try {
      r = ctx.gen.next();
    } catch (err) {
      setRunning(null);
      this.calls = []; // not `length = 0`, a runtime call
      ctx.done = true;
      const msg = err instanceof Error ? err.message : String(err);
      this.record(cpu.id, ctx.name, cpu.irqStack.length, `oops: ${msg}`);
      this.fail("oops", { message: `${ctx.name} on cpu${cpu.id} crashed: ${msg}` });
      return;
    }
    setRunning(null);
    if (this.calls.length > 0) {
      const notDriven = this.calls.find((c) => !c.started);
      this.calls = []; // not `length = 0`, a runtime call
      // A waiting kernel call made in this step and never driven did nothing; a yield for a yield* is reported below, as what it is.
      const yieldedGenerator = !r.done && typeof (r.value as Generator | null)?.next === "function";
      if (notDriven !== undefined && !yieldedGenerator) {
        const what = `${notDriven.caller} called ${notDriven.callee}() without yield*: it never ran`;
        this.record(cpu.id, ctx.name, cpu.irqStack.length, `oops: ${what}`);
        this.fail("oops", { message: what });
        return;
      }
    }
    if (ctx.kind === "thread" && cpu.current !== ctx && !ctx.done) return this.afterMovedStep(cpu, ctx, r);
    // The step may have moved the context (a sleep) or ended it; take the CPU it ran on.
    const depth = ctx.kind === "irq" ? cpu.irqStack.length : 0;
    if (r.done) {
      ctx.lastLabel = "returns";
      this.record(cpu.id, ctx.name, depth, "returns");
      this.exit(cpu, ctx);
    } else if (typeof r.value === "string") {
      ctx.lastLabel = r.value;
      this.record(cpu.id, ctx.name, depth, r.value);
    } else if ((r.value as { kind?: unknown } | null)?.kind !== "wait") {
      // `yield spin_lock(l)` for `yield* spin_lock(l)`: the call would never run.
      const what = typeof (r.value as Generator | null)?.next === "function" ? "a kernel call's generator: drive it with yield*, not yield" : `${String(r.value)}`;
      ctx.done = true;
      this.record(cpu.id, ctx.name, depth, `oops: yielded ${what}`);
      this.fail("oops", { message: `${ctx.name} on cpu${cpu.id} yielded ${what}` });
    } else {
      const w = r.value as NonNullable<Context["waiting"]>;
      ctx.waiting = w;
      const blocked = !w.until();
      ctx.lastLabel = w.yieldCpu ? w.what() : `${w.sleep ? "sleeps" : "spins"} until ${w.what()}`;
      if (this.tracing) this.record(cpu.id, ctx.name, depth, blocked || w.yieldCpu ? ctx.lastLabel : `${ctx.lastLabel} (already so)`);
      if (w.sleep && (blocked || w.yieldCpu)) this.sleep(cpu, ctx);
    }
  }

  /**
   * A thread whose step took its own CPU offline: it is on another CPU's
   * run queue already, and goes on there (or ends) without the CPU it ran on.
   */
  private afterMovedStep(cpu: Cpu, ctx: Context, r: IteratorResult<unknown, unknown>): void {
    this.unseen();
    const label = r.done ? "returns" : typeof r.value === "string" ? r.value : (r.value as { kind?: unknown } | null)?.kind === "wait" ? (r.value as Wait).what() : `yielded ${String(r.value)}`;
    ctx.lastLabel = label;
    this.record(cpu.id, ctx.name, 0, label);
    if (r.done) {
      const q = this.cpus[ctx.cpu]!.runqueue;
      q.splice(q.indexOf(ctx), 1);
      ctx.done = true;
      this.hooks.onExit?.(ctx, this.cpus[ctx.cpu]!);
    } else if ((r.value as { kind?: unknown } | null)?.kind === "wait") {
      ctx.waiting = r.value as Wait;
    } else if (typeof r.value !== "string") {
      ctx.done = true;
      this.fail("oops", { message: `${ctx.name} yielded ${String(r.value)}` });
    }
  }

  private sleep(cpu: Cpu, ctx: Context): void {
    if (ctx.kind === "irq" || cpu.preemptCount > 0 || !cpu.irqsEnabled) {
      const why = ctx.kind === "irq" ? "in an interrupt handler" : cpu.preemptCount > 0 ? `with preempt_count ${cpu.preemptCount}` : "with interrupts disabled";
      this.fail("sleep-in-atomic", `BUG: sleeping function called from invalid context: ${ctx.name} on cpu${cpu.id} sleeps ${why}`);
      return;
    }
    cpu.current = null;
    this.unseen(); // whoever wakes it is not seen
    this.requeue(ctx);
  }

  private exit(cpu: Cpu, ctx: Context): void {
    ctx.done = true;
    let frame: IrqFrame | undefined;
    if (ctx.kind === "irq") {
      frame = cpu.irqStack.pop()!;
      this.hooks.onExit?.(ctx, cpu, frame);
      cpu.irqsEnabled = frame.savedIrqsEnabled;
    } else {
      cpu.current = null;
      this.hooks.onExit?.(ctx, cpu);
    }
  }

  private deliverIrq(cpu: Cpu, line: string): void {
    const l = this.lines.get(line)!;
    if (cpu.pending.has(line)) cpu.pending.delete(line);
    else l.budget.set(cpu.id, l.budget.get(cpu.id)! - 1);
    l.deliveries++;
    const ctx = new Context(`${line}#${l.deliveries}`, "irq", l.handler(), cpu.id, true, false);
    this.stepping = ctx;
    cpu.irqStack.push({ ctx, line, savedIrqsEnabled: cpu.irqsEnabled, entryPreemptCount: cpu.preemptCount, soft: l.soft });
    cpu.irqsEnabled = false;
    if (this.tracing) this.record(cpu.id, ctx.name, cpu.irqStack.length, `interrupt ${line} taken`);
  }

  private switchTo(cpu: Cpu, next: Context, why: string): void {
    const prev = cpu.current!;
    cpu.runqueue.splice(cpu.runqueue.indexOf(next), 1);
    this.requeue(prev);
    cpu.current = next;
    this.memory.mb(cpu.id); // a context switch is a full barrier (__schedule())
    if (this.tracing) this.record(cpu.id, "", 0, `${prev.name} ${why}, ${next.name} runs`);
  }

  private migrate(t: Context, to: Cpu): void {
    const from = this.cpus[t.cpu]!;
    // The switch away is a full barrier: the thread's stores are visible before it runs elsewhere.
    this.memory.mb(from.id);
    if (from.current === t) from.current = null;
    else from.runqueue.splice(from.runqueue.indexOf(t), 1);
    t.cpu = to.id;
    to.runqueue.push(t);
    if (this.tracing) this.record(from.id, "", 0, `${t.name} migrates to cpu${to.id}`);
  }

  private beginAction(): void {
    this.stepping = null;
    this.action = this.steps++;
  }

  /** After every event and every drained step: the checks, then the step bound. */
  private afterAction(): void {
    if (this.failure === undefined) this.hooks.afterStep?.();
    if (this.failure === undefined && this.steps >= this.maxSteps) {
      const live = this.liveContexts().map((c) => `${c.name} (${c.lastLabel || "not started"})`);
      this.fail("hang", { message: `no end after ${this.steps} steps; still running: ${live.join(", ")}`, contexts: this.liveContexts().map((c) => c.name) });
    }
  }

  /**
   * Contexts the run must still see finish: every handler, every thread but a
   * daemon parked asleep waiting for work (a sleep nobody holds the key to).
   * A daemon spinning, or asleep on something a context holds, still counts.
   */
  private liveContexts(): Context[] {
    const out: Context[] = [];
    for (const cpu of this.cpus) for (const f of cpu.irqStack) out.push(f.ctx);
    for (const t of this.threads) {
      if (t.done) continue;
      const idle = t.daemon && t.waiting !== null && t.waiting.sleep && !t.waiting.until() && (t.waiting.holder?.() ?? null) === null;
      if (!idle) out.push(t);
    }
    return out;
  }

  /**
   * Why a context cannot go on, and whom it waits for: the handler nested on
   * it, the holder of what it waits for, or the context keeping its CPU.
   */
  private blockedBy(c: Context): { why: string; on: Context | undefined } {
    const cpu = this.cpus[c.cpu]!;
    const frames = cpu.irqStack;
    const above = c.kind === "irq" ? frames[frames.findIndex((f) => f.ctx === c) + 1]?.ctx : cpu.current === c ? frames[0]?.ctx : undefined;
    if (above !== undefined) return { why: `${c.name} on cpu${cpu.id} is interrupted by ${above.name} and resumes only when it returns`, on: above };
    if (c.waiting !== null && !c.waiting.until()) {
      const holder = c.waiting.holder?.() ?? null;
      const on = holder === null ? undefined : this.contextNamed(holder);
      return { why: `${c.name} on cpu${cpu.id} ${c.waiting.sleep ? "sleeps" : "spins"} until ${c.waiting.what()}`, on };
    }
    const top = cpu.top();
    const reason = top !== null && top.prio > c.prio ? `, which has a higher priority (SCHED_FIFO ${top.prio})` : top !== null && !cpu.preemptible() ? ", which cannot be preempted" : "";
    return { why: `${c.name} on cpu${cpu.id} is ready but cpu${cpu.id} is held by ${top?.name ?? "nobody"}${reason}`, on: top ?? undefined };
  }

  private contextNamed(name: string): Context | undefined {
    for (const cpu of this.cpus) for (const f of cpu.irqStack) if (f.ctx.name === name) return f.ctx;
    const t = this.threadByName.get(name);
    return t !== undefined && !t.done ? t : undefined;
  }

  private checkDeadlock(): void {
    const live = this.liveContexts();
    if (live.length === 0) return;
    // Follow who-waits-for-whom from each blocked context; a cycle is the deadlock.
    for (const start of live) {
      const path: Context[] = [];
      const reasons: string[] = [];
      for (let c: Context | undefined = start; c !== undefined && !path.includes(c); ) {
        path.push(c);
        const b = this.blockedBy(c);
        reasons.push(b.why);
        c = b.on;
        if (c !== undefined && path.includes(c)) {
          // Tell the cycle from a context that waits for something, if one does.
          const from = path.indexOf(c);
          const cycle = path.slice(from);
          const why = reasons.slice(from);
          const k = Math.max(0, cycle.findIndex((x) => x.waiting !== null && !x.waiting.until()));
          const rot = <T>(xs: T[]) => [...xs.slice(k), ...xs.slice(0, k)];
          this.fail("deadlock", { message: `deadlock: ${rot(why).join("; ")}`, contexts: rot(cycle).map((x) => x.name) });
          return;
        }
      }
    }
    const why = live.map((c) => this.blockedBy(c).why);
    // A lost wake-up only when every context left is a sleeper nobody can wake; else a deadlock.
    const kinds = new Set(live.map((c) => (c.waiting !== null && !c.waiting.until() ? c.waiting.stuck : undefined)));
    const stuck = kinds.size === 1 && [...kinds][0] !== undefined ? [...kinds][0]! : "deadlock";
    this.fail(stuck, { message: `nothing can make progress: ${why.join("; ")}`, contexts: live.map((c) => c.name) });
  }

  /** A trace entry, when tracing; a caller that builds its text for it checks `tracing` first (hunts do not trace). */
  private record(cpu: number, ctx: string, depth: number, text: string): void {
    if (this.tracing) this.trace.push({ step: this.action, event: this.eventIndex, cpu, ctx, depth, text });
  }
}

/** The machine's clock as an environment source (see Machine.clock); a class, so that a machine builds no closures for it. */
class Clock implements EnvSource {
  readonly name = "clock";
  constructor(private readonly m: Machine) {}
  enabled(): EnvEvent[] {
    const next = this.m.nextDeadline();
    return next === undefined ? NO_ENV_EVENTS : [{ kind: "env", source: "clock", arg: next }];
  }
  apply(e: EnvEvent): string {
    const m = this.m;
    const from = m.now;
    const stalled = m.defaultNext(true) !== undefined;
    if (stalled) m.stalls++;
    m.now = Number(e.arg);
    return `time ${from} -> ${m.now} us${stalled ? " (a stall: something else could have gone on)" : ""}`;
  }
}

/** Whether ready thread `t` may preempt `cur` (with the CPU preemptible): a higher priority, or time slicing between normal threads. */
function preempts(t: Context, cur: Context): boolean {
  return !t.asleep() && (t.prio > cur.prio || (t.prio === 0 && cur.prio === 0));
}

/** Whether thread `t` may move to `c`: another online CPU of its host. */
function movesTo(t: Context, c: Cpu, host: Host): boolean {
  return c.id !== t.cpu && c.online && host.cpus.includes(c.id);
}

/** "event 7" for a place() in the schedule, "drain action 31" for one after it. */
export function describePlace(place: number): string {
  return place >= 0 ? `event ${place}` : `drain action ${-1 - place}`;
}

/**
 * The CPU the default policy looks at first after a scheduled event (the
 * last one a step, an interrupt or a preemption was on), when it was
 * `before`: a search that compares costs across schedules needs it.
 */
export function defaultCpuAfter(e: ScheduleEvent, before: number): number {
  return e.kind === "env" || e.kind === "migrate" ? before : e.cpu;
}

export { describeEvent };
