/*
 * manual.h - arenascope(1) and the shell completions, written from the command and key tables.
 */
#ifndef SRC_MANUAL_H
#define SRC_MANUAL_H

#include <stdio.h>

/* The manual page, in roff. */
void manual_write_man(FILE *out);
/* A completion script for "bash" or "zsh"; -1 for another shell. */
int manual_write_completion(FILE *out, const char *shell);

#endif
