/*
 * test_record_encode.c - the record encoder (common/record.c,
 * ese_record_encode).
 *
 * The proof that it lays records out as ESE does: every record of every
 * table (the catalog and its shadow included) of the Windows-made samples
 * in ../shared/esedb-samples is decoded with the record decoder
 * (ese_record_parse, ese_record_get, ese_record_tagged_at,
 * ese_colval_instance) into a list of ese_value, encoded again, and must
 * come out byte for byte identical.  The decomposition gives the encoder
 * as little as possible: NULL fixed and variable columns below the last
 * one are left out (the encoder must store them NULL with '*' fill), NULL
 * fixed columns never carry their bytes, tagged values keep only their
 * COMPRESSED/SEPARATED/ENCRYPTED bits (the encoder must find the
 * long-value bit, TWOVALUES versus MULTIVALUES and the header byte
 * itself), and the MSysObjects rows are encoded against the catalog's own
 * table whose RecordOffsets all say 4.
 *
 * Then hand-made records pin each layout rule and every error path.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "ese_catalog.h"
#include "ese_cursor.h"
#include "ese_db.h"
#include "ese_page.h"
#include "ese_record.h"
#include "ese_sbuf.h"

Suite *suite_record_encode(void);

static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }

/* ---- round trip of the samples ---- */

#define SAMPLES_DIR "../shared/esedb-samples"

/* Decompresses SAMPLES_DIR/name.gz into a temporary file (its path in
 * tmp); 0 with a message when the sample is absent. */
static int unpack_sample(const char *name, char *tmp, size_t tmplen)
{
	char path[512], cmd[600];
	snprintf(path, sizeof(path), "%s/%s.gz", SAMPLES_DIR, name);
	if (access(path, R_OK) != 0) {
		printf("SKIP: %s not found (run from the repository root with ../shared/esedb-samples)\n", path);
		return 0;
	}
	snprintf(tmp, tmplen, "/tmp/ese-recenc-XXXXXX");
	int fd = mkstemp(tmp);
	ck_assert_int_ge(fd, 0);
	FILE *f = fdopen(fd, "wb");
	ck_assert_ptr_nonnull(f);
	snprintf(cmd, sizeof(cmd), "gunzip -c '%s'", path);
	FILE *pp = popen(cmd, "r");
	ck_assert_ptr_nonnull(pp);
	static uint8_t buf[1 << 16];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), pp)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, n, f), n);
	ck_assert_int_eq(pclose(pp), 0);
	ck_assert_int_eq(fclose(f), 0);
	return 1;
}

static size_t col_size(const ese_column *c)
{
	switch (c->coltyp) {
	case JET_coltypBit: case JET_coltypUnsignedByte: return 1;
	case JET_coltypShort: case JET_coltypUnsignedShort: return 2;
	case JET_coltypLong: case JET_coltypUnsignedLong: case JET_coltypIEEESingle: return 4;
	case JET_coltypCurrency: case JET_coltypIEEEDouble: case JET_coltypDateTime:
	case JET_coltypLongLong: return 8;
	case JET_coltypGUID: return 16;
	default: return c->size;
	}
}

/* The decoder reads fixed columns at record_offset: a copy of t whose
 * offsets are the running sum when the catalog's are unusable (the
 * MSysObjects column rows all say 4). */
static ese_table *decoding_table(const ese_table *t)
{
	ese_table *d = malloc(sizeof(*d));
	ck_assert_ptr_nonnull(d);
	*d = *t;
	d->columns = malloc((t->ncolumns ? t->ncolumns : 1) * sizeof(ese_column));
	ck_assert_ptr_nonnull(d->columns);
	memcpy(d->columns, t->columns, t->ncolumns * sizeof(ese_column));
	int usable = 1;
	size_t end = 4;
	for (size_t i = 0; i < t->ncolumns && t->columns[i].id <= 127; i++) {
		if (t->columns[i].record_offset < end)
			usable = 0;
		end = t->columns[i].record_offset + col_size(&t->columns[i]);
	}
	if (!usable) {
		uint32_t off = 4;
		for (size_t i = 0; i < d->ncolumns && d->columns[i].id <= 127; i++) {
			d->columns[i].record_offset = off;
			off += (uint32_t)col_size(&d->columns[i]);
		}
	}
	return d;
}

/* What a record held, counted while decomposing it. */
typedef struct sample_stats {
	uint64_t records, identical, tables;
	uint64_t two_values, multi_values, separated, null_tagged, null_fixed, null_var, pad_clear;
} sample_stats;

#define GIVEN_TAG_FLAGS (ESE_TAG_COMPRESSED | ESE_TAG_SEPARATED | ESE_TAG_ENCRYPTED)

typedef struct decomp {
	sample_stats *ss;
	ese_value    *vals;
	size_t       *first;          /* per value: its first instance in inst */
	size_t        nvals, cap;
	ese_instance *inst;
	size_t        ninst, instcap;
	unsigned      flags;
} decomp;

static ese_value *push_val(decomp *d)
{
	if (d->nvals == d->cap) {
		d->cap = d->cap ? 2 * d->cap : 64;
		d->vals = realloc(d->vals, d->cap * sizeof(*d->vals));
		d->first = realloc(d->first, d->cap * sizeof(*d->first));
		ck_assert_ptr_nonnull(d->vals);
		ck_assert_ptr_nonnull(d->first);
	}
	ese_value *v = &d->vals[d->nvals++];
	memset(v, 0, sizeof(*v));
	return v;
}

/* Record r of table t (dt: the same with decodable offsets) as values. */
static void decompose(decomp *d, const ese_record *r, const ese_table *t, const ese_table *dt)
{
	d->nvals = 0;
	d->ninst = 0;
	d->flags = 0;
	ese_status st;
	ese_status_clear(&st);

	/* fixed: NULL ones below the last are left for the encoder to fill */
	size_t nullbytes = (r->fixed_last + 7) / 8;
	const uint8_t *bitmap = r->data + r->fixed_end - nullbytes;
	for (uint32_t fid = 1; fid <= r->fixed_last; fid++) {
		const ese_column *c = ese_table_find_column(dt, fid);
		ck_assert_msg(c != NULL, "table %s: fixed column %u in a record but not in the catalog", t->name, fid);
		int null = (bitmap[(fid - 1) / 8] >> ((fid - 1) % 8)) & 1;
		d->ss->null_fixed += null;
		if (null && fid != r->fixed_last)
			continue;
		ese_value *v = push_val(d);
		v->columnid = fid;
		if (null) {
			v->is_null = 1;
			continue;
		}
		ese_colval cv;
		ck_assert_int_eq(ese_record_get(r, dt, c, &cv, &st), 0);
		ck_assert(cv.present);
		v->data = cv.data;
		v->len = cv.len;
	}
	/* bits past fidFixedLastInRec: ESE's insert path sets them */
	if (r->fixed_last % 8 && !((bitmap[nullbytes - 1] >> (r->fixed_last % 8)) & 1)) {
		d->flags |= ESE_ENCODE_NULLPAD_CLEAR;
		d->ss->pad_clear++;
	}

	/* variable: the raw bit 15 tells NULL from zero-length */
	for (uint32_t fid = 128; fid <= r->var_last; fid++) {
		int null = (rd16(r->data + r->fixed_end + 2 * (fid - 128)) & 0x8000) != 0;
		d->ss->null_var += null;
		if (null && fid != r->var_last)
			continue;
		const ese_column *c = ese_table_find_column(dt, fid);
		ck_assert_msg(c != NULL, "table %s: variable column %u in a record but not in the catalog", t->name, fid);
		ese_value *v = push_val(d);
		v->columnid = fid;
		if (null) {
			v->is_null = 1;
			continue;
		}
		ese_colval cv;
		ck_assert_int_eq(ese_record_get(r, dt, c, &cv, &st), 0);
		v->data = cv.data;
		v->len = cv.len;
	}

	/* tagged, in stored order; instances as the decoder gives them */
	for (size_t i = 0; i < r->ntagged; i++) {
		uint32_t fid;
		ese_colval cv;
		ck_assert_int_eq(ese_record_tagged_at(r, i, &fid, &cv, &st), 0);
		uint16_t ib = rd16(r->data + r->tagged + 4 * i + 2);
		ese_value *v = push_val(d);
		v->columnid = fid;
		v->derived = (ib & 0x8000) != 0;
		int null = r->large ? (cv.header & ESE_TAG_NULL) != 0 : (ib & 0x2000) != 0;
		v->tag_flags = cv.header & GIVEN_TAG_FLAGS;
		if (null) {
			v->is_null = 1;
			d->ss->null_tagged++;
			continue;
		}
		d->ss->separated += (cv.header & ESE_TAG_SEPARATED) != 0;
		d->ss->two_values += (cv.header & ESE_TAG_TWO_VALUES) != 0;
		d->ss->multi_values += (cv.header & (ESE_TAG_MULTI | ESE_TAG_TWO_VALUES)) == ESE_TAG_MULTI;
		if (!(cv.header & ESE_TAG_MULTI)) {
			v->data = cv.data;
			v->len = cv.len;
			continue;
		}
		size_t n = ese_colval_count(&cv);
		ck_assert_uint_ge(n, 1);
		if (d->ninst + n > d->instcap) {
			d->instcap = 2 * (d->ninst + n);
			d->inst = realloc(d->inst, d->instcap * sizeof(*d->inst));
			ck_assert_ptr_nonnull(d->inst);
		}
		for (size_t k = 0; k < n; k++) {
			ese_instance *in = &d->inst[d->ninst + k];
			ck_assert_int_eq(ese_colval_instance(&cv, k, &in->data, &in->len, &in->separated, &st), 0);
			d->ss->separated += in->separated != 0;
		}
		/* the pool may still move: pointers are set at the end */
		d->first[d->nvals - 1] = d->ninst;
		v->ninstances = n;
		d->ninst += n;
	}
	for (size_t i = 0; i < d->nvals; i++)
		if (d->vals[i].ninstances)
			d->vals[i].instances = d->inst + d->first[i];
}

static void hexdiff(const uint8_t *a, const uint8_t *b, size_t alen, size_t blen)
{
	size_t i = 0;
	while (i < alen && i < blen && a[i] == b[i])
		i++;
	fprintf(stderr, "  first difference at byte %zu of %zu/%zu\n  stored :", i, alen, blen);
	for (size_t k = i; k < alen && k < i + 24; k++)
		fprintf(stderr, " %02x", a[k]);
	fprintf(stderr, "\n  encoded:");
	for (size_t k = i; k < blen && k < i + 24; k++)
		fprintf(stderr, " %02x", b[k]);
	fprintf(stderr, "\n");
}

static void round_trip_table(ese_db *db, const ese_table *t, sample_stats *ss, const char *name)
{
	uint32_t ps = ese_db_page_size(db);
	int large = ese_page_is_large(ps);
	ese_table *dt = decoding_table(t);
	ese_cursor *cu = NULL;
	ese_status st;
	ese_status_clear(&st);
	ck_assert_msg(ese_cursor_open(db, t->pgno_fdp, t->objid, &cu, &st) == 0, "%s: %s", name, st.msg);
	decomp d = { .ss = ss };
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	int err;
	for (err = ese_cursor_first(cu, &st); err == 0; err = ese_cursor_next(cu, &st)) {
		size_t len;
		const uint8_t *data = ese_cursor_data(cu, &len);
		ese_record r;
		ck_assert_msg(ese_record_parse(&r, data, len, large, &st) == 0, "%s %s: %s", name, t->name, st.msg);
		decompose(&d, &r, t, dt);
		ese_sbuf_reset(&sb);
		ese_status_clear(&st);
		int e = ese_record_encode(&sb, t, d.vals, d.nvals, ps, d.flags, &st);
		ck_assert_msg(e == 0, "%s table %s page %u: encode failed: %s", name, t->name, ese_cursor_pgno(cu),
		              st.msg);
		ss->records++;
		if (sb.len == len && memcmp(sb.data, data, len) == 0) {
			ss->identical++;
		} else {
			fprintf(stderr, "%s table %s page %u: re-encoded record differs\n", name, t->name,
			        ese_cursor_pgno(cu));
			hexdiff(data, (const uint8_t *)sb.data, len, sb.len);
		}
	}
	ck_assert_msg(err == JET_errRecordNotFound, "%s %s: %s", name, t->name, st.msg);
	ese_cursor_close(cu);
	ese_sbuf_free(&sb);
	free(d.vals);
	free(d.first);
	free(d.inst);
	free(dt->columns);
	free(dt);
	ss->tables++;
}

static void round_trip_sample(const char *name, uint64_t min_records)
{
	char tmp[64];
	if (!unpack_sample(name, tmp, sizeof(tmp)))
		return;
	ese_db *db = NULL;
	ese_catalog *cat = NULL;
	ese_status st;
	ese_status_clear(&st);
	ck_assert_msg(ese_db_open(tmp, ESE_OPEN_RDONLY, &db, &st) == 0, "%s: %s", name, st.msg);
	ck_assert_msg(ese_catalog_load(db, 4, &cat, &st) == 0, "%s: %s", name, st.msg);
	sample_stats ss = { 0 };
	for (size_t i = 0; i < cat->ntables; i++)
		round_trip_table(db, &cat->tables[i], &ss, name);
	printf("record encode %-10s %2llu tables, %6llu records, %6llu identical (TWOVALUES %llu, MULTIVALUES %llu, "
	       "separated LIDs %llu, NULL fixed/var/tagged %llu/%llu/%llu, cleared null pads %llu)\n",
	       name, (unsigned long long)ss.tables, (unsigned long long)ss.records,
	       (unsigned long long)ss.identical, (unsigned long long)ss.two_values,
	       (unsigned long long)ss.multi_values, (unsigned long long)ss.separated,
	       (unsigned long long)ss.null_fixed, (unsigned long long)ss.null_var,
	       (unsigned long long)ss.null_tagged, (unsigned long long)ss.pad_clear);
	ck_assert_uint_ge(ss.records, min_records);
	ck_assert_uint_eq(ss.identical, ss.records);
	ese_catalog_free(cat);
	ese_db_close(db);
	unlink(tmp);
}

/* Record counts are lower bounds: the catalog and its shadow alone hold
 * about 60 records per file; large.edb's catalog 65 000. */
START_TEST(test_sample_basic) { round_trip_sample("basic.edb", 100); }
END_TEST
START_TEST(test_sample_binary) { round_trip_sample("binary.edb", 100); }
END_TEST
START_TEST(test_sample_default) { round_trip_sample("default.edb", 100); }
END_TEST
START_TEST(test_sample_index) { round_trip_sample("index.edb", 100); }
END_TEST
START_TEST(test_sample_multi) { round_trip_sample("multi.edb", 100); }
END_TEST
START_TEST(test_sample_text) { round_trip_sample("text.edb", 100); }
END_TEST
START_TEST(test_sample_large) { round_trip_sample("large.edb", 130000); }
END_TEST

/* ---- hand-made records ---- */

#define C(i, t, sz, cp) { .id = i, .coltyp = t, .size = sz, .codepage = cp, .name = (char *)#i }
static ese_column cols[] = {
	C(1, JET_coltypLong, 4, 0),
	C(2, JET_coltypShort, 2, 0),
	C(3, JET_coltypBit, 1, 0),
	C(4, JET_coltypText, 6, 1252),
	C(5, JET_coltypText, 6, 1200),
	C(6, JET_coltypBinary, 5, 0),
	C(7, JET_coltypGUID, 16, 0),
	C(9, JET_coltypLong, 4, 0),          /* fid 8 was deleted: a gap */
	C(128, JET_coltypText, 255, 1252),
	C(129, JET_coltypBinary, 255, 0),
	C(130, JET_coltypBinary, 10, 0),
	C(131, JET_coltypText, 255, 1252),
	C(256, JET_coltypLong, 4, 0),
	C(257, JET_coltypBinary, 255, 0),
	C(258, JET_coltypLongBinary, 0, 0),
	C(259, JET_coltypLongText, 0, 1200),
	C(260, JET_coltypShort, 2, 0),
	C(261, JET_coltypText, 8, 1252),
};
#undef C
#define NCOLS (sizeof(cols) / sizeof(cols[0]))
static ese_index prim = { .objid = 8, .flags = ESE_IDX_PRIMARY | ESE_IDX_UNIQUE, .keymost = 255 };
static ese_table table = { .objid = 8, .name = (char *)"t", .columns = cols, .ncolumns = NCOLS };

static void set_offsets(void)
{
	/* RecordOffset as ESE gives it: a deleted fid 8 (Long) keeps its
	 * 4 bytes at 56, so fid 9 sits at 60 */
	static const uint32_t off[] = { 4, 8, 10, 11, 17, 23, 28, 60 };
	for (size_t i = 0; i < 8; i++)
		cols[i].record_offset = off[i];
	table.indexes = NULL;
	table.nindexes = 0;
}

#define V(id, s) { .columnid = id, .data = (const uint8_t *)(s), .len = sizeof(s) - 1 }
#define VNULL(id) { .columnid = id, .is_null = 1 }

/* Encodes vals on a page of ps bytes; 0 and the bytes in sb, or the error. */
static int enc(ese_sbuf *sb, const ese_value *vals, size_t n, uint32_t ps, unsigned flags)
{
	ese_sbuf_reset(sb);
	ese_status st;
	ese_status_clear(&st);
	int e = ese_record_encode(sb, &table, vals, n, ps, flags, &st);
	ck_assert(e == 0 || st.err == e);
	return e;
}

static void expect(const ese_sbuf *sb, const uint8_t *want, size_t n)
{
	if (sb->len != n || memcmp(sb->data, want, n) != 0) {
		hexdiff(want, (const uint8_t *)sb->data, n, sb->len);
		ck_abort_msg("encoded record differs from the expected bytes");
	}
}

START_TEST(test_empty_record)
{
	set_offsets();
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	ck_assert_int_eq(enc(&sb, NULL, 0, 4096, 0), 0);
	static const uint8_t want[] = { 0x00, 0x7F, 0x04, 0x00 };
	expect(&sb, want, sizeof(want));
	ese_sbuf_free(&sb);
}
END_TEST

/* Fixed columns: middle NULLs take their space, filled '*'; trailing ones
 * not given are absent; an explicit NULL extends the record; bits past
 * the last are 1 (or 0 with NULLPAD_CLEAR). */
START_TEST(test_fixed_nulls)
{
	set_offsets();
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	ese_value v1[] = { V(2, "\x34\x12"), V(1, "\x01\x00\x00\x00") };
	ck_assert_int_eq(enc(&sb, v1, 2, 4096, 0), 0);
	static const uint8_t w1[] = { 0x02, 0x7F, 0x0B, 0x00, 0x01, 0, 0, 0, 0x34, 0x12, 0xFC };
	expect(&sb, w1, sizeof(w1));

	/* column 2 NULL in the middle, 3 present: 2 keeps its 2 bytes as '*' */
	ese_value v2[] = { V(1, "\x01\x00\x00\x00"), V(3, "\x01") };
	ck_assert_int_eq(enc(&sb, v2, 2, 4096, 0), 0);
	static const uint8_t w2[] = { 0x03, 0x7F, 0x0C, 0x00, 0x01, 0, 0, 0, '*', '*', 0xFF, 0xFA };
	expect(&sb, w2, sizeof(w2));
	ese_value v2b[] = { V(1, "\x01\x00\x00\x00"), VNULL(2), V(3, "\x01") };
	ck_assert_int_eq(enc(&sb, v2b, 3, 4096, 0), 0);
	expect(&sb, w2, sizeof(w2));

	/* explicit trailing NULL: in the record, '*' or the bytes given */
	ese_value v3[] = { V(1, "\x01\x00\x00\x00"), VNULL(2) };
	ck_assert_int_eq(enc(&sb, v3, 2, 4096, 0), 0);
	static const uint8_t w3[] = { 0x02, 0x7F, 0x0B, 0x00, 0x01, 0, 0, 0, '*', '*', 0xFE };
	expect(&sb, w3, sizeof(w3));
	ese_value v3b[] = { V(1, "\x01\x00\x00\x00"), { .columnid = 2, .is_null = 1, .data = (const uint8_t *)"\x07\x00", .len = 2 } };
	ck_assert_int_eq(enc(&sb, v3b, 2, 4096, ESE_ENCODE_NULLPAD_CLEAR), 0);
	static const uint8_t w3b[] = { 0x02, 0x7F, 0x0B, 0x00, 0x01, 0, 0, 0, 0x07, 0x00, 0x02 };
	expect(&sb, w3b, sizeof(w3b));

	/* only a NULL: fidFixedLastInRec 1, all bits set */
	ese_value v4[] = { VNULL(1) };
	ck_assert_int_eq(enc(&sb, v4, 1, 4096, 0), 0);
	static const uint8_t w4[] = { 0x01, 0x7F, 0x09, 0x00, '*', '*', '*', '*', 0xFF };
	expect(&sb, w4, sizeof(w4));

	/* the gap of a deleted column: its bytes '*', its bit set; fid 9 at its
	 * RecordOffset 60; a second bitmap byte */
	ese_value v5[] = { V(9, "\x09\x00\x00\x00") };
	ck_assert_int_eq(enc(&sb, v5, 1, 4096, 0), 0);
	ck_assert_uint_eq(sb.len, 64 + 2);
	const uint8_t *p = (const uint8_t *)sb.data;
	ck_assert_uint_eq(p[0], 9);
	ck_assert_uint_eq(rd16(p + 2), 66);
	for (size_t i = 4; i < 60; i++)
		ck_assert_uint_eq(p[i], '*');
	ck_assert_uint_eq(p[60], 9);
	ck_assert_uint_eq(p[64], 0xFF);
	ck_assert_uint_eq(p[65], 0xFE);
	ese_sbuf_free(&sb);
}
END_TEST

/* Values as ErrRECISetIFixedColumn stores them: Bit 00/FF, short Text
 * padded with spaces (Unicode 20 00), short Binary with zeros. */
START_TEST(test_fixed_values)
{
	set_offsets();
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	ese_value v[] = { V(3, "\x05"), V(4, "ab"), V(5, "x\x00y"), V(6, "\x01\x02"),
	                  V(7, "0123456789abcdef") };
	ck_assert_int_eq(enc(&sb, v, 5, 4096, 0), 0);
	static const uint8_t want[] = {
		0x07, 0x7F, 0x2D, 0x00,
		'*', '*', '*', '*', '*', '*',           /* 1, 2 NULL */
		0xFF,                                   /* Bit */
		'a', 'b', ' ', ' ', ' ', ' ',           /* ASCII */
		'x', 0x00, 'y', 0x00, ' ', 0x00,        /* Unicode: odd length, parity fill */
		0x01, 0x02, 0, 0, 0,                    /* Binary */
		'0', '1', '2', '3', '4', '5', '6', '7', '8', '9', 'a', 'b', 'c', 'd', 'e', 'f',
		0x83,
	};
	expect(&sb, want, sizeof(want));
	ese_value b0[] = { V(3, "\x00") };
	ck_assert_int_eq(enc(&sb, b0, 1, 4096, 0), 0);
	ck_assert_uint_eq((uint8_t)sb.data[10], 0x00);
	ese_sbuf_free(&sb);
}
END_TEST

/* Variable columns: NULL in the middle = previous END | 0x8000, zero
 * length = previous END, absent past the last given. */
START_TEST(test_variable)
{
	set_offsets();
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	ese_value v[] = { V(128, "ab"), V(130, ""), VNULL(131) };
	ck_assert_int_eq(enc(&sb, v, 3, 4096, 0), 0);
	static const uint8_t want[] = { 0x00, 0x83, 0x04, 0x00, 0x02, 0x00, 0x02, 0x80, 0x02, 0x00, 0x02, 0x80,
	                                'a', 'b' };
	expect(&sb, want, sizeof(want));
	ese_value v2[] = { V(129, "xyz") };
	ck_assert_int_eq(enc(&sb, v2, 1, 4096, 0), 0);
	static const uint8_t want2[] = { 0x00, 0x81, 0x04, 0x00, 0x00, 0x80, 0x03, 0x00, 'x', 'y', 'z' };
	expect(&sb, want2, sizeof(want2));
	ese_sbuf_free(&sb);
}
END_TEST

static const uint8_t lid1[] = { 1, 0, 0, 0 }, lid2[] = { 2, 0, 0, 0 };

/* Tagged on a small page: no header for a plain value, 0x4000 + header
 * for long values, separated LIDs, multi-values; NULL = 0x2000. */
START_TEST(test_tagged_small)
{
	set_offsets();
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	ese_instance two[] = { { (const uint8_t *)"\x01\x00", 2, 0 }, { (const uint8_t *)"\x02\x00", 2, 0 } };
	ese_instance three[] = { { (const uint8_t *)"a", 1, 0 }, { (const uint8_t *)"bc", 2, 0 },
	                         { (const uint8_t *)"", 0, 0 } };
	ese_instance lvs[] = { { lid1, 4, 1 }, { (const uint8_t *)"xy", 2, 0 } };
	ese_value v[] = {
		{ .columnid = 260, .instances = two, .ninstances = 2 },
		V(256, "\x2A\x00\x00\x00"),
		{ .columnid = 259, .instances = lvs, .ninstances = 2 },
		{ .columnid = 258, .data = lid2, .len = 4, .tag_flags = ESE_TAG_SEPARATED },
		{ .columnid = 257, .instances = three, .ninstances = 3 },
		VNULL(261),
	};
	ck_assert_int_eq(enc(&sb, v, 6, 4096, 0), 0);
	static const uint8_t want[] = {
		0x00, 0x7F, 0x04, 0x00,
		0x00, 0x01, 0x18, 0x00,                 /* 256 plain at 24 */
		0x01, 0x01, 0x1C, 0x40,                 /* 257 multi, header */
		0x02, 0x01, 0x26, 0x40,                 /* 258 separated */
		0x03, 0x01, 0x2B, 0x40,                 /* 259 LV multi */
		0x04, 0x01, 0x36, 0x40,                 /* 260 two values */
		0x05, 0x01, 0x3C, 0x20,                 /* 261 NULL, no bytes */
		0x2A, 0x00, 0x00, 0x00,
		0x08, 0x06, 0x00, 0x07, 0x00, 0x09, 0x00, 'a', 'b', 'c',
		0x05, 0x02, 0x00, 0x00, 0x00,
		0x09, 0x04, 0x80, 0x08, 0x00, 0x01, 0x00, 0x00, 0x00, 'x', 'y',
		0x18, 0x02, 0x01, 0x00, 0x02, 0x00,
	};
	expect(&sb, want, sizeof(want));

	/* the decoder reads back what was written */
	ese_record r;
	ese_status st;
	ese_status_clear(&st);
	ck_assert_int_eq(ese_record_parse(&r, (const uint8_t *)sb.data, sb.len, 0, &st), 0);
	ck_assert_uint_eq(r.ntagged, 6);
	ese_colval cv;
	ck_assert_int_eq(ese_record_get(&r, &table, &cols[16], &cv, &st), 0);  /* 260 */
	ck_assert_uint_eq(ese_colval_count(&cv), 2);
	ck_assert_int_eq(ese_record_get(&r, &table, &cols[14], &cv, &st), 0);  /* 258 */
	const uint8_t *p;
	size_t n;
	int sep;
	ck_assert_int_eq(ese_colval_instance(&cv, 0, &p, &n, &sep, &st), 0);
	ck_assert(sep && n == 4 && p[0] == 2);

	/* a two-instance non-LV column kept as MULTIVALUES when asked */
	ese_value m[] = { { .columnid = 260, .instances = two, .ninstances = 2, .tag_flags = ESE_TAG_MULTI } };
	ck_assert_int_eq(enc(&sb, m, 1, 4096, 0), 0);
	static const uint8_t wm[] = { 0x00, 0x7F, 0x04, 0x00, 0x04, 0x01, 0x04, 0x40,
	                              0x08, 0x04, 0x00, 0x06, 0x00, 0x01, 0x00, 0x02, 0x00 };
	expect(&sb, wm, sizeof(wm));

	/* intrinsic long value: header 0x01; zero-length plain value: no bytes */
	ese_value lv[] = { V(259, "h\x00i\x00"), V(257, "") };
	ck_assert_int_eq(enc(&sb, lv, 2, 4096, 0), 0);
	static const uint8_t wl[] = { 0x00, 0x7F, 0x04, 0x00, 0x01, 0x01, 0x08, 0x00, 0x03, 0x01, 0x08, 0x40,
	                              0x01, 'h', 0x00, 'i', 0x00 };
	expect(&sb, wl, sizeof(wl));
	ese_sbuf_free(&sb);
}
END_TEST

/* Derived (template) entries come first, with bit 15 of ib. */
START_TEST(test_tagged_derived)
{
	set_offsets();
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	ese_value v[] = { V(256, "\x01\x00\x00\x00"), { .columnid = 260, .data = (const uint8_t *)"\x05\x00", .len = 2, .derived = 1 } };
	ck_assert_int_eq(enc(&sb, v, 2, 4096, 0), 0);
	static const uint8_t want[] = { 0x00, 0x7F, 0x04, 0x00, 0x04, 0x01, 0x08, 0x80, 0x00, 0x01, 0x0A, 0x00,
	                                0x05, 0x00, 0x01, 0x00, 0x00, 0x00 };
	expect(&sb, want, sizeof(want));
	ese_sbuf_free(&sb);
}
END_TEST

/* Large pages: always a header byte, no ib flags, NULL = header 0x20,
 * two instances are MULTIVALUES. */
START_TEST(test_tagged_large)
{
	set_offsets();
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	ese_instance two[] = { { (const uint8_t *)"\x01\x00", 2, 0 }, { (const uint8_t *)"\x02\x00", 2, 0 } };
	ese_value v[] = {
		V(256, "\x2A\x00\x00\x00"),
		{ .columnid = 258, .data = lid2, .len = 4, .tag_flags = ESE_TAG_SEPARATED },
		VNULL(259),
		{ .columnid = 260, .instances = two, .ninstances = 2 },
		VNULL(261),
	};
	ck_assert_int_eq(enc(&sb, v, 5, 32768, 0), 0);
	static const uint8_t want[] = {
		0x00, 0x7F, 0x04, 0x00,
		0x00, 0x01, 0x14, 0x00,
		0x02, 0x01, 0x19, 0x00,
		0x03, 0x01, 0x1E, 0x00,
		0x04, 0x01, 0x1F, 0x00,
		0x05, 0x01, 0x28, 0x00,
		0x00, 0x2A, 0x00, 0x00, 0x00,
		0x05, 0x02, 0x00, 0x00, 0x00,
		0x21,
		0x08, 0x04, 0x00, 0x06, 0x00, 0x01, 0x00, 0x02, 0x00,
		0x20,
	};
	expect(&sb, want, sizeof(want));
	ese_record r;
	ese_status st;
	ese_status_clear(&st);
	ck_assert_int_eq(ese_record_parse(&r, (const uint8_t *)sb.data, sb.len, 1, &st), 0);
	ese_colval cv;
	ck_assert_int_eq(ese_record_get(&r, &table, &cols[15], &cv, &st), 0);  /* 259 NULL */
	ck_assert(!cv.present);
	ck_assert_int_eq(ese_record_get(&r, &table, &cols[12], &cv, &st), 0);  /* 256 */
	ck_assert(cv.present && cv.len == 4 && cv.data[0] == 0x2A);
	ese_sbuf_free(&sb);
}
END_TEST

START_TEST(test_max_size)
{
	set_offsets();
	ck_assert_uint_eq(ese_record_max_size(&table, 2048), 1743);
	ck_assert_uint_eq(ese_record_max_size(&table, 4096), 3791);
	ck_assert_uint_eq(ese_record_max_size(&table, 8192), 7887);
	ck_assert_uint_eq(ese_record_max_size(&table, 16384), 16288);
	ck_assert_uint_eq(ese_record_max_size(&table, 32768), 32672);
	ck_assert_uint_eq(ese_record_max_size(&table, 1000), 0);
	table.indexes = &prim;
	table.nindexes = 1;
	ck_assert_uint_eq(ese_record_max_size(&table, 4096), 3789);
	ck_assert_uint_eq(ese_record_max_size(&table, 32768), 32421);
	table.indexes = NULL;
	table.nindexes = 0;
}
END_TEST

/* Tagged values of n bytes each until the record is exactly target long. */
static size_t fill_to(ese_value *v, uint8_t *buf, size_t target)
{
	/* header 4 + per entry 4 + 1 header + payload (LongBinary 258/259) */
	size_t left = target - 4 - 2 * 5, a = left / 2, b = left - a;
	memset(buf, 'x', left);
	v[0] = (ese_value){ .columnid = 258, .data = buf, .len = a };
	v[1] = (ese_value){ .columnid = 259, .data = buf + a, .len = b };
	return 2;
}

START_TEST(test_errors)
{
	set_offsets();
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	ese_sbuf_put(&sb, "keep", 4);
	ese_status st;
	uint8_t *big = malloc(40000);
	ck_assert_ptr_nonnull(big);

	/* the largest record fits, one byte more does not; out is untouched */
	ese_value v[2];
	size_t max = ese_record_max_size(&table, 4096);
	fill_to(v, big, max);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_record_encode(&sb, &table, v, 2, 4096, 0, &st), 0);
	ck_assert_uint_eq(sb.len, 4 + max);
	sb.len = 4;
	fill_to(v, big, max + 1);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_record_encode(&sb, &table, v, 2, 4096, 0, &st), JET_errRecordTooBig);
	ck_assert_int_eq(st.err, JET_errRecordTooBig);
	ck_assert_uint_eq(sb.len, 4);
	ck_assert_int_eq(memcmp(sb.data, "keep", 4), 0);
	/* the same record fits a large page, and the 2 KiB limit is lower */
	ck_assert_int_eq(ese_record_encode(&sb, &table, v, 2, 32768, 0, NULL), 0);
	sb.len = 4;
	fill_to(v, big, ese_record_max_size(&table, 2048) + 1);
	ck_assert_int_eq(ese_record_encode(&sb, &table, v, 2, 2048, 0, NULL), JET_errRecordTooBig);
	fill_to(v, big, 32673);
	ck_assert_int_eq(ese_record_encode(&sb, &table, v, 2, 32768, 0, NULL), JET_errRecordTooBig);
	ck_assert_uint_eq(sb.len, 4);

	/* unknown column ids */
	ese_value u[] = { V(8, "\x00\x00\x00\x00") };
	ck_assert_int_eq(ese_record_encode(&sb, &table, u, 1, 4096, 0, NULL), JET_errColumnNotFound);
	ese_value u2[] = { V(300, "x") };
	ck_assert_int_eq(ese_record_encode(&sb, &table, u2, 1, 4096, 0, NULL), JET_errColumnNotFound);
	ese_value u3[] = { V(0, "x") };
	ck_assert_int_eq(ese_record_encode(&sb, &table, u3, 1, 4096, 0, NULL), JET_errColumnNotFound);

	/* fixed values of the wrong size; Text/Binary may be shorter only */
	ese_value f1[] = { V(1, "\x01\x00\x00") };
	ck_assert_int_eq(ese_record_encode(&sb, &table, f1, 1, 4096, 0, NULL), JET_errInvalidBufferSize);
	ese_value f2[] = { V(2, "\x01\x00\x00") };
	ck_assert_int_eq(ese_record_encode(&sb, &table, f2, 1, 4096, 0, NULL), JET_errInvalidBufferSize);
	ese_value f3[] = { V(4, "1234567") };
	ck_assert_int_eq(ese_record_encode(&sb, &table, f3, 1, 4096, 0, NULL), JET_errInvalidBufferSize);
	ese_value f4[] = { V(7, "short") };
	ck_assert_int_eq(ese_record_encode(&sb, &table, f4, 1, 4096, 0, NULL), JET_errInvalidBufferSize);
	ese_value f5[] = { { .columnid = 1, .is_null = 1, .data = (const uint8_t *)"ab", .len = 2 } };
	ck_assert_int_eq(ese_record_encode(&sb, &table, f5, 1, 4096, 0, NULL), JET_errInvalidBufferSize);

	/* too long: variable over its maximum, tagged over its maximum */
	ese_value l1[] = { V(130, "12345678901") };
	ck_assert_int_eq(ese_record_encode(&sb, &table, l1, 1, 4096, 0, NULL), JET_errColumnTooBig);
	ese_value l2[] = { { .columnid = 128, .data = big, .len = 256 } };
	ck_assert_int_eq(ese_record_encode(&sb, &table, l2, 1, 4096, 0, NULL), JET_errColumnTooBig);
	ese_value l3[] = { V(261, "123456789") };
	ck_assert_int_eq(ese_record_encode(&sb, &table, l3, 1, 4096, 0, NULL), JET_errColumnTooBig);

	/* bad parameters */
	ese_value d1[] = { V(1, "\x01\x00\x00\x00"), V(1, "\x02\x00\x00\x00") };
	ck_assert_int_eq(ese_record_encode(&sb, &table, d1, 2, 4096, 0, NULL), JET_errInvalidParameter);
	ese_value d2[] = { V(257, "a"), V(257, "b") };
	ck_assert_int_eq(ese_record_encode(&sb, &table, d2, 2, 4096, 0, NULL), JET_errInvalidParameter);
	ese_value ok[] = { V(1, "\x01\x00\x00\x00") };
	ck_assert_int_eq(ese_record_encode(&sb, &table, ok, 1, 4000, 0, NULL), JET_errInvalidParameter);
	ese_instance i3[] = { { (const uint8_t *)"a", 1, 0 }, { (const uint8_t *)"b", 1, 0 }, { (const uint8_t *)"c", 1, 0 } };
	ese_value t1[] = { { .columnid = 257, .instances = i3, .ninstances = 3, .tag_flags = ESE_TAG_TWO_VALUES } };
	ck_assert_int_eq(ese_record_encode(&sb, &table, t1, 1, 4096, 0, NULL), JET_errInvalidParameter);
	ese_value t2[] = { { .columnid = 128, .instances = i3, .ninstances = 3 } };
	ck_assert_int_eq(ese_record_encode(&sb, &table, t2, 1, 4096, 0, NULL), JET_errInvalidParameter);
	ese_value t3[] = { { .columnid = 258, .data = lid1, .len = 3, .tag_flags = ESE_TAG_SEPARATED } };
	ck_assert_int_eq(ese_record_encode(&sb, &table, t3, 1, 4096, 0, NULL), JET_errInvalidParameter);
	ese_instance isep[] = { { lid1, 4, 1 }, { (const uint8_t *)"b", 1, 0 } };
	ese_value t4[] = { { .columnid = 257, .instances = isep, .ninstances = 2, .tag_flags = ESE_TAG_TWO_VALUES } };
	ck_assert_int_eq(ese_record_encode(&sb, &table, t4, 1, 4096, 0, NULL), JET_errInvalidParameter);
	ese_value t5[] = { { .columnid = 257, .ninstances = 2 } };
	ck_assert_int_eq(ese_record_encode(&sb, &table, t5, 1, 4096, 0, NULL), JET_errInvalidParameter);
	ese_value t6[] = { { .columnid = 257, .is_null = 1, .instances = i3, .ninstances = 3 } };
	ck_assert_int_eq(ese_record_encode(&sb, &table, t6, 1, 4096, 0, NULL), JET_errInvalidParameter);
	ck_assert_int_eq(ese_record_encode(&sb, NULL, ok, 1, 4096, 0, NULL), JET_errInvalidParameter);

	ck_assert_uint_eq(sb.len, 4);
	ck_assert_int_eq(memcmp(sb.data, "keep", 4), 0);
	free(big);
	ese_sbuf_free(&sb);
}
END_TEST

Suite *suite_record_encode(void)
{
	Suite *s = suite_create("record_encode");
	TCase *tc = tcase_create("hand-made");
	tcase_add_test(tc, test_empty_record);
	tcase_add_test(tc, test_fixed_nulls);
	tcase_add_test(tc, test_fixed_values);
	tcase_add_test(tc, test_variable);
	tcase_add_test(tc, test_tagged_small);
	tcase_add_test(tc, test_tagged_derived);
	tcase_add_test(tc, test_tagged_large);
	tcase_add_test(tc, test_max_size);
	tcase_add_test(tc, test_errors);
	suite_add_tcase(s, tc);

	TCase *real = tcase_create("samples");
	tcase_set_timeout(real, 300);
	tcase_add_test(real, test_sample_basic);
	tcase_add_test(real, test_sample_binary);
	tcase_add_test(real, test_sample_default);
	tcase_add_test(real, test_sample_index);
	tcase_add_test(real, test_sample_multi);
	tcase_add_test(real, test_sample_text);
	tcase_add_test(real, test_sample_large);
	suite_add_tcase(s, real);
	return s;
}
