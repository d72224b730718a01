/*
 * view_code.c - the Code pane: a real program's or a built-in demo's source, with the line just
 * run and the line about to run.
 *
 *   ┌ Code: slide.py ─────────────────────────────────────────────┐
 *   │    1  a = [1, 2, 3]                                          │
 *   │ ✓  2  b = a                                                  │
 *   │ ▶  3  s = "memory" * 3                                       │
 *   │    4  d = {"k": a}                   ■ 1 block, 67 B         │
 *   │ ▶ next  ✓ ran  ■ allocated in this step                     │
 *   └──────────────────────────────────────────────────────────────┘
 *
 * What it shows comes from the trace alone.  A line step's marker (EV_STEP_LINE) carries the
 * Python stack at the line: its innermost frame names the file and the line, and the trace
 * holds the file's source (source_file, source_text).  The position convention of app.c makes
 * the rest fall out: the step keys stop just before a marker, so the current step's line is the
 * one just run (its effects are on screen) and the next marker's line is the one about to run.
 * The lines that allocated in the current step are those its block_alloc and raw_alloc events
 * are charged to (model_stack_line_frame: the innermost frame of the program's own code), read
 * from the events between the current marker and the position; a block the trace then says is
 * arenascope's (block_tool: the interpreter made it for the capture) is taken off again.
 *
 * A built-in demo runs a Python source (demos/demo_NAME.py) and records it the same way, before
 * its first step; each of its step markers (EV_STEP_WORKLOAD) carries the stack of the one line
 * it runs, so the pane marks it as a program's line, while the marker's label stays the
 * teacher's sentence that the banner shows.  Such a stack is defined just before the first
 * marker naming it: when the position is before that, the line about to run is read from the
 * definition ahead (marker_line).  A demo's line has one stack, found from its frame_def
 * (app_code_line_stack): the steps a line ran at (Enter) and a line breakpoint (`b`) are the
 * markers carrying it.
 *
 * app_code_prepare() works that out once per position, before the banner and the layout (the
 * banner leaves a program's line to this pane); the painter only reads it.  Enter on a line
 * lists the steps at which it ran; `b` on a line is a line breakpoint (app.c); a click selects a
 * line.
 */
#include "app.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TINT_EVENTS 200000 /* events of one step read for its allocations, at most */
#define TINT_BATCH 1024

bool app_has_code(const struct ui_app *app)
{
    const struct trace_header *h = seeker_header(app->s);
    return h && h->program[0];
}

bool app_has_source(const struct ui_app *app)
{
    return app_has_code(app) || app->workload_source.found;
}

#define SOURCE_SCAN_MAX 1000000 /* events looked at for a workload's source, at most */

struct source_scan {
    uint64_t seen;
};

static bool match_source_or_step(void *ctx, const struct event *ev)
{
    struct source_scan *sc = ctx;
    return ev->kind == EV_SOURCE_FILE || ev->kind == EV_STEP || ++sc->seen >= SOURCE_SCAN_MAX;
}

/* A built-in workload's source: a source_file event before its first step marker (workload.c
 * records it there).  Looked for among the events known, again when more arrive, until a step
 * marker or the source is found. */
static void find_workload_source(struct ui_app *app)
{
    uint64_t count = app_event_count(app);
    if (app->workload_source.done || app->workload_source.scanned == count || app_has_code(app))
        return;
    struct source_scan sc = {app->workload_source.scanned};
    uint64_t found;
    struct event ev;
    char text[64];
    if (seeker_scan(app->s, app->workload_source.scanned, true, match_source_or_step, &sc, &found) > 0 &&
        seeker_events(app->s, found, &ev, 1, text, sizeof text) == 1) {
        app->workload_source.found = ev.kind == EV_SOURCE_FILE;
        app->workload_source.done = true;
    }
    app->workload_source.scanned = count;
}

uint32_t app_label_line(const char *label, size_t label_len, char *file, size_t len)
{
    /* "file.py:12  source": the file, a colon, digits, two blanks */
    const char *gap = label ? memmem(label, label_len, "  ", 2) : NULL;
    if (!gap)
        return 0;
    const char *colon = gap;
    while (colon > label && colon[-1] != ':')
        colon--;
    if (colon == label || colon == gap)
        return 0;
    uint32_t line = 0;
    for (const char *p = colon; p < gap; p++) {
        if (*p < '0' || *p > '9' || line > 100000000)
            return 0;
        line = line * 10 + (uint32_t)(*p - '0');
    }
    snprintf(file, len, "%.*s", (int)(colon - 1 - label), label);
    return line;
}

static bool match_step(void *ctx, const struct event *ev)
{
    (void)ctx;
    return ev->kind == EV_STEP;
}

uint64_t app_step_end(const struct ui_app *app, uint64_t seq)
{
    uint64_t found;
    if (seeker_scan(app->s, seq + 1, true, match_step, NULL, &found) > 0)
        return found;
    return app_event_count(app);
}

/* The file and line of a stack's innermost frame; false when it is not a Python frame. */
static bool stack_line(const struct model *m, uint32_t stack, char *path, size_t len, uint32_t *line)
{
    const char *text;
    size_t tlen;
    if (!stack || !model_stack_frame(m, stack, 0, &text, &tlen))
        return false;
    struct model_frame_info fi;
    model_frame_parse(text, tlen, &fi);
    if (!fi.python || !fi.file_len)
        return false;
    snprintf(path, len, "%.*s", (int)fi.file_len, fi.file);
    *line = fi.line;
    return true;
}

static bool match_source_file(void *ctx, const struct event *ev)
{
    (void)ctx;
    return ev->kind == EV_SOURCE_FILE;
}

/* The program's own file, before its first line step: the first source the trace records. */
static bool program_path(struct ui_app *app, char *path, size_t len)
{
    uint64_t found;
    struct event ev;
    char text[512];
    if (seeker_scan(app->s, 0, true, match_source_file, NULL, &found) <= 0 ||
        seeker_events(app->s, found, &ev, 1, text, sizeof text) != 1)
        return false;
    snprintf(path, len, "%.*s", (int)ev.str_len, ev.str ? ev.str : "");
    return path[0] != '\0';
}

static void add_alloc(struct ui_code *code, uint32_t line, uint64_t bytes)
{
    for (size_t i = 0; i < code->nallocs; i++)
        if (code->allocs[i].line == line) {
            code->allocs[i].blocks++;
            code->allocs[i].bytes += bytes;
            return;
        }
    if (code->nallocs < UI_CODE_ALLOCS)
        code->allocs[code->nallocs++] = (struct ui_code_alloc){line, 1, bytes};
}

/* Takes back one block charged to a line (a block_tool after its allocation). */
static void remove_alloc(struct ui_code *code, uint32_t line, uint64_t bytes)
{
    for (size_t i = 0; i < code->nallocs; i++)
        if (code->allocs[i].line == line) {
            code->allocs[i].bytes -= bytes < code->allocs[i].bytes ? bytes : code->allocs[i].bytes;
            if (--code->allocs[i].blocks == 0)
                code->allocs[i] = code->allocs[--code->nallocs];
            return;
        }
}

#define TRACEBACK "Traceback (most recent call last):"

/* A line the program wrote to standard error: a traceback's first line, and its last (the
 * exception, the one line of it not indented). */
static void read_stderr(struct ui_code *code, const char *text, size_t len)
{
    if (!text)
        return;
    if (len >= strlen(TRACEBACK) && memcmp(text, TRACEBACK, strlen(TRACEBACK)) == 0) {
        code->raised = true;
        code->exception[0] = '\0';
    } else if (code->raised && len > 0 && text[0] != ' ') {
        size_t k = len < sizeof code->exception - 1 ? len : sizeof code->exception - 1;
        memcpy(code->exception, text, k);
        code->exception[k] = '\0';
    }
}

/*
 * A program that did not compile has no line to show: what the interpreter printed, in one line
 * as a compiler says it, "slide.py:3: SyntaxError: '[' was never closed".  Its report is
 *     File "/home/t/slide.py", line 3
 *       a = [1, 2
 *           ^
 *   SyntaxError: '[' was never closed
 */
static void read_syntax_error(const struct model *m, struct ui_code *code)
{
    struct model_print lines[MODEL_PRINTS_KEEP];
    size_t n = model_prints(m, lines, MODEL_PRINTS_KEEP);
    if (n > MODEL_PRINTS_KEEP)
        n = MODEL_PRINTS_KEEP;
    /* most recent first: the error, then (older) the place */
    for (size_t i = 0; i < n; i++) {
        const char *t = lines[i].text;
        size_t len = lines[i].len;
        static const char *const kinds[] = {"SyntaxError: ", "IndentationError: ", "TabError: "};
        bool is_error = false;
        for (size_t k = 0; k < sizeof kinds / sizeof kinds[0]; k++)
            is_error |= len > strlen(kinds[k]) && memcmp(t, kinds[k], strlen(kinds[k])) == 0;
        if (!is_error || lines[i].stream != 2)
            continue;
        for (size_t j = i + 1; j < n; j++) {
            char place[512];
            snprintf(place, sizeof place, "%.*s", (int)lines[j].len, lines[j].text);
            const char *file = strstr(place, "File \""), *at = strstr(place, "\", line ");
            if (!file || !at || at < file)
                continue;
            file += 6;
            const char *slash = memrchr(file, '/', (size_t)(at - file));
            if (slash)
                file = slash + 1;
            snprintf(code->syntax, sizeof code->syntax, "%.*s:%lu: %.*s", (int)(at - file), file,
                     strtoul(at + 8, NULL, 10), (int)len, t);
            return;
        }
        snprintf(code->syntax, sizeof code->syntax, "%.*s", (int)len, t);
        return;
    }
}

static bool match_traceback(void *ctx, const struct event *ev)
{
    (void)ctx;
    return ev->kind == EV_PRINT && ev->u.print.stream == 2 && ev->str_len >= strlen(TRACEBACK) &&
           memcmp(ev->str, TRACEBACK, strlen(TRACEBACK)) == 0;
}

uint64_t app_raised_step_end(struct ui_app *app)
{
    uint64_t count = app_event_count(app), tb, marker;
    struct event ev;
    char label[64];
    if (seeker_scan(app->s, count, false, match_traceback, NULL, &tb) <= 0 ||
        seeker_scan(app->s, tb, false, match_step, NULL, &marker) <= 0 ||
        seeker_events(app->s, marker, &ev, 1, label, sizeof label) != 1 || ev.u.step.kind != EV_STEP_LINE)
        return 0;
    return app_step_end(app, marker);
}

/* The allocations of events from .. to-1 charged to lines of the shown file. */
static void read_allocs(struct ui_app *app, uint64_t from, uint64_t to)
{
    struct ui_code *code = &app->code;
    const struct model *m = app_model(app);
    if (to - from > TINT_EVENTS) {
        to = from + TINT_EVENTS;
        code->partial = true;
    }
    static const size_t strsize = 1 << 16;
    struct event *evs = malloc(TINT_BATCH * sizeof *evs);
    char *str = malloc(strsize);
    uint32_t last_stack = 0, last_line = 0;
    bool last_ours = false;
    struct charge {
        uint64_t addr, bytes;
        uint32_t line; /* 0: taken back */
    } charged[4] = {{0, 0, 0}}; /* the last blocks charged, which a block_tool may take back */
    size_t ncharged = 0;
    for (uint64_t seq = from; evs && str && seq < to;) {
        size_t want = to - seq < TINT_BATCH ? (size_t)(to - seq) : TINT_BATCH;
        int n = seeker_events(app->s, seq, evs, want, str, strsize);
        if (n <= 0)
            break;
        for (int i = 0; i < n; i++) {
            uint64_t stack, bytes;
            if (evs[i].kind == EV_PRINT && evs[i].u.print.stream == 2)
                read_stderr(code, evs[i].str, evs[i].str_len);
            if (evs[i].kind == EV_BLOCK_TOOL) {
                for (size_t k = 0; k < 4; k++)
                    if (charged[k].line && charged[k].addr == evs[i].u.block_tool.addr) {
                        remove_alloc(code, charged[k].line, charged[k].bytes);
                        charged[k].line = 0;
                    }
                continue;
            }
            uint64_t addr;
            if (evs[i].kind == EV_BLOCK_ALLOC)
                stack = evs[i].u.block_alloc.stack, bytes = evs[i].u.block_alloc.size, addr = evs[i].u.block_alloc.addr;
            else if (evs[i].kind == EV_RAW_ALLOC)
                stack = evs[i].u.raw_alloc.stack, bytes = evs[i].u.raw_alloc.size, addr = evs[i].u.raw_alloc.addr;
            else
                continue;
            if (!stack)
                continue;
            if (stack != last_stack) {
                char path[512];
                uint32_t line = 0;
                uint32_t frame = model_stack_line_frame(m, (uint32_t)stack);
                const char *text;
                size_t tlen;
                last_ours = false;
                if (frame && model_frame_text(m, frame, &text, &tlen)) {
                    struct model_frame_info fi;
                    model_frame_parse(text, tlen, &fi);
                    if (fi.python && fi.file_len) {
                        snprintf(path, sizeof path, "%.*s", (int)fi.file_len, fi.file);
                        line = fi.line;
                        last_ours = strcmp(path, code->path) == 0 && line > 0;
                    }
                }
                last_stack = (uint32_t)stack;
                last_line = line;
            }
            if (last_ours) {
                add_alloc(code, last_line, bytes);
                charged[ncharged++ % 4] = (struct charge){addr, bytes, last_line};
            }
        }
        seq += (uint64_t)n;
    }
    free(str);
    free(evs);
}

struct def_scan {
    enum event_kind kind; /* EV_STACK_DEF or EV_FRAME_DEF */
    uint64_t id;
};

static bool match_def(void *ctx, const struct event *ev)
{
    const struct def_scan *d = ctx;
    return ev->kind == d->kind && ev->u.f[0] == d->id; /* stack_def.id, frame_def.id */
}

/*
 * The file and line a workload's step marker at seq `marker` carries in its stack.  The model
 * knows the stack when it was defined before the position; else its definition (and its
 * frame's) lies between the position and the marker: a workload defines a line's stack just
 * before the first marker that names it (src/workload.c).
 */
static bool marker_line(struct ui_app *app, uint64_t stack, uint64_t marker, char *path, size_t len, uint32_t *line)
{
    const struct model *m = app_model(app);
    if (stack <= UINT32_MAX && stack_line(m, (uint32_t)stack, path, len, line))
        return true;
    struct def_scan d = {EV_STACK_DEF, stack};
    uint64_t at;
    struct event ev;
    static char text[4096];
    if (seeker_scan(app->s, marker, false, match_def, &d, &at) <= 0 ||
        seeker_events(app->s, at, &ev, 1, text, sizeof text) != 1)
        return false;
    const char *frame = ev.str;
    size_t flen = ev.str ? ev.str_len : 0;
    if (ev.u.stack_def.frame && ev.u.stack_def.frame <= UINT32_MAX &&
        !model_frame_text(m, (uint32_t)ev.u.stack_def.frame, &frame, &flen)) {
        d = (struct def_scan){EV_FRAME_DEF, ev.u.stack_def.frame};
        if (seeker_scan(app->s, at, false, match_def, &d, &at) <= 0 ||
            seeker_events(app->s, at, &ev, 1, text, sizeof text) != 1)
            return false;
        frame = ev.str;
        flen = ev.str ? ev.str_len : 0;
    }
    const char *nl = frame ? memchr(frame, '\n', flen) : NULL;
    struct model_frame_info fi;
    model_frame_parse(frame, nl ? (size_t)(nl - frame) : flen, &fi);
    if (!fi.python || !fi.file_len)
        return false;
    snprintf(path, len, "%.*s", (int)fi.file_len, fi.file);
    *line = fi.line;
    return true;
}

/* The line about to run: the next marker's, when it is a line of the shown file (a program's
 * line step names it in its label, a demo's step in its stack). */
static uint32_t next_line(struct ui_app *app, const struct ui_code *code)
{
    uint64_t found;
    struct event ev;
    char label[512], file[512];
    if (seeker_scan(app->s, code->pos, true, match_step, NULL, &found) <= 0 ||
        seeker_events(app->s, found, &ev, 1, label, sizeof label) != 1)
        return 0;
    uint32_t next = 0;
    if (ev.u.step.kind == EV_STEP_LINE) {
        next = app_label_line(ev.str, ev.str_len, file, sizeof file);
        return next && strcmp(file, code->base) == 0 ? next : 0;
    }
    if (ev.u.step.kind == EV_STEP_WORKLOAD && ev.u.step.stack &&
        marker_line(app, ev.u.step.stack, found, file, sizeof file, &next))
        return strcmp(file, code->path) == 0 ? next : 0;
    return 0;
}

void app_code_prepare(struct ui_app *app)
{
    struct ui_code *code = &app->code;
    uint64_t pos = app_position(app);
    uint64_t count = app_event_count(app);
    if (code->pos == pos && code->count == count)
        return;
    if (code->pos == pos && code->have) {
        /* a live trace grew: only what comes next may have changed, the step's tint has not */
        code->count = count;
        code->next = next_line(app, code);
        return;
    }
    memset(code, 0, sizeof *code);
    code->pos = pos;
    code->count = count;
    find_workload_source(app);
    if (!app_has_source(app))
        return;
    const struct model *m = app_model(app);
    struct model_step st;
    bool have_step = model_step_current(m, &st);
    uint32_t line = 0;
    if (!(have_step && stack_line(m, st.stack, code->path, sizeof code->path, &line)) &&
        !program_path(app, code->path, sizeof code->path)) {
        read_syntax_error(m, code);
        return;
    }
    if (!seeker_source(app->s, code->path, strlen(code->path), &code->text, &code->len))
        return;
    code->have = true;
    const char *slash = strrchr(code->path, '/');
    code->base = slash ? slash + 1 : code->path;
    for (size_t i = 0; i < code->len; i++)
        code->nlines += code->text[i] == '\n';
    if (code->len && code->text[code->len - 1] != '\n')
        code->nlines++;
    code->step_is_line = have_step && st.kind == EV_STEP_LINE;
    /* a demo's step marks its line as a program's line step does; its label stays its own */
    if (code->step_is_line || (have_step && st.kind == EV_STEP_WORKLOAD))
        code->ran = line;
    code->next = next_line(app, code);
    if (have_step && st.seq + 1 < pos)
        read_allocs(app, st.seq + 1, pos);
}

/* ---- the steps a line ran at ---------------------------------------------------------------- */

struct runs_scan {
    const char *prefix; /* "file.py:12  " */
    size_t prefix_len;
    uint64_t number;    /* the step number of the marker found */
};

static bool match_line_step(void *ctx, const struct event *ev)
{
    struct runs_scan *rs = ctx;
    if (ev->kind == EV_STEP && ev->u.step.kind == EV_STEP_LINE && ev->str_len >= rs->prefix_len &&
        memcmp(ev->str, rs->prefix, rs->prefix_len) == 0) {
        rs->number = ev->u.step.number;
        return true;
    }
    return false;
}

struct line_stack_scan {
    const char *path;
    uint32_t line;
    uint64_t frame; /* the frame of the line, once its frame_def went by */
    uint64_t stack; /* app_code_runs: the stack found, whose steps are matched */
    uint64_t number;
};

/* The frame_def of line `line` of `path`, then the one-frame stack_def of that frame. */
static bool match_line_stack(void *ctx, const struct event *ev)
{
    struct line_stack_scan *ls = ctx;
    if (ev->kind == EV_FRAME_DEF && !ls->frame && ev->str) {
        struct model_frame_info fi;
        model_frame_parse(ev->str, ev->str_len, &fi);
        if (fi.python && fi.line == ls->line && fi.file_len == strlen(ls->path) &&
            memcmp(fi.file, ls->path, fi.file_len) == 0)
            ls->frame = ev->u.frame_def.id;
        return false;
    }
    return ls->frame && ev->kind == EV_STACK_DEF && ev->u.stack_def.frame == ls->frame && !ev->u.stack_def.parent;
}

uint64_t app_code_line_stack(const struct ui_app *app, uint32_t line)
{
    if (!app->code.have || app_has_code(app))
        return 0;
    struct line_stack_scan ls = {.path = app->code.path, .line = line};
    uint64_t found;
    struct event ev;
    char text[64];
    if (seeker_scan(app->s, 0, true, match_line_stack, &ls, &found) <= 0 ||
        seeker_events(app->s, found, &ev, 1, text, sizeof text) != 1)
        return 0;
    return ev.u.stack_def.id;
}

static bool match_stack_step(void *ctx, const struct event *ev)
{
    struct line_stack_scan *ls = ctx;
    if (ev->kind == EV_STEP && ev->u.step.kind == EV_STEP_WORKLOAD && ev->u.step.stack == ls->stack) {
        ls->number = ev->u.step.number;
        return true;
    }
    return false;
}

size_t app_code_runs(const struct ui_app *app, uint32_t line, uint64_t *seqs, uint64_t *steps, size_t max)
{
    if (!app->code.have)
        return 0;
    if (!app_has_code(app)) {
        /* a demo: the steps whose stack is the line's */
        struct line_stack_scan ls = {.stack = app_code_line_stack(app, line)};
        size_t n = 0;
        uint64_t from = 0, found;
        while (ls.stack && n < max && seeker_scan(app->s, from, true, match_stack_step, &ls, &found) > 0) {
            steps[n] = ls.number;
            seqs[n++] = found;
            from = found + 1;
        }
        return n;
    }
    char prefix[300];
    int plen = snprintf(prefix, sizeof prefix, "%s:%" PRIu32 "  ", app->code.base, line);
    struct runs_scan rs = {prefix, (size_t)plen, 0};
    size_t n = 0;
    uint64_t from = 0, found;
    while (n < max && seeker_scan(app->s, from, true, match_line_step, &rs, &found) > 0) {
        steps[n] = rs.number;
        seqs[n++] = found;
        from = found + 1;
    }
    return n;
}

/* ---- painting ------------------------------------------------------------------------------- */

/* Line `line` (from 1) of the source: its start and length without the newline. */
static bool source_line(const struct ui_code *code, uint32_t line, const char **start, size_t *len)
{
    const char *p = code->text, *end = code->text + code->len;
    for (uint32_t i = 1; i < line && p < end; i++) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return false;
        p = nl + 1;
    }
    if (p >= end)
        return false;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    *start = p;
    *len = nl ? (size_t)(nl - p) : (size_t)(end - p);
    return true;
}

/* The line's text as the pane shows it: tabs as blanks, no control characters. */
static void clean_line(const char *text, size_t len, char *out, size_t cap)
{
    size_t n = 0, col = 0;
    for (size_t i = 0; i < len && n + 5 < cap; i++) {
        unsigned char ch = (unsigned char)text[i];
        if (ch == '\t') {
            do
                out[n++] = ' ';
            while (++col % 4 && n + 1 < cap);
            continue;
        }
        if (ch < 0x20 || ch == 0x7f)
            continue;
        out[n++] = (char)ch;
        col += (ch & 0xc0) != 0x80;
    }
    out[n] = '\0';
}

static const struct ui_code_alloc *alloc_of(const struct ui_code *code, uint32_t line)
{
    for (size_t i = 0; i < code->nallocs; i++)
        if (code->allocs[i].line == line)
            return &code->allocs[i];
    return NULL;
}

static void paint_runs(const struct ui_app *app, struct ui_frame *f, struct canvas *c, int x, int y, int w, int h)
{
    const struct ui_code *code = &app->code;
    size_t n = app->code_ui.nruns;
    canvas_printf(c, x, y, w, UI_S_LABEL, "line %" PRIu32 " ran at %zu step%s%s: Enter goes to one, Esc back",
                  app->code_ui.sel, n, n == 1 ? "" : "s", n == UI_CODE_RUNS ? " or more" : "");
    y++, h--;
    if (n == 0) {
        canvas_text(c, x + 1, y, w - 1, UI_S_DIM, "never, in the whole trace");
        return;
    }
    int scroll = app_scroll_to_show(app->code_ui.run_scroll, app->code_ui.run_sel, (int)n, h);
    f->code = (struct ui_settled){.set = true, .scroll = scroll, .sel = app->code_ui.run_sel};
    for (int row = 0; row < h && scroll + row < (int)n; row++) {
        size_t i = (size_t)(scroll + row);
        char cb[32];
        int k = canvas_printf(c, x + 1, y + row, w - 1, UI_S_NORMAL, "%4zu. step %-6" PRIu64 " event %s", i + 1,
                              app->code_ui.run_steps[i], fmt_count(cb, app->code_ui.runs[i]));
        uint64_t seq = app->code_ui.runs[i];
        if (seq == code->pos)
            canvas_text(c, x + 1 + k, y + row, w - 1 - k, UI_S_DIM, "  (about to run)");
        else if (seq < code->pos && app_step_end(app, seq) >= code->pos)
            canvas_text(c, x + 1 + k, y + row, w - 1 - k, UI_S_DIM, "  (the step on screen)");
        if ((int)i == app->code_ui.run_sel)
            canvas_add_attr(c, (struct ui_rect){x, y + row, w, 1}, UI_A_REVERSE);
        ui_frame_hit(f, (struct ui_rect){x + c->ox, y + row + c->oy, w, 1}, UI_HIT_CODE_RUN, i, 0, 0);
    }
}

void view_code(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus)
{
    const struct ui_code *code = &app->code;
    char title[160];
    if (code->have)
        snprintf(title, sizeof title, "Code: %s", code->base);
    else
        snprintf(title, sizeof title, "Code");
    canvas_box(c, r, title, focus);
    int x = r.x + 1, y = r.y + 1, w = r.w - 2, h = r.h - 2;
    if (w < 20 || h < 1)
        return;
    if (!code->have) {
        struct ui_para p;
        ui_para_init(&p);
        if (code->syntax[0]) {
            ui_para_add(&p, UI_S_ERROR, code->syntax);
            ui_para_add(&p, UI_S_DIM, ": the program did not compile, so no line of it ran");
        } else {
            ui_para_add(&p, UI_S_DIM, app_has_source(app) ? "no source of the program's own code is recorded yet"
                                                          : "no source: allocation scripts and churn narrate their "
                                                            "steps in the banner");
        }
        canvas_para(c, x + 1, y, w - 2, 0, h, &p, NULL);
        return;
    }
    if (app->code_ui.listing) {
        paint_runs(app, f, c, x, y, w, h);
        return;
    }
    bool legend = h >= 6;
    int rows = h - legend;
    int n = (int)code->nlines;
    uint32_t follow = app->code_ui.sel ? app->code_ui.sel : code->next ? code->next : code->ran;
    /* the followed line a third of the way down, so that what comes next shows under it */
    int want = follow ? (int)follow - 1 - rows / 3 : 0;
    /* and the line just run with it, when both fit: a demo's steps are often lines apart */
    if (!app->code_ui.sel && code->ran && code->next > code->ran && (int)(code->next - code->ran) < rows &&
        want > (int)code->ran - 1)
        want = (int)code->ran - 1;
    int scroll = app->code_ui.sel ? app_scroll_to_show(app->code_ui.scroll, (int)follow - 1, n, rows)
                                  : app_scroll_to_show(want, (int)follow - 1, n, rows);
    f->code = (struct ui_settled){.set = true, .scroll = scroll, .sel = (int)app->code_ui.sel};
    char num[16];
    int num_w = snprintf(num, sizeof num, "%d", n > 0 ? n : 1);
    if (num_w < 3)
        num_w = 3;
    for (int row = 0; row < rows && scroll + row < n; row++) {
        uint32_t line = (uint32_t)(scroll + row + 1);
        int ry = y + row;
        const char *text;
        size_t len;
        char clean[1024];
        if (!source_line(code, line, &text, &len))
            break;
        clean_line(text, len, clean, sizeof clean);
        bool is_next = line == code->next, is_ran = line == code->ran && !is_next;
        bool is_raised = is_ran && code->raised;
        const struct ui_code_alloc *al = alloc_of(code, line);
        if (is_next)
            canvas_glyph(c, x, ry, UI_G_CODE_NEXT, UI_S_CODE_NEXT);
        else if (is_raised)
            canvas_glyph(c, x, ry, UI_G_CODE_RAISED, UI_S_ERROR);
        else if (is_ran)
            canvas_glyph(c, x, ry, UI_G_CODE_RAN, UI_S_CODE_RAN);
        enum ui_style ns = is_next ? UI_S_CODE_NEXT : is_raised ? UI_S_ERROR : is_ran ? UI_S_CODE_RAN : UI_S_DIM;
        canvas_printf(c, x + 2, ry, num_w, ns, "%*" PRIu32, num_w, line);
        int tx = x + 2 + num_w + 2, tw = x + w - tx;
        char note[64] = "";
        int note_w = 0;
        if (is_raised) {
            /* the exception's type, "IndexError" */
            const char *colon = strchr(code->exception, ':');
            int tl = colon ? (int)(colon - code->exception) : (int)strlen(code->exception);
            snprintf(note, sizeof note, "raised %.*s", tl > 40 ? 40 : tl, code->exception);
            note_w = ui_text_width(note);
            if (note_w + 12 > tw)
                note_w = snprintf(note, sizeof note, "raised");
        } else if (al) {
            char bb[32];
            snprintf(note, sizeof note, "%s %" PRIu64 " block%s, %s", c->ascii ? "#" : "\xe2\x96\xa0", al->blocks,
                     al->blocks == 1 ? "" : "s", ui_fmt_bytes(bb, al->bytes));
            note_w = ui_text_width(note);
            if (note_w + 12 > tw) /* the code first: the note in fewer words */
                note_w = snprintf(note, sizeof note, "%s %" PRIu64, c->ascii ? "#" : "\xe2\x96\xa0", al->blocks);
        }
        int code_w = note_w ? tw - note_w - 2 : tw;
        enum ui_style ts = is_next ? UI_S_CODE_NEXT : al ? UI_S_CODE_ALLOC : UI_S_NORMAL;
        if (ui_text_width(clean) <= code_w)
            canvas_text(c, tx, ry, code_w, ts, clean);
        else
            canvas_text_fit(c, tx, ry, code_w, ts, clean);
        if (note_w)
            canvas_text(c, x + w - note_w, ry, note_w, is_raised ? UI_S_ERROR : UI_S_CODE_NOTE, note);
        if (app->code_ui.sel == line)
            canvas_add_attr(c, (struct ui_rect){x + 2, ry, w - 2, 1}, UI_A_REVERSE);
        ui_frame_hit(f, (struct ui_rect){x + c->ox, ry + c->oy, w, 1}, UI_HIT_CODE_LINE, line, 0, 0);
    }
    if (scroll > 0)
        canvas_glyph(c, r.x + r.w - 1, y, UI_G_ARROW_UP, UI_S_FRAME_FOCUS);
    if (scroll + rows < n)
        canvas_glyph(c, r.x + r.w - 1, y + rows - 1, UI_G_ARROW_DOWN, UI_S_FRAME_FOCUS);
    if (legend) {
        int ly = y + h - 1, lx = x;
        static const char *const words[][2] = {{"next", "about to run"}, {"ran", "just run"}};
        bool roomy = w >= 64;
        canvas_glyph(c, lx, ly, UI_G_CODE_NEXT, UI_S_CODE_NEXT);
        lx += 2 + canvas_text(c, lx + 2, ly, -1, UI_S_DIM, words[0][roomy]) + 2;
        canvas_glyph(c, lx, ly, UI_G_CODE_RAN, UI_S_CODE_RAN);
        lx += 2 + canvas_text(c, lx + 2, ly, -1, UI_S_DIM, words[1][roomy]) + 2;
        const char *alloc = roomy ? "allocated in this step" : "allocated";
        if (lx + 2 + ui_text_width(alloc) <= x + w) {
            canvas_glyph(c, lx, ly, UI_G_BLOCK_ALLOC, UI_S_CODE_NOTE);
            lx += 2 + canvas_text(c, lx + 2, ly, -1, UI_S_DIM, alloc) + 2;
        }
        if (code->partial) { /* whole, or in fewer words, or not at all */
            const char *note = "(tint: first 200,000 events)";
            if (lx + ui_text_width(note) > x + w)
                note = "(tint: partial)";
            if (lx + ui_text_width(note) <= x + w)
                canvas_text(c, lx, ly, x + w - lx, UI_S_DIM, note);
        }
    }
}
