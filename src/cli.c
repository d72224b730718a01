#include "cli.h"

#include <allocator/errmsg.h>

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *cli_program = "arenascope";

/* Bytes a terminal would act on are spelled out: C0 controls but the tab, DEL, the C1 controls
 * (U+0080..U+009F) and bytes that are not UTF-8 become \xHH; the rest is copied. */
void cli_write_shown(FILE *f, const char *s, size_t n)
{
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        size_t len = c < 0x80 ? 1 : c >= 0xc2 && c < 0xe0 ? 2 : c >= 0xe0 && c < 0xf0 ? 3 : c >= 0xf0 && c < 0xf5 ? 4 : 0;
        bool ok = len > 0 && i + len <= n;
        for (size_t k = 1; ok && k < len; k++)
            ok = ((unsigned char)s[i + k] & 0xc0) == 0x80;
        if (ok && len == 1)
            ok = (c >= 0x20 || c == '\t') && c != 0x7f;
        if (ok && len == 2)
            ok = c != 0xc2 || (unsigned char)s[i + 1] >= 0xa0;
        if (ok && len == 3) /* no overlong forms, no surrogates */
            ok = (c != 0xe0 || (unsigned char)s[i + 1] >= 0xa0) && (c != 0xed || (unsigned char)s[i + 1] < 0xa0);
        if (ok && len == 4)
            ok = (c != 0xf0 || (unsigned char)s[i + 1] >= 0x90) && (c != 0xf4 || (unsigned char)s[i + 1] < 0x90);
        if (ok) {
            fwrite(s + i, 1, len, f);
            i += len;
        } else {
            fprintf(f, "\\x%02x", c);
            i++;
        }
    }
}

void cli_put_shown(FILE *f, const char *s)
{
    cli_write_shown(f, s, strlen(s));
}

const char *cli_shown(const char *s, char *buf, size_t len)
{
    FILE *f = fmemopen(buf, len, "w");
    if (!f) {
        snprintf(buf, len, "?");
        return buf;
    }
    setvbuf(f, NULL, _IONBF, 0);
    cli_put_shown(f, s);
    fclose(f); /* a text longer than buf is cut; fmemopen ends it with a null byte */
    buf[len - 1] = '\0';
    return buf;
}

static int find_long(const struct cli_cmd *cmd, const char *name, size_t len)
{
    for (int i = 0; cmd->opts && cmd->opts[i].name; i++)
        if (strlen(cmd->opts[i].name) == len && memcmp(cmd->opts[i].name, name, len) == 0)
            return i;
    return -1;
}

static int find_short(const struct cli_cmd *cmd, char letter)
{
    for (int i = 0; cmd->opts && cmd->opts[i].name; i++)
        if (cmd->opts[i].letter == letter)
            return i;
    return -1;
}

static int usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static int usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
    va_list ap;
    char msg[2048];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s: ", cli_program, cmd->name);
    cli_put_shown(stderr, msg);
    fprintf(stderr, " (see '%s %s --help')\n", cli_program, cmd->name);
    return CLI_EXIT_USAGE;
}

void cli_print_help(const struct cli_cmd *cmd)
{
    printf("usage: %s %s%s%s%s\n", cli_program, cmd->name, cmd->opts && cmd->opts[0].name ? " [OPTIONS]" : "",
           cmd->args && cmd->args[0] ? " " : "", cmd->args ? cmd->args : "");
    printf("\n%s\n", cmd->summary);
    if (cmd->description)
        printf("\n%s", cmd->description);
    if (cmd->more)
        printf("%s", cmd->more);
    printf("\noptions:\n");
    for (int i = 0; cmd->opts && cmd->opts[i].name; i++) {
        const struct cli_opt *o = &cmd->opts[i];
        char left[64];
        int n = 0;
        if (o->letter)
            n = snprintf(left, sizeof left, "-%c, ", o->letter);
        else
            n = snprintf(left, sizeof left, "    ");
        snprintf(left + n, sizeof left - (size_t)n, "--%s%s%s", o->name, o->metavar ? " " : "",
                 o->metavar ? o->metavar : "");
        /* a help of several lines goes on under its first */
        printf("  %-24s ", left);
        for (const char *h = o->help; *h; h++)
            if (*h == '\n')
                printf("\n%27s", "");
            else
                putchar(*h);
        putchar('\n');
    }
    printf("  %-24s %s\n", "-h, --help", "show this help and exit");
}

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct cli *out, bool *done)
{
    memset(out, 0, sizeof *out);
    out->cmd = cmd;
    out->program = -1;
    *done = false;
    bool only_args = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_args || a[0] != '-' || a[1] == '\0') {
            if (out->nargs == CLI_MAX_ARGS) {
                *done = true;
                return usage_error(cmd, "more than %d arguments", CLI_MAX_ARGS);
            }
            size_t len = strlen(a);
            if (cmd->takes_program && out->nargs == 0 && !only_args && len > 3 && strcmp(a + len - 3, ".py") == 0) {
                /* a script: it and whatever follows are the program's */
                out->program = 0;
                out->program_is_script = true;
                only_args = true;
            }
            out->args[out->nargs++] = a;
            continue;
        }
        if (strcmp(a, "--") == 0) {
            only_args = true;
            if (cmd->takes_program && out->program < 0)
                out->program = out->nargs;
            continue;
        }
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            cli_print_help(cmd);
            *done = true;
            return 0;
        }
        int idx;
        const char *value = NULL;
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            idx = find_long(cmd, name, len);
            if (idx < 0) {
                *done = true;
                return usage_error(cmd, "unknown option --%.*s", (int)len, name);
            }
            if (eq) {
                if (!cmd->opts[idx].metavar) {
                    *done = true;
                    return usage_error(cmd, "--%s takes no value", cmd->opts[idx].name);
                }
                value = eq + 1;
            }
        } else {
            if (a[2] != '\0' && find_short(cmd, a[1]) >= 0 && cmd->opts[find_short(cmd, a[1])].metavar) {
                idx = find_short(cmd, a[1]);
                value = a + 2;
            } else if (a[2] != '\0') {
                *done = true;
                return usage_error(cmd, "unknown option %s", a);
            } else {
                idx = find_short(cmd, a[1]);
            }
            if (idx < 0) {
                *done = true;
                return usage_error(cmd, "unknown option -%c", a[1]);
            }
        }
        const struct cli_opt *o = &cmd->opts[idx];
        if (o->metavar && !value) {
            if (i + 1 >= argc) {
                *done = true;
                return usage_error(cmd, "--%s needs a value (%s)", o->name, o->metavar);
            }
            value = argv[++i];
        }
        out->values[idx] = o->metavar ? value : "";
    }
    if (out->nargs < cmd->min_args || (out->program >= 0 && out->program == out->nargs)) {
        *done = true;
        return usage_error(cmd, "missing %s", out->program >= 0 ? "the program after --"
                                              : cmd->args && cmd->args[0] ? cmd->args : "argument");
    }
    if (out->program >= 0 && out->program > 0) {
        *done = true;
        return usage_error(cmd, "unexpected argument '%s' before --", out->args[0]);
    }
    if (cmd->max_args >= 0 && out->nargs > cmd->max_args && out->program < 0) {
        *done = true;
        return usage_error(cmd, "unexpected argument '%s'", out->args[cmd->max_args]);
    }
    return 0;
}

const char *cli_value(const struct cli *c, const char *name)
{
    int idx = find_long(c->cmd, name, strlen(name));
    return idx < 0 ? NULL : c->values[idx];
}

bool cli_flag(const struct cli *c, const char *name)
{
    return cli_value(c, name) != NULL;
}

bool cli_parse_uint(const char *s, bool sizes, uint64_t *out)
{
    if (!s || !*s || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s)
        return false;
    uint64_t mul = 1;
    if (sizes && *end) {
        switch (*end) {
        case 'k': case 'K': mul = 1ull << 10; break;
        case 'm': case 'M': mul = 1ull << 20; break;
        case 'g': case 'G': mul = 1ull << 30; break;
        default: return false;
        }
        end++;
        if (*end == 'i' || *end == 'B')
            end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
    }
    if (*end)
        return false;
    if (v > UINT64_MAX / mul)
        return false;
    *out = (uint64_t)v * mul;
    return true;
}

int cli_uint(const struct cli *c, const char *name, uint64_t def, bool sizes, uint64_t *out)
{
    const char *v = cli_value(c, name);
    if (!v) {
        *out = def;
        return 0;
    }
    if (!cli_parse_uint(v, sizes, out))
        return usage_error(c->cmd, "--%s: not a%s number: '%s'", name, sizes ? " size or" : "n unsigned", v);
    return 0;
}

int cli_fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    errmsg_vformat(err, errlen, NULL, fmt, ap);
    va_end(ap);
    return -1;
}

int cli_error(const struct cli *c, int status, const char *fmt, ...)
{
    va_list ap;
    char msg[2048];
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s %s: ", cli_program, c->cmd->name);
    cli_put_shown(stderr, msg); /* its texts may come from a file: a trace's, a script's line */
    fputc('\n', stderr);
    return status;
}

bool cli_parse_screen_size(const char *s, int min_c, int max_c, int min_r, int max_r, int *cols, int *rows)
{
    char *end;
    long c = strtol(s, &end, 10);
    if (end == s || (*end != 'x' && *end != 'X'))
        return false;
    const char *r = end + 1;
    long ro = strtol(r, &end, 10);
    if (end == r || *end || c < min_c || c > max_c || ro < min_r || ro > max_r)
        return false;
    *cols = (int)c;
    *rows = (int)ro;
    return true;
}
