/*
 * fuzz_repair - libFuzzer target for the in-place writer (the deleter
 * session that isinteg's repairs and eseutil's tools use) on damaged
 * input.  The input is a database file.  Before it is written out, every
 * page's checksum is recomputed, so that a mutation reaches the structure
 * (a database a careless tool damaged and checksummed again) instead of
 * stopping at the read check.  On that file the session then, for every
 * table (up to 8) and secondary index (up to 4 each): removes the index's
 * first entry, puts it back, and inserts 48 more entries derived from it
 * (longer keys, so leaves split, space is taken from the index, its
 * table, the database root and the growing file, single-extent trees are
 * converted); sets the first variable column of the table's first record
 * to a long value (its leaf may split) and deletes that record with what
 * hangs off it.  Every call may fail; none may crash, hang or leak.
 */
#include "ese_catalog.h"
#include "ese_checksum.h"
#include "ese_cursor.h"
#include "ese_db.h"
#include "ese_dbheader.h"
#include "ese_delete.h"
#include "ese_update.h"
#include "bytes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

/* The first entry of the tree at root (objid): key and data copied out. */
static int first_entry(ese_deleter *d, uint32_t root, uint32_t objid, uint8_t *k, size_t *kl, uint8_t *v, size_t *vl)
{
	ese_cursor *c;
	ese_status st = { 0 };
	if (ese_cursor_open(ese_delete_db(d), root, objid, &c, &st))
		return -1;
	int err = ese_cursor_first(c, &st);
	if (!err) {
		size_t a, b;
		const uint8_t *pk = ese_cursor_key(c, &a), *pd = ese_cursor_data(c, &b);
		if (a > 255 || b > 255) {
			err = -1;
		} else {
			memcpy(k, pk, *kl = a);
			memcpy(v, pd, *vl = b);
		}
	}
	ese_cursor_close(c);
	return err;
}

static void run(const char *path)
{
	ese_deleter *d;
	ese_status st = { 0 };
	if (ese_delete_open(path, ESE_DELETE_LENIENT, &d, &st))
		return;
	const ese_catalog *cat = ese_delete_catalog(d);
	for (size_t t = 0; t < cat->ntables && t < 8; t++) {
		const ese_table *tb = &cat->tables[t];
		unsigned nix = 0;
		for (size_t i = 0; i < tb->nindexes && nix < 4; i++) {
			const ese_index *ix = &tb->indexes[i];
			if (!ix->name || ix->objid == tb->objid || ix->pgno_fdp == tb->pgno_fdp)
				continue;
			nix++;
			uint8_t k[256 + 64], v[256];
			size_t kl, vl;
			if (first_entry(d, ix->pgno_fdp, ix->objid, k, &kl, v, &vl))
				continue;
			ese_delete_index_entry(d, tb->name, ix->name, k, kl, v, vl, &st);
			ese_delete_insert_entry(d, tb->name, ix->name, k, kl, v, vl, &st);
			for (unsigned j = 0; j < 48; j++) {
				memset(k + kl, 0x40 + (int)(j % 32), 1 + j);
				ese_delete_insert_entry(d, tb->name, ix->name, k, kl + 1 + j, v, vl, &st);
			}
		}
		uint8_t k[256], v[256];
		size_t kl, vl;
		if (first_entry(d, tb->pgno_fdp, tb->objid, k, &kl, v, &vl))
			continue;
		/* its first variable column made long (its leaf may split), then
		 * the record deleted */
		for (size_t c = 0; c < tb->ncolumns; c++) {
			const ese_column *col = &tb->columns[c];
			if (col->id < 128 || col->id > 255 || !col->name)
				continue;
			static uint8_t big[1024];
			memset(big, 'v', sizeof(big));
			size_t len = col->size && col->size < sizeof(big) ? col->size : sizeof(big);
			ese_update_column(d, tb->name, k, kl, col->name, big, len, &st);
			break;
		}
		ese_delete_record(d, tb->name, k, kl, &st);
	}
	ese_delete_close(d, &st);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 2 * 2048 || size > (1u << 20))
		return 0;
	uint8_t *buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	ese_dbheader h;
	uint32_t ps = 0;
	if (ese_dbheader_decode(&h, buf, size) == 0)
		ps = ese_dbheader_page_size(&h);
	if (ps == 2048 || ps == 4096 || ps == 8192 || ps == 16384 || ps == 32768) {
		/* the pages' checksums made right again, header copies included */
		for (size_t off = 0; off + ps <= size; off += ps) {
			if (off < 2 * (size_t)ps)
				ese_checksum_set_header(buf + off, ps);
			else
				ese_checksum_set_page(buf + off, ps, (uint32_t)(off / ps - 1));
		}
	}
	int fd = memfd_create("fuzzrepair", 0);
	if (fd >= 0) {
		if (write(fd, buf, size) == (ssize_t)size) {
			char path[64];
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			run(path);
		}
		close(fd);
	}
	free(buf);
	return 0;
}
