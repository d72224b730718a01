/* pythons.h - the real interpreters the tests compare with: /usr/bin's and pyenv's. */
#ifndef TESTS_SUPPORT_PYTHONS_H
#define TESTS_SUPPORT_PYTHONS_H

#include <stdbool.h>
#include <stddef.h>

/* pyenv's newest pythonX.Y for version "X.Y" ($(pyenv root): PYENV_ROOT, else ~/.pyenv) into
 * out; false when none is installed. */
bool pythons_pyenv(const char *version, char *out, size_t len);

#endif
