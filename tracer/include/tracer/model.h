/*
 * model.h - the events of a run folded into the state of its heap, checkpoints of that state,
 * and the seeker that serves any event of a trace file at once.
 *
 * Three objects:
 *
 *   struct model    the state after folding events [0, seq): arenas, pools, blocks, size-class
 *                   rings, raw blocks, objects and their references, frames and names, the
 *                   collector, step markers.  model_fold() takes one event; the query functions
 *                   below read the state.  It has no allocator logic of its own beyond what
 *                   the event contract of allocator/event.h states (see tracer/model/model.c
 *                   and the parts it names).
 *   checkpoints     model_save()/model_load(): the whole state as a blob; stored in the trace's
 *                   index by model_build_checkpoints() after a recording ends
 *                   (tracer/model/checkpoint.c).
 *   struct seeker   a trace reader + a model + the checkpoints: open a file (or follow a growing
 *                   one), go to any event, step forward and back, read the timeline summary
 *                   (tracer/model/seeker.c).
 *
 * Positions.  A position p is a number of events folded: the model at p is the state after
 * events 0 .. p-1 and before event p.  Position 0 is the empty heap; position N (the event
 * count) is the end.  "Event k" in the UI is the state at position k + 1.
 *
 * Return convention (docs/style.md 4): 0 or a negative MODEL_E* code, explained by
 * model_strerror(); predicates return bool.  Query functions never fail: asked about something
 * that does not exist they return false or 0.
 *
 * Lifetimes.  Strings returned by queries (type names, labels, stack frames) point into the
 * model and stay valid until the model is next changed (folded, loaded, reset, freed).  The
 * struct values filled by queries are copies.
 *
 * Threads: a model and a seeker are used by one thread at a time.
 */
#ifndef TRACER_MODEL_H
#define TRACER_MODEL_H

#include <allocator/event.h>
#include <allocator/stats.h>
#include <tracer/trace.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    MODEL_ENOMEM = -1,        /* the model's own storage could not be allocated */
    MODEL_EINCONSISTENT = -2, /* an event contradicts the state (model_error() says how) */
    MODEL_EFORMAT = -3,       /* a checkpoint blob is damaged or of another geometry */
    MODEL_EGEOMETRY = -4,     /* the trace's allocator profile is outside what the model holds */
    MODEL_ETRACE = -5,        /* the trace reader failed (seeker_error() has its message) */
    MODEL_ERANGE = -6,        /* a position past the last event */
    MODEL_ESTOPPED = -7,      /* the model stopped at an earlier inconsistent event */
};
const char *model_strerror(int err);

#define MODEL_MAX_GENERATIONS (TRACE_MAX_GENERATIONS + 1) /* the permanent one included */
#define MODEL_RELEASED_KEEP 64  /* released arenas remembered, most recent first */
#define MODEL_HISTORY_KEEP 64   /* finished collections remembered, most recent first */
#define MODEL_PRINTS_KEEP 32    /* lines printed by the workload, most recent first */

/* ==== the model ============================================================================== */

struct model;

/* The geometry and GC set-up come from the trace header (the allocator and GC profiles). */
int model_new(struct model **out, const struct trace_header *hdr);
void model_free(struct model *m);
/* Back to position 0 (the empty heap), keeping the geometry; storage is kept for reuse. */
void model_reset(struct model *m);

/*
 * Folds one event (ev->seq is ignored: the model counts).  Returns 0, or MODEL_EINCONSISTENT
 * when the event contradicts the state (a free of a block that is not allocated, a refcount that
 * does not follow from the previous one, a pool transition the allocator cannot make, ...).  The
 * model then stops: it keeps the state before that event and every later fold returns
 * MODEL_ESTOPPED.  MODEL_ENOMEM stops it the same way.
 */
int model_fold(struct model *m, const struct event *ev);

/* Folds evs[0 .. n) in order, as model_fold() one by one but faster; returns how many were
 * folded: fewer than n when the model stopped (model_error() says why). */
size_t model_fold_batch(struct model *m, const struct event *evs, size_t n);
/* Events to decode and fold at a time: few enough that they are still in the first-level cache
 * when folded (a decoded event takes 80 bytes), enough that the calls cost nothing. */
#define MODEL_BATCH 256

uint64_t model_position(const struct model *m); /* events folded */
/* True once the model stopped; model_error() is then "event N (kind): reason". */
bool model_is_stopped(const struct model *m);
const char *model_error(const struct model *m);
uint64_t model_error_seq(const struct model *m); /* the event it stopped at */

/*
 * Walks every structure and recounts it (docs/cpython-memory.md 8.4: rings hold only used
 * pools, usable_arenas is sorted, counts and free lists agree, generations hold tracked objects,
 * edge counts sum to at most the refcounts).  Returns true when all hold, else writes the first
 * violation to err.
 */
bool model_is_valid(const struct model *m, char *err, size_t errlen);

/*
 * Between two events, what the last ones left behind.  An operation of the allocator is a few
 * events (an allocation's pool and arena events, then its block_alloc and pool_full; a free's
 * block_free, then its pool's and its arena's); the fold takes each event as it comes, and the
 * pool and the arena they touch pass through states that hold only within the operation.  When
 * the events move on to another pool or arena, or to something else, those two must be as they
 * can be between two operations (a pool that gave out its last block is full, one that lost its
 * last block is empty, an arena with free pools is in its place in usable_arenas), else an event
 * of the operation is missing.
 *
 * Call model_check_settled() with each event before folding it, and with NULL after the last of
 * a whole trace; `s` is the caller's, zeroed at the start and between traces.  It reads the
 * model and the event's roles (allocator/event.h), never the events to come.  Returns false with
 * what is wrong in err.  `arenascope check` runs it between every two events.
 */
struct model_settle {
    uint64_t pool; /* the pool the last events touched, 0 none */
    uint32_t slot; /* the arena they touched, its slot + 1, 0 none */
};
bool model_check_settled(const struct model *m, struct model_settle *s, const struct event *next,
                         char *err, size_t errlen);

/* ---- geometry ---------------------------------------------------------------------------- */

/*
 * "No size class", wherever a szidx is: a pool untouched or newly carved, the memory of a raw or
 * static object, a cell of the arena map.  A profile has at most HEAP_STATS_MAX_CLASSES (256)
 * classes, so every class index is below 256 and none is this.  It is 16 bits wide, the value
 * CPython gives a pool with no class (DUMMY_SIZE_IDX), so that the narrowest szidx field, the
 * arena map's (struct model_pool_cell), holds it in 16 bits and the cell keeps its 8 bytes.
 */
#define MODEL_NO_CLASS 0xffffu
_Static_assert(HEAP_STATS_MAX_CLASSES <= MODEL_NO_CLASS, "no class index is MODEL_NO_CLASS");

struct model_geometry {
    uint32_t alignment, threshold, pool_size, arena_size, pool_overhead, pointer_size;
    uint32_t nclasses;         /* threshold / alignment */
    uint32_t max_pools;        /* arena_size / pool_size: pools of an aligned arena */
    bool keep_last_free_arena; /* 3.9+ */
    bool radix_tree;           /* 3.10+ 64-bit: the stats report has the arena map section */
    uint32_t ngenerations;     /* the permanent generation not counted */
};
void model_geometry(const struct model *m, struct model_geometry *out);
uint32_t model_class_size(const struct model *m, uint32_t szidx);    /* block size, bytes */
uint32_t model_class_capacity(const struct model *m, uint32_t szidx); /* blocks per pool */

/* ---- arenas ------------------------------------------------------------------------------ */

enum model_arena_list {
    MODEL_ARENA_USABLE,   /* on usable_arenas (has an available pool) */
    MODEL_ARENA_FULL,     /* every pool used or full: on no list */
    MODEL_ARENA_DETACHED, /* off the list with pools available: about to be freed */
};

struct model_arena {
    uint32_t slot;        /* index in the arenas vector */
    uint64_t serial;      /* counts every arena obtained, from 0 */
    uint64_t base;        /* address returned by the arena source */
    uint64_t first_pool;  /* base + sliver: the first pool boundary */
    uint32_t sliver;      /* bytes skipped before the first pool (0 when aligned) */
    uint32_t npools;      /* ntotalpools: 64, or 63 when misaligned */
    uint32_t nfreepools;  /* empty (cached) + untouched pools */
    uint32_t ncarved;     /* pools below the high-water mark (pool_address) */
    uint32_t nused, nfull, nempty; /* carved pools by state; nempty are on the cache */
    enum model_arena_list list;
    uint32_t usable_pos;  /* position in usable_arenas from the head, when USABLE */
    bool is_finger;       /* nfp2lasta[nfreepools] == this: rightmost of its group (3.8+) */
    bool is_retained;     /* wholly free, kept as the tail of usable_arenas (3.9+) */
    uint64_t seq_new;     /* the event that obtained it */
    uint64_t seq_changed; /* the last event that changed it or one of its pools */
};

/* Slots in the arenas vector (ARENA_VECTOR); model_arena_at() is false for an empty slot. */
uint32_t model_arena_slots(const struct model *m);
uint32_t model_arena_count(const struct model *m); /* arenas held now */
bool model_arena_at(const struct model *m, uint32_t slot, struct model_arena *out);
/* The arena holding address addr (a pool, a block, the sliver), if any. */
bool model_arena_find(const struct model *m, uint64_t addr, struct model_arena *out);
/* usable_arenas from the head (fewest free pools) to the tail; returns the list's length. */
size_t model_usable_arenas(const struct model *m, uint32_t *slots, size_t max);
/* The arena's cache of empty pools (freepools), most recently emptied first. */
size_t model_arena_cache(const struct model *m, uint32_t slot, uint64_t *pools, size_t max);

/* Arenas returned to the system, most recent first (at most MODEL_RELEASED_KEEP). */
struct model_released {
    uint32_t slot;
    uint64_t serial, base;
    uint32_t npools, sliver;
    uint64_t seq_new, seq_freed;
};
size_t model_released(const struct model *m, struct model_released *out, size_t max);

/* ---- pools ------------------------------------------------------------------------------- */

enum model_pool_state {
    MODEL_POOL_UNTOUCHED, /* above the arena's high-water mark: never carved */
    MODEL_POOL_CARVED,    /* carved or uncached, its class not yet named (within one malloc) */
    MODEL_POOL_USED,      /* in its class's ring: some blocks allocated, some available */
    MODEL_POOL_FULL,      /* every block allocated: on no list */
    MODEL_POOL_EMPTY,     /* no block allocated: on its arena's cache (keeps class and list) */
    MODEL_POOL_STATE_COUNT
};
const char *model_pool_state_name(enum model_pool_state s); /* "untouched", "used", ... */

/* One pool cell of the arena map: what a 1000-arena picture needs, 8 bytes.  A pool holds fewer
 * than 2^22 blocks (model_new() takes pools of at most 16 MiB and an alignment of at least 4), so
 * the count shares a word with the state. */
struct model_pool_cell {
    uint16_t szidx;       /* size class, MODEL_NO_CLASS when none */
    uint16_t fill;        /* blocks allocated * 1000 / capacity */
    unsigned state : 8;   /* enum model_pool_state */
    unsigned count : 24;  /* blocks allocated */
};
_Static_assert(sizeof(struct model_pool_cell) == 8, "an arena map cell is 8 bytes");
/* Fills one cell per pool of the arena in `slot` (npools cells); returns the number filled. */
size_t model_arena_cells(const struct model *m, uint32_t slot, struct model_pool_cell *cells,
                         size_t max);

struct model_pool {
    uint64_t addr;           /* pool address (pool_size aligned) */
    uint32_t slot, index;    /* arena slot, pool index in the arena from 0 */
    enum model_pool_state state;
    uint32_t szidx;          /* size class, MODEL_NO_CLASS for untouched and newly carved */
    uint32_t size;           /* block size, bytes (0 with no class) */
    uint32_t count;          /* ref.count: blocks allocated */
    uint32_t capacity;       /* NUMBLOCKS(szidx) */
    uint32_t nfree;          /* blocks on the free list */
    uint32_t nvirgin;        /* blocks at or above nextoffset */
    uint64_t freeblock;      /* head of the free list, 0 when empty */
    uint32_t nextoffset;     /* offset of the first virgin block */
    uint32_t maxnextoffset;  /* pool_size - size */
    uint64_t nextpool;       /* ring successor (USED), cache successor (EMPTY), else 0 */
    uint64_t prevpool;       /* ring predecessor (USED), else 0 */
    uint32_t ring_pos;       /* position in its class's ring from the front (USED) */
    uint32_t cache_pos;      /* position in its arena's cache from the head (EMPTY) */
    uint64_t seq_changed;    /* the last event that changed it */
};
/* Pool `index` (0 .. npools-1) of the arena in `slot`. */
bool model_pool_at(const struct model *m, uint32_t slot, uint32_t index, struct model_pool *out);
/* The pool holding address addr, if a carved or untouched pool of a live arena holds it. */
bool model_pool_find(const struct model *m, uint64_t addr, struct model_pool *out);

enum model_block_state {
    MODEL_BLOCK_VIRGIN,    /* never handed out: at or above nextoffset */
    MODEL_BLOCK_FREE,      /* on the pool's free list */
    MODEL_BLOCK_ALLOCATED, /* handed out */
};

/* The state of each block of the pool at pool_addr, by block index; returns capacity. */
size_t model_pool_blocks(const struct model *m, uint64_t pool_addr, uint8_t *states, size_t max);
/* The free list in LIFO order from its head (the next block handed out first). */
size_t model_pool_free_list(const struct model *m, uint64_t pool_addr, uint64_t *addrs,
                            size_t max);

struct model_block {
    uint64_t addr;            /* block start */
    uint64_t pool;            /* its pool */
    uint32_t index;           /* block index in the pool */
    uint32_t szidx, size;     /* class and block size */
    enum model_block_state state;
    uint32_t requested;       /* bytes asked for (ALLOCATED) */
    uint32_t stack;           /* stack id of its allocation, 0 none (ALLOCATED) */
    uint32_t free_pos;        /* position on the free list from the head (FREE) */
    uint64_t object;          /* the live object whose memory it holds, or 0 */
};
/* The pool block holding address addr (any address inside the block). */
bool model_block_find(const struct model *m, uint64_t addr, struct model_block *out);

/* Where the next allocation of a size class will come from (CPython's order,
 * docs/cpython-memory.md 3.2-3.3). */
enum model_next_source {
    MODEL_NEXT_RING,        /* the front pool of the class's ring: its free-list head */
    MODEL_NEXT_CACHED_POOL, /* the head arena's most recently emptied pool */
    MODEL_NEXT_NEW_POOL,    /* a pool carved at the head arena's high-water mark */
    MODEL_NEXT_NEW_ARENA,   /* no usable arena: a new arena (address unknown, addr == 0) */
};
struct model_next {
    enum model_next_source source;
    uint64_t pool;  /* the pool it comes from, 0 for NEW_ARENA */
    uint64_t addr;  /* the block it will be, 0 for NEW_ARENA */
    uint32_t slot;  /* the arena, when known */
};
void model_next_block(const struct model *m, uint32_t szidx, struct model_next *out);

/*
 * Who pins an arena or a pool: its allocated blocks grouped by the line that allocated them
 * (model_stack_line_frame of each block's stack; blocks allocated with no stack recorded are one
 * group of frame 0), largest first by bytes.  A mostly empty arena goes back to the system only when
 * its last block is freed: these are the lines whose blocks keep it.
 */
struct model_pin {
    uint32_t frame;   /* the frame id of the line, 0: no stack recorded */
    uint32_t stack;   /* one stack of the group (for its callers) */
    uint64_t blocks;  /* blocks allocated by that line, live now */
    uint64_t bytes;   /* their block sizes summed */
};
/* The groups of the arena in `slot`, or of its pool `pool` (an index) when pool >= 0.  Fills up
 * to max, largest first; returns the number of groups. */
size_t model_pins(const struct model *m, uint32_t slot, int32_t pool, struct model_pin *out, size_t max);
/* The addresses of the live blocks of one group (frame as model_pins gives it), in address order;
 * returns how many there are. */
size_t model_pin_blocks(const struct model *m, uint32_t slot, int32_t pool, uint32_t frame, uint64_t *addrs,
                        size_t max);

/* ---- size classes ------------------------------------------------------------------------ */

struct model_class {
    uint32_t szidx, size;
    uint32_t capacity;      /* blocks per pool */
    uint64_t pools;         /* used + full pools (CPython's "num pools") */
    uint64_t used_pools;    /* in the ring */
    uint64_t full_pools;
    uint64_t empty_pools;   /* empty pools that last held this class (cached) */
    uint64_t in_use;        /* blocks allocated */
    uint64_t avail;         /* capacity * pools - in_use ("avail blocks", virgin included) */
    uint64_t requested;     /* bytes asked for by the allocated blocks */
};
bool model_class_at(const struct model *m, uint32_t szidx, struct model_class *out);
/* The class's usedpools ring from the front (where the next allocation goes) to the back. */
size_t model_class_ring(const struct model *m, uint32_t szidx, uint64_t *pools, size_t max);

/* ---- raw blocks (requests the C library served) ------------------------------------------ */

struct model_raw {
    uint64_t addr, size;
    uint32_t why;   /* ev_raw_why */
    uint32_t stack; /* stack id, 0 none */
    uint64_t seq;   /* the event that allocated (or last resized) it */
    uint64_t object; /* the live object whose memory it holds, or 0 */
};
size_t model_raw_count(const struct model *m);
bool model_raw_find(const struct model *m, uint64_t addr, struct model_raw *out); /* its start */
/* Iteration in no particular order: *cursor starts at 0; false at the end. */
bool model_raw_next(const struct model *m, size_t *cursor, struct model_raw *out);

/* ---- totals -------------------------------------------------------------------------------- */

struct model_totals {
    uint64_t blocks;          /* pool blocks allocated now */
    uint64_t block_bytes;     /* their block sizes summed */
    uint64_t requested_bytes; /* bytes asked for by them */
    uint64_t raw_blocks, raw_bytes;
    uint64_t arena_bytes;     /* arenas held * arena_size */
    uint64_t objects;         /* live objects */
    uint64_t mallocs, frees;  /* block_alloc + raw_alloc, block_free + raw_free so far */
    uint64_t arenas_total;    /* every arena obtained */
    uint64_t arenas_highwater;
};
void model_totals(const struct model *m, struct model_totals *out);
/* The same figures as the program sees them: arenascope's own blocks in a real program
 * (model_tool_usage) left out of the blocks, their bytes and the raw layer's. */
void model_program_totals(const struct model *m, struct model_totals *out);

/* The figures of sys._debugmallocstats() (tracer/stats_report.h prints them). */
void model_get_stats(const struct model *m, struct heap_stats *out);

/* ---- types, stacks --------------------------------------------------------------------------- */

struct model_type {
    uint32_t id;
    const char *name;
    uint64_t basicsize, itemsize;
    uint32_t flags;   /* ev_type_flags */
    uint64_t live;    /* live objects of this type */
};
bool model_type(const struct model *m, uint32_t id, struct model_type *out);
uint32_t model_type_count(const struct model *m); /* types defined so far */
/* Iteration in the order the types were defined: *cursor starts at 0; false at the end. */
bool model_type_next(const struct model *m, size_t *cursor, struct model_type *out);

/*
 * Stacks form a tree (allocator/event.h): a stack's own frames are its innermost ones, and the
 * frames of its parent follow them.  A frame is a line: "function+0xoffset" for C,
 * "FUNCTION\tFILE\tLINE" for Python (model_frame_parse reads one).
 */
struct model_stack {
    uint32_t id;
    uint32_t depth;     /* every frame, the parent's included */
    uint32_t parent;    /* the callers' stack, 0 none */
    uint32_t frame;     /* the id of its own frame, 0 when it has text of its own */
    const char *frames; /* its own frames: lines, innermost first, '\n'-separated */
    size_t len;         /* bytes in frames */
};
bool model_stack(const struct model *m, uint32_t id, struct model_stack *out);
/* The text of frame `id` (frame_def). */
bool model_frame_text(const struct model *m, uint32_t id, const char **text, size_t *len);
/* Frame i (0: the innermost) of stack `id`, following the parents; false past the outermost. */
bool model_stack_frame(const struct model *m, uint32_t id, uint32_t i, const char **text, size_t *len);
/* The innermost frame of stack `id`: its frame id (0 when the stack's frames are text of its own,
 * or there is no such stack); the line an allocation was made at. */
uint32_t model_stack_top_frame(const struct model *m, uint32_t id);
/* The line a program's allocation is charged to: the innermost Python frame that is not the
 * import system's (<frozen importlib._bootstrap...>, which CPython's tracebacks leave out too),
 * so that what a module's import allocates goes to the import statement's line, and C frames
 * above a Python stack (--stacks both) go to the Python line; the innermost frame when no frame
 * is such a line (a C stack). */
uint32_t model_stack_line_frame(const struct model *m, uint32_t id);

/* The stack of arenascope's own blocks in a real program (STACK_TOOL_FUNCTION, <tracer/stacks.h>):
 * those its capture allocated by calling into Python, and those the interpreter made only for
 * it (block_tool); 0 when the trace has none. */
uint32_t model_tool_stack(const struct model *m);
/* The allocated blocks charged to that stack, kept counted by the fold: they are in the
 * allocator's figures (model_totals, model_get_stats), where the capture put them, and are not
 * the program's (model_program_totals leaves them out). */
struct model_tool_usage {
    uint64_t blocks, block_bytes; /* pool blocks and their sizes */
    uint64_t raw_blocks, raw_bytes;
};
void model_tool_usage(const struct model *m, struct model_tool_usage *out);
/* The allocated blocks of the pool at `pool` that are arenascope's. */
uint32_t model_pool_tool_blocks(const struct model *m, uint64_t pool);

/* A frame's parts: a Python frame "FUNCTION\tFILE\tLINE" gives all three; a C frame gives its
 * text as the function, no file and line 0. */
struct model_frame_info {
    const char *function, *file;
    size_t function_len, file_len;
    uint32_t line;
    bool python;
};
void model_frame_parse(const char *text, size_t len, struct model_frame_info *out);
/* A frame as the views show it: "file.py:12 in function" (a package's "pkg/__init__.py") for
 * Python, the C text as it is ("function+0x1f"). */
void model_frame_format(const char *text, size_t len, char *buf, size_t cap);

/* ---- objects ------------------------------------------------------------------------------- */

enum {
    MODEL_OBJ_STATIC = 1u << 0,    /* statically allocated (EV_OBJ_STATIC) */
    MODEL_OBJ_FREELIST = 1u << 1,  /* its memory came from a free list */
    MODEL_OBJ_FINALIZED = 1u << 2, /* a finalizer ran on it */
    MODEL_OBJ_GARBAGE = 1u << 3,   /* in gc.garbage */
};

struct model_object {
    uint64_t addr;            /* the PyObject address */
    uint32_t type;            /* type id */
    const char *type_name;
    uint64_t size;            /* bytes it occupies in its memory */
    uint64_t block;           /* start of its pool block or raw block, 0 when not in the heap */
    uint32_t szidx;           /* size class of its block, MODEL_NO_CLASS when raw or static */
    uint64_t refcnt;
    uint64_t seq_refcnt;      /* the event that last changed refcnt */
    uint64_t seq_new;         /* the event that created it */
    int32_t gen;              /* its generation, -1 when untracked */
    bool tracked;
    uint32_t flags;           /* MODEL_OBJ_* */
    uint32_t stack;           /* allocation stack id, 0 none */
    uint64_t storage, storage_size; /* item storage (list items, dict keys), 0 none */
    uint64_t weakref_target;  /* when it is a weakref: its referent, 0 when cleared */
    uint32_t weakrefs;        /* weakrefs that refer to it */
    const char *value;        /* the last value shown for it (obj_value), or NULL */
    size_t value_len;
    /* during a collection */
    bool has_gc_refs;
    int64_t gc_refs;          /* the collector's working count (gc_refs) */
    int32_t mark;             /* ev_gc_mark, -1 when unmarked in this collection */
    uint64_t mark_via;
};
size_t model_object_count(const struct model *m);
bool model_object_find(const struct model *m, uint64_t addr, struct model_object *out);
/* Iteration in no particular order: *cursor starts at 0; false at the end. */
bool model_object_next(const struct model *m, size_t *cursor, struct model_object *out);
/* The addresses of the live objects sorted ascending; returns the count (all, even past max). */
size_t model_objects_sorted(const struct model *m, uint64_t *addrs, size_t max);

/* References known from increfs/decrefs with an owner: `count` references from one to another. */
struct model_ref {
    uint64_t obj;   /* the other end */
    uint64_t count; /* references it holds (referents) or holds to us (referrers) */
};
size_t model_object_referents(const struct model *m, uint64_t addr, struct model_ref *out,
                              size_t max);
size_t model_object_referrers(const struct model *m, uint64_t addr, struct model_ref *out,
                              size_t max);

/* ---- frames and names ---------------------------------------------------------------------- */

struct model_frame {
    uint64_t id;
    const char *function;
    size_t function_len;
    uint32_t nnames;
};
struct model_name {
    uint64_t frame;
    const char *name;
    size_t name_len;
    uint64_t obj;
};
/* Frames from the outermost (depth 0) to the innermost. */
uint32_t model_frame_count(const struct model *m);
bool model_frame_at(const struct model *m, uint32_t depth, struct model_frame *out);
size_t model_frame_names(const struct model *m, uint32_t depth, struct model_name *out,
                         size_t max);
/* Every name, in any frame, that refers to obj. */
size_t model_object_names(const struct model *m, uint64_t obj, struct model_name *out,
                          size_t max);

/* ---- the collector ------------------------------------------------------------------------- */

struct model_generation {
    uint64_t count;       /* gc count (gc_count) */
    uint64_t threshold;
    uint64_t objects;     /* tracked objects: those in its list and the interpreter's own */
    uint64_t startup;     /* of which the interpreter's own, which no event names (FORMAT.md 4) */
    uint64_t collections; /* collections of this generation so far */
};

struct model_gc {
    uint32_t ngenerations; /* the permanent one not counted; gen[ngenerations] is permanent */
    /* The incremental collector (cpython-3.14): young and old, numbered as 3.14's gc module
     * numbers them.  gen[1].count is gc.get_count()[1], old's visited space's; gen[2], the
     * permanent generation's, has count gc.get_count()[2], the pending space's, and collections
     * the full ones (collecting_gen and the history's gen 2); gen[1].collections are the
     * increments. */
    bool incremental;
    bool enabled;
    struct model_generation gen[MODEL_MAX_GENERATIONS];
    bool collecting;
    uint32_t collecting_gen;
    uint32_t reason;       /* ev_gc_reason */
    bool has_phase;
    uint32_t phase;        /* ev_gc_phase */
    uint64_t phase_n;
    uint64_t seq_start, seq_phase;
    uint64_t collections;  /* every collection finished */
    uint64_t collected_total, uncollectable_total;
    uint64_t garbage;      /* objects in gc.garbage */
    uint64_t garbage_list; /* gc.garbage's own address, once an object was put in it; else 0 */
};
void model_gc(const struct model *m, struct model_gc *out);

/* The members of generation gen in list order (oldest first); returns the count. */
size_t model_gc_generation(const struct model *m, uint32_t gen, uint64_t *objs, size_t max);

struct model_collection {
    uint32_t gen, reason;
    uint64_t seq_start, seq_end;
    uint64_t collected, uncollectable, nanos;
};
/* Finished collections, most recent first (at most MODEL_HISTORY_KEEP). */
size_t model_gc_history(const struct model *m, struct model_collection *out, size_t max);

/* The objects marked in the collection in progress, in the order first marked. */
struct model_mark {
    uint64_t obj;
    uint32_t mark; /* ev_gc_mark: its latest mark */
    uint64_t via;  /* the object that made it reachable, or 0 */
    uint64_t seq;  /* the event of its latest mark */
    bool freed;    /* the object has since been destroyed */
};
size_t model_gc_marks(const struct model *m, struct model_mark *out, size_t max);

/* ---- workload: step markers and prints ------------------------------------------------------ */

struct model_step {
    uint64_t number;
    uint32_t kind;     /* ev_step_kind: a workload's step, a real program's start-up, its code, a line */
    uint32_t stack;    /* a real program's stack at the marker, or the line a demo's step runs (the
                        * innermost frame is the line), 0 none */
    uint64_t seq;      /* the event of the marker */
    const char *label;
    size_t label_len;
};
/* The last step marker folded, if any. */
bool model_step_current(const struct model *m, struct model_step *out);
uint64_t model_step_count(const struct model *m); /* markers folded so far */

struct model_print {
    uint64_t seq;
    uint32_t stream;
    const char *text;
    size_t len;
};
/* The latest lines the workload printed, most recent first (at most MODEL_PRINTS_KEEP). */
size_t model_prints(const struct model *m, struct model_print *out, size_t max);

/*
 * A real program's names at its last line step (snap_name, snap_ref): for the innermost frame
 * and the module, each name, the object bound to it, its type, size, true reference count,
 * generation and repr; the references between those objects.  `previous` gives the line step before, so that
 * a view can say what the line changed.  Empty before the first line step.
 */
#define MODEL_SNAP_NAMES 64
#define MODEL_SNAP_REFS 256
struct model_snap_name {
    uint64_t obj;        /* the object's address (id()) */
    uint32_t type;       /* type id (model_type) */
    uint32_t flags;      /* ev_snap_flags */
    uint32_t gen;        /* ev_snap_gen: the generation it is in when tracked, 0 not recorded */
    uint64_t size;       /* sys.getsizeof */
    uint64_t refcnt;     /* the true count; sys.getrefcount says one more */
    const char *name, *repr;
    size_t name_len, repr_len;
};
size_t model_snap_names(const struct model *m, bool previous, struct model_snap_name *out, size_t max);
struct model_snap_ref {
    uint64_t from, to;
    uint32_t count;      /* references from `from` to `to` */
};
size_t model_snap_refs(const struct model *m, struct model_snap_ref *out, size_t max);

/* ==== checkpoints ============================================================================= */

/* The whole state as a blob (malloc'd, caller frees).  Canonical: two models in the same state
 * give the same bytes, however they got there. */
int model_save(const struct model *m, void **buf, size_t *len);
/* Replaces the state with a blob's.  On MODEL_EFORMAT the model is reset to position 0. */
int model_load(struct model *m, const void *buf, size_t len);
/* The same for a blob that must be the state at position pos (a trace's checkpoint at pos): any
 * other is refused before the counts it holds are believed, since they are bounded by it. */
int model_load_at(struct model *m, const void *buf, size_t len, uint64_t pos);
/* Compares two models; false with the first difference in err. */
bool model_equals(const struct model *a, const struct model *b, char *err, size_t errlen);

/* ==== the timeline summary (positions of interest and memory over time) ====================== */

#define MODEL_TL_SAMPLES 4096 /* samples of memory in use; neighbours merge as the trace grows */

enum model_mark_kind {
    MODEL_TL_GC,          /* a collection started: arg = generation */
    MODEL_TL_ARENA_NEW,   /* arg = slot */
    MODEL_TL_ARENA_FREE,  /* arg = slot */
    MODEL_TL_STEP,        /* arg = index into labels */
};
struct model_tl_mark {
    uint64_t seq;
    uint32_t kind; /* model_mark_kind */
    uint32_t arg;
};
/* Memory in use over a range of events [seq, seq + span). */
struct model_tl_sample {
    uint64_t seq, span;
    uint64_t bytes_min, bytes_max, bytes_end; /* block bytes + raw bytes */
    uint32_t arenas_max, arenas_end;
    uint64_t objects_end;
};
struct model_summary {
    uint64_t events;            /* events summarised */
    size_t nmarks;
    const struct model_tl_mark *marks;    /* ascending seq */
    size_t nsamples;
    const struct model_tl_sample *samples; /* ascending, contiguous, at most MODEL_TL_SAMPLES */
    size_t nsteps;
    const char *const *step_labels;        /* NUL-terminated, one per STEP mark */
    uint64_t max_bytes;
    uint32_t max_arenas;
};

/* ==== post-pass: checkpoints and summary into the trace's index =============================== */

/* Called now and then with events done and total; return false to cancel. */
typedef bool (*model_progress_fn)(void *ctx, uint64_t done, uint64_t total);

/*
 * Folds the whole trace at path and rewrites its index with checkpoints (spacing chosen so that
 * a seek folds a bounded number of events) and the timeline summary.  Works on complete files and
 * on recovered ones (a killed recording).  If the events are inconsistent, the checkpoints up to
 * the bad event are stored and MODEL_EINCONSISTENT is returned with the reason in err.
 */
int model_build_checkpoints(const char *path, model_progress_fn progress, void *ctx, char *err,
                            size_t errlen);

/*
 * Semantic check of a whole trace (arenascope check): folds every event, validating each against
 * the state, checks what each operation left once the events move on (model_check_settled), and
 * walks the invariants now and then and at the end.  Returns 0 when consistent;
 * MODEL_EINCONSISTENT with *bad_seq the first bad event and its reason in err; MODEL_ETRACE when
 * the file cannot be read.
 */
int model_check_trace(struct trace_reader *r, uint64_t *bad_seq, char *err, size_t errlen);

/* ==== checkpoints in a live trace ============================================================== */

/*
 * A sink in front of a trace writer that folds every event into a model of its own and writes the
 * model's state into the stream every model checkpoint spacing, as a CKPT blob keyed by the events
 * emitted so far (tee.c): a live viewer jumps through them, and a windowed trace stays seekable
 * from the first one inside its window.  hdr is the writer's header.  The tee does not own w.
 */
struct ckpt_tee;
int ckpt_tee_new(struct ckpt_tee **out, struct trace_writer *w, const struct trace_header *hdr);
struct event_sink ckpt_tee_sink(struct ckpt_tee *t);
void ckpt_tee_free(struct ckpt_tee *t);

/* ==== the seeker ============================================================================== */

struct seeker;

enum {
    SEEKER_FOLLOW = 1u, /* follow a file or pipe that is still being written (live mode) */
};

/* Opens a trace.  On failure *out is NULL and err holds the one-line message. */
int seeker_open(struct seeker **out, const char *path, unsigned flags, char *err, size_t errlen);
/* The same on an open descriptor (a pipe from a recording child); name is used in messages.
 * The seeker does not close fd. */
int seeker_open_fd(struct seeker **out, int fd, const char *name, unsigned flags, char *err,
                   size_t errlen);
void seeker_free(struct seeker *s);

const struct trace_header *seeker_header(const struct seeker *s);
struct trace_reader *seeker_reader(struct seeker *s);
/* The model at the current position: valid until the next seeker call that moves. */
const struct model *seeker_model(const struct seeker *s);
const char *seeker_error(const struct seeker *s); /* message of the last failure */

uint64_t seeker_event_count(const struct seeker *s); /* events known so far */
uint64_t seeker_position(const struct seeker *s);

/*
 * Moves to position pos (0 .. event count): folds forward from the current position when that is
 * nearest, else loads the checkpoint at or before pos and folds from there.  Returns 0;
 * MODEL_ERANGE past the end; MODEL_EINCONSISTENT when an event before pos is inconsistent (the
 * model then stays at the last good position, model_error() of seeker_model() says why).
 */
int seeker_seek(struct seeker *s, uint64_t pos);
/* seeker_seek(s, position + delta), clamped to [0, event count]. */
int seeker_step(struct seeker *s, int64_t delta);

/* The current event: the one the model folded last, at position - 1 (the seeker keeps it as it
 * folds, and reads it once when it came from a checkpoint).  False at position 0 or when it
 * cannot be read.  Its text stays valid until the seeker moves. */
bool seeker_current_event(struct seeker *s, struct event *out);

/* Reads up to n events from seq on without moving the model (for the event log): their texts
 * are copied into strbuf (an event's str points there; texts that do not fit are cut).  Returns
 * how many were read (fewer at the end), or < 0 on error. */
int seeker_events(struct seeker *s, uint64_t seq, struct event *evs, size_t n, char *strbuf,
                  size_t strsize);

/*
 * Searches events for the first one matching `match`, starting at seq `from` and going forward
 * (increasing seq) or backward; *found is its seq.  Returns 1 when found, 0 when none, < 0 on
 * error.  Reads events without folding (for breakpoints, search hits, next collection).
 */
int seeker_scan(struct seeker *s, uint64_t from, bool forward,
                bool (*match)(void *ctx, const struct event *ev), void *ctx, uint64_t *found);

/* Follow mode: looks for new events; returns how many arrived (0 none, < 0 error).  When the
 * model was at the old end it is NOT moved: call seeker_seek(s, seeker_event_count(s)) to
 * follow the live edge. */
int seeker_poll(struct seeker *s);
bool seeker_is_following(const struct seeker *s); /* opened with SEEKER_FOLLOW and not ended */
bool seeker_is_ended(const struct seeker *s);     /* the followed stream ended */

/* The timeline: from the trace's index, or built while folding (live, recovered files).
 * Valid until the next seeker call. */
const struct model_summary *seeker_summary(const struct seeker *s);

/*
 * The source of a real program's file (source_file and source_text events), as recorded when the
 * program ran: the text (valid while the seeker lives), read from the trace the first time it is
 * asked for.  False when the trace has none for that path.
 */
bool seeker_source(struct seeker *s, const char *path, size_t len, const char **text, size_t *text_len);
/* Line `line` (from 1) of a file, without its indentation: from the trace's source, else from the
 * file on this machine (*from_disk then), else empty.  Returns its length. */
size_t seeker_source_line(struct seeker *s, const char *path, size_t len, uint32_t line, char *buf, size_t cap,
                          bool *from_disk);

/* The first position a seek can reach: 0, or in a windowed live trace (whose oldest events were
 * dropped, FORMAT.md 8.1) the first checkpoint inside the window; seeking before it is
 * MODEL_ERANGE.  The event count when nothing is reachable yet. */
uint64_t seeker_history_start(const struct seeker *s);

/* The position of the last checkpoint at or before pos, or UINT64_MAX when there is none. */
uint64_t seeker_checkpoint_before(const struct seeker *s, uint64_t pos);

/* Checkpoints the seeker can load (from the index, or its own when the file had none). */
size_t seeker_checkpoint_count(const struct seeker *s);

/* True when the checkpoints and the summary cover every event known: read from the file's index,
 * or built by the seeker. */
bool seeker_is_indexed(const struct seeker *s);
/* For a file without checkpoints (a killed recording): folds the events not yet covered to build
 * the checkpoints (kept in an unlinked temporary file, not in memory) and the summary, then goes
 * back to the current position.  progress may be NULL.  Without this the seeker builds them as
 * it first folds through the events. */
int seeker_build_index(struct seeker *s, model_progress_fn progress, void *ctx);

#endif
