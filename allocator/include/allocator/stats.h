/*
 * stats.h - the figures of CPython's sys._debugmallocstats(), as plain values.
 *
 * Two producers fill a struct heap_stats: the allocator from its own structures
 * (heap_get_stats) and the model from the events it folded (tracer/).  One printer in tracer/
 * turns it into CPython's report, so that `record --stats` and `stats FILE` print the same
 * text for the same workload.  This header is, with event.h, part of the contract between
 * allocator/ and tracer/: values, and the two steps both producers take the same way, inline
 * (a report begun from the geometry; the bytes that follow from the classes' counts).
 */
#ifndef ALLOCATOR_STATS_H
#define ALLOCATOR_STATS_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#define HEAP_STATS_MAX_CLASSES 256 /* threshold / alignment never exceeds this */
#define HEAP_STATS_MAX_FREELISTS 32

struct heap_stats_class {
    uint32_t size;   /* block size, bytes */
    uint64_t pools;  /* pools of this class that are used or full (empty ones are not counted) */
    uint64_t in_use; /* blocks allocated */
    uint64_t avail;  /* blocks free in those pools, virgin ones included */
};

/* One "N free PyXxxObjects * S bytes each" line (object runtime free lists). */
struct heap_stats_freelist {
    char label[40]; /* "PyDictObjects", "1-sized PyTupleObjects" */
    uint64_t count; /* objects on the free list */
    uint64_t each;  /* bytes each */
};

struct heap_stats {
    /* geometry */
    uint32_t alignment, threshold, pool_size, arena_size, pool_overhead;
    uint32_t nclasses;
    bool radix_tree; /* print the arena map section (CPython 3.10+ 64-bit).  CPython counts a
                      * mid node per distinct top index and a bot node per distinct (top, mid)
                      * index of every arena base and, for a base not aligned to arena_size,
                      * of base + arena_size, over arena_map_bits address bits (heap.h), and
                      * never frees them */

    struct heap_stats_class classes[HEAP_STATS_MAX_CLASSES];

    /* arenas */
    uint64_t arenas_allocated_total; /* every arena ever obtained */
    uint64_t arenas_highwater;       /* most arenas held at once */
    uint64_t arenas_current;         /* arenas held now */

    /* byte accounting: these six sum to arenas_current * arena_size */
    uint64_t bytes_allocated;    /* sum of in_use * size */
    uint64_t bytes_available;    /* sum of avail * size */
    uint64_t unused_pools;       /* empty and untouched pools, each pool_size bytes */
    uint64_t bytes_pool_headers; /* carved, non-empty pools * pool_overhead */
    uint64_t bytes_quantization; /* per non-empty pool: (pool_size - overhead) mod size */
    uint64_t bytes_alignment;    /* pool_size per arena whose base is not pool-aligned */

    /* arena map (radix tree) nodes, when radix_tree */
    uint64_t map_mid_nodes, map_bot_nodes;
    uint64_t map_root_bytes, map_mid_bytes, map_bot_bytes;

    /* the raw layer (not in CPython's report; shown by arenascope) */
    uint64_t raw_blocks, raw_bytes;

    /* object runtime free lists, when a runtime is attached */
    uint32_t nfreelists;
    struct heap_stats_freelist freelists[HEAP_STATS_MAX_FREELISTS];
};

/* The geometry of a heap whose report is begun; figures of its own vary by producer. */
struct heap_stats_geometry {
    uint32_t alignment, threshold, pool_size, arena_size, pool_overhead, nclasses;
    bool radix_tree;
};

/* Begins a report: the geometry, and nothing counted yet. */
static inline void heap_stats_begin(struct heap_stats *st, struct heap_stats_geometry g)
{
    memset(st, 0, sizeof *st);
    st->alignment = g.alignment;
    st->threshold = g.threshold;
    st->pool_size = g.pool_size;
    st->arena_size = g.arena_size;
    st->pool_overhead = g.pool_overhead;
    st->nclasses = g.nclasses;
    st->radix_tree = g.radix_tree;
}

/* Adds the bytes that follow from each class's size, pools, in_use and avail: allocated,
 * available, in the headers of those pools, and lost to quantization in them. */
static inline void heap_stats_count_classes(struct heap_stats *st)
{
    for (uint32_t i = 0; i < st->nclasses; i++) {
        const struct heap_stats_class *k = &st->classes[i];
        st->bytes_allocated += k->in_use * k->size;
        st->bytes_available += k->avail * k->size;
        st->bytes_pool_headers += k->pools * st->pool_overhead;
        st->bytes_quantization += k->pools * ((st->pool_size - st->pool_overhead) % k->size);
    }
}

#endif
