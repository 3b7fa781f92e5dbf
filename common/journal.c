/*
 * journal.c - the rollback journal of a repair pass (include/ese_journal.h).
 *
 * Invariants (the order of durable events is what makes recovery exact):
 *  1. the journal's header is durable (file fsynced, directory fsynced)
 *     before any byte of the database changes;
 *  2. a page's before-image is durable in the journal before the page is
 *     written; a page is journaled once per pass, so its record holds the
 *     bytes the pass began with;
 *  3. records are only ever appended, one pwrite per batch then fsync, so
 *     only the last record(s) of an interrupted append can be torn, and no
 *     page they protect was written;
 *  4. the journal is removed only after the database is fsynced (commit)
 *     or restored and fsynced (recovery, rollback);
 *  5. a live pass keeps its journal flock'ed: recovery never rolls back a
 *     pass that is still running.
 * Records are checked by SHA-256 over the salt and the record, and by their
 * sequence number, so a record of another pass or a torn one never passes.
 */
#include "ese_journal.h"
#include "ese_checksum.h"
#include "ese_dbheader.h"
#include "bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define JMAGIC      "EseJrnl1"
#define JVERSION    1u
#define RMAGIC      0x3147504Au     /* "JPG1" read as little-endian u32 */
#define HASH_LEN    32u

/* header offsets */
#define H_MAGIC     0
#define H_VERSION   8
#define H_HDRSIZE   12
#define H_PAGESIZE  16
#define H_RECSIZE   20
#define H_DBSIZE    24
#define H_SIGN      32
#define H_DBTIME    64
#define H_SALT      72
#define H_CTIME     88
#define H_HASH      96
#define SIGN_LEN    28u
#define SALT_LEN    16u
_Static_assert(H_HASH + HASH_LEN == ESE_JOURNAL_HDR_SIZE, "journal header is 128 bytes");
_Static_assert(H_SIGN + SIGN_LEN <= H_DBTIME, "signature fits before dbtime");

/* record offsets */
#define R_MAGIC     0
#define R_SEQ       4
#define R_FPAGE     8
#define R_BATCH     12              /* sequence number of its batch's first record */
#define R_IMAGE     16
_Static_assert(R_IMAGE + HASH_LEN == ESE_JOURNAL_REC_OVERHEAD, "record overhead is 48 bytes");

struct ese_journal {
	char    *db_path, *path;
	int      dbfd, jfd;
	uint32_t ps;
	uint64_t fpages;          /* file pages (headers included) at begin */
	uint64_t db_size;
	uint8_t  salt[SALT_LEN];
	uint64_t seq;             /* records appended */
	uint64_t end;             /* journal size */
	uint8_t *bits;            /* bit per file page: journaled */
	uint8_t *rec;             /* one record's buffer */
	uint8_t *page;            /* one page's buffer */
	int      broken;          /* the journal could not be appended to */
};

/* ---- small helpers ------------------------------------------------------- */

static int sys_err(int e) { return e == ENOSPC || e == EDQUOT || e == EFBIG ? JET_errDiskFull : JET_errDiskIO; }

static int pwrite_all(int fd, const uint8_t *buf, size_t n, uint64_t off)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pwrite(fd, buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? errno : ENOSPC;
		done += (size_t)r;
	}
	return 0;
}

/* 0, a short read (returns -1 with *got set), or an errno. */
static int pread_all(int fd, uint8_t *buf, size_t n, uint64_t off, size_t *got)
{
	size_t done = 0;
	while (done < n) {
		ssize_t r = pread(fd, buf + done, n - done, (off_t)(off + done));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return errno;
		if (r == 0)
			break;
		done += (size_t)r;
	}
	if (got)
		*got = done;
	return done == n ? 0 : -1;
}

static void sha256(const uint8_t *salt, size_t slen, const uint8_t *p, size_t n, uint8_t out[HASH_LEN])
{
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	unsigned len = 0;
	if (c && EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1 && (!slen || EVP_DigestUpdate(c, salt, slen) == 1) &&
	    EVP_DigestUpdate(c, p, n) == 1 && EVP_DigestFinal_ex(c, out, &len) == 1 && len == HASH_LEN) {
		EVP_MD_CTX_free(c);
		return;
	}
	EVP_MD_CTX_free(c);
	memset(out, 0, HASH_LEN);  /* never matches a real record: fails closed */
}

static void fsync_dir_of(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
	free(copy);
}

char *ese_journal_path(const char *db_path)
{
	size_t n = strlen(db_path), s = strlen(ESE_JOURNAL_SUFFIX);
	char *p = malloc(n + s + 1);
	if (p) {
		memcpy(p, db_path, n);
		memcpy(p + n, ESE_JOURNAL_SUFFIX, s + 1);
	}
	return p;
}

int ese_journal_exists(const char *db_path)
{
	char *p = ese_journal_path(db_path);
	struct stat sb;
	int r = p && lstat(p, &sb) == 0;
	free(p);
	return r;
}

/* The database's signature from whichever header copy is valid (primary
 * first).  1 when one was found. */
static int db_signature(int fd, uint32_t ps, uint8_t sign[SIGN_LEN], uint64_t *dbtime, uint32_t *declared,
                        uint8_t *buf)
{
	for (int copy = 0; copy < 2; copy++) {
		if (pread_all(fd, buf, ps, (uint64_t)copy * ps, NULL) != 0)
			continue;
		if (get_le32(buf + 4) != ESE_DB_MAGIC || get_le32(buf) != ese_checksum_header(buf, ps))
			continue;
		ese_dbheader h;
		ese_dbheader_decode(&h, buf, ps);
		memcpy(sign, buf + 24, SIGN_LEN);
		if (dbtime)
			*dbtime = h.dbtime;
		if (declared)
			*declared = ese_dbheader_page_size(&h);
		return 1;
	}
	return 0;
}

static int open_err(ese_status *st, const char *path, int e)
{
	if (e == ENOENT || e == ENOTDIR)
		return ese_fail(st, JET_errFileNotFound, 0, "%s: no such file", path);
	if (e == EACCES || e == EPERM || e == EROFS)
		return ese_fail(st, JET_errFileAccessDenied, 0, "%s: cannot open for writing: %s", path, strerror(e));
	return ese_fail(st, sys_err(e), 0, "%s: cannot open: %s", path, strerror(e));
}

static void journal_free(ese_journal *j)
{
	if (!j)
		return;
	if (j->jfd >= 0)
		close(j->jfd);
	if (j->dbfd >= 0)
		close(j->dbfd);
	free(j->db_path);
	free(j->path);
	free(j->bits);
	free(j->rec);
	free(j->page);
	free(j);
}

/* ---- begin ---------------------------------------------------------------- */

int ese_journal_begin(const char *db_path, uint32_t page_size, ese_journal **out, ese_status *st)
{
	*out = NULL;
	if (page_size != 2048 && page_size != 4096 && page_size != 8192 && page_size != 16384 && page_size != 32768)
		return ese_fail(st, JET_errInvalidParameter, 0, "%s: page size %u is not an ESE page size", db_path,
		                page_size);
	ese_journal *j = calloc(1, sizeof(*j));
	if (!j)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	j->jfd = j->dbfd = -1;
	j->ps = page_size;
	int err = 0, created = 0;
	if (!(j->db_path = strdup(db_path)) || !(j->path = ese_journal_path(db_path)) ||
	    !(j->rec = malloc(page_size + ESE_JOURNAL_REC_OVERHEAD)) || !(j->page = malloc(page_size))) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto fail;
	}
	if ((j->dbfd = open(db_path, O_RDWR | O_CLOEXEC)) < 0) {
		err = open_err(st, db_path, errno);
		goto fail;
	}
	struct stat sb;
	if (fstat(j->dbfd, &sb) != 0) {
		err = ese_fail(st, JET_errDiskIO, 0, "%s: cannot stat: %s", db_path, strerror(errno));
		goto fail;
	}
	j->db_size = (uint64_t)sb.st_size;
	if (j->db_size < 2ull * page_size || j->db_size % page_size) {
		err = ese_fail(st, JET_errInvalidDatabase, 0, "%s: %llu bytes is not a whole number of %u-byte pages",
		               db_path, (unsigned long long)j->db_size, page_size);
		goto fail;
	}
	j->fpages = j->db_size / page_size;
	uint8_t hdr[ESE_JOURNAL_HDR_SIZE];
	memset(hdr, 0, sizeof(hdr));
	uint64_t dbtime = 0;
	uint32_t declared = 0;
	if (!db_signature(j->dbfd, page_size, hdr + H_SIGN, &dbtime, &declared, j->page)) {
		/* a valid primary of another page size says why */
		uint8_t *big = malloc(32768);
		uint32_t other = 0;
		if (big && pread_all(j->dbfd, big, ESE_DBHDR_SIZE, 0, NULL) == 0 && get_le32(big + 4) == ESE_DB_MAGIC) {
			ese_dbheader h;
			ese_dbheader_decode(&h, big, ESE_DBHDR_SIZE);
			other = ese_dbheader_page_size(&h);
			if (other && other != page_size && j->db_size >= other &&
			    pread_all(j->dbfd, big, other, 0, NULL) == 0 && get_le32(big) == ese_checksum_header(big, other))
				declared = other;
		}
		free(big);
		if (declared)
			err = ese_fail(st, JET_errPageSizeMismatch, 0, "%s: the header declares %u-byte pages, not %u", db_path,
			               declared, page_size);
		else
			err = ese_fail(st, JET_errInvalidDatabase, 0, "%s: no valid header copy at %u-byte pages", db_path,
			               page_size);
		goto fail;
	}
	if (declared != page_size) {
		err = ese_fail(st, JET_errPageSizeMismatch, 0, "%s: the header declares %u-byte pages, not %u", db_path,
		               declared, page_size);
		goto fail;
	}
	if (!(j->bits = calloc((size_t)((j->fpages + 7) / 8), 1))) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto fail;
	}
	if (getrandom(j->salt, SALT_LEN, 0) != (ssize_t)SALT_LEN) {
		/* no entropy source: still unique enough per pass (time, pid) */
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		put_le64(j->salt, (uint64_t)ts.tv_sec ^ ((uint64_t)ts.tv_nsec << 20));
		put_le64(j->salt + 8, (uint64_t)getpid() * 0x9E3779B97F4A7C15ull ^ (uint64_t)(uintptr_t)j);
	}
	memcpy(hdr + H_MAGIC, JMAGIC, 8);
	put_le32(hdr + H_VERSION, JVERSION);
	put_le32(hdr + H_HDRSIZE, ESE_JOURNAL_HDR_SIZE);
	put_le32(hdr + H_PAGESIZE, page_size);
	put_le32(hdr + H_RECSIZE, page_size + ESE_JOURNAL_REC_OVERHEAD);
	put_le64(hdr + H_DBSIZE, j->db_size);
	put_le64(hdr + H_DBTIME, dbtime);
	memcpy(hdr + H_SALT, j->salt, SALT_LEN);
	put_le64(hdr + H_CTIME, (uint64_t)time(NULL));
	sha256(NULL, 0, hdr, H_HASH, hdr + H_HASH);

	j->jfd = open(j->path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (j->jfd < 0) {
		int e = errno;
		if (e == EEXIST)
			err = ese_fail(st, JET_errDatabaseDirtyShutdown, 0,
			               "%s: a journal exists: a pass is running, or an interrupted one must be recovered first",
			               j->path);
		else
			err = open_err(st, j->path, e);
		goto fail;
	}
	created = 1;
	if (flock(j->jfd, LOCK_EX | LOCK_NB) != 0) {
		err = ese_fail(st, JET_errFileAccessDenied, 0, "%s: cannot lock the new journal: %s", j->path,
		               strerror(errno));
		goto fail;
	}
	int e = pwrite_all(j->jfd, hdr, sizeof(hdr), 0);
	if (!e && fsync(j->jfd) != 0)
		e = errno;
	if (e) {
		err = ese_fail(st, sys_err(e), 0, "%s: writing the journal header: %s", j->path, strerror(e));
		goto fail;
	}
	fsync_dir_of(j->path);
	j->end = ESE_JOURNAL_HDR_SIZE;
	*out = j;
	return 0;
fail:
	if (created)
		unlink(j->path);
	journal_free(j);
	return err;
}

/* ---- appending ------------------------------------------------------------ */

static int bit_get(const uint8_t *b, uint64_t i) { return (b[i >> 3] >> (i & 7)) & 1; }
static void bit_set(uint8_t *b, uint64_t i) { b[i >> 3] |= (uint8_t)(1u << (i & 7)); }

static size_t rec_size(const ese_journal *j) { return (size_t)j->ps + ESE_JOURNAL_REC_OVERHEAD; }

/* Fills buf with the record for file page fpage. */
static void make_record(const ese_journal *j, uint8_t *buf, uint64_t seq, uint64_t fpage, const uint8_t *image)
{
	put_le32(buf + R_MAGIC, RMAGIC);
	put_le32(buf + R_SEQ, (uint32_t)seq);
	put_le32(buf + R_FPAGE, (uint32_t)fpage);
	put_le32(buf + R_BATCH, (uint32_t)j->seq);   /* this batch starts at j->seq */
	memcpy(buf + R_IMAGE, image, j->ps);
	sha256(j->salt, SALT_LEN, buf, R_IMAGE + j->ps, buf + R_IMAGE + j->ps);
}

static int journal_broken(ese_journal *j, ese_status *st)
{
	return ese_fail(st, JET_errDiskIO, 0, "%s: an earlier append failed; the pass must be rolled back", j->path);
}

/* Appends the records of file pages fpages[0..n) (images[i] each; already
 * journaled ones skipped) as one batch, then fsyncs.  Invariants 2, 3. */
static int append(ese_journal *j, size_t n, const uint64_t *fpages, const uint8_t *const *images, ese_status *st)
{
	if (j->broken)
		return journal_broken(j, st);
	size_t rs = rec_size(j), todo = 0;
	for (size_t i = 0; i < n; i++)
		todo += !bit_get(j->bits, fpages[i]);
	if (!todo)
		return 0;
	uint8_t *buf = todo == 1 ? j->rec : malloc(todo * rs);
	if (!buf)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (bit_get(j->bits, fpages[i]))
			continue;
		int dup = 0;   /* the same page twice in one batch: its first image */
		for (size_t m = 0; m < i && !dup; m++)
			dup = fpages[m] == fpages[i];
		if (dup)
			continue;
		make_record(j, buf + k * rs, j->seq + k, fpages[i], images[i]);
		k++;
	}
	int e = pwrite_all(j->jfd, buf, k * rs, j->end);
	if (!e && fsync(j->jfd) != 0)
		e = errno;
	if (buf != j->rec)
		free(buf);
	if (e) {
		j->broken = 1;
		return ese_fail(st, sys_err(e), 0, "%s: appending to the journal: %s", j->path, strerror(e));
	}
	j->end += k * rs;
	j->seq += k;
	for (size_t i = 0; i < n; i++)
		bit_set(j->bits, fpages[i]);
	return 0;
}

static int check_pgno(ese_journal *j, uint32_t pgno, ese_status *st)
{
	if (pgno == 0 || (uint64_t)pgno + 1 >= j->fpages)
		return ese_fail(st, JET_errInvalidParameter, pgno, "%s: page %u is outside the file (%llu pages)",
		                j->db_path, pgno, (unsigned long long)(j->fpages - 2));
	return 0;
}

int ese_journal_protect(ese_journal *j, uint32_t pgno, const uint8_t *before, ese_status *st)
{
	int err = check_pgno(j, pgno, st);
	if (err)
		return err;
	uint64_t fp = (uint64_t)pgno + 1;
	return append(j, 1, &fp, &before, st);
}

/* Reads file page fpage of the database into buf. */
static int read_fpage(ese_journal *j, uint64_t fpage, uint8_t *buf, ese_status *st)
{
	size_t got = 0;
	int e = pread_all(j->dbfd, buf, j->ps, fpage * j->ps, &got);
	if (e == -1)
		return ese_fail(st, JET_errFileIOBeyondEOF, (uint32_t)(fpage > 0 ? fpage - 1 : 0),
		                "%s: file page %llu: short read", j->db_path, (unsigned long long)fpage);
	if (e)
		return ese_fail(st, JET_errDiskIO, (uint32_t)(fpage > 0 ? fpage - 1 : 0), "%s: reading: %s", j->db_path,
		                strerror(e));
	return 0;
}

int ese_journal_protect_header(ese_journal *j, ese_status *st)
{
	uint64_t fp[2] = { 0, 1 };
	if (bit_get(j->bits, 0) && bit_get(j->bits, 1))
		return 0;
	uint8_t *two = malloc(2 * (size_t)j->ps);
	if (!two)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	int err = read_fpage(j, 0, two, st);
	if (!err)
		err = read_fpage(j, 1, two + j->ps, st);
	const uint8_t *img[2] = { two, two + j->ps };
	if (!err)
		err = append(j, 2, fp, img, st);
	free(two);
	return err;
}

/* ---- writing through the journal ------------------------------------------ */

static int db_write(ese_journal *j, uint64_t fpage, const uint8_t *page, ese_status *st)
{
	int e = pwrite_all(j->dbfd, page, j->ps, fpage * j->ps);
	if (e)
		return ese_fail(st, sys_err(e), (uint32_t)(fpage > 0 ? fpage - 1 : 0), "%s: writing: %s", j->db_path,
		                strerror(e));
	return 0;
}

int ese_journal_write_pages(ese_journal *j, size_t n, const uint32_t *pgnos, uint8_t *const *pages, ese_status *st)
{
	if (j->broken)
		return journal_broken(j, st);
	int err = 0;
	for (size_t i = 0; i < n && !err; i++) {
		/* a page past the size the pass began with has no before-image:
		 * rolling back cuts the file back to that size */
		if (pgnos[i] == 0)
			err = ese_fail(st, JET_errInvalidParameter, 0, "%s: page 0 is not a database page", j->db_path);
		for (size_t m = 0; m < i && !err; m++)
			if (pgnos[m] == pgnos[i])
				err = ese_fail(st, JET_errInvalidParameter, pgnos[i], "page %u given twice", pgnos[i]);
	}
	if (err)
		return err;
	/* the before-images of the pages not journaled yet, read as they are */
	size_t todo = 0;
	for (size_t i = 0; i < n; i++)
		todo += (uint64_t)pgnos[i] + 1 < j->fpages && !bit_get(j->bits, (uint64_t)pgnos[i] + 1);
	uint64_t *fp = malloc((todo ? todo : 1) * sizeof(*fp));
	const uint8_t **img = malloc((todo ? todo : 1) * sizeof(*img));
	uint8_t *before = malloc((todo ? todo : 1) * (size_t)j->ps);
	if (!fp || !img || !before) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	size_t k = 0;
	for (size_t i = 0; i < n && !err; i++) {
		uint64_t f = (uint64_t)pgnos[i] + 1;
		if (f >= j->fpages || bit_get(j->bits, f))
			continue;
		fp[k] = f;
		img[k] = before + k * (size_t)j->ps;
		err = read_fpage(j, f, before + k * (size_t)j->ps, st);
		k++;
	}
	if (!err && k)
		err = append(j, k, fp, img, st);
	for (size_t i = 0; i < n && !err; i++) {
		ese_checksum_set_page(pages[i], j->ps, pgnos[i]);
		err = db_write(j, (uint64_t)pgnos[i] + 1, pages[i], st);
	}
out:
	free(fp);
	free(img);
	free(before);
	return err;
}

int ese_journal_write_page(ese_journal *j, uint32_t pgno, uint8_t *page, ese_status *st)
{
	return ese_journal_write_pages(j, 1, &pgno, &page, st);
}

int ese_journal_write_header(ese_journal *j, const uint8_t *page, ese_status *st)
{
	int err = ese_journal_protect_header(j, st);
	if (!err)
		err = db_write(j, 0, page, st);
	if (!err)
		err = db_write(j, 1, page, st);
	return err;
}

uint64_t ese_journal_pages(const ese_journal *j) { return j ? j->seq : 0; }

/* ---- ending a pass ---------------------------------------------------------- */

static int restore(const char *db_path, const char *jpath, int jfd, int dbfd, const uint8_t *salt_expected,
                   ese_journal_recovery *res, ese_status *st);
static int rollback_own(ese_journal *j, ese_journal_recovery *res, ese_status *st);

int ese_journal_commit(ese_journal *j, ese_status *st)
{
	if (!j)
		return 0;
	int err = 0;
	if (j->broken) {
		/* an append failed: the pass stopped somewhere in the middle and
		 * only undoing it leaves a consistent file */
		ese_journal_recovery res;
		memset(&res, 0, sizeof(res));
		err = rollback_own(j, &res, st);
		if (!err)
			err = ese_fail(st, JET_errDiskIO, 0,
			               "%s: the journal could not be appended to during the pass; the pass was rolled back "
			               "(%llu pages)",
			               j->db_path, (unsigned long long)res.pages_restored);
		journal_free(j);
		return err;
	}
	if (fsync(j->dbfd) != 0) {
		/* invariant 4: the journal stays, recovery will undo the pass */
		err = ese_fail(st, JET_errDiskIO, 0, "%s: fsync: %s; the journal %s is kept", j->db_path, strerror(errno),
		               j->path);
	} else if (unlink(j->path) != 0) {
		err = ese_fail(st, JET_errDiskIO, 0, "%s: cannot remove the journal: %s", j->path, strerror(errno));
	} else {
		fsync_dir_of(j->path);
	}
	journal_free(j);
	return err;
}

void ese_journal_abandon(ese_journal *j) { journal_free(j); }

/* ---- recovery ------------------------------------------------------------------ */

/* Reads slot i of journal jfd into rec and checks it: 0 valid, 1 not a
 * valid record (torn, foreign, damaged), <0 a read error. */
static int read_record(int jfd, const char *jpath, const uint8_t *salt, uint32_t ps, uint64_t fpages, uint64_t i,
                       uint8_t *rec, ese_status *st)
{
	size_t rs = (size_t)ps + ESE_JOURNAL_REC_OVERHEAD;
	uint8_t hash[HASH_LEN];
	int e = pread_all(jfd, rec, rs, ESE_JOURNAL_HDR_SIZE + i * rs, NULL);
	if (e > 0)
		return ese_fail(st, JET_errDiskIO, 0, "%s: reading: %s", jpath, strerror(e));
	if (e || get_le32(rec + R_MAGIC) != RMAGIC || get_le32(rec + R_SEQ) != (uint32_t)i ||
	    get_le32(rec + R_FPAGE) >= fpages || get_le32(rec + R_BATCH) > (uint32_t)i)
		return 1;
	sha256(salt, SALT_LEN, rec, R_IMAGE + ps, hash);
	return memcmp(hash, rec + R_IMAGE + ps, HASH_LEN) != 0;
}

/* Rolls back with journal jfd (locked by the caller) into database dbfd.
 * salt_expected: the pass's own salt (rollback), or NULL (recovery).  The
 * journal is removed only when every page was restored and synced. */
static int restore(const char *db_path, const char *jpath, int jfd, int dbfd, const uint8_t *salt_expected,
                   ese_journal_recovery *res, ese_status *st)
{
	struct stat sb;
	if (fstat(jfd, &sb) != 0)
		return ese_fail(st, JET_errDiskIO, 0, "%s: cannot stat: %s", jpath, strerror(errno));
	uint64_t jsize = (uint64_t)sb.st_size;
	uint8_t hdr[ESE_JOURNAL_HDR_SIZE], hash[HASH_LEN];
	size_t got = 0;
	int e = pread_all(jfd, hdr, sizeof(hdr), 0, &got);
	if (e > 0)
		return ese_fail(st, JET_errDiskIO, 0, "%s: reading: %s", jpath, strerror(e));
	int hdr_ok = e == 0 && !memcmp(hdr + H_MAGIC, JMAGIC, 8);
	if (hdr_ok) {
		sha256(NULL, 0, hdr, H_HASH, hash);
		hdr_ok = !memcmp(hash, hdr + H_HASH, HASH_LEN) && get_le32(hdr + H_VERSION) == JVERSION &&
		         get_le32(hdr + H_HDRSIZE) == ESE_JOURNAL_HDR_SIZE;
	}
	if (!hdr_ok) {
		if (jsize > ESE_JOURNAL_HDR_SIZE)
			return ese_fail(st, JET_errLogFileCorrupt, 0,
			                "%s: the journal's header is damaged but records follow it; it is kept", jpath);
		/* invariant 1: torn while being created, no page was written yet */
		if (unlink(jpath) != 0)
			return ese_fail(st, JET_errDiskIO, 0, "%s: cannot remove: %s", jpath, strerror(errno));
		fsync_dir_of(jpath);
		res->discarded = 1;
		return 0;
	}
	uint32_t ps = get_le32(hdr + H_PAGESIZE);
	uint64_t db_size = get_le64(hdr + H_DBSIZE);
	if ((ps != 2048 && ps != 4096 && ps != 8192 && ps != 16384 && ps != 32768) ||
	    get_le32(hdr + H_RECSIZE) != ps + ESE_JOURNAL_REC_OVERHEAD || db_size % ps || db_size < 2ull * ps)
		return ese_fail(st, JET_errLogFileCorrupt, 0, "%s: the journal's header describes no database", jpath);
	const uint8_t *salt = hdr + H_SALT;
	if (salt_expected && memcmp(salt, salt_expected, SALT_LEN))
		return ese_fail(st, JET_errLogFileCorrupt, 0, "%s: the journal is not this pass's any more; nothing written",
		                jpath);
	size_t rs = (size_t)ps + ESE_JOURNAL_REC_OVERHEAD;
	uint64_t fpages = db_size / ps;

	/* pass 1: which slots hold a valid record (sequence = slot number), and
	 * where each valid record's batch began */
	uint64_t nslots = jsize > ESE_JOURNAL_HDR_SIZE ? (jsize - ESE_JOURNAL_HDR_SIZE + rs - 1) / rs : 0;
	uint8_t *valid = calloc((size_t)(nslots / 8 + 1), 1);
	uint32_t *batch = malloc((size_t)(nslots + 1) * sizeof(*batch));
	uint8_t *done = calloc((size_t)((fpages + 7) / 8), 1);
	uint8_t *rec = malloc(rs);
	uint8_t *cur = malloc(ps);
	int err = 0, bad_middle = 0, has_hdr0 = 0, has_hdr1 = 0;
	uint64_t bad_at = 0, nvalid = 0;
	if (!valid || !batch || !done || !rec || !cur) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	for (uint64_t i = 0; i < nslots; i++) {
		if ((err = read_record(jfd, jpath, salt, ps, fpages, i, rec, st)) < 0)
			goto out;
		if (err) {
			err = 0;
			continue;
		}
		bit_set(valid, i);
		batch[i] = get_le32(rec + R_BATCH);
		nvalid++;
		uint32_t f = get_le32(rec + R_FPAGE);
		has_hdr0 |= f == 0;
		has_hdr1 |= f == 1;
		if (f <= 1 && get_le32(rec + R_IMAGE + 4) == ESE_DB_MAGIC &&
		    memcmp(rec + R_IMAGE + 24, hdr + H_SIGN, SIGN_LEN) != 0) {
			err = ese_fail(st, JET_errBadDbSignature, 0,
			               "%s: a header image in the journal has another signature; nothing written", jpath);
			goto out;
		}
	}
	res->records = nvalid;
	/* An invalid slot is the torn tail of the last batch (invariant 3: the
	 * batch was not fsynced, none of its pages was written) unless a valid
	 * record after it belongs to a later batch: then its batch had been
	 * fsynced, and the record was damaged afterwards. */
	uint64_t later_batch = 0;     /* largest batch start among valid slots after i */
	for (uint64_t i = nslots; i-- > 0;) {
		if (bit_get(valid, i)) {
			if (batch[i] > later_batch)
				later_batch = batch[i];
			continue;
		}
		if (later_batch > i) {
			bad_middle = 1;
			bad_at = i;       /* the first such slot, at the end of the loop */
		} else {
			res->torn_tail = 1;
		}
	}

	/* the journal must belong to this database: its signature in a valid
	 * header copy, or (both copies torn) header images in the journal */
	uint8_t sign[SIGN_LEN];
	uint32_t declared = 0;
	if (db_signature(dbfd, ps, sign, NULL, &declared, cur)) {
		if (memcmp(sign, hdr + H_SIGN, SIGN_LEN) != 0 || declared != ps) {
			err = ese_fail(st, JET_errBadDbSignature, 0,
			               "%s: the journal belongs to another database (signature or page size differ); "
			               "nothing written",
			               jpath);
			goto out;
		}
	} else if (nvalid && !(has_hdr0 && has_hdr1)) {
		err = ese_fail(st, JET_errBadDbSignature, 0,
		               "%s: %s has no valid header and the journal holds none to restore; nothing written", jpath,
		               db_path);
		goto out;
	}

	/* pass 2: write back, last record first, so that a page journaled twice
	 * ends with its first image (never happens with this writer) */
	for (uint64_t i = nslots; i-- > 0;) {
		if (!bit_get(valid, i))
			continue;
		if ((err = read_record(jfd, jpath, salt, ps, fpages, i, rec, st)) != 0) {
			if (err > 0)
				err = ese_fail(st, JET_errLogFileCorrupt, 0, "%s: record %llu changed while recovering", jpath,
				               (unsigned long long)i);
			goto out;
		}
		uint64_t f = get_le32(rec + R_FPAGE);
		e = pwrite_all(dbfd, rec + R_IMAGE, ps, f * ps);
		if (e) {
			err = ese_fail(st, sys_err(e), (uint32_t)(f > 0 ? f - 1 : 0), "%s: restoring file page %llu: %s",
			               db_path, (unsigned long long)f, strerror(e));
			goto out;
		}
		if (!bit_get(done, f)) {
			bit_set(done, f);
			res->pages_restored++;
		}
		res->headers_restored |= f <= 1;
	}
	/* in-place passes never grow the file; if it grew, cut it back */
	if (fstat(dbfd, &sb) == 0 && (uint64_t)sb.st_size > db_size) {
		if (ftruncate(dbfd, (off_t)db_size) != 0) {
			err = ese_fail(st, JET_errDiskIO, 0, "%s: cannot truncate to %llu bytes: %s", db_path,
			               (unsigned long long)db_size, strerror(errno));
			goto out;
		}
		res->truncated = 1;
	}
	if (fsync(dbfd) != 0) {
		err = ese_fail(st, JET_errDiskIO, 0, "%s: fsync: %s; the journal is kept", db_path, strerror(errno));
		goto out;
	}
	if (bad_middle) {
		err = ese_fail(st, JET_errLogFileCorrupt, 0,
		               "%s: journal record %llu is damaged: the page it protects cannot be restored; the %llu valid "
		               "records were written back and the journal is kept",
		               jpath, (unsigned long long)bad_at, (unsigned long long)nvalid);
		goto out;
	}
	/* invariant 4: restored and synced, only now the journal goes */
	if (unlink(jpath) != 0) {
		err = ese_fail(st, JET_errDiskIO, 0, "%s: cannot remove: %s", jpath, strerror(errno));
		goto out;
	}
	fsync_dir_of(jpath);
out:
	free(valid);
	free(batch);
	free(done);
	free(rec);
	free(cur);
	return err;
}

int ese_journal_recover(const char *db_path, ese_journal_recovery *res, ese_status *st)
{
	ese_journal_recovery local;
	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	char *jpath = ese_journal_path(db_path);
	if (!jpath)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	int err = 0, dbfd = -1;
	int jfd = open(jpath, O_RDWR | O_CLOEXEC | O_NOFOLLOW);
	if (jfd < 0) {
		if (errno != ENOENT)
			err = open_err(st, jpath, errno);
		goto out;
	}
	res->found = 1;
	if (flock(jfd, LOCK_EX | LOCK_NB) != 0) {
		err = ese_fail(st, JET_errFileAccessDenied, 0, "%s: the journal is locked: a pass is running", jpath);
		goto out;
	}
	if ((dbfd = open(db_path, O_RDWR | O_CLOEXEC)) < 0) {
		err = open_err(st, db_path, errno);
		goto out;
	}
	if (flock(dbfd, LOCK_EX | LOCK_NB) != 0) {
		err = ese_fail(st, JET_errFileAccessDenied, 0, "%s: database is in use by another process (locked)",
		               db_path);
		goto out;
	}
	err = restore(db_path, jpath, jfd, dbfd, NULL, res, st);
out:
	if (dbfd >= 0)
		close(dbfd);
	if (jfd >= 0)
		close(jfd);
	free(jpath);
	return err;
}

int ese_journal_rollback(ese_journal *j, ese_journal_recovery *res, ese_status *st)
{
	ese_journal_recovery local;
	if (!res)
		res = &local;
	memset(res, 0, sizeof(*res));
	if (!j)
		return 0;
	res->found = 1;
	int err = rollback_own(j, res, st);
	journal_free(j);
	return err;
}

/* Restores the pass's own journal (still locked through j->jfd), read
 * through a descriptor of its own: the one appends went through may be
 * the one that failed. */
static int rollback_own(ese_journal *j, ese_journal_recovery *res, ese_status *st)
{
	int rfd = open(j->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (rfd < 0)
		return ese_fail(st, JET_errDiskIO, 0, "%s: cannot reopen the journal: %s", j->path, strerror(errno));
	int err = restore(j->db_path, j->path, rfd, j->dbfd, j->salt, res, st);
	close(rfd);
	return err;
}
