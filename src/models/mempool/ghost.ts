// Ghost state: bookkeeping the real allocator does not have, updated in the
// same atomic step as the real change it describes, so the checks can say
// where every object is at every step.
import { violation } from "../../kernel/index.ts";
import type { FreeObject } from "./structs.ts";

export class Ghost {
  /** Objects out of every list: in a context's hands, or parked by the workload. */
  readonly holder = new Map<FreeObject, string>();
  /** The sequential model: objects alloc() handed out and nobody has given to free() yet. */
  readonly allocated = new Map<FreeObject, string>();
  /** Contexts inside alloc(), free() or the collector; page counts are exact only at zero. */
  busy = 0;

  /** `who` takes `obj` out of a list into its hands. */
  take(obj: FreeObject, who: string): void {
    const other = this.holder.get(obj);
    if (other !== undefined) violation("conservation", { message: `${who} takes ${obj.name} out of a list while ${other} already holds it`, contexts: [other] });
    this.holder.set(obj, who);
  }

  /** `obj` leaves its holder's hands for a list. */
  put(obj: FreeObject): void {
    this.holder.delete(obj);
  }
}

/**
 * Follows `next` links from `head`. A cycle ends the walk with the object
 * it came back to listed a second time, so the checks see it twice.
 */
export function chain(head: FreeObject | null): FreeObject[] {
  const objects: FreeObject[] = [];
  const seen = new Set<FreeObject>();
  for (let o = head; o !== null; o = o.next) {
    objects.push(o);
    if (seen.has(o)) break;
    seen.add(o);
  }
  return objects;
}
