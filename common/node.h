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

/* Node i of pg (1 <= i < ntags): 0 and *n filled, or -1 when it does not
 * decode (ese_page_node then says why). */
static inline __attribute__((always_inline)) int ese_node_quick(const ese_page *pg, unsigned i, ese_node *n)
{
	if (i == 0 || i >= pg->ntags || pg->tag0_bad)
		return -1;
	const uint8_t *tp = pg->buf + pg->size - 4 * (i + 1);
	uint32_t mask = pg->large ? 0x7FFF : 0x1FFF;
	uint32_t len = get_le16(tp) & mask, off = pg->hdr_len + (get_le16(tp + 2) & mask);
	uint32_t end_area = pg->size - 4u * pg->ntags;
	if (off > end_area || len > end_area - off)
		return -1;
	const uint8_t *p = pg->buf + off, *end = p + len;
	unsigned flags = pg->large ? (len >= 2 ? get_le16(p) >> 13 : 0u) : (unsigned)(get_le16(tp + 2) >> 13);
	size_t cb_prefix = 0;
	if (flags & ESE_NODE_COMPRESSED) {
		if (end - p < 2)
			return -1;
		cb_prefix = get_le16(p) & 0x1FFF;
		p += 2;
	}
	if (end - p < 2)
		return -1;
	size_t cb_suffix = get_le16(p) & 0x1FFF;
	p += 2;
	if ((size_t)(end - p) < cb_suffix || cb_prefix > pg->prefix_len)
		return -1;
	n->flags = flags;
	n->prefix = pg->prefix;
	n->prefix_len = cb_prefix;
	n->suffix = p;
	n->suffix_len = cb_suffix;
	n->data = p + cb_suffix;
	n->data_len = (size_t)(end - n->data);
	return 0;
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
