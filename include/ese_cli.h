/*
 * ese_cli.h - the command-line contract shared by eseutil and isinteg.
 *
 * Exit status is a set of OR-able bits in the fsck tradition, because a
 * negative JET error cannot be a process exit status on Linux.  The JET
 * error itself is printed in the closing line and in --json output.
 *
 *   0   clean: the operation completed and found nothing wrong
 *   1   problems were found and fixed
 *   4   problems were found and left unfixed (e.g. bad checksums under /k)
 *   8   operational error: the operation could not be completed (missing
 *       file, not a database, unreadable catalog, I/O error, ...)
 *   16  usage error
 */
#ifndef ESE_CLI_H
#define ESE_CLI_H

#include <stdio.h>
#include "ese_sbuf.h"

#define ESE_EXIT_OK        0
#define ESE_EXIT_FIXED     1
#define ESE_EXIT_UNFIXED   4
#define ESE_EXIT_OPERROR   8
#define ESE_EXIT_USAGE     16

/* Monotonic seconds, for the closing line's timing. */
double ese_now(void);

/* eseutil's closing lines (ESEUTIL-REFERENCE section 6), preceded by a
 * blank line:
 *   err == 0:  "Operation completed successfully in S.M seconds."
 *   err > 0:   "Operation completed successfully with N (JET_wrn..., desc) after S.M seconds."
 *   err < 0:   "Operation terminated with error N (JET_err..., desc) after S.M seconds."
 * S.M is seconds and un-padded milliseconds, as eseutil prints them. */
void ese_print_closing(FILE *f, int err, double seconds);

/* Turns SIGBUS (a mapped database file truncated by another program while
 * it is read) into one line on stderr naming prog and file, then exit
 * ESE_EXIT_OPERROR, instead of a crash.  file must outlive the run. */
void ese_cli_catch_sigbus(const char *prog, const char *file);

/* Appends "seconds.milliseconds" in eseutil's un-padded style. */
void ese_sbuf_eseutil_time(ese_sbuf *sb, double seconds);

#endif
