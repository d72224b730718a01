/*
 * strtab.h - the model's table of interned strings (tracer/model/ only), indexed by a hash map of
 * allocator/map.h.  Growable arrays are codec.h's.
 */
#ifndef TRACER_MODEL_STRTAB_H
#define TRACER_MODEL_STRTAB_H

#include <allocator/map.h>

#include <stddef.h>
#include <stdint.h>

struct strtab {
    char *bytes; /* every string back to back */
    size_t nbytes, bytes_cap;
    uint64_t *spans; /* per id: offset << 24 | length */
    size_t n, spans_cap;
    struct map index; /* hash of the text -> id + 1, with chains through `chain` */
    uint32_t *chain;  /* per id: next id with the same hash + 1, 0 at the end */
    size_t chain_cap;
};
#define STR_NONE UINT32_MAX
#define STR_MAX_LEN ((1u << 24) - 1)
void strtab_init(struct strtab *st); /* a zeroed struct strtab is an empty one too */
void strtab_release(struct strtab *st);
void strtab_clear(struct strtab *st);
/* The id of the text (added when new); STR_NONE when out of memory. */
uint32_t strtab_intern(struct strtab *st, const char *s, size_t len);
const char *strtab_get(const struct strtab *st, uint32_t id, size_t *len);

/* A malloc'd copy of the len bytes at s, NUL-terminated; NULL when out of memory. */
char *text_dup(const char *s, size_t len);

#endif
