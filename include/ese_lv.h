/*
 * ese_lv.h - long values: reassemble a separated value from a table's
 * long-value tree (ESE lv.hxx).  LVROOT key = LID (4 bytes big-endian),
 * data {u32 refcount, u32 size}; chunk key = LID || offset (big-endian),
 * chunk data possibly compressed (see ese_compress.h).
 */
#ifndef ESE_LV_H
#define ESE_LV_H

#include <stddef.h>
#include <stdint.h>
#include "ese_catalog.h"
#include "ese_sbuf.h"

/* The chunk size of t's long values: the catalog's LVChunkMax if set, else
 * the page size's default (4014 for 4 KiB, 8110 for 8 KiB, 4050 for 16 KiB,
 * 8150 for 32 KiB pages). */
size_t ese_lv_chunk_size(const ese_table *t, uint32_t page_size);

/* Reads long value lid (4 or 8 bytes as found in the record, little-endian)
 * of table t into out (replacing its content).  Compressed chunks are
 * decompressed.  *refcount receives the LVROOT reference count when
 * non-NULL.  JET_errRecordNotFound when no such LV exists;
 * JET_errDatabaseCorrupted when its chunks do not add up to its size. */
int ese_lv_read(ese_db *db, const ese_table *t, const uint8_t *lid, size_t lidlen,
                ese_sbuf *out, uint32_t *refcount, ese_status *st);

#endif
