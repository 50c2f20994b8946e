// Lock-less lists (include/linux/llist.h, lib/llist.c): any number of
// producers push with cmpxchg(), a consumer takes the whole list with
// xchg(). Each call is one atomic operation within the caller's step (the
// retry loop of llist_add() ends at its successful cmpxchg()), fully ordered.
import { cmpxchg, xchg } from "./atomic.ts";

export interface llist_node {
  next: llist_node | null;
}

export class llist_head {
  first: llist_node | null = null;
  constructor(readonly name = "llist") {}
}

/** llist_add(): pushes `node`; true if the list was empty. */
export function llist_add(node: llist_node, head: llist_head): boolean {
  for (;;) {
    const first = head.first;
    node.next = first;
    if (cmpxchg(head, "first", first, node) === first) return first === null;
  }
}

/** llist_del_all(): takes every node, newest first. */
export function llist_del_all(head: llist_head): llist_node | null {
  return xchg(head, "first", null);
}

export const llist_empty = (head: llist_head): boolean => head.first === null;

/** llist_reverse_order(): the nodes oldest first, as consumers usually want them. */
export function llist_reverse_order(first: llist_node | null): llist_node | null {
  let out: llist_node | null = null;
  while (first !== null) {
    const next: llist_node | null = first.next;
    first.next = out;
    out = first;
    first = next;
  }
  return out;
}

/** The nodes from `first` on, as an array (llist_for_each). */
export function llist_nodes<T extends llist_node>(first: llist_node | null): T[] {
  const out: T[] = [];
  for (let n = first; n !== null; n = n.next) out.push(n as T);
  return out;
}
