/*
 * evdiff.h - whether two events are the same, as `arenascope diff` and the side-by-side viewer
 * compare two traces; which steps of two traces go together.
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
#include <sys/types.h>

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

/*
 * Two sequences of keys (two traces' steps, each keyed by the line it runs) aligned as diff aligns
 * two files' lines: equal keys paired in order, as many as a shortest edit script pairs (Myers'
 * algorithm, after the common start and end are paired), each key paired at most once and the
 * pairs increasing on both sides.  A key of one side that has no partner is one the other side
 * does not have there.  When the middle differs in more than EV_ALIGN_MAX_EDITS keys, it is paired
 * greedily instead: equal keys in order, and past a difference the nearest keys that are equal
 * again (the fewest skipped, looking EV_ALIGN_WINDOW keys ahead on each side).
 *
 * pair_a[i] is the index in b of a[i]'s partner, or -1; pair_b likewise.  Returns the number of
 * pairs, or -1 when memory ran out.
 */
#define EV_ALIGN_MAX_EDITS 1000
#define EV_ALIGN_WINDOW 32
ssize_t ev_align(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, int64_t *pair_a, int64_t *pair_b);

#endif
