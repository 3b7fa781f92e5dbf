/*
 * ese_checkscan.h - eseutil /k: verify the checksum of every page.
 *
 * Reads the file sequentially in large blocks with worker threads (memory
 * is a few blocks, whatever the file size), never stops at a bad page,
 * and never writes: single-bit errors are located and counted as
 * correctable, not fixed on disk.
 */
#ifndef ESE_CHECKSCAN_H
#define ESE_CHECKSCAN_H

#include <stdint.h>
#include <stddef.h>
#include "ese_db.h"
#include "ese_sbuf.h"

typedef enum ese_pageproblem {
	ESE_PP_BAD_CHECKSUM = 1,   /* mismatch, not correctable */
	ESE_PP_CORRECTABLE,        /* one bit wrong; ECC locates it */
	ESE_PP_WRONG_PGNO,         /* page written at another page's offset */
	ESE_PP_TRUNCATED,          /* partial page, or pages the space tree owns past EOF */
	ESE_PP_READ_ERROR,         /* the read itself failed */
	ESE_PP_HEADER_BAD,         /* a header copy fails its checksum */
	ESE_PP_UNINIT_IN_USE,      /* all zero, yet no space tree lists it as free */
} ese_pageproblem;

typedef struct ese_badpage {
	int64_t  pgno;             /* -1 primary header, 0 shadow header, else page */
	uint32_t kind;             /* ese_pageproblem */
	int      block;            /* failing ECC block, -1 if n/a */
	uint32_t bit;              /* CORRECTABLE: bit offset in the page */
	uint32_t other;            /* WRONG_PGNO: the page it holds; TRUNCATED: last missing page */
	uint64_t expected, actual;
} ese_badpage;

typedef struct ese_checkscan {
	uint64_t pages_seen;       /* database pages examined (headers excluded) */
	uint64_t bad;              /* bad checksums (incl. wrong pgno) */
	uint64_t correctable;
	uint64_t uninit;
	uint64_t wrong_pgno;
	uint64_t truncated;        /* pages missing or partial at the end */
	uint64_t read_errors;
	uint64_t header_bad;       /* header copies with a bad checksum */
	uint64_t uninit_in_use;    /* all-zero pages the space trees say are in use */
	int      uninit_unchecked; /* the catalog or a space tree could not be read,
	                            * so all-zero pages were not classified */
	uint64_t highest_dbtime;
	uint32_t highest_dbtime_pgno;
	uint64_t reads, bytes_read;
	double   seconds, slowest_read, fastest_read;
	ese_badpage *problems;     /* sorted by pgno */
	size_t   nproblems;
	int      threads;
} ese_checkscan;

/* Scans every page of db.  threads <= 0 means one per online CPU (at most
 * 8).  Returns 0 when the scan ran (whatever it found), or an error that
 * stopped it (out of memory).  Free res with ese_checkscan_free. */
int ese_checkscan_run(ese_db *db, int threads, ese_checkscan *res, ese_status *st);
void ese_checkscan_free(ese_checkscan *res);

/* One line per problem, eseutil style ("ERROR: page 7 checksum failed"). */
void ese_checkscan_problem_text(ese_sbuf *sb, const ese_badpage *p);

#endif
