/*
 * update.c - change records and index entries in place (include/ese_update.h).
 *
 * One call runs over one context in three steps:
 *
 *  build     the new record from the old one: fixed values of their exact
 *            size are patched into a copy of its bytes; anything else is a
 *            full re-encoding (ese_record_encode) of the old values with the
 *            given ones replaced, allowed only when the encoder reproduces
 *            the old record byte for byte from its own values.  The keys of
 *            every secondary index a given column takes part in are computed
 *            for the old and the new record; their difference is the plan:
 *            entries to remove, entries to add.
 *  simulate  on private copies of the pages (the working set), read from the
 *            file: the record's node gets the new data, old entries leave
 *            their leaves, new ones enter theirs.  Every page is re-laid by
 *            the page builder from its nodes, as delete.c does (invariant 1
 *            there); a page its nodes no longer fit in is refused.
 *  write     every changed copy, through the session (ese_delete_write_pages:
 *            dbtime, checksum, page order, header Dirty first, journal).
 *
 * Invariants:
 *  1. no page is split, merged, allocated or freed here; a leaf keeps its
 *     tag 0, its flags, its siblings; the nodes it keeps keep their keys and
 *     data (and prefix compression over 2 bytes);
 *  2. a new entry goes to the leaf the descent through the separators leads
 *     to (the first separator above its bookmark; equal keys go right), so
 *     every separator of every parent stays a valid bound; separators are
 *     never changed;
 *  3. a leaf other than the root is never left without nodes: a removal
 *     that would empty one is done by the deleter instead (which unlinks
 *     and frees the page), before the rest, and the plan is simulated again
 *     on the result;
 *  4. a call that fails before its write changed nothing in the file (bar 3).
 */
#include "ese_update.h"
#include "ese_catalog.h"
#include "ese_cursor.h"
#include "ese_db.h"
#include "ese_key.h"
#include "ese_lv.h"
#include "ese_page.h"
#include "ese_record.h"
#include "ese_sbuf.h"
#include "bytes.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#define MAXD ESE_CURSOR_MAX_DEPTH
#define BM_MAX (2 * ESE_KEY_MAX)

/* A page of the working set: a private copy, dirty once changed. */
struct upage {
	uint32_t pgno;
	int dirty;
	uint8_t *buf;
};

/* A B-tree: its root, owner and whether its bookmark is the key alone. */
struct utree {
	uint32_t root, objid;
	int unique;
	const char *table, *name;
};

struct upath {
	int depth;
	uint32_t pgno[MAXD];
};

struct uctx {
	ese_deleter *d;
	ese_db *db;
	uint32_t ps, npages;
	int large;
	struct upage **ws;
	size_t nws, capws;
	uint8_t *tmp;             /* builder scratch page */
	uint8_t *kbuf;            /* scratch key */
	uint8_t *bm;              /* scratch bookmark */
};

/* ---- context and working set ----------------------------------------------- */

static int ctx_init(struct uctx *c, ese_deleter *d, ese_status *st)
{
	memset(c, 0, sizeof(*c));
	c->d = d;
	c->db = ese_delete_db(d);
	c->ps = ese_db_page_size(c->db);
	c->npages = ese_delete_page_count(d);
	c->large = ese_page_is_large(c->ps);
	c->tmp = malloc(c->ps);
	c->kbuf = malloc(BM_MAX);
	c->bm = malloc(BM_MAX);
	if (!c->tmp || !c->kbuf || !c->bm)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	return 0;
}

static void ws_reset(struct uctx *c)
{
	for (size_t i = 0; i < c->nws; i++) {
		free(c->ws[i]->buf);
		free(c->ws[i]);
	}
	c->nws = 0;
}

static void ctx_free(struct uctx *c)
{
	ws_reset(c);
	free(c->ws);
	free(c->tmp);
	free(c->kbuf);
	free(c->bm);
}

static int ws_get(struct uctx *c, uint32_t pgno, struct upage **out, ese_status *st)
{
	for (size_t i = 0; i < c->nws; i++)
		if (c->ws[i]->pgno == pgno) {
			*out = c->ws[i];
			return 0;
		}
	if (c->nws == c->capws) {
		size_t cap = c->capws ? c->capws * 2 : 16;
		struct upage **p = realloc(c->ws, cap * sizeof(*p));
		if (!p)
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		c->ws = p;
		c->capws = cap;
	}
	struct upage *w = calloc(1, sizeof(*w));
	if (!w || !(w->buf = malloc(c->ps))) {
		free(w);
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	w->pgno = pgno;
	int err = ese_db_read_page(c->db, pgno, w->buf, st);
	if (err) {
		free(w->buf);
		free(w);
		return err;
	}
	c->ws[c->nws++] = w;
	*out = w;
	return 0;
}

/* Writes every dirty copy through the session, then empties the set. */
static int ws_write(struct uctx *c, ese_status *st)
{
	uint32_t *pgnos = malloc((c->nws + 1) * sizeof(*pgnos));
	const uint8_t **bufs = malloc((c->nws + 1) * sizeof(*bufs));
	int err = 0;
	size_t k = 0;
	if (!pgnos || !bufs) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < c->nws; i++)
		if (c->ws[i]->dirty) {
			pgnos[k] = c->ws[i]->pgno;
			bufs[k++] = c->ws[i]->buf;
		}
	if (k)
		err = ese_delete_write_pages(c->d, k, pgnos, bufs, st);
out:
	free(pgnos);
	free(bufs);
	ws_reset(c);
	return err;
}

/* ---- trees ------------------------------------------------------------------------ */

/* The working copy of pgno as a page of tree tr, parsed into pg. */
static int tree_page(struct uctx *c, const struct utree *tr, uint32_t pgno, struct upage **w, ese_page *pg,
                     ese_status *st)
{
	if (pgno == 0 || pgno > c->npages)
		return ese_fail(st, JET_errBadPageLink, pgno, "%s %s: page %u is outside the file (%u pages)", tr->table,
		                tr->name, pgno, c->npages);
	int err = ws_get(c, pgno, w, st);
	if (err || (err = ese_page_parse(pg, (*w)->buf, c->ps, pgno, st)))
		return err;
	if (pg->objid != tr->objid)
		return ese_fail(st, JET_errBadPageLink, pgno, "%s %s: page %u belongs to objid %u, not %u", tr->table,
		                tr->name, pgno, pg->objid, tr->objid);
	if (pg->flags & ESE_PF_EMPTY)
		return ese_fail(st, JET_errBadPageLink, pgno, "%s %s: page %u is a freed page inside the tree", tr->table,
		                tr->name, pgno);
	return 0;
}

/* Descends tr from its root to the leaf whose range holds bm (invariant 2):
 * at each internal page the first node whose key is above bm, else the
 * last.  Checks owner, root flag, depth and that no page repeats. */
static int descend(struct uctx *c, const struct utree *tr, const uint8_t *bm, size_t bmlen, struct upath *p,
                   ese_status *st)
{
	p->pgno[0] = tr->root;
	for (int lv = 0;; lv++) {
		struct upage *w;
		ese_page pg;
		uint32_t pgno = p->pgno[lv];
		for (int k = 0; k < lv; k++)
			if (p->pgno[k] == pgno)
				return ese_fail(st, JET_errBadPageLink, pgno, "%s %s: page %u is its own ancestor", tr->table,
				                tr->name, pgno);
		int err = tree_page(c, tr, pgno, &w, &pg, st);
		if (err)
			return err;
		if (!!(pg.flags & ESE_PF_ROOT) != (lv == 0))
			return ese_fail(st, JET_errBadPageLink, pgno, "%s %s: page %u has %s root flag", tr->table, tr->name,
			                pgno, lv ? "a" : "no");
		if (pg.flags & ESE_PF_LEAF) {
			p->depth = lv + 1;
			return 0;
		}
		if (pg.ntags < 2)
			return ese_fail(st, JET_errDatabaseCorrupted, pgno, "%s %s: internal page %u has no nodes", tr->table,
			                tr->name, pgno);
		if (lv + 1 >= MAXD)
			return ese_fail(st, JET_errBadPageLink, pgno, "%s %s: deeper than %d levels", tr->table, tr->name, MAXD);
		unsigned i = 1;
		ese_node n;
		for (; i + 1 < pg.ntags; i++) {
			if ((err = ese_page_node(&pg, pgno, i, &n, st)))
				return err;
			if (ese_node_keycmp(&n, bm, bmlen) > 0)
				break;
		}
		if ((err = ese_page_node(&pg, pgno, i, &n, st)))
			return err;
		if (n.data_len < 4)
			return ese_fail(st, JET_errDatabaseCorrupted, pgno, "page %u: internal node %u has no child page", pgno,
			                i);
		p->pgno[lv + 1] = get_le32(n.data);
	}
}

/* In leaf w of tr: *found = the live node whose bookmark equals bm (0 when
 * none), *ins = where a node with bookmark bm goes (before node *ins;
 * ntags = at the end), *live = live nodes on the page.  For a unique tree
 * bm is the key. */
static int leaf_search(struct uctx *c, const struct utree *tr, struct upage *w, const uint8_t *bm, size_t bmlen,
                       unsigned *found, unsigned *ins, unsigned *live, ese_status *st)
{
	ese_page pg;
	int err = ese_page_parse(&pg, w->buf, c->ps, w->pgno, st);
	if (err)
		return err;
	*found = 0;
	*ins = pg.ntags;
	*live = 0;
	for (unsigned i = 1; i < pg.ntags; i++) {
		ese_node n;
		size_t len = 0;
		if ((err = ese_node_bookmark(&pg, w->pgno, i, tr->unique, ESE_KEY_MAX, c->kbuf, &len, &n, st)))
			return err;
		if (n.flags & ESE_NODE_DELETED)
			continue;
		(*live)++;
		int r = ese_key_compare(c->kbuf, len, bm, bmlen);
		if (r == 0 && !*found)
			*found = i;
		if (r > 0 && *ins == pg.ntags)
			*ins = i;
	}
	return 0;
}

/* Re-lays w from its live nodes: node `drop` left out, node `repl` given
 * data rd[0..rdl), a new node (key nk, data nd) placed before node `ins`
 * (0: no new node; ntags: at the end).  Returns 0, 1 when the nodes do not
 * fit (w unchanged), or an error. */
static int relay(struct uctx *c, struct upage *w, unsigned drop, unsigned repl, const uint8_t *rd, size_t rdl,
                 unsigned ins, const uint8_t *nk, size_t nkl, const uint8_t *nd, size_t ndl, ese_status *st)
{
	ese_page pg;
	ese_tag t0;
	int err = ese_page_parse(&pg, w->buf, c->ps, w->pgno, st);
	if (err || (err = ese_page_tag(&pg, w->pgno, 0, &t0, st)))
		return err;
	/* the new node's key bytes shared with the page's key prefix */
	size_t npre = 0;
	if (ins) {
		while (npre < nkl && npre < pg.prefix_len && nk[npre] == pg.prefix[npre])
			npre++;
		if (npre <= 2)
			npre = 0;         /* 1-2 byte prefixes are stored whole */
	}
	ese_page_builder pb;
	ese_pb_init(&pb, c->tmp, c->ps, pg.objid, pg.flags & ~ESE_PF_FLUSH_TYPE, pg.dbtime, w->buf + t0.off, t0.len);
	for (unsigned i = 1; i <= pg.ntags; i++) {
		if (ins && i == ins && ese_pb_add_node(&pb, nk, nkl, npre, nd, ndl))
			return 1;
		if (i == pg.ntags || i == drop)
			continue;
		ese_node n;
		if ((err = ese_page_node(&pg, w->pgno, i, &n, st)))
			return err;
		if (n.flags & ESE_NODE_DELETED)
			continue;
		size_t klen = ese_node_key(&n, c->kbuf, BM_MAX);
		if (klen == (size_t)-1)
			return ese_fail(st, JET_errDatabaseCorrupted, w->pgno, "page %u: node %u key too long", w->pgno, i);
		size_t pre = n.prefix_len > 2 ? n.prefix_len : 0;
		const uint8_t *data = i == repl ? rd : n.data;
		size_t dlen = i == repl ? rdl : n.data_len;
		if (ese_pb_add_node(&pb, c->kbuf, klen, pre, data, dlen))
			return 1;
	}
	ese_pb_finish(&pb, pg.prev, pg.next);
	memcpy(w->buf, c->tmp, c->ps);
	w->dirty = 1;
	return 0;
}

static int is_root(const struct upage *w) { return (get_le32(w->buf + 36) & ESE_PF_ROOT) != 0; }

/* ---- catalog helpers ----------------------------------------------------------------- */

static const ese_index *find_secondary(const ese_table *t, const char *name)
{
	for (size_t i = 0; i < t->nindexes; i++)
		if (t->indexes[i].name && !strcasecmp(t->indexes[i].name, name) && t->indexes[i].objid != t->objid &&
		    t->indexes[i].pgno_fdp != t->pgno_fdp)
			return &t->indexes[i];
	return NULL;
}

static int is_secondary(const ese_table *t, const ese_index *ix)
{
	return ix->objid != t->objid && ix->pgno_fdp != t->pgno_fdp;
}

/* The key spec of ix from its own catalog record, else from ese_index. */
static void index_spec(struct uctx *c, const ese_table *t, const ese_index *ix, ese_key_spec *spec)
{
	ese_key_spec_from_index(spec, ix);
	uint8_t key[ESE_KEY_CATALOG_ID_LEN];
	ese_key_catalog_id(key, t->objid, ESE_SYSOBJ_INDEX, ix->objid);
	ese_cursor *cur;
	ese_status tmp = { 0 };
	if (ese_cursor_open(c->db, 4, 2, &cur, &tmp) != 0)
		return;
	size_t kl, dl;
	if (ese_cursor_seek(cur, key, sizeof(key), &tmp) == 0) {
		const uint8_t *k = ese_cursor_key(cur, &kl), *dt = ese_cursor_data(cur, &dl);
		ese_record r;
		ese_key_spec s;
		if (kl == sizeof(key) && !memcmp(k, key, kl) && ese_record_parse(&r, dt, dl, c->large, &tmp) == 0 &&
		    ese_key_spec_from_catalog(&s, &r, &tmp) == 0)
			*spec = s;
	}
	ese_cursor_close(cur);
}

struct lvctx {
	ese_db *db;
	const ese_table *t;
};

static int lv_reader(void *ctx, const uint8_t *lid, size_t lidlen, ese_sbuf *out, ese_status *st)
{
	struct lvctx *l = ctx;
	return ese_lv_read(l->db, l->t, lid, lidlen, out, NULL, st);
}

/* A fixed column's stored size: its type's, or the catalog's (fixed Text
 * and Binary). */
static size_t fixed_size(const ese_column *col)
{
	size_t n = ese_coltyp_fixed_size(col->coltyp);
	return n ? n : col->size;
}

/* ---- finding a record ---------------------------------------------------------------- */

/* The leaf copy and node index of the record with primary key pk. */
static int find_record(struct uctx *c, const ese_table *t, const uint8_t *pk, size_t pklen, struct upage **w,
                       unsigned *idx, ese_status *st)
{
	struct utree tr = { t->pgno_fdp, t->objid, 1, t->name, "data" };
	struct upath p;
	unsigned ins, live;
	int err = descend(c, &tr, pk, pklen, &p, st);
	if (err || (err = ws_get(c, p.pgno[p.depth - 1], w, st)) ||
	    (err = leaf_search(c, &tr, *w, pk, pklen, idx, &ins, &live, st)))
		return err;
	if (!*idx)
		return ese_fail(st, JET_errRecordNotFound, 0, "table %s: no record with that key", t->name);
	return 0;
}

/* ---- adding and removing index entries (in the working set) ------------------------- */

/* The bookmark of entry (key, pk) in tree tr into c->bm. */
static size_t make_bm(struct uctx *c, const struct utree *tr, const uint8_t *key, size_t klen, const uint8_t *pk,
                      size_t pklen)
{
	memcpy(c->bm, key, klen);
	if (tr->unique)
		return klen;
	memcpy(c->bm + klen, pk, pklen);
	return klen + pklen;
}

enum { ENTRY_DONE = 0, ENTRY_ABSENT = 1, ENTRY_PRESENT = 2, ENTRY_EMPTIED = 3, ENTRY_FULL = 4 };

/* simulate: the new record does not fit in the room its leaf has */
enum { SIM_RECORD_FULL = 5 };

/* Adds entry (key, pk) to tr: ENTRY_DONE, ENTRY_PRESENT (already there, for
 * this record), ENTRY_FULL (its leaf has no room; nothing changed), or an
 * error (JET_errKeyDuplicate: a unique key taken by another record). */
static int entry_add(struct uctx *c, const struct utree *tr, const uint8_t *key, size_t klen, const uint8_t *pk,
                     size_t pklen, ese_status *st)
{
	size_t bml = make_bm(c, tr, key, klen, pk, pklen);
	struct upath p;
	struct upage *w;
	unsigned found, ins, live;
	int err = descend(c, tr, c->bm, bml, &p, st);
	if (err || (err = ws_get(c, p.pgno[p.depth - 1], &w, st)))
		return err;
	/* leaf_search overwrites c->kbuf only; the bookmark is in c->bm */
	if ((err = leaf_search(c, tr, w, c->bm, bml, &found, &ins, &live, st)))
		return err;
	if (found) {
		if (!tr->unique)
			return ENTRY_PRESENT;
		ese_page pg;
		ese_node n;
		if ((err = ese_page_parse(&pg, w->buf, c->ps, w->pgno, st)) ||
		    (err = ese_page_node(&pg, w->pgno, found, &n, st)))
			return err;
		if (n.data_len == pklen && !memcmp(n.data, pk, pklen))
			return ENTRY_PRESENT;
		return ese_fail(st, JET_errKeyDuplicate, w->pgno, "table %s index %s: the key is taken by another record",
		                tr->table, tr->name);
	}
	/* c->bm must survive relay (which uses c->kbuf): key is its first klen bytes */
	err = relay(c, w, 0, 0, NULL, 0, ins, c->bm, klen, pk, pklen, st);
	if (err == 1)
		return ENTRY_FULL;
	return err ? err : ENTRY_DONE;
}

/* Removes entry (key, pk) from tr: ENTRY_DONE, ENTRY_ABSENT (not there),
 * ENTRY_EMPTIED (done, and its non-root leaf is now empty: *leaf set), or
 * an error. */
static int entry_remove(struct uctx *c, const struct utree *tr, const uint8_t *key, size_t klen, const uint8_t *pk,
                        size_t pklen, uint32_t *leaf, ese_status *st)
{
	size_t bml = make_bm(c, tr, key, klen, pk, pklen);
	struct upath p;
	struct upage *w;
	unsigned found, ins, live;
	int err = descend(c, tr, c->bm, bml, &p, st);
	if (err || (err = ws_get(c, p.pgno[p.depth - 1], &w, st)) ||
	    (err = leaf_search(c, tr, w, c->bm, bml, &found, &ins, &live, st)))
		return err;
	if (!found)
		return ENTRY_ABSENT;
	if (tr->unique) {
		ese_page pg;
		ese_node n;
		if ((err = ese_page_parse(&pg, w->buf, c->ps, w->pgno, st)) ||
		    (err = ese_page_node(&pg, w->pgno, found, &n, st)))
			return err;
		if (n.data_len != pklen || memcmp(n.data, pk, pklen))
			return ENTRY_ABSENT;    /* the key belongs to another record */
	}
	err = relay(c, w, found, 0, NULL, 0, 0, NULL, 0, NULL, 0, st);
	if (err == 1)
		return ese_fail(st, JET_errDatabaseCorrupted, w->pgno, "page %u: its nodes do not fit when re-laid", w->pgno);
	if (err)
		return err;
	if (live == 1 && !is_root(w)) {
		*leaf = w->pgno;
		return ENTRY_EMPTIED;
	}
	return ENTRY_DONE;
}

/* Number of live nodes on the working copy of pgno. */
static int live_nodes(struct uctx *c, uint32_t pgno, unsigned *live, ese_status *st)
{
	struct upage *w;
	ese_page pg;
	int err = ws_get(c, pgno, &w, st);
	if (err || (err = ese_page_parse(&pg, w->buf, c->ps, pgno, st)))
		return err;
	*live = 0;
	for (unsigned i = 1; i < pg.ntags; i++) {
		ese_node n;
		if ((err = ese_page_node(&pg, pgno, i, &n, st)))
			return err;
		*live += !(n.flags & ESE_NODE_DELETED);
	}
	return 0;
}

/* ---- building the new record -------------------------------------------------------- */

/* The values of record r as ese_values (every stored column, NULLs and the
 * bytes under NULL fixed columns included), into *out (malloc'd, with
 * instance arrays in *inst). */
static int record_values(const ese_table *t, const ese_record *r, ese_value **out, size_t *nout, ese_instance **inst,
                         ese_status *st)
{
	size_t cap = t->ncolumns + r->ntagged + 1, n = 0, ninst = 0, capinst = 0;
	int err = 0;
	ese_value *v = calloc(cap, sizeof(*v));
	*inst = NULL;
	if (!v)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	/* instances first counted, so the array never moves once pointed at */
	for (size_t i = 0; i < r->ntagged; i++) {
		uint32_t fid;
		ese_colval cv;
		if ((err = ese_record_tagged_at(r, i, &fid, &cv, st)))
			goto fail;
		if (cv.present && (cv.header & (ESE_TAG_MULTI | ESE_TAG_TWO_VALUES)))
			capinst += ese_colval_count(&cv);
	}
	if (capinst && !(*inst = calloc(capinst, sizeof(**inst)))) {
		free(v);
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	size_t nullbytes = (r->fixed_last + 7) / 8;
	for (size_t k = 0; k < t->ncolumns; k++) {
		const ese_column *col = &t->columns[k];
		ese_value *x = &v[n];
		memset(x, 0, sizeof(*x));
		x->columnid = col->id;
		if (col->id >= 1 && col->id <= 127) {
			if (col->id > r->fixed_last)
				continue;
			const uint8_t *bitmap = r->data + r->fixed_end - nullbytes;
			size_t off = col->record_offset, sz = fixed_size(col);
			int null = (bitmap[(col->id - 1) / 8] >> ((col->id - 1) % 8)) & 1;
			int inside = off >= 4 && off + sz <= r->fixed_end - nullbytes;
			if (null) {
				x->is_null = 1;
				if (inside) {
					x->data = r->data + off;
					x->len = sz;
				}
			} else {
				if (!inside) {
					err = ese_fail(st, JET_errDatabaseCorrupted, 0, "table %s column %u lies outside the record",
					               t->name, col->id);
					goto fail;
				}
				x->data = r->data + off;
				x->len = sz;
			}
			n++;
		} else if (col->id >= 128 && col->id <= 255) {
			if (col->id > r->var_last)
				continue;
			ese_colval cv;
			if ((err = ese_record_get(r, t, col, &cv, st)))
				goto fail;
			uint16_t endw = get_le16(r->data + r->fixed_end + 2 * (col->id - 128));
			if (endw & 0x8000) {
				x->is_null = 1;
			} else {
				x->data = cv.len ? cv.data : r->data;
				x->len = cv.len;
			}
			n++;
		}
	}
	/* tagged entries, in their stored order */
	const uint8_t *ta = r->data + r->tagged;
	for (size_t i = 0; i < r->ntagged; i++) {
		uint32_t fid;
		ese_colval cv;
		if ((err = ese_record_tagged_at(r, i, &fid, &cv, st)))
			goto fail;
		uint16_t ib = get_le16(ta + 4 * i + 2);
		ese_value *x = &v[n++];
		memset(x, 0, sizeof(*x));
		x->columnid = fid;
		x->derived = (ib & 0x8000) != 0;
		x->tag_flags = cv.header;
		if ((!r->large && (ib & 0x2000)) || (cv.header & ESE_TAG_NULL)) {
			x->is_null = 1;
			x->tag_flags = 0;
			continue;
		}
		if (cv.header & (ESE_TAG_MULTI | ESE_TAG_TWO_VALUES)) {
			size_t cnt = ese_colval_count(&cv);
			x->instances = *inst + ninst;
			x->ninstances = cnt;
			for (size_t k = 0; k < cnt; k++) {
				ese_instance *in = &(*inst)[ninst++];
				if ((err = ese_colval_instance(&cv, k, &in->data, &in->len, &in->separated, st)))
					goto fail;
			}
			continue;
		}
		x->data = cv.len ? cv.data : r->data;
		x->len = cv.len;
	}
	*out = v;
	*nout = n;
	return 0;
fail:
	free(v);
	free(*inst);
	*inst = NULL;
	return err;
}

/* 1 if tagged value v (as stored in r, or as given) holds a separated long value. */
static int holds_separated(const ese_value *v)
{
	if (v->is_null)
		return 0;
	if (v->ninstances) {
		for (size_t i = 0; i < v->ninstances; i++)
			if (v->instances[i].separated)
				return 1;
		return 0;
	}
	return (v->tag_flags & ESE_TAG_SEPARATED) != 0;
}

/* 1 if the long value lid exists in t's long-value tree (0 if not, -1
 * with st set if the tree cannot be read). */
static int lv_exists(struct uctx *c, const ese_table *t, uint32_t lid, ese_status *st)
{
	if (!t->lv_pgno_fdp)
		return 0;
	ese_cursor *cur;
	if (ese_cursor_open(c->db, t->lv_pgno_fdp, t->lv_objid, &cur, st))
		return -1;
	uint8_t key[4];
	put_be32(key, lid);
	int err = ese_cursor_seek(cur, key, 4, st), found = 0;
	if (err == 0) {
		size_t kl;
		const uint8_t *k = ese_cursor_key(cur, &kl);
		found = kl == 4 && !memcmp(k, key, 4);
	} else if (err == JET_errRecordNotFound) {
		err = 0;
	}
	ese_cursor_close(cur);
	return err ? -1 : found;
}

/* Stored tagged value v without its references to long values that do
 * not exist (4-byte LIDs; ESE_UPDATE_NULL_MISSING_LV): *out is v with the
 * instances it keeps (compacted in place in v's instance array, which the
 * caller owns), or NULL (is_null) when none is kept, or v itself when none
 * is dangling.  0, or -1 with st set when the long-value tree cannot be
 * read. */
static int drop_dangling(struct uctx *c, const ese_table *t, const ese_value *v, ese_value *out, ese_status *st)
{
	ese_instance *keep = (ese_instance *)v->instances;
	size_t n = v->ninstances ? v->ninstances : 1, kept = 0, dropped = 0;
	int first_dropped = 0;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *p = v->ninstances ? v->instances[i].data : v->data;
		size_t len = v->ninstances ? v->instances[i].len : v->len;
		int sep = v->ninstances ? v->instances[i].separated : (v->tag_flags & ESE_TAG_SEPARATED) != 0;
		int e = sep && len == 4 ? lv_exists(c, t, get_le32(p), st) : 1;
		if (e < 0)
			return -1;
		if (!e) {
			dropped++;
			first_dropped |= i == 0;
			continue;
		}
		if (v->ninstances)
			keep[kept++] = v->instances[i];
		else
			kept++;
	}
	*out = *v;
	if (!dropped)
		return 0;
	if (!kept) {
		memset(out, 0, sizeof(*out));
		out->columnid = v->columnid;
		out->derived = v->derived;
		out->is_null = 1;
		return 0;
	}
	/* fewer values: the encoder chooses their form again, as ESE does; a
	 * compressed first value is kept only if it is still first */
	out->instances = keep;
	out->ninstances = kept;
	out->tag_flags &= (uint8_t) ~(ESE_TAG_MULTI | ESE_TAG_TWO_VALUES | (first_dropped ? ESE_TAG_COMPRESSED : 0));
	return 0;
}

/* The new record into out: fast path (fixed values patched) when it
 * applies, else re-encoding (see the top of the file). */
static int build_record(struct uctx *c, const ese_table *t, const ese_record *r, const ese_value *vals, size_t nvals,
                        unsigned flags, ese_sbuf *out, int *in_place, ese_status *st)
{
	/* fast path: every value a non-NULL fixed one of its exact size, held */
	int fast = 1;
	for (size_t i = 0; i < nvals && fast; i++) {
		const ese_column *col = ese_table_find_column(t, vals[i].columnid);
		size_t nullbytes = (r->fixed_last + 7) / 8;
		fast = col && col->id <= 127 && !vals[i].is_null && !vals[i].ninstances && vals[i].data &&
		       vals[i].len == fixed_size(col) && col->id <= r->fixed_last && col->record_offset >= 4 &&
		       col->record_offset + fixed_size(col) <= r->fixed_end - nullbytes;
	}
	if (fast) {
		ese_sbuf_reset(out);
		ese_sbuf_put(out, r->data, r->len);
		if (out->oom)
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		uint8_t *p = (uint8_t *)out->data;
		size_t nullbytes = (r->fixed_last + 7) / 8;
		for (size_t i = 0; i < nvals; i++) {
			const ese_column *col = ese_table_find_column(t, vals[i].columnid);
			uint8_t *at = p + col->record_offset;
			if (col->coltyp == JET_coltypBit)
				*at = vals[i].data[0] ? 0xFF : 0x00;
			else
				memcpy(at, vals[i].data, vals[i].len);
			p[r->fixed_end - nullbytes + (col->id - 1) / 8] &= (uint8_t)~(1u << ((col->id - 1) % 8));
		}
		*in_place = 1;
		return 0;
	}
	*in_place = 0;
	ese_value *old = NULL, *merged = NULL;
	ese_instance *inst = NULL;
	size_t nold = 0;
	int err = record_values(t, r, &old, &nold, &inst, st);
	if (err)
		goto out;
	/* the encoder must give back the old record from its own values */
	static const unsigned modes[] = { 0, ESE_ENCODE_NULLPAD_CLEAR };
	unsigned mode = 0;
	int same = 0;
	for (size_t m = 0; m < 2 && !same; m++) {
		ese_sbuf_reset(out);
		ese_status tmp = { 0 };
		if (ese_record_encode(out, t, old, nold, c->ps, modes[m], &tmp) == 0 && out->len == r->len &&
		    !memcmp(out->data, r->data, r->len)) {
			same = 1;
			mode = modes[m];
		}
	}
	if (!same) {
		err = ese_fail(st, JET_errFeatureNotAvailable, 0,
		               "table %s: the record's layout is not one the encoder reproduces; it is not re-encoded",
		               t->name);
		goto out;
	}
	/* the old values, the given ones replacing theirs or added */
	if (!(merged = calloc(nold + nvals + 1, sizeof(*merged)))) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	size_t n = 0;
	for (size_t i = 0; i < nold; i++) {
		const ese_value *given = NULL;
		for (size_t k = 0; k < nvals && !given; k++)
			if (vals[k].columnid == old[i].columnid)
				given = &vals[k];
		if (given && old[i].columnid >= 256 && holds_separated(&old[i])) {
			if (!((flags & ESE_UPDATE_NULL_MISSING_LV) && given->is_null)) {
				err = ese_fail(st, JET_errFeatureNotAvailable, 0,
				               "table %s column %u: its value is a separated long value; replacing it is not "
				               "supported (only dropping references to long values that do not exist)",
				               t->name, old[i].columnid);
				goto out;
			}
			/* NULL with ESE_UPDATE_NULL_MISSING_LV: the dangling references
			 * go, every other value stays (its long value keeps its count) */
			if (drop_dangling(c, t, &old[i], &merged[n++], st)) {
				err = st && st->err ? st->err : JET_errDatabaseCorrupted;
				goto out;
			}
			continue;
		}
		if (!given) {
			merged[n++] = old[i];
			continue;
		}
		merged[n] = *given;
		if (old[i].columnid >= 256)
			merged[n].derived = old[i].derived;
		n++;
	}
	for (size_t k = 0; k < nvals; k++) {
		int had = 0;
		for (size_t i = 0; i < nold && !had; i++)
			had = old[i].columnid == vals[k].columnid;
		if (!had)
			merged[n++] = vals[k];
	}
	ese_sbuf_reset(out);
	err = ese_record_encode(out, t, merged, n, c->ps, mode, st);
out:
	free(old);
	free(merged);
	free(inst);
	return err;
}

/* ---- the plan of index changes ------------------------------------------------------- */

struct ichange {
	const ese_index *ix;
	struct utree tr;
	uint8_t *key;
	size_t klen;
	int add;                  /* 1 add, 0 remove */
	int done;                 /* removed already by the deleter (invariant 3) */
	int split;                /* an addition whose leaf is full: inserted by
	                           * the session after the rest is written */
};

struct iplan {
	struct ichange *v;
	size_t n, cap;
};

static void iplan_free(struct iplan *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		free(pl->v[i].key);
	free(pl->v);
	memset(pl, 0, sizeof(*pl));
}

static int iplan_push(struct iplan *pl, const ese_index *ix, const struct utree *tr, const uint8_t *k, size_t kl,
                      int add)
{
	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 8;
		struct ichange *p = realloc(pl->v, cap * sizeof(*p));
		if (!p)
			return -1;
		pl->v = p;
		pl->cap = cap;
	}
	uint8_t *copy = malloc(kl ? kl : 1);
	if (!copy)
		return -1;
	memcpy(copy, k, kl);
	pl->v[pl->n++] = (struct ichange){ ix, *tr, copy, kl, add, 0, 0 };
	return 0;
}

static int keylist_has(const ese_keylist *kl, const uint8_t *k, size_t len)
{
	for (size_t i = 0; i < kl->n; i++) {
		size_t l;
		const uint8_t *x = ese_keylist_key(kl, i, &l);
		if (l == len && !memcmp(x, k, len))
			return 1;
	}
	return 0;
}

/* 1 if a column of vals is a segment or a conditional column of ix. */
static int index_touched(const ese_index *ix, const ese_key_spec *spec, const ese_value *vals, size_t nvals)
{
	for (size_t k = 0; k < nvals; k++) {
		for (size_t s = 0; s < ix->nsegs; s++)
			if (ix->segs[s].columnid == vals[k].columnid)
				return 1;
		for (size_t s = 0; s < spec->ncond; s++)
			if (spec->cond[s].columnid == vals[k].columnid)
				return 1;
	}
	return 0;
}

/* The index entries the change from record ro to rn removes and adds. */
static int plan_indexes(struct uctx *c, const ese_table *t, const ese_record *ro, const ese_record *rn,
                        const ese_value *vals, size_t nvals, struct iplan *pl, ese_status *st)
{
	ese_keylist ko, kn;
	ese_keylist_init(&ko);
	ese_keylist_init(&kn);
	struct lvctx lc = { c->db, t };
	int err = 0;
	for (size_t x = 0; x < t->nindexes && !err; x++) {
		const ese_index *ix = &t->indexes[x];
		if (!is_secondary(t, ix))
			continue;
		ese_key_spec spec;
		index_spec(c, t, ix, &spec);
		if (!index_touched(ix, &spec, vals, nvals))
			continue;
		if ((err = ese_index_keys(t, ix, &spec, ro, lv_reader, &lc, &ko, st)) ||
		    (err = ese_index_keys(t, ix, &spec, rn, lv_reader, &lc, &kn, st))) {
			if (st && st->err == err)
				break;
			err = ese_fail(st, err, 0, "table %s index %s: the key cannot be computed", t->name, ix->name);
			break;
		}
		struct utree tr = { ix->pgno_fdp, ix->objid, (ix->flags & ESE_IDX_UNIQUE) != 0, t->name, ix->name };
		for (size_t i = 0; i < ko.n && !err; i++) {
			size_t l;
			const uint8_t *k = ese_keylist_key(&ko, i, &l);
			if (!keylist_has(&kn, k, l) && iplan_push(pl, ix, &tr, k, l, 0))
				err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		}
		for (size_t i = 0; i < kn.n && !err; i++) {
			size_t l;
			const uint8_t *k = ese_keylist_key(&kn, i, &l);
			if (!keylist_has(&ko, k, l) && iplan_push(pl, ix, &tr, k, l, 1))
				err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		}
	}
	ese_keylist_free(&ko);
	ese_keylist_free(&kn);
	return err;
}

/* ---- the API ------------------------------------------------------------------------- */

/* One simulation of the whole change on fresh copies (see the top of the
 * file).  *deferred receives how many removals would empty a leaf: those
 * are marked and nothing should be written. */
static int simulate(struct uctx *c, const ese_table *t, const uint8_t *pk, size_t pklen, const uint8_t *rec,
                    size_t rlen, struct iplan *pl, unsigned flags, ese_update_info *info, size_t *deferred,
                    int *defer_mark, ese_status *st)
{
	*deferred = 0;
	struct upage *w;
	unsigned idx;
	int err = find_record(c, t, pk, pklen, &w, &idx, st);
	if (err)
		return err;
	err = relay(c, w, 0, idx, rec, rlen, 0, NULL, 0, NULL, 0, st);
	if (err == 1)
		return SIM_RECORD_FULL;
	if (err)
		return err;
	uint32_t *emptied = calloc(pl->n + 1, sizeof(*emptied));
	if (!emptied)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	/* removals first: they make the room additions to the same leaf need */
	for (size_t i = 0; i < pl->n && !err; i++) {
		struct ichange *ch = &pl->v[i];
		defer_mark[i] = 0;
		if (ch->add || ch->done)
			continue;
		int r = entry_remove(c, &ch->tr, ch->key, ch->klen, pk, pklen, &emptied[i], st);
		if (r < 0) {
			err = r;
		} else if (r == ENTRY_ABSENT) {
			if (!(flags & ESE_UPDATE_LENIENT))
				err = ese_fail(st, JET_errSecondaryIndexCorrupted, ch->tr.root,
				               "table %s index %s: no entry for the record being updated", t->name, ch->tr.name);
			else
				info->missing++;
		} else {
			info->index_removed++;
		}
	}
	for (size_t i = 0; i < pl->n && !err; i++) {
		struct ichange *ch = &pl->v[i];
		if (!ch->add)
			continue;
		ch->split = 0;
		int r = entry_add(c, &ch->tr, ch->key, ch->klen, pk, pklen, st);
		if (r < 0) {
			err = r;
		} else if (r == ENTRY_FULL) {
			ch->split = 1;    /* after the rest: update_with */
		} else if (r == ENTRY_PRESENT) {
			if (!(flags & ESE_UPDATE_LENIENT))
				err = ese_fail(st, JET_errKeyDuplicate, ch->tr.root,
				               "table %s index %s: the record's new entry is already there", t->name, ch->tr.name);
			else
				info->present++;
		} else {
			info->index_added++;
		}
	}
	/* a leaf emptied by a removal and not refilled by an addition */
	for (size_t i = 0; i < pl->n && !err; i++) {
		if (!emptied[i])
			continue;
		unsigned live;
		if ((err = live_nodes(c, emptied[i], &live, st)))
			break;
		if (live == 0) {
			defer_mark[i] = 1;
			(*deferred)++;
		}
	}
	free(emptied);
	return err;
}

static int update_with(ese_deleter *d, const ese_table *t, const uint8_t *pk, size_t pklen, const ese_value *vals,
                       size_t nvals, unsigned flags, const uint8_t *raw, size_t rawlen, ese_update_info *info,
                       ese_status *st);

int ese_update_record(ese_deleter *d, const char *table, const uint8_t *pk, size_t pklen, const ese_value *vals,
                      size_t nvals, unsigned flags, ese_update_info *info, ese_status *st)
{
	ese_update_info local;
	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	const ese_catalog *cat = ese_delete_catalog(d);
	const ese_table *t = ese_catalog_find_table(cat, table);
	if (!t)
		return ese_fail(st, JET_errObjectNotFound, 0, "no table %s", table);
	if (pklen == 0 || pklen > ESE_KEY_MAX)
		return ese_fail(st, JET_errRecordNotFound, 0, "table %s: a key of %zu bytes names no record", t->name, pklen);
	/* the columns given: known, once each, none of the primary key */
	for (size_t i = 0; i < nvals; i++) {
		const ese_column *col = ese_table_find_column(t, vals[i].columnid);
		if (!col)
			return ese_fail(st, JET_errColumnNotFound, 0, "table %s has no column %u", t->name, vals[i].columnid);
		if (vals[i].is_null && (col->flags & ESE_COL_NOT_NULL))
			return ese_fail(st, JET_errNullInvalid, 0, "table %s column %s is NOT NULL", t->name,
			                col->name ? col->name : "?");
		for (size_t k = 0; k < i; k++)
			if (vals[k].columnid == vals[i].columnid)
				return ese_fail(st, JET_errInvalidParameter, 0, "table %s: column %u given twice", t->name,
				                vals[i].columnid);
		for (size_t x = 0; x < t->nindexes; x++) {
			const ese_index *ix = &t->indexes[x];
			if (is_secondary(t, ix))
				continue;
			for (size_t s = 0; s < ix->nsegs; s++)
				if (ix->segs[s].columnid == vals[i].columnid)
					return ese_fail(st, JET_errRecordPrimaryChanged, 0,
					                "table %s: column %u is part of the primary key", t->name, vals[i].columnid);
		}
		if (vals[i].columnid >= 256 && holds_separated(&vals[i]))
			return ese_fail(st, JET_errFeatureNotAvailable, 0,
			                "table %s column %u: setting a separated long value is not supported", t->name,
			                vals[i].columnid);
	}
	return update_with(d, t, pk, pklen, vals, nvals, flags, NULL, 0, info, st);
}

/* 1 if record r holds a separated long value in any tagged column (-1 if
 * its tagged area cannot be read). */
static int record_has_separated(const ese_record *r)
{
	for (size_t i = 0; i < r->ntagged; i++) {
		uint32_t fid;
		ese_colval v;
		if (ese_record_tagged_at(r, i, &fid, &v, NULL))
			return -1;
		size_t cnt = v.present ? ese_colval_count(&v) : 0;
		for (size_t k = 0; k < cnt; k++) {
			const uint8_t *p;
			size_t n;
			int sep;
			if (ese_colval_instance(&v, k, &p, &n, &sep, NULL))
				return -1;
			if (sep)
				return 1;
		}
	}
	return 0;
}

/* The change itself: the record at pk becomes the one build_record makes
 * from vals, or, when raw is not NULL, the bytes raw[0..rawlen) (then
 * vals lists every column, so that every secondary index is looked at). */
static int update_with(ese_deleter *d, const ese_table *t, const uint8_t *pk, size_t pklen, const ese_value *vals,
                       size_t nvals, unsigned flags, const uint8_t *raw, size_t rawlen, ese_update_info *info,
                       ese_status *st)
{
	struct uctx c;
	struct iplan pl = { 0 };
	ese_sbuf nrec;
	ese_sbuf_init(&nrec);
	uint8_t *old = NULL;
	int *marks = NULL;
	uint64_t written0 = ese_delete_get_stats(d)->pages_written;
	int err = ctx_init(&c, d, st);
	if (err)
		goto out;
	/* the old record, copied (its page is re-laid below) */
	struct upage *w;
	unsigned idx;
	if ((err = find_record(&c, t, pk, pklen, &w, &idx, st)))
		goto out;
	ese_page pg;
	ese_node nd;
	if ((err = ese_page_parse(&pg, w->buf, c.ps, w->pgno, st)) || (err = ese_page_node(&pg, w->pgno, idx, &nd, st)))
		goto out;
	if (!(old = malloc(nd.data_len ? nd.data_len : 1))) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	memcpy(old, nd.data, nd.data_len);
	info->old_len = nd.data_len;
	ws_reset(&c);
	ese_record ro, rn;
	if ((err = ese_record_parse(&ro, old, info->old_len, c.large, st)))
		goto out;
	if (raw) {
		/* a whole record: it must decode, keep the primary key, and
		 * neither it nor the old one may hold a long value (counts) */
		ese_record rr;
		if ((err = ese_record_parse(&rr, raw, rawlen, c.large, st)))
			goto out;
		if (record_has_separated(&ro) || record_has_separated(&rr)) {
			err = ese_fail(st, JET_errFeatureNotAvailable, w->pgno,
			               "table %s: a record holding long values is not replaced whole", t->name);
			goto out;
		}
		for (size_t x = 0; x < t->nindexes && !err; x++) {
			const ese_index *ix = &t->indexes[x];
			if (is_secondary(t, ix))
				continue;
			ese_key_spec spec;
			ese_keylist kl;
			ese_keylist_init(&kl);
			index_spec(&c, t, ix, &spec);
			size_t l = 0;
			const uint8_t *k = NULL;
			if (!(err = ese_index_keys(t, ix, &spec, &rr, NULL, NULL, &kl, st)) && kl.n == 1)
				k = ese_keylist_key(&kl, 0, &l);
			if (!err && (!k || l != pklen || memcmp(k, pk, pklen)))
				err = ese_fail(st, JET_errRecordPrimaryChanged, w->pgno,
				               "table %s: the new record has another primary key", t->name);
			ese_keylist_free(&kl);
		}
		if (err)
			goto out;
		ese_sbuf_put(&nrec, raw, rawlen);
		if (rawlen > ese_record_max_size(t, c.ps)) {
			err = ese_fail(st, JET_errRecordTooBig, w->pgno, "table %s: a record of %zu bytes", t->name, rawlen);
			goto out;
		}
	} else if ((err = build_record(&c, t, &ro, vals, nvals, flags, &nrec, &info->in_place, st))) {
		goto out;
	}
	if (nrec.oom) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	info->new_len = nrec.len;
	int rec_changed = nrec.len != info->old_len || memcmp(nrec.data, old, nrec.len) != 0;
	if (!rec_changed)
		goto out;             /* STYLE 12: a page whose bytes would not change is not written */
	if ((err = ese_record_parse(&rn, (const uint8_t *)nrec.data, nrec.len, c.large, st)) ||
	    (err = plan_indexes(&c, t, &ro, &rn, vals, nvals, &pl, st)))
		goto out;
	if (!(marks = calloc(pl.n + 1, sizeof(*marks)))) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	/* simulate; removals that would empty a leaf go to the deleter first
	 * (invariant 3), then simulate again on what it left */
	for (int splits = 0;;) {
		size_t deferred = 0;
		ese_update_info trial = *info;
		ws_reset(&c);
		err = simulate(&c, t, pk, pklen, (const uint8_t *)nrec.data, nrec.len, &pl, flags, &trial, &deferred, marks,
		               st);
		if (err == SIM_RECORD_FULL) {
			/* the new record does not fit its leaf: the session splits
			 * that leaf (written at once), then everything is planned again */
			ws_reset(&c);
			if (splits++ >= 3) {
				err = ese_fail(st, JET_errRecordTooBig, 0,
				               "table %s: the new record (%zu bytes) does not fit in its leaf even after splits",
				               t->name, nrec.len);
				goto out;
			}
			if ((err = ese_delete_split_leaf(d, t->name, pk, pklen, st)))
				goto out;
			continue;
		}
		if (err)
			goto out;
		if (!deferred) {
			*info = trial;
			break;
		}
		ws_reset(&c);
		for (size_t i = 0; i < pl.n; i++) {
			if (!marks[i])
				continue;
			struct ichange *ch = &pl.v[i];
			if ((err = ese_delete_index_entry(d, t->name, ch->ix->name, ch->key, ch->klen, pk, pklen, st)))
				goto out;
			ch->done = 1;
			info->index_removed++;
		}
	}
	err = ws_write(&c, st);
	if (!err)
		info->changed = 1;
	/* new entries whose leaves are full: the session inserts them,
	 * splitting pages (the record and the other entries are written) */
	for (size_t i = 0; i < pl.n && !err; i++) {
		struct ichange *ch = &pl.v[i];
		if (!ch->add || !ch->split)
			continue;
		if (!(err = ese_delete_insert_entry(d, t->name, ch->ix->name, ch->key, ch->klen, pk, pklen, st)))
			info->index_added++;
	}
out:
	info->pages_written = (unsigned)(ese_delete_get_stats(d)->pages_written - written0);
	ctx_free(&c);
	iplan_free(&pl);
	ese_sbuf_free(&nrec);
	free(old);
	free(marks);
	return err;
}

int ese_update_replace_record(ese_deleter *d, const char *table, const uint8_t *pk, size_t pklen, const uint8_t *rec,
                              size_t len, ese_update_info *info, ese_status *st)
{
	ese_update_info local;
	if (!info)
		info = &local;
	memset(info, 0, sizeof(*info));
	const ese_table *t = ese_catalog_find_table(ese_delete_catalog(d), table);
	if (!t)
		return ese_fail(st, JET_errObjectNotFound, 0, "no table %s", table);
	if (pklen == 0 || pklen > ESE_KEY_MAX)
		return ese_fail(st, JET_errRecordNotFound, 0, "table %s: a key of %zu bytes names no record", t->name, pklen);
	/* every column "given": every secondary index is compared */
	ese_value *vals = calloc(t->ncolumns ? t->ncolumns : 1, sizeof(*vals));
	if (!vals)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	for (size_t i = 0; i < t->ncolumns; i++)
		vals[i].columnid = t->columns[i].id;
	int err = update_with(d, t, pk, pklen, vals, t->ncolumns, 0, rec, len, info, st);
	free(vals);
	return err;
}

int ese_update_column(ese_deleter *d, const char *table, const uint8_t *pk, size_t pklen, const char *column,
                      const void *value, size_t len, ese_status *st)
{
	const ese_table *t = ese_catalog_find_table(ese_delete_catalog(d), table);
	if (!t)
		return ese_fail(st, JET_errObjectNotFound, 0, "no table %s", table);
	const ese_column *col = NULL;
	for (size_t i = 0; i < t->ncolumns && !col; i++)
		if (t->columns[i].name && !strcasecmp(t->columns[i].name, column))
			col = &t->columns[i];
	if (!col)
		return ese_fail(st, JET_errColumnNotFound, 0, "table %s has no column %s", t->name, column);
	ese_value v;
	memset(&v, 0, sizeof(v));
	v.columnid = col->id;
	v.data = value;
	v.len = value ? len : 0;
	v.is_null = value == NULL;
	return ese_update_record(d, table, pk, pklen, &v, 1, 0, NULL, st);
}

int ese_insert_index_entry(ese_deleter *d, const char *table, const char *index, const uint8_t *key, size_t klen,
                           const uint8_t *data, size_t dlen, ese_status *st)
{
	const ese_table *t = ese_catalog_find_table(ese_delete_catalog(d), table);
	if (!t)
		return ese_fail(st, JET_errObjectNotFound, 0, "no table %s", table);
	const ese_index *ix = find_secondary(t, index);
	if (!ix)
		return ese_fail(st, JET_errIndexNotFound, 0, "table %s has no secondary index %s", t->name, index);
	if (klen == 0 || klen > ESE_KEY_MOST_MAX || dlen == 0 || dlen > ESE_KEY_MOST_MAX)
		return ese_fail(st, JET_errInvalidParameter, 0, "table %s index %s: an entry of key %zu and data %zu bytes",
		                t->name, ix->name, klen, dlen);
	struct uctx c;
	int err = ctx_init(&c, d, st);
	if (err)
		goto out;
	/* the record it points at must exist */
	struct upage *w;
	unsigned idx;
	if ((err = find_record(&c, t, data, dlen, &w, &idx, st)))
		goto out;
	struct utree tr = { ix->pgno_fdp, ix->objid, (ix->flags & ESE_IDX_UNIQUE) != 0, t->name, ix->name };
	int r = entry_add(&c, &tr, key, klen, data, dlen, st);
	if (r == ENTRY_PRESENT) {
		err = ese_fail(st, JET_errKeyDuplicate, 0, "table %s index %s: the entry is there already", t->name,
		               ix->name);
	} else if (r == ENTRY_FULL) {
		/* the leaf is full: the session splits it (nothing planned here) */
		ws_reset(&c);
		err = ese_delete_insert_entry(d, t->name, ix->name, key, klen, data, dlen, st);
	} else if (r < 0) {
		err = r;
	} else {
		err = ws_write(&c, st);
	}
out:
	ctx_free(&c);
	return err;
}

/* ---- the header's repair bookkeeping -------------------------------------------------- */

int ese_update_lv_refcount(ese_deleter *d, const char *table, uint32_t lid, uint32_t refcount, ese_status *st)
{
	const ese_table *t = ese_catalog_find_table(ese_delete_catalog(d), table);
	if (!t)
		return ese_fail(st, JET_errObjectNotFound, 0, "no table %s", table);
	if (!t->lv_pgno_fdp)
		return ese_fail(st, JET_errRecordNotFound, 0, "table %s has no long values", t->name);
	struct utree tr = { t->lv_pgno_fdp, t->lv_objid, 1, t->name, "long values" };
	uint8_t key[4];
	put_be32(key, lid);
	struct uctx c;
	struct upath p;
	struct upage *w;
	ese_page pg;
	ese_node nd;
	unsigned idx, ins, live;
	int err = ctx_init(&c, d, st);
	if (err || (err = descend(&c, &tr, key, sizeof(key), &p, st)) ||
	    (err = ws_get(&c, p.pgno[p.depth - 1], &w, st)) ||
	    (err = leaf_search(&c, &tr, w, key, sizeof(key), &idx, &ins, &live, st)))
		goto out;
	if (!idx) {
		err = ese_fail(st, JET_errRecordNotFound, 0, "table %s: no long value %u", t->name, lid);
		goto out;
	}
	if ((err = ese_page_parse(&pg, w->buf, c.ps, w->pgno, st)) || (err = ese_page_node(&pg, w->pgno, idx, &nd, st)))
		goto out;
	if (nd.data_len < 8) {
		err = ese_fail(st, JET_errDatabaseCorrupted, w->pgno, "table %s: long value %u: root of %zu bytes", t->name,
		               lid, (size_t)nd.data_len);
		goto out;
	}
	if (get_le32(nd.data) == refcount)
		goto out;             /* STYLE 12: a page whose bytes would not change is not written */
	put_le32(w->buf + (nd.data - w->buf), refcount);
	w->dirty = 1;
	err = ws_write(&c, st);
out:
	ctx_free(&c);
	return err;
}

int ese_update_mark_repaired(const char *path, ese_journal *j, const ese_logtime *when, ese_status *st)
{
	ese_db *db;
	int err = ese_db_open(path, ESE_OPEN_RDWR, &db, st);
	if (err)
		return err;
	ese_dbheader h = *ese_db_header(db);
	uint32_t ps = ese_db_page_size(db);
	uint8_t *page = NULL;
	if (h.state != ESE_DBSTATE_CLEAN) {
		err = ese_fail(st, JET_errDatabaseDirtyShutdown, 0, "%s: database is in state %u (%s), not Clean Shutdown",
		               path, h.state, ese_dbstate_name(h.state));
		goto out;
	}
	if (!(page = malloc(ps))) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	h.repair_count++;
	if (when)
		h.time_repair = *when;
	else
		ese_logtime_now(&h.time_repair);
	ese_dbheader_encode(&h, page, ps);
	if (j) {
		err = ese_journal_write_header(j, page, st);
	} else {
		for (int copy = 0; copy < 2 && !err; copy++) {
			size_t done = 0;
			while (done < ps) {
				ssize_t r = pwrite(ese_db_fd(db), page + done, ps - done, (off_t)((uint64_t)copy * ps + done));
				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0) {
					int e = r < 0 ? errno : ENOSPC;
					err = ese_fail(st, e == ENOSPC ? JET_errDiskFull : JET_errDiskIO, 0, "%s: writing the header: %s",
					               path, strerror(e));
					break;
				}
				done += (size_t)r;
			}
		}
	}
	if (!err && fsync(ese_db_fd(db)) != 0)
		err = ese_fail(st, JET_errDiskIO, 0, "%s: fsync: %s", path, strerror(errno));
out:
	free(page);
	ese_db_close(db);
	return err;
}
