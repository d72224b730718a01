/*
 * runtime_private.h - what the runtime's files share: object layouts, types, the runtime and
 * collector state.  Private to allocator/runtime*.c and allocator/gc*.c.
 */
#ifndef ALLOCATOR_RUNTIME_PRIVATE_H
#define ALLOCATOR_RUNTIME_PRIVATE_H

#include <allocator/gc.h>
#include <allocator/heap.h>
#include <allocator/runtime.h>

#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* ---- the GC head (CPython 3.8+'s PyGC_Head, docs/cpython-memory.md 7.1) -------------------------
 * _gc_next == 0: untracked.  next bit 0: NEXT_MASK_UNREACHABLE (only during a collection).
 * prev bit 0: FINALIZED (persists), bit 1: COLLECTING, bit 2: the old space the object belongs
 * to under the incremental collector (3.14's OLD_SPACE_1 bit, kept in prev here; always 0 for
 * the other profiles; lost while a collection uses prev for gc_refs, and set again after it).
 * During a collection prev >> 3 holds gc_refs and the list is singly linked until
 * move_unreachable restores the prev pointers.  Every list head is at least 8-byte aligned. */
struct gc_head {
    uintptr_t next;
    uintptr_t prev;
};
_Static_assert(sizeof(struct gc_head) == 16, "PyGC_Head is two words on 64-bit");

#define GC_NEXT_MASK_UNREACHABLE ((uintptr_t)1)
#define GC_PREV_MASK_FINALIZED ((uintptr_t)1)
#define GC_PREV_MASK_COLLECTING ((uintptr_t)2)
#define GC_PREV_MASK_OLD_SPACE ((uintptr_t)4)
#define GC_PREV_SHIFT 3
#define GC_PREV_MASK_FLAGS ((uintptr_t)7)

#define RT_MANAGED_PREHEADER 16 /* 3.11 managed dict: values pointer, dict pointer; 3.12+:
                                 * weak reference list, dict or values pointer */

static inline struct gc_head *rt_as_gc(const struct rt_object *o)
{
    return (struct gc_head *)((char *)(uintptr_t)o - sizeof(struct gc_head));
}
static inline struct rt_object *rt_from_gc(const struct gc_head *g)
{
    return (struct rt_object *)((char *)(uintptr_t)g + sizeof(struct gc_head));
}

/* ---- types -------------------------------------------------------------------------------- */

/* The kinds of object; what each does at its end is a row of runtime_dealloc.c's slots, how
 * copy.copy and copy.deepcopy treat it a row of runtime_copy.c's dispatch tables. */
#define RT_KINDS(X)                                                                              \
    X(NONE)                                                                                      \
    X(INT)                                                                                       \
    X(FLOAT)                                                                                     \
    X(STR)                                                                                       \
    X(TUPLE)                                                                                     \
    X(LIST)                                                                                      \
    X(DICT)                                                                                      \
    X(SET)                                                                                       \
    X(FUNCTION)                                                                                  \
    X(WEAKREF)                                                                                   \
    X(PROXY)                                                                                     \
    X(INSTANCE)

#define RT_KIND_ITEM(name) RT_KIND_##name,
enum rt_kind { RT_KINDS(RT_KIND_ITEM) };
#undef RT_KIND_ITEM
#define RT_KIND_ONE(name) +1
enum { RT_KIND_COUNT = 0 RT_KINDS(RT_KIND_ONE) };
#undef RT_KIND_ONE

typedef void (*rt_visit_fn)(struct rt_object *referent, void *arg);

struct rt_type {
    const char *name;
    enum rt_kind kind;
    uint32_t id;        /* the type_new id, > 0 */
    size_t basicsize;   /* tp_basicsize */
    size_t itemsize;    /* tp_itemsize */
    size_t presize;     /* bytes before the object in its block: GC head, pre-header */
    unsigned flags;     /* ev_type_flags */
    const struct rt_layout *layout; /* the runtime's object layout */
    bool managed_dict;  /* instances keep attributes in a values array (3.11+) */
    ptrdiff_t values_offset;   /* managed dict: offset of the values pointer (< 0, pre-header) */
    ptrdiff_t weaklist_offset; /* offset of the weak reference list pointer (< 0: pre-header), 0: none */
    size_t dict_offset;        /* separate __dict__: offset of its pointer, 0: none */
    /* instances */
    uint32_t nslots;              /* __slots__ (fixed layout), 0 with a managed dict */
    char **attr_names;            /* slot names, or the shared keys of a managed dict */
    uint32_t nattrs;              /* names known in attr_names */
    uint32_t shared_usable;       /* dk_usable of the class's shared keys (3.11) */
    rt_finalizer_fn del;
    void *del_ctx;
    bool legacy_del; /* __del__ is a tp_del (legacy profile), not a tp_finalize */
    struct rt_type *next_class;
};

/* ---- object layouts (CPython 3.11, 64-bit) ------------------------------------------------ */

struct rt_int {
    struct rt_object ob;
    intptr_t size; /* number of 30-bit digits, negative for negative values */
    uint32_t digit[];
};
#define RT_INT_SHIFT 30
#define RT_INT_MASK ((1u << RT_INT_SHIFT) - 1)

struct rt_float {
    struct rt_object ob;
    double value;
};

/* A str: the header, then its text as UTF-8.  The block is the size the layout's version asks
 * for (rt_str_request); the text fits in it but for long non-ASCII strings, whose UTF-8 is
 * longer than their latin-1 or UCS-2 form, which ask for what the text needs. */
struct rt_str {
    struct rt_object ob;
    intptr_t length;  /* characters */
    uint32_t nbytes;  /* bytes of UTF-8 in data */
    uint8_t state;    /* bit 0: interned */
    uint8_t kind;     /* bytes per character: 1 (ASCII when ascii), 1 latin-1, 2, 4 */
    uint8_t ascii;    /* every character < 128 */
    uint8_t pad;
    char data[];      /* nbytes + 1 bytes */
};
_Static_assert(sizeof(struct rt_str) == 32, "the header fits in every version's smallest str (2.7's 37)");

struct rt_tuple {
    struct rt_object ob;
    intptr_t size;
    struct rt_object *item[];
};

struct rt_list {
    struct rt_object ob;
    intptr_t size;
    struct rt_object **item;
    intptr_t allocated;
};
_Static_assert(sizeof(struct rt_list) == 40, "PyListObject is 40 bytes");

/* The dict's key table, laid out as 3.11's PyDictKeysObject: header, indices, entries. */
struct rt_dict_keys {
    intptr_t refcnt;
    uint8_t log2_size;
    uint8_t log2_index_bytes;
    uint8_t kind; /* 0 general (hash, key, value), 1 unicode (key, value) */
    uint8_t header; /* bytes of the version's header: 32, or 40 (3.6-3.10: 8 spare at the end) */
    uint32_t version;
    intptr_t usable;
    intptr_t nentries;
    char indices[]; /* (1 << log2_index_bytes) bytes, then entries */
};
_Static_assert(sizeof(struct rt_dict_keys) == 32, "PyDictKeysObject header is 32 bytes");

struct rt_dict {
    struct rt_object ob;
    intptr_t used;
    uint64_t version;
    struct rt_dict_keys *keys; /* NULL: the shared empty table */
    uint32_t open_fill;        /* 2.7 layout: used and dummy slots of its open table */
    uint8_t open_log2;         /* 2.7 layout: log2 of the open table's slots, >= 3 */
    uint8_t split;             /* 3.3-3.10 instance dict sharing its class's keys */
    uint16_t pad;
};
_Static_assert(sizeof(struct rt_dict) == 48, "PyDictObject is 48 bytes");

struct rt_weakref {
    struct rt_object ob;
    struct rt_object *object;   /* the referent, or NULL once cleared (Python shows None) */
    struct rt_object *callback; /* strong reference, or NULL */
    intptr_t hash;
    struct rt_weakref *prev, *next; /* the referent's list of weak references */
};
_Static_assert(sizeof(struct rt_weakref) == 56, "PyWeakReference is 56 bytes (64 with 3.11's vectorcall)");

struct rt_function {
    struct rt_object ob;
    rt_function_fn fn;
    void *ctx;
    char name[32];
};
_Static_assert(sizeof(struct rt_function) <= 88, "fits in every version's PyFunctionObject (2.7's 88)");

/* A set or frozenset: PySetObject, with its 8 slots inline. */
#define RT_SET_MINSIZE 8
struct rt_set_entry {
    struct rt_object *key; /* NULL: empty */
    intptr_t hash;
};
struct rt_set {
    struct rt_object ob;
    intptr_t fill; /* slots used, deleted ones included */
    intptr_t used;
    intptr_t mask; /* slots - 1 */
    struct rt_set_entry *table; /* smalltable or a separate array */
    intptr_t hash;
    intptr_t finger;
    struct rt_set_entry smalltable[RT_SET_MINSIZE];
    struct rt_weakref *weaklist;
};
_Static_assert(sizeof(struct rt_set) == 200, "PySetObject is 200 bytes");

/* An instance with a managed dict: pre-header [values, dict] then the GC head, then this. */
struct rt_instance {
    struct rt_object ob;
    struct rt_weakref *weaklist;
};
/* The values array of a managed dict (3.11 PyDictValues with its prefix before it). */

/* ---- names and frames ---------------------------------------------------------------------- */

struct rt_binding {
    char *name;
    struct rt_object *obj;
};

struct rt_frame {
    uint64_t id;
    char *function;
    struct rt_binding *names;
    size_t nnames, cap;
    bool visited; /* the incremental collector marked from it (3.14's frame->visited) */
};

/* ---- the collector ------------------------------------------------------------------------- */

struct gc_generation {
    struct gc_head head; /* sentinel of a circular list */
    uint32_t threshold;
    uint32_t count;
    uint64_t residents; /* the interpreter's own objects counted in this list, never linked (gc.c) */
};

/* The incremental collector's state (3.14.0-3.14.4, docs/cpython-memory.md 7.12; used when the
 * profile is incremental).  gen[1] is the old generation, one list holding both spaces: the
 * pending objects first, then the visited ones, an object's space being its OLD_SPACE bit. */
struct gc_incremental {
    uint32_t visited_space; /* 0 or 1: the OLD_SPACE bit value that means visited */
    bool collect_phase;     /* false: the next increment marks from the roots (GC_PHASE_MARK) */
    int64_t work_to_do;     /* objects; the budget of the next increment, may be negative */
    int64_t heap_size;      /* containers allocated minus freed (CPython's heap_size) */
    uint32_t old_count[2];  /* old[0].count, old[1].count: young collections per space */
    uint32_t pending_shown; /* the pending space's count as the last gc_count(2) gave it */
    uint64_t startup_visited; /* of old's residents, those in the visited space */
};

struct gc_callback {
    gc_callback_fn fn;
    void *ctx;
};

struct gc_state {
    struct gc_profile profile;
    size_t ngen;
    struct gc_generation gen[GC_MAX_GENERATIONS];
    struct gc_generation permanent;
    bool enabled;
    bool collecting;
    uint64_t long_lived_total, long_lived_pending;
    unsigned debug;
    FILE *debug_out;
    struct rt_object *garbage; /* gc.garbage, a list, or NULL before first use */
    struct gc_callback *callbacks;
    size_t ncallbacks;
    struct gc_gen_stats stats[GC_MAX_GENERATIONS];
    uint64_t ntracked; /* objects linked in a generation list, checked by gc_is_valid */
    struct gc_incremental incr; /* the incremental collector's state (profile.incremental) */
    uint64_t residents; /* the interpreter's own objects at the start: the sum of every list's */
};

/* ---- the runtime --------------------------------------------------------------------------- */

#define RT_TUPLE_FREELISTS 20
#define RT_TUPLE_FREELIST_MAX 2000
#define RT_FLOAT_FREELIST_MAX 100
#define RT_LIST_FREELIST_MAX 80
#define RT_DICT_FREELIST_MAX 80
#define RT_KEYS_FREELIST_MAX 80

/* A free list (CPython's per-type free lists): memory of one kind kept for reuse instead of
 * being freed, up to CPython's limit for that kind. */
struct rt_freelist {
    void *item[RT_TUPLE_FREELIST_MAX]; /* room for the largest limit */
    uint32_t n;                        /* items kept */
    uint32_t max;                      /* the kind's limit, <= RT_TUPLE_FREELIST_MAX */
};
#define RT_SMALL_NEG 5
#define RT_SMALL_POS 257
#define RT_STATIC_REFCNT 999999999 /* 3.11's _PyObject_IMMORTAL_INIT */
#define RT_SHARED_KEYS_MAX 30      /* 3.11 SHARED_KEYS_MAX_SIZE */
#define RT_TRASHCAN_DEPTH 50       /* 3.11 _PyTrash_UNWIND_LEVEL */

/* A small int: the layout of struct rt_int with its one digit (static, outside the heap). */
struct rt_small_int {
    struct rt_object ob;
    intptr_t size;
    uint32_t digit[1];
    bool announced;
};

/* The empty tuple: the layout of struct rt_tuple with no items, after a GC head that is never
 * linked (3.11's static tuple_empty). */
struct rt_empty_tuple {
    struct gc_head gc;
    struct rt_object ob;
    intptr_t size;
};

/* Every free-list line sys._debugmallocstats() has printed, in its order (one function per type,
 * in the order of their files: CFunction, dict with its keys, float, frame, 2.7's int, list, method, then
 * the tuples of 1 to RT_TUPLE_FREELISTS items).  A version prints those its layout names
 * (rt_layout: the *_free sizes, dictkeys_report, tuple_freelists); the line's number in the
 * report (the `freelist` event's index) counts only those.  The runtime keeps no C functions,
 * frames or bound methods: their lines say 0. */
enum {
    RT_FL_CFUNCTION,
    RT_FL_DICT,
    RT_FL_DICTKEYS,
    RT_FL_FLOAT,
    RT_FL_FRAME,
    RT_FL_INT, /* 2.7's int free list (runtime_intblock.c) */
    RT_FL_LIST,
    RT_FL_METHOD,
    RT_FL_TUPLE1,
    RT_FL_COUNT = RT_FL_TUPLE1 + RT_TUPLE_FREELISTS
};

struct runtime {
    struct heap *heap;
    struct rt_layout layout;
    struct event_sink sink;
    struct gc_state gc;

    /* builtin types */
    struct rt_type t_none, t_int, t_float, t_str, t_tuple, t_list, t_dict, t_set, t_frozenset,
        t_function, t_weakref, t_proxy;
    uint32_t next_type_id;
    struct rt_type *classes;

    /* static objects */
    struct rt_object none;
    bool none_announced;
    struct rt_small_int *small_ints; /* RT_SMALL_NEG + RT_SMALL_POS, libc memory */
    struct rt_empty_tuple empty_tuple;
    bool empty_tuple_announced;

    /* interned strings: an open-addressing set (libc memory); holds one reference each */
    struct rt_str **interned;
    size_t ninterned, interned_cap;
    struct rt_object **consts; /* literals, each holding one reference (co_consts) */
    size_t nconsts, consts_cap;

    /* free lists: the objects' (floats, tuples of 1 to RT_TUPLE_FREELISTS items, lists, dicts)
     * and the small unicode key tables' */
    struct rt_freelist floats, tuples[RT_TUPLE_FREELISTS], lists, dicts, keys;
    /* each free-list line's part of its `freelist` event that the layout fixes, made once:
     * reported (the version prints the line), its index in the report, its label */
    struct rt_freelist_line {
        bool reported;
        uint8_t index;
        uint8_t label_len;
        char label[40];
    } fl_line[RT_FL_COUNT];

    /* 2.7's ints (runtime_intblock.c): PyIntBlocks from malloc, chained through their first
     * word, and the free ints, chained through their type field as 2.7's free_list is */
    void *int_blocks;
    struct rt_int *int_free;
    uint32_t int_nfree; /* the length of int_free: the report's "free PyIntObjects" */

    /* frames: frames[0] is the module */
    struct rt_frame *frames;
    size_t nframes, frames_cap;
    uint64_t next_frame_id;

    /* the trashcan: deallocations deferred past RT_TRASHCAN_DEPTH */
    unsigned dealloc_depth;
    struct rt_object **trash;
    size_t ntrash, trash_cap;

    uint64_t dict_version;
    uint64_t live, created, destroyed;
    bool shutting_down;    /* rt_shutdown: free lists take nothing more */
    bool shut_down;        /* rt_shutdown has run */
    bool final_collection; /* rt_delete's collection: legacy __del__ no longer runs */
};

/* ---- emitting ------------------------------------------------------------------------------ */

static inline bool rt_on(const struct runtime *rt)
{
    return rt->sink.emit != NULL;
}
/* An event of kind k with no text and its fields 0, filled member by member: a sink's first
 * loads (its kind, its text) then each read one store.  An initialiser zeroing the struct lets
 * the compiler cover it with wide stores that straddle members, and a load of a member split
 * between two of them waits for both to reach the cache (a stall on every event). */
static inline void rt_event_init(struct event *ev, enum event_kind k)
{
    ev->kind = k;
    ev->seq = 0;
    ev->str = NULL;
    ev->str_len = 0;
    memset(&ev->u, 0, sizeof ev->u);
}

static inline void rt_emit(struct runtime *rt, struct event *ev)
{
    rt->sink.emit(rt->sink.ctx, ev);
}
void rt_emit_text(struct runtime *rt, enum event_kind kind, uint64_t f0, uint64_t f1,
                  const char *text);

/* Tells the sink that free-list line `line` (RT_FL_*) changed (a `freelist` event), when the
 * version reports it. */
void rt_freelist_changed(struct runtime *rt, unsigned line);
/* Keeps p on the list when it has room and the runtime is not shutting down; false when the
 * caller must free it. */
bool rt_freelist_push(struct runtime *rt, struct rt_freelist *fl, void *p);
/* The item kept last, taken off the list, or NULL when the list is empty. */
void *rt_freelist_pop(struct rt_freelist *fl);
/* The memory of a new object from its kind's free list (free-list line `line`): the object
 * kept last, with *flags = EV_OBJ_FREELIST and the line's change told; NULL when the list is
 * empty and the caller allocates. */
void *rt_freelist_take(struct runtime *rt, struct rt_freelist *fl, unsigned line, unsigned *flags);

#define RT_EMIT(rt, KIND, member, ...)                                                          \
    do {                                                                                        \
        if (rt_on(rt)) {                                                                        \
            struct event ev_;                                                                   \
            rt_event_init(&ev_, EV_##KIND);                                                     \
            ev_.u.member = (struct event_##member){__VA_ARGS__};                                \
            rt_emit((rt), &ev_);                                                                \
        }                                                                                       \
    } while (0)

static inline uint64_t rt_addr(const void *p)
{
    return (uint64_t)(uintptr_t)p;
}

/* ---- shared internals ----------------------------------------------------------------------- */

/* runtime.c */
/* A builtin type numbered and announced on first use (set, frozenset): gives it its id. */
void rt_type_use(struct runtime *rt, struct rt_type *t);
void rt_announce(struct runtime *rt, struct rt_object *o); /* static objects: first use */
bool rt_is_static(const struct runtime *rt, const struct rt_object *o);
void *rt_gc_alloc(struct runtime *rt, const struct rt_type *t, size_t size, size_t presize);
void rt_gc_free(struct runtime *rt, struct rt_object *o);
/* A container's memory from its kind's free list (rt_freelist_take), else from rt_gc_alloc. */
void *rt_gc_take(struct runtime *rt, struct rt_freelist *fl, unsigned line, const struct rt_type *t, size_t size,
                 unsigned *flags);
void rt_object_init(struct runtime *rt, struct rt_object *o, const struct rt_type *t,
                    size_t size, unsigned obj_flags);
void rt_clear_freelists(struct runtime *rt);
void rt_function_call(struct runtime *rt, struct rt_object *fn, struct rt_object *arg);
/* Room for one more item in an array of libc memory (*items, n used of *cap, `size` bytes
 * each), doubling it when it is full.  Returns 0 or RT_ENOMEM. */
int rt_array_room(void **items, size_t n, size_t *cap, size_t size);

/* runtime_intblock.c: 2.7's ints (a layout with int_fixed) */
/* PyInt_FromLong's memory: the head of the int free list, filled with a new PyIntBlock when it
 * is empty; NULL when malloc fails. */
struct rt_int *rt_int27_take(struct runtime *rt);
/* int_dealloc: the int goes onto the free list (an obj_free of flag FREELIST), never back to
 * the allocator. */
void rt_int27_keep(struct runtime *rt, struct rt_object *o);
/* PyInt_ClearFreeList: frees the blocks that hold no live int, and threads the free ints of
 * the others into a new free list. */
void rt_int27_clear(struct runtime *rt);

/* runtime_dealloc.c */
void rt_dealloc(struct runtime *rt, struct rt_object *o);
void rt_traverse(struct rt_object *o, rt_visit_fn visit, void *arg);
void rt_clear(struct runtime *rt, struct rt_object *o); /* tp_clear */
bool rt_type_has_clear(const struct rt_type *t);
void rt_weakref_clear(struct runtime *rt, struct rt_weakref *wr, enum ev_weakref_why why);
struct rt_object **rt_instance_slots(const struct rt_object *o, size_t *n);
void rt_run_finalizer(struct runtime *rt, struct rt_object *o, enum ev_finalizer_kind kind);

/* runtime_objects.c */
void rt_interned_remove(struct runtime *rt, struct rt_str *s); /* a dying interned string */
intptr_t rt_str_hash(const struct rt_str *s);
/* Where an instance's attribute values are: the values array (managed dict) or the slots. */
struct rt_object ***rt_values_ptr(const struct rt_object *o);

/* runtime_set.c */
void rt_set_traverse(struct rt_set *s, rt_visit_fn visit, void *arg);
void rt_set_clear_items(struct runtime *rt, struct rt_set *s);
void rt_set_dealloc_items(struct runtime *rt, struct rt_set *s);
size_t rt_set_sizeof(const struct rt_set *s);
struct rt_object *rt_set_copy(struct runtime *rt, struct rt_object *set);
/* The i-th used entry's key, in table order, borrowed; NULL past the end. */
struct rt_object *rt_set_item(const struct rt_object *set, size_t i);

/* runtime_dict.c */
int rt_dict_insert(struct runtime *rt, struct rt_dict *d, struct rt_object *key,
                   struct rt_object *value);
void rt_dict_traverse(struct rt_dict *d, rt_visit_fn visit, void *arg);
void rt_dict_dealloc_items(struct runtime *rt, struct rt_dict *d);
void rt_dict_clear_items(struct runtime *rt, struct rt_dict *d);
void rt_dict_keys_free(struct runtime *rt, struct rt_dict_keys *k, const struct rt_object *owner);
bool rt_dict_may_untrack(const struct rt_dict *d);
struct rt_object *rt_dict_copy(struct runtime *rt, struct rt_object *dict);
size_t rt_dict_keys_bytes(const struct rt_dict_keys *k);
/* sys.getsizeof(d) under the layout of d's type. */
size_t rt_dict_sizeof(const struct rt_dict *d);
struct rt_object *rt_dict_new_split(struct runtime *rt); /* an instance's __dict__ */
/* The value stored under the str key `name`, borrowed; NULL when missing. */
struct rt_object *rt_dict_get_str(const struct rt_object *d, const char *name);
int64_t rt_hash(const struct rt_object *o);
bool rt_eq(const struct rt_object *a, const struct rt_object *b);

/* gc.c */
void gc_state_init(struct runtime *rt, const struct gc_profile *p);
void gc_state_release(struct runtime *rt);
void gc_track(struct runtime *rt, struct rt_object *o);
void gc_untrack(struct runtime *rt, struct rt_object *o);
bool gc_obj_is_tracked(const struct rt_object *o);
void gc_on_alloc(struct runtime *rt);  /* count0 += 1 and maybe collect */
void gc_on_free(struct runtime *rt);   /* count0 -= 1 */
bool gc_may_be_tracked(const struct rt_object *o);
int64_t gc_collect_reason(struct runtime *rt, int generation, enum ev_gc_reason reason);
void gc_debug_printf(struct runtime *rt, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* gc.c, shared with gc_incremental.c: counts, tuples, and one collection's body. */
void gc_set_count(struct runtime *rt, size_t g, uint32_t count);
void gc_untrack_tuples(struct runtime *rt, struct gc_head *head);
/* Finds the unreachable among `young` (generation young_gen in the events) and breaks their
 * cycles; the survivors and everything else that stays alive go to `old` (old_gen); `full`:
 * the whole heap is collected (free lists cleared).  Emits the phases from UPDATE_REFS on, and
 * GC_END.  Returns collected + uncollectable and fills both. */
int64_t gc_collect_region(struct runtime *rt, struct gc_head *young, size_t young_gen, struct gc_head *old,
                          size_t old_gen, size_t gen, bool full, uint64_t t0, int64_t *n_collected,
                          int64_t *n_uncollectable);
uint64_t gc_now_nanos(void);

/* gc_incremental.c: the incremental collector of 3.14.0-3.14.4 */
static inline unsigned gc_old_space(const struct gc_head *g)
{
    return (g->prev & GC_PREV_MASK_OLD_SPACE) != 0;
}
static inline void gc_set_old_space(struct gc_head *g, unsigned space)
{
    g->prev = (g->prev & ~GC_PREV_MASK_OLD_SPACE) | (space ? GC_PREV_MASK_OLD_SPACE : 0);
}
void gc_incr_init(struct runtime *rt);
/* gc.collect(generation) under the incremental profile: 0 young, 1 one increment, 2 full. */
int64_t gc_incr_collect(struct runtime *rt, int generation, enum ev_gc_reason reason, int64_t *n_collected,
                        int64_t *n_uncollectable);
void gc_incr_freeze(struct runtime *rt);
bool gc_incr_is_valid(const struct runtime *rt, char *err, size_t errlen);

#endif
