/*
 * ese_cursor.h - walk one B-tree in key order, or seek in it.
 *
 * The cursor descends from the root through child pointers (it does not
 * trust sibling links), keeps one page per level, and refuses trees deeper
 * than ESE_CURSOR_MAX_DEPTH or that reach a page twice on the way down, so
 * loops in child links end in JET_errBadPageLink instead of hanging.
 * Nodes flagged deleted are skipped.
 */
#ifndef ESE_CURSOR_H
#define ESE_CURSOR_H

#include <stddef.h>
#include <stdint.h>
#include "ese_db.h"

#define ESE_CURSOR_MAX_DEPTH 16
#define ESE_KEY_MAX 4096          /* longer than any key ESE allows */

typedef struct ese_cursor ese_cursor;

/* A cursor on the tree whose root is pgno_root and whose pages must carry
 * objid (0: do not check). */
int ese_cursor_open(ese_db *db, uint32_t pgno_root, uint32_t objid, ese_cursor **out, ese_status *st);
void ese_cursor_close(ese_cursor *c);

/* Positions on the first entry.  JET_errRecordNotFound for an empty tree. */
int ese_cursor_first(ese_cursor *c, ese_status *st);

/* Moves to the next entry.  JET_errRecordNotFound past the last one. */
int ese_cursor_next(ese_cursor *c, ese_status *st);

/* Positions on the first entry whose key is >= key (JET_errRecordNotFound
 * if there is none). */
int ese_cursor_seek(ese_cursor *c, const uint8_t *key, size_t len, ese_status *st);

/* The current entry: full key and data (valid until the cursor moves). */
const uint8_t *ese_cursor_key(const ese_cursor *c, size_t *len);
const uint8_t *ese_cursor_data(const ese_cursor *c, size_t *len);
/* The leaf page the current entry is on. */
uint32_t ese_cursor_pgno(const ese_cursor *c);

#endif
