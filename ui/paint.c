/*
 * paint.c - the frame around the panes: header, step banner, footer, help, prompts, the
 * breakpoint menu and the "terminal too small" screen.
 *
 * The header says what is shown and where we are (event n of N, playing or paused, the state
 * of a live workload), each part worded by the room it gets.  The step banner is what a class
 * reads first: the label of the step whose effects are on screen, whole, wrapped over the rows
 * it asks the layout for (paint_banner_prepare runs before the layout), and what the next step
 * will show.  The footer is generated from the key table (keys.h), so it always names the keys
 * that work; a message takes its place, wrapped when long.  The help is painted whole on a
 * canvas of its own and scrolled into its frame.
 */
#include "app.h"

#include <ui/narrate.h>

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* ---- formatting ------------------------------------------------------------------------------ */

const char *fmt_addr(char buf[24], uint64_t addr, int digits, bool ascii)
{
    if (digits <= 0) {
        snprintf(buf, 24, "0x%" PRIx64, addr);
        return buf;
    }
    char full[20];
    int n = snprintf(full, sizeof full, "%" PRIx64, addr);
    if (n <= digits)
        snprintf(buf, 24, "0x%.17s", full);
    else
        snprintf(buf, 24, "%s%.17s", ascii ? "~" : "\xe2\x80\xa6", full + n - digits);
    return buf;
}

const char *fmt_count(char buf[32], uint64_t n)
{
    char tmp[32];
    int len = snprintf(tmp, sizeof tmp, "%" PRIu64, n);
    int out = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0)
            buf[out++] = ',';
        buf[out++] = tmp[i];
    }
    buf[out] = '\0';
    return buf;
}

const char *ui_fmt_bytes(char buf[32], uint64_t n)
{
    if (n < 1024)
        snprintf(buf, 32, "%" PRIu64 " B", n);
    else if (n < 1024 * 1024)
        snprintf(buf, 32, "%.1f KiB", (double)n / 1024);
    else if (n < 1024ull * 1024 * 1024)
        snprintf(buf, 32, "%.1f MiB", (double)n / (1024.0 * 1024));
    else
        snprintf(buf, 32, "%.2f GiB", (double)n / (1024.0 * 1024 * 1024));
    return buf;
}

int paint_legend_width(const struct ui_legend *items, size_t n, int gap)
{
    int w = 0;
    for (size_t i = 0; i < n; i++)
        w += (i ? gap : 0) + 3 + ui_text_width(items[i].text);
    return w;
}

int paint_legend(struct canvas *c, int x, int y, int right, const struct ui_legend *items, size_t n, int gap)
{
    for (size_t i = 0; i < n; i++) {
        if (x + 3 + ui_text_width(items[i].text) > right)
            break;
        canvas_glyph(c, x, y, items[i].g, items[i].s);
        canvas_put(c, x + 1, y, ' ', UI_S_NORMAL);
        x += 2 + canvas_text(c, x + 2, y, right - x - 2, UI_S_DIM, items[i].text);
        canvas_put(c, x, y, ' ', UI_S_NORMAL);
        x += 1 + gap;
    }
    return x;
}

/* Text right-aligned so that it ends at column `right` (exclusive); returns its start. */
static int text_right(struct canvas *c, int right, int y, enum ui_style s, const char *text)
{
    int w = ui_text_width(text);
    canvas_text(c, right - w, y, w, s, text);
    return right - w;
}

/* ---- header and step banner ------------------------------------------------------------------- */

/* The first of n texts that fits in w columns, or -1. */
static int first_fitting(const char *const *texts, int n, int w)
{
    for (int i = 0; i < n; i++)
        if (ui_text_width(texts[i]) <= w)
            return i;
    return -1;
}

#define HEADER_TITLE_MIN 12  /* columns the title keeps before the status is shortened */
#define HEADER_TITLE_KEEP 24 /* a file name shorter than this is kept whole */

/*
 * " arenascope  TITLE   event 54 of 125 ......... STATUS".  Each part has wordings from long to
 * short, and the width picks: the status (which names the key that acts on it) first, then the
 * position ("event 54 of 125" or "54/125"), and the title gives way: the whole path, its file
 * name, the file name abbreviated.
 */
static void paint_header(const struct ui_app *app, struct canvas *c, struct ui_rect r)
{
    canvas_fill(c, r, UI_G_SPACE, UI_S_HEADER);
    int x = r.x + 1;
    x += canvas_text(c, x, r.y, -1, UI_S_HEADER_VALUE, "arenascope");
    x += canvas_text(c, x, r.y, -1, UI_S_HEADER, "  ");

    uint64_t pos = app_position(app), count = app_event_count(app);
    char a[32], b[32], h[32], pos_long[96], pos_short[96], pos_history[3][160];
    if (pos == 0) {
        snprintf(pos_long, sizeof pos_long, "start (before event 0) of %s", fmt_count(b, count));
        snprintf(pos_short, sizeof pos_short, "start of %s", fmt_count(b, count));
    } else {
        snprintf(pos_long, sizeof pos_long, "event %s of %s", fmt_count(a, pos - 1), fmt_count(b, count));
        snprintf(pos_short, sizeof pos_short, "%s/%s", fmt_count(a, pos - 1), fmt_count(b, count));
    }
    /* a live trace that dropped its oldest events: how far back history goes */
    uint64_t kept_from = seeker_history_start(app->s);
    pos_history[0][0] = pos_history[1][0] = pos_history[2][0] = '\0';
    if (kept_from > 0 && kept_from <= count) {
        fmt_count(h, kept_from - 1); /* the current event at the first position kept */
        snprintf(pos_history[0], sizeof pos_history[0], "%s, history from event %s", pos_long, h);
        snprintf(pos_history[1], sizeof pos_history[1], "%s (history from %s)", pos_long, h);
        snprintf(pos_history[2], sizeof pos_history[2], "%s (from %s)", pos_short, h);
    }

    /* the status, in wordings from long to short */
    const char *status[16];
    int nstatus = 0;
    char buf[16][96];
    enum ui_style rs = UI_S_HEADER;
    if (app->cfg.live) {
        static const char *const history[] = {"(viewing history: G returns) ", "(history: G returns) ", "(G: back) "};
        bool viewing = !app->follow_edge &&
                       (app->live_state == UI_LIVE_RUNNING || app->live_state == UI_LIVE_WAITING);
        const char *const *words = NULL;
        int nwords = 0;
        static const char *const starting[] = {" LIVE starting "};
        static const char *const waiting[] = {" LIVE holding at a step: ] runs the next one ", " LIVE holding: ] runs the next step ",
                                              " LIVE holding: ] next step ", " LIVE: ] steps "};
        static const char *const running[] = {" LIVE running "};
        /* the workload writes faster than the view folds: the view is not at its newest event */
        static const char *const catching_up[] = {" LIVE running, the view catching up ", " LIVE catching up ",
                                                  " LIVE running "};
        /* folding every event cannot keep up: the view jumps to the edge through checkpoints */
        static const char *const skipping[] = {" LIVE running, the view jumps to the edge ", " LIVE jumping to the edge ",
                                               " LIVE jumping "};
        const struct trace_header *hd = seeker_header(app->s);
        bool program = hd && hd->program[0];
        static const char *const finished_workload[] = {" workload finished ", " finished "};
        static const char *const finished_program[] = {" program finished ", " finished "};
        static const char *const died_workload[] = {" the workload died: its trace stays ", " workload died ", " died "};
        static const char *const died_program[] = {" the program failed: its trace stays ", " program failed ", " failed "};
        const char *const *finished = program ? finished_program : finished_workload;
        const char *const *died = program ? died_program : died_workload;
        switch (app->live_state) {
        case UI_LIVE_STARTING: words = starting, nwords = 1, rs = UI_S_STATUS_LIVE; break;
        case UI_LIVE_WAITING: words = waiting, nwords = 4, rs = UI_S_STATUS_LIVE; break;
        case UI_LIVE_RUNNING:
            if (app->skipping && app->follow_edge)
                words = skipping, nwords = 3;
            else if (app->behind && app->follow_edge)
                words = catching_up, nwords = 3;
            else
                words = running, nwords = 1;
            rs = UI_S_STATUS_LIVE;
            break;
        case UI_LIVE_FINISHED: words = finished, nwords = 2; break;
        case UI_LIVE_DIED: words = died, nwords = 3, rs = UI_S_STATUS_WARN; break;
        }
        /* viewing history: each wording with each note, the widest first */
        for (int i = 0; i < nwords; i++) {
            if (!viewing) {
                status[nstatus++] = words[i];
                continue;
            }
            for (int j = 0; j < 3 && nstatus < 16; j++) {
                snprintf(buf[nstatus], sizeof buf[0], "%s%s", words[i], history[j]);
                status[nstatus] = buf[nstatus];
                for (int k = nstatus; k > 0 && ui_text_width(status[k]) > ui_text_width(status[k - 1]); k--) {
                    const char *t = status[k];
                    status[k] = status[k - 1];
                    status[k - 1] = t;
                }
                nstatus++;
            }
        }
    } else if (app->playing) {
        const char *glyph = app->ascii ? ">" : "\xe2\x96\xb6";
        snprintf(buf[0], sizeof buf[0], " %s playing %g ev/s ", glyph, app_speed(app));
        snprintf(buf[1], sizeof buf[1], " %s %g ev/s ", glyph, app_speed(app));
        status[nstatus++] = buf[0];
        status[nstatus++] = buf[1];
        rs = UI_S_STATUS_LIVE;
    } else {
        /* a side of the side-by-side viewer never plays: nothing to say */
        status[nstatus++] = app->cfg.half ? "" : " paused ";
    }

    /* the title's file name is kept whole when short, else HEADER_TITLE_MIN of it */
    const char *base = strrchr(app->title, '/');
    base = base && base[1] ? base + 1 : app->title;
    int keep = ui_text_width(base) < HEADER_TITLE_KEEP ? ui_text_width(base) : HEADER_TITLE_MIN;
    int room = r.x + r.w - x - 1; /* the title, the position and the status share it */
    /* the widest status beside the short position and the title kept (else the title gives
     * way); then the long position if it still fits */
    int si = first_fitting(status, nstatus, room - 3 - ui_text_width(pos_short) - 1 - keep);
    if (si < 0)
        si = first_fitting(status, nstatus, room - 3 - ui_text_width(pos_short) - 1);
    if (si < 0)
        si = nstatus - 1;
    int sw = ui_text_width(status[si]);
    const char *position = ui_text_width(pos_long) + 3 + 1 + sw + keep <= room ? pos_long : pos_short;
    /* how far back a live trace's history goes, beside the widest status that leaves room for it
     * (in its shortest wording the title gives way to it, down to a few letters) */
    bool placed = !pos_history[0][0];
    for (int j = 0; j < nstatus && !placed; j++) {
        for (int i = 0; i < 3 && !placed; i++) {
            int title = i < 2 || keep < 8 ? keep : 8;
            if (ui_text_width(status[j]) + ui_text_width(pos_history[i]) + 3 + 1 + title <= room) {
                si = j;
                sw = ui_text_width(status[si]);
                position = pos_history[i];
                placed = true;
            }
        }
    }
    int pw = ui_text_width(position);

    /* the title gets the rest: whole, its file name, or that abbreviated */
    int tw = room - 3 - pw - 1 - sw;
    if (ui_text_width(app->title) <= tw)
        x += canvas_text(c, x, r.y, tw, UI_S_HEADER, app->title);
    else if (ui_text_width(base) <= tw)
        x += canvas_text(c, x, r.y, tw, UI_S_HEADER, base);
    else if (tw >= 8)
        x += canvas_text_fit(c, x, r.y, tw, UI_S_HEADER, base);
    x += canvas_text(c, x, r.y, -1, UI_S_HEADER, "   ");
    canvas_text(c, x, r.y, -1, UI_S_HEADER_VALUE, position);
    text_right(c, r.x + r.w, r.y, rs, status[si]);
}

static bool match_step(void *ctx, const struct event *ev)
{
    (void)ctx;
    return ev->kind == EV_STEP;
}

/* The first step marker at or after `from` among the events, without reading again what an
 * earlier frame read: events come in at a live trace's end, and the position only grows while
 * the view follows it. */
static bool next_step_seq(struct ui_app *app, uint64_t from, uint64_t *found)
{
    uint64_t count = app_event_count(app);
    if (from >= count)
        return false;
    if (app->next_step.found != UINT64_MAX && app->next_step.from <= from && from <= app->next_step.found) {
        *found = app->next_step.found; /* nothing in between */
        return true;
    }
    uint64_t start = from;
    if (app->next_step.found == UINT64_MAX && app->next_step.from <= from && from <= app->next_step.to)
        start = app->next_step.to; /* [from, to) was read and had none */
    else
        app->next_step.from = from;
    if (start < count && seeker_scan(app->s, start, true, match_step, NULL, found) > 0) {
        app->next_step.found = *found;
        app->next_step.to = *found;
        return true;
    }
    app->next_step.found = UINT64_MAX;
    app->next_step.to = count > start ? count : start;
    return false;
}

/* The label of the first step marker at or after position pos, if any: from the timeline
 * summary, and for the events it does not cover yet (a live trace), from the events. */
static bool next_step_label(struct ui_app *app, uint64_t pos, char *buf, size_t len)
{
    const struct model_summary *sum = seeker_summary(app->s);
    if (sum) {
        size_t lo = 0, hi = sum->nmarks;
        while (lo < hi) {
            size_t mid = (lo + hi) / 2;
            if (sum->marks[mid].seq < pos)
                lo = mid + 1;
            else
                hi = mid;
        }
        for (size_t i = lo; i < sum->nmarks; i++)
            if (sum->marks[i].kind == MODEL_TL_STEP) {
                uint32_t k = sum->marks[i].arg;
                if (k < sum->nsteps && sum->step_labels[k]) {
                    snprintf(buf, len, "%s", sum->step_labels[k]);
                    return true;
                }
            }
    }
    uint64_t from = sum && sum->events > pos ? sum->events : pos, found;
    struct event ev;
    char text[256];
    if (next_step_seq(app, from, &found) && seeker_events(app->s, found, &ev, 1, text, sizeof text) == 1) {
        snprintf(buf, len, "%.*s", (int)ev.str_len, ev.str ? ev.str : "");
        return true;
    }
    return false;
}

/* The banner's preview of the next step shares the label's last row when this much is left. */
#define PREVIEW_MIN_W 28

int paint_banner_prepare(struct ui_app *app, int cols, int screen_rows)
{
    int max_rows = ui_layout_max_step_rows(screen_rows);
    struct ui_banner *b = &app->banner;
    const struct model *m = app_model(app);
    const struct model_summary *sum = seeker_summary(app->s);
    size_t total = sum ? sum->nsteps : 0;
    struct model_step st;
    bool have = model_step_current(m, &st);
    char next[256];
    bool have_next = next_step_label(app, app_position(app), next, sizeof next);
    ui_para_init(&b->label);
    ui_para_init(&b->next);
    b->next_below = false;
    b->narrating = !have && !have_next && total == 0;

    if (b->narrating) {
        /* no step markers: the banner narrates the current event instead; when the timeline is
         * on screen its log shows the whole sentence, so here it keeps to one row */
        app_load_current(app);
        if (app->have_cur) {
            char sentence[512];
            ui_narrate(m, &app->cur, sentence, sizeof sentence);
            snprintf(b->head, sizeof b->head, " %s  ", event_kind_name(app->cur.kind));
            ui_para_add(&b->label, UI_S_HEADER, sentence);
        } else {
            snprintf(b->head, sizeof b->head, " ");
            ui_para_add(&b->label, UI_S_HEADER, "the heap before the first event: ");
            ui_para_add_whole(&b->label, UI_S_HEADER, "press l to step through the events");
        }
        bool timeline_shown = app->zoomed == UI_PANE_NONE || app->zoomed == UI_PANE_TIMELINE;
        if (timeline_shown && app->have_cur)
            max_rows = 1;
    } else {
        if (have)
            snprintf(b->head, sizeof b->head, " Step %" PRIu64, st.number);
        else
            snprintf(b->head, sizeof b->head, " Before the first step");
        bool growing = app->cfg.live && app->live_state != UI_LIVE_FINISHED && app->live_state != UI_LIVE_DIED;
        if (have && total && !growing)
            snprintf(b->head + strlen(b->head), sizeof b->head - strlen(b->head), " of %zu", total);
        snprintf(b->head + strlen(b->head), sizeof b->head - strlen(b->head), "  ");
        if (app->code.syntax[0]) {
            ui_para_add(&b->label, UI_S_STEP, app->code.syntax);
            ui_para_add(&b->label, UI_S_STEP, ": the program did not compile");
        } else if (have && app->code.step_is_line && app->code.ran && app->code.raised) {
            /* what a teacher must see first: the line raised, and what */
            ui_para_addf(&b->label, UI_S_STEP, "line %" PRIu32 " of %s raised ", app->code.ran, app->code.base);
            ui_para_add(&b->label, UI_S_STEP, app->code.exception[0] ? app->code.exception : "an exception");
            if (strncmp(app->code.exception, "EOFError", 8) == 0)
                ui_para_add(&b->label, UI_S_STEP, " (its standard input is empty: --stdin FILE gives it one)");
            ui_para_add(&b->label, UI_S_STEP, ": the Output pane shows the traceback");
        } else if (have && app->code.shown && app->code.step_is_line && app->code.ran)
            /* the Code pane shows the line: the banner says which ran */
            ui_para_addf(&b->label, UI_S_STEP, "line %" PRIu32 " of %s ran", app->code.ran, app->code.base);
        else if (have)
            ui_para_addf(&b->label, UI_S_STEP, "%.*s", (int)st.label_len, st.label);
        /* before the first step, what comes next is all there is to read: it takes the label's
         * place and wraps as the label does */
        struct ui_para *preview = have ? &b->next : &b->label;
        enum ui_style ps = have ? UI_S_STEP_NEXT : UI_S_STEP;
        if (have_next) {
            ui_para_add_whole(preview, ps, "] next: ");
            ui_para_add(preview, ps, next);
        }
    }
    /* the label wraps under itself, right of the head.  The preview takes the rest of the
     * label's last row when it fits there whole; else the row below, on a screen tall enough to
     * spare it; else the rest of the row, abbreviated, when that is enough to read; else the row
     * below after all, or nothing when the banner has no row left (] still names the next step) */
    int lw = cols - ui_text_width(b->head) - 1, end = 0;
    int rows = ui_para_rows(&b->label, lw, 0, &end);
    if (rows < 1)
        rows = 1;
    if (rows > max_rows)
        rows = max_rows;
    b->label_rows = rows;
    if (b->next.len) {
        int room = lw - end - 2;
        bool spare = rows < max_rows;
        if (room >= ui_para_width(&b->next))
            b->next_below = false;
        else if (spare && screen_rows >= UI_MIN_ROWS + 6)
            b->next_below = true;
        else if (room >= PREVIEW_MIN_W)
            b->next_below = false;
        else if (spare)
            b->next_below = true;
        else
            ui_para_init(&b->next);
        rows += b->next_below;
    }
    return rows;
}

static void paint_step(const struct ui_app *app, struct canvas *c, struct ui_rect r)
{
    const struct ui_banner *b = &app->banner;
    enum ui_style bg = b->narrating ? UI_S_HEADER : UI_S_STEP;
    canvas_fill(c, r, UI_G_SPACE, bg);
    int x = r.x + canvas_text(c, r.x, r.y, -1, b->narrating ? UI_S_HEADER_VALUE : UI_S_STEP, b->head);
    int lw = r.x + r.w - 1 - x, end = 0;
    canvas_para(c, x, r.y, lw, 0, b->label_rows, &b->label, &end);
    if (!b->next.len)
        return;
    int ny = r.y + b->label_rows - 1, nx, nw;
    if (b->next_below) {
        ny++;
        nx = x;
        nw = lw;
    } else {
        nw = lw - end - 2;
        nx = r.x + r.w - 1 - nw;
    }
    int pw = ui_para_width(&b->next);
    if (pw < nw) {
        if (!b->next_below)
            nx += nw - pw;
        nw = pw;
    }
    /* the preview on its own ground, one blank wider on each side */
    canvas_fill(c, (struct ui_rect){nx - 1, ny, nw + 2, 1}, UI_G_SPACE, UI_S_STEP_NEXT);
    canvas_para(c, nx, ny, nw, 0, 1, &b->next, NULL);
}

/* ---- footer ------------------------------------------------------------------------------------ */

/* The first key an action's help names ("Space", "l"), as the footer shows it. */
static void footer_key(const struct ui_action_def *d, char kbuf[16])
{
    int klen = 0;
    while (d->keys[klen] && d->keys[klen] != ' ' && klen < 15) {
        kbuf[klen] = d->keys[klen];
        klen++;
    }
    kbuf[klen] = '\0';
}

static int footer_item_width(const struct ui_action_def *d)
{
    char kbuf[16];
    footer_key(d, kbuf);
    return (int)strlen(kbuf) + 2 + (int)strlen(d->footer) + 1;
}

static void footer_message(const struct ui_app *app, struct ui_para *out)
{
    ui_para_init(out);
    ui_para_add(out, app->msg_error ? UI_S_ERROR : UI_S_FOOTER, app->msg);
}

int paint_footer_rows(const struct ui_app *app, int cols)
{
    if (!app->msg[0] || (app->mode != UI_MODE_NORMAL && app->mode != UI_MODE_HELP && app->mode != UI_MODE_BREAK))
        return 1;
    struct ui_para msg;
    footer_message(app, &msg);
    return ui_para_rows(&msg, cols - 2, 0, NULL);
}

static void paint_footer(const struct ui_app *app, struct canvas *c, struct ui_rect r)
{
    canvas_fill(c, r, UI_G_SPACE, UI_S_FOOTER);
    int x = r.x;
    const char *prompt = NULL;
    switch (app->mode) {
    case UI_MODE_SEARCH:
        /* what may be searched for, when that leaves the field room */
        prompt = r.w >= 110 ? "Search (address, type, event kind or words): " : "Search: ";
        break;
    case UI_MODE_GOTO: {
        /* a real program's trace also has the end of its own code */
        const struct trace_header *h = seeker_header(app->s);
        prompt = h && h->program[0] && r.w >= 90 ? "Go to (event N, step:N, start, end, program-end): "
                                                 : "Go to (event N, step:N, start, end): ";
        break;
    }
    case UI_MODE_BREAK_KIND: prompt = "Break on event kind: "; break;
    case UI_MODE_BREAK_ADDR: prompt = "Break on address: "; break;
    case UI_MODE_BREAK_DEL: prompt = "Delete breakpoint number: "; break;
    case UI_MODE_NORMAL:
    case UI_MODE_HELP:
    case UI_MODE_BREAK:
        break;
    }
    if (prompt) {
        canvas_fill(c, r, UI_G_SPACE, UI_S_PROMPT);
        x += canvas_text(c, x, r.y, -1, UI_S_PROMPT, prompt);
        /* what is typed, its end in view when it is longer than the field */
        int field = r.x + r.w - x - 27; /* the cursor, a blank, and the keys on the right */
        const char *typed = app->prompt;
        int tw = ui_text_width(typed);
        if (tw > field && field > 1) {
            while (tw > field - 1) {
                typed++;
                while (((unsigned char)*typed & 0xC0) == 0x80)
                    typed++;
                tw--;
            }
            canvas_glyph(c, x++, r.y, UI_G_ELLIPSIS, UI_S_PROMPT);
        }
        x += canvas_text(c, x, r.y, field, UI_S_PROMPT, typed);
        canvas_put(c, x, r.y, '_', UI_S_PROMPT);
        text_right(c, r.x + r.w - 1, r.y, UI_S_PROMPT, "Enter accept  Esc cancel");
        return;
    }
    if (app->msg[0]) {
        struct ui_para msg;
        footer_message(app, &msg);
        canvas_para(c, x + 1, r.y, r.w - 2, 0, r.h, &msg, NULL);
        return;
    }
    /* every footer key in table order, keeping room for Help and Quit, which are always shown;
     * a side of the side-by-side viewer leaves out Space, which does not play there (compare.c) */
    int reserve = footer_item_width(ui_action_def(UI_ACT_HELP)) + footer_item_width(ui_action_def(UI_ACT_QUIT));
    for (int a = 1; a < UI_ACTION_COUNT; a++) {
        const struct ui_action_def *d = ui_action_def((enum ui_action)a);
        if (!d->footer || (app->cfg.half && a == UI_ACT_PLAY))
            continue;
        bool always = a == UI_ACT_HELP || a == UI_ACT_QUIT;
        int need = footer_item_width(d);
        if (x + need + (always ? 0 : reserve) > r.x + r.w)
            continue;
        char kbuf[16];
        footer_key(d, kbuf);
        canvas_put(c, x++, r.y, ' ', UI_S_FOOTER_KEY);
        x += canvas_text(c, x, r.y, -1, UI_S_FOOTER_KEY, kbuf);
        canvas_put(c, x++, r.y, ' ', UI_S_FOOTER_KEY);
        x += canvas_text(c, x, r.y, -1, UI_S_FOOTER, d->footer);
        x += canvas_text(c, x, r.y, -1, UI_S_FOOTER, " ");
        if (always)
            reserve -= need;
    }
}

/* ---- overlays ------------------------------------------------------------------------------------ */

static struct ui_rect centered(const struct canvas *c, int w, int h)
{
    if (w > c->cols - 2)
        w = c->cols - 2;
    if (h > c->rows - 2)
        h = c->rows - 2;
    return (struct ui_rect){(c->cols - w) / 2, (c->rows - h) / 2, w, h};
}

/* The help's legend: items left to right, a new row when the next does not fit; returns the rows
 * used. */
static int paint_legend_rows(struct canvas *c, int x, int y, int maxw, const struct ui_legend *items, size_t n)
{
    int col = 0, row = 0;
    for (size_t i = 0; i < n; i++) {
        int w = 2 + ui_text_width(items[i].text);
        if (col > 0 && col + w > maxw) {
            col = 0;
            row++;
        }
        canvas_glyph(c, x + col, y + row, items[i].g, items[i].s);
        canvas_text(c, x + col + 2, y + row, -1, UI_S_NORMAL, items[i].text);
        col += w + 2;
    }
    return row + 1;
}

/*
 * The help: every key of the table with what it does, the glyphs, the mouse.  Its content is
 * painted whole on a canvas of its own, then the rows that fit are copied into the frame, so it
 * scrolls without cutting anything.  Two columns when every description fits one row of a
 * column; else one column, each description wrapped beside its keys.
 */
#define HELP_KEYS_W 10 /* "L S-Right" and a blank */
#define HELP_MAX_ROWS 256

static const struct ui_legend pool_legend[] = {
    {UI_G_POOL_UNTOUCHED, UI_S_POOL_UNTOUCHED, "untouched"}, {UI_G_POOL_EMPTY, UI_S_POOL_EMPTY, "empty"},
    {UI_G_POOL_USED1, UI_S_POOL_USED1, "used <1/3"},         {UI_G_POOL_USED2, UI_S_POOL_USED2, "<2/3"},
    {UI_G_POOL_USED3, UI_S_POOL_USED3, "more"},              {UI_G_POOL_FULL, UI_S_POOL_FULL, "full"},
    {UI_G_SLIVER, UI_S_SLIVER, "alignment sliver"},          {UI_G_RELEASED, UI_S_RELEASED, "released"},
};
static const struct ui_legend block_legend[] = {
    {UI_G_BLOCK_ALLOC, UI_S_BLOCK_ALLOC, "allocated"},       {UI_G_BLOCK_FREE, UI_S_BLOCK_FREE, "on the free list"},
    {UI_G_BLOCK_VIRGIN, UI_S_BLOCK_VIRGIN, "virgin"},        {UI_G_BLOCK_NEXT, UI_S_BLOCK_NEXT, "next malloc"},
    {UI_G_BLOCK_TOOL, UI_S_BLOCK_TOOL, "arenascope's own"},
    {UI_G_MARK_STEP, UI_S_MARK_STEP, "step"},                {UI_G_MARK_GC, UI_S_MARK_GC, "collection"},
    {UI_G_MARK_ARENA_NEW, UI_S_MARK_ARENA_NEW, "arena new"}, {UI_G_MARK_ARENA_FREE, UI_S_MARK_ARENA_FREE, "freed"},
};

/* The help's legends, after the keys: a title each and its glyphs. */
static const struct {
    const char *title;
    const struct ui_legend *items;
    size_t n;
} help_legends[] = {
    {"Pools", pool_legend, sizeof pool_legend / sizeof pool_legend[0]},
    {"Blocks and the timeline", block_legend, sizeof block_legend / sizeof block_legend[0]},
};

static int help_content(struct canvas *c, int w, bool two, bool half)
{
    int nact = UI_ACTION_COUNT - 1;
    int per_col = two ? (nact + 1) / 2 : nact;
    int colw = two ? (w - 2) / 2 : w;
    int y = 0, col_y = 0;
    for (int i = 0; i < nact; i++) {
        const struct ui_action_def *d = ui_action_def((enum ui_action)(i + 1));
        if (i == per_col)
            col_y = y, y = 0; /* the second column starts at the top */
        int x = two && i >= per_col ? colw + 2 : 0;
        struct ui_para p;
        ui_para_init(&p);
        /* side by side, Space is refused (compare.c): the help says what moves instead */
        bool refused = half && i + 1 == UI_ACT_PLAY;
        ui_para_add(&p, refused ? UI_S_DIM : UI_S_NORMAL, refused ? "does not play side by side: ] [ l h move both" : d->help);
        canvas_text(c, x, y, HELP_KEYS_W, UI_S_VALUE, d->keys);
        y += canvas_para(c, x + HELP_KEYS_W, y, colw - HELP_KEYS_W, 0, -1, &p, NULL);
    }
    if (col_y > y)
        y = col_y;
    y++;
    for (size_t i = 0; i < sizeof help_legends / sizeof help_legends[0]; i++) {
        canvas_text(c, 0, y++, -1, UI_S_TITLE, help_legends[i].title);
        y += paint_legend_rows(c, 0, y, w, help_legends[i].items, help_legends[i].n);
    }
    struct ui_para mouse;
    ui_para_init(&mouse);
    ui_para_add(&mouse, UI_S_DIM, "Mouse: a click selects a pool, a block, an object, a name, a line of code or an event; the scrub bar jumps.");
    y += canvas_para(c, 0, y, w, 0, -1, &mouse, NULL);
    return y;
}

static void paint_help(const struct ui_app *app, struct ui_frame *f, struct canvas *c)
{
    /* two columns when every description fits a column's row */
    int bw = c->cols - 2 < 120 ? c->cols - 2 : 120;
    int desc_w = (bw - 4 - 2) / 2 - HELP_KEYS_W;
    bool two = true;
    for (int a = 1; a < UI_ACTION_COUNT; a++)
        if (ui_text_width(ui_action_def((enum ui_action)a)->help) > desc_w)
            two = false;
    if (!two)
        bw = c->cols - 2 < 84 ? c->cols - 2 : 84;
    int iw = bw - 4;

    struct canvas content;
    if (canvas_init(&content, iw, HELP_MAX_ROWS, c->ascii) < 0)
        return;
    int ch = help_content(&content, iw, two, app->cfg.half);
    /* a blank row above the content when all of it fits; else it scrolls */
    int room = c->rows - 2 - 2;
    bool fits = ch + 1 <= room;
    int shown = fits ? ch : room;
    int max = ch - shown, scroll = app->help.scroll > max ? max : app->help.scroll;
    if (scroll < 0)
        scroll = 0;
    f->help = (struct ui_settled){.set = true, .scroll = scroll};
    f->help_page = shown;
    f->help_max = max;

    struct ui_rect r = centered(c, bw, shown + 2 + fits);
    canvas_fill(c, (struct ui_rect){r.x - 1, r.y, r.w + 2, r.h}, UI_G_SPACE, UI_S_NORMAL);
    static const char *const scroll_titles[] = {
        "Keys: j/k or PgUp/PgDn scroll, any other key closes this help",
        "Keys: j/k PgUp/PgDn scroll, other keys close",
        "Keys: j/k scroll, other keys close",
    };
    const char *title = "Keys: any key closes this help";
    if (!fits) {
        title = scroll_titles[2];
        for (size_t i = 0; i < sizeof scroll_titles / sizeof scroll_titles[0]; i++)
            if (ui_text_width(scroll_titles[i]) <= r.w - 5) {
                title = scroll_titles[i];
                break;
            }
    }
    canvas_box(c, r, title, true);
    int top = r.y + 1 + fits;
    canvas_blit(c, r.x + 2, top, &content, (struct ui_rect){0, scroll, iw, shown});
    if (scroll > 0)
        canvas_glyph(c, r.x + r.w - 1, top, UI_G_ARROW_UP, UI_S_FRAME_FOCUS);
    if (scroll < max)
        canvas_glyph(c, r.x + r.w - 1, top + shown - 1, UI_G_ARROW_DOWN, UI_S_FRAME_FOCUS);
    canvas_release(&content);
}

static void paint_break_menu(const struct ui_app *app, struct canvas *c)
{
    int h = 12 + app->nbp;
    struct ui_rect r = centered(c, 64, h);
    canvas_fill(c, (struct ui_rect){r.x - 1, r.y, r.w + 2, r.h}, UI_G_SPACE, UI_S_NORMAL);
    canvas_box(c, r, "Breakpoints", true);
    int x = r.x + 2, y = r.y + 1;
    if (app->nbp == 0)
        canvas_text(c, x, y++, r.w - 4, UI_S_DIM, "none yet: playing and ] stop at the first one hit");
    for (int i = 0; i < app->nbp; i++) {
        char what[96];
        const struct ui_breakpoint *bp = &app->bp[i];
        switch (bp->type) {
        case UI_BP_KIND: snprintf(what, sizeof what, "every %s event", event_kind_name((enum event_kind)bp->value)); break;
        case UI_BP_ADDR: snprintf(what, sizeof what, "events naming 0x%" PRIx64, bp->value); break;
        case UI_BP_POOL_FULL:
            if (bp->value)
                snprintf(what, sizeof what, "pool 0x%" PRIx64 " becoming full", bp->value);
            else
                snprintf(what, sizeof what, "any pool becoming full");
            break;
        case UI_BP_GC: snprintf(what, sizeof what, "every collection"); break;
        case UI_BP_LINE: snprintf(what, sizeof what, "line %" PRIu64 " of %s, before it runs", bp->value, bp->file); break;
        }
        canvas_printf(c, x, y, 4, UI_S_VALUE, "%d", i + 1);
        canvas_glyph(c, x + 3, y, UI_G_MARK_BREAK, UI_S_ERROR);
        canvas_text_fit(c, x + 5, y++, r.w - 9, UI_S_NORMAL, what);
    }
    y++;
    static const char *const opts[][2] = {
        {"c", "break on every collection"},
        {"f", "break when the selected pool becomes full"},
        {"F", "break when any pool becomes full"},
        {"a", "break on the selected object, block or pool"},
        {"k", "break on an event kind (type its name)"},
        {"x", "break on an address (type it)"},
        {"d D", "delete one breakpoint (by number), or all"},
        {"Esc", "close"},
    };
    for (size_t i = 0; i < sizeof opts / sizeof opts[0] && y < r.y + r.h - 1; i++, y++) {
        canvas_text(c, x, y, 4, UI_S_VALUE, opts[i][0]);
        canvas_text_fit(c, x + 5, y, r.w - 9, UI_S_NORMAL, opts[i][1]);
    }
}

/* Paints an ASCII text centred on row y and the rows below, cut between words to the canvas's
 * width (a word longer than the width is cut); with paint false only counts.  Returns the rows
 * taken. */
static int centered_lines(struct canvas *c, int y, const char *text, enum ui_style style, bool paint)
{
    int rows = 0, w = c->cols;
    while (*text) {
        /* the longest run of whole words that fits, or w bytes of one long word */
        int len = 0, fit = 0;
        while (text[len]) {
            int end = len;
            while (text[end] && text[end] != ' ')
                end++;
            if (end > w)
                break;
            fit = end;
            len = end;
            if (text[len] == ' ')
                len++;
        }
        if (fit == 0)
            fit = (int)strlen(text) < w ? (int)strlen(text) : w;
        if (paint) {
            char line[256];
            snprintf(line, sizeof line, "%.*s", fit, text);
            int x = (w - fit) / 2;
            canvas_text(c, x > 0 ? x : 0, y + rows, w, style, line);
        }
        rows++;
        text += fit;
        while (*text == ' ')
            text++;
    }
    return rows;
}

static void paint_too_small(const struct ui_app *app, struct canvas *c)
{
    /* the whole message when it fits, else a short one; each line wrapped to the width */
    char size[64], need[64], small[96];
    snprintf(size, sizeof size, "this one is %d x %d", c->cols, c->rows);
    snprintf(need, sizeof need, "arenascope needs %d x %d", app->layout.need_cols, app->layout.need_rows);
    snprintf(small, sizeof small, "too small: %d x %d", c->cols, c->rows);
    const char *full[] = {"terminal too small", size, need, "", "enlarge the window, or press q to quit"};
    const char *brief[] = {small, need + strlen("arenascope "), "enlarge, or q quits"};
    static const enum ui_style full_style[] = {UI_S_ERROR, UI_S_NORMAL, UI_S_VALUE, UI_S_DIM, UI_S_DIM};
    static const enum ui_style brief_style[] = {UI_S_ERROR, UI_S_VALUE, UI_S_DIM};
    const char **lines = full;
    const enum ui_style *style = full_style;
    size_t n = sizeof full / sizeof full[0];
    int rows = 0;
    bool whole = true; /* no line of the full message is wrapped */
    for (size_t i = 0; i < n; i++) {
        int k = full[i][0] ? centered_lines(c, 0, full[i], style[i], false) : 1;
        whole = whole && k == 1;
        rows += k;
    }
    if (rows > c->rows || !whole) {
        lines = brief, style = brief_style, n = sizeof brief / sizeof brief[0];
        rows = 0;
        for (size_t i = 0; i < n; i++)
            rows += centered_lines(c, 0, lines[i], style[i], false);
    }
    int y = (c->rows - rows) / 2 > 0 ? (c->rows - rows) / 2 : 0;
    for (size_t i = 0; i < n && y < c->rows; i++)
        y += lines[i][0] ? centered_lines(c, y, lines[i], style[i], true) : 1;
}

/* ---- the screen --------------------------------------------------------------------------------- */

typedef void (*view_fn)(const struct ui_app *, struct ui_frame *, struct canvas *, struct ui_rect, bool);

void paint_screen(const struct ui_app *app, struct ui_frame *f, struct canvas *c)
{
    canvas_clear(c);
    const struct ui_layout *l = &app->layout;
    if (l->too_small) {
        paint_too_small(app, c);
        return;
    }
    paint_header(app, c, l->header);
    paint_step(app, c, l->step);

    static const view_fn views[UI_PANE_COUNT] = {
        [UI_PANE_ARENAS] = view_arenas,   [UI_PANE_POOL] = view_pool, [UI_PANE_CLASSES] = view_classes,
        [UI_PANE_OBJECTS] = view_objects, [UI_PANE_GC] = view_gc,     [UI_PANE_TIMELINE] = view_timeline,
        [UI_PANE_OUTPUT] = view_output,   [UI_PANE_CODE] = view_code,
    };
    /* a real program's objects are its names at each line */
    view_fn objects = app_has_code(app) ? view_names : view_objects;
    for (int p = 0; p < UI_PANE_COUNT; p++) {
        struct ui_rect r = l->pane[p];
        if (ui_rect_is_empty(r))
            continue;
        struct canvas_frame cf = canvas_enter(c, r);
        view_fn fn = p == UI_PANE_OBJECTS ? objects : views[p];
        fn(app, f, c, (struct ui_rect){0, 0, r.w, r.h}, (int)app->focus == p && app->zoomed == UI_PANE_NONE);
        canvas_leave(c, cf);
    }
    if (!l->wide && app->zoomed == UI_PANE_NONE) {
        /* one pane at a time above the timeline: say which others Tab reaches */
        for (int p = 0; p < UI_PANE_COUNT; p++) {
            struct ui_rect r = l->pane[p];
            if (ui_rect_is_empty(r) || p == UI_PANE_TIMELINE)
                continue;
            char tabs[96];
            enum ui_pane next = app_pane_after(app, (enum ui_pane)p, 1);
            snprintf(tabs, sizeof tabs, " Tab: %s ", next == UI_PANE_OBJECTS && app_has_code(app) ? "Names" : ui_pane_title(next));
            text_right(c, r.x + r.w - 2, r.y, UI_S_DIM, tabs);
        }
    }
    paint_footer(app, c, l->footer);
    if (app->mode == UI_MODE_HELP)
        paint_help(app, f, c);
    else if (app->mode == UI_MODE_BREAK)
        paint_break_menu(app, c);
}
