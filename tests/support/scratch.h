/* scratch.h - a scratch directory for a test executable's files, removed when it exits. */
#ifndef TESTS_SUPPORT_SCRATCH_H
#define TESTS_SUPPORT_SCRATCH_H

/* The directory, made under $TMPDIR (or /tmp) on first use. */
const char *scratch_dir(void);
/* scratch_dir()/name, in a buffer that stays valid for the next 63 calls. */
const char *scratch_path(const char *name);

#endif
