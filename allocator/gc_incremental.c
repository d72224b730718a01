/*
 * gc_incremental.c - the incremental collector of CPython 3.14.0 to 3.14.4 (Python/gc.c of
 * v3.14.0; docs/cpython-memory.md 7.12), the cpython-3.14 profile.  3.14.5 went back to the
 * generational collector of 3.13 (the cpython-3.13 profile).
 *
 * State
 * -----
 * Two generations: young (gen[0], threshold 2000) and old (gen[1]).  CPython keeps the old
 * generation as two lists, old[0] and old[1], one the "visited" space and the other "pending",
 * and a bit in each object's head saying which it is in.  Here old is one list: the pending
 * objects first, then the visited ones; every operation keeps that order, because objects only
 * ever enter the visited space at its tail and the pending space as a whole (a scavenge's end).
 * The bit is GC_PREV_MASK_OLD_SPACE; visited_space says which value means visited.  Young
 * objects are not visited; the permanent generation is visited.
 *
 *     young: [n1 n2 n3]          old: [p1 p2 p3 | v1 v2 v3 v4]
 *                                       pending   visited (tail)
 *
 * Collections (gc.collect(generation), each one GC_START .. GC_END)
 * -----------------------------------------------------------------
 *   0  young:   tuples untracked; young marked visited; the usual detection (gc.c, 7.6) over
 *               young; the survivors join the visited tail.  young.count = 0, old[visited]
 *               count += 1.  GC_START gen 0.  (GC_START and GC_END carry CPython's generation
 *               number, as the callbacks see it: 0, 1 or 2.)
 *   1  one increment (what every automatic collection is), GC_START gen 1:
 *        work_to_do += young.count + min(heap_size / 10 / scale, young.count * 3 / 2),
 *        young.count = 0, scale = max(threshold[1], 2); tuples of young untracked;
 *        MARK phase (the first increment of a scavenge): GC_PHASE MARK_ROOTS; everything the
 *          frames' names reach moves to the visited tail (gc_mark VISITED, gc_move 1); the number
 *          marked comes off work_to_do (twice, as v3.14.0's gc_collect_increment does); the
 *          increment ends there.
 *        COLLECT phase: GC_PHASE MARK_ROOTS again for the frames not visited since; then
 *          GC_PHASE INCREMENT: all of young (gc_merge 0 -> 1), then, while the increment is
 *          smaller than work_to_do, the oldest pending object with every pending object it
 *          reaches, transitively, so that no cycle is split (gc_mark INCREMENT on each member,
 *          young ones first); the usual
 *          detection over the increment; the survivors, one gc_move each, to the visited tail.
 *          work_to_do += heap_size / 10 / scale - increment size.  When nothing is pending,
 *          the scavenge is complete: visited becomes pending (the bit's meaning flips; with a
 *          non-empty permanent generation the objects' bits are rewritten instead),
 *          work_to_do = 0, and the next increment marks again.
 *   2  full, GC_START gen 2: pending, then young, join the visited tail (gc_move, gc_merge);
 *          the usual detection over all of old; free lists cleared; every count reset; the
 *          scavenge is complete.
 *
 * The module's numbering is 3.14's (Modules/gcmodule.c and Python/gc.c of v3.14.0), which keeps
 * three generation numbers for two generations: gc.get_count() is (young.count,
 * old[visited].count, old[pending].count), gen[1].count being the visited space's and the
 * pending one's going out as gc_count(2); gc.get_threshold() is (young's, old's, 0);
 * gc.get_objects(0) is young, (1) nothing, (2) all of old; gc.get_stats() and the callbacks
 * count collections of 0 (young), 1 (increments) and 2 (full).
 */
#include "gc_list.h"
#include "runtime_private.h"

#include <allocator/errmsg.h>

#include <inttypes.h>

/* Divides the heap size: with the default threshold of 10 an increment scans 1% of the heap. */
#define SCAN_RATE_DIVISOR 10

static bool is_visited(const struct gc_state *gc, const struct gc_head *g)
{
    return gc_old_space(g) == gc->incr.visited_space;
}

static void set_space_all(struct gc_head *list, unsigned space)
{
    for (struct gc_head *g = gc_next(list); g != list; g = gc_next(g))
        gc_set_old_space(g, space);
}

/* gc.get_count()[1] and [2]: the visited space's count is old's (gen[1].count, gc_count(1)); the
 * pending space's goes out as gc_count(2) when it changes. */
static void show_old_counts(struct runtime *rt)
{
    struct gc_incremental *in = &rt->gc.incr;
    gc_set_count(rt, 1, in->old_count[in->visited_space]);
    uint32_t pending = in->old_count[in->visited_space ^ 1];
    if (pending != in->pending_shown) {
        in->pending_shown = pending;
        RT_EMIT(rt, GC_COUNT, gc_count, .gen = 2, .count = pending);
    }
}

static void set_old_count(struct runtime *rt, unsigned space, uint32_t count)
{
    rt->gc.incr.old_count[space] = count;
    show_old_counts(rt);
}

void gc_incr_init(struct runtime *rt)
{
    /* the interpreter's own objects are part of CPython's heap_size */
    rt->gc.incr = (struct gc_incremental){.heap_size = (int64_t)rt->gc.residents};
}

/* ---- marking from the roots (mark_at_start, mark_stacks, mark_all_reachable) ------------------ */

struct mark_ctx {
    struct runtime *rt;
    struct gc_head *reachable;
    struct rt_object *parent;
    int64_t marked;
    bool quiet; /* no gc_mark: the increment announces its members itself */
};

/* A tracked container not yet visited moves to `reachable`, marked visited. */
static void mark_one(struct mark_ctx *c, struct rt_object *o)
{
    if (!o || !rt_type_is_gc(o->type))
        return;
    struct gc_head *g = rt_as_gc(o);
    if (g->next == 0 || is_visited(&c->rt->gc, g))
        return;
    gc_set_old_space(g, c->rt->gc.incr.visited_space);
    list_move(g, c->reachable);
    c->marked++;
    if (!c->quiet)
        RT_EMIT(c->rt, GC_MARK, gc_mark, .obj = rt_addr(o), .mark = EV_GC_MARK_VISITED,
            .via = c->parent ? rt_addr(c->parent) : 0);
}

static void visit_mark(struct rt_object *o, void *arg)
{
    mark_one(arg, o);
}

/* The frames' names are the roots (the module frame stands for the interpreter's dicts): from the
 * innermost frame out, stopping after the first already visited one unless `start`. */
static int64_t mark_roots(struct runtime *rt, bool start)
{
    struct gc_head reachable;
    list_init(&reachable);
    struct mark_ctx c = {.rt = rt, .reachable = &reachable};
    size_t roots = 0;
    for (size_t i = rt->nframes; i-- > 0;) {
        roots += rt->frames[i].nnames;
        if (!start && rt->frames[i].visited)
            break;
    }
    RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_MARK_ROOTS, .n = roots);
    for (size_t i = rt->nframes; i-- > 0;) {
        struct rt_frame *f = &rt->frames[i];
        for (size_t k = 0; k < f->nnames; k++)
            mark_one(&c, f->names[k].obj);
        bool stop = !start && f->visited;
        f->visited = true;
        if (stop)
            break;
    }
    struct gc_head *old = &rt->gc.gen[1].head;
    while (!list_is_empty(&reachable)) {
        struct gc_head *g = gc_next(&reachable);
        list_move(g, old);
        c.parent = rt_from_gc(g);
        RT_EMIT(rt, GC_MOVE, gc_move, .obj = rt_addr(c.parent), .to = 1);
        rt_traverse(c.parent, visit_mark, &c);
    }
    return c.marked;
}

/* ---- the increment ------------------------------------------------------------------------------ */

/* Moves into `increment` every pending object reachable from its objects from `from` on
 * (expand_region_transitively_reachable); returns how many. */
static int64_t expand_region(struct runtime *rt, struct gc_head *increment, struct gc_head *from)
{
    struct mark_ctx c = {.rt = rt, .reachable = increment, .quiet = true};
    for (struct gc_head *g = from; g != increment; g = gc_next(g)) {
        c.parent = rt_from_gc(g);
        rt_traverse(c.parent, visit_mark, &c);
    }
    return c.marked;
}

/* A scavenge is complete: what was visited becomes pending (completed_scavenge). */
static void completed_scavenge(struct runtime *rt)
{
    struct gc_state *gc = &rt->gc;
    if (list_is_empty(&gc->permanent.head)) {
        gc->incr.visited_space ^= 1;
        set_space_all(&gc->gen[0].head, gc->incr.visited_space ^ 1);
        show_old_counts(rt);
    } else {
        /* the permanent generation must stay visited: the objects change space instead */
        set_space_all(&gc->gen[1].head, gc->incr.visited_space ^ 1);
    }
    gc->incr.work_to_do = 0;
    gc->incr.collect_phase = false;
}

static int64_t scale_factor(const struct gc_state *gc)
{
    return gc->gen[1].threshold < 2 ? 2 : (int64_t)gc->gen[1].threshold;
}

/* assess_work_to_do: new objects plus a share of the heap, at most 1.5 times the new ones. */
static int64_t assess_work_to_do(struct runtime *rt)
{
    struct gc_state *gc = &rt->gc;
    int64_t new_objects = gc->gen[0].count;
    int64_t max_heap_fraction = new_objects * 3 / 2;
    int64_t heap_fraction = gc->incr.heap_size / SCAN_RATE_DIVISOR / scale_factor(gc);
    if (heap_fraction > max_heap_fraction)
        heap_fraction = max_heap_fraction;
    gc_set_count(rt, 0, 0);
    return new_objects + heap_fraction;
}

/* Joins `survivors` to the visited tail of old, one gc_move each. */
static void join_visited(struct runtime *rt, struct gc_head *survivors)
{
    struct gc_state *gc = &rt->gc;
    if (rt_on(rt))
        for (struct gc_head *g = gc_next(survivors); g != survivors; g = gc_next(g))
            RT_EMIT(rt, GC_MOVE, gc_move, .obj = rt_addr(rt_from_gc(g)), .to = 1);
    set_space_all(survivors, gc->incr.visited_space);
    list_merge(survivors, &gc->gen[1].head);
}

static int64_t collect_young(struct runtime *rt, uint64_t t0, int64_t *m, int64_t *n)
{
    struct gc_state *gc = &rt->gc;
    struct gc_head *young = &gc->gen[0].head, survivors;
    gc_untrack_tuples(rt, young);
    set_space_all(young, gc->incr.visited_space);
    list_init(&survivors);
    int64_t r = gc_collect_region(rt, young, 0, &survivors, 1, 0, false, t0, m, n);
    set_space_all(&survivors, gc->incr.visited_space);
    list_merge(&survivors, &gc->gen[1].head);
    gc_set_count(rt, 0, 0);
    set_old_count(rt, gc->incr.visited_space, gc->incr.old_count[gc->incr.visited_space] + 1);
    return r;
}

static int64_t collect_increment(struct runtime *rt, uint64_t t0, int64_t *m, int64_t *n, bool *counted)
{
    struct gc_state *gc = &rt->gc;
    struct gc_head *young = &gc->gen[0].head, *old = &gc->gen[1].head;
    gc->incr.work_to_do += assess_work_to_do(rt);
    gc_untrack_tuples(rt, young);
    if (!gc->incr.collect_phase) {
        int64_t marked = mark_roots(rt, true);
        gc->incr.collect_phase = true;
        /* v3.14.0 takes the marked objects off the budget in mark_at_start and again here */
        gc->incr.work_to_do -= 2 * marked;
        *counted = false;
        return 0;
    }
    gc->incr.work_to_do -= mark_roots(rt, false);

    struct gc_head increment, survivors;
    list_init(&increment);
    size_t nyoung = list_size(young);
    set_space_all(young, gc->incr.visited_space);
    list_merge(young, &increment);
    int64_t size = (int64_t)nyoung;
    while (size < gc->incr.work_to_do) {
        struct gc_head *g = gc_next(old);
        if (g == old || is_visited(gc, g))
            break; /* nothing pending */
        list_move(g, &increment);
        gc_set_old_space(g, gc->incr.visited_space);
        size += 1 + expand_region(rt, &increment, g);
    }
    /* the increment's events, now that its size is known */
    RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_INCREMENT, .n = (uint64_t)size);
    if (nyoung)
        RT_EMIT(rt, GC_MERGE, gc_merge, .from = 0, .to = 1);
    if (rt_on(rt))
        for (struct gc_head *g = gc_next(&increment); g != &increment; g = gc_next(g))
            RT_EMIT(rt, GC_MARK, gc_mark, .obj = rt_addr(rt_from_gc(g)), .mark = EV_GC_MARK_INCREMENT);
    list_init(&survivors);
    int64_t r = gc_collect_region(rt, &increment, 1, &survivors, 1, 1, false, t0, m, n);
    join_visited(rt, &survivors);
    gc->incr.work_to_do += gc->incr.heap_size / SCAN_RATE_DIVISOR / scale_factor(gc) - size;
    struct gc_head *first = gc_next(old);
    if (first == old || is_visited(gc, first))
        completed_scavenge(rt);
    *counted = true;
    return r;
}

static int64_t collect_full(struct runtime *rt, uint64_t t0, int64_t *m, int64_t *n)
{
    struct gc_state *gc = &rt->gc;
    struct gc_head *young = &gc->gen[0].head, *old = &gc->gen[1].head, pending;
    gc_untrack_tuples(rt, young);
    /* visited, then pending, then young: one list */
    list_init(&pending);
    for (struct gc_head *g = gc_next(old); g != old && !is_visited(gc, g); g = gc_next(old))
        list_move(g, &pending);
    size_t npending = list_size(&pending), nyoung = list_size(young);
    RT_EMIT(rt, GC_PHASE, gc_phase, .phase = EV_GC_PHASE_MERGE, .n = npending + nyoung);
    join_visited(rt, &pending);
    set_space_all(young, gc->incr.visited_space);
    list_merge(young, old);
    if (nyoung)
        RT_EMIT(rt, GC_MERGE, gc_merge, .from = 0, .to = 1);
    gc_set_count(rt, 0, 0);
    int64_t r = gc_collect_region(rt, old, 1, old, 1, 2, true, t0, m, n);
    /* the detection used the heads' prev words: every object left in old is visited */
    set_space_all(old, gc->incr.visited_space);
    gc_set_count(rt, 0, 0);
    set_old_count(rt, 0, 0);
    set_old_count(rt, 1, 0);
    completed_scavenge(rt);
    return r;
}

int64_t gc_incr_collect(struct runtime *rt, int generation, enum ev_gc_reason reason, int64_t *n_collected,
                        int64_t *n_uncollectable)
{
    struct gc_state *gc = &rt->gc;
    uint64_t t0 = gc_now_nanos();
    int64_t m = 0, n = 0, r;
    bool counted = true;
    if (gc->debug & GC_DEBUG_STATS) {
        /* show_stats_each_generations: young, then old[visited] and old[pending] */
        struct gc_incr_state st;
        gc_incr_get_state(rt, &st);
        gc_debug_printf(rt, "gc: collecting generation %d...\n", generation);
        gc_debug_printf(rt, "gc: objects in each generation: %zu %zu %zu\n", list_size(&gc->gen[0].head), st.visited,
                        st.pending);
        gc_debug_printf(rt, "gc: objects in permanent generation: %zu\n", list_size(&gc->permanent.head));
    }
    RT_EMIT(rt, GC_START, gc_start, .gen = (uint64_t)generation, .reason = reason);
    if (generation == 0)
        r = collect_young(rt, t0, &m, &n);
    else if (generation == 1)
        r = collect_increment(rt, t0, &m, &n, &counted);
    else
        r = collect_full(rt, t0, &m, &n);
    if (counted) {
        gc->stats[generation].collections++;
        gc->stats[generation].collected += (uint64_t)m;
        gc->stats[generation].uncollectable += (uint64_t)n;
    }
    RT_EMIT(rt, GC_END, gc_end, .gen = (uint64_t)generation, .collected = (uint64_t)m, .uncollectable = (uint64_t)n,
            .nanos = gc_now_nanos() - t0);
    *n_collected = m;
    *n_uncollectable = n;
    return r;
}

void gc_incr_freeze(struct runtime *rt)
{
    /* the permanent generation is visited */
    set_space_all(&rt->gc.gen[0].head, rt->gc.incr.visited_space);
    set_space_all(&rt->gc.gen[1].head, rt->gc.incr.visited_space);
    rt->gc.incr.old_count[0] = rt->gc.incr.old_count[1] = 0;
    show_old_counts(rt);
}

void gc_incr_get_state(const struct runtime *rt, struct gc_incr_state *out)
{
    const struct gc_state *gc = &rt->gc;
    size_t pending = 0;
    const struct gc_head *old = &gc->gen[1].head;
    for (const struct gc_head *g = gc_next(old); g != old && !is_visited(gc, g); g = gc_next(g))
        pending++;
    *out = (struct gc_incr_state){.visited_space = gc->incr.visited_space,
                                  .marking_next = !gc->incr.collect_phase,
                                  .work_to_do = gc->incr.work_to_do,
                                  .heap_size = gc->incr.heap_size,
                                  .pending = pending,
                                  .visited = list_size(old) - pending,
                                  .old_count = {gc->incr.old_count[0], gc->incr.old_count[1]}};
}

bool gc_incr_is_valid(const struct runtime *rt, char *err, size_t errlen)
{
    const struct gc_state *gc = &rt->gc;
    const struct gc_head *young = &gc->gen[0].head, *old = &gc->gen[1].head, *perm = &gc->permanent.head;
    for (const struct gc_head *g = gc_next(young); g != young; g = gc_next(g))
        if (is_visited(gc, g))
            return errmsg_fail(err, errlen, false, "gc: young: object 0x%" PRIxPTR " is marked visited",
                               (uintptr_t)rt_from_gc(g));
    bool seen_visited = false;
    for (const struct gc_head *g = gc_next(old); g != old; g = gc_next(g)) {
        if (is_visited(gc, g))
            seen_visited = true;
        else if (seen_visited)
            return errmsg_fail(err, errlen, false, "gc: old: pending object 0x%" PRIxPTR " after a visited one",
                               (uintptr_t)rt_from_gc(g));
    }
    for (const struct gc_head *g = gc_next(perm); g != perm; g = gc_next(g))
        if (!is_visited(gc, g))
            return errmsg_fail(err, errlen, false, "gc: permanent generation: object 0x%" PRIxPTR " is not visited",
                               (uintptr_t)rt_from_gc(g));
    if (gc->gen[1].count != gc->incr.old_count[gc->incr.visited_space])
        return errmsg_fail(err, errlen, false, "gc: old's count %" PRIu32 " is not the visited space's %" PRIu32,
                           gc->gen[1].count, gc->incr.old_count[gc->incr.visited_space]);
    return true;
}
