/*
 * preload.c - libarenascope-capture.so in the process it was preloaded into.
 *
 * Life of a capture
 * -----------------
 *   constructor   runs before main(), so before the interpreter's first allocation.  Inert
 *                 unless the request (ARENASCOPE_CAPTURE) names this very process and the
 *                 process is a Python interpreter (PyMem_SetAllocator found by dlsym).  Then:
 *                 refuse what cannot work (free-threaded, debug build, an unknown version) with
 *                 "e MESSAGE" on the status descriptor and exit 2 before any Python runs; else
 *                 build the heap with the profile of the interpreter's version (3.8: cpython-3.8,
 *                 3.9: cpython-3.9, 3.10-3.13: cpython-3.10) and the collector of its release
 *                 (gc_profile_for_python), open the trace, put the program's
 *                 output through output.c, install the heap for the MEM and OBJ domains, emit
 *                 the start-up step and say "p VERSION PATH".
 *   allocations   the PEP 445 functions below: the heap's, with the Python stack (pystack.c) as
 *                 the heap's stack hook.  Every 1024 calls: the output, a flush for a live
 *                 viewer, and, once Py_IsInitialized(), the pending call of hooks.c.
 *   the end       exit() (after Py_Finalize) runs the destructor; os._exit() goes through the
 *                 _exit() below; exec*() through the ones below (not followed: said on stderr);
 *                 a crash through the signal handler.  Each finishes the trace as far as it
 *                 safely can: the destructor and _exit() completely (index included), a crash
 *                 by flushing the events written so far when it did not happen inside the
 *                 capture itself.
 *   fork()        the child stops recording (its parent's trace is not its to write) and says so
 *                 once on stderr, at its first allocator call (a child that only execs, as a
 *                 subprocess does, says nothing); the heap goes on serving it silently.  The
 *                 output's reader thread is stopped around the fork (output.c).
 *
 * Modes: RECORD writes the trace.  PLACEMENTS and REFERENCE write one line per allocator call
 * to a log instead, naming where the block went (arena serial, pool index, offset, or raw) in
 * arenas aligned to their size: PLACEMENTS on the heap, REFERENCE on the interpreter's own
 * pymalloc with an aligned arena allocator of ours (PyObject_SetArenaAllocator).  The two logs
 * of one program are the proof that the heap places every block as CPython does.
 *
 * The library never allocates from the heap it observes: its own memory is libc's (the RAW
 * domain is left to malloc too), and its own calls into Python, which do allocate, are made
 * with in_tool set, so their blocks carry the stack "<arenascope>".
 */
#include "state.h"

#include <allocator/gc_profile.h>
#include <allocator/heap.h>
#include <allocator/stack.h>
#include <tracer/capture.h>
#include <tracer/model.h>
#include <tracer/stacks.h>
#include <tracer/trace.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define EXPORTED __attribute__((visibility("default")))
#define TICK_CALLS 1024           /* allocator calls between two looks at the clock */
#define LIVE_FLUSH_NS 20000000ull /* a live viewer sees events at most this late while the program allocates */
#define IDLE_MS 50                /* and at most about this late while it does not (a sleep, input) */

struct capture capture;

/* ---- status and messages ---------------------------------------------------------------------- */

/* One formatted line written to fd, as far as it goes. */
static void write_line(int fd, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

static void write_line(int fd, const char *fmt, va_list ap)
{
    char buf[1024];
    int n = vsnprintf(buf, sizeof buf, fmt, ap);
    if (n > (int)sizeof buf - 1)
        n = (int)sizeof buf - 1;
    if (fd >= 0 && n > 0 && write(fd, buf, (size_t)n) < 0) {
        /* nobody reads it any more: nothing else to do */
    }
}

void capture_status(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    write_line(capture.cfg.status_fd, fmt, ap);
    va_end(ap);
}

/* A line on the program's stderr (the original one when the output is captured). */
static void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    write_line(capture.output ? output_original_fd(capture.output, 2) : 2, fmt, ap);
    va_end(ap);
}

/* Refuses the program before any Python runs. */
static _Noreturn void refuse(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static _Noreturn void refuse(const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof buf, fmt, ap);
    va_end(ap);
    if (capture.cfg.status_fd >= 0)
        capture_status("e %s\n", buf);
    else
        say("arenascope: %s\n", buf);
    _exit(2);
}

/* ---- the placement log (PLACEMENTS, REFERENCE) ------------------------------------------------ */

#define MAX_ARENAS 65536
static struct {
    void *(*inner_alloc)(void *ctx, size_t size);
    void (*inner_free)(void *ctx, void *addr, size_t size);
    uintptr_t bases[MAX_ARENAS]; /* live arenas by slot, 0 empty */
    uint64_t serials[MAX_ARENAS];
    uint64_t next_serial;
} arenas;

/* An arena source that numbers arenas as CPython's arena allocator hook sees them.  3.11+ also
 * takes the chunks of a thread's frame stack through the hook (_PyObject_VirtualAlloc): only
 * requests of an arena's size are arenas. */
static void *log_arena_alloc(void *ctx, size_t size)
{
    void *p = arenas.inner_alloc(ctx, size);
    if (!p || size != capture.profile.arena_size)
        return p;
    for (size_t i = 0; i < MAX_ARENAS; i++) {
        if (!arenas.bases[i]) {
            arenas.bases[i] = (uintptr_t)p;
            arenas.serials[i] = arenas.next_serial;
            break;
        }
    }
    arenas.next_serial++;
    return p;
}

static void log_arena_free(void *ctx, void *addr, size_t size)
{
    for (size_t i = 0; i < MAX_ARENAS; i++)
        if (arenas.bases[i] == (uintptr_t)addr)
            arenas.bases[i] = 0;
    arenas.inner_free(ctx, addr, size);
}

static void log_call(const char *op, size_t a, size_t b, const void *p)
{
    uint64_t n = capture.calls++;
    if (!p) {
        fprintf(capture.log, "%llu %s %zu %zu null\n", (unsigned long long)n, op, a, b);
        return;
    }
    uintptr_t base = (uintptr_t)p & ~(uintptr_t)(capture.profile.arena_size - 1);
    for (size_t i = 0; i < MAX_ARENAS; i++) {
        if (arenas.bases[i] == base) {
            uintptr_t off = (uintptr_t)p - base;
            fprintf(capture.log, "%llu %s %zu %zu %llu %u %u\n", (unsigned long long)n, op, a, b,
                    (unsigned long long)arenas.serials[i], (unsigned)(off / capture.profile.pool_size),
                    (unsigned)(off % capture.profile.pool_size));
            return;
        }
    }
    fprintf(capture.log, "%llu %s %zu %zu raw\n", (unsigned long long)n, op, a, b);
}

/* ---- the allocator ------------------------------------------------------------------------------ */

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Every TICK_CALLS calls: what must not wait for the end. */
static __attribute__((noinline)) void tick(void)
{
    capture.ticks = 0;
    if (capture.output_paused) {
        capture.output_paused = false;
        output_resume(capture.output);
    }
    if (!capture.ready_asked && capture.py.api.is_initialized && capture.py.api.is_initialized() &&
        capture.py.api.add_pending_call) {
        capture.ready_asked = true;
        capture.py.api.add_pending_call(hooks_python_ready, NULL);
    }
    if (!capture.sink.emit)
        return;
    if (capture.output && output_pending(capture.output))
        output_drain(capture.output, &capture.sink, false);
    if (capture.cfg.live) {
        uint64_t now = now_ns();
        if (now - capture.last_flush_ns >= LIVE_FLUSH_NS) {
            capture.last_flush_ns = now;
            trace_writer_flush(capture.writer);
        }
    }
}

/*
 * Called by output.c's thread every IDLE_MS.  A program that sleeps or waits for input makes no
 * allocator call to flush from, so the events it made last would wait in the writer: when the
 * trace was not flushed for that long, this thread takes the GIL, which every emitter holds, and
 * flushes.  Only while the interpreter runs: before it is initialized or once it finalizes the
 * GIL is not for a foreign thread to take.
 */
static void on_idle(void *ctx)
{
    (void)ctx;
    if (!capture.cfg.live || !capture.active || capture.finished || capture.forked)
        return;
    if (now_ns() - capture.last_flush_ns < (uint64_t)IDLE_MS * 1000000u)
        return;
    const struct py_api *a = &capture.py.api;
    if (!a->gil_ensure || !a->is_initialized || !a->is_initialized() || (a->is_finalizing && a->is_finalizing()))
        return;
    int g = a->gil_ensure();
    if (!capture.finished && !capture.forked && capture.sink.emit) {
        if (capture.output)
            output_drain(capture.output, &capture.sink, false);
        trace_writer_flush(capture.writer);
        capture.last_flush_ns = now_ns();
    }
    a->gil_release(g);
}

/* Whether the program's own code runs now: its script, "-c" code or stdin code is the outermost
 * frame (the interpreter runs them from C), or, for -m, runpy has reached a file of its own. */
static bool program_runs(void)
{
    char file[PATH_MAX];
    if (capture.cfg.entry != CAPTURE_ENTRY_MODULE) {
        /* the outermost frame changes seldom: it is looked at again only when it does */
        void *outer = pystack_outermost_code(capture.stacks);
        if (!outer || outer == capture.last_outer)
            return false;
        capture.last_outer = outer;
        pystack_code_file(capture.stacks, outer, file, sizeof file);
        switch (capture.cfg.entry) {
        case CAPTURE_ENTRY_COMMAND: return strcmp(file, "<string>") == 0;
        case CAPTURE_ENTRY_STDIN: return strcmp(file, "<stdin>") == 0;
        case CAPTURE_ENTRY_SCRIPT:
        case CAPTURE_ENTRY_MODULE: break;
        }
        char real[PATH_MAX];
        return realpath(file, real) && strcmp(real, capture.cfg.script) == 0;
    }
    void *codes[PYSTACK_MAX_DEPTH];
    size_t n = pystack_codes(capture.stacks, codes, PYSTACK_MAX_DEPTH);
    if (n == 0 || codes[0] == capture.last_code)
        return false;
    capture.last_code = codes[0];
    for (size_t i = 0; i < n; i++) {
        pystack_code_file(capture.stacks, codes[i], file, sizeof file);
        if (sources_is_own(file))
            return true;
    }
    return false;
}

/* Until the program's own code runs: does it now?  Then its step marker goes first. */
__attribute__((noinline)) void watch_program_start(void)
{
    if (capture.fork_unsaid) {
        /* only a child that runs Python says it: one that execs at once (a subprocess) is silent */
        capture.fork_unsaid = false;
        capture.program_started = true;
        say("arenascope: process %ld, forked by the program, is not recorded (its parent's trace goes on)\n",
            (long)getpid());
        return;
    }
    if (!capture.stacks || !capture.sink.emit)
        return;
    if (!program_runs())
        return;
    capture.program_started = true;
    char label[PATH_MAX + 128];
    const char *name = capture.cfg.entry == CAPTURE_ENTRY_COMMAND ? "the -c code"
                       : capture.cfg.entry == CAPTURE_ENTRY_STDIN ? "the code from standard input"
                       : capture.cfg.entry == CAPTURE_ENTRY_MODULE ? "the module"
                                                                   : NULL;
    const char *base = strrchr(capture.cfg.script, '/');
    snprintf(label, sizeof label, "%s begins: everything before this was Python starting up.",
             name ? name : base ? base + 1 : capture.cfg.script);
    if (name && name[0] == 't')
        label[0] = 'T';
    uint64_t stack = capture.cfg.stacks != CAPTURE_STACKS_NONE ? pystack_capture(capture.stacks) : 0;
    capture_step(EV_STEP_PROGRAM, stack, label);
}

static inline void count_call(void)
{
    if (__builtin_expect(!capture.program_started, 0))
        watch_program_start();
    if (__builtin_expect(++capture.ticks >= TICK_CALLS, 0))
        tick();
}

/*
 * The heap's stack hook: the Python stack, the C stack or both, or the capture's own label.  The
 * C stack starts at the caller of the allocator's entry point in CPython (PyObject_Malloc, ...):
 * stack_capture() drops itself, then this function, the heap's
 * HEAP_STACK_HOOK_FRAMES and cap_malloc (or calloc, realloc), so arenascope's own frames are
 * never in a stack a user sees.
 */
#define KEEP_FRAME() __asm__ __volatile__("" ::: "memory")
static __attribute__((noinline)) uint64_t stack_hook(void *ctx)
{
    (void)ctx;
    if (capture.in_tool)
        return capture.tool_stack;
    uint64_t id;
    if (capture.cfg.stacks == CAPTURE_STACKS_PYTHON) {
        id = pystack_capture(capture.stacks);
    } else {
        void *frames[STACK_CAPTURE_MAX];
        size_t depth = capture.cfg.stacks == CAPTURE_STACKS_BOTH ? CAPTURE_C_DEPTH : capture.cfg.depth;
        size_t n = stack_capture(frames, depth, 1 + HEAP_STACK_HOOK_FRAMES + 1);
        id = capture.cfg.stacks == CAPTURE_STACKS_BOTH ? pystack_capture_both(capture.stacks, frames, n)
                                                       : pystack_capture_c(capture.stacks, frames, n);
    }
    KEEP_FRAME();
    return id;
}

/* Around each allocating call into the heap: the capture is inside it meanwhile, and remembers
 * the last two blocks handed out. */
static inline void cap_enter(void)
{
    capture.in_capture = 1;
    count_call();
}

static inline void *cap_leave(void *p)
{
    capture.prev_alloc = capture.last_alloc;
    capture.last_alloc = p;
    capture.in_capture = 0;
    return p;
}

static void *cap_malloc(void *ctx, size_t n)
{
    (void)ctx;
    cap_enter();
    return cap_leave(heap_malloc(capture.heap, n));
}

static void *cap_calloc(void *ctx, size_t m, size_t n)
{
    (void)ctx;
    cap_enter();
    return cap_leave(heap_calloc(capture.heap, m, n));
}

static void *cap_realloc(void *ctx, void *p, size_t n)
{
    (void)ctx;
    cap_enter();
    return cap_leave(heap_realloc(capture.heap, p, n));
}

static void cap_free(void *ctx, void *p)
{
    (void)ctx;
    capture.in_capture = 1;
    if (__builtin_expect(!capture.program_started, 0))
        watch_program_start();
    if (capture.stacks && p)
        pystack_forget(capture.stacks, p);
    heap_free(capture.heap, p);
    capture.in_capture = 0;
}

/* PLACEMENTS and REFERENCE: the same calls, logged.  `domain` picks the reference allocator. */
static void *log_malloc(void *ctx, size_t n)
{
    int d = (int)(intptr_t)ctx;
    count_call();
    void *p = capture.heap ? heap_malloc(capture.heap, n)
                           : capture.reference[d].malloc(capture.reference[d].ctx, n);
    log_call("malloc", n, 0, p);
    return p;
}

static void *log_calloc(void *ctx, size_t m, size_t n)
{
    int d = (int)(intptr_t)ctx;
    count_call();
    void *p = capture.heap ? heap_calloc(capture.heap, m, n)
                           : capture.reference[d].calloc(capture.reference[d].ctx, m, n);
    log_call("calloc", m, n, p);
    return p;
}

static void *log_realloc(void *ctx, void *p, size_t n)
{
    int d = (int)(intptr_t)ctx;
    count_call();
    void *q = capture.heap ? heap_realloc(capture.heap, p, n)
                           : capture.reference[d].realloc(capture.reference[d].ctx, p, n);
    log_call("realloc", n, 0, q);
    return q;
}

static void log_free(void *ctx, void *p)
{
    int d = (int)(intptr_t)ctx;
    if (!p)
        return;
    fprintf(capture.log, "%llu free\n", (unsigned long long)capture.calls++);
    if (capture.heap)
        heap_free(capture.heap, p);
    else
        capture.reference[d].free(capture.reference[d].ctx, p);
}

/* ---- steps ---------------------------------------------------------------------------------------- */

void capture_step(enum ev_step_kind kind, uint64_t stack, const char *label)
{
    if (!capture.sink.emit)
        return;
    if (capture.output)
        output_drain(capture.output, &capture.sink, true);
    struct event ev = {.kind = EV_STEP};
    ev.u.step.number = ++capture.steps;
    ev.u.step.kind = kind;
    ev.u.step.stack = stack;
    ev.str = label;
    ev.str_len = (uint32_t)strlen(label);
    capture.sink.emit(capture.sink.ctx, &ev);
    if (kind == EV_STEP_LINE)
        names_snapshot();
    if (capture.cfg.live) {
        trace_writer_flush(capture.writer);
        capture.last_flush_ns = now_ns();
    }
    /* a line about to run, or the program's end: the viewer may hold the program here */
    if ((kind == EV_STEP_LINE || kind == EV_STEP_END) && capture.cfg.control_fd >= 0)
        pacer_wait(&capture.pacer, capture.steps, kind == EV_STEP_LINE ? label : NULL);
}

/* ---- the end ---------------------------------------------------------------------------------- */

/* Completes the trace (or the log).  `why` is said in the trace when the end is not exit(). */
static void finish(const char *why)
{
    if (!capture.active || capture.finished || capture.forked || getpid() != capture.pid)
        return;
    capture.finished = true;
    if (capture.writer) {
        if (capture.output)
            output_drain(capture.output, &capture.sink, true);
        if (why) {
            struct event ev = {.kind = EV_PRINT};
            ev.u.print.stream = 2;
            ev.str = why;
            ev.str_len = (uint32_t)strlen(why);
            capture.sink.emit(capture.sink.ctx, &ev);
        }
        /* From here the heap serves silently: the interpreter may free after the end. */
        heap_set_sink(capture.heap, NULL);
        heap_set_stack_hook(capture.heap, NULL);
        capture.sink = (struct event_sink){0};
        if (trace_writer_finish(capture.writer) < 0)
            say("arenascope: %s\n", trace_writer_error(capture.writer));
        ckpt_tee_free(capture.tee);
        capture.tee = NULL;
    }
    if (capture.log)
        fflush(capture.log);
    capture_status("f\n");
}

void capture_end(const char *why)
{
    finish(why);
}

bool capture_allocator_is_installed(void)
{
    struct py_allocator a;
    capture.py.api.get_allocator(PY_DOMAIN_OBJ, &a);
    return a.malloc == cap_malloc || a.malloc == log_malloc;
}

static void fini(void) __attribute__((destructor));
static void fini(void)
{
    finish(NULL);
}

EXPORTED _Noreturn void _exit(int status)
{
    if (capture.active && !capture.in_capture) {
        char why[96];
        snprintf(why, sizeof why, "[arenascope: the program ended with os._exit(%d)]", status);
        finish(why);
    }
    syscall(SYS_exit_group, status);
    for (;;)
        pause();
}

typedef int (*execve_fn)(const char *, char *const[], char *const[]);

EXPORTED int execve(const char *path, char *const argv[], char *const envp[])
{
    if (capture.active && !capture.forked && getpid() == capture.pid) {
        char why[PATH_MAX + 96];
        snprintf(why, sizeof why, "[arenascope: the program replaced itself with %s, which is not followed]", path);
        finish(why);
    }
    execve_fn real;
    void *sym = dlsym(RTLD_NEXT, "execve");
    memcpy(&real, &sym, sizeof sym);
    return real(path, argv, envp);
}

EXPORTED int execv(const char *path, char *const argv[])
{
    extern char **environ;
    return execve(path, argv, environ);
}

/* What the program asks about its terminal: the answer for the descriptors it was given. */
EXPORTED int isatty(int fd)
{
    typedef int (*isatty_fn)(int);
    static isatty_fn real;
    if (!real) {
        void *sym = dlsym(RTLD_NEXT, "isatty");
        memcpy(&real, &sym, sizeof sym);
    }
    if (capture.output && (fd == 1 || fd == 2) && getpid() == capture.pid)
        fd = output_original_fd(capture.output, fd);
    return real(fd);
}

static void on_crash(int sig)
{
    if (capture.active && !capture.in_capture && !capture.finished && capture.writer &&
        getpid() == capture.pid) {
        /* Whatever is whole stays readable: the chunks written, and now the events batched. */
        capture.finished = true;
        trace_writer_flush(capture.writer);
    }
    signal(sig, SIG_DFL);
    raise(sig);
}

/* Around the program's fork(): its output's reader stops, and starts again at the parent's next
 * allocator call (output.c says why). */
static void before_fork(void)
{
    if (capture.active && !capture.finished && !capture.forked && capture.output && getpid() == capture.pid)
        capture.output_paused = output_pause(capture.output);
}

static void after_fork_parent(void)
{
    if (capture.output_paused)
        capture.ticks = TICK_CALLS - 1;
}

static void after_fork_child(void)
{
    if (!capture.active)
        return;
    capture.forked = true;
    capture.output_paused = false;
    if (capture.heap) {
        heap_set_sink(capture.heap, NULL);
        heap_set_stack_hook(capture.heap, NULL);
    }
    capture.sink = (struct event_sink){0};
    if (capture.output)
        output_forget(capture.output);
    capture.cfg.status_fd = -1;
    capture.fork_unsaid = true;
    capture.program_started = false;
}

/* ---- the start -------------------------------------------------------------------------------- */

/* Takes our entry out of LD_PRELOAD and the request out of the environment: what the program
 * starts runs plain. */
static void scrub_environment(void)
{
    unsetenv(CAPTURE_ENV);
    const char *pre = getenv("LD_PRELOAD");
    if (!pre)
        return;
    char kept[PATH_MAX * 2] = "";
    size_t n = 0;
    for (const char *p = pre; *p;) {
        size_t len = strcspn(p, ": ");
        bool ours = len >= sizeof CAPTURE_LIBRARY - 1 &&
                    memcmp(p + len - (sizeof CAPTURE_LIBRARY - 1), CAPTURE_LIBRARY, sizeof CAPTURE_LIBRARY - 1) == 0;
        if (!ours && len > 0 && n + len + 2 < sizeof kept) {
            if (n)
                kept[n++] = ':';
            memcpy(kept + n, p, len);
            n += len;
            kept[n] = '\0';
        }
        p += len;
        while (*p == ':' || *p == ' ')
            p++;
    }
    if (n)
        setenv("LD_PRELOAD", kept, 1);
    else
        unsetenv("LD_PRELOAD");
}

static const char *profile_for(int minor)
{
    return minor == 8 ? "cpython-3.8" : minor == 9 ? "cpython-3.9" : "cpython-3.10";
}

static void fill_header(struct trace_header *h)
{
    memset(h, 0, sizeof *h);
    snprintf(h->writer, sizeof h->writer, "arenascope %s (capture)", ARENASCOPE_VERSION);
    snprintf(h->profile, sizeof h->profile, "%s", capture.profile.name);
    snprintf(h->arena_source, sizeof h->arena_source, "%s", capture.cfg.arena_source);
    h->alignment = capture.profile.alignment;
    h->threshold = capture.profile.threshold;
    h->pool_size = capture.profile.pool_size;
    h->arena_size = capture.profile.arena_size;
    h->pool_overhead = heap_profile_pool_overhead(&capture.profile);
    h->pointer_size = (uint32_t)sizeof(void *);
    h->keep_last_free_arena = capture.profile.keep_last_free_arena;
    h->arena_map_bits = capture.profile.arena_map_bits;
    snprintf(h->gc_profile, sizeof h->gc_profile, "%s", capture.gc.name);
    h->ngenerations = capture.gc.ngenerations < TRACE_MAX_GENERATIONS ? capture.gc.ngenerations : TRACE_MAX_GENERATIONS;
    for (uint32_t i = 0; i < h->ngenerations; i++) {
        snprintf(h->generation_names[i], sizeof h->generation_names[i], "%s", capture.gc.generation_names[i]);
        h->thresholds[i] = capture.gc.thresholds[i];
    }
    snprintf(h->command, sizeof h->command, "%s", capture.cfg.command);
    ssize_t n = readlink("/proc/self/exe", h->program, sizeof h->program - 1);
    h->program[n > 0 ? n : 0] = '\0';
    snprintf(h->program_version, sizeof h->program_version, "%s", capture.py.version);
}

static void install(int domain, void *(*m)(void *, size_t), void *(*c)(void *, size_t, size_t),
                    void *(*r)(void *, void *, size_t), void (*f)(void *, void *))
{
    struct py_allocator a = {(void *)(intptr_t)domain, m, c, r, f};
    capture.py.api.get_allocator(domain, &capture.reference[domain]);
    capture.py.api.set_allocator(domain, &a);
}

static void start_record(void)
{
    struct heap_arena_source src = strcmp(capture.cfg.arena_source, "aligned") == 0 ? heap_arena_source_aligned()
                                                                                  : heap_arena_source_mmap();
    char err[512];
    struct trace_header hdr;
    fill_header(&hdr);
    hdr.window = capture.cfg.window;
    if (trace_writer_open(&capture.writer, capture.cfg.trace, &hdr, err, sizeof err) < 0)
        refuse("%s", err);
    if (capture.cfg.live)
        trace_writer_set_thread(capture.writer, TRACE_WRITER_THREAD_NEVER);
    capture.sink = trace_writer_sink(capture.writer);
    /* a live viewer jumps through the model's checkpoints, and a capped trace's history starts
     * at the first one it keeps (docs/design.md) */
    if (capture.cfg.live && ckpt_tee_new(&capture.tee, capture.writer, &hdr) == 0)
        capture.sink = ckpt_tee_sink(capture.tee);
    if (heap_new(&capture.heap, &capture.profile, &src, &capture.sink) < 0)
        refuse("out of memory for the heap");
    heap_set_foreign_to_libc(capture.heap, true);
    /* The stack table also tells when the program's own code starts, with or without stacks. */
    if (capture.py.layout) {
        if (pystack_new(&capture.stacks, &capture.py, capture.cfg.depth, &capture.sink, sources_seen, NULL) < 0)
            refuse("out of memory for the stack table");
        if (capture.cfg.stacks != CAPTURE_STACKS_NONE) {
            capture.tool_stack = pystack_intern_label(capture.stacks, STACK_TOOL_FUNCTION);
            struct heap_stack_hook hook = {stack_hook, NULL};
            heap_set_stack_hook(capture.heap, &hook);
        }
    }
    capture.program_started = !capture.stacks; /* nothing tells when it starts */
    capture.output = output_start(capture.cfg.live ? on_idle : NULL, NULL, IDLE_MS);
    char label[256];
    snprintf(label, sizeof label,
             "Python %s starts up: it creates its own objects and imports its modules before the program's "
             "first line.",
             capture.py.version);
    capture_step(EV_STEP_STARTUP, 0, label);
    install(PY_DOMAIN_MEM, cap_malloc, cap_calloc, cap_realloc, cap_free);
    install(PY_DOMAIN_OBJ, cap_malloc, cap_calloc, cap_realloc, cap_free);
}

static void start_log(void)
{
    int fd = open(capture.cfg.log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || !(capture.log = fdopen(fd, "w")))
        refuse("%s: %s", capture.cfg.log, strerror(errno));
    setvbuf(capture.log, NULL, _IOFBF, 1 << 20);
    struct heap_arena_source aligned = heap_arena_source_aligned();
    arenas.inner_alloc = aligned.alloc;
    arenas.inner_free = aligned.free;
    /*
     * Both modes make the heap, REFERENCE without using it: its own memory comes from libc, and
     * the C heap must be laid out alike in both runs.  A program may depend on addresses (a
     * tuple's hash mixes the addresses of the objects in it; CPython's own enum and re modules
     * hash types that live in the C heap), and two runs with the same addresses (without ASLR:
     * setarch -R) then make the same calls.
     */
    struct heap_arena_source src = {log_arena_alloc, log_arena_free, NULL};
    if (heap_new(&capture.heap, &capture.profile, &src, NULL) < 0)
        refuse("out of memory for the heap");
    heap_set_foreign_to_libc(capture.heap, true);
    if (capture.cfg.mode == CAPTURE_REFERENCE) {
        capture.unused_heap = capture.heap;
        capture.heap = NULL;
        if (!capture.py.api.set_arena_allocator)
            refuse("this Python has no PyObject_SetArenaAllocator");
        struct py_arena_allocator a = {NULL, log_arena_alloc, log_arena_free};
        capture.py.api.set_arena_allocator(&a);
    }
    capture.program_started = true; /* a log has no steps */
    install(PY_DOMAIN_MEM, log_malloc, log_calloc, log_realloc, log_free);
    install(PY_DOMAIN_OBJ, log_malloc, log_calloc, log_realloc, log_free);
}

static void init(void) __attribute__((constructor));
static void init(void)
{
    const char *request = getenv(CAPTURE_ENV);
    if (!request)
        return;
    struct capture_config cfg;
    if (!capture_config_decode(request, &cfg) || cfg.pid != getpid())
        return; /* not the process the launcher started: a child of the program */
    if (!py_info_load(&capture.py))
        return; /* not Python (a shell script's shell): the interpreter it execs will load us */
    capture.cfg = cfg;
    capture.pid = getpid();
    scrub_environment();
    if (capture.cfg.status_fd >= 0)
        fcntl(capture.cfg.status_fd, F_SETFD, FD_CLOEXEC);
    if (capture.cfg.control_fd >= 0)
        fcntl(capture.cfg.control_fd, F_SETFD, FD_CLOEXEC);

    const struct py_info *py = &capture.py;
    if (py->major != 3 || py->minor < 8)
        refuse("Python %s: arenascope runs Python 3.8 to 3.13", py->version);
    if (py->free_threaded)
        refuse("Python %s is a free-threaded build: it does not use pymalloc, so there is no arena to show",
               py->version);
    if (py->debug)
        refuse("Python %s is a debug build: its debug hooks take the place of the allocator", py->version);
    if (!py->layout && capture.cfg.stacks == CAPTURE_STACKS_PYTHON)
        refuse("Python %s: arenascope reads the frames of Python 3.8 to 3.13 (try --stacks none)", py->version);
    char err[256];
    if (heap_profile_parse(profile_for(py->minor), &capture.profile, err, sizeof err) < 0)
        refuse("%s", err);
    if (gc_profile_parse(gc_profile_for_python(py->major, py->minor, py->micro), &capture.gc, err, sizeof err) < 0)
        refuse("%s", err);
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    char lib[PATH_MAX + 32];
    snprintf(lib, sizeof lib, "%s", exe);
    for (int up = 0; up < 2; up++) {
        char *slash = strrchr(lib, '/');
        if (slash)
            *slash = '\0';
    }
    size_t ll = strlen(lib);
    snprintf(lib + ll, sizeof lib - ll, "/lib/python3.%d", py->minor);
    if (!realpath(lib, capture.stdlib_dir))
        capture.stdlib_dir[0] = '\0';
    if (!capture.cfg.arena_source[0])
        snprintf(capture.cfg.arena_source, sizeof capture.cfg.arena_source, "mmap");

    if (capture.cfg.mode == CAPTURE_RECORD)
        start_record();
    else
        start_log();
    pacer_init(&capture.pacer, capture.cfg.control_fd, capture.cfg.status_fd, !capture.cfg.hold, capture.cfg.pace);
    capture.active = true;
    capture.last_flush_ns = now_ns();
    pthread_atfork(before_fork, after_fork_parent, after_fork_child);
    static const int crash[] = {SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT};
    for (size_t i = 0; i < sizeof crash / sizeof crash[0]; i++) {
        struct sigaction sa = {0};
        sa.sa_handler = on_crash;
        sa.sa_flags = (int)SA_RESETHAND;
        sigaction(crash[i], &sa, NULL);
    }
    capture_status("p %s %s\n", py->version, exe);
}
