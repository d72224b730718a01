/*
 * live_compare.c - `arenascope live --compare P1,P2 WORKLOAD`: one workload under two profiles,
 * side by side; `live --compare PY1,PY2 SCRIPT.py [ARGS]`: one script under two interpreters.
 *
 * The workload is recorded twice, in this process, into two temporary traces (each line of
 * progress on standard error), which then open in the side-by-side viewer (compare_view.h) and
 * are deleted when it quits.  P1 and P2 are allocator profiles when both are (heap_profile_parse:
 * cpython-3.8, cpython-3.10, classic, custom:...), else collector profiles when both are
 * (gc_profile_parse: cpython-3.13, legacy, NAME:T0,T1,...); gc:NAME makes a name the
 * collector's, as cpython-3.8 names both.  The other profile is -p's or --gc-profile's, the same
 * on both sides.
 *
 * Interpreters
 * ------------
 * A name with a slash, or that starts with "python", is an interpreter; every profile's name is
 * neither.  Both names must be of one kind.  An interpreter's name is looked for as the shell
 * would (PATH), and then among pyenv's installed versions ($PYENV_ROOT, else ~/.pyenv:
 * versions/<V>/bin/NAME, the newest first), since pyenv's shim for a version that is installed
 * but not selected does not run.  The first that runs says its version and its executable
 * (sys.executable, which is what runs then: the shim's target, a virtualenv's python); a version
 * the capture does not run (before 3.8, after 3.13, Python 2) is refused there, in one line that
 * names the interpreter.  Each program runs to its end into its trace, its output kept in the
 * trace (the Output pane), standard input /dev/null unless --stdin FILE, and each version gets
 * its own profiles, as `live -- PYTHON` does.
 */
#include "cli.h"
#include "commands.h"
#include "compare_view.h"
#include "live.h"
#include "program.h"
#include "recorder.h"
#include "workload.h"

#include <allocator/gc_profile.h>
#include <allocator/heap.h>
#include <tracer/model.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct compare_side {
    char profile[160];   /* the profile named, without gc: */
    struct gc_profile gc;
    char path[4096];
    char name[160];      /* the row over the side: "demo:x under cpython-3.8" */
    char python[PATH_MAX]; /* two interpreters: this side's executable, found */
    char version[32];      /* and its version, "3.8.18" */
};

/* Splits "P1,P2"; 0 or the usage error's status. */
static int split_pair(struct cli *c, const char *pair, char names[2][128])
{
    const char *comma = strchr(pair, ',');
    if (!comma || strchr(comma + 1, ',') || comma == pair || !comma[1])
        return cli_error(c, CLI_EXIT_USAGE,
                         "--compare: two profiles or two interpreters, P1,P2 (cpython-3.8,cpython-3.10 or "
                         "python3.8,python3.13), not '%s'",
                         pair);
    snprintf(names[0], 128, "%.*s", (int)(comma - pair), pair);
    snprintf(names[1], 128, "%s", comma + 1);
    return 0;
}

/* Decides which profiles the two names are; 0 or the usage error's status. */
static int parse_pair(struct cli *c, char names[2][128], struct compare_side side[2], bool *allocator)
{
    bool as_alloc = true, as_gc = true;
    char err[256];
    for (int i = 0; i < 2; i++) {
        struct heap_profile hp;
        const char *n = names[i];
        bool forced_gc = strncmp(n, "gc:", 3) == 0;
        as_alloc = as_alloc && !forced_gc && heap_profile_parse(n, &hp, err, sizeof err) == 0;
        as_gc = as_gc && gc_profile_parse(forced_gc ? n + 3 : n, &side[i].gc, err, sizeof err) == 0;
    }
    if (!as_alloc && !as_gc)
        return cli_error(c, CLI_EXIT_USAGE,
                         "--compare: '%s' and '%s' are neither both allocator profiles (see 'record --help': "
                         "-p) nor both collector profiles (--gc-profile)",
                         names[0], names[1]);
    *allocator = as_alloc;
    for (int i = 0; i < 2; i++)
        snprintf(side[i].profile, sizeof side[i].profile, "%.120s",
                 as_alloc ? names[i] : strncmp(names[i], "gc:", 3) == 0 ? names[i] + 3 : names[i]);
    return 0;
}


/* ---- interpreters ---------------------------------------------------------------------------- */

#define MAX_CANDIDATES 16
#define ASK_TIMEOUT_MS 10000

static bool names_interpreter(const char *name)
{
    return strchr(name, '/') || strncmp(name, "python", 6) == 0;
}

/* What an interpreter is asked: its version and the executable that runs (Python 2 answers too). */
static const char ask_version[] = "import sys\n"
                                  "sys.stdout.write('%d %d %d %s' % (sys.version_info[0], sys.version_info[1],\n"
                                  "                 sys.version_info[2], sys.executable))\n";

static bool is_executable_file(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0;
}

static int newest_first(const void *a, const void *b)
{
    return strverscmp(*(char *const *)b, *(char *const *)a);
}

/* The places `name` may be, in the order they are tried: itself (a path), else PATH's, then
 * pyenv's versions, newest first. */
static int candidates(const char *name, char cand[][PATH_MAX])
{
    int n = 0;
    if (strchr(name, '/')) {
        snprintf(cand[n], PATH_MAX, "%s", name);
        return is_executable_file(cand[n]) ? 1 : 0;
    }
    const char *env = getenv("PATH");
    for (const char *d = env ? env : ""; *d && n < MAX_CANDIDATES;) {
        size_t len = strcspn(d, ":");
        snprintf(cand[n], PATH_MAX, "%.*s/%s", (int)(len ? len : 1), len ? d : ".", name);
        if (is_executable_file(cand[n]))
            n++;
        d += len;
        if (*d)
            d++;
    }
    char root[PATH_MAX];
    const char *pyenv = getenv("PYENV_ROOT"), *home = getenv("HOME");
    if (pyenv && *pyenv)
        snprintf(root, sizeof root, "%s/versions", pyenv);
    else
        snprintf(root, sizeof root, "%s/.pyenv/versions", home ? home : "");
    DIR *dir = opendir(root);
    if (!dir)
        return n;
    char *versions[64];
    int nv = 0;
    for (struct dirent *e; (e = readdir(dir)) && nv < 64;)
        if (e->d_name[0] != '.' && (versions[nv] = strdup(e->d_name)))
            nv++;
    closedir(dir);
    qsort(versions, (size_t)nv, sizeof versions[0], newest_first);
    for (int i = 0; i < nv; i++) {
        if (n < MAX_CANDIDATES) {
            snprintf(cand[n], PATH_MAX, "%.2048s/%.128s/bin/%.128s", root, versions[i], name);
            if (is_executable_file(cand[n]))
                n++;
        }
        free(versions[i]);
    }
    return n;
}

/* Runs `path -c ask_version` and reads its answer: "3 8 18 /path"; false when it gave none. */
static bool ask(const char *path, char *answer, size_t len)
{
    int st = program_ask(path, path, ask_version, NULL, ASK_TIMEOUT_MS, answer, len);
    return st >= 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0 && answer[0];
}

/*
 * Finds the interpreter `name` names (see the essay): its executable in path and its version,
 * "3.8.18".  -1 with one line naming it when none runs, or when the capture does not run its
 * version.
 */
static int find_python(const char *name, char *path, size_t len, char *version, size_t vlen, char *err,
                       size_t errlen)
{
    static char cand[MAX_CANDIDATES][PATH_MAX];
    int n = candidates(name, cand);
    if (n == 0)
        return cli_fail(err, errlen, strchr(name, '/') ? "%s: no such executable file"
                                                       : "%s: not found on PATH nor among pyenv's versions",
                        name);
    char answer[PATH_MAX + 64];
    for (int i = 0; i < n; i++) {
        int major, minor, micro, used = 0;
        if (!ask(cand[i], answer, sizeof answer) ||
            sscanf(answer, "%d %d %d %n", &major, &minor, &micro, &used) < 3)
            continue;
        snprintf(version, vlen, "%d.%d.%d", major, minor, micro);
        if (major != 3 || minor < 8 || minor > 13)
            return cli_fail(err, errlen, "%s: Python %s: the capture supports Python 3.8 to 3.13", name, version);
        const char *exe = used ? answer + used : "";
        snprintf(path, len, "%.4000s", *exe && is_executable_file(exe) ? exe : cand[i]);
        return 0;
    }
    return cli_fail(err, errlen, "%s: %s does not run as a Python interpreter%s", name, cand[0],
                    strstr(cand[0], "/shims/") ? " (pyenv has no such version installed)" : "");
}

/* Records spec into side->path; 0 or 1 after saying why. */
static int record_side(struct cli *c, const char *spec, struct compare_side *side, const struct recorder_options *base,
                       char letter)
{
    struct recorder_options o = *base;
    o.path = side->path;
    char err[512];
    if (recorder_check_options(&o, err, sizeof err) < 0)
        return cli_error(c, CLI_EXIT_USAGE, "%s", err);
    struct workload *w = workload_prepare(spec, err, sizeof err);
    if (!w)
        return cli_error(c, strncmp(spec, "ops:", 4) == 0 ? 1 : CLI_EXIT_USAGE, "%s", err);
    fprintf(stderr, "%s: recording %c, %s ...", cli_program, letter, side->name);
    fflush(stderr);
    struct recorder *r = NULL;
    int status = 1;
    if (recorder_open(&r, &o, workload_needs_runtime(w), err, sizeof err) < 0 ||
        recorder_run(r, w, err, sizeof err) < 0 || recorder_finish(r, err, sizeof err) < 0) {
        fputc('\n', stderr);
        cli_error(c, 1, "%s", err);
    } else if (model_build_checkpoints(side->path, NULL, NULL, err, sizeof err) < 0) {
        fputc('\n', stderr);
        cli_error(c, 1, "%s: indexing the trace: %s", side->path, err);
    } else {
        fprintf(stderr, " %" PRIu64 " events\n", recorder_event_count(r));
        status = 0;
    }
    recorder_free(r);
    workload_free(w);
    return status;
}


/* ---- the pair: recorded into a temporary folder, viewed, deleted ----------------------------- */

/* Whether the viewer will find a terminal (as the curses backend looks for one): asked before
 * the two recordings, which are no use without it. */
static bool have_terminal(void)
{
    if (isatty(STDIN_FILENO) && isatty(STDOUT_FILENO))
        return true;
    int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return false;
    close(fd);
    return true;
}

/* The folder of the two traces, once the request is known good and a terminal is there. */
static int make_folder(struct cli *c, char *dir, size_t len)
{
    if (!have_terminal())
        return cli_error(c, 1, "no terminal to draw on (the screenshot command renders without one)");
    const char *tmp = getenv("TMPDIR") && getenv("TMPDIR")[0] ? getenv("TMPDIR") : "/tmp";
    snprintf(dir, len, "%s/arenascope-compare-XXXXXX", tmp);
    if (!mkdtemp(dir))
        return cli_error(c, 1, "%s: cannot make a temporary folder", dir);
    return 0;
}

static bool compare_is_step(void *ctx, const struct event *ev)
{
    (void)ctx;
    return ev->kind == EV_STEP;
}

/* Where a program's own code begins: the end of the step that says so (its first line ahead);
 * 0 when the trace has no such step. */
static uint64_t program_start(struct seeker *s)
{
    uint64_t at, next;
    struct event ev;
    char str[64];
    for (uint64_t from = 0; seeker_scan(s, from, true, compare_is_step, NULL, &at) == 1; from = at + 1)
        if (seeker_events(s, at, &ev, 1, str, sizeof str) == 1 && ev.u.step.kind == EV_STEP_PROGRAM)
            return seeker_scan(s, at + 1, true, compare_is_step, NULL, &next) == 1 ? next : seeker_event_count(s);
    return 0;
}

/* When status is 0, opens the two traces side by side (a program's at its own code's start),
 * until q; then deletes them and their folder.  Returns the exit status. */
static int view_and_clean(struct cli *c, int status, struct compare_side side[2], const char *dir,
                          const char *shown, bool programs)
{
    if (!status) {
        struct compare_pair p;
        status = compare_open(c, side[0].path, side[1].path, "step:0", &p);
        if (!status) {
            for (int i = 0; i < 2 && programs; i++)
                p.pos[i] = program_start(p.s[i]);
            for (int i = 0; i < 2; i++)
                p.names[i] = programs ? side[i].name : shown;
            status = compare_view_run(c, &p);
            compare_close(&p);
        }
    }
    for (int i = 0; i < 2; i++)
        if (side[i].path[0])
            unlink(side[i].path);
    rmdir(dir);
    return status;
}

/* ---- two interpreters ------------------------------------------------------------------------ */

/* Runs the program under side->python into side->path and indexes it; 0, or the exit status
 * after saying why.  What the program itself returns is said, not an error: its trace shows it. */
static int record_program(struct cli *c, struct compare_side *side, const char *cmdline, char letter,
                          const char *shown)
{
    struct program_spec ps;
    char err[1024];
    if (program_prepare_with(&ps, c, side->python, err, sizeof err) < 0) {
        program_spec_release(&ps);
        return cli_error(c, CLI_EXIT_USAGE, "%s", err);
    }
    if (program_check_syntax(&ps, err, sizeof err) < 0) {
        program_spec_release(&ps);
        return cli_error(c, 1, "%s: %s", side->profile, err);
    }
    ps.cfg.mode = CAPTURE_RECORD;
    if (cli_value(c, "arena-source"))
        snprintf(ps.cfg.arena_source, sizeof ps.cfg.arena_source, "%s", cli_value(c, "arena-source"));
    snprintf(ps.cfg.trace, sizeof ps.cfg.trace, "%s", side->path);
    snprintf(ps.cfg.command, sizeof ps.cfg.command, "%s", cmdline);
    fprintf(stderr, "%s: recording %c, %s under %s (%s) ...", cli_program, letter, shown, side->name, side->version);
    fflush(stderr);
    int status_read = -1, ws = 0, status = 1;
    bool refused = false;
    char version[32];
    pid_t pid = program_spawn(&ps, true, -1, -1, -1, &status_read, err, sizeof err);
    if (pid < 0) {
        fputc('\n', stderr);
        cli_error(c, 1, "%s", err);
        goto out_spec;
    }
    if (program_await(status_read, pid, side->profile, 0, version, sizeof version, &refused, err, sizeof err) < 0) {
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        fputc('\n', stderr);
        status = cli_error(c, refused ? CLI_EXIT_USAGE : 1, "%s", err);
        goto out_pipe;
    }
    while (waitpid(pid, &ws, 0) < 0 && errno == EINTR)
        ;
    char words[128];
    program_exit_status(ws, words, sizeof words);
    struct seeker *sk = NULL;
    if (model_build_checkpoints(side->path, NULL, NULL, err, sizeof err) < 0 ||
        seeker_open(&sk, side->path, 0, err, sizeof err) < 0) {
        fputc('\n', stderr);
        cli_error(c, 1, "%s: indexing the trace: %s", side->path, err);
        goto out_pipe;
    }
    fprintf(stderr, " %" PRIu64 " events%s%s\n", seeker_event_count(sk), words[0] ? "; " : "", words);
    seeker_free(sk);
    status = 0;
out_pipe:
    close(status_read);
out_spec:
    program_spec_release(&ps);
    return status;
}

static int compare_programs(struct cli *c, char names[2][128])
{
    if (c->program < 0)
        return cli_error(c, CLI_EXIT_USAGE,
                         "--compare %s,%s: a Python script to run under both (SCRIPT.py [ARGS] or -- ARGS), not the "
                         "workload '%s'",
                         names[0], names[1], c->args[0]);
    const char *first = c->args[c->program];
    if (!c->program_is_script && names_interpreter(first) && !strstr(first, ".py"))
        return cli_error(c, CLI_EXIT_USAGE,
                         "--compare names the interpreters: after -- come their arguments (x.py, -m module), not '%s'",
                         first);
    static const char *const alone[] = {"record", "run", "pace", "max-trace-size", "profile", "gc-profile"};
    for (size_t i = 0; i < sizeof alone / sizeof alone[0]; i++)
        if (cli_value(c, alone[i]) || cli_flag(c, alone[i]))
            return cli_error(c, CLI_EXIT_USAGE, "--%s does not go with --compare of two interpreters%s", alone[i],
                             i >= 4 ? ": each has its version's profiles" : "");
    if (cli_value(c, "stdin") && strcmp(cli_value(c, "stdin"), "-") == 0)
        return cli_error(c, CLI_EXIT_USAGE, "--stdin -: the program runs twice; give a FILE both read");
    const char *source = cli_value(c, "arena-source");
    if (source && strcmp(source, "mmap") != 0 && strcmp(source, "aligned") != 0)
        return cli_error(c, CLI_EXIT_USAGE, "--arena-source: unknown source '%s' (expected mmap or aligned)", source);
    struct compare_side side[2];
    memset(side, 0, sizeof side);
    char err[1024];
    for (int i = 0; i < 2; i++) {
        if (find_python(names[i], side[i].python, sizeof side[i].python, side[i].version, sizeof side[i].version, err,
                        sizeof err) < 0)
            return cli_error(c, CLI_EXIT_USAGE, "%s", err);
        snprintf(side[i].profile, sizeof side[i].profile, "%.120s", names[i]);
        const char *py = strrchr(names[i], '/'); /* the row over it adds the version */
        snprintf(side[i].name, sizeof side[i].name, "%.100s", py ? py + 1 : names[i]);
    }
    char dir[2048];
    if (make_folder(c, dir, sizeof dir))
        return 1;
    char cmdline[512];
    size_t n = (size_t)snprintf(cmdline, sizeof cmdline, "%s live --compare %s,%s", cli_program, names[0], names[1]);
    for (int i = c->program; i < c->nargs && n < sizeof cmdline; i++)
        n += (size_t)snprintf(cmdline + n, sizeof cmdline - n, " %s", c->args[i]);
    const char *base = strrchr(first, '/');
    int status = 0;
    for (int i = 0; i < 2 && !status; i++) {
        snprintf(side[i].path, sizeof side[i].path, "%s/%c.trace", dir, 'A' + i);
        status = record_program(c, &side[i], cmdline, (char)('A' + i), base ? base + 1 : first);
    }
    return view_and_clean(c, status, side, dir, base ? base + 1 : first, true);
}

int live_compare_run(struct cli *c)
{
    char names[2][128];
    int status = split_pair(c, cli_value(c, "compare"), names);
    if (status)
        return status;
    bool python[2] = {names_interpreter(names[0]), names_interpreter(names[1])};
    if (python[0] != python[1])
        return cli_error(c, CLI_EXIT_USAGE,
                         "--compare: '%s' is an interpreter and '%s' a profile: name two interpreters or two profiles",
                         names[python[0] ? 0 : 1], names[python[0] ? 1 : 0]);
    if (python[0])
        return compare_programs(c, names);
    const char *spec = c->args[0];
    if (c->program >= 0)
        return cli_error(c, CLI_EXIT_USAGE,
                         "--compare: profiles compare a workload (demo:NAME, ops:PATH, churn[:N]); a Python program "
                         "is compared under two interpreters: --compare python3.8,python3.13 %s",
                         c->args[c->program]);
    static const char *const alone[] = {"record", "run", "pace", "max-trace-size", "stdin", "step-lines", "step-files"};
    for (size_t i = 0; i < sizeof alone / sizeof alone[0]; i++)
        if (cli_value(c, alone[i]) || cli_flag(c, alone[i]))
            return cli_error(c, CLI_EXIT_USAGE, "--%s does not go with --compare", alone[i]);
    struct compare_side side[2];
    memset(side, 0, sizeof side);
    bool allocator = false;
    status = parse_pair(c, names, side, &allocator);
    if (status)
        return status;
    if (allocator ? cli_value(c, "profile") != NULL : cli_value(c, "gc-profile") != NULL)
        return cli_error(c, CLI_EXIT_USAGE, "--compare names the %s profiles: %s does not go with it",
                         allocator ? "allocator" : "collector", allocator ? "-p" : "--gc-profile");
    struct gc_profile gc = *gc_profile_default();
    char err[256];
    if (cli_value(c, "gc-profile") && gc_profile_parse(cli_value(c, "gc-profile"), &gc, err, sizeof err) < 0)
        return cli_error(c, CLI_EXIT_USAGE, "%s", err);
    bool stacks;
    unsigned depth;
    status = recorder_stack_options(c, &stacks, &depth);
    if (status)
        return status;

    char dir[2048];
    if (make_folder(c, dir, sizeof dir))
        return 1;
    char cmdline[512];
    snprintf(cmdline, sizeof cmdline, "%s live --compare %s %s", cli_program, cli_value(c, "compare"), spec);
    status = 0;
    for (int i = 0; i < 2 && !status; i++) {
        struct compare_side *s = &side[i];
        snprintf(s->path, sizeof s->path, "%s/%c.trace", dir, 'A' + i);
        snprintf(s->name, sizeof s->name, "%.60s under %.60s", spec, allocator ? s->profile : s->gc.name);
        struct recorder_options o = {
            .gc = allocator ? &gc : &s->gc,
            .profile = allocator ? s->profile : cli_value(c, "profile"),
            .arena_source = cli_value(c, "arena-source"),
            .stacks = stacks,
            .stack_depth = depth,
            .command = cmdline,
        };
        status = record_side(c, spec, s, &o, (char)('A' + i));
    }
    return view_and_clean(c, status, side, dir, spec, false);
}
