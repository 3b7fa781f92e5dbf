/*
 * test_checksum.c - page and header checksums (common/checksum.c).
 *
 * Hand-made pages of every page size prove the ECC codec round-trips and
 * locates any single flipped bit; a reference transcription of the
 * algorithm in ESE-FORMAT-NOTES.md section 2.2 cross-checks the codec
 * block by block; and the real pages of the Windows-made samples (when
 * ../shared/esedb-samples is present) prove the codec reproduces what
 * ESE itself wrote.
 */
#include <check.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "suites.h"
#include "ese_checksum.h"


static const size_t page_sizes[] = { 2048, 4096, 8192, 16384, 32768 };
#define NSIZES (sizeof(page_sizes) / sizeof(page_sizes[0]))

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) | ((uint64_t)rd32(p + 4) << 32); }

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}

/* Deterministic pseudo-random bytes (a 64-bit LCG, top byte). */
static void fill_random(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
	for (size_t i = 0; i < n; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		p[i] = (uint8_t)(s >> 56);
	}
}

/* A page of size bytes with random content, the new-format flag at 36, and
 * its checksum(s) for pgno.  Caller frees. */
static uint8_t *make_page(size_t size, uint32_t pgno, uint64_t seed, uint32_t flags)
{
	uint8_t *p = malloc(size);
	ck_assert_ptr_nonnull(p);
	fill_random(p, size, seed);
	wr32(p + 36, flags);
	ese_checksum_set_page(p, size, pgno);
	return p;
}

/* ---- a reference transcription of ESE-FORMAT-NOTES.md 2.2 ---- */

static int par(uint32_t v)
{
	int n = 0;
	for (; v; v >>= 1)
		n ^= (int)(v & 1);
	return n;
}

static uint64_t ref_block(const uint8_t *b, size_t cb, uint32_t pgno, int header_block)
{
	uint32_t p0 = 0, p1 = 0, p2 = 0, p3 = 0, p = 0, r = 0;
	for (size_t row = 0; row < cb / 16; row++) {
		uint32_t w0 = rd32(b + 16 * row), w1 = rd32(b + 16 * row + 4);
		uint32_t w2 = rd32(b + 16 * row + 8), w3 = rd32(b + 16 * row + 12);
		if (header_block && row == 0)
			w0 = w1 = 0;
		p0 ^= w0; p1 ^= w1; p2 ^= w2; p3 ^= w3;
		if (par(w0 ^ w1 ^ w2 ^ w3)) {
			uint32_t rr = (uint32_t)row << 7;
			p ^= (((~rr) & 0xFF80u) << 16) | rr;
		}
	}
	if (par(p0 ^ p1)) p |= 1u << 22;
	if (par(p2 ^ p3)) p |= 1u << 6;
	if (par(p0 ^ p2)) p |= 1u << 21;
	if (par(p1 ^ p3)) p |= 1u << 5;
	uint32_t x = p0 ^ p1 ^ p2 ^ p3;
	for (uint32_t i = 0; i < 32; i++)
		if (x & (1u << i))
			r ^= (((0xFFFFu - i) & 0xFFFFu) << 16) | i;
	uint32_t mask = (uint32_t)(((uint64_t)cb << 19) - 1);
	uint32_t ecc = (p & 0xFFE0FFE0u & mask) | (r & 0x001F001Fu);
	return ((uint64_t)ecc << 32) | (x ^ pgno);
}

static size_t blk_size(size_t page) { return page <= 8192 ? page : page / 4; }

/* ---- hand-made pages ---- */

START_TEST(test_block_matches_reference)
{
	size_t size = page_sizes[_i];
	uint8_t *p = malloc(size);
	ck_assert_ptr_nonnull(p);
	for (uint64_t seed = 1; seed <= 8; seed++) {
		fill_random(p, size, seed);
		size_t b = blk_size(size);
		for (int hdr = 0; hdr <= 1; hdr++)
			ck_assert_uint_eq(ese_checksum_block(p, b, (uint32_t)seed * 77, hdr),
			                  ref_block(p, b, (uint32_t)seed * 77, hdr));
	}
	/* the header block ignores its first 8 bytes, other blocks do not */
	fill_random(p, size, 99);
	size_t b = blk_size(size);
	uint64_t h = ese_checksum_block(p, b, 5, 1), n = ese_checksum_block(p, b, 5, 0);
	p[3] ^= 0x10;
	ck_assert_uint_eq(ese_checksum_block(p, b, 5, 1), h);
	ck_assert_uint_ne(ese_checksum_block(p, b, 5, 0), n);
	/* the pgno is the seed of the XOR half only */
	ck_assert_uint_eq(ese_checksum_block(p, b, 5, 1) ^ ese_checksum_block(p, b, 6, 1), 5u ^ 6u);
	free(p);
}
END_TEST

START_TEST(test_set_then_verify_ok)
{
	size_t size = page_sizes[_i];
	uint8_t *p = make_page(size, 1234, 7 + _i, 0x2802);
	ese_pagecheck_info info;
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 1234, &info), ESE_PAGE_OK);
	ck_assert_int_eq(info.result, ESE_PAGE_OK);
	ck_assert_int_eq(info.block, -1);
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 1234, NULL), ESE_PAGE_OK);
	/* what set_page stored is the block codec's output */
	size_t b = blk_size(size);
	ck_assert_uint_eq(rd64(p), ref_block(p, b, 1234, 1));
	if (size > 8192) {
		ck_assert_uint_eq(rd32(p + 64), 1234);
		for (int k = 1; k < 4; k++)
			ck_assert_uint_eq(rd64(p + 40 + 8 * (k - 1)), ref_block(p + k * b, b, 1234, 0));
	}
	free(p);
}
END_TEST

/* Flips bit `bit` (page-relative) of a fresh page and expects the
 * checksum to locate it in block `block` and ese_checksum_correct to undo
 * it. */
static void expect_correctable(size_t size, uint32_t bit, int block)
{
	uint8_t *orig = make_page(size, 4242, bit * 31u + size, 0x2802);
	uint8_t *p = malloc(size);
	ck_assert_ptr_nonnull(p);
	memcpy(p, orig, size);
	p[bit / 8] ^= (uint8_t)(1u << (bit % 8));
	ese_pagecheck_info info;
	ese_pagecheck r = ese_checksum_verify_page(p, size, 4242, &info);
	ck_assert_msg(r == ESE_PAGE_CORRECTABLE, "page %zu, bit %u (byte %u): result %d, expected CORRECTABLE",
	              size, bit, bit / 8, (int)r);
	ck_assert_int_eq(info.result, ESE_PAGE_CORRECTABLE);
	ck_assert_uint_eq(info.bad_bit, bit);
	ck_assert_int_eq(info.block, block);
	ck_assert_uint_ne(info.expected, info.actual);
	ese_checksum_correct(p, &info);
	ck_assert_msg(memcmp(p, orig, size) == 0, "page %zu, bit %u: correction did not restore the page", size, bit);
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 4242, NULL), ESE_PAGE_OK);
	free(p);
	free(orig);
}

START_TEST(test_single_bit_flips)
{
	size_t size = page_sizes[_i];
	size_t b = blk_size(size);
	uint32_t nbits = (uint32_t)size * 8;
	/* first data byte after the checksum field, every bit of it */
	for (uint32_t k = 0; k < 8; k++)
		expect_correctable(size, 64 + k, 0);
	/* the last byte of the page (last block) */
	expect_correctable(size, nbits - 1, size > 8192 ? 3 : 0);
	expect_correctable(size, nbits - 8, size > 8192 ? 3 : 0);
	/* the page header fields: dbtime, objid, flags other than 0x2000 */
	expect_correctable(size, 8 * 8 + 3, 0);
	expect_correctable(size, 24 * 8 + 17, 0);
	expect_correctable(size, 36 * 8 + 1, 0);
	/* a bit inside every block, including one in each dword of a row */
	for (size_t blk = 0; blk < size / b; blk++)
		for (uint32_t w = 0; w < 4; w++)
			expect_correctable(size, (uint32_t)((blk * b + b / 2 + 4 * w) * 8 + 5 + w), (int)blk);
	/* the ECC half of the stored checksum itself */
	expect_correctable(size, 4 * 8 + 0, 0);
	expect_correctable(size, 7 * 8 + 7, 0);
	if (size > 8192) {
		/* large pages: the XOR half is unambiguous thanks to the stored
		 * pgno at 64; the stored checksums of blocks 1..3 (offsets 40..63,
		 * inside block 0) and the stored pgno are correctable bits too */
		expect_correctable(size, 0 * 8 + 2, 0);
		expect_correctable(size, 3 * 8 + 6, 0);
		expect_correctable(size, 40 * 8 + 0, 0);
		expect_correctable(size, 52 * 8 + 4, 0);
		expect_correctable(size, 63 * 8 + 7, 0);
		expect_correctable(size, 64 * 8 + 1, 0);
	}
}
END_TEST

START_TEST(test_small_page_xor_half_flip)
{
	/* On a small page a single flipped bit in the XOR half cannot be told
	 * from a page written for a pgno one bit away (the pgno is only the
	 * seed).  The codec reports it as a wrong pgno and names that pgno. */
	size_t size = page_sizes[_i];
	uint8_t *p = make_page(size, 100, 5, 0x2802);
	p[0] ^= 0x04;
	ese_pagecheck_info info;
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 100, &info), ESE_PAGE_WRONG_PGNO);
	ck_assert_uint_eq(info.stored_pgno, 100u ^ 4u);
	free(p);
}
END_TEST

START_TEST(test_two_bit_flips_bad)
{
	size_t size = page_sizes[_i];
	size_t b = blk_size(size);
	uint8_t *p = make_page(size, 77, 3, 0x2802);
	ese_pagecheck_info info;
	/* two bits in one block, in different rows */
	p[100] ^= 0x01;
	p[333] ^= 0x40;
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 77, &info), ESE_PAGE_BAD);
	ck_assert_int_eq(info.block, 0);
	ck_assert_uint_ne(info.expected, info.actual);
	ck_assert_uint_eq(info.expected, rd64(p));
	free(p);
	/* the same bit of the same dword column in two rows: the XOR half
	 * cancels, only the ECC tells */
	p = make_page(size, 77, 3, 0x2802);
	p[200] ^= 0x08;
	p[216] ^= 0x08;
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 77, &info), ESE_PAGE_BAD);
	free(p);
	if (size > 8192) {
		/* one bit in block 1 and one in block 3 */
		p = make_page(size, 77, 3, 0x2802);
		p[b + 10] ^= 0x02;
		p[3 * b + 10] ^= 0x02;
		ck_assert_int_eq(ese_checksum_verify_page(p, size, 77, &info), ESE_PAGE_BAD);
		ck_assert_int_eq(info.block, 1);
		free(p);
		/* one bit in block 0 and one in block 2 */
		p = make_page(size, 77, 3, 0x2802);
		p[500] ^= 0x02;
		p[2 * b + 10] ^= 0x80;
		ck_assert_int_eq(ese_checksum_verify_page(p, size, 77, &info), ESE_PAGE_BAD);
		free(p);
	}
}
END_TEST

START_TEST(test_wrong_pgno)
{
	size_t size = page_sizes[_i];
	uint8_t *p = make_page(size, 7, 11, 0x2802);
	ese_pagecheck_info info;
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 7, &info), ESE_PAGE_OK);
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 9, &info), ESE_PAGE_WRONG_PGNO);
	ck_assert_uint_eq(info.stored_pgno, 7);
	ck_assert_int_eq(info.block, 0);
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 0x10007, &info), ESE_PAGE_WRONG_PGNO);
	ck_assert_uint_eq(info.stored_pgno, 7);
	free(p);
	if (size > 8192) {
		/* large page whose checksums are right for 9 but whose header
		 * says 7: the stored pgno decides */
		p = make_page(size, 9, 11, 0x2802);
		wr32(p + 64, 7);
		size_t b = blk_size(size);
		wr32(p, 0);
		wr32(p + 4, 0);
		uint64_t c0 = ese_checksum_block(p, b, 9, 1);
		for (int k = 0; k < 8; k++)
			p[k] = (uint8_t)(c0 >> (8 * k));
		ck_assert_int_eq(ese_checksum_verify_page(p, size, 9, &info), ESE_PAGE_WRONG_PGNO);
		ck_assert_uint_eq(info.stored_pgno, 7);
		free(p);
	}
}
END_TEST

START_TEST(test_uninit)
{
	size_t size = page_sizes[_i];
	uint8_t *p = calloc(1, size);
	ck_assert_ptr_nonnull(p);
	ese_pagecheck_info info;
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 3, &info), ESE_PAGE_UNINIT);
	ck_assert_int_eq(info.result, ESE_PAGE_UNINIT);
	/* one non-zero byte is no longer "never written" */
	p[size - 1] = 1;
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 3, &info), ESE_PAGE_BAD);
	p[size - 1] = 0;
	wr32(p + 36, 0x2000);
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 3, &info), ESE_PAGE_BAD);
	free(p);
}
END_TEST

START_TEST(test_legacy_format)
{
	size_t size = page_sizes[_i];
	uint8_t *p = make_page(size, 5, 21, 0x0802);   /* flag 0x2000 clear */
	/* layout: dword 1 = pgno, dword 0 = seed ^ XOR(dwords 1..n) */
	ck_assert_uint_eq(rd32(p + 4), 5);
	uint32_t x = 0x89ABCDEFu;
	for (size_t i = 4; i < size; i += 4)
		x ^= rd32(p + i);
	ck_assert_uint_eq(rd32(p), x);
	ese_pagecheck_info info;
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 5, &info), ESE_PAGE_OK);
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 6, &info), ESE_PAGE_WRONG_PGNO);
	ck_assert_uint_eq(info.stored_pgno, 5);
	/* no ECC in the legacy format: a single flip is just bad */
	p[size / 2] ^= 0x10;
	ck_assert_int_eq(ese_checksum_verify_page(p, size, 5, &info), ESE_PAGE_BAD);
	ck_assert_int_eq(info.block, 0);
	ck_assert_uint_eq(info.expected, x);
	ck_assert_uint_eq(info.actual, x ^ (0x10u << (8 * ((size / 2) % 4))));
	free(p);
}
END_TEST

START_TEST(test_header_formula)
{
	uint8_t page[4096];
	memset(page, 0, sizeof(page));
	/* all zero: just the seed; dword 0 is never part of the sum */
	ck_assert_uint_eq(ese_checksum_header(page, sizeof(page)), 0x89ABCDEFu);
	wr32(page, 0xFFFFFFFFu);
	ck_assert_uint_eq(ese_checksum_header(page, sizeof(page)), 0x89ABCDEFu);
	wr32(page + 4, 0x11111111u);
	ck_assert_uint_eq(ese_checksum_header(page, sizeof(page)), 0x98BADCFEu);
	wr32(page + 4092, 0x89ABCDEFu);   /* the last dword counts too */
	ck_assert_uint_eq(ese_checksum_header(page, sizeof(page)), 0x11111111u);
	fill_random(page, sizeof(page), 42);
	uint32_t x = 0x89ABCDEFu;
	for (size_t i = 4; i < sizeof(page); i += 4)
		x ^= rd32(page + i);
	ck_assert_uint_eq(ese_checksum_header(page, sizeof(page)), x);
	ese_checksum_set_header(page, sizeof(page));
	ck_assert_uint_eq(rd32(page), x);
}
END_TEST

/* ---- real pages ---- */


static int is_zero(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

/* Every page of a real file verifies (or is never-written), the stored
 * checksums are exactly what the codec and the reference compute, and
 * both header copies carry the right header checksum. */
static void check_real_file(const char *name, size_t ps, uint32_t expect_pages, uint32_t min_ok)
{
	size_t len;
	uint8_t *f = ese_test_load_sample(name, &len);
	if (!f)
		return;
	ck_assert_uint_eq(len % ps, 0);
	uint32_t npages = (uint32_t)(len / ps) - 2;
	ck_assert_uint_eq(npages, expect_pages);
	ck_assert_uint_eq(rd32(f), ese_checksum_header(f, ps));
	ck_assert_uint_eq(rd32(f + ps), ese_checksum_header(f + ps, ps));
	ck_assert_uint_eq(rd32(f + 4), 0x89ABCDEFu);
	uint32_t ok = 0, uninit = 0;
	size_t b = blk_size(ps);
	for (uint32_t pgno = 1; pgno <= npages; pgno++) {
		const uint8_t *pg = f + ((size_t)pgno + 1) * ps;
		ese_pagecheck_info info;
		ese_pagecheck r = ese_checksum_verify_page(pg, ps, pgno, &info);
		if (is_zero(pg, ps)) {
			ck_assert_msg(r == ESE_PAGE_UNINIT, "%s page %u: zero page gives %d", name, pgno, (int)r);
			uninit++;
			continue;
		}
		ck_assert_msg(r == ESE_PAGE_OK, "%s page %u: result %d (block %d, stored %016llx, computed %016llx)",
		              name, pgno, (int)r, info.block, (unsigned long long)info.expected,
		              (unsigned long long)info.actual);
		ck_assert_msg(rd32(pg + 36) & 0x2000, "%s page %u: not new checksum format", name, pgno);
		ck_assert_uint_eq(rd64(pg), ref_block(pg, b, pgno, 1));
		ck_assert_uint_eq(rd64(pg), ese_checksum_block(pg, b, pgno, 1));
		if (ps > 8192) {
			ck_assert_uint_eq(rd32(pg + 64), pgno);
			for (int k = 1; k < 4; k++)
				ck_assert_uint_eq(rd64(pg + 40 + 8 * (k - 1)), ref_block(pg + k * b, b, pgno, 0));
		}
		/* the same bytes are a wrong-pgno page anywhere else */
		ck_assert_int_eq(ese_checksum_verify_page(pg, ps, pgno + 1, &info), ESE_PAGE_WRONG_PGNO);
		ck_assert_uint_eq(info.stored_pgno, pgno);
		ok++;
	}
	ck_assert_uint_eq(ok + uninit, npages);
	ck_assert_uint_ge(ok, min_ok);
	/* set_page on a copy of a real page reproduces ESE's bytes exactly */
	uint8_t *copy = malloc(ps);
	ck_assert_ptr_nonnull(copy);
	const uint8_t *p4 = f + 5 * ps;     /* pgno 4: the catalog root */
	memcpy(copy, p4, ps);
	memset(copy, 0, 8);
	if (ps > 8192)
		memset(copy + 40, 0, 28);
	ese_checksum_set_page(copy, ps, 4);
	ck_assert(memcmp(copy, p4, ps) == 0);
	/* and a flipped bit in a real page is found and undone */
	copy[ps - 100] ^= 0x20;
	ese_pagecheck_info info;
	ck_assert_int_eq(ese_checksum_verify_page(copy, ps, 4, &info), ESE_PAGE_CORRECTABLE);
	ck_assert_uint_eq(info.bad_bit, (ps - 100) * 8 + 5);
	ese_checksum_correct(copy, &info);
	ck_assert(memcmp(copy, p4, ps) == 0);
	free(copy);
	free(f);
}

START_TEST(test_real_basic)
{
	/* basic.edb: 4 KiB pages, 254 database pages, 23 of them written */
	check_real_file("basic.edb", 4096, 254, 20);
}
END_TEST

START_TEST(test_real_large)
{
	/* large.edb: 32 KiB pages, four 8 KiB ECC blocks per page */
	check_real_file("large.edb", 32768, 766, 300);
}
END_TEST

START_TEST(test_real_others)
{
	static const char *const names[] = { "binary.edb", "default.edb", "index.edb", "multi.edb", "text.edb" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		check_real_file(names[i], 4096, 254, 20);
}
END_TEST

Suite *suite_checksum(void)
{
	Suite *s = suite_create("checksum");
	TCase *tc = tcase_create("codec");
	tcase_add_loop_test(tc, test_block_matches_reference, 0, NSIZES);
	tcase_add_loop_test(tc, test_set_then_verify_ok, 0, NSIZES);
	tcase_add_loop_test(tc, test_single_bit_flips, 0, NSIZES);
	tcase_add_loop_test(tc, test_small_page_xor_half_flip, 0, 3);
	tcase_add_loop_test(tc, test_two_bit_flips_bad, 0, NSIZES);
	tcase_add_loop_test(tc, test_wrong_pgno, 0, NSIZES);
	tcase_add_loop_test(tc, test_uninit, 0, NSIZES);
	tcase_add_loop_test(tc, test_legacy_format, 0, NSIZES);
	tcase_add_test(tc, test_header_formula);
	suite_add_tcase(s, tc);
	TCase *real = tcase_create("real-pages");
	tcase_set_timeout(real, 120);
	tcase_add_test(real, test_real_basic);
	tcase_add_test(real, test_real_large);
	tcase_add_test(real, test_real_others);
	suite_add_tcase(s, real);
	return s;
}
