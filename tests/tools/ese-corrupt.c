/*
 * ese-corrupt - damage a copy of a database in one precise, named way, for
 * tests.  Never installed; never touches its source.
 *
 *   ese-corrupt KIND SRC DST [ARGS]     copy SRC to DST, then damage DST
 *   ese-corrupt --kinds                 list the kinds, one a line
 *   ese-corrupt --help
 *
 * The tool prints ONE line saying what it did, in a form a test can parse:
 *
 *   KIND: page P <kind-specific fields> (objid O, table T[, index I | , long values])
 *
 * P is the database page (1 = first page after the two header pages) a
 * checker should name; the parenthesis names the object that page belongs
 * to ("table -" for the database root or an object the catalog does not
 * know).  tests/tools/README.md lists every kind, its fields and the
 * samples it applies to.
 *
 * Contract (what tests rely on):
 *  1. Deterministic: the same input bytes and arguments give the same output
 *     bytes and line.  Without arguments every kind picks its own target in
 *     a fixed order: user tables (catalog order: data tree, secondary
 *     indexes, long-value tree), then system tables with MSysObjects last
 *     (damaging the catalog hides everything behind it), then the database
 *     root.
 *  2. Only the bytes the line names change.  Kinds about checksums (bitflip,
 *     bitflip-data, zero, torn, wrong-pgno, misplace, truncate-*,
 *     header-byte) leave the checksum wrong; every other kind recomputes
 *     the checksum of each page it edits, so only logical checks can see it.
 *  3. Exit 0 done, 2 usage or I/O error, 3 the kind does not apply to this
 *     database (nothing to damage of that kind); on 2 or 3 DST is removed.
 *
 * The core is ese_corrupt_apply (tests/tools/ese_corrupt.h), which damages
 * a file in place; unit tests compile this file with -DESE_CORRUPT_NO_MAIN
 * and call it.  Targets are found through the library (catalog, page
 * codec, space trees, records); the edits themselves are small helpers
 * below that work on raw page bytes.
 */
#include "ese_corrupt.h"
#include "ese_catalog.h"
#include "ese_checksum.h"
#include "ese_cursor.h"
#include "ese_db.h"
#include "ese_page.h"
#include "ese_record.h"
#include "ese_space.h"
#include "bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DONE      ESE_CORRUPT_DONE
#define ERR       ESE_CORRUPT_ERROR
#define NOT_APPLY ESE_CORRUPT_NOT_APPLY

#define OBJ_SYSTEM   0x80000000u  /* JET_bitObjectSystem in a table's flags */
#define OBJID_MSO    2u           /* MSysObjects */
#define PGNO_MSO     4u
#define PGNO_SHADOW  24u
#define OBJID_SHADOW 3u

/* Catalog record fixed columns (ESE-FORMAT-NOTES 4.2; offsets in the record). */
#define CAT_OFF_OBJIDTABLE 4
#define CAT_OFF_TYPE       8
#define CAT_OFF_ID         10
#define CAT_OFF_PGNOFDP    14
#define CAT_OFF_SPACEUSAGE 18

/* One B-tree of the database, in the order targets are searched. */
struct tree {
	uint32_t root, objid;
	const ese_table *t;        /* owning table; NULL for the database root */
	const ese_index *ix;       /* secondary index tree, else NULL */
	int lv;                    /* the table's long-value tree */
};

struct cx {
	const char *kind, *path;
	int fd;                    /* read-write, for the edits */
	ese_db *db;                /* read-only, no checksum verification: finding targets */
	uint32_t ps, npages;
	uint64_t fsize;
	ese_catalog *cat;          /* loaded on first use */
	struct tree *trees;
	size_t ntrees;
	uint8_t *buf, *buf2;       /* two page buffers for the edits */
	char *what;
	size_t whatlen;
	int cat_tried;             /* need_trees ran (it does not retry) */
	char cat_msg[320];         /* why the catalog could not be read */
	int ndesc;                 /* owner_desc's buffers, used in turn so that */
	char desc[4][400];         /* one printf can hold four descriptions */
};

/* ---- results ------------------------------------------------------------ */

static int say(struct cx *cx, int rc, const char *fmt, va_list ap)
{
	if (cx->what && cx->whatlen)
		vsnprintf(cx->what, cx->whatlen, fmt, ap);
	return rc;
}

__attribute__((format(printf, 2, 3))) static int done(struct cx *cx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = say(cx, DONE, fmt, ap);
	va_end(ap);
	return rc;
}

__attribute__((format(printf, 2, 3))) static int fail(struct cx *cx, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int rc = say(cx, ERR, fmt, ap);
	va_end(ap);
	return rc;
}

__attribute__((format(printf, 2, 3))) static int not_apply(struct cx *cx, const char *fmt, ...)
{
	char tmp[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (cx->what && cx->whatlen)
		snprintf(cx->what, cx->whatlen, "%s does not apply to this database: %s", cx->kind, tmp);
	return NOT_APPLY;
}

static int arg_u32(struct cx *cx, const char *s, uint32_t *v)
{
	char *end;
	errno = 0;
	unsigned long long x = strtoull(s, &end, 0);
	if (*s == '\0' || *s == '-' || *end || errno || x > 0xFFFFFFFFull)
		return fail(cx, "'%s' is not a number", s);
	*v = (uint32_t)x;
	return 0;
}

static int arg_pgno(struct cx *cx, const char *s, uint32_t *pgno)
{
	int rc = arg_u32(cx, s, pgno);
	if (!rc && (*pgno < 1 || *pgno > cx->npages))
		return fail(cx, "page %s is outside the database (pages 1-%u)", s, cx->npages);
	return rc;
}

/* ---- raw page I/O --------------------------------------------------------- */

static off_t page_off(const struct cx *cx, uint32_t pgno) { return (off_t)((uint64_t)pgno + 1) * cx->ps; }

static int rd(struct cx *cx, uint32_t pgno, uint8_t *buf)
{
	if (pread(cx->fd, buf, cx->ps, page_off(cx, pgno)) != (ssize_t)cx->ps)
		return fail(cx, "cannot read page %u of %s", pgno, cx->path);
	return 0;
}

/* Writes buf at pgno; fix != 0 first recomputes its checksum for pgno. */
static int wr(struct cx *cx, uint32_t pgno, uint8_t *buf, int fix)
{
	if (fix)
		ese_checksum_set_page(buf, cx->ps, pgno);
	if (pwrite(cx->fd, buf, cx->ps, page_off(cx, pgno)) != (ssize_t)cx->ps)
		return fail(cx, "cannot write page %u of %s: %s", pgno, cx->path, strerror(errno));
	return 0;
}

/* Reads pgno into buf and decodes its header. */
static int rd_parse(struct cx *cx, uint32_t pgno, uint8_t *buf, ese_page *pg)
{
	ese_status st = { 0 };
	int rc = rd(cx, pgno, buf);
	if (rc)
		return rc;
	if (ese_page_parse(pg, buf, cx->ps, pgno, &st))
		return fail(cx, "%s", st.msg);
	return 0;
}

/* ---- the catalog and the trees ----------------------------------------------- */

static int add_tree(struct cx *cx, uint32_t root, uint32_t objid, const ese_table *t, const ese_index *ix, int lv)
{
	if (!root || root > cx->npages)
		return 0;
	struct tree *p = realloc(cx->trees, (cx->ntrees + 1) * sizeof(*p));
	if (!p)
		return fail(cx, "out of memory");
	cx->trees = p;
	p[cx->ntrees++] = (struct tree){ root, objid, t, ix, lv };
	return 0;
}

static int add_table_trees(struct cx *cx, const ese_table *t, int data_last)
{
	int rc = 0;
	if (!data_last)
		rc = add_tree(cx, t->pgno_fdp, t->objid, t, NULL, 0);
	for (size_t j = 0; !rc && j < t->nindexes; j++) {
		const ese_index *ix = &t->indexes[j];
		if (ix->objid != t->objid && ix->pgno_fdp != t->pgno_fdp)
			rc = add_tree(cx, ix->pgno_fdp, ix->objid, t, ix, 0);
	}
	if (!rc && t->lv_pgno_fdp)
		rc = add_tree(cx, t->lv_pgno_fdp, t->lv_objid, t, NULL, 1);
	if (!rc && data_last)
		rc = add_tree(cx, t->pgno_fdp, t->objid, t, NULL, 0);
	return rc;
}

/* Loads the catalog (MSysObjects, else its shadow) and lists the trees in
 * search order (contract 1 above). */
static int need_trees(struct cx *cx)
{
	if (cx->cat)
		return 0;
	if (cx->cat_tried)
		return fail(cx, "cannot read the catalog: %s", cx->cat_msg);
	cx->cat_tried = 1;
	ese_status st = { 0 }, st2 = { 0 };
	if (ese_catalog_load(cx->db, PGNO_MSO, &cx->cat, &st)) {
		if (ese_catalog_load(cx->db, PGNO_SHADOW, &cx->cat, &st2)) {
			cx->cat = NULL;
			snprintf(cx->cat_msg, sizeof(cx->cat_msg), "%s", st.msg);
			return fail(cx, "cannot read the catalog: %s", cx->cat_msg);
		}
	}
	int rc = 0;
	const ese_catalog *c = cx->cat;
	for (size_t i = 0; !rc && i < c->ntables; i++)
		if (!(c->tables[i].flags & OBJ_SYSTEM))
			rc = add_table_trees(cx, &c->tables[i], 0);
	for (size_t i = 0; !rc && i < c->ntables; i++)
		if ((c->tables[i].flags & OBJ_SYSTEM) && c->tables[i].objid != OBJID_MSO)
			rc = add_table_trees(cx, &c->tables[i], 0);
	for (size_t i = 0; !rc && i < c->ntables; i++)
		if ((c->tables[i].flags & OBJ_SYSTEM) && c->tables[i].objid == OBJID_MSO)
			rc = add_table_trees(cx, &c->tables[i], 1);
	if (!rc)
		rc = add_tree(cx, 1, 1, NULL, NULL, 0);
	return rc;
}

static const struct tree *tree_by_objid(const struct cx *cx, uint32_t objid)
{
	for (size_t i = 0; i < cx->ntrees; i++)
		if (cx->trees[i].objid == objid)
			return &cx->trees[i];
	return NULL;
}

/* "objid O, table T[, index I | , long values]" for the owner of objid
 * ("table -" when the catalog cannot be read or does not name it). */
static const char *owner_desc(struct cx *cx, uint32_t objid)
{
	char *d = cx->desc[cx->ndesc++ % 4];
	size_t n = sizeof(cx->desc[0]);
	const struct tree *tr = need_trees(cx) ? NULL : tree_by_objid(cx, objid);
	if (!tr || !tr->t)
		snprintf(d, n, "objid %u, table -", objid);
	else if (tr->ix)
		snprintf(d, n, "objid %u, table %s, index %s", objid, tr->t->name, tr->ix->name);
	else
		snprintf(d, n, "objid %u, table %s%s", objid, tr->t->name, tr->lv ? ", long values" : "");
	return d;
}

/* The owner of page pgno as its header states it. */
static const char *page_desc(struct cx *cx, uint32_t pgno)
{
	ese_page pg;
	const uint8_t *b;
	if (ese_db_get_page(cx->db, pgno, &b, NULL) || ese_page_parse(&pg, b, cx->ps, pgno, NULL))
		return owner_desc(cx, 0);
	return owner_desc(cx, pg.objid);
}

static const char *pages(uint32_t n) { return n == 1 ? "page" : "pages"; }

/* "a page of objid N" as the page's header says, or "an uninitialized
 * page" for one never written (or that cannot be decoded). */
static const char *page_objid(struct cx *cx, uint32_t pgno)
{
	char *d = cx->desc[cx->ndesc++ % 4];
	ese_page pg;
	const uint8_t *b;
	if (ese_db_get_page(cx->db, pgno, &b, NULL) || ese_page_parse(&pg, b, cx->ps, pgno, NULL) ||
	    ese_checksum_verify_page(b, cx->ps, pgno, NULL) == ESE_PAGE_UNINIT)
		snprintf(d, sizeof(cx->desc[0]), "an uninitialized page");
	else
		snprintf(d, sizeof(cx->desc[0]), "a page of objid %u", pg.objid);
	return d;
}

/* ---- walking a tree ------------------------------------------------------- */

struct walk;
/* Called for every page of a tree, parents before children, children in key
 * order; the page is valid during the call only.  Returns 0 to go on, 1 to
 * stop the walk (found), or an error code. */
typedef int (*visit_fn)(struct walk *w, uint32_t pgno, const ese_page *pg);

struct walk {
	struct cx *cx;
	const struct tree *tr;
	visit_fn fn;
	void *arg;
	uint64_t visits;
};

/* Pages that cannot be read or decoded are skipped with their subtrees;
 * depth and visit limits keep a damaged tree from looping. */
static int walk_page(struct walk *w, uint32_t pgno, int depth)
{
	struct cx *cx = w->cx;
	if (depth >= ESE_CURSOR_MAX_DEPTH || ++w->visits > (uint64_t)cx->npages + 8)
		return 0;
	uint8_t *buf = malloc(cx->ps);
	if (!buf)
		return fail(cx, "out of memory");
	ese_page pg;
	int rc = 0;
	if (ese_db_read_page(cx->db, pgno, buf, NULL) || ese_page_parse(&pg, buf, cx->ps, pgno, NULL))
		goto out;
	rc = w->fn(w, pgno, &pg);
	for (unsigned i = 1; !rc && !(pg.flags & ESE_PF_LEAF) && i < pg.ntags; i++) {
		ese_node n;
		if (ese_page_node(&pg, pgno, i, &n, NULL) || n.data_len < 4)
			continue;
		uint32_t child = get_le32(n.data);
		if (child >= 1 && child <= cx->npages)
			rc = walk_page(w, child, depth + 1);
	}
out:
	free(buf);
	return rc;
}

static int walk_tree(struct cx *cx, const struct tree *tr, uint32_t root, visit_fn fn, void *arg)
{
	struct walk w = { cx, tr, fn, arg, 0 };
	return walk_page(&w, root, 0);
}

/* Finding the first leaf (with at least min nodes) or internal page. */
struct find {
	int internal;
	unsigned min_nodes;
	uint32_t skip_objid;      /* 0, or an objid whose trees do not count */
	uint32_t pgno;
	const struct tree *tr;
};

static int find_visit(struct walk *w, uint32_t pgno, const ese_page *pg)
{
	struct find *f = w->arg;
	int leaf = (pg->flags & ESE_PF_LEAF) != 0;
	if (f->internal ? leaf : (!leaf || pg->ntags < 1u + f->min_nodes))
		return 0;
	f->pgno = pgno;
	f->tr = w->tr;
	return 1;
}

/* 0 and f->pgno/f->tr set when found, NOT_APPLY when no tree has one. */
static int find_page(struct cx *cx, struct find *f, size_t first_tree)
{
	int rc = need_trees(cx);
	if (rc)
		return rc;
	for (size_t k = 0; k < cx->ntrees; k++) {
		const struct tree *tr = &cx->trees[(first_tree + k) % cx->ntrees];
		if (f->skip_objid && tr->objid == f->skip_objid)
			continue;
		rc = walk_tree(cx, tr, tr->root, find_visit, f);
		if (rc == 1)
			return 0;
		if (rc)
			return rc;
	}
	return NOT_APPLY;
}

/* The page a kind damages: argv[0] if given, else the first leaf page with
 * at least one node (user tables first). */
static int target_leaf(struct cx *cx, int argc, char **argv, uint32_t *pgno)
{
	if (argc >= 1)
		return arg_pgno(cx, argv[0], pgno);
	struct find f = { 0, 1, 0, 0, NULL };
	int rc = find_page(cx, &f, 0);
	if (rc == NOT_APPLY)
		return not_apply(cx, "no tree has a leaf page with a node");
	*pgno = f.pgno;
	return rc;
}

/* ---- page edits (raw bytes; the codec locates them) ---------------------------- */

/* Offset in the page of node i's data, and its length. */
static int node_data(struct cx *cx, const ese_page *pg, uint32_t pgno, unsigned i, size_t *off, size_t *len)
{
	ese_node n;
	ese_status st = { 0 };
	if (ese_page_node(pg, pgno, i, &n, &st))
		return fail(cx, "%s", st.msg);
	*off = (size_t)(n.data - pg->buf);
	*len = n.data_len;
	return 0;
}

/* Removes tag k from the tag array: tags above it move down one slot,
 * itagMicFree drops by one and cbFree grows by the line and its tag.  The
 * line's bytes stay where they were (free space under ibMicFree, as ESE
 * leaves a deleted line until it reorganizes the page). */
static void page_delete_tag(uint8_t *buf, uint32_t ps, unsigned k, uint32_t cb)
{
	unsigned ntags = get_le16(buf + 34) & 0x0FFF;
	uint8_t *low = buf + ps - 4u * ntags;            /* slot of tag ntags-1 */
	memmove(low + 4, low, 4u * (ntags - 1 - k));
	memset(low, 0, 4);
	put_le16(buf + 34, (uint16_t)((get_le16(buf + 34) & 0xF000) | (ntags - 1)));
	put_le16(buf + 28, (uint16_t)(get_le16(buf + 28) + cb + 4));
}

/* ---- catalog records -------------------------------------------------------------- */

/* A catalog record located on its page. */
struct catrec {
	uint32_t objid_table, type, id;   /* what to look for */
	uint32_t pgno;                    /* where it was found */
	unsigned tag;
	size_t off;                       /* record start in the page */
};

static int catrec_field(const ese_record *r, uint32_t id, uint32_t coltyp, uint32_t off, uint32_t *v)
{
	ese_column c = { .id = id, .coltyp = coltyp, .size = coltyp == JET_coltypShort ? 2 : 4, .record_offset = off };
	ese_table t = { .objid = OBJID_MSO };
	ese_colval cv;
	if (ese_record_get(r, &t, &c, &cv, NULL) || !cv.present)
		return -1;
	*v = cv.len == 2 ? get_le16(cv.data) : get_le32(cv.data);
	return 0;
}

static int catrec_visit(struct walk *w, uint32_t pgno, const ese_page *pg)
{
	struct catrec *cr = w->arg;
	if (!(pg->flags & ESE_PF_LEAF))
		return 0;
	for (unsigned i = 1; i < pg->ntags; i++) {
		ese_node n;
		ese_record r;
		uint32_t ot, ty, id;
		if (ese_page_node(pg, pgno, i, &n, NULL) || (n.flags & ESE_NODE_DELETED) ||
		    ese_record_parse(&r, n.data, n.data_len, pg->large, NULL))
			continue;
		if (catrec_field(&r, 1, JET_coltypLong, CAT_OFF_OBJIDTABLE, &ot) ||
		    catrec_field(&r, 2, JET_coltypShort, CAT_OFF_TYPE, &ty) ||
		    catrec_field(&r, 3, JET_coltypLong, CAT_OFF_ID, &id))
			continue;
		if (ot == cr->objid_table && ty == cr->type && id == cr->id) {
			cr->pgno = pgno;
			cr->tag = i;
			cr->off = (size_t)(n.data - pg->buf);
			return 1;
		}
	}
	return 0;
}

/* Finds the record in the catalog tree rooted at root (4 or 24). */
static int catrec_find(struct cx *cx, uint32_t root, struct catrec *cr)
{
	struct tree tr = { root, root == PGNO_MSO ? OBJID_MSO : OBJID_SHADOW, NULL, NULL, 0 };
	int rc = walk_tree(cx, &tr, root, catrec_visit, cr);
	if (rc == 1)
		return 0;
	if (rc)
		return rc;
	return fail(cx, "no catalog record (objidTable %u, type %u, id %u) under page %u", cr->objid_table, cr->type,
	            cr->id, root);
}

/* The catalog record naming the tree of objid: a table (type 1), a
 * secondary index (type 3) or a long-value tree (type 4). */
static int catrec_of_objid(struct cx *cx, uint32_t objid, struct catrec *cr, const char **name)
{
	const struct tree *tr = tree_by_objid(cx, objid);
	if (!tr || !tr->t)
		return fail(cx, "object %u is not a table, index or long-value tree of the catalog", objid);
	cr->objid_table = tr->t->objid;
	cr->type = tr->ix ? ESE_SYSOBJ_INDEX : tr->lv ? ESE_SYSOBJ_LV : ESE_SYSOBJ_TABLE;
	cr->id = objid;
	*name = tr->ix ? tr->ix->name : tr->lv ? "LV" : tr->t->name;
	return 0;
}

static const char *type_name(uint32_t type)
{
	return type == ESE_SYSOBJ_TABLE ? "table" : type == ESE_SYSOBJ_INDEX ? "index"
	     : type == ESE_SYSOBJ_LV ? "long-values" : "column";
}

/* ---- kinds that keep checksums wrong ---------------------------------------------- */

static int k_bitflip(struct cx *cx, int argc, char **argv)
{
	uint32_t pg, bit = 64;              /* default: bit 0 of the dbtime field */
	int rc = target_leaf(cx, argc, argv, &pg);
	if (rc || (argc >= 2 && (rc = arg_u32(cx, argv[1], &bit))))
		return rc;
	if (bit >= 8u * cx->ps)
		return fail(cx, "bit %u is outside a page of %u bytes", bit, cx->ps);
	if ((rc = rd(cx, pg, cx->buf)))
		return rc;
	const char *desc = page_desc(cx, pg);
	cx->buf[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	if ((rc = wr(cx, pg, cx->buf, 0)))
		return rc;
	return done(cx, "bitflip: page %u bit %u (byte %u, mask 0x%02x) (%s)", pg, bit, bit / 8, 1u << (bit % 8), desc);
}

static int k_bitflip_data(struct cx *cx, int argc, char **argv)
{
	uint32_t pgno, tag = 1;
	ese_page pg;
	int rc = target_leaf(cx, argc, argv, &pgno);
	if (rc || (argc >= 2 && (rc = arg_u32(cx, argv[1], &tag))) || (rc = rd_parse(cx, pgno, cx->buf, &pg)))
		return rc;
	if (!(pg.flags & ESE_PF_LEAF) || tag < 1 || tag >= pg.ntags)
		return fail(cx, "page %u is not a leaf page with a node %u", pgno, tag);
	size_t off, len;
	if ((rc = node_data(cx, &pg, pgno, tag, &off, &len)))
		return rc;
	if (len == 0)
		return fail(cx, "page %u node %u has no data", pgno, tag);
	size_t byte = off + len / 2;
	cx->buf[byte] ^= 1;
	if ((rc = wr(cx, pgno, cx->buf, 0)))
		return rc;
	return done(cx, "bitflip-data: page %u tag %u bit %zu (byte %zu, mask 0x01, data byte %zu of %zu) (%s)", pgno,
	            tag, byte * 8, byte, len / 2, len, page_desc(cx, pgno));
}

static int k_zero(struct cx *cx, int argc, char **argv)
{
	uint32_t pg;
	int rc = target_leaf(cx, argc, argv, &pg);
	if (rc)
		return rc;
	const char *desc = page_desc(cx, pg);
	memset(cx->buf, 0, cx->ps);
	if ((rc = wr(cx, pg, cx->buf, 0)))
		return rc;
	return done(cx, "zero: page %u (%s)", pg, desc);
}

static int k_torn(struct cx *cx, int argc, char **argv)
{
	uint32_t pg, other = 0;
	int rc = target_leaf(cx, argc, argv, &pg);
	if (rc || (argc >= 2 && (rc = arg_pgno(cx, argv[1], &other))) || (rc = rd(cx, pg, cx->buf)))
		return rc;
	uint32_t half = cx->ps / 2;
	if (other) {
		if ((rc = rd(cx, other, cx->buf2)))
			return rc;
	} else {
		/* the next initialized page after pg (wrapping) whose second half differs */
		for (uint32_t k = 1; k < cx->npages && !other; k++) {
			uint32_t q = (pg - 1 + k) % cx->npages + 1;
			if ((rc = rd(cx, q, cx->buf2)))
				return rc;
			if (ese_checksum_verify_page(cx->buf2, cx->ps, q, NULL) == ESE_PAGE_OK &&
			    memcmp(cx->buf + half, cx->buf2 + half, half))
				other = q;
		}
		if (!other)
			return not_apply(cx, "no other initialized page differs from page %u", pg);
	}
	if (other == pg || !memcmp(cx->buf + half, cx->buf2 + half, half))
		return fail(cx, "page %u has the same second half as page %u", other, pg);
	memcpy(cx->buf + half, cx->buf2 + half, half);
	const char *desc = page_desc(cx, pg);
	if ((rc = wr(cx, pg, cx->buf, 0)))
		return rc;
	return done(cx, "torn: page %u bytes %u-%u from page %u (%s)", pg, half, cx->ps - 1, other, desc);
}

static int k_wrong_pgno(struct cx *cx, int argc, char **argv)
{
	uint32_t pg, as;
	int rc = target_leaf(cx, argc, argv, &pg);
	if (rc)
		return rc;
	as = pg < cx->npages ? pg + 1 : pg - 1;
	if ((argc >= 2 && (rc = arg_u32(cx, argv[1], &as))) || (rc = rd(cx, pg, cx->buf)))
		return rc;
	if (as == pg)
		return fail(cx, "page %u checksummed as itself is no damage", pg);
	ese_checksum_set_page(cx->buf, cx->ps, as);     /* large pages: the pgno field too */
	const char *desc = page_desc(cx, pg);
	if ((rc = wr(cx, pg, cx->buf, 0)))
		return rc;
	if (ese_page_is_large(cx->ps))
		return done(cx, "wrong-pgno: page %u checksummed as page %u, pgno field %u (%s)", pg, as, as, desc);
	return done(cx, "wrong-pgno: page %u checksummed as page %u (%s)", pg, as, desc);
}

static int k_misplace(struct cx *cx, int argc, char **argv)
{
	uint32_t from, to;
	int rc = target_leaf(cx, argc, argv, &from);
	if (rc)
		return rc;
	to = from < cx->npages ? from + 1 : from - 1;
	if (argc >= 2 && (rc = arg_pgno(cx, argv[1], &to)))
		return rc;
	if (from == to)
		return fail(cx, "a page written over itself is no damage");
	if ((rc = rd(cx, from, cx->buf)) || (rc = wr(cx, to, cx->buf, 0)))
		return rc;
	return done(cx, "misplace: page %u written at page %u", from, to);
}

static int k_truncate_pages(struct cx *cx, int argc, char **argv)
{
	uint32_t n = cx->npages / 2;
	int rc = argc >= 1 ? arg_u32(cx, argv[0], &n) : 0;
	if (rc)
		return rc;
	if (n >= cx->npages)
		return fail(cx, "the file is not that long");
	if (ftruncate(cx->fd, page_off(cx, n + 1)))
		return fail(cx, "truncate failed: %s", strerror(errno));
	return done(cx, "truncate-pages: kept pages 1-%u of %u", n, cx->npages);
}

static int k_truncate_bytes(struct cx *cx, int argc, char **argv)
{
	/* default: half-way into the page after the first half */
	unsigned long long n = (unsigned long long)page_off(cx, cx->npages / 2 + 1) + cx->ps / 2;
	if (argc >= 1) {
		char *end;
		errno = 0;
		n = strtoull(argv[0], &end, 0);
		if (!*argv[0] || *argv[0] == '-' || *end || errno)
			return fail(cx, "'%s' is not a number", argv[0]);
	}
	if (n >= cx->fsize)
		return fail(cx, "the file is not that long");
	if (ftruncate(cx->fd, (off_t)n))
		return fail(cx, "truncate failed: %s", strerror(errno));
	return done(cx, "truncate-bytes: file cut to %llu bytes", n);
}

static int k_header_byte(struct cx *cx, int argc, char **argv)
{
	uint32_t off = 24;                   /* default: the random part of signDb */
	int rc = argc >= 1 ? arg_u32(cx, argv[0], &off) : 0;
	uint8_t b;
	if (rc)
		return rc;
	if (off >= 2u * cx->ps || pread(cx->fd, &b, 1, (off_t)off) != 1)
		return fail(cx, "offset out of range");
	b ^= 1;
	if (pwrite(cx->fd, &b, 1, (off_t)off) != 1)
		return fail(cx, "write failed");
	return done(cx, "header-byte: %s header byte %u", off < cx->ps ? "primary" : "shadow", off % cx->ps);
}

/* ---- kinds with checksums recomputed: page header and tree structure -------------- */

static int k_wrong_objid(struct cx *cx, int argc, char **argv)
{
	uint32_t pgno, to = 0;
	ese_page pg;
	int rc = target_leaf(cx, argc, argv, &pgno);
	if (rc || (argc >= 2 && (rc = arg_u32(cx, argv[1], &to))) || (rc = need_trees(cx)) ||
	    (rc = rd_parse(cx, pgno, cx->buf, &pg)))
		return rc;
	uint32_t from = pg.objid;
	if (!to) {
		/* the next larger objid a tree has, else the largest smaller one (not the root's 1) */
		uint32_t up = 0, down = 0;
		for (size_t i = 0; i < cx->ntrees; i++) {
			uint32_t o = cx->trees[i].objid;
			if (o > from && (!up || o < up))
				up = o;
			if (o < from && o > 1 && o > down)
				down = o;
		}
		to = up ? up : down;
		if (!to)
			return not_apply(cx, "no other object id exists");
	}
	if (to == from)
		return fail(cx, "page %u already carries objid %u", pgno, to);
	const char *desc = owner_desc(cx, from);
	put_le32(cx->buf + 24, to);
	if ((rc = wr(cx, pgno, cx->buf, 1)))
		return rc;
	return done(cx, "wrong-objid: page %u objid %u changed to %u (%s)", pgno, from, to, desc);
}

static int k_sibling_link(struct cx *cx, int argc, char **argv)
{
	uint32_t pgno, to = 0;
	ese_page pg;
	int rc = target_leaf(cx, argc, argv, &pgno);
	if (rc || (argc >= 2 && (rc = arg_pgno(cx, argv[1], &to))) || (rc = need_trees(cx)) ||
	    (rc = rd_parse(cx, pgno, cx->buf, &pg)))
		return rc;
	if (!(pg.flags & ESE_PF_LEAF))
		return fail(cx, "page %u is not a leaf page", pgno);
	uint32_t old = pg.next, objid = pg.objid;
	if (!to) {
		/* the first leaf of the next tree, in search order, of another object */
		size_t start = 0;
		const struct tree *mine = tree_by_objid(cx, objid);
		if (mine)
			start = (size_t)(mine - cx->trees) + 1;
		struct find f = { 0, 1, objid, 0, NULL };
		if ((rc = find_page(cx, &f, start)) == NOT_APPLY)
			return not_apply(cx, "no tree other than objid %u has a leaf page", objid);
		if (rc)
			return rc;
		to = f.pgno;
	}
	if (to == old)
		return fail(cx, "page %u already links to page %u", pgno, to);
	const char *target = page_objid(cx, to);
	put_le32(cx->buf + 20, to);
	if ((rc = wr(cx, pgno, cx->buf, 1)))
		return rc;
	return done(cx, "sibling-link: page %u next %u changed to %u, %s (%s)", pgno, old, to, target,
	            owner_desc(cx, objid));
}

static int k_key_order(struct cx *cx, int argc, char **argv)
{
	uint32_t pgno, tag = 1;
	ese_page pg;
	int rc;
	if (argc >= 1) {
		rc = arg_pgno(cx, argv[0], &pgno);
	} else {
		struct find f = { 0, 2, 0, 0, NULL };
		rc = find_page(cx, &f, 0);
		if (rc == NOT_APPLY)
			return not_apply(cx, "no leaf page has two nodes");
		pgno = f.pgno;
	}
	if (rc || (argc >= 2 && (rc = arg_u32(cx, argv[1], &tag))) || (rc = rd_parse(cx, pgno, cx->buf, &pg)))
		return rc;
	if (!(pg.flags & ESE_PF_LEAF) || tag < 1 || tag + 1 >= pg.ntags)
		return fail(cx, "page %u is not a leaf page with nodes %u and %u", pgno, tag, tag + 1);
	uint8_t *a = cx->buf + cx->ps - 4 * (tag + 1), *b = a - 4, tmp[4];
	memcpy(tmp, a, 4);
	memcpy(a, b, 4);
	memcpy(b, tmp, 4);
	if ((rc = wr(cx, pgno, cx->buf, 1)))
		return rc;
	return done(cx, "key-order: page %u tags %u and %u swapped (%s)", pgno, tag, tag + 1, page_desc(cx, pgno));
}

/* The internal node a child kind edits: PGNO and TAG when given, else
 * node 1 of the first internal page. */
static int target_internal(struct cx *cx, int argc, char **argv, uint32_t *pgno, uint32_t *tag, ese_page *pg,
                           const struct tree **tr)
{
	int rc;
	*tag = 1;
	*tr = NULL;
	if (argc >= 1) {
		rc = arg_pgno(cx, argv[0], pgno);
	} else {
		struct find f = { 1, 0, 0, 0, NULL };
		rc = find_page(cx, &f, 0);
		if (rc == NOT_APPLY)
			return not_apply(cx, "no tree has an internal page");
		*pgno = f.pgno;
		*tr = f.tr;
	}
	if (rc || (argc >= 2 && (rc = arg_u32(cx, argv[1], tag))) || (rc = rd_parse(cx, *pgno, cx->buf, pg)))
		return rc;
	if ((pg->flags & ESE_PF_LEAF) || *tag < 1 || *tag >= pg->ntags)
		return fail(cx, "page %u is not an internal page with a node %u", *pgno, *tag);
	return 0;
}

static int k_wrong_child(struct cx *cx, int argc, char **argv)
{
	uint32_t pgno, tag, to = 0;
	ese_page pg;
	const struct tree *tr;
	size_t off, len, off2, len2;
	int rc = target_internal(cx, argc, argv, &pgno, &tag, &pg, &tr);
	if (rc || (argc >= 3 && (rc = arg_pgno(cx, argv[2], &to))) || (rc = node_data(cx, &pg, pgno, tag, &off, &len)))
		return rc;
	if (len < 4)
		return fail(cx, "page %u node %u has no child page number", pgno, tag);
	uint32_t old = get_le32(cx->buf + off);
	const char *how = "as given";
	if (!to && pg.ntags > 2) {
		/* a sibling subtree's page: the child of the next node, or of the previous */
		unsigned other = tag + 1 < pg.ntags ? tag + 1 : tag - 1;
		if ((rc = node_data(cx, &pg, pgno, other, &off2, &len2)))
			return rc;
		if (len2 >= 4) {
			to = get_le32(cx->buf + off2);
			how = "the child of its sibling node";
		}
	}
	if (!to || to == old) {
		/* the only node: point it at the root of its tree */
		if (!tr && (rc = need_trees(cx)))
			return rc;
		if (!tr)
			tr = tree_by_objid(cx, pg.objid);
		to = tr ? tr->root : pgno;
		how = "the root of its tree";
	}
	if (to == old)
		return not_apply(cx, "page %u node %u has no other page of its tree to point at", pgno, tag);
	put_le32(cx->buf + off, to);
	if ((rc = wr(cx, pgno, cx->buf, 1)))
		return rc;
	return done(cx, "wrong-child: page %u tag %u child %u changed to %u, %s (%s)", pgno, tag, old, to, how,
	            page_desc(cx, pgno));
}

static int k_child_outside(struct cx *cx, int argc, char **argv)
{
	uint32_t pgno, tag;
	ese_page pg;
	const struct tree *tr;
	size_t off, len;
	int rc = target_internal(cx, argc, argv, &pgno, &tag, &pg, &tr);
	if (rc || (rc = node_data(cx, &pg, pgno, tag, &off, &len)))
		return rc;
	if (len < 4)
		return fail(cx, "page %u node %u has no child page number", pgno, tag);
	uint32_t old = get_le32(cx->buf + off), to = cx->npages + 1;
	put_le32(cx->buf + off, to);
	if ((rc = wr(cx, pgno, cx->buf, 1)))
		return rc;
	return done(cx,
	            "child-outside: page %u tag %u child %u changed to %u, past the end of the file (%u pages) (%s)",
	            pgno, tag, old, to, cx->npages, page_desc(cx, pgno));
}

/* ---- kinds with checksums recomputed: space ------------------------------------ */

/* Finds the node with a 4-byte key (big-endian pgnoLast) in an extent tree. */
struct extnode {
	uint32_t last;            /* key to find; 0: the first node with a page count >= 1 */
	uint32_t pgno, count;
	unsigned tag;
	size_t off;               /* page count's offset in the page */
};

static int extnode_visit(struct walk *w, uint32_t pgno, const ese_page *pg)
{
	struct extnode *e = w->arg;
	if (!(pg->flags & ESE_PF_LEAF))
		return 0;
	for (unsigned i = 1; i < pg->ntags; i++) {
		ese_node n;
		uint8_t key[8];
		if (ese_page_node(pg, pgno, i, &n, NULL) || (n.flags & ESE_NODE_DELETED) || n.data_len < 4 ||
		    ese_node_key(&n, key, sizeof(key)) != 4)
			continue;
		uint32_t last = get_be32(key), cpg = get_le32(n.data);
		if (e->last ? last != e->last : (cpg == 0 || cpg > last))
			continue;
		e->last = last;
		e->pgno = pgno;
		e->count = cpg;
		e->tag = i;
		e->off = (size_t)(n.data - pg->buf);
		return 1;
	}
	return 0;
}

static int extnode_find(struct cx *cx, const struct tree *tr, uint32_t root, struct extnode *e)
{
	int rc = walk_tree(cx, tr, root, extnode_visit, e);
	return rc == 1 ? 0 : rc ? rc : NOT_APPLY;
}

/* The table whose owned extents hold page p, other than skip (0: none). */
static const ese_table *table_owning(struct cx *cx, uint32_t p, uint32_t skip)
{
	for (size_t i = 0; i < cx->cat->ntables; i++) {
		const ese_table *t = &cx->cat->tables[i];
		ese_space sp;
		if (t->objid == skip || ese_space_read(cx->db, t->pgno_fdp, t->objid, &sp, NULL))
			continue;
		int hit = 0;
		for (size_t k = 0; k < sp.nowned && !hit; k++)
			hit = p >= sp.owned[k].first && p - sp.owned[k].first < sp.owned[k].count;
		ese_space_free(&sp);
		if (hit)
			return t;
	}
	return NULL;
}

static int k_owned_twice(struct cx *cx, int argc, char **argv)
{
	uint32_t want = 0;
	int rc = argc >= 1 ? arg_u32(cx, argv[0], &want) : 0;
	if (rc || (rc = need_trees(cx)))
		return rc;
	/* tables in search order; an owned extent whose page below belongs to another table */
	for (size_t i = 0; i < cx->ntrees; i++) {
		const struct tree *tr = &cx->trees[i];
		if (!tr->t || tr->ix || tr->lv || (want && tr->objid != want))
			continue;
		ese_space sp;
		if (ese_space_read(cx->db, tr->root, tr->objid, &sp, NULL))
			continue;
		if (!(sp.hdr.flags & 1)) {
			ese_space_free(&sp);
			continue;
		}
		for (size_t k = sp.nowned; k-- > 0;) {
			ese_extent x = sp.owned[k];
			const ese_table *other = x.first > 1 ? table_owning(cx, x.first - 1, tr->objid) : NULL;
			if (!other)
				continue;
			struct extnode e = { x.first + x.count - 1, 0, 0, 0, 0 };
			uint32_t oe = sp.hdr.pgno_oe;
			ese_space_free(&sp);
			if ((rc = extnode_find(cx, tr, oe, &e)) == NOT_APPLY)
				return fail(cx, "owned-extent tree at page %u: no extent ends at page %u", oe, e.last);
			if (rc || (rc = rd(cx, e.pgno, cx->buf)))
				return rc;
			put_le32(cx->buf + e.off, e.count + 1);
			if ((rc = wr(cx, e.pgno, cx->buf, 1)))
				return rc;
			return done(cx,
			            "owned-twice: page %u owned by objid %u and objid %u; owned-extent page %u tag %u "
			            "extent %u-%u (%u %s) grown to %u-%u (%u pages) (%s)",
			            x.first - 1, tr->objid, other->objid, e.pgno, e.tag, x.first, e.last, e.count,
			            pages(e.count), x.first - 1, e.last, e.count + 1, owner_desc(cx, tr->objid));
		}
		ese_space_free(&sp);
	}
	if (want)
		return not_apply(cx,
		                 "object %u is not a multiple-extent table with an extent right after another table's",
		                 want);
	return not_apply(cx, "no multiple-extent table has an extent right after another table's");
}

static int k_leaked(struct cx *cx, int argc, char **argv)
{
	uint32_t want = 0;
	int rc = argc >= 1 ? arg_u32(cx, argv[0], &want) : 0;
	if (rc || (rc = need_trees(cx)))
		return rc;
	for (size_t i = 0; i < cx->ntrees; i++) {
		const struct tree *tr = &cx->trees[i];
		ese_space sp;
		if ((want && tr->objid != want) || ese_space_read(cx->db, tr->root, tr->objid, &sp, NULL))
			continue;
		ese_space_header h = sp.hdr;
		ese_space_free(&sp);
		if (h.flags & 1) {
			/* shrink the first available extent: its first page is lost */
			struct extnode e = { 0, 0, 0, 0, 0 };
			if ((rc = extnode_find(cx, tr, h.pgno_oe + 1, &e)) == NOT_APPLY)
				continue;
			if (rc || (rc = rd(cx, e.pgno, cx->buf)))
				return rc;
			uint32_t first = e.last - e.count + 1;
			put_le32(cx->buf + e.off, e.count - 1);
			if ((rc = wr(cx, e.pgno, cx->buf, 1)))
				return rc;
			return done(cx,
			            "leaked: page %u neither used nor available; available-extent page %u tag %u "
			            "extent %u-%u (%u %s) shrunk to %u %s (%s)",
			            first, e.pgno, e.tag, first, e.last, e.count, pages(e.count), e.count - 1,
			            pages(e.count - 1), owner_desc(cx, tr->objid));
		}
		/* single extent: clear the lowest set bit of rgbitAvail (bit k = page root+1+k) */
		uint32_t cpg = h.cpg_primary, bits = h.avail_bitmap, k;
		for (k = 0; k < 32 && k + 1 < cpg && !(bits & (1u << k)); k++)
			;
		if (cpg > 32 || k >= 32 || k + 1 >= cpg)
			continue;           /* more than 32 pages: ESE does not keep the bitmap */
		ese_page pg;
		ese_tag t0;
		ese_status st = { 0 };
		if ((rc = rd_parse(cx, tr->root, cx->buf, &pg)))
			return rc;
		if (ese_page_tag(&pg, tr->root, 0, &t0, &st))
			return fail(cx, "%s", st.msg);
		size_t off = t0.off + (t0.len == 16 ? 12 : 13);   /* 17/25-byte headers lead with a presence byte */
		put_le32(cx->buf + off, bits & ~(1u << k));
		if ((rc = wr(cx, tr->root, cx->buf, 1)))
			return rc;
		return done(cx,
		            "leaked: page %u neither used nor available; root page %u space header rgbitAvail 0x%x "
		            "changed to 0x%x (bit %u, byte %zu) (%s)",
		            tr->root + 1 + k, tr->root, bits, bits & ~(1u << k), k, off, owner_desc(cx, tr->objid));
	}
	if (want)
		return not_apply(cx, "object %u has no available page", want);
	return not_apply(cx, "no tree has an available page");
}

/* ---- kinds with checksums recomputed: catalog ------------------------------------ */

/* Header byte 208 bit 0: fDbShadowingDisabled (MSysObjectsShadow left empty). */
static int shadowing_disabled(struct cx *cx)
{
	uint8_t b = 0;
	return pread(cx->fd, &b, 1, 208) == 1 && (b & 1);
}

/* The objid a catalog kind changes a record of: argv[0], or the first user table. */
static int target_object(struct cx *cx, int argc, char **argv, uint32_t *objid)
{
	int rc = argc >= 1 ? arg_u32(cx, argv[0], objid) : 0;
	if (rc || (rc = need_trees(cx)) || argc >= 1)
		return rc;
	for (size_t i = 0; i < cx->cat->ntables; i++)
		if (!(cx->cat->tables[i].flags & OBJ_SYSTEM)) {
			*objid = cx->cat->tables[i].objid;
			return 0;
		}
	return not_apply(cx, "no user table");
}

static int k_catalog_root(struct cx *cx, int argc, char **argv)
{
	uint32_t objid, to = 0;
	struct catrec cr;
	const char *name;
	ese_page pg;
	int rc = target_object(cx, argc, argv, &objid);
	if (rc || (argc >= 2 && (rc = arg_pgno(cx, argv[1], &to))) || (rc = catrec_of_objid(cx, objid, &cr, &name)) ||
	    (rc = catrec_find(cx, PGNO_MSO, &cr)) || (rc = rd_parse(cx, cr.pgno, cx->buf, &pg)))
		return rc;
	uint32_t old = get_le32(cx->buf + cr.off + CAT_OFF_PGNOFDP);
	if (!to) {
		/* the root of the tree with the next smaller objid, else the next larger (not the database root) */
		uint32_t down = 0, up = 0;
		for (size_t i = 0; i < cx->ntrees; i++) {
			const struct tree *t = &cx->trees[i];
			if (t->objid <= 1 || t->root == old)
				continue;
			if (t->objid < objid && t->objid > down)
				down = t->objid;
			if (t->objid > objid && (!up || t->objid < up))
				up = t->objid;
		}
		if (!down && !up)
			return not_apply(cx, "no other tree root to point at");
		to = tree_by_objid(cx, down ? down : up)->root;
	}
	if (to == old)
		return fail(cx, "the record already names page %u", to);
	put_le32(cx->buf + cr.off + CAT_OFF_PGNOFDP, to);
	if ((rc = wr(cx, cr.pgno, cx->buf, 1)))
		return rc;
	return done(cx, "catalog-root: page %u tag %u %s %s object %u pgnoFDP %u changed to %u, %s (%s)",
	            cr.pgno, cr.tag, type_name(cr.type), name, objid, old, to, page_objid(cx, to),
	            owner_desc(cx, OBJID_MSO));
}

static int k_catalog_shadow(struct cx *cx, int argc, char **argv)
{
	uint32_t objid;
	struct catrec cr;
	const char *name;
	ese_page pg;
	int rc = target_object(cx, argc, argv, &objid);
	if (rc || (rc = catrec_of_objid(cx, objid, &cr, &name)))
		return rc;
	if (shadowing_disabled(cx))
		return not_apply(cx, "the header says MSysObjectsShadow is not maintained");
	if ((rc = catrec_find(cx, PGNO_SHADOW, &cr)) || (rc = rd_parse(cx, cr.pgno, cx->buf, &pg)))
		return rc;
	size_t at = cr.off + CAT_OFF_SPACEUSAGE;
	uint32_t old = get_le32(cx->buf + at);
	cx->buf[at] ^= 1;
	uint32_t now = get_le32(cx->buf + at);
	if ((rc = wr(cx, cr.pgno, cx->buf, 1)))
		return rc;
	return done(cx,
	            "catalog-shadow: page %u tag %u byte %zu %s %s object %u SpaceUsage %u changed to %u "
	            "(catalog keeps %u) (%s)",
	            cr.pgno, cr.tag, at, type_name(cr.type), name, objid, old, now, old, owner_desc(cx, OBJID_SHADOW));
}

/* The longest value of one column over a table's records. */
struct longest {
	const ese_table *t;
	const ese_column *c;
	size_t len, count;        /* longest length; records that have it */
	uint32_t pgno;            /* first record with it */
	unsigned tag;
};

static int longest_visit(struct walk *w, uint32_t pgno, const ese_page *pg)
{
	struct longest *L = w->arg;
	if (!(pg->flags & ESE_PF_LEAF))
		return 0;
	for (unsigned i = 1; i < pg->ntags; i++) {
		ese_node n;
		ese_record r;
		ese_colval v;
		if (ese_page_node(pg, pgno, i, &n, NULL) || (n.flags & ESE_NODE_DELETED) ||
		    ese_record_parse(&r, n.data, n.data_len, pg->large, NULL) ||
		    ese_record_get(&r, L->t, L->c, &v, NULL) || !v.present)
			continue;
		size_t m = 0, cnt = ese_colval_count(&v);
		for (size_t k = 0; k < cnt; k++) {
			const uint8_t *p;
			size_t len;
			int sep;
			if (!ese_colval_instance(&v, k, &p, &len, &sep, NULL) && !sep && len > m)
				m = len;
		}
		if (m > L->len) {
			L->len = m;
			L->count = 0;
			L->pgno = pgno;
			L->tag = i;
		}
		if (m && m == L->len)
			L->count++;
	}
	return 0;
}

static int k_column_too_long(struct cx *cx, int argc, char **argv)
{
	uint32_t want_t = 0, want_c = 0;
	int rc = argc >= 1 ? arg_u32(cx, argv[0], &want_t) : 0;
	if (rc || (argc >= 2 && (rc = arg_u32(cx, argv[1], &want_c))) || (rc = need_trees(cx)))
		return rc;
	struct longest L = { 0 };
	for (size_t i = 0; i < cx->ntrees && !L.c; i++) {
		const struct tree *tr = &cx->trees[i];
		if (!tr->t || tr->ix || tr->lv || (want_t ? tr->objid != want_t : (tr->t->flags & OBJ_SYSTEM) != 0))
			continue;
		/* variable and tagged Binary/Text columns: their SpaceUsage is a maximum length only */
		for (size_t j = 0; j < tr->t->ncolumns; j++) {
			const ese_column *c = &tr->t->columns[j];
			if (c->id < 128 || (want_c && c->id != want_c) ||
			    (c->coltyp != JET_coltypBinary && c->coltyp != JET_coltypText))
				continue;
			struct longest l = { tr->t, c, 0, 0, 0, 0 };
			if ((rc = walk_tree(cx, tr, tr->root, longest_visit, &l)) < 0 || rc > 1)
				return rc;
			if (l.len >= 2 && (!c->size || l.len <= c->size)) {
				L = l;
				break;
			}
		}
	}
	if (!L.c)
		return not_apply(cx, "no %s has a variable or tagged Binary/Text value of 2 bytes or more",
		                 want_t ? "such table or column" : "user table");
	uint32_t max = (uint32_t)L.len - 1;
	struct catrec cr = { L.t->objid, ESE_SYSOBJ_COLUMN, L.c->id, 0, 0, 0 }, crs = cr;
	ese_page pg;
	if ((rc = catrec_find(cx, PGNO_MSO, &cr)))
		return rc;
	int shadow = !shadowing_disabled(cx);
	if (shadow && (rc = catrec_find(cx, PGNO_SHADOW, &crs)))
		return rc;
	if ((rc = rd_parse(cx, cr.pgno, cx->buf, &pg)))
		return rc;
	uint32_t old = get_le32(cx->buf + cr.off + CAT_OFF_SPACEUSAGE);
	put_le32(cx->buf + cr.off + CAT_OFF_SPACEUSAGE, max);
	if ((rc = wr(cx, cr.pgno, cx->buf, 1)))
		return rc;
	char where[80] = "";
	if (shadow) {
		if ((rc = rd_parse(cx, crs.pgno, cx->buf, &pg)))
			return rc;
		put_le32(cx->buf + crs.off + CAT_OFF_SPACEUSAGE, max);
		if ((rc = wr(cx, crs.pgno, cx->buf, 1)))
			return rc;
		snprintf(where, sizeof(where), " and shadow page %u tag %u", crs.pgno, crs.tag);
	}
	return done(cx,
	            "column-too-long: page %u tag %u column %u %s length %zu, maximum %u changed to %u "
	            "in catalog page %u tag %u%s; %zu record%s too long (%s)",
	            L.pgno, L.tag, L.c->id, L.c->name ? L.c->name : "?", L.len, old, max, cr.pgno, cr.tag, where,
	            L.count, L.count == 1 ? "" : "s", owner_desc(cx, L.t->objid));
}

/* ---- kinds with checksums recomputed: long values ---------------------------------- */

/* A separated long value referenced by a record, and its LVROOT. */
struct lvref {
	struct cx *cx;
	const ese_table *t;
	const struct tree *lvtree;
	uint32_t lid;
	uint32_t rec_pgno, columnid;
	unsigned rec_tag;
	struct extnode root;      /* reused: last = unused; pgno/tag/off of the LVROOT */
	unsigned root_nodes;      /* nodes on the LVROOT's page */
	uint32_t root_cb;
	int found;
};

static int lvroot_visit(struct walk *w, uint32_t pgno, const ese_page *pg)
{
	struct lvref *L = w->arg;
	if (!(pg->flags & ESE_PF_LEAF))
		return 0;
	uint8_t want[4];
	put_be32(want, L->lid);
	for (unsigned i = 1; i < pg->ntags; i++) {
		ese_node n;
		ese_tag t;
		if (ese_page_node(pg, pgno, i, &n, NULL) || (n.flags & ESE_NODE_DELETED) ||
		    ese_node_keycmp(&n, want, 4) || ese_page_tag(pg, pgno, i, &t, NULL))
			continue;
		L->root.pgno = pgno;
		L->root.tag = i;
		L->root_nodes = pg->ntags - 1u;
		L->root_cb = t.len;
		return 1;
	}
	return 0;
}

static int lvrec_visit(struct walk *w, uint32_t pgno, const ese_page *pg)
{
	struct lvref *L = w->arg;
	if (!(pg->flags & ESE_PF_LEAF))
		return 0;
	for (unsigned i = 1; i < pg->ntags; i++) {
		ese_node n;
		ese_record r;
		if (ese_page_node(pg, pgno, i, &n, NULL) || (n.flags & ESE_NODE_DELETED) ||
		    ese_record_parse(&r, n.data, n.data_len, pg->large, NULL))
			continue;
		for (size_t k = 0; k < r.ntagged; k++) {
			uint32_t fid;
			ese_colval v;
			if (ese_record_tagged_at(&r, k, &fid, &v, NULL) || !v.present)
				continue;
			size_t cnt = ese_colval_count(&v);
			for (size_t j = 0; j < cnt; j++) {
				const uint8_t *p;
				size_t len;
				int sep;
				if (ese_colval_instance(&v, j, &p, &len, &sep, NULL) || !sep || len != 4)
					continue;
				/* this LID, if its LVROOT shares its page with another node */
				L->lid = get_le32(p);
				L->root.pgno = 0;
				int rc = walk_tree(L->cx, L->lvtree, L->lvtree->root, lvroot_visit, L);
				if (rc < 0 || rc > 1)
					return rc;
				if (rc == 1 && L->root_nodes >= 2) {
					L->rec_pgno = pgno;
					L->rec_tag = i;
					L->columnid = fid;
					return 1;
				}
			}
		}
	}
	return 0;
}

static int k_lv_missing(struct cx *cx, int argc, char **argv)
{
	uint32_t want = 0;
	int rc = argc >= 1 ? arg_u32(cx, argv[0], &want) : 0;
	if (rc || (rc = need_trees(cx)))
		return rc;
	struct lvref L = { .cx = cx };
	for (size_t i = 0; i < cx->ntrees; i++) {
		const struct tree *tr = &cx->trees[i];
		if (!tr->t || tr->ix || tr->lv || !tr->t->lv_pgno_fdp || (want && tr->objid != want))
			continue;
		L.t = tr->t;
		L.lvtree = tree_by_objid(cx, tr->t->lv_objid);
		if (!L.lvtree)
			continue;
		rc = walk_tree(cx, tr, tr->root, lvrec_visit, &L);
		if (rc == 1)
			break;
		if (rc)
			return rc;
	}
	if (rc != 1)
		return not_apply(cx, "no record references a separated long value whose root shares its page");
	ese_page pg;
	if ((rc = rd_parse(cx, L.root.pgno, cx->buf, &pg)))
		return rc;
	page_delete_tag(cx->buf, cx->ps, L.root.tag, L.root_cb);
	if ((rc = wr(cx, L.root.pgno, cx->buf, 1)))
		return rc;
	return done(cx,
	            "lv-missing: page %u tag %u column %u references lid %u whose LVROOT was removed: "
	            "long-value page %u tag %u (%u bytes) of objid %u (%s)",
	            L.rec_pgno, L.rec_tag, L.columnid, L.lid, L.root.pgno, L.root.tag, L.root_cb, L.lvtree->objid,
	            owner_desc(cx, L.t->objid));
}

/* ---- the table of kinds -------------------------------------------------------- */

static const struct kind {
	const char *name, *args, *help;
	int (*fn)(struct cx *cx, int argc, char **argv);
	int maxargs;
} kinds[] = {
	{ "bitflip", "[PGNO [BIT]]", "flip bit BIT of page PGNO (checksum left wrong)", k_bitflip, 2 },
	{ "bitflip-data", "[PGNO [TAG]]", "flip a bit in the data of node TAG of a leaf (checksum left wrong)",
	  k_bitflip_data, 2 },
	{ "zero", "[PGNO]", "overwrite a page with zeroes", k_zero, 1 },
	{ "torn", "[PGNO [OTHER]]", "second half of a page taken from another page (checksum left wrong)", k_torn, 2 },
	{ "wrong-pgno", "[PGNO [AS]]", "a page checksummed as page AS (and pgno field on 16/32 KiB pages)",
	  k_wrong_pgno, 2 },
	{ "misplace", "[FROM [TO]]", "write page FROM's bytes at page TO", k_misplace, 2 },
	{ "truncate-pages", "[N]", "keep the headers and the first N pages", k_truncate_pages, 1 },
	{ "truncate-bytes", "[N]", "cut the file to N bytes", k_truncate_bytes, 1 },
	{ "header-byte", "[OFFSET]", "flip the low bit of a header byte (shadow: + page size)", k_header_byte, 1 },
	{ "wrong-objid", "[PGNO [OBJID]]", "page header objidFDP changed to another object's", k_wrong_objid, 2 },
	{ "sibling-link", "[PGNO [TARGET]]", "a leaf's next link pointed at another tree's leaf", k_sibling_link, 2 },
	{ "key-order", "[PGNO [TAG]]", "tags TAG and TAG+1 of a leaf swapped", k_key_order, 2 },
	{ "wrong-child", "[PGNO [TAG [CHILD]]]", "an internal node pointed at another page of its tree", k_wrong_child,
	  3 },
	{ "child-outside", "[PGNO [TAG]]", "an internal node pointed past the end of the file", k_child_outside, 2 },
	{ "owned-twice", "[OBJID]", "a table's owned extent grown over another table's page", k_owned_twice, 1 },
	{ "leaked", "[OBJID]", "an available page dropped from its tree's space", k_leaked, 1 },
	{ "catalog-root", "[OBJID [PGNO]]", "MSysObjects record of OBJID pointed at another root", k_catalog_root, 2 },
	{ "catalog-shadow", "[OBJID]", "MSysObjectsShadow record of OBJID made to differ", k_catalog_shadow, 1 },
	{ "column-too-long", "[TABLE-OBJID [COLUMNID]]", "a column's maximum length lowered below a stored value",
	  k_column_too_long, 2 },
	{ "lv-missing", "[TABLE-OBJID]", "a referenced long value's root node removed", k_lv_missing, 1 },
};

static const struct kind *kind_find(const char *name)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].name, name))
			return &kinds[i];
	return NULL;
}

int ese_corrupt_apply(const char *kind, const char *path, int argc, char **argv, char *what, size_t whatlen)
{
	struct cx cx = { .kind = kind, .path = path, .fd = -1, .what = what, .whatlen = whatlen };
	if (what && whatlen)
		what[0] = '\0';
	const struct kind *k = kind_find(kind);
	if (!k)
		return fail(&cx, "unknown kind '%s'", kind);
	if (argc < 0 || argc > k->maxargs)
		return fail(&cx, "usage: %s %s", k->name, k->args);
	ese_status st = { 0 };
	if (ese_db_open(path, ESE_OPEN_RDONLY | ESE_OPEN_NO_VERIFY | ESE_OPEN_ANY_HEADER, &cx.db, &st))
		return fail(&cx, "%s: %s", path, st.msg);
	int rc;
	cx.ps = ese_db_page_size(cx.db);
	cx.npages = ese_db_page_count(cx.db);
	cx.fsize = ese_db_file_size(cx.db);
	if ((cx.fd = open(path, O_RDWR)) < 0) {
		rc = fail(&cx, "cannot open %s: %s", path, strerror(errno));
		goto close_db;
	}
	if (!(cx.buf = malloc(cx.ps)) || !(cx.buf2 = malloc(cx.ps))) {
		rc = fail(&cx, "out of memory");
		goto free_bufs;
	}
	rc = k->fn(&cx, argc, argv);
	if (rc < 0 || rc == 1)          /* a walk's status leaking out: never expected */
		rc = fail(&cx, "internal error %d in %s", rc, kind);
free_bufs:
	free(cx.buf);
	free(cx.buf2);
	if (close(cx.fd) && !rc)
		rc = fail(&cx, "cannot close %s: %s", path, strerror(errno));
close_db:
	free(cx.trees);
	ese_catalog_free(cx.cat);
	ese_db_close(cx.db);
	return rc;
}

#ifndef ESE_CORRUPT_NO_MAIN

static void usage(FILE *f)
{
	fputs("usage: ese-corrupt KIND SRC DST [ARGS]\n"
	      "       ese-corrupt --kinds | --help\n"
	      "Copies SRC to DST and damages DST in one named, deterministic way; prints one line\n"
	      "\"KIND: page P ... (objid O, table T)\" saying what it did.  Without ARGS the kind\n"
	      "picks its own target.  Exit: 0 done, 2 usage or I/O error, 3 the kind does not\n"
	      "apply to this database.\n\nKinds:\n",
	      f);
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		fprintf(f, "  %-15s %-24s %s\n", kinds[i].name, kinds[i].args, kinds[i].help);
}

static int copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY);
	if (in < 0)
		return -1;
	int out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (out < 0) {
		close(in);
		return -1;
	}
	static char buf[1 << 16];
	ssize_t n;
	int bad = 0;
	while (!bad && (n = read(in, buf, sizeof(buf))) > 0)
		bad = write(out, buf, (size_t)n) != n;
	bad |= n < 0;
	close(in);
	return close(out) || bad ? -1 : 0;
}

int main(int argc, char **argv)
{
	if (argc == 2 && (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h"))) {
		usage(stdout);
		return 0;
	}
	if (argc == 2 && !strcmp(argv[1], "--kinds")) {
		for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
			puts(kinds[i].name);
		return 0;
	}
	if (argc < 4) {
		usage(stderr);
		return ERR;
	}
	const char *kind = argv[1], *src = argv[2], *dst = argv[3];
	const struct kind *k = kind_find(kind);
	if (!k) {
		fprintf(stderr, "ese-corrupt: unknown kind '%s' (ese-corrupt --kinds lists them)\n", kind);
		return ERR;
	}
	if (argc - 4 > k->maxargs) {
		fprintf(stderr, "ese-corrupt: usage: ese-corrupt %s SRC DST %s\n", k->name, k->args);
		return ERR;
	}
	struct stat a, b;
	if (stat(src, &a)) {
		fprintf(stderr, "ese-corrupt: cannot read '%s': %s\n", src, strerror(errno));
		return ERR;
	}
	if (!stat(dst, &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
		fprintf(stderr, "ese-corrupt: '%s' and '%s' are the same file; the source is never touched\n", src,
		        dst);
		return ERR;
	}
	if (copy_file(src, dst)) {
		fprintf(stderr, "ese-corrupt: cannot copy '%s' to '%s': %s\n", src, dst, strerror(errno));
		return ERR;
	}
	char what[1024];
	int rc = ese_corrupt_apply(kind, dst, argc - 4, argv + 4, what, sizeof(what));
	if (rc) {
		fprintf(stderr, "ese-corrupt: %s\n", what);
		unlink(dst);
		return rc;
	}
	puts(what);
	return fflush(stdout) ? ERR : 0;
}

#endif /* ESE_CORRUPT_NO_MAIN */
