/*
 * ese_dump.h - the text and JSON renderings of eseutil's dump modes:
 * /mh (header) and /mm (metadata).  Formatting only: the data comes from
 * an open ese_db and its catalog.
 */
#ifndef ESE_DUMP_H
#define ESE_DUMP_H

#include "ese_catalog.h"
#include "ese_db.h"
#include "ese_sbuf.h"

/* The format this toolkit writes and reads best: 0x620, 20, 0, which ESE
 * calls engine format version 8020 (JET_efvWindows10Rtm, sysver.cxx). */
#define ESE_ENGINE_VERSION 0x620u
#define ESE_ENGINE_UPDATE_MAJOR 20u
#define ESE_ENGINE_UPDATE_MINOR 0u
#define ESE_ENGINE_EFV 8020u

/* The /mh body, from "DATABASE HEADER:" (or "DATABASE SHADOW HEADER:")
 * to the last field, in eseutil's labels, order and number formats.
 * both != 0 prints primary and shadow (eseutil /mh /v). */
void ese_dump_header(ese_sbuf *sb, ese_db *db, int both);

/* Lines a recovery engineer must not miss ("WARNING: ..."), one per
 * condition: dirty shutdown and the logs it needs, header copies that
 * differ or fail their checksum, a backup in progress, a log generation
 * of 0xffffffff in a backup field.  Returns the number of warnings. */
int ese_dump_header_warnings(ese_sbuf *sb, ese_db *db);

/* The header as one JSON object (no trailing newline). */
void ese_dump_header_json(ese_sbuf *sb, ese_db *db);

/* The /mm metadata dump: every table with object id, root page, columns
 * (id, name, type, flags, size), indexes (name, key columns, flags) and
 * long-value tree. */
void ese_dump_metadata(ese_sbuf *sb, const ese_catalog *cat);
void ese_dump_metadata_json(ese_sbuf *sb, const ese_catalog *cat);

#endif
