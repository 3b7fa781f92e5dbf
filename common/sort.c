/*
 * sort.c - external merge sort of (key, data) entries (include/ese_sort.h).
 * Order: key bytes (memcmp, shorter first on a tie), then data likewise.
 * A run on disk is a sequence of [u16 klen][u16 dlen][key][data].
 */
#include "ese_sort.h"
#include "bytes.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct run {
	FILE *f;
	uint8_t *buf;                 /* current entry */
	size_t cap;
	size_t klen, dlen;
	int eof;
};

struct ese_sorter {
	size_t limit;
	char *tmpdir;
	uint8_t *mem;                 /* entries */
	size_t used, cap;
	size_t *off;                  /* entry offsets, sorted at spill/finish */
	size_t n, ocap;
	struct run *runs;
	unsigned nruns;
	int *heap;                    /* merge heap of run indices */
	unsigned nheap;
	size_t pos;                   /* in-memory iteration */
	int finished, merging;
	uint64_t count;
	/* entries added in order so far (each >= the one before): then a
	 * buffer needs no sort and the runs no merge, only reading in turn */
	int in_order;
	size_t last;                  /* offset in mem of the last entry added */
	uint8_t *prev;                /* the last entry spilled (compared with the next added) */
	size_t prev_cap;
	int have_prev;
	unsigned cur;                 /* in-order merge: the run being read */
};

#define RUN_BUFFER (1u << 20)     /* stdio buffer of each run file */

static int cmp_entries(const uint8_t *a, const uint8_t *b)
{
	size_t ak = get_le16(a), bk = get_le16(b), ad = get_le16(a + 2), bd = get_le16(b + 2);
	size_t n = ak < bk ? ak : bk;
	int c = n ? memcmp(a + 4, b + 4, n) : 0;
	if (c || ak != bk)
		return c ? c : (ak < bk ? -1 : 1);
	n = ad < bd ? ad : bd;
	c = n ? memcmp(a + 4 + ak, b + 4 + bk, n) : 0;
	return c ? c : (ad < bd ? -1 : ad > bd);
}

/* What the sort compares first: the key's first 8 bytes and, when the key
 * has at most 8 bytes (then key8 and klen order it exactly), the data's
 * first 8; whatever these leave equal is compared in full.  Index entries
 * (short keys, bookmarks of a few bytes) never reach memcmp. */
struct sortent {
	uint64_t key8, data8;
	uint16_t klen, dlen;
	uint32_t full;                /* key or data longer than 8 bytes: ties go to cmp_entries */
	size_t off;
};

#define ENTRY_OVERHEAD (sizeof(size_t) + sizeof(struct sortent) * 3 / 2)

static uint64_t be_prefix(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < 8; i++)
		v = v << 8 | (i < n ? p[i] : 0);
	return v;
}

static int cmp_sortent(const struct sortent *a, const struct sortent *b, const uint8_t *base)
{
	if (a->key8 != b->key8)
		return a->key8 < b->key8 ? -1 : 1;
	if (a->klen <= 8 && b->klen <= 8) {
		if (a->klen != b->klen)
			return a->klen < b->klen ? -1 : 1;
		if (a->data8 != b->data8)
			return a->data8 < b->data8 ? -1 : 1;
		if (a->dlen <= 8 && b->dlen <= 8 && a->dlen != b->dlen)
			return a->dlen < b->dlen ? -1 : 1;
	}
	if (!a->full && !b->full)
		return 0;
	return cmp_entries(base + a->off, base + b->off);
}

static void insertion_sort(struct sortent *v, size_t n, const uint8_t *base)
{
	for (size_t i = 1; i < n; i++) {
		struct sortent x = v[i];
		size_t j = i;
		while (j > 0 && cmp_sortent(&x, &v[j - 1], base) < 0) {
			v[j] = v[j - 1];
			j--;
		}
		v[j] = x;
	}
}

/* Merge sort (stable, n log n whatever the input) through tmp. */
static void merge_sort(struct sortent *v, struct sortent *tmp, size_t n, const uint8_t *base)
{
	if (n <= 24) {
		insertion_sort(v, n, base);
		return;
	}
	size_t h = n / 2;
	merge_sort(v, tmp, h, base);
	merge_sort(v + h, tmp, n - h, base);
	if (cmp_sortent(&v[h - 1], &v[h], base) <= 0)
		return;                   /* already in order */
	memcpy(tmp, v, h * sizeof(*v));
	size_t i = 0, j = h, k = 0;
	while (i < h && j < n)
		v[k++] = cmp_sortent(&v[j], &tmp[i], base) < 0 ? v[j++] : tmp[i++];
	while (i < h)
		v[k++] = tmp[i++];
}

static const uint8_t *sort_base;
static int cmp_off(const void *x, const void *y)
{
	return cmp_entries(sort_base + *(const size_t *)x, sort_base + *(const size_t *)y);
}

static void sort_mem(ese_sorter *s)
{
	if (s->n < 2 || s->in_order)
		return;
	struct sortent *v = malloc(s->n * sizeof(*v)), *tmp = malloc((s->n / 2 + 1) * sizeof(*tmp));
	if (!v || !tmp) {
		/* no memory for the fast path: the plain sort needs none */
		free(v);
		free(tmp);
		sort_base = s->mem;       /* single-threaded use */
		qsort(s->off, s->n, sizeof(size_t), cmp_off);
		return;
	}
	for (size_t i = 0; i < s->n; i++) {
		const uint8_t *e = s->mem + s->off[i];
		size_t kl = get_le16(e), dl = get_le16(e + 2);
		v[i].key8 = be_prefix(e + 4, kl);
		v[i].data8 = be_prefix(e + 4 + kl, dl);
		v[i].klen = (uint16_t)kl;
		v[i].dlen = (uint16_t)dl;
		v[i].full = kl > 8 || dl > 8;
		v[i].off = s->off[i];
	}
	merge_sort(v, tmp, s->n, s->mem);
	for (size_t i = 0; i < s->n; i++)
		s->off[i] = v[i].off;
	free(v);
	free(tmp);
}

int ese_sorter_open(size_t mem_limit, const char *tmpdir, ese_sorter **out, ese_status *st)
{
	*out = NULL;
	ese_sorter *s = calloc(1, sizeof(*s));
	if (!s)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	s->limit = mem_limit < (1u << 20) ? (1u << 20) : mem_limit;
	s->in_order = 1;
	const char *d = tmpdir ? tmpdir : getenv("TMPDIR");
	s->tmpdir = strdup(d && *d ? d : "/tmp");
	if (!s->tmpdir) {
		free(s);
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	*out = s;
	return 0;
}

static int spill(ese_sorter *s, ese_status *st)
{
	sort_mem(s);
	int fd = open(s->tmpdir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		return ese_fail(st, JET_errDiskIO, 0, "%s: cannot make a temporary file: %s", s->tmpdir, strerror(errno));
	FILE *f = fdopen(fd, "w+b");
	struct run *r = realloc(s->runs, (s->nruns + 1) * sizeof(*r));
	if (!f || !r) {
		if (f)
			fclose(f);
		else
			close(fd);
		if (r)
			s->runs = r;
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	s->runs = r;
	memset(&s->runs[s->nruns], 0, sizeof(struct run));
	s->runs[s->nruns++].f = f;
	setvbuf(f, NULL, _IOFBF, RUN_BUFFER);
	/* remember the last entry: the next one added is compared with it */
	if (s->in_order && s->n) {
		const uint8_t *e = s->mem + s->off[s->n - 1];
		size_t len = 4 + get_le16(e) + get_le16(e + 2);
		if (len > s->prev_cap) {
			uint8_t *p = realloc(s->prev, len);
			if (!p)
				return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
			s->prev = p;
			s->prev_cap = len;
		}
		memcpy(s->prev, e, len);
		s->have_prev = 1;
	}
	for (size_t i = 0; i < s->n; i++) {
		const uint8_t *e = s->mem + s->off[i];
		size_t len = 4 + get_le16(e) + get_le16(e + 2);
		if (fwrite(e, 1, len, f) != len)
			return ese_fail(st, errno == ENOSPC ? JET_errDiskFull : JET_errDiskIO, 0,
			                "%s: writing a sort run: %s", s->tmpdir, strerror(errno));
	}
	if (fflush(f) || fseek(f, 0, SEEK_SET))
		return ese_fail(st, errno == ENOSPC ? JET_errDiskFull : JET_errDiskIO, 0, "%s: sort run: %s", s->tmpdir,
		                strerror(errno));
	s->used = 0;
	s->n = 0;
	return 0;
}

int ese_sorter_add(ese_sorter *s, const uint8_t *key, size_t klen, const uint8_t *data, size_t dlen, ese_status *st)
{
	if (klen > 0xFFFF || dlen > 0xFFFF || s->finished)
		return ese_fail(st, JET_errInvalidParameter, 0, "sort entry too large or sorter finished");
	size_t need = 4 + klen + dlen;
	/* the limit counts what sorting the buffer will take besides it: the
	 * offset of each entry and its sort record (with the merge's half) */
	if (s->used + need + (s->n + 1) * ENTRY_OVERHEAD > s->limit && s->n) {
		int err = spill(s, st);
		if (err)
			return err;
	}
	if (s->used + need > s->cap) {
		size_t cap = s->cap ? s->cap : 65536;
		while (cap < s->used + need)
			cap *= 2;
		uint8_t *p = realloc(s->mem, cap);
		if (!p)
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		s->mem = p;
		s->cap = cap;
	}
	if (s->n == s->ocap) {
		size_t oc = s->ocap ? s->ocap * 2 : 4096;
		size_t *p = realloc(s->off, oc * sizeof(*p));
		if (!p)
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		s->off = p;
		s->ocap = oc;
	}
	uint8_t *e = s->mem + s->used;
	put_le16(e, (uint16_t)klen);
	put_le16(e + 2, (uint16_t)dlen);
	if (klen)
		memcpy(e + 4, key, klen);
	if (dlen)
		memcpy(e + 4 + klen, data, dlen);
	if (s->in_order) {
		const uint8_t *before = s->n ? s->mem + s->off[s->n - 1] : s->have_prev ? s->prev : NULL;
		if (before && cmp_entries(before, e) > 0)
			s->in_order = 0;
	}
	s->off[s->n++] = s->used;
	s->used += need;
	s->count++;
	return 0;
}

/* Loads a run's next entry; sets eof at the end.  -1 on a read error. */
static int run_load(struct run *r)
{
	uint8_t h[4];
	size_t got = fread(h, 1, 4, r->f);
	if (got == 0) {
		r->eof = 1;
		return 0;
	}
	if (got != 4)
		return -1;
	r->klen = get_le16(h);
	r->dlen = get_le16(h + 2);
	size_t need = 4 + r->klen + r->dlen;
	if (need > r->cap) {
		uint8_t *p = realloc(r->buf, need);
		if (!p)
			return -1;
		r->buf = p;
		r->cap = need;
	}
	memcpy(r->buf, h, 4);
	if (fread(r->buf + 4, 1, need - 4, r->f) != need - 4)
		return -1;
	return 0;
}

static int heap_less(ese_sorter *s, int a, int b)
{
	return cmp_entries(s->runs[a].buf, s->runs[b].buf) < 0;
}

static void heap_down(ese_sorter *s, unsigned i)
{
	for (;;) {
		unsigned l = 2 * i + 1, r = l + 1, m = i;
		if (l < s->nheap && heap_less(s, s->heap[l], s->heap[m]))
			m = l;
		if (r < s->nheap && heap_less(s, s->heap[r], s->heap[m]))
			m = r;
		if (m == i)
			return;
		int t = s->heap[i];
		s->heap[i] = s->heap[m];
		s->heap[m] = t;
		i = m;
	}
}

int ese_sorter_finish(ese_sorter *s, ese_status *st)
{
	s->finished = 1;
	if (s->nruns == 0) {
		sort_mem(s);
		return 0;
	}
	if (s->n) {
		int err = spill(s, st);
		if (err)
			return err;
	}
	free(s->mem);
	s->mem = NULL;
	s->cap = 0;
	s->merging = 1;
	if (s->in_order) {
		/* every run follows the one before: read them in turn */
		s->cur = 0;
		return 0;
	}
	s->heap = calloc(s->nruns, sizeof(int));
	if (!s->heap)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	for (unsigned i = 0; i < s->nruns; i++) {
		if (run_load(&s->runs[i]))
			return ese_fail(st, JET_errDiskIO, 0, "reading a sort run failed");
		if (!s->runs[i].eof)
			s->heap[s->nheap++] = (int)i;
	}
	for (unsigned i = s->nheap / 2; i-- > 0;)
		heap_down(s, i);
	return 0;
}

int ese_sorter_next(ese_sorter *s, const uint8_t **key, size_t *klen, const uint8_t **data, size_t *dlen,
                    ese_status *st)
{
	if (!s->merging) {
		if (s->pos >= s->n)
			return JET_errRecordNotFound;
		const uint8_t *e = s->mem + s->off[s->pos++];
		*klen = get_le16(e);
		*dlen = get_le16(e + 2);
		*key = e + 4;
		*data = e + 4 + *klen;
		return 0;
	}
	if (s->in_order) {
		while (s->cur < s->nruns) {
			struct run *r = &s->runs[s->cur];
			if (run_load(r))
				return ese_fail(st, JET_errDiskIO, 0, "reading a sort run failed");
			if (!r->eof) {
				*klen = r->klen;
				*dlen = r->dlen;
				*key = r->buf + 4;
				*data = r->buf + 4 + r->klen;
				return 0;
			}
			fclose(r->f);          /* done with it: its space goes back now */
			r->f = NULL;
			s->cur++;
		}
		return JET_errRecordNotFound;
	}
	/* the previous top was consumed by the caller: advance it now */
	if (s->pos) {
		struct run *r = &s->runs[s->heap[0]];
		if (run_load(r))
			return ese_fail(st, JET_errDiskIO, 0, "reading a sort run failed");
		if (r->eof)
			s->heap[0] = s->heap[--s->nheap];
		if (s->nheap)
			heap_down(s, 0);
	}
	if (!s->nheap)
		return JET_errRecordNotFound;
	s->pos = 1;
	struct run *r = &s->runs[s->heap[0]];
	*klen = r->klen;
	*dlen = r->dlen;
	*key = r->buf + 4;
	*data = r->buf + 4 + r->klen;
	return 0;
}

uint64_t ese_sorter_count(const ese_sorter *s) { return s->count; }
unsigned ese_sorter_runs(const ese_sorter *s) { return s->nruns; }

void ese_sorter_close(ese_sorter *s)
{
	if (!s)
		return;
	for (unsigned i = 0; i < s->nruns; i++) {
		if (s->runs[i].f)
			fclose(s->runs[i].f);
		free(s->runs[i].buf);
	}
	free(s->runs);
	free(s->prev);
	free(s->heap);
	free(s->mem);
	free(s->off);
	free(s->tmpdir);
	free(s);
}
