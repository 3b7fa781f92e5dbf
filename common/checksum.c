/*
 * checksum.c - ESE's page and header checksums (see include/ese_checksum.h).
 *
 * The ECC scheme (ESE checksum.cxx ChecksumNewFormat, verified on every
 * page of the Windows-made samples): a block is read as rows of four
 * little-endian dwords.  The XOR of all dwords gives the low half; the ECC
 * in the high half records, for every row with odd parity, the row number
 * (bits 7..15) and its complement (bits 23..31), the word-in-row parities
 * (bits 5, 6 and complements 21, 22) and, for every bit of the column XOR,
 * the bit number (bits 0..4) and its complement (16..20).  A single flipped
 * bit at position P therefore changes the ECC by exactly P in the low half
 * and ~P in the high half, which is how it is located.
 */
#include "ese_checksum.h"
#include "bytes.h"

#include <string.h>

uint32_t ese_checksum_header(const uint8_t *page, size_t size)
{
	uint32_t x = ESE_XOR_SEED;
	for (size_t i = 4; i + 4 <= size; i += 4)
		x ^= get_le32(page + i);
	return x;
}

static inline uint32_t parity32(uint32_t v) { return (uint32_t)__builtin_parity(v); }

/* The ECC half and the plain XOR of one block (pgno not yet applied).
 * Hot loop of /k: two 64-bit lanes per 16-byte row (lane a = words 0,1,
 * lane b = words 2,3), no branches; a row's parity selects its row value
 * through a mask. */
#define BLOCK_SUMS_BODY                                                                              \
	uint64_t acc_a = 0, acc_b = 0;                                                               \
	uint32_t p = 0;                                                                              \
	size_t rows = size / 16, r = 0;                                                              \
	if (header_block) {                                                                          \
		uint64_t b0 = (uint64_t)get_le32(blk + 8) | ((uint64_t)get_le32(blk + 12) << 32);        \
		acc_b ^= b0;                                                                             \
		uint32_t odd = (uint32_t)__builtin_parityll(b0);                                         \
		p ^= (0u - odd) & (0xFF80u << 16);                                                       \
		r = 1;                                                                                   \
	}                                                                                            \
	for (; r < rows; r++) {                                                                      \
		const uint8_t *q = blk + r * 16;                                                         \
		uint64_t a, b;                                                                           \
		memcpy(&a, q, 8);                                                                        \
		memcpy(&b, q + 8, 8);                                                                    \
		acc_a ^= a;                                                                              \
		acc_b ^= b;                                                                              \
		uint32_t odd = (uint32_t)__builtin_parityll(a ^ b);                                      \
		uint32_t rr = (uint32_t)(r << 7);                                                        \
		p ^= (0u - odd) & ((((~rr) & 0xFF80u) << 16) | rr);                                      \
	}                                                                                            \
	finish_sums(acc_a, acc_b, p, size, ecc_out, xor_out);

static void finish_sums(uint64_t acc_a, uint64_t acc_b, uint32_t p, size_t size, uint32_t *ecc_out,
                        uint32_t *xor_out);

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
/* The same loop compiled for CPUs with POPCNT, where a parity is two
 * instructions instead of a fold; chosen once at run time. */
__attribute__((target("popcnt"))) static void block_sums_popcnt(const uint8_t *blk, size_t size, int header_block,
                                                                uint32_t *ecc_out, uint32_t *xor_out)
{
	BLOCK_SUMS_BODY
}
#endif

static void block_sums_generic(const uint8_t *blk, size_t size, int header_block, uint32_t *ecc_out,
                               uint32_t *xor_out)
{
	BLOCK_SUMS_BODY
}

static void block_sums(const uint8_t *blk, size_t size, int header_block, uint32_t *ecc_out, uint32_t *xor_out)
{
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
	static int have_popcnt = -1;
	if (have_popcnt < 0) {
		__builtin_cpu_init();
		have_popcnt = __builtin_cpu_supports("popcnt") ? 1 : 0;
	}
	if (have_popcnt) {
		block_sums_popcnt(blk, size, header_block, ecc_out, xor_out);
		return;
	}
#endif
	block_sums_generic(blk, size, header_block, ecc_out, xor_out);
}

static void finish_sums(uint64_t acc_a, uint64_t acc_b, uint32_t p, size_t size, uint32_t *ecc_out,
                        uint32_t *xor_out)
{
	uint32_t p0 = (uint32_t)acc_a, p1 = (uint32_t)(acc_a >> 32);
	uint32_t p2 = (uint32_t)acc_b, p3 = (uint32_t)(acc_b >> 32);
	if (parity32(p0 ^ p1)) p |= 1u << 22;
	if (parity32(p2 ^ p3)) p |= 1u << 6;
	if (parity32(p0 ^ p2)) p |= 1u << 21;
	if (parity32(p1 ^ p3)) p |= 1u << 5;
	uint32_t x = p0 ^ p1 ^ p2 ^ p3, rbits = 0;
	for (uint32_t v = x; v; v &= v - 1) {
		uint32_t i = (uint32_t)__builtin_ctz(v);
		rbits ^= ((0xFFFFu - i) << 16) | i;
	}
	uint32_t mask = (uint32_t)(((uint64_t)size << 19) - 1);
	*ecc_out = (p & 0xFFE0FFE0u & mask) | (rbits & 0x001F001Fu);
	*xor_out = x;
}

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "checksum.c reads 64-bit lanes natively: port block_sums to big-endian hosts"
#endif

uint64_t ese_checksum_block(const uint8_t *blk, size_t size, uint32_t pgno, int header_block)
{
	uint32_t ecc, x;
	block_sums(blk, size, header_block, &ecc, &x);
	return ((uint64_t)ecc << 32) | (uint32_t)(x ^ pgno);
}

static size_t block_size(size_t page)
{
	return page <= 8192 ? page : page / 4;
}

/* Offset within block 0 where the checksum of block b is stored. */
static size_t block_sum_off(int b) { return b == 0 ? 0 : 40 + 8 * (size_t)(b - 1); }

static int all_zero(const uint8_t *p, size_t n)
{
	static const uint8_t z[64];
	for (size_t i = 0; i < n; i += 64)
		if (memcmp(p + i, z, n - i < 64 ? n - i : 64))
			return 0;
	return 1;
}

/* Tries to explain a mismatch in block b as one flipped bit.  Returns 1 and
 * sets *bit (page-relative) when it can. */
static int locate_single_bit(const uint8_t *page, size_t bsz, int b, uint32_t pgno,
                             uint64_t stored, uint64_t actual, uint32_t *bit)
{
	uint64_t diff = stored ^ actual;
	const uint8_t *blk = page + (size_t)b * bsz;
	/* one bit wrong in the stored checksum itself */
	if (__builtin_popcountll(diff) == 1) {
		*bit = (uint32_t)(block_sum_off(b) * 8 + (size_t)__builtin_ctzll(diff));
		return 1;
	}
	uint32_t ecc_diff = (uint32_t)(diff >> 32), x_diff = (uint32_t)diff;
	uint32_t pos = ecc_diff & 0xFFFFu;
	if (__builtin_popcount(x_diff) != 1 || (pos & 31) != (uint32_t)__builtin_ctz(x_diff))
		return 0;
	if ((size_t)pos >= bsz * 8)
		return 0;
	if (b == 0 && pos < 64)
		return 0;               /* inside the checksum field: not data */
	/* confirm: flip it in a copy and recompute */
	uint8_t tmp[32768];
	if (bsz > sizeof(tmp))
		return 0;
	memcpy(tmp, blk, bsz);
	size_t byte = pos / 32 * 4 + (pos % 32) / 8;
	tmp[byte] ^= (uint8_t)(1u << (pos % 8));
	if (ese_checksum_block(tmp, bsz, pgno, b == 0) != stored)
		return 0;
	*bit = (uint32_t)(((size_t)b * bsz + byte) * 8 + pos % 8);
	return 1;
}

ese_pagecheck ese_checksum_verify_page(const uint8_t *page, size_t size, uint32_t pgno,
                                       ese_pagecheck_info *info)
{
	ese_pagecheck_info dummy;
	if (!info)
		info = &dummy;
	memset(info, 0, sizeof(*info));
	info->block = -1;
	uint32_t flags = get_le32(page + 36);
	int large = size > 8192;
	if (large)
		info->stored_pgno = get_le32(page + 64);

	if (!(flags & ESE_PAGE_FLAG_NEW_CHECKSUM)) {
		/* legacy: low = seed ^ XOR(dwords 1..n); dword 1 holds the pgno */
		uint32_t stored = get_le32(page), actual = ese_checksum_header(page, size);
		if (stored == actual) {
			if (get_le32(page + 4) != pgno) {
				info->result = ESE_PAGE_WRONG_PGNO;
				info->stored_pgno = get_le32(page + 4);
				info->block = 0;
			}
			return info->result;
		}
		if (all_zero(page, size))
			return info->result = ESE_PAGE_UNINIT;
		info->block = 0;
		info->expected = stored;
		info->actual = actual;
		return info->result = ESE_PAGE_BAD;
	}

	size_t bsz = block_size(size);
	int nblocks = (int)(size / bsz);
	for (int b = 0; b < nblocks; b++) {
		uint64_t stored = get_le64(page + block_sum_off(b));
		uint64_t actual = ese_checksum_block(page + (size_t)b * bsz, bsz, pgno, b == 0);
		if (stored == actual)
			continue;
		if (b == 0 && all_zero(page, size))
			return info->result = ESE_PAGE_UNINIT;
		info->block = b;
		info->expected = stored;
		info->actual = actual;
		/* a page written for another pgno: ECC matches, XOR differs by the seed.
		 * FIX: on large pages the pgno stored at offset 64 decides, for
		 * block 0 too; before, block 0 always said WRONG_PGNO, so a flipped
		 * bit in its XOR half was reported as a wrong pgno (a pgno the
		 * header contradicts) instead of a correctable bit. */
		if ((stored >> 32) == (actual >> 32)) {
			uint32_t other = (uint32_t)stored ^ (uint32_t)actual ^ pgno;
			if (other != pgno && (!large || info->stored_pgno == other)) {
				info->stored_pgno = other;
				return info->result = ESE_PAGE_WRONG_PGNO;
			}
		}
		uint32_t bit;
		if (locate_single_bit(page, bsz, b, pgno, stored, actual, &bit)) {
			info->bad_bit = bit;
			info->result = ESE_PAGE_CORRECTABLE;
			/* another block may also be bad: then it is not correctable.
			 * FIX: the bit found in block 0 may lie in the stored checksum
			 * of block c (offsets 40..63); compare against that checksum as
			 * the correction will leave it (ESE TryFixPage does the same),
			 * else a flip there was reported BAD instead of CORRECTABLE. */
			for (int c = b + 1; c < nblocks; c++) {
				uint64_t want = get_le64(page + block_sum_off(c));
				if (b == 0 && bit / 64 == block_sum_off(c) / 8)
					want ^= 1ull << (bit % 64);
				if (want != ese_checksum_block(page + (size_t)c * bsz, bsz, pgno, 0))
					return info->result = ESE_PAGE_BAD;
			}
			return info->result;
		}
		return info->result = ESE_PAGE_BAD;
	}
	if (large && info->stored_pgno != pgno) {
		info->block = 0;
		return info->result = ESE_PAGE_WRONG_PGNO;
	}
	return info->result = ESE_PAGE_OK;
}

void ese_checksum_correct(uint8_t *page, const ese_pagecheck_info *info)
{
	if (info->result != ESE_PAGE_CORRECTABLE)
		return;
	page[info->bad_bit / 8] ^= (uint8_t)(1u << (info->bad_bit % 8));
}

void ese_checksum_set_page(uint8_t *page, size_t size, uint32_t pgno)
{
	uint32_t flags = get_le32(page + 36);
	if (!(flags & ESE_PAGE_FLAG_NEW_CHECKSUM)) {
		put_le32(page + 4, pgno);
		put_le32(page, ese_checksum_header(page, size));
		return;
	}
	size_t bsz = block_size(size);
	int nblocks = (int)(size / bsz);
	if (nblocks > 1) {
		put_le32(page + 64, pgno);
		for (int b = 1; b < nblocks; b++)
			put_le64(page + block_sum_off(b), ese_checksum_block(page + (size_t)b * bsz, bsz, pgno, 0));
	}
	put_le64(page, ese_checksum_block(page, bsz, pgno, 1));
}

void ese_checksum_set_header(uint8_t *page, size_t size)
{
	put_le32(page, ese_checksum_header(page, size));
}
