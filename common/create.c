/*
 * create.c - create and load a database (include/ese_create.h).
 *
 * Every table, the system tables included, goes through one path: records
 * are encoded (ese_record_encode), keyed by their primary index
 * (ese_index_keys; a 4-byte big-endian counter for a table without one),
 * sorted in bounded memory, then at commit streamed into the bulk builder,
 * while each secondary index's entries (key, primary key) are computed and
 * sorted for their own trees.  The catalog is loaded the same way as rows
 * of MSysObjects, whose Name and RootObjects indexes are ordinary
 * secondary indexes; MSysObjectsShadow gets the same rows.
 *
 * Fixed by the format (ESE cat.hxx, notes 7.1-7.2): the database root at
 * page 1 (objid 1), MSysObjects at 4 (objid 2, 20 pages), its Name index
 * at 7 (objid 4), RootObjects at 10 (objid 5), the shadow at 24 (objid 3,
 * 5 pages); MSysObjids is objid 6, MSysLocales 7, user tables from 8.
 * See docs/writer-choices.md for the values chosen where ESE could differ.
 */
#include "ese_create.h"
#include "ese_bulk.h"
#include "ese_key.h"
#include "ese_lv.h"
#include "ese_page.h"
#include "ese_record.h"
#include "ese_sort.h"
#include "ese_writer.h"
#include "bytes.h"

#include <stdlib.h>
#include <string.h>

#define LV_INTRINSIC_MAX 1024u
#define SORT_MEM (32u << 20)
#define ERR_NULL_INVALID (-1504)
#define ERR_KEY_DUPLICATE (-1605)
#define IDX_DEFAULT_NULLS 0x000Eu          /* AllowAllNulls | AllowFirstNull | AllowSomeNulls */
#define IDX_EXTENDED_COLUMNS 0x10000u      /* fIDXExtendedColumns: 4-byte KeyFldIDs */

struct ctab {
	ese_table t;                  /* the catalog's view of the table */
	uint32_t table_flags;         /* catalog Flags (JET_bitObject*) */
	uint32_t pages;               /* catalog PagesOrLocale (initial pages) */
	int system_offsets;           /* catalog RecordOffset 4 for every fixed column (MSO) */
	int primary;                  /* index into t.indexes, -1: DBK key */
	size_t *colmap;               /* spec column -> t.columns index */
	size_t nspec;
	int autoinc;                  /* t.columns index, -1 none */
	uint64_t autoinc_next;
	uint32_t dbk;
	uint32_t next_lid;
	ese_sorter *rows, *lvs;
	ese_wobj *obj, *lvobj;
	ese_wobj **ixobj;             /* per index (NULL for the primary) */
	ese_key_spec *specs;          /* per index: its key rules, computed once */
	uint64_t nrows;
	/* ESE_TABLE_IN_ORDER: rows go straight into the data tree as they
	 * arrive (no sort, no temporary file), index entries to ixs */
	int in_order;
	ese_bulk *stream;             /* the data tree being built, or NULL */
	ese_sorter **ixs;             /* per index (NULL for the primary): entries made so far */
	uint8_t *last_key;            /* the last row's primary key */
	size_t last_klen;
};

struct ese_creator {
	ese_writer *w;
	uint32_t ps;
	unsigned fill;
	/* build_record's scratch, grown to the widest table or record seen */
	ese_value *ev;
	size_t *count;
	size_t ncol_cap;
	ese_instance *inst;
	uint8_t (*lids)[4];
	size_t nval_cap;
	struct ctab *tabs;            /* 0 MSO, 1 shadow, 2 MSysObjids, 3 MSysLocales, 4.. user */
	size_t ntabs;
	uint32_t next_objid;
	ese_sbuf rec;
	ese_keylist kl;
	struct ctab *streaming;       /* the one table whose rows stream now */
};

#define NSYS 4

/* ---- definitions ------------------------------------------------------- */


static int is_long(uint32_t coltyp) { return coltyp == JET_coltypLongText || coltyp == JET_coltypLongBinary; }
static int is_text(uint32_t coltyp) { return coltyp == JET_coltypText || coltyp == JET_coltypLongText; }

static char *dupstr(const char *s)
{
	return s ? strdup(s) : NULL;
}

/* Adds a column with an explicit id (system tables). */
static int add_col(ese_table *t, uint32_t id, const char *name, uint32_t coltyp, uint32_t size, uint32_t flags,
                   uint32_t cp)
{
	ese_column *p = realloc(t->columns, (t->ncolumns + 1) * sizeof(*p));
	if (!p)
		return -1;
	t->columns = p;
	ese_column *c = &t->columns[t->ncolumns++];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->coltyp = coltyp;
	c->size = size;
	c->flags = flags;
	c->codepage = cp;
	c->name = dupstr(name);
	return c->name ? 0 : -1;
}

static int add_idx(ese_table *t, uint32_t objid, const char *name, uint32_t flags, const uint32_t *fids,
                   const uint8_t *segflags, size_t nsegs)
{
	ese_index *p = realloc(t->indexes, (t->nindexes + 1) * sizeof(*p));
	if (!p)
		return -1;
	t->indexes = p;
	ese_index *ix = &t->indexes[t->nindexes++];
	memset(ix, 0, sizeof(*ix));
	ix->objid = objid;
	ix->density = 80;
	ix->flags = flags;
	ix->lcmap_flags = 0x30401;
	ix->keymost = 255;
	ix->name = dupstr(name);
	ix->locale = dupstr("en-US");
	ix->segs = calloc(nsegs ? nsegs : 1, sizeof(*ix->segs));
	ix->nsegs = nsegs;
	if (!ix->name || !ix->locale || !ix->segs)
		return -1;
	for (size_t i = 0; i < nsegs; i++) {
		ix->segs[i].columnid = fids[i];
		ix->segs[i].flags = segflags ? segflags[i] : 0;
	}
	return 0;
}

/* Record offsets of fixed columns: running sum from 4. */
static void set_offsets(ese_table *t)
{
	uint32_t off = 4;
	for (size_t i = 0; i < t->ncolumns; i++)
		if (t->columns[i].id < 128) {
			t->columns[i].record_offset = off;
			off += (uint32_t)ese_coltyp_fixed_size(t->columns[i].coltyp);
		}
}

static int cmp_col(const void *a, const void *b)
{
	const ese_column *x = a, *y = b;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* MSysObjects / MSysObjectsShadow: their columns and indexes as ESE has
 * them in a Windows 8+ database (28 columns; notes 4.2, 4.4). */
static int define_mso(struct ctab *c, uint32_t objid, int shadow)
{
	static const struct { uint32_t id; const char *name; uint32_t typ, size, flags; } cols[] = {
		{ 1, "ObjidTable", JET_coltypLong, 4, 1 }, { 2, "Type", JET_coltypShort, 2, 1 },
		{ 3, "Id", JET_coltypLong, 4, 1 }, { 4, "ColtypOrPgnoFDP", JET_coltypLong, 4, 1 },
		{ 5, "SpaceUsage", JET_coltypLong, 4, 1 }, { 6, "Flags", JET_coltypLong, 4, 1 },
		{ 7, "PagesOrLocale", JET_coltypLong, 4, 1 }, { 8, "RootFlag", JET_coltypBit, 1, 0 },
		{ 9, "RecordOffset", JET_coltypShort, 2, 0 }, { 10, "LCMapFlags", JET_coltypLong, 4, 0 },
		{ 11, "KeyMost", JET_coltypUnsignedShort, 2, 0 }, { 12, "LVChunkMax", JET_coltypLong, 4, 0 },
		{ 128, "Name", JET_coltypText, 255, 1 }, { 129, "Stats", JET_coltypBinary, 255, 0 },
		{ 130, "TemplateTable", JET_coltypText, 255, 0 }, { 131, "DefaultValue", JET_coltypBinary, 255, 0 },
		{ 132, "KeyFldIDs", JET_coltypBinary, 255, 0 }, { 133, "VarSegMac", JET_coltypBinary, 255, 0 },
		{ 134, "ConditionalColumns", JET_coltypBinary, 255, 0 }, { 135, "TupleLimits", JET_coltypBinary, 255, 0 },
		{ 136, "Version", JET_coltypBinary, 255, 0 }, { 137, "SortID", JET_coltypBinary, 255, 0 },
		{ 256, "CallbackData", JET_coltypLongBinary, 0, 0 }, { 257, "CallbackDependencies", JET_coltypLongBinary, 0, 0 },
		{ 258, "SeparateLV", JET_coltypLongBinary, 0, 0 }, { 259, "SpaceHints", JET_coltypLongBinary, 0, 0 },
		{ 260, "SpaceDeferredLVHints", JET_coltypLongBinary, 0, 0 }, { 261, "LocaleName", JET_coltypLongBinary, 0, 0 },
	};
	for (size_t i = 0; i < sizeof(cols) / sizeof(cols[0]); i++)
		if (add_col(&c->t, cols[i].id, cols[i].name, cols[i].typ, cols[i].size, cols[i].flags, 1252))
			return -1;
	static const uint32_t id_fids[] = { 1, 2, 3 }, name_fids[] = { 1, 2, 128 }, root_fids[] = { 8, 128 };
	if (add_idx(&c->t, objid, "Id", 0x10031, id_fids, NULL, 3))
		return -1;
	if (!shadow && (add_idx(&c->t, 4, "Name", 0x10011, name_fids, NULL, 3) ||
	                add_idx(&c->t, 5, "RootObjects", 0x10009, root_fids, NULL, 2)))
		return -1;
	c->t.objid = objid;
	c->t.name = dupstr(shadow ? "MSysObjectsShadow" : "MSysObjects");
	c->t.density = 80;
	c->table_flags = 0xC0000000u;
	c->pages = shadow ? 5 : 20;
	c->system_offsets = 1;
	c->primary = 0;
	return c->t.name ? 0 : -1;
}

static int define_objids(struct ctab *c)
{
	static const uint32_t fids[] = { 256 };
	if (add_col(&c->t, 256, "objid", JET_coltypLong, 4, 0, 0) ||
	    add_col(&c->t, 257, "objidTable", JET_coltypLong, 4, 0, 0) ||
	    add_col(&c->t, 258, "type", JET_coltypShort, 2, 0, 0) || add_idx(&c->t, 6, "primary", 0x1002f, fids, NULL, 1))
		return -1;
	c->t.objid = 6;
	c->t.name = dupstr("MSysObjids");
	c->t.density = 100;
	c->table_flags = 0xC8000000u;
	c->t.indexes[0].density = 100;
	c->primary = 0;
	return c->t.name ? 0 : -1;
}

static int define_locales(struct ctab *c)
{
	static const uint32_t fids[] = { 128 };
	if (add_col(&c->t, 1, "Type", JET_coltypUnsignedByte, 1, 1, 0) ||
	    add_col(&c->t, 2, "iValue", JET_coltypLong, 4, 0x30, 0) ||
	    add_col(&c->t, 128, "Key", JET_coltypBinary, 255, 0, 0) ||
	    add_idx(&c->t, 7, "KeyPrimary", 0x1402f, fids, NULL, 1))
		return -1;
	ese_column *iv = &c->t.columns[1];
	iv->default_value = calloc(1, 4);
	iv->default_len = 4;
	c->t.objid = 7;
	c->t.name = dupstr("MSysLocales");
	c->t.density = 92;
	c->t.indexes[0].density = 92;
	c->table_flags = 0x88000000u;
	c->primary = 0;
	return c->t.name && iv->default_value ? 0 : -1;
}

/* A user table from its spec: column ids by kind, offsets, indexes. */
static int define_user(ese_creator *cr, struct ctab *c, const ese_create_table *spec, ese_status *st)
{
	uint32_t next_fixed = 1, next_var = 128, next_tagged = 256;
	c->t.objid = cr->next_objid++;
	c->t.name = dupstr(spec->name);
	c->t.density = spec->density ? spec->density : 80;
	c->in_order = (spec->flags & ESE_TABLE_IN_ORDER) != 0;
	c->pages = 1;
	c->autoinc = -1;
	c->primary = -1;
	c->nspec = spec->ncolumns;
	c->colmap = calloc(spec->ncolumns ? spec->ncolumns : 1, sizeof(size_t));
	if (!c->t.name || !c->colmap)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	int has_lv = 0;
	for (size_t i = 0; i < spec->ncolumns; i++) {
		const ese_create_column *sc = &spec->columns[i];
		uint32_t typ = sc->coltyp, size = sc->size, id;
		int multi = (sc->flags & ESE_COL_MULTIVALUED) != 0;
		if (!sc->name || !*sc->name || strlen(sc->name) > 64)
			return ese_fail(st, JET_errInvalidParameter, 0, "table %s: column %zu has no valid name", spec->name, i);
		if (typ == JET_coltypNil || typ == JET_coltypSLV || typ > JET_coltypUnsignedShort)
			return ese_fail(st, JET_errInvalidParameter, 0, "table %s: column %s has unsupported type %u", spec->name,
			                sc->name, typ);
		for (size_t j = 0; j < i; j++)
			if (!strcmp(spec->columns[j].name, sc->name))
				return ese_fail(st, JET_errInvalidParameter, 0, "table %s: column %s defined twice", spec->name,
				                sc->name);
		if (ese_coltyp_fixed_size(typ) && !multi) {
			id = next_fixed++;
			size = (uint32_t)ese_coltyp_fixed_size(typ);
		} else if ((typ == JET_coltypText || typ == JET_coltypBinary) && !multi) {
			if (size == 0)
				size = 255;
			if (size > 255)
				return ese_fail(st, JET_errInvalidParameter, 0,
				                "table %s: column %s: Text and Binary hold at most 255 bytes (use LongText/LongBinary)",
				                spec->name, sc->name);
			id = next_var++;
		} else {
			id = next_tagged++;
			if (ese_coltyp_fixed_size(typ))
				size = (uint32_t)ese_coltyp_fixed_size(typ);
			has_lv |= is_long(typ);
		}
		if (next_fixed > 128 || next_var > 256 || next_tagged > 0xFFFF)
			return ese_fail(st, JET_errInvalidParameter, 0, "table %s: too many columns", spec->name);
		uint32_t cp = is_text(typ) ? (sc->codepage ? sc->codepage : 1252) : 0;
		if (is_text(typ) && cp != 1200 && cp != 1252 && cp != 20127)
			return ese_fail(st, JET_errInvalidParameter, 0, "table %s: column %s: code page %u", spec->name,
			                sc->name, cp);
		if ((sc->flags & ESE_COL_AUTOINC) && typ != JET_coltypLong && typ != JET_coltypLongLong)
			return ese_fail(st, JET_errInvalidParameter, 0, "table %s: AutoInc column %s must be Long or LongLong",
			                spec->name, sc->name);
		if (add_col(&c->t, id, sc->name, typ, size, sc->flags & 0x3FFF, cp))
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	/* columns by id, remembering where each spec column went */
	ese_column *cols = c->t.columns;
	qsort(cols, c->t.ncolumns, sizeof(ese_column), cmp_col);
	for (size_t i = 0; i < spec->ncolumns; i++)
		for (size_t j = 0; j < c->t.ncolumns; j++)
			if (!strcmp(cols[j].name, spec->columns[i].name)) {
				c->colmap[i] = j;
				if (cols[j].flags & ESE_COL_AUTOINC)
					c->autoinc = (int)j;
			}
	set_offsets(&c->t);
	/* indexes: the primary keeps the table's objid */
	int nprimary = 0;
	for (size_t i = 0; i < spec->nindexes; i++) {
		const ese_create_index *si = &spec->indexes[i];
		uint32_t fids[16];
		uint8_t sf[16];
		size_t n = 0;
		const char *p = si->key;
		if (!si->name || !p)
			return ese_fail(st, JET_errInvalidParameter, 0, "table %s: index %zu needs a name and a key", spec->name, i);
		while (*p) {
			if (*p != '+' && *p != '-')
				return ese_fail(st, JET_errInvalidParameter, 0, "table %s: index %s: key '%s' (want +Col-Col...)",
				                spec->name, si->name, si->key);
			uint8_t desc = *p++ == '-' ? 0x40 : 0;
			size_t len = strcspn(p, "+-");
			size_t j;
			for (j = 0; j < c->t.ncolumns; j++)
				if (strlen(cols[j].name) == len && !memcmp(cols[j].name, p, len))
					break;
			if (j == c->t.ncolumns || n == 16)
				return ese_fail(st, JET_errInvalidParameter, 0, "table %s: index %s: no column '%.*s'", spec->name,
				                si->name, (int)len, p);
			if (is_long(cols[j].coltyp))
				return ese_fail(st, JET_errInvalidParameter, 0, "table %s: index %s: long-value column %s",
				                spec->name, si->name, cols[j].name);
			if (cols[j].coltyp == JET_coltypText && cols[j].codepage == 1200)
				return ese_fail(st, JET_errInvalidParameter, 0,
				                "table %s: index %s: Unicode text keys need Windows sort tables; not supported "
				                "(docs/keys.md)", spec->name, si->name);
			fids[n] = cols[j].id;
			sf[n++] = desc;
			p += len;
		}
		if (!n)
			return ese_fail(st, JET_errInvalidParameter, 0, "table %s: index %s has no key column", spec->name,
			                si->name);
		int primary = (si->flags & ESE_IDX_PRIMARY) != 0;
		nprimary += primary;
		uint32_t flags = IDX_EXTENDED_COLUMNS | IDX_DEFAULT_NULLS | (si->flags & (ESE_IDX_UNIQUE | ESE_IDX_PRIMARY));
		if (primary)
			flags |= ESE_IDX_UNIQUE;
		if (add_idx(&c->t, primary ? c->t.objid : 0, si->name, flags, fids, sf, n))
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	}
	if (nprimary > 1)
		return ese_fail(st, JET_errInvalidParameter, 0, "table %s has %d primary indexes", spec->name, nprimary);
	/* objids: secondary indexes, then the long-value tree; the primary first in the catalog */
	for (size_t i = 0; i < c->t.nindexes; i++) {
		if (c->t.indexes[i].flags & ESE_IDX_PRIMARY)
			c->primary = (int)i;
		else
			c->t.indexes[i].objid = cr->next_objid++;
	}
	if (has_lv)
		c->t.lv_objid = cr->next_objid++;
	c->next_lid = 1;
	c->autoinc_next = 1;
	return 0;
}

/* ---- open / insert ------------------------------------------------------- */

static void free_ctab(struct ctab *c)
{
	ese_table *t = &c->t;
	for (size_t j = 0; j < t->ncolumns; j++) {
		free(t->columns[j].name);
		free(t->columns[j].default_value);
	}
	for (size_t j = 0; j < t->nindexes; j++) {
		free(t->indexes[j].name);
		free(t->indexes[j].locale);
		free(t->indexes[j].segs);
	}
	free(t->columns);
	free(t->indexes);
	free(t->name);
	free(c->colmap);
	free(c->ixobj);
	free(c->specs);
	if (c->stream)
		ese_bulk_abort(c->stream);
	for (size_t i = 0; c->ixs && i < t->nindexes; i++)
		ese_sorter_close(c->ixs[i]);
	free(c->ixs);
	free(c->last_key);
	ese_sorter_close(c->rows);
	ese_sorter_close(c->lvs);
}

void ese_create_abort(ese_creator *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->ntabs; i++)
		free_ctab(&c->tabs[i]);
	free(c->tabs);
	ese_writer_abort(c->w);
	ese_sbuf_free(&c->rec);
	ese_keylist_free(&c->kl);
	free(c->ev);
	free(c->count);
	free(c->inst);
	free(c->lids);
	free(c);
}

const ese_table *ese_create_table_def(const ese_creator *c, size_t i)
{
	return i < c->ntabs - NSYS ? &c->tabs[NSYS + i].t : NULL;
}

static int open_sorters(struct ctab *c, ese_status *st)
{
	int err = ese_sorter_open(SORT_MEM, NULL, &c->rows, st);
	if (!err && c->t.lv_objid)
		err = ese_sorter_open(SORT_MEM, NULL, &c->lvs, st);
	if (!err && c->t.nindexes && (!(c->ixobj = calloc(c->t.nindexes, sizeof(ese_wobj *))) ||
	                              !(c->specs = calloc(c->t.nindexes, sizeof(ese_key_spec)))))
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	for (size_t i = 0; !err && i < c->t.nindexes; i++)
		ese_key_spec_from_index(&c->specs[i], &c->t.indexes[i]);
	return err;
}

int ese_create_open(const char *path, uint32_t page_size, unsigned flags, uint64_t seed,
                    const ese_create_table *tables, size_t ntables, unsigned fill, ese_creator **out, ese_status *st)
{
	*out = NULL;
	ese_creator *c = calloc(1, sizeof(*c));
	if (!c)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	c->fill = fill ? fill : 90;
	c->ps = page_size;
	c->next_objid = 8;
	ese_sbuf_init(&c->rec);
	ese_keylist_init(&c->kl);
	c->tabs = calloc(NSYS + ntables, sizeof(struct ctab));
	int err = 0;
	if (!c->tabs) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto fail;
	}
	c->ntabs = NSYS + ntables;
	for (size_t i = 0; i < ntables; i++) {
		for (size_t j = 0; j < i; j++)
			if (tables[i].name && tables[j].name && !strcasecmp(tables[i].name, tables[j].name)) {
				err = ese_fail(st, JET_errInvalidParameter, 0, "table %s defined twice", tables[i].name);
				goto fail;
			}
		if (!tables[i].name || !*tables[i].name || !strncasecmp(tables[i].name, "MSys", 4)) {
			err = ese_fail(st, JET_errInvalidParameter, 0, "table %zu: name '%s' is empty or reserved", i,
			               tables[i].name ? tables[i].name : "");
			goto fail;
		}
	}
	if (define_mso(&c->tabs[0], 2, 0) || define_mso(&c->tabs[1], 3, 1) || define_objids(&c->tabs[2]) ||
	    define_locales(&c->tabs[3])) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto fail;
	}
	for (int i = 0; i < NSYS; i++) {
		c->tabs[i].autoinc = -1;
		set_offsets(&c->tabs[i].t);
	}
	for (size_t i = 0; i < ntables; i++)
		if ((err = define_user(c, &c->tabs[NSYS + i], &tables[i], st)))
			goto fail;
	for (size_t i = 0; i < c->ntabs; i++)
		if ((err = open_sorters(&c->tabs[i], st)))
			goto fail;
	if ((err = ese_writer_create(path, page_size, flags, seed, &c->w, st)))
		goto fail;
	/* the objects whose pages the format fixes, in page order */
	ese_wobj *root = ese_writer_root(c->w);
	struct ctab *mso = &c->tabs[0], *sh = &c->tabs[1];
	if (!(mso->obj = ese_writer_object(c->w, root, 2, 4, 20, 0, st)) ||
	    !(mso->ixobj[1] = ese_writer_object(c->w, mso->obj, 4, 7, 3, ESE_PF_INDEX, st)) ||
	    !(mso->ixobj[2] = ese_writer_object(c->w, mso->obj, 5, 10, 3, ESE_PF_INDEX, st)) ||
	    !(sh->obj = ese_writer_object(c->w, root, 3, 24, 5, 0, st)) ||
	    !(c->tabs[2].obj = ese_writer_object(c->w, root, 6, 0, 3, 0, st)) ||
	    !(c->tabs[3].obj = ese_writer_object(c->w, root, 7, 0, 3, 0, st))) {
		err = st ? st->err : JET_errOutOfMemory;
		goto fail;
	}
	*out = c;
	return 0;
fail:
	ese_create_abort(c);
	return err ? err : JET_errInvalidParameter;
}

/* Stores a long value in t's long-value tree; lid_out receives the LID (LE). */
static int put_lv(ese_creator *cr, struct ctab *c, const uint8_t *data, size_t len, uint8_t lid_out[4], ese_status *st)
{
	uint32_t lid = c->next_lid++;
	uint8_t key[8], root[8];
	put_be32(key, lid);
	put_le32(root, 1);
	put_le32(root + 4, (uint32_t)len);
	int err = ese_sorter_add(c->lvs, key, 4, root, 8, st);
	size_t chunk = ese_lv_chunk_size(&c->t, cr->ps);
	for (size_t off = 0; !err && off < len; off += chunk) {
		put_be32(key + 4, (uint32_t)off);
		err = ese_sorter_add(c->lvs, key, 8, data + off, len - off < chunk ? len - off : chunk, st);
	}
	put_le32(lid_out, lid);
	return err;
}

/* Encodes a record of c from vals into cr->rec and computes its primary key
 * into key (*klen). */
static int build_record(ese_creator *cr, struct ctab *c, const ese_create_value *vals, size_t nvals, uint8_t *key,
                        size_t *klen, ese_status *st)
{
	ese_table *t = &c->t;
	size_t ncol = t->ncolumns;
	uint8_t autobuf[8];
	int err = 0;
	/* scratch kept in the creator: four allocations per record were a
	 * tenth of the load's time */
	if (ncol > cr->ncol_cap || !cr->ev) {
		size_t n = ncol > 16 ? ncol : 16;
		ese_value *ev2 = realloc(cr->ev, n * sizeof(*ev2));
		if (ev2)
			cr->ev = ev2;
		size_t *cnt2 = realloc(cr->count, n * sizeof(*cnt2));
		if (cnt2)
			cr->count = cnt2;
		if (!ev2 || !cnt2)
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		cr->ncol_cap = n;
	}
	if (nvals > cr->nval_cap || !cr->inst) {
		size_t n = nvals > 16 ? nvals : 16;
		ese_instance *in2 = realloc(cr->inst, n * sizeof(*in2));
		if (in2)
			cr->inst = in2;
		uint8_t (*l2)[4] = realloc(cr->lids, n * 4);
		if (l2)
			cr->lids = l2;
		if (!in2 || !l2)
			return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		cr->nval_cap = n;
	}
	ese_value *ev = cr->ev;
	size_t *count = cr->count;
	ese_instance *inst = cr->inst;
	uint8_t (*lids)[4] = cr->lids;
	memset(ev, 0, ncol * sizeof(*ev));
	memset(count, 0, ncol * sizeof(*count));
	memset(inst, 0, nvals * sizeof(*inst));
	for (size_t i = 0; i < nvals; i++) {
		if (vals[i].column >= c->nspec) {
			err = ese_fail(st, JET_errColumnNotFound, 0, "table %s: no column number %zu", t->name, vals[i].column);
			goto out;
		}
		count[c->colmap[vals[i].column]]++;
	}
	/* instances, grouped by column in the order given */
	size_t ni = 0, nev = 0;
	for (size_t j = 0; j < ncol; j++) {
		ese_column *col = &t->columns[j];
		if (!count[j]) {
			if ((int)j == c->autoinc) {
				if (col->coltyp == JET_coltypLong)
					put_le32(autobuf, (uint32_t)c->autoinc_next);
				else
					put_le64(autobuf, c->autoinc_next);
				c->autoinc_next++;
				ev[nev].columnid = col->id;
				ev[nev].data = autobuf;
				ev[nev++].len = ese_coltyp_fixed_size(col->coltyp);
				continue;
			}
			if (col->flags & ESE_COL_NOT_NULL) {
				err = ese_fail(st, ERR_NULL_INVALID, 0, "table %s: column %s is NOT NULL", t->name, col->name);
				goto out;
			}
			continue;
		}
		if (count[j] > 1 && !(col->flags & ESE_COL_MULTIVALUED)) {
			err = ese_fail(st, JET_errInvalidParameter, 0, "table %s: column %s given %zu times", t->name, col->name,
			               count[j]);
			goto out;
		}
		ese_value *v = &ev[nev++];
		v->columnid = col->id;
		size_t first = ni;
		for (size_t i = 0; i < nvals; i++) {
			if (c->colmap[vals[i].column] != j)
				continue;
			const uint8_t *d = vals[i].data;
			size_t len = vals[i].len;
			if (is_long(col->coltyp) && len > LV_INTRINSIC_MAX) {
				if ((err = put_lv(cr, c, d, len, lids[ni], st)))
					goto out;
				inst[ni].data = lids[ni];
				inst[ni].len = 4;
				inst[ni].separated = 1;
			} else {
				inst[ni].data = d;
				inst[ni].len = len;
			}
			if ((int)j == c->autoinc && len == ese_coltyp_fixed_size(col->coltyp)) {
				uint64_t given = len == 4 ? get_le32(d) : get_le64(d);
				if (given >= c->autoinc_next)
					c->autoinc_next = given + 1;
			}
			ni++;
		}
		if (col->id >= 256) {
			if (count[j] == 1 && inst[first].separated) {
				v->data = inst[first].data;
				v->len = 4;
				v->tag_flags = ESE_TAG_SEPARATED;
			} else if (count[j] == 1 && !(col->flags & ESE_COL_MULTIVALUED)) {
				v->data = inst[first].data;
				v->len = inst[first].len;
			} else {
				v->instances = &inst[first];
				v->ninstances = count[j];
			}
		} else {
			v->data = inst[first].data;
			v->len = inst[first].len;
		}
	}
	ese_sbuf_reset(&cr->rec);
	if ((err = ese_record_encode(&cr->rec, t, ev, nev, cr->ps, 0, st)))
		goto out;
	if (cr->rec.oom) {
		err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		goto out;
	}
	/* the primary key */
	if (c->primary < 0) {
		put_be32(key, ++c->dbk);
		*klen = 4;
	} else {
		ese_record r;
		if ((err = ese_record_parse(&r, (const uint8_t *)cr->rec.data, cr->rec.len, ese_page_is_large(cr->ps), st)) ||
		    (err = ese_index_keys(t, &t->indexes[c->primary], &c->specs[c->primary], &r, NULL, NULL, &cr->kl, st)))
			goto out;
		if (cr->kl.n != 1) {
			err = ese_fail(st, ERR_NULL_INVALID, 0, "table %s: the primary key of a record is NULL", t->name);
			goto out;
		}
		const uint8_t *k = ese_keylist_key(&cr->kl, 0, klen);
		memcpy(key, k, *klen);
	}
out:
	return err;
}

/* Opens what the rows of c go into: a sorter per secondary index, the
 * table's object and the bulk builder of its data tree. */
static int open_rows(ese_creator *cr, struct ctab *c, ese_bulk **b, ese_status *st)
{
	ese_table *t = &c->t;
	int err = 0;
	if (!c->ixs && !(c->ixs = calloc(t->nindexes ? t->nindexes : 1, sizeof(*c->ixs))))
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	for (size_t i = 0; i < t->nindexes && !err; i++)
		if ((int)i != c->primary && !c->ixs[i])
			err = ese_sorter_open(SORT_MEM, NULL, &c->ixs[i], st);
	if (!c->obj && !err && !(c->obj = ese_writer_object(cr->w, ese_writer_root(cr->w), t->objid, 0, 4, 0, st)))
		err = st ? st->err : JET_errOutOfMemory;
	if (!err)
		err = ese_bulk_open(cr->w, c->obj, 1, cr->fill, b, st);
	return err;
}

/* One row, in key order, into the data tree (b) and its index entries
 * into their sorters. */
static int add_row(ese_creator *cr, struct ctab *c, ese_bulk *b, const uint8_t *k, size_t kl, const uint8_t *d,
                   size_t dl, ese_status *st)
{
	ese_table *t = &c->t;
	int err = ese_bulk_add(b, k, kl, d, dl, st);
	if (err) {
		if (err == JET_errInvalidParameter)
			err = ese_fail(st, ERR_KEY_DUPLICATE, 0, "table %s: two records have the same primary key", t->name);
		return err;
	}
	if (t->nindexes <= (c->primary >= 0 ? 1u : 0u))
		return 0;
	ese_record r;
	if ((err = ese_record_parse(&r, d, dl, ese_page_is_large(cr->ps), st)))
		return err;
	for (size_t i = 0; i < t->nindexes && !err; i++) {
		if ((int)i == c->primary)
			continue;
		if ((err = ese_index_keys(t, &t->indexes[i], &c->specs[i], &r, NULL, NULL, &cr->kl, st)))
			break;
		for (size_t j = 0; j < cr->kl.n && !err; j++) {
			size_t ikl;
			const uint8_t *ik = ese_keylist_key(&cr->kl, j, &ikl);
			err = ese_sorter_add(c->ixs[i], ik, ikl, k, kl, st);
		}
	}
	return err;
}

static int insert_into(ese_creator *cr, struct ctab *c, const ese_create_value *vals, size_t nvals, ese_status *st)
{
	uint8_t key[ESE_KEY_MOST_MAX];
	size_t klen = 0;
	int err = build_record(cr, c, vals, nvals, key, &klen, st);
	if (err)
		return err;
	/* a table declared in order streams while no other table does (the
	 * pages of one tree stay contiguous); otherwise its rows are sorted */
	if (c->in_order && (c->stream || (!cr->streaming && c->nrows == 0))) {
		int order = c->stream ? ese_key_compare(c->last_key, c->last_klen, key, klen) : -1;
		if (order >= 0)
			return ese_fail(st, ERR_KEY_DUPLICATE, 0,
			                "table %s: a row %s the one before it, in a table declared in key order", c->t.name,
			                order ? "sorts before" : "has the key of");
		if (!c->stream) {
			if (!c->last_key && !(c->last_key = malloc(ESE_KEY_MOST_MAX)))
				return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
			if ((err = open_rows(cr, c, &c->stream, st)))
				return err;
			cr->streaming = c;
		}
		if ((err = add_row(cr, c, c->stream, key, klen, (const uint8_t *)cr->rec.data, cr->rec.len, st)))
			return err;
		memcpy(c->last_key, key, klen);
		c->last_klen = klen;
	} else if ((err = ese_sorter_add(c->rows, key, klen, (const uint8_t *)cr->rec.data, cr->rec.len, st))) {
		return err;
	}
	c->nrows++;
	return 0;
}

int ese_create_insert(ese_creator *c, size_t table, const ese_create_value *vals, size_t nvals, ese_status *st)
{
	if (table >= c->ntabs - NSYS)
		return ese_fail(st, JET_errInvalidParameter, 0, "no table number %zu", table);
	return insert_into(c, &c->tabs[NSYS + table], vals, nvals, st);
}

/* ---- commit ---------------------------------------------------------------- */

/* Streams a sorter into a new tree of obj; dup_err for equal keys. */
static int build_tree(ese_creator *cr, ese_wobj *obj, int unique, ese_sorter *s, uint64_t *n, ese_status *st)
{
	ese_bulk *b;
	int err = ese_sorter_finish(s, st);
	if (err || (err = ese_bulk_open(cr->w, obj, unique, cr->fill, &b, st)))
		return err;
	const uint8_t *k, *d;
	size_t kl, dl;
	uint64_t count = 0;
	while ((err = ese_sorter_next(s, &k, &kl, &d, &dl, st)) == 0) {
		if ((err = ese_bulk_add(b, k, kl, d, dl, st))) {
			if (err == JET_errInvalidParameter)
				err = ese_fail(st, ERR_KEY_DUPLICATE, 0, "duplicate key in object %u", ese_wobj_objid(obj));
			ese_bulk_abort(b);
			return err;
		}
		count++;
	}
	if (err != JET_errRecordNotFound) {
		ese_bulk_abort(b);
		return err;
	}
	if (n)
		*n = count;
	return ese_bulk_finish(b, st);
}

/* Builds a table's data tree (computing its secondary index entries on
 * the way), then its long-value tree and its indexes. */
static int build_table(ese_creator *cr, struct ctab *c, ese_status *st)
{
	ese_table *t = &c->t;
	int err = 0;
	ese_bulk *b = c->stream;      /* a streamed table: its rows are in already */
	c->stream = NULL;
	if (!b) {
		if (!(err = open_rows(cr, c, &b, st)))
			err = ese_sorter_finish(c->rows, st);
		const uint8_t *k, *d;
		size_t kl, dl;
		while (!err && (err = ese_sorter_next(c->rows, &k, &kl, &d, &dl, st)) == 0)
			err = add_row(cr, c, b, k, kl, d, dl, st);
		if (err == JET_errRecordNotFound)
			err = 0;
	}
	ese_sorter **ixs = c->ixs;
	if (b) {
		if (err)
			ese_bulk_abort(b);
		else
			err = ese_bulk_finish(b, st);
	}
	t->pgno_fdp = c->obj ? ese_wobj_fdp(c->obj) : 0;
	if (!err && t->lv_objid) {
		if (!(c->lvobj = ese_writer_object(cr->w, c->obj, t->lv_objid, 0, 3, ESE_PF_LONG_VALUE, st)))
			err = st ? st->err : JET_errOutOfMemory;
		else
			err = build_tree(cr, c->lvobj, 1, c->lvs, NULL, st);
		t->lv_pgno_fdp = c->lvobj ? ese_wobj_fdp(c->lvobj) : 0;
	}
	for (size_t i = 0; i < t->nindexes && !err; i++) {
		ese_index *ix = &t->indexes[i];
		if ((int)i == c->primary) {
			ix->pgno_fdp = t->pgno_fdp;
			continue;
		}
		int unique = (ix->flags & ESE_IDX_UNIQUE) != 0;
		if (!c->ixobj[i] && !(c->ixobj[i] = ese_writer_object(cr->w, c->obj, ix->objid, 0, 3,
		                                                        ESE_PF_INDEX | (unique ? 0 : ESE_PF_NON_UNIQUE), st))) {
			err = st ? st->err : JET_errOutOfMemory;
			break;
		}
		ix->pgno_fdp = ese_wobj_fdp(c->ixobj[i]);
		err = build_tree(cr, c->ixobj[i], unique, ixs[i], NULL, st);
		if (err == ERR_KEY_DUPLICATE)
			ese_fail(st, err, 0, "table %s: unique index %s has a duplicate key", t->name, ix->name);
	}
	for (size_t i = 0; ixs && i < t->nindexes; i++)
		ese_sorter_close(ixs[i]);
	free(ixs);
	c->ixs = NULL;
	return err;
}

/* Catalog rows: one MSysObjects record per table, column, index, LV. */
struct cv {
	ese_create_value v[24];
	size_t n;
	uint8_t num[16][4];
	size_t nnum;
};

static void cv_num(struct cv *r, size_t col, uint32_t val, size_t bytes)
{
	uint8_t *p = r->num[r->nnum++];
	if (bytes == 1)
		p[0] = (uint8_t)val;
	else if (bytes == 2)
		put_le16(p, (uint16_t)val);
	else
		put_le32(p, val);
	r->v[r->n].column = col;
	r->v[r->n].data = p;
	r->v[r->n++].len = bytes;
}

static void cv_bytes(struct cv *r, size_t col, const void *p, size_t len)
{
	r->v[r->n].column = col;
	r->v[r->n].data = p;
	r->v[r->n++].len = len;
}

/* spec index of an MSO column id (the MSO ctab's columns are by id and
 * its colmap is the identity). */
static size_t mcol(const struct ctab *mso, uint32_t id)
{
	for (size_t i = 0; i < mso->t.ncolumns; i++)
		if (mso->t.columns[i].id == id)
			return i;
	return 0;
}

static int catalog_rows_for(ese_creator *cr, const struct ctab *c, ese_status *st)
{
	struct ctab *mso = &cr->tabs[0];
	const ese_table *t = &c->t;
	struct cv r;
	int err = 0;
	/* the table */
	memset(&r, 0, sizeof(r));
	cv_num(&r, mcol(mso, 1), t->objid, 4);
	cv_num(&r, mcol(mso, 2), ESE_SYSOBJ_TABLE, 2);
	cv_num(&r, mcol(mso, 3), t->objid, 4);
	cv_num(&r, mcol(mso, 4), t->pgno_fdp, 4);
	cv_num(&r, mcol(mso, 5), t->density, 4);
	cv_num(&r, mcol(mso, 6), c->table_flags, 4);
	cv_num(&r, mcol(mso, 7), c->pages, 4);
	cv_num(&r, mcol(mso, 8), 0xFF, 1);
	cv_bytes(&r, mcol(mso, 128), t->name, strlen(t->name));
	if ((err = insert_into(cr, mso, r.v, r.n, st)))
		return err;
	/* its columns */
	for (size_t i = 0; i < t->ncolumns; i++) {
		const ese_column *col = &t->columns[i];
		memset(&r, 0, sizeof(r));
		cv_num(&r, mcol(mso, 1), t->objid, 4);
		cv_num(&r, mcol(mso, 2), ESE_SYSOBJ_COLUMN, 2);
		cv_num(&r, mcol(mso, 3), col->id, 4);
		cv_num(&r, mcol(mso, 4), col->coltyp, 4);
		cv_num(&r, mcol(mso, 5), col->size, 4);
		cv_num(&r, mcol(mso, 6), col->flags, 4);
		cv_num(&r, mcol(mso, 7), col->codepage, 4);
		if (col->id < 128)
			cv_num(&r, mcol(mso, 9), c->system_offsets ? 4 : col->record_offset, 2);
		cv_bytes(&r, mcol(mso, 128), col->name, strlen(col->name));
		if (col->default_len)
			cv_bytes(&r, mcol(mso, 131), col->default_value, col->default_len);
		if ((err = insert_into(cr, mso, r.v, r.n, st)))
			return err;
	}
	/* its indexes */
	static const uint8_t en_us[] = { 'e', 0, 'n', 0, '-', 0, 'U', 0, 'S', 0 };
	for (size_t i = 0; i < t->nindexes; i++) {
		const ese_index *ix = &t->indexes[i];
		uint8_t segs[16 * 4];
		for (size_t s = 0; s < ix->nsegs && s < 16; s++) {
			segs[4 * s] = ix->segs[s].flags;
			segs[4 * s + 1] = 0;
			put_le16(segs + 4 * s + 2, (uint16_t)ix->segs[s].columnid);
		}
		memset(&r, 0, sizeof(r));
		cv_num(&r, mcol(mso, 1), t->objid, 4);
		cv_num(&r, mcol(mso, 2), ESE_SYSOBJ_INDEX, 2);
		cv_num(&r, mcol(mso, 3), ix->objid, 4);
		cv_num(&r, mcol(mso, 4), ix->pgno_fdp, 4);
		cv_num(&r, mcol(mso, 5), ix->density, 4);
		cv_num(&r, mcol(mso, 6), ix->flags, 4);
		cv_num(&r, mcol(mso, 7), 0, 4);
		cv_num(&r, mcol(mso, 10), ix->lcmap_flags, 4);
		cv_bytes(&r, mcol(mso, 128), ix->name, strlen(ix->name));
		cv_bytes(&r, mcol(mso, 132), segs, 4 * ix->nsegs);
		cv_bytes(&r, mcol(mso, 261), en_us, sizeof(en_us));
		if ((err = insert_into(cr, mso, r.v, r.n, st)))
			return err;
	}
	/* its long-value tree */
	if (t->lv_objid) {
		memset(&r, 0, sizeof(r));
		cv_num(&r, mcol(mso, 1), t->objid, 4);
		cv_num(&r, mcol(mso, 2), ESE_SYSOBJ_LV, 2);
		cv_num(&r, mcol(mso, 3), t->lv_objid, 4);
		cv_num(&r, mcol(mso, 4), t->lv_pgno_fdp, 4);
		cv_num(&r, mcol(mso, 5), 100, 4);
		cv_num(&r, mcol(mso, 6), 0, 4);
		cv_num(&r, mcol(mso, 7), 1, 4);
		cv_bytes(&r, mcol(mso, 128), "LV", 2);
		err = insert_into(cr, mso, r.v, r.n, st);
	}
	return err;
}

/* MSysObjids: one row per object with a tree of its own (not primary indexes). */
static int objid_row(ese_creator *cr, uint32_t objid, uint32_t objid_table, uint16_t type, ese_status *st)
{
	uint8_t a[4], b[4], t[2];
	put_le32(a, objid);
	put_le32(b, objid_table);
	put_le16(t, type);
	ese_create_value v[3] = { { 0, a, 4 }, { 1, b, 4 }, { 2, t, 2 } };
	return insert_into(cr, &cr->tabs[2], v, 3, st);
}

/* MSysLocales: the version rows a fresh ESE database holds. */
static int locale_rows(ese_creator *cr, ese_status *st)
{
	static const struct { uint8_t type; uint32_t value; const char *key; } rows[] = {
		{ 1, 1, ".Schema\\External\\Major" }, { 1, 0, ".Schema\\External\\Minor" },
		{ 1, 0, ".Schema\\External\\Update" }, { 1, 1, ".Schema\\Internal\\Major" },
		{ 1, 0, ".Schema\\Internal\\Minor" }, { 1, 0, ".Schema\\Internal\\Update" },
		{ 2, 1, "MSysLocalesConsistent" },
	};
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		uint8_t key[128], ty = rows[i].type, val[4];
		size_t n = 0;
		for (const char *p = rows[i].key; *p; p++) {   /* UTF-16LE with its NUL */
			key[n++] = (uint8_t)*p;
			key[n++] = 0;
		}
		key[n++] = 0;
		key[n++] = 0;
		put_le32(val, rows[i].value);
		ese_create_value v[3] = { { 0, &ty, 1 }, { 1, val, 4 }, { 2, key, n } };
		int err = insert_into(cr, &cr->tabs[3], v, 3, st);
		if (err)
			return err;
	}
	return 0;
}

int ese_create_commit(ese_creator *c, ese_status *st)
{
	int err = 0;
	/* system tables' colmaps: identity */
	for (int i = 0; i < NSYS && !err; i++) {
		struct ctab *s = &c->tabs[i];
		s->nspec = s->t.ncolumns;
		if (!(s->colmap = calloc(s->nspec, sizeof(size_t))))
			err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
		for (size_t j = 0; s->colmap && j < s->nspec; j++)
			s->colmap[j] = j;
	}
	/* user tables first: their pages follow the fixed system pages */
	for (size_t i = NSYS; i < c->ntabs && !err; i++)
		err = build_table(c, &c->tabs[i], st);
	/* every object's id, for MSysObjids; then the catalog */
	c->tabs[0].t.pgno_fdp = 4;
	c->tabs[1].t.pgno_fdp = 24;
	c->tabs[2].t.pgno_fdp = ese_wobj_fdp(c->tabs[2].obj);
	c->tabs[3].t.pgno_fdp = ese_wobj_fdp(c->tabs[3].obj);
	c->tabs[0].t.indexes[0].pgno_fdp = 4;
	c->tabs[0].t.indexes[1].pgno_fdp = 7;
	c->tabs[0].t.indexes[2].pgno_fdp = 10;
	c->tabs[1].t.indexes[0].pgno_fdp = 24;
	c->tabs[2].t.indexes[0].pgno_fdp = c->tabs[2].t.pgno_fdp;
	c->tabs[3].t.indexes[0].pgno_fdp = c->tabs[3].t.pgno_fdp;
	for (size_t i = 0; i < c->ntabs && !err; i++) {
		const ese_table *t = &c->tabs[i].t;
		err = objid_row(c, t->objid, t->objid, ESE_SYSOBJ_TABLE, st);
		for (size_t j = 0; j < t->nindexes && !err; j++)
			if (t->indexes[j].objid != t->objid)
				err = objid_row(c, t->indexes[j].objid, t->objid, ESE_SYSOBJ_INDEX, st);
		if (!err && t->lv_objid)
			err = objid_row(c, t->lv_objid, t->objid, ESE_SYSOBJ_LV, st);
	}
	if (!err)
		err = locale_rows(c, st);
	for (size_t i = 0; i < c->ntabs && !err; i++)
		err = catalog_rows_for(c, &c->tabs[i], st);
	/* the shadow gets the same rows: copy them as they leave the sorter */
	if (!err) {
		struct ctab *mso = &c->tabs[0], *sh = &c->tabs[1];
		if (!(err = ese_sorter_finish(mso->rows, st))) {
			const uint8_t *k, *d;
			size_t kl, dl;
			ese_sorter *copy;
			if (!(err = ese_sorter_open(SORT_MEM, NULL, &copy, st))) {
				ese_sorter *orig = mso->rows;
				while (!err && (err = ese_sorter_next(orig, &k, &kl, &d, &dl, st)) == 0) {
					err = ese_sorter_add(sh->rows, k, kl, d, dl, st);
					if (!err)
						err = ese_sorter_add(copy, k, kl, d, dl, st);
				}
				if (err == JET_errRecordNotFound)
					err = 0;
				ese_sorter_close(orig);
				mso->rows = copy;
			}
		}
	}
	for (int i = 0; i < NSYS && !err; i++)
		err = build_table(c, &c->tabs[i], st);
	if (!err) {
		ese_dbheader *h = ese_writer_header(c->w);
		if (c->next_objid - 1 > h->objid_last)
			h->objid_last = c->next_objid - 1;
		err = ese_writer_commit(c->w, st);
		c->w = NULL;
	}
	ese_create_abort(c);
	return err;
}
