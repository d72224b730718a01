/*
 * eventfmt.c - events as text and JSON, for dump and for the UI's event list.  Driven by the
 * event table, so a new kind prints without a change here.  Written for speed (dump prints
 * millions of lines): digits are produced by hand, not by printf.
 */
#include <tracer/trace.h>

#include <string.h>

struct out {
    char *p, *end;
    size_t need; /* bytes the whole line needs */
};

static void put(struct out *o, const char *s, size_t n)
{
    o->need += n;
    if ((size_t)(o->end - o->p) >= n) {
        memcpy(o->p, s, n);
        o->p += n;
    } else {
        o->p = o->end;
    }
}

static void put_str(struct out *o, const char *s)
{
    put(o, s, strlen(s));
}

static void put_u64(struct out *o, uint64_t v)
{
    char b[20];
    int i = 20;
    do {
        b[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    put(o, b + i, (size_t)(20 - i));
}

static void put_i64(struct out *o, int64_t v)
{
    if (v < 0) {
        put(o, "-", 1);
        put_u64(o, (uint64_t)0 - (uint64_t)v);
    } else {
        put_u64(o, (uint64_t)v);
    }
}

static void put_hex(struct out *o, uint64_t v)
{
    static const char digits[] = "0123456789abcdef";
    char b[18];
    int i = 18;
    do {
        b[--i] = digits[v & 15];
        v >>= 4;
    } while (v);
    b[--i] = 'x';
    b[--i] = '0';
    put(o, b + i, (size_t)(18 - i));
}

static void put_quoted(struct out *o, const char *s, size_t n, bool json)
{
    static const char digits[] = "0123456789abcdef";
    put(o, "\"", 1);
    size_t run = 0; /* bytes copied as they are, flushed before each escape */
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        char esc[8];
        size_t len = 0;
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            len = 2;
        } else if (c == '\n') {
            memcpy(esc, "\\n", 2);
            len = 2;
        } else if (c == '\t') {
            memcpy(esc, "\\t", 2);
            len = 2;
        } else if (c < 0x20 || c >= 0x7f) {
            /* JSON: bytes outside ASCII are given as code points U+0080..U+00FF (lossless and
             * always valid JSON, since texts need not be UTF-8) */
            if (json) {
                memcpy(esc, "\\u00", 4);
                esc[4] = digits[c >> 4];
                esc[5] = digits[c & 15];
                len = 6;
            } else {
                esc[0] = '\\';
                esc[1] = 'x';
                esc[2] = digits[c >> 4];
                esc[3] = digits[c & 15];
                len = 4;
            }
        } else {
            run++;
            continue;
        }
        put(o, s + i - run, run);
        run = 0;
        put(o, esc, len);
    }
    put(o, s + n - run, run);
    put(o, "\"", 1);
}

static size_t finish(struct out *o, char *buf, size_t len)
{
    if (len) {
        if (o->p < o->end)
            *o->p = '\0';
        else
            buf[len - 1] = '\0';
    }
    return o->need;
}

/* A field's value: an address in hex (a string in JSON), a signed or unsigned number in decimal. */
static void put_value(struct out *o, char type, uint64_t v, bool json)
{
    switch (type) {
    case 'a':
    case 'p':
        if (json)
            put(o, "\"", 1);
        put_hex(o, v);
        if (json)
            put(o, "\"", 1);
        break;
    case 'i': put_i64(o, (int64_t)v); break;
    default: put_u64(o, v); break;
    }
}

/* A field's key: ` name=` in text, `,"name":` in JSON, where a field named like the object's
 * own keys gets a final underscore (finalize's "kind" becomes "kind_"). */
static void put_key(struct out *o, const char *name, bool json)
{
    put(o, json ? ",\"" : " ", json ? 2 : 1);
    put_str(o, name);
    if (json && (strcmp(name, "seq") == 0 || strcmp(name, "kind") == 0))
        put(o, "_", 1);
    put(o, json ? "\":" : "=", json ? 2 : 1);
}

/* An event's fields in table order, then its text when its kind has one. */
static void put_fields(struct out *o, const struct event *ev, bool json)
{
    enum event_kind k = ev->kind;
    size_t nw = event_kind_field_count(k);
    for (size_t i = 0; i < nw; i++) {
        put_key(o, event_kind_field_name(k, i), json);
        put_value(o, event_kind_field_type(k, i), ev->u.f[i], json);
    }
    const char *tn = event_kind_text_name(k);
    if (tn) {
        put_key(o, tn, json);
        put_quoted(o, ev->str ? ev->str : "", ev->str ? ev->str_len : 0, json);
    }
}

size_t event_format_text(const struct event *ev, char *buf, size_t len)
{
    struct out o = {buf, buf + (len ? len - 1 : 0), 0};
    put_str(&o, event_kind_name(ev->kind));
    put_fields(&o, ev, false);
    return finish(&o, buf, len);
}

size_t event_format_json(const struct event *ev, char *buf, size_t len)
{
    struct out o = {buf, buf + (len ? len - 1 : 0), 0};
    put_str(&o, "{\"seq\":");
    put_u64(&o, ev->seq);
    put_str(&o, ",\"kind\":\"");
    put_str(&o, event_kind_name(ev->kind));
    put(&o, "\"", 1);
    put_fields(&o, ev, true);
    put(&o, "}", 1);
    return finish(&o, buf, len);
}
