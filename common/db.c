/*
 * db.c - open a database file, choose a header copy, read pages.
 *
 * Open order: stat (missing, directory, not a regular file), read the first
 * bytes, find a header copy whose magic and checksum hold (the primary at
 * offset 0, else the shadow at offset page size for each legal page size),
 * check that the file can hold the page size the header declares, and take
 * a shared (or, for writers, exclusive) advisory lock so that a writer of
 * this toolkit never works under a reader's feet.  Nothing here ever
 * writes to the file.
 */
#include "ese_db.h"
#include "ese_page.h"
#include "bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CACHE_SLOTS 256u

struct cache_slot {
	uint32_t pgno;          /* 0 = empty */
	uint8_t *buf;
};

/* PTEs of the map are dropped after every VIEW_DROP_BYTES of pages viewed
 * (db->drop_views views), so that the resident size stays small whatever
 * the file size and the access order (the pages stay in the page cache;
 * the addresses stay valid and fault back in on use).  A fault maps up to
 * 64 KiB around the page it needs: a walk in file order keeps about 8 MiB
 * mapped, one that jumps between trees (isinteg's merges) up to 64 KiB a
 * view, 128 MiB at 4 KiB pages - measured: /g 17 MiB, /d 36 MiB, isinteg
 * 64 MiB on 2 GiB files, the same on 4 GiB.  Each drop costs a TLB
 * shootdown on every core the process runs on: at 2 MiB a drop, /g spent
 * about a third of its time on them. */
#define VIEW_DROP_BYTES (8u << 20)

/* What one thread viewed of one map since its last drop: a few maps per
 * thread (/d and isinteg read two files at once); a map pushed out
 * loses its range, which the sweep of the whole file every 16th drop
 * picks up again. */
struct view_track {
	const ese_db *db;
	uint64_t gen;
	uint64_t viewed, lo, hi;      /* pages viewed; offsets viewed: [lo, hi) */
};
#define VIEW_TRACKS 4
static _Thread_local struct view_track view_tls[VIEW_TRACKS];
static _Thread_local unsigned view_next;
static uint64_t map_generation;

struct ese_db {
	int fd;
	unsigned flags;
	char *path;
	uint64_t file_size;
	uint32_t page_size;
	uint32_t page_count;
	ese_dbheader hdr;
	ese_header_state hstate;
	uint64_t corrected;
	uint8_t *verified;            /* read-only handles: one bit per page whose checksum held */
	const uint8_t *map;           /* read-only handles: the file mapped, for ese_db_view_page */
	uint32_t drop_views;          /* views between two drops (see VIEW_DROP_BYTES) */
	uint64_t map_gen;             /* tells this map from an earlier one at the same address */
	struct cache_slot cache[CACHE_SLOTS];
};

static int pread_full(int fd, void *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pread(fd, (char *)buf + done, n - done, (off_t)(off + done));
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			break;
		done += (size_t)r;
	}
	return (int)(done == n ? 0 : 1);
}

static int open_errno(ese_status *st, const char *path, int e)
{
	switch (e) {
	case ENOENT:
	case ENOTDIR:
		return ese_fail(st, JET_errFileNotFound, 0, "%s: no such file", path);
	case EACCES:
	case EPERM:
		return ese_fail(st, JET_errFileAccessDenied, 0, "%s: permission denied", path);
	case EISDIR:
		return ese_fail(st, JET_errInvalidPath, 0, "%s: is a directory, not a database file", path);
	default:
		return ese_fail(st, JET_errDiskIO, 0, "%s: cannot open: %s", path, strerror(e));
	}
}

/* Magic and checksum of a header copy at buf (ps bytes). */
static int header_valid(const uint8_t *buf, uint32_t ps)
{
	return get_le32(buf + 4) == ESE_DB_MAGIC && get_le32(buf) == ese_checksum_header(buf, ps);
}

static uint32_t declared_page_size(const uint8_t *buf)
{
	ese_dbheader h;
	ese_dbheader_decode(&h, buf, ESE_DBHDR_SIZE);
	return ese_dbheader_page_size(&h);
}

int ese_db_open(const char *path, unsigned flags, ese_db **out, ese_status *st)
{
	static const uint32_t sizes[] = { 4096, 8192, 16384, 32768, 2048 };
	uint8_t *prim = NULL, *shad = NULL;
	struct stat sb;
	int err = 0;
	*out = NULL;
	if (stat(path, &sb) != 0)
		return open_errno(st, path, errno);
	if (S_ISDIR(sb.st_mode))
		return open_errno(st, path, EISDIR);
	if (!S_ISREG(sb.st_mode) && !S_ISBLK(sb.st_mode))
		return ese_fail(st, JET_errFileInvalidType, 0, "%s: not a regular file", path);

	ese_db *db = calloc(1, sizeof(*db));
	if (!db || !(db->path = strdup(path))) {
		free(db);
		return ese_fail(st, JET_errOutOfMemory, 0, "%s: out of memory", path);
	}
	db->flags = flags;
	db->fd = open(path, ((flags & ESE_OPEN_RDWR) ? O_RDWR : O_RDONLY) | O_CLOEXEC);
	if (db->fd < 0) {
		err = open_errno(st, path, errno);
		goto fail;
	}
	if (flock(db->fd, ((flags & (ESE_OPEN_RDWR | ESE_OPEN_EXCLUSIVE)) ? LOCK_EX : LOCK_SH) | LOCK_NB) != 0) {
		err = ese_fail(st, JET_errFileAccessDenied, 0,
		               "%s: database is in use by another process (locked)", path);
		goto fail;
	}
	if (fstat(db->fd, &sb) != 0) {
		err = ese_fail(st, JET_errDiskIO, 0, "%s: cannot stat: %s", path, strerror(errno));
		goto fail;
	}
	db->file_size = (uint64_t)sb.st_size;
	if (db->file_size == 0) {
		err = ese_fail(st, JET_errInvalidDatabase, 0, "%s: empty file, not a database", path);
		goto fail;
	}
	if (db->file_size < ESE_DBHDR_SIZE) {
		err = ese_fail(st, JET_errInvalidDatabase, 0,
		               "%s: file of %llu bytes is too short to be a database", path,
		               (unsigned long long)db->file_size);
		goto fail;
	}
	prim = calloc(1, 32768);
	shad = calloc(1, 32768);
	if (!prim || !shad) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "%s: out of memory", path);
		goto fail;
	}
	size_t first = db->file_size < 32768 ? (size_t)db->file_size : 32768;
	if (pread_full(db->fd, prim, first, 0) < 0) {
		err = ese_fail(st, JET_errDiskIO, 0, "%s: read error: %s", path, strerror(errno));
		goto fail;
	}

	/* Choose the page size: the primary's declaration if its magic and
	 * checksum hold, else the first legal size at which a valid shadow copy
	 * sits, else (to report on it) the primary's declaration if its magic
	 * holds.  FIX: the declaration of a primary whose checksum failed was
	 * trusted, so a damaged page-size field in the primary made the shadow
	 * be looked for at the wrong offset and the file could not be opened. */
	uint32_t ps = 0, declared = 0;
	if (get_le32(prim + 4) == ESE_DB_MAGIC)
		declared = declared_page_size(prim);
	if (declared && header_valid(prim, declared))
		ps = declared;
	if (ps == 0) {
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			uint32_t s = sizes[i];
			if (db->file_size < 2ull * s)
				continue;
			if (pread_full(db->fd, shad, s, s) != 0)
				continue;
			if (header_valid(shad, s) && declared_page_size(shad) == s) {
				ps = s;
				break;
			}
		}
	}
	if (ps == 0)
		ps = declared;
	if (ps == 0) {
		if (get_le32(prim + 4) == ESE_DB_MAGIC) {
			err = ese_fail(st, JET_errDatabaseCorrupted, 0,
			               "%s: header declares an invalid page size (%u bytes)", path, get_le32(prim + 236));
		} else if (get_le32(prim) == 0 && get_le32(prim + 4) == 0) {
			err = ese_fail(st, JET_errInvalidDatabase, 0,
			               "%s: no database header (first page is zero and no shadow header was found)", path);
		} else {
			err = ese_fail(st, JET_errInvalidDatabase, 0,
			               "%s: not an ESE database (bad magic 0x%08x)", path, get_le32(prim + 4));
		}
		goto fail;
	}
	if (db->file_size < 2ull * ps) {
		err = ese_fail(st, JET_errPageSizeMismatch, 0,
		               "%s: header declares %u-byte pages but the file holds only %llu bytes", path, ps,
		               (unsigned long long)db->file_size);
		goto fail;
	}
	if (pread_full(db->fd, prim, ps, 0) != 0 || pread_full(db->fd, shad, ps, ps) != 0) {
		err = ese_fail(st, JET_errDiskIO, 0, "%s: cannot read the header pages", path);
		goto fail;
	}
	db->page_size = ps;
	db->page_count = (uint32_t)(db->file_size / ps - 2 > 0xFFFFFFFEull ? 0xFFFFFFFEull : db->file_size / ps - 2);

	ese_header_state *hs = &db->hstate;
	hs->primary_checksum_stored = get_le32(prim);
	hs->primary_checksum_actual = ese_checksum_header(prim, ps);
	hs->shadow_checksum_stored = get_le32(shad);
	hs->shadow_checksum_actual = ese_checksum_header(shad, ps);
	ese_status pst, sst;
	ese_status_clear(&pst);
	ese_status_clear(&sst);
	hs->primary_ok = ese_dbheader_check(prim, ps, &pst) == 0;
	hs->shadow_ok = ese_dbheader_check(shad, ps, &sst) == 0 && declared_page_size(shad) == ps;
	hs->identical = memcmp(prim, shad, ps) == 0;
	const uint8_t *use = prim;
	if (!hs->primary_ok) {
		if (hs->shadow_ok) {
			use = shad;
			hs->using_shadow = 1;
		} else if (!(flags & ESE_OPEN_ANY_HEADER) || get_le32(prim + 4) != ESE_DB_MAGIC) {
			err = ese_fail(st, pst.err ? pst.err : JET_errDatabaseCorrupted, 0,
			               "%s: no valid database header: primary: %s; shadow: %s", path, pst.msg,
			               sst.msg[0] ? sst.msg : "invalid");
			goto fail;
		}
	}
	ese_dbheader_decode(&db->hdr, use, ps);
	if (db->hdr.file_type == 2) {
		err = ese_fail(st, JET_errFileInvalidType, 0,
		               "%s: this is a streaming (.stm) file, not a database", path);
		goto fail;
	}
	if (db->hdr.file_type > 1 && !(flags & ESE_OPEN_ANY_HEADER)) {
		err = ese_fail(st, JET_errFileInvalidType, 0, "%s: file type %u is not a database", path,
		               db->hdr.file_type);
		goto fail;
	}
	/* read-only handles remember which pages verified (one bit per page);
	 * without the memory they simply verify every read */
	if (!(flags & ESE_OPEN_RDWR))
		db->verified = calloc((size_t)db->page_count / 8 + 1, 1);
	/* and map the file for zero-copy reads (ese_db_view_page): the lock
	 * keeps our own writers away; a file truncated under us by another
	 * program raises SIGBUS, which the front ends report as an I/O error */
	if (!(flags & ESE_OPEN_RDWR) && S_ISREG(sb.st_mode) && db->file_size <= SIZE_MAX) {
		void *m = mmap(NULL, (size_t)db->file_size, PROT_READ, MAP_SHARED, db->fd, 0);
		if (m != MAP_FAILED) {
			db->map = m;
			db->map_gen = __atomic_add_fetch(&map_generation, 1, __ATOMIC_RELAXED);
			db->drop_views = VIEW_DROP_BYTES / db->page_size;
		}
	}
	free(prim);
	free(shad);
	*out = db;
	return 0;
fail:
	free(prim);
	free(shad);
	ese_db_close(db);
	return err;
}

void ese_db_close(ese_db *db)
{
	if (!db)
		return;
	if (db->map)
		munmap((void *)db->map, (size_t)db->file_size);
	if (db->fd >= 0)
		close(db->fd);
	for (unsigned i = 0; i < CACHE_SLOTS; i++)
		free(db->cache[i].buf);
	free(db->verified);
	free(db->path);
	free(db);
}

const char *ese_db_path(const ese_db *db) { return db->path; }
const ese_dbheader *ese_db_header(const ese_db *db) { return &db->hdr; }
const ese_header_state *ese_db_header_state(const ese_db *db) { return &db->hstate; }
uint32_t ese_db_page_size(const ese_db *db) { return db->page_size; }
uint32_t ese_db_page_count(const ese_db *db) { return db->page_count; }

void ese_db_grown(ese_db *db, uint64_t size)
{
	if (db->map || db->verified || size <= db->file_size)
		return;               /* read-only handles keep the size they mapped */
	db->file_size = size;
	uint64_t n = size / db->page_size - 2;
	db->page_count = (uint32_t)(n > 0xFFFFFFFEull ? 0xFFFFFFFEull : n);
}
uint64_t ese_db_file_size(const ese_db *db) { return db->file_size; }
int ese_db_fd(const ese_db *db) { return db->fd; }
uint64_t ese_db_corrected_pages(const ese_db *db) { return __atomic_load_n(&db->corrected, __ATOMIC_RELAXED); }

/* Verifies page pgno at p.  A correctable page is copied to fix (when p is
 * not already it) and corrected there; *out gets the page to use. */
static int verify(ese_db *db, uint32_t pgno, const uint8_t *p, uint8_t *fix, const uint8_t **out, ese_status *st);

int ese_db_read_page(ese_db *db, uint32_t pgno, uint8_t *buf, ese_status *st)
{
	if (pgno == 0 || pgno > db->page_count)
		return ese_fail(st, JET_errFileIOBeyondEOF, pgno, "page %u is beyond the end of the file (%u pages)",
		                pgno, db->page_count);
	uint64_t off = ((uint64_t)pgno + 1) * db->page_size;
	int r = pread_full(db->fd, buf, db->page_size, off);
	if (r < 0)
		return ese_fail(st, JET_errDiskIO, pgno, "page %u: read error: %s", pgno, strerror(errno));
	if (r > 0)
		return ese_fail(st, JET_errFileIOBeyondEOF, pgno, "page %u: short read", pgno);
	const uint8_t *out;
	return verify(db, pgno, buf, buf, &out, st);
}

int ese_db_view_page(ese_db *db, uint32_t pgno, uint8_t *scratch, const uint8_t **page, ese_status *st)
{
	if (!db->map) {
		int err = ese_db_read_page(db, pgno, scratch, st);
		*page = scratch;
		return err;
	}
	if (pgno == 0 || pgno > db->page_count)
		return ese_fail(st, JET_errFileIOBeyondEOF, pgno, "page %u is beyond the end of the file (%u pages)",
		                pgno, db->page_count);
	uint64_t off = ((uint64_t)pgno + 1) * db->page_size;
	/* each thread keeps the range it viewed since its last drop: shared
	 * counters would bounce one cache line between the walkers' cores on
	 * every page */
	struct view_track *vt = NULL;
	for (unsigned k = 0; k < VIEW_TRACKS && !vt; k++)
		if (view_tls[k].db == db && view_tls[k].gen == db->map_gen)
			vt = &view_tls[k];
	if (!vt) {
		vt = &view_tls[view_next++ % VIEW_TRACKS];
		vt->db = db;
		vt->gen = db->map_gen;
		vt->viewed = 0;
		vt->lo = UINT64_MAX;
		vt->hi = 0;
	}
	if (off < vt->lo)
		vt->lo = off;
	if (off + db->page_size > vt->hi)
		vt->hi = off + db->page_size;
	if (++vt->viewed % db->drop_views == 0) {
		/* faults map up to 64 KiB around a page: widen by that, page-aligned;
		 * every 16th time the whole file */
		uint64_t a = vt->lo > 65536 ? (vt->lo - 65536) & ~(uint64_t)4095 : 0;
		uint64_t b = vt->hi + 65536 < db->file_size ? vt->hi + 65536 : db->file_size;
		if (vt->viewed % (16ull * db->drop_views) == 0) {
			a = 0;
			b = db->file_size;
		}
		vt->lo = UINT64_MAX;
		vt->hi = 0;
		if (a < b)
			madvise((void *)(db->map + a), (size_t)(b - a), MADV_DONTNEED);
	}
	const uint8_t *p = db->map + off;
	*page = p;
	return verify(db, pgno, p, scratch, page, st);
}

static int verify(ese_db *db, uint32_t pgno, const uint8_t *p, uint8_t *fix, const uint8_t **out, ese_status *st)
{
	*out = p;
	if (db->flags & ESE_OPEN_NO_VERIFY)
		return 0;
	/* A read-only handle verifies a page once: the file does not change
	 * under it (it holds a lock).  Only pages whose checksum held are
	 * remembered, so a corrected page is corrected on every read. */
	int ro = !(db->flags & ESE_OPEN_RDWR);
	/* several threads may read pages of one handle at once (the parallel
	 * /g walk): the bitmap and the counter are updated atomically */
	uint8_t bit = (uint8_t)(1u << (pgno & 7));
	if (ro && db->verified && (__atomic_load_n(&db->verified[pgno >> 3], __ATOMIC_RELAXED) & bit))
		return 0;
	ese_pagecheck_info info;
	switch (ese_checksum_verify_page(p, db->page_size, pgno, &info)) {
	case ESE_PAGE_OK:
		if (ro && db->verified)
			__atomic_fetch_or(&db->verified[pgno >> 3], bit, __ATOMIC_RELAXED);
		return 0;
	case ESE_PAGE_UNINIT:
		return ese_fail(st, JET_errPageNotInitialized, pgno, "page %u is not initialized (all zero)", pgno);
	case ESE_PAGE_CORRECTABLE:
		if (fix != p)
			memcpy(fix, p, db->page_size);
		ese_checksum_correct(fix, &info);
		*out = fix;
		__atomic_fetch_add(&db->corrected, 1, __ATOMIC_RELAXED);
		return 0;
	case ESE_PAGE_WRONG_PGNO:
		return ese_fail(st, JET_errReadPgnoVerifyFailure, pgno,
		                "page %u holds page %u (written at the wrong offset)", pgno, info.stored_pgno);
	case ESE_PAGE_BAD:
	default:
		return ese_fail(st, JET_errReadVerifyFailure, pgno,
		                "page %u: checksum mismatch (stored 0x%016llx, computed 0x%016llx)", pgno,
		                (unsigned long long)info.expected, (unsigned long long)info.actual);
	}
}

int ese_db_get_page(ese_db *db, uint32_t pgno, const uint8_t **page, ese_status *st)
{
	struct cache_slot *s = &db->cache[pgno % CACHE_SLOTS];
	if (s->pgno == pgno && s->buf) {
		*page = s->buf;
		return 0;
	}
	if (!s->buf && !(s->buf = malloc(db->page_size)))
		return ese_fail(st, JET_errOutOfMemory, pgno, "out of memory");
	s->pgno = 0;
	int err = ese_db_read_page(db, pgno, s->buf, st);
	if (err)
		return err;
	s->pgno = pgno;
	*page = s->buf;
	return 0;
}
