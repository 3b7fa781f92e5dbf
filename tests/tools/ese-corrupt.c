/*
 * ese-corrupt - damage a copy of a database in one precise, named way, for
 * tests.  Never installed; never touches its source.
 *
 *   ese-corrupt KIND SRC DST [ARGS]
 *
 * The copy is made first, then damaged in place; the tool prints one line
 * saying what it did (kind, page, offset, bit) so tests can assert that the
 * checkers name the same place.  Page numbers are database page numbers
 * (1 = first page after the two header pages).
 *
 * Kinds:
 *   bitflip PGNO BIT        flip bit BIT (0 .. 8*pagesize-1) of page PGNO
 *   zero PGNO               overwrite page PGNO with zeroes
 *   misplace FROM TO        write page FROM's bytes at page TO's offset
 *   truncate-pages N        keep the headers and the first N pages
 *   truncate-bytes N        cut the file to N bytes
 *   header-byte OFFSET      flip the low bit of byte OFFSET of the header pages (shadow: + page size)
 */
#include "ese_db.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int die(const char *fmt, const char *a)
{
	fprintf(stderr, "ese-corrupt: ");
	fprintf(stderr, fmt, a);
	fputc('\n', stderr);
	return 2;
}

static int copy_file(const char *src, const char *dst)
{
	int in = open(src, O_RDONLY), out = open(dst, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (in < 0 || out < 0)
		return -1;
	char buf[1 << 16];
	ssize_t n;
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			return -1;
	close(in);
	return close(out) || n < 0 ? -1 : 0;
}

static unsigned long num(const char *s)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 0);
	if (*s == '\0' || *end || errno) {
		fprintf(stderr, "ese-corrupt: '%s' is not a number\n", s);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc < 4)
		return die("%susage: ese-corrupt KIND SRC DST [ARGS]", "");
	const char *kind = argv[1], *src = argv[2], *dst = argv[3];
	ese_db *db;
	ese_status st = { 0 };
	if (ese_db_open(src, ESE_OPEN_RDONLY | ESE_OPEN_NO_VERIFY | ESE_OPEN_ANY_HEADER, &db, &st))
		return die("%s", st.msg);
	uint32_t ps = ese_db_page_size(db), npages = ese_db_page_count(db);
	ese_db_close(db);
	if (copy_file(src, dst))
		return die("cannot copy to %s", dst);
	int fd = open(dst, O_RDWR);
	if (fd < 0)
		return die("cannot open %s", dst);
	uint8_t *page = malloc(ps);
	if (!page)
		return die("%sout of memory", "");
#define PAGE_OFF(p) ((off_t)((uint64_t)(p) + 1) * ps)
	if (!strcmp(kind, "bitflip") && argc == 6) {
		unsigned long pg = num(argv[4]), bit = num(argv[5]);
		if (pg < 1 || pg > npages || bit >= 8ul * ps)
			return die("%spage or bit out of range", "");
		if (pread(fd, page, ps, PAGE_OFF(pg)) != (ssize_t)ps)
			return die("%sread failed", "");
		page[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (pwrite(fd, page, ps, PAGE_OFF(pg)) != (ssize_t)ps)
			return die("%swrite failed", "");
		printf("bitflip: page %lu bit %lu (byte %lu, mask 0x%02x)\n", pg, bit, bit / 8, 1u << (bit % 8));
	} else if (!strcmp(kind, "zero") && argc == 5) {
		unsigned long pg = num(argv[4]);
		if (pg < 1 || pg > npages)
			return die("%spage out of range", "");
		memset(page, 0, ps);
		if (pwrite(fd, page, ps, PAGE_OFF(pg)) != (ssize_t)ps)
			return die("%swrite failed", "");
		printf("zero: page %lu\n", pg);
	} else if (!strcmp(kind, "misplace") && argc == 6) {
		unsigned long from = num(argv[4]), to = num(argv[5]);
		if (from < 1 || from > npages || to < 1 || to > npages || from == to)
			return die("%spage out of range", "");
		if (pread(fd, page, ps, PAGE_OFF(from)) != (ssize_t)ps ||
		    pwrite(fd, page, ps, PAGE_OFF(to)) != (ssize_t)ps)
			return die("%sI/O failed", "");
		printf("misplace: page %lu written at page %lu\n", from, to);
	} else if (!strcmp(kind, "truncate-pages") && argc == 5) {
		unsigned long n = num(argv[4]);
		if (n >= npages)
			return die("%sthe file is not that long", "");
		if (ftruncate(fd, PAGE_OFF(n + 1)))
			return die("%struncate failed", "");
		printf("truncate-pages: kept pages 1-%lu of %u\n", n, npages);
	} else if (!strcmp(kind, "truncate-bytes") && argc == 5) {
		unsigned long n = num(argv[4]);
		if (ftruncate(fd, (off_t)n))
			return die("%struncate failed", "");
		printf("truncate-bytes: file cut to %lu bytes\n", n);
	} else if (!strcmp(kind, "header-byte") && argc == 5) {
		unsigned long off = num(argv[4]);
		uint8_t b;
		if (off >= 2ul * ps || pread(fd, &b, 1, (off_t)off) != 1)
			return die("%soffset out of range", "");
		b ^= 1;
		if (pwrite(fd, &b, 1, (off_t)off) != 1)
			return die("%swrite failed", "");
		printf("header-byte: %s header byte %lu\n", off < ps ? "primary" : "shadow", off % ps);
	} else {
		return die("unknown kind or wrong arguments: %s", kind);
	}
	free(page);
	return close(fd) ? 2 : 0;
}
