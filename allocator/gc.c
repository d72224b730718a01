/*
 * gc.c - the cycle collector: CPython's classic generational collector (Modules/gcmodule.c,
 * 3.9-3.13; docs/cpython-memory.md 7), instrumented.
 *
 * State
 * -----
 * Containers (tuples, lists, dicts, instances, weak references, functions) carry a 16-byte GC
 * head before the object.  A tracked object is linked in exactly one list: generation 0..n-1
 * (n from the profile; three by default) or the permanent generation (gc.freeze).  New objects
 * are appended to generation 0.  During a collection the head's prev word holds gc_refs << 2
 * plus the COLLECTING flag, and next carries the UNREACHABLE flag in the unreachable list.
 *
 * Counting and triggering (7.4, 7.5)
 * ----------------------------------
 * count[0] is container allocations minus deallocations since the last collection of
 * generation 0 (free lists bypass both); count[g] for g > 0 is the number of collections of
 * g - 1 since the last collection of g.  An allocation that makes count[0] > threshold[0]
 * (enabled, threshold[0] != 0, not already collecting) collects, inside the allocation as
 * 3.8-3.11 do, the oldest generation g with count[g] > threshold[g]; the oldest is skipped
 * unless long_lived_pending >= long_lived_total / 4.
 *
 * The interpreter's own objects
 * -----------------------------
 * A real interpreter reaches the first line of a program with thousands of tracked objects
 * (modules, their dicts, functions, classes): about 4,800 in 3.11, all in the oldest generation
 * once collected, and 375 more already frozen in 3.12 (docs/cpython-memory.md 7.5).  They are why
 * a full collection is rare: the long-lived rule weighs what younger collections promote against
 * them.  The runtime counts them without making them.  Each generation list carries `residents`,
 * objects that are in it without being linked: they start in the oldest generation and the
 * permanent one, as allocator/gc_startup.c gives for the runtime's layout (measured by
 * allocator/gc_startup.py), and travel with their list (gc_merge: a collection's merge and
 * promotion, gc.freeze(), gc.unfreeze()).  Whatever sizes a generation counts them: the long-lived
 * counters, the phases' `n`, the debug statistics, gc.get_freeze_count(), gc_generation_size();
 * gc.get_count() does not, as they were counted before the program began.  They are always
 * reachable (the interpreter refers to them), so no collection frees, moves or untracks one, and
 * none is visited: what examining them costs the interpreter, the runtime does not spend (the
 * incremental profile counts them, as a number, into each scavenge's marking: gc_incremental.c).
 * gc.get_objects() and gc.get_referrers() cannot list them.  Objects would cost a few hundred
 * kilobytes of the heap, thousands of events at the start of every trace and every demo's heap
 * figures, for nothing the views could show of them but their number; the trace header carries
 * each generation's count instead (tracer/format/FORMAT.md 4, field 21), and the model moves them
 * with the same gc_merge events.
 *
 * One collection of generation g, and its events
 * -----------------------------------------------
 *   gc_start(g, reason)  gc_count...            counts: g+1 += 1, 0..g = 0
 *   gc_phase(MERGE)      gc_merge(i, g)          younger generations appended to g ("young")
 *   gc_phase(UPDATE_REFS)     gc_refs(o, refcnt)            for every object of young
 *   gc_phase(SUBTRACT_REFS)   gc_refs(o, refs - 1)          once per reference from inside young
 *   gc_phase(MOVE_UNREACHABLE)                              one pass over young, in list order:
 *        gc_mark(o, REACHABLE, 0)     refs > 0: a root, referenced from outside
 *        gc_mark(r, REACHABLE, o)     r was ahead in the list with refs 0: will stay
 *        gc_mark(o, TENTATIVE, 0)     refs == 0: moved to the unreachable list
 *        gc_mark(r, RESCUED, o)       r was tentatively unreachable: moved back to young's tail
 *        gc_mark(o, UNREACHABLE, 0)   for each object left in the unreachable list, in order
 *   gc_phase(UNTRACK_TUPLES)  gc_mark(t, UNTRACKED) gc_untrack(t)   tuples of atoms
 *   gc_phase(PROMOTE, n)      gc_merge(g, g+1); or, collecting the oldest, dicts of atoms
 *                             untracked (gc_mark UNTRACKED, gc_untrack)
 *   gc_phase(LEGACY_FINALIZERS)  gc_mark(o, LEGACY, via)   legacy __del__ and what it reaches
 *   gc_phase(WEAKREFS)        weakref_clear(r, GC), incref(r), weakref_call(r) + the call,
 *                             decref(r), gc_move(r, old) when r survives
 *   gc_phase(FINALIZE)        incref(o, GC) finalize(o, PEP442) ... decref(o, GC)
 *   gc_phase(RESURRECT)       gc_mark(o, RESURRECTED, via) gc_move(o, old)
 *   gc_phase(DELETE, n)       incref(o, GC), tp_clear's decrefs (reason GC) and the frees
 *                             they cause, decref(o, GC); gc_move(o, old) if o survived;
 *                             under DEBUG_SAVEALL gc_garbage(o) instead of tp_clear
 *   gc_phase(UNCOLLECTABLE, n) gc_garbage(o) for legacy finalizers, gc_move(o, old) for all
 *   gc_phase(CLEAR_FREELISTS) block frees of the free lists (oldest generation only)
 *   gc_end(g, collected, uncollectable, nanos)
 *
 * "old" is generation g+1, or g itself when g is the oldest.  The legacy profile (2.7) has no
 * FINALIZE or RESURRECT phase: a cycle holding an object with __del__ is uncollectable and its
 * __del__ owners go to gc.garbage.
 *
 * The incremental profile (cpython-3.14, 3.14.0-3.14.4) chooses what to collect differently and
 * is driven by allocator/gc_incremental.c; the phases from UPDATE_REFS on are the same, and
 * gc_collect_region is their one implementation.  The lists are gc_list.h's.
 */
#include "gc_list.h"
#include "runtime_private.h"

#include <allocator/errmsg.h>

#include <assert.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the head's flags and gc_refs (the lists are gc_list.h's) -------------------------------- */

static inline bool gc_is_collecting(const struct gc_head *g)
{
    return (g->prev & GC_PREV_MASK_COLLECTING) != 0;
}
static inline void gc_clear_collecting(struct gc_head *g)
{
    g->prev &= ~GC_PREV_MASK_COLLECTING;
}
static inline uintptr_t gc_get_refs(const struct gc_head *g)
{
    return g->prev >> GC_PREV_SHIFT;
}
static inline void gc_set_refs(struct gc_head *g, uintptr_t refs)
{
    g->prev = (g->prev & ~(~(uintptr_t)0 << GC_PREV_SHIFT)) | (refs << GC_PREV_SHIFT);
}
static inline void gc_reset_refs(struct gc_head *g, uintptr_t refs)
{
    g->prev = (g->prev & GC_PREV_MASK_FINALIZED) | GC_PREV_MASK_COLLECTING |
              (refs << GC_PREV_SHIFT);
}
static inline void gc_decref(struct gc_head *g)
{
    g->prev -= (uintptr_t)1 << GC_PREV_SHIFT;
}

/* A generation's size: its linked objects and the interpreter's own it stands for. */
static uint64_t gen_size(const struct gc_generation *gen)
{
    return list_size(&gen->head) + gen->residents;
}

/* Appends generation `from` to `to`, the interpreter's own objects with the linked ones. */
static void gen_merge(struct gc_generation *from, struct gc_generation *to)
{
    list_merge(&from->head, &to->head);
    to->residents += from->residents;
    from->residents = 0;
}

/* The size of the unreachable list while its links still carry NEXT_MASK_UNREACHABLE. */
static size_t unreachable_size(const struct gc_head *l)
{
    size_t n = 0;
    for (const struct gc_head *g = gc_next(l); g != l;
         g = (const struct gc_head *)(g->next & ~GC_NEXT_MASK_UNREACHABLE))
        n++;
    return n;
}

/* ---- tracking and counting ------------------------------------------------------------------- */

bool gc_obj_is_tracked(const struct rt_object *o)
{
    return rt_type_is_gc(o->type) && rt_as_gc(o)->next != 0;
}

bool gc_may_be_tracked(const struct rt_object *o)
{
    if (!rt_type_is_gc(o->type))
        return false;
    if (o->type->kind == RT_KIND_TUPLE)
        return gc_obj_is_tracked(o);
    return true;
}

void gc_track(struct runtime *rt, struct rt_object *o)
{
    struct gc_head *g = rt_as_gc(o);
    assert(g->next == 0);
    list_append(g, &rt->gc.gen[0].head);
    if (rt->gc.profile.incremental) /* young objects are not visited */
        gc_set_old_space(g, rt->gc.incr.visited_space ^ 1);
    rt->gc.ntracked++;
    RT_EMIT(rt, GC_TRACK, gc_track, .obj = rt_addr(o), .gen = 0);
}

void gc_untrack(struct runtime *rt, struct rt_object *o)
{
    struct gc_head *g = rt_as_gc(o);
    if (g->next == 0)
        return;
    struct gc_head *prev = gc_prev(g), *next = gc_next(g);
    prev->next = (uintptr_t)next;
    gc_set_prev(next, prev);
    g->next = 0;
    g->prev &= GC_PREV_MASK_FINALIZED;
    rt->gc.ntracked--;
    RT_EMIT(rt, GC_UNTRACK, gc_untrack, .obj = rt_addr(o));
}

static void set_count(struct runtime *rt, size_t g, uint32_t count)
{
    if (rt->gc.gen[g].count == count)
        return;
    rt->gc.gen[g].count = count;
    RT_EMIT(rt, GC_COUNT, gc_count, .gen = g, .count = count);
}

void gc_set_count(struct runtime *rt, size_t g, uint32_t count)
{
    set_count(rt, g, count);
}

static void collect_generations(struct runtime *rt);
static int64_t collect_with_callback(struct runtime *rt, int generation, enum ev_gc_reason reason);

void gc_on_alloc(struct runtime *rt)
{
    struct gc_state *gc = &rt->gc;
    set_count(rt, 0, gc->gen[0].count + 1);
    gc->incr.heap_size++;
    if (gc->gen[0].count > gc->gen[0].threshold && gc->enabled && gc->gen[0].threshold &&
        !gc->collecting) {
        gc->collecting = true;
        if (gc->profile.incremental) /* an automatic collection is always an increment */
            collect_with_callback(rt, 1, EV_GC_REASON_AUTO);
        else
            collect_generations(rt);
        gc->collecting = false;
    }
}

void gc_on_free(struct runtime *rt)
{
    rt->gc.incr.heap_size--;
    if (rt->gc.gen[0].count > 0)
        set_count(rt, 0, rt->gc.gen[0].count - 1);
}

/* ---- debug output ------------------------------------------------------------------------------ */

void gc_debug_printf(struct runtime *rt, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (rt->gc.debug_out) {
        fputs(buf, rt->gc.debug_out);
        fflush(rt->gc.debug_out);
    }
    rt_emit_text(rt, EV_PRINT, 2, 0, buf);
}

static void debug_cycle(struct runtime *rt, const char *msg, const struct rt_object *o)
{
    gc_debug_printf(rt, "gc: %s <%s 0x%" PRIxPTR ">\n", msg, o->type->name, (uintptr_t)o);
}

static void show_stats_each_generation(struct runtime *rt)
{
    char buf[128];
    size_t pos = 0;
    for (size_t i = 0; i < rt->gc.ngen && pos < sizeof buf; i++)
        pos += (size_t)snprintf(buf + pos, sizeof buf - pos, " %" PRIu64, gen_size(&rt->gc.gen[i]));
    gc_debug_printf(rt, "gc: objects in each generation:%s\n", buf);
    if (!rt->gc.profile.legacy_finalizers)
        gc_debug_printf(rt, "gc: objects in permanent generation: %" PRIu64 "\n",
                        gen_size(&rt->gc.permanent));
}

uint64_t gc_now_nanos(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- finding the unreachable ------------------------------------------------------------------ */

/* gc_refs given to an object found reachable through another one during move_unreachable: any
 * non-zero value means reachable; this one also says "already announced, with its via". */
#define REFS_VIA ((uintptr_t)1 << 40)

enum deduce_mode { DEDUCE_COLLECT, DEDUCE_RESURRECT };

struct deduce_ctx {
    struct runtime *rt;
    struct gc_head *young;
    struct rt_object *parent;
    enum deduce_mode mode;
    uint64_t residents; /* the interpreter's own objects in young: in the phases' n, never visited */
};

static bool is_gc(const struct rt_object *o)
{
    return rt_type_is_gc(o->type);
}

/* What a visitor of the collection looks at: the GC head of a referent that is a container in
 * the generation being collected, else NULL. */
static struct gc_head *collecting_head(const struct rt_object *o)
{
    if (!is_gc(o))
        return NULL;
    struct gc_head *g = rt_as_gc(o);
    return gc_is_collecting(g) ? g : NULL;
}

static void update_refs(struct deduce_ctx *c, struct gc_head *base)
{
    for (struct gc_head *g = gc_next(base); g != base; g = gc_next(g)) {
        struct rt_object *o = rt_from_gc(g);
        assert(o->refcnt > 0);
        gc_reset_refs(g, (uintptr_t)o->refcnt);
        if (c->mode == DEDUCE_COLLECT)
            RT_EMIT(c->rt, GC_REFS, gc_refs, .obj = rt_addr(o), .refs = o->refcnt);
    }
}

static void visit_decref(struct rt_object *o, void *arg)
{
    struct deduce_ctx *c = arg;
    struct gc_head *g = collecting_head(o);
    if (!g)
        return;
    gc_decref(g);
    if (c->mode == DEDUCE_COLLECT)
        RT_EMIT(c->rt, GC_REFS, gc_refs, .obj = rt_addr(o), .refs = (int64_t)gc_get_refs(g));
}

static void subtract_refs(struct deduce_ctx *c, struct gc_head *base)
{
    for (struct gc_head *g = gc_next(base); g != base; g = gc_next(g)) {
        c->parent = rt_from_gc(g);
        rt_traverse(c->parent, visit_decref, c);
    }
}

static void visit_reachable(struct rt_object *o, void *arg)
{
    struct deduce_ctx *c = arg;
    struct gc_head *g = collecting_head(o);
    if (!g)
        return;
    uintptr_t refs = gc_get_refs(g);
    enum ev_gc_mark mark;
    if (g->next & GC_NEXT_MASK_UNREACHABLE) {
        /* tentatively unreachable: back to the tail of young, to be scanned later */
        struct gc_head *prev = gc_prev(g);
        struct gc_head *next = (struct gc_head *)(g->next & ~GC_NEXT_MASK_UNREACHABLE);
        prev->next = g->next; /* keeps the flag */
        gc_set_prev(next, prev);
        list_append(g, c->young);
        gc_set_refs(g, REFS_VIA);
        mark = EV_GC_MARK_RESCUED;
    } else if (refs == 0) {
        gc_set_refs(g, REFS_VIA);
        mark = EV_GC_MARK_REACHABLE;
    } else {
        return;
    }
    if (c->mode == DEDUCE_RESURRECT)
        mark = EV_GC_MARK_RESURRECTED;
    RT_EMIT(c->rt, GC_MARK, gc_mark, .obj = rt_addr(o), .mark = mark, .via = rt_addr(c->parent));
}

static void move_unreachable(struct deduce_ctx *c, struct gc_head *young,
                             struct gc_head *unreachable)
{
    struct gc_head *prev = young;
    struct gc_head *g = gc_next(young);
    while (g != young) {
        struct rt_object *o = rt_from_gc(g);
        if (gc_get_refs(g)) {
            if (gc_get_refs(g) != REFS_VIA)
                RT_EMIT(c->rt, GC_MARK, gc_mark, .obj = rt_addr(o),
                        .mark = c->mode == DEDUCE_COLLECT ? EV_GC_MARK_REACHABLE
                                                          : EV_GC_MARK_RESURRECTED);
            c->parent = o;
            rt_traverse(o, visit_reachable, c);
            gc_set_prev(g, prev);
            gc_clear_collecting(g);
            prev = g;
        } else {
            prev->next = g->next;
            struct gc_head *last = gc_prev(unreachable);
            last->next = GC_NEXT_MASK_UNREACHABLE | (uintptr_t)g;
            gc_set_prev(g, last);
            g->next = GC_NEXT_MASK_UNREACHABLE | (uintptr_t)unreachable;
            unreachable->prev = (uintptr_t)g;
            if (c->mode == DEDUCE_COLLECT)
                RT_EMIT(c->rt, GC_MARK, gc_mark, .obj = rt_addr(o), .mark = EV_GC_MARK_TENTATIVE);
        }
        g = (struct gc_head *)prev->next;
    }
    young->prev = (uintptr_t)prev;
    unreachable->next &= ~GC_NEXT_MASK_UNREACHABLE;
}

static void deduce_unreachable(struct deduce_ctx *c, struct gc_head *base,
                               struct gc_head *unreachable)
{
    struct runtime *rt = c->rt;
    c->young = base;
    if (c->mode == DEDUCE_COLLECT)
        RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_UPDATE_REFS,
                .n = list_size(base) + c->residents);
    update_refs(c, base);
    if (c->mode == DEDUCE_COLLECT)
        RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_SUBTRACT_REFS,
                .n = list_size(base) + c->residents);
    subtract_refs(c, base);
    if (c->mode == DEDUCE_COLLECT)
        RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_MOVE_UNREACHABLE,
                .n = list_size(base) + c->residents);
    list_init(unreachable);
    move_unreachable(c, base, unreachable);
}

/* Strips NEXT_MASK_UNREACHABLE from a list of unreachable objects. */
static void clear_unreachable_mask(struct gc_head *unreachable)
{
    for (struct gc_head *g = gc_next(unreachable); g != unreachable;) {
        g->next &= ~GC_NEXT_MASK_UNREACHABLE;
        g = (struct gc_head *)g->next;
    }
}

/* ---- after reachability ------------------------------------------------------------------------ */

void gc_untrack_tuples(struct runtime *rt, struct gc_head *head)
{
    for (struct gc_head *g = gc_next(head), *next; g != head; g = next) {
        next = gc_next(g);
        struct rt_object *o = rt_from_gc(g);
        if (o->type->kind != RT_KIND_TUPLE)
            continue;
        size_t n = rt_len(o);
        bool untrack = true;
        for (size_t i = 0; i < n && untrack; i++) {
            struct rt_object *item = rt_item(o, i);
            if (!item || gc_may_be_tracked(item))
                untrack = false;
        }
        if (untrack) {
            RT_EMIT(rt, GC_MARK, gc_mark, .obj = rt_addr(o), .mark = EV_GC_MARK_UNTRACKED);
            gc_untrack(rt, o);
        }
    }
}

static void untrack_dicts(struct runtime *rt, struct gc_head *head)
{
    for (struct gc_head *g = gc_next(head), *next; g != head; g = next) {
        next = gc_next(g);
        struct rt_object *o = rt_from_gc(g);
        if (o->type->kind == RT_KIND_DICT && rt_dict_may_untrack((struct rt_dict *)o)) {
            RT_EMIT(rt, GC_MARK, gc_mark, .obj = rt_addr(o), .mark = EV_GC_MARK_UNTRACKED);
            gc_untrack(rt, o);
        }
    }
}

static bool has_legacy_finalizer(const struct runtime *rt, const struct rt_object *o)
{
    return o->type->kind == RT_KIND_INSTANCE && o->type->del && o->type->legacy_del &&
           !rt->final_collection;
}

static void move_legacy_finalizers(struct runtime *rt, struct gc_head *unreachable,
                                   struct gc_head *finalizers)
{
    for (struct gc_head *g = gc_next(unreachable), *next; g != unreachable; g = next) {
        g->next &= ~GC_NEXT_MASK_UNREACHABLE;
        next = (struct gc_head *)g->next;
        struct rt_object *o = rt_from_gc(g);
        if (has_legacy_finalizer(rt, o)) {
            gc_clear_collecting(g);
            list_move(g, finalizers);
            RT_EMIT(rt, GC_MARK, gc_mark, .obj = rt_addr(o), .mark = EV_GC_MARK_LEGACY);
        }
    }
}

struct move_ctx {
    struct runtime *rt;
    struct gc_head *to;
    struct rt_object *parent;
};

static void visit_move(struct rt_object *o, void *arg)
{
    struct move_ctx *c = arg;
    struct gc_head *g = collecting_head(o);
    if (!g)
        return;
    list_move(g, c->to);
    gc_clear_collecting(g);
    RT_EMIT(c->rt, GC_MARK, gc_mark, .obj = rt_addr(o), .mark = EV_GC_MARK_LEGACY,
            .via = rt_addr(c->parent));
}

static void move_legacy_finalizer_reachable(struct runtime *rt, struct gc_head *finalizers)
{
    struct move_ctx c = {.rt = rt, .to = finalizers};
    for (struct gc_head *g = gc_next(finalizers); g != finalizers; g = gc_next(g)) {
        c.parent = rt_from_gc(g);
        rt_traverse(c.parent, visit_move, &c);
    }
}

/* Moves every object of `from` to generation `to_gen`, one gc_move each. */
static void move_all_to(struct runtime *rt, struct gc_head *from, size_t to_gen,
                        struct gc_head *to)
{
    if (rt_on(rt))
        for (struct gc_head *g = gc_next(from); g != from; g = gc_next(g))
            RT_EMIT(rt, GC_MOVE, gc_move, .obj = rt_addr(rt_from_gc(g)), .to = to_gen);
    list_merge(from, to);
}

static uint64_t handle_weakrefs(struct runtime *rt, struct gc_head *unreachable, size_t old_gen,
                                struct gc_head *old)
{
    struct gc_head wrcb_to_call;
    list_init(&wrcb_to_call);
    uint64_t num_freed = 0;
    for (struct gc_head *g = gc_next(unreachable), *next; g != unreachable; g = next) {
        struct rt_object *o = rt_from_gc(g);
        next = gc_next(g);
        if (o->type->kind == RT_KIND_WEAKREF || o->type->kind == RT_KIND_PROXY)
            rt_weakref_clear(rt, (struct rt_weakref *)o, EV_WEAKREF_GC);
        if (!o->type->weaklist_offset)
            continue;
        struct rt_weakref **list = (struct rt_weakref **)((char *)o + o->type->weaklist_offset);
        for (struct rt_weakref *wr = *list; wr; wr = *list) {
            rt_weakref_clear(rt, wr, EV_WEAKREF_GC);
            if (!wr->callback)
                continue;
            struct gc_head *wg = rt_as_gc(&wr->ob);
            if (gc_is_collecting(wg))
                continue; /* the weakref is trash too: its callback is dropped */
            rt_incref(rt, &wr->ob, EV_REF_GC, NULL);
            list_move(wg, &wrcb_to_call);
        }
    }
    while (!list_is_empty(&wrcb_to_call)) {
        struct gc_head *g = gc_next(&wrcb_to_call);
        struct rt_weakref *wr = (struct rt_weakref *)rt_from_gc(g);
        RT_EMIT(rt, WEAKREF_CALL, weakref_call, .ref = rt_addr(wr));
        rt_function_call(rt, wr->callback, &wr->ob);
        rt_decref(rt, &wr->ob, EV_REF_GC, NULL);
        if (gc_next(&wrcb_to_call) == g) {
            RT_EMIT(rt, GC_MOVE, gc_move, .obj = rt_addr(wr), .to = old_gen);
            list_move(g, old);
        } else {
            num_freed++;
        }
    }
    return num_freed;
}

static void finalize_garbage(struct runtime *rt, struct gc_head *collectable)
{
    struct gc_head seen;
    list_init(&seen);
    while (!list_is_empty(collectable)) {
        struct gc_head *g = gc_next(collectable);
        struct rt_object *o = rt_from_gc(g);
        list_move(g, &seen);
        if (!(g->prev & GC_PREV_MASK_FINALIZED) && o->type->kind == RT_KIND_INSTANCE &&
            o->type->del && !o->type->legacy_del) {
            g->prev |= GC_PREV_MASK_FINALIZED;
            rt_incref(rt, o, EV_REF_GC, NULL);
            rt_run_finalizer(rt, o, EV_FINALIZER_PEP442);
            rt_decref(rt, o, EV_REF_GC, NULL);
        }
    }
    list_merge(&seen, collectable);
}

static void handle_resurrected_objects(struct runtime *rt, struct gc_head *unreachable,
                                       struct gc_head *still_unreachable, size_t old_gen,
                                       struct gc_head *old)
{
    for (struct gc_head *g = gc_next(unreachable); g != unreachable; g = gc_next(g))
        gc_clear_collecting(g);
    struct deduce_ctx c = {.rt = rt, .mode = DEDUCE_RESURRECT};
    deduce_unreachable(&c, unreachable, still_unreachable);
    clear_unreachable_mask(still_unreachable);
    move_all_to(rt, unreachable, old_gen, old);
}

static struct rt_object *garbage_list(struct runtime *rt)
{
    if (!rt->gc.garbage)
        rt->gc.garbage = rt_list(rt, 0, NULL);
    return rt->gc.garbage;
}

static void garbage_append(struct runtime *rt, struct rt_object *o)
{
    struct rt_object *g = garbage_list(rt);
    if (!g)
        return;
    RT_EMIT(rt, GC_GARBAGE, gc_garbage, .obj = rt_addr(o));
    rt_list_append(rt, g, o);
}

static void delete_garbage(struct runtime *rt, struct gc_head *collectable, size_t old_gen,
                           struct gc_head *old)
{
    while (!list_is_empty(collectable)) {
        struct gc_head *g = gc_next(collectable);
        struct rt_object *o = rt_from_gc(g);
        assert(o->refcnt > 0);
        if (rt->gc.debug & GC_DEBUG_SAVEALL) {
            garbage_append(rt, o);
        } else if (rt_type_has_clear(o->type)) {
            rt_incref(rt, o, EV_REF_GC, NULL);
            rt_clear(rt, o);
            rt_decref(rt, o, EV_REF_GC, NULL);
        }
        if (gc_next(collectable) == g) {
            /* still alive: it may die later */
            gc_clear_collecting(g);
            RT_EMIT(rt, GC_MOVE, gc_move, .obj = rt_addr(o), .to = old_gen);
            list_move(g, old);
        }
    }
}

static void handle_legacy_finalizers(struct runtime *rt, struct gc_head *finalizers,
                                     size_t old_gen, struct gc_head *old)
{
    for (struct gc_head *g = gc_next(finalizers); g != finalizers; g = gc_next(g)) {
        struct rt_object *o = rt_from_gc(g);
        if ((rt->gc.debug & GC_DEBUG_SAVEALL) || has_legacy_finalizer(rt, o))
            garbage_append(rt, o);
    }
    move_all_to(rt, finalizers, old_gen, old);
}

static uint64_t freelist_total(const struct runtime *rt)
{
    uint64_t n = rt->floats.n + rt->lists.n + rt->dicts.n + rt->keys.n;
    for (int i = 0; i < RT_TUPLE_FREELISTS; i++)
        n += rt->tuples[i].n;
    return n;
}

/* ---- one collection ---------------------------------------------------------------------------- */

static int64_t collect_main(struct runtime *rt, int generation, enum ev_gc_reason reason,
                            int64_t *n_collected, int64_t *n_uncollectable)
{
    struct gc_state *gc = &rt->gc;
    size_t gen = (size_t)generation, ngen = gc->ngen;
    uint64_t t0 = gc_now_nanos();
    int64_t m = 0, n = 0;

    if (gc->debug & GC_DEBUG_STATS) {
        gc_debug_printf(rt, "gc: collecting generation %d...\n", generation);
        show_stats_each_generation(rt);
    }
    RT_EMIT(rt, GC_START, gc_start, .gen = gen, .reason = reason);
    if (gen + 1 < ngen)
        set_count(rt, gen + 1, gc->gen[gen + 1].count + 1);
    for (size_t i = 0; i <= gen; i++)
        set_count(rt, i, 0);

    struct gc_head *young = &gc->gen[gen].head;
    if (gen > 0 && rt_on(rt)) {
        uint64_t merged = 0;
        for (size_t i = 0; i < gen; i++)
            merged += gen_size(&gc->gen[i]);
        RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_MERGE, .n = merged);
    }
    for (size_t i = 0; i < gen; i++) {
        gen_merge(&gc->gen[i], &gc->gen[gen]);
        RT_EMIT(rt, GC_MERGE, gc_merge, .from = i, .to = gen);
    }
    size_t old_gen = gen + 1 < ngen ? gen + 1 : gen;
    gc_collect_region(rt, young, gen, &gc->gen[old_gen].head, old_gen, gen, gen + 1 == ngen, t0, &m, &n);
    uint64_t t1 = gc_now_nanos();
    gc->stats[gen].collections++;
    gc->stats[gen].collected += (uint64_t)m;
    gc->stats[gen].uncollectable += (uint64_t)n;
    RT_EMIT(rt, GC_END, gc_end, .gen = gen, .collected = (uint64_t)m,
            .uncollectable = (uint64_t)n, .nanos = t1 - t0);
    *n_collected = m;
    *n_uncollectable = n;
    return n + m;
}

int64_t gc_collect_region(struct runtime *rt, struct gc_head *young, size_t young_gen, struct gc_head *old,
                          size_t old_gen, size_t gen, bool full, uint64_t t0, int64_t *n_collected,
                          int64_t *n_uncollectable)
{
    struct gc_state *gc = &rt->gc;
    size_t ngen = gc->ngen;
    int64_t m = 0, n = 0;
    /* the interpreter's own objects young stands for, when young is a generation's list */
    uint64_t young_res = young == &gc->gen[young_gen].head ? gc->gen[young_gen].residents : 0;

    /* A. find the unreachable */
    struct gc_head unreachable;
    struct deduce_ctx dc = {.rt = rt, .mode = DEDUCE_COLLECT, .residents = young_res};
    deduce_unreachable(&dc, young, &unreachable);
    if (rt_on(rt))
        for (struct gc_head *g = gc_next(&unreachable); g != &unreachable;
             g = (struct gc_head *)(g->next & ~GC_NEXT_MASK_UNREACHABLE))
            RT_EMIT(rt, GC_MARK, gc_mark, .obj = rt_addr(rt_from_gc(g)),
                    .mark = EV_GC_MARK_UNREACHABLE);
    RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_UNTRACK_TUPLES, .n = list_size(young) + young_res);
    gc_untrack_tuples(rt, young);

    /* B. promote the survivors */
    uint64_t young_size = list_size(young) + young_res;
    RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_PROMOTE, .n = young_size);
    if (young != old) {
        if (gen + 2 == ngen && !gc->profile.incremental)
            gc->long_lived_pending += young_size;
        list_merge(young, old);
        if (young_gen != old_gen) {
            /* the interpreter's own objects travel with their generation */
            gc->gen[old_gen].residents += gc->gen[young_gen].residents;
            gc->gen[young_gen].residents = 0;
            RT_EMIT(rt, GC_MERGE, gc_merge, .from = young_gen, .to = old_gen);
        }
    } else if (!gc->profile.incremental) { /* 3.14 keeps dicts tracked */
        untrack_dicts(rt, young);
        gc->long_lived_pending = 0;
        gc->long_lived_total = young_size;
    }

    /* C. legacy finalizers and what they reach */
    struct gc_head finalizers;
    list_init(&finalizers);
    RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_LEGACY_FINALIZERS,
            .n = unreachable_size(&unreachable));
    move_legacy_finalizers(rt, &unreachable, &finalizers);
    move_legacy_finalizer_reachable(rt, &finalizers);
    if (gc->debug & GC_DEBUG_COLLECTABLE)
        for (struct gc_head *g = gc_next(&unreachable); g != &unreachable; g = gc_next(g))
            debug_cycle(rt, "collectable", rt_from_gc(g));

    /* D. weak references */
    RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_WEAKREFS, .n = list_size(&unreachable));
    m += (int64_t)handle_weakrefs(rt, &unreachable, old_gen, old);

    /* E, F. finalizers (PEP 442) and resurrection */
    struct gc_head final_unreachable;
    if (!gc->profile.legacy_finalizers) {
        RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_FINALIZE,
                .n = list_size(&unreachable));
        finalize_garbage(rt, &unreachable);
        RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_RESURRECT,
                .n = list_size(&unreachable));
        handle_resurrected_objects(rt, &unreachable, &final_unreachable, old_gen, old);
    } else {
        list_init(&final_unreachable);
        list_merge(&unreachable, &final_unreachable);
    }

    /* G. break the cycles */
    int64_t nfinal = (int64_t)list_size(&final_unreachable);
    m += nfinal;
    RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_DELETE, .n = (uint64_t)nfinal);
    delete_garbage(rt, &final_unreachable, old_gen, old);

    /* H. the uncollectable */
    for (struct gc_head *g = gc_next(&finalizers); g != &finalizers; g = gc_next(g)) {
        n++;
        if (gc->debug & GC_DEBUG_UNCOLLECTABLE)
            debug_cycle(rt, "uncollectable", rt_from_gc(g));
    }
    uint64_t t1 = gc_now_nanos();
    if (gc->debug & GC_DEBUG_STATS) {
        double secs = (double)(t1 - t0) / 1e9;
        if (!gc->profile.legacy_finalizers)
            gc_debug_printf(rt, "gc: done, %" PRId64 " unreachable, %" PRId64
                                " uncollectable, %.4fs elapsed\n",
                            n + m, n, secs);
        else if (n + m == 0)
            gc_debug_printf(rt, "gc: done, %.4fs elapsed.\n", secs);
        else
            gc_debug_printf(rt, "gc: done, %" PRId64 " unreachable, %" PRId64
                                " uncollectable, %.4fs elapsed.\n",
                            n + m, n, secs);
    }
    RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_UNCOLLECTABLE, .n = (uint64_t)n);
    handle_legacy_finalizers(rt, &finalizers, old_gen, old);

    if (full) {
        RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_CLEAR_FREELISTS,
                .n = freelist_total(rt));
        rt_clear_freelists(rt);
    }
    *n_collected = m;
    *n_uncollectable = n;
    return n + m;
}

static void invoke_callbacks(struct runtime *rt, const char *phase, int generation,
                             int64_t collected, int64_t uncollectable)
{
    struct gc_info info = {generation, collected, uncollectable};
    /* a callback may remove itself: iterate over a copy */
    size_t n = rt->gc.ncallbacks;
    if (n == 0)
        return;
    struct gc_callback *copy = malloc(n * sizeof *copy);
    if (!copy)
        return;
    memcpy(copy, rt->gc.callbacks, n * sizeof *copy);
    for (size_t i = 0; i < n; i++)
        copy[i].fn(rt, phase, &info, copy[i].ctx);
    free(copy);
}

static int64_t collect_with_callback(struct runtime *rt, int generation, enum ev_gc_reason reason)
{
    int64_t collected = 0, uncollectable = 0;
    bool callbacks = reason != EV_GC_REASON_SHUTDOWN;
    if (callbacks)
        invoke_callbacks(rt, "start", generation, 0, 0);
    int64_t r = rt->gc.profile.incremental
                    ? gc_incr_collect(rt, generation, reason, &collected, &uncollectable)
                    : collect_main(rt, generation, reason, &collected, &uncollectable);
    if (callbacks)
        invoke_callbacks(rt, "stop", generation, collected, uncollectable);
    return r;
}

static void collect_generations(struct runtime *rt)
{
    struct gc_state *gc = &rt->gc;
    for (size_t i = gc->ngen; i-- > 0;) {
        if (gc->gen[i].count > gc->gen[i].threshold) {
            /* the long-lived rule: a full collection only when the objects that survived
             * younger collections since the last one are >= 25% of those that survived it */
            if (i + 1 == gc->ngen && i > 0 && gc->long_lived_pending < gc->long_lived_total / 4)
                continue;
            collect_with_callback(rt, (int)i, EV_GC_REASON_AUTO);
            break;
        }
    }
}

int64_t gc_collect_reason(struct runtime *rt, int generation, enum ev_gc_reason reason)
{
    if (generation < 0 || generation > gc_full_generation(rt))
        return RT_EINVAL;
    if (rt->gc.collecting)
        return 0;
    rt->gc.collecting = true;
    int64_t n = collect_with_callback(rt, generation, reason);
    rt->gc.collecting = false;
    return n;
}

int64_t gc_collect(struct runtime *rt, int generation)
{
    return gc_collect_reason(rt, generation, EV_GC_REASON_MANUAL);
}

/* ---- state ---------------------------------------------------------------------------------- */

void gc_state_init(struct runtime *rt, const struct gc_profile *p)
{
    struct gc_state *gc = &rt->gc;
    memset(gc, 0, sizeof *gc);
    gc->profile = *p;
    gc->ngen = p->ngenerations;
    for (size_t i = 0; i < GC_MAX_GENERATIONS; i++) {
        list_init(&gc->gen[i].head);
        gc->gen[i].threshold = i < gc->ngen ? p->thresholds[i] : 0;
    }
    list_init(&gc->permanent.head);
    gc->enabled = true;
    const struct gc_startup *s = gc_startup_find(rt->layout.name);
    if (s) {
        gc->gen[gc->ngen - 1].residents = s->oldest;
        gc->permanent.residents = s->permanent;
        gc->residents = s->oldest + s->permanent;
    }
    /* as after the full collection a program could start with */
    gc->long_lived_total = gc->gen[gc->ngen - 1].residents;
    if (p->incremental)
        gc_incr_init(rt);
}

void gc_state_release(struct runtime *rt)
{
    free(rt->gc.callbacks);
    rt->gc.callbacks = NULL;
    rt->gc.ncallbacks = 0;
}

/* ---- the module surface ----------------------------------------------------------------------- */

size_t gc_generation_count(const struct runtime *rt)
{
    return rt->gc.ngen;
}

int gc_full_generation(const struct runtime *rt)
{
    return rt->gc.profile.incremental ? 2 : (int)rt->gc.ngen - 1;
}

size_t gc_module_generations(const struct runtime *rt)
{
    return gc_profile_module_generations(&rt->gc.profile);
}

void gc_get_count(const struct runtime *rt, uint32_t *out)
{
    for (size_t i = 0; i < rt->gc.ngen; i++)
        out[i] = rt->gc.gen[i].count;
    if (rt->gc.profile.incremental)
        out[2] = rt->gc.incr.old_count[rt->gc.incr.visited_space ^ 1];
}

void gc_get_threshold(const struct runtime *rt, uint32_t *out)
{
    for (size_t i = 0; i < rt->gc.ngen; i++)
        out[i] = rt->gc.gen[i].threshold;
    if (rt->gc.profile.incremental)
        out[2] = 0;
}

int gc_set_threshold(struct runtime *rt, size_t n, const uint32_t *thresholds)
{
    if (n < 1 || n > gc_module_generations(rt))
        return RT_EINVAL;
    for (size_t i = 0; i < n && i < rt->gc.ngen; i++) {
        rt->gc.gen[i].threshold = thresholds[i];
        RT_EMIT(rt, GC_THRESHOLD, gc_threshold, .gen = i, .threshold = thresholds[i]);
    }
    return 0;
}

void gc_enable(struct runtime *rt)
{
    rt->gc.enabled = true;
    RT_EMIT(rt, GC_ENABLE, gc_enable, .enabled = 1);
}

void gc_disable(struct runtime *rt)
{
    rt->gc.enabled = false;
    RT_EMIT(rt, GC_ENABLE, gc_enable, .enabled = 0);
}

bool gc_isenabled(const struct runtime *rt)
{
    return rt->gc.enabled;
}

void gc_freeze(struct runtime *rt)
{
    if (rt->gc.profile.incremental)
        gc_incr_freeze(rt);
    for (size_t i = 0; i < rt->gc.ngen; i++) {
        gen_merge(&rt->gc.gen[i], &rt->gc.permanent);
        RT_EMIT(rt, GC_MERGE, gc_merge, .from = i, .to = rt->gc.ngen);
        set_count(rt, i, 0);
    }
}

void gc_unfreeze(struct runtime *rt)
{
    if (rt->gc.profile.incremental) /* old[visited] takes the permanent generation */
        rt->gc.incr.startup_visited += rt->gc.permanent.residents;
    gen_merge(&rt->gc.permanent, &rt->gc.gen[rt->gc.ngen - 1]);
    RT_EMIT(rt, GC_MERGE, gc_merge, .from = rt->gc.ngen, .to = rt->gc.ngen - 1);
}

size_t gc_get_freeze_count(const struct runtime *rt)
{
    return (size_t)gen_size(&rt->gc.permanent);
}

size_t gc_generation_size(const struct runtime *rt, size_t g)
{
    if (g == rt->gc.ngen)
        return (size_t)gen_size(&rt->gc.permanent);
    if (g > rt->gc.ngen)
        return 0;
    return (size_t)gen_size(&rt->gc.gen[g]);
}

size_t gc_startup_objects(const struct runtime *rt, size_t g)
{
    if (g == rt->gc.ngen)
        return (size_t)rt->gc.permanent.residents;
    return g < rt->gc.ngen ? (size_t)rt->gc.gen[g].residents : 0;
}

bool gc_is_tracked(const struct rt_object *o)
{
    return gc_obj_is_tracked(o);
}

bool gc_is_finalized(const struct rt_object *o)
{
    return rt_type_is_gc(o->type) && (rt_as_gc(o)->prev & GC_PREV_MASK_FINALIZED);
}

struct rt_object *gc_garbage(struct runtime *rt)
{
    return garbage_list(rt);
}

int gc_callback_add(struct runtime *rt, gc_callback_fn fn, void *ctx)
{
    struct gc_callback *c =
        realloc(rt->gc.callbacks, (rt->gc.ncallbacks + 1) * sizeof *rt->gc.callbacks);
    if (!c)
        return RT_ENOMEM;
    rt->gc.callbacks = c;
    c[rt->gc.ncallbacks++] = (struct gc_callback){fn, ctx};
    return 0;
}

void gc_callback_remove(struct runtime *rt, gc_callback_fn fn, void *ctx)
{
    for (size_t i = 0; i < rt->gc.ncallbacks; i++)
        if (rt->gc.callbacks[i].fn == fn && rt->gc.callbacks[i].ctx == ctx) {
            memmove(&rt->gc.callbacks[i], &rt->gc.callbacks[i + 1],
                    (rt->gc.ncallbacks - i - 1) * sizeof *rt->gc.callbacks);
            rt->gc.ncallbacks--;
            return;
        }
}

void gc_set_debug(struct runtime *rt, unsigned flags)
{
    rt->gc.debug = flags;
}

unsigned gc_get_debug(const struct runtime *rt)
{
    return rt->gc.debug;
}

void gc_set_debug_stream(struct runtime *rt, FILE *out)
{
    rt->gc.debug_out = out;
}

void gc_get_stats(const struct runtime *rt, struct gc_gen_stats *out)
{
    for (size_t i = 0; i < gc_module_generations(rt); i++)
        out[i] = rt->gc.stats[i];
}

void gc_get_long_lived(const struct runtime *rt, uint64_t *pending, uint64_t *total)
{
    *pending = rt->gc.long_lived_pending;
    *total = rt->gc.long_lived_total;
}
