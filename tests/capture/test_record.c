/*
 * record on a real program, under every interpreter: the trace it writes and what the commands
 * say of it, checked against the interpreter and the program themselves.
 *
 * inventory.py keeps objects, prints their id() (and, for bytes objects, which are not tracked
 * by the collector and so start their block, sys.getsizeof(): the size asked of the allocator)
 * and exits with the status it is given.  The test then requires:
 *   - record exits with the program's status, as a plain run of the program does;
 *   - check finds the trace whole;
 *   - info names the interpreter (its path with links resolved, its version as it says it) and
 *     the profile of that version (3.8: cpython-3.8, 3.9: cpython-3.9, 3.10 to 3.13:
 *     cpython-3.10);
 *   - stats counts as many arenas allocated as the trace has arena_new events;
 *   - at the program's end (the event before the step that says Python shuts down) each printed
 *     bytes object is a live block at its id() of its getsizeof() bytes, and each printed
 *     instance lies in a live block;
 *   - pinned, at that point, names the script's lines that made the kept objects.
 */
#include "prog.h"
#include "pythons.h"
#include "scratch.h"

#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct record_case {
    char python[16];
};

ParameterizedTestParameters(record, inventory)
{
    static struct record_case cases[] = {{"3.8"}, {"3.9"}, {"3.10"}, {"3.11"}, {"3.12"}, {"3.13"}, {"debian-3.11"}};
    return cr_make_param_array(struct record_case, cases, sizeof cases / sizeof cases[0]);
}

static const char *profile_of(int minor)
{
    return minor == 8 ? "cpython-3.8" : minor == 9 ? "cpython-3.9" : "cpython-3.10";
}

/* The printed line that starts with `word`, after it; fails the test when there is none. */
static const char *printed(const char *out, const char *word)
{
    size_t wl = strlen(word);
    size_t len;
    for (const char *p = out; (p = line_next(p, &len)); p += len + (p[len] == '\n'))
        if (len > wl && memcmp(p, word, wl) == 0 && p[wl] == ' ')
            return p + wl + 1;
    cr_assert_fail("the program printed no '%s' line: %s", word, out);
    return NULL;
}

/* Where an address stands at event `until`: the live block holding it (start and size), if any. */
struct holder {
    unsigned long long want; /* the address */
    bool exact;              /* the block must start there */
    unsigned long long base, size;
};

static void holders_find(const char *dump, unsigned long long until, struct holder *hs, size_t n)
{
    size_t len;
    for (const char *p = dump; (p = line_next(p, &len)); p += len + (p[len] == '\n')) {
        unsigned long long seq = strtoull(p, NULL, 10);
        if (seq > until)
            break;
        const char *kind = memchr(p, ' ', len);
        if (!kind)
            continue;
        kind++;
        bool alloc = strncmp(kind, "block_alloc ", 12) == 0 || strncmp(kind, "raw_alloc ", 10) == 0;
        bool freed = strncmp(kind, "block_free ", 11) == 0 || strncmp(kind, "raw_free ", 9) == 0;
        if (!alloc && !freed)
            continue;
        unsigned long long addr = dump_field(p, len, "addr=");
        for (size_t i = 0; i < n; i++) {
            struct holder *h = &hs[i];
            if (freed && h->base == addr) {
                h->base = h->size = 0;
            } else if (alloc) {
                unsigned long long size = dump_field(p, len, "size=");
                if (h->exact ? addr == h->want : addr <= h->want && h->want < addr + size) {
                    h->base = addr;
                    h->size = size;
                }
            }
        }
    }
}

static size_t count_kind(const char *dump, const char *kind)
{
    char pat[64];
    snprintf(pat, sizeof pat, " %s ", kind);
    size_t n = 0;
    for (const char *p = dump; (p = strstr(p, pat)); p++)
        n++;
    return n;
}

/* The event number of the step that says the program ended (its kind: EV_STEP_END, 4). */
static unsigned long long end_step(const char *dump)
{
    size_t len;
    for (const char *p = dump; (p = line_next(p, &len)); p += len + (p[len] == '\n'))
        if (memmem(p, len, " step number=", 13) && dump_field(p, len, "kind=") == 4)
            return strtoull(p, NULL, 10);
    cr_assert_fail("the trace has no end step");
    return 0;
}

ParameterizedTest(struct record_case *c, record, inventory, .timeout = 300)
{
    struct python py;
    python_find(c->python, &py);
    const char *script = script_path("inventory.py");
    const char *trace = scratch_path("inventory.trace");

    struct run_result plain = run_argv((const char *[]){py.path, script, "3", NULL}, NULL);
    cr_assert_neq(plain.status, 0, "%s: the plain run ends with status 3: %d", py.name, plain.status);
    struct prog_result rec = prog_run((const char *[]){"record", "-o", trace, "--", py.path, script, "3", NULL});
    cr_assert_eq(rec.status, plain.status, "%s: record exits %d, the program plain %d: %s", py.name, rec.status,
                 plain.status, rec.err);
    cr_assert_str_eq(printed(rec.out, "done"), printed(plain.out, "done"), "%s: the program's result differs",
                     py.name);

    struct prog_result chk = prog_run((const char *[]){"check", trace, NULL});
    cr_assert_eq(chk.status, 0, "%s: check: %s%s", py.name, chk.out, chk.err);
    cr_assert(strstr(chk.out, ": ok ("), "%s: check says: %s", py.name, chk.out);

    struct prog_result info = prog_run((const char *[]){"info", trace, NULL});
    cr_assert_eq(info.status, 0, "%s: info: %s", py.name, info.err);
    char want[PATH_MAX + 128];
    snprintf(want, sizeof want, "\nprogram      %s, Python %s, ", py.real, py.version);
    cr_assert(strstr(info.out, want), "%s: info lacks '%s':\n%s", py.name, want + 1, info.out);
    snprintf(want, sizeof want, "\nallocator    %s, ", profile_of(py.minor));
    cr_assert(strstr(info.out, want), "%s: info lacks '%s':\n%s", py.name, want + 1, info.out);

    char *dump = trace_dump(trace);
    struct prog_result st = prog_run((const char *[]){"stats", trace, NULL});
    cr_assert_eq(st.status, 0, "%s: stats: %s", py.name, st.err);
    const char *total = strstr(st.out, "# arenas allocated total");
    cr_assert_not_null(total, "%s: stats: %s", py.name, st.out);
    size_t arenas = strtoull(strchr(total, '=') + 1, NULL, 10);
    cr_assert_eq(arenas, count_kind(dump, "arena_new"), "%s: stats counts %zu arenas, the trace has %zu", py.name,
                 arenas, count_kind(dump, "arena_new"));

    /* the program's own words against the trace, at the program's end */
    unsigned long long end = end_step(dump) - 1;
    struct holder hs[32];
    size_t nh = 0;
    const char *b = printed(rec.out, "blobs");
    while (*b && *b != '\n' && nh < 16) {
        char *colon;
        hs[nh] = (struct holder){.want = strtoull(b, &colon, 10), .exact = true};
        cr_assert_eq(*colon, ':', "%s: blobs: %s", py.name, b);
        hs[nh].size = strtoull(colon + 1, (char **)&b, 10); /* the size wanted, for the message */
        nh++;
        b += *b == ' ';
    }
    size_t nblobs = nh;
    unsigned long long sizes[16];
    for (size_t i = 0; i < nblobs; i++) {
        sizes[i] = hs[i].size;
        hs[i].size = 0;
    }
    for (const char *it = printed(rec.out, "items"); *it && *it != '\n' && nh < 32; it += *it == ' ')
        hs[nh++] = (struct holder){.want = strtoull(it, (char **)&it, 10)};
    cr_assert_geq(nh, nblobs + 5, "%s: too few ids printed", py.name);
    holders_find(dump, end, hs, nh);
    for (size_t i = 0; i < nh; i++) {
        if (i < nblobs) {
            cr_assert_eq(hs[i].base, hs[i].want, "%s: no live block at the bytes object %#llx by event %llu",
                         py.name, hs[i].want, end);
            cr_assert_eq(hs[i].size, sizes[i], "%s: the bytes object at %#llx: block of %llu bytes, getsizeof %llu",
                         py.name, hs[i].want, hs[i].size, sizes[i]);
        } else {
            cr_assert_neq(hs[i].base, 0, "%s: no live block holds the instance at %#llx by event %llu", py.name,
                          hs[i].want, end);
        }
    }

    char at[32];
    snprintf(at, sizeof at, "%llu", end);
    struct prog_result pin = prog_run((const char *[]){"pinned", "--at", at, "--top", "0", trace, NULL});
    cr_assert_eq(pin.status, 0, "%s: pinned: %s", py.name, pin.err);
    cr_assert(strstr(pin.out, "arena 0 (slot "), "%s: pinned lists no arena:\n%s", py.name, pin.out);
    static const char *const marks[] = {"# pins: the items", "# pins: the blobs"};
    for (size_t i = 0; i < 2; i++) {
        char line[64];
        snprintf(line, sizeof line, "inventory.py:%d ", script_line_of(script, marks[i]));
        cr_assert(strstr(pin.out, line), "%s: pinned names no '%s':\n%.3000s", py.name, line, pin.out);
    }

    prog_result_release(&pin);
    prog_result_release(&st);
    free(dump);
    prog_result_release(&info);
    prog_result_release(&chk);
    prog_result_release(&rec);
    run_result_release(&plain);
}
