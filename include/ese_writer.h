/*
 * ese_writer.h - write a new database file: pages, space and header.
 *
 * The writer owns the file being made (under a temporary name beside the
 * target, created O_EXCL with mode 0600, renamed into place by
 * ese_writer_commit only after everything was written and fsynced), the
 * dbtime counter, and the space of every object (B-tree) in it.
 *
 * Space follows ESE's hierarchy: the database root (objid 1, page 1) owns
 * every page of the file; tables take extents from the root; indexes and
 * long-value trees take extents from their table.  Every object is a
 * multiple-extent tree (its root page is the first page of its first
 * extent, pgnoFDP; its owned-extent tree root is pgnoFDP+1 and its
 * available-extent tree root pgnoFDP+2) unless made single-extent, as ESE
 * keeps small trees: one extent of up to 33 pages, its free pages a bitmap
 * in the root's space header, no space trees, until it needs more (then it
 * is converted: space-tree roots in a new extent from its parent).  Pages are handed out in order, so
 * one tree's pages are contiguous runs.  The space trees are written by
 * ese_writer_commit, each in one page (the writer refuses an object whose
 * extents would not fit one page: it never makes that many).
 */
#ifndef ESE_WRITER_H
#define ESE_WRITER_H

#include <stddef.h>
#include <stdint.h>
#include "ese_dbheader.h"
#include "ese_error.h"

typedef struct ese_writer ese_writer;
typedef struct ese_wobj ese_wobj;

#define ESE_CREATE_REPLACE 1u     /* replace an existing file at the target path */
#define ESE_CREATE_PRIVATE 2u     /* keep the file mode 0600 (else 0666 less the umask at commit) */

/* Starts a database of page_size bytes (2048 .. 32768) to be placed at
 * path.  seed makes the signature and times deterministic (same seed, same
 * bytes).  Refuses an existing path unless ESE_CREATE_REPLACE (then the old
 * file is only replaced by the rename at commit).  Errors: JET_errInvalidParameter
 * (page size), JET_errFileAccessDenied, JET_errInvalidPath (exists), JET_errDiskIO. */
int ese_writer_create(const char *path, uint32_t page_size, unsigned flags, uint64_t seed, ese_writer **out,
                      ese_status *st);

/* Discards everything: removes the temporary file, frees w. */
void ese_writer_abort(ese_writer *w);

/* Writes the space trees and root of every object, the header and its
 * shadow, fsyncs, renames over the target and fsyncs the directory.  Frees
 * w whatever the result; on failure nothing is left under either name. */
int ese_writer_commit(ese_writer *w, ese_status *st);

uint32_t ese_writer_page_size(const ese_writer *w);
ese_dbheader *ese_writer_header(ese_writer *w);   /* fields the caller may set before commit */
const char *ese_writer_temp_path(const ese_writer *w);

/* The database root object (objid 1, page 1). */
ese_wobj *ese_writer_root(ese_writer *w);

/* Creates an object (a tree) taking its space from parent.  fixed_fdp is
 * its root page when the format fixes it (4, 7, 10, 24), else 0; then the
 * first extent, of at least `initial` pages (>= 3), is the next free run of
 * the parent.  type_flags: ESE_PF_INDEX / LONG_VALUE / NON_UNIQUE as the
 * tree's pages carry them.  NULL on error (st says why). */
ese_wobj *ese_writer_object(ese_writer *w, ese_wobj *parent, uint32_t objid, uint32_t fixed_fdp,
                            uint32_t initial, uint32_t type_flags, ese_status *st);

/* A single-extent object of `pages` pages (1 .. 33) taken from parent:
 * its root is the first, the others are available to it and its
 * children.  It turns multiple-extent when a page or a run is asked of it
 * that its extent no longer has.  NULL on error. */
ese_wobj *ese_writer_object_single(ese_writer *w, ese_wobj *parent, uint32_t objid, uint32_t pages,
                                   uint32_t type_flags, ese_status *st);

uint32_t ese_wobj_fdp(const ese_wobj *o);
uint32_t ese_wobj_objid(const ese_wobj *o);
uint32_t ese_wobj_type_flags(const ese_wobj *o);

/* The 16-byte space header for o's root page (tag 0). */
void ese_wobj_space_header(const ese_wobj *o, uint8_t out[16]);

/* A page for o's tree (not its root, which is pgnoFDP).  0 on error. */
uint32_t ese_wobj_alloc_page(ese_wobj *o, ese_status *st);

/* The next dbtime to stamp on a page. */
uint64_t ese_writer_next_dbtime(ese_writer *w);

/* Writes page as page pgno, checksummed for it on the way out (page itself
 * may get it too): pages put at consecutive numbers are gathered
 * (up to 1 MiB) and checksummed and written together by a thread of the
 * writer's own while the next run gathers, so a write error
 * (JET_errDiskFull / DiskIO) may surface at a later put or at commit,
 * always before anything is renamed into place. */
int ese_writer_put_page(ese_writer *w, uint32_t pgno, uint8_t *page, ese_status *st);

/* Commit adds the seconds it spends in fsync to *seconds (for /d's
 * report: its speed is measured without them). */
void ese_writer_time_syncs(ese_writer *w, double *seconds);

/* The bulk builder calls this once it has written o's root page, so that
 * commit does not write an empty root there. */
void ese_wobj_root_written(ese_wobj *o);
#endif
