/*
 * manual.c - the manual page and the shell completions, written from the tables --help prints.
 *
 * `arenascope --man` writes arenascope(1) in roff: the synopsis of every command, its summary,
 * the paragraphs of its --help and its options from the command table (src/commands.c), and the
 * viewer's keys from the key table (ui/keys.h); `arenascope --completion bash|zsh` writes a
 * completion script from the same command table.  The build runs both to make the files
 * `meson install` puts in place, so a command or an option added to the table is in the manual
 * and the completions without another edit.
 *
 * A description is plain text with hard line breaks: a line that starts with two spaces is an
 * example (kept as it is, in a no-fill block); the others are filled into paragraphs, which a
 * blank line separates.
 */
#include "manual.h"

#include "cli.h"
#include "commands.h"
#include "version.h"

#include <ui/keys.h>

#include <stdio.h>
#include <string.h>

/* ---- roff ---------------------------------------------------------------------------------- */

/* Text for roff: a backslash doubled, a hyphen made a minus (options), and a leading dot or
 * quote escaped so that it does not start a request. */
static void roff_text(FILE *out, const char *s, size_t len, bool line_start)
{
    for (size_t i = 0; i < len; i++) {
        char ch = s[i];
        if (line_start && (ch == '.' || ch == '\''))
            fputs("\\&", out);
        line_start = false;
        if (ch == '\\')
            fputs("\\e", out);
        else if (ch == '-')
            fputs("\\-", out);
        else
            fputc(ch, out);
    }
}

static void roff_line(FILE *out, const char *s)
{
    roff_text(out, s, strlen(s), true);
    fputc('\n', out);
}

/* A description: paragraphs filled, example lines (two leading spaces) kept as they are. */
static void roff_description(FILE *out, const char *d)
{
    bool in_example = false, para = true;
    while (*d) {
        const char *nl = strchr(d, '\n');
        size_t len = nl ? (size_t)(nl - d) : strlen(d);
        bool example = len >= 2 && d[0] == ' ' && d[1] == ' ';
        if (len == 0) {
            if (in_example)
                fputs(".fi\n", out), in_example = false;
            para = true;
        } else if (example) {
            if (!in_example)
                fputs(".PP\n.nf\n", out), in_example = true;
            roff_text(out, d, len, true);
            fputc('\n', out);
            para = false;
        } else {
            if (in_example)
                fputs(".fi\n", out), in_example = false, para = true;
            if (para)
                fputs(".PP\n", out), para = false;
            roff_text(out, d, len, true);
            fputc('\n', out);
        }
        d += len + (nl ? 1 : 0);
    }
    if (in_example)
        fputs(".fi\n", out);
}

static void roff_option(FILE *out, const struct cli_opt *o)
{
    fputs(".TP\n", out);
    if (o->letter)
        fprintf(out, "\\fB\\-%c\\fR, ", o->letter);
    fputs("\\fB\\-\\-", out);
    roff_text(out, o->name, strlen(o->name), false);
    fputs("\\fR", out);
    if (o->metavar) {
        fputs(" \\fI", out);
        roff_text(out, o->metavar, strlen(o->metavar), false);
        fputs("\\fR", out);
    }
    fputc('\n', out);
    /* the help's own line breaks are the --help layout's: one paragraph here */
    for (const char *h = o->help; *h;) {
        const char *nl = strchr(h, '\n');
        size_t len = nl ? (size_t)(nl - h) : strlen(h);
        roff_text(out, h, len, true);
        fputc('\n', out);
        h += len + (nl ? 1 : 0);
    }
}

/* A command's usage line: its name, [OPTIONS] when it has some, its arguments. */
static void roff_usage(FILE *out, const struct cli_cmd *c)
{
    fprintf(out, ".B arenascope %s\n", c->name);
    if (c->opts && c->opts[0].name)
        fputs("[\\fIOPTIONS\\fR]\n", out);
    if (c->args && c->args[0]) {
        fputs(".I ", out);
        roff_line(out, c->args);
    }
}

void manual_write_man(FILE *out)
{
    fprintf(out, ".TH ARENASCOPE 1 \"\" \"arenascope %s\" \"User Commands\"\n", ARENASCOPE_VERSION);
    fputs(".SH NAME\narenascope \\- watch CPython's memory manager at work\n.SH SYNOPSIS\n", out);
    for (size_t i = 0; i < commands_count; i++) {
        roff_usage(out, commands[i]);
        fputs(".br\n", out);
    }
    fputs(".B arenascope \\-\\-man\n.br\n.B arenascope \\-\\-completion\n.I bash|zsh\n.SH DESCRIPTION\n", out);
    roff_description(out, "arenascope shows how CPython's memory manager works while it works: arenas, pools,\n"
                          "blocks, size classes, objects and their reference counts, and the cycle collector,\n"
                          "live or replayed from a trace file, step by step, forward and backward.  It runs\n"
                          "its own demos and workloads on a re-implementation of CPython's allocator and\n"
                          "collector, and real Python programs on that allocator inside the interpreter.\n"
                          "\n"
                          "Start with 'arenascope demo': a menu of guided demos you step through with the ] key.\n");
    fputs(".SH COMMANDS\n", out);
    for (size_t i = 0; i < commands_count; i++) {
        const struct cli_cmd *c = commands[i];
        fprintf(out, ".SS %s\n.PP\n", c->name);
        roff_usage(out, c);
        fputs(".PP\n", out);
        roff_line(out, c->summary);
        if (c->description)
            roff_description(out, c->description);
        if (c->more)
            roff_description(out, c->more);
        for (int k = 0; c->opts && c->opts[k].name; k++)
            roff_option(out, &c->opts[k]);
    }
    fputs(".SH KEYS\nThe viewer (demo, live, replay) takes these keys; ? shows them on screen.\n", out);
    for (int a = 1; a < UI_ACTION_COUNT; a++) {
        const struct ui_action_def *d = ui_action_def((enum ui_action)a);
        if (!d || !d->keys)
            continue;
        fputs(".TP\n.B ", out);
        roff_line(out, d->keys);
        roff_line(out, d->help);
    }
    fputs(".SH ENVIRONMENT\n"
          ".TP\n.B NO_COLOR\nwhen set, the viewer is monochrome, as with \\-\\-no\\-color.\n"
          ".TP\n.B TMPDIR\nwhere a live session keeps its trace while it runs.\n"
          ".TP\n.B ARENASCOPE_CAPTURE_LIBRARY\n"
          "the library preloaded into a Python program, instead of the one installed beside arenascope.\n"
          ".SH EXIT STATUS\n0 on success; 1 when the work failed (a damaged trace, a program that could not run);\n"
          "2 for a mistake on the command line; for record of a Python program, the program's own status.\n"
          ".SH FILES\n"
          ".TP\n.I share/arenascope/demos/\n"
          "the Python source of every demo, as \\fBarenascope demo \\-\\-source\\fR \\fINAME\\fR prints it.\n",
          out);
}

/* ---- completion ---------------------------------------------------------------------------- */

/* An option takes a file name when its argument is one. */
static bool takes_file(const struct cli_opt *o)
{
    return o->metavar && (strcmp(o->metavar, "FILE") == 0 || strcmp(o->metavar, "OUT") == 0 ||
                          strcmp(o->metavar, "PATH") == 0);
}

/* A command's options as bash words (--name and -l), all of them or those that take a file. */
static void bash_words(FILE *out, const struct cli_cmd *c, bool files_only)
{
    for (int k = 0; c->opts && c->opts[k].name; k++) {
        if (files_only && !takes_file(&c->opts[k]))
            continue;
        fprintf(out, "--%s ", c->opts[k].name);
        if (c->opts[k].letter)
            fprintf(out, "-%c ", c->opts[k].letter);
    }
}

/* The clauses of a script's `case` on the command's name: one a command, each its pattern, what
 * `clause` writes for the command, and the clause's end. */
static void write_cases(FILE *out, void (*clause)(FILE *out, const struct cli_cmd *c))
{
    for (size_t i = 0; i < commands_count; i++) {
        fprintf(out, "    %s)\n", commands[i]->name);
        clause(out, commands[i]);
        fputs("        ;;\n", out);
    }
}

/* bash: the command's options, and those after which a file name comes. */
static void bash_case(FILE *out, const struct cli_cmd *c)
{
    fputs("        opts='", out);
    bash_words(out, c, false);
    fputs("--help'\n        files='", out);
    bash_words(out, c, true);
    fputs("'\n", out);
}

static void write_bash(FILE *out)
{
    fputs("# bash completion for arenascope (written by arenascope --completion bash)\n"
          "_arenascope()\n{\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
          "    if [ \"$COMP_CWORD\" -eq 1 ]; then\n"
          "        COMPREPLY=($(compgen -W '",
          out);
    for (size_t i = 0; i < commands_count; i++)
        fprintf(out, "%s ", commands[i]->name);
    fputs("--help --version --man --completion' -- \"$cur\"))\n"
          "        return\n"
          "    fi\n"
          "    local opts files\n"
          "    case ${COMP_WORDS[1]} in\n",
          out);
    write_cases(out, bash_case);
    fputs("    --completion)\n"
          "        COMPREPLY=($(compgen -W 'bash zsh' -- \"$cur\"))\n"
          "        return\n"
          "        ;;\n"
          "    *)\n"
          "        return\n"
          "        ;;\n"
          "    esac\n"
          "    case \" $files \" in\n"
          "    *\" $prev \"*)\n"
          "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
          "        return\n"
          "        ;;\n"
          "    esac\n"
          "    if [ \"${cur#-}\" != \"$cur\" ]; then\n"
          "        COMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
          "    else\n"
          "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
          "    fi\n"
          "}\n"
          "complete -o filenames -F _arenascope arenascope\n",
          out);
}

/* A description for zsh's _arguments and _describe: ':' '[' ']' '\'' escaped, the first line. */
static void zsh_text(FILE *out, const char *s)
{
    for (; *s && *s != '\n'; s++) {
        if (*s == '\'')
            fputs("'\\''", out);
        else if (*s == ':' || *s == '[' || *s == ']' || *s == '\\')
            fprintf(out, "\\%c", *s);
        else
            fputc(*s, out);
    }
}

/* One option's line for _arguments: '--name[help]:METAVAR:action' \ */
static void zsh_option(FILE *out, const char *dashes, const char *name, const struct cli_opt *o)
{
    fprintf(out, "            '%s%s[", dashes, name);
    zsh_text(out, o->help);
    fputc(']', out);
    if (o->metavar)
        fprintf(out, ":%s:%s", o->metavar, takes_file(o) ? "_files" : " ");
    fputs("' \\\n", out);
}

/* zsh: _arguments with each of the command's options, --help, and files after them. */
static void zsh_case(FILE *out, const struct cli_cmd *c)
{
    fputs("        _arguments -s \\\n", out);
    for (int k = 0; c->opts && c->opts[k].name; k++) {
        zsh_option(out, "--", c->opts[k].name, &c->opts[k]);
        if (c->opts[k].letter) {
            char letter[2] = {c->opts[k].letter, '\0'};
            zsh_option(out, "-", letter, &c->opts[k]);
        }
    }
    fputs("            '--help[show the help and exit]' \\\n            '*:file:_files'\n", out);
}

static void write_zsh(FILE *out)
{
    fputs("#compdef arenascope\n# zsh completion for arenascope (written by arenascope --completion zsh)\n"
          "_arenascope() {\n"
          "    local -a commands\n"
          "    commands=(\n",
          out);
    for (size_t i = 0; i < commands_count; i++) {
        fprintf(out, "        '%s:", commands[i]->name);
        zsh_text(out, commands[i]->summary);
        fputs("'\n", out);
    }
    fputs("    )\n"
          "    if (( CURRENT == 2 )); then\n"
          "        _describe 'command' commands\n"
          "        return\n"
          "    fi\n"
          "    local cmd=$words[2]\n"
          "    shift words\n"
          "    (( CURRENT-- ))\n"
          "    case $cmd in\n",
          out);
    write_cases(out, zsh_case);
    fputs("    esac\n}\n_arenascope \"$@\"\n", out);
}

int manual_write_completion(FILE *out, const char *shell)
{
    if (strcmp(shell, "bash") == 0)
        write_bash(out);
    else if (strcmp(shell, "zsh") == 0)
        write_zsh(out);
    else
        return -1;
    return 0;
}
