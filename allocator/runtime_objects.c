/*
 * runtime_objects.c - the builtin types: int, float, str, tuple, list, instances of user
 * classes, functions, weak references; sizes, and repr.
 *
 * Each constructor follows its CPython 3.11 counterpart in what it allocates and in what order:
 * a free list first when the type has one (float 100, tuple sizes 1..20 x 2000, list 80; dicts
 * are in runtime_dict.c), else the allocator; then the object's item storage; then, for
 * containers, tracking by the collector once the object is complete.  A list's item array grows
 * by list_resize's over-allocation ((n + n/8 + 6) & ~3: 0, 4, 8, 16, 24, 32, 40, 52, ...; up to
 * 3.8, n + n/8 + (n < 9 ? 3 : 6): 0, 4, 8, 16, 25, 35, 46, 58, ...).
 *
 * Sizes are those of the runtime's layout (runtime_layout.c): what each object asks of the
 * allocator, and sys.getsizeof, which adds the GC head and separate tables (rt_sizeof).
 *
 * A str is a compact string (PEP 393): its size follows its widest character, 1 byte per
 * character for ASCII and latin-1, 2 for the rest of the BMP, 4 beyond, after a header of 48
 * bytes when it is ASCII and 72 otherwise (40 and 56 from 3.12, which dropped wstr), plus one
 * character for the terminating NUL.  3.12+ keeps the 1-character latin-1 strings static with
 * their UTF-8 (2 bytes and a NUL more).  2.7's str is a byte string: 37 bytes and the UTF-8.
 */
#include "runtime_private.h"

#include <assert.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* ---- int ---------------------------------------------------------------------------------- */

struct rt_object *rt_int(struct runtime *rt, int64_t v)
{
    if (v >= -RT_SMALL_NEG && v < RT_SMALL_POS) {
        struct rt_object *o = &rt->small_ints[v + RT_SMALL_NEG].ob;
        rt_announce(rt, o);
        rt_incref(rt, o, EV_REF_TEMP, NULL);
        return o;
    }
    uint64_t mag = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;
    if (rt->layout.int_fixed) {
        struct rt_int *o = rt_int27_take(rt);
        if (!o)
            return NULL;
        o->size = (intptr_t)v; /* 2.7's ob_ival */
        rt_object_init(rt, &o->ob, &rt->t_int, rt->layout.int_basic, EV_OBJ_FREELIST);
        return &o->ob;
    }
    intptr_t nd = 0;
    for (uint64_t m = mag; m; m >>= RT_INT_SHIFT)
        nd++;
    size_t size = rt->layout.int_basic + 4 * (size_t)nd;
    struct rt_int *o = heap_malloc(rt->heap, size);
    if (!o)
        return NULL;
    o->size = v < 0 ? -nd : nd;
    for (intptr_t i = 0; i < nd; i++) {
        o->digit[i] = (uint32_t)(mag & RT_INT_MASK);
        mag >>= RT_INT_SHIFT;
    }
    rt_object_init(rt, &o->ob, &rt->t_int, size, 0);
    return &o->ob;
}

int64_t rt_int_value(const struct rt_object *o)
{
    assert(o->type->kind == RT_KIND_INT);
    const struct rt_int *i = (const struct rt_int *)o;
    if (o->type->layout->int_fixed)
        return (int64_t)i->size;
    if (i->size == 0)
        return 0;
    const uint32_t *digit = i->digit;
    intptr_t nd = i->size < 0 ? -i->size : i->size;
    /* the small ints keep their one digit right after the header, like the others */
    uint64_t mag = 0;
    for (intptr_t k = nd - 1; k >= 0; k--)
        mag = (mag << RT_INT_SHIFT) | digit[k];
    return i->size < 0 ? -(int64_t)mag : (int64_t)mag;
}

/* ---- float --------------------------------------------------------------------------------- */

struct rt_object *rt_float(struct runtime *rt, double v)
{
    unsigned flags = 0;
    struct rt_float *f = rt_freelist_take(rt, &rt->floats, RT_FL_FLOAT, &flags);
    if (!f && !(f = heap_malloc(rt->heap, rt->layout.float_basic)))
        return NULL;
    f->value = v;
    rt_object_init(rt, &f->ob, &rt->t_float, rt->layout.float_basic, flags);
    return &f->ob;
}

double rt_float_value(const struct rt_object *o)
{
    assert(o->type->kind == RT_KIND_FLOAT);
    return ((const struct rt_float *)o)->value;
}

/* ---- str ------------------------------------------------------------------------------------ */

static intptr_t str_hash_bytes(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    for (size_t i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    intptr_t r = (intptr_t)(h >> 1);
    return r == -1 ? -2 : r;
}

intptr_t rt_str_hash(const struct rt_str *s)
{
    return str_hash_bytes(s->data, s->nbytes);
}

/* The characters of n bytes of UTF-8 and the widest of them (a stray or cut-off byte counts as
 * one character of its own value). */
static intptr_t utf8_measure(const char *s, size_t n, uint32_t *widest)
{
    intptr_t chars = 0;
    *widest = 0;
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp = c;
        size_t len = 1;
        if (c >= 0xf0 && i + 3 < n) {
            cp = ((uint32_t)(c & 0x07) << 18) | ((uint32_t)(s[i + 1] & 0x3f) << 12) |
                 ((uint32_t)(s[i + 2] & 0x3f) << 6) | (uint32_t)(s[i + 3] & 0x3f);
            len = 4;
        } else if (c >= 0xe0 && i + 2 < n) {
            cp = ((uint32_t)(c & 0x0f) << 12) | ((uint32_t)(s[i + 1] & 0x3f) << 6) | (uint32_t)(s[i + 2] & 0x3f);
            len = 3;
        } else if (c >= 0xc0 && i + 1 < n) {
            cp = ((uint32_t)(c & 0x1f) << 6) | (uint32_t)(s[i + 1] & 0x3f);
            len = 2;
        }
        if (cp > *widest)
            *widest = cp;
        chars++;
        i += len;
    }
    return chars;
}

/* What a str of `length` characters, the widest `widest`, asks of the allocator in the layout's
 * version (its sys.getsizeof but for 3.12's cached UTF-8). */
static size_t str_request(const struct rt_layout *l, size_t nbytes, intptr_t length, uint32_t widest)
{
    if (!l->str_compact)
        return l->str_ascii + nbytes + 1; /* 2.7: bytes */
    if (widest < 0x80)
        return l->str_ascii + (size_t)length + 1;
    size_t kind = widest < 0x100 ? 1 : widest < 0x10000 ? 2 : 4;
    return l->str_compact + kind * ((size_t)length + 1);
}

static struct rt_str *str_new(struct runtime *rt, const char *s, size_t n)
{
    uint32_t widest;
    intptr_t length = utf8_measure(s, n, &widest);
    size_t size = str_request(&rt->layout, n, length, widest);
    size_t need = sizeof(struct rt_str) + n + 1;
    struct rt_str *o = heap_malloc(rt->heap, size < need ? need : size);
    if (!o)
        return NULL;
    o->length = length;
    o->nbytes = (uint32_t)n;
    o->state = 0;
    o->ascii = widest < 0x80;
    o->kind = widest < 0x100 ? 1 : widest < 0x10000 ? 2 : 4;
    o->pad = 0;
    memcpy(o->data, s, n);
    o->data[n] = '\0';
    rt_object_init(rt, &o->ob, &rt->t_str, size < need ? need : size, 0);
    return o;
}

struct rt_object *rt_str(struct runtime *rt, const char *s)
{
    struct rt_str *o = str_new(rt, s, strlen(s));
    return o ? &o->ob : NULL;
}

const char *rt_str_value(const struct rt_object *o)
{
    assert(o->type->kind == RT_KIND_STR);
    return ((const struct rt_str *)o)->data;
}

bool rt_str_is_interned(const struct rt_object *o)
{
    return o->type->kind == RT_KIND_STR && (((const struct rt_str *)o)->state & 1);
}

struct rt_object *rt_str_concat(struct runtime *rt, const struct rt_object *a,
                                const struct rt_object *b)
{
    const struct rt_str *x = (const struct rt_str *)a, *y = (const struct rt_str *)b;
    assert(a->type->kind == RT_KIND_STR && b->type->kind == RT_KIND_STR);
    size_t n = (size_t)x->nbytes + (size_t)y->nbytes;
    char *buf = malloc(n + 1);
    if (!buf)
        return NULL;
    memcpy(buf, x->data, x->nbytes);
    memcpy(buf + x->nbytes, y->data, y->nbytes);
    struct rt_str *o = str_new(rt, buf, n);
    free(buf);
    return o ? &o->ob : NULL;
}

static struct rt_str **interned_slot(struct runtime *rt, const char *s, size_t n, intptr_t hash)
{
    size_t mask = rt->interned_cap - 1;
    for (size_t i = (size_t)hash & mask;; i = (i + 1) & mask) {
        struct rt_str *e = rt->interned[i];
        if (!e || (e->nbytes == n && memcmp(e->data, s, n) == 0 && rt_str_hash(e) == hash))
            return &rt->interned[i];
    }
}

static int interned_grow(struct runtime *rt)
{
    size_t cap = rt->interned_cap ? rt->interned_cap * 2 : 64;
    struct rt_str **old = rt->interned;
    size_t oldcap = rt->interned_cap;
    rt->interned = calloc(cap, sizeof *rt->interned);
    if (!rt->interned) {
        rt->interned = old;
        return RT_ENOMEM;
    }
    rt->interned_cap = cap;
    for (size_t i = 0; i < oldcap; i++)
        if (old[i])
            *interned_slot(rt, old[i]->data, old[i]->nbytes, rt_str_hash(old[i])) = old[i];
    free(old);
    return 0;
}

/* Takes a dying string out of the interned set; backward-shift deletion keeps the probe chains
 * whole. */
void rt_interned_remove(struct runtime *rt, struct rt_str *s)
{
    size_t mask = rt->interned_cap - 1;
    size_t i = (size_t)rt_str_hash(s) & mask;
    while (rt->interned[i] != s)
        i = (i + 1) & mask;
    for (size_t j = i;;) {
        rt->interned[i] = NULL;
        for (;;) {
            j = (j + 1) & mask;
            if (!rt->interned[j]) {
                rt->ninterned--;
                return;
            }
            size_t h = (size_t)rt_str_hash(rt->interned[j]) & mask;
            if (!((i <= j) ? (i < h && h <= j) : (i < h || h <= j)))
                break;
        }
        rt->interned[i] = rt->interned[j];
        i = j;
    }
}

struct rt_object *rt_intern(struct runtime *rt, struct rt_object *so)
{
    assert(so->type->kind == RT_KIND_STR);
    struct rt_str *s = (struct rt_str *)so;
    if (s->state & 1)
        return so;
    if ((rt->ninterned + 1) * 2 > rt->interned_cap && interned_grow(rt) < 0)
        return so;
    struct rt_str **slot = interned_slot(rt, s->data, s->nbytes, rt_str_hash(s));
    if (*slot) {
        struct rt_object *canon = &(*slot)->ob;
        rt_incref(rt, canon, EV_REF_TEMP, NULL);
        rt_decref(rt, so, EV_REF_TEMP, NULL);
        return canon;
    }
    /* 3.11: the interned set's own references are not counted (mortal interned strings) */
    *slot = s;
    s->state |= 1;
    rt->ninterned++;
    return so;
}

static bool identifier_like(const char *s)
{
    for (; *s; s++)
        if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
              *s == '_'))
            return false;
    return true;
}

static int consts_add(struct runtime *rt, struct rt_object *o)
{
    if (rt_array_room((void **)&rt->consts, rt->nconsts, &rt->consts_cap, sizeof *rt->consts) < 0)
        return RT_ENOMEM;
    rt->consts[rt->nconsts++] = o;
    return 0;
}

struct rt_object *rt_str_literal(struct runtime *rt, const char *s)
{
    if (!identifier_like(s))
        return rt_str(rt, s);
    size_t n = strlen(s);
    if (rt->interned_cap) {
        struct rt_str **slot = interned_slot(rt, s, n, str_hash_bytes(s, n));
        if (*slot) {
            rt_incref(rt, &(*slot)->ob, EV_REF_TEMP, NULL);
            return &(*slot)->ob;
        }
    }
    /* a new constant: the code object keeps one reference, the caller gets another */
    struct rt_object *o = rt_str(rt, s);
    if (!o)
        return NULL;
    o = rt_intern(rt, o);
    if (consts_add(rt, o) < 0)
        return o;
    rt_incref(rt, o, EV_REF_TEMP, NULL);
    return o;
}

/* ---- tuple ------------------------------------------------------------------------------------ */

struct rt_object *rt_tuple(struct runtime *rt, size_t n, struct rt_object *const items[])
{
    if (n == 0) {
        rt_announce(rt, &rt->empty_tuple.ob);
        rt_incref(rt, &rt->empty_tuple.ob, EV_REF_TEMP, NULL);
        return &rt->empty_tuple.ob;
    }
    size_t size = rt->layout.gc_head + rt->layout.tuple_basic + 8 * n;
    unsigned flags = 0;
    struct rt_tuple *t;
    if (n <= rt->layout.tuple_freelists)
        t = rt_gc_take(rt, &rt->tuples[n - 1], RT_FL_TUPLE1 + (unsigned)n - 1, &rt->t_tuple, size, &flags);
    else
        t = rt_gc_alloc(rt, &rt->t_tuple, size, rt->layout.gc_head);
    if (!t)
        return NULL;
    t->size = (intptr_t)n;
    for (size_t i = 0; i < n; i++)
        t->item[i] = NULL;
    rt_object_init(rt, &t->ob, &rt->t_tuple, size, flags);
    for (size_t i = 0; i < n; i++) {
        t->item[i] = items[i];
        rt_incref(rt, items[i], EV_REF_CONTAINER, &t->ob);
    }
    gc_track(rt, &t->ob);
    return &t->ob;
}

/* ---- list ------------------------------------------------------------------------------------- */

static void list_storage_event(struct runtime *rt, struct rt_list *l)
{
    RT_EMIT(rt, OBJ_STORAGE, obj_storage, .obj = rt_addr(l), .addr = rt_addr(l->item),
            .size = l->item ? (uint64_t)l->allocated * 8 : 0);
}

struct rt_object *rt_list(struct runtime *rt, size_t n, struct rt_object *const items[])
{
    unsigned flags = 0;
    size_t size = rt->layout.gc_head + rt->layout.list_basic;
    struct rt_list *l = rt_gc_take(rt, &rt->lists, RT_FL_LIST, &rt->t_list, size, &flags);
    if (!l)
        return NULL;
    l->size = 0;
    l->item = NULL;
    l->allocated = 0;
    rt_object_init(rt, &l->ob, &rt->t_list, size, flags);
    if (n > 0) {
        l->item = heap_calloc(rt->heap, n, sizeof(struct rt_object *));
        if (!l->item) {
            rt_decref(rt, &l->ob, EV_REF_TEMP, NULL);
            return NULL;
        }
        l->allocated = (intptr_t)n;
        list_storage_event(rt, l);
        for (size_t i = 0; i < n; i++) {
            l->item[i] = items[i];
            rt_incref(rt, items[i], EV_REF_CONTAINER, &l->ob);
        }
        l->size = (intptr_t)n;
    }
    gc_track(rt, &l->ob);
    return &l->ob;
}

/* list_resize of the layout's version (3.9+, or 2.7 to 3.8) */
static int list_resize(struct runtime *rt, struct rt_list *l, intptr_t newsize)
{
    intptr_t allocated = l->allocated;
    if (allocated >= newsize && newsize >= (allocated >> 1)) {
        l->size = newsize;
        return 0;
    }
    size_t new_allocated;
    if (rt->layout.list_growth == RT_LIST_GROWTH_27) {
        new_allocated = (size_t)newsize + ((size_t)newsize >> 3) + (newsize < 9 ? 3 : 6);
    } else {
        new_allocated = ((size_t)newsize + ((size_t)newsize >> 3) + 6) & ~(size_t)3;
        if (newsize - l->size > (intptr_t)(new_allocated - (size_t)newsize))
            new_allocated = ((size_t)newsize + 3) & ~(size_t)3;
    }
    if (newsize == 0)
        new_allocated = 0;
    struct rt_object **items = heap_realloc(rt->heap, l->item, new_allocated * sizeof *items);
    if (!items)
        return RT_ENOMEM;
    l->item = items;
    l->size = newsize;
    l->allocated = (intptr_t)new_allocated;
    list_storage_event(rt, l);
    return 0;
}

int rt_list_reserve(struct runtime *rt, struct rt_object *list, size_t n)
{
    assert(list->type->kind == RT_KIND_LIST);
    struct rt_list *l = (struct rt_list *)list;
    if (l->item || n == 0)
        return 0;
    l->item = heap_calloc(rt->heap, n, sizeof(struct rt_object *));
    if (!l->item)
        return RT_ENOMEM;
    l->allocated = (intptr_t)n;
    list_storage_event(rt, l);
    return 0;
}

int rt_list_extend_item(struct runtime *rt, struct rt_object *list, struct rt_object *item)
{
    assert(list->type->kind == RT_KIND_LIST);
    struct rt_list *l = (struct rt_list *)list;
    if (l->size >= l->allocated)
        return rt_list_append(rt, list, item);
    l->item[l->size++] = item;
    rt_incref(rt, item, EV_REF_CONTAINER, list);
    return 0;
}

int rt_list_append(struct runtime *rt, struct rt_object *list, struct rt_object *item)
{
    assert(list->type->kind == RT_KIND_LIST);
    struct rt_list *l = (struct rt_list *)list;
    intptr_t n = l->size;
    int err = list_resize(rt, l, n + 1);
    if (err < 0)
        return err;
    l->item[n] = item;
    rt_incref(rt, item, EV_REF_CONTAINER, list);
    return 0;
}

/* Python's index i of a list (negative: from the end); false when it is out of range. */
static bool list_index(const struct rt_list *l, intptr_t *i)
{
    if (*i < 0)
        *i += l->size;
    return *i >= 0 && *i < l->size;
}

int rt_list_set(struct runtime *rt, struct rt_object *list, intptr_t i, struct rt_object *item)
{
    assert(list->type->kind == RT_KIND_LIST);
    struct rt_list *l = (struct rt_list *)list;
    if (!list_index(l, &i))
        return RT_EINVAL;
    struct rt_object *old = l->item[i];
    rt_incref(rt, item, EV_REF_CONTAINER, list);
    l->item[i] = item;
    rt_decref(rt, old, EV_REF_CONTAINER, list);
    return 0;
}

struct rt_object *rt_list_pop(struct runtime *rt, struct rt_object *list, intptr_t i)
{
    assert(list->type->kind == RT_KIND_LIST);
    struct rt_list *l = (struct rt_list *)list;
    if (!list_index(l, &i))
        return NULL;
    struct rt_object *v = l->item[i];
    memmove(&l->item[i], &l->item[i + 1], (size_t)(l->size - i - 1) * sizeof *l->item);
    if (list_resize(rt, l, l->size - 1) < 0)
        l->size--; /* shrinking failed: keep the larger array */
    /* the list's reference becomes the caller's: no count changes */
    RT_EMIT(rt, REF_MOVE, ref_move, .obj = rt_addr(v), .from = rt_addr(list), .to = 0);
    return v;
}

void rt_list_clear(struct runtime *rt, struct rt_object *list)
{
    assert(list->type->kind == RT_KIND_LIST);
    struct rt_list *l = (struct rt_list *)list;
    struct rt_object **items = l->item;
    if (!items)
        return;
    intptr_t n = l->size;
    l->size = 0;
    l->item = NULL;
    l->allocated = 0;
    RT_EMIT(rt, OBJ_STORAGE, obj_storage, .obj = rt_addr(l), .addr = 0, .size = 0);
    enum ev_ref_reason why = rt->gc.collecting ? EV_REF_GC : EV_REF_CONTAINER;
    while (--n >= 0)
        rt_xdecref(rt, items[n], why, list);
    heap_free(rt->heap, items);
}

size_t rt_list_allocated(const struct rt_object *list)
{
    assert(list->type->kind == RT_KIND_LIST);
    return (size_t)((const struct rt_list *)list)->allocated;
}

size_t rt_len(const struct rt_object *o)
{
    switch (o->type->kind) {
    case RT_KIND_STR:
        return (size_t)((const struct rt_str *)o)->length;
    case RT_KIND_TUPLE:
        return (size_t)((const struct rt_tuple *)o)->size;
    case RT_KIND_LIST:
        return (size_t)((const struct rt_list *)o)->size;
    case RT_KIND_DICT:
        return (size_t)((const struct rt_dict *)o)->used;
    case RT_KIND_SET:
        return (size_t)((const struct rt_set *)o)->used;
    case RT_KIND_NONE:
    case RT_KIND_INT:
    case RT_KIND_FLOAT:
    case RT_KIND_FUNCTION:
    case RT_KIND_WEAKREF:
    case RT_KIND_PROXY:
    case RT_KIND_INSTANCE:
        break;
    }
    return 0;
}

struct rt_object *rt_item(const struct rt_object *o, size_t i)
{
    if (o->type->kind == RT_KIND_TUPLE) {
        const struct rt_tuple *t = (const struct rt_tuple *)o;
        return i < (size_t)t->size ? t->item[i] : NULL;
    }
    if (o->type->kind == RT_KIND_LIST) {
        const struct rt_list *l = (const struct rt_list *)o;
        return i < (size_t)l->size ? l->item[i] : NULL;
    }
    return NULL;
}

/* ---- instances -------------------------------------------------------------------------------- */

struct rt_object ***rt_values_ptr(const struct rt_object *o)
{
    return (struct rt_object ***)((char *)(uintptr_t)o + o->type->values_offset);
}

struct rt_object *rt_instance_dict(const struct rt_object *o)
{
    if (o->type->kind != RT_KIND_INSTANCE || !o->type->dict_offset)
        return NULL;
    return *(struct rt_object **)((char *)(uintptr_t)o + o->type->dict_offset);
}

struct rt_object *rt_instance(struct runtime *rt, const struct rt_type *cls)
{
    assert(cls->kind == RT_KIND_INSTANCE);
    struct rt_type *t = (struct rt_type *)(uintptr_t)cls;
    size_t size = t->presize + t->basicsize;
    struct rt_object *o = rt_gc_alloc(rt, t, size, t->presize);
    if (!o)
        return NULL;
    memset(o, 0, t->basicsize);
    rt_object_init(rt, o, t, size, 0);
    if (t->managed_dict) {
        /* init_inline_values: the class's shared keys shrink by one before each new object */
        if (t->shared_usable > 1)
            t->shared_usable--;
        size_t n = t->nattrs + t->shared_usable;
        size_t prefix = (n + 2 + 7) & ~(size_t)7;
        size_t bytes = prefix + n * sizeof(struct rt_object *);
        uint8_t *mem = heap_malloc(rt->heap, bytes);
        if (!mem) {
            rt_decref(rt, o, EV_REF_TEMP, NULL);
            return NULL;
        }
        mem[prefix - 1] = (uint8_t)prefix;
        mem[prefix - 2] = 0;
        struct rt_object **values = (struct rt_object **)(mem + prefix);
        for (size_t i = 0; i < n; i++)
            values[i] = NULL;
        *rt_values_ptr(o) = values;
        RT_EMIT(rt, OBJ_STORAGE, obj_storage, .obj = rt_addr(o), .addr = rt_addr(mem),
                .size = bytes);
    }
    gc_track(rt, o);
    return o;
}

static int attr_index(struct rt_type *t, const char *name, bool insert)
{
    for (uint32_t i = 0; i < t->nattrs; i++)
        if (strcmp(t->attr_names[i], name) == 0)
            return (int)i;
    if (!insert || !t->managed_dict || t->shared_usable == 0 || t->nattrs >= RT_SHARED_KEYS_MAX)
        return RT_EINVAL;
    size_t n = strlen(name) + 1;
    char *copy = malloc(n);
    if (!copy)
        return RT_ENOMEM;
    memcpy(copy, name, n);
    t->attr_names[t->nattrs] = copy;
    t->shared_usable--;
    return (int)t->nattrs++;
}

static struct rt_object **attr_slot(const struct rt_object *o, int i)
{
    if (o->type->managed_dict) {
        struct rt_object **values = *rt_values_ptr(o);
        return values ? &values[i] : NULL;
    }
    return (struct rt_object **)((char *)(uintptr_t)o + 16) + i;
}

/* An attribute in a separate __dict__ (2.7 to 3.10): the dict is made on first use, its key is
 * the interned name (the code's constant). */
static int dict_setattr(struct runtime *rt, struct rt_object *o, const char *name, struct rt_object *value)
{
    struct rt_object **dp = (struct rt_object **)((char *)o + o->type->dict_offset);
    if (!*dp) {
        struct rt_object *d = o->type->layout->instance_dict == RT_INSTANCE_DICT_SPLIT ? rt_dict_new_split(rt)
                                                                                       : rt_dict(rt);
        if (!d)
            return RT_ENOMEM;
        *dp = d;
        RT_EMIT(rt, REF_MOVE, ref_move, .obj = rt_addr(d), .from = 0, .to = rt_addr(o));
    }
    struct rt_object *key = rt_str_literal(rt, name);
    if (!key)
        return RT_ENOMEM;
    int err = rt_dict_set(rt, *dp, key, value);
    rt_decref(rt, key, EV_REF_TEMP, NULL);
    return err;
}

int rt_setattr(struct runtime *rt, struct rt_object *o, const char *name, struct rt_object *value)
{
    if (o->type->kind != RT_KIND_INSTANCE)
        return RT_ETYPE;
    if (o->type->dict_offset)
        return dict_setattr(rt, o, name, value);
    int i = attr_index((struct rt_type *)(uintptr_t)o->type, name, true);
    if (i < 0)
        return i;
    struct rt_object **slot = attr_slot(o, i);
    if (!slot)
        return RT_EINVAL;
    struct rt_object *old = *slot;
    rt_incref(rt, value, EV_REF_ATTR, o);
    *slot = value;
    rt_xdecref(rt, old, EV_REF_ATTR, o);
    return 0;
}

struct rt_object *rt_getattr(struct runtime *rt, const struct rt_object *o, const char *name)
{
    (void)rt;
    if (o->type->kind == RT_KIND_PROXY) {
        const struct rt_weakref *w = (const struct rt_weakref *)o;
        if (!w->object)
            return NULL; /* ReferenceError: weakly-referenced object no longer exists */
        o = w->object;
    }
    if (o->type->kind != RT_KIND_INSTANCE)
        return NULL;
    if (o->type->dict_offset) {
        struct rt_object *d = rt_instance_dict(o);
        return d ? rt_dict_get_str(d, name) : NULL;
    }
    int i = attr_index((struct rt_type *)(uintptr_t)o->type, name, false);
    if (i < 0)
        return NULL;
    struct rt_object **slot = attr_slot(o, i);
    return slot ? *slot : NULL;
}

int rt_delattr(struct runtime *rt, struct rt_object *o, const char *name)
{
    if (o->type->kind != RT_KIND_INSTANCE)
        return RT_ETYPE;
    if (o->type->dict_offset) {
        struct rt_object *d = rt_instance_dict(o);
        if (!d)
            return RT_EINVAL;
        struct rt_object *key = rt_str_literal(rt, name);
        if (!key)
            return RT_ENOMEM;
        int err = rt_dict_del(rt, d, key);
        rt_decref(rt, key, EV_REF_TEMP, NULL);
        return err;
    }
    int i = attr_index((struct rt_type *)(uintptr_t)o->type, name, false);
    if (i < 0)
        return RT_EINVAL;
    struct rt_object **slot = attr_slot(o, i);
    if (!slot || !*slot)
        return RT_EINVAL;
    struct rt_object *old = *slot;
    *slot = NULL;
    rt_decref(rt, old, EV_REF_ATTR, o);
    return 0;
}

/* ---- functions -------------------------------------------------------------------------------- */

struct rt_object *rt_function(struct runtime *rt, const char *name, rt_function_fn fn, void *ctx)
{
    size_t size = rt->layout.gc_head + rt->layout.function_basic;
    struct rt_function *f = rt_gc_alloc(rt, &rt->t_function, size, rt->layout.gc_head);
    if (!f)
        return NULL;
    memset((char *)f + sizeof f->ob, 0, sizeof *f - sizeof f->ob);
    f->fn = fn;
    f->ctx = ctx;
    snprintf(f->name, sizeof f->name, "%s", name);
    rt_object_init(rt, &f->ob, &rt->t_function, size, 0);
    gc_track(rt, &f->ob);
    return &f->ob;
}

/* ---- weak references ---------------------------------------------------------------------------- */

bool rt_supports_weakrefs(const struct rt_object *o)
{
    return o->type->weaklist_offset != 0;
}

static struct rt_weakref **weaklist(const struct rt_object *o)
{
    return (struct rt_weakref **)((char *)(uintptr_t)o + o->type->weaklist_offset);
}

size_t rt_weakref_count(const struct rt_object *obj)
{
    if (!rt_supports_weakrefs(obj))
        return 0;
    size_t n = 0;
    for (struct rt_weakref *w = *weaklist(obj); w; w = w->next)
        n++;
    return n;
}

static void insert_head(struct rt_weakref *w, struct rt_weakref **list)
{
    w->prev = NULL;
    w->next = *list;
    if (*list)
        (*list)->prev = w;
    *list = w;
}

static void insert_after(struct rt_weakref *w, struct rt_weakref *prev)
{
    w->prev = prev;
    w->next = prev->next;
    if (prev->next)
        prev->next->prev = w;
    prev->next = w;
}

/* get_basic_refs: the callback-less ref heads the list, the callback-less proxy follows. */
static void basic_refs(struct rt_weakref *head, struct rt_weakref **ref, struct rt_weakref **prx)
{
    *ref = *prx = NULL;
    if (head && !head->callback) {
        if (head->ob.type->kind == RT_KIND_WEAKREF) {
            *ref = head;
            head = head->next;
        }
        if (head && !head->callback && head->ob.type->kind == RT_KIND_PROXY)
            *prx = head;
    }
}

static struct rt_object *weakref_make(struct runtime *rt, struct rt_object *obj,
                                      struct rt_object *callback, bool proxy)
{
    if (!rt_supports_weakrefs(obj))
        return NULL;
    if (callback && callback->type->kind == RT_KIND_NONE)
        callback = NULL;
    struct rt_weakref **list = weaklist(obj);
    struct rt_weakref *ref, *prx;
    basic_refs(*list, &ref, &prx);
    struct rt_weakref *reuse = proxy ? prx : ref;
    if (!callback && reuse) {
        rt_incref(rt, &reuse->ob, EV_REF_TEMP, NULL);
        return &reuse->ob;
    }
    const struct rt_type *t = proxy ? &rt->t_proxy : &rt->t_weakref;
    size_t size = rt->layout.gc_head + rt->layout.weakref_basic;
    struct rt_weakref *w = rt_gc_alloc(rt, t, size, rt->layout.gc_head);
    if (!w)
        return NULL;
    memset((char *)w + sizeof w->ob, 0, sizeof *w - sizeof w->ob);
    rt_object_init(rt, &w->ob, t, size, 0);
    /* the allocation may have run a collection: look at the list again */
    basic_refs(*list, &ref, &prx);
    w->object = obj;
    w->hash = -1;
    if (callback) {
        w->callback = callback;
        rt_incref(rt, callback, EV_REF_CONTAINER, &w->ob);
    }
    RT_EMIT(rt, WEAKREF_NEW, weakref_new, .ref = rt_addr(w), .obj = rt_addr(obj),
            .callback = rt_addr(callback));
    struct rt_weakref *prev;
    if (!proxy)
        prev = callback ? (prx ? prx : ref) : NULL;
    else
        prev = callback ? (prx ? prx : ref) : ref;
    if (prev)
        insert_after(w, prev);
    else
        insert_head(w, list);
    gc_track(rt, &w->ob);
    return &w->ob;
}

struct rt_object *rt_weakref(struct runtime *rt, struct rt_object *obj, struct rt_object *callback)
{
    return weakref_make(rt, obj, callback, false);
}

struct rt_object *rt_proxy(struct runtime *rt, struct rt_object *obj, struct rt_object *callback)
{
    return weakref_make(rt, obj, callback, true);
}

struct rt_object *rt_weakref_get(struct runtime *rt, const struct rt_object *ref)
{
    assert(ref->type->kind == RT_KIND_WEAKREF || ref->type->kind == RT_KIND_PROXY);
    const struct rt_weakref *w = (const struct rt_weakref *)ref;
    if (!w->object)
        return rt_none(rt);
    rt_incref(rt, w->object, EV_REF_RETURN, NULL);
    return w->object;
}

bool rt_weakref_is_alive(const struct rt_object *ref)
{
    return ((const struct rt_weakref *)ref)->object != NULL;
}

/* ---- sizes -------------------------------------------------------------------------------------- */

size_t rt_sizeof(const struct rt_object *o)
{
    const struct rt_type *t = o->type;
    const struct rt_layout *l = t->layout;
    switch (t->kind) {
    case RT_KIND_INT: {
        if (l->int_fixed)
            return l->int_basic;
        intptr_t n = ((const struct rt_int *)o)->size;
        size_t nd = (size_t)(n < 0 ? -n : n);
        return l->int_basic + 4 * (nd == 0 && l->int_zero_digit ? 1 : nd);
    }
    case RT_KIND_STR: {
        const struct rt_str *s = (const struct rt_str *)o;
        uint32_t widest = s->ascii ? 0x7f : s->kind == 1 ? 0xff : s->kind == 2 ? 0xffff : 0x10ffff;
        size_t size = str_request(l, s->nbytes, s->length, widest);
        if (l->str_latin1_utf8 && s->length == 1 && !s->ascii && s->kind == 1)
            size += s->nbytes + 1;
        return size;
    }
    case RT_KIND_TUPLE:
        return l->gc_head + l->tuple_basic + 8 * rt_len(o);
    case RT_KIND_LIST:
        return l->gc_head + l->list_basic + 8 * rt_list_allocated(o);
    case RT_KIND_DICT:
        return rt_dict_sizeof((const struct rt_dict *)o);
    case RT_KIND_SET:
        return rt_set_sizeof((const struct rt_set *)o);
    case RT_KIND_NONE:
    case RT_KIND_FLOAT:
    case RT_KIND_FUNCTION:
    case RT_KIND_WEAKREF:
    case RT_KIND_PROXY:
    case RT_KIND_INSTANCE:
        break;
    }
    return t->presize + t->basicsize;
}

/* ---- repr ---------------------------------------------------------------------------------------- */

struct repr_buf {
    char *p;
    size_t left;
    bool truncated;
    const struct rt_object *stack[16]; /* containers being printed: [...] for recursion */
    int depth;
};

static void put(struct repr_buf *b, const char *s)
{
    size_t n = strlen(s);
    if (n >= b->left) {
        n = b->left ? b->left - 1 : 0;
        b->truncated = true;
    }
    memcpy(b->p, s, n);
    b->p += n;
    b->left -= n;
    if (b->left)
        *b->p = '\0';
}

static void float_repr(double v, char *out, size_t len)
{
    if (isnan(v)) {
        snprintf(out, len, "nan");
        return;
    }
    if (isinf(v)) {
        snprintf(out, len, v < 0 ? "-inf" : "inf");
        return;
    }
    for (int p = 1; p <= 17; p++) {
        snprintf(out, len, "%.*g", p, v);
        if (strtod(out, NULL) == v)
            break;
    }
    if (!strpbrk(out, ".en"))
        strncat(out, ".0", len - strlen(out) - 1);
}

static void repr_into(const struct rt_object *o, struct repr_buf *b)
{
    char tmp[96];
    for (int i = 0; i < b->depth; i++)
        if (b->stack[i] == o) {
            put(b, o->type->kind == RT_KIND_LIST ? "[...]" : "{...}");
            return;
        }
    switch (o->type->kind) {
    case RT_KIND_NONE:
        put(b, "None");
        return;
    case RT_KIND_INT:
        snprintf(tmp, sizeof tmp, "%" PRId64, rt_int_value(o));
        put(b, tmp);
        return;
    case RT_KIND_FLOAT:
        float_repr(rt_float_value(o), tmp, sizeof tmp);
        put(b, tmp);
        return;
    case RT_KIND_STR:
        put(b, "'");
        put(b, rt_str_value(o));
        put(b, "'");
        return;
    case RT_KIND_FUNCTION:
        snprintf(tmp, sizeof tmp, "<function %s at 0x%" PRIx64 ">",
                 ((const struct rt_function *)o)->name, rt_addr(o));
        put(b, tmp);
        return;
    case RT_KIND_WEAKREF:
    case RT_KIND_PROXY: {
        const struct rt_weakref *w = (const struct rt_weakref *)o;
        const char *what = o->type->kind == RT_KIND_WEAKREF ? "weakref" : "weakproxy";
        if (w->object)
            snprintf(tmp, sizeof tmp, "<%s at 0x%" PRIx64 "; to '%s' at 0x%" PRIx64 ">", what,
                     rt_addr(o), w->object->type->name, rt_addr(w->object));
        else
            snprintf(tmp, sizeof tmp, "<%s at 0x%" PRIx64 "; dead>", what, rt_addr(o));
        put(b, tmp);
        return;
    }
    case RT_KIND_INSTANCE:
        snprintf(tmp, sizeof tmp, "<__main__.%s object at 0x%" PRIx64 ">", o->type->name,
                 rt_addr(o));
        put(b, tmp);
        return;
    case RT_KIND_TUPLE:
    case RT_KIND_LIST:
    case RT_KIND_DICT:
    case RT_KIND_SET:
        break;
    }
    if (b->depth == (int)(sizeof b->stack / sizeof b->stack[0])) {
        put(b, "...");
        return;
    }
    b->stack[b->depth++] = o;
    if (o->type->kind == RT_KIND_DICT) {
        put(b, "{");
        for (size_t i = 0; i < rt_len(o) && !b->truncated; i++) {
            struct rt_object *k, *v;
            rt_dict_entry(o, i, &k, &v);
            if (i)
                put(b, ", ");
            repr_into(k, b);
            put(b, ": ");
            repr_into(v, b);
        }
        put(b, "}");
    } else if (o->type->kind == RT_KIND_SET) {
        bool frozen = strcmp(o->type->name, "frozenset") == 0;
        size_t n = rt_len(o);
        if (n == 0) {
            put(b, frozen ? "frozenset()" : "set()");
        } else {
            put(b, frozen ? "frozenset({" : "{");
            for (size_t i = 0; i < n && !b->truncated; i++) {
                if (i)
                    put(b, ", ");
                repr_into(rt_set_item(o, i), b);
            }
            put(b, frozen ? "})" : "}");
        }
    } else {
        bool tuple = o->type->kind == RT_KIND_TUPLE;
        put(b, tuple ? "(" : "[");
        size_t n = rt_len(o);
        for (size_t i = 0; i < n && !b->truncated; i++) {
            if (i)
                put(b, ", ");
            repr_into(rt_item(o, i), b);
        }
        if (tuple && n == 1)
            put(b, ",");
        put(b, tuple ? ")" : "]");
    }
    b->depth--;
}

char *rt_repr(const struct rt_object *o, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    struct repr_buf b = {.p = buf, .left = len};
    buf[0] = '\0';
    repr_into(o, &b);
    if (b.truncated && len > 4)
        memcpy(buf + len - 4, "...", 4);
    return buf;
}

void rt_show(struct runtime *rt, const struct rt_object *o)
{
    if (!rt_on(rt))
        return;
    char buf[256];
    rt_repr(o, buf, sizeof buf);
    rt_emit_text(rt, EV_OBJ_VALUE, rt_addr(o), 0, buf);
}
