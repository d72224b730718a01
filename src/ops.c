/*
 * ops.c - allocation scripts (format in ops.h): a checking parser and a runner.
 *
 * The parser runs the script's handle bookkeeping once on paper, so that every mistake a run
 * could hit (a free of nothing, an alloc over a live block) is reported before anything runs.
 * The runner stamps each block with a pattern derived from its handle and the operation that
 * made it, and checks the stamp when the block is freed or moved: an allocator that hands out
 * overlapping blocks fails the run at the line that shows it.
 */
#include "cli.h"
#include "ops.h"

#include <tracer/trace.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define STAMP_BYTES 16


void ops_script_release(struct ops_script *s)
{
    free(s->ops);
    free(s->labels);
    memset(s, 0, sizeof *s);
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

/* A token of the line [*p, end): advances *p past it; false when there is none (or a comment). */
static bool next_token(const char **p, const char *end, const char **tok, size_t *len)
{
    const char *s = *p;
    while (s < end && is_space(*s))
        s++;
    if (s == end || *s == '#') {
        *p = s;
        return false;
    }
    const char *t = s;
    while (s < end && !is_space(*s) && *s != '#')
        s++;
    *tok = t;
    *len = (size_t)(s - t);
    *p = s;
    return true;
}

static bool parse_number(const char *t, size_t len, bool suffixes, uint64_t *out)
{
    char buf[32];
    if (len == 0 || len >= sizeof buf || t[0] < '0' || t[0] > '9')
        return false;
    memcpy(buf, t, len);
    buf[len] = '\0';
    return cli_parse_uint(buf, suffixes, out);
}

struct parser {
    struct ops_script *s;
    size_t cap_ops, labels_len, cap_labels;
    struct handle_use {
        uint32_t since; /* the line that filled the handle, 0 when empty */
        uint32_t size;  /* the bytes it holds (a request is at most OPS_MAX_REQUEST) */
    } *live;
    uint32_t cap_handles;
    uint64_t live_bytes; /* what the script holds at this line */
};

static bool push_op(struct parser *ps, const struct ops_op *op)
{
    struct ops_script *s = ps->s;
    if (s->nops == ps->cap_ops) {
        size_t cap = ps->cap_ops ? 2 * ps->cap_ops : 256;
        struct ops_op *ops = realloc(s->ops, cap * sizeof *ops);
        if (!ops)
            return false;
        s->ops = ops;
        ps->cap_ops = cap;
    }
    s->ops[s->nops++] = *op;
    return true;
}

static bool push_label(struct parser *ps, const char *t, size_t len, uint32_t *off)
{
    if (ps->labels_len + len + 1 > ps->cap_labels) {
        size_t cap = ps->cap_labels ? 2 * ps->cap_labels : 1024;
        while (ps->labels_len + len + 1 > cap)
            cap *= 2;
        char *l = realloc(ps->s->labels, cap);
        if (!l)
            return false;
        ps->s->labels = l;
        ps->cap_labels = cap;
    }
    if (ps->labels_len > UINT32_MAX - len - 1)
        return false;
    *off = (uint32_t)ps->labels_len;
    memcpy(ps->s->labels + ps->labels_len, t, len);
    ps->s->labels[ps->labels_len + len] = '\0';
    ps->labels_len += len + 1;
    return true;
}

static bool reserve_handle(struct parser *ps, uint32_t h)
{
    if (h < ps->cap_handles)
        return true;
    uint32_t cap = ps->cap_handles ? ps->cap_handles : 64;
    while (cap <= h)
        cap *= 2;
    struct handle_use *l = realloc(ps->live, cap * sizeof *l);
    if (!l)
        return false;
    memset(l + ps->cap_handles, 0, (cap - ps->cap_handles) * sizeof *l);
    ps->live = l;
    ps->cap_handles = cap;
    return true;
}

static const char *const op_names[] = {"alloc", "calloc", "realloc", "free", "step"};
static const char *const op_usage[] = {"alloc H SIZE", "calloc H N SIZE", "realloc H SIZE", "free H", "step LABEL"};
static const int op_nargs[] = {2, 3, 2, 1, 0};

/* Parses one line (without its newline); 0, or -1 with the message (without "FILE:LINE: "). */
static int parse_line(struct parser *ps, const char *p, const char *end, uint32_t lineno, char *err, size_t errlen)
{
    const char *tok;
    size_t len;
    if (memchr(p, '\0', (size_t)(end - p)))
        return cli_fail(err, errlen, "a NUL byte: not a text file");
    if (!next_token(&p, end, &tok, &len))
        return 0; /* blank or comment */
    int kind = -1;
    for (int i = 0; i < 5; i++)
        if (strlen(op_names[i]) == len && memcmp(tok, op_names[i], len) == 0)
            kind = i;
    if (kind < 0)
        return cli_fail(err, errlen, "unknown operation '%.*s' (expected alloc, calloc, realloc, free or step)",
                    (int)(len > 40 ? 40 : len), tok);
    struct ops_op op = {.kind = (enum ops_kind)kind, .line = lineno};
    if (kind == OPS_STEP) {
        while (p < end && is_space(*p))
            p++;
        const char *e = end;
        while (e > p && is_space(e[-1]))
            e--;
        if (e == p)
            return cli_fail(err, errlen, "step needs a label: step LABEL");
        if ((size_t)(e - p) > TRACE_MAX_TEXT)
            return cli_fail(err, errlen, "a step label of %zu bytes is longer than the %u a trace keeps",
                            (size_t)(e - p), TRACE_MAX_TEXT);
        if (!push_label(ps, p, (size_t)(e - p), &op.label) || !push_op(ps, &op))
            return cli_fail(err, errlen, "out of memory");
        return 0;
    }
    const char *args[3];
    size_t lens[3];
    int nargs = 0;
    while (next_token(&p, end, &tok, &len)) {
        if (nargs == op_nargs[kind])
            return cli_fail(err, errlen, "too many arguments: %s", op_usage[kind]);
        args[nargs] = tok;
        lens[nargs++] = len;
    }
    if (nargs < op_nargs[kind])
        return cli_fail(err, errlen, "missing argument: %s", op_usage[kind]);
    uint64_t h;
    if (!parse_number(args[0], lens[0], false, &h) || h > OPS_MAX_HANDLE)
        return cli_fail(err, errlen, "'%.*s' is not a handle number (0 to %u)", (int)(lens[0] > 40 ? 40 : lens[0]),
                    args[0], OPS_MAX_HANDLE);
    op.handle = (uint32_t)h;
    for (int i = 1; i < nargs; i++) {
        uint64_t v;
        if (!parse_number(args[i], lens[i], true, &v))
            return cli_fail(err, errlen, "'%.*s' is not a size (like 40, 0x28, 4K)", (int)(lens[i] > 40 ? 40 : lens[i]),
                        args[i]);
        if (v > OPS_MAX_REQUEST)
            return cli_fail(err, errlen, "%.*s bytes is over the limit of one request (%s)", (int)lens[i], args[i],
                            OPS_MAX_REQUEST_TEXT);
        if (i == 1)
            op.n = v;
        else
            op.size = v;
    }
    if (kind == OPS_CALLOC && op.size && op.n > OPS_MAX_REQUEST / op.size)
        return cli_fail(err, errlen, "calloc of %lu * %lu bytes is over the limit of one request (%s)",
                        (unsigned long)op.n, (unsigned long)op.size, OPS_MAX_REQUEST_TEXT);
    if (!reserve_handle(ps, op.handle))
        return cli_fail(err, errlen, "out of memory");
    struct handle_use *use = &ps->live[op.handle];
    uint32_t size = (uint32_t)(kind == OPS_CALLOC ? op.n * op.size : op.n);
    switch (op.kind) {
    case OPS_ALLOC:
    case OPS_CALLOC:
        if (use->since)
            return cli_fail(err, errlen, "handle %u already holds the block of line %u; free it first", op.handle,
                            use->since);
        /* fallthrough */
    case OPS_REALLOC:
        if (ps->live_bytes - use->size + size > OPS_MAX_LIVE)
            return cli_fail(err, errlen, "the script would hold %llu bytes, over the limit of %s at once",
                            (unsigned long long)(ps->live_bytes - use->size + size), OPS_MAX_LIVE_TEXT);
        ps->live_bytes = ps->live_bytes - use->size + size;
        *use = (struct handle_use){lineno, size};
        break;
    case OPS_FREE:
        if (!use->since)
            return cli_fail(err, errlen, "free of handle %u, which holds no block", op.handle);
        ps->live_bytes -= use->size;
        *use = (struct handle_use){0, 0};
        break;
    case OPS_STEP:
        break;
    }
    if (op.handle + 1 > ps->s->nhandles)
        ps->s->nhandles = op.handle + 1;
    if (!push_op(ps, &op))
        return cli_fail(err, errlen, "out of memory");
    return 0;
}

int ops_script_parse(struct ops_script *s, const char *name, const char *text, size_t len, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    snprintf(s->name, sizeof s->name, "%s", name);
    struct parser ps = {.s = s};
    const char *p = text, *end = text + len;
    uint32_t lineno = 0;
    int rc = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        const char *eol = nl ? nl : end;
        lineno++;
        char why[200];
        if (parse_line(&ps, p, eol, lineno, why, sizeof why) < 0) {
            rc = cli_fail(err, errlen, "%s:%u: %s", name, lineno, why);
            break;
        }
        p = nl ? nl + 1 : end;
    }
    free(ps.live);
    if (rc < 0)
        ops_script_release(s);
    else if (!s->labels && !(s->labels = calloc(1, 1)))
        return cli_fail(err, errlen, "%s: out of memory", name);
    return rc;
}

int ops_script_load(struct ops_script *s, const char *path, char *err, size_t errlen)
{
    memset(s, 0, sizeof *s);
    FILE *f = fopen(path, "rb");
    if (!f)
        return cli_fail(err, errlen, "%s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
        fclose(f);
        return cli_fail(err, errlen, "%s: is a directory", path);
    }
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    int rc = -1;
    if (!buf) {
        cli_fail(err, errlen, "%s: out of memory", path);
        goto out_close;
    }
    for (;;) {
        if (len == cap) {
            char *b = realloc(buf, cap * 2);
            if (!b) {
                cli_fail(err, errlen, "%s: out of memory", path);
                goto out_free;
            }
            buf = b;
            cap *= 2;
        }
        size_t n = fread(buf + len, 1, cap - len, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f)) {
        cli_fail(err, errlen, "%s: read error: %s", path, strerror(errno));
        goto out_free;
    }
    rc = ops_script_parse(s, path, buf, len, err, errlen);
out_free:
    free(buf);
out_close:
    fclose(f);
    return rc;
}

/* ---- running ------------------------------------------------------------------------------ */

struct block_rec {
    void *p;
    uint64_t n;    /* bytes requested */
    uint8_t stamp; /* pattern byte */
};

static size_t stamp_len(uint64_t n)
{
    return n < STAMP_BYTES ? (size_t)n : STAMP_BYTES;
}

static void stamp(struct block_rec *b, uint32_t handle, uint64_t opno)
{
    b->stamp = (uint8_t)(handle * 131u + opno * 7u + 1u);
    size_t k = stamp_len(b->n);
    memset(b->p, b->stamp, k);
    memset((uint8_t *)b->p + b->n - k, b->stamp, k);
}

/* True when the first `head` and the last `tail` stamped bytes are intact. */
static bool stamp_ok(const struct block_rec *b, size_t head, size_t tail)
{
    const uint8_t *p = b->p;
    for (size_t i = 0; i < head; i++)
        if (p[i] != b->stamp)
            return false;
    for (size_t i = 0; i < tail; i++)
        if (p[b->n - 1 - i] != b->stamp)
            return false;
    return true;
}

/* The target's four functions, or its heap's. */
static void *run_malloc(const struct ops_target *t, size_t n)
{
    return t->heap ? heap_malloc(t->heap, n) : t->malloc(t->ctx, n);
}

static void *run_calloc(const struct ops_target *t, size_t nmemb, size_t size)
{
    return t->heap ? heap_calloc(t->heap, nmemb, size) : t->calloc(t->ctx, nmemb, size);
}

static void *run_realloc(const struct ops_target *t, void *p, size_t n)
{
    return t->heap ? heap_realloc(t->heap, p, n) : t->realloc(t->ctx, p, n);
}

static void run_free(const struct ops_target *t, void *p)
{
    if (t->heap)
        heap_free(t->heap, p);
    else
        t->free(t->ctx, p);
}

static bool zeroed(const void *p, uint64_t n)
{
    const uint8_t *b = p;
    size_t k = stamp_len(n);
    for (size_t i = 0; i < k; i++)
        if (b[i] || b[n - 1 - i])
            return false;
    return true;
}

int ops_script_run(const struct ops_script *s, const struct ops_target *t, bool free_at_end, char *err,
                   size_t errlen)
{
    struct block_rec *blocks = calloc(s->nhandles ? s->nhandles : 1, sizeof *blocks);
    if (!blocks)
        return cli_fail(err, errlen, "%s: out of memory", s->name);
    int rc = 0;
    uint64_t opno = 0;
    for (size_t i = 0; i < s->nops && rc == 0; i++) {
        const struct ops_op *op = &s->ops[i];
        if (op->kind == OPS_STEP) {
            if (t->step)
                t->step(t->ctx, ops_label(s, op));
            continue;
        }
        opno++;
        struct block_rec *b = &blocks[op->handle];
        switch (op->kind) {
        case OPS_ALLOC:
        case OPS_CALLOC:
            if (op->kind == OPS_ALLOC) {
                b->n = op->n;
                b->p = run_malloc(t, op->n);
            } else {
                b->n = op->n * op->size;
                b->p = run_calloc(t, op->n, op->size);
            }
            if (!b->p) {
                rc = cli_fail(err, errlen, "%s:%u: %s of %lu bytes failed", s->name, op->line, op_names[op->kind],
                          (unsigned long)b->n);
                break;
            }
            if (op->kind == OPS_CALLOC && !zeroed(b->p, b->n)) {
                rc = cli_fail(err, errlen, "%s:%u: calloc returned memory that is not zeroed", s->name, op->line);
                break;
            }
            if (t->placed)
                t->placed(t->ctx, opno, op, b->p);
            stamp(b, op->handle, opno);
            break;
        case OPS_REALLOC: {
            uint64_t keep = b->p ? (b->n < op->n ? b->n : op->n) : 0;
            void *q = run_realloc(t, b->p, op->n);
            if (!q) {
                rc = cli_fail(err, errlen, "%s:%u: realloc to %lu bytes failed", s->name, op->line, (unsigned long)op->n);
                break;
            }
            b->p = q;
            if (keep && !stamp_ok(b, stamp_len(keep), 0)) {
                rc = cli_fail(err, errlen, "%s:%u: realloc lost the block's contents", s->name, op->line);
                break;
            }
            b->n = op->n;
            if (t->placed)
                t->placed(t->ctx, opno, op, q);
            stamp(b, op->handle, opno);
            break;
        }
        case OPS_FREE:
            if (!stamp_ok(b, stamp_len(b->n), stamp_len(b->n))) {
                rc = cli_fail(err, errlen, "%s:%u: the block of handle %u was overwritten while it was live (two live "
                          "blocks overlap)", s->name, op->line, op->handle);
                break;
            }
            run_free(t, b->p);
            b->p = NULL;
            b->n = 0;
            break;
        case OPS_STEP:
            break;
        }
        if (rc == 0 && t->after && !t->after(t->ctx, opno, op, err, errlen))
            rc = -1;
    }
    if (free_at_end)
        for (uint32_t h = 0; h < s->nhandles; h++)
            if (blocks[h].p)
                run_free(t, blocks[h].p);
    free(blocks);
    return rc;
}

char *ops_placement_format(char *buf, size_t len, uint64_t opno, const void *block, const struct heap_location *loc)
{
    if (!block)
        snprintf(buf, len, "%lu null", (unsigned long)opno);
    else if (loc->raw)
        snprintf(buf, len, "%lu raw", (unsigned long)opno);
    else
        snprintf(buf, len, "%lu %lu %u %u", (unsigned long)opno, (unsigned long)loc->serial, loc->pool, loc->offset);
    return buf;
}
