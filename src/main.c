/*
 * main.c - arenascope's entry point: finds the subcommand and hands it its arguments.
 */
#include "cli.h"
#include "commands.h"
#include "manual.h"
#include "version.h"

#include <stdio.h>
#include <string.h>

static void print_help(FILE *out)
{
    fprintf(out,
            "usage: %s COMMAND [OPTIONS] [ARGS]\n"
            "\n"
            "arenascope shows how CPython's memory manager works while it works: arenas, pools,\n"
            "blocks, size classes, objects and their reference counts, and the cycle collector,\n"
            "live or replayed from a trace file, step by step, forward and backward.\n"
            "\n"
            "commands:\n",
            cli_program);
    for (size_t i = 0; i < commands_count; i++)
        fprintf(out, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
    fprintf(out,
            "\n"
            "  %s COMMAND --help   shows a command's options\n"
            "  %s --version        prints the version\n"
            "  %s --man            prints the manual page (roff, as installed: man arenascope)\n"
            "  %s --completion SH  prints the completion script for bash or zsh\n"
            "\n"
            "Start with '%s demo': a menu of guided demos you step through with the ] key.\n",
            cli_program, cli_program, cli_program, cli_program, cli_program);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return CLI_EXIT_USAGE;
    }
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        if (argc > 2) {
            const struct cli_cmd *cmd = commands_find(argv[2]);
            if (cmd) {
                cli_print_help(cmd);
                return 0;
            }
            fprintf(stderr, "%s: unknown command '%s' (see '%s --help')\n", cli_program, argv[2], cli_program);
            return CLI_EXIT_USAGE;
        }
        print_help(stdout);
        return 0;
    }
    if (strcmp(name, "--man") == 0) {
        manual_write_man(stdout);
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (strcmp(name, "--completion") == 0) {
        if (argc != 3 || manual_write_completion(stdout, argv[2]) < 0) {
            fprintf(stderr, "%s: --completion takes bash or zsh\n", cli_program);
            return CLI_EXIT_USAGE;
        }
        return fflush(stdout) == 0 ? 0 : 1;
    }
    if (strcmp(name, "--version") == 0 || strcmp(name, "-V") == 0) {
        printf("%s %s\n", cli_program, ARENASCOPE_VERSION);
        return 0;
    }
    const struct cli_cmd *cmd = commands_find(name);
    if (cmd) {
        struct cli c;
        bool done;
        int status = cli_parse(cmd, argc - 1, argv + 1, &c, &done);
        if (!done)
            status = cmd->run(&c);
        return status;
    }
    if (name[0] == '-')
        fprintf(stderr, "%s: unknown option '%s' (see '%s --help')\n", cli_program, name, cli_program);
    else
        fprintf(stderr, "%s: unknown command '%s' (see '%s --help')\n", cli_program, name, cli_program);
    return CLI_EXIT_USAGE;
}
