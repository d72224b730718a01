/*
 * arena_source.c - where arenas come from: CPython's PyObjectArenaAllocator, three ways.
 *
 *  mmap     what CPython does on POSIX (docs/cpython-memory.md 1.5): an anonymous private mapping
 *           of arena_size bytes.  The kernel aligns it to a page only, so with pools larger than a
 *           page (3.10+: 16 KiB pools) most arenas start off a pool boundary and lose a pool to the
 *           sliver before the first boundary: 63 pools instead of 64, as it falls.
 *  aligned  a mapping aligned to arena_size (map twice the size, unmap the ends), so every arena
 *           has all its pools and placements are the same from run to run.  Tests, teaching and
 *           the differential test against CPython use it.
 *  failing  wraps another source and refuses its Nth request (and, when sticky, every later
 *           one): the heap must then fall back to the raw layer without leaking or breaking.
 */
#include "heap_internal.h"

#include <stdint.h>
#include <sys/mman.h>

static void *mmap_alloc(void *ctx, size_t size)
{
    (void)ctx;
    void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static void mmap_free(void *ctx, void *addr, size_t size)
{
    (void)ctx;
    munmap(addr, size);
}

struct heap_arena_source heap_arena_source_mmap(void)
{
    return (struct heap_arena_source){.alloc = mmap_alloc, .free = mmap_free, .ctx = NULL};
}

static void *aligned_alloc_arena(void *ctx, size_t size)
{
    (void)ctx;
    if (size == 0 || (size & (size - 1)) || size > SIZE_MAX / 2)
        return NULL;
    uint8_t *p = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    uintptr_t base = ((uintptr_t)p + size - 1) & ~(uintptr_t)(size - 1);
    size_t head = base - (uintptr_t)p;
    if (head)
        munmap(p, head);
    if (size - head)
        munmap((uint8_t *)base + size, size - head);
    return (void *)base;
}

struct heap_arena_source heap_arena_source_aligned(void)
{
    return (struct heap_arena_source){.alloc = aligned_alloc_arena, .free = mmap_free, .ctx = NULL};
}

static void *failing_alloc(void *ctx, size_t size)
{
    struct heap_failing_source *s = ctx;
    uint64_t n = ++s->requests;
    if (s->fail_at && (n == s->fail_at || (s->sticky && n > s->fail_at))) {
        s->failed++;
        return NULL;
    }
    return s->inner.alloc(s->inner.ctx, size);
}

static void failing_free(void *ctx, void *addr, size_t size)
{
    struct heap_failing_source *s = ctx;
    s->inner.free(s->inner.ctx, addr, size);
}

struct heap_arena_source heap_arena_source_failing(struct heap_failing_source *state)
{
    return (struct heap_arena_source){.alloc = failing_alloc, .free = failing_free, .ctx = state};
}
