/*
 * commands.c - every subcommand's options and help, in one table.
 *
 * A command is its name, its positional arguments, a line for `arenascope --help`, the
 * paragraphs its --help prints after the usage line, and its options, each with its line of
 * help; cli.c parses argv against this and prints the help from it, and the command's own file
 * (src/cmd_NAME.c) holds only cmd_NAME_run().  Options and texts that several commands share are
 * written once, as the macros below.
 */
#include "commands.h"

#include <stddef.h>
#include <string.h>

/* ---- what several commands share ------------------------------------------------------------ */

#define VIEW_LOOK_OPTS                                                                           \
    {"no-color", 0, NULL, "monochrome: glyphs alone tell the states apart (also NO_COLOR=1)"},  \
    {"ascii", 0, NULL, "draw with ASCII characters only"}

#define VIEW_KEYS_DESCRIPTION                                                                    \
    "Keys: Space plays, l/h (or the arrows) step an event, ]/[ a step marker, }/{ a collection,\n" \
    "g/G go to the first/last event, : to an event number, / searches, b sets breakpoints,\n"    \
    "Tab moves between panes, Enter opens a pool or an object, z zooms, ? shows every key, q quits.\n"

/* What the side-by-side viewer does, for diff --view and live --compare. */
#define COMPARE_KEYS_DESCRIPTION                                                                 \
    "The keys go to both sides: ] and [ move both to the end of the same step; l/h (the arrows)\n"  \
    "move both by an event, a side at the end of its step waiting there for the other, so that\n"  \
    "both stay in the same step and the same script moves event by event in lockstep.  Steps\n"    \
    "pair by number, but a real program's line steps pair by their lines: the two sequences of\n"   \
    "lines run are aligned as diff aligns two files' lines (the most lines both run, in the same\n" \
    "order, pair up; a loop's lines each time round), so that ] stops both on the same line\n"    \
    "even where the versions trace differently (3.10+ runs a with\n"                              \
    "statement's line again on its exit, 3.8 a condition continued over lines twice).  A line\n"   \
    "step one side has alone is passed over by ], its events counted with the next line's, and\n" \
    "the status line names it.  What differs is marked with an unequal sign (! in ASCII): the\n"   \
    "figures in the row under both (arenas, pools used/full/empty, bytes in blocks and raw,\n"    \
    "objects), the panes whose figures differ (\"differs\" in their frame), the arena rows whose\n" \
    "pools differ from the other side's row at the same place, a program's lines of code that\n"   \
    "allocated otherwise in the step, and its names bound to objects of another size or count\n"  \
    "of references.  The status line at the bottom names the first event where the step ahead\n"  \
    "differs, compared as 'diff' compares (addresses by the order they are named, from the\n"     \
    "step's start).  Space does not play here.\n"

/* The recording options of the commands that run workloads (demo, live, record; placements
 * takes the profile). */
#define PROFILE_OPT                                                                              \
    {"profile", 'p', "P", "the allocator profile: cpython-3.10 (the default), cpython-3.9, cpython-3.8,\n" \
                          "classic or custom:KEY=VALUE,...; a Python program runs with its version's"}
#define ARENA_SOURCE_OPT                                                                         \
    {"arena-source", 0, "S", "where arenas come from: mmap (as CPython, the default) or aligned"}
#define GC_PROFILE_OPT                                                                           \
    {"gc-profile", 0, "G", "the cycle collector's profile: cpython-3.8 (the default), cpython-3.13, legacy, or\n" \
                           "cpython-3.14 (3.14.0-3.14.4 only: young and old, the old in increments; 3.14.5+\n"  \
                           "went back to cpython-3.13); NAME:T0,T1,... sets thresholds"}
#define STACKS_OPT                                                                               \
    {"stacks", 0, "S", "call stacks of every allocation: for a workload, c (its C stack) or none (the\n" \
                       "default); for a Python program, python (the default), c, both or none"}
#define STACK_DEPTH_OPT                                                                          \
    {"stack-depth", 0, "N", "frames kept per call stack, at most 64 (default: 24 for a workload, 16 for a\n" \
                            "Python program; with --stacks both, N Python frames and 8 C frames); for a\n"   \
                            "workload it implies --stacks c"}

/* The options of a program's line steps, shared by record and live. */
#define PROGRAM_LINE_OPTS                                                                        \
    {"step-lines", 0, "ON", "a Python program: each line of its own files a step marker: on (the default\n" \
                            "for a script) or off (the default for -m and -c)"},                   \
    {"step-files", 0, "GLOB", "a Python program: the files whose lines are steps (fnmatch on absolute\n"  \
                              "paths; default: the script's directory, not the library)"}

/* What --help says of programs, shared by the commands that run them. */
#define PROGRAM_DESCRIPTION                                                                      \
    "A Python program runs in a real interpreter whose object allocator (the OBJ and MEM\n"        \
    "domains of PEP 445) is arenascope's instrumented obmalloc, with the profile of its version\n" \
    "(3.8: cpython-3.8, 3.9: cpython-3.9, 3.10 to 3.13: cpython-3.10).  A library preloaded\n"     \
    "into the interpreter installs it before the first allocation.  Processes the program\n"        \
    "starts run plain (a Python subprocess is not recorded); a child it forks stops recording\n"   \
    "and says so; exec is not followed.  Its output is recorded with it.  PYTHONMALLOC and\n"      \
    "PYTHONDEVMODE are removed from its environment: they would replace the allocator.\n"

/* ---- demo ----------------------------------------------------------------------------------- */

static const struct cli_opt demo_opts[] = {
    {"list", 'l', NULL, "print the demos, one a line, name first, and exit"},
    {"source", 0, NULL, "print the demo's Python source (shipped in the program) and exit"},
    {"real", 0, NULL, "run that source on the real interpreter (python3, or PYTHON after --)"},
    {"record", 'r', "FILE", "keep the demo's trace in FILE"},
    {"run", 0, NULL, "run through the steps instead of holding at each one"},
    {"pace", 0, "N", "with --run, N steps a second (default 1)"},
    PROFILE_OPT,
    ARENA_SOURCE_OPT,
    GC_PROFILE_OPT,
    {"stacks", 0, NULL, "record the call stack of every allocation (shown with each object)"},
    VIEW_LOOK_OPTS,
    {0},
};

const struct cli_cmd cmd_demo = {
    .name = "demo",
    .args = "[NAME] [--real [-- PYTHON [ARGS...]]]",
    .summary = "step through a built-in demo of CPython's memory manager (a menu without NAME)",
    .description = "The demo runs live and holds at each step: ] runs the next step, l/h move event by event,\n"
                   "Tab moves between the panes, ? shows every key, q quits.\n"
                   "\n"
                   "Every demo mirrors a Python source that runs unchanged in python3 and is shown in the\n"
                   "Code pane: --source prints it, --real runs it on the real interpreter through the capture,\n"
                   "so that the built-in runtime and the real one can be compared.  The allocator demos reach\n"
                   "their size classes with objects of chosen sizes, or call PyObject_Malloc through ctypes.\n",
    .opts = demo_opts,
    .min_args = 0,
    .max_args = -1, /* NAME, then with --real the interpreter's words */
    .run = cmd_demo_run,
};

/* ---- live ----------------------------------------------------------------------------------- */

static const struct cli_opt live_opts[] = {
    {"record", 'r', "FILE", "keep the trace in FILE (otherwise a temporary file, deleted at the end)"},
    {"max-trace-size", 0, "SIZE", "keep at most SIZE bytes of trace (K, M, G), dropping the oldest history\n"
                                  "past it; 0: no cap (default: the smaller of 2G and a tenth of the free\n"
                                  "space of $TMPDIR; no cap with --record)"},
    {"run", 0, NULL, "start running instead of holding at the first step marker"},
    {"pace", 0, "N", "in run mode, N step markers a second (0: as fast as it runs; default 1)"},
    PROFILE_OPT,
    ARENA_SOURCE_OPT,
    GC_PROFILE_OPT,
    STACKS_OPT,
    STACK_DEPTH_OPT,
    PROGRAM_LINE_OPTS,
    {"stdin", 0, "FILE", "a Python program's standard input (default /dev/null; the terminal is the viewer's)"},
    {"compare", 0, "P1,P2", "a workload under two profiles, or a script under two interpreters\n"
                             "(python3.8,python3.13), side by side (see below)"},
    VIEW_LOOK_OPTS,
    {0},
};

const struct cli_cmd cmd_live = {
    .name = "live",
    .args = "WORKLOAD | SCRIPT.py [ARGS...] | -- PYTHON [ARGS...]",
    .summary = "run a workload or a Python program and watch its heap as it runs",
    .description = "WORKLOAD is demo:NAME (or a demo's name), ops:PATH (an allocation script) or churn[:N].\n"
                   "The workload holds at each step marker until ] lets it go on; Space makes it run at its\n"
                   "pace (+ and - change it).  While it runs, every key of replay works on its history.\n"
                   "\n"
                   "SCRIPT.py runs in python3 from PATH; -- PYTHON ARGS runs any Python 3.8 to 3.13 command line\n"
                   "(python3.12 x.py, -m module, a venv's python).  The program runs at full speed and the\n"
                   "view follows it: pausing the view does not pause the program, and q ends both.  Its\n"
                   "output goes into the trace, not over the screen; its standard input is /dev/null unless\n"
                   "--stdin.  If the viewer is killed, the program is killed too.\n"
                   "\n" PROGRAM_DESCRIPTION "\n" VIEW_KEYS_DESCRIPTION,
    .more = "\n"
                   "--compare P1,P2 runs the workload under two profiles and shows the two side by side:\n"
                   "it records the workload under each into a temporary trace first (saying so on standard\n"
                   "error), then opens both in the side-by-side viewer of 'diff --view', and deletes the\n"
                   "traces at the end.  P1 and P2 are allocator profiles when both are (cpython-3.8,\n"
                   "cpython-3.9, cpython-3.10, classic, custom:...; the collector is --gc-profile's), else\n"
                   "collector profiles (cpython-3.13, legacy, NAME:T0,T1,...; the allocator is -p's).  As\n"
                   "cpython-3.8 names both, gc:NAME makes a name the collector's: gc:cpython-3.8,cpython-3.13.\n"
                   "\n"
                   "--compare PY1,PY2 SCRIPT.py [ARGS] runs one script under two interpreters instead, each\n"
                   "with its version's profiles, and opens the two where the script's own code begins.  A\n"
                   "name with a slash or that starts with \"python\" is an interpreter (python3.8, python3.13,\n"
                   "./venv/bin/python), any other a profile; both names must be of one kind.  An interpreter\n"
                   "is found on PATH, else among pyenv's installed versions ($PYENV_ROOT/versions/*/bin, the\n"
                   "newest first), and asked its version: 3.8 to 3.13 run.  After -- come the arguments both\n"
                   "get (-- -m module).  Each program runs to its end before the view opens, its output in\n"
                   "its trace (the Output pane), its standard input /dev/null unless --stdin FILE.\n"
                   "\n" COMPARE_KEYS_DESCRIPTION
                   "\n"
                   "examples:\n"
                   "  arenascope live --compare cpython-3.8,cpython-3.10 demo:arena-lifecycle\n"
                   "  arenascope live --compare gc:cpython-3.8,cpython-3.13 demo:generations\n"
                   "  arenascope live --compare python3.8,python3.13 slide.py\n",
    .opts = live_opts,
    .min_args = 1,
    .max_args = 1,
    .takes_program = true,
    .run = cmd_live_run,
};

/* ---- replay --------------------------------------------------------------------------------- */

static const struct cli_opt replay_opts[] = {
    {"at", 'a', "EVENT", "open at event N (from 0), step:N (the end of step N; step:0 is before the first), start or\n"
                         "end (default: step:0, which is the start when the trace has no steps)"},
    VIEW_LOOK_OPTS,
    {0},
};

const struct cli_cmd cmd_replay = {
    .name = "replay",
    .args = "FILE",
    .summary = "step through a saved trace in the viewer",
    .description = VIEW_KEYS_DESCRIPTION,
    .opts = replay_opts,
    .min_args = 1,
    .max_args = 1,
    .run = cmd_replay_run,
};

/* ---- record --------------------------------------------------------------------------------- */

static const struct cli_opt record_opts[] = {
    {"output", 'o', "FILE", "write the trace to FILE ('-' for standard output); required.  A file\n"
                                   "another recording is writing is refused"},
    PROFILE_OPT,
    ARENA_SOURCE_OPT,
    GC_PROFILE_OPT,
    STACKS_OPT,
    STACK_DEPTH_OPT,
    PROGRAM_LINE_OPTS,
    {"stdin", 0, "FILE", "a Python program's standard input (default /dev/null; - for this one's)"},
    {"stats", 0, NULL, "print the sys._debugmallocstats() report of the heap at the end"},
    {0},
};

const struct cli_cmd cmd_record = {
    .name = "record",
    .args = "WORKLOAD | SCRIPT.py [ARGS...] | -- PYTHON [ARGS...]",
    .summary = "run a workload or a Python program on the allocator and record every event to a trace file",
    .description =
        "WORKLOAD is one of:\n"
        "  ops:PATH     an allocation script, one operation per line:\n"
        "                 alloc H SIZE | calloc H N SIZE | realloc H SIZE | free H | step LABEL\n"
        "               (H is a handle number; '#' starts a comment).  The script is checked\n"
        "               whole before anything runs; a bad line is reported with its number.\n"
        "  demo:NAME    a built-in demo (also just NAME; see 'arenascope demo --list')\n"
        "  churn[:N]    N rounds of a synthetic object churn (default 100000)\n"
        "  SCRIPT.py    a Python script, run by python3 from PATH, with its arguments\n"
        "  -- PYTHON    any Python 3.8 to 3.13 command line: python3.12 x.py, -m pytest, a venv's python\n"
        "\n" PROGRAM_DESCRIPTION
        "The program's exit status is this command's (128 + N when signal N killed it); its\n"
        "Python call stacks are recorded with each allocation (--stacks).\n"
        "\n"
        "The trace records every arena, pool and block transition of CPython's allocator for the\n"
        "chosen profile; replay it with 'arenascope replay FILE', list it with 'arenascope dump'.\n"
        "\n"
        "examples:\n"
        "  arenascope record -o frag.trace ops:frag.ops\n"
        "  arenascope record --profile cpython-3.8 --arena-source aligned --stats -o t.trace churn:5000\n"
        "  arenascope record --gc-profile legacy -o fin.trace demo:finalizers\n"
        "  arenascope record -o app.trace app.py --input data.json\n"
        "  arenascope record -o tests.trace -- python3 -m pytest tests/\n",
    .opts = record_opts,
    .min_args = 1,
    .max_args = 1,
    .takes_program = true,
    .run = cmd_record_run,
};

/* ---- screenshot ----------------------------------------------------------------------------- */

static const struct cli_opt screenshot_opts[] = {
    {"at", 'a', "EVENT", "event N (from 0), step:N (the end of step N), start, end (default) or\n"
                         "program-end (a Python program's code has run; the interpreter not yet shut down)"},
    {"view", 'v', "VIEW", "all, arenas, pool, classes, objects, gc, timeline or help (default: all)"},
    {"size", 's', "COLSxROWS", "the screen's size in cells (default: 120x40)"},
    {"keys", 'k', "KEYS", "keys pressed before the picture is taken: characters, and <Name> as the help names keys "
                          "(<PgDn>, <Enter>, <Space>)"},
    {"output", 'o', "OUT", "where to write: OUT.txt for text, OUT.svg or OUT.png (twice the size; librsvg) for a picture"},
    {"compare", 0, "B", "the side-by-side view of FILE (left) and trace B (right), as 'diff --view' shows\n"
                        "it; --at (default step:0) and --keys apply to both"},
    VIEW_LOOK_OPTS,
    {0},
};

const struct cli_cmd cmd_screenshot = {
    .name = "screenshot",
    .args = "FILE",
    .summary = "render the viewer's screen at an event to text, SVG or PNG, without a terminal",
    .opts = screenshot_opts,
    .min_args = 1,
    .max_args = 1,
    .run = cmd_screenshot_run,
};

/* ---- info ----------------------------------------------------------------------------------- */

static const struct cli_opt info_opts[] = {
    {0},
};

const struct cli_cmd cmd_info = {
    .name = "info",
    .args = "FILE",
    .summary = "describe a trace: profiles, command, events by kind, chunks, size",
    .description =
        "Reads the header and the index, not the events (a trace without an index, from a\n"
        "recording that did not finish, is scanned).  Exits with 1, after printing what it\n"
        "can, when the file is not whole: cut short, damaged, or without an index.\n",
    .opts = info_opts,
    .min_args = 1,
    .max_args = 1,
    .run = cmd_info_run,
};

/* ---- dump ----------------------------------------------------------------------------------- */

static const struct cli_opt dump_opts[] = {
    {"json", 'j', NULL, "one JSON object per line, with \"seq\" and \"kind\""},
    {"from", 'f', "N", "start at event N (default 0)"},
    {"to", 't', "N", "stop after event N (default: the last)"},
    {0},
};

const struct cli_cmd cmd_dump = {
    .name = "dump",
    .args = "FILE",
    .summary = "print a trace's events, one per line",
    .description =
        "Each line is the event's number, its kind and its fields by name (addresses in hex,\n"
        "the text field quoted); with --json, one JSON object per line (a field named like\n"
        "the keys \"seq\" and \"kind\" gets a final underscore).  --from seeks through the\n"
        "index.  Exits with 1, after the events it could read, when the file is not whole\n"
        "(cut short, damaged, without an index).\n",
    .opts = dump_opts,
    .min_args = 1,
    .max_args = 1,
    .run = cmd_dump_run,
};

/* ---- stats ---------------------------------------------------------------------------------- */

static const struct cli_opt stats_opts[] = {
    {"at", 0, "WHERE", "the heap at: N (right after event N, from 0), step:N (the end of step N), start, end (default) or\n"
                       "program-end (a Python program's code has run; the interpreter not yet shut down)"},
    {"json", 0, NULL, "one JSON object: the report's figures, the collector's, the position"},
    {"cpython", 0, NULL, "exactly CPython's text: without arenascope's section on the raw layer"},
    {0},
};

const struct cli_cmd cmd_stats = {
    .name = "stats",
    .args = "FILE [FILE2]",
    .summary = "print the heap's sys._debugmallocstats() report from a trace, at its end or any event",
    .description =
        "Folds the trace's events into the model of the heap and prints CPython's\n"
        "sys._debugmallocstats() report for it: the size classes, the arenas, where every byte\n"
        "of the arenas goes, the arena map (3.10+), the free lists; then, marked as arenascope's,\n"
        "the raw blocks (--cpython leaves them out).  For the same workload it is the report\n"
        "'arenascope record --stats' prints from the allocator itself.\n"
        "With --at it describes the heap right after that event; the trace's checkpoints make\n"
        "this fast anywhere.  A trace whose events contradict each other is reported with the\n"
        "first bad event and exit status 1.  Given two traces, it prints their reports side by\n"
        "side, at the same --at, with * between two lines that differ.\n"
        "\n"
        "examples:\n"
        "  arenascope stats t.trace\n"
        "  arenascope stats --at 1000 --json t.trace\n"
        "  arenascope stats --at end a.trace b.trace\n",
    .opts = stats_opts,
    .min_args = 1,
    .max_args = 2,
    .run = cmd_stats_run,
};

/* ---- diff ----------------------------------------------------------------------------------- */

static const struct cli_opt diff_opts[] = {
    {"first", 0, NULL, "print the first event where the heaps differ and why, and stop (what diff does\n"
                       "without --view)"},
    {"stats", 0, NULL, "then both heaps' sys._debugmallocstats() reports at their ends, side by side\n"
                       "(a line that differs is marked *)"},
    {"view", 0, NULL, "open both in the viewer, side by side, in lockstep by step markers"},
    {"at", 'a', "WHERE", "with --view, where both open: N, step:N, start or end (default step:0)"},
    VIEW_LOOK_OPTS,
    {0},
};

const struct cli_cmd cmd_diff = {
    .name = "diff",
    .args = "A B",
    .summary = "where two traces' heaps first differ, and why",
    .description =
        "Reads two traces side by side, event by event, and prints the first event where they\n"
        "differ: its number and step, and what each trace did there, in the event log's words.\n"
        "Addresses count as the same when each trace names them in the same order, so the same\n"
        "work recorded twice, or on arenas placed elsewhere, is the same.  Use it to see where\n"
        "two allocator or collector profiles, or two interpreters, part on the same workload.\n"
        "Exit status 0 when the traces are the same, 1 when they differ.\n"
        "\n"
        "With --view, both open in the viewer instead, side by side, each in half the screen (at\n"
        "least 113 columns) under a row naming its trace and its allocator and collector profiles.\n"
        COMPARE_KEYS_DESCRIPTION
        "\n"
        "examples:\n"
        "  arenascope record -p cpython-3.8 -o a.trace demo:arena-lifecycle\n"
        "  arenascope record -p cpython-3.10 -o b.trace demo:arena-lifecycle\n"
        "  arenascope diff --stats a.trace b.trace\n"
        "  arenascope diff --view a.trace b.trace\n",
    .opts = diff_opts,
    .min_args = 2,
    .max_args = 2,
    .run = cmd_diff_run,
};

/* ---- check ---------------------------------------------------------------------------------- */

static const struct cli_opt check_opts[] = {
    {"quiet", 'q', NULL, "print nothing when the trace is sound"},
    {0},
};

const struct cli_cmd cmd_check = {
    .name = "check",
    .args = "FILE",
    .summary = "check that a trace is whole and sound (exit status 0 only then)",
    .description =
        "Reads every record of the file: checksums, the index against the records, every event\n"
        "decoded, every blob.  Then folds the events into the model of the heap, checking each\n"
        "against the state it finds (no free of an unknown block, counts that never go\n"
        "negative, pool transitions the allocator can make, refcounts that follow), and the\n"
        "stored checkpoints and timeline against that fold.  The first problem is reported in\n"
        "one line naming the file, chunk and byte offset or the event, with exit status 1.\n",
    .opts = check_opts,
    .min_args = 1,
    .max_args = 1,
    .run = cmd_check_run,
};

/* ---- pinned --------------------------------------------------------------------------------- */

static const struct cli_opt pinned_opts[] = {
    {"at", 0, "WHERE", "the heap at: N (right after event N), step:N (the end of step N), start, end (default) or\n"
                       "program-end (a Python program's code has run; the interpreter not yet shut down)"},
    {"top", 'n', "N", "lines shown per arena (default 5; 0: all)"},
    {0},
};

const struct cli_cmd cmd_pinned = {
    .name = "pinned",
    .args = "FILE",
    .summary = "list each arena with its free pools and the lines whose live blocks keep it",
    .description =
        "An arena is returned to the system only when every one of its pools is free: a single\n"
        "live block keeps the whole arena.  For each arena held at the end of the trace (or right\n"
        "after event --at), this lists its free pools and its live blocks grouped by the line that\n"
        "allocated them (the innermost frame of their call stack that is not the import system's),\n"
        "largest first, with the line's source.  For a real Python program the lines are Python\n"
        "lines (record keeps its stacks by default; the source comes from the trace, or from the\n"
        "file on this machine); a trace recorded without stacks groups every block under \"no call\n"
        "stack recorded\".\n"
        "\n"
        "examples:\n"
        "  arenascope pinned app.trace\n"
        "  arenascope pinned --at 150000 --top 10 app.trace\n"
        "  arenascope pinned --at program-end app.trace  # a Python program before the interpreter shuts down\n",
    .opts = pinned_opts,
    .min_args = 1,
    .max_args = 1,
    .run = cmd_pinned_run,
};

/* ---- export --------------------------------------------------------------------------------- */

static const struct cli_opt export_opts[] = {
    {"format", 'f', "F", "perfetto, collapsed, json or html (required)"},
    {"output", 'o', "OUT", "write to OUT, whole or not at all (default: standard output)"},
    {"at", 0, "WHERE", "the heap at: N (right after event N), step:N (the end of step N), start, end (default) or\n"
                       "program-end (a Python program's code has run; the interpreter not yet shut down)"},
    {"from", 0, "WHERE", "a range of events: from this position (as --at; default start)"},
    {"to", 0, "WHERE", "to this position (as --at; default end)"},
    {"every", 0, "N", "perfetto: a counter sampled at most once per N events (default events/20000)"},
    {"size", 0, "COLSxROWS", "html: the screens' size (default 120x40)"},
    {0},
};

const struct cli_cmd cmd_export = {
    .name = "export",
    .args = "FILE",
    .summary = "write a trace for other tools: Perfetto, flame graphs, JSON, an HTML handout",
    .description =
        "--format perfetto   Chrome's trace event JSON ({\"traceEvents\": [...]}), which\n"
        "  ui.perfetto.dev and chrome://tracing open.  The time axis is the event number: event N\n"
        "  is at N microseconds (1 event = 1 us), and a counter at N us is the heap right after\n"
        "  event N.  Counter tracks: bytes in use (pool blocks, raw), arenas held, pools by state\n"
        "  (used, full, empty), each collector generation's count; sampled when they change, at most\n"
        "  once per --every events, and at every step marker and the last event.  Slices: each step\n"
        "  marker to the next (named by its label), each collection with its phases nested in it.\n"
        "  Instants: arenas obtained and released.  --from/--to export a range of events.\n"
        "--format collapsed  folded stacks for flamegraph.pl, inferno or speedscope: one line per\n"
        "  call stack, \"outer;...;inner BYTES\", outermost frame first (a Python frame is\n"
        "  \"function (file:line)\").  Without --from/--to: the live bytes at --at (default the end),\n"
        "  a pool block counted at its block size and a raw block at its size, so that the lines sum\n"
        "  to the block bytes plus the raw bytes of 'stats'.  With --from/--to: the bytes asked for\n"
        "  by the allocations (block_alloc, raw_alloc) made between the two positions.  Blocks\n"
        "  allocated with no stack are under \"[no call stack]\".  A trace recorded without stacks\n"
        "  (record --stacks) is refused.\n"
        "--format json       the state at --at as one JSON document: geometry, totals, arenas\n"
        "  with their pools, size classes, raw blocks, objects, the collector's generations and\n"
        "  the current step (docs/export.md).\n"
        "--format html       a handout: one self-contained page with the viewer's screen at the\n"
        "  end of each step (as 'replay --at step:N' shows it, --size COLSxROWS) and its label; the\n"
        "  arrow keys or buttons step through it, and printing it gives a page a step.  Nothing in\n"
        "  it comes from the network.  --from/--to keep the steps whose markers are in the range\n"
        "  (at most 1000).\n"
        "Long exports show their progress on standard error when it is a terminal.\n"
        "\n"
        "examples:\n"
        "  arenascope export --format perfetto -o t.json t.trace     # then open it in ui.perfetto.dev\n"
        "  arenascope export --format collapsed t.trace | flamegraph.pl > live.svg\n"
        "  arenascope export --format collapsed --from step:1 --to step:3 t.trace\n"
        "  arenascope export --format json --at step:2 t.trace\n"
        "  arenascope export --format html -o tour.html tour.trace\n",
    .opts = export_opts,
    .min_args = 1,
    .max_args = 1,
    .run = cmd_export_run,
};

/* ---- placements ----------------------------------------------------------------------------- */

static const struct cli_opt placements_opts[] = {
    PROFILE_OPT,
    {"arena-source", 0, "S", "where arenas come from: aligned (default: every arena has all its pools) or mmap"},
    {"reference", 0, NULL, "a Python program: on the interpreter's own pymalloc instead of arenascope's heap"},
    {"output", 'o', "FILE", "a Python program: write the placements to FILE (default: standard output, at the end)"},
    {"stdin", 0, "FILE", "a Python program's standard input (default /dev/null; - for this one's)"},
    {0},
};

const struct cli_cmd cmd_placements = {
    .name = "placements",
    .args = "FILE | SCRIPT.py [ARGS...] | -- PYTHON [ARGS...]",
    .summary = "run an allocation script or a Python program and print where each allocation lands",
    .description =
        "FILE is an allocation script (see 'arenascope record --help'): one operation per line,\n"
        "alloc H SIZE | calloc H N SIZE | realloc H SIZE | free H | step LABEL.\n"
        "\n"
        "Prints one line per allocating operation (alloc, calloc, realloc), in order:\n"
        "  OP ARENA POOL OFFSET   a block of the small-object allocator\n"
        "  OP raw                 a block of the raw layer (C malloc: 0 bytes, over the threshold,\n"
        "                         or no arena to be had)\n"
        "OP counts the script's operations from 1 (step markers, comments and blank lines are not\n"
        "counted); ARENA is the 0-based serial number of the arena allocation (a released arena's\n"
        "slot reused later gets a new number); POOL is the pool's index from the arena's base;\n"
        "OFFSET is the block's byte offset in its pool.  With the aligned arena source these are\n"
        "the placements CPython's own obmalloc makes for the same script.\n"
        "\n"
        "A Python program (SCRIPT.py, run by python3, or -- PYTHON ARGS...) runs on the heap with its\n"
        "version's profile in aligned arenas, and every call of its allocator (the OBJ and MEM\n"
        "domains) gives one line: N OP A B ARENA POOL OFFSET, N OP A B raw, or N free, where OP is\n"
        "malloc, calloc or realloc and A B its sizes.  With --reference the same program runs on the\n"
        "interpreter's own pymalloc, with an aligned arena allocator installed through\n"
        "PyObject_SetArenaAllocator: run both with PYTHONHASHSEED=0 and compare, and the two lists\n"
        "are the same when arenascope places every block as CPython does.\n",
    .opts = placements_opts,
    .min_args = 1,
    .max_args = 1,
    .takes_program = true,
    .run = cmd_placements_run,
};

/* ---- the table ------------------------------------------------------------------------------ */

const struct cli_cmd *const commands[] = {
#define X(name) &cmd_##name,
    COMMANDS(X)
#undef X
};
const size_t commands_count = sizeof commands / sizeof commands[0];

const struct cli_cmd *commands_find(const char *name)
{
    for (size_t i = 0; i < commands_count; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}
