/*
 * evdiff.c - two events compared field by field, addresses by their ordinals; see evdiff.h.
 */
#include <tracer/evdiff.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Each kind's field types in order, one letter a field (u, i, a, p; s is carried apart), and
 * their names, each followed by a space. */
#define EV_FIELD(t, n) #t
#define X(K, n, fl, tail, say, fields) [EV_##K] = "" fields,
static const char *const field_types[] = {EVENT_KINDS(X)};
#undef EV_FIELD
#define EV_FIELD(t, n) #n " "
static const char *const field_names[] = {EVENT_KINDS(X)};
#undef X
#undef EV_FIELD

void ev_field_name(enum event_kind k, int f, char *buf, size_t len)
{
    const char *p = (size_t)k < sizeof field_names / sizeof field_names[0] ? field_names[k] : NULL;
    for (int i = 0; i < f && p; i++) {
        p = strchr(p, ' ');
        p = p ? p + 1 : NULL;
    }
    const char *end = p ? strchr(p, ' ') : NULL;
    snprintf(buf, len, "%.*s", p && end ? (int)(end - p) : 1, p && end ? p : "?");
}

static uint64_t hash64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdull;
    x ^= x >> 33;
    return x;
}

static bool ordinals_grow(struct ev_ordinals *o)
{
    size_t cap = o->cap ? 2 * o->cap : 1024;
    uint64_t *keys = calloc(cap, sizeof *keys), *vals = calloc(cap, sizeof *vals);
    if (!keys || !vals) {
        free(keys);
        free(vals);
        return false;
    }
    for (size_t i = 0; i < o->cap; i++)
        if (o->keys[i]) {
            size_t j = hash64(o->keys[i]) & (cap - 1);
            while (keys[j])
                j = (j + 1) & (cap - 1);
            keys[j] = o->keys[i];
            vals[j] = o->vals[i];
        }
    free(o->keys);
    free(o->vals);
    o->keys = keys, o->vals = vals, o->cap = cap;
    return true;
}

/* The ordinal of addr (0 stays 0); UINT64_MAX when memory ran out. */
static uint64_t ordinal_of(struct ev_ordinals *o, uint64_t addr)
{
    if (!addr)
        return 0;
    if ((o->n + 1) * 2 > o->cap && !ordinals_grow(o))
        return UINT64_MAX;
    size_t j = hash64(addr) & (o->cap - 1);
    while (o->keys[j] && o->keys[j] != addr)
        j = (j + 1) & (o->cap - 1);
    if (!o->keys[j]) {
        o->keys[j] = addr;
        o->vals[j] = ++o->n;
    }
    return o->vals[j];
}

void ev_ordinals_free(struct ev_ordinals *o)
{
    free(o->keys);
    free(o->vals);
    memset(o, 0, sizeof *o);
}

int ev_first_difference(const struct event *a, struct ev_ordinals *oa, const struct event *b,
                        struct ev_ordinals *ob)
{
    if (a->kind != b->kind)
        return -2;
    const char *types = field_types[a->kind];
    int f = 0;
    for (const char *t = types; *t; t++) {
        if (*t == 's')
            continue;
        uint64_t x = a->u.f[f], y = b->u.f[f];
        if (*t == 'a' || *t == 'p') {
            x = ordinal_of(oa, x);
            y = ordinal_of(ob, y);
        }
        if (x != y)
            return f;
        f++;
    }
    if (a->str_len != b->str_len || (a->str_len && memcmp(a->str, b->str, a->str_len) != 0))
        return f;
    return -1;
}
