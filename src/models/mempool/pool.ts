// pool::alloc(), pool::free() and their helpers, after OSv core/mempool.cc.
// Every plain read-modify-write is a load step and a store step, so that an
// interrupt or another thread can land between them as it can on hardware.
import { current_name, linearize, smp_processor_id, this_cpu_ptr, violation } from "../../kernel/index.ts";
import type { Gen } from "../../kernel/index.ts";
import type { Hold } from "./lock.ts";
import { DROP_LOCK } from "./lock.ts";
import type { CpuFreeList, FreeObject, Mempool, PageHeader } from "./structs.ts";

const pg = (p: PageHeader) => `pg${p.id}`;
const nm = (o: FreeObject | null) => (o === null ? "NULL" : o.name);

/** A page's count, free list and CPU list may be changed only on the CPU that owns them. */
function mustOwn(what: string, owner: number): void {
  const cpu = smp_processor_id();
  if (cpu !== owner) violation("owner-only", `${current_name()} on cpu${cpu} changes ${what}, which belongs to cpu${owner}`);
}

/** `obj->next` with the NULL check the hardware would make. */
function next_of(obj: FreeObject | null, where: string): FreeObject | null {
  if (obj === null) throw new Error(`NULL pointer dereference: obj->next in ${where}`);
  return obj.next;
}

// ---- the CPU's list of pages with free objects ----

function* list_update(mp: Mempool, what: string, change: (pages: PageHeader[]) => PageHeader[], page: PageHeader): Gen {
  const list: CpuFreeList = this_cpu_ptr(mp.free); // _free-> resolves to the CPU we are on now
  const seen = list.pages.slice();
  yield `_free->${what}(${pg(page)}): load cpu${list.cpu} list links`;
  mustOwn(`cpu${list.cpu}'s page list`, list.cpu);
  mustOwn(`${pg(page)}'s list link`, page.cpu_id);
  list.pages = change(seen);
  yield `_free->${what}(${pg(page)}): store links`;
}

const erase = (mp: Mempool, page: PageHeader) => list_update(mp, "erase", (ps) => ps.filter((p) => p !== page), page);
const push_front = (mp: Mempool, page: PageHeader) => list_update(mp, "push_front", (ps) => [page, ...ps], page);
const push_back = (mp: Mempool, page: PageHeader) => list_update(mp, "push_back", (ps) => [...ps, page], page);

// ---- allocation ----

/** untracked_alloc_page() and the header set-up of pool::add_page(). Called with preemption enabled. */
function* add_page(mp: Mempool): Gen {
  const page: PageHeader = { id: mp.pages.length, cpu_id: -1, nalloc: 0, local_free: null, objects: [], initialized: false, released: false };
  for (let i = 0; i < mp.objectsPerPage; i++) page.objects.push({ name: `${pg(page)}.${i}`, page, serial: page.id * mp.objectsPerPage + i, next: null });
  mp.pages.push(page);
  mp.ghost.touch(page);
  yield `untracked_alloc_page() = ${pg(page)}`;
  const hold = yield* mp.lock.lock();
  page.cpu_id = smp_processor_id();
  for (let i = page.objects.length - 1; i >= 0; i--) {
    const obj = page.objects[i]!;
    obj.next = page.local_free;
    page.local_free = obj;
  }
  page.initialized = true;
  yield `${pg(page)}: cpu_id = ${page.cpu_id}, nalloc = 0, local_free = ${page.objects.length} objects`;
  yield* push_back(mp, page);
  yield* mp.lock.unlock(hold);
}

/** pool::alloc() */
export function* alloc(mp: Mempool): Gen<FreeObject> {
  const hold = yield* mp.lock.lock();
  let header: PageHeader | undefined;
  for (;;) {
    header = this_cpu_ptr(mp.free).pages[0]; // while (_free->empty()) / _free->begin()
    if (header !== undefined) break;
    yield `_free->empty() on cpu${smp_processor_id()}`;
    yield* DROP_LOCK(mp.lock, hold, () => add_page(mp)); // add_page may block
  }
  mp.ghost.touch(header);
  yield `header = _free->begin() = ${pg(header)}`;
  const obj = header.local_free;
  yield `obj = header->local_free = ${nm(obj)}`;
  const n = header.nalloc;
  yield `load ${pg(header)}->nalloc (${n})`;
  mustOwn(`${pg(header)}->nalloc`, header.cpu_id);
  header.nalloc = n + 1;
  yield `store ${pg(header)}->nalloc = ${n + 1}`;
  const nx = next_of(obj, "alloc");
  yield `load ${nm(obj)}->next (${nm(nx)})`;
  mustOwn(`${pg(header)}->local_free`, header.cpu_id);
  header.local_free = nx;
  mp.ghost.take(obj!);
  linearize({ op: "alloc", obj, by: current_name() });
  yield `${pg(header)}->local_free = ${nm(nx)}`;
  const empty = header.local_free === null;
  yield `if (!${pg(header)}->local_free): ${empty ? "page now full" : "page still has free objects"}`;
  if (empty) yield* erase(mp, header);
  yield* mp.lock.unlock(hold);
  mp.ghost.untouch();
  return obj!;
}

// ---- freeing ----

/** pool::have_full_pages(): is a wholly free page waiting at the back of this CPU's list? */
function have_full_pages(mp: Mempool): boolean {
  const pages = this_cpu_ptr(mp.free).pages;
  const back = pages[pages.length - 1];
  return back !== undefined && back.nalloc === 0;
}

/** pool::free_same_cpu(): `obj` belongs to this CPU. Called with the pool lock held. */
export function* free_same_cpu(mp: Mempool, obj: FreeObject, hold: Hold): Gen {
  const header = obj.page;
  mp.ghost.touch(header);
  const n = header.nalloc;
  yield `load ${pg(header)}->nalloc (${n})`;
  mustOwn(`${pg(header)}->nalloc`, header.cpu_id);
  header.nalloc = n - 1;
  yield `store ${pg(header)}->nalloc = ${n - 1}`;
  if (n - 1 === 0 && have_full_pages(mp)) {
    yield `have_full_pages() on cpu${smp_processor_id()}: release ${pg(header)}`;
    const listed = header.local_free !== null;
    yield `load ${pg(header)}->local_free (${nm(header.local_free)})`;
    if (listed) yield* erase(mp, header);
    yield* DROP_LOCK(mp.lock, hold, () => untracked_free_page(mp, header, obj));
    return;
  }
  if (n - 1 === 0) yield `have_full_pages() on cpu${smp_processor_id()}: keep ${pg(header)}`;
  const wasFull = header.local_free === null;
  yield `load ${pg(header)}->local_free (${nm(header.local_free)})`;
  if (wasFull) {
    const used = header.nalloc;
    yield `load ${pg(header)}->nalloc (${used})`;
    if (used) yield* push_front(mp, header);
    else yield* push_back(mp, header);
  }
  obj.next = header.local_free;
  yield `${obj.name}->next = ${pg(header)}->local_free (${nm(obj.next)})`;
  mustOwn(`${pg(header)}->local_free`, header.cpu_id);
  header.local_free = obj;
  mp.ghost.put(obj);
  yield `${pg(header)}->local_free = ${obj.name}`;
}

/** untracked_free_page(): with the pool lock dropped, `page` (its last object `freed` included) goes back. */
function* untracked_free_page(mp: Mempool, page: PageHeader, freed: FreeObject): Gen {
  releasePage(mp, page, freed);
  yield `untracked_free_page(${pg(page)})`;
}

/** The page goes back to the page allocator, and every object on it with it. */
function releasePage(mp: Mempool, page: PageHeader, freed: FreeObject): void {
  mp.ghost.put(freed);
  page.released = true;
  for (const o of page.objects) {
    const who = mp.ghost.holders.get(o)?.[0];
    if (who !== undefined) violation("page-accounting", { message: `${pg(page)} is given back to the page allocator while ${o.name} on it is still held by ${who}`, contexts: [who] });
  }
  for (const [o, where] of mp.handover.queued()) {
    if (o.page === page) violation("page-accounting", `${pg(page)} is given back to the page allocator while ${o.name} on it still waits in ${where}`);
  }
}

/** pool::free() */
export function* free(mp: Mempool, obj: FreeObject): Gen {
  linearize({ op: "free", obj, by: current_name() });
  const hold = yield* mp.lock.lock();
  const obj_cpu = obj.page.cpu_id;
  const cur_cpu = smp_processor_id();
  yield `free(${obj.name}): obj_cpu = ${obj_cpu}, cur_cpu = ${cur_cpu}`;
  if (obj_cpu === cur_cpu) {
    if (mp.handover.before_free_same_cpu) yield* mp.handover.before_free_same_cpu(cur_cpu, hold);
    yield* free_same_cpu(mp, obj, hold);
  } else {
    yield* mp.handover.free_different_cpu(obj, obj_cpu, cur_cpu);
  }
  yield* mp.lock.unlock(hold);
  mp.ghost.untouch();
}
