/*
 * integrity.c - eseutil /g: structural integrity of the whole database
 * (include/ese_integrity.h).  Read-only.  Every finding goes through
 * ese_report; a damaged page or tree is marked and skipped, never a reason
 * to stop.
 *
 * Passes, in order, and what each relies on:
 *  1. header: state, header copies, file size.  Relies on nothing.
 *  2. catalog: load MSysObjects; compare it with MSysObjectsShadow; check
 *     that every root the catalog names is a root page of that object and
 *     that object ids stay below the header's last object id.  An object
 *     whose root is wrong is left out of passes 3-5 (its pages would be
 *     counted against the wrong owner).
 *  3. space: read every object's space header and walk its owned and
 *     available extent trees (structure checked as in pass 4); check that
 *     extents lie inside their parent's owned space and not in its available
 *     space, and that no two unrelated objects own a page; build the map of
 *     which object directly owns each page.
 *  4. trees: walk every tree from its root through child pointers: page
 *     checksum and number, owner (page objid and direct ownership), flags,
 *     layout and free-space counters, depth, key order, separators, sibling
 *     links, no page twice (one bit per page).  Long-value trees are walked
 *     before their table so that records can be checked against them.
 *  5. leaks: pages owned directly by an object that no tree uses and its
 *     available space does not list.
 *
 * Pass 4 on several cores: a table's or index's tree that owns many pages
 * is cut at its root into runs of children that workers walk at once
 * (walk_tree_parallel), each with its own walk state, marking pages in a
 * bitmap of its own; the runs are then stitched (sibling links, key order
 * and leaf depth across each seam).  Only a clean result is kept: any
 * finding, in a run or at a seam, throws it away and the tree is walked
 * again on one thread, so what is reported never depends on the threads.
 */
#include "ese_integrity.h"
#include "ese_cli.h"
#include "ese_checksum.h"
#include "ese_cursor.h"
#include "ese_lv.h"
#include "ese_page.h"
#include "ese_record.h"
#include "ese_space.h"
#include "node.h"
#include "bytes.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_DEPTH ESE_CURSOR_MAX_DEPTH
#define KEYBUF (2 * ESE_KEY_MAX)

struct span {                     /* pages [first, first+count) of objid */
	uint32_t first, count, objid;
};

struct object {
	uint32_t objid, pgno;
	int parent;                   /* index into objs, -1 for the root */
	int depth;                    /* 0 root, 1 table, 2 index / LV */
	int ok;                       /* root and space header usable */
	int multi;
	uint32_t pgno_oe;
	struct span *owned, *avail;
	size_t nowned, navail;
	size_t stats;                 /* index into res->trees */
	const ese_table *table;
	ese_tree_kind kind;
	const char *tree_name;
};

struct ctx {
	ese_db *db;
	ese_reporter *rep;
	ese_integrity *res;
	const ese_dbheader *hdr;
	const ese_catalog *cat;
	uint32_t ps, npages;
	int large;
	uint8_t *used;                /* one bit per page */
	struct object *objs;
	size_t nobjs;
	struct span *direct;          /* direct owner of each owned page, sorted, disjoint */
	size_t ndirect;
	struct span *avail;           /* every object's available pages, sorted */
	size_t navail;
	uint8_t *pagebuf[MAX_DEPTH + 1];
	uint8_t *keybuf[MAX_DEPTH + 1][2];
	size_t keylen[MAX_DEPTH + 1][2];
	int oom;
	/* a parallel walk of one tree (see walk_tree_parallel): its pages are
	 * marked in tree_used (pages tree_lo..tree_hi) while c->used, holding
	 * the trees walked before, is only read; abort stops every worker */
	int threads;
	uint64_t parallel_min;
	int estimate;                 /* simulate the bulk builder's packing (ese_tree_estimate_pages) */
	uint8_t *tree_used;
	uint32_t tree_lo, tree_hi;
	int *abort;
};

/* ---- small helpers ---------------------------------------------------- */

static int push_span(struct span **arr, size_t *n, struct span s)
{
	if (*n == 0 || (*n & (*n - 1)) == 0) {
		size_t cap = *n ? *n * 2 : 8;
		struct span *p = realloc(*arr, cap * sizeof(*p));
		if (!p)
			return -1;
		*arr = p;
	}
	(*arr)[(*n)++] = s;
	return 0;
}

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	return x->first < y->first ? -1 : x->first > y->first;
}

static void sort_spans(struct span *arr, size_t n)
{
	if (n > 1)
		qsort(arr, n, sizeof(*arr), cmp_span);
}

static const struct span *find_span(const struct span *arr, size_t n, uint32_t p)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if ((uint64_t)arr[mid].first + arr[mid].count <= p)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* several spans may start before p when they overlap: scan back a little */
	for (size_t i = lo; i < n && arr[i].first <= p; i++)
		if ((uint64_t)arr[i].first + arr[i].count > p)
			return &arr[i];
	return NULL;
}

static int bit_get(const uint8_t *bm, uint32_t p) { return (bm[p >> 3] >> (p & 7)) & 1; }
static void bit_set(uint8_t *bm, uint32_t p) { bm[p >> 3] |= (uint8_t)(1u << (p & 7)); }

/* Marks pgno as part of a tree; nonzero when it already was (or, in a
 * parallel walk, when it lies outside the tree's owned range, which
 * abandons the attempt). */
static int take_page(struct ctx *c, uint32_t pgno)
{
	if (bit_get(c->used, pgno))
		return 1;
	if (!c->tree_used) {
		bit_set(c->used, pgno);
		return 0;
	}
	if (pgno < c->tree_lo || pgno > c->tree_hi) {
		__atomic_store_n(c->abort, 1, __ATOMIC_RELAXED);
		return 1;
	}
	uint32_t i = pgno - c->tree_lo;
	uint8_t bit = (uint8_t)(1u << (i & 7));
	return (__atomic_fetch_or(&c->tree_used[i >> 3], bit, __ATOMIC_RELAXED) & bit) != 0;
}

static ese_tree_stats *new_stats(struct ctx *c, const char *table, const char *name, ese_tree_kind kind,
                                 uint32_t objid, uint32_t pgno, size_t *idx)
{
	ese_integrity *r = c->res;
	if (r->ntrees == 0 || (r->ntrees & (r->ntrees - 1)) == 0) {
		size_t cap = r->ntrees ? r->ntrees * 2 : 8;
		ese_tree_stats *p = realloc(r->trees, cap * sizeof(*p));
		if (!p) {
			c->oom = 1;
			return NULL;
		}
		r->trees = p;
	}
	ese_tree_stats *t = &r->trees[r->ntrees];
	memset(t, 0, sizeof(*t));
	t->table = table ? strdup(table) : NULL;
	t->name = strdup(name ? name : "?");
	t->kind = kind;
	t->objid = objid;
	t->pgno_root = pgno;
	*idx = r->ntrees++;
	return t;
}

/* ---- pass 4: the tree walker (also used for space trees in pass 3) ----- */

struct walk;
struct run_state_ops;
typedef void (*entry_fn)(struct walk *w, uint32_t pgno, int node, const uint8_t *key, size_t klen,
                         const uint8_t *data, size_t dlen);

struct walk {
	struct ctx *c;
	ese_tree_stats *ts;
	const char *table, *tree;
	uint32_t objid;
	uint32_t type_flags;          /* INDEX | LONG_VALUE | SPACE_TREE | NON_UNIQUE expected */
	int unique;
	int space;                    /* a space tree: counts as space pages */
	int leaf_depth;
	uint32_t last_leaf, last_leaf_next;
	/* bookmarks: keyring[kp] the previous entry's, the other the current
	 * one's (W_PREV, W_ENTRY); the two swap instead of being copied */
	uint8_t keyring[2][KEYBUF];
	int kp;
	size_t prev_len;
	size_t prev_pfx;              /* bytes of the previous bookmark taken from its page's prefix */
	int have_prev;
	entry_fn on_entry;
	void *arg;
	/* a run of a parallel walk after the first: its first leaf's back link
	 * and first key are kept for the stitching instead of checked */
	int seam;
	uint32_t first_leaf, first_prev;
	uint8_t first_key[KEYBUF];
	size_t first_len;
	/* the root of a parallel walk: children are listed, not walked */
	struct kids *collect;
	/* a tree whose entries carry state from one to the next (long
	 * values): how a parallel walk gives each run its own */
	const struct run_state_ops *run_ops;
};

/* A parallel walk of a tree with state from entry to entry: each run
 * gets its own copy of the state (begin; first: the run that starts the
 * tree), may go on past its last entry into the next run's leaves, which
 * that run then leaves to it (end), and the runs' states are joined in
 * key order when the attempt is kept, else dropped (join).  begin and end
 * say what would abandon the attempt through c->oom. */
struct run_state_ops {
	int (*begin)(struct walk *run, const struct walk *whole, int first);
	void (*end)(struct walk *run);
	void (*join)(struct walk *whole, struct walk *run, int keep);
};

static ese_where where(const struct walk *w, uint32_t pgno, int node)
{
	ese_where x = { pgno, w->objid, w->table, w->tree, node };
	return x;
}

/* The children of a parallel walk's root, with the bounds each is walked
 * under (copied: the separators live in a buffer the next node reuses). */
struct kid {
	uint32_t pgno;
	int node;
	size_t lo, lolen, hi, hilen;  /* offsets into kids.keys; lo/hi SIZE_MAX = unbounded */
};

struct kids {
	struct kid *v;
	size_t n, cap;
	uint8_t *keys;
	size_t klen, kcap;
	uint32_t root_flags;
};

static size_t kids_key(struct kids *k, const uint8_t *key, size_t len)
{
	if (!key)
		return SIZE_MAX;
	if (len == 0)
		return k->klen;
	if (k->klen + len > k->kcap) {
		size_t cap = k->kcap ? k->kcap : 4096;
		while (cap < k->klen + len)
			cap *= 2;
		uint8_t *p = realloc(k->keys, cap);
		if (!p)
			return SIZE_MAX - 1;
		k->keys = p;
		k->kcap = cap;
	}
	memcpy(k->keys + k->klen, key, len);
	k->klen += len;
	return k->klen - len;
}

static int kids_push(struct kids *k, uint32_t pgno, int node, const uint8_t *lo, size_t lolen, const uint8_t *hi,
                     size_t hilen)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? k->cap * 2 : 64;
		struct kid *p = realloc(k->v, cap * sizeof(*p));
		if (!p)
			return -1;
		k->v = p;
		k->cap = cap;
	}
	struct kid *d = &k->v[k->n];
	d->pgno = pgno;
	d->node = node;
	d->lo = kids_key(k, lo, lolen);
	d->lolen = lolen;
	d->hi = kids_key(k, hi, hilen);
	d->hilen = hilen;
	if (d->lo == SIZE_MAX - 1 || d->hi == SIZE_MAX - 1)
		return -1;
	k->n++;
	return 0;
}

#define TYPE_MASK (ESE_PF_INDEX | ESE_PF_LONG_VALUE | ESE_PF_SPACE_TREE | ESE_PF_NON_UNIQUE)

/* Reads and checks one page; 0 if it is usable, else it was reported. */
static int load_page(struct walk *w, uint32_t pgno, int depth, ese_page *pg)
{
	struct ctx *c = w->c;
	ese_where at = where(w, pgno, -1);
	ese_status st;
	ese_status_init(&st);
	uint64_t corrected = ese_db_corrected_pages(c->db);
	const uint8_t *page;
	int err = ese_db_view_page(c->db, pgno, c->pagebuf[depth], &page, &st);
	switch (err) {
	case 0:
		break;
	case JET_errReadVerifyFailure:
		ese_report(c->rep, ESE_PR_PAGE_CHECKSUM, &at, "%s", st.msg);
		return -1;
	case JET_errPageNotInitialized:
		ese_report(c->rep, ESE_PR_PAGE_UNINIT, &at, "the tree links to an all-zero page");
		return -1;
	case JET_errReadPgnoVerifyFailure:
		ese_report(c->rep, ESE_PR_PAGE_WRONG_PGNO, &at, "%s", st.msg);
		return -1;
	default:
		ese_report(c->rep, ESE_PR_PAGE_READ, &at, "%s", st.msg);
		return -1;
	}
	if (ese_db_corrected_pages(c->db) != corrected)
		ese_report(c->rep, ESE_PR_PAGE_CORRECTABLE, &at, "one bit corrected in memory; the page on disk is damaged");
	if (ese_page_parse(pg, page, c->ps, pgno, &st)) {
		ese_report(c->rep, ESE_PR_PAGE_LAYOUT, &at, "%s", st.msg);
		return -1;
	}
	if (pg->objid != w->objid) {
		ese_report(c->rep, ESE_PR_PAGE_OBJID, &at, "page belongs to objid %u", pg->objid);
		return -1;
	}
	if (pg->flags & ESE_PF_EMPTY) {
		ese_report(c->rep, ESE_PR_PAGE_EMPTY_IN_TREE, &at, "flags 0x%x", pg->flags);
		return -1;
	}
	if (pg->dbtime > c->hdr->dbtime)
		ese_report(c->rep, ESE_PR_HDR_DBTIME, &at, "page dbtime %llu, header dbtime %llu",
		           (unsigned long long)pg->dbtime, (unsigned long long)c->hdr->dbtime);
	if ((pg->flags & TYPE_MASK) != w->type_flags)
		ese_report(c->rep, ESE_PR_PAGE_FLAGS, &at, "type flags 0x%x, expected 0x%x for this tree",
		           pg->flags & TYPE_MASK, w->type_flags);
	if (!!(pg->flags & ESE_PF_ROOT) != (depth == 0))
		ese_report(c->rep, ESE_PR_PAGE_FLAGS, &at, depth ? "root flag on a non-root page"
		                                                  : "root page without the root flag");
	/* tags inside the page, counters matching them */
	uint64_t sum;
	uint32_t maxend;
	if (ese_tags_scan(pg, &sum, &maxend)) {
		for (unsigned i = 0; i < pg->ntags; i++) {   /* the first tag at fault */
			ese_tag t;
			if (ese_tag_quick(pg, i, &t)) {
				ese_page_tag(pg, pgno, i, &t, &st);      /* words the report */
				ese_report(c->rep, ESE_PR_PAGE_LAYOUT, &at, "%s", st.msg);
				return -1;
			}
			if (i > 0 && t.len == 0) {
				ese_report(c->rep, ESE_PR_PAGE_LAYOUT, &at, "tag %u has length 0", i);
				return -1;
			}
		}
	}
	uint64_t expect = (uint64_t)c->ps - pg->hdr_len - sum - 4ull * pg->ntags;
	if (pg->cb_free != expect)
		ese_report(c->rep, ESE_PR_PAGE_FREE_SPACE, &at, "cbFree %u, tags leave %llu", pg->cb_free,
		           (unsigned long long)expect);
	if (pg->ib_mic_free < maxend)
		ese_report(c->rep, ESE_PR_PAGE_FREE_SPACE, &at, "ibMicFree %u, but a line ends at %u", pg->ib_mic_free,
		           maxend);
	return 0;
}

/* Checks that page pgno of object w->objid is owned by it and not free. */
static void check_owner(struct walk *w, uint32_t pgno)
{
	struct ctx *c = w->c;
	if (!c->ndirect)
		return;
	ese_where at = where(w, pgno, -1);
	const struct span *d = find_span(c->direct, c->ndirect, pgno);
	if (!d)
		ese_report(c->rep, ESE_PR_SPACE_NOT_OWNED, &at, "no object owns this page");
	else if (d->objid != w->objid)
		ese_report(c->rep, ESE_PR_SPACE_NOT_OWNED, &at, "the page is owned by objid %u", d->objid);
	const struct span *a = find_span(c->avail, c->navail, pgno);
	if (a)
		ese_report(c->rep, ESE_PR_SPACE_USED_AND_AVAIL, &at, "objid %u lists it as available", a->objid);
}

#define W_PREV(w) ((w)->keyring[(w)->kp])
#define W_ENTRY(w) ((w)->keyring[!(w)->kp])

/* The bookmark of leaf node i into out (KEYBUF bytes); its length,
 * or (size_t)-1 when the node does not decode (leaf_entries reports it). */
static size_t leaf_bookmark(const struct walk *w, const ese_page *pg, uint32_t pgno, unsigned i, uint8_t *out)
{
	ese_node n;
	ese_status st;
	ese_status_init(&st);
	size_t len;
	return ese_node_bookmark(pg, pgno, i, w->unique, ESE_KEY_MAX, out, &len, &n, &st) ? (size_t)-1 : len;
}

/* Whether the last entry of leaf pg decodes and sorts below hi. */
static int hi_last_below(struct walk *w, const ese_page *pg, uint32_t pgno, const uint8_t *hi, size_t hilen)
{
	size_t len = leaf_bookmark(w, pg, pgno, pg->ntags - 1u, W_ENTRY(w));
	return len != (size_t)-1 && ese_key_compare(W_ENTRY(w), len, hi, hilen) < 0;
}

/* Every entry of leaf pg against hi (its entries do not ascend). */
static void hi_every_entry(struct walk *w, const ese_page *pg, uint32_t pgno, const uint8_t *hi, size_t hilen)
{
	ese_where at = where(w, pgno, -1);
	for (unsigned i = 1; i < pg->ntags; i++) {
		size_t len = leaf_bookmark(w, pg, pgno, i, W_ENTRY(w));
		at.node = (int)i;
		if (len != (size_t)-1 && ese_key_compare(W_ENTRY(w), len, hi, hilen) >= 0)
			ese_report(w->c->rep, ESE_PR_TREE_SEPARATOR, &at, "key is not below the parent's separator");
	}
}

static void leaf_entries(struct walk *w, uint32_t pgno, const ese_page *pg, int depth, const uint8_t *lo,
                         size_t lolen, const uint8_t *hi, size_t hilen)
{
	struct ctx *c = w->c;
	ese_tree_stats *ts = w->ts;
	ese_where at = where(w, pgno, -1);
	if (w->leaf_depth < 0)
		w->leaf_depth = depth;
	else if (w->leaf_depth != depth)
		ese_report(c->rep, ESE_PR_TREE_DEPTH, &at, "leaf at depth %d, others at %d", depth, w->leaf_depth);
	/* sibling links: this leaf must follow the previous one both ways */
	if (w->seam && !w->last_leaf) {
		w->first_leaf = pgno;
		w->first_prev = pg->prev;
	} else if (pg->prev != w->last_leaf)
		ese_report(c->rep, ESE_PR_TREE_SIBLING, &at, "previous-page link %u, the leaf before is %u", pg->prev,
		           w->last_leaf);
	if (w->last_leaf && w->last_leaf_next != pgno) {
		ese_where lat = where(w, w->last_leaf, -1);
		ese_report(c->rep, ESE_PR_TREE_SIBLING, &lat, "next-page link %u, the next leaf is %u", w->last_leaf_next,
		           pgno);
	}
	w->last_leaf = pgno;
	w->last_leaf_next = pg->next;
	if (w->space)
		ts = NULL;             /* space-tree pages are counted as space pages only */
	if (ts) {
		ts->leaf_pages++;
		ts->leaf_bytes_free += pg->cb_free;
		ts->leaf_bytes_used += c->ps - pg->hdr_len - pg->cb_free;
	}
	/* Bounds: an entry above an earlier entry of this page that is at or
	 * above lo is at or above lo too; and when the page's last entry is
	 * below hi and its entries ascend, all are below hi.  So lo is compared
	 * only until an entry meets it (again after an entry out of order), and
	 * hi once, with the last entry; when the entries turn out not to
	 * ascend, every entry is compared with hi after the loop (the reports
	 * are the same; only their order within a damaged page differs). */
	int lo_met = 0, ascending = 1, in_page = 0, hi_each = 0;
	if (hi && pg->ntags > 1 && !hi_last_below(w, pg, pgno, hi, hilen))
		hi_each = 1;
	/* how many leading bytes of each bookmark buffer hold this page's key
	 * prefix already: a key copies only the part of its prefix that is not */
	size_t pfx_ok[2] = { 0, 0 };
	/* the entries' counts for the statistics, kept here while the page
	 * is walked */
	uint64_t entries = 0, data_bytes = 0, packed_leaves = 0, packed_cur = 0;
	uint64_t room = (uint64_t)c->ps - pg->hdr_len - 4 - 16;
	if (ts) {
		packed_leaves = ts->packed_leaves;
		packed_cur = ts->packed_cur;
	}
	for (unsigned i = 1; i < pg->ntags; i++) {
		ese_node n;
		ese_tag tag;
		at.node = (int)i;
		ese_tag_fields(pg, i, &tag);     /* load_page found every tag inside the page */
		if (ese_node_of_tag(pg, &tag, &n) != ESE_NODE_OK) {
			ese_status st;
			ese_status_init(&st);
			ese_page_node(pg, pgno, i, &n, &st);
			ese_report(c->rep, ESE_PR_PAGE_LAYOUT, &at, "%s", st.msg);
			continue;
		}
		/* the bookmark: key, or key || data in a non-unique tree */
		if (n.prefix_len + n.suffix_len > ESE_KEY_MAX) {
			ese_report(c->rep, ESE_PR_PAGE_LAYOUT, &at, "key longer than %d bytes", ESE_KEY_MAX);
			continue;
		}
		size_t *ok = &pfx_ok[!w->kp], klen = n.prefix_len + n.suffix_len;
		if (n.prefix_len > *ok)
			ese_copy_short(W_ENTRY(w) + *ok, n.prefix + *ok, n.prefix_len - *ok);
		*ok = n.prefix_len;
		ese_copy_short(W_ENTRY(w) + n.prefix_len, n.suffix, n.suffix_len);
		size_t blen = klen;
		if (!w->unique) {
			size_t d = n.data_len < ESE_KEY_MAX ? n.data_len : ESE_KEY_MAX;
			ese_copy_short(W_ENTRY(w) + klen, n.data, d);
			blen += d;
		}
		int above_prev = 0;
		if (w->have_prev) {
			/* on one page both bookmarks begin with that page's prefix,
			 * as far as the shorter of their two prefixes: equal there */
			size_t s0 = in_page ? (w->prev_pfx < n.prefix_len ? w->prev_pfx : n.prefix_len) : 0;
			int cmp = ese_key_cmp(W_PREV(w) + s0, w->prev_len - s0, W_ENTRY(w) + s0, blen - s0);
			if (cmp > 0)
				ese_report(c->rep, ESE_PR_TREE_KEY_ORDER, &at, "key sorts before the entry preceding it");
			else if (cmp == 0)
				ese_report(c->rep, ESE_PR_TREE_DUP_KEY, &at, "same %s as the entry preceding it",
				           w->unique ? "key" : "key and data");
			above_prev = cmp < 0 && in_page;
			if (in_page && cmp >= 0)
				ascending = 0;
		} else if (w->seam) {
			memcpy(w->first_key, W_ENTRY(w), blen);
			w->first_len = blen;
		}
		in_page = 1;
		if (lo && !(lo_met && above_prev)) {
			lo_met = ese_key_cmp(W_ENTRY(w), blen, lo, lolen) >= 0;
			if (!lo_met)
				ese_report(c->rep, ESE_PR_TREE_SEPARATOR, &at, "key sorts before the parent's lower separator");
		}
		if (hi_each && ese_key_cmp(W_ENTRY(w), blen, hi, hilen) >= 0)
			ese_report(c->rep, ESE_PR_TREE_SEPARATOR, &at, "key is not below the parent's separator");
		w->kp = !w->kp;          /* the current bookmark is now W_PREV */
		w->prev_len = blen;
		w->prev_pfx = n.prefix_len;
		w->have_prev = 1;
		if (n.flags & ESE_NODE_DELETED)
			continue;
		entries++;
		data_bytes += klen + n.data_len;
		/* pack it as the bulk builder would: whole entries per page, a key
		 * prefix compressed as it is here (2 bytes of count) */
		if (c->estimate) {
			uint64_t cost = 6 + klen + n.data_len - (n.prefix_len > 2 ? n.prefix_len - 2 : 0);
			if (packed_leaves == 0 || packed_cur + cost > room) {
				packed_leaves++;
				packed_cur = 0;
			}
			packed_cur += cost;
		}
		if (w->on_entry)
			w->on_entry(w, pgno, (int)i, W_PREV(w), klen, n.data, n.data_len);
	}
	if (ts) {
		ts->entries += entries;
		ts->data_bytes += data_bytes;
		ts->packed_leaves = packed_leaves;
		ts->packed_cur = packed_cur;
	}
	if (hi && !hi_each && !ascending)
		hi_every_entry(w, pg, pgno, hi, hilen);
}

/* Walks the subtree at pgno (depth 0 = root); lo/hi bound its bookmarks
 * (NULL = unbounded).  *is_leaf receives whether pgno is a leaf. */
static void walk_page(struct walk *w, uint32_t pgno, int depth, const uint8_t *lo, size_t lolen, const uint8_t *hi,
                      size_t hilen, int *is_leaf, uint32_t parent, int parent_node)
{
	struct ctx *c = w->c;
	ese_where at = where(w, pgno, -1);
	ese_where from = where(w, parent, parent_node);
	*is_leaf = -1;
	if (pgno == 0 || pgno > c->npages) {
		/* callers check their child pointers; this guards every other way in */
		ese_report(c->rep, ESE_PR_TREE_CHILD_OUTSIDE, &at, "page %u is outside the file (%u pages)", pgno, c->npages);
		return;
	}
	if (depth > MAX_DEPTH - 1) {
		ese_report(c->rep, ESE_PR_TREE_TOO_DEEP, &at, "deeper than %d levels", MAX_DEPTH);
		return;
	}
	if (c->abort && __atomic_load_n(c->abort, __ATOMIC_RELAXED))
		return;
	if (take_page(c, pgno)) {
		if (parent)
			ese_report(c->rep, ESE_PR_TREE_PAGE_TWICE, &from, "points at page %u, which is already part of a tree",
			           pgno);
		else
			ese_report(c->rep, ESE_PR_TREE_PAGE_TWICE, &at, "already part of a tree");
		return;
	}
	c->res->pages_used++;
	check_owner(w, pgno);
	ese_page pg;
	if (load_page(w, pgno, depth, &pg))
		return;
	ese_tree_stats *ts = w->ts;
	if (ts) {
		if (w->space)
			ts->space_pages++;
		else
			ts->pages++;
		if (!w->space && (uint32_t)depth + 1 > ts->depth)
			ts->depth = (uint32_t)depth + 1;
	}
	if (pg.flags & ESE_PF_LEAF) {
		*is_leaf = 1;
		if (pg.flags & ESE_PF_PARENT_OF_LEAF)
			ese_report(c->rep, ESE_PR_PAGE_FLAGS, &at, "leaf page with the parent-of-leaf flag");
		leaf_entries(w, pgno, &pg, depth, lo, lolen, hi, hilen);
		return;
	}
	*is_leaf = 0;
	if (ts && !w->space)
		ts->internal_pages++;
	if (pg.prev || pg.next)
		ese_report(c->rep, ESE_PR_TREE_INTERNAL_LINKS, &at, "links %u / %u", pg.prev, pg.next);
	if (pg.ntags < 2) {
		ese_report(c->rep, ESE_PR_TREE_EMPTY_INTERNAL, &at, "no nodes");
		return;
	}
	/* separators of this page are kept in keybuf[depth]: [0] = lower bound
	 * of the current child, [1] = its upper bound */
	uint8_t *lob = c->keybuf[depth][0], *hib = c->keybuf[depth][1];
	size_t lol = lolen;
	int have_lo = lo != NULL;
	if (lo)
		memcpy(lob, lo, lolen);
	int children_leaf = -1;
	for (unsigned i = 1; i < pg.ntags; i++) {
		ese_node n;
		ese_status st;
		ese_status_init(&st);
		at.node = (int)i;
		if (ese_page_node(&pg, pgno, i, &n, &st)) {
			ese_report(c->rep, ESE_PR_PAGE_LAYOUT, &at, "%s", st.msg);
			return;
		}
		if (n.data_len < 4) {
			ese_report(c->rep, ESE_PR_PAGE_LAYOUT, &at, "internal node without a child page number");
			return;
		}
		size_t sl = ese_node_key(&n, hib, ESE_KEY_MAX);
		if (sl == (size_t)-1) {
			ese_report(c->rep, ESE_PR_PAGE_LAYOUT, &at, "separator too long");
			return;
		}
		int last = i + 1 == pg.ntags;
		const uint8_t *hip = hib;
		size_t hil = sl;
		if (last && sl == 0) {
			hip = hi;        /* the last node's empty key: the page's own bound */
			hil = hilen;
		} else {
			if (have_lo && ese_key_compare(lob, lol, hib, sl) > 0)
				ese_report(c->rep, ESE_PR_TREE_SEPARATOR, &at, "separators out of order");
			if (hi && ese_key_compare(hib, sl, hi, hilen) > 0)
				ese_report(c->rep, ESE_PR_TREE_SEPARATOR, &at, "separator above the parent's bound");
		}
		uint32_t child = get_le32(n.data);
		if (child == 0 || child > c->npages) {
			ese_report(c->rep, ESE_PR_TREE_CHILD_OUTSIDE, &at, "child page %u, the file has %u pages", child,
			           c->npages);
		} else if (w->collect) {
			if (kids_push(w->collect, child, (int)i, have_lo ? lob : NULL, lol, hip, hil))
				c->oom = 1;
		} else {
			int leaf;
			/* the child's page buffer is the next level's; our separators
			 * stay valid in keybuf[depth] */
			walk_page(w, child, depth + 1, have_lo ? lob : NULL, lol, hip, hil, &leaf, pgno, (int)i);
			if (leaf >= 0) {
				if (children_leaf >= 0 && leaf != children_leaf)
					ese_report(c->rep, ESE_PR_TREE_DEPTH, &at, "children mix leaves and internal pages");
				children_leaf = leaf;
			}
			/* the recursion reused pagebuf[depth+1..]: our page is intact */
		}
		if (!(last && sl == 0)) {
			memcpy(lob, hib, sl);
			lol = sl;
			have_lo = 1;
		}
	}
	if (w->collect)
		w->collect->root_flags = pg.flags;
	if (children_leaf >= 0 && !!(pg.flags & ESE_PF_PARENT_OF_LEAF) != children_leaf) {
		at.node = -1;
		ese_report(c->rep, ESE_PR_PAGE_FLAGS, &at, children_leaf ? "parent of leaves without the parent-of-leaf flag"
		                                                          : "parent-of-leaf flag above internal pages");
	}
}

static void walk_tree(struct ctx *c, struct walk *w, uint32_t root)
{
	w->c = c;
	w->leaf_depth = -1;
	w->last_leaf = 0;
	w->last_leaf_next = 0;
	w->have_prev = 0;
	int leaf;
	walk_page(w, root, 0, NULL, 0, NULL, 0, &leaf, 0, -1);
	if (w->last_leaf && w->last_leaf_next != 0) {
		ese_where at = where(w, w->last_leaf, -1);
		ese_report(c->rep, ESE_PR_TREE_SIBLING, &at, "the last leaf links to page %u", w->last_leaf_next);
	}
}

/* ---- pass 4 on several cores -------------------------------------------- */

/* A run of the root's children [from, to), walked by whichever worker
 * takes it, with its own walk state and statistics. */
struct run {
	size_t from, to;
	struct walk w;
	ese_tree_stats ts;
	int children_leaf;
};

struct pshared {
	struct run *runs;
	size_t nruns, next;           /* next: the run the next idle worker takes */
	const struct kids *kids;
	uint32_t root;
	int abort;
};

struct pworker {
	struct ctx c;                 /* a copy of the main context with its own buffers */
	ese_reporter rep;             /* counts only: any finding abandons the attempt */
	ese_integrity res;            /* counters of this worker */
	struct pshared *sh;
	pthread_t tid;
	int started;
};

static const uint8_t *kid_key(const struct kids *k, size_t off)
{
	static const uint8_t none[1];
	return off == SIZE_MAX ? NULL : k->keys ? k->keys + off : none;
}

static void *pworker_main(void *arg)
{
	struct pworker *pw = arg;
	struct pshared *sh = pw->sh;
	for (;;) {
		size_t i = __atomic_fetch_add(&sh->next, 1, __ATOMIC_RELAXED);
		if (i >= sh->nruns || __atomic_load_n(&sh->abort, __ATOMIC_RELAXED))
			break;
		struct run *r = &sh->runs[i];
		r->w.c = &pw->c;
		for (size_t k = r->from; k < r->to; k++) {
			const struct kid *d = &sh->kids->v[k];
			int leaf;
			walk_page(&r->w, d->pgno, 1, kid_key(sh->kids, d->lo), d->lolen, kid_key(sh->kids, d->hi), d->hilen,
			          &leaf, sh->root, d->node);
			if (leaf >= 0 && r->children_leaf >= 0 && leaf != r->children_leaf)
				pw->c.oom |= 2;       /* children mix leaves and internal pages: redo on one thread */
			if (leaf >= 0)
				r->children_leaf = leaf;
			if (pw->rep.total || pw->c.oom) {
				__atomic_store_n(&sh->abort, 1, __ATOMIC_RELAXED);
				break;
			}
		}
		if (r->w.run_ops && !__atomic_load_n(&sh->abort, __ATOMIC_RELAXED)) {
			r->w.run_ops->end(&r->w);
			if (pw->rep.total || pw->c.oom)
				__atomic_store_n(&sh->abort, 1, __ATOMIC_RELAXED);
		}
	}
	return NULL;
}

static void add_stats(ese_tree_stats *to, const ese_tree_stats *from)
{
	to->pages += from->pages;
	to->leaf_pages += from->leaf_pages;
	to->internal_pages += from->internal_pages;
	to->space_pages += from->space_pages;
	to->entries += from->entries;
	to->leaf_bytes_used += from->leaf_bytes_used;
	to->leaf_bytes_free += from->leaf_bytes_free;
	to->data_bytes += from->data_bytes;
	/* the packing simulation restarts in each run: at most one leaf more
	 * per run than one continuous simulation would count */
	to->packed_leaves += from->packed_leaves;
	if (from->packed_leaves)
		to->packed_cur = from->packed_cur;
	if (from->depth > to->depth)
		to->depth = from->depth;
}

static void free_bufs(struct ctx *c)
{
	for (int d = 0; d <= MAX_DEPTH; d++) {
		free(c->pagebuf[d]);
		free(c->keybuf[d][0]);
		free(c->keybuf[d][1]);
	}
}

static int alloc_bufs(struct ctx *c)
{
	for (int d = 0; d <= MAX_DEPTH; d++) {
		c->pagebuf[d] = malloc(c->ps);
		c->keybuf[d][0] = malloc(KEYBUF);
		c->keybuf[d][1] = malloc(KEYBUF);
		if (!c->pagebuf[d] || !c->keybuf[d][0] || !c->keybuf[d][1])
			return -1;
	}
	return 0;
}

/* Walks the tree of o on several threads when it is large enough and
 * clean.  Returns 1 when it did (statistics, counters and the page map
 * updated exactly as walk_tree would have, nothing to report), 0 when the
 * caller must walk it with walk_tree: too small, no threads, or something
 * to report, in which case nothing it did is kept. */
static int walk_tree_parallel(struct ctx *c, struct walk *w, const struct object *o)
{
	if (o->nowned == 0 || c->oom)
		return 0;
	w->c = c;
	uint64_t owned = 0;
	uint32_t lo = UINT32_MAX, hi = 0;
	for (size_t i = 0; i < o->nowned; i++) {
		owned += o->owned[i].count;
		if (o->owned[i].count == 0)
			continue;
		if (o->owned[i].first < lo)
			lo = o->owned[i].first;
		if (o->owned[i].first + (o->owned[i].count - 1) > hi)
			hi = o->owned[i].first + (o->owned[i].count - 1);
	}
	if (owned < c->parallel_min || lo > hi || hi > c->npages)
		return 0;

	int ok = 0;
	size_t begun = 0;             /* runs whose state run_ops->begin made */
	struct kids kids = { 0 };
	struct pshared sh = { 0 };
	struct pworker *pws = NULL;
	struct ctx mc = *c;           /* the root, walked on this thread */
	ese_reporter mrep;
	ese_integrity mres = { 0 };
	ese_tree_stats rts = { 0 };
	struct walk *mw = malloc(sizeof(*mw));
	mc.tree_used = calloc((size_t)(hi - lo) / 8 + 1, 1);
	if (!mw || !mc.tree_used)
		goto out;
	ese_reporter_init(&mrep, NULL, NULL, 0);
	mc.rep = &mrep;
	mc.res = &mres;
	mc.tree_lo = lo;
	mc.tree_hi = hi;
	mc.abort = &sh.abort;
	*mw = *w;
	mw->c = &mc;
	mw->ts = &rts;
	mw->leaf_depth = -1;
	mw->last_leaf = mw->last_leaf_next = 0;
	mw->have_prev = 0;
	mw->collect = &kids;
	mw->on_entry = NULL;          /* a root that is a leaf is walked again on one thread */
	mw->run_ops = NULL;
	int leaf;
	walk_page(mw, o->pgno, 0, NULL, 0, NULL, 0, &leaf, 0, -1);
	if (leaf != 0 || mrep.total || mc.oom || sh.abort || kids.n < 2)
		goto out;

	/* runs: many per worker so that an uneven tree still balances, and as
	 * many whatever the thread count, so that the statistics (the packing
	 * estimate restarts in each run) do not depend on the machine */
	int nt = c->threads;
	size_t nruns = kids.n < 64 ? kids.n : 64;
	sh.runs = calloc(nruns, sizeof(*sh.runs));
	pws = calloc((size_t)nt, sizeof(*pws));
	if (!sh.runs || !pws)
		goto out;
	sh.nruns = nruns;
	sh.kids = &kids;
	sh.root = o->pgno;
	for (size_t i = 0; i < nruns; i++) {
		struct run *r = &sh.runs[i];
		r->from = kids.n * i / nruns;
		r->to = kids.n * (i + 1) / nruns;
		r->w = *w;
		r->w.ts = &r->ts;
		r->w.leaf_depth = -1;
		r->w.last_leaf = r->w.last_leaf_next = 0;
		r->w.have_prev = 0;
		r->w.seam = i > 0;
		r->w.collect = NULL;
		r->children_leaf = -1;
	}
	int failed = 0;
	for (; w->run_ops && begun < nruns; begun++)
		if (w->run_ops->begin(&sh.runs[begun].w, w, begun == 0)) {
			failed = 1;
			break;
		}
	for (int i = 0; i < nt; i++) {
		struct pworker *pw = &pws[i];
		pw->c = *c;
		pw->c.tree_used = mc.tree_used;
		pw->c.tree_lo = lo;
		pw->c.tree_hi = hi;
		pw->c.abort = &sh.abort;
		pw->c.oom = 0;
		ese_reporter_init(&pw->rep, NULL, NULL, 0);
		pw->c.rep = &pw->rep;
		pw->c.res = &pw->res;
		pw->sh = &sh;
		memset(pw->c.pagebuf, 0, sizeof(pw->c.pagebuf));
		memset(pw->c.keybuf, 0, sizeof(pw->c.keybuf));
		if (alloc_bufs(&pw->c)) {
			failed = 1;
			break;
		}
	}
	for (int i = 1; i < nt && !failed; i++)
		pws[i].started = pthread_create(&pws[i].tid, NULL, pworker_main, &pws[i]) == 0;
	if (!failed)
		pworker_main(&pws[0]);
	for (int i = 1; i < nt; i++)
		if (pws[i].started)
			pthread_join(pws[i].tid, NULL);
	if (failed || sh.abort)
		goto out;
	for (int i = 0; i < nt; i++)
		if (pws[i].rep.total || pws[i].c.oom)
			goto out;

	/* stitch the runs: what walk_tree checks across them */
	for (size_t i = 0; i < nruns; i++) {
		const struct run *r = &sh.runs[i];
		if (!r->w.have_prev || r->w.leaf_depth != sh.runs[0].w.leaf_depth ||
		    r->children_leaf != sh.runs[0].children_leaf)
			goto out;
		if (i == 0)
			continue;
		const struct run *p = &sh.runs[i - 1];
		if (r->w.first_prev != p->w.last_leaf || p->w.last_leaf_next != r->w.first_leaf ||
		    ese_key_compare(W_PREV(&p->w), p->w.prev_len, r->w.first_key, r->w.first_len) >= 0)
			goto out;
	}
	if (sh.runs[nruns - 1].w.last_leaf_next != 0 ||
	    !!(kids.root_flags & ESE_PF_PARENT_OF_LEAF) != sh.runs[0].children_leaf)
		goto out;

	/* keep it: statistics, counters, the pages in the map */
	add_stats(w->ts, &rts);
	for (size_t i = 0; i < nruns; i++)
		add_stats(w->ts, &sh.runs[i].ts);
	c->res->pages_used += mres.pages_used;
	c->res->records += mres.records;
	c->res->lvs += mres.lvs;
	for (int i = 0; i < nt; i++) {
		c->res->pages_used += pws[i].res.pages_used;
		c->res->records += pws[i].res.records;
		c->res->lvs += pws[i].res.lvs;
	}
	for (uint64_t p = lo; p <= hi; p++)
		if (bit_get(mc.tree_used, (uint32_t)(p - lo)))
			bit_set(c->used, (uint32_t)p);
	c->res->trees_split++;
	ok = 1;
out:
	if (sh.runs)
		for (size_t i = 0; i < begun; i++)
			w->run_ops->join(w, &sh.runs[i].w, ok);
	if (pws)
		for (int i = 0; i < c->threads; i++)
			free_bufs(&pws[i].c);
	free(pws);
	free(sh.runs);
	free(kids.v);
	free(kids.keys);
	free(mc.tree_used);
	free(mw);
	return ok;
}

/* ---- pass 3: space ------------------------------------------------------ */

static void on_extent(struct walk *w, uint32_t pgno, int node, const uint8_t *key, size_t klen, const uint8_t *data,
                      size_t dlen)
{
	struct object *o = w->arg;
	struct ctx *c = w->c;
	ese_where at = where(w, pgno, node);
	uint32_t last;
	if (klen == 4)
		last = get_be32(key);
	else if (klen == 5 && (key[0] & 0x80))
		last = get_be32(key + 1);
	else {
		ese_report(c->rep, ESE_PR_SPACE_TREE, &at, "extent key of %zu bytes", klen);
		return;
	}
	if (dlen < 4) {
		ese_report(c->rep, ESE_PR_SPACE_TREE, &at, "extent without a page count");
		return;
	}
	uint32_t cpg = get_le32(data);
	if (cpg == 0)
		return;
	if (cpg > last) {
		ese_report(c->rep, ESE_PR_SPACE_TREE, &at, "extent of %u pages ending at page %u", cpg, last);
		return;
	}
	struct span s = { last - cpg + 1, cpg, o->objid };
	/* which list: the walk's tree name tells */
	int is_avail = w->tree && strstr(w->tree, "available") != NULL;
	if (push_span(is_avail ? &o->avail : &o->owned, is_avail ? &o->navail : &o->nowned, s))
		c->oom = 1;
}

static void read_object_space(struct ctx *c, struct object *o)
{
	ese_where at = { o->pgno, o->objid, o->table ? o->table->name : NULL, o->tree_name, -1 };
	ese_status st;
	ese_status_init(&st);
	const uint8_t *buf;
	ese_page pg;
	ese_space_header sh;
	if (ese_db_get_page(c->db, o->pgno, &buf, &st) || ese_page_parse(&pg, buf, c->ps, o->pgno, &st) ||
	    ese_page_space_header(&pg, o->pgno, &sh, &st)) {
		ese_report(c->rep, ESE_PR_SPACE_HEADER, &at, "%s", st.msg);
		o->ok = 0;
		return;
	}
	o->multi = sh.flags & 1;
	ese_tree_stats *ts = &c->res->trees[o->stats];
	if (!o->multi) {
		if (sh.cpg_primary == 0 || (uint64_t)o->pgno + sh.cpg_primary - 1 > 0xFFFFFFFFull) {
			ese_report(c->rep, ESE_PR_SPACE_HEADER, &at, "single extent of %u pages", sh.cpg_primary);
			o->ok = 0;
			return;
		}
		struct span s = { o->pgno, sh.cpg_primary, o->objid };
		if (push_span(&o->owned, &o->nowned, s))
			c->oom = 1;
		for (uint32_t k = 0; k < 32 && k + 1 < sh.cpg_primary; k++)
			if (sh.avail_bitmap & (1u << k)) {
				struct span a = { o->pgno + 1 + k, 1, o->objid };
				if (push_span(&o->avail, &o->navail, a))
					c->oom = 1;
			}
		return;
	}
	o->pgno_oe = sh.pgno_oe;
	if (sh.pgno_oe == 0 || (uint64_t)sh.pgno_oe + 1 > c->npages) {
		ese_report(c->rep, ESE_PR_SPACE_HEADER, &at, "owned-extent tree at page %u, outside the file", sh.pgno_oe);
		o->ok = 0;
		return;
	}
	uint32_t owner_flags = pg.flags & (ESE_PF_INDEX | ESE_PF_LONG_VALUE | ESE_PF_NON_UNIQUE);
	static const char *const names[2] = { "space (owned extents)", "space (available extents)" };
	for (int k = 0; k < 2; k++) {
		struct walk w = { 0 };
		w.ts = ts;
		w.table = at.table;
		w.tree = names[k];
		w.objid = o->objid;
		w.type_flags = ESE_PF_SPACE_TREE | owner_flags;
		w.unique = 1;
		w.space = 1;
		w.on_entry = on_extent;
		w.arg = o;
		walk_tree(c, &w, sh.pgno_oe + (uint32_t)k);
	}
}

static int is_ancestor(const struct ctx *c, int a, int b)
{
	for (int p = c->objs[b].parent; p >= 0; p = c->objs[p].parent)
		if (p == a)
			return 1;
	return 0;
}

static uint64_t span_overlap(const struct span *a, size_t na, uint32_t first, uint32_t count, uint32_t *at)
{
	uint64_t n = 0;
	for (size_t i = 0; i < na; i++) {
		uint64_t lo = a[i].first > first ? a[i].first : first;
		uint64_t hi1 = (uint64_t)a[i].first + a[i].count, hi2 = (uint64_t)first + count;
		uint64_t hi = hi1 < hi2 ? hi1 : hi2;
		if (lo < hi) {
			if (!n)
				*at = (uint32_t)lo;
			n += hi - lo;
		}
	}
	return n;
}

/* Pages of [first, first+count) not covered by spans a (sorted). */
static uint64_t span_uncovered(const struct span *a, size_t na, uint32_t first, uint32_t count, uint32_t *at)
{
	uint64_t covered = 0;
	uint32_t dummy;
	covered = span_overlap(a, na, first, count, &dummy);
	if (covered < count) {
		for (uint64_t p = first; p < (uint64_t)first + count; p++)
			if (!find_span(a, na, (uint32_t)p)) {
				*at = (uint32_t)p;
				break;
			}
	}
	return count - covered;
}

static void check_space(struct ctx *c)
{
	/* every object's extents against its parent */
	for (size_t i = 0; i < c->nobjs; i++) {
		struct object *o = &c->objs[i];
		if (!o->ok)
			continue;
		sort_spans(o->owned, o->nowned);
		sort_spans(o->avail, o->navail);
		ese_where at = { o->pgno, o->objid, o->table ? o->table->name : NULL, o->tree_name, -1 };
		for (size_t k = 0; k < o->navail; k++) {
			uint32_t p = 0;
			if (span_uncovered(o->owned, o->nowned, o->avail[k].first, o->avail[k].count, &p))
				ese_report(c->rep, ESE_PR_SPACE_TREE, &at, "available page %u is not among the pages it owns", p);
		}
		if (o->parent < 0) {
			for (size_t k = 0; k < o->nowned; k++)
				if ((uint64_t)o->owned[k].first + o->owned[k].count - 1 > c->npages) {
					ese_report(c->rep, ESE_PR_FILE_TRUNCATED, &at, "owns pages up to %u, the file holds %u",
					           o->owned[k].first + o->owned[k].count - 1, c->npages);
					break;
				}
			continue;
		}
		struct object *p = &c->objs[o->parent];
		if (!p->ok)
			continue;
		for (size_t k = 0; k < o->nowned; k++) {
			uint32_t pg = 0;
			if (span_uncovered(p->owned, p->nowned, o->owned[k].first, o->owned[k].count, &pg))
				ese_report(c->rep, ESE_PR_SPACE_OUTSIDE_PARENT, &at, "owns page %u, which objid %u does not own", pg,
				           p->objid);
			if (span_overlap(p->avail, p->navail, o->owned[k].first, o->owned[k].count, &pg))
				ese_report(c->rep, ESE_PR_SPACE_PARENT_AVAIL, &at, "owns page %u, which objid %u lists as available",
				           pg, p->objid);
		}
	}
	/* unrelated objects owning the same page */
	struct span *all = NULL;
	size_t nall = 0;
	for (size_t i = 0; i < c->nobjs; i++) {
		if (!c->objs[i].ok)
			continue;
		for (size_t k = 0; k < c->objs[i].nowned; k++) {
			struct span s = c->objs[i].owned[k];
			s.objid = (uint32_t)i;           /* object index during the sweep */
			if (push_span(&all, &nall, s))
				c->oom = 1;
		}
	}
	sort_spans(all, nall);
	for (size_t i = 0; i < nall; i++) {
		for (size_t j = i + 1; j < nall && all[j].first < (uint64_t)all[i].first + all[i].count; j++) {
			int a = (int)all[i].objid, b = (int)all[j].objid;
			if (a == b || is_ancestor(c, a, b) || is_ancestor(c, b, a))
				continue;
			struct object *ob = &c->objs[b];
			ese_where at = { all[j].first, ob->objid, ob->table ? ob->table->name : NULL, ob->tree_name, -1 };
			uint64_t end = (uint64_t)all[i].first + all[i].count, end2 = (uint64_t)all[j].first + all[j].count;
			ese_report(c->rep, ESE_PR_SPACE_OWNED_TWICE, &at, "pages %u-%llu are also owned by objid %u",
			           all[j].first, (unsigned long long)((end < end2 ? end : end2) - 1), c->objs[a].objid);
		}
	}
	/* the direct owner of every owned page: the deepest object covering it */
	uint32_t *bounds = malloc((2 * nall + 1) * sizeof(uint32_t));
	size_t nb = 0;
	for (size_t i = 0; bounds && i < nall; i++) {
		bounds[nb++] = all[i].first;
		bounds[nb++] = all[i].first + all[i].count;
	}
	if (!bounds && nall)
		c->oom = 1;
	for (size_t i = 1; i < nb; i++) {         /* insertion sort: nearly sorted */
		uint32_t v = bounds[i];
		size_t j = i;
		while (j > 0 && bounds[j - 1] > v) {
			bounds[j] = bounds[j - 1];
			j--;
		}
		bounds[j] = v;
	}
	size_t start = 0;
	for (size_t b = 0; b + 1 < nb; b++) {
		uint32_t lo = bounds[b], hi = bounds[b + 1];
		if (lo == hi)
			continue;
		int best = -1;
		while (start < nall && (uint64_t)all[start].first + all[start].count <= lo &&
		       (start + 1 < nall && all[start + 1].first <= lo))
			start++;
		for (size_t i = 0; i < nall && all[i].first < hi; i++)
			if ((uint64_t)all[i].first + all[i].count > lo) {
				int k = (int)all[i].objid;
				if (best < 0 || c->objs[k].depth > c->objs[best].depth)
					best = k;
			}
		if (best < 0)
			continue;
		struct span s = { lo, hi - lo, c->objs[best].objid };
		if (c->ndirect && c->direct[c->ndirect - 1].objid == s.objid &&
		    c->direct[c->ndirect - 1].first + c->direct[c->ndirect - 1].count == lo)
			c->direct[c->ndirect - 1].count += s.count;
		else if (push_span(&c->direct, &c->ndirect, s))
			c->oom = 1;
	}
	free(bounds);
	free(all);
	/* every object's available pages, for the used-and-available check */
	for (size_t i = 0; i < c->nobjs; i++)
		for (size_t k = 0; c->objs[i].ok && k < c->objs[i].navail; k++) {
			if (push_span(&c->avail, &c->navail, c->objs[i].avail[k]))
				c->oom = 1;
			c->res->pages_avail += c->objs[i].avail[k].count;
		}
	sort_spans(c->avail, c->navail);
	/* owned / avail per tree for /ms */
	for (size_t i = 0; i < c->ndirect; i++) {
		for (size_t k = 0; k < c->nobjs; k++)
			if (c->objs[k].objid == c->direct[i].objid) {
				c->res->trees[c->objs[k].stats].owned += c->direct[i].count;
				break;
			}
	}
	for (size_t k = 0; k < c->nobjs; k++)
		for (size_t a = 0; c->objs[k].ok && a < c->objs[k].navail; a++)
			c->res->trees[c->objs[k].stats].avail += c->objs[k].avail[a].count;
}

/* ---- pass 5: leaks -------------------------------------------------------- */

static void check_leaks(struct ctx *c)
{
	for (size_t i = 0; i < c->ndirect; i++) {
		const struct span *d = &c->direct[i];
		uint64_t end = (uint64_t)d->first + d->count;
		if (end > (uint64_t)c->npages + 1)
			end = (uint64_t)c->npages + 1;
		uint32_t run_start = 0, run_len = 0;
		for (uint64_t p = d->first; p <= end; p++) {
			int leaked = p < end && !bit_get(c->used, (uint32_t)p) && !find_span(c->avail, c->navail, (uint32_t)p);
			if (leaked) {
				if (!run_len)
					run_start = (uint32_t)p;
				run_len++;
				continue;
			}
			if (run_len) {
				const char *tname = NULL, *tree = NULL;
				for (size_t k = 0; k < c->nobjs; k++)
					if (c->objs[k].objid == d->objid) {
						tname = c->objs[k].table ? c->objs[k].table->name : NULL;
						tree = c->objs[k].tree_name;
						break;
					}
				ese_where at = { run_start, d->objid, tname, tree, -1 };
				ese_report(c->rep, ESE_PR_SPACE_LEAKED, &at, run_len > 1 ? "pages %u-%u (%u pages)" : "page %u",
				           run_start, run_start + run_len - 1, run_len);
				c->res->pages_leaked += run_len;
				run_len = 0;
			}
		}
	}
	/* pages of the file that no object owns */
	uint32_t owned_last = 0;
	if (c->nobjs && c->objs[0].ok)
		for (size_t k = 0; k < c->objs[0].nowned; k++)
			if (c->objs[0].owned[k].first + c->objs[0].owned[k].count - 1 > owned_last)
				owned_last = c->objs[0].owned[k].first + c->objs[0].owned[k].count - 1;
	/* ESE extends the file ahead of the database root's owned space, so
	 * pages past the last owned one are normal: counted, not reported */
	if (owned_last && owned_last < c->npages)
		c->res->pages_unowned = c->npages - owned_last;
}

/* ---- records and long values ------------------------------------------------ */

struct lvset {
	uint64_t *lid;
	size_t n, cap;
};

static int limited_type(uint32_t coltyp)
{
	return coltyp == JET_coltypBinary || coltyp == JET_coltypText;
}

struct table_walk {
	const ese_table *t;
	struct lvset lvs;
	uint64_t cur_lid;             /* the LV whose chunks follow */
	uint32_t cur_size, next_off;
	int in_lv;
	int lv_lead;                  /* a parallel run's chunks before its first root: the run before checks them */
	size_t chunk;
	uint32_t max_fixed, max_var;
	/* the quick record check (record_fits): for each last fixed column id
	 * L, the end of the fixed data the columns up to L need, and whether
	 * one of them has no valid offset; for each variable column, its
	 * length limit (0: none) */
	uint32_t fixed_need[128];
	uint8_t fixed_bad[128];
	uint32_t var_limit[128];
};

/* Fills tw's quick-check tables from its table's columns. */
static void table_walk_init(struct table_walk *tw, const ese_table *t)
{
	memset(tw, 0, sizeof(*tw));
	tw->t = t;
	for (size_t i = 0; i < t->ncolumns; i++) {
		const ese_column *col = &t->columns[i];
		uint32_t id = col->id;
		if (id >= 1 && id < 128) {
			size_t n = ese_coltyp_fixed_size(col->coltyp);
			uint64_t end = (uint64_t)col->record_offset + (n ? n : col->size);
			for (uint32_t l = id; l < 128; l++) {
				if (col->record_offset < 4)
					tw->fixed_bad[l] = 1;
				if (end > tw->fixed_need[l])
					tw->fixed_need[l] = end > UINT32_MAX ? UINT32_MAX : (uint32_t)end;
			}
		}
		if (id < 128 && id > tw->max_fixed)
			tw->max_fixed = id;
		if (id >= 128 && id < 256) {
			if (id > tw->max_var)
				tw->max_var = id;
			if (col->size && limited_type(col->coltyp))
				tw->var_limit[id - 128] = col->size;
		}
	}
}

/* Whether r holds no column the table lacks and every fixed and variable
 * column decodes and keeps to its length limit, which is what on_record's
 * column loop would find; when not, that loop runs and says where.  (Null variable columns are not
 * checked, as ese_record_get does not.) */
static int record_fits(const struct table_walk *tw, const ese_record *r)
{
	size_t nullbytes = (r->fixed_last + 7) / 8;
	if (r->fixed_last > tw->max_fixed || (r->var_last > 127 && r->var_last > tw->max_var) ||
	    tw->fixed_bad[r->fixed_last] || tw->fixed_need[r->fixed_last] > r->fixed_end - nullbytes)
		return 0;
	size_t nvar = r->var_last > 127 ? r->var_last - 127u : 0, start = 0, area = r->tagged - r->var_data;
	const uint8_t *vo = r->data + r->fixed_end;
	for (size_t k = 0; k < nvar; k++) {
		uint16_t endw = get_le16(vo + 2 * k);
		size_t end = endw & 0x7FFF;
		if (!(endw & 0x8000)) {
			if (start > end || end > area)
				return 0;
			if (tw->var_limit[k] && end - start > tw->var_limit[k])
				return 0;
		}
		start = end;
	}
	return 1;
}

static void lv_end(struct walk *w, struct table_walk *tw, uint32_t pgno)
{
	if (tw->in_lv && tw->next_off < tw->cur_size) {
		ese_where at = where(w, pgno, -1);
		ese_report(w->c->rep, ESE_PR_LV_CORRUPT, &at, "long value %llu has %u of its %u bytes",
		           (unsigned long long)tw->cur_lid, tw->next_off, tw->cur_size);
	}
	tw->in_lv = 0;
}

/* LVROOT keys are the LID: 4 bytes, or 8 with bit 63 set (LID64). */
static int lv_key_is_root(const uint8_t *key, size_t klen)
{
	return klen == 4 || (klen == 8 && (key[0] & 0x80));
}

static void on_lv(struct walk *w, uint32_t pgno, int node, const uint8_t *key, size_t klen, const uint8_t *data,
                  size_t dlen)
{
	struct table_walk *tw = w->arg;
	ese_where at = where(w, pgno, node);
	/* LVROOT keys are the LID: 4 bytes, or 8 with bit 63 set (LID64);
	 * chunk keys are LID || offset: 8 bytes (LID32) or 12 */
	int lid64 = klen >= 8 && (key[0] & 0x80);
	int is_root = lv_key_is_root(key, klen);
	w->c->res->lvs += is_root;
	if (!is_root && tw->lv_lead)
		return;
	if (is_root) {
		tw->lv_lead = 0;
		lv_end(w, tw, pgno);
		uint64_t lid = klen == 4 ? get_be32(key) : ((uint64_t)get_be32(key) << 32 | get_be32(key + 4));
		if (dlen < 8) {
			ese_report(w->c->rep, ESE_PR_LV_KEY, &at, "long value root of %zu bytes", dlen);
			return;
		}
		if (tw->lvs.n == tw->lvs.cap) {
			size_t cap = tw->lvs.cap ? tw->lvs.cap * 2 : 64;
			uint64_t *p = realloc(tw->lvs.lid, cap * sizeof(*p));
			if (!p) {
				w->c->oom = 1;
				return;
			}
			tw->lvs.lid = p;
			tw->lvs.cap = cap;
		}
		tw->lvs.lid[tw->lvs.n++] = lid;
		tw->cur_lid = lid;
		tw->cur_size = get_le32(data + 4);
		tw->next_off = 0;
		tw->in_lv = 1;
		return;
	}
	if ((klen == 8 && !lid64) || (klen == 12 && lid64)) {
		size_t ll = klen - 4;
		uint64_t lid = ll == 4 ? get_be32(key) : ((uint64_t)get_be32(key) << 32 | get_be32(key + 4));
		uint32_t off = get_be32(key + ll);
		if (!tw->in_lv || lid != tw->cur_lid) {
			ese_report(w->c->rep, ESE_PR_LV_CORRUPT, &at, "chunk of long value %llu without its root",
			           (unsigned long long)lid);
			return;
		}
		if (off != tw->next_off) {
			ese_report(w->c->rep, ESE_PR_LV_CORRUPT, &at, "long value %llu: chunk at offset %u, expected %u",
			           (unsigned long long)lid, off, tw->next_off);
		}
		size_t want = tw->cur_size - off < tw->chunk ? tw->cur_size - off : tw->chunk;
		if (off >= tw->cur_size || (dlen > want))
			ese_report(w->c->rep, ESE_PR_LV_CORRUPT, &at, "long value %llu: chunk at %u of %zu bytes past its size %u",
			           (unsigned long long)lid, off, dlen, tw->cur_size);
		tw->next_off = off + (uint32_t)want;
		return;
	}
	ese_report(w->c->rep, ESE_PR_LV_KEY, &at, "long-value key of %zu bytes", klen);
}

/* ---- long-value trees on several cores: each run has its own value
 * state and list of LIDs; a value that goes on past a run's last leaf is
 * followed along the leaf links into the next run, which leaves the
 * chunks before its first root to it. */

static int lv_run_begin(struct walk *run, const struct walk *whole, int first)
{
	struct table_walk *tw = malloc(sizeof(*tw));
	if (!tw)
		return -1;
	*tw = *(const struct table_walk *)whole->arg;
	memset(&tw->lvs, 0, sizeof(tw->lvs));
	tw->in_lv = 0;
	tw->lv_lead = !first;
	run->arg = tw;
	return 0;
}

/* Checks the chunks that follow this run's last value in the leaves after
 * its own, up to the next root or the end of the tree.  Anything that
 * does not read as a clean leaf of this tree abandons the attempt (the
 * walk on one thread then says what it is). */
static void lv_run_end(struct walk *run)
{
	struct table_walk *tw = run->arg;
	struct ctx *c = run->c;
	uint32_t pgno = run->last_leaf_next, hops = 0;
	uint8_t key[KEYBUF];
	while (tw->in_lv && pgno) {
		const uint8_t *page;
		ese_page pg;
		ese_status st;
		ese_status_init(&st);
		if (pgno > c->npages || ++hops > c->npages || ese_db_view_page(c->db, pgno, c->pagebuf[0], &page, &st) ||
		    ese_page_parse(&pg, page, c->ps, pgno, &st) || pg.objid != run->objid || !(pg.flags & ESE_PF_LEAF)) {
			c->oom |= 2;
			return;
		}
		for (unsigned i = 1; i < pg.ntags; i++) {
			ese_node n;
			if (ese_node_quick(&pg, i, &n) || n.prefix_len + n.suffix_len > ESE_KEY_MAX) {
				c->oom |= 2;
				return;
			}
			if (n.flags & ESE_NODE_DELETED)
				continue;
			size_t klen = ese_node_key_quick(&n, key);
			if (lv_key_is_root(key, klen)) {
				lv_end(run, tw, pgno);
				return;
			}
			on_lv(run, pgno, (int)i, key, klen, n.data, n.data_len);
			if (c->rep->total)
				return;
		}
		pgno = pg.next;
	}
	lv_end(run, tw, pgno);
}

static void lv_run_join(struct walk *whole, struct walk *run, int keep)
{
	struct table_walk *to = whole->arg, *from = run->arg;
	if (keep && !whole->c->oom && from->lvs.n) {
		if (to->lvs.n + from->lvs.n > to->lvs.cap) {
			size_t cap = to->lvs.n + from->lvs.n;
			uint64_t *p = realloc(to->lvs.lid, cap * sizeof(*p));
			if (!p)
				whole->c->oom = 1;
			else {
				to->lvs.lid = p;
				to->lvs.cap = cap;
			}
		}
		if (!whole->c->oom) {
			memcpy(to->lvs.lid + to->lvs.n, from->lvs.lid, from->lvs.n * sizeof(*from->lvs.lid));
			to->lvs.n += from->lvs.n;
		}
	}
	if (keep) {
		to->in_lv = 0;            /* every run ended its last value */
		to->lv_lead = 0;
	}
	free(from->lvs.lid);
	free(from);
	run->arg = NULL;
}

static const struct run_state_ops lv_runs = { lv_run_begin, lv_run_end, lv_run_join };

static int lv_exists(const struct table_walk *tw, uint64_t lid)
{
	size_t lo = 0, hi = tw->lvs.n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (tw->lvs.lid[mid] < lid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < tw->lvs.n && tw->lvs.lid[lo] == lid;
}

static void check_value(struct walk *w, struct table_walk *tw, const ese_column *col, const ese_colval *v,
                        uint32_t pgno, int node)
{
	ese_where at = where(w, pgno, node);
	ese_status st;
	ese_status_init(&st);
	size_t cnt = ese_colval_count(v);
	for (size_t i = 0; i < cnt; i++) {
		const uint8_t *p;
		size_t n;
		int sep;
		if (ese_colval_instance(v, i, &p, &n, &sep, &st)) {
			ese_report(w->c->rep, ESE_PR_REC_UNDECODABLE, &at, "column %s (%u): %s", col->name, col->id, st.msg);
			return;
		}
		if (sep) {
			if (n != 4 && n != 8) {
				ese_report(w->c->rep, ESE_PR_REC_UNDECODABLE, &at, "column %s: long-value id of %zu bytes", col->name,
				           n);
				continue;
			}
			uint64_t lid = n == 4 ? get_le32(p) : get_le64(p);
			if (!tw->t->lv_pgno_fdp || !lv_exists(tw, lid))
				ese_report(w->c->rep, ESE_PR_REC_LV_MISSING, &at, "column %s refers to long value %llu", col->name,
				           (unsigned long long)lid);
			continue;
		}
		int compressed = (v->header & ESE_TAG_COMPRESSED) && i == 0;
		if (!compressed && col->size && limited_type(col->coltyp) && n > col->size)
			ese_report(w->c->rep, ESE_PR_REC_TOO_LONG, &at, "column %s (%u) holds %zu bytes, at most %u allowed",
			           col->name, col->id, n, col->size);
	}
}

/* The tagged columns of record r: each decodes, is defined, and its
 * values keep to their limits and long-value references. */
static void check_tagged(struct walk *w, struct table_walk *tw, const ese_record *r, uint32_t pgno, int node)
{
	ese_status st;
	ese_status_init(&st);
	for (size_t i = 0; i < r->ntagged; i++) {
		uint32_t fid;
		ese_colval v;
		if (ese_record_tagged_at(r, i, &fid, &v, &st)) {
			ese_where at = where(w, pgno, node);
			ese_report(w->c->rep, ESE_PR_REC_UNDECODABLE, &at, "tagged entry %zu: %s", i, st.msg);
			break;
		}
		const ese_column *col = ese_table_find_column(tw->t, fid);
		if (!col) {
			ese_where at = where(w, pgno, node);
			ese_report(w->c->rep, ESE_PR_REC_UNKNOWN_COLUMN, &at, "tagged column %u", fid);
			continue;
		}
		if (v.present)
			check_value(w, tw, col, &v, pgno, node);
	}
}

/* What is wrong with a record that did not decode or fit (on_record's
 * slow path: kept apart so that the usual record's path stays small). */
static __attribute__((noinline)) void record_problems(struct walk *w, struct table_walk *tw, uint32_t pgno, int node,
                                                      const uint8_t *data, size_t dlen)
{
	const ese_table *t = tw->t;
	ese_record r;
	ese_status st;
	ese_status_init(&st);
	if (ese_record_parse(&r, data, dlen, w->c->large, &st)) {
		ese_where at = where(w, pgno, node);
		ese_report(w->c->rep, ESE_PR_REC_UNDECODABLE, &at, "%s", st.msg);
		return;
	}
	ese_where at = where(w, pgno, node);
	if (r.fixed_last > tw->max_fixed)
		ese_report(w->c->rep, ESE_PR_REC_UNKNOWN_COLUMN, &at, "fixed columns up to %u, the table defines up to %u",
		           r.fixed_last, tw->max_fixed);
	if (r.var_last > 127 && r.var_last > tw->max_var)
		ese_report(w->c->rep, ESE_PR_REC_UNKNOWN_COLUMN, &at, "variable columns up to %u, the table defines up to %u",
		           r.var_last, tw->max_var);
	for (size_t i = 0; i < t->ncolumns; i++) {
		const ese_column *col = &t->columns[i];
		if (col->id >= 256)
			break;
		if ((col->id < 128 && col->id > r.fixed_last) || (col->id >= 128 && col->id > r.var_last))
			continue;
		ese_colval v;
		if (ese_record_get(&r, t, col, &v, &st)) {
			ese_report(w->c->rep, ESE_PR_REC_UNDECODABLE, &at, "column %s (%u): %s", col->name, col->id, st.msg);
			continue;
		}
		/* a fixed or variable column holds one plain value: only a length
		 * limit can be broken (separated and multiple values are tagged) */
		if (v.present && col->size && limited_type(col->coltyp))
			check_value(w, tw, col, &v, pgno, node);
	}
	check_tagged(w, tw, &r, pgno, node);
}

static void on_record(struct walk *w, uint32_t pgno, int node, const uint8_t *key, size_t klen, const uint8_t *data,
                      size_t dlen)
{
	(void)key;
	(void)klen;
	struct table_walk *tw = w->arg;
	ese_record r;
	w->c->res->records++;
	/* the usual record: decodes, fits, nothing more to say */
	if (!ese_record_parse(&r, data, dlen, w->c->large, NULL) && record_fits(tw, &r)) {
		if (r.ntagged)
			check_tagged(w, tw, &r, pgno, node);
		return;
	}
	record_problems(w, tw, pgno, node, data, dlen);
}

/* ---- pass 2: catalog ---------------------------------------------------------- */

static void compare_shadow(struct ctx *c)
{
	ese_cursor *a = NULL, *b = NULL;
	ese_status st;
	ese_status_init(&st);
	ese_where at = { 24, 3, "MSysObjectsShadow", "data", -1 };
	if (ese_cursor_open(c->db, 4, 2, &a, &st) || ese_cursor_open(c->db, 24, 3, &b, &st)) {
		c->oom = 1;
		goto out;
	}
	int shadow_off = c->hdr->db_flags & 1;
	int ea = ese_cursor_first(a, &st), eb;
	ese_status stb = { 0 };
	eb = ese_cursor_first(b, &stb);
	if (eb && eb != JET_errRecordNotFound) {
		ese_report(c->rep, ESE_PR_CAT_SHADOW_UNREADABLE, &at, "%s", stb.msg);
		goto out;
	}
	if (shadow_off) {
		if (eb == 0)
			ese_report(c->rep, ESE_PR_CAT_SHADOW, &at, "shadowing is disabled in the header, yet the shadow holds records");
		goto out;
	}
	uint64_t n = 0, reported = 0;
	while (ea == 0 && eb == 0) {
		size_t ka, kb, da, db;
		const uint8_t *pka = ese_cursor_key(a, &ka), *pkb = ese_cursor_key(b, &kb);
		const uint8_t *pda = ese_cursor_data(a, &da), *pdb = ese_cursor_data(b, &db);
		int kc = ese_key_compare(pka, ka, pkb, kb);
		if (kc || da != db || memcmp(pda, pdb, da)) {
			at.pgno = ese_cursor_pgno(b);
			if (reported++ < 16)
				ese_report(c->rep, ESE_PR_CAT_SHADOW, &at, kc ? "record %llu has another key than in MSysObjects"
				                                              : "record %llu differs from MSysObjects",
				           (unsigned long long)n + 1);
			if (kc < 0) {
				ea = ese_cursor_next(a, &st);
				n++;
				continue;
			}
			if (kc > 0) {
				eb = ese_cursor_next(b, &stb);
				continue;
			}
		}
		ea = ese_cursor_next(a, &st);
		eb = ese_cursor_next(b, &stb);
		n++;
	}
	if (ea == 0 || eb == 0) {
		at.pgno = 0;
		ese_report(c->rep, ESE_PR_CAT_SHADOW, &at, "%s has more records", ea == 0 ? "MSysObjects" : "the shadow");
	} else if ((ea && ea != JET_errRecordNotFound) || (eb && eb != JET_errRecordNotFound)) {
		ese_report(c->rep, ESE_PR_CAT_SHADOW_UNREADABLE, &at, "%s", ea != JET_errRecordNotFound ? st.msg : stb.msg);
	}
out:
	ese_cursor_close(a);
	ese_cursor_close(b);
}

/* 1 when page pgno is the root page of objid; reports CAT_ROOT if not. */
static int check_root(struct ctx *c, const char *table, const char *tree, uint32_t objid, uint32_t pgno,
                      uint32_t cat_pgno)
{
	ese_where at = { pgno, objid, table, tree, -1 };
	ese_where catat = { cat_pgno ? cat_pgno : pgno, objid, table, tree, -1 };
	if (objid > c->hdr->objid_last)
		ese_report(c->rep, ESE_PR_CAT_OBJID_LAST, &at, "objid %u, the header's last objid is %u", objid,
		           c->hdr->objid_last);
	if (pgno == 0 || pgno > c->npages) {
		ese_report(c->rep, ESE_PR_CAT_ROOT, &catat, "root page %u is outside the file", pgno);
		return 0;
	}
	const uint8_t *buf;
	ese_status st;
	ese_status_init(&st);
	ese_page pg;
	if (ese_db_get_page(c->db, pgno, &buf, &st)) {
		if (st.err == JET_errReadVerifyFailure)
			ese_report(c->rep, ESE_PR_PAGE_CHECKSUM, &at, "%s", st.msg);
		else if (st.err == JET_errPageNotInitialized)
			ese_report(c->rep, ESE_PR_PAGE_UNINIT, &at, "the catalog names an all-zero page as the root");
		else if (st.err == JET_errReadPgnoVerifyFailure)
			ese_report(c->rep, ESE_PR_PAGE_WRONG_PGNO, &at, "%s", st.msg);
		else
			ese_report(c->rep, ESE_PR_PAGE_READ, &at, "%s", st.msg);
		return 0;
	}
	if (ese_page_parse(&pg, buf, c->ps, pgno, &st)) {
		ese_report(c->rep, ESE_PR_PAGE_LAYOUT, &at, "%s", st.msg);
		return 0;
	}
	if (!(pg.flags & ESE_PF_ROOT) || pg.objid != objid) {
		/* Either the catalog points at the wrong page, or this page's own
		 * objid is damaged.  If the page is, by the catalog, the root of the
		 * object whose id it carries, the catalog entry is the wrong one. */
		int other_root = pg.objid == 1 && pgno == 1;
		for (size_t i = 0; c->cat && i < c->cat->ntables && !other_root; i++) {
			const ese_table *t = &c->cat->tables[i];
			other_root = (t->objid == pg.objid && t->pgno_fdp == pgno) ||
			             (t->lv_objid == pg.objid && t->lv_pgno_fdp == pgno);
			for (size_t j = 0; j < t->nindexes && !other_root; j++)
				other_root = t->indexes[j].objid == pg.objid && t->indexes[j].pgno_fdp == pgno;
		}
		if (other_root || !(pg.flags & ESE_PF_ROOT))
			ese_report(c->rep, ESE_PR_CAT_ROOT, &catat,
			           "the catalog names page %u as the root, but it is %s of objid %u", pgno,
			           (pg.flags & ESE_PF_ROOT) ? "the root" : "a non-root page", pg.objid);
		else
			ese_report(c->rep, ESE_PR_PAGE_OBJID, &at, "root page carries objid %u, the catalog says %u", pg.objid,
			           objid);
		return 0;
	}
	return 1;
}

/* ---- pass 6: pages outside the trees ------------------------------------------------ */

static void report_bad_page(struct ctx *c, uint32_t pgno, const ese_pagecheck_info *info, ese_pagecheck r)
{
	ese_where at = { pgno, 0, NULL, "not in any tree", -1 };
	switch (r) {
	case ESE_PAGE_BAD:
		ese_report(c->rep, ESE_PR_PAGE_CHECKSUM, &at, "stored 0x%016llx, computed 0x%016llx",
		           (unsigned long long)info->expected, (unsigned long long)info->actual);
		break;
	case ESE_PAGE_CORRECTABLE:
		ese_report(c->rep, ESE_PR_PAGE_CORRECTABLE, &at, "bit %u", info->bad_bit);
		break;
	case ESE_PAGE_WRONG_PGNO:
		ese_report(c->rep, ESE_PR_PAGE_WRONG_PGNO, &at, "it holds page %u", info->stored_pgno);
		break;
	case ESE_PAGE_UNINIT:
		c->res->pages_uninit++;
		break;
	default:
		break;
	}
}

/* Pages no tree reached: read in runs, each checksummed (tree pages were
 * verified as they were read in pass 4). */
static void scan_other_pages(struct ctx *c)
{
	const uint32_t run_max = (1u << 20) / c->ps;
	uint8_t *buf = malloc((size_t)run_max * c->ps);
	if (!buf) {
		c->oom = 1;
		return;
	}
	for (uint32_t p = 1; p <= c->npages;) {
		if (bit_get(c->used, p)) {
			p++;
			continue;
		}
		uint32_t n = 0;
		while (n < run_max && p + n <= c->npages && !bit_get(c->used, p + n))
			n++;
		ssize_t got = pread(ese_db_fd(c->db), buf, (size_t)n * c->ps, (off_t)((uint64_t)p + 1) * c->ps);
		uint32_t whole = got > 0 ? (uint32_t)((size_t)got / c->ps) : 0;
		for (uint32_t i = 0; i < whole; i++) {
			ese_pagecheck_info info;
			ese_pagecheck r = ese_checksum_verify_page(buf + (size_t)i * c->ps, c->ps, p + i, &info);
			if (r != ESE_PAGE_OK)
				report_bad_page(c, p + i, &info, r);
		}
		for (uint32_t i = whole; i < n; i++) {
			ese_where at = { p + i, 0, NULL, "not in any tree", -1 };
			ese_report(c->rep, ESE_PR_PAGE_READ, &at, "read failed");
		}
		p += n;
	}
	free(buf);
}

/* ---- driver ---------------------------------------------------------------------- */

static struct object *add_object(struct ctx *c, uint32_t objid, uint32_t pgno, int parent, const ese_table *t,
                                 ese_tree_kind kind, const char *tree_name, const char *stats_name)
{
	if (c->nobjs == 0 || (c->nobjs & (c->nobjs - 1)) == 0) {
		size_t cap = c->nobjs ? c->nobjs * 2 : 16;
		struct object *p = realloc(c->objs, cap * sizeof(*p));
		if (!p) {
			c->oom = 1;
			return NULL;
		}
		c->objs = p;
	}
	struct object *o = &c->objs[c->nobjs++];
	memset(o, 0, sizeof(*o));
	o->objid = objid;
	o->pgno = pgno;
	o->parent = parent;
	o->depth = parent < 0 ? 0 : c->objs[parent].depth + 1;
	o->ok = 1;
	o->table = t;
	o->kind = kind;
	o->tree_name = tree_name;
	if (!new_stats(c, t ? t->name : NULL, stats_name, kind, objid, pgno, &o->stats))
		c->nobjs--;
	return o;
}

static void header_checks(struct ctx *c)
{
	const ese_header_state *hs = ese_db_header_state(c->db);
	ese_where at = { 0, 0, NULL, NULL, -1 };
	if (c->hdr->state != ESE_DBSTATE_CLEAN)
		ese_report(c->rep, ESE_PR_HDR_STATE, &at, "state %u (%s); logs %d-%d are required", c->hdr->state,
		           ese_dbstate_name(c->hdr->state), c->hdr->gen_min_required, c->hdr->gen_max_required);
	if (!hs->primary_ok)
		ese_report(c->rep, ESE_PR_HDR_CHECKSUM, &at, "primary header: stored 0x%08x, computed 0x%08x",
		           hs->primary_checksum_stored, hs->primary_checksum_actual);
	if (!hs->shadow_ok)
		ese_report(c->rep, ESE_PR_HDR_CHECKSUM, &at, "shadow header: stored 0x%08x, computed 0x%08x",
		           hs->shadow_checksum_stored, hs->shadow_checksum_actual);
	if (!hs->identical && hs->primary_ok && hs->shadow_ok)
		ese_report(c->rep, ESE_PR_HDR_COPIES_DIFFER, &at, "both copies are valid but not byte-identical");
	uint64_t tail = ese_db_file_size(c->db) % c->ps;
	if (tail)
		ese_report(c->rep, ESE_PR_FILE_PARTIAL_PAGE, &at, "%llu bytes after the last whole page",
		           (unsigned long long)tail);
}

static void free_ctx(struct ctx *c)
{
	for (size_t i = 0; i < c->nobjs; i++) {
		free(c->objs[i].owned);
		free(c->objs[i].avail);
	}
	free(c->objs);
	free(c->direct);
	free(c->avail);
	free(c->used);
	free_bufs(c);
}

static void walk_object_tree(struct ctx *c, struct object *o, struct table_walk *tw)
{
	const ese_table *t = o->table;
	struct walk w = { 0 };
	w.ts = &c->res->trees[o->stats];
	w.table = t ? t->name : NULL;
	w.tree = o->tree_name;
	w.objid = o->objid;
	w.unique = 1;
	w.type_flags = 0;
	if (o->kind == ESE_TREE_LV) {
		w.type_flags = ESE_PF_LONG_VALUE;
		w.on_entry = on_lv;
		w.arg = tw;
	} else if (o->kind == ESE_TREE_INDEX) {
		const ese_index *ix = NULL;
		for (size_t j = 0; t && j < t->nindexes; j++)
			if (t->indexes[j].objid == o->objid)
				ix = &t->indexes[j];
		w.unique = ix ? (ix->flags & ESE_IDX_UNIQUE) != 0 : 1;
		w.type_flags = ESE_PF_INDEX | (w.unique ? 0 : ESE_PF_NON_UNIQUE);
	} else if (o->kind == ESE_TREE_TABLE) {
		w.on_entry = on_record;
		w.arg = tw;
	}
	/* long-value trees carry state from one entry to the next (a value's
	 * chunks follow its root): their runs each keep their own (lv_runs) */
	if (o->kind == ESE_TREE_LV)
		w.run_ops = &lv_runs;
	if (o->kind == ESE_TREE_ROOT_SPACE || !walk_tree_parallel(c, &w, o))
		walk_tree(c, &w, o->pgno);
	if (o->kind == ESE_TREE_LV)
		lv_end(&w, tw, o->pgno);
}

int ese_integrity_check(ese_db *db, ese_reporter *rep, ese_integrity *res, ese_status *st)
{
	return ese_integrity_check_opts(db, NULL, rep, res, st);
}

int ese_integrity_check_opts(ese_db *db, const ese_integrity_opts *opts, ese_reporter *rep, ese_integrity *res,
                             ese_status *st)
{
	ese_integrity local;
	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	double t0 = ese_now();
	struct ctx c = { 0 };
	c.db = db;
	c.rep = rep;
	c.res = res;
	c.hdr = ese_db_header(db);
	c.ps = ese_db_page_size(db);
	c.npages = ese_db_page_count(db);
	c.large = ese_page_is_large(c.ps);
	c.threads = opts ? opts->threads : 0;
	if (c.threads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		c.threads = n < 1 ? 1 : n > 8 ? 8 : (int)n;
	}
	c.parallel_min = opts && opts->parallel_min_pages ? opts->parallel_min_pages : 1024;
	c.estimate = !(opts && opts->no_estimate);
	res->threads = c.threads;
	res->pages_in_file = c.npages;
	c.used = calloc((size_t)c.npages / 8 + 1, 1);
	int err = 0;
	if (!c.used || alloc_bufs(&c)) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	/* pass 1 */
	header_checks(&c);
	/* pass 2 */
	ese_catalog *cat = NULL;
	ese_status cst = { 0 };
	ese_where catw = { cst.pgno, 2, "MSysObjects", "data", -1 };
	if (ese_catalog_load(db, 4, &cat, &cst)) {
		catw.pgno = cst.pgno;
		ese_report(rep, ESE_PR_CAT_UNREADABLE, &catw, "%s", cst.msg);
	}
	res->catalog_ok = cat != NULL;
	c.cat = cat;
	struct object *root = add_object(&c, 1, 1, -1, NULL, ESE_TREE_ROOT_SPACE, "database root", "<database root>");
	if (root && !check_root(&c, NULL, "database root", 1, 1, 0))
		root->ok = 0;
	if (cat) {
		compare_shadow(&c);
		for (size_t i = 0; i < cat->ntables && !c.oom; i++) {
			const ese_table *t = &cat->tables[i];
			int ti = (int)c.nobjs;
			struct object *o = add_object(&c, t->objid, t->pgno_fdp, 0, t, ESE_TREE_TABLE, "data", t->name);
			if (!o)
				break;
			o->ok = check_root(&c, t->name, "data", t->objid, t->pgno_fdp, t->cat_pgno);
			if (t->lv_objid) {
				o = add_object(&c, t->lv_objid, t->lv_pgno_fdp, ti, t, ESE_TREE_LV, "long values", "<Long Values>");
				if (o)
					o->ok = check_root(&c, t->name, "long values", t->lv_objid, t->lv_pgno_fdp, t->lv_cat_pgno);
			}
			for (size_t j = 0; j < t->nindexes; j++) {
				const ese_index *ix = &t->indexes[j];
				for (size_t k = 0; k < ix->nsegs; k++)
					if (!ese_table_find_column(t, ix->segs[k].columnid)) {
						ese_where at = { 0, ix->objid, t->name, ix->name, -1 };
						ese_report(rep, ESE_PR_CAT_DEFINITION, &at, "index %s keys on column %u, which the table lacks",
						           ix->name, ix->segs[k].columnid);
					}
				if (ix->objid == t->objid || ix->pgno_fdp == t->pgno_fdp) {
					if (ix->pgno_fdp != t->pgno_fdp || ix->objid != t->objid) {
						ese_where at = { ix->pgno_fdp, ix->objid, t->name, ix->name, -1 };
						ese_report(rep, ESE_PR_CAT_ROOT, &at, "primary index %s names page %u objid %u, the table is page %u objid %u",
						           ix->name, ix->pgno_fdp, ix->objid, t->pgno_fdp, t->objid);
					}
					continue;
				}
				o = add_object(&c, ix->objid, ix->pgno_fdp, ti, t, ESE_TREE_INDEX, ix->name, ix->name);
				if (o)
					o->ok = check_root(&c, t->name, ix->name, ix->objid, ix->pgno_fdp, ix->cat_pgno);
			}
		}
	}
	/* pass 3 */
	for (size_t i = 0; i < c.nobjs; i++) {
		if (!c.objs[i].ok)
			continue;
		if (c.objs[i].parent >= 0 && !c.objs[c.objs[i].parent].ok)
			continue;      /* its parent's space is unknown */
		read_object_space(&c, &c.objs[i]);
	}
	check_space(&c);
	/* pass 4: each table's LV tree first, then its data and index trees */
	for (size_t i = 0; i < c.nobjs && !c.oom; i++) {
		struct object *o = &c.objs[i];
		if (o->kind == ESE_TREE_ROOT_SPACE) {
			if (o->ok)
				walk_object_tree(&c, o, NULL);
			continue;
		}
		if (o->kind != ESE_TREE_TABLE)
			continue;
		struct table_walk tw;
		table_walk_init(&tw, o->table);
		tw.chunk = ese_lv_chunk_size(o->table, c.ps);
		for (size_t k = i + 1; k < c.nobjs && c.objs[k].parent == (int)i; k++)
			if (c.objs[k].kind == ESE_TREE_LV && c.objs[k].ok)
				walk_object_tree(&c, &c.objs[k], &tw);
		if (o->ok)
			walk_object_tree(&c, o, &tw);
		for (size_t k = i + 1; k < c.nobjs && c.objs[k].parent == (int)i; k++)
			if (c.objs[k].kind == ESE_TREE_INDEX && c.objs[k].ok)
				walk_object_tree(&c, &c.objs[k], &tw);
		free(tw.lvs.lid);
	}
	/* pass 5 */
	if (cat && c.nobjs && c.objs[0].ok)
		check_leaks(&c);
	/* pass 6: every page no tree reached still has to checksum (the
	 * parallel /k scan; pages in trees were verified as they were read) */
	scan_other_pages(&c);
	if (c.oom)
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	ese_catalog_free(cat);
out:
	free_ctx(&c);
	res->seconds = ese_now() - t0;
	if (res == &local)
		ese_integrity_free(res);
	return err;
}

void ese_integrity_free(ese_integrity *res)
{
	for (size_t i = 0; i < res->ntrees; i++) {
		free(res->trees[i].table);
		free(res->trees[i].name);
	}
	free(res->trees);
	res->trees = NULL;
	res->ntrees = 0;
}

uint64_t ese_tree_estimate_pages(const ese_tree_stats *t, uint32_t page_size, unsigned fill)
{
	if (fill == 0 || fill > 100)
		fill = 100;
	uint32_t hdr = page_size > 8192 ? ESE_PAGE_HDR_LARGE : ESE_PAGE_HDR_SMALL;
	/* a page holds whole entries: each costs its bytes, a 4-byte tag and a
	 * 2-byte key length; room as the bulk builder counts it */
	uint64_t usable = (uint64_t)(page_size - hdr - 4 - 16) * fill / 100;
	uint64_t leaves = 1;
	if (t->packed_leaves && fill == 100) {
		leaves = t->packed_leaves;
	} else if (t->packed_leaves) {
		leaves = (t->packed_leaves * 100 + fill - 1) / fill;
	} else if (t->entries && usable) {
		uint64_t avg = (t->data_bytes + t->entries - 1) / t->entries + 6;
		uint64_t per = avg <= usable ? usable / avg : 1;
		leaves = (t->entries + per - 1) / per;
	}
	uint64_t pages = leaves, level = leaves;
	while (level > 1) {         /* branch levels: about 100 children per page */
		level = (level + 99) / 100;
		pages += level;
	}
	/* the root's owned- and available-extent trees */
	return pages + 2;
}

uint64_t ese_integrity_estimate_total(const ese_integrity *res, uint32_t page_size, unsigned fill)
{
	uint64_t total = 0, mso = 0, shadow = 0;
	for (size_t i = 0; i < res->ntrees; i++) {
		const ese_tree_stats *t = &res->trees[i];
		uint64_t e = ese_tree_estimate_pages(t, page_size, fill);
		if (t->objid == 2 || t->objid == 4 || t->objid == 5)
			mso += e;
		else if (t->objid == 3)
			shadow += e;
		else
			total += e;
	}
	return total + (mso > 20 ? mso : 20) + (shadow > 5 ? shadow : 5);
}
