/* Call stacks: captured with libunwind, interned once, symbolised as "function+0xoff". */
#include "helpers.h"

#include <allocator/stack.h>
#include <tracer/stacks.h>

#include <criterion/criterion.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The text of frame `id` as its frame_def gives it. */
static const struct event *frame_of(const struct evlist *defs, uint64_t id, struct event *tmp)
{
    for (size_t i = 0; i < defs->n; i++) {
        const struct event *e = evlist_at(defs, i, tmp);
        if (e->kind == EV_FRAME_DEF && e->u.frame_def.id == id)
            return e;
    }
    cr_assert_fail("frame %lu used before it is defined", (unsigned long)id);
    return NULL;
}

static size_t count_kind(const struct evlist *defs, enum event_kind k)
{
    size_t n = 0;
    struct event tmp;
    for (size_t i = 0; i < defs->n; i++)
        n += evlist_at(defs, i, &tmp)->kind == k;
    return n;
}

/* The whole text of stack `id` as the defs give it: its frames, then its parent's. */
static void stack_text(const struct evlist *defs, uint64_t id, char *buf, size_t len, uint64_t *depth)
{
    buf[0] = '\0';
    *depth = 0;
    size_t n = 0;
    uint64_t want_depth = 0;
    while (id) {
        struct event tmp;
        const struct event *d = NULL;
        for (size_t i = 0; i < defs->n; i++) {
            const struct event *e = evlist_at(defs, i, &tmp);
            if (e->kind == EV_STACK_DEF && e->u.stack_def.id == id) {
                d = e;
                break;
            }
        }
        cr_assert_not_null(d, "stack %lu used before it is defined", (unsigned long)id);
        if (!want_depth)
            want_depth = d->u.stack_def.depth;
        struct event ftmp;
        const struct event *f = frame_of(defs, d->u.stack_def.frame, &ftmp);
        n += (size_t)snprintf(buf + n, len - n, "%s%.*s", n ? "\n" : "", (int)f->str_len, f->str);
        cr_assert_lt(d->u.stack_def.parent, id, "a parent is defined before its children");
        id = d->u.stack_def.parent;
        (*depth)++;
    }
    cr_assert_eq(*depth, want_depth, "the depth counts every frame down the parents");
}

Test(stacks, each_distinct_stack_is_defined_once)
{
    struct evlist defs;
    evlist_init(&defs);
    struct event_sink sink = evlist_sink(&defs);
    struct stack_table *t;
    cr_assert_eq(stack_table_new(&t, 8, &sink), 0);
    void *a[] = {(void *)0x1000, (void *)0x2000, (void *)0x3000};
    void *b[] = {(void *)0x1000, (void *)0x2000, (void *)0x3001};
    uint64_t ia = stack_table_intern(t, a, 3);
    uint64_t ib = stack_table_intern(t, b, 3);
    cr_assert(ia && ib && ia != ib);
    cr_assert_eq(stack_table_intern(t, a, 3), ia);
    uint64_t ip = stack_table_intern(t, a, 2);
    cr_assert(ip && ip != ia, "a prefix is another stack");
    cr_assert_eq(stack_table_intern(t, a, 0), 0);
    /* a tree: a and b share no outermost frame, so each frame of each is a node; the prefix
     * a[0..2) has another outermost frame (0x2000 with no parent); each text once */
    cr_assert_eq(stack_table_count(t), 8);
    cr_assert_eq(count_kind(&defs, EV_STACK_DEF), 8);
    cr_assert_eq(count_kind(&defs, EV_FRAME_DEF), 4, "0x1000, 0x2000, 0x3000, 0x3001");
    char text[1024];
    uint64_t depth;
    stack_text(&defs, ia, text, sizeof text, &depth);
    cr_assert_str_eq(text, "0x1000\n0x2000\n0x3000");
    cr_assert_eq(depth, 3);
    stack_text(&defs, ib, text, sizeof text, &depth);
    cr_assert_str_eq(text, "0x1000\n0x2000\n0x3001");
    stack_text(&defs, ip, text, sizeof text, &depth);
    cr_assert_str_eq(text, "0x1000\n0x2000");
    struct event tmp;
    for (size_t i = 0; i < defs.n; i++) {
        const struct event *d = evlist_at(&defs, i, &tmp);
        if (d->kind == EV_FRAME_DEF)
            cr_assert(memchr(d->str, '\n', d->str_len) == NULL, "one frame a def");
        else
            cr_assert_eq(d->kind, EV_STACK_DEF);
    }

    /* a shared caller is defined once: a second stack on it costs one def */
    void *c1[] = {(void *)0x4000, (void *)0x2000, (void *)0x3000};
    size_t before = defs.n;
    uint64_t ic = stack_table_intern(t, c1, 3);
    cr_assert_eq(defs.n, before + 2, "one frame_def (0x4000) and one stack_def");
    stack_text(&defs, ic, text, sizeof text, &depth);
    cr_assert_str_eq(text, "0x4000\n0x2000\n0x3000");

    /* many stacks: the table grows and keeps every id */
    void *f[8];
    uint64_t *ids = calloc(20000, sizeof *ids);
    for (uintptr_t i = 0; i < 20000; i++) {
        for (int k = 0; k < 8; k++)
            f[k] = (void *)(0x10000 + i * 16 + (uintptr_t)k);
        ids[i] = stack_table_intern(t, f, 1 + i % 8);
        cr_assert(ids[i] > ic);
    }
    size_t ndefs = defs.n;
    for (uintptr_t i = 0; i < 20000; i += 7) {
        for (int k = 0; k < 8; k++)
            f[k] = (void *)(0x10000 + i * 16 + (uintptr_t)k);
        cr_assert_eq(stack_table_intern(t, f, 1 + i % 8), ids[i]);
    }
    cr_assert_eq(defs.n, ndefs, "stacks seen before are not defined again");
    /* after the keys are forgotten, the same frames give the same ids, with no new defs */
    stack_table_forget_keys(t);
    cr_assert_eq(stack_table_key_count(t), 0);
    for (uintptr_t i = 0; i < 20000; i += 13) {
        for (int k = 0; k < 8; k++)
            f[k] = (void *)(0x10000 + i * 16 + (uintptr_t)k);
        cr_assert_eq(stack_table_intern(t, f, 1 + i % 8), ids[i]);
    }
    cr_assert_eq(defs.n, ndefs);
    free(ids);
    /* deeper than the table's depth: cut */
    void *deep[20];
    for (int k = 0; k < 20; k++)
        deep[k] = (void *)(uintptr_t)(0x900000 + k);
    uint64_t id = stack_table_intern(t, deep, 20);
    cr_assert_eq(stack_table_intern(t, deep, 8), id);
    const struct event *d = evlist_at(&defs, defs.n - 1, &tmp);
    cr_assert_eq(d->kind, EV_STACK_DEF);
    cr_assert_eq(d->u.stack_def.id, id);
    cr_assert_eq(d->u.stack_def.depth, 8);
    stack_table_free(t);
    evlist_release(&defs);
}

__attribute__((noinline)) static size_t capture_here(void **frames, size_t max)
{
    size_t n = stack_capture(frames, max, 0);
    __asm__ volatile("" ::: "memory"); /* not a tail call */
    return n;
}

__attribute__((noinline)) size_t stacks_test_level2(void **frames, size_t max);
__attribute__((noinline)) size_t stacks_test_level1(void **frames, size_t max);

size_t stacks_test_level2(void **frames, size_t max)
{
    size_t n = capture_here(frames, max);
    __asm__ volatile("" ::: "memory");
    return n;
}

size_t stacks_test_level1(void **frames, size_t max)
{
    size_t n = stacks_test_level2(frames, max);
    __asm__ volatile("" ::: "memory");
    return n;
}

Test(stacks, capture_and_symbolise)
{
    void *frames[STACK_CAPTURE_MAX];
    size_t n = stacks_test_level1(frames, STACK_CAPTURE_MAX);
    cr_assert_geq(n, 3);
    char text[256];
    /* frame 0 is in capture_here (static: named by its object), then the exported callers */
    stack_symbolize(frames[1], text, sizeof text);
    cr_assert(strncmp(text, "stacks_test_level2+0x", 21) == 0, "%s", text);
    stack_symbolize(frames[2], text, sizeof text);
    cr_assert(strncmp(text, "stacks_test_level1+0x", 21) == 0, "%s", text);
    /* skipping frames and capping depth */
    void *two[2];
    cr_assert_eq(stacks_test_level1(two, 2), 2);
    cr_assert_eq(two[0], frames[0]);
    cr_assert_eq(two[1], frames[1]);
    /* a libc function: its own name */
    void *qs = dlsym(RTLD_DEFAULT, "qsort");
    cr_assert_not_null(qs);
    Dl_info info;
    cr_assert(dladdr(qs, &info));
    char want[128];
    snprintf(want, sizeof want, "%s+0x1", info.dli_sname);
    stack_symbolize((char *)qs + 1, text, sizeof text);
    cr_assert_str_eq(text, want);
    /* an address in no object */
    stack_symbolize((void *)0x10, text, sizeof text);
    cr_assert_str_eq(text, "0x10");
}

Test(stacks, stack_defs_go_through_a_trace)
{
    const char *path = scratch_path("stacks.trace");
    struct trace_header h;
    test_header(&h);
    struct trace_writer *w;
    char err[512];
    cr_assert_eq(trace_writer_open(&w, path, &h, err, sizeof err), 0, "%s", err);
    struct event_sink sink = trace_writer_sink(w);
    struct stack_table *t;
    cr_assert_eq(stack_table_new(&t, STACK_MAX_DEPTH, &sink), 0);
    void *frames[STACK_CAPTURE_MAX];
    size_t n = stacks_test_level1(frames, STACK_CAPTURE_MAX);
    uint64_t id = stack_table_intern(t, frames, n);
    struct event ev = {.kind = EV_BLOCK_ALLOC};
    ev.u.block_alloc.addr = 0x7f0000001000;
    ev.u.block_alloc.size = 24;
    ev.u.block_alloc.stack = id;
    sink.emit(sink.ctx, &ev);
    cr_assert_eq(stack_table_intern(t, frames, n), id);
    sink.emit(sink.ctx, &ev);
    cr_assert_eq(trace_writer_finish(w), 0);
    trace_writer_free(w);
    stack_table_free(t);

    struct trace_reader *r;
    cr_assert_eq(trace_reader_open(&r, path, 0, err, sizeof err), 0, "%s", err);
    /* a frame_def and a stack_def a frame, then the two allocations */
    cr_assert_eq(trace_reader_event_count(r), 2 * n + 2);
    struct evlist defs;
    evlist_init(&defs);
    for (size_t i = 0; i < 2 * n; i++) {
        cr_assert_eq(trace_reader_next(r, &ev), 1);
        cr_assert(ev.kind == EV_STACK_DEF || ev.kind == EV_FRAME_DEF);
        evlist_push(&defs, &ev);
    }
    char text[8192];
    uint64_t depth;
    stack_text(&defs, id, text, sizeof text, &depth);
    cr_assert_eq(depth, n);
    cr_assert(strstr(text, "\nstacks_test_level2+0x"), "%s", text);
    cr_assert(strstr(text, "\nstacks_test_level1+0x"), "%s", text);
    evlist_release(&defs);
    cr_assert_eq(trace_reader_next(r, &ev), 1);
    cr_assert_eq(ev.u.block_alloc.stack, id);
    trace_reader_free(r);
}
