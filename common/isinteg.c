/*
 * isinteg.c - isinteg (include/ese_isinteg.h): the tests, the passes that
 * run them, reporting, the report file, the repair queue and the journal.
 *
 * One run:
 *  1. take the run lock (an OFD lock on the database: a write lock for
 *     -fix, a read lock otherwise, so two runs never work on one file),
 *     roll back an interrupted pass (ese_journal_recover), open the
 *     database read-only under its exclusive flock; refuse a header that
 *     is not Clean, a catalog that cannot be read, and for -fix a file
 *     that cannot be written - all before anything is written;
 *  2. each pass runs the selected tests in order.  A test only reads, and
 *     queues its repairs; when it ends, the reader is closed, the queue is
 *     applied in one deleter session (ese_delete.h, ese_update.h) whose
 *     writes go through the pass's journal, and the reader is reopened, so
 *     the next test sees the repairs;
 *  3. at the end of a pass the journal is committed: the pass is durable.
 *     A write error rolls the pass back (ese_journal_rollback) and ends
 *     the run with an operational error;
 *  4. passes repeat as ese_isinteg.h says; the verdict and exit status
 *     follow from the last pass.
 *
 * Contents: declarations shared by the tests · the generic tests ·
 * the mail-store tests · output · keys · reading · the repair queue ·
 * the run.
 */
#include "ese_isinteg.h"
#include "ese_catalog.h"
#include "ese_checksum.h"
#include "ese_cli.h"
#include "ese_cursor.h"
#include "ese_db.h"
#include "ese_dbheader.h"
#include "ese_delete.h"
#include "ese_journal.h"
#include "ese_key.h"
#include "ese_lv.h"
#include "ese_page.h"
#include "ese_problem.h"
#include "ese_record.h"
#include "ese_sort.h"
#include "ese_update.h"
#include "bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* ---- declarations shared by the tests ---------------------------------- */

/* A repair, queued by a test and applied when the test ends.  Names, not
 * pointers: the catalog is read again after every batch of repairs. */
enum fix_kind {
	FIX_DELETE_RECORD,         /* ese_delete_record(table, key) */
	FIX_DELETE_ENTRY,          /* ese_delete_index_entry(table, index, key, data) */
	FIX_INSERT_ENTRY,          /* ese_insert_index_entry(table, index, key, data) */
	FIX_UPDATE,                /* ese_update_record(table, key, cols) */
	FIX_HEADER,                /* objid_last = objid_last, both header copies */
	FIX_LV_REFCOUNT,           /* ese_update_lv_refcount(table, lid, refcount) */
	FIX_DELETE_LV,             /* ese_delete_lv(table, lid) */
	FIX_NULL_LV,               /* ese_update_record(table, key, columnid = NULL), dangling LV reference */
	FIX_REPLACE_RECORD,        /* ese_update_replace_record(table, key, data = the good record) */
};

struct fixcol {
	char    name[32];
	uint8_t val[8];            /* little-endian, as stored */
	size_t  len;
};

struct fix {
	enum fix_kind kind;
	ese_problem_code code;     /* of the finding it repairs */
	unsigned findings;         /* findings it repairs */
	char    *table, *index;
	uint8_t *key;              /* record: primary key; entry: index key */
	size_t   klen;
	uint8_t *data;             /* entry: the record's primary key */
	size_t   dlen;
	struct fixcol cols[3];     /* FIX_UPDATE */
	size_t   ncols;
	uint32_t objid_last;       /* FIX_HEADER */
	uint32_t lid, refcount;    /* FIX_LV_REFCOUNT, FIX_DELETE_LV, FIX_NULL_LV (lid) */
	uint32_t columnid;         /* FIX_NULL_LV */
	char    *what;             /* the "Fix:" line's text */
	int      done;
};

/* The mail-store schema (docs/mailstore.md), bound to the current catalog. */
struct mail {
	int ok;
	char why[160];             /* why not, for the report */
	const ese_table *mailbox, *folder, *message, *link, *att, *attlink;
	const ese_column *mb_id, *mb_count, *mb_size;
	const ese_column *f_id, *f_mailbox, *f_parent, *f_type, *f_count, *f_unread, *f_size;
	const ese_column *m_id, *m_ref, *m_size;
	const ese_column *l_folder, *l_message, *l_read;
	const ese_column *a_id, *a_ref;
	const ese_column *al_att, *al_message;
};

struct ictx {
	const ese_isinteg_opts *o;
	ese_db *db;                /* the reader, open except while repairs apply */
	ese_catalog *cat;
	uint32_t ps;
	int large;
	ese_reporter rep;          /* this pass's findings */
	FILE *log;                 /* the report file */
	struct fix *fixes;         /* the running test's queue */
	size_t nfix, capfix;
	uint64_t over_budget;      /* repairs not queued: for the next pass */
	ese_journal *j;            /* this pass's journal, from its first write */
	int wrote;                 /* this pass changed the file */
	int marked_repaired;       /* the header's repair count was raised */
	uint64_t pass_fixed;
	uint32_t bad[64];          /* trees found unreadable this pass */
	size_t nbad;
	struct mail mail;
	uint64_t corrected;        /* single-bit errors corrected while reading */
	uint64_t corrected_seen;   /* of them, reported in an earlier pass */
	int lockfd;
	ese_status st;             /* the operational error that stopped the run */
};

typedef int (*ii_node_fn)(struct ictx *c, void *arg, const uint8_t *key, size_t klen, const uint8_t *data,
                          size_t dlen, uint32_t pgno);

static void ii_log(struct ictx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ii_dump(struct ictx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void ii_finding(struct ictx *c, ese_problem_code id, const ese_where *w, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static struct fix *ii_fix_new(struct ictx *c, enum fix_kind kind, ese_problem_code code, const char *table,
                              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static int ii_fix_key(struct ictx *c, struct fix *f, const uint8_t *key, size_t klen, const uint8_t *data,
                      size_t dlen);
static int ii_fix_set(struct ictx *c, struct fix *f, const char *column, int64_t value, size_t size);
static int ii_fix_index(struct ictx *c, struct fix *f, const char *index);
static const ese_index *ii_primary_index(const ese_table *t);
static int ii_is_secondary(const ese_table *t, const ese_index *ix);
static const ese_column *ii_column_by_name(const ese_table *t, const char *name);
static void ii_fmt_key(ese_sbuf *sb, const ese_table *t, const ese_index *ix, const uint8_t *k, size_t kl);
static int ii_walk(struct ictx *c, const ese_table *t, const char *tree, uint32_t root, uint32_t objid,
                   ii_node_fn fn, void *arg);
static int ii_tree_bad(struct ictx *c, uint32_t objid);
static void mark_bad(struct ictx *c, uint32_t objid);
static void ii_tree_unreadable(struct ictx *c, const ese_table *t, const char *tree, uint32_t objid,
                               const ese_status *st);
static int ii_record_exists(struct ictx *c, const ese_table *t, const uint8_t *pk, size_t pklen);
static int ii_walk_lv_roots(struct ictx *c, const ese_table *t, uint32_t root, uint32_t objid, ii_node_fn fn,
                            void *arg);
static int ii_sorter_open(struct ictx *c, size_t nshare, ese_sorter **out);
static int ii_operror(struct ictx *c, int err, const ese_status *st);
static int ii_oom(struct ictx *c);

/* A cursor that also proves key order, which the library's cursor trusts:
 * a key (key || data in a non-unique index) not above the one before it
 * ends the walk with JET_errDatabaseCorrupted, st naming the page, so that
 * no test judges rows it reads out of order (a damaged tree is /g's). */
struct walker {
	ese_cursor *cur;
	int nonunique;
	uint8_t *bm[2];           /* the current bookmark and the one before */
	size_t len[2];
	int have;
};

static int wk_open(struct walker *w, ese_db *db, uint32_t root, uint32_t objid, int nonunique, ese_status *st)
{
	memset(w, 0, sizeof(*w));
	w->nonunique = nonunique;
	w->bm[0] = malloc(2 * ESE_KEY_MAX);
	w->bm[1] = malloc(2 * ESE_KEY_MAX);
	if (!w->bm[0] || !w->bm[1]) {
		free(w->bm[0]);
		free(w->bm[1]);
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	int err = ese_cursor_open(db, root, objid, &w->cur, st);
	if (err) {
		free(w->bm[0]);
		free(w->bm[1]);
	}
	return err;
}

static void wk_close(struct walker *w)
{
	ese_cursor_close(w->cur);
	free(w->bm[0]);
	free(w->bm[1]);
	w->cur = NULL;
	w->bm[0] = w->bm[1] = NULL;
}

/* Moves to the first (first != 0) or next entry: 0, JET_errRecordNotFound
 * past the last one, or the error that stopped the walk. */
static int wk_step(struct walker *w, int first, ese_status *st)
{
	int err = first ? ese_cursor_first(w->cur, st) : ese_cursor_next(w->cur, st);
	if (err)
		return err;
	size_t kl, dl;
	const uint8_t *k = ese_cursor_key(w->cur, &kl), *d = ese_cursor_data(w->cur, &dl);
	uint8_t *bm = w->bm[0];
	memcpy(bm, k, kl);
	size_t bl = kl;
	if (w->nonunique && dl <= ESE_KEY_MAX) {
		memcpy(bm + kl, d, dl);
		bl += dl;
	}
	if (w->have && ese_key_compare(bm, bl, w->bm[1], w->len[1]) <= 0)
		return ese_fail(st, JET_errDatabaseCorrupted, ese_cursor_pgno(w->cur),
		                "page %u: keys out of order (an entry not above the one before it)", ese_cursor_pgno(w->cur));
	w->bm[0] = w->bm[1];
	w->bm[1] = bm;
	w->len[1] = bl;
	w->have = 1;
	return 0;
}

static const char *plural(uint64_t n) { return n == 1 ? "" : "s"; }

/* The catalog's own tables (JET_bitObjectSystem, MSys*): isinteg reports
 * what it finds in their rows and indexes but changes none of them - a
 * catalog row removed or an entry recomputed from a damaged row would
 * change the schema every other test reads.  The shadow's repair from the
 * catalog (catalog test) is the one exception. */
#define SYSTEM_WHY "rows and indexes of system tables are eseutil /p's to repair"
static int system_table(const ese_table *t)
{
	return (t->flags & 0x80000000u) || !strncmp(t->name, "MSys", 4);
}

/* A key for messages: "MessageId=21" or "key=7f..." (static, one at a time
 * per call site: the caller copies it into its message at once). */
static const char *keystr(ese_sbuf *sb, const ese_table *t, const ese_index *ix, const uint8_t *k, size_t kl)
{
	ese_sbuf_reset(sb);
	ii_fmt_key(sb, t, ix, k, kl);
	return sb->data ? sb->data : "";
}

/* A "Fix:" line for a finding no repair exists for (with -fix only). */
static void ii_nofix(struct ictx *c, ese_problem_code code, const char *table, const char *why, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* ---- catalog ------------------------------------------------------------
 * Checks: every column's type is one ESE defines and fits its id range
 * (fixed 1-127: no long-value type; variable 128-255: Text or Binary; a
 * multi-valued or escrow column where ESE allows one); every index has
 * 1-16 segments on existing, indexable columns; a table has at most one
 * primary index, unique, on the table's own tree; index names are unique
 * in a table.  Then MSysObjects and MSysObjectsShadow are compared record
 * by record.  Repairs: a shadow record that differs from its catalog
 * record in fixed columns only is rewritten from the catalog record (the
 * copy every reader uses, checked above); anything else is eseutil /p's.
 * Relies on nothing; the tests after it rely on the catalog it checked. */

static int indexable(uint32_t coltyp)
{
	return coltyp >= JET_coltypBit && coltyp <= 18 && coltyp != JET_coltypSLV;
}

static int long_type(uint32_t coltyp) { return coltyp == JET_coltypLongBinary || coltyp == JET_coltypLongText; }

static void check_definitions(struct ictx *c, const ese_table *t)
{
	ese_where w = { t->cat_pgno, t->objid, t->name, "catalog", -1 };
	for (size_t i = 0; i < t->ncolumns; i++) {
		const ese_column *col = &t->columns[i];
		if (col->coltyp == JET_coltypNil || col->coltyp > 18)
			ii_finding(c, ESE_PR_CAT_DEFINITION, &w, "column %s (%u) has type %u, which ESE does not define",
			           col->name, col->id, col->coltyp);
		else if (col->id < 128 && long_type(col->coltyp))
			ii_finding(c, ESE_PR_CAT_DEFINITION, &w, "fixed column %s (%u) has the long-value type %s", col->name,
			           col->id, ese_coltyp_short_name(col->coltyp));
		else if (col->id >= 128 && col->id < 256 && col->coltyp != JET_coltypText && col->coltyp != JET_coltypBinary)
			ii_finding(c, ESE_PR_CAT_DEFINITION, &w, "variable column %s (%u) has type %s; only Text and Binary are variable",
			           col->name, col->id, ese_coltyp_short_name(col->coltyp));
		if ((col->flags & ESE_COL_MULTIVALUED) && col->id < 256)
			ii_finding(c, ESE_PR_CAT_DEFINITION, &w, "column %s (%u) is multi-valued but not tagged", col->name,
			           col->id);
		if ((col->flags & ESE_COL_ESCROW) &&
		    (col->id >= 128 || (col->coltyp != JET_coltypLong && col->coltyp != JET_coltypLongLong)))
			ii_finding(c, ESE_PR_CAT_DEFINITION, &w, "escrow column %s (%u) is not a fixed Long or LongLong",
			           col->name, col->id);
	}
	int primaries = 0;
	for (size_t i = 0; i < t->nindexes; i++) {
		const ese_index *ix = &t->indexes[i];
		ese_where iw = { ix->cat_pgno, ix->objid, t->name, ix->name, -1 };
		if (ix->nsegs == 0 || ix->nsegs > ESE_KEY_SEGS_MOST)
			ii_finding(c, ESE_PR_CAT_DEFINITION, &iw, "index %s has %zu key columns (1 to %u allowed)", ix->name,
			           ix->nsegs, ESE_KEY_SEGS_MOST);
		for (size_t k = 0; k < ix->nsegs; k++) {
			const ese_column *col = ese_table_find_column(t, ix->segs[k].columnid);
			if (!col)
				ii_finding(c, ESE_PR_CAT_DEFINITION, &iw, "index %s keys on column %u, which the table lacks",
				           ix->name, ix->segs[k].columnid);
			else if (!indexable(col->coltyp))
				ii_finding(c, ESE_PR_CAT_DEFINITION, &iw, "index %s keys on column %s of type %u, which cannot be indexed",
				           ix->name, col->name, col->coltyp);
		}
		if (ix->flags & ESE_IDX_PRIMARY) {
			primaries++;
			if (!(ix->flags & ESE_IDX_UNIQUE))
				ii_finding(c, ESE_PR_CAT_DEFINITION, &iw, "primary index %s is not unique (flags 0x%x)", ix->name,
				           ix->flags);
			if (ix->pgno_fdp != t->pgno_fdp || ix->objid != t->objid)
				ii_finding(c, ESE_PR_CAT_ROOT, &iw, "primary index %s names page %u objid %u, the table is page %u objid %u",
				           ix->name, ix->pgno_fdp, ix->objid, t->pgno_fdp, t->objid);
		} else if (ix->objid == t->objid && ix->pgno_fdp != t->pgno_fdp) {
			ii_finding(c, ESE_PR_CAT_DEFINITION, &iw, "secondary index %s has the table's objid %u", ix->name, t->objid);
		}
		for (size_t k = 0; k < i; k++)
			if (ix->name && t->indexes[k].name && !strcasecmp(ix->name, t->indexes[k].name))
				ii_finding(c, ESE_PR_CAT_DEFINITION, &iw, "two indexes are named %s", ix->name);
	}
	if (primaries > 1)
		ii_finding(c, ESE_PR_CAT_DEFINITION, &w, "%d primary indexes", primaries);
}

/* 1 when page pgno is the root page of object objid. */
static int root_ok(struct ictx *c, uint32_t pgno, uint32_t objid)
{
	uint8_t *buf = malloc(c->ps);
	ese_status st;
	ese_status_init(&st);
	ese_page pg;
	int ok = buf && pgno && ese_db_read_page(c->db, pgno, buf, &st) == 0 &&
	         ese_page_parse(&pg, buf, c->ps, pgno, &st) == 0 && (pg.flags & ESE_PF_ROOT) && pg.objid == objid;
	free(buf);
	return ok;
}

/* 1 when catalog record r is a table, index or long-value record: *root
 * gets the root page it names (ColtypOrPgnoFDP), *objid its object. */
static int root_named(const ese_table *mso, const ese_record *r, uint32_t *root, uint32_t *objid)
{
	const ese_column *ctype = ese_table_find_column(mso, 2), *cid = ese_table_find_column(mso, 3),
	                 *cpg = ese_table_find_column(mso, 4);
	ese_colval vt, vi, vp;
	if (!ctype || !cid || !cpg || ese_record_get(r, mso, ctype, &vt, NULL) || ese_record_get(r, mso, cid, &vi, NULL) ||
	    ese_record_get(r, mso, cpg, &vp, NULL) || vt.len != 2 || vi.len != 4 || vp.len != 4)
		return 0;
	uint16_t type = get_le16(vt.data);
	if (type != ESE_SYSOBJ_TABLE && type != ESE_SYSOBJ_INDEX && type != ESE_SYSOBJ_LV)
		return 0;
	*root = get_le32(vp.data);
	*objid = get_le32(vi.data);
	return 1;
}

#define SHADOW_WIDE "the records differ in more than a few fixed columns"

/* Queues the shadow record's repair from the catalog record when they
 * differ in fixed columns of at most 8 bytes only (at most 3 of them),
 * and the catalog's copy is not the one proved wrong: a root page
 * (ColtypOrPgnoFDP of a table, index or long-value record) that is not
 * its object's root while the shadow's is.  Returns 1 (queued), or 0 with
 * the reason in why. */
static int shadow_fix(struct ictx *c, const ese_table *mso, const uint8_t *key, size_t klen, const uint8_t *ca,
                      size_t cal, const uint8_t *sh, size_t shl, ese_sbuf *diff, const char **why)
{
	ese_record ra, rb;
	ese_status st;
	ese_status_init(&st);
	*why = SHADOW_WIDE;
	if (ese_record_parse(&ra, ca, cal, c->large, &st) || ese_record_parse(&rb, sh, shl, c->large, &st) ||
	    ra.fixed_last != rb.fixed_last || ra.var_last != rb.var_last || ra.len != rb.len)
		return 0;
	size_t nd = 0;
	const ese_column *cols[3];
	for (size_t i = 0; i < mso->ncolumns; i++) {
		const ese_column *col = &mso->columns[i];
		ese_colval va, vb;
		if (ese_record_get(&ra, mso, col, &va, &st) || ese_record_get(&rb, mso, col, &vb, &st))
			return 0;
		if (va.present == vb.present && va.len == vb.len && (!va.len || !memcmp(va.data, vb.data, va.len)))
			continue;
		if (col->id >= 128 || !va.present || va.len > 8 || nd == 3)
			return 0;
		cols[nd++] = col;
	}
	/* the rest of the two records (null bitmap, tagged area) must match */
	ese_sbuf a, b;
	ese_sbuf_init(&a);
	ese_sbuf_init(&b);
	ese_sbuf_put(&a, ca, cal);
	ese_sbuf_put(&b, sh, shl);
	for (size_t i = 0; i < nd && a.data && b.data; i++) {
		ese_colval va;
		ese_record_get(&ra, mso, cols[i], &va, &st);
		size_t off = (size_t)(va.data - ca);
		memcpy(b.data + off, a.data + off, va.len);
	}
	int same = a.data && b.data && a.len == b.len && !memcmp(a.data, b.data, a.len);
	ese_sbuf_free(&a);
	ese_sbuf_free(&b);
	if (!same || !nd)
		return 0;
	uint32_t root_a, objid;
	for (size_t i = 0; i < nd && root_named(mso, &ra, &root_a, &objid); i++) {
		ese_colval vb;
		if (cols[i]->id != 4 || ese_record_get(&rb, mso, cols[i], &vb, &st) || vb.len != 4)
			continue;
		if (!root_ok(c, root_a, objid) && root_ok(c, get_le32(vb.data), objid)) {
			*why = "MSysObjects is the damaged copy (its root page is not the object's root, the shadow's is): "
			       "run eseutil /p";
			return 0;
		}
	}
	for (size_t i = 0; i < nd; i++) {
		ese_colval va, vb;
		ese_record_get(&ra, mso, cols[i], &va, &st);
		ese_record_get(&rb, mso, cols[i], &vb, &st);
		ese_sbuf_printf(diff, "%s%s ", i ? ", " : "", cols[i]->name);
		ese_sbuf_hex(diff, vb.data, vb.len);
		ese_sbuf_puts(diff, " -> ");
		ese_sbuf_hex(diff, va.data, va.len);
	}
	ese_sbuf ks;
	ese_sbuf_init(&ks);
	struct fix *f = ii_fix_new(c, FIX_UPDATE, ESE_PR_CAT_SHADOW, "MSysObjectsShadow",
	                           "%s: shadow record rewritten from MSysObjects (%s)", keystr(&ks, mso, NULL, key, klen),
	                           diff->data ? diff->data : "");
	ese_sbuf_free(&ks);
	if (!f)
		return 1;
	if (ii_fix_key(c, f, key, klen, NULL, 0))
		return 1;
	for (size_t i = 0; i < nd; i++) {
		ese_colval va;
		ese_record_get(&ra, mso, cols[i], &va, &st);
		int64_t v = 0;
		for (size_t k = 0; k < va.len; k++)
			v |= (int64_t)((uint64_t)va.data[k] << (8 * k));
		if (ii_fix_set(c, f, cols[i]->name, v, va.len))
			return 1;
	}
	return 1;
}

/* When shadow_fix cannot patch a few columns: the shadow record is
 * replaced whole by the catalog's (ese_update_replace_record), unless the
 * catalog's copy is the one proved wrong (its root page, for a table,
 * index or long-value record, is not the object's root) or cannot be
 * decoded.  Returns 1 (queued), or 0 with the reason in why. */
static int shadow_replace(struct ictx *c, const ese_table *mso, const uint8_t *key, size_t klen, const uint8_t *ca,
                          size_t cal, const char **why)
{
	ese_record ra;
	ese_status st;
	ese_status_init(&st);
	if (ese_record_parse(&ra, ca, cal, c->large, &st)) {
		*why = "MSysObjects' own record cannot be decoded: run eseutil /p";
		return 0;
	}
	uint32_t root, objid;
	if (root_named(mso, &ra, &root, &objid) && !root_ok(c, root, objid)) {
		*why = "MSysObjects' record names a page that is not the object's root: the catalog is no better "
		       "than its shadow; run eseutil /p";
		return 0;
	}
	ese_sbuf ks;
	ese_sbuf_init(&ks);
	struct fix *f = ii_fix_new(c, FIX_REPLACE_RECORD, ESE_PR_CAT_SHADOW, "MSysObjectsShadow",
	                           "%s: shadow record replaced by MSysObjects' (%zu bytes)", keystr(&ks, mso, NULL, key, klen),
	                           cal);
	ese_sbuf_free(&ks);
	if (f)
		ii_fix_key(c, f, key, klen, ca, cal);
	return 1;
}

static int compare_shadow(struct ictx *c)
{
	const ese_table *mso = ese_catalog_find_table(c->cat, "MSysObjects");
	ese_where w = { 24, 3, "MSysObjectsShadow", "data", -1 };
	if (ese_db_header(c->db)->db_flags & 1) {
		ii_log(c, "Shadowing is disabled in the header: the shadow catalog is not compared");
		return 0;
	}
	struct walker a = { 0 }, b = { 0 };
	ese_status sa = { 0 }, sb = { 0 };
	uint8_t *ka = malloc(ESE_KEY_MAX);
	ese_sbuf ks, diff;
	ese_sbuf_init(&ks);
	ese_sbuf_init(&diff);
	int err = 0;
	if (!ka || wk_open(&a, c->db, 4, 2, 0, &sa) || wk_open(&b, c->db, 24, 3, 0, &sb)) {
		err = ii_oom(c);
		goto out;
	}
	int ea = wk_step(&a, 1, &sa), eb = wk_step(&b, 1, &sb);
	uint64_t n = 0, same = 0;
	while (ea == 0 && eb == 0) {
		size_t kal, kbl, dal, dbl;
		const uint8_t *pka = ese_cursor_key(a.cur, &kal), *pkb = ese_cursor_key(b.cur, &kbl);
		const uint8_t *pda = ese_cursor_data(a.cur, &dal), *pdb = ese_cursor_data(b.cur, &dbl);
		int kc = ese_key_compare(pka, kal, pkb, kbl);
		n++;
		w.pgno = ese_cursor_pgno(b.cur);
		if (kc < 0) {
			ii_finding(c, ESE_PR_CAT_SHADOW, &w, "%s: in MSysObjects, not in the shadow",
			           keystr(&ks, mso, NULL, pka, kal));
			ii_nofix(c, ESE_PR_CAT_SHADOW, "MSysObjectsShadow", "isinteg adds no catalog record: run eseutil /p",
			         "%s", ks.data);
			ea = wk_step(&a, 0, &sa);
			continue;
		}
		if (kc > 0) {
			ii_finding(c, ESE_PR_CAT_SHADOW, &w, "%s: in the shadow, not in MSysObjects",
			           keystr(&ks, mso, NULL, pkb, kbl));
			ii_nofix(c, ESE_PR_CAT_SHADOW, "MSysObjectsShadow", "isinteg removes no catalog record: run eseutil /p",
			         "%s", ks.data);
			eb = wk_step(&b, 0, &sb);
			continue;
		}
		if (dal != dbl || memcmp(pda, pdb, dal)) {
			ii_finding(c, ESE_PR_CAT_SHADOW, &w, "%s: the shadow's record differs from MSysObjects'",
			           keystr(&ks, mso, NULL, pka, kal));
			memcpy(ka, pka, kal);
			ese_sbuf_reset(&diff);
			const char *why = NULL;
			if (c->o->fix && !shadow_fix(c, mso, ka, kal, pda, dal, pdb, dbl, &diff, &why) &&
			    (strcmp(why, SHADOW_WIDE) || !shadow_replace(c, mso, ka, kal, pda, dal, &why)))
				ii_nofix(c, ESE_PR_CAT_SHADOW, "MSysObjectsShadow", why, "%s", keystr(&ks, mso, NULL, ka, kal));
		} else {
			same++;
		}
		ea = wk_step(&a, 0, &sa);
		eb = wk_step(&b, 0, &sb);
	}
	if (ea && ea != JET_errRecordNotFound)
		ii_tree_unreadable(c, mso, "data", 2, &sa);
	else if (eb && eb != JET_errRecordNotFound) {
		ii_finding(c, ESE_PR_CAT_SHADOW_UNREADABLE, &w, "%s", sb.msg);
		mark_bad(c, 3);          /* reported: later tests skip it quietly */
	}
	else if (ea == 0 || eb == 0) {
		uint64_t more = 0;
		struct walker *x = ea == 0 ? &a : &b;
		ese_status *sx = ea == 0 ? &sa : &sb;
		for (int e = 0; e == 0; e = wk_step(x, 0, sx))
			more++;
		w.pgno = 0;
		ii_finding(c, ESE_PR_CAT_SHADOW, &w, "%s has %llu more records", ea == 0 ? "MSysObjects" : "the shadow",
		           (unsigned long long)more);
		ii_nofix(c, ESE_PR_CAT_SHADOW, "MSysObjectsShadow", "run eseutil /p", "missing catalog records");
	}
	ii_dump(c, "catalog: %llu records compared with the shadow, %llu identical", (unsigned long long)n,
	        (unsigned long long)same);
out:
	if (a.cur)
		wk_close(&a);
	if (b.cur)
		wk_close(&b);
	free(ka);
	ese_sbuf_free(&ks);
	ese_sbuf_free(&diff);
	return err;
}

static int ii_test_catalog(struct ictx *c)
{
	for (size_t i = 0; i < c->cat->ntables; i++) {
		const ese_table *t = &c->cat->tables[i];
		check_definitions(c, t);
		ii_dump(c, "table %s: objid %u, %zu columns, %zu indexes%s", t->name, t->objid, t->ncolumns, t->nindexes,
		        t->lv_objid ? ", long values" : "");
	}
	return compare_shadow(c);
}

/* ---- objid ----------------------------------------------------------------
 * The header's objid_last must be at least every object id the catalog
 * and its shadow name (ESE hands out the next id after it: a lower value
 * would give a new object an id in use).  Repair: raise it (a header write,
 * both copies, through the journal). */
static int ii_test_objid(struct ictx *c)
{
	uint32_t last = ese_db_header(c->db)->objid_last, max = c->cat->max_objid;
	const char *who = "the catalog";
	ese_catalog *shadow = NULL;
	ese_status st;
	ese_status_init(&st);
	if (!(ese_db_header(c->db)->db_flags & 1) && ese_catalog_load(c->db, 24, &shadow, &st) == 0) {
		if (shadow->max_objid > max) {
			max = shadow->max_objid;
			who = "the shadow catalog";
		}
		ese_catalog_free(shadow);
	}
	ii_dump(c, "objid: header objid_last %u, largest object id in use %u", last, max);
	if (last >= max)
		return 0;
	ese_where w = { 0, 0, NULL, NULL, -1 };
	ii_finding(c, ESE_PR_CAT_OBJID_LAST, &w, "the header's objid_last is %u; %s uses object ids up to %u", last, who,
	           max);
	struct fix *f = ii_fix_new(c, FIX_HEADER, ESE_PR_CAT_OBJID_LAST, "-", "header objid_last %u -> %u", last, max);
	if (f)
		f->objid_last = max;
	return 0;
}

/* ---- records --------------------------------------------------------------
 * Every record of every table decodes against its table's columns: the
 * header and offsets hold (G601), no column beyond the table's (G602), no
 * Text/Binary value longer than its column (G603).  Long-value references
 * are lvref's.  Repair: a record that cannot be decoded (G601) is deleted
 * (its index entries and long values go with it); G602/G603 may as well
 * be the catalog's fault and are left to eseutil /p. */
struct rec_walk {
	const ese_table *t;
	uint32_t max_fixed, max_var;
	uint64_t records, bad;
	ese_sbuf ks;
};

static int check_instances(struct ictx *c, const ese_table *t, const ese_column *col, const ese_colval *v,
                           const ese_where *w, const char *ks)
{
	ese_status st;
	ese_status_init(&st);
	size_t cnt = ese_colval_count(v);
	for (size_t i = 0; i < cnt; i++) {
		const uint8_t *p;
		size_t n;
		int sep;
		if (ese_colval_instance(v, i, &p, &n, &sep, &st)) {
			ii_finding(c, ESE_PR_REC_UNDECODABLE, w, "%s: column %s (%u): %s", ks, col->name, col->id, st.msg);
			return 1;
		}
		if (sep && n != 4 && n != 8) {
			ii_finding(c, ESE_PR_REC_UNDECODABLE, w, "%s: column %s: long-value id of %zu bytes", ks, col->name, n);
			return 1;
		}
		if (sep && !t->lv_pgno_fdp) {
			/* lvref judges the tables that have a long-value tree */
			ii_finding(c, ESE_PR_REC_LV_MISSING, w, "%s: column %s refers to long value %llu; the table has no long-value tree",
			           ks, col->name, (unsigned long long)(n == 4 ? get_le32(p) : get_le64(p)));
			ii_nofix(c, ESE_PR_REC_LV_MISSING, t->name,
			         "the update API does not replace a value holding a long value (ese_update.h)", "%s", ks);
		}
		int compressed = (v->header & ESE_TAG_COMPRESSED) && i == 0;
		if (!sep && !compressed && col->size && (col->coltyp == JET_coltypText || col->coltyp == JET_coltypBinary) &&
		    n > col->size) {
			ii_finding(c, ESE_PR_REC_TOO_LONG, w, "%s: column %s (%u) holds %zu bytes, at most %u allowed", ks,
			           col->name, col->id, n, col->size);
			ii_nofix(c, ESE_PR_REC_TOO_LONG, t->name, "the column's definition may be the damaged side: run eseutil /p",
			         "%s", ks);
		}
	}
	return 0;
}

static int rec_check(struct ictx *c, void *arg, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
                     uint32_t pgno)
{
	struct rec_walk *rw = arg;
	const ese_table *t = rw->t;
	ese_where w = { pgno, t->objid, t->name, "data", -1 };
	ese_status st;
	ese_status_init(&st);
	ese_record r;
	const char *ks = keystr(&rw->ks, t, NULL, key, klen);
	int bad = 0;
	rw->records++;
	if (ese_record_parse(&r, data, dlen, c->large, &st)) {
		ii_finding(c, ESE_PR_REC_UNDECODABLE, &w, "%s: %s", ks, st.msg);
		bad = 1;
		goto out;
	}
	if (r.fixed_last > rw->max_fixed)
		ii_finding(c, ESE_PR_REC_UNKNOWN_COLUMN, &w, "%s: fixed columns up to %u, the table defines up to %u", ks,
		           r.fixed_last, rw->max_fixed);
	if (r.var_last > 127 && r.var_last > rw->max_var)
		ii_finding(c, ESE_PR_REC_UNKNOWN_COLUMN, &w, "%s: variable columns up to %u, the table defines up to %u", ks,
		           r.var_last, rw->max_var);
	for (size_t i = 0; i < t->ncolumns && !bad; i++) {
		const ese_column *col = &t->columns[i];
		if (col->id >= 256)
			break;
		if ((col->id < 128 && col->id > r.fixed_last) || (col->id >= 128 && col->id > r.var_last))
			continue;
		ese_colval v;
		if (ese_record_get(&r, t, col, &v, &st)) {
			ii_finding(c, ESE_PR_REC_UNDECODABLE, &w, "%s: column %s (%u): %s", ks, col->name, col->id, st.msg);
			bad = 1;
		} else if (v.present) {
			bad = check_instances(c, t, col, &v, &w, ks);
		}
	}
	for (size_t i = 0; i < r.ntagged && !bad; i++) {
		uint32_t fid;
		ese_colval v;
		if (ese_record_tagged_at(&r, i, &fid, &v, &st)) {
			ii_finding(c, ESE_PR_REC_UNDECODABLE, &w, "%s: tagged entry %zu: %s", ks, i, st.msg);
			bad = 1;
			break;
		}
		const ese_column *col = ese_table_find_column(t, fid);
		if (!col)
			ii_finding(c, ESE_PR_REC_UNKNOWN_COLUMN, &w, "%s: tagged column %u, which the table does not define", ks,
			           fid);
		else if (v.present)
			bad = check_instances(c, t, col, &v, &w, ks);
	}
out:
	if (bad) {
		rw->bad++;
		struct fix *f = NULL;
		if (system_table(t))
			ii_nofix(c, ESE_PR_REC_UNDECODABLE, t->name, SYSTEM_WHY, "%s", ks);
		else
			f = ii_fix_new(c, FIX_DELETE_RECORD, ESE_PR_REC_UNDECODABLE, t->name,
			               "%s: record deleted (it cannot be decoded)", ks);
		if (f && ii_fix_key(c, f, key, klen, NULL, 0))
			return -1;
		if (c->st.err)
			return -1;
	}
	return 0;
}

static int ii_test_records(struct ictx *c)
{
	for (size_t i = 0; i < c->cat->ntables; i++) {
		struct rec_walk rw = { 0 };
		rw.t = &c->cat->tables[i];
		ese_sbuf_init(&rw.ks);
		for (size_t k = 0; k < rw.t->ncolumns; k++) {
			uint32_t id = rw.t->columns[k].id;
			if (id < 128 && id > rw.max_fixed)
				rw.max_fixed = id;
			if (id >= 128 && id < 256 && id > rw.max_var)
				rw.max_var = id;
		}
		int r = ii_walk(c, rw.t, "data", rw.t->pgno_fdp, rw.t->objid, rec_check, &rw);
		ese_sbuf_free(&rw.ks);
		if (r < 0)
			return c->st.err;
		ii_dump(c, "table %s: %llu records, %llu undecodable", rw.t->name, (unsigned long long)rw.records,
		        (unsigned long long)rw.bad);
	}
	return 0;
}

/* ---- index ----------------------------------------------------------------
 * Every secondary index holds exactly the entries its table's records
 * make: each record's keys are computed (ese_index_keys, the index's own
 * catalog spec) and sorted with the record's primary key (ese_sort.h:
 * bounded memory), then merged with the index tree read in key order.  An
 * entry no record makes is dangling (I701); a key a record makes and the
 * tree lacks is missing (I702).  Records whose keys cannot be computed
 * (Unicode outside the supported subset, or an undecodable record) are set
 * aside: entries that point at them are not judged (I703, one warning an
 * index).  A unique key made by two records is I704; a tree not in key
 * order stops the comparison of that index (I705).
 * Order of the sorted stream: the tree's own (bookmark = key for a unique
 * index, key || primary key otherwise; memcmp, then length).
 * Repairs: dangling entries deleted, missing entries inserted. */

struct ixs {
	const ese_index *ix;
	ese_key_spec spec;
	int unique;
	ese_sorter *exp;          /* unique: (key, pk); else (key||pk, BE16 klen) */
	ese_sorter *nc;           /* pks of the records whose keys are unknown */
	ese_sorter *extra;        /* entries set aside: (pk, BE32 pgno || key) */
	uint64_t nexp, nnc, nentries, unverified;
	char ncwhy[sizeof(((ese_status *)0)->msg)];
};

struct lvctx {
	ese_db *db;
	const ese_table *t;
};

static int lv_reader(void *ctx, const uint8_t *lid, size_t lidlen, ese_sbuf *out, ese_status *st)
{
	struct lvctx *l = ctx;
	return ese_lv_read(l->db, l->t, lid, lidlen, out, NULL, st);
}

/* The key spec of ix from its own MSysObjects record (delete.c does the
 * same), else from what ese_index keeps. */
static void index_spec(struct ictx *c, const ese_table *t, const ese_index *ix, ese_key_spec *spec)
{
	ese_key_spec_from_index(spec, ix);
	uint8_t key[ESE_KEY_CATALOG_ID_LEN];
	ese_key_catalog_id(key, t->objid, ESE_SYSOBJ_INDEX, ix->objid);
	ese_cursor *cur;
	ese_status st;
	ese_status_init(&st);
	if (ese_cursor_open(c->db, 4, 2, &cur, &st))
		return;
	if (ese_cursor_seek(cur, key, sizeof(key), &st) == 0) {
		size_t kl, dl;
		const uint8_t *k = ese_cursor_key(cur, &kl), *d = ese_cursor_data(cur, &dl);
		ese_record r;
		ese_key_spec s;
		if (kl == sizeof(key) && !memcmp(k, key, kl) && ese_record_parse(&r, d, dl, c->large, &st) == 0 &&
		    ese_key_spec_from_catalog(&s, &r, &st) == 0)
			*spec = s;
	}
	ese_cursor_close(cur);
}

struct ixwalk {
	const ese_table *t;
	struct ixs *s;
	size_t n;
	ese_keylist kl;
	struct lvctx lv;
	uint8_t *buf;             /* key || pk */
};

static int ix_collect(struct ictx *c, void *arg, const uint8_t *pk, size_t pklen, const uint8_t *data, size_t dlen,
                      uint32_t pgno)
{
	(void)pgno;
	struct ixwalk *iw = arg;
	ese_status st;
	ese_status_init(&st);
	ese_record r;
	int parsed = ese_record_parse(&r, data, dlen, c->large, &st) == 0;
	for (size_t i = 0; i < iw->n; i++) {
		struct ixs *s = &iw->s[i];
		int err = parsed ? ese_index_keys(iw->t, s->ix, &s->spec, &r, lv_reader, &iw->lv, &iw->kl, &st)
		                 : JET_errDatabaseCorrupted;
		if (err == JET_errOutOfMemory)
			return ii_oom(c);
		if (err) {
			if (!s->nnc++)
				snprintf(s->ncwhy, sizeof(s->ncwhy), "%s", st.msg[0] ? st.msg : ese_jet_name(err));
			if ((err = ese_sorter_add(s->nc, pk, pklen, NULL, 0, &st)))
				return ii_operror(c, err, &st);
			ese_status_clear(&st);
			continue;
		}
		for (size_t k = 0; k < iw->kl.n; k++) {
			size_t klen;
			const uint8_t *key = ese_keylist_key(&iw->kl, k, &klen);
			s->nexp++;
			if (s->unique) {
				err = ese_sorter_add(s->exp, key, klen, pk, pklen, &st);
			} else {
				uint8_t kb[2];
				put_be16(kb, (uint16_t)klen);
				memcpy(iw->buf, key, klen);
				memcpy(iw->buf + klen, pk, pklen);
				err = ese_sorter_add(s->exp, iw->buf, klen + pklen, kb, 2, &st);
			}
			if (err)
				return ii_operror(c, err, &st);
		}
	}
	return 0;
}

/* An entry of the tree that no record makes, or that points at a record
 * whose keys are unknown (set aside until those are known). */
static int ix_dangling(struct ictx *c, const ese_table *t, struct ixs *s, const uint8_t *k, size_t kl,
                       const uint8_t *d, size_t dl, uint32_t pgno, int judged, ese_sbuf *ks)
{
	ese_status st;
	ese_status_init(&st);
	if (!judged && s->nnc) {
		uint8_t buf[4 + ESE_KEY_MAX];
		put_be32(buf, pgno);
		memcpy(buf + 4, k, kl);
		int err = ese_sorter_add(s->extra, d, dl, buf, 4 + kl, &st);
		return err ? ii_operror(c, err, &st) : 0;
	}
	char tree[300];
	snprintf(tree, sizeof(tree), "index %s", s->ix->name);
	ese_where w = { pgno, s->ix->objid, t->name, tree, -1 };
	int exists = ii_record_exists(c, t, d, dl);
	ese_sbuf kh;
	ese_sbuf_init(&kh);
	ese_sbuf_hex(&kh, k, kl);
	keystr(ks, t, NULL, d, dl);
	ii_finding(c, ESE_PR_IX_ENTRY_DANGLING, &w, "entry %s -> %s: %s", kh.data ? kh.data : "", ks->data,
	           exists > 0 ? "the record does not make this key" : "no record has this primary key");
	struct fix *f = NULL;
	if (system_table(t))
		ii_nofix(c, ESE_PR_IX_ENTRY_DANGLING, t->name, SYSTEM_WHY, "index %s entry %s", s->ix->name,
		         kh.data ? kh.data : "");
	else
		f = ii_fix_new(c, FIX_DELETE_ENTRY, ESE_PR_IX_ENTRY_DANGLING, t->name, "index %s entry %s -> %s deleted",
		               s->ix->name, kh.data ? kh.data : "", ks->data);
	ese_sbuf_free(&kh);
	if (f && (ii_fix_key(c, f, k, kl, d, dl) || ii_fix_index(c, f, s->ix->name)))
		return c->st.err;
	return c->st.err;
}

/* The expected entries sharing one bookmark (unique index: one key; at
 * most a few of their primary keys are kept). */
#define GROUP_PKS 8
struct egroup {
	int have;
	uint8_t key[ESE_KEY_MAX];
	size_t klen;
	uint8_t bm[2 * ESE_KEY_MAX];
	size_t bmlen;
	uint8_t pk[GROUP_PKS][ESE_KEY_MAX];
	size_t pklen[GROUP_PKS];
	int matched[GROUP_PKS];
	size_t n;                 /* records making it (may exceed GROUP_PKS) */
	/* the next entry read ahead */
	int pend;
	uint8_t pbm[2 * ESE_KEY_MAX], pd[ESE_KEY_MAX];
	size_t pbmlen, pdlen;
};

static int pend_read(struct ictx *c, struct ixs *s, struct egroup *g)
{
	const uint8_t *k, *d;
	size_t kl, dl;
	ese_status st;
	ese_status_init(&st);
	int err = ese_sorter_next(s->exp, &k, &kl, &d, &dl, &st);
	if (err == JET_errRecordNotFound) {
		g->pend = 0;
		return 0;
	}
	if (err)
		return ii_operror(c, err, &st);
	if (kl > sizeof(g->pbm) || dl > sizeof(g->pd))
		return ii_oom(c);
	memcpy(g->pbm, k, kl);
	memcpy(g->pd, d, dl);
	g->pbmlen = kl;
	g->pdlen = dl;
	g->pend = 1;
	return 0;
}

/* The next group from the read-ahead entry on. */
static int group_next(struct ictx *c, struct ixs *s, struct egroup *g)
{
	g->have = 0;
	g->n = 0;
	while (g->pend) {
		const uint8_t *key = g->pbm, *pk;
		size_t klen, pklen;
		if (s->unique) {
			klen = g->pbmlen;
			pk = g->pd;
			pklen = g->pdlen;
		} else {
			klen = get_be16(g->pd);
			if (klen > g->pbmlen)
				klen = g->pbmlen;
			pk = g->pbm + klen;
			pklen = g->pbmlen - klen;
		}
		if (g->have && ese_key_compare(g->bm, g->bmlen, g->pbm, s->unique ? klen : g->pbmlen) != 0)
			break;
		if (!g->have) {
			g->have = 1;
			memcpy(g->key, key, klen);
			g->klen = klen;
			memcpy(g->bm, g->pbm, g->pbmlen);
			g->bmlen = s->unique ? klen : g->pbmlen;
		}
		if (g->n < GROUP_PKS) {
			memcpy(g->pk[g->n], pk, pklen);
			g->pklen[g->n] = pklen;
			g->matched[g->n] = 0;
		}
		g->n++;
		int err = pend_read(c, s, g);
		if (err)
			return err;
	}
	return 0;
}

/* A group no entry of the tree answered in full. */
static int group_close(struct ictx *c, const ese_table *t, struct ixs *s, struct egroup *g, ese_sbuf *ks)
{
	if (!g->have)
		return 0;
	char tree[300];
	snprintf(tree, sizeof(tree), "index %s", s->ix->name);
	ese_where w = { 0, s->ix->objid, t->name, tree, -1 };
	ese_sbuf kh;
	ese_sbuf_init(&kh);
	ese_sbuf_hex(&kh, g->key, g->klen);
	if (g->n > 1) {
		ese_sbuf who;
		ese_sbuf_init(&who);
		for (size_t i = 0; i < g->n && i < GROUP_PKS; i++) {
			if (i)
				ese_sbuf_puts(&who, "; ");
			ii_fmt_key(&who, t, NULL, g->pk[i], g->pklen[i]);
		}
		ii_finding(c, ESE_PR_IX_UNIQUE_DUPLICATE, &w, "key %s is made by %zu records (%s%s)", kh.data, g->n,
		           who.data ? who.data : "", g->n > GROUP_PKS ? "; ..." : "");
		ii_nofix(c, ESE_PR_IX_UNIQUE_DUPLICATE, t->name, "one of the records has to be changed or deleted by hand",
		         "index %s key %s", s->ix->name, kh.data);
		ese_sbuf_free(&who);
	} else if (!g->matched[0]) {
		keystr(ks, t, NULL, g->pk[0], g->pklen[0]);
		ii_finding(c, ESE_PR_IX_ENTRY_MISSING, &w, "%s: no entry with key %s", ks->data, kh.data);
		struct fix *f = NULL;
		if (system_table(t))
			ii_nofix(c, ESE_PR_IX_ENTRY_MISSING, t->name, SYSTEM_WHY, "index %s entry %s", s->ix->name, kh.data);
		else
			f = ii_fix_new(c, FIX_INSERT_ENTRY, ESE_PR_IX_ENTRY_MISSING, t->name, "index %s entry %s -> %s inserted",
			               s->ix->name, kh.data, ks->data);
		if (f && (ii_fix_key(c, f, g->key, g->klen, g->pk[0], g->pklen[0]) || ii_fix_index(c, f, s->ix->name))) {
			ese_sbuf_free(&kh);
			return c->st.err;
		}
	}
	ese_sbuf_free(&kh);
	g->have = 0;
	return c->st.err;
}

/* Entries set aside (pointing at records whose keys are unknown), merged
 * with those records' primary keys: an entry pointing at one of them is
 * not judged; any other is dangling. */
static int ix_judge_extra(struct ictx *c, const ese_table *t, struct ixs *s, ese_sbuf *ks)
{
	ese_status st;
	ese_status_init(&st);
	int err;
	if ((err = ese_sorter_finish(s->extra, &st)))
		return ii_operror(c, err, &st);
	const uint8_t *nk = NULL, *nd, *xk, *xd;
	size_t nkl = 0, ndl, xkl, xdl;
	uint8_t cur[ESE_KEY_MAX];
	size_t curl = 0;
	int ne = ese_sorter_next(s->nc, &nk, &nkl, &nd, &ndl, &st);
	if (!ne) {
		memcpy(cur, nk, nkl);
		curl = nkl;
	}
	while ((err = ese_sorter_next(s->extra, &xk, &xkl, &xd, &xdl, &st)) == 0) {
		while (!ne && ese_key_compare(cur, curl, xk, xkl) < 0) {
			ne = ese_sorter_next(s->nc, &nk, &nkl, &nd, &ndl, &st);
			if (!ne) {
				memcpy(cur, nk, nkl);
				curl = nkl;
			}
		}
		if (!ne && ese_key_compare(cur, curl, xk, xkl) == 0) {
			s->unverified++;
			continue;
		}
		uint8_t pk[ESE_KEY_MAX], key[ESE_KEY_MAX];
		memcpy(pk, xk, xkl);
		memcpy(key, xd + 4, xdl - 4);
		if ((err = ix_dangling(c, t, s, key, xdl - 4, pk, xkl, get_be32(xd), 1, ks)))
			return err;
	}
	if (err != JET_errRecordNotFound)
		return ii_operror(c, err, &st);
	if (ne && ne != JET_errRecordNotFound)
		return ii_operror(c, ne, &st);
	return 0;
}

/* Merges index s's expected entries with its tree. */
static int ix_merge(struct ictx *c, const ese_table *t, struct ixs *s, struct egroup *g)
{
	ese_status st;
	ese_status_init(&st);
	int err;
	char tree[300];
	snprintf(tree, sizeof(tree), "index %s", s->ix->name);
	if ((err = ese_sorter_finish(s->exp, &st)) || (err = ese_sorter_finish(s->nc, &st)))
		return ii_operror(c, err, &st);
	if (s->nnc && (err = ii_sorter_open(c, 1, &s->extra)))
		return err;
	if (ii_tree_bad(c, s->ix->objid))
		return 0;
	struct walker wk;
	if ((err = wk_open(&wk, c->db, s->ix->pgno_fdp, s->ix->objid, !s->unique, &st))) {
		if (err == JET_errOutOfMemory)
			return ii_oom(c);
		ii_tree_unreadable(c, t, tree, s->ix->objid, &st);
		return 0;
	}
	ese_sbuf ks;
	ese_sbuf_init(&ks);
	g->pend = 0;
	g->have = 0;
	if ((err = pend_read(c, s, g)) || (err = group_next(c, s, g)))
		goto out;
	int ea = wk_step(&wk, 1, &st);
	/* the tree read only up to a damaged page must not make the entries
	 * behind it look missing: the merge stops at the first read error */
	while (ea == 0 || (ea == JET_errRecordNotFound && g->have)) {
		const uint8_t *k = NULL, *d = NULL;
		size_t kl = 0, dl = 0;
		if (ea == 0) {
			k = ese_cursor_key(wk.cur, &kl);
			d = ese_cursor_data(wk.cur, &dl);
			s->nentries++;
		}
		/* the entry's bookmark is the walker's last one */
		int cmp = !g->have ? 1 : ea ? -1 : ese_key_compare(g->bm, g->bmlen, wk.bm[1], wk.len[1]);
		if (cmp < 0) {
			if ((err = group_close(c, t, s, g, &ks)) || (err = group_next(c, s, g)))
				goto out;
			continue;
		}
		if (cmp == 0) {
			int hit = 0;
			for (size_t i = 0; i < g->n && i < GROUP_PKS && !hit; i++)
				if (!g->matched[i] && g->pklen[i] == dl && !memcmp(g->pk[i], d, dl) && g->klen == kl) {
					g->matched[i] = 1;
					hit = 1;
				}
			if (!hit && g->n > GROUP_PKS)
				hit = 1;          /* one of the pks not kept: not judged */
			if (!hit && (err = ix_dangling(c, t, s, k, kl, d, dl, ese_cursor_pgno(wk.cur), 0, &ks)))
				goto out;
			if (hit && g->n == 1) {
				g->have = 0;
				if ((err = group_next(c, s, g)))
					goto out;
			}
		} else if ((err = ix_dangling(c, t, s, k, kl, d, dl, ese_cursor_pgno(wk.cur), 0, &ks))) {
			goto out;
		}
		ea = wk_step(&wk, 0, &st);
	}
	if (ea != JET_errRecordNotFound) {
		if (ea == JET_errOutOfMemory)
			err = ii_oom(c);
		else
			ii_tree_unreadable(c, t, tree, s->ix->objid, &st);
		goto out;
	}
	if (s->nnc) {
		if ((err = ix_judge_extra(c, t, s, &ks)))
			goto out;
		ese_where w = { 0, s->ix->objid, t->name, tree, -1 };
		ii_finding(c, ESE_PR_IX_KEY_NOT_COMPUTABLE, &w,
		           "%llu records' keys cannot be computed (first: %s): the %llu entries pointing at them were not verified",
		           (unsigned long long)s->nnc, s->ncwhy, (unsigned long long)s->unverified);
	}
out:
	wk_close(&wk);
	ese_sbuf_free(&ks);
	return err ? err : c->st.err;
}

static int ii_test_index(struct ictx *c)
{
	int err = 0;
	struct egroup *g = malloc(sizeof(*g));
	if (!g)
		return ii_oom(c);
	for (size_t i = 0; i < c->cat->ntables && !err; i++) {
		const ese_table *t = &c->cat->tables[i];
		size_t n = 0;
		for (size_t k = 0; k < t->nindexes; k++)
			n += ii_is_secondary(t, &t->indexes[k]);
		if (!n || ii_tree_bad(c, t->objid))
			continue;
		struct ixwalk iw = { 0 };
		iw.t = t;
		iw.lv.db = c->db;
		iw.lv.t = t;
		iw.s = calloc(n, sizeof(*iw.s));
		iw.buf = malloc(2 * ESE_KEY_MAX);
		ese_keylist_init(&iw.kl);
		if (!iw.s || !iw.buf) {
			err = ii_oom(c);
			goto next;
		}
		for (size_t k = 0; k < t->nindexes; k++) {
			const ese_index *ix = &t->indexes[k];
			if (!ii_is_secondary(t, ix))
				continue;
			struct ixs *s = &iw.s[iw.n++];
			s->ix = ix;
			s->unique = (ix->flags & ESE_IDX_UNIQUE) != 0;
			index_spec(c, t, ix, &s->spec);
			if ((err = ii_sorter_open(c, n, &s->exp)) || (err = ii_sorter_open(c, 8 * n, &s->nc)))
				goto next;
		}
		int r = ii_walk(c, t, "data", t->pgno_fdp, t->objid, ix_collect, &iw);
		if (r < 0 || c->st.err) {
			err = c->st.err;
			goto next;
		}
		if (r > 0)
			goto next;            /* the table cannot be read: the entries cannot be judged */
		for (size_t k = 0; k < iw.n && !err; k++) {
			err = ix_merge(c, t, &iw.s[k], g);
			ii_dump(c, "table %s index %s: %llu entries, %llu expected, %llu records' keys not computable",
			        t->name, iw.s[k].ix->name, (unsigned long long)iw.s[k].nentries,
			        (unsigned long long)iw.s[k].nexp, (unsigned long long)iw.s[k].nnc);
		}
	next:
		for (size_t k = 0; k < iw.n; k++) {
			ese_sorter_close(iw.s[k].exp);
			ese_sorter_close(iw.s[k].nc);
			ese_sorter_close(iw.s[k].extra);
		}
		free(iw.s);
		free(iw.buf);
		ese_keylist_free(&iw.kl);
	}
	free(g);
	return err;
}

/* ---- lvref ----------------------------------------------------------------
 * In every table with a long-value tree, each long value's reference
 * count equals the number of references the records hold (I706); a long
 * value no record references is an orphan (I707, space only: eseutil /d
 * leaves it behind); a reference to a long value that does not exist is
 * G604.  The references are sorted by LID (bounded memory) and merged with
 * the tree's roots in key order.  When a record of the table cannot be
 * decoded its references are unknown, so counts and orphans are not judged
 * (records reports the record).  Repairs (not in system tables, 4-byte
 * LIDs only): a wrong count is set to the number of references
 * (ese_update_lv_refcount), an orphan is removed, root and chunks
 * (ese_delete_lv), a reference to a missing long value is dropped from
 * its column (ese_update_record with ESE_UPDATE_NULL_MISSING_LV, which
 * checks again that the long value is missing): the column's other values
 * stay, and it becomes NULL when it held nothing else. */
struct lvwalk {
	const ese_table *t;
	ese_sorter *refs;         /* (BE64 lid, pk) */
	uint64_t records, nrefs, lvs, undecodable;
	/* merge state */
	int have;                 /* a reference is read ahead */
	uint64_t lid;
	uint32_t columnid;        /* the column holding the reference */
	uint8_t pk[ESE_KEY_MAX];
	size_t pklen;
	ese_sbuf ks;
	uint8_t ref[4 + ESE_KEY_MAX];
};

static int lv_collect(struct ictx *c, void *arg, const uint8_t *pk, size_t pklen, const uint8_t *data, size_t dlen,
                      uint32_t pgno)
{
	(void)pgno;
	struct lvwalk *lw = arg;
	ese_record r;
	ese_status st;
	ese_status_init(&st);
	lw->records++;
	if (ese_record_parse(&r, data, dlen, c->large, &st)) {
		lw->undecodable++;
		return 0;
	}
	for (size_t i = 0; i < r.ntagged; i++) {
		uint32_t fid;
		ese_colval v;
		if (ese_record_tagged_at(&r, i, &fid, &v, &st)) {
			lw->undecodable++;
			return 0;
		}
		size_t cnt = ese_colval_count(&v);
		for (size_t k = 0; k < cnt; k++) {
			const uint8_t *p;
			size_t n;
			int sep;
			if (ese_colval_instance(&v, k, &p, &n, &sep, &st)) {
				lw->undecodable++;
				return 0;
			}
			if (!sep)
				continue;
			if (n != 4 && n != 8) {
				lw->undecodable++;
				continue;
			}
			uint8_t key[8];
			uint64_t lid = n == 4 ? get_le32(p) : get_le64(p);
			put_be32(key, (uint32_t)(lid >> 32));
			put_be32(key + 4, (uint32_t)lid);
			/* data: the column id, then the record's primary key */
			put_be32(lw->ref, fid);
			memcpy(lw->ref + 4, pk, pklen);
			int err = ese_sorter_add(lw->refs, key, 8, lw->ref, 4 + pklen, &st);
			if (err)
				return ii_operror(c, err, &st);
			lw->nrefs++;
		}
	}
	return 0;
}

static int ref_next(struct ictx *c, struct lvwalk *lw)
{
	const uint8_t *k, *d;
	size_t kl, dl;
	ese_status st;
	ese_status_init(&st);
	int err = ese_sorter_next(lw->refs, &k, &kl, &d, &dl, &st);
	lw->have = 0;
	if (err == JET_errRecordNotFound)
		return 0;
	if (err)
		return ii_operror(c, err, &st);
	lw->lid = ((uint64_t)get_be32(k) << 32) | get_be32(k + 4);
	lw->columnid = dl >= 4 ? get_be32(d) : 0;
	lw->pklen = dl >= 4 ? dl - 4 : 0;
	memcpy(lw->pk, d + 4, lw->pklen);
	lw->have = 1;
	return 0;
}

/* References (read ahead) to LIDs below `below` name no long value. */
static int refs_dangling(struct ictx *c, struct lvwalk *lw, uint64_t below, int all)
{
	while (lw->have && (all || lw->lid < below)) {
		ese_where w = { 0, lw->t->objid, lw->t->name, "data", -1 };
		const char *ks = keystr(&lw->ks, lw->t, NULL, lw->pk, lw->pklen);
		const ese_column *col = ese_table_find_column(lw->t, lw->columnid);
		const char *cname = col ? col->name : "?";
		ii_finding(c, ESE_PR_REC_LV_MISSING, &w, "%s: column %s refers to long value %llu, which does not exist",
		           ks, cname, (unsigned long long)lw->lid);
		if (system_table(lw->t)) {
			ii_nofix(c, ESE_PR_REC_LV_MISSING, lw->t->name, SYSTEM_WHY, "%s", ks);
		} else if (lw->lid > UINT32_MAX) {
			ii_nofix(c, ESE_PR_REC_LV_MISSING, lw->t->name, "a long value with an 8-byte LID is not changed by isinteg",
			         "%s", ks);
		} else {
			struct fix *f = ii_fix_new(c, FIX_NULL_LV, ESE_PR_REC_LV_MISSING, lw->t->name,
			                           "%s: reference to long value %llu (missing) dropped from column %s", ks,
			                           (unsigned long long)lw->lid, cname);
			if (f) {
				f->lid = (uint32_t)lw->lid;
				f->columnid = lw->columnid;
				if (ii_fix_key(c, f, lw->pk, lw->pklen, NULL, 0))
					return c->st.err;
			}
		}
		int err = ref_next(c, lw);
		if (err)
			return err;
	}
	return 0;
}

static int lv_root(struct ictx *c, void *arg, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
                   uint32_t pgno)
{
	struct lvwalk *lw = arg;
	int lid64 = klen >= 8 && (key[0] & 0x80);
	if (!(klen == 4 || (klen == 8 && lid64)) || dlen < 8)
		return 0;                 /* a chunk (or a malformed node: /g's) */
	uint64_t lid = klen == 4 ? get_be32(key) : ((uint64_t)get_be32(key) << 32 | get_be32(key + 4));
	uint32_t refcount = get_le32(data);
	lw->lvs++;
	int err = refs_dangling(c, lw, lid, 0);
	if (err)
		return err;
	uint64_t n = 0;
	while (lw->have && lw->lid == lid) {
		n++;
		if ((err = ref_next(c, lw)))
			return err;
	}
	ii_dump(c, "table %s long value %llu: refcount %u, %llu references", lw->t->name, (unsigned long long)lid,
	        refcount, (unsigned long long)n);
	if (lw->undecodable || n == refcount)
		return 0;
	ese_where w = { pgno, lw->t->lv_objid, lw->t->name, "long values", -1 };
	ese_problem_code code = n == 0 ? ESE_PR_LV_ORPHAN : ESE_PR_LV_REFCOUNT;
	if (n == 0)
		ii_finding(c, code, &w, "long value %llu (refcount %u, %u bytes) is referenced by no record",
		           (unsigned long long)lid, refcount, get_le32(data + 4));
	else
		ii_finding(c, code, &w, "long value %llu: refcount %u, %llu references", (unsigned long long)lid, refcount,
		           (unsigned long long)n);
	struct fix *f = NULL;
	if (system_table(lw->t))
		ii_nofix(c, code, lw->t->name, SYSTEM_WHY, "long value %llu", (unsigned long long)lid);
	else if (klen != 4)
		ii_nofix(c, code, lw->t->name, "a long value with an 8-byte LID is not changed by isinteg",
		         "long value %llu", (unsigned long long)lid);
	else if (n == 0)
		f = ii_fix_new(c, FIX_DELETE_LV, code, lw->t->name, "long value %llu deleted (no record references it)",
		               (unsigned long long)lid);
	else if (n > UINT32_MAX)
		ii_nofix(c, code, lw->t->name, "more references than a reference count holds", "long value %llu",
		         (unsigned long long)lid);
	else
		f = ii_fix_new(c, FIX_LV_REFCOUNT, code, lw->t->name, "long value %llu: refcount %u -> %llu",
		               (unsigned long long)lid, refcount, (unsigned long long)n);
	if (f) {
		f->lid = (uint32_t)lid;
		f->refcount = (uint32_t)n;
	}
	return c->st.err;
}

static int ii_test_lvref(struct ictx *c)
{
	int err = 0;
	for (size_t i = 0; i < c->cat->ntables && !err; i++) {
		const ese_table *t = &c->cat->tables[i];
		if (!t->lv_pgno_fdp)
			continue;
		struct lvwalk lw = { 0 };
		lw.t = t;
		ese_sbuf_init(&lw.ks);
		if ((err = ii_sorter_open(c, 1, &lw.refs)))
			break;
		int r = ii_walk(c, t, "data", t->pgno_fdp, t->objid, lv_collect, &lw);
		ese_status st;
		ese_status_init(&st);
		if (r < 0 || c->st.err) {
			err = c->st.err;
		} else if (r == 0) {
			if (lw.undecodable)
				ii_log(c, "Table %s: %llu records could not be decoded: long-value counts not judged", t->name,
				       (unsigned long long)lw.undecodable);
			if ((err = ese_sorter_finish(lw.refs, &st)))
				err = ii_operror(c, err, &st);
			else if (!(err = ref_next(c, &lw))) {
				r = ii_walk_lv_roots(c, t, t->lv_pgno_fdp, t->lv_objid, lv_root, &lw);
				if (r < 0 || c->st.err)
					err = c->st.err;
				else if (r == 0)
					err = refs_dangling(c, &lw, 0, 1);
			}
			ii_dump(c, "table %s: %llu records, %llu long-value references, %llu long values", t->name,
			        (unsigned long long)lw.records, (unsigned long long)lw.nrefs, (unsigned long long)lw.lvs);
		}
		ese_sorter_close(lw.refs);
		ese_sbuf_free(&lw.ks);
	}
	return err;
}

/* ---- rowcount -------------------------------------------------------------
 * ESE keeps no row count in its catalog, and neither schema this toolkit
 * knows stores one in a row (the mail store's counts are the folder and
 * mailbox tests').  The test counts rows only for -dump. */
static int count_row(struct ictx *c, void *arg, const uint8_t *k, size_t kl, const uint8_t *d, size_t dl, uint32_t p)
{
	(void)c, (void)k, (void)kl, (void)d, (void)dl, (void)p;
	(*(uint64_t *)arg)++;
	return 0;
}

static int ii_test_rowcount(struct ictx *c)
{
	ii_log(c, "No table of this schema stores a row count (ESE keeps none in its catalog): nothing to compare");
	if (!c->o->dump)
		return 0;
	for (size_t i = 0; i < c->cat->ntables; i++) {
		const ese_table *t = &c->cat->tables[i];
		uint64_t n = 0;
		if (ii_walk(c, t, "data", t->pgno_fdp, t->objid, count_row, &n) < 0)
			return c->st.err;
		ii_dump(c, "table %s: %llu rows", t->name, (unsigned long long)n);
	}
	return 0;
}

/* ---- the mail store ---------------------------------------------------------
 * docs/mailstore.md: six tables, numbered invariants.  The tests compare
 * rows by sorting (ese_sort.h) the values one table holds about another
 * under the other's primary key, and merging them with that table's tree
 * in key order (join below), so memory stays bounded however many rows
 * there are.  Invariants in the order the tests run: R5-R8 (dangling),
 * C1-C2 (msgref), C3 (attachref), F1-F3 and R1-R3 (folder), B1-B2
 * (mailbox); each later test relies on the earlier ones having held or
 * been repaired (a dangling link removed changes its folder's counts). */

#define MOFF(f) offsetof(struct mail, f)
static const struct {
	size_t table;             /* offset of the table pointer */
	const char *tname;
	size_t col;               /* offset of the column pointer */
	const char *cname;
	uint32_t coltyp;
} mail_cols[] = {
	{ MOFF(mailbox), "Mailbox", MOFF(mb_id), "MailboxId", JET_coltypLong },
	{ MOFF(mailbox), "Mailbox", MOFF(mb_count), "MessageCount", JET_coltypLong },
	{ MOFF(mailbox), "Mailbox", MOFF(mb_size), "TotalSize", JET_coltypLongLong },
	{ MOFF(folder), "Folder", MOFF(f_id), "FolderId", JET_coltypLong },
	{ MOFF(folder), "Folder", MOFF(f_mailbox), "MailboxId", JET_coltypLong },
	{ MOFF(folder), "Folder", MOFF(f_parent), "ParentFolderId", JET_coltypLong },
	{ MOFF(folder), "Folder", MOFF(f_type), "FolderType", JET_coltypUnsignedByte },
	{ MOFF(folder), "Folder", MOFF(f_count), "MessageCount", JET_coltypLong },
	{ MOFF(folder), "Folder", MOFF(f_unread), "UnreadCount", JET_coltypLong },
	{ MOFF(folder), "Folder", MOFF(f_size), "TotalSize", JET_coltypLongLong },
	{ MOFF(message), "Message", MOFF(m_id), "MessageId", JET_coltypLong },
	{ MOFF(message), "Message", MOFF(m_ref), "RefCount", JET_coltypLong },
	{ MOFF(message), "Message", MOFF(m_size), "Size", JET_coltypLong },
	{ MOFF(link), "MessageFolder", MOFF(l_folder), "FolderId", JET_coltypLong },
	{ MOFF(link), "MessageFolder", MOFF(l_message), "MessageId", JET_coltypLong },
	{ MOFF(link), "MessageFolder", MOFF(l_read), "Read", JET_coltypBit },
	{ MOFF(att), "Attachment", MOFF(a_id), "AttachmentId", JET_coltypLong },
	{ MOFF(att), "Attachment", MOFF(a_ref), "RefCount", JET_coltypLong },
	{ MOFF(attlink), "AttachmentMessage", MOFF(al_att), "AttachmentId", JET_coltypLong },
	{ MOFF(attlink), "AttachmentMessage", MOFF(al_message), "MessageId", JET_coltypLong },
};

/* The key column of each table the links point at: its primary index must
 * be that one column, so a link's value makes the row's primary key. */
static int single_key(const ese_table *t, const ese_column *col)
{
	const ese_index *ix = ii_primary_index(t);
	return ix && ix->nsegs == 1 && ix->segs[0].columnid == col->id;
}

/* Binds the mail-store schema to the current catalog (after every reopen). */
static void ii_mail_bind(struct ictx *c)
{
	struct mail *m = &c->mail;
	memset(m, 0, sizeof(*m));
	for (size_t i = 0; i < sizeof(mail_cols) / sizeof(mail_cols[0]); i++) {
		const ese_table *t = ese_catalog_find_table(c->cat, mail_cols[i].tname);
		if (!t) {
			snprintf(m->why, sizeof(m->why), "no table %s", mail_cols[i].tname);
			return;
		}
		const ese_column *col = ii_column_by_name(t, mail_cols[i].cname);
		if (!col || col->coltyp != mail_cols[i].coltyp || col->id >= 128) {
			snprintf(m->why, sizeof(m->why), "table %s has no fixed %s column %s", mail_cols[i].tname,
			         ese_coltyp_short_name(mail_cols[i].coltyp), mail_cols[i].cname);
			return;
		}
		*(const ese_table **)((char *)m + mail_cols[i].table) = t;
		*(const ese_column **)((char *)m + mail_cols[i].col) = col;
	}
	if (!single_key(m->mailbox, m->mb_id) || !single_key(m->folder, m->f_id) || !single_key(m->message, m->m_id) ||
	    !single_key(m->att, m->a_id)) {
		snprintf(m->why, sizeof(m->why), "Mailbox, Folder, Message or Attachment is not keyed on its id alone");
		return;
	}
	m->ok = 1;
}

/* A fixed numeric column's value: 0 and *v, 1 when NULL or malformed. */
static int col_int(const ese_record *r, const ese_table *t, const ese_column *col, int64_t *v)
{
	ese_colval cv;
	ese_status st;
	ese_status_init(&st);
	if (ese_record_get(r, t, col, &cv, &st) || !cv.present)
		return 1;
	switch (col->coltyp) {
	case JET_coltypBit: if (cv.len != 1) return 1; *v = cv.data[0] != 0; return 0;
	case JET_coltypUnsignedByte: if (cv.len != 1) return 1; *v = cv.data[0]; return 0;
	case JET_coltypLong: if (cv.len != 4) return 1; *v = (int32_t)get_le32(cv.data); return 0;
	case JET_coltypLongLong: if (cv.len != 8) return 1; *v = (int64_t)get_le64(cv.data); return 0;
	default: return 1;
	}
}

/* The primary key of target's row whose key column holds v (the
 * normalised key, as the data tree stores it). */
static int row_key(const ese_table *target, const ese_column *tcol, int64_t v, uint8_t *out, size_t *olen)
{
	const ese_index *ix = ii_primary_index(target);
	ese_key_spec spec;
	ese_key_spec_from_index(&spec, ix);
	ese_keybuf kb;
	ese_keyseg seg;
	uint8_t val[4];
	put_le32(val, (uint32_t)v);
	ese_status st;
	ese_status_init(&st);
	if (ese_keybuf_init(&kb, &spec))
		return -1;
	ese_keyseg_from_column(&seg, tcol, ix->segs[0].flags);
	if (ese_key_append_segment(&kb, &seg, val, 4, 0, &st))
		return -1;
	memcpy(out, kb.data, kb.len);
	*olen = kb.len;
	return 0;
}

/* A row with a column the tests need NULL or malformed (I721). */
static void bad_value(struct ictx *c, const ese_table *t, const uint8_t *pk, size_t pklen, uint32_t pgno,
                      const ese_column *col)
{
	ese_sbuf ks;
	ese_sbuf_init(&ks);
	ese_where w = { pgno, t->objid, t->name, "data", -1 };
	ii_finding(c, ESE_PR_ROW_VALUE, &w, "%s: column %s is NULL or not a %s", keystr(&ks, t, NULL, pk, pklen),
	           col->name, ese_coltyp_short_name(col->coltyp));
	ese_sbuf_free(&ks);
}

/* ---- join: a sorted stream merged with a table in key order ---- */

struct join_ops {
	/* once per key the table or the stream holds, in key order; exists: the
	 * table has that row; r: the row decoded (NULL if it does not exist or
	 * cannot be decoded) */
	int (*begin)(struct ictx *c, void *arg, const uint8_t *key, size_t klen, int exists, const ese_record *r,
	             uint32_t pgno);
	/* each stream entry with that key */
	int (*entry)(struct ictx *c, void *arg, const uint8_t *data, size_t dlen);
	int (*end)(struct ictx *c, void *arg);
};

/* Returns 0, 1 when the table could not be read to its end (reported),
 * or an operational error. */
static int join(struct ictx *c, const ese_table *t, ese_sorter *s, const struct join_ops *ops, void *arg)
{
	ese_status st;
	ese_status_init(&st);
	int err = ese_sorter_finish(s, &st);
	if (err)
		return ii_operror(c, err, &st);
	if (ii_tree_bad(c, t->objid))
		return 1;
	struct walker w;
	if ((err = wk_open(&w, c->db, t->pgno_fdp, t->objid, 0, &st)))
		return err == JET_errOutOfMemory ? ii_oom(c) : (ii_tree_unreadable(c, t, "data", t->objid, &st), 1);
	uint8_t *key = malloc(ESE_KEY_MAX);
	if (!key) {
		wk_close(&w);
		return ii_oom(c);
	}
	const uint8_t *sk = NULL, *sd = NULL;
	size_t skl = 0, sdl = 0;
	ese_status sst = { 0 };
	int es = ese_sorter_next(s, &sk, &skl, &sd, &sdl, &sst);
	int et = wk_step(&w, 1, &st);
	/* a table read only up to a damaged page must not make the rows behind
	 * it look missing: the merge stops at the first read error */
	while (!err && (et == 0 || (es == 0 && et == JET_errRecordNotFound))) {
		size_t tkl = 0, tdl = 0;
		const uint8_t *tk = et == 0 ? ese_cursor_key(w.cur, &tkl) : NULL;
		int cmp = es ? -1 : et ? 1 : ese_key_compare(tk, tkl, sk, skl);
		size_t kl = cmp <= 0 ? tkl : skl;
		memcpy(key, cmp <= 0 ? tk : sk, kl);
		ese_record r;
		int have = 0;
		if (cmp <= 0) {
			const uint8_t *td = ese_cursor_data(w.cur, &tdl);
			ese_status pst = { 0 };
			have = ese_record_parse(&r, td, tdl, c->large, &pst) == 0;
		}
		if ((err = ops->begin(c, arg, key, kl, cmp <= 0, have ? &r : NULL, cmp <= 0 ? ese_cursor_pgno(w.cur) : 0)))
			break;
		while (es == 0 && ese_key_compare(sk, skl, key, kl) == 0) {
			if ((err = ops->entry(c, arg, sd, sdl)))
				break;
			es = ese_sorter_next(s, &sk, &skl, &sd, &sdl, &sst);
		}
		if (err || (err = ops->end(c, arg)))
			break;
		if (cmp <= 0)
			et = wk_step(&w, 0, &st);
	}
	if (!err && es != 0 && es != JET_errRecordNotFound)
		err = ii_operror(c, es, &sst);
	if (!err && et != 0 && et != JET_errRecordNotFound) {
		if (et == JET_errOutOfMemory)
			err = ii_oom(c);
		else {
			ii_tree_unreadable(c, t, "data", t->objid, &st);
			err = 1;
		}
	}
	wk_close(&w);
	free(key);
	return err;
}

/* Feeds sorter s, for every row of t: key = the primary key of target's row
 * that column col names, data = what make_data appends (the row's own
 * primary key by default).  Rows with col NULL are I721. */
struct feed {
	const ese_table *t;
	const ese_column *col;
	const ese_table *target;
	const ese_column *tcol;
	ese_sorter *s;
	/* the data: the row's primary key and its page (BE32) when pk_data;
	 * then col2's value as a target2 key (after its length byte); then
	 * col3's value as one byte */
	const ese_column *col2, *col3;
	const ese_table *target2;
	const ese_column *tcol2;
	int pk_data;
	uint64_t rows;
};

static int feed_row(struct ictx *c, void *arg, const uint8_t *pk, size_t pklen, const uint8_t *data, size_t dlen,
                    uint32_t pgno)
{
	struct feed *f = arg;
	ese_record r;
	ese_status st;
	ese_status_init(&st);
	f->rows++;
	if (ese_record_parse(&r, data, dlen, c->large, &st))
		return 0;                 /* records reports it */
	int64_t v, v2 = 0, v3 = 0;
	if (col_int(&r, f->t, f->col, &v)) {
		bad_value(c, f->t, pk, pklen, pgno, f->col);
		return 0;
	}
	if (f->col2 && col_int(&r, f->t, f->col2, &v2)) {
		bad_value(c, f->t, pk, pklen, pgno, f->col2);
		return 0;
	}
	if (f->col3 && col_int(&r, f->t, f->col3, &v3)) {
		bad_value(c, f->t, pk, pklen, pgno, f->col3);
		return 0;
	}
	uint8_t key[ESE_KEY_MAX], d[2 * ESE_KEY_MAX];
	size_t kl, dl = 0;
	if (row_key(f->target, f->tcol, v, key, &kl))
		return ii_oom(c);
	if (f->pk_data) {
		memcpy(d, pk, pklen);
		put_be32(d + pklen, pgno);
		dl = pklen + 4;
	}
	if (f->col2) {
		size_t k2;
		if (row_key(f->target2, f->tcol2, v2, d + dl + 1, &k2))
			return ii_oom(c);
		d[dl] = (uint8_t)k2;
		dl += 1 + k2;
	}
	if (f->col3)
		d[dl++] = (uint8_t)(v3 != 0);
	int err = ese_sorter_add(f->s, key, kl, d, dl, &st);
	return err ? ii_operror(c, err, &st) : 0;
}

static int feed(struct ictx *c, struct feed *f)
{
	int r = ii_walk(c, f->t, "data", f->t->pgno_fdp, f->t->objid, feed_row, f);
	return r < 0 ? c->st.err : r;
}

/* ---- dangling: R5-R8 -------------------------------------------------------
 * Every MessageFolder row names an existing Folder (R5) and Message (R6);
 * every AttachmentMessage row an existing Attachment (R7) and Message
 * (R8).  Repair: the link is deleted (its folder's and mailbox's counts
 * are then the folder and mailbox tests' to correct). */
struct dangle {
	struct feed f;
	const char *inv;
	int exists;
	uint8_t key[ESE_KEY_MAX];     /* the target row's key */
	size_t klen;
	uint64_t found;
	ese_sbuf ks, ks2;
};

static int dangle_begin(struct ictx *c, void *arg, const uint8_t *key, size_t klen, int exists, const ese_record *r,
                        uint32_t pgno)
{
	(void)c, (void)r, (void)pgno;
	struct dangle *d = arg;
	d->exists = exists;
	memcpy(d->key, key, klen);
	d->klen = klen;
	return 0;
}

static int dangle_entry(struct ictx *c, void *arg, const uint8_t *pk, size_t dl)
{
	struct dangle *d = arg;
	if (d->exists || dl < 4)
		return 0;
	size_t pklen = dl - 4;     /* the link's primary key, then its page */
	d->found++;
	ese_where w = { get_be32(pk + pklen), d->f.t->objid, d->f.t->name, "data", -1 };
	const char *ks = keystr(&d->ks, d->f.t, NULL, pk, pklen);
	ii_finding(c, ESE_PR_ROW_DANGLING_LINK, &w, "%s: names %s %s, which does not exist (%s)", ks,
	           d->f.target->name, keystr(&d->ks2, d->f.target, NULL, d->key, d->klen), d->inv);
	struct fix *f = ii_fix_new(c, FIX_DELETE_RECORD, ESE_PR_ROW_DANGLING_LINK, d->f.t->name, "%s: link deleted", ks);
	if (f && ii_fix_key(c, f, pk, pklen, NULL, 0))
		return c->st.err;
	return c->st.err;
}

static int dangle_end(struct ictx *c, void *arg)
{
	(void)c, (void)arg;
	return 0;
}

static int dangling_check(struct ictx *c, const ese_table *t, const ese_column *col, const ese_table *target,
                          const ese_column *tcol, const char *inv)
{
	static const struct join_ops ops = { dangle_begin, dangle_entry, dangle_end };
	struct dangle d = { 0 };
	d.f.t = t;
	d.f.col = col;
	d.f.target = target;
	d.f.tcol = tcol;
	d.f.pk_data = 1;
	d.inv = inv;
	ese_sbuf_init(&d.ks);
	ese_sbuf_init(&d.ks2);
	int err = ii_sorter_open(c, 1, &d.f.s);
	if (!err && (err = feed(c, &d.f)) == 0)
		err = join(c, target, d.f.s, &ops, &d);
	ii_dump(c, "%s.%s -> %s: %llu rows, %llu dangling (%s)", t->name, col->name, target->name,
	        (unsigned long long)d.f.rows, (unsigned long long)d.found, inv);
	ese_sorter_close(d.f.s);
	ese_sbuf_free(&d.ks);
	ese_sbuf_free(&d.ks2);
	return err < 0 ? err : c->st.err;
}

static int ii_test_dangling(struct ictx *c)
{
	struct mail *m = &c->mail;
	int err;
	if ((err = dangling_check(c, m->link, m->l_folder, m->folder, m->f_id, "R5")) ||
	    (err = dangling_check(c, m->link, m->l_message, m->message, m->m_id, "R6")) ||
	    (err = dangling_check(c, m->attlink, m->al_att, m->att, m->a_id, "R7")) ||
	    (err = dangling_check(c, m->attlink, m->al_message, m->message, m->m_id, "R8")))
		return err;
	return 0;
}

/* ---- msgref (C1, C2) and attachref (C3) --------------------------------------
 * A message's RefCount equals the MessageFolder rows naming it (C1); a
 * message no row names must not exist (C2).  An attachment's RefCount
 * equals the AttachmentMessage rows naming it, at least one (C3).  Links
 * to rows that do not exist are the dangling test's.  Repairs: RefCount
 * set to the links counted; a row no link names is deleted (its long
 * values and index entries with it). */
struct refs {
	struct feed f;
	const ese_column *ref;    /* RefCount */
	ese_problem_code orphan, wrong;
	const char *holder;
	/* the current row */
	int exists, ok;
	int64_t stored;
	uint64_t n;
	uint8_t pk[ESE_KEY_MAX];
	size_t pklen;
	uint32_t pgno;
	uint64_t rows, orphans, wrongs;
	ese_sbuf ks;
};

static int refs_begin(struct ictx *c, void *arg, const uint8_t *key, size_t klen, int exists, const ese_record *r,
                      uint32_t pgno)
{
	struct refs *x = arg;
	x->exists = exists;
	x->n = 0;
	x->ok = 0;
	memcpy(x->pk, key, klen);
	x->pklen = klen;
	x->pgno = pgno;
	if (exists && r) {
		x->rows++;
		if (col_int(r, x->f.target, x->ref, &x->stored))
			bad_value(c, x->f.target, key, klen, pgno, x->ref);
		else
			x->ok = 1;
	}
	return 0;
}

static int refs_entry(struct ictx *c, void *arg, const uint8_t *d, size_t dl)
{
	(void)c, (void)d, (void)dl;
	((struct refs *)arg)->n++;
	return 0;
}

static int refs_end(struct ictx *c, void *arg)
{
	struct refs *x = arg;
	if (!x->exists || !x->ok)
		return 0;
	const ese_table *t = x->f.target;
	ese_where w = { x->pgno, t->objid, t->name, "data", -1 };
	const char *ks = keystr(&x->ks, t, NULL, x->pk, x->pklen);
	ii_dump(c, "%s %s: RefCount %lld, %llu %s", t->name, ks, (long long)x->stored, (unsigned long long)x->n, x->holder);
	struct fix *f = NULL;
	if (x->n == 0) {
		x->orphans++;
		ii_finding(c, x->orphan, &w, "%s: RefCount %lld, but no %s row names it", ks, (long long)x->stored,
		           x->f.t->name);
		f = ii_fix_new(c, FIX_DELETE_RECORD, x->orphan, t->name, "%s: deleted (no %s row names it)", ks, x->f.t->name);
	} else if (x->stored != (int64_t)x->n) {
		x->wrongs++;
		ii_finding(c, x->wrong, &w, "%s: RefCount %lld, %llu %s", ks, (long long)x->stored,
		           (unsigned long long)x->n, x->holder);
		f = ii_fix_new(c, FIX_UPDATE, x->wrong, t->name, "%s: RefCount %lld -> %llu", ks, (long long)x->stored,
		               (unsigned long long)x->n);
		if (f && ii_fix_set(c, f, x->ref->name, (int64_t)x->n, 4))
			return c->st.err;
	}
	if (f && ii_fix_key(c, f, x->pk, x->pklen, NULL, 0))
		return c->st.err;
	return c->st.err;
}

static int refs_check(struct ictx *c, struct refs *x)
{
	static const struct join_ops ops = { refs_begin, refs_entry, refs_end };
	ese_sbuf_init(&x->ks);
	int err = ii_sorter_open(c, 1, &x->f.s);
	if (!err && (err = feed(c, &x->f)) == 0)
		err = join(c, x->f.target, x->f.s, &ops, x);
	ii_dump(c, "%s: %llu rows, %llu links; %llu with a wrong RefCount, %llu named by no link", x->f.target->name,
	        (unsigned long long)x->rows, (unsigned long long)x->f.rows, (unsigned long long)x->wrongs,
	        (unsigned long long)x->orphans);
	ese_sorter_close(x->f.s);
	ese_sbuf_free(&x->ks);
	return err < 0 ? err : c->st.err;
}

static int ii_test_msgref(struct ictx *c)
{
	struct mail *m = &c->mail;
	struct refs x = { 0 };
	x.f.t = m->link;
	x.f.col = m->l_message;
	x.f.target = m->message;
	x.f.tcol = m->m_id;
	x.ref = m->m_ref;
	x.orphan = ESE_PR_ROW_MSG_ORPHAN;
	x.wrong = ESE_PR_ROW_MSG_REFCOUNT;
	x.holder = "folders hold it";
	int err = refs_check(c, &x);
	return err;
}

static int ii_test_attachref(struct ictx *c)
{
	struct mail *m = &c->mail;
	struct refs x = { 0 };
	x.f.t = m->attlink;
	x.f.col = m->al_att;
	x.f.target = m->att;
	x.f.tcol = m->a_id;
	x.ref = m->a_ref;
	x.orphan = ESE_PR_ROW_ATT_ORPHAN;
	x.wrong = ESE_PR_ROW_ATT_REFCOUNT;
	x.holder = "messages carry it";
	return refs_check(c, &x);
}

/* ---- folder totals, shared by folder (F1-F3) and mailbox (B1-B2) ----
 * Stage A: the links sorted by message, merged with Message, give each
 * link its message's Size (0 when the message does not exist: F3, B2);
 * stage B: those (folder, read, size) sorted by folder, merged with
 * Folder by the caller's join ops. */
struct stage_a {
	ese_sorter *b;            /* out: (folder pk, read(1) || size(8)) */
	int64_t size;
	int exists;
	const struct mail *m;
	uint64_t links;
};

static int sa_begin(struct ictx *c, void *arg, const uint8_t *key, size_t klen, int exists, const ese_record *r,
                    uint32_t pgno)
{
	struct stage_a *a = arg;
	a->size = 0;
	a->exists = exists;
	if (exists && r && col_int(r, a->m->message, a->m->m_size, &a->size)) {
		bad_value(c, a->m->message, key, klen, pgno, a->m->m_size);
		a->size = 0;
	}
	return 0;
}

static int sa_entry(struct ictx *c, void *arg, const uint8_t *d, size_t dl)
{
	struct stage_a *a = arg;
	/* d: klen(1) || folder pk || read(1), as feed_row wrote it */
	if (dl < 2 || (size_t)d[0] + 2 != dl)
		return ii_oom(c);
	size_t kl = d[0];
	uint8_t v[9];
	v[0] = d[1 + kl];
	put_le64(v + 1, (uint64_t)a->size);
	ese_status st;
	ese_status_init(&st);
	a->links++;
	int err = ese_sorter_add(a->b, d + 1, kl, v, 9, &st);
	return err ? ii_operror(c, err, &st) : 0;
}

static int sa_end(struct ictx *c, void *arg)
{
	(void)c, (void)arg;
	return 0;
}

/* Stage A into *out (a sorter the caller joins with Folder, then closes). */
static int folder_links(struct ictx *c, ese_sorter **out, uint64_t *links)
{
	static const struct join_ops ops = { sa_begin, sa_entry, sa_end };
	struct mail *m = &c->mail;
	struct stage_a a = { 0 };
	a.m = m;
	struct feed f = { 0 };
	f.t = m->link;
	f.col = m->l_message;
	f.target = m->message;
	f.tcol = m->m_id;
	f.col2 = m->l_folder;
	f.target2 = m->folder;
	f.tcol2 = m->f_id;
	f.col3 = m->l_read;
	*out = NULL;
	int err = ii_sorter_open(c, 2, &f.s);
	if (!err)
		err = ii_sorter_open(c, 2, &a.b);
	if (!err && (err = feed(c, &f)) == 0)
		err = join(c, m->message, f.s, &ops, &a);
	ese_sorter_close(f.s);
	if (err) {
		ese_sorter_close(a.b);
		return err < 0 ? err : (c->st.err ? c->st.err : 1);
	}
	*links = a.links;
	*out = a.b;
	return 0;
}

/* Per folder: its links counted, unread, and their messages' sizes. */
struct ftot {
	int exists, ok;
	const ese_record *r;
	uint8_t pk[ESE_KEY_MAX];
	size_t pklen;
	uint32_t pgno;
	int64_t id, mailbox, parent, type, count, unread, size;   /* stored */
	uint64_t n, nunread;
	int64_t sum;
};

static void ftot_begin(struct ictx *c, struct ftot *x, const uint8_t *key, size_t klen, int exists,
                       const ese_record *r, uint32_t pgno)
{
	const struct mail *m = &c->mail;
	memset(x, 0, sizeof(*x));
	x->exists = exists;
	memcpy(x->pk, key, klen);
	x->pklen = klen;
	x->pgno = pgno;
	if (!exists || !r)
		return;
	const ese_column *cols[] = { m->f_id, m->f_mailbox, m->f_parent, m->f_type, m->f_count, m->f_unread, m->f_size };
	int64_t *vals[] = { &x->id, &x->mailbox, &x->parent, &x->type, &x->count, &x->unread, &x->size };
	for (size_t i = 0; i < 7; i++)
		if (col_int(r, m->folder, cols[i], vals[i])) {
			bad_value(c, m->folder, key, klen, pgno, cols[i]);
			return;
		}
	x->ok = 1;
}

/* Join callbacks for a struct whose first member is a struct ftot. */
static int ftot_begin_cb(struct ictx *c, void *arg, const uint8_t *key, size_t klen, int exists, const ese_record *r,
                         uint32_t pgno)
{
	ftot_begin(c, arg, key, klen, exists, r, pgno);
	return 0;
}

static int ftot_entry(struct ictx *c, void *arg, const uint8_t *d, size_t dl)
{
	(void)c;
	struct ftot *x = arg;
	if (dl >= 9) {
		x->n++;
		x->nunread += d[0] == 0;
		x->sum += (int64_t)get_le64(d + 1);
	}
	return 0;
}

/* ---- folder: F1-F3, and the hierarchy R1-R3 ----------------------------------
 * Each folder's MessageCount, UnreadCount and TotalSize equal its links'
 * count, unread count and messages' sizes.  Repair: the three columns set
 * from the links (one update).  The hierarchy (R1 mailbox exists, R2
 * parent rules and no cycle, R3 one folder of each type 0-7 a mailbox,
 * types 1-7 under the root) is checked on one small entry per folder and
 * per mailbox kept in memory; it is reported, not repaired. */
struct fnode {
	int64_t id, mailbox, parent, type;
};

struct fold {
	struct ftot x;            /* first: the ftot callbacks take a fold */
	struct fnode *nodes;
	size_t n, cap;
	uint64_t folders, wrong;
	ese_sbuf ks;
};

static int fold_begin(struct ictx *c, void *arg, const uint8_t *key, size_t klen, int exists, const ese_record *r,
                      uint32_t pgno)
{
	struct fold *f = arg;
	ftot_begin(c, &f->x, key, klen, exists, r, pgno);
	if (f->x.ok) {
		if (f->n == f->cap) {
			size_t cap = f->cap ? 2 * f->cap : 256;
			struct fnode *p = realloc(f->nodes, cap * sizeof(*p));
			if (!p)
				return ii_oom(c);
			f->nodes = p;
			f->cap = cap;
		}
		f->nodes[f->n++] = (struct fnode){ f->x.id, f->x.mailbox, f->x.parent, f->x.type };
	}
	return 0;
}

static int fold_end(struct ictx *c, void *arg)
{
	struct fold *f = arg;
	struct ftot *x = &f->x;
	if (!x->exists || !x->ok)
		return 0;
	const ese_table *t = c->mail.folder;
	f->folders++;
	const char *ks = keystr(&f->ks, t, NULL, x->pk, x->pklen);
	ii_dump(c, "Folder %s: MessageCount %lld/%llu, UnreadCount %lld/%llu, TotalSize %lld/%lld (stored/counted)", ks,
	        (long long)x->count, (unsigned long long)x->n, (long long)x->unread, (unsigned long long)x->nunread,
	        (long long)x->size, (long long)x->sum);
	ese_where w = { x->pgno, t->objid, t->name, "data", -1 };
	unsigned bad = 0;
	ese_sbuf what;
	ese_sbuf_init(&what);
	if (x->count != (int64_t)x->n) {
		ii_finding(c, ESE_PR_ROW_FOLDER_COUNT, &w, "%s: MessageCount %lld, %llu links", ks, (long long)x->count,
		           (unsigned long long)x->n);
		ese_sbuf_printf(&what, "MessageCount %lld -> %llu", (long long)x->count, (unsigned long long)x->n);
		bad++;
	}
	if (x->unread != (int64_t)x->nunread) {
		ii_finding(c, ESE_PR_ROW_FOLDER_UNREAD, &w, "%s: UnreadCount %lld, %llu unread links", ks,
		           (long long)x->unread, (unsigned long long)x->nunread);
		ese_sbuf_printf(&what, "%sUnreadCount %lld -> %llu", bad ? ", " : "", (long long)x->unread,
		                (unsigned long long)x->nunread);
		bad++;
	}
	if (x->size != x->sum) {
		ii_finding(c, ESE_PR_ROW_FOLDER_SIZE, &w, "%s: TotalSize %lld, its messages' sizes add up to %lld", ks,
		           (long long)x->size, (long long)x->sum);
		ese_sbuf_printf(&what, "%sTotalSize %lld -> %lld", bad ? ", " : "", (long long)x->size, (long long)x->sum);
		bad++;
	}
	if (bad) {
		f->wrong++;
		const struct mail *m = &c->mail;
		struct fix *fx = ii_fix_new(c, FIX_UPDATE, x->count != (int64_t)x->n ? ESE_PR_ROW_FOLDER_COUNT
		                                          : x->unread != (int64_t)x->nunread ? ESE_PR_ROW_FOLDER_UNREAD
		                                                                             : ESE_PR_ROW_FOLDER_SIZE,
		                            t->name, "%s: %s", ks, what.data);
		if (fx) {
			fx->findings = bad;
			if (ii_fix_key(c, fx, x->pk, x->pklen, NULL, 0) ||
			    (x->count != (int64_t)x->n && ii_fix_set(c, fx, m->f_count->name, (int64_t)x->n, 4)) ||
			    (x->unread != (int64_t)x->nunread && ii_fix_set(c, fx, m->f_unread->name, (int64_t)x->nunread, 4)) ||
			    (x->size != x->sum && ii_fix_set(c, fx, m->f_size->name, x->sum, 8))) {
				ese_sbuf_free(&what);
				return c->st.err;
			}
		}
	}
	ese_sbuf_free(&what);
	return c->st.err;
}

static int cmp_fnode(const void *a, const void *b)
{
	const struct fnode *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return x < y ? -1 : x > y;
}

struct idlist {
	const ese_table *t;
	const ese_column *col;
	int64_t *v;
	size_t n, cap;
};

static int collect_id(struct ictx *c, void *arg, const uint8_t *k, size_t kl, const uint8_t *d, size_t dl,
                      uint32_t pgno)
{
	(void)k, (void)kl, (void)pgno;
	struct idlist *l = arg;
	ese_record r;
	ese_status st;
	ese_status_init(&st);
	int64_t v;
	if (ese_record_parse(&r, d, dl, c->large, &st) || col_int(&r, l->t, l->col, &v))
		return 0;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		int64_t *p = realloc(l->v, cap * sizeof(*p));
		if (!p)
			return ii_oom(c);
		l->v = p;
		l->cap = cap;
	}
	l->v[l->n++] = v;
	return 0;
}

static const struct fnode *find_folder(const struct fold *f, int64_t id)
{
	struct fnode key = { id, 0, 0, 0 };
	return bsearch(&key, f->nodes, f->n, sizeof(key), cmp_fnode);
}

static void tree_finding(struct ictx *c, int64_t folder, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void tree_finding(struct ictx *c, int64_t folder, const char *fmt, ...)
{
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	va_list ap;
	va_start(ap, fmt);
	ese_sbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	ese_where w = { 0, c->mail.folder->objid, c->mail.folder->name, "data", -1 };
	if (folder)
		ii_finding(c, ESE_PR_ROW_FOLDER_TREE, &w, "FolderId=%lld: %s", (long long)folder, sb.data ? sb.data : "");
	else
		ii_finding(c, ESE_PR_ROW_FOLDER_TREE, &w, "%s", sb.data ? sb.data : "");
	ii_nofix(c, ESE_PR_ROW_FOLDER_TREE, c->mail.folder->name, "a folder hierarchy is not rebuilt by isinteg", "%s",
	         sb.data ? sb.data : "");
	ese_sbuf_free(&sb);
}

static int check_hierarchy(struct ictx *c, struct fold *f)
{
	const struct mail *m = &c->mail;
	struct idlist mb = { m->mailbox, m->mb_id, NULL, 0, 0 };
	int r = ii_walk(c, m->mailbox, "data", m->mailbox->pgno_fdp, m->mailbox->objid, collect_id, &mb);
	if (r) {
		free(mb.v);
		return r < 0 ? c->st.err : 0;
	}
	qsort(f->nodes, f->n, sizeof(*f->nodes), cmp_fnode);
	if (mb.n > 1)
		qsort(mb.v, mb.n, sizeof(*mb.v), cmp_i64);
	for (size_t i = 0; i < f->n; i++) {
		const struct fnode *n = &f->nodes[i];
		if (!bsearch(&n->mailbox, mb.v, mb.n, sizeof(*mb.v), cmp_i64))
			tree_finding(c, n->id, "MailboxId %lld names no mailbox (R1)", (long long)n->mailbox);
		if ((n->type == 0) != (n->parent == 0)) {
			tree_finding(c, n->id, "FolderType %lld with ParentFolderId %lld (R2: 0 exactly for the root)",
			             (long long)n->type, (long long)n->parent);
			continue;
		}
		if (n->parent == 0)
			continue;
		const struct fnode *p = find_folder(f, n->parent);
		if (!p) {
			tree_finding(c, n->id, "ParentFolderId %lld names no folder (R2)", (long long)n->parent);
			continue;
		}
		if (p->mailbox != n->mailbox) {
			tree_finding(c, n->id, "parent folder %lld belongs to mailbox %lld, this folder to %lld (R2)",
			             (long long)p->id, (long long)p->mailbox, (long long)n->mailbox);
			continue;
		}
		/* follow the parents: the root within f->n steps, or a cycle */
		const struct fnode *q = n;
		size_t steps = 0;
		while (q && q->parent != 0 && steps <= f->n) {
			q = find_folder(f, q->parent);
			steps++;
		}
		if (q && q->parent != 0)
			tree_finding(c, n->id, "following its parents never reaches a root (a cycle, R2)");
		if (n->type >= 1 && n->type <= 7 && p->type != 0)
			tree_finding(c, n->id, "default folder of type %lld is under folder %lld, not the root (R3)",
			             (long long)n->type, (long long)p->id);
	}
	/* R3: one folder of each type 0-7 a mailbox */
	for (size_t i = 0; i < mb.n; i++) {
		unsigned cnt[8] = { 0 };
		for (size_t k = 0; k < f->n; k++)
			if (f->nodes[k].mailbox == mb.v[i] && f->nodes[k].type >= 0 && f->nodes[k].type <= 7)
				cnt[f->nodes[k].type]++;
		for (int ty = 0; ty <= 7; ty++)
			if (cnt[ty] != 1)
				tree_finding(c, 0, "MailboxId=%lld has %u folders of type %d, not one (R3)", (long long)mb.v[i],
				             cnt[ty], ty);
	}
	free(mb.v);
	return 0;
}

static int ii_test_folder(struct ictx *c)
{
	static const struct join_ops ops = { fold_begin, ftot_entry, fold_end };
	ese_sorter *b;
	uint64_t links = 0;
	int err = folder_links(c, &b, &links);
	if (err)
		return err < 0 || c->st.err ? c->st.err : 0;
	struct fold f = { 0 };
	ese_sbuf_init(&f.ks);
	err = join(c, c->mail.folder, b, &ops, &f);
	ese_sorter_close(b);
	if (err == 0)
		err = check_hierarchy(c, &f);
	ii_dump(c, "Folder: %llu folders, %llu links, %llu with wrong counts", (unsigned long long)f.folders,
	        (unsigned long long)links, (unsigned long long)f.wrong);
	free(f.nodes);
	ese_sbuf_free(&f.ks);
	return err < 0 ? err : c->st.err;
}

/* ---- mailbox: B1-B2 -------------------------------------------------------------
 * A mailbox's MessageCount and TotalSize equal the number of links of its
 * folders and their messages' sizes (from the links, not the folders'
 * stored counts: a wrong folder count is one finding, not two).  Stage B
 * gives each folder's totals, sorted again by mailbox (stage C) and merged
 * with Mailbox.  Repair: the two columns set (one update). */
struct mbox {
	struct ftot x;            /* first: the ftot callbacks take an mbox */
	ese_sorter *cs;           /* (mailbox pk, count(8) || size(8)) */
	/* stage C, per mailbox */
	int exists, ok;
	uint8_t pk[ESE_KEY_MAX];
	size_t pklen;
	uint32_t pgno;
	int64_t count, size;      /* stored */
	uint64_t n;
	int64_t sum;
	uint64_t mailboxes, wrong;
	ese_sbuf ks;
};

static int mb_fend(struct ictx *c, void *arg)
{
	struct mbox *b = arg;
	if (!b->x.exists || !b->x.ok)
		return 0;
	uint8_t key[ESE_KEY_MAX], v[16];
	size_t kl;
	if (row_key(c->mail.mailbox, c->mail.mb_id, b->x.mailbox, key, &kl))
		return ii_oom(c);
	put_le64(v, b->x.n);
	put_le64(v + 8, (uint64_t)b->x.sum);
	ese_status st;
	ese_status_init(&st);
	int err = ese_sorter_add(b->cs, key, kl, v, 16, &st);
	return err ? ii_operror(c, err, &st) : 0;
}

static int mb_begin(struct ictx *c, void *arg, const uint8_t *key, size_t klen, int exists, const ese_record *r,
                    uint32_t pgno)
{
	struct mbox *b = arg;
	const struct mail *m = &c->mail;
	b->exists = exists;
	b->ok = 0;
	b->n = 0;
	b->sum = 0;
	memcpy(b->pk, key, klen);
	b->pklen = klen;
	b->pgno = pgno;
	if (!exists || !r)
		return 0;
	if (col_int(r, m->mailbox, m->mb_count, &b->count))
		bad_value(c, m->mailbox, key, klen, pgno, m->mb_count);
	else if (col_int(r, m->mailbox, m->mb_size, &b->size))
		bad_value(c, m->mailbox, key, klen, pgno, m->mb_size);
	else
		b->ok = 1;
	return 0;
}

static int mb_entry(struct ictx *c, void *arg, const uint8_t *d, size_t dl)
{
	(void)c;
	struct mbox *b = arg;
	if (dl >= 16) {
		b->n += get_le64(d);
		b->sum += (int64_t)get_le64(d + 8);
	}
	return 0;
}

static int mb_end(struct ictx *c, void *arg)
{
	struct mbox *b = arg;
	if (!b->exists || !b->ok)
		return 0;
	const struct mail *m = &c->mail;
	const ese_table *t = m->mailbox;
	b->mailboxes++;
	const char *ks = keystr(&b->ks, t, NULL, b->pk, b->pklen);
	ii_dump(c, "Mailbox %s: MessageCount %lld/%llu, TotalSize %lld/%lld (stored/counted)", ks, (long long)b->count,
	        (unsigned long long)b->n, (long long)b->size, (long long)b->sum);
	ese_where w = { b->pgno, t->objid, t->name, "data", -1 };
	unsigned bad = 0;
	ese_sbuf what;
	ese_sbuf_init(&what);
	if (b->count != (int64_t)b->n) {
		ii_finding(c, ESE_PR_ROW_MAILBOX_COUNT, &w, "%s: MessageCount %lld, its folders hold %llu links", ks,
		           (long long)b->count, (unsigned long long)b->n);
		ese_sbuf_printf(&what, "MessageCount %lld -> %llu", (long long)b->count, (unsigned long long)b->n);
		bad++;
	}
	if (b->size != b->sum) {
		ii_finding(c, ESE_PR_ROW_MAILBOX_SIZE, &w, "%s: TotalSize %lld, its folders' messages add up to %lld", ks,
		           (long long)b->size, (long long)b->sum);
		ese_sbuf_printf(&what, "%sTotalSize %lld -> %lld", bad ? ", " : "", (long long)b->size, (long long)b->sum);
		bad++;
	}
	if (bad) {
		b->wrong++;
		struct fix *fx = ii_fix_new(c, FIX_UPDATE,
		                            b->count != (int64_t)b->n ? ESE_PR_ROW_MAILBOX_COUNT : ESE_PR_ROW_MAILBOX_SIZE,
		                            t->name, "%s: %s", ks, what.data);
		if (fx) {
			fx->findings = bad;
			if (ii_fix_key(c, fx, b->pk, b->pklen, NULL, 0) ||
			    (b->count != (int64_t)b->n && ii_fix_set(c, fx, m->mb_count->name, (int64_t)b->n, 4)) ||
			    (b->size != b->sum && ii_fix_set(c, fx, m->mb_size->name, b->sum, 8))) {
				ese_sbuf_free(&what);
				return c->st.err;
			}
		}
	}
	ese_sbuf_free(&what);
	return c->st.err;
}

static int ii_test_mailbox(struct ictx *c)
{
	static const struct join_ops fops = { ftot_begin_cb, ftot_entry, mb_fend };
	static const struct join_ops ops = { mb_begin, mb_entry, mb_end };
	ese_sorter *b;
	uint64_t links = 0;
	int err = folder_links(c, &b, &links);
	if (err)
		return err < 0 || c->st.err ? c->st.err : 0;
	struct mbox x = { 0 };
	ese_sbuf_init(&x.ks);
	err = ii_sorter_open(c, 1, &x.cs);
	if (!err)
		err = join(c, c->mail.folder, b, &fops, &x);
	ese_sorter_close(b);
	if (!err)
		err = join(c, c->mail.mailbox, x.cs, &ops, &x);
	ii_dump(c, "Mailbox: %llu mailboxes, %llu with wrong totals", (unsigned long long)x.mailboxes,
	        (unsigned long long)x.wrong);
	ese_sorter_close(x.cs);
	ese_sbuf_free(&x.ks);
	return err < 0 ? err : c->st.err;
}
/* ---- the tests ------------------------------------------------------- */

static const struct {
	const char *name;
	int mail;
	int (*run)(struct ictx *c);
} tests[ESE_IT_COUNT] = {
	[ESE_IT_CATALOG] = { "catalog", 0, ii_test_catalog },
	[ESE_IT_OBJID] = { "objid", 0, ii_test_objid },
	[ESE_IT_RECORDS] = { "records", 0, ii_test_records },
	[ESE_IT_INDEX] = { "index", 0, ii_test_index },
	[ESE_IT_LVREF] = { "lvref", 0, ii_test_lvref },
	[ESE_IT_ROWCOUNT] = { "rowcount", 0, ii_test_rowcount },
	[ESE_IT_DANGLING] = { "dangling", 1, ii_test_dangling },
	[ESE_IT_MSGREF] = { "msgref", 1, ii_test_msgref },
	[ESE_IT_ATTACHREF] = { "attachref", 1, ii_test_attachref },
	[ESE_IT_FOLDER] = { "folder", 1, ii_test_folder },
	[ESE_IT_MAILBOX] = { "mailbox", 1, ii_test_mailbox },
};

const char *ese_isinteg_test_name(unsigned id) { return id < ESE_IT_COUNT ? tests[id].name : NULL; }
int ese_isinteg_test_is_mail(unsigned id) { return id < ESE_IT_COUNT && tests[id].mail; }

int ese_isinteg_parse_tests(const char *list, uint32_t *mask, ese_sbuf *err)
{
	*mask = 0;
	if (!list || !*list) {
		if (err)
			ese_sbuf_puts(err, "(empty)");
		return JET_errInvalidParameter;
	}
	const char *p = list;
	while (1) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		unsigned id;
		int found = 0;
		if (n == 8 && !strncasecmp(p, "alltests", 8)) {
			*mask |= ESE_ISINTEG_ALL;
			found = 1;
		}
		for (id = 0; id < ESE_IT_COUNT && !found; id++)
			if (strlen(tests[id].name) == n && !strncasecmp(p, tests[id].name, n)) {
				*mask |= 1u << id;
				found = 1;
			}
		if (!found) {
			if (err && n)
				ese_sbuf_put(err, p, n);
			else if (err)
				ese_sbuf_puts(err, "(empty)");
			return JET_errInvalidParameter;
		}
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

/* ---- output ---------------------------------------------------------- */

static void ii_log(struct ictx *c, const char *fmt, ...)
{
	if (!c->log)
		return;
	va_list ap;
	va_start(ap, fmt);
	vfprintf(c->log, fmt, ap);
	va_end(ap);
	fputc('\n', c->log);
}

/* A line for the terminal (not in --json mode) and the report file. */
static void both(struct ictx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void both(struct ictx *c, const char *fmt, ...)
{
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	va_list ap;
	va_start(ap, fmt);
	ese_sbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	if (c->o->out && !c->o->json)
		fprintf(c->o->out, "%s\n", sb.data ? sb.data : "");
	if (c->log)
		fprintf(c->log, "%s\n", sb.data ? sb.data : "");
	ese_sbuf_free(&sb);
}

static void ii_dump(struct ictx *c, const char *fmt, ...)
{
	if (!c->o->dump || !c->log)
		return;
	va_list ap;
	va_start(ap, fmt);
	fputs("Dump: ", c->log);
	vfprintf(c->log, fmt, ap);
	va_end(ap);
	fputc('\n', c->log);
}

static void ii_finding(struct ictx *c, ese_problem_code id, const ese_where *w, const char *fmt, ...)
{
	ese_sbuf detail;
	ese_sbuf_init(&detail);
	va_list ap;
	va_start(ap, fmt);
	ese_sbuf_vprintf(&detail, fmt, ap);
	va_end(ap);
	/* the reporter counts it, caps it, writes its JSON line, and prints
	 * its text line into a memory stream, which goes to the terminal as
	 * it is and to the report file as an "Error:"/"Warning:" line */
	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	c->rep.text = mem;
	c->rep.json = c->o->json;
	ese_report(&c->rep, id, w, "%s", detail.data ? detail.data : "");
	c->rep.text = NULL;
	if (mem)
		fclose(mem);
	if (buf && len) {
		if (c->o->out && !c->o->json)
			fputs(buf, c->o->out);
		if (c->log) {
			const char *rest = buf;
			if (!strncmp(buf, "ERROR: ", 7)) {
				fputs("Error: ", c->log);
				rest = buf + 7;
			} else if (!strncmp(buf, "WARNING: ", 9)) {
				fputs("Warning: ", c->log);
				rest = buf + 9;
			}
			fputs(rest, c->log);
		}
	}
	free(buf);
	ese_sbuf_free(&detail);
}

/* A "Fix:" line: what a repair did, or why it was not done. */
static void fix_line(struct ictx *c, const struct fix *f, int ok, const char *why)
{
	const ese_problem_info *pi = ese_problem_info_get(f->code);
	if (c->o->json) {
		ese_sbuf j;
		ese_sbuf_init(&j);
		ese_sbuf_printf(&j, "{\"fix\":%s,\"code\":\"%s\",\"table\":", ok ? "true" : "false", pi->code);
		ese_sbuf_json_str(&j, f->table, strlen(f->table));
		ese_sbuf_puts(&j, ",\"message\":");
		ese_sbuf_json_str(&j, f->what, strlen(f->what));
		if (!ok) {
			ese_sbuf_puts(&j, ",\"reason\":");
			ese_sbuf_json_str(&j, why ? why : "", why ? strlen(why) : 0);
		}
		ese_sbuf_puts(&j, "}\n");
		fputs(j.data, c->o->json);
		ese_sbuf_free(&j);
	}
	char where[300];
	if (f->kind == FIX_HEADER)
		snprintf(where, sizeof(where), "database");
	else
		snprintf(where, sizeof(where), "(table %s)", f->table);
	if (ok)
		both(c, "Fix: %s: %s %s", where, pi->code, f->what);
	else
		both(c, "Fix: %s: %s not done: %s: %s", where, pi->code, f->what, why ? why : "");
}

static void ii_nofix(struct ictx *c, ese_problem_code code, const char *table, const char *why, const char *fmt, ...)
{
	if (!c->o->fix)
		return;
	struct fix f;
	memset(&f, 0, sizeof(f));
	f.code = code;
	f.table = (char *)table;
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	va_list ap;
	va_start(ap, fmt);
	ese_sbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	f.what = sb.data ? sb.data : (char *)"";
	fix_line(c, &f, 0, why);
	ese_sbuf_free(&sb);
}

/* ---- keys ------------------------------------------------------------ */

static const ese_index *ii_primary_index(const ese_table *t)
{
	for (size_t i = 0; i < t->nindexes; i++)
		if ((t->indexes[i].flags & ESE_IDX_PRIMARY) || t->indexes[i].pgno_fdp == t->pgno_fdp)
			return &t->indexes[i];
	return NULL;
}

static int ii_is_secondary(const ese_table *t, const ese_index *ix)
{
	return ix->objid != t->objid && ix->pgno_fdp != t->pgno_fdp && !(ix->flags & ESE_IDX_PRIMARY);
}

static const ese_column *ii_column_by_name(const ese_table *t, const char *name)
{
	for (size_t i = 0; i < t->ncolumns; i++)
		if (t->columns[i].name && !strcasecmp(t->columns[i].name, name))
			return &t->columns[i];
	return NULL;
}

/* Appends a normalised key as its columns' values ("FolderId=16,MessageId=21")
 * when every segment is a fixed-size integer, else as hex. */
static void ii_fmt_key(ese_sbuf *sb, const ese_table *t, const ese_index *ix, const uint8_t *k, size_t kl)
{
	if (!ix && t)
		ix = ii_primary_index(t);
	if (!ix) {
		if (kl == 4) {
			ese_sbuf_printf(sb, "DBK=%u", get_be32(k));
		} else {
			ese_sbuf_puts(sb, "key=");
			ese_sbuf_hex(sb, k, kl);
		}
		return;
	}
	ese_sbuf tmp;
	ese_sbuf_init(&tmp);
	size_t off = 0;
	int ok = ix->nsegs > 0;
	for (size_t s = 0; s < ix->nsegs && ok; s++) {
		const ese_column *col = ese_table_find_column(t, ix->segs[s].columnid);
		if (!col || off >= kl) {
			ok = 0;
			break;
		}
		uint8_t x = (ix->segs[s].flags & ESE_KEYSEG_DESCENDING) ? 0xFF : 0x00;
		uint8_t hdr = k[off] ^ x;
		ese_sbuf_printf(&tmp, "%s%s=", s ? "," : "", col->name);
		if (hdr == ESE_KEY_PREFIX_NULL || hdr == ESE_KEY_PREFIX_NULL_HIGH) {
			ese_sbuf_puts(&tmp, "NULL");
			off++;
			continue;
		}
		size_t n;
		int sgn;
		switch (col->coltyp) {
		case JET_coltypUnsignedByte: n = 1; sgn = 0; break;
		case JET_coltypShort: n = 2; sgn = 1; break;
		case JET_coltypUnsignedShort: n = 2; sgn = 0; break;
		case JET_coltypLong: n = 4; sgn = 1; break;
		case JET_coltypUnsignedLong: n = 4; sgn = 0; break;
		case JET_coltypLongLong: case JET_coltypCurrency: n = 8; sgn = 1; break;
		default: n = 0; sgn = 0; break;
		}
		if (!n || hdr != ESE_KEY_PREFIX_DATA || off + 1 + n > kl) {
			ok = 0;
			break;
		}
		uint64_t v = 0;
		for (size_t i = 0; i < n; i++)
			v = (v << 8) | (uint8_t)(k[off + 1 + i] ^ x);
		if (sgn) {
			v ^= 1ull << (8 * n - 1);
			int64_t sv = (int64_t)(v << (64 - 8 * n)) >> (64 - 8 * n);
			ese_sbuf_printf(&tmp, "%lld", (long long)sv);
		} else {
			ese_sbuf_printf(&tmp, "%llu", (unsigned long long)v);
		}
		off += 1 + n;
	}
	if (ok && off == kl && tmp.data) {
		ese_sbuf_puts(sb, tmp.data);
	} else {
		ese_sbuf_puts(sb, "key=");
		ese_sbuf_hex(sb, k, kl);
	}
	ese_sbuf_free(&tmp);
}

/* ---- reading --------------------------------------------------------- */

static int ii_reader_open(struct ictx *c)
{
	ese_status st;
	ese_status_init(&st);
	int err = ese_db_open(c->o->path, ESE_OPEN_RDONLY | ESE_OPEN_EXCLUSIVE, &c->db, &st);
	if (err)
		return ii_operror(c, err, &st);
	c->ps = ese_db_page_size(c->db);
	c->large = c->ps > 8192;
	if ((err = ese_catalog_load(c->db, 4, &c->cat, &st))) {
		ese_db_close(c->db);
		c->db = NULL;
		return ii_operror(c, JET_errCatalogCorrupted, &st);
	}
	ii_mail_bind(c);
	return 0;
}

static void ii_reader_close(struct ictx *c)
{
	if (c->db)
		c->corrected += ese_db_corrected_pages(c->db);
	ese_catalog_free(c->cat);
	c->cat = NULL;
	ese_db_close(c->db);
	c->db = NULL;
}

static int ii_operror(struct ictx *c, int err, const ese_status *st)
{
	if (!c->st.err) {
		c->st.err = err;
		c->st.pgno = st ? st->pgno : 0;
		snprintf(c->st.msg, sizeof(c->st.msg), "%s", st && st->msg[0] ? st->msg : ese_jet_desc(err));
	}
	return err;
}

static int ii_oom(struct ictx *c)
{
	ese_status st;
	ese_status_init(&st);
	ese_fail(&st, JET_errOutOfMemory, 0, "out of memory");
	return ii_operror(c, JET_errOutOfMemory, &st);
}

/* 1 once a tree was found unreadable in this pass (reported once: later
 * tests skip it quietly). */
static int ii_tree_bad(struct ictx *c, uint32_t objid)
{
	for (size_t i = 0; i < c->nbad; i++)
		if (c->bad[i] == objid)
			return 1;
	return 0;
}

static void mark_bad(struct ictx *c, uint32_t objid)
{
	if (!ii_tree_bad(c, objid) && c->nbad < sizeof(c->bad) / sizeof(c->bad[0]))
		c->bad[c->nbad++] = objid;
}

static void ii_tree_unreadable(struct ictx *c, const ese_table *t, const char *tree, uint32_t objid, const ese_status *st)
{
	if (ii_tree_bad(c, objid))
		return;
	mark_bad(c, objid);
	ese_where w = { st->pgno, objid, t ? t->name : NULL, tree, -1 };
	ii_finding(c, ESE_PR_TREE_UNREADABLE, &w, "%s", st->msg);
}

static int ii_walk(struct ictx *c, const ese_table *t, const char *tree, uint32_t root, uint32_t objid, ii_node_fn fn,
                   void *arg)
{
	if (ii_tree_bad(c, objid))
		return 1;
	struct walker w;
	ese_status st;
	ese_status_init(&st);
	int err = wk_open(&w, c->db, root, objid, 0, &st);
	if (err)
		return err == JET_errOutOfMemory ? ii_oom(c) : (ii_tree_unreadable(c, t, tree, objid, &st), 1);
	for (err = wk_step(&w, 1, &st); err == 0; err = wk_step(&w, 0, &st)) {
		size_t kl, dl;
		const uint8_t *k = ese_cursor_key(w.cur, &kl), *d = ese_cursor_data(w.cur, &dl);
		int r = fn(c, arg, k, kl, d, dl, ese_cursor_pgno(w.cur));
		if (r) {
			wk_close(&w);
			return r;
		}
	}
	wk_close(&w);
	if (err == JET_errRecordNotFound)
		return 0;
	if (err == JET_errOutOfMemory)
		return ii_oom(c);
	ii_tree_unreadable(c, t, tree, objid, &st);
	return 1;
}

/* The roots of a long-value tree only, each found by seeking past the
 * previous value (LID + 1), so the pages holding nothing but chunks are
 * never read: mail stores are mostly such pages.  Keys must ascend; a tree
 * with 8-byte LIDs, or anything unexpected, is walked whole instead. */
static int ii_walk_lv_roots(struct ictx *c, const ese_table *t, uint32_t root, uint32_t objid, ii_node_fn fn,
                            void *arg)
{
	if (ii_tree_bad(c, objid))
		return 1;
	ese_cursor *cur;
	ese_status st;
	ese_status_init(&st);
	int err = ese_cursor_open(c->db, root, objid, &cur, &st);
	if (err)
		return err == JET_errOutOfMemory ? ii_oom(c) : (ii_tree_unreadable(c, t, "long values", objid, &st), 1);
	uint64_t next = 0;
	for (;;) {
		uint8_t key[4];
		put_be32(key, (uint32_t)next);
		if ((err = ese_cursor_seek(cur, key, 4, &st)))
			break;
		size_t kl, dl;
		const uint8_t *k = ese_cursor_key(cur, &kl), *d = ese_cursor_data(cur, &dl);
		if (kl < 4 || (k[0] & 0x80) || get_be32(k) < next) {
			ese_cursor_close(cur);
			return ii_walk(c, t, "long values", root, objid, fn, arg);
		}
		uint32_t lid = get_be32(k);
		if (kl == 4) {
			int r = fn(c, arg, k, kl, d, dl, ese_cursor_pgno(cur));
			if (r) {
				ese_cursor_close(cur);
				return r;
			}
		}
		if (lid == 0xFFFFFFFFu) {
			err = JET_errRecordNotFound;
			break;
		}
		next = (uint64_t)lid + 1;
	}
	ese_cursor_close(cur);
	if (err == JET_errRecordNotFound)
		return 0;
	if (err == JET_errOutOfMemory)
		return ii_oom(c);
	ii_tree_unreadable(c, t, "long values", objid, &st);
	return 1;
}

static int ii_record_exists(struct ictx *c, const ese_table *t, const uint8_t *pk, size_t pklen)
{
	ese_cursor *cur;
	ese_status st;
	ese_status_init(&st);
	if (ese_cursor_open(c->db, t->pgno_fdp, t->objid, &cur, &st))
		return -1;
	int r = -1;
	int err = ese_cursor_seek(cur, pk, pklen, &st);
	if (err == JET_errRecordNotFound) {
		r = 0;
	} else if (!err) {
		size_t kl;
		const uint8_t *k = ese_cursor_key(cur, &kl);
		r = kl == pklen && !memcmp(k, pk, pklen);
	}
	ese_cursor_close(cur);
	return r;
}

static int ii_sorter_open(struct ictx *c, size_t nshare, ese_sorter **out)
{
	size_t mem = c->o->mem_limit ? c->o->mem_limit : (16u << 20);
	if (nshare > 1)
		mem /= nshare;
	ese_status st;
	ese_status_init(&st);
	int err = ese_sorter_open(mem, c->o->tmpdir, out, &st);
	return err ? ii_operror(c, err, &st) : 0;
}

/* ---- the repair queue ------------------------------------------------ */

static struct fix *ii_fix_new(struct ictx *c, enum fix_kind kind, ese_problem_code code, const char *table,
                       const char *fmt, ...)
{
	if (!c->o->fix)
		return NULL;
	if (c->nfix >= ESE_ISINTEG_FIX_BUDGET) {
		c->over_budget++;
		return NULL;
	}
	if (c->nfix == c->capfix) {
		size_t cap = c->capfix ? c->capfix * 2 : 64;
		struct fix *p = realloc(c->fixes, cap * sizeof(*p));
		if (!p) {
			ii_oom(c);
			return NULL;
		}
		c->fixes = p;
		c->capfix = cap;
	}
	struct fix *f = &c->fixes[c->nfix];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->code = code;
	f->findings = 1;
	f->table = strdup(table);
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	va_list ap;
	va_start(ap, fmt);
	ese_sbuf_vprintf(&sb, fmt, ap);
	va_end(ap);
	f->what = sb.data ? sb.data : strdup("");
	if (!f->table || !f->what || sb.oom) {
		free(f->table);
		free(f->what);
		ii_oom(c);
		return NULL;
	}
	c->nfix++;
	return f;
}

static int ii_fix_key(struct ictx *c, struct fix *f, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen)
{
	f->key = malloc(klen + 1);
	f->data = malloc(dlen + 1);
	if (!f->key || !f->data)
		return ii_oom(c);
	memcpy(f->key, key, klen);
	if (dlen)
		memcpy(f->data, data, dlen);
	f->klen = klen;
	f->dlen = dlen;
	return 0;
}

static int ii_fix_set(struct ictx *c, struct fix *f, const char *column, int64_t value, size_t size)
{
	if (f->ncols >= sizeof(f->cols) / sizeof(f->cols[0]))
		return ii_oom(c);
	struct fixcol *fc = &f->cols[f->ncols++];
	snprintf(fc->name, sizeof(fc->name), "%s", column);
	fc->len = size;
	for (size_t i = 0; i < size; i++)
		fc->val[i] = (uint8_t)((uint64_t)value >> (8 * i));
	return 0;
}

static int ii_fix_index(struct ictx *c, struct fix *f, const char *index)
{
	if (!(f->index = strdup(index)))
		return ii_oom(c);
	return 0;
}

static void fixes_free(struct ictx *c)
{
	for (size_t i = 0; i < c->nfix; i++) {
		free(c->fixes[i].table);
		free(c->fixes[i].index);
		free(c->fixes[i].key);
		free(c->fixes[i].data);
		free(c->fixes[i].what);
	}
	c->nfix = 0;
}

/* Order of application: index entries out first (a unique key may be
 * wanted by an entry put in later), then records, updates, entries in. */
static int fix_rank(enum fix_kind k)
{
	switch (k) {
	case FIX_DELETE_ENTRY: return 0;
	case FIX_DELETE_RECORD: return 1;
	case FIX_UPDATE: return 2;
	case FIX_LV_REFCOUNT: return 2;
	case FIX_DELETE_LV: return 2;
	case FIX_NULL_LV: return 2;
	case FIX_REPLACE_RECORD: return 2;
	case FIX_INSERT_ENTRY: return 3;
	default: return 4;
	}
}

static int write_error(int err)
{
	return err == JET_errDiskIO || err == JET_errDiskFull;
}

/* Starts the pass's journal (once) and records that this pass wrote. */
static int journal_begin(struct ictx *c, ese_status *st)
{
	if (c->j)
		return 0;
	return ese_journal_begin(c->o->path, c->ps, &c->j, st);
}

/* The header fix: objid_last raised, in both header copies, through the
 * journal, under the database's exclusive lock. */
static int apply_header(struct ictx *c, struct fix *f, ese_status *st)
{
	ese_db *db;
	int err = ese_db_open(c->o->path, ESE_OPEN_RDWR, &db, st);
	if (err)
		return err;
	uint8_t *page = malloc(c->ps);
	if (!page) {
		ese_db_close(db);
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	ssize_t n = pread(ese_db_fd(db), page, c->ps, 0);
	if (n != (ssize_t)c->ps || ese_dbheader_check(page, c->ps, st)) {
		err = ese_fail(st, JET_errDiskIO, 0, "%s: cannot read the header", c->o->path);
	} else if (!(err = journal_begin(c, st))) {
		put_le32(page + 212, f->objid_last);       /* objid_last, dbheader.c */
		put_le32(page, ese_checksum_header(page, c->ps));
		err = ese_journal_write_header(c->j, page, st);
	}
	free(page);
	ese_db_close(db);
	return err;
}

/* One repair through the session d. */
static int apply_one(ese_deleter *d, struct fix *f, ese_status *st)
{
	switch (f->kind) {
	case FIX_DELETE_RECORD:
		return ese_delete_record(d, f->table, f->key, f->klen, st);
	case FIX_DELETE_ENTRY:
		return ese_delete_index_entry(d, f->table, f->index, f->key, f->klen, f->data, f->dlen, st);
	case FIX_INSERT_ENTRY:
		return ese_insert_index_entry(d, f->table, f->index, f->key, f->klen, f->data, f->dlen, st);
	case FIX_UPDATE: {
		const ese_table *t = ese_catalog_find_table(ese_delete_catalog(d), f->table);
		if (!t)
			return ese_fail(st, JET_errObjectNotFound, 0, "no table %s", f->table);
		ese_value vals[4];
		memset(vals, 0, sizeof(vals));
		for (size_t i = 0; i < f->ncols; i++) {
			const ese_column *col = ii_column_by_name(t, f->cols[i].name);
			if (!col)
				return ese_fail(st, JET_errColumnNotFound, 0, "table %s has no column %s", f->table,
				                f->cols[i].name);
			vals[i].columnid = col->id;
			vals[i].data = f->cols[i].val;
			vals[i].len = f->cols[i].len;
		}
		ese_update_info info;
		return ese_update_record(d, f->table, f->key, f->klen, vals, f->ncols, ESE_UPDATE_LENIENT, &info, st);
	}
	case FIX_LV_REFCOUNT:
		return ese_update_lv_refcount(d, f->table, f->lid, f->refcount, st);
	case FIX_DELETE_LV:
		return ese_delete_lv(d, f->table, f->lid, st);
	case FIX_REPLACE_RECORD: {
		ese_update_info info;
		return ese_update_replace_record(d, f->table, f->key, f->klen, f->data, f->dlen, &info, st);
	}
	case FIX_NULL_LV: {
		ese_value v;
		memset(&v, 0, sizeof(v));
		v.columnid = f->columnid;
		v.is_null = 1;
		ese_update_info info;
		int err = ese_update_record(d, f->table, f->key, f->klen, &v, 1,
		                            ESE_UPDATE_LENIENT | ESE_UPDATE_NULL_MISSING_LV, &info, st);
		if (err)
			return err;
		/* chunks the missing root left behind go too (none: nothing to do) */
		ese_status lst;
		ese_status_init(&lst);
		err = ese_delete_lv(d, f->table, f->lid, &lst);
		if (err && err != JET_errRecordNotFound) {
			if (st)
				*st = lst;
			return err;
		}
		return 0;
	}
	default:
		return ese_fail(st, JET_errInvalidParameter, 0, "unknown repair");
	}
}

/* Applies the queue: closes the reader, runs every repair, reopens the
 * reader.  Returns 0, or an operational error (the pass must be rolled
 * back: a write failed or the session could not be opened). */
static int apply_fixes(struct ictx *c)
{
	if (!c->nfix)
		return 0;
	ii_reader_close(c);
	ese_status st;
	ese_status_init(&st);
	int err = 0;
	ese_deleter *d = NULL;
	int need_session = 0;
	for (size_t i = 0; i < c->nfix; i++)
		need_session |= c->fixes[i].kind != FIX_HEADER;
	if (need_session) {
		err = ese_delete_open(c->o->path, ESE_DELETE_LENIENT, &d, &st);
		if (err == JET_errInvalidParameter || err == JET_errFeatureNotAvailable) {
			/* a database the writer does not change (another format):
			 * every repair is left undone, the run goes on */
			for (size_t i = 0; i < c->nfix; i++)
				if (c->fixes[i].kind != FIX_HEADER)
					fix_line(c, &c->fixes[i], 0, st.msg);
			err = 0;
			need_session = 0;
		} else if (err || (err = journal_begin(c, &st))) {
			ese_delete_close(d, NULL);
			goto out;
		}
	}
	if (need_session) {
		ese_delete_attach_journal(d, c->j);
		for (int rank = 0; rank < 4 && !err; rank++) {
			for (size_t i = 0; i < c->nfix && !err; i++) {
				struct fix *f = &c->fixes[i];
				if (f->kind == FIX_HEADER || fix_rank(f->kind) != rank)
					continue;
				ese_status fst = { 0 };
				int e = apply_one(d, f, &fst);
				/* a record another repair of this batch removed already
				 * (a link dangling on both sides) is gone as asked */
				if (e == JET_errRecordNotFound && f->kind == FIX_DELETE_RECORD) {
					for (size_t k = 0; k < i; k++)
						if (c->fixes[k].kind == FIX_DELETE_RECORD && c->fixes[k].done &&
						    !strcmp(c->fixes[k].table, f->table) && c->fixes[k].klen == f->klen &&
						    !memcmp(c->fixes[k].key, f->key, f->klen))
							e = 0;
				}
				if (!e) {
					f->done = 1;
					c->pass_fixed += f->findings;
					c->wrote = 1;
					fix_line(c, f, 1, NULL);
				} else if (write_error(e)) {
					err = e;
					st = fst;
				} else {
					fix_line(c, f, 0, fst.msg[0] ? fst.msg : ese_jet_name(e));
				}
			}
		}
		int ec = ese_delete_close(d, err ? NULL : &st);
		if (!err)
			err = ec;
		if (err)
			goto out;
	}
	for (size_t i = 0; i < c->nfix && !err; i++) {
		struct fix *f = &c->fixes[i];
		if (f->kind != FIX_HEADER)
			continue;
		ese_status fst = { 0 };
		int e = apply_header(c, f, &fst);
		if (!e) {
			f->done = 1;
			c->pass_fixed += f->findings;
			c->wrote = 1;
			fix_line(c, f, 1, NULL);
		} else if (write_error(e)) {
			err = e;
			st = fst;
		} else {
			fix_line(c, f, 0, fst.msg[0] ? fst.msg : ese_jet_name(e));
		}
	}
	if (!err && c->wrote && !c->marked_repaired) {
		/* the header's repair count and time, once a run (as ESE's repair) */
		if (!(err = ese_update_mark_repaired(c->o->path, c->j, NULL, &st)))
			c->marked_repaired = 1;
	}
out:
	fixes_free(c);
	if (err)
		return ii_operror(c, err, &st);
	return ii_reader_open(c);
}

/* ---- the run ---------------------------------------------------------- */

static void fmt_hms(char *buf, size_t n, double s)
{
	unsigned long t = s < 0 ? 0 : (unsigned long)(s + 0.5);
	snprintf(buf, n, "%luh:%lum:%lus", t / 3600, t / 60 % 60, t % 60);
}

static FILE *open_log(const ese_isinteg_opts *o, ese_isinteg_result *res)
{
	if (o->log_path) {
		snprintf(res->log_path, sizeof(res->log_path), "%s", o->log_path);
	} else {
		const char *slash = strrchr(o->path, '/');
		if (slash)
			snprintf(res->log_path, sizeof(res->log_path), "%.*s/isinteg.pri.txt", (int)(slash - o->path),
			         o->path);
		else
			snprintf(res->log_path, sizeof(res->log_path), "isinteg.pri.txt");
	}
	return fopen(res->log_path, "w");
}

/* The run lock: an open-file-description lock, independent of the flock
 * the library's sessions take and release as the run goes, held for the
 * whole run, so that a second run cannot slip in between two sessions. */
static int run_lock(struct ictx *c, ese_status *st)
{
	c->lockfd = open(c->o->path, (c->o->fix ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (c->lockfd < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return ese_fail(st, JET_errFileNotFound, 0, "%s: no such file", c->o->path);
		if (c->o->fix && (errno == EACCES || errno == EROFS || errno == EPERM))
			return ese_fail(st, JET_errDatabaseFileReadOnly, 0, "%s: the file is read-only: -fix cannot change it",
			                c->o->path);
		return ese_fail(st, JET_errFileAccessDenied, 0, "%s: cannot open: %s", c->o->path, strerror(errno));
	}
	struct flock fl = { 0 };
	fl.l_type = c->o->fix ? F_WRLCK : F_RDLCK;
	fl.l_whence = SEEK_SET;
	if (fcntl(c->lockfd, F_OFD_SETLK, &fl) != 0)
		return ese_fail(st, JET_errFileAccessDenied, 0, "%s: database is in use by another isinteg run (locked)",
		                c->o->path);
	return 0;
}

static void options_line(const ese_isinteg_opts *o, uint32_t mask, ese_sbuf *sb)
{
	if (o->options_text) {
		ese_sbuf_puts(sb, o->options_text);
		return;
	}
	if (mask == ESE_ISINTEG_ALL) {
		ese_sbuf_puts(sb, "alltests");
	} else {
		int first = 1;
		for (unsigned i = 0; i < ESE_IT_COUNT; i++)
			if (mask & (1u << i)) {
				ese_sbuf_printf(sb, "%s%s", first ? "" : ",", tests[i].name);
				first = 0;
			}
	}
	if (o->fix)
		ese_sbuf_printf(sb, " -fix -passes %u", o->max_passes ? o->max_passes : ESE_ISINTEG_DEFAULT_PASSES);
	if (o->dump)
		ese_sbuf_puts(sb, " -dump");
}

/* Error findings of kinds isinteg repairs (fixed_by ISINTEG). */
static uint64_t fixable_errors(const ese_reporter *r)
{
	uint64_t n = 0;
	for (int i = 0; i < ESE_PR_COUNT; i++) {
		const ese_problem_info *pi = ese_problem_info_get((ese_problem_code)i);
		if (pi->severity != ESE_SEV_WARNING && pi->fixed_by == ESE_FIX_ISINTEG)
			n += r->count[i];
	}
	return n;
}

/* One line per tool that the errors left need. */
static void advise(struct ictx *c)
{
	static const ese_fixer fixers[] = { ESE_FIX_REPAIR, ESE_FIX_DEFRAG, ESE_FIX_ISINTEG, ESE_FIX_NONE };
	for (size_t f = 0; f < sizeof(fixers) / sizeof(fixers[0]); f++) {
		ese_sbuf sb;
		ese_sbuf_init(&sb);
		for (int i = 0; i < ESE_PR_COUNT; i++) {
			const ese_problem_info *pi = ese_problem_info_get((ese_problem_code)i);
			if (c->rep.count[i] && pi->severity != ESE_SEV_WARNING && pi->fixed_by == fixers[f])
				ese_sbuf_printf(&sb, " %s", pi->code);
		}
		if (sb.data)
			both(c, "  left:%s -> %s", sb.data,
			     fixers[f] == ESE_FIX_REPAIR ? "run eseutil /g, then eseutil /p"
			     : fixers[f] == ESE_FIX_DEFRAG ? "eseutil /d"
			     : fixers[f] == ESE_FIX_ISINTEG ? "isinteg could not apply its repair: see the Fix: lines"
			                                    : "no tool repairs them: restore a backup or correct the rows by hand");
		ese_sbuf_free(&sb);
	}
}

/* Runs one pass.  Returns 0 or an operational error. */
static int run_pass(struct ictx *c, uint32_t mask, unsigned pass)
{
	unsigned total = 0, k = 0;
	for (unsigned i = 0; i < ESE_IT_COUNT; i++)
		total += (mask >> i) & 1;
	ese_reporter_init(&c->rep, NULL, NULL, c->o->cap);
	c->pass_fixed = 0;
	c->wrote = 0;
	c->nbad = 0;
	c->over_budget = 0;
	ii_log(c, "%s", "");
	ii_log(c, "Pass %u", pass);
	int err = 0;
	for (unsigned i = 0; i < ESE_IT_COUNT && !err; i++) {
		if (!(mask & (1u << i)))
			continue;
		k++;
		double t0 = ese_now();
		ii_log(c, "Starting test %u of %u, '%s'", k, total, tests[i].name);
		if (tests[i].mail && !c->mail.ok) {
			ii_log(c, "Skipped: the database has no mail-store schema (%s)", c->mail.why);
		} else {
			uint64_t before = c->rep.total;
			err = tests[i].run(c);
			if (!err && c->over_budget) {
				both(c, "Note: %llu repairs of '%s' were over this pass's budget of %u; the next pass does them",
				     (unsigned long long)c->over_budget, tests[i].name, ESE_ISINTEG_FIX_BUDGET);
				c->over_budget = 0;
			}
			if (!err)
				err = apply_fixes(c);
			else
				fixes_free(c);
			if (c->rep.total == before)
				ii_log(c, "No problems found.");
		}
		char hms[32];
		fmt_hms(hms, sizeof(hms), ese_now() - t0);
		ii_log(c, "Finished %s. Time: %s", tests[i].name, hms);
	}
	uint64_t corrected = c->corrected + (c->db ? ese_db_corrected_pages(c->db) : 0);
	if (!err && corrected > c->corrected_seen) {
		ese_where w = { 0, 0, NULL, NULL, -1 };
		ii_finding(c, ESE_PR_PAGE_CORRECTABLE, &w,
		           "%llu page reads corrected a single-bit error in memory; the file keeps it (run eseutil /g, then /p)",
		           (unsigned long long)(corrected - c->corrected_seen));
	}
	c->corrected_seen = corrected;
	return err;
}

int ese_isinteg_run(const ese_isinteg_opts *o, ese_isinteg_result *res, ese_status *st)
{
	memset(res, 0, sizeof(*res));
	res->exit_code = ESE_EXIT_OPERROR;
	struct ictx *c = calloc(1, sizeof(*c));
	if (!c)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	c->o = o;
	c->lockfd = -1;
	uint32_t mask = o->tests ? o->tests : ESE_ISINTEG_ALL;
	unsigned maxp = o->fix ? (o->max_passes ? o->max_passes : ESE_ISINTEG_DEFAULT_PASSES) : 1;
	if (maxp > ESE_ISINTEG_MAX_PASSES)
		maxp = ESE_ISINTEG_MAX_PASSES;
	int err = 0;
	ese_status lst = { 0 };
	struct stat sb;

	/* 1. refusals, before anything is written */
	if (stat(o->path, &sb) != 0) {
		err = ese_fail(&lst, JET_errFileNotFound, 0, "%s: no such file", o->path);
		goto fail;
	}
	if (S_ISDIR(sb.st_mode)) {
		err = ese_fail(&lst, JET_errInvalidPath, 0, "%s: is a directory, not a database file", o->path);
		goto fail;
	}
	if (o->fix && (!(sb.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) || access(o->path, W_OK) != 0)) {
		err = ese_fail(&lst, JET_errDatabaseFileReadOnly, 0, "%s: the file is read-only: -fix changes nothing",
		               o->path);
		goto fail;
	}
	if ((err = run_lock(c, &lst)))
		goto fail;
	/* an interrupted pass (a journal beside the database) is rolled back
	 * first: only then is the file what a finished pass left */
	ese_journal_recovery rec;
	memset(&rec, 0, sizeof(rec));
	if (ese_journal_exists(o->path) || o->fix) {
		if ((err = ese_journal_recover(o->path, &rec, &lst)))
			goto fail;
		res->recovered = rec.found && !rec.discarded;
	}
	char recovered[400] = "";
	if (res->recovered) {
		snprintf(recovered, sizeof(recovered),
		         "Recovery: an interrupted pass was rolled back first (%llu page%s restored from %.200s%s%s)",
		         (unsigned long long)rec.pages_restored, plural(rec.pages_restored), o->path, ESE_JOURNAL_SUFFIX,
		         rec.truncated ? "; the file, grown by the pass, cut back to its size" : "");
		if (o->out && !o->json)
			fprintf(o->out, "%s\n", recovered);
		if (o->json)
			fprintf(o->json, "{\"recovered\":true,\"pages_restored\":%llu}\n", (unsigned long long)rec.pages_restored);
	}
	if ((err = ii_reader_open(c))) {
		lst = c->st;
		if (err == JET_errCatalogCorrupted) {
			char m[sizeof(lst.msg)];
			snprintf(m, sizeof(m), "%s", lst.msg);
			snprintf(lst.msg, sizeof(lst.msg), "%.120s: the catalog cannot be read (%.120s): run eseutil /g, then eseutil /p",
			         o->path, m);
		}
		goto fail;
	}
	const ese_dbheader *h = ese_db_header(c->db);
	if (h->state != ESE_DBSTATE_CLEAN) {
		err = ese_fail(&lst, JET_errDatabaseDirtyShutdown, 0,
		               "%s: the database is in state %u (%s), not Clean Shutdown: run eseutil /r (recovery) or /p first",
		               o->path, h->state, ese_dbstate_name(h->state));
		goto fail;
	}
	uint64_t fsize = ese_db_file_size(c->db);

	/* 2. the report file */
	if (!(c->log = open_log(o, res))) {
		err = ese_fail(&lst, JET_errFileAccessDenied, 0, "%s: cannot write the report file: %s", res->log_path,
		               strerror(errno));
		goto fail;
	}
	{
		time_t now = time(NULL);
		struct tm tmv;
		char when[64];
		localtime_r(&now, &tmv);
		strftime(when, sizeof(when), "%a %b %d %H:%M:%S %Y", &tmv);
		ese_sbuf opt;
		ese_sbuf_init(&opt);
		options_line(o, mask, &opt);
		ii_log(c, "Started: %s", when);
		ii_log(c, "Store path: %s", o->path);
		ii_log(c, "Store size: %llu bytes", (unsigned long long)fsize);
		ii_log(c, "Output log: %s", res->log_path);
		ii_log(c, "Check mode: %s", o->fix ? "check and fix" : "check only");
		ii_log(c, "Options: %s", opt.data ? opt.data : "");
		ese_sbuf_free(&opt);
	}
	if (res->recovered)
		ii_log(c, "%s", recovered);
	res->mail_store = c->mail.ok;
	ii_log(c, "Mail store: %s", c->mail.ok ? "yes (Mailbox, Folder, Message, MessageFolder, Attachment, AttachmentMessage)"
	                                       : c->mail.why);

	/* 3. passes */
	uint64_t prev_errors = 0;
	for (unsigned pass = 1; pass <= maxp; pass++) {
		err = run_pass(c, mask, pass);
		if (err) {
			lst = c->st;
			if (c->j) {
				ese_journal_recovery rb;
				ii_reader_close(c);
				ese_status rst = { 0 };
				if (ese_journal_rollback(c->j, &rb, &rst) == 0) {
					res->rolled_back = 1;
					both(c, "Rollback: pass %u failed (%s); its changes were undone (%llu pages restored)", pass,
					     lst.msg, (unsigned long long)rb.pages_restored);
				} else {
					both(c, "Rollback: pass %u failed (%s) and could not be undone (%s): the next run rolls it back",
					     pass, lst.msg, rst.msg);
				}
				c->j = NULL;
			}
			goto fail;
		}
		if (c->j) {
			ese_status cst = { 0 };
			int e = ese_journal_commit(c->j, &cst);
			c->j = NULL;
			if (e) {
				err = e;
				lst = cst;
				goto fail;
			}
		}
		ese_isinteg_pass *p = &res->pass[pass - 1];
		p->errors = c->rep.errors + c->rep.fatals;
		p->warnings = c->rep.warnings;
		p->fixed = c->pass_fixed;
		p->unfixed = p->errors > p->fixed ? p->errors - p->fixed : 0;
		res->passes = pass;
		res->fixed += p->fixed;
		both(c, "pass %u: %llu errors, %llu fixed, %llu warnings", pass, (unsigned long long)p->errors,
		     (unsigned long long)p->fixed, (unsigned long long)p->warnings);
		if (c->o->json)
			fprintf(c->o->json, "{\"pass\":%u,\"errors\":%llu,\"fixed\":%llu,\"warnings\":%llu}\n", pass,
			        (unsigned long long)p->errors, (unsigned long long)p->fixed, (unsigned long long)p->warnings);
		if (c->rep.total && c->log) {
			ese_sbuf sum;
			ese_sbuf_init(&sum);
			ese_reporter_summary(&c->rep, &sum);
			fprintf(c->log, "Findings of pass %u by code:\n%s", pass, sum.data ? sum.data : "");
			ese_sbuf_free(&sum);
		}
		res->clean = p->errors == 0;
		res->verified = !c->wrote;
		if (!o->fix || p->errors == 0 || !c->wrote)
			break;
		if (pass > 1 && p->errors >= prev_errors) {
			both(c, "Stopping: the error count did not fall (%llu after %llu)", (unsigned long long)p->errors,
			     (unsigned long long)prev_errors);
			break;
		}
		prev_errors = p->errors;
	}

	/* 4. verdict */
	{
		const ese_isinteg_pass *last = &res->pass[res->passes - 1];
		if (res->clean) {
			res->exit_code = res->fixed ? ESE_EXIT_FIXED : ESE_EXIT_OK;
			if (res->fixed)
				both(c, "isinteg: %llu problem%s fixed in %u passes; the database is now consistent",
				     (unsigned long long)res->fixed, plural(res->fixed), res->passes);
			else if (last->warnings)
				both(c, "isinteg: no errors found (%llu warning%s: see %s)", (unsigned long long)last->warnings,
				     plural(last->warnings), res->log_path);
			else
				both(c, "isinteg: no problems found");
		} else if (!o->fix) {
			res->exit_code = ESE_EXIT_UNFIXED;
			both(c, "isinteg: %llu error%s found, %llu of kinds isinteg -fix repairs (see %s)",
			     (unsigned long long)last->errors, plural(last->errors), (unsigned long long)fixable_errors(&c->rep),
			     res->log_path);
		} else if (!res->verified) {
			/* the last pass changed the file: its count is from before */
			res->exit_code = ESE_EXIT_UNFIXED | (res->fixed ? ESE_EXIT_FIXED : 0);
			both(c, "isinteg: stopped after pass %u (%s) with %llu problem%s fixed in all; run isinteg again to see what is left",
			     res->passes, res->passes == maxp ? "the pass limit" : "the error count did not fall",
			     (unsigned long long)res->fixed, plural(res->fixed));
		} else {
			res->exit_code = ESE_EXIT_UNFIXED | (res->fixed ? ESE_EXIT_FIXED : 0);
			both(c, "isinteg: %llu error%s remain%s that isinteg could not fix (%llu fixed); see %s",
			     (unsigned long long)last->errors, plural(last->errors), last->errors == 1 ? "s" : "",
			     (unsigned long long)res->fixed, res->log_path);
			advise(c);
		}
		if (c->o->json)
			fprintf(c->o->json, "{\"verdict\":\"%s\",\"passes\":%u,\"fixed\":%llu,\"errors\":%llu,\"exit\":%d}\n",
			        res->clean ? (res->fixed ? "fixed" : "clean") : "errors", res->passes,
			        (unsigned long long)res->fixed, (unsigned long long)last->errors, res->exit_code);
	}
	ii_reader_close(c);
	if (c->log)
		fclose(c->log);
	if (c->lockfd >= 0)
		close(c->lockfd);
	free(c->fixes);
	free(c);
	return 0;

fail:
	if (c->log) {
		ii_log(c, "Error: %s", lst.msg);
		fclose(c->log);
	}
	ii_reader_close(c);
	fixes_free(c);
	free(c->fixes);
	if (c->lockfd >= 0)
		close(c->lockfd);
	free(c);
	res->exit_code = ESE_EXIT_OPERROR;
	if (st)
		*st = lst;
	return err ? err : JET_errInvalidParameter;
}
