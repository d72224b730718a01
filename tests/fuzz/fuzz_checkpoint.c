/*
 * fuzz_checkpoint.c - a libFuzzer target: any bytes as a checkpoint blob at a position (the first
 * four bytes), loaded into a model of the geometry of a real trace (the sample named by ARENASCOPE_FUZZ_SAMPLE, a demo's trace).  A
 * blob is refused or loads into a whole state: one that passes the validator, saves, and loads
 * back equal.
 *
 * Seeds: with ARENASCOPE_FUZZ_SEEDS=DIR the target writes the sample's own checkpoints into DIR
 * (a state saved at every 500th event) and exits; tests/fuzz/run.sh does that first.
 */
#include "fuzz.h"

#include <tracer/model.h>
#include <tracer/trace.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct trace_header header;

static void write_seeds(const char *sample, const char *dir)
{
    struct seeker *s;
    char err[512];
    if (seeker_open(&s, sample, 0, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_checkpoint: %s\n", err);
        exit(1);
    }
    uint64_t n = seeker_event_count(s);
    for (uint64_t at = 0; at <= n; at += 500) {
        void *blob;
        size_t len;
        if (seeker_seek(s, at) != 0 || model_save(seeker_model(s), &blob, &len) != 0)
            break;
        char path[4096];
        snprintf(path, sizeof path, "%s/ckpt-%06llu", dir, (unsigned long long)at);
        FILE *f = fopen(path, "wb");
        uint8_t key[4] = {(uint8_t)at, (uint8_t)(at >> 8), (uint8_t)(at >> 16), 0};
        if (!f || fwrite(key, 1, 4, f) != 4 || fwrite(blob, 1, len, f) != len) {
            fprintf(stderr, "fuzz_checkpoint: cannot write %s\n", path);
            exit(1);
        }
        fclose(f);
        free(blob);
    }
    seeker_free(s);
    exit(0);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    (void)argc;
    (void)argv;
    const char *sample = getenv("ARENASCOPE_FUZZ_SAMPLE");
    if (!sample) {
        fprintf(stderr, "fuzz_checkpoint: ARENASCOPE_FUZZ_SAMPLE names the trace whose geometry it uses\n");
        exit(2);
    }
    const char *seeds = getenv("ARENASCOPE_FUZZ_SEEDS");
    if (seeds)
        write_seeds(sample, seeds);
    struct trace_reader *r;
    char err[512];
    if (trace_reader_open(&r, sample, 0, err, sizeof err) != 0) {
        fprintf(stderr, "fuzz_checkpoint: %s\n", err);
        exit(1);
    }
    header = *trace_reader_header(r);
    trace_reader_free(r);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct model *m;
    if (model_new(&m, &header) != 0)
        abort();
    /* as the seeker loads a trace's checkpoint: at the position its index gives (the input's
     * first four bytes, as in a trace of at most 2^20 events), and the blob after them */
    if (size < 4) {
        model_free(m);
        return 0;
    }
    uint32_t pos = ((uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16) & 0xfffff;
    if (model_load_at(m, data + 4, size - 4, pos) == 0) {
        char err[512];
        void *blob;
        size_t len;
        struct model *back;
        if (!model_is_valid(m, err, sizeof err)) {
            fprintf(stderr, "a loaded checkpoint is not whole: %s\n", err);
            abort();
        }
        if (model_save(m, &blob, &len) != 0 || model_new(&back, &header) != 0)
            abort();
        if (model_load(back, blob, len) != 0 || !model_equals(m, back, err, sizeof err)) {
            fprintf(stderr, "a loaded checkpoint does not save and load back equal: %s\n", err);
            abort();
        }
        model_free(back);
        free(blob);
    }
    model_free(m);
    return 0;
}
