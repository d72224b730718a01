/* evlist.h - a sink that keeps every event it is given, in order, without its text (for the
 * tests and the benchmarks that compare or re-encode a stream). */
#ifndef TESTS_SUPPORT_EVLIST_H
#define TESTS_SUPPORT_EVLIST_H

#include <allocator/event.h>

#include <stdio.h>
#include <stdlib.h>

struct evlist {
    struct event *ev;
    size_t n, cap;
};

static inline void evlist_emit(void *ctx, const struct event *ev)
{
    struct evlist *l = ctx;
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 1024;
        l->ev = realloc(l->ev, l->cap * sizeof *l->ev);
        if (!l->ev) {
            fputs("evlist: out of memory\n", stderr);
            abort();
        }
    }
    l->ev[l->n] = *ev;
    l->ev[l->n].str = NULL; /* valid only during the call: not kept */
    l->n++;
}

static inline struct event_sink evlist_sink(struct evlist *l)
{
    return (struct event_sink){evlist_emit, l};
}

#endif
