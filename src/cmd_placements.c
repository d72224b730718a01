/*
 * cmd_placements.c - `arenascope placements`: where each allocation of a script lands.
 */
#include "cli.h"
#include "commands.h"
#include "ops.h"
#include "recorder.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct cli_opt opts[] = {
    {"profile", 'p', "P", "allocator profile: cpython-3.10 (default), cpython-3.9, cpython-3.8, classic, custom:..."},
    {"arena-source", 0, "S", "where arenas come from: aligned (default: every arena has all its pools) or mmap"},
    {0},
};

struct placements_run {
    struct heap *heap;
    FILE *out;
};

static void *p_malloc(void *ctx, size_t n)
{
    return heap_malloc(((struct placements_run *)ctx)->heap, n);
}

static void *p_calloc(void *ctx, size_t m, size_t n)
{
    return heap_calloc(((struct placements_run *)ctx)->heap, m, n);
}

static void *p_realloc(void *ctx, void *p, size_t n)
{
    return heap_realloc(((struct placements_run *)ctx)->heap, p, n);
}

static void p_free(void *ctx, void *p)
{
    heap_free(((struct placements_run *)ctx)->heap, p);
}

static void p_placed(void *ctx, uint64_t opno, const struct ops_op *op, void *block)
{
    struct placements_run *r = ctx;
    struct heap_location loc;
    char line[96];
    (void)op;
    heap_locate(r->heap, block, &loc);
    fprintf(r->out, "%s\n", ops_placement_format(line, sizeof line, opno, block, &loc));
}

/* A trace file starts with this magic (tracer/format/FORMAT.md). */
static bool is_trace(const char *path)
{
    static const unsigned char magic[8] = {0x89, 'A', 'S', 'C', '\r', '\n', 0x1a, '\n'};
    unsigned char buf[8];
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    size_t n = fread(buf, 1, sizeof buf, f);
    fclose(f);
    return n == sizeof buf && memcmp(buf, magic, sizeof magic) == 0;
}

static int run(struct cli *c)
{
    const char *source = cli_value(c, "arena-source");
    struct recorder_options o = {.profile = cli_value(c, "profile"), .arena_source = source ? source : "aligned"};
    char err[512];
    if (recorder_check_options(&o, err, sizeof err) < 0)
        return cli_error(c, CLI_EXIT_USAGE, "%s", err);
    const char *path = c->args[0];
    if (is_trace(path))
        return cli_error(c, 1, "%s: is a trace; placements runs allocation scripts (ops files)", path);
    struct ops_script s;
    if (ops_script_load(&s, path, err, sizeof err) < 0)
        return cli_error(c, 1, "%s", err);
    struct heap_profile profile;
    heap_profile_parse(o.profile ? o.profile : heap_profile_at(0)->name, &profile, NULL, 0);
    struct heap_arena_source src;
    recorder_arena_source(o.arena_source, &src);
    struct placements_run r = {NULL, stdout};
    int status = 1;
    int rc = heap_new(&r.heap, &profile, &src, NULL);
    if (rc < 0) {
        cli_error(c, 1, "heap: %s", heap_strerror(rc));
        goto out_script;
    }
    struct ops_target t = {
        .malloc = p_malloc, .calloc = p_calloc, .realloc = p_realloc, .free = p_free, .placed = p_placed, .ctx = &r};
    if (ops_script_run(&s, &t, false, err, sizeof err) < 0) {
        fflush(stdout);
        cli_error(c, 1, "%s", err);
        goto out_heap;
    }
    status = fflush(stdout) == 0 ? 0 : cli_error(c, 1, "standard output: write error");
out_heap:
    heap_delete(r.heap);
out_script:
    ops_script_release(&s);
    return status;
}

const struct cli_cmd cmd_placements = {
    .name = "placements",
    .args = "FILE",
    .summary = "run an allocation script and print where each allocation lands",
    .description =
        "FILE is an allocation script (see 'arenascope record --help'): one operation per line,\n"
        "alloc H SIZE | calloc H N SIZE | realloc H SIZE | free H | step LABEL.\n"
        "\n"
        "Prints one line per allocating operation (alloc, calloc, realloc), in order:\n"
        "  OP ARENA POOL OFFSET   a block of the small-object allocator\n"
        "  OP raw                 a block of the raw layer (C malloc: 0 bytes, over the threshold,\n"
        "                         or no arena to be had)\n"
        "OP counts the script's operations from 1 (step markers, comments and blank lines are not\n"
        "counted); ARENA is the 0-based serial number of the arena allocation (a released arena's\n"
        "slot reused later gets a new number); POOL is the pool's index from the arena's base;\n"
        "OFFSET is the block's byte offset in its pool.  With the aligned arena source these are\n"
        "the placements CPython's own obmalloc makes for the same script.\n",
    .opts = opts,
    .min_args = 1,
    .max_args = 1,
    .run = run,
};
