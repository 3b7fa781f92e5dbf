/*
 * ese_checksum.h - ESE page and header checksums.
 *
 * Two page formats exist (ESE checksum.cxx / checksumu.cxx):
 *  - legacy XOR (page flag 0x2000 clear): low dword = 0x89ABCDEF ^ XOR of
 *    dwords 1..n of the page, no pgno seed, no ECC;
 *  - new ECC (flag 0x2000 set): per block, low dword = XOR of the block's
 *    dwords (the first 8 bytes of the header block read as zero) ^ pgno,
 *    high dword = an ECC that locates any single flipped bit.  Small pages
 *    (2/4/8 KiB) are one block; 16 and 32 KiB pages are four blocks whose
 *    blocks 1..3 checksums live at offsets 40/48/56 of the extended header.
 * The database header pages use the legacy formula, without pgno.
 * Pure codecs: no I/O.
 */
#ifndef ESE_CHECKSUM_H
#define ESE_CHECKSUM_H

#include <stddef.h>
#include <stdint.h>

#define ESE_PAGE_FLAG_NEW_CHECKSUM 0x2000u
#define ESE_XOR_SEED 0x89ABCDEFu

/* Checksum of a database header page (the first dword is skipped). */
uint32_t ese_checksum_header(const uint8_t *page, size_t size);

/* Computes the 64-bit checksum of one ECC block: XOR part (low) ^ pgno and
 * ECC part (high).  header_block: the first 8 bytes read as zero. */
uint64_t ese_checksum_block(const uint8_t *blk, size_t size, uint32_t pgno, int header_block);

/* Outcome of verifying one page. */
typedef enum ese_pagecheck {
	ESE_PAGE_OK = 0,          /* every stored checksum matches */
	ESE_PAGE_UNINIT,          /* the page is all zeroes: never written */
	ESE_PAGE_CORRECTABLE,     /* one bit is wrong and ECC locates it */
	ESE_PAGE_BAD,             /* checksum mismatch, not correctable */
	ESE_PAGE_WRONG_PGNO,      /* checksum matches another pgno's seed / header pgno differs */
} ese_pagecheck;

typedef struct ese_pagecheck_info {
	ese_pagecheck result;
	int      block;           /* block that failed (0..3), -1 when none */
	uint32_t bad_bit;         /* for CORRECTABLE: bit offset within the page */
	uint64_t expected;        /* stored checksum of the failing block */
	uint64_t actual;          /* computed checksum of the failing block */
	uint32_t stored_pgno;     /* large pages: pgno field of the extended header */
} ese_pagecheck_info;

/* Verifies a database page (not a header page) read from logical page
 * number pgno.  Never modifies page.  info may be NULL. */
ese_pagecheck ese_checksum_verify_page(const uint8_t *page, size_t size, uint32_t pgno,
                                       ese_pagecheck_info *info);

/* Flips the bit reported in a CORRECTABLE info, in the caller's copy. */
void ese_checksum_correct(uint8_t *page, const ese_pagecheck_info *info);

/* Writes the checksum(s) of a page for pgno, in the format its flags select
 * (and the pgno field of large pages). */
void ese_checksum_set_page(uint8_t *page, size_t size, uint32_t pgno);

/* Writes the header checksum into dword 0 of a header page. */
void ese_checksum_set_header(uint8_t *page, size_t size);

#endif
