/*
 * app.h - the viewer's state, shared by the input handlers (app.c) and the painters (paint.c,
 * view_*.c).  Private to ui/.
 *
 * Everything a view shows comes from the model at the seeker's position; the app keeps only
 * what the user chose (focus, zoom, selections, scroll offsets, search, breakpoints, speed) and
 * a few things prepared for the position before painting (the current event, the sorted object
 * list, the step banner).  Painters take the app as const: painting is a function of (model,
 * choices, size) into a canvas and a struct ui_frame, which says what a click selects and where
 * each pane settled its scroll and selection for the size it had; the loop keeps those for the
 * keys that follow (ui_app_paint).
 */
#ifndef UI_APP_H
#define UI_APP_H

#include <tracer/model.h>
#include <ui/canvas.h>
#include <ui/keys.h>
#include <ui/layout.h>
#include <ui/ui.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define UI_MAX_HITS 512
#define UI_MAX_BREAKPOINTS 16
#define UI_FADE_EVENTS 400 /* events a released arena stays on the map, fading */

/* Regions of the screen that a click selects, recorded while painting. */
enum ui_hit_kind {
    UI_HIT_POOL_ROW,  /* a = arena slot, b = first pool index; cell width in w */
    UI_HIT_BLOCK_ROW, /* a = first block index; cell width in w */
    UI_HIT_CLASS,     /* a = size class */
    UI_HIT_OBJECT,    /* a = object address */
    UI_HIT_EVENT,     /* a = event seq */
    UI_HIT_SCRUB,     /* the scrub bar: positions 0 .. a over its width */
    UI_HIT_CODE_LINE, /* a = a line of the Code pane's file, from 1 */
    UI_HIT_CODE_RUN,  /* a = index into the Code pane's list of the steps a line ran at */
    UI_HIT_NAME,      /* a = index into the names of the line */
};

struct ui_hit {
    struct ui_rect r; /* absolute */
    enum ui_hit_kind kind;
    uint64_t a, b;
    int w;
};

/* A scroll offset and a selection a pane settled on while painting (set: it was painted). */
struct ui_settled {
    bool set;
    int scroll, sel;
};

/* What painting a frame gives besides its cells. */
struct ui_frame {
    struct ui_hit hits[UI_MAX_HITS]; /* the regions a click selects, in painting order */
    int nhits;
    /* the selection kept in view, the selection kept in range, for the pane's size */
    struct ui_settled arena, pool, classes, objects, gc, pins, code, names;
    int pool_per_row;                /* blocks per row of the pool's grid, 0 when not painted */
    struct ui_settled help;          /* scroll; and help_page, help_max */
    int help_page, help_max;
};

enum ui_mode {
    UI_MODE_NORMAL,
    UI_MODE_HELP,
    UI_MODE_SEARCH,     /* typing a search */
    UI_MODE_GOTO,       /* typing an event number */
    UI_MODE_BREAK,      /* the breakpoint menu */
    UI_MODE_BREAK_KIND, /* typing an event kind to break on */
    UI_MODE_BREAK_ADDR, /* typing an address to break on */
    UI_MODE_BREAK_DEL,  /* typing the number of a breakpoint to delete */
};

enum ui_bp_type {
    UI_BP_KIND,      /* value: enum event_kind */
    UI_BP_ADDR,      /* value: an address any field of the event names */
    UI_BP_POOL_FULL, /* value: a pool address, or 0 for any pool */
    UI_BP_GC,        /* any collection starting */
    UI_BP_LINE,      /* value: a line of the file `file` names; stops just before its step */
};

struct ui_breakpoint {
    enum ui_bp_type type;
    uint64_t value;
    char file[96]; /* UI_BP_LINE: the file's name as step labels write it ("slide.py") */
    uint64_t stack; /* UI_BP_LINE in a demo: the stack its steps at the line carry; 0 for a program */
};

enum ui_search_type {
    UI_SEARCH_NONE,
    UI_SEARCH_ADDR, /* events naming an address (or the block holding it) */
    UI_SEARCH_KIND, /* events of one kind */
    UI_SEARCH_TYPE, /* objects of a type created */
    UI_SEARCH_TEXT, /* step labels and printed text containing the words */
};

struct ui_search {
    enum ui_search_type type;
    char text[128];    /* what the user typed */
    uint64_t addr, block; /* UI_SEARCH_ADDR: the address and the start of its block, if known */
    int kind;          /* UI_SEARCH_KIND */
    uint32_t type_id;  /* UI_SEARCH_TYPE */
};

/* The hits of the search, counted once per query (and again when a live trace has grown), so
 * that a hit says "3 of 17": the first UI_SEARCH_HITS positions are kept to number a hit by. */
#define UI_SEARCH_HITS (1u << 20)
#define UI_SEARCH_COUNT_EVENTS 20000000u /* a longer trace is not counted: it would take seconds */
struct ui_hits {
    uint64_t *at;          /* seqs of the first hits, ascending */
    size_t n, cap;
    uint64_t total;        /* every hit */
    uint64_t counted_upto; /* the event count when counted; 0 not counted */
};

/* The step banner, prepared before the layout so that it gets the rows it needs (paint.c). */
struct ui_banner {
    char head[64];        /* " Step 2 of 9  ", or the current event's kind without markers */
    bool narrating;       /* no step markers: the banner narrates the current event */
    struct ui_para label; /* the step's label, or the event's sentence */
    struct ui_para next;  /* "] next: " and the next step's label; empty when not shown */
    int label_rows;       /* rows the label is painted in, at least 1 */
    bool next_below;      /* the preview takes its own row under the label */
};

/*
 * The Code pane's file at the current position (view_code.c prepares it before painting): the
 * file of the current line step (or of the program, before its first line), the line just run
 * and the line about to run, and the lines of the file that allocated in the current step.
 */
#define UI_CODE_ALLOCS 64
#define UI_CODE_RUNS 512
struct ui_code_alloc {
    uint32_t line;
    uint64_t blocks, bytes; /* pool blocks and raw allocations the line made in the step */
};
struct ui_code {
    uint64_t pos, count;    /* the position prepared for, and the events known then */
    bool have;              /* a source to show */
    char path[512];         /* the file, as the frames name it */
    const char *base;       /* its last component, inside path */
    const char *text;       /* its source (the seeker's, valid while it lives) */
    size_t len;
    uint32_t nlines;
    uint32_t ran, next;     /* the line just run and the line about to run in it; 0 none */
    bool step_is_line;      /* the current step is a line of the program's own code */
    struct ui_code_alloc allocs[UI_CODE_ALLOCS];
    size_t nallocs;
    bool partial;           /* the step had more events than were read for the tint */
    bool raised;            /* the step printed a traceback: the line just run raised */
    char exception[160];    /* its last line, "IndexError: list index out of range" */
    char syntax[256];       /* the program did not compile: "slide.py:3: SyntaxError: ..." */
    bool shown;             /* the layout gives the Code pane a place (set before the banner) */
};

/* A real program's names after the line just run: the snapshot that follows the next line
 * step's marker (view_names.c; the model's own is the one taken before the line ran). */
#define UI_NAMES_MAX 64
#define UI_NAMES_REFS 256
#define UI_NAMES_TEXT 16384
struct ui_name {
    uint64_t obj, size, refcnt;
    uint32_t type, flags;
    uint32_t gen; /* ev_snap_gen */
    const char *name, *repr; /* in ui_names.text */
    int name_len, repr_len;
};
struct ui_names {
    uint64_t pos, count;    /* the position prepared for, and the events known then */
    bool have;              /* a snapshot after the line just run was found */
    bool before;            /* none after it: these are the model's, taken before the line ran */
    uint32_t line;          /* the line just run (the names are after it) */
    struct ui_name names[UI_NAMES_MAX];
    size_t n;
    struct model_snap_ref refs[UI_NAMES_REFS];
    size_t nrefs;
    struct ui_name gone[UI_NAMES_MAX]; /* names bound before the line and not after it */
    size_t ngone;
    struct {
        uint32_t id;
        const char *name;   /* in text */
    } types[16];            /* types defined with the snapshot ahead, which the model has not seen */
    size_t ntypes;
    char text[UI_NAMES_TEXT];
    size_t text_len;
};

struct ui_app {
    struct seeker *s;
    struct model_geometry geo; /* the trace's, as its header sets it: the same at every position */
    struct ui_config cfg;
    char title[256];
    char live_msg[128];
    enum ui_live_state live_state;

    /* screen */
    struct ui_layout layout;
    struct ui_banner banner;
    enum ui_pane focus, zoomed;
    enum ui_mode mode;
    bool ascii;              /* glyphs in ASCII */
    struct ui_frame frame;   /* what the last frame painted (its click regions) */

    /* the current event (position - 1), as the seeker keeps it (seeker_current_event) */
    bool have_cur;
    struct event cur;
    /* the address of the latest event of the step that has a pool (for the panes to follow when
     * the current event has none), and the position it was looked up for */
    uint64_t recent_addr;
    uint64_t recent_pos;

    /* selections: `follow` means the selection tracks what the current event touched */
    struct {
        bool follow;
        uint32_t slot, index; /* the selected pool */
        int scroll;           /* first arena row shown */
    } arena;
    struct {
        int sel;     /* selected block index */
        int scroll;  /* first grid row shown */
        int per_row; /* blocks per grid row, as last painted (0: not yet) */
    } pool;
    struct {
        bool follow;
        uint32_t sel;
        int scroll;
    } classes;
    struct {
        bool follow;
        bool open;    /* the selected object's references are shown */
        uint64_t sel; /* selected object address, 0 none */
        int scroll;
        uint64_t *sorted; /* live objects by address, cached for sorted_pos */
        size_t nsorted, cap;
        uint64_t sorted_pos;
    } objects;
    struct {
        int scroll;
    } gc;
    struct ui_code code;
    struct {
        uint64_t scanned;   /* events looked at for a built-in workload's source */
        bool done;          /* a step marker or the source was found: no more looking */
        bool found;         /* the workload recorded its Python source (a demo's) */
    } workload_source;
    struct {
        uint32_t sel;       /* the selected line; 0: the line about to run */
        int scroll;         /* first line shown */
        bool listing;       /* the steps at which line `sel` ran are listed (Enter) */
        uint64_t runs[UI_CODE_RUNS]; /* their markers' events */
        uint64_t run_steps[UI_CODE_RUNS]; /* and their step numbers */
        size_t nruns;
        int run_sel, run_scroll;
    } code_ui;
    struct ui_names names;
    struct {
        int sel;            /* the selected name (index) */
        int scroll;
        bool open;          /* the selected name's references are drawn */
    } names_ui;
    struct {
        int scroll; /* lines back from the newest */
    } output;
    struct {
        bool open;          /* the Arenas or Pool pane lists who pins its arena or pool (w) */
        enum ui_pane pane;  /* which of the two */
        bool blocks;        /* one line's blocks are listed, not the lines */
        uint32_t frame;     /* that line */
        int sel, scroll;
    } pins;
    struct {
        int offset; /* selected log row relative to the current event */
    } log;
    struct {
        int scroll;    /* first row of the help shown */
        int page, max; /* rows shown, and the largest scroll, as last painted */
    } help;

    /* moving on its own */
    bool playing;
    bool stopped_before_line; /* the last breakpoint app_advance_to() stopped at was a line's */
    int speed;           /* index into the speed table */
    double last_tick_ms; /* < 0: not yet */
    double carry;        /* fraction of an event not yet played */
    bool follow_edge;    /* live: stay at the newest event */
    bool behind;         /* live: the last tick stopped short of the newest event */
    bool skipping;       /* live: the view jumps to the edge through checkpoints, not folding
                            every event, until a tick reaches the edge by folding */
    /* The banner's look for the next step marker past the summary, remembered so that a
     * growing live trace is read once, not from the position to its end at every frame: no
     * marker in [from, to); found: the first one at or after `to`'s scan, UINT64_MAX none. */
    struct {
        uint64_t from, to, found;
    } next_step;
    bool live_running;   /* live: the workload runs without holding at markers */
    int pace;            /* live: index into the pace table */

    int count;           /* a count typed before ] or [ (10]), 0 none */

    /* search and breakpoints */
    struct ui_search search;
    struct ui_hits hits;
    struct ui_breakpoint bp[UI_MAX_BREAKPOINTS];
    int nbp;

    /* the prompt being typed, and the status message */
    char prompt[128];
    size_t prompt_len;
    char msg[256];
    bool msg_error;
};

/* ---- loop.c ------------------------------------------------------------------------------ */

/* A monotonic clock, in milliseconds: the ticks' and the frames'. */
double ui_now_ms(void);

/* ---- app.c ------------------------------------------------------------------------------- */

const struct model *app_model(const struct ui_app *app);
uint64_t app_position(const struct ui_app *app);
uint64_t app_event_count(const struct ui_app *app);
/* Takes the current event from the seeker (app->cur, app->have_cur). */
void app_load_current(struct ui_app *app);
void app_message(struct ui_app *app, bool error, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Records a region a click selects (painters). */
void ui_frame_hit(struct ui_frame *f, struct ui_rect r, enum ui_hit_kind kind, uint64_t a, uint64_t b,
                  int w);
/* The scroll offset that keeps item sel (or nothing, -1) of n in a view of `visible` rows,
 * moving as little as possible from scroll. */
int app_scroll_to_show(int scroll, int sel, int n, int visible);
double app_speed(const struct ui_app *app);      /* events per second when playing */
double app_pace(const struct ui_app *app);       /* live: markers per second, 0 unlimited */
/* One step up or down the table of speeds (of paces), stopping at its ends. */
void app_speed_step(struct ui_app *app, int delta);
void app_pace_step(struct ui_app *app, int delta);

/* Moving (app.c).  Forward moves stop just after an event a breakpoint matches: true then. */
bool app_advance_to(struct ui_app *app, uint64_t target);
/* ] and [: to the end of the next (previous) step, see app.c; live: let the workload run. */
enum ui_redo app_next_step(struct ui_app *app);
enum ui_redo app_prev_step(struct ui_app *app);
/* } and {: just after the start of the next (previous) collection. */
enum ui_redo app_gc_jump(struct ui_app *app, bool forward);
/* Live: the newest position worth showing; whether the workload may still write. */
uint64_t app_live_edge(struct ui_app *app);
bool app_live_active(const struct ui_app *app);
/* Tells a live workload the line breakpoints (struct ui_live's hold_lines), after any change. */
void app_breakpoints_changed(struct ui_app *app);
void app_describe_breakpoint(const struct ui_breakpoint *bp, char *buf, size_t len);
/* Applies the "follow" selections to what the current event touched. */
void app_follow(struct ui_app *app);
/* True when an arena holds the slot (cheaper than model_arena_at, which also finds the arena's
 * place in usable_arenas). */
bool app_arena_is_live(const struct model *m, uint32_t slot);
/* The address of block `index` of pool p. */
uint64_t app_block_addr(const struct model *m, const struct model_pool *p, uint32_t index);
/* The size classes the classes view lists: those with pools, or every one when it is zoomed. */
size_t app_listed_classes(const struct ui_app *app, uint32_t *out, size_t max);
/* The live objects by address (cached for the position; app_objects() reads the cache, which
 * ui_app_paint() makes before painting). */
size_t app_sorted_objects(struct ui_app *app, const uint64_t **out);
size_t app_objects(const struct ui_app *app, const uint64_t **out);

/* ---- input_*.c: the parts of the input that input.c sends keys to ------------------------- */

/* Reads what / was given (input_search.c); n (forward) and N: to the next (previous) hit. */
void app_search_compile(struct ui_app *app, const char *text);
enum ui_redo app_search_go(struct ui_app *app, bool forward);
/* Moves the focused pane's selection dy rows and dx columns (input_select.c); the block
 * selection of the Pool pane by delta blocks, kept within its pool. */
enum ui_redo app_move_selection(struct ui_app *app, int dy, int dx);
void app_move_block(struct ui_app *app, int delta);
/* Opens a prompt in `mode` (input_prompt.c); a key at the prompt and in the breakpoint menu. */
void app_prompt_start(struct ui_app *app, enum ui_mode mode);
enum ui_redo app_prompt_key(struct ui_app *app, int key);
enum ui_redo app_break_menu_key(struct ui_app *app, int key);

/* ---- paint.c: the frame around the panes ------------------------------------------------- */

void paint_screen(const struct ui_app *app, struct ui_frame *f, struct canvas *c);
/* Prepares the step banner for a screen of cols x rows; returns the rows it asks for (the
 * layout's ui_layout_max_step_rows at most). */
int paint_banner_prepare(struct ui_app *app, int cols, int rows);
/* The rows the footer asks for on a screen `cols` wide: one, or a long message wrapped. */
int paint_footer_rows(const struct ui_app *app, int cols);
/* A key to a pane's glyphs: an item's glyph and what it stands for. */
struct ui_legend {
    enum ui_glyph g;
    enum ui_style s;
    const char *text;
};
/* The columns the n items of a legend take: each one's glyph, a blank, its text and a blank, and
 * `gap` more blank columns between items. */
int paint_legend_width(const struct ui_legend *items, size_t n, int gap);
/* Paints a legend on row y from x, as many items whole as end by column `right` (exclusive);
 * the column after it. */
int paint_legend(struct canvas *c, int x, int y, int right, const struct ui_legend *items, size_t n, int gap);
/* "0x7f3a1c2d4090", or its last `digits` hex digits after an ellipsis when digits > 0. */
const char *fmt_addr(char buf[24], uint64_t addr, int digits, bool ascii);
/* "1,234,567" */
const char *fmt_count(char buf[32], uint64_t n);

/* ---- the panes: each paints inside its frame (relative coordinates, origin at the frame) ---- */

void view_arenas(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus);
void view_pool(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus);
void view_classes(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus);
void view_objects(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus);
void view_gc(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus);
void view_output(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus);
void view_pins(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus);
/* The lines pinning the selected arena or pool (model_pins), and the blocks of app->pins.frame. */
size_t app_pins(const struct ui_app *app, struct model_pin *out, size_t max);
size_t app_pin_blocks(const struct ui_app *app, uint64_t *addrs, size_t max);
void view_code(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus);
/* A real program's names, painted in the Objects pane's place (view_names.c). */
void view_names(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus);
void view_timeline(const struct ui_app *app, struct ui_frame *f, struct canvas *c, struct ui_rect r, bool focus);

/* ---- view_code.c, view_names.c: a real program's source and names ---------------------------- */

/* True for a real program's trace with recorded sources: its names take the Objects pane. */
bool app_has_code(const struct ui_app *app);
/* True for a real program's trace, and for a built-in demo's that recorded its Python source
 * (as far as app_code_prepare has looked): the Code pane has a place. */
bool app_has_source(const struct ui_app *app);
/* The pane Tab reaches from p going delta (1 or -1): the Code pane only with a source. */
enum ui_pane app_pane_after(const struct ui_app *app, enum ui_pane p, int delta);
/* Prepares app->code (and app->names) for the position: painting reads them. */
void app_code_prepare(struct ui_app *app);
void app_names_prepare(struct ui_app *app);
/* The gc column of a name: g0, g1, g2, perm, "trk" (tracked, its generation not recorded), "unt"
 * (untracked) or "-" (a type the collector never tracks). */
const char *ui_name_gc_text(const struct ui_name *e);
/* The line number of a line step's label "file.py:12  source", with the file's name in
 * file[len]; 0 when the label is not a line's. */
uint32_t app_label_line(const char *label, size_t label_len, char *file, size_t len);
/* The markers of the line steps of `line` in the Code pane's file and their step numbers (up to
 * max); their count.  A demo's steps at the line are those whose stack is the line's. */
size_t app_code_runs(const struct ui_app *app, uint32_t line, uint64_t *seqs, uint64_t *steps, size_t max);
/* A demo's trace: the stack its steps at line `line` of the Code pane's file carry, read from the
 * trace's frame_def and stack_def; 0 for a program, and when no step runs that line. */
uint64_t app_code_line_stack(const struct ui_app *app, uint32_t line);
/* Live, when the program has ended: the end of the line step whose exception ended it (the
 * position that shows its traceback), or 0 when no line raised. */
uint64_t app_raised_step_end(struct ui_app *app);
/* The end of the step whose marker is at seq: where the next marker is, or the end. */
uint64_t app_step_end(const struct ui_app *app, uint64_t seq);

/* What the collector's mark says about an object, in fewer words when room is short. */
const char *view_gc_mark_text(int mark, int room);


#endif
