/*
 * ese_catalog.h - the catalog (MSysObjects, objid 2, root page 4) decoded
 * into tables, columns, indexes, long-value trees and callbacks.
 *
 * Entries appear in catalog key order (ObjidTable, Type, Id): tables by
 * object id, a table's columns by column id, its indexes by index objid.
 */
#ifndef ESE_CATALOG_H
#define ESE_CATALOG_H

#include <stddef.h>
#include <stdint.h>
#include "ese_db.h"

/* JET_coltyp values. */
enum {
	JET_coltypNil = 0, JET_coltypBit = 1, JET_coltypUnsignedByte = 2,
	JET_coltypShort = 3, JET_coltypLong = 4, JET_coltypCurrency = 5,
	JET_coltypIEEESingle = 6, JET_coltypIEEEDouble = 7, JET_coltypDateTime = 8,
	JET_coltypBinary = 9, JET_coltypText = 10, JET_coltypLongBinary = 11,
	JET_coltypLongText = 12, JET_coltypSLV = 13, JET_coltypUnsignedLong = 14,
	JET_coltypLongLong = 15, JET_coltypGUID = 16, JET_coltypUnsignedShort = 17,
};

/* Catalog record types (cat.hxx). */
enum {
	ESE_SYSOBJ_TABLE = 1, ESE_SYSOBJ_COLUMN = 2, ESE_SYSOBJ_INDEX = 3,
	ESE_SYSOBJ_LV = 4, ESE_SYSOBJ_CALLBACK = 5,
};

/* Column flags (ffield, tdb.hxx). */
#define ESE_COL_NOT_NULL    0x0001u
#define ESE_COL_VERSION     0x0002u
#define ESE_COL_AUTOINC     0x0004u
#define ESE_COL_MULTIVALUED 0x0008u
#define ESE_COL_DEFAULT     0x0010u
#define ESE_COL_ESCROW      0x0020u
#define ESE_COL_COMPRESSED  0x1000u
#define ESE_COL_ENCRYPTED   0x2000u

/* Index flags (low 16 bits: fidb, idb.hxx). */
#define ESE_IDX_UNIQUE      0x0001u
#define ESE_IDX_PRIMARY     0x0020u
#define ESE_IDX_MULTIVALUED 0x0080u

typedef struct ese_column {
	uint32_t id;              /* 1-127 fixed, 128-255 variable, 256+ tagged */
	uint32_t coltyp;          /* JET_coltyp */
	uint32_t size;            /* SpaceUsage: fixed size / maximum length */
	uint32_t flags;           /* ffield */
	uint32_t codepage;        /* 1200 Unicode, 1252 or 20127 ASCII, 0 */
	uint32_t record_offset;   /* fixed columns: offset in the record */
	char    *name;
	uint8_t *default_value;
	uint32_t default_len;
} ese_column;

typedef struct ese_index_seg {
	uint32_t columnid;
	uint8_t  flags;           /* 0x40 descending */
} ese_index_seg;

typedef struct ese_index {
	uint32_t objid;
	uint32_t pgno_fdp;
	uint32_t density;
	uint32_t flags;           /* LE_IDXFLAG: fidb | fIDX << 16 */
	uint32_t lcmap_flags;
	uint32_t keymost;         /* 255 when the catalog gives none */
	uint32_t lcid;
	char    *name;
	char    *locale;          /* LocaleName in UTF-8, or NULL */
	uint32_t cat_pgno;        /* catalog page holding its definition */
	ese_index_seg *segs;
	size_t   nsegs;
} ese_index;

typedef struct ese_table {
	uint32_t objid;
	uint32_t pgno_fdp;
	uint32_t density;
	uint32_t flags;           /* JET_bitObject* */
	uint32_t pages;           /* initial pages */
	char    *name;
	char    *template_name;   /* derived tables: their template, else NULL */
	ese_column *columns;      /* by column id */
	size_t   ncolumns;
	ese_index *indexes;       /* by index objid; the primary index included */
	size_t   nindexes;
	uint32_t lv_objid;        /* 0 when the table has no long-value tree */
	uint32_t lv_pgno_fdp;
	uint32_t lv_chunk_max;    /* 0: the page size's default */
	uint32_t separate_lv;     /* intrinsic LV limit, 0 when not set */
	uint32_t cat_pgno;        /* catalog page holding the table's record */
	uint32_t lv_cat_pgno;     /* catalog page holding the long-value tree's record */
	char   **callbacks;       /* callback names */
	size_t   ncallbacks;
} ese_table;

typedef struct ese_catalog {
	ese_table *tables;        /* by table objid */
	size_t     ntables;
	uint32_t   max_objid;     /* largest object id any entry names */
	uint64_t   nrecords;      /* catalog records read */
} ese_catalog;

/* Reads the catalog tree rooted at pgno (4 for MSysObjects, 24 for the
 * shadow).  Returns 0, or JET_errCatalogCorrupted/JET_errDatabaseCorrupted
 * with st naming the page and record that could not be decoded. */
int ese_catalog_load(ese_db *db, uint32_t pgno, ese_catalog **out, ese_status *st);
void ese_catalog_free(ese_catalog *cat);

const ese_table  *ese_catalog_find_table(const ese_catalog *cat, const char *name);
const ese_column *ese_table_find_column(const ese_table *t, uint32_t columnid);

/* The stored size of a fixed-size column type (Bit 1 ... GUID 16), or 0
 * for Text, Binary and the long-value types. */
size_t ese_coltyp_fixed_size(uint32_t coltyp);

/* "Integer 32-bit signed" etc., as esedbinfo names a column type. */
const char *ese_coltyp_name(uint32_t coltyp);
/* "Long", "Text", ... the JET_coltyp suffix (eseutil /mm style). */
const char *ese_coltyp_short_name(uint32_t coltyp);

#endif
