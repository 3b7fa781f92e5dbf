/*
 * catalog.c - decode MSysObjects into tables, columns, indexes, long-value
 * trees and callbacks (include/ese_catalog.h).
 *
 * The catalog's own schema is fixed in the engine (ESE _cat.cxx), so its
 * records are decoded with the bootstrap table below.  Records arrive in
 * key order (ObjidTable, Type, Id): a table's record before its columns,
 * indexes and long-value tree.  A record that belongs to no table, or that
 * cannot be decoded, makes the load fail with JET_errCatalogCorrupted and
 * the page it was on; the checker (/g) decides what to do about it.
 */
#include "ese_catalog.h"
#include "ese_cursor.h"
#include "ese_record.h"
#include "ese_page.h"
#include "bytes.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* Bootstrap schema of MSysObjects (ESE _cat.cxx rgcdescMSO). */
enum {
	MSO_ObjidTable = 1, MSO_Type, MSO_Id, MSO_ColtypOrPgnoFDP, MSO_SpaceUsage, MSO_Flags,
	MSO_PagesOrLocale, MSO_RootFlag, MSO_RecordOffset, MSO_LCMapFlags, MSO_KeyMost,
	MSO_LVChunkMax, MSO_PgnoFDPLastSetTime,
	MSO_Name = 128, MSO_Stats, MSO_TemplateTable, MSO_DefaultValue, MSO_KeyFldIDs,
	MSO_VarSegMac, MSO_ConditionalColumns, MSO_TupleLimits, MSO_Version, MSO_SortID,
	MSO_CallbackData = 256, MSO_CallbackDependencies, MSO_SeparateLV, MSO_SpaceHints,
	MSO_SpaceDeferredLVHints, MSO_LocaleName,
};

#define C(i, t, sz, off) { i, t, sz, 0, 0, off, NULL, NULL, 0 }
static ese_column mso_fixed[] = {
	C(MSO_ObjidTable, JET_coltypLong, 4, 4), C(MSO_Type, JET_coltypShort, 2, 8),
	C(MSO_Id, JET_coltypLong, 4, 10), C(MSO_ColtypOrPgnoFDP, JET_coltypLong, 4, 14),
	C(MSO_SpaceUsage, JET_coltypLong, 4, 18), C(MSO_Flags, JET_coltypLong, 4, 22),
	C(MSO_PagesOrLocale, JET_coltypLong, 4, 26), C(MSO_RootFlag, JET_coltypBit, 1, 30),
	C(MSO_RecordOffset, JET_coltypShort, 2, 31), C(MSO_LCMapFlags, JET_coltypLong, 4, 33),
	C(MSO_KeyMost, JET_coltypUnsignedShort, 2, 37), C(MSO_LVChunkMax, JET_coltypLong, 4, 39),
	C(MSO_PgnoFDPLastSetTime, JET_coltypDateTime, 8, 43),
};
#undef C

static const ese_table mso_bootstrap = { .objid = 2, .name = "MSysObjects" };

/* Raw bytes of catalog column id (fixed ids use mso_fixed). */
static int mso_get(const ese_record *r, uint32_t id, ese_colval *v, ese_status *st)
{
	ese_column tmp = { .id = id, .coltyp = JET_coltypBinary };
	const ese_column *c = &tmp;
	if (id < 128) {
		if (id == 0 || id > sizeof(mso_fixed) / sizeof(mso_fixed[0]))
			return ese_fail(st, JET_errInvalidParameter, 0, "bad catalog column");
		c = &mso_fixed[id - 1];
	}
	return ese_record_get(r, &mso_bootstrap, c, v, st);
}

static uint32_t mso_u32(const ese_record *r, uint32_t id, uint32_t dflt)
{
	ese_colval v;
	if (mso_get(r, id, &v, NULL) || !v.present)
		return dflt;
	switch (v.len) {
	case 1: return v.data[0];
	case 2: return get_le16(v.data);
	case 4: return get_le32(v.data);
	default: return dflt;
	}
}

/* A catalog text value (code page 1252) as a NUL-terminated string. */
static char *mso_str(const ese_record *r, uint32_t id)
{
	ese_colval v;
	if (mso_get(r, id, &v, NULL) || !v.present)
		return NULL;
	char *s = malloc(v.len + 1);
	if (s) {
		memcpy(s, v.data, v.len);
		s[v.len] = '\0';
	}
	return s;
}

/* UTF-16LE (LocaleName) to UTF-8, lossy for surrogates it cannot pair. */
static char *utf16_to_utf8(const uint8_t *p, size_t n)
{
	char *s = malloc(n / 2 * 3 + 1), *o = s;
	if (!s)
		return NULL;
	for (size_t i = 0; i + 1 < n; i += 2) {
		unsigned c = get_le16(p + i);
		if (c == 0)
			break;
		if (c < 0x80) {
			*o++ = (char)c;
		} else if (c < 0x800) {
			*o++ = (char)(0xC0 | (c >> 6));
			*o++ = (char)(0x80 | (c & 0x3F));
		} else {
			*o++ = (char)(0xE0 | (c >> 12));
			*o++ = (char)(0x80 | ((c >> 6) & 0x3F));
			*o++ = (char)(0x80 | (c & 0x3F));
		}
	}
	*o = '\0';
	return s;
}

static int grow(void **arr, size_t *n, size_t elem)
{
	/* capacity is the next power of two >= n+1 */
	size_t cnt = *n;
	if (cnt == 0 || (cnt & (cnt - 1)) == 0) {
		size_t cap = cnt ? cnt * 2 : 4;
		void *p = realloc(*arr, cap * elem);
		if (!p)
			return -1;
		*arr = p;
	}
	memset((char *)*arr + cnt * elem, 0, elem);
	(*n)++;
	return 0;
}

static ese_table *find_table(ese_catalog *cat, uint32_t objid)
{
	/* tables arrive in objid order: the last one is the usual answer */
	if (cat->ntables && cat->tables[cat->ntables - 1].objid == objid)
		return &cat->tables[cat->ntables - 1];
	for (size_t i = 0; i < cat->ntables; i++)
		if (cat->tables[i].objid == objid)
			return &cat->tables[i];
	return NULL;
}

size_t ese_coltyp_fixed_size(uint32_t coltyp)
{
	switch (coltyp) {
	case JET_coltypBit: case JET_coltypUnsignedByte: return 1;
	case JET_coltypShort: case JET_coltypUnsignedShort: return 2;
	case JET_coltypLong: case JET_coltypUnsignedLong: case JET_coltypIEEESingle: return 4;
	case JET_coltypCurrency: case JET_coltypIEEEDouble: case JET_coltypDateTime:
	case JET_coltypLongLong: return 8;
	case JET_coltypGUID: return 16;
	default: return 0;
	}
}

/* A fixed column's size: its type's, or the catalog's for fixed Text/Binary. */
static size_t fixed_size(uint32_t coltyp, uint32_t size)
{
	size_t n = ese_coltyp_fixed_size(coltyp);
	return n ? n : size;
}

static int parse_segments(ese_index *ix, const uint8_t *p, size_t n)
{
	int wide = (ix->flags >> 16) & 1;   /* fIDXExtendedColumns: 4-byte IDXSEG */
	size_t w = wide ? 4 : 2;
	if (!wide && n % 4 == 0 && n >= 4 && p[1] == 0 && p[0] != 0 && p[0] < 0x80)
		w = 2;
	if (n % w)
		return -1;
	ix->nsegs = n / w;
	ix->segs = calloc(ix->nsegs ? ix->nsegs : 1, sizeof(*ix->segs));
	if (!ix->segs)
		return -1;
	for (size_t i = 0; i < ix->nsegs; i++) {
		if (w == 4) {
			ix->segs[i].flags = p[4 * i];
			ix->segs[i].columnid = get_le16(p + 4 * i + 2);
		} else {
			int16_t f = (int16_t)get_le16(p + 2 * i);
			ix->segs[i].flags = f < 0 ? 0x40 : 0;
			ix->segs[i].columnid = (uint32_t)(f < 0 ? -f : f);
		}
	}
	return 0;
}

static int add_record(ese_catalog *cat, const ese_record *r, uint32_t pgno, ese_status *st)
{
	uint32_t objid_table = mso_u32(r, MSO_ObjidTable, 0);
	uint32_t type = mso_u32(r, MSO_Type, 0);
	uint32_t id = mso_u32(r, MSO_Id, 0);
	uint32_t pgno_or_coltyp = mso_u32(r, MSO_ColtypOrPgnoFDP, 0);
	if (objid_table > cat->max_objid)
		cat->max_objid = objid_table;
	if (type != ESE_SYSOBJ_COLUMN && type != ESE_SYSOBJ_CALLBACK && id > cat->max_objid)
		cat->max_objid = id;
	ese_table *t = find_table(cat, objid_table);
	if (type == ESE_SYSOBJ_TABLE) {
		if (t)
			return ese_fail(st, JET_errCatalogCorrupted, pgno, "catalog page %u: table object %u defined twice",
			                pgno, objid_table);
		if (grow((void **)&cat->tables, &cat->ntables, sizeof(ese_table)))
			return ese_fail(st, JET_errOutOfMemory, pgno, "out of memory");
		t = &cat->tables[cat->ntables - 1];
		t->objid = objid_table;
		t->pgno_fdp = pgno_or_coltyp;
		t->cat_pgno = pgno;
		t->density = mso_u32(r, MSO_SpaceUsage, 0);
		t->flags = mso_u32(r, MSO_Flags, 0);
		t->pages = mso_u32(r, MSO_PagesOrLocale, 0);
		t->lv_chunk_max = mso_u32(r, MSO_LVChunkMax, 0);
		t->name = mso_str(r, MSO_Name);
		t->template_name = mso_str(r, MSO_TemplateTable);
		ese_colval v;
		if (mso_get(r, MSO_SeparateLV, &v, NULL) == 0 && v.present && v.len == 4)
			t->separate_lv = get_le32(v.data);
		if (!t->name)
			return ese_fail(st, JET_errCatalogCorrupted, pgno, "catalog page %u: table object %u has no name",
			                pgno, objid_table);
		return 0;
	}
	if (!t)
		return ese_fail(st, JET_errCatalogCorrupted, pgno,
		                "catalog page %u: record of type %u for object %u precedes its table", pgno, type,
		                objid_table);
	switch (type) {
	case ESE_SYSOBJ_COLUMN: {
		if (grow((void **)&t->columns, &t->ncolumns, sizeof(ese_column)))
			return ese_fail(st, JET_errOutOfMemory, pgno, "out of memory");
		ese_column *c = &t->columns[t->ncolumns - 1];
		c->id = id;
		c->coltyp = pgno_or_coltyp;
		c->size = mso_u32(r, MSO_SpaceUsage, 0);
		c->flags = mso_u32(r, MSO_Flags, 0);
		c->codepage = mso_u32(r, MSO_PagesOrLocale, 0);
		c->record_offset = mso_u32(r, MSO_RecordOffset, 0);
		c->name = mso_str(r, MSO_Name);
		ese_colval v;
		if (mso_get(r, MSO_DefaultValue, &v, NULL) == 0 && v.present && v.len) {
			if ((c->default_value = malloc(v.len))) {
				memcpy(c->default_value, v.data, v.len);
				c->default_len = (uint32_t)v.len;
			}
		}
		if (!c->name)
			return ese_fail(st, JET_errCatalogCorrupted, pgno, "catalog page %u: column %u of table %s has no name",
			                pgno, id, t->name);
		if (id == 0 || id > 0xFFFF)
			return ese_fail(st, JET_errCatalogCorrupted, pgno, "catalog page %u: column id %u of table %s",
			                pgno, id, t->name);
		return 0;
	}
	case ESE_SYSOBJ_INDEX: {
		if (grow((void **)&t->indexes, &t->nindexes, sizeof(ese_index)))
			return ese_fail(st, JET_errOutOfMemory, pgno, "out of memory");
		ese_index *ix = &t->indexes[t->nindexes - 1];
		ix->objid = id;
		ix->pgno_fdp = pgno_or_coltyp;
		ix->cat_pgno = pgno;
		ix->density = mso_u32(r, MSO_SpaceUsage, 0);
		ix->flags = mso_u32(r, MSO_Flags, 0);
		ix->lcid = mso_u32(r, MSO_PagesOrLocale, 0);
		ix->lcmap_flags = mso_u32(r, MSO_LCMapFlags, 0);
		ix->keymost = mso_u32(r, MSO_KeyMost, 255);
		ix->name = mso_str(r, MSO_Name);
		ese_colval v;
		if (mso_get(r, MSO_KeyFldIDs, &v, NULL) == 0 && v.present && parse_segments(ix, v.data, v.len))
			return ese_fail(st, JET_errCatalogCorrupted, pgno, "catalog page %u: index %s has bad key segments",
			                pgno, ix->name ? ix->name : "?");
		if (mso_get(r, MSO_LocaleName, &v, NULL) == 0 && v.present)
			ix->locale = utf16_to_utf8(v.data, v.len);
		if (!ix->name)
			return ese_fail(st, JET_errCatalogCorrupted, pgno, "catalog page %u: index %u has no name", pgno, id);
		return 0;
	}
	case ESE_SYSOBJ_LV:
		t->lv_objid = id;
		t->lv_pgno_fdp = pgno_or_coltyp;
		t->lv_cat_pgno = pgno;
		return 0;
	case ESE_SYSOBJ_CALLBACK: {
		char *name = mso_str(r, MSO_TemplateTable);
		if (grow((void **)&t->callbacks, &t->ncallbacks, sizeof(char *))) {
			free(name);
			return ese_fail(st, JET_errOutOfMemory, pgno, "out of memory");
		}
		t->callbacks[t->ncallbacks - 1] = name;
		return 0;
	}
	default:
		return ese_fail(st, JET_errCatalogCorrupted, pgno, "catalog page %u: unknown record type %u", pgno, type);
	}
}

/* Fixed columns sit at their stored RecordOffset when those offsets are
 * usable: each at or past the end of the one before.  ESE's own catalog
 * rows for MSysObjects all say 4; then (or when none is stored) every fixed
 * column is placed at the running sum of the sizes before it. */
static void finish_table(ese_table *t)
{
	int usable = 1;
	uint32_t end = 4;
	for (size_t i = 0; i < t->ncolumns && t->columns[i].id <= 127; i++) {
		ese_column *c = &t->columns[i];
		if (!c->record_offset || c->record_offset < end) {
			usable = 0;
			break;
		}
		end = c->record_offset + (uint32_t)fixed_size(c->coltyp, c->size);
	}
	uint32_t off = 4;
	for (size_t i = 0; i < t->ncolumns && t->columns[i].id <= 127; i++) {
		ese_column *c = &t->columns[i];
		if (!usable)
			c->record_offset = off;
		off = c->record_offset + (uint32_t)fixed_size(c->coltyp, c->size);
	}
}

int ese_catalog_load(ese_db *db, uint32_t pgno, ese_catalog **out, ese_status *st)
{
	*out = NULL;
	ese_catalog *cat = calloc(1, sizeof(*cat));
	ese_cursor *c = NULL;
	if (!cat)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	int large = ese_page_is_large(ese_db_page_size(db));
	int err = ese_cursor_open(db, pgno, pgno == 24 ? 3 : 2, &c, st);
	if (err)
		goto fail;
	for (err = ese_cursor_first(c, st); err == 0; err = ese_cursor_next(c, st)) {
		size_t len;
		const uint8_t *d = ese_cursor_data(c, &len);
		ese_record r;
		if ((err = ese_record_parse(&r, d, len, large, st))) {
			ese_fail(st, JET_errCatalogCorrupted, ese_cursor_pgno(c), "catalog page %u: undecodable record",
			         ese_cursor_pgno(c));
			err = JET_errCatalogCorrupted;
			goto fail;
		}
		if ((err = add_record(cat, &r, ese_cursor_pgno(c), st)))
			goto fail;
		cat->nrecords++;
	}
	if (err != JET_errRecordNotFound)
		goto fail;
	for (size_t i = 0; i < cat->ntables; i++)
		finish_table(&cat->tables[i]);
	ese_cursor_close(c);
	*out = cat;
	return 0;
fail:
	ese_cursor_close(c);
	ese_catalog_free(cat);
	return err ? err : JET_errCatalogCorrupted;
}

void ese_catalog_free(ese_catalog *cat)
{
	if (!cat)
		return;
	for (size_t i = 0; i < cat->ntables; i++) {
		ese_table *t = &cat->tables[i];
		for (size_t j = 0; j < t->ncolumns; j++) {
			free(t->columns[j].name);
			free(t->columns[j].default_value);
		}
		for (size_t j = 0; j < t->nindexes; j++) {
			free(t->indexes[j].name);
			free(t->indexes[j].locale);
			free(t->indexes[j].segs);
		}
		for (size_t j = 0; j < t->ncallbacks; j++)
			free(t->callbacks[j]);
		free(t->callbacks);
		free(t->columns);
		free(t->indexes);
		free(t->name);
		free(t->template_name);
	}
	free(cat->tables);
	free(cat);
}

const ese_table *ese_catalog_find_table(const ese_catalog *cat, const char *name)
{
	for (size_t i = 0; i < cat->ntables; i++)
		if (cat->tables[i].name && strcasecmp(cat->tables[i].name, name) == 0)
			return &cat->tables[i];
	return NULL;
}

const ese_column *ese_table_find_column(const ese_table *t, uint32_t columnid)
{
	size_t lo = 0, hi = t->ncolumns;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (t->columns[mid].id < columnid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < t->ncolumns && t->columns[lo].id == columnid ? &t->columns[lo] : NULL;
}

const char *ese_coltyp_name(uint32_t coltyp)
{
	static const char *const names[] = {
		"NULL", "Boolean", "Integer 8-bit unsigned", "Integer 16-bit signed",
		"Integer 32-bit signed", "Currency (64-bit)", "Floating point single precision (32-bit)",
		"Floating point double precision (64-bit)", "Date and time", "Binary data", "Text",
		"Large binary data", "Large text", "Super large value", "Integer 32-bit unsigned",
		"Integer 64-bit signed", "GUID", "Integer 16-bit unsigned",
	};
	return coltyp < sizeof(names) / sizeof(names[0]) ? names[coltyp] : "Unknown";
}

const char *ese_coltyp_short_name(uint32_t coltyp)
{
	static const char *const names[] = {
		"Nil", "Bit", "UnsignedByte", "Short", "Long", "Currency", "IEEESingle", "IEEEDouble",
		"DateTime", "Binary", "Text", "LongBinary", "LongText", "SLV", "UnsignedLong", "LongLong",
		"GUID", "UnsignedShort",
	};
	return coltyp < sizeof(names) / sizeof(names[0]) ? names[coltyp] : "Unknown";
}
