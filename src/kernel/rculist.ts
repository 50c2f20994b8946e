// RCU-protected lists (include/linux/rculist.h): a circular doubly linked
// list whose readers follow `next` pointers under rcu_read_lock() while an
// updater (holding the list's lock) adds and removes entries. Adding
// publishes the entry with rcu_assign_pointer(); removing unlinks it but
// leaves its `next` for readers still on it, so it may be freed only after a
// grace period (synchronize_rcu(), call_rcu(), kfree_rcu()).
import { rcu_assign_pointer, rcu_dereference } from "./rcu.ts";
import { check_not_freed } from "./sleep.ts";

export interface list_head {
  next: list_head;
  prev: list_head;
  /** The name a report gives this entry (or the list head). */
  name: string;
}

/** LIST_HEAD(name): an empty list. */
export function LIST_HEAD(name: string): list_head {
  const h = { name } as list_head;
  h.next = h;
  h.prev = h;
  return h;
}

/** An entry not yet on any list. */
export function INIT_LIST_HEAD<T extends { name: string }>(entry: T): T & list_head {
  const e = entry as T & list_head;
  e.next = e;
  e.prev = e;
  return e;
}

/** __list_add_rcu(): links `entry` between `prev` and `next`, published with rcu_assign_pointer(). */
function __list_add_rcu(entry: list_head, prev: list_head, next: list_head): void {
  entry.next = next;
  entry.prev = prev;
  rcu_assign_pointer(prev, "next", entry);
  next.prev = entry;
}

/** list_add_rcu(): adds `entry` at the front. Part of the caller's step. */
export function list_add_rcu(entry: list_head, head: list_head): void {
  __list_add_rcu(entry, head, head.next);
}

/** list_add_tail_rcu(): adds `entry` at the end. */
export function list_add_tail_rcu(entry: list_head, head: list_head): void {
  __list_add_rcu(entry, head.prev, head);
}

/** list_del_rcu(): unlinks `entry`; its `next` stays, for readers on it. It may be freed only after a grace period. */
export function list_del_rcu(entry: list_head): void {
  const { prev, next } = entry;
  next.prev = prev;
  prev.next = next; // WRITE_ONCE(prev->next, next): one store, never torn
  entry.prev = entry; // LIST_POISON2
}

/** list_empty_rcu-ish: whether the list has no entry. */
export const list_empty = (head: list_head): boolean => head.next === head;

/**
 * list_for_each_entry_rcu(), one hop at a time: the first entry after
 * `pos` (the head to start), or null at the end. Each hop is an
 * rcu_dereference(): following a pointer to a freed entry is a use after
 * free. A reader yields between hops, so that updaters can run in between.
 */
export function list_next_rcu<T extends list_head>(pos: list_head, head: list_head): T | null {
  if (pos !== head) check_not_freed(pos, `${pos.name} (reading ${pos.name}->next)`);
  const next = rcu_dereference(pos.next, `${pos.name}->next`);
  return next === head ? null : (next as T);
}

/** All entries, in order, read at once (for updaters holding the lock, and for checks). */
export function list_entries<T extends list_head>(head: list_head): T[] {
  const out: T[] = [];
  for (let p = head.next; p !== head; p = p.next) out.push(p as T);
  return out;
}
