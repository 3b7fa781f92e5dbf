/*
 * ese_export.h - tables as tab-separated text, byte for byte what Debian's
 * `esedbexport -t` (libesedb-utils 20181229) writes for a database of
 * unknown type.  docs/esedbexport-format.md lists every rule and where in
 * libesedb it comes from.
 *
 * Two renderings of a value exist:
 *   compatible - what esedbexport prints, its decoding quirks included
 *                (IEEESingle is always 0.000000, DateTime is a FILETIME,
 *                Currency is unsigned, UTF-16 surrogate pairs are joined
 *                with libuna's off-by-0x3ff, ...);
 *   exact      - the value decoded as ESE means it, in the same notation.
 * The export uses the compatible rendering wherever esedbexport prints
 * something, and the exact one where esedbexport prints an empty cell for
 * a value that exists (non-text multi-values, two-value columns,
 * compressed short columns, long values it cannot find, default values)
 * or would abort the table on a value it cannot convert.
 */
#ifndef ESE_EXPORT_H
#define ESE_EXPORT_H

#include <stdio.h>
#include "ese_db.h"
#include "ese_catalog.h"
#include "ese_record.h"
#include "ese_sbuf.h"

/* Flags for ese_export_format_value_ex. */
#define ESE_EXPORT_EXACT 1u     /* render exactly, never as esedbexport would */

/* Appends value v of column c (of table t) to out as esedbexport prints it
 * in a table file: no tab, no newline.  v is the value as libesedb sees it:
 * for fixed columns the stored bytes even where the null bit is set (see
 * ese_export_table).  A value that is NULL (v->present == 0) appends
 * nothing.  Long values are read from t's long-value tree through db.
 * Never fails: a value that cannot be decoded appends what can be said of
 * it (see the _ex variant to learn about it). */
void ese_export_format_value(ese_sbuf *out, ese_db *db, const ese_table *t, const ese_column *c,
                             const ese_colval *v);

/* Same, with flags (ESE_EXPORT_EXACT) and a status: returns 0, or
 * JET_errDatabaseCorrupted when the value is malformed (esedbexport would
 * abort the table on it; the exact rendering of what is there was
 * appended), or the error of a long value that could not be read (nothing
 * was appended, as esedbexport does).  st names the column. */
int ese_export_format_value_ex(ese_sbuf *out, ese_db *db, const ese_table *t, const ese_column *c,
                               const ese_colval *v, unsigned flags, ese_status *st);

/* Writes table t to out: a header line of column names (UTF-8, from
 * code page 1252) separated by tabs, then one line per record in key
 * order, walking the tree at t->pgno_fdp.  Returns 0 when every record and
 * value was decoded; otherwise the first error (a record that cannot be
 * parsed is skipped, a corrupt value is written as well as it can be, a
 * broken tree ends the table early), with st naming it.  Write errors on
 * out are JET_errDiskIO.  Columns of a template table are not included
 * (ese_export_database adds them). */
int ese_export_table(ese_db *db, const ese_table *t, FILE *out, ese_status *st);

/* Exports every table of cat into outdir as "<sanitized name>.<n>", n the
 * 0-based position of the table in cat (esedbexport's file names).
 * outdir is created if missing; an existing directory must be empty
 * (JET_errInvalidPath otherwise, as for a path that is not a directory).
 * A table that fails does not stop the others; returns 0 or the first
 * error, st naming it. */
int ese_export_database(ese_db *db, const ese_catalog *cat, const char *outdir, ese_status *st);

/* The file name esedbexport gives table number index named name (the raw
 * catalog bytes, code page 1252): the name in UTF-8 with '/', '\\',
 * control characters and !$%&*+:;<>?| escaped as libcpath does, then
 * "." and the index.  Returns the length written (at most cap - 1, always
 * NUL-terminated when cap > 0), or the length needed if it does not fit. */
size_t ese_export_file_name(const char *name, size_t index, char *buf, size_t cap);

#endif
