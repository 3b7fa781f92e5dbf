/*
 * ese_record.h - a table record (the data of a leaf node of a table tree)
 * and its column values (ESE rec.hxx, tagfld.hxx).
 *
 *   u8  fidFixedLast, u8 fidVarLast, u16 ibEndOfFixedData
 *   fixed values (fid order, declared sizes), null bitmap (bit fid-1 = NULL)
 *   u16 var end offsets [fidVarLast-127] (bit 15 = NULL), var data
 *   tagged area: {u16 fid, u16 ib}[n], then values
 *
 * Parsing checks every offset against the record's end; a value is only
 * ever a view into the record.  Encoding (ese_record_encode, below) lays
 * out a record exactly as ESE does.  Pure codec: no I/O.
 */
#ifndef ESE_RECORD_H
#define ESE_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "ese_catalog.h"
#include "ese_sbuf.h"

/* TAGFLD_HEADER bits (the byte before a tagged value, when present). */
#define ESE_TAG_LONG_VALUE 0x01u
#define ESE_TAG_COMPRESSED 0x02u
#define ESE_TAG_SEPARATED  0x04u
#define ESE_TAG_MULTI      0x08u
#define ESE_TAG_TWO_VALUES 0x10u
#define ESE_TAG_NULL       0x20u
#define ESE_TAG_ENCRYPTED  0x40u

typedef struct ese_record {
	const uint8_t *data;
	size_t   len;
	int      large;           /* record of a 16/32 KiB page */
	uint32_t fixed_last;      /* 0 = no fixed columns */
	uint32_t var_last;        /* 127 = no variable columns */
	size_t   fixed_end;       /* ibEndOfFixedData */
	size_t   var_data;        /* start of variable data */
	size_t   tagged;          /* start of the tagged area */
	size_t   ntagged;         /* number of tagged entries */
} ese_record;

/* A column's value as stored in one record. */
typedef struct ese_colval {
	int      present;         /* 0: NULL (absent, null bit, empty tag) */
	int      tagged;          /* value came from the tagged area */
	uint8_t  header;          /* TAGFLD header byte, 0 when none */
	const uint8_t *data;      /* after the header byte */
	size_t   len;
} ese_colval;

int ese_record_parse(ese_record *r, const uint8_t *data, size_t len, int large, ese_status *st);

/* The stored value of column c.  Fixed columns are located by summing the
 * sizes of the lower fixed columns of t.  Returns 0 or
 * JET_errDatabaseCorrupted for offsets that leave the record. */
int ese_record_get(const ese_record *r, const ese_table *t, const ese_column *c,
                   ese_colval *out, ese_status *st);

/* Tagged entry i (0 <= i < ntagged): its column id and value. */
int ese_record_tagged_at(const ese_record *r, size_t i, uint32_t *columnid,
                         ese_colval *out, ese_status *st);

/* Instances of a (possibly multi-valued) value: 1 for a plain value. */
size_t ese_colval_count(const ese_colval *v);

/* Instance i of a multi-valued or two-valued value.  *separated is set
 * when the instance is a long-value reference (LID). */
int ese_colval_instance(const ese_colval *v, size_t i, const uint8_t **p, size_t *n,
                        int *separated, ese_status *st);

/* ---- the encoder (the writer side of the same structure) ----
 *
 * Layout rules ESE follows (fldmod.cxx ErrRECISetIFixedColumn,
 * ErrRECISetVarColumn; tagfld.cxx TAGFIELDS::ErrSetColumn), verified byte
 * for byte on every record of the Windows-made samples:
 *  1. fidFixedLastInRec / fidVarLastInRec = the highest fixed / variable
 *     column the record holds, present or stored NULL (ESE never trims
 *     them; setting NULL past the end still extends the record).  127 and
 *     0 mean "none".  The header's second byte is 127 when there are no
 *     variable columns.
 *  2. Every fixed column up to fidFixedLastInRec takes its full size at its
 *     record offset; a NULL one has its bitmap bit set and holds what was
 *     there, '*' (0x2A, chRECFill) when it was never set.  Bitmap bits past
 *     fidFixedLastInRec are 1 (ESE's insert path memsets the new bitmap to
 *     0xFF); ESE's own defragmenter leaves them 0 (ESE_ENCODE_NULLPAD_CLEAR).
 *  3. Fixed Text shorter than the column is padded with spaces (Unicode:
 *     20 00 by byte parity), fixed Binary with zeros; Bit is stored 00/FF.
 *  4. A NULL variable column is zero bytes long and its END offset is the
 *     previous END with bit 15 set; a zero-length non-NULL one has bit 15
 *     clear.  Columns past fidVarLastInRec are absent.
 *  5. Tagged entries are sorted by column id, derived (template) ones
 *     first.  Small pages: a TAGFLD_HEADER byte (ib flag 0x4000) exactly
 *     when it is non-zero: long-value column types (LongText/LongBinary,
 *     flag 0x01) always, any column with two or more instances, or
 *     compressed/separated/encrypted values; a NULL entry (default
 *     override) is ib flag 0x2000 with no bytes.  Large pages: the header
 *     byte is always there, a NULL entry is header 0x20 (| 0x01 for a
 *     long-value column), ib carries only the derived bit 0x8000.
 *  6. Two instances of a non-long-value column on a small page are
 *     TWOVALUES (header 0x18, u8 length of the first, first, second);
 *     three or more, long-value columns and all large pages use
 *     MULTIVALUES (header 0x08 | ..., u16 offsets from the array start,
 *     bit 15 = separated instance).  A column that went down from three
 *     instances to two keeps MULTIVALUES: the header's MULTI/TWO_VALUES
 *     bits, when given, choose the form.
 *  7. A separated long value is its LID, 4 bytes LE (8 for LID64), header
 *     0x05; an intrinsic one header 0x01 (0x03 compressed).
 *  8. Defaults of fixed and variable columns are stored in every record
 *     (ESE starts an insert from the table's default record); defaults of
 *     tagged columns are not, so a writer passes them as ordinary values
 *     for fixed/variable columns only.
 */

/* JET errors the encoder adds to ese_error.h's list (values from jethdr.w). */
#ifndef JET_errRecordTooBig
#define JET_errRecordTooBig       (-1026)  /* record larger than a node of the page can hold */
#endif
#ifndef JET_errInvalidBufferSize
#define JET_errInvalidBufferSize  (-1047)  /* fixed value of the wrong size */
#endif
#ifndef JET_errColumnTooBig
#define JET_errColumnTooBig       (-1506)  /* value longer than the column allows */
#endif

/* One instance of a multi-valued tagged column. */
typedef struct ese_instance {
	const uint8_t *data;
	size_t   len;
	int      separated;       /* data is a LID (4 or 8 bytes LE) in the LV tree */
} ese_instance;

/* A column value to encode.  A column not listed is not stored at all
 * (absent: after the last fixed/variable column, or no tagged entry);
 * fixed and variable columns below the last one listed that are not
 * listed are stored NULL. */
typedef struct ese_value {
	uint32_t columnid;        /* 1-127 fixed, 128-255 variable, 256+ tagged */
	const uint8_t *data;      /* the value (ninstances == 0); for a NULL fixed
	                           * column, optionally the bytes left under it
	                           * (len = the column's size), else '*' fill */
	size_t   len;
	int      is_null;         /* stored NULL: fixed -> null bit (and extends
	                           * fidFixedLastInRec), variable -> bit 15,
	                           * tagged -> explicit NULL entry */
	uint8_t  tag_flags;       /* tagged: TAGFLD_HEADER bits as stored.
	                           * LONG_VALUE is added for LongText/LongBinary;
	                           * COMPRESSED, SEPARATED (single value),
	                           * ENCRYPTED are kept; MULTI alone forces the
	                           * MULTIVALUES form, TWO_VALUES forces TWOVALUES,
	                           * neither lets the encoder choose as ESE does */
	int      derived;         /* tagged: fDerived (column of a template table) */
	const ese_instance *instances;  /* tagged: ninstances >= 1 instances in */
	size_t   ninstances;            /* order, instead of data/len */
} ese_value;

/* Encoder flags. */
#define ESE_ENCODE_NULLPAD_CLEAR 0x1u  /* bitmap bits past fidFixedLastInRec 0, not 1 */

/* The largest record ESE accepts in a table of t on pages of page_size
 * (REC::CbRecordMost): node room minus the primary key's room (the
 * primary index's KeyMost, 4 for a table without one).  0 for a page size
 * ESE does not support. */
size_t ese_record_max_size(const ese_table *t, uint32_t page_size);

/* Encodes the record holding vals (any order, each column at most once)
 * for table t (columns sorted by id, as ese_catalog_load gives them) on
 * pages of page_size bytes (2048..8192: small-page format, 16384/32768:
 * large) and appends it to out.  flags: ESE_ENCODE_*.  Fixed columns sit at their
 * catalog RecordOffset, or at the running sum of the lower fixed columns'
 * sizes when the table's offsets are not usable (the catalog's own
 * MSysObjects rows all say 4).  Returns 0, or
 *   JET_errColumnNotFound     a column id t does not define
 *   JET_errInvalidBufferSize  a fixed value of the wrong size (Text and
 *                             Binary may be shorter: padded as ESE does)
 *   JET_errColumnTooBig       a variable value over 255 bytes or the
 *                             column's maximum, a non-long-value tagged
 *                             instance over the column's maximum
 *   JET_errInvalidParameter   a column given twice, a bad page size,
 *                             instances on a non-tagged column, a
 *                             separated instance that is not a 4/8-byte
 *                             LID, a TWOVALUES form that cannot hold the
 *                             instances
 *   JET_errRecordTooBig       the record exceeds ese_record_max_size
 *   JET_errOutOfMemory        out could not grow
 * On error out is left as it was (bar a sticky out->oom). */
int ese_record_encode(ese_sbuf *out, const ese_table *t, const ese_value *vals, size_t nvals,
                      uint32_t page_size, unsigned flags, ese_status *st);

#endif
