/*
 * ese_space.h - space trees: which pages each B-tree owns and which of
 * those are available (ESE space.hxx / space.cxx).
 *
 * Every tree's root carries a space header.  Single-extent trees own the
 * pages pgnoFDP .. pgnoFDP+cpgPrimary-1 and mark free ones in a bitmap;
 * multiple-extent trees keep an owned-extent (OE) tree at pgnoOE and an
 * available-extent (AE) tree at pgnoOE+1, keyed by an extent's last page
 * (4 bytes big-endian; 5-byte keys carry a pool byte first) with the page
 * count as data.
 */
#ifndef ESE_SPACE_H
#define ESE_SPACE_H

#include <stddef.h>
#include <stdint.h>
#include "ese_catalog.h"
#include "ese_page.h"

typedef struct ese_extent {
	uint32_t first;
	uint32_t count;
	uint8_t  pool;           /* AE pool (0 = regular) */
} ese_extent;

typedef struct ese_space {
	ese_space_header hdr;
	ese_extent *owned;
	size_t nowned;
	ese_extent *avail;
	size_t navail;
} ese_space;

/* Reads the space of the tree rooted at pgno_fdp (pages must carry objid).
 * For multiple-extent trees this walks the OE and AE trees. */
int ese_space_read(ese_db *db, uint32_t pgno_fdp, uint32_t objid, ese_space *sp, ese_status *st);
void ese_space_free(ese_space *sp);

/* Marks in bitmap (one bit per page, bit pgno) every page that some tree
 * of the database lists as available: the database root's AE and every
 * table's, index's and long-value tree's.  Trees whose space cannot be
 * read are skipped and counted in *unreadable. */
int ese_space_avail_bitmap(ese_db *db, const ese_catalog *cat, uint8_t *bitmap, uint32_t npages,
                           size_t *unreadable, ese_status *st);

#endif
