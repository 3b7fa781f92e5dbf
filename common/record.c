/*
 * record.c - decode a table record into column values (include/ese_record.h).
 *
 * Layout (ESE rec.hxx, tagfld.hxx; verified on every catalog record of the
 * samples):
 *   [0] fidFixedLastInRec  [1] fidVarLastInRec  [2..3] ibEndOfFixedData
 *   fixed values from offset 4, then a null bitmap of ceil(nfixed/8) bytes
 *   ending at ibEndOfFixedData;
 *   u16 var END offsets (bit 15 = NULL) for columns 128..fidVarLast, then
 *   the var data;
 *   tagged area: u16 fid, u16 ib pairs, the first ib giving the array size.
 *   Small pages: ib mask 0x1FFF, 0x4000 = a header byte leads the value,
 *   0x2000 = NULL.  Large pages: mask 0x7FFF, header byte always present,
 *   NULL is header bit 0x20.
 */
#include "ese_record.h"
#include "bytes.h"

#include <string.h>

#define TAG_IB_EXTINFO 0x4000u
#define TAG_IB_NULL    0x2000u
#define MV_SEPARATED   0x8000u

static int corrupt(ese_status *st, const char *what)
{
	return ese_fail(st, JET_errDatabaseCorrupted, 0, "record: %s", what);
}

int ese_record_parse(ese_record *r, const uint8_t *data, size_t len, int large, ese_status *st)
{
	memset(r, 0, sizeof(*r));
	r->data = data;
	r->len = len;
	r->large = large;
	if (len < 4)
		return corrupt(st, "shorter than its 4-byte header");
	r->fixed_last = data[0];
	r->var_last = data[1];
	r->fixed_end = get_le16(data + 2);
	if (r->var_last < 127 && r->var_last != 0)
		return corrupt(st, "last variable column id below 127");
	if (r->var_last == 0)
		r->var_last = 127;
	size_t nullbytes = (r->fixed_last + 7) / 8;
	if (r->fixed_end < 4 + nullbytes || r->fixed_end > len)
		return corrupt(st, "end of fixed data outside the record");
	size_t nvar = r->var_last - 127;
	if (nvar * 2 > len - r->fixed_end)
		return corrupt(st, "variable offsets run past the record");
	r->var_data = r->fixed_end + nvar * 2;
	size_t var_len = nvar ? (get_le16(data + r->fixed_end + 2 * (nvar - 1)) & 0x7FFF) : 0;
	if (var_len > len - r->var_data)
		return corrupt(st, "variable data runs past the record");
	r->tagged = r->var_data + var_len;
	if (len - r->tagged >= 4) {
		uint32_t mask = large ? 0x7FFF : 0x1FFF;
		size_t first = get_le16(data + r->tagged + 2) & mask;
		if (first < 4 || first % 4 || first > len - r->tagged)
			return corrupt(st, "tagged column array is malformed");
		r->ntagged = first / 4;
	} else if (len != r->tagged) {
		return corrupt(st, "trailing bytes after the variable data");
	}
	return 0;
}

static size_t fixed_size(const ese_column *c)
{
	switch (c->coltyp) {
	case JET_coltypBit: case JET_coltypUnsignedByte: return 1;
	case JET_coltypShort: case JET_coltypUnsignedShort: return 2;
	case JET_coltypLong: case JET_coltypUnsignedLong: case JET_coltypIEEESingle: return 4;
	case JET_coltypCurrency: case JET_coltypIEEEDouble: case JET_coltypDateTime:
	case JET_coltypLongLong: return 8;
	case JET_coltypGUID: return 16;
	default: return c->size;
	}
}

int ese_record_tagged_at(const ese_record *r, size_t i, uint32_t *columnid, ese_colval *out, ese_status *st)
{
	memset(out, 0, sizeof(*out));
	if (i >= r->ntagged)
		return corrupt(st, "tagged index out of range");
	uint32_t mask = r->large ? 0x7FFF : 0x1FFF;
	const uint8_t *t = r->data + r->tagged;
	size_t area = r->len - r->tagged;
	uint16_t ib = get_le16(t + 4 * i + 2);
	size_t start = ib & mask;
	size_t end = i + 1 < r->ntagged ? (get_le16(t + 4 * (i + 1) + 2) & mask) : area;
	*columnid = get_le16(t + 4 * i);
	if (start > end || end > area || start < r->ntagged * 4)
		return corrupt(st, "tagged value offsets out of order or outside the record");
	out->tagged = 1;
	out->data = t + start;
	out->len = end - start;
	int has_header = r->large || (ib & TAG_IB_EXTINFO);
	if (!r->large && (ib & TAG_IB_NULL)) {
		out->present = 0;
		out->len = 0;
		return 0;
	}
	/* FIX: an entry with no bytes at all has no header byte either, and
	 * is empty (NULL) as the contract says; before, on large pages (where
	 * has_header is always set) it came back present with length 0. */
	int header_read = 0;
	if (has_header && out->len > 0) {
		out->header = out->data[0];
		out->data++;
		out->len--;
		header_read = 1;
	}
	out->present = !(out->header & ESE_TAG_NULL) && (out->len > 0 || header_read);
	return 0;
}

int ese_record_get(const ese_record *r, const ese_table *t, const ese_column *c, ese_colval *out, ese_status *st)
{
	(void)t;
	memset(out, 0, sizeof(*out));
	uint32_t id = c->id;
	if (id >= 1 && id <= 127) {
		if (id > r->fixed_last)
			return 0;
		size_t nullbytes = (r->fixed_last + 7) / 8;
		const uint8_t *bitmap = r->data + r->fixed_end - nullbytes;
		if (bitmap[(id - 1) / 8] & (1u << ((id - 1) % 8)))
			return 0;
		size_t off = c->record_offset, n = fixed_size(c);
		if (off < 4 || off + n > r->fixed_end - nullbytes)
			return corrupt(st, "fixed column lies outside the fixed data");
		out->present = 1;
		out->data = r->data + off;
		out->len = n;
		return 0;
	}
	if (id >= 128 && id <= 255) {
		if (id > r->var_last)
			return 0;
		size_t k = id - 128;
		uint16_t endw = get_le16(r->data + r->fixed_end + 2 * k);
		if (endw & 0x8000)
			return 0;
		size_t end = endw & 0x7FFF;
		size_t start = k ? (get_le16(r->data + r->fixed_end + 2 * (k - 1)) & 0x7FFF) : 0;
		if (start > end || end > r->tagged - r->var_data)
			return corrupt(st, "variable column offsets out of order");
		out->present = end > start;
		out->data = r->data + r->var_data + start;
		out->len = end - start;
		return 0;
	}
	/* tagged: entries are sorted by column id; binary search.
	 * FIX: search only the run after the leading derived entries (the
	 * linear loop below handles those); a derived entry with a larger fid
	 * first broke the ordering the search relies on, so columns after it
	 * were reported absent. */
	size_t lo = 0, hi = r->ntagged;
	const uint8_t *ta = r->data + r->tagged;
	while (!r->large && lo < hi && (get_le16(ta + 4 * lo + 2) & 0x8000))
		lo++;
	size_t first_plain = lo;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t fid = get_le16(ta + 4 * mid);
		if (fid < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < r->ntagged && get_le16(ta + 4 * lo) == id) {
		uint32_t fid;
		return ese_record_tagged_at(r, lo, &fid, out, st);
	}
	/* derived (template) columns may precede the sorted run: look linearly */
	for (size_t i = 0; i < first_plain; i++) {
		uint16_t ib = get_le16(ta + 4 * i + 2);
		if (!(ib & 0x8000) || r->large)
			break;
		if (get_le16(ta + 4 * i) == id) {
			uint32_t fid;
			return ese_record_tagged_at(r, i, &fid, out, st);
		}
	}
	return 0;
}

size_t ese_colval_count(const ese_colval *v)
{
	if (!v->present)
		return 0;
	if (v->header & ESE_TAG_TWO_VALUES)
		return 2;
	if ((v->header & ESE_TAG_MULTI) && v->len >= 2) {
		size_t first = get_le16(v->data) & 0x7FFF;
		return first / 2;
	}
	return 1;
}

int ese_colval_instance(const ese_colval *v, size_t i, const uint8_t **p, size_t *n, int *separated,
                        ese_status *st)
{
	*separated = 0;
	if (v->header & ESE_TAG_TWO_VALUES) {
		if (v->len < 1 || (size_t)v->data[0] + 1 > v->len)
			return corrupt(st, "two-valued column with a bad first length");
		size_t l1 = v->data[0];
		if (i == 0) {
			*p = v->data + 1;
			*n = l1;
		} else if (i == 1) {
			*p = v->data + 1 + l1;
			*n = v->len - 1 - l1;
		} else {
			return corrupt(st, "instance index out of range");
		}
		return 0;
	}
	if (v->header & ESE_TAG_MULTI) {
		size_t count = ese_colval_count(v);
		if (count == 0 || count * 2 > v->len || i >= count)
			return corrupt(st, "multi-valued column with a bad offset array");
		uint16_t o = get_le16(v->data + 2 * i);
		size_t start = o & 0x7FFF;
		size_t end = i + 1 < count ? (get_le16(v->data + 2 * (i + 1)) & 0x7FFF) : v->len;
		if (start < count * 2 || start > end || end > v->len)
			return corrupt(st, "multi-valued instance outside its value");
		*p = v->data + start;
		*n = end - start;
		*separated = (o & MV_SEPARATED) != 0;
		return 0;
	}
	if (i != 0)
		return corrupt(st, "instance index out of range");
	*p = v->data;
	*n = v->len;
	*separated = (v->header & ESE_TAG_SEPARATED) != 0;
	return 0;
}
