/*
 * ese_defrag.h - offline defragmentation (eseutil /d): copy every B-tree
 * into a new compact file, verify it, and swap it in atomically.
 *
 * The original is never modified.  Under the database's name there is, at
 * every instant, either the original or the complete, verified copy:
 * the copy is made under a temporary name, checked (eseutil /g finds no
 * problem; a SHA-256 digest of every table's records and every index's
 * entries is the same in both files), fsynced, and renamed over the
 * original (copied beside it first when the temporary file lives on another
 * file system), and the directory is fsynced.
 */
#ifndef ESE_DEFRAG_H
#define ESE_DEFRAG_H

#include <stdint.h>
#include "ese_error.h"

#define ESE_DEFRAG_FILL_DEFAULT 100u

typedef enum ese_defrag_phase {
	ESE_DEFRAG_PHASE_CHECK,        /* preconditions and space */
	ESE_DEFRAG_PHASE_COPY,         /* trees copied (units: source pages read) */
	ESE_DEFRAG_PHASE_VERIFY,       /* integrity and digests (units: pages) */
	ESE_DEFRAG_PHASE_SWAP,
} ese_defrag_phase;

typedef void (*ese_defrag_progress)(void *ctx, ese_defrag_phase phase, uint64_t done, uint64_t total);

typedef struct ese_defrag_opts {
	const char *temp_path;          /* NULL: TEMPDFRG<pid>.EDB beside the database */
	const char *backup_path;        /* non-NULL: keep the original under this name (/b) */
	int preserve;                   /* keep the original in place and the copy at temp_path (/p) */
	unsigned fill;                  /* leaf fill factor, 20-100 (0: ESE_DEFRAG_FILL_DEFAULT) */
	ese_defrag_progress progress;
	void *progress_ctx;
	void (*note)(void *ctx, const char *line);   /* informational lines (space check, moves) */
	void *note_ctx;
	/* called once the copy is written and before it is verified (the tests
	 * alter it here to see the verification refuse it); NULL: nothing */
	void (*copied)(void *ctx, const char *temp_path);
	void *copied_ctx;
} ese_defrag_opts;

typedef struct ese_defrag_result {
	uint64_t bytes_before, bytes_after;
	uint64_t pages_before, pages_after;     /* database pages (headers excluded) */
	uint64_t space_needed, space_free;      /* bytes, at the temporary location */
	uint64_t records, trees;
	uint64_t lvs_copied, lvs_unreferenced;  /* long values not copied: nothing referenced them */
	double   seconds, copy_seconds, verify_seconds;
	double   sync_seconds;                  /* of copy_seconds: waiting for fsync of the copy */
	char     temp_path[512];                /* where the copy was made */
	int      swapped;                       /* the copy replaced the original */
	int      kept_copy;                     /* a copy is left at temp_path (/p or failed verification) */
} ese_defrag_result;

/* Defragments the database at path.  Returns 0, or:
 *   JET_errDatabaseDirtyShutdown  not in Clean Shutdown (st names the state and logs)
 *   JET_errFileAccessDenied       locked by another run, unwritable directory
 *   JET_errInvalidPath            a symbolic link, or the temporary/backup path exists
 *   JET_errDiskFull               not enough free space (st gives needed and free)
 *   JET_errReadVerifyFailure etc. a damaged source page: run eseutil /p first
 *   JET_errDatabaseCorrupted      the copy did not verify (kept at temp_path)
 * and I/O errors.  On any error the original is untouched and, unless the
 * copy failed verification, no temporary file remains. */
int ese_defrag(const char *path, const ese_defrag_opts *opts, ese_defrag_result *res, ese_status *st);

/* SHA-256 digest of the logical content of table number i of the database
 * at path (records in key order by column value, long values resolved, and
 * each index's entries), for comparing two files.  Exposed for tests. */
int ese_defrag_digest_file(const char *path, uint8_t out[32], ese_status *st);

#endif
