/*
 * space.c - read space trees (include/ese_space.h).
 *
 * Relies on ese_page_space_header for the root's header and on the cursor
 * for the OE/AE trees.  Extents are checked only for arithmetic sanity
 * here (count > 0, first page >= 1, no wrap); how they relate to each
 * other and to the file is the integrity checker's business.
 */
#include "ese_space.h"
#include "ese_cursor.h"
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

static int push(ese_extent **arr, size_t *n, ese_extent e)
{
	if ((*n & (*n - 1)) == 0 || *n == 0) {
		size_t cap = *n ? *n * 2 : 8;
		ese_extent *p = realloc(*arr, cap * sizeof(*p));
		if (!p)
			return -1;
		*arr = p;
	}
	(*arr)[(*n)++] = e;
	return 0;
}

static int read_extent_tree(ese_db *db, uint32_t root, uint32_t objid, ese_extent **arr, size_t *n,
                            ese_status *st)
{
	ese_cursor *c;
	int err = ese_cursor_open(db, root, objid, &c, st);
	if (err)
		return err;
	for (err = ese_cursor_first(c, st); err == 0; err = ese_cursor_next(c, st)) {
		size_t klen, dlen;
		const uint8_t *k = ese_cursor_key(c, &klen), *d = ese_cursor_data(c, &dlen);
		ese_extent e = { 0 };
		uint32_t last;
		if (klen == 4) {
			last = get_be32(k);
		} else if (klen == 5 && (k[0] & 0x80)) {
			e.pool = k[0] & 0x7F;
			last = get_be32(k + 1);
		} else {
			err = ese_fail(st, JET_errDatabaseCorrupted, ese_cursor_pgno(c),
			               "space tree page %u: extent key of %zu bytes", ese_cursor_pgno(c), klen);
			break;
		}
		if (dlen < 4) {
			err = ese_fail(st, JET_errDatabaseCorrupted, ese_cursor_pgno(c),
			               "space tree page %u: extent without a page count", ese_cursor_pgno(c));
			break;
		}
		uint32_t cpg = get_le32(d);
		if (cpg == 0 && e.pool == 0)
			continue;               /* ESE keeps empty placeholder extents */
		if (cpg > last) {
			err = ese_fail(st, JET_errDatabaseCorrupted, ese_cursor_pgno(c),
			               "space tree page %u: extent of %u pages ending at page %u", ese_cursor_pgno(c), cpg,
			               last);
			break;
		}
		e.first = last - cpg + 1;
		e.count = cpg;
		if (push(arr, n, e)) {
			err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
			break;
		}
	}
	ese_cursor_close(c);
	return err == JET_errRecordNotFound ? 0 : err;
}

static int space_read(ese_db *db, uint32_t pgno_fdp, uint32_t objid, ese_space *sp, ese_status *st)
{
	memset(sp, 0, sizeof(*sp));
	const uint8_t *buf;
	ese_page pg;
	int err = ese_db_get_page(db, pgno_fdp, &buf, st);
	if (err || (err = ese_page_parse(&pg, buf, ese_db_page_size(db), pgno_fdp, st)))
		return err;
	if (objid && pg.objid != objid)
		return ese_fail(st, JET_errDatabaseCorrupted, pgno_fdp, "page %u belongs to object %u, expected %u",
		                pgno_fdp, pg.objid, objid);
	if ((err = ese_page_space_header(&pg, pgno_fdp, &sp->hdr, st)))
		return err;
	if (!(sp->hdr.flags & 1)) {
		uint32_t cpg = sp->hdr.cpg_primary;
		if (cpg == 0 || cpg > 0xFFFFFFFFu - pgno_fdp)
			return ese_fail(st, JET_errDatabaseCorrupted, pgno_fdp, "page %u: single extent of %u pages",
			                pgno_fdp, cpg);
		ese_extent e = { pgno_fdp, cpg, 0 };
		if (push(&sp->owned, &sp->nowned, e))
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		/* bit k = page fdp+1+k free; ESE writes all ones when cpg > 32 */
		uint32_t bits = sp->hdr.avail_bitmap;
		for (uint32_t k = 0; k < 32 && k + 1 < cpg; k++) {
			if (!(bits & (1u << k)))
				continue;
			ese_extent a = { pgno_fdp + 1 + k, 1, 0 };
			if (sp->navail && sp->avail[sp->navail - 1].first + sp->avail[sp->navail - 1].count == a.first)
				sp->avail[sp->navail - 1].count++;
			else if (push(&sp->avail, &sp->navail, a))
				return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		}
		return 0;
	}
	uint32_t oe = sp->hdr.pgno_oe;
	if (oe == 0 || oe >= ese_db_page_count(db))
		return ese_fail(st, JET_errDatabaseCorrupted, pgno_fdp, "page %u: owned-extent root %u outside the file",
		                pgno_fdp, oe);
	if ((err = read_extent_tree(db, oe, pg.objid, &sp->owned, &sp->nowned, st)))
		return err;
	return read_extent_tree(db, oe + 1, pg.objid, &sp->avail, &sp->navail, st);
}

/* On failure nothing stays allocated in sp. */
int ese_space_read(ese_db *db, uint32_t pgno_fdp, uint32_t objid, ese_space *sp, ese_status *st)
{
	int err = space_read(db, pgno_fdp, objid, sp, st);
	if (err)
		ese_space_free(sp);
	return err;
}

void ese_space_free(ese_space *sp)
{
	free(sp->owned);
	free(sp->avail);
	memset(sp, 0, sizeof(*sp));
}

static void mark(uint8_t *bitmap, uint32_t npages, const ese_space *sp)
{
	for (size_t i = 0; i < sp->navail; i++)
		for (uint64_t p = sp->avail[i].first; p < (uint64_t)sp->avail[i].first + sp->avail[i].count; p++)
			if (p <= npages)
				bitmap[p >> 3] |= (uint8_t)(1u << (p & 7));
}

/* Marks one tree's available pages; counts it in *unreadable if its space
 * cannot be read. */
static void mark_tree(ese_db *db, uint32_t pgno, uint32_t objid, uint8_t *bitmap, uint32_t npages,
                      size_t *unreadable)
{
	ese_space sp;
	ese_status tmp = { 0 };
	if (pgno == 0 || pgno > npages || ese_space_read(db, pgno, objid, &sp, &tmp)) {
		(*unreadable)++;
		return;
	}
	mark(bitmap, npages, &sp);
	ese_space_free(&sp);
}

int ese_space_avail_bitmap(ese_db *db, const ese_catalog *cat, uint8_t *bitmap, uint32_t npages,
                           size_t *unreadable, ese_status *st)
{
	(void)st;
	*unreadable = 0;
	mark_tree(db, 1, 1, bitmap, npages, unreadable);
	for (size_t i = 0; i < cat->ntables; i++) {
		const ese_table *t = &cat->tables[i];
		mark_tree(db, t->pgno_fdp, t->objid, bitmap, npages, unreadable);
		if (t->lv_pgno_fdp)
			mark_tree(db, t->lv_pgno_fdp, t->lv_objid, bitmap, npages, unreadable);
		for (size_t j = 0; j < t->nindexes; j++) {
			const ese_index *ix = &t->indexes[j];
			if (ix->objid == t->objid || ix->pgno_fdp == t->pgno_fdp)
				continue;       /* the primary index is the table's own tree */
			mark_tree(db, ix->pgno_fdp, ix->objid, bitmap, npages, unreadable);
		}
	}
	return 0;
}
