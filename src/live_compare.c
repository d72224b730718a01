/*
 * live_compare.c - `arenascope live --compare P1,P2 WORKLOAD`: one workload under two profiles,
 * side by side.
 *
 * The workload is recorded twice, in this process, into two temporary traces (each line of
 * progress on standard error), which then open in the side-by-side viewer (compare_view.h) and
 * are deleted when it quits.  P1 and P2 are allocator profiles when both are (heap_profile_parse:
 * cpython-3.8, cpython-3.10, classic, custom:...), else collector profiles when both are
 * (gc_profile_parse: cpython-3.13, legacy, NAME:T0,T1,...); gc:NAME makes a name the
 * collector's, as cpython-3.8 names both.  The other profile is -p's or --gc-profile's, the same
 * on both sides.
 */
#include "cli.h"
#include "commands.h"
#include "compare_view.h"
#include "live.h"
#include "recorder.h"
#include "workload.h"

#include <allocator/gc_profile.h>
#include <allocator/heap.h>
#include <tracer/model.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct compare_side {
    char profile[160];   /* the profile named, without gc: */
    struct gc_profile gc;
    char path[4096];
    char name[160];      /* the row over the side: "demo:x under cpython-3.8" */
};

/* Splits "P1,P2" and decides which profiles they are; 0 or the usage error's status. */
static int parse_pair(struct cli *c, const char *pair, struct compare_side side[2], bool *allocator)
{
    const char *comma = strchr(pair, ',');
    if (!comma || strchr(comma + 1, ','))
        return cli_error(c, CLI_EXIT_USAGE, "--compare: two profiles, P1,P2 (cpython-3.8,cpython-3.10), not '%s'",
                         pair);
    char names[2][128];
    snprintf(names[0], sizeof names[0], "%.*s", (int)(comma - pair), pair);
    snprintf(names[1], sizeof names[1], "%s", comma + 1);
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

int live_compare_run(struct cli *c)
{
    const char *spec = c->args[0];
    if (c->program >= 0)
        return cli_error(c, CLI_EXIT_USAGE, "--compare: a workload (demo:NAME, ops:PATH, churn[:N]), not a Python program");
    static const char *const alone[] = {"record", "run", "pace", "max-trace-size", "stdin", "step-lines", "step-files"};
    for (size_t i = 0; i < sizeof alone / sizeof alone[0]; i++)
        if (cli_value(c, alone[i]) || cli_flag(c, alone[i]))
            return cli_error(c, CLI_EXIT_USAGE, "--%s does not go with --compare", alone[i]);
    struct compare_side side[2];
    memset(side, 0, sizeof side);
    bool allocator = false;
    int status = parse_pair(c, cli_value(c, "compare"), side, &allocator);
    if (status)
        return status;
    if (allocator ? cli_value(c, "profile") != NULL : cli_value(c, "gc-profile") != NULL)
        return cli_error(c, CLI_EXIT_USAGE, "--compare names the %s profiles: %s does not go with it",
                         allocator ? "allocator" : "collector", allocator ? "-p" : "--gc-profile");
    struct gc_profile gc = *gc_profile_default();
    char err[256];
    if (cli_value(c, "gc-profile") && gc_profile_parse(cli_value(c, "gc-profile"), &gc, err, sizeof err) < 0)
        return cli_error(c, CLI_EXIT_USAGE, "%s", err);
    const char *stacks = cli_value(c, "stacks");
    if (stacks && strcmp(stacks, "c") != 0 && strcmp(stacks, "none") != 0)
        return cli_error(c, CLI_EXIT_USAGE, "--stacks: a workload takes c or none, not '%s'", stacks);

    const char *tmp = getenv("TMPDIR") && getenv("TMPDIR")[0] ? getenv("TMPDIR") : "/tmp";
    char dir[2048];
    snprintf(dir, sizeof dir, "%s/arenascope-compare-XXXXXX", tmp);
    if (!mkdtemp(dir))
        return cli_error(c, 1, "%s: cannot make a temporary folder", dir);
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
            .stacks = stacks && strcmp(stacks, "c") == 0,
            .command = cmdline,
        };
        status = record_side(c, spec, s, &o, (char)('A' + i));
    }
    if (!status) {
        struct compare_pair p;
        status = compare_open(c, side[0].path, side[1].path, "step:0", &p);
        if (!status) {
            p.names[0] = spec;
            p.names[1] = spec;
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
