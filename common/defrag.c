/*
 * defrag.c - eseutil /d: copy, verify, swap (include/ese_defrag.h).
 *
 * The copy keeps every object id and every key: each tree is streamed from
 * the source in key order into the bulk builder, so leaves are packed, the
 * branch levels rebuilt and each tree's pages contiguous.  Catalog records
 * are copied byte for byte except ColtypOrPgnoFDP of table, index and
 * long-value records (notes 7.3 item 4), in MSysObjects and its shadow;
 * the Name and RootObjects indexes are copied as they are (their keys hold
 * no page numbers).  Secondary index keys are copied, never recomputed, so
 * Unicode keys made by Windows sort rules survive.  Long values that no
 * record references are left behind and counted.
 *
 * Order of writes and renames (crash safety, invariants):
 *  1. the copy is written under the writer's own temporary name, fsynced,
 *     header last, and renamed to the temporary path (ese_writer_commit);
 *  2. it is verified there (integrity check, digests) - the original is
 *     only ever read;
 *  3. /b: the original is renamed to the backup name (never replacing);
 *  4. the copy is renamed over the database name (one atomic rename; across
 *     file systems it is first copied beside the database and fsynced);
 *  5. the directory is fsynced.
 * A crash before 4 leaves the original; after 4, the verified copy.
 */

#include "ese_defrag.h"
#include "ese_bulk.h"
#include "ese_catalog.h"
#include "ese_cli.h"
#include "ese_cursor.h"
#include "ese_db.h"
#include "ese_integrity.h"
#include "ese_lv.h"
#include "ese_page.h"
#include "ese_record.h"
#include "ese_space.h"
#include "ese_writer.h"
#include "bytes.h"

#include <errno.h>
#include <stdarg.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

struct newpg {                    /* new root pages of one table */
	uint32_t table, lv;
	uint32_t *ix;                 /* per index (primary: the table's) */
};

struct dctx {
	ese_db *src;
	ese_catalog *cat;
	ese_writer *w;
	uint32_t ps;
	unsigned fill;
	const ese_defrag_opts *o;
	ese_defrag_result *res;
	struct newpg *np;
	uint64_t done, total;
	uint32_t last_pgno;
	uint32_t *lids;
	size_t nlids, caplids;
};

static void note(const ese_defrag_opts *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(const ese_defrag_opts *o, const char *fmt, ...)
{
	if (!o->note)
		return;
	char line[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	o->note(o->note_ctx, line);
}

static void progress(struct dctx *d, ese_defrag_phase ph)
{
	if (d->o->progress)
		d->o->progress(d->o->progress_ctx, ph, d->done, d->total);
}

/* ---- copying trees -------------------------------------------------------- */

/* Called for every source entry: returns 0 to skip it, 1 to copy it; may
 * point *data at a rewritten copy of the same length. */
typedef int (*entry_fn)(struct dctx *d, const uint8_t *key, size_t kl, const uint8_t **data, size_t dl);

/* Streams the tree at pgno/objid of the source into obj. */
static int copy_tree(struct dctx *d, uint32_t pgno, uint32_t objid, ese_wobj *obj, int unique, entry_fn fn,
                     uint64_t *copied, ese_status *st)
{
	ese_cursor *c = NULL;
	ese_bulk *b = NULL;
	uint64_t n = 0;
	int err = ese_cursor_open(d->src, pgno, objid, &c, st);
	if (!err)
		err = ese_bulk_open(d->w, obj, unique, d->fill, &b, st);
	if (!err)
		err = ese_cursor_first(c, st);
	while (err == 0) {
		size_t kl, dl;
		const uint8_t *k = ese_cursor_key(c, &kl), *data = ese_cursor_data(c, &dl);
		uint32_t leaf = ese_cursor_pgno(c);
		if (leaf != d->last_pgno) {
			d->last_pgno = leaf;
			d->done++;
			if ((d->done & 127) == 0)
				progress(d, ESE_DEFRAG_PHASE_COPY);
		}
		if (!fn || fn(d, k, kl, &data, dl)) {
			if ((err = ese_bulk_add(b, k, kl, data, dl, st)))
				break;
			n++;
		}
		err = ese_cursor_next(c, st);
	}
	if (err == JET_errRecordNotFound)
		err = 0;
	ese_cursor_close(c);
	if (b) {
		if (err)
			ese_bulk_abort(b);
		else
			err = ese_bulk_finish(b, st);
	}
	if (!err) {
		d->res->trees++;
		if (copied)
			*copied = n;
	}
	return err;
}

/* Table records: remember every long value they reference. */
static int add_lid(struct dctx *d, uint32_t lid)
{
	if (d->nlids == d->caplids) {
		size_t cap = d->caplids ? d->caplids * 2 : 1024;
		uint32_t *p = realloc(d->lids, cap * sizeof(*p));
		if (!p)
			return -1;
		d->lids = p;
		d->caplids = cap;
	}
	d->lids[d->nlids++] = lid;
	return 0;
}

static int on_record(struct dctx *d, const uint8_t *key, size_t kl, const uint8_t **data, size_t dl)
{
	(void)key;
	(void)kl;
	ese_record r;
	d->res->records++;
	if (ese_record_parse(&r, *data, dl, ese_page_is_large(d->ps), NULL))
		return 1;                /* copied as it is; /g on the source would say more */
	for (size_t i = 0; i < r.ntagged; i++) {
		uint32_t fid;
		ese_colval v;
		if (ese_record_tagged_at(&r, i, &fid, &v, NULL) || !v.present)
			continue;
		size_t cnt = ese_colval_count(&v);
		for (size_t j = 0; j < cnt; j++) {
			const uint8_t *p;
			size_t n;
			int sep;
			if (ese_colval_instance(&v, j, &p, &n, &sep, NULL) == 0 && sep && n == 4)
				add_lid(d, get_le32(p));
		}
	}
	return 1;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static int lid_referenced(const struct dctx *d, uint32_t lid)
{
	size_t lo = 0, hi = d->nlids;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (d->lids[mid] < lid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < d->nlids && d->lids[lo] == lid;
}

/* Long-value entries: only those of referenced LIDs (4-byte LIDs; LID64
 * trees are copied whole). */
static int on_lv(struct dctx *d, const uint8_t *key, size_t kl, const uint8_t **data, size_t dl)
{
	(void)data;
	(void)dl;
	if (kl < 4 || (key[0] & 0x80))
		return 1;
	int keep = lid_referenced(d, get_be32(key));
	if (kl == 4) {
		if (keep)
			d->res->lvs_copied++;
		else
			d->res->lvs_unreferenced++;
	}
	return keep;
}

/* Catalog records: ColtypOrPgnoFDP (fixed column 4, record offset 14) of
 * table (1), index (3) and long-value (4) records gets the new page. */
static uint8_t catbuf[65536];
static int on_catalog(struct dctx *d, const uint8_t *key, size_t kl, const uint8_t **data, size_t dl)
{
	(void)key;
	(void)kl;
	const uint8_t *r = *data;
	if (dl < 18 || r[0] < 4 || dl > sizeof(catbuf))
		return 1;
	uint32_t objid_table = get_le32(r + 4), id = get_le32(r + 10);
	uint16_t type = get_le16(r + 8);
	uint32_t np = 0;
	for (size_t i = 0; i < d->cat->ntables && !np; i++) {
		const ese_table *t = &d->cat->tables[i];
		if (t->objid != objid_table)
			continue;
		if (type == ESE_SYSOBJ_TABLE)
			np = d->np[i].table;
		else if (type == ESE_SYSOBJ_LV)
			np = d->np[i].lv;
		else if (type == ESE_SYSOBJ_INDEX)
			for (size_t j = 0; j < t->nindexes; j++)
				if (t->indexes[j].objid == id)
					np = d->np[i].ix[j];
	}
	if (!np)
		return 1;
	memcpy(catbuf, r, dl);
	put_le32(catbuf + 14, np);
	*data = catbuf;
	return 1;
}

static const ese_table *find_objid(const ese_catalog *cat, uint32_t objid, size_t *idx)
{
	for (size_t i = 0; i < cat->ntables; i++)
		if (cat->tables[i].objid == objid) {
			*idx = i;
			return &cat->tables[i];
		}
	return NULL;
}

static int is_primary(const ese_table *t, const ese_index *ix)
{
	return ix->objid == t->objid || ix->pgno_fdp == t->pgno_fdp;
}

/* Whether the source tree at pgno is its root page alone (a leaf root):
 * the copy keeps it in one page too, so it is made single-extent. */
static int one_page_tree(struct dctx *d, uint32_t pgno)
{
	ese_status st;
	ese_status_init(&st);
	const uint8_t *page;
	ese_page pg;
	uint8_t *scratch = malloc(d->ps);
	int one = scratch && !ese_db_view_page(d->src, pgno, scratch, &page, &st) &&
	          !ese_page_parse(&pg, page, d->ps, pgno, &st) && (pg.flags & ESE_PF_LEAF);
	free(scratch);
	return one;
}

/* A tree of the copy: single-extent of `pages` pages when small is set (as
 * ESE keeps small trees: no space-tree pages), else multiple-extent. */
static ese_wobj *new_object(struct dctx *d, ese_wobj *parent, uint32_t objid, int small, uint32_t pages,
                            uint32_t type_flags, ese_status *st)
{
	return small ? ese_writer_object_single(d->w, parent, objid, pages, type_flags, st)
	             : ese_writer_object(d->w, parent, objid, 0, 3, type_flags, st);
}

/* Copies table i with its long values and secondary indexes.  Trees that
 * are one page in the source are single-extent in the copy; a table whose
 * trees all are keeps one extent with a page for each child. */
static int copy_table(struct dctx *d, size_t i, ese_status *st)
{
	const ese_table *t = &d->cat->tables[i];
	ese_wobj *root = ese_writer_root(d->w);
	uint32_t nsmall = 0, nchildren = 0;
	int small_lv = t->lv_pgno_fdp && one_page_tree(d, t->lv_pgno_fdp);
	if (t->lv_pgno_fdp) {
		nchildren++;
		nsmall += (uint32_t)small_lv;
	}
	uint8_t *small_ix = calloc(t->nindexes + 1, 1);
	if (!small_ix)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	for (size_t j = 0; j < t->nindexes; j++)
		if (!is_primary(t, &t->indexes[j])) {
			small_ix[j] = (uint8_t)one_page_tree(d, t->indexes[j].pgno_fdp);
			nchildren++;
			nsmall += small_ix[j];
		}
	int small_table = one_page_tree(d, t->pgno_fdp) && nsmall == nchildren && nchildren < 33;
	int err = 0;
	ese_wobj *obj = new_object(d, root, t->objid, small_table, 1 + nchildren, 0, st);
	if (!obj) {
		free(small_ix);
		return st ? st->err : JET_errOutOfMemory;
	}
	d->np[i].table = ese_wobj_fdp(obj);
	d->nlids = 0;
	err = copy_tree(d, t->pgno_fdp, t->objid, obj, 1, on_record, NULL, st);
	if (!err && t->lv_pgno_fdp) {
		if (d->nlids > 1)
			qsort(d->lids, d->nlids, sizeof(uint32_t), cmp_u32);
		ese_wobj *lv = new_object(d, obj, t->lv_objid, small_lv, 1, ESE_PF_LONG_VALUE, st);
		if (!lv)
			err = st ? st->err : JET_errOutOfMemory;
		else {
			d->np[i].lv = ese_wobj_fdp(lv);
			err = copy_tree(d, t->lv_pgno_fdp, t->lv_objid, lv, 1, on_lv, NULL, st);
		}
	}
	for (size_t j = 0; j < t->nindexes && !err; j++) {
		const ese_index *ix = &t->indexes[j];
		if (is_primary(t, ix)) {
			d->np[i].ix[j] = d->np[i].table;
			continue;
		}
		int unique = (ix->flags & ESE_IDX_UNIQUE) != 0;
		ese_wobj *io = new_object(d, obj, ix->objid, small_ix[j], 1, ESE_PF_INDEX | (unique ? 0 : ESE_PF_NON_UNIQUE), st);
		if (!io) {
			err = st ? st->err : JET_errOutOfMemory;
			break;
		}
		d->np[i].ix[j] = ese_wobj_fdp(io);
		err = copy_tree(d, ix->pgno_fdp, ix->objid, io, unique, NULL, NULL, st);
	}
	free(small_ix);
	return err;
}

/* ---- the header of the copy ------------------------------------------------- */

/* As eseutil's compaction leaves it: clean, a new signature (no log of the
 * old database can be replayed into it), log and backup fields reset; the
 * format, object ids, repair and ECC history, OS and sort versions kept. */
static void copy_header(ese_dbheader *h, const ese_dbheader *src)
{
	ese_dbheader keep = *src;
	memset(h, 0, sizeof(*h));
	h->magic = ESE_DB_MAGIC;
	h->version = keep.version;
	h->update_major = keep.update_major;
	h->update_minor = keep.update_minor;
	h->create_version = keep.create_version;
	h->create_update = keep.create_update;
	h->page_size = keep.page_size ? keep.page_size : 4096;
	h->state = ESE_DBSTATE_CLEAN;
	h->dbid = 1;
	h->file_type = 1;
	h->db_flags = keep.db_flags;
	h->objid_last = keep.objid_last;
	h->os_major = keep.os_major;
	h->os_minor = keep.os_minor;
	h->os_build = keep.os_build;
	h->os_sp = keep.os_sp;
	h->sort_version = keep.sort_version;
	h->repair_count = keep.repair_count;
	h->time_repair = keep.time_repair;
	h->repair_count_old = keep.repair_count_old;
	h->ecc_fix_success = keep.ecc_fix_success;
	h->time_ecc_fix_success = keep.time_ecc_fix_success;
	h->ecc_fix_success_old = keep.ecc_fix_success_old;
	h->ecc_fix_error = keep.ecc_fix_error;
	h->time_ecc_fix_error = keep.time_ecc_fix_error;
	h->ecc_fix_error_old = keep.ecc_fix_error_old;
	h->bad_checksum = keep.bad_checksum;
	h->time_bad_checksum = keep.time_bad_checksum;
	h->bad_checksum_old = keep.bad_checksum_old;
	h->reseed_count = keep.reseed_count;
	h->time_reseed = keep.time_reseed;
	h->reseed_count_old = keep.reseed_count_old;
	h->patch_count = keep.patch_count;
	h->time_patch = keep.time_patch;
	h->patch_count_old = keep.patch_count_old;
	uint32_t rnd = 0;
	if (getrandom(&rnd, sizeof(rnd), 0) != (ssize_t)sizeof(rnd))
		rnd = (uint32_t)time(NULL) ^ (uint32_t)getpid();
	h->sign_db.random = rnd;
	ese_logtime_now(&h->sign_db.created);
	h->time_consistent = h->sign_db.created;
	h->time_attach = h->sign_db.created;
	h->time_detach = h->sign_db.created;
}

/* ---- digests ------------------------------------------------------------------ */

struct digest_lv {
	ese_db *db;
	const ese_table *t;
	ese_sbuf buf;
};

/* The digest of one tree: every entry's key and data; for table records,
 * the content of every long value they reference instead of its LID. */
static int digest_tree(ese_db *db, const ese_table *t, uint32_t pgno, uint32_t objid, int records, int catalog,
                       EVP_MD_CTX *md, const int *cancel, ese_status *st)
{
	ese_cursor *c;
	int err = ese_cursor_open(db, pgno, objid, &c, st);
	if (err)
		return err;
	ese_sbuf lv;
	ese_sbuf_init(&lv);
	uint8_t buf[65536];
	for (err = ese_cursor_first(c, st); err == 0; err = ese_cursor_next(c, st)) {
		if (cancel && __atomic_load_n(cancel, __ATOMIC_RELAXED)) {
			err = ese_fail(st, JET_errTermInProgress, 0, "digest stopped: the operation failed elsewhere");
			break;
		}
		size_t kl, dl;
		const uint8_t *k = ese_cursor_key(c, &kl), *data = ese_cursor_data(c, &dl);
		uint32_t n = (uint32_t)kl;
		EVP_DigestUpdate(md, &n, 4);
		EVP_DigestUpdate(md, k, kl);
		n = (uint32_t)dl;
		EVP_DigestUpdate(md, &n, 4);
		if (catalog && dl >= 18 && dl <= sizeof(buf) && data[0] >= 4) {
			/* page numbers move: the catalog is compared without them */
			memcpy(buf, data, dl);
			uint16_t type = get_le16(buf + 8);
			if (type == ESE_SYSOBJ_TABLE || type == ESE_SYSOBJ_INDEX || type == ESE_SYSOBJ_LV)
				put_le32(buf + 14, 0);
			EVP_DigestUpdate(md, buf, dl);
		} else {
			EVP_DigestUpdate(md, data, dl);
		}
		if (!records)
			continue;
		ese_record r;
		if (ese_record_parse(&r, data, dl, ese_page_is_large(ese_db_page_size(db)), NULL))
			continue;
		for (size_t i = 0; i < r.ntagged; i++) {
			uint32_t fid;
			ese_colval v;
			if (ese_record_tagged_at(&r, i, &fid, &v, NULL) || !v.present)
				continue;
			size_t cnt = ese_colval_count(&v);
			for (size_t j = 0; j < cnt; j++) {
				const uint8_t *p;
				size_t ln;
				int sep;
				if (ese_colval_instance(&v, j, &p, &ln, &sep, NULL) || !sep)
					continue;
				if ((err = ese_lv_read(db, t, p, ln, &lv, NULL, st)))
					goto out;
				n = (uint32_t)lv.len;
				EVP_DigestUpdate(md, &n, 4);
				EVP_DigestUpdate(md, lv.data, lv.len);
			}
		}
	}
	if (err == JET_errRecordNotFound)
		err = 0;
out:
	ese_sbuf_free(&lv);
	ese_cursor_close(c);
	return err;
}

static int cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 1 ? 1 : n > 8 ? 8 : (int)n;
}

/* The digest of table i: its name, its records (LVs resolved), each
 * secondary index's entries. */
static int digest_table(ese_db *db, const ese_table *t, uint8_t out[32], const int *cancel, ese_status *st)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	if (!md || !EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		EVP_MD_CTX_free(md);
		return ese_fail(st, JET_errOutOfMemory, 0, "cannot start SHA-256");
	}
	EVP_DigestUpdate(md, t->name, strlen(t->name) + 1);
	int catalog = t->objid == 2 || t->objid == 3;
	int err = digest_tree(db, t, t->pgno_fdp, t->objid, !catalog, catalog, md, cancel, st);
	for (size_t j = 0; j < t->nindexes && !err; j++)
		if (!is_primary(t, &t->indexes[j]))
			err = digest_tree(db, t, t->indexes[j].pgno_fdp, t->indexes[j].objid, 0, 0, md, cancel, st);
	unsigned len = 0;
	if (!err)
		EVP_DigestFinal_ex(md, out, &len);
	EVP_MD_CTX_free(md);
	return err;
}

/* Per-table digests of a database, computed by `threads` threads (this
 * one and threads - 1 more) taking the tables in turn: one SHA-256 stream
 * runs at about 2 GB/s, a mail store's two large tables hash side by side. */
struct digest_pool {
	ese_db *db;
	const ese_catalog *cat;
	uint8_t (*per)[32];
	const int *cancel;
	size_t next;
	int err;
	ese_status st;
	pthread_mutex_t lock;
};

static void *digest_worker(void *arg)
{
	struct digest_pool *p = arg;
	for (;;) {
		size_t i = __atomic_fetch_add(&p->next, 1, __ATOMIC_RELAXED);
		if (i >= p->cat->ntables || __atomic_load_n(&p->err, __ATOMIC_RELAXED))
			break;
		ese_status st;
		ese_status_init(&st);
		int err = digest_table(p->db, &p->cat->tables[i], p->per[i], p->cancel, &st);
		if (err) {
			pthread_mutex_lock(&p->lock);
			if (!p->err) {
				p->err = err;
				p->st = st;
			}
			pthread_mutex_unlock(&p->lock);
			break;
		}
	}
	return NULL;
}

static int digest_tables(ese_db *db, const ese_catalog *cat, uint8_t (*per)[32], int threads, const int *cancel,
                         ese_status *st)
{
	struct digest_pool p = { .db = db, .cat = cat, .per = per, .cancel = cancel };
	ese_status_init(&p.st);
	pthread_mutex_init(&p.lock, NULL);
	pthread_t tid[7];
	int started[7] = { 0 };
	int extra = threads > 8 ? 7 : threads - 1;
	for (int i = 0; i < extra; i++)
		started[i] = pthread_create(&tid[i], NULL, digest_worker, &p) == 0;
	digest_worker(&p);
	for (int i = 0; i < extra; i++)
		if (started[i])
			pthread_join(tid[i], NULL);
	pthread_mutex_destroy(&p.lock);
	if (p.err && st)
		*st = p.st;
	return p.err;
}

/* The digest of a whole database: SHA-256 over its per-table digests in
 * catalog order. */
static void digest_combine(const ese_catalog *cat, uint8_t (*per)[32], uint8_t out[32])
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned len = 0;
	if (md && EVP_DigestInit_ex(md, EVP_sha256(), NULL)) {
		for (size_t i = 0; i < cat->ntables; i++)
			EVP_DigestUpdate(md, per[i], 32);
		EVP_DigestFinal_ex(md, out, &len);
	}
	if (len != 32)
		memset(out, 0xFF, 32);     /* no digest: never equal to a real one's */
	EVP_MD_CTX_free(md);
}

/* A database's digests computed on a thread of its own (and `threads` - 1
 * helpers) while this thread copies or checks (the reads of one handle are
 * thread-safe: cursors view pages). */
struct digest_job {
	ese_db *db;
	const ese_catalog *cat;
	int threads;
	uint8_t (*per)[32];           /* one per catalog table */
	uint8_t out[32];
	int err, started, done, cancel;
	ese_status st;
	pthread_t tid;
};

static void *digest_main(void *arg)
{
	struct digest_job *j = arg;
	if (!j->per)
		j->err = ese_fail(&j->st, JET_errOutOfMemory, 0, "out of memory");
	else if (!(j->err = digest_tables(j->db, j->cat, j->per, j->threads, &j->cancel, &j->st)))
		digest_combine(j->cat, j->per, j->out);
	return NULL;
}

static void digest_start(struct digest_job *j, ese_db *db, const ese_catalog *cat, int threads)
{
	memset(j, 0, sizeof(*j));
	j->db = db;
	j->cat = cat;
	j->threads = threads;
	j->per = calloc(cat->ntables ? cat->ntables : 1, 32);
	ese_status_init(&j->st);
	j->started = pthread_create(&j->tid, NULL, digest_main, j) == 0;
}

/* Waits for the digest (or computes it here if no thread could start). */
static int digest_finish(struct digest_job *j, ese_status *st)
{
	if (j->done)
		return j->err;
	if (j->started)
		pthread_join(j->tid, NULL);
	else if (j->db)
		digest_main(j);
	j->done = 1;
	if (j->err && st && !st->err)
		*st = j->st;
	return j->err;
}

static void digest_free(struct digest_job *j)
{
	free(j->per);
	j->per = NULL;
}

int ese_defrag_digest_file(const char *path, uint8_t out[32], ese_status *st)
{
	ese_db *db;
	ese_catalog *cat;
	int err = ese_db_open(path, ESE_OPEN_RDONLY, &db, st);
	if (err)
		return err;
	if (!(err = ese_catalog_load(db, 4, &cat, st))) {
		uint8_t (*per)[32] = calloc(cat->ntables ? cat->ntables : 1, 32);
		if (!per)
			err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		else if (!(err = digest_tables(db, cat, per, 1, NULL, st)))
			digest_combine(cat, per, out);
		free(per);
		ese_catalog_free(cat);
	}
	ese_db_close(db);
	return err;
}

/* ---- preconditions, space, swap -------------------------------------------------- */

static char *dir_of(const char *path)
{
	char *c = strdup(path);
	if (!c)
		return NULL;
	char *d = strdup(dirname(c));
	free(c);
	return d;
}

static uint64_t bytes_free(const char *dir)
{
	struct statvfs v;
	if (statvfs(dir, &v) != 0)
		return 0;
	return (uint64_t)v.f_bavail * v.f_frsize;
}

/* Pages the copy will need: what the space trees say is used (owned minus
 * available), object by object. */
static uint64_t estimate_pages(ese_db *db, const ese_catalog *cat)
{
	uint64_t used = 8;
	for (size_t i = 0; i < cat->ntables; i++) {
		const ese_table *t = &cat->tables[i];
		uint32_t roots[2 + 64], objids[2 + 64];
		size_t n = 0;
		roots[n] = t->pgno_fdp;
		objids[n++] = t->objid;
		if (t->lv_pgno_fdp) {
			roots[n] = t->lv_pgno_fdp;
			objids[n++] = t->lv_objid;
		}
		for (size_t j = 0; j < t->nindexes && n < 66; j++)
			if (!is_primary(t, &t->indexes[j])) {
				roots[n] = t->indexes[j].pgno_fdp;
				objids[n++] = t->indexes[j].objid;
			}
		for (size_t k = 0; k < n; k++) {
			ese_space sp;
			ese_status st;
			ese_status_init(&st);
			if (ese_space_read(db, roots[k], objids[k], &sp, &st)) {
				used += 3;
				continue;
			}
			uint64_t o = 0, a = 0;
			for (size_t e = 0; e < sp.nowned; e++)
				o += sp.owned[e].count;
			for (size_t e = 0; e < sp.navail; e++)
				a += sp.avail[e].count;
			used += o > a ? o - a : 0;
			used += 3;
			ese_space_free(&sp);
		}
	}
	return used;
}

/* Copies file src to dst (created O_EXCL, 0600) and fsyncs it. */
static int copy_file(const char *src, const char *dst, ese_status *st)
{
	int in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return ese_fail(st, JET_errDiskIO, 0, "%s: %s", src, strerror(errno));
	int out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (out < 0) {
		close(in);
		return ese_fail(st, errno == EEXIST ? JET_errInvalidPath : JET_errDiskIO, 0, "%s: %s", dst, strerror(errno));
	}
	static char buf[1 << 20];
	ssize_t n;
	int err = 0;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n) {
			err = ese_fail(st, errno == ENOSPC ? JET_errDiskFull : JET_errDiskIO, 0, "%s: %s", dst, strerror(errno));
			break;
		}
	if (!err && (n < 0 || fsync(out) != 0))
		err = ese_fail(st, JET_errDiskIO, 0, "%s: %s", dst, strerror(errno));
	close(in);
	close(out);
	if (err)
		unlink(dst);
	return err;
}

static void fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* ---- the operation ------------------------------------------------------------------ */

int ese_defrag(const char *path, const ese_defrag_opts *opts, ese_defrag_result *res, ese_status *st)
{
	static const ese_defrag_opts none;
	ese_defrag_result local;
	if (!opts)
		opts = &none;
	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	double t0 = ese_now();
	struct dctx d = { 0 };
	struct digest_job src_digest = { 0 }, copy_digest = { 0 };
	ese_db *copy = NULL, *copy2 = NULL;
	ese_catalog *ccat = NULL;
	d.o = opts;
	d.res = res;
	d.fill = opts->fill ? opts->fill : ESE_DEFRAG_FILL_DEFAULT;
	int err = 0, have_copy = 0;
	char *dbdir = NULL, *tmpdir = NULL;
	struct stat sb;

	/* 1. preconditions, before any page is copied */
	if (lstat(path, &sb) == 0 && S_ISLNK(sb.st_mode))
		return ese_fail(st, JET_errInvalidPath, 0,
		                "%s: is a symbolic link; give the path of the database file itself", path);
	if ((err = ese_db_open(path, ESE_OPEN_RDONLY | ESE_OPEN_EXCLUSIVE, &d.src, st)))
		return err;
	const ese_dbheader *h = ese_db_header(d.src);
	d.ps = ese_db_page_size(d.src);
	res->bytes_before = ese_db_file_size(d.src);
	res->pages_before = ese_db_page_count(d.src);
	if (h->state != ESE_DBSTATE_CLEAN) {
		err = ese_fail(st, JET_errDatabaseDirtyShutdown, 0,
		               "%s: the database is in %s state; soft recovery must replay log generations %d-%d first",
		               path, ese_dbstate_name(h->state), h->gen_min_required, h->gen_max_required);
		goto out;
	}
	const ese_header_state *hs = ese_db_header_state(d.src);
	if (!hs->primary_ok || !hs->shadow_ok) {
		err = ese_fail(st, JET_errDatabaseCorrupted, 0,
		               "%s: a header copy is damaged (run eseutil /mh, then eseutil /p)", path);
		goto out;
	}
	if ((err = ese_catalog_load(d.src, 4, &d.cat, st)))
		goto out;
	dbdir = dir_of(path);
	if (!dbdir) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	if (!opts->preserve && access(dbdir, W_OK) != 0) {
		err = ese_fail(st, JET_errFileAccessDenied, 0, "%s: cannot write in %s, so the copy cannot replace it",
		               path, dbdir);
		goto out;
	}
	if (opts->temp_path)
		snprintf(res->temp_path, sizeof(res->temp_path), "%s", opts->temp_path);
	else
		snprintf(res->temp_path, sizeof(res->temp_path), "%s/TEMPDFRG%ld.EDB", dbdir, (long)getpid());
	if (lstat(res->temp_path, &sb) == 0) {
		err = ese_fail(st, JET_errInvalidPath, 0, "%s: the temporary path already exists; remove it or choose another",
		               res->temp_path);
		goto out;
	}
	if (opts->backup_path && lstat(opts->backup_path, &sb) == 0) {
		err = ese_fail(st, JET_errInvalidPath, 0, "%s: the backup path already exists", opts->backup_path);
		goto out;
	}
	tmpdir = dir_of(res->temp_path);
	if (!tmpdir || access(tmpdir, W_OK) != 0) {
		err = ese_fail(st, JET_errFileAccessDenied, 0, "%s: cannot write the temporary file there",
		               tmpdir ? tmpdir : res->temp_path);
		goto out;
	}
	uint64_t est = estimate_pages(d.src, d.cat);
	res->space_needed = (est + 2) * d.ps + (est + 2) * d.ps / 10;
	res->space_free = bytes_free(tmpdir);
	note(opts, "Space: the copy needs about %.1f MiB (estimate plus 10%%); %.1f MiB free at %s",
	     res->space_needed / 1048576.0, res->space_free / 1048576.0, tmpdir);
	if (res->space_free < res->space_needed) {
		err = ese_fail(st, JET_errDiskFull, 0, "%s: not enough free space for the copy: %llu bytes needed, %llu free",
		               tmpdir, (unsigned long long)res->space_needed, (unsigned long long)res->space_free);
		goto out;
	}
	struct stat sd, stt;
	if (!opts->preserve && stat(dbdir, &sd) == 0 && stat(tmpdir, &stt) == 0 && sd.st_dev != stt.st_dev) {
		uint64_t f = bytes_free(dbdir);
		note(opts, "Space: the temporary file is on another file system; %.1f MiB free beside the database",
		     f / 1048576.0);
		if (f < res->space_needed) {
			err = ese_fail(st, JET_errDiskFull, 0,
			               "%s: not enough free space to copy the result back: %llu bytes needed, %llu free", dbdir,
			               (unsigned long long)res->space_needed, (unsigned long long)f);
			goto out;
		}
	}
	d.total = est;
	progress(&d, ESE_DEFRAG_PHASE_CHECK);

	/* 2. the copy, while another thread digests the source for step 3 */
	double tc = ese_now();
	if ((err = ese_writer_create(res->temp_path, d.ps, ESE_CREATE_PRIVATE, 0, &d.w, st)))
		goto out;
	ese_writer_time_syncs(d.w, &res->sync_seconds);
	digest_start(&src_digest, d.src, d.cat, 1);     /* beside the copy, which keeps the other core busy */
	d.np = calloc(d.cat->ntables ? d.cat->ntables : 1, sizeof(struct newpg));
	for (size_t i = 0; d.np && i < d.cat->ntables; i++)
		if (!(d.np[i].ix = calloc(d.cat->tables[i].nindexes + 1, sizeof(uint32_t))))
			d.np = NULL;
	if (!d.np) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	size_t imso = 0, ishadow = 0;
	const ese_table *mso = find_objid(d.cat, 2, &imso), *shadow = find_objid(d.cat, 3, &ishadow);
	if (!mso || !shadow) {
		err = ese_fail(st, JET_errCatalogCorrupted, 0, "%s: the catalog lacks MSysObjects or its shadow", path);
		goto out;
	}
	ese_wobj *root = ese_writer_root(d.w);
	ese_wobj *mso_obj = ese_writer_object(d.w, root, 2, 4, 20, 0, st);
	ese_wobj *name_obj = mso_obj ? ese_writer_object(d.w, mso_obj, 4, 7, 3, ESE_PF_INDEX, st) : NULL;
	ese_wobj *rootobj_obj = name_obj ? ese_writer_object(d.w, mso_obj, 5, 10, 3, ESE_PF_INDEX, st) : NULL;
	ese_wobj *sh_obj = rootobj_obj ? ese_writer_object(d.w, root, 3, 24, 5, 0, st) : NULL;
	if (!sh_obj) {
		err = st ? st->err : JET_errOutOfMemory;
		goto out;
	}
	d.np[imso].table = 4;
	d.np[ishadow].table = 24;
	for (size_t j = 0; j < mso->nindexes; j++)
		d.np[imso].ix[j] = mso->indexes[j].objid == 4 ? 7 : mso->indexes[j].objid == 5 ? 10 : 4;
	for (size_t j = 0; j < shadow->nindexes; j++)
		d.np[ishadow].ix[j] = 24;
	for (size_t i = 0; i < d.cat->ntables && !err; i++)
		if (i != imso && i != ishadow)
			err = copy_table(&d, i, st);
	/* the catalog, its shadow (empty when the header disables shadowing),
	 * and the catalog's indexes */
	if (!err)
		err = copy_tree(&d, 4, 2, mso_obj, 1, on_catalog, NULL, st);
	if (!err && !(h->db_flags & 1))
		err = copy_tree(&d, 4, 2, sh_obj, 1, on_catalog, NULL, st);
	for (size_t j = 0; j < mso->nindexes && !err; j++) {
		const ese_index *ix = &mso->indexes[j];
		if (ix->objid == 4)
			err = copy_tree(&d, 7, 4, name_obj, 1, NULL, NULL, st);
		else if (ix->objid == 5)
			err = copy_tree(&d, 10, 5, rootobj_obj, 1, NULL, NULL, st);
	}
	if (err)
		goto out;
	copy_header(ese_writer_header(d.w), h);
	ese_writer_header(d.w)->page_size = d.ps;
	err = ese_writer_commit(d.w, st);
	d.w = NULL;
	if (err)
		goto out;
	have_copy = 1;
	res->copy_seconds = ese_now() - tc;
	if (opts->copied)
		opts->copied(opts->copied_ctx, res->temp_path);
	progress(&d, ESE_DEFRAG_PHASE_COPY);

	/* 3. verification: no problem in the copy, same content.  The copy's
	 * digest is computed on another thread (its own handle) while /g runs
	 * here; the source's was computed during the copy. */
	double tv = ese_now();
	ese_integrity ir;
	ese_reporter rep;
	ese_reporter_init(&rep, NULL, NULL, 0);
	if ((err = ese_db_open(res->temp_path, ESE_OPEN_RDONLY, &copy, st)) ||
	    (err = ese_db_open(res->temp_path, ESE_OPEN_RDONLY, &copy2, st)) ||
	    (err = ese_catalog_load(copy2, 4, &ccat, st)))
		goto verify_failed;
	digest_start(&copy_digest, copy2, ccat, cpus());  /* /g on the copy finishes first: then all cores hash */
	if ((err = ese_integrity_check(copy, &rep, &ir, st)))
		goto verify_failed;
	res->pages_after = ese_db_page_count(copy);
	res->bytes_after = ese_db_file_size(copy);
	ese_integrity_free(&ir);
	if (rep.total) {
		err = ese_fail(st, JET_errDatabaseCorrupted, 0,
		               "the copy at %s does not pass the integrity check (%llu problems; run eseutil /g on it); "
		               "the original is unchanged", res->temp_path, (unsigned long long)rep.total);
		goto verify_failed;
	}
	if ((err = digest_finish(&copy_digest, st)) || (err = digest_finish(&src_digest, st)))
		goto verify_failed;
	if (memcmp(src_digest.out, copy_digest.out, 32)) {
		/* say which tables differ */
		char which[400] = "";
		size_t used = 0, ndiff = 0;
		for (size_t i = 0; i < d.cat->ntables; i++) {
			const ese_table *t = &d.cat->tables[i];
			size_t k = 0;
			while (k < ccat->ntables && strcmp(ccat->tables[k].name, t->name))
				k++;
			if (k < ccat->ntables && !memcmp(src_digest.per[i], copy_digest.per[k], 32))
				continue;
			if (ndiff++ < 8 && used + strlen(t->name) + 3 < sizeof(which))
				used += (size_t)snprintf(which + used, sizeof(which) - used, "%s%s", used ? ", " : "", t->name);
		}
		if (ccat->ntables != d.cat->ntables && used + 40 < sizeof(which))
			snprintf(which + used, sizeof(which) - used, "%s%zu tables in the copy, %zu in the original",
			         used ? "; " : "", ccat->ntables, d.cat->ntables);
		err = ese_fail(st, JET_errDatabaseCorrupted, 0,
		               "the copy at %s differs from the original in content (SHA-256 digests differ: %s); "
		               "the original is unchanged", res->temp_path, which[0] ? which : "the tables' order");
		goto verify_failed;
	}
	ese_catalog_free(ccat);
	ccat = NULL;
	ese_db_close(copy);
	ese_db_close(copy2);
	copy = copy2 = NULL;
	res->verify_seconds = ese_now() - tv;
	progress(&d, ESE_DEFRAG_PHASE_VERIFY);

	/* 4. the swap */
	if (opts->preserve) {
		res->kept_copy = 1;
		note(opts, "The original is untouched; the defragmented copy is %s", res->temp_path);
		goto out;
	}
	/* the copy takes the original's permissions and owner before it replaces it */
	if (stat(path, &sb) == 0) {
		if (chmod(res->temp_path, sb.st_mode & 07777) != 0 ||
		    (geteuid() == 0 && chown(res->temp_path, sb.st_uid, sb.st_gid) != 0))
			note(opts, "Note: could not give %s the original's permissions", res->temp_path);
	}
	if (opts->backup_path) {
		if (renameat2(AT_FDCWD, path, AT_FDCWD, opts->backup_path, RENAME_NOREPLACE) != 0) {
			err = ese_fail(st, JET_errDiskIO, 0, "%s: could not move the original to %s: %s", path,
			               opts->backup_path, strerror(errno));
			goto out;
		}
		note(opts, "Moving '%s' to '%s'... DONE!", path, opts->backup_path);
	}
	if (rename(res->temp_path, path) != 0) {
		if (errno != EXDEV) {
			err = ese_fail(st, JET_errDiskIO, 0, "could not rename %s over %s: %s; the copy is kept there",
			               res->temp_path, path, strerror(errno));
			res->kept_copy = 1;
			have_copy = 0;
			goto out;
		}
		/* another file system: copy beside the database, then rename */
		char side[600];
		snprintf(side, sizeof(side), "%s.dfrg%ld", path, (long)getpid());
		if ((err = copy_file(res->temp_path, side, st)))
			goto out;
		if (rename(side, path) != 0) {
			err = ese_fail(st, JET_errDiskIO, 0, "could not rename %s over %s: %s", side, path, strerror(errno));
			unlink(side);
			goto out;
		}
		unlink(res->temp_path);
	}
	have_copy = 0;
	fsync_dir(dbdir);
	res->swapped = 1;
	note(opts, "Moving '%s' to '%s'... DONE!", res->temp_path, path);
	progress(&d, ESE_DEFRAG_PHASE_SWAP);
	goto out;

verify_failed:
	res->kept_copy = 1;
	have_copy = 0;              /* keep it for inspection */
out:
	/* the digest threads read handles closed below: wait for them */
	__atomic_store_n(&copy_digest.cancel, 1, __ATOMIC_RELAXED);
	__atomic_store_n(&src_digest.cancel, 1, __ATOMIC_RELAXED);
	if (copy_digest.db)
		digest_finish(&copy_digest, NULL);
	if (src_digest.db)
		digest_finish(&src_digest, NULL);
	digest_free(&copy_digest);
	digest_free(&src_digest);
	ese_catalog_free(ccat);
	ese_db_close(copy);
	ese_db_close(copy2);
	if (d.w)
		ese_writer_abort(d.w);
	if (have_copy && !opts->preserve)
		unlink(res->temp_path);
	if (d.np)
		for (size_t i = 0; d.cat && i < d.cat->ntables; i++)
			free(d.np[i].ix);
	free(d.np);
	free(d.lids);
	ese_catalog_free(d.cat);
	ese_db_close(d.src);
	free(dbdir);
	free(tmpdir);
	res->seconds = ese_now() - t0;
	return err;
}
