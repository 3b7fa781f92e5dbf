/*
 * ese_bulk.h - build one B-tree from its entries in key order.
 *
 * Leaves are filled to the fill factor, branch levels are built bottom-up,
 * leaf siblings are linked, and the root lands on the object's pgnoFDP.
 * It streams: memory is one staged page per level, never the tree.
 * Separators are the shortest prefix of the right page's first bookmark
 * that sorts above the left page's last one (ESE's own choice); the last
 * node of every right-spine page has an empty key; key prefixes common to
 * a non-root page are compressed into its tag 0 when that saves space.
 */
#ifndef ESE_BULK_H
#define ESE_BULK_H

#include <stddef.h>
#include <stdint.h>
#include "ese_writer.h"

typedef struct ese_bulk ese_bulk;

/* unique: entries are ordered and unique by key (else by key || data).
 * fill: percent of a leaf page to fill (20-100). */
int ese_bulk_open(ese_writer *w, ese_wobj *obj, int unique, unsigned fill, ese_bulk **out, ese_status *st);

/* Adds the next entry; bookmarks must ascend strictly (JET_errInvalidParameter
 * otherwise; JET_errRecordTooBig (-1026) if one entry cannot fit a page). */
int ese_bulk_add(ese_bulk *b, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen, ese_status *st);

/* Writes the remaining pages and the root; frees b. */
int ese_bulk_finish(ese_bulk *b, ese_status *st);
void ese_bulk_abort(ese_bulk *b);

/* Entries and pages written so far. */
uint64_t ese_bulk_entries(const ese_bulk *b);
uint64_t ese_bulk_pages(const ese_bulk *b);

#endif
