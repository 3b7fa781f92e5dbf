/*
 * test_key.c - index key normalisation (common/key.c, docs/keys.md).
 *
 * Two halves.  Hand-made cases drive every rule of ESE's fldnorm.cxx
 * (every fixed type, NULL / zero-length headers, descending segments,
 * binary chunking, ASCII upper-casing, truncation at cbKeyMost and
 * VarSegMac, the supported Unicode subset and what it refuses, multi-valued
 * enumeration, catalog keys).  The second half proves the codec on bytes
 * Windows wrote: for every sample in ../shared/esedb-samples, every index
 * of every table (primary indexes against the table tree, secondary ones
 * against their own tree, MSysObjects' Name and RootObjects included) is
 * rebuilt from the records and compared byte for byte, entry by entry and
 * as whole sets.  Without the samples that half prints SKIP and passes.
 */
#include <check.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "suites.h"
#include "ese_key.h"
#include "ese_db.h"
#include "ese_catalog.h"
#include "ese_cursor.h"
#include "ese_record.h"
#include "ese_lv.h"
#include "ese_page.h"

Suite *suite_key(void);   /* until suites.h declares it */

/* ---- helpers ---- */

static size_t unhex(const char *h, uint8_t *out)
{
	size_t n = 0;
	while (h[0] && h[1]) {
		if (h[0] == ' ') {
			h++;
			continue;
		}
		unsigned v;
		ck_assert(sscanf(h, "%2x", &v) == 1);
		out[n++] = (uint8_t)v;
		h += 2;
	}
	return n;
}

static char *tohex(const uint8_t *p, size_t n)
{
	static char buf[4][ESE_KEY_MOST_MAX * 2 + 1];
	static int k;
	k = (k + 1) % 4;
	for (size_t i = 0; i < n && i < ESE_KEY_MOST_MAX; i++)
		sprintf(buf[k] + 2 * i, "%02x", p[i]);
	buf[k][2 * (n < ESE_KEY_MOST_MAX ? n : ESE_KEY_MOST_MAX)] = '\0';
	return buf[k];
}

#define ck_assert_key(kb, hexstr) do { \
	uint8_t want_[ESE_KEY_MOST_MAX]; \
	size_t wn_ = unhex(hexstr, want_); \
	ck_assert_msg((kb)->len == wn_ && memcmp((kb)->data, want_, wn_) == 0, "key %s, want %s", \
	              tohex((kb)->data, (kb)->len), tohex(want_, wn_)); \
} while (0)

static ese_key_spec spec_default(void)
{
	ese_key_spec s;
	ese_key_spec_init(&s);
	return s;
}

static ese_keyseg seg_of(uint32_t coltyp, uint32_t cp, int fixed, uint8_t flags)
{
	ese_keyseg g = { .coltyp = coltyp, .codepage = cp, .fixed = fixed, .flags = flags };
	return g;
}

/* A one-segment key of value v under spec s. */
static int key1(ese_keybuf *kb, const ese_key_spec *s, ese_keyseg g, const void *v, size_t n, int is_null)
{
	ck_assert_int_eq(ese_keybuf_init(kb, s), 0);
	return ese_key_append_segment(kb, &g, v, n, is_null, NULL);
}

static void le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void le32(uint8_t *p, uint32_t v) { le16(p, (uint16_t)v); le16(p + 2, (uint16_t)(v >> 16)); }
static void le64(uint8_t *p, uint64_t v) { le32(p, (uint32_t)v); le32(p + 4, (uint32_t)(v >> 32)); }

/* UTF-16LE of ASCII s; '@' stands for U+1F98A (the fox of the samples). */
static size_t utf16(const char *s, uint8_t *out)
{
	size_t n = 0;
	for (; *s; s++) {
		if (*s == '@') {
			le16(out + n, 0xD83E);
			le16(out + n + 2, 0xDD8A);
			n += 4;
		} else {
			le16(out + n, (uint8_t)*s);
			n += 2;
		}
	}
	return n;
}

/* ---- fixed types ---- */

START_TEST(test_fixed_types)
{
	ese_key_spec s = spec_default();
	ese_keybuf kb;
	uint8_t v[16];

	/* the record values of index.edb and the keys Windows stored for them */
	v[0] = 0;
	ck_assert_int_eq(key1(&kb, &s, seg_of(JET_coltypBit, 0, 1, 0), v, 1, 0), 0);
	ck_assert_key(&kb, "7f00");
	v[0] = 1;
	key1(&kb, &s, seg_of(JET_coltypBit, 0, 1, 0), v, 1, 0);
	ck_assert_key(&kb, "7fff");
	v[0] = 0xd5;
	key1(&kb, &s, seg_of(JET_coltypUnsignedByte, 0, 1, 0), v, 1, 0);
	ck_assert_key(&kb, "7fd5");
	unhex("c7fa", v);
	key1(&kb, &s, seg_of(JET_coltypShort, 0, 1, 0), v, 2, 0);
	ck_assert_key(&kb, "7f7ac7");
	unhex("37f833ff", v);
	key1(&kb, &s, seg_of(JET_coltypLong, 0, 1, 0), v, 4, 0);
	ck_assert_key(&kb, "7f7f33f837");
	unhex("c9b000b41dc00400", v);
	key1(&kb, &s, seg_of(JET_coltypCurrency, 0, 1, 0), v, 8, 0);
	ck_assert_key(&kb, "7f8004c01db400b0c9");
	unhex("0000803f", v);
	key1(&kb, &s, seg_of(JET_coltypIEEESingle, 0, 1, 0), v, 4, 0);
	ck_assert_key(&kb, "7fbf800000");
	unhex("43614724f9806941", v);
	key1(&kb, &s, seg_of(JET_coltypIEEEDouble, 0, 1, 0), v, 8, 0);
	ck_assert_key(&kb, "7fc16980f924476143");
	unhex("0000000080afe140", v);
	key1(&kb, &s, seg_of(JET_coltypDateTime, 0, 1, 0), v, 8, 0);
	ck_assert_key(&kb, "7fc0e1af8000000000");
	unhex("c907cc00", v);
	key1(&kb, &s, seg_of(JET_coltypUnsignedLong, 0, 1, 0), v, 4, 0);
	ck_assert_key(&kb, "7f00cc07c9");
	unhex("37f833ffffffffff", v);
	key1(&kb, &s, seg_of(JET_coltypLongLong, 0, 1, 0), v, 8, 0);
	ck_assert_key(&kb, "7f7fffffffff33f837");
	unhex("3905", v);
	key1(&kb, &s, seg_of(JET_coltypUnsignedShort, 0, 1, 0), v, 2, 0);
	ck_assert_key(&kb, "7f0539");
	unhex("f10a363f6667dc469af20dacf295c2a1", v);
	key1(&kb, &s, seg_of(JET_coltypGUID, 0, 1, 0), v, 16, 0);
	ck_assert_key(&kb, "7f0dacf295c2a19af2dc466667f10a363f");
	/* .NET GUID order: Data1..3 big-endian, then the 8 bytes as stored */
	s.idx_flags = ESE_KEY_IDX_DOTNET_GUID;
	key1(&kb, &s, seg_of(JET_coltypGUID, 0, 1, 0), v, 16, 0);
	ck_assert_key(&kb, "7f3f360af16766 46dc 9af20dacf295c2a1");
	s.idx_flags = 0;
	/* negative floats are inverted entirely */
	unhex("000080bf", v);
	key1(&kb, &s, seg_of(JET_coltypIEEESingle, 0, 1, 0), v, 4, 0);
	ck_assert_key(&kb, "7f407fffff");
	unhex("000000000000f0bf", v);
	key1(&kb, &s, seg_of(JET_coltypIEEEDouble, 0, 1, 0), v, 8, 0);
	ck_assert_key(&kb, "7f400fffffffffffff");
	/* sizes that do not match the type, and types that cannot be indexed */
	ck_assert_int_eq(key1(&kb, &s, seg_of(JET_coltypLong, 0, 1, 0), v, 3, 0), JET_errInvalidParameter);
	ck_assert_int_eq(key1(&kb, &s, seg_of(JET_coltypSLV, 0, 1, 0), v, 3, 0), JET_errInvalidParameter);
}
END_TEST

static void key_of_long(ese_keybuf *kb, const ese_key_spec *s, int32_t x)
{
	uint8_t v[4];
	le32(v, (uint32_t)x);
	key1(kb, s, seg_of(JET_coltypLong, 0, 1, 0), v, 4, 0);
}

static void key_of_double(ese_keybuf *kb, const ese_key_spec *s, double d, uint32_t coltyp)
{
	uint8_t v[8];
	if (coltyp == JET_coltypIEEESingle) {
		float f = (float)d;
		uint32_t u;
		memcpy(&u, &f, 4);
		le32(v, u);
		key1(kb, s, seg_of(coltyp, 0, 1, 0), v, 4, 0);
	} else {
		uint64_t u;
		memcpy(&u, &d, 8);
		le64(v, u);
		key1(kb, s, seg_of(coltyp, 0, 1, 0), v, 8, 0);
	}
}

static int keycmp(const ese_keybuf *a, const ese_keybuf *b)
{
	size_t n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->data, b->data, n);
	return c ? c : (a->len > b->len) - (a->len < b->len);
}

static int sign(double x) { return (x > 0) - (x < 0); }

/* memcmp order of keys is the numeric order of values, descending reversed */
START_TEST(test_fixed_order)
{
	ese_key_spec s = spec_default();
	ese_keybuf a, b;
	const int32_t longs[] = { INT32_MIN, -65536, -2, -1, 0, 1, 2, 255, 256, 65536, INT32_MAX };
	for (size_t i = 0; i < sizeof(longs) / sizeof(longs[0]); i++)
		for (size_t j = 0; j < sizeof(longs) / sizeof(longs[0]); j++) {
			key_of_long(&a, &s, longs[i]);
			key_of_long(&b, &s, longs[j]);
			ck_assert_int_eq(sign(keycmp(&a, &b)), sign((double)longs[i] - (double)longs[j]));
		}
	const double dbl[] = { -INFINITY, -1e300, -2.5, -1.0, -1e-300, 0.0, 1e-300, 0.5, 1.0, 3.0, 1e300, INFINITY };
	const uint32_t types[] = { JET_coltypIEEEDouble, JET_coltypIEEESingle, JET_coltypDateTime };
	for (size_t t = 0; t < 3; t++)
		for (size_t i = 0; i < sizeof(dbl) / sizeof(dbl[0]); i++)
			for (size_t j = 0; j < sizeof(dbl) / sizeof(dbl[0]); j++) {
				double x = dbl[i], y = dbl[j];
				if (types[t] == JET_coltypIEEESingle && (fabs(x) == 1e300 || fabs(x) == 1e-300 ||
				                                         fabs(y) == 1e300 || fabs(y) == 1e-300))
					continue;
				key_of_double(&a, &s, x, types[t]);
				key_of_double(&b, &s, y, types[t]);
				ck_assert_msg(sign(keycmp(&a, &b)) == sign(x - y) || (x == y),
				              "type %u: %g vs %g", types[t], x, y);
			}
	/* descending: the whole segment inverted, order reversed */
	ese_keyseg g = seg_of(JET_coltypLong, 0, 1, ESE_KEYSEG_DESCENDING);
	uint8_t v[4];
	le32(v, 1);
	key1(&a, &s, g, v, 4, 0);
	ck_assert_key(&a, "807ffffffe");
	le32(v, 2);
	key1(&b, &s, g, v, 4, 0);
	ck_assert_int_gt(keycmp(&a, &b), 0);
}
END_TEST

/* ---- NULL, zero-length, descending ---- */

START_TEST(test_nulls)
{
	ese_key_spec s = spec_default();
	ese_keybuf kb;
	key1(&kb, &s, seg_of(JET_coltypLong, 0, 1, 0), NULL, 0, 1);
	ck_assert_key(&kb, "00");
	ck_assert_int_eq(ese_keybuf_nulls(&kb), ESE_KEY_NULLS_ALL);
	key1(&kb, &s, seg_of(JET_coltypText, 1252, 0, 0), "", 0, 0);
	ck_assert_key(&kb, "40");
	ck_assert_int_eq(ese_keybuf_nulls(&kb), ESE_KEY_NULLS_NONE);
	key1(&kb, &s, seg_of(JET_coltypLongBinary, 0, 0, 0), "", 0, 0);
	ck_assert_key(&kb, "40");
	/* a zero-length value of a fixed type is written as NULL but counts as a value */
	key1(&kb, &s, seg_of(JET_coltypLong, 0, 1, 0), "", 0, 0);
	ck_assert_key(&kb, "00");
	ck_assert_int_eq(ese_keybuf_nulls(&kb), ESE_KEY_NULLS_NONE);
	key1(&kb, &s, seg_of(JET_coltypText, 1252, 0, ESE_KEYSEG_DESCENDING), NULL, 0, 1);
	ck_assert_key(&kb, "ff");
	key1(&kb, &s, seg_of(JET_coltypText, 1252, 0, ESE_KEYSEG_DESCENDING), "", 0, 0);
	ck_assert_key(&kb, "bf");
	s.idx_flags = ESE_KEY_IDX_SORT_NULLS_HIGH;
	key1(&kb, &s, seg_of(JET_coltypLong, 0, 1, 0), NULL, 0, 1);
	ck_assert_key(&kb, "c0");
	key1(&kb, &s, seg_of(JET_coltypBinary, 0, 0, 0), "", 0, 0);
	ck_assert_key(&kb, "40");
	key1(&kb, &s, seg_of(JET_coltypLong, 0, 1, ESE_KEYSEG_DESCENDING), NULL, 0, 1);
	ck_assert_key(&kb, "3f");

	/* NULL states over several segments and which ones an index keeps */
	s.idx_flags = 0;
	uint8_t one[4] = { 1, 0, 0, 0 };
	ese_keyseg g = seg_of(JET_coltypLong, 0, 1, 0);
	ck_assert_int_eq(ese_keybuf_init(&kb, &s), 0);
	ese_key_append_segment(&kb, &g, one, 4, 0, NULL);
	ese_key_append_segment(&kb, &g, NULL, 0, 1, NULL);
	ck_assert_key(&kb, "7f8000000100");
	ck_assert_int_eq(ese_keybuf_nulls(&kb), ESE_KEY_NULLS_SOME);
	ese_keybuf_init(&kb, &s);
	ese_key_append_segment(&kb, &g, NULL, 0, 1, NULL);
	ese_key_append_segment(&kb, &g, one, 4, 0, NULL);
	ck_assert_int_eq(ese_keybuf_nulls(&kb), ESE_KEY_NULLS_FIRST);
	ck_assert_int_eq(ese_key_nulls_indexed(0, ESE_KEY_NULLS_NONE), 1);
	ck_assert_int_eq(ese_key_nulls_indexed(0, ESE_KEY_NULLS_SOME), 0);
	ck_assert_int_eq(ese_key_nulls_indexed(ESE_KEY_IDX_ALLOW_SOME_NULLS, ESE_KEY_NULLS_SOME), 1);
	ck_assert_int_eq(ese_key_nulls_indexed(ESE_KEY_IDX_ALLOW_SOME_NULLS, ESE_KEY_NULLS_FIRST), 0);
	ck_assert_int_eq(ese_key_nulls_indexed(ESE_KEY_IDX_ALLOW_FIRST_NULL, ESE_KEY_NULLS_FIRST), 1);
	ck_assert_int_eq(ese_key_nulls_indexed(ESE_KEY_IDX_ALLOW_ALL_NULLS, ESE_KEY_NULLS_ALL), 1);
	ck_assert_int_eq(ese_key_nulls_indexed(0x0E | ESE_KEY_IDX_NO_NULL_SEG, ESE_KEY_NULLS_SOME), 0);
	/* keymost and var_seg_mac are checked */
	s.keymost = 0;
	ck_assert_int_eq(ese_keybuf_init(&kb, &s), JET_errInvalidParameter);
	s.keymost = ESE_KEY_MOST_MAX + 1;
	ck_assert_int_eq(ese_keybuf_init(&kb, &s), JET_errInvalidParameter);
	s.keymost = 100;
	s.var_seg_mac = 101;
	ck_assert_int_eq(ese_keybuf_init(&kb, &s), JET_errInvalidParameter);
}
END_TEST

/* ---- binary ---- */

START_TEST(test_binary)
{
	ese_key_spec s = spec_default();
	ese_keybuf kb;
	ese_keyseg var = seg_of(JET_coltypBinary, 0, 0, 0);
	key1(&kb, &s, var, "test binary data", 16, 0);          /* index.edb IxBinary */
	ck_assert_key(&kb, "7f746573742062696e09617279206461746108");
	key1(&kb, &s, var, "abc", 3, 0);
	ck_assert_key(&kb, "7f616263000000000003");
	key1(&kb, &s, var, "abcdefgh", 8, 0);
	ck_assert_key(&kb, "7f616263646566676808");
	key1(&kb, &s, var, "abcdefghi", 9, 0);
	ck_assert_key(&kb, "7f6162636465666768096900000000000000 01");
	/* fixed binary: the bytes as they are */
	key1(&kb, &s, seg_of(JET_coltypBinary, 0, 1, 0), "abc", 3, 0);
	ck_assert_key(&kb, "7f616263");
	/* 300 bytes: 28 whole chunks (252 bytes) then 2 raw bytes fill 255 */
	uint8_t big[300];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)i;
	key1(&kb, &s, var, big, sizeof(big), 0);
	ck_assert_uint_eq(kb.len, 255);
	ck_assert(kb.truncated);
	ck_assert_uint_eq(kb.data[9], 9);
	ck_assert_uint_eq(kb.data[252], 9);
	ck_assert_uint_eq(kb.data[253], 224);
	ck_assert_uint_eq(kb.data[254], 225);
	/* VarSegMac 12: one chunk and 2 raw bytes, and the key goes on */
	s.var_seg_mac = 12;
	ck_assert_int_eq(ese_keybuf_init(&kb, &s), 0);
	ese_key_append_segment(&kb, &var, big, 20, 0, NULL);
	ck_assert(!kb.truncated);
	uint8_t one = 1;
	ese_keyseg ub = seg_of(JET_coltypUnsignedByte, 0, 1, 0);
	ese_key_append_segment(&kb, &ub, &one, 1, 0, NULL);
	ck_assert_key(&kb, "7f 0001020304050607 09 0809 7f01");
	/* fixed binary over VarSegMac */
	ck_assert_int_eq(ese_keybuf_init(&kb, &s), 0);
	ese_keyseg fb = seg_of(JET_coltypBinary, 0, 1, 0);
	ese_key_append_segment(&kb, &fb, big, 20, 0, NULL);
	ck_assert_uint_eq(kb.len, 12);
	ck_assert(!kb.truncated);
}
END_TEST

/* ---- ASCII text ---- */

START_TEST(test_ascii)
{
	ese_key_spec s = spec_default();
	ese_keybuf kb;
	ese_keyseg g = seg_of(JET_coltypText, 1252, 0, 0);
	key1(&kb, &s, g, "Simple ASCII text", 17, 0);            /* index.edb IxASCII */
	ck_assert_key(&kb, "7f53494d504c45204153434949205445585400");
	/* only a..z change; the first NUL ends the text */
	key1(&kb, &s, g, "a\xe9z{`\0tail", 10, 0);
	ck_assert_key(&kb, "7f41e95a7b6000");
	/* 20127 and 0 are ASCII too; descending inverts terminator and all */
	key1(&kb, &s, seg_of(JET_coltypLongText, 20127, 0, ESE_KEYSEG_DESCENDING), "ab", 2, 0);
	ck_assert_key(&kb, "80bebdff");
	/* too long: 253 characters, then the 254th lowered by 0x20 whatever it is */
	char t[400];
	memset(t, 'a', sizeof(t));
	t[253] = '1';
	key1(&kb, &s, g, t, sizeof(t), 0);
	ck_assert_uint_eq(kb.len, 255);
	ck_assert_uint_eq(kb.data[1], 'A');
	ck_assert_uint_eq(kb.data[253], 'A');
	ck_assert_uint_eq(kb.data[254], '1' - 0x20);
	ck_assert(kb.truncated);
	/* 253 characters fit with their terminator */
	key1(&kb, &s, g, t, 253, 0);
	ck_assert_uint_eq(kb.len, 255);
	ck_assert_uint_eq(kb.data[254], 0);
	ck_assert(!kb.truncated);
	/* after a full key, later segments are dropped */
	ck_assert_int_eq(ese_keybuf_init(&kb, &s), 0);
	ese_key_append_segment(&kb, &g, (const uint8_t *)t, sizeof(t), 0, NULL);
	ese_key_append_segment(&kb, &g, (const uint8_t *)"x", 1, 0, NULL);
	ck_assert_uint_eq(kb.len, 255);
	ck_assert_uint_eq(kb.nsegs, 2);
	/* VarSegMac 6: 5 bytes of text, no terminator, and the next segment follows */
	s.var_seg_mac = 6;
	ck_assert_int_eq(ese_keybuf_init(&kb, &s), 0);
	ese_key_append_segment(&kb, &g, (const uint8_t *)"abcdefgh", 8, 0, NULL);
	ese_key_append_segment(&kb, &g, (const uint8_t *)"z", 1, 0, NULL);
	ck_assert_key(&kb, "7f41424344 45 7f5a00");
	ck_assert(!kb.truncated);
	/* disallowed truncation */
	s.var_seg_mac = 0;
	s.idx_flags = ESE_KEY_IDX_DISALLOW_TRUNCATION;
	ck_assert_int_eq(key1(&kb, &s, g, t, sizeof(t), 0), ESE_KEY_TRUNCATED);
	/* keymost 5 (the samples' IxId): a Currency cut to 5 bytes */
	s.idx_flags = 0;
	s.keymost = 5;
	uint8_t cur[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };
	key1(&kb, &s, seg_of(JET_coltypCurrency, 0, 1, 0), cur, 8, 0);
	ck_assert_key(&kb, "7f88070605");
	ck_assert(kb.truncated);
	/* keymost 1000: no legacy cut of the source at 255 bytes */
	s.keymost = 1000;
	key1(&kb, &s, g, t, 300, 0);
	ck_assert_uint_eq(kb.len, 302);
	ck_assert_uint_eq(kb.data[301], 0);
	key1(&kb, &s, g, t, sizeof(t), 0);
	ck_assert_uint_eq(kb.len, 402);
}
END_TEST

/* ---- Unicode ---- */

/* IxUnicode of index.edb: "Simple Unicode text " + U+1F98A, as Windows stored it */
#define WIN_UNICODE_KEY \
	"7f0e910e320e510e7e0e480e2107020e9f0e700e320e0a0e7c0e1a0e2107020e990e210ea60e990702b040b686" \
	"0102020202020202020202020202020202020202023f3f01010100"

START_TEST(test_unicode)
{
	ese_key_spec s = spec_default();
	ese_keybuf kb;
	ese_keyseg g = seg_of(JET_coltypText, 1200, 0, 0);
	uint8_t u[4096];
	size_t n = utf16("Simple Unicode text @", u);
	ck_assert_int_eq(key1(&kb, &s, g, u, n, 0), 0);
	ck_assert_key(&kb, WIN_UNICODE_KEY);
	/* letters ignore case; digits, space; ASCII-only keys have no diacritics */
	n = utf16("aZ 09", u);
	ck_assert_int_eq(key1(&kb, &s, g, u, n, 0), 0);
	ck_assert_key(&kb, "7f 0e02 0ea9 0702 0d03 0d2a 01 01 01 01 00");
	n = utf16("Az", u);
	ese_keybuf kb2;
	key1(&kb2, &s, g, u, n, 0);
	n = utf16("aZ", u);
	key1(&kb, &s, g, u, n, 0);
	ck_assert_int_eq(keycmp(&kb, &kb2), 0);
	/* symbols of scripts 7 and 8; NUL is unsortable */
	n = utf16("!+~", u);
	le16(u + n, 0);
	key1(&kb, &s, g, u, n + 2, 0);
	ck_assert_key(&kb, "7f 071c 0803 0750 01010101 00");
	/* NORM_IGNORESYMBOLS drops them, spaces included */
	s.lcmap_flags = ESE_LCMAP_DEFAULT | ESE_NORM_IGNORESYMBOLS;
	n = utf16("a b!", u);
	key1(&kb, &s, g, u, n, 0);
	ck_assert_key(&kb, "7f 0e02 0e09 01010101 00");
	/* ... but surrogates are only known under the default flags */
	n = utf16("@", u);
	ck_assert_int_eq(key1(&kb, &s, g, u, n, 0), ESE_KEY_NOT_COMPUTABLE);
	s.lcmap_flags = ESE_LCMAP_DEFAULT;
	/* what cannot be computed says so */
	ese_status st;
	const char *bad[] = { "don't", "x-y", "\x7f" };
	for (size_t i = 0; i < 3; i++) {
		n = utf16(bad[i], u);
		ese_status_clear(&st);
		ck_assert_int_eq(ese_keybuf_init(&kb, &s), 0);
		ck_assert_int_eq(ese_key_append_segment(&kb, &g, u, n, 0, &st), ESE_KEY_NOT_COMPUTABLE);
		ck_assert_int_eq(st.err, ESE_KEY_NOT_COMPUTABLE);
		ck_assert_ptr_nonnull(strstr(st.msg, "U+00"));
	}
	le16(u, 0x00E9);                               /* e acute */
	ck_assert_int_eq(key1(&kb, &s, g, u, 2, 0), ESE_KEY_NOT_COMPUTABLE);
	le16(u, 0xD840);                               /* CJK extension B high surrogate */
	ck_assert_int_eq(key1(&kb, &s, g, u, 2, 0), ESE_KEY_NOT_COMPUTABLE);
	n = utf16("abc", u);
	strcpy(s.locale, "de-DE");
	ck_assert_int_eq(key1(&kb, &s, g, u, n, 0), ESE_KEY_NOT_COMPUTABLE);
	s.locale[0] = '\0';
	s.lcid = 0x409;
	ck_assert_int_eq(key1(&kb, &s, g, u, n, 0), 0);
	s.lcid = 0x407;
	ck_assert_int_eq(key1(&kb, &s, g, u, n, 0), ESE_KEY_NOT_COMPUTABLE);
	strcpy(s.locale, "EN-us");
	s.lcmap_flags = ESE_LCMAP_SORTKEY;             /* case-sensitive keys: unknown */
	ck_assert_int_eq(key1(&kb, &s, g, u, n, 0), ESE_KEY_NOT_COMPUTABLE);
	s.lcmap_flags = 0x200;                         /* LCMAP_UPPERCASE (efv 9000) */
	ck_assert_int_eq(key1(&kb, &s, g, u, n, 0), ESE_KEY_NOT_COMPUTABLE);
	s.lcmap_flags = ESE_LCMAP_DEFAULT;
	s.sort_version = 0x0006010100060101ULL;
	ck_assert_int_eq(key1(&kb, &s, g, u, n, 0), ESE_KEY_NOT_COMPUTABLE);
	s.sort_version = ESE_KEY_NLS_VERSION_6020F;
	memcpy(s.sort_id, ese_key_default_sort_id, 16);
	s.has_sort_id = 1;
	ck_assert_int_eq(key1(&kb, &s, g, u, n, 0), 0);
	s.sort_id[0] = 2;
	ck_assert_int_eq(key1(&kb, &s, g, u, n, 0), ESE_KEY_NOT_COMPUTABLE);
	s.has_sort_id = 0;
	/* NORM_IGNORENONSPACE drops the diacritic weights */
	s.lcmap_flags = ESE_LCMAP_DEFAULT | ESE_NORM_IGNORENONSPACE;
	n = utf16("ab", u);
	key1(&kb, &s, g, u, n, 0);
	ck_assert_key(&kb, "7f0e020e0901010101 00");
	s.lcmap_flags = ESE_LCMAP_DEFAULT;
	/* long text: 254 source bytes (127 characters) at most, key cut at 255 */
	char t[300];
	memset(t, 'b', sizeof(t) - 1);
	t[sizeof(t) - 1] = 0;
	n = utf16(t, u);
	key1(&kb, &s, g, u, n, 0);
	ck_assert_uint_eq(kb.len, 255);
	ck_assert(kb.truncated);
	ck_assert_uint_eq(kb.data[253], 0x0e);
	ck_assert_uint_eq(kb.data[254], 0x09);
	/* 100 characters: 200 primary bytes and the tail */
	t[100] = 0;
	n = utf16(t, u);
	key1(&kb, &s, g, u, n, 0);
	ck_assert_uint_eq(kb.len, 1 + 200 + 5);
	ck_assert(!kb.truncated);
	/* the sort key function on its own, into a short buffer */
	uint8_t sk[8];
	size_t full;
	n = utf16("abcd", u);
	ck_assert_int_eq(ese_key_unicode_sortkey(&s, u, n / 2, sk, sizeof(sk), &full, NULL), 0);
	ck_assert_uint_eq(full, 13);
	ck_assert(memcmp(sk, "\x0e\x02\x0e\x09\x0e\x0a\x0e\x1a", 8) == 0);
}
END_TEST

/* ---- catalog keys ---- */

START_TEST(test_catalog_keys)
{
	uint8_t k[ESE_KEY_CATALOG_ID_LEN];
	ese_keybuf kb;
	ese_key_catalog_id(k, 2, 1, 2);
	ck_assert_str_eq(tohex(k, sizeof(k)), "7f800000027f80017f80000002");
	ese_key_catalog_id(k, 8, 3, 0x18);
	ck_assert_str_eq(tohex(k, sizeof(k)), "7f800000087f80037f80000018");
	ck_assert_int_eq(ese_key_catalog_name(&kb, 2, 1, "MSysObjects", 11), 0);
	ck_assert_key(&kb, "7f80000002 7f8001 7f4d5359534f424a4543545300");
	ck_assert_int_eq(ese_key_catalog_root(&kb, "index", 5), 0);
	ck_assert_key(&kb, "7fff7f494e44455800");
}
END_TEST

/* ---- records: a small table and records built byte by byte ---- */

#define C(i, t, sz, fl, cp) { .id = i, .coltyp = t, .size = sz, .flags = fl, .codepage = cp, .record_offset = 0, \
                              .name = (char *)#i }
static ese_column tcols[] = {
	C(1, JET_coltypLong, 4, 0, 0),
	C(2, JET_coltypShort, 2, ESE_COL_DEFAULT, 0),
	C(128, JET_coltypText, 255, 0, 1252),
	C(256, JET_coltypLong, 4, ESE_COL_MULTIVALUED, 0),
	C(257, JET_coltypText, 255, ESE_COL_MULTIVALUED, 1252),
	C(258, JET_coltypBinary, 255, 0, 0),
	C(259, JET_coltypLongText, 0, 0, 1252),
};
#undef C
static ese_table ttab = { .objid = 8, .name = (char *)"t", .columns = tcols,
                          .ncolumns = sizeof(tcols) / sizeof(tcols[0]) };

typedef struct tval {
	uint16_t fid;
	uint8_t  hdr;          /* 0: no header byte */
	int      null;         /* explicit NULL entry */
	size_t   n;            /* instances; 1 = plain value */
	const char *v[4];      /* instance bytes (NUL-terminated here) */
	size_t   len[4];
} tval;

/* fixed: col 1 = id; col 2 only when with_short; var 128 = text (NULL -> absent) */
static size_t build(uint8_t *rec, int32_t id, int with_short, int16_t sh, const char *text, const tval *tags,
                    size_t ntags)
{
	size_t o = 4;
	rec[0] = with_short ? 2 : 1;
	le32(rec + o, (uint32_t)id);
	o += 4;
	if (with_short) {
		le16(rec + o, (uint16_t)sh);
		o += 2;
	}
	rec[o++] = 0;                       /* null bitmap */
	le16(rec + 2, (uint16_t)o);
	if (text) {
		rec[1] = 128;
		size_t tl = strlen(text);
		le16(rec + o, (uint16_t)tl);
		o += 2;
		memcpy(rec + o, text, tl);
		o += tl;
	} else {
		rec[1] = 127;
	}
	size_t base = o, dat = o + 4 * ntags;
	for (size_t i = 0; i < ntags; i++) {
		const tval *t = &tags[i];
		size_t start = dat - base;
		uint16_t ib = (uint16_t)start;
		if (t->null) {
			ib |= 0x2000;
		} else {
			if (t->hdr) {
				ib |= 0x4000;
				rec[dat++] = t->hdr;
			}
			if (t->n > 1) {                 /* multi-values: offsets, then data */
				size_t off = 2 * t->n;
				for (size_t k = 0; k < t->n; k++) {
					le16(rec + dat + 2 * k, (uint16_t)off);
					off += t->len[k];
				}
				dat += 2 * t->n;
			}
			for (size_t k = 0; k < t->n; k++) {
				memcpy(rec + dat, t->v[k], t->len[k]);
				dat += t->len[k];
			}
		}
		le16(rec + base + 4 * i, t->fid);
		le16(rec + base + 4 * i + 2, ib);
	}
	return ntags ? dat : o;
}

static void set_offsets(void)
{
	tcols[0].record_offset = 4;
	tcols[1].record_offset = 8;
	static uint8_t dflt[2] = { 0x34, 0x12 };
	tcols[1].default_value = dflt;
	tcols[1].default_len = 2;
}

static ese_index mkindex(ese_index_seg *segs, size_t n, uint32_t flags)
{
	ese_index ix = { .objid = 9, .flags = flags, .keymost = 255, .name = (char *)"ix", .segs = segs, .nsegs = n,
	                 .lcmap_flags = ESE_LCMAP_DEFAULT, .locale = (char *)"en-US" };
	return ix;
}

static void keys_of(const ese_index *ix, const uint8_t *rec, size_t len, ese_keylist *kl, int want_err)
{
	ese_record r;
	ese_status st;
	ese_status_clear(&st);
	ck_assert_int_eq(ese_record_parse(&r, rec, len, 0, &st), 0);
	int err = ese_index_keys(&ttab, ix, NULL, &r, NULL, NULL, kl, &st);
	ck_assert_msg(err == want_err, "ese_index_keys: %d (%s)", err, st.msg);
}

static const char *key_hex(const ese_keylist *kl, size_t i)
{
	size_t n;
	const uint8_t *k = ese_keylist_key(kl, i, &n);
	return tohex(k, n);
}

START_TEST(test_record_keys)
{
	uint8_t rec[1024];
	ese_keylist kl;
	ese_keylist_init(&kl);
	set_offsets();
	uint8_t v1[4], v2[4], v3[4];
	le32(v1, 1);
	le32(v2, 2);
	le32(v3, 3);

	/* one multi-valued column: a key per instance, duplicates once */
	tval mvl = { .fid = 256, .hdr = 0x08, .n = 4, .v = { (char *)v2, (char *)v1, (char *)v3, (char *)v1 },
	             .len = { 4, 4, 4, 4 } };
	size_t n = build(rec, 7, 0, 0, "abc", &mvl, 1);
	ese_index_seg s1[] = { { 256, 0 } };
	ese_index ix = mkindex(s1, 1, ESE_KEY_IDX_MULTIVALUED);
	keys_of(&ix, rec, n, &kl, 0);
	ck_assert_uint_eq(kl.n, 3);
	ck_assert_str_eq(key_hex(&kl, 0), "7f80000002");
	ck_assert_str_eq(key_hex(&kl, 1), "7f80000001");
	ck_assert_str_eq(key_hex(&kl, 2), "7f80000003");
	/* the index not flagged multi-valued: the first instance only */
	ix.flags = 0;
	keys_of(&ix, rec, n, &kl, 0);
	ck_assert_uint_eq(kl.n, 1);
	ck_assert_str_eq(key_hex(&kl, 0), "7f80000002");

	/* two multi-valued columns, plain / cross product / nested */
	tval two[2] = {
		{ .fid = 256, .hdr = 0x08, .n = 2, .v = { (char *)v1, (char *)v2 }, .len = { 4, 4 } },
		{ .fid = 257, .hdr = 0x08, .n = 3, .v = { "x", "y", "z" }, .len = { 1, 1, 1 } },
	};
	n = build(rec, 7, 0, 0, NULL, two, 2);
	ese_index_seg s2[] = { { 256, 0 }, { 257, ESE_KEYSEG_DESCENDING } };
	ix = mkindex(s2, 2, ESE_KEY_IDX_MULTIVALUED);
	keys_of(&ix, rec, n, &kl, 0);
	ck_assert_uint_eq(kl.n, 2);
	ck_assert_str_eq(key_hex(&kl, 0), "7f80000001" "80a7ff");
	ck_assert_str_eq(key_hex(&kl, 1), "7f80000002" "80a7ff");
	ix.flags = ESE_KEY_IDX_MULTIVALUED | ESE_KEY_IDX_CROSS_PRODUCT;
	keys_of(&ix, rec, n, &kl, 0);
	ck_assert_uint_eq(kl.n, 6);
	ck_assert_str_eq(key_hex(&kl, 0), "7f80000001" "80a7ff");
	ck_assert_str_eq(key_hex(&kl, 1), "7f80000001" "80a6ff");
	ck_assert_str_eq(key_hex(&kl, 2), "7f80000001" "80a5ff");
	ck_assert_str_eq(key_hex(&kl, 3), "7f80000002" "80a7ff");
	ck_assert_str_eq(key_hex(&kl, 5), "7f80000002" "80a5ff");
	/* nested: instances side by side, the shorter one NULL beyond its end */
	ix.flags = ESE_KEY_IDX_MULTIVALUED | ESE_KEY_IDX_NESTED_TABLE | ESE_KEY_IDX_ALLOW_SOME_NULLS |
	           ESE_KEY_IDX_ALLOW_FIRST_NULL;
	keys_of(&ix, rec, n, &kl, 0);
	ck_assert_uint_eq(kl.n, 3);
	ck_assert_str_eq(key_hex(&kl, 0), "7f80000001" "80a7ff");
	ck_assert_str_eq(key_hex(&kl, 1), "7f80000002" "80a6ff");
	ck_assert_str_eq(key_hex(&kl, 2), "00" "80a5ff");

	/* NULL rules: the multi-valued column absent */
	n = build(rec, 7, 0, 0, NULL, NULL, 0);
	ix = mkindex(s1, 1, ESE_KEY_IDX_MULTIVALUED);
	keys_of(&ix, rec, n, &kl, 0);
	ck_assert_uint_eq(kl.n, 0);
	ix.flags |= ESE_KEY_IDX_ALLOW_ALL_NULLS;
	keys_of(&ix, rec, n, &kl, 0);
	ck_assert_uint_eq(kl.n, 1);
	ck_assert_str_eq(key_hex(&kl, 0), "00");
	ix.flags |= ESE_KEY_IDX_SORT_NULLS_HIGH;
	keys_of(&ix, rec, n, &kl, 0);
	ck_assert_str_eq(key_hex(&kl, 0), "c0");

	/* defaults: fixed column 2 absent from the record takes 0x1234; an
	 * explicit NULL tagged entry is NULL; a zero-length var column is 0x40 */
	ese_index_seg s3[] = { { 2, 0 }, { 128, 0 }, { 258, 0 } };
	tval nul = { .fid = 258, .null = 1 };
	n = build(rec, 7, 0, 0, "", &nul, 1);
	ix = mkindex(s3, 3, ESE_KEY_IDX_ALLOW_SOME_NULLS);
	keys_of(&ix, rec, n, &kl, 0);
	ck_assert_uint_eq(kl.n, 1);
	ck_assert_str_eq(key_hex(&kl, 0), "7f9234" "40" "00");
	/* present: the stored value wins */
	tval bin = { .fid = 258, .n = 1, .v = { "ab" }, .len = { 2 } };
	n = build(rec, 7, 1, -1, "Hi", &bin, 1);
	keys_of(&ix, rec, n, &kl, 0);
	ck_assert_str_eq(key_hex(&kl, 0), "7f7fff" "7f484900" "7f616200000000000002");
	/* conditional column: only records whose column 128 is NULL */
	ese_key_spec sp;
	ese_key_spec_from_index(&sp, &ix);
	sp.cond[0].columnid = 128;
	sp.cond[0].flags = ESE_KEYSEG_MUST_BE_NULL;
	sp.ncond = 1;
	ese_record r;
	ck_assert_int_eq(ese_record_parse(&r, rec, n, 0, NULL), 0);
	ck_assert_int_eq(ese_index_keys(&ttab, &ix, &sp, &r, NULL, NULL, &kl, NULL), 0);
	ck_assert_uint_eq(kl.n, 0);
	sp.cond[0].flags = 0;
	ck_assert_int_eq(ese_index_keys(&ttab, &ix, &sp, &r, NULL, NULL, &kl, NULL), 0);
	ck_assert_uint_eq(kl.n, 1);
	sp.tuples = 1;
	ck_assert_int_eq(ese_index_keys(&ttab, &ix, &sp, &r, NULL, NULL, &kl, NULL), JET_errInvalidParameter);

	/* 300 instances holding 150 distinct values: 150 keys, first-seen order */
	{
		static uint8_t vals[300][4];
		uint8_t big[4096];
		/* build() takes 4 instances at most: lay this one out by hand */
		size_t o = 0;
		big[o++] = 1;
		big[o++] = 127;
		le16(big + 2, 9);
		le32(big + 4, 7);
		o = 8;
		big[o++] = 0;
		le16(big + o, 256);
		le16(big + o + 2, 4 | 0x4000);
		size_t dat = o + 4;
		big[dat++] = 0x08;
		for (size_t k = 0; k < 300; k++) {
			le32(vals[k], (uint32_t)(k % 150));
			le16(big + dat + 2 * k, (uint16_t)(600 + 4 * k));
		}
		dat += 600;
		for (size_t k = 0; k < 300; k++, dat += 4)
			memcpy(big + dat, vals[k], 4);
		ix = mkindex(s1, 1, ESE_KEY_IDX_MULTIVALUED);
		keys_of(&ix, big, dat, &kl, 0);
		ck_assert_uint_eq(kl.n, 150);
		ck_assert_str_eq(key_hex(&kl, 0), "7f80000000");
		ck_assert_str_eq(key_hex(&kl, 149), "7f80000095");
	}

	/* a separated long value needs a reader; an unknown column is reported */
	tval sep = { .fid = 259, .hdr = 0x05, .n = 1, .v = { "\x01\0\0\0" }, .len = { 4 } };
	n = build(rec, 7, 0, 0, NULL, &sep, 1);
	ese_index_seg s4[] = { { 259, 0 } };
	ix = mkindex(s4, 1, 0);
	keys_of(&ix, rec, n, &kl, JET_errInvalidParameter);
	ese_index_seg s5[] = { { 300, 0 } };
	ix = mkindex(s5, 1, 0);
	keys_of(&ix, rec, n, &kl, JET_errColumnNotFound);
	ese_keylist_free(&kl);
}
END_TEST

/* ====================================================================== */
/* Real databases                                                          */
/* ====================================================================== */

#define SAMPLES_DIR "../shared/esedb-samples"

static const char *const samples[] = { "basic.edb", "binary.edb", "default.edb", "index.edb",
                                       "multi.edb", "text.edb", "large.edb" };
#define NSAMPLES (sizeof(samples) / sizeof(samples[0]))

/* Decompresses a sample into a temporary file (unlinked by the caller);
 * NULL when the sample is absent. */
static char *sample_path(const char *name)
{
	char src[512], cmd[700];
	snprintf(src, sizeof(src), "%s/%s.gz", SAMPLES_DIR, name);
	if (access(src, R_OK) != 0)
		return NULL;
	char *path = malloc(64);
	ck_assert_ptr_nonnull(path);
	strcpy(path, "/tmp/ese-key-XXXXXX");
	int fd = mkstemp(path);
	ck_assert_int_ge(fd, 0);
	FILE *out = fdopen(fd, "wb");
	snprintf(cmd, sizeof(cmd), "gunzip -c '%s'", src);
	FILE *in = popen(cmd, "r");
	ck_assert_ptr_nonnull(in);
	char buf[65536];
	size_t got;
	while ((got = fread(buf, 1, sizeof(buf), in)) > 0)
		ck_assert_uint_eq(fwrite(buf, 1, got, out), got);
	ck_assert_int_eq(pclose(in), 0);
	ck_assert_int_eq(fclose(out), 0);
	return path;
}

typedef struct lvctx {
	ese_db *db;
	const ese_table *t;
} lvctx;

static int read_lv(void *ctx, const uint8_t *lid, size_t lidlen, ese_sbuf *out, ese_status *st)
{
	lvctx *c = ctx;
	return ese_lv_read(c->db, c->t, lid, lidlen, out, NULL, st);
}

/* key || 0x00 || data, so that sets of entries compare with memcmp */
typedef struct blob {
	uint8_t *p;
	size_t n;
} blob;

typedef struct blobs {
	blob *b;
	size_t n, cap;
} blobs;

static void blobs_add(blobs *bs, const uint8_t *k, size_t kn, const uint8_t *d, size_t dn)
{
	if (bs->n == bs->cap) {
		bs->cap = bs->cap ? bs->cap * 2 : 64;
		bs->b = realloc(bs->b, bs->cap * sizeof(blob));
		ck_assert_ptr_nonnull(bs->b);
	}
	blob *b = &bs->b[bs->n++];
	b->n = kn + 2 + dn;
	b->p = malloc(b->n);
	ck_assert_ptr_nonnull(b->p);
	b->p[0] = (uint8_t)(kn >> 8);       /* length first: a key may be a prefix of another */
	b->p[1] = (uint8_t)kn;
	memcpy(b->p + 2, k, kn);
	memcpy(b->p + 2 + kn, d, dn);
}

static int blobcmp(const void *x, const void *y)
{
	const blob *a = x, *b = y;
	size_t n = a->n < b->n ? a->n : b->n;
	int c = memcmp(a->p, b->p, n);
	return c ? c : (a->n > b->n) - (a->n < b->n);
}

static void blobs_free(blobs *bs)
{
	for (size_t i = 0; i < bs->n; i++)
		free(bs->b[i].p);
	free(bs->b);
	memset(bs, 0, sizeof(*bs));
}

/* Per-run totals, printed at the end of the real-database test. */
static unsigned long n_entries, n_matched, n_indexes;

/* Every key index ix of t derives from the records (records walked in the
 * table tree) equals, as a set of (key, primary key), the entries of the
 * index's tree; and every entry's key is one of the keys rebuilt from the
 * record its primary key leads to.  For the primary index the tree is the
 * table's own and the data is the record. */
static void check_index(const char *file, ese_db *db, const ese_table *t, const ese_index *ix, int large)
{
	ese_status st;
	ese_cursor *tc, *ic;
	ese_keylist kl;
	blobs from_records = { 0 }, from_tree = { 0 };
	lvctx lc = { db, t };
	int primary = (ix->flags & ESE_KEY_IDX_PRIMARY) != 0;
	unsigned long entries = 0, matched = 0;
	int err;

	ese_keylist_init(&kl);
	ese_status_clear(&st);
	/* the index's whole definition, from its own catalog record */
	ese_key_spec spec, spec_ix;
	uint8_t ck[ESE_KEY_CATALOG_ID_LEN];
	ese_key_catalog_id(ck, t->objid, ESE_SYSOBJ_INDEX, ix->objid);
	ck_assert_msg(ese_cursor_open(db, 4, 2, &tc, &st) == 0, "%s", st.msg);
	ck_assert_msg(ese_cursor_seek(tc, ck, sizeof(ck), &st) == 0, "%s: no catalog record for %s", file, ix->name);
	{
		size_t kn, dn;
		const uint8_t *k = ese_cursor_key(tc, &kn), *d = ese_cursor_data(tc, &dn);
		ck_assert(kn == sizeof(ck) && memcmp(k, ck, kn) == 0);
		ese_record cr;
		ck_assert_int_eq(ese_record_parse(&cr, d, dn, large, &st), 0);
		ck_assert_msg(ese_key_spec_from_catalog(&spec, &cr, &st) == 0, "%s", st.msg);
	}
	ese_cursor_close(tc);
	ese_key_spec_from_index(&spec_ix, ix);
	ck_assert_uint_eq(spec.keymost, spec_ix.keymost);
	ck_assert_uint_eq(spec.idx_flags, spec_ix.idx_flags);
	ck_assert_uint_eq(spec.lcmap_flags, spec_ix.lcmap_flags);
	ck_assert_str_eq(spec.locale, spec_ix.locale);
	ck_assert_uint_eq(spec.ncond, 0);
	ck_assert(!spec.tuples);
	if (ix->flags & 0x400u) {           /* fidbLocalizedText: a Unicode segment */
		ck_assert(spec.sort_version == ESE_KEY_NLS_VERSION_6020F);
		ck_assert(spec.has_sort_id && memcmp(spec.sort_id, ese_key_default_sort_id, 16) == 0);
	}
	ck_assert_msg(ese_cursor_open(db, t->pgno_fdp, t->objid, &tc, &st) == 0, "%s", st.msg);
	/* 1. keys from records */
	for (err = ese_cursor_first(tc, &st); err == 0; err = ese_cursor_next(tc, &st)) {
		size_t kn, dn;
		const uint8_t *k = ese_cursor_key(tc, &kn), *d = ese_cursor_data(tc, &dn);
		uint8_t *pk = malloc(kn + 1), *rec = malloc(dn + 1);
		memcpy(pk, k, kn);
		memcpy(rec, d, dn);
		ese_record r;
		ck_assert_msg(ese_record_parse(&r, rec, dn, large, &st) == 0, "%s: %s", file, st.msg);
		err = ese_index_keys(t, ix, &spec, &r, read_lv, &lc, &kl, &st);
		ck_assert_msg(err == 0, "%s %s.%s: record %s: %d %s", file, t->name, ix->name, tohex(pk, kn), err, st.msg);
		if (primary) {
			ck_assert_msg(kl.n == 1, "%s %s.%s: %zu primary keys", file, t->name, ix->name, kl.n);
			size_t n;
			const uint8_t *key = ese_keylist_key(&kl, 0, &n);
			ck_assert_msg(n == kn && memcmp(key, pk, kn) == 0, "%s %s.%s: stored %s, rebuilt %s", file,
			              t->name, ix->name, tohex(pk, kn), tohex(key, n));
			entries++;
			matched++;
		}
		for (size_t i = 0; i < kl.n; i++) {
			size_t n;
			const uint8_t *key = ese_keylist_key(&kl, i, &n);
			blobs_add(&from_records, key, n, pk, primary ? 0 : kn);
		}
		free(pk);
		free(rec);
	}
	ck_assert_msg(err == JET_errRecordNotFound, "%s: %s", file, st.msg);

	/* 2. the index tree, entry by entry */
	if (!primary) {
		ese_status_clear(&st);
		ck_assert_msg(ese_cursor_open(db, ix->pgno_fdp, ix->objid, &ic, &st) == 0, "%s", st.msg);
		for (err = ese_cursor_first(ic, &st); err == 0; err = ese_cursor_next(ic, &st)) {
			size_t kn, dn;
			const uint8_t *k = ese_cursor_key(ic, &kn), *d = ese_cursor_data(ic, &dn);
			blobs_add(&from_tree, k, kn, d, dn);
			entries++;
			/* the record this entry points at */
			ck_assert_msg(ese_cursor_seek(tc, d, dn, &st) == 0, "%s %s.%s: entry %s: no record %s", file,
			              t->name, ix->name, tohex(k, kn), tohex(d, dn));
			size_t rkn, rdn;
			const uint8_t *rk = ese_cursor_key(tc, &rkn), *rd = ese_cursor_data(tc, &rdn);
			ck_assert_msg(rkn == dn && memcmp(rk, d, dn) == 0, "%s %s.%s: entry %s: no record %s", file,
			              t->name, ix->name, tohex(k, kn), tohex(d, dn));
			uint8_t *rec = malloc(rdn + 1);
			memcpy(rec, rd, rdn);
			ese_record r;
			ck_assert_int_eq(ese_record_parse(&r, rec, rdn, large, &st), 0);
			err = ese_index_keys(t, ix, &spec, &r, read_lv, &lc, &kl, &st);
			ck_assert_msg(err == 0, "%s %s.%s: %d %s", file, t->name, ix->name, err, st.msg);
			int found = 0;
			for (size_t i = 0; i < kl.n && !found; i++) {
				size_t n;
				const uint8_t *key = ese_keylist_key(&kl, i, &n);
				found = n == kn && memcmp(key, k, kn) == 0;
			}
			ck_assert_msg(found, "%s %s.%s: stored key %s, rebuilt %s (%zu keys)", file, t->name, ix->name,
			              tohex(k, kn), kl.n ? key_hex(&kl, 0) : "(none)", kl.n);
			matched++;
			free(rec);
		}
		ck_assert_msg(err == JET_errRecordNotFound, "%s: %s", file, st.msg);
		ese_cursor_close(ic);
		/* 3. the same set both ways */
		qsort(from_records.b, from_records.n, sizeof(blob), blobcmp);
		qsort(from_tree.b, from_tree.n, sizeof(blob), blobcmp);
		ck_assert_msg(from_records.n == from_tree.n, "%s %s.%s: %zu entries rebuilt, %zu in the tree", file,
		              t->name, ix->name, from_records.n, from_tree.n);
		for (size_t i = 0; i < from_tree.n; i++)
			ck_assert_msg(blobcmp(&from_records.b[i], &from_tree.b[i]) == 0, "%s %s.%s: entry sets differ", file,
			              t->name, ix->name);
	}
	ese_cursor_close(tc);
	if (t->objid >= 8)          /* user tables; the catalog's are summed up below */
		printf("  %-11s %-8s %-16s %s %4lu entries, %4lu match\n", file, t->name, ix->name,
		       primary ? "primary  " : "secondary", entries, matched);
	n_entries += entries;
	n_matched += matched;
	n_indexes++;
	blobs_free(&from_records);
	blobs_free(&from_tree);
	ese_keylist_free(&kl);
}

static uint32_t fixed_size(const ese_column *c)
{
	switch (c->coltyp) {
	case JET_coltypBit: case JET_coltypUnsignedByte: return 1;
	case JET_coltypShort: case JET_coltypUnsignedShort: return 2;
	case JET_coltypLong: case JET_coltypUnsignedLong: case JET_coltypIEEESingle: return 4;
	case JET_coltypCurrency: case JET_coltypIEEEDouble: case JET_coltypDateTime: case JET_coltypLongLong: return 8;
	case JET_coltypGUID: return 16;
	default: return c->size;
	}
}

START_TEST(test_real_indexes)
{
	n_entries = n_matched = n_indexes = 0;
	for (size_t f = 0; f < NSAMPLES; f++) {
		char *path = sample_path(samples[f]);
		if (!path) {
			printf("SKIP: %s/%s.gz not found (run from the repository root)\n", SAMPLES_DIR, samples[f]);
			continue;
		}
		ese_db *db;
		ese_catalog *cat;
		ese_status st;
		ese_status_clear(&st);
		int oerr = ese_db_open(path, ESE_OPEN_RDONLY, &db, &st);
		unlink(path);               /* the open descriptor keeps it; no leftovers on failure */
		ck_assert_msg(oerr == 0, "%s: %s", samples[f], st.msg);
		ck_assert_msg(ese_catalog_load(db, 4, &cat, &st) == 0, "%s: %s", samples[f], st.msg);
		int large = ese_page_is_large(ese_db_page_size(db));
		for (size_t i = 0; i < cat->ntables; i++) {
			ese_table tcopy = cat->tables[i];
			const ese_table *t = &tcopy;
			ese_column *cols = NULL;
			if (t->objid == 2 || t->objid == 3) {
				/* Windows stores RecordOffset 4 for every column of the
				 * catalog's own schema (ESE reads its hard-coded layout);
				 * use the real offsets, fixed columns packed in id order,
				 * whatever the catalog decoder made of them */
				cols = malloc(t->ncolumns * sizeof(*cols));
				ck_assert_ptr_nonnull(cols);
				memcpy(cols, t->columns, t->ncolumns * sizeof(*cols));
				uint32_t off = 4;
				for (size_t k = 0; k < t->ncolumns && cols[k].id <= 127; k++) {
					cols[k].record_offset = off;
					off += fixed_size(&cols[k]);
				}
				tcopy.columns = cols;
			}
			for (size_t j = 0; j < t->nindexes; j++) {
				ese_index ix = t->indexes[j];
				/* the catalog's secondary indexes live at fixed pages */
				if (t->objid == 2 && ix.objid == 4)
					ix.pgno_fdp = 7;
				if (t->objid == 2 && ix.objid == 5)
					ix.pgno_fdp = 10;
				check_index(samples[f], db, t, &ix, large);
			}
			free(cols);
		}
		ese_catalog_free(cat);
		ese_db_close(db);
		free(path);
	}
	printf("  key check: %lu indexes, %lu entries, %lu rebuilt byte for byte\n", n_indexes, n_entries, n_matched);
	ck_assert_uint_eq(n_entries, n_matched);
}
END_TEST

/* MSysObjects (and its shadow) against the catalog convenience keys:
 * primary key from ObjidTable/Type/Id, Name and RootObjects entries. */
START_TEST(test_real_catalog_keys)
{
	for (size_t f = 0; f < NSAMPLES; f++) {
		char *path = sample_path(samples[f]);
		if (!path) {
			printf("SKIP: %s/%s.gz not found\n", SAMPLES_DIR, samples[f]);
			continue;
		}
		ese_db *db;
		ese_status st;
		ese_status_clear(&st);
		int oerr = ese_db_open(path, ESE_OPEN_RDONLY, &db, &st);
		unlink(path);
		ck_assert_int_eq(oerr, 0);
		int large = ese_page_is_large(ese_db_page_size(db));
		unsigned long recs = 0, mso_recs = 0, names = 0, roots = 0, want_roots = 0;
		const struct { uint32_t pgno, objid; } trees[] = { { 4, 2 }, { 24, 3 } };
		for (size_t tr = 0; tr < 2; tr++) {
			ese_cursor *c;
			ck_assert_int_eq(ese_cursor_open(db, trees[tr].pgno, trees[tr].objid, &c, &st), 0);
			int err;
			for (err = ese_cursor_first(c, &st); err == 0; err = ese_cursor_next(c, &st)) {
				size_t kn, dn;
				const uint8_t *k = ese_cursor_key(c, &kn), *d = ese_cursor_data(c, &dn);
				ese_record r;
				ck_assert_int_eq(ese_record_parse(&r, d, dn, large, &st), 0);
				/* fixed columns 1..3 at offsets 4, 8, 10; RootFlag (8) at 30 */
				ck_assert_uint_ge(r.fixed_end, 14);
				uint32_t objid = (uint32_t)d[4] | (uint32_t)d[5] << 8 | (uint32_t)d[6] << 16 | (uint32_t)d[7] << 24;
				uint16_t type = (uint16_t)(d[8] | d[9] << 8);
				uint32_t id = (uint32_t)d[10] | (uint32_t)d[11] << 8 | (uint32_t)d[12] << 16 |
				              (uint32_t)d[13] << 24;
				uint8_t want[ESE_KEY_CATALOG_ID_LEN];
				ese_key_catalog_id(want, objid, type, id);
				ck_assert_msg(kn == sizeof(want) && memcmp(k, want, kn) == 0, "%s: stored %s, rebuilt %s",
				              samples[f], tohex(k, kn), tohex(want, sizeof(want)));
				recs++;
				mso_recs += tr == 0;
				if (type != ESE_SYSOBJ_INDEX) {
					ese_key_spec sp;
					ck_assert_int_eq(ese_key_spec_from_catalog(&sp, &r, NULL), JET_errInvalidParameter);
				}
				if (tr == 0 && r.fixed_last >= 8) {
					size_t nullbytes = (r.fixed_last + 7) / 8;
					const uint8_t *bm = d + r.fixed_end - nullbytes;
					if (!(bm[0] & 0x80) && d[30])
						want_roots++;
				}
			}
			ck_assert_int_eq(err, JET_errRecordNotFound);
			ese_cursor_close(c);
		}
		/* Name (root 7, objid 4) and RootObjects (root 10, objid 5) */
		const struct { uint32_t pgno, objid; } ixs[] = { { 7, 4 }, { 10, 5 } };
		ese_cursor *mso;
		ck_assert_int_eq(ese_cursor_open(db, 4, 2, &mso, &st), 0);
		for (size_t x = 0; x < 2; x++) {
			ese_cursor *c;
			ck_assert_int_eq(ese_cursor_open(db, ixs[x].pgno, ixs[x].objid, &c, &st), 0);
			int err;
			for (err = ese_cursor_first(c, &st); err == 0; err = ese_cursor_next(c, &st)) {
				size_t kn, dn;
				const uint8_t *k = ese_cursor_key(c, &kn), *d = ese_cursor_data(c, &dn);
				ck_assert_int_eq(ese_cursor_seek(mso, d, dn, &st), 0);
				size_t rdn;
				const uint8_t *rd = ese_cursor_data(mso, &rdn);
				ese_record r;
				ck_assert_int_eq(ese_record_parse(&r, rd, rdn, large, &st), 0);
				ese_table boot = { .objid = 2 };
				ese_column name = { .id = 128, .coltyp = JET_coltypText };
				ese_colval v;
				ck_assert_int_eq(ese_record_get(&r, &boot, &name, &v, &st), 0);
				ck_assert(v.present);
				uint32_t objid = (uint32_t)rd[4] | (uint32_t)rd[5] << 8 | (uint32_t)rd[6] << 16 |
				                 (uint32_t)rd[7] << 24;
				uint16_t type = (uint16_t)(rd[8] | rd[9] << 8);
				ese_keybuf kb;
				if (x == 0) {
					ck_assert_int_eq(ese_key_catalog_name(&kb, objid, type, (const char *)v.data, v.len), 0);
					names++;
				} else {
					ck_assert_int_eq(ese_key_catalog_root(&kb, (const char *)v.data, v.len), 0);
					roots++;
				}
				ck_assert_msg(kb.len == kn && memcmp(kb.data, k, kn) == 0, "%s: stored %s, rebuilt %s",
				              samples[f], tohex(k, kn), tohex(kb.data, kb.len));
			}
			ck_assert_int_eq(err, JET_errRecordNotFound);
			ese_cursor_close(c);
		}
		ese_cursor_close(mso);
		/* one Name entry per MSysObjects record, one RootObjects entry per table */
		ck_assert_uint_eq(names, mso_recs);
		ck_assert_uint_eq(roots, want_roots);
		printf("  %-11s catalog: %lu records (MSysObjects + shadow), %lu Name, %lu RootObjects keys rebuilt\n",
		       samples[f], recs, names, roots);
		ese_db_close(db);
		free(path);
	}
}
END_TEST

/* Real multi-valued records (multi.edb has no secondary index over them):
 * an index over each multi-valued column yields one key per distinct
 * instance, in instance order. */
START_TEST(test_real_multivalued)
{
	char *path = sample_path("multi.edb");
	if (!path) {
		printf("SKIP: %s/multi.edb.gz not found\n", SAMPLES_DIR);
		return;
	}
	ese_db *db;
	ese_catalog *cat;
	ese_status st;
	ese_status_clear(&st);
	int oerr = ese_db_open(path, ESE_OPEN_RDONLY, &db, &st);
	unlink(path);
	ck_assert_int_eq(oerr, 0);
	ck_assert_int_eq(ese_catalog_load(db, 4, &cat, &st), 0);
	const ese_table *t = ese_catalog_find_table(cat, "multi");
	ck_assert_ptr_nonnull(t);
	lvctx lc = { db, t };
	ese_cursor *c;
	ck_assert_int_eq(ese_cursor_open(db, t->pgno_fdp, t->objid, &c, &st), 0);
	ck_assert_int_eq(ese_cursor_first(c, &st), 0);
	size_t dn;
	const uint8_t *d = ese_cursor_data(c, &dn);
	ese_record r;
	ck_assert_int_eq(ese_record_parse(&r, d, dn, 0, &st), 0);
	ese_keylist kl;
	ese_keylist_init(&kl);
	struct { uint32_t col; size_t n; const char *first; } want[] = {
		{ 256, 2, "7f00" },                       /* Bit: two values 00, ff */
		{ 259, 3, "7f80000000" },                 /* Long: 0, 0x80000001.., 0x7fffffff */
		{ 267, 3, "7f534f4d45204153434949205445585420544841542048415320" },
		{ 265, 3, "7f" },                         /* LongBinary: separated instances */
		{ 276, 2, "7f0000" },                     /* UnsignedShort */
	};
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		ese_index_seg seg = { want[i].col, 0 };
		ese_index ix = { .objid = 99, .flags = ESE_KEY_IDX_MULTIVALUED | 0x0E, .keymost = 255,
		                 .name = (char *)"synthetic", .segs = &seg, .nsegs = 1, .lcmap_flags = ESE_LCMAP_DEFAULT,
		                 .locale = (char *)"en-US" };
		ck_assert_msg(ese_index_keys(t, &ix, NULL, &r, read_lv, &lc, &kl, &st) == 0, "%s", st.msg);
		ck_assert_msg(kl.n == want[i].n, "column %u: %zu keys", want[i].col, kl.n);
		ck_assert_msg(strncmp(key_hex(&kl, 0), want[i].first, strlen(want[i].first)) == 0, "column %u: %s",
		              want[i].col, key_hex(&kl, 0));
	}
	ese_keylist_free(&kl);
	ese_cursor_close(c);
	ese_catalog_free(cat);
	ese_db_close(db);
	free(path);
}
END_TEST

Suite *suite_key(void)
{
	Suite *s = suite_create("key");
	TCase *tc = tcase_create("codec");
	tcase_add_test(tc, test_fixed_types);
	tcase_add_test(tc, test_fixed_order);
	tcase_add_test(tc, test_nulls);
	tcase_add_test(tc, test_binary);
	tcase_add_test(tc, test_ascii);
	tcase_add_test(tc, test_unicode);
	tcase_add_test(tc, test_catalog_keys);
	tcase_add_test(tc, test_record_keys);
	suite_add_tcase(s, tc);
	TCase *real = tcase_create("samples");
	tcase_set_timeout(real, 120);
	tcase_add_test(real, test_real_indexes);
	tcase_add_test(real, test_real_catalog_keys);
	tcase_add_test(real, test_real_multivalued);
	suite_add_tcase(s, real);
	return s;
}
