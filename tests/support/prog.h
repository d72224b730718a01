/* prog.h - the arenascope program run as a user runs it: $ARENASCOPE with arguments, its
 * standard output and error kept in scratch files and read back whole. */
#ifndef TESTS_SUPPORT_PROG_H
#define TESTS_SUPPORT_PROG_H

#include <stddef.h>

struct prog_result {
    int status;        /* its exit status */
    char *out, *err;   /* what it wrote, NUL-terminated */
    size_t out_len, err_len;
    size_t maxrss_kb;  /* its peak resident memory */
};

/* Runs $ARENASCOPE with the NULL-terminated arguments (at most 62); fails the test when the
 * program cannot be run or dies of a signal. */
struct prog_result prog_run(const char *const *argv);
void prog_result_release(struct prog_result *r);

/* A whole file as a NUL-terminated string of *len bytes (len may be NULL); fails the test when
 * it cannot be read. */
char *prog_read_file(const char *path, size_t *len);

#endif
