/*
 * heapcmp.c - see heapcmp.h.
 */
#include "heapcmp.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct trace_header hc_header(const struct heap_profile *p, const char *source)
{
    struct trace_header h;
    memset(&h, 0, sizeof h);
    h.version = TRACE_FORMAT_VERSION;
    snprintf(h.profile, sizeof h.profile, "%s", p->name);
    snprintf(h.arena_source, sizeof h.arena_source, "%s", source);
    h.alignment = p->alignment;
    h.threshold = p->threshold;
    h.pool_size = p->pool_size;
    h.arena_size = p->arena_size;
    h.pool_overhead = heap_profile_pool_overhead(p);
    h.pointer_size = sizeof(void *);
    h.keep_last_free_arena = p->keep_last_free_arena;
    h.arena_map_bits = p->arena_map_bits;
    snprintf(h.gc_profile, sizeof h.gc_profile, "cpython-3.8");
    h.ngenerations = 3;
    h.thresholds[0] = 700;
    h.thresholds[1] = 10;
    h.thresholds[2] = 10;
    return h;
}

static bool differ(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool differ(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return false;
}

#define SAME(what, a, b)                                                                         \
    do {                                                                                         \
        uint64_t a_ = (uint64_t)(a), b_ = (uint64_t)(b);                                         \
        if (a_ != b_)                                                                            \
            return differ(err, errlen, "%s: model %" PRIu64 " (0x%" PRIx64 "), heap %" PRIu64    \
                                       " (0x%" PRIx64 ")",                                       \
                          what, a_, a_, b_, b_);                                                 \
    } while (0)

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static bool same_lists(const char *what, const uint64_t *a, size_t na, const uint64_t *b, size_t nb,
                       char *err, size_t errlen)
{
    if (na != nb)
        return differ(err, errlen, "%s: model has %zu entries, heap %zu", what, na, nb);
    for (size_t i = 0; i < na; i++)
        if (a[i] != b[i])
            return differ(err, errlen, "%s: entry %zu is 0x%" PRIx64 " in the model, 0x%" PRIx64
                                       " in the heap",
                          what, i, a[i], b[i]);
    return true;
}

bool hc_compare(const struct model *m, const struct heap *h, char *err, size_t errlen)
{
    struct heap_counters hc;
    heap_inspect_counters(h, &hc);
    struct model_totals t;
    model_totals(m, &t);
    SAME("arena slots", model_arena_slots(m), hc.slots);
    SAME("arenas current", model_arena_count(m), hc.arenas_current);
    SAME("arenas total", t.arenas_total, hc.arenas_total);
    SAME("arenas highwater", t.arenas_highwater, hc.arenas_highwater);
    SAME("raw blocks", t.raw_blocks, hc.raw_blocks);
    SAME("raw bytes", t.raw_bytes, hc.raw_bytes);
    SAME("pool blocks", t.blocks, hc.pool_blocks);

    size_t cap = 4096;
    uint64_t *a = malloc(cap * sizeof *a), *b = malloc(cap * sizeof *b);
    uint32_t *sa = malloc(cap * sizeof *sa), *sb = malloc(cap * sizeof *sb);
    bool ok = false;
    char what[96];

    size_t nu = model_usable_arenas(m, sa, cap), hu = heap_inspect_usable(h, sb, cap);
    if (nu != hu || nu > cap) {
        differ(err, errlen, "usable_arenas: model %zu arenas, heap %zu", nu, hu);
        goto out;
    }
    for (size_t i = 0; i < nu; i++)
        if (sa[i] != sb[i]) {
            differ(err, errlen, "usable_arenas[%zu]: model slot %u, heap slot %u", i, sa[i], sb[i]);
            goto out;
        }

    for (uint32_t s = 0; s < hc.slots; s++) {
        struct heap_arena_info hi;
        struct model_arena ma;
        heap_inspect_arena(h, s, &hi);
        bool live = model_arena_at(m, s, &ma);
        if (live != hi.live) {
            differ(err, errlen, "slot %u: live in the model %d, in the heap %d", s, live, hi.live);
            goto out;
        }
        if (!live)
            continue;
#define SAME_A(field, hv)                                                                        \
    do {                                                                                         \
        snprintf(what, sizeof what, "arena %u " #field, s);                                      \
        if ((uint64_t)ma.field != (uint64_t)(hv)) {                                              \
            differ(err, errlen, "%s: model %" PRIu64 ", heap %" PRIu64, what, (uint64_t)ma.field, \
                   (uint64_t)(hv));                                                              \
            goto out;                                                                            \
        }                                                                                        \
    } while (0)
        SAME_A(serial, hi.serial);
        SAME_A(base, hi.base);
        SAME_A(sliver, hi.sliver);
        SAME_A(first_pool, hi.first_pool);
        SAME_A(npools, hi.npools);
        SAME_A(nfreepools, hi.nfreepools);
        SAME_A(ncarved, hi.ncarved);
        SAME_A(nempty, hi.ncached);
        if ((ma.list == MODEL_ARENA_USABLE) != (hi.usable_pos >= 0) ||
            (hi.usable_pos >= 0 && ma.usable_pos != (uint32_t)hi.usable_pos)) {
            differ(err, errlen, "arena %u: usable position differs", s);
            goto out;
        }
        if (ma.list == MODEL_ARENA_USABLE && ma.is_finger != (heap_inspect_nfp2lasta(h, ma.nfreepools) == s)) {
            differ(err, errlen, "arena %u: nfp2lasta finger differs", s);
            goto out;
        }
        snprintf(what, sizeof what, "arena %u freepools", s);
        if (!same_lists(what, a, model_arena_cache(m, s, a, cap), b,
                        heap_inspect_freepools(h, s, b, cap), err, errlen))
            goto out;
        for (uint32_t i = 0; i < ma.npools; i++) {
            struct model_pool mp;
            model_pool_at(m, s, i, &mp);
            if (i >= hi.ncarved) {
                if (mp.state != MODEL_POOL_UNTOUCHED) {
                    differ(err, errlen, "arena %u pool %u: %s above the high-water mark", s, i,
                           model_pool_state_name(mp.state));
                    goto out;
                }
                continue;
            }
            struct heap_pool_info hp;
            heap_inspect_pool(h, s, i, &hp);
            static const enum model_pool_state states[] = {
                [HEAP_POOL_USED] = MODEL_POOL_USED,
                [HEAP_POOL_FULL] = MODEL_POOL_FULL,
                [HEAP_POOL_EMPTY] = MODEL_POOL_EMPTY,
            };
#define SAME_P(field, hv)                                                                        \
    do {                                                                                         \
        if ((uint64_t)mp.field != (uint64_t)(hv)) {                                              \
            differ(err, errlen, "pool 0x%" PRIx64 " " #field ": model %" PRIu64 ", heap %" PRIu64, \
                   hp.addr, (uint64_t)mp.field, (uint64_t)(hv));                                 \
            goto out;                                                                            \
        }                                                                                        \
    } while (0)
            SAME_P(addr, hp.addr);
            SAME_P(state, states[hp.state]);
            SAME_P(szidx, hp.szidx);
            SAME_P(size, hp.size);
            SAME_P(count, hp.count);
            SAME_P(capacity, hp.nblocks);
            SAME_P(freeblock, hp.freeblock);
            SAME_P(nfree, hp.nfree);
            SAME_P(nextoffset, hp.nextoffset);
            SAME_P(maxnextoffset, hp.maxnextoffset);
            snprintf(what, sizeof what, "pool 0x%" PRIx64 " free list", hp.addr);
            if (!same_lists(what, a, model_pool_free_list(m, hp.addr, a, cap), b,
                            heap_inspect_pool_freelist(h, hp.addr, b, cap), err, errlen))
                goto out;
        }
    }
    struct model_geometry g;
    model_geometry(m, &g);
    for (uint32_t c = 0; c < g.nclasses; c++) {
        snprintf(what, sizeof what, "class %u ring", c);
        if (!same_lists(what, a, model_class_ring(m, c, a, cap), b, heap_inspect_ring(h, c, b, cap),
                        err, errlen))
            goto out;
    }

    /* raw blocks, sorted by address */
    size_t nraw = model_raw_count(m);
    struct heap_raw_info *hr = malloc((nraw + 1) * sizeof *hr);
    size_t hn = heap_inspect_raw(h, hr, nraw + 1);
    if (hn != nraw || nraw > cap) {
        free(hr);
        differ(err, errlen, "raw blocks: model %zu, heap %zu", nraw, hn);
        goto out;
    }
    size_t cur = 0;
    struct model_raw r;
    for (size_t i = 0; model_raw_next(m, &cur, &r); i++)
        a[i] = r.addr;
    qsort(a, nraw, sizeof *a, cmp_u64);
    for (size_t i = 0; i < nraw; i++) {
        struct model_raw x;
        if (a[i] != hr[i].addr || !model_raw_find(m, a[i], &x) || x.size != hr[i].size) {
            free(hr);
            differ(err, errlen, "raw block %zu differs (0x%" PRIx64 ")", i, a[i]);
            goto out;
        }
    }
    free(hr);

    /* the stats report, field by field (the runtime's free lists are not the allocator's) */
    struct heap_stats ms, hs;
    model_get_stats(m, &ms);
    heap_get_stats(h, &hs);
#define SAME_S(field)                                                                            \
    do {                                                                                         \
        if ((uint64_t)ms.field != (uint64_t)hs.field) {                                          \
            differ(err, errlen, "stats " #field ": model %" PRIu64 ", heap %" PRIu64,             \
                   (uint64_t)ms.field, (uint64_t)hs.field);                                      \
            goto out;                                                                            \
        }                                                                                        \
    } while (0)
    SAME_S(alignment);
    SAME_S(threshold);
    SAME_S(pool_size);
    SAME_S(arena_size);
    SAME_S(pool_overhead);
    SAME_S(nclasses);
    SAME_S(radix_tree);
    for (uint32_t c = 0; c < hs.nclasses; c++) {
        SAME_S(classes[c].size);
        SAME_S(classes[c].pools);
        SAME_S(classes[c].in_use);
        SAME_S(classes[c].avail);
    }
    SAME_S(arenas_allocated_total);
    SAME_S(arenas_highwater);
    SAME_S(arenas_current);
    SAME_S(bytes_allocated);
    SAME_S(bytes_available);
    SAME_S(unused_pools);
    SAME_S(bytes_pool_headers);
    SAME_S(bytes_quantization);
    SAME_S(bytes_alignment);
    SAME_S(map_mid_nodes);
    SAME_S(map_bot_nodes);
    SAME_S(map_root_bytes);
    SAME_S(map_mid_bytes);
    SAME_S(map_bot_bytes);
    SAME_S(raw_blocks);
    SAME_S(raw_bytes);
    ok = true;
out:
    free(a);
    free(b);
    free(sa);
    free(sb);
    return ok;
}
