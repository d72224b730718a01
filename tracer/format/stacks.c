/*
 * stacks.c - the stack table of stacks.h.
 *
 * Two sets of byte strings, each an open-addressing hash table (linear probing, at most half
 * full) over entries whose bytes sit back to back in one growing pool: keys (the words a capture
 * takes on every allocation) map to stack ids, frame texts map to frame ids, and nodes map to
 * stack ids.  A node is one frame on top of a parent stack (the parent's id and the frame's id):
 * the stacks form a tree, so a stack_def carries one frame id and its parent, and a new stack
 * costs a few bytes however deep it is; each frame's text is written once, in a frame_def.
 * Symbolising or describing happens once per distinct key.  dladdr() names the symbol (or the object) holding the address before a return
 * address, since a call can be the last instruction of its function.
 */
#include <tracer/codec.h>
#include <tracer/stacks.h>
#include <tracer/trace.h>

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEYS_MAX (1u << 22) /* keys kept before they are all forgotten: memory stays bounded */

struct blob_entry {
    uint64_t hash;
    size_t start; /* first byte in the pool */
    uint32_t len;
    bool used;
    uint64_t id;
};

/* Byte strings -> ids. */
struct blob_set {
    struct blob_entry *slots; /* a power of two of them */
    size_t nslots, count;
    uint8_t *pool;            /* the strings, back to back */
    size_t pool_len, pool_cap;
};

struct stack_table {
    struct event_sink sink;
    size_t max_depth;
    struct blob_set keys;
    struct blob_set frames;  /* frame text -> frame id */
    struct blob_set nodes;   /* parent id and frame id (8 bytes each) -> stack id */
    uint32_t *depths;        /* by stack id: frames in the stack */
    size_t depths_cap;
    uint64_t last_id;        /* the last stack id given */
};

static uint64_t hash_bytes(const void *p, size_t len)
{
    const uint8_t *b = p;
    uint64_t h = 0x9E3779B97F4A7C15u ^ len;
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t w;
        memcpy(&w, b + i, 8);
        h ^= w;
        h *= 0xBF58476D1CE4E5B9u;
        h ^= h >> 31;
    }
    uint64_t w = 0;
    memcpy(&w, b + i, len - i);
    h ^= w;
    h *= 0x94D049BB133111EBu;
    return h ^ (h >> 29);
}

static bool blob_set_init(struct blob_set *s)
{
    memset(s, 0, sizeof *s);
    s->nslots = 1024;
    s->slots = calloc(s->nslots, sizeof *s->slots);
    return s->slots != NULL;
}

static void blob_set_release(struct blob_set *s)
{
    free(s->slots);
    free(s->pool);
    memset(s, 0, sizeof *s);
}

static void blob_set_clear(struct blob_set *s)
{
    memset(s->slots, 0, s->nslots * sizeof *s->slots);
    s->count = 0;
    s->pool_len = 0;
}

/* The entry of bytes[0 .. len), or NULL; *slot is where it would go. */
static struct blob_entry *blob_set_find(struct blob_set *s, uint64_t h, const void *bytes, size_t len,
                                        size_t *slot)
{
    size_t mask = s->nslots - 1, j = (size_t)h & mask;
    for (; s->slots[j].used; j = (j + 1) & mask) {
        struct blob_entry *e = &s->slots[j];
        if (e->hash == h && e->len == len && memcmp(s->pool + e->start, bytes, len) == 0)
            return e;
    }
    *slot = j;
    return NULL;
}

static bool blob_set_grow(struct blob_set *s)
{
    size_t n = s->nslots * 2;
    struct blob_entry *slots = calloc(n, sizeof *slots);
    if (!slots)
        return false;
    for (size_t i = 0; i < s->nslots; i++) {
        const struct blob_entry *e = &s->slots[i];
        if (!e->used)
            continue;
        size_t j = (size_t)e->hash & (n - 1);
        while (slots[j].used)
            j = (j + 1) & (n - 1);
        slots[j] = *e;
    }
    free(s->slots);
    s->slots = slots;
    s->nslots = n;
    return true;
}

/* Adds bytes (not present; *slot from blob_set_find) with id; false when out of memory. */
static bool blob_set_add(struct blob_set *s, uint64_t h, const void *bytes, size_t len, size_t slot,
                         uint64_t id)
{
    if ((s->count + 1) * 2 > s->nslots) {
        if (!blob_set_grow(s))
            return false;
        size_t mask = s->nslots - 1;
        for (slot = (size_t)h & mask; s->slots[slot].used; slot = (slot + 1) & mask)
            ;
    }
    if (s->pool_cap - s->pool_len < len) {
        size_t cap = s->pool_cap ? s->pool_cap * 2 : 65536;
        while (cap - s->pool_len < len)
            cap *= 2;
        uint8_t *p = realloc(s->pool, cap);
        if (!p)
            return false;
        s->pool = p;
        s->pool_cap = cap;
    }
    memcpy(s->pool + s->pool_len, bytes, len);
    s->slots[slot] = (struct blob_entry){h, s->pool_len, (uint32_t)len, true, id};
    s->pool_len += len;
    s->count++;
    return true;
}

int stack_table_new(struct stack_table **out, size_t max_depth, const struct event_sink *sink)
{
    *out = NULL;
    struct stack_table *t = calloc(1, sizeof *t);
    if (!t)
        return TRACE_ENOMEM;
    t->max_depth = max_depth < 1 ? 1 : max_depth > STACK_MAX_DEPTH ? STACK_MAX_DEPTH : max_depth;
    if (!blob_set_init(&t->keys) || !blob_set_init(&t->frames) || !blob_set_init(&t->nodes)) {
        stack_table_free(t);
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
    blob_set_release(&t->keys);
    blob_set_release(&t->frames);
    blob_set_release(&t->nodes);
    free(t->depths);
    free(t);
}

void stack_table_set_sink(struct stack_table *t, const struct event_sink *sink)
{
    t->sink = *sink;
}

size_t stack_table_count(const struct stack_table *t)
{
    return t->nodes.count;
}

size_t stack_table_key_count(const struct stack_table *t)
{
    return t->keys.count;
}

void stack_table_forget_keys(struct stack_table *t)
{
    blob_set_clear(&t->keys);
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

/* The id of a frame's text, emitting its frame_def on first sight; 0 when out of memory. */
uint64_t stack_table_frame(struct stack_table *t, const char *text, size_t len)
{
    uint64_t h = hash_bytes(text, len);
    size_t slot;
    const struct blob_entry *e = blob_set_find(&t->frames, h, text, len, &slot);
    if (e)
        return e->id;
    uint64_t id = t->frames.count + 1;
    if (!blob_set_add(&t->frames, h, text, len, slot, id))
        return 0;
    if (event_sink_is_on(&t->sink)) {
        struct event ev = {.kind = EV_FRAME_DEF};
        ev.u.frame_def.id = id;
        ev.str = text;
        ev.str_len = (uint32_t)len;
        t->sink.emit(t->sink.ctx, &ev);
    }
    return id;
}

/* The id of one frame on top of stack `parent` (0: none), emitting its stack_def on first sight. */
uint64_t stack_table_node(struct stack_table *t, uint64_t parent, uint64_t frame)
{
    if (!frame)
        return 0;
    uint64_t key[2] = {parent, frame};
    uint64_t h = hash_bytes(key, sizeof key);
    size_t slot;
    const struct blob_entry *e = blob_set_find(&t->nodes, h, key, sizeof key, &slot);
    if (e)
        return e->id;
    uint64_t id = t->last_id + 1;
    if (id >= t->depths_cap) {
        size_t cap = t->depths_cap ? t->depths_cap * 2 : 4096;
        uint32_t *d = realloc(t->depths, cap * sizeof *d);
        if (!d)
            return 0;
        t->depths = d;
        t->depths_cap = cap;
    }
    if (!blob_set_add(&t->nodes, h, key, sizeof key, slot, id))
        return 0;
    t->last_id = id;
    uint32_t depth = (parent && parent < t->depths_cap ? t->depths[parent] : 0) + 1;
    t->depths[id] = depth;
    if (event_sink_is_on(&t->sink)) {
        struct event ev = {.kind = EV_STACK_DEF};
        ev.u.stack_def.id = id;
        ev.u.stack_def.depth = depth;
        ev.u.stack_def.parent = parent;
        ev.u.stack_def.frame = frame;
        t->sink.emit(t->sink.ctx, &ev);
    }
    return id;
}

uint64_t stack_table_intern_text(struct stack_table *t, const char *text, size_t len)
{
    /* from the outermost frame (the last line) in */
    uint64_t id = 0;
    size_t end = len;
    while (end > 0) {
        size_t start = end;
        while (start > 0 && text[start - 1] != '\n')
            start--;
        id = stack_table_node(t, id, stack_table_frame(t, text + start, end - start));
        if (!id)
            return 0;
        end = start ? start - 1 : 0;
    }
    return id;
}

bool stack_table_key(struct stack_table *t, const uintptr_t *words, size_t n, uint64_t *id)
{
    size_t len = n * sizeof *words, slot;
    const struct blob_entry *e = blob_set_find(&t->keys, hash_bytes(words, len), words, len, &slot);
    if (e)
        *id = e->id;
    return e != NULL;
}

void stack_table_set_key(struct stack_table *t, const uintptr_t *words, size_t n, uint64_t id)
{
    size_t len = n * sizeof *words, slot;
    uint64_t h = hash_bytes(words, len);
    if (t->keys.count >= KEYS_MAX)
        blob_set_clear(&t->keys);
    if (!blob_set_find(&t->keys, h, words, len, &slot))
        blob_set_add(&t->keys, h, words, len, slot, id);
}

uint64_t stack_table_intern_key(struct stack_table *t, const uintptr_t *words, size_t n,
                                stack_describe_fn describe, void *ctx)
{
    uint64_t id = 0;
    if (n == 0 || stack_table_key(t, words, n, &id))
        return id;
    struct codec_buf text;
    codec_buf_init(&text);
    uint32_t depth = describe(ctx, words, n, &text);
    if (!text.failed && depth)
        id = stack_table_intern_text(t, (const char *)text.data, text.len);
    if (!text.failed)
        stack_table_set_key(t, words, n, id);
    codec_buf_release(&text);
    return id;
}

uint32_t stack_describe_c(void *ctx, const uintptr_t *words, size_t n, struct codec_buf *text)
{
    (void)ctx;
    for (size_t i = 0; i < n; i++) {
        char frame[512];
        size_t len = stack_symbolize((const void *)words[i], frame, sizeof frame);
        if (len >= sizeof frame)
            len = sizeof frame - 1;
        if (i)
            codec_buf_put(text, "\n", 1);
        codec_buf_put(text, frame, len);
    }
    return (uint32_t)n;
}

uint64_t stack_table_intern(struct stack_table *t, void *const *frames, size_t depth)
{
    if (depth > t->max_depth)
        depth = t->max_depth;
    uintptr_t words[STACK_MAX_DEPTH];
    for (size_t i = 0; i < depth; i++)
        words[i] = (uintptr_t)frames[i];
    return stack_table_intern_key(t, words, depth, stack_describe_c, NULL);
}
