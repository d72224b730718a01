/*
 * input_prompt.c - what is typed at a prompt (search, go to, and the breakpoint menu's kind,
 * address and number), and the breakpoint menu (b) itself.
 *
 * A prompt is a mode of the viewer (enum ui_mode) with a line of text the footer shows: keys
 * add characters of the Basic Multilingual Plane to it as UTF-8 and Backspace takes a whole
 * character off; Enter accepts it in the mode that opened it, Esc goes back to where it was
 * opened from (the breakpoint menu, or the panes).  Breakpoints are kept in the app, at most
 * UI_MAX_BREAKPOINTS; app.c stops at them (app_advance_to), and a live workload is told of the
 * line breakpoints after every change (app_breakpoints_changed).
 */
#include "app.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void app_prompt_start(struct ui_app *app, enum ui_mode mode)
{
    app->mode = mode;
    app->prompt[0] = '\0';
    app->prompt_len = 0;
}

static void add_breakpoint(struct ui_app *app, enum ui_bp_type type, uint64_t value)
{
    if (app->nbp >= UI_MAX_BREAKPOINTS) {
        app_message(app, true, "at most %d breakpoints: delete one first (d)", UI_MAX_BREAKPOINTS);
        return;
    }
    app->bp[app->nbp++] = (struct ui_breakpoint){.type = type, .value = value};
    char what[96];
    app_describe_breakpoint(&app->bp[app->nbp - 1], what, sizeof what);
    app_message(app, false, "breakpoint %d: %s", app->nbp, what);
}

/* The address the selection is on: the selected object, else the selected block or pool. */
static uint64_t selected_addr(struct ui_app *app)
{
    const struct model *m = app_model(app);
    struct model_object o;
    if (app->focus == UI_PANE_OBJECTS && app->objects.sel && model_object_find(m, app->objects.sel, &o))
        return app->objects.sel;
    struct model_pool p;
    if (model_pool_at(m, app->arena.slot, app->arena.index, &p)) {
        if (app->focus == UI_PANE_POOL && p.size)
            return app_block_addr(m, &p, (uint32_t)app->pool.sel);
        return p.addr;
    }
    return 0;
}

enum ui_redo app_break_menu_key(struct ui_app *app, int key)
{
    const struct model *m = app_model(app);
    struct model_pool p;
    switch (key) {
    case 'c':
        add_breakpoint(app, UI_BP_GC, 0);
        break;
    case 'f':
        if (model_pool_at(m, app->arena.slot, app->arena.index, &p) && p.state != MODEL_POOL_UNTOUCHED)
            add_breakpoint(app, UI_BP_POOL_FULL, p.addr);
        else
            add_breakpoint(app, UI_BP_POOL_FULL, 0);
        break;
    case 'F':
        add_breakpoint(app, UI_BP_POOL_FULL, 0);
        break;
    case 'a': {
        uint64_t addr = selected_addr(app);
        if (addr)
            add_breakpoint(app, UI_BP_ADDR, addr);
        else
            app_message(app, true, "nothing is selected: select a pool, a block or an object first");
        break;
    }
    case 'k':
        app_prompt_start(app, UI_MODE_BREAK_KIND);
        return UI_REDO_REPAINT;
    case 'x':
        app_prompt_start(app, UI_MODE_BREAK_ADDR);
        return UI_REDO_REPAINT;
    case 'd':
        app_prompt_start(app, UI_MODE_BREAK_DEL);
        return UI_REDO_REPAINT;
    case 'D':
        app->nbp = 0;
        app_breakpoints_changed(app);
        app_message(app, false, "every breakpoint deleted");
        break;
    case UI_KEY_ESC:
    case 'b':
    case 'q':
    case UI_KEY_ENTER:
        break;
    default:
        return UI_REDO_NOTHING;
    }
    app->mode = UI_MODE_NORMAL;
    return UI_REDO_REPAINT;
}

static enum ui_redo prompt_accept(struct ui_app *app)
{
    enum ui_mode mode = app->mode;
    const char *text = app->prompt;
    app->mode = UI_MODE_NORMAL;
    switch (mode) {
    case UI_MODE_SEARCH:
        app_search_compile(app, text);
        if (app->search.type == UI_SEARCH_NONE)
            return UI_REDO_REPAINT;
        return app_search_go(app, true);
    case UI_MODE_GOTO: {
        /* what --at takes: an event number, step:N, start, end or program-end */
        uint64_t pos;
        char why[160];
        if (ui_parse_position(app->s, text, &pos, why, sizeof why) < 0) {
            app_message(app, true, "%s", why);
            return UI_REDO_REPAINT;
        }
        app->follow_edge = false;
        app->playing = false;
        ui_app_seek(app, pos);
        return UI_REDO_REPAINT;
    }
    case UI_MODE_BREAK_KIND: {
        int k = event_kind_from_name(text);
        if (k < 0)
            app_message(app, true, "no event kind '%s' (kinds are named as in dump: block_alloc, pool_full, gc_start...)",
                        text);
        else
            add_breakpoint(app, UI_BP_KIND, (uint64_t)k);
        return UI_REDO_REPAINT;
    }
    case UI_MODE_BREAK_ADDR: {
        char *end;
        unsigned long long v = strtoull(text, &end, 16);
        if (!*text || *end || v == 0)
            app_message(app, true, "not an address: '%s'", text);
        else
            add_breakpoint(app, UI_BP_ADDR, v);
        return UI_REDO_REPAINT;
    }
    case UI_MODE_BREAK_DEL: {
        char *end;
        unsigned long n = strtoul(text, &end, 10);
        if (!*text || *end || n < 1 || n > (unsigned long)app->nbp) {
            app_message(app, true, "no breakpoint '%s'", text);
            return UI_REDO_REPAINT;
        }
        memmove(&app->bp[n - 1], &app->bp[n], (size_t)(app->nbp - (int)n) * sizeof app->bp[0]);
        app->nbp--;
        app_breakpoints_changed(app);
        app_message(app, false, "breakpoint %lu deleted", n);
        return UI_REDO_REPAINT;
    }
    case UI_MODE_NORMAL:
    case UI_MODE_HELP:
    case UI_MODE_BREAK:
        break;
    }
    return UI_REDO_REPAINT;
}

/* Adds a typed character of the Basic Multilingual Plane to the prompt (others are dropped). */
static void prompt_add(struct ui_app *app, int key)
{
    if (key < 0 || key >= 0x10000)
        return;
    char u[4];
    size_t n = ui_utf8_encode((uint32_t)key, u);
    if (app->prompt_len + n >= sizeof app->prompt)
        return;
    memcpy(app->prompt + app->prompt_len, u, n);
    app->prompt_len += n;
    app->prompt[app->prompt_len] = '\0';
}

enum ui_redo app_prompt_key(struct ui_app *app, int key)
{
    switch (key) {
    case UI_KEY_ENTER:
        return prompt_accept(app);
    case UI_KEY_ESC:
    case UI_KEY_CTRL_C:
        app->mode = app->mode == UI_MODE_SEARCH || app->mode == UI_MODE_GOTO ? UI_MODE_NORMAL : UI_MODE_BREAK;
        return UI_REDO_REPAINT;
    case UI_KEY_BACKSPACE:
        while (app->prompt_len > 0) {
            unsigned char c = (unsigned char)app->prompt[--app->prompt_len];
            if ((c & 0xC0) != 0x80)
                break;
        }
        app->prompt[app->prompt_len] = '\0';
        return UI_REDO_REPAINT;
    default:
        if (key >= 32 && key < UI_KEY_SPECIAL && key != 127) {
            prompt_add(app, key);
            return UI_REDO_REPAINT;
        }
        return UI_REDO_NOTHING;
    }
}
