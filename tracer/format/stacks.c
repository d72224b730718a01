/*
 * stacks.c - the stack table of stacks.h.
 *
 * Stacks are kept as arrays of return addresses in one growing pool; an open-addressing hash
 * table (linear probing, at most half full) maps a stack's hash to its entry.  Symbolising is
 * done once per distinct stack, when its stack_def is emitted: dladdr() names the symbol (or the
 * object) holding the address before the return address, since a call can be the last
 * instruction of its function.
 */
#include <tracer/codec.h>
#include <tracer/stacks.h>
#include <tracer/trace.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct stack_entry {
    uint64_t hash;
    size_t start;  /* first frame in the pool */
    uint32_t depth;
    uint64_t id;   /* 0: an empty slot */
};

struct stack_table {
    struct event_sink sink;
    size_t max_depth;
    struct stack_entry *slots; /* a power of two of them */
    size_t nslots;
    size_t count;              /* entries in use: the last id given */
    uintptr_t *pool;           /* frames of every stack, back to back */
    size_t pool_len, pool_cap;
};

static uint64_t stack_hash(void *const *frames, size_t depth)
{
    uint64_t h = 0x9E3779B97F4A7C15u ^ depth;
    for (size_t i = 0; i < depth; i++) {
        h ^= (uint64_t)(uintptr_t)frames[i];
        h *= 0xBF58476D1CE4E5B9u;
        h ^= h >> 31;
    }
    return h;
}

int stack_table_new(struct stack_table **out, size_t max_depth, const struct event_sink *sink)
{
    *out = NULL;
    struct stack_table *t = calloc(1, sizeof *t);
    if (!t)
        return TRACE_ENOMEM;
    t->max_depth = max_depth < 1 ? 1 : max_depth > STACK_MAX_DEPTH ? STACK_MAX_DEPTH : max_depth;
    t->nslots = 1024;
    t->slots = calloc(t->nslots, sizeof *t->slots);
    if (!t->slots) {
        free(t);
        return TRACE_ENOMEM;
    }
    if (sink)
        t->sink = *sink;
    *out = t;
    return 0;
}

void stack_table_free(struct stack_table *t)
{
    if (!t)
        return;
    free(t->slots);
    free(t->pool);
    free(t);
}

void stack_table_set_sink(struct stack_table *t, const struct event_sink *sink)
{
    t->sink = *sink;
}

size_t stack_table_count(const struct stack_table *t)
{
    return t->count;
}

size_t stack_symbolize(const void *addr, char *buf, size_t len)
{
    Dl_info info;
    uintptr_t a = (uintptr_t)addr;
    /* Look up the call instruction, not the return address that follows it. */
    if (a && dladdr((const void *)(a - 1), &info)) {
        if (info.dli_sname && info.dli_saddr)
            return (size_t)snprintf(buf, len, "%s+0x%llx", info.dli_sname,
                                    (unsigned long long)(a - (uintptr_t)info.dli_saddr));
        if (info.dli_fname && info.dli_fname[0]) {
            const char *base = strrchr(info.dli_fname, '/');
            return (size_t)snprintf(buf, len, "%s+0x%llx", base ? base + 1 : info.dli_fname,
                                    (unsigned long long)(a - (uintptr_t)info.dli_fbase));
        }
    }
    return (size_t)snprintf(buf, len, "0x%llx", (unsigned long long)a);
}

static void emit_def(struct stack_table *t, const struct stack_entry *e)
{
    if (!event_sink_is_on(&t->sink))
        return;
    struct codec_buf text;
    codec_buf_init(&text);
    for (uint32_t i = 0; i < e->depth; i++) {
        char frame[512];
        size_t n = stack_symbolize((const void *)t->pool[e->start + i], frame, sizeof frame);
        if (n >= sizeof frame)
            n = sizeof frame - 1;
        if (i)
            codec_buf_put(&text, "\n", 1);
        codec_buf_put(&text, frame, n);
    }
    struct event ev = {.kind = EV_STACK_DEF};
    ev.u.stack_def.id = e->id;
    ev.u.stack_def.depth = e->depth;
    ev.str = text.failed ? NULL : (const char *)text.data;
    ev.str_len = text.failed ? 0 : (uint32_t)text.len;
    t->sink.emit(t->sink.ctx, &ev);
    codec_buf_release(&text);
}

static int grow_slots(struct stack_table *t)
{
    size_t n = t->nslots * 2;
    struct stack_entry *s = calloc(n, sizeof *s);
    if (!s)
        return TRACE_ENOMEM;
    for (size_t i = 0; i < t->nslots; i++) {
        const struct stack_entry *e = &t->slots[i];
        if (!e->id)
            continue;
        size_t j = (size_t)e->hash & (n - 1);
        while (s[j].id)
            j = (j + 1) & (n - 1);
        s[j] = *e;
    }
    free(t->slots);
    t->slots = s;
    t->nslots = n;
    return 0;
}

uint64_t stack_table_intern(struct stack_table *t, void *const *frames, size_t depth)
{
    if (depth == 0)
        return 0;
    if (depth > t->max_depth)
        depth = t->max_depth;
    uint64_t h = stack_hash(frames, depth);
    size_t mask = t->nslots - 1, j = (size_t)h & mask;
    for (; t->slots[j].id; j = (j + 1) & mask) {
        const struct stack_entry *e = &t->slots[j];
        if (e->hash != h || e->depth != depth)
            continue;
        size_t i = 0;
        while (i < depth && t->pool[e->start + i] == (uintptr_t)frames[i])
            i++;
        if (i == depth)
            return e->id;
    }
    if ((t->count + 1) * 2 > t->nslots) {
        if (grow_slots(t))
            return 0;
        mask = t->nslots - 1;
        for (j = (size_t)h & mask; t->slots[j].id; j = (j + 1) & mask)
            ;
    }
    if (!codec_array_reserve((void **)&t->pool, &t->pool_cap, t->pool_len + depth,
                             sizeof *t->pool))
        return 0;
    struct stack_entry *e = &t->slots[j];
    e->hash = h;
    e->start = t->pool_len;
    e->depth = (uint32_t)depth;
    e->id = ++t->count;
    for (size_t i = 0; i < depth; i++)
        t->pool[t->pool_len++] = (uintptr_t)frames[i];
    emit_def(t, e);
    return e->id;
}
