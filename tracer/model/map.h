/*
 * map.h - the model's containers (tracer/model/ only): a hash map from nonzero 64-bit keys to
 * 64-bit values, and a table of interned strings.  Growable arrays are codec.h's.
 */
#ifndef TRACER_MODEL_MAP_H
#define TRACER_MODEL_MAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- a hash map from nonzero 64-bit keys to 64-bit values (linear probing) ------------------- */

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
 * the fold looks up a few). */
static inline struct map_entry *map_find(const struct map *mp, uint64_t key);
static inline uint64_t *map_get(const struct map *mp, uint64_t key);
/* Inserts or overwrites; false when out of memory. */
bool map_put(struct map *mp, uint64_t key, uint64_t val);
bool map_del(struct map *mp, uint64_t key);
/* For a search followed by an insert, one probe: the entry of key (nonzero), or else the empty
 * entry where it goes, with room made for one more; NULL when out of memory.  The caller may
 * leave an empty entry empty, or fill it with map_fill() before the map changes otherwise. */
struct map_entry *map_slot_for(struct map *mp, uint64_t key);
static inline void map_fill(struct map *mp, struct map_entry *e, uint64_t key, uint64_t val)
{
    e->key = key;
    e->val = val;
    mp->n++;
}
/* Removes the entry e (one of mp's, in use). */
void map_del_at(struct map *mp, struct map_entry *e);
/* Iteration: *cursor starts at 0; NULL at the end. */
const struct map_entry *map_next(const struct map *mp, size_t *cursor);
/* The keys in ascending order, in a malloc'd array of mp->n (at least one) entries; NULL when
 * out of memory. */
uint64_t *map_sorted_keys(const struct map *mp);

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

/* ---- interned strings ------------------------------------------------------------------------ */

struct strtab {
    char *bytes; /* every string back to back */
    size_t nbytes, bytes_cap;
    uint64_t *spans; /* per id: offset << 24 | length */
    size_t n, spans_cap;
    struct map index; /* hash of the text -> id + 1, with chains through `chain` */
    uint32_t *chain;  /* per id: next id with the same hash + 1, 0 at the end */
    size_t chain_cap;
};
#define STR_NONE UINT32_MAX
#define STR_MAX_LEN ((1u << 24) - 1)
void strtab_init(struct strtab *st);
void strtab_release(struct strtab *st);
void strtab_clear(struct strtab *st);
/* The id of the text (added when new); STR_NONE when out of memory. */
uint32_t strtab_intern(struct strtab *st, const char *s, size_t len);
const char *strtab_get(const struct strtab *st, uint32_t id, size_t *len);

/* A malloc'd copy of the len bytes at s, NUL-terminated; NULL when out of memory. */
char *text_dup(const char *s, size_t len);

#endif
