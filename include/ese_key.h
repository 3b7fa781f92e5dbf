/*
 * ese_key.h - index key normalisation: the bytes ESE stores as the key of
 * an index entry (ESE fldnorm.cxx, _osu/normu.cxx, os/norm.cxx).
 *
 * A key is a concatenation of segments, one per index column, in index
 * order.  Each segment is a header byte followed by the column's value in a
 * form that sorts correctly under memcmp:
 *
 *   0x7F data | 0x00 NULL (0xC0 with SortNullsHigh) | 0x40 zero-length
 *   text/binary; a descending segment has every byte (header included)
 *   XOR 0xFF.
 *
 * The key is limited to cbKeyMost bytes (255 unless the index says
 * otherwise, at most 2000) and each variable segment to cbVarSegMac; a
 * segment that does not fit is cut and nothing is appended after it.
 * docs/keys.md gives every rule, its source, and what was checked against
 * index entries written by Windows.
 *
 * Unicode text (code page 1200) is normalised by Windows' LCMapStringEx
 * (LCMAP_SORTKEY), which cannot be reproduced in general.  This codec
 * computes the sort key for a documented subset (ASCII letters, digits,
 * space and most ASCII symbols, and the surrogate code units of plane 1,
 * where emoji live; en-US locale; LCMapFlags with NORM_IGNORECASE) and
 * returns ESE_KEY_NOT_COMPUTABLE for anything else, so that a checker can
 * say "not computable" instead of reporting a false mismatch.
 *
 * Pure codec: no I/O.  Separated long values are read through a callback
 * the caller supplies (ese_lv_read wrapped, typically).
 */
#ifndef ESE_KEY_H
#define ESE_KEY_H

#include <stddef.h>
#include <stdint.h>
#include "ese_catalog.h"
#include "ese_record.h"
#include "ese_sbuf.h"

#define ESE_KEY_MOST_DEFAULT 255u   /* JET_cbKeyMost_OLD: catalog default */
#define ESE_KEY_MOST_MAX     2000u  /* JET_cbKeyMostMost (32 KiB pages) */

/* The key cannot be computed offline: Unicode text outside the supported
 * subset, a locale, LCMapFlags or sort version this codec does not know, or
 * a column whose default comes from a callback.  The value is ESE's own
 * JET_errUnicodeNormalizationNotSupported. */
#define ESE_KEY_NOT_COMPUTABLE (-603)
/* The index disallows truncation (fidbDisallowTruncation) and the key does
 * not fit: ESE refuses such a record (JET_errKeyTruncated). */
#define ESE_KEY_TRUNCATED      (-346)

/* Segment header bytes (fldnorm.cxx bPrefix*). */
#define ESE_KEY_PREFIX_NULL        0x00u
#define ESE_KEY_PREFIX_ZERO_LENGTH 0x40u
#define ESE_KEY_PREFIX_DATA        0x7Fu
#define ESE_KEY_PREFIX_NULL_HIGH   0xC0u

/* IDXSEG flags (the first byte of a KeyFldIDs entry, ese_index_seg.flags). */
#define ESE_KEYSEG_DESCENDING  0x40u
#define ESE_KEYSEG_MUST_BE_NULL 0x20u   /* conditional columns only */

/* LE_IDXFLAG bits (ese_index.flags: fidb in the low 16 bits, fIDX above;
 * idb.hxx) that key building looks at. */
#define ESE_KEY_IDX_UNIQUE              0x00001u
#define ESE_KEY_IDX_ALLOW_ALL_NULLS     0x00002u
#define ESE_KEY_IDX_ALLOW_FIRST_NULL    0x00004u
#define ESE_KEY_IDX_ALLOW_SOME_NULLS    0x00008u
#define ESE_KEY_IDX_NO_NULL_SEG         0x00010u
#define ESE_KEY_IDX_PRIMARY             0x00020u
#define ESE_KEY_IDX_MULTIVALUED         0x00080u
#define ESE_KEY_IDX_SORT_NULLS_HIGH     0x00800u
#define ESE_KEY_IDX_CROSS_PRODUCT       0x02000u
#define ESE_KEY_IDX_DISALLOW_TRUNCATION 0x04000u
#define ESE_KEY_IDX_NESTED_TABLE        0x08000u
#define ESE_KEY_IDX_DOTNET_GUID         0x20000u  /* fIDXDotNetGuid << 16 */

/* LCMapStringEx flags (winnls.h) and ESE's default for Unicode indexes:
 * LCMAP_SORTKEY | NORM_IGNORECASE | NORM_IGNOREKANATYPE | NORM_IGNOREWIDTH. */
#define ESE_LCMAP_SORTKEY           0x00000400u
#define ESE_NORM_IGNORECASE         0x00000001u
#define ESE_NORM_IGNORENONSPACE     0x00000002u
#define ESE_NORM_IGNORESYMBOLS      0x00000004u
#define ESE_SORT_STRINGSORT         0x00001000u
#define ESE_NORM_IGNOREKANATYPE     0x00010000u
#define ESE_NORM_IGNOREWIDTH        0x00020000u
#define ESE_LCMAP_DEFAULT           0x00030401u

/* The NLS sort version and sort GUID the supported Unicode weights belong
 * to (catalog columns Version and SortID of the samples' Unicode indexes;
 * Windows 8 .. 10 default sort). */
#define ESE_KEY_NLS_VERSION_6020F   0x0006020F0006020FULL
extern const uint8_t ese_key_default_sort_id[16];

/* What an index says about how its keys are made.  Self-contained (no
 * pointers).  ese_key_spec_from_catalog reads all of it from the index's
 * MSysObjects record; ese_key_spec_from_index only what ese_index keeps
 * (it has no VarSegMac, ConditionalColumns, TupleLimits, Version or
 * SortID: an index that sets them gets wrong keys from that spec). */
#define ESE_KEY_SEGS_MOST 16u         /* JET_ccolKeyMost */
#define ESE_KEY_LOCALE_MAX 86u        /* LOCALE_NAME_MAX_LENGTH + 1 */
typedef struct ese_key_spec {
	uint32_t keymost;          /* cbKeyMost, 1..2000 (255 by default) */
	uint32_t var_seg_mac;      /* cbVarSegMac; 0 or keymost = not set */
	uint32_t idx_flags;        /* LE_IDXFLAG, ESE_KEY_IDX_* */
	uint32_t lcmap_flags;      /* LCMapFlags of Unicode segments */
	char     locale[ESE_KEY_LOCALE_MAX]; /* LocaleName ("en-US"); "": use lcid */
	uint32_t lcid;             /* legacy LCID (PagesOrLocale) */
	uint64_t sort_version;     /* catalog Version; 0 = not known */
	int      has_sort_id;      /* sort_id holds the catalog SortID */
	uint8_t  sort_id[16];
	ese_index_seg cond[ESE_KEY_SEGS_MOST]; /* conditional columns */
	size_t   ncond;
	int      tuples;           /* tuple index (TupleLimits set): unsupported */
} ese_key_spec;

/* ESE's defaults: keymost 255, no VarSegMac, no flags, LCMapFlags 0x30401,
 * locale "en-US". */
void ese_key_spec_init(ese_key_spec *spec);

/* The spec of ix as far as ese_index records it (keymost, flags,
 * lcmap_flags, locale, lcid); the other fields keep ese_key_spec_init's
 * values. */
void ese_key_spec_from_index(ese_key_spec *spec, const ese_index *ix);

/* The full spec from r, the index's own MSysObjects record (Type 3; find
 * it under ese_key_catalog_id(table objid, 3, index objid)): Flags,
 * PagesOrLocale, LCMapFlags, KeyMost, VarSegMac, ConditionalColumns,
 * TupleLimits, Version, SortID, LocaleName.  Returns 0,
 * JET_errInvalidParameter when r is not an index record, or
 * JET_errCatalogCorrupted for a field of an impossible size. */
int ese_key_spec_from_catalog(ese_key_spec *spec, const ese_record *r, ese_status *st);

/* ---- building a key segment by segment ---- */

/* A key under construction.  Initialise with ese_keybuf_init, append one
 * segment per index column, read data[0..len). */
typedef struct ese_keybuf {
	uint8_t  data[ESE_KEY_MOST_MAX];
	size_t   len;
	const ese_key_spec *spec;  /* not copied: must outlive the buffer */
	size_t   avail;            /* key bytes left (cbKeyAvail) */
	unsigned nsegs;            /* segments appended, dropped ones included */
	int      truncated;        /* a segment was cut; later ones were dropped */
	int      all_null;         /* no segment had a value (yet) */
	int      first_null;       /* the first segment was NULL */
	int      some_null;        /* some segment was NULL */
} ese_keybuf;

/* Returns 0, or JET_errInvalidParameter when spec->keymost is 0 or above
 * ESE_KEY_MOST_MAX or var_seg_mac above keymost. */
int ese_keybuf_init(ese_keybuf *kb, const ese_key_spec *spec);

/* How one index column is normalised. */
typedef struct ese_keyseg {
	uint32_t coltyp;           /* JET_coltyp */
	uint32_t codepage;         /* text: 1200 = Unicode, anything else ASCII */
	int      fixed;            /* a fixed column (id 1..127): binary is raw */
	uint8_t  flags;            /* IDXSEG flags: ESE_KEYSEG_DESCENDING */
} ese_keyseg;

void ese_keyseg_from_column(ese_keyseg *seg, const ese_column *c, uint8_t idxseg_flags);

/* Appends the segment for one column value: is_null for a NULL column,
 * else value[0..len) as stored in the record (little-endian for numbers;
 * len 0 = zero-length).  Follows ErrRECIRetrieveKey: the value is first
 * cut to the bytes ESE would read (cbKeyMost, doubled while that leaves key
 * space unused, never for keymost 255), then normalised, cut to the space
 * left, and descending segments inverted.  Once the key is full or a
 * segment was cut, later segments are counted but add no bytes.
 * Returns 0; ESE_KEY_NOT_COMPUTABLE (Unicode outside the supported subset,
 * st says which character); ESE_KEY_TRUNCATED when the index disallows
 * truncation and the key does not fit; JET_errInvalidParameter for a
 * column type that cannot be indexed or a fixed value of the wrong size;
 * JET_errOutOfMemory. */
int ese_key_append_segment(ese_keybuf *kb, const ese_keyseg *seg, const uint8_t *value, size_t len,
                           int is_null, ese_status *st);

/* The NULL state of a finished key, as ESE's wrnFLD* warnings. */
enum ese_key_nulls {
	ESE_KEY_NULLS_NONE = 0,
	ESE_KEY_NULLS_SOME,        /* wrnFLDNullSeg */
	ESE_KEY_NULLS_FIRST,       /* wrnFLDNullFirstSeg */
	ESE_KEY_NULLS_ALL,         /* wrnFLDNullKey */
};
enum ese_key_nulls ese_keybuf_nulls(const ese_keybuf *kb);

/* 1 if an index with these flags makes an entry for a key in this state
 * (AllowAllNulls / AllowFirstNull / AllowSomeNulls; NoNullSeg refuses any
 * NULL segment), else 0. */
int ese_key_nulls_indexed(uint32_t idx_flags, enum ese_key_nulls nulls);

/* The Unicode sort key (LCMapStringEx LCMAP_SORTKEY output, terminating 00
 * included) of n UTF-16LE code units at p, into out[0..cap); *outlen gets
 * the full length even when it exceeds cap (then only cap bytes are
 * written).  Returns 0 or ESE_KEY_NOT_COMPUTABLE. */
int ese_key_unicode_sortkey(const ese_key_spec *spec, const uint8_t *p, size_t n, uint8_t *out, size_t cap,
                            size_t *outlen, ese_status *st);

/* ---- all keys of a record ---- */

/* Reads separated long value lid (4 or 8 bytes as stored, little-endian)
 * into out.  ese_lv_read with the database and table bound fits. */
typedef int (*ese_key_lv_reader)(void *ctx, const uint8_t *lid, size_t lidlen, ese_sbuf *out, ese_status *st);

/* A list of keys, back to back in one buffer. */
typedef struct ese_keylist {
	ese_sbuf bytes;            /* key i: bytes.data + off[i], len[i] bytes */
	size_t  *off;
	size_t  *len;
	size_t   n, cap;
	size_t  *hslot;            /* private: duplicate detection */
	size_t   hcap;
} ese_keylist;

void ese_keylist_init(ese_keylist *kl);
void ese_keylist_free(ese_keylist *kl);
void ese_keylist_reset(ese_keylist *kl);
const uint8_t *ese_keylist_key(const ese_keylist *kl, size_t i, size_t *len);

/* The keys index ix of table t holds for record r, replacing kl's content,
 * in the order ESE enumerates them (ErrRECIEnumerateKeys): one key for a
 * record without multi-valued segments, one per instance of the first
 * multi-valued column otherwise (every combination for CrossProduct, the
 * instances side by side for NestedTable), exact duplicates dropped (an
 * index tree holds each key+bookmark once).  kl->n is 0 when the record
 * has no entry (NULL rules, conditional columns).  spec NULL means
 * ese_key_spec_from_index(ix), which knows no VarSegMac, conditional
 * columns or sort version: pass ese_key_spec_from_catalog's when you can.  Column values absent from the record take
 * the column's default, as ESE does.  Separated long values are read with
 * lv(lv_ctx, ...); compressed ones are decompressed.
 * Returns 0; ESE_KEY_NOT_COMPUTABLE; ESE_KEY_TRUNCATED; JET_errColumnNotFound
 * for a segment naming no column of t; JET_errInvalidParameter for a tuple
 * index, or a separated long value with lv NULL; JET_errDatabaseCorrupted
 * for a value the record cannot hold; JET_errOutOfMemory. */
int ese_index_keys(const ese_table *t, const ese_index *ix, const ese_key_spec *spec, const ese_record *r,
                   ese_key_lv_reader lv, void *lv_ctx, ese_keylist *kl, ese_status *st);

/* ---- catalog keys (ESE-FORMAT-NOTES 4.4) ---- */

/* MSysObjects primary key ("Id": ObjidTable, Type, Id): 13 bytes
 * 7F BE32(objid^0x80000000) 7F BE16(type^0x8000) 7F BE32(id^0x80000000). */
#define ESE_KEY_CATALOG_ID_LEN 13u
void ese_key_catalog_id(uint8_t out[ESE_KEY_CATALOG_ID_LEN], uint32_t objid_table, uint16_t type, uint32_t id);

/* "Name" index key (ObjidTable, Type, Name): 7F..objid 7F..type 7F
 * UPPER(name) 00, cut at 255 bytes.  name[0..namelen) in code page 1252. */
int ese_key_catalog_name(ese_keybuf *kb, uint32_t objid_table, uint16_t type, const char *name, size_t namelen);

/* "RootObjects" index key (RootFlag, Name) of a table record:
 * 7F FF 7F UPPER(name) 00. */
int ese_key_catalog_root(ese_keybuf *kb, const char *name, size_t namelen);

#endif
