/*
 * map.c - the model's containers: a hash map from 64-bit keys to 64-bit values and a table of
 * interned strings (growable arrays are codec.h's).
 *
 * The map is open addressing with linear probing and backward-shift deletion (no tombstones),
 * kept at most half full, so that a lookup is one or two cache lines.  Key 0 marks an empty
 * entry: it is never found, and putting it fails (addresses from events are checked, indices are
 * stored + 1).
 */
#include "map.h"

#include <tracer/codec.h>

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

static bool map_grow(struct map *mp)
{
    unsigned bits = MAP_MIN_BITS;
    while (((size_t)1 << bits) < (mp->n + 1) * 2)
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
    if ((mp->n + 1) * 2 > mp->cap && !map_grow(mp))
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
    if (e->key == 0)
        map_fill(mp, e, key, val);
    else
        e->val = val;
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

/* ---- interned strings ------------------------------------------------------------------------ */

static uint64_t str_hash(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h | 1; /* never 0: 0 marks an empty map entry */
}

void strtab_init(struct strtab *st)
{
    memset(st, 0, sizeof *st);
    map_init(&st->index);
}

void strtab_release(struct strtab *st)
{
    free(st->bytes);
    free(st->spans);
    free(st->chain);
    map_release(&st->index);
    strtab_init(st);
}

void strtab_clear(struct strtab *st)
{
    st->nbytes = 0;
    st->n = 0;
    map_clear(&st->index);
}

const char *strtab_get(const struct strtab *st, uint32_t id, size_t *len)
{
    if (id >= st->n) {
        *len = 0;
        return "";
    }
    uint64_t span = st->spans[id];
    *len = (size_t)(span & STR_MAX_LEN);
    return st->bytes + (span >> 24);
}

uint32_t strtab_intern(struct strtab *st, const char *s, size_t len)
{
    if (len > STR_MAX_LEN)
        len = STR_MAX_LEN;
    uint64_t h = str_hash(s, len);
    uint64_t *head = map_get(&st->index, h);
    uint32_t first = head ? (uint32_t)*head : 0;
    for (uint32_t id = first; id; id = st->chain[id - 1]) {
        size_t l;
        const char *t = strtab_get(st, id - 1, &l);
        if (l == len && memcmp(t, s, len) == 0)
            return id - 1;
    }
    if (st->n >= STR_NONE - 1)
        return STR_NONE;
    if (!codec_array_reserve((void **)&st->spans, &st->spans_cap, st->n + 1,
                             sizeof *st->spans) ||
        !codec_array_reserve((void **)&st->chain, &st->chain_cap, st->n + 1,
                             sizeof *st->chain) ||
        !codec_array_reserve((void **)&st->bytes, &st->bytes_cap, st->nbytes + len + 1, 1))
        return STR_NONE;
    uint32_t id = (uint32_t)st->n;
    if (!map_put(&st->index, h, id + 1))
        return STR_NONE;
    if (len)
        memcpy(st->bytes + st->nbytes, s, len);
    st->bytes[st->nbytes + len] = '\0';
    st->spans[id] = (uint64_t)st->nbytes << 24 | len;
    st->chain[id] = first;
    st->nbytes += len + 1;
    st->n++;
    return id;
}

char *text_dup(const char *s, size_t len)
{
    char *t = malloc(len + 1);
    if (!t)
        return NULL;
    if (len)
        memcpy(t, s, len);
    t[len] = '\0';
    return t;
}
