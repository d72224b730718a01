/*
 * test_map.c - the hash map of allocator/map.h, in which the allocator keeps its raw table and the
 * model its tables: inserts, overwrites, lookups and backward-shift deletions against a plain
 * array, on the keys both give it (aligned addresses, small indices + 1), growth, reserving room,
 * the one-probe search and insert, iteration and sorted keys.
 */
#include "rng.h"

#include <allocator/map.h>

#include <criterion/criterion.h>

#include <stdlib.h>

enum { NKEYS = 5000 };

/* Every key and its value (0: absent), checked against the map both ways. */
static void check_same(const struct map *mp, const uint64_t *keys, const uint64_t *vals, size_t n)
{
    size_t live = 0;
    for (size_t i = 0; i < n; i++) {
        uint64_t *v = map_get(mp, keys[i]);
        if (vals[i]) {
            cr_assert(v && *v == vals[i], "key %#llx", (unsigned long long)keys[i]);
            live++;
        } else {
            cr_assert_null(v, "key %#llx was deleted", (unsigned long long)keys[i]);
        }
    }
    cr_assert_eq(mp->n, live);
    cr_assert(mp->n * 2 <= mp->cap, "at most half full");
    size_t cur = 0, seen = 0;
    for (const struct map_entry *e; (e = map_next(mp, &cur));)
        seen++;
    cr_assert_eq(seen, live);
}

static void churn(uint64_t (*key)(size_t i))
{
    static uint64_t keys[NKEYS], vals[NKEYS];
    struct map m;
    map_init(&m);
    struct rng r = {7};
    for (size_t i = 0; i < NKEYS; i++) {
        keys[i] = key(i);
        vals[i] = rng_next(&r) | 1;
        cr_assert(map_put(&m, keys[i], vals[i]));
    }
    check_same(&m, keys, vals, NKEYS);
    for (size_t i = 0; i < NKEYS; i += 5) {
        vals[i] = vals[i] + 2;
        cr_assert(map_put(&m, keys[i], vals[i]), "an overwrite");
    }
    check_same(&m, keys, vals, NKEYS);
    /* Delete in random order, now and then putting one back, so that runs are shifted many times. */
    for (size_t k = 0; k < 3 * NKEYS; k++) {
        size_t i = (size_t)rng_below(&r, NKEYS);
        if (vals[i]) {
            cr_assert(map_del(&m, keys[i]));
            vals[i] = 0;
        } else if (k % 3 == 0) {
            vals[i] = rng_next(&r) | 1;
            cr_assert(map_put(&m, keys[i], vals[i]));
        } else {
            cr_assert(!map_del(&m, keys[i]), "deleting an absent key");
        }
        if (k % 1000 == 0)
            check_same(&m, keys, vals, NKEYS);
    }
    check_same(&m, keys, vals, NKEYS);
    map_clear(&m);
    cr_assert(m.n == 0 && map_get(&m, keys[0]) == NULL);
    map_release(&m);
    cr_assert(m.t == NULL && m.cap == 0);
}

/* As the C library hands out blocks: 16-byte aligned, close together, now and then far apart. */
static uint64_t address_key(size_t i)
{
    return 0x7f3a12340000ull + (uint64_t)i * 48 + (i % 11 == 0 ? (uint64_t)i << 24 : 0);
}

/* As the model stores indices and slots: i + 1. */
static uint64_t index_key(size_t i)
{
    return (uint64_t)i + 1;
}

Test(map, addresses)
{
    churn(address_key);
}

Test(map, indices)
{
    churn(index_key);
}

Test(map, key_zero_is_never_stored)
{
    struct map m = {0};
    cr_assert(!map_put(&m, 0, 1));
    cr_assert_null(map_slot_for(&m, 0));
    cr_assert_null(map_find(&m, 0));
    cr_assert(map_put(&m, 5, 1));
    cr_assert_null(map_find(&m, 0), "0 marks an empty entry; it is never found");
    map_release(&m);
}

Test(map, reserve_then_inserts_do_not_move_the_table)
{
    struct map m;
    map_init(&m);
    cr_assert(map_reserve(&m, 100));
    cr_assert(m.cap >= 200);
    const struct map_entry *t = m.t;
    for (uint64_t k = 1; k <= 100; k++)
        cr_assert(map_put(&m, k * 4096, k));
    cr_assert(m.t == t && m.n == 100, "room for 100 was made at once");
    cr_assert(map_reserve(&m, 0) && m.t == t);
    map_release(&m);
}

Test(map, slot_for_then_set)
{
    struct map m;
    map_init(&m);
    struct map_entry *e = map_slot_for(&m, 42);
    cr_assert(e && e->key == 0, "an empty entry where 42 goes");
    map_set_at(&m, e, 42, 7);
    cr_assert(map_slot_for(&m, 42) == map_find(&m, 42), "the entry of a present key");
    cr_assert_eq(*map_get(&m, 42), 7);
    map_set_at(&m, map_slot_for(&m, 42), 42, 9);
    cr_assert(m.n == 1 && *map_get(&m, 42) == 9, "a present key's value is replaced, not added");
    e = map_slot_for(&m, 43);
    cr_assert(e && e->key == 0);
    cr_assert_eq(m.n, 1, "an empty entry may be left empty");
    map_del_at(&m, map_find(&m, 42));
    cr_assert(m.n == 0 && map_find(&m, 42) == NULL);
    map_release(&m);
}

Test(map, sorted_keys)
{
    struct map m;
    map_init(&m);
    uint64_t *none = map_sorted_keys(&m);
    cr_assert_not_null(none, "an empty map has an array too");
    free(none);
    struct rng r = {3};
    for (int i = 0; i < 300; i++)
        cr_assert(map_put(&m, rng_next(&r) | 1, (uint64_t)i));
    uint64_t *k = map_sorted_keys(&m);
    cr_assert_not_null(k);
    for (size_t i = 0; i < m.n; i++) {
        cr_assert_not_null(map_find(&m, k[i]));
        if (i)
            cr_assert(k[i - 1] < k[i]);
    }
    free(k);
    map_release(&m);
}
