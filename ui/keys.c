/*
 * keys.c - the key table as data; see keys.h.
 */
#include <ui/keys.h>

#include <stdio.h>

static const struct ui_action_def action_defs[UI_ACTION_COUNT] = {
    [UI_ACT_NONE] = {"none", NULL, "", "", {0, 0, 0}},
#define X(name, footer, keys, help, k1, k2, k3) [UI_ACT_##name] = {#name, footer, keys, help, {k1, k2, k3}},
    UI_ACTIONS(X)
#undef X
};

enum ui_action ui_action_for_key(int key)
{
    if (key == 0)
        return UI_ACT_NONE;
    for (int a = 1; a < UI_ACTION_COUNT; a++)
        for (int i = 0; i < 3; i++)
            if (action_defs[a].key[i] == key)
                return (enum ui_action)a;
    return UI_ACT_NONE;
}

const struct ui_action_def *ui_action_def(enum ui_action a)
{
    return &action_defs[(unsigned)a < UI_ACTION_COUNT ? a : UI_ACT_NONE];
}

const char *ui_key_name(int key, char buf[16])
{
    switch (key) {
    case ' ': return "Space";
    case UI_KEY_TAB: return "Tab";
    case UI_KEY_ENTER: case '\n': return "Enter";
    case UI_KEY_ESC: return "Esc";
    case UI_KEY_BACKSPACE: return "Backspace";
    case UI_KEY_UP: return "Up";
    case UI_KEY_DOWN: return "Down";
    case UI_KEY_LEFT: return "Left";
    case UI_KEY_RIGHT: return "Right";
    case UI_KEY_SHIFT_LEFT: return "S-Left";
    case UI_KEY_SHIFT_RIGHT: return "S-Right";
    case UI_KEY_HOME: return "Home";
    case UI_KEY_END: return "End";
    case UI_KEY_PAGE_UP: return "PgUp";
    case UI_KEY_PAGE_DOWN: return "PgDn";
    case UI_KEY_BACKTAB: return "S-Tab";
    case UI_KEY_DELETE: return "Delete";
    case UI_KEY_F1: return "F1";
    default: break;
    }
    if (key > 0 && key < 32)
        snprintf(buf, 16, "Ctrl-%c", '@' + key);
    else if (key > 32 && key < 127)
        snprintf(buf, 16, "%c", key);
    else
        snprintf(buf, 16, "key %d", key);
    return buf;
}
