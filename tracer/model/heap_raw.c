/*
 * heap_raw.c - the raw layer: the blocks the C library's malloc holds for the allocator (requests
 * over the small-request threshold, and small ones when no arena could be had), kept in an array
 * indexed by address; and the two events that only check what they name, realloc and calloc.
 *
 * Like the pools' blocks, a raw block charged to arenascope's own stack is counted in h->tool as
 * it comes, goes or moves (mheap_raw_insert, raw_remove), so that the program's figures can
 * leave it out.
 */
#include "fold.h"
#include "heap.h"

#include <tracer/codec.h>

#include <inttypes.h>
#include <stdlib.h>

struct mraw *mheap_raw_get(const struct mheap *h, uint64_t addr)
{
    const uint64_t *v = map_get(&h->raw_index, addr);
    return v ? &h->raws[*v] : NULL;
}

bool mheap_raw_insert(struct mheap *h, const struct mraw *r)
{
    if (!codec_array_reserve((void **)&h->raws, &h->raws_cap, h->nraws + 1, sizeof *h->raws))
        return false;
    if (!map_put(&h->raw_index, r->addr, h->nraws))
        return false;
    h->raws[h->nraws++] = *r;
    if (h->tool_stack && r->stack == h->tool_stack) {
        h->tool.raw_blocks++;
        h->tool.raw_bytes += r->size;
    }
    h->raw_bytes += r->size;
    return true;
}

static void raw_remove(struct mheap *h, uint64_t addr)
{
    uint64_t *v = map_get(&h->raw_index, addr);
    size_t i = (size_t)*v;
    h->raw_bytes -= h->raws[i].size;
    if (h->tool_stack && h->raws[i].stack == h->tool_stack) {
        h->tool.raw_blocks--;
        h->tool.raw_bytes -= h->raws[i].size;
    }
    map_del(&h->raw_index, addr);
    if (i != h->nraws - 1) {
        h->raws[i] = h->raws[h->nraws - 1];
        *map_get(&h->raw_index, h->raws[i].addr) = i;
    }
    h->nraws--;
}

int mheap_fold_raw_alloc(struct mheap *h, struct mfold *f, const struct event *ev)
{
    const struct event_raw_alloc *e = &ev->u.raw_alloc;
    if (e->addr == 0 || mheap_raw_get(h, e->addr))
        return mfold_reject(f, ev, "0x%" PRIx64 " is already a raw block", e->addr);
    if (mheap_arena_lookup(h, e->addr))
        return mfold_reject(f, ev, "0x%" PRIx64 " lies in an arena", e->addr);
    if (e->why >= EV_RAW_WHY_COUNT || e->stack > UINT32_MAX)
        return mfold_reject(f, ev, "bad reason %" PRIu64 " or stack %" PRIu64, e->why, e->stack);
    struct mraw r = {.addr = e->addr, .size = e->size, .seq = f->pos, .why = (uint32_t)e->why,
                     .stack = (uint32_t)e->stack};
    if (!mheap_raw_insert(h, &r))
        return mfold_oom(f);
    h->mallocs++;
    return 0;
}

int mheap_fold_raw_free(struct mheap *h, struct mfold *f, const struct event *ev)
{
    struct mraw *r = mheap_raw_get(h, ev->u.raw_free.addr);
    if (!r)
        return mfold_reject(f, ev, "0x%" PRIx64 " is not a raw block", ev->u.raw_free.addr);
    if (r->obj)
        return mfold_reject(f, ev, "raw block 0x%" PRIx64 " still holds a live object", r->addr);
    raw_remove(h, ev->u.raw_free.addr);
    h->frees++;
    return 0;
}

int mheap_fold_raw_realloc(struct mheap *h, struct mfold *f, const struct event *ev)
{
    const struct event_raw_realloc *e = &ev->u.raw_realloc;
    struct mraw *r = mheap_raw_get(h, e->old);
    if (!r)
        return mfold_reject(f, ev, "0x%" PRIx64 " is not a raw block", e->old);
    if (e->addr == 0 || (e->addr != e->old && mheap_raw_get(h, e->addr)))
        return mfold_reject(f, ev, "0x%" PRIx64 " is already a raw block", e->addr);
    if (e->addr != e->old && mheap_arena_lookup(h, e->addr))
        return mfold_reject(f, ev, "0x%" PRIx64 " lies in an arena", e->addr);
    if (r->obj)
        return mfold_reject(f, ev, "raw block 0x%" PRIx64 " holds a live object", r->addr);
    struct mraw n = *r;
    raw_remove(h, e->old);
    n.addr = e->addr;
    n.size = e->size;
    n.seq = f->pos;
    if (!mheap_raw_insert(h, &n))
        return mfold_oom(f);
    return 0;
}

/* True when addr starts a live allocation: an allocated pool block or a raw block. */
static bool is_live_allocation(const struct mheap *h, uint64_t addr)
{
    if (mheap_raw_get(h, addr))
        return true;
    const struct mpool *p = mheap_pool_lookup(h, addr);
    if (!p || (p->state != MODEL_POOL_USED && p->state != MODEL_POOL_FULL))
        return false;
    bool exact;
    uint32_t idx = mheap_block_index(h, p, addr, &exact);
    return idx != NONE && exact && (p->blk[idx] & BLK_ALLOC);
}

int mheap_fold_realloc(struct mheap *h, struct mfold *f, const struct event *ev)
{
    const struct event_realloc *e = &ev->u.realloc;
    if (e->outcome >= EV_REALLOC_OUTCOME_COUNT)
        return mfold_reject(f, ev, "no outcome %" PRIu64, e->outcome);
    if (e->outcome == EV_REALLOC_IN_PLACE) {
        if (e->addr != e->old)
            return mfold_reject(f, ev, "in place, yet 0x%" PRIx64 " became 0x%" PRIx64,
                                e->old, e->addr);
        struct mpool *p = mheap_pool_lookup(h, e->addr);
        bool exact;
        uint32_t idx = p && p->szidx < h->geo.nclasses ? mheap_block_index(h, p, e->addr, &exact)
                                                       : NONE;
        if (idx == NONE || !exact || !(p->blk[idx] & BLK_ALLOC))
            return mfold_reject(f, ev, "0x%" PRIx64 " is not an allocated block", e->addr);
        if (e->size == 0 || e->size > h->classes[p->szidx].size)
            return mfold_reject(f, ev, "%" PRIu64 " bytes do not fit in a block of %" PRIu32,
                                e->size, h->classes[p->szidx].size);
        uint32_t w = p->blk[idx], req = w & BLK_REQ_MASK;
        p->blk[idx] = (w & ~BLK_REQ_MASK) | (uint32_t)e->size;
        h->classes[p->szidx].requested += e->size - req;
        if ((w & BLK_STACK) && h->tool_stack && mpool_stacks(p)[idx] == h->tool_stack)
            h->tool.requested += e->size - req;
        p->seq_changed = f->pos;
        return 0;
    }
    if (!is_live_allocation(h, e->addr))
        return mfold_reject(f, ev, "0x%" PRIx64 " is not allocated", e->addr);
    return 0;
}

int mheap_fold_calloc(struct mheap *h, struct mfold *f, const struct event *ev)
{
    if (!is_live_allocation(h, ev->u.calloc.addr))
        return mfold_reject(f, ev, "0x%" PRIx64 " is not allocated", ev->u.calloc.addr);
    return 0;
}

