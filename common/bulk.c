/*
 * bulk.c - build a B-tree from sorted entries (include/ese_bulk.h).
 *
 * Each level stages one page worth of entries.  When an entry does not fit
 * the staged page of its level, that page is written (it is then certainly
 * not the root, so it gets a page number of its own), and an entry for it
 * goes to the level above: its separator and its page number.  Leaves are
 * linked as they are written: the page after a written leaf is numbered in
 * advance.  At the end each level's last page is written bottom-up with an
 * empty separator (the right spine); the one page of the top level is the
 * root and is written at pgnoFDP with the space header as tag 0.
 *
 * Invariants kept (ESE bt.cxx / node.cxx, checked by eseutil /g):
 *  1. entries ascend strictly by bookmark (key, or key || data when not unique);
 *  2. every key in a child is below its separator, and the next child's
 *     first key is at or above it;
 *  3. leaves: flag LEAF, sibling links, 0 at both ends; the level above
 *     the leaves: PARENT_OF_LEAF; internal pages: no sibling links;
 *  4. a prefix shared by a page's keys goes to tag 0 only when more than 2
 *     bytes long and it saves bytes (pfx_use); never on a root page.  Pages
 *     are filled counting that compression (a page of keys sharing a long
 *     prefix takes more of them), so the top level's page may be too full
 *     to be the root: it is then written as an ordinary page with a root
 *     above it.
 */
#include "ese_bulk.h"
#include "ese_cursor.h"
#include "ese_page.h"
#include "node.h"
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

#define MAX_LEVELS ESE_CURSOR_MAX_DEPTH
#define ERR_RECORD_TOO_BIG (-1026)

struct level {
	uint8_t *ents;                /* [u16 klen][u16 dlen][key][data] ... */
	size_t used, cap;
	size_t n;                     /* entries staged */
	size_t cost;                  /* sum of node costs without prefix */
	uint32_t pgno;                /* number given to the staged page, 0 = none yet */
	uint32_t prev;                /* the page written before it (leaves) */
	uint64_t written;             /* pages written at this level */
	size_t pfx;                   /* the prefix every staged key shares */
};

/* The key prefix a page of n nodes sharing p bytes puts in tag 0: p when
 * it saves bytes (2 per node for the prefix count, p once for tag 0, with
 * some slack), else 0. */
static size_t pfx_use(size_t n, size_t p)
{
	if (p > 0x1FFF)
		p = 0x1FFF;
	return p > 2 && n * (p - 2) > p + 16 ? p : 0;
}

/* Bytes that prefix saves on such a page: p - 2 a node, less what tag 0
 * takes beyond the 16 bytes every page keeps for it (b->room). */
static size_t pfx_saving(size_t n, size_t p)
{
	size_t u = pfx_use(n, p);
	return u ? n * (u - 2) - (u > 16 ? u - 16 : 0) : 0;
}

/* The length of the prefix key[0..klen) shares with the first staged key,
 * at most L->pfx. */
static size_t pfx_with(const struct level *L, const uint8_t *key, size_t klen)
{
	return ese_key_lcp(L->ents + 4, L->pfx, key, klen);
}

struct ese_bulk {
	ese_writer *w;
	ese_wobj *obj;
	int unique;
	unsigned fill;
	uint32_t ps, room;            /* usable bytes of a page (tag 0 of a root reserved) */
	struct level lv[MAX_LEVELS];
	int nlevels;
	uint8_t *page;
	int lvtree;                   /* a long-value tree: keep a value's root with its chunks */
	uint8_t *last;                /* last bookmark added */
	size_t last_len;
	int have_last;
	uint64_t entries, pages;
};

int ese_bulk_open(ese_writer *w, ese_wobj *obj, int unique, unsigned fill, ese_bulk **out, ese_status *st)
{
	*out = NULL;
	ese_bulk *b = calloc(1, sizeof(*b));
	if (!b)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	b->w = w;
	b->obj = obj;
	b->unique = unique;
	b->fill = fill < 20 ? 20 : fill > 100 ? 100 : fill;
	b->lvtree = (ese_wobj_type_flags(obj) & ESE_PF_LONG_VALUE) != 0;
	b->ps = ese_writer_page_size(w);
	uint32_t hdr = ese_page_is_large(b->ps) ? ESE_PAGE_HDR_LARGE : ESE_PAGE_HDR_SMALL;
	b->room = b->ps - hdr - 4 - 16;   /* tag 0's tag, and room for a space header */
	b->nlevels = 1;
	b->page = malloc(b->ps);
	b->last = malloc(2 * ESE_KEY_MAX + 8);
	if (!b->page || !b->last) {
		ese_bulk_abort(b);
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	*out = b;
	return 0;
}

void ese_bulk_abort(ese_bulk *b)
{
	if (!b)
		return;
	for (int i = 0; i < MAX_LEVELS; i++)
		free(b->lv[i].ents);
	free(b->page);
	free(b->last);
	free(b);
}

uint64_t ese_bulk_entries(const ese_bulk *b) { return b->entries; }
uint64_t ese_bulk_pages(const ese_bulk *b) { return b->pages; }

static int stage(struct level *L, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen)
{
	size_t need = 4 + klen + dlen;
	if (L->used + need > L->cap) {
		size_t cap = L->cap ? L->cap * 2 : 4096;
		while (cap < L->used + need)
			cap *= 2;
		uint8_t *p = realloc(L->ents, cap);
		if (!p)
			return -1;
		L->ents = p;
		L->cap = cap;
	}
	uint8_t *p = L->ents + L->used;
	put_le16(p, (uint16_t)klen);
	put_le16(p + 2, (uint16_t)dlen);
	if (klen)
		memcpy(p + 4, key, klen);
	if (dlen)
		memcpy(p + 4 + klen, data, dlen);
	L->pfx = L->n ? pfx_with(L, key, klen) : klen;
	L->used += need;
	L->n++;
	L->cost += ese_pb_node_cost(klen, 0, dlen);
	return 0;
}

/* Walks staged entries. */
static const uint8_t *ent_next(const uint8_t *p, const uint8_t **key, size_t *klen, const uint8_t **data, size_t *dlen)
{
	*klen = get_le16(p);
	*dlen = get_le16(p + 2);
	*key = p + 4;
	*data = p + 4 + *klen;
	return p + 4 + *klen + *dlen;
}

/* The bookmark of the last staged entry of L (key, or key || data). */
static size_t last_bookmark(const struct ese_bulk *b, const struct level *L, int level, uint8_t *out)
{
	const uint8_t *p = L->ents, *key = NULL, *data = NULL;
	size_t klen = 0, dlen = 0;
	for (size_t i = 0; i < L->n; i++)
		p = ent_next(p, &key, &klen, &data, &dlen);
	memcpy(out, key, klen);
	if (level == 0 && !b->unique) {
		memcpy(out + klen, data, dlen);
		return klen + dlen;
	}
	return klen;
}

/* Writes level's staged page as page pgno. root: tag 0 = space header. */
static int write_staged(ese_bulk *b, int level, uint32_t pgno, int root, uint32_t prev, uint32_t next, ese_status *st)
{
	struct level *L = &b->lv[level];
	uint32_t flags = ese_wobj_type_flags(b->obj) & (ESE_PF_INDEX | ESE_PF_LONG_VALUE | ESE_PF_NON_UNIQUE);
	if (level == 0)
		flags |= ESE_PF_LEAF;
	else if (level == 1)
		flags |= ESE_PF_PARENT_OF_LEAF;
	if (root)
		flags |= ESE_PF_ROOT;
	/* the prefix all keys of this page share (kept as they were staged),
	 * from the first key's bytes */
	const uint8_t *k0 = L->n ? L->ents + 4 : NULL;
	size_t prefix = !root && L->n > 1 ? pfx_use(L->n, L->pfx) : 0;
	uint8_t sh[16];
	ese_page_builder pb;
	if (root) {
		ese_wobj_space_header(b->obj, sh);
		ese_pb_init(&pb, b->page, b->ps, ese_wobj_objid(b->obj), flags, ese_writer_next_dbtime(b->w), sh, 16);
	} else {
		ese_pb_init(&pb, b->page, b->ps, ese_wobj_objid(b->obj), flags, ese_writer_next_dbtime(b->w), k0, prefix);
	}
	const uint8_t *p = L->ents;
	for (size_t i = 0; i < L->n; i++) {
		const uint8_t *key, *data;
		size_t klen, dlen;
		p = ent_next(p, &key, &klen, &data, &dlen);
		size_t use = prefix && klen >= prefix ? prefix : 0;
		if (ese_pb_add_node(&pb, key, klen, use, data, dlen))
			return ese_fail(st, JET_errInvalidParameter, pgno, "internal: staged entries overflow page %u", pgno);
	}
	ese_pb_finish(&pb, level == 0 ? prev : 0, level == 0 ? next : 0);
	int err = ese_writer_put_page(b->w, pgno, b->page, st);
	if (!err) {
		b->pages++;
		L->written++;
		if (root)
			ese_wobj_root_written(b->obj);
	}
	return err;
}

static int push(ese_bulk *b, int level, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
                const uint8_t *bm, size_t bmlen, ese_status *st);

/* The staged page of level is full: write it and open the next one.
 * next_bm: the bookmark of the entry that did not fit (leaves: to derive
 * the separator; internal levels use their last node's key). */
static int flush_level(ese_bulk *b, int level, const uint8_t *next_bm, size_t next_len, ese_status *st)
{
	struct level *L = &b->lv[level];
	if (level + 1 >= MAX_LEVELS)
		return ese_fail(st, JET_errInvalidParameter, 0, "tree would be deeper than %d levels", MAX_LEVELS);
	/* Long-value trees: when the entry that did not fit continues the value
	 * whose root (a 4-byte key) is on this page, the page ends before that
	 * root instead, so a value's root and first chunks share a page and the
	 * separator falls on a value boundary, as ESE lays them out (readers
	 * such as libesedb find a value's root only then). */
	uint8_t *tail = NULL;
	size_t tail_used = 0, tail_n = 0;
	if (level == 0 && b->lvtree && L->n > 1 && next_len >= 4) {
		const uint8_t *p = L->ents, *key, *data;
		size_t klen, dlen, m = 0, off_m = 0;
		for (size_t i = 0; i < L->n; i++) {
			const uint8_t *q = ent_next(p, &key, &klen, &data, &dlen);
			if (klen == 4) {
				off_m = (size_t)(p - L->ents);
				if (memcmp(key, next_bm, 4) != 0)
					m = (size_t)-1;        /* a different value: only the last root counts */
				else
					m = i;
			}
			p = q;
		}
		if (m != (size_t)-1 && m > 0 && off_m > 0) {
			const uint8_t *first = L->ents + off_m;
			size_t fk = get_le16(first);
			if (fk == 4 && memcmp(first + 4, next_bm, 4) == 0) {
				tail_used = L->used - off_m;
				tail_n = L->n - m;
				if (!(tail = malloc(tail_used)))
					return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
				memcpy(tail, first, tail_used);
				L->used = off_m;
				L->n = m;
				L->cost = 0;
				p = L->ents;
				for (size_t i = 0; i < L->n; i++) {
					p = ent_next(p, &key, &klen, &data, &dlen);
					L->cost += ese_pb_node_cost(klen, 0, dlen);
					L->pfx = i ? pfx_with(L, key, klen) : klen;
				}
				next_bm = tail + 4;       /* the separator is that root's key */
				next_len = 4;
			}
		}
	}
	if (!L->pgno && !(L->pgno = ese_wobj_alloc_page(b->obj, st)))
		return st ? st->err : JET_errDiskFull;
	uint32_t next = 0;
	if (level == 0 && !(next = ese_wobj_alloc_page(b->obj, st)))
		return st ? st->err : JET_errDiskFull;
	int err = write_staged(b, level, L->pgno, 0, L->prev, next, st);
	uint8_t *sep = err ? NULL : malloc(2 * ESE_KEY_MAX + 8);
	if (err || !sep) {
		free(tail);
		return err ? err : ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	/* the separator for the page just written */
	size_t seplen;
	if (level == 0) {
		size_t ll = last_bookmark(b, L, 0, sep);
		seplen = ese_key_separator_len(sep, ll, next_bm, next_len);
		memcpy(sep, next_bm, seplen);
	} else {
		seplen = last_bookmark(b, L, level, sep);
	}
	(void)next_bm;
	uint8_t child[4];
	put_le32(child, L->pgno);
	uint32_t written = L->pgno;
	L->prev = written;
	L->pgno = next;
	L->used = 0;
	L->n = 0;
	L->cost = 0;
	for (const uint8_t *p = tail; p && p < tail + tail_used;) {
		const uint8_t *key, *data;
		size_t klen, dlen;
		p = ent_next(p, &key, &klen, &data, &dlen);
		if (stage(L, key, klen, data, dlen)) {
			free(tail);
			free(sep);
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		}
	}
	(void)tail_n;
	if (level + 1 >= b->nlevels)
		b->nlevels = level + 2;
	err = push(b, level + 1, sep, seplen, child, 4, sep, seplen, st);
	free(sep);
	free(tail);
	return err;
}

static int push(ese_bulk *b, int level, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen,
                const uint8_t *bm, size_t bmlen, ese_status *st)
{
	struct level *L = &b->lv[level];
	size_t cost = ese_pb_node_cost(klen, 0, dlen);
	uint64_t limit = level == 0 ? (uint64_t)b->room * b->fill / 100 : b->room;
	if (cost > b->room)
		return ese_fail(st, ERR_RECORD_TOO_BIG, 0, "an entry of %zu bytes does not fit a %u-byte page", cost, b->ps);
	/* what the page would take with the new entry, its shared key prefix
	 * counted as write_staged will compress it */
	if (L->n && L->cost + cost - pfx_saving(L->n + 1, pfx_with(L, key, klen)) > limit) {
		int err = flush_level(b, level, bm, bmlen, st);
		if (err)
			return err;
	}
	if (stage(L, key, klen, data, dlen))
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	return 0;
}

int ese_bulk_add(ese_bulk *b, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen, ese_status *st)
{
	if (klen > ESE_KEY_MAX || (!b->unique && dlen > ESE_KEY_MAX))
		return ese_fail(st, JET_errInvalidParameter, 0, "key of %zu bytes is too long", klen);
	uint8_t *bm = b->page;        /* scratch: the page buffer is free between writes */
	size_t bmlen = klen;
	memcpy(bm, key, klen);
	if (!b->unique) {
		memcpy(bm + klen, data, dlen);
		bmlen += dlen;
	}
	if (b->have_last && ese_key_compare(b->last, b->last_len, bm, bmlen) >= 0)
		return ese_fail(st, JET_errInvalidParameter, 0, "entries out of order or duplicated (entry %llu)",
		                (unsigned long long)b->entries + 1);
	memcpy(b->last, bm, bmlen);
	b->last_len = bmlen;
	b->have_last = 1;
	int err = push(b, 0, key, klen, data, dlen, b->last, b->last_len, st);
	if (!err)
		b->entries++;
	return err;
}

int ese_bulk_finish(ese_bulk *b, ese_status *st)
{
	int err = 0;
	for (int level = 0; level < b->nlevels && !err; level++) {
		struct level *L = &b->lv[level];
		/* the one page of the top level is the root, whose tag 0 is the
		 * space header: no key prefix, so it must fit uncompressed, else it
		 * is written as an ordinary page and a root goes above it */
		int top = level == b->nlevels - 1 && L->written == 0 && L->cost <= b->room;
		if (top) {
			err = write_staged(b, level, ese_wobj_fdp(b->obj), 1, 0, 0, st);
			break;
		}
		if (!L->pgno && !(L->pgno = ese_wobj_alloc_page(b->obj, st))) {
			err = st ? st->err : JET_errDiskFull;
			break;
		}
		if ((err = write_staged(b, level, L->pgno, 0, L->prev, 0, st)))
			break;
		uint8_t child[4];
		put_le32(child, L->pgno);
		if (level + 1 >= b->nlevels)
			b->nlevels = level + 2;
		/* the right spine: an empty separator */
		err = push(b, level + 1, NULL, 0, child, 4, NULL, 0, st);
	}
	ese_bulk_abort(b);
	return err;
}
