/*
 * embed_sources.c - the build's tool that puts the demos' Python sources (demos/demo_*.py) into
 * the program, so that the installed arenascope needs no data files.
 *
 *     embed_sources OUT.c demos/demo_tour.py demos/demo_gc_tuning.py ...
 *
 * writes OUT.c with the table demo_sources[] of src/demos.h: for each file its demo's name (the
 * file's name without demo_ and .py, _ read as -: demo_gc_tuning.py is gc-tuning), the path it is
 * shipped under (demos/FILE) and its text as a C string.  Errors are one line; exit status 1.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

static int fail(const char *what, const char *path)
{
    fprintf(stderr, "embed_sources: %s: %s\n", path, what);
    return 1;
}

static int embed_one(FILE *out, const char *path)
{
    const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    size_t len = strlen(base);
    if (strncmp(base, "demo_", 5) != 0 || len < 9 || strcmp(base + len - 3, ".py") != 0)
        return fail("not named demo_NAME.py", path);
    FILE *in = fopen(path, "rb");
    if (!in)
        return fail(strerror(errno), path);
    fputs("    {\"", out);
    for (const char *p = base + 5; p < base + len - 3; p++)
        fputc(*p == '_' ? '-' : *p, out);
    fprintf(out, "\", \"demos/%s\",\n     \"", base);
    int c;
    while ((c = fgetc(in)) != EOF) {
        if (c == '\n')
            fputs("\\n\"\n     \"", out);
        else if (c == '\\' || c == '"')
            fprintf(out, "\\%c", c);
        else if (c >= 0x20 && c < 0x7f && c != '?')
            fputc(c, out);
        else
            fprintf(out, "\\%03o", (unsigned)c);
    }
    fputs("\"},\n", out);
    int bad = ferror(in);
    fclose(in);
    return bad ? fail("read error", path) : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: embed_sources OUT.c FILE.py...\n");
        return 1;
    }
    FILE *out = fopen(argv[1], "w");
    if (!out)
        return fail(strerror(errno), argv[1]);
    fputs("/* demo_sources.c - made by src/embed_sources.c from demos/demo_*.py; do not edit. */\n"
          "#include \"demos.h\"\n\n"
          "const struct demo_source demo_sources[] = {\n", out);
    int status = 0;
    for (int i = 2; i < argc && status == 0; i++)
        status = embed_one(out, argv[i]);
    fprintf(out, "};\n\nconst size_t demo_source_count = %d;\n", argc - 2);
    if (fclose(out) != 0 && status == 0)
        status = fail(strerror(errno), argv[1]);
    return status;
}
