/*
 * export.h - what the formats of `arenascope export` share (src/cmd_export.c, which holds the
 * command and most formats, and src/export_perfetto.c): progress, the range of events, a second
 * reader of the trace, and text as JSON.
 */
#ifndef SRC_EXPORT_H
#define SRC_EXPORT_H

#include "cli.h"

#include <tracer/model.h>
#include <tracer/trace.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

/* Progress on standard error (a terminal only), for exports that take more than a second. */
struct export_progress {
    bool tty;
    bool shown;
    struct timespec start;
};
void export_progress_init(struct export_progress *p);
void export_progress_show(struct export_progress *p, uint64_t done, uint64_t total);
void export_progress_end(struct export_progress *p);

/* The range of --from/--to: events [*from, *to).  0, or the exit status after the message. */
int export_parse_range(struct cli *c, struct seeker *s, uint64_t *from, uint64_t *to);

/* A reader of the same file, at event `seq`; NULL after the message. */
struct trace_reader *export_open_reader_at(struct cli *c, uint64_t seq);

/* Text from the trace (labels, names, paths) as a JSON string: escaped as the stats' JSON is,
 * and a byte that is not UTF-8 (a source file in another encoding) as U+FFFD, so that every
 * JSON reader takes the file. */
void export_json_text(FILE *f, const char *s, size_t len);

/* --format perfetto of events --from to --to into f (src/export_perfetto.c); 0 or the exit
 * status after the message. */
int export_perfetto(struct cli *c, struct seeker *s, FILE *f);

#endif
