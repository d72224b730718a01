/*
 * crc32c_hw.h - private to tracer/: a CRC32C computed by the processor, where it can
 * (crc32c_x86.c), or nothing (crc32c_other.c).  Same convention as codec_crc32c().
 */
#ifndef TRACER_CRC32C_HW_H
#define TRACER_CRC32C_HW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

bool crc32c_hw_is_available(void);
uint32_t crc32c_hw(uint32_t crc, const void *buf, size_t len);

#endif
