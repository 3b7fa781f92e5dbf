/*
 * metadump.c - eseutil /mm: the catalog as a recovery engineer reads it.
 * First eseutil's summary table (Name, Type, ObjidFDP, PgnoFDP of every
 * table, index and long-value tree), then one block per table with its
 * columns, indexes and long-value tree.  Also a JSON form.
 */
#include "ese_dump.h"

#include <stdio.h>
#include <string.h>

static void col_flags(ese_sbuf *sb, uint32_t f)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ 0x0001, "NotNull" }, { 0x0002, "Version" }, { 0x0004, "AutoInc" }, { 0x0008, "MultiValued" },
		{ 0x0010, "Default" }, { 0x0020, "Escrow" }, { 0x0040, "Finalize" }, { 0x0080, "UserDefinedDefault" },
		{ 0x0100, "TemplateColumnESE98" }, { 0x0200, "DeleteOnZero" }, { 0x0800, "PrimaryIndexPlaceholder" },
		{ 0x1000, "Compressed" }, { 0x2000, "Encrypted" },
	};
	int any = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit) {
			ese_sbuf_printf(sb, "%s%s", any ? "," : "", names[i].name);
			any = 1;
		}
	if (!any)
		ese_sbuf_puts(sb, "-");
}

static void idx_flags(ese_sbuf *sb, uint32_t f)
{
	static const struct { uint32_t bit; const char *name; } names[] = {
		{ 0x0001, "Unique" }, { 0x0002, "AllowAllNulls" }, { 0x0004, "AllowFirstNull" },
		{ 0x0008, "AllowSomeNulls" }, { 0x0010, "NoNullSeg" }, { 0x0020, "Primary" }, { 0x0040, "LocaleSet" },
		{ 0x0080, "Multivalued" }, { 0x0100, "Template" }, { 0x0200, "Derived" }, { 0x0400, "LocalizedText" },
		{ 0x0800, "SortNullsHigh" }, { 0x2000, "CrossProduct" }, { 0x4000, "DisallowTruncation" },
		{ 0x8000, "NestedTable" }, { 0x10000, "ExtendedColumns" }, { 0x20000, "DotNetGuid" },
		{ 0x40000, "DeferredPopulate" }, { 0x80000, "OptionallyUnique" },
	};
	int any = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (f & names[i].bit) {
			ese_sbuf_printf(sb, "%s%s", any ? "," : "", names[i].name);
			any = 1;
		}
	if (!any)
		ese_sbuf_puts(sb, "-");
}

static const char *column_name(const ese_table *t, uint32_t id)
{
	const ese_column *c = ese_table_find_column(t, id);
	return c && c->name ? c->name : "?";
}

static int is_primary(const ese_table *t, const ese_index *ix)
{
	return (ix->flags & ESE_IDX_PRIMARY) || ix->objid == t->objid;
}

void ese_dump_metadata(ese_sbuf *sb, const ese_catalog *cat)
{
	ese_sbuf_puts(sb, "\n******************************** META-DATA DUMP *********************************\n");
	ese_sbuf_printf(sb, "%-40s %-5s %10s %10s\n", "Name", "Type", "ObjidFDP", "PgnoFDP");
	ese_sbuf_puts(sb, "==================================================================================\n");
	for (size_t i = 0; i < cat->ntables; i++) {
		const ese_table *t = &cat->tables[i];
		ese_sbuf_printf(sb, "%-40s %-5s %10u %10u\n", t->name, "Tbl", t->objid, t->pgno_fdp);
		for (size_t j = 0; j < t->nindexes; j++) {
			const ese_index *ix = &t->indexes[j];
			char nm[64];
			snprintf(nm, sizeof(nm), "  %s", ix->name);
			ese_sbuf_printf(sb, "%-40s %-5s %10u %10u\n", nm, is_primary(t, ix) ? "Pri" : "Idx", ix->objid,
			                ix->pgno_fdp);
		}
		if (t->lv_objid)
			ese_sbuf_printf(sb, "%-40s %-5s %10u %10u\n", "  <Long Values>", "LV", t->lv_objid, t->lv_pgno_fdp);
	}
	ese_sbuf_puts(sb, "==================================================================================\n");
	for (size_t i = 0; i < cat->ntables; i++) {
		const ese_table *t = &cat->tables[i];
		ese_sbuf_printf(sb, "\nTable: %s\n", t->name);
		ese_sbuf_printf(sb, "    ObjidFDP: %u  PgnoFDP: %u  Density: %u%%  Initial pages: %u  Flags: 0x%08x\n",
		                t->objid, t->pgno_fdp, t->density, t->pages, t->flags);
		if (t->template_name)
			ese_sbuf_printf(sb, "    Template table: %s\n", t->template_name);
		if (t->lv_objid)
			ese_sbuf_printf(sb, "    Long values: ObjidLV %u  PgnoLV %u%s", t->lv_objid, t->lv_pgno_fdp,
			                t->lv_chunk_max ? "" : "\n");
		if (t->lv_objid && t->lv_chunk_max)
			ese_sbuf_printf(sb, "  LV chunk size %u\n", t->lv_chunk_max);
		if (t->separate_lv)
			ese_sbuf_printf(sb, "    Separate long values above: %u bytes\n", t->separate_lv);
		ese_sbuf_printf(sb, "    Columns: %zu\n", t->ncolumns);
		ese_sbuf_printf(sb, "        %-32s %9s %-14s %10s %6s  %s\n", "Column Name", "Column Id", "Column Type",
		                "Length", "CP", "Flags");
		for (size_t j = 0; j < t->ncolumns; j++) {
			const ese_column *c = &t->columns[j];
			ese_sbuf_printf(sb, "        %-32s %9u %-14s %10u %6u  ", c->name, c->id, ese_coltyp_short_name(c->coltyp),
			                c->size, c->codepage);
			col_flags(sb, c->flags);
			if (c->default_len)
				ese_sbuf_printf(sb, " (default %u bytes)", c->default_len);
			ese_sbuf_putc(sb, '\n');
		}
		ese_sbuf_printf(sb, "    Indexes: %zu\n", t->nindexes);
		for (size_t j = 0; j < t->nindexes; j++) {
			const ese_index *ix = &t->indexes[j];
			ese_sbuf_printf(sb, "        %s%s  ObjidFDP %u  PgnoFDP %u  Density %u%%  Flags 0x%08x (", ix->name,
			                is_primary(t, ix) ? " (primary)" : "", ix->objid, ix->pgno_fdp, ix->density, ix->flags);
			idx_flags(sb, ix->flags);
			ese_sbuf_puts(sb, ")\n            Key:");
			for (size_t k = 0; k < ix->nsegs; k++)
				ese_sbuf_printf(sb, " %c%s", (ix->segs[k].flags & 0x40) ? '-' : '+',
				                column_name(t, ix->segs[k].columnid));
			if (ix->locale)
				ese_sbuf_printf(sb, "  Locale: %s", ix->locale);
			if (ix->lcmap_flags)
				ese_sbuf_printf(sb, "  LCMapFlags: 0x%08x", ix->lcmap_flags);
			ese_sbuf_putc(sb, '\n');
		}
		for (size_t j = 0; j < t->ncallbacks; j++)
			ese_sbuf_printf(sb, "    Callback: %s\n", t->callbacks[j] ? t->callbacks[j] : "?");
	}
}

void ese_dump_metadata_json(ese_sbuf *sb, const ese_catalog *cat)
{
	ese_sbuf_puts(sb, "{\"tables\":[");
	for (size_t i = 0; i < cat->ntables; i++) {
		const ese_table *t = &cat->tables[i];
		ese_sbuf_puts(sb, i ? ",{\"name\":" : "{\"name\":");
		ese_sbuf_json_str(sb, t->name, strlen(t->name));
		ese_sbuf_printf(sb, ",\"objid\":%u,\"pgno_fdp\":%u,\"density\":%u,\"flags\":%u,\"lv_objid\":%u,"
		                    "\"lv_pgno_fdp\":%u,\"columns\":[",
		                t->objid, t->pgno_fdp, t->density, t->flags, t->lv_objid, t->lv_pgno_fdp);
		for (size_t j = 0; j < t->ncolumns; j++) {
			const ese_column *c = &t->columns[j];
			ese_sbuf_printf(sb, "%s{\"id\":%u,\"name\":", j ? "," : "", c->id);
			ese_sbuf_json_str(sb, c->name, strlen(c->name));
			ese_sbuf_printf(sb, ",\"type\":\"%s\",\"coltyp\":%u,\"size\":%u,\"flags\":%u,\"codepage\":%u}",
			                ese_coltyp_short_name(c->coltyp), c->coltyp, c->size, c->flags, c->codepage);
		}
		ese_sbuf_puts(sb, "],\"indexes\":[");
		for (size_t j = 0; j < t->nindexes; j++) {
			const ese_index *ix = &t->indexes[j];
			ese_sbuf_puts(sb, j ? ",{\"name\":" : "{\"name\":");
			ese_sbuf_json_str(sb, ix->name, strlen(ix->name));
			ese_sbuf_printf(sb, ",\"objid\":%u,\"pgno_fdp\":%u,\"flags\":%u,\"primary\":%s,\"key\":[", ix->objid,
			                ix->pgno_fdp, ix->flags, is_primary(t, ix) ? "true" : "false");
			for (size_t k = 0; k < ix->nsegs; k++)
				ese_sbuf_printf(sb, "%s{\"columnid\":%u,\"descending\":%s}", k ? "," : "", ix->segs[k].columnid,
				                (ix->segs[k].flags & 0x40) ? "true" : "false");
			ese_sbuf_puts(sb, "]}");
		}
		ese_sbuf_puts(sb, "]}");
	}
	ese_sbuf_puts(sb, "]}");
}
