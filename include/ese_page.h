/*
 * ese_page.h - the database page: header, tag array and nodes.
 *
 * Page header (ESE cpage.hxx PGHDR/PGHDR2): 40 bytes on 2/4/8 KiB pages,
 * 80 on 16/32 KiB pages.  The tag array grows down from the end of the page,
 * 4 bytes per tag (cb, ib).  Tag 0 is the page's external header (root
 * pages: the space header; other pages: the key prefix); tags 1.. are nodes
 * in key order.  Every accessor checks the page bounds and reports a
 * corruption instead of reading outside the buffer.  Pure codec: no I/O.
 */
#ifndef ESE_PAGE_H
#define ESE_PAGE_H

#include <stddef.h>
#include <stdint.h>
#include "ese_error.h"

/* Page flags (cpage.hxx). */
#define ESE_PF_ROOT            0x00001u
#define ESE_PF_LEAF            0x00002u
#define ESE_PF_PARENT_OF_LEAF  0x00004u
#define ESE_PF_EMPTY           0x00008u
#define ESE_PF_REPAIR          0x00010u
#define ESE_PF_SPACE_TREE      0x00020u
#define ESE_PF_INDEX           0x00040u
#define ESE_PF_LONG_VALUE      0x00080u
#define ESE_PF_NON_UNIQUE      0x00400u
#define ESE_PF_NEW_RECORD_FMT  0x00800u
#define ESE_PF_NEW_CHECKSUM    0x02000u
#define ESE_PF_SCRUBBED        0x04000u
#define ESE_PF_FLUSH_TYPE      0x18000u
#define ESE_PF_PREINIT         0x20000u

/* Node flags (node.hxx). */
#define ESE_NODE_VERSION     1u
#define ESE_NODE_DELETED     2u
#define ESE_NODE_COMPRESSED  4u

#define ESE_PAGE_HDR_SMALL 40u
#define ESE_PAGE_HDR_LARGE 80u

/* 1 for 16/32 KiB pages (extended header, 15-bit tags), else 0. */
static inline int ese_page_is_large(uint32_t page_size) { return page_size > 8192; }

typedef struct ese_page {
	const uint8_t *buf;       /* the whole page */
	uint32_t size;            /* page size in bytes */
	uint32_t hdr_len;         /* 40 or 80 */
	int      large;
	uint64_t checksum;        /* offset 0 */
	uint64_t dbtime;          /* offset 8 */
	uint32_t prev, next;      /* offsets 16, 20: leaf sibling links */
	uint32_t objid;           /* offset 24: owning tree (objidFDP) */
	uint16_t cb_free;         /* offset 28 */
	uint16_t cb_uncommitted;  /* offset 30 */
	uint16_t ib_mic_free;     /* offset 32, relative to the end of the header */
	uint16_t ntags;           /* offset 34 bits 0-11: itagMicFree */
	uint32_t flags;           /* offset 36 */
	uint32_t stored_pgno;     /* large pages: offset 64 */
	/* the key prefix node keys take their first bytes from (tag 0's line;
	 * none on a non-space-tree root; after the 16-byte split buffer on a
	 * space-tree root), decoded once by ese_page_parse */
	const uint8_t *prefix;
	uint32_t prefix_len;
	int      tag0_bad;        /* tag 0 lies outside the data area */
} ese_page;

/* One tag: where its line lives (relative to the page start) and the node
 * flags carried by the tag (small pages) or the line (large pages). */
typedef struct ese_tag {
	uint32_t off;
	uint32_t len;
	unsigned flags;
} ese_tag;

/* One node (a line other than tag 0), key split in prefix and suffix. */
typedef struct ese_node {
	const uint8_t *prefix;   size_t prefix_len;
	const uint8_t *suffix;   size_t suffix_len;
	const uint8_t *data;     size_t data_len;
	unsigned flags;
} ese_node;

/* Decodes the header of page pgno.  Returns 0 or JET_errDatabaseCorrupted
 * if the header's counters cannot describe a page of this size (tag array
 * larger than the page, ibMicFree past the tags). */
int ese_page_parse(ese_page *pg, const uint8_t *buf, uint32_t size, uint32_t pgno, ese_status *st);

/* Tag i (0 <= i < ntags).  JET_errDatabaseCorrupted when the line lies
 * outside the data area. */
int ese_page_tag(const ese_page *pg, uint32_t pgno, unsigned i, ese_tag *t, ese_status *st);

/* Node i (1 <= i < ntags): decodes the prefix/suffix/data split.
 * JET_errDatabaseCorrupted when the lengths do not fit the line or the
 * prefix is longer than tag 0. */
int ese_page_node(const ese_page *pg, uint32_t pgno, unsigned i, ese_node *n, ese_status *st);

/* Copies a node's full key (prefix + suffix) into out (capacity cap);
 * returns its length, or (size_t)-1 if it does not fit. */
size_t ese_node_key(const ese_node *n, uint8_t *out, size_t cap);

/* Compares two keys (or bookmarks) as ESE does: memcmp over the shorter
 * length, then the shorter one first.  Returns <0, 0, >0. */
int ese_key_compare(const uint8_t *a, size_t al, const uint8_t *b, size_t bl);

/* Node i's bookmark into out: its full key (at most keymax bytes), then in a
 * non-unique tree (unique == 0) its data (at most keymax bytes more); *len
 * gets the length and *n the decoded node.  JET_errDatabaseCorrupted when
 * the key is longer than keymax. */
int ese_node_bookmark(const ese_page *pg, uint32_t pgno, unsigned i, int unique, size_t keymax, uint8_t *out,
                      size_t *len, ese_node *n, ese_status *st);

/* Compares a node's key with key[0..len) as ESE does (memcmp, then length).
 * Returns <0, 0, >0. */
int ese_node_keycmp(const ese_node *n, const uint8_t *key, size_t len);

/* The space header (tag 0 of a non-space-tree root page, 16 bytes). */
typedef struct ese_space_header {
	uint32_t cpg_primary;
	uint32_t pgno_parent;
	uint32_t flags;           /* 1 multiple extents, 2 non-unique, 4 v2 */
	uint32_t pgno_oe;         /* multiple-extent: owned-extent tree root */
	uint32_t avail_bitmap;    /* single-extent: bit k = page fdp+1+k free */
} ese_space_header;

/* Where the SPACE_HEADER begins in a root's tag 0 of t0len bytes: after
 * the presence byte of an extended root header (17 or 25 bytes), else at
 * its start.  Its fields: cpgPrimary at +0, pgnoParent +4, flags +8,
 * pgnoOE or the single extent's availability bitmap +12. */
size_t ese_space_header_offset(uint32_t t0len);

/* Decodes a root page's space header from tag 0 (16, 17 or 25 bytes). */
int ese_page_space_header(const ese_page *pg, uint32_t pgno, ese_space_header *sh, ese_status *st);


/* ---- writing pages ------------------------------------------------------
 * A page is laid out as ESE lays out a freshly written page: tag 0's line
 * first at ib 0, node lines after it in order, the tag array from the end,
 * cbFree / ibMicFree / itagMicFree exact, node flags 0 (no version, not
 * deleted).  The builder never lets lines and tags overlap: a node that
 * does not fit is refused. */
typedef struct ese_page_builder {
	uint8_t *buf;
	uint32_t size, hdr_len;
	int      large;
	uint32_t ntags;           /* tags written, tag 0 included */
	uint32_t data_end;        /* next free byte of the data area (ibMicFree) */
	uint32_t line_bytes;      /* sum of every tag's cb */
} ese_page_builder;

/* Starts a page in buf (size bytes, zeroed here) owned by objid with page
 * flags (ESE_PF_*; NEW_RECORD_FMT and NEW_CHECKSUM are always added), and
 * tag 0's line (the root's space header, or the key prefix; may be empty). */
void ese_pb_init(ese_page_builder *pb, uint8_t *buf, uint32_t size, uint32_t objid, uint32_t flags,
                 uint64_t dbtime, const uint8_t *tag0, size_t tag0_len);

/* Bytes a node takes on a page (line and tag), given how many key bytes
 * come from the page prefix (0, or > 2 to be worth compressing). */
size_t ese_pb_node_cost(size_t klen, size_t prefix_used, size_t dlen);

/* Free bytes left for lines and tags. */
uint32_t ese_pb_room(const ese_page_builder *pb);

/* Appends a node: the key's first prefix_used bytes are taken from tag 0
 * (which the caller set to that prefix), the rest stored as the suffix.
 * JET_errInvalidParameter if it does not fit or prefix_used exceeds tag 0. */
int ese_pb_add_node(ese_page_builder *pb, const uint8_t *key, size_t klen, size_t prefix_used,
                    const uint8_t *data, size_t dlen);

/* Sets sibling links and the header counters; the checksum is the writer's
 * (it depends on the page number). */
void ese_pb_finish(ese_page_builder *pb, uint32_t prev, uint32_t next);

#endif
