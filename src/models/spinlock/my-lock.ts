// A hand-rolled lock of the kind drivers grow: a correct test-and-set, but
// without the preempt_disable() that spin_lock() puts in front of it. It
// tells lockdep about itself, as lockdep annotations in real code do.
import type { Gen, Lockable } from "../../kernel/index.ts";
import { holder_of, lock_acquire, lock_acquired, lock_released, spin_until } from "../../kernel/index.ts";

export class my_lock_t implements Lockable {
  locked = false;
  constructor(readonly name: string) {}
}

export function* my_lock(l: my_lock_t): Gen {
  lock_acquire(l, "my_lock");
  const holder = holder_of(l);
  for (;;) {
    if (!l.locked) {
      l.locked = true; // an atomic test-and-set (xchg)
      break;
    }
    yield spin_until(() => !l.locked, () => `${l.name} is released (held by ${holder() ?? "nobody"})`, holder);
  }
  lock_acquired(l);
  yield `my_lock(${l.name})`;
}

export function* my_unlock(l: my_lock_t): Gen {
  lock_released(l);
  l.locked = false;
  yield `my_unlock(${l.name})`;
}
