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

/* ---- aligning two sequences ------------------------------------------------------------------ */

struct align {
    const uint64_t *a, *b;
    int64_t *pa, *pb;
    size_t pairs;
};

static void pair_up(struct align *al, size_t i, size_t j)
{
    al->pa[i] = (int64_t)j;
    al->pb[j] = (int64_t)i;
    al->pairs++;
}

/* The greedy pairing of a[i0, i1) and b[j0, j1): see evdiff.h. */
static void align_greedy(struct align *al, size_t i, size_t i1, size_t j, size_t j1)
{
    while (i < i1 && j < j1) {
        if (al->a[i] == al->b[j]) {
            pair_up(al, i++, j++);
            continue;
        }
        /* the nearest (p, q) past the difference with a[i + p] == b[j + q], fewest skipped first */
        bool found = false;
        for (size_t d = 1; d <= 2 * EV_ALIGN_WINDOW && !found; d++)
            for (size_t p = d > EV_ALIGN_WINDOW ? d - EV_ALIGN_WINDOW : 0; p <= d && p <= EV_ALIGN_WINDOW; p++) {
                size_t q = d - p;
                if (i + p < i1 && j + q < j1 && al->a[i + p] == al->b[j + q]) {
                    i += p, j += q;
                    found = true;
                    break;
                }
            }
        if (!found)
            i++, j++;
    }
}

/*
 * Myers' shortest edit script of a[i0, i0 + n) and b[j0, j0 + m), its pairs added; false when it
 * needs more than EV_ALIGN_MAX_EDITS edits (nothing added then) or memory ran out (*oom).
 * v holds, for each number of edits d, the furthest x reached on each diagonal k = x - y
 * (-d <= k <= d, every other one), at v[d * d + k + d].
 */
static bool align_myers(struct align *al, size_t i0, size_t n, size_t j0, size_t m, bool *oom)
{
    size_t max = n + m < EV_ALIGN_MAX_EDITS ? n + m : EV_ALIGN_MAX_EDITS;
    int64_t *v = NULL;
    size_t cap = 0;
    int64_t end_d = -1;
    for (size_t d = 0; d <= max && end_d < 0; d++) {
        size_t need = (d + 1) * (d + 1);
        if (need > cap) {
            size_t ncap = cap ? 2 * cap : 1024;
            while (ncap < need)
                ncap *= 2;
            int64_t *nv = realloc(v, ncap * sizeof *nv);
            if (!nv) {
                free(v);
                *oom = true;
                return false;
            }
            v = nv, cap = ncap;
        }
        int64_t D = (int64_t)d;
        int64_t *cur = v + d * d + d, *prev = d ? v + (d - 1) * (d - 1) + (d - 1) : NULL;
        for (int64_t k = -D; k <= D; k += 2) {
            int64_t x;
            if (d == 0)
                x = 0;
            else if (k == -D || (k != D && prev[k - 1] < prev[k + 1]))
                x = prev[k + 1]; /* a key of b alone */
            else
                x = prev[k - 1] + 1; /* a key of a alone */
            int64_t y = x - k;
            while (x < (int64_t)n && y < (int64_t)m && al->a[i0 + (size_t)x] == al->b[j0 + (size_t)y])
                x++, y++;
            cur[k] = x;
            if (x >= (int64_t)n && y >= (int64_t)m) {
                end_d = D;
                break;
            }
        }
    }
    if (end_d < 0) {
        free(v);
        return false;
    }
    /* back from the end: each edit's snake, then the edit before it */
    int64_t x = (int64_t)n, y = (int64_t)m;
    for (int64_t d = end_d; d > 0; d--) {
        int64_t k = x - y;
        const int64_t *prev = v + (d - 1) * (d - 1) + (d - 1);
        bool down = k == -d || (k != d && prev[k - 1] < prev[k + 1]);
        int64_t pk = down ? k + 1 : k - 1, px = prev[pk], py = px - pk;
        int64_t sx = down ? px : px + 1; /* where the snake after the edit starts */
        while (x > sx) {
            x--, y--;
            pair_up(al, i0 + (size_t)x, j0 + (size_t)y);
        }
        x = px, y = py;
    }
    while (x > 0 && y > 0) {
        x--, y--;
        pair_up(al, i0 + (size_t)x, j0 + (size_t)y);
    }
    free(v);
    return true;
}

ssize_t ev_align(const uint64_t *a, size_t na, const uint64_t *b, size_t nb, int64_t *pair_a, int64_t *pair_b)
{
    struct align al = {a, b, pair_a, pair_b, 0};
    for (size_t i = 0; i < na; i++)
        pair_a[i] = -1;
    for (size_t j = 0; j < nb; j++)
        pair_b[j] = -1;
    size_t head = 0, tail = 0;
    while (head < na && head < nb && a[head] == b[head]) {
        pair_up(&al, head, head);
        head++;
    }
    while (tail < na - head && tail < nb - head && a[na - 1 - tail] == b[nb - 1 - tail]) {
        pair_up(&al, na - 1 - tail, nb - 1 - tail);
        tail++;
    }
    size_t n = na - head - tail, m = nb - head - tail;
    bool oom = false;
    if (n && m && !align_myers(&al, head, n, head, m, &oom)) {
        if (oom)
            return -1;
        align_greedy(&al, head, head + n, head, head + m);
    }
    return (ssize_t)al.pairs;
}
