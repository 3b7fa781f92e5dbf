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
 * ever a view into the record.  Pure codec: no I/O.
 */
#ifndef ESE_RECORD_H
#define ESE_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "ese_catalog.h"

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

#endif
