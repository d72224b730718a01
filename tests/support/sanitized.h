/*
 * sanitized.h - running the capture under a sanitized build.
 *
 * In an ASan+UBSan build the capture library is instrumented too, and a Python interpreter it is
 * preloaded into must have the sanitizers' runtimes loaded first (arenascope adds its library
 * after whatever LD_PRELOAD holds).  sanitized_env() finds the runtimes the given program links
 * (ldd) and, when there are any, puts them in LD_PRELOAD and turns leak detection off (an
 * interpreter does not free everything at exit).  In a plain build it does nothing.
 */
#ifndef TESTS_SUPPORT_SANITIZED_H
#define TESTS_SUPPORT_SANITIZED_H

#include <stdbool.h>

/* Returns true when the program is sanitized (and the environment was set for it). */
bool sanitized_env(const char *program);

#endif
