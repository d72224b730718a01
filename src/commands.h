/* commands.h - the subcommands of arenascope, one src/cmd_*.c file each. */
#ifndef SRC_COMMANDS_H
#define SRC_COMMANDS_H

#include "cli.h"

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
    X(pinned)                                                                                    \
    X(placements)

#define X(name) extern const struct cli_cmd cmd_##name;
COMMANDS(X)
#undef X

#endif
