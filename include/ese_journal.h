/*
 * ese_journal.h - a rollback journal that makes one repair pass over a
 * database all-or-nothing (issue 6, "safe fixes").
 *
 * The journal of database FILE is the file FILE.isinteg-journal in the
 * same directory (ESE_JOURNAL_SUFFIX appended to the database path as
 * given).  It exists only while a pass runs, or after a pass was
 * interrupted: its presence means "the database may hold half a pass".
 *
 * Protocol (SQLite's rollback journal, pager.c, applied to whole pages):
 *  1. ese_journal_begin creates the journal (O_EXCL, mode 0600), writes
 *     its header (magic, page size, the database's size and signature, a
 *     random salt), fsyncs it and fsyncs the directory, so the journal is
 *     durable before any page of the database changes.  The journal stays
 *     flock'ed (LOCK_EX) by its owner until commit or rollback: a locked
 *     journal belongs to a live pass, an unlocked one to a dead one.
 *  2. Before a database page (or either header page) is overwritten for
 *     the first time in the pass, its before-image (the bytes on disk, as
 *     they are) is appended to the journal and the journal is fsynced.
 *     Only then is the page written.  A page is journaled once per pass:
 *     its first image is the one that matters.
 *  3. ese_journal_commit fsyncs the database, deletes the journal and
 *     fsyncs the directory.  The pass is durable from that point on.
 *  4. ese_journal_recover (run first thing by every tool that opens a
 *     database) finds an unlocked journal, checks that it belongs to this
 *     database, writes every before-image back, fsyncs the database,
 *     deletes the journal and fsyncs the directory.  The database is then
 *     byte for byte what it was when the pass began.  Recovery is
 *     idempotent: a crash during recovery is recovered by running it again.
 *
 * Why a torn record is harmless: records are appended in batches, and each
 * batch is fsynced before any page it protects is written.  A crash while
 * appending can only tear records of the last batch (any of them: the
 * kernel writes back in any order), and no page of that batch was written
 * yet; recovery ignores them (a record names its batch, so an invalid
 * record followed by a later batch is damage, not a torn tail).  Every
 * record carries a SHA-256 over the journal's salt and the record, so a
 * torn, stale or foreign record is never mistaken for a valid one.
 *
 * On-disk layout (all integers little-endian):
 *   header, ESE_JOURNAL_HDR_SIZE (128) bytes:
 *      0  u8[8]  magic "EseJrnl1"
 *      8  u32    format version (1)
 *     12  u32    header size (128)
 *     16  u32    page size of the database
 *     20  u32    record size (page size + 48)
 *     24  u64    database file size when the pass began
 *     32  u8[28] database signature (header bytes 24..51, SIGNATURE)
 *     60  u32    0
 *     64  u64    database dbtime when the pass began (informational)
 *     72  u8[16] salt (random)
 *     88  u64    creation time (Unix seconds, informational)
 *     96  u8[32] SHA-256 of bytes 0..95
 *   then records, back to back, each record size bytes:
 *      0  u32    magic "JPG1"
 *      4  u32    sequence number (0, 1, 2, ... in append order)
 *      8  u32    file page: 0 and 1 are the two header copies, p + 1 is
 *                database page p (offset = file page * page size)
 *     12  u32    sequence number of the first record of its batch (the
 *                records appended together, then fsynced once)
 *     16  u8[ps] the page's before-image
 *  16+ps  u8[32] SHA-256 of salt || bytes 0..16+ps-1
 *
 * The journal writes through its own file descriptor (opened without a
 * lock): the caller keeps the database locked through its own session
 * (ese_delete_open and friends) while the pass runs.  Reads of pages the
 * journal wrote see them at once (same file).
 *
 * Typical pass (isinteg -fix):
 *     ese_journal_recover(path, &rec, &st);          first thing
 *     ese_delete_open(path, 0, &d, &st);
 *     ese_journal_begin(path, page_size, &j, &st);
 *     ese_delete_attach_journal(d, j);
 *     ... ese_delete_record / ese_update_record / ese_insert_index_entry ...
 *     ese_delete_close(d, &st);                      header Clean, via j
 *     ese_update_mark_repaired(path, j, NULL, &st);  optional, via j
 *     ese_journal_commit(j, &st);                    or ese_journal_rollback
 */
#ifndef ESE_JOURNAL_H
#define ESE_JOURNAL_H

#include <stddef.h>
#include <stdint.h>
#include "ese_error.h"

#define ESE_JOURNAL_SUFFIX   ".isinteg-journal"
#define ESE_JOURNAL_HDR_SIZE 128u
#define ESE_JOURNAL_REC_OVERHEAD 48u   /* record = page size + this */

/* JET errors this module uses beyond ese_error.h's list (jethdr.w). */
#ifndef JET_errBadDbSignature
#define JET_errBadDbSignature   (-531)   /* the journal belongs to another database */
#endif
#ifndef JET_errLogFileCorrupt
#define JET_errLogFileCorrupt   (-501)   /* a journal record other than the last is damaged */
#endif

typedef struct ese_journal ese_journal;

/* What recovery (or rollback) found and did. */
typedef struct ese_journal_recovery {
	int      found;           /* a journal was there */
	int      discarded;       /* it was torn while being created (no valid
	                           * header, no record): nothing of the
	                           * database had been written; it was removed */
	int      torn_tail;       /* records of its last batch were torn and ignored */
	uint64_t records;         /* valid records read */
	uint64_t pages_restored;  /* distinct pages written back, the two
	                           * header copies included */
	int      headers_restored;/* the header pages were among them */
	int      truncated;       /* the file had grown and was cut back */
} ese_journal_recovery;

/* The journal's path for database db_path (db_path + ESE_JOURNAL_SUFFIX),
 * malloc'd; NULL when out of memory. */
char *ese_journal_path(const char *db_path);

/* 1 if db_path has a journal (a pass is running or was interrupted),
 * else 0.  Read-only callers that will not recover can use it to warn. */
int ese_journal_exists(const char *db_path);

/* Starts a pass over the database at db_path, whose pages are page_size
 * bytes: opens the database (O_RDWR, no lock: the caller's session holds
 * it), reads its header, creates the journal and makes it durable (see
 * step 1 above).  Returns 0 and *out, or:
 *   JET_errDatabaseDirtyShutdown  a journal already exists: a pass is
 *                                 running or an interrupted one must be
 *                                 recovered first (ese_journal_recover)
 *   JET_errPageSizeMismatch       the header declares another page size
 *   JET_errInvalidDatabase        no valid header copy, or the file is not
 *                                 a whole number of pages
 *   JET_errFileNotFound / JET_errFileAccessDenied / JET_errDiskIO /
 *   JET_errDiskFull / JET_errOutOfMemory
 * On error no journal is left behind and *out is NULL. */
int ese_journal_begin(const char *db_path, uint32_t page_size, ese_journal **out, ese_status *st);

/* Journals before[0..page_size) as the before-image of database page pgno
 * (1-based, as everywhere in the library) and fsyncs the journal; the
 * caller may overwrite the page once this returned 0.  A page already
 * journaled in this pass is not journaled again (returns 0).  Errors:
 * JET_errInvalidParameter (pgno 0 or past the size the file had at begin),
 * JET_errDiskIO / JET_errDiskFull (the journal could not be written: the
 * page must not be written; the journal is then unusable), or
 * JET_errOutOfMemory. */
int ese_journal_protect(ese_journal *j, uint32_t pgno, const uint8_t *before, ese_status *st);

/* Journals both header pages (file pages 0 and 1) as they are on disk,
 * once per pass.  Errors as ese_journal_protect. */
int ese_journal_protect_header(ese_journal *j, ese_status *st);

/* Writes database page pgno through the journal: journals its
 * before-image read from disk (unless already journaled), sets the page's
 * checksum for pgno (ese_checksum_set_page; page is changed in place) and
 * writes it.  A page past the size the pass began with (the file grew
 * during the pass) has no before-image: rollback cuts the file back to
 * that size.  No fsync of the database (commit does it).  Errors as
 * ese_journal_protect (but any pgno from 1 up is accepted); a failed database write is JET_errDiskIO or
 * JET_errDiskFull and leaves the journal usable for rollback. */
int ese_journal_write_page(ese_journal *j, uint32_t pgno, uint8_t *page, ese_status *st);

/* The same for n pages at once: every before-image not yet journaled is
 * appended and the journal fsynced once, then the pages are written in
 * the order given.  pgnos need not be sorted; a pgno may not repeat. */
int ese_journal_write_pages(ese_journal *j, size_t n, const uint32_t *pgnos, uint8_t *const *pages, ese_status *st);

/* Writes a header page (already encoded with its checksum, e.g. by
 * ese_dbheader_encode) to both header copies, after journaling them
 * (ese_journal_protect_header).  No fsync. */
int ese_journal_write_header(ese_journal *j, const uint8_t *page, ese_status *st);

/* Pages journaled so far in this pass (header pages included). */
uint64_t ese_journal_pages(const ese_journal *j);

/* Ends the pass, keeping its changes: fsyncs the database, deletes the
 * journal, fsyncs the directory, and frees j (on error too).  Returns 0,
 * or JET_errDiskIO: the database could not be synced (the journal is then
 * kept, and the next ese_journal_recover rolls the pass back), the journal
 * could not be removed, or an append to the journal had failed during the
 * pass (the pass is then rolled back here instead: a pass that stopped in
 * the middle is never kept).  j may be NULL. */
int ese_journal_commit(ese_journal *j, ese_status *st);

/* Ends the pass, undoing it: writes every before-image back (recovery on
 * the pass's own journal), fsyncs, deletes the journal and frees j (on
 * error too; then the journal stays for ese_journal_recover).  Close every
 * session on the database first (a session still open would write its
 * header over the restored one when it closes).  res may be NULL.
 * Returns 0 or the errors of ese_journal_recover. */
int ese_journal_rollback(ese_journal *j, ese_journal_recovery *res, ese_status *st);

/* Frees j and leaves the journal on disk, unlocked, exactly as a crash
 * would (for tests, and for a caller that must stop without deciding).
 * The next ese_journal_recover rolls the pass back.  j may be NULL. */
void ese_journal_abandon(ese_journal *j);

/* Recovers the database at db_path from an interrupted pass, if there is
 * one.  Call it before opening the database (it takes the database's
 * lock while it works).  Returns 0 (res->found says whether a journal was
 * there; res->pages_restored how many pages were rolled back), or:
 *   JET_errFileAccessDenied  the journal is locked (a pass is running in
 *                            another process) or the database is locked
 *                            or cannot be opened for writing
 *   JET_errBadDbSignature    the journal names another database (its
 *                            signature or page size differ): it is left
 *                            alone, nothing written
 *   JET_errLogFileCorrupt    the journal's header is damaged while records
 *                            follow it, or a record before the last one
 *                            is damaged: the valid records were written
 *                            back but the journal is kept (the page a
 *                            damaged record protects cannot be restored)
 *   JET_errDiskIO / JET_errDiskFull / JET_errOutOfMemory: the journal is
 *                            kept; running recovery again is safe
 * res may be NULL. */
int ese_journal_recover(const char *db_path, ese_journal_recovery *res, ese_status *st);

#endif
