/*
 * ese_corrupt.h - the corruption injector as a function, for unit tests.
 *
 * Compile tests/tools/ese-corrupt.c with -DESE_CORRUPT_NO_MAIN into the
 * test binary and call ese_corrupt_apply on a COPY of a database; the
 * kinds, their arguments and the line they describe themselves with are
 * listed in tests/tools/README.md.
 */
#ifndef ESE_CORRUPT_H
#define ESE_CORRUPT_H

#include <stddef.h>

/* What ese_corrupt_apply returns (and ese-corrupt exits with). */
#define ESE_CORRUPT_DONE      0   /* damaged as described in what */
#define ESE_CORRUPT_ERROR     2   /* usage or I/O error, unreadable database */
#define ESE_CORRUPT_NOT_APPLY 3   /* the kind has no target in this database */

/* Damages the database at path in place, in the way kind names, with the
 * kind's arguments argv[0..argc-1] (none: the kind picks its target, always
 * the same one for the same bytes).  what (capacity whatlen, may be NULL)
 * receives one line without a newline: on success "KIND: page P ...
 * (objid O, table T)", otherwise the reason it did nothing.  The file is
 * written only once the target is found, so after ESE_CORRUPT_NOT_APPLY
 * or a usage error it is unchanged.  No global state: safe to call again
 * on the same or another file. */
int ese_corrupt_apply(const char *kind, const char *path, int argc, char **argv, char *what, size_t whatlen);

#endif
