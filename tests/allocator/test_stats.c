/*
 * test_stats.c - the sys._debugmallocstats() report: the printer against a real report of CPython
 * 3.11.7 (docs/cpython-memory.md 4.3), the byte accounting identity (docs/cpython-memory.md 8.4,
 * invariant 7) on many heap states, and the JSON form.  (test_cpython.c compares whole reports with
 * CPython's own _PyObject_DebugMallocStats after every script.)
 */
#include "helpers.h"

#include <tracer/stats_report.h>

#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The complete report of one `python3 -c 'import sys; sys._debugmallocstats()'` (3.11.7). */
static const char *const sample_lines[] = {
    "Small block threshold = 512, in 32 size classes.\n",
    "\n",
    "class   size   num pools   blocks in use  avail blocks\n",
    "-----   ----   ---------   -------------  ------------\n",
    "    0     16           1             106           915\n",
    "    1     32           3            1148           382\n",
    "    2     48          13            4226           194\n",
    "    3     64          50           12575           175\n",
    "    4     80          37            7445           103\n",
    "    5     96           9            1523             7\n",
    "    6    112           6             730           140\n",
    "    7    128          10            1187            83\n",
    "    8    144           3             266            73\n",
    "    9    160          27            2685            69\n",
    "   10    176           3             193            83\n",
    "   11    192           3             216            39\n",
    "   12    208           7             503            43\n",
    "   13    224           7             464            40\n",
    "   14    240           6             380            28\n",
    "   15    256           5             267            48\n",
    "   16    272           5             245            55\n",
    "   17    288           4             191            33\n",
    "   18    304           3             131            28\n",
    "   19    320           3             102            51\n",
    "   20    336           3             106            38\n",
    "   21    352           2              88             4\n",
    "   22    368           3              90            42\n",
    "   23    384           2              71            13\n",
    "   24    400           6             236             4\n",
    "   25    416           2              63            15\n",
    "   26    432           2              45            29\n",
    "   27    448           2              42            30\n",
    "   28    464           2              43            27\n",
    "   29    480           2              37            31\n",
    "   30    496           2              34            30\n",
    "   31    512           2              50            12\n",
    "\n",
    "# arenas allocated total           =                    4\n",
    "# arenas reclaimed                 =                    0\n",
    "# arenas highwater mark            =                    4\n",
    "# arenas allocated current         =                    4\n",
    "4 arenas * 1048576 bytes/arena     =            4,194,304\n",
    "\n",
    "# bytes in allocated blocks        =            3,493,168\n",
    "# bytes in available blocks        =              329,312\n",
    "18 unused pools * 16384 bytes      =              294,912\n",
    "# bytes lost to pool headers       =               11,280\n",
    "# bytes lost to quantization       =               16,480\n",
    "# bytes lost to arena alignment    =               49,152\n",
    "Total                              =            4,194,304\n",
    "\n",
    "arena map counts\n",
    "# arena map mid nodes              =                    1\n",
    "# arena map bot nodes              =                    1\n",
    "\n",
    "# bytes lost to arena map root     =              262,144\n",
    "# bytes lost to arena map mid      =              262,144\n",
    "# bytes lost to arena map bot      =              131,072\n",
    "Total                              =              655,360\n",
    "\n",
    "            8 free PyDictObjects * 48 bytes each =                  384\n",
    "           4 free PyFloatObjects * 24 bytes each =                   96\n",
    "           40 free PyListObjects * 40 bytes each =                1,600\n",
    "   4 free 1-sized PyTupleObjects * 32 bytes each =                  128\n",
    "   8 free 2-sized PyTupleObjects * 40 bytes each =                  320\n",
    "   2 free 3-sized PyTupleObjects * 48 bytes each =                   96\n",
    "   2 free 4-sized PyTupleObjects * 56 bytes each =                  112\n",
    "   3 free 5-sized PyTupleObjects * 64 bytes each =                  192\n",
    "   0 free 6-sized PyTupleObjects * 72 bytes each =                    0\n",
    "   8 free 7-sized PyTupleObjects * 80 bytes each =                  640\n",
    "   6 free 8-sized PyTupleObjects * 88 bytes each =                  528\n",
    "   1 free 9-sized PyTupleObjects * 96 bytes each =                   96\n",
    " 0 free 10-sized PyTupleObjects * 104 bytes each =                    0\n",
    " 1 free 11-sized PyTupleObjects * 112 bytes each =                  112\n",
    " 3 free 12-sized PyTupleObjects * 120 bytes each =                  360\n",
    " 5 free 13-sized PyTupleObjects * 128 bytes each =                  640\n",
    " 1 free 14-sized PyTupleObjects * 136 bytes each =                  136\n",
    " 2 free 15-sized PyTupleObjects * 144 bytes each =                  288\n",
    " 2 free 16-sized PyTupleObjects * 152 bytes each =                  304\n",
    " 2 free 17-sized PyTupleObjects * 160 bytes each =                  320\n",
    " 3 free 18-sized PyTupleObjects * 168 bytes each =                  504\n",
    " 1 free 19-sized PyTupleObjects * 176 bytes each =                  176\n",
    " 6 free 20-sized PyTupleObjects * 184 bytes each =                1,104\n"
};
static char sample[8192];

static void join_sample(void)
{
    if (sample[0])
        return;
    for (size_t i = 0; i < sizeof sample_lines / sizeof sample_lines[0]; i++)
        strcat(sample, sample_lines[i]);
}

/* Reads the sample back into a struct heap_stats: the class rows and the summary figures, as a
 * producer would fill them. */
static void sample_stats(struct heap_stats *st)
{
    join_sample();
    memset(st, 0, sizeof *st);
    st->alignment = 16;
    st->threshold = 512;
    st->pool_size = 16384;
    st->arena_size = 1048576;
    st->pool_overhead = 48;
    st->nclasses = 32;
    st->radix_tree = true;
    const char *s = strstr(sample, "------------\n") + 13;
    unsigned k, size;
    unsigned long pools, used, avail;
    int n;
    while (sscanf(s, "%u %u %lu %lu %lu\n%n", &k, &size, &pools, &used, &avail, &n) == 5) {
        st->classes[k] = (struct heap_stats_class){size, pools, used, avail};
        s += n;
    }
    for (uint32_t i = 0; i < 32; i++) {
        st->classes[i].size = 16 * (i + 1);
        const struct heap_stats_class *c = &st->classes[i];
        st->bytes_allocated += c->in_use * c->size;
        st->bytes_available += c->avail * c->size;
        st->bytes_pool_headers += c->pools * 48;
        st->bytes_quantization += c->pools * ((16384 - 48) % c->size);
    }
    st->arenas_allocated_total = st->arenas_highwater = st->arenas_current = 4;
    st->unused_pools = 18;
    st->bytes_alignment = 3 * 16384;
    st->map_mid_nodes = st->map_bot_nodes = 1;
    st->map_root_bytes = st->map_mid_bytes = 262144;
    st->map_bot_bytes = 131072;
    static const struct {
        const char *label;
        uint64_t count, each;
    } fl[] = {{"PyDictObjects", 8, 48}, {"PyFloatObjects", 4, 24}, {"PyListObjects", 40, 40}};
    for (int i = 0; i < 3; i++) {
        snprintf(st->freelists[i].label, sizeof st->freelists[i].label, "%s", fl[i].label);
        st->freelists[i].count = fl[i].count;
        st->freelists[i].each = fl[i].each;
    }
    static const uint64_t tuples[20] = {4, 8, 2, 2, 3, 0, 8, 6, 1, 0, 1, 3, 5, 1, 2, 2, 2, 3, 1, 6};
    for (int i = 0; i < 20; i++) {
        struct heap_stats_freelist *f = &st->freelists[3 + i];
        snprintf(f->label, sizeof f->label, "%d-sized PyTupleObjects", i + 1);
        f->count = tuples[i];
        f->each = 24 + 8 * (uint64_t)(i + 1);
    }
    st->nfreelists = 23;
}

static char *print_to_string(const struct heap_stats *st, unsigned flags, bool json)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    cr_assert(f);
    if (json)
        stats_report_print_json(f, st);
    else
        stats_report_print(f, st, flags);
    fclose(f);
    return text;
}

Test(stats, printer_reproduces_cpython)
{
    struct heap_stats *st = malloc(sizeof *st);
    cr_assert(st);
    sample_stats(st);
    cr_assert_eq(st->bytes_allocated, 3493168, "the sample's own rows give its totals");
    cr_assert_eq(st->bytes_quantization, 16480);
    char *text = print_to_string(st, 0, false);
    cr_assert_str_eq(text, sample);
    free(text);
    text = print_to_string(st, STATS_REPORT_RAW, false);
    cr_assert(strncmp(text, sample, strlen(sample)) == 0, "the raw section only follows CPython's report");
    cr_assert(strstr(text + strlen(sample), "# raw blocks                       =                    0\n"));
    free(text);
    free(st);
}

Test(stats, json_is_json)
{
    struct heap_stats *st = malloc(sizeof *st);
    cr_assert(st);
    sample_stats(st);
    snprintf(st->freelists[0].label, sizeof st->freelists[0].label, "odd \"label\"\\");
    char *text = print_to_string(st, 0, true);
    cr_assert(strstr(text, "\"allocated\":3493168"));
    cr_assert(strstr(text, "{\"class\":3,\"size\":64,\"pools\":50,\"in_use\":12575,\"avail\":175}"));
    cr_assert_eq(strchr(text, '\n'), text + strlen(text) - 1, "one line");
    FILE *py = popen("python3 -c 'import json,sys; d=json.load(sys.stdin); "
                     "assert d[\"bytes\"][\"total\"]==4194304 and d[\"freelists\"][0][\"label\"]==\"odd \\\"label\\\"\\\\\"' "
                     "2>&1",
                     "w");
    if (!py)
        cr_skip_test("python3 is not available to parse the JSON");
    fputs(text, py);
    int status = pclose(py);
    cr_assert_eq(status, 0, "python3 could not parse: %s", text);
    free(text);
    free(st);
}

/* Invariant 7 and the class table against the pools, on many states of every profile. */
Test(stats, accounting_adds_up)
{
    static const char *const profiles[] = {"cpython-3.10", "cpython-3.9", "classic", "custom:pool=1K,arena=4K,threshold=128"};
    for (size_t i = 0; i < 4; i++)
        for (uint64_t seed = 1; seed <= 4; seed++) {
            struct heap *h = th_heap(profiles[i], seed % 2 ? "mmap" : "aligned", NULL);
            struct sbuf text = {0};
            th_random_script(&text, seed + 50, 4000);
            struct ops_script s;
            th_parse(&s, "stats", &text);
            th_run(h, &s, 0, NULL);
            struct heap_stats *st = malloc(sizeof *st);
            cr_assert(st);
            heap_get_stats(h, st);
            uint64_t total = st->bytes_allocated + st->bytes_available + st->unused_pools * st->pool_size +
                             st->bytes_pool_headers + st->bytes_quantization + st->bytes_alignment;
            cr_assert_eq(total, st->arenas_current * st->arena_size, "%s", profiles[i]);
            struct heap_counters c;
            heap_inspect_counters(h, &c);
            uint64_t in_use = 0;
            for (uint32_t k = 0; k < st->nclasses; k++) {
                in_use += st->classes[k].in_use;
                if (st->classes[k].pools) {
                    const struct heap_profile *p = heap_profile(h);
                    cr_assert_eq(st->classes[k].in_use + st->classes[k].avail,
                                 st->classes[k].pools * heap_profile_blocks_per_pool(p, k));
                }
            }
            cr_assert_eq(in_use, c.pool_blocks, "invariant 8: the blocks in use are the pools' counts");
            cr_assert(st->raw_blocks == c.raw_blocks && st->raw_bytes == c.raw_bytes);
            cr_assert_eq(st->radix_tree, heap_profile(h)->arena_map_bits != 0);
            free(st);
            ops_script_release(&s);
            sbuf_release(&text);
            heap_delete(h);
        }
}
