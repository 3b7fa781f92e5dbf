/*
 * delete.c - delete records in place (include/ese_delete.h).
 *
 * One call of ese_delete_record runs in two phases over one context:
 *
 *  plan   (reads only, from the file): find the record in the table's data
 *         tree; compute its key in every secondary index (ese_index_keys,
 *         spec from the index's own catalog record) and check that each
 *         entry is there; an index whose key cannot be computed, or is not
 *         found, is searched entry by entry for data == primary key; list
 *         the separated long values the record references.
 *  apply  (in memory): every page is changed in a private copy (the
 *         working set), through the same descent as the plan but over the
 *         copies, so that later steps see earlier ones.  Only when all
 *         steps succeeded are the dirty copies stamped (new dbtime,
 *         checksum) and written, in page order.  On failure the copies are
 *         dropped and the file is as it was.
 *
 * Invariants every write keeps (the ones common/integrity.c proves):
 *  1. a page is re-laid by the page builder from its remaining nodes: tag 0
 *     unchanged, each node keeps its key, data and (when over 2 bytes) its
 *     prefix compression against tag 0; cbFree, ibMicFree and itagMicFree
 *     are exact; nodes flagged deleted are dropped, version flags cleared;
 *  2. only emptied pages leave a tree: a non-root leaf is unlinked from
 *     both siblings, then its pointer leaves its parent; a parent left
 *     without children leaves its own parent the same way; a root left
 *     without children becomes an empty leaf (flags Root|Leaf);
 *  3. removing the LAST node of an internal page gives the new last node
 *     the removed node's key (the page's upper bound: its separator in its
 *     parent, or empty on the right spine), so every child stays within
 *     its bounds and the right spine keeps its empty keys (ESE bt.cxx);
 *  4. an emptied page is flagged Empty (its bytes otherwise kept) and added
 *     to the available space of the tree that owns it: a bit in a single-
 *     extent root's bitmap, or a node of its available-extent tree (key =
 *     last page of the extent, 4 bytes big-endian; data = page count),
 *     merged with an available neighbour that lies in the same owned
 *     extent.  A full leaf of that tree makes it grow by one step, with
 *     the freed page itself as the new page (a split whose parent has
 *     room, or the root's nodes moved down a level): the page becomes a
 *     space page instead of an extent.  Pages the tree gives up when an
 *     extent goes are added to it once that change is complete.  Pages of
 *     that tree are re-laid from copies of their nodes (struct mpage), each
 *     key compressed as far as the page's tag 0 allows;
 *  5. every written page gets a dbtime above the header's, and the header
 *     gets the last one at close (ese_delete.h: Dirty first, Clean last).
 *  6. (issue 6) with a journal attached, no page or header copy is written
 *     before its before-image is durable in the journal (ese_journal.h);
 *     pages other modules change (update.c) are written by the same
 *     ws_flush, so they obey 5 and 6 too.
 */
#include "ese_delete.h"
#include "ese_checksum.h"
#include "ese_cursor.h"
#include "ese_db.h"
#include "ese_key.h"
#include "ese_lv.h"
#include "ese_page.h"
#include "ese_record.h"
#include "node.h"
#include "bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAXD ESE_CURSOR_MAX_DEPTH
#define BM_MAX (2 * ESE_KEY_MAX)

/* A page of the working set: a private copy, dirty once changed. */
struct wpage {
	uint32_t pgno;
	int dirty;
	uint8_t *buf;
};

/* A B-tree, and the object whose space its emptied pages return to (the
 * tree itself: every page of a tree is owned by its own object). */
struct tree {
	uint32_t root, objid;
	int unique;               /* bookmark = key; else key || data */
	const char *table, *name; /* for messages */
	uint32_t space_root;      /* a space tree: the root of the tree whose
	                           * space it records (0 for other trees) */
};

/* The way down to one leaf entry: pgno and node taken at each level. */
struct path {
	int depth;                /* levels in use: 0 root .. depth-1 leaf */
	uint32_t pgno[MAXD];
	unsigned idx[MAXD];
};

/* The key spec of one secondary index, read once from the catalog. */
struct spec_cache {
	uint32_t objid;
	int from_catalog;
	ese_key_spec spec;
};

struct ese_deleter {
	ese_db *db;
	ese_catalog *cat;
	unsigned flags;
	uint32_t ps, npages;
	int large;
	ese_dbheader hdr;         /* as read at open */
	uint64_t dbtime;          /* the last dbtime stamped */
	int marked_dirty;         /* the header on disk says Dirty */
	int broken;               /* a write failed: refuse further work */
	ese_journal *journal;     /* issue 6: writes go through it when set */
	struct wpage **ws;
	size_t nws, capws;
	uint8_t *tmp;             /* scratch page for the builder */
	uint8_t *kbuf;            /* scratch key */
	struct spec_cache *specs;
	size_t nspecs;
	uint32_t *pend;           /* pages a space tree gave up, to add to it */
	size_t npend, cappend;
	ese_delete_stats stats;
};

/* ---- working set ------------------------------------------------------ */

static struct wpage *ws_find(ese_deleter *d, uint32_t pgno)
{
	for (size_t i = 0; i < d->nws; i++)
		if (d->ws[i]->pgno == pgno)
			return d->ws[i];
	return NULL;
}

/* A new slot of the working set for pgno (its buffer uninitialised). */
static int ws_add(ese_deleter *d, uint32_t pgno, struct wpage **out, ese_status *st)
{
	if (d->nws == d->capws) {
		size_t cap = d->capws ? d->capws * 2 : 32;
		struct wpage **p = realloc(d->ws, cap * sizeof(*p));
		if (!p)
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		d->ws = p;
		d->capws = cap;
	}
	struct wpage *w = calloc(1, sizeof(*w));
	if (!w || !(w->buf = malloc(d->ps))) {
		free(w);
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	w->pgno = pgno;
	d->ws[d->nws++] = w;
	*out = w;
	return 0;
}

/* The working copy of pgno, read from the file the first time. */
static int ws_get(ese_deleter *d, uint32_t pgno, struct wpage **out, ese_status *st)
{
	struct wpage *w = ws_find(d, pgno);
	if (w) {
		*out = w;
		return 0;
	}
	int err = ws_add(d, pgno, &w, st);
	if (err)
		return err;
	if ((err = ese_db_read_page(d->db, pgno, w->buf, st))) {
		d->nws--;
		free(w->buf);
		free(w);
		return err;
	}
	*out = w;
	return 0;
}

/* The working copy of a page about to be laid out anew (a page just taken
 * from available space): the copy already in the set, else a zeroed one.
 * Its bytes in the file (perhaps never written, perhaps past the end of
 * the file) are not read. */
static int ws_new(ese_deleter *d, uint32_t pgno, struct wpage **out, ese_status *st)
{
	if ((*out = ws_find(d, pgno)))
		return 0;
	int err = ws_add(d, pgno, out, st);
	if (!err) {
		memset((*out)->buf, 0, d->ps);
		(*out)->dirty = 1;
	}
	return err;
}

static void ws_discard(ese_deleter *d)
{
	for (size_t i = 0; i < d->nws; i++) {
		free(d->ws[i]->buf);
		free(d->ws[i]);
	}
	d->nws = 0;
}

static int pwrite_full(int fd, const uint8_t *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pwrite(fd, buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? errno : ENOSPC;
		done += (size_t)r;
	}
	return 0;
}

static int io_error(ese_deleter *d, ese_status *st, int e, uint32_t pgno, const char *what)
{
	d->broken = 1;
	return ese_fail(st, e == ENOSPC || e == EDQUOT || e == EFBIG ? JET_errDiskFull : JET_errDiskIO, pgno,
	                "%s: %s: %s", ese_db_path(d->db), what, strerror(e));
}

/* Both header copies with state and the current dbtime, then fsync. */
static int write_header(ese_deleter *d, uint32_t state, ese_status *st)
{
	ese_dbheader h = d->hdr;
	h.state = state;
	h.dbtime = d->dbtime;
	int e = 0;
	ese_dbheader_encode(&h, d->tmp, d->ps);
	if (d->journal) {
		/* issue 6: both copies journaled first (once per pass) */
		int err = ese_journal_write_header(d->journal, d->tmp, st);
		if (err) {
			d->broken = 1;
			return err;
		}
	}
	for (int copy = 0; copy < 2 && !e && !d->journal; copy++)
		e = pwrite_full(ese_db_fd(d->db), d->tmp, d->ps, (uint64_t)copy * d->ps);
	if (e)
		return io_error(d, st, e, 0, "writing the header");
	if (fsync(ese_db_fd(d->db)) != 0)
		return io_error(d, st, errno, 0, "fsync");
	return 0;
}

static int cmp_wpage(const void *a, const void *b)
{
	const struct wpage *x = *(const struct wpage *const *)a, *y = *(const struct wpage *const *)b;
	return x->pgno < y->pgno ? -1 : x->pgno > y->pgno;
}

/* issue 6: the stamped dirty pages of the working set, through the
 * journal: every before-image appended and fsynced once, then the pages
 * written in page order. */
static int ws_flush_journal(ese_deleter *d, size_t ndirty, ese_status *st)
{
	uint32_t *pgnos = malloc(ndirty * sizeof(*pgnos));
	uint8_t **bufs = malloc(ndirty * sizeof(*bufs));
	int err = 0;
	if (!pgnos || !bufs) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	size_t k = 0;
	for (size_t i = 0; i < d->nws; i++)
		if (d->ws[i]->dirty) {
			pgnos[k] = d->ws[i]->pgno;
			bufs[k++] = d->ws[i]->buf;
		}
	if ((err = ese_journal_write_pages(d->journal, k, pgnos, bufs, st)))
		d->broken = 1;
	else
		d->stats.pages_written += k;
out:
	free(pgnos);
	free(bufs);
	return err;
}

/* The session took pages past the end of the file (grow_file): the file
 * is extended to hold them (allocated, so that a full disk shows here,
 * before any page is written), and the handle reads them from now on.
 * With a journal, rolling the pass back cuts the file back. */
static int grow(ese_deleter *d, ese_status *st)
{
	uint64_t old = ((uint64_t)ese_db_page_count(d->db) + 2) * d->ps, size = ((uint64_t)d->npages + 2) * d->ps;
	int e = posix_fallocate(ese_db_fd(d->db), (off_t)old, (off_t)(size - old));
	if (e)
		return io_error(d, st, e, 0, "growing the file");
	ese_db_grown(d->db, size);
	return 0;
}

/* Stamps and writes every dirty page in page order, then empties the
 * working set.  The first write of the session marks the header Dirty. */
static int ws_flush(ese_deleter *d, ese_status *st)
{
	int err = 0;
	size_t ndirty = 0;
	for (size_t i = 0; i < d->nws; i++)
		ndirty += d->ws[i]->dirty != 0;
	if (ndirty && !d->marked_dirty) {
		if ((err = write_header(d, ESE_DBSTATE_DIRTY, st)))
			goto out;
		d->marked_dirty = 1;
	}
	if (ndirty && d->npages > ese_db_page_count(d->db) && (err = grow(d, st)))
		goto out;
	if (d->nws > 1)
		qsort(d->ws, d->nws, sizeof(d->ws[0]), cmp_wpage);
	for (size_t i = 0; i < d->nws && !err; i++) {
		struct wpage *w = d->ws[i];
		if (!w->dirty)
			continue;
		put_le64(w->buf + 8, ++d->dbtime);
		/* flush type unknown: no lost-flush check against a flush map */
		put_le32(w->buf + 36, get_le32(w->buf + 36) & ~ESE_PF_FLUSH_TYPE);
		ese_checksum_set_page(w->buf, d->ps, w->pgno);
		if (d->journal)
			continue;         /* issue 6: written below, all at once */
		int e = pwrite_full(ese_db_fd(d->db), w->buf, d->ps, ((uint64_t)w->pgno + 1) * d->ps);
		if (e)
			err = io_error(d, st, e, w->pgno, "writing a page");
		else
			d->stats.pages_written++;
	}
	if (!err && d->journal && ndirty)
		err = ws_flush_journal(d, ndirty, st);
out:
	ws_discard(d);
	return err;
}

/* ---- pages of a tree -------------------------------------------------- */

/* The working copy of pgno as a page of tree tr, parsed into pg. */
static int tree_page(ese_deleter *d, const struct tree *tr, uint32_t pgno, struct wpage **w, ese_page *pg,
                     ese_status *st)
{
	if (pgno == 0 || pgno > d->npages)
		return ese_fail(st, JET_errBadPageLink, pgno, "%s %s: page %u is outside the file (%u pages)",
		                tr->table, tr->name, pgno, d->npages);
	int err = ws_get(d, pgno, w, st);
	if (err || (err = ese_page_parse(pg, (*w)->buf, d->ps, pgno, st)))
		return err;
	if (pg->objid != tr->objid)
		return ese_fail(st, JET_errBadPageLink, pgno, "%s %s: page %u belongs to objid %u, not %u", tr->table,
		                tr->name, pgno, pg->objid, tr->objid);
	if (pg->flags & ESE_PF_EMPTY)
		return ese_fail(st, JET_errBadPageLink, pgno, "%s %s: page %u is a freed page inside the tree", tr->table,
		                tr->name, pgno);
	return 0;
}

static int child_pgno(ese_deleter *d, const ese_page *pg, uint32_t pgno, unsigned i, uint32_t *child,
                      ese_status *st)
{
	ese_node n;
	int err = ese_page_node(pg, pgno, i, &n, st);
	if (err)
		return err;
	if (n.data_len < 4)
		return ese_fail(st, JET_errDatabaseCorrupted, pgno, "page %u: internal node %u has no child page", pgno, i);
	*child = get_le32(n.data);
	if (*child == 0 || *child > d->npages)
		return ese_fail(st, JET_errBadPageLink, pgno, "page %u: node %u points at page %u, outside the file", pgno, i,
		                *child);
	return 0;
}

/* Descends from level lv (p->pgno[lv] set) to a leaf: at each internal
 * level the child whose range holds bm, or the first child when bm is
 * NULL.  Checks owner, root flag, depth and that no page repeats. */
static int descend(ese_deleter *d, const struct tree *tr, struct path *p, int lv, const uint8_t *bm, size_t bmlen,
                   ese_status *st)
{
	for (;; lv++) {
		struct wpage *w;
		ese_page pg;
		uint32_t pgno = p->pgno[lv];
		for (int k = 0; k < lv; k++)
			if (p->pgno[k] == pgno)
				return ese_fail(st, JET_errBadPageLink, pgno, "%s %s: page %u is its own ancestor", tr->table,
				                tr->name, pgno);
		int err = tree_page(d, tr, pgno, &w, &pg, st);
		if (err)
			return err;
		if (!!(pg.flags & ESE_PF_ROOT) != (lv == 0))
			return ese_fail(st, JET_errBadPageLink, pgno, "%s %s: page %u has %s root flag", tr->table, tr->name,
			                pgno, lv ? "a" : "no");
		if (pg.flags & ESE_PF_LEAF) {
			p->depth = lv + 1;
			p->idx[lv] = 0;
			return 0;
		}
		if (pg.ntags < 2)
			return ese_fail(st, JET_errDatabaseCorrupted, pgno, "%s %s: internal page %u has no nodes", tr->table,
			                tr->name, pgno);
		if (lv + 1 >= MAXD)
			return ese_fail(st, JET_errBadPageLink, pgno, "%s %s: deeper than %d levels", tr->table, tr->name, MAXD);
		unsigned i = 1;
		if (bm) {
			/* the first separator above bm; keys equal to it live to the right */
			for (; i + 1 < pg.ntags; i++) {
				ese_node n;
				if ((err = ese_page_node(&pg, pgno, i, &n, st)))
					return err;
				if (ese_node_keycmp(&n, bm, bmlen) > 0)
					break;
			}
		}
		p->idx[lv] = i;
		if ((err = child_pgno(d, &pg, pgno, i, &p->pgno[lv + 1], st)))
			return err;
	}
}

/* Positions p on the first live entry whose bookmark is >= bm, copying
 * that bookmark to out[0..*outlen).  JET_errRecordNotFound when none. */
static int tree_seek(ese_deleter *d, const struct tree *tr, const uint8_t *bm, size_t bmlen, struct path *p,
                     uint8_t *out, size_t *outlen, ese_status *st)
{
	p->pgno[0] = tr->root;
	int err = descend(d, tr, p, 0, bm, bmlen, st);
	int from_start = 0;      /* on a later leaf: its first live entry qualifies */
	for (;;) {
		if (err)
			return err;
		int lv = p->depth - 1;
		struct wpage *w;
		ese_page pg;
		if ((err = tree_page(d, tr, p->pgno[lv], &w, &pg, st)))
			return err;
		for (unsigned i = 1; i < pg.ntags; i++) {
			ese_node n;
			if ((err = ese_node_bookmark(&pg, p->pgno[lv], i, tr->unique, ESE_KEY_MAX, out, outlen, &n, st)))
				return err;
			if (n.flags & ESE_NODE_DELETED)
				continue;
			if (from_start || ese_key_compare(out, *outlen, bm, bmlen) >= 0) {
				p->idx[lv] = i;
				return 0;
			}
		}
		/* nothing here: climb to the first ancestor with a next child */
		for (;;) {
			if (--lv < 0)
				return JET_errRecordNotFound;
			if ((err = tree_page(d, tr, p->pgno[lv], &w, &pg, st)))
				return err;
			if (p->idx[lv] + 1 < pg.ntags)
				break;
		}
		p->idx[lv]++;
		if ((err = child_pgno(d, &pg, p->pgno[lv], p->idx[lv], &p->pgno[lv + 1], st)))
			return err;
		err = descend(d, tr, p, lv + 1, NULL, 0, st);
		from_start = 1;
	}
}

/* Positions p on the live entry whose bookmark is exactly bm; 1 when
 * there is none, 0 when found, else an error. */
static int tree_find(ese_deleter *d, const struct tree *tr, const uint8_t *bm, size_t bmlen, struct path *p,
                     ese_status *st)
{
	size_t len;
	int err = tree_seek(d, tr, bm, bmlen, p, d->kbuf, &len, st);
	if (err == JET_errRecordNotFound)
		return 1;
	if (err)
		return err;
	return ese_key_compare(d->kbuf, len, bm, bmlen) != 0;
}

/* ---- re-laying a page ------------------------------------------------- */

/* Rebuilds w's page with flags `flags` from its nodes in order, less node
 * drop (0: none); node rekey (0: none) takes key nk[0..nklen), nkpre of
 * its bytes compressed against tag 0.  *left receives the nodes kept. */
static int relayout(ese_deleter *d, struct wpage *w, uint32_t flags, unsigned drop, unsigned rekey,
                    const uint8_t *nk, size_t nklen, size_t nkpre, unsigned *left, ese_status *st)
{
	ese_page pg;
	ese_tag t0;
	int err = ese_page_parse(&pg, w->buf, d->ps, w->pgno, st);
	if (err || (err = ese_page_tag(&pg, w->pgno, 0, &t0, st)))
		return err;
	ese_page_builder pb;
	ese_pb_init(&pb, d->tmp, d->ps, pg.objid, flags & ~ESE_PF_FLUSH_TYPE, pg.dbtime, w->buf + t0.off, t0.len);
	unsigned kept = 0;
	for (unsigned i = 1; i < pg.ntags; i++) {
		if (i == drop)
			continue;
		ese_node n;
		if ((err = ese_page_node(&pg, w->pgno, i, &n, st)))
			return err;
		if (n.flags & ESE_NODE_DELETED)
			continue;
		const uint8_t *key = nk;
		size_t klen = nklen, pre = nkpre;
		if (i != rekey) {
			if ((klen = ese_node_key(&n, d->kbuf, BM_MAX)) == (size_t)-1)
				return ese_fail(st, JET_errDatabaseCorrupted, w->pgno, "page %u: node %u key too long", w->pgno, i);
			key = d->kbuf;
			pre = n.prefix_len > 2 ? n.prefix_len : 0;   /* 1-2 byte prefixes are stored whole */
		}
		if (ese_pb_add_node(&pb, key, klen, pre, n.data, n.data_len))
			return ese_fail(st, JET_errDatabaseCorrupted, w->pgno, "page %u: its nodes do not fit when re-laid",
			                w->pgno);
		kept++;
	}
	ese_pb_finish(&pb, pg.prev, pg.next);
	memcpy(w->buf, d->tmp, d->ps);
	w->dirty = 1;
	if (left)
		*left = kept;
	return 0;
}

/* ---- available space -------------------------------------------------- */

/* The owned extent of the tree at pgno_oe that holds pgno: [*first, *last]
 * (read through the working set: an owned-extent tree may have grown). */
static int owned_extent(ese_deleter *d, const struct tree *tr, uint32_t pgno_oe, uint32_t pgno, uint32_t *first,
                        uint32_t *last, ese_status *st)
{
	struct tree oet = { pgno_oe, tr->objid, 1, tr->table, "space (owned extents)", tr->root };
	uint8_t key[4];
	size_t len;
	struct path p;
	put_be32(key, pgno);
	int err = tree_seek(d, &oet, key, sizeof(key), &p, d->kbuf, &len, st);
	if (err == 0 && len == 4) {
		struct wpage *w;
		ese_page pg;
		ese_node n;
		int lv = p.depth - 1;
		if ((err = tree_page(d, &oet, p.pgno[lv], &w, &pg, st)) ||
		    (err = ese_page_node(&pg, p.pgno[lv], p.idx[lv], &n, st)))
			return err;
		uint32_t l = get_be32(d->kbuf), c = n.data_len >= 4 ? get_le32(n.data) : 0;
		if (c && c <= l && pgno >= l - c + 1) {
			*first = l - c + 1;
			*last = l;
			return 0;
		}
	} else if (err && err != JET_errRecordNotFound) {
		return err;
	}
	return ese_fail(st, JET_errSPOwnExtCorrupted, pgno, "%s %s: page %u is not among the pages objid %u owns",
	                tr->table, tr->name, pgno, tr->objid);
}

/* The nodes of one page copied out of it (full keys, data, tag index), so
 * that the page can be re-laid from them with nodes added or changed. */
struct mnode {
	uint8_t *key, *data;
	size_t klen, dlen;
	unsigned tag;             /* 0 for a node added here */
};

struct mpage {
	struct mnode *n;
	size_t count, cap;
	uint8_t *arena;
	size_t used, size;
};

static void mpage_free(struct mpage *m)
{
	free(m->n);
	free(m->arena);
	memset(m, 0, sizeof(*m));
}

/* Loads the live nodes of page pg (pgno) with room for one node more of
 * up to `extra` bytes of key and data. */
/* An empty m with room for cap nodes of size bytes of keys and data. */
static int mpage_new(struct mpage *m, size_t cap, size_t size, ese_status *st)
{
	memset(m, 0, sizeof(*m));
	m->cap = cap;
	m->size = size;
	m->n = calloc(cap, sizeof(*m->n));
	m->arena = malloc(size);
	if (!m->n || !m->arena) {
		mpage_free(m);
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	return 0;
}

static int mpage_load(const ese_page *pg, uint32_t pgno, size_t extra, struct mpage *m, ese_status *st)
{
	/* suffixes and data lie within the page; each key adds at most the
	 * page's prefix */
	size_t total = extra + pg->size + (size_t)pg->ntags * pg->prefix_len;
	int err = mpage_new(m, pg->ntags + 1u, total, st);
	if (err)
		return err;
	for (unsigned i = 1; i < pg->ntags; i++) {
		ese_node n;
		if ((err = ese_page_node(pg, pgno, i, &n, st)))
			break;
		if (n.flags & ESE_NODE_DELETED)
			continue;
		if (n.prefix_len + n.suffix_len + n.data_len > m->size - extra - m->used) {
			/* only lines that overlap can add up to more than the page */
			err = ese_fail(st, JET_errDatabaseCorrupted, pgno, "page %u: node %u overlaps others", pgno, i);
			break;
		}
		struct mnode *e = &m->n[m->count++];
		e->key = m->arena + m->used;
		e->klen = ese_node_key(&n, e->key, m->size - m->used);
		m->used += e->klen;
		e->data = m->arena + m->used;
		e->dlen = n.data_len;
		memcpy(e->data, n.data, n.data_len);
		m->used += n.data_len;
		e->tag = i;
	}
	if (err)
		mpage_free(m);
	return err;
}

/* Inserts a node at position at (0-based among the loaded nodes). */
static void mpage_insert(struct mpage *m, size_t at, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen)
{
	memmove(&m->n[at + 1], &m->n[at], (m->count - at) * sizeof(*m->n));
	struct mnode *e = &m->n[at];
	e->key = m->arena + m->used;
	if (klen)
		memcpy(e->key, key, klen);
	e->klen = klen;
	m->used += klen;
	e->data = m->arena + m->used;
	if (dlen)
		memcpy(e->data, data, dlen);
	e->dlen = dlen;
	m->used += dlen;
	e->tag = 0;
	m->count++;
}

/* The loaded node that was tag `tag` of its page, or -1. */
static long mpage_find_tag(const struct mpage *m, unsigned tag)
{
	for (size_t i = 0; i < m->count; i++)
		if (m->n[i].tag == tag)
			return (long)i;
	return -1;
}

/* Lays out w as a page of objid with flags, tag 0's line t0 (node keys
 * compress against its bytes after the first `skip`: a space-tree root's
 * split buffer), nodes [from, to) of m and the sibling links.  Returns 1,
 * leaving w unchanged, when they do not fit. */
static int mpage_lay(ese_deleter *d, struct wpage *w, uint32_t objid, uint32_t flags, const uint8_t *t0,
                     size_t t0len, size_t skip, const struct mpage *m, size_t from, size_t to, uint32_t prev,
                     uint32_t next)
{
	static const uint8_t none[1];
	if (!t0len)
		t0 = none;            /* never NULL into the builder's copy */
	ese_page_builder pb;
	ese_pb_init(&pb, d->tmp, d->ps, objid, flags & ~(ESE_PF_FLUSH_TYPE | ESE_PF_EMPTY), get_le64(w->buf + 8), t0,
	            t0len);
	const uint8_t *pfx = t0 + skip;
	size_t plen = t0len - skip;
	for (size_t i = from; i < to; i++) {
		const struct mnode *e = &m->n[i];
		size_t c = ese_key_lcp(e->key, e->klen, pfx, plen);
		if (ese_pb_add_node(&pb, e->key, e->klen, c > 2 ? c : 0, e->data, e->dlen))
			return 1;
	}
	ese_pb_finish(&pb, prev, next);
	memcpy(w->buf, d->tmp, d->ps);
	w->dirty = 1;
	return 0;
}

/* Re-lays w (parsed as pg) in place from m: same flags, tag 0 and links. */
static int mpage_relay(ese_deleter *d, struct wpage *w, const ese_page *pg, const struct mpage *m, ese_status *st)
{
	ese_tag t0;
	int err = ese_page_tag(pg, w->pgno, 0, &t0, st);
	if (err)
		return err;
	return mpage_lay(d, w, pg->objid, pg->flags, w->buf + t0.off, t0.len, t0.len - pg->prefix_len, m, 0, m->count,
	                 pg->prev, pg->next);
}

static int tree_remove(ese_deleter *d, const struct tree *tr, struct path *p, ese_status *st);

/* The extent of the available-extent leaf entry p is on: *last and *cpg,
 * *w its page and *data its page count's bytes (for a change in place).
 * *regular is 0 for what is not an ordinary extent: a key that is not 4
 * bytes (ESE's space pools) or ESE's empty placeholder (count 0). */
static int ae_entry(ese_deleter *d, const struct tree *aet, const struct path *p, uint32_t *last, uint32_t *cpg,
                    struct wpage **w, uint8_t **data, int *regular, ese_status *st)
{
	int lv = p->depth - 1;
	ese_page pg;
	ese_node n;
	uint8_t k[8];
	int err = tree_page(d, aet, p->pgno[lv], w, &pg, st);
	if (err || (err = ese_page_node(&pg, p->pgno[lv], p->idx[lv], &n, st)))
		return err;
	*regular = 0;
	if (ese_node_key(&n, k, sizeof(k)) != 4 || n.data_len < 4)
		return 0;
	*last = get_be32(k);
	*cpg = get_le32(n.data);
	*data = (*w)->buf + (n.data - (*w)->buf);
	if (*cpg > *last)
		return ese_fail(st, JET_errSPAvailExtCorrupted, p->pgno[lv], "page %u: extent of %u pages ending at %u",
		                p->pgno[lv], *cpg, *last);
	*regular = *cpg != 0;
	return 0;
}

/* *below = key k sorts below the upper bound of the leaf p ends on: its
 * separator in its parent (none for the root or the right spine). */
static int below_bound(ese_deleter *d, const struct tree *tr, const struct path *p, const uint8_t *k, size_t kl,
                       int *below, ese_status *st)
{
	*below = 1;
	if (p->depth < 2)
		return 0;
	int lv = p->depth - 2;
	struct wpage *w;
	ese_page pg;
	ese_node n;
	uint8_t sep[16];
	int err = tree_page(d, tr, p->pgno[lv], &w, &pg, st);
	if (err || (err = ese_page_node(&pg, p->pgno[lv], p->idx[lv], &n, st)))
		return err;
	size_t sl = ese_node_key(&n, sep, sizeof(sep));
	if (sl == (size_t)-1)
		*below = 0;           /* not an extent key: no change in place */
	else if (sl > 0)
		*below = ese_key_compare(k, kl, sep, sl) < 0;
	return 0;
}

/* Where to cut m in two halves of about equal cost: 1 <= s < count. */
static size_t split_point(const struct mpage *m)
{
	size_t total = 0, acc = 0, s = 0;
	for (size_t i = 0; i < m->count; i++)
		total += ese_pb_node_cost(m->n[i].klen, 0, m->n[i].dlen);
	while (s + 1 < m->count && acc < total / 2)
		acc += ese_pb_node_cost(m->n[s].klen, 0, m->n[s].dlen), s++;
	return s ? s : 1;
}

/* Splits page j of path p (not the root; its parent has room for a node
 * keyed sep[0..seplen)): nodes [s, count) of m (the page's nodes, a node
 * being added already among them) move to the spare page sw, with tag 0
 * rp[0..rplen) (their shared prefix), and sw takes the page's place in its
 * parent; the page keeps [0, s) and gets a new node in the parent, keyed
 * sep, before sw's.  Leaves stay linked.  Returns 1 when a half does not
 * fit a page. */
static int split_page(ese_deleter *d, const struct tree *tr, const struct path *p, int j, struct wpage *sw,
                      const struct mpage *m, size_t s, const uint8_t *sep, size_t seplen, const uint8_t *rp,
                      size_t rplen, ese_status *st)
{
	uint32_t pgno = p->pgno[j], ppgno = p->pgno[j - 1];
	struct wpage *w, *pw;
	ese_page pg, ppg;
	ese_tag t0;
	struct mpage pm = { 0 };
	uint8_t child[4];
	int err = tree_page(d, tr, pgno, &w, &pg, st);
	if (err || (err = ese_page_tag(&pg, pgno, 0, &t0, st)))
		return err;
	int leaf = (pg.flags & ESE_PF_LEAF) != 0;
	uint32_t next = pg.next;
	if (mpage_lay(d, sw, pg.objid, pg.flags & ~ESE_PF_ROOT, rp, rplen, 0, m, s, m->count, leaf ? pgno : 0,
	              leaf ? next : 0) ||
	    mpage_lay(d, w, pg.objid, pg.flags, w->buf + t0.off, t0.len, t0.len - pg.prefix_len, m, 0, s, pg.prev,
	              leaf ? sw->pgno : 0))
		return 1;
	if (leaf && next) {
		struct wpage *nw;
		ese_page npg;
		if ((err = tree_page(d, tr, next, &nw, &npg, st)))
			return err;
		put_le32(nw->buf + 16, sw->pgno);
		nw->dirty = 1;
	}
	/* the parent: its node for the page now leads to the spare, and a new
	 * node before it leads to the page */
	if ((err = tree_page(d, tr, ppgno, &pw, &ppg, st)) || (err = mpage_load(&ppg, ppgno, seplen + 4, &pm, st)))
		return err;
	long at = mpage_find_tag(&pm, p->idx[j - 1]);
	if (at < 0 || pm.n[at].dlen < 4) {
		err = ese_fail(st, JET_errDatabaseCorrupted, ppgno, "page %u: node %u has no child page", ppgno,
		               p->idx[j - 1]);
	} else {
		put_le32(pm.n[at].data, sw->pgno);
		put_le32(child, pgno);
		mpage_insert(&pm, (size_t)at, sep, seplen, child, 4);
		if (mpage_relay(d, pw, &ppg, &pm, st) == 1)
			err = ese_fail(st, JET_errDatabaseCorrupted, ppgno, "%s %s: page %u has no room for a separator",
			               tr->table, tr->name, ppgno);
	}
	mpage_free(&pm);
	d->stats.pages_split++;
	return err;
}

/* Splits page j of path p of a space tree in halves (ae_grow): a leaf's
 * bound is the first key it gives away; an internal page's is the key of
 * the last node it keeps, which stays its last key. */
static int ae_split(ese_deleter *d, const struct tree *aet, const struct path *p, int j, struct wpage *sw,
                    ese_status *st)
{
	uint32_t pgno = p->pgno[j];
	struct wpage *w;
	ese_page pg;
	struct mpage m = { 0 };
	int err = tree_page(d, aet, pgno, &w, &pg, st);
	if (err || (err = mpage_load(&pg, pgno, 0, &m, st)))
		return err;
	if (m.count < 2) {
		err = ese_fail(st, JET_errSPAvailExtCorrupted, pgno, "%s %s: page %u is full with %zu node(s)", aet->table,
		               aet->name, pgno, m.count);
		goto out;
	}
	size_t s = split_point(&m);
	const struct mnode *b = (pg.flags & ESE_PF_LEAF) ? &m.n[s] : &m.n[s - 1];
	if (b->klen > 16) {
		err = ese_fail(st, JET_errSPAvailExtCorrupted, pgno, "%s %s: page %u: key of %zu bytes", aet->table,
		               aet->name, pgno, b->klen);
		goto out;
	}
	if ((err = split_page(d, aet, p, j, sw, &m, s, b->key, b->klen, NULL, 0, st)) == 1)
		err = ese_fail(st, JET_errDatabaseCorrupted, pgno, "%s %s: page %u: half of its nodes do not fit a page",
		               aet->table, aet->name, pgno);
out:
	mpage_free(&m);
	return err;
}

/* The root is full: its nodes move to the spare page sw (with the root's
 * key prefix as its tag 0, so they take no more room than before), and
 * the root keeps one node, with the empty key, leading to it.  Any tree:
 * the root keeps its page number, the catalog's reference stays valid. */
static int push_down(ese_deleter *d, const struct tree *aet, struct wpage *sw, ese_status *st)
{
	struct wpage *w;
	ese_page pg;
	ese_tag t0;
	struct mpage m = { 0 };
	int err = tree_page(d, aet, aet->root, &w, &pg, st);
	if (err || (err = ese_page_tag(&pg, aet->root, 0, &t0, st)) || (err = mpage_load(&pg, aet->root, 0, &m, st)))
		return err;
	uint32_t root_flags = pg.flags & ~(ESE_PF_LEAF | ESE_PF_PARENT_OF_LEAF);
	if (pg.flags & ESE_PF_LEAF)
		root_flags |= ESE_PF_PARENT_OF_LEAF;
	if (mpage_lay(d, sw, pg.objid, pg.flags & ~ESE_PF_ROOT, pg.prefix, pg.prefix_len, 0, &m, 0, m.count, 0, 0)) {
		err = ese_fail(st, JET_errDatabaseCorrupted, aet->root, "%s %s: the nodes of root page %u do not fit a page",
		               aet->table, aet->name, aet->root);
		goto out;
	}
	uint8_t child[4];
	put_le32(child, sw->pgno);
	m.count = 0;
	m.used = 0;
	mpage_insert(&m, 0, NULL, 0, child, 4);
	if (mpage_lay(d, w, pg.objid, root_flags, w->buf + t0.off, t0.len, t0.len - pg.prefix_len, &m, 0, 1, 0, 0))
		err = ese_fail(st, JET_errDatabaseCorrupted, aet->root, "root page %u: one node does not fit", aet->root);
out:
	mpage_free(&m);
	return err;
}

/* The leaf p ends on has no room for a new extent: the page being freed
 * (spare) becomes a page of the available-extent tree instead of an
 * extent in it.  One step of growth per call: the lowest page on the path
 * whose parent has room splits (the leaf itself when its parent has
 * room), or, when every page up to the root is full, the root's nodes
 * move down a level.  Each freed page that meets a full leaf makes room
 * this way, so the tree grows as far as the extents need. */
static int ae_grow(ese_deleter *d, const struct tree *aet, const struct path *p, uint32_t spare, ese_status *st)
{
	size_t need = ese_pb_node_cost(16, 0, 4);
	int j = 0;
	for (int lv = p->depth - 2; lv >= 0; lv--) {
		struct wpage *w;
		ese_page pg;
		int err = tree_page(d, aet, p->pgno[lv], &w, &pg, st);
		if (err)
			return err;
		if (pg.cb_free >= need) {
			j = lv + 1;
			break;
		}
	}
	struct wpage *sw;
	int err = ws_new(d, spare, &sw, st);
	if (err)
		return err;
	err = j ? ae_split(d, aet, p, j, sw, st) : push_down(d, aet, sw, st);
	if (!err)
		d->stats.space_pages++;
	return err;
}

/* Adds the extent that ends at page `last` to space tree t: a node keyed
 * with last (4 bytes big-endian) whose data is its page count, cpg, or,
 * when cpg is 0, the pages from *spare to last (what is left of a range
 * that is becoming available).  A full leaf makes the tree grow
 * (ae_grow) with page *spare, which is then a space page: *spare moves
 * on; pages up to spare_last may be used that way. */
static int space_insert(ese_deleter *d, const struct tree *t, uint32_t last, uint32_t cpg, uint32_t *spare,
                        uint32_t spare_last, ese_status *st)
{
	uint8_t key[4], count[4];
	put_be32(key, last);
	for (int step = 0; step < 2 * MAXD; step++) {
		if (!cpg && *spare > last)
			return 0;         /* every page went to the tree itself */
		put_le32(count, cpg ? cpg : last - *spare + 1);
		struct path p;
		struct wpage *w;
		ese_page pg;
		struct mpage m;
		p.pgno[0] = t->root;
		int err = descend(d, t, &p, 0, key, sizeof(key), st);
		if (err || (err = tree_page(d, t, p.pgno[p.depth - 1], &w, &pg, st)) ||
		    (err = mpage_load(&pg, w->pgno, 8, &m, st)))
			return err;
		size_t at = 0;
		int c = 1;
		while (at < m.count && (c = ese_key_compare(m.n[at].key, m.n[at].klen, key, 4)) < 0)
			at++;
		if (at < m.count && c == 0) {
			mpage_free(&m);
			return ese_fail(st, JET_errSPAvailExtCorrupted, w->pgno, "%s %s: an extent ending at page %u is there already",
			                t->table, t->name, last);
		}
		mpage_insert(&m, at, key, 4, count, 4);
		err = mpage_relay(d, w, &pg, &m, st);
		mpage_free(&m);
		if (err != 1)
			return err;
		if (*spare > spare_last)
			return ese_fail(st, JET_errSPAvailExtCorrupted, w->pgno, "%s %s: page %u is full and no page is left to grow it",
			                t->table, t->name, w->pgno);
		if ((err = ae_grow(d, t, &p, (*spare)++, st)))
			return err;
	}
	return ese_fail(st, JET_errSPAvailExtCorrupted, t->root, "%s %s: the tree does not grow", t->table, t->name);
}

/* Adds page pgno, inside the owned extent [oe_first, oe_last], to the
 * available-extent tree aet: it lengthens the extent that ends just
 * before it or starts just after it (both: they become one), or is a new
 * extent of one page; a full leaf makes the tree grow (ae_grow). */
static int ae_add(ese_deleter *d, const struct tree *aet, uint32_t pgno, uint32_t oe_first, uint32_t oe_last,
                  ese_status *st)
{
	uint8_t key[4], lkey[4], *rdata = NULL, *ldata = NULL;
	struct path pr, pl;
	struct wpage *rw = NULL, *lw = NULL, *w;
	struct mpage m = { 0 };
	uint32_t last = 0, cpg = 0, rlast = 0, lfirst = 0, lcpg = 0;
	int regular = 0, have_right = 0, have_left = 0, err;
	size_t glen;
	put_be32(key, pgno);
	/* the first extent ending at or after pgno must not hold it; it is the
	 * right neighbour when it starts just after it */
	err = tree_seek(d, aet, key, 4, &pr, d->kbuf, &glen, st);
	if (err == 0) {
		if ((err = ae_entry(d, aet, &pr, &last, &cpg, &rw, &rdata, &regular, st)))
			goto out;
		if (regular && last - cpg + 1 <= pgno) {
			err = ese_fail(st, JET_errSPAvailExtCorrupted, pgno, "%s %s: freed page %u is already available",
			               aet->table, aet->name, pgno);
			goto out;
		}
		have_right = regular && last - cpg == pgno && last <= oe_last;
		rlast = last;
	} else if (err != JET_errRecordNotFound) {
		goto out;
	}
	err = 0;
	if (pgno > oe_first) {
		put_be32(lkey, pgno - 1);
		int f = tree_find(d, aet, lkey, 4, &pl, st);
		if (f < 0) {
			err = f;
			goto out;
		}
		if (f == 0) {
			if ((err = ae_entry(d, aet, &pl, &last, &cpg, &lw, &ldata, &regular, st)))
				goto out;
			if (regular && last - cpg + 1 >= oe_first) {
				have_left = 1;
				lfirst = last - cpg + 1;
				lcpg = cpg;
			}
		}
	}
	if (have_right) {
		/* the right neighbour grows down to pgno, or to the left one's first
		 * page, and the left one goes */
		put_le32(rdata, rlast - (have_left ? lfirst : pgno) + 1);
		rw->dirty = 1;
		if (have_left)
			err = tree_remove(d, aet, &pl, st);
		goto out;
	}
	if (have_left) {
		/* the left neighbour ends at pgno: its key changes, in place when
		 * the new key stays below its leaf's bound and the page has room */
		int below;
		ese_page pg;
		if ((err = below_bound(d, aet, &pl, key, 4, &below, st)))
			goto out;
		if (below) {
			int lv = pl.depth - 1;
			if ((err = tree_page(d, aet, pl.pgno[lv], &w, &pg, st)) || (err = mpage_load(&pg, w->pgno, 0, &m, st)))
				goto out;
			long at = mpage_find_tag(&m, pl.idx[lv]);
			if (at >= 0 && m.n[at].klen == 4 && m.n[at].dlen >= 4) {
				memcpy(m.n[at].key, key, 4);
				put_le32(m.n[at].data, lcpg + 1);
				if ((err = mpage_relay(d, w, &pg, &m, st)) != 1)
					goto out;
			}
			mpage_free(&m);
		}
		/* otherwise pgno is an extent of its own beside it */
	}
	/* a new extent of one page, in the leaf where its key belongs; a full
	 * leaf takes the page itself to grow (it is then no extent) */
	uint32_t spare = pgno;
	err = space_insert(d, aet, pgno, 0, &spare, pgno, st);
out:
	mpage_free(&m);
	return err;
}

/* Adds page pgno to the available space of tree tr's object. */
static int avail_add_one(ese_deleter *d, const struct tree *tr, uint32_t pgno, ese_status *st)
{
	struct wpage *rw;
	ese_page rpg;
	ese_space_header sh;
	ese_tag t0;
	int err = tree_page(d, tr, tr->root, &rw, &rpg, st);
	if (err || (err = ese_page_space_header(&rpg, tr->root, &sh, st)) ||
	    (err = ese_page_tag(&rpg, tr->root, 0, &t0, st)))
		return err;
	if (!(sh.flags & 1)) {
		/* single extent: bit k of the root's bitmap = page root+1+k */
		uint32_t k = pgno - tr->root - 1;
		if (pgno <= tr->root || pgno - tr->root >= sh.cpg_primary)
			return ese_fail(st, JET_errSPOwnExtCorrupted, pgno, "%s %s: freed page %u is outside its single extent",
			                tr->table, tr->name, pgno);
		if (k >= 32 || sh.cpg_primary > 32)
			return ese_fail(st, JET_errFeatureNotAvailable, pgno,
			                "%s %s: single extent of %u pages: page %u has no availability bit", tr->table, tr->name,
			                sh.cpg_primary, pgno);
		if (sh.avail_bitmap & (1u << k))
			return ese_fail(st, JET_errSPAvailExtCorrupted, pgno, "%s %s: freed page %u is already available",
			                tr->table, tr->name, pgno);
		uint8_t *bits = rw->buf + t0.off + ese_space_header_offset(t0.len) + 12;
		put_le32(bits, sh.avail_bitmap | (1u << k));
		rw->dirty = 1;
		return 0;
	}
	uint32_t oe_first = 0, oe_last = 0;
	if ((err = owned_extent(d, tr, sh.pgno_oe, pgno, &oe_first, &oe_last, st)))
		return err;
	struct tree aet = { sh.pgno_oe + 1, tr->objid, 1, tr->table, "space (available extents)", tr->root };
	struct wpage *aw;
	ese_page apg;
	if ((err = tree_page(d, &aet, aet.root, &aw, &apg, st)))
		return err;
	if (!(apg.flags & ESE_PF_SPACE_TREE))
		return ese_fail(st, JET_errSPAvailExtCorrupted, aet.root,
		                "%s %s: available-extent root page %u is not a space-tree page (flags 0x%x)", tr->table,
		                tr->name, aet.root, apg.flags);
	return ae_add(d, &aet, pgno, oe_first, oe_last, st);
}

/* Adds page pgno to the available space of tree tr's object, then the
 * pages its available-extent tree gave up on the way (free_page). */
static int pend_drain(ese_deleter *d, const struct tree *tr, ese_status *st)
{
	int err = 0;
	while (!err && d->npend)
		err = avail_add_one(d, tr, d->pend[--d->npend], st);
	d->npend = 0;
	return err;
}

static int avail_add(ese_deleter *d, const struct tree *tr, uint32_t pgno, ese_status *st)
{
	int err = avail_add_one(d, tr, pgno, st);
	return err ? err : pend_drain(d, tr, st);
}

/* Flags page pgno Empty and gives it back to tree tr's available space.
 * A page of a space tree waits until that tree's change is complete. */
static int free_page(ese_deleter *d, const struct tree *tr, struct wpage *w, ese_status *st)
{
	put_le32(w->buf + 36, get_le32(w->buf + 36) | ESE_PF_EMPTY);
	w->dirty = 1;
	if (tr->space_root) {
		if (d->npend == d->cappend) {
			size_t cap = d->cappend ? 2 * d->cappend : 8;
			uint32_t *np = realloc(d->pend, cap * sizeof(*np));
			if (!np)
				return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
			d->pend = np;
			d->cappend = cap;
		}
		d->pend[d->npend++] = w->pgno;
		d->stats.pages_freed++;
		return 0;
	}
	int err = avail_add(d, tr, w->pgno, st);
	if (!err)
		d->stats.pages_freed++;
	return err;
}

/* ---- removing an entry ------------------------------------------------ */

/* Points the sibling links around leaf pg (being freed) at each other. */
static int unlink_leaf(ese_deleter *d, const struct tree *tr, uint32_t pgno, const ese_page *pg, ese_status *st)
{
	struct wpage *w;
	ese_page sib;
	int err;
	if (pg->prev) {
		if ((err = tree_page(d, tr, pg->prev, &w, &sib, st)))
			return err;
		if (!(sib.flags & ESE_PF_LEAF) || sib.next != pgno)
			return ese_fail(st, JET_errBadPageLink, pg->prev, "%s %s: page %u is not the leaf before page %u",
			                tr->table, tr->name, pg->prev, pgno);
		put_le32(w->buf + 20, pg->next);
		w->dirty = 1;
	}
	if (pg->next) {
		if ((err = tree_page(d, tr, pg->next, &w, &sib, st)))
			return err;
		if (!(sib.flags & ESE_PF_LEAF) || sib.prev != pgno)
			return ese_fail(st, JET_errBadPageLink, pg->next, "%s %s: page %u is not the leaf after page %u",
			                tr->table, tr->name, pg->next, pgno);
		put_le32(w->buf + 16, pg->prev);
		w->dirty = 1;
	}
	return 0;
}

/* Removes the leaf entry p points at; frees pages that empty (invariants
 * 2-4 at the top of this file).  p is spent afterwards. */
static int tree_remove(ese_deleter *d, const struct tree *tr, struct path *p, ese_status *st)
{
	int lv = p->depth - 1;
	struct wpage *w;
	ese_page pg;
	unsigned left;
	int err = tree_page(d, tr, p->pgno[lv], &w, &pg, st);
	if (err || (err = relayout(d, w, pg.flags, p->idx[lv], 0, NULL, 0, 0, &left, st)))
		return err;
	if (left > 0 || lv == 0)
		return 0;
	/* an empty non-root leaf leaves the tree */
	if ((err = ese_page_parse(&pg, w->buf, d->ps, w->pgno, st)) || (err = unlink_leaf(d, tr, w->pgno, &pg, st)) ||
	    (err = free_page(d, tr, w, st)))
		return err;
	for (lv--; lv >= 0; lv--) {
		if ((err = tree_page(d, tr, p->pgno[lv], &w, &pg, st)))
			return err;
		unsigned i = p->idx[lv], n = pg.ntags - 1u;
		if (n <= 1) {
			if (lv > 0) {
				/* its only child went: the page goes too */
				if ((err = free_page(d, tr, w, st)))
					return err;
				d->stats.internal_freed++;
				continue;
			}
			/* the root of a tree left without entries: an empty leaf */
			uint32_t flags = (pg.flags & ~ESE_PF_PARENT_OF_LEAF) | ESE_PF_LEAF;
			return relayout(d, w, flags, i, 0, NULL, 0, 0, NULL, st);
		}
		if (i == n) {
			/* the last node goes: its key (the page's bound) moves to the new last */
			ese_node nd;
			if ((err = ese_page_node(&pg, w->pgno, i, &nd, st)))
				return err;
			uint8_t *k = malloc(ESE_KEY_MAX);
			if (!k)
				return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
			size_t kl = ese_node_key(&nd, k, ESE_KEY_MAX);
			size_t pre = nd.prefix_len > 2 ? nd.prefix_len : 0;
			err = kl == (size_t)-1 ? ese_fail(st, JET_errDatabaseCorrupted, w->pgno, "page %u: key too long", w->pgno)
			                       : relayout(d, w, pg.flags, i, i - 1, k, kl, pre, NULL, st);
			free(k);
			return err;
		}
		return relayout(d, w, pg.flags, i, 0, NULL, 0, 0, NULL, st);
	}
	return 0;
}

/* ---- taking space: a tree that grows (issue 6) ------------------------ */

#define GROW_DB_PAGES     256u   /* the file grows by ESE's default database
                                  * extension (JET_paramDbExtensionSize) */
#define GROW_EXTENT_PAGES 16u    /* pages an object asks its parent for */

/* Takes up to want pages from the start of the first available extent
 * of at least min pages that aet lists: *first, *n >= min (the extent
 * shrinks from its start, its key, the last page, unchanged; it goes when
 * nothing is left).  1 when the tree lists none. */
static int ae_take(ese_deleter *d, const struct tree *aet, uint32_t want, uint32_t min, uint32_t *first,
                   uint32_t *n, ese_status *st)
{
	uint8_t seek[17];
	size_t seeklen = 0;
	for (unsigned guard = 0; guard < 1u << 20; guard++) {
		struct path p;
		struct wpage *w;
		uint8_t *data;
		uint32_t last = 0, cpg = 0;
		size_t len;
		int regular;
		int err = tree_seek(d, aet, seek, seeklen, &p, d->kbuf, &len, st);
		if (err == JET_errRecordNotFound)
			return 1;
		if (err || (err = ae_entry(d, aet, &p, &last, &cpg, &w, &data, &regular, st)))
			return err;
		if (!regular || cpg < min) {
			/* a pool entry, a placeholder or too short: on to the next key */
			if (len >= sizeof(seek))
				return ese_fail(st, JET_errSPAvailExtCorrupted, p.pgno[p.depth - 1], "%s %s: a key of %zu bytes",
				                aet->table, aet->name, len);
			memcpy(seek, d->kbuf, len);
			seek[len] = 0;
			seeklen = len + 1;
			continue;
		}
		if (last > d->npages)
			return ese_fail(st, JET_errSPAvailExtCorrupted, p.pgno[p.depth - 1],
			                "%s %s: available extent ending at page %u, past the end of the file (%u pages)",
			                aet->table, aet->name, last, d->npages);
		uint32_t take = cpg < want ? cpg : want;
		*first = last - cpg + 1;
		*n = take;
		if (take < cpg) {
			put_le32(data, cpg - take);
			w->dirty = 1;
			return 0;
		}
		return tree_remove(d, aet, &p, st);
	}
	return ese_fail(st, JET_errSPAvailExtCorrupted, aet->root, "%s %s: no end to its entries", aet->table, aet->name);
}

/* The file is to grow by want pages: *first, *n.  Only the page count
 * changes here; ws_flush extends the file before it writes. */
static int grow_file(ese_deleter *d, uint32_t want, uint32_t *first, uint32_t *n, ese_status *st)
{
	if ((uint64_t)d->npages + want > 0x7FFFFFFFull)
		return ese_fail(st, JET_errOutOfDatabaseSpace, 0, "%s: the database cannot grow past %u pages",
		                ese_db_path(d->db), d->npages);
	*first = d->npages + 1;
	*n = want;
	d->npages += want;
	d->stats.pages_added += want;
	return 0;
}

static int alloc_extent(ese_deleter *d, uint32_t fdp, uint32_t objid, const char *table, const char *name,
                        uint32_t want, uint32_t min, uint32_t *first, uint32_t *n, int depth, ese_status *st);

/* The lay-out flags of a new space-tree root of the object whose root
 * page has flags rf: its Index / LongValue / NonUnique and format bits. */
static uint32_t space_root_flags(uint32_t rf)
{
	rf &= ~(ESE_PF_ROOT | ESE_PF_LEAF | ESE_PF_PARENT_OF_LEAF | ESE_PF_EMPTY | ESE_PF_REPAIR | ESE_PF_SPACE_TREE |
	        ESE_PF_FLUSH_TYPE | ESE_PF_SCRUBBED | ESE_PF_PREINIT);
	return rf | ESE_PF_ROOT | ESE_PF_LEAF | ESE_PF_SPACE_TREE;
}

/* Adds extent (last page, count) to m, a space tree's nodes, where its key
 * sorts (m has room for it). */
static void ext_node(struct mpage *m, uint32_t last, uint32_t cpg)
{
	uint8_t key[4], count[4];
	put_be32(key, last);
	put_le32(count, cpg);
	size_t at = 0;
	while (at < m->count && ese_key_compare(m->n[at].key, m->n[at].klen, key, 4) < 0)
		at++;
	mpage_insert(m, at, key, 4, count, 4);
}

/* An extent of up to want contiguous pages (at least min) for the object
 * ot, whose space header is sh, from its parent object (named there), or,
 * for the database root, from the file, which grows. */
static int parent_extent(ese_deleter *d, const struct tree *ot, const ese_space_header *sh, uint32_t want,
                         uint32_t min, int depth, uint32_t *ef, uint32_t *en, ese_status *st)
{
	if (sh->pgno_parent == 0) {
		if (ot->root != 1)
			return ese_fail(st, JET_errSPOwnExtCorrupted, ot->root, "%s %s: root page %u names no parent",
			                ot->table, ot->name, ot->root);
		return grow_file(d, want > GROW_DB_PAGES ? want : GROW_DB_PAGES, ef, en, st);
	}
	struct wpage *pw;
	ese_page ppg;
	int err = ws_get(d, sh->pgno_parent, &pw, st);
	if (err || (err = ese_page_parse(&ppg, pw->buf, d->ps, sh->pgno_parent, st)))
		return err;
	if (!(ppg.flags & ESE_PF_ROOT) || ppg.objid == ot->objid)
		return ese_fail(st, JET_errSPOwnExtCorrupted, ot->root, "%s %s: its parent, page %u, is not another root",
		                ot->table, ot->name, sh->pgno_parent);
	int db = sh->pgno_parent == 1;
	return alloc_extent(d, sh->pgno_parent, ppg.objid, db ? "database" : ot->table, db ? "root" : "table", want, min,
	                    ef, en, depth + 1, st);
}

/* A single-extent object (its space in its root page's bitmap) becomes a
 * multiple-extent one, as ESE converts it (space.cxx,
 * ErrSPIConvertToMultipleExtent): an extent from its parent holds the
 * roots of its new owned-extent tree (first page) and available-extent
 * tree (the next: ESE finds the AE root at OE + 1); the OE tree lists the
 * primary extent and the new one, the AE tree the free pages of the
 * bitmap and what is left of the new extent; the space header then names
 * the OE root instead of the bitmap. */
static int to_multiple_extent(ese_deleter *d, const struct tree *ot, const ese_space_header *sh, int depth,
                              ese_status *st)
{
	uint32_t fdp = ot->root, ef = 0, en = 0;
	struct wpage *rw, *ow, *aw;
	ese_page rpg;
	ese_tag t0;
	int err;
	if (!sh->pgno_parent || sh->cpg_primary == 0 || sh->cpg_primary > d->npages)
		return ese_fail(st, JET_errSPOwnExtCorrupted, fdp, "%s %s: single extent of %u pages, parent page %u",
		                ot->table, ot->name, sh->cpg_primary, sh->pgno_parent);
	if ((err = parent_extent(d, ot, sh, GROW_EXTENT_PAGES, 2, depth, &ef, &en, st)))
		return err;
	if ((err = tree_page(d, ot, fdp, &rw, &rpg, st)) || (err = ese_page_tag(&rpg, fdp, 0, &t0, st)) ||
	    (err = ws_new(d, ef, &ow, st)) || (err = ws_new(d, ef + 1, &aw, st)))
		return err;
	/* the two trees' nodes, each extent where its key (last page) sorts:
	 * OE the primary extent and the new one; AE the bitmap's free runs
	 * (bit k: page fdp+1+k; pages of the primary extent past the 32 bits
	 * are free, as SPIConvertCalcExtents has it) and the new extent's rest */
	struct mpage oe, ae;
	if ((err = mpage_new(&oe, 2, 16, st)))
		return err;
	if ((err = mpage_new(&ae, 18, 18 * 8, st))) {
		mpage_free(&oe);
		return err;
	}
	ext_node(&oe, fdp + sh->cpg_primary - 1, sh->cpg_primary);
	ext_node(&oe, ef + en - 1, en);
	uint32_t rfirst = 0, rlen = 0;    /* the run of free pages being gathered */
	uint32_t nbits = sh->cpg_primary - 1 < 32 ? sh->cpg_primary - 1 : 32;
	for (uint32_t k = 0; k < nbits; k++) {
		if ((sh->avail_bitmap >> k) & 1) {
			if (!rlen)
				rfirst = fdp + 1 + k;
			rlen++;
		} else if (rlen) {
			ext_node(&ae, rfirst + rlen - 1, rlen);
			rlen = 0;
		}
	}
	if (sh->cpg_primary > 33) {
		if (!rlen)
			rfirst = fdp + 33;
		rlen += sh->cpg_primary - 33;
	}
	if (rlen)
		ext_node(&ae, rfirst + rlen - 1, rlen);
	if (en > 2)
		ext_node(&ae, ef + en - 1, en - 2);
	static const uint8_t split_buffer[16];
	uint32_t flags = space_root_flags(rpg.flags);
	if (mpage_lay(d, ow, ot->objid, flags, split_buffer, 16, 16, &oe, 0, oe.count, 0, 0) ||
	    mpage_lay(d, aw, ot->objid, flags, split_buffer, 16, 16, &ae, 0, ae.count, 0, 0))
		err = ese_fail(st, JET_errDatabaseCorrupted, fdp, "%s %s: its extents do not fit a page", ot->table,
		               ot->name);
	mpage_free(&oe);
	mpage_free(&ae);
	if (err)
		return err;
	/* the space header: multiple extents, the OE root instead of the bitmap */
	uint8_t *h = rw->buf + t0.off + ese_space_header_offset(t0.len);
	h[8] |= 1;
	put_le32(h + 12, ef);
	rw->dirty = 1;
	d->stats.extents_added++;
	return 0;
}

/* Takes up to want contiguous pages (at least min) from the available
 * space of the object whose root page (FDP) is fdp: *first, *n, owned by
 * it and no longer available.  As ESE's space manager does: an object
 * with no run that long gets an extent from its parent object (named in
 * its space header: an index or long-value tree from its table, a table
 * from the database root), recorded in its owned-extent tree, the rest in
 * its available-extent tree; the database root gets one by growing the
 * file.  A single-extent object takes a page of its bitmap (min 1), and
 * becomes a multiple-extent one when none is free. */
static int alloc_extent(ese_deleter *d, uint32_t fdp, uint32_t objid, const char *table, const char *name,
                        uint32_t want, uint32_t min, uint32_t *first, uint32_t *n, int depth, ese_status *st)
{
	struct tree ot = { fdp, objid, 1, table, name, 0 };
	if (depth > 4)
		return ese_fail(st, JET_errSPOwnExtCorrupted, fdp, "%s %s: parents nest too deep", table, name);
	for (int round = 0; round < 4; round++) {
		struct wpage *rw;
		ese_page rpg;
		ese_space_header sh;
		ese_tag t0;
		int err = tree_page(d, &ot, fdp, &rw, &rpg, st);
		if (err || (err = ese_page_space_header(&rpg, fdp, &sh, st)) || (err = ese_page_tag(&rpg, fdp, 0, &t0, st)))
			return err;
		if (!(sh.flags & 1)) {
			/* single extent: bit k of the root's bitmap = page fdp+1+k */
			uint32_t lim = sh.cpg_primary ? sh.cpg_primary - 1 : 0;
			for (uint32_t k = 0; k < lim && k < 32 && min <= 1 && fdp + 1 + k <= d->npages; k++)
				if (sh.avail_bitmap & (1u << k)) {
					uint8_t *bits = rw->buf + t0.off + ese_space_header_offset(t0.len) + 12;
					put_le32(bits, sh.avail_bitmap & ~(1u << k));
					rw->dirty = 1;
					*first = fdp + 1 + k;
					*n = 1;
					return 0;
				}
			if ((err = to_multiple_extent(d, &ot, &sh, depth, st)))
				return err;
			continue;
		}
		struct tree aet = { sh.pgno_oe + 1, objid, 1, table, "space (available extents)", fdp };
		struct tree oet = { sh.pgno_oe, objid, 1, table, "space (owned extents)", fdp };
		if ((err = ae_take(d, &aet, want, min, first, n, st)) == 0)
			return pend_drain(d, &ot, st);
		if (err != 1)
			return err;
		/* nothing available: a new extent */
		uint32_t ef = 0, en = 0;
		err = parent_extent(d, &ot, &sh, want > GROW_EXTENT_PAGES ? want : GROW_EXTENT_PAGES, min, depth, &ef, &en,
		                    st);
		uint32_t spare = ef, el = ef + en - 1;
		if (err || (err = space_insert(d, &oet, el, en, &spare, el, st)) ||
		    (err = space_insert(d, &aet, el, 0, &spare, el, st)))
			return err;
		d->stats.extents_added++;
	}
	return ese_fail(st, JET_errSPAvailExtCorrupted, fdp, "%s %s: no page to take", table, name);
}

/* The bookmark of loaded node e of tree tr into out (key, or key || data). */
static size_t mnode_bm(const struct tree *tr, const struct mnode *e, uint8_t *out)
{
	memcpy(out, e->key, e->klen);
	if (tr->unique)
		return e->klen;
	memcpy(out + e->klen, e->data, e->dlen);
	return e->klen + e->dlen;
}

/* Inserts node (key, data) into tree tr (a table's, index's or long-value
 * tree: its root is its object's FDP) where its bookmark belongs; with
 * split_only, the entry whose bookmark is key (a unique tree) is there
 * already and its leaf splits once, nothing added.  A leaf
 * without room splits as ESE splits it (bt.cxx): the lowest page on the
 * way whose parent has room for its separator splits in two halves (a new
 * last node of the rightmost leaf goes to a page of its own: an append),
 * or, when the root is full too, the root's nodes move down a level; each
 * new page comes from the object's space (alloc_extent).  Separators as
 * the bulk builder makes them: between leaves the shortest prefix of the
 * right half's first bookmark above the left half's last; between
 * internal pages the left half's last key. */
static int tree_insert(ese_deleter *d, const struct tree *tr, const uint8_t *key, size_t klen, const uint8_t *data,
                       size_t dlen, int split_only, ese_status *st)
{
	size_t bml = tr->unique ? klen : klen + dlen;
	uint8_t *bm = malloc(bml + 1), *sep = malloc(2 * BM_MAX), *lb = sep ? sep + BM_MAX : NULL;
	struct mpage m = { 0 }, up = { 0 };
	int err = 0, done = 0;
	if (!bm || !sep) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	memcpy(bm, key, klen);
	if (!tr->unique && dlen)
		memcpy(bm + klen, data, dlen);
	for (int step = 0; step < 4 * MAXD && !done && !err; step++) {
		struct path p;
		struct wpage *w;
		ese_page pg;
		p.pgno[0] = tr->root;
		if ((err = descend(d, tr, &p, 0, bm, bml, st)))
			break;
		int lv = p.depth - 1;
		if ((err = tree_page(d, tr, p.pgno[lv], &w, &pg, st)) ||
		    (err = mpage_load(&pg, w->pgno, klen + dlen, &m, st)))
			break;
		size_t at = 0;
		int c = 1;
		while (at < m.count && (c = ese_key_compare(lb, mnode_bm(tr, &m.n[at], lb), bm, bml)) < 0)
			at++;
		if (split_only) {
			/* split_only: the entry is there; its leaf splits, nothing added */
			if (at >= m.count || c != 0) {
				err = ese_fail(st, JET_errRecordNotFound, w->pgno, "%s %s: no such entry", tr->table, tr->name);
				break;
			}
		} else if (at < m.count && c == 0) {
			err = ese_fail(st, JET_errKeyDuplicate, w->pgno, "%s %s: the entry is there already", tr->table,
			               tr->name);
			break;
		} else {
			mpage_insert(&m, at, key, klen, data, dlen);
			if ((err = mpage_relay(d, w, &pg, &m, st)) != 1) {
				done = 1;
				break;
			}
			err = 0;
		}
		uint32_t next = pg.next;
		struct mpage *mj = &m;
		for (int j = lv;; j--) {
			if (mj->count < 2) {
				err = split_only ? ese_fail(st, JET_errFeatureNotAvailable, p.pgno[j],
				                            "%s %s: page %u holds one entry: it does not split", tr->table,
				                            tr->name, p.pgno[j])
				                 : ese_fail(st, JET_errFeatureNotAvailable, p.pgno[j],
				                            "%s %s: page %u cannot take the entry (%zu + %zu bytes) even alone",
				                            tr->table, tr->name, p.pgno[j], klen, dlen);
				break;
			}
			size_t s = j == lv && !split_only && at + 1 == mj->count && !next ? at : split_point(mj);
			size_t seplen;
			if (j == lv) {
				size_t ll = mnode_bm(tr, &mj->n[s - 1], lb), rl = mnode_bm(tr, &mj->n[s], sep);
				seplen = ese_key_separator_len(lb, ll, sep, rl);
			} else {
				memcpy(sep, mj->n[s - 1].key, seplen = mj->n[s - 1].klen);
			}
			if (j > 0) {
				struct wpage *pw;
				ese_page ppg;
				if ((err = tree_page(d, tr, p.pgno[j - 1], &pw, &ppg, st)))
					break;
				if (ppg.cb_free < ese_pb_node_cost(seplen, 0, 4)) {
					/* no room for the separator: the parent splits first */
					mpage_free(&up);
					if ((err = mpage_load(&ppg, p.pgno[j - 1], 0, &up, st)))
						break;
					mj = &up;
					continue;
				}
			}
			uint32_t spare = 0, got = 0;
			struct wpage *sw;
			if ((err = alloc_extent(d, tr->root, tr->objid, tr->table, tr->name, 1, 1, &spare, &got, 0, st)) ||
			    (err = ws_new(d, spare, &sw, st)))
				break;
			d->stats.pages_allocated++;
			if (j == 0) {
				err = push_down(d, tr, sw, st);   /* then down again */
				break;
			}
			/* the right half's tag 0: the prefix its keys share */
			const struct mnode *f = &mj->n[s], *l = &mj->n[mj->count - 1];
			size_t rpl = ese_key_lcp(f->key, f->klen, l->key, l->klen);
			if (rpl <= 2)
				rpl = 0;
			err = split_page(d, tr, &p, j, sw, mj, s, sep, seplen, f->key, rpl, st);
			if (err == 1 && rpl)
				err = split_page(d, tr, &p, j, sw, mj, s, sep, seplen, NULL, 0, st);
			if (err == 1)
				err = ese_fail(st, JET_errFeatureNotAvailable, p.pgno[j], "%s %s: page %u: a half does not fit a page",
				               tr->table, tr->name, p.pgno[j]);
			done = !err && j == lv;
			break;
		}
		mpage_free(&m);
		mpage_free(&up);
	}
	if (!err && !done)
		err = ese_fail(st, JET_errDatabaseCorrupted, tr->root, "%s %s: no room made for the entry", tr->table, tr->name);
out:
	mpage_free(&m);
	mpage_free(&up);
	free(bm);
	free(sep);
	return err;
}

/* ---- the plan --------------------------------------------------------- */

/* One entry to remove: a bookmark in a tree. */
struct victim {
	struct tree tr;
	uint8_t *bm;
	size_t len;
};

struct plan {
	struct victim *v;
	size_t n, cap;
	uint8_t (*lids)[8];        /* LIDs referenced (as stored, little-endian) */
	size_t *lidlen;
	size_t nlids, caplids;
};

static void plan_free(struct plan *pl)
{
	for (size_t i = 0; i < pl->n; i++)
		free(pl->v[i].bm);
	free(pl->v);
	free(pl->lids);
	free(pl->lidlen);
	memset(pl, 0, sizeof(*pl));
}

static int plan_add(struct plan *pl, const struct tree *tr, const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	if (pl->n == pl->cap) {
		size_t cap = pl->cap ? pl->cap * 2 : 8;
		struct victim *p = realloc(pl->v, cap * sizeof(*p));
		if (!p)
			return -1;
		pl->v = p;
		pl->cap = cap;
	}
	uint8_t *bm = malloc(al + bl + 1);
	if (!bm)
		return -1;
	memcpy(bm, a, al);
	if (bl)
		memcpy(bm + al, b, bl);
	pl->v[pl->n++] = (struct victim){ *tr, bm, al + bl };
	return 0;
}

static int plan_lid(struct plan *pl, const uint8_t *lid, size_t len)
{
	if (pl->nlids == pl->caplids) {
		size_t cap = pl->caplids ? pl->caplids * 2 : 8;
		uint8_t (*l)[8] = realloc(pl->lids, cap * sizeof(*l));
		if (l)
			pl->lids = l;
		size_t *n = realloc(pl->lidlen, cap * sizeof(*n));
		if (n)
			pl->lidlen = n;
		if (!l || !n)
			return -1;
		pl->caplids = cap;
	}
	memcpy(pl->lids[pl->nlids], lid, len);
	pl->lidlen[pl->nlids++] = len;
	return 0;
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

/* The key spec of ix from its own catalog record, else from ese_index. */
static const ese_key_spec *index_spec(ese_deleter *d, const ese_table *t, const ese_index *ix)
{
	for (size_t i = 0; i < d->nspecs; i++)
		if (d->specs[i].objid == ix->objid)
			return &d->specs[i].spec;
	struct spec_cache *p = realloc(d->specs, (d->nspecs + 1) * sizeof(*p));
	if (!p)
		return NULL;
	d->specs = p;
	struct spec_cache *sc = &d->specs[d->nspecs];
	memset(sc, 0, sizeof(*sc));
	sc->objid = ix->objid;
	ese_key_spec_from_index(&sc->spec, ix);
	uint8_t key[ESE_KEY_CATALOG_ID_LEN];
	ese_key_catalog_id(key, t->objid, ESE_SYSOBJ_INDEX, ix->objid);
	ese_cursor *c;
	ese_status tmp = { 0 };
	if (ese_cursor_open(d->db, 4, 2, &c, &tmp) == 0) {
		size_t kl, dl;
		if (ese_cursor_seek(c, key, sizeof(key), &tmp) == 0) {
			const uint8_t *k = ese_cursor_key(c, &kl), *dt = ese_cursor_data(c, &dl);
			ese_record r;
			ese_key_spec spec;
			if (kl == sizeof(key) && !memcmp(k, key, kl) && ese_record_parse(&r, dt, dl, d->large, &tmp) == 0 &&
			    ese_key_spec_from_catalog(&spec, &r, &tmp) == 0) {
				sc->spec = spec;
				sc->from_catalog = 1;
			}
		}
		ese_cursor_close(c);
	}
	d->nspecs++;
	return &sc->spec;
}

/* Adds every entry of index tree tr whose data is pk; *found counts them. */
static int scan_index(ese_deleter *d, struct plan *pl, const struct tree *tr, const uint8_t *pk, size_t pklen,
                      size_t *found, ese_status *st)
{
	ese_cursor *c;
	int err = ese_cursor_open(d->db, tr->root, tr->objid, &c, st);
	if (err)
		return err;
	*found = 0;
	for (err = ese_cursor_first(c, st); err == 0; err = ese_cursor_next(c, st)) {
		size_t kl, dl;
		const uint8_t *k = ese_cursor_key(c, &kl), *dt = ese_cursor_data(c, &dl);
		if (dl != pklen || memcmp(dt, pk, pklen))
			continue;
		if (plan_add(pl, tr, k, kl, tr->unique ? NULL : dt, tr->unique ? 0 : dl)) {
			err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
			break;
		}
		(*found)++;
	}
	ese_cursor_close(c);
	return err == JET_errRecordNotFound ? 0 : err;
}

/* The index entries of record r (primary key pk) to remove from ix. */
static int plan_index(ese_deleter *d, struct plan *pl, const ese_table *t, const ese_index *ix, const ese_record *r,
                      const uint8_t *pk, size_t pklen, ese_status *st)
{
	struct tree tr = { ix->pgno_fdp, ix->objid, (ix->flags & ESE_IDX_UNIQUE) != 0, t->name, ix->name, 0 };
	const ese_key_spec *spec = index_spec(d, t, ix);
	if (!spec)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	ese_keylist kl;
	ese_keylist_init(&kl);
	struct lvctx lc = { d->db, t };
	ese_status kst = { 0 };
	size_t start = pl->n;
	int err = ese_index_keys(t, ix, spec, r, lv_reader, &lc, &kl, &kst);
	int scan = err != 0;
	if (err == JET_errOutOfMemory) {
		ese_keylist_free(&kl);
		return ese_fail(st, err, 0, "out of memory");
	}
	for (size_t i = 0; !scan && i < kl.n; i++) {
		size_t klen;
		const uint8_t *k = ese_keylist_key(&kl, i, &klen);
		struct path p;
		if (plan_add(pl, &tr, k, klen, tr.unique ? NULL : pk, tr.unique ? 0 : pklen)) {
			ese_keylist_free(&kl);
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		}
		struct victim *v = &pl->v[pl->n - 1];
		err = tree_find(d, &tr, v->bm, v->len, &p, st);
		if (err < 0) {
			ese_keylist_free(&kl);
			return err;
		}
		if (err == 0 && tr.unique) {
			/* a unique index's entry for this key must point at this record */
			struct wpage *w;
			ese_page pg;
			ese_node nd;
			if ((err = tree_page(d, &tr, p.pgno[p.depth - 1], &w, &pg, st)) ||
			    (err = ese_page_node(&pg, w->pgno, p.idx[p.depth - 1], &nd, st))) {
				ese_keylist_free(&kl);
				return err;
			}
			err = nd.data_len != pklen || memcmp(nd.data, pk, pklen);
		}
		if (err)
			scan = 1;
	}
	size_t computed = kl.n;
	ese_keylist_free(&kl);
	if (!scan)
		return 0;
	/* not computable, or not where its key says: search by bookmark */
	while (pl->n > start)
		free(pl->v[--pl->n].bm);
	size_t found;
	d->stats.index_scans++;
	if ((err = scan_index(d, pl, &tr, pk, pklen, &found, st)))
		return err;
	if (found || computed == 0)
		return 0;
	if (d->flags & ESE_DELETE_LENIENT) {
		d->stats.missing += computed;
		return 0;
	}
	return ese_fail(st, JET_errSecondaryIndexCorrupted, ix->pgno_fdp,
	                "table %s index %s: no entry for the record being deleted (%zu expected)", t->name, ix->name,
	                computed);
}

/* The separated long values record r references. */
static int plan_lids(struct plan *pl, const ese_table *t, const ese_record *r, ese_status *st)
{
	for (size_t i = 0; i < r->ntagged; i++) {
		uint32_t fid;
		ese_colval v;
		int err = ese_record_tagged_at(r, i, &fid, &v, st);
		if (err)
			return err;
		if (!v.present)
			continue;
		size_t cnt = ese_colval_count(&v);
		for (size_t k = 0; k < cnt; k++) {
			const uint8_t *p;
			size_t n;
			int sep;
			if ((err = ese_colval_instance(&v, k, &p, &n, &sep, st)))
				return err;
			if (!sep)
				continue;
			if (n != 4 && n != 8)
				return ese_fail(st, JET_errDatabaseCorrupted, 0, "table %s column %u: long-value id of %zu bytes",
				                t->name, fid, n);
			if (plan_lid(pl, p, n))
				return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		}
	}
	return 0;
}

/* ---- long values ------------------------------------------------------ */

static int lv_remove(ese_deleter *d, const struct tree *tr, const uint8_t *key, size_t lidlen, struct path *pp,
                     int exists, ese_status *st);

/* Drops one reference to long value lid; removes it at 0. */
static int lv_unref(ese_deleter *d, const ese_table *t, const uint8_t *lid, size_t lidlen, ese_status *st)
{
	struct tree tr = { t->lv_pgno_fdp, t->lv_objid, 1, t->name, "long values", 0 };
	uint8_t key[8];
	if (lidlen == 4) {
		put_be32(key, get_le32(lid));
	} else {
		put_be32(key, get_le32(lid + 4));
		put_be32(key + 4, get_le32(lid));
	}
	struct path p;
	int err = t->lv_pgno_fdp ? tree_find(d, &tr, key, lidlen, &p, st) : 1;
	struct wpage *w = NULL;
	ese_page pg;
	ese_node nd;
	if (err == 0 && !(err = tree_page(d, &tr, p.pgno[p.depth - 1], &w, &pg, st)))
		err = ese_page_node(&pg, w->pgno, p.idx[p.depth - 1], &nd, st);
	if (err < 0)
		return err;
	int exists = err == 0;
	uint32_t refs = exists && nd.data_len >= 8 ? get_le32(nd.data) : 0;
	if (!exists || refs == 0) {
		/* damage: strict refuses; lenient removes what is left of it */
		if (!(d->flags & ESE_DELETE_LENIENT))
			return ese_fail(st, JET_errLVCorrupted, w ? w->pgno : t->lv_pgno_fdp,
			                "table %s: long value 0x%02x%02x%02x%02x %s", t->name, key[0], key[1], key[2], key[3],
			                exists ? "has reference count 0" : "the record references does not exist");
		d->stats.missing++;
		if (!t->lv_pgno_fdp)
			return 0;
	} else {
		d->stats.lv_refs++;
		if (refs > 1) {
			put_le32(w->buf + (nd.data - w->buf), refs - 1);
			w->dirty = 1;
			return 0;
		}
	}
	/* the last reference: the root, then every chunk (key LID || offset) */
	return lv_remove(d, &tr, key, lidlen, &p, exists, st);
}

/* Removes long value key[0..lidlen) (big-endian LID) of tree tr: its root
 * (p positioned on it) when `exists`, then every chunk (key LID || offset),
 * emptied pages freed by tree_remove. */
static int lv_remove(ese_deleter *d, const struct tree *tr, const uint8_t *key, size_t lidlen, struct path *pp,
                     int exists, ese_status *st)
{
	int err;
	int removed = exists;
	if (exists && (err = tree_remove(d, tr, pp, st)))
		return err;
	for (;;) {
		size_t len;
		err = tree_seek(d, tr, key, lidlen, pp, d->kbuf, &len, st);
		if (err == JET_errRecordNotFound)
			break;
		if (err)
			return err;
		if (len != lidlen + 4 || memcmp(d->kbuf, key, lidlen))
			break;
		if ((err = tree_remove(d, tr, pp, st)))
			return err;
		removed = 1;
	}
	d->stats.lvs_deleted += removed;
	return 0;
}

/* ---- the API ---------------------------------------------------------- */

int ese_delete_open(const char *path, unsigned flags, ese_deleter **out, ese_status *st)
{
	*out = NULL;
	struct stat sb;
	/* read-only files stay read-only, whoever runs this */
	if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (!(sb.st_mode & (S_IWUSR | S_IWGRP | S_IWOTH)) || (access(path, W_OK) != 0 && (errno == EACCES || errno == EROFS))))
		return ese_fail(st, JET_errDatabaseFileReadOnly, 0, "%s: the file is read-only", path);
	ese_deleter *d = calloc(1, sizeof(*d));
	if (!d)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	d->flags = flags;
	int err = ese_db_open(path, ESE_OPEN_RDWR, &d->db, st);
	if (err)
		goto fail;
	d->hdr = *ese_db_header(d->db);
	if (d->hdr.state != ESE_DBSTATE_CLEAN) {
		err = ese_fail(st, JET_errDatabaseDirtyShutdown, 0, "%s: database is in state %u (%s), not Clean Shutdown",
		               path, d->hdr.state, ese_dbstate_name(d->hdr.state));
		goto fail;
	}
	if (d->hdr.version != 0x620) {
		err = ese_fail(st, JET_errInvalidParameter, 0, "%s: format 0x%x is not 0x620", path, d->hdr.version);
		goto fail;
	}
	d->ps = ese_db_page_size(d->db);
	d->npages = ese_db_page_count(d->db);
	d->large = ese_page_is_large(d->ps);
	d->dbtime = d->hdr.dbtime;
	d->tmp = malloc(d->ps);
	d->kbuf = malloc(BM_MAX);
	if (!d->tmp || !d->kbuf) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto fail;
	}
	if ((err = ese_catalog_load(d->db, 4, &d->cat, st)))
		goto fail;
	*out = d;
	return 0;
fail:
	ese_catalog_free(d->cat);
	ese_db_close(d->db);
	free(d->tmp);
	free(d->kbuf);
	free(d);
	return err;
}

const ese_catalog *ese_delete_catalog(const ese_deleter *d) { return d->cat; }
const ese_delete_stats *ese_delete_get_stats(const ese_deleter *d) { return &d->stats; }

int ese_delete_record(ese_deleter *d, const char *table, const uint8_t *key, size_t klen, ese_status *st)
{
	if (d->broken)
		return ese_fail(st, JET_errDiskIO, 0, "%s: an earlier write failed", ese_db_path(d->db));
	const ese_table *t = ese_catalog_find_table(d->cat, table);
	if (!t)
		return ese_fail(st, JET_errObjectNotFound, 0, "no table %s", table);
	if (klen == 0 || klen > ESE_KEY_MAX)
		return ese_fail(st, JET_errRecordNotFound, 0, "table %s: a key of %zu bytes names no record", t->name, klen);
	struct tree data = { t->pgno_fdp, t->objid, 1, t->name, "data", 0 };
	struct plan pl = { 0 };
	ese_delete_stats saved = d->stats;
	uint8_t *rec = NULL;
	struct path p;
	int err = tree_find(d, &data, key, klen, &p, st);
	if (err) {
		if (err == 1)
			err = ese_fail(st, JET_errRecordNotFound, 0, "table %s: no record with that key", t->name);
		goto out;
	}
	/* plan: the record (copied: the apply phase re-lays its page) */
	struct wpage *w;
	ese_page pg;
	ese_node nd;
	if ((err = tree_page(d, &data, p.pgno[p.depth - 1], &w, &pg, st)) ||
	    (err = ese_page_node(&pg, w->pgno, p.idx[p.depth - 1], &nd, st)))
		goto out;
	size_t rlen = nd.data_len;
	if (!(rec = malloc(rlen ? rlen : 1))) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	memcpy(rec, nd.data, rlen);
	ese_record r;
	if ((err = ese_record_parse(&r, rec, rlen, d->large, st)))
		goto out;
	for (size_t i = 0; i < t->nindexes; i++) {
		const ese_index *ix = &t->indexes[i];
		if (ix->objid == t->objid || ix->pgno_fdp == t->pgno_fdp)
			continue;            /* the primary index is the data tree */
		if ((err = plan_index(d, &pl, t, ix, &r, key, klen, st)))
			goto out;
	}
	if ((err = plan_lids(&pl, t, &r, st)))
		goto out;
	/* apply, in memory */
	if ((err = tree_find(d, &data, key, klen, &p, st)) || (err = tree_remove(d, &data, &p, st)))
		goto out;
	for (size_t i = 0; i < pl.n; i++) {
		struct victim *v = &pl.v[i];
		err = tree_find(d, &v->tr, v->bm, v->len, &p, st);
		if (err == 1) {
			/* planned twice (a duplicate key list), already gone */
			err = 0;
			continue;
		}
		if (err || (err = tree_remove(d, &v->tr, &p, st)))
			goto out;
		d->stats.index_entries++;
	}
	for (size_t i = 0; i < pl.nlids; i++)
		if ((err = lv_unref(d, t, pl.lids[i], pl.lidlen[i], st)))
			goto out;
	/* write */
	err = ws_flush(d, st);
	if (!err)
		d->stats.records++;
out:
	if (err && !d->broken)
		d->stats = saved;         /* nothing of it reached the file */
	ws_discard(d);
	plan_free(&pl);
	free(rec);
	return err;
}

/* The secondary index of t named `index` (case-insensitive), or NULL. */
static const ese_index *secondary_index(const ese_table *t, const char *index)
{
	for (size_t i = 0; i < t->nindexes; i++)
		if (t->indexes[i].name && !strcasecmp(t->indexes[i].name, index) && t->indexes[i].objid != t->objid &&
		    t->indexes[i].pgno_fdp != t->pgno_fdp)
			return &t->indexes[i];
	return NULL;
}

/* The tree of secondary index `index` of `table` for a call of a usable
 * session: 0 and *tr, or the error the call returns. */
static int index_tree(ese_deleter *d, const char *table, const char *index, struct tree *tr, ese_status *st)
{
	if (d->broken)
		return ese_fail(st, JET_errDiskIO, 0, "%s: an earlier write failed", ese_db_path(d->db));
	const ese_table *t = ese_catalog_find_table(d->cat, table);
	if (!t)
		return ese_fail(st, JET_errObjectNotFound, 0, "no table %s", table);
	const ese_index *ix = secondary_index(t, index);
	if (!ix)
		return ese_fail(st, JET_errIndexNotFound, 0, "table %s has no secondary index %s", t->name, index);
	*tr = (struct tree){ ix->pgno_fdp, ix->objid, (ix->flags & ESE_IDX_UNIQUE) != 0, t->name, ix->name, 0 };
	return 0;
}

/* Ends a call that may have grown trees: on success its pages are written;
 * on failure (but a write failure) the counters and the page count are
 * what they were before it.  The working set is emptied either way. */
static int finish_call(ese_deleter *d, int err, const ese_delete_stats *saved, uint32_t npages, ese_status *st)
{
	if (!err)
		err = ws_flush(d, st);
	if (err && !d->broken) {
		d->stats = *saved;
		d->npages = npages;
	}
	ws_discard(d);
	return err;
}

int ese_delete_index_entry(ese_deleter *d, const char *table, const char *index, const uint8_t *key, size_t klen,
                           const uint8_t *data, size_t dlen, ese_status *st)
{
	struct tree tr;
	int err = index_tree(d, table, index, &tr, st);
	if (err)
		return err;
	if (klen > ESE_KEY_MAX || dlen > ESE_KEY_MAX)
		return ese_fail(st, JET_errRecordNotFound, 0, "table %s index %s: no entry with a key of %zu bytes",
		                tr.table, tr.name, klen);
	uint8_t *bm = malloc(klen + dlen + 1);
	if (!bm)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	memcpy(bm, key, klen);
	if (!tr.unique && dlen)
		memcpy(bm + klen, data, dlen);
	size_t bmlen = tr.unique ? klen : klen + dlen;
	struct path p;
	err = tree_find(d, &tr, bm, bmlen, &p, st);
	if (err == 0 && tr.unique) {
		struct wpage *w;
		ese_page pg;
		ese_node nd;
		if (!(err = tree_page(d, &tr, p.pgno[p.depth - 1], &w, &pg, st)) &&
		    !(err = ese_page_node(&pg, w->pgno, p.idx[p.depth - 1], &nd, st)))
			err = nd.data_len != dlen || (dlen && memcmp(nd.data, data, dlen));
	}
	if (err == 1)
		err = ese_fail(st, JET_errRecordNotFound, 0, "table %s index %s: no such entry", tr.table, tr.name);
	ese_delete_stats saved = d->stats;
	if (!err && !(err = tree_remove(d, &tr, &p, st)) && !(err = ws_flush(d, st)))
		d->stats.index_entries++;
	if (err && !d->broken)
		d->stats = saved;
	ws_discard(d);
	free(bm);
	return err;
}

int ese_delete_insert_entry(ese_deleter *d, const char *table, const char *index, const uint8_t *key, size_t klen,
                            const uint8_t *data, size_t dlen, ese_status *st)
{
	struct tree tr;
	int err = index_tree(d, table, index, &tr, st);
	if (err)
		return err;
	if (klen == 0 || klen > ESE_KEY_MAX || dlen > ESE_KEY_MAX)
		return ese_fail(st, JET_errInvalidParameter, 0, "table %s index %s: an entry of key %zu and data %zu bytes",
		                tr.table, tr.name, klen, dlen);
	ese_delete_stats saved = d->stats;
	uint32_t npages = d->npages;
	return finish_call(d, tree_insert(d, &tr, key, klen, data, dlen, 0, st), &saved, npages, st);
}

int ese_delete_split_leaf(ese_deleter *d, const char *table, const uint8_t *pk, size_t pklen, ese_status *st)
{
	if (d->broken)
		return ese_fail(st, JET_errDiskIO, 0, "%s: an earlier write failed", ese_db_path(d->db));
	const ese_table *t = ese_catalog_find_table(d->cat, table);
	if (!t)
		return ese_fail(st, JET_errObjectNotFound, 0, "no table %s", table);
	if (pklen == 0 || pklen > ESE_KEY_MAX)
		return ese_fail(st, JET_errRecordNotFound, 0, "table %s: a key of %zu bytes names no record", t->name, pklen);
	struct tree tr = { t->pgno_fdp, t->objid, 1, t->name, "data", 0 };
	ese_delete_stats saved = d->stats;
	uint32_t npages = d->npages;
	return finish_call(d, tree_insert(d, &tr, pk, pklen, NULL, 0, 1, st), &saved, npages, st);
}

uint32_t ese_delete_page_count(const ese_deleter *d) { return d->npages; }

int ese_delete_lv(ese_deleter *d, const char *table, uint32_t lid, ese_status *st)
{
	if (d->broken)
		return ese_fail(st, JET_errDiskIO, 0, "%s: an earlier write failed", ese_db_path(d->db));
	const ese_table *t = ese_catalog_find_table(d->cat, table);
	if (!t)
		return ese_fail(st, JET_errObjectNotFound, 0, "no table %s", table);
	if (!t->lv_pgno_fdp)
		return ese_fail(st, JET_errRecordNotFound, 0, "table %s has no long values", t->name);
	struct tree tr = { t->lv_pgno_fdp, t->lv_objid, 1, t->name, "long values", 0 };
	uint8_t key[4];
	put_be32(key, lid);
	struct path p;
	ese_delete_stats saved = d->stats;
	int err = tree_find(d, &tr, key, sizeof(key), &p, st);
	int exists = err == 0;
	if (err == 1) {
		/* no root: what is left of it, chunks without their root */
		uint64_t before = d->stats.lvs_deleted;
		err = lv_remove(d, &tr, key, sizeof(key), &p, 0, st);
		if (!err && d->stats.lvs_deleted == before)
			err = ese_fail(st, JET_errRecordNotFound, 0, "table %s: no long value %u", t->name, lid);
		else if (!err)
			err = ws_flush(d, st);
	} else if (!err && !(err = lv_remove(d, &tr, key, sizeof(key), &p, exists, st))) {
		err = ws_flush(d, st);
	}
	if (err && !d->broken)
		d->stats = saved;
	ws_discard(d);
	return err;
}

int ese_delete_close(ese_deleter *d, ese_status *st)
{
	if (!d)
		return 0;
	int err = 0;
	if (d->marked_dirty && !d->broken) {
		if (fsync(ese_db_fd(d->db)) != 0)
			err = io_error(d, st, errno, 0, "fsync");
		else
			err = write_header(d, ESE_DBSTATE_CLEAN, st);
	} else if (d->broken) {
		err = ese_fail(st, JET_errDiskIO, 0, "%s: an earlier write failed; the header stays Dirty",
		               ese_db_path(d->db));
	}
	ws_discard(d);
	free(d->ws);
	free(d->specs);
	free(d->pend);
	ese_catalog_free(d->cat);
	ese_db_close(d->db);
	free(d->tmp);
	free(d->kbuf);
	free(d);
	return err;
}

/* ---- issue 6: journal and session hooks --------------------------------- */

void ese_delete_attach_journal(ese_deleter *d, ese_journal *j) { d->journal = j; }

ese_db *ese_delete_db(ese_deleter *d) { return d->db; }

int ese_delete_write_pages(ese_deleter *d, size_t n, const uint32_t *pgnos, const uint8_t *const *pages,
                           ese_status *st)
{
	if (d->broken)
		return ese_fail(st, JET_errDiskIO, 0, "%s: an earlier write failed", ese_db_path(d->db));
	int err = 0;
	for (size_t i = 0; i < n && !err; i++) {
		if (pgnos[i] == 0 || pgnos[i] > d->npages)
			err = ese_fail(st, JET_errInvalidParameter, pgnos[i], "page %u is outside the file (%u pages)", pgnos[i],
			               d->npages);
		else if (ws_find(d, pgnos[i]))
			err = ese_fail(st, JET_errInvalidParameter, pgnos[i], "page %u given twice", pgnos[i]);
		if (err)
			break;
		/* into the (empty) working set as a dirty copy, not read from the file */
		struct wpage *w;
		if ((err = ws_add(d, pgnos[i], &w, st)))
			break;
		w->dirty = 1;
		memcpy(w->buf, pages[i], d->ps);
	}
	if (!err && (err = ws_flush(d, st)) == 0)
		return 0;
	ws_discard(d);
	return err;
}
