/*
 * lv.c - reassemble separated long values (include/ese_lv.h).
 *
 * LVROOT: key = LID big-endian (4 bytes; 8 for LID64), data = {u32
 * refcount, u32 size} (+1 flags byte in LVROOT2).  Chunks follow in key
 * order with key LID || offset (big-endian).  A chunk whose stored length
 * differs from the gap to the next offset (or to the end) is compressed
 * (ESE lv.cxx; the same rule dissect.esedb uses).
 */
#include "ese_lv.h"
#include "ese_compress.h"
#include "ese_cursor.h"
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

#define LV_SIZE_MAX (1u << 30)    /* refuse to assemble more than 1 GiB */

size_t ese_lv_chunk_size(const ese_table *t, uint32_t page_size)
{
	if (t && t->lv_chunk_max)
		return t->lv_chunk_max;
	switch (page_size) {
	case 16384: return 4050;      /* large pages: ESE db.cxx chunk table */
	case 32768: return 8150;
	default: return page_size - (42 + 40);   /* cbPage - (42 + header) */
	}
}

int ese_lv_read(ese_db *db, const ese_table *t, const uint8_t *lid, size_t lidlen, ese_sbuf *out,
                uint32_t *refcount, ese_status *st)
{
	uint8_t key[8];
	ese_cursor *c = NULL;
	uint8_t *tmp = NULL;
	int err;
	ese_sbuf_reset(out);
	if (!t->lv_pgno_fdp)
		return ese_fail(st, JET_errRecordNotFound, 0, "table %s has no long-value tree", t->name);
	if (lidlen == 4) {
		put_be32(key, get_le32(lid));
	} else if (lidlen == 8) {
		put_be32(key, get_le32(lid + 4));
		put_be32(key + 4, get_le32(lid));
	} else {
		return ese_fail(st, JET_errDatabaseCorrupted, 0, "long-value id of %zu bytes", lidlen);
	}
	if ((err = ese_cursor_open(db, t->lv_pgno_fdp, t->lv_objid, &c, st)))
		return err;
	err = ese_cursor_seek(c, key, lidlen, st);
	size_t klen, dlen;
	const uint8_t *k, *d;
	if (err == JET_errRecordNotFound)
		goto not_found;
	if (err)
		goto out;
	k = ese_cursor_key(c, &klen);
	d = ese_cursor_data(c, &dlen);
	if (klen != lidlen || memcmp(k, key, lidlen))
		goto not_found;
	if (dlen < 8) {
		err = ese_fail(st, JET_errDatabaseCorrupted, ese_cursor_pgno(c), "long value root of %zu bytes", dlen);
		goto out;
	}
	if (refcount)
		*refcount = get_le32(d);
	uint32_t size = get_le32(d + 4);
	if (size > LV_SIZE_MAX) {
		err = ese_fail(st, JET_errDatabaseCorrupted, ese_cursor_pgno(c), "long value claims %u bytes", size);
		goto out;
	}
	uint32_t expect_off = 0;
	size_t chunk = ese_lv_chunk_size(t, ese_db_page_size(db));
	/* chunks: the entry after the root, while the key starts with the LID */
	for (;;) {
		err = ese_cursor_next(c, st);
		if (err == JET_errRecordNotFound) {
			err = 0;
			break;
		}
		if (err)
			goto out;
		k = ese_cursor_key(c, &klen);
		d = ese_cursor_data(c, &dlen);
		if (klen != lidlen + 4 || memcmp(k, key, lidlen))
			break;
		uint32_t off = get_be32(k + lidlen);
		if (off != expect_off || off >= size) {
			err = ese_fail(st, JET_errDatabaseCorrupted, ese_cursor_pgno(c),
			               "long value chunk at offset %u, expected %u (size %u)", off, expect_off, size);
			goto out;
		}
		/* a raw chunk is exactly min(chunk size, what remains); any other
		 * length means the chunk is stored compressed */
		size_t remain = size - off, want = remain < chunk ? remain : chunk;
		if (dlen != want && dlen > 0 && ese_compress_scheme(d, dlen) != ESE_COMPRESS_NONE) {
			if (!tmp && !(tmp = malloc(chunk))) {
				err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
				goto out;
			}
			size_t got = 0;
			if ((err = ese_decompress(d, dlen, tmp, want, &got))) {
				ese_fail(st, err, ese_cursor_pgno(c), "long value chunk at offset %u cannot be decompressed", off);
				goto out;
			}
			ese_sbuf_put(out, tmp, got);
			expect_off = off + (uint32_t)got;
			continue;
		}
		if (dlen > remain) {
			err = ese_fail(st, JET_errDatabaseCorrupted, ese_cursor_pgno(c),
			               "long value chunk at offset %u runs past its size %u", off, size);
			goto out;
		}
		ese_sbuf_put(out, d, dlen);
		expect_off = off + (uint32_t)dlen;
	}
	if (out->oom) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	if (out->len != size)
		err = ese_fail(st, JET_errDatabaseCorrupted, 0, "long value has %zu of its %u bytes", out->len, size);
	goto out;
not_found:
	err = ese_fail(st, JET_errRecordNotFound, 0, "long value 0x%02x%02x%02x%02x not found in table %s", key[0],
	               key[1], key[2], key[3], t->name);
out:
	free(tmp);
	ese_cursor_close(c);
	return err;
}
