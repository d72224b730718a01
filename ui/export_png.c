/*
 * export_png.c - a canvas as a PNG: its SVG (export.c) rendered by librsvg into a cairo surface.
 *
 * librsvg and cairo are loaded when a PNG is asked for, not linked: the program needs neither to
 * run, a machine without them gets a one-line reason, and the build needs no -dev package.  The
 * handful of functions used are looked up by name in the runtime libraries Debian installs with
 * librsvg2-2 (librsvg-2.so.2, libcairo.so.2, libgobject-2.0.so.0); their C signatures are the
 * libraries' stable ABI, declared below with plain types.
 *
 * The picture is the SVG at twice its size, so that text stays sharp on a high-density screen
 * or a projector.  Like the other files, it is written beside the target and renamed over it.
 * The rendering runs in a child process, which ends with _exit: what the libraries keep for
 * their lifetime (type registries, font caches) never lives in arenascope, and a crash in them
 * is a message, not the end of the program.
 */
#include <ui/canvas.h>

#include <dlfcn.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define PNG_SCALE 2.0

struct gerror {
    uint32_t domain;
    int code;
    char *message;
};

struct rsvg_api {
    void *rsvg, *cairo, *gobject;
    void *(*handle_new_from_data)(const uint8_t *data, size_t len, struct gerror **error);
    int (*render_cairo)(void *handle, void *cr);
    void *(*surface_create)(int format, int width, int height);
    void *(*create)(void *surface);
    void (*scale)(void *cr, double sx, double sy);
    int (*write_to_png)(void *surface, const char *path);
    int (*surface_status)(void *surface);
    void (*destroy)(void *cr);
    void (*surface_destroy)(void *surface);
    void (*object_unref)(void *object);
};

enum { CAIRO_FORMAT_ARGB32 = 0, CAIRO_STATUS_SUCCESS = 0 };

static void api_close(struct rsvg_api *a)
{
    if (a->rsvg)
        dlclose(a->rsvg);
    if (a->cairo)
        dlclose(a->cairo);
    if (a->gobject)
        dlclose(a->gobject);
}

/* Loads the libraries and their functions; 0, or -1 with the reason. */
static int api_open(struct rsvg_api *a, char *err, size_t errlen)
{
    memset(a, 0, sizeof *a);
    a->rsvg = dlopen("librsvg-2.so.2", RTLD_NOW | RTLD_LOCAL);
    a->cairo = dlopen("libcairo.so.2", RTLD_NOW | RTLD_LOCAL);
    a->gobject = dlopen("libgobject-2.0.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!a->rsvg || !a->cairo || !a->gobject) {
        snprintf(err, errlen, "a PNG needs librsvg and cairo (Debian: librsvg2-2), which are not installed; "
                              "write OUT.svg instead");
        api_close(a);
        return -1;
    }
    /* dlsym returns an object pointer; the functions' addresses come through memcpy */
    struct {
        void *lib;
        const char *name;
        void *slot;
        size_t size;
    } want[] = {
        {a->rsvg, "rsvg_handle_new_from_data", &a->handle_new_from_data, sizeof a->handle_new_from_data},
        {a->rsvg, "rsvg_handle_render_cairo", &a->render_cairo, sizeof a->render_cairo},
        {a->cairo, "cairo_image_surface_create", &a->surface_create, sizeof a->surface_create},
        {a->cairo, "cairo_create", &a->create, sizeof a->create},
        {a->cairo, "cairo_scale", &a->scale, sizeof a->scale},
        {a->cairo, "cairo_surface_write_to_png", &a->write_to_png, sizeof a->write_to_png},
        {a->cairo, "cairo_surface_status", &a->surface_status, sizeof a->surface_status},
        {a->cairo, "cairo_destroy", &a->destroy, sizeof a->destroy},
        {a->cairo, "cairo_surface_destroy", &a->surface_destroy, sizeof a->surface_destroy},
        {a->gobject, "g_object_unref", &a->object_unref, sizeof a->object_unref},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        void *f = dlsym(want[i].lib, want[i].name);
        if (!f) {
            snprintf(err, errlen, "the installed librsvg or cairo has no %s", want[i].name);
            api_close(a);
            return -1;
        }
        memcpy(want[i].slot, &f, want[i].size);
    }
    return 0;
}

static int render_png(const struct canvas *c, const char *path, bool mono, char *err, size_t errlen)
{
    struct rsvg_api a;
    if (api_open(&a, err, errlen) < 0)
        return -1;
    int rc = -1;
    char *svg = canvas_to_svg(c, mono);
    size_t plen = strlen(path);
    char *tmp = malloc(plen + 16);
    void *handle = NULL, *surface = NULL, *cr = NULL;
    if (!svg || !tmp) {
        snprintf(err, errlen, "out of memory");
        goto out;
    }
    struct gerror *gerr = NULL;
    handle = a.handle_new_from_data((const uint8_t *)svg, strlen(svg), &gerr);
    if (!handle) {
        snprintf(err, errlen, "librsvg could not read the picture: %s", gerr && gerr->message ? gerr->message : "?");
        goto out;
    }
    int width, height;
    canvas_svg_size(c, &width, &height);
    surface = a.surface_create(CAIRO_FORMAT_ARGB32, (int)(width * PNG_SCALE), (int)(height * PNG_SCALE));
    cr = surface ? a.create(surface) : NULL;
    if (!cr || a.surface_status(surface) != CAIRO_STATUS_SUCCESS) {
        snprintf(err, errlen, "cairo could not make a %d x %d picture", (int)(width * PNG_SCALE),
                 (int)(height * PNG_SCALE));
        goto out;
    }
    a.scale(cr, PNG_SCALE, PNG_SCALE);
    if (!a.render_cairo(handle, cr)) {
        snprintf(err, errlen, "librsvg could not draw the picture");
        goto out;
    }
    /* beside the target, then renamed over it */
    snprintf(tmp, plen + 16, "%s.tmp-XXXXXX", path);
    int fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        goto out;
    }
    mode_t mask = umask(0);
    umask(mask);
    fchmod(fd, 0666 & ~mask); /* the permissions a new file gets, not mkstemp's */
    close(fd);
    int status = a.write_to_png(surface, tmp);
    if (status != CAIRO_STATUS_SUCCESS) {
        unlink(tmp);
        snprintf(err, errlen, "cairo could not write the PNG (status %d)", status);
        goto out;
    }
    if (rename(tmp, path) < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        unlink(tmp);
        goto out;
    }
    rc = 0;
out:
    if (cr)
        a.destroy(cr);
    if (surface)
        a.surface_destroy(surface);
    if (handle)
        a.object_unref(handle);
    free(tmp);
    free(svg);
    api_close(&a);
    return rc;
}

int canvas_write_png(const struct canvas *c, const char *path, bool mono, char *err, size_t errlen)
{
    int fds[2];
    if (pipe(fds) < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(err, errlen, "%s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        close(fds[0]);
        char why[512] = "";
        int rc = render_png(c, path, mono, why, sizeof why);
        if (rc < 0 && write(fds[1], why, strlen(why)) < 0)
            rc = -1;
        _exit(rc < 0 ? 1 : 0);
    }
    close(fds[1]);
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fds[0], err + n, errlen - 1 - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0 || (n += (size_t)r) == errlen - 1)
            break;
    }
    err[n] = '\0';
    close(fds[0]);
    int status;
    while (waitpid(pid, &status, 0) < 0)
        if (errno != EINTR) {
            snprintf(err, errlen, "%s", strerror(errno));
            return -1;
        }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (!err[0])
        snprintf(err, errlen, "rendering the PNG failed (%s %d)", WIFSIGNALED(status) ? "signal" : "status",
                 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
    return -1;
}
