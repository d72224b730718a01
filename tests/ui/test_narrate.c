/*
 * test_narrate.c - the sentences of the event log: every kind has one, each says what its own
 * event did (a free, then the transition of its pool in the transition's own sentence), what an
 * allocation takes from virgin space, and the table's sentences name fields a kind has.
 */
#include "../model/evbuild.h"

#include <tracer/model.h>
#include <tracer/trace.h>
#include <ui/narrate.h>

#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
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
    char buf[512];
    size_t n = ui_narrate(m, &ev, buf, sizeof buf);
    cr_assert_eq(n, strlen(buf));
    cr_assert_str_eq(buf, "free 0x7f0000000060: the block goes to the head of pool 0's free list");
    /* the transition is its own event, with its own sentence */
    struct event unfull = EVB(POOL_UNFULL, NULL, BASE);
    ui_narrate(m, &unfull, buf, sizeof buf);
    cr_assert_str_eq(buf, "pool 0 of arena 0 was full and has a free block again: it goes back to the front of "
                          "class 0's ring");
    model_free(m);
}

Test(narrate, the_last_free_empties_the_pool_and_may_release_the_arena)
{
    struct model *m = tiny_full_pool();
    char buf[512];
    struct event empty = EVB(POOL_EMPTY, NULL, BASE);
    ui_narrate(m, &empty, buf, sizeof buf);
    cr_assert(strstr(buf, "lost its last allocated block: it is empty") != NULL, "got: %s", buf);
    struct event gone = EVB(ARENA_FREE, NULL, 0, BASE);
    ui_narrate(m, &gone, buf, sizeof buf);
    cr_assert(strstr(buf, "returned to the system") != NULL, "got: %s", buf);
    model_free(m);
}

Test(narrate, an_allocation_says_what_it_takes_from_virgin_space)
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
    ui_narrate(m, &evs[5], buf, sizeof buf);
    cr_assert(strstr(buf, "alloc 60 B: class 3 (64-byte blocks) hands out block 0 of pool 0 of arena 0") == buf,
              "got: %s", buf);
    cr_assert(strstr(buf, "the first of a pool just set up; the next virgin block is threaded") != NULL, "got: %s",
              buf);
    struct event second = EVB(BLOCK_ALLOC, NULL, BASE + 48 + 64, 64, 0, 1);
    ui_narrate(m, &second, buf, sizeof buf);
    cr_assert(strstr(buf, "the last on its pool's free list; the next virgin block is threaded as the new list"),
              "got: %s", buf);
    struct event full = EVB(POOL_FULL, NULL, BASE);
    ui_narrate(m, &full, buf, sizeof buf);
    cr_assert_str_eq(buf, "pool 0 of arena 0 gave out its last free block: it is full and leaves class 3's ring");
    ui_narrate(m, &evs[4], buf, sizeof buf);
    cr_assert(strstr(buf, "set up for class 3 (64-byte blocks, 3 to a pool)") != NULL, "got: %s", buf);
    model_free(m);
}

/* A kind's sentence in the table names only fields the kind has: each {name} is put in. */
Test(narrate, the_table_sentences_name_their_fields)
{
    for (int k = 0; k < EV_KIND_COUNT; k++) {
        const char *t = event_kind_say((enum event_kind)k);
        cr_assert(t && *t, "kind %s has no sentence", event_kind_name((enum event_kind)k));
        for (const char *o = strchr(t, '{'); o; o = strchr(o + 1, '{')) {
            const char *c = strchr(o, '}');
            cr_assert_not_null(c, "kind %s: an unclosed {", event_kind_name((enum event_kind)k));
            size_t len = (size_t)(c - o - 1);
            bool found = false;
            const char *tn = event_kind_text_name((enum event_kind)k);
            if (tn && strlen(tn) == len && memcmp(tn, o + 1, len) == 0)
                found = true;
            for (size_t i = 0; i < event_kind_field_count((enum event_kind)k); i++) {
                const char *fn = event_kind_field_name((enum event_kind)k, i);
                if (strlen(fn) == len && memcmp(fn, o + 1, len) == 0)
                    found = true;
            }
            cr_assert(found, "kind %s: no field {%.*s}", event_kind_name((enum event_kind)k), (int)len, o + 1);
        }
    }
    /* a kind without a sayer of its own is narrated by its table sentence */
    struct event ev = EVB(GC_MERGE, NULL, 0, 1);
    char buf[256];
    ui_narrate(NULL, &ev, buf, sizeof buf);
    cr_assert_str_eq(buf, "generation 0's objects join generation 1 for this collection");
    struct event carve = EVB(POOL_CARVE, NULL, BASE, 0);
    ui_narrate(NULL, &carve, buf, sizeof buf);
    cr_assert_str_eq(buf, "a new pool is carved from the arena's untouched memory: the pool at 0x7f0000000000 (the "
                          "arena's high-water mark moves up)");
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
        cr_assert_gt(ui_narrate(NULL, &ev, buf, sizeof buf), 10, "kind %s", event_kind_name(ev.kind));
        cr_assert_gt(ui_narrate(m, &ev, buf, sizeof buf), 10, "kind %s", event_kind_name(ev.kind));
        /* a short buffer is filled, not overrun */
        char small[8];
        size_t n = ui_narrate(m, &ev, small, sizeof small);
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
    ui_narrate(m, &evs[7], buf, sizeof buf);
    cr_assert(strstr(buf, "a new list at 0x7f0000000040 (56 B) with refcount 1") == buf, "got: %s", buf);
    struct event inc = EVB(INCREF, NULL, BASE + 64, 2, EV_REF_NAME, 0);
    ui_narrate(m, &inc, buf, sizeof buf);
    cr_assert(strstr(buf, "incref: the list at 0x7f0000000040 now has refcount 2 (was 1): name bound") == buf,
              "got: %s", buf);
    struct event dec = EVB(DECREF, NULL, BASE + 64, 0, EV_REF_SCOPE_EXIT, 0);
    ui_narrate(m, &dec, buf, sizeof buf);
    cr_assert(strstr(buf, "so it is deallocated") != NULL, "got: %s", buf);
    model_free(m);
}

/* The collections a demo asks for are narrated as its Python source calls them: the manual
 * collections of demo-generations.trace, in order, are the gc.collect(...) calls of
 * demos/demo_generations.py (the last call on each line; the others are in strings). */
Test(narrate, a_collection_is_named_by_the_call_that_asked_for_it)
{
    const char *traces = getenv("ARENASCOPE_TRACES");
    cr_assert_not_null(traces, "ARENASCOPE_TRACES names the traces/ folder");
    char path[1024], calls[16][32];
    size_t ncalls = 0;
    snprintf(path, sizeof path, "%s/../demos/demo_generations.py", traces);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    char line[512];
    while (fgets(line, sizeof line, f) && ncalls < 16) {
        char *call = NULL;
        for (char *p = strstr(line, "gc.collect("); p; p = strstr(p + 1, "gc.collect("))
            call = p;
        char *close = call ? strchr(call, ')') : NULL;
        if (close && line[0] != '#')
            snprintf(calls[ncalls++], sizeof calls[0], "%.*s", (int)(close - call + 1), call);
    }
    fclose(f);
    cr_assert_geq(ncalls, 3, "the source calls gc.collect with and without a generation");

    snprintf(path, sizeof path, "%s/demo-generations.trace", traces);
    struct trace_reader *r;
    char err[512];
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    struct model *m;
    cr_assert_eq(model_new(&m, trace_reader_header(r)), 0);
    struct event ev;
    size_t seen = 0;
    while (trace_reader_next(r, &ev) == 1) {
        if (ev.kind == EV_GC_START && ev.u.gc_start.reason == EV_GC_REASON_MANUAL) {
            char buf[512];
            ui_narrate(m, &ev, buf, sizeof buf);
            cr_assert_lt(seen, ncalls, "more manual collections than calls: %s", buf);
            char want[64];
            snprintf(want, sizeof want, "begins: %s", calls[seen]);
            cr_assert(strstr(buf, want) != NULL, "collection %zu: '%s' lacks '%s'", seen + 1, buf, want);
            seen++;
        }
        cr_assert_eq(model_fold(m, &ev), 0, "%s", model_error(m));
    }
    cr_assert_eq(seen, ncalls, "%zu manual collections for %zu calls", seen, ncalls);
    model_free(m);
    trace_reader_free(r);
}

/* A static object (a small int, None) is first seen in use, with the interpreter's large count:
 * its first sentence says so and does not claim a count of 1. */
Test(narrate, a_static_object_is_not_said_to_start_at_one)
{
    struct event st = EVB(OBJ_NEW, NULL, BASE + 64, 1, 28, EV_OBJ_STATIC, 0);
    struct event heap = EVB(OBJ_NEW, NULL, BASE + 64, 1, 28, 0, 0);
    char buf[512];
    ui_narrate(NULL, &st, buf, sizeof buf);
    cr_assert(strstr(buf, "statically allocated") != NULL, "%s", buf);
    cr_assert(strstr(buf, "refcount 1") == NULL, "%s", buf);
    ui_narrate(NULL, &heap, buf, sizeof buf);
    cr_assert(strstr(buf, "with refcount 1") != NULL, "%s", buf);
}

/* What a refcount demo prints is sys.getrefcount's number, which counts its own argument: at
 * every "sys.getrefcount(NAME) -> K" of demo-refcount.trace, the object NAME is bound to in the
 * innermost frame has a true count of K - 1, the number the Objects pane shows under a legend
 * that says so. */
Test(narrate, getrefcount_prints_one_more_than_the_true_count)
{
    const char *traces = getenv("ARENASCOPE_TRACES");
    cr_assert_not_null(traces, "ARENASCOPE_TRACES names the traces/ folder");
    char path[1024], err[512];
    snprintf(path, sizeof path, "%s/demo-refcount.trace", traces);
    struct trace_reader *r;
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    struct model *m;
    cr_assert_eq(model_new(&m, trace_reader_header(r)), 0);
    struct event ev;
    int checked = 0, quoted = 0;
    while (trace_reader_next(r, &ev) == 1) {
        cr_assert_eq(model_fold(m, &ev), 0, "%s", model_error(m));
        char text[256], name[64];
        unsigned long k;
        if (ev.kind != EV_PRINT)
            continue;
        snprintf(text, sizeof text, "%.*s", (int)ev.str_len, ev.str);
        if (sscanf(text, "sys.getrefcount(%63[^)]) -> %lu", name, &k) != 2)
            continue;
        struct model_name names[64];
        size_t n = model_frame_names(m, model_frame_count(m) - 1, names, 64);
        uint64_t obj = 0;
        for (size_t i = 0; i < n; i++)
            if (names[i].name_len == strlen(name) && memcmp(names[i].name, name, names[i].name_len) == 0)
                obj = names[i].obj;
        cr_assert_neq(obj, 0, "event %" PRIu64 ": no name '%s' in the innermost frame", ev.seq, name);
        struct model_object o;
        cr_assert(model_object_find(m, obj, &o));
        cr_assert_eq(o.refcnt + 1, k, "event %" PRIu64 ": '%s' prints %lu, the true count is %" PRIu64, ev.seq, text,
                     k, o.refcnt);
        /* the step's narration quotes both numbers right */
        struct model_step st;
        if (model_step_current(m, &st)) {
            char label[512];
            snprintf(label, sizeof label, "%.*s", (int)st.label_len, st.label);
            const char *says = strstr(label, "getrefcount says ");
            if (says)
                cr_assert_eq(strtoul(says + 17, NULL, 10), k, "step '%s' and the print '%s'", label, text);
            const char *is = strstr(label, "true count is ");
            if (is)
                cr_assert_eq(strtoul(is + 14, NULL, 10), o.refcnt, "step '%s': the true count is %" PRIu64, label,
                             o.refcnt);
            quoted += says != NULL;
        }
        checked++;
    }
    cr_assert_geq(checked, 5, "the demo prints its counts");
    cr_assert_geq(quoted, 4, "the narration quotes getrefcount");
    model_free(m);
    trace_reader_free(r);
}
