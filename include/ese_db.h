/*
 * ese_db.h - an open database file.
 *
 * ese_db_open reads and checks the header and its shadow copy, learns the
 * page size, and gives page-level access through a small cache.  It never
 * reads the whole file into memory.  Diagnostic opens are read-only.
 */
#ifndef ESE_DB_H
#define ESE_DB_H

#include <stdint.h>
#include <stddef.h>
#include "ese_error.h"
#include "ese_dbheader.h"
#include "ese_checksum.h"

typedef struct ese_db ese_db;

/* Open flags. */
#define ESE_OPEN_RDONLY        0u
#define ESE_OPEN_RDWR          1u   /* needed by writers (not diagnostics) */
#define ESE_OPEN_NO_VERIFY     2u   /* do not verify page checksums on read */
#define ESE_OPEN_ANY_HEADER    4u   /* accept a bad header if one copy decodes (for /mh, /k) */
#define ESE_OPEN_EXCLUSIVE     8u   /* exclusive lock even when read-only (/d, isinteg) */

/* How the two header copies compared when the file was opened. */
typedef struct ese_header_state {
	int primary_ok;        /* primary header passed ese_dbheader_check */
	int shadow_ok;         /* shadow header passed it */
	int identical;         /* the two pages are byte-identical */
	int using_shadow;      /* the primary was bad, the shadow is in use */
	uint32_t primary_checksum_stored, primary_checksum_actual;
	uint32_t shadow_checksum_stored, shadow_checksum_actual;
} ese_header_state;

/* Opens path.  Errors: JET_errFileNotFound, JET_errFileAccessDenied,
 * JET_errInvalidPath (a directory), JET_errFileInvalidType (an .stm or
 * other non-database file), JET_errInvalidDatabase (bad magic, empty,
 * too short), JET_errDatabaseCorrupted (no valid header copy),
 * JET_errPageSizeMismatch (header page size the file cannot hold). */
int ese_db_open(const char *path, unsigned flags, ese_db **out, ese_status *st);

void ese_db_close(ese_db *db);

const char *ese_db_path(const ese_db *db);
const ese_dbheader *ese_db_header(const ese_db *db);
const ese_header_state *ese_db_header_state(const ese_db *db);
uint32_t ese_db_page_size(const ese_db *db);
/* Number of database pages in the file (file size / page size - 2). */
uint32_t ese_db_page_count(const ese_db *db);
uint64_t ese_db_file_size(const ese_db *db);
/* The handle's own writer extended the file to size bytes: pages up to
 * the new end can be read from now on.  Read-write handles only (a
 * read-only handle keeps the size it mapped). */
void ese_db_grown(ese_db *db, uint64_t size);
int ese_db_fd(const ese_db *db);

/* Reads database page pgno (1-based) into buf (page size bytes) and checks
 * it: JET_errFileIOBeyondEOF past the end, JET_errPageNotInitialized for an
 * all-zero page, JET_errReadVerifyFailure for a bad checksum (a single-bit
 * error is corrected in buf instead and counted), JET_errDiskIO on a read
 * error.  Several threads may call it at once on one handle (buf their
 * own); ese_db_get_page is for one thread. */
int ese_db_read_page(ese_db *db, uint32_t pgno, uint8_t *buf, ese_status *st);

/* Same, without a copy when it can: *page points into a read-only mapping
 * of the file (valid until ese_db_close), or, for a corrected page or a
 * handle that could not map the file, into scratch (page size bytes).
 * Thread-safe like ese_db_read_page. */
int ese_db_view_page(ese_db *db, uint32_t pgno, uint8_t *scratch, const uint8_t **page, ese_status *st);

/* Same, through the cache: *page stays valid until the next call that uses
 * the cache.  Prefer ese_db_read_page when the caller keeps the page. */
int ese_db_get_page(ese_db *db, uint32_t pgno, const uint8_t **page, ese_status *st);

/* Pages whose single-bit error was corrected in memory since open. */
uint64_t ese_db_corrected_pages(const ese_db *db);

#endif
