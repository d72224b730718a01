/*
 * gc_objects.c - what the gc module lists from the collector's generations: gc.get_objects(),
 * gc.get_referrers(), gc.get_referents() (Modules/gcmodule.c and Python/gc.c), and how many of
 * the interpreter's own objects (allocator/gc.c), which none of them can list, a generation holds.
 */
#include "gc_list.h"
#include "runtime_private.h"

/* The generation lists gc.get_objects(generation) lists, [*lo, *hi). */
static void objects_lists(const struct runtime *rt, int generation, size_t *lo, size_t *hi)
{
    *lo = generation < 0 ? 0 : (size_t)generation;
    *hi = generation < 0 ? rt->gc.ngen : *lo + 1;
    if (!rt->gc.profile.incremental || generation < 1)
        return;
    /* 1: none, 3.14 has no generation 1 to list; 2: old, both its spaces */
    *lo = generation == 1 ? 0 : 1;
    *hi = generation == 1 ? 0 : 2;
}

size_t gc_get_objects_startup(const struct runtime *rt, int generation)
{
    size_t lo, hi, n = 0;
    objects_lists(rt, generation, &lo, &hi);
    for (size_t i = lo; i < hi; i++)
        n += (size_t)rt->gc.gen[i].residents;
    return n;
}

struct rt_object *gc_get_objects(struct runtime *rt, int generation)
{
    if (generation < -1 || generation >= (int)gc_module_generations(rt))
        return NULL;
    struct rt_object *result = rt_list(rt, 0, NULL);
    if (!result)
        return NULL;
    size_t lo, hi;
    objects_lists(rt, generation, &lo, &hi);
    for (size_t i = lo; i < hi; i++) {
        struct gc_head *head = &rt->gc.gen[i].head;
        for (struct gc_head *g = gc_next(head); g != head; g = gc_next(g)) {
            struct rt_object *o = rt_from_gc(g);
            if (o != result)
                rt_list_append(rt, result, o);
        }
    }
    return result;
}

struct referrers_ctx {
    const struct rt_object *target;
    bool found;
};

static void visit_find(struct rt_object *o, void *arg)
{
    struct referrers_ctx *c = arg;
    if (o == c->target)
        c->found = true;
}

struct rt_object *gc_get_referrers(struct runtime *rt, const struct rt_object *target)
{
    struct rt_object *result = rt_list(rt, 0, NULL);
    if (!result)
        return NULL;
    for (size_t i = 0; i < rt->gc.ngen; i++) {
        struct gc_head *head = &rt->gc.gen[i].head;
        for (struct gc_head *g = gc_next(head); g != head; g = gc_next(g)) {
            struct rt_object *o = rt_from_gc(g);
            if (o == result)
                continue;
            struct referrers_ctx c = {.target = target};
            rt_traverse(o, visit_find, &c);
            if (c.found)
                rt_list_append(rt, result, o);
        }
    }
    return result;
}

struct referents_ctx {
    struct runtime *rt;
    struct rt_object *result;
};

static void visit_collect(struct rt_object *o, void *arg)
{
    struct referents_ctx *c = arg;
    rt_list_append(c->rt, c->result, o);
}

struct rt_object *gc_get_referents(struct runtime *rt, const struct rt_object *o)
{
    struct rt_object *result = rt_list(rt, 0, NULL);
    if (!result)
        return NULL;
    if (rt_type_is_gc(o->type)) {
        struct referents_ctx c = {rt, result};
        rt_traverse((struct rt_object *)(uintptr_t)o, visit_collect, &c);
    }
    return result;
}
