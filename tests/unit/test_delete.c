/*
 * test_delete.c - deleting records in place (include/ese_delete.h).
 *
 * Every case makes a database with the test generator (build/tests/ese-gen:
 * table `items` with a primary key, three secondary indexes and separated
 * long values; table `notes` without a primary index), proves it clean,
 * snapshots the table (records, their long values), deletes a pattern of
 * records, and then checks the result through the reader only:
 *  - eseutil /g (ese_integrity_check) reports nothing;
 *  - the data tree holds exactly the records kept, byte for byte;
 *  - every secondary index holds exactly the entries the kept records
 *    make (keys recomputed with ese_index_keys), nothing else;
 *  - long values of deleted records are gone, those of kept ones read back
 *    unchanged;
 *  - the available space /ms reports grew by exactly the pages freed;
 *  - both header copies are identical, Clean, with a later dbtime.
 * Index entries alone (ese_delete_index_entry).
 * Error paths: unknown key or table, a second delete, a locked file, a
 * read-only file, a dirty header, a missing long value (strict / lenient);
 * each failure must leave the file byte for byte as it was.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suites.h"
#include "bytes.h"
#include "ese_catalog.h"
#include "ese_cursor.h"
#include "ese_db.h"
#include "ese_dbheader.h"
#include "ese_defrag.h"
#include "ese_delete.h"
#include "ese_integrity.h"
#include "ese_key.h"
#include "ese_lv.h"
#include "ese_page.h"
#include "ese_problem.h"
#include "ese_record.h"

Suite *suite_delete(void);

static char tmpdir[] = "/tmp/ese-delete-XXXXXX";

static void setup(void) { ck_assert_ptr_nonnull(mkdtemp(tmpdir)); }
static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(tmpdir, "/tmp/ese-delete-XXXXXX");
}

static const char *build_dir(void)
{
	const char *b = getenv("BUILD");
	return b && *b ? b : "build";
}

/* Makes tmpdir/name with the generator; path receives its path. */
static void gen(const char *name, uint32_t ps, unsigned rows, char *path, size_t cap)
{
	char cmd[1024];
	snprintf(path, cap, "%s/%s", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "%s/tests/ese-gen %s --rows %u --page-size %u --seed 7 >/dev/null", build_dir(), path,
	         rows, ps);
	ck_assert_msg(system(cmd) == 0, "%s failed (run from the repository root after make all)", cmd);
}

/* FNV-1a of the whole file: "unchanged" means this is equal. */
static uint64_t file_hash(const char *path)
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	uint64_t h = 1469598103934665603ull;
	int c;
	while ((c = getc(f)) != EOF)
		h = (h ^ (uint8_t)c) * 1099511628211ull;
	fclose(f);
	return h;
}

static uint64_t bytes_hash(const uint8_t *p, size_t n)
{
	uint64_t h = 1469598103934665603ull;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 1099511628211ull;
	return h;
}

/* ---- integrity ---------------------------------------------------------- */

/* Runs /g on path; returns the number of findings (printed to stderr
 * unless `expect_findings`). */
static uint64_t integrity_run(const char *path, ese_integrity *res, int expect_findings)
{
	ese_db *db;
	ese_status st = { 0 };
	ck_assert_msg(ese_db_open(path, ESE_OPEN_RDONLY, &db, &st) == 0, "%s", st.msg);
	ese_reporter rep;
	ese_reporter_init(&rep, NULL, NULL, 0);
	ck_assert_int_eq(ese_integrity_check(db, &rep, res, &st), 0);
	if (rep.total && !expect_findings) {
		ese_integrity again;
		ese_reporter loud;
		ese_reporter_init(&loud, stderr, NULL, 20);
		ese_integrity_check(db, &loud, &again, &st);
		ese_integrity_free(&again);
	}
	ese_db_close(db);
	return rep.total;
}

static uint64_t integrity(const char *path, ese_integrity *res) { return integrity_run(path, res, 0); }

static uint64_t avail_total(const ese_integrity *res)
{
	uint64_t n = 0;
	for (size_t i = 0; i < res->ntrees; i++)
		n += res->trees[i].avail;
	return n;
}

static const ese_tree_stats *tree_stats(const ese_integrity *res, const char *table, const char *name)
{
	for (size_t i = 0; i < res->ntrees; i++)
		if (res->trees[i].table && !strcmp(res->trees[i].table, table) && !strcmp(res->trees[i].name, name))
			return &res->trees[i];
	ck_abort_msg("no tree %s/%s", table, name);
	return NULL;
}

/* ---- a snapshot of a table ---------------------------------------------- */

#define MAXLID 8

struct rec {
	uint8_t key[32];
	size_t klen;
	uint8_t *data;
	size_t dlen;
	size_t nlids;
	uint8_t lid[MAXLID][8];
	size_t lidlen[MAXLID];
	size_t lvlen[MAXLID];
	uint64_t lvhash[MAXLID];
};

struct snap {
	struct rec *r;
	size_t n;
};

static void snap_free(struct snap *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->r[i].data);
	free(s->r);
	memset(s, 0, sizeof(*s));
}

/* Every record of table (key order), its separated long values read back. */
static void snapshot(const char *path, const char *table, struct snap *s)
{
	ese_test_table tt;
	ese_status st = { 0 };
	ese_test_table_open(path, table, &tt);
	ese_db *db = tt.db;
	const ese_table *t = tt.t;
	ese_cursor *c = tt.c;
	int large = tt.large;
	size_t cap = 0;
	memset(s, 0, sizeof(*s));
	ese_sbuf lv;
	ese_sbuf_init(&lv);
	for (int err = ese_cursor_first(c, &st); err != JET_errRecordNotFound; err = ese_cursor_next(c, &st)) {
		ck_assert_int_eq(err, 0);
		if (s->n == cap) {
			cap = cap ? cap * 2 : 256;
			s->r = realloc(s->r, cap * sizeof(*s->r));
			ck_assert_ptr_nonnull(s->r);
		}
		struct rec *r = &s->r[s->n++];
		memset(r, 0, sizeof(*r));
		const uint8_t *k = ese_cursor_key(c, &r->klen), *d = ese_cursor_data(c, &r->dlen);
		ck_assert_uint_le(r->klen, sizeof(r->key));
		memcpy(r->key, k, r->klen);
		r->data = malloc(r->dlen);
		memcpy(r->data, d, r->dlen);
		ese_record rec;
		ck_assert_int_eq(ese_record_parse(&rec, r->data, r->dlen, large, &st), 0);
		for (size_t i = 0; i < rec.ntagged; i++) {
			uint32_t fid;
			ese_colval v;
			ck_assert_int_eq(ese_record_tagged_at(&rec, i, &fid, &v, &st), 0);
			for (size_t j = 0; v.present && j < ese_colval_count(&v); j++) {
				const uint8_t *p;
				size_t n;
				int sep;
				ck_assert_int_eq(ese_colval_instance(&v, j, &p, &n, &sep, &st), 0);
				if (!sep)
					continue;
				ck_assert_uint_lt(r->nlids, MAXLID);
				size_t x = r->nlids++;
				memcpy(r->lid[x], p, n);
				r->lidlen[x] = n;
				uint32_t refs = 0;
				ck_assert_int_eq(ese_lv_read(db, t, p, n, &lv, &refs, &st), 0);
				ck_assert_uint_eq(refs, 1);
				r->lvlen[x] = lv.len;
				r->lvhash[x] = bytes_hash((const uint8_t *)lv.data, lv.len);
			}
		}
	}
	ese_sbuf_free(&lv);
	ese_test_table_close(&tt);
}

/* ---- index entries -------------------------------------------------------- */

struct entry {
	uint8_t *b;               /* key then data */
	size_t klen, dlen;
};

static int cmp_entry(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	size_t n = x->klen < y->klen ? x->klen : y->klen;
	int c = n ? memcmp(x->b, y->b, n) : 0;
	if (c || x->klen != y->klen)
		return c ? c : (x->klen < y->klen ? -1 : 1);
	n = x->dlen < y->dlen ? x->dlen : y->dlen;
	c = n ? memcmp(x->b + x->klen, y->b + y->klen, n) : 0;
	return c ? c : (x->dlen < y->dlen ? -1 : x->dlen > y->dlen);
}

static void push_entry(struct entry **arr, size_t *n, size_t *cap, const uint8_t *k, size_t kl, const uint8_t *d,
                       size_t dl)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 256;
		*arr = realloc(*arr, *cap * sizeof(**arr));
		ck_assert_ptr_nonnull(*arr);
	}
	struct entry *e = &(*arr)[(*n)++];
	e->b = malloc(kl + dl + 1);
	memcpy(e->b, k, kl);
	memcpy(e->b + kl, d, dl);
	e->klen = kl;
	e->dlen = dl;
}

static void free_entries(struct entry *arr, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(arr[i].b);
	free(arr);
}

struct lvctx {
	ese_db *db;
	const ese_table *t;
};

static int lv_reader(void *ctx, const uint8_t *lid, size_t lidlen, ese_sbuf *out, ese_status *st)
{
	struct lvctx *c = ctx;
	return ese_lv_read(c->db, c->t, lid, lidlen, out, NULL, st);
}

/* ---- the state after deleting ------------------------------------------- */

/* Checks that table holds exactly the records s->r[i] with keep[i], that
 * every index holds exactly their entries and that long values went with
 * the records. */
static void check_contents(const char *path, const char *table, const struct snap *s, const int *keep)
{
	ese_db *db;
	ese_catalog *cat;
	ese_cursor *c;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_db_open(path, ESE_OPEN_RDONLY, &db, &st), 0);
	ck_assert_int_eq(ese_catalog_load(db, 4, &cat, &st), 0);
	const ese_table *t = ese_catalog_find_table(cat, table);
	int large = ese_page_is_large(ese_db_page_size(db));
	/* the data tree */
	ck_assert_int_eq(ese_cursor_open(db, t->pgno_fdp, t->objid, &c, &st), 0);
	int err = ese_cursor_first(c, &st);
	for (size_t i = 0; i < s->n; i++) {
		if (!keep[i])
			continue;
		ck_assert_msg(err == 0, "record %zu of the snapshot is missing", i);
		size_t kl, dl;
		const uint8_t *k = ese_cursor_key(c, &kl), *d = ese_cursor_data(c, &dl);
		ck_assert_uint_eq(kl, s->r[i].klen);
		ck_assert_mem_eq(k, s->r[i].key, kl);
		ck_assert_uint_eq(dl, s->r[i].dlen);
		ck_assert_mem_eq(d, s->r[i].data, dl);
		err = ese_cursor_next(c, &st);
	}
	ck_assert_int_eq(err, JET_errRecordNotFound);
	ese_cursor_close(c);
	/* every secondary index: exactly the kept records' entries */
	struct lvctx lc = { db, t };
	ese_keylist kl;
	ese_keylist_init(&kl);
	for (size_t x = 0; x < t->nindexes; x++) {
		const ese_index *ix = &t->indexes[x];
		if (ix->objid == t->objid)
			continue;
		struct entry *want = NULL, *have = NULL;
		size_t nw = 0, cw = 0, nh = 0, ch = 0;
		for (size_t i = 0; i < s->n; i++) {
			if (!keep[i])
				continue;
			ese_record r;
			ck_assert_int_eq(ese_record_parse(&r, s->r[i].data, s->r[i].dlen, large, &st), 0);
			ck_assert_int_eq(ese_index_keys(t, ix, NULL, &r, lv_reader, &lc, &kl, &st), 0);
			for (size_t k = 0; k < kl.n; k++) {
				size_t len;
				const uint8_t *key = ese_keylist_key(&kl, k, &len);
				push_entry(&want, &nw, &cw, key, len, s->r[i].key, s->r[i].klen);
			}
		}
		ck_assert_int_eq(ese_cursor_open(db, ix->pgno_fdp, ix->objid, &c, &st), 0);
		for (err = ese_cursor_first(c, &st); err == 0; err = ese_cursor_next(c, &st)) {
			size_t klen, dlen;
			const uint8_t *k = ese_cursor_key(c, &klen), *d = ese_cursor_data(c, &dlen);
			push_entry(&have, &nh, &ch, k, klen, d, dlen);
		}
		ck_assert_int_eq(err, JET_errRecordNotFound);
		ese_cursor_close(c);
		ck_assert_msg(nh == nw, "index %s: %zu entries, the kept records make %zu", ix->name, nh, nw);
		if (nw > 1)
			qsort(want, nw, sizeof(*want), cmp_entry);
		if (nh > 1)
			qsort(have, nh, sizeof(*have), cmp_entry);
		for (size_t i = 0; i < nw; i++)
			ck_assert_msg(cmp_entry(&want[i], &have[i]) == 0, "index %s: entry %zu differs", ix->name, i);
		free_entries(want, nw);
		free_entries(have, nh);
	}
	ese_keylist_free(&kl);
	/* long values: gone with their records, intact otherwise */
	ese_sbuf lv;
	ese_sbuf_init(&lv);
	for (size_t i = 0; i < s->n; i++) {
		for (size_t k = 0; k < s->r[i].nlids; k++) {
			uint32_t refs = 0;
			ese_status lst = { 0 };
			err = ese_lv_read(db, t, s->r[i].lid[k], s->r[i].lidlen[k], &lv, &refs, &lst);
			if (!keep[i]) {
				ck_assert_msg(err == JET_errRecordNotFound, "record %zu: its long value %zu is still there (%d)", i,
				              k, err);
				continue;
			}
			ck_assert_msg(err == 0, "record %zu: long value %zu: %s", i, k, lst.msg);
			ck_assert_uint_eq(refs, 1);
			ck_assert_uint_eq(lv.len, s->r[i].lvlen[k]);
			ck_assert(bytes_hash((const uint8_t *)lv.data, lv.len) == s->r[i].lvhash[k]);
		}
	}
	ese_sbuf_free(&lv);
	ese_catalog_free(cat);
	ese_db_close(db);
}

/* Both header copies: identical, valid, Clean; returns the dbtime. */
static uint64_t check_header(const char *path, uint32_t ps)
{
	uint8_t *a = malloc(ps), *b = malloc(ps);
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(a, 1, ps, f), ps);
	ck_assert_uint_eq(fread(b, 1, ps, f), ps);
	fclose(f);
	ck_assert_mem_eq(a, b, ps);
	ck_assert_int_eq(ese_dbheader_check(a, ps, NULL), 0);
	ese_dbheader h;
	ese_dbheader_decode(&h, a, ps);
	ck_assert_uint_eq(h.state, ESE_DBSTATE_CLEAN);
	free(a);
	free(b);
	return h.dbtime;
}

/* ---- the cases ------------------------------------------------------------ */

enum pattern { ONE, RANGE, EVERY_OTHER, NINETY, ALL, SCATTER };

/* NINETY keeps one block of `block` records in ten: the deleted runs
 * (9 blocks) must outgrow a leaf of every tree that is in Id order. */
static int picked(enum pattern p, size_t i, size_t n, size_t block)
{
	switch (p) {
	case ONE: return i == (n / 2) / 50 * 50;       /* a row with two separated long values */
	case RANGE: return i >= n / 8 && i < 7 * n / 8;
	case EVERY_OTHER: return i % 2 == 1;
	case NINETY: return (i / block) % 10 != 3;
	case ALL: return 1;
	case SCATTER: return i % (3 * block) >= block;
	}
	return 0;
}

struct outcome {
	ese_delete_stats stats;
	ese_integrity before, after;
	size_t deleted, n;
};

/* Generates, deletes pattern p from table, checks everything that holds
 * for any pattern; the caller checks what is particular to p. */
static void run_case(uint32_t ps, unsigned rows, size_t block, const char *table, enum pattern p,
                     struct outcome *o)
{
	char path[512];
	memset(o, 0, sizeof(*o));
	gen("t.edb", ps, rows, path, sizeof(path));
	ck_assert_uint_eq(integrity(path, &o->before), 0);
	uint64_t dbtime0 = check_header(path, ps);
	struct snap s;
	snapshot(path, table, &s);
	o->n = s.n;
	int *keep = calloc(s.n, sizeof(int));
	ese_deleter *d;
	ese_status st = { 0 };
	ck_assert_msg(ese_delete_open(path, 0, &d, &st) == 0, "%s", st.msg);
	for (size_t i = 0; i < s.n; i++) {
		keep[i] = !picked(p, i, s.n, block);
		if (keep[i])
			continue;
		ck_assert_msg(ese_delete_record(d, table, s.r[i].key, s.r[i].klen, &st) == 0, "record %zu: %s", i, st.msg);
		o->deleted++;
	}
	o->stats = *ese_delete_get_stats(d);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ck_assert_uint_eq(o->stats.records, o->deleted);
	ck_assert_uint_eq(o->stats.missing, 0);
	ck_assert_uint_eq(o->stats.index_scans, 0);    /* every key was computed and found */
	ck_assert_uint_gt(check_header(path, ps), dbtime0);
	ck_assert_uint_eq(integrity(path, &o->after), 0);
	check_contents(path, table, &s, keep);
	/* /ms: the available space grew by exactly the pages freed, less those
	 * that available-extent trees took to grow */
	ck_assert_uint_eq(avail_total(&o->after), avail_total(&o->before) + o->stats.pages_freed - o->stats.space_pages);
	ck_assert_uint_eq(o->after.pages_leaked, 0);
	free(keep);
	snap_free(&s);
}

static void outcome_free(struct outcome *o)
{
	ese_integrity_free(&o->before);
	ese_integrity_free(&o->after);
}

static const uint32_t page_sizes[] = { 4096, 32768 };
static const unsigned rows_for[] = { 2000, 6000 };
static const size_t block_for[] = { 37, 300 };   /* ByName leaves: ~130 / ~1000 entries */

START_TEST(test_delete_one)
{
	struct outcome o;
	run_case(page_sizes[_i], rows_for[_i], block_for[_i], "items", ONE, &o);
	ck_assert_uint_eq(o.deleted, 1);
	ck_assert_uint_eq(o.stats.index_entries, 3);  /* ByGroup, ByName, ByWhenDesc */
	ck_assert_uint_eq(o.stats.lvs_deleted, 2);    /* Body and Attachment */
	outcome_free(&o);
}
END_TEST

START_TEST(test_delete_range)
{
	struct outcome o;
	run_case(page_sizes[_i], rows_for[_i], block_for[_i], "items", RANGE, &o);
	ck_assert_uint_eq(o.stats.index_entries, 3 * o.deleted);
	/* whole data leaves emptied: they went back to the table's space */
	ck_assert_uint_gt(tree_stats(&o.after, "items", "items")->avail, tree_stats(&o.before, "items", "items")->avail);
	ck_assert_uint_lt(tree_stats(&o.after, "items", "items")->leaf_pages,
	                  tree_stats(&o.before, "items", "items")->leaf_pages);
	/* at 4 KiB the long-value tree has three levels; 3/4 of it in one
	 * run empties a whole parent-of-leaf page, which leaves its parent */
	if (page_sizes[_i] == 4096) {
		ck_assert_uint_eq(tree_stats(&o.before, "items", "<Long Values>")->depth, 3);
		ck_assert_uint_gt(o.stats.internal_freed, 0);
		ck_assert_uint_lt(tree_stats(&o.after, "items", "<Long Values>")->internal_pages,
		                  tree_stats(&o.before, "items", "<Long Values>")->internal_pages);
	}
	outcome_free(&o);
}
END_TEST

START_TEST(test_delete_every_other)
{
	struct outcome o;
	run_case(page_sizes[_i], rows_for[_i], block_for[_i], "items", EVERY_OTHER, &o);
	ck_assert_uint_eq(o.deleted, o.n / 2);
	ck_assert_uint_eq(o.stats.index_entries, 3 * o.deleted);
	/* sparse leaves: the same data pages, half the entries */
	const ese_tree_stats *b = tree_stats(&o.before, "items", "items"), *a = tree_stats(&o.after, "items", "items");
	ck_assert_uint_eq(a->leaf_pages, b->leaf_pages);
	ck_assert_uint_eq(a->entries, b->entries - o.deleted);
	ck_assert_uint_gt(a->leaf_bytes_free, b->leaf_bytes_free);
	outcome_free(&o);
}
END_TEST

START_TEST(test_delete_ninety_percent)
{
	struct outcome o;
	run_case(page_sizes[_i], rows_for[_i], block_for[_i], "items", NINETY, &o);
	ck_assert_uint_gt(o.deleted, o.n * 85 / 100);
	ck_assert_uint_gt(o.stats.pages_freed, 0);
	/* emptied leaves of the data tree, the long values and the index on
	 * Name (key order = Id order) went to their trees' available space */
	static const char *const trees[] = { "items", "<Long Values>", "ByName" };
	for (size_t k = 0; k < 3; k++) {
		const ese_tree_stats *b = tree_stats(&o.before, "items", trees[k]), *a = tree_stats(&o.after, "items", trees[k]);
		ck_assert_msg(a->avail > b->avail, "%s: available %llu, before %llu", trees[k], (unsigned long long)a->avail,
		              (unsigned long long)b->avail);
		ck_assert_uint_lt(a->pages, b->pages);
		ck_assert_uint_eq(a->owned, b->owned);
	}
	outcome_free(&o);
}
END_TEST

/* Two rows in three go, in runs of twice `block` rows with `block` kept
 * between them: each run empties a leaf or two that no neighbour joins,
 * so the freed pages are many extents of a page or two, more than one
 * page of an available-extent tree holds.  The trees grow (their pages
 * taken from the pages being freed) and /g, /ms and the contents agree. */
START_TEST(test_delete_scattered)
{
	struct outcome o;
	run_case(4096, 24000, 11, "items", SCATTER, &o);
	ck_assert_uint_gt(o.deleted, o.n * 6 / 10);
	ck_assert_uint_gt(o.stats.space_pages, 0);
	const ese_tree_stats *b = tree_stats(&o.before, "items", "items"), *a = tree_stats(&o.after, "items", "items");
	ck_assert_uint_eq(b->space_pages, 2);
	ck_assert_uint_gt(a->space_pages, 3);       /* OE root, AE root and its leaves */
	ck_assert_uint_gt(a->avail, b->avail + 500);
	ck_assert_uint_eq(a->owned, b->owned);
	outcome_free(&o);
}
END_TEST

START_TEST(test_delete_whole_table)
{
	/* every tree of items ends as its root, an empty leaf: internal pages
	 * left without children went level by level, the last child of each
	 * root turned it into a leaf */
	struct outcome o;
	run_case(page_sizes[_i], rows_for[_i], block_for[_i], "items", ALL, &o);
	static const char *const trees[] = { "items", "<Long Values>", "ByGroup", "ByName", "ByWhenDesc" };
	uint32_t deepest = 0;
	for (size_t k = 0; k < 5; k++) {
		const ese_tree_stats *b = tree_stats(&o.before, "items", trees[k]), *a = tree_stats(&o.after, "items", trees[k]);
		ck_assert_uint_gt(b->depth, 1);
		if (b->depth > deepest)
			deepest = b->depth;
		ck_assert_uint_eq(a->depth, 1);
		ck_assert_uint_eq(a->pages, 1);
		ck_assert_uint_eq(a->avail, b->avail + b->pages - 1);
	}
	if (deepest > 2)                           /* 4 KiB: the long values */
		ck_assert_uint_gt(o.stats.internal_freed, 0);
	outcome_free(&o);
}
END_TEST

START_TEST(test_delete_all_without_primary_index)
{
	/* notes: 4-byte DBK keys, no index; deleting everything leaves the
	 * root as an empty leaf and every other page available */
	struct outcome o;
	run_case(page_sizes[_i], rows_for[_i], block_for[_i], "notes", ALL, &o);
	const ese_tree_stats *b = tree_stats(&o.before, "notes", "notes"), *a = tree_stats(&o.after, "notes", "notes");
	ck_assert_uint_eq(a->pages, 1);            /* (entries also counts space-tree extents) */
	ck_assert_uint_eq(a->depth, 1);
	ck_assert_uint_eq(a->avail, b->avail + b->pages - 1);
	outcome_free(&o);
}
END_TEST

/* Every entry of index `index` of table, in key order. */
static void index_entries(const char *path, const char *table, const char *index, struct entry **arr, size_t *n)
{
	ese_db *db;
	ese_catalog *cat;
	ese_cursor *c;
	ese_status st = { 0 };
	size_t cap = 0;
	*arr = NULL;
	*n = 0;
	ck_assert_int_eq(ese_db_open(path, ESE_OPEN_RDONLY, &db, &st), 0);
	ck_assert_int_eq(ese_catalog_load(db, 4, &cat, &st), 0);
	const ese_table *t = ese_catalog_find_table(cat, table);
	const ese_index *ix = NULL;
	for (size_t i = 0; i < t->nindexes; i++)
		if (!strcmp(t->indexes[i].name, index))
			ix = &t->indexes[i];
	ck_assert_ptr_nonnull(ix);
	ck_assert_int_eq(ese_cursor_open(db, ix->pgno_fdp, ix->objid, &c, &st), 0);
	int err;
	for (err = ese_cursor_first(c, &st); err == 0; err = ese_cursor_next(c, &st)) {
		size_t kl, dl;
		const uint8_t *k = ese_cursor_key(c, &kl), *d = ese_cursor_data(c, &dl);
		push_entry(arr, n, &cap, k, kl, d, dl);
	}
	ck_assert_int_eq(err, JET_errRecordNotFound);
	ese_cursor_close(c);
	ese_catalog_free(cat);
	ese_db_close(db);
}

START_TEST(test_delete_index_entries)
{
	/* entries removed without their records (what isinteg will do with
	 * entries no record makes); /g proves the trees, the cursor the rest */
	char path[512];
	gen("i.edb", 4096, 2000, path, sizeof(path));
	ese_integrity before, after;
	ck_assert_uint_eq(integrity(path, &before), 0);
	struct entry *name, *when, *left;
	size_t nname, nwhen, nleft;
	index_entries(path, "items", "ByName", &name, &nname);
	index_entries(path, "items", "ByWhenDesc", &when, &nwhen);
	ese_deleter *d;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	/* refusals first: nothing may change */
	ck_assert_int_eq(ese_delete_index_entry(d, "items", "NoSuchIndex", name[0].b, name[0].klen, NULL, 0, NULL),
	                 JET_errIndexNotFound);
	ck_assert_int_eq(ese_delete_index_entry(d, "items", "PrimaryKey", name[0].b, name[0].klen, NULL, 0, NULL),
	                 JET_errIndexNotFound);
	ck_assert_int_eq(ese_delete_index_entry(d, "nope", "ByName", name[0].b, name[0].klen, NULL, 0, NULL),
	                 JET_errObjectNotFound);
	/* non-unique: the key with another record's primary key names no entry */
	uint8_t wrong[32];
	memcpy(wrong, name[0].b + name[0].klen, name[0].dlen);
	wrong[name[0].dlen - 1] ^= 1;
	ck_assert_int_eq(ese_delete_index_entry(d, "items", "ByName", name[0].b, name[0].klen, wrong, name[0].dlen, NULL),
	                 JET_errRecordNotFound);
	/* unique: the entry's data must match */
	memcpy(wrong, when[7].b + when[7].klen, when[7].dlen);
	wrong[when[7].dlen - 1] ^= 1;
	ck_assert_int_eq(ese_delete_index_entry(d, "items", "ByWhenDesc", when[7].b, when[7].klen, wrong, when[7].dlen,
	                                        NULL),
	                 JET_errRecordNotFound);
	ck_assert_uint_eq(ese_delete_get_stats(d)->pages_written, 0);
	ck_assert_int_eq(ese_delete_index_entry(d, "items", "ByWhenDesc", when[7].b, when[7].klen,
	                                        when[7].b + when[7].klen, when[7].dlen, &st),
	                 0);
	/* every ByName entry: the tree ends as an empty root leaf */
	for (size_t i = 0; i < nname; i++)
		ck_assert_msg(ese_delete_index_entry(d, "items", "ByName", name[i].b, name[i].klen, name[i].b + name[i].klen,
		                                     name[i].dlen, &st) == 0,
		              "entry %zu: %s", i, st.msg);
	ck_assert_uint_eq(ese_delete_get_stats(d)->index_entries, nname + 1);
	ck_assert_uint_eq(ese_delete_get_stats(d)->records, 0);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ck_assert_uint_eq(integrity(path, &after), 0);
	index_entries(path, "items", "ByName", &left, &nleft);
	ck_assert_uint_eq(nleft, 0);
	free_entries(left, nleft);
	index_entries(path, "items", "ByWhenDesc", &left, &nleft);
	ck_assert_uint_eq(nleft, nwhen - 1);
	for (size_t i = 0, j = 0; i < nwhen; i++) {
		if (i == 7)
			continue;
		ck_assert_int_eq(cmp_entry(&when[i], &left[j++]), 0);
	}
	const ese_tree_stats *b = tree_stats(&before, "items", "ByName"), *a = tree_stats(&after, "items", "ByName");
	ck_assert_uint_eq(a->pages, 1);
	ck_assert_uint_eq(a->avail, b->avail + b->pages - 1);
	ck_assert_uint_eq(tree_stats(&after, "items", "items")->pages, tree_stats(&before, "items", "items")->pages);
	free_entries(left, nleft);
	free_entries(name, nname);
	free_entries(when, nwhen);
	ese_integrity_free(&before);
	ese_integrity_free(&after);
}
END_TEST

/* ---- error paths ------------------------------------------------------------ */

START_TEST(test_delete_errors_leave_file_unchanged)
{
	char path[512];
	gen("e.edb", 4096, 300, path, sizeof(path));
	struct snap s;
	snapshot(path, "items", &s);
	uint64_t h0 = file_hash(path);
	ese_deleter *d;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	/* a key no record has: one past the last Id */
	uint8_t key[32];
	memcpy(key, s.r[s.n - 1].key, s.r[s.n - 1].klen);
	key[s.r[s.n - 1].klen - 1]++;
	ck_assert_int_eq(ese_delete_record(d, "items", key, s.r[s.n - 1].klen, &st), JET_errRecordNotFound);
	ck_assert_int_eq(ese_delete_record(d, "items", key, 0, NULL), JET_errRecordNotFound);
	ck_assert_int_eq(ese_delete_record(d, "no such table", s.r[0].key, s.r[0].klen, NULL), JET_errObjectNotFound);
	ck_assert_uint_eq(ese_delete_get_stats(d)->pages_written, 0);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ck_assert(file_hash(path) == h0);          /* nothing written, not even the header */
	/* the same record twice */
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	ck_assert_int_eq(ese_delete_record(d, "items", s.r[5].key, s.r[5].klen, &st), 0);
	ck_assert_int_eq(ese_delete_record(d, "items", s.r[5].key, s.r[5].klen, &st), JET_errRecordNotFound);
	ck_assert_uint_eq(ese_delete_get_stats(d)->records, 1);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ck_assert_uint_eq(integrity(path, NULL), 0);
	snap_free(&s);
}
END_TEST

START_TEST(test_delete_refuses_locked_readonly_dirty)
{
	char path[512];
	gen("l.edb", 4096, 100, path, sizeof(path));
	ese_db *db;
	ese_deleter *d = NULL;
	ese_status st = { 0 };
	/* a reader holds the file: no deleter */
	ck_assert_int_eq(ese_db_open(path, ESE_OPEN_RDONLY, &db, &st), 0);
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), JET_errFileAccessDenied);
	ck_assert_ptr_null(d);
	ese_db_close(db);
	/* a deleter holds it: no reader */
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	ck_assert_int_eq(ese_db_open(path, ESE_OPEN_RDONLY, &db, NULL), JET_errFileAccessDenied);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	/* read-only file (refused even when running as root) */
	uint64_t h0 = file_hash(path);
	ck_assert_int_eq(chmod(path, 0444), 0);
	st.err = 0;
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), JET_errDatabaseFileReadOnly);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(chmod(path, 0644), 0);
	ck_assert(file_hash(path) == h0);
	/* a header that is not Clean Shutdown */
	uint8_t page[4096];
	FILE *f = fopen(path, "r+b");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(page, 1, sizeof(page), f), sizeof(page));
	ese_dbheader h;
	ese_dbheader_decode(&h, page, sizeof(page));
	h.state = ESE_DBSTATE_DIRTY;
	ese_dbheader_encode(&h, page, sizeof(page));
	for (int copy = 0; copy < 2; copy++) {
		ck_assert_int_eq(fseek(f, copy * 4096L, SEEK_SET), 0);
		ck_assert_uint_eq(fwrite(page, 1, sizeof(page), f), sizeof(page));
	}
	fclose(f);
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), JET_errDatabaseDirtyShutdown);
	ck_assert_ptr_null(d);
	ck_assert_int_eq(ese_delete_open("/nonexistent/x.edb", 0, &d, &st), JET_errFileNotFound);
}
END_TEST

/* The primary key of the record at node tag of page pgno. */
static size_t record_key_at(const char *path, uint32_t pgno, unsigned tag, uint8_t *key)
{
	ese_db *db;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_db_open(path, ESE_OPEN_RDONLY, &db, &st), 0);
	uint8_t *buf = malloc(ese_db_page_size(db));
	ck_assert_int_eq(ese_db_read_page(db, pgno, buf, &st), 0);
	ese_page pg;
	ese_node n;
	ck_assert_int_eq(ese_page_parse(&pg, buf, ese_db_page_size(db), pgno, &st), 0);
	ck_assert_int_eq(ese_page_node(&pg, pgno, tag, &n, &st), 0);
	size_t len = ese_node_key(&n, key, 32);
	ck_assert_uint_ne(len, (size_t)-1);
	free(buf);
	ese_db_close(db);
	return len;
}

START_TEST(test_delete_missing_long_value)
{
	/* ese-corrupt lv-missing removes the root of a long value a record
	 * references: strict refuses (file unchanged), lenient deletes the
	 * record and the orphaned chunks, leaving a clean database */
	char path[512], bad[600], cmd[1600], line[512];
	gen("m.edb", 4096, 300, path, sizeof(path));
	snprintf(bad, sizeof(bad), "%s/m-bad.edb", tmpdir);
	snprintf(cmd, sizeof(cmd), "%s/tests/ese-corrupt lv-missing %s %s", build_dir(), path, bad);
	FILE *p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	ck_assert_ptr_nonnull(fgets(line, sizeof(line), p));
	ck_assert_int_eq(pclose(p), 0);
	unsigned pgno = 0, tag = 0;
	ck_assert_int_eq(sscanf(line, "lv-missing: page %u tag %u", &pgno, &tag), 2);
	uint8_t key[32];
	size_t klen = record_key_at(bad, pgno, tag, key);
	ck_assert_uint_gt(integrity_run(bad, NULL, 1), 0);
	uint64_t h0 = file_hash(bad);
	ese_deleter *d;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_delete_open(bad, 0, &d, &st), 0);
	ck_assert_int_eq(ese_delete_record(d, "items", key, klen, &st), JET_errLVCorrupted);
	ck_assert_uint_eq(ese_delete_get_stats(d)->records, 0);
	ck_assert_int_eq(ese_delete_close(d, NULL), 0);
	ck_assert(file_hash(bad) == h0);
	ck_assert_int_eq(ese_delete_open(bad, ESE_DELETE_LENIENT, &d, &st), 0);
	ck_assert_int_eq(ese_delete_record(d, "items", key, klen, &st), 0);
	ck_assert_uint_eq(ese_delete_get_stats(d)->missing, 1);
	ck_assert_int_eq(ese_delete_close(d, NULL), 0);
	ck_assert_uint_eq(integrity(bad, NULL), 0);
}
END_TEST

/* The i-th of n distinct index keys made up for IxLong (order shuffled). */
static void made_key(unsigned i, unsigned n, uint8_t *key, size_t len)
{
	key[0] = 0x7f;
	put_be32(key + 1, 0x10000000u + i * 7919u % n);
	memset(key + 5, 'a' + i % 26, len - 5);
}

/* A Windows-made index of one page and a single extent (index.edb: its
 * free pages a bitmap in its root) takes entries until its page is full:
 * it becomes a multiple-extent index (the roots of its new owned- and
 * available-extent trees from an extent of its table), its root's nodes
 * move down a level, its leaves split; /g is clean and every entry is
 * there.  Removing them all again gives the pages back: /g clean.  (The
 * entries all point at the table's one record under keys it does not
 * make: /g checks structure; the cursor checks the entries.) */
START_TEST(test_insert_single_extent_index)
{
	const char *src = "../shared/esedb-samples/index.edb.gz";
	if (access(src, R_OK) != 0) {
		printf("SKIP: %s not found (run from the repository root with ../shared/esedb-samples)\n", src);
		return;
	}
	char path[512], cmd[1200];
	snprintf(path, sizeof(path), "%s/index.edb", tmpdir);
	snprintf(cmd, sizeof(cmd), "gunzip -c '%s' > '%s'", src, path);
	ck_assert_int_eq(system(cmd), 0);
	if (_i == 1) {
		/* after /d: the table is single-extent too, its one extent's pages
		 * all given to its one-page trees, so IxLong's growth converts it */
		ese_defrag_opts o = { 0 };
		ese_defrag_result r;
		ese_status dst = { 0 };
		ck_assert_msg(ese_defrag(path, &o, &r, &dst) == 0, "%s", dst.msg);
	}
	struct entry *e;
	size_t n;
	index_entries(path, "index", "IxLong", &e, &n);
	ck_assert_uint_eq(n, 1);
	uint8_t pk[16];
	size_t pklen = e[0].dlen;
	ck_assert_uint_le(pklen, sizeof(pk));
	memcpy(pk, e[0].b + e[0].klen, pklen);
	free_entries(e, n);
	ese_integrity res;
	ck_assert_uint_eq(integrity(path, &res), 0);
	const ese_tree_stats *ts = tree_stats(&res, "index", "IxLong");
	ck_assert_ptr_nonnull(ts);
	ck_assert_uint_eq(ts->owned, 1);
	uint64_t file_avail = avail_total(&res);
	ese_integrity_free(&res);

	enum { N = 600 };
	ese_deleter *d;
	ese_status st = { 0 };
	uint8_t key[32];
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	for (unsigned i = 0; i < N; i++) {
		made_key(i, N, key, sizeof(key));
		ck_assert_msg(ese_delete_insert_entry(d, "index", "IxLong", key, sizeof(key), pk, pklen, &st) == 0,
		              "entry %u: %s", i, st.msg);
	}
	const ese_delete_stats *ds = ese_delete_get_stats(d);
	ck_assert_uint_ge(ds->extents_added, 1);
	ck_assert_uint_gt(ds->pages_split, 3);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ck_assert_uint_eq(integrity(path, &res), 0);
	ts = tree_stats(&res, "index", "IxLong");
	ck_assert_uint_ge(ts->depth, 2);
	ck_assert_uint_gt(ts->leaf_pages, 3);
	ck_assert_uint_eq(ts->entries, N + 1);
	uint32_t root = ts->pgno_root;
	ese_integrity_free(&res);
	index_entries(path, "index", "IxLong", &e, &n);
	ck_assert_uint_eq(n, N + 1);
	free_entries(e, n);
	/* the root's space header now names an owned-extent tree */
	ese_db *db;
	ck_assert_int_eq(ese_db_open(path, ESE_OPEN_RDONLY, &db, &st), 0);
	uint8_t *buf = malloc(ese_db_page_size(db));
	ese_page pg;
	ese_space_header sh;
	ck_assert_int_eq(ese_db_read_page(db, root, buf, &st), 0);
	ck_assert_int_eq(ese_page_parse(&pg, buf, ese_db_page_size(db), root, &st), 0);
	ck_assert_int_eq(ese_page_space_header(&pg, root, &sh, &st), 0);
	ck_assert_uint_eq(sh.flags & 1, 1);
	ck_assert_uint_eq(sh.cpg_primary, 1);
	free(buf);
	ese_db_close(db);

	/* and back: every entry made here removed */
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	for (unsigned i = 0; i < N; i++) {
		made_key(i, N, key, sizeof(key));
		ck_assert_msg(ese_delete_index_entry(d, "index", "IxLong", key, sizeof(key), pk, pklen, &st) == 0,
		              "entry %u: %s", i, st.msg);
	}
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ck_assert_uint_eq(integrity(path, &res), 0);
	ts = tree_stats(&res, "index", "IxLong");
	ck_assert_uint_eq(ts->entries, 1);
	/* its primary page and the extents it got from its table: the two space
	 * roots, the root and what the one entry left in use, the rest free */
	ck_assert_uint_gt(ts->owned, _i == 0 ? 16 : 3);
	ck_assert_uint_eq(ts->space_pages, 2);
	ck_assert_uint_eq(ts->avail + ts->pages + ts->space_pages, ts->owned);
	ck_assert_uint_le(ts->pages, 2);
	if (_i == 0)      /* after /d the table itself was converted and took space too */
		ck_assert_uint_eq(avail_total(&res), file_avail - (ts->owned - 1) + ts->avail);
	ese_integrity_free(&res);
}
END_TEST

Suite *suite_delete(void)
{
	Suite *s = suite_create("delete");
	TCase *tc = tcase_create("delete");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_loop_test(tc, test_delete_one, 0, 2);
	tcase_add_loop_test(tc, test_delete_range, 0, 2);
	tcase_add_loop_test(tc, test_delete_every_other, 0, 2);
	tcase_add_loop_test(tc, test_delete_ninety_percent, 0, 2);
	tcase_add_loop_test(tc, test_delete_whole_table, 0, 2);
	tcase_add_test(tc, test_delete_scattered);
	tcase_add_loop_test(tc, test_delete_all_without_primary_index, 0, 2);
	tcase_add_test(tc, test_delete_index_entries);
	tcase_add_test(tc, test_delete_errors_leave_file_unchanged);
	tcase_add_test(tc, test_delete_refuses_locked_readonly_dirty);
	tcase_add_test(tc, test_delete_missing_long_value);
	tcase_add_loop_test(tc, test_insert_single_extent_index, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}
