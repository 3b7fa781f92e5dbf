/*
 * dbheader.c - decode, encode and check the database header (DBFILEHDR).
 *
 * One table (hdr_fields) names every field with its on-disk offset and
 * kind; decode and encode both walk it, so the reader and the writer can
 * never disagree about a layout.  Offsets: ESE daedef.hxx (DBFILEHDR,
 * 748 bytes, C_ASSERT 667 == offsetof(le_filetype)).
 */
#include "ese_dbheader.h"
#include "ese_checksum.h"
#include "bytes.h"

#include <stddef.h>
#include <string.h>
#include <time.h>

enum kind { K_U32, K_U64, K_LOGTIME, K_SIG, K_LGPOS, K_BKINFO };

struct field {
	uint16_t disk;      /* offset in the header page */
	uint8_t  kind;
	uint16_t mem;       /* offsetof(ese_dbheader, ...) */
};

#define F(d, k, m) { d, k, offsetof(ese_dbheader, m) }
static const struct field hdr_fields[] = {
	F(0, K_U32, checksum), F(4, K_U32, magic), F(8, K_U32, version),
	F(12, K_U32, attrib), F(16, K_U64, dbtime), F(24, K_SIG, sign_db),
	F(52, K_U32, state), F(56, K_LGPOS, lgpos_consistent),
	F(64, K_LOGTIME, time_consistent), F(72, K_LOGTIME, time_attach),
	F(80, K_LGPOS, lgpos_attach), F(88, K_LOGTIME, time_detach),
	F(96, K_LGPOS, lgpos_detach), F(104, K_U32, dbid), F(108, K_SIG, sign_log),
	F(136, K_BKINFO, bk_full_prev), F(160, K_BKINFO, bk_inc_prev),
	F(184, K_BKINFO, bk_full_cur), F(208, K_U32, db_flags),
	F(212, K_U32, objid_last), F(216, K_U32, os_major), F(220, K_U32, os_minor),
	F(224, K_U32, os_build), F(228, K_U32, os_sp), F(232, K_U32, update_major),
	F(236, K_U32, page_size), F(240, K_U32, repair_count),
	F(244, K_LOGTIME, time_repair),
	/* 252..279: reserved SLV signature */
	F(280, K_U64, dbtime_scrub), F(288, K_LOGTIME, time_scrub),
	F(296, K_U32, gen_min_required), F(300, K_U32, gen_max_required),
	F(304, K_U32, cpg_upgrade_55), F(308, K_U32, cpg_upgrade_free),
	F(312, K_U32, cpg_upgrade_space), F(316, K_BKINFO, bk_snapshot_cur),
	F(340, K_U32, create_version), F(344, K_U32, create_update),
	F(348, K_LOGTIME, time_gen_max_create), F(356, K_U32, bk_type_full_prev),
	F(360, K_U32, bk_type_inc_prev), F(364, K_U32, repair_count_old),
	F(368, K_U32, ecc_fix_success), F(372, K_LOGTIME, time_ecc_fix_success),
	F(380, K_U32, ecc_fix_success_old), F(384, K_U32, ecc_fix_error),
	F(388, K_LOGTIME, time_ecc_fix_error), F(396, K_U32, ecc_fix_error_old),
	F(400, K_U32, bad_checksum), F(404, K_LOGTIME, time_bad_checksum),
	F(412, K_U32, bad_checksum_old), F(416, K_U32, gen_max_committed),
	F(420, K_BKINFO, bk_copy_prev), F(444, K_BKINFO, bk_diff_prev),
	F(468, K_U32, bk_type_copy_prev), F(472, K_U32, bk_type_diff_prev),
	F(476, K_U32, reseed_count), F(480, K_LOGTIME, time_reseed),
	F(488, K_U32, reseed_count_old), F(492, K_U32, patch_count),
	F(496, K_LOGTIME, time_patch), F(504, K_U32, patch_count_old),
	F(508, K_U64, sort_version), F(516, K_LOGTIME, time_dbscan_prev),
	F(524, K_LOGTIME, time_dbscan_start), F(532, K_U32, pgno_dbscan_highest_cont),
	F(536, K_U32, gen_recovering), F(540, K_U32, extend_count),
	F(544, K_LOGTIME, time_extend), F(552, K_U32, shrink_count),
	F(556, K_LOGTIME, time_shrink), F(564, K_LOGTIME, time_last_reattach),
	F(572, K_LGPOS, lgpos_last_reattach), F(580, K_U32, trim_count),
	F(584, K_SIG, sign_hdr_flush), F(612, K_SIG, sign_flushmap_flush),
	F(640, K_U32, gen_min_consistent), F(644, K_U32, update_minor),
	F(648, K_U32, efv_max_attach), F(652, K_U32, pgno_dbscan_highest),
	F(656, K_LGPOS, lgpos_last_resize), F(667, K_U32, file_type),
	F(672, K_LOGTIME, time_gen_max_required),
	F(680, K_U32, gen_pre_redo_min_consistent), F(684, K_U32, gen_pre_redo_min_required),
	F(688, K_SIG, sign_rbs_flush), F(716, K_U32, revert_count),
	F(720, K_LOGTIME, time_revert_from), F(728, K_LOGTIME, time_revert_to),
	F(736, K_U32, revert_pages), F(740, K_LGPOS, lgpos_commit_before_revert),
};
#undef F

_Static_assert(sizeof(ese_logtime) == 8, "LOGTIME is 8 bytes");

static void get_logtime(ese_logtime *t, const uint8_t *p) { memcpy(t, p, 8); }
static void put_logtime(uint8_t *p, const ese_logtime *t) { memcpy(p, t, 8); }

static void get_lgpos(ese_lgpos *l, const uint8_t *p)
{
	l->ib = get_le16(p);
	l->isec = get_le16(p + 2);
	l->gen = (int32_t)get_le32(p + 4);
}

static void put_lgpos(uint8_t *p, const ese_lgpos *l)
{
	put_le16(p, l->ib);
	put_le16(p + 2, l->isec);
	put_le32(p + 4, (uint32_t)l->gen);
}

/* SIGNATURE: u32 random, LOGTIME created, char computer[16]. */
static void get_sig(ese_signature *s, const uint8_t *p)
{
	s->random = get_le32(p);
	get_logtime(&s->created, p + 4);
	memcpy(s->computer, p + 12, 16);
	s->computer[16] = '\0';
}

static void put_sig(uint8_t *p, const ese_signature *s)
{
	put_le32(p, s->random);
	put_logtime(p + 4, &s->created);
	memcpy(p + 12, s->computer, 16);
}

/* BKINFO: LGPOS mark, LOGTIME mark, u32 genLow, u32 genHigh. */
static void get_bkinfo(ese_bkinfo *b, const uint8_t *p)
{
	get_lgpos(&b->mark, p);
	get_logtime(&b->mark_time, p + 8);
	b->gen_low = get_le32(p + 16);
	b->gen_high = get_le32(p + 20);
}

static void put_bkinfo(uint8_t *p, const ese_bkinfo *b)
{
	put_lgpos(p, &b->mark);
	put_logtime(p + 8, &b->mark_time);
	put_le32(p + 16, b->gen_low);
	put_le32(p + 20, b->gen_high);
}

int ese_dbheader_decode(ese_dbheader *h, const uint8_t *buf, size_t len)
{
	if (len < ESE_DBHDR_SIZE)
		return JET_errInvalidDatabase;
	memset(h, 0, sizeof(*h));
	for (size_t i = 0; i < sizeof(hdr_fields) / sizeof(hdr_fields[0]); i++) {
		const struct field *f = &hdr_fields[i];
		const uint8_t *p = buf + f->disk;
		void *m = (char *)h + f->mem;
		switch (f->kind) {
		case K_U32: { uint32_t v = get_le32(p); memcpy(m, &v, 4); break; }
		case K_U64: { uint64_t v = get_le64(p); memcpy(m, &v, 8); break; }
		case K_LOGTIME: get_logtime(m, p); break;
		case K_SIG: get_sig(m, p); break;
		case K_LGPOS: get_lgpos(m, p); break;
		case K_BKINFO: get_bkinfo(m, p); break;
		}
	}
	return 0;
}

void ese_dbheader_encode(const ese_dbheader *h, uint8_t *page, size_t size)
{
	memset(page, 0, size);
	for (size_t i = 0; i < sizeof(hdr_fields) / sizeof(hdr_fields[0]); i++) {
		const struct field *f = &hdr_fields[i];
		uint8_t *p = page + f->disk;
		const void *m = (const char *)h + f->mem;
		switch (f->kind) {
		case K_U32: { uint32_t v; memcpy(&v, m, 4); put_le32(p, v); break; }
		case K_U64: { uint64_t v; memcpy(&v, m, 8); put_le64(p, v); break; }
		case K_LOGTIME: put_logtime(p, m); break;
		case K_SIG: put_sig(p, m); break;
		case K_LGPOS: put_lgpos(p, m); break;
		case K_BKINFO: put_bkinfo(p, m); break;
		}
	}
	ese_checksum_set_header(page, size);
}

uint32_t ese_dbheader_page_size(const ese_dbheader *h)
{
	uint32_t s = h->page_size ? h->page_size : 4096;
	switch (s) {
	case 2048: case 4096: case 8192: case 16384: case 32768:
		return s;
	default:
		return 0;
	}
}

int ese_dbheader_check(const uint8_t *page, size_t size, ese_status *st)
{
	if (size < ESE_DBHDR_SIZE)
		return ese_fail(st, JET_errInvalidDatabase, 0, "header shorter than %u bytes", ESE_DBHDR_SIZE);
	uint32_t magic = get_le32(page + 4);
	if (magic != ESE_DB_MAGIC)
		return ese_fail(st, JET_errInvalidDatabase, 0, "bad magic 0x%08x (expected 0x89abcdef)", magic);
	uint32_t stored = get_le32(page), actual = ese_checksum_header(page, size);
	if (stored != actual)
		return ese_fail(st, JET_errDatabaseCorrupted, 0,
		                "header checksum mismatch: stored 0x%08x, computed 0x%08x", stored, actual);
	if (get_le32(page + 12) != 0)
		return ese_fail(st, JET_errInvalidDatabase, 0, "header attrib is %u, not a database", get_le32(page + 12));
	uint32_t version = get_le32(page + 8);
	if (version != 0x620)
		return ese_fail(st, JET_errInvalidDatabaseVersion, 0,
		                "unsupported database format version 0x%x (this toolkit reads 0x620)", version);
	return 0;
}

const char *ese_dbstate_name(uint32_t state)
{
	switch (state) {
	case ESE_DBSTATE_JUST_CREATED: return "Just Created";
	case ESE_DBSTATE_DIRTY: return "Dirty Shutdown";
	case ESE_DBSTATE_CLEAN: return "Clean Shutdown";
	case ESE_DBSTATE_BEING_CONVERTED: return "Being Converted";
	case ESE_DBSTATE_INC_RESEED: return "Incremental Reseed In Progress";
	case ESE_DBSTATE_DIRTY_PATCHED: return "Dirty and Patched Shutdown";
	case ESE_DBSTATE_REVERT: return "Database Revert in Progress";
	default: return "Illegal";
	}
}

unsigned ese_logtime_ms(const ese_logtime *t)
{
	return (unsigned)(t->b6 >> 1) | ((unsigned)((t->b7 >> 1) & 7) << 7);
}

void ese_logtime_now(ese_logtime *t)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	struct tm tm;
	gmtime_r(&ts.tv_sec, &tm);
	unsigned ms = (unsigned)(ts.tv_nsec / 1000000);
	t->sec = (uint8_t)tm.tm_sec;
	t->min = (uint8_t)tm.tm_min;
	t->hour = (uint8_t)tm.tm_hour;
	t->day = (uint8_t)tm.tm_mday;
	t->month = (uint8_t)(tm.tm_mon + 1);
	t->year = (uint8_t)tm.tm_year;
	t->b6 = (uint8_t)(1 | ((ms & 0x7F) << 1));     /* UTC, milliseconds */
	t->b7 = (uint8_t)(((ms >> 7) & 7) << 1);
}
