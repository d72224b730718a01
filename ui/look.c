/*
 * look.c - colours or not, UTF-8 or ASCII: what the environment asks for (term.h).
 *
 * NO_COLOR (https://no-color.org: present and not empty) and --no-color turn colours off;
 * TERM=dumb (or no TERM) turns them off, selects ASCII and the plain backend, which prints whole
 * frames because such a terminal cannot move its cursor; a locale whose codeset is not UTF-8
 * selects ASCII, as does the Linux console, whose fonts lack most of the glyphs.
 */
#include <ui/term.h>

#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

void ui_look_from_env(struct ui_look *out, bool no_color, bool ascii)
{
    setlocale(LC_CTYPE, "");
    const char *term = getenv("TERM");
    const char *nc = getenv("NO_COLOR");
    bool dumb = !term || !*term || strcmp(term, "dumb") == 0;
    bool utf8 = strcmp(nl_langinfo(CODESET), "UTF-8") == 0;
    out->color = !no_color && !(nc && *nc) && !dumb;
    out->ascii = ascii || dumb || !utf8 || (term && strcmp(term, "linux") == 0);
    out->mouse = !dumb;
    out->plain = dumb;
}

int ui_term_open(struct ui_term *out, const struct ui_look *look, char *err, size_t errlen)
{
    if (look->plain)
        return ui_term_plain_open(out);
    return ui_term_curses_open(out, look, err, errlen);
}

void ui_term_close(struct ui_term *t)
{
    ui_term_curses_close(t); /* nothing to do for the plain backend, or a second time */
}
