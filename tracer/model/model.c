/*
 * model.c - the events of a run folded into the state of its heap: the model as a whole.
 *
 * What the model is
 * -----------------
 * The model is the picture the UI draws, kept up to date one event at a time.  It holds the
 * same structures as CPython's obmalloc and its object runtime (docs/cpython-memory.md 2, 3 and 7),
 * but it never decides anything: every change comes from an event, and the model only checks
 * that the change is one the allocator could have made.  So a trace stays readable when the
 * allocator's policy changes, and a damaged or hand-made trace is caught at its first bad event.
 *
 * Its parts
 * ---------
 * The state is made of parts, each with its own struct, header and files (fold.h says how they
 * find one another):
 *
 *   the heap        heap.h, heap.c (the fold, and the fold's loop), heap_query.c: arenas, pools,
 *                   blocks, size classes and their rings, raw blocks
 *   the graph       graph.h, graph.c, graph_query.c: objects and their references, types,
 *                   allocation stacks, frames and names, weak references
 *   the collector   collector.h, collector.c: generations, collections, marks, gc.garbage
 *   the workload    workload.h, workload.c: step markers, prints, the runtime's free lists
 *
 * and around them, the model's own tools: its table of interned strings (strtab.h; its hash maps
 * are allocator/map.h's), the checkpoints that save and load the whole state (checkpoint.c), the
 * invariant walker (valid.c), the seeker that serves any position of a trace file (seeker.c)
 * with the timeline summary (summary.c), and the passes over a whole trace (tools.c).
 *
 * This file puts the parts together: struct model, its lifetime, and the dispatch of each event
 * to the parts it concerns.  The heap's loop (model_fold_batch() in heap.c) folds the block
 * events itself and sends every other kind here, to model_fold_other().  An event of the object
 * graph that the collector must also learn of (an object freed, a reference gc.garbage takes or
 * drops) is folded by the graph, then told to the collector.
 *
 * Inconsistent events
 * -------------------
 * Each handler validates the event against the state before changing anything; on a
 * contradiction mfold_reject() records "event N: kind: reason" and the model stops, keeping the
 * state before that event.  Invariants that only hold between operations (usable_arenas sorted,
 * no pool in the ring with zero blocks) are checked by model_is_valid() (valid.c).
 */
#include "collector.h"
#include "fold.h"
#include "graph.h"
#include "heap.h"
#include "workload.h"

#include <tracer/stacks.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/*
 * The model: its parts, and first the table that lets a file reach the parts it knows
 * (fold.h).  What every block event reads or counts is in the fold's first words (the position,
 * the stop) and the heap's first lines.
 */
struct model {
    struct model_parts parts;
    struct mfold fold;
    struct mheap heap;
    struct mgraph graph;
    struct mcollector gc;
    struct mworkload work;
    int8_t obj_field[EV_KIND_COUNT]; /* the field with each kind's OBJ role, or -1 (event.h) */
};
_Static_assert(offsetof(struct model, parts) == 0, "model_parts() reads the first member");

const char *model_strerror(int err)
{
    switch (err) {
    case 0: return "success";
    case MODEL_ENOMEM: return "out of memory";
    case MODEL_EINCONSISTENT: return "inconsistent event";
    case MODEL_EFORMAT: return "damaged checkpoint";
    case MODEL_EGEOMETRY: return "unsupported allocator geometry";
    case MODEL_ETRACE: return "trace read error";
    case MODEL_ERANGE: return "position past the last event";
    case MODEL_ESTOPPED: return "the model stopped at an inconsistent event";
    default: return "unknown error";
    }
}

/* ==== stopping the fold ======================================================================= */

int mfold_fail(struct mfold *f, int err, const char *fmt, ...)
{
    if (f->stopped)
        return err;
    f->stopped = true;
    f->stop_err = err;
    f->err_seq = f->pos;
    char reason[200];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    snprintf(f->err, sizeof f->err, "event %" PRIu64 ": %s", f->pos, reason);
    return err;
}

int mfold_reject(struct mfold *f, const struct event *ev, const char *fmt, ...)
{
    char reason[180];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    return mfold_fail(f, MODEL_EINCONSISTENT, "%s: %s", event_kind_name(ev->kind), reason);
}

int mfold_oom(struct mfold *f)
{
    return mfold_fail(f, MODEL_ENOMEM, "out of memory");
}

/* ==== the model's lifetime ==================================================================== */

static void model_clear(struct model *m)
{
    mheap_clear(&m->heap);
    mgraph_clear(&m->graph);
    mcollector_clear(&m->gc);
    mworkload_clear(&m->work);
    m->fold = (struct mfold){0};
}

int model_new(struct model **out, const struct trace_header *hdr)
{
    *out = NULL;
    if (hdr->ngenerations > TRACE_MAX_GENERATIONS)
        return MODEL_EGEOMETRY;
    struct model *m = aligned_alloc(_Alignof(struct model), sizeof *m); /* its pool records */
    if (!m)
        return MODEL_ENOMEM;
    memset(m, 0, sizeof *m);
    int rc = mheap_init(&m->heap, hdr);
    if (rc < 0) {
        free(m);
        return rc;
    }
    mgraph_init(&m->graph);
    mcollector_init(&m->gc, hdr);
    mworkload_init(&m->work);
    for (int k = 0; k < EV_KIND_COUNT; k++)
        m->obj_field[k] = (int8_t)event_kind_role((enum event_kind)k, EV_ROLE_OBJ);
    m->parts = (struct model_parts){
        .fold = &m->fold,
        .heap = &m->heap,
        .graph = &m->graph,
        .gc = &m->gc,
        .work = &m->work,
    };
    *out = m;
    return 0;
}

void model_reset(struct model *m)
{
    model_clear(m);
}

void model_free(struct model *m)
{
    if (!m)
        return;
    mheap_release(&m->heap);
    mgraph_release(&m->graph);
    mcollector_release(&m->gc);
    mworkload_release(&m->work);
    free(m);
}

uint64_t model_position(const struct model *m)
{
    return m->fold.pos;
}

bool model_is_stopped(const struct model *m)
{
    return m->fold.stopped;
}

const char *model_error(const struct model *m)
{
    return m->fold.err;
}

uint64_t model_error_seq(const struct model *m)
{
    return m->fold.err_seq;
}

/* ==== the dispatch ============================================================================ */

/* An object is gone: the graph forgets it, then the collector. */
static int fold_obj_free(struct model *m, const struct event *ev)
{
    struct mobj gone;
    int rc = mgraph_fold_obj_free(&m->graph, &m->heap, &m->fold, ev, &gone);
    if (rc == 0)
        mcollector_note_free(&m->gc, &gone);
    return rc;
}

/* A reference taken or dropped: the graph counts it, then the collector sees whether it was
 * gc.garbage's. */
static int fold_ref(struct model *m, const struct event *ev)
{
    int rc = mgraph_fold_ref(&m->graph, &m->fold, ev, ev->kind == EV_INCREF);
    if (rc == 0)
        mcollector_note_ref(&m->gc, &m->graph, ev);
    return rc;
}

static int fold_block_tool(struct model *m, const struct event *ev);
static int fold_stack_def(struct model *m, const struct event *ev);

/* The graph's index of the live object the event's OBJ role names; NONE, the event rejected, when
 * there is none. */
static uint32_t event_obj(struct model *m, const struct event *ev)
{
    int i = m->obj_field[ev->kind];
    return mgraph_obj_live(&m->graph, &m->fold, ev, i >= 0 ? ev->u.f[i] : 0);
}

int model_fold_other(struct model *m, const struct event *ev)
{
    struct mfold *f = &m->fold;
    struct mheap *h = &m->heap;
    struct mgraph *g = &m->graph;
    struct mcollector *c = &m->gc;
    struct mworkload *w = &m->work;
    uint32_t i = 0;
    switch (ev->kind) {
#define MFOLD_CASE(kind, handler, parts)                                                         \
    case EV_##kind:                                                                              \
        if (MFOLD_OBJ_##parts && (i = event_obj(m, ev)) == NONE)                                    \
            return MODEL_EINCONSISTENT;                                                          \
        return handler(MFOLD_ARGS_##parts);
        MFOLD_KINDS(MFOLD_CASE)
#undef MFOLD_CASE
    /* what touches two parts */
    case EV_OBJ_FREE: return fold_obj_free(m, ev);
    case EV_INCREF:
    case EV_DECREF: return fold_ref(m, ev);
    case EV_STACK_DEF: return fold_stack_def(m, ev);
    /* what changes no state: the seeker reads sources from the file */
    case EV_BLOCK_TOOL: return fold_block_tool(m, ev);
    case EV_SOURCE_FILE:
    case EV_SOURCE_TEXT: return 0;
    case EV_KIND_COUNT: break;
    }
    return mfold_fail(f, MODEL_EINCONSISTENT, "unknown event kind %d", (int)ev->kind);
}

/* ==== arenascope's own blocks in a real program ============================================== */

#define TOOL_STACK_SCAN 64 /* the first stacks looked at for the capture's own */

/* Whether stack `id` is the capture's own: one frame, STACK_TOOL_FUNCTION, among the first. */
static bool is_tool_stack(const struct model *m, uint32_t id)
{
    static const char fn[] = STACK_TOOL_FUNCTION "\t";
    struct model_stack st;
    if (id == 0 || id > TOOL_STACK_SCAN || !model_stack(m, id, &st))
        return false;
    const char *text = st.frames;
    size_t len = st.len;
    if (st.depth != 1 || st.parent || (st.frame && !model_frame_text(m, st.frame, &text, &len)))
        return false;
    return len >= sizeof fn - 1 && memcmp(text, fn, sizeof fn - 1) == 0;
}

/* The heap is told of the capture's stack when it is defined, and after a checkpoint is loaded
 * (model_tool_stack_found), so that it counts the capture's blocks as they come and go. */
static int fold_stack_def(struct model *m, const struct event *ev)
{
    int rc = mgraph_fold_stack_def(&m->graph, &m->fold, ev);
    if (rc == 0 && !m->heap.tool_stack && is_tool_stack(m, (uint32_t)ev->u.stack_def.id))
        mheap_set_tool_stack(&m->heap, (uint32_t)ev->u.stack_def.id);
    return rc;
}

void model_tool_stack_found(struct model *m)
{
    for (uint32_t id = 1; id <= TOOL_STACK_SCAN; id++)
        if (is_tool_stack(m, id)) {
            mheap_set_tool_stack(&m->heap, id);
            return;
        }
}

uint32_t model_tool_stack(const struct model *m)
{
    return m->heap.tool_stack;
}

void model_tool_usage(const struct model *m, struct model_tool_usage *out)
{
    const struct mheap_stack_count *n = &m->heap.tool;
    *out = (struct model_tool_usage){n->blocks, n->block_bytes, n->raw_blocks, n->raw_bytes};
}

uint32_t model_pool_tool_blocks(const struct model *m, uint64_t pool)
{
    return mheap_pool_count_stack(&m->heap, pool, model_tool_stack(m));
}

/* A block the interpreter made for the capture is charged to the capture's stack. */
static int fold_block_tool(struct model *m, const struct event *ev)
{
    uint32_t tool = model_tool_stack(m);
    if (tool && !mheap_set_stack(&m->heap, ev->u.block_tool.addr, tool))
        return mfold_reject(&m->fold, ev, "0x%" PRIx64 " is not an allocated block", ev->u.block_tool.addr);
    return 0;
}

/* ==== figures of the whole heap =============================================================== */

void model_totals(const struct model *m, struct model_totals *out)
{
    const struct mheap *h = &m->heap;
    uint64_t blocks = 0, requested = 0;
    for (uint32_t i = 0; i < h->geo.nclasses; i++) {
        blocks += h->classes[i].in_use;
        requested += h->classes[i].requested;
    }
    *out = (struct model_totals){
        .blocks = blocks,
        .block_bytes = h->block_bytes,
        .requested_bytes = requested,
        .raw_blocks = h->nraws,
        .raw_bytes = h->raw_bytes,
        .arena_bytes = (uint64_t)h->narenas * h->geo.arena_size,
        .objects = m->graph.nobjs,
        .mallocs = h->mallocs,
        .frees = h->frees,
        .arenas_total = h->arenas_total,
        .arenas_highwater = h->arenas_highwater,
    };
}

void model_program_totals(const struct model *m, struct model_totals *out)
{
    const struct mheap_stack_count *t = &m->heap.tool;
    model_totals(m, out);
    out->blocks -= t->blocks;
    out->block_bytes -= t->block_bytes;
    out->requested_bytes -= t->requested;
    out->raw_blocks -= t->raw_blocks;
    out->raw_bytes -= t->raw_bytes;
}

void model_get_stats(const struct model *m, struct heap_stats *out)
{
    const struct mheap *h = &m->heap;
    const struct model_geometry *g = &h->geo;
    heap_stats_begin(out, (struct heap_stats_geometry){g->alignment, g->threshold, g->pool_size, g->arena_size,
                                                       g->pool_overhead, g->nclasses, g->radix_tree});
    for (uint32_t i = 0; i < g->nclasses; i++) {
        const struct mclass *c = &h->classes[i];
        struct heap_stats_class *s = &out->classes[i];
        s->size = c->size;
        s->pools = c->ring_len + c->full;
        s->in_use = c->in_use;
        s->avail = s->pools * c->cap - c->in_use;
    }
    heap_stats_count_classes(out);
    out->arenas_allocated_total = h->arenas_total;
    out->arenas_highwater = h->arenas_highwater;
    out->arenas_current = h->narenas;
    uint64_t unused = 0, misaligned = 0;
    for (uint32_t s = 0; s < h->nslots; s++) {
        const struct marena *a = &h->arenas[s];
        if (!a->live)
            continue;
        unused += a->nfreepools;
        misaligned += a->sliver != 0;
    }
    out->unused_pools = unused;
    out->bytes_alignment = misaligned * g->pool_size;
    if (g->radix_tree) {
        struct mradix rx = mheap_radix(h);
        out->map_mid_nodes = h->radix_mid.n;
        out->map_bot_nodes = h->radix_bot.n;
        out->map_root_bytes = ((uint64_t)1 << rx.interior_bits) * g->pointer_size;
        out->map_mid_bytes =
            out->map_mid_nodes * ((uint64_t)1 << rx.interior_bits) * g->pointer_size;
        out->map_bot_bytes = out->map_bot_nodes * ((uint64_t)1 << rx.bottom_bits) * 8;
    }
    out->raw_blocks = h->nraws;
    out->raw_bytes = h->raw_bytes;
    for (uint32_t i = 0; i < HEAP_STATS_MAX_FREELISTS; i++) {
        const struct mfreelist *f = &m->work.freelists[i];
        if (!f->set)
            continue;
        struct heap_stats_freelist *o = &out->freelists[i];
        snprintf(o->label, sizeof o->label, "%s", f->label);
        o->count = f->count;
        o->each = f->each;
        out->nfreelists = i + 1;
    }
}
