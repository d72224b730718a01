/*
 * backend_plain.c - the viewer on a terminal that cannot move its cursor (TERM=dumb: an Emacs
 * shell buffer, a serial console, a pipe): each frame is printed whole as plain text, and keys
 * are read a line at a time ("l" then Enter steps; "]]]" then Enter takes three steps; an empty
 * line is Enter; end of input quits).  Monochrome and ASCII by nature, so the glyphs carry every
 * state (term.h).
 */
#include <ui/keys.h>
#include <ui/term.h>

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct plain {
    int cols, rows;
    char line[256]; /* keys typed and not handed out yet */
    size_t len, next;
    bool eof;
} pl;

static int env_int(const char *name, int def, int lo, int hi)
{
    const char *v = getenv(name);
    int n = v ? atoi(v) : 0;
    return n >= lo && n <= hi ? n : def;
}

static void plain_size(void *ctx, int *cols, int *rows)
{
    (void)ctx;
    *cols = pl.cols;
    *rows = pl.rows;
}

static struct ui_input plain_read(void *ctx, int timeout_ms)
{
    (void)ctx;
    struct ui_input in = {UI_IN_NONE, 0, 0, 0};
    if (pl.next < pl.len) {
        in.kind = UI_IN_KEY;
        in.key = (unsigned char)pl.line[pl.next++];
        return in;
    }
    if (pl.eof) {
        in.kind = UI_IN_QUIT;
        return in;
    }
    struct pollfd pfd = {STDIN_FILENO, POLLIN, 0};
    if (poll(&pfd, 1, timeout_ms) <= 0)
        return in;
    if (!fgets(pl.line, sizeof pl.line, stdin)) {
        pl.eof = true;
        in.kind = UI_IN_QUIT;
        return in;
    }
    pl.len = strcspn(pl.line, "\r\n");
    pl.next = 0;
    if (pl.len == 0) {
        in.kind = UI_IN_KEY;
        in.key = UI_KEY_ENTER;
        return in;
    }
    in.kind = UI_IN_KEY;
    in.key = (unsigned char)pl.line[pl.next++];
    return in;
}

static void plain_present(void *ctx, const struct canvas *c)
{
    (void)ctx;
    char *text = canvas_to_text(c);
    if (!text)
        return;
    fputs(text, stdout);
    fputs("keys, then Enter> ", stdout);
    fflush(stdout);
    free(text);
}

int ui_term_plain_open(struct ui_term *out)
{
    memset(&pl, 0, sizeof pl);
    pl.cols = env_int("COLUMNS", 80, 20, 1000);
    pl.rows = env_int("LINES", 24, 10, 1000);
    *out = (struct ui_term){&pl, plain_size, plain_read, plain_present, true};
    return 0;
}
