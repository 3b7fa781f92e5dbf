/*
 * key.c - index key normalisation (include/ese_key.h, docs/keys.md).
 *
 * The rules follow Microsoft's ESE (fldnorm.cxx ErrRECIIRetrieveKey and the
 * FLDNormalize* helpers, _osu/normu.cxx ErrUtilNormText, os/norm.cxx
 * ErrNORMMapString, rec.hxx KeySequence, recupd.cxx ErrRECIEnumerateKeys);
 * the code is this project's own.  Invariants kept here:
 *
 *  1. A key never exceeds spec->keymost bytes; kb->avail = keymost - len.
 *  2. Once a segment was cut (kb->truncated) no later segment adds bytes,
 *     but NULL bookkeeping continues as in ESE.
 *  3. A descending segment is inverted after it was cut, header included.
 *  4. Unicode sort keys are produced only for code units whose weights are
 *     known (table below); anything else is ESE_KEY_NOT_COMPUTABLE, never a
 *     guess.
 */
#include "ese_key.h"
#include "ese_compress.h"
#include "bytes.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define BINARY_CHUNK      8u   /* cbFLDBinaryChunk */
#define BINARY_CHUNK_NORM 9u   /* cbFLDBinaryChunkNormalized */
#define KEYS_MOST         (1u << 20)   /* enumeration guard: keys per record */

const uint8_t ese_key_default_sort_id[16] = {
	/* 00000001-57ee-1e5c-00b4-d0000bb1e11e as stored (GUID, little-endian) */
	0x01, 0x00, 0x00, 0x00, 0xee, 0x57, 0x5c, 0x1e, 0x00, 0xb4, 0xd0, 0x00, 0x0b, 0xb1, 0xe1, 0x1e,
};

void ese_key_spec_init(ese_key_spec *spec)
{
	memset(spec, 0, sizeof(*spec));
	spec->keymost = ESE_KEY_MOST_DEFAULT;
	spec->lcmap_flags = ESE_LCMAP_DEFAULT;
	strcpy(spec->locale, "en-US");
}

static void set_locale(ese_key_spec *spec, const char *locale)
{
	spec->locale[0] = '\0';
	if (locale && strlen(locale) < sizeof(spec->locale))
		strcpy(spec->locale, locale);
	else if (locale)
		strcpy(spec->locale, "?");     /* too long: no locale this codec knows */
}

void ese_key_spec_from_index(ese_key_spec *spec, const ese_index *ix)
{
	ese_key_spec_init(spec);
	spec->keymost = ix->keymost ? ix->keymost : ESE_KEY_MOST_DEFAULT;
	spec->idx_flags = ix->flags;
	spec->lcmap_flags = ix->lcmap_flags ? ix->lcmap_flags : ESE_LCMAP_DEFAULT;
	set_locale(spec, ix->locale);
	spec->lcid = ix->lcid;
}

/* MSysObjects columns read below (ESE _cat.cxx; fixed offsets as ESE packs
 * the catalog's hard-coded schema). */
static const ese_column mso_type = { .id = 2, .coltyp = JET_coltypShort, .size = 2, .record_offset = 8 };
static const ese_column mso_flags = { .id = 6, .coltyp = JET_coltypLong, .size = 4, .record_offset = 22 };
static const ese_column mso_locale = { .id = 7, .coltyp = JET_coltypLong, .size = 4, .record_offset = 26 };
static const ese_column mso_lcmap = { .id = 10, .coltyp = JET_coltypLong, .size = 4, .record_offset = 33 };
static const ese_column mso_keymost = { .id = 11, .coltyp = JET_coltypUnsignedShort, .size = 2, .record_offset = 37 };

static int mso_value(const ese_record *r, uint32_t id, const ese_column *fixed, ese_colval *v, ese_status *st)
{
	static const ese_table mso = { .objid = 2 };
	ese_column c = { .id = id, .coltyp = JET_coltypBinary };
	return ese_record_get(r, &mso, fixed ? fixed : &c, v, st);
}

int ese_key_spec_from_catalog(ese_key_spec *spec, const ese_record *r, ese_status *st)
{
	ese_colval v;
	int err;
	ese_key_spec_init(spec);
	if ((err = mso_value(r, 2, &mso_type, &v, st)))
		return err;
	if (!v.present || get_le16(v.data) != ESE_SYSOBJ_INDEX)
		return ese_fail(st, JET_errInvalidParameter, 0, "catalog record is not an index");
	if ((err = mso_value(r, 6, &mso_flags, &v, st)))
		return err;
	spec->idx_flags = v.present ? get_le32(v.data) : 0;
	if ((err = mso_value(r, 7, &mso_locale, &v, st)))
		return err;
	spec->lcid = v.present ? get_le32(v.data) : 0;
	if ((err = mso_value(r, 10, &mso_lcmap, &v, st)))
		return err;
	if (v.present)
		spec->lcmap_flags = get_le32(v.data);
	if ((err = mso_value(r, 11, &mso_keymost, &v, st)))
		return err;
	if (v.present)
		spec->keymost = get_le16(v.data);
	if ((err = mso_value(r, 133, NULL, &v, st)))        /* VarSegMac */
		return err;
	if (v.present) {
		if (v.len != 2)
			return ese_fail(st, JET_errCatalogCorrupted, 0, "VarSegMac of %zu bytes", v.len);
		spec->var_seg_mac = get_le16(v.data);
	}
	if ((err = mso_value(r, 134, NULL, &v, st)))        /* ConditionalColumns */
		return err;
	if (v.present) {
		if (!(spec->idx_flags & 0x10000u) || v.len % 4 || v.len / 4 > ESE_KEY_SEGS_MOST)
			return ese_fail(st, JET_errCatalogCorrupted, 0, "ConditionalColumns of %zu bytes", v.len);
		spec->ncond = v.len / 4;
		for (size_t i = 0; i < spec->ncond; i++) {
			spec->cond[i].flags = v.data[4 * i];
			spec->cond[i].columnid = get_le16(v.data + 4 * i + 2);
		}
	}
	if ((err = mso_value(r, 135, NULL, &v, st)))        /* TupleLimits */
		return err;
	spec->tuples = v.present;
	if ((err = mso_value(r, 136, NULL, &v, st)))        /* Version */
		return err;
	if (v.present) {
		if (v.len != 8)
			return ese_fail(st, JET_errCatalogCorrupted, 0, "sort Version of %zu bytes", v.len);
		spec->sort_version = get_le64(v.data);
	}
	if ((err = mso_value(r, 137, NULL, &v, st)))        /* SortID */
		return err;
	if (v.present) {
		if (v.len != 16)
			return ese_fail(st, JET_errCatalogCorrupted, 0, "SortID of %zu bytes", v.len);
		memcpy(spec->sort_id, v.data, 16);
		spec->has_sort_id = 1;
	}
	if ((err = mso_value(r, 261, NULL, &v, st)))        /* LocaleName, UTF-16LE */
		return err;
	spec->locale[0] = '\0';
	if (v.present) {
		size_t k = 0;
		for (size_t i = 0; i + 1 < v.len && k + 1 < sizeof(spec->locale); i += 2) {
			uint16_t c = get_le16(v.data + i);
			if (c == 0)
				break;
			spec->locale[k++] = c < 0x80 ? (char)c : '?';
		}
		spec->locale[k] = '\0';
	}
	return 0;
}

int ese_keybuf_init(ese_keybuf *kb, const ese_key_spec *spec)
{
	memset(kb, 0, sizeof(*kb));
	if (!spec || spec->keymost == 0 || spec->keymost > ESE_KEY_MOST_MAX || spec->var_seg_mac > spec->keymost)
		return JET_errInvalidParameter;
	kb->spec = spec;
	kb->avail = spec->keymost;
	kb->all_null = 1;
	return 0;
}

void ese_keyseg_from_column(ese_keyseg *seg, const ese_column *c, uint8_t idxseg_flags)
{
	seg->coltyp = c->coltyp;
	seg->codepage = c->codepage;
	seg->fixed = c->id >= 1 && c->id <= 127;
	seg->flags = idxseg_flags;
}

/* cbVarSegMac as ESE uses it: keymost+1 when the index sets none. */
static size_t var_seg_mac_eff(const ese_key_spec *s)
{
	return (s->var_seg_mac == 0 || s->var_seg_mac == s->keymost) ? (size_t)s->keymost + 1 : s->var_seg_mac;
}

static size_t var_seg_mac_raw(const ese_key_spec *s)
{
	return s->var_seg_mac ? s->var_seg_mac : s->keymost;
}

/* ---- Unicode sort keys ---- */

/* Weights of the supported UTF-16 code units in the Windows 10 (NLS
 * 0x6020F) default sorting weight table: script member, primary weight,
 * diacritic weight.  Returns 1 for a weighted unit, 0 for one the table
 * makes unsortable (U+0000), -1 for one outside the supported subset. */
static int unit_weight(uint16_t c, uint8_t *script, uint8_t *primary, uint8_t *diac)
{
	/* ASCII symbols: script 7 (8 for + < = >), primary weight; 0 = not a
	 * symbol here (letters, digits, and the word-sort punctuation ' and -
	 * whose special weights are not reproduced). */
	static const uint8_t sym[0x7F - 0x20] = {
		/* 20 sp */ 0x02, 0x1c, 0x1d, 0x1f, 0x21, 0x23, 0x25, 0x00,
		/* 28 ( */ 0x27, 0x2a, 0x2d, 0x03, 0x2f, 0x00, 0x33, 0x35,
		/* 30 0 */ 0, 0, 0, 0, 0, 0, 0, 0,
		/* 38 8 */ 0, 0, 0x37, 0x3a, 0x0e, 0x12, 0x14, 0x3c,
		/* 40 @ */ 0x3e, 0, 0, 0, 0, 0, 0, 0,
		/* 48 H */ 0, 0, 0, 0, 0, 0, 0, 0,
		/* 50 P */ 0, 0, 0, 0, 0, 0, 0, 0,
		/* 58 X */ 0, 0, 0, 0x3f, 0x41, 0x42, 0x43, 0x44,
		/* 60 ` */ 0x48, 0, 0, 0, 0, 0, 0, 0,
		/* 68 h */ 0, 0, 0, 0, 0, 0, 0, 0,
		/* 70 p */ 0, 0, 0, 0, 0, 0, 0, 0,
		/* 78 x */ 0, 0, 0, 0x4a, 0x4c, 0x4e, 0x50,
	};
	/* Latin letters A..Z / a..z: script 0x0E. */
	static const uint8_t latin[26] = {
		0x02, 0x09, 0x0a, 0x1a, 0x21, 0x23, 0x25, 0x2c, 0x32, 0x35, 0x36, 0x48, 0x51,
		0x70, 0x7c, 0x7e, 0x89, 0x8a, 0x91, 0x99, 0x9f, 0xa2, 0xa4, 0xa6, 0xa7, 0xa9,
	};
	/* Digits 0..9: script 0x0D. */
	static const uint8_t digit[10] = { 0x03, 0x1a, 0x1c, 0x1e, 0x20, 0x22, 0x24, 0x26, 0x28, 0x2a };

	*diac = 2;
	if (c == 0)
		return 0;
	if (c >= 0x09 && c <= 0x0D) {            /* TAB LF VT FF CR */
		*script = 0x07;
		*primary = (uint8_t)(0x05 + (c - 0x09));
		return 1;
	}
	if (c >= 'A' && c <= 'Z') {
		*script = 0x0E;
		*primary = latin[c - 'A'];
		return 1;
	}
	if (c >= 'a' && c <= 'z') {
		*script = 0x0E;
		*primary = latin[c - 'a'];
		return 1;
	}
	if (c >= '0' && c <= '9') {
		*script = 0x0D;
		*primary = digit[c - '0'];
		return 1;
	}
	if (c >= 0x20 && c < 0x7F && sym[c - 0x20]) {
		*script = (c == '+' || c == '<' || c == '=' || c == '>') ? 0x08 : 0x07;
		*primary = sym[c - 0x20];
		return 1;
	}
	/* Surrogate code units are weighted one by one.  High surrogates
	 * D800..D83F (planes 1's emoji, symbols, historic scripts) are script
	 * 0xB0, primary 0x02 + (c - 0xD800); low surrogates DC00..DFFF count
	 * on from script 0xB4 primary 0xF8 through 0xB8 0xFF, primaries
	 * 0x02..0xFF in each script; both with diacritic 0x3F. */
	if (c >= 0xD800 && c <= 0xD83F) {
		*script = 0xB0;
		*primary = (uint8_t)(0x02 + (c - 0xD800));
		*diac = 0x3F;
		return 1;
	}
	if (c >= 0xDC00 && c <= 0xDFFF) {
		unsigned idx = (0xF8u - 0x02u) + (c - 0xDC00u);
		*script = (uint8_t)(0xB4u + idx / 254u);
		*primary = (uint8_t)(0x02u + idx % 254u);
		*diac = 0x3F;
		return 1;
	}
	return -1;
}

static int locale_supported(const ese_key_spec *s)
{
	if (s->locale[0])
		return strcasecmp(s->locale, "en-US") == 0;
	return s->lcid == 0x0409;
}

int ese_key_unicode_sortkey(const ese_key_spec *spec, const uint8_t *p, size_t n, uint8_t *out, size_t cap,
                            size_t *outlen, ese_status *st)
{
	const uint32_t required = ESE_LCMAP_SORTKEY | ESE_NORM_IGNORECASE;
	const uint32_t allowed = required | ESE_NORM_IGNORENONSPACE | ESE_NORM_IGNORESYMBOLS | ESE_SORT_STRINGSORT |
	                         ESE_NORM_IGNOREKANATYPE | ESE_NORM_IGNOREWIDTH;
	uint32_t f = spec->lcmap_flags;
	*outlen = 0;
	if (!locale_supported(spec))
		return ese_fail(st, ESE_KEY_NOT_COMPUTABLE, 0, "Unicode key for locale %s cannot be computed",
		                spec->locale[0] ? spec->locale : "(LCID)");
	if ((f & required) != required || (f & ~allowed))
		return ese_fail(st, ESE_KEY_NOT_COMPUTABLE, 0, "Unicode key with LCMapFlags 0x%x cannot be computed", f);
	if (spec->sort_version && spec->sort_version != ESE_KEY_NLS_VERSION_6020F)
		return ese_fail(st, ESE_KEY_NOT_COMPUTABLE, 0, "Unicode key of NLS sort version 0x%llx cannot be computed",
		                (unsigned long long)spec->sort_version);
	if (spec->has_sort_id && memcmp(spec->sort_id, ese_key_default_sort_id, 16) != 0)
		return ese_fail(st, ESE_KEY_NOT_COMPUTABLE, 0, "Unicode key of a non-default sort cannot be computed");
	/* Surrogates were observed only under exactly the default flags (their
	 * table case weight 0x3F left no case weight there); other flag sets
	 * are not known to treat them the same. */
	int surrogates_ok = (f & ~ESE_SORT_STRINGSORT) == ESE_LCMAP_DEFAULT;

	/* pass 0 checks every unit and sizes the sections (the diacritic
	 * section ends at its last weight above 2); pass 1 writes the
	 * primaries and diacritics, as far as cap allows */
	size_t np = 0, nd = 0, last_diac = 0;
	for (int pass = 0; pass < 2; pass++) {
		size_t pos = 0, dpos = 0;
		for (size_t i = 0; i < n; i++) {
			uint16_t c = get_le16(p + 2 * i);
			uint8_t script, primary, diac;
			int w = unit_weight(c, &script, &primary, &diac);
			if (w < 0 || (c >= 0xD800 && c <= 0xDFFF && !surrogates_ok))
				return ese_fail(st, ESE_KEY_NOT_COMPUTABLE, 0,
				                "Unicode key of character U+%04X cannot be computed", c);
			if (w == 0)
				continue;
			if ((f & ESE_NORM_IGNORESYMBOLS) && script >= 0x06 && script <= 0x0C)
				continue;
			if (pass == 0) {
				np += 2;
				nd++;
				if (diac > 2)
					last_diac = nd;
				continue;
			}
			if (pos < cap)
				out[pos] = script;
			if (pos + 1 < cap)
				out[pos + 1] = primary;
			pos += 2;
			if (!(f & ESE_NORM_IGNORENONSPACE) && dpos < last_diac) {
				/* diacritics follow the primaries and a separator */
				size_t at = np + 1 + dpos;
				if (at < cap)
					out[at] = diac;
				dpos++;
			}
		}
	}
	if (f & ESE_NORM_IGNORENONSPACE)
		last_diac = 0;
	/* layout: primaries 01 diacritics 01 case 01 extra 01 special 00; case
	 * weights of the supported units are all minimal under IGNORECASE and
	 * trailing minimal weights are dropped, so case, extra and special are
	 * empty. */
	size_t total = np + 1 + last_diac + 1 + 1 + 1 + 1;
	static const uint8_t tail[5] = { 0x01, 0x01, 0x01, 0x01, 0x00 };
	if (np < cap)
		out[np] = tail[0];
	for (size_t k = 1; k < 5; k++) {
		size_t at = np + last_diac + k;
		if (at < cap)
			out[at] = tail[k];
	}
	*outlen = total;
	return 0;
}

/* ---- segment normalisers (each writes header byte + data into seg) ---- */

/* C-locale strupr of ASCII text (normu.cxx ErrUtilNormText): up to the
 * first NUL, a-z only, a 00 terminator; when the text fills the space the
 * last byte is upper-cased the "broken" way (c - 0x20, whatever c is) and
 * there is no terminator.  Returns bytes written; *too_big when cut. */
static size_t norm_ascii(const uint8_t *txt, size_t n, size_t room, uint8_t *out, int *too_big)
{
	*too_big = 0;
	if (room > n) {
		size_t m = 0;
		while (m < n && txt[m])
			m++;
		for (size_t i = 0; i < m; i++)
			out[i] = (txt[i] >= 'a' && txt[i] <= 'z') ? (uint8_t)(txt[i] - 0x20) : txt[i];
		out[m] = 0;
		return m + 1;
	}
	if (room == 0)
		return 0;
	size_t k = room - 1, m = 0;
	while (m < k && txt[m])
		m++;
	for (size_t i = 0; i < m; i++)
		out[i] = (txt[i] >= 'a' && txt[i] <= 'z') ? (uint8_t)(txt[i] - 0x20) : txt[i];
	if (m == k && txt[k] != 0) {
		out[k] = (uint8_t)(txt[k] - 0x20);
		*too_big = 1;
		return k + 1;
	}
	out[m] = 0;
	return m + 1;
}

static int norm_text(const ese_keybuf *kb, const ese_keyseg *sg, const uint8_t *v, size_t n, uint8_t *seg,
                     size_t *cbseg, int *col_truncated, ese_status *st)
{
	const ese_key_spec *s = kb->spec;
	size_t vsm = var_seg_mac_eff(s);
	size_t room = (kb->avail < vsm ? kb->avail : vsm) - 1;
	size_t cbchar = sg->codepage == 1200 ? 2 : 1;
	size_t nf = n / cbchar * cbchar;
	if (s->keymost == ESE_KEY_MOST_DEFAULT) {
		size_t lim = (ESE_KEY_MOST_DEFAULT + cbchar - 1) / cbchar * cbchar;
		if (nf > lim)
			nf = lim;
	}
	size_t norm;
	int too_big = 0;
	seg[0] = ESE_KEY_PREFIX_DATA;
	if (sg->codepage == 1200) {
		size_t full;
		int err = ese_key_unicode_sortkey(s, v, nf / 2, seg + 1, room, &full, st);
		if (err)
			return err;
		too_big = full > room;
		norm = too_big ? room : full;
	} else {
		norm = norm_ascii(v, nf, room, seg + 1, &too_big);
	}
	*col_truncated = 0;
	if (too_big && (vsm > s->keymost || norm < vsm - 1))
		*col_truncated = 1;     /* cut by key space, not by VarSegMac */
	*cbseg = norm + 1;
	return 0;
}

static void norm_binary(const ese_keybuf *kb, const ese_keyseg *sg, const uint8_t *v, size_t n, uint8_t *seg,
                        size_t *cbseg, int *col_truncated)
{
	const ese_key_spec *s = kb->spec;
	size_t vsm = var_seg_mac_eff(s), cb;
	seg[0] = ESE_KEY_PREFIX_DATA;
	*col_truncated = 0;
	if (sg->fixed) {
		cb = n + 1;
		if (vsm < s->keymost && cb > vsm)
			cb = vsm;
		if (cb > kb->avail) {
			cb = kb->avail;
			*col_truncated = 1;
		}
		memcpy(seg + 1, v, cb - 1);
		*cbseg = cb;
		return;
	}
	int entire = 1;
	size_t chunks = (n + BINARY_CHUNK - 1) / BINARY_CHUNK;
	cb = chunks * BINARY_CHUNK_NORM + 1;
	if (vsm < s->keymost && cb > vsm) {
		cb = vsm;
		entire = 0;
	}
	if (cb > kb->avail) {
		cb = kb->avail;
		entire = 0;
		*col_truncated = 1;
	}
	size_t left = cb - 1, rem = n, o = 1;
	const uint8_t *src = v;
	while (left >= BINARY_CHUNK_NORM) {
		if (rem <= BINARY_CHUNK) {          /* the last chunk */
			memcpy(seg + o, src, rem);
			if (rem == BINARY_CHUNK) {
				o += BINARY_CHUNK;
				seg[o++] = entire ? BINARY_CHUNK : BINARY_CHUNK_NORM;
			} else {
				memset(seg + o + rem, 0, BINARY_CHUNK - rem);
				o += BINARY_CHUNK;
				seg[o++] = (uint8_t)rem;
			}
			rem = 0;
		} else {
			memcpy(seg + o, src, BINARY_CHUNK);
			o += BINARY_CHUNK;
			seg[o++] = BINARY_CHUNK_NORM;
			src += BINARY_CHUNK;
			rem -= BINARY_CHUNK;
		}
		left -= BINARY_CHUNK_NORM;
	}
	if (left > 0) {                             /* cut: fill what is left */
		if (rem >= left) {
			memcpy(seg + o, src, left);
		} else {
			memcpy(seg + o, src, rem);
			memset(seg + o + rem, 0, left - rem);
		}
	}
	*cbseg = cb;
}

static void put_be(uint8_t *p, uint64_t v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

static uint64_t get_le(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = 0; i < n; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

/* Fixed-size types.  Returns the segment length, 0 for a size mismatch,
 * or (size_t)-1 for a type that is not a fixed-size one. */
static size_t norm_fixed(uint32_t coltyp, int dotnet, const uint8_t *v, size_t n, uint8_t *seg)
{
	size_t sz;
	seg[0] = ESE_KEY_PREFIX_DATA;
	switch (coltyp) {
	case JET_coltypBit:
		if (n != 1)
			return 0;
		seg[1] = v[0] ? 0xFF : 0x00;
		return 2;
	case JET_coltypUnsignedByte:
		if (n != 1)
			return 0;
		seg[1] = v[0];
		return 2;
	case JET_coltypShort: case JET_coltypLong: case JET_coltypCurrency: case JET_coltypLongLong:
		sz = coltyp == JET_coltypShort ? 2 : coltyp == JET_coltypLong ? 4 : 8;
		if (n != sz)
			return 0;
		put_be(seg + 1, get_le(v, sz) ^ (1ull << (8 * sz - 1)), sz);
		return sz + 1;
	case JET_coltypUnsignedShort: case JET_coltypUnsignedLong: case 18 /* UnsignedLongLong */:
		sz = coltyp == JET_coltypUnsignedShort ? 2 : coltyp == JET_coltypUnsignedLong ? 4 : 8;
		if (n != sz)
			return 0;
		put_be(seg + 1, get_le(v, sz), sz);
		return sz + 1;
	case JET_coltypIEEESingle: case JET_coltypIEEEDouble: case JET_coltypDateTime: {
		sz = coltyp == JET_coltypIEEESingle ? 4 : 8;
		if (n != sz)
			return 0;
		uint64_t x = get_le(v, sz), sign = 1ull << (8 * sz - 1);
		uint64_t mask = sz == 8 ? ~0ull : 0xFFFFFFFFull;
		x = (x & sign) ? (~x & mask) : (x ^ sign);
		put_be(seg + 1, x, sz);
		return sz + 1;
	}
	case JET_coltypGUID: {
		static const uint8_t std_order[16] = { 10, 11, 12, 13, 14, 15, 8, 9, 6, 7, 4, 5, 0, 1, 2, 3 };
		static const uint8_t net_order[16] = { 3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15 };
		if (n != 16)
			return 0;
		const uint8_t *ord = dotnet ? net_order : std_order;
		for (size_t i = 0; i < 16; i++)
			seg[1 + i] = v[ord[i]];
		return 17;
	}
	default:
		return (size_t)-1;
	}
}

static int is_text(uint32_t t) { return t == JET_coltypText || t == JET_coltypLongText; }
static int is_binary(uint32_t t) { return t == JET_coltypBinary || t == JET_coltypLongBinary; }

int ese_key_append_segment(ese_keybuf *kb, const ese_keyseg *sg, const uint8_t *value, size_t len, int is_null,
                           ese_status *st)
{
	const ese_key_spec *s = kb->spec;
	int first = kb->nsegs == 0;
	uint8_t seg[ESE_KEY_MOST_MAX + 1];
	size_t cbseg = 0;
	int col_truncated = 0;

	if (!s)
		return ese_fail(st, JET_errInvalidParameter, 0, "key buffer not initialised");
	kb->nsegs++;
	if (is_null) {
		if (first)
			kb->first_null = 1;
		kb->some_null = 1;
	}
	if (kb->avail == 0) {           /* no room: the segment is dropped */
		kb->truncated = 1;
		if (s->idx_flags & ESE_KEY_IDX_DISALLOW_TRUNCATION)
			return ese_fail(st, ESE_KEY_TRUNCATED, 0, "key truncated on an index that disallows it");
		return 0;
	}
	if (kb->truncated)
		return 0;

	if (is_null || len == 0) {
		int sortable = is_text(sg->coltyp) || is_binary(sg->coltyp);
		uint8_t nullb = (s->idx_flags & ESE_KEY_IDX_SORT_NULLS_HIGH) ? ESE_KEY_PREFIX_NULL_HIGH : ESE_KEY_PREFIX_NULL;
		seg[0] = (!is_null && sortable) ? ESE_KEY_PREFIX_ZERO_LENGTH : nullb;
		if (!is_null)
			kb->all_null = 0;
		cbseg = 1;
	} else if (is_text(sg->coltyp) || is_binary(sg->coltyp)) {
		/* ESE reads at most cbDataMost bytes of the value (cbKeyMost, doubled
		 * while that leaves the segment short of every limit; never for the
		 * legacy 255) */
		size_t most = s->keymost;
		for (;;) {
			size_t n = len < most ? len : most;
			if (is_text(sg->coltyp)) {
				int err = norm_text(kb, sg, value, n, seg, &cbseg, &col_truncated, st);
				if (err)
					return err;
			} else {
				norm_binary(kb, sg, value, n, seg, &cbseg, &col_truncated);
			}
			if (s->keymost != ESE_KEY_MOST_DEFAULT && n == most && cbseg < s->keymost && cbseg < kb->avail &&
			    cbseg < var_seg_mac_raw(s)) {
				most *= 2;
				continue;
			}
			break;
		}
		kb->all_null = 0;
	} else {
		size_t r = norm_fixed(sg->coltyp, (s->idx_flags & ESE_KEY_IDX_DOTNET_GUID) != 0, value, len, seg);
		if (r == (size_t)-1)
			return ese_fail(st, JET_errInvalidParameter, 0, "column type %u cannot be indexed", sg->coltyp);
		if (r == 0)
			return ese_fail(st, JET_errInvalidParameter, 0, "value of %zu bytes for column type %u", len,
			                sg->coltyp);
		cbseg = r;
		kb->all_null = 0;
	}

	if (col_truncated || cbseg > kb->avail) {
		kb->truncated = 1;
		if (s->idx_flags & ESE_KEY_IDX_DISALLOW_TRUNCATION)
			return ese_fail(st, ESE_KEY_TRUNCATED, 0, "key truncated on an index that disallows it");
		if (cbseg > kb->avail)
			cbseg = kb->avail;
	}
	if (sg->flags & ESE_KEYSEG_DESCENDING)
		for (size_t i = 0; i < cbseg; i++)
			seg[i] ^= 0xFF;
	memcpy(kb->data + kb->len, seg, cbseg);
	kb->len += cbseg;
	kb->avail -= cbseg;
	return 0;
}

enum ese_key_nulls ese_keybuf_nulls(const ese_keybuf *kb)
{
	if (kb->all_null)
		return ESE_KEY_NULLS_ALL;
	if (kb->first_null)
		return ESE_KEY_NULLS_FIRST;
	if (kb->some_null)
		return ESE_KEY_NULLS_SOME;
	return ESE_KEY_NULLS_NONE;
}

int ese_key_nulls_indexed(uint32_t f, enum ese_key_nulls nulls)
{
	if (nulls != ESE_KEY_NULLS_NONE && (f & ESE_KEY_IDX_NO_NULL_SEG))
		return 0;
	switch (nulls) {
	case ESE_KEY_NULLS_ALL: return (f & ESE_KEY_IDX_ALLOW_ALL_NULLS) != 0;
	case ESE_KEY_NULLS_FIRST: return (f & ESE_KEY_IDX_ALLOW_FIRST_NULL) != 0;
	case ESE_KEY_NULLS_SOME: return (f & ESE_KEY_IDX_ALLOW_SOME_NULLS) != 0;
	default: return 1;
	}
}

/* ---- key lists ---- */

void ese_keylist_init(ese_keylist *kl)
{
	memset(kl, 0, sizeof(*kl));
	ese_sbuf_init(&kl->bytes);
}

void ese_keylist_free(ese_keylist *kl)
{
	ese_sbuf_free(&kl->bytes);
	free(kl->off);
	free(kl->len);
	free(kl->hslot);
	memset(kl, 0, sizeof(*kl));
}

void ese_keylist_reset(ese_keylist *kl)
{
	ese_sbuf_reset(&kl->bytes);
	kl->n = 0;
	if (kl->hslot)
		memset(kl->hslot, 0, kl->hcap * sizeof(*kl->hslot));
}

const uint8_t *ese_keylist_key(const ese_keylist *kl, size_t i, size_t *len)
{
	if (i >= kl->n) {
		*len = 0;
		return NULL;
	}
	*len = kl->len[i];
	return (const uint8_t *)kl->bytes.data + kl->off[i];
}

static uint64_t key_hash(const uint8_t *k, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;      /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ k[i]) * 0x100000001b3ull;
	return h;
}

/* Open-addressing set over the keys (slot = index + 1, 0 = empty), kept
 * at most half full so that duplicate detection stays linear overall. */
static int keylist_rehash(ese_keylist *kl, size_t cap)
{
	size_t *h = calloc(cap, sizeof(*h));
	if (!h)
		return JET_errOutOfMemory;
	for (size_t i = 0; i < kl->n; i++) {
		size_t at = (size_t)key_hash((const uint8_t *)kl->bytes.data + kl->off[i], kl->len[i]) & (cap - 1);
		while (h[at])
			at = (at + 1) & (cap - 1);
		h[at] = i + 1;
	}
	free(kl->hslot);
	kl->hslot = h;
	kl->hcap = cap;
	return 0;
}

/* Adds k unless an identical key is there; 0 or JET_errOutOfMemory. */
static int keylist_add(ese_keylist *kl, const uint8_t *k, size_t n)
{
	if (2 * (kl->n + 1) > kl->hcap && keylist_rehash(kl, kl->hcap ? 2 * kl->hcap : 16))
		return JET_errOutOfMemory;
	size_t at = (size_t)key_hash(k, n) & (kl->hcap - 1);
	for (; kl->hslot[at]; at = (at + 1) & (kl->hcap - 1)) {
		size_t i = kl->hslot[at] - 1;
		if (kl->len[i] == n && memcmp(kl->bytes.data + kl->off[i], k, n) == 0)
			return 0;
	}
	if (kl->n == kl->cap) {
		size_t cap = kl->cap ? kl->cap * 2 : 4;
		size_t *o = realloc(kl->off, cap * sizeof(*o));
		if (!o)
			return JET_errOutOfMemory;
		kl->off = o;
		size_t *l = realloc(kl->len, cap * sizeof(*l));
		if (!l)
			return JET_errOutOfMemory;
		kl->len = l;
		kl->cap = cap;
	}
	kl->off[kl->n] = kl->bytes.len;
	kl->len[kl->n] = n;
	ese_sbuf_put(&kl->bytes, k, n);
	if (kl->bytes.oom)
		return JET_errOutOfMemory;
	kl->hslot[at] = ++kl->n;
	return 0;
}

/* ---- column values as key extraction sees them ---- */

typedef struct colinst {
	int null;
	const uint8_t *p;
	size_t n;
	int separated;
	int compressed;
} colinst;

/* Instance itag (1-based) of column c in record r (ErrRECRetrieve*Column):
 * absent fixed/variable columns and absent tagged first instances take
 * the column default; an explicit NULL entry overrides it. */
static int column_instance(const ese_record *r, const ese_table *t, const ese_column *c, uint32_t itag, colinst *ci,
                           ese_status *st)
{
	memset(ci, 0, sizeof(*ci));
	ci->null = 1;
	uint32_t id = c->id;
	int has_default = (c->flags & ESE_COL_DEFAULT) && c->default_value;
	if (id <= 255) {
		if (itag != 1)
			return 0;
		uint32_t last = id <= 127 ? r->fixed_last : r->var_last;
		if (id > last) {
			if (c->flags & 0x80u)       /* user-defined default: a callback */
				return ese_fail(st, ESE_KEY_NOT_COMPUTABLE, 0, "column %u has a user-defined default", id);
			if (has_default) {
				ci->null = 0;
				ci->p = c->default_value;
				ci->n = c->default_len;
			}
			return 0;
		}
		ese_colval v;
		int err = ese_record_get(r, t, c, &v, st);
		if (err)
			return err;
		if (id >= 128) {            /* NULL bit, else (maybe empty) value */
			uint16_t endw = get_le16(r->data + r->fixed_end + 2 * (id - 128));
			if (endw & 0x8000)
				return 0;
			ci->null = 0;
			ci->p = v.data;
			ci->n = v.len;
			return 0;
		}
		if (v.present) {
			ci->null = 0;
			ci->p = v.data;
			ci->n = v.len;
		}
		return 0;
	}
	/* tagged: find the entry, keeping its explicit-NULL bit */
	const uint8_t *ta = r->data + r->tagged;
	size_t i;
	for (i = 0; i < r->ntagged; i++)
		if (get_le16(ta + 4 * i) == id)
			break;
	if (i == r->ntagged) {
		if (itag == 1 && (c->flags & 0x80u))
			return ese_fail(st, ESE_KEY_NOT_COMPUTABLE, 0, "column %u has a user-defined default", id);
		if (itag == 1 && has_default) {
			ci->null = 0;
			ci->p = c->default_value;
			ci->n = c->default_len;
		}
		return 0;
	}
	uint32_t fid;
	ese_colval v;
	int err = ese_record_tagged_at(r, i, &fid, &v, st);
	if (err)
		return err;
	if (!r->large && (get_le16(ta + 4 * i + 2) & 0x2000))
		return 0;                   /* explicit NULL */
	if (v.header & ESE_TAG_NULL)
		return 0;
	if (v.header & (ESE_TAG_MULTI | ESE_TAG_TWO_VALUES)) {
		size_t count = ese_colval_count(&v);
		if (itag > count)
			return 0;
		int sep;
		err = ese_colval_instance(&v, itag - 1, &ci->p, &ci->n, &sep, st);
		if (err)
			return err;
		ci->null = 0;
		ci->separated = (v.header & ESE_TAG_LONG_VALUE) && sep;
		ci->compressed = (v.header & ESE_TAG_COMPRESSED) && itag == 1 && !ci->separated;
		return 0;
	}
	if (itag != 1)
		return 0;
	ci->null = 0;
	ci->p = v.data;
	ci->n = v.len;
	ci->separated = (v.header & ESE_TAG_SEPARATED) != 0;
	ci->compressed = (v.header & ESE_TAG_COMPRESSED) && !ci->separated;
	return 0;
}

/* Resolves a separated or compressed instance into buf. */
static int instance_bytes(colinst *ci, ese_key_lv_reader lv, void *lv_ctx, ese_sbuf *buf, ese_status *st)
{
	if (ci->null || (!ci->separated && !ci->compressed))
		return 0;
	ese_sbuf_reset(buf);
	if (ci->separated) {
		if (!lv)
			return ese_fail(st, JET_errInvalidParameter, 0, "separated long value and no reader");
		int err = lv(lv_ctx, ci->p, ci->n, buf, st);
		if (err)
			return err;
	} else {
		size_t need, got;
		int err = ese_decompress_size(ci->p, ci->n, &need);
		if (err)
			return ese_fail(st, err, 0, "compressed column value cannot be decompressed");
		if (need) {
			uint8_t *tmp = malloc(need);
			if (!tmp)
				return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
			err = ese_decompress(ci->p, ci->n, tmp, need, &got);
			if (!err)
				ese_sbuf_put(buf, tmp, got);
			free(tmp);
			if (err)
				return ese_fail(st, err, 0, "compressed column value cannot be decompressed");
		}
	}
	if (buf->oom)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	ci->p = (const uint8_t *)buf->data;
	ci->n = buf->len;
	if (!ci->p)
		ci->p = (const uint8_t *)"";
	return 0;
}

/* ---- all keys of a record ---- */

#define SEGS_MOST ESE_KEY_SEGS_MOST

enum { KEY_OK = 0, KEY_OUT_OF_KEYS = 1, KEY_NOT_PRESENT = 2 };

/* One key for the itag combination itag[] (ErrRECIIRetrieveKey).  Returns
 * <0 error, KEY_OK with *nulls, KEY_OUT_OF_KEYS with *rollover, or
 * KEY_NOT_PRESENT (conditional columns). */
static int one_key(const ese_table *t, const ese_index *ix, const ese_key_spec *s, const ese_column *const *cols,
                   const ese_record *r, const uint32_t *itag, ese_key_lv_reader lv, void *lv_ctx, ese_keybuf *kb,
                   ese_sbuf *lvbuf, enum ese_key_nulls *nulls, size_t *rollover, ese_status *st)
{
	int nested = (s->idx_flags & ESE_KEY_IDX_NESTED_TABLE) != 0;
	int err;
	for (size_t i = 0; i < s->ncond; i++) {
		const ese_column *c = ese_table_find_column(t, s->cond[i].columnid);
		if (!c)
			return ese_fail(st, JET_errColumnNotFound, 0, "index %s: conditional column %u not found",
			                ix->name ? ix->name : "?", s->cond[i].columnid);
		colinst ci;
		if ((err = column_instance(r, t, c, 1, &ci, st)) < 0)
			return err;
		int must_null = (s->cond[i].flags & ESE_KEYSEG_MUST_BE_NULL) != 0;
		if (must_null != ci.null)
			return KEY_NOT_PRESENT;
	}
	if ((err = ese_keybuf_init(kb, s)))
		return ese_fail(st, err, 0, "index %s: bad key limits", ix->name ? ix->name : "?");
	int all_mv_out = 1;
	for (size_t i = 0; i < ix->nsegs; i++) {
		const ese_column *c = cols[i];
		colinst ci;
		if ((err = column_instance(r, t, c, itag[i], &ci, st)) < 0)
			return err;
		if (c->id > 255)
			all_mv_out = all_mv_out && itag[i] > 1 && ci.null;
		if (itag[i] > 1 && ci.null && !nested) {
			*rollover = i;
			return KEY_OUT_OF_KEYS;
		}
		if ((err = instance_bytes(&ci, lv, lv_ctx, lvbuf, st)) < 0)
			return err;
		ese_keyseg sg;
		ese_keyseg_from_column(&sg, c, ix->segs[i].flags);
		if ((err = ese_key_append_segment(kb, &sg, ci.p, ci.n, ci.null, st)) < 0)
			return err;
	}
	if (nested && all_mv_out) {
		*rollover = 0;
		return KEY_OUT_OF_KEYS;
	}
	*nulls = ese_keybuf_nulls(kb);
	return KEY_OK;
}

int ese_index_keys(const ese_table *t, const ese_index *ix, const ese_key_spec *spec, const ese_record *r,
                   ese_key_lv_reader lv, void *lv_ctx, ese_keylist *kl, ese_status *st)
{
	ese_key_spec local;
	const ese_column *cols[SEGS_MOST];
	int mv[SEGS_MOST] = { 0 };
	uint32_t itag[SEGS_MOST];
	ese_keybuf *kb = NULL;
	ese_sbuf lvbuf;
	int err = 0;

	ese_keylist_reset(kl);
	if (!spec) {
		ese_key_spec_from_index(&local, ix);
		spec = &local;
	}
	if (spec->tuples)
		return ese_fail(st, JET_errInvalidParameter, 0, "index %s: tuple indexes are not supported",
		                ix->name ? ix->name : "?");
	if (ix->nsegs == 0 || ix->nsegs > SEGS_MOST)
		return ese_fail(st, JET_errInvalidParameter, 0, "index %s has %zu key columns", ix->name ? ix->name : "?",
		                ix->nsegs);
	uint32_t f = spec->idx_flags;
	int cross = (f & ESE_KEY_IDX_CROSS_PRODUCT) != 0, nested = (f & ESE_KEY_IDX_NESTED_TABLE) != 0;
	int mv_most = -1;
	for (size_t i = 0; i < ix->nsegs; i++) {
		cols[i] = ese_table_find_column(t, ix->segs[i].columnid);
		if (!cols[i])
			return ese_fail(st, JET_errColumnNotFound, 0, "index %s: key column %u not found",
			                ix->name ? ix->name : "?", ix->segs[i].columnid);
		itag[i] = 1;
	}
	/* KeySequence: which segments vary over their instances */
	if (f & ESE_KEY_IDX_MULTIVALUED) {
		for (size_t i = 0; i < ix->nsegs; i++) {
			if (cols[i]->id > 255 && (cols[i]->flags & ESE_COL_MULTIVALUED)) {
				mv[i] = 1;
				mv_most = (int)i;
				if (!cross && !nested)
					break;
			}
		}
	}
	if (!(kb = malloc(sizeof(*kb))))
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	ese_sbuf_init(&lvbuf);
	for (unsigned long attempts = 0;; attempts++) {
		enum ese_key_nulls nulls = ESE_KEY_NULLS_NONE;
		size_t rollover = 0;
		int complete = 0;
		if (attempts >= KEYS_MOST) {
			err = ese_fail(st, JET_errInvalidParameter, 0, "index %s: more than %u keys for one record",
			               ix->name ? ix->name : "?", KEYS_MOST);
			break;
		}
		int res = one_key(t, ix, spec, cols, r, itag, lv, lv_ctx, kb, &lvbuf, &nulls, &rollover, st);
		if (res < 0) {
			err = res;
			break;
		}
		if (res == KEY_NOT_PRESENT)
			break;
		if (res == KEY_OK) {
			/* ErrRECIEnumerateKeys: a NULL key ends the sequence; a NULL
			 * first or some NULL segment ends it unless allowed */
			switch (nulls) {
			case ESE_KEY_NULLS_ALL: complete = 1; break;
			case ESE_KEY_NULLS_FIRST: complete = !(f & ESE_KEY_IDX_ALLOW_FIRST_NULL); break;
			case ESE_KEY_NULLS_SOME: complete = !(f & ESE_KEY_IDX_ALLOW_SOME_NULLS); break;
			default: break;
			}
			if (ese_key_nulls_indexed(f, nulls) && (err = keylist_add(kl, kb->data, kb->len))) {
				ese_fail(st, err, 0, "out of memory");
				break;
			}
			if (complete || !(f & ESE_KEY_IDX_MULTIVALUED) || mv_most < 0)
				break;
			/* KeySequence::Increment with no rollover */
			if (nested) {
				for (int i = mv_most; i >= 0; i--)
					if (mv[i])
						itag[i]++;
			} else {
				itag[mv_most]++;
			}
			continue;
		}
		/* out of keys at segment rollover: the next more significant
		 * multi-valued column moves on, the ones from rollover restart */
		int i = (int)rollover - 1;
		while (i >= 0 && !mv[i])
			i--;
		if (i < 0)
			break;
		itag[i]++;
		for (int j = (int)rollover; j <= mv_most; j++)
			itag[j] = 1;
	}
	ese_sbuf_free(&lvbuf);
	free(kb);
	return err;
}

/* ---- catalog keys ---- */

static const ese_key_spec catalog_spec = {
	.keymost = ESE_KEY_MOST_DEFAULT,
	.idx_flags = ESE_KEY_IDX_UNIQUE | ESE_KEY_IDX_NO_NULL_SEG,
	.lcmap_flags = ESE_LCMAP_DEFAULT,
	.locale = "en-US",
};

void ese_key_catalog_id(uint8_t out[ESE_KEY_CATALOG_ID_LEN], uint32_t objid_table, uint16_t type, uint32_t id)
{
	out[0] = ESE_KEY_PREFIX_DATA;
	put_be32(out + 1, objid_table ^ 0x80000000u);
	out[5] = ESE_KEY_PREFIX_DATA;
	put_be16(out + 6, (uint16_t)(type ^ 0x8000u));
	out[8] = ESE_KEY_PREFIX_DATA;
	put_be32(out + 9, id ^ 0x80000000u);
}

int ese_key_catalog_name(ese_keybuf *kb, uint32_t objid_table, uint16_t type, const char *name, size_t namelen)
{
	static const ese_keyseg s_long = { JET_coltypLong, 0, 1, 0 };
	static const ese_keyseg s_short = { JET_coltypShort, 0, 1, 0 };
	static const ese_keyseg s_text = { JET_coltypText, 1252, 0, 0 };
	uint8_t o[4], ty[2];
	int err;
	put_le32(o, objid_table);
	put_le16(ty, type);
	if ((err = ese_keybuf_init(kb, &catalog_spec)) || (err = ese_key_append_segment(kb, &s_long, o, 4, 0, NULL)) ||
	    (err = ese_key_append_segment(kb, &s_short, ty, 2, 0, NULL)))
		return err;
	return ese_key_append_segment(kb, &s_text, (const uint8_t *)name, namelen, name == NULL, NULL);
}

int ese_key_catalog_root(ese_keybuf *kb, const char *name, size_t namelen)
{
	static const ese_keyseg s_bit = { JET_coltypBit, 0, 1, 0 };
	static const ese_keyseg s_text = { JET_coltypText, 1252, 0, 0 };
	static const uint8_t root = 0xFF;
	int err;
	if ((err = ese_keybuf_init(kb, &catalog_spec)) || (err = ese_key_append_segment(kb, &s_bit, &root, 1, 0, NULL)))
		return err;
	return ese_key_append_segment(kb, &s_text, (const uint8_t *)name, namelen, name == NULL, NULL);
}
