/* Call stacks: captured with libunwind, interned once, symbolised as "function+0xoff". */
#include "helpers.h"

#include <allocator/stack.h>
#include <tracer/stacks.h>

#include <criterion/criterion.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct collected {
    struct evlist defs;
};

static void collect(void *ctx, const struct event *ev)
{
    struct collected *c = ctx;
    evlist_push(&c->defs, ev);
}

Test(stacks, each_distinct_stack_is_defined_once)
{
    struct collected c;
    evlist_init(&c.defs);
    struct event_sink sink = {.emit = collect, .ctx = &c};
    struct stack_table *t;
    cr_assert_eq(stack_table_new(&t, 8, &sink), 0);
    void *a[] = {(void *)0x1000, (void *)0x2000, (void *)0x3000};
    void *b[] = {(void *)0x1000, (void *)0x2000, (void *)0x3001};
    cr_assert_eq(stack_table_intern(t, a, 3), 1);
    cr_assert_eq(stack_table_intern(t, b, 3), 2);
    cr_assert_eq(stack_table_intern(t, a, 3), 1);
    cr_assert_eq(stack_table_intern(t, a, 2), 3, "a prefix is another stack");
    cr_assert_eq(stack_table_intern(t, a, 0), 0);
    cr_assert_eq(stack_table_count(t), 3);
    cr_assert_eq(c.defs.n, 3);
    struct event tmp;
    const struct event *d = evlist_at(&c.defs, 0, &tmp);
    cr_assert_eq(d->kind, EV_STACK_DEF);
    cr_assert_eq(d->u.stack_def.id, 1);
    cr_assert_eq(d->u.stack_def.depth, 3);
    cr_assert_eq(d->str_len, strlen("0x1000\n0x2000\n0x3000"));
    cr_assert_eq(memcmp(d->str, "0x1000\n0x2000\n0x3000", d->str_len), 0);

    /* many stacks: the table grows and keeps every id */
    void *f[8];
    for (uintptr_t i = 0; i < 20000; i++) {
        for (int k = 0; k < 8; k++)
            f[k] = (void *)(0x10000 + i * 16 + (uintptr_t)k);
        cr_assert_eq(stack_table_intern(t, f, 1 + i % 8), 4 + i);
    }
    for (uintptr_t i = 0; i < 20000; i += 7) {
        for (int k = 0; k < 8; k++)
            f[k] = (void *)(0x10000 + i * 16 + (uintptr_t)k);
        cr_assert_eq(stack_table_intern(t, f, 1 + i % 8), 4 + i);
    }
    cr_assert_eq(c.defs.n, 20003);
    /* deeper than the table's depth: cut */
    void *deep[20];
    for (int k = 0; k < 20; k++)
        deep[k] = (void *)(uintptr_t)(0x900000 + k);
    uint64_t id = stack_table_intern(t, deep, 20);
    cr_assert_eq(stack_table_intern(t, deep, 8), id);
    d = evlist_at(&c.defs, c.defs.n - 1, &tmp);
    cr_assert_eq(d->u.stack_def.depth, 8);
    stack_table_free(t);
    evlist_release(&c.defs);
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
    cr_assert_eq(trace_reader_event_count(r), 3);
    cr_assert_eq(trace_reader_next(r, &ev), 1);
    cr_assert_eq(ev.kind, EV_STACK_DEF);
    cr_assert_eq(ev.u.stack_def.id, id);
    cr_assert_eq(ev.u.stack_def.depth, n);
    char *text = strndup(ev.str, ev.str_len);
    cr_assert(strstr(text, "\nstacks_test_level2+0x"), "%s", text);
    cr_assert(strstr(text, "\nstacks_test_level1+0x"), "%s", text);
    free(text);
    cr_assert_eq(trace_reader_next(r, &ev), 1);
    cr_assert_eq(ev.u.block_alloc.stack, id);
    trace_reader_free(r);
}
