/*
 * test_stacks.c - call stacks as a tree of frames, the line an allocation is charged to, who
 * pins an arena, and the sources a real program's trace carries.
 *
 * The pins are checked against the allocator itself: blocks are allocated on a real heap with a
 * stack hook that hands out known stacks, and the groups the model makes of them are recounted
 * from the heap's own placements (heap_locate).
 */
#include "evbuild.h"
#include "scratch.h"

#include <allocator/heap.h>
#include <allocator/heap_inspect.h>
#include <tracer/model.h>
#include <tracer/stacks.h>
#include <tracer/trace.h>

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct model *new_model(void)
{
    struct trace_header h = evb_header_310();
    struct model *m;
    cr_assert_eq(model_new(&m, &h), 0);
    return m;
}

static void fold(struct model *m, struct event ev)
{
    int rc = model_fold(m, &ev);
    cr_assert_eq(rc, 0, "%s", model_error(m));
}

static char *frame_at(const struct model *m, uint32_t stack, uint32_t i)
{
    const char *t;
    size_t len;
    if (!model_stack_frame(m, stack, i, &t, &len))
        return NULL;
    return strndup(t, len);
}

Test(stacks_model, a_stack_is_its_frame_on_top_of_its_parent)
{
    struct model *m = new_model();
    fold(m, EVB(FRAME_DEF, "<module>\t/home/u/app.py\t10", 1));
    fold(m, EVB(FRAME_DEF, "build\t/home/u/app.py\t4", 2));
    fold(m, EVB(FRAME_DEF, "_call_with_frames_removed\t<frozen importlib._bootstrap>\t241", 3));
    fold(m, EVB(FRAME_DEF, "PyUnicode_New+0x73", 4));
    fold(m, EVB(STACK_DEF, NULL, 1, 1, 0, 1));  /* app.py:10 */
    fold(m, EVB(STACK_DEF, NULL, 2, 2, 1, 2));  /* build, called from app.py:10 */
    fold(m, EVB(STACK_DEF, NULL, 3, 3, 2, 3));  /* the import system, from build */
    fold(m, EVB(STACK_DEF, NULL, 4, 4, 3, 4));  /* a C frame on top */
    fold(m, EVB(STACK_DEF, "old_style+0x1\nmain+0x2", 5, 2, 0, 0)); /* frames of its own, no frame id */

    struct model_stack st;
    cr_assert(model_stack(m, 4, &st));
    cr_assert_eq(st.depth, 4);
    cr_assert_eq(st.parent, 3);
    cr_assert_eq(st.frame, 4);
    cr_assert_eq(st.len, strlen("PyUnicode_New+0x73"));
    const char *want[] = {"PyUnicode_New+0x73", "_call_with_frames_removed\t<frozen importlib._bootstrap>\t241",
                          "build\t/home/u/app.py\t4", "<module>\t/home/u/app.py\t10"};
    for (uint32_t i = 0; i < 4; i++) {
        char *f = frame_at(m, 4, i);
        cr_assert_not_null(f, "frame %u", i);
        cr_assert_str_eq(f, want[i]);
        free(f);
    }
    cr_assert_null(frame_at(m, 4, 4), "four frames, no fifth");
    char *f = frame_at(m, 5, 1);
    cr_assert_str_eq(f, "main+0x2");
    free(f);

    /* the line: past the C frame and the import system, the innermost Python frame */
    cr_assert_eq(model_stack_top_frame(m, 4), 4);
    cr_assert_eq(model_stack_line_frame(m, 4), 2);
    cr_assert_eq(model_stack_line_frame(m, 3), 2);
    cr_assert_eq(model_stack_line_frame(m, 1), 1);
    cr_assert_eq(model_stack_line_frame(m, 5), 0, "a stack of text has no frame id");
    cr_assert_eq(model_stack_line_frame(m, 99), 0);

    char buf[128];
    const char *t;
    size_t len;
    cr_assert(model_frame_text(m, 2, &t, &len));
    model_frame_format(t, len, buf, sizeof buf);
    cr_assert_str_eq(buf, "app.py:4 in build");
    model_frame_format("PyUnicode_New+0x73", 18, buf, sizeof buf);
    cr_assert_str_eq(buf, "PyUnicode_New+0x73");
    const char pkg[] = "<module>\t/usr/lib/python3.11/encodings/__init__.py\t33";
    model_frame_format(pkg, sizeof pkg - 1, buf, sizeof buf);
    cr_assert_str_eq(buf, "encodings/__init__.py:33 in <module>");
    struct model_frame_info fi;
    model_frame_parse(pkg, sizeof pkg - 1, &fi);
    cr_assert(fi.python);
    cr_assert_eq(fi.line, 33);
    cr_assert_eq(fi.function_len, strlen("<module>"));

    /* the state round-trips through a checkpoint */
    void *blob;
    size_t blen;
    cr_assert_eq(model_save(m, &blob, &blen), 0);
    struct model *copy = new_model();
    cr_assert_eq(model_load(copy, blob, blen), 0);
    char err[256];
    cr_assert(model_equals(m, copy, err, sizeof err), "%s", err);
    f = frame_at(copy, 4, 2);
    cr_assert_str_eq(f, "build\t/home/u/app.py\t4");
    free(f);
    free(blob);
    model_free(copy);
    model_free(m);
}

Test(stacks_model, undefined_parents_and_frames_are_refused)
{
    struct model *m = new_model();
    fold(m, EVB(FRAME_DEF, "f\tx.py\t1", 1));
    struct event ev = EVB(STACK_DEF, NULL, 1, 2, 7, 1);
    cr_assert_eq(model_fold(m, &ev), MODEL_EINCONSISTENT, "a parent not defined before");
    cr_assert(strstr(model_error(m), "parent"), "%s", model_error(m));
    model_free(m);

    m = new_model();
    ev = EVB(STACK_DEF, NULL, 1, 1, 0, 3);
    cr_assert_eq(model_fold(m, &ev), MODEL_EINCONSISTENT, "a frame not defined before");
    model_free(m);

    m = new_model();
    fold(m, EVB(FRAME_DEF, "f\tx.py\t1", 1));
    ev = EVB(FRAME_DEF, "g\tx.py\t2", 1);
    cr_assert_eq(model_fold(m, &ev), MODEL_EINCONSISTENT, "a frame defined twice");
    model_free(m);
}

Test(stacks_model, steps_keep_their_kind_and_stack)
{
    struct model *m = new_model();
    fold(m, EVB(FRAME_DEF, "<module>\t/tmp/s.py\t1", 1));
    fold(m, EVB(STACK_DEF, NULL, 1, 1, 0, 1));
    fold(m, EVB(STEP, "Python starts up.", 1, EV_STEP_STARTUP, 0));
    struct model_step s;
    cr_assert(model_step_current(m, &s));
    cr_assert_eq(s.kind, EV_STEP_STARTUP);
    fold(m, EVB(STEP, "s.py begins.", 2, EV_STEP_PROGRAM, 1));
    cr_assert(model_step_current(m, &s));
    cr_assert_eq(s.kind, EV_STEP_PROGRAM);
    cr_assert_eq(s.stack, 1);
    void *blob;
    size_t blen;
    cr_assert_eq(model_save(m, &blob, &blen), 0);
    struct model *copy = new_model();
    cr_assert_eq(model_load(copy, blob, blen), 0);
    cr_assert(model_step_current(copy, &s));
    cr_assert_eq(s.kind, EV_STEP_PROGRAM);
    cr_assert_eq(s.stack, 1);
    free(blob);
    model_free(copy);
    model_free(m);
}

/* ---- pins against the allocator ------------------------------------------------------------- */

struct pin_run {
    struct model *m;
    struct heap *h;
    uint64_t stack; /* what the hook hands out now */
};

static void fold_sink(void *ctx, const struct event *ev)
{
    struct pin_run *r = ctx;
    int rc = model_fold(r->m, ev);
    cr_assert_eq(rc, 0, "%s", model_error(r->m));
}

static uint64_t hook(void *ctx)
{
    return ((struct pin_run *)ctx)->stack;
}

#define LINES 5
#define NBLOCKS 60000

Test(stacks_model, pins_group_an_arenas_blocks_by_line_as_the_heap_placed_them)
{
    struct pin_run r = {0};
    struct heap_profile prof;
    cr_assert_eq(heap_profile_parse("cpython-3.10", &prof, NULL, 0), 0);
    struct trace_header hdr = evb_header_310();
    cr_assert_eq(model_new(&r.m, &hdr), 0);
    struct event_sink sink = {fold_sink, &r};
    struct heap_arena_source src = heap_arena_source_aligned();
    cr_assert_eq(heap_new(&r.h, &prof, &src, &sink), 0);
    struct heap_stack_hook hk = {hook, &r};
    heap_set_stack_hook(r.h, &hk);

    /* five Python lines (stacks of two frames on one caller), and blocks with no stack */
    struct stack_table *t;
    cr_assert_eq(stack_table_new(&t, 8, &sink), 0);
    uint64_t line_stack[LINES], line_frame[LINES];
    for (int i = 0; i < LINES; i++) {
        char text[128];
        int n = snprintf(text, sizeof text, "f%d\t/tmp/p.py\t%d\n<module>\t/tmp/p.py\t99", i, 10 + i);
        line_stack[i] = stack_table_intern_text(t, text, (size_t)n);
        cr_assert(line_stack[i]);
        line_frame[i] = model_stack_line_frame(r.m, (uint32_t)line_stack[i]);
        cr_assert(line_frame[i]);
    }
    void **blocks = calloc(NBLOCKS, sizeof *blocks);
    int *line_of = calloc(NBLOCKS, sizeof *line_of);
    uint64_t seed = 12345;
    for (int i = 0; i < NBLOCKS; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        int line = (int)((seed >> 33) % (LINES + 1)); /* LINES: no stack */
        r.stack = line < LINES ? line_stack[line] : 0;
        line_of[i] = line;
        blocks[i] = heap_malloc(r.h, 8 + (size_t)((seed >> 40) % 400));
        cr_assert_not_null(blocks[i]);
    }
    /* free most, in an order that leaves survivors in many pools */
    for (int i = 0; i < NBLOCKS; i++)
        if (i % 7) {
            heap_free(r.h, blocks[i]);
            blocks[i] = NULL;
        }

    /* expected: per arena serial and line, the blocks and bytes, from the heap's own placements */
    uint32_t slots = model_arena_slots(r.m);
    cr_assert(slots >= 2, "the workload spans several arenas");
    for (uint32_t slot = 0; slot < slots; slot++) {
        struct model_arena a;
        if (!model_arena_at(r.m, slot, &a))
            continue;
        uint64_t want_blocks[LINES + 1] = {0}, want_bytes[LINES + 1] = {0};
        for (int i = 0; i < NBLOCKS; i++) {
            struct heap_location loc;
            if (!blocks[i] || !heap_locate(r.h, blocks[i], &loc) || loc.raw || loc.slot != slot)
                continue;
            want_blocks[line_of[i]]++;
            want_bytes[line_of[i]] += heap_block_size(r.h, blocks[i]);
        }
        struct model_pin pins[LINES + 2];
        size_t n = model_pins(r.m, slot, -1, pins, LINES + 2);
        size_t groups = 0;
        for (int l = 0; l <= LINES; l++)
            groups += want_blocks[l] != 0;
        cr_assert_eq(n, groups, "arena in slot %u: %zu groups, %zu expected", slot, n, groups);
        for (size_t k = 0; k < n; k++) {
            int l = LINES;
            for (int j = 0; j < LINES; j++)
                if (pins[k].frame == line_frame[j])
                    l = j;
            cr_assert(l < LINES || pins[k].frame == 0, "a group of an unknown frame %u", pins[k].frame);
            cr_assert_eq(pins[k].blocks, want_blocks[l], "slot %u line %d: blocks", slot, l);
            cr_assert_eq(pins[k].bytes, want_bytes[l], "slot %u line %d: bytes", slot, l);
            if (k)
                cr_assert_geq(pins[k - 1].bytes, pins[k].bytes, "largest first");
            uint64_t addrs[NBLOCKS / 7 + 8];
            size_t nb = model_pin_blocks(r.m, slot, -1, pins[k].frame, addrs, sizeof addrs / sizeof addrs[0]);
            cr_assert_eq(nb, want_blocks[l]);
            for (size_t b = 1; b < nb; b++)
                cr_assert_lt(addrs[b - 1], addrs[b], "in address order");
        }
        /* one pool's groups add up to that pool's allocated blocks */
        struct model_pool p;
        for (uint32_t pi = 0; pi < a.npools; pi++) {
            if (!model_pool_at(r.m, slot, pi, &p) || p.state == MODEL_POOL_UNTOUCHED)
                continue;
            struct model_pin pp[LINES + 2];
            size_t pn = model_pins(r.m, slot, (int32_t)pi, pp, LINES + 2);
            uint64_t sum = 0;
            for (size_t k = 0; k < pn; k++)
                sum += pp[k].blocks;
            cr_assert_eq(sum, p.count, "pool %u of slot %u: the groups hold its %u blocks", pi, slot, p.count);
        }
    }
    for (int i = 0; i < NBLOCKS; i++)
        if (blocks[i])
            heap_free(r.h, blocks[i]);
    free(blocks);
    free(line_of);
    stack_table_free(t);
    heap_delete(r.h);
    model_free(r.m);
}

/* ---- sources ---------------------------------------------------------------------------------- */

Test(stacks_model, the_seeker_reads_a_programs_sources_from_the_trace)
{
    const char *path = scratch_path("sources.trace");
    struct trace_header h = evb_header_310();
    struct trace_writer *w;
    char err[512];
    cr_assert_eq(trace_writer_open(&w, path, &h, err, sizeof err), 0, "%s", err);
    struct event ev = EVB(SOURCE_FILE, "/tmp/app.py", 1);
    trace_writer_emit(w, &ev);
    ev = EVB(SOURCE_TEXT, "import json\n\tx = [1, 2]   \nprint(x)\n", 1);
    trace_writer_emit(w, &ev);
    ev = EVB(STEP, "app.py begins.", 1, EV_STEP_PROGRAM, 0);
    trace_writer_emit(w, &ev);
    cr_assert_eq(trace_writer_finish(w), 0);
    trace_writer_free(w);

    struct seeker *s;
    cr_assert_eq(seeker_open(&s, path, 0, err, sizeof err), 0, "%s", err);
    cr_assert_eq(seeker_seek(s, 2), 0);
    const char *text;
    size_t len;
    cr_assert(seeker_source(s, "/tmp/app.py", 11, &text, &len));
    cr_assert_eq(len, strlen("import json\n\tx = [1, 2]   \nprint(x)\n"));
    cr_assert_eq(seeker_position(s), 2, "reading a source does not move the model");
    char line[64];
    bool disk;
    cr_assert_eq(seeker_source_line(s, "/tmp/app.py", 11, 2, line, sizeof line, &disk), strlen("x = [1, 2]"));
    cr_assert_str_eq(line, "x = [1, 2]", "indentation and trailing blanks go");
    cr_assert_not(disk);
    cr_assert_eq(seeker_source_line(s, "/tmp/app.py", 11, 9, line, sizeof line, &disk), 0, "past its end");
    cr_assert_not(seeker_source(s, "/tmp/other.py", 13, &text, &len));
    /* a file the trace does not carry comes from this machine */
    const char *here = scratch_path("here.py");
    FILE *f = fopen(here, "w");
    fputs("a = 1\nb = [a] * 3\n", f);
    fclose(f);
    cr_assert_gt(seeker_source_line(s, here, strlen(here), 2, line, sizeof line, &disk), 0);
    cr_assert_str_eq(line, "b = [a] * 3");
    cr_assert(disk);
    seeker_free(s);
}
