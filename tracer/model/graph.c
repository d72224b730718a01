/*
 * graph.c - the object graph of the model: objects, the references between them, types,
 * allocation stacks, frames and names, weak references and finalizers, folded from the object
 * runtime's events.
 *
 * What it holds
 * -------------
 *   objects   by address: type, size, memory, refcount and the event that last changed it,
 *             weakrefs, finalized/garbage flags; the references whose owner the events name are
 *             edges (owner, obj, count) linked into the owner's out-list and the object's
 *             in-list, so referents and referrers are walks, not searches.  Each object record
 *             also carries what the collector keeps in it (generation links, gc_refs, its mark):
 *             collector.c reads and writes those.
 *   types     and stacks: definitions the events refer to by id, in the order they came.
 *   frames    the interpreter's frames from the outermost, each with the names bound in it.
 *
 * Objects
 * -------
 * An object's count must follow from the event before (incref +1, decref -1), except for static
 * objects (None, the small ints): they are announced when first used, with whatever count they
 * had, so their counts are the events'.  References whose owner the events name are edges;
 * ref_move hands one over without changing the count (list.pop()).  An object's count is never
 * below the references objects hold to it.  An object lives in the memory of the heap (heap.h):
 * a block of a pool or a raw block, whose word or record says that it holds one, so that the
 * heap refuses to free it while it lives.
 *
 * What the collector learns from these events (an object freed while marked or in gc.garbage,
 * the reference gc.garbage takes or drops) model.c hands to collector.c after the fold here.
 */
#include "fold.h"
#include "graph.h"
#include "heap.h"

#include <tracer/codec.h>

#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ==== the graph's lifetime ==================================================================== */

void mgraph_init(struct mgraph *g)
{
    memset(g, 0, sizeof *g); /* and so its maps and its string table are empty (map.h, strtab.h) */
    mgraph_clear(g);
}

void mgraph_clear(struct mgraph *g)
{
    for (size_t i = 0; i < g->nobjs_slots; i++)
        free(g->objs[i].value);
    map_clear(&g->obj_index);
    g->hot_addr = 0;
    g->nobjs_slots = g->nobjs = 0;
    g->obj_free_head = NONE;
    map_clear(&g->edge_index);
    g->nedge_slots = g->nedges = 0;
    g->edge_free_head = NONE;
    map_clear(&g->type_index);
    g->ntypes = 0;
    map_clear(&g->stack_index);
    map_clear(&g->framedef_index);
    g->nstacks = 0;
    g->nframedefs = 0;
    g->nstack_bytes = 0;
    strtab_clear(&g->strs);
    for (size_t i = 0; i < g->nframes; i++)
        free(g->frames[i].names);
    g->nframes = 0;
}

void mgraph_release(struct mgraph *g)
{
    mgraph_clear(g);
    map_release(&g->obj_index);
    map_release(&g->edge_index);
    map_release(&g->type_index);
    map_release(&g->stack_index);
    map_release(&g->framedef_index);
    strtab_release(&g->strs);
    free(g->objs);
    free(g->edges);
    free(g->types);
    free(g->stacks);
    free(g->framedefs);
    free(g->stack_bytes);
    free(g->frames);
}

/* ==== lookups ================================================================================= */

uint32_t mgraph_obj_live(struct mgraph *g, struct mfold *f, const struct event *ev, uint64_t addr)
{
    uint32_t i = mgraph_obj_lookup(g, addr);
    if (i == NONE) {
        mfold_reject(f, ev, "0x%" PRIx64 " is not a live object", addr);
        return NONE;
    }
    g->hot_addr = addr;
    g->hot_idx = i;
    return i;
}

/* ==== types and stacks ======================================================================== */

/* Whether an event's id may name a new type, stack or frame: 1 to UINT32_MAX, not yet in `index`;
 * if not, the event is rejected in the words of reject_id(). */
static bool id_is_new(const struct map *index, uint64_t id)
{
    return id != 0 && id <= UINT32_MAX && !map_get(index, id);
}

static int reject_id(struct mfold *f, const struct event *ev, uint64_t id, const char *what)
{
    return mfold_reject(f, ev, "%s %" PRIu64 " is already defined or not a %s id", what, id, what);
}

/* Types, stacks and frames are arrays in the order defined, each with an index from id to
 * position + 1.  Makes room for record n (of `size` bytes) and indexes it under id; false when
 * out of memory. */
static bool indexed_add(void **items, size_t *cap, size_t n, size_t size, struct map *index, uint64_t id)
{
    return codec_array_reserve(items, cap, n + 1, size) && map_put(index, id, n + 1);
}

bool mgraph_type_add(struct mgraph *g, const struct mtype *t)
{
    if (!indexed_add((void **)&g->types, &g->types_cap, g->ntypes, sizeof *g->types, &g->type_index, t->id))
        return false;
    g->types[g->ntypes++] = *t;
    return true;
}

int mgraph_fold_type_new(struct mgraph *g, struct mfold *f, const struct event *ev)
{
    const struct event_type_new *e = &ev->u.type_new;
    if (!id_is_new(&g->type_index, e->type))
        return reject_id(f, ev, e->type, "type");
    uint32_t name = strtab_intern(&g->strs, ev->str ? ev->str : "", ev->str ? ev->str_len : 0);
    struct mtype t = {.id = (uint32_t)e->type,
                      .name = name,
                      .basicsize = e->basicsize,
                      .itemsize = e->itemsize,
                      .flags = (uint32_t)e->flags};
    if (name == STR_NONE || !mgraph_type_add(g, &t))
        return mfold_oom(f);
    return 0;
}

/* Appends text to stack_bytes (NUL-terminated); its offset in *off.  False when out of memory. */
static bool stack_text_add(struct mgraph *g, const char *text, size_t len, uint64_t *off)
{
    if (len > UINT32_MAX ||
        !codec_array_reserve((void **)&g->stack_bytes, &g->stack_bytes_cap, g->nstack_bytes + len + 1, 1))
        return false;
    if (len)
        memcpy(g->stack_bytes + g->nstack_bytes, text, len);
    g->stack_bytes[g->nstack_bytes + len] = '\0';
    *off = g->nstack_bytes;
    g->nstack_bytes += len + 1;
    return true;
}

bool mgraph_framedef_add(struct mgraph *g, uint32_t id, const char *text, size_t len)
{
    uint64_t off;
    if (!stack_text_add(g, text, len, &off) ||
        !indexed_add((void **)&g->framedefs, &g->framedefs_cap, g->nframedefs, sizeof *g->framedefs,
                     &g->framedef_index, id))
        return false;
    g->framedefs[g->nframedefs++] = (struct mframedef){.id = id, .off = off, .len = (uint32_t)len};
    return true;
}

bool mgraph_stack_add(struct mgraph *g, uint32_t id, uint32_t depth, uint32_t parent, uint32_t frame,
                      const char *frames, size_t len)
{
    uint64_t off;
    if (!stack_text_add(g, frames, len, &off) ||
        !indexed_add((void **)&g->stacks, &g->stacks_cap, g->nstacks, sizeof *g->stacks, &g->stack_index, id))
        return false;
    g->stacks[g->nstacks++] = (struct mstack){
        .id = id, .depth = depth, .parent = parent, .frame = frame, .off = off, .len = (uint32_t)len};
    return true;
}

int mgraph_fold_stack_def(struct mgraph *g, struct mfold *f, const struct event *ev)
{
    const struct event_stack_def *e = &ev->u.stack_def;
    if (!id_is_new(&g->stack_index, e->id))
        return reject_id(f, ev, e->id, "stack");
    if (e->parent && (e->parent >= e->id || !map_get(&g->stack_index, e->parent)))
        return mfold_reject(f, ev, "its parent, stack %" PRIu64 ", is not defined before it", e->parent);
    if (e->frame && (e->frame > UINT32_MAX || !map_get(&g->framedef_index, e->frame)))
        return mfold_reject(f, ev, "its frame %" PRIu64 " is not defined before it", e->frame);
    uint32_t depth = e->depth > UINT32_MAX ? UINT32_MAX : (uint32_t)e->depth;
    if (!mgraph_stack_add(g, (uint32_t)e->id, depth, (uint32_t)e->parent, (uint32_t)e->frame, ev->str,
                          ev->str ? ev->str_len : 0))
        return mfold_oom(f);
    return 0;
}

int mgraph_fold_frame_def(struct mgraph *g, struct mfold *f, const struct event *ev)
{
    const struct event_frame_def *e = &ev->u.frame_def;
    if (!id_is_new(&g->framedef_index, e->id))
        return reject_id(f, ev, e->id, "frame");
    if (!mgraph_framedef_add(g, (uint32_t)e->id, ev->str, ev->str ? ev->str_len : 0))
        return mfold_oom(f);
    return 0;
}

/* ==== objects ================================================================================= */

/* The weakref o lets go of its referent, which counts it (when the referent is not younger: an
 * object at a reused address is another object). */
static void weakref_drop(struct mgraph *g, const struct mobj *o)
{
    if (!o->weak_target)
        return;
    uint32_t t = mgraph_obj_lookup(g, o->weak_target);
    if (t != NONE && g->objs[t].weakrefs && g->objs[t].seq_new <= o->seq_new)
        g->objs[t].weakrefs--;
}

/*
 * Objects and edges live in growable arrays of slots; the free slots of each make a list through
 * one of their uint32_t members (`link`, its offset in a record): an object's gen_next, an edge's
 * hash_next.  slot_take() gives the head of that list, else a new slot at the end (NONE when out
 * of memory or of indices); slot_give() puts a slot back at its head.
 */
struct slots {
    void **items;
    size_t *cap, *n; /* the array's capacity and slots used, in records */
    uint32_t *free_head;
    size_t size, link;
};
static struct slots obj_slots(struct mgraph *g)
{
    return (struct slots){(void **)&g->objs, &g->objs_cap, &g->nobjs_slots, &g->obj_free_head,
                          sizeof *g->objs, offsetof(struct mobj, gen_next)};
}

static struct slots edge_slots(struct mgraph *g)
{
    return (struct slots){(void **)&g->edges, &g->edges_cap, &g->nedge_slots, &g->edge_free_head,
                          sizeof *g->edges, offsetof(struct medge, hash_next)};
}

static uint32_t slot_take(struct slots s)
{
    uint32_t i = *s.free_head;
    if (i != NONE) {
        memcpy(s.free_head, (char *)*s.items + (size_t)i * s.size + s.link, sizeof i);
        return i;
    }
    if (*s.n >= NONE - 1 || !codec_array_reserve(s.items, s.cap, *s.n + 1, s.size))
        return NONE;
    return (uint32_t)(*s.n)++;
}

static void slot_give(struct slots s, uint32_t i)
{
    memcpy((char *)*s.items + (size_t)i * s.size + s.link, s.free_head, sizeof i);
    *s.free_head = i;
}

/* A new object at addr, indexed at `at`, obj_index's entry for addr (map_slot_for()). */
static uint32_t obj_alloc_at(struct mgraph *g, struct map_entry *at, uint64_t addr)
{
    uint32_t i = slot_take(obj_slots(g));
    if (i == NONE)
        return NONE;
    map_set_at(&g->obj_index, at, addr, i);
    g->objs[i] = (struct mobj){
        .addr = addr,
        .gen_prev = NONE,
        .gen_next = NONE,
        .out_head = NONE,
        .in_head = NONE,
        .mark_idx = NONE,
        .gen = -1,
        .live = true,
    };
    g->nobjs++;
    g->hot_addr = addr;
    g->hot_idx = i;
    return i;
}

uint32_t mgraph_obj_alloc(struct mgraph *g, uint64_t addr)
{
    struct map_entry *at = map_slot_for(&g->obj_index, addr);
    return at ? obj_alloc_at(g, at, addr) : NONE;
}

int mgraph_fold_obj_new(struct mgraph *g, struct mheap *h, struct mfold *f,
                        const struct event *ev)
{
    const struct event_obj_new *e = &ev->u.obj_new;
    /* one probe of the index finds that addr is free and where it goes */
    struct map_entry *at = e->obj ? map_slot_for(&g->obj_index, e->obj) : NULL;
    if (e->obj && !at)
        return mfold_oom(f);
    if (!at || at->key)
        return mfold_reject(f, ev, "0x%" PRIx64 " is already a live object", e->obj);
    struct mtype *t = mgraph_type_get(g, e->type);
    if (!t)
        return mfold_reject(f, ev, "type %" PRIu64 " is not defined", e->type);
    if (e->flags & ~(uint64_t)(EV_OBJ_FREELIST | EV_OBJ_STATIC) || e->stack > UINT32_MAX)
        return mfold_reject(f, ev, "bad flags %#" PRIx64 " or stack %" PRIu64, e->flags, e->stack);
    struct mmemory mem = {0};
    if (!(e->flags & EV_OBJ_STATIC)) {
        if (!mheap_memory_of(h, e->obj, &mem))
            return mfold_reject(f, ev, "0x%" PRIx64 " is not in allocated memory", e->obj);
        if (mmemory_holds_object(&mem))
            return mfold_reject(f, ev, "the memory at 0x%" PRIx64 " already holds a live object",
                                mem.block);
    }
    uint32_t i = obj_alloc_at(g, at, e->obj);
    if (i == NONE)
        return mfold_oom(f);
    struct mobj *o = &g->objs[i];
    o->type = (uint32_t)e->type;
    o->size = e->size;
    o->block = mem.block;
    o->refcnt = 1;
    o->seq_refcnt = o->seq_new = f->pos;
    o->stack = (uint32_t)e->stack;
    o->flags = (e->flags & EV_OBJ_STATIC ? MODEL_OBJ_STATIC : 0) |
               (e->flags & EV_OBJ_FREELIST ? MODEL_OBJ_FREELIST : 0);
    mmemory_set_object(&mem);
    t->live++;
    return 0;
}

static inline uint64_t edge_key(uint64_t owner, uint64_t obj)
{
    uint64_t k = map_hash(owner) ^ (obj * 0xC2B2AE3D27D4EB4Full) ^ (obj >> 31);
    return k ? k : 1;
}

uint32_t mgraph_edge_find(const struct mgraph *g, uint64_t owner, uint64_t obj)
{
    const uint64_t *v = map_get(&g->edge_index, edge_key(owner, obj));
    for (uint32_t i = v ? (uint32_t)*v - 1 : NONE; i != NONE; i = g->edges[i].hash_next)
        if (g->edges[i].owner == owner && g->edges[i].obj == obj)
            return i;
    return NONE;
}

bool mgraph_edge_add(struct mgraph *g, uint32_t owner_idx, uint32_t obj_idx, uint64_t owner,
                     uint64_t obj, uint64_t count)
{
    uint64_t key = edge_key(owner, obj);
    struct map_entry *at = map_slot_for(&g->edge_index, key);
    uint32_t i = at ? slot_take(edge_slots(g)) : NONE;
    if (i == NONE)
        return false;
    uint32_t next = at->key ? (uint32_t)at->val - 1 : NONE;
    map_set_at(&g->edge_index, at, key, (uint64_t)i + 1);
    struct mobj *ow = &g->objs[owner_idx], *ob = &g->objs[obj_idx];
    g->edges[i] = (struct medge){
        .owner = owner,
        .obj = obj,
        .count = count,
        .owner_idx = owner_idx,
        .obj_idx = obj_idx,
        .out_next = ow->out_head,
        .out_prev = NONE,
        .in_next = ob->in_head,
        .in_prev = NONE,
        .hash_next = next,
        .live = true,
    };
    if (ow->out_head != NONE)
        g->edges[ow->out_head].out_prev = i;
    ow->out_head = i;
    if (ob->in_head != NONE)
        g->edges[ob->in_head].in_prev = i;
    ob->in_head = i;
    ob->in_total += count;
    g->nedges++;
    return true;
}

static void edge_remove(struct mgraph *g, uint32_t i)
{
    struct medge *e = &g->edges[i];
    struct mobj *ow = &g->objs[e->owner_idx], *ob = &g->objs[e->obj_idx];
    mlist_unlink((struct mlist){g->edges, sizeof *g->edges, offsetof(struct medge, out_prev),
                                offsetof(struct medge, out_next), &ow->out_head, NULL},
                 i);
    mlist_unlink((struct mlist){g->edges, sizeof *g->edges, offsetof(struct medge, in_prev),
                                offsetof(struct medge, in_next), &ob->in_head, NULL},
                 i);
    ob->in_total -= e->count;
    struct map_entry *at = map_find(&g->edge_index, edge_key(e->owner, e->obj));
    if ((uint32_t)at->val - 1 == i) {
        if (e->hash_next == NONE)
            map_del_at(&g->edge_index, at);
        else
            at->val = (uint64_t)e->hash_next + 1;
    } else {
        uint32_t j = (uint32_t)at->val - 1;
        while (g->edges[j].hash_next != i)
            j = g->edges[j].hash_next;
        g->edges[j].hash_next = e->hash_next;
    }
    e->live = false;
    slot_give(edge_slots(g), i);
    g->nedges--;
}


int mgraph_fold_obj_free(struct mgraph *g, struct mheap *h, struct mfold *f,
                         const struct event *ev, struct mobj *gone)
{
    const struct event_obj_free *e = &ev->u.obj_free;
    uint32_t i = mgraph_obj_live(g, f, ev, e->obj);
    if (i == NONE)
        return MODEL_EINCONSISTENT;
    struct mobj *o = &g->objs[i];
    if (o->refcnt != 0)
        return mfold_reject(f, ev, "0x%" PRIx64 " still has %" PRIu64 " references",
                            e->obj, o->refcnt);
    if (o->gen >= 0)
        return mfold_reject(f, ev, "0x%" PRIx64 " is still tracked by the collector", e->obj);
    while (o->out_head != NONE)
        edge_remove(g, o->out_head);
    while (o->in_head != NONE) /* none while refcnt >= in_total holds; kept for safety */
        edge_remove(g, o->in_head);
    if (o->block)
        mheap_memory_release(h, o->block);
    weakref_drop(g, o);
    *gone = *o;
    gone->value = NULL; /* freed below */
    struct mtype *t = mgraph_type_get(g, o->type);
    if (t && t->live)
        t->live--;
    free(o->value);
    o->value = NULL;
    o->live = false;
    map_del(&g->obj_index, e->obj);
    if (g->hot_addr == e->obj)
        g->hot_addr = 0;
    slot_give(obj_slots(g), i);
    g->nobjs--;
    return 0;
}

int mgraph_fold_obj_storage(struct mgraph *g, struct mfold *f, const struct event *ev, uint32_t i)
{
    (void)f; /* any live object may get storage or lose it */
    const struct event_obj_storage *e = &ev->u.obj_storage;
    g->objs[i].storage = e->addr;
    g->objs[i].storage_size = e->addr ? e->size : 0;
    return 0;
}

int mgraph_fold_obj_value(struct mgraph *g, struct mfold *f, const struct event *ev, uint32_t i)
{
    size_t len = ev->str ? ev->str_len : 0;
    char *s = text_dup(ev->str, len);
    if (!s)
        return mfold_oom(f);
    free(g->objs[i].value);
    g->objs[i].value = s;
    g->objs[i].value_len = (uint32_t)len;
    return 0;
}

int mgraph_fold_ref(struct mgraph *g, struct mfold *f, const struct event *ev, bool inc)
{
    struct event_incref e = inc ? ev->u.incref
                                : (struct event_incref){.obj = ev->u.decref.obj,
                                                        .refcnt = ev->u.decref.refcnt,
                                                        .reason = ev->u.decref.reason,
                                                        .owner = ev->u.decref.owner};
    uint32_t i = mgraph_obj_live(g, f, ev, e.obj);
    if (i == NONE)
        return MODEL_EINCONSISTENT;
    if (e.reason >= EV_REF_REASON_COUNT)
        return mfold_reject(f, ev, "no reason %" PRIu64, e.reason);
    struct mobj *o = &g->objs[i];
    /* A static object (None, small ints) is announced when first used, with whatever count it
     * had then: its counts are the events'. */
    bool follows = o->flags & MODEL_OBJ_STATIC
                       ? (inc ? e.refcnt > 0 : true)
                       : (inc ? e.refcnt == o->refcnt + 1 : o->refcnt > 0 && e.refcnt == o->refcnt - 1);
    if (!follows)
        return mfold_reject(f, ev, "the refcount of 0x%" PRIx64 " goes from %" PRIu64
                                   " to %" PRIu64,
                            e.obj, o->refcnt, e.refcnt);
    uint32_t oi = NONE, ei = NONE;
    if (e.owner) {
        oi = mgraph_obj_lookup(g, e.owner);
        if (oi == NONE)
            return mfold_reject(f, ev, "the owner 0x%" PRIx64 " is not a live object", e.owner);
        ei = mgraph_edge_find(g, e.owner, e.obj);
        if (!inc && ei == NONE)
            return mfold_reject(f, ev, "0x%" PRIx64 " holds no reference to 0x%" PRIx64, e.owner,
                                e.obj);
    }
    if (!inc && e.refcnt < o->in_total - (e.owner ? 1 : 0))
        return mfold_reject(f, ev,
                            "0x%" PRIx64 " would have %" PRIu64
                            " references while objects hold %" PRIu64,
                            e.obj, e.refcnt, o->in_total - (e.owner ? 1 : 0));
    if (e.owner) {
        if (inc && ei == NONE) {
            if (!mgraph_edge_add(g, oi, i, e.owner, e.obj, 1))
                return mfold_oom(f);
        } else if (inc) {
            g->edges[ei].count++;
            g->objs[i].in_total++;
        } else if (g->edges[ei].count == 1) {
            edge_remove(g, ei);
        } else {
            g->edges[ei].count--;
            g->objs[i].in_total--;
        }
    }
    o = &g->objs[i];
    o->refcnt = e.refcnt;
    o->seq_refcnt = f->pos;
    return 0;
}

int mgraph_fold_ref_move(struct mgraph *g, struct mfold *f, const struct event *ev, uint32_t i)
{
    const struct event_ref_move *e = &ev->u.ref_move;
    uint32_t from = NONE, to = NONE;
    if (e->from && (from = mgraph_edge_find(g, e->from, e->obj)) == NONE)
        return mfold_reject(f, ev, "0x%" PRIx64 " holds no reference to 0x%" PRIx64,
                            e->from, e->obj);
    uint32_t ti = e->to ? mgraph_obj_lookup(g, e->to) : NONE;
    if (e->to && ti == NONE)
        return mfold_reject(f, ev, "the new owner 0x%" PRIx64 " is not a live object", e->to);
    if (e->to && !e->from && g->objs[i].in_total >= g->objs[i].refcnt)
        return mfold_reject(f, ev, "0x%" PRIx64 " has no reference outside objects to give",
                            e->obj);
    if (e->to) {
        to = mgraph_edge_find(g, e->to, e->obj);
        if (to == NONE && !mgraph_edge_add(g, ti, i, e->to, e->obj, 1))
            return mfold_oom(f);
        if (to != NONE) {
            g->edges[to].count++;
            g->objs[i].in_total++;
        }
    }
    if (from != NONE) {
        from = mgraph_edge_find(g, e->from, e->obj); /* adding may have moved the edges */
        if (g->edges[from].count == 1) {
            edge_remove(g, from);
        } else {
            g->edges[from].count--;
            g->objs[i].in_total--;
        }
    }
    return 0;
}

/* ==== frames and names ======================================================================== */

static struct mframe *frame_get(struct mgraph *g, uint64_t id)
{
    for (size_t i = g->nframes; i-- > 0;)
        if (g->frames[i].id == id)
            return &g->frames[i];
    return NULL;
}

int mgraph_fold_frame_push(struct mgraph *g, struct mfold *f, const struct event *ev)
{
    if (frame_get(g, ev->u.frame_push.frame))
        return mfold_reject(f, ev, "frame %" PRIu64 " is already on the stack",
                            ev->u.frame_push.frame);
    if (!codec_array_reserve((void **)&g->frames, &g->frames_cap, g->nframes + 1,
                             sizeof *g->frames))
        return mfold_oom(f);
    uint32_t fn = strtab_intern(&g->strs, ev->str ? ev->str : "", ev->str ? ev->str_len : 0);
    if (fn == STR_NONE)
        return mfold_oom(f);
    g->frames[g->nframes++] = (struct mframe){.id = ev->u.frame_push.frame, .function = fn};
    return 0;
}

int mgraph_fold_frame_pop(struct mgraph *g, struct mfold *f, const struct event *ev)
{
    if (g->nframes == 0 || g->frames[g->nframes - 1].id != ev->u.frame_pop.frame)
        return mfold_reject(f, ev, "frame %" PRIu64 " is not the innermost frame",
                            ev->u.frame_pop.frame);
    free(g->frames[--g->nframes].names);
    return 0;
}

int mgraph_fold_name_bind(struct mgraph *g, struct mfold *f, const struct event *ev)
{
    const struct event_name_bind *e = &ev->u.name_bind;
    struct mframe *fr = frame_get(g, e->frame);
    if (!fr)
        return mfold_reject(f, ev, "no frame %" PRIu64, e->frame);
    if (mgraph_obj_lookup(g, e->obj) == NONE)
        return mfold_reject(f, ev, "0x%" PRIx64 " is not a live object", e->obj);
    uint32_t name = strtab_intern(&g->strs, ev->str ? ev->str : "", ev->str ? ev->str_len : 0);
    if (name == STR_NONE)
        return mfold_oom(f);
    for (size_t i = 0; i < fr->nnames; i++)
        if (fr->names[i].name == name) {
            fr->names[i].obj = e->obj;
            return 0;
        }
    if (!codec_array_reserve((void **)&fr->names, &fr->cap, fr->nnames + 1, sizeof *fr->names))
        return mfold_oom(f);
    fr->names[fr->nnames++] = (struct mname){.name = name, .obj = e->obj};
    return 0;
}

int mgraph_fold_name_unbind(struct mgraph *g, struct mfold *f, const struct event *ev)
{
    struct mframe *fr = frame_get(g, ev->u.name_unbind.frame);
    if (!fr)
        return mfold_reject(f, ev, "no frame %" PRIu64, ev->u.name_unbind.frame);
    const char *s = ev->str ? ev->str : "";
    size_t len = ev->str ? ev->str_len : 0;
    for (size_t i = 0; i < fr->nnames; i++) {
        size_t l;
        const char *t = strtab_get(&g->strs, fr->names[i].name, &l);
        if (l == len && memcmp(s, t, len) == 0) {
            memmove(&fr->names[i], &fr->names[i + 1], (fr->nnames - i - 1) * sizeof *fr->names);
            fr->nnames--;
            return 0;
        }
    }
    return mfold_reject(f, ev, "no name '%.*s' in frame %" PRIu64, (int)(len > 40 ? 40 : len), s,
                        ev->u.name_unbind.frame);
}

/* ==== weak references and finalizers ========================================================== */

int mgraph_fold_weakref_new(struct mgraph *g, struct mfold *f, const struct event *ev)
{
    const struct event_weakref_new *e = &ev->u.weakref_new;
    uint32_t r = mgraph_obj_lookup(g, e->ref), t = mgraph_obj_lookup(g, e->obj);
    if (r == NONE || t == NONE)
        return mfold_reject(f, ev, "0x%" PRIx64 " or 0x%" PRIx64 " is not a live object", e->ref,
                            e->obj);
    if (g->objs[r].weak_target)
        return mfold_reject(f, ev, "weakref 0x%" PRIx64 " already refers to 0x%" PRIx64, e->ref,
                            g->objs[r].weak_target);
    g->objs[r].weak_target = e->obj;
    g->objs[t].weakrefs++;
    return 0;
}

int mgraph_fold_weakref_clear(struct mgraph *g, struct mfold *f, const struct event *ev)
{
    const struct event_weakref_clear *e = &ev->u.weakref_clear;
    uint32_t r = mgraph_obj_lookup(g, e->ref);
    if (r == NONE || e->why >= EV_WEAKREF_WHY_COUNT)
        return mfold_reject(f, ev, "0x%" PRIx64 " is not a live weakref", e->ref);
    struct mobj *o = &g->objs[r];
    weakref_drop(g, o);
    o->weak_target = 0;
    return 0;
}

int mgraph_fold_finalize(struct mgraph *g, struct mfold *f, const struct event *ev)
{
    uint32_t i = mgraph_obj_lookup(g, ev->u.finalize.obj);
    if (i == NONE || ev->u.finalize.kind >= EV_FINALIZER_KIND_COUNT)
        return mfold_reject(f, ev, "0x%" PRIx64 " is not a live object", ev->u.finalize.obj);
    g->objs[i].flags |= MODEL_OBJ_FINALIZED;
    return 0;
}

int mgraph_fold_weakref_call(struct mgraph *g, struct mfold *f, const struct event *ev)
{
    if (mgraph_obj_lookup(g, ev->u.weakref_call.ref) == NONE)
        return mfold_reject(f, ev, "0x%" PRIx64 " is not a live object", ev->u.weakref_call.ref);
    return 0;
}

uint64_t mgraph_object_in(const struct mgraph *g, uint64_t block, uint64_t size,
                          uint32_t alignment)
{
    for (uint64_t off = 0; off <= 64 && off < size; off += alignment) {
        uint32_t i = mgraph_obj_lookup(g, block + off);
        if (i != NONE && g->objs[i].block == block)
            return block + off;
    }
    return 0;
}
