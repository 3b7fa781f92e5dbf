/*
 * ese-repeat - make a large file for benchmarks from a small database: the
 * two header pages, then the source's initialized pages repeated until the
 * file reaches SIZE bytes, each with its checksum recomputed for the page
 * number it lands on.  The result checksums clean under /k; it is not a
 * consistent database (trees are duplicated), so only page-level tools
 * apply to it.
 *
 *   ese-repeat SRC DST SIZE[K|M|G]
 */
#include "ese_checksum.h"
#include "ese_db.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: ese-repeat SRC DST SIZE[K|M|G]\n");
		return 2;
	}
	char *end;
	unsigned long long size = strtoull(argv[3], &end, 10);
	if (*end == 'K' || *end == 'k')
		size <<= 10;
	else if (*end == 'M' || *end == 'm')
		size <<= 20;
	else if (*end == 'G' || *end == 'g')
		size <<= 30;
	ese_db *db;
	ese_status st = { 0 };
	if (ese_db_open(argv[1], ESE_OPEN_RDONLY, &db, &st)) {
		fprintf(stderr, "ese-repeat: %s\n", st.msg);
		return 1;
	}
	uint32_t ps = ese_db_page_size(db), n = ese_db_page_count(db);
	uint8_t *pages = malloc((size_t)n * ps), *hdr = malloc(2 * (size_t)ps);
	uint32_t used = 0;
	if (!pages || !hdr || pread(ese_db_fd(db), hdr, 2 * (size_t)ps, 0) != 2 * (ssize_t)ps)
		return 1;
	for (uint32_t p = 1; p <= n; p++) {
		uint8_t *dst = pages + (size_t)used * ps;
		if (ese_db_read_page(db, p, dst, NULL) == 0)
			used++;
	}
	ese_db_close(db);
	if (!used) {
		fprintf(stderr, "ese-repeat: no initialized pages in %s\n", argv[1]);
		return 1;
	}
	int fd = open(argv[2], O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0 || write(fd, hdr, 2 * (size_t)ps) != 2 * (ssize_t)ps)
		return 1;
	uint64_t total = size / ps > 2 ? size / ps - 2 : 1;
	const uint32_t batch = 256;
	uint8_t *buf = malloc((size_t)batch * ps);
	for (uint64_t p = 1; p <= total;) {
		uint32_t k = 0;
		for (; k < batch && p <= total; k++, p++) {
			uint8_t *dst = buf + (size_t)k * ps;
			memcpy(dst, pages + (size_t)((p - 1) % used) * ps, ps);
			ese_checksum_set_page(dst, ps, (uint32_t)p);
		}
		if (write(fd, buf, (size_t)k * ps) != (ssize_t)((size_t)k * ps)) {
			fprintf(stderr, "ese-repeat: write failed\n");
			return 1;
		}
	}
	close(fd);
	printf("%s: %llu pages of %u bytes from %u initialized pages of %s\n", argv[2],
	       (unsigned long long)total, ps, used, argv[1]);
	free(buf);
	free(pages);
	free(hdr);
	return 0;
}
