/*
 * test_fold.c - the fold on hand-written streams: each transition of docs/cpython-memory.md 3.7,
 * the virgin blocks an allocation takes (block_alloc's `virgin`, and what a version 1 trace left
 * unsaid), the order of transitions, and inconsistent events stopping the model with the event
 * number and reason.
 */
#include "evbuild.h"

#include <tracer/model.h>

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static struct model *new_model(struct trace_header h)
{
    struct model *m;
    cr_assert_eq(model_new(&m, &h), 0);
    return m;
}

static void fold(struct model *m, struct event ev)
{
    int rc = model_fold(m, &ev);
    cr_assert_eq(rc, 0, "fold of %s failed: %s", event_kind_name(ev.kind), model_error(m));
}

/* A first allocation on an empty heap: the arenas vector, an arena (serial 0) in `slot` at base
 * with npools pools, moved onto usable_arenas, its first pool carved and set to class szidx, and
 * a block of `size` bytes after the pool header. */
static void fold_first_block(struct model *m, uint64_t slot, uint64_t base, uint64_t npools, uint64_t szidx,
                             uint64_t size)
{
    fold(m, EVB(ARENA_VECTOR, NULL, 16));
    fold(m, EVB(ARENA_NEW, NULL, 0, slot, base, npools, 0));
    fold(m, EVB(ARENA_MOVE, NULL, slot, 0));
    fold(m, EVB(POOL_CARVE, NULL, base, slot));
    fold(m, EVB(POOL_INIT, NULL, base, szidx));
    fold(m, EVB(BLOCK_ALLOC, NULL, base + 48, size, 0, 2)); /* block 0, and block 1 threaded */
}

/* That block freed: its pool empty, the arena off usable_arenas and returned. */
static void fold_release_first(struct model *m, uint64_t slot, uint64_t base)
{
    fold(m, EVB(BLOCK_FREE, NULL, base + 48));
    fold(m, EVB(POOL_EMPTY, NULL, base));
    fold(m, EVB(ARENA_MOVE, NULL, slot, -1));
    fold(m, EVB(ARENA_FREE, NULL, slot, base));
}

static void valid(const struct model *m)
{
    char err[256];
    cr_assert(model_is_valid(m, err, sizeof err), "invalid: %s", err);
}

#define BASE 0x7f0000000000ull /* 1 MiB aligned */

/* The first allocation of a fresh heap: the micro-example of docs/cpython-memory.md 3.8. */
static void first_alloc(struct model *m)
{
    fold_first_block(m, 0, BASE, 64, 2, 40);
}

/* A profile of 256 size classes (4-byte alignment, threshold 1024): class 255 is a class like
 * any other, in the arena map's cells as in the pool records, and "no class" is MODEL_NO_CLASS. */
Test(fold, the_last_of_256_classes_is_a_class)
{
    struct trace_header h = evb_header_310();
    h.alignment = 4;
    h.threshold = 1024;
    h.pool_size = 4096;
    struct model *m = new_model(h);
    fold_first_block(m, 0, BASE, 256, 255, 1024);
    valid(m);
    struct model_pool_cell cells[256];
    cr_assert_eq(model_arena_cells(m, 0, cells, 256), 256);
    cr_assert_eq(cells[0].szidx, 255);
    cr_assert_eq(cells[0].state, MODEL_POOL_USED);
    cr_assert_eq(cells[0].count, 1);
    cr_assert_eq(cells[1].szidx, MODEL_NO_CLASS);
    cr_assert_eq(cells[1].state, MODEL_POOL_UNTOUCHED);
    struct model_pool p;
    cr_assert(model_pool_at(m, 0, 0, &p) && p.szidx == 255 && p.size == 1024);
    cr_assert(model_pool_at(m, 0, 1, &p) && p.szidx == MODEL_NO_CLASS);
    model_free(m);
}

Test(fold, micro_example)
{
    struct model *m = new_model(evb_header_310());
    first_alloc(m);
    valid(m);
    struct model_pool p;
    cr_assert(model_pool_find(m, BASE + 100, &p));
    cr_assert_eq(p.state, MODEL_POOL_USED);
    cr_assert_eq(p.szidx, 2);
    cr_assert_eq(p.count, 1);
    cr_assert_eq(p.capacity, 340);
    cr_assert_eq(p.nextoffset, 48 + 96);
    cr_assert_eq(p.maxnextoffset, 16384 - 48);
    cr_assert_eq(p.freeblock, BASE + 96);
    cr_assert_eq(p.nvirgin, (16384 - 144) / 48);
    struct model_next nx;
    model_next_block(m, 2, &nx);
    cr_assert_eq(nx.source, MODEL_NEXT_RING);
    cr_assert_eq(nx.addr, BASE + 96);

    /* the second allocation empties the free list and threads the next virgin block */
    fold(m, EVB(BLOCK_ALLOC, NULL, BASE + 96, 48, 0, 1));
    valid(m);
    cr_assert(model_pool_find(m, BASE, &p));
    cr_assert_eq(p.freeblock, BASE + 144);
    cr_assert_eq(p.nextoffset, 192);
    cr_assert_eq(p.nfree, 1);

    /* a free pushes on the LIFO */
    fold(m, EVB(BLOCK_FREE, NULL, BASE + 48));
    valid(m);
    uint64_t list[4];
    cr_assert_eq(model_pool_free_list(m, BASE, list, 4), 2);
    cr_assert_eq(list[0], BASE + 48);
    cr_assert_eq(list[1], BASE + 144);
    uint8_t states[340];
    cr_assert_eq(model_pool_blocks(m, BASE, states, 340), 340);
    cr_assert_eq(states[0], MODEL_BLOCK_FREE);
    cr_assert_eq(states[1], MODEL_BLOCK_ALLOCATED);
    cr_assert_eq(states[2], MODEL_BLOCK_FREE);
    cr_assert_eq(states[3], MODEL_BLOCK_VIRGIN);
    struct model_block b;
    cr_assert(model_block_find(m, BASE + 100, &b));
    cr_assert_eq(b.addr, BASE + 96);
    cr_assert_eq(b.requested, 48);
    cr_assert_eq(b.state, MODEL_BLOCK_ALLOCATED);

    struct heap_stats st;
    model_get_stats(m, &st);
    cr_assert_eq(st.classes[2].pools, 1);
    cr_assert_eq(st.classes[2].in_use, 1);
    cr_assert_eq(st.classes[2].avail, 339);
    cr_assert_eq(st.arenas_current, 1);
    cr_assert_eq(st.unused_pools, 63);
    cr_assert_eq(st.bytes_allocated + st.bytes_available + st.unused_pools * 16384 +
                     st.bytes_pool_headers + st.bytes_quantization + st.bytes_alignment,
                 1 << 20);
    model_free(m);
}

Test(fold, free_of_unknown_block_stops_the_model)
{
    struct model *m = new_model(evb_header_310());
    first_alloc(m);
    struct event bad = EVB(BLOCK_FREE, NULL, BASE + 96);
    cr_assert_eq(model_fold(m, &bad), MODEL_EINCONSISTENT);
    cr_assert(model_is_stopped(m));
    cr_assert_eq(model_error_seq(m), 6);
    cr_assert(strstr(model_error(m), "event 6: block_free: ") == model_error(m), "%s",
              model_error(m));
    cr_assert(strstr(model_error(m), "not an allocated block"), "%s", model_error(m));
    cr_assert_eq(model_position(m), 6);
    valid(m); /* the state before the bad event */
    struct event ok = EVB(BLOCK_ALLOC, NULL, BASE + 96, 40, 0);
    cr_assert_eq(model_fold(m, &ok), MODEL_ESTOPPED);
    model_free(m);
}

/* An arena's last change is its own or any of its pools', through a checkpoint too. */
Test(fold, last_change_of_an_arena_and_its_pools)
{
    struct trace_header h = evb_header_310();
    struct model *m = new_model(h);
    first_alloc(m); /* events 0 .. 5, the block_alloc last */
    fold(m, EVB(BLOCK_ALLOC, NULL, BASE + 96, 48, 0, 1));     /* 6: the pool */
    fold(m, EVB(ARENA_MOVE, NULL, 0, 0));                      /* 7: the arena alone */
    struct model_arena a;
    struct model_pool p;
    for (int pass = 0; pass < 2; pass++) {
        cr_assert(model_arena_at(m, 0, &a));
        cr_assert_eq(a.seq_new, 1);
        cr_assert_eq(a.seq_changed, 7);
        cr_assert(model_pool_at(m, 0, 0, &p));
        cr_assert_eq(p.seq_changed, 6);
        cr_assert_eq(p.index, 0);
        fold(m, EVB(BLOCK_FREE, NULL, BASE + 48));            /* 8: the pool again */
        cr_assert(model_arena_at(m, 0, &a));
        cr_assert_eq(a.seq_changed, 8);
        fold(m, EVB(ARENA_MOVE, NULL, 0, 0));                  /* 9 */
        fold(m, EVB(BLOCK_ALLOC, NULL, BASE + 48, 40, 0));     /* 10 */
        cr_assert(model_arena_at(m, 0, &a));
        cr_assert_eq(a.seq_changed, 10);
        if (pass == 1)
            break;
        /* the same after a checkpoint of the state at 7, folded forward again */
        model_free(m);
        m = new_model(h);
        first_alloc(m);
        fold(m, EVB(BLOCK_ALLOC, NULL, BASE + 96, 48, 0, 1));
        fold(m, EVB(ARENA_MOVE, NULL, 0, 0));
        void *blob;
        size_t len;
        cr_assert_eq(model_save(m, &blob, &len), 0);
        model_reset(m);
        cr_assert_eq(model_load(m, blob, len), 0);
        free(blob);
    }
    model_free(m);
}

/* Fills a tiny pool of class 3 (3 blocks of 64 bytes), then frees it back to empty. */
Test(fold, pool_transitions)
{
    struct model *m = new_model(evb_header_tiny());
    const uint64_t A = 0x10000; /* 1 KiB aligned */
    fold_first_block(m, 3, A, 4, 3, 64);
    fold(m, EVB(BLOCK_ALLOC, NULL, A + 112, 50, 0, 1));
    valid(m);
    fold(m, EVB(BLOCK_ALLOC, NULL, A + 176, 64, 0));
    struct model_pool p;
    cr_assert(model_pool_find(m, A, &p));
    cr_assert_eq(p.count, 3);
    cr_assert_eq(p.freeblock, 0);
    cr_assert_not(model_is_valid(m, NULL, 0)); /* pool_full is pending */
    fold(m, EVB(POOL_FULL, NULL, A));
    valid(m);
    cr_assert(model_pool_find(m, A, &p));
    cr_assert_eq(p.state, MODEL_POOL_FULL);
    cr_assert_eq(model_class_ring(m, 3, NULL, 0), 0);

    /* full -> used: a free puts the pool at the front of its ring */
    fold(m, EVB(BLOCK_FREE, NULL, A + 112));
    struct event wrong = EVB(BLOCK_FREE, NULL, A + 48);
    cr_assert_eq(model_fold(m, &wrong), MODEL_EINCONSISTENT);
    cr_assert(strstr(model_error(m), "pool_unfull"), "%s", model_error(m));
    model_free(m);

    m = new_model(evb_header_tiny());
    fold_first_block(m, 3, A, 4, 3, 64);
    fold(m, EVB(BLOCK_ALLOC, NULL, A + 112, 64, 0, 1));
    fold(m, EVB(BLOCK_ALLOC, NULL, A + 176, 64, 0));
    fold(m, EVB(POOL_FULL, NULL, A));
    fold(m, EVB(BLOCK_FREE, NULL, A + 112));
    fold(m, EVB(POOL_UNFULL, NULL, A));
    valid(m);
    uint64_t ring[2];
    cr_assert_eq(model_class_ring(m, 3, ring, 2), 1);
    cr_assert_eq(ring[0], A);
    fold(m, EVB(BLOCK_FREE, NULL, A + 48));
    fold(m, EVB(BLOCK_FREE, NULL, A + 176));
    fold(m, EVB(POOL_EMPTY, NULL, A));
    /* the arena is wholly free: it is the tail of usable_arenas, so 3.9+ keeps it */
    valid(m);
    struct model_arena a;
    cr_assert(model_arena_at(m, 3, &a));
    cr_assert(a.is_retained);
    cr_assert_eq(a.nfreepools, 4);
    cr_assert_eq(a.nempty, 1);
    uint64_t fl[4];
    cr_assert_eq(model_pool_free_list(m, A, fl, 4), 3);
    cr_assert_eq(fl[0], A + 176);
    cr_assert_eq(fl[1], A + 48);
    cr_assert_eq(fl[2], A + 112);

    /* the cached pool is reused for the same class without pool_init */
    struct model_next nx;
    model_next_block(m, 3, &nx);
    cr_assert_eq(nx.source, MODEL_NEXT_CACHED_POOL);
    cr_assert_eq(nx.addr, A + 176);
    fold(m, EVB(POOL_UNCACHE, NULL, A));
    fold(m, EVB(BLOCK_ALLOC, NULL, A + 176, 64, 0));
    valid(m);
    /* and for another class with it: two blocks threaded afresh */
    fold(m, EVB(BLOCK_FREE, NULL, A + 176));
    fold(m, EVB(POOL_EMPTY, NULL, A));
    fold(m, EVB(POOL_UNCACHE, NULL, A));
    fold(m, EVB(POOL_INIT, NULL, A, 0));
    fold(m, EVB(BLOCK_ALLOC, NULL, A + 48, 1, 0, 2));
    valid(m);
    cr_assert(model_pool_find(m, A, &p));
    cr_assert_eq(p.capacity, 13);
    cr_assert_eq(p.freeblock, A + 64);
    /* release: free, empty, off the list, returned */
    fold(m, EVB(BLOCK_FREE, NULL, A + 48));
    fold(m, EVB(POOL_EMPTY, NULL, A));
    struct event early = EVB(ARENA_FREE, NULL, 3, A);
    cr_assert_eq(model_fold(m, &early), MODEL_EINCONSISTENT); /* still on usable_arenas */
    model_free(m);
}

Test(fold, arena_release_and_misaligned_arena)
{
    struct model *m = new_model(evb_header_tiny());
    const uint64_t A = 0x10000, B = 0x20010; /* B is not pool-aligned */
    fold_first_block(m, 0, A, 4, 0, 16);
    fold_release_first(m, 0, A);
    struct event bad_sliver = EVB(ARENA_NEW, NULL, 1, 1, B, 4, 0);
    cr_assert_eq(model_fold(m, &bad_sliver), MODEL_EINCONSISTENT);
    model_free(m);

    m = new_model(evb_header_tiny());
    fold_first_block(m, 0, A, 4, 0, 16);
    fold_release_first(m, 0, A);
    valid(m);
    struct model_released rel[2];
    cr_assert_eq(model_released(m, rel, 2), 1);
    cr_assert_eq(rel[0].base, A);
    cr_assert_eq(rel[0].seq_freed, 9);
    fold(m, EVB(ARENA_NEW, NULL, 1, 0, B, 3, 0xf0));
    fold(m, EVB(ARENA_MOVE, NULL, 0, 0));
    fold(m, EVB(POOL_CARVE, NULL, B + 0xf0, 0));
    fold(m, EVB(POOL_INIT, NULL, B + 0xf0, 1));
    fold(m, EVB(BLOCK_ALLOC, NULL, B + 0xf0 + 48, 20, 0, 2));
    valid(m);
    struct heap_stats st;
    model_get_stats(m, &st);
    cr_assert_eq(st.arenas_allocated_total, 2);
    cr_assert_eq(st.arenas_current, 1);
    cr_assert_eq(st.bytes_alignment, 256);
    cr_assert_eq(st.bytes_allocated + st.bytes_available + st.unused_pools * 256 +
                     st.bytes_pool_headers + st.bytes_quantization + st.bytes_alignment,
                 1024);
    model_free(m);
}

Test(fold, objects_references_and_generations)
{
    struct model *m = new_model(evb_header_310());
    first_alloc(m); /* a 40-byte block at BASE + 48 */
    fold(m, EVB(BLOCK_ALLOC, NULL, BASE + 96, 40, 0, 1));
    fold(m, EVB(TYPE_NEW, "list", 1, 40, 0, 1));
    const uint64_t x = BASE + 48 + 16, y = BASE + 96 + 16;
    fold(m, EVB(OBJ_NEW, NULL, x, 1, 40, 0, 0));
    fold(m, EVB(OBJ_NEW, NULL, y, 1, 40, 0, 0));
    fold(m, EVB(GC_TRACK, NULL, x, 0));
    fold(m, EVB(GC_TRACK, NULL, y, 0));
    fold(m, EVB(INCREF, NULL, y, 2, EV_REF_CONTAINER, x));
    fold(m, EVB(INCREF, NULL, x, 2, EV_REF_CONTAINER, y));
    fold(m, EVB(FRAME_PUSH, "<module>", 1));
    fold(m, EVB(NAME_BIND, "a", 1, x));
    valid(m);
    struct model_object o;
    cr_assert(model_object_find(m, x, &o));
    cr_assert_str_eq(o.type_name, "list");
    cr_assert_eq(o.refcnt, 2);
    cr_assert_eq(o.block, BASE + 48);
    cr_assert_eq(o.szidx, 2);
    cr_assert_eq(o.gen, 0);
    struct model_ref refs[4];
    cr_assert_eq(model_object_referents(m, x, refs, 4), 1);
    cr_assert_eq(refs[0].obj, y);
    cr_assert_eq(model_object_referrers(m, x, refs, 4), 1);
    cr_assert_eq(refs[0].obj, y);
    struct model_name nm[2];
    cr_assert_eq(model_object_names(m, x, nm, 2), 1);
    cr_assert_eq(nm[0].name_len, 1);
    cr_assert_eq(nm[0].name[0], 'a');
    struct model_block b;
    cr_assert(model_block_find(m, BASE + 50, &b));
    cr_assert_eq(b.object, x);
    uint64_t g[3];
    cr_assert_eq(model_gc_generation(m, 0, g, 3), 2);
    cr_assert_eq(g[0], x);
    cr_assert_eq(g[1], y);

    /* a decref that does not follow from the count */
    struct event bad = EVB(DECREF, NULL, y, 0, 0, 0);
    cr_assert_eq(model_fold(m, &bad), MODEL_EINCONSISTENT);
    cr_assert(strstr(model_error(m), "goes from 2 to 0"), "%s", model_error(m));
    model_free(m);
}

Test(fold, freeing_a_block_under_a_live_object_is_inconsistent)
{
    struct model *m = new_model(evb_header_310());
    first_alloc(m);
    fold(m, EVB(TYPE_NEW, "object", 1, 16, 0, 0));
    fold(m, EVB(OBJ_NEW, NULL, BASE + 48, 1, 16, 0, 0));
    struct event bad = EVB(BLOCK_FREE, NULL, BASE + 48);
    cr_assert_eq(model_fold(m, &bad), MODEL_EINCONSISTENT);
    cr_assert(strstr(model_error(m), "live object"), "%s", model_error(m));
    model_free(m);
}

/* 2.7's ints share a block of 1000 bytes from malloc, 41 to a block (runtime_intblock.c): a raw
 * block holds as many objects as the events put in it, and goes back only once none is left. */
Test(fold, a_raw_block_holds_the_ints_of_a_block_of_ints)
{
    struct model *m = new_model(evb_header_310());
    const uint64_t raw = 0x560000001000ull;
    fold(m, EVB(TYPE_NEW, "int", 1, 24, 0, 0));
    fold(m, EVB(RAW_ALLOC, NULL, raw, 1000, EV_RAW_DOMAIN, 0));
    const uint64_t ints[] = {raw + 8 + 40 * 24, raw + 8 + 39 * 24, raw + 8};
    for (size_t i = 0; i < 3; i++)
        fold(m, EVB(OBJ_NEW, NULL, ints[i], 1, 24, EV_OBJ_FREELIST, 0));
    struct event twice = EVB(OBJ_NEW, NULL, ints[2], 1, 24, EV_OBJ_FREELIST, 0);
    cr_assert_eq(model_fold(m, &twice), MODEL_EINCONSISTENT, "one address, one object");
    model_free(m);

    m = new_model(evb_header_310());
    fold(m, EVB(TYPE_NEW, "int", 1, 24, 0, 0));
    fold(m, EVB(RAW_ALLOC, NULL, raw, 1000, EV_RAW_DOMAIN, 0));
    for (size_t i = 0; i < 3; i++)
        fold(m, EVB(OBJ_NEW, NULL, ints[i], 1, 24, EV_OBJ_FREELIST, 0));
    valid(m);
    struct model_object o;
    cr_assert(model_object_find(m, ints[0], &o));
    cr_assert_eq(o.block, raw, "the int at offset 968 is in the block of ints");
    for (size_t i = 0; i < 2; i++) {
        fold(m, EVB(DECREF, NULL, ints[i], 0, EV_REF_TEMP, 0));
        fold(m, EVB(OBJ_FREE, NULL, ints[i], EV_OBJ_FREELIST));
    }
    struct event early = EVB(RAW_FREE, NULL, raw);
    cr_assert_eq(model_fold(m, &early), MODEL_EINCONSISTENT, "an int still lives in the block");
    cr_assert(strstr(model_error(m), "live object"), "%s", model_error(m));
    model_free(m);
}

Test(fold, unknown_kind_is_reported)
{
    struct model *m = new_model(evb_header_310());
    struct event ev = EVB(STEP, "x", 1);
    ev.kind = (enum event_kind)EV_KIND_COUNT;
    cr_assert_eq(model_fold(m, &ev), MODEL_EINCONSISTENT);
    cr_assert(strstr(model_error(m), "unknown event kind"));
    model_free(m);
}

Test(fold, bad_geometry_is_refused)
{
    struct trace_header h = evb_header_310();
    struct model *m;
    h.pool_size = 3000;
    cr_assert_eq(model_new(&m, &h), MODEL_EGEOMETRY);
    h = evb_header_310();
    h.threshold = 8192; /* a class of 8 KiB blocks fits only one in a 16 KiB pool... */
    h.alignment = 32;
    cr_assert_eq(model_new(&m, &h), MODEL_EGEOMETRY);
}

/* block_alloc says how many blocks left the pool's virgin space; a count the pool cannot have
 * stops the model. */
Test(fold, virgin_blocks_are_what_the_event_says)
{
    const uint64_t A = 0x10000;
    struct {
        const char *why;
        uint64_t addr, virgin; /* the block_alloc after pool_init and a first allocation */
    } bad[] = {
        {"not threaded", A + 112, 0},   /* block 1 was the last on the list, virgin space left */
        {"cannot thread", A + 112, 2},  /* only a pool just initialised gives 2 */
        {"not the first block", A + 176, 2},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct model *m = new_model(evb_header_tiny());
        fold(m, EVB(ARENA_VECTOR, NULL, 16));
        fold(m, EVB(ARENA_NEW, NULL, 0, 0, A, 4, 0));
        fold(m, EVB(ARENA_MOVE, NULL, 0, 0));
        fold(m, EVB(POOL_CARVE, NULL, A, 0));
        fold(m, EVB(POOL_INIT, NULL, A, 3));
        struct model_pool p;
        cr_assert(model_pool_find(m, A, &p));
        cr_assert_eq(p.nextoffset, 48); /* nothing handed out yet: every block virgin */
        cr_assert_eq(p.freeblock, 0);
        struct model_next nx;
        model_next_block(m, 3, &nx);
        cr_assert_eq(nx.addr, A + 48);
        struct event first = EVB(BLOCK_ALLOC, NULL, A + 48, 64, 0, 0);
        cr_assert_eq(model_fold(m, &first), MODEL_EINCONSISTENT, "the first block without virgin 2");
        model_reset(m);
        fold(m, EVB(ARENA_VECTOR, NULL, 16));
        fold(m, EVB(ARENA_NEW, NULL, 0, 0, A, 4, 0));
        fold(m, EVB(ARENA_MOVE, NULL, 0, 0));
        fold(m, EVB(POOL_CARVE, NULL, A, 0));
        fold(m, EVB(POOL_INIT, NULL, A, 3));
        fold(m, EVB(BLOCK_ALLOC, NULL, A + 48, 64, 0, 2));
        struct event ev = EVB(BLOCK_ALLOC, NULL, bad[i].addr, 64, 0, bad[i].virgin);
        cr_assert_eq(model_fold(m, &ev), MODEL_EINCONSISTENT, "%s", bad[i].why);
        model_free(m);
    }
}

/* A version 1 trace does not say what an allocation takes from virgin space: its pool_init
 * threads two blocks and its block_alloc threads the next virgin block when the list runs dry
 * (compat_v1.c).  Folded, it gives the state of the same run in version 2. */
Test(fold, a_version_1_stream_folds_into_the_same_heap)
{
    const uint64_t A = 0x10000;
    struct trace_header h2 = evb_header_tiny(), h1 = h2;
    h1.version = 1;
    struct model *m2 = new_model(h2), *m1 = new_model(h1);
    struct event common[] = {
        EVB(ARENA_VECTOR, NULL, 16), EVB(ARENA_NEW, NULL, 0, 0, A, 4, 0), EVB(ARENA_MOVE, NULL, 0, 0),
        EVB(POOL_CARVE, NULL, A, 0), EVB(POOL_INIT, NULL, A, 3),
    };
    for (size_t i = 0; i < sizeof common / sizeof common[0]; i++) {
        fold(m1, common[i]);
        fold(m2, common[i]);
    }
    struct model_pool p;
    cr_assert(model_pool_find(m1, A, &p));
    cr_assert_eq(p.freeblock, A + 48, "version 1: two blocks threaded by pool_init");
    cr_assert_eq(p.nextoffset, 48 + 128);
    uint64_t blocks[] = {A + 48, A + 112, A + 176}, virgin[] = {2, 1, 0};
    for (int i = 0; i < 3; i++) {
        fold(m1, EVB(BLOCK_ALLOC, NULL, blocks[i], 64, 0));
        fold(m2, EVB(BLOCK_ALLOC, NULL, blocks[i], 64, 0, virgin[i]));
        char err[256];
        cr_assert(model_equals(m1, m2, err, sizeof err), "after block %d: %s", i, err);
    }
    fold(m1, EVB(POOL_FULL, NULL, A));
    fold(m2, EVB(POOL_FULL, NULL, A));
    valid(m1);
    model_free(m1);
    model_free(m2);
}

/* block_tool charges a block to arenascope's own stack (the one whose frame is "<arenascope>"),
 * which model_tool_usage then counts until the block is freed; it must name an allocated block. */
Test(fold, a_block_handed_to_arenascope_is_counted_as_its_own)
{
    struct model *m = new_model(evb_header_310());
    fold(m, EVB(FRAME_DEF, "<arenascope>\t\t0", 1));
    fold(m, EVB(STACK_DEF, "", 1, 1, 0, 1));
    fold(m, EVB(FRAME_DEF, "<module>\tslide.py\t3", 2));
    fold(m, EVB(STACK_DEF, "", 2, 1, 0, 2));
    cr_assert_eq(model_tool_stack(m), 1);
    fold_first_block(m, 0, BASE, 64, 9, 160); /* the program's, with no stack */
    fold(m, EVB(BLOCK_ALLOC, NULL, BASE + 48 + 160, 150, 2, 1)); /* charged to slide.py:3 */
    fold(m, EVB(BLOCK_ALLOC, NULL, BASE + 48 + 320, 152, 1, 1)); /* arenascope's own */
    struct model_tool_usage u;
    model_tool_usage(m, &u);
    cr_assert_eq(u.blocks, 1);
    cr_assert_eq(u.block_bytes, 160);
    fold(m, EVB(BLOCK_TOOL, NULL, BASE + 48 + 160)); /* the interpreter made it for the capture */
    model_tool_usage(m, &u);
    cr_assert_eq(u.blocks, 2);
    struct model_block b;
    cr_assert(model_block_find(m, BASE + 48 + 160, &b));
    cr_assert_eq(b.stack, 1, "the block is charged to arenascope's stack now");
    cr_assert_eq(model_pool_tool_blocks(m, BASE), 2, "two of the pool's three blocks are arenascope's");
    valid(m);
    fold(m, EVB(BLOCK_FREE, NULL, BASE + 48 + 320));
    model_tool_usage(m, &u);
    cr_assert_eq(u.blocks, 1);
    cr_assert_eq(model_pool_tool_blocks(m, BASE), 1);
    struct event stray = EVB(BLOCK_TOOL, NULL, BASE + 48 + 320);
    cr_assert_eq(model_fold(m, &stray), MODEL_EINCONSISTENT, "a freed block cannot be handed over");
    model_free(m);
}

/* snap_name's generation is kept with the name; one the format does not have stops the model. */
Test(fold, a_names_generation_is_kept_and_checked)
{
    struct model *m = new_model(evb_header_310());
    fold(m, EVB(STEP, "slide.py:2  a = [1]", 1, EV_STEP_LINE, 0));
    fold(m, EVB(SNAP_NAME, "a=[1]", 0x1000, 0, 64, 1, EV_SNAP_GC | EV_SNAP_TRACKED | EV_SNAP_GLOBAL, EV_SNAP_GEN_2));
    fold(m, EVB(SNAP_NAME, "b=[2]", 0x2000, 0, 64, 1, EV_SNAP_GC | EV_SNAP_TRACKED | EV_SNAP_GLOBAL));
    struct model_snap_name names[4];
    cr_assert_eq(model_snap_names(m, false, names, 4), 2);
    cr_assert_eq(names[0].gen, EV_SNAP_GEN_2);
    cr_assert_eq(names[1].gen, EV_SNAP_GEN_UNKNOWN, "a trace without the field: not recorded");
    struct event bad = EVB(SNAP_NAME, "c=[3]", 0x3000, 0, 64, 1, EV_SNAP_GC | EV_SNAP_TRACKED, EV_SNAP_GEN_COUNT);
    cr_assert_eq(model_fold(m, &bad), MODEL_EINCONSISTENT);
    model_free(m);
}
