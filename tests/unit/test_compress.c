/*
 * test_compress.c - unit tests for common/compress.c (ese_compress.h).
 *
 * The "real" vectors are byte-exact copies of compressed values found in
 * the sample databases binary.edb, text.edb and multi.edb (dissect.esedb's
 * tests/_data/NAME.edb.gz, gunzipped); the expected outputs are the values
 * the sample authors wrote, as stated in dissect.esedb's
 * tests/test_esedb.py.
 * File offsets are given so the bytes can be found again (page size 4096;
 * pgno = offset / 4096 - 1).  The hand-made vectors exercise one rule each.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ese_compress.h"
#include "ese_error.h"

Suite *suite_compress(void);

#define CORRUPT JET_errDatabaseCorrupted
#define INVALID JET_errInvalidParameter

/* ---- real vectors ------------------------------------------------------ */

/* binary.edb @135234 (pgno 32): LV chunk of LongCompressedBinary, Xpress.
 * "test long compressed binary data " + 1000 x 'a' (1033 bytes): 34
 * literals, then one match offset 1 length 999 in the 16-bit length form. */
static const uint8_t real_xp_binary[51] = {
	0x18, 0x09, 0x04, 0x00, 0x00, 0x00, 0x00, 0x74, 0x65, 0x73, 0x74, 0x20,
	0x6c, 0x6f, 0x6e, 0x67, 0x20, 0x63, 0x6f, 0x6d, 0x70, 0x72, 0x65, 0x73,
	0x73, 0x65, 0x64, 0x20, 0x62, 0x69, 0x6e, 0x61, 0x72, 0x79, 0x20, 0x64,
	0x61, 0x74, 0x61, 0xff, 0xff, 0xff, 0x3f, 0x20, 0x61, 0x07, 0x00, 0x0f,
	0xff, 0xe4, 0x03,
};

/* text.edb @138412 (pgno 32): LongCompressedASCII, Xpress.
 * "Long compressed ASCII text " + 1024 x 'a' (1051 bytes). */
static const uint8_t real_xp_text[41] = {
	0x18, 0x1b, 0x04, 0x0f, 0x00, 0x00, 0x00, 0x4c, 0x6f, 0x6e, 0x67, 0x20,
	0x63, 0x6f, 0x6d, 0x70, 0x72, 0x65, 0x73, 0x73, 0x65, 0x64, 0x20, 0x41,
	0x53, 0x43, 0x49, 0x49, 0x20, 0x74, 0x65, 0x78, 0x74, 0x20, 0x61, 0x07,
	0x00, 0x0f, 0xff, 0xfc, 0x03,
};

/* multi.edb @199234 (pgno 47): first value of LongCompressedUnicode,
 * Xpress, UTF-16LE of "Some very long compressed Unicode text that has
 * multiple values, this is value 1 \U0001F98A " + 1024 x 'a' (2216 bytes).
 * Four flag words, many short matches, and a nibble byte shared by two
 * matches (low nibble, then high nibble with byte and 16-bit escapes). */
static const uint8_t real_xp_multi[141] = {
	0x18, 0xa8, 0x08, 0x11, 0x45, 0x11, 0x00, 0x53, 0x00, 0x6f, 0x00, 0x6d,
	0x00, 0x65, 0x00, 0x20, 0x00, 0x76, 0x28, 0x00, 0x72, 0x00, 0x79, 0x48,
	0x00, 0x6c, 0x98, 0x00, 0x6e, 0x00, 0x67, 0x48, 0x00, 0x63, 0x48, 0x00,
	0x6d, 0x00, 0x70, 0xb8, 0x00, 0x65, 0x00, 0x73, 0x08, 0x00, 0x8a, 0x8a,
	0x45, 0x15, 0x65, 0x00, 0x64, 0xa8, 0x00, 0x55, 0xe8, 0x00, 0x69, 0xda,
	0x00, 0x64, 0x88, 0x00, 0x20, 0x00, 0x74, 0x28, 0x00, 0x78, 0x28, 0x00,
	0x49, 0x00, 0x68, 0x00, 0x61, 0x28, 0x00, 0x20, 0x3a, 0x00, 0x73, 0x38,
	0x00, 0x6d, 0x00, 0x75, 0x78, 0x02, 0x74, 0x78, 0x01, 0x70, 0xff, 0x20,
	0xd6, 0xd6, 0x38, 0x00, 0x69, 0x01, 0x76, 0xc8, 0x00, 0x6c, 0xa8, 0x00,
	0x89, 0x02, 0x2c, 0x78, 0x00, 0x99, 0x01, 0x69, 0x58, 0x00, 0x20, 0x2c,
	0x00, 0xff, 0x00, 0xf0, 0x20, 0x00, 0x31, 0x18, 0x00, 0x3e, 0xd8, 0x8a,
	0xdd, 0x20, 0x98, 0x00, 0x0f, 0x00, 0xff, 0xfb, 0x07,
};

/* multi.edb @132591 (pgno 31): first value of LongCompressedASCII in
 * record 2, 7-bit ASCII (header 0x0e: 7 bits in the last byte): 41 x 'a'. */
static const uint8_t real_7a_multi[37] = {
	0x0e, 0xe1, 0x70, 0x38, 0x1c, 0x0e, 0x87, 0xc3, 0xe1, 0x70, 0x38, 0x1c,
	0x0e, 0x87, 0xc3, 0xe1, 0x70, 0x38, 0x1c, 0x0e, 0x87, 0xc3, 0xe1, 0x70,
	0x38, 0x1c, 0x0e, 0x87, 0xc3, 0xe1, 0x70, 0x38, 0x1c, 0x0e, 0x87, 0xc3,
	0x61,
};

/* binary.edb @141942 (pgno 33): MaxLongCompressedBinary, 7-bit ASCII,
 * 821 bytes: these 36, then 112 x the 7 bytes below (8 'a's each), then
 * 0x61.  "test max long compressed binary data " + 900 x 'a' (937). */
static const uint8_t real_7a_binary_head[36] = {
	0x0e, 0xf4, 0xf2, 0x9c, 0x0e, 0x6a, 0x87, 0xf1, 0x20, 0xf6, 0xdb, 0x7d,
	0x06, 0x8d, 0xdf, 0x6d, 0xb8, 0xbc, 0x3c, 0x9f, 0x97, 0xc9, 0x20, 0x71,
	0xda, 0x1d, 0x96, 0xe7, 0x41, 0xe4, 0x30, 0x3d, 0x0c, 0x0a, 0x87, 0xc3,
};
static const uint8_t real_7a_binary_rep[7] = { 0xe1, 0x70, 0x38, 0x1c, 0x0e, 0x87, 0xc3 };

static size_t build_7a_binary(uint8_t *buf)
{
	size_t n = 0;
	memcpy(buf, real_7a_binary_head, sizeof real_7a_binary_head);
	n += sizeof real_7a_binary_head;
	for (int i = 0; i < 112; i++, n += 7)
		memcpy(buf + n, real_7a_binary_rep, 7);
	buf[n++] = 0x61;
	return n;
}

/* prefix + count x 'a' */
static size_t make_ascii(uint8_t *buf, const char *prefix, size_t count)
{
	size_t n = strlen(prefix);
	memcpy(buf, prefix, n);
	memset(buf + n, 'a', count);
	return n + count;
}

/* UTF-16LE of prefix (ASCII), U+1F98A, " ", count x 'a' */
static size_t make_utf16_fox(uint8_t *buf, const char *prefix, size_t count)
{
	size_t n = 0;
	for (const char *p = prefix; *p; p++) {
		buf[n++] = (uint8_t)*p;
		buf[n++] = 0;
	}
	buf[n++] = 0x3e; buf[n++] = 0xd8;   /* U+1F98A = D83E DD8A */
	buf[n++] = 0x8a; buf[n++] = 0xdd;
	buf[n++] = ' ';  buf[n++] = 0;
	for (size_t i = 0; i < count; i++) {
		buf[n++] = 'a';
		buf[n++] = 0;
	}
	return n;
}

/* Decodes into a heap buffer of exactly the announced size (so that ASan
 * sees any overrun) and compares with want. */
static void check_decode(const uint8_t *in, size_t inlen,
                         const uint8_t *want, size_t wantlen)
{
	size_t sz = 99, outlen = 99;
	uint8_t *out;

	ck_assert_int_eq(ese_decompress_size(in, inlen, &sz), 0);
	ck_assert_uint_eq(sz, wantlen);
	out = malloc(wantlen);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(ese_decompress(in, inlen, out, wantlen, &outlen), 0);
	ck_assert_uint_eq(outlen, wantlen);
	ck_assert_mem_eq(out, want, wantlen);
	free(out);
	/* one byte short of the size: refused, nothing claimed written */
	out = malloc(wantlen > 1 ? wantlen - 1 : 1);
	ck_assert_ptr_nonnull(out);
	ck_assert_int_eq(ese_decompress(in, inlen, out, wantlen - 1, &outlen), CORRUPT);
	ck_assert_uint_eq(outlen, 0);
	free(out);
}

static int decode_rc(const uint8_t *in, size_t inlen, size_t cap)
{
	uint8_t *out = malloc(cap ? cap : 1);
	size_t outlen = 12345;
	int rc;

	ck_assert_ptr_nonnull(out);
	rc = ese_decompress(in, inlen, out, cap, &outlen);
	ck_assert_uint_le(outlen, cap);
	if (rc != 0 && rc != CORRUPT)
		ck_assert_uint_eq(outlen, 0);
	free(out);
	return rc;
}

/* ---- real data --------------------------------------------------------- */

START_TEST(test_real_xpress_lv_binary)
{
	static uint8_t want[1033];
	size_t n = make_ascii(want, "test long compressed binary data ", 1000);

	ck_assert_uint_eq(n, 1033);
	ck_assert_int_eq(ese_compress_scheme(real_xp_binary, sizeof real_xp_binary),
	                 ESE_COMPRESS_XPRESS);
	check_decode(real_xp_binary, sizeof real_xp_binary, want, n);
}
END_TEST

START_TEST(test_real_xpress_text)
{
	static uint8_t want[1051];
	size_t n = make_ascii(want, "Long compressed ASCII text ", 1024);

	check_decode(real_xp_text, sizeof real_xp_text, want, n);
}
END_TEST

START_TEST(test_real_xpress_unicode_multi)
{
	static uint8_t want[2216];
	size_t n = make_utf16_fox(want,
		"Some very long compressed Unicode text that has multiple values, this is value 1 ",
		1024);

	ck_assert_uint_eq(n, 2216);
	check_decode(real_xp_multi, sizeof real_xp_multi, want, n);
}
END_TEST

START_TEST(test_real_7bit_ascii_multi)
{
	uint8_t want[41];

	memset(want, 'a', sizeof want);
	ck_assert_int_eq(ese_compress_scheme(real_7a_multi, sizeof real_7a_multi),
	                 ESE_COMPRESS_7BIT_ASCII);
	check_decode(real_7a_multi, sizeof real_7a_multi, want, sizeof want);
}
END_TEST

START_TEST(test_real_7bit_ascii_lv_binary)
{
	static uint8_t in[821], want[937];
	size_t inlen = build_7a_binary(in);
	size_t n = make_ascii(want, "test max long compressed binary data ", 900);

	ck_assert_uint_eq(inlen, 821);
	ck_assert_uint_eq(n, 937);
	check_decode(in, inlen, want, n);
}
END_TEST

/* ---- 7-bit, hand-made --------------------------------------------------- */

/* The worked example in the comment of ErrCompress7BitAscii_
 * (compression.cxx): "01234567" packs to b0 98 6c 46 ab d9 6e; 56 bits, so
 * all 8 bits of the last byte are used: header 1 << 3 | 7. */
START_TEST(test_7bit_ascii_ese_example)
{
	static const uint8_t in[] = { 0x0f, 0xb0, 0x98, 0x6c, 0x46, 0xab, 0xd9, 0x6e };

	check_decode(in, sizeof in, (const uint8_t *)"01234567", 8);
}
END_TEST

START_TEST(test_7bit_unicode)
{
	/* "Hello, ESE!": 11 codes = 77 bits = 9 whole bytes + 5 bits:
	 * header 2 << 3 | (5 - 1) */
	static const uint8_t in[] = {
		0x14, 0xc8, 0x32, 0x9b, 0xfd, 0x66, 0x81, 0x8a, 0xd3, 0x62, 0x08,
	};
	static const uint8_t want[] = {
		'H', 0, 'e', 0, 'l', 0, 'l', 0, 'o', 0, ',', 0, ' ', 0,
		'E', 0, 'S', 0, 'E', 0, '!', 0,
	};
	/* "ABCDEFGH": 56 bits, header 2 << 3 | 7 */
	static const uint8_t in2[] = { 0x17, 0x41, 0xe1, 0x90, 0x58, 0x34, 0x1e, 0x91 };
	static const uint8_t want2[] = {
		'A', 0, 'B', 0, 'C', 0, 'D', 0, 'E', 0, 'F', 0, 'G', 0, 'H', 0,
	};

	ck_assert_int_eq(ese_compress_scheme(in, sizeof in), ESE_COMPRESS_7BIT_UNICODE);
	check_decode(in, sizeof in, want, sizeof want);
	check_decode(in2, sizeof in2, want2, sizeof want2);
}
END_TEST

START_TEST(test_7bit_single_code)
{
	/* smallest well-formed value: one code, 7 bits in the only data byte */
	static const uint8_t in[] = { 0x0e, 0x41 };
	static const uint8_t inu[] = { 0x16, 0x41 };
	static const uint8_t wantu[] = { 'A', 0 };

	check_decode(in, sizeof in, (const uint8_t *)"A", 1);
	check_decode(inu, sizeof inu, wantu, 2);
}
END_TEST

START_TEST(test_7bit_errors)
{
	static const uint8_t hdr_only[] = { 0x0f };
	/* 8 * 0 + 1 bit: not a whole number of 7-bit codes */
	static const uint8_t bad_bits[] = { 0x08, 0x41 };
	/* the ESE example one byte short: 6 * 8 + 8 = 56 -> 48 + 8 bits, no */
	static const uint8_t short_ex[] = { 0x0f, 0xb0, 0x98, 0x6c, 0x46, 0xab, 0xd9 };
	size_t sz = 7;

	ck_assert_int_eq(ese_decompress_size(hdr_only, sizeof hdr_only, &sz), CORRUPT);
	ck_assert_uint_eq(sz, 0);
	ck_assert_int_eq(decode_rc(hdr_only, sizeof hdr_only, 16), CORRUPT);
	ck_assert_int_eq(ese_decompress_size(bad_bits, sizeof bad_bits, &sz), CORRUPT);
	ck_assert_int_eq(decode_rc(bad_bits, sizeof bad_bits, 16), CORRUPT);
	ck_assert_int_eq(decode_rc(short_ex, sizeof short_ex, 16), CORRUPT);
	/* unicode header over the same bytes */
	{
		uint8_t u[sizeof bad_bits];
		memcpy(u, bad_bits, sizeof u);
		u[0] = 0x10;
		ck_assert_int_eq(decode_rc(u, sizeof u, 16), CORRUPT);
	}
}
END_TEST

/* ---- Xpress, hand-made -------------------------------------------------- */

/* 'x', then a match offset 1 length 30: length field 7 -> nibble 15 ->
 * byte 5 (3 + 7 + 15 + 5 = 30); then the EOF mark (flag bits 0,1,1...). */
static const uint8_t xp_bytelen[] = {
	0x18, 31, 0,
	0xff, 0xff, 0xff, 0x7f,
	'x', 0x07, 0x00, 0x0f, 0x05,
};

START_TEST(test_xpress_byte_length)
{
	uint8_t want[31];

	memset(want, 'x', sizeof want);
	check_decode(xp_bytelen, sizeof xp_bytelen, want, sizeof want);
}
END_TEST

/* "ab", match offset 2 length 10 (nibble 0, low half of the next byte),
 * match offset 2 length 12 (nibble 2, the high half of the same byte). */
static const uint8_t xp_nibbles[] = {
	0x18, 24, 0,
	0xff, 0xff, 0xff, 0x3f,
	'a', 'b', 0x0f, 0x00, 0x20, 0x0f, 0x00,
};

START_TEST(test_xpress_shared_nibble)
{
	uint8_t want[24];

	for (int i = 0; i < 24; i++)
		want[i] = (i & 1) ? 'b' : 'a';
	check_decode(xp_nibbles, sizeof xp_nibbles, want, sizeof want);
}
END_TEST

/* 'z' and 31 matches (offset 1, length 3) use all 32 flags of the first
 * word, so the EOF mark needs a second flag word. */
static size_t build_xp_fullword(uint8_t *buf, int with_eof_word)
{
	size_t n = 0;
	buf[n++] = 0x18; buf[n++] = 94; buf[n++] = 0;
	buf[n++] = 0xff; buf[n++] = 0xff; buf[n++] = 0xff; buf[n++] = 0x7f;
	buf[n++] = 'z';
	for (int i = 0; i < 31; i++) {
		buf[n++] = 0x00;
		buf[n++] = 0x00;
	}
	if (with_eof_word) {
		buf[n++] = 0xff; buf[n++] = 0xff; buf[n++] = 0xff; buf[n++] = 0xff;
	}
	return n;
}

START_TEST(test_xpress_flag_word_boundary)
{
	uint8_t in[80], want[94];
	size_t n = build_xp_fullword(in, 1);

	memset(want, 'z', sizeof want);
	check_decode(in, n, want, sizeof want);
	/* without the second word the stream has no EOF mark */
	n = build_xp_fullword(in, 0);
	ck_assert_int_eq(decode_rc(in, n, 94), CORRUPT);
}
END_TEST

START_TEST(test_xpress_trailing_bytes_ignored)
{
	/* ESE's XpressDecode stops at the EOF mark and does not require the
	 * input to end there */
	uint8_t in[sizeof xp_bytelen + 3], want[31];

	memcpy(in, xp_bytelen, sizeof xp_bytelen);
	memset(in + sizeof xp_bytelen, 0xee, 3);
	memset(want, 'x', sizeof want);
	check_decode(in, sizeof in, want, sizeof want);
}
END_TEST

START_TEST(test_xpress_truncated_header)
{
	static const uint8_t one[] = { 0x18 };
	static const uint8_t two[] = { 0x18, 0x09 };
	size_t sz = 5;

	ck_assert_int_eq(ese_decompress_size(one, 1, &sz), CORRUPT);
	ck_assert_uint_eq(sz, 0);
	ck_assert_int_eq(ese_decompress_size(two, 2, &sz), CORRUPT);
	ck_assert_int_eq(decode_rc(one, 1, 64), CORRUPT);
	ck_assert_int_eq(decode_rc(two, 2, 64), CORRUPT);
	ck_assert_int_eq(ese_compress_scheme(one, 0), CORRUPT);
	ck_assert_int_eq(ese_compress_scheme(NULL, 0), CORRUPT);
	ck_assert_int_eq(ese_decompress_size(one, 0, &sz), CORRUPT);
	ck_assert_int_eq(decode_rc(one, 0, 64), CORRUPT);
}
END_TEST

START_TEST(test_xpress_truncated_stream)
{
	/* every proper prefix of a real value is refused, whatever the cut */
	for (size_t len = 0; len < sizeof real_xp_multi; len++)
		ck_assert_int_eq(decode_rc(real_xp_multi, len, 2216), CORRUPT);
	for (size_t len = 0; len < sizeof real_xp_binary; len++)
		ck_assert_int_eq(decode_rc(real_xp_binary, len, 1033), CORRUPT);
}
END_TEST

START_TEST(test_xpress_preconditions)
{
	uint8_t in[sizeof xp_bytelen];
	size_t sz;

	memcpy(in, xp_bytelen, sizeof in);
	/* stated size 8 or less: ESE's XpressDecode refuses (MIN_SIZE) */
	in[1] = 8;
	ck_assert_int_eq(ese_decompress_size(in, sizeof in, &sz), CORRUPT);
	ck_assert_int_eq(decode_rc(in, sizeof in, 64), CORRUPT);
	/* stream not shorter than the output it claims */
	in[1] = 9;
	ck_assert_int_eq(ese_decompress_size(in, sizeof in, &sz), CORRUPT);
	in[1] = 31;
	/* stream under 8 bytes */
	ck_assert_int_eq(ese_decompress_size(in, 10, &sz), CORRUPT);
	ck_assert_int_eq(decode_rc(in, 10, 64), CORRUPT);
	/* the stated size is what decompress_size reports */
	ck_assert_int_eq(ese_decompress_size(in, sizeof in, &sz), 0);
	ck_assert_uint_eq(sz, 31);
}
END_TEST

START_TEST(test_xpress_length_overrun)
{
	uint8_t in[sizeof xp_bytelen];
	uint8_t out[64];
	size_t outlen = 0;

	/* the match (30 bytes) runs past a stated size of 20 */
	memcpy(in, xp_bytelen, sizeof in);
	in[1] = 20;
	ck_assert_int_eq(ese_decompress(in, sizeof in, out, sizeof out, &outlen), CORRUPT);
	ck_assert_uint_eq(outlen, 1);   /* the literal before the fault */
	/* the output completes on a literal flag: no EOF mark */
	{
		/* 'x', match 30 -> 31 bytes, then a literal flag with 1 more byte */
		static const uint8_t lit_end[] = {
			0x18, 31, 0, 0xff, 0xff, 0xff, 0x5f,
			'x', 0x07, 0x00, 0x0f, 0x05, 'y',
		};
		ck_assert_int_eq(decode_rc(lit_end, sizeof lit_end, 31), CORRUPT);
	}
	/* a stated size beyond the caller's buffer */
	ck_assert_int_eq(decode_rc(xp_bytelen, sizeof xp_bytelen, 30), CORRUPT);
}
END_TEST

START_TEST(test_xpress_bad_offset)
{
	/* first token is a match: nothing to copy from */
	static const uint8_t first[] = {
		0x18, 16, 0, 0xff, 0xff, 0xff, 0xff,
		0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	};
	/* "ab" then offset 3 (token 0x10): one byte before the start */
	static const uint8_t before[] = {
		0x18, 16, 0, 0xff, 0xff, 0xff, 0x3f,
		'a', 'b', 0x10, 0x00, 0x00, 0x00,
	};
	/* "ab" then offset 2 length 9 (token 0x0e): fine (control) */
	static const uint8_t ok[] = {
		0x18, 11, 0, 0xff, 0xff, 0xff, 0x3f,
		'a', 'b', 0x0e, 0x00, 0x00,
	};
	/* offset 8192 (the largest) with 2 bytes of output */
	static const uint8_t far[] = {
		0x18, 16, 0, 0xff, 0xff, 0xff, 0x3f,
		'a', 'b', 0xf8, 0xff, 0x00, 0x00,
	};

	ck_assert_int_eq(decode_rc(first, sizeof first, 16), CORRUPT);
	ck_assert_int_eq(decode_rc(before, sizeof before, 16), CORRUPT);
	ck_assert_int_eq(decode_rc(far, sizeof far, 16), CORRUPT);
	check_decode(ok, sizeof ok, (const uint8_t *)"abababababa", 11);
}
END_TEST

START_TEST(test_xpress_long_length_forms)
{
	/* 16-bit length below 255 + 15 + 7 has a shorter form: ESE refuses */
	static const uint8_t short16[] = {
		0x18, 0x00, 0x01, 0xff, 0xff, 0xff, 0x7f,
		'q', 0x07, 0x00, 0x0f, 0xff, 0x14, 0x01,   /* 0x114 = 277 - 1 */
	};
	/* MS-XCA's 32-bit escape (16-bit 0): not in ESE's decoder either */
	static const uint8_t zero16[] = {
		0x18, 0x00, 0x01, 0xff, 0xff, 0xff, 0x7f,
		'q', 0x07, 0x00, 0x0f, 0xff, 0x00, 0x00, 0xfd, 0x00, 0x00, 0x00,
	};
	/* 16-bit 277: length 280, the smallest legal 16-bit form */
	static const uint8_t ok16[] = {
		0x18, 0x19, 0x01, 0xff, 0xff, 0xff, 0x7f,
		'q', 0x07, 0x00, 0x0f, 0xff, 0x15, 0x01,
	};
	/* escapes cut off: nibble byte, length byte, 16-bit length */
	static const uint8_t cut[] = {
		0x18, 0x00, 0x01, 0xff, 0xff, 0xff, 0x7f,
		'q', 0x07, 0x00, 0x0f, 0xff, 0x15,
	};
	static uint8_t want[281];

	ck_assert_int_eq(decode_rc(short16, sizeof short16, 256), CORRUPT);
	ck_assert_int_eq(decode_rc(zero16, sizeof zero16, 256), CORRUPT);
	memset(want, 'q', sizeof want);
	check_decode(ok16, sizeof ok16, want, 281);
	for (size_t len = 8; len <= sizeof cut; len++)
		ck_assert_int_eq(decode_rc(cut, len, 256), CORRUPT);
}
END_TEST

/* ---- schemes ------------------------------------------------------------ */

START_TEST(test_unknown_and_unsupported_schemes)
{
	uint8_t in[16];
	size_t sz;

	memset(in, 0x41, sizeof in);
	for (int s = 0; s < 32; s++) {
		int want;

		in[0] = (uint8_t)(s << 3);
		ck_assert_int_eq(ese_compress_scheme(in, sizeof in), s);
		switch (s) {
		case ESE_COMPRESS_7BIT_ASCII: case ESE_COMPRESS_7BIT_UNICODE:
		case ESE_COMPRESS_XPRESS:
			continue;
		case ESE_COMPRESS_SCRUB: case ESE_COMPRESS_XPRESS9:
		case ESE_COMPRESS_XPRESS10: case ESE_COMPRESS_LZ4:
			want = INVALID;
			break;
		default:        /* 0 (not compressed) and 8..31 */
			want = CORRUPT;
			break;
		}
		ck_assert_int_eq(ese_decompress_size(in, sizeof in, &sz), want);
		ck_assert_int_eq(decode_rc(in, sizeof in, 64), want);
	}
	/* the low three bits do not change the scheme */
	in[0] = 0x18 | 7;
	ck_assert_int_eq(ese_compress_scheme(in, sizeof in), ESE_COMPRESS_XPRESS);
	in[0] = 0xff;
	ck_assert_int_eq(ese_compress_scheme(in, sizeof in), 31);
}
END_TEST

START_TEST(test_null_arguments)
{
	uint8_t out[4];
	size_t sz;

	ck_assert_int_eq(ese_decompress_size(real_7a_multi, sizeof real_7a_multi, NULL), INVALID);
	ck_assert_int_eq(ese_decompress_size(NULL, 5, &sz), INVALID);
	ck_assert_int_eq(ese_decompress(real_7a_multi, sizeof real_7a_multi, out, sizeof out, NULL), INVALID);
	ck_assert_int_eq(ese_decompress(NULL, 5, out, sizeof out, &sz), INVALID);
	ck_assert_int_eq(ese_decompress(real_7a_multi, sizeof real_7a_multi, NULL, 41, &sz), INVALID);
	ck_assert_int_eq(ese_decompress(real_7a_multi, sizeof real_7a_multi, NULL, 0, &sz), CORRUPT);
}
END_TEST

/* ---- robustness: mutations of real values, random inputs --------------- */

static uint32_t rng_state = 0x12345678u;
static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Decodes into an exact-size heap buffer; any out-of-bounds access is an
 * ASan report.  Only the three documented results may come back. */
static void poke(const uint8_t *src, size_t len)
{
	uint8_t *in = malloc(len ? len : 1);
	size_t sz = 0, cap, outlen = 0;
	uint8_t *out;
	int rc;

	ck_assert_ptr_nonnull(in);
	memcpy(in, src, len);
	rc = ese_decompress_size(in, len, &sz);
	ck_assert(rc == 0 || rc == CORRUPT || rc == INVALID);
	cap = rc == 0 ? sz : 64;
	out = malloc(cap ? cap : 1);
	ck_assert_ptr_nonnull(out);
	rc = ese_decompress(in, len, out, cap, &outlen);
	ck_assert(rc == 0 || rc == CORRUPT || rc == INVALID);
	ck_assert_uint_le(outlen, cap);
	if (rc == 0)
		ck_assert_uint_eq(outlen, sz);
	free(out);
	free(in);
}

START_TEST(test_mutations_stay_in_bounds)
{
	const struct { const uint8_t *p; size_t n; } v[] = {
		{ real_xp_binary, sizeof real_xp_binary },
		{ real_xp_text, sizeof real_xp_text },
		{ real_xp_multi, sizeof real_xp_multi },
		{ real_7a_multi, sizeof real_7a_multi },
		{ xp_bytelen, sizeof xp_bytelen },
		{ xp_nibbles, sizeof xp_nibbles },
	};
	uint8_t buf[256];

	for (size_t k = 0; k < sizeof v / sizeof v[0]; k++) {
		for (size_t i = 0; i < v[k].n; i++) {
			static const uint8_t x[] = { 0x01, 0x07, 0x08, 0x10, 0x80, 0xff };
			for (size_t j = 0; j < sizeof x; j++) {
				memcpy(buf, v[k].p, v[k].n);
				buf[i] ^= x[j];
				poke(buf, v[k].n);
				poke(buf, i + 1);       /* and cut right after it */
			}
		}
	}
}
END_TEST

START_TEST(test_random_inputs_stay_in_bounds)
{
	uint8_t buf[300];

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = rng() % sizeof buf;
		for (size_t i = 0; i < len; i++)
			buf[i] = (uint8_t)rng();
		if (len > 0 && (iter & 1))
			buf[0] = (uint8_t)(((rng() % 3) + 1) << 3 | (rng() & 7));
		if (len > 2 && (iter & 2))
			buf[2] = (uint8_t)(rng() & 3);  /* plausible sizes */
		poke(buf, len);
	}
}
END_TEST

Suite *suite_compress(void)
{
	Suite *s = suite_create("compress");
	TCase *tc = tcase_create("real");

	tcase_add_test(tc, test_real_xpress_lv_binary);
	tcase_add_test(tc, test_real_xpress_text);
	tcase_add_test(tc, test_real_xpress_unicode_multi);
	tcase_add_test(tc, test_real_7bit_ascii_multi);
	tcase_add_test(tc, test_real_7bit_ascii_lv_binary);
	suite_add_tcase(s, tc);

	tc = tcase_create("sevenbit");
	tcase_add_test(tc, test_7bit_ascii_ese_example);
	tcase_add_test(tc, test_7bit_unicode);
	tcase_add_test(tc, test_7bit_single_code);
	tcase_add_test(tc, test_7bit_errors);
	suite_add_tcase(s, tc);

	tc = tcase_create("xpress");
	tcase_add_test(tc, test_xpress_byte_length);
	tcase_add_test(tc, test_xpress_shared_nibble);
	tcase_add_test(tc, test_xpress_flag_word_boundary);
	tcase_add_test(tc, test_xpress_trailing_bytes_ignored);
	tcase_add_test(tc, test_xpress_truncated_header);
	tcase_add_test(tc, test_xpress_truncated_stream);
	tcase_add_test(tc, test_xpress_preconditions);
	tcase_add_test(tc, test_xpress_length_overrun);
	tcase_add_test(tc, test_xpress_bad_offset);
	tcase_add_test(tc, test_xpress_long_length_forms);
	suite_add_tcase(s, tc);

	tc = tcase_create("schemes");
	tcase_add_test(tc, test_unknown_and_unsupported_schemes);
	tcase_add_test(tc, test_null_arguments);
	suite_add_tcase(s, tc);

	tc = tcase_create("robustness");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_mutations_stay_in_bounds);
	tcase_add_test(tc, test_random_inputs_stay_in_bounds);
	suite_add_tcase(s, tc);
	return s;
}
