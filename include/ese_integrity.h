/*
 * ese_integrity.h - eseutil /g (structural integrity) and the per-tree
 * statistics eseutil /ms prints.
 *
 * One walk over the database, read-only, that keeps going after every
 * finding: header; the space of every object (database root, tables,
 * indexes, long-value trees) read into a map of which object directly owns
 * which page; every tree the catalog names walked from its root, each page
 * checked (checksum, page number, owner, flags, layout, free-space
 * counters), each tree checked (depth, key order, separators, sibling
 * links, no page twice); then space (owned twice, used and available,
 * used but not owned, leaked), catalog against trees and shadow, and
 * records against their column definitions and long values.
 * Memory: one bit per page plus the extent lists and one page per level;
 * while a large tree is walked in runs (ese_integrity_opts), one more bit
 * per page of that tree's owned range and one page per level per thread.
 */
#ifndef ESE_INTEGRITY_H
#define ESE_INTEGRITY_H

#include <stdint.h>
#include "ese_catalog.h"
#include "ese_db.h"
#include "ese_problem.h"
#include "ese_dbheader.h"

typedef enum ese_tree_kind {
	ESE_TREE_ROOT_SPACE,     /* the database root (page 1) */
	ESE_TREE_TABLE,          /* a table's data (primary index) tree */
	ESE_TREE_INDEX,          /* a secondary index */
	ESE_TREE_LV,             /* a long-value tree */
} ese_tree_kind;

/* What one B-tree holds and owns (one row of /ms). */
typedef struct ese_tree_stats {
	char     *table;          /* owning table's name (NULL for the root) */
	char     *name;           /* index name, "<Long Values>", table name */
	ese_tree_kind kind;
	uint32_t objid, pgno_root, depth;
	uint64_t owned, avail;    /* pages the object owns directly / lists free */
	uint64_t pages, leaf_pages, internal_pages, space_pages;
	uint64_t entries;         /* leaf nodes (records, index entries, LV nodes) */
	uint64_t leaf_bytes_used; /* bytes of leaf pages holding data and tags */
	uint64_t leaf_bytes_free; /* cbFree of leaf pages */
	uint64_t data_bytes;      /* keys + data of leaf nodes */
	uint64_t packed_leaves;   /* leaves the bulk builder would fill at 100%, entry by entry */
	uint64_t packed_cur;      /* (bytes on the last simulated leaf) */
} ese_tree_stats;

typedef struct ese_integrity {
	ese_tree_stats *trees;
	size_t   ntrees;
	uint64_t pages_in_file;   /* database pages (headers excluded) */
	uint64_t pages_used;      /* in some tree, space trees included */
	uint64_t pages_avail;     /* listed as available by some object */
	uint64_t pages_leaked;
	uint64_t pages_unowned;   /* in the file but owned by nothing */
	uint64_t pages_uninit;    /* all-zero pages (when scanned) */
	uint64_t records, lvs;
	int      catalog_ok;      /* the catalog could be read */
	int      threads;         /* threads the walk could use */
	uint32_t trees_split;     /* large trees walked in runs (see ese_integrity_opts) */
	double   seconds;
} ese_integrity;

/* Runs the whole check, reporting through rep.  Returns 0 when the check
 * ran to the end (whatever it found; see rep's counts), or an operational
 * error (out of memory) that stopped it.  res may be NULL. */
int ese_integrity_check(ese_db *db, ese_reporter *rep, ese_integrity *res, ese_status *st);

/* How the walk may use the machine.  A table's or index's tree that owns at
 * least parallel_min_pages pages is walked by `threads` workers, each taking
 * runs of the root's children; the runs are stitched together (sibling
 * links, key order, leaf depth) when all are done.  Any finding at all in
 * such a tree throws the parallel result away and walks the tree again on
 * one thread, so the report is the same whatever the thread count.  The
 * split into runs does not depend on the thread count either (one thread
 * takes the runs in turn), so neither do the statistics. */
typedef struct ese_integrity_opts {
	int threads;                   /* 0: one per CPU, at most 8 */
	uint64_t parallel_min_pages;   /* 0: the default (1024); UINT64_MAX: every tree in one pass */
	int no_estimate;               /* skip the leaf-packing simulation (packed_leaves) that
	                                * ese_tree_estimate_pages needs: /g reports no estimate */
} ese_integrity_opts;

/* ese_integrity_check with options (NULL: the defaults). */
int ese_integrity_check_opts(ese_db *db, const ese_integrity_opts *opts, ese_reporter *rep, ese_integrity *res,
                             ese_status *st);
void ese_integrity_free(ese_integrity *res);

/* Pages the defragmenter would need for tree t at fill factor fill (0-100):
 * leaf data repacked, branch levels and one page per space tree added. */
uint64_t ese_tree_estimate_pages(const ese_tree_stats *t, uint32_t page_size, unsigned fill);

/* Pages of the whole file after defragmentation at fill: every tree's
 * estimate, with the extents the format reserves whatever they hold
 * (MSysObjects and its two indexes 20 pages from page 4, the shadow 5 from
 * page 24), plus the database root and its space trees. */
uint64_t ese_integrity_estimate_total(const ese_integrity *res, uint32_t page_size, unsigned fill);

#endif
