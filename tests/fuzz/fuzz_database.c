/*
 * fuzz_database - libFuzzer target for whole (small) database files: the
 * input is the file.  It is opened the way every eseutil mode opens it,
 * then checksummed (/k), dumped (/mh, /mm), its catalog loaded and every
 * table exported to /dev/null, long values included, and the whole
 * structural check (/g) and space statistics (/ms) run over it.  Page checksums are
 * not verified on read (ESE_OPEN_NO_VERIFY) so that mutations reach the
 * structure decoders instead of stopping at the checksum.
 */
#include "ese_catalog.h"
#include "ese_checkscan.h"
#include "ese_db.h"
#include "ese_dump.h"
#include "ese_export.h"
#include "ese_integrity.h"
#include "ese_space.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

static FILE *devnull;

static void run(const char *path, unsigned flags)
{
	ese_db *db;
	ese_status st = { 0 };
	if (ese_db_open(path, flags, &db, &st))
		return;
	ese_sbuf sb;
	ese_sbuf_init(&sb);
	ese_dump_header(&sb, db, 1);
	ese_dump_header_warnings(&sb, db);
	ese_dump_header_json(&sb, db);
	ese_checkscan r;
	if (ese_checkscan_run(db, 1, &r, &st) == 0)
		ese_checkscan_free(&r);
	ese_catalog *cat;
	if (ese_catalog_load(db, 4, &cat, &st) == 0) {
		ese_dump_metadata(&sb, cat);
		ese_dump_metadata_json(&sb, cat);
		for (size_t i = 0; i < cat->ntables; i++)
			ese_export_table(db, &cat->tables[i], devnull, &st);
		uint32_t n = ese_db_page_count(db);
		uint8_t *bm = calloc(n / 8 + 1, 1);
		size_t unread;
		if (bm)
			ese_space_avail_bitmap(db, cat, bm, n, &unread, &st);
		free(bm);
		ese_catalog_free(cat);
	}
	ese_reporter rep;
	ese_reporter_init(&rep, NULL, NULL, 0);
	ese_integrity res;
	if (ese_integrity_check(db, &rep, &res, &st) == 0) {
		for (size_t i = 0; i < res.ntrees; i++)
			ese_tree_estimate_pages(&res.trees[i], ese_db_page_size(db), 90);
		ese_integrity_free(&res);
	}
	/* again with every tree walked in runs on two threads (the parallel
	 * walk and its fallback), which small inputs never reach by default */
	ese_integrity_opts par = { .threads = 2, .parallel_min_pages = 1 };
	ese_reporter_init(&rep, NULL, NULL, 0);
	if (ese_integrity_check_opts(db, &par, &rep, &res, &st) == 0)
		ese_integrity_free(&res);
	ese_sbuf_free(&sb);
	ese_db_close(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!devnull)
		devnull = fopen("/dev/null", "w");
	int fd = memfd_create("fuzzdb", 0);
	if (fd < 0)
		return 0;
	if (write(fd, data, size) == (ssize_t)size) {
		char path[64];
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		run(path, ESE_OPEN_RDONLY | ESE_OPEN_NO_VERIFY | ESE_OPEN_ANY_HEADER);
		run(path, ESE_OPEN_RDONLY);
	}
	close(fd);
	return 0;
}
