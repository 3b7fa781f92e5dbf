/*
 * ese_delete.h - delete records in place, as a live ESE store does.
 *
 * A deleter is a database opened read-write under an exclusive lock.
 * ese_delete_record removes one record of a table by its primary key: its
 * node in the table's data tree, its entry in every secondary index, and
 * one reference to each separated long value it holds (a long value whose
 * reference count reaches 0 is removed, root and chunks).  Leaves are left
 * sparse, as ESE leaves them; a page that becomes empty is unlinked from
 * its siblings, its pointer is removed from its parent (recursively when a
 * parent empties, the root becoming an empty leaf when its tree empties),
 * it is flagged Empty and returned to the owning tree's available-extent
 * space.  Everything else stays as it was: no page is split, merged or
 * moved, separators stay (ESE-FORMAT-NOTES 3.1 keeps them valid).
 *
 * Atomicity and ordering.  One ese_delete_record call first reads and
 * plans (the record, its index keys, its long values), then changes copies
 * of the pages it touches in memory, and only when every change succeeded
 * writes them, each with a new dbtime and checksum.  A call that fails
 * writes nothing.  The first write of a session marks the header Dirty
 * (fsynced before any data page); ese_delete_close fsyncs the data pages
 * and writes both header copies, Clean, with the last dbtime used, then
 * fsyncs again.  A crash in between leaves a database ESE refuses to attach
 * as is (dirty shutdown) instead of one that looks clean.  Crash safety
 * beyond that comes from a rollback journal attached to the deleter
 * (ese_delete_attach_journal, ese_journal.h): every page and header write
 * then goes through it, and a pass is all-or-nothing.
 *
 * While a deleter is open nothing else can open the file (the lock), and
 * the deleter's ese_db is not handed out: its page cache and header would
 * not see the pages written here.
 */
#ifndef ESE_DELETE_H
#define ESE_DELETE_H

#include <stddef.h>
#include <stdint.h>
#include "ese_catalog.h"
#include "ese_db.h"
#include "ese_error.h"
#include "ese_journal.h"

/* JET errors this module adds to ese_error.h's list (values from jethdr.w). */
#ifndef JET_errFeatureNotAvailable
#define JET_errFeatureNotAvailable     (-1001)  /* a layout this module does not modify */
#endif
#ifndef JET_errDatabaseFileReadOnly
#define JET_errDatabaseFileReadOnly    (-1008)  /* the file is read-only */
#endif
#ifndef JET_errIndexNotFound
#define JET_errIndexNotFound           (-1404)  /* no such index */
#endif
#ifndef JET_errSecondaryIndexCorrupted
#define JET_errSecondaryIndexCorrupted (-1414)  /* a secondary index lacks the record's entry */
#endif
#ifndef JET_errKeyDuplicate
#define JET_errKeyDuplicate            (-1605)  /* the entry (unique index: the key) exists */
#endif
#ifndef JET_errOutOfDatabaseSpace
#define JET_errOutOfDatabaseSpace      (-1012)  /* the database cannot grow */
#endif
#ifndef JET_errLVCorrupted
#define JET_errLVCorrupted             (-1526)  /* a long value is missing or its refcount is 0 */
#endif
#ifndef JET_errSPAvailExtCorrupted
#define JET_errSPAvailExtCorrupted     (-341)   /* a freed page is already available */
#endif
#ifndef JET_errSPOwnExtCorrupted
#define JET_errSPOwnExtCorrupted       (-343)   /* a freed page is not owned by its tree */
#endif

typedef struct ese_deleter ese_deleter;

/* Open flags. */
#define ESE_DELETE_LENIENT 1u   /* an index entry or long value the record
                                 * should have but lacks is counted in
                                 * stats.missing instead of failing the
                                 * call; of a long value without its root
                                 * or with refcount 0, whatever is left
                                 * (root, chunks) is removed */

/* What a deleter has done since it was opened (cumulative). */
typedef struct ese_delete_stats {
	uint64_t records;          /* records deleted */
	uint64_t index_entries;    /* secondary index entries removed (with
	                            * records or by ese_delete_index_entry) */
	uint64_t index_scans;      /* indexes searched entry by entry because the
	                            * record's key could not be computed or was
	                            * not found under its computed key */
	uint64_t lv_refs;          /* long-value references dropped */
	uint64_t lvs_deleted;      /* long values removed (last reference gone) */
	uint64_t pages_freed;      /* emptied pages returned to available space */
	uint64_t internal_freed;   /* of those, internal pages left without children */
	uint64_t space_pages;      /* of those, pages an available-extent tree
	                            * took to grow (not available: a space page) */
	uint64_t pages_written;    /* data pages written (headers not counted) */
	uint64_t pages_split;      /* pages split to make room (ese_delete_insert_entry,
	                            * and available-extent trees that grew) */
	uint64_t pages_allocated;  /* pages taken from available space for splits */
	uint64_t extents_added;    /* extents an object got from its parent (or
	                            * the database root from the file) */
	uint64_t pages_added;      /* pages the file grew by */
	uint64_t missing;          /* ESE_DELETE_LENIENT: entries / LVs absent */
} ese_delete_stats;

/* Opens the database at path for deleting records: ese_db_open with
 * ESE_OPEN_RDWR (exclusive lock), then the catalog.  flags: ESE_DELETE_*.
 * Returns 0 and *out, or:
 *   JET_errDatabaseFileReadOnly   the file has no write permission bit set,
 *                                 or cannot be opened for writing
 *                                 (refused even for root)
 *   JET_errFileAccessDenied       another opener holds a lock on the file
 *   JET_errDatabaseDirtyShutdown  the header is not in Clean Shutdown state
 *   JET_errInvalidParameter       a database format this module does not
 *                                 write (not 0x620)
 *   any error of ese_db_open or ese_catalog_load
 * On error nothing was written and *out is NULL. */
int ese_delete_open(const char *path, unsigned flags, ese_deleter **out, ese_status *st);

/* The catalog read at open (valid until ese_delete_close).  Deleting
 * records never changes it. */
const ese_catalog *ese_delete_catalog(const ese_deleter *d);

/* Deletes the record of table `table` whose primary key (the normalised
 * key as stored in the data tree; for a table without a primary index the
 * 4-byte big-endian DBK) is key[0..klen).  Returns 0, or:
 *   JET_errObjectNotFound          no such table
 *   JET_errRecordNotFound          no record has that key
 *   JET_errSecondaryIndexCorrupted a secondary index holds no entry for the
 *                                  record (not with ESE_DELETE_LENIENT)
 *   JET_errLVCorrupted             a long value the record references is
 *                                  missing or has refcount 0 (not lenient)
 *   JET_errSPAvailExtCorrupted / JET_errSPOwnExtCorrupted
 *                                  an emptied page is already available /
 *                                  not owned by its tree
 *   JET_errFeatureNotAvailable     an emptied page of a single-extent tree
 *                                  larger than 32 pages (no bit for it)
 *   JET_errDatabaseCorrupted / JET_errBadPageLink  a tree on the way is damaged
 *   JET_errDiskIO / JET_errDiskFull  writing failed: the deleter is then
 *                                  unusable and the header stays Dirty
 *   JET_errOutOfMemory
 * On any error but a write error, the file is unchanged by this call. */
int ese_delete_record(ese_deleter *d, const char *table, const uint8_t *key, size_t klen, ese_status *st);

/* Removes one entry from secondary index `index` of `table`, records and
 * long values untouched (for a checker that removes entries no record
 * makes).  The entry is the one with key key[0..klen) and data (the
 * primary key of the record it points at) data[0..dlen): in a non-unique
 * index the pair identifies it; in a unique index the key does, and the
 * entry's data must still equal data.  Emptied pages go as in
 * ese_delete_record.  Returns 0, or JET_errObjectNotFound (table),
 * JET_errIndexNotFound (no such secondary index; the primary index is the
 * data tree: use ese_delete_record), JET_errRecordNotFound (no such
 * entry), or the tree, space and write errors of ese_delete_record; on
 * any error but a write error the file is unchanged. */
int ese_delete_index_entry(ese_deleter *d, const char *table, const char *index, const uint8_t *key, size_t klen,
                           const uint8_t *data, size_t dlen, ese_status *st);

/* Removes long value `lid` (4-byte LID) of `table`'s long-value tree
 * whatever its reference count: its root (key = the big-endian LID) and
 * every chunk (key LID || offset), emptied pages freed as in
 * ese_delete_record (stats.lvs_deleted + 1).  For a checker that removes
 * an orphan long value (one no record references); the records are not
 * looked at.  A long value whose root is missing but whose chunks remain
 * loses those chunks (a checker's repair after nulling a dangling
 * reference).  Returns 0, or JET_errObjectNotFound (table),
 * JET_errRecordNotFound (the table has no long-value tree, or it holds
 * neither root nor chunk for lid), or the tree, space and write errors of
 * ese_delete_record; on any error but a write error the file is
 * unchanged. */
int ese_delete_lv(ese_deleter *d, const char *table, uint32_t lid, ese_status *st);

/* Inserts entry (key[0..klen), data[0..dlen)) into secondary index `index`
 * of `table` where its bookmark belongs (key, or key || data in a
 * non-unique index), making room as ESE does (issue 6: a checker adding a
 * missing entry to a full leaf): the lowest full page on the way whose
 * parent has room splits in two (an entry after the last of the rightmost
 * leaf gets a page of its own), or the root's nodes move down a level
 * (the root keeps its page number).  Each new page is taken from the
 * index's available space; an index with none gets an extent of 16 pages
 * from its table, a table with none from the database root, and the
 * database root from the file, which grows by 256 pages (ESE's default
 * extension; posix_fallocate when the pages are written, so a full disk
 * is found before any page is).  Extents go into the owned- and
 * available-extent trees, which grow as delete does.  The record the
 * entry points at is not looked at (ese_insert_index_entry checks it).
 * Returns 0, or JET_errObjectNotFound / JET_errIndexNotFound,
 * JET_errKeyDuplicate (the bookmark is there already),
 * JET_errFeatureNotAvailable (a tree of one extent whose pages are all in
 * use: ESE would first convert it to multiple extents, not done here; or
 * an entry too big to share a page), JET_errOutOfDatabaseSpace, the
 * tree, space and write errors of ese_delete_record; on any error but a
 * write error the file is unchanged. */
int ese_delete_insert_entry(ese_deleter *d, const char *table, const char *index, const uint8_t *key, size_t klen,
                            const uint8_t *data, size_t dlen, ese_status *st);

/* Splits the leaf of `table`'s data tree that holds the record with
 * primary key pk[0..pklen) in two halves (or, when it is the root, moves
 * its nodes down a level and splits the new leaf), pages taken as
 * ese_delete_insert_entry takes them: room for a record an update makes
 * longer (ese_update_record).  Returns 0, JET_errObjectNotFound,
 * JET_errRecordNotFound (no such record), JET_errFeatureNotAvailable (the
 * leaf holds that record alone), or the errors of ese_delete_insert_entry;
 * on any error but a write error the file is unchanged. */
int ese_delete_split_leaf(ese_deleter *d, const char *table, const uint8_t *pk, size_t pklen, ese_status *st);

/* Pages of the database as the session sees it (the file may have grown). */
uint32_t ese_delete_page_count(const ese_deleter *d);

/* Counters since open. */
const ese_delete_stats *ese_delete_get_stats(const ese_deleter *d);

/* Finishes the session and frees d: if any page was written, fsyncs them,
 * writes both header copies (state Clean, dbtime = the last one stamped on
 * a page) and fsyncs.  Returns 0, or JET_errDiskIO (the header then stays
 * Dirty).  A session that wrote nothing leaves the file untouched.
 * d may be NULL. */
int ese_delete_close(ese_deleter *d, ese_status *st);

/* ---- issue 6: journal and session hooks (ese_journal.h, ese_update.h) ---- */

/* Routes every later write of d through journal j (NULL: write directly
 * again): data pages with ese_journal_write_pages, the header copies with
 * ese_journal_write_header, so that each page's before-image is durable in
 * the journal before the page is overwritten.  Attach it before the
 * session's first change (the header's Clean image must be the one
 * journaled).  j must stay open until ese_delete_close returned (close
 * writes the Clean header through it); commit or roll back j after that. */
void ese_delete_attach_journal(ese_deleter *d, ese_journal *j);

/* The deleter's database, for READING pages that the session's own writes
 * may have changed: ese_db_read_page, cursors, ese_lv_read (they read the
 * file).  Not ese_db_get_page (its cache does not see the writes), and
 * never its fd for writing (ese_delete_write_pages is the way in). */
ese_db *ese_delete_db(ese_deleter *d);

/* Writes n whole pages changed by another module of the session (update.c):
 * each gets the next dbtime, flush type cleared and its checksum, and they
 * are written in page order, exactly as the deleter's own pages are
 * (header marked Dirty before the first write of the session; through the
 * journal when one is attached).  The caller's buffers are not changed
 * (stamped copies are written).  Returns 0, JET_errInvalidParameter (a
 * pgno outside the file or given twice), or the write errors of
 * ese_delete_record. */
int ese_delete_write_pages(ese_deleter *d, size_t n, const uint32_t *pgnos, const uint8_t *const *pages,
                           ese_status *st);

#endif
