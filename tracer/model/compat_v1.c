/*
 * compat_v1.c - folding a trace of format version 1 (tracer/format/FORMAT.md 10.1): the two
 * effects its events left unsaid, worked out here and nowhere else.
 *
 * Version 2 states every effect of an event in the event.  Version 1 left two of them to the
 * reader, as part of what the kinds meant:
 *
 *   - pool_init threaded the pool's first two blocks on its free list (block 0 at the head), and
 *     the block_alloc that followed took block 0 as the head of the list.  Version 2's pool_init
 *     leaves every block virgin, and that block_alloc says `virgin` 2.
 *   - a block_alloc that took the last block of the free list, when the pool had virgin space,
 *     threaded the next virgin block (pymalloc_pool_extend).  Version 2 says `virgin` 1.
 *
 * So a version 1 pool_init is folded as version 2's and then threads the two blocks, and a
 * version 1 block_alloc gets the `virgin` the allocator's rule gives.  The states a version 1
 * trace folds into are those its checkpoints hold.  The model knows the version from the
 * trace's header (struct trace_header.version); live producers give 0, the current version.
 */
#include "fold.h"
#include "heap.h"

void mheap_v1_pool_init(struct mheap *h, struct mpool *p)
{
    p->blk[0] = 2; /* block 0 -> block 1 -> end */
    p->blk[1] = 0;
    p->freehead = 1;
    p->nextoffset = h->geo.pool_overhead + 2 * h->classes[p->szidx].size;
}

uint64_t mheap_v1_virgin(const struct mheap *h, const struct mpool *p, uint32_t idx)
{
    uint32_t size = h->classes[p->szidx].size;
    bool last = idx != NONE && idx + 1 == p->freehead && p->blk[idx] == 0;
    return last && p->nextoffset <= h->geo.pool_size - size ? 1 : 0;
}
