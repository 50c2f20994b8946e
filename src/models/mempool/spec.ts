// The sequential model of the allocator: which objects are allocated, and to
// whom. alloc() and free() report themselves at the step they take effect.
import type { SequentialModel, Violation } from "../../kernel/index.ts";
import type { FreeObject } from "./structs.ts";

export type AllocatorOp = { op: "alloc" | "free"; obj: FreeObject; by: string };

export class AllocatorSpec implements SequentialModel {
  readonly property = "no-double-alloc";
  private readonly allocated = new Map<FreeObject, string>();

  apply(o: unknown): Violation | undefined {
    const { op, obj, by } = o as AllocatorOp;
    const owner = this.allocated.get(obj);
    if (op === "alloc") {
      if (owner !== undefined) return { message: `alloc() hands ${obj.name} to ${by}, but ${owner} was given it already and has not freed it`, contexts: [owner] };
      this.allocated.set(obj, by);
    } else {
      if (owner === undefined) return `free(${obj.name}) by ${by}, but ${obj.name} is not allocated`;
      this.allocated.delete(obj);
    }
    return undefined;
  }
}
