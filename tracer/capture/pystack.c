/*
 * pystack.c - Python stacks read from the interpreter's frames and interned (pystack.h).
 *
 * The walk
 * --------
 * From the thread state to the innermost frame, then outwards through each frame's caller:
 *
 *   3.8-3.10  tstate->frame             PyFrameObject: f_back, f_code, f_lasti
 *   3.11-3.12 tstate->cframe->current_frame  _PyInterpreterFrame: previous, f_code, prev_instr
 *   3.13      tstate->current_frame     _PyInterpreterFrame: previous, f_executable, instr_ptr
 *
 * On 3.11+ a frame owned by the C stack (the entry shim of 3.12+) and a frame not yet complete
 * (still before its first traceable instruction, as CPython's _PyFrame_IsIncomplete says) are
 * not the program's and are skipped, as CPython's own tracebacks skip them.  Each frame kept adds
 * two words to the key: its code object and its instruction (f_lasti, or the instruction
 * pointer).  Only a key never seen before is described: the line from PyCode_Addr2Line, the names
 * from the code object's co_qualname (co_name before 3.11) and co_filename.
 *
 * Code objects that die
 * ---------------------
 * A key names code objects by address.  When the program frees a block that held a code object
 * seen in a key, every key is forgotten (stack_table_forget_keys): ids and texts stay, the next
 * walks describe their stacks again.  A bitmap over address bits makes the test on each free one
 * load; a set bit is confirmed in a small hash set of the code objects seen.
 */
#include "pystack.h"

#include <tracer/capture.h>
#include <tracer/codec.h>
#include <tracer/stacks.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FILTER_BITS 16u /* a bitmap of 2^16 bits over address bits 4..19 of code objects seen */

struct pystack {
    const struct py_info *py;
    const struct py_layout *lay;
    unsigned depth;
    struct stack_table *table;
    uint64_t filter[(1u << FILTER_BITS) / 64];
    uintptr_t *codes; /* code objects seen in keys: an open-addressing set, 0 empty */
    size_t ncodes, codes_cap;
    struct pystack_stats stats;
    struct frame_slot *frames; /* (code, instruction) -> frame id: an open-addressing table */
    size_t nframes, frames_cap;
    void (*on_file)(void *ctx, const char *file);
    void *on_file_ctx;
    char **files;     /* file names seen, for on_file */
    size_t nfiles, files_cap;
};

/* Calls on_file the first time a file name is seen. */
static void see_file(struct pystack *ps, const char *file)
{
    if (!ps->on_file)
        return;
    for (size_t i = ps->nfiles; i-- > 0;)
        if (strcmp(ps->files[i], file) == 0)
            return;
    if (ps->nfiles == ps->files_cap) {
        size_t cap = ps->files_cap ? ps->files_cap * 2 : 64;
        char **f = realloc(ps->files, cap * sizeof *f);
        if (!f)
            return;
        ps->files = f;
        ps->files_cap = cap;
    }
    char *copy = strdup(file);
    if (!copy)
        return;
    ps->files[ps->nfiles++] = copy;
    ps->on_file(ps->on_file_ctx, file);
}

static inline size_t filter_bit(uintptr_t p)
{
    return (size_t)(p >> 4) & ((1u << FILTER_BITS) - 1);
}

static size_t code_slot(const struct pystack *ps, uintptr_t code)
{
    size_t mask = ps->codes_cap - 1;
    size_t i = (size_t)((code >> 4) * 0x9E3779B97F4A7C15u >> 32) & mask;
    while (ps->codes[i] && ps->codes[i] != code)
        i = (i + 1) & mask;
    return i;
}

static void codes_add(struct pystack *ps, uintptr_t code)
{
    if ((ps->ncodes + 1) * 2 > ps->codes_cap) {
        size_t cap = ps->codes_cap ? ps->codes_cap * 2 : 1024;
        uintptr_t *old = ps->codes;
        size_t old_cap = ps->codes_cap;
        uintptr_t *fresh = calloc(cap, sizeof *fresh);
        if (!fresh)
            return; /* the filter bit still guards it: forgetting will clear every key */
        ps->codes = fresh;
        ps->codes_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i])
                ps->codes[code_slot(ps, old[i])] = old[i];
        free(old);
    }
    size_t i = code_slot(ps, code);
    if (!ps->codes[i]) {
        ps->codes[i] = code;
        ps->ncodes++;
    }
    ps->filter[filter_bit(code) / 64] |= UINT64_C(1) << (filter_bit(code) % 64);
}

int pystack_new(struct pystack **out, const struct py_info *py, unsigned depth, const struct event_sink *sink,
                void (*on_file)(void *ctx, const char *file), void *ctx)
{
    *out = NULL;
    struct pystack *ps = calloc(1, sizeof *ps);
    if (!ps)
        return -1;
    ps->py = py;
    ps->lay = py->layout;
    ps->depth = depth < 1 ? 1 : depth > PYSTACK_MAX_DEPTH ? PYSTACK_MAX_DEPTH : depth;
    ps->on_file = on_file;
    ps->on_file_ctx = ctx;
    if (stack_table_new(&ps->table, STACK_MAX_DEPTH, sink) < 0) {
        free(ps);
        return -1;
    }
    *out = ps;
    return 0;
}

void pystack_free(struct pystack *ps)
{
    if (!ps)
        return;
    stack_table_free(ps->table);
    free(ps->codes);
    free(ps->frames);
    for (size_t i = 0; i < ps->nfiles; i++)
        free(ps->files[i]);
    free(ps->files);
    free(ps);
}

static inline uintptr_t word_at(uintptr_t base, unsigned off)
{
    uintptr_t w;
    memcpy(&w, (const void *)(base + off), sizeof w);
    return w;
}

static inline int int_at(uintptr_t base, unsigned off)
{
    int v;
    memcpy(&v, (const void *)(base + off), sizeof v);
    return v;
}

/* The innermost frame of the current thread, or 0. */
static uintptr_t innermost(const struct pystack *ps)
{
    const struct py_layout *L = ps->lay;
    uintptr_t ts = (uintptr_t)ps->py->api.tstate_get();
    if (!ts)
        return 0;
    uintptr_t f = word_at(ts, L->tstate_frame);
    if (L->cframe_current >= 0 && f)
        f = word_at(f, (unsigned)L->cframe_current);
    return f;
}

/* Whether a 3.11+ frame is the program's: not the C stack's shim, not still incomplete. */
static bool frame_is_complete(const struct pystack *ps, uintptr_t f, uintptr_t code, uintptr_t instr,
                              bool innermost)
{
    const struct py_layout *L = ps->lay;
    uint8_t owner;
    memcpy(&owner, (const void *)(f + (unsigned)L->frame_owner), 1);
    if (owner == PY_OWNED_BY_CSTACK)
        return false;
    /* A frame with a callee has run past its start: only the innermost one may be incomplete,
     * and only its code object is worth a look (every other read here stays in the frames). */
    if (!innermost)
        return code != 0;
    if (!code || (void *)word_at(code, sizeof(intptr_t)) != ps->py->api.code_type)
        return false;
    if (owner == PY_OWNED_BY_GENERATOR)
        return true;
    uintptr_t first = code + (unsigned)L->code_adaptive +
                      2u * (unsigned)int_at(code, (unsigned)L->code_firsttraceable);
    return instr >= first;
}

/* Fills key with (code, instruction) pairs from the innermost frame out; returns the words. */
static size_t walk(const struct pystack *ps, uintptr_t *key)
{
    const struct py_layout *L = ps->lay;
    size_t n = 0;
    bool first = true;
    for (uintptr_t f = innermost(ps); f && n < 2 * ps->depth; f = word_at(f, L->frame_back)) {
        uintptr_t code = word_at(f, L->frame_code);
        uintptr_t instr;
        if (L->style == PY_FRAMES_OBJECTS) {
            instr = (uintptr_t)(intptr_t)int_at(f, L->frame_instr);
        } else {
            instr = word_at(f, L->frame_instr);
            bool complete = frame_is_complete(ps, f, code, instr, first);
            first = false;
            if (!complete)
                continue;
        }
        key[n++] = code;
        key[n++] = instr;
    }
    return n;
}

/* The byte offset of an instruction for PyCode_Addr2Line. */
static int byte_offset(const struct pystack *ps, uintptr_t code, uintptr_t instr)
{
    const struct py_layout *L = ps->lay;
    if (L->style == PY_FRAMES_OBJECTS) {
        int lasti = (int)(intptr_t)instr;
        return L->lasti_in_units && lasti > 0 ? lasti * 2 : lasti;
    }
    return (int)((intptr_t)instr - (intptr_t)(code + (unsigned)L->code_adaptive));
}

/* ---- frames, each described once ------------------------------------------------------------ */

struct frame_slot {
    uintptr_t code, instr; /* code 0: empty */
    uint64_t id;           /* its frame id in the stack table */
};

static size_t frame_slot_of(const struct pystack *ps, uintptr_t code, uintptr_t instr)
{
    uint64_t h = (code >> 4) * 0x9E3779B97F4A7C15u ^ instr * 0xBF58476D1CE4E5B9u;
    size_t mask = ps->frames_cap - 1, i = (size_t)(h >> 32) & mask;
    while (ps->frames[i].code && (ps->frames[i].code != code || ps->frames[i].instr != instr))
        i = (i + 1) & mask;
    return i;
}

/* The text of one Python frame, "FUNCTION\tFILE\tLINE", into buf; its length. */
static size_t frame_text(struct pystack *ps, uintptr_t code, uintptr_t instr, char *buf, size_t cap)
{
    const struct py_layout *L = ps->lay;
    char name[256], file[1024];
    int lineno = ps->py->api.addr2line ? ps->py->api.addr2line((void *)code, byte_offset(ps, code, instr)) : 0;
    if (lineno < 0)
        lineno = int_at(code, L->code_firstlineno);
    unsigned name_off = L->code_qualname >= 0 ? (unsigned)L->code_qualname : L->code_name;
    py_str_utf8(ps->py, (void *)word_at(code, name_off), name, sizeof name);
    py_str_utf8(ps->py, (void *)word_at(code, L->code_filename), file, sizeof file);
    see_file(ps, file);
    int n = snprintf(buf, cap, "%s\t%s\t%d", name, file, lineno);
    return n < 0 ? 0 : (size_t)n < cap ? (size_t)n : cap - 1;
}

/* The frame id of (code, instruction): from the cache, or described and interned. */
static uint64_t frame_id(struct pystack *ps, uintptr_t code, uintptr_t instr)
{
    if ((ps->nframes + 1) * 2 > ps->frames_cap) {
        size_t cap = ps->frames_cap ? ps->frames_cap * 2 : 4096;
        struct frame_slot *old = ps->frames, *fresh = calloc(cap, sizeof *fresh);
        if (!fresh)
            return 0;
        size_t old_cap = ps->frames_cap;
        ps->frames = fresh;
        ps->frames_cap = cap;
        for (size_t i = 0; i < old_cap; i++)
            if (old[i].code)
                ps->frames[frame_slot_of(ps, old[i].code, old[i].instr)] = old[i];
        free(old);
    }
    size_t i = frame_slot_of(ps, code, instr);
    if (ps->frames[i].code)
        return ps->frames[i].id;
    char text[1400];
    size_t len = frame_text(ps, code, instr, text, sizeof text);
    uint64_t id = stack_table_frame(ps->table, text, len);
    if (id) {
        ps->frames[i] = (struct frame_slot){code, instr, id};
        ps->nframes++;
        codes_add(ps, code);
    }
    return id;
}

/* The stack of a walk's (code, instruction) pairs, built from the outermost frame in on `base`
 * (0, or the stack the Python frames sit on). */
static uint64_t build(struct pystack *ps, const uintptr_t *words, size_t n, uint64_t base)
{
    uint64_t id = base;
    for (size_t i = n; i >= 2; i -= 2) {
        id = stack_table_node(ps->table, id, frame_id(ps, words[i - 2], words[i - 1]));
        if (!id)
            return 0;
    }
    return id;
}

uint64_t pystack_capture_c(struct pystack *ps, void *const *frames, size_t n)
{
    ps->stats.captures++;
    return stack_table_intern(ps->table, frames, n);
}

uint64_t pystack_capture_both(struct pystack *ps, void *const *frames, size_t n)
{
    uintptr_t key[CAPTURE_C_DEPTH + 1 + 2 * PYSTACK_MAX_DEPTH];
    ps->stats.captures++;
    if (n > CAPTURE_C_DEPTH)
        n = CAPTURE_C_DEPTH;
    size_t k = 0;
    for (; k < n; k++)
        key[k] = (uintptr_t)frames[k];
    key[k++] = 0;
    size_t np = walk(ps, key + k);
    uint64_t id;
    if (stack_table_key(ps->table, key, k + np, &id)) {
        ps->stats.hits++;
        return id;
    }
    /* the Python frames first, the C frames on top of them, the outermost first */
    id = build(ps, key + k, np, 0);
    for (size_t i = n; i-- > 0;) {
        char text[512];
        size_t len = stack_symbolize(frames[i], text, sizeof text);
        id = stack_table_node(ps->table, id, stack_table_frame(ps->table, text, len < sizeof text ? len : sizeof text - 1));
    }
    stack_table_set_key(ps->table, key, k + np, id);
    return id;
}

uint64_t pystack_capture(struct pystack *ps)
{
    uintptr_t key[2 * PYSTACK_MAX_DEPTH];
    ps->stats.captures++;
    size_t n = walk(ps, key);
    if (n == 0)
        return 0;
    uint64_t id;
    if (stack_table_key(ps->table, key, n, &id)) {
        ps->stats.hits++;
        return id;
    }
    id = build(ps, key, n, 0);
    stack_table_set_key(ps->table, key, n, id);
    return id;
}

size_t pystack_codes(const struct pystack *ps, void **codes, size_t max)
{
    uintptr_t key[2 * PYSTACK_MAX_DEPTH];
    struct pystack all = *ps;
    all.depth = PYSTACK_MAX_DEPTH;
    size_t n = walk(&all, key) / 2;
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++)
        codes[i] = (void *)key[2 * i];
    return n;
}

uintptr_t pystack_innermost_frame(const struct pystack *ps)
{
    const struct py_layout *L = ps->lay;
    for (uintptr_t f = innermost(ps); f; f = word_at(f, L->frame_back)) {
        uintptr_t code = word_at(f, L->frame_code);
        if (L->style == PY_FRAMES_OBJECTS || frame_is_complete(ps, f, code, word_at(f, L->frame_instr), true))
            return f;
    }
    return 0;
}

void *pystack_outermost_code(const struct pystack *ps)
{
    const struct py_layout *L = ps->lay;
    uintptr_t outer = 0;
    size_t n = 0;
    for (uintptr_t f = innermost(ps); f && n < 1000000; f = word_at(f, L->frame_back), n++) {
        uintptr_t code = word_at(f, L->frame_code);
        if (L->style == PY_FRAMES_INTERPRETER && !frame_is_complete(ps, f, code, word_at(f, L->frame_instr), n == 0))
            continue;
        outer = code;
    }
    return (void *)outer;
}

void pystack_code_file(const struct pystack *ps, void *code, char *file, size_t len)
{
    py_str_utf8(ps->py, (void *)word_at((uintptr_t)code, ps->lay->code_filename), file, len);
}

uint64_t pystack_intern_label(struct pystack *ps, const char *function)
{
    char text[128];
    int n = snprintf(text, sizeof text, "%s\t\t0", function);
    return stack_table_intern_text(ps->table, text, (size_t)n);
}

void pystack_forget(struct pystack *ps, const void *p)
{
    uintptr_t a = (uintptr_t)p;
    size_t bit = filter_bit(a);
    if (!(ps->filter[bit / 64] & (UINT64_C(1) << (bit % 64))))
        return;
    if (!ps->codes_cap)
        return;
    size_t i = code_slot(ps, a);
    if (!ps->codes[i])
        return;
    /* Drop every key, frame and code object: walks describe their stacks again. */
    stack_table_forget_keys(ps->table);
    if (ps->frames_cap)
        memset(ps->frames, 0, ps->frames_cap * sizeof *ps->frames);
    ps->nframes = 0;
    memset(ps->codes, 0, ps->codes_cap * sizeof *ps->codes);
    memset(ps->filter, 0, sizeof ps->filter);
    ps->ncodes = 0;
    ps->stats.forgotten++;
}

void pystack_get_stats(const struct pystack *ps, struct pystack_stats *out)
{
    *out = ps->stats;
    out->stacks = stack_table_count(ps->table);
}
