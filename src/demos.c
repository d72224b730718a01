/*
 * demos.c - the registry of built-in demos and the churn workload.
 *
 * A demo is a short script of Python steps run on the object runtime, mirroring its source
 * (demos/demo_NAME.py): each step marker's label says in one sentence what the next events show,
 * so that a class can step through it, and names the line of the source the step runs.
 * The demos live in src/demo_*.c; DEMO_LIST (demos.h) is their one list, in menu order, with
 * `tour` first because it is the default.
 */
#include "demos.h"

#include <string.h>

static const struct demo demos[] = {
#define X(id, name, summary) {name, summary, demo_run_##id},
    DEMO_LIST(X)
#undef X
};

size_t demo_count(void)
{
    return sizeof demos / sizeof demos[0];
}

const struct demo *demo_at(size_t i)
{
    return i < demo_count() ? &demos[i] : NULL;
}

const struct demo *demo_find(const char *name)
{
    for (size_t i = 0; i < demo_count(); i++)
        if (strcmp(demos[i].name, name) == 0)
            return &demos[i];
    return NULL;
}

const struct demo_source *demo_source_find(const char *name)
{
    for (size_t i = 0; i < demo_source_count; i++)
        if (strcmp(demo_sources[i].demo, name) == 0)
            return &demo_sources[i];
    return NULL;
}
