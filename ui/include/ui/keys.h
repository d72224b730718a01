/*
 * keys.h - every key binding of the viewer, in one table.
 *
 * UI_ACTIONS is the single source for what a key does, what the `?` help screen says about it
 * and what the footer shows: the dispatcher (app.c), the help screen, the footer and
 * `replay --help` are all generated from it, so they cannot disagree.  The bindings follow what
 * users already know from htop and less: q quits, ? helps, Space plays, / searches, Tab moves
 * between panes, Enter drills in and Esc comes back.
 *
 * Keys are Unicode code points for printable keys, 1..26 for Ctrl-A..Ctrl-Z, and the UI_KEY_*
 * values below for the others; the backend translates the terminal's codes into these.
 */
#ifndef UI_KEYS_H
#define UI_KEYS_H

#include <stdbool.h>
#include <stddef.h>

enum ui_key {
    UI_KEY_NONE = 0,
    UI_KEY_CTRL_C = 3,
    UI_KEY_TAB = 9,
    UI_KEY_ENTER = 13,
    UI_KEY_ESC = 27,
    UI_KEY_BACKSPACE = 127,
    UI_KEY_SPECIAL = 0x110000, /* above every code point */
    UI_KEY_UP,
    UI_KEY_DOWN,
    UI_KEY_LEFT,
    UI_KEY_RIGHT,
    UI_KEY_SHIFT_LEFT,
    UI_KEY_SHIFT_RIGHT,
    UI_KEY_HOME,
    UI_KEY_END,
    UI_KEY_PAGE_UP,
    UI_KEY_PAGE_DOWN,
    UI_KEY_BACKTAB,
    UI_KEY_DELETE,
    UI_KEY_F1,
};

/* clang-format off */
/*
 * X(ACTION, footer label or NULL, keys as the help shows them, what it does, key, key, key)
 * Unused key slots are 0.  The order is the order of the help screen and the footer.
 */
#define UI_ACTIONS(X)                                                                            \
    X(PLAY,       "Play",   "Space",      "play or pause (live: run or hold the workload)",         ' ', 0, 0) \
    X(NEXT,       "Step",   "l Right",    "next event",                                      'l', UI_KEY_RIGHT, 0) \
    X(PREV,       NULL,     "h Left",     "previous event",                                  'h', UI_KEY_LEFT, 0) \
    X(NEXT_STEP,  "Next",   "]",          "next step marker (live: run the next step); 10] ten", ']', 0, 0) \
    X(PREV_STEP,  NULL,     "[",          "previous step marker; 10[ ten back",                     '[', 0, 0) \
    X(NEXT_GC,    NULL,     "}",          "next collection",                                        '}', 0, 0) \
    X(PREV_GC,    NULL,     "{",          "previous collection",                                    '{', 0, 0) \
    X(FIRST,      NULL,     "g",          "first event; a real program's first line of its own code",  'g', 0, 0) \
    X(START,      NULL,     "Home",       "first event, before a real program's start-up too",      UI_KEY_HOME, 0, 0) \
    X(LAST,       NULL,     "G End",      "last event (live: follow the workload)",         'G', UI_KEY_END, 0) \
    X(GOTO,       NULL,     ":",          "go to an event number, step:N, start, end, program-end", ':', 0, 0) \
    X(FASTER,     NULL,     "+",          "play faster",                                            '+', '=', 0) \
    X(SLOWER,     NULL,     "-",          "play slower",                                            '-', '_', 0) \
    X(SEARCH,     "Search", "/",          "search: address, type, event kind, words",    '/', 0, 0) \
    X(NEXT_HIT,   NULL,     "n",          "next search hit",                                        'n', 0, 0) \
    X(PREV_HIT,   NULL,     "N",          "previous search hit",                                    'N', 0, 0) \
    X(BREAK,      "Break",  "b",          "breakpoints: kind, address, full pool, GC; in Code, the line", 'b', 0, 0) \
    X(UP,         NULL,     "k Up",       "move the selection up",                           'k', UI_KEY_UP, 0) \
    X(DOWN,       NULL,     "j Down",     "move the selection down",                         'j', UI_KEY_DOWN, 0) \
    X(SEL_LEFT,   NULL,     "H S-Left",   "move the selection left (pools, blocks)",         'H', UI_KEY_SHIFT_LEFT, 0) \
    X(SEL_RIGHT,  NULL,     "L S-Right",  "move the selection right (pools, blocks)",        'L', UI_KEY_SHIFT_RIGHT, 0) \
    X(PAGE_UP,    NULL,     "PgUp",       "scroll the pane up a page",                              UI_KEY_PAGE_UP, 0, 0) \
    X(PAGE_DOWN,  NULL,     "PgDn",       "scroll the pane down a page",                            UI_KEY_PAGE_DOWN, 0, 0) \
    X(NEXT_PANE,  "Pane",   "Tab",        "next pane",                                              UI_KEY_TAB, 0, 0) \
    X(PREV_PANE,  NULL,     "S-Tab",      "previous pane",                                          UI_KEY_BACKTAB, 0, 0) \
    X(ENTER,      "Open",   "Enter",      "open: a pool's blocks, an object's refs, a line's steps", UI_KEY_ENTER, '\n', 0) \
    X(PINS,       NULL,     "w",          "who pins the arena or pool: its blocks by the line that made them", 'w', 0, 0) \
    X(CODE,       NULL,     "c",          "the Code pane: a program's or a demo's source, by line", 'c', 0, 0) \
    X(POOL_JUMP,  NULL,     "p",          "the selected name's block in the Pool pane",             'p', 0, 0) \
    X(BACK,       NULL,     "Esc",        "back: out of a detail, a prompt, a zoom",            UI_KEY_ESC, 0, 0) \
    X(ZOOM,       "Zoom",   "z",          "zoom the pane to the whole screen",             'z', 0, 0) \
    X(HELP,       "Help",   "?",          "this help",                                              '?', UI_KEY_F1, 0) \
    X(QUIT,       "Quit",   "q",          "quit",                                                   'q', UI_KEY_CTRL_C, 0)
/* clang-format on */

enum ui_action {
    UI_ACT_NONE,
#define X(name, footer, keys, help, k1, k2, k3) UI_ACT_##name,
    UI_ACTIONS(X)
#undef X
        UI_ACTION_COUNT
};

struct ui_action_def {
    const char *name;   /* "next_step" */
    const char *footer; /* footer label, or NULL when the footer leaves it out */
    const char *keys;   /* how the help screen writes the keys */
    const char *help;   /* what it does */
    int key[3];         /* bound keys; 0 for an unused slot */
};

/* The action bound to a key, or UI_ACT_NONE. */
enum ui_action ui_action_for_key(int key);
/* The definition of an action (1 .. UI_ACTION_COUNT - 1). */
const struct ui_action_def *ui_action_def(enum ui_action a);
/* A short name for a key ("Space", "Tab", "x"), for footers and messages. */
const char *ui_key_name(int key, char buf[16]);

/* Keys as a command line writes them (`screenshot --keys`): each character is its key, and
 * <NAME> the key ui_key_name calls NAME (<Enter>, <PgDn>, <S-Tab>, <Space>, <Ctrl-C>; <lt> for
 * '<').  Writes at most max keys; returns how many, or -1 with a one-line reason in err. */
int ui_keys_parse(const char *text, int *keys, size_t max, char *err, size_t errlen);

#endif
