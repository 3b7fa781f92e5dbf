/*
 * ese_create.h - create a database and load it: tables, columns of every
 * type, a clustered primary index, secondary indexes, long values.
 *
 * Records may be inserted in any order: they are sorted by primary key in
 * bounded memory (ese_sort.h) and every tree is built at commit by the bulk
 * builder, table after table, so each table's pages are contiguous.  A
 * table declared ESE_TABLE_IN_ORDER has its data tree built as its rows
 * arrive instead (below).  The
 * catalog (MSysObjects and its shadow, with their Name and RootObjects
 * indexes), MSysObjids and MSysLocales are written as a fresh ESE database
 * has them (format 0x620, 20, 0).  Nothing appears under the target name
 * until commit has written, synced and renamed the whole file.
 */
#ifndef ESE_CREATE_H
#define ESE_CREATE_H

#include <stddef.h>
#include <stdint.h>
#include "ese_catalog.h"
#include "ese_error.h"

typedef struct ese_create_column {
	const char *name;
	uint32_t coltyp;           /* JET_coltyp */
	uint32_t size;             /* Text/Binary maximum (<= 255 stays variable); 0 = default */
	uint32_t flags;            /* ESE_COL_NOT_NULL | AUTOINC | MULTIVALUED ... */
	uint32_t codepage;         /* text: 1200 (Unicode) or 1252; 0 = 1252 for text */
} ese_create_column;

typedef struct ese_create_index {
	const char *name;
	const char *key;           /* "+Column" segments, e.g. "+FolderId-Received" */
	uint32_t flags;            /* ESE_IDX_UNIQUE, ESE_IDX_PRIMARY */
} ese_create_index;

typedef struct ese_create_table {
	const char *name;
	const ese_create_column *columns;
	size_t ncolumns;
	const ese_create_index *indexes;
	size_t nindexes;
	uint32_t density;          /* 0 = 80 */
	unsigned flags;            /* ESE_TABLE_IN_ORDER */
} ese_create_table;

/* The caller inserts the table's rows in ascending primary-key order (a
 * table without a primary index: always so).  Its data tree is then built
 * as the rows arrive, without sorting them through a temporary file - as
 * long as no other table's rows are streaming at the same time (then they
 * are sorted as usual).  A row whose key is not above the one before is
 * refused at insert with JET_errKeyDuplicate (-1605); abort the creator
 * then (the refused row's long values may already be stored). */
#define ESE_TABLE_IN_ORDER 1u

/* One column value of a record; a multi-valued column may appear several
 * times (its instances, in order). */
typedef struct ese_create_value {
	size_t column;             /* index into the table's columns */
	const void *data;
	size_t len;
} ese_create_value;

typedef struct ese_creator ese_creator;

/* Validates the schema and starts the file (see ese_writer_create for path,
 * flags and seed).  fill: leaf fill factor in percent (0 = 90).
 * Errors: JET_errInvalidParameter (schema, with st naming the table and
 * column), and the writer's. */
int ese_create_open(const char *path, uint32_t page_size, unsigned flags, uint64_t seed,
                    const ese_create_table *tables, size_t ntables, unsigned fill, ese_creator **out,
                    ese_status *st);

/* Adds a record to table number `table`.  An AutoInc column not given gets
 * the next value.  Long values over the table's intrinsic limit (1024
 * bytes) are stored separated in its long-value tree.  Errors:
 * JET_errNullInvalid (-1504) for a missing NOT NULL column,
 * JET_errKeyDuplicate (-1605) is reported at commit for a duplicate key. */
int ese_create_insert(ese_creator *c, size_t table, const ese_create_value *vals, size_t nvals, ese_status *st);

/* Builds every tree, the catalog and the header; renames into place.
 * Frees c whatever the result. */
int ese_create_commit(ese_creator *c, ese_status *st);
void ese_create_abort(ese_creator *c);

/* The catalog definition the creator made for table i (column ids,
 * index objids) - valid until commit or abort. */
const ese_table *ese_create_table_def(const ese_creator *c, size_t i);

#endif
