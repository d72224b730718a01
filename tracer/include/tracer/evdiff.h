/*
 * evdiff.h - whether two events are the same, as `arenascope diff` and the side-by-side viewer
 * compare two traces.
 *
 * Two events are the same when their kinds are and every field is, addresses compared by the
 * order in which each trace first named them (the third address a trace names is the third
 * address the other names), so that the same work recorded twice, or on arenas the system placed
 * elsewhere, is the same.  Each trace keeps its own `struct ev_ordinals` for that numbering.
 */
#ifndef TRACER_EVDIFF_H
#define TRACER_EVDIFF_H

#include <allocator/event.h>

#include <stddef.h>
#include <stdint.h>

/* An address's ordinal: the addresses a trace names, numbered in the order it first names them.
 * Zeroed is empty. */
struct ev_ordinals {
    uint64_t *keys;
    uint64_t *vals;
    size_t cap, n;
};
void ev_ordinals_free(struct ev_ordinals *o);

/* The index of the first field of a and b that differs (fields in their kind's order, the text
 * field counted after the others); -1 when the events are the same; -2 when their kinds
 * differ.  Numbers the addresses each names in its trace's ordinals. */
int ev_first_difference(const struct event *a, struct ev_ordinals *oa, const struct event *b,
                        struct ev_ordinals *ob);

/* The name of field f (as ev_first_difference counts them) of kind k: "basicsize". */
void ev_field_name(enum event_kind k, int f, char *buf, size_t len);

#endif
