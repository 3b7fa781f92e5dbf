/*
 * page.c - page header, tag array and node decoding (include/ese_page.h).
 *
 * Invariants checked here (ESE cpage.cxx / node.cxx):
 *  1. the tag array (4 bytes per tag, growing down from the page end) fits
 *     between the header and the end of the page;
 *  2. every line lies inside the data area: hdr_len + ib + cb <= size -
 *     4 * ntags;
 *  3. a node's prefix and suffix lengths fit its line, and the prefix is no
 *     longer than the page's prefix line (tag 0).
 * Anything else (key order, free-space counters) is the checker's job.
 */
#include "ese_page.h"
#include "node.h"
#include "bytes.h"

#include <string.h>

int ese_page_parse(ese_page *pg, const uint8_t *buf, uint32_t size, uint32_t pgno, ese_status *st)
{
	memset(pg, 0, sizeof(*pg));
	pg->buf = buf;
	pg->size = size;
	pg->large = ese_page_is_large(size);
	pg->hdr_len = pg->large ? ESE_PAGE_HDR_LARGE : ESE_PAGE_HDR_SMALL;
	pg->checksum = get_le64(buf);
	pg->dbtime = get_le64(buf + 8);
	pg->prev = get_le32(buf + 16);
	pg->next = get_le32(buf + 20);
	pg->objid = get_le32(buf + 24);
	pg->cb_free = get_le16(buf + 28);
	pg->cb_uncommitted = get_le16(buf + 30);
	pg->ib_mic_free = get_le16(buf + 32);
	pg->ntags = get_le16(buf + 34) & 0x0FFF;
	pg->flags = get_le32(buf + 36);
	if (pg->large)
		pg->stored_pgno = get_le32(buf + 64);
	if ((uint32_t)pg->ntags * 4 > size - pg->hdr_len)
		return ese_fail(st, JET_errDatabaseCorrupted, pgno,
		                "page %u: %u tags do not fit in the page", pgno, pg->ntags);
	if (pg->ib_mic_free > size - pg->hdr_len - (uint32_t)pg->ntags * 4)
		return ese_fail(st, JET_errDatabaseCorrupted, pgno,
		                "page %u: ibMicFree %u overlaps the tag array", pgno, pg->ib_mic_free);
	if (pg->ntags) {
		ese_tag t0;
		if (ese_page_tag(pg, pgno, 0, &t0, NULL)) {
			pg->tag0_bad = 1;
		} else {
			pg->prefix = buf + t0.off;
			pg->prefix_len = t0.len;
			if (pg->flags & ESE_PF_ROOT) {
				if ((pg->flags & ESE_PF_SPACE_TREE) && t0.len >= 16) {
					pg->prefix += 16;
					pg->prefix_len -= 16;
				} else {
					pg->prefix_len = 0;
				}
			}
		}
	}
	return 0;
}

int ese_page_tag(const ese_page *pg, uint32_t pgno, unsigned i, ese_tag *t, ese_status *st)
{
	if (i >= pg->ntags)
		return ese_fail(st, JET_errDatabaseCorrupted, pgno, "page %u: tag %u of %u", pgno, i, pg->ntags);
	if (ese_tag_quick(pg, i, t))
		return ese_fail(st, JET_errDatabaseCorrupted, pgno,
		                "page %u: tag %u (ib %u, cb %u) lies outside the data area", pgno, i,
		                t->off - pg->hdr_len, t->len);
	return 0;
}

int ese_page_node(const ese_page *pg, uint32_t pgno, unsigned i, ese_node *n, ese_status *st)
{
	ese_tag t;
	int fault = ese_node_decode(pg, i, n, &t);
	if (fault == ESE_NODE_OK)
		return 0;
	size_t cb_suffix = n->suffix_len, cb_prefix = n->prefix_len;
	memset(n, 0, sizeof(*n));
	switch (fault) {
	case ESE_NODE_TAG0:
		return ese_fail(st, JET_errDatabaseCorrupted, pgno, "page %u: tag 0 is not a node", pgno);
	case ESE_NODE_BAD_TAG:
		return ese_page_tag(pg, pgno, i, &t, st);
	case ESE_NODE_BAD_PREFIX_TAG:
		return ese_page_tag(pg, pgno, 0, &t, st);
	case ESE_NODE_SHORT:
		return ese_fail(st, JET_errDatabaseCorrupted, pgno, "page %u: node %u line of %u bytes is too short",
		                pgno, i, t.len);
	case ESE_NODE_SUFFIX:
		return ese_fail(st, JET_errDatabaseCorrupted, pgno,
		                "page %u: node %u key suffix of %zu bytes exceeds its line of %u", pgno, i,
		                cb_suffix, t.len);
	default:
		return ese_fail(st, JET_errDatabaseCorrupted, pgno,
		                "page %u: node %u prefix of %zu bytes exceeds the page prefix of %zu", pgno, i,
		                cb_prefix, (size_t)pg->prefix_len);
	}
}

size_t ese_node_key(const ese_node *n, uint8_t *out, size_t cap)
{
	size_t len = n->prefix_len + n->suffix_len;
	if (len > cap)
		return (size_t)-1;
	if (n->prefix_len)
		memcpy(out, n->prefix, n->prefix_len);
	if (n->suffix_len)
		memcpy(out + n->prefix_len, n->suffix, n->suffix_len);
	return len;
}

int ese_key_compare(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	return ese_key_cmp(a, al, b, bl);
}

int ese_node_bookmark(const ese_page *pg, uint32_t pgno, unsigned i, int unique, size_t keymax, uint8_t *out,
                      size_t *len, ese_node *n, ese_status *st)
{
	int err = ese_page_node(pg, pgno, i, n, st);
	if (err)
		return err;
	size_t k = ese_node_key(n, out, keymax);
	if (k == (size_t)-1)
		return ese_fail(st, JET_errDatabaseCorrupted, pgno, "page %u: node %u key too long", pgno, i);
	if (!unique) {
		size_t dl = n->data_len < keymax ? n->data_len : keymax;
		memcpy(out + k, n->data, dl);
		k += dl;
	}
	*len = k;
	return 0;
}

int ese_node_keycmp(const ese_node *n, const uint8_t *key, size_t len)
{
	size_t a = n->prefix_len < len ? n->prefix_len : len;
	int c = a ? memcmp(n->prefix, key, a) : 0;
	if (c)
		return c;
	if (n->prefix_len > len)
		return 1;
	key += n->prefix_len;
	len -= n->prefix_len;
	size_t b = n->suffix_len < len ? n->suffix_len : len;
	c = b ? memcmp(n->suffix, key, b) : 0;
	if (c)
		return c;
	return n->suffix_len < len ? -1 : n->suffix_len > len ? 1 : 0;
}

size_t ese_space_header_offset(uint32_t t0len) { return t0len == 17 || t0len == 25 ? 1 : 0; }

int ese_page_space_header(const ese_page *pg, uint32_t pgno, ese_space_header *sh, ese_status *st)
{
	ese_tag t0;
	int err = ese_page_tag(pg, pgno, 0, &t0, st);
	if (err)
		return err;
	const uint8_t *p = pg->buf + t0.off;
	memset(sh, 0, sizeof(*sh));
	if (ese_space_header_offset(t0.len)) {
		/* extended root header: presence byte, then the space header */
		if (!(p[0] & 1))
			return ese_fail(st, JET_errDatabaseCorrupted, pgno,
			                "page %u: extended root header has no space header", pgno);
		p++;
	} else if (t0.len != 16) {
		return ese_fail(st, JET_errDatabaseCorrupted, pgno,
		                "page %u: root external header is %u bytes (expected 16)", pgno, t0.len);
	}
	sh->cpg_primary = get_le32(p);
	sh->pgno_parent = get_le32(p + 4);
	sh->flags = p[8];
	if (sh->flags & 1)
		sh->pgno_oe = get_le32(p + 12);
	else
		sh->avail_bitmap = get_le32(p + 12);
	return 0;
}

/* ---- writer ------------------------------------------------------------ */

void ese_pb_init(ese_page_builder *pb, uint8_t *buf, uint32_t size, uint32_t objid, uint32_t flags,
                 uint64_t dbtime, const uint8_t *tag0, size_t tag0_len)
{
	memset(buf, 0, size);
	pb->buf = buf;
	pb->size = size;
	pb->large = ese_page_is_large(size);
	pb->hdr_len = pb->large ? ESE_PAGE_HDR_LARGE : ESE_PAGE_HDR_SMALL;
	pb->ntags = 0;
	pb->data_end = 0;
	pb->line_bytes = 0;
	put_le64(buf + 8, dbtime);
	put_le32(buf + 24, objid);
	put_le32(buf + 36, flags | ESE_PF_NEW_RECORD_FMT | ESE_PF_NEW_CHECKSUM);
	/* tag 0 always exists, even when empty */
	if (tag0_len)
		memcpy(buf + pb->hdr_len, tag0, tag0_len);
	uint8_t *t = buf + size - 4;
	put_le16(t, (uint16_t)tag0_len);
	put_le16(t + 2, 0);
	pb->ntags = 1;
	pb->data_end = (uint32_t)tag0_len;
	pb->line_bytes = (uint32_t)tag0_len;
}

size_t ese_pb_node_cost(size_t klen, size_t prefix_used, size_t dlen)
{
	return 4 + (prefix_used ? 2 : 0) + 2 + (klen - prefix_used) + dlen;
}

uint32_t ese_pb_room(const ese_page_builder *pb)
{
	return pb->size - pb->hdr_len - pb->data_end - 4 * pb->ntags;
}

int ese_pb_add_node(ese_page_builder *pb, const uint8_t *key, size_t klen, size_t prefix_used,
                    const uint8_t *data, size_t dlen)
{
	uint32_t mask = pb->large ? 0x7FFF : 0x1FFF;
	uint16_t tag0_len = get_le16(pb->buf + pb->size - 4) & (uint16_t)mask;
	if (prefix_used > klen || prefix_used > tag0_len || (prefix_used && prefix_used <= 2))
		return JET_errInvalidParameter;
	size_t cost = ese_pb_node_cost(klen, prefix_used, dlen);
	if (cost > ese_pb_room(pb) || klen - prefix_used > 0x1FFF || pb->ntags >= 0xFFF)
		return JET_errInvalidParameter;
	size_t line = cost - 4;
	uint8_t *p = pb->buf + pb->hdr_len + pb->data_end;
	uint16_t first_word_flags = 0;
	if (prefix_used) {
		put_le16(p, (uint16_t)prefix_used);
		p += 2;
	}
	put_le16(p, (uint16_t)(klen - prefix_used));
	p += 2;
	memcpy(p, key + prefix_used, klen - prefix_used);
	p += klen - prefix_used;
	if (dlen)
		memcpy(p, data, dlen);
	unsigned flags = prefix_used ? ESE_NODE_COMPRESSED : 0;
	uint8_t *t = pb->buf + pb->size - 4 * (pb->ntags + 1);
	put_le16(t, (uint16_t)line);
	if (pb->large) {
		/* large pages keep node flags in the line's first u16 */
		uint8_t *first = pb->buf + pb->hdr_len + pb->data_end;
		first_word_flags = (uint16_t)(get_le16(first) | (flags << 13));
		put_le16(first, first_word_flags);
		put_le16(t + 2, (uint16_t)pb->data_end);
	} else {
		put_le16(t + 2, (uint16_t)(pb->data_end | (flags << 13)));
	}
	pb->data_end += (uint32_t)line;
	pb->line_bytes += (uint32_t)line;
	pb->ntags++;
	return 0;
}

void ese_pb_finish(ese_page_builder *pb, uint32_t prev, uint32_t next)
{
	put_le32(pb->buf + 16, prev);
	put_le32(pb->buf + 20, next);
	put_le16(pb->buf + 28, (uint16_t)(pb->size - pb->hdr_len - pb->line_bytes - 4 * pb->ntags));
	put_le16(pb->buf + 30, 0);
	put_le16(pb->buf + 32, (uint16_t)pb->data_end);
	put_le16(pb->buf + 34, (uint16_t)pb->ntags);
}
