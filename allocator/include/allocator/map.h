/*
 * map.h - a hash map from nonzero 64-bit keys to 64-bit values, the one container below every
 * component: the allocator keeps its raw blocks in one (address -> size), the model keeps most of
 * what it folds in them.  tracer/ and ui/ may include it beside the value headers; its code is
 * map.c, a library of its own (meson's map_dep) that needs libc alone.
 *
 * Open addressing with linear probing and backward-shift deletion (no tombstones), kept at most
 * half full, so that a lookup is one or two cache lines.  Key 0 marks an empty entry: it is never
 * found, and putting it fails (addresses from events are checked, indices are stored + 1).  A
 * zeroed struct map is an empty one.
 */
#ifndef ALLOCATOR_MAP_H
#define ALLOCATOR_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct map_entry {
    uint64_t key; /* 0: empty */
    uint64_t val;
};
struct map {
    struct map_entry *t;
    uint32_t shift; /* 64 - log2(capacity) */
    size_t cap, n;
};
void map_init(struct map *mp);
void map_release(struct map *mp);
void map_clear(struct map *mp);
/* The entry of key, or NULL; the value slot of key, or NULL (both inline below: every event of
 * the fold looks up a few, every free of a raw block one). */
static inline struct map_entry *map_find(const struct map *mp, uint64_t key);
static inline uint64_t *map_get(const struct map *mp, uint64_t key);
/* Makes room for `extra` more entries, so that as many inserts cannot fail; false when out of
 * memory.  Inline below: map_grow(), its slow half, makes a table for mp->n + extra entries and
 * rehashes every entry into it. */
static inline bool map_reserve(struct map *mp, size_t extra);
bool map_grow(struct map *mp, size_t extra);
/* Inserts or overwrites; false when out of memory. */
bool map_put(struct map *mp, uint64_t key, uint64_t val);
bool map_del(struct map *mp, uint64_t key);
/* For a search followed by an insert, one probe: the entry of key (nonzero), or else the empty
 * entry where it goes, with room made for one more; NULL when out of memory.  The caller may
 * leave an empty entry empty, or set it with map_set_at() before the map changes otherwise. */
struct map_entry *map_slot_for(struct map *mp, uint64_t key);
/* Gives key the value val in e, the entry map_slot_for(mp, key) returned: key's, or the empty
 * one it fills. */
static inline void map_set_at(struct map *mp, struct map_entry *e, uint64_t key, uint64_t val)
{
    if (e->key == 0) {
        e->key = key;
        mp->n++;
    }
    e->val = val;
}
/* Removes the entry e (one of mp's, in use). */
void map_del_at(struct map *mp, struct map_entry *e);
/* Iteration: *cursor starts at 0; NULL at the end. */
const struct map_entry *map_next(const struct map *mp, size_t *cursor);
/* The keys in ascending order, in a malloc'd array of mp->n (at least one) entries; NULL when
 * out of memory. */
uint64_t *map_sorted_keys(const struct map *mp);

/* Fibonacci hashing: the slot is the top bits of the key times 2^64 / phi, which spreads
 * consecutive keys (indices + 1, arena slots) and keys whose low bits are zero (aligned addresses)
 * alike.  A key's high bits reach only the product's highest bits, so the shift folds them down
 * first. */
static inline uint64_t map_hash(uint64_t key)
{
    key ^= key >> 29;
    return key * 0x9E3779B97F4A7C15ull;
}

/* The entry key's probe starts at. */
static inline struct map_entry *map_home(const struct map *mp, uint64_t key)
{
    return &mp->t[(size_t)(map_hash(key) >> mp->shift)];
}

static inline struct map_entry *map_find(const struct map *mp, uint64_t key)
{
    if (mp->n == 0 || key == 0)
        return NULL;
    struct map_entry *e = map_home(mp, key), *last = mp->t + mp->cap - 1;
    for (;; e = e == last ? mp->t : e + 1) {
        if (e->key == key)
            return e;
        if (e->key == 0)
            return NULL;
    }
}

static inline uint64_t *map_get(const struct map *mp, uint64_t key)
{
    struct map_entry *e = map_find(mp, key);
    return e ? &e->val : NULL;
}

static inline bool map_reserve(struct map *mp, size_t extra)
{
    return (mp->n + extra) * 2 <= mp->cap || map_grow(mp, extra);
}

#endif
