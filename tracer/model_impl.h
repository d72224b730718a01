/*
 * model_impl.h - the model's private structures, shared by tracer/model*.c only.
 *
 * The design is explained at the top of model.c.
 */
#ifndef TRACER_MODEL_IMPL_H
#define TRACER_MODEL_IMPL_H

#include <tracer/codec.h>
#include <tracer/model.h>

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NONE UINT32_MAX /* "no index" in 32-bit links */

/* ---- a hash map from nonzero 64-bit keys to 64-bit values (linear probing) ---------------- */

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
/* The value slot of key, or NULL. */
uint64_t *map_get(const struct map *mp, uint64_t key);
/* Inserts or overwrites; false when out of memory. */
bool map_put(struct map *mp, uint64_t key, uint64_t val);
bool map_del(struct map *mp, uint64_t key);
/* Iteration: *cursor starts at 0; NULL at the end. */
const struct map_entry *map_next(const struct map *mp, size_t *cursor);

static inline uint64_t map_hash(uint64_t key)
{
    key ^= key >> 29;
    return key * 0x9E3779B97F4A7C15ull;
}

/* ---- interned strings ---------------------------------------------------------------------- */

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

/* ---- the heap ------------------------------------------------------------------------------ */

/* A block word: what the model knows of one block of a pool. */
#define BLK_ALLOC 0x80000000u /* allocated; the low bits are the requested size */
#define BLK_STACK 0x40000000u /* allocated with a stack id (kept in model.block_stacks) */
#define BLK_OBJ 0x20000000u   /* a live object lives in the block */
#define BLK_REQ_MASK 0x1fffffffu
/* free: the low 31 bits are the next free block's index + 1, 0 at the end of the list.
 * virgin: 0, and the block lies at or above nextoffset. */

/*
 * One pool: one cache line, all a block event, a pool transition or a ring walk touches.  What
 * the fold need not keep is derived when asked: the pool's index (its place in its arena's
 * records), the length of its free list, its requested bytes (the block words hold them).
 */
struct mpool {
    _Alignas(64) uint64_t addr;
    uint32_t *blk;             /* block words (allocated when the pool is initialised) */
    struct mpool *next, *prev; /* ring (USED) or cache (EMPTY, next only) */
    uint64_t seq_changed;      /* the last event that changed it */
    uint32_t count;            /* blocks allocated */
    uint32_t freehead;         /* index of the free list's head + 1, 0 when empty */
    uint32_t nextoffset;
    uint32_t blk_cap;          /* words allocated in blk */
    uint32_t slot;             /* its arena */
    uint16_t szidx;            /* MODEL_NO_CLASS before the first pool_init */
    uint8_t state;             /* enum model_pool_state */
};
_Static_assert(sizeof(struct mpool) == 64, "a pool record is one cache line");
_Static_assert(MODEL_NO_CLASS <= UINT16_MAX, "no class fits a pool record");

/* An arena's pool records, zeroed, aligned as struct mpool wants (calloc only gives 16). */
static inline struct mpool *pools_new(size_t n)
{
    size_t bytes = (n ? n : 1) * sizeof(struct mpool);
    struct mpool *p = aligned_alloc(_Alignof(struct mpool), bytes);
    if (p)
        memset(p, 0, bytes);
    return p;
}

struct marena {
    bool live;
    uint64_t serial, base, first_pool;
    uint32_t npools, sliver, nfreepools, ncarved;
    uint32_t nused, nfull, nempty;
    int32_t usable_prev, usable_next; /* slots, -1 none */
    bool on_usable;
    uint32_t usable_pos;              /* position in usable_arenas, valid unless usable_dirty */
    struct mpool *cache;              /* empty pools, LIFO */
    struct mpool *pools;              /* npools records */
    uint64_t seq_new;
    uint64_t seq_changed; /* the last event that changed the arena itself (model_arena_changed) */
};

/* A size class: its geometry and its counts, in the one cache line a block event touches. */
struct mclass {
    _Alignas(64) uint64_t magic; /* ceil(2^40 / size): offset / size by a multiplication */
    uint32_t size, cap;          /* block size, blocks per pool */
    struct mpool *ring;          /* the front pool, NULL when the ring is empty */
    uint64_t in_use, requested;  /* blocks allocated and the bytes asked for them */
    uint64_t full, empty;        /* pools full, and empty pools that last held the class */
    uint32_t ring_len;
};
_Static_assert(sizeof(struct mclass) == 64, "a class record is one cache line");

struct mraw {
    uint64_t addr, size, seq;
    uint32_t why, stack;
    bool obj; /* a live object lives in it */
};

/* ---- objects --------------------------------------------------------------------------------- */

struct mobj {
    uint64_t addr, size, block, refcnt, seq_refcnt, seq_new;
    uint64_t storage, storage_size, weak_target;
    uint64_t in_total;          /* references counted by in-edges */
    int64_t gc_refs;
    uint32_t type, flags, stack, weakrefs;
    uint32_t gen_prev, gen_next; /* object indices in its generation's list */
    uint32_t out_head, in_head;  /* edge indices */
    uint32_t mark_idx;           /* index in model.marks, NONE */
    int8_t gen;                  /* -1 untracked */
    bool has_gc_refs;
    bool live;
    char *value;                 /* obj_value text (malloc'd), or NULL */
    uint32_t value_len;
};

struct medge {
    uint64_t owner, obj, count;
    uint32_t owner_idx;          /* object index of the owner */
    uint32_t obj_idx;
    uint32_t out_next, out_prev, in_next, in_prev;
    uint32_t hash_next; /* next edge with the same key in edge_index, NONE */
    bool live;
};

struct mtype {
    uint32_t id, name;
    uint64_t basicsize, itemsize, live;
    uint32_t flags;
};

struct mstack {
    uint32_t id, depth;
    uint64_t off; /* in stack_bytes */
    uint32_t len;
};

struct mgen {
    uint32_t head, tail; /* object indices, NONE when empty */
    uint64_t objects, count, threshold, collections;
};

struct mmark {
    uint64_t obj, via, seq;
    int32_t mark; /* -1: only gc_refs was set */
    bool freed;
};

struct mname {
    uint32_t name; /* string id */
    uint64_t obj;
};

struct mframe {
    uint64_t id;
    uint32_t function; /* string id */
    struct mname *names;
    size_t nnames, cap;
};

struct mprint {
    uint64_t seq;
    uint32_t stream;
    char *text;
    size_t len;
};

/* One line of the object free lists in the stats report. */
struct mfreelist {
    bool set;
    char label[40];
    uint64_t count, each;
};

/* What the next event must be (a transition the previous event made certain). */
struct mexpect {
    uint32_t kind; /* an event_kind, or EV_KIND_COUNT for none */
    uint64_t pool;
};

#define MODEL_POOL_CACHE 4096 /* entries; a power of two */
_Static_assert((MODEL_POOL_CACHE & (MODEL_POOL_CACHE - 1)) == 0, "a power of two");

struct model {
    /* what every block event reads or counts, in the first two cache lines */
    struct model_geometry geo;
    uint32_t pool_shift, arena_shift, align_shift;
    uint64_t pool_mask; /* pool_size - 1 */
    uint64_t pos;
    struct mexpect expect;
    uint64_t block_bytes, mallocs, frees; /* blocks and requested bytes: the classes' sums */
    bool stopped;

    int stop_err; /* the MODEL_E* it stopped with */
    uint64_t err_seq;
    char err[256];
    char profile[32];
    uint32_t map_bits; /* address bits of the radix tree, 0 without one */
    uint64_t gen_threshold0[MODEL_MAX_GENERATIONS];

    /* arenas */
    struct marena *arenas;
    uint32_t nslots;
    uint32_t narenas;
    int32_t usable_head, usable_tail;
    bool usable_dirty; /* the usable_pos fields need recounting (a query does it) */
    struct map arena_map; /* (address >> arena_shift) + 1 -> slot + 1 | (slot + 1) << 32 */
    uint64_t arenas_total, arenas_highwater, last_serial;
    bool any_serial;
    struct model_released released[MODEL_RELEASED_KEEP];
    size_t nreleased, released_head; /* ring: released_head is the most recent */
    struct map radix_mid, radix_bot; /* radix-tree nodes ever created (never freed) */

    struct mclass classes[HEAP_STATS_MAX_CLASSES];
    /* Pools recently found, by pool address: a direct-mapped cache in front of the arena map.
     * An empty entry points to pool_none, whose address no pool has, so that a lookup is one
     * comparison; an arena's entries are emptied when it goes away. */
    struct mpool *pool_cache[MODEL_POOL_CACHE];
    struct mpool pool_none; /* never written */

    struct map block_stacks; /* block address -> stack id, for blocks with BLK_STACK */
    struct map raw_index;    /* raw address -> index in raws */
    struct mraw *raws;
    size_t nraws, raws_cap;
    uint64_t raw_bytes;


    /* objects */
    struct map obj_index; /* address -> index in objs */
    struct mobj *objs;
    size_t nobjs_slots, objs_cap, nobjs;
    uint32_t obj_free_head; /* free object slots, linked through gen_next */
    struct map edge_index; /* edge_key(owner, obj) -> first edge index + 1, chained by hash_next */
    struct medge *edges;
    size_t nedge_slots, edges_cap, nedges;
    uint32_t edge_free_head;

    struct mtype *types;
    size_t ntypes, types_cap;
    struct map type_index; /* id -> index + 1 */

    struct mstack *stacks;
    size_t nstacks, stacks_cap;
    struct map stack_index; /* id -> index + 1 */
    char *stack_bytes;
    size_t nstack_bytes, stack_bytes_cap;

    struct strtab strs;

    struct mframe *frames;
    size_t nframes, frames_cap;

    /* the collector */
    bool gc_enabled, collecting, has_phase;
    uint32_t collecting_gen, gc_reason, phase;
    uint64_t phase_n, seq_start, seq_phase;
    uint64_t collections, collected_total, uncollectable_total;
    uint64_t garbage;         /* objects in gc.garbage */
    uint64_t garbage_list;    /* gc.garbage's address, once known */
    uint64_t garbage_pending; /* the object last put in gc.garbage, until its incref */
    struct mgen gens[MODEL_MAX_GENERATIONS];
    struct model_collection history[MODEL_HISTORY_KEEP];
    size_t nhistory, history_head;
    struct mmark *marks;
    size_t nmarks, marks_cap;

    /* the workload */
    bool has_step;
    uint64_t step_number, step_seq, nsteps;
    char *step_label;
    size_t step_label_len, step_label_cap;
    struct mprint prints[MODEL_PRINTS_KEEP];
    size_t nprints, prints_head;
    struct mfreelist freelists[HEAP_STATS_MAX_FREELISTS];
};

/* The ring of p's class: p becomes its front, or leaves it. */
static inline void model_ring_link_front(struct model *m, struct mpool *p)
{
    struct mclass *c = &m->classes[p->szidx];
    if (!c->ring) {
        p->next = p->prev = p;
    } else {
        p->next = c->ring;
        p->prev = c->ring->prev;
        p->prev->next = p;
        c->ring->prev = p;
    }
    c->ring = p;
    c->ring_len++;
}

static inline void model_ring_unlink(struct model *m, struct mpool *p)
{
    struct mclass *c = &m->classes[p->szidx];
    if (p->next == p) {
        c->ring = NULL;
    } else {
        p->prev->next = p->next;
        p->next->prev = p->prev;
        if (c->ring == p)
            c->ring = p->next;
    }
    p->next = p->prev = NULL;
    c->ring_len--;
}

/* ---- checkpoint spacing ------------------------------------------------------------------ */

/*
 * A seek folds at most one spacing of events after loading one checkpoint.  At the fold's speed
 * (tens of millions of events per second, decoding included) 2^18 events take a few
 * milliseconds, well under the 20 ms a seek may take.  A large state would make the checkpoints
 * outweigh the events, so the spacing grows with the state: a checkpoint costs at most
 * MODEL_CHECKPOINT_BYTES_PER_EVENT bytes per event it covers (a trace event takes 2 to 5).
 */
#define MODEL_CHECKPOINT_SPACING (1u << 18)
#define MODEL_CHECKPOINT_BYTES_PER_EVENT 8u
_Static_assert(MODEL_CHECKPOINT_SPACING >= 4 * MODEL_BATCH, "checkpoints a few batches apart");

/* Events from one checkpoint to the next, given the size of the last one. */
static inline uint64_t model_checkpoint_spacing(size_t state_bytes)
{
    uint64_t spacing = MODEL_CHECKPOINT_SPACING;
    if (state_bytes / MODEL_CHECKPOINT_BYTES_PER_EVENT > spacing)
        spacing = state_bytes / MODEL_CHECKPOINT_BYTES_PER_EVENT;
    return spacing;
}

/* model_valid.c: model_is_valid(), or only what holds at any position when !quiescent */
bool model_check(const struct model *m, bool quiescent, char *err, size_t errlen);
/* The objects, their edges and the generations only (what the loader does not check). */
bool model_check_objects(const struct model *m, char *err, size_t errlen);

/* model.c */
struct mpool *model_pool_lookup(const struct model *m, uint64_t addr);
const struct marena *model_arena_lookup(const struct model *m, uint64_t addr);
uint32_t model_block_index(const struct model *m, const struct mpool *p, uint64_t addr,
                           bool *exact);
uint32_t model_obj_lookup(const struct model *m, uint64_t addr); /* index or NONE */
/* The last event that changed the arena or one of its pools. */
uint64_t model_arena_changed(const struct marena *a);
/* Blocks on p's free list (a walk). */
uint32_t model_pool_nfree(const struct mpool *p);
int model_fail(struct model *m, int err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4), cold));
bool model_radix_mark(struct model *m, uint64_t base);
void model_clear_state(struct model *m);
/* Internal mutators used by the loader (they keep the derived counts right). */
bool model_edge_add(struct model *m, uint32_t owner_idx, uint32_t obj_idx, uint64_t owner,
                    uint64_t obj, uint64_t count);
uint32_t model_obj_alloc(struct model *m, uint64_t addr);
void model_gen_append(struct model *m, uint32_t gen, uint32_t idx);
bool model_mark_entry(struct model *m, uint32_t idx, uint64_t seq);
bool model_set_step_label(struct model *m, const char *s, size_t len);
bool model_pool_prepare_blocks(struct model *m, struct mpool *p);
void model_usable_insert_after(struct model *m, int32_t slot, int32_t after);
bool model_history_push(struct model *m, const struct model_collection *c);
bool model_print_push(struct model *m, uint64_t seq, uint32_t stream, const char *s, size_t len);

#endif
