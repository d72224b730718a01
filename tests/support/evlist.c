/* evlist.c - a list of events with their texts copied (evlist.h). */
#include "evlist.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *grow(void *p, size_t *cap, size_t need, size_t first, size_t size)
{
    if (need <= *cap)
        return p;
    size_t n = *cap ? *cap : first;
    while (n < need)
        n *= 2;
    p = realloc(p, n * size);
    if (!p) {
        fputs("evlist: out of memory\n", stderr);
        abort();
    }
    *cap = n;
    return p;
}

void evlist_init(struct evlist *l)
{
    memset(l, 0, sizeof *l);
}

void evlist_release(struct evlist *l)
{
    free(l->ev);
    free(l->text);
    evlist_init(l);
}

void evlist_push(struct evlist *l, const struct event *ev)
{
    l->ev = grow(l->ev, &l->cap, l->n + 1, 1024, sizeof *l->ev);
    l->text = grow(l->text, &l->text_cap, l->text_len + ev->str_len, 65536, 1);
    struct event e = *ev;
    if (ev->str_len)
        memcpy(l->text + l->text_len, ev->str, ev->str_len);
    /* str holds the offset into the text store until evlist_at */
    e.str = (const char *)(uintptr_t)l->text_len;
    l->text_len += ev->str_len;
    l->ev[l->n++] = e;
}

const struct event *evlist_at(const struct evlist *l, size_t i, struct event *tmp)
{
    *tmp = l->ev[i];
    tmp->str = tmp->str_len ? l->text + (uintptr_t)l->ev[i].str : NULL;
    return tmp;
}

void evlist_emit(void *ctx, const struct event *ev)
{
    evlist_push(ctx, ev);
}

struct event_sink evlist_sink(struct evlist *l)
{
    return (struct event_sink){evlist_emit, l};
}
