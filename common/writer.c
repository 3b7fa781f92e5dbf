/*
 * writer.c - a new database file: temporary name, page writes, the space
 * of every object, space trees, header, commit (include/ese_writer.h).
 *
 * Choices where ESE could choose otherwise (and why ESE still accepts the
 * file; see docs/writer-choices.md):
 *  - every tree is multiple-extent with OE/AE at pgnoFDP+1/+2, which is
 *    how ESE itself creates trees (space.cxx ErrSPCreateMultiple);
 *  - extents grow geometrically and are handed out in order, so a tree's
 *    space tree holds few extents and fits its root page;
 *  - OS version fields stay 0 (ESE rewrites them at the next attach);
 *  - dbtime starts at 0x40 like a fresh ESE database and increases by one
 *    per page written; the header's dbtime is the last one used.
 */
#include "ese_writer.h"
#include "ese_cli.h"
#include "ese_checksum.h"
#include "ese_page.h"
#include "bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <pthread.h>

struct ext {
	uint32_t first, count;
};

struct ese_wobj {
	ese_writer *w;
	ese_wobj *parent;
	uint32_t objid, fdp, type_flags, cpg_primary;
	/* a single-extent object (ESE's small trees): its one extent is
	 * [fdp, fdp + cpg_primary), free_bits bit k = page fdp+1+k available,
	 * no space trees; a multiple-extent one has its owned-extent tree
	 * root at pgno_oe and the available-extent tree's at pgno_oe + 1 */
	int single;
	uint32_t free_bits, pgno_oe;
	int header_stale;             /* the space header changed after the root was written */
	struct ext *owned, *avail;
	size_t nowned, navail, cap_owned, cap_avail;
	int root_written;
};

struct ese_writer {
	int fd;
	char *path, *tmp;
	uint32_t ps;
	unsigned flags;
	uint64_t dbtime;
	uint32_t next;                /* first page never handed out */
	ese_dbheader hdr;
	ese_wobj **objs;
	size_t nobjs;
	uint8_t *page;
	/* pages put at consecutive numbers are gathered here and written by
	 * one pwrite (the bulk builder hands out contiguous runs): a system
	 * call per page cost more than building the page */
	uint8_t *stage;
	uint32_t stage_first, stage_n;   /* pages stage_first .. +stage_n-1 */
	double *sync_seconds;            /* where commit adds the time spent in fsync */
	/* a full stage is checksummed and written by a thread of its own while
	 * the next one fills (the checksums and the kernel's copy into the page
	 * cache were a third of /d's copy on the one thread that builds); one
	 * write is in flight at a time, so pages land in the order they were
	 * put; the first error it meets is kept and returned by the next put,
	 * flush or commit */
	uint8_t *spare;                  /* the other stage buffer */
	pthread_t io_tid;
	int io_started, io_quit, io_busy, io_err;
	pthread_mutex_t io_mu;
	pthread_cond_t io_cv;
	uint8_t *io_buf;
	uint32_t io_first, io_n;
	ese_status io_st;
};

#define STAGE_PAGES_BYTES (1u << 20)

static int push_ext(struct ext **arr, size_t *n, size_t *cap, struct ext e)
{
	if (*n && (*arr)[*n - 1].first + (*arr)[*n - 1].count == e.first) {
		(*arr)[*n - 1].count += e.count;
		return 0;
	}
	if (*n == *cap) {
		size_t c = *cap ? *cap * 2 : 4;
		struct ext *p = realloc(*arr, c * sizeof(*p));
		if (!p)
			return -1;
		*arr = p;
		*cap = c;
	}
	(*arr)[(*n)++] = e;
	return 0;
}

/* A LOGTIME for a deterministic instant derived from seed (2020-2029). */
static void seed_time(ese_logtime *t, uint64_t seed)
{
	t->year = (uint8_t)(120 + seed % 10);
	t->month = (uint8_t)(1 + (seed >> 8) % 12);
	t->day = (uint8_t)(1 + (seed >> 16) % 28);
	t->hour = (uint8_t)((seed >> 24) % 24);
	t->min = (uint8_t)((seed >> 32) % 60);
	t->sec = (uint8_t)((seed >> 40) % 60);
	t->b6 = 1;                     /* UTC */
	t->b7 = 0;
}

static uint32_t mix32(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (uint32_t)x;
}

int ese_writer_create(const char *path, uint32_t page_size, unsigned flags, uint64_t seed, ese_writer **out,
                      ese_status *st)
{
	*out = NULL;
	if (page_size != 2048 && page_size != 4096 && page_size != 8192 && page_size != 16384 && page_size != 32768)
		return ese_fail(st, JET_errInvalidParameter, 0, "%s: page size %u is not 2, 4, 8, 16 or 32 KiB", path,
		                page_size);
	struct stat sb;
	if (!(flags & ESE_CREATE_REPLACE) && lstat(path, &sb) == 0)
		return ese_fail(st, JET_errInvalidPath, 0, "%s: already exists (refusing to replace it)", path);
	ese_writer *w = calloc(1, sizeof(*w));
	if (!w)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	w->fd = -1;
	w->ps = page_size;
	w->flags = flags;
	w->dbtime = 0x40;
	w->next = 1;
	w->path = strdup(path);
	size_t n = strlen(path) + 32;
	w->tmp = malloc(n);
	w->page = malloc(page_size);
	if (!w->path || !w->tmp || !w->page) {
		ese_writer_abort(w);
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	snprintf(w->tmp, n, "%s.tmp%ld", path, (long)getpid());
	w->fd = open(w->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (w->fd < 0) {
		int e = errno;
		int err = ese_fail(st, e == EACCES || e == EPERM || e == EROFS ? JET_errFileAccessDenied
		                       : e == EEXIST ? JET_errInvalidPath : JET_errDiskIO,
		                   0, "%s: cannot create: %s", w->tmp, strerror(e));
		free(w->tmp);
		w->tmp = NULL;
		ese_writer_abort(w);
		return err;
	}
	/* header defaults for a clean 0x620/20/0 database (notes section 1) */
	ese_dbheader *h = &w->hdr;
	h->magic = ESE_DB_MAGIC;
	h->version = 0x620;
	h->update_major = 20;
	h->update_minor = 0;
	h->create_version = 0x620;
	h->create_update = 20;
	h->page_size = page_size;
	h->state = ESE_DBSTATE_CLEAN;
	h->dbid = 1;
	h->file_type = 1;
	h->sort_version = 0xFFFFFFFFFFFFFFFFull;
	h->sign_db.random = mix32(seed ^ 0x5eed);
	seed_time(&h->sign_db.created, seed);
	h->time_consistent = h->sign_db.created;
	h->time_detach = h->sign_db.created;
	h->time_attach = h->sign_db.created;
	/* the database root: pages 1 (root), 2 (owned), 3 (available) */
	ese_wobj *root = calloc(1, sizeof(*root));
	w->objs = calloc(1, sizeof(ese_wobj *));
	if (!root || !w->objs) {
		free(root);
		ese_writer_abort(w);
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	root->w = w;
	root->objid = 1;
	root->fdp = 1;
	root->pgno_oe = 2;
	w->objs[0] = root;
	w->nobjs = 1;
	struct ext e = { 1, 3 };
	if (push_ext(&root->owned, &root->nowned, &root->cap_owned, e)) {
		ese_writer_abort(w);
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	w->next = 4;
	*out = w;
	return 0;
}

static void io_stop(ese_writer *w);

void ese_writer_abort(ese_writer *w)
{
	if (!w)
		return;
	io_stop(w);
	if (w->fd >= 0)
		close(w->fd);
	if (w->tmp)
		unlink(w->tmp);
	for (size_t i = 0; i < w->nobjs; i++) {
		free(w->objs[i]->owned);
		free(w->objs[i]->avail);
		free(w->objs[i]);
	}
	free(w->objs);
	free(w->path);
	free(w->tmp);
	free(w->page);
	free(w->stage);
	free(w->spare);
	free(w);
}

uint32_t ese_writer_page_size(const ese_writer *w) { return w->ps; }
ese_dbheader *ese_writer_header(ese_writer *w) { return &w->hdr; }
const char *ese_writer_temp_path(const ese_writer *w) { return w->tmp; }
ese_wobj *ese_writer_root(ese_writer *w) { return w->objs[0]; }
uint32_t ese_wobj_fdp(const ese_wobj *o) { return o->fdp; }
uint32_t ese_wobj_objid(const ese_wobj *o) { return o->objid; }
uint32_t ese_wobj_type_flags(const ese_wobj *o) { return o->type_flags; }
void ese_wobj_root_written(ese_wobj *o) { o->root_written = 1; }
uint64_t ese_writer_next_dbtime(ese_writer *w) { return ++w->dbtime; }

/* A run of n pages for a child of o (or for o's own use when give=0):
 * taken from o's available space when a run is long enough, else o takes
 * a new extent from its parent (the root takes it from the end of the file). */
/* The next extent size for o: an eighth of what it owns (at least 8, at
 * most 1024 pages), so that a finished tree leaves at most about 1/8 of its
 * space unused while the space tree stays a few extents long. */
static uint32_t next_grow(const ese_wobj *o)
{
	uint64_t owned = 0;
	for (size_t i = 0; i < o->nowned; i++)
		owned += o->owned[i].count;
	uint64_t g = owned / 8;
	return g < 8 ? 8 : g > 1024 ? 1024 : (uint32_t)g;
}

static int to_multiple_extent(ese_wobj *o, ese_status *st);

/* n consecutive available pages of a single-extent object: the first of
 * them (taken), or 0. */
static uint32_t take_bits(ese_wobj *o, uint32_t n)
{
	uint32_t want = n >= 32 ? 0xFFFFFFFFu : (1u << n) - 1;
	for (uint32_t k = 0; n && k + n <= 32; k++)
		if (((o->free_bits >> k) & want) == want) {
			o->free_bits &= ~(want << k);
			o->header_stale |= o->root_written;
			return o->fdp + 1 + k;
		}
	return 0;
}

static int take_run(ese_wobj *o, uint32_t n, struct ext *out, ese_status *st)
{
	if (o->single) {
		uint32_t first = take_bits(o, n);
		if (first) {
			out->first = first;
			out->count = n;
			return 0;
		}
		if (to_multiple_extent(o, st))
			return st ? st->err : JET_errOutOfMemory;
	}
	for (size_t i = 0; i < o->navail; i++) {
		if (o->avail[i].count >= n) {
			out->first = o->avail[i].first;
			out->count = n;
			o->avail[i].first += n;
			o->avail[i].count -= n;
			if (o->avail[i].count == 0) {
				memmove(&o->avail[i], &o->avail[i + 1], (o->navail - i - 1) * sizeof(struct ext));
				o->navail--;
			}
			return 0;
		}
	}
	ese_writer *w = o->w;
	struct ext e;
	if (!o->parent) {
		if ((uint64_t)w->next + n > 0x7FFFFFF0ull)
			return ese_fail(st, JET_errDiskFull, 0, "database would exceed 2^31 pages");
		e.first = w->next;
		e.count = n;
		w->next += n;
	} else {
		/* exactly what the child asked for: a parent grows only for its
		 * own pages (ese_wobj_alloc_page), so nothing is stranded here */
		if (take_run(o->parent, n, &e, st))
			return st ? st->err : JET_errDiskFull;
	}
	if (push_ext(&o->owned, &o->nowned, &o->cap_owned, e))
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	out->first = e.first;
	out->count = n;
	if (e.count > n) {
		struct ext rest = { e.first + n, e.count - n };
		if (push_ext(&o->avail, &o->navail, &o->cap_avail, rest))
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	return 0;
}

/* A single-extent object that needs more than its extent holds becomes a
 * multiple-extent one as ESE's ErrSPIConvertToMultipleExtent makes it:
 * its space trees' roots are the first two pages of a new extent from its
 * parent, the rest of that extent and the free pages of the old one are
 * available. */
static int to_multiple_extent(ese_wobj *o, ese_status *st)
{
	struct ext e;
	o->single = 0;
	o->header_stale |= o->root_written;
	for (uint32_t k = 0; k < 32; k++)
		if ((o->free_bits >> k) & 1 &&
		    push_ext(&o->avail, &o->navail, &o->cap_avail, (struct ext){ o->fdp + 1 + k, 1 }))
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	o->free_bits = 0;
	if (take_run(o->parent, 2 + next_grow(o), &e, st))
		return st ? st->err : JET_errDiskFull;
	o->pgno_oe = e.first;
	if (push_ext(&o->owned, &o->nowned, &o->cap_owned, e) ||
	    push_ext(&o->avail, &o->navail, &o->cap_avail, (struct ext){ e.first + 2, e.count - 2 }))
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	return 0;
}

ese_wobj *ese_writer_object(ese_writer *w, ese_wobj *parent, uint32_t objid, uint32_t fixed_fdp, uint32_t initial,
                            uint32_t type_flags, ese_status *st)
{
	if (initial < 3)
		initial = 3;
	ese_wobj *o = calloc(1, sizeof(*o));
	ese_wobj **objs = realloc(w->objs, (w->nobjs + 1) * sizeof(*objs));
	if (!o || !objs) {
		free(o);
		if (objs)
			w->objs = objs;
		ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		return NULL;
	}
	w->objs = objs;
	o->w = w;
	o->parent = parent;
	o->objid = objid;
	o->type_flags = type_flags;
	struct ext e;
	if (fixed_fdp) {
		/* the format fixes this root: the parent must be able to give
		 * exactly [fixed_fdp, fixed_fdp+initial) */
		if (!parent->parent && w->next == fixed_fdp) {
			e.first = fixed_fdp;
			e.count = initial;
			w->next += initial;
			if (push_ext(&parent->owned, &parent->nowned, &parent->cap_owned, e))
				goto oom;
		} else {
			size_t i;
			for (i = 0; i < parent->navail; i++)
				if (parent->avail[i].first == fixed_fdp && parent->avail[i].count >= initial)
					break;
			if (i == parent->navail) {
				free(o);
				ese_fail(st, JET_errInvalidParameter, fixed_fdp, "page %u is not free for object %u", fixed_fdp,
				         objid);
				return NULL;
			}
			e.first = fixed_fdp;
			e.count = initial;
			parent->avail[i].first += initial;
			parent->avail[i].count -= initial;
		}
	} else if (take_run(parent, initial, &e, st)) {
		free(o);
		return NULL;
	}
	o->fdp = e.first;
	o->pgno_oe = e.first + 1;
	o->cpg_primary = e.count;
	if (push_ext(&o->owned, &o->nowned, &o->cap_owned, e))
		goto oom;
	if (e.count > 3) {
		struct ext rest = { e.first + 3, e.count - 3 };
		if (push_ext(&o->avail, &o->navail, &o->cap_avail, rest))
			goto oom;
	}
	w->objs[w->nobjs++] = o;
	if (objid > w->hdr.objid_last)
		w->hdr.objid_last = objid;
	return o;
oom:
	free(o->owned);
	free(o->avail);
	free(o);
	ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	return NULL;
}

ese_wobj *ese_writer_object_single(ese_writer *w, ese_wobj *parent, uint32_t objid, uint32_t pages,
                                   uint32_t type_flags, ese_status *st)
{
	if (!parent || pages < 1 || pages > 33) {
		ese_fail(st, JET_errInvalidParameter, 0, "a single-extent object has 1 to 33 pages, not %u", pages);
		return NULL;
	}
	ese_wobj *o = calloc(1, sizeof(*o));
	ese_wobj **objs = realloc(w->objs, (w->nobjs + 1) * sizeof(*objs));
	if (objs)
		w->objs = objs;
	struct ext e;
	if (!o || !objs) {
		free(o);
		ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		return NULL;
	}
	if (take_run(parent, pages, &e, st)) {
		free(o);
		return NULL;
	}
	o->w = w;
	o->parent = parent;
	o->objid = objid;
	o->type_flags = type_flags;
	o->fdp = e.first;
	o->cpg_primary = pages;
	o->single = 1;
	o->free_bits = pages - 1 >= 32 ? 0xFFFFFFFFu : (1u << (pages - 1)) - 1;
	if (push_ext(&o->owned, &o->nowned, &o->cap_owned, e)) {
		free(o);
		ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		return NULL;
	}
	w->objs[w->nobjs++] = o;
	if (objid > w->hdr.objid_last)
		w->hdr.objid_last = objid;
	return o;
}

uint32_t ese_wobj_alloc_page(ese_wobj *o, ese_status *st)
{
	struct ext e;
	if (o->single) {
		uint32_t p = take_bits(o, 1);
		if (p)
			return p;
		if (to_multiple_extent(o, st))
			return 0;
	}
	if (o->navail == 0) {
		/* grow: take a new extent for o itself */
		if (!o->parent) {
			if (take_run(o, 1, &e, st))
				return 0;
			return e.first;
		}
		if (take_run(o->parent, next_grow(o), &e, st))
			return 0;
		if (push_ext(&o->owned, &o->nowned, &o->cap_owned, e) ||
		    (e.count > 1 && push_ext(&o->avail, &o->navail, &o->cap_avail,
		                             (struct ext){ e.first + 1, e.count - 1 }))) {
			ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
			return 0;
		}
		return e.first;
	}
	if (take_run(o, 1, &e, st))
		return 0;
	return e.first;
}

void ese_wobj_space_header(const ese_wobj *o, uint8_t out[16])
{
	put_le32(out, o->cpg_primary);
	put_le32(out + 4, o->parent ? o->parent->fdp : 0);
	put_le32(out + 8, (o->single ? 0u : 1u) | ((o->type_flags & ESE_PF_NON_UNIQUE) ? 2u : 0u));
	put_le32(out + 12, o->single ? o->free_bits : o->pgno_oe);
}

/* Writes len bytes of buf as pages from pgno on. */
static int write_pages(ese_writer *w, uint32_t pgno, const uint8_t *buf, size_t len, ese_status *st)
{
	off_t off = (off_t)((uint64_t)pgno + 1) * w->ps;
	size_t done = 0;
	while (done < len) {
		ssize_t n = pwrite(w->fd, buf + done, len - done, off + (off_t)done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : ENOSPC;
			uint32_t at = pgno + (uint32_t)(done / w->ps);
			return ese_fail(st, e == ENOSPC || e == EFBIG || e == EDQUOT ? JET_errDiskFull : JET_errDiskIO, at,
			                "%s: writing page %u: %s", w->tmp, at, strerror(e));
		}
		done += (size_t)n;
	}
	return 0;
}

/* Checksums n staged pages (from page first on) and writes them. */
static int write_stage(ese_writer *w, uint8_t *buf, uint32_t first, uint32_t n, ese_status *st)
{
	for (uint32_t k = 0; k < n; k++)
		ese_checksum_set_page(buf + (size_t)k * w->ps, w->ps, first + k);
	return write_pages(w, first, buf, (size_t)n * w->ps, st);
}

static void *io_main(void *arg)
{
	ese_writer *w = arg;
	pthread_mutex_lock(&w->io_mu);
	for (;;) {
		while (!w->io_busy && !w->io_quit)
			pthread_cond_wait(&w->io_cv, &w->io_mu);
		if (!w->io_busy)
			break;
		pthread_mutex_unlock(&w->io_mu);
		ese_status st;
		ese_status_init(&st);
		int err = w->io_err ? 0 : write_stage(w, w->io_buf, w->io_first, w->io_n, &st);
		pthread_mutex_lock(&w->io_mu);
		if (err && !w->io_err) {
			w->io_err = err;
			w->io_st = st;
		}
		w->io_busy = 0;
		pthread_cond_broadcast(&w->io_cv);
	}
	pthread_mutex_unlock(&w->io_mu);
	return NULL;
}

/* Waits for the write in flight; its error, if it had one. */
static int io_wait(ese_writer *w, ese_status *st)
{
	if (!w->io_started)
		return 0;
	pthread_mutex_lock(&w->io_mu);
	while (w->io_busy)
		pthread_cond_wait(&w->io_cv, &w->io_mu);
	int err = w->io_err;
	if (err && st && !st->err)
		*st = w->io_st;
	pthread_mutex_unlock(&w->io_mu);
	return err;
}

static void io_stop(ese_writer *w)
{
	if (!w->io_started)
		return;
	pthread_mutex_lock(&w->io_mu);
	w->io_quit = 1;
	pthread_cond_broadcast(&w->io_cv);
	pthread_mutex_unlock(&w->io_mu);
	pthread_join(w->io_tid, NULL);
	pthread_cond_destroy(&w->io_cv);
	pthread_mutex_destroy(&w->io_mu);
	w->io_started = 0;
}

/* Hands the stage to the writing thread (or writes it here when there is
 * none) once the write before it is done. */
static int flush_stage(ese_writer *w, ese_status *st)
{
	int err = io_wait(w, st);
	if (err || !w->stage_n)
		return err;
	uint32_t first = w->stage_first, n = w->stage_n;
	w->stage_n = 0;
	if (!w->io_started && w->spare && !pthread_mutex_init(&w->io_mu, NULL)) {
		if (pthread_cond_init(&w->io_cv, NULL))
			pthread_mutex_destroy(&w->io_mu);
		else if (pthread_create(&w->io_tid, NULL, io_main, w))
			pthread_cond_destroy(&w->io_cv), pthread_mutex_destroy(&w->io_mu);
		else
			w->io_started = 1;
	}
	if (!w->io_started)
		return write_stage(w, w->stage, first, n, st);
	pthread_mutex_lock(&w->io_mu);
	w->io_buf = w->stage;
	w->io_first = first;
	w->io_n = n;
	w->io_busy = 1;
	pthread_cond_broadcast(&w->io_cv);
	pthread_mutex_unlock(&w->io_mu);
	uint8_t *t = w->stage;
	w->stage = w->spare;
	w->spare = t;
	return 0;
}

/* Everything put so far written (or its error). */
static int flush_all(ese_writer *w, ese_status *st)
{
	int err = flush_stage(w, st);
	return err ? err : io_wait(w, st);
}

int ese_writer_put_page(ese_writer *w, uint32_t pgno, uint8_t *page, ese_status *st)
{
	uint32_t cap = STAGE_PAGES_BYTES / w->ps;
	if (!w->stage && !(w->stage = malloc(STAGE_PAGES_BYTES))) {
		int err = io_wait(w, st);
		if (!err) {
			ese_checksum_set_page(page, w->ps, pgno);
			err = write_pages(w, pgno, page, w->ps, st);
		}
		return err;
	}
	if (!w->spare)
		w->spare = malloc(STAGE_PAGES_BYTES);    /* none: the stage is written on this thread */
	if (w->stage_n && pgno >= w->stage_first && pgno - w->stage_first < w->stage_n) {
		/* written again while still staged: the later version wins */
		memcpy(w->stage + (size_t)(pgno - w->stage_first) * w->ps, page, w->ps);
		return 0;
	}
	if (w->stage_n && (pgno != w->stage_first + w->stage_n || w->stage_n == cap)) {
		int err = flush_stage(w, st);
		if (err)
			return err;
	}
	if (!w->stage_n)
		w->stage_first = pgno;
	memcpy(w->stage + (size_t)w->stage_n * w->ps, page, w->ps);
	w->stage_n++;
	return 0;
}

void ese_writer_time_syncs(ese_writer *w, double *seconds) { w->sync_seconds = seconds; }

static int timed_fsync(ese_writer *w)
{
	double t0 = ese_now();
	int r = fsync(w->fd);
	if (w->sync_seconds)
		*w->sync_seconds += ese_now() - t0;
	return r;
}

/* Writes o's space header again into its root page, already written: a
 * single-extent object gave pages to its children, or was converted,
 * after its tree was built. */
static int rewrite_space_header(ese_writer *w, ese_wobj *o, ese_status *st)
{
	int err = flush_all(w, st);
	if (err)
		return err;
	off_t off = (off_t)((uint64_t)o->fdp + 1) * w->ps;
	if (pread(w->fd, w->page, w->ps, off) != (ssize_t)w->ps)
		return ese_fail(st, JET_errDiskIO, o->fdp, "%s: reading back page %u: %s", w->tmp, o->fdp, strerror(errno));
	ese_page pg;
	ese_tag t0;
	if ((err = ese_page_parse(&pg, w->page, w->ps, o->fdp, st)) || (err = ese_page_tag(&pg, o->fdp, 0, &t0, st)))
		return err;
	size_t at = ese_space_header_offset(t0.len);
	if (t0.len < at + 16)
		return ese_fail(st, JET_errDatabaseCorrupted, o->fdp, "root page %u has no space header", o->fdp);
	ese_wobj_space_header(o, w->page + t0.off + at);
	put_le64(w->page + 8, ese_writer_next_dbtime(w));
	o->header_stale = 0;
	return ese_writer_put_page(w, o->fdp, w->page, st);
}

/* One space tree (OE or AE) of o, as a single root leaf page. */
static int write_space_tree(ese_writer *w, ese_wobj *o, uint32_t pgno, const struct ext *e, size_t n, ese_status *st)
{
	ese_page_builder pb;
	static const uint8_t split_buffer[16];
	uint32_t flags = ESE_PF_ROOT | ESE_PF_LEAF | ESE_PF_SPACE_TREE |
	                 (o->type_flags & (ESE_PF_INDEX | ESE_PF_LONG_VALUE | ESE_PF_NON_UNIQUE));
	ese_pb_init(&pb, w->page, w->ps, o->objid, flags, ese_writer_next_dbtime(w), split_buffer, 16);
	for (size_t i = 0; i < n; i++) {
		uint8_t key[4], data[4];
		put_be32(key, e[i].first + e[i].count - 1);
		put_le32(data, e[i].count);
		if (ese_pb_add_node(&pb, key, 4, 0, data, 4))
			return ese_fail(st, JET_errInvalidParameter, pgno,
			                "object %u has %zu extents, more than its space tree page holds", o->objid, n);
	}
	ese_pb_finish(&pb, 0, 0);
	return ese_writer_put_page(w, pgno, w->page, st);
}

static int fsync_dir(const char *path)
{
	char *copy = strdup(path);
	if (!copy)
		return -1;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(copy);
	if (fd < 0)
		return -1;
	int r = fsync(fd);
	close(fd);
	return r;
}

int ese_writer_commit(ese_writer *w, ese_status *st)
{
	int err = 0;
	/* roots nobody built: empty leaves */
	for (size_t i = 1; i < w->nobjs && !err; i++) {
		ese_wobj *o = w->objs[i];
		if (o->root_written)
			continue;
		uint8_t sh[16];
		ese_page_builder pb;
		ese_wobj_space_header(o, sh);
		ese_pb_init(&pb, w->page, w->ps, o->objid, ESE_PF_ROOT | ESE_PF_LEAF | o->type_flags,
		            ese_writer_next_dbtime(w), sh, 16);
		ese_pb_finish(&pb, 0, 0);
		err = ese_writer_put_page(w, o->fdp, w->page, st);
	}
	for (size_t i = 1; i < w->nobjs && !err; i++)
		if (w->objs[i]->header_stale)
			err = rewrite_space_header(w, w->objs[i], st);
	/* space trees of every object, the root's last */
	for (size_t i = w->nobjs; i-- > 0 && !err;) {
		ese_wobj *o = w->objs[i];
		if (o->single)
			continue;
		if ((err = write_space_tree(w, o, o->pgno_oe, o->owned, o->nowned, st)))
			break;
		err = write_space_tree(w, o, o->pgno_oe + 1, o->avail, o->navail, st);
	}
	uint32_t last = w->next - 1;
	if (!err) {
		/* the database root page: owns every page of the file */
		ese_wobj *root = w->objs[0];
		root->cpg_primary = last;
		uint8_t sh[16];
		ese_page_builder pb;
		ese_wobj_space_header(root, sh);
		ese_pb_init(&pb, w->page, w->ps, 1, ESE_PF_ROOT | ESE_PF_LEAF, ese_writer_next_dbtime(w), sh, 16);
		ese_pb_finish(&pb, 0, 0);
		err = ese_writer_put_page(w, 1, w->page, st);
	}
	if (!err)
		err = flush_all(w, st);
	io_stop(w);
	if (!err && ftruncate(w->fd, (off_t)((uint64_t)last + 2) * w->ps) != 0)
		err = ese_fail(st, errno == EFBIG ? JET_errDiskFull : JET_errDiskIO, 0, "%s: cannot size the file: %s",
		               w->tmp, strerror(errno));
	if (!err) {
		/* data first, then the header, each made durable */
		if (timed_fsync(w) != 0)
			err = ese_fail(st, JET_errDiskIO, 0, "%s: fsync: %s", w->tmp, strerror(errno));
	}
	if (!err) {
		w->hdr.dbtime = w->dbtime;
		ese_dbheader_encode(&w->hdr, w->page, w->ps);
		for (int copy = 0; copy < 2 && !err; copy++)
			if (pwrite(w->fd, w->page, w->ps, (off_t)copy * w->ps) != (ssize_t)w->ps)
				err = ese_fail(st, errno == ENOSPC ? JET_errDiskFull : JET_errDiskIO, 0,
				               "%s: writing the header: %s", w->tmp, strerror(errno));
		if (!err && timed_fsync(w) != 0)
			err = ese_fail(st, JET_errDiskIO, 0, "%s: fsync: %s", w->tmp, strerror(errno));
	}
	if (!err && !(w->flags & ESE_CREATE_PRIVATE)) {
		mode_t um = umask(0);
		umask(um);
		if (fchmod(w->fd, 0666 & ~um) != 0)
			err = ese_fail(st, JET_errDiskIO, 0, "%s: chmod: %s", w->tmp, strerror(errno));
	}
	if (!err && rename(w->tmp, w->path) != 0)
		err = ese_fail(st, errno == EACCES ? JET_errFileAccessDenied : JET_errDiskIO, 0,
		               "%s: cannot rename to %s: %s", w->tmp, w->path, strerror(errno));
	if (!err) {
		free(w->tmp);
		w->tmp = NULL;             /* nothing to unlink any more */
		fsync_dir(w->path);
	}
	ese_writer_abort(w);
	return err;
}
