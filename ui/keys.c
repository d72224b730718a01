/*
 * keys.c - the key table as data; see keys.h.
 */
#include <ui/keys.h>

#include <stdio.h>
#include <string.h>

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

/* The key named `name` (len bytes) as ui_key_name names it, 0 for none. */
static int key_by_name(const char *name, size_t len)
{
    char buf[16];
    if (len == 2 && memcmp(name, "lt", 2) == 0)
        return '<';
    for (int k = 1; k < 32; k++) {
        const char *n = ui_key_name(k, buf);
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return k == '\n' ? UI_KEY_ENTER : k;
    }
    static const int named[] = {' ', UI_KEY_BACKSPACE};
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++) {
        const char *n = ui_key_name(named[i], buf);
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return named[i];
    }
    for (int k = UI_KEY_SPECIAL + 1; k <= UI_KEY_F1; k++) {
        const char *n = ui_key_name(k, buf);
        if (strlen(n) == len && memcmp(n, name, len) == 0)
            return k;
    }
    return 0;
}

int ui_keys_parse(const char *text, int *keys, size_t max, char *err, size_t errlen)
{
    size_t n = 0;
    const unsigned char *p = (const unsigned char *)text;
    while (*p) {
        int key;
        if (*p == '<') {
            const char *close = strchr((const char *)p, '>');
            key = close ? key_by_name((const char *)p + 1, (size_t)(close - (const char *)p - 1)) : 0;
            if (!key) {
                snprintf(err, errlen, "no key named '%.*s' (names as in the help: <Enter>, <PgDn>, <Space>; <lt> is '<')",
                         close ? (int)(close - (const char *)p + 1) : (int)strlen((const char *)p), (const char *)p);
                return -1;
            }
            p = (const unsigned char *)close + 1;
        } else {
            /* one UTF-8 character */
            int len = *p < 0x80 ? 1 : (*p & 0xE0) == 0xC0 ? 2 : (*p & 0xF0) == 0xE0 ? 3 : 4;
            key = len == 1 ? *p : *p & (0x7F >> len);
            for (int i = 1; i < len; i++) {
                if ((p[i] & 0xC0) != 0x80) {
                    snprintf(err, errlen, "not UTF-8 at byte %zu of the keys", (size_t)(p - (const unsigned char *)text));
                    return -1;
                }
                key = (key << 6) | (p[i] & 0x3F);
            }
            p += len;
        }
        if (n >= max) {
            snprintf(err, errlen, "more than %zu keys", max);
            return -1;
        }
        keys[n++] = key;
    }
    return (int)n;
}
