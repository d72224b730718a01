/*
 * gc_valid.c - gc_is_valid(): the collector's state recounted from scratch (docs/style.md 7).
 * Every generation list and the permanent one are walked link by link: no flags outside a
 * collection, prev links that mirror next links, only live containers; the walked objects add up
 * to the count of tracked ones, the interpreter's own objects to what the runtime started with,
 * and no container kept on a free list is tracked.  The incremental profile's lists are
 * gc_incremental.c's to check.
 */
#include "gc_list.h"
#include "runtime_private.h"

#include <allocator/errmsg.h>

#include <inttypes.h>
#include <stdio.h>

static bool list_is_valid(const struct runtime *rt, const struct gc_head *head, const char *name,
                          uint64_t limit, uint64_t *count, char *err, size_t errlen)
{
    if (head->prev & GC_PREV_MASK_FLAGS || head->next & GC_NEXT_MASK_UNREACHABLE)
        return errmsg_fail(err, errlen, false, "gc: %s: flags on the list head", name);
    const struct gc_head *prev = head;
    uint64_t n = 0;
    for (const struct gc_head *g = gc_next(head); g != head; g = gc_next(g)) {
        if (++n > limit)
            return errmsg_fail(err, errlen, false, "gc: %s: more objects than are tracked (a cycle?)", name);
        const struct rt_object *o = rt_from_gc(g);
        if (g->next & GC_NEXT_MASK_UNREACHABLE)
            return errmsg_fail(err, errlen, false, "gc: %s: object 0x%" PRIxPTR " has the UNREACHABLE flag",
                               name, (uintptr_t)o);
        if (g->prev & GC_PREV_MASK_COLLECTING)
            return errmsg_fail(err, errlen, false, "gc: %s: object 0x%" PRIxPTR " has the COLLECTING flag",
                               name, (uintptr_t)o);
        if (gc_prev(g) != prev)
            return errmsg_fail(err, errlen, false, "gc: %s: object 0x%" PRIxPTR " has a wrong prev link", name,
                               (uintptr_t)o);
        if (!rt_type_is_gc(o->type) || o->refcnt <= 0)
            return errmsg_fail(err, errlen, false,
                               "gc: %s: object 0x%" PRIxPTR " is not a live container (refcnt %" PRIdPTR
                               ")",
                               name, (uintptr_t)o, o->refcnt);
        prev = g;
    }
    if (gc_prev(head) != prev)
        return errmsg_fail(err, errlen, false, "gc: %s: the head's prev is not the last object", name);
    (void)rt;
    *count += n;
    return true;
}

/* True when a free list of containers holds one that is tracked. */
static bool freelist_has_tracked(const struct rt_freelist *fl)
{
    for (uint32_t i = 0; i < fl->n; i++)
        if (rt_as_gc(fl->item[i])->next)
            return true;
    return false;
}

bool gc_is_valid(const struct runtime *rt, char *err, size_t errlen)
{
    const struct gc_state *gc = &rt->gc;
    if (gc->collecting)
        return errmsg_fail(err, errlen, false, "gc: a collection is running");
    uint64_t n = 0, limit = gc->ntracked + 1;
    char name[32];
    for (size_t i = 0; i < gc->ngen; i++) {
        snprintf(name, sizeof name, "generation %zu", i);
        if (!list_is_valid(rt, &gc->gen[i].head, name, limit, &n, err, errlen))
            return false;
    }
    if (!list_is_valid(rt, &gc->permanent.head, "permanent generation", limit, &n, err, errlen))
        return false;
    if (gc->profile.incremental && !gc_incr_is_valid(rt, err, errlen))
        return false;
    uint64_t residents = gc->permanent.residents;
    for (size_t i = 0; i < gc->ngen; i++)
        residents += gc->gen[i].residents;
    for (size_t i = gc->ngen; i < GC_MAX_GENERATIONS; i++)
        if (gc->gen[i].residents)
            return errmsg_fail(err, errlen, false, "gc: the interpreter's own objects in generation %zu, past the last", i);
    if (residents != gc->residents)
        return errmsg_fail(err, errlen, false,
                           "gc: %" PRIu64 " of the interpreter's own objects in the generations, %" PRIu64 " at the start",
                           residents, gc->residents);
    if (n != gc->ntracked)
        return errmsg_fail(err, errlen, false,
                           "gc: %" PRIu64 " objects in the generation lists, %" PRIu64 " tracked", n,
                           gc->ntracked);
    if (n > rt->live)
        return errmsg_fail(err, errlen, false, "gc: %" PRIu64 " tracked objects but %" PRIu64 " alive", n,
                           rt->live);
    /* free-listed containers are never tracked */
    if (freelist_has_tracked(&rt->lists))
        return errmsg_fail(err, errlen, false, "gc: a free-listed list is tracked");
    if (freelist_has_tracked(&rt->dicts))
        return errmsg_fail(err, errlen, false, "gc: a free-listed dict is tracked");
    for (int k = 0; k < RT_TUPLE_FREELISTS; k++)
        if (freelist_has_tracked(&rt->tuples[k]))
            return errmsg_fail(err, errlen, false, "gc: a free-listed tuple is tracked");
    return true;
}
