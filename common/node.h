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

/* Tag i's line (i < ntags): its offset from the page start, length and
 * node flags (small pages: in the tag; large pages: in the line's first
 * word).  0, or -1 when the line lies outside the data area. */
static inline __attribute__((always_inline)) int ese_tag_quick(const ese_page *pg, unsigned i, ese_tag *t)
{
	const uint8_t *tp = pg->buf + pg->size - 4 * (i + 1);
	uint16_t ib = get_le16(tp + 2);
	uint32_t mask = pg->large ? 0x7FFF : 0x1FFF, end = pg->size - 4u * pg->ntags;
	t->len = get_le16(tp) & mask;
	t->off = pg->hdr_len + (ib & mask);
	t->flags = 0;
	if (t->off > end || t->len > end - t->off)
		return -1;
	if (!pg->large)
		t->flags = ib >> 13;
	else if (i > 0 && t->len >= 2)
		t->flags = get_le16(pg->buf + t->off) >> 13;
	return 0;
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

/* Node i of pg: ESE_NODE_OK with *n filled, or why not (*t and the
 * lengths in *n as far as they were read). */
static inline __attribute__((always_inline)) int ese_node_decode(const ese_page *pg, unsigned i, ese_node *n,
                                                                 ese_tag *t)
{
	if (i == 0)
		return ESE_NODE_TAG0;
	if (i >= pg->ntags || ese_tag_quick(pg, i, t))
		return ESE_NODE_BAD_TAG;
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

/* A node's full key into out, which has room for it (prefix + suffix). */
static inline size_t ese_node_key_quick(const ese_node *n, uint8_t *out)
{
	for (size_t k = 0; k < n->prefix_len; k++)
		out[k] = n->prefix[k];
	uint8_t *o = out + n->prefix_len;
	if (n->suffix_len <= 16)
		for (size_t k = 0; k < n->suffix_len; k++)
			o[k] = n->suffix[k];
	else
		memcpy(o, n->suffix, n->suffix_len);
	return n->prefix_len + n->suffix_len;
}

#endif
