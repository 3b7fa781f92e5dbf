/*
 * headerdump.c - eseutil /mh: the header as eseutil prints it
 * (ESEUTIL-REFERENCE section 2: labels right-aligned, exact order, LOGTIME
 * as MM/DD/YYYY hh:mm:ss.mmm UTC|LOC, LGPOS as (0xGEN,SEC,IB)), its
 * warnings, and a JSON form for scripts.
 */
#include "ese_dump.h"

#include <inttypes.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>

static void logtime(ese_sbuf *sb, const ese_logtime *t)
{
	ese_sbuf_printf(sb, "%02d/%02d/%04d %02d:%02d:%02d.%3.3u %s", t->month, t->day, t->year + 1900, t->hour,
	                t->min, t->sec, ese_logtime_ms(t), (t->b6 & 1) ? "UTC" : "LOC");
}

static void signature(ese_sbuf *sb, const ese_signature *s)
{
	const ese_logtime *t = &s->created;
	ese_sbuf_printf(sb, "Create time:%02d/%02d/%04d %02d:%02d:%02d.%3.3u Rand:%" PRIu32 " Computer:%s", t->month,
	                t->day, t->year + 1900, t->hour, t->min, t->sec, ese_logtime_ms(t), s->random, s->computer);
}

static void lgpos(ese_sbuf *sb, const ese_lgpos *l)
{
	ese_sbuf_printf(sb, "(0x%X,%X,%X)", (unsigned)l->gen, l->isec, l->ib);
}

static void lgpos_time(ese_sbuf *sb, const char *label, const ese_lgpos *l, const ese_logtime *t)
{
	ese_sbuf_printf(sb, "%s", label);
	lgpos(sb, l);
	ese_sbuf_puts(sb, "  ");
	logtime(sb, t);
	ese_sbuf_putc(sb, '\n');
}

static void line_time(ese_sbuf *sb, const char *label, const ese_logtime *t)
{
	ese_sbuf_puts(sb, label);
	logtime(sb, t);
	ese_sbuf_putc(sb, '\n');
}

static void bkinfo(ese_sbuf *sb, const char *title, const ese_bkinfo *b, uint32_t type)
{
	ese_sbuf_printf(sb, "\n%s\n        Log Gen: %u-%u (0x%x-0x%x)", title, b->gen_low, b->gen_high, b->gen_low,
	                b->gen_high);
	if (type == 1)
		ese_sbuf_puts(sb, " - OSSnapshot");
	else if (type == 2)
		ese_sbuf_puts(sb, " - Snapshot");
	else if (type != 0)
		ese_sbuf_puts(sb, " - UNKNOWN");
	ese_sbuf_puts(sb, "\n           Mark: ");
	lgpos(sb, &b->mark);
	ese_sbuf_puts(sb, "\n           Mark: ");
	logtime(sb, &b->mark_time);
	ese_sbuf_putc(sb, '\n');
}

static void counter(ese_sbuf *sb, const char *label, uint32_t n)
{
	if (n)
		ese_sbuf_printf(sb, "%sfound (%u)\n", label, n);
	else
		ese_sbuf_printf(sb, "%snone\n", label);
}

static void fields(ese_sbuf *sb, const ese_dbheader *h, uint32_t stored, uint32_t actual)
{
	ese_sbuf_printf(sb, "Checksum Information:\nExpected Checksum: 0x%08x\n  Actual Checksum: 0x%08x\n\nFields:\n",
	                stored, actual);
	ese_sbuf_printf(sb, "        File Type: %s\n", h->attrib == 0 ? "Database" : "UNKNOWN");
	ese_sbuf_printf(sb, "         Checksum: 0x%x\n", h->checksum);
	ese_sbuf_printf(sb, "   Format ulMagic: 0x%x\n", h->magic);
	ese_sbuf_printf(sb, "   Engine ulMagic: 0x%x\n", ESE_DB_MAGIC);
	ese_sbuf_printf(sb, " Format ulVersion: 0x%x,%u,%u  (attached by %u)\n", h->version, h->update_major,
	                h->update_minor, h->efv_max_attach);
	ese_sbuf_printf(sb, " Engine ulVersion: 0x%x,%u,%u  (efvCurrent = %u)\n", ESE_ENGINE_VERSION,
	                ESE_ENGINE_UPDATE_MAJOR, ESE_ENGINE_UPDATE_MINOR, ESE_ENGINE_EFV);
	ese_sbuf_printf(sb, "Created ulVersion: 0x%x,%u\n", h->create_version, h->create_update);
	ese_sbuf_puts(sb, "     DB Signature: ");
	signature(sb, &h->sign_db);
	ese_sbuf_printf(sb, "\n         cbDbPage: %u\n", h->page_size ? h->page_size : 4096);
	ese_sbuf_printf(sb, "           dbtime: %" PRIu64 " (0x%" PRIx64 ")\n", h->dbtime, h->dbtime);
	ese_sbuf_printf(sb, "            State: %s\n", ese_dbstate_name(h->state));
	uint32_t gmin = (uint32_t)h->gen_min_required, gmax = (uint32_t)h->gen_max_required;
	uint32_t gpre = (uint32_t)h->gen_pre_redo_min_required;
	ese_sbuf_printf(sb, "     Log Required: %u-%u (0x%x-0x%x) [Min. Req. Pre-Redo: %u (0x%x)]\n", gmin, gmax, gmin,
	                gmax, gpre, gpre);
	line_time(sb, "Gen. Max. Req. Creation Time: ", &h->time_gen_max_required);
	uint32_t gcom = (uint32_t)h->gen_max_committed;
	ese_sbuf_printf(sb, "    Log Committed: 0-%u (0x0-0x%x)\n", gcom, gcom);
	line_time(sb, "Gen. Max. Com. Creation Time: ", &h->time_gen_max_create);
	uint32_t gcons = (uint32_t)h->gen_min_consistent, gpc = (uint32_t)h->gen_pre_redo_min_consistent;
	ese_sbuf_printf(sb, "   Log Consistent: %u (0x%x) [Pre-Redo: %u (0x%x)]\n", gcons, gcons, gpc, gpc);
	uint32_t grec = (uint32_t)h->gen_recovering;
	ese_sbuf_printf(sb, "   Log Recovering: %u (0x%x)\n", grec, grec);
	ese_sbuf_printf(sb, "         Shadowed: %s\n", (h->db_flags & 1) ? "No" : "Yes");
	ese_sbuf_printf(sb, "       Last Objid: %u\n", h->objid_last);
	ese_sbuf_printf(sb, "     Scrub Dbtime: %" PRIu64 " (0x%" PRIx64 ")\n", h->dbtime_scrub, h->dbtime_scrub);
	line_time(sb, "       Scrub Date: ", &h->time_scrub);
	ese_sbuf_printf(sb, "     Repair Count: %u\n", h->repair_count);
	line_time(sb, "      Repair Date: ", &h->time_repair);
	ese_sbuf_printf(sb, " Old Repair Count: %u\n", h->repair_count_old);
	lgpos_time(sb, "  Last Consistent: ", &h->lgpos_consistent, &h->time_consistent);
	lgpos_time(sb, "      Last Attach: ", &h->lgpos_attach, &h->time_attach);
	lgpos_time(sb, "      Last Detach: ", &h->lgpos_detach, &h->time_detach);
	lgpos_time(sb, "    Last ReAttach: ", &h->lgpos_last_reattach, &h->time_last_reattach);
	ese_sbuf_printf(sb, "             Dbid: %u\n", h->dbid);
	ese_sbuf_puts(sb, "    Log Signature: ");
	signature(sb, &h->sign_log);
	ese_sbuf_printf(sb, "\n       OS Version: (%u.%u.%u SP %u NLS %x.%x)\n", h->os_major, h->os_minor, h->os_build,
	                h->os_sp, (uint32_t)(h->sort_version >> 32), (uint32_t)h->sort_version);
	if (h->reseed_count || h->reseed_count_old || h->patch_count || h->patch_count_old) {
		ese_sbuf_printf(sb, "     Reseed Count: %u\n", h->reseed_count);
		line_time(sb, "      Reseed Date: ", &h->time_reseed);
		ese_sbuf_printf(sb, " Old Reseed Count: %u\n", h->reseed_count_old);
		ese_sbuf_printf(sb, "      Patch Count: %u\n", h->patch_count);
		line_time(sb, "       Patch Date: ", &h->time_patch);
		ese_sbuf_printf(sb, "  Old Patch Count: %u\n", h->patch_count_old);
	}
	bkinfo(sb, "Previous Full Backup:", &h->bk_full_prev, h->bk_type_full_prev);
	bkinfo(sb, "Previous Incremental Backup:", &h->bk_inc_prev, h->bk_type_inc_prev);
	bkinfo(sb, "Previous Copy Backup:", &h->bk_copy_prev, h->bk_type_copy_prev);
	bkinfo(sb, "Previous Differential Backup:", &h->bk_diff_prev, h->bk_type_diff_prev);
	bkinfo(sb, "Current Full Backup:", &h->bk_full_cur, 0);
	bkinfo(sb, "Current Shadow copy backup:", &h->bk_snapshot_cur, 0);
	ese_sbuf_printf(sb, "\n     cpgUpgrade55Format: %d\n    cpgUpgradeFreePages: %d\ncpgUpgradeSpaceMapPages: %d\n",
	                (int)h->cpg_upgrade_55, (int)h->cpg_upgrade_free, (int)h->cpg_upgrade_space);
	ese_sbuf_puts(sb, "\n      Last Resize: ");
	lgpos(sb, &h->lgpos_last_resize);
	if (!memcmp(&h->lgpos_last_resize, &h->lgpos_attach, sizeof(ese_lgpos)))
		ese_sbuf_puts(sb, "  (Matches \"Last Attach\", no subsequent resize)");
	else if (!memcmp(&h->lgpos_last_resize, &h->lgpos_consistent, sizeof(ese_lgpos)))
		ese_sbuf_puts(sb, "  (Matches \"Last Consistent\", no subsequent resize)");
	ese_sbuf_printf(sb, "\n\n     Extend Count: %u\n", h->extend_count);
	line_time(sb, "      Extend Date: ", &h->time_extend);
	ese_sbuf_printf(sb, "\n     Shrink Count: %u\n", h->shrink_count);
	line_time(sb, "      Shrink Date: ", &h->time_shrink);
	ese_sbuf_printf(sb, "\n       Trim Count: %u\n", h->trim_count);
	if (h->file_type == 1) {
		ese_sbuf_putc(sb, '\n');
		counter(sb, "       ECC Fix Success Count: ", h->ecc_fix_success);
		counter(sb, "   Old ECC Fix Success Count: ", h->ecc_fix_success_old);
		counter(sb, "         ECC Fix Error Count: ", h->ecc_fix_error);
		counter(sb, "     Old ECC Fix Error Count: ", h->ecc_fix_error_old);
		counter(sb, "    Bad Checksum Error Count: ", h->bad_checksum);
		counter(sb, "Old bad Checksum Error Count: ", h->bad_checksum_old);
		if (h->ecc_fix_success)
			line_time(sb, "   Last ECC Fix Success Date: ", &h->time_ecc_fix_success);
		if (h->ecc_fix_error)
			line_time(sb, "     Last ECC Fix Error Date: ", &h->time_ecc_fix_error);
		if (h->bad_checksum)
			line_time(sb, "Last Bad Checksum Error Date: ", &h->time_bad_checksum);
		ese_sbuf_putc(sb, '\n');
		line_time(sb, "  Last Database Maintenance Finish Date: ", &h->time_dbscan_prev);
		line_time(sb, "Current Database Maintenance Start Date: ", &h->time_dbscan_start);
		ese_sbuf_printf(sb, "      Highest Continuous Database Maintenance Page: %u\n",
		                h->pgno_dbscan_highest_cont);
		ese_sbuf_printf(sb, "      Highest Database Maintenance Page: %u\n", h->pgno_dbscan_highest);
	}
	ese_sbuf_puts(sb, "\n  Database Header Flush Signature: ");
	signature(sb, &h->sign_hdr_flush);
	ese_sbuf_puts(sb, "\n Flush Map Header Flush Signature: ");
	signature(sb, &h->sign_flushmap_flush);
	ese_sbuf_puts(sb, "\n       RBS Header Flush Signature: ");
	signature(sb, &h->sign_rbs_flush);
	ese_sbuf_putc(sb, '\n');
	if (h->revert_count) {
		ese_sbuf_printf(sb, "     Revert Count: %u\n", h->revert_count);
		line_time(sb, " Revert From Date: ", &h->time_revert_from);
		line_time(sb, "   Revert To Date: ", &h->time_revert_to);
		ese_sbuf_printf(sb, "Revert Page Count: %u\n", h->revert_pages);
		ese_sbuf_puts(sb, "Last Commit Before Revert: ");
		lgpos(sb, &h->lgpos_commit_before_revert);
		ese_sbuf_putc(sb, '\n');
	}
}

/* Reads header copy `which` (0 primary, 1 shadow) from the file. */
static int read_copy(ese_db *db, int which, ese_dbheader *h, uint32_t *stored, uint32_t *actual)
{
	const ese_header_state *hs = ese_db_header_state(db);
	uint32_t ps = ese_db_page_size(db);
	uint8_t page[32768];
	if (pread(ese_db_fd(db), page, ps, (off_t)which * ps) != (ssize_t)ps)
		return -1;
	ese_dbheader_decode(h, page, ps);
	*stored = which ? hs->shadow_checksum_stored : hs->primary_checksum_stored;
	*actual = which ? hs->shadow_checksum_actual : hs->primary_checksum_actual;
	return 0;
}

void ese_dump_header(ese_sbuf *sb, ese_db *db, int both)
{
	const ese_header_state *hs = ese_db_header_state(db);
	ese_dbheader h;
	uint32_t stored, actual;
	if (!hs->using_shadow || both) {
		if (read_copy(db, 0, &h, &stored, &actual) == 0) {
			ese_sbuf_puts(sb, "\nDATABASE HEADER:\n");
			fields(sb, &h, stored, actual);
		}
	}
	if (hs->using_shadow || both) {
		if (read_copy(db, 1, &h, &stored, &actual) == 0) {
			ese_sbuf_puts(sb, "\nDATABASE SHADOW HEADER:\n");
			fields(sb, &h, stored, actual);
		}
	}
}

int ese_dump_header_warnings(ese_sbuf *sb, ese_db *db)
{
	const ese_header_state *hs = ese_db_header_state(db);
	const ese_dbheader *h = ese_db_header(db);
	int n = 0;
	if (!hs->identical) {
		ese_sbuf_puts(sb, "WARNING: primary header and shadow header are not identical.\n");
		n++;
	}
	if (hs->primary_checksum_stored != hs->primary_checksum_actual) {
		ese_sbuf_puts(sb, hs->primary_checksum_stored ? "WARNING: primary header has a checksum error.\n"
		                                               : "WARNING: primary header has a zeroed checksum.\n");
		n++;
	}
	if (hs->shadow_checksum_stored != hs->shadow_checksum_actual) {
		ese_sbuf_puts(sb, hs->shadow_checksum_stored ? "WARNING: shadow header has a checksum error.\n"
		                                              : "WARNING: shadow header has a zeroed checksum.\n");
		n++;
	}
	if (ese_db_page_size(db) == 2048) {
		ese_sbuf_puts(sb, "WARNING: this is a legacy database using a 2KB page size.\n");
		n++;
	}
	if (h->state != ESE_DBSTATE_CLEAN) {
		uint32_t lo = (uint32_t)h->gen_min_required, hi = (uint32_t)h->gen_max_required;
		if (h->state == ESE_DBSTATE_DIRTY || h->state == ESE_DBSTATE_DIRTY_PATCHED)
			ese_sbuf_printf(sb,
			                "WARNING: the database is in %s state: soft recovery must replay log generations "
			                "%u-%u (0x%x-0x%x) before it can be defragmented or repaired.\n",
			                ese_dbstate_name(h->state), lo, hi, lo, hi);
		else
			ese_sbuf_printf(sb, "WARNING: the database is in state %u (%s), not Clean Shutdown.\n", h->state,
			                ese_dbstate_name(h->state));
		n++;
	}
	if (h->bk_full_cur.gen_low != 0 && h->bk_full_cur.gen_high == 0) {
		ese_sbuf_printf(sb, "WARNING: a full backup is in progress (Current Full Backup from log generation %u).\n",
		                h->bk_full_cur.gen_low);
		n++;
	}
	static const struct { const char *name; size_t off; } bk[] = {
		{ "Previous Full Backup", offsetof(ese_dbheader, bk_full_prev) },
		{ "Previous Incremental Backup", offsetof(ese_dbheader, bk_inc_prev) },
		{ "Previous Copy Backup", offsetof(ese_dbheader, bk_copy_prev) },
		{ "Previous Differential Backup", offsetof(ese_dbheader, bk_diff_prev) },
		{ "Current Full Backup", offsetof(ese_dbheader, bk_full_cur) },
		{ "Current Shadow copy backup", offsetof(ese_dbheader, bk_snapshot_cur) },
	};
	for (size_t i = 0; i < sizeof(bk) / sizeof(bk[0]); i++) {
		const ese_bkinfo *b = (const ese_bkinfo *)((const char *)h + bk[i].off);
		if (b->gen_low == 0xFFFFFFFFu || b->gen_high == 0xFFFFFFFFu) {
			ese_sbuf_printf(sb,
			                "WARNING: %s: Log Gen %u-%u (0x%x-0x%x) contains generation 0xffffffff; the backup "
			                "record is not usable.\n",
			                bk[i].name, b->gen_low, b->gen_high, b->gen_low, b->gen_high);
			n++;
		}
	}
	return n;
}

static void json_time(ese_sbuf *sb, const char *key, const ese_logtime *t)
{
	ese_sbuf_printf(sb, "\"%s\":\"%04d-%02d-%02dT%02d:%02d:%02d.%03u%s\"", key, t->year + 1900, t->month, t->day,
	                t->hour, t->min, t->sec, ese_logtime_ms(t), (t->b6 & 1) ? "Z" : "");
}

void ese_dump_header_json(ese_sbuf *sb, ese_db *db)
{
	const ese_dbheader *h = ese_db_header(db);
	const ese_header_state *hs = ese_db_header_state(db);
	ese_sbuf_printf(sb,
	                "{\"checksum\":%u,\"checksum_actual\":%u,\"magic\":%u,\"format_version\":%u,"
	                "\"update_major\":%u,\"update_minor\":%u,\"create_version\":%u,\"create_update\":%u,"
	                "\"page_size\":%u,\"dbtime\":%" PRIu64 ",\"state\":%u,\"state_name\":\"%s\","
	                "\"log_required\":[%u,%u],\"log_committed\":%u,\"log_consistent\":%u,\"shadowed\":%s,"
	                "\"last_objid\":%u,\"repair_count\":%u,\"old_repair_count\":%u,\"dbid\":%u,"
	                "\"signature_random\":%u,",
	                hs->using_shadow ? hs->shadow_checksum_stored : hs->primary_checksum_stored,
	                hs->using_shadow ? hs->shadow_checksum_actual : hs->primary_checksum_actual, h->magic,
	                h->version, h->update_major, h->update_minor, h->create_version, h->create_update,
	                ese_db_page_size(db), h->dbtime, h->state, ese_dbstate_name(h->state),
	                (uint32_t)h->gen_min_required, (uint32_t)h->gen_max_required, (uint32_t)h->gen_max_committed,
	                (uint32_t)h->gen_min_consistent, (h->db_flags & 1) ? "false" : "true", h->objid_last,
	                h->repair_count, h->repair_count_old, h->dbid, h->sign_db.random);
	json_time(sb, "signature_time", &h->sign_db.created);
	ese_sbuf_putc(sb, ',');
	json_time(sb, "last_consistent_time", &h->time_consistent);
	ese_sbuf_printf(sb,
	                ",\"os_version\":\"%u.%u.%u\",\"os_sp\":%u,\"ecc_fix_success\":%u,\"ecc_fix_error\":%u,"
	                "\"bad_checksum\":%u,\"file_type\":%u,\"primary_ok\":%s,\"shadow_ok\":%s,"
	                "\"headers_identical\":%s,\"using_shadow\":%s}",
	                h->os_major, h->os_minor, h->os_build, h->os_sp, h->ecc_fix_success, h->ecc_fix_error,
	                h->bad_checksum, h->file_type, hs->primary_ok ? "true" : "false",
	                hs->shadow_ok ? "true" : "false", hs->identical ? "true" : "false",
	                hs->using_shadow ? "true" : "false");
}
