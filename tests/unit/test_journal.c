/*
 * test_journal.c - the rollback journal (ese_journal.h) and in-place
 * updates (ese_update.h).
 *
 * Journal: pages written through it and then recovered (without commit)
 * give back the file byte for byte (SHA-256 of the whole file); a torn
 * last record, a journal torn while being created, a damaged middle
 * record, a foreign journal, a live (locked) journal; commit keeps the
 * changes and removes the journal; a pass killed with SIGKILL in the
 * middle of its writes (a forked child) is rolled back by recovery.
 * Updates: fixed columns of the sample mail stores (Message.RefCount,
 * Folder.MessageCount) through a journaled deleter session, read back,
 * /g clean; an indexed fixed column and an indexed text column (the index
 * entry moves: cursor check); a record that no longer fits its leaf
 * (refused, file unchanged); a missing index entry inserted; the header's
 * repair count and date.
 * Every case starts from a database /g proves clean, in a temp directory.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "suites.h"
#include "bytes.h"
#include "ese_catalog.h"
#include "ese_checksum.h"
#include "ese_cursor.h"
#include "ese_db.h"
#include "ese_dbheader.h"
#include "ese_defrag.h"
#include "ese_delete.h"
#include "ese_integrity.h"
#include "ese_journal.h"
#include "ese_key.h"
#include "ese_lv.h"
#include "ese_page.h"
#include "ese_problem.h"
#include "ese_create.h"
#include "ese_writer.h"
#include "ese_record.h"
#include "ese_update.h"

Suite *suite_journal(void);

static char tmpdir[] = "/tmp/ese-journal-XXXXXX";

static void setup(void) { ck_assert_ptr_nonnull(mkdtemp(tmpdir)); }
static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
	strcpy(tmpdir, "/tmp/ese-journal-XXXXXX");
}

static const char *build_dir(void)
{
	const char *b = getenv("BUILD");
	return b && *b ? b : "build";
}

/* The generator is deterministic: the seed makes the database signature. */
static void gen_seed(const char *name, uint32_t ps, unsigned rows, unsigned seed, char *path, size_t cap)
{
	char cmd[1024];
	snprintf(path, cap, "%s/%s", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "%s/tests/ese-gen %s --rows %u --page-size %u --seed %u >/dev/null", build_dir(), path,
	         rows, ps, seed);
	ck_assert_msg(system(cmd) == 0, "%s failed (run from the repository root after make all)", cmd);
}

static void gen(const char *name, uint32_t ps, unsigned rows, char *path, size_t cap)
{
	gen_seed(name, ps, rows, 7, path, cap);
}

/* A private copy of a committed sample store (never modified in place). */
static void sample(const char *name, char *path, size_t cap)
{
	char cmd[2200];
	snprintf(path, cap, "%s/%s", tmpdir, name);
	snprintf(cmd, sizeof(cmd), "cp sample-dbs/%s %s && chmod u+w %s", name, path, path);
	ck_assert_msg(system(cmd) == 0, "%s failed (run from the repository root)", cmd);
}

/* SHA-256 of the whole file, as hex. */
static void file_sha(const char *path, char out[65])
{
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	ck_assert_int_eq(EVP_DigestInit_ex(c, EVP_sha256(), NULL), 1);
	static uint8_t buf[1 << 16];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		EVP_DigestUpdate(c, buf, n);
	fclose(f);
	uint8_t md[32];
	unsigned len;
	EVP_DigestFinal_ex(c, md, &len);
	EVP_MD_CTX_free(c);
	for (unsigned i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

static int journal_there(const char *db)
{
	char *p = ese_journal_path(db);
	int r = access(p, F_OK) == 0;
	free(p);
	return r;
}

/* /g through the library: the number of findings (printed when any). */
static uint64_t integrity(const char *path)
{
	ese_db *db;
	ese_status st = { 0 };
	ck_assert_msg(ese_db_open(path, ESE_OPEN_RDONLY, &db, &st) == 0, "%s", st.msg);
	ese_reporter rep;
	ese_reporter_init(&rep, NULL, NULL, 0);
	ese_integrity res;
	ck_assert_int_eq(ese_integrity_check(db, &rep, &res, &st), 0);
	ese_integrity_free(&res);
	if (rep.total) {
		ese_reporter loud;
		ese_reporter_init(&loud, stderr, NULL, 20);
		ese_integrity_check(db, &loud, &res, &st);
		ese_integrity_free(&res);
	}
	ese_db_close(db);
	return rep.total;
}

static void read_header(const char *path, uint32_t ps, ese_dbheader *h)
{
	uint8_t *a = malloc(ps), *b = malloc(ps);
	FILE *f = fopen(path, "rb");
	ck_assert_ptr_nonnull(f);
	ck_assert_uint_eq(fread(a, 1, ps, f), ps);
	ck_assert_uint_eq(fread(b, 1, ps, f), ps);
	fclose(f);
	ck_assert_mem_eq(a, b, ps);
	ck_assert_int_eq(ese_dbheader_check(a, ps, NULL), 0);
	ese_dbheader_decode(h, a, ps);
	free(a);
	free(b);
}

/* Normalised key of a Long column as its only segment: 7F BE32(v ^ 2^31). */
static void long_key(int32_t v, uint8_t k[5])
{
	k[0] = 0x7F;
	put_be32(k + 1, (uint32_t)v ^ 0x80000000u);
}

static const ese_column *column(const ese_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncolumns; i++)
		if (!strcmp(t->columns[i].name, name))
			return &t->columns[i];
	ck_abort_msg("no column %s", name);
	return NULL;
}

static const ese_index *index_named(const ese_table *t, const char *name)
{
	for (size_t i = 0; i < t->nindexes; i++)
		if (!strcmp(t->indexes[i].name, name))
			return &t->indexes[i];
	ck_abort_msg("no index %s", name);
	return NULL;
}

/* Reads column `col` of the record with primary key pk into out (len). */
static int read_value(const char *path, const char *table, const uint8_t *pk, size_t pklen, const char *col,
                      uint8_t *out, size_t *len)
{
	ese_test_table tt;
	ese_status st = { 0 };
	ese_test_table_open(path, table, &tt);
	ese_cursor *c = tt.c;
	const ese_table *t = tt.t;
	ck_assert_int_eq(ese_cursor_seek(c, pk, pklen, &st), 0);
	size_t kl, dl;
	const uint8_t *k = ese_cursor_key(c, &kl), *d = ese_cursor_data(c, &dl);
	ck_assert_uint_eq(kl, pklen);
	ck_assert_mem_eq(k, pk, pklen);
	ese_record r;
	ck_assert_int_eq(ese_record_parse(&r, d, dl, tt.large, &st), 0);
	ese_colval v;
	ck_assert_int_eq(ese_record_get(&r, t, column(t, col), &v, &st), 0);
	int present = v.present;
	*len = v.len;
	if (v.len)
		memcpy(out, v.data, v.len);
	ese_test_table_close(&tt);
	return present;
}

/* Primary key of the n-th record of table (0-based, key order). */
static void nth_key(const char *path, const char *table, size_t n, uint8_t *pk, size_t *pklen)
{
	ese_test_table tt;
	ese_status st = { 0 };
	ese_test_table_open(path, table, &tt);
	int err = ese_cursor_first(tt.c, &st);
	for (size_t i = 0; i < n && !err; i++)
		err = ese_cursor_next(tt.c, &st);
	ck_assert_int_eq(err, 0);
	const uint8_t *k = ese_cursor_key(tt.c, pklen);
	memcpy(pk, k, *pklen);
	ese_test_table_close(&tt);
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

/* The entries of index `index` whose data is pk: their keys into keys[]
 * (each up to 256 bytes); returns their count.  *want receives the key
 * the record makes now (ese_index_keys; exactly one for these indexes). */
static size_t index_entries_of(const char *path, const char *table, const char *index, const uint8_t *pk,
                               size_t pklen, uint8_t keys[][256], size_t *klens, size_t cap, uint8_t *want,
                               size_t *wantlen)
{
	ese_db *db;
	ese_catalog *cat;
	ese_cursor *c;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_db_open(path, ESE_OPEN_RDONLY, &db, &st), 0);
	ck_assert_int_eq(ese_catalog_load(db, 4, &cat, &st), 0);
	const ese_table *t = ese_catalog_find_table(cat, table);
	const ese_index *ix = index_named(t, index);
	ck_assert_int_eq(ese_cursor_open(db, ix->pgno_fdp, ix->objid, &c, &st), 0);
	size_t n = 0;
	int err;
	for (err = ese_cursor_first(c, &st); err == 0; err = ese_cursor_next(c, &st)) {
		size_t kl, dl;
		const uint8_t *k = ese_cursor_key(c, &kl), *d = ese_cursor_data(c, &dl);
		if (dl != pklen || memcmp(d, pk, pklen))
			continue;
		ck_assert_uint_lt(n, cap);
		ck_assert_uint_le(kl, 256);
		memcpy(keys[n], k, kl);
		klens[n++] = kl;
	}
	ck_assert_int_eq(err, JET_errRecordNotFound);
	ese_cursor_close(c);
	/* the key the record makes */
	ck_assert_int_eq(ese_cursor_open(db, t->pgno_fdp, t->objid, &c, &st), 0);
	ck_assert_int_eq(ese_cursor_seek(c, pk, pklen, &st), 0);
	size_t dl;
	const uint8_t *d = ese_cursor_data(c, &dl);
	ese_record r;
	ck_assert_int_eq(ese_record_parse(&r, d, dl, ese_page_is_large(ese_db_page_size(db)), &st), 0);
	ese_keylist kl;
	ese_keylist_init(&kl);
	struct lvctx lc = { db, t };
	ck_assert_int_eq(ese_index_keys(t, ix, NULL, &r, lv_reader, &lc, &kl, &st), 0);
	ck_assert_uint_eq(kl.n, 1);
	const uint8_t *k = ese_keylist_key(&kl, 0, wantlen);
	memcpy(want, k, *wantlen);
	ese_keylist_free(&kl);
	ese_cursor_close(c);
	ese_catalog_free(cat);
	ese_db_close(db);
	return n;
}

/* ---- every index against the records ---------------------------------------------- */

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

/* Every secondary index of table holds exactly the entries its records
 * make (keys recomputed with ese_index_keys), nothing else. */
static void check_indexes(const char *path, const char *table)
{
	ese_db *db;
	ese_catalog *cat;
	ese_cursor *c, *rc;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_db_open(path, ESE_OPEN_RDONLY, &db, &st), 0);
	ck_assert_int_eq(ese_catalog_load(db, 4, &cat, &st), 0);
	const ese_table *t = ese_catalog_find_table(cat, table);
	int large = ese_page_is_large(ese_db_page_size(db));
	struct lvctx lc = { db, t };
	ese_keylist kl;
	ese_keylist_init(&kl);
	for (size_t x = 0; x < t->nindexes; x++) {
		const ese_index *ix = &t->indexes[x];
		if (ix->objid == t->objid)
			continue;
		struct entry *want = NULL, *have = NULL;
		size_t nw = 0, cw = 0, nh = 0, ch = 0;
		ck_assert_int_eq(ese_cursor_open(db, t->pgno_fdp, t->objid, &rc, &st), 0);
		int err;
		for (err = ese_cursor_first(rc, &st); err == 0; err = ese_cursor_next(rc, &st)) {
			size_t pkl, dl;
			const uint8_t *pk = ese_cursor_key(rc, &pkl), *d = ese_cursor_data(rc, &dl);
			ese_record r;
			ck_assert_int_eq(ese_record_parse(&r, d, dl, large, &st), 0);
			ck_assert_int_eq(ese_index_keys(t, ix, NULL, &r, lv_reader, &lc, &kl, &st), 0);
			for (size_t k = 0; k < kl.n; k++) {
				size_t len;
				const uint8_t *key = ese_keylist_key(&kl, k, &len);
				push_entry(&want, &nw, &cw, key, len, pk, pkl);
			}
		}
		ck_assert_int_eq(err, JET_errRecordNotFound);
		ese_cursor_close(rc);
		ck_assert_int_eq(ese_cursor_open(db, ix->pgno_fdp, ix->objid, &c, &st), 0);
		for (err = ese_cursor_first(c, &st); err == 0; err = ese_cursor_next(c, &st)) {
			size_t klen, dlen;
			const uint8_t *k = ese_cursor_key(c, &klen), *d = ese_cursor_data(c, &dlen);
			push_entry(&have, &nh, &ch, k, klen, d, dlen);
		}
		ck_assert_int_eq(err, JET_errRecordNotFound);
		ese_cursor_close(c);
		ck_assert_msg(nh == nw, "index %s: %zu entries, the records make %zu", ix->name, nh, nw);
		if (nw > 1)
			qsort(want, nw, sizeof(*want), cmp_entry);
		if (nh > 1)
			qsort(have, nh, sizeof(*have), cmp_entry);
		for (size_t i = 0; i < nw; i++)
			ck_assert_msg(cmp_entry(&want[i], &have[i]) == 0, "index %s: entry %zu differs", ix->name, i);
		for (size_t i = 0; i < nw; i++)
			free(want[i].b);
		for (size_t i = 0; i < nh; i++)
			free(have[i].b);
		free(want);
		free(have);
	}
	ese_keylist_free(&kl);
	ese_catalog_free(cat);
	ese_db_close(db);
}

/* ---- the journal alone ------------------------------------------------------ */

/* Writes `n` data pages (3..3+n) through j with one byte of each changed
 * in place (the page stays parseable: a byte of its free area), and the
 * header with a new dbtime. */
static void scribble(const char *path, ese_journal *j, uint32_t ps, unsigned n)
{
	int fd = open(path, O_RDONLY);
	ck_assert_int_ge(fd, 0);
	uint8_t *p = malloc(ps);
	ese_status st = { 0 };
	for (unsigned i = 0; i < n; i++) {
		uint32_t pgno = 3 + i;
		ck_assert_int_eq(pread(fd, p, ps, (off_t)(pgno + 1) * ps), (ssize_t)ps);
		put_le64(p + 8, get_le64(p + 8) + 1000);     /* its dbtime */
		ck_assert_msg(ese_journal_write_page(j, pgno, p, &st) == 0, "%s", st.msg);
	}
	ck_assert_int_eq(pread(fd, p, ps, 0), (ssize_t)ps);
	ese_dbheader h;
	ese_dbheader_decode(&h, p, ps);
	h.dbtime += 5000;
	h.state = ESE_DBSTATE_DIRTY;
	ese_dbheader_encode(&h, p, ps);
	ck_assert_msg(ese_journal_write_header(j, p, &st) == 0, "%s", st.msg);
	free(p);
	close(fd);
}

START_TEST(test_journal_recover_restores_bytes)
{
	char path[512], before[65], mid[65], after[65];
	gen("j.edb", 4096, 300, path, sizeof(path));
	file_sha(path, before);
	ese_journal *j;
	ese_status st = { 0 };
	ck_assert_msg(ese_journal_begin(path, 4096, &j, &st) == 0, "%s", st.msg);
	ck_assert(journal_there(path));
	ck_assert(ese_journal_exists(path));
	scribble(path, j, 4096, 12);
	/* writing a page twice journals it once */
	scribble(path, j, 4096, 3);
	ck_assert_uint_eq(ese_journal_pages(j), 12 + 2);
	/* a second pass cannot start while this one lives; recovery refuses it */
	ese_journal *j2;
	ck_assert_int_eq(ese_journal_begin(path, 4096, &j2, NULL), JET_errDatabaseDirtyShutdown);
	ese_journal_recovery rec;
	ck_assert_int_eq(ese_journal_recover(path, &rec, NULL), JET_errFileAccessDenied);
	file_sha(path, mid);
	ck_assert_str_ne(before, mid);
	ese_journal_abandon(j);                   /* as a crash would leave it */
	ck_assert(journal_there(path));
	ck_assert_msg(ese_journal_recover(path, &rec, &st) == 0, "%s", st.msg);
	ck_assert_int_eq(rec.found, 1);
	ck_assert_uint_eq(rec.records, 14);
	ck_assert_uint_eq(rec.pages_restored, 14);
	ck_assert_int_eq(rec.headers_restored, 1);
	ck_assert_int_eq(rec.torn_tail, 0);
	file_sha(path, after);
	ck_assert_str_eq(before, after);
	ck_assert(!journal_there(path));
	/* nothing to do the second time */
	ck_assert_int_eq(ese_journal_recover(path, &rec, &st), 0);
	ck_assert_int_eq(rec.found, 0);
	ck_assert_uint_eq(integrity(path), 0);
}
END_TEST

START_TEST(test_journal_torn_last_record)
{
	char path[512], before[65], after[65];
	gen("j.edb", 8192, 200, path, sizeof(path));
	file_sha(path, before);
	ese_journal *j;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_journal_begin(path, 8192, &j, &st), 0);
	scribble(path, j, 8192, 5);
	ese_journal_abandon(j);
	/* a crash while appending record 7: half of it reached the disk (its
	 * page was never written: the fsync had not returned) */
	char *jp = ese_journal_path(path);
	struct stat sb;
	ck_assert_int_eq(stat(jp, &sb), 0);
	size_t rs = 8192 + ESE_JOURNAL_REC_OVERHEAD;
	ck_assert_uint_eq((uint64_t)sb.st_size, ESE_JOURNAL_HDR_SIZE + 7 * rs);
	int fd = open(jp, O_RDWR);
	uint8_t *rec = calloc(1, rs);
	ck_assert_int_eq(pread(fd, rec, rs, ESE_JOURNAL_HDR_SIZE + 6 * rs), (ssize_t)rs);
	put_le32(rec + 4, 7);                      /* the next sequence number */
	ck_assert_int_eq(pwrite(fd, rec, rs / 2, (off_t)(ESE_JOURNAL_HDR_SIZE + 7 * rs)), (ssize_t)(rs / 2));
	close(fd);
	ese_journal_recovery res;
	ck_assert_msg(ese_journal_recover(path, &res, &st) == 0, "%s", st.msg);
	ck_assert_int_eq(res.torn_tail, 1);
	ck_assert_uint_eq(res.records, 7);
	file_sha(path, after);
	ck_assert_str_eq(before, after);
	ck_assert(!journal_there(path));

	/* a record of full length torn inside (some sectors old): its hash
	 * fails.  The pass journaled page 50 and crashed before writing it. */
	ck_assert_int_eq(ese_journal_begin(path, 8192, &j, &st), 0);
	scribble(path, j, 8192, 2);
	fd = open(path, O_RDONLY);
	uint8_t *p50 = malloc(8192);
	ck_assert_int_eq(pread(fd, p50, 8192, 51 * 8192), 8192);
	close(fd);
	ck_assert_int_eq(ese_journal_protect(j, 50, p50, &st), 0);
	ck_assert_uint_eq(ese_journal_pages(j), 5);
	ese_journal_abandon(j);
	free(p50);
	fd = open(jp, O_RDWR);
	ck_assert_int_eq(pread(fd, rec, rs, ESE_JOURNAL_HDR_SIZE + 4 * rs), (ssize_t)rs);
	rec[rs - 100] ^= 0x55;
	ck_assert_int_eq(pwrite(fd, rec, rs, (off_t)(ESE_JOURNAL_HDR_SIZE + 4 * rs)), (ssize_t)rs);
	close(fd);
	ck_assert_int_eq(ese_journal_recover(path, &res, &st), 0);
	ck_assert_int_eq(res.torn_tail, 1);
	ck_assert_uint_eq(res.records, 4);
	file_sha(path, after);
	ck_assert_str_eq(before, after);

	/* a batch of 4 records appended together: the kernel may have written
	 * any of them back first, so a torn record inside the last batch is
	 * its tail too.  (Here the pages were written; a real crash before the
	 * fsync would not have written them: only the page whose record is
	 * torn keeps its new bytes.) */
	ck_assert_int_eq(ese_journal_begin(path, 8192, &j, &st), 0);
	uint8_t *pages[4], *orig = malloc(8192);
	uint32_t pgnos[4] = { 20, 9, 33, 12 };
	fd = open(path, O_RDONLY);
	for (int k = 0; k < 4; k++) {
		pages[k] = malloc(8192);
		ck_assert_int_eq(pread(fd, pages[k], 8192, (off_t)(pgnos[k] + 1) * 8192), 8192);
		put_le64(pages[k] + 8, get_le64(pages[k] + 8) + 77);
	}
	ck_assert_int_eq(pread(fd, orig, 8192, (off_t)(9 + 1) * 8192), 8192);
	close(fd);
	ck_assert_int_eq(ese_journal_write_pages(j, 4, pgnos, pages, &st), 0);
	ese_journal_abandon(j);
	fd = open(jp, O_RDWR);
	ck_assert_int_eq(pread(fd, rec, rs, ESE_JOURNAL_HDR_SIZE + 1 * rs), (ssize_t)rs);
	ck_assert_uint_eq(get_le32(rec + 8), 9 + 1);       /* file page of page 9 */
	ck_assert_uint_eq(get_le32(rec + 12), 0);          /* its batch began at record 0 */
	memset(rec + 4096, 0xEE, 4096);                    /* the second half is stale */
	ck_assert_int_eq(pwrite(fd, rec, rs, (off_t)(ESE_JOURNAL_HDR_SIZE + 1 * rs)), (ssize_t)rs);
	close(fd);
	ck_assert_int_eq(ese_journal_recover(path, &res, &st), 0);
	ck_assert_int_eq(res.torn_tail, 1);
	ck_assert_uint_eq(res.records, 3);
	ck_assert_uint_eq(res.pages_restored, 3);
	fd = open(path, O_RDWR);
	uint8_t *now = malloc(8192);
	ck_assert_int_eq(pread(fd, now, 8192, (off_t)(9 + 1) * 8192), 8192);
	ck_assert_mem_eq(now, pages[1], 8192);
	ck_assert_int_eq(pwrite(fd, orig, 8192, (off_t)(9 + 1) * 8192), 8192);
	close(fd);
	file_sha(path, after);
	ck_assert_str_eq(before, after);
	for (int k = 0; k < 4; k++)
		free(pages[k]);
	free(orig);
	free(now);
	free(rec);
	free(jp);
}
END_TEST

START_TEST(test_journal_torn_header_and_damage)
{
	char path[512], before[65], after[65];
	gen("j.edb", 4096, 100, path, sizeof(path));
	file_sha(path, before);
	char *jp = ese_journal_path(path);
	ese_journal_recovery res;
	ese_status st = { 0 };
	/* torn while being created: a few bytes of header, no record */
	int fd = open(jp, O_CREAT | O_WRONLY | O_EXCL, 0600);
	ck_assert_int_eq(write(fd, "EseJrnl1\001\000", 10), 10);
	close(fd);
	ck_assert_int_eq(ese_journal_recover(path, &res, &st), 0);
	ck_assert_int_eq(res.found, 1);
	ck_assert_int_eq(res.discarded, 1);
	ck_assert(!journal_there(path));
	file_sha(path, after);
	ck_assert_str_eq(before, after);

	/* a damaged record before the last: the valid ones go back, the
	 * journal stays, the error says so */
	ese_journal *j;
	ck_assert_int_eq(ese_journal_begin(path, 4096, &j, &st), 0);
	scribble(path, j, 4096, 6);
	ese_journal_abandon(j);
	fd = open(jp, O_RDWR);
	uint8_t b;
	off_t at = (off_t)(ESE_JOURNAL_HDR_SIZE + 2 * (4096 + ESE_JOURNAL_REC_OVERHEAD) + 500);
	ck_assert_int_eq(pread(fd, &b, 1, at), 1);
	b ^= 1;
	ck_assert_int_eq(pwrite(fd, &b, 1, at), 1);
	close(fd);
	ese_status st2 = { 0 };
	ck_assert_int_eq(ese_journal_recover(path, &res, &st2), JET_errLogFileCorrupt);
	ck_assert(journal_there(path));
	ck_assert_uint_eq(res.records, 7);
	ck_assert_ptr_nonnull(strstr(st2.msg, "record 2"));
	/* repair the journal byte: recovery completes */
	fd = open(jp, O_RDWR);
	b ^= 1;
	ck_assert_int_eq(pwrite(fd, &b, 1, at), 1);
	close(fd);
	ck_assert_int_eq(ese_journal_recover(path, &res, &st), 0);
	file_sha(path, after);
	ck_assert_str_eq(before, after);

	/* a journal of another database is refused, nothing written */
	char other[512], osha[65];
	gen_seed("other.edb", 4096, 100, 8, other, sizeof(other));
	ck_assert_int_eq(ese_journal_begin(other, 4096, &j, &st), 0);
	scribble(other, j, 4096, 2);
	ese_journal_abandon(j);
	char *ojp = ese_journal_path(other);
	ck_assert_int_eq(rename(ojp, jp), 0);
	file_sha(path, osha);
	ese_status st3 = { 0 };
	ck_assert_int_eq(ese_journal_recover(path, &res, &st3), JET_errBadDbSignature);
	ck_assert(journal_there(path));
	file_sha(path, after);
	ck_assert_str_eq(osha, after);
	ck_assert_int_eq(rename(jp, ojp), 0);
	ck_assert_int_eq(ese_journal_recover(other, &res, &st), 0);
	ck_assert_uint_eq(res.pages_restored, 4);
	free(ojp);
	free(jp);
	/* begin refuses a wrong page size and leaves no journal */
	ck_assert_int_eq(ese_journal_begin(path, 8192, &j, NULL), JET_errPageSizeMismatch);
	ck_assert(!journal_there(path));
}
END_TEST

START_TEST(test_journal_commit)
{
	char path[512], before[65], mid[65], after[65];
	gen("j.edb", 4096, 100, path, sizeof(path));
	file_sha(path, before);
	ese_journal *j;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_journal_begin(path, 4096, &j, &st), 0);
	scribble(path, j, 4096, 4);
	file_sha(path, mid);
	ck_assert_int_eq(ese_journal_commit(j, &st), 0);
	ck_assert(!journal_there(path));
	file_sha(path, after);
	ck_assert_str_eq(mid, after);
	ck_assert_str_ne(before, after);
	ese_journal_recovery res;
	ck_assert_int_eq(ese_journal_recover(path, &res, &st), 0);
	ck_assert_int_eq(res.found, 0);
	file_sha(path, after);
	ck_assert_str_eq(mid, after);
	/* rollback: the pass undone at once */
	ck_assert_int_eq(ese_journal_begin(path, 4096, &j, &st), 0);
	scribble(path, j, 4096, 9);
	ck_assert_int_eq(ese_journal_rollback(j, &res, &st), 0);
	ck_assert_uint_eq(res.pages_restored, 11);
	ck_assert(!journal_there(path));
	file_sha(path, after);
	ck_assert_str_eq(mid, after);
}
END_TEST

/* ---- the deleter through the journal: a pass killed mid-way --------------------------- */

/* In a child: a journaled session that deletes, updates and inserts, and
 * is killed (SIGKILL) after `kill_after` of its calls, without commit. */
static void doomed_pass(const char *path, int kill_after)
{
	ese_deleter *d;
	ese_journal *j;
	ese_status st = { 0 };
	if (ese_delete_open(path, 0, &d, &st) || ese_journal_begin(path, 4096, &j, &st))
		_exit(10);
	ese_delete_attach_journal(d, j);
	int calls = 0;
	uint8_t pk[16];
	for (int i = 0; i < 40; i++) {
		uint8_t k[5];
		long_key(i * 7 + 3, k);
		memcpy(pk, k, 5);
		if (i % 2) {
			if (ese_delete_record(d, "items", pk, 5, &st))
				_exit(11);
		} else {
			uint8_t v[4];
			put_le32(v, 4000u + (unsigned)i);
			if (ese_update_column(d, "items", pk, 5, "Group", v, 4, &st))
				_exit(12);
		}
		if (++calls == kill_after)
			kill(getpid(), SIGKILL);
	}
	_exit(13);
}

START_TEST(test_journal_killed_pass_rolls_back)
{
	char path[512], before[65], after[65];
	gen("k.edb", 4096, 1500, path, sizeof(path));
	ck_assert_uint_eq(integrity(path), 0);
	file_sha(path, before);
	static const int kills[] = { 1, 7, 25 };
	for (size_t x = 0; x < 3; x++) {
		pid_t pid = fork();
		ck_assert_int_ge(pid, 0);
		if (pid == 0)
			doomed_pass(path, kills[x]);
		int status;
		ck_assert_int_eq(waitpid(pid, &status, 0), pid);
		ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL, "child ended with status 0x%x", status);
		ck_assert(journal_there(path));
		/* the header says Dirty: no tool would attach it as is */
		ese_db *db;
		ck_assert_int_eq(ese_db_open(path, ESE_OPEN_RDONLY, &db, NULL), 0);
		ck_assert_uint_eq(ese_db_header(db)->state, ESE_DBSTATE_DIRTY);
		ese_db_close(db);
		ese_journal_recovery res;
		ese_status st = { 0 };
		ck_assert_msg(ese_journal_recover(path, &res, &st) == 0, "%s", st.msg);
		ck_assert_uint_gt(res.pages_restored, 2);
		ck_assert_int_eq(res.headers_restored, 1);
		file_sha(path, after);
		ck_assert_str_eq(before, after);
	}
	ck_assert_uint_eq(integrity(path), 0);
}
END_TEST

/* The journal cannot grow (in a child, after 20 deletes its descriptor is
 * swapped for /dev/full): the call that needed it fails before writing
 * its pages, and committing such a pass rolls it back instead. */
static void journal_to_dev_full(const char *db)
{
	char *jp = ese_journal_path(db), link[64], target[1024];
	char *real = realpath(jp, NULL);
	int full = open("/dev/full", O_WRONLY);
	for (int fd = 3; fd < 1024 && real && full >= 0; fd++) {
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		ssize_t n = readlink(link, target, sizeof(target) - 1);
		if (n <= 0)
			continue;
		target[n] = 0;
		if (!strcmp(target, real))
			dup2(full, fd);
	}
	free(real);
	free(jp);
}

START_TEST(test_journal_append_failure_rolls_back)
{
	char path[512], before[65], after[65];
	gen("f.edb", 4096, 1500, path, sizeof(path));
	file_sha(path, before);
	pid_t pid = fork();
	ck_assert_int_ge(pid, 0);
	if (pid == 0) {
		ese_deleter *d;
		ese_journal *j;
		ese_status st = { 0 };
		if (ese_delete_open(path, 0, &d, &st) || ese_journal_begin(path, 4096, &j, &st))
			_exit(21);
		ese_delete_attach_journal(d, j);
		int err = 0, n = 0;
		for (int id = 1; id <= 1500 && !err; id += 5, n++) {
			uint8_t pk[5];
			long_key(id, pk);
			if (n == 20)
				journal_to_dev_full(path);
			err = ese_delete_record(d, "items", pk, 5, &st);
		}
		if (err != JET_errDiskFull || n < 21) {
			fprintf(stderr, "append failure: err %d after %d deletes: %s\n", err, n, st.msg);
			_exit(22);
		}
		if (ese_delete_close(d, NULL) == 0)    /* the deleter is broken: header stays Dirty */
			_exit(23);
		ese_status cst = { 0 };
		if (ese_journal_commit(j, &cst) != JET_errDiskIO || !strstr(cst.msg, "rolled back")) {
			fprintf(stderr, "commit: %s\n", cst.msg);
			_exit(24);
		}
		_exit(0);
	}
	int status;
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child status 0x%x", status);
	ck_assert(!journal_there(path));
	file_sha(path, after);
	ck_assert_str_eq(before, after);
}
END_TEST

/* ---- updates ---------------------------------------------------------------------------- */

/* Updates one Long column of the mail store by name, in a journaled pass
 * with the repair bookkeeping, and checks the result. */
static void mail_fix(const char *file, const char *table, int32_t id, const char *col, uint32_t was, uint32_t now)
{
	char path[512];
	sample(file, path, sizeof(path));
	ck_assert_uint_eq(integrity(path), 0);
	ese_dbheader h0, h1;
	read_header(path, 4096, &h0);
	uint8_t pk[5], v[8];
	size_t len;
	long_key(id, pk);
	ck_assert(read_value(path, table, pk, 5, col, v, &len));
	ck_assert_uint_eq(len, 4);
	ck_assert_uint_eq(get_le32(v), was);

	ese_deleter *d;
	ese_journal *j;
	ese_status st = { 0 };
	ck_assert_msg(ese_delete_open(path, 0, &d, &st) == 0, "%s", st.msg);
	ck_assert_msg(ese_journal_begin(path, 4096, &j, &st) == 0, "%s", st.msg);
	ese_delete_attach_journal(d, j);
	const ese_table *t = ese_catalog_find_table(ese_delete_catalog(d), table);
	ese_value val;
	memset(&val, 0, sizeof(val));
	val.columnid = column(t, col)->id;
	put_le32(v, now);
	val.data = v;
	val.len = 4;
	ese_update_info info;
	ck_assert_msg(ese_update_record(d, table, pk, 5, &val, 1, 0, &info, &st) == 0, "%s", st.msg);
	ck_assert_int_eq(info.changed, 1);
	ck_assert_int_eq(info.in_place, 1);
	ck_assert_uint_eq(info.old_len, info.new_len);
	ck_assert_uint_eq(info.index_removed + info.index_added, 0);
	ck_assert_uint_eq(info.pages_written, 1);
	/* the same value again writes nothing */
	ck_assert_int_eq(ese_update_record(d, table, pk, 5, &val, 1, 0, &info, &st), 0);
	ck_assert_int_eq(info.changed, 0);
	ck_assert_uint_eq(info.pages_written, 0);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ck_assert_msg(ese_update_mark_repaired(path, j, NULL, &st) == 0, "%s", st.msg);
	ck_assert(journal_there(path));
	ck_assert_int_eq(ese_journal_commit(j, &st), 0);
	ck_assert(!journal_there(path));

	ck_assert(read_value(path, table, pk, 5, col, v, &len));
	ck_assert_uint_eq(get_le32(v), now);
	ck_assert_uint_eq(integrity(path), 0);
	read_header(path, 4096, &h1);
	ck_assert_uint_eq(h1.state, ESE_DBSTATE_CLEAN);
	ck_assert_uint_eq(h1.repair_count, h0.repair_count + 1);
	ck_assert_uint_gt(h1.dbtime, h0.dbtime);
	ck_assert_uint_ge(h1.time_repair.year, 120);     /* 2020 or later */
	ck_assert_uint_ne(h1.time_repair.month, 0);
}

START_TEST(test_update_message_refcount)
{
	mail_fix("priv1-wrong-message-refcount.edb", "Message", 1, "RefCount", 3, 2);
}
END_TEST

START_TEST(test_update_folder_count)
{
	mail_fix("priv1-wrong-folder-counts.edb", "Folder", 2, "MessageCount", 18, 17);
}
END_TEST

/* The first record of `table` holding a separated long value: its primary
 * key and the column. */
static void first_separated(const char *path, const char *table, uint8_t *pk, size_t *pklen, uint32_t *colid)
{
	ese_test_table tt;
	ese_status st = { 0 };
	ese_test_table_open(path, table, &tt);
	ese_cursor *c = tt.c;
	*colid = 0;
	for (int err = ese_cursor_first(c, &st); !err && !*colid; err = ese_cursor_next(c, &st)) {
		size_t dl;
		const uint8_t *d = ese_cursor_data(c, &dl);
		ese_record r;
		ck_assert_int_eq(ese_record_parse(&r, d, dl, tt.large, &st), 0);
		for (size_t i = 0; i < r.ntagged && !*colid; i++) {
			uint32_t fid;
			ese_colval v;
			ck_assert_int_eq(ese_record_tagged_at(&r, i, &fid, &v, &st), 0);
			if (v.present && (v.header & ESE_TAG_SEPARATED) && !(v.header & (ESE_TAG_MULTI | ESE_TAG_TWO_VALUES))) {
				*colid = fid;
				const uint8_t *k = ese_cursor_key(c, pklen);
				memcpy(pk, k, *pklen);
			}
		}
	}
	ck_assert_uint_ne(*colid, 0);
	ese_test_table_close(&tt);
}

/* ESE_UPDATE_NULL_MISSING_LV: a column holding a long value that exists is
 * never nulled (reference counts would go wrong: the call changes nothing);
 * one whose long value is gone (ese-corrupt lv-missing) is, and isinteg's
 * repair leaves /g clean. */
START_TEST(test_update_nulls_dangling_lv)
{
	char path[512], bad[600], before[65], after[65], cmd[1400];
	gen("lv.edb", 4096, 300, path, sizeof(path));
	uint8_t pk[64];
	size_t pklen;
	uint32_t colid;
	first_separated(path, "items", pk, &pklen, &colid);
	file_sha(path, before);
	ese_deleter *d;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	ese_value v;
	memset(&v, 0, sizeof(v));
	v.columnid = colid;
	v.is_null = 1;
	ese_update_info info;
	ck_assert_int_eq(ese_update_record(d, "items", pk, pklen, &v, 1, ESE_UPDATE_NULL_MISSING_LV, &info, &st), 0);
	ck_assert_int_eq(info.changed, 0);
	ck_assert_int_eq(ese_update_record(d, "items", pk, pklen, &v, 1, 0, &info, &st), JET_errFeatureNotAvailable);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	file_sha(path, after);
	ck_assert_str_eq(before, after);

	/* the injector removes the root of the first referenced long value */
	snprintf(bad, sizeof(bad), "%s/lv-bad.edb", tmpdir);
	snprintf(cmd, sizeof(cmd), "%s/tests/ese-corrupt lv-missing %s %s >/dev/null", build_dir(), path, bad);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_uint_gt(integrity(bad), 0);
	snprintf(cmd, sizeof(cmd), "%s/isinteg -s %s -fix -test lvref -l %s/lv.txt >/dev/null", build_dir(), bad, tmpdir);
	ck_assert_int_eq(system(cmd), 1 << 8);        /* exit 1: fixed */
	ck_assert_uint_eq(integrity(bad), 0);
	snprintf(cmd, sizeof(cmd), "grep -q 'reference to long value [0-9]* (missing) dropped' %s/lv.txt", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}
END_TEST

/* The values of multi-valued column Blobs in the record with Id `id`:
 * how many, and how many are separated long values. */
static void mv_values(const char *path, uint32_t id, size_t *n, size_t *sep)
{
	ese_test_table tt;
	ese_status st = { 0 };
	ese_test_table_open(path, "mv", &tt);
	ese_cursor *c = tt.c;
	const ese_table *t = tt.t;
	*n = *sep = 0;
	int found = 0;
	for (int err = ese_cursor_first(c, &st); !err && !found; err = ese_cursor_next(c, &st)) {
		size_t dl;
		const uint8_t *d = ese_cursor_data(c, &dl);
		ese_record r;
		ck_assert_int_eq(ese_record_parse(&r, d, dl, 0, &st), 0);
		ese_colval idv;
		ck_assert_int_eq(ese_record_get(&r, t, ese_table_find_column(t, 1), &idv, &st), 0);
		if (get_le32(idv.data) != id)
			continue;
		found = 1;
		for (size_t i = 0; i < r.ntagged; i++) {
			uint32_t fid;
			ese_colval v;
			ck_assert_int_eq(ese_record_tagged_at(&r, i, &fid, &v, &st), 0);
			if (!v.present)
				continue;
			*n = ese_colval_count(&v);
			for (size_t k = 0; k < *n; k++) {
				const uint8_t *p;
				size_t len;
				int s;
				ck_assert_int_eq(ese_colval_instance(&v, k, &p, &len, &s, &st), 0);
				*sep += s != 0;
			}
		}
	}
	ck_assert(found);
	ese_test_table_close(&tt);
}

/* A multi-valued long column that also holds good values: lvref drops the
 * reference to the missing long value and keeps the others (with their
 * long values and counts): /g and isinteg are clean afterwards. */
START_TEST(test_update_drops_dangling_instance)
{
	char path[512], bad[600], cmd[1400];
	snprintf(path, sizeof(path), "%s/mv.edb", tmpdir);
	static const ese_create_column cols[] = {
		{ "Id", JET_coltypLong, 0, ESE_COL_NOT_NULL, 0 },
		{ "Blobs", JET_coltypLongBinary, 0, ESE_COL_MULTIVALUED, 0 },
	};
	static const ese_create_index ix[] = { { "PK", "+Id", ESE_IDX_PRIMARY } };
	ese_create_table tab = { "mv", cols, 2, ix, 1, 0, 0 };
	ese_creator *cr;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_create_open(path, 4096, ESE_CREATE_REPLACE, 5, &tab, 1, 0, &cr, &st), 0);
	static uint8_t blob[3][3000];
	for (uint32_t id = 1; id <= 20; id++) {
		uint8_t key[4];
		put_le32(key, id);
		for (size_t k = 0; k < 3; k++)
			for (size_t b = 0; b < sizeof(blob[k]); b++)
				blob[k][b] = (uint8_t)(id * 7 + k * 31 + b * 13);
		ese_create_value vals[] = { { 0, key, 4 }, { 1, blob[0], 3000 }, { 1, blob[1], 2500 }, { 1, blob[2], 2000 } };
		ck_assert_msg(ese_create_insert(cr, 0, vals, 4, &st) == 0, "%s", st.msg);
	}
	ck_assert_msg(ese_create_commit(cr, &st) == 0, "%s", st.msg);
	ck_assert_uint_eq(integrity(path), 0);
	size_t n, sep;
	mv_values(path, 1, &n, &sep);
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(sep, 3);

	snprintf(bad, sizeof(bad), "%s/mv-bad.edb", tmpdir);
	snprintf(cmd, sizeof(cmd), "%s/tests/ese-corrupt lv-missing %s %s >/dev/null", build_dir(), path, bad);
	ck_assert_int_eq(system(cmd), 0);
	ck_assert_uint_gt(integrity(bad), 0);
	snprintf(cmd, sizeof(cmd), "%s/isinteg -s %s -fix -test lvref >/dev/null", build_dir(), bad);
	ck_assert_int_eq(system(cmd), 1 << 8);        /* exit 1: fixed */
	ck_assert_uint_eq(integrity(bad), 0);
	snprintf(cmd, sizeof(cmd), "%s/isinteg -s %s -test alltests >/dev/null", build_dir(), bad);
	ck_assert_int_eq(system(cmd), 0);
	/* the record the injector hit keeps two of its three values, the others all three */
	mv_values(bad, 1, &n, &sep);
	ck_assert_uint_eq(n, 2);
	ck_assert_uint_eq(sep, 2);
	mv_values(bad, 2, &n, &sep);
	ck_assert_uint_eq(n, 3);
}
END_TEST

/* An indexed column changes: the entry leaves its old place and enters
 * the new one; everything else stays. */
START_TEST(test_update_moves_index_entry)
{
	uint32_t ps = _i ? 32768 : 4096;
	char path[512], before[65], after[65];
	gen("u.edb", ps, 1200, path, sizeof(path));
	ck_assert_uint_eq(integrity(path), 0);
	uint8_t pk[16], keys[4][256], want[256], oldkey[256];
	size_t pklen, klens[4], wantlen, oldlen;
	nth_key(path, "items", 501, pk, &pklen);
	ck_assert_uint_eq(index_entries_of(path, "items", "ByGroup", pk, pklen, keys, klens, 4, oldkey, &oldlen), 1);
	ck_assert_uint_eq(klens[0], oldlen);
	ck_assert_mem_eq(keys[0], oldkey, oldlen);
	file_sha(path, before);

	ese_deleter *d;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	ese_journal *j;
	ck_assert_int_eq(ese_journal_begin(path, ps, &j, &st), 0);
	ese_delete_attach_journal(d, j);
	/* fixed, indexed (ByGroup, non-unique): moves far from where it was */
	uint8_t g[4];
	put_le32(g, 777);
	ese_update_info info;
	const ese_table *t = ese_catalog_find_table(ese_delete_catalog(d), "items");
	ese_value v;
	memset(&v, 0, sizeof(v));
	v.columnid = column(t, "Group")->id;
	v.data = g;
	v.len = 4;
	ck_assert_msg(ese_update_record(d, "items", pk, pklen, &v, 1, 0, &info, &st) == 0, "%s", st.msg);
	ck_assert_int_eq(info.in_place, 1);
	ck_assert_uint_eq(info.index_removed, 1);
	ck_assert_uint_eq(info.index_added, 1);
	ck_assert_uint_ge(info.pages_written, 2);
	/* variable, indexed (ByName): the record is re-encoded, longer */
	static const char name[] = "renamed-item-with-a-longer-name-ZZZ";
	memset(&v, 0, sizeof(v));
	v.columnid = column(t, "Name")->id;
	v.data = (const uint8_t *)name;
	v.len = sizeof(name) - 1;
	ck_assert_msg(ese_update_record(d, "items", pk, pklen, &v, 1, 0, &info, &st) == 0, "%s", st.msg);
	ck_assert_int_eq(info.in_place, 0);
	ck_assert_uint_gt(info.new_len, info.old_len);
	ck_assert_uint_eq(info.index_removed, 1);
	ck_assert_uint_eq(info.index_added, 1);
	/* a column of the primary key is refused */
	memset(&v, 0, sizeof(v));
	v.columnid = column(t, "Id")->id;
	v.data = g;
	v.len = 4;
	ck_assert_int_eq(ese_update_record(d, "items", pk, pklen, &v, 1, 0, NULL, NULL), JET_errRecordPrimaryChanged);
	ck_assert_int_eq(ese_update_column(d, "items", pk, pklen, "NoSuchColumn", g, 4, NULL), JET_errColumnNotFound);
	/* NULL: refused for a NOT NULL column, kept for a nullable one */
	ck_assert_int_eq(ese_update_column(d, "items", pk, pklen, "Id", NULL, 0, NULL), JET_errNullInvalid);
	ck_assert_msg(ese_update_column(d, "items", pk, pklen, "Money", NULL, 0, &st) == 0, "%s", st.msg);
	uint8_t nokey[5];
	long_key(999999, nokey);
	ck_assert_int_eq(ese_update_column(d, "items", nokey, 5, "Group", g, 4, NULL), JET_errRecordNotFound);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ck_assert_int_eq(ese_journal_commit(j, &st), 0);

	ck_assert_uint_eq(integrity(path), 0);
	/* cursor check: one ByGroup entry for the record, under the new key */
	ck_assert_uint_eq(index_entries_of(path, "items", "ByGroup", pk, pklen, keys, klens, 4, want, &wantlen), 1);
	ck_assert_uint_eq(klens[0], wantlen);
	ck_assert_mem_eq(keys[0], want, wantlen);
	ck_assert(wantlen != oldlen || memcmp(want, oldkey, oldlen) != 0);
	uint8_t k777[5];
	long_key(777, k777);
	ck_assert_uint_eq(wantlen, 5);
	ck_assert_mem_eq(want, k777, 5);
	ck_assert_uint_eq(index_entries_of(path, "items", "ByName", pk, pklen, keys, klens, 4, want, &wantlen), 1);
	ck_assert_uint_eq(klens[0], wantlen);
	ck_assert_mem_eq(keys[0], want, wantlen);
	uint8_t val[300];
	size_t len;
	ck_assert(read_value(path, "items", pk, pklen, "Name", val, &len));
	ck_assert_uint_eq(len, sizeof(name) - 1);
	ck_assert_mem_eq(val, name, len);
	ck_assert(read_value(path, "items", pk, pklen, "Group", val, &len));
	ck_assert_uint_eq(get_le32(val), 777);
	ck_assert(!read_value(path, "items", pk, pklen, "Money", val, &len));
	file_sha(path, after);
	ck_assert_str_ne(before, after);
}
END_TEST

/* A record an update makes longer than the room its leaf has: the leaf
 * splits first (ese_delete_split_leaf) and the update goes through; the
 * value reads back, /g is clean, every index is exact.  A record longer
 * than a record may be at all is refused with the file unchanged. */
START_TEST(test_update_too_big_refused)
{
	char path[512], before[65], after[65];
	gen("b.edb", 4096, 600, path, sizeof(path));
	uint8_t pk[16];
	size_t pklen;
	nth_key(path, "items", 301, pk, &pklen);     /* Body intrinsic (301 % 10 != 0) */
	ese_deleter *d;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	static uint8_t body[2600], back[8192];
	memset(body, 'q', sizeof(body));
	ck_assert_msg(ese_update_column(d, "items", pk, pklen, "Body", body, sizeof(body), &st) == 0, "%s", st.msg);
	ck_assert_uint_gt(ese_delete_get_stats(d)->pages_split, 0);
	ck_assert_int_eq(ese_delete_close(d, NULL), 0);
	size_t len;
	ck_assert_int_eq(read_value(path, "items", pk, pklen, "Body", back, &len), 1);
	ck_assert_uint_eq(len, sizeof(body));
	ck_assert_mem_eq(back, body, sizeof(body));
	ck_assert_uint_eq(integrity(path), 0);
	check_indexes(path, "items");
	/* too big for any page: refused, nothing written */
	file_sha(path, before);
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	static uint8_t huge[6000];
	memset(huge, 'z', sizeof(huge));
	ck_assert_int_eq(ese_update_column(d, "items", pk, pklen, "Body", huge, sizeof(huge), &st), JET_errRecordTooBig);
	ck_assert_int_eq(ese_delete_close(d, NULL), 0);
	file_sha(path, after);
	ck_assert_str_eq(before, after);
}
END_TEST

/* isinteg's "add a missing index entry": an entry is removed, then put
 * back by ese_insert_index_entry into the leaf its key belongs to. */
START_TEST(test_insert_missing_index_entry)
{
	uint32_t ps = _i ? 32768 : 4096;
	char path[512];
	gen("i.edb", ps, 1500, path, sizeof(path));
	uint8_t pk[16], keys[4][256], want[256];
	size_t pklen, klens[4], wantlen;
	nth_key(path, "items", 733, pk, &pklen);
	ck_assert_uint_eq(index_entries_of(path, "items", "ByName", pk, pklen, keys, klens, 4, want, &wantlen), 1);
	ese_deleter *d;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	ck_assert_int_eq(ese_delete_index_entry(d, "items", "ByName", want, wantlen, pk, pklen, &st), 0);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ck_assert_uint_eq(index_entries_of(path, "items", "ByName", pk, pklen, keys, klens, 4, want, &wantlen), 0);

	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	ese_journal *j;
	ck_assert_int_eq(ese_journal_begin(path, ps, &j, &st), 0);
	ese_delete_attach_journal(d, j);
	ck_assert_msg(ese_insert_index_entry(d, "items", "ByName", want, wantlen, pk, pklen, &st) == 0, "%s", st.msg);
	/* twice: refused; pointing at no record: refused; unknown index */
	ck_assert_int_eq(ese_insert_index_entry(d, "items", "ByName", want, wantlen, pk, pklen, NULL), JET_errKeyDuplicate);
	uint8_t nokey[5];
	long_key(999999, nokey);
	ck_assert_int_eq(ese_insert_index_entry(d, "items", "ByName", want, wantlen, nokey, 5, NULL),
	                 JET_errRecordNotFound);
	ck_assert_int_eq(ese_insert_index_entry(d, "items", "NoSuchIndex", want, wantlen, pk, pklen, NULL),
	                 JET_errIndexNotFound);
	ck_assert_int_eq(ese_insert_index_entry(d, "items", "PrimaryKey", want, wantlen, pk, pklen, NULL),
	                 JET_errIndexNotFound);
	/* a unique index: the key of another record is taken */
	uint8_t k2[16], wk[256];
	size_t k2len, wklen;
	ese_delete_close(d, &st);
	nth_key(path, "items", 10, k2, &k2len);
	index_entries_of(path, "items", "ByWhenDesc", k2, k2len, keys, klens, 4, wk, &wklen);
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	ese_delete_attach_journal(d, j);
	ck_assert_int_eq(ese_insert_index_entry(d, "items", "ByWhenDesc", wk, wklen, pk, pklen, NULL), JET_errKeyDuplicate);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ck_assert_int_eq(ese_journal_commit(j, &st), 0);
	ck_assert_uint_eq(integrity(path), 0);
	ck_assert_uint_eq(index_entries_of(path, "items", "ByName", pk, pklen, keys, klens, 4, want, &wantlen), 1);
	ck_assert_uint_eq(klens[0], wantlen);
	ck_assert_mem_eq(keys[0], want, wantlen);
}
END_TEST

/* Every `every`-th entry of index `index` of `table` (key then data, each
 * in its own malloc'd buffer). */
static size_t every_nth_entry(const char *path, const char *table, const char *index, unsigned every,
                              struct entry **out)
{
	ese_db *db;
	ese_catalog *cat;
	ese_cursor *c;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_db_open(path, ESE_OPEN_RDONLY, &db, &st), 0);
	ck_assert_int_eq(ese_catalog_load(db, 4, &cat, &st), 0);
	const ese_index *ix = index_named(ese_catalog_find_table(cat, table), index);
	ck_assert_int_eq(ese_cursor_open(db, ix->pgno_fdp, ix->objid, &c, &st), 0);
	size_t n = 0, cap = 0, i = 0;
	int err;
	*out = NULL;
	for (err = ese_cursor_first(c, &st); err == 0; err = ese_cursor_next(c, &st), i++) {
		size_t kl, dl;
		const uint8_t *k = ese_cursor_key(c, &kl), *d = ese_cursor_data(c, &dl);
		if (i % every == every / 2)
			push_entry(out, &n, &cap, k, kl, d, dl);
	}
	ck_assert_int_eq(err, JET_errRecordNotFound);
	ese_cursor_close(c);
	ese_catalog_free(cat);
	ese_db_close(db);
	return n;
}

/* The page flags of the root of index `index` of `table`. */
static uint32_t root_flags(const char *path, const char *table, const char *index)
{
	ese_db *db;
	ese_catalog *cat;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_db_open(path, ESE_OPEN_RDONLY, &db, &st), 0);
	ck_assert_int_eq(ese_catalog_load(db, 4, &cat, &st), 0);
	const ese_index *ix = index_named(ese_catalog_find_table(cat, table), index);
	uint8_t *buf = malloc(ese_db_page_size(db));
	ese_page pg;
	ck_assert_int_eq(ese_db_read_page(db, ix->pgno_fdp, buf, &st), 0);
	ck_assert_int_eq(ese_page_parse(&pg, buf, ese_db_page_size(db), ix->pgno_fdp, &st), 0);
	uint32_t f = pg.flags;
	free(buf);
	ese_catalog_free(cat);
	ese_db_close(db);
	return f;
}

/* /d's copy altered between the copy and its verification: the last
 * byte of the first record of table "items" flipped, the page's checksum
 * made right again, so that only the content digest can tell. */
static void alter_copy(void *ctx, const char *temp_path)
{
	int *done = ctx;
	ese_db *db;
	ese_catalog *cat;
	ese_status st = { 0 };
	ck_assert_msg(ese_db_open(temp_path, ESE_OPEN_RDONLY, &db, &st) == 0, "%s", st.msg);
	ck_assert_int_eq(ese_catalog_load(db, 4, &cat, &st), 0);
	const ese_table *t = ese_catalog_find_table(cat, "items");
	ck_assert_ptr_nonnull(t);
	ese_cursor *c;
	ck_assert_int_eq(ese_cursor_open(db, t->pgno_fdp, t->objid, &c, &st), 0);
	ck_assert_int_eq(ese_cursor_first(c, &st), 0);
	uint32_t pgno = ese_cursor_pgno(c), ps = ese_db_page_size(db);
	ese_cursor_close(c);
	ese_catalog_free(cat);
	ese_db_close(db);
	uint8_t *page = malloc(ps);
	int fd = open(temp_path, O_RDWR);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(pread(fd, page, ps, (off_t)(pgno + 1) * ps), (ssize_t)ps);
	ese_page pg;
	ese_node n;
	ck_assert_int_eq(ese_page_parse(&pg, page, ps, pgno, &st), 0);
	ck_assert_int_eq(ese_page_node(&pg, pgno, 1, &n, &st), 0);
	page[(n.data - page) + n.data_len - 1] ^= 1;
	ese_checksum_set_page(page, ps, pgno);
	ck_assert_int_eq(pwrite(fd, page, ps, (off_t)(pgno + 1) * ps), (ssize_t)ps);
	close(fd);
	free(page);
	*done = 1;
}

START_TEST(test_defrag_refuses_altered_copy)
{
	char path[256], before[65], after[65];
	gen("alter.edb", 4096, 2000, path, sizeof(path));
	file_sha(path, before);
	int done = 0;
	ese_defrag_opts o = { 0 };
	o.copied = alter_copy;
	o.copied_ctx = &done;
	ese_defrag_result r;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_defrag(path, &o, &r, &st), JET_errDatabaseCorrupted);
	ck_assert_int_eq(done, 1);
	ck_assert_msg(strstr(st.msg, "digests differ: items") != NULL, "%s", st.msg);
	file_sha(path, after);
	ck_assert_str_eq(before, after);                   /* the original untouched */
	ck_assert_int_eq(r.swapped, 0);
	ck_assert_int_eq(r.kept_copy, 1);
	ck_assert_int_eq(access(r.temp_path, F_OK), 0);    /* the copy kept to look at */
	ck_assert_uint_eq(integrity(r.temp_path), 0);      /* /g alone would have passed it */
	/* unaltered, the same database goes through (the kept copy, under the
	 * default temporary name, out of the way first) */
	ck_assert_int_eq(unlink(r.temp_path), 0);
	ese_status_init(&st);
	ck_assert_msg(ese_defrag(path, &(ese_defrag_opts){ 0 }, &r, &st) == 0, "%s", st.msg);
	ck_assert_int_eq(r.swapped, 1);
}
END_TEST

/* Entries missing from an index that /d packed full (every leaf at 100%,
 * the index owning no free page, the table and the database root none
 * either) are put back by ese_insert_index_entry: leaves split, the root
 * moves down a level when it fills, pages come from the index's parent
 * and the database root, and the file grows.  Journaled: rolled back,
 * the file is back byte for byte (and to its size); committed, /g is
 * clean and every index holds exactly what the records make. */
START_TEST(test_insert_splits_full_leaves)
{
	/* the last: an index of one page, a leaf root that fills and moves down */
	static const struct { uint32_t ps; unsigned rows, every; } v[] = {
		{ 4096, 2500, 3 }, { 2048, 2500, 3 }, { 32768, 20000, 2 }, { 4096, 200, 2 },
	};
	uint32_t ps = v[_i].ps;
	char path[512], copy[600], cmd[1400], before[65], after[65];
	gen("s.edb", ps, v[_i].rows, path, sizeof(path));
	struct entry *e;
	size_t n = every_nth_entry(path, "items", "ByName", v[_i].every, &e);
	ck_assert_uint_ge(n, 100);
	ese_deleter *d;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_msg(ese_delete_index_entry(d, "items", "ByName", e[i].b, e[i].klen, e[i].b + e[i].klen, e[i].dlen,
		                                     &st) == 0, "%s", st.msg);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ese_defrag_opts o = { 0 };
	o.fill = 100;
	ese_defrag_result r;
	ck_assert_msg(ese_defrag(path, &o, &r, &st) == 0, "%s", st.msg);
	ck_assert_uint_eq(integrity(path), 0);
	int leaf_root = (root_flags(path, "items", "ByName") & ESE_PF_LEAF) != 0;
	ck_assert_int_eq(leaf_root, v[_i].rows < 1000);
	struct stat sb0;
	ck_assert_int_eq(stat(path, &sb0), 0);
	snprintf(copy, sizeof(copy), "%s.copy", path);
	snprintf(cmd, sizeof(cmd), "cp %s %s", path, copy);
	ck_assert_int_eq(system(cmd), 0);
	file_sha(path, before);

	for (int commit = 0; commit < 2; commit++) {
		ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
		ese_journal *j;
		ck_assert_int_eq(ese_journal_begin(path, ps, &j, &st), 0);
		ese_delete_attach_journal(d, j);
		for (size_t i = 0; i < n; i++)
			ck_assert_msg(ese_insert_index_entry(d, "items", "ByName", e[i].b, e[i].klen, e[i].b + e[i].klen,
			                                     e[i].dlen, &st) == 0, "entry %zu: %s", i, st.msg);
		const ese_delete_stats *ds = ese_delete_get_stats(d);
		ck_assert_uint_gt(ds->pages_split, 0);
		ck_assert_uint_gt(ds->pages_allocated, 0);
		ck_assert_uint_gt(ds->extents_added, 1);       /* the index's, its table's or the root's */
		ck_assert_uint_gt(ds->pages_added, 0);         /* the file grew */
		ck_assert_uint_eq(ese_delete_page_count(d), (uint32_t)(sb0.st_size / ps - 2 + ds->pages_added));
		ck_assert_int_eq(ese_delete_close(d, &st), 0);
		struct stat sb;
		ck_assert_int_eq(stat(path, &sb), 0);
		ck_assert_int_gt(sb.st_size, sb0.st_size);
		if (commit) {
			ck_assert_int_eq(ese_journal_commit(j, &st), 0);
			break;
		}
		ese_journal_recovery rec;
		ck_assert_msg(ese_journal_rollback(j, &rec, &st) == 0, "%s", st.msg);
		ck_assert_int_eq(rec.truncated, 1);
		file_sha(path, after);
		ck_assert_str_eq(before, after);
	}
	ck_assert_uint_eq(integrity(path), 0);
	check_indexes(path, "items");
	ck_assert_uint_eq(root_flags(path, "items", "ByName") & ESE_PF_LEAF, 0);
	/* the same inserts without a journal give the same pages */
	ck_assert_int_eq(ese_delete_open(copy, 0, &d, &st), 0);
	for (size_t i = 0; i < n; i++)
		ck_assert_int_eq(ese_insert_index_entry(d, "items", "ByName", e[i].b, e[i].klen, e[i].b + e[i].klen,
		                                        e[i].dlen, &st), 0);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ck_assert_uint_eq(integrity(copy), 0);
	file_sha(path, before);
	file_sha(copy, after);
	ck_assert_str_eq(before, after);
	for (size_t i = 0; i < n; i++)
		free(e[i].b);
	free(e);
}
END_TEST

/* Many moves in one journaled session: indexed fixed and text columns of
 * every third record.  The writer packs index leaves full, so many new
 * entries meet a full leaf: the session splits it (ese_update_record hands
 * them to ese_delete_insert_entry).  A record too big for its own leaf
 * would be refused with the file as it was (none is here).  At the end /g
 * is clean and every index holds exactly what the records make. */
START_TEST(test_update_many)
{
	uint32_t ps = _i ? 16384 : 4096;
	char path[512];
	gen("m.edb", ps, 1500, path, sizeof(path));
	ese_deleter *d;
	ese_journal *j;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	ck_assert_int_eq(ese_journal_begin(path, ps, &j, &st), 0);
	ese_delete_attach_journal(d, j);
	ese_db *db = ese_delete_db(d);
	const ese_table *t = ese_catalog_find_table(ese_delete_catalog(d), "items");
	unsigned ok = 0, full = 0;
	for (int i = 0; i < 1500; i += 3) {
		uint8_t pk[5], g[4];
		long_key(i + 1, pk);
		char name[64];
		int nl = snprintf(name, sizeof(name), "moved-%05d", (i * 7919) % 100000);
		put_le32(g, (uint32_t)((i * 31) % 97));
		ese_value v[2];
		memset(v, 0, sizeof(v));
		v[0].columnid = column(t, "Group")->id;
		v[0].data = g;
		v[0].len = 4;
		v[1].columnid = column(t, "Name")->id;
		v[1].data = (const uint8_t *)name;
		v[1].len = (size_t)nl;
		ese_status ust = { 0 };
		ese_update_info info;
		int err = ese_update_record(d, "items", pk, 5, v, (i % 2) ? 2 : 1, 0, &info, &ust);
		if (err == JET_errFeatureNotAvailable || err == JET_errRecordTooBig) {
			ck_assert_uint_eq(info.pages_written, 0);
			full++;
			continue;
		}
		ck_assert_msg(err == 0, "record %d: %s", i + 1, ust.msg);
		ok++;
	}
	(void)db;
	uint64_t split = ese_delete_get_stats(d)->pages_split;
	if (getenv("JTEST_VERBOSE"))
		fprintf(stderr, "update_many %u: %u updated, %u refused for room\n", ps, ok, full);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ck_assert_int_eq(ese_journal_commit(j, &st), 0);
	ck_assert_msg(ok == 500 && full == 0, "%u updates, %u refused for room", ok, full);
	ck_assert_uint_gt(split, 0);
	ck_assert_uint_eq(integrity(path), 0);
	check_indexes(path, "items");
}
END_TEST

/* The record's old entry is the last one of its (non-root) leaf: the
 * deleter removes it and frees the leaf, the new entry goes elsewhere. */
START_TEST(test_update_empties_index_leaf)
{
	char path[512];
	gen("e.edb", 4096, 1500, path, sizeof(path));
	ese_deleter *d;
	ese_status st = { 0 };
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	/* ByName is in Id order: deleting ids 200..699 but 450 leaves 450 alone
	 * in its leaf */
	for (int id = 200; id < 700; id++) {
		if (id == 450)
			continue;
		uint8_t pk[5];
		long_key(id, pk);
		ck_assert_msg(ese_delete_record(d, "items", pk, 5, &st) == 0, "%d: %s", id, st.msg);
	}
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ck_assert_uint_eq(integrity(path), 0);
	ck_assert_int_eq(ese_delete_open(path, 0, &d, &st), 0);
	ese_journal *j;
	ck_assert_int_eq(ese_journal_begin(path, 4096, &j, &st), 0);
	ese_delete_attach_journal(d, j);
	uint64_t freed0 = ese_delete_get_stats(d)->pages_freed;
	uint8_t pk[5];
	long_key(450, pk);
	static const char name[] = "aaa-first-of-all";
	const ese_table *t = ese_catalog_find_table(ese_delete_catalog(d), "items");
	ese_value v;
	memset(&v, 0, sizeof(v));
	v.columnid = column(t, "Name")->id;
	v.data = (const uint8_t *)name;
	v.len = sizeof(name) - 1;
	ese_update_info info;
	ck_assert_msg(ese_update_record(d, "items", pk, 5, &v, 1, 0, &info, &st) == 0, "%s", st.msg);
	ck_assert_uint_eq(info.index_removed, 1);
	ck_assert_uint_eq(info.index_added, 1);
	ck_assert_uint_eq(ese_delete_get_stats(d)->pages_freed, freed0 + 1);
	ck_assert_int_eq(ese_delete_close(d, &st), 0);
	ck_assert_int_eq(ese_journal_commit(j, &st), 0);
	ck_assert_uint_eq(integrity(path), 0);
	check_indexes(path, "items");
}
END_TEST

Suite *suite_journal(void)
{
	Suite *s = suite_create("journal");
	TCase *tc = tcase_create("journal");
	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 300);
	tcase_add_test(tc, test_journal_recover_restores_bytes);
	tcase_add_test(tc, test_journal_torn_last_record);
	tcase_add_test(tc, test_journal_torn_header_and_damage);
	tcase_add_test(tc, test_journal_commit);
	tcase_add_test(tc, test_journal_killed_pass_rolls_back);
	tcase_add_test(tc, test_journal_append_failure_rolls_back);
	tcase_add_test(tc, test_defrag_refuses_altered_copy);
	suite_add_tcase(s, tc);
	TCase *tu = tcase_create("update");
	tcase_add_checked_fixture(tu, setup, teardown);
	tcase_set_timeout(tu, 300);
	tcase_add_test(tu, test_update_message_refcount);
	tcase_add_test(tu, test_update_folder_count);
	tcase_add_loop_test(tu, test_update_moves_index_entry, 0, 2);
	tcase_add_test(tu, test_update_too_big_refused);
	tcase_add_loop_test(tu, test_insert_missing_index_entry, 0, 2);
	tcase_add_loop_test(tu, test_insert_splits_full_leaves, 0, 4);
	tcase_add_loop_test(tu, test_update_many, 0, 2);
	tcase_add_test(tu, test_update_empties_index_leaf);
	tcase_add_test(tu, test_update_nulls_dangling_lv);
	tcase_add_test(tu, test_update_drops_dangling_instance);
	suite_add_tcase(s, tu);
	return s;
}
