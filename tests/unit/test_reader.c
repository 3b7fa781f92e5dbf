/*
 * test_reader.c - the reading stack on real databases: ese_db_open and its
 * error codes, the catalog, the cursor, records and long values
 * (common/db.c, catalog.c, cursor.c, record.c, lv.c).
 *
 * The Windows-made samples in ../shared/esedb-samples are decompressed
 * once into a temporary folder; expected values come from dissect.esedb's
 * tests (tests/test_esedb.py, test_record.py, test_index.py) and from
 * esedbinfo / esedbexport output.  Without the samples every test here
 * prints SKIP and passes.
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suites.h"
#include "ese_db.h"
#include "ese_catalog.h"
#include "ese_cursor.h"
#include "ese_record.h"
#include "ese_lv.h"
#include "ese_compress.h"
#include "ese_page.h"

#define SAMPLES_DIR "../shared/esedb-samples"

static const char *const sample_names[] = { "basic.edb", "binary.edb", "default.edb", "index.edb",
                                            "multi.edb", "text.edb", "large.edb" };
#define NSAMPLES (sizeof(sample_names) / sizeof(sample_names[0]))

static char tmpdir[256];
static int have_samples;

/* ---- fixture: decompress every sample once, in the parent ---- */

static void samples_setup(void)
{
	strcpy(tmpdir, "/tmp/ese-reader-XXXXXX");
	if (!mkdtemp(tmpdir)) {
		tmpdir[0] = '\0';
		return;
	}
	have_samples = 1;
	for (size_t i = 0; i < NSAMPLES; i++) {
		char src[512], cmd[1200];
		snprintf(src, sizeof(src), "%s/%s.gz", SAMPLES_DIR, sample_names[i]);
		if (access(src, R_OK) != 0) {
			have_samples = 0;
			return;
		}
		snprintf(cmd, sizeof(cmd), "gunzip -c '%s' > '%s/%s'", src, tmpdir, sample_names[i]);
		if (system(cmd) != 0) {
			have_samples = 0;
			return;
		}
	}
}

static void samples_teardown(void)
{
	if (tmpdir[0]) {
		char cmd[400];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", tmpdir);
	}
}

static int skip(void)
{
	if (!have_samples) {
		printf("SKIP: %s not found (run from the repository root with ../shared/esedb-samples)\n",
		       SAMPLES_DIR);
		return 1;
	}
	return 0;
}

static const char *path_of(const char *name)
{
	static char p[4][512];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof(p[k]), "%s/%s", tmpdir, name);
	return p[k];
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *b = malloc(n > 0 ? (size_t)n : 1);
	ck_assert_ptr_nonnull(b);
	ck_assert_uint_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void write_file(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	ck_assert_msg(f != NULL, "%s: %s", path, strerror(errno));
	if (n)
		ck_assert_uint_eq(fwrite(p, 1, n, f), n);
	ck_assert_int_eq(fclose(f), 0);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32); }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* Opens a sample and loads its catalog (both must succeed). */
static void open_sample(const char *name, ese_db **db, ese_catalog **cat)
{
	ese_status st;
	ese_status_clear(&st);
	ck_assert_msg(ese_db_open(path_of(name), ESE_OPEN_RDONLY, db, &st) == 0, "%s: %s", name, st.msg);
	ck_assert_msg(ese_catalog_load(*db, 4, cat, &st) == 0, "%s: %s", name, st.msg);
}

static const ese_column *col_named(const ese_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncolumns; i++)
		if (t->columns[i].name && strcmp(t->columns[i].name, name) == 0)
			return &t->columns[i];
	ck_abort_msg("table %s has no column %s", t->name, name);
	return NULL;
}

/* The user table's records in key order (at most max), as malloc'd copies. */
typedef struct row {
	uint8_t *key, *data;
	size_t klen, dlen;
	uint32_t pgno;
} row;

static size_t read_rows(ese_db *db, const ese_table *t, row *rows, size_t max)
{
	ese_cursor *c;
	ese_status st;
	ese_status_clear(&st);
	ck_assert_int_eq(ese_cursor_open(db, t->pgno_fdp, t->objid, &c, &st), 0);
	size_t n = 0;
	int err;
	for (err = ese_cursor_first(c, &st); err == 0; err = ese_cursor_next(c, &st)) {
		ck_assert_uint_lt(n, max);
		const uint8_t *k = ese_cursor_key(c, &rows[n].klen);
		const uint8_t *d = ese_cursor_data(c, &rows[n].dlen);
		rows[n].key = malloc(rows[n].klen + 1);
		rows[n].data = malloc(rows[n].dlen + 1);
		memcpy(rows[n].key, k, rows[n].klen);
		memcpy(rows[n].data, d, rows[n].dlen);
		rows[n].pgno = ese_cursor_pgno(c);
		n++;
	}
	ck_assert_msg(err == JET_errRecordNotFound, "walk of %s ended with %d: %s", t->name, err, st.msg);
	ese_cursor_close(c);
	return n;
}

static void free_rows(row *rows, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(rows[i].key);
		free(rows[i].data);
	}
}

/* Value of column `name` in record r (must decode). */
static ese_colval value(const ese_record *r, const ese_table *t, const char *name)
{
	ese_colval v;
	ese_status st;
	ese_status_clear(&st);
	ck_assert_msg(ese_record_get(r, t, col_named(t, name), &v, &st) == 0, "%s: %s", name, st.msg);
	return v;
}

/* UTF-16LE of an ASCII string in which '@' stands for U+1F98A (the fox). */
static size_t utf16(const char *s, uint8_t *out)
{
	size_t n = 0;
	for (; *s; s++) {
		if (*s == '@') {
			memcpy(out + n, "\x3e\xd8\x8a\xdd", 4);
			n += 4;
		} else {
			out[n++] = (uint8_t)*s;
			out[n++] = 0;
		}
	}
	return n;
}

/* "prefix" followed by count copies of c. */
static size_t repeat(char *out, const char *prefix, char c, size_t count)
{
	size_t n = strlen(prefix);
	memcpy(out, prefix, n);
	memset(out + n, c, count);
	out[n + count] = '\0';
	return n + count;
}

/* ---- catalog of every sample ---- */

START_TEST(test_open_all_samples)
{
	if (skip())
		return;
	static const struct {
		const char *table;
		uint32_t page_size, pages;
		size_t ncolumns, nindexes;
		int has_lv;
	} want[NSAMPLES] = {
		{ "basic", 4096, 254, 13, 1, 0 },
		{ "binary", 4096, 254, 12, 1, 1 },
		{ "default", 4096, 254, 19, 1, 0 },
		{ "index", 4096, 254, 19, 19, 1 },
		{ "multi", 4096, 254, 22, 1, 1 },
		{ "text", 4096, 254, 27, 1, 1 },
		{ "large", 32768, 766, 64994, 1, 0 },
	};
	static const char *const sys[] = { "MSysObjects", "MSysObjectsShadow", "MSysObjids", "MSysLocales" };
	static const uint32_t sys_objid[] = { 2, 3, 6, 7 }, sys_pgno[] = { 4, 24, 29, 30 };
	static const size_t sys_ncol[] = { 28, 28, 3, 3 };
	for (size_t i = 0; i < NSAMPLES; i++) {
		ese_db *db;
		ese_catalog *cat;
		open_sample(sample_names[i], &db, &cat);
		ck_assert_str_eq(ese_db_path(db), path_of(sample_names[i]));
		ck_assert_uint_eq(ese_db_page_size(db), want[i].page_size);
		ck_assert_uint_eq(ese_db_page_count(db), want[i].pages);
		ck_assert_uint_eq(ese_db_file_size(db), (uint64_t)(want[i].pages + 2) * want[i].page_size);
		ck_assert_int_ge(ese_db_fd(db), 0);
		const ese_header_state *hs = ese_db_header_state(db);
		ck_assert_int_eq(hs->primary_ok, 1);
		ck_assert_int_eq(hs->shadow_ok, 1);
		ck_assert_int_eq(hs->identical, 1);
		ck_assert_int_eq(hs->using_shadow, 0);
		ck_assert_uint_eq(hs->primary_checksum_stored, hs->primary_checksum_actual);
		const ese_dbheader *h = ese_db_header(db);
		ck_assert_uint_eq(h->version, 0x620);
		ck_assert_uint_eq(h->update_major, 20);
		ck_assert_uint_eq(h->state, ESE_DBSTATE_CLEAN);
		ck_assert_uint_eq(h->page_size, want[i].page_size);

		ck_assert_uint_eq(cat->ntables, 5);
		for (size_t k = 0; k < 4; k++) {
			ck_assert_str_eq(cat->tables[k].name, sys[k]);
			ck_assert_uint_eq(cat->tables[k].objid, sys_objid[k]);
			ck_assert_uint_eq(cat->tables[k].pgno_fdp, sys_pgno[k]);
			ck_assert_uint_eq(cat->tables[k].ncolumns, sys_ncol[k]);
		}
		const ese_table *t = &cat->tables[4];
		ck_assert_str_eq(t->name, want[i].table);
		ck_assert_uint_eq(t->objid, 8);
		ck_assert_uint_eq(t->pgno_fdp, 31);
		ck_assert_uint_eq(t->ncolumns, want[i].ncolumns);
		ck_assert_uint_eq(t->nindexes, want[i].nindexes);
		ck_assert_int_eq(t->lv_pgno_fdp != 0, want[i].has_lv);
		ck_assert_ptr_eq(ese_catalog_find_table(cat, want[i].table), t);
		ck_assert_ptr_eq(ese_catalog_find_table(cat, "msysobjects"), &cat->tables[0]);
		ck_assert_ptr_null(ese_catalog_find_table(cat, "nosuchtable"));
		ck_assert_uint_le(cat->max_objid, h->objid_last);
		/* columns come sorted by id, ids 1.., 128.., 256.. */
		for (size_t k = 1; k < t->ncolumns; k++)
			ck_assert_uint_lt(t->columns[k - 1].id, t->columns[k].id);
		ck_assert_ptr_eq(ese_table_find_column(t, t->columns[t->ncolumns - 1].id), &t->columns[t->ncolumns - 1]);
		ck_assert_ptr_null(ese_table_find_column(t, 0xFFFF));

		/* the shadow catalog says the same */
		ese_catalog *shadow;
		ese_status st;
		ese_status_clear(&st);
		ck_assert_msg(ese_catalog_load(db, 24, &shadow, &st) == 0, "%s shadow: %s", sample_names[i], st.msg);
		ck_assert_uint_eq(shadow->ntables, cat->ntables);
		ck_assert_uint_eq(shadow->nrecords, cat->nrecords);
		ck_assert_str_eq(shadow->tables[4].name, t->name);
		ck_assert_uint_eq(shadow->tables[4].ncolumns, t->ncolumns);
		ese_catalog_free(shadow);
		ese_catalog_free(cat);
		ese_db_close(db);
	}
}
END_TEST

START_TEST(test_basic_catalog)
{
	if (skip())
		return;
	ese_db *db;
	ese_catalog *cat;
	open_sample("basic.edb", &db, &cat);
	/* basic.edb: 87 catalog records (ESE-FORMAT-NOTES section 0) */
	ck_assert_uint_eq(cat->nrecords, 87);
	ck_assert_uint_eq(cat->max_objid, 8);
	const ese_table *t = ese_catalog_find_table(cat, "basic");
	ck_assert_ptr_nonnull(t);
	static const struct {
		const char *name;
		uint32_t coltyp, offset;
	} cols[] = {
		{ "Id", JET_coltypLong, 4 }, { "Bit", JET_coltypBit, 8 },
		{ "UnsignedByte", JET_coltypUnsignedByte, 9 }, { "Short", JET_coltypShort, 10 },
		{ "Long", JET_coltypLong, 12 }, { "Currency", JET_coltypCurrency, 16 },
		{ "IEEESingle", JET_coltypIEEESingle, 24 }, { "IEEEDouble", JET_coltypIEEEDouble, 28 },
		{ "DateTime", JET_coltypDateTime, 36 }, { "UnsignedLong", JET_coltypUnsignedLong, 44 },
		{ "LongLong", JET_coltypLongLong, 48 }, { "GUID", JET_coltypGUID, 56 },
		{ "UnsignedShort", JET_coltypUnsignedShort, 72 },
	};
	ck_assert_uint_eq(t->ncolumns, 13);
	for (size_t i = 0; i < 13; i++) {
		ck_assert_uint_eq(t->columns[i].id, i + 1);
		ck_assert_str_eq(t->columns[i].name, cols[i].name);
		ck_assert_uint_eq(t->columns[i].coltyp, cols[i].coltyp);
		ck_assert_uint_eq(t->columns[i].record_offset, cols[i].offset);
	}
	ck_assert_str_eq(ese_coltyp_name(t->columns[0].coltyp), "Integer 32-bit signed");
	ck_assert_str_eq(ese_coltyp_name(t->columns[12].coltyp), "Integer 16-bit unsigned");
	ck_assert_str_eq(ese_coltyp_short_name(t->columns[11].coltyp), "GUID");
	ck_assert_str_eq(ese_coltyp_name(99), "Unknown");
	/* IxId: the primary index over Id */
	ck_assert_uint_eq(t->nindexes, 1);
	const ese_index *ix = &t->indexes[0];
	ck_assert_str_eq(ix->name, "IxId");
	ck_assert_uint_eq(ix->objid, 8);
	ck_assert_uint_eq(ix->pgno_fdp, 31);
	ck_assert_uint_eq(ix->flags & ESE_IDX_PRIMARY, ESE_IDX_PRIMARY);
	ck_assert_uint_eq(ix->nsegs, 1);
	ck_assert_uint_eq(ix->segs[0].columnid, 1);
	ck_assert_uint_eq(ix->segs[0].flags & 0x40, 0);
	ck_assert_str_eq(ix->locale, "en-US");
	/* the catalog's own indexes (ESE-FORMAT-NOTES 4.3/4.4) */
	const ese_table *mso = &cat->tables[0];
	ck_assert_uint_eq(mso->nindexes, 3);
	ck_assert_str_eq(mso->indexes[0].name, "Id");
	ck_assert_uint_eq(mso->indexes[0].pgno_fdp, 4);
	ck_assert_uint_eq(mso->indexes[0].flags, 0x10031);
	ck_assert_uint_eq(mso->indexes[0].lcmap_flags, 0x30401);
	ck_assert_uint_eq(mso->indexes[0].nsegs, 3);
	ck_assert_uint_eq(mso->indexes[0].segs[2].columnid, 3);
	ck_assert_str_eq(mso->indexes[1].name, "Name");
	ck_assert_uint_eq(mso->indexes[1].objid, 4);
	ck_assert_uint_eq(mso->indexes[1].pgno_fdp, 7);
	ck_assert_uint_eq(mso->indexes[1].flags, 0x10011);
	ck_assert_str_eq(mso->indexes[2].name, "RootObjects");
	ck_assert_uint_eq(mso->indexes[2].pgno_fdp, 10);
	ck_assert_uint_eq(mso->indexes[2].flags, 0x10009);
	ck_assert_uint_eq(mso->indexes[2].segs[0].columnid, 8);
	ck_assert_str_eq(mso->columns[12].name, "Name");
	ck_assert_uint_eq(mso->columns[12].id, 128);
	ck_assert_str_eq(mso->columns[27].name, "LocaleName");
	ck_assert_uint_eq(mso->columns[27].id, 261);
	const ese_table *ids = ese_catalog_find_table(cat, "MSysObjids");
	ck_assert_uint_eq(ids->columns[0].id, 256);
	ck_assert_str_eq(ids->columns[0].name, "objid");
	ck_assert_uint_eq(ids->columns[2].coltyp, JET_coltypShort);
	ese_catalog_free(cat);
	ese_db_close(db);
}
END_TEST

/* ---- records ---- */

START_TEST(test_basic_rows)
{
	if (skip())
		return;
	ese_db *db;
	ese_catalog *cat;
	open_sample("basic.edb", &db, &cat);
	const ese_table *t = ese_catalog_find_table(cat, "basic");
	row rows[8];
	size_t n = read_rows(db, t, rows, 8);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(rows[0].klen, 5);
	ck_assert(memcmp(rows[0].key, "\x7f\x80\x00\x00\x01", 5) == 0);
	ck_assert(memcmp(rows[1].key, "\x7f\x80\x00\x00\x02", 5) == 0);
	ck_assert_uint_eq(rows[0].pgno, 31);

	ese_record r;
	ese_status st;
	ese_status_clear(&st);
	ck_assert_msg(ese_record_parse(&r, rows[0].data, rows[0].dlen, 0, &st) == 0, "%s", st.msg);
	ck_assert_uint_eq(r.fixed_last, 13);
	ese_colval v;
	float fl;
	double db_;
	v = value(&r, t, "Id");
	ck_assert_int_eq(v.present, 1);
	ck_assert_int_eq((int32_t)rd32(v.data), 1);
	v = value(&r, t, "Bit");
	ck_assert_uint_eq(v.len, 1);
	ck_assert_uint_eq(v.data[0], 0);              /* False */
	v = value(&r, t, "UnsignedByte");
	ck_assert_uint_eq(v.data[0], 213);
	v = value(&r, t, "Short");
	ck_assert_int_eq((int16_t)rd16(v.data), -1337);
	v = value(&r, t, "Long");
	ck_assert_int_eq((int32_t)rd32(v.data), -13371337);
	v = value(&r, t, "Currency");
	ck_assert_int_eq((int64_t)rd64(v.data), 1337133713371337ll);
	v = value(&r, t, "IEEESingle");
	ck_assert_uint_eq(v.len, 4);
	memcpy(&fl, v.data, 4);
	ck_assert(fl == 1.0f);
	v = value(&r, t, "IEEEDouble");
	memcpy(&db_, v.data, 8);
	ck_assert(db_ == 13371337.13371337);
	v = value(&r, t, "DateTime");
	ck_assert_int_eq((int64_t)rd64(v.data), 4675210852477960192ll);   /* 1999-03-01 */
	v = value(&r, t, "UnsignedLong");
	ck_assert_uint_eq(rd32(v.data), 13371337);
	v = value(&r, t, "LongLong");
	ck_assert_int_eq((int64_t)rd64(v.data), -13371337ll);
	v = value(&r, t, "GUID");
	ck_assert_uint_eq(v.len, 16);                 /* 3f360af1-6766-46dc-9af2-0dacf295c2a1 */
	ck_assert_uint_eq(rd32(v.data), 0x3f360af1u);
	ck_assert_uint_eq(rd16(v.data + 4), 0x6766);
	ck_assert_uint_eq(rd16(v.data + 6), 0x46dc);
	ck_assert(memcmp(v.data + 8, "\x9a\xf2\x0d\xac\xf2\x95\xc2\xa1", 8) == 0);
	v = value(&r, t, "UnsignedShort");
	ck_assert_uint_eq(rd16(v.data), 1337);

	/* row 2: nine columns set, the last four absent (fidFixedLast 9) */
	ck_assert_int_eq(ese_record_parse(&r, rows[1].data, rows[1].dlen, 0, NULL), 0);
	ck_assert_uint_eq(r.fixed_last, 9);
	v = value(&r, t, "Id");
	ck_assert_int_eq((int32_t)rd32(v.data), 2);
	v = value(&r, t, "Bit");
	ck_assert_uint_eq(v.data[0], 0xFF);           /* True */
	v = value(&r, t, "UnsignedByte");
	ck_assert_uint_eq(v.data[0], 255);
	v = value(&r, t, "Short");
	ck_assert_int_eq((int16_t)rd16(v.data), 1339);
	v = value(&r, t, "Long");
	ck_assert_int_eq((int32_t)rd32(v.data), 13391339);
	v = value(&r, t, "Currency");
	ck_assert_int_eq((int64_t)rd64(v.data), -1339133913391339ll);
	v = value(&r, t, "IEEESingle");
	memcpy(&fl, v.data, 4);
	ck_assert(fl == -2.0f);
	v = value(&r, t, "IEEEDouble");
	memcpy(&db_, v.data, 8);
	ck_assert(db_ == -13391339.13391339);
	v = value(&r, t, "DateTime");
	ck_assert_int_eq((int64_t)rd64(v.data), -4537072128574357504ll);  /* 1337-06-09 */
	static const char *const absent[] = { "UnsignedLong", "LongLong", "GUID", "UnsignedShort" };
	for (size_t i = 0; i < 4; i++) {
		v = value(&r, t, absent[i]);
		ck_assert_msg(v.present == 0, "%s present in row 2", absent[i]);
	}
	free_rows(rows, n);
	ese_catalog_free(cat);
	ese_db_close(db);
}
END_TEST

START_TEST(test_binary_row)
{
	if (skip())
		return;
	ese_db *db;
	ese_catalog *cat;
	open_sample("binary.edb", &db, &cat);
	const ese_table *t = ese_catalog_find_table(cat, "binary");
	row rows[4];
	size_t n = read_rows(db, t, rows, 4);
	ck_assert_uint_eq(n, 1);
	ese_record r;
	ck_assert_int_eq(ese_record_parse(&r, rows[0].data, rows[0].dlen, 0, NULL), 0);
	char want[2048];
	size_t wn;
	ese_colval v;

	v = value(&r, t, "FixedBinary");                  /* fixed, padded with zeros */
	ck_assert_uint_eq(v.len, 255);
	ck_assert(memcmp(v.data, "test fixed binary data", 22) == 0);
	for (size_t i = 22; i < 255; i++)
		ck_assert_uint_eq(v.data[i], 0);
	ck_assert_int_eq(value(&r, t, "NullableFixedBinary").present, 0);
	v = value(&r, t, "Binary");                       /* variable */
	ck_assert_uint_eq(v.len, 16);
	ck_assert(memcmp(v.data, "test binary data", 16) == 0);
	ck_assert_int_eq(value(&r, t, "NullableBinary").present, 0);
	v = value(&r, t, "MaxBinary");
	wn = repeat(want, "test max binary data ", 'a', 70);
	ck_assert_uint_eq(v.len, wn);
	ck_assert(memcmp(v.data, want, wn) == 0);
	v = value(&r, t, "TaggedBinary");                 /* tagged, no header */
	ck_assert_int_eq(v.tagged, 1);
	ck_assert_uint_eq(v.header, 0);
	ck_assert_uint_eq(v.len, 23);
	ck_assert(memcmp(v.data, "test tagged binary data", 23) == 0);
	ck_assert_int_eq(value(&r, t, "NullableTaggedBinary").present, 0);
	v = value(&r, t, "LongBinary");                   /* intrinsic long value */
	ck_assert_uint_eq(v.header, ESE_TAG_LONG_VALUE);
	wn = repeat(want, "test long binary data ", 'a', 1000);
	ck_assert_uint_eq(v.len, wn);
	ck_assert(memcmp(v.data, want, wn) == 0);
	v = value(&r, t, "MaxLongBinary");
	wn = repeat(want, "test max long binary data ", 'a', 900);
	ck_assert_uint_eq(v.len, wn);
	ck_assert(memcmp(v.data, want, wn) == 0);
	/* intrinsic and compressed (header 0x03) */
	v = value(&r, t, "MaxLongCompressedBinary");
	ck_assert_uint_eq(v.header, ESE_TAG_LONG_VALUE | ESE_TAG_COMPRESSED);
	wn = repeat(want, "test max long compressed binary data ", 'a', 900);
	uint8_t out[2048];
	size_t got = 0;
	ck_assert_int_eq(ese_decompress(v.data, v.len, out, sizeof(out), &got), 0);
	ck_assert_uint_eq(got, wn);
	ck_assert(memcmp(out, want, wn) == 0);
	/* separated (header 0x05): a LID into the long-value tree */
	v = value(&r, t, "LongCompressedBinary");
	ck_assert_uint_eq(v.header, ESE_TAG_LONG_VALUE | ESE_TAG_SEPARATED);
	ck_assert_uint_eq(v.len, 4);
	ck_assert_uint_eq(rd32(v.data), 1);
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	uint32_t refs = 0;
	ese_status st;
	ese_status_clear(&st);
	ck_assert_msg(ese_lv_read(db, t, v.data, v.len, &sb, &refs, &st) == 0, "%s", st.msg);
	ck_assert_uint_eq(refs, 1);
	wn = repeat(want, "test long compressed binary data ", 'a', 1000);
	ck_assert_uint_eq(sb.len, wn);
	ck_assert(memcmp(sb.data, want, wn) == 0);
	ese_sbuf_free(&sb);
	free_rows(rows, n);
	ese_catalog_free(cat);
	ese_db_close(db);
}
END_TEST

/* ---- long values ---- */

START_TEST(test_lv_read)
{
	if (skip())
		return;
	ese_db *db;
	ese_catalog *cat;
	ese_sbuf sb;
	ese_status st;
	uint32_t refs;
	char want[4096];
	uint8_t want16[4096];
	size_t wn;
	ese_sbuf_init(&sb);

	/* index.edb: LongASCII and LongUnicode separated, LIDs 1 and 2 */
	open_sample("index.edb", &db, &cat);
	const ese_table *t = ese_catalog_find_table(cat, "index");
	ck_assert_uint_eq(t->lv_objid, 27);
	row rows[4];
	size_t n = read_rows(db, t, rows, 4);
	ck_assert_uint_eq(n, 1);
	ese_record r;
	ck_assert_int_eq(ese_record_parse(&r, rows[0].data, rows[0].dlen, 0, NULL), 0);
	ese_colval v = value(&r, t, "LongASCII");
	ck_assert_uint_eq(v.header, 0x05);
	ck_assert_uint_eq(v.len, 4);
	ese_status_clear(&st);
	ck_assert_msg(ese_lv_read(db, t, v.data, 4, &sb, &refs, &st) == 0, "%s", st.msg);
	ck_assert_uint_eq(refs, 1);
	wn = repeat(want, "Long ASCII text ", 'a', 1024);
	ck_assert_uint_eq(sb.len, wn);
	ck_assert(memcmp(sb.data, want, wn) == 0);
	v = value(&r, t, "LongUnicode");
	ck_assert_int_eq(ese_lv_read(db, t, v.data, 4, &sb, NULL, NULL), 0);
	repeat(want, "Long Unicode text @ ", 'a', 1024);
	wn = utf16(want, want16);
	ck_assert_uint_eq(wn, 2090);
	ck_assert_uint_eq(sb.len, wn);
	ck_assert(memcmp(sb.data, want16, wn) == 0);
	/* no such LID; a LID of a bad size */
	ese_status_clear(&st);
	ck_assert_int_eq(ese_lv_read(db, t, (const uint8_t *)"\x63\x00\x00\x00", 4, &sb, NULL, &st),
	                 JET_errRecordNotFound);
	ck_assert_int_eq(st.err, JET_errRecordNotFound);
	ck_assert_uint_eq(sb.len, 0);
	ck_assert_int_eq(ese_lv_read(db, t, (const uint8_t *)"\x01\x00\x00", 3, &sb, NULL, NULL),
	                 JET_errDatabaseCorrupted);
	/* a LID between existing ones (0 sorts before 1) */
	ck_assert_int_eq(ese_lv_read(db, t, (const uint8_t *)"\x00\x00\x00\x00", 4, &sb, NULL, NULL),
	                 JET_errRecordNotFound);
	/* a table without a long-value tree */
	const ese_table *mso = &cat->tables[0];
	ck_assert_int_eq(ese_lv_read(db, mso, (const uint8_t *)"\x01\x00\x00\x00", 4, &sb, NULL, NULL),
	                 JET_errRecordNotFound);
	free_rows(rows, n);
	ese_catalog_free(cat);
	ese_db_close(db);

	/* text.edb: compressed separated values (LID 3: ASCII, 4: Unicode) */
	open_sample("text.edb", &db, &cat);
	t = ese_catalog_find_table(cat, "text");
	ck_assert_int_eq(ese_lv_read(db, t, (const uint8_t *)"\x03\x00\x00\x00", 4, &sb, &refs, NULL), 0);
	wn = repeat(want, "Long compressed ASCII text ", 'a', 1024);
	ck_assert_uint_eq(sb.len, wn);
	ck_assert(memcmp(sb.data, want, wn) == 0);
	ck_assert_int_eq(ese_lv_read(db, t, (const uint8_t *)"\x04\x00\x00\x00", 4, &sb, &refs, NULL), 0);
	repeat(want, "Long compressed Unicode text @ ", 'a', 1024);
	wn = utf16(want, want16);
	ck_assert_uint_eq(sb.len, wn);
	ck_assert(memcmp(sb.data, want16, wn) == 0);
	ese_catalog_free(cat);
	ese_db_close(db);

	/* multi.edb: multi-valued long values, every instance separated */
	open_sample("multi.edb", &db, &cat);
	t = ese_catalog_find_table(cat, "multi");
	n = read_rows(db, t, rows, 4);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(ese_record_parse(&r, rows[0].data, rows[0].dlen, 0, NULL), 0);
	v = value(&r, t, "LongBinary");
	ck_assert_uint_eq(v.header, ESE_TAG_MULTI | ESE_TAG_LONG_VALUE);
	ck_assert_uint_eq(ese_colval_count(&v), 3);
	for (size_t i = 0; i < 3; i++) {
		const uint8_t *p;
		size_t pn;
		int sep;
		ck_assert_int_eq(ese_colval_instance(&v, i, &p, &pn, &sep, NULL), 0);
		ck_assert_int_eq(sep, 1);
		ck_assert_uint_eq(pn, 4);
		ck_assert_int_eq(ese_lv_read(db, t, p, pn, &sb, &refs, NULL), 0);
		char prefix[128];
		snprintf(prefix, sizeof(prefix), "Some very long binary data that has multiple values, this is value %zu ",
		         i + 1);
		wn = repeat(want, prefix, 'a', 1024);
		ck_assert_uint_eq(sb.len, wn);
		ck_assert(memcmp(sb.data, want, wn) == 0);
	}
	/* row 2: small "long" multi-values stored inline */
	ck_assert_int_eq(ese_record_parse(&r, rows[1].data, rows[1].dlen, 0, NULL), 0);
	v = value(&r, t, "LongASCII");
	ck_assert_uint_eq(ese_colval_count(&v), 2);
	const uint8_t *p;
	size_t pn;
	int sep;
	ck_assert_int_eq(ese_colval_instance(&v, 1, &p, &pn, &sep, NULL), 0);
	ck_assert_int_eq(sep, 0);
	ck_assert_uint_eq(pn, 12);
	ck_assert(memcmp(p, "Tiny ASCII 2", 12) == 0);
	v = value(&r, t, "Bit");
	ck_assert_int_eq(v.present, 0);
	/* row 1's two-valued Bit column: False, True */
	ck_assert_int_eq(ese_record_parse(&r, rows[0].data, rows[0].dlen, 0, NULL), 0);
	v = value(&r, t, "Bit");
	ck_assert_uint_eq(ese_colval_count(&v), 2);
	ck_assert_int_eq(ese_colval_instance(&v, 0, &p, &pn, &sep, NULL), 0);
	ck_assert_uint_eq(pn, 1);
	ck_assert_uint_eq(p[0], 0x00);
	ck_assert_int_eq(ese_colval_instance(&v, 1, &p, &pn, &sep, NULL), 0);
	ck_assert_uint_eq(p[0], 0xFF);
	v = value(&r, t, "Short");                     /* 0, -32767, 32767 */
	ck_assert_uint_eq(ese_colval_count(&v), 3);
	ck_assert_int_eq(ese_colval_instance(&v, 1, &p, &pn, &sep, NULL), 0);
	ck_assert_int_eq((int16_t)rd16(p), -32767);
	ck_assert_int_eq(ese_colval_instance(&v, 2, &p, &pn, &sep, NULL), 0);
	ck_assert_int_eq((int16_t)rd16(p), 32767);
	free_rows(rows, n);
	ese_catalog_free(cat);
	ese_db_close(db);
	ese_sbuf_free(&sb);

	/* chunk sizes (ESE-FORMAT-NOTES 5) */
	ese_table dummy;
	memset(&dummy, 0, sizeof(dummy));
	ck_assert_uint_eq(ese_lv_chunk_size(&dummy, 4096), 4014);
	ck_assert_uint_eq(ese_lv_chunk_size(&dummy, 8192), 8110);
	ck_assert_uint_eq(ese_lv_chunk_size(&dummy, 16384), 4050);
	ck_assert_uint_eq(ese_lv_chunk_size(&dummy, 32768), 8150);
	ck_assert_uint_eq(ese_lv_chunk_size(NULL, 4096), 4014);
	dummy.lv_chunk_max = 1000;
	ck_assert_uint_eq(ese_lv_chunk_size(&dummy, 4096), 1000);
}
END_TEST

/* ---- the wide 32 KiB table ---- */

START_TEST(test_large)
{
	if (skip())
		return;
	ese_db *db;
	ese_catalog *cat;
	open_sample("large.edb", &db, &cat);
	/* 5 tables + 28 + 28 + 3 + 3 + 64994 columns + 3 + 1 + 1 + 1 + 1 indexes */
	ck_assert_uint_eq(cat->nrecords, 5 + 28 + 28 + 3 + 3 + 64994 + 7);
	const ese_table *t = ese_catalog_find_table(cat, "large");
	ck_assert_uint_eq(t->ncolumns, 64994);
	ck_assert_str_eq(t->columns[0].name, "Id");
	ck_assert_uint_eq(t->columns[0].coltyp, JET_coltypLong);
	ck_assert_str_eq(t->columns[1].name, "Column0");
	ck_assert_uint_eq(t->columns[1].id, 256);
	ck_assert_str_eq(t->columns[64993].name, "Column64992");
	ck_assert_uint_eq(t->columns[64993].coltyp, JET_coltypUnsignedShort);
	static row rows[20];
	size_t n = read_rows(db, t, rows, 20);
	ck_assert_uint_eq(n, 16);
	/* records[i // 4096].Column{i} == i (dissect test_large_db) */
	static const uint32_t probe[] = { 0, 1, 2, 4095, 4096, 4097, 8191, 30000, 40000, 61439, 61440, 64992 };
	for (size_t k = 0; k < sizeof(probe) / sizeof(probe[0]); k++) {
		uint32_t i = probe[k];
		ese_record r;
		ese_status st;
		ese_status_clear(&st);
		const row *rw = &rows[i / 4096];
		ck_assert_msg(ese_record_parse(&r, rw->data, rw->dlen, 1, &st) == 0, "%s", st.msg);
		char name[32];
		snprintf(name, sizeof(name), "Column%u", i);
		ese_colval v = value(&r, t, name);
		ck_assert_msg(v.present, "%s absent", name);
		ck_assert_uint_eq(v.len, 2);
		ck_assert_uint_eq(rd16(v.data), i);
		/* the record's Id is its position + 1 */
		v = value(&r, t, "Id");
		ck_assert_uint_eq(rd32(v.data), i / 4096 + 1);
		/* a column of another record is absent from this one */
		snprintf(name, sizeof(name), "Column%u", (i + 4096) % 64993);
		ck_assert_int_eq(value(&r, t, name).present, 0);
	}
	free_rows(rows, n);
	ese_catalog_free(cat);
	ese_db_close(db);
}
END_TEST

/* ---- cursor ---- */

/* The MSysObjects key of (objidTable, type, id) (ESE-FORMAT-NOTES 4.4). */
static size_t mso_key(uint8_t *k, uint32_t objid, uint16_t type, uint32_t id)
{
	uint32_t a = objid ^ 0x80000000u, c = id ^ 0x80000000u;
	uint16_t b = type ^ 0x8000u;
	k[0] = 0x7F;
	k[1] = (uint8_t)(a >> 24); k[2] = (uint8_t)(a >> 16); k[3] = (uint8_t)(a >> 8); k[4] = (uint8_t)a;
	k[5] = 0x7F;
	k[6] = (uint8_t)(b >> 8); k[7] = (uint8_t)b;
	k[8] = 0x7F;
	k[9] = (uint8_t)(c >> 24); k[10] = (uint8_t)(c >> 16); k[11] = (uint8_t)(c >> 8); k[12] = (uint8_t)c;
	return 13;
}

static int keycmp(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	int c = memcmp(a, b, an < bn ? an : bn);
	return c ? c : (an < bn ? -1 : an > bn);
}

START_TEST(test_cursor_seek)
{
	if (skip())
		return;
	ese_db *db;
	ese_catalog *cat;
	ese_cursor *c;
	ese_status st;
	size_t kl, dl;
	const uint8_t *k, *d;
	open_sample("basic.edb", &db, &cat);
	const ese_table *t = ese_catalog_find_table(cat, "basic");
	ese_status_clear(&st);
	ck_assert_int_eq(ese_cursor_open(db, t->pgno_fdp, t->objid, &c, &st), 0);
	/* exact */
	ck_assert_int_eq(ese_cursor_seek(c, (const uint8_t *)"\x7f\x80\x00\x00\x02", 5, &st), 0);
	k = ese_cursor_key(c, &kl);
	d = ese_cursor_data(c, &dl);
	ck_assert_uint_eq(kl, 5);
	ck_assert(memcmp(k, "\x7f\x80\x00\x00\x02", 5) == 0);
	ck_assert_uint_eq(rd32(d + 4), 2);               /* Id of that record */
	ck_assert_uint_eq(ese_cursor_pgno(c), 31);
	ck_assert_int_eq(ese_cursor_next(c, &st), JET_errRecordNotFound);
	/* before the first key, and the empty key */
	ck_assert_int_eq(ese_cursor_seek(c, (const uint8_t *)"\x7f\x80\x00\x00\x00", 5, &st), 0);
	k = ese_cursor_key(c, &kl);
	ck_assert(memcmp(k, "\x7f\x80\x00\x00\x01", 5) == 0);
	ck_assert_int_eq(ese_cursor_next(c, &st), 0);
	k = ese_cursor_key(c, &kl);
	ck_assert(memcmp(k, "\x7f\x80\x00\x00\x02", 5) == 0);
	ck_assert_int_eq(ese_cursor_seek(c, (const uint8_t *)"", 0, &st), 0);
	k = ese_cursor_key(c, &kl);
	ck_assert(memcmp(k, "\x7f\x80\x00\x00\x01", 5) == 0);
	/* between two keys (longer than the first): lands on the second */
	ck_assert_int_eq(ese_cursor_seek(c, (const uint8_t *)"\x7f\x80\x00\x00\x01\x00", 6, &st), 0);
	k = ese_cursor_key(c, &kl);
	ck_assert(memcmp(k, "\x7f\x80\x00\x00\x02", 5) == 0);
	/* after the last key */
	ck_assert_int_eq(ese_cursor_seek(c, (const uint8_t *)"\x7f\x80\x00\x00\x03", 5, &st),
	                 JET_errRecordNotFound);
	ck_assert_int_eq(ese_cursor_seek(c, (const uint8_t *)"\x80", 1, &st), JET_errRecordNotFound);
	ese_cursor_close(c);
	ese_catalog_free(cat);

	/* cursor guards: a non-root page, a wrong object id, a page past the end */
	ck_assert_int_eq(ese_cursor_open(db, 13, 2, &c, &st), 0);   /* an MSO leaf, not its root */
	ese_status_clear(&st);
	ck_assert_int_eq(ese_cursor_first(c, &st), JET_errBadPageLink);
	ck_assert_ptr_nonnull(strstr(st.msg, "root"));
	ese_cursor_close(c);
	ck_assert_int_eq(ese_cursor_open(db, 31, 2, &c, &st), 0);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_cursor_first(c, &st), JET_errBadPageLink);
	ck_assert_int_eq(st.pgno, 31);
	ese_cursor_close(c);
	ck_assert_int_eq(ese_cursor_open(db, 300, 0, &c, &st), 0);
	ck_assert_int_eq(ese_cursor_first(c, NULL), JET_errFileIOBeyondEOF);
	ese_cursor_close(c);
	ck_assert_int_eq(ese_cursor_open(db, 200, 0, &c, &st), 0);  /* never written */
	ck_assert_int_eq(ese_cursor_first(c, NULL), JET_errPageNotInitialized);
	ese_cursor_close(c);
	ese_db_close(db);

	/* a deep tree: the catalog of large.edb (65068 records) */
	open_sample("large.edb", &db, &cat);
	ese_catalog_free(cat);
	ck_assert_int_eq(ese_cursor_open(db, 4, 2, &c, &st), 0);
	uint8_t prev[ESE_KEY_MAX];
	size_t prevlen = 0, count = 0, pages = 0;
	uint32_t lastpg = 0;
	int err;
	for (err = ese_cursor_first(c, &st); err == 0; err = ese_cursor_next(c, &st)) {
		k = ese_cursor_key(c, &kl);
		if (count)
			ck_assert_msg(keycmp(prev, prevlen, k, kl) < 0, "catalog keys out of order at %zu", count);
		memcpy(prev, k, kl);
		prevlen = kl;
		if (ese_cursor_pgno(c) != lastpg) {
			pages++;
			lastpg = ese_cursor_pgno(c);
		}
		count++;
	}
	ck_assert_int_eq(err, JET_errRecordNotFound);
	ck_assert_uint_eq(count, 65068);
	ck_assert_uint_gt(pages, 10);
	/* seek a column record deep in the tree and check what it holds */
	static const uint32_t ids[] = { 256, 256 + 12345, 256 + 40000, 256 + 64992 };
	for (size_t i = 0; i < 4; i++) {
		uint8_t key[13];
		size_t n = mso_key(key, 8, 2, ids[i]);
		ese_status_clear(&st);
		ck_assert_msg(ese_cursor_seek(c, key, n, &st) == 0, "%s", st.msg);
		k = ese_cursor_key(c, &kl);
		ck_assert_uint_eq(kl, 13);
		ck_assert(memcmp(k, key, 13) == 0);
		d = ese_cursor_data(c, &dl);
		ese_record r;
		ck_assert_int_eq(ese_record_parse(&r, d, dl, 1, NULL), 0);
		ck_assert_uint_eq(rd32(d + 4), 8);           /* ObjidTable */
		ck_assert_uint_eq(rd16(d + 8), 2);           /* Type: column */
		ck_assert_uint_eq(rd32(d + 10), ids[i]);     /* Id */
		ck_assert_uint_eq(rd32(d + 14), JET_coltypUnsignedShort);
	}
	/* the first index record after the last column of table 8 */
	uint8_t key[13];
	size_t kn = mso_key(key, 8, 2, 0x7FFFFFFF);
	ck_assert_int_eq(ese_cursor_seek(c, key, kn, &st), 0);
	d = ese_cursor_data(c, &dl);
	ck_assert_uint_eq(rd16(d + 8), 3);
	ck_assert_int_eq(ese_cursor_next(c, &st), JET_errRecordNotFound);
	ese_cursor_close(c);
	ese_db_close(db);
}
END_TEST

/* ---- ese_db_open on bad input, and page reads ---- */

static int open_err(const char *path, ese_status *st)
{
	static int sentinel;
	ese_db *db = (ese_db *)(void *)&sentinel;   /* must be reset to NULL on failure */
	ese_status_clear(st);
	int err = ese_db_open(path, ESE_OPEN_RDONLY, &db, st);
	if (err)
		ck_assert_ptr_null(db);
	else
		ese_db_close(db);
	return err;
}

START_TEST(test_open_errors)
{
	if (skip())
		return;
	ese_status st;
	char p[512];
	size_t len;
	uint8_t *basic = read_file(path_of("basic.edb"), &len);
	ck_assert_uint_eq(len, 256 * 4096);

	snprintf(p, sizeof(p), "%s/missing.edb", tmpdir);
	ck_assert_int_eq(open_err(p, &st), JET_errFileNotFound);
	ck_assert_int_eq(st.err, JET_errFileNotFound);
	ck_assert_ptr_nonnull(strstr(st.msg, "missing.edb"));
	snprintf(p, sizeof(p), "%s/nodir/x.edb", tmpdir);
	ck_assert_int_eq(open_err(p, &st), JET_errFileNotFound);

	snprintf(p, sizeof(p), "%s/adir", tmpdir);
	ck_assert_int_eq(mkdir(p, 0700), 0);
	ck_assert_int_eq(open_err(p, &st), JET_errInvalidPath);

	snprintf(p, sizeof(p), "%s/empty.edb", tmpdir);
	write_file(p, "", 0);
	ck_assert_int_eq(open_err(p, &st), JET_errInvalidDatabase);

	uint8_t *rnd = malloc(65536);
	uint64_t s = 12345;
	for (size_t i = 0; i < 65536; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		rnd[i] = (uint8_t)(s >> 56);
	}
	snprintf(p, sizeof(p), "%s/random.edb", tmpdir);
	write_file(p, rnd, 65536);
	ck_assert_int_eq(open_err(p, &st), JET_errInvalidDatabase);
	write_file(p, rnd, 100);                         /* shorter than a header */
	ck_assert_int_eq(open_err(p, &st), JET_errInvalidDatabase);
	memset(rnd, 0, 65536);
	write_file(p, rnd, 65536);                       /* all zero */
	ck_assert_int_eq(open_err(p, &st), JET_errInvalidDatabase);
	free(rnd);

	snprintf(p, sizeof(p), "%s/trunc.edb", tmpdir);
	write_file(p, basic, 5000);
	ck_assert_int_eq(open_err(p, &st), JET_errPageSizeMismatch);
	ck_assert_ptr_nonnull(strstr(st.msg, "4096"));
	size_t llen;
	uint8_t *large = read_file(path_of("large.edb"), &llen);
	write_file(p, large, 40000);                     /* 32 KiB pages need 64 KiB */
	ck_assert_int_eq(open_err(p, &st), JET_errPageSizeMismatch);
	free(large);

	/* primary header damaged: the shadow is used */
	uint8_t *copy = malloc(len);
	memcpy(copy, basic, len);
	copy[104] ^= 0x01;                               /* dbid 1 -> 0 */
	snprintf(p, sizeof(p), "%s/badprimary.edb", tmpdir);
	write_file(p, copy, len);
	ese_db *db;
	ese_status_clear(&st);
	ck_assert_msg(ese_db_open(p, ESE_OPEN_RDONLY, &db, &st) == 0, "%s", st.msg);
	const ese_header_state *hs = ese_db_header_state(db);
	ck_assert_int_eq(hs->primary_ok, 0);
	ck_assert_int_eq(hs->shadow_ok, 1);
	ck_assert_int_eq(hs->identical, 0);
	ck_assert_int_eq(hs->using_shadow, 1);
	ck_assert_uint_ne(hs->primary_checksum_stored, hs->primary_checksum_actual);
	ck_assert_uint_eq(hs->shadow_checksum_stored, hs->shadow_checksum_actual);
	ck_assert_uint_eq(ese_db_header(db)->objid_last, 8);
	ck_assert_uint_eq(ese_db_header(db)->dbid, 1);     /* the damaged field, from the shadow */
	ese_catalog *cat;
	ck_assert_int_eq(ese_catalog_load(db, 4, &cat, &st), 0);
	ck_assert_uint_eq(cat->ntables, 5);
	ese_catalog_free(cat);
	ese_db_close(db);

	/* primary magic wiped: the page size is found from the shadow */
	memcpy(copy, basic, len);
	memset(copy, 0, 8);
	write_file(p, copy, len);
	ese_status_clear(&st);
	ck_assert_msg(ese_db_open(p, ESE_OPEN_RDONLY, &db, &st) == 0, "%s", st.msg);
	ck_assert_int_eq(ese_db_header_state(db)->using_shadow, 1);
	ck_assert_uint_eq(ese_db_page_size(db), 4096);
	ese_db_close(db);

	/* the primary's page-size field damaged: its checksum fails, so its
	 * page size must not be trusted; the shadow at 4096 is found */
	memcpy(copy, basic, len);
	wr32(copy + 236, 32768);
	write_file(p, copy, len);
	ese_status_clear(&st);
	ck_assert_msg(ese_db_open(p, ESE_OPEN_RDONLY, &db, &st) == 0, "%s", st.msg);
	ck_assert_int_eq(ese_db_header_state(db)->using_shadow, 1);
	ck_assert_uint_eq(ese_db_page_size(db), 4096);
	ck_assert_uint_eq(ese_db_page_count(db), 254);
	ck_assert_uint_eq(ese_db_header(db)->page_size, 4096);
	ese_db_close(db);
	wr32(copy + 236, 8192);
	write_file(p, copy, len);
	ck_assert_int_eq(open_err(p, &st), 0);

	/* both copies damaged */
	memcpy(copy, basic, len);
	copy[100] ^= 0x01;
	copy[4096 + 200] ^= 0x10;
	snprintf(p, sizeof(p), "%s/badboth.edb", tmpdir);
	write_file(p, copy, len);
	ck_assert_int_eq(open_err(p, &st), JET_errDatabaseCorrupted);
	ck_assert_ptr_nonnull(strstr(st.msg, "badboth.edb"));

	/* a streaming file (file type 2) in valid headers */
	memcpy(copy, basic, len);
	wr32(copy + 667, 2);
	wr32(copy, ese_checksum_header(copy, 4096));
	memcpy(copy + 4096, copy, 4096);
	snprintf(p, sizeof(p), "%s/stream.stm", tmpdir);
	write_file(p, copy, len);
	ck_assert_int_eq(open_err(p, &st), JET_errFileInvalidType);
	free(copy);
	free(basic);
}
END_TEST

START_TEST(test_read_page)
{
	if (skip())
		return;
	size_t len;
	uint8_t *basic = read_file(path_of("basic.edb"), &len);
	uint8_t buf[4096];
	ese_db *db;
	ese_status st;
	char p[512];

	ck_assert_int_eq(ese_db_open(path_of("basic.edb"), ESE_OPEN_RDONLY, &db, &st), 0);
	ck_assert_int_eq(ese_db_read_page(db, 31, buf, NULL), 0);
	ck_assert(memcmp(buf, basic + 32 * 4096, 4096) == 0);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_db_read_page(db, 0, buf, &st), JET_errFileIOBeyondEOF);
	ck_assert_int_eq(ese_db_read_page(db, 255, buf, NULL), JET_errFileIOBeyondEOF);
	ck_assert_int_eq(ese_db_read_page(db, 254, buf, NULL), JET_errPageNotInitialized);
	const uint8_t *cp;
	ck_assert_int_eq(ese_db_get_page(db, 4, &cp, NULL), 0);
	ck_assert(memcmp(cp, basic + 5 * 4096, 4096) == 0);
	ck_assert_int_eq(ese_db_get_page(db, 4 + 256, &cp, NULL), JET_errFileIOBeyondEOF);
	ck_assert_int_eq(ese_db_get_page(db, 4, &cp, NULL), 0);     /* refilled after the failure */
	ck_assert(memcmp(cp, basic + 5 * 4096, 4096) == 0);
	ck_assert_uint_eq(ese_db_corrected_pages(db), 0);
	ese_db_close(db);

	uint8_t *copy = malloc(len);
	memcpy(copy, basic, len);
	copy[32 * 4096 + 1000] ^= 0x04;          /* page 31: one bit */
	copy[33 * 4096 + 1000] ^= 0x04;          /* page 32: two bits */
	copy[33 * 4096 + 2000] ^= 0x40;
	memcpy(copy + 35 * 4096, basic + 5 * 4096, 4096);   /* page 34 holds page 4 */
	snprintf(p, sizeof(p), "%s/pages.edb", tmpdir);
	write_file(p, copy, len);
	ck_assert_int_eq(ese_db_open(p, ESE_OPEN_RDONLY, &db, &st), 0);
	ck_assert_int_eq(ese_db_read_page(db, 31, buf, NULL), 0);
	ck_assert(memcmp(buf, basic + 32 * 4096, 4096) == 0);   /* corrected in memory */
	ck_assert_uint_eq(ese_db_corrected_pages(db), 1);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_db_read_page(db, 32, buf, &st), JET_errReadVerifyFailure);
	ck_assert_int_eq(st.pgno, 32);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_db_read_page(db, 34, buf, &st), JET_errReadPgnoVerifyFailure);
	ck_assert_int_eq(st.pgno, 34);
	ese_db_close(db);
	/* without verification the bytes come back as they are */
	ck_assert_int_eq(ese_db_open(p, ESE_OPEN_NO_VERIFY, &db, &st), 0);
	ck_assert_int_eq(ese_db_read_page(db, 32, buf, NULL), 0);
	ck_assert(memcmp(buf, copy + 33 * 4096, 4096) == 0);
	ck_assert_int_eq(ese_db_read_page(db, 31, buf, NULL), 0);
	ck_assert(memcmp(buf, copy + 32 * 4096, 4096) == 0);
	ese_db_close(db);
	free(copy);
	free(basic);
}
END_TEST

/* Damaged trees, made from copies of real files with valid checksums. */
START_TEST(test_cursor_damaged_trees)
{
	if (skip())
		return;
	size_t len;
	char p[512];
	ese_db *db;
	ese_catalog *cat;
	ese_status st;

	/* basic.edb page 31 (the table's only page): node 1 flagged deleted */
	uint8_t *f = read_file(path_of("basic.edb"), &len);
	uint8_t *pg31 = f + 32 * 4096;
	uint8_t *tag1 = pg31 + 4096 - 8;
	ck_assert_uint_eq(tag1[3] & 0x40, 0);              /* not deleted yet (0x20, fNDVersion, is set) */
	tag1[3] |= 0x40;                               /* fNDDeleted << 13 */
	ese_checksum_set_page(pg31, 4096, 31);
	snprintf(p, sizeof(p), "%s/deleted.edb", tmpdir);
	write_file(p, f, len);
	free(f);
	ck_assert_int_eq(ese_db_open(p, ESE_OPEN_RDONLY, &db, &st), 0);
	ck_assert_int_eq(ese_catalog_load(db, 4, &cat, &st), 0);
	const ese_table *t = ese_catalog_find_table(cat, "basic");
	row rows[4];
	size_t n = read_rows(db, t, rows, 4);
	ck_assert_uint_eq(n, 1);
	ck_assert(memcmp(rows[0].key, "\x7f\x80\x00\x00\x02", 5) == 0);
	free_rows(rows, n);
	ese_cursor *c;
	ck_assert_int_eq(ese_cursor_open(db, 31, 8, &c, &st), 0);
	ck_assert_int_eq(ese_cursor_seek(c, (const uint8_t *)"\x7f\x80\x00\x00\x01", 5, &st), 0);
	size_t kl;
	const uint8_t *k = ese_cursor_key(c, &kl);
	ck_assert(memcmp(k, "\x7f\x80\x00\x00\x02", 5) == 0);
	ese_cursor_close(c);
	ese_catalog_free(cat);
	ese_db_close(db);

	/* large.edb page 4 (the catalog root, an internal page): its first
	 * child pointer turned back to the root itself */
	f = read_file(path_of("large.edb"), &len);
	uint8_t *pg4 = f + 5 * 32768;
	ese_page pg;
	ese_node nd;
	ck_assert_int_eq(ese_page_parse(&pg, pg4, 32768, 4, NULL), 0);
	ck_assert_uint_eq(pg.flags & ESE_PF_LEAF, 0);
	ck_assert_int_eq(ese_page_node(&pg, 4, 1, &nd, NULL), 0);
	ck_assert_uint_ge(nd.data_len, 4);
	uint8_t *child = pg4 + (nd.data - pg4);
	wr32(child, 4);
	ese_checksum_set_page(pg4, 32768, 4);
	snprintf(p, sizeof(p), "%s/loop.edb", tmpdir);
	write_file(p, f, len);
	ck_assert_int_eq(ese_db_open(p, ESE_OPEN_RDONLY, &db, &st), 0);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_catalog_load(db, 4, &cat, &st), JET_errBadPageLink);
	ck_assert_ptr_null(cat);
	ck_assert_int_eq(st.pgno, 4);
	ck_assert_ptr_nonnull(strstr(st.msg, "ancestor"));
	/* the shadow catalog is untouched and still loads */
	ck_assert_int_eq(ese_catalog_load(db, 24, &cat, &st), 0);
	ese_catalog_free(cat);
	ese_db_close(db);
	/* a child pointer past the end of the file */
	wr32(child, 5000);
	ese_checksum_set_page(pg4, 32768, 4);
	write_file(p, f, len);
	ck_assert_int_eq(ese_db_open(p, ESE_OPEN_RDONLY, &db, &st), 0);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_catalog_load(db, 4, &cat, &st), JET_errBadPageLink);
	ck_assert_ptr_nonnull(strstr(st.msg, "5000"));
	ese_db_close(db);
	free(f);
}
END_TEST

Suite *suite_reader(void)
{
	Suite *s = suite_create("reader");
	TCase *tc = tcase_create("samples");
	tcase_add_unchecked_fixture(tc, samples_setup, samples_teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_open_all_samples);
	tcase_add_test(tc, test_basic_catalog);
	tcase_add_test(tc, test_basic_rows);
	tcase_add_test(tc, test_binary_row);
	tcase_add_test(tc, test_lv_read);
	tcase_add_test(tc, test_large);
	tcase_add_test(tc, test_cursor_seek);
	tcase_add_test(tc, test_cursor_damaged_trees);
	tcase_add_test(tc, test_open_errors);
	tcase_add_test(tc, test_read_page);
	suite_add_tcase(s, tc);
	return s;
}
