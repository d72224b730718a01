/*
 * demo_allocator.c - the demos about the allocator itself: layers, size-classes,
 * pool-lifecycle, arena-lifecycle and fragmentation.
 *
 * Each mirrors its Python source (demos/demo_NAME.py).  Where Python has an object of the right
 * size the demos use it (a float for 24 bytes, a long string for a large request, a bytes
 * object of 512 bytes); elsewhere they call the allocator directly, as C code calling
 * PyObject_Malloc would (the sources do it through ctypes).  Counts are computed from the heap's
 * profile, so the demos fit every pool and arena size; the sources state CPython 3.10's sizes.
 * What the heap holds (demo_heap_line, "arenas: N") Python cannot print: the sources leave it
 * to the viewer.
 */
#include "demos.h"

#include <allocator/heap_inspect.h>

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static uint64_t arenas_now(struct workload_env *env)
{
    struct heap_counters c;
    heap_inspect_counters(env->heap, &c);
    return c.arenas_current;
}

/* The size class of an n-byte request (n from 1 to the threshold), and its block size. */
static uint32_t class_of(const struct heap_profile *p, size_t n)
{
    return (uint32_t)((n ? n - 1 : 0) / p->alignment);
}

static uint32_t block_of(const struct heap_profile *p, size_t n)
{
    return heap_profile_class_size(p, class_of(p, n));
}

/* Sizes of the runtime's layout (the version's sys.getsizeof): an int of one digit (or 2.7's
 * fixed int), an empty list with its collector header, an ASCII str of n characters. */
static uint32_t int_size(const struct rt_layout *l)
{
    return l->int_fixed ? l->int_basic : l->int_basic + 4;
}

static uint32_t list_size(const struct rt_layout *l)
{
    return l->gc_head + l->list_basic;
}

static uint32_t str_size(const struct rt_layout *l, uint32_t n)
{
    return l->str_ascii + n + 1;
}

/* Frees blocks[from] to blocks[to - 1], passing over the requests that failed. */
static void free_blocks(struct workload_env *env, void *const *blocks, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        if (blocks[i])
            heap_free(env->heap, blocks[i]);
}

static void print_block(struct workload_env *env, const char *what, size_t request, const void *p)
{
    size_t size = heap_block_size(env->heap, p);
    if (size)
        workload_print(env, "%s: %zu bytes requested, %zu-byte block (class %zu)\n", what, request,
                       size, size / heap_profile(env->heap)->alignment - 1);
    else
        workload_print(env, "%s: %zu bytes requested, served by malloc\n", what, request);
}

/* ---- layers ------------------------------------------------------------------------------------ */

void demo_run_layers(struct workload_env *env)
{
    struct runtime *rt = env->rt;
    const struct heap_profile *p = heap_profile(env->heap);

    const struct rt_layout *lay = rt_get_layout(rt);
    demo_step_f(env, "x = float(\"1.5\")",
                "x = float(\"1.5\"), made at run time, needs %u bytes, so pymalloc serves it from a pool of "
                "%u-byte blocks.",
                lay->float_basic, block_of(p, lay->float_basic));
    demo_set(env, "x", rt_float(rt, 1.5));
    if (demo_get(env, "x"))
        print_block(env, "float", lay->float_basic, demo_get(env, "x"));

    demo_step_f(env, "s = \"x\" * int(\"600\")",
                "s = 'x' * int(\"600\") needs %u bytes, more than the %u-byte limit, so it goes straight to the C "
                "library's malloc.",
                str_size(lay, 600), p->threshold);
    char *text = malloc(601);
    if (text) {
        memset(text, 'x', 600);
        text[600] = '\0';
        demo_set(env, "s", rt_str(rt, text));
        free(text);
        if (demo_get(env, "s"))
            print_block(env, "str", str_size(lay, 600), demo_get(env, "s"));
    }

    demo_step_f(env, "l = list(range(10))",
                "A list of 10 ints takes a %u-byte block for itself and a %u-byte block for its array of "
                "items, made for exactly 10.",
                block_of(p, list_size(lay)), block_of(p, 80));
    demo_set(env, "l", demo_int_list(env, 0, 10));

    workload_step_at(env, "for i in range(10, 100):",
                     "Appending 90 more items grows the item array past the limit, so it "
                     "moves from its pool to malloc.");
    struct rt_object *l = demo_get(env, "l");
    for (int i = 10; l && i < 100; i++) {
        struct rt_object *v = rt_int(rt, i);
        if (!v)
            break;
        rt_list_append(rt, l, v);
        rt_decref(rt, v, EV_REF_TEMP, NULL);
    }
    if (l)
        workload_print(env, "list items: %zu slots = %zu bytes, above %u: malloc\n",
                       rt_list_allocated(l), rt_list_allocated(l) * 8, p->threshold);

    demo_step_f(env, "p = PyObject_Malloc(0)",
                "A request for 0 bytes also goes to malloc: pymalloc only serves 1 to %u bytes.", p->threshold);
    void *zero = heap_malloc(env->heap, 0);
    if (zero) {
        print_block(env, "PyObject_Malloc(0)", 0, zero);
        heap_free(env->heap, zero);
    }

    workload_step_at(env, "del x",
                     "del x puts the float on the float free list: its block stays allocated "
                     "for the next float.");
    demo_del(env, "x");

    workload_step_at(env, "del s",
                     "del s and del l give their malloc blocks back to the C library and the "
                     "list's block to the list free list.");
    demo_del(env, "s");
    demo_del(env, "l");

    workload_step_at(env, "print(\"gc.collect() ->\", gc.collect())",
                     "A full collection empties the free lists, so the float's and the list's "
                     "blocks go back to their pools.");
    demo_gc_collect(env);
    demo_heap_line(env);
}

/* ---- size classes ------------------------------------------------------------------------------- */

/* PyObject_Malloc(n), and the line that says where it was served. */
static void *malloc_shown(struct workload_env *env, size_t n)
{
    char what[48];
    snprintf(what, sizeof what, "PyObject_Malloc(%zu)", n);
    void *b = heap_malloc(env->heap, n);
    if (b)
        print_block(env, what, n, b);
    return b;
}

/* print("size classes in use:", [...]): the classes whose pools hold blocks now. */
static void print_classes(struct workload_env *env)
{
    static struct heap_stats st; /* large: not on the stack; demos run on one thread */
    heap_get_stats(env->heap, &st);
    char list[512] = "";
    size_t len = 0;
    for (uint32_t i = 0; i < st.nclasses && len < sizeof list; i++)
        if (st.classes[i].in_use)
            len += (size_t)snprintf(list + len, sizeof list - len, "%s%u", len ? ", " : "", i);
    workload_print(env, "size classes in use: [%s]\n", list);
}

void demo_run_size_classes(struct workload_env *env)
{
    struct runtime *rt = env->rt;
    const struct heap_profile *p = heap_profile(env->heap);
    const struct rt_layout *lay = rt_get_layout(rt);
    void *blocks[8] = {0};
    static const size_t sizes[] = {1, 16, 17, 33, 40, 48};

    demo_step_f(env, "blocks = [PyObject_Malloc(1)]",
                "A 1-byte request gets a whole %u-byte block: the smallest size class, class 0.", block_of(p, 1));
    blocks[0] = malloc_shown(env, 1);

    if (class_of(p, 16) == class_of(p, 17))
        demo_step_f(env, "for n in (16, 17):", "16 and 17 bytes both fit class %u and its %u-byte blocks.",
                    class_of(p, 16), block_of(p, 16));
    else
        demo_step_f(env, "for n in (16, 17):",
                    "16 bytes fit class %u, but 17 bytes need class %u and its %u-byte blocks, wasting %u bytes.",
                    class_of(p, 16), class_of(p, 17), block_of(p, 17), block_of(p, 17) - 17);
    for (int i = 1; i < 3; i++)
        blocks[i] = malloc_shown(env, sizes[i]);

    if (class_of(p, 33) == class_of(p, 48))
        demo_step_f(env, "for n in (33, 40, 48):",
                    "Every class is a multiple of %u bytes: requests of 33, 40 and 48 bytes all share the "
                    "%u-byte class.",
                    p->alignment, block_of(p, 48));
    else
        demo_step_f(env, "for n in (33, 40, 48):",
                    "Every class is a multiple of %u bytes: requests of 33, 40 and 48 bytes take the %u-, %u- "
                    "and %u-byte classes.",
                    p->alignment, block_of(p, 33), block_of(p, 40), block_of(p, 48));
    for (int i = 3; i < 6; i++)
        blocks[i] = malloc_shown(env, sizes[i]);

    if (lay->int_fixed)
        demo_step_f(env, "i = int(\"1000\")",
                    "Objects are rounded the same way: an empty list of %u bytes (its collector header "
                    "counted) uses the %u-byte class; 2.7's %u-byte int is not in a pool at all, but in a "
                    "block of 1000 bytes from malloc, 41 ints to a block.",
                    list_size(lay), block_of(p, list_size(lay)), int_size(lay));
    else
        demo_step_f(env, "i = int(\"1000\")",
                    "Objects are rounded the same way: an int of %u bytes uses the %u-byte class, an empty "
                    "list of %u bytes (its collector header counted) the %u-byte class.",
                    int_size(lay), block_of(p, int_size(lay)), list_size(lay), block_of(p, list_size(lay)));
    demo_set_int(env, "i", 1000);
    demo_set(env, "l", rt_list(rt, 0, NULL));
    if (demo_get(env, "i"))
        print_block(env, "int 1000", int_size(lay), demo_get(env, "i"));
    if (demo_get(env, "l"))
        print_block(env, "[]", list_size(lay), (char *)demo_get(env, "l") - lay->gc_head);

    demo_step_f(env, "for n in (SMALL_REQUEST_THRESHOLD, SMALL_REQUEST_THRESHOLD + 1):",
                "%u bytes is the last size class; a %u-byte request goes to malloc instead.", p->threshold,
                p->threshold + 1);
    blocks[6] = malloc_shown(env, p->threshold);
    blocks[7] = malloc_shown(env, (size_t)p->threshold + 1);

    workload_step_at(env, "print(\"size classes in use:\", sorted(used))",
                     "Each size class has pools of its own: blocks of different sizes never "
                     "share a pool.");
    print_classes(env);
    demo_heap_line(env);

    workload_step_at(env, "for p in blocks:",
                     "Freeing the blocks empties their pools, which go back to their arena's "
                     "cache of empty pools.");
    free_blocks(env, blocks, 0, 8);
    demo_del(env, "i");
    demo_del(env, "l");
    demo_heap_line(env);
}

/* ---- pool lifecycle ------------------------------------------------------------------------------ */

void demo_run_pool_lifecycle(struct workload_env *env)
{
    const struct heap_profile *p = heap_profile(env->heap);
    uint32_t last = heap_profile_nclasses(p) - 1;
    size_t size = heap_profile_class_size(p, last);
    size_t n = heap_profile_blocks_per_pool(p, last);
    void **blocks = calloc(n, sizeof *blocks);
    if (!blocks)
        return;

    workload_step_at(env, "blocks = []",
                     "Before the first request, the arena's pools are untouched: no memory "
                     "in them has been used.");
    demo_heap_line(env);

    workload_step_at(env, "blocks.append(new_block())",
                     "The first request for the largest size class carves a fresh pool and "
                     "takes its first block: the pool is now in use.");
    blocks[0] = heap_malloc(env->heap, size);
    workload_print(env, "one pool holds %zu blocks of %zu bytes\n", n, size);

    workload_step_at(env, "for _ in range(PER_POOL - 1):",
                     "Taking every remaining block fills the pool: a full pool leaves the list "
                     "of pools that have room.");
    for (size_t i = 1; i < n; i++)
        blocks[i] = heap_malloc(env->heap, size);

    workload_step_at(env, "blocks[PER_POOL // 2] = None",
                     "Freeing one block makes the pool used again: it goes back to the front "
                     "of the list of pools with room.");
    if (blocks[n / 2])
        heap_free(env->heap, blocks[n / 2]);

    workload_step_at(env, "blocks[PER_POOL // 2] = new_block()",
                     "The next request takes exactly the block just freed, and the pool is "
                     "full once more.");
    blocks[n / 2] = heap_malloc(env->heap, size);

    workload_step_at(env, "blocks.clear()",
                     "Freeing every block empties the pool: it moves to its arena's cache of "
                     "empty pools.");
    free_blocks(env, blocks, 0, n);

    workload_step_at(env, "small = new_block(64)",
                     "A request of another size, 64 bytes, reuses that empty pool for its own "
                     "size class.");
    void *small = heap_malloc(env->heap, 64);

    workload_step_at(env, "del small",
                     "When its last block is freed, that pool is empty again.");
    if (small)
        heap_free(env->heap, small);
    free(blocks);
}

/* ---- arena lifecycle ------------------------------------------------------------------------------ */

void demo_run_arena_lifecycle(struct workload_env *env)
{
    const struct heap_profile *p = heap_profile(env->heap);
    uint32_t last = heap_profile_nclasses(p) - 1;
    size_t size = heap_profile_class_size(p, last);
    size_t per_arena = heap_profile_blocks_per_pool(p, last) * (p->arena_size / p->pool_size);
    size_t cap = 2 * per_arena + 2, n = 0, first_of_second = 0;
    void **blocks = calloc(cap, sizeof *blocks);
    if (!blocks)
        return;
    uint64_t base = arenas_now(env);

    workload_step_at(env, "blocks = [new_block()]",
                     "The first request obtains an arena from the system and carves its "
                     "first pool.");
    blocks[n++] = heap_malloc(env->heap, size);
    workload_print(env, "arenas: %" PRIu64 "\n", arenas_now(env));

    workload_step_at(env, "for _ in range(PER_ARENA):",
                     "Filling every pool of that arena makes the next request obtain a "
                     "second arena.");
    while (n < cap && arenas_now(env) < base + 2) {
        blocks[n] = heap_malloc(env->heap, size);
        if (!blocks[n])
            break;
        n++;
    }
    first_of_second = n - 1;
    workload_print(env, "%zu blocks of %zu bytes\n", n, size);
    workload_print(env, "arenas: %" PRIu64 "\n", arenas_now(env));

    workload_step_at(env, "del blocks[PER_ARENA:]",
                     p->keep_last_free_arena
                         ? "Freeing the second arena's block leaves it wholly empty, but as the "
                           "last usable arena it is kept, as CPython 3.9 and later do."
                         : "Freeing the second arena's block leaves it wholly empty, and it goes back to "
                           "the system at once: before 3.9 no empty arena is kept.");
    free_blocks(env, blocks, first_of_second, n);
    n = first_of_second;
    workload_print(env, "arenas: %" PRIu64 "\n", arenas_now(env));

    workload_step_at(env, "blocks.clear()",
                     "Freeing the first arena's blocks empties it too, and an empty arena "
                     "that is not needed goes back to the system.");
    free_blocks(env, blocks, 0, n);
    workload_print(env, "arenas: %" PRIu64 "\n", arenas_now(env));

    workload_step_at(env, "again = new_block()",
                     p->keep_last_free_arena
                         ? "A new request is served from the arena that was kept: no new arena is needed."
                         : "A new request needs an arena again, and obtains one from the system: none "
                           "was kept.");
    void *again = heap_malloc(env->heap, size);
    workload_print(env, "arenas: %" PRIu64 "\n", arenas_now(env));

    workload_step_at(env, "del again",
                     p->keep_last_free_arena ? "Freeing that block leaves the kept arena empty again."
                                             : "Freeing that block empties the arena, which goes back "
                                               "to the system at once.");
    if (again)
        heap_free(env->heap, again);
    free(blocks);
}

/* ---- fragmentation -------------------------------------------------------------------------------- */

void demo_run_fragmentation(struct workload_env *env)
{
    enum { N = 300000, KEEP_EVERY = 1000 };
    void **blocks = calloc(N, sizeof *blocks);
    if (!blocks)
        return;

    demo_step_f(env, "blocks = [object() for _ in range(300_000)]",
                "Allocate 300,000 blocks of 16 bytes, as many object() instances would take (their %u-byte "
                "class): the pools and arenas fill up.",
                block_of(heap_profile(env->heap), 16));
    for (size_t i = 0; i < N; i++)
        blocks[i] = heap_malloc(env->heap, 16);
    demo_heap_line(env);

    workload_step_at(env, "survivors = {id(b): b for b in blocks[::1000]}",
                     "Free all but every 1,000th: 99.9% of the blocks are gone, yet every "
                     "arena is still held.");
    workload_line(env, "del blocks");
    for (size_t i = 0; i < N; i++)
        if (i % KEEP_EVERY != 0 && blocks[i]) {
            heap_free(env->heap, blocks[i]);
            blocks[i] = NULL;
        }
    demo_heap_line(env);

    workload_step_at(env, "print(len(survivors), \"survivors of 16 bytes hold the arenas above\")",
                     "Each survivor keeps its pool in use, and each used pool keeps its whole "
                     "arena: memory only goes back an arena at a time.");
    workload_print(env, "%d survivors of 16 bytes hold the arenas above\n", N / KEEP_EVERY);

    workload_step_at(env, "survivors.clear()",
                     heap_profile(env->heap)->keep_last_free_arena
                         ? "Free the survivors too: now the arenas go back to the system, except one "
                           "that is kept for reuse."
                         : "Free the survivors too: now every arena goes back to the system (before 3.9 "
                           "none is kept).");
    free_blocks(env, blocks, 0, N);
    demo_heap_line(env);

    workload_step_at(env, "del survivors",
                     "So the only reliable way to give all memory back is to end the process: "
                     "run memory-hungry work in a child process.");
    free(blocks);
}
