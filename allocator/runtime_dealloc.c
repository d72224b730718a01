/*
 * runtime_dealloc.c - the end of an object: deallocation in CPython's order, and the two slots
 * the collector calls, traverse and clear.
 *
 * Deallocation
 * ------------
 * A decref to zero (runtime.c) destroys the object in the order of its CPython tp_dealloc:
 *
 *     decref(o) -> 0
 *       gc_untrack(o)                                  (containers: first, as CPython does)
 *       [instance] finalizer (PEP 442 or legacy __del__, may resurrect), weakrefs cleared and
 *                  their callbacks called, slots and attribute values decref'd
 *       [tuple, list] items decref'd from the last to the first
 *       [dict] each entry's key then value, in insertion order; the key table freed
 *       [set] weakrefs cleared, the keys in table order, the separate table freed
 *       obj_free(o), then the memory: heap_free (block_free) or a free list (no block event)
 *
 * Deallocation nested deeper than RT_TRASHCAN_DEPTH is deferred to a queue drained by the
 * outermost one (CPython's trashcan), so long chains do not exhaust the C stack.
 *
 * Slots
 * -----
 * What a kind does at its end is a row of one table, as a CPython type fills tp_dealloc,
 * tp_traverse and tp_clear: the function that frees it (after untracking), the one that
 * visits the references the collector follows (none for int, str, float and functions, which
 * hold nothing the collector sees), and the one that breaks the references of a cycle (none for
 * tuples: they are freed when what they are in is cleared).
 */
#include "runtime_private.h"

#include <assert.h>
#include <stdlib.h>

/* ---- deallocation ------------------------------------------------------------------------------- */

static void plain_free(struct runtime *rt, struct rt_object *o)
{
    RT_EMIT(rt, OBJ_FREE, obj_free, .obj = rt_addr(o), .flags = 0);
    heap_free(rt->heap, o);
}

/* Onto its kind's free list (report line `line`) when the list has room: the object ends
 * without a block event.  False when the caller must free it. */
static bool kept_on_freelist(struct runtime *rt, struct rt_freelist *fl, unsigned line, struct rt_object *o)
{
    if (!rt_freelist_push(rt, fl, o))
        return false;
    RT_EMIT(rt, OBJ_FREE, obj_free, .obj = rt_addr(o), .flags = EV_OBJ_FREELIST);
    rt_freelist_changed(rt, line);
    return true;
}

static void trash_push(struct runtime *rt, struct rt_object *o)
{
    if (rt_array_room((void **)&rt->trash, rt->ntrash, &rt->trash_cap, sizeof *rt->trash) < 0)
        abort(); /* the C library is out of memory: nothing sensible is left to do */
    rt->trash[rt->ntrash++] = o;
}

/* int_dealloc: 2.7's ints onto the int free list, whatever its length; 3.x's back to the
 * allocator (3.x has no int free list before 3.14). */
static void dealloc_int(struct runtime *rt, struct rt_object *o)
{
    if (rt->layout.int_fixed)
        rt_int27_keep(rt, o);
    else
        plain_free(rt, o);
}

/* float_dealloc: onto the free list while it has room. */
static void dealloc_float(struct runtime *rt, struct rt_object *o)
{
    if (!kept_on_freelist(rt, &rt->floats, RT_FL_FLOAT, o))
        plain_free(rt, o);
}

static void dealloc_tuple(struct runtime *rt, struct rt_object *o)
{
    struct rt_tuple *t = (struct rt_tuple *)(uintptr_t)o;
    intptr_t n = t->size;
    for (intptr_t i = n - 1; i >= 0; i--) {
        struct rt_object *item = t->item[i];
        t->item[i] = NULL;
        rt_xdecref(rt, item, EV_REF_DEALLOC, o);
    }
    if (!(n >= 1 && (uint32_t)n <= rt->layout.tuple_freelists &&
          kept_on_freelist(rt, &rt->tuples[n - 1], RT_FL_TUPLE1 + (unsigned)n - 1, o)))
        rt_gc_free(rt, o);
}

static void list_items_free(struct runtime *rt, struct rt_list *l)
{
    if (!l->item)
        return;
    RT_EMIT(rt, OBJ_STORAGE, obj_storage, .obj = rt_addr(l), .addr = 0, .size = 0);
    heap_free(rt->heap, l->item);
    l->item = NULL;
    l->allocated = 0;
}

static void dealloc_list(struct runtime *rt, struct rt_object *o)
{
    struct rt_list *l = (struct rt_list *)(uintptr_t)o;
    if (l->item) {
        for (intptr_t i = l->size - 1; i >= 0; i--) {
            struct rt_object *item = l->item[i];
            l->item[i] = NULL;
            rt_xdecref(rt, item, EV_REF_DEALLOC, o);
        }
        list_items_free(rt, l);
    }
    l->size = 0;
    if (!kept_on_freelist(rt, &rt->lists, RT_FL_LIST, o))
        rt_gc_free(rt, o);
}

/* set_dealloc: weak references cleared, the keys let go, the memory freed (no free list). */
static void clear_weakrefs_on_dealloc(struct runtime *rt, struct rt_object *o);

static void dealloc_set(struct runtime *rt, struct rt_object *o)
{
    clear_weakrefs_on_dealloc(rt, o);
    rt_set_dealloc_items(rt, (struct rt_set *)(uintptr_t)o);
    rt_gc_free(rt, o);
}

static void dealloc_dict(struct runtime *rt, struct rt_object *o)
{
    struct rt_dict *d = (struct rt_dict *)(uintptr_t)o;
    rt_dict_dealloc_items(rt, d);
    if (!kept_on_freelist(rt, &rt->dicts, RT_FL_DICT, o))
        rt_gc_free(rt, o);
}

/* Unlinks a weak reference from its referent's list; the callback is kept. */
static void weakref_unlink(struct rt_weakref *wr)
{
    struct rt_object *obj = wr->object;
    if (!obj)
        return;
    ptrdiff_t off = obj->type->weaklist_offset;
    struct rt_weakref **list = (struct rt_weakref **)((char *)obj + off);
    if (*list == wr)
        *list = wr->next;
    if (wr->prev)
        wr->prev->next = wr->next;
    if (wr->next)
        wr->next->prev = wr->prev;
    wr->prev = wr->next = NULL;
    wr->object = NULL;
}

/* _PyWeakref_ClearRef: the referent becomes None; the callback stays for the caller. */
void rt_weakref_clear(struct runtime *rt, struct rt_weakref *wr, enum ev_weakref_why why)
{
    if (!wr->object)
        return;
    weakref_unlink(wr);
    RT_EMIT(rt, WEAKREF_CLEAR, weakref_clear, .ref = rt_addr(wr), .why = why);
}

/* Clears a weak reference (`why`) and lets go of its callback (`ref_why`). */
static void weakref_drop(struct runtime *rt, struct rt_object *o, enum ev_weakref_why why, enum ev_ref_reason ref_why)
{
    struct rt_weakref *w = (struct rt_weakref *)(uintptr_t)o;
    rt_weakref_clear(rt, w, why);
    struct rt_object *cb = w->callback;
    w->callback = NULL;
    rt_xdecref(rt, cb, ref_why, o);
}

static void dealloc_weakref(struct runtime *rt, struct rt_object *o)
{
    weakref_drop(rt, o, EV_WEAKREF_SELF_DIED, EV_REF_DEALLOC);
    rt_gc_free(rt, o);
}

/* PyObject_ClearWeakRefs: on deallocation of a weakly referenced object. */
static void clear_weakrefs_on_dealloc(struct runtime *rt, struct rt_object *o)
{
    ptrdiff_t off = o->type->weaklist_offset;
    struct rt_weakref **list = (struct rt_weakref **)((char *)o + off);
    if (!*list)
        return;
    /* the callback-less ref and proxy first, without callbacks */
    for (int k = 0; k < 2; k++)
        if (*list && (*list)->callback == NULL)
            rt_weakref_clear(rt, *list, EV_WEAKREF_REFERENT_DIED);
    size_t n = 0;
    for (struct rt_weakref *w = *list; w; w = w->next)
        n++;
    if (n == 0)
        return;
    struct rt_weakref **refs = malloc(n * sizeof *refs);
    struct rt_object **cbs = malloc(n * sizeof *cbs);
    if (!refs || !cbs)
        abort();
    size_t k = 0;
    while (*list) {
        struct rt_weakref *w = *list;
        struct rt_object *cb = w->callback;
        w->callback = NULL;
        bool alive = w->ob.refcnt > 0;
        if (alive)
            rt_incref(rt, &w->ob, EV_REF_TEMP, NULL);
        rt_weakref_clear(rt, w, EV_WEAKREF_REFERENT_DIED);
        if (alive) {
            refs[k] = w;
            cbs[k] = cb;
            k++;
        } else {
            rt_xdecref(rt, cb, EV_REF_DEALLOC, &w->ob);
        }
    }
    for (size_t i = 0; i < k; i++) {
        if (cbs[i]) {
            RT_EMIT(rt, WEAKREF_CALL, weakref_call, .ref = rt_addr(refs[i]));
            rt_function_call(rt, cbs[i], &refs[i]->ob);
            rt_decref(rt, cbs[i], EV_REF_DEALLOC, &refs[i]->ob);
        }
        rt_decref(rt, &refs[i]->ob, EV_REF_TEMP, NULL);
    }
    free(refs);
    free(cbs);
}

/* Runs o's __del__ with its reference count held at one more than now. */
void rt_run_finalizer(struct runtime *rt, struct rt_object *o, enum ev_finalizer_kind kind)
{
    RT_EMIT(rt, FINALIZE, finalize, .obj = rt_addr(o), .kind = kind);
    if (o->type->del)
        o->type->del(rt, o, o->type->del_ctx);
}

/* _PyObject_FreeInstanceAttributes: decref the values, free the values array. */
static void instance_free_values(struct runtime *rt, struct rt_object *o)
{
    struct rt_object ***valuesp = rt_values_ptr(o);
    struct rt_object **values = *valuesp;
    if (!values)
        return;
    const struct rt_type *t = o->type;
    bool in_gc = rt->gc.collecting;
    for (uint32_t i = 0; i < t->nattrs; i++) {
        struct rt_object *v = values[i];
        values[i] = NULL;
        rt_xdecref(rt, v, in_gc ? EV_REF_GC : EV_REF_DEALLOC, o);
    }
    *valuesp = NULL;
    RT_EMIT(rt, OBJ_STORAGE, obj_storage, .obj = rt_addr(o), .addr = 0, .size = 0);
    uint8_t prefix = ((uint8_t *)values)[-1];
    heap_free(rt->heap, (char *)values - prefix);
}

/* subtype_dealloc, subtype_clear: the managed dict's values, or the slots, each let go. */
static void instance_drop_attributes(struct runtime *rt, struct rt_object *o, enum ev_ref_reason why)
{
    if (o->type->managed_dict) {
        instance_free_values(rt, o);
        return;
    }
    size_t n;
    struct rt_object **slots = rt_instance_slots(o, &n);
    for (size_t i = 0; i < n; i++) {
        struct rt_object *v = slots[i];
        slots[i] = NULL;
        rt_xdecref(rt, v, why, o);
    }
}

/* Runs the finalizer of a dying instance on a temporary reference, tracked meanwhile as CPython
 * does; true when the finalizer resurrected it (it then stays tracked). */
static bool finalize_resurrects(struct runtime *rt, struct rt_object *o, enum ev_finalizer_kind kind)
{
    gc_track(rt, o);
    o->refcnt = 1;
    RT_EMIT(rt, INCREF, incref, .obj = rt_addr(o), .refcnt = 1, .reason = EV_REF_TEMP);
    rt_run_finalizer(rt, o, kind);
    o->refcnt--;
    RT_EMIT(rt, DECREF, decref, .obj = rt_addr(o), .refcnt = (uint64_t)o->refcnt,
            .reason = EV_REF_TEMP);
    if (o->refcnt > 0)
        return true;
    gc_untrack(rt, o);
    return false;
}

static void dealloc_instance(struct runtime *rt, struct rt_object *o)
{
    const struct rt_type *t = o->type;
    struct gc_head *g = rt_as_gc(o);
    bool has_finalizer = t->del != NULL;
    /* PyObject_CallFinalizerFromDealloc: at most once per object (FINALIZED) */
    if (t->del && !t->legacy_del && !(g->prev & GC_PREV_MASK_FINALIZED)) {
        g->prev |= GC_PREV_MASK_FINALIZED;
        if (finalize_resurrects(rt, o, EV_FINALIZER_PEP442))
            return;
    }
    if (t->weaklist_offset)
        clear_weakrefs_on_dealloc(rt, o);
    if (t->del && t->legacy_del && !rt->final_collection && finalize_resurrects(rt, o, EV_FINALIZER_LEGACY))
        return;
    if (has_finalizer && t->weaklist_offset) {
        struct rt_weakref **list = (struct rt_weakref **)((char *)o + t->weaklist_offset);
        while (*list)
            rt_weakref_clear(rt, *list, EV_WEAKREF_REFERENT_DIED);
    }
    instance_drop_attributes(rt, o, EV_REF_DEALLOC);
    rt_gc_free(rt, o);
}

/* ---- traverse and clear (tp_traverse, tp_clear) -------------------------------------------- */

struct rt_object **rt_instance_slots(const struct rt_object *o, size_t *n)
{
    const struct rt_type *t = o->type;
    assert(t->kind == RT_KIND_INSTANCE);
    if (t->managed_dict) {
        struct rt_object ***valuesp = rt_values_ptr(o);
        *n = *valuesp ? t->nattrs : 0;
        return *valuesp;
    }
    /* a separate __dict__ is the one slot (its pointer is where slots would start) */
    *n = t->dict_offset ? 1 : t->nslots;
    return (struct rt_object **)((char *)(uintptr_t)o + 16);
}

static void traverse_tuple(struct rt_object *o, rt_visit_fn visit, void *arg)
{
    struct rt_tuple *t = (struct rt_tuple *)(uintptr_t)o;
    for (intptr_t i = 0; i < t->size; i++)
        if (t->item[i])
            visit(t->item[i], arg);
}

static void traverse_list(struct rt_object *o, rt_visit_fn visit, void *arg)
{
    struct rt_list *l = (struct rt_list *)(uintptr_t)o;
    for (intptr_t i = l->size - 1; i >= 0; i--)
        if (l->item[i])
            visit(l->item[i], arg);
}

static void traverse_dict(struct rt_object *o, rt_visit_fn visit, void *arg)
{
    rt_dict_traverse((struct rt_dict *)(uintptr_t)o, visit, arg);
}

static void traverse_weakref(struct rt_object *o, rt_visit_fn visit, void *arg)
{
    struct rt_weakref *w = (struct rt_weakref *)(uintptr_t)o;
    if (w->callback)
        visit(w->callback, arg);
}

static void traverse_instance(struct rt_object *o, rt_visit_fn visit, void *arg)
{
    size_t n;
    struct rt_object **slots = rt_instance_slots(o, &n);
    for (size_t i = 0; i < n; i++)
        if (slots[i])
            visit(slots[i], arg);
}

static void clear_dict(struct runtime *rt, struct rt_object *o)
{
    rt_dict_clear_items(rt, (struct rt_dict *)(uintptr_t)o);
}

static void traverse_set(struct rt_object *o, rt_visit_fn visit, void *arg)
{
    rt_set_traverse((struct rt_set *)(uintptr_t)o, visit, arg);
}

static void clear_set(struct runtime *rt, struct rt_object *o)
{
    rt_set_clear_items(rt, (struct rt_set *)(uintptr_t)o);
}

static void clear_weakref(struct runtime *rt, struct rt_object *o)
{
    weakref_drop(rt, o, EV_WEAKREF_GC, EV_REF_GC);
}

static void clear_instance(struct runtime *rt, struct rt_object *o)
{
    instance_drop_attributes(rt, o, EV_REF_GC);
}

/* ---- the slots of each kind ---------------------------------------------------------------------- */

struct kind_slots {
    /* tp_dealloc: frees the object once it is untracked; NULL for None, which never dies */
    void (*dealloc)(struct runtime *rt, struct rt_object *o);
    /* tp_traverse: visits what the object refers to; NULL when the collector sees nothing there */
    void (*traverse)(struct rt_object *o, rt_visit_fn visit, void *arg);
    /* tp_clear: drops the object's references to break a cycle; NULL when it has none */
    void (*clear)(struct runtime *rt, struct rt_object *o);
};

static const struct kind_slots kind_slots[RT_KIND_COUNT] = {
    [RT_KIND_NONE] = {NULL, NULL, NULL},
    [RT_KIND_INT] = {dealloc_int, NULL, NULL},
    [RT_KIND_FLOAT] = {dealloc_float, NULL, NULL},
    [RT_KIND_STR] = {plain_free, NULL, NULL},
    [RT_KIND_TUPLE] = {dealloc_tuple, traverse_tuple, NULL},
    [RT_KIND_LIST] = {dealloc_list, traverse_list, rt_list_clear},
    [RT_KIND_DICT] = {dealloc_dict, traverse_dict, clear_dict},
    [RT_KIND_SET] = {dealloc_set, traverse_set, clear_set},
    [RT_KIND_FUNCTION] = {rt_gc_free, NULL, NULL},
    [RT_KIND_WEAKREF] = {dealloc_weakref, traverse_weakref, clear_weakref},
    [RT_KIND_PROXY] = {dealloc_weakref, traverse_weakref, clear_weakref},
    [RT_KIND_INSTANCE] = {dealloc_instance, traverse_instance, clear_instance},
};

static void dealloc_now(struct runtime *rt, struct rt_object *o)
{
    rt->live--;
    rt->destroyed++;
    assert(kind_slots[o->type->kind].dealloc && "None is never deallocated");
    kind_slots[o->type->kind].dealloc(rt, o);
}

void rt_dealloc(struct runtime *rt, struct rt_object *o)
{
    assert(!rt_is_static(rt, o));
    /* a mortal interned string leaves the interned set as it dies */
    if (rt_str_is_interned(o))
        rt_interned_remove(rt, (struct rt_str *)(uintptr_t)o);
    /* containers leave the collector before anything else happens (tp_dealloc's first step) */
    if (rt_type_is_gc(o->type) && gc_obj_is_tracked(o))
        gc_untrack(rt, o);
    if (rt->dealloc_depth >= RT_TRASHCAN_DEPTH) {
        trash_push(rt, o);
        return;
    }
    rt->dealloc_depth++;
    dealloc_now(rt, o);
    rt->dealloc_depth--;
    if (rt->dealloc_depth == 0) {
        while (rt->ntrash > 0) {
            struct rt_object *t = rt->trash[--rt->ntrash];
            rt->dealloc_depth++;
            dealloc_now(rt, t);
            rt->dealloc_depth--;
        }
    }
}

void rt_traverse(struct rt_object *o, rt_visit_fn visit, void *arg)
{
    if (kind_slots[o->type->kind].traverse)
        kind_slots[o->type->kind].traverse(o, visit, arg);
}

bool rt_type_has_clear(const struct rt_type *t)
{
    return kind_slots[t->kind].clear != NULL;
}

void rt_clear(struct runtime *rt, struct rt_object *o)
{
    if (kind_slots[o->type->kind].clear)
        kind_slots[o->type->kind].clear(rt, o);
}
