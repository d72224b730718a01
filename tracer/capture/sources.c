/*
 * sources.c - the program's own files: which they are, their source in the trace, their lines.
 *
 * A file is the program's own when it is the script, or lies under the directory the launcher
 * named (the script's, or the working directory for -m and -c), and is neither the interpreter's
 * standard library nor in site-packages.  The first time a frame names such a file its text is
 * read (at most SOURCE_MAX bytes) and recorded in the trace (source_file, source_text), so that
 * a viewer shows its lines even elsewhere or after the file changed; the text is kept here too,
 * for the labels of line steps.  Memory is libc's.
 */
#include "state.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SOURCE_MAX (1u << 20)
#define SOURCES_MAX 256 /* files kept for line labels; more are recorded but not kept */

static struct {
    char *path[SOURCES_MAX];
    char *text[SOURCES_MAX];
    size_t len[SOURCES_MAX];
    size_t n;
    uint64_t ids;
} src;

/*
 * Whether a file is the program's is asked for every frame of a stack until the program's own
 * code runs (for -m it may never: python -m test runs only the standard library), so the answer
 * is kept per file name: realpath() walks the file system each time.  An open-addressing table
 * of names, never shrunk; when it is full, names are looked at afresh.
 */
#define OWN_SLOTS 8192 /* power of two */
_Static_assert((OWN_SLOTS & (OWN_SLOTS - 1)) == 0, "OWN_SLOTS must be a power of two");

static struct {
    char *name[OWN_SLOTS];
    bool own[OWN_SLOTS];
    size_t n;
} owns;

static bool file_is_own(const char *file);

bool sources_is_own(const char *file)
{
    if (file[0] == '<')
        return false;
    uint64_t h = 1469598103934665603ull;
    for (const char *p = file; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    size_t i = (size_t)h & (OWN_SLOTS - 1);
    while (owns.name[i]) {
        if (strcmp(owns.name[i], file) == 0)
            return owns.own[i];
        i = (i + 1) & (OWN_SLOTS - 1);
    }
    bool own = file_is_own(file);
    if (owns.n < OWN_SLOTS / 2 && (owns.name[i] = strdup(file))) {
        owns.own[i] = own;
        owns.n++;
    }
    return own;
}

static bool file_is_own(const char *file)
{
    char real[PATH_MAX];
    if (!realpath(file, real))
        snprintf(real, sizeof real, "%s", file);
    if (capture.cfg.script[0] && strcmp(real, capture.cfg.script) == 0)
        return true;
    if (strstr(real, "/site-packages/") || strstr(real, "/dist-packages/"))
        return false;
    size_t sl = strlen(capture.stdlib_dir);
    if (sl && strncmp(real, capture.stdlib_dir, sl) == 0 && (real[sl] == '/' || real[sl] == '\0'))
        return false;
    size_t ul = strlen(capture.cfg.user_dir);
    return ul && strncmp(real, capture.cfg.user_dir, ul) == 0 &&
           (real[ul] == '/' || real[ul] == '\0' || capture.cfg.user_dir[ul - 1] == '/');
}

/* Reads a file, records it in the trace, keeps it; the index it is kept at, or -1. */
static long load(const char *file)
{
    for (size_t i = 0; i < src.n; i++)
        if (strcmp(src.path[i], file) == 0)
            return (long)i;
    int fd = open(file, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    char *text = malloc(SOURCE_MAX);
    ssize_t n = text ? read(fd, text, SOURCE_MAX) : -1;
    close(fd);
    if (n < 0) {
        free(text);
        return -1;
    }
    if (capture.sink.emit) {
        struct event ev = {.kind = EV_SOURCE_FILE};
        ev.u.source_file.id = ++src.ids;
        ev.str = file;
        ev.str_len = (uint32_t)strlen(file);
        capture.sink.emit(capture.sink.ctx, &ev);
        ev = (struct event){.kind = EV_SOURCE_TEXT};
        ev.u.source_text.file = src.ids;
        ev.str = text;
        ev.str_len = (uint32_t)n;
        capture.sink.emit(capture.sink.ctx, &ev);
    }
    if (src.n == SOURCES_MAX) {
        free(text);
        return -1;
    }
    src.path[src.n] = strdup(file);
    src.text[src.n] = text;
    src.len[src.n] = (size_t)n;
    return src.path[src.n] ? (long)src.n++ : -1;
}

void sources_seen(void *ctx, const char *file)
{
    (void)ctx;
    if (sources_is_own(file))
        load(file);
}

bool sources_line(const char *file, int line, char *buf, size_t cap)
{
    buf[0] = '\0';
    long i = load(file);
    if (i < 0 || line < 1 || cap == 0)
        return false;
    const char *p = src.text[i], *end = p + src.len[i];
    for (int l = 1; l < line && p < end; l++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        p = nl ? nl + 1 : end;
    }
    while (p < end && (*p == ' ' || *p == '\t'))
        p++;
    size_t n = 0;
    for (; p < end && *p != '\n' && *p != '\r' && n + 1 < cap; p++)
        buf[n++] = *p;
    while (n > 0 && buf[n - 1] == ' ')
        n--;
    buf[n] = '\0';
    return true;
}
