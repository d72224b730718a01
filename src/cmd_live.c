#include "cli.h"
#include "commands.h"

static const struct cli_opt opts[] = {
    {0},
};

static int run(struct cli *c)
{
    return cli_error(c, 1, "not available in this build yet");
}

const struct cli_cmd cmd_live = {
    .name = "live",
    .args = "",
    .summary = "(to be written)",
    .opts = opts,
    .min_args = 0,
    .max_args = -1,
    .run = run,
};
