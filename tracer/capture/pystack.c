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
static bool frame_is_complete(const struct pystack *ps, uintptr_t f, uintptr_t code, uintptr_t instr)
{
    const struct py_layout *L = ps->lay;
    uint8_t owner;
    memcpy(&owner, (const void *)(f + (unsigned)L->frame_owner), 1);
    if (owner == PY_OWNED_BY_CSTACK)
        return false;
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
    for (uintptr_t f = innermost(ps); f && n < 2 * ps->depth; f = word_at(f, L->frame_back)) {
        uintptr_t code = word_at(f, L->frame_code);
        uintptr_t instr;
        if (L->style == PY_FRAMES_OBJECTS) {
            instr = (uintptr_t)(intptr_t)int_at(f, L->frame_instr);
        } else {
            instr = word_at(f, L->frame_instr);
            if (!frame_is_complete(ps, f, code, instr))
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

static uint32_t describe(void *ctx, const uintptr_t *words, size_t n, struct codec_buf *text)
{
    struct pystack *ps = ctx;
    const struct py_layout *L = ps->lay;
    uint32_t depth = 0;
    for (size_t i = 0; i + 1 < n; i += 2) {
        uintptr_t code = words[i];
        char name[256], file[1024], line[24];
        int off = byte_offset(ps, code, words[i + 1]);
        int lineno = ps->py->api.addr2line ? ps->py->api.addr2line((void *)code, off) : 0;
        if (lineno < 0)
            lineno = int_at(code, L->code_firstlineno);
        unsigned name_off = L->code_qualname >= 0 ? (unsigned)L->code_qualname : L->code_name;
        size_t nn = py_str_utf8(ps->py, (void *)word_at(code, name_off), name, sizeof name);
        size_t nf = py_str_utf8(ps->py, (void *)word_at(code, L->code_filename), file, sizeof file);
        int nl = snprintf(line, sizeof line, "%d", lineno);
        see_file(ps, file);
        if (depth)
            codec_buf_put(text, "\n", 1);
        codec_buf_put(text, name, nn);
        codec_buf_put(text, "\t", 1);
        codec_buf_put(text, file, nf);
        codec_buf_put(text, "\t", 1);
        codec_buf_put(text, line, (size_t)nl);
        codes_add(ps, code);
        depth++;
    }
    return depth;
}

uint64_t pystack_capture_c(struct pystack *ps, void *const *frames, size_t n)
{
    ps->stats.captures++;
    return stack_table_intern(ps->table, frames, n);
}

/* A key of both kinds: the C frames' return addresses, a 0 word, then the Python pairs. */
static uint32_t describe_both(void *ctx, const uintptr_t *words, size_t n, struct codec_buf *text)
{
    size_t i = 0;
    while (i < n && words[i])
        i++;
    uint32_t depth = stack_describe_c(NULL, words, i, text);
    if (i < n) {
        i++;
        struct codec_buf py;
        codec_buf_init(&py);
        uint32_t pd = describe(ctx, words + i, n - i, &py);
        if (pd && !py.failed) {
            if (depth)
                codec_buf_put(text, "\n", 1);
            codec_buf_put(text, py.data, py.len);
            depth += pd;
        }
        codec_buf_release(&py);
    }
    return depth;
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
    k += walk(ps, key + k);
    return stack_table_intern_key(ps->table, key, k, describe_both, ps);
}

uint64_t pystack_capture(struct pystack *ps)
{
    uintptr_t key[2 * PYSTACK_MAX_DEPTH];
    ps->stats.captures++;
    size_t n = walk(ps, key);
    if (n == 0)
        return 0;
    size_t before = stack_table_key_count(ps->table);
    uint64_t id = stack_table_intern_key(ps->table, key, n, describe, ps);
    if (stack_table_key_count(ps->table) == before)
        ps->stats.hits++;
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

void *pystack_outermost_code(const struct pystack *ps)
{
    const struct py_layout *L = ps->lay;
    uintptr_t outer = 0;
    size_t n = 0;
    for (uintptr_t f = innermost(ps); f && n < 1000000; f = word_at(f, L->frame_back), n++) {
        uintptr_t code = word_at(f, L->frame_code);
        if (L->style == PY_FRAMES_INTERPRETER && !frame_is_complete(ps, f, code, word_at(f, L->frame_instr)))
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
    /* Drop every key and every code object: walks describe their stacks again. */
    stack_table_forget_keys(ps->table);
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
