#include "scratch.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>

static char scratch[256];

static void scratch_remove(void)
{
    char cmd[300];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", scratch);
}

const char *scratch_dir(void)
{
    if (!scratch[0]) {
        const char *t = getenv("TMPDIR");
        snprintf(scratch, sizeof scratch, "%s/arenascope-test-XXXXXX", t && *t ? t : "/tmp");
        cr_assert(mkdtemp(scratch), "mkdtemp");
        atexit(scratch_remove);
    }
    return scratch;
}

const char *scratch_path(const char *name)
{
    static char bufs[64][512];
    static unsigned next;
    char *b = bufs[next++ % 64];
    snprintf(b, 512, "%s/%s", scratch_dir(), name);
    return b;
}
