/*
 * recorder.c - see recorder.h.
 *
 * The sink chain while a workload runs: heap and runtime emit to the trace writer directly; the
 * stack hook interns each allocation's call stack in a table whose stack_def events go to the
 * same writer before the allocation's own events (the hook runs before the allocator touches its
 * state, so the order is the order of effects).  Step markers come from the workload through
 * workload_step(), which the recorder follows with a flush when a live viewer is reading.
 */
#include "cli.h"
#include "recorder.h"

#include "version.h"

#include <allocator/gc.h>
#include <allocator/runtime.h>
#include <allocator/stack.h>
#include <tracer/model.h>
#include <tracer/stacks.h>
#include <tracer/trace.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

struct recorder {
    struct recorder_options opts;
    struct heap_profile profile;
    struct heap *heap;
    struct runtime *rt;
    struct trace_writer *writer;
    struct ckpt_tee *tee;     /* checkpoints into the stream, or NULL */
    struct event_sink sink;   /* where events go: the writer, or the tee in front of it */
    struct stack_table *stacks;
    unsigned stack_depth;
    struct workload_env env;
    bool finished;
    uint64_t line_stack; /* the stack of the workload's current Python line (workload_line) */
};

bool recorder_arena_source(const char *name, struct heap_arena_source *out)
{
    if (!name || strcmp(name, "mmap") == 0) {
        *out = heap_arena_source_mmap();
        return true;
    }
    if (strcmp(name, "aligned") == 0) {
        *out = heap_arena_source_aligned();
        return true;
    }
    return false;
}

int recorder_claim(const char *path, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
        if (errno == EWOULDBLOCK)
            snprintf(err, errlen, "%s: another arenascope is recording into it", path);
        else
            snprintf(err, errlen, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

int recorder_check_options(const struct recorder_options *o, char *err, size_t errlen)
{
    struct heap_profile p;
    char why[256];
    if (heap_profile_parse(o->profile ? o->profile : heap_profile_at(0)->name, &p, why, sizeof why) < 0)
        return cli_fail(err, errlen, "--profile: %s", why);
    struct heap_arena_source src;
    if (!recorder_arena_source(o->arena_source, &src))
        return cli_fail(err, errlen, "--arena-source: unknown source '%s' (expected mmap or aligned)", o->arena_source);
    if (o->stack_depth > STACK_MAX_DEPTH)
        return cli_fail(err, errlen, "--stack-depth: at most %d frames", STACK_MAX_DEPTH);
    return 0;
}

int recorder_stack_options(struct cli *c, bool *stacks, unsigned *depth)
{
    const char *s = cli_value(c, "stacks");
    uint64_t n;
    if (cli_uint(c, "stack-depth", 0, false, &n))
        return CLI_EXIT_USAGE;
    if (n > STACK_MAX_DEPTH)
        return cli_error(c, CLI_EXIT_USAGE, "--stack-depth: at most %d frames", STACK_MAX_DEPTH);
    if (s && s[0] && strcmp(s, "c") != 0 && strcmp(s, "none") != 0)
        return cli_error(c, CLI_EXIT_USAGE, "--stacks: a workload takes c or none, not '%s'", s);
    *stacks = s ? s[0] == '\0' || strcmp(s, "c") == 0 : cli_value(c, "stack-depth") != NULL;
    *depth = (unsigned)n;
    return 0;
}

/* The heap's stack hook: capture the allocation's caller and intern it. */
static uint64_t capture(void *ctx)
{
    struct recorder *r = ctx;
    void *frames[STACK_CAPTURE_MAX];
    size_t n = stack_capture(frames, r->stack_depth, 1 + HEAP_STACK_HOOK_FRAMES);
    return stack_table_intern(r->stacks, frames, n);
}

/* The heap's stack hook while a workload names its Python lines (and no C stacks are asked for). */
static uint64_t line_hook(void *ctx)
{
    return ((struct recorder *)ctx)->line_stack;
}

static uint64_t set_line(void *ctx, const char *file, uint32_t line)
{
    struct recorder *r = ctx;
    if (!r->stacks) {
        /* the first line: a stack table of the lines, and the hook that hands out theirs */
        if (stack_table_new(&r->stacks, 1, &r->sink) < 0)
            return 0;
        struct heap_stack_hook hook = {line_hook, r};
        heap_set_stack_hook(r->heap, &hook);
    }
    char text[512];
    int n = snprintf(text, sizeof text, "<module>\t%s\t%u", file, line);
    if (n <= 0 || (size_t)n >= sizeof text)
        return 0;
    uint64_t id = stack_table_intern_text(r->stacks, text, (size_t)n);
    if (!r->opts.stacks) /* C stacks were asked for: allocations keep theirs */
        r->line_stack = id;
    return id;
}

static void pace(void *ctx, uint64_t step)
{
    struct recorder *r = ctx;
    if (r->opts.flush_each_step)
        trace_writer_flush(r->writer);
    if (r->opts.pace)
        r->opts.pace(r->opts.pace_ctx, step);
}

void recorder_header(struct trace_header *hdr, const struct heap_profile *p, const char *source,
                     const struct gc_profile *gc, const char *command)
{
    memset(hdr, 0, sizeof *hdr);
    snprintf(hdr->writer, sizeof hdr->writer, "arenascope %s", ARENASCOPE_VERSION);
    snprintf(hdr->profile, sizeof hdr->profile, "%s", p->name);
    snprintf(hdr->arena_source, sizeof hdr->arena_source, "%s", source);
    hdr->alignment = p->alignment;
    hdr->threshold = p->threshold;
    hdr->pool_size = p->pool_size;
    hdr->arena_size = p->arena_size;
    hdr->pool_overhead = heap_profile_pool_overhead(p);
    hdr->pointer_size = (uint32_t)sizeof(void *);
    hdr->keep_last_free_arena = p->keep_last_free_arena;
    hdr->arena_map_bits = p->arena_map_bits;
    if (gc) {
        snprintf(hdr->gc_profile, sizeof hdr->gc_profile, "%s", gc->name);
        hdr->ngenerations = gc->ngenerations < TRACE_MAX_GENERATIONS ? gc->ngenerations : TRACE_MAX_GENERATIONS;
        for (uint32_t i = 0; i < hdr->ngenerations; i++) {
            snprintf(hdr->generation_names[i], sizeof hdr->generation_names[i], "%s", gc->generation_names[i]);
            hdr->thresholds[i] = gc->thresholds[i];
        }
        hdr->legacy_finalizers = gc->legacy_finalizers;
        /* the interpreter's own objects, as rt_new counts them for this layout */
        const struct gc_startup *s = gc_startup_find(rt_layout_for(p->name, gc)->name);
        if (s && hdr->ngenerations) {
            hdr->gc_startup[hdr->ngenerations - 1] = s->oldest;
            hdr->gc_startup[hdr->ngenerations] = s->permanent;
        }
    }
    snprintf(hdr->command, sizeof hdr->command, "%s", command);
}

int recorder_open(struct recorder **out, const struct recorder_options *o, bool with_runtime, char *err, size_t errlen)
{
    *out = NULL;
    if (recorder_check_options(o, err, errlen) < 0)
        return -1;
    struct recorder *r = calloc(1, sizeof *r);
    if (!r)
        return cli_fail(err, errlen, "out of memory");
    r->opts = *o;
    char why[256];
    heap_profile_parse(o->profile ? o->profile : heap_profile_at(0)->name, &r->profile, why, sizeof why);
    struct heap_arena_source src;
    recorder_arena_source(o->arena_source, &src);

    struct trace_header hdr;
    recorder_header(&hdr, &r->profile, o->arena_source ? o->arena_source : "mmap", o->gc,
                    o->command ? o->command : "arenascope");
    hdr.window = o->window;
    int rc;
    if (o->path)
        rc = trace_writer_open(&r->writer, o->path, &hdr, err, errlen);
    else
        rc = trace_writer_open_fd(&r->writer, o->fd, o->fd_name ? o->fd_name : "pipe", &hdr, err, errlen);
    if (rc < 0)
        goto out_free;
    /* A live viewer wants each step as soon as it is made: the writer encodes as events come.
     * Otherwise it hands encoding to a thread of its own once the recording proves long. */
    if (o->flush_each_step)
        trace_writer_set_thread(r->writer, TRACE_WRITER_THREAD_NEVER);
    r->sink = trace_writer_sink(r->writer);
    if (o->checkpoints) {
        trace_writer_set_thread(r->writer, TRACE_WRITER_THREAD_NEVER); /* blobs go between chunks */
        if (ckpt_tee_new(&r->tee, r->writer, &hdr) < 0) {
            cli_fail(err, errlen, "out of memory for the model of the checkpoints");
            goto out_writer;
        }
        r->sink = ckpt_tee_sink(r->tee);
    }
    struct event_sink sink = r->sink;

    rc = heap_new(&r->heap, &r->profile, &src, &sink);
    if (rc < 0) {
        cli_fail(err, errlen, "heap: %s", heap_strerror(rc));
        goto out_writer;
    }
    if (o->stacks) {
        r->stack_depth = o->stack_depth ? o->stack_depth : RECORDER_STACK_DEPTH;
        if (stack_table_new(&r->stacks, r->stack_depth, &sink) < 0) {
            cli_fail(err, errlen, "out of memory for the stack table");
            goto out_heap;
        }
        struct heap_stack_hook hook = {capture, r};
        heap_set_stack_hook(r->heap, &hook);
    }
    if (with_runtime) {
        rc = rt_new(&r->rt, r->heap, o->gc, &sink);
        if (rc < 0) {
            cli_fail(err, errlen, "the object runtime could not start (error %d)", rc);
            goto out_stacks;
        }
    }
    r->env.heap = r->heap;
    r->env.rt = r->rt;
    r->env.sink = sink;
    r->env.pace = pace;
    r->env.pace_ctx = r;
    r->env.line = set_line;
    r->env.line_ctx = r;
    *out = r;
    return 0;

out_stacks:
    stack_table_free(r->stacks);
out_heap:
    heap_delete(r->heap);
out_writer:
    ckpt_tee_free(r->tee);
    trace_writer_free(r->writer);
out_free:
    free(r);
    return -1;
}

struct heap *recorder_heap(const struct recorder *r)
{
    return r->heap;
}

struct workload_env *recorder_env(struct recorder *r)
{
    return &r->env;
}

int recorder_run(struct recorder *r, struct workload *w, char *err, size_t errlen)
{
    if (workload_needs_runtime(w) && !r->rt)
        return cli_fail(err, errlen, "%s needs the object runtime", workload_name(w));
    return workload_run(w, &r->env, err, errlen);
}

int recorder_finish(struct recorder *r, char *err, size_t errlen)
{
    /* The runtime's shutdown (a final collection, free lists emptied) is part of the recording. */
    if (r->rt)
        rt_shutdown(r->rt);
    r->finished = true;
    if (trace_writer_finish(r->writer) < 0)
        return cli_fail(err, errlen, "%s", trace_writer_error(r->writer));
    return 0;
}

void recorder_get_stats(const struct recorder *r, struct heap_stats *out)
{
    heap_get_stats(r->heap, out);
    if (r->rt)
        rt_get_freelist_stats(r->rt, out);
}

uint64_t recorder_event_count(const struct recorder *r)
{
    return trace_writer_event_count(r->writer);
}

void recorder_free(struct recorder *r)
{
    if (!r)
        return;
    rt_delete(r->rt);
    /* Nothing more goes to the writer: the heap is taken down silently. */
    heap_set_sink(r->heap, NULL);
    heap_set_stack_hook(r->heap, NULL);
    heap_delete(r->heap);
    stack_table_free(r->stacks);
    ckpt_tee_free(r->tee);
    trace_writer_free(r->writer);
    free(r);
}
