/*
 * checkscan.c - eseutil /k: every page's checksum, in parallel.
 *
 * Work is split in chunks of CHUNK_BYTES taken in order from a shared
 * counter; each worker reads its chunk with one pread, verifies each page,
 * and keeps its own counters and problem list, merged at the end.  The two
 * header pages are checked with the header formula.  A file whose size is
 * not a whole number of pages, or that ends before the last page the
 * database root's space tree owns, is reported as truncated.
 */
#include "ese_checkscan.h"
#include "ese_checksum.h"
#include "ese_cursor.h"
#include "ese_space.h"
#include "ese_page.h"
#include "ese_sbuf.h"
#include "ese_cli.h"
#include "bytes.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CHUNK_BYTES (4u << 20)

struct worker {
	ese_db *db;
	atomic_uint_fast64_t *next_chunk;
	uint64_t nchunks;
	uint32_t pages_per_chunk;
	ese_checkscan r;
	size_t cap;
	ese_extent *uninit;        /* runs of all-zero pages */
	size_t nuninit, uninit_cap;
	int oom;
};

static void add_uninit(struct worker *w, uint32_t pgno)
{
	if (w->nuninit && w->uninit[w->nuninit - 1].first + w->uninit[w->nuninit - 1].count == pgno) {
		w->uninit[w->nuninit - 1].count++;
		return;
	}
	if (w->nuninit == w->uninit_cap) {
		size_t cap = w->uninit_cap ? w->uninit_cap * 2 : 64;
		ese_extent *n = realloc(w->uninit, cap * sizeof(*n));
		if (!n) {
			w->oom = 1;
			return;
		}
		w->uninit = n;
		w->uninit_cap = cap;
	}
	w->uninit[w->nuninit++] = (ese_extent){ pgno, 1, 0 };
}

static void add_problem(struct worker *w, const ese_badpage *p)
{
	if (w->r.nproblems == w->cap) {
		size_t cap = w->cap ? w->cap * 2 : 64;
		ese_badpage *n = realloc(w->r.problems, cap * sizeof(*n));
		if (!n) {
			w->oom = 1;
			return;
		}
		w->r.problems = n;
		w->cap = cap;
	}
	w->r.problems[w->r.nproblems++] = *p;
}

static void check_page(struct worker *w, const uint8_t *page, uint32_t ps, uint32_t pgno)
{
	ese_pagecheck_info info;
	ese_badpage bp = { .pgno = pgno, .block = -1 };
	w->r.pages_seen++;
	switch (ese_checksum_verify_page(page, ps, pgno, &info)) {
	case ESE_PAGE_OK: {
		uint64_t dbtime = get_le64(page + 8);
		if (dbtime > w->r.highest_dbtime) {
			w->r.highest_dbtime = dbtime;
			w->r.highest_dbtime_pgno = pgno;
		}
		return;
	}
	case ESE_PAGE_UNINIT:
		w->r.uninit++;
		add_uninit(w, pgno);
		return;
	case ESE_PAGE_CORRECTABLE:
		w->r.correctable++;
		bp.kind = ESE_PP_CORRECTABLE;
		bp.bit = info.bad_bit;
		break;
	case ESE_PAGE_WRONG_PGNO:
		w->r.bad++;
		w->r.wrong_pgno++;
		bp.kind = ESE_PP_WRONG_PGNO;
		bp.other = info.stored_pgno;
		break;
	case ESE_PAGE_BAD:
	default:
		w->r.bad++;
		bp.kind = ESE_PP_BAD_CHECKSUM;
		break;
	}
	bp.block = info.block;
	bp.expected = info.expected;
	bp.actual = info.actual;
	add_problem(w, &bp);
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	uint32_t ps = ese_db_page_size(w->db);
	uint32_t npages = ese_db_page_count(w->db);
	uint8_t *buf = NULL;
	if (posix_memalign((void **)&buf, 4096, (size_t)w->pages_per_chunk * ps)) {
		w->oom = 1;
		return NULL;
	}
	for (;;) {
		uint64_t c = atomic_fetch_add(w->next_chunk, 1);
		if (c >= w->nchunks)
			break;
		uint32_t first = (uint32_t)(c * w->pages_per_chunk) + 1;
		uint32_t count = w->pages_per_chunk;
		if (first - 1 + (uint64_t)count > npages)
			count = npages - (first - 1);
		size_t want = (size_t)count * ps, got = 0;
		off_t off = (off_t)((uint64_t)(first + 1) * ps);
		double t0 = ese_now();
		/* map the chunk when we can (no copy out of the page cache; the
		 * mapping is dropped right after, so memory stays flat), else read */
		off_t aoff = off & ~(off_t)4095;
		size_t lead = (size_t)(off - aoff);
		uint8_t *map = mmap(NULL, want + lead, PROT_READ, MAP_PRIVATE | MAP_POPULATE, ese_db_fd(w->db), aoff);
		const uint8_t *data = buf;
		if (map != MAP_FAILED) {
			madvise(map, want + lead, MADV_SEQUENTIAL);
			data = map + lead;
			got = want;
		} else {
			while (got < want) {
				ssize_t n = pread(ese_db_fd(w->db), buf + got, want - got, off + (off_t)got);
				if (n < 0 && errno == EINTR)
					continue;
				if (n <= 0)
					break;
				got += (size_t)n;
			}
		}
		double dt = ese_now() - t0;
		w->r.reads++;
		w->r.bytes_read += got;
		if (dt > w->r.slowest_read)
			w->r.slowest_read = dt;
		if (w->r.fastest_read == 0 || dt < w->r.fastest_read)
			w->r.fastest_read = dt;
		uint32_t full = (uint32_t)(got / ps);
		for (uint32_t i = 0; i < full; i++)
			check_page(w, data + (size_t)i * ps, ps, first + i);
		if (map != MAP_FAILED)
			munmap(map, want + lead);
		for (uint32_t i = full; i < count; i++) {
			ese_badpage bp = { .pgno = first + i, .kind = ESE_PP_READ_ERROR, .block = -1 };
			w->r.read_errors++;
			w->r.pages_seen++;
			add_problem(w, &bp);
		}
	}
	free(buf);
	return NULL;
}

static int cmp_bad(const void *a, const void *b)
{
	const ese_badpage *x = a, *y = b;
	return x->pgno < y->pgno ? -1 : x->pgno > y->pgno;
}

/* The last page the database root owns, from its space header or its
 * owned-extent tree; 0 when that cannot be read. */
static uint32_t last_owned_page(ese_db *db)
{
	ese_status st;
	ese_status_init(&st);
	const uint8_t *buf;
	ese_page pg;
	ese_space_header sh;
	if (ese_db_get_page(db, 1, &buf, &st) || ese_page_parse(&pg, buf, ese_db_page_size(db), 1, &st) ||
	    ese_page_space_header(&pg, 1, &sh, &st))
		return 0;
	if (!(sh.flags & 1))
		return sh.cpg_primary;
	ese_cursor *c;
	uint32_t last = 0;
	if (ese_cursor_open(db, sh.pgno_oe, 1, &c, &st))
		return 0;
	for (int err = ese_cursor_first(c, &st); err == 0; err = ese_cursor_next(c, &st)) {
		size_t klen;
		const uint8_t *k = ese_cursor_key(c, &klen);
		if (klen == 4 && get_be32(k) > last)
			last = get_be32(k);
	}
	ese_cursor_close(c);
	return last;
}

static int in_runs(const ese_extent *runs, size_t n, uint32_t p)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (runs[mid].first + runs[mid].count <= p)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < n && runs[lo].first <= p;
}

static void flag_uninit(struct worker *m, uint32_t p)
{
	ese_badpage bp = { .pgno = p, .kind = ESE_PP_UNINIT_IN_USE, .block = -1 };
	m->r.uninit_in_use++;
	add_problem(m, &bp);
}

/* An all-zero page is normal when no tree uses it (ESE extends files with
 * zeroed pages).  One the space trees do not list as available, inside the
 * space the database root owns, was lost.  When the catalog or some tree's
 * space cannot be read, free pages cannot all be known: then only pages
 * certainly in use are judged (the fixed system roots and every root the
 * catalog names), and uninit_unchecked says so. */
static void classify_uninit(ese_db *db, struct worker *m)
{
	static const uint32_t fixed[] = { 1, 4, 7, 10, 24 };
	uint32_t npages = ese_db_page_count(db), owned = last_owned_page(db);
	ese_catalog *cat = NULL;
	ese_status st;
	ese_status_init(&st);
	uint8_t *bitmap = NULL;
	size_t unreadable = 0;
	int have_cat = ese_catalog_load(db, 4, &cat, &st) == 0;
	if (have_cat && (bitmap = calloc((size_t)npages / 8 + 1, 1)) != NULL)
		ese_space_avail_bitmap(db, cat, bitmap, npages, &unreadable, &st);
	if (!have_cat)
		m->r.uninit_unchecked = 1;      /* catalog unreadable */
	else if (!bitmap || unreadable)
		m->r.uninit_unchecked = 2;      /* some space tree unreadable */
	if (!m->r.uninit_unchecked) {
		for (size_t i = 0; i < m->nuninit; i++)
			for (uint32_t k = 0; k < m->uninit[i].count; k++) {
				uint32_t p = m->uninit[i].first + k;
				if (p <= owned && !(bitmap[p >> 3] & (1u << (p & 7))))
					flag_uninit(m, p);
			}
	} else {
		for (size_t f = 0; f < sizeof(fixed) / sizeof(fixed[0]); f++)
			if (in_runs(m->uninit, m->nuninit, fixed[f]))
				flag_uninit(m, fixed[f]);
		for (size_t i = 0; cat && i < cat->ntables; i++) {
			const ese_table *t = &cat->tables[i];
			if (t->pgno_fdp != 4 && t->pgno_fdp != 24 && in_runs(m->uninit, m->nuninit, t->pgno_fdp))
				flag_uninit(m, t->pgno_fdp);
			if (t->lv_pgno_fdp && in_runs(m->uninit, m->nuninit, t->lv_pgno_fdp))
				flag_uninit(m, t->lv_pgno_fdp);
			for (size_t j = 0; j < t->nindexes; j++) {
				uint32_t r = t->indexes[j].pgno_fdp;
				if (r != t->pgno_fdp && r != 7 && r != 10 && in_runs(m->uninit, m->nuninit, r))
					flag_uninit(m, r);
			}
		}
	}
	free(bitmap);
	ese_catalog_free(cat);
}

int ese_checkscan_run(ese_db *db, int threads, ese_checkscan *res, ese_status *st)
{
	memset(res, 0, sizeof(*res));
	double t0 = ese_now();
	if (threads <= 0) {
		long n = sysconf(_SC_NPROCESSORS_ONLN);
		threads = n < 1 ? 1 : n > 8 ? 8 : (int)n;
	}
	uint32_t ps = ese_db_page_size(db), npages = ese_db_page_count(db);
	uint32_t ppc = CHUNK_BYTES / ps;
	uint64_t nchunks = ((uint64_t)npages + ppc - 1) / ppc;
	if ((uint64_t)threads > nchunks)
		threads = nchunks ? (int)nchunks : 1;
	posix_fadvise(ese_db_fd(db), 0, 0, POSIX_FADV_SEQUENTIAL);
	atomic_uint_fast64_t next = 0;
	struct worker *ws = calloc((size_t)threads, sizeof(*ws));
	pthread_t *tids = calloc((size_t)threads, sizeof(*tids));
	if (!ws || !tids) {
		free(ws);
		free(tids);
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	int started = 0;
	for (int i = 0; i < threads; i++) {
		ws[i].db = db;
		ws[i].next_chunk = &next;
		ws[i].nchunks = nchunks;
		ws[i].pages_per_chunk = ppc;
		if (i > 0 && pthread_create(&tids[i], NULL, worker_main, &ws[i]) == 0)
			started = i;
	}
	worker_main(&ws[0]);
	for (int i = 1; i <= started; i++)
		pthread_join(tids[i], NULL);

	/* merge */
	struct worker m = { 0 };
	int oom = 0;
	for (int i = 0; i < threads; i++) {
		ese_checkscan *r = &ws[i].r;
		oom |= ws[i].oom;
		m.r.pages_seen += r->pages_seen;
		m.r.bad += r->bad;
		m.r.correctable += r->correctable;
		m.r.uninit += r->uninit;
		m.r.wrong_pgno += r->wrong_pgno;
		m.r.read_errors += r->read_errors;
		m.r.reads += r->reads;
		m.r.bytes_read += r->bytes_read;
		if (r->highest_dbtime > m.r.highest_dbtime || (r->highest_dbtime == m.r.highest_dbtime &&
		                                                r->highest_dbtime_pgno < m.r.highest_dbtime_pgno)) {
			m.r.highest_dbtime = r->highest_dbtime;
			m.r.highest_dbtime_pgno = r->highest_dbtime_pgno;
		}
		if (r->slowest_read > m.r.slowest_read)
			m.r.slowest_read = r->slowest_read;
		if (r->fastest_read > 0 && (m.r.fastest_read == 0 || r->fastest_read < m.r.fastest_read))
			m.r.fastest_read = r->fastest_read;
		for (size_t j = 0; j < r->nproblems; j++)
			add_problem(&m, &r->problems[j]);
		free(r->problems);
		for (size_t j = 0; j < ws[i].nuninit; j++)
			for (uint32_t k = 0; k < ws[i].uninit[j].count; k++)
				add_uninit(&m, ws[i].uninit[j].first + k);
		free(ws[i].uninit);
	}
	free(ws);
	free(tids);

	/* the two header copies */
	const ese_header_state *hs = ese_db_header_state(db);
	if (hs->primary_checksum_stored != hs->primary_checksum_actual) {
		ese_badpage bp = { .pgno = -1, .kind = ESE_PP_HEADER_BAD, .block = -1,
		                   .expected = hs->primary_checksum_stored, .actual = hs->primary_checksum_actual };
		m.r.header_bad++;
		add_problem(&m, &bp);
	}
	if (hs->shadow_checksum_stored != hs->shadow_checksum_actual) {
		ese_badpage bp = { .pgno = 0, .kind = ESE_PP_HEADER_BAD, .block = -1,
		                   .expected = hs->shadow_checksum_stored, .actual = hs->shadow_checksum_actual };
		m.r.header_bad++;
		add_problem(&m, &bp);
	}
	if (m.nuninit)
		classify_uninit(db, &m);
	free(m.uninit);
	/* truncation: a partial last page, or owned pages past the end */
	uint64_t tail = ese_db_file_size(db) % ps;
	uint32_t owned = last_owned_page(db);
	if (tail || owned > npages) {
		ese_badpage bp = { .pgno = (int64_t)npages + 1, .kind = ESE_PP_TRUNCATED, .block = -1 };
		bp.other = owned > npages ? owned : npages + 1;
		bp.expected = (uint64_t)bp.other + 2;     /* pages the file should have */
		bp.actual = tail;                          /* bytes of the partial page */
		m.r.truncated = (uint64_t)bp.other - npages;
		add_problem(&m, &bp);
	}
	if (m.r.nproblems > 1)
		qsort(m.r.problems, m.r.nproblems, sizeof(ese_badpage), cmp_bad);
	*res = m.r;
	res->threads = threads;
	res->seconds = ese_now() - t0;
	if (oom || m.oom)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory while recording bad pages");
	return 0;
}

void ese_checkscan_free(ese_checkscan *res)
{
	free(res->problems);
	res->problems = NULL;
	res->nproblems = 0;
}

void ese_checkscan_problem_text(ese_sbuf *sb, const ese_badpage *p)
{
	char where[48];
	if (p->pgno <= 0)
		snprintf(where, sizeof(where), "%lld (header)", (long long)p->pgno);
	else
		snprintf(where, sizeof(where), "%lld", (long long)p->pgno);
	switch (p->kind) {
	case ESE_PP_CORRECTABLE:
		ese_sbuf_printf(sb,
		                "WARNING: page %s checksum verification failed but the corruption ( bit %u ) can be corrected\n",
		                where, p->bit);
		break;
	case ESE_PP_WRONG_PGNO:
		ese_sbuf_printf(sb, "ERROR: page %s checksum failed: it holds page %u (written at the wrong offset)\n",
		                where, p->other);
		break;
	case ESE_PP_TRUNCATED:
		if (p->actual)
			ese_sbuf_printf(sb, "ERROR: page %s is truncated: the file ends %llu bytes into it", where,
			                (unsigned long long)p->actual);
		else
			ese_sbuf_printf(sb, "ERROR: page %s is missing: the file ends before it", where);
		if (p->other > p->pgno)
			ese_sbuf_printf(sb, " (the database owns pages up to %u)", p->other);
		ese_sbuf_putc(sb, '\n');
		break;
	case ESE_PP_READ_ERROR:
		ese_sbuf_printf(sb, "ERROR: page %s could not be read\n", where);
		break;
	case ESE_PP_UNINIT_IN_USE:
		ese_sbuf_printf(sb, "ERROR: page %s is uninitialized (all zero) but the space trees say it is in use\n",
		                where);
		break;
	case ESE_PP_HEADER_BAD:
		ese_sbuf_printf(sb, "ERROR: page %s checksum failed (stored 0x%08llx, computed 0x%08llx)\n", where,
		                (unsigned long long)p->expected, (unsigned long long)p->actual);
		break;
	case ESE_PP_BAD_CHECKSUM:
	default:
		if (p->block > 0)
			ese_sbuf_printf(sb, "ERROR: page %s checksum failed (block %d: stored 0x%016llx, computed 0x%016llx)\n",
			                where, p->block, (unsigned long long)p->expected, (unsigned long long)p->actual);
		else
			ese_sbuf_printf(sb, "ERROR: page %s checksum failed (stored 0x%016llx, computed 0x%016llx)\n", where,
			                (unsigned long long)p->expected, (unsigned long long)p->actual);
		break;
	}
}
