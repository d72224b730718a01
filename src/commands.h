/*
 * commands.h - the subcommands of arenascope: their options and help in one table
 * (src/commands.c), and each one's work in its own src/cmd_NAME.c, as cmd_NAME_run().
 */
#ifndef SRC_COMMANDS_H
#define SRC_COMMANDS_H

#include "cli.h"

#include <stddef.h>

#define COMMANDS(X)                                                                              \
    X(demo)                                                                                      \
    X(live)                                                                                      \
    X(replay)                                                                                    \
    X(record)                                                                                    \
    X(screenshot)                                                                                \
    X(info)                                                                                      \
    X(dump)                                                                                      \
    X(stats)                                                                                     \
    X(check)                                                                                     \
    X(diff)                                                                                      \
    X(pinned)                                                                                    \
    X(export)                                                                                    \
    X(placements)

/* cmd_NAME is the command's entry in the table; cmd_NAME_run() does its work on a parsed
 * command line and returns the exit status (after printing any error, through cli_error). */
#define X(name)                                                                                  \
    extern const struct cli_cmd cmd_##name;                                                      \
    int cmd_##name##_run(struct cli *c);
COMMANDS(X)
#undef X

/* Every command, in the order of `arenascope --help`. */
extern const struct cli_cmd *const commands[];
extern const size_t commands_count;

/* The command called `name`, or NULL. */
const struct cli_cmd *commands_find(const char *name);

#endif
