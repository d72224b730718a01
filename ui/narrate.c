/*
 * narrate.c - the sentence for each event; see narrate.h.
 *
 * Sentences are short, lowercase after the address or the kind that opens them, and use the
 * words of docs/cpython-memory.md 3.7: a pool is untouched, used, full or empty; a class has a
 * ring of used pools; an arena has a cache of empty pools; blocks are allocated, on the free
 * list, or virgin.
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

static const char *type_name(const struct model *m, uint32_t id)
{
    struct model_type t;
    if (m && model_type(m, id, &t) && t.name)
        return t.name;
    return "object";
}

/* The first event among next[] of `kind` whose first field is `addr`, or NULL. */
static const struct event *find_next(const struct event *next, size_t n, enum event_kind kind,
                                     uint64_t addr)
{
    for (size_t i = 0; i < n; i++)
        if (next[i].kind == kind && next[i].u.f[0] == addr)
            return &next[i];
    return NULL;
}

static void say_block_alloc(struct out *o, const struct model *m, const struct event *ev,
                            const struct event *next, size_t nnext)
{
    const struct event_block_alloc *e = &ev->u.block_alloc;
    struct model_block b;
    bool known = m && model_block_find(m, e->addr, &b);
    say(o, "alloc %" PRIu64 " B: ", e->size);
    if (known) {
        say(o, "class %" PRIu32 " (%" PRIu32 "-byte blocks) hands out block %" PRIu32 " of ", b.szidx,
            b.size, b.index);
        say_pool(o, m, b.pool);
        say(o, " at 0x%" PRIx64 ", the head of its free list", e->addr);
    } else {
        say(o, "the block at 0x%" PRIx64 ", the head of its pool's free list", e->addr);
    }
    uint64_t pool = known ? b.pool : 0;
    if (pool && find_next(next, nnext, EV_POOL_FULL, pool)) {
        say(o, "; that was its last free block, so the pool is full and leaves ");
        say_class_ring(o, known ? b.szidx : MODEL_NO_CLASS);
    }
}

static void say_block_free(struct out *o, const struct model *m, const struct event *ev,
                           const struct event *next, size_t nnext)
{
    uint64_t addr = ev->u.block_free.addr;
    struct model_pool p;
    bool known = m && model_pool_find(m, addr, &p);
    say(o, "free 0x%" PRIx64 ": the block goes to the head of ", addr);
    if (known)
        say(o, "pool %" PRIu32 "'s free list", p.index);
    else
        say(o, "its pool's free list");
    if (!known)
        return;
    if (find_next(next, nnext, EV_POOL_UNFULL, p.addr)) {
        say(o, "; the pool was full, so it returns to the front of ");
        say_class_ring(o, p.szidx);
    } else if (find_next(next, nnext, EV_POOL_EMPTY, p.addr)) {
        say(o, "; it was the pool's last block in use, so the pool is empty and goes to its "
               "arena's cache of empty pools");
        for (size_t i = 0; i < nnext; i++)
            if (next[i].kind == EV_ARENA_FREE && next[i].u.arena_free.slot == p.slot) {
                say(o, "; the arena is then wholly free and is returned to the system");
                break;
            }
    }
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

size_t ui_narrate(const struct model *m, const struct event *ev, const struct event *next,
                  size_t nnext, char *buf, size_t len)
{
    struct out o = {buf, len, 0};
    if (len == 0)
        return 0;
    buf[0] = '\0';
    const int sl = (int)ev->str_len;
    const char *str = ev->str ? ev->str : "";
    switch (ev->kind) {
    case EV_ARENA_NEW: {
        const struct event_arena_new *e = &ev->u.arena_new;
        struct model_geometry g = {0};
        if (m)
            model_geometry(m, &g);
        say(&o, "a new arena (number %" PRIu64 ") is obtained at 0x%" PRIx64 ": %" PRIu64 " pools",
            e->serial, e->base, e->npools);
        if (g.pool_size)
            say(&o, " of %" PRIu32 " KiB", g.pool_size / 1024);
        if (e->sliver)
            say(&o, ", %" PRIu64 " bytes before the first pool boundary lost to alignment", e->sliver);
        say(&o, "; it takes slot %" PRIu64 " of the arenas vector", e->slot);
        break;
    }
    case EV_ARENA_FREE:
        say(&o, "the arena in slot %" PRIu64 " (0x%" PRIx64 ") holds only empty pools: it is returned to the system",
            ev->u.arena_free.slot, ev->u.arena_free.base);
        break;
    case EV_ARENA_MOVE: {
        const struct event_arena_move *e = &ev->u.arena_move;
        if (e->after < 0) {
            bool freed = false;
            for (size_t i = 0; i < nnext; i++)
                if (next[i].kind == EV_ARENA_FREE && next[i].u.arena_free.slot == e->slot)
                    freed = true;
            say(&o, "arena %" PRIu64 " leaves usable_arenas: %s", e->slot,
                freed ? "it is about to be returned to the system" : "it has no free pool left");
        } else if (e->after == 0) {
            say(&o, "arena %" PRIu64 " moves to the head of usable_arenas, where pools are taken first "
                    "(the list is sorted by free pools, fewest first)", e->slot);
        } else {
            say(&o, "arena %" PRIu64 " moves in usable_arenas to just after arena %" PRId64
                    ", keeping the list sorted by free pools, fewest first", e->slot, e->after - 1);
        }
        break;
    }
    case EV_ARENA_VECTOR:
        say(&o, "the arenas vector grows to %" PRIu64 " slots", ev->u.arena_vector.slots);
        break;
    case EV_POOL_CARVE:
        say(&o, "a new pool is carved from the arena's untouched memory: ");
        say_pool(&o, m, ev->u.pool_carve.pool);
        say(&o, " (the arena's high-water mark moves up)");
        break;
    case EV_POOL_UNCACHE:
        say_pool(&o, m, ev->u.pool_uncache.pool);
        say(&o, " is taken back from its arena's cache of empty pools");
        break;
    case EV_POOL_INIT: {
        const struct event_pool_init *e = &ev->u.pool_init;
        say_pool(&o, m, e->pool);
        uint32_t sz = m ? model_class_size(m, (uint32_t)e->szidx) : 0;
        say(&o, " is set up for class %" PRIu64, e->szidx);
        if (sz)
            say(&o, " (%" PRIu32 "-byte blocks, %" PRIu32 " to a pool)", sz,
                model_class_capacity(m, (uint32_t)e->szidx));
        say(&o, ": it becomes the only pool in the class's ring");
        break;
    }
    case EV_POOL_FULL:
        say_pool(&o, m, ev->u.pool_full.pool);
        say(&o, " is full: it leaves ");
        say_class_ring(&o, pool_class(m, ev->u.pool_full.pool));
        break;
    case EV_POOL_UNFULL:
        say_pool(&o, m, ev->u.pool_unfull.pool);
        say(&o, " has a free block again: it goes back to the front of ");
        say_class_ring(&o, pool_class(m, ev->u.pool_unfull.pool));
        break;
    case EV_POOL_EMPTY:
        say_pool(&o, m, ev->u.pool_empty.pool);
        say(&o, " is empty: it leaves ");
        say_class_ring(&o, pool_class(m, ev->u.pool_empty.pool));
        say(&o, " for the front of its arena's cache of empty pools");
        break;
    case EV_BLOCK_ALLOC:
        say_block_alloc(&o, m, ev, next, nnext);
        break;
    case EV_BLOCK_FREE:
        say_block_free(&o, m, ev, next, nnext);
        break;
    case EV_RAW_ALLOC:
        say(&o, "alloc %" PRIu64 " B goes to the C library's malloc (%s): 0x%" PRIx64, ev->u.raw_alloc.size,
            TEXT_OF(raw_why, ev->u.raw_alloc.why), ev->u.raw_alloc.addr);
        break;
    case EV_RAW_FREE:
        say(&o, "free 0x%" PRIx64 ": a block of the C library's malloc, given back to it", ev->u.raw_free.addr);
        break;
    case EV_RAW_REALLOC:
        say(&o, "the C library resizes 0x%" PRIx64 " to %" PRIu64 " B", ev->u.raw_realloc.old,
            ev->u.raw_realloc.size);
        if (ev->u.raw_realloc.addr != ev->u.raw_realloc.old)
            say(&o, ", moving it to 0x%" PRIx64, ev->u.raw_realloc.addr);
        break;
    case EV_REALLOC: {
        const struct event_realloc *e = &ev->u.realloc;
        say(&o, "realloc to %" PRIu64 " B: %s", e->size, TEXT_OF(realloc_outcome, e->outcome));
        if (e->addr != e->old && e->old)
            say(&o, " (0x%" PRIx64 " %s 0x%" PRIx64 ")", e->old, "->", e->addr);
        break;
    }
    case EV_CALLOC:
        say(&o, "calloc of %" PRIu64 " x %" PRIu64 " B: 0x%" PRIx64 ", zero-filled", ev->u.calloc.nmemb,
            ev->u.calloc.size, ev->u.calloc.addr);
        break;
    case EV_TYPE_NEW: {
        const struct event_type_new *e = &ev->u.type_new;
        say(&o, "type %.*s is defined: an instance takes %" PRIu64 " B", sl, str, e->basicsize);
        if (e->itemsize)
            say(&o, " plus %" PRIu64 " B per item", e->itemsize);
        if (e->flags & EV_TYPE_GC)
            say(&o, "; its instances are tracked by the cycle collector");
        break;
    }
    case EV_OBJ_NEW: {
        const struct event_obj_new *e = &ev->u.obj_new;
        say(&o, "a new %s at 0x%" PRIx64 " (%" PRIu64 " B", type_name(m, (uint32_t)e->type), e->obj, e->size);
        if (e->flags & EV_OBJ_FREELIST)
            say(&o, ", memory reused from its type's free list");
        if (e->flags & EV_OBJ_STATIC)
            say(&o, ", statically allocated");
        say(&o, ") with refcount 1");
        break;
    }
    case EV_OBJ_FREE:
        say_object(&o, m, ev->u.obj_free.obj);
        say(&o, " is destroyed");
        if (ev->u.obj_free.flags & EV_OBJ_FREELIST)
            say(&o, "; its memory goes to its type's free list, not back to the pool");
        break;
    case EV_OBJ_STORAGE: {
        const struct event_obj_storage *e = &ev->u.obj_storage;
        say_object(&o, m, e->obj);
        if (e->addr)
            say(&o, " keeps its items in %" PRIu64 " B at 0x%" PRIx64, e->size, e->addr);
        else
            say(&o, " no longer has item storage");
        break;
    }
    case EV_INCREF:
        say_ref(&o, m, ev, true);
        break;
    case EV_DECREF:
        say_ref(&o, m, ev, false);
        break;
    case EV_REF_MOVE:
        say(&o, "the reference to ");
        say_object(&o, m, ev->u.ref_move.obj);
        say(&o, " held by ");
        if (ev->u.ref_move.from)
            say_object(&o, m, ev->u.ref_move.from);
        else
            say(&o, "a name or the stack");
        say(&o, " now belongs to ");
        if (ev->u.ref_move.to)
            say_object(&o, m, ev->u.ref_move.to);
        else
            say(&o, "a name or the stack");
        say(&o, "; the refcount does not change");
        break;
    case EV_OBJ_VALUE:
        say_object(&o, m, ev->u.obj_value.obj);
        say(&o, " is %.*s", sl, str);
        break;
    case EV_FRAME_PUSH:
        say(&o, "call %.*s(): a new frame for its names", sl, str);
        break;
    case EV_FRAME_POP:
        say(&o, "a function returns: its frame and the references of its names are dropped");
        break;
    case EV_NAME_BIND:
        say(&o, "name '%.*s' now refers to ", sl, str);
        say_object(&o, m, ev->u.name_bind.obj);
        break;
    case EV_NAME_UNBIND:
        say(&o, "name '%.*s' is deleted", sl, str);
        break;
    case EV_WEAKREF_NEW:
        say(&o, "weak reference 0x%" PRIx64 " to ", ev->u.weakref_new.ref);
        say_object(&o, m, ev->u.weakref_new.obj);
        if (ev->u.weakref_new.callback)
            say(&o, ", with a callback");
        say(&o, "; it does not raise the refcount");
        break;
    case EV_WEAKREF_CLEAR:
        say(&o, "weak reference 0x%" PRIx64 " is cleared: %s", ev->u.weakref_clear.ref,
            TEXT_OF(weakref_why, ev->u.weakref_clear.why));
        break;
    case EV_WEAKREF_CALL:
        say(&o, "the callback of weak reference 0x%" PRIx64 " runs", ev->u.weakref_call.ref);
        break;
    case EV_FINALIZE:
        say(&o, "the finalizer of ");
        say_object(&o, m, ev->u.finalize.obj);
        say(&o, " runs: %s", TEXT_OF(finalizer_kind, ev->u.finalize.kind));
        break;
    case EV_GC_TRACK:
        say(&o, "the collector tracks ");
        say_object(&o, m, ev->u.gc_track.obj);
        say(&o, " in generation %" PRIu64, ev->u.gc_track.gen);
        break;
    case EV_GC_UNTRACK:
        say(&o, "the collector stops tracking ");
        say_object(&o, m, ev->u.gc_untrack.obj);
        break;
    case EV_GC_COUNT:
        say(&o, "generation %" PRIu64 "'s count is now %" PRIu64, ev->u.gc_count.gen, ev->u.gc_count.count);
        if (m) {
            struct model_gc g;
            model_gc(m, &g);
            if (ev->u.gc_count.gen < MODEL_MAX_GENERATIONS && g.gen[ev->u.gc_count.gen].threshold)
                say(&o, " (threshold %" PRIu64 ")", g.gen[ev->u.gc_count.gen].threshold);
        }
        break;
    case EV_GC_THRESHOLD:
        say(&o, "generation %" PRIu64 "'s threshold is set to %" PRIu64, ev->u.gc_threshold.gen,
            ev->u.gc_threshold.threshold);
        break;
    case EV_GC_ENABLE:
        say(&o, "automatic collection is %s", ev->u.gc_enable.enabled ? "enabled" : "disabled");
        break;
    case EV_GC_START:
        say(&o, "a collection of generation %" PRIu64 " begins: %s", ev->u.gc_start.gen,
            TEXT_OF(gc_reason, ev->u.gc_start.reason));
        break;
    case EV_GC_PHASE:
        say(&o, "collector phase: %s (%" PRIu64 " object%s)", TEXT_OF(gc_phase, ev->u.gc_phase.phase),
            ev->u.gc_phase.n, ev->u.gc_phase.n == 1 ? "" : "s");
        break;
    case EV_GC_REFS:
        say(&o, "the collector's working count of ");
        say_object(&o, m, ev->u.gc_refs.obj);
        say(&o, " is %" PRId64, ev->u.gc_refs.refs);
        if (ev->u.gc_refs.refs == 0)
            say(&o, ": no references from outside the generation so far");
        break;
    case EV_GC_MARK:
        say_object(&o, m, ev->u.gc_mark.obj);
        say(&o, ": %s", TEXT_OF(gc_mark, ev->u.gc_mark.mark));
        if (ev->u.gc_mark.via) {
            say(&o, " (via ");
            say_object(&o, m, ev->u.gc_mark.via);
            say(&o, ")");
        }
        break;
    case EV_GC_MERGE:
        say(&o, "generation %" PRIu64 "'s objects join generation %" PRIu64 " for this collection",
            ev->u.gc_merge.from, ev->u.gc_merge.to);
        break;
    case EV_GC_MOVE:
        say_object(&o, m, ev->u.gc_move.obj);
        say(&o, " survives and moves to generation %" PRIu64, ev->u.gc_move.to);
        break;
    case EV_GC_GARBAGE:
        say_object(&o, m, ev->u.gc_garbage.obj);
        say(&o, " is uncollectable: it goes to gc.garbage, which keeps it alive");
        break;
    case EV_GC_END: {
        const struct event_gc_end *e = &ev->u.gc_end;
        say(&o, "the collection of generation %" PRIu64 " ends: %" PRIu64 " collected, %" PRIu64
                " uncollectable (gc.collect() would return %" PRIu64 ")",
            e->gen, e->collected, e->uncollectable, e->collected + e->uncollectable);
        break;
    }
    case EV_STEP:
        say(&o, "step %" PRIu64 ": %.*s", ev->u.step.number, sl, str);
        break;
    case EV_STACK_DEF:
        if (ev->u.stack_def.parent)
            say(&o, "call stack %" PRIu64 " is recorded: frame %" PRIu64 " called from stack %" PRIu64
                    " (%" PRIu64 " frame%s deep)",
                ev->u.stack_def.id, ev->u.stack_def.frame, ev->u.stack_def.parent, ev->u.stack_def.depth,
                ev->u.stack_def.depth == 1 ? "" : "s");
        else
            say(&o, "call stack %" PRIu64 " is recorded (%" PRIu64 " frame%s)", ev->u.stack_def.id,
                ev->u.stack_def.depth, ev->u.stack_def.depth == 1 ? "" : "s");
        break;
    case EV_SNAP_NAME: {
        const char *eq = memchr(str, '=', (size_t)sl);
        int nl = eq ? (int)(eq - str) : sl;
        say(&o, "%.*s is %.*s (%" PRIu64 " references, %" PRIu64 " bytes)", nl, str, eq ? sl - nl - 1 : 0,
            eq ? eq + 1 : "", ev->u.snap_name.refcnt, ev->u.snap_name.size);
        break;
    }
    case EV_SNAP_REF:
        say(&o, "0x%" PRIx64 " refers to 0x%" PRIx64, ev->u.snap_ref.from, ev->u.snap_ref.to);
        break;
    case EV_SOURCE_FILE:
        say(&o, "the source of %.*s is recorded as file %" PRIu64, sl, str, ev->u.source_file.id);
        break;
    case EV_SOURCE_TEXT:
        say(&o, "file %" PRIu64 ": %d bytes of source", ev->u.source_text.file, sl);
        break;
    case EV_FRAME_DEF: {
        /* a Python frame is "FUNCTION\tFILE\tLINE" */
        const char *t1 = memchr(str, '\t', (size_t)sl);
        const char *t2 = t1 ? memchr(t1 + 1, '\t', (size_t)(str + sl - t1 - 1)) : NULL;
        if (t1 && t2) {
            const char *file = t1 + 1;
            const char *base = file;
            for (const char *q = file; q < t2; q++)
                if (*q == '/')
                    base = q + 1;
            say(&o, "frame %" PRIu64 " of call stacks: %.*s, line %.*s of %.*s", ev->u.frame_def.id,
                (int)(t1 - str), str, (int)(str + sl - t2 - 1), t2 + 1, (int)(t2 - base), base);
        } else {
            say(&o, "frame %" PRIu64 " of call stacks: %.*s", ev->u.frame_def.id, sl, str);
        }
        break;
    }
    case EV_PRINT: {
        int n = sl;
        while (n > 0 && (str[n - 1] == '\n' || str[n - 1] == '\r'))
            n--;
        say(&o, "the program prints: %.*s", n, str);
        break;
    }
    case EV_FREELIST:
        say(&o, "the free list of %.*s now holds %" PRIu64 " object%s of %" PRIu64 " B", sl, str, ev->u.freelist.count,
            ev->u.freelist.count == 1 ? "" : "s", ev->u.freelist.each);
        break;
    case EV_KIND_COUNT:
        say(&o, "an event of an unknown kind");
        break;
    }
    return o.used;
}
