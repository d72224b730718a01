/*
 * runtime_set.c - set and frozenset, as CPython builds them (Objects/setobject.c).
 *
 * A set is a 200-byte PySetObject (216 with its GC head) holding a table of {key, hash} slots:
 * its own 8 inline slots (smalltable) until it grows, then a separate array of 16 bytes a slot.
 * After each new key the set checks its fill (slots ever used): in 3.x when fill * 5 >= mask * 3
 * (mask = slots - 1), in 2.7 when fill * 3 >= slots * 2, the table is rebuilt with the smallest
 * power of two above used * 4 (used * 2 past 50000) slots.  So set() is 216 bytes, 5 keys
 * make a table of 32 slots (728), 19 keys one of 128.  sys.getsizeof counts the separate array.
 *
 * Sets are tracked from birth.  There is no removal: a table never holds deleted slots, so
 * fill and used are equal.  Hashes are the runtime's (rt_hash), slots differ from CPython's.
 */
#include "runtime_private.h"

#include <assert.h>
#include <string.h>

static struct rt_set *as_set(const struct rt_object *o)
{
    assert(o->type->kind == RT_KIND_SET);
    return (struct rt_set *)(uintptr_t)o;
}

static void table_event(struct runtime *rt, const struct rt_set *s)
{
    bool inline_table = s->table == s->smalltable;
    RT_EMIT(rt, OBJ_STORAGE, obj_storage, .obj = rt_addr(s), .addr = inline_table ? 0 : rt_addr(s->table),
            .size = inline_table ? 0 : ((uint64_t)s->mask + 1) * sizeof(struct rt_set_entry));
}

static struct rt_object *set_new(struct runtime *rt, struct rt_type *t)
{
    rt_type_use(rt, t);
    size_t size = rt->layout.gc_head + rt->layout.set_basic;
    struct rt_set *s = rt_gc_alloc(rt, t, size, rt->layout.gc_head);
    if (!s)
        return NULL;
    memset((char *)s + sizeof s->ob, 0, sizeof *s - sizeof s->ob);
    s->mask = RT_SET_MINSIZE - 1;
    s->table = s->smalltable;
    s->hash = -1;
    rt_object_init(rt, &s->ob, t, size, 0);
    gc_track(rt, &s->ob);
    return &s->ob;
}

/* The slot of key in the table: its own, or the empty one where it goes (linear probing). */
static struct rt_set_entry *set_slot(struct rt_set_entry *table, intptr_t mask, const struct rt_object *key,
                                     intptr_t hash)
{
    for (size_t i = (size_t)hash & (size_t)mask;; i = (i + 1) & (size_t)mask) {
        struct rt_set_entry *e = &table[i];
        if (!e->key || (e->hash == hash && rt_eq(e->key, key)))
            return e;
    }
}

/* set_table_resize: the smallest power of two above minused, the keys moved over. */
/* The table as it is before it is rebuilt: the inline slots copied aside (they are about to be
 * reused), or the allocated table; its size in *oldsize. */
static struct rt_set_entry *table_aside(struct rt_set *s, struct rt_set_entry copy[RT_SET_MINSIZE], size_t *oldsize)
{
    *oldsize = (size_t)s->mask + 1;
    if (s->table != s->smalltable)
        return s->table;
    memcpy(copy, s->smalltable, RT_SET_MINSIZE * sizeof *copy);
    return copy;
}

static int set_resize(struct runtime *rt, struct rt_set *s, intptr_t minused)
{
    size_t newsize = RT_SET_MINSIZE;
    while (newsize <= (size_t)minused)
        newsize <<= 1;
    struct rt_set_entry small_copy[RT_SET_MINSIZE];
    size_t oldsize;
    struct rt_set_entry *old = table_aside(s, small_copy, &oldsize);
    struct rt_set_entry *table;
    if (newsize == RT_SET_MINSIZE) {
        table = s->smalltable;
    } else {
        table = heap_malloc(rt->heap, newsize * sizeof *table);
        if (!table)
            return RT_ENOMEM;
    }
    memset(table, 0, newsize * sizeof *table);
    for (size_t i = 0; i < oldsize; i++)
        if (old[i].key)
            *set_slot(table, (intptr_t)newsize - 1, old[i].key, old[i].hash) = old[i];
    s->table = table;
    s->mask = (intptr_t)newsize - 1;
    s->fill = s->used;
    if (old != small_copy)
        heap_free(rt->heap, old);
    table_event(rt, s);
    return 0;
}

/* set_add_entry: takes a reference to key when it is new. */
static int set_insert(struct runtime *rt, struct rt_set *s, struct rt_object *key)
{
    intptr_t hash = rt_hash(key);
    if (hash == -1)
        return RT_ETYPE;
    struct rt_set_entry *e = set_slot(s->table, s->mask, key, hash);
    if (e->key)
        return 0;
    rt_incref(rt, key, EV_REF_CONTAINER, &s->ob);
    e->key = key;
    e->hash = hash;
    s->fill++;
    s->used++;
    if (!gc_obj_is_tracked(&s->ob))
        gc_track(rt, &s->ob);
    bool full = rt->layout.set_growth == RT_SET_GROWTH_27 ? s->fill * 3 >= (s->mask + 1) * 2
                                                          : s->fill * 5 >= s->mask * 3;
    if (!full)
        return 0;
    return set_resize(rt, s, s->used > 50000 ? s->used * 2 : s->used * 4);
}

struct rt_object *rt_set(struct runtime *rt)
{
    return set_new(rt, &rt->t_set);
}

struct rt_object *rt_frozenset(struct runtime *rt, size_t n, struct rt_object *const items[])
{
    struct rt_object *o = set_new(rt, &rt->t_frozenset);
    if (!o)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (set_insert(rt, as_set(o), items[i]) < 0) {
            rt_decref(rt, o, EV_REF_TEMP, NULL);
            return NULL;
        }
    }
    return o;
}

int rt_set_add(struct runtime *rt, struct rt_object *set, struct rt_object *key)
{
    if (set->type != &rt->t_set)
        return RT_ETYPE;
    return set_insert(rt, as_set(set), key);
}

bool rt_set_contains(const struct rt_object *set, const struct rt_object *key)
{
    struct rt_set *s = as_set(set);
    intptr_t hash = rt_hash(key);
    return hash != -1 && set_slot(s->table, s->mask, key, hash)->key != NULL;
}

struct rt_object *rt_set_item(const struct rt_object *set, size_t i)
{
    const struct rt_set *s = as_set(set);
    for (intptr_t j = 0; j <= s->mask; j++)
        if (s->table[j].key && i-- == 0)
            return s->table[j].key;
    return NULL;
}

size_t rt_set_sizeof(const struct rt_set *s)
{
    const struct rt_layout *l = s->ob.type->layout;
    size_t size = l->gc_head + l->set_basic;
    if (s->table != s->smalltable)
        size += ((size_t)s->mask + 1) * sizeof(struct rt_set_entry);
    return size;
}

void rt_set_traverse(struct rt_set *s, rt_visit_fn visit, void *arg)
{
    for (intptr_t i = 0; i <= s->mask; i++)
        if (s->table[i].key)
            visit(s->table[i].key, arg);
}

/* set_clear_internal: the table emptied (back to the inline slots), then its keys let go. */
void rt_set_clear_items(struct runtime *rt, struct rt_set *s)
{
    struct rt_set_entry small_copy[RT_SET_MINSIZE];
    size_t oldsize;
    struct rt_set_entry *old = table_aside(s, small_copy, &oldsize);
    memset(s->smalltable, 0, sizeof s->smalltable);
    s->table = s->smalltable;
    s->mask = RT_SET_MINSIZE - 1;
    s->fill = s->used = 0;
    if (old != small_copy)
        table_event(rt, s);
    enum ev_ref_reason why = rt->gc.collecting ? EV_REF_GC : EV_REF_DEALLOC;
    for (size_t i = 0; i < oldsize; i++)
        rt_xdecref(rt, old[i].key, why, &s->ob);
    if (old != small_copy)
        heap_free(rt->heap, old);
}

void rt_set_dealloc_items(struct runtime *rt, struct rt_set *s)
{
    rt_set_clear_items(rt, s);
}

/* set.copy() / copy.copy: a new set of the same keys (a frozenset is its own copy). */
struct rt_object *rt_set_copy(struct runtime *rt, struct rt_object *set)
{
    const struct rt_set *src = as_set(set);
    if (set->type == &rt->t_frozenset) {
        rt_incref(rt, set, EV_REF_RETURN, NULL);
        return set;
    }
    struct rt_object *o = rt_set(rt);
    if (!o)
        return NULL;
    for (intptr_t i = 0; i <= src->mask; i++) {
        if (src->table[i].key && set_insert(rt, as_set(o), src->table[i].key) < 0) {
            rt_decref(rt, o, EV_REF_TEMP, NULL);
            return NULL;
        }
    }
    return o;
}
