/*
 * backend_curses.c - the one file that talks to ncurses: it shows canvases and reads keys.
 *
 * Everything above this file works on canvases and `struct ui_input`; here a canvas becomes
 * curses cells (a colour pair per style, made once at start), and curses' key codes become
 * keys.h's.  Curses keeps its own copy of the screen and sends only what changed, so present()
 * writes the whole canvas and lets doupdate() find the difference: one flush per frame.
 *
 * Terminal hygiene is described in term.h.  Its pieces here: handlers for SIGINT, SIGTERM and
 * SIGHUP installed *before* curses starts (so curses keeps its own off them) that only set a
 * flag; crash handlers (SIGQUIT's too) that write a reset string prepared in advance, restore the saved
 * termios and re-raise; an atexit hook for an exit() that skips ui_term_curses_close().
 */
#include <ui/keys.h>
#include <ui/term.h>

#include <curses.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <termios.h>
#include <unistd.h>

/* One terminal at a time: signal handlers need to find it. */
static struct backend {
    SCREEN *screen;
    FILE *in, *out;       /* the streams curses uses (the tty when stdio is redirected) */
    bool own_streams;     /* in/out were opened here */
    int fd;               /* the terminal's descriptor, for the crash handler */
    struct termios saved; /* the modes before curses changed them */
    bool have_saved;
    char reset[256];      /* what the crash handler writes: leave the alternate screen, etc. */
    size_t reset_len;
    bool color;
    short pair[UI_STYLE_COUNT]; /* colour pair per style; 0 when monochrome */
    bool open;
} be;

static volatile sig_atomic_t quit_requested; /* the quit signal received, 0 none */
static volatile sig_atomic_t in_crash;

/* SIGQUIT (Ctrl-\) keeps its meaning, an end with a core dump, but not with the terminal's modes */
static const int crash_signals[] = {SIGSEGV, SIGBUS, SIGFPE, SIGILL, SIGABRT, SIGQUIT};
static const int quit_signals[] = {SIGINT, SIGTERM, SIGHUP};

static void on_quit_signal(int sig)
{
    quit_requested = sig;
}

static void on_crash_signal(int sig)
{
    if (!in_crash) {
        in_crash = 1;
        if (be.reset_len && write(be.fd, be.reset, be.reset_len) < 0) {
            /* nothing more can be done from a signal handler */
        }
        if (be.have_saved)
            tcsetattr(be.fd, TCSANOW, &be.saved);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

static void at_exit_restore(void)
{
    if (be.open) {
        endwin();
        be.open = false;
    }
}

/* Appends a terminfo capability to the crash reset string. */
static void reset_add_cap(const char *cap)
{
    char *s = tigetstr(cap);
    if (!s || s == (char *)-1)
        return;
    size_t n = strlen(s);
    if (be.reset_len + n < sizeof be.reset) {
        memcpy(be.reset + be.reset_len, s, n);
        be.reset_len += n;
    }
}

static void reset_add(const char *s)
{
    size_t n = strlen(s);
    if (be.reset_len + n < sizeof be.reset) {
        memcpy(be.reset + be.reset_len, s, n);
        be.reset_len += n;
    }
}

/* The nearest colour a terminal with `ncolors` colours has to 0xRRGGBB. */
static short colour_index(uint32_t rgb, int ncolors)
{
    if (rgb == UI_DEFAULT)
        return -1;
    int r = (int)(rgb >> 16) & 0xff, g = (int)(rgb >> 8) & 0xff, b = (int)rgb & 0xff;
    if (ncolors >= 256) {
        static const int level[6] = {0, 95, 135, 175, 215, 255};
        int idx[3], comp[3] = {r, g, b};
        for (int i = 0; i < 3; i++) {
            int best = 0;
            for (int k = 1; k < 6; k++)
                if (abs(level[k] - comp[i]) < abs(level[best] - comp[i]))
                    best = k;
            idx[i] = best;
        }
        int cube = 16 + 36 * idx[0] + 6 * idx[1] + idx[2];
        int cr = level[idx[0]], cg = level[idx[1]], cb = level[idx[2]];
        int cube_d = (cr - r) * (cr - r) + (cg - g) * (cg - g) + (cb - b) * (cb - b);
        int grey_i = (r + g + b) / 3 < 8 ? 0 : ((r + g + b) / 3 - 8) / 10;
        if (grey_i > 23)
            grey_i = 23;
        int gv = 8 + 10 * grey_i;
        int grey_d = (gv - r) * (gv - r) + (gv - g) * (gv - g) + (gv - b) * (gv - b);
        return (short)(grey_d < cube_d ? 232 + grey_i : cube);
    }
    /* the eight ANSI colours (and their bright halves when there are 16) */
    static const uint32_t ansi[16] = {0x000000, 0xcd0000, 0x00cd00, 0xcdcd00, 0x0000ee, 0xcd00cd,
                                      0x00cdcd, 0xe5e5e5, 0x7f7f7f, 0xff0000, 0x00ff00, 0xffff00,
                                      0x5c5cff, 0xff00ff, 0x00ffff, 0xffffff};
    int n = ncolors >= 16 ? 16 : 8;
    int best = 0;
    long best_d = -1;
    for (int i = 0; i < n; i++) {
        int ar = (int)(ansi[i] >> 16) & 0xff, ag = (int)(ansi[i] >> 8) & 0xff, ab = (int)ansi[i] & 0xff;
        long d = (long)(ar - r) * (ar - r) + (long)(ag - g) * (ag - g) + (long)(ab - b) * (ab - b);
        if (best_d < 0 || d < best_d) {
            best_d = d;
            best = i;
        }
    }
    return (short)best;
}

static void setup_colours(void)
{
    be.color = false;
    memset(be.pair, 0, sizeof be.pair);
    if (!has_colors() || start_color() == ERR || COLORS < 8)
        return;
    use_default_colors();
    for (int s = 0; s < UI_STYLE_COUNT; s++) {
        const struct ui_style_def *d = ui_style_def((enum ui_style)s);
        if (s + 1 >= COLOR_PAIRS)
            break;
        short fg = colour_index(d->fg, COLORS), bg = colour_index(d->bg, COLORS);
        if (init_pair((short)(s + 1), fg, bg) != ERR)
            be.pair[s] = (short)(s + 1);
    }
    be.color = true;
}

static attr_t curses_attr(unsigned a)
{
    attr_t r = A_NORMAL;
    if (a & UI_A_BOLD)
        r |= A_BOLD;
    if (a & UI_A_DIM)
        r |= A_DIM;
    if (a & UI_A_REVERSE)
        r |= A_REVERSE;
    if (a & UI_A_UNDERLINE)
        r |= A_UNDERLINE;
    return r;
}

static void term_size(void *ctx, int *cols, int *rows)
{
    (void)ctx;
    int y, x;
    getmaxyx(stdscr, y, x);
    *cols = x;
    *rows = y;
}

static void term_present(void *ctx, const struct canvas *c)
{
    (void)ctx;
    int rows, cols;
    getmaxyx(stdscr, rows, cols);
    for (int y = 0; y < rows && y < c->rows; y++)
        for (int x = 0; x < cols && x < c->cols; x++) {
            const struct ui_cell *cell = canvas_cell(c, x, y);
            const struct ui_style_def *d = ui_style_def(cell->style);
            unsigned a = (be.color ? d->attr : d->mono) | cell->attr;
            wchar_t wch[2] = {(wchar_t)cell->ch, 0};
            cchar_t cc;
            setcchar(&cc, wch, curses_attr(a), be.color ? be.pair[cell->style] : 0, NULL);
            mvwadd_wch(stdscr, y, x, &cc); /* the bottom-right cell reports ERR but is drawn */
        }
    wnoutrefresh(stdscr);
    doupdate();
}

static int translate_key(int code)
{
    switch (code) {
    case KEY_UP: return UI_KEY_UP;
    case KEY_DOWN: return UI_KEY_DOWN;
    case KEY_LEFT: return UI_KEY_LEFT;
    case KEY_RIGHT: return UI_KEY_RIGHT;
    case KEY_SLEFT: return UI_KEY_SHIFT_LEFT;
    case KEY_SRIGHT: return UI_KEY_SHIFT_RIGHT;
    case KEY_HOME: return UI_KEY_HOME;
    case KEY_END: return UI_KEY_END;
    case KEY_PPAGE: return UI_KEY_PAGE_UP;
    case KEY_NPAGE: return UI_KEY_PAGE_DOWN;
    case KEY_BTAB: return UI_KEY_BACKTAB;
    case KEY_DC: return UI_KEY_DELETE;
    case KEY_BACKSPACE: return UI_KEY_BACKSPACE;
    case KEY_ENTER: return UI_KEY_ENTER;
    case KEY_F(1): return UI_KEY_F1;
    default: return UI_KEY_NONE;
    }
}

static struct ui_input term_read(void *ctx, int timeout_ms)
{
    (void)ctx;
    struct ui_input in = {UI_IN_NONE, 0, 0, 0};
    if (quit_requested) {
        in.kind = UI_IN_QUIT;
        in.key = quit_requested;
        return in;
    }
    wtimeout(stdscr, timeout_ms);
    wint_t wch;
    int r = wget_wch(stdscr, &wch);
    if (quit_requested) {
        in.kind = UI_IN_QUIT;
        in.key = quit_requested;
        return in;
    }
    if (r == ERR)
        return in;
    if (r == KEY_CODE_YES) {
        if (wch == KEY_RESIZE) {
            in.kind = UI_IN_RESIZE;
            return in;
        }
        if (wch == KEY_MOUSE) {
            MEVENT me;
            if (getmouse(&me) != OK)
                return in;
            in.x = me.x;
            in.y = me.y;
            if (me.bstate & (BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON1_RELEASED)) {
                in.kind = UI_IN_MOUSE;
            } else if (me.bstate & BUTTON4_PRESSED) {
                in.kind = UI_IN_WHEEL;
                in.key = -1;
            } else if (me.bstate & BUTTON5_PRESSED) {
                in.kind = UI_IN_WHEEL;
                in.key = 1;
            }
            return in;
        }
        in.key = translate_key((int)wch);
        in.kind = in.key ? UI_IN_KEY : UI_IN_NONE;
        return in;
    }
    in.kind = UI_IN_KEY;
    in.key = (int)wch;
    if (in.key == '\r' || in.key == '\n')
        in.key = UI_KEY_ENTER;
    else if (in.key == 8)
        in.key = UI_KEY_BACKSPACE;
    return in;
}

static void install_handlers(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_quit_signal;
    for (size_t i = 0; i < sizeof quit_signals / sizeof quit_signals[0]; i++)
        sigaction(quit_signals[i], &sa, NULL);
    sa.sa_handler = on_crash_signal;
    sa.sa_flags = SA_RESETHAND | SA_NODEFER;
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
        sigaction(crash_signals[i], &sa, NULL);
}

static void remove_handlers(void)
{
    for (size_t i = 0; i < sizeof quit_signals / sizeof quit_signals[0]; i++)
        signal(quit_signals[i], SIG_DFL);
    for (size_t i = 0; i < sizeof crash_signals / sizeof crash_signals[0]; i++)
        signal(crash_signals[i], SIG_DFL);
}

int ui_term_curses_open(struct ui_term *out, const struct ui_look *look, char *err, size_t errlen)
{
    static bool atexit_done;
    memset(out, 0, sizeof *out);
    if (be.open) {
        snprintf(err, errlen, "a terminal is already open");
        return -1;
    }
    memset(&be, 0, sizeof be);
    quit_requested = 0;
    be.in = stdin;
    be.out = stdout;
    if (!isatty(fileno(stdin)) || !isatty(fileno(stdout))) {
        be.in = fopen("/dev/tty", "r");
        be.out = be.in ? fopen("/dev/tty", "w") : NULL;
        if (!be.out) {
            if (be.in)
                fclose(be.in);
            snprintf(err, errlen, "no terminal to draw on (the screenshot command renders without one)");
            return -1;
        }
        be.own_streams = true;
    }
    be.fd = fileno(be.out);
    be.have_saved = tcgetattr(be.fd, &be.saved) == 0;

    install_handlers();
    const char *term = getenv("TERM");
    be.screen = newterm(term && *term ? NULL : "dumb", be.out, be.in);
    if (!be.screen) {
        remove_handlers();
        if (be.own_streams) {
            fclose(be.in);
            fclose(be.out);
        }
        snprintf(err, errlen, "cannot use the terminal (TERM=%s)", term ? term : "");
        return -1;
    }
    set_term(be.screen);
    be.open = true;
    if (!atexit_done) {
        atexit(at_exit_restore);
        atexit_done = true;
    }
    cbreak();
    noecho();
    nonl();
    intrflush(stdscr, FALSE);
    keypad(stdscr, TRUE);
    set_escdelay(25);
    curs_set(0);
    leaveok(stdscr, TRUE);
    if (look->color)
        setup_colours();
    if (look->mouse) {
        mousemask(BUTTON1_PRESSED | BUTTON1_CLICKED | BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
        mouseinterval(0);
    }

    reset_add_cap("sgr0");
    reset_add_cap("cnorm");
    reset_add_cap("rmkx");
    reset_add_cap("rmcup");
    if (look->mouse)
        reset_add("\033[?1000l\033[?1002l\033[?1006l");

    out->ctx = &be;
    out->size = term_size;
    out->read = term_read;
    out->present = term_present;
    out->ascii = look->ascii;
    return 0;
}

void ui_term_curses_close(struct ui_term *t)
{
    if (!be.open)
        return;
    endwin();
    delscreen(be.screen);
    be.screen = NULL;
    be.open = false;
    if (be.own_streams) {
        fclose(be.in);
        fclose(be.out);
    }
    remove_handlers();
    memset(t, 0, sizeof *t);
}
