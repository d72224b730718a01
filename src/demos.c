/*
 * demos.c - the built-in demos and the churn workload.  This placeholder holds no demo yet, so
 * that the program links while the object runtime is being written.
 */
#include "workload.h"

size_t demo_count(void)
{
    return 0;
}

const struct demo *demo_at(size_t i)
{
    (void)i;
    return NULL;
}

const struct demo *demo_find(const char *name)
{
    (void)name;
    return NULL;
}

void workload_churn(struct workload_env *env, uint64_t n)
{
    (void)env;
    (void)n;
}
