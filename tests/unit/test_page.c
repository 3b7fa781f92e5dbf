/*
 * test_page.c - page header, tag array, nodes and space header
 * (common/page.c), on pages built byte by byte here: a 4 KiB page (40-byte
 * header, 13-bit tags, node flags in ib's top 3 bits) and a 32 KiB page
 * (80-byte header, 15-bit tags, node flags in the line's first u16).
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "ese_page.h"

static void wr16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* ---- a tiny page builder ---- */

typedef struct pb {
	uint8_t *buf;
	uint32_t size, hdr;
	unsigned ntags;
	uint32_t ib;              /* next free byte of the data area */
	int large;
} pb;

static void pb_init(pb *b, uint32_t size, uint32_t flags)
{
	b->buf = calloc(1, size);
	ck_assert_ptr_nonnull(b->buf);
	b->size = size;
	b->large = size > 8192;
	b->hdr = b->large ? 80 : 40;
	b->ntags = 0;
	b->ib = 0;
	wr32(b->buf + 36, flags);
}

/* Appends a line as the next tag; small pages put nflags in ib's top 3
 * bits.  Returns the tag number. */
static unsigned pb_line_at(pb *b, uint32_t ib, const void *data, uint32_t len, unsigned nflags)
{
	unsigned i = b->ntags++;
	memcpy(b->buf + b->hdr + ib, data, len);
	uint8_t *t = b->buf + b->size - 4 * (i + 1);
	wr16(t, (uint16_t)len);
	wr16(t + 2, (uint16_t)(ib | (b->large ? 0 : (nflags << 13))));
	if (ib + len > b->ib)
		b->ib = ib + len;
	return i;
}

static unsigned pb_line(pb *b, const void *data, uint32_t len, unsigned nflags)
{
	return pb_line_at(b, b->ib, data, len, nflags);
}

/* A node line: [cbPrefix if prefix >= 0] cbSuffix suffix data.  On large
 * pages the flags go into the first u16. */
static unsigned pb_node(pb *b, int prefix, const char *suffix, size_t nsuf, const char *data, size_t ndata,
                        unsigned nflags)
{
	uint8_t line[512];
	size_t n = 0;
	if (prefix >= 0)
		nflags |= ESE_NODE_COMPRESSED;
	uint16_t hi = b->large ? (uint16_t)(nflags << 13) : 0;
	if (prefix >= 0) {
		wr16(line, (uint16_t)(prefix | hi));
		n = 2;
		hi = 0;
	}
	wr16(line + n, (uint16_t)(nsuf | hi));
	n += 2;
	memcpy(line + n, suffix, nsuf);
	n += nsuf;
	memcpy(line + n, data, ndata);
	n += ndata;
	return pb_line(b, line, (uint32_t)n, nflags);
}

static void pb_finish(pb *b)
{
	wr16(b->buf + 32, (uint16_t)b->ib);
	wr16(b->buf + 34, (uint16_t)b->ntags);
	wr16(b->buf + 28, (uint16_t)(b->size - b->hdr - b->ib - 4 * b->ntags));
}

static const uint8_t PFX[] = { 0x7F, 0x80, 0x00, 0x00, 0x42 };

/* A 4 KiB leaf: tag 0 = 5-byte prefix, four nodes. */
static void small_leaf(pb *b)
{
	pb_init(b, 4096, 0x2802);
	wr32(b->buf + 8, 0x1111);          /* dbtime low */
	wr32(b->buf + 12, 0x2);            /* dbtime high */
	wr32(b->buf + 16, 0x33);
	wr32(b->buf + 20, 0x44);
	wr32(b->buf + 24, 0x55);
	wr16(b->buf + 30, 0x66);
	pb_line(b, PFX, sizeof(PFX), 0);
	pb_node(b, 3, "\x01\x02", 2, "AAA", 3, 0);                 /* 1: 7f 80 00 01 02 */
	pb_node(b, -1, "\x7f\x81", 2, "BB", 2, 0);                 /* 2: 7f 81 */
	pb_node(b, 5, "", 0, "C", 1, ESE_NODE_DELETED | ESE_NODE_VERSION); /* 3: the whole prefix */
	pb_node(b, -1, "\x7f\x90\x10", 3, "DDDD", 4, 0);          /* 4 */
	pb_finish(b);
}

START_TEST(test_small_header)
{
	pb b;
	small_leaf(&b);
	wr16(b.buf + 34, (uint16_t)(0x3000 | b.ntags));   /* ctagReserved bits are not tags */
	ese_page pg;
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 9, NULL), 0);
	ck_assert_ptr_eq(pg.buf, b.buf);
	ck_assert_uint_eq(pg.size, 4096);
	ck_assert_uint_eq(pg.hdr_len, 40);
	ck_assert_int_eq(pg.large, 0);
	ck_assert_uint_eq(pg.dbtime, 0x200001111ull);
	ck_assert_uint_eq(pg.prev, 0x33);
	ck_assert_uint_eq(pg.next, 0x44);
	ck_assert_uint_eq(pg.objid, 0x55);
	ck_assert_uint_eq(pg.cb_free, 4096 - 40 - b.ib - 4 * 5);
	ck_assert_uint_eq(pg.cb_uncommitted, 0x66);
	ck_assert_uint_eq(pg.ib_mic_free, b.ib);
	ck_assert_uint_eq(pg.ntags, 5);
	ck_assert_uint_eq(pg.flags, 0x2802);
	ck_assert_uint_eq(pg.stored_pgno, 0);
	free(b.buf);
}
END_TEST

START_TEST(test_small_tags)
{
	pb b;
	small_leaf(&b);
	/* stale junk in cb's top 3 bits must be ignored */
	uint8_t *t2 = b.buf + 4096 - 4 * 3;
	wr16(t2, (uint16_t)(t2[0] | (t2[1] << 8) | 0xE000));
	ese_page pg;
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 9, NULL), 0);
	ese_tag t;
	ck_assert_int_eq(ese_page_tag(&pg, 9, 0, &t, NULL), 0);
	ck_assert_uint_eq(t.off, 40);
	ck_assert_uint_eq(t.len, 5);
	ck_assert_uint_eq(t.flags, 0);
	ck_assert_int_eq(ese_page_tag(&pg, 9, 1, &t, NULL), 0);
	ck_assert_uint_eq(t.off, 45);
	ck_assert_uint_eq(t.len, 2 + 2 + 2 + 3);
	ck_assert_uint_eq(t.flags, ESE_NODE_COMPRESSED);
	ck_assert_int_eq(ese_page_tag(&pg, 9, 2, &t, NULL), 0);
	ck_assert_uint_eq(t.off, 54);
	ck_assert_uint_eq(t.len, 2 + 2 + 2);
	ck_assert_uint_eq(t.flags, 0);
	ck_assert_int_eq(ese_page_tag(&pg, 9, 3, &t, NULL), 0);
	ck_assert_uint_eq(t.flags, ESE_NODE_COMPRESSED | ESE_NODE_DELETED | ESE_NODE_VERSION);
	ese_status st;
	ese_status_clear(&st);
	ck_assert_int_eq(ese_page_tag(&pg, 9, 5, &t, &st), JET_errDatabaseCorrupted);
	ck_assert_int_eq(st.pgno, 9);
	free(b.buf);
}
END_TEST

START_TEST(test_small_nodes)
{
	pb b;
	small_leaf(&b);
	ese_page pg;
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 9, NULL), 0);
	ese_node n;
	uint8_t key[64];

	ck_assert_int_eq(ese_page_node(&pg, 9, 1, &n, NULL), 0);
	ck_assert_ptr_eq(n.prefix, b.buf + 40);
	ck_assert_uint_eq(n.prefix_len, 3);
	ck_assert_uint_eq(n.suffix_len, 2);
	ck_assert(memcmp(n.suffix, "\x01\x02", 2) == 0);
	ck_assert_uint_eq(n.data_len, 3);
	ck_assert(memcmp(n.data, "AAA", 3) == 0);
	ck_assert_uint_eq(n.flags, ESE_NODE_COMPRESSED);
	ck_assert_uint_eq(ese_node_key(&n, key, sizeof(key)), 5);
	ck_assert(memcmp(key, "\x7f\x80\x00\x01\x02", 5) == 0);
	ck_assert_uint_eq(ese_node_key(&n, key, 4), (size_t)-1);
	ck_assert_uint_eq(ese_node_key(&n, key, 5), 5);

	ck_assert_int_eq(ese_page_node(&pg, 9, 2, &n, NULL), 0);
	ck_assert_uint_eq(n.prefix_len, 0);
	ck_assert_uint_eq(n.flags, 0);
	ck_assert_uint_eq(ese_node_key(&n, key, sizeof(key)), 2);
	ck_assert(memcmp(key, "\x7f\x81", 2) == 0);
	ck_assert(memcmp(n.data, "BB", 2) == 0);
	ck_assert_uint_eq(n.data_len, 2);

	/* the whole prefix line, empty suffix, flags kept */
	ck_assert_int_eq(ese_page_node(&pg, 9, 3, &n, NULL), 0);
	ck_assert_uint_eq(n.prefix_len, 5);
	ck_assert_uint_eq(n.suffix_len, 0);
	ck_assert_uint_eq(n.data_len, 1);
	ck_assert_uint_eq(n.data[0], 'C');
	ck_assert_uint_eq(n.flags, ESE_NODE_COMPRESSED | ESE_NODE_DELETED | ESE_NODE_VERSION);
	ck_assert_uint_eq(ese_node_key(&n, key, sizeof(key)), 5);
	ck_assert(memcmp(key, PFX, 5) == 0);

	ck_assert_int_eq(ese_page_node(&pg, 9, 4, &n, NULL), 0);
	ck_assert_uint_eq(n.suffix_len, 3);
	ck_assert_uint_eq(n.data_len, 4);
	ck_assert(memcmp(n.data, "DDDD", 4) == 0);

	/* tag 0 is not a node, and there is no tag 5 */
	ese_status st;
	ese_status_clear(&st);
	ck_assert_int_eq(ese_page_node(&pg, 9, 0, &n, &st), JET_errDatabaseCorrupted);
	ck_assert_int_eq(st.pgno, 9);
	ck_assert_int_eq(ese_page_node(&pg, 9, 5, &n, NULL), JET_errDatabaseCorrupted);
	free(b.buf);
}
END_TEST

START_TEST(test_keycmp)
{
	pb b;
	small_leaf(&b);
	ese_page pg;
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 9, NULL), 0);
	ese_node n;
	ck_assert_int_eq(ese_page_node(&pg, 9, 1, &n, NULL), 0);   /* key 7f 80 00 01 02 */
	ck_assert_int_eq(ese_node_keycmp(&n, (const uint8_t *)"\x7f\x80\x00\x01\x02", 5), 0);
	/* a proper prefix of the node key sorts first */
	ck_assert_int_gt(ese_node_keycmp(&n, (const uint8_t *)"\x7f\x80\x00\x01", 4), 0);
	ck_assert_int_gt(ese_node_keycmp(&n, (const uint8_t *)"\x7f\x80", 2), 0);   /* inside the prefix */
	ck_assert_int_gt(ese_node_keycmp(&n, (const uint8_t *)"", 0), 0);
	/* a longer key with the node key as prefix sorts after */
	ck_assert_int_lt(ese_node_keycmp(&n, (const uint8_t *)"\x7f\x80\x00\x01\x02\x00", 6), 0);
	/* bytes decide before length, in the suffix and in the prefix part */
	ck_assert_int_lt(ese_node_keycmp(&n, (const uint8_t *)"\x7f\x80\x00\x01\x03", 5), 0);
	ck_assert_int_gt(ese_node_keycmp(&n, (const uint8_t *)"\x7f\x80\x00\x01\x01\xff\xff", 7), 0);
	ck_assert_int_lt(ese_node_keycmp(&n, (const uint8_t *)"\x7f\x80\x01", 3), 0);
	ck_assert_int_gt(ese_node_keycmp(&n, (const uint8_t *)"\x7f\x7f\xff\xff\xff\xff", 6), 0);
	ck_assert_int_lt(ese_node_keycmp(&n, (const uint8_t *)"\x80", 1), 0);
	/* unsigned bytes: 0x80 > 0x7f */
	ck_assert_int_eq(ese_page_node(&pg, 9, 2, &n, NULL), 0);   /* 7f 81 */
	ck_assert_int_lt(ese_node_keycmp(&n, (const uint8_t *)"\xff", 1), 0);
	ck_assert_int_gt(ese_node_keycmp(&n, (const uint8_t *)"\x7f\x80\xff", 3), 0);
	/* a node with an empty key equals only the empty key */
	ese_node e;
	memset(&e, 0, sizeof(e));
	ck_assert_int_eq(ese_node_keycmp(&e, (const uint8_t *)"", 0), 0);
	ck_assert_int_lt(ese_node_keycmp(&e, (const uint8_t *)"\x00", 1), 0);
	free(b.buf);
}
END_TEST

START_TEST(test_root_pages_prefix)
{
	/* a table root: tag 0 is the space header, never a key prefix */
	pb b;
	pb_init(&b, 4096, 0x2803);
	uint8_t sh[16] = { 20, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 5, 0, 0, 0 };
	pb_line(&b, sh, 16, 0);
	pb_node(&b, -1, "\x7f\x01", 2, "x", 1, 0);
	pb_node(&b, 2, "\x02", 1, "y", 1, 0);     /* claims a prefix: corrupt here */
	pb_finish(&b);
	ese_page pg;
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 4, NULL), 0);
	ese_node n;
	ck_assert_int_eq(ese_page_node(&pg, 4, 1, &n, NULL), 0);
	ck_assert_uint_eq(n.prefix_len, 0);
	ck_assert_uint_eq(n.suffix_len, 2);
	ese_status st;
	ese_status_clear(&st);
	ck_assert_int_eq(ese_page_node(&pg, 4, 2, &n, &st), JET_errDatabaseCorrupted);
	ck_assert_ptr_nonnull(strstr(st.msg, "prefix"));
	/* the same page without the root flag takes its prefix from tag 0 */
	wr32(b.buf + 36, 0x2802);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 4, NULL), 0);
	ck_assert_int_eq(ese_page_node(&pg, 4, 2, &n, NULL), 0);
	ck_assert_uint_eq(n.prefix_len, 2);
	ck_assert_ptr_eq(n.prefix, b.buf + 40);
	free(b.buf);

	/* a space-tree root: the prefix starts after the 16-byte split buffer */
	pb_init(&b, 4096, 0x2823);
	uint8_t t0[19];
	memset(t0, 0xEE, 16);
	memcpy(t0 + 16, "\x00\x00\x01", 3);
	pb_line(&b, t0, sizeof(t0), 0);
	pb_node(&b, 3, "\x40", 1, "\x08\x00\x00\x00", 4, 0);
	pb_node(&b, 4, "", 0, "\x01\x00\x00\x00", 4, 0);   /* one byte too many */
	pb_finish(&b);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 12, NULL), 0);
	ck_assert_int_eq(ese_page_node(&pg, 12, 1, &n, NULL), 0);
	ck_assert_ptr_eq(n.prefix, b.buf + 40 + 16);
	ck_assert_uint_eq(n.prefix_len, 3);
	uint8_t key[8];
	ck_assert_uint_eq(ese_node_key(&n, key, sizeof(key)), 4);
	ck_assert(memcmp(key, "\x00\x00\x01\x40", 4) == 0);
	ck_assert_int_eq(ese_page_node(&pg, 12, 2, &n, NULL), JET_errDatabaseCorrupted);
	free(b.buf);
}
END_TEST

START_TEST(test_large_page)
{
	pb b;
	pb_init(&b, 32768, 0x2802);
	wr32(b.buf + 24, 0x99);
	wr32(b.buf + 64, 0x1234);
	uint8_t t0[6] = { 0xFF, 0xFF, 0x7F, 0x80, 0x00, 0x00 };   /* top bits set: tag 0 has no flags */
	pb_line(&b, t0, sizeof(t0), 0);
	pb_node(&b, 4, "\x05\x06", 2, "DATA", 4, 0);          /* compressed: flag in cbPrefix */
	pb_node(&b, -1, "\x7f\x90", 2, "E", 1, ESE_NODE_DELETED); /* flag in cbSuffix */
	/* a node beyond the 13-bit range of small pages, 15-bit ib */
	uint8_t big[2000];
	memset(big, 'Z', sizeof(big));
	wr16(big, 3);
	memcpy(big + 2, "\x7f\xa0\x00", 3);
	pb_line_at(&b, 0x3000, big, sizeof(big), 0);
	/* junk in tag bit 15 (ib and cb) is ignored on large pages */
	uint8_t *t3 = b.buf + 32768 - 16;
	t3[1] |= 0x80;
	t3[3] |= 0x80;
	pb_finish(&b);
	ese_page pg;
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 32768, 77, NULL), 0);
	ck_assert_int_eq(pg.large, 1);
	ck_assert_uint_eq(pg.hdr_len, 80);
	ck_assert_uint_eq(pg.stored_pgno, 0x1234);
	ck_assert_uint_eq(pg.objid, 0x99);
	ck_assert_uint_eq(pg.ntags, 4);
	ck_assert_uint_eq(pg.ib_mic_free, 0x3000 + 2000);
	ese_tag t;
	ck_assert_int_eq(ese_page_tag(&pg, 77, 0, &t, NULL), 0);
	ck_assert_uint_eq(t.off, 80);
	ck_assert_uint_eq(t.len, 6);
	ck_assert_uint_eq(t.flags, 0);
	ck_assert_int_eq(ese_page_tag(&pg, 77, 1, &t, NULL), 0);
	ck_assert_uint_eq(t.flags, ESE_NODE_COMPRESSED);
	ck_assert_int_eq(ese_page_tag(&pg, 77, 2, &t, NULL), 0);
	ck_assert_uint_eq(t.flags, ESE_NODE_DELETED);
	ck_assert_int_eq(ese_page_tag(&pg, 77, 3, &t, NULL), 0);
	ck_assert_uint_eq(t.off, 80 + 0x3000);
	ck_assert_uint_eq(t.len, 2000);
	ck_assert_uint_eq(t.flags, 0);

	ese_node n;
	uint8_t key[16];
	ck_assert_int_eq(ese_page_node(&pg, 77, 1, &n, NULL), 0);
	ck_assert_uint_eq(n.prefix_len, 4);          /* flag bits masked off the length */
	ck_assert_ptr_eq(n.prefix, b.buf + 80);
	ck_assert_uint_eq(ese_node_key(&n, key, sizeof(key)), 6);
	ck_assert(memcmp(key, "\xff\xff\x7f\x80\x05\x06", 6) == 0);
	ck_assert_uint_eq(n.data_len, 4);
	ck_assert(memcmp(n.data, "DATA", 4) == 0);
	ck_assert_int_eq(ese_page_node(&pg, 77, 2, &n, NULL), 0);
	ck_assert_uint_eq(n.flags, ESE_NODE_DELETED);
	ck_assert_uint_eq(n.prefix_len, 0);
	ck_assert_uint_eq(n.suffix_len, 2);
	ck_assert_uint_eq(n.data_len, 1);
	ck_assert_int_eq(ese_page_node(&pg, 77, 3, &n, NULL), 0);
	ck_assert_uint_eq(n.suffix_len, 3);
	ck_assert_uint_eq(n.data_len, 2000 - 5);
	ck_assert_uint_eq(n.data[0], 'Z');

	free(b.buf);
}
END_TEST

START_TEST(test_space_header)
{
	pb b;
	ese_page pg;
	ese_space_header sh;
	/* 16 bytes, single extent */
	pb_init(&b, 4096, 0x2803);
	uint8_t s16[16] = { 3, 0, 0, 0, 1, 0, 0, 0, 0, 0xAA, 0xBB, 0xCC, 0x06, 0, 0, 0x80 };
	pb_line(&b, s16, 16, 0);
	pb_finish(&b);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 31, NULL), 0);
	ck_assert_int_eq(ese_page_space_header(&pg, 31, &sh, NULL), 0);
	ck_assert_uint_eq(sh.cpg_primary, 3);
	ck_assert_uint_eq(sh.pgno_parent, 1);
	ck_assert_uint_eq(sh.flags, 0);            /* only byte 8 is flags */
	ck_assert_uint_eq(sh.avail_bitmap, 0x80000006u);
	ck_assert_uint_eq(sh.pgno_oe, 0);
	free(b.buf);
	/* 16 bytes, multiple extents, non-unique */
	pb_init(&b, 4096, 0x2803);
	uint8_t m16[16] = { 20, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 5, 0, 0, 0 };
	pb_line(&b, m16, 16, 0);
	pb_finish(&b);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 4, NULL), 0);
	ck_assert_int_eq(ese_page_space_header(&pg, 4, &sh, NULL), 0);
	ck_assert_uint_eq(sh.cpg_primary, 20);
	ck_assert_uint_eq(sh.pgno_parent, 0);
	ck_assert_uint_eq(sh.flags, 3);
	ck_assert_uint_eq(sh.pgno_oe, 5);
	ck_assert_uint_eq(sh.avail_bitmap, 0);
	free(b.buf);
	/* 25 bytes: presence byte (space header + autoinc), header, u64 */
	pb_init(&b, 32768, 0x2803);
	uint8_t e25[25];
	memset(e25, 0x77, sizeof(e25));
	e25[0] = 0x03;
	memcpy(e25 + 1, m16, 16);
	e25[1 + 4] = 31;                        /* pgnoParent */
	pb_line(&b, e25, 25, 0);
	pb_finish(&b);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 32768, 40, NULL), 0);
	ck_assert_int_eq(ese_page_space_header(&pg, 40, &sh, NULL), 0);
	ck_assert_uint_eq(sh.cpg_primary, 20);
	ck_assert_uint_eq(sh.pgno_parent, 31);
	ck_assert_uint_eq(sh.flags, 3);
	ck_assert_uint_eq(sh.pgno_oe, 5);
	/* the presence byte must announce a space header */
	b.buf[80] = 0x02;
	ese_status st;
	ese_status_clear(&st);
	ck_assert_int_eq(ese_page_space_header(&pg, 40, &sh, &st), JET_errDatabaseCorrupted);
	ck_assert_int_eq(st.pgno, 40);
	free(b.buf);
	/* 17 bytes: presence byte + header */
	pb_init(&b, 4096, 0x2803);
	uint8_t e17[17];
	e17[0] = 0x01;
	memcpy(e17 + 1, s16, 16);
	pb_line(&b, e17, 17, 0);
	pb_finish(&b);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 31, NULL), 0);
	ck_assert_int_eq(ese_page_space_header(&pg, 31, &sh, NULL), 0);
	ck_assert_uint_eq(sh.cpg_primary, 3);
	ck_assert_uint_eq(sh.avail_bitmap, 0x80000006u);
	free(b.buf);
	/* any other length is not a space header */
	static const uint32_t badlen[] = { 0, 15, 18, 24, 26 };
	for (size_t i = 0; i < sizeof(badlen) / sizeof(badlen[0]); i++) {
		pb_init(&b, 4096, 0x2803);
		uint8_t z[32];
		memset(z, 1, sizeof(z));
		pb_line(&b, z, badlen[i], 0);
		pb_finish(&b);
		ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 31, NULL), 0);
		ck_assert_int_eq(ese_page_space_header(&pg, 31, &sh, NULL), JET_errDatabaseCorrupted);
		free(b.buf);
	}
}
END_TEST

START_TEST(test_parse_errors)
{
	pb b;
	ese_page pg;
	ese_status st;
	/* as many tags as the page can hold (and nothing else) is fine */
	pb_init(&b, 4096, 0x2802);
	wr16(b.buf + 34, (4096 - 40) / 4);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 3, NULL), 0);
	/* one more is not */
	wr16(b.buf + 34, (4096 - 40) / 4 + 1);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 3, &st), JET_errDatabaseCorrupted);
	ck_assert_int_eq(st.pgno, 3);
	ck_assert_ptr_nonnull(strstr(st.msg, "tags"));
	wr16(b.buf + 34, 0x0FFF);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 3, NULL), JET_errDatabaseCorrupted);
	wr16(b.buf + 34, 0x0FFF);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 2048, 3, NULL), JET_errDatabaseCorrupted);
	/* large page: 80-byte header */
	free(b.buf);
	pb_init(&b, 32768, 0x2802);
	wr16(b.buf + 34, 0x0FFF);       /* 16380 bytes of tags fit in 32 KiB */
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 32768, 3, NULL), 0);
	free(b.buf);

	/* ibMicFree reaching into the tag array */
	small_leaf(&b);
	uint32_t limit = 4096 - 40 - 4 * 5;
	wr16(b.buf + 32, (uint16_t)limit);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 3, NULL), 0);
	wr16(b.buf + 32, (uint16_t)(limit + 1));
	ese_status_clear(&st);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 3, &st), JET_errDatabaseCorrupted);
	ck_assert_ptr_nonnull(strstr(st.msg, "ibMicFree"));
	free(b.buf);
}
END_TEST

START_TEST(test_line_errors)
{
	pb b;
	ese_page pg;
	ese_tag t;
	ese_node n;
	ese_status st;
	uint32_t end = 4096 - 40 - 4 * 5;   /* data area of small_leaf */

	/* a line that ends exactly at the tag array is fine, one byte more is not */
	small_leaf(&b);
	uint8_t *t4 = b.buf + 4096 - 4 * 5;
	wr16(t4, 4);
	wr16(t4 + 2, (uint16_t)(end - 4));
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 8, NULL), 0);
	ck_assert_int_eq(ese_page_tag(&pg, 8, 4, &t, NULL), 0);
	wr16(t4 + 2, (uint16_t)(end - 3));
	ese_status_clear(&st);
	ck_assert_int_eq(ese_page_tag(&pg, 8, 4, &t, &st), JET_errDatabaseCorrupted);
	ck_assert_int_eq(st.pgno, 8);
	ck_assert_ptr_nonnull(strstr(st.msg, "outside"));
	ck_assert_int_eq(ese_page_node(&pg, 8, 4, &n, NULL), JET_errDatabaseCorrupted);
	/* ib past the data area with a small cb */
	wr16(t4, 1);
	wr16(t4 + 2, 0x1FFF);
	ck_assert_int_eq(ese_page_tag(&pg, 8, 4, &t, NULL), JET_errDatabaseCorrupted);
	/* cb as large as the mask allows */
	wr16(t4, 0x1FFF);
	wr16(t4 + 2, 0);
	ck_assert_int_eq(ese_page_tag(&pg, 8, 4, &t, NULL), JET_errDatabaseCorrupted);
	/* a bad tag 0 spoils every node */
	free(b.buf);
	small_leaf(&b);
	uint8_t *t0 = b.buf + 4096 - 4;
	wr16(t0, 0x1FFF);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 8, NULL), 0);
	ck_assert_int_eq(ese_page_node(&pg, 8, 2, &n, NULL), JET_errDatabaseCorrupted);
	free(b.buf);

	/* prefix longer than tag 0 (5 bytes) */
	pb_init(&b, 4096, 0x2802);
	pb_line(&b, PFX, sizeof(PFX), 0);
	pb_node(&b, 5, "\x01", 1, "a", 1, 0);
	pb_node(&b, 6, "\x01", 1, "a", 1, 0);
	pb_finish(&b);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 8, NULL), 0);
	ck_assert_int_eq(ese_page_node(&pg, 8, 1, &n, NULL), 0);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_page_node(&pg, 8, 2, &n, &st), JET_errDatabaseCorrupted);
	ck_assert_ptr_nonnull(strstr(st.msg, "prefix"));
	free(b.buf);

	/* suffix longer than the line */
	pb_init(&b, 4096, 0x2802);
	pb_line(&b, PFX, sizeof(PFX), 0);
	pb_line(&b, "\x03\x00" "abc", 5, 0);        /* exactly fits: no data */
	pb_line(&b, "\x04\x00" "abc", 5, 0);        /* one too long */
	pb_line(&b, "\x00\x00\x03\x00" "ab", 6, ESE_NODE_COMPRESSED);
	pb_finish(&b);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 8, NULL), 0);
	ck_assert_int_eq(ese_page_node(&pg, 8, 1, &n, NULL), 0);
	ck_assert_uint_eq(n.suffix_len, 3);
	ck_assert_uint_eq(n.data_len, 0);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_page_node(&pg, 8, 2, &n, &st), JET_errDatabaseCorrupted);
	ck_assert_ptr_nonnull(strstr(st.msg, "suffix"));
	ck_assert_int_eq(ese_page_node(&pg, 8, 3, &n, NULL), JET_errDatabaseCorrupted);
	free(b.buf);

	/* lines too short for their length fields */
	pb_init(&b, 4096, 0x2802);
	pb_line(&b, PFX, sizeof(PFX), 0);
	pb_line(&b, "\x00", 1, 0);                          /* 1 byte */
	pb_line(&b, "\x00\x00\x00", 3, ESE_NODE_COMPRESSED); /* cbPrefix, then 1 byte */
	pb_line(&b, "\x00", 1, ESE_NODE_COMPRESSED);
	pb_line(&b, "\x00\x00", 2, 0);                       /* 2 bytes: empty key, no data */
	pb_finish(&b);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 4096, 8, NULL), 0);
	ese_status_clear(&st);
	ck_assert_int_eq(ese_page_node(&pg, 8, 1, &n, &st), JET_errDatabaseCorrupted);
	ck_assert_ptr_nonnull(strstr(st.msg, "short"));
	ck_assert_int_eq(ese_page_node(&pg, 8, 2, &n, NULL), JET_errDatabaseCorrupted);
	ck_assert_int_eq(ese_page_node(&pg, 8, 3, &n, NULL), JET_errDatabaseCorrupted);
	ck_assert_int_eq(ese_page_node(&pg, 8, 4, &n, NULL), 0);
	ck_assert_uint_eq(n.suffix_len, 0);
	ck_assert_uint_eq(n.data_len, 0);
	free(b.buf);

	/* large page: a 1-byte line has no flags word and is too short */
	pb_init(&b, 32768, 0x2802);
	pb_line(&b, PFX, sizeof(PFX), 0);
	pb_line(&b, "\xff", 1, 0);
	pb_finish(&b);
	ck_assert_int_eq(ese_page_parse(&pg, b.buf, 32768, 8, NULL), 0);
	ck_assert_int_eq(ese_page_tag(&pg, 8, 1, &t, NULL), 0);
	ck_assert_uint_eq(t.flags, 0);
	ck_assert_int_eq(ese_page_node(&pg, 8, 1, &n, NULL), JET_errDatabaseCorrupted);
	free(b.buf);
}
END_TEST

/* ---- real pages ---- */



static int all_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Every written page of a sample parses; every tag and node decodes; the
 * free-space counters agree with the tags (ESE-FORMAT-NOTES 0: holds on
 * every sample page); every non-space root has a space header. */
static void walk_real_file(const char *name, uint32_t ps, uint32_t *roots)
{
	size_t len;
	uint8_t *f = ese_test_load_sample(name, &len);
	*roots = 0;
	if (!f)
		return;
	uint32_t npages = (uint32_t)(len / ps) - 2, written = 0, nodes = 0;
	for (uint32_t pgno = 1; pgno <= npages; pgno++) {
		const uint8_t *buf = f + ((size_t)pgno + 1) * ps;
		if (all_zero(buf, ps))
			continue;
		written++;
		ese_page pg;
		ese_status st;
		ese_status_clear(&st);
		ck_assert_msg(ese_page_parse(&pg, buf, ps, pgno, &st) == 0, "%s: %s", name, st.msg);
		ck_assert_uint_eq(pg.large, ps > 8192);
		if (pg.large)
			ck_assert_uint_eq(pg.stored_pgno, pgno);
		uint32_t sum = 0;
		for (unsigned i = 0; i < pg.ntags; i++) {
			ese_tag t;
			ck_assert_msg(ese_page_tag(&pg, pgno, i, &t, &st) == 0, "%s: %s", name, st.msg);
			sum += t.len;
			ck_assert_uint_le(t.off + t.len - pg.hdr_len, pg.ib_mic_free);
			if (i == 0)
				continue;
			ese_node n;
			ck_assert_msg(ese_page_node(&pg, pgno, i, &n, &st) == 0, "%s: %s", name, st.msg);
			if ((pg.flags & ESE_PF_ROOT) && !(pg.flags & ESE_PF_SPACE_TREE))
				ck_assert_uint_eq(n.prefix_len, 0);
			nodes++;
		}
		ck_assert_msg(pg.cb_free == ps - pg.hdr_len - sum - 4 * pg.ntags, "%s page %u: cbFree %u", name, pgno,
		              pg.cb_free);
		if ((pg.flags & ESE_PF_ROOT) && !(pg.flags & ESE_PF_SPACE_TREE)) {
			ese_space_header sh;
			ck_assert_msg(ese_page_space_header(&pg, pgno, &sh, &st) == 0, "%s: %s", name, st.msg);
			(*roots)++;
		}
	}
	ck_assert_uint_gt(written, 20);
	ck_assert_uint_gt(nodes, 50);
	free(f);
}

START_TEST(test_real_pages)
{
	static const char *const names[] = { "basic.edb", "binary.edb", "default.edb", "index.edb", "multi.edb",
	                                     "text.edb" };
	uint32_t roots;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		walk_real_file(names[i], 4096, &roots);
		if (roots == 0)
			return;   /* skipped */
		ck_assert_uint_ge(roots, 8);   /* DB root, MSO, 2 indexes, shadow, objids, locales, table */
	}
	walk_real_file("large.edb", 32768, &roots);
}
END_TEST

/* Known answers from basic.edb's fixed pages (ESE-FORMAT-NOTES 7.1). */
START_TEST(test_real_space_headers)
{
	size_t len;
	uint8_t *f = ese_test_load_sample("basic.edb", &len);
	if (!f)
		return;
	static const struct {
		uint32_t pgno, objid, cpg, parent, flags, oe;
	} want[] = {
		{ 1, 1, 254, 0, 1, 2 },     /* database root */
		{ 4, 2, 20, 1, 1, 5 },      /* MSysObjects */
		{ 7, 4, 4, 4, 5, 8 },       /* its Name index (v2 header: cpgLastAlloc) */
		{ 10, 5, 3, 4, 1, 11 },     /* its RootObjects index */
		{ 24, 3, 5, 1, 1, 25 },     /* MSysObjectsShadow */
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ese_page pg;
		ese_space_header sh;
		ck_assert_int_eq(ese_page_parse(&pg, f + (want[i].pgno + 1) * 4096, 4096, want[i].pgno, NULL), 0);
		ck_assert_uint_eq(pg.objid, want[i].objid);
		ck_assert_uint_eq(pg.flags & ESE_PF_ROOT, ESE_PF_ROOT);
		ck_assert_int_eq(ese_page_space_header(&pg, want[i].pgno, &sh, NULL), 0);
		ck_assert_msg(sh.cpg_primary == want[i].cpg, "page %u: cpgPrimary %u", want[i].pgno, sh.cpg_primary);
		ck_assert_uint_eq(sh.pgno_parent, want[i].parent);
		ck_assert_uint_eq(sh.flags, want[i].flags);
		ck_assert_uint_eq(sh.pgno_oe, want[i].oe);
	}
	/* the user table (page 31): single extent of 4 pages, 3 of them free */
	ese_page t;
	ese_space_header ts;
	ck_assert_int_eq(ese_page_parse(&t, f + 32 * 4096, 4096, 31, NULL), 0);
	ck_assert_uint_eq(t.objid, 8);
	ck_assert_int_eq(ese_page_space_header(&t, 31, &ts, NULL), 0);
	ck_assert_uint_eq(ts.flags, 0);
	ck_assert_uint_eq(ts.cpg_primary, 4);
	ck_assert_uint_eq(ts.pgno_parent, 1);
	ck_assert_uint_eq(ts.avail_bitmap, 7);
	ck_assert_uint_eq(ts.pgno_oe, 0);
	/* MSysObjids (page 29): one page, single extent */
	ese_page pg;
	ese_space_header sh;
	ck_assert_int_eq(ese_page_parse(&pg, f + 30 * 4096, 4096, 29, NULL), 0);
	ck_assert_uint_eq(pg.objid, 6);
	ck_assert_int_eq(ese_page_space_header(&pg, 29, &sh, NULL), 0);
	ck_assert_uint_eq(sh.flags & 1, 0);
	ck_assert_uint_eq(sh.cpg_primary, 1);
	ck_assert_uint_eq(sh.pgno_parent, 1);
	free(f);
}
END_TEST

Suite *suite_page(void)
{
	Suite *s = suite_create("page");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, test_small_header);
	tcase_add_test(tc, test_small_tags);
	tcase_add_test(tc, test_small_nodes);
	tcase_add_test(tc, test_keycmp);
	tcase_add_test(tc, test_root_pages_prefix);
	tcase_add_test(tc, test_large_page);
	tcase_add_test(tc, test_space_header);
	tcase_add_test(tc, test_parse_errors);
	tcase_add_test(tc, test_line_errors);
	suite_add_tcase(s, tc);
	TCase *real = tcase_create("real-pages");
	tcase_set_timeout(real, 120);
	tcase_add_test(real, test_real_pages);
	tcase_add_test(real, test_real_space_headers);
	suite_add_tcase(s, real);
	return s;
}
