/*
 * test_narrate.c - the sentences of the event log: every kind has one, and the ones that depend
 * on what follows (a free that makes a full pool used again, an allocation that fills a pool)
 * say so.
 */
#include "../model/evbuild.h"

#include <tracer/model.h>
#include <ui/narrate.h>

#include <criterion/criterion.h>
#include <string.h>

#define BASE 0x7f0000000000ull

static struct model *tiny_full_pool(void)
{
    struct trace_header h = evb_header_tiny();
    struct model *m;
    cr_assert_eq(model_new(&m, &h), 0);
    struct event evs[] = {
        EVB(ARENA_VECTOR, NULL, 16), EVB(ARENA_NEW, NULL, 0, 0, BASE, 4, 0), EVB(ARENA_MOVE, NULL, 0, 0),
        EVB(POOL_CARVE, NULL, BASE, 0), EVB(POOL_INIT, NULL, BASE, 0),
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        cr_assert_eq(model_fold(m, &evs[i]), 0, "%s", model_error(m));
    for (uint64_t b = 0; b < 13; b++) {
        /* the first block of the pool, then each the last of the list until none is virgin */
        struct event ev = EVB(BLOCK_ALLOC, NULL, BASE + 48 + 16 * b, 16, 0, b == 0 ? 2 : b < 12 ? 1 : 0);
        cr_assert_eq(model_fold(m, &ev), 0, "%s", model_error(m));
    }
    struct event full = EVB(POOL_FULL, NULL, BASE);
    cr_assert_eq(model_fold(m, &full), 0, "%s", model_error(m));
    return m;
}

Test(narrate, a_free_from_a_full_pool_says_it_returns_to_the_ring)
{
    struct model *m = tiny_full_pool();
    struct event ev = EVB(BLOCK_FREE, NULL, BASE + 48 + 16 * 3);
    struct event next[] = {EVB(POOL_UNFULL, NULL, BASE)};
    char buf[512];
    size_t n = ui_narrate(m, &ev, next, 1, buf, sizeof buf);
    cr_assert_eq(n, strlen(buf));
    cr_assert(strstr(buf, "free 0x7f0000000060") == buf, "got: %s", buf);
    cr_assert(strstr(buf, "the head of pool 0's free list") != NULL, "got: %s", buf);
    cr_assert(strstr(buf, "the pool was full, so it returns to the front of class 0's ring") != NULL, "got: %s", buf);
    /* without the lookahead the sentence does not invent the transition */
    ui_narrate(m, &ev, NULL, 0, buf, sizeof buf);
    cr_assert(strstr(buf, "was full") == NULL, "got: %s", buf);
    model_free(m);
}

Test(narrate, the_last_free_empties_the_pool_and_may_release_the_arena)
{
    struct model *m = tiny_full_pool();
    struct event ev = EVB(BLOCK_FREE, NULL, BASE + 48);
    struct event next[] = {EVB(POOL_EMPTY, NULL, BASE), EVB(ARENA_MOVE, NULL, 0, (uint64_t)-1),
                           EVB(ARENA_FREE, NULL, 0, BASE)};
    char buf[512];
    ui_narrate(m, &ev, next, 3, buf, sizeof buf);
    cr_assert(strstr(buf, "so the pool is empty") != NULL, "got: %s", buf);
    cr_assert(strstr(buf, "returned to the system") != NULL, "got: %s", buf);
    model_free(m);
}

Test(narrate, an_allocation_that_fills_a_pool_says_so)
{
    struct trace_header h = evb_header_tiny();
    struct model *m;
    cr_assert_eq(model_new(&m, &h), 0);
    struct event evs[] = {
        EVB(ARENA_VECTOR, NULL, 16), EVB(ARENA_NEW, NULL, 0, 0, BASE, 4, 0), EVB(ARENA_MOVE, NULL, 0, 0),
        EVB(POOL_CARVE, NULL, BASE, 0), EVB(POOL_INIT, NULL, BASE, 3), EVB(BLOCK_ALLOC, NULL, BASE + 48, 60, 0, 2),
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        cr_assert_eq(model_fold(m, &evs[i]), 0, "%s", model_error(m));
    char buf[512];
    ui_narrate(m, &evs[5], NULL, 0, buf, sizeof buf);
    cr_assert(strstr(buf, "alloc 60 B: class 3 (64-byte blocks) hands out block 0 of pool 0 of arena 0") == buf,
              "got: %s", buf);
    struct event third = EVB(BLOCK_ALLOC, NULL, BASE + 48 + 128, 64, 0);
    struct event next[] = {EVB(POOL_FULL, NULL, BASE)};
    ui_narrate(m, &third, next, 1, buf, sizeof buf);
    cr_assert(strstr(buf, "the pool is full and leaves class 3's ring") != NULL, "got: %s", buf);
    ui_narrate(m, &evs[4], NULL, 0, buf, sizeof buf);
    cr_assert(strstr(buf, "set up for class 3 (64-byte blocks, 3 to a pool)") != NULL, "got: %s", buf);
    model_free(m);
}

Test(narrate, every_kind_has_a_sentence_with_or_without_a_model)
{
    struct model *m = tiny_full_pool();
    for (int k = 0; k < EV_KIND_COUNT; k++) {
        struct event ev;
        memset(&ev, 0, sizeof ev);
        ev.kind = (enum event_kind)k;
        ev.str = "label";
        ev.str_len = 5;
        char buf[512];
        cr_assert_gt(ui_narrate(NULL, &ev, NULL, 0, buf, sizeof buf), 10, "kind %s", event_kind_name(ev.kind));
        cr_assert_gt(ui_narrate(m, &ev, NULL, 0, buf, sizeof buf), 10, "kind %s", event_kind_name(ev.kind));
        /* a short buffer is filled, not overrun */
        char small[8];
        size_t n = ui_narrate(m, &ev, NULL, 0, small, sizeof small);
        cr_assert_lt(n, sizeof small);
        cr_assert_eq(strlen(small), n);
    }
    model_free(m);
}

Test(narrate, objects_are_named_by_their_type)
{
    struct trace_header h = evb_header_tiny();
    struct model *m;
    cr_assert_eq(model_new(&m, &h), 0);
    struct event evs[] = {
        EVB(TYPE_NEW, "list", 1, 40, 0, EV_TYPE_GC),
        EVB(ARENA_VECTOR, NULL, 16), EVB(ARENA_NEW, NULL, 0, 0, BASE, 4, 0), EVB(ARENA_MOVE, NULL, 0, 0),
        EVB(POOL_CARVE, NULL, BASE, 0), EVB(POOL_INIT, NULL, BASE, 3), EVB(BLOCK_ALLOC, NULL, BASE + 48, 56, 0, 2),
        EVB(OBJ_NEW, NULL, BASE + 48 + 16, 1, 56, 0, 0),
    };
    for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
        cr_assert_eq(model_fold(m, &evs[i]), 0, "event %zu: %s", i, model_error(m));
    char buf[512];
    ui_narrate(m, &evs[7], NULL, 0, buf, sizeof buf);
    cr_assert(strstr(buf, "a new list at 0x7f0000000040 (56 B) with refcount 1") == buf, "got: %s", buf);
    struct event inc = EVB(INCREF, NULL, BASE + 64, 2, EV_REF_NAME, 0);
    ui_narrate(m, &inc, NULL, 0, buf, sizeof buf);
    cr_assert(strstr(buf, "incref: the list at 0x7f0000000040 now has refcount 2 (was 1): name bound") == buf,
              "got: %s", buf);
    struct event dec = EVB(DECREF, NULL, BASE + 64, 0, EV_REF_SCOPE_EXIT, 0);
    ui_narrate(m, &dec, NULL, 0, buf, sizeof buf);
    cr_assert(strstr(buf, "so it is deallocated") != NULL, "got: %s", buf);
    model_free(m);
}
