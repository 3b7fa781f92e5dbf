/*
 * node.h - the hot path of node decoding and key comparison, inline
 * (private to the library).  Every tree walk decodes and compares once per
 * entry; these are the same rules as ese_page_node and ese_key_compare
 * (include/ese_page.h), which use them and add the error wording.
 */
#ifndef ESE_NODE_H
#define ESE_NODE_H

#include "ese_page.h"
#include "bytes.h"

#include <string.h>

/* Tag i's line (i < ntags) without checking where it lies: its offset
 * from the page start, length and node flags (small pages: in the tag;
 * large pages: in the line's first word, when the line has one).  For a
 * page whose tags were all found inside its data area (ese_tags_scan). */
static inline __attribute__((always_inline)) void ese_tag_fields(const ese_page *pg, unsigned i, ese_tag *t)
{
	uint32_t v = get_le32(pg->buf + pg->size - 4 * (i + 1));
	uint32_t mask = pg->large ? 0x7FFF : 0x1FFF;
	t->len = v & mask;
	t->off = pg->hdr_len + ((v >> 16) & mask);
	t->flags = 0;
	if (!pg->large)
		t->flags = v >> 29;
	else if (i > 0 && t->len >= 2 && t->off + 2 <= pg->size)
		t->flags = get_le16(pg->buf + t->off) >> 13;
}

/* Tag i's line (i < ntags), as ese_tag_fields: 0, or -1 when the line
 * lies outside the data area. */
static inline __attribute__((always_inline)) int ese_tag_quick(const ese_page *pg, unsigned i, ese_tag *t)
{
	ese_tag_fields(pg, i, t);
	uint32_t end = pg->size - 4u * pg->ntags;
	if (t->off > end || t->len > end - t->off) {
		t->flags = 0;
		return -1;
	}
	return 0;
}

/* All tags of pg in one pass without branches: whether each line lies
 * inside the data area and (past tag 0) is not empty; the sum of their
 * lengths and the end of the furthest line (from the data area's start).
 * 0 when every tag keeps those rules, else -1 (ese_tag_quick then finds
 * which). */
static inline int ese_tags_scan(const ese_page *pg, uint64_t *sum, uint32_t *maxend)
{
	uint32_t mask = pg->large ? 0x7FFF : 0x1FFF, n = pg->ntags, far = 0, minlen = UINT32_MAX;
	uint32_t end = pg->size - 4u * n;
	uint64_t total = 0;
	const uint8_t *tags = pg->buf + end;    /* tag n-1 first, tag 0 last */
	for (uint32_t k = 0; k + 1 < n; k++) {
		uint32_t v = get_le32(tags + 4 * k), len = v & mask, e = ((v >> 16) & mask) + len;
		total += len;
		far = e > far ? e : far;
		minlen = len < minlen ? len : minlen;
	}
	if (n) {                                /* tag 0 may be empty */
		uint32_t v = get_le32(tags + 4 * (n - 1)), len = v & mask, e = ((v >> 16) & mask) + len;
		total += len;
		far = e > far ? e : far;
	}
	*sum = total;
	*maxend = far;
	return far > end - pg->hdr_len || minlen == 0 ? -1 : 0;
}

/* Why a node does not decode (ese_page_node words each). */
enum ese_node_fault {
	ESE_NODE_OK = 0,
	ESE_NODE_TAG0,            /* i == 0: tag 0 is not a node */
	ESE_NODE_BAD_TAG,         /* i >= ntags, or its line outside the data area */
	ESE_NODE_BAD_PREFIX_TAG,  /* tag 0 (the page's key prefix) is bad */
	ESE_NODE_SHORT,           /* the line is too short for its lengths */
	ESE_NODE_SUFFIX,          /* the key suffix runs past the line */
	ESE_NODE_PREFIX           /* the prefix is longer than tag 0's */
};

/* The node on the line of tag t (decoded and inside the data area):
 * ESE_NODE_OK with *n filled, or why not. */
static inline __attribute__((always_inline)) int ese_node_of_tag(const ese_page *pg, const ese_tag *t, ese_node *n)
{
	if (pg->tag0_bad)
		return ESE_NODE_BAD_PREFIX_TAG;
	const uint8_t *p = pg->buf + t->off, *end = p + t->len;
	size_t cb_prefix = 0;
	if (t->flags & ESE_NODE_COMPRESSED) {
		if (end - p < 2)
			return ESE_NODE_SHORT;
		cb_prefix = get_le16(p) & 0x1FFF;
		p += 2;
	}
	if (end - p < 2)
		return ESE_NODE_SHORT;
	n->suffix_len = get_le16(p) & 0x1FFF;
	n->prefix_len = cb_prefix;
	p += 2;
	if ((size_t)(end - p) < n->suffix_len)
		return ESE_NODE_SUFFIX;
	if (cb_prefix > pg->prefix_len)
		return ESE_NODE_PREFIX;
	n->flags = t->flags;
	n->prefix = pg->prefix;
	n->suffix = p;
	n->data = p + n->suffix_len;
	n->data_len = (size_t)(end - n->data);
	return ESE_NODE_OK;
}

/* Node i of pg: ESE_NODE_OK with *n filled, or why not (*t and the
 * lengths in *n as far as they were read). */
static inline __attribute__((always_inline)) int ese_node_decode(const ese_page *pg, unsigned i, ese_node *n,
                                                                 ese_tag *t)
{
	if (i == 0)
		return ESE_NODE_TAG0;
	if (i >= pg->ntags || ese_tag_quick(pg, i, t))
		return ESE_NODE_BAD_TAG;
	return ese_node_of_tag(pg, t, n);
}

/* Node i of pg (1 <= i < ntags): 0 and *n filled, or -1 when it does not
 * decode (ese_page_node then says why). */
static inline __attribute__((always_inline)) int ese_node_quick(const ese_page *pg, unsigned i, ese_node *n)
{
	ese_tag t;
	return ese_node_decode(pg, i, n, &t) == ESE_NODE_OK ? 0 : -1;
}

/* ESE's key order: the bytes as unsigned, then the shorter first; eight
 * and four bytes at a time as big-endian words, the rest byte by byte. */
static inline __attribute__((always_inline)) int ese_key_cmp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t n = al < bl ? al : bl, i = 0;
	for (; i + 8 <= n; i += 8) {
		uint64_t x = get_be64(a + i), y = get_be64(b + i);
		if (x != y)
			return x < y ? -1 : 1;
	}
	if (i + 4 <= n) {
		uint32_t x = get_be32(a + i), y = get_be32(b + i);
		if (x != y)
			return x < y ? -1 : 1;
		i += 4;
	}
	for (; i < n; i++)
		if (a[i] != b[i])
			return a[i] < b[i] ? -1 : 1;
	return al < bl ? -1 : al > bl;
}

/* How many leading bytes a[0..al) and b[0..bl) share. */
static inline size_t ese_key_lcp(const uint8_t *a, size_t al, const uint8_t *b, size_t bl)
{
	size_t n = al < bl ? al : bl, i = 0;
	while (i < n && a[i] == b[i])
		i++;
	return i;
}

/* The separator between two neighbouring pages, as long as it must be:
 * the shortest prefix of the right page's first bookmark r that sorts
 * above the left page's last l. */
static inline size_t ese_key_separator_len(const uint8_t *l, size_t ll, const uint8_t *r, size_t rl)
{
	size_t c = ese_key_lcp(l, ll, r, rl);
	return c < rl ? c + 1 : rl;
}

/* memcpy for the short runs of keys: up to 16 bytes in two overlapping
 * moves, without a call. */
static inline __attribute__((always_inline)) void ese_copy_short(uint8_t *d, const uint8_t *s, size_t n)
{
	if (n >= 8 && n <= 16) {
		uint64_t a, b;
		memcpy(&a, s, 8);
		memcpy(&b, s + n - 8, 8);
		memcpy(d, &a, 8);
		memcpy(d + n - 8, &b, 8);
	} else if (n >= 4 && n < 8) {
		uint32_t a, b;
		memcpy(&a, s, 4);
		memcpy(&b, s + n - 4, 4);
		memcpy(d, &a, 4);
		memcpy(d + n - 4, &b, 4);
	} else if (n < 4) {
		for (size_t k = 0; k < n; k++)
			d[k] = s[k];
	} else {
		memcpy(d, s, n);
	}
}

/* A node's full key into out, which has room for it (prefix + suffix). */
static inline size_t ese_node_key_quick(const ese_node *n, uint8_t *out)
{
	ese_copy_short(out, n->prefix, n->prefix_len);
	ese_copy_short(out + n->prefix_len, n->suffix, n->suffix_len);
	return n->prefix_len + n->suffix_len;
}

#endif
