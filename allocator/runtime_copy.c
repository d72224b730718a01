/*
 * runtime_copy.c - copy.copy and copy.deepcopy (Lib/copy.py).
 *
 * copy.copy returns immutable objects (int, float, str, tuple, None, functions, weak
 * references) as they are, gives lists and dicts a new outer object holding the same items
 * (list.copy(), dict.copy()), and instances a new instance of the class with the same
 * attribute values.  copy.deepcopy copies recursively, keeping shared and cyclic structure
 * through a memo: an object met twice is copied once; a tuple whose items all copy to
 * themselves is returned as it is.
 *
 * Lib/copy.py keeps its memo in a dict and reaches instance state through __reduce_ex__ (which
 * in 3.11 materializes the instances' __dict__); here the memo is the runtime's own table and
 * attributes are copied directly, so those temporary objects do not appear in the heap.
 */
#include "runtime_private.h"

#include <stdlib.h>

/* ---- copy --------------------------------------------------------------------------------- */

static struct rt_object *list_copy(struct runtime *rt, struct rt_object *x)
{
    size_t n = rt_len(x);
    struct rt_object **items = n ? malloc(n * sizeof *items) : NULL;
    if (n && !items)
        return NULL;
    for (size_t i = 0; i < n; i++)
        items[i] = rt_item(x, i);
    struct rt_object *y = rt_list(rt, n, items);
    free(items);
    return y;
}

/* The i-th attribute of an instance with a separate __dict__: false past the last. */
static bool dict_attr(const struct rt_object *x, size_t i, const char **name, struct rt_object **value)
{
    struct rt_object *d = rt_instance_dict(x), *key;
    if (!d || i >= rt_len(d))
        return false;
    rt_dict_entry(d, i, &key, value);
    *name = rt_str_value(key);
    return true;
}

static struct rt_object *instance_copy(struct runtime *rt, struct rt_object *x)
{
    struct rt_object *y = rt_instance(rt, x->type);
    if (!y)
        return NULL;
    if (x->type->dict_offset) {
        const char *name;
        struct rt_object *v;
        for (size_t i = 0; dict_attr(x, i, &name, &v); i++)
            rt_setattr(rt, y, name, v);
        return y;
    }
    size_t n;
    struct rt_object **slots = rt_instance_slots(x, &n);
    for (size_t i = 0; i < n; i++)
        if (slots[i])
            rt_setattr(rt, y, x->type->attr_names[i], slots[i]);
    return y;
}

typedef struct rt_object *copy_fn(struct runtime *rt, struct rt_object *x);

/* copy.py's _copy_dispatch (and, for instances, what __reduce_ex__ gives); a kind without a
 * copier is returned as it is (_copy_immutable). */
static copy_fn *const copy_dispatch[RT_KIND_COUNT] = {
    [RT_KIND_LIST] = list_copy,
    [RT_KIND_DICT] = rt_dict_copy,
    [RT_KIND_SET] = rt_set_copy,
    [RT_KIND_INSTANCE] = instance_copy,
};

struct rt_object *rt_copy(struct runtime *rt, struct rt_object *x)
{
    if (copy_dispatch[x->type->kind])
        return copy_dispatch[x->type->kind](rt, x);
    rt_incref(rt, x, EV_REF_RETURN, NULL);
    return x;
}

/* ---- deepcopy ------------------------------------------------------------------------------ */

struct memo {
    const struct rt_object **keys;
    struct rt_object **values; /* borrowed: each copy is held by the copy of its container */
    size_t n, cap;
};

static struct rt_object *memo_get(const struct memo *m, const struct rt_object *x)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = (size_t)(rt_addr(x) >> 4) & mask; m->keys[i]; i = (i + 1) & mask)
        if (m->keys[i] == x)
            return m->values[i];
    return NULL;
}

static int memo_put(struct memo *m, const struct rt_object *x, struct rt_object *y)
{
    if ((m->n + 1) * 2 > m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 64;
        struct memo bigger = {calloc(cap, sizeof *m->keys), calloc(cap, sizeof *m->values), 0,
                              cap};
        if (!bigger.keys || !bigger.values) {
            free(bigger.keys);
            free(bigger.values);
            return RT_ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->keys[i])
                memo_put(&bigger, m->keys[i], m->values[i]);
        free(m->keys);
        free(m->values);
        *m = bigger;
    }
    size_t mask = m->cap - 1;
    size_t i = (size_t)(rt_addr(x) >> 4) & mask;
    while (m->keys[i])
        i = (i + 1) & mask;
    m->keys[i] = x;
    m->values[i] = y;
    m->n++;
    return 0;
}

static struct rt_object *deepcopy(struct runtime *rt, struct rt_object *x, struct memo *m);

/* A new, still empty copy y of x entered in the memo before anything inside x is copied, so
 * that a reference back to x finds it; NULL (y let go) when y or the memo could not be had. */
static struct rt_object *memo_enter(struct runtime *rt, struct memo *m, struct rt_object *x, struct rt_object *y)
{
    if (y && memo_put(m, x, y) == 0)
        return y;
    rt_xdecref(rt, y, EV_REF_TEMP, NULL);
    return NULL;
}

/* A copy that could not be finished is let go. */
static struct rt_object *copy_failed(struct runtime *rt, struct rt_object *y)
{
    rt_decref(rt, y, EV_REF_TEMP, NULL);
    return NULL;
}

static struct rt_object *deepcopy_list(struct runtime *rt, struct rt_object *x, struct memo *m)
{
    struct rt_object *y = memo_enter(rt, m, x, rt_list(rt, 0, NULL));
    for (size_t i = 0; y && i < rt_len(x); i++) {
        struct rt_object *c = deepcopy(rt, rt_item(x, i), m);
        if (!c)
            return copy_failed(rt, y);
        rt_list_append(rt, y, c);
        rt_decref(rt, c, EV_REF_TEMP, NULL);
    }
    return y;
}

static struct rt_object *deepcopy_tuple(struct runtime *rt, struct rt_object *x, struct memo *m)
{
    size_t n = rt_len(x);
    struct rt_object **items = malloc(n * sizeof *items);
    if (!items)
        return NULL;
    bool same = true;
    for (size_t i = 0; i < n; i++) {
        items[i] = deepcopy(rt, rt_item(x, i), m);
        if (!items[i]) {
            while (i-- > 0)
                rt_decref(rt, items[i], EV_REF_TEMP, NULL);
            free(items);
            return NULL;
        }
        same = same && items[i] == rt_item(x, i);
    }
    /* a recursive tuple was copied while its items were */
    struct rt_object *y = memo_get(m, x);
    if (y)
        rt_incref(rt, y, EV_REF_RETURN, NULL);
    else if (same) {
        rt_incref(rt, x, EV_REF_RETURN, NULL);
        y = x;
    } else {
        y = rt_tuple(rt, n, items);
        if (y)
            memo_put(m, x, y);
    }
    for (size_t i = 0; i < n; i++)
        rt_decref(rt, items[i], EV_REF_TEMP, NULL);
    free(items);
    return y;
}

static struct rt_object *deepcopy_dict(struct runtime *rt, struct rt_object *x, struct memo *m)
{
    struct rt_object *y = memo_enter(rt, m, x, rt_dict(rt));
    for (size_t i = 0; y && i < rt_len(x); i++) {
        struct rt_object *k, *v;
        rt_dict_entry(x, i, &k, &v);
        struct rt_object *ck = deepcopy(rt, k, m);
        struct rt_object *cv = ck ? deepcopy(rt, v, m) : NULL;
        if (cv)
            rt_dict_set(rt, y, ck, cv);
        rt_xdecref(rt, ck, EV_REF_TEMP, NULL);
        rt_xdecref(rt, cv, EV_REF_TEMP, NULL);
        if (!cv)
            return copy_failed(rt, y);
    }
    return y;
}

static struct rt_object *deepcopy_instance(struct runtime *rt, struct rt_object *x, struct memo *m)
{
    struct rt_object *y = memo_enter(rt, m, x, rt_instance(rt, x->type));
    if (!y)
        return NULL;
    if (x->type->dict_offset) {
        const char *name;
        struct rt_object *v;
        for (size_t i = 0; dict_attr(x, i, &name, &v); i++) {
            struct rt_object *c = deepcopy(rt, v, m);
            if (!c)
                return copy_failed(rt, y);
            rt_setattr(rt, y, name, c);
            rt_decref(rt, c, EV_REF_TEMP, NULL);
        }
        return y;
    }
    size_t n;
    struct rt_object **slots = rt_instance_slots(x, &n);
    for (size_t i = 0; i < n; i++) {
        if (!slots[i])
            continue;
        struct rt_object *c = deepcopy(rt, slots[i], m);
        if (!c)
            return copy_failed(rt, y);
        rt_setattr(rt, y, x->type->attr_names[i], c);
        rt_decref(rt, c, EV_REF_TEMP, NULL);
        slots = rt_instance_slots(x, &n);
    }
    return y;
}

typedef struct rt_object *deepcopy_fn(struct runtime *rt, struct rt_object *x, struct memo *m);

/* copy.py's _deepcopy_dispatch (and, for instances, _reconstruct); a kind without an entry is
 * returned as it is (_deepcopy_atomic). */
static deepcopy_fn *const deepcopy_dispatch[RT_KIND_COUNT] = {
    [RT_KIND_TUPLE] = deepcopy_tuple,
    [RT_KIND_LIST] = deepcopy_list,
    [RT_KIND_DICT] = deepcopy_dict,
    [RT_KIND_INSTANCE] = deepcopy_instance,
};

static struct rt_object *deepcopy(struct runtime *rt, struct rt_object *x, struct memo *m)
{
    struct rt_object *y = memo_get(m, x);
    if (!y && !deepcopy_dispatch[x->type->kind])
        y = x;
    if (y) {
        rt_incref(rt, y, EV_REF_RETURN, NULL);
        return y;
    }
    return deepcopy_dispatch[x->type->kind](rt, x, m);
}

struct rt_object *rt_deepcopy(struct runtime *rt, struct rt_object *x)
{
    struct memo m = {0};
    struct rt_object *y = deepcopy(rt, x, &m);
    free(m.keys);
    free(m.values);
    return y;
}
