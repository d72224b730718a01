/*
 * event.h - the one event vocabulary of arenascope, and the sink it flows through.
 *
 * Every change of state that the UI can show is an event.  The allocator (arenas, pools,
 * blocks), the object runtime (objects, reference counts, weak references, finalizers), the
 * cycle collector and the workloads (step markers, names, call stacks) all emit through one
 * `struct event_sink`.  The trace writer encodes what it receives, the model folds it into
 * state, `dump` prints it and the UI narrates it.  All of them are generated from, or checked
 * against, the table below.
 *
 * The table
 * ---------
 * EVENT_KINDS(X) calls X(KIND, name, flags, tail, say, FIELDS) once per kind, in id order.
 *
 *   KIND    the enumerator suffix: EV_KIND.
 *   name    the lowercase name used by dump, JSON and the trace schema; also the union member.
 *   flags   EVF_OPTIONAL when a reader that does not know the kind may skip it (narration,
 *           extra detail); 0 when skipping it would leave the model wrong.
 *   tail    index of the first field that is usually zero (a stack id, an owner); the encoder
 *           may leave those trailing fields out when all of them are zero.  Equal to the field
 *           count when no field is elidable.
 *   say     the event in one plain sentence for the event log, with {field} where a field's
 *           value goes: the sentence the viewer gives a kind it has no better words for (it
 *           names pools, objects and reasons itself when it knows them, ui/narrate.c).
 *   FIELDS  EV_FIELD(type, name) EV_FIELD(type, name)..., in order, where type is one of
 *             u  unsigned integer
 *             i  signed integer
 *             a  address (in the observed heap or of an object)
 *             p  address that may be 0 (nullable)
 *             s  text (at most one per kind, always last; carried in event.str, not the struct)
 *           and EV_ROLE(role, type, name) for a field that says what the event is about, one of
 *           EV_ROLES below: the block, pool or arena it concerns, the size class, the object.
 *           The UI picks what to select and the validator what an operation touched by role,
 *           never by kind.
 *
 * EV_FIELD means whatever the code expanding the table defines it to mean just before (a struct
 * member, a name string, a type letter); it is undefined between expansions.  EV_ROLE is
 * EV_FIELD unless the expansion says otherwise (tracer/format/schema.c reads the roles).
 *
 * Adding a kind is one line here plus its handling: the compiler's -Wswitch-enum points at
 * every switch that must learn it.  Ids are positions in this table but never appear in a
 * trace without the schema that names them (tracer/format/FORMAT.md), so inserting a kind in
 * the middle does not break old files.  Renaming a kind or a field does: don't.
 *
 * The sink contract
 * -----------------
 * - A sink is a function and a context pointer.  A producer with no sink (emit == NULL) pays
 *   one predictable branch per would-be event and builds nothing.
 * - The event pointer is valid only during the call; the sink copies what it keeps (str too).
 * - A sink never allocates from the heap it observes, and never calls back into it.  It may use
 *   libc's malloc, which is not the observed heap.
 * - Producers emit from one thread.  A sink needs no locking of its own for one producer.
 * - Producers never unwind the stack while holding the allocator's lock: the stack id carried by
 *   an allocation is interned before the allocator is entered (see stack ids below).
 *
 * Order is the order of effects
 * -----------------------------
 * - Every effect is stated by an event: a consumer folds what events say and never works out
 *   what the allocator must have done.  How a pool's free list and virgin space change is in
 *   block_alloc's `virgin`; a pool becoming full, used again or empty is an event of its own.
 * - An allocation's block_alloc follows the pool events that made room for it:
 *     arena_vector? arena_new? arena_move? (pool_carve | pool_uncache) arena_move? pool_init?
 *     block_alloc pool_full?
 *   the first arena_move puts a new arena at the head of usable_arenas; the second takes the
 *   head off it when that pool was its last free one.  A pool that becomes full by that
 *   allocation emits pool_full after the block_alloc.  When no arena can be had, the request
 *   goes to the raw layer: arena_vector? raw_alloc(why RAW_NO_ARENA).
 * - A free's block_free precedes the transitions it causes:
 *     block_free (pool_unfull | pool_empty)? arena_move? arena_free?
 * - realloc emits its effects first and then one `realloc` summary:
 *     in place:            realloc(old == new, outcome IN_PLACE); the block's requested size
 *                          changes to `size`.
 *     moved (any layer):   the alloc events of the new block, then the free events of the old
 *                          block, then realloc(outcome MOVED | TO_RAW | SHRUNK).
 *     raw block:           raw_realloc (the C library resized it, possibly moving it), then
 *                          realloc(outcome RAW).  A raw block is never adopted by the pools.
 * - calloc emits the allocation's events, then a `calloc` summary.
 * - Creating an object: block_alloc of its memory (none when it comes from a free list), for a
 *   GC type gc_count(0) and possibly a whole collection (CPython 3.8-3.11 collect inside the
 *   allocation), then obj_new, obj_storage for item arrays or key tables, then gc_track.
 * - A decref that reaches zero is followed by the deallocation it causes, in CPython's order:
 *   gc_untrack first (tp_dealloc untracks before anything else), then the finalizer and the
 *   clearing of weak references with their callbacks, the decrefs of the referents (reason
 *   REF_DEALLOC, owner the dying object; recursively, depth first), obj_storage(0), obj_free,
 *   gc_count, and block_free (none when the memory goes to a free list).
 *
 * Stack ids
 * ---------
 * 0 means "no stack recorded".  A non-zero id is defined by a `stack_def` event that precedes
 * its first use; each distinct stack is defined once per trace.  Stacks form a tree: a stack is
 * its own innermost frames on top of its parent stack (the callers), defined before it, so that
 * a new stack costs one frame however deep it is.
 */
#ifndef ALLOCATOR_EVENT_H
#define ALLOCATOR_EVENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EVF_OPTIONAL 1u /* readers that do not know the kind may skip it */

/* What a field with a role names (EV_ROLE in the table).  A kind has each role at most once. */
#define EV_ROLES(X)                                                                              \
    X(ADDR, "a block of a pool or of the raw layer (where it starts)")                          \
    X(POOL, "a pool (its address)")                                                             \
    X(ARENA, "an arena (its base address)")                                                     \
    X(SLOT, "an arena (its slot in the arenas vector)")                                         \
    X(CLASS, "a size class")                                                                    \
    X(OBJ, "an object (its PyObject address)")

#define EV__ROLE(name, text) EV_ROLE_##name,
enum ev_role { EV_ROLE_NONE, EV_ROLES(EV__ROLE) EV_ROLE_COUNT };
#undef EV__ROLE

/* A field with a role is a field: expansions that care about roles redefine this. */
#define EV_ROLE(role, t, n) EV_FIELD(t, n)

/* clang-format off */
#define EVENT_KINDS(X)                                                                          \
    /* --- arenas ------------------------------------------------------------------------ */  \
    /* an arena was obtained: its serial number (counts every arena obtained), its slot in   */  \
    /* the arenas vector, base address, pools it can hold (63 or 64 when misaligned), and    */  \
    /* the sliver: bytes skipped before the first pool boundary.                             */  \
    X(ARENA_NEW, arena_new, 0, 5,                                                                   \
      "a new arena (number {serial}) is obtained at {base}: {npools} pools; it takes slot {slot} of the arenas vector", \
      EV_FIELD(u, serial) EV_ROLE(SLOT, u, slot) EV_ROLE(ARENA, a, base) EV_FIELD(u, npools) EV_FIELD(u, sliver)) \
    /* the arena in `slot` was returned to the system                                        */  \
    X(ARENA_FREE, arena_free, 0, 2,                                                                 \
      "the arena in slot {slot} ({base}) holds only empty pools: it is returned to the system",     \
      EV_ROLE(SLOT, u, slot) EV_ROLE(ARENA, a, base))                                               \
    /* the arena moved in usable_arenas: now right after slot `after - 1`, at the head when  */  \
    /* after == 0, or off the list (completely allocated, or about to be freed) when -1      */  \
    X(ARENA_MOVE, arena_move, 0, 2,                                                                 \
      "arena {slot} moves in usable_arenas",                                                        \
      EV_ROLE(SLOT, u, slot) EV_FIELD(i, after))                                                    \
    /* the arenas vector grew to `slots` entries (16, 32, 64, ...)                           */  \
    X(ARENA_VECTOR, arena_vector, 0, 1,                                                             \
      "the arenas vector grows to {slots} slots",                                                   \
      EV_FIELD(u, slots))                                                                           \
    /* --- pools -------------------------------------------------------------------------- */ \
    /* a never-used pool was carved at the arena's high-water mark; it becomes the only      */  \
    /* member of its class's ring once pool_init or the allocation names the class           */  \
    X(POOL_CARVE, pool_carve, 0, 2,                                                                 \
      "a new pool is carved from the arena's untouched memory: {pool} (the arena's high-water mark moves up)", \
      EV_ROLE(POOL, a, pool) EV_ROLE(SLOT, u, slot))                                                \
    /* an empty pool was popped from its arena's cache of empty pools                        */  \
    X(POOL_UNCACHE, pool_uncache, 0, 1,                                                             \
      "{pool} is taken back from its arena's cache of empty pools",                                 \
      EV_ROLE(POOL, a, pool))                                                                       \
    /* the pool's header was (re)initialised for size class `szidx`: no block handed out, all */  \
    /* of them virgin (nextoffset at the first).  It becomes the only member of its class's  */  \
    /* ring.  A cached pool of the same class is reused without this event.                  */  \
    X(POOL_INIT, pool_init, 0, 2,                                                                   \
      "{pool} is set up for class {szidx}: it becomes the only pool in the class's ring",           \
      EV_ROLE(POOL, a, pool) EV_ROLE(CLASS, u, szidx))                                              \
    /* used -> full: the last block was taken; the pool left its class's ring                */  \
    X(POOL_FULL, pool_full, 0, 1,                                                                   \
      "{pool} is full: it leaves its class's ring",                                                 \
      EV_ROLE(POOL, a, pool))                                                                       \
    /* full -> used: a block was freed; the pool was linked at the front of its class's ring */  \
    X(POOL_UNFULL, pool_unfull, 0, 1,                                                               \
      "{pool} has a free block again: it goes back to the front of its class's ring",               \
      EV_ROLE(POOL, a, pool))                                                                       \
    /* used -> empty: the last block was freed; the pool left its ring and was pushed on the */  \
    /* front of its arena's cache of empty pools                                             */  \
    X(POOL_EMPTY, pool_empty, 0, 1,                                                                 \
      "{pool} is empty: it leaves its class's ring for the front of its arena's cache of empty pools", \
      EV_ROLE(POOL, a, pool))                                                                       \
    /* --- blocks and the raw layer ------------------------------------------------------- */ \
    /* a pool block was handed out for a request of `size` bytes: the head of its pool's free */  \
    /* list, or the first virgin block of a pool just initialised.  `virgin` is how many      */  \
    /* blocks left the pool's virgin space with it (nextoffset moved by that many blocks):    */  \
    /*   0  the block was the head of the free list; its successor is the head now (none: the */  \
    /*      pool had no virgin block left either, and pool_full follows)                     */  \
    /*   1  it was the last block on the list, and the next virgin block was threaded as the  */  \
    /*      new list (pymalloc_pool_extend)                                                  */  \
    /*   2  the pool was just initialised: the block is its first, and the second is threaded */  \
    /*      as the list                                                                      */  \
    X(BLOCK_ALLOC, block_alloc, 0, 2,                                                               \
      "alloc {size} B: the block at {addr}, the head of its pool's free list",                      \
      EV_ROLE(ADDR, a, addr) EV_FIELD(u, size) EV_FIELD(u, stack) EV_FIELD(u, virgin))              \
    /* a pool block was given back: it is now the head of its pool's free list               */  \
    X(BLOCK_FREE, block_free, 0, 1,                                                                 \
      "free {addr}: the block goes to the head of its pool's free list",                            \
      EV_ROLE(ADDR, a, addr))                                                                       \
    /* the block at `addr`, just handed out by block_alloc or raw_alloc, is arenascope's own:   */  \
    /* a real interpreter made it only because the capture watches it (3.11 makes a frame      */  \
    /* object for each call its trace function sees, and a line array for each code object).  */  \
    /* The allocator placed it as any other; counts of the program's allocations leave it    */  \
    /* out.  It follows that allocation before any step marker.                              */  \
    X(BLOCK_TOOL, block_tool, EVF_OPTIONAL, 1,                                                     \
      "the block at {addr} is arenascope's own: the interpreter made it for the capture",          \
      EV_ROLE(ADDR, a, addr))                                                                       \
    /* a request went to the C library: `why` is an ev_raw_why                               */  \
    X(RAW_ALLOC, raw_alloc, 0, 3,                                                                   \
      "alloc {size} B goes to the C library's malloc: {addr}",                                      \
      EV_ROLE(ADDR, a, addr) EV_FIELD(u, size) EV_FIELD(u, why) EV_FIELD(u, stack))                 \
    X(RAW_FREE, raw_free, 0, 1,                                                                     \
      "free {addr}: a block of the C library's malloc, given back to it",                           \
      EV_ROLE(ADDR, a, addr))                                                                       \
    /* the C library resized a raw block (it may have moved)                                 */  \
    X(RAW_REALLOC, raw_realloc, 0, 3,                                                               \
      "the C library resizes {old} to {size} B, now at {addr}",                                     \
      EV_FIELD(a, old) EV_ROLE(ADDR, a, addr) EV_FIELD(u, size))                                    \
    /* summary of a realloc after its effects; `outcome` is an ev_realloc_outcome            */  \
    X(REALLOC, realloc, 0, 4,                                                                       \
      "realloc of {old} to {size} B: now at {addr}",                                                \
      EV_FIELD(a, old) EV_ROLE(ADDR, a, addr) EV_FIELD(u, size) EV_FIELD(u, outcome))               \
    /* summary of a calloc after its effects                                                 */  \
    X(CALLOC, calloc, EVF_OPTIONAL, 3,                                                              \
      "calloc of {nmemb} x {size} B: {addr}, zero-filled",                                          \
      EV_ROLE(ADDR, a, addr) EV_FIELD(u, nmemb) EV_FIELD(u, size))                                  \
    /* --- objects ------------------------------------------------------------------------ */ \
    /* a type: id (> 0), instance size, item size, ev_type_flags, name                       */  \
    X(TYPE_NEW, type_new, 0, 4,                                                                     \
      "type {name} is defined: an instance takes {basicsize} B",                                    \
      EV_FIELD(u, type) EV_FIELD(u, basicsize) EV_FIELD(u, itemsize) EV_FIELD(u, flags) EV_FIELD(s, name)) \
    /* an object came to life with refcount 1 at `obj` (the PyObject address; a GC object's  */  \
    /* block starts at obj - gc header).  `size` is the bytes it occupies in its block or    */  \
    /* raw allocation; `flags` is ev_obj_flags (from a free list, static/immortal).          */  \
    X(OBJ_NEW, obj_new, 0, 3,                                                                       \
      "{obj} comes to life ({size} B) with refcount 1",                                             \
      EV_ROLE(OBJ, a, obj) EV_FIELD(u, type) EV_FIELD(u, size) EV_FIELD(u, flags) EV_FIELD(u, stack)) \
    /* an object was destroyed; `flags` EV_OBJ_FREELIST when its memory went to a free list  */  \
    X(OBJ_FREE, obj_free, 0, 1,                                                                     \
      "{obj} is destroyed",                                                                         \
      EV_ROLE(OBJ, a, obj) EV_FIELD(u, flags))                                                      \
    /* the object's item storage (list items, dict keys) now lives at `addr`, `size` bytes; */  \
    /* addr == 0 when it has none                                                            */  \
    X(OBJ_STORAGE, obj_storage, 0, 3,                                                               \
      "{obj} keeps its items in {size} B at {addr}",                                                \
      EV_ROLE(OBJ, a, obj) EV_FIELD(p, addr) EV_FIELD(u, size))                                     \
    /* a reference to `obj` was taken or dropped: `refcnt` is the new count, `reason` an     */  \
    /* ev_ref_reason, `owner` the object holding the reference (0 for names, the stack, C)   */  \
    X(INCREF, incref, 0, 3,                                                                         \
      "incref: {obj} now has refcount {refcnt}",                                                    \
      EV_ROLE(OBJ, a, obj) EV_FIELD(u, refcnt) EV_FIELD(u, reason) EV_FIELD(p, owner))              \
    X(DECREF, decref, 0, 3,                                                                         \
      "decref: {obj} now has refcount {refcnt}",                                                    \
      EV_ROLE(OBJ, a, obj) EV_FIELD(u, refcnt) EV_FIELD(u, reason) EV_FIELD(p, owner))              \
    /* the reference `from` held to obj now belongs to `to` (0: names, the stack, C) and the  */  \
    /* count is unchanged, e.g. list.pop() handing the list's reference to its caller          */  \
    X(REF_MOVE, ref_move, 0, 2,                                                                     \
      "the reference to {obj} held by {from} now belongs to {to}; the refcount does not change",    \
      EV_ROLE(OBJ, a, obj) EV_FIELD(p, from) EV_FIELD(p, to))                                       \
    /* a value was shown to the user, e.g. the int a demo's print() would print              */  \
    X(OBJ_VALUE, obj_value, EVF_OPTIONAL, 2,                                                        \
      "{obj} is {repr}",                                                                            \
      EV_ROLE(OBJ, a, obj) EV_FIELD(s, repr))                                                       \
    /* --- names and frames (what the workload's code would be doing) --------------------- */ \
    X(FRAME_PUSH, frame_push, 0, 1,                                                                 \
      "call {function}(): a new frame for its names",                                               \
      EV_FIELD(u, frame) EV_FIELD(s, function))                                                     \
    X(FRAME_POP, frame_pop, 0, 1,                                                                   \
      "a function returns: its frame and the references of its names are dropped",                  \
      EV_FIELD(u, frame))                                                                           \
    /* `name` in `frame` now refers to `obj` (replacing what it referred to)                 */  \
    X(NAME_BIND, name_bind, 0, 2,                                                                   \
      "name '{name}' now refers to {obj}",                                                          \
      EV_FIELD(u, frame) EV_ROLE(OBJ, a, obj) EV_FIELD(s, name))                                    \
    X(NAME_UNBIND, name_unbind, 0, 1,                                                               \
      "name '{name}' is deleted",                                                                   \
      EV_FIELD(u, frame) EV_FIELD(s, name))                                                         \
    /* --- weak references and finalizers ------------------------------------------------- */ \
    /* weakref object `ref` now refers weakly to `obj`, with an optional callback object     */  \
    X(WEAKREF_NEW, weakref_new, 0, 2,                                                               \
      "weak reference {ref} to {obj}; it does not raise the refcount",                              \
      EV_FIELD(a, ref) EV_ROLE(OBJ, a, obj) EV_FIELD(p, callback))                                  \
    /* the weakref no longer refers to anything; `why` is an ev_weakref_why                  */  \
    X(WEAKREF_CLEAR, weakref_clear, 0, 2,                                                           \
      "weak reference {ref} is cleared",                                                            \
      EV_FIELD(a, ref) EV_FIELD(u, why))                                                            \
    X(WEAKREF_CALL, weakref_call, 0, 1,                                                             \
      "the callback of weak reference {ref} runs",                                                  \
      EV_FIELD(a, ref))                                                                             \
    /* a finalizer ran on `obj`: `kind` is ev_finalizer_kind                                 */  \
    X(FINALIZE, finalize, 0, 2,                                                                     \
      "the finalizer of {obj} runs",                                                                \
      EV_ROLE(OBJ, a, obj) EV_FIELD(u, kind))                                                       \
    /* --- the cycle collector ------------------------------------------------------------ */ \
    X(GC_TRACK, gc_track, 0, 2,                                                                     \
      "the collector tracks {obj} in generation {gen}",                                             \
      EV_ROLE(OBJ, a, obj) EV_FIELD(u, gen))                                                        \
    X(GC_UNTRACK, gc_untrack, 0, 1,                                                                 \
      "the collector stops tracking {obj}",                                                         \
      EV_ROLE(OBJ, a, obj))                                                                         \
    /* generation `gen`'s count is now `count` (the incremental collector's `gen` is gc.get_count()'s */ \
    /* index, as 3.14 numbers it: 1 old's visited space, 2 its pending space)                */  \
    X(GC_COUNT, gc_count, 0, 2,                                                                     \
      "generation {gen}'s count is now {count}",                                                    \
      EV_FIELD(u, gen) EV_FIELD(u, count))                                                          \
    X(GC_THRESHOLD, gc_threshold, 0, 2,                                                             \
      "generation {gen}'s threshold is set to {threshold}",                                         \
      EV_FIELD(u, gen) EV_FIELD(u, threshold))                                                      \
    X(GC_ENABLE, gc_enable, 0, 1,                                                                   \
      "automatic collection is switched (enabled = {enabled})",                                     \
      EV_FIELD(u, enabled))                                                                         \
    /* a collection of generation `gen` began; `reason` is ev_gc_reason (the incremental      */  \
    /* collector's `gen` is the callbacks': 1 an increment, 2 a full collection)             */  \
    X(GC_START, gc_start, 0, 2,                                                                     \
      "a collection of generation {gen} begins",                                                    \
      EV_FIELD(u, gen) EV_FIELD(u, reason))                                                         \
    /* the collection entered phase `phase` (ev_gc_phase); `n` objects are concerned         */  \
    X(GC_PHASE, gc_phase, 0, 2,                                                                     \
      "the collector enters phase {phase} ({n} objects concerned)",                                 \
      EV_FIELD(u, phase) EV_FIELD(u, n))                                                            \
    /* the collector's working reference count for obj (update_refs, subtract_refs)          */  \
    X(GC_REFS, gc_refs, EVF_OPTIONAL, 2,                                                            \
      "the collector's working count of {obj} is {refs}",                                           \
      EV_ROLE(OBJ, a, obj) EV_FIELD(i, refs))                                                       \
    /* obj was marked (ev_gc_mark); `via` is the object that made it reachable, if any       */  \
    X(GC_MARK, gc_mark, 0, 2,                                                                       \
      "{obj} is marked by the collector",                                                           \
      EV_ROLE(OBJ, a, obj) EV_FIELD(u, mark) EV_FIELD(p, via))                                      \
    /* all objects of generation `from` were appended to generation `to`                     */  \
    X(GC_MERGE, gc_merge, 0, 2,                                                                     \
      "generation {from}'s objects join generation {to} for this collection",                       \
      EV_FIELD(u, from) EV_FIELD(u, to))                                                            \
    /* one object moved to the tail of generation `to`                                       */  \
    X(GC_MOVE, gc_move, 0, 2,                                                                       \
      "{obj} survives and moves to generation {to}",                                                \
      EV_ROLE(OBJ, a, obj) EV_FIELD(u, to))                                                         \
    /* obj was appended to gc.garbage (which holds a reference to it)                        */  \
    X(GC_GARBAGE, gc_garbage, 0, 1,                                                                 \
      "{obj} is uncollectable: it goes to gc.garbage, which keeps it alive",                        \
      EV_ROLE(OBJ, a, obj))                                                                         \
    /* the collection ended: what gc.collect() would return is collected + uncollectable     */  \
    X(GC_END, gc_end, 0, 4,                                                                         \
      "the collection of generation {gen} ends: {collected} collected, {uncollectable} uncollectable", \
      EV_FIELD(u, gen) EV_FIELD(u, collected) EV_FIELD(u, uncollectable) EV_FIELD(u, nanos))        \
    /* --- workload ----------------------------------------------------------------------- */ \
    /* a step marker: what the next steps show, in one sentence; `kind` is an ev_step_kind,   */  \
    /* `stack` the Python stack at a real program's marker, or the line a demo's step runs    */  \
    /* (its innermost frame is the line)                                                      */  \
    X(STEP, step, 0, 1,                                                                             \
      "step {number}: {label}",                                                                     \
      EV_FIELD(u, number) EV_FIELD(u, kind) EV_FIELD(u, stack) EV_FIELD(s, label))                  \
    /* a call stack, defined once before the first event that carries its id: its innermost  */  \
    /* frames, one a line, are frame `frame` (> 0) or else the text `frames`, and the frames  */  \
    /* of stack `parent` (0: none) follow them; depth counts all                             */  \
    X(STACK_DEF, stack_def, 0, 2,                                                                   \
      "call stack {id} is recorded ({depth} frames deep)",                                          \
      EV_FIELD(u, id) EV_FIELD(u, depth) EV_FIELD(u, parent) EV_FIELD(u, frame) EV_FIELD(s, frames)) \
    /* one frame of call stacks, defined once before the first stack_def that names it:      */  \
    /* "function+0xoffset" for C, "FUNCTION\tFILE\tLINE" (tab-separated) for Python          */  \
    X(FRAME_DEF, frame_def, 0, 1,                                                                   \
      "frame {id} of call stacks: {text}",                                                          \
      EV_FIELD(u, id) EV_FIELD(s, text))                                                            \
    /* the source of a file the program's frames name (its own files, not the library's),    */  \
    /* as the file `path` (tracer: its frames' FILE) held it when the program ran            */  \
    X(SOURCE_FILE, source_file, EVF_OPTIONAL, 1,                                                    \
      "the source of {path} is recorded as file {id}",                                              \
      EV_FIELD(u, id) EV_FIELD(s, path))                                                            \
    X(SOURCE_TEXT, source_text, EVF_OPTIONAL, 1,                                                    \
      "file {file}: its source is recorded",                                                        \
      EV_FIELD(u, file) EV_FIELD(s, text))                                                          \
    /* a real program's name at the last line step (it follows the step marker): the object */  \
    /* it is bound to, the object's type (type_new), size (sys.getsizeof), true reference    */  \
    /* count and ev_snap_flags; `gen` the collector's generation it is linked in when it is  */  \
    /* tracked, an ev_snap_gen (0: not recorded, as in traces made before it was); text      */  \
    /* "NAME=REPR"                                                                           */  \
    X(SNAP_NAME, snap_name, EVF_OPTIONAL, 5,                                                        \
      "named at this line: {text} ({size} B, {refcnt} references)",                                 \
      EV_FIELD(a, obj) EV_FIELD(u, type) EV_FIELD(u, size) EV_FIELD(u, refcnt) EV_FIELD(u, flags)   \
      EV_FIELD(u, gen) EV_FIELD(s, text))                                                           \
    /* object `from` (named at this line step) refers to object `to` (named too)             */  \
    X(SNAP_REF, snap_ref, EVF_OPTIONAL, 2,                                                          \
      "object {from} refers to object {to}",                                                         \
      EV_FIELD(a, from) EV_FIELD(a, to))                                                             \
    /* text the workload printed (what the Python snippet would print)                       */  \
    X(PRINT, print, EVF_OPTIONAL, 1,                                                                \
      "the program prints: {text}",                                                                 \
      EV_FIELD(u, stream) EV_FIELD(s, text))                                                        \
    /* an object free list (sys._debugmallocstats' "N free PyXxxObjects * S bytes each") now */  \
    /* holds `count` objects of `each` bytes; `index` is its line in the report, from 0      */  \
    X(FREELIST, freelist, EVF_OPTIONAL, 4,                                                          \
      "the free list of {label} now holds {count} objects of {each} B",                             \
      EV_FIELD(u, index) EV_FIELD(u, count) EV_FIELD(u, each) EV_FIELD(s, label))
/* clang-format on */

/* What a step marker marks. */
#define EV_STEP_KINDS(X)                                                                         \
    X(STEP_WORKLOAD, "a step of a demo or an allocation script")                                 \
    X(STEP_STARTUP, "a real interpreter starts up, before the program's own code")               \
    X(STEP_PROGRAM, "the program's own code starts")                                             \
    X(STEP_LINE, "a line of the program's own code is about to run")                            \
    X(STEP_END, "the program's own code has ended: the interpreter shuts down")

/* Why a request went to the raw layer. */
#define EV_RAW_WHY(X)                                                                            \
    X(RAW_LARGE, "larger than the small-request threshold")                                      \
    X(RAW_ZERO, "zero bytes")                                                                    \
    X(RAW_NO_ARENA, "no arena could be obtained")                                                \
    X(RAW_REALLOC_MIGRATE, "realloc grew past the threshold")                                    \
    X(RAW_DOMAIN, "PyMem_RawMalloc, or PyMem_Malloc before 3.6, is malloc itself")

/* What a realloc did. */
#define EV_REALLOC_OUTCOMES(X)                                                                   \
    X(REALLOC_IN_PLACE, "kept in place")                                                         \
    X(REALLOC_MOVED, "moved to a block of another size class")                                   \
    X(REALLOC_SHRUNK, "copied to a smaller block")                                               \
    X(REALLOC_TO_RAW, "moved to the raw layer")                                                  \
    X(REALLOC_RAW, "a raw block resized by the C library")                                       \
    X(REALLOC_NEW, "realloc of NULL: a plain allocation")

/* Why a reference was taken or dropped. */
#define EV_REF_REASONS(X)                                                                        \
    X(REF_OTHER, "")                                                                             \
    X(REF_NAME, "name bound")                                                                    \
    X(REF_CONTAINER, "container item")                                                           \
    X(REF_ATTR, "attribute")                                                                     \
    X(REF_ARG, "argument passing")                                                               \
    X(REF_SCOPE_EXIT, "scope exit")                                                              \
    X(REF_TEMP, "temporary")                                                                     \
    X(REF_RETURN, "return value")                                                                \
    X(REF_CALL, "getrefcount's argument")                                                        \
    X(REF_GC, "cycle collector")                                                                 \
    X(REF_DEALLOC, "owner deallocated")                                                          \
    X(REF_TYPE, "instance's type")                                                               \
    X(REF_FREELIST, "free list")                                                                 \
    X(REF_GARBAGE, "gc.garbage")

#define EV_WEAKREF_WHY(X)                                                                        \
    X(WEAKREF_REFERENT_DIED, "its referent was deallocated")                                     \
    X(WEAKREF_GC, "the collector found its referent unreachable")                                \
    X(WEAKREF_SELF_DIED, "the weakref itself died")

#define EV_FINALIZER_KINDS(X)                                                                    \
    X(FINALIZER_PEP442, "__del__ (PEP 442 tp_finalize)")                                         \
    X(FINALIZER_LEGACY, "__del__ (legacy tp_del)")

#define EV_GC_REASONS(X)                                                                         \
    X(GC_REASON_AUTO, "threshold exceeded")                                                      \
    X(GC_REASON_MANUAL, "gc.collect()")                                                          \
    X(GC_REASON_SHUTDOWN, "shutdown")                                                            \
    X(GC_REASON_INTERPRETER, "the interpreter's collector ran (automatic or gc.collect())")

/* The phases of one collection, in the order they run (docs/cpython-memory.md 7.6); the last two
 * are the incremental collector's (7.12), and run first in its increments. */
#define EV_GC_PHASES(X)                                                                          \
    X(GC_PHASE_MERGE, "merge younger generations")                                               \
    X(GC_PHASE_UPDATE_REFS, "copy reference counts")                                             \
    X(GC_PHASE_SUBTRACT_REFS, "subtract internal references")                                    \
    X(GC_PHASE_MOVE_UNREACHABLE, "move the unreachable")                                         \
    X(GC_PHASE_UNTRACK_TUPLES, "untrack tuples of atoms")                                        \
    X(GC_PHASE_PROMOTE, "promote survivors")                                                     \
    X(GC_PHASE_LEGACY_FINALIZERS, "set apart legacy finalizers")                                 \
    X(GC_PHASE_WEAKREFS, "clear weak references")                                                \
    X(GC_PHASE_FINALIZE, "run finalizers")                                                       \
    X(GC_PHASE_RESURRECT, "check for resurrection")                                              \
    X(GC_PHASE_DELETE, "break cycles")                                                           \
    X(GC_PHASE_UNCOLLECTABLE, "keep the uncollectable")                                          \
    X(GC_PHASE_CLEAR_FREELISTS, "clear free lists")                                             \
    X(GC_PHASE_MARK_ROOTS, "mark what the roots reach")                                          \
    X(GC_PHASE_INCREMENT, "take the increment")

/* Marks the collector puts on objects (GC_MARK), with the reason in words. */
#define EV_GC_MARKS(X)                                                                           \
    X(GC_MARK_TENTATIVE, "no references from outside: tentatively unreachable")                  \
    X(GC_MARK_REACHABLE, "referenced from outside the generation")                               \
    X(GC_MARK_RESCUED, "reachable from a reachable object: moved back")                          \
    X(GC_MARK_UNREACHABLE, "unreachable")                                                        \
    X(GC_MARK_LEGACY, "reachable from a legacy finalizer: uncollectable")                        \
    X(GC_MARK_RESURRECTED, "resurrected by a finalizer")                                         \
    X(GC_MARK_UNTRACKED, "untracked: holds no containers")                                       \
    X(GC_MARK_VISITED, "reachable from a root: visited, skipped until the next scavenge")        \
    X(GC_MARK_INCREMENT, "taken into this increment")

#define EV_TYPE_FLAGS(X)                                                                         \
    X(TYPE_GC, 1u, "tracked by the cycle collector")                                             \
    X(TYPE_FINALIZER, 2u, "has __del__")                                                         \
    X(TYPE_WEAKREFABLE, 4u, "supports weak references")                                          \
    X(TYPE_VAR, 8u, "variable size")

#define EV_SNAP_FLAGS(X)                                                                         \
    X(SNAP_GLOBAL, 1u, "a global of the module, not a local of the function")                   \
    X(SNAP_GC, 2u, "of a type the collector can track")                                          \
    X(SNAP_TRACKED, 4u, "tracked by the collector now")                                          \
    X(SNAP_IMMORTAL, 8u, "immortal or static: its reference count is not counted")

/* Which of the collector's lists a named, tracked object is linked in (snap_name's `gen`). */
#define EV_SNAP_GENS(X)                                                                          \
    X(SNAP_GEN_UNKNOWN, "?", "not recorded")                                                     \
    X(SNAP_GEN_0, "g0", "generation 0, the youngest")                                            \
    X(SNAP_GEN_1, "g1", "generation 1")                                                          \
    X(SNAP_GEN_2, "g2", "generation 2, the oldest")                                              \
    X(SNAP_GEN_PERM, "perm", "the permanent generation (gc.freeze), never collected")

#define EV_OBJ_FLAGS(X)                                                                          \
    X(OBJ_FREELIST, 1u, "memory from/to a free list")                                            \
    X(OBJ_STATIC, 2u, "statically allocated (small int cache, interned)")

#define EV__ENUM(name, text) EV_##name,
enum ev_step_kind { EV_STEP_KINDS(EV__ENUM) EV_STEP_KIND_COUNT };
enum ev_raw_why { EV_RAW_WHY(EV__ENUM) EV_RAW_WHY_COUNT };
enum ev_realloc_outcome { EV_REALLOC_OUTCOMES(EV__ENUM) EV_REALLOC_OUTCOME_COUNT };
enum ev_ref_reason { EV_REF_REASONS(EV__ENUM) EV_REF_REASON_COUNT };
enum ev_weakref_why { EV_WEAKREF_WHY(EV__ENUM) EV_WEAKREF_WHY_COUNT };
enum ev_finalizer_kind { EV_FINALIZER_KINDS(EV__ENUM) EV_FINALIZER_KIND_COUNT };
enum ev_gc_reason { EV_GC_REASONS(EV__ENUM) EV_GC_REASON_COUNT };
enum ev_gc_phase { EV_GC_PHASES(EV__ENUM) EV_GC_PHASE_COUNT };
enum ev_gc_mark { EV_GC_MARKS(EV__ENUM) EV_GC_MARK_COUNT };
#undef EV__ENUM
#define EV__GEN(name, word, text) EV_##name,
enum ev_snap_gen { EV_SNAP_GENS(EV__GEN) EV_SNAP_GEN_COUNT };
#undef EV__GEN

#define EV__FLAG(name, value, text) EV_##name = value,
enum ev_type_flags { EV_TYPE_FLAGS(EV__FLAG) };
enum ev_obj_flags { EV_OBJ_FLAGS(EV__FLAG) };
enum ev_snap_flags { EV_SNAP_FLAGS(EV__FLAG) };
#undef EV__FLAG


enum event_kind {
#define X(K, n, fl, tail, say, fields) EV_##K,
    EVENT_KINDS(X)
#undef X
        EV_KIND_COUNT
};

/* Field storage by type: every field but text is one 64-bit word. */
#define EVENT__DECL_u(n) uint64_t n;
#define EVENT__DECL_i(n) int64_t n;
#define EVENT__DECL_a(n) uint64_t n;
#define EVENT__DECL_p(n) uint64_t n;
#define EVENT__DECL_s(n)
#define EV_FIELD(t, n) EVENT__DECL_##t(n)
#define X(K, n, fl, tail, say, fields)                                                                \
    struct event_##n {                                                                              \
        fields                                                                                   \
    };
EVENT_KINDS(X)
#undef X
#undef EV_FIELD

#define EVENT_MAX_FIELDS 6 /* words in the largest kind; checked below */

struct event {
    enum event_kind kind;
    uint64_t seq;     /* position in the stream, from 0; set by readers, 0 from producers */
    const char *str;  /* the kind's text field, or NULL; not NUL-terminated */
    uint32_t str_len; /* bytes in str */
    union {
        uint64_t f[EVENT_MAX_FIELDS]; /* the word fields in table order */
#define X(K, n, fl, tail, say, fields) struct event_##n n;
        EVENT_KINDS(X)
#undef X
    } u;
};

#define X(K, n, fl, tail, say, fields)                                                                \
    _Static_assert(sizeof(struct event_##n) <= sizeof(uint64_t) * EVENT_MAX_FIELDS,                 \
                   "event " #n " has more than EVENT_MAX_FIELDS word fields");
EVENT_KINDS(X)
#undef X
_Static_assert(EV_KIND_COUNT <= 127, "kind ids must fit in 7 bits (tracer/format/FORMAT.md)");

/* Where events go.  emit == NULL means nobody listens. */
struct event_sink {
    void (*emit)(void *ctx, const struct event *ev);
    void *ctx;
};

static inline bool event_sink_is_on(const struct event_sink *sink)
{
    return sink->emit != NULL;
}

#endif
