/*
 * map.c - the hash map of map.h, from nonzero 64-bit keys to 64-bit values: its growth, inserts,
 * backward-shift deletion and iteration (lookups are inline in the header).
 *
 * The table's capacity is a power of two, at least 16 entries, and doubles so that it stays at
 * most half full; a growth rehashes every entry into a fresh table.  Deleting an entry moves the
 * later members of its probe run back into the hole, so a lookup stops at the first empty entry.
 */
#include <allocator/map.h>

#include <stdlib.h>
#include <string.h>

#define MAP_MIN_BITS 4

void map_init(struct map *mp)
{
    memset(mp, 0, sizeof *mp);
}

void map_release(struct map *mp)
{
    free(mp->t);
    map_init(mp);
}

void map_clear(struct map *mp)
{
    if (mp->t)
        memset(mp->t, 0, mp->cap * sizeof *mp->t);
    mp->n = 0;
}

static inline size_t map_slot(const struct map *mp, uint64_t key)
{
    return (size_t)(map_hash(key) >> mp->shift);
}

bool map_grow(struct map *mp, size_t extra)
{
    unsigned bits = MAP_MIN_BITS;
    while (((size_t)1 << bits) < (mp->n + extra) * 2)
        bits++;
    size_t cap = (size_t)1 << bits;
    struct map_entry *t = calloc(cap, sizeof *t);
    if (!t)
        return false;
    struct map old = *mp;
    mp->t = t;
    mp->cap = cap;
    mp->shift = 64 - bits;
    size_t mask = cap - 1;
    for (size_t j = 0; j < old.cap; j++) {
        if (old.t[j].key == 0)
            continue;
        size_t i = map_slot(mp, old.t[j].key);
        while (t[i].key)
            i = (i + 1) & mask;
        t[i] = old.t[j];
    }
    free(old.t);
    return true;
}

struct map_entry *map_slot_for(struct map *mp, uint64_t key)
{
    if (key == 0)
        return NULL; /* 0 marks an empty entry; callers check for it first */
    if (!map_reserve(mp, 1))
        return NULL;
    size_t mask = mp->cap - 1;
    size_t i = map_slot(mp, key);
    while (mp->t[i].key && mp->t[i].key != key)
        i = (i + 1) & mask;
    return &mp->t[i];
}

bool map_put(struct map *mp, uint64_t key, uint64_t val)
{
    struct map_entry *e = map_slot_for(mp, key);
    if (!e)
        return false;
    map_set_at(mp, e, key, val);
    return true;
}

bool map_del(struct map *mp, uint64_t key)
{
    struct map_entry *e = map_find(mp, key);
    if (!e)
        return false;
    map_del_at(mp, e);
    return true;
}

void map_del_at(struct map *mp, struct map_entry *e)
{
    size_t mask = mp->cap - 1;
    size_t i = (size_t)(e - mp->t);
    /* Backward shift: move later members of the probe run into the hole when their home
     * slot does not lie (cyclically) between the hole and their position. */
    size_t hole = i;
    for (size_t j = (i + 1) & mask; mp->t[j].key; j = (j + 1) & mask) {
        size_t home = map_slot(mp, mp->t[j].key);
        bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
        if (movable) {
            mp->t[hole] = mp->t[j];
            hole = j;
        }
    }
    mp->t[hole].key = 0;
    mp->t[hole].val = 0;
    mp->n--;
}

const struct map_entry *map_next(const struct map *mp, size_t *cursor)
{
    while (*cursor < mp->cap) {
        const struct map_entry *e = &mp->t[(*cursor)++];
        if (e->key)
            return e;
    }
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

uint64_t *map_sorted_keys(const struct map *mp)
{
    uint64_t *k = malloc((mp->n ? mp->n : 1) * sizeof *k);
    size_t i = 0, cur = 0;
    const struct map_entry *e;
    if (!k)
        return NULL;
    while ((e = map_next(mp, &cur)))
        k[i++] = e->key;
    qsort(k, i, sizeof *k, cmp_u64);
    return k;
}
