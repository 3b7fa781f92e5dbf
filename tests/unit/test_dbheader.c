/*
 * test_dbheader.c - the database header codec (common/dbheader.c).
 *
 * The real header of basic.edb (a Windows 8 ESENT database) is decoded
 * field by field against the values read off its bytes (and agreeing with
 * esedbinfo: "Created in format 0x620,20", "Current format 0x620,20",
 * "Page size 4096 bytes"); encode must give back the same page byte for
 * byte; every error path of ese_dbheader_check is driven.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "ese_dbheader.h"
#include "ese_checksum.h"

#define SAMPLES_DIR "../shared/esedb-samples"

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* The first `want` bytes of a decompressed sample, or NULL when absent. */
static uint8_t *load_sample_head(const char *name, size_t want)
{
	char path[512], cmd[600];
	snprintf(path, sizeof(path), "%s/%s.gz", SAMPLES_DIR, name);
	FILE *f = fopen(path, "rb");
	if (!f) {
		printf("SKIP: %s not found (run from the repository root with ../shared/esedb-samples)\n", path);
		return NULL;
	}
	fclose(f);
	snprintf(cmd, sizeof(cmd), "gunzip -c '%s'", path);
	FILE *pp = popen(cmd, "r");
	ck_assert_ptr_nonnull(pp);
	uint8_t *buf = malloc(want);
	ck_assert_ptr_nonnull(buf);
	size_t n = fread(buf, 1, want, pp);
	/* drain the rest so gunzip exits cleanly */
	char sink[65536];
	while (fread(sink, 1, sizeof(sink), pp) > 0)
		;
	pclose(pp);
	ck_assert_uint_eq(n, want);
	return buf;
}

static void assert_logtime(const ese_logtime *t, unsigned sec, unsigned min, unsigned hour, unsigned day,
                           unsigned month, unsigned year, unsigned b6, unsigned b7)
{
	ck_assert_uint_eq(t->sec, sec);
	ck_assert_uint_eq(t->min, min);
	ck_assert_uint_eq(t->hour, hour);
	ck_assert_uint_eq(t->day, day);
	ck_assert_uint_eq(t->month, month);
	ck_assert_uint_eq(t->year, year);
	ck_assert_uint_eq(t->b6, b6);
	ck_assert_uint_eq(t->b7, b7);
}

static int logtime_zero(const ese_logtime *t)
{
	return !(t->sec | t->min | t->hour | t->day | t->month | t->year | t->b6 | t->b7);
}

START_TEST(test_decode_basic)
{
	uint8_t *f = load_sample_head("basic.edb", 8192);
	if (!f)
		return;
	ese_dbheader h;
	ck_assert_int_eq(ese_dbheader_decode(&h, f, 4096), 0);
	ck_assert_uint_eq(h.checksum, 0x98A810D4u);
	ck_assert_uint_eq(h.checksum, ese_checksum_header(f, 4096));
	ck_assert_uint_eq(h.magic, 0x89ABCDEFu);
	ck_assert_uint_eq(h.version, 0x620);
	ck_assert_uint_eq(h.attrib, 0);
	ck_assert_uint_eq(h.dbtime, 0x193);
	/* signDb: random, creation time 2022-08-19 11:46:32.636 UTC, no computer name */
	ck_assert_uint_eq(h.sign_db.random, 0x87C3F09Eu);
	assert_logtime(&h.sign_db.created, 32, 46, 11, 19, 8, 122, 0xF9, 0x08);
	ck_assert_uint_eq(h.sign_db.created.b6 & 1, 1);   /* fTimeIsUTC */
	ck_assert_uint_eq(ese_logtime_ms(&h.sign_db.created), 636);
	ck_assert_str_eq(h.sign_db.computer, "");
	ck_assert_uint_eq(h.state, ESE_DBSTATE_CLEAN);
	ck_assert_str_eq(ese_dbstate_name(h.state), "Clean Shutdown");
	/* it was a logged database: consistent and detached at log 1 sector 0x16 */
	ck_assert_uint_eq(h.lgpos_consistent.ib, 0);
	ck_assert_uint_eq(h.lgpos_consistent.isec, 0x16);
	ck_assert_int_eq(h.lgpos_consistent.gen, 1);
	assert_logtime(&h.time_consistent, 33, 46, 11, 19, 8, 122, 0x51, 0x00);
	ck_assert_uint_eq(ese_logtime_ms(&h.time_consistent), 40);
	assert_logtime(&h.time_attach, 32, 46, 11, 19, 8, 122, 0x71, 0x0E);
	ck_assert_uint_eq(ese_logtime_ms(&h.time_attach), 952);
	ck_assert_uint_eq(h.lgpos_attach.ib, 0x268);
	ck_assert_uint_eq(h.lgpos_attach.isec, 0x14);
	ck_assert_int_eq(h.lgpos_attach.gen, 1);
	assert_logtime(&h.time_detach, 33, 46, 11, 19, 8, 122, 0x51, 0x00);
	ck_assert_uint_eq(h.lgpos_detach.ib, 0);
	ck_assert_uint_eq(h.lgpos_detach.isec, 0x16);
	ck_assert_int_eq(h.lgpos_detach.gen, 1);
	ck_assert_uint_eq(h.dbid, 1);
	ck_assert_uint_eq(h.sign_log.random, 0x08999D81u);
	assert_logtime(&h.sign_log.created, 32, 46, 11, 19, 8, 122, 0x3B, 0x08);
	ck_assert_uint_eq(ese_logtime_ms(&h.sign_log.created), 541);
	ck_assert_int_eq(h.bk_full_prev.mark.gen, 0);
	ck_assert(logtime_zero(&h.bk_full_cur.mark_time));
	ck_assert_uint_eq(h.db_flags, 0);
	ck_assert_uint_eq(h.objid_last, 8);
	ck_assert_uint_eq(h.os_major, 6);
	ck_assert_uint_eq(h.os_minor, 2);
	ck_assert_uint_eq(h.os_build, 9200);
	ck_assert_uint_eq(h.os_sp, 0);
	ck_assert_uint_eq(h.update_major, 20);
	ck_assert_uint_eq(h.page_size, 4096);
	ck_assert_uint_eq(ese_dbheader_page_size(&h), 4096);
	ck_assert_uint_eq(h.repair_count, 0);
	ck_assert_int_eq(h.gen_min_required, 0);
	ck_assert_int_eq(h.gen_max_required, 0);
	ck_assert_uint_eq(h.create_version, 0x620);
	ck_assert_uint_eq(h.create_update, 20);
	ck_assert_uint_eq(h.ecc_fix_success, 0);
	ck_assert_uint_eq(h.bad_checksum, 0);
	ck_assert_uint_eq(h.sort_version, 0xFFFFFFFFFFFFFFFFull);
	ck_assert_uint_eq(h.sign_hdr_flush.random, 0x9BCB13E9u);
	assert_logtime(&h.sign_hdr_flush.created, 33, 46, 11, 19, 8, 122, 0x51, 0x00);
	ck_assert_uint_eq(h.sign_flushmap_flush.random, 0x908B0A0Eu);
	assert_logtime(&h.sign_flushmap_flush.created, 33, 46, 11, 19, 8, 122, 0x4F, 0x00);
	ck_assert_int_eq(h.gen_min_consistent, 0);
	ck_assert_uint_eq(h.update_minor, 0);
	ck_assert_uint_eq(h.file_type, 1);          /* unaligned at 667 */
	ck_assert_uint_eq(h.revert_count, 0);
	ck_assert_int_eq(h.lgpos_commit_before_revert.gen, 0);
	ck_assert_int_eq(ese_dbheader_check(f, 4096, NULL), 0);

	/* the shadow copy is the same page and decodes the same */
	ck_assert(memcmp(f, f + 4096, 4096) == 0);
	ese_dbheader h2;
	ck_assert_int_eq(ese_dbheader_decode(&h2, f + 4096, 4096), 0);
	ck_assert_uint_eq(h2.objid_last, h.objid_last);
	ck_assert_uint_eq(h2.checksum, h.checksum);
	free(f);
}
END_TEST

START_TEST(test_roundtrip_real)
{
	static const char *const names[] = { "basic.edb", "index.edb", "multi.edb" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		uint8_t *f = load_sample_head(names[i], 4096);
		if (!f)
			return;
		ese_dbheader h;
		ck_assert_int_eq(ese_dbheader_decode(&h, f, 4096), 0);
		uint8_t page[4096];
		memset(page, 0xAA, sizeof(page));   /* encode must zero the rest */
		ese_dbheader_encode(&h, page, sizeof(page));
		for (size_t off = 0; off < ESE_DBHDR_SIZE; off++)
			ck_assert_msg(page[off] == f[off], "%s: byte %zu: encoded 0x%02x, file 0x%02x", names[i], off,
			              page[off], f[off]);
		ck_assert(memcmp(page, f, sizeof(page)) == 0);
		ck_assert_uint_eq(rd32(page), ese_checksum_header(page, sizeof(page)));
		ck_assert_int_eq(ese_dbheader_check(page, sizeof(page), NULL), 0);
		free(f);
	}
}
END_TEST

START_TEST(test_encode_layout)
{
	/* A hand-filled header lands at the documented offsets. */
	ese_dbheader h;
	memset(&h, 0, sizeof(h));
	h.magic = ESE_DB_MAGIC;
	h.version = 0x620;
	h.dbtime = 0x0102030405060708ull;
	h.sign_db.random = 0xCAFEBABEu;
	memcpy(h.sign_db.computer, "HOSTNAME-ABCDEFG", 16);
	h.state = ESE_DBSTATE_DIRTY;
	h.lgpos_consistent.ib = 0x1122;
	h.lgpos_consistent.isec = 0x3344;
	h.lgpos_consistent.gen = -2;
	h.objid_last = 0x55667788u;
	h.update_major = 20;
	h.page_size = 8192;
	h.create_version = 0x620;
	h.create_update = 20;
	h.sort_version = 0x1122334455667788ull;
	h.lgpos_last_resize.gen = 0x0A0B0C0D;
	h.file_type = 0x04030201u;
	h.lgpos_commit_before_revert.gen = 0x7EADBEEF;
	uint8_t page[8192];
	ese_dbheader_encode(&h, page, sizeof(page));
	ck_assert_uint_eq(rd32(page + 4), 0x89ABCDEFu);
	ck_assert_uint_eq(rd32(page + 8), 0x620);
	ck_assert_uint_eq(rd32(page + 16), 0x05060708u);
	ck_assert_uint_eq(rd32(page + 20), 0x01020304u);
	ck_assert_uint_eq(rd32(page + 24), 0xCAFEBABEu);
	ck_assert(memcmp(page + 36, "HOSTNAME-ABCDEFG", 16) == 0);
	ck_assert_uint_eq(rd32(page + 52), 2);
	ck_assert_uint_eq(page[56], 0x22);
	ck_assert_uint_eq(page[57], 0x11);
	ck_assert_uint_eq(page[58], 0x44);
	ck_assert_uint_eq(rd32(page + 60), 0xFFFFFFFEu);
	ck_assert_uint_eq(rd32(page + 212), 0x55667788u);
	ck_assert_uint_eq(rd32(page + 232), 20);
	ck_assert_uint_eq(rd32(page + 236), 8192);
	ck_assert_uint_eq(rd32(page + 340), 0x620);
	ck_assert_uint_eq(rd32(page + 344), 20);
	ck_assert_uint_eq(rd32(page + 508), 0x55667788u);
	ck_assert_uint_eq(rd32(page + 512), 0x11223344u);
	ck_assert_uint_eq(rd32(page + 660), 0x0A0B0C0Du);
	ck_assert_uint_eq(page[664], 0);
	ck_assert_uint_eq(page[665], 0);
	ck_assert_uint_eq(page[666], 0);
	ck_assert_uint_eq(page[667], 1);
	ck_assert_uint_eq(page[668], 2);
	ck_assert_uint_eq(page[669], 3);
	ck_assert_uint_eq(page[670], 4);
	ck_assert_uint_eq(page[671], 0);
	ck_assert_uint_eq(rd32(page + 744), 0x7EADBEEFu);
	for (size_t i = ESE_DBHDR_SIZE; i < sizeof(page); i++)
		ck_assert_uint_eq(page[i], 0);
	ck_assert_uint_eq(rd32(page), ese_checksum_header(page, sizeof(page)));
	/* and back */
	ese_dbheader d;
	ck_assert_int_eq(ese_dbheader_decode(&d, page, sizeof(page)), 0);
	ck_assert_uint_eq(d.dbtime, h.dbtime);
	ck_assert_str_eq(d.sign_db.computer, "HOSTNAME-ABCDEFG");
	ck_assert_int_eq(d.lgpos_consistent.gen, -2);
	ck_assert_uint_eq(d.file_type, 0x04030201u);
	ck_assert_uint_eq(d.sort_version, h.sort_version);
	ck_assert_uint_eq(ese_dbheader_page_size(&d), 8192);
	ck_assert_int_eq(ese_dbheader_check(page, sizeof(page), NULL), 0);
}
END_TEST

/* A valid 4 KiB header page built from scratch. */
static void good_header(uint8_t *page)
{
	ese_dbheader h;
	memset(&h, 0, sizeof(h));
	h.magic = ESE_DB_MAGIC;
	h.version = 0x620;
	h.state = ESE_DBSTATE_CLEAN;
	h.update_major = 20;
	h.page_size = 4096;
	h.file_type = 1;
	ese_dbheader_encode(&h, page, 4096);
}

START_TEST(test_check_errors)
{
	uint8_t page[4096];
	ese_status st;

	good_header(page);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_dbheader_check(page, sizeof(page), &st), 0);
	ck_assert_int_eq(st.err, 0);

	/* too short */
	ck_assert_int_eq(ese_dbheader_check(page, ESE_DBHDR_SIZE - 1, NULL), JET_errInvalidDatabase);

	/* bad magic (checksum recomputed so only the magic is wrong) */
	good_header(page);
	wr32(page + 4, 0x89ABCDEE);
	ese_checksum_set_header(page, sizeof(page));
	ese_status_clear(&st);
	ck_assert_int_eq(ese_dbheader_check(page, sizeof(page), &st), JET_errInvalidDatabase);
	ck_assert_int_eq(st.err, JET_errInvalidDatabase);
	ck_assert_ptr_nonnull(strstr(st.msg, "magic"));

	/* bad checksum: one byte changed, anywhere in the page */
	good_header(page);
	page[3000] ^= 1;
	ese_status_clear(&st);
	ck_assert_int_eq(ese_dbheader_check(page, sizeof(page), &st), JET_errDatabaseCorrupted);
	ck_assert_ptr_nonnull(strstr(st.msg, "checksum"));
	good_header(page);
	page[0] ^= 0x80;
	ck_assert_int_eq(ese_dbheader_check(page, sizeof(page), NULL), JET_errDatabaseCorrupted);

	/* attrib != 0: not a database */
	good_header(page);
	wr32(page + 12, 1);
	ese_checksum_set_header(page, sizeof(page));
	ese_status_clear(&st);
	ck_assert_int_eq(ese_dbheader_check(page, sizeof(page), &st), JET_errInvalidDatabase);
	ck_assert_ptr_nonnull(strstr(st.msg, "attrib"));

	/* another format version */
	good_header(page);
	wr32(page + 8, 0x623);
	ese_checksum_set_header(page, sizeof(page));
	ese_status_clear(&st);
	ck_assert_int_eq(ese_dbheader_check(page, sizeof(page), &st), JET_errInvalidDatabaseVersion);
	ck_assert_ptr_nonnull(strstr(st.msg, "0x623"));

	/* the first cause wins in the status */
	good_header(page);
	wr32(page + 4, 0);
	ese_status_clear(&st);
	ese_dbheader_check(page, sizeof(page), &st);
	ck_assert_int_eq(ese_dbheader_check(page, ESE_DBHDR_SIZE - 1, &st), JET_errInvalidDatabase);
	ck_assert_ptr_nonnull(strstr(st.msg, "magic"));

	/* decode only wants a big enough buffer */
	ese_dbheader h;
	ck_assert_int_eq(ese_dbheader_decode(&h, page, ESE_DBHDR_SIZE - 1), JET_errInvalidDatabase);
	ck_assert_int_eq(ese_dbheader_decode(&h, page, ESE_DBHDR_SIZE), 0);
}
END_TEST

START_TEST(test_page_size)
{
	ese_dbheader h;
	memset(&h, 0, sizeof(h));
	static const uint32_t good[] = { 2048, 4096, 8192, 16384, 32768 };
	for (size_t i = 0; i < 5; i++) {
		h.page_size = good[i];
		ck_assert_uint_eq(ese_dbheader_page_size(&h), good[i]);
	}
	h.page_size = 0;
	ck_assert_uint_eq(ese_dbheader_page_size(&h), 4096);
	static const uint32_t bad[] = { 1024, 4095, 4097, 12288, 65536, 0xFFFFFFFFu };
	for (size_t i = 0; i < 6; i++) {
		h.page_size = bad[i];
		ck_assert_uint_eq(ese_dbheader_page_size(&h), 0);
	}
}
END_TEST

START_TEST(test_state_names)
{
	ck_assert_str_eq(ese_dbstate_name(0), "Illegal");
	ck_assert_str_eq(ese_dbstate_name(1), "Just Created");
	ck_assert_str_eq(ese_dbstate_name(2), "Dirty Shutdown");
	ck_assert_str_eq(ese_dbstate_name(3), "Clean Shutdown");
	ck_assert_str_eq(ese_dbstate_name(4), "Being Converted");
	ck_assert_str_eq(ese_dbstate_name(5), "Illegal");
	ck_assert_str_eq(ese_dbstate_name(6), "Incremental Reseed In Progress");
	ck_assert_str_eq(ese_dbstate_name(7), "Dirty and Patched Shutdown");
	ck_assert_str_eq(ese_dbstate_name(8), "Database Revert in Progress");
	ck_assert_str_eq(ese_dbstate_name(9), "Illegal");
	ck_assert_str_eq(ese_dbstate_name(0xFFFFFFFFu), "Illegal");
}
END_TEST

START_TEST(test_logtime_ms)
{
	ese_logtime t;
	memset(&t, 0, sizeof(t));
	ck_assert_uint_eq(ese_logtime_ms(&t), 0);
	t.b6 = 0x01;                       /* UTC flag only */
	ck_assert_uint_eq(ese_logtime_ms(&t), 0);
	t.b6 = 0xFF;
	ck_assert_uint_eq(ese_logtime_ms(&t), 127);
	t.b7 = 0x0E;                       /* high bits 7 */
	ck_assert_uint_eq(ese_logtime_ms(&t), 1023);
	t.b6 = 0xF9;
	t.b7 = 0x08;
	ck_assert_uint_eq(ese_logtime_ms(&t), 124 + 512);
	t.b6 = 0x00;
	t.b7 = 0xF1;                       /* reserved bit 0 and bits above 3 ignored */
	ck_assert_uint_eq(ese_logtime_ms(&t), 0);
	t.b7 = 0x02;
	ck_assert_uint_eq(ese_logtime_ms(&t), 128);
}
END_TEST

Suite *suite_dbheader(void)
{
	Suite *s = suite_create("dbheader");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, test_decode_basic);
	tcase_add_test(tc, test_roundtrip_real);
	tcase_add_test(tc, test_encode_layout);
	tcase_add_test(tc, test_check_errors);
	tcase_add_test(tc, test_page_size);
	tcase_add_test(tc, test_state_names);
	tcase_add_test(tc, test_logtime_ms);
	suite_add_tcase(s, tc);
	return s;
}
