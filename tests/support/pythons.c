/* pythons.c - the real interpreters the tests compare with (pythons.h). */
#include "pythons.h"

#include <glob.h>
#include <stdio.h>
#include <stdlib.h>

bool pythons_pyenv(const char *version, char *out, size_t len)
{
    const char *root = getenv("PYENV_ROOT"), *home = getenv("HOME");
    char pattern[4096];
    if (root)
        snprintf(pattern, sizeof pattern, "%s/versions/%s.*/bin/python%s", root, version, version);
    else
        snprintf(pattern, sizeof pattern, "%s/.pyenv/versions/%s.*/bin/python%s", home ? home : "/root", version,
                 version);
    glob_t g;
    if (glob(pattern, 0, NULL, &g) != 0)
        return false;
    snprintf(out, len, "%s", g.gl_pathv[g.gl_pathc - 1]);
    globfree(&g);
    return true;
}
