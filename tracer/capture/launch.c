/*
 * launch.c - the launcher's half of tracer/capture.h: the request, the program check, the exec.
 *
 * The request travels as one environment value: "key=value" fields separated by the ASCII unit
 * separator (0x1f), which no path or command line of a user contains in practice.
 */
#include <tracer/capture.h>

#include <elf.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>

#define SEP "\x1f"

/*
 * The request's fields, in the order they travel: the launcher writes them and the library reads
 * them through this one table.  A field of an enum travels as its name, or as its number where
 * it has no names; a name or number not known reads as the enum's first value.
 */
enum field_type { F_INT, F_UNSIGNED, F_U64, F_BOOL, F_DOUBLE, F_TEXT, F_ENUM };

struct request_field {
    const char *key;
    enum field_type type;
    size_t offset, size;        /* the member of struct capture_config */
    const char *const *names;   /* F_ENUM: the values' names, or NULL to send the number */
    int count;                  /* F_ENUM: how many values */
};

static const char *const mode_names[] = {
    [CAPTURE_RECORD] = "record", [CAPTURE_PLACEMENTS] = "placements", [CAPTURE_REFERENCE] = "reference"};
static const char *const stacks_names[] = {[CAPTURE_STACKS_NONE] = "none", [CAPTURE_STACKS_PYTHON] = "python",
                                           [CAPTURE_STACKS_C] = "c", [CAPTURE_STACKS_BOTH] = "both"};

#define MEMBER(m) offsetof(struct capture_config, m), sizeof((struct capture_config *)0)->m
static const struct request_field request_fields[] = {
    {"pid", F_INT, MEMBER(pid), NULL, 0},
    {"status", F_INT, MEMBER(status_fd), NULL, 0},
    {"control", F_INT, MEMBER(control_fd), NULL, 0},
    {"mode", F_ENUM, MEMBER(mode), mode_names, 3},
    {"entry", F_ENUM, MEMBER(entry), NULL, CAPTURE_ENTRY_STDIN + 1},
    {"stacks", F_ENUM, MEMBER(stacks), stacks_names, 4},
    {"depth", F_UNSIGNED, MEMBER(depth), NULL, 0},
    {"live", F_BOOL, MEMBER(live), NULL, 0},
    {"lines", F_BOOL, MEMBER(step_lines), NULL, 0},
    {"hold", F_BOOL, MEMBER(hold), NULL, 0},
    {"pace", F_DOUBLE, MEMBER(pace), NULL, 0},
    {"files", F_TEXT, MEMBER(step_files), NULL, 0},
    {"trace", F_TEXT, MEMBER(trace), NULL, 0},
    {"log", F_TEXT, MEMBER(log), NULL, 0},
    {"arena", F_TEXT, MEMBER(arena_source), NULL, 0},
    {"window", F_U64, MEMBER(window), NULL, 0},
    {"user", F_TEXT, MEMBER(user_dir), NULL, 0},
    {"script", F_TEXT, MEMBER(script), NULL, 0},
    {"command", F_TEXT, MEMBER(command), NULL, 0},
};
#undef MEMBER
#define NFIELDS (sizeof request_fields / sizeof request_fields[0])

_Static_assert(sizeof(pid_t) == sizeof(int) && sizeof(enum capture_mode) == sizeof(int) &&
                   sizeof(enum capture_entry) == sizeof(int) && sizeof(enum capture_stacks) == sizeof(int),
               "pid_t and the enums travel as int");

/* The value of field f, at member m, as text (in buf where it is a number).  F_INT and F_ENUM
 * members (pid_t, the enums) are copied as the int they are. */
static const char *field_text(const struct request_field *f, const void *m, char *buf, size_t len)
{
    int i;
    switch (f->type) {
    case F_INT:
        memcpy(&i, m, sizeof i);
        snprintf(buf, len, "%d", i);
        return buf;
    case F_UNSIGNED:
        snprintf(buf, len, "%u", *(const unsigned *)m);
        return buf;
    case F_U64:
        snprintf(buf, len, "%llu", (unsigned long long)*(const uint64_t *)m);
        return buf;
    case F_BOOL:
        return *(const bool *)m ? "1" : "0";
    case F_DOUBLE:
        snprintf(buf, len, "%g", *(const double *)m);
        return buf;
    case F_TEXT:
        return m;
    case F_ENUM:
        memcpy(&i, m, sizeof i);
        if (f->names)
            return f->names[i >= 0 && i < f->count ? i : 0];
        snprintf(buf, len, "%d", i);
        return buf;
    }
    return "";
}

static void copy_field(char *dst, size_t cap, const char *v, size_t n)
{
    if (n >= cap)
        n = cap - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

/* Sets member m of field f from the text v of vlen bytes. */
static void field_read(const struct request_field *f, void *m, const char *v, size_t vlen)
{
    char num[32];
    copy_field(num, sizeof num, v, vlen);
    int i = 0;
    switch (f->type) {
    case F_INT:
        i = (int)strtol(num, NULL, 10);
        memcpy(m, &i, sizeof i);
        return;
    case F_UNSIGNED:
        *(unsigned *)m = (unsigned)strtoul(num, NULL, 10);
        return;
    case F_U64:
        *(uint64_t *)m = strtoull(num, NULL, 10);
        return;
    case F_BOOL:
        *(bool *)m = num[0] == '1';
        return;
    case F_DOUBLE:
        *(double *)m = strtod(num, NULL);
        return;
    case F_TEXT:
        copy_field(m, f->size, v, vlen);
        return;
    case F_ENUM:
        if (f->names) {
            while (i < f->count && strcmp(num, f->names[i]) != 0)
                i++;
        } else {
            i = (int)strtol(num, NULL, 10);
        }
        if (i < 0 || i >= f->count)
            i = 0;
        memcpy(m, &i, sizeof i);
        return;
    }
}

int capture_config_encode(const struct capture_config *c, char *buf, size_t len)
{
    size_t pos = 0;
    for (size_t k = 0; k < NFIELDS; k++) {
        const struct request_field *f = &request_fields[k];
        char num[32];
        int n = snprintf(buf + pos, len - pos, "%s%s=%s", k ? SEP : "", f->key,
                         field_text(f, (const char *)c + f->offset, num, sizeof num));
        if (n < 0 || (size_t)n >= len - pos)
            return -1;
        pos += (size_t)n;
    }
    return 0;
}

bool capture_config_decode(const char *text, struct capture_config *out)
{
    memset(out, 0, sizeof *out);
    out->status_fd = out->control_fd = -1;
    out->depth = CAPTURE_DEFAULT_DEPTH;
    bool have_pid = false;
    for (const char *p = text; *p;) {
        size_t n = strcspn(p, SEP);
        const char *eq = memchr(p, '=', n);
        if (!eq)
            return false;
        size_t klen = (size_t)(eq - p);
        for (size_t k = 0; k < NFIELDS; k++) {
            const struct request_field *f = &request_fields[k];
            if (strlen(f->key) == klen && memcmp(p, f->key, klen) == 0) {
                field_read(f, (char *)out + f->offset, eq + 1, n - klen - 1);
                have_pid |= f->offset == offsetof(struct capture_config, pid);
                break;
            }
        }
        p += n;
        if (*p)
            p++;
    }
    return have_pid;
}

/* ---- the program check ------------------------------------------------------------------- */

static int fail(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* PATH lookup as execvp does it. */
static bool resolve(const char *program, char *path, size_t len)
{
    if (strchr(program, '/')) {
        snprintf(path, len, "%s", program);
        return access(path, F_OK) == 0;
    }
    const char *env = getenv("PATH");
    const char *dirs = env && *env ? env : "/usr/local/bin:/usr/bin:/bin";
    for (const char *d = dirs; *d;) {
        size_t n = strcspn(d, ":");
        snprintf(path, len, "%.*s/%s", (int)(n ? n : 1), n ? d : ".", program);
        struct stat st;
        if (stat(path, &st) == 0 && S_ISREG(st.st_mode) && access(path, X_OK) == 0)
            return true;
        d += n;
        if (*d)
            d++;
    }
    return false;
}

/* What an ELF file says about Python: the libpython it needs, the symbols it exports. */
struct elf_facts {
    bool is_elf, has_interp, has_setallocator, has_getversion;
    int needs_major, needs_minor; /* of a libpythonX.Y it needs, 0 none */
};

static bool read_at(int fd, uint64_t off, void *buf, size_t n)
{
    return pread(fd, buf, n, (off_t)off) == (ssize_t)n;
}

/* Scans the dynamic symbols and DT_NEEDED entries of a 64-bit ELF file.  Reads only what the
 * section headers point at, each length checked against the file's size. */
static void elf_scan(int fd, struct elf_facts *f)
{
    memset(f, 0, sizeof *f);
    Elf64_Ehdr eh;
    struct stat st;
    if (fstat(fd, &st) < 0 || !read_at(fd, 0, &eh, sizeof eh) || memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0)
        return;
    f->is_elf = true;
    if (eh.e_ident[EI_CLASS] != ELFCLASS64) {
        f->has_interp = true; /* not ours to judge: the exec will say */
        return;
    }
    uint64_t size = (uint64_t)st.st_size;
    for (unsigned i = 0; i < eh.e_phnum && i < 256; i++) {
        Elf64_Phdr ph;
        if (!read_at(fd, eh.e_phoff + (uint64_t)i * eh.e_phentsize, &ph, sizeof ph))
            break;
        if (ph.p_type == PT_INTERP)
            f->has_interp = true;
    }
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || eh.e_shnum == 0 || eh.e_shnum > 4096)
        return;
    Elf64_Shdr *sh = calloc(eh.e_shnum, sizeof *sh);
    if (!sh)
        return;
    if (!read_at(fd, eh.e_shoff, sh, eh.e_shnum * sizeof *sh))
        goto out;
    for (unsigned i = 0; i < eh.e_shnum; i++) {
        if (sh[i].sh_type != SHT_DYNSYM && sh[i].sh_type != SHT_DYNAMIC)
            continue;
        if (sh[i].sh_link >= eh.e_shnum)
            continue;
        const Elf64_Shdr *strs = &sh[sh[i].sh_link];
        if (sh[i].sh_offset + sh[i].sh_size > size || strs->sh_offset + strs->sh_size > size ||
            sh[i].sh_size > (64u << 20) || strs->sh_size > (64u << 20))
            continue;
        char *names = malloc(strs->sh_size + 1);
        uint8_t *data = malloc(sh[i].sh_size);
        if (names && data && read_at(fd, strs->sh_offset, names, strs->sh_size) &&
            read_at(fd, sh[i].sh_offset, data, sh[i].sh_size)) {
            names[strs->sh_size] = '\0';
            if (sh[i].sh_type == SHT_DYNSYM) {
                for (uint64_t off = 0; off + sizeof(Elf64_Sym) <= sh[i].sh_size; off += sizeof(Elf64_Sym)) {
                    Elf64_Sym sym;
                    memcpy(&sym, data + off, sizeof sym);
                    if (sym.st_name >= strs->sh_size || sym.st_shndx == SHN_UNDEF)
                        continue;
                    const char *name = names + sym.st_name;
                    if (strcmp(name, "PyMem_SetAllocator") == 0)
                        f->has_setallocator = true;
                    else if (strcmp(name, "Py_GetVersion") == 0)
                        f->has_getversion = true;
                }
            } else {
                for (uint64_t off = 0; off + sizeof(Elf64_Dyn) <= sh[i].sh_size; off += sizeof(Elf64_Dyn)) {
                    Elf64_Dyn d;
                    memcpy(&d, data + off, sizeof d);
                    if (d.d_tag != DT_NEEDED || d.d_un.d_val >= strs->sh_size)
                        continue;
                    int major, minor;
                    if (sscanf(names + d.d_un.d_val, "libpython%d.%d", &major, &minor) == 2) {
                        f->needs_major = major;
                        f->needs_minor = minor;
                    }
                }
            }
        }
        free(names);
        free(data);
    }
out:
    free(sh);
}

int capture_check_program(const char *program, char *path, size_t pathlen, char *err, size_t errlen)
{
    if (!resolve(program, path, pathlen))
        return fail(err, errlen, "%s: not found%s", program, strchr(program, '/') ? "" : " in PATH");
    struct stat st;
    if (stat(path, &st) < 0)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    if (S_ISDIR(st.st_mode))
        return fail(err, errlen, "%s: is a directory, not a Python interpreter", path);
    if (access(path, X_OK) < 0)
        return fail(err, errlen, "%s: not executable", path);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return fail(err, errlen, "%s: %s", path, strerror(errno));
    char head[2] = {0};
    ssize_t got = read(fd, head, 2);
    if (got == 2 && head[0] == '#' && head[1] == '!') {
        close(fd); /* a script (pyenv's shims are): what it runs is checked when it runs */
        return 0;
    }
    struct elf_facts f;
    elf_scan(fd, &f);
    close(fd);
    if (!f.is_elf)
        return fail(err, errlen, "%s: not a Python interpreter (neither an ELF program nor a #! script)", program);
    if (!f.has_interp)
        return fail(err, errlen, "%s: a static binary: arenascope's allocator cannot be loaded into it", program);
    if (f.needs_major == 2 || (!f.has_setallocator && f.has_getversion && !f.needs_major))
        return fail(err, errlen, "%s: Python 2 has no PEP 445 allocator hooks; arenascope runs Python 3.8 to 3.13",
                    program);
    if (f.needs_major == 3 && f.needs_minor < 8)
        return fail(err, errlen, "%s: Python 3.%d: arenascope runs Python 3.8 to 3.13", program, f.needs_minor);
    if (!f.has_setallocator && f.needs_major != 3)
        return fail(err, errlen, "%s: not a Python interpreter (it has no PyMem_SetAllocator)", program);
    return 0;
}

/* ---- the library and the exec -------------------------------------------------------------- */

/* The path from directory `from` to directory `to` (both absolute, without . or ..): "../lib/x"
 * from /usr/bin to /usr/lib/x. */
static void relative_dir(const char *from, const char *to, char *buf, size_t len)
{
    /* the longest common run of whole components */
    size_t common = 0;
    for (size_t i = 0;; i++) {
        bool from_end = from[i] == '\0' || from[i] == '/', to_end = to[i] == '\0' || to[i] == '/';
        if (from_end && to_end)
            common = i;
        if (from[i] != to[i] || from[i] == '\0')
            break;
    }
    size_t used = 0;
    buf[0] = '\0';
    for (const char *p = from + common; *p; p++)
        if (*p == '/' && p[1] && used + 4 < len) {
            memcpy(buf + used, used ? "/.." : "..", used ? 3 : 2);
            used += used ? 3 : 2;
            buf[used] = '\0';
        }
    const char *rest = to + common;
    while (*rest == '/')
        rest++;
    snprintf(buf + used, len - used, "%s%s", used && *rest ? "/" : "", *rest || used ? rest : ".");
}

int capture_library_path(char *buf, size_t len, char *err, size_t errlen)
{
    if (!buf || len == 0)
        return fail(err, errlen, "no room for the library's path");
    const char *env = getenv("ARENASCOPE_CAPTURE_LIBRARY");
    if (env && *env) {
        if (access(env, R_OK) < 0)
            return fail(err, errlen, "ARENASCOPE_CAPTURE_LIBRARY: %s: %s", env, strerror(errno));
        snprintf(buf, len, "%s", env);
        return 0;
    }
    char self[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    if (n > 0) {
        self[n] = '\0';
        char *slash = strrchr(self, '/');
        if (slash) {
            *slash = '\0';
            /* the build tree: build/src/arenascope and build/tracer/capture/ */
            snprintf(buf, len, "%s/../tracer/capture/%s", self, CAPTURE_LIBRARY);
            if (access(buf, R_OK) == 0)
                return 0;
            /* installed: the library's directory as seen from the program's, so that a tree
             * installed under a DESTDIR or moved whole still finds it */
            char rel[PATH_MAX];
            relative_dir(ARENASCOPE_INSTALL_BINDIR, ARENASCOPE_INSTALL_LIBDIR, rel, sizeof rel);
            snprintf(buf, len, "%s/%s/%s", self, rel, CAPTURE_LIBRARY);
            if (access(buf, R_OK) == 0)
                return 0;
        }
    }
    snprintf(buf, len, "%s/%s", ARENASCOPE_INSTALL_LIBDIR, CAPTURE_LIBRARY);
    if (access(buf, R_OK) == 0)
        return 0;
    return fail(err, errlen, "%s not found beside arenascope (set ARENASCOPE_CAPTURE_LIBRARY)", CAPTURE_LIBRARY);
}

void capture_user_files(char *const argv[], struct capture_config *c)
{
    c->script[0] = '\0';
    c->entry = CAPTURE_ENTRY_STDIN;
    if (!getcwd(c->user_dir, sizeof c->user_dir))
        snprintf(c->user_dir, sizeof c->user_dir, "/");
    /* the interpreter's options come first; the first other argument is the script */
    for (int i = 1; argv[i]; i++) {
        const char *a = argv[i];
        if (strcmp(a, "-") == 0)
            return;
        if (strncmp(a, "-m", 2) == 0) {
            c->entry = CAPTURE_ENTRY_MODULE;
            return;
        }
        if (strncmp(a, "-c", 2) == 0) {
            c->entry = CAPTURE_ENTRY_COMMAND;
            return;
        }
        if (a[0] == '-') {
            /* options that take a value as the next argument */
            if ((strcmp(a, "-W") == 0 || strcmp(a, "-X") == 0 || strcmp(a, "--check-hash-based-pycs") == 0) &&
                argv[i + 1])
                i++;
            continue;
        }
        c->entry = CAPTURE_ENTRY_SCRIPT;
        char real[PATH_MAX];
        if (!realpath(a, real))
            return;
        snprintf(c->script, sizeof c->script, "%s", real);
        char *slash = strrchr(real, '/');
        if (slash)
            *(slash == real ? slash + 1 : slash) = '\0';
        snprintf(c->user_dir, sizeof c->user_dir, "%s", real);
        return;
    }
}

/* The sanitizers' runtimes loaded in this process, as a list for LD_PRELOAD. */
struct runtimes {
    char *buf;
    size_t len;
    int found;
};

static int add_runtime(struct dl_phdr_info *info, size_t size, void *ctx)
{
    (void)size;
    struct runtimes *rt = ctx;
    const char *name = info->dlpi_name;
    const char *base = name ? strrchr(name, '/') : NULL;
    base = base ? base + 1 : name;
    if (!base || (strncmp(base, "libasan.so", 10) != 0 && strncmp(base, "libubsan.so", 11) != 0))
        return 0;
    size_t used = strlen(rt->buf);
    snprintf(rt->buf + used, rt->len - used, "%s%s", used ? ":" : "", name);
    rt->found = 1;
    return 0;
}

void capture_exec(const struct capture_config *c, const char *library, const char *path, char *const argv[])
{
    char request[8192];
    if (capture_config_encode(c, request, sizeof request) < 0) {
        errno = ENAMETOOLONG;
        return;
    }
    setenv(CAPTURE_ENV, request, 1);
    char preload[PATH_MAX * 4] = "";
    /* A sanitized arenascope preloads a sanitized library, whose runtimes must come first. */
    struct runtimes rt = {preload, sizeof preload, 0};
    dl_iterate_phdr(add_runtime, &rt);
    if (rt.found && !getenv("ASAN_OPTIONS"))
        setenv("ASAN_OPTIONS", "detect_leaks=0", 1);
    else if (rt.found) {
        /* an interpreter frees little at exit: its leaks are not the library's */
        char opts[1024];
        snprintf(opts, sizeof opts, "%s:detect_leaks=0", getenv("ASAN_OPTIONS"));
        setenv("ASAN_OPTIONS", opts, 1);
    }
    const char *old = getenv("LD_PRELOAD");
    size_t used = strlen(preload);
    if (old && *old)
        snprintf(preload + used, sizeof preload - used, "%s%s:%s", used ? ":" : "", old, library);
    else
        snprintf(preload + used, sizeof preload - used, "%s%s", used ? ":" : "", library);
    setenv("LD_PRELOAD", preload, 1);
    /* These would replace the allocator the library installs. */
    unsetenv("PYTHONMALLOC");
    unsetenv("PYTHONDEVMODE");
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() == 1)
        _exit(127); /* the launcher died before the request took effect */
    execv(path, argv);
}
