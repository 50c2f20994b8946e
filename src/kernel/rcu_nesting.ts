// Read-side nesting per context, kept apart from the rest of RCU so that
// might_sleep() can see whether the caller is inside rcu_read_lock().
import type { Machine } from "../sim/machine.ts";

export interface ReadSides {
  /** rcu_read_lock() depth, per context. */
  readonly nesting: Map<string, number>;
  /** Outermost sections entered so far, per context: (context, number) names one section. */
  readonly sections: Map<string, number>;
}

const KEY = {};

export function read_sides(m: Machine): ReadSides {
  let r = m.ext.get(KEY) as ReadSides | undefined;
  if (r === undefined) m.ext.set(KEY, (r = { nesting: new Map(), sections: new Map() }));
  return r;
}
