/*
 * cursor.c - key-order walk and seek over one B-tree (include/ese_cursor.h).
 *
 * Invariants relied on (ESE bt.cxx / node.cxx): leaf pages carry
 * ESE_PF_LEAF; an internal node's data starts with the child's pgno (u32);
 * an internal node's key S bounds its child from above (child keys < S;
 * keys equal to S live to the right); the last node of an internal page is
 * unbounded.  What is NOT relied on: sibling links, and that the tree is a
 * tree.  Guards: depth <= ESE_CURSOR_MAX_DEPTH, no page twice on one path,
 * and no more page visits than the file has pages, so a damaged tree ends
 * in JET_errBadPageLink rather than a hang.
 */
#include "ese_cursor.h"
#include "ese_page.h"
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

struct level {
	uint32_t pgno;
	uint8_t *buf;
	ese_page pg;
	unsigned idx;
};

struct ese_cursor {
	ese_db  *db;
	uint32_t root, objid;
	int      depth;              /* levels in use; leaf = depth-1 */
	struct level lv[ESE_CURSOR_MAX_DEPTH];
	uint64_t visits, max_visits;
	uint8_t  key[ESE_KEY_MAX];
	size_t   keylen;
	const uint8_t *data;
	size_t   datalen;
};

int ese_cursor_open(ese_db *db, uint32_t pgno_root, uint32_t objid, ese_cursor **out, ese_status *st)
{
	*out = NULL;
	ese_cursor *c = calloc(1, sizeof(*c));
	if (!c)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	uint32_t ps = ese_db_page_size(db);
	for (int i = 0; i < ESE_CURSOR_MAX_DEPTH; i++) {
		if (!(c->lv[i].buf = malloc(ps))) {
			ese_cursor_close(c);
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		}
	}
	c->db = db;
	c->root = pgno_root;
	c->objid = objid;
	*out = c;
	return 0;
}

void ese_cursor_close(ese_cursor *c)
{
	if (!c)
		return;
	for (int i = 0; i < ESE_CURSOR_MAX_DEPTH; i++)
		free(c->lv[i].buf);
	free(c);
}

/* Loads pgno as level d, checking the page belongs to this tree. */
static int load_level(ese_cursor *c, int d, uint32_t pgno, ese_status *st)
{
	if (d >= ESE_CURSOR_MAX_DEPTH)
		return ese_fail(st, JET_errBadPageLink, pgno,
		                "tree rooted at page %u is deeper than %d levels (loop in child links?)", c->root,
		                ESE_CURSOR_MAX_DEPTH);
	for (int i = 0; i < d; i++)
		if (c->lv[i].pgno == pgno)
			return ese_fail(st, JET_errBadPageLink, pgno,
			                "page %u is its own ancestor in the tree rooted at page %u", pgno, c->root);
	if (++c->visits > c->max_visits)
		return ese_fail(st, JET_errBadPageLink, pgno,
		                "tree rooted at page %u reaches more pages than the file holds (shared subtrees?)",
		                c->root);
	struct level *L = &c->lv[d];
	const uint8_t *page;
	int err = ese_db_view_page(c->db, pgno, L->buf, &page, st);
	if (err)
		return err;
	if ((err = ese_page_parse(&L->pg, page, ese_db_page_size(c->db), pgno, st)))
		return err;
	if (c->objid && L->pg.objid != c->objid)
		return ese_fail(st, JET_errBadPageLink, pgno,
		                "page %u belongs to object %u, expected %u (tree rooted at page %u)", pgno,
		                L->pg.objid, c->objid, c->root);
	if (d == 0 && !(L->pg.flags & ESE_PF_ROOT))
		return ese_fail(st, JET_errBadPageLink, pgno, "page %u is not a root page", pgno);
	if (L->pg.flags & ESE_PF_EMPTY)
		return ese_fail(st, JET_errBadPageLink, pgno, "page %u is a freed (empty) page inside a tree", pgno);
	L->pgno = pgno;
	L->idx = 0;
	c->depth = d + 1;
	return 0;
}

/* The child pgno of internal node idx at level d. */
static int child_of(ese_cursor *c, int d, unsigned idx, uint32_t *child, ese_status *st)
{
	struct level *L = &c->lv[d];
	ese_node n;
	int err = ese_page_node(&L->pg, L->pgno, idx, &n, st);
	if (err)
		return err;
	if (n.data_len < 4)
		return ese_fail(st, JET_errDatabaseCorrupted, L->pgno,
		                "page %u: internal node %u has no child page number", L->pgno, idx);
	*child = get_le32(n.data);
	if (*child == 0 || *child > ese_db_page_count(c->db))
		return ese_fail(st, JET_errBadPageLink, L->pgno,
		                "page %u: node %u points at page %u, outside the file (%u pages)", L->pgno, idx,
		                *child, ese_db_page_count(c->db));
	return 0;
}

static int is_leaf(const struct level *L) { return (L->pg.flags & ESE_PF_LEAF) != 0; }

/* Makes the current leaf node the cursor's entry, or returns 1 if the
 * node at idx is deleted and must be skipped. */
static int take_entry(ese_cursor *c, ese_status *st)
{
	struct level *L = &c->lv[c->depth - 1];
	ese_node n;
	int err = ese_page_node(&L->pg, L->pgno, L->idx, &n, st);
	if (err)
		return err;
	if (n.flags & ESE_NODE_DELETED)
		return 1;
	size_t k = ese_node_key(&n, c->key, sizeof(c->key));
	if (k == (size_t)-1)
		return ese_fail(st, JET_errDatabaseCorrupted, L->pgno, "page %u: node %u key too long", L->pgno,
		                L->idx);
	c->keylen = k;
	c->data = n.data;
	c->datalen = n.data_len;
	return 0;
}

/* From level d positioned at an internal node, descend leftmost. */
static int descend_leftmost(ese_cursor *c, int d, ese_status *st)
{
	for (;;) {
		struct level *L = &c->lv[d];
		if (is_leaf(L))
			return 0;
		if (L->idx == 0)
			L->idx = 1;
		if (L->idx >= L->pg.ntags)
			return ese_fail(st, JET_errBadPageLink, L->pgno, "page %u: internal page without nodes", L->pgno);
		uint32_t child;
		int err = child_of(c, d, L->idx, &child, st);
		if (err || (err = load_level(c, d + 1, child, st)))
			return err;
		d++;
		c->lv[d].idx = 0;
	}
}

/* Advances to the next undeleted leaf entry starting at the current leaf
 * idx (inclusive when inclusive != 0). */
static int settle(ese_cursor *c, int inclusive, ese_status *st)
{
	int err;
	for (;;) {
		int d = c->depth - 1;
		struct level *L = &c->lv[d];
		if (!inclusive || L->idx == 0)
			L->idx++;
		inclusive = 0;
		if (L->idx < L->pg.ntags) {
			err = take_entry(c, st);
			if (err <= 0)
				return err;
			inclusive = 0;
			continue;         /* deleted node: skip */
		}
		/* leaf exhausted: climb to the first ancestor with a next child */
		for (;;) {
			if (d == 0)
				return JET_errRecordNotFound;
			d--;
			struct level *P = &c->lv[d];
			if (++P->idx < P->pg.ntags) {
				uint32_t child;
				if ((err = child_of(c, d, P->idx, &child, st)) || (err = load_level(c, d + 1, child, st)))
					return err;
				if ((err = descend_leftmost(c, d + 1, st)))
					return err;
				c->lv[c->depth - 1].idx = 0;
				break;
			}
		}
	}
}

int ese_cursor_first(ese_cursor *c, ese_status *st)
{
	c->visits = 0;
	c->max_visits = (uint64_t)ese_db_page_count(c->db) + 8;
	int err = load_level(c, 0, c->root, st);
	if (err || (err = descend_leftmost(c, 0, st)))
		return err;
	c->lv[c->depth - 1].idx = 0;
	return settle(c, 1, st);
}

int ese_cursor_next(ese_cursor *c, ese_status *st)
{
	if (c->depth == 0)
		return JET_errRecordNotFound;
	return settle(c, 0, st);
}

int ese_cursor_seek(ese_cursor *c, const uint8_t *key, size_t len, ese_status *st)
{
	c->visits = 0;
	c->max_visits = (uint64_t)ese_db_page_count(c->db) + 8;
	int err = load_level(c, 0, c->root, st);
	if (err)
		return err;
	for (int d = 0;; d++) {
		struct level *L = &c->lv[d];
		if (L->pg.ntags < 2) {
			if (!is_leaf(L))
				return ese_fail(st, JET_errBadPageLink, L->pgno, "page %u: internal page without nodes",
				                L->pgno);
			L->idx = 0;
			return settle(c, 1, st);
		}
		if (is_leaf(L)) {
			unsigned i;
			for (i = 1; i < L->pg.ntags; i++) {
				ese_node n;
				if ((err = ese_page_node(&L->pg, L->pgno, i, &n, st)))
					return err;
				if (ese_node_keycmp(&n, key, len) >= 0)
					break;
			}
			L->idx = i;
			if (i >= L->pg.ntags) {
				L->idx = L->pg.ntags - 1;
				return settle(c, 0, st);
			}
			return settle(c, 1, st);
		}
		unsigned i;
		for (i = 1; i + 1 < L->pg.ntags; i++) {
			ese_node n;
			if ((err = ese_page_node(&L->pg, L->pgno, i, &n, st)))
				return err;
			if (ese_node_keycmp(&n, key, len) > 0)
				break;
		}
		L->idx = i;
		uint32_t child;
		if ((err = child_of(c, d, i, &child, st)) || (err = load_level(c, d + 1, child, st)))
			return err;
	}
}

const uint8_t *ese_cursor_key(const ese_cursor *c, size_t *len)
{
	*len = c->keylen;
	return c->key;
}

const uint8_t *ese_cursor_data(const ese_cursor *c, size_t *len)
{
	*len = c->datalen;
	return c->data;
}

uint32_t ese_cursor_pgno(const ese_cursor *c)
{
	return c->depth ? c->lv[c->depth - 1].pgno : 0;
}
