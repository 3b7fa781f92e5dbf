/*
 * test_writer.c - the write side: page builder, external sorter, bulk
 * builder and the writer's file handling.  Trees written here are read back
 * with the reader (cursor, page parser, checksum verifier), so every test
 * checks the writer against the reader, not against itself.
 */
#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suites.h"
#include "bytes.h"
#include "ese_bulk.h"
#include "ese_checksum.h"
#include "ese_create.h"
#include "ese_cursor.h"
#include "ese_db.h"
#include "ese_integrity.h"
#include "ese_page.h"
#include "ese_sort.h"
#include "ese_space.h"
#include "ese_writer.h"

static char tmpdir[] = "/tmp/ese-writer-XXXXXX";

static void setup(void) { ck_assert_ptr_nonnull(mkdtemp(tmpdir)); }
static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(tmpdir, "/tmp/ese-writer-XXXXXX");
}

START_TEST(test_page_builder_roundtrip)
{
	static const uint32_t sizes[] = { 2048, 4096, 8192, 16384, 32768 };
	for (size_t s = 0; s < 5; s++) {
		uint32_t ps = sizes[s];
		uint8_t *buf = malloc(ps);
		ese_page_builder pb;
		const uint8_t prefix[] = "PREFIX-";
		ese_pb_init(&pb, buf, ps, 42, ESE_PF_LEAF | ESE_PF_INDEX, 77, prefix, 7);
		int n = 0;
		for (;; n++) {
			uint8_t key[32], data[8];
			snprintf((char *)key, sizeof(key), "PREFIX-%05d", n);
			put_le32(data, (uint32_t)n);
			size_t use = n % 2 ? 7 : 0;          /* mix compressed and plain nodes */
			if (ese_pb_node_cost(12, use, 4) > ese_pb_room(&pb))
				break;
			ck_assert_int_eq(ese_pb_add_node(&pb, key, 12, use, data, 4), 0);
		}
		ck_assert_int_gt(n, 10);
		/* a node that does not fit is refused, not half-written */
		ck_assert_int_ne(ese_pb_add_node(&pb, (const uint8_t *)"PREFIX-99999", 12, 0, (const uint8_t *)"abcd", 4), 0);
		/* a prefix of 1 or 2 bytes, or longer than tag 0, is refused */
		ck_assert_int_ne(ese_pb_add_node(&pb, (const uint8_t *)"PR", 2, 2, NULL, 0), 0);
		ese_pb_finish(&pb, 5, 9);
		ese_checksum_set_page(buf, ps, 123);
		ck_assert_int_eq(ese_checksum_verify_page(buf, ps, 123, NULL), ESE_PAGE_OK);
		ese_page pg;
		ck_assert_int_eq(ese_page_parse(&pg, buf, ps, 123, NULL), 0);
		ck_assert_uint_eq(pg.ntags, (unsigned)n + 1);
		ck_assert_uint_eq(pg.objid, 42);
		ck_assert_uint_eq(pg.prev, 5);
		ck_assert_uint_eq(pg.next, 9);
		ck_assert_uint_eq(pg.dbtime, 77);
		ck_assert(pg.flags & ESE_PF_NEW_CHECKSUM);
		uint64_t sum = 0;
		for (unsigned i = 0; i < pg.ntags; i++) {
			ese_tag t;
			ck_assert_int_eq(ese_page_tag(&pg, 123, i, &t, NULL), 0);
			sum += t.len;
		}
		ck_assert_uint_eq(pg.cb_free, ps - pg.hdr_len - sum - 4 * pg.ntags);
		for (int i = 0; i < n; i++) {
			ese_node node;
			uint8_t key[64], want[32];
			ck_assert_int_eq(ese_page_node(&pg, 123, (unsigned)i + 1, &node, NULL), 0);
			ck_assert_uint_eq(ese_node_key(&node, key, sizeof(key)), 12);
			snprintf((char *)want, sizeof(want), "PREFIX-%05d", i);
			ck_assert_mem_eq(key, want, 12);
			ck_assert_uint_eq(node.prefix_len, i % 2 ? 7u : 0u);
			ck_assert_uint_eq(get_le32(node.data), (uint32_t)i);
		}
		free(buf);
	}
}
END_TEST

START_TEST(test_sorter_spills_and_merges)
{
	for (int mem = 0; mem < 2; mem++) {
		ese_sorter *s;
		ck_assert_int_eq(ese_sorter_open(mem ? (64u << 20) : (1u << 20), tmpdir, &s, NULL), 0);
		const uint32_t n = 120000;
		uint8_t key[16], data[4];
		for (uint32_t i = 0; i < n; i++) {
			uint32_t v = (uint32_t)(((uint64_t)i * 2654435761u) % n);          /* a permutation of 0..n-1 */
			put_be32(key, v / 3);                       /* duplicate keys: order by data */
			memset(key + 4, 'k', 8);
			put_be32(data, v);
			ck_assert_int_eq(ese_sorter_add(s, key, 12, data, 4, NULL), 0);
		}
		ck_assert_int_eq(ese_sorter_finish(s, NULL), 0);
		if (mem)
			ck_assert_uint_eq(ese_sorter_runs(s), 0);
		else
			ck_assert_uint_gt(ese_sorter_runs(s), 1);
		const uint8_t *k, *d;
		size_t kl, dl;
		uint32_t i = 0;
		int err;
		while ((err = ese_sorter_next(s, &k, &kl, &d, &dl, NULL)) == 0) {
			ck_assert_uint_eq(kl, 12);
			ck_assert_uint_eq(get_be32(k), i / 3);
			ck_assert_uint_eq(get_be32(d), i);
			i++;
		}
		ck_assert_int_eq(err, JET_errRecordNotFound);
		ck_assert_uint_eq(i, n);
		ese_sorter_close(s);
	}
}
END_TEST

/* Input already in order takes the sorter's short path (no sort, runs read
 * in turn); input in order for several runs and then not must still come
 * out sorted (the runs spilled in order are merged with the rest). */
START_TEST(test_sorter_in_order_input)
{
	for (int mode = 0; mode < 3; mode++) {       /* 0 in order; 1 out of order late; 2 in memory */
		ese_sorter *s;
		ck_assert_int_eq(ese_sorter_open(mode == 2 ? (64u << 20) : (1u << 20), tmpdir, &s, NULL), 0);
		const uint32_t n = 150000, late = 140000;
		uint8_t key[8], data[4];
		for (uint32_t i = 0; i < n; i++) {
			/* mode 1: the last 10000 entries go back to the start */
			uint32_t v = mode == 1 && i >= late ? (i - late) * 2 + 1 : (mode == 1 ? i * 1 + 20000 : i);
			put_be32(key, v);
			memset(key + 4, 'k', 4);
			put_be32(data, i);
			ck_assert_int_eq(ese_sorter_add(s, key, 8, data, 4, NULL), 0);
		}
		ck_assert_int_eq(ese_sorter_finish(s, NULL), 0);
		if (mode < 2)
			ck_assert_uint_gt(ese_sorter_runs(s), 2);
		const uint8_t *k, *d;
		size_t kl, dl;
		uint32_t count = 0, prev = 0;
		int err;
		while ((err = ese_sorter_next(s, &k, &kl, &d, &dl, NULL)) == 0) {
			ck_assert_uint_eq(kl, 8);
			if (count)
				ck_assert_uint_gt(get_be32(k), prev);
			prev = get_be32(k);
			count++;
		}
		ck_assert_int_eq(err, JET_errRecordNotFound);
		ck_assert_uint_eq(count, n);
		ese_sorter_close(s);
	}
}
END_TEST

/* The sort's short cuts (8-byte prefixes, lengths) against the rule it
 * promises: key bytes, shorter first on a tie, then data likewise.  Keys
 * and data of 0-12 bytes from {0, 1, 2}, so that prefixes, zero padding
 * and lengths tie often. */
struct ref { uint8_t k[12], d[12]; size_t kl, dl; };
static int ref_cmp(const void *x, const void *y)
{
	const struct ref *a = x, *b = y;
	size_t n = a->kl < b->kl ? a->kl : b->kl;
	int c = n ? memcmp(a->k, b->k, n) : 0;
	if (c || a->kl != b->kl)
		return c ? c : (a->kl < b->kl ? -1 : 1);
	n = a->dl < b->dl ? a->dl : b->dl;
	c = n ? memcmp(a->d, b->d, n) : 0;
	return c ? c : (a->dl < b->dl ? -1 : a->dl > b->dl);
}

START_TEST(test_sorter_order_rule)
{
	const size_t n = 60000;
	struct ref *r = calloc(n, sizeof(*r));
	ck_assert_ptr_nonnull(r);
	uint64_t x = 12345;
	ese_sorter *s;
	ck_assert_int_eq(ese_sorter_open(1u << 20, tmpdir, &s, NULL), 0);
	for (size_t i = 0; i < n; i++) {
		x = x * 6364136223846793005ULL + 1442695040888963407ULL;
		r[i].kl = (x >> 20) % 13;
		r[i].dl = (x >> 30) % 13;
		for (size_t j = 0; j < 12; j++) {
			x = x * 6364136223846793005ULL + 1442695040888963407ULL;
			r[i].k[j] = (uint8_t)((x >> 40) % 3);
			r[i].d[j] = (uint8_t)((x >> 50) % 3);
		}
		ck_assert_int_eq(ese_sorter_add(s, r[i].k, r[i].kl, r[i].d, r[i].dl, NULL), 0);
	}
	qsort(r, n, sizeof(*r), ref_cmp);
	ck_assert_int_eq(ese_sorter_finish(s, NULL), 0);
	ck_assert_uint_gt(ese_sorter_runs(s), 1);
	const uint8_t *k, *d;
	size_t kl, dl;
	for (size_t i = 0; i < n; i++) {
		ck_assert_int_eq(ese_sorter_next(s, &k, &kl, &d, &dl, NULL), 0);
		ck_assert_uint_eq(kl, r[i].kl);
		ck_assert_uint_eq(dl, r[i].dl);
		ck_assert(kl == 0 || memcmp(k, r[i].k, kl) == 0);
		ck_assert(dl == 0 || memcmp(d, r[i].d, dl) == 0);
	}
	ck_assert_int_eq(ese_sorter_next(s, &k, &kl, &d, &dl, NULL), JET_errRecordNotFound);
	ese_sorter_close(s);
	free(r);
}
END_TEST

/* Builds a tree of n entries at page size ps and reads it back. */
static void build_and_read(uint32_t ps, uint32_t n, int unique)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/t%u-%u-%d.edb", tmpdir, ps, n, unique);
	ese_writer *w;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_writer_create(path, ps, 0, 7, &w, &st), 0);
	ese_wobj *o = ese_writer_object(w, ese_writer_root(w), 9, 0, 4, unique ? 0 : ESE_PF_INDEX | ESE_PF_NON_UNIQUE, &st);
	ck_assert_ptr_nonnull(o);
	uint32_t fdp = ese_wobj_fdp(o);
	ese_bulk *b;
	ck_assert_int_eq(ese_bulk_open(w, o, unique, 85, &b, &st), 0);
	uint8_t key[40], data[80];
	for (uint32_t i = 0; i < n; i++) {
		put_be32(key, unique ? i : i / 4);
		memcpy(key + 4, "shared-key-suffix-0123456789", 28);
		put_be32(data, i);
		memset(data + 4, (int)(i & 0xff), 60);
		ck_assert_msg(ese_bulk_add(b, key, 32, data, 64, &st) == 0, "%s", st.msg);
	}
	/* out of order (or, for one entry, a duplicate) is refused */
	if (n) {
		put_be32(key, 0);
		put_be32(data, 0);
		ck_assert_int_eq(ese_bulk_add(b, key, 32, data, 64, NULL), JET_errInvalidParameter);
	}
	ck_assert_int_eq(ese_bulk_finish(b, &st), 0);
	ck_assert_msg(ese_writer_commit(w, &st) == 0, "%s", st.msg);

	ese_db *db;
	ck_assert_msg(ese_db_open(path, 0, &db, &st) == 0, "%s", st.msg);
	ck_assert_uint_eq(ese_db_page_size(db), ps);
	ese_cursor *c;
	ck_assert_int_eq(ese_cursor_open(db, fdp, 9, &c, &st), 0);
	uint32_t i = 0, prev_leaf = 0;
	int err;
	for (err = ese_cursor_first(c, &st); err == 0; err = ese_cursor_next(c, &st), i++) {
		size_t kl, dl;
		const uint8_t *k = ese_cursor_key(c, &kl), *d = ese_cursor_data(c, &dl);
		ck_assert_uint_eq(kl, 32);
		ck_assert_uint_eq(get_be32(k), unique ? i : i / 4);
		ck_assert_uint_eq(dl, 64);
		ck_assert_uint_eq(get_be32(d), i);
		prev_leaf = ese_cursor_pgno(c);
	}
	ck_assert_msg(err == JET_errRecordNotFound, "%s", st.msg);
	ck_assert_uint_eq(i, n);
	if (n)
		ck_assert_uint_gt(prev_leaf, 0);
	/* every page of the file checksums clean or is unused */
	uint8_t *page = malloc(ps);
	for (uint32_t p = 1; p <= ese_db_page_count(db); p++) {
		int e = ese_db_read_page(db, p, page, NULL);
		ck_assert(e == 0 || e == JET_errPageNotInitialized);
	}
	free(page);
	if (unique && n) {
		put_be32(key, n / 2);
		memcpy(key + 4, "shared-key-suffix-0123456789", 28);
		ck_assert_int_eq(ese_cursor_seek(c, key, 32, NULL), 0);
		size_t dl;
		ck_assert_uint_eq(get_be32(ese_cursor_data(c, &dl)), n / 2);
	}
	ese_cursor_close(c);
	ese_db_close(db);
}

START_TEST(test_bulk_all_page_sizes)
{
	static const uint32_t sizes[] = { 2048, 4096, 8192, 16384, 32768 };
	build_and_read(sizes[_i], 0, 1);
	build_and_read(sizes[_i], 1, 1);
	build_and_read(sizes[_i], 50000, 1);
	build_and_read(sizes[_i], 20000, 0);
}
END_TEST

/* A tree of n entries into o (keys 0..n-1, 100 bytes of data each). */
static void fill_tree(ese_writer *w, ese_wobj *o, uint32_t n)
{
	ese_status st = { 0 };
	ese_bulk *b;
	ck_assert_int_eq(ese_bulk_open(w, o, 1, 100, &b, &st), 0);
	uint8_t key[4], data[100];
	for (uint32_t i = 0; i < n; i++) {
		put_be32(key, i);
		memset(data, (int)(i & 0xff), sizeof(data));
		ck_assert_msg(ese_bulk_add(b, key, 4, data, sizeof(data), &st) == 0, "%s", st.msg);
	}
	ck_assert_msg(ese_bulk_finish(b, &st) == 0, "%s", st.msg);
}

/* A single-extent object of `pages` pages holding a tree of n entries
 * (none: its root is left to the commit). */
static ese_wobj *single_tree(ese_writer *w, ese_wobj *parent, uint32_t objid, uint32_t pages, uint32_t flags,
                             uint32_t n)
{
	ese_status st = { 0 };
	ese_wobj *o = ese_writer_object_single(w, parent, objid, pages, flags, &st);
	ck_assert_msg(o != NULL, "%s", st.msg);
	if (n)
		fill_tree(w, o, n);
	return o;
}

static uint64_t count_entries(ese_db *db, uint32_t fdp, uint32_t objid)
{
	ese_status st = { 0 };
	ese_cursor *c;
	ck_assert_int_eq(ese_cursor_open(db, fdp, objid, &c, &st), 0);
	uint64_t n = 0;
	int err;
	for (err = ese_cursor_first(c, &st); err == 0; err = ese_cursor_next(c, &st))
		n++;
	ck_assert_msg(err == JET_errRecordNotFound, "%s", st.msg);
	ese_cursor_close(c);
	return n;
}

static int owns(const ese_space *sp, uint32_t p)
{
	for (size_t i = 0; i < sp->nowned; i++)
		if (p >= sp->owned[i].first && p - sp->owned[i].first < sp->owned[i].count)
			return 1;
	return 0;
}

static int has_avail(const ese_space *sp, uint32_t p)
{
	for (size_t i = 0; i < sp->navail; i++)
		if (p >= sp->avail[i].first && p - sp->avail[i].first < sp->avail[i].count)
			return 1;
	return 0;
}

/* Single-extent objects as ESE keeps small trees: a table of one extent
 * whose children take their root pages from it (after its own root was
 * written: the header is written again), and a child that outgrows its
 * page, which converts it and, its parent's extent being used up, the
 * parent too.  Read back: the space headers, the extents each owns and
 * lists available, the entries, the checksums. */
START_TEST(test_writer_single_extent)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/single.edb", tmpdir);
	ese_writer *w;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_writer_create(path, 4096, 0, 3, &w, &st), 0);
	ese_wobj *root = ese_writer_root(w);
	/* table 8: 3 pages, two one-page children, nothing grows */
	ese_wobj *t8 = single_tree(w, root, 8, 3, 0, 5);
	ese_wobj *a = single_tree(w, t8, 9, 1, ESE_PF_INDEX, 3), *b = single_tree(w, t8, 10, 1, ESE_PF_INDEX, 0);
	/* table 11: 2 pages; child 12 takes the second, child 13 grows past
	 * one page, converts, and takes its new extent from 11, which has none
	 * left and converts in turn */
	ese_wobj *t11 = single_tree(w, root, 11, 2, 0, 7);
	ese_wobj *c12 = single_tree(w, t11, 12, 1, ESE_PF_INDEX, 0), *c13 = single_tree(w, t11, 13, 1, ESE_PF_INDEX, 3000);
	ck_assert_ptr_null(ese_writer_object_single(w, t11, 14, 34, 0, NULL));
	uint32_t f8 = ese_wobj_fdp(t8), f9 = ese_wobj_fdp(a), f10 = ese_wobj_fdp(b);
	uint32_t f11 = ese_wobj_fdp(t11), f12 = ese_wobj_fdp(c12), f13 = ese_wobj_fdp(c13);
	ck_assert_msg(ese_writer_commit(w, &st) == 0, "%s", st.msg);

	ese_db *db;
	ck_assert_msg(ese_db_open(path, 0, &db, &st) == 0, "%s", st.msg);
	ese_space s8, s9, s10, s11, s12, s13;
	ck_assert_msg(ese_space_read(db, f8, 8, &s8, &st) == 0, "%s", st.msg);
	ck_assert_int_eq(ese_space_read(db, f9, 9, &s9, &st), 0);
	ck_assert_int_eq(ese_space_read(db, f10, 10, &s10, &st), 0);
	ck_assert_int_eq(ese_space_read(db, f11, 11, &s11, &st), 0);
	ck_assert_int_eq(ese_space_read(db, f12, 12, &s12, &st), 0);
	ck_assert_msg(ese_space_read(db, f13, 13, &s13, &st) == 0, "%s", st.msg);
	/* 8: one extent of 3, both spare pages given to 9 and 10 */
	ck_assert_uint_eq(s8.hdr.flags & 1, 0);
	ck_assert_uint_eq(s8.hdr.cpg_primary, 3);
	ck_assert_uint_eq(s8.nowned, 1);
	ck_assert_uint_eq(s8.navail, 0);
	ck_assert(f9 == f8 + 1 && f10 == f8 + 2);
	ck_assert(s9.hdr.flags == 0 && s9.nowned == 1 && s9.owned[0].count == 1 && s9.navail == 0);
	ck_assert(s10.hdr.flags == 0 && s10.nowned == 1 && s10.navail == 0);
	ck_assert_uint_eq(s9.hdr.pgno_parent, f8);
	/* 11 and 13 converted: multiple-extent, 13's pages all its own */
	ck_assert_uint_eq(s11.hdr.flags & 1, 1);
	ck_assert_uint_eq(s13.hdr.flags & 1, 1);
	ck_assert_uint_eq(s12.hdr.flags & 1, 0);
	ck_assert(owns(&s11, f11) && owns(&s11, f12) && owns(&s11, f13));
	ck_assert(!has_avail(&s11, f12) && !has_avail(&s11, f13));
	for (size_t i = 0; i < s13.nowned; i++)
		for (uint32_t p = s13.owned[i].first; p < s13.owned[i].first + s13.owned[i].count; p++) {
			ck_assert(owns(&s11, p));
			ck_assert(!has_avail(&s11, p));
		}
	ck_assert(!owns(&s8, f11) && !owns(&s11, f8));
	ck_assert_uint_eq(count_entries(db, f8, 8), 5);
	ck_assert_uint_eq(count_entries(db, f9, 9), 3);
	ck_assert_uint_eq(count_entries(db, f10, 10), 0);
	ck_assert_uint_eq(count_entries(db, f11, 11), 7);
	ck_assert_uint_eq(count_entries(db, f12, 12), 0);
	ck_assert_uint_eq(count_entries(db, f13, 13), 3000);
	uint8_t *page = malloc(4096);
	for (uint32_t p = 1; p <= ese_db_page_count(db); p++) {
		int e = ese_db_read_page(db, p, page, NULL);
		ck_assert(e == 0 || e == JET_errPageNotInitialized);   /* available pages are never written */
	}
	free(page);
	ese_space *all[] = { &s8, &s9, &s10, &s11, &s12, &s13 };
	for (size_t i = 0; i < 6; i++)
		ese_space_free(all[i]);
	ese_db_close(db);
}
END_TEST

START_TEST(test_writer_refuses_and_cleans_up)
{
	char path[256], tmp[300];
	snprintf(path, sizeof(path), "%s/exists.edb", tmpdir);
	FILE *f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("keep me", f);
	fclose(f);
	ese_writer *w;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_writer_create(path, 4096, 0, 1, &w, &st), JET_errInvalidPath);
	ck_assert_ptr_nonnull(strstr(st.msg, "already exists"));
	ck_assert_int_eq(ese_writer_create(path, 3000, ESE_CREATE_REPLACE, 1, &w, NULL), JET_errInvalidParameter);
	/* replace: the old file stays until commit; abort leaves it and no temp */
	ck_assert_int_eq(ese_writer_create(path, 4096, ESE_CREATE_REPLACE, 1, &w, NULL), 0);
	snprintf(tmp, sizeof(tmp), "%s", ese_writer_temp_path(w));
	struct stat sb;
	ck_assert_int_eq(stat(tmp, &sb), 0);
	ck_assert_uint_eq(sb.st_mode & 0777, 0600);
	ese_writer_abort(w);
	ck_assert_int_ne(stat(tmp, &sb), 0);
	ck_assert_int_eq(stat(path, &sb), 0);
	ck_assert_int_eq(sb.st_size, 7);
	/* commit replaces it with a valid database */
	ck_assert_int_eq(ese_writer_create(path, 8192, ESE_CREATE_REPLACE, 1, &w, NULL), 0);
	ck_assert_int_eq(ese_writer_commit(w, &st), 0);
	ese_db *db;
	ck_assert_int_eq(ese_db_open(path, 0, &db, &st), 0);
	ck_assert_uint_eq(ese_db_header(db)->state, ESE_DBSTATE_CLEAN);
	ck_assert(ese_db_header_state(db)->identical);
	ese_db_close(db);
	/* a directory that cannot be written: clear error, nothing left */
	if (geteuid() != 0) {
		char ro[200];
		snprintf(ro, sizeof(ro), "%s/ro", tmpdir);
		mkdir(ro, 0500);
		snprintf(path, sizeof(path), "%s/x.edb", ro);
		ck_assert_int_eq(ese_writer_create(path, 4096, 0, 1, &w, &st), JET_errFileAccessDenied);
	}
}
END_TEST

START_TEST(test_writer_deterministic)
{
	char a[256], b[256];
	for (int k = 0; k < 2; k++) {
		snprintf(k ? b : a, 256, "%s/det%d.edb", tmpdir, k);
		ese_writer *w;
		ck_assert_int_eq(ese_writer_create(k ? b : a, 4096, 0, 99, &w, NULL), 0);
		ese_wobj *o = ese_writer_object(w, ese_writer_root(w), 8, 0, 3, 0, NULL);
		ese_bulk *bk;
		ck_assert_int_eq(ese_bulk_open(w, o, 1, 90, &bk, NULL), 0);
		for (uint32_t i = 0; i < 5000; i++) {
			uint8_t key[4];
			put_be32(key, i);
			ck_assert_int_eq(ese_bulk_add(bk, key, 4, key, 4, NULL), 0);
		}
		ck_assert_int_eq(ese_bulk_finish(bk, NULL), 0);
		ck_assert_int_eq(ese_writer_commit(w, NULL), 0);
	}
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", a, b);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* Rows 1..20000 of tables a and b, interleaved (every third row to b). */
static void insert_interleaved(ese_creator *c)
{
	ese_status st = { 0 };
	for (uint32_t i = 1; i <= 20000; i++) {
		uint8_t id[4], grp[4], data[200];
		put_le32(id, i);
		put_le32(grp, i % 37);
		memset(data, (int)(i & 0xff), sizeof(data));
		ese_create_value v[3] = { { 0, id, 4 }, { 1, grp, 4 }, { 2, data, 50 + i % 150 } };
		ck_assert_msg(ese_create_insert(c, i % 3 == 0, v, 3, &st) == 0, "%s", st.msg);
	}
}

/* ESE_TABLE_IN_ORDER: two declared tables whose inserts interleave (the
 * first streams, the second is sorted: it may not stream while the first
 * does) give the same bytes as the same inserts undeclared, pass /g, and a
 * row out of order in the streaming table is refused. */
START_TEST(test_create_in_order_tables)
{
	static const ese_create_column cols[] = {
		{ "Id", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
		{ "Grp", JET_coltypLong, 0, 0, 0 },
		{ "Data", JET_coltypBinary, 200, 0, 0 },
	};
	static const ese_create_index ix[] = { { "PK", "+Id", ESE_IDX_PRIMARY }, { "ByGrp", "+Grp", 0 } };
	char path[2][256];
	for (int declared = 0; declared < 2; declared++) {
		unsigned fl = declared ? ESE_TABLE_IN_ORDER : 0;
		ese_create_table tabs[2] = { { "a", cols, 3, ix, 2, 0, fl }, { "b", cols, 3, ix, 2, 0, fl } };
		snprintf(path[declared], sizeof(path[declared]), "%s/order%d.edb", tmpdir, declared);
		ese_creator *c;
		ese_status st = { 0 };
		ck_assert_int_eq(ese_create_open(path[declared], 4096, 0, 5, tabs, 2, 90, &c, &st), 0);
		insert_interleaved(c);
		if (declared) {
			/* table a streams: a key below the last is refused */
			uint8_t id[4];
			put_le32(id, 5);
			ese_create_value v[1] = { { 0, id, 4 } };
			ck_assert_int_eq(ese_create_insert(c, 0, v, 1, &st), -1605);
			ese_create_abort(c);
			/* again without the bad row, to compare */
			ck_assert_int_eq(ese_create_open(path[declared], 4096, 0, 5, tabs, 2, 90, &c, &st), 0);
			insert_interleaved(c);
		}
		ck_assert_msg(ese_create_commit(c, &st) == 0, "%s", st.msg);
	}
	char cmd[700];
	snprintf(cmd, sizeof(cmd), "cmp -s %s %s", path[0], path[1]);
	ck_assert_int_eq(system(cmd), 0);
	ese_db *db;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_db_open(path[1], ESE_OPEN_RDONLY, &db, &st), 0);
	ese_reporter rep;
	ese_reporter_init(&rep, stderr, NULL, 10);
	ese_integrity res;
	ck_assert_int_eq(ese_integrity_check(db, &rep, &res, &st), 0);
	ck_assert_uint_eq(rep.total, 0);
	ck_assert_uint_ge(res.records, 20000);
	ese_integrity_free(&res);
	ese_db_close(db);
}
END_TEST

Suite *suite_writer(void)
{
	Suite *s = suite_create("writer");
	TCase *tc = tcase_create("write");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 120);
	tcase_add_test(tc, test_page_builder_roundtrip);
	tcase_add_test(tc, test_sorter_spills_and_merges);
	tcase_add_test(tc, test_sorter_in_order_input);
	tcase_add_test(tc, test_sorter_order_rule);
	tcase_add_loop_test(tc, test_bulk_all_page_sizes, 0, 5);
	tcase_add_test(tc, test_writer_refuses_and_cleans_up);
	tcase_add_test(tc, test_writer_single_extent);
	tcase_add_test(tc, test_writer_deterministic);
	tcase_add_test(tc, test_create_in_order_tables);
	suite_add_tcase(s, tc);
	return s;
}
