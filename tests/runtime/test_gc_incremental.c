/*
 * test_gc_incremental.c - the cpython-3.14 profile's incremental collector against the rules of
 * CPython's Python/gc.c of v3.14.0 (docs/cpython-memory.md 7.12): where a young collection's
 * survivors go, what the first increment of a scavenge does, which pending objects an increment
 * takes, and when a scavenge is complete.  No 3.14 interpreter is installed, so the expected
 * values are computed here from those rules and the collector's observable state.
 */
#include "rt_fixture.h"

#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

/* What the tests watch besides the fold: the members of the increments, in order (the young
 * ones first, then those taken from the pending space), and the last GC_START. */
struct watch {
    struct fold *fold;
    uint64_t taken[512];
    size_t ntaken;
    uint64_t start_gen;
    int collections;
};

static void watch_emit(void *ctx, const struct event *ev)
{
    struct watch *w = ctx;
    fold_emit(w->fold, ev);
    if (ev->kind == EV_GC_MARK && ev->u.gc_mark.mark == EV_GC_MARK_INCREMENT && w->ntaken < 512)
        w->taken[w->ntaken++] = ev->u.gc_mark.obj;
    if (ev->kind == EV_GC_START) {
        w->start_gen = ev->u.gc_start.gen;
        w->collections++;
    }
}

static struct rt_fixture fx;
static struct watch w;
static struct runtime *rt;

static void open_incremental(void)
{
    memset(&fx, 0, sizeof fx);
    memset(&w, 0, sizeof w);
    fold_init(&fx.fold);
    w.fold = &fx.fold;
    struct event_sink sink = {watch_emit, &w};
    struct heap_arena_source src = heap_arena_source_aligned();
    cr_assert_eq(heap_new(&fx.heap, heap_profile_at(0), &src, &sink), 0);
    struct gc_profile p;
    char err[160];
    cr_assert_eq(gc_profile_parse("cpython-3.14", &p, err, sizeof err), 0, "%s", err);
    cr_assert(p.incremental);
    cr_assert_eq(rt_new(&fx.rt, fx.heap, &p, &sink), 0);
    rt = fx.rt;
}

static void close_incremental(void)
{
    fixture_close(&fx);
}

TestSuite(incremental, .init = open_incremental, .fini = close_incremental);

static struct gc_incr_state state(void)
{
    struct gc_incr_state s;
    gc_incr_get_state(rt, &s);
    return s;
}

static uint32_t count(size_t g)
{
    uint32_t c[GC_MAX_GENERATIONS];
    gc_get_count(rt, c);
    return c[g];
}

/* A list holding n new empty lists, bound to `name`. */
static void bind_lists(const char *name, int n)
{
    struct rt_object *holder = rt_list(rt, 0, NULL);
    cr_assert_not_null(holder);
    for (int i = 0; i < n; i++) {
        struct rt_object *l = rt_list(rt, 0, NULL);
        rt_list_append(rt, holder, l);
        rt_decref(rt, l, EV_REF_TEMP, NULL);
    }
    rt_bind_new(rt, name, holder);
}

/* n two-list cycles, held by a list bound to `name` (deleting the name leaves them garbage). */
static void bind_cycles(const char *name, int n)
{
    struct rt_object *holder = rt_list(rt, 0, NULL);
    for (int i = 0; i < n; i++) {
        struct rt_object *p = rt_list(rt, 0, NULL), *q = rt_list(rt, 1, &p);
        rt_list_append(rt, p, q);
        rt_list_append(rt, holder, p);
        rt_decref(rt, p, EV_REF_TEMP, NULL);
        rt_decref(rt, q, EV_REF_TEMP, NULL);
    }
    rt_bind_new(rt, name, holder);
}

/* The addresses of generation g's objects, in the collector's order. */
static size_t objects_of(int g, uint64_t *out, size_t max)
{
    struct rt_object *l = gc_get_objects(rt, g);
    cr_assert_not_null(l);
    size_t n = rt_len(l);
    for (size_t i = 0; i < n && i < max; i++)
        out[i] = (uint64_t)(uintptr_t)rt_item(l, i);
    rt_decref(rt, l, EV_REF_TEMP, NULL);
    return n < max ? n : max;
}

Test(incremental, the_profile_has_two_generations_young_and_old)
{
    cr_assert_eq(gc_generation_count(rt), 2);
    cr_assert_eq(gc_full_generation(rt), 2);
    uint32_t th[GC_MAX_GENERATIONS];
    gc_get_threshold(rt, th);
    cr_assert_eq(th[0], 2000);
    cr_assert_eq(th[1], 10);
    cr_assert_str_eq(rt_gc_profile(rt)->generation_names[0], "young");
    cr_assert_str_eq(rt_gc_profile(rt)->generation_names[1], "old");
    cr_assert(strstr(rt_gc_profile(rt)->help, "3.14.5"), "the help names the release that went back");
    cr_assert_eq(gc_collect(rt, 3), RT_EINVAL);
    fixture_check(&fx);
}

/* 3.14's gc module keeps three generation numbers (Modules/gcmodule.c of v3.14.0): get_count()
 * is (young.count, old[visited].count, old[pending].count), get_threshold() (young's, old's,
 * 0), and a third threshold is taken and dropped. */
Test(incremental, the_module_numbers_three_generations)
{
    cr_assert_eq(gc_module_generations(rt), 3);
    uint32_t th[GC_MAX_GENERATIONS] = {1, 1, 1};
    gc_get_threshold(rt, th);
    cr_assert_eq(th[2], 0);
    cr_assert_eq(gc_set_threshold(rt, 3, (uint32_t[]){2000, 10, 7}), 0);
    gc_get_threshold(rt, th);
    cr_assert_eq(th[2], 0, "the third threshold is not kept");
    cr_assert_eq(gc_set_threshold(rt, 4, (uint32_t[]){1, 2, 3, 4}), RT_EINVAL);

    gc_collect(rt, 2);
    bind_lists("a", 2);
    gc_collect(rt, 0);
    gc_collect(rt, 0);
    cr_assert_eq(count(0), 0);
    cr_assert_eq(count(1), 2, "two young collections counted in the visited space");
    cr_assert_eq(count(2), 0);
    /* increments until the scavenge completes: the visited space becomes the pending one, and
     * its count with it */
    uint32_t space = state().visited_space;
    for (int i = 0; i < 100 && state().visited_space == space; i++)
        gc_collect(rt, 1);
    cr_assert_neq(state().visited_space, space, "the scavenge completes");
    cr_assert_eq(count(2), 2, "the pending space's count is the one visited before");
    cr_assert_eq(count(1), 0);
    gc_collect(rt, 2);
    cr_assert_eq(count(1) + count(2), 0, "a full collection resets every count");
    fixture_check(&fx);
}

/* gc.get_objects(generation) of v3.14.0 (_PyGC_GetObjects): 0 young, 1 nothing ("there is no
 * generation 1"), 2 all of old, both spaces; None everything but the permanent generation. */
Test(incremental, get_objects_follows_3_14_s_numbering)
{
    bind_lists("b", 3); /* 4 young */
    gc_collect(rt, 0);  /* old, visited */
    bind_lists("a", 1); /* 2 young */
    gc_collect(rt, 2);
    bind_lists("c", 0); /* 1 young */
    gc_collect(rt, 0);
    bind_lists("d", 0);
    struct gc_incr_state s = state();
    cr_assert_gt(s.pending, 0);
    cr_assert_gt(s.visited, 0);
    uint64_t objs[64];
    cr_assert_eq(objects_of(0, objs, 64), 1);
    cr_assert_eq(objects_of(1, objs, 64), 0);
    cr_assert_eq(objects_of(2, objs, 64), s.pending + s.visited);
    cr_assert_eq(objects_of(-1, objs, 64), 1 + s.pending + s.visited);
    cr_assert_null(gc_get_objects(rt, 3));
    /* the interpreter's own objects, which it cannot list, are old */
    cr_assert_eq(gc_get_objects_startup(rt, 2), gc_startup_objects(rt, 1));
    cr_assert_eq(gc_get_objects_startup(rt, 1), 0);
    fixture_check(&fx);
}

/* GC_START and GC_END number collections as 3.14's callbacks and get_stats() do: a full one 2. */
Test(incremental, a_full_collection_is_generation_2)
{
    gc_collect(rt, 2);
    cr_assert_eq(w.start_gen, 2);
    struct gc_gen_stats st[GC_MAX_GENERATIONS];
    gc_get_stats(rt, st);
    cr_assert_eq(st[2].collections, 1);
    fixture_check(&fx);
}

Test(incremental, a_young_collection_promotes_to_the_visited_end_of_old)
{
    bind_lists("b", 0);
    gc_collect(rt, 2); /* b is old, and pending once the scavenge completes */
    struct gc_incr_state s = state();
    cr_assert_eq(s.pending, 1);
    cr_assert_eq(s.visited, 0);
    uint32_t old_count = count(1);

    bind_lists("a", 0);
    bind_cycles("c", 1);
    rt_unbind(rt, "c"); /* a young cycle, garbage */
    cr_assert_eq(gc_generation_size(rt, 0), 3);
    cr_assert_eq(gc_collect(rt, 0), 2, "the young cycle is collected");
    s = state();
    cr_assert_eq(gc_generation_size(rt, 0), 0);
    cr_assert_eq(s.pending, 1, "b stays pending");
    cr_assert_eq(s.visited, 1, "a joins the visited space");
    cr_assert_eq(count(0), 0);
    cr_assert_eq(count(1), old_count + 1, "old[visited].count counts young collections");
    uint64_t order[4];
    cr_assert_eq(objects_of(2, order, 4), 2);
    cr_assert_eq(order[0], (uint64_t)(uintptr_t)rt_lookup(rt, "b"), "pending first");
    cr_assert_eq(order[1], (uint64_t)(uintptr_t)rt_lookup(rt, "a"), "then visited");
    fixture_check(&fx);
}

Test(incremental, the_first_increment_of_a_scavenge_only_marks_from_the_roots)
{
    gc_collect(rt, 2);
    cr_assert(state().marking_next);
    bind_lists("named", 1); /* 2 containers reachable from a name */
    bind_cycles("c", 2);
    rt_unbind(rt, "c"); /* 4 in garbage cycles, reachable from nothing */
    struct gc_incr_state before = state();
    int64_t young = count(0), marked = 2;
    cr_assert_eq(before.work_to_do, 0, "a full collection completes the scavenge");

    cr_assert_eq(gc_collect(rt, 1), 0, "marking collects nothing");
    struct gc_incr_state after = state();
    cr_assert_not(after.marking_next);
    cr_assert_eq(after.visited, (size_t)marked, "what the names reach is visited");
    cr_assert_eq(gc_generation_size(rt, 0), 4, "the garbage stays young");
    int64_t fraction = before.heap_size / 10 / 10;
    if (fraction > young * 3 / 2)
        fraction = young * 3 / 2;
    /* v3.14.0 takes the marked objects off the budget twice */
    cr_assert_eq(after.work_to_do, young + fraction - 2 * marked);
    cr_assert_eq(count(0), 0, "assessing the work resets young's count");
    struct gc_gen_stats stats[GC_MAX_GENERATIONS];
    gc_get_stats(rt, stats);
    cr_assert_eq(stats[1].collections, 0, "a marking increment is not counted");
    fixture_check(&fx);
}

Test(incremental, an_increment_takes_the_oldest_pending_objects_with_all_they_reach)
{
    gc_disable(rt); /* collections only when asked */
    uint32_t th[GC_MAX_GENERATIONS] = {2000, 2};
    gc_set_threshold(rt, 2, th);
    bind_cycles("garbage", 100);
    gc_collect(rt, 2); /* the 200 lists (and their holder) are old, then pending */
    rt_unbind(rt, "garbage");
    gc_collect(rt, 1); /* marks: nothing is named */
    cr_assert_eq(state().visited, 0);

    uint64_t pending[256];
    size_t npending = objects_of(2, pending, 256);
    cr_assert_eq(npending, 200);
    bind_lists("fresh", 50); /* 51 young containers, all reachable from a name */

    /* the rule: the oldest pending object not yet taken, with what it reaches, while the
     * increment is smaller than the budget (the young were all marked: none is in it).  The
     * groups in the order they would be taken: */
    uint64_t order[256];
    size_t norder = 0, group_end[256], ngroups = 0;
    for (size_t i = 0; i < npending; i++) {
        bool taken = false;
        for (size_t k = 0; k < norder; k++)
            taken = taken || order[k] == pending[i];
        if (taken)
            continue;
        struct rt_object *o = (struct rt_object *)(uintptr_t)pending[i];
        order[norder++] = pending[i];
        struct rt_object *ref = gc_get_referents(rt, o);
        for (size_t k = 0; k < rt_len(ref); k++)
            order[norder++] = (uint64_t)(uintptr_t)rt_item(ref, k);
        rt_decref(rt, ref, EV_REF_TEMP, NULL);
        group_end[ngroups++] = norder;
    }
    struct gc_incr_state before = state();
    int64_t young = count(0), marked = (int64_t)gc_generation_size(rt, 0);
    int64_t fraction = before.heap_size / 10 / 2;
    if (fraction > young * 3 / 2)
        fraction = young * 3 / 2;
    int64_t budget = before.work_to_do + young + fraction - marked;
    cr_assert_gt(budget, 0);
    size_t nwant = 0;
    for (size_t g = 0; g < ngroups && (int64_t)nwant < budget; g++)
        nwant = group_end[g];
    const uint64_t *want = order;
    w.ntaken = 0;
    cr_assert_eq(gc_collect(rt, 1), (int64_t)nwant, "every object taken was garbage");
    cr_assert_eq(w.ntaken, nwant);
    for (size_t k = 0; k < nwant; k++)
        cr_assert_eq(w.taken[k], want[k], "object %zu of the increment", k);
    struct gc_incr_state after = state();
    cr_assert_eq(after.pending, before.pending - nwant);
    cr_assert_eq(after.visited, before.visited + 51, "the marked young objects");
    cr_assert_eq(gc_generation_size(rt, 0), 0);
    int64_t heap = after.heap_size;
    cr_assert_eq(after.work_to_do, budget + heap / 10 / 2 - (int64_t)nwant);
    fixture_check(&fx);
}

Test(incremental, a_scavenge_completes_when_nothing_is_pending)
{
    gc_disable(rt);
    uint32_t th[GC_MAX_GENERATIONS] = {2000, 2};
    gc_set_threshold(rt, 2, th);
    bind_cycles("garbage", 2);
    gc_collect(rt, 2);
    rt_unbind(rt, "garbage");
    gc_collect(rt, 1); /* marks */
    bind_cycles("fresh", 40);
    rt_unbind(rt, "fresh"); /* young garbage: in the increment, and not marked */
    struct gc_incr_state before = state();
    cr_assert_eq(before.pending, 4);
    int64_t young = count(0), inyoung = (int64_t)gc_generation_size(rt, 0);
    int64_t fraction = before.heap_size / 10 / 2;
    if (fraction > young * 3 / 2)
        fraction = young * 3 / 2;
    int64_t budget = before.work_to_do + young + fraction;
    cr_assert_geq(budget, inyoung + 3, "the budget reaches the second pending cycle");
    cr_assert_eq(gc_collect(rt, 1), inyoung + 4);
    struct gc_incr_state after = state();
    cr_assert_eq(after.visited_space, before.visited_space ^ 1, "visited becomes pending");
    cr_assert_eq(after.visited, 0);
    cr_assert_eq(after.pending, before.visited);
    cr_assert(after.marking_next);
    cr_assert_eq(after.work_to_do, 0);
    fixture_check(&fx);
}

static void on_collect(struct runtime *r, const char *phase, const struct gc_info *info, void *ctx)
{
    (void)r;
    if (strcmp(phase, "start") == 0)
        ((int *)ctx)[info->generation]++;
}

Test(incremental, an_automatic_collection_is_always_an_increment)
{
    uint32_t th[GC_MAX_GENERATIONS] = {5, 10};
    gc_set_threshold(rt, 2, th);
    int by_gen[3] = {0};
    gc_callback_add(rt, on_collect, by_gen);
    bind_lists("keep", 60);
    gc_callback_remove(rt, on_collect, by_gen);
    cr_assert_gt(by_gen[1], 5);
    cr_assert_eq(by_gen[0], 0);
    cr_assert_eq(by_gen[2], 0);
    cr_assert_eq(w.start_gen, 1, "GC_START names an increment 1, as the callbacks do");
    fixture_check(&fx);
}

Test(incremental, freezing_keeps_the_spaces_whole)
{
    bind_lists("a", 3);
    gc_collect(rt, 0);
    /* the interpreter's own objects, counted without being made, are frozen with the rest */
    size_t own = gc_startup_objects(rt, 0) + gc_startup_objects(rt, 1) + gc_startup_objects(rt, 2);
    gc_freeze(rt);
    cr_assert_eq(gc_get_freeze_count(rt), 4 + own);
    fixture_check(&fx);
    bind_cycles("c", 3);
    rt_unbind(rt, "c");
    cr_assert_eq(gc_collect(rt, 2), 6);
    gc_unfreeze(rt);
    cr_assert_eq(state().visited + state().pending, 4);
    fixture_check(&fx);
}
