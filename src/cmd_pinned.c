/*
 * cmd_pinned.c - `arenascope pinned FILE [--at EVENT]`: which lines keep each arena.
 *
 * An arena goes back to the system only when every pool in it is free again: one live block in
 * one pool keeps the whole arena.  For every arena this lists its free pools and its live blocks
 * grouped by the line that allocated them (the innermost frame of their stacks), largest first,
 * with the line's source: what no profiler shows, since they rank lines by bytes, not by the
 * arenas their blocks hold.
 */
#include "cli.h"
#include "commands.h"
#include "view_opts.h"

#include <tracer/model.h>
#include <tracer/trace.h>
#include <ui/ui.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* "file.py:12 in function" and the line's source, for a pin's frame. */
static void print_pin(struct seeker *s, const struct model *m, const struct model_pin *p)
{
    char bytes[32];
    ui_fmt_bytes(bytes, p->bytes);
    printf("  %8" PRIu64 "  %10s  ", p->blocks, bytes);
    const char *text;
    size_t len;
    if (!p->frame || !model_frame_text(m, p->frame, &text, &len)) {
        printf("(no Python line: the interpreter's own, or no stacks recorded)\n");
        return;
    }
    struct model_frame_info fi;
    model_frame_parse(text, len, &fi);
    /* frames and source lines are the trace's texts: shown with their controls escaped */
    if (!fi.python) {
        cli_write_shown(stdout, text, len);
        putchar('\n');
        return;
    }
    if (fi.file_len == 0) {
        cli_write_shown(stdout, fi.function, fi.function_len);
        printf(" (the capture's own calls into Python)\n");
        return;
    }
    char where[512], shown[2048];
    model_frame_format(text, len, where, sizeof where);
    char line[256];
    bool disk;
    size_t n = seeker_source_line(s, fi.file, fi.file_len, fi.line, line, sizeof line, &disk);
    cli_shown(where, shown, sizeof shown);
    if (n) {
        printf("%-40s  ", shown);
        cli_put_shown(stdout, line);
        putchar('\n');
    } else {
        printf("%s\n", shown);
    }
}

int cmd_pinned_run(struct cli *c)
{
    const char *path = c->args[0];
    uint64_t top;
    int status = cli_uint(c, "top", 5, false, &top);
    if (status)
        return status;
    struct seeker *s = view_open_at(c, &status);
    if (!s)
        return status;
    uint64_t count = seeker_event_count(s), pos = seeker_position(s);
    status = 1;
    const struct model *m = seeker_model(s);
    struct model_geometry geo;
    model_geometry(m, &geo);
    char asize[32];
    ui_fmt_bytes(asize, geo.arena_size);
    printf("%s, %s %" PRIu64 " of %" PRIu64 ": %" PRIu32 " arena%s of %s held\n", path,
           pos == count ? "at its end, event" : "right after event", pos ? pos - 1 : 0, count,
           model_arena_count(m), model_arena_count(m) == 1 ? "" : "s", asize);
    printf("An arena goes back to the system only when all its pools are free: the lines below hold\n"
           "the live blocks that keep each one.\n");
    struct model_pin *pins = malloc(4096 * sizeof *pins);
    if (!pins) {
        cli_error(c, 1, "out of memory");
        goto out_free;
    }
    for (uint32_t slot = 0; slot < model_arena_slots(m); slot++) {
        struct model_arena a;
        if (!model_arena_at(m, slot, &a))
            continue;
        size_t n = model_pins(m, slot, -1, pins, 4096);
        uint64_t blocks = 0, bytes = 0;
        for (size_t i = 0; i < n && i < 4096; i++) {
            blocks += pins[i].blocks;
            bytes += pins[i].bytes;
        }
        char b[32];
        ui_fmt_bytes(b, bytes);
        printf("\narena %" PRIu64 " (slot %" PRIu32 ") at 0x%" PRIx64 ": %" PRIu32 " of %" PRIu32
               " pools free, %" PRIu64 " block%s live (%s) from %zu line%s%s\n",
               a.serial, slot, a.base, a.nfreepools, a.npools, blocks, blocks == 1 ? "" : "s", b, n,
               n == 1 ? "" : "s", a.is_retained ? "; kept though wholly free (the last usable arena, 3.9+)" : "");
        if (n == 0)
            continue;
        printf("    blocks       bytes  line\n");
        size_t shown = top == 0 || top > n ? n : (size_t)top;
        if (shown > 4096)
            shown = 4096;
        for (size_t i = 0; i < shown; i++)
            print_pin(s, m, &pins[i]);
        if (shown < n)
            printf("  ... and %zu more line%s\n", n - shown, n - shown == 1 ? "" : "s");
    }
    free(pins);
    status = fflush(stdout) == 0 ? 0 : cli_error(c, 1, "standard output: write error");
out_free:
    seeker_free(s);
    return status;
}
