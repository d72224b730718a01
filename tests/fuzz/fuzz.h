/* fuzz.h - what libFuzzer calls in a target. */
#ifndef TESTS_FUZZ_FUZZ_H
#define TESTS_FUZZ_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerInitialize(int *argc, char ***argv); /* optional: once, before the first input */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif
