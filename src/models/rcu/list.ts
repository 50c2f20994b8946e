// The module's data: a singly linked list read under RCU, and the code that
// reads and updates it. Every function here is the module's code.
import type { Code, Gen, module, spinlock_t } from "../../kernel/index.ts";
import {
  call_rcu,
  check_not_freed,
  DEFINE_SPINLOCK,
  GFP_KERNEL,
  kfree,
  kmalloc,
  module_function,
  rcu_assign_pointer,
  rcu_dereference,
  rcu_read_lock,
  rcu_read_unlock,
  spin_lock,
  spin_lock_irqsave,
  spin_unlock,
  spin_unlock_irqrestore,
} from "../../kernel/index.ts";

export interface Element {
  readonly name: string;
  data: number;
  next: Element | null;
}

export class ModuleData {
  first: Element | null = null;
  readonly list_lock: spinlock_t = DEFINE_SPINLOCK("demo_list_lock");
  nextId = 0;
  /** Ghost: elements allocated, and elements freed. */
  allocated = 0;
  freed = 0;
  /** How many more times demo_timer expires: it re-arms itself while this stays above 0. */
  timer_left = 0;
  /** The RCU callback that frees a removed element, as call_rcu() is handed it. */
  readonly free_element: Code<[object]>;

  constructor(
    readonly mod: module,
    /** Free at once after list_del_rcu(), without waiting for a grace period. */
    readonly freeEarly: boolean,
  ) {
    this.free_element = module_function(mod, "free_element", (head: object) => free_element(this, head));
  }

  newElement(): Element {
    this.allocated++;
    return { name: `el${this.nextId++}`, data: this.nextId, next: null };
  }
}

/** The RCU callback: frees an element once no reader can be on it any more. */
function* free_element(d: ModuleData, head: object): Gen {
  const el = head as Element;
  kfree(el);
  d.freed++;
  yield `kfree(${el.name})`;
}

/** The reader: walks the list under rcu_read_lock(), a pointer load and a data load per element. */
export function* demo_read(d: ModuleData): Gen {
  rcu_read_lock();
  let p = rcu_dereference(d.first, "demo_list.first");
  yield `rcu_read_lock(); p = rcu_dereference(first) = ${p?.name ?? "NULL"}`;
  while (p !== null) {
    check_not_freed(p, `${p.name}->data`);
    const data = p.data;
    yield `read ${p.name}->data (${data})`;
    p = rcu_dereference(p.next, "p->next");
    yield `p = rcu_dereference(p->next) = ${p?.name ?? "NULL"}`;
  }
  rcu_read_unlock();
  yield "rcu_read_unlock()";
}

/** Unlinks the first element under the update lock and hands it to RCU (or, wrongly, frees it at once). */
function* del_first(d: ModuleData): Gen {
  const el = d.first;
  yield `el = demo_list.first = ${el?.name ?? "NULL"}`;
  if (el === null) return;
  d.first = el.next; // list_del_rcu(): one store; readers already on el still see its next
  yield `list_del_rcu(${el.name})`;
  if (d.freeEarly) {
    kfree(el);
    d.freed++;
    yield `kfree(${el.name})`;
  } else {
    call_rcu(el, d.free_element);
    yield `call_rcu(${el.name}, free_element)`;
  }
}

/** Removing one element from process context, or from a timer (the timer softirq runs with interrupts on). */
export function* demo_del(d: ModuleData): Gen {
  const flags = yield* spin_lock_irqsave(d.list_lock);
  yield* del_first(d);
  yield* spin_unlock_irqrestore(d.list_lock, flags);
}

/** The same from an interrupt handler (interrupts are off already). */
export function* demo_del_atomic(d: ModuleData): Gen {
  yield* spin_lock(d.list_lock);
  yield* del_first(d);
  yield* spin_unlock(d.list_lock);
}

/** The module's exit frees what is left on the list (nobody can reach it any more). */
export function* demo_free_all(d: ModuleData): Gen {
  for (let el = d.first; el !== null; ) {
    const next = el.next;
    kfree(el);
    d.freed++;
    yield `kfree(${el.name})`;
    el = next;
  }
  d.first = null;
}

/** The updater adding one element at the front. */
export function* demo_add(d: ModuleData): Gen {
  yield* kmalloc(16, GFP_KERNEL);
  const el = d.newElement();
  const flags = yield* spin_lock_irqsave(d.list_lock);
  el.next = d.first;
  rcu_assign_pointer(d, "first", el);
  yield `list_add_rcu(${el.name})`;
  yield* spin_unlock_irqrestore(d.list_lock, flags);
}
