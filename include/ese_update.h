/*
 * ese_update.h - change records and index entries in place (issue 6).
 *
 * The session is the deleter (ese_delete.h): one handle, one lock, one
 * Dirty-then-Clean header cycle for every change of a pass, deletes,
 * updates and index inserts alike.  Attach a journal to it
 * (ese_delete_attach_journal) to make the pass all-or-nothing.
 *
 * What is changed, and what never is:
 *  - ese_update_record replaces one record by a new one built from it with
 *    some column values replaced, in its leaf page (the page is re-laid by
 *    the page builder as delete.c re-lays pages), and moves the record's
 *    entries in every secondary index whose key changes: the old entries
 *    leave their leaves, the new ones enter the leaf their key belongs to
 *    (found by descending through the separators).
 *  - ese_insert_index_entry adds one entry to a secondary index the same
 *    way (a checker's "add a missing index entry").
 *  - a new index entry whose leaf is full (inserted or moved) is put in by
 *    the session (ese_delete_insert_entry: the leaf splits, space is taken
 *    as ESE takes it), after the call's other pages are written.
 *  - a new record that does not fit in the room its leaf has: the session
 *    splits that leaf first (ese_delete_split_leaf, written at once), then
 *    the update is planned again.  Separators of pages changed in place
 *    never change (an entry goes to the leaf whose range holds it, so
 *    every bound stays valid).
 *
 * Atomicity: each call plans every change on private copies of the pages
 * and writes them together (ese_delete_write_pages: new dbtime and
 * checksum each, through the journal when one is attached); a call that
 * fails writes nothing.  Exceptions, documented at ese_update_record: an
 * old index entry whose removal empties its leaf is removed first by the
 * deleter (which knows how to free a page), a leaf too full for the new
 * record is split first, and a new entry whose leaf is full is inserted
 * by the deleter last.
 */
#ifndef ESE_UPDATE_H
#define ESE_UPDATE_H

#include <stddef.h>
#include <stdint.h>
#include "ese_dbheader.h"
#include "ese_delete.h"
#include "ese_journal.h"
#include "ese_record.h"

/* JET errors this module uses beyond ese_error.h's and ese_delete.h's. */
#ifndef JET_errRecordPrimaryChanged
#define JET_errRecordPrimaryChanged (-1604)  /* a column of the primary key was given */
#endif
#ifndef JET_errNullInvalid
#define JET_errNullInvalid          (-1504)  /* NULL given for a NOT NULL column */
#endif
#ifndef JET_errKeyDuplicate
#define JET_errKeyDuplicate         (-1605)  /* the entry (unique index: the key) exists */
#endif

/* ese_update_record flags. */
#define ESE_UPDATE_LENIENT 1u   /* an old index entry the record should have
                                 * but lacks is not an error (nothing to
                                 * remove), and a new entry already present
                                 * is not added again; counted in
                                 * ese_update_info.missing / .present */

#define ESE_UPDATE_NULL_MISSING_LV 2u /* a tagged column given as NULL whose
                                 * stored value holds separated long values
                                 * loses the references to long values that
                                 * do not exist in the table's long-value
                                 * tree (dangling: no reference count to
                                 * change); its other values stay, and the
                                 * column is NULL only when none is left.
                                 * Checked against the tree before anything
                                 * is written; a value without dangling
                                 * references is left as it is */

/* What one ese_update_record call did. */
typedef struct ese_update_info {
	int      changed;         /* 0: the new record equals the old one and
	                           * nothing was written */
	int      in_place;        /* fixed columns patched in the record's bytes
	                           * (no re-encoding; same length) */
	size_t   old_len, new_len;/* record sizes */
	unsigned index_removed;   /* old secondary index entries removed */
	unsigned index_added;     /* new ones inserted */
	unsigned missing;         /* LENIENT: old entries that were not there */
	unsigned present;         /* LENIENT: new entries already there */
	unsigned pages_written;   /* pages this call wrote */
} ese_update_info;

/* Replaces the record of table `table` whose primary key (normalised, as
 * stored in the data tree; the 4-byte DBK for a table without a primary
 * index) is pk[0..pklen) by the same record with vals[0..nvals) set
 * (ese_value as for ese_record_encode: data/len, or is_null, or instances
 * for a multi-valued tagged column; any order, each column at most once).
 *
 * Fixed columns given with a value of their exact size, the record
 * holding them, are patched in the record's bytes (null bit cleared):
 * counts, reference counts, sizes.  Anything else re-encodes the whole
 * record with ese_record_encode, after checking that the encoder gives
 * back the old record byte for byte from its own values (else
 * JET_errFeatureNotAvailable: a layout this module would not reproduce).
 * The new record keeps every other value as stored, NULL fixed columns'
 * bytes included.
 *
 * Secondary indexes: for every index with a column (or conditional
 * column) among vals, the old record's keys and the new one's are
 * computed (ese_index_keys, spec from the index's catalog record); keys
 * the new record no longer makes are removed, new ones inserted.
 * Indexes no given column takes part in are not looked at.
 *
 * Not done (refused before anything is written):
 *  - a column of the primary index: JET_errRecordPrimaryChanged
 *  - replacing a value that holds a separated long value, or giving one:
 *    JET_errFeatureNotAvailable (long-value reference counts would change);
 *    except nulling a dangling one with ESE_UPDATE_NULL_MISSING_LV
 *  - a key that cannot be computed offline (ESE_KEY_NOT_COMPUTABLE, -603)
 *    or that the index refuses (ESE_KEY_TRUNCATED)
 *
 * Returns 0 (info filled when non-NULL), or:
 *   JET_errObjectNotFound           no such table
 *   JET_errRecordNotFound           no record has that primary key
 *   JET_errColumnNotFound / JET_errInvalidBufferSize / JET_errColumnTooBig /
 *   JET_errInvalidParameter         a value the encoder refuses
 *   JET_errNullInvalid              NULL for a NOT NULL column
 *   JET_errRecordTooBig             the new record exceeds
 *                                   ese_record_max_size, or does not fit in
 *                                   its leaf after three splits
 *   JET_errKeyDuplicate             a unique index already holds the new
 *                                   key for another record (or, not
 *                                   lenient, the new entry is already there)
 *   JET_errSecondaryIndexCorrupted  an old entry is missing (not lenient)
 *   JET_errFeatureNotAvailable      see above; or a new index entry meets
 *                                   a full leaf that cannot split
 *                                   (ese_delete_insert_entry)
 *   JET_errDatabaseCorrupted / JET_errBadPageLink  a tree on the way is
 *                                   damaged
 *   JET_errDiskIO / JET_errDiskFull a write failed (the session is then
 *                                   unusable; roll the pass back)
 *   JET_errOutOfMemory
 * On every error but a write error the file is unchanged, with one
 * exception: when an old index entry's removal empties its (non-root)
 * leaf, that removal is done first by ese_delete_index_entry (which frees
 * the page); if the rest then fails, that entry stays removed (the index
 * lacks the record's entry: /g reports it, a journal rolls it back).
 * A leaf split to make room for the new record stays split (a valid
 * tree) if the update then fails.
 * And a new entry whose leaf is full is inserted after the record and
 * the other entries were written; if that insert fails, the record is
 * updated but the index lacks its entry (isinteg reports it; a journal
 * rolls the pass back). */
int ese_update_record(ese_deleter *d, const char *table, const uint8_t *pk, size_t pklen, const ese_value *vals,
                      size_t nvals, unsigned flags, ese_update_info *info, ese_status *st);

/* Replaces the record of `table` at primary key pk[0..pklen) by the record
 * bytes rec[0..len) as they are (a checker rewriting a damaged copy from a
 * good one: a shadow catalog record from MSysObjects).  Every secondary
 * index is compared and its entries moved as ese_update_record moves them.
 * Refused before anything is written: a new record that does not decode
 * (JET_errDatabaseCorrupted), has another primary key
 * (JET_errRecordPrimaryChanged), or is too big for its page
 * (JET_errRecordTooBig); an old or new record holding a separated long
 * value (JET_errFeatureNotAvailable: reference counts).  Other errors as
 * ese_update_record. */
int ese_update_replace_record(ese_deleter *d, const char *table, const uint8_t *pk, size_t pklen, const uint8_t *rec,
                              size_t len, ese_update_info *info, ese_status *st);

/* ese_update_record for one column named `column` (case-insensitive) set
 * to value[0..len) as stored (little-endian numbers), or to NULL when
 * value is NULL.  Same returns, plus JET_errColumnNotFound for a name the
 * table does not have. */
int ese_update_column(ese_deleter *d, const char *table, const uint8_t *pk, size_t pklen, const char *column,
                      const void *value, size_t len, ese_status *st);

/* Inserts into secondary index `index` of `table` the entry with key
 * key[0..klen) (normalised, as ese_index_keys makes it) and data
 * data[0..dlen) (the primary key of the record it points at, as stored in
 * the data tree), in the leaf the key belongs to.  Returns 0, or:
 *   JET_errObjectNotFound       no such table
 *   JET_errIndexNotFound        no such secondary index (the primary index
 *                               is the data tree)
 *   JET_errRecordNotFound       no record has primary key data[0..dlen)
 *   JET_errKeyDuplicate         the entry is there already (unique index:
 *                               an entry with that key is)
 *   JET_errFeatureNotAvailable  the leaf has no room for it and cannot
 *                               split (ese_delete_insert_entry)
 *   JET_errInvalidParameter     klen 0 or over ESE_KEY_MOST_MAX, dlen 0
 *   tree, write and memory errors as ese_update_record
 * On any error but a write error the file is unchanged. */
int ese_insert_index_entry(ese_deleter *d, const char *table, const char *index, const uint8_t *key, size_t klen,
                           const uint8_t *data, size_t dlen, ese_status *st);

/* Sets the reference count of long value `lid` (4-byte LID) of `table`
 * to refcount: the 4 little-endian bytes that open the data of its LVROOT
 * node (key = the big-endian LID) in the table's long-value tree, patched
 * in place (same size, the leaf otherwise untouched), written as the
 * other calls write (ese_delete_write_pages).  Nothing is written when the
 * count is already refcount.  For a checker that sets a count to the
 * number of references the records hold; the records are not looked at.
 * Returns 0, or:
 *   JET_errObjectNotFound           no such table
 *   JET_errRecordNotFound           the table has no long-value tree, or
 *                                   no LVROOT for lid
 *   JET_errDatabaseCorrupted        the root's data is shorter than 8 bytes
 *   tree, write and memory errors as ese_update_record
 * On any error but a write error the file is unchanged. */
int ese_update_lv_refcount(ese_deleter *d, const char *table, uint32_t lid, uint32_t refcount, ese_status *st);

/* The header's repair bookkeeping, as ESE does when it repairs a
 * database: repair_count + 1 and time_repair = *when (NULL: now, UTC), in
 * both header copies, through journal j when non-NULL (else written
 * directly), then fsync.  Opens the database itself (ESE_OPEN_RDWR, so its
 * lock): call it after the session closed (ese_delete_close writes the
 * header from the copy it read at open and would undo this), before
 * ese_journal_commit.  Returns 0, or the errors of ese_db_open,
 * JET_errDatabaseDirtyShutdown (the header is not Clean), JET_errDiskIO. */
int ese_update_mark_repaired(const char *path, ese_journal *j, const ese_logtime *when, ese_status *st);

#endif
