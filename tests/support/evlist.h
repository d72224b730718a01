/* evlist.h - a list of events with their texts copied: what a test or a benchmark records from
 * a sink (evlist_sink) or builds by hand, to compare, count or write again. */
#ifndef TESTS_SUPPORT_EVLIST_H
#define TESTS_SUPPORT_EVLIST_H

#include <allocator/event.h>

#include <stddef.h>

struct evlist {
    struct event *ev; /* ev[i].str is an offset into text: read events through evlist_at */
    size_t n, cap;
    char *text;
    size_t text_len, text_cap;
};
void evlist_init(struct evlist *l);
void evlist_release(struct evlist *l);
void evlist_push(struct evlist *l, const struct event *ev);
/* ev with its str pointing into the list's text store (valid until the next push). */
const struct event *evlist_at(const struct evlist *l, size_t i, struct event *tmp);

/* A sink that pushes every event it is given onto l. */
void evlist_emit(void *ctx, const struct event *ev);
struct event_sink evlist_sink(struct evlist *l);

#endif
