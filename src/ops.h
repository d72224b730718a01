/*
 * ops.h - allocation scripts: a malloc log anyone can write and replay (`ops:PATH` workloads,
 * `arenascope placements`, the differential test against CPython).
 *
 * The format, one operation per line:
 *
 *     alloc H SIZE         H = malloc(SIZE)
 *     calloc H N SIZE      H = calloc(N, SIZE)
 *     realloc H SIZE       H = realloc(H, SIZE); realloc(NULL, SIZE) when H holds nothing
 *     free H               free(H)
 *     step LABEL           a step marker; LABEL is the rest of the line
 *     # comment            also after an operation; blank lines are ignored
 *
 * H is a handle number (0 to 1048575) naming a block for the script's lifetime; SIZE and N are
 * decimal or 0x hex with an optional K, M or G suffix; a request is at most 16 MiB and the blocks
 * held at once at most 256 MiB.  A script is checked whole before anything runs: a bad line
 * (unknown operation, a missing or extra argument, a bad number, alloc into a live handle, free of
 * an empty one, a request or a total over its limit) is reported naming the file and the line.
 *
 * Operations are numbered from 1 in order; markers, comments and blank lines are not counted.
 */
#ifndef SRC_OPS_H
#define SRC_OPS_H

#include <allocator/heap.h>
#include <allocator/heap_inspect.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OPS_MAX_HANDLE 1048575u /* the handles cost memory by their numbers: 4 MiB to parse, 24 MiB to run */
/* A script shows placements, not big memory: one request is at most 16 MiB (past the small
 * threshold every size goes to malloc alike) and the blocks held at once at most 256 MiB, so a
 * script of any length runs in bounded memory. */
#define OPS_MAX_REQUEST (16ull << 20)
#define OPS_MAX_REQUEST_TEXT "16M"
#define OPS_MAX_LIVE (256ull << 20)
#define OPS_MAX_LIVE_TEXT "256M"

enum ops_kind { OPS_ALLOC, OPS_CALLOC, OPS_REALLOC, OPS_FREE, OPS_STEP };

struct ops_op {
    enum ops_kind kind;
    uint32_t line;    /* 1-based line in the file */
    uint32_t handle;  /* not for step */
    uint64_t n;       /* alloc, realloc: bytes; calloc: element count */
    uint64_t size;    /* calloc: element size */
    uint32_t label;   /* step: offset of its NUL-terminated label in labels */
};

struct ops_script {
    char name[256];     /* the file name, for messages */
    struct ops_op *ops;
    size_t nops;        /* entries in ops, markers included */
    char *labels;
    uint32_t nhandles;  /* 1 + the largest handle used */
};

/* Reads and checks a script; on error returns -1 with "FILE:LINE: problem" in err. */
int ops_script_load(struct ops_script *s, const char *path, char *err, size_t errlen);
/* The same from text in memory; name is used in messages. */
int ops_script_parse(struct ops_script *s, const char *name, const char *text, size_t len, char *err,
                     size_t errlen);
void ops_script_release(struct ops_script *s);

static inline const char *ops_label(const struct ops_script *s, const struct ops_op *op)
{
    return s->labels + op->label;
}

/* What a script runs on: a heap, or four functions (CPython's obmalloc, the C library). */
struct ops_target {
    struct heap *heap; /* when not NULL the script runs on it, and malloc .. free are not used */
    void *(*malloc)(void *ctx, size_t n);
    void *(*calloc)(void *ctx, size_t nmemb, size_t size);
    void *(*realloc)(void *ctx, void *p, size_t n);
    void (*free)(void *ctx, void *p);
    void (*step)(void *ctx, const char *label); /* may be NULL */
    /* Called after each allocating operation (alloc, calloc, realloc) with its number and the
     * block it returned; may be NULL. */
    void (*placed)(void *ctx, uint64_t opno, const struct ops_op *op, void *block);
    /* Called after each operation (markers excluded); returns false to stop with an error
     * already written to err; may be NULL. */
    bool (*after)(void *ctx, uint64_t opno, const struct ops_op *op, char *err, size_t errlen);
    void *ctx;
};

/*
 * Runs a checked script.  Each block gets a pattern in its first and last bytes, checked when it
 * is freed or moved by realloc, so that two live blocks that overlap are caught.  Blocks still
 * live at the end are freed when free_at_end.  Returns 0, or -1 with "FILE:LINE: problem" in err
 * (an allocation failed, a block's contents changed, `after` refused).
 */
int ops_script_run(const struct ops_script *s, const struct ops_target *t, bool free_at_end, char *err,
                   size_t errlen);

/*
 * One line of `arenascope placements`: "OP ARENA POOL OFFSET" for a pool block, "OP raw" for a
 * block of the raw layer, "OP null" when the allocation failed.  Returns buf.
 */
char *ops_placement_format(char *buf, size_t len, uint64_t opno, const void *block, const struct heap_location *loc);

#endif
