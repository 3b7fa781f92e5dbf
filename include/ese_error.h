/*
 * ese_error.h - one error space for the whole toolkit.
 *
 * Every library call returns 0 (JET_errSuccess) or a negative JET error
 * number as ESE defines it in jethdr.w, so that what the tools print is the
 * name an ESE engineer already knows.  Where a failure has a place (a page,
 * an object), the caller may pass an ese_status that records it together
 * with a one-line message; the status is optional everywhere (NULL is fine).
 */
#ifndef ESE_ERROR_H
#define ESE_ERROR_H

#include <stddef.h>
#include <stdint.h>

/* The JET errors the library itself returns (values from jethdr.w). */
enum {
	ESE_OK                        = 0,
	JET_errBadPageLink            = -327,
	JET_errDatabaseDirtyShutdown  = -550,
	JET_errTermInProgress         = -1000,   /* an operation stopped because its caller is ending */
	JET_errInvalidParameter       = -1003,
	JET_errOutOfMemory            = -1011,
	JET_errRecordDeleted          = -1017,
	JET_errReadVerifyFailure      = -1018,
	JET_errPageNotInitialized     = -1019,
	JET_errDiskIO                 = -1022,
	JET_errInvalidPath            = -1023,
	JET_errInvalidDatabase        = -1028,
	JET_errFileAccessDenied       = -1032,
	JET_errReadPgnoVerifyFailure  = -1118,
	JET_errDatabaseCorrupted      = -1206,
	JET_errInvalidDatabaseVersion = -1209,
	JET_errPageSizeMismatch       = -1213,
	JET_errCatalogCorrupted       = -1220,
	JET_errObjectNotFound         = -1305,
	JET_errColumnNotFound         = -1507,
	JET_errRecordNotFound         = -1601,
	JET_errDiskFull               = -1808,
	JET_errFileNotFound           = -1811,
	JET_errFileInvalidType        = -1812,
	JET_errFileIOBeyondEOF        = -4001,
};

/* Where and why an operation failed.  pgno is 0 when no page is involved. */
typedef struct ese_status {
	int      err;        /* the JET error, 0 when nothing failed */
	uint32_t pgno;       /* database page where the problem was detected */
	char     msg[320];   /* one line, no trailing newline */
} ese_status;

/* Records err/pgno and a printf-style message in st (if st is non-NULL)
 * unless st already holds an error (the first cause wins).  Returns err. */
int ese_fail(ese_status *st, int err, uint32_t pgno, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* Clears st. */
void ese_status_clear(ese_status *st);

/* Makes st ready for ese_fail without zeroing its message buffer: for hot
 * loops, where `ese_status st = { 0 }` would clear 328 bytes per entry. */
static inline void ese_status_init(ese_status *st)
{
	st->err = 0;
	st->pgno = 0;
	st->msg[0] = '\0';
}

/* One row of jethdr.w's table: value, symbolic name, one-line description. */
typedef struct ese_jet_error {
	int         code;
	const char *name;
	const char *desc;
} ese_jet_error;

/* The row for code, or NULL if ESE defines no such error or warning. */
const ese_jet_error *ese_jet_error_find(int code);

/* The row whose name matches name (case-insensitive), or NULL. */
const ese_jet_error *ese_jet_error_by_name(const char *name);

/* The whole table, sorted by code ascending; *count receives its length. */
const ese_jet_error *ese_jet_error_table(size_t *count);

/* "JET_errName" for code, or "JET_errUnknown" when ESE defines no such code. */
const char *ese_jet_name(int code);

/* The one-line description for code, or "Unknown error" when none. */
const char *ese_jet_desc(int code);

#endif
