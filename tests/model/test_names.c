/*
 * test_names.c - a real program's names at each line, against what the program itself prints.
 *
 * A script binds a few names and, on lines of their own, prints id(), sys.getrefcount() and
 * sys.getsizeof() of each.  It is recorded by the built program (meson passes its path in
 * ARENASCOPE) under every interpreter of the machine; at the step marker of each such line the
 * model's snapshot of the names must give the same address, the count that getrefcount prints
 * less the one its argument holds, and the same size.  The references between the named
 * objects must be the ones the script made.
 */
#include "scratch.h"

#include <tracer/model.h>
#include <tracer/trace.h>

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static const char script[] = "import sys\n"
                             "a = [1, 2, 3]\n"
                             "b = a\n"
                             "s = 'x' * 40\n"
                             "d = {'k': a, 'n': 3.25}\n"
                             "t = (a, s)\n"
                             "def f(x):\n"
                             "    y = [x, x]\n"
                             "    print('y', id(y), sys.getrefcount(y), sys.getsizeof(y))\n"
                             "    return len(y)\n"
                             "print('a', id(a), sys.getrefcount(a), sys.getsizeof(a))\n"
                             "print('s', id(s), sys.getrefcount(s), sys.getsizeof(s))\n"
                             "print('d', id(d), sys.getrefcount(d), sys.getsizeof(d))\n"
                             "print('t', id(t), sys.getrefcount(t), sys.getsizeof(t))\n"
                             "n = f(a)\n";

struct interp {
    const char *label;
    char path[512];
};

static void interpreters(struct interp *out, size_t *n)
{
    *n = 0;
    if (access("/usr/bin/python3.11", X_OK) == 0) {
        out[*n].label = "3.11 (Debian)";
        snprintf(out[(*n)++].path, sizeof out[0].path, "/usr/bin/python3.11");
    }
    const char *root = getenv("PYENV_ROOT");
    char home[256];
    if (!root || !*root) {
        snprintf(home, sizeof home, "%s/.pyenv", getenv("HOME") ? getenv("HOME") : "/root");
        root = home;
    }
    static const char *const versions[] = {"3.8", "3.9", "3.10", "3.11", "3.12", "3.13"};
    for (size_t v = 0; v < sizeof versions / sizeof versions[0]; v++) {
        char cmd[600];
        snprintf(cmd, sizeof cmd, "ls -d %s/versions/%s.* 2>/dev/null | grep -v t$ | head -1", root, versions[v]);
        FILE *p = popen(cmd, "r");
        char dir[400] = "";
        if (p && fgets(dir, sizeof dir, p))
            dir[strcspn(dir, "\n")] = '\0';
        if (p)
            pclose(p);
        if (!dir[0])
            continue;
        out[*n].label = versions[v];
        snprintf(out[*n].path, sizeof out[0].path, "%s/bin/python%s", dir, versions[v]);
        if (access(out[*n].path, X_OK) == 0)
            (*n)++;
    }
}

static int run(const char *const *argv)
{
    pid_t pid = fork();
    cr_assert_geq(pid, 0);
    if (pid == 0) {
        freopen("/dev/null", "w", stdout);
        execv(argv[0], (char *const *)argv);
        _exit(127);
    }
    int st;
    cr_assert_eq(waitpid(pid, &st, 0), pid);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* The print event of the line `name ...` after position `from`: its numbers. */
struct printed {
    uint64_t id, refcount, size;
};

static bool find_print(struct seeker *s, uint64_t from, const char *name, struct printed *out)
{
    struct event evs[64];
    char str[8192];
    int n = seeker_events(s, from, evs, 64, str, sizeof str);
    for (int i = 0; i < n; i++) {
        if (evs[i].kind == EV_STEP)
            return false; /* the next line */
        if (evs[i].kind != EV_PRINT)
            continue;
        char line[256];
        snprintf(line, sizeof line, "%.*s", (int)evs[i].str_len, evs[i].str);
        char who[16];
        if (sscanf(line, "%15s %" SCNu64 " %" SCNu64 " %" SCNu64, who, &out->id, &out->refcount, &out->size) == 4 &&
            strcmp(who, name) == 0)
            return true;
    }
    return false;
}

/* A line step whose line prints. */
static bool prints_line(void *ctx, const struct event *ev)
{
    (void)ctx;
    return ev->kind == EV_STEP && ev->u.step.kind == EV_STEP_LINE && memmem(ev->str, ev->str_len, "print(", 6);
}

static const struct model_snap_name *named(const struct model_snap_name *names, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (names[i].name_len == strlen(name) && memcmp(names[i].name, name, names[i].name_len) == 0)
            return &names[i];
    return NULL;
}

static bool refers(const struct model_snap_ref *refs, size_t n, uint64_t from, uint64_t to, uint32_t count)
{
    for (size_t i = 0; i < n; i++)
        if (refs[i].from == from && refs[i].to == to)
            return refs[i].count == count;
    return false;
}

Test(names, the_snapshot_of_each_line_is_what_the_script_prints, .timeout = 300)
{
    const char *bin = getenv("ARENASCOPE");
    cr_assert_not_null(bin, "ARENASCOPE names the program");
    const char *py = scratch_path("names.py");
    FILE *f = fopen(py, "w");
    fputs(script, f);
    fclose(f);
    struct interp in[8];
    size_t nin;
    interpreters(in, &nin);
    cr_assert_gt(nin, 0, "no Python 3.8 to 3.13 on this machine");
    for (size_t k = 0; k < nin; k++) {
        char trace[512];
        snprintf(trace, sizeof trace, "%s", scratch_path("names.trace"));
        const char *argv[] = {bin, "record", "-o", trace, "--", in[k].path, py, NULL};
        cr_assert_eq(run(argv), 0, "%s: record failed", in[k].label);
        struct seeker *s;
        char err[512];
        cr_assert_eq(seeker_open(&s, trace, 0, err, sizeof err), 0, "%s", err);
        int checked = 0;
        uint64_t count = seeker_event_count(s);
        for (uint64_t at = 0; at < count;) {
            uint64_t found;
            if (seeker_scan(s, at, true, prints_line, NULL, &found) != 1)
                break;
            at = found + 1;
            struct event ev[1];
            char str[1024];
            cr_assert_eq(seeker_events(s, found, ev, 1, str, sizeof str), 1);
            char who[2] = {0};
            const char *p = memmem(ev[0].str, ev[0].str_len, "print('", 7);
            cr_assert_not_null(p);
            who[0] = p[7];
            /* the model right after the snapshot: before the line's own events */
            uint64_t pos = found + 1;
            struct event next[MODEL_SNAP_NAMES * 4];
            char nstr[65536];
            int nn = seeker_events(s, pos, next, MODEL_SNAP_NAMES * 4, nstr, sizeof nstr);
            while (pos - found - 1 < (uint64_t)nn &&
                   (next[pos - found - 1].kind == EV_SNAP_NAME || next[pos - found - 1].kind == EV_SNAP_REF ||
                    next[pos - found - 1].kind == EV_TYPE_NEW || next[pos - found - 1].kind == EV_BLOCK_ALLOC ||
                    next[pos - found - 1].kind == EV_BLOCK_FREE))
                pos++;
            cr_assert_eq(seeker_seek(s, pos), 0, "%s", seeker_error(s));
            const struct model *m = seeker_model(s);
            struct model_snap_name names[MODEL_SNAP_NAMES];
            size_t nnames = model_snap_names(m, false, names, MODEL_SNAP_NAMES);
            struct printed pr;
            cr_assert(find_print(s, pos, who, &pr), "%s: no print of %s after its line", in[k].label, who);
            const struct model_snap_name *x = named(names, nnames, who);
            cr_assert_not_null(x, "%s: %s is not among the line's names", in[k].label, who);
            cr_assert_eq(x->obj, pr.id, "%s: %s at 0x%" PRIx64 ", id() says 0x%" PRIx64, in[k].label, who, x->obj,
                         pr.id);
            /* getrefcount's argument is one more reference, but for an immortal object (3.12+),
             * whose count never changes */
            bool immortal = (x->flags & EV_SNAP_IMMORTAL) && (uint32_t)x->refcnt == UINT32_MAX;
            cr_assert_eq(x->refcnt + (immortal ? 0 : 1), pr.refcount,
                         "%s: %s has %" PRIu64 " references, getrefcount says %" PRIu64, in[k].label, who, x->refcnt,
                         pr.refcount);
            cr_assert_eq(x->size, pr.size, "%s: %s of %" PRIu64 " bytes, getsizeof says %" PRIu64, in[k].label, who,
                         x->size, pr.size);
            /* the references the script made, among the named objects */
            struct model_snap_ref refs[MODEL_SNAP_REFS];
            size_t nrefs = model_snap_refs(m, refs, MODEL_SNAP_REFS);
            const struct model_snap_name *a = named(names, nnames, "a"), *sn = named(names, nnames, "s"),
                                         *d = named(names, nnames, "d"), *t = named(names, nnames, "t");
            cr_assert(a && sn && d && t, "%s: the module's names are all there", in[k].label);
            cr_assert(refers(refs, nrefs, d->obj, a->obj, 1), "%s: d refers to a", in[k].label);
            cr_assert(refers(refs, nrefs, t->obj, a->obj, 1) && refers(refs, nrefs, t->obj, sn->obj, 1),
                      "%s: t refers to a and s", in[k].label);
            if (who[0] == 'y')
                cr_assert(refers(refs, nrefs, x->obj, a->obj, 2), "%s: y refers to a twice", in[k].label);
            checked++;
        }
        cr_assert_eq(checked, 5, "%s: five lines print (%d checked)", in[k].label, checked);
        seeker_free(s);
        unlink(trace);
        cr_log_info("%s: the names of 5 lines agree with what the script printed", in[k].label);
    }
}

/* Objects put in each generation by the collector itself, then frozen, then unfrozen; with the
 * collector off, so that nothing moves between a line that asks gc.get_objects(generation=N)
 * and gc.is_tracked where each object is and the next line, which prints it: the snapshot of
 * that line is taken before it runs. */
static const char gens_script[] = "import gc\n"
                                  "gc.disable()\n"
                                  "old = [1, 2]\n"
                                  "atoms = (1, 2)\n"
                                  "gc.collect()\n"
                                  "mid = {'k': [3]}\n"
                                  "gc.collect(0)\n"
                                  "young = [4]\n"
                                  "s = 'text'\n"
                                  "def where(o):\n"
                                  "    if not gc.is_tracked(o):\n"
                                  "        return '-'\n"
                                  "    for g in range(3):\n"
                                  "        if id(o) in set(map(id, gc.get_objects(generation=g))):\n"
                                  "            return 'g%d' % g\n"
                                  "    return 'perm'\n"
                                  "names = ['old', 'atoms', 'mid', 'young', 's']\n"
                                  "r = ' '.join([n + '=' + where(globals()[n]) for n in names])\n"
                                  "print('gens', r)\n"
                                  "gc.freeze()\n"
                                  "after = [5]\n"
                                  "names.append('after')\n"
                                  "r = ' '.join([n + '=' + where(globals()[n]) for n in names])\n"
                                  "print('gens', r)\n"
                                  "gc.unfreeze()\n"
                                  "gc.collect(1)\n"
                                  "r = ' '.join([n + '=' + where(globals()[n]) for n in names])\n"
                                  "print('gens', r)\n";

#define GEN_WORD(name, word, text) [EV_##name] = word,
static const char *const gen_words[] = {EV_SNAP_GENS(GEN_WORD)};
#undef GEN_WORD

/* What the script prints for an object, from the snapshot: its generation's word, or "-". */
static const char *snapshot_gen(const struct model_snap_name *x)
{
    if (!(x->flags & EV_SNAP_TRACKED))
        return "-";
    return x->gen < EV_SNAP_GEN_COUNT ? gen_words[x->gen] : "?";
}

Test(names, each_named_object_is_in_the_generation_the_collector_says, .timeout = 300)
{
    const char *bin = getenv("ARENASCOPE");
    cr_assert_not_null(bin, "ARENASCOPE names the program");
    const char *py = scratch_path("gens.py");
    FILE *f = fopen(py, "w");
    fputs(gens_script, f);
    fclose(f);
    struct interp in[8];
    size_t nin;
    interpreters(in, &nin);
    cr_assert_gt(nin, 0, "no Python 3.8 to 3.13 on this machine");
    for (size_t k = 0; k < nin; k++) {
        char trace[512];
        snprintf(trace, sizeof trace, "%s", scratch_path("gens.trace"));
        const char *argv[] = {bin, "record", "-o", trace, "--", in[k].path, py, NULL};
        cr_assert_eq(run(argv), 0, "%s: record failed", in[k].label);
        struct seeker *s;
        char err[512];
        cr_assert_eq(seeker_open(&s, trace, 0, err, sizeof err), 0, "%s", err);
        int lines = 0, compared = 0;
        uint64_t count = seeker_event_count(s);
        for (uint64_t at = 0; at < count;) {
            uint64_t found;
            if (seeker_scan(s, at, true, prints_line, NULL, &found) != 1)
                break;
            at = found + 1;
            /* the line's events up to the next step marker: its print, where the model holds the
             * line's snapshot */
            struct event evs[4096];
            static char str[1 << 20];
            int n = seeker_events(s, found + 1, evs, 4096, str, sizeof str);
            for (int i = 0; i < n && evs[i].kind != EV_STEP; i++) {
                if (evs[i].kind != EV_PRINT || evs[i].str_len < 5 || memcmp(evs[i].str, "gens ", 5) != 0)
                    continue;
                cr_assert_eq(seeker_seek(s, evs[i].seq), 0, "%s", seeker_error(s));
                struct model_snap_name names[MODEL_SNAP_NAMES];
                size_t nnames = model_snap_names(seeker_model(s), false, names, MODEL_SNAP_NAMES);
                char line[512];
                snprintf(line, sizeof line, "%.*s", (int)evs[i].str_len - 5, evs[i].str + 5);
                char *save = NULL;
                for (char *w = strtok_r(line, " \n", &save); w; w = strtok_r(NULL, " \n", &save)) {
                    char *eq = strchr(w, '=');
                    cr_assert_not_null(eq);
                    *eq = '\0';
                    const struct model_snap_name *x = named(names, nnames, w);
                    cr_assert_not_null(x, "%s: %s is not among the line's names", in[k].label, w);
                    cr_assert_str_eq(snapshot_gen(x), eq + 1, "%s: line %d: %s is in %s, the collector says %s",
                                     in[k].label, lines + 1, w, snapshot_gen(x), eq + 1);
                    compared++;
                }
                lines++;
            }
        }
        cr_assert_eq(lines, 3, "%s: three lines print the generations (%d found)", in[k].label, lines);
        cr_assert_eq(compared, 17, "%s: 17 generations compared (%d)", in[k].label, compared);
        seeker_free(s);
        unlink(trace);
        cr_log_info("%s: %d generations agree with gc.get_objects", in[k].label, compared);
    }
}

/* ---- arenascope's own blocks ------------------------------------------------------------------ */

/* A block of the trace: its address and whether it is arenascope's, from the events alone. */
struct tool_block {
    uint64_t addr;
    bool raw, tool;
};

Test(names, the_blocks_counted_as_arenascopes_are_those_the_events_give_it, .timeout = 300)
{
    const char *bin = getenv("ARENASCOPE");
    cr_assert_not_null(bin, "ARENASCOPE names the program");
    const char *py = scratch_path("tool.py");
    FILE *f = fopen(py, "w");
    fputs(script, f);
    fclose(f);
    struct interp in[8];
    size_t nin;
    interpreters(in, &nin);
    cr_assert_gt(nin, 0, "no Python 3.8 to 3.13 on this machine");
    for (size_t k = 0; k < nin; k++) {
        char trace[512];
        snprintf(trace, sizeof trace, "%s", scratch_path("tool.trace"));
        const char *argv[] = {bin, "record", "-o", trace, "--", in[k].path, py, NULL};
        cr_assert_eq(run(argv), 0, "%s: record failed", in[k].label);
        struct seeker *s;
        char err[512];
        cr_assert_eq(seeker_open(&s, trace, 0, err, sizeof err), 0, "%s", err);
        /* the stack whose one frame is "<arenascope>", the blocks allocated with it or handed
         * over by block_tool, up to the step marker where the program's own code ends */
        uint64_t tool_stack = 0, end = 0, count = seeker_event_count(s);
        static struct tool_block live[1 << 18];
        size_t nlive = 0;
        static struct event evs[4096];
        static char str[1 << 20];
        for (uint64_t seq = 0; seq < count && !end;) {
            int n = seeker_events(s, seq, evs, 4096, str, sizeof str);
            cr_assert_gt(n, 0);
            for (int i = 0; i < n && !end; i++) {
                const struct event *ev = &evs[i];
                uint64_t addr = 0, stack = 0;
                bool raw = false, alloc = false, freed = false;
                if (ev->kind == EV_STACK_DEF) {
                    if (!tool_stack && ev->u.stack_def.depth == 1 && ev->u.stack_def.frame == 1)
                        tool_stack = ev->u.stack_def.id; /* checked below against frame 1's text */
                } else if (ev->kind == EV_BLOCK_ALLOC) {
                    addr = ev->u.block_alloc.addr, stack = ev->u.block_alloc.stack, alloc = true;
                } else if (ev->kind == EV_RAW_ALLOC) {
                    addr = ev->u.raw_alloc.addr, stack = ev->u.raw_alloc.stack, alloc = raw = true;
                } else if (ev->kind == EV_BLOCK_FREE) {
                    addr = ev->u.block_free.addr, freed = true;
                } else if (ev->kind == EV_RAW_FREE) {
                    addr = ev->u.raw_free.addr, freed = raw = true;
                } else if (ev->kind == EV_RAW_REALLOC) {
                    for (size_t j = 0; j < nlive; j++)
                        if (live[j].raw && live[j].addr == ev->u.raw_realloc.old)
                            live[j].addr = ev->u.raw_realloc.addr;
                } else if (ev->kind == EV_BLOCK_TOOL) {
                    for (size_t j = 0; j < nlive; j++)
                        if (live[j].addr == ev->u.block_tool.addr)
                            live[j].tool = true;
                } else if (ev->kind == EV_STEP && ev->u.step.kind == EV_STEP_END) {
                    end = ev->seq;
                }
                if (alloc) {
                    cr_assert_lt(nlive, sizeof live / sizeof live[0]);
                    live[nlive++] = (struct tool_block){addr, raw, stack && stack == tool_stack};
                } else if (freed) {
                    for (size_t j = 0; j < nlive; j++)
                        if (live[j].addr == addr && live[j].raw == raw) {
                            live[j] = live[--nlive];
                            break;
                        }
                }
            }
            seq += (uint64_t)n;
        }
        cr_assert_gt(end, 0, "%s: the program's end is marked", in[k].label);
        uint64_t blocks = 0, raws = 0;
        for (size_t j = 0; j < nlive; j++)
            if (live[j].tool)
                *(live[j].raw ? &raws : &blocks) += 1;
        cr_assert_eq(seeker_seek(s, end), 0, "%s", seeker_error(s));
        const struct model *m = seeker_model(s);
        const char *text;
        size_t len;
        cr_assert(model_frame_text(m, 1, &text, &len) && len >= 13 && memcmp(text, "<arenascope>\t", 13) == 0,
                  "%s: frame 1 is arenascope's", in[k].label);
        cr_assert_eq(model_tool_stack(m), tool_stack, "%s: the model finds stack %" PRIu64, in[k].label, tool_stack);
        struct model_tool_usage u;
        model_tool_usage(m, &u);
        cr_assert_gt(blocks, 0, "%s: the capture holds blocks of its own", in[k].label);
        cr_assert_eq(u.blocks, blocks, "%s: %" PRIu64 " blocks arenascope's, the events give it %" PRIu64, in[k].label,
                     u.blocks, blocks);
        cr_assert_eq(u.raw_blocks, raws, "%s: %" PRIu64 " raw blocks arenascope's, the events %" PRIu64, in[k].label,
                     u.raw_blocks, raws);
        /* the program's figures leave them out: the totals, and the timeline's memory in use at
         * the end, which the recording's post-pass summarised */
        struct model_totals all, prog;
        model_totals(m, &all);
        model_program_totals(m, &prog);
        cr_assert_eq(prog.blocks, all.blocks - u.blocks, "%s", in[k].label);
        cr_assert_eq(prog.block_bytes + prog.raw_bytes, all.block_bytes + all.raw_bytes - u.block_bytes - u.raw_bytes,
                     "%s", in[k].label);
        cr_assert_eq(seeker_seek(s, seeker_event_count(s)), 0, "%s", seeker_error(s)); /* after the last */
        m = seeker_model(s);
        model_program_totals(m, &prog);
        const struct model_summary *sum = seeker_summary(s);
        cr_assert_gt(sum->nsamples, 0, "%s", in[k].label);
        cr_assert_eq(sum->samples[sum->nsamples - 1].bytes_end, prog.block_bytes + prog.raw_bytes,
                     "%s: the timeline ends at %" PRIu64 " bytes, the program holds %" PRIu64, in[k].label,
                     sum->samples[sum->nsamples - 1].bytes_end, prog.block_bytes + prog.raw_bytes);
        cr_assert_eq(seeker_seek(s, end), 0, "%s", seeker_error(s));
        char verr[256]; /* the validator recounts arenascope's blocks too */
        cr_assert(model_is_valid(seeker_model(s), verr, sizeof verr), "%s: %s", in[k].label, verr);
        /* and stats says so, at that position */
        char cmd[1200], line[4096] = "";
        snprintf(cmd, sizeof cmd, "'%s' stats --json --at %" PRIu64 " '%s'", bin, end - 1, trace);
        FILE *p = popen(cmd, "r");
        cr_assert_not_null(p);
        size_t got = fread(line, 1, sizeof line - 1, p);
        line[got] = '\0';
        cr_assert_eq(pclose(p), 0, "%s: %s failed", in[k].label, cmd);
        char want[160];
        snprintf(want, sizeof want, "\"arenascope\":{\"blocks\":%" PRIu64 ",", blocks);
        cr_assert_not_null(strstr(line, want), "%s: stats --json says %s, not %s", in[k].label, line, want);
        cr_log_info("%s: %" PRIu64 " blocks and %" PRIu64 " raw ones are arenascope's when the program ends",
                    in[k].label, blocks, raws);
        seeker_free(s);
        unlink(trace);
    }
}
