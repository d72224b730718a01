/*
 * test_objects.c - the model equals the program, objects included: random object-graph
 * workloads on the real runtime and collector (lists, dicts, instances with and without __del__,
 * tuples, ints, floats, weak references, names in frames, collections of every generation),
 * whose events are folded as they are emitted.  After every step the model must match the
 * allocator (every arena, pool and free list, as in test_program.c) and the runtime: each object
 * the workload holds (its type, reference count, tracking, weak references, finalizer flag, and
 * for lists their items as referents), the number of live objects, and each generation's
 * count, threshold, size and collections.
 */
#include "heapcmp.h"
#include "record.h"
#include "recorder.h"

#include <allocator/gc.h>
#include <allocator/heap.h>
#include <allocator/runtime.h>
#include <tracer/model.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


enum { NROOTS = 48 };

struct world {
    struct heap *heap;
    struct runtime *rt;
    struct folding f;
    struct rt_object *roots[NROOTS];
    const struct rt_type *Node, *Fin;
    char err[512];
    uint64_t step;
};

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* The list's items as (address) multiset against the model's referents of the list. */
static void check_list_items(struct world *w, const struct rt_object *list)
{
    size_t n = rt_len(list);
    uint64_t *items = malloc((n + 1) * sizeof *items);
    for (size_t i = 0; i < n; i++)
        items[i] = rt_id(rt_item(list, i));
    qsort(items, n, sizeof *items, cmp_u64);
    struct model_ref refs[256];
    size_t nr = model_object_referents(w->f.m, rt_id(list), refs, 256);
    cr_assert_leq(nr, 256);
    uint64_t total = 0;
    for (size_t r = 0; r < nr; r++) {
        size_t c = 0;
        for (size_t i = 0; i < n; i++)
            c += items[i] == refs[r].obj;
        cr_assert_eq(c, refs[r].count, "step %lu: list 0x%lx holds 0x%lx %zu times, the model says %lu",
                     (unsigned long)w->step, (unsigned long)rt_id(list), (unsigned long)refs[r].obj,
                     c, (unsigned long)refs[r].count);
        total += refs[r].count;
    }
    cr_assert_eq(total, n, "step %lu: the list holds %zu items, the model %lu", (unsigned long)w->step,
                 n, (unsigned long)total);
    free(items);
}

static void check_world(struct world *w)
{
    const struct model *m = w->f.m;
    if (w->f.rc)
        folding_show_recent(&w->f);
    cr_assert_eq(w->f.rc, 0, "step %lu: %s", (unsigned long)w->step, model_error(m));
    cr_assert_eq(w->f.rc_copy, 0, "step %lu: the reloaded model: %s", (unsigned long)w->step,
                 model_error(w->f.copy));
    cr_assert(hc_compare(m, w->heap, w->err, sizeof w->err), "step %lu: %s", (unsigned long)w->step,
              w->err);
    cr_assert(model_is_valid(m, w->err, sizeof w->err), "step %lu: model: %s", (unsigned long)w->step,
              w->err);
    for (int i = 0; i < NROOTS; i++) {
        const struct rt_object *o = w->roots[i];
        if (!o)
            continue;
        struct model_object mo;
        cr_assert(model_object_find(m, rt_id(o), &mo), "step %lu: 0x%lx unknown to the model",
                  (unsigned long)w->step, (unsigned long)rt_id(o));
        cr_assert_str_eq(mo.type_name, rt_type_name(rt_type_of(o)));
        cr_assert_eq(mo.refcnt, (uint64_t)rt_refcnt(o), "step %lu: %s 0x%lx: refcnt model %lu, runtime %ld",
                     (unsigned long)w->step, mo.type_name, (unsigned long)rt_id(o),
                     (unsigned long)mo.refcnt, (long)rt_refcnt(o));
        cr_assert_eq(mo.tracked, gc_is_tracked(o), "step %lu: tracking of 0x%lx", (unsigned long)w->step,
                     (unsigned long)rt_id(o));
        cr_assert_eq((mo.flags & MODEL_OBJ_FINALIZED) != 0, gc_is_finalized(o));
        if (rt_supports_weakrefs(o))
            cr_assert_eq(mo.weakrefs, rt_weakref_count(o), "step %lu: weakrefs of 0x%lx",
                         (unsigned long)w->step, (unsigned long)rt_id(o));
        if (rt_is_a(o, "list"))
            check_list_items(w, o);
    }
    /* live objects: the model also knows the static ones (None, small ints) */
    size_t cur = 0, nonstatic = 0;
    struct model_object mo;
    while (model_object_next(m, &cur, &mo))
        nonstatic += !(mo.flags & MODEL_OBJ_STATIC);
    uint64_t live = rt_counts(w->rt).live;
    cr_assert_eq(nonstatic, live, "step %lu: %zu objects, runtime %lu", (unsigned long)w->step, nonstatic,
                 (unsigned long)live);
    struct model_gc g;
    model_gc(m, &g);
    size_t ngen = gc_generation_count(w->rt);
    uint32_t count[8], thr[8];
    gc_get_count(w->rt, count);
    gc_get_threshold(w->rt, thr);
    struct gc_gen_stats gs[8];
    gc_get_stats(w->rt, gs);
    cr_assert_eq(g.enabled, gc_isenabled(w->rt));
    uint64_t collected = 0, uncollectable = 0;
    for (size_t k = 0; k < ngen; k++) {
        cr_assert_eq(g.gen[k].count, count[k], "step %lu: generation %zu count", (unsigned long)w->step, k);
        cr_assert_eq(g.gen[k].threshold, thr[k]);
        cr_assert_eq(g.gen[k].objects, gc_generation_size(w->rt, k), "step %lu: generation %zu size",
                     (unsigned long)w->step, k);
        cr_assert_eq(g.gen[k].collections, gs[k].collections);
        collected += gs[k].collected;
        uncollectable += gs[k].uncollectable;
    }
    cr_assert_eq(g.gen[ngen].objects, gc_generation_size(w->rt, ngen), "permanent generation");
    cr_assert_eq(g.collected_total, collected);
    cr_assert_eq(g.uncollectable_total, uncollectable);
    cr_assert_not(g.collecting);
}

static void del_noop(struct runtime *rt, struct rt_object *self, void *ctx)
{
    (void)rt, (void)self, (void)ctx;
}

static void run_world(const char *gc_name, uint64_t seed, int steps)
{
    struct world w = {0};
    struct heap_profile p;
    char perr[128];
    cr_assert_eq(heap_profile_parse("cpython-3.10", &p, perr, sizeof perr), 0);
    struct gc_profile gp;
    cr_assert_eq(gc_profile_parse(gc_name, &gp, perr, sizeof perr), 0, "%s", perr);
    struct trace_header hdr;
    recorder_header(&hdr, &p, "aligned", &gp, ""); /* the collector's profile and population */
    cr_assert_eq(model_new(&w.f.m, &hdr), 0);
    cr_assert_eq(model_new(&w.f.copy, &hdr), 0);
    w.f.checkpoint_every = 997;
    struct event_sink sink = {folding_sink, &w.f};
    struct heap_arena_source src = heap_arena_source_aligned();
    cr_assert_eq(heap_new(&w.heap, &p, &src, &sink), 0);
    cr_assert_eq(rt_new(&w.rt, w.heap, &gp, &sink), 0);
    w.Node = rt_class_new(w.rt, &(struct rt_class_spec){.name = "Node"});
    w.Fin = rt_class_new(w.rt, &(struct rt_class_spec){.name = "Fin", .del = del_noop});
    struct rng g = {seed};
    const char *attrs[] = {"a", "b", "c"};
    const char *names[] = {"x", "y", "z"};
    int depth = 0;
    for (w.step = 1; w.step <= (uint64_t)steps; w.step++) {
        int i = (int)rng_below(&g, NROOTS);
        struct rt_object *o = NULL, *x = w.roots[i], *y = w.roots[rng_below(&g, NROOTS)];
        switch (rng_below(&g, 14)) {
        case 0: o = rt_list(w.rt, 0, NULL); break;
        case 1: o = rt_dict(w.rt); break;
        case 2: o = rt_instance(w.rt, rng_below(&g, 4) ? w.Node : w.Fin); break;
        case 3: o = rt_int(w.rt, (int64_t)rng_below(&g, 2000) - 500); break;
        case 4: o = rt_float(w.rt, (double)rng_below(&g, 100) / 4.0); break;
        case 5: {
            struct rt_object *items[3];
            size_t n = 0;
            for (int k = 0; k < 3; k++)
                if (w.roots[(i + k) % NROOTS])
                    items[n++] = w.roots[(i + k) % NROOTS];
            o = rt_tuple(w.rt, n, items);
            break;
        }
        case 6:
            if (x && rt_supports_weakrefs(x))
                o = rt_weakref(w.rt, x, NULL);
            break;
        case 7:
            if (x && y) {
                if (rt_is_a(x, "list"))
                    rt_list_append(w.rt, x, y);
                else if (rt_is_a(x, "dict"))
                    rt_dict_set(w.rt, x, y, x);
                else if (rt_type_of(x) == w.Node || rt_type_of(x) == w.Fin)
                    rt_setattr(w.rt, x, attrs[rng_below(&g, 3)], y);
            }
            break;
        case 8:
            if (x && rt_is_a(x, "list") && rt_len(x)) {
                struct rt_object *it = rt_list_pop(w.rt, x, -1);
                rt_xdecref(w.rt, it, EV_REF_TEMP, NULL);
            } else if (x && (rt_type_of(x) == w.Node || rt_type_of(x) == w.Fin)) {
                rt_delattr(w.rt, x, attrs[rng_below(&g, 3)]);
            }
            break;
        case 9:
            if (x)
                rt_bind(w.rt, names[rng_below(&g, 3)], x);
            break;
        case 10:
            rt_unbind(w.rt, names[rng_below(&g, 3)]);
            break;
        case 11:
            if (depth < 3 && rng_below(&g, 2)) {
                rt_frame_push(w.rt, "f");
                depth++;
            } else if (depth > 0) {
                rt_frame_pop(w.rt);
                depth--;
            }
            break;
        case 12:
            if (rng_below(&g, 8) == 0)
                gc_collect(w.rt, (int)rng_below(&g, (uint64_t)gc_generation_count(w.rt)));
            else if (rng_below(&g, 8) == 0 && gc_get_freeze_count(w.rt))
                gc_unfreeze(w.rt); /* the interpreter's own objects back into the oldest, with the rest */
            else if (rng_below(&g, 16) == 0)
                gc_freeze(w.rt);
            break;
        default:
            rt_xdecref(w.rt, w.roots[i], EV_REF_TEMP, NULL); /* drop a root */
            w.roots[i] = NULL;
            break;
        }
        if (o) {
            rt_xdecref(w.rt, w.roots[i], EV_REF_TEMP, NULL);
            w.roots[i] = o;
        }
        check_world(&w);
    }
    for (int i = 0; i < NROOTS; i++)
        rt_xdecref(w.rt, w.roots[i], EV_REF_TEMP, NULL);
    gc_collect(w.rt, gc_full_generation(w.rt));
    memset(w.roots, 0, sizeof w.roots);
    check_world(&w);
    rt_delete(w.rt); /* shutdown: its events are part of the recording */
    cr_assert_eq(w.f.rc, 0, "shutdown: %s", model_error(w.f.m));
    cr_assert(model_is_valid(w.f.m, w.err, sizeof w.err), "after shutdown: %s", w.err);
    cr_assert(model_equals(w.f.m, w.f.copy, w.err, sizeof w.err), "%s", w.err);
    heap_set_sink(w.heap, NULL);
    heap_delete(w.heap);
    model_free(w.f.m);
    model_free(w.f.copy);
}

Test(objects, random_graphs_cpython38, .timeout = 120)
{
    run_world("cpython-3.8", 1, 3000);
    run_world("cpython-3.8", 2, 3000);
}

Test(objects, random_graphs_cpython313, .timeout = 120)
{
    run_world("cpython-3.13", 3, 3000);
}

Test(objects, random_graphs_legacy, .timeout = 120)
{
    run_world("legacy", 4, 3000);
}
