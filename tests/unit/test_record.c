/*
 * test_record.c - record and column-value decoding (common/record.c), on
 * records assembled byte by byte here after ESE-FORMAT-NOTES 4.1:
 *   u8 fidFixedLast, u8 fidVarLast, u16 ibEndOfFixedData,
 *   fixed values, null bitmap, u16 var end offsets (bit 15 NULL), var data,
 *   tagged array {u16 fid, u16 ib} and tagged values.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "ese_record.h"

static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* ---- the table ---- */

#define C(i, t, sz) { .id = i, .coltyp = t, .size = sz, .name = (char *)#i }
static ese_column cols[] = {
	C(1, JET_coltypLong, 4),
	C(2, JET_coltypBit, 1),
	C(3, JET_coltypShort, 2),
	C(4, JET_coltypCurrency, 8),
	C(5, JET_coltypGUID, 16),
	C(6, JET_coltypUnsignedByte, 1),
	C(7, JET_coltypIEEEDouble, 8),
	C(8, JET_coltypBinary, 10),        /* fixed binary: its declared size */
	C(9, JET_coltypUnsignedShort, 2),  /* past fidFixedLast of the records below */
	C(128, JET_coltypText, 255),
	C(129, JET_coltypBinary, 255),
	C(130, JET_coltypBinary, 255),
	C(131, JET_coltypText, 255),       /* past fidVarLast */
	C(256, JET_coltypLongText, 0),
	C(257, JET_coltypBinary, 255),
	C(258, JET_coltypLongBinary, 0),
	C(259, JET_coltypBinary, 255),
	C(260, JET_coltypText, 255),
	C(261, JET_coltypBinary, 255),
	C(262, JET_coltypLongBinary, 0),
	C(263, JET_coltypBinary, 255),     /* no tagged entry */
};
#undef C
#define NCOLS (sizeof(cols) / sizeof(cols[0]))
static ese_table table = { .objid = 8, .name = (char *)"t", .columns = cols, .ncolumns = NCOLS };

static size_t fixsz(const ese_column *c)
{
	switch (c->coltyp) {
	case JET_coltypBit: case JET_coltypUnsignedByte: return 1;
	case JET_coltypShort: case JET_coltypUnsignedShort: return 2;
	case JET_coltypLong: case JET_coltypIEEESingle: case JET_coltypUnsignedLong: return 4;
	case JET_coltypCurrency: case JET_coltypIEEEDouble: case JET_coltypDateTime: case JET_coltypLongLong: return 8;
	case JET_coltypGUID: return 16;
	default: return c->size;
	}
}

/* record_offset as catalog.c's finish_table computes it: 4 + sizes before. */
static void set_offsets(void)
{
	uint32_t off = 4;
	for (size_t i = 0; i < NCOLS && cols[i].id <= 127; i++) {
		cols[i].record_offset = off;
		off += (uint32_t)fixsz(&cols[i]);
	}
}

static const ese_column *col(uint32_t id)
{
	for (size_t i = 0; i < NCOLS; i++)
		if (cols[i].id == id)
			return &cols[i];
	ck_abort_msg("no column %u", id);
	return NULL;
}

/* ---- a record builder ---- */

typedef struct rb {
	uint8_t b[40000];
	size_t len;
	size_t tag_base, ntags, tag_data;
} rb;

static void put(rb *r, const void *p, size_t n)
{
	ck_assert_uint_le(r->len + n, sizeof(r->b));
	if (n)
		memcpy(r->b + r->len, p, n);
	r->len += n;
}

/* Header and fixed part: fixed values of fid 1..fixed_last from vals
 * (packed), the null bitmap bits in nulls. */
static void rb_fixed(rb *r, unsigned fixed_last, unsigned var_last, const uint8_t *vals, size_t nvals,
                     uint32_t nulls)
{
	memset(r, 0, sizeof(*r));
	r->b[0] = (uint8_t)fixed_last;
	r->b[1] = (uint8_t)var_last;
	r->len = 4;
	put(r, vals, nvals);
	for (unsigned i = 0; i < (fixed_last + 7) / 8; i++) {
		uint8_t byte = (uint8_t)(nulls >> (8 * i));
		put(r, &byte, 1);
	}
	wr16(r->b + 2, (uint16_t)r->len);
}

/* Variable part: n values; a NULL value is given as NULL. */
static void rb_var(rb *r, const char *const *vals, size_t n)
{
	size_t offs = r->len, end = 0;
	r->len += 2 * n;
	for (size_t i = 0; i < n; i++) {
		if (vals[i]) {
			put(r, vals[i], strlen(vals[i]));
			end += strlen(vals[i]);
			wr16(r->b + offs + 2 * i, (uint16_t)end);
		} else {
			wr16(r->b + offs + 2 * i, (uint16_t)(0x8000 | end));
		}
	}
}

/* Starts a tagged array of n entries. */
static void rb_tagged(rb *r, size_t n)
{
	r->tag_base = r->len;
	r->ntags = 0;
	r->len += 4 * n;
	r->tag_data = 4 * n;
}

/* The next tagged entry: fid, ib flag bits, value bytes. */
static void rb_tag(rb *r, uint16_t fid, uint16_t ibflags, const void *v, size_t n)
{
	uint8_t *e = r->b + r->tag_base + 4 * r->ntags++;
	wr16(e, fid);
	wr16(e + 2, (uint16_t)((r->len - r->tag_base) | ibflags));
	put(r, v, n);
}

/* The reference record of the small-page tests. */
static void small_record(rb *r)
{
	set_offsets();
	uint8_t fx[50];
	size_t n = 0;
	const uint8_t v1[4] = { 0x37, 0xF8, 0x33, 0xFF };            /* Long -13371337 */
	memcpy(fx + n, v1, 4); n += 4;
	fx[n++] = 0xFF;                                              /* Bit */
	fx[n++] = 0xC7; fx[n++] = 0xFA;                              /* Short -1337 */
	const uint8_t cur[8] = { 0xC9, 0xB0, 0x00, 0xB4, 0x1D, 0xC0, 0x04, 0x00 };
	memcpy(fx + n, cur, 8); n += 8;                              /* Currency */
	for (int i = 0; i < 16; i++) fx[n++] = (uint8_t)(0xA0 + i);  /* GUID */
	fx[n++] = 0x99;                                              /* UnsignedByte (NULL) */
	const uint8_t dbl[8] = { 0, 0, 0, 0, 0, 0, 0xF0, 0x3F };     /* 1.0 */
	memcpy(fx + n, dbl, 8); n += 8;
	memcpy(fx + n, "fixed bin\0", 10); n += 10;                  /* Binary(10) */
	ck_assert_uint_eq(n, 50);
	rb_fixed(r, 8, 130, fx, n, 1u << (6 - 1));
	static const char *const var[] = { "hello", "\x01\x02\x03", NULL };
	rb_var(r, var, 3);
	rb_tagged(r, 8);
	rb_tag(r, 256, 0x4000, "\x01" "long text", 10);
	rb_tag(r, 257, 0x4000, "\x08" "\x06\x00\x09\x00\x0b\x00" "abcdef", 13);
	rb_tag(r, 258, 0x4000, "\x05" "\x2a\x00\x00\x00", 5);
	rb_tag(r, 259, 0x4000, "\x10" "\x03" "xyzpq", 7);
	rb_tag(r, 260, 0x2000, "", 0);
	rb_tag(r, 261, 0, "plain", 5);
	rb_tag(r, 262, 0x4000, "\x09" "\x04\x80\x08\x00" "\x07\x00\x00\x00" "tiny", 13);
	rb_tag(r, 264, 0, "", 0);                                      /* empty value */
	ck_assert_uint_eq(r->ntags, 8);
}

static void get(const ese_record *r, uint32_t id, ese_colval *v)
{
	ese_status st;
	ese_status_clear(&st);
	ck_assert_msg(ese_record_get(r, &table, col(id), v, &st) == 0, "column %u: %s", id, st.msg);
}

START_TEST(test_offsets_like_catalog)
{
	set_offsets();
	ck_assert_uint_eq(col(1)->record_offset, 4);
	ck_assert_uint_eq(col(2)->record_offset, 8);
	ck_assert_uint_eq(col(3)->record_offset, 9);
	ck_assert_uint_eq(col(4)->record_offset, 11);
	ck_assert_uint_eq(col(5)->record_offset, 19);
	ck_assert_uint_eq(col(6)->record_offset, 35);
	ck_assert_uint_eq(col(7)->record_offset, 36);
	ck_assert_uint_eq(col(8)->record_offset, 44);
	ck_assert_uint_eq(col(9)->record_offset, 54);
}
END_TEST

START_TEST(test_parse_layout)
{
	rb b;
	small_record(&b);
	ese_record r;
	ese_status st;
	ese_status_clear(&st);
	ck_assert_msg(ese_record_parse(&r, b.b, b.len, 0, &st) == 0, "%s", st.msg);
	ck_assert_ptr_eq(r.data, b.b);
	ck_assert_uint_eq(r.len, b.len);
	ck_assert_int_eq(r.large, 0);
	ck_assert_uint_eq(r.fixed_last, 8);
	ck_assert_uint_eq(r.var_last, 130);
	ck_assert_uint_eq(r.fixed_end, 4 + 50 + 1);
	ck_assert_uint_eq(r.var_data, 55 + 6);
	ck_assert_uint_eq(r.tagged, 61 + 8);
	ck_assert_uint_eq(r.ntagged, 8);
}
END_TEST

START_TEST(test_fixed_values)
{
	rb b;
	small_record(&b);
	ese_record r;
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), 0);
	ese_colval v;
	get(&r, 1, &v);
	ck_assert_int_eq(v.present, 1);
	ck_assert_int_eq(v.tagged, 0);
	ck_assert_uint_eq(v.len, 4);
	ck_assert_int_eq((int32_t)rd32(v.data), -13371337);
	get(&r, 2, &v);
	ck_assert_int_eq(v.present, 1);
	ck_assert_uint_eq(v.len, 1);
	ck_assert_uint_eq(v.data[0], 0xFF);
	get(&r, 3, &v);
	ck_assert_uint_eq(v.len, 2);
	ck_assert_int_eq((int16_t)rd16(v.data), -1337);
	get(&r, 4, &v);
	ck_assert_uint_eq(v.len, 8);
	ck_assert_uint_eq(rd32(v.data) | ((uint64_t)rd32(v.data + 4) << 32), 1337133713371337ull);
	get(&r, 5, &v);
	ck_assert_uint_eq(v.len, 16);
	ck_assert_uint_eq(v.data[0], 0xA0);
	ck_assert_uint_eq(v.data[15], 0xAF);
	/* NULL through the null bitmap, though its bytes are there */
	get(&r, 6, &v);
	ck_assert_int_eq(v.present, 0);
	get(&r, 7, &v);
	ck_assert_int_eq(v.present, 1);
	ck_assert_uint_eq(v.len, 8);
	ck_assert_uint_eq(v.data[7], 0x3F);
	get(&r, 8, &v);
	ck_assert_int_eq(v.present, 1);
	ck_assert_uint_eq(v.len, 10);
	ck_assert(memcmp(v.data, "fixed bin\0", 10) == 0);
	/* past fidFixedLast: absent */
	get(&r, 9, &v);
	ck_assert_int_eq(v.present, 0);
	ck_assert_uint_eq(v.len, 0);
}
END_TEST

START_TEST(test_var_values)
{
	rb b;
	small_record(&b);
	ese_record r;
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), 0);
	ese_colval v;
	get(&r, 128, &v);
	ck_assert_int_eq(v.present, 1);
	ck_assert_int_eq(v.tagged, 0);
	ck_assert_uint_eq(v.len, 5);
	ck_assert(memcmp(v.data, "hello", 5) == 0);
	get(&r, 129, &v);
	ck_assert_int_eq(v.present, 1);
	ck_assert_uint_eq(v.len, 3);
	ck_assert(memcmp(v.data, "\x01\x02\x03", 3) == 0);
	/* NULL through bit 15 of its offset */
	get(&r, 130, &v);
	ck_assert_int_eq(v.present, 0);
	/* past fidVarLast */
	get(&r, 131, &v);
	ck_assert_int_eq(v.present, 0);
}
END_TEST

START_TEST(test_tagged_values)
{
	rb b;
	small_record(&b);
	ese_record r;
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), 0);
	ese_colval v;
	const uint8_t *p;
	size_t n;
	int sep;

	/* with a header byte (0x4000): intrinsic long value */
	get(&r, 256, &v);
	ck_assert_int_eq(v.present, 1);
	ck_assert_int_eq(v.tagged, 1);
	ck_assert_uint_eq(v.header, ESE_TAG_LONG_VALUE);
	ck_assert_uint_eq(v.len, 9);
	ck_assert(memcmp(v.data, "long text", 9) == 0);
	ck_assert_uint_eq(ese_colval_count(&v), 1);
	ck_assert_int_eq(ese_colval_instance(&v, 0, &p, &n, &sep, NULL), 0);
	ck_assert_ptr_eq(p, v.data);
	ck_assert_uint_eq(n, 9);
	ck_assert_int_eq(sep, 0);

	/* multi-valued */
	get(&r, 257, &v);
	ck_assert_uint_eq(v.header, ESE_TAG_MULTI);
	ck_assert_uint_eq(ese_colval_count(&v), 3);
	ck_assert_int_eq(ese_colval_instance(&v, 0, &p, &n, &sep, NULL), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert(memcmp(p, "abc", 3) == 0);
	ck_assert_int_eq(sep, 0);
	ck_assert_int_eq(ese_colval_instance(&v, 1, &p, &n, &sep, NULL), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert(memcmp(p, "de", 2) == 0);
	ck_assert_int_eq(ese_colval_instance(&v, 2, &p, &n, &sep, NULL), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_uint_eq(p[0], 'f');
	ck_assert_int_eq(ese_colval_instance(&v, 3, &p, &n, &sep, NULL), JET_errDatabaseCorrupted);

	/* separated long value: the LID */
	get(&r, 258, &v);
	ck_assert_uint_eq(v.header, ESE_TAG_LONG_VALUE | ESE_TAG_SEPARATED);
	ck_assert_uint_eq(v.len, 4);
	ck_assert_uint_eq(rd32(v.data), 42);
	ck_assert_int_eq(ese_colval_instance(&v, 0, &p, &n, &sep, NULL), 0);
	ck_assert_int_eq(sep, 1);
	ck_assert_uint_eq(n, 4);
	ck_assert_int_eq(ese_colval_instance(&v, 1, &p, &n, &sep, NULL), JET_errDatabaseCorrupted);

	/* two values: u8 length of the first */
	get(&r, 259, &v);
	ck_assert_uint_eq(v.header, ESE_TAG_TWO_VALUES);
	ck_assert_uint_eq(ese_colval_count(&v), 2);
	ck_assert_int_eq(ese_colval_instance(&v, 0, &p, &n, &sep, NULL), 0);
	ck_assert_uint_eq(n, 3);
	ck_assert(memcmp(p, "xyz", 3) == 0);
	ck_assert_int_eq(ese_colval_instance(&v, 1, &p, &n, &sep, NULL), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert(memcmp(p, "pq", 2) == 0);
	ck_assert_int_eq(sep, 0);
	ck_assert_int_eq(ese_colval_instance(&v, 2, &p, &n, &sep, NULL), JET_errDatabaseCorrupted);

	/* explicit NULL entry (0x2000 on small pages) */
	get(&r, 260, &v);
	ck_assert_int_eq(v.present, 0);
	ck_assert_uint_eq(ese_colval_count(&v), 0);

	/* no header byte: the bytes are the value */
	get(&r, 261, &v);
	ck_assert_int_eq(v.present, 1);
	ck_assert_uint_eq(v.header, 0);
	ck_assert_uint_eq(v.len, 5);
	ck_assert(memcmp(v.data, "plain", 5) == 0);

	/* multi-valued long value: instance 0 separated (bit 15), 1 intrinsic */
	get(&r, 262, &v);
	ck_assert_uint_eq(v.header, ESE_TAG_MULTI | ESE_TAG_LONG_VALUE);
	ck_assert_uint_eq(ese_colval_count(&v), 2);
	ck_assert_int_eq(ese_colval_instance(&v, 0, &p, &n, &sep, NULL), 0);
	ck_assert_int_eq(sep, 1);
	ck_assert_uint_eq(n, 4);
	ck_assert_uint_eq(rd32(p), 7);
	ck_assert_int_eq(ese_colval_instance(&v, 1, &p, &n, &sep, NULL), 0);
	ck_assert_int_eq(sep, 0);
	ck_assert_uint_eq(n, 4);
	ck_assert(memcmp(p, "tiny", 4) == 0);

	/* no entry at all */
	get(&r, 263, &v);
	ck_assert_int_eq(v.present, 0);
	ck_assert_int_eq(v.tagged, 0);

	/* an empty entry reads as NULL */
	ese_column c264 = { .id = 264, .coltyp = JET_coltypBinary, .size = 255 };
	ck_assert_int_eq(ese_record_get(&r, &table, &c264, &v, NULL), 0);
	ck_assert_int_eq(v.present, 0);
	ck_assert_uint_eq(v.len, 0);

	/* the same entries by position */
	uint32_t fid;
	ck_assert_int_eq(ese_record_tagged_at(&r, 0, &fid, &v, NULL), 0);
	ck_assert_uint_eq(fid, 256);
	ck_assert_uint_eq(v.len, 9);
	ck_assert_int_eq(ese_record_tagged_at(&r, 5, &fid, &v, NULL), 0);
	ck_assert_uint_eq(fid, 261);
	ck_assert(memcmp(v.data, "plain", 5) == 0);
	ck_assert_int_eq(ese_record_tagged_at(&r, 7, &fid, &v, NULL), 0);
	ck_assert_uint_eq(fid, 264);
	ese_status st;
	ese_status_clear(&st);
	ck_assert_int_eq(ese_record_tagged_at(&r, 8, &fid, &v, &st), JET_errDatabaseCorrupted);
	ck_assert_int_eq(st.err, JET_errDatabaseCorrupted);
}
END_TEST

START_TEST(test_minimal_records)
{
	ese_record r;
	ese_colval v;
	/* no fixed, no var (0 and 127 both mean none), no tagged */
	uint8_t rec[4] = { 0, 127, 4, 0 };
	ck_assert_int_eq(ese_record_parse(&r, rec, 4, 0, NULL), 0);
	ck_assert_uint_eq(r.fixed_last, 0);
	ck_assert_uint_eq(r.var_last, 127);
	ck_assert_uint_eq(r.ntagged, 0);
	get(&r, 1, &v);
	ck_assert_int_eq(v.present, 0);
	get(&r, 128, &v);
	ck_assert_int_eq(v.present, 0);
	get(&r, 256, &v);
	ck_assert_int_eq(v.present, 0);
	rec[1] = 0;
	ck_assert_int_eq(ese_record_parse(&r, rec, 4, 0, NULL), 0);
	ck_assert_uint_eq(r.var_last, 127);
	/* only tagged values */
	rb b;
	rb_fixed(&b, 0, 127, NULL, 0, 0);
	rb_tagged(&b, 1);
	rb_tag(&b, 300, 0, "zz", 2);
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), 0);
	ck_assert_uint_eq(r.ntagged, 1);
	ck_assert_uint_eq(r.tagged, 4);
	uint32_t fid;
	ck_assert_int_eq(ese_record_tagged_at(&r, 0, &fid, &v, NULL), 0);
	ck_assert_uint_eq(fid, 300);
	ck_assert_uint_eq(v.len, 2);
	/* a tagged area of exactly one entry and no value bytes */
	rb_fixed(&b, 0, 127, NULL, 0, 0);
	rb_tagged(&b, 1);
	rb_tag(&b, 301, 0, "", 0);
	ck_assert_uint_eq(b.len, 8);
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), 0);
	ck_assert_uint_eq(r.ntagged, 1);
	ck_assert_int_eq(ese_record_tagged_at(&r, 0, &fid, &v, NULL), 0);
	ck_assert_uint_eq(fid, 301);
	ck_assert_int_eq(v.present, 0);
}
END_TEST

START_TEST(test_derived_tagged_first)
{
	/* Derived (template) entries, flagged 0x8000, sort before the others
	 * (ESE-FORMAT-NOTES 4.1): [300 derived] [256] [257]. */
	rb b;
	rb_fixed(&b, 0, 127, NULL, 0, 0);
	rb_tagged(&b, 3);
	rb_tag(&b, 300, 0x8000, "D", 1);
	rb_tag(&b, 256, 0, "first", 5);
	rb_tag(&b, 257, 0, "second", 6);
	ese_record r;
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), 0);
	ck_assert_uint_eq(r.ntagged, 3);
	ese_colval v;
	ese_column c = { .id = 256, .coltyp = JET_coltypBinary, .size = 255 };
	ck_assert_int_eq(ese_record_get(&r, &table, &c, &v, NULL), 0);
	ck_assert_int_eq(v.present, 1);
	ck_assert_uint_eq(v.len, 5);
	ck_assert(memcmp(v.data, "first", 5) == 0);
	c.id = 257;
	ck_assert_int_eq(ese_record_get(&r, &table, &c, &v, NULL), 0);
	ck_assert_uint_eq(v.len, 6);
	ck_assert(memcmp(v.data, "second", 6) == 0);
	c.id = 300;
	ck_assert_int_eq(ese_record_get(&r, &table, &c, &v, NULL), 0);
	ck_assert_int_eq(v.present, 1);
	ck_assert_uint_eq(v.len, 1);
	ck_assert_uint_eq(v.data[0], 'D');
	c.id = 299;
	ck_assert_int_eq(ese_record_get(&r, &table, &c, &v, NULL), 0);
	ck_assert_int_eq(v.present, 0);
}
END_TEST

START_TEST(test_large_page_tagged)
{
	/* Large pages: 15-bit offsets, a header byte on every value, NULL as
	 * header bit 0x20.  2100 entries put offsets past 0x1FFF and 0x2000 is
	 * an offset bit, not a NULL flag. */
	rb b;
	rb_fixed(&b, 1, 127, (const uint8_t *)"\x01\x00\x00\x00", 4, 0);
	const size_t N = 2100;
	rb_tagged(&b, N);
	for (size_t i = 0; i < N; i++) {
		uint8_t val[3] = { 0x00, (uint8_t)i, (uint8_t)(i >> 8) };
		if (i == 5)
			rb_tag(&b, (uint16_t)(256 + i), 0, "\x20", 1);          /* NULL */
		else if (i == 6)
			rb_tag(&b, (uint16_t)(256 + i), 0, "\x01" "abc", 4);    /* intrinsic LV */
		else if (i == 7)
			rb_tag(&b, (uint16_t)(256 + i), 0, "\x05" "\x09\x00\x00\x00", 5);  /* separated */
		else if (i == 8)
			rb_tag(&b, (uint16_t)(256 + i), 0, "", 0);              /* empty entry */
		else if (i == 9)
			rb_tag(&b, (uint16_t)(256 + i), 0, "\x18" "\x04\x00\x06\x00" "abcd", 9); /* two values */
		else
			rb_tag(&b, (uint16_t)(256 + i), 0, val, 3);
	}
	ck_assert_uint_gt(4 * N, 0x2000);
	ese_record r;
	ese_status st;
	ese_status_clear(&st);
	ck_assert_msg(ese_record_parse(&r, b.b, b.len, 1, &st) == 0, "%s", st.msg);
	ck_assert_int_eq(r.large, 1);
	ck_assert_uint_eq(r.ntagged, N);
	/* read with small-page masks the array would look 52 entries long */
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), 0);
	ck_assert_uint_eq(r.ntagged, (4 * N & 0x1FFF) / 4);
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 1, NULL), 0);

	ese_colval v;
	ese_column c = { .id = 256, .coltyp = JET_coltypUnsignedShort };
	static const size_t probe[] = { 0, 1, 4, 10, 1000, 2047, 2048, 2099 };
	for (size_t k = 0; k < sizeof(probe) / sizeof(probe[0]); k++) {
		c.id = (uint32_t)(256 + probe[k]);
		ck_assert_int_eq(ese_record_get(&r, &table, &c, &v, NULL), 0);
		ck_assert_int_eq(v.present, 1);
		ck_assert_uint_eq(v.header, 0);
		ck_assert_uint_eq(v.len, 2);
		ck_assert_uint_eq(rd16(v.data), probe[k]);
	}
	c.id = 256 + 5;
	ck_assert_int_eq(ese_record_get(&r, &table, &c, &v, NULL), 0);
	ck_assert_int_eq(v.present, 0);
	ck_assert_uint_eq(v.header, ESE_TAG_NULL);
	c.id = 256 + 6;
	ck_assert_int_eq(ese_record_get(&r, &table, &c, &v, NULL), 0);
	ck_assert_int_eq(v.present, 1);
	ck_assert_uint_eq(v.header, ESE_TAG_LONG_VALUE);
	ck_assert_uint_eq(v.len, 3);
	ck_assert(memcmp(v.data, "abc", 3) == 0);
	c.id = 256 + 7;
	ck_assert_int_eq(ese_record_get(&r, &table, &c, &v, NULL), 0);
	const uint8_t *p;
	size_t n;
	int sep;
	ck_assert_int_eq(ese_colval_instance(&v, 0, &p, &n, &sep, NULL), 0);
	ck_assert_int_eq(sep, 1);
	ck_assert_uint_eq(rd32(p), 9);
	/* an entry without even its header byte holds nothing */
	c.id = 256 + 8;
	ck_assert_int_eq(ese_record_get(&r, &table, &c, &v, NULL), 0);
	ck_assert_int_eq(v.present, 0);
	ck_assert_uint_eq(v.len, 0);
	/* multi-valued on a large page (header 0x08 | 0x10 -> two values wins) */
	c.id = 256 + 9;
	ck_assert_int_eq(ese_record_get(&r, &table, &c, &v, NULL), 0);
	ck_assert_uint_eq(ese_colval_count(&v), 2);
}
END_TEST

START_TEST(test_parse_errors)
{
	rb b;
	ese_record r;
	ese_status st;

	/* shorter than its header */
	ck_assert_int_eq(ese_record_parse(&r, (const uint8_t *)"\x00\x7f\x04", 3, 0, NULL),
	                 JET_errDatabaseCorrupted);

	/* ibEndOfFixedData past the end, and before the end of the null bitmap */
	small_record(&b);
	wr16(b.b + 2, (uint16_t)(b.len + 1));
	ese_status_clear(&st);
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, &st), JET_errDatabaseCorrupted);
	ck_assert_ptr_nonnull(strstr(st.msg, "fixed"));
	wr16(b.b + 2, 4);            /* 8 fixed columns need a 1-byte bitmap: >= 5 */
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), JET_errDatabaseCorrupted);
	wr16(b.b + 2, 0);
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), JET_errDatabaseCorrupted);
	wr16(b.b + 2, 0xFFFF);
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), JET_errDatabaseCorrupted);

	/* fidVarLast below 127 (but not 0) */
	small_record(&b);
	b.b[1] = 100;
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), JET_errDatabaseCorrupted);

	/* var offsets array running past the record */
	uint8_t rec[8] = { 0, 255, 4, 0, 1, 0, 2, 0 };
	ck_assert_int_eq(ese_record_parse(&r, rec, sizeof(rec), 0, NULL), JET_errDatabaseCorrupted);

	/* last var offset beyond the record */
	small_record(&b);
	wr16(b.b + 55 + 4, 0x8000 | 0x7000);
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), JET_errDatabaseCorrupted);

	/* tagged array malformed: first ib not a multiple of 4, below 4, past the end */
	small_record(&b);
	size_t ta = 69;
	wr16(b.b + ta + 2, (uint16_t)(0x4000 | 30));
	ese_status_clear(&st);
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, &st), JET_errDatabaseCorrupted);
	ck_assert_ptr_nonnull(strstr(st.msg, "tagged"));
	wr16(b.b + ta + 2, 0);
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), JET_errDatabaseCorrupted);
	wr16(b.b + ta + 2, (uint16_t)(b.len - ta + 4));
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), JET_errDatabaseCorrupted);
	/* 1..3 stray bytes where the tagged area would start */
	uint8_t rec2[6] = { 0, 127, 4, 0, 0xAA, 0xBB };
	ck_assert_int_eq(ese_record_parse(&r, rec2, 6, 0, NULL), JET_errDatabaseCorrupted);
	ck_assert_int_eq(ese_record_parse(&r, rec2, 5, 0, NULL), JET_errDatabaseCorrupted);
}
END_TEST

START_TEST(test_value_errors)
{
	rb b;
	ese_record r;
	ese_colval v;
	ese_status st;
	const uint8_t *p;
	size_t n;
	int sep;

	/* var offsets out of order: 129 ends before 128 */
	small_record(&b);
	wr16(b.b + 55, 5);
	wr16(b.b + 57, 3);
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), 0);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_record_get(&r, &table, col(129), &v, &st), JET_errDatabaseCorrupted);
	ck_assert_ptr_nonnull(strstr(st.msg, "variable"));
	/* a middle offset beyond the var data */
	small_record(&b);
	wr16(b.b + 55, 50);
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), 0);
	ck_assert_int_eq(ese_record_get(&r, &table, col(128), &v, NULL), JET_errDatabaseCorrupted);

	/* tagged values out of order */
	small_record(&b);
	size_t ta = 69;
	uint16_t ib1 = rd16(b.b + ta + 4 + 2), ib2 = rd16(b.b + ta + 8 + 2);
	wr16(b.b + ta + 4 + 2, ib2);
	wr16(b.b + ta + 8 + 2, ib1);
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), 0);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_record_get(&r, &table, col(257), &v, &st), JET_errDatabaseCorrupted);
	ck_assert_int_eq(st.err, JET_errDatabaseCorrupted);
	/* a value starting inside the tagged array */
	small_record(&b);
	wr16(b.b + ta + 4 + 2, 0x4000 | 8);
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), 0);
	ck_assert_int_eq(ese_record_get(&r, &table, col(257), &v, NULL), JET_errDatabaseCorrupted);

	/* a fixed column whose catalog offset lies outside the fixed data */
	small_record(&b);
	ck_assert_int_eq(ese_record_parse(&r, b.b, b.len, 0, NULL), 0);
	ese_column bad = *col(8);
	bad.record_offset = 50;
	ck_assert_int_eq(ese_record_get(&r, &table, &bad, &v, NULL), JET_errDatabaseCorrupted);
	bad.record_offset = 2;
	ck_assert_int_eq(ese_record_get(&r, &table, &bad, &v, NULL), JET_errDatabaseCorrupted);

	/* instance errors on values built by hand */
	ese_colval mv = { .present = 1, .tagged = 1, .header = ESE_TAG_MULTI };
	mv.data = (const uint8_t *)"\x06\x00\x09\x00\x0b\x00" "abcdef";
	mv.len = 12;
	ck_assert_int_eq(ese_colval_instance(&mv, 2, &p, &n, &sep, NULL), 0);
	ck_assert_uint_eq(n, 1);
	ck_assert_int_eq(ese_colval_instance(&mv, 3, &p, &n, &sep, NULL), JET_errDatabaseCorrupted);
	/* offsets array longer than the value */
	mv.len = 5;
	ck_assert_int_eq(ese_colval_instance(&mv, 0, &p, &n, &sep, NULL), JET_errDatabaseCorrupted);
	/* an instance starting inside the offsets array */
	mv.data = (const uint8_t *)"\x06\x00\x02\x00\x0b\x00" "abcdef";
	mv.len = 12;
	ck_assert_int_eq(ese_colval_instance(&mv, 1, &p, &n, &sep, NULL), JET_errDatabaseCorrupted);
	/* offsets going backwards */
	mv.data = (const uint8_t *)"\x06\x00\x0a\x00\x08\x00" "abcdef";
	ck_assert_int_eq(ese_colval_instance(&mv, 1, &p, &n, &sep, NULL), JET_errDatabaseCorrupted);
	/* offsets past the value */
	mv.data = (const uint8_t *)"\x06\x00\x09\x00\x20\x00" "abcdef";
	ck_assert_int_eq(ese_colval_instance(&mv, 1, &p, &n, &sep, NULL), JET_errDatabaseCorrupted);
	ck_assert_int_eq(ese_colval_instance(&mv, 2, &p, &n, &sep, NULL), JET_errDatabaseCorrupted);
	/* empty offsets array */
	mv.data = (const uint8_t *)"\x00\x00";
	mv.len = 2;
	ck_assert_uint_eq(ese_colval_count(&mv), 0);
	ck_assert_int_eq(ese_colval_instance(&mv, 0, &p, &n, &sep, NULL), JET_errDatabaseCorrupted);

	ese_colval tv = { .present = 1, .tagged = 1, .header = ESE_TAG_TWO_VALUES };
	tv.data = (const uint8_t *)"\x05" "abc";       /* first length beyond the value */
	tv.len = 4;
	ese_status_clear(&st);
	ck_assert_int_eq(ese_colval_instance(&tv, 0, &p, &n, &sep, &st), JET_errDatabaseCorrupted);
	ck_assert_ptr_nonnull(strstr(st.msg, "two-valued"));
	tv.len = 0;
	ck_assert_int_eq(ese_colval_instance(&tv, 0, &p, &n, &sep, NULL), JET_errDatabaseCorrupted);
	tv.data = (const uint8_t *)"\x03" "abc";       /* second value empty */
	tv.len = 4;
	ck_assert_int_eq(ese_colval_instance(&tv, 1, &p, &n, &sep, NULL), 0);
	ck_assert_uint_eq(n, 0);

	ese_colval plain = { .present = 1, .data = (const uint8_t *)"x", .len = 1 };
	ck_assert_int_eq(ese_colval_instance(&plain, 1, &p, &n, &sep, NULL), JET_errDatabaseCorrupted);
	ck_assert_int_eq(ese_colval_instance(&plain, 0, &p, &n, &sep, NULL), 0);
	ck_assert_int_eq(sep, 0);
}
END_TEST

Suite *suite_record(void)
{
	Suite *s = suite_create("record");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, test_offsets_like_catalog);
	tcase_add_test(tc, test_parse_layout);
	tcase_add_test(tc, test_fixed_values);
	tcase_add_test(tc, test_var_values);
	tcase_add_test(tc, test_tagged_values);
	tcase_add_test(tc, test_minimal_records);
	tcase_add_test(tc, test_derived_tagged_first);
	tcase_add_test(tc, test_large_page_tagged);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_value_errors);
	suite_add_tcase(s, tc);
	return s;
}
