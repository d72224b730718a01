/*
 * runtime.c - the object runtime: types, lifecycle, reference counts, free lists, names and frames.
 *
 * The object model
 * ----------------
 * An object is CPython 3.11's PyObject at the same address CPython would give it inside its
 * allocator block:
 *
 *     plain object (int, float, str)      [ refcnt | type | fields ... ]
 *     container (tuple, list, dict, ...)  [ gc next | gc prev ][ refcnt | type | fields ... ]
 *     instance with a managed __dict__    [ values | dict ][ gc next | gc prev ][ refcnt | type | weaklist ]
 *                                         ^ block start (what heap_malloc returned)
 *
 * so a GC object's block starts at its GC head (or at the pre-header), not at the object, and
 * id() is the object's address.  List items, dict key tables and instance attribute arrays are
 * separate allocations, as in CPython, announced with obj_storage events.
 *
 * That is the default, 3.11's layout.  A runtime has the layout of one version, a row of
 * runtime_layout.c chosen from its profiles (rt_layout_for) or given (rt_new_layout), and
 * every size comes from that row: 2.7 puts 32 bytes of GC head before a container (the head
 * is the last 16 of them), and 2.7 to 3.10 give an instance a __dict__ pointer instead of the
 * pre-header,
 *
 *     instance with a separate __dict__  [ gc next | gc prev ][ refcnt | type | dict | weaklist ]
 *
 * where the dict is an object of its own, made by the first attribute set, and found by the
 * collector as the instance's one slot.  3.12+ keeps the weak reference list in the
 * pre-header too: [ weaklist | values ][ gc next | gc prev ][ refcnt | type ].
 *
 * Static objects (None, the small ints -5..256, the empty tuple) live outside the heap, as in
 * 3.11 where they are statically allocated; they start with a huge reference count and are
 * announced (obj_new with EV_OBJ_STATIC) the first time a workload uses them.
 *
 * Reference counts
 * ----------------
 * Every incref and decref is an event carrying the new count, a reason and the owner.  A decref
 * to zero destroys the object in the order of its CPython tp_dealloc (runtime_dealloc.c).
 *
 * Names and frames
 * ----------------
 * A frame is a list of (name, object) bindings kept in libc memory (CPython's frames and module
 * dicts are not drawn).  Binding a name emits name_bind and holds a reference; popping a frame
 * unbinds its names (REF_SCOPE_EXIT).  Frame 1 is the module.
 */
#include "runtime_private.h"

#include <assert.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *rt_strerror(int err)
{
    switch (err) {
    case 0:
        return "success";
    case RT_EINVAL:
        return "invalid argument";
    case RT_ENOMEM:
        return "out of memory";
    case RT_ETYPE:
        return "wrong type";
    default:
        return "unknown error";
    }
}

/* ---- emitting ------------------------------------------------------------------------------- */

void rt_emit_text(struct runtime *rt, enum event_kind kind, uint64_t f0, uint64_t f1,
                  const char *text)
{
    if (!rt_on(rt))
        return;
    struct event ev;
    rt_event_init(&ev, kind);
    ev.u.f[0] = f0;
    ev.u.f[1] = f1;
    ev.str = text;
    ev.str_len = text ? (uint32_t)strlen(text) : 0;
    rt_emit(rt, &ev);
}

static void rt_emit_type(struct runtime *rt, const struct rt_type *t)
{
    if (!rt_on(rt))
        return;
    struct event ev;
    rt_event_init(&ev, EV_TYPE_NEW);
    ev.u.type_new = (struct event_type_new){.type = t->id, .basicsize = t->basicsize,
                                            .itemsize = t->itemsize, .flags = t->flags};
    ev.str = t->name;
    ev.str_len = (uint32_t)strlen(t->name);
    rt_emit(rt, &ev);
}

/* ---- types ----------------------------------------------------------------------------------- */

static void type_init(struct runtime *rt, struct rt_type *t, const char *name, enum rt_kind kind,
                      size_t basicsize, size_t itemsize, unsigned flags)
{
    memset(t, 0, sizeof *t);
    t->name = name;
    t->kind = kind;
    t->id = rt->next_type_id++;
    t->basicsize = basicsize;
    t->itemsize = itemsize;
    t->flags = flags;
    t->layout = &rt->layout;
    t->presize = (flags & EV_TYPE_GC) ? rt->layout.gc_head : 0;
}

/* The builtin types with the sizes of the runtime's layout (runtime_layout.c). */
static void types_init(struct runtime *rt)
{
    const struct rt_layout *l = &rt->layout;
    rt->next_type_id = 1;
    type_init(rt, &rt->t_none, "NoneType", RT_KIND_NONE, 16, 0, 0);
    type_init(rt, &rt->t_int, "int", RT_KIND_INT, l->int_basic, l->int_fixed ? 0 : 4,
              l->int_fixed ? 0 : EV_TYPE_VAR);
    type_init(rt, &rt->t_float, "float", RT_KIND_FLOAT, l->float_basic, 0, 0);
    type_init(rt, &rt->t_str, "str", RT_KIND_STR, l->str_ascii, 1, EV_TYPE_VAR);
    type_init(rt, &rt->t_tuple, "tuple", RT_KIND_TUPLE, l->tuple_basic, 8, EV_TYPE_GC | EV_TYPE_VAR);
    type_init(rt, &rt->t_list, "list", RT_KIND_LIST, l->list_basic, 0, EV_TYPE_GC);
    type_init(rt, &rt->t_dict, "dict", RT_KIND_DICT, l->dict_basic, 0, EV_TYPE_GC);
    type_init(rt, &rt->t_function, "function", RT_KIND_FUNCTION, l->function_basic, 0, EV_TYPE_GC);
    type_init(rt, &rt->t_weakref, "weakref.ReferenceType", RT_KIND_WEAKREF, l->weakref_basic, 0, EV_TYPE_GC);
    type_init(rt, &rt->t_proxy, "weakref.ProxyType", RT_KIND_PROXY, l->weakref_basic, 0, EV_TYPE_GC);
    /* set and frozenset are numbered and announced when the first one is made (rt_type_use):
     * a program without sets numbers its types as it did before the runtime had them */
    type_init(rt, &rt->t_set, "set", RT_KIND_SET, l->set_basic, 0, EV_TYPE_GC | EV_TYPE_WEAKREFABLE);
    type_init(rt, &rt->t_frozenset, "frozenset", RT_KIND_SET, l->set_basic, 0, EV_TYPE_GC | EV_TYPE_WEAKREFABLE);
    rt->t_set.id = rt->t_frozenset.id = 0;
    rt->next_type_id -= 2;
    rt->t_set.weaklist_offset = rt->t_frozenset.weaklist_offset = offsetof(struct rt_set, weaklist);
}

void rt_type_use(struct runtime *rt, struct rt_type *t)
{
    if (t->id)
        return;
    t->id = rt->next_type_id++;
    rt_emit_type(rt, t);
}

static void types_announce(struct runtime *rt)
{
    const struct rt_type *all[] = {&rt->t_none,  &rt->t_int,      &rt->t_float,   &rt->t_str,
                                   &rt->t_tuple, &rt->t_list,     &rt->t_dict,    &rt->t_function,
                                   &rt->t_weakref, &rt->t_proxy};
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++)
        rt_emit_type(rt, all[i]);
}

const char *rt_type_name(const struct rt_type *t)
{
    return t->name;
}

const struct rt_type *rt_type_of(const struct rt_object *o)
{
    return o->type;
}

bool rt_type_is_gc(const struct rt_type *t)
{
    return (t->flags & EV_TYPE_GC) != 0;
}

bool rt_is_a(const struct rt_object *o, const char *type_name)
{
    return o->type->kind != RT_KIND_INSTANCE && strcmp(o->type->name, type_name) == 0;
}

static char *rt_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *d = malloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

const struct rt_type *rt_class_new(struct runtime *rt, const struct rt_class_spec *spec)
{
    struct rt_type *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    char *name = rt_strdup(spec->name ? spec->name : "object");
    if (!name)
        goto out_free_type;
    size_t nslots = 0;
    if (spec->slots)
        while (spec->slots[nslots])
            nslots++;
    /* where the attributes and the weak reference list are: the layout's instance_dict */
    unsigned flags = EV_TYPE_GC;
    size_t basicsize = 16;
    bool weak = spec->slots ? spec->slots_weakref : true;
    enum rt_instance_dict mode = rt->layout.instance_dict;
    bool managed = !spec->slots && (mode == RT_INSTANCE_DICT_MANAGED || mode == RT_INSTANCE_DICT_MANAGED_WEAKREF);
    bool weak_preheader = managed && mode == RT_INSTANCE_DICT_MANAGED_WEAKREF;
    size_t dict_offset = 0;
    if (spec->slots) {
        basicsize += 8 * nslots;
    } else if (!managed) {
        dict_offset = basicsize;
        basicsize += 8;
    }
    ptrdiff_t weaklist_offset = 0;
    if (weak) {
        flags |= EV_TYPE_WEAKREFABLE;
        if (weak_preheader) {
            weaklist_offset = -(ptrdiff_t)(sizeof(struct gc_head) + RT_MANAGED_PREHEADER);
        } else {
            weaklist_offset = (ptrdiff_t)basicsize;
            basicsize += 8;
        }
    }
    if (spec->del)
        flags |= EV_TYPE_FINALIZER;
    type_init(rt, t, name, RT_KIND_INSTANCE, basicsize, 0, flags);
    t->managed_dict = managed;
    if (managed) {
        t->presize += RT_MANAGED_PREHEADER;
        /* 3.11: [values | dict][GC head]; 3.12+: [weakrefs | dict or values][GC head] */
        t->values_offset = -(ptrdiff_t)(sizeof(struct gc_head) + (weak_preheader ? 8 : RT_MANAGED_PREHEADER));
    }
    t->dict_offset = dict_offset;
    t->weaklist_offset = weaklist_offset;
    t->nslots = (uint32_t)nslots;
    t->attr_names = calloc(spec->slots ? (nslots ? nslots : 1) : RT_SHARED_KEYS_MAX,
                           sizeof(char *));
    if (!t->attr_names)
        goto out_free_name;
    for (size_t i = 0; i < nslots; i++) {
        t->attr_names[i] = rt_strdup(spec->slots[i]);
        if (!t->attr_names[i])
            goto out_free_names;
    }
    t->nattrs = (uint32_t)nslots;
    t->shared_usable = RT_SHARED_KEYS_MAX;
    t->del = spec->del;
    t->del_ctx = spec->del_ctx;
    t->legacy_del = spec->del && (spec->legacy_del || rt->gc.profile.legacy_finalizers);
    t->next_class = rt->classes;
    rt->classes = t;
    rt_emit_type(rt, t);
    return t;

out_free_names:
    for (size_t i = 0; i < nslots; i++)
        free(t->attr_names[i]);
    free(t->attr_names);
out_free_name:
    free(name);
out_free_type:
    free(t);
    return NULL;
}

static void classes_free(struct runtime *rt)
{
    struct rt_type *t = rt->classes;
    while (t) {
        struct rt_type *next = t->next_class;
        for (uint32_t i = 0; i < t->nattrs; i++)
            free(t->attr_names[i]);
        free(t->attr_names);
        free((char *)(uintptr_t)t->name);
        free(t);
        t = next;
    }
    rt->classes = NULL;
}

/* ---- lifecycle -------------------------------------------------------------------------------- */

static int frames_push(struct runtime *rt, const char *function, uint64_t *id);

int rt_new(struct runtime **out, struct heap *heap, const struct gc_profile *gc,
           const struct event_sink *sink)
{
    return rt_new_layout(out, heap, gc, NULL, sink);
}

static void freelist_lines_init(struct runtime *rt);

int rt_new_layout(struct runtime **out, struct heap *heap, const struct gc_profile *gc,
                  const struct rt_layout *layout, const struct event_sink *sink)
{
    *out = NULL;
    if (!heap)
        return RT_EINVAL;
    if (!gc)
        gc = gc_profile_default();
    if (gc_profile_check(gc, NULL, 0) < 0)
        return RT_EINVAL;
    if (!layout)
        layout = rt_layout_for(heap_profile(heap)->name, gc);
    if (layout->gc_head < sizeof(struct gc_head))
        return RT_EINVAL;
    struct runtime *rt = calloc(1, sizeof *rt);
    if (!rt)
        return RT_ENOMEM;
    rt->heap = heap;
    rt->layout = *layout;
    if (sink)
        rt->sink = *sink;
    types_init(rt);
    rt->floats.max = RT_FLOAT_FREELIST_MAX;
    for (int n = 0; n < RT_TUPLE_FREELISTS; n++)
        rt->tuples[n].max = RT_TUPLE_FREELIST_MAX;
    rt->lists.max = RT_LIST_FREELIST_MAX;
    rt->dicts.max = RT_DICT_FREELIST_MAX;
    rt->keys.max = RT_KEYS_FREELIST_MAX;
    rt->small_ints = calloc(RT_SMALL_NEG + RT_SMALL_POS, sizeof *rt->small_ints);
    if (!rt->small_ints)
        goto out_free_rt;
    for (int i = 0; i < RT_SMALL_NEG + RT_SMALL_POS; i++) {
        struct rt_small_int *s = &rt->small_ints[i];
        int64_t v = i - RT_SMALL_NEG;
        s->ob.refcnt = RT_STATIC_REFCNT;
        s->ob.type = &rt->t_int;
        if (layout->int_fixed) {
            s->size = (intptr_t)v; /* 2.7's ob_ival */
        } else {
            s->size = v < 0 ? -1 : (v == 0 ? 0 : 1);
            s->digit[0] = (uint32_t)(v < 0 ? -v : v);
        }
    }
    rt->none.refcnt = RT_STATIC_REFCNT;
    rt->none.type = &rt->t_none;
    rt->empty_tuple.ob.refcnt = RT_STATIC_REFCNT;
    rt->empty_tuple.ob.type = &rt->t_tuple;
    gc_state_init(rt, gc);
    freelist_lines_init(rt);
    rt->next_frame_id = 1;
    types_announce(rt);
    for (size_t g = 0; g < rt->gc.ngen; g++)
        RT_EMIT(rt, GC_THRESHOLD, gc_threshold, .gen = g, .threshold = rt->gc.gen[g].threshold);
    for (unsigned line = 0; line < RT_FL_COUNT; line++)
        rt_freelist_changed(rt, line);
    uint64_t id;
    if (frames_push(rt, "<module>", &id) < 0)
        goto out_free_ints;
    *out = rt;
    return 0;

out_free_ints:
    free(rt->small_ints);
out_free_rt:
    free(rt);
    return RT_ENOMEM;
}

void rt_set_sink(struct runtime *rt, const struct event_sink *sink)
{
    if (sink)
        rt->sink = *sink;
    else
        rt->sink = (struct event_sink){0};
}

struct heap *rt_heap(const struct runtime *rt)
{
    return rt->heap;
}

const struct rt_layout *rt_get_layout(const struct runtime *rt)
{
    return &rt->layout;
}

const struct gc_profile *rt_gc_profile(const struct runtime *rt)
{
    return &rt->gc.profile;
}

struct rt_counts rt_counts(const struct runtime *rt)
{
    return (struct rt_counts){
        .live = rt->live, .interned = rt->ninterned, .created = rt->created, .destroyed = rt->destroyed};
}

static void interned_release(struct runtime *rt);

void rt_shutdown(struct runtime *rt)
{
    if (rt->shut_down)
        return;
    rt->shut_down = true;
    rt->shutting_down = true;
    while (rt->nframes > 1)
        rt_frame_pop(rt);
    /* the module frame: unbind in reverse order of binding, then pop it */
    while (rt->frames[0].nnames > 0) {
        struct rt_binding b = rt->frames[0].names[--rt->frames[0].nnames];
        rt_emit_text(rt, EV_NAME_UNBIND, rt->frames[0].id, 0, b.name);
        free(b.name);
        rt_decref(rt, b.obj, EV_REF_SCOPE_EXIT, NULL);
    }
    RT_EMIT(rt, FRAME_POP, frame_pop, .frame = rt->frames[0].id);
    free(rt->frames[0].function);
    free(rt->frames[0].names);
    rt->nframes = 0;
    /* gc.garbage lets go first, so that the final collection can free what it held; legacy
     * finalizers do not run at shutdown (2.7 leaves them uncalled too) */
    if (rt->gc.garbage)
        rt_list_clear(rt, rt->gc.garbage);
    rt->final_collection = true;
    gc_collect_reason(rt, gc_full_generation(rt), EV_GC_REASON_SHUTDOWN);
    if (rt->gc.garbage) {
        struct rt_object *g = rt->gc.garbage;
        rt->gc.garbage = NULL;
        rt_decref(rt, g, EV_REF_OTHER, NULL);
    }
    interned_release(rt);
    /* objects freed by the collection above can refill the free lists */
    rt_clear_freelists(rt);
}

void rt_delete(struct runtime *rt)
{
    if (!rt)
        return;
    rt_shutdown(rt);
    gc_state_release(rt);
    classes_free(rt);
    free(rt->frames);
    free(rt->trash);
    free(rt->interned);
    free(rt->small_ints);
    free(rt);
}

/* ---- static objects ------------------------------------------------------------------------ */

void rt_announce(struct runtime *rt, struct rt_object *o)
{
    bool *flag = NULL;
    if (o == &rt->none) {
        flag = &rt->none_announced;
    } else if (o == &rt->empty_tuple.ob) {
        flag = &rt->empty_tuple_announced;
    } else if (o->type == &rt->t_int && o >= &rt->small_ints[0].ob &&
               o <= &rt->small_ints[RT_SMALL_NEG + RT_SMALL_POS - 1].ob) {
        struct rt_small_int *s = (struct rt_small_int *)(uintptr_t)o;
        flag = &s->announced;
    }
    size_t size = rt_sizeof(o);
    if (!flag || *flag)
        return;
    *flag = true;
    RT_EMIT(rt, OBJ_NEW, obj_new, .obj = rt_addr(o), .type = o->type->id, .size = size,
            .flags = EV_OBJ_STATIC);
    if (rt_on(rt)) {
        char buf[64];
        rt_repr(o, buf, sizeof buf);
        rt_emit_text(rt, EV_OBJ_VALUE, rt_addr(o), 0, buf);
    }
}

bool rt_is_static(const struct runtime *rt, const struct rt_object *o)
{
    return o->refcnt >= RT_STATIC_REFCNT / 2 &&
           (o == &rt->none || o == &rt->empty_tuple.ob ||
            (o >= &rt->small_ints[0].ob &&
             o <= &rt->small_ints[RT_SMALL_NEG + RT_SMALL_POS - 1].ob));
}

struct rt_object *rt_none(struct runtime *rt)
{
    rt_announce(rt, &rt->none);
    rt_incref(rt, &rt->none, EV_REF_TEMP, NULL);
    return &rt->none;
}

/* ---- reference counts ----------------------------------------------------------------------- */

void rt_incref(struct runtime *rt, struct rt_object *o, enum ev_ref_reason why,
               const struct rt_object *owner)
{
    o->refcnt++;
    RT_EMIT(rt, INCREF, incref, .obj = rt_addr(o), .refcnt = (uint64_t)o->refcnt, .reason = why,
            .owner = rt_addr(owner));
}

void rt_decref(struct runtime *rt, struct rt_object *o, enum ev_ref_reason why,
               const struct rt_object *owner)
{
    assert(o->refcnt > 0);
    o->refcnt--;
    RT_EMIT(rt, DECREF, decref, .obj = rt_addr(o), .refcnt = (uint64_t)o->refcnt, .reason = why,
            .owner = rt_addr(owner));
    if (o->refcnt == 0)
        rt_dealloc(rt, o);
}

void rt_xdecref(struct runtime *rt, struct rt_object *o, enum ev_ref_reason why,
                const struct rt_object *owner)
{
    if (o)
        rt_decref(rt, o, why, owner);
}

intptr_t rt_refcnt(const struct rt_object *o)
{
    return o->refcnt;
}

intptr_t rt_getrefcount(struct runtime *rt, struct rt_object *o)
{
    rt_incref(rt, o, EV_REF_CALL, NULL);
    intptr_t n = o->refcnt;
    rt_decref(rt, o, EV_REF_CALL, NULL);
    return n;
}

uint64_t rt_id(const struct rt_object *o)
{
    return rt_addr(o);
}

/* ---- memory of objects ------------------------------------------------------------------------ */

void rt_object_init(struct runtime *rt, struct rt_object *o, const struct rt_type *t, size_t size,
                    unsigned obj_flags)
{
    o->refcnt = 1;
    o->type = t;
    rt->live++;
    rt->created++;
    RT_EMIT(rt, OBJ_NEW, obj_new, .obj = rt_addr(o), .type = t->id, .size = size,
            .flags = obj_flags);
}

/* gc_alloc + _PyObject_GC_Link: the block, count0 += 1, maybe a collection.  Returns the
 * object's address (block + presize) with the GC head zeroed (untracked). */
void *rt_gc_alloc(struct runtime *rt, const struct rt_type *t, size_t size, size_t presize)
{
    (void)t;
    char *mem = heap_malloc(rt->heap, size);
    if (!mem)
        return NULL;
    memset(mem, 0, presize);
    struct rt_object *o = (struct rt_object *)(mem + presize);
    /* a collection may run now: the object is not tracked and has no type yet */
    o->refcnt = 0;
    o->type = t;
    gc_on_alloc(rt);
    return o;
}

void *rt_gc_take(struct runtime *rt, struct rt_freelist *fl, unsigned line, const struct rt_type *t, size_t size,
                 unsigned *flags)
{
    void *o = rt_freelist_take(rt, fl, line, flags);
    return o ? o : rt_gc_alloc(rt, t, size, rt->layout.gc_head);
}

/* PyObject_GC_Del: untrack if still tracked, count0 -= 1, free the block. */
void rt_gc_free(struct runtime *rt, struct rt_object *o)
{
    if (gc_obj_is_tracked(o))
        gc_untrack(rt, o);
    size_t presize = o->type->presize;
    RT_EMIT(rt, OBJ_FREE, obj_free, .obj = rt_addr(o), .flags = 0);
    gc_on_free(rt);
    heap_free(rt->heap, (char *)o - presize);
}

/* ---- free lists ------------------------------------------------------------------------------- */

_Static_assert(RT_FLOAT_FREELIST_MAX <= RT_TUPLE_FREELIST_MAX && RT_LIST_FREELIST_MAX <= RT_TUPLE_FREELIST_MAX &&
                   RT_DICT_FREELIST_MAX <= RT_TUPLE_FREELIST_MAX && RT_KEYS_FREELIST_MAX <= RT_TUPLE_FREELIST_MAX,
               "struct rt_freelist holds the largest limit");

bool rt_freelist_push(struct runtime *rt, struct rt_freelist *fl, void *p)
{
    if (fl->n >= fl->max || rt->shutting_down)
        return false;
    fl->item[fl->n++] = p;
    return true;
}

void *rt_freelist_pop(struct rt_freelist *fl)
{
    return fl->n ? fl->item[--fl->n] : NULL;
}

void *rt_freelist_take(struct runtime *rt, struct rt_freelist *fl, unsigned line, unsigned *flags)
{
    void *p = rt_freelist_pop(fl);
    if (p) {
        *flags = EV_OBJ_FREELIST;
        rt_freelist_changed(rt, line);
    }
    return p;
}

/* Frees what a free list keeps; presize is the bytes before each item in its block (the GC
 * head of a container, which also leaves the collector's count). */
static void freelist_drain(struct runtime *rt, struct rt_freelist *fl, size_t presize)
{
    for (char *p; (p = rt_freelist_pop(fl));) {
        if (presize)
            gc_on_free(rt);
        heap_free(rt->heap, p - presize);
    }
}

static void freelist_line(const struct runtime *rt, unsigned line, struct heap_stats_freelist *out);

void rt_clear_freelists(struct runtime *rt)
{
    bool had[RT_FL_COUNT];
    for (unsigned line = 0; line < RT_FL_COUNT; line++) {
        struct heap_stats_freelist f;
        freelist_line(rt, line, &f);
        had[line] = f.count > 0;
    }
    for (int n = 0; n < RT_TUPLE_FREELISTS; n++)
        freelist_drain(rt, &rt->tuples[n], rt->layout.gc_head);
    freelist_drain(rt, &rt->floats, 0);
    freelist_drain(rt, &rt->lists, rt->layout.gc_head);
    freelist_drain(rt, &rt->dicts, rt->layout.gc_head);
    freelist_drain(rt, &rt->keys, 0);
    for (unsigned line = 0; line < RT_FL_COUNT; line++)
        if (had[line])
            rt_freelist_changed(rt, line);
    rt_int27_clear(rt);
}

/* Free-list line `line` (RT_FL_*) as this version has it: its type's name (NULL for the tuples',
 * numbered by size), the list the runtime keeps for it (NULL: none, the line says 0), the size
 * of each object on it, and whether the version's report has the line at all. */
struct freelist_desc {
    const char *name;
    uint64_t count; /* objects on the list */
    uint64_t each;
    bool reported;
};

static struct freelist_desc freelist_desc(const struct runtime *rt, unsigned line)
{
    const struct rt_layout *l = &rt->layout;
    switch (line) {
    case RT_FL_CFUNCTION:
        return (struct freelist_desc){"PyCFunctionObjects", 0, l->cfunction_free, l->cfunction_free != 0};
    case RT_FL_DICT:
        return (struct freelist_desc){"PyDictObjects", rt->dicts.n, l->dict_basic, true};
    case RT_FL_DICTKEYS:
        return (struct freelist_desc){"PyDictKeysObjects", rt->keys.n, l->dict_keys_header, l->dictkeys_report};
    case RT_FL_FLOAT:
        return (struct freelist_desc){"PyFloatObjects", rt->floats.n, l->float_basic, true};
    case RT_FL_FRAME:
        return (struct freelist_desc){"PyFrameObjects", 0, l->frame_free, l->frame_free != 0};
    case RT_FL_INT:
        return (struct freelist_desc){"PyIntObjects", rt->int_nfree, l->int_basic, l->int_fixed};
    case RT_FL_LIST:
        return (struct freelist_desc){"PyListObjects", rt->lists.n, l->list_basic, true};
    case RT_FL_METHOD:
        return (struct freelist_desc){"PyMethodObjects", 0, l->method_free, l->method_free != 0};
    default: {
        unsigned n = line - RT_FL_TUPLE1 + 1;
        return (struct freelist_desc){NULL, rt->tuples[n - 1].n, l->tuple_basic + 8 * (uint64_t)n,
                                      n <= l->tuple_freelists};
    }
    }
}

static bool freelist_reported(const struct runtime *rt, unsigned line)
{
    return freelist_desc(rt, line).reported;
}

/* Line `line` (RT_FL_*) of the report: its label, the objects on that free list and their size. */
static void freelist_line(const struct runtime *rt, unsigned line, struct heap_stats_freelist *out)
{
    struct freelist_desc d = freelist_desc(rt, line);
    if (d.name)
        snprintf(out->label, sizeof out->label, "%s", d.name);
    else
        snprintf(out->label, sizeof out->label, "%u-sized PyTupleObjects", line - RT_FL_TUPLE1 + 1);
    out->count = d.count;
    out->each = d.each;
}

_Static_assert(RT_FL_COUNT <= HEAP_STATS_MAX_FREELISTS, "every free-list line fits the stats");

void rt_get_freelist_stats(const struct runtime *rt, struct heap_stats *out)
{
    out->nfreelists = 0;
    for (unsigned line = 0; line < RT_FL_COUNT; line++)
        if (freelist_reported(rt, line))
            freelist_line(rt, line, &out->freelists[out->nfreelists++]);
}

/* What the layout fixes of each line's `freelist` event (rt->fl_line): made once, so that an
 * event costs no formatting. */
static void freelist_lines_init(struct runtime *rt)
{
    _Static_assert(RT_FL_COUNT <= UINT8_MAX, "a line's index fits its byte");
    unsigned index = 0;
    for (unsigned line = 0; line < RT_FL_COUNT; line++) {
        struct rt_freelist_line *fl = &rt->fl_line[line];
        struct heap_stats_freelist f;
        freelist_line(rt, line, &f);
        _Static_assert(sizeof fl->label == sizeof f.label, "the label fits");
        memcpy(fl->label, f.label, sizeof fl->label);
        fl->label_len = (uint8_t)strlen(f.label);
        fl->reported = freelist_reported(rt, line);
        fl->index = (uint8_t)index;
        index += fl->reported;
    }
}

void rt_freelist_changed(struct runtime *rt, unsigned line)
{
    const struct rt_freelist_line *fl = &rt->fl_line[line];
    if (!rt_on(rt) || !fl->reported)
        return;
    struct freelist_desc d = freelist_desc(rt, line);
    struct event ev;
    rt_event_init(&ev, EV_FREELIST);
    ev.str = fl->label;
    ev.str_len = fl->label_len;
    ev.u.freelist = (struct event_freelist){.index = fl->index, .count = d.count, .each = d.each};
    rt_emit(rt, &ev);
}

uint32_t rt_freelist_count(const struct runtime *rt, const char *kind)
{
    if (strcmp(kind, "float") == 0)
        return rt->floats.n;
    if (strcmp(kind, "list") == 0)
        return rt->lists.n;
    if (strcmp(kind, "dict") == 0)
        return rt->dicts.n;
    if (strcmp(kind, "dictkeys") == 0)
        return rt->keys.n;
    if (strcmp(kind, "int") == 0)
        return rt->int_nfree;
    if (strncmp(kind, "tuple", 5) == 0) {
        int n = atoi(kind + 5);
        if (n >= 1 && n <= RT_TUPLE_FREELISTS)
            return rt->tuples[n - 1].n;
    }
    return 0;
}

/* ---- interned strings ------------------------------------------------------------------------- */

/* The literals' references (a code object's co_consts): released at shutdown, after which
 * the interned strings die like any other and leave the interned set (rt_dealloc). */
static void interned_release(struct runtime *rt)
{
    while (rt->nconsts > 0)
        rt_decref(rt, rt->consts[--rt->nconsts], EV_REF_OTHER, NULL);
    free(rt->consts);
    rt->consts = NULL;
    rt->consts_cap = 0;
}

/* ---- frames and names --------------------------------------------------------------------------- */

int rt_array_room(void **items, size_t n, size_t *cap, size_t size)
{
    if (n < *cap)
        return 0;
    size_t more = *cap ? *cap * 2 : 8;
    void *p = realloc(*items, more * size);
    if (!p)
        return RT_ENOMEM;
    *items = p;
    *cap = more;
    return 0;
}

static int frames_push(struct runtime *rt, const char *function, uint64_t *id)
{
    if (rt_array_room((void **)&rt->frames, rt->nframes, &rt->frames_cap, sizeof *rt->frames) < 0)
        return RT_ENOMEM;
    char *name = rt_strdup(function);
    if (!name)
        return RT_ENOMEM;
    struct rt_frame *f = &rt->frames[rt->nframes++];
    *f = (struct rt_frame){.id = rt->next_frame_id++, .function = name};
    *id = f->id;
    rt_emit_text(rt, EV_FRAME_PUSH, f->id, 0, name);
    return 0;
}

uint64_t rt_frame_push(struct runtime *rt, const char *function)
{
    uint64_t id = 0;
    if (frames_push(rt, function, &id) < 0)
        return 0;
    return id;
}

void rt_frame_pop(struct runtime *rt)
{
    assert(rt->nframes > 1);
    size_t fi = rt->nframes - 1;
    /* locals are released in order, as a frame's localsplus is cleared; a finalizer run by a
     * release may push frames (and move the frame array), so the frame is found by index */
    for (size_t i = 0; i < rt->frames[fi].nnames; i++) {
        struct rt_binding *b = &rt->frames[fi].names[i];
        rt_emit_text(rt, EV_NAME_UNBIND, rt->frames[fi].id, 0, b->name);
        struct rt_object *o = b->obj;
        b->obj = NULL;
        if (o)
            rt_decref(rt, o, EV_REF_SCOPE_EXIT, NULL);
    }
    struct rt_frame *f = &rt->frames[fi];
    for (size_t i = 0; i < f->nnames; i++)
        free(f->names[i].name);
    RT_EMIT(rt, FRAME_POP, frame_pop, .frame = f->id);
    free(f->function);
    free(f->names);
    rt->nframes--;
}

uint64_t rt_frame_current(const struct runtime *rt)
{
    return rt->nframes ? rt->frames[rt->nframes - 1].id : 0;
}

static struct rt_binding *frame_find(const struct rt_frame *f, const char *name)
{
    for (size_t i = 0; i < f->nnames; i++)
        if (f->names[i].obj && strcmp(f->names[i].name, name) == 0)
            return &f->names[i];
    return NULL;
}

/* Binds name to obj in the current frame; the reference is already held by the caller. */
static int bind_owned(struct runtime *rt, const char *name, struct rt_object *obj)
{
    assert(rt->nframes > 0);
    struct rt_frame *f = &rt->frames[rt->nframes - 1];
    struct rt_binding *b = frame_find(f, name);
    if (b) {
        struct rt_object *old = b->obj;
        b->obj = obj;
        rt_emit_text(rt, EV_NAME_BIND, f->id, rt_addr(obj), name);
        rt_decref(rt, old, EV_REF_NAME, NULL);
        return 0;
    }
    if (rt_array_room((void **)&f->names, f->nnames, &f->cap, sizeof *f->names) < 0)
        return RT_ENOMEM;
    char *copy = rt_strdup(name);
    if (!copy)
        return RT_ENOMEM;
    f->names[f->nnames++] = (struct rt_binding){.name = copy, .obj = obj};
    rt_emit_text(rt, EV_NAME_BIND, f->id, rt_addr(obj), name);
    return 0;
}

/* Binds name to obj with a new reference taken for `why`. */
static int bind_counted(struct runtime *rt, const char *name, struct rt_object *obj, enum ev_ref_reason why)
{
    rt_incref(rt, obj, why, NULL);
    int err = bind_owned(rt, name, obj);
    if (err < 0)
        rt_decref(rt, obj, why, NULL);
    return err;
}

int rt_bind(struct runtime *rt, const char *name, struct rt_object *obj)
{
    return bind_counted(rt, name, obj, EV_REF_NAME);
}

int rt_bind_arg(struct runtime *rt, const char *name, struct rt_object *obj)
{
    return bind_counted(rt, name, obj, EV_REF_ARG);
}

int rt_bind_new(struct runtime *rt, const char *name, struct rt_object *obj)
{
    int err = bind_owned(rt, name, obj);
    if (err < 0)
        rt_decref(rt, obj, EV_REF_TEMP, NULL);
    return err;
}

int rt_unbind(struct runtime *rt, const char *name)
{
    assert(rt->nframes > 0);
    struct rt_frame *f = &rt->frames[rt->nframes - 1];
    for (size_t i = 0; i < f->nnames; i++) {
        if (f->names[i].obj && strcmp(f->names[i].name, name) == 0) {
            struct rt_binding b = f->names[i];
            memmove(&f->names[i], &f->names[i + 1], (f->nnames - i - 1) * sizeof *f->names);
            f->nnames--;
            rt_emit_text(rt, EV_NAME_UNBIND, f->id, 0, name);
            free(b.name);
            rt_decref(rt, b.obj, EV_REF_NAME, NULL);
            return 0;
        }
    }
    return RT_EINVAL;
}

struct rt_object *rt_lookup(const struct runtime *rt, const char *name)
{
    if (rt->nframes == 0)
        return NULL;
    struct rt_binding *b = frame_find(&rt->frames[rt->nframes - 1], name);
    if (!b && rt->nframes > 1)
        b = frame_find(&rt->frames[0], name);
    return b ? b->obj : NULL;
}

void rt_function_call(struct runtime *rt, struct rt_object *fn, struct rt_object *arg)
{
    assert(fn->type->kind == RT_KIND_FUNCTION);
    struct rt_function *f = (struct rt_function *)(uintptr_t)fn;
    rt_incref(rt, fn, EV_REF_TEMP, NULL);
    uint64_t id;
    if (frames_push(rt, f->name, &id) == 0) {
        if (arg)
            rt_bind_arg(rt, "arg", arg);
        if (f->fn)
            f->fn(rt, arg, f->ctx);
        rt_frame_pop(rt);
    }
    rt_decref(rt, fn, EV_REF_TEMP, NULL);
}
