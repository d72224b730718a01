/*
 * lines.c - every line of the program's own files as a step marker.
 *
 * Before each line of a chosen file runs, a step marker (kind STEP_LINE) goes into the trace,
 * labelled "file.py:12  the line's source" and carrying the Python stack at that point (its
 * innermost frame is the line); under a live viewer in step mode the interpreter then really
 * waits (tracer/pacer.h) until the viewer steps it.  The events after the marker are what that
 * line did.
 *
 * How the interpreter says a line is about to run, without the capture calling Python:
 *   3.12+      sys.monitoring: a C function registered for LINE events, called with the code
 *              object and the line.  For a line of a file that is not chosen it returns
 *              sys.monitoring.DISABLE, and CPython stops reporting that place: the rest of
 *              the program runs untraced.  No frame object is made, but the interpreter makes
 *              a code object's monitoring data and line table the first time it runs: the
 *              capture's doing, said by block_tool.
 *   3.8-3.11   PyEval_SetTrace with a C trace function, called for every line of every frame
 *              (it returns at once for a file not chosen).  3.11 makes a frame object for each
 *              frame it traces: the interpreter's allocations, made for the capture, and said
 *              to be so by a block_tool event after each (the views leave them out).
 *
 * Which files: the program's own (sources.c), or those matching --step-files (fnmatch on the
 * absolute path).  The answer is cached by code object and file-name object: a code object at
 * a reused address with the same file-name object names the same file.
 */
#include "state.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE 256

static struct {
    struct {
        void *code, *file;
        bool step;
    } cache[CACHE];
    void *disable;  /* sys.monitoring.DISABLE */
} lines;

static uintptr_t word_at(void *base, size_t off)
{
    uintptr_t w;
    memcpy(&w, (const char *)base + off, sizeof w);
    return w;
}

/* The file name object of a code object, and its text. */
static void *file_of(void *code)
{
    void *f;
    memcpy(&f, (char *)code + capture.py.layout->code_filename, sizeof f);
    return f;
}

static bool is_step_file(void *code)
{
    void *file = file_of(code);
    size_t k = ((uintptr_t)code >> 4) % CACHE;
    if (lines.cache[k].code == code && lines.cache[k].file == file)
        return lines.cache[k].step;
    char path[PATH_MAX];
    py_str_utf8(&capture.py, file, path, sizeof path);
    bool step;
    if (capture.cfg.step_files[0]) {
        char real[PATH_MAX];
        step = path[0] != '<' && realpath(path, real) && fnmatch(capture.cfg.step_files, real, 0) == 0;
    } else {
        step = sources_is_own(path);
    }
    lines.cache[k].code = code;
    lines.cache[k].file = file;
    lines.cache[k].step = step;
    return step;
}

/* A line of a chosen file is about to run. */
static void line_step(void *code, int line)
{
    if (!capture.sink.emit || capture.in_tool)
        return;
    if (!capture.program_started && capture.stacks)
        watch_program_start();
    char path[PATH_MAX], text[256], label[PATH_MAX + 300];
    py_str_utf8(&capture.py, file_of(code), path, sizeof path);
    sources_line(path, line, text, sizeof text);
    const char *base = strrchr(path, '/');
    snprintf(label, sizeof label, "%s:%d  %s", base ? base + 1 : path, line, text);
    uint64_t stack = capture.stacks ? pystack_capture(capture.stacks) : 0;
    capture_step(EV_STEP_LINE, stack, label);
}

/* ---- what the interpreter makes for the capture ----------------------------------------------- */

static void tool_block(uintptr_t block)
{
    struct event ev = {.kind = EV_BLOCK_TOOL};
    ev.u.block_tool.addr = block;
    capture.sink.emit(capture.sink.ctx, &ev);
}

/* `first` and then `second` (0: none) are the capture's when they are the last blocks handed out;
 * each is said once. */
static void tool_blocks(uintptr_t first, uintptr_t second)
{
    uintptr_t last = (uintptr_t)capture.last_alloc, prev = (uintptr_t)capture.prev_alloc;
    bool both = second && second == last && first == prev;
    if (!both && (!first || first != last))
        return;
    tool_block(first);
    if (both)
        tool_block(second);
    capture.last_alloc = capture.prev_alloc = NULL;
}

/* ---- 3.12+: sys.monitoring ------------------------------------------------------------------- */

/* The first time a code object runs with LINE events set, the interpreter makes its monitoring
 * data and line table, just before its first line: the capture's doing, said so (block_tool). */
static void monitoring_made_for_lines(void *code)
{
    int minor = capture.py.minor;
    if ((minor != 12 && minor != 13) || !capture.sink.emit || capture.in_tool)
        return;
    uintptr_t mon = word_at(code, minor == 12 ? PY312_CODE_MONITORING : PY313_CODE_MONITORING);
    if (mon)
        tool_blocks(mon, word_at((void *)mon, minor == 12 ? PY312_MONITORING_LINES : PY313_MONITORING_LINES));
}

struct py_method_def_ {
    const char *name;
    void *(*meth)(void *self, void *args);
    int flags;
    const char *doc;
};

static void *on_line(void *self, void *args)
{
    (void)self;
    const struct py_api *a = &capture.py.api;
    void *code = a->tuple_get_item(args, 0);
    long line = a->long_as_long(a->tuple_get_item(args, 1));
    if (code)
        monitoring_made_for_lines(code);
    if (code && is_step_file(code)) {
        line_step(code, (int)line);
        a->incref(a->none);
        return a->none;
    }
    a->incref(lines.disable);
    return lines.disable;
}

static struct py_method_def_ on_line_def = {"arenascope_line", on_line, 1 /* METH_VARARGS */,
                                            "arenascope: a step marker before each line of the program's own files"};

#define TOOL_ID 4 /* sys.monitoring's tool ids 0-5; 0-2 and 5 are named for other uses */

static bool start_monitoring(void)
{
    const struct py_api *a = &capture.py.api;
    void *sys = a->import_module("sys");
    void *mon = sys ? a->get_attr_string(sys, "monitoring") : NULL;
    void *events = mon ? a->get_attr_string(mon, "events") : NULL;
    void *line = events ? a->get_attr_string(events, "LINE") : NULL;
    lines.disable = mon ? a->get_attr_string(mon, "DISABLE") : NULL;
    void *fn = a->cfunction_new(&on_line_def, NULL, NULL);
    bool ok = false;
    if (mon && line && lines.disable && fn) {
        long ev = a->long_as_long(line);
        void *r1 = a->call_method(mon, "use_tool_id", "is", TOOL_ID, "arenascope");
        void *r2 = r1 ? a->call_method(mon, "register_callback", "iOO", TOOL_ID, line, fn) : NULL;
        void *r3 = r2 ? a->call_method(mon, "set_events", "il", TOOL_ID, ev) : NULL;
        ok = r3 != NULL;
        py_xdecref(a, r1);
        py_xdecref(a, r2);
        py_xdecref(a, r3);
    }
    py_xdecref(a, fn);
    py_xdecref(a, line);
    py_xdecref(a, events);
    py_xdecref(a, mon);
    py_xdecref(a, sys);
    return ok; /* lines.disable is kept: the callback returns it */
}

/* ---- 3.8-3.11: a C trace function ------------------------------------------------------------- */

enum { PY_TRACE_CALL = 0, PY_TRACE_LINE = 2 };

/* 3.11 keeps frames out of the heap until something asks for a frame object; a trace function
 * is given one for every call it sees, made just before, and the first time it sees a code
 * object the interpreter makes its line array too (after the frame).  Both are the capture's
 * doing: the trace says so (block_tool) when they are the blocks the heap handed out last. */
static void frame_made_for_trace(void *frame)
{
    const struct py_api *a = &capture.py.api;
    if (capture.py.minor != 11 || !capture.sink.emit || capture.in_tool || !a->frame_get_code)
        return;
    void *code = a->frame_get_code(frame);
    if (!code)
        return;
    a->decref(code); /* the frame holds it */
    tool_blocks((uintptr_t)frame - PY_GC_HEAD, word_at(code, PY311_CODE_LINEARRAY));
}

static int on_trace(void *obj, void *frame, int what, void *arg)
{
    (void)obj;
    (void)arg;
    if (what == PY_TRACE_CALL || what == PY_TRACE_LINE)
        frame_made_for_trace(frame); /* made for the first event the trace function sees */
    if (what != PY_TRACE_LINE)
        return 0;
    const struct py_api *a = &capture.py.api;
    void *code;
    if (a->frame_get_code) {
        code = a->frame_get_code(frame);
        a->decref(code); /* the frame holds it */
    } else {
        memcpy(&code, (char *)frame + capture.py.layout->frame_code, sizeof code);
    }
    if (code && is_step_file(code))
        line_step(code, a->frame_get_line(frame));
    return 0;
}

void lines_start(void)
{
    const struct py_info *py = &capture.py;
    if (!capture.cfg.step_lines || !py->layout)
        return;
    bool ok = false;
    if (py->minor >= 12 && py->api.call_method)
        ok = start_monitoring();
    if (!ok && py->api.set_trace) {
        py->api.set_trace(on_trace, NULL);
        ok = true;
    }
    if (!ok)
        capture_status("m the interpreter did not let arenascope follow its lines\n");
}
