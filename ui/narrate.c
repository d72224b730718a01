/*
 * narrate.c - the sentence for each event; see narrate.h.
 *
 * Sentences are short, lowercase after the address or the kind that opens them, and use the
 * words of docs/cpython-memory.md 3.7: a pool is untouched, used, full or empty; a class has a
 * ring of used pools; an arena has a cache of empty pools; blocks are allocated, on the free
 * list, or virgin.
 *
 * A sentence says what its event did and nothing after it: the events state every effect (a pool
 * becoming full is its own event, with its own sentence), so no sentence needs the events that
 * follow.  Every kind has the sentence of its row in the event table (allocator/event.h), its
 * fields put in where it names them, pools by their index in their arena and objects by their
 * type.  The kinds with more to say (a reason in words, a class's block size, what an allocation
 * took from virgin space) have a sayer of their own here, in `sayers`; a kind added to the table
 * is narrated without one.
 */
#include <ui/narrate.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define TEXT_ITEM(name, text) [EV_##name] = text,
static const char *const raw_why[] = {EV_RAW_WHY(TEXT_ITEM)};
static const char *const realloc_outcome[] = {EV_REALLOC_OUTCOMES(TEXT_ITEM)};
static const char *const ref_reason[] = {EV_REF_REASONS(TEXT_ITEM)};
static const char *const weakref_why[] = {EV_WEAKREF_WHY(TEXT_ITEM)};
static const char *const finalizer_kind[] = {EV_FINALIZER_KINDS(TEXT_ITEM)};
static const char *const gc_reason[] = {EV_GC_REASONS(TEXT_ITEM)};
static const char *const gc_phase[] = {EV_GC_PHASES(TEXT_ITEM)};
static const char *const gc_mark[] = {EV_GC_MARKS(TEXT_ITEM)};
#undef TEXT_ITEM

#define TEXT_OF(table, i) ((uint64_t)(i) < sizeof table / sizeof table[0] ? table[i] : "?")

struct out {
    char *buf;
    size_t len, used;
};

static void say(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(struct out *o, const char *fmt, ...)
{
    if (o->used + 1 >= o->len)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->used, o->len - o->used, fmt, ap);
    va_end(ap);
    if (n > 0)
        o->used += (size_t)n < o->len - o->used ? (size_t)n : o->len - o->used - 1;
}

/* "pool 5 of arena 0" */
static void say_pool(struct out *o, const struct model *m, uint64_t addr)
{
    struct model_pool p;
    if (m && model_pool_find(m, addr, &p))
        say(o, "pool %" PRIu32 " of arena %" PRIu32, p.index, p.slot);
    else
        say(o, "the pool at 0x%" PRIx64, addr);
}

static uint32_t pool_class(const struct model *m, uint64_t addr)
{
    struct model_pool p;
    if (m && model_pool_find(m, addr, &p))
        return p.szidx;
    return MODEL_NO_CLASS;
}

static void say_class_ring(struct out *o, uint32_t szidx)
{
    if (szidx == MODEL_NO_CLASS)
        say(o, "its class's ring");
    else
        say(o, "class %" PRIu32 "'s ring", szidx);
}

/* "the list at 0x..." or "the object at 0x..." */
static void say_object(struct out *o, const struct model *m, uint64_t addr)
{
    struct model_object obj;
    if (m && model_object_find(m, addr, &obj) && obj.type_name)
        say(o, "the %s at 0x%" PRIx64, obj.type_name, addr);
    else
        say(o, "the object at 0x%" PRIx64, addr);
}

const char *ui_article(const char *word)
{
    return word && strchr("aeiouAEIOU", word[0]) && word[0] ? "an" : "a";
}

static const char *type_name(const struct model *m, uint32_t id)
{
    struct model_type t;
    if (m && model_type(m, id, &t) && t.name)
        return t.name;
    return "object";
}

static void say_ref(struct out *o, const struct model *m, const struct event *ev, bool inc)
{
    uint64_t obj = inc ? ev->u.incref.obj : ev->u.decref.obj;
    uint64_t refcnt = inc ? ev->u.incref.refcnt : ev->u.decref.refcnt;
    uint64_t reason = inc ? ev->u.incref.reason : ev->u.decref.reason;
    uint64_t owner = inc ? ev->u.incref.owner : ev->u.decref.owner;
    say(o, "%s: ", inc ? "incref" : "decref");
    say_object(o, m, obj);
    say(o, " now has refcount %" PRIu64 " (was %" PRIu64 ")", refcnt, inc ? refcnt - 1 : refcnt + 1);
    const char *why = TEXT_OF(ref_reason, reason);
    if (*why || owner)
        say(o, ": ");
    if (*why)
        say(o, "%s", why);
    if (owner) {
        say(o, "%s", *why ? ", " : "");
        say(o, inc ? "held by " : "dropped by ");
        say_object(o, m, owner);
    }
    if (!inc && refcnt == 0)
        say(o, "; nothing refers to it any more, so it is deallocated");
}

/* ---- the table's sentence, with its fields put in ------------------------------------------- */

/* "{name}" in the kind's sentence: the field of that name, a pool or an object by its name, an
 * address in hex, a number in decimal, the text as it is. */
static void say_field(struct out *o, const struct model *m, const struct event *ev, const char *name,
                      size_t len)
{
    enum event_kind k = ev->kind;
    const char *tn = event_kind_text_name(k);
    if (tn && strlen(tn) == len && memcmp(tn, name, len) == 0) {
        say(o, "%.*s", (int)ev->str_len, ev->str ? ev->str : "");
        return;
    }
    for (size_t i = 0; i < event_kind_field_count(k); i++) {
        const char *fn = event_kind_field_name(k, i);
        if (strlen(fn) != len || memcmp(fn, name, len) != 0)
            continue;
        uint64_t v = ev->u.f[i];
        if ((int)i == event_kind_role(k, EV_ROLE_POOL))
            say_pool(o, m, v);
        else if ((int)i == event_kind_role(k, EV_ROLE_OBJ))
            say_object(o, m, v);
        else if (event_kind_field_type(k, i) == 'a' || event_kind_field_type(k, i) == 'p')
            say(o, "0x%" PRIx64, v);
        else if (event_kind_field_type(k, i) == 'i')
            say(o, "%" PRId64, (int64_t)v);
        else
            say(o, "%" PRIu64, v);
        return;
    }
    say(o, "{%.*s}", (int)len, name);
}

static void say_table(struct out *o, const struct model *m, const struct event *ev)
{
    const char *t = event_kind_say(ev->kind);
    while (*t) {
        const char *open = strchr(t, '{'), *close = open ? strchr(open, '}') : NULL;
        if (!close) {
            say(o, "%s", t);
            return;
        }
        say(o, "%.*s", (int)(open - t), t);
        say_field(o, m, ev, open + 1, (size_t)(close - open - 1));
        t = close + 1;
    }
}

/* ---- the kinds with more to say ------------------------------------------------------------- */

typedef void say_fn(struct out *o, const struct model *m, const struct event *ev);

static void say_arena_new(struct out *o, const struct model *m, const struct event *ev)
{
    const struct event_arena_new *e = &ev->u.arena_new;
    struct model_geometry g = {0};
    if (m)
        model_geometry(m, &g);
    say(o, "a new arena (number %" PRIu64 ") is obtained at 0x%" PRIx64 ": %" PRIu64 " pools", e->serial, e->base,
        e->npools);
    if (g.pool_size)
        say(o, " of %" PRIu32 " KiB", g.pool_size / 1024);
    if (e->sliver)
        say(o, ", %" PRIu64 " bytes before the first pool boundary lost to alignment", e->sliver);
    say(o, "; it takes slot %" PRIu64 " of the arenas vector", e->slot);
}

static void say_arena_move(struct out *o, const struct model *m, const struct event *ev)
{
    (void)m;
    const struct event_arena_move *e = &ev->u.arena_move;
    if (e->after < 0)
        say(o, "arena %" PRIu64 " leaves usable_arenas, where new pools are taken from: it has no free pool left, "
               "or it is about to be returned to the system", e->slot);
    else if (e->after == 0)
        say(o, "arena %" PRIu64 " moves to the head of usable_arenas, where pools are taken first "
               "(the list is sorted by free pools, fewest first)", e->slot);
    else
        say(o, "arena %" PRIu64 " moves in usable_arenas to just after arena %" PRId64
               ", keeping the list sorted by free pools, fewest first", e->slot, e->after - 1);
}

static void say_pool_init(struct out *o, const struct model *m, const struct event *ev)
{
    const struct event_pool_init *e = &ev->u.pool_init;
    say_pool(o, m, e->pool);
    uint32_t sz = m ? model_class_size(m, (uint32_t)e->szidx) : 0;
    say(o, " is set up for class %" PRIu64, e->szidx);
    if (sz)
        say(o, " (%" PRIu32 "-byte blocks, %" PRIu32 " to a pool)", sz, model_class_capacity(m, (uint32_t)e->szidx));
    say(o, ": it becomes the only pool in the class's ring");
}

static void say_pool_full(struct out *o, const struct model *m, const struct event *ev)
{
    say_pool(o, m, ev->u.pool_full.pool);
    say(o, " gave out its last free block: it is full and leaves ");
    say_class_ring(o, pool_class(m, ev->u.pool_full.pool));
}

static void say_pool_unfull(struct out *o, const struct model *m, const struct event *ev)
{
    say_pool(o, m, ev->u.pool_unfull.pool);
    say(o, " was full and has a free block again: it goes back to the front of ");
    say_class_ring(o, pool_class(m, ev->u.pool_unfull.pool));
}

static void say_pool_empty(struct out *o, const struct model *m, const struct event *ev)
{
    say_pool(o, m, ev->u.pool_empty.pool);
    say(o, " lost its last allocated block: it is empty and leaves ");
    say_class_ring(o, pool_class(m, ev->u.pool_empty.pool));
    say(o, " for the front of its arena's cache of empty pools");
}

static void say_block_alloc(struct out *o, const struct model *m, const struct event *ev)
{
    const struct event_block_alloc *e = &ev->u.block_alloc;
    struct model_block b;
    bool known = m && model_block_find(m, e->addr, &b);
    say(o, "alloc %" PRIu64 " B: ", e->size);
    if (known) {
        say(o, "class %" PRIu32 " (%" PRIu32 "-byte blocks) hands out block %" PRIu32 " of ", b.szidx, b.size,
            b.index);
        say_pool(o, m, b.pool);
        say(o, " at 0x%" PRIx64, e->addr);
    } else {
        say(o, "the block at 0x%" PRIx64, e->addr);
    }
    if (e->virgin == 2)
        say(o, ", the first of a pool just set up; the next virgin block is threaded as its free list");
    else if (e->virgin == 1)
        say(o, ", the last on its pool's free list; the next virgin block is threaded as the new list");
    else
        say(o, ", the head of its pool's free list");
}

static void say_block_free(struct out *o, const struct model *m, const struct event *ev)
{
    uint64_t addr = ev->u.block_free.addr;
    struct model_pool p;
    say(o, "free 0x%" PRIx64 ": the block goes to the head of ", addr);
    if (m && model_pool_find(m, addr, &p))
        say(o, "pool %" PRIu32 "'s free list", p.index);
    else
        say(o, "its pool's free list");
}

static void say_raw_alloc(struct out *o, const struct model *m, const struct event *ev)
{
    (void)m;
    say(o, "alloc %" PRIu64 " B goes to the C library's malloc (%s): 0x%" PRIx64, ev->u.raw_alloc.size,
        TEXT_OF(raw_why, ev->u.raw_alloc.why), ev->u.raw_alloc.addr);
}

static void say_raw_realloc(struct out *o, const struct model *m, const struct event *ev)
{
    (void)m;
    say(o, "the C library resizes 0x%" PRIx64 " to %" PRIu64 " B", ev->u.raw_realloc.old, ev->u.raw_realloc.size);
    if (ev->u.raw_realloc.addr != ev->u.raw_realloc.old)
        say(o, ", moving it to 0x%" PRIx64, ev->u.raw_realloc.addr);
}

static void say_realloc(struct out *o, const struct model *m, const struct event *ev)
{
    (void)m;
    const struct event_realloc *e = &ev->u.realloc;
    say(o, "realloc to %" PRIu64 " B: %s", e->size, TEXT_OF(realloc_outcome, e->outcome));
    if (e->addr != e->old && e->old)
        say(o, " (0x%" PRIx64 " %s 0x%" PRIx64 ")", e->old, "->", e->addr);
}

static void say_type_new(struct out *o, const struct model *m, const struct event *ev)
{
    (void)m;
    const struct event_type_new *e = &ev->u.type_new;
    say(o, "type %.*s is defined: an instance takes %" PRIu64 " B", (int)ev->str_len, ev->str ? ev->str : "",
        e->basicsize);
    if (e->itemsize)
        say(o, " plus %" PRIu64 " B per item", e->itemsize);
    if (e->flags & EV_TYPE_GC)
        say(o, "; its instances are tracked by the cycle collector");
}

static void say_obj_new(struct out *o, const struct model *m, const struct event *ev)
{
    const struct event_obj_new *e = &ev->u.obj_new;
    say(o, "a new %s at 0x%" PRIx64 " (%" PRIu64 " B", type_name(m, (uint32_t)e->type), e->obj, e->size);
    if (e->flags & EV_OBJ_FREELIST)
        say(o, ", memory reused from its type's free list");
    if (e->flags & EV_OBJ_STATIC)
        say(o, ", statically allocated: in use from the start, seen now for the first time)");
    else
        say(o, ") with refcount 1");
}

static void say_obj_free(struct out *o, const struct model *m, const struct event *ev)
{
    say_object(o, m, ev->u.obj_free.obj);
    say(o, " is destroyed");
    if (ev->u.obj_free.flags & EV_OBJ_FREELIST)
        say(o, "; its memory goes to its type's free list, not back to the pool");
}

static void say_obj_storage(struct out *o, const struct model *m, const struct event *ev)
{
    const struct event_obj_storage *e = &ev->u.obj_storage;
    say_object(o, m, e->obj);
    if (e->addr)
        say(o, " keeps its items in %" PRIu64 " B at 0x%" PRIx64, e->size, e->addr);
    else
        say(o, " no longer has item storage");
}

static void say_incref(struct out *o, const struct model *m, const struct event *ev)
{
    say_ref(o, m, ev, true);
}

static void say_decref(struct out *o, const struct model *m, const struct event *ev)
{
    say_ref(o, m, ev, false);
}

static void say_ref_move(struct out *o, const struct model *m, const struct event *ev)
{
    say(o, "the reference to ");
    say_object(o, m, ev->u.ref_move.obj);
    say(o, " held by ");
    if (ev->u.ref_move.from)
        say_object(o, m, ev->u.ref_move.from);
    else
        say(o, "a name or the stack");
    say(o, " now belongs to ");
    if (ev->u.ref_move.to)
        say_object(o, m, ev->u.ref_move.to);
    else
        say(o, "a name or the stack");
    say(o, "; the refcount does not change");
}

static void say_weakref_new(struct out *o, const struct model *m, const struct event *ev)
{
    say(o, "weak reference 0x%" PRIx64 " to ", ev->u.weakref_new.ref);
    say_object(o, m, ev->u.weakref_new.obj);
    if (ev->u.weakref_new.callback)
        say(o, ", with a callback");
    say(o, "; it does not raise the refcount");
}

static void say_weakref_clear(struct out *o, const struct model *m, const struct event *ev)
{
    (void)m;
    say(o, "weak reference 0x%" PRIx64 " is cleared: %s", ev->u.weakref_clear.ref,
        TEXT_OF(weakref_why, ev->u.weakref_clear.why));
}

static void say_finalize(struct out *o, const struct model *m, const struct event *ev)
{
    say(o, "the finalizer of ");
    say_object(o, m, ev->u.finalize.obj);
    say(o, " runs: %s", TEXT_OF(finalizer_kind, ev->u.finalize.kind));
}

static void say_gc_count(struct out *o, const struct model *m, const struct event *ev)
{
    struct model_gc g;
    if (m)
        model_gc(m, &g);
    if (m && g.incremental && ev->u.gc_count.gen > 0) {
        /* 3.14's gc.get_count()[1] and [2]: young collections counted in old's two spaces */
        say(o, "the count of old's %s space (gc.get_count()[%" PRIu64 "]) is now %" PRIu64,
            ev->u.gc_count.gen == 1 ? "visited" : "pending", ev->u.gc_count.gen, ev->u.gc_count.count);
        return;
    }
    say(o, "generation %" PRIu64 "'s count is now %" PRIu64, ev->u.gc_count.gen, ev->u.gc_count.count);
    if (m) {
        if (ev->u.gc_count.gen < MODEL_MAX_GENERATIONS && g.gen[ev->u.gc_count.gen].threshold)
            say(o, " (threshold %" PRIu64 ")", g.gen[ev->u.gc_count.gen].threshold);
    }
}

static void say_gc_enable(struct out *o, const struct model *m, const struct event *ev)
{
    (void)m;
    say(o, "automatic collection is %s", ev->u.gc_enable.enabled ? "enabled" : "disabled");
}

const char *ui_gc_reason(uint64_t reason, uint64_t gen, uint32_t ngen, char *buf, size_t len)
{
    if (reason == EV_GC_REASON_MANUAL && gen + 1 < ngen)
        snprintf(buf, len, "gc.collect(%" PRIu64 ")", gen);
    else
        snprintf(buf, len, "%s", TEXT_OF(gc_reason, reason));
    return buf;
}

/* The number of generations the collections count in: the model's (3 under the incremental
 * collector, as 3.14's gc module numbers them), or 3 without one. */
static uint32_t generations(const struct model *m)
{
    struct model_gc g;
    if (!m)
        return 3;
    model_gc(m, &g);
    return g.incremental ? 3 : g.ngenerations ? g.ngenerations : 3;
}

static void say_gc_start(struct out *o, const struct model *m, const struct event *ev)
{
    char why[64];
    say(o, "a collection of generation %" PRIu64 " begins: %s", ev->u.gc_start.gen,
        ui_gc_reason(ev->u.gc_start.reason, ev->u.gc_start.gen, generations(m), why, sizeof why));
}

static void say_gc_phase(struct out *o, const struct model *m, const struct event *ev)
{
    (void)m;
    say(o, "collector phase: %s (%" PRIu64 " object%s)", TEXT_OF(gc_phase, ev->u.gc_phase.phase), ev->u.gc_phase.n,
        ev->u.gc_phase.n == 1 ? "" : "s");
}

static void say_gc_refs(struct out *o, const struct model *m, const struct event *ev)
{
    say(o, "the collector's working count of ");
    say_object(o, m, ev->u.gc_refs.obj);
    say(o, " is %" PRId64, ev->u.gc_refs.refs);
    if (ev->u.gc_refs.refs == 0)
        say(o, ": no references from outside the generation so far");
}

static void say_gc_mark(struct out *o, const struct model *m, const struct event *ev)
{
    say_object(o, m, ev->u.gc_mark.obj);
    say(o, ": %s", TEXT_OF(gc_mark, ev->u.gc_mark.mark));
    if (ev->u.gc_mark.via) {
        say(o, " (via ");
        say_object(o, m, ev->u.gc_mark.via);
        say(o, ")");
    }
}

static void say_gc_end(struct out *o, const struct model *m, const struct event *ev)
{
    const struct event_gc_end *e = &ev->u.gc_end;
    char call[32] = "gc.collect()";
    if (e->gen + 1 < generations(m))
        snprintf(call, sizeof call, "gc.collect(%" PRIu64 ")", e->gen);
    say(o, "the collection of generation %" PRIu64 " ends: %" PRIu64 " collected, %" PRIu64
           " uncollectable (%s would return %" PRIu64 ")",
        e->gen, e->collected, e->uncollectable, call, e->collected + e->uncollectable);
}

static void say_stack_def(struct out *o, const struct model *m, const struct event *ev)
{
    (void)m;
    const struct event_stack_def *e = &ev->u.stack_def;
    if (e->parent)
        say(o, "call stack %" PRIu64 " is recorded: frame %" PRIu64 " called from stack %" PRIu64 " (%" PRIu64
               " frame%s deep)",
            e->id, e->frame, e->parent, e->depth, e->depth == 1 ? "" : "s");
    else
        say(o, "call stack %" PRIu64 " is recorded (%" PRIu64 " frame%s)", e->id, e->depth, e->depth == 1 ? "" : "s");
}

static void say_source_text(struct out *o, const struct model *m, const struct event *ev)
{
    (void)m;
    say(o, "file %" PRIu64 ": %d bytes of source", ev->u.source_text.file, (int)ev->str_len);
}

static void say_frame_def(struct out *o, const struct model *m, const struct event *ev)
{
    (void)m;
    /* a Python frame is "FUNCTION\tFILE\tLINE" */
    const int sl = (int)ev->str_len;
    const char *str = ev->str ? ev->str : "";
    const char *t1 = memchr(str, '\t', (size_t)sl);
    const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(str + sl - t1 - 1)) : NULL;
    if (t1 && t2) {
        const char *file = t1 + 1;
        const char *base = file;
        for (const char *q = file; q < t2; q++)
            if (*q == '/')
                base = q + 1;
        say(o, "frame %" PRIu64 " of call stacks: %.*s, line %.*s of %.*s", ev->u.frame_def.id, (int)(t1 - str), str,
            (int)(str + sl - t2 - 1), t2 + 1, (int)(t2 - base), base);
    } else {
        say(o, "frame %" PRIu64 " of call stacks: %.*s", ev->u.frame_def.id, sl, str);
    }
}

static void say_print(struct out *o, const struct model *m, const struct event *ev)
{
    (void)m;
    const char *str = ev->str ? ev->str : "";
    int n = (int)ev->str_len;
    while (n > 0 && (str[n - 1] == '\n' || str[n - 1] == '\r'))
        n--;
    say(o, "the program prints: %.*s", n, str);
}

static void say_freelist(struct out *o, const struct model *m, const struct event *ev)
{
    (void)m;
    say(o, "the free list of %.*s now holds %" PRIu64 " object%s of %" PRIu64 " B", (int)ev->str_len,
        ev->str ? ev->str : "", ev->u.freelist.count, ev->u.freelist.count == 1 ? "" : "s", ev->u.freelist.each);
}

/* The kinds with more to say than their table sentence; the others are narrated by it. */
static say_fn *const sayers[EV_KIND_COUNT] = {
    [EV_ARENA_NEW] = say_arena_new,       [EV_ARENA_MOVE] = say_arena_move,
    [EV_POOL_INIT] = say_pool_init,       [EV_POOL_FULL] = say_pool_full,
    [EV_POOL_UNFULL] = say_pool_unfull,   [EV_POOL_EMPTY] = say_pool_empty,
    [EV_BLOCK_ALLOC] = say_block_alloc,   [EV_BLOCK_FREE] = say_block_free,
    [EV_RAW_ALLOC] = say_raw_alloc,       [EV_RAW_REALLOC] = say_raw_realloc,
    [EV_REALLOC] = say_realloc,           [EV_TYPE_NEW] = say_type_new,
    [EV_OBJ_NEW] = say_obj_new,           [EV_OBJ_FREE] = say_obj_free,
    [EV_OBJ_STORAGE] = say_obj_storage,   [EV_INCREF] = say_incref,
    [EV_DECREF] = say_decref,             [EV_REF_MOVE] = say_ref_move,
    [EV_WEAKREF_NEW] = say_weakref_new,   [EV_WEAKREF_CLEAR] = say_weakref_clear,
    [EV_FINALIZE] = say_finalize,         [EV_GC_COUNT] = say_gc_count,
    [EV_GC_ENABLE] = say_gc_enable,       [EV_GC_START] = say_gc_start,
    [EV_GC_PHASE] = say_gc_phase,         [EV_GC_REFS] = say_gc_refs,
    [EV_GC_MARK] = say_gc_mark,           [EV_GC_END] = say_gc_end,
    [EV_STACK_DEF] = say_stack_def,       [EV_SOURCE_TEXT] = say_source_text,
    [EV_FRAME_DEF] = say_frame_def,       [EV_PRINT] = say_print,
    [EV_FREELIST] = say_freelist,
};

size_t ui_narrate(const struct model *m, const struct event *ev, char *buf, size_t len)
{
    struct out o = {buf, len, 0};
    if (len == 0)
        return 0;
    buf[0] = '\0';
    if ((unsigned)ev->kind >= EV_KIND_COUNT)
        say(&o, "an event of an unknown kind");
    else if (sayers[ev->kind])
        sayers[ev->kind](&o, m, ev);
    else
        say_table(&o, m, ev);
    return o.used;
}
