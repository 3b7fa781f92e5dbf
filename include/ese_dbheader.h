/*
 * ese_dbheader.h - the database file header (DBFILEHDR, ESE daedef.hxx).
 *
 * Page 0 of the file holds the header, page 1 an identical shadow copy.
 * Offsets are in common/dbheader.c next to the code that reads them.
 * Pure codec: decode from / encode to a page-sized buffer, no I/O.
 */
#ifndef ESE_DBHEADER_H
#define ESE_DBHEADER_H

#include <stddef.h>
#include <stdint.h>
#include "ese_error.h"

#define ESE_DB_MAGIC 0x89ABCDEFu
#define ESE_DBHDR_SIZE 748u       /* bytes of the page the header uses */

/* Database states (jethdr.w JET_dbstate*). */
enum {
	ESE_DBSTATE_JUST_CREATED = 1,
	ESE_DBSTATE_DIRTY = 2,
	ESE_DBSTATE_CLEAN = 3,
	ESE_DBSTATE_BEING_CONVERTED = 4,
	ESE_DBSTATE_FORCE_DETACH = 5,
	ESE_DBSTATE_INC_RESEED = 6,
	ESE_DBSTATE_DIRTY_PATCHED = 7,
	ESE_DBSTATE_REVERT = 8,
};

typedef struct ese_logtime {      /* LOGTIME, 8 bytes */
	uint8_t sec, min, hour, day, month, year;   /* year - 1900 */
	uint8_t b6, b7;                  /* b6 bit0: UTC; ms = (b6>>1) | ((b7>>1)&7)<<7 */
} ese_logtime;

typedef struct ese_signature {    /* SIGNATURE, 28 bytes */
	uint32_t random;
	ese_logtime created;
	char computer[17];               /* NUL-terminated */
} ese_signature;

typedef struct ese_lgpos {        /* LGPOS, 8 bytes */
	uint16_t ib, isec;
	int32_t  gen;
} ese_lgpos;

typedef struct ese_bkinfo {       /* BKINFO, 24 bytes */
	ese_lgpos   mark;
	ese_logtime mark_time;
	uint32_t    gen_low, gen_high;
} ese_bkinfo;

typedef struct ese_dbheader {
	uint32_t checksum;            /* 0 */
	uint32_t magic;               /* 4 */
	uint32_t version;             /* 8 */
	uint32_t attrib;              /* 12: 0 for a database */
	uint64_t dbtime;              /* 16 */
	ese_signature sign_db;        /* 24 */
	uint32_t state;               /* 52 */
	ese_lgpos lgpos_consistent;   /* 56 */
	ese_logtime time_consistent;  /* 64 */
	ese_logtime time_attach;      /* 72 */
	ese_lgpos lgpos_attach;       /* 80 */
	ese_logtime time_detach;      /* 88 */
	ese_lgpos lgpos_detach;       /* 96 */
	uint32_t dbid;                /* 104 */
	ese_signature sign_log;       /* 108 */
	ese_bkinfo bk_full_prev;      /* 136 */
	ese_bkinfo bk_inc_prev;       /* 160 */
	ese_bkinfo bk_full_cur;       /* 184 */
	uint32_t db_flags;            /* 208: byte0 bit0 shadowing disabled */
	uint32_t objid_last;          /* 212 */
	uint32_t os_major, os_minor, os_build, os_sp;  /* 216..231 */
	uint32_t update_major;        /* 232 */
	uint32_t page_size;           /* 236 (0 = 4096) */
	uint32_t repair_count;        /* 240 */
	ese_logtime time_repair;      /* 244 */
	uint64_t dbtime_scrub;        /* 280 */
	ese_logtime time_scrub;       /* 288 */
	int32_t  gen_min_required;    /* 296 */
	int32_t  gen_max_required;    /* 300 */
	uint32_t cpg_upgrade_55;      /* 304 */
	uint32_t cpg_upgrade_free;    /* 308 */
	uint32_t cpg_upgrade_space;   /* 312 */
	ese_bkinfo bk_snapshot_cur;   /* 316 */
	uint32_t create_version;      /* 340 */
	uint32_t create_update;       /* 344 */
	ese_logtime time_gen_max_create; /* 348 */
	uint32_t bk_type_full_prev;   /* 356 */
	uint32_t bk_type_inc_prev;    /* 360 */
	uint32_t repair_count_old;    /* 364 */
	uint32_t ecc_fix_success;     /* 368 */
	ese_logtime time_ecc_fix_success; /* 372 */
	uint32_t ecc_fix_success_old; /* 380 */
	uint32_t ecc_fix_error;       /* 384 */
	ese_logtime time_ecc_fix_error; /* 388 */
	uint32_t ecc_fix_error_old;   /* 396 */
	uint32_t bad_checksum;        /* 400 */
	ese_logtime time_bad_checksum; /* 404 */
	uint32_t bad_checksum_old;    /* 412 */
	int32_t  gen_max_committed;   /* 416 */
	ese_bkinfo bk_copy_prev;      /* 420 */
	ese_bkinfo bk_diff_prev;      /* 444 */
	uint32_t bk_type_copy_prev;   /* 468 */
	uint32_t bk_type_diff_prev;   /* 472 */
	uint32_t reseed_count;        /* 476 */
	ese_logtime time_reseed;      /* 480 */
	uint32_t reseed_count_old;    /* 488 */
	uint32_t patch_count;         /* 492 */
	ese_logtime time_patch;       /* 496 */
	uint32_t patch_count_old;     /* 504 */
	uint64_t sort_version;        /* 508 */
	ese_logtime time_dbscan_prev; /* 516 */
	ese_logtime time_dbscan_start;/* 524 */
	uint32_t pgno_dbscan_highest_cont; /* 532 */
	int32_t  gen_recovering;      /* 536 */
	uint32_t extend_count;        /* 540 */
	ese_logtime time_extend;      /* 544 */
	uint32_t shrink_count;        /* 552 */
	ese_logtime time_shrink;      /* 556 */
	ese_logtime time_last_reattach; /* 564 */
	ese_lgpos lgpos_last_reattach;/* 572 */
	uint32_t trim_count;          /* 580 */
	ese_signature sign_hdr_flush; /* 584 */
	ese_signature sign_flushmap_flush; /* 612 */
	int32_t  gen_min_consistent;  /* 640 */
	uint32_t update_minor;        /* 644 */
	uint32_t efv_max_attach;      /* 648 */
	uint32_t pgno_dbscan_highest; /* 652 */
	ese_lgpos lgpos_last_resize;  /* 656 */
	uint32_t file_type;           /* 667 (unaligned): 1 = database */
	ese_logtime time_gen_max_required; /* 672 */
	int32_t  gen_pre_redo_min_consistent; /* 680 */
	int32_t  gen_pre_redo_min_required;   /* 684 */
	ese_signature sign_rbs_flush; /* 688 */
	uint32_t revert_count;        /* 716 */
	ese_logtime time_revert_from; /* 720 */
	ese_logtime time_revert_to;   /* 728 */
	uint32_t revert_pages;        /* 736 */
	ese_lgpos lgpos_commit_before_revert; /* 740 */
} ese_dbheader;

/* Decodes a header page (at least ESE_DBHDR_SIZE bytes).  Only checks that
 * the buffer is large enough; validity is ese_dbheader_check's job. */
int ese_dbheader_decode(ese_dbheader *h, const uint8_t *buf, size_t len);

/* Encodes h into a zeroed page of size bytes and sets its checksum. */
void ese_dbheader_encode(const ese_dbheader *h, uint8_t *page, size_t size);

/* Checks one header copy: magic, checksum over the page, attrib, page size.
 * Returns 0, JET_errInvalidDatabase (bad magic / not a database),
 * JET_errDatabaseCorrupted (checksum) or JET_errInvalidDatabaseVersion. */
int ese_dbheader_check(const uint8_t *page, size_t size, ese_status *st);

/* The page size a header declares (0 is 4096); 0 if it is not one of
 * 2, 4, 8, 16, 32 KiB. */
uint32_t ese_dbheader_page_size(const ese_dbheader *h);

/* eseutil's name for a state ("Clean Shutdown", ... "Illegal"). */
const char *ese_dbstate_name(uint32_t state);

/* Milliseconds of a LOGTIME. */
unsigned ese_logtime_ms(const ese_logtime *t);

/* The current time as a LOGTIME (UTC flag set, milliseconds kept). */
void ese_logtime_now(ese_logtime *t);

#endif
