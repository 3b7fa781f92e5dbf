/*
 * ese_sort.h - sort (key, data) entries by key then data in bounded memory.
 *
 * Entries are buffered up to a memory limit (which counts the sort's own
 * arrays); a full buffer is sorted and written as a run to an unnamed
 * temporary file; the runs are merged on read.  Input that arrives in
 * order is neither sorted nor merged: its runs are read back in turn.
 * Used to build secondary indexes and, later, to cross-check them,
 * whatever the size of the database.
 */
#ifndef ESE_SORT_H
#define ESE_SORT_H

#include <stddef.h>
#include <stdint.h>
#include "ese_error.h"

typedef struct ese_sorter ese_sorter;

/* mem_limit: bytes of entries held in memory (at least 1 MiB is used);
 * tmpdir: where runs go (NULL: $TMPDIR or /tmp). */
int ese_sorter_open(size_t mem_limit, const char *tmpdir, ese_sorter **out, ese_status *st);

/* Adds an entry (key and data up to 65535 bytes each). */
int ese_sorter_add(ese_sorter *s, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen, ese_status *st);

/* Ends input; after this only ese_sorter_next. */
int ese_sorter_finish(ese_sorter *s, ese_status *st);

/* The next entry in order (views valid until the next call), or
 * JET_errRecordNotFound after the last. */
int ese_sorter_next(ese_sorter *s, const uint8_t **key, size_t *klen, const uint8_t **data, size_t *dlen,
                    ese_status *st);

uint64_t ese_sorter_count(const ese_sorter *s);
unsigned ese_sorter_runs(const ese_sorter *s);
void ese_sorter_close(ese_sorter *s);

#endif
