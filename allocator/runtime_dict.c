/*
 * runtime_dict.c - dict, as CPython 3.11 builds it (Objects/dictobject.c, combined tables), with
 * the sizes of the runtime's layout (runtime_layout.c).
 *
 * A dict is a 48-byte object (64 with its GC head) and a separate key table:
 *
 *     [ refcnt | log2 size | log2 index bytes | kind | version | usable | nentries ]  32 bytes
 *     [ indices: 2^log2 slots of 1, 2, 4 or 8 bytes; -1 empty, -2 deleted ]
 *     [ entries in insertion order: {key, value} (all keys str) or {hash, key, value} ]
 *
 * with usable = 2/3 of the slots.  `{}` shares a static empty table and allocates nothing;
 * the first insertion allocates a table of 8 slots (120 bytes with str keys, 160 otherwise);
 * a full table is replaced by one sized for used * 3 (GROWTH_RATE).  Tables of 8 slots with
 * str keys go to a free list of 80 when released, dict objects to their own free list of 80.
 *
 * Tracking is lazy (docs/cpython-memory.md 7.2): a new dict is untracked and becomes tracked when a
 * key or a value that may be tracked is inserted; full collections untrack dicts that hold none.
 *
 * Hashes are the runtime's own (an FNV hash for str), so slots differ from CPython's; sizes and
 * growth do not depend on them.
 *
 * Other versions.  3.6 to 3.10 have one kind of entry, {hash, key, value}, and a 40-byte header:
 * the table is the same but for 8 bytes more in the request, and the free list takes every
 * 8-slot table.  Their instance dicts share their class's keys (split tables): sys.getsizeof
 * counts the dict and its values array, 8 bytes for each of the 5 usable slots, until the dict
 * grows past them and becomes a combined one.  2.7's dict is 248 bytes (280 with its GC head)
 * with 8 slots inline and resizes to used * 4 when two thirds of its slots have been filled
 * (deleted ones count): the runtime follows that table's size beside its own (open_log2,
 * open_fill) and sys.getsizeof reports it, 24 bytes a slot beyond the inline ones.
 */
#include "runtime_private.h"

#include <assert.h>
#include <math.h>
#include <string.h>

#define DKIX_EMPTY (-1)
#define DKIX_DUMMY (-2)
#define LOG_MINSIZE 3
#define USABLE_FRACTION(n) (((n) << 1) / 3)

struct entry_general {
    intptr_t hash;
    struct rt_object *key;
    struct rt_object *value;
};
struct entry_unicode {
    struct rt_object *key;
    struct rt_object *value;
};

static size_t entry_size(const struct rt_dict_keys *k)
{
    return k->kind ? sizeof(struct entry_unicode) : sizeof(struct entry_general);
}

static char *entries(const struct rt_dict_keys *k)
{
    return (char *)(uintptr_t)k->indices + ((size_t)1 << k->log2_index_bytes);
}

static struct rt_object **entry_key(const struct rt_dict_keys *k, intptr_t i)
{
    char *e = entries(k) + (size_t)i * entry_size(k);
    return k->kind ? &((struct entry_unicode *)(void *)e)->key
                   : &((struct entry_general *)(void *)e)->key;
}

static struct rt_object **entry_value(const struct rt_dict_keys *k, intptr_t i)
{
    char *e = entries(k) + (size_t)i * entry_size(k);
    return k->kind ? &((struct entry_unicode *)(void *)e)->value
                   : &((struct entry_general *)(void *)e)->value;
}

static intptr_t entry_hash(const struct rt_dict_keys *k, intptr_t i)
{
    if (k->kind)
        return rt_hash(*entry_key(k, i));
    return ((struct entry_general *)(void *)(entries(k) + (size_t)i * entry_size(k)))->hash;
}

static intptr_t index_get(const struct rt_dict_keys *k, size_t i)
{
    switch (k->log2_index_bytes - k->log2_size) {
    case 0:
        return ((const int8_t *)(const void *)k->indices)[i];
    case 1:
        return ((const int16_t *)(const void *)k->indices)[i];
    case 2:
        return ((const int32_t *)(const void *)k->indices)[i];
    default:
        return ((const int64_t *)(const void *)k->indices)[i];
    }
}

static void index_set(struct rt_dict_keys *k, size_t i, intptr_t ix)
{
    switch (k->log2_index_bytes - k->log2_size) {
    case 0:
        ((int8_t *)(void *)k->indices)[i] = (int8_t)ix;
        break;
    case 1:
        ((int16_t *)(void *)k->indices)[i] = (int16_t)ix;
        break;
    case 2:
        ((int32_t *)(void *)k->indices)[i] = (int32_t)ix;
        break;
    default:
        ((int64_t *)(void *)k->indices)[i] = (int64_t)ix;
        break;
    }
}

size_t rt_dict_keys_bytes(const struct rt_dict_keys *k)
{
    return k->header + ((size_t)1 << k->log2_index_bytes) +
           entry_size(k) * USABLE_FRACTION((size_t)1 << k->log2_size);
}

size_t rt_dict_keys_size(const struct rt_object *d)
{
    assert(d->type->kind == RT_KIND_DICT);
    const struct rt_dict_keys *k = ((const struct rt_dict *)d)->keys;
    return k ? rt_dict_keys_bytes(k) : 0;
}

static void storage_event(struct runtime *rt, const struct rt_dict *d)
{
    RT_EMIT(rt, OBJ_STORAGE, obj_storage, .obj = rt_addr(d), .addr = rt_addr(d->keys),
            .size = d->keys ? rt_dict_keys_bytes(d->keys) : 0);
}

/* The size of a new table's header in the layout's version (the table itself is laid out with
 * the 32-byte header of struct rt_dict_keys). */
static uint8_t keys_header(const struct runtime *rt)
{
    return rt->layout.dict_keys_header > sizeof(struct rt_dict_keys) ? (uint8_t)rt->layout.dict_keys_header
                                                                     : (uint8_t)sizeof(struct rt_dict_keys);
}

static bool keys_freelisted(const struct runtime *rt, const struct rt_dict_keys *k)
{
    return k->log2_size == LOG_MINSIZE && (k->kind || rt->layout.dict_table == RT_DICT_COMPACT);
}

static struct rt_dict_keys *keys_new(struct runtime *rt, uint8_t log2_size, bool unicode)
{
    uint8_t log2_bytes;
    if (log2_size < 8)
        log2_bytes = log2_size;
    else if (log2_size < 16)
        log2_bytes = (uint8_t)(log2_size + 1);
    else if (log2_size >= 32)
        log2_bytes = (uint8_t)(log2_size + 3);
    else
        log2_bytes = (uint8_t)(log2_size + 2);
    size_t usable = USABLE_FRACTION((size_t)1 << log2_size);
    size_t esize = unicode ? sizeof(struct entry_unicode) : sizeof(struct entry_general);
    uint8_t header = keys_header(rt);
    bool pooled = log2_size == LOG_MINSIZE && (unicode || rt->layout.dict_table == RT_DICT_COMPACT);
    struct rt_dict_keys *k = pooled ? rt_freelist_pop(&rt->keys) : NULL;
    if (!k && !(k = heap_malloc(rt->heap, header + ((size_t)1 << log2_bytes) + esize * usable)))
        return NULL;
    k->refcnt = 1;
    k->log2_size = log2_size;
    k->log2_index_bytes = log2_bytes;
    k->kind = unicode ? 1 : 0;
    k->header = header;
    k->version = 0;
    k->usable = (intptr_t)usable;
    k->nentries = 0;
    memset(k->indices, 0xff, (size_t)1 << log2_bytes);
    memset(entries(k), 0, esize * usable);
    return k;
}

/* Frees a key table whose entries have been released or moved. */
static void keys_release_memory(struct runtime *rt, struct rt_dict_keys *k)
{
    if (!(keys_freelisted(rt, k) && rt_freelist_push(rt, &rt->keys, k)))
        heap_free(rt->heap, k);
}

/* free_keys_object: each entry's key then value, in order; then the memory. */
void rt_dict_keys_free(struct runtime *rt, struct rt_dict_keys *k, const struct rt_object *owner)
{
    enum ev_ref_reason why = rt->gc.collecting ? EV_REF_GC : EV_REF_DEALLOC;
    for (intptr_t i = 0; i < k->nentries; i++) {
        struct rt_object *key = *entry_key(k, i), *value = *entry_value(k, i);
        *entry_key(k, i) = NULL;
        *entry_value(k, i) = NULL;
        rt_xdecref(rt, key, why, owner);
        rt_xdecref(rt, value, why, owner);
    }
    keys_release_memory(rt, k);
}

/* ---- hashing and equality -------------------------------------------------------------------- */

#define HASH_MODULUS (((uint64_t)1 << 61) - 1)

int64_t rt_hash(const struct rt_object *o)
{
    switch (o->type->kind) {
    case RT_KIND_STR:
        return rt_str_hash((const struct rt_str *)o);
    case RT_KIND_SET: {
        if (strcmp(o->type->name, "frozenset") != 0)
            return -1;
        /* frozenset_hash: an order-free mix of the items' hashes */
        uint64_t h = 0;
        const struct rt_object *key;
        for (size_t i = 0; (key = rt_set_item(o, i)); i++) {
            uint64_t x = (uint64_t)rt_hash(key);
            h ^= ((x ^ 89869747ull) ^ (x << 16)) * 3644798167ull;
        }
        h = h * 69069u + 907133923u;
        return h == (uint64_t)-1 ? 590923713 : (int64_t)h;
    }
    case RT_KIND_INT: {
        int64_t v = rt_int_value(o);
        uint64_t m = (v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v) % HASH_MODULUS;
        int64_t h = v < 0 ? -(int64_t)m : (int64_t)m;
        return h == -1 ? -2 : h;
    }
    case RT_KIND_FLOAT: {
        double v = rt_float_value(o);
        if (v == floor(v) && fabs(v) < 9.2e18) {
            int64_t iv = (int64_t)v;
            uint64_t m = (iv < 0 ? (uint64_t)0 - (uint64_t)iv : (uint64_t)iv) % HASH_MODULUS;
            int64_t h = iv < 0 ? -(int64_t)m : (int64_t)m;
            return h == -1 ? -2 : h;
        }
        uint64_t bits;
        memcpy(&bits, &v, sizeof bits);
        return (int64_t)(bits >> 1);
    }
    case RT_KIND_TUPLE: {
        /* tuplehash of 3.11 (xxHash lanes) */
        const uint64_t p1 = 11400714785074694791ull, p2 = 14029467366897019727ull,
                       p5 = 2870177450012600261ull;
        uint64_t acc = p5;
        size_t n = rt_len(o);
        for (size_t i = 0; i < n; i++) {
            int64_t lane = rt_hash(rt_item(o, i));
            if (lane == -1)
                return -1;
            acc += (uint64_t)lane * p2;
            acc = (acc << 31) | (acc >> 33);
            acc *= p1;
        }
        acc += n ^ (p5 ^ 3527539ull);
        return acc == (uint64_t)-1 ? 1546275796 : (int64_t)acc;
    }
    case RT_KIND_NONE:
    case RT_KIND_FUNCTION:
    case RT_KIND_INSTANCE:
    case RT_KIND_WEAKREF:
    case RT_KIND_PROXY: {
        uint64_t y = rt_addr(o);
        y = (y >> 4) | (y << 60);
        int64_t h = (int64_t)y;
        return h == -1 ? -2 : h;
    }
    case RT_KIND_LIST:
    case RT_KIND_DICT:
        break;
    }
    return -1; /* unhashable */
}

static bool is_number(const struct rt_object *o)
{
    return o->type->kind == RT_KIND_INT || o->type->kind == RT_KIND_FLOAT;
}

bool rt_eq(const struct rt_object *a, const struct rt_object *b)
{
    if (a == b)
        return true;
    if (is_number(a) && is_number(b)) {
        if (a->type->kind == RT_KIND_INT && b->type->kind == RT_KIND_INT)
            return rt_int_value(a) == rt_int_value(b);
        double x = a->type->kind == RT_KIND_INT ? (double)rt_int_value(a) : rt_float_value(a);
        double y = b->type->kind == RT_KIND_INT ? (double)rt_int_value(b) : rt_float_value(b);
        return x == y;
    }
    if (a->type != b->type)
        return false;
    switch (a->type->kind) {
    case RT_KIND_STR:
        return strcmp(rt_str_value(a), rt_str_value(b)) == 0;
    case RT_KIND_TUPLE:
    case RT_KIND_LIST: {
        size_t n = rt_len(a);
        if (n != rt_len(b))
            return false;
        for (size_t i = 0; i < n; i++)
            if (!rt_eq(rt_item(a, i), rt_item(b, i)))
                return false;
        return true;
    }
    case RT_KIND_NONE:
    case RT_KIND_INT:
    case RT_KIND_FLOAT:
    case RT_KIND_DICT:
    case RT_KIND_SET:
    case RT_KIND_FUNCTION:
    case RT_KIND_WEAKREF:
    case RT_KIND_PROXY:
    case RT_KIND_INSTANCE:
        break;
    }
    return false;
}

/* ---- lookup and insertion -------------------------------------------------------------------- */

/* The entry index of key, or DKIX_EMPTY; *slot gets the index slot to use for an insertion. */
static intptr_t lookup(const struct rt_dict_keys *k, const struct rt_object *key, intptr_t hash,
                       size_t *slot)
{
    size_t mask = ((size_t)1 << k->log2_size) - 1;
    size_t perturb = (size_t)hash;
    size_t i = (size_t)hash & mask;
    bool have_free = false;
    for (;;) {
        intptr_t ix = index_get(k, i);
        if (ix == DKIX_EMPTY) {
            if (!have_free)
                *slot = i;
            return DKIX_EMPTY;
        }
        if (ix == DKIX_DUMMY) {
            if (!have_free) {
                *slot = i;
                have_free = true;
            }
        } else {
            struct rt_object *ek = *entry_key(k, ix);
            if (ek == key || (entry_hash(k, ix) == hash && rt_eq(ek, key))) {
                *slot = i;
                return ix;
            }
        }
        perturb >>= 5;
        i = (i * 5 + perturb + 1) & mask;
    }
}

/* The first empty index slot for hash (the table has no deleted slots after a resize). */
static size_t find_empty_slot(const struct rt_dict_keys *k, intptr_t hash)
{
    size_t mask = ((size_t)1 << k->log2_size) - 1;
    size_t perturb = (size_t)hash;
    size_t i = (size_t)hash & mask;
    while (index_get(k, i) >= 0) {
        perturb >>= 5;
        i = (i * 5 + perturb + 1) & mask;
    }
    return i;
}

static uint8_t log2_keysize(size_t minsize)
{
    minsize = (minsize | 8) - 1;
    uint8_t bits = 0;
    for (size_t m = minsize | 7; m; m >>= 1)
        bits++;
    return bits;
}

/* dictresize: a new table sized for used * 3; the entries move, the old table is freed. */
static int dict_resize(struct runtime *rt, struct rt_dict *d, bool unicode)
{
    struct rt_dict_keys *old = d->keys;
    uint8_t log2 = log2_keysize((size_t)d->used * 3);
    struct rt_dict_keys *k = keys_new(rt, log2, unicode);
    if (!k)
        return RT_ENOMEM;
    intptr_t n = 0;
    for (intptr_t i = 0; i < old->nentries; i++) {
        struct rt_object *value = *entry_value(old, i);
        if (!value)
            continue;
        struct rt_object *key = *entry_key(old, i);
        intptr_t hash = entry_hash(old, i);
        *entry_key(k, n) = key;
        *entry_value(k, n) = value;
        if (!unicode)
            ((struct entry_general *)(void *)(entries(k) + (size_t)n * entry_size(k)))->hash =
                hash;
        index_set(k, find_empty_slot(k, hash), n);
        n++;
    }
    k->usable -= n;
    k->nentries = n;
    d->keys = k;
    d->split = 0; /* a split table that grows becomes a combined one */
    storage_event(rt, d);
    keys_release_memory(rt, old);
    return 0;
}

/* 2.7's insertdict after a new key: fill two thirds of the slots and the table is rebuilt for
 * used * 4 (used * 2 past 50000), the smallest power of two above it. */
static void open_table_insert(struct rt_dict *d)
{
    d->open_fill++;
    if ((uint64_t)d->open_fill * 3 < ((uint64_t)2 << d->open_log2))
        return;
    uint64_t minused = (uint64_t)d->used * (d->used > 50000 ? 2 : 4);
    uint8_t log2 = LOG_MINSIZE;
    while (((uint64_t)1 << log2) <= minused)
        log2++;
    d->open_log2 = log2;
    d->open_fill = (uint32_t)d->used;
}

size_t rt_dict_sizeof(const struct rt_dict *d)
{
    const struct rt_layout *l = d->ob.type->layout;
    size_t size = l->gc_head + l->dict_basic;
    if (l->dict_table == RT_DICT_OPEN)
        return size + (d->open_log2 > LOG_MINSIZE ? ((size_t)1 << d->open_log2) * sizeof(struct entry_general) : 0);
    if (d->split)
        return size + USABLE_FRACTION((size_t)1 << LOG_MINSIZE) * sizeof(struct rt_object *);
    return size + (d->keys ? rt_dict_keys_bytes(d->keys) : 0);
}

static bool is_exact_str(const struct rt_object *o)
{
    return o->type->kind == RT_KIND_STR;
}

/* insertdict: takes the references to key and value that the caller already counted. */
int rt_dict_insert(struct runtime *rt, struct rt_dict *d, struct rt_object *key,
                   struct rt_object *value)
{
    intptr_t hash = rt_hash(key);
    if (hash == -1)
        return RT_ETYPE;
    if (!d->keys) {
        struct rt_dict_keys *k =
            keys_new(rt, LOG_MINSIZE, rt->layout.dict_table == RT_DICT_COMPACT_UNICODE && is_exact_str(key));
        if (!k)
            return RT_ENOMEM;
        d->keys = k;
        storage_event(rt, d);
    } else if (d->keys->kind && !is_exact_str(key)) {
        int err = dict_resize(rt, d, false);
        if (err < 0)
            return err;
    }
    size_t slot = 0;
    intptr_t ix = lookup(d->keys, key, hash, &slot);
    if (ix >= 0) {
        struct rt_object **vp = entry_value(d->keys, ix);
        struct rt_object *old = *vp;
        *vp = value;
        rt_decref(rt, key, EV_REF_CONTAINER, &d->ob); /* the table keeps its key */
        rt_decref(rt, old, EV_REF_CONTAINER, &d->ob);
        return 0;
    }
    if (d->keys->usable <= 0) {
        int err = dict_resize(rt, d, d->keys->kind != 0);
        if (err < 0)
            return err;
        lookup(d->keys, key, hash, &slot);
    }
    struct rt_dict_keys *k = d->keys;
    intptr_t n = k->nentries;
    *entry_key(k, n) = key;
    *entry_value(k, n) = value;
    if (!k->kind)
        ((struct entry_general *)(void *)(entries(k) + (size_t)n * entry_size(k)))->hash = hash;
    index_set(k, slot, n);
    k->usable--;
    k->nentries++;
    d->used++;
    d->version = ++rt->dict_version;
    if (rt->layout.dict_table == RT_DICT_OPEN)
        open_table_insert(d);
    /* MAINTAIN_TRACKING */
    if (!gc_obj_is_tracked(&d->ob) && (gc_may_be_tracked(key) || gc_may_be_tracked(value)))
        gc_track(rt, &d->ob);
    return 0;
}

/* ---- the public dict functions --------------------------------------------------------------- */

struct rt_object *rt_dict(struct runtime *rt)
{
    unsigned flags = 0;
    size_t size = rt->layout.gc_head + rt->layout.dict_basic;
    struct rt_dict *d = rt_gc_take(rt, &rt->dicts, RT_FL_DICT, &rt->t_dict, size, &flags);
    if (!d)
        return NULL;
    d->used = 0;
    d->version = ++rt->dict_version;
    d->keys = NULL;
    d->open_fill = 0;
    d->open_log2 = LOG_MINSIZE;
    d->split = 0;
    d->pad = 0;
    rt_object_init(rt, &d->ob, &rt->t_dict, size, flags);
    return &d->ob; /* created untracked: tracking is lazy */
}

struct rt_object *rt_dict_new_split(struct runtime *rt)
{
    struct rt_object *o = rt_dict(rt);
    if (o)
        ((struct rt_dict *)o)->split = 1;
    return o;
}

struct rt_object *rt_dict_get_str(const struct rt_object *dict, const char *name)
{
    const struct rt_dict *d = (const struct rt_dict *)dict;
    if (!d->keys)
        return NULL;
    for (intptr_t e = 0; e < d->keys->nentries; e++) {
        struct rt_object *key = *entry_key(d->keys, e), *value = *entry_value(d->keys, e);
        if (value && key->type->kind == RT_KIND_STR && strcmp(rt_str_value(key), name) == 0)
            return value;
    }
    return NULL;
}

int rt_dict_set(struct runtime *rt, struct rt_object *dict, struct rt_object *key,
                struct rt_object *value)
{
    assert(dict->type->kind == RT_KIND_DICT);
    if (rt_hash(key) == -1)
        return RT_ETYPE;
    rt_incref(rt, key, EV_REF_CONTAINER, dict);
    rt_incref(rt, value, EV_REF_CONTAINER, dict);
    int err = rt_dict_insert(rt, (struct rt_dict *)dict, key, value);
    if (err < 0) {
        rt_decref(rt, value, EV_REF_CONTAINER, dict);
        rt_decref(rt, key, EV_REF_CONTAINER, dict);
    }
    return err;
}

struct rt_object *rt_dict_get(struct runtime *rt, const struct rt_object *dict,
                              const struct rt_object *key)
{
    (void)rt;
    assert(dict->type->kind == RT_KIND_DICT);
    const struct rt_dict *d = (const struct rt_dict *)dict;
    intptr_t hash = rt_hash(key);
    if (!d->keys || hash == -1)
        return NULL;
    size_t slot;
    intptr_t ix = lookup(d->keys, key, hash, &slot);
    return ix >= 0 ? *entry_value(d->keys, ix) : NULL;
}

int rt_dict_del(struct runtime *rt, struct rt_object *dict, const struct rt_object *key)
{
    assert(dict->type->kind == RT_KIND_DICT);
    struct rt_dict *d = (struct rt_dict *)dict;
    intptr_t hash = rt_hash(key);
    if (!d->keys || hash == -1)
        return RT_EINVAL;
    size_t slot;
    intptr_t ix = lookup(d->keys, key, hash, &slot);
    if (ix < 0)
        return RT_EINVAL;
    index_set(d->keys, slot, DKIX_DUMMY);
    struct rt_object *old_key = *entry_key(d->keys, ix), *old_value = *entry_value(d->keys, ix);
    *entry_key(d->keys, ix) = NULL;
    *entry_value(d->keys, ix) = NULL;
    d->used--;
    d->version = ++rt->dict_version;
    rt_decref(rt, old_key, EV_REF_CONTAINER, dict);
    rt_decref(rt, old_value, EV_REF_CONTAINER, dict);
    return 0;
}

void rt_dict_entry(const struct rt_object *dict, size_t i, struct rt_object **key,
                   struct rt_object **value)
{
    const struct rt_dict *d = (const struct rt_dict *)dict;
    *key = *value = NULL;
    if (!d->keys)
        return;
    for (intptr_t e = 0; e < d->keys->nentries; e++) {
        if (!*entry_value(d->keys, e))
            continue;
        if (i-- == 0) {
            *key = *entry_key(d->keys, e);
            *value = *entry_value(d->keys, e);
            return;
        }
    }
}

void rt_dict_traverse(struct rt_dict *d, rt_visit_fn visit, void *arg)
{
    struct rt_dict_keys *k = d->keys;
    if (!k)
        return;
    for (intptr_t i = 0; i < k->nentries; i++) {
        struct rt_object *value = *entry_value(k, i);
        if (!value)
            continue;
        visit(value, arg);
        if (!k->kind)
            visit(*entry_key(k, i), arg);
    }
}

/* dict_dealloc's part: the table's references and memory. */
void rt_dict_dealloc_items(struct runtime *rt, struct rt_dict *d)
{
    struct rt_dict_keys *k = d->keys;
    if (!k)
        return;
    d->keys = NULL;
    d->used = 0;
    RT_EMIT(rt, OBJ_STORAGE, obj_storage, .obj = rt_addr(d), .addr = 0, .size = 0);
    rt_dict_keys_free(rt, k, &d->ob);
}

/* PyDict_Clear (the dict's tp_clear) */
void rt_dict_clear_items(struct runtime *rt, struct rt_dict *d)
{
    rt_dict_dealloc_items(rt, d);
    d->open_fill = 0;
    d->open_log2 = LOG_MINSIZE;
    d->version = ++rt->dict_version;
}

/* _PyDict_MaybeUntrack's test: true when nothing in the dict may be tracked. */
bool rt_dict_may_untrack(const struct rt_dict *d)
{
    const struct rt_dict_keys *k = d->keys;
    if (!k)
        return true;
    for (intptr_t i = 0; i < k->nentries; i++) {
        struct rt_object *value = *entry_value(k, i);
        if (!value)
            continue;
        if (gc_may_be_tracked(value))
            return false;
        if (!k->kind && gc_may_be_tracked(*entry_key(k, i)))
            return false;
    }
    return true;
}

/* dict.copy() of a combined table: a new dict with a key table of the same size
 * (clone_combined_dict_keys), tracked when the original is. */
struct rt_object *rt_dict_copy(struct runtime *rt, struct rt_object *dict)
{
    assert(dict->type->kind == RT_KIND_DICT);
    struct rt_dict *src = (struct rt_dict *)dict;
    struct rt_object *copy = rt_dict(rt);
    if (!copy)
        return NULL;
    struct rt_dict *d = (struct rt_dict *)copy;
    if (!src->keys || src->used == 0)
        return copy;
    struct rt_dict_keys *k = keys_new(rt, src->keys->log2_size, src->keys->kind != 0);
    if (!k) {
        rt_decref(rt, copy, EV_REF_TEMP, NULL);
        return NULL;
    }
    d->keys = k;
    storage_event(rt, d);
    for (intptr_t i = 0; i < src->keys->nentries; i++) {
        struct rt_object *value = *entry_value(src->keys, i);
        if (!value)
            continue;
        struct rt_object *key = *entry_key(src->keys, i);
        intptr_t hash = entry_hash(src->keys, i);
        intptr_t n = k->nentries;
        rt_incref(rt, key, EV_REF_CONTAINER, copy);
        rt_incref(rt, value, EV_REF_CONTAINER, copy);
        *entry_key(k, n) = key;
        *entry_value(k, n) = value;
        if (!k->kind)
            ((struct entry_general *)(void *)(entries(k) + (size_t)n * entry_size(k)))->hash =
                hash;
        index_set(k, find_empty_slot(k, hash), n);
        k->usable--;
        k->nentries++;
        d->used++;
    }
    if (rt->layout.dict_table == RT_DICT_OPEN && (uint64_t)d->used * 3 >= (uint64_t)2 << LOG_MINSIZE) {
        /* 2.7's dict_merge into the empty copy: one resize for used * 2 */
        uint8_t log2 = LOG_MINSIZE;
        while (((uint64_t)1 << log2) <= (uint64_t)d->used * 2)
            log2++;
        d->open_log2 = log2;
    }
    d->open_fill = (uint32_t)d->used;
    if (gc_obj_is_tracked(dict))
        gc_track(rt, copy);
    return copy;
}
