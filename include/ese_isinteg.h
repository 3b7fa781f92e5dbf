/*
 * ese_isinteg.h - isinteg: logical integrity tests of an offline ESE
 * database, and their repairs, run pass after pass (docs/isinteg.md).
 *
 * eseutil /g proves the file's structure (pages, trees, space); isinteg
 * proves what the rows mean: that every secondary index holds exactly the
 * entries its table's records make, that long values are referenced as
 * often as their counts say, and, in a mail store (docs/mailstore.md),
 * that the reference counts, folder counts and mailbox totals agree with
 * the rows they summarise.
 *
 * Tests run in a fixed order (the table below, generic ones first; the
 * mail-store ones in the order of the invariants' letters R, C, F, B) so
 * that each relies on the earlier ones having held or been repaired.
 * Every finding goes through ese_report (ese_problem.h) with its table,
 * the record's key and a stable code (G5xx/G6xx shared with /g, I7xx).
 *
 * With fix set, a pass runs every selected test, each one's repairs
 * applied before the next test starts (a later test sees them), all of a
 * pass's writes through one rollback journal (ese_journal.h), committed at
 * the end of the pass.  Passes repeat while the error count falls: the
 * run stops after a pass that found no error, a pass that changed nothing
 * (another would find the same), a pass whose count did not fall below
 * the previous one's, or max_passes.
 *
 * Memory is bounded whatever the database's size: rows are compared by
 * sorting (ese_sort.h, spilled to tmpdir) and merging with the trees in
 * key order; a pass queues at most ESE_ISINTEG_FIX_BUDGET repairs per test
 * (findings beyond it are reported and left to the next pass).  The one
 * exception is the folder hierarchy check (R1-R3), which keeps one small
 * entry per folder.
 */
#ifndef ESE_ISINTEG_H
#define ESE_ISINTEG_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "ese_error.h"
#include "ese_sbuf.h"

/* The tests, in the order they run.  A test's bit in a mask is 1 << id. */
typedef enum ese_isinteg_test {
	ESE_IT_CATALOG,     /* catalog definitions; catalog and shadow agree */
	ESE_IT_OBJID,       /* header objid_last covers every objid in use */
	ESE_IT_RECORDS,     /* every record decodes against its table */
	ESE_IT_INDEX,       /* secondary index entries == the records' keys */
	ESE_IT_LVREF,       /* long-value reference counts, orphans, dangling */
	ESE_IT_ROWCOUNT,    /* stored row counts (none in the known schemas) */
	ESE_IT_DANGLING,    /* mail store R5-R8: links to missing rows */
	ESE_IT_MSGREF,      /* mail store C1, C2: Message.RefCount, orphans */
	ESE_IT_ATTACHREF,   /* mail store C3: Attachment.RefCount, orphans */
	ESE_IT_FOLDER,      /* mail store F1-F3 and the hierarchy (R1-R3) */
	ESE_IT_MAILBOX,     /* mail store B1, B2 */
	ESE_IT_COUNT
} ese_isinteg_test;

#define ESE_ISINTEG_ALL ((1u << ESE_IT_COUNT) - 1u)
#define ESE_ISINTEG_MAX_PASSES 100u
#define ESE_ISINTEG_DEFAULT_PASSES 10u
#define ESE_ISINTEG_FIX_BUDGET 100000u

/* The name of test id ("catalog", ...), NULL past the last. */
const char *ese_isinteg_test_name(unsigned id);
/* 1 for the tests that need the mail-store schema. */
int ese_isinteg_test_is_mail(unsigned id);

/* Parses "alltests" or a comma-separated list of test names (case-
 * insensitive) into a mask.  Returns 0, or JET_errInvalidParameter with
 * the offending name in err (the caller lists the valid ones). */
int ese_isinteg_parse_tests(const char *list, uint32_t *mask, ese_sbuf *err);

typedef struct ese_isinteg_opts {
	const char *path;          /* the database */
	uint32_t    tests;         /* mask of ESE_IT_* bits; 0 = all */
	int         fix;           /* repair, pass after pass */
	unsigned    max_passes;    /* with fix: 1..ESE_ISINTEG_MAX_PASSES (0 = default 10) */
	const char *log_path;      /* report file; NULL = isinteg.pri.txt beside path */
	int         dump;          /* "Dump:" lines in the report: the values each test computed */
	unsigned    cap;           /* finding lines per code and pass (0 = all) */
	const char *tmpdir;        /* sort runs (NULL: $TMPDIR or /tmp) */
	size_t      mem_limit;     /* bytes for one sorter (0 = 16 MiB) */
	FILE       *out;           /* progress, findings, pass lines, verdict (NULL: none) */
	FILE       *json;          /* one JSON object a line instead (NULL: none) */
	const char *options_text;  /* the report's "Options:" line (NULL: made from the above) */
} ese_isinteg_opts;

/* What one pass found and did. */
typedef struct ese_isinteg_pass {
	uint64_t errors;           /* error (and fatal) findings */
	uint64_t warnings;
	uint64_t fixed;            /* findings repaired */
	uint64_t unfixed;          /* error findings left as they are */
} ese_isinteg_pass;

typedef struct ese_isinteg_result {
	unsigned passes;
	ese_isinteg_pass pass[ESE_ISINTEG_MAX_PASSES];
	uint64_t fixed;            /* over all passes */
	int      clean;            /* the last pass found no error */
	int      verified;         /* the last pass changed nothing (its count is the database's) */
	int      mail_store;       /* the mail-store tests applied */
	int      recovered;        /* an interrupted pass was rolled back at start */
	int      rolled_back;      /* this run rolled a pass back (write error) */
	char     log_path[1024];
	int      exit_code;        /* ESE_EXIT_* bits (ese_cli.h) */
} ese_isinteg_result;

/* Runs the selected tests on the database at o->path: one pass without
 * fix (the file is only read), passes as above with it.  Writes the
 * report file and, to o->out / o->json, one line per finding, per repair
 * and per pass, then the verdict.  Returns 0 when the tests ran (res says
 * what they found; res->exit_code is 0 clean, 1 fixed and now clean, 4
 * errors remain, 5 some fixed and errors remain), or an operational error,
 * st saying why (res->exit_code 8):
 *   JET_errFileNotFound, JET_errInvalidDatabase, ...  ese_db_open's
 *   JET_errDatabaseDirtyShutdown  the header is not in Clean Shutdown
 *                                 state (after rolling back an interrupted
 *                                 pass): run eseutil /r or /p first
 *   JET_errFileAccessDenied       another process (another isinteg run,
 *                                 eseutil) has the database open
 *   JET_errCatalogCorrupted       the catalog cannot be read: eseutil /g, /p
 *   JET_errDatabaseFileReadOnly   fix asked on a file that cannot be
 *                                 written (nothing was changed)
 *   JET_errDiskIO ...             a write failed: the pass was rolled back
 */
int ese_isinteg_run(const ese_isinteg_opts *o, ese_isinteg_result *res, ese_status *st);

#endif
