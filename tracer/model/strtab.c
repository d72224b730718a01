/*
 * strtab.c - the model's table of interned strings: the text of every string back to back, a span
 * (offset, length) per id, and a hash map from the text's FNV-1a hash to the newest id of that
 * hash, the older ones chained behind it.
 */
#include "strtab.h"

#include <tracer/codec.h>

#include <stdlib.h>
#include <string.h>

static uint64_t str_hash(const char *s, size_t len)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 0x100000001b3ull;
    return h | 1; /* never 0: 0 marks an empty map entry */
}

void strtab_init(struct strtab *st)
{
    memset(st, 0, sizeof *st);
    map_init(&st->index);
}

void strtab_release(struct strtab *st)
{
    free(st->bytes);
    free(st->spans);
    free(st->chain);
    map_release(&st->index);
    strtab_init(st);
}

void strtab_clear(struct strtab *st)
{
    st->nbytes = 0;
    st->n = 0;
    map_clear(&st->index);
}

const char *strtab_get(const struct strtab *st, uint32_t id, size_t *len)
{
    if (id >= st->n) {
        *len = 0;
        return "";
    }
    uint64_t span = st->spans[id];
    *len = (size_t)(span & STR_MAX_LEN);
    return st->bytes + (span >> 24);
}

uint32_t strtab_intern(struct strtab *st, const char *s, size_t len)
{
    if (len > STR_MAX_LEN)
        len = STR_MAX_LEN;
    uint64_t h = str_hash(s, len);
    uint64_t *head = map_get(&st->index, h);
    uint32_t first = head ? (uint32_t)*head : 0;
    for (uint32_t id = first; id; id = st->chain[id - 1]) {
        size_t l;
        const char *t = strtab_get(st, id - 1, &l);
        if (l == len && memcmp(t, s, len) == 0)
            return id - 1;
    }
    if (st->n >= STR_NONE - 1)
        return STR_NONE;
    if (!codec_array_reserve((void **)&st->spans, &st->spans_cap, st->n + 1,
                             sizeof *st->spans) ||
        !codec_array_reserve((void **)&st->chain, &st->chain_cap, st->n + 1,
                             sizeof *st->chain) ||
        !codec_array_reserve((void **)&st->bytes, &st->bytes_cap, st->nbytes + len + 1, 1))
        return STR_NONE;
    uint32_t id = (uint32_t)st->n;
    if (!map_put(&st->index, h, id + 1))
        return STR_NONE;
    if (len)
        memcpy(st->bytes + st->nbytes, s, len);
    st->bytes[st->nbytes + len] = '\0';
    st->spans[id] = (uint64_t)st->nbytes << 24 | len;
    st->chain[id] = first;
    st->nbytes += len + 1;
    st->n++;
    return id;
}

char *text_dup(const char *s, size_t len)
{
    char *t = malloc(len + 1);
    if (!t)
        return NULL;
    if (len)
        memcpy(t, s, len);
    t[len] = '\0';
    return t;
}
