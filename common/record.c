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

#include <stdlib.h>
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
	*r = (ese_record){ .data = data, .len = len, .large = large };
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
	size_t n = ese_coltyp_fixed_size(c->coltyp);
	return n ? n : c->size;
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

/* ---- encoder ----
 *
 * The inverse of the functions above: builds a record from column values
 * exactly as ESE lays it out (the rules are listed in ese_record.h, with
 * the ESE functions they come from).  The record is built in place at the
 * end of out; on an error out is cut back to where it was.
 */

#define REC_FILL        0x2Au   /* chRECFill '*': never-set fixed bytes */
#define TEXT_FILL       0x20u   /* chRECFixedColAndKeyFill ' ' */
#define CB_COLUMN_MOST  255u    /* JET_cbColumnMost: variable columns */
#define CB_KEY_MOST_MIN 255u    /* JET_cbKeyMostMin */
#define CB_DBK          4u      /* key of a table without a primary index */
#define TV_FIRST_MOST   255u    /* TWOVALUES keeps the first length in a byte */

static int is_long_value(uint32_t coltyp)
{
	return coltyp == JET_coltypLongBinary || coltyp == JET_coltypLongText;
}

size_t ese_record_max_size(const ese_table *t, uint32_t page_size)
{
	if (page_size != 2048 && page_size != 4096 && page_size != 8192 && page_size != 16384 &&
	    page_size != 32768)
		return 0;
	int large = page_size > 8192;
	/* CbNDNodeMost: page data minus tag 0 and the new node's tag */
	size_t node_most = page_size - (large ? 80u : 40u) - 8u;
	size_t key_most = CB_DBK;
	for (size_t i = 0; t && i < t->nindexes; i++)
		if (t->indexes[i].flags & ESE_IDX_PRIMARY)
			key_most = t->indexes[i].keymost ? t->indexes[i].keymost : CB_KEY_MOST_MIN;
	if (large) /* cbKeyCount + 2 bytes of prefix overhead + the key */
		return node_most - 2 - 2 - key_most;
	/* small pages keep the old (backward compatible) reservation */
	size_t reserve = key_most + 2 > CB_KEY_MOST_MIN ? key_most + 2 : CB_KEY_MOST_MIN;
	return node_most - 2 - reserve;
}

/* A tagged value to lay out, with its column. */
typedef struct tag_item {
	const ese_value  *v;
	const ese_column *c;
} tag_item;

static int tag_item_cmp(const void *a, const void *b)
{
	const ese_value *x = ((const tag_item *)a)->v, *y = ((const tag_item *)b)->v;
	/* derived (template) entries first, then by column id (TAGFLD::FIsLessThan) */
	if (!x->derived != !y->derived)
		return x->derived ? -1 : 1;
	return x->columnid < y->columnid ? -1 : x->columnid > y->columnid;
}

static int enc_fail(ese_status *st, int err, uint32_t columnid, const char *what)
{
	return ese_fail(st, err, 0, "record encode: column %u: %s", columnid, what);
}

/* Writes fixed value v of column c (size n) at p, as ErrRECISetIFixedColumn
 * does: Bit as 00/FF, short Text padded with spaces, short Binary with 0. */
static int put_fixed(uint8_t *p, size_t n, const ese_column *c, const ese_value *v, ese_status *st)
{
	if (v->is_null) {
		if (v->data && v->len != n)
			return enc_fail(st, JET_errInvalidBufferSize, c->id, "bytes under a NULL fixed column of the wrong size");
		if (v->data)
			memcpy(p, v->data, n);
		return 0;
	}
	if (v->len && !v->data)
		return enc_fail(st, JET_errInvalidParameter, c->id, "value without data");
	if (v->len == n || ((c->coltyp == JET_coltypText || c->coltyp == JET_coltypBinary) && v->len < n)) {
		if (c->coltyp == JET_coltypBit) {
			p[0] = v->data[0] ? 0xFF : 0x00;
			return 0;
		}
		if (v->len)
			memcpy(p, v->data, v->len);
		for (size_t i = v->len; i < n; i++) {
			if (c->coltyp == JET_coltypBinary)
				p[i] = 0;
			else if (c->codepage == 1200) /* wchRECFixedColAndKeyFill by byte parity */
				p[i] = (i % 2) ? 0 : TEXT_FILL;
			else
				p[i] = TEXT_FILL;
		}
		return 0;
	}
	return enc_fail(st, JET_errInvalidBufferSize, c->id, "fixed value of the wrong size");
}

/* Where the fixed columns of t lie: the catalog's RecordOffset when every
 * fixed column has one and they do not overlap, else the running sum of
 * sizes (MSysObjects' own column rows all say 4). */
static int fixed_offsets_usable(const ese_table *t)
{
	size_t end = 4;
	for (size_t i = 0; i < t->ncolumns && t->columns[i].id <= 127; i++) {
		const ese_column *c = &t->columns[i];
		if (c->record_offset < end)
			return 0;
		end = c->record_offset + fixed_size(c);
	}
	return 1;
}

static size_t fixed_offset(const ese_table *t, const ese_column *c, int usable)
{
	if (usable)
		return c->record_offset;
	size_t off = 4;
	for (size_t i = 0; i < t->ncolumns && t->columns[i].id < c->id; i++)
		off += fixed_size(&t->columns[i]);
	return off;
}

static int check_lid(const ese_column *c, size_t len, ese_status *st)
{
	if (len != 4 && len != 8)
		return enc_fail(st, JET_errInvalidParameter, c->id, "separated value is not a 4- or 8-byte LID");
	return 0;
}

static int check_tagged_len(const ese_column *c, size_t len, int separated, ese_status *st)
{
	if (separated)
		return check_lid(c, len, st);
	if (!is_long_value(c->coltyp) && c->size && len > c->size)
		return enc_fail(st, JET_errColumnTooBig, c->id, "value longer than the column's maximum");
	return 0;
}

/* Appends the bytes of tagged value v (after its TAGFLD) to out and sets
 * *ibflags to the flag bits of its TAGFLD offset. */
static int put_tagged(ese_sbuf *out, const ese_column *c, const ese_value *v, int large, uint16_t *ibflags,
                      ese_status *st)
{
	const uint8_t keep = ESE_TAG_LONG_VALUE | ESE_TAG_COMPRESSED | ESE_TAG_SEPARATED | ESE_TAG_ENCRYPTED;
	uint8_t lv = is_long_value(c->coltyp) ? ESE_TAG_LONG_VALUE : 0;
	uint8_t hdr = (uint8_t)((v->tag_flags & keep) | lv);
	size_t n = v->ninstances;
	*ibflags = v->derived ? 0x8000u : 0;

	if (v->is_null) {
		if (n)
			return enc_fail(st, JET_errInvalidParameter, c->id, "NULL value with instances");
		if (!large) {
			*ibflags |= TAG_IB_NULL;
			return 0;
		}
		hdr = (uint8_t)((hdr & ~ESE_TAG_SEPARATED) | ESE_TAG_NULL);
		ese_sbuf_put(out, &hdr, 1);
		return 0;
	}
	if (n && !v->instances)
		return enc_fail(st, JET_errInvalidParameter, c->id, "instance count without instances");
	for (size_t i = 0; i < n; i++)
		if (v->instances[i].len && !v->instances[i].data)
			return enc_fail(st, JET_errInvalidParameter, c->id, "instance without data");

	int multi = n >= 2 || (v->tag_flags & (ESE_TAG_MULTI | ESE_TAG_TWO_VALUES));
	if (!multi) {
		const uint8_t *p = n ? v->instances[0].data : v->data;
		size_t len = n ? v->instances[0].len : v->len;
		if (len && !p)
			return enc_fail(st, JET_errInvalidParameter, c->id, "value without data");
		if (n && v->instances[0].separated)
			hdr |= ESE_TAG_SEPARATED;
		int err = check_tagged_len(c, len, (hdr & ESE_TAG_SEPARATED) != 0, st);
		if (err)
			return err;
		if (large || hdr) {
			ese_sbuf_put(out, &hdr, 1);
			*ibflags |= large ? 0 : TAG_IB_EXTINFO;
		}
		if (len)
			ese_sbuf_put(out, p, len);
		return 0;
	}

	if (!n)
		return enc_fail(st, JET_errInvalidParameter, c->id, "multi-valued form without instances");
	hdr &= (uint8_t)~ESE_TAG_SEPARATED;  /* per instance from here on */
	int any_sep = 0;
	for (size_t i = 0; i < n; i++) {
		int err = check_tagged_len(c, v->instances[i].len, v->instances[i].separated, st);
		if (err)
			return err;
		any_sep |= v->instances[i].separated;
	}
	int can_two = n == 2 && !any_sep && v->instances[0].len <= TV_FIRST_MOST;
	int two;
	if (v->tag_flags & ESE_TAG_TWO_VALUES) {
		if (!can_two)
			return enc_fail(st, JET_errInvalidParameter, c->id, "TWOVALUES cannot hold these instances");
		two = 1;
	} else if (v->tag_flags & ESE_TAG_MULTI) {
		two = 0;
	} else {
		/* ESE: a second instance of a non-long-value column on a small page
		 * makes TWOVALUES; a third, or any long value, MULTIVALUES */
		two = can_two && !large && !lv;
	}
	*ibflags |= large ? 0 : TAG_IB_EXTINFO;
	if (two) {
		hdr |= ESE_TAG_MULTI | ESE_TAG_TWO_VALUES;
		uint8_t l1 = (uint8_t)v->instances[0].len;
		ese_sbuf_put(out, &hdr, 1);
		ese_sbuf_put(out, &l1, 1);
		ese_sbuf_put(out, v->instances[0].data, v->instances[0].len);
		ese_sbuf_put(out, v->instances[1].data, v->instances[1].len);
		return 0;
	}
	hdr |= ESE_TAG_MULTI;
	ese_sbuf_put(out, &hdr, 1);
	size_t off = 2 * n;
	for (size_t i = 0; i < n; i++) {
		if (off > 0x7FFF)
			return enc_fail(st, JET_errRecordTooBig, c->id, "multi-valued offsets overflow 15 bits");
		uint8_t b[2];
		put_le16(b, (uint16_t)(off | (v->instances[i].separated ? MV_SEPARATED : 0)));
		ese_sbuf_put(out, b, 2);
		off += v->instances[i].len;
	}
	for (size_t i = 0; i < n; i++)
		if (v->instances[i].len)
			ese_sbuf_put(out, v->instances[i].data, v->instances[i].len);
	return 0;
}

int ese_record_encode(ese_sbuf *out, const ese_table *t, const ese_value *vals, size_t nvals,
                      uint32_t page_size, unsigned flags, ese_status *st)
{
	size_t max = ese_record_max_size(t, page_size);
	if (!t || !out || (nvals && !vals) || !max)
		return ese_fail(st, JET_errInvalidParameter, 0, "record encode: bad table, buffer or page size %u",
		                page_size);
	int large = page_size > 8192;
	const ese_value *fixed[128] = { 0 }, *var[128] = { 0 };
	const ese_column *fixed_col[128] = { 0 };
	tag_item *tags = NULL;
	size_t ntags = 0, start = out->len;
	uint32_t fixed_last = 0, var_last = 127;
	int err = 0;

	/* sort the values by kind; every column must exist and appear once */
	for (size_t i = 0; i < nvals; i++) {
		const ese_value *v = &vals[i];
		const ese_column *c = v->columnid ? ese_table_find_column(t, v->columnid) : NULL;
		if (!c) {
			err = ese_fail(st, JET_errColumnNotFound, 0, "record encode: table %s has no column %u",
			               t->name ? t->name : "?", v->columnid);
			goto fail;
		}
		if (c->id <= 255 && (v->ninstances || v->instances)) {
			err = enc_fail(st, JET_errInvalidParameter, c->id, "instances given for a non-tagged column");
			goto fail;
		}
		if (c->id <= 127) {
			if (fixed[c->id]) {
				err = enc_fail(st, JET_errInvalidParameter, c->id, "column given twice");
				goto fail;
			}
			fixed[c->id] = v;
			fixed_col[c->id] = c;
			if (c->id > fixed_last)
				fixed_last = c->id;
		} else if (c->id <= 255) {
			if (var[c->id - 128]) {
				err = enc_fail(st, JET_errInvalidParameter, c->id, "column given twice");
				goto fail;
			}
			if (!v->is_null && v->len && !v->data) {
				err = enc_fail(st, JET_errInvalidParameter, c->id, "value without data");
				goto fail;
			}
			if (!v->is_null && (v->len > CB_COLUMN_MOST || (c->size && v->len > c->size))) {
				err = enc_fail(st, JET_errColumnTooBig, c->id, "value longer than the column's maximum");
				goto fail;
			}
			var[c->id - 128] = v;
			if (c->id > var_last)
				var_last = c->id;
		} else {
			if (!tags && !(tags = malloc(nvals * sizeof(*tags)))) {
				err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
				goto fail;
			}
			tags[ntags].v = v;
			tags[ntags].c = c;
			ntags++;
		}
	}
	if (ntags > 1)
		qsort(tags, ntags, sizeof(*tags), tag_item_cmp);
	for (size_t i = 1; i < ntags; i++)
		if (tag_item_cmp(&tags[i - 1], &tags[i]) == 0) {
			err = enc_fail(st, JET_errInvalidParameter, tags[i].v->columnid, "column given twice");
			goto fail;
		}

	/* header and fixed data: every column up to fidFixedLastInRec at its
	 * offset, never-set bytes '*', then the null bitmap */
	size_t fixed_end = 4, nullbytes = (fixed_last + 7) / 8;
	int usable = fixed_offsets_usable(t);
	if (fixed_last)
		fixed_end = fixed_offset(t, fixed_col[fixed_last], usable) + fixed_size(fixed_col[fixed_last]);
	if (fixed_end + nullbytes + 2u * (var_last - 127) > max) {
		err = ese_fail(st, JET_errRecordTooBig, 0, "record encode: fixed data of %zu bytes is too big",
		               fixed_end + nullbytes);
		goto fail;
	}
	uint8_t hdr[4] = { (uint8_t)fixed_last, (uint8_t)var_last, 0, 0 };
	put_le16(hdr + 2, (uint16_t)(fixed_end + nullbytes));
	ese_sbuf_put(out, hdr, 4);
	for (size_t i = 4; i < fixed_end + nullbytes; i++)
		ese_sbuf_putc(out, (char)REC_FILL);
	if (out->oom)
		goto oom;
	uint8_t *rec = (uint8_t *)out->data + start;
	uint8_t *bitmap = rec + fixed_end;
	memset(bitmap, (flags & ESE_ENCODE_NULLPAD_CLEAR) ? 0x00 : 0xFF, nullbytes);
	for (uint32_t fid = 1; fid <= fixed_last; fid++)
		bitmap[(fid - 1) / 8] |= (uint8_t)(1u << ((fid - 1) % 8));
	for (size_t i = 0; i < t->ncolumns && t->columns[i].id <= fixed_last; i++) {
		const ese_column *c = &t->columns[i];
		const ese_value *v = fixed[c->id];
		if (!v)
			continue;  /* below the last one: stored NULL, never set */
		size_t off = fixed_offset(t, c, usable), n = fixed_size(c);
		if ((err = put_fixed(rec + off, n, c, v, st)))
			goto fail;
		if (!v->is_null)
			bitmap[(c->id - 1) / 8] &= (uint8_t)~(1u << ((c->id - 1) % 8));
	}

	/* variable offsets (END of each, bit 15 = NULL) and data */
	size_t var_end = 0;
	for (uint32_t fid = 128; fid <= var_last; fid++) {
		const ese_value *v = var[fid - 128];
		if (v && !v->is_null)
			var_end += v->len;
		uint8_t b[2];
		put_le16(b, (uint16_t)(var_end | (v && !v->is_null ? 0 : 0x8000u)));
		ese_sbuf_put(out, b, 2);
	}
	for (uint32_t fid = 128; fid <= var_last; fid++) {
		const ese_value *v = var[fid - 128];
		if (v && !v->is_null && v->len)
			ese_sbuf_put(out, v->data, v->len);
	}

	/* tagged: the TAGFLD array {fid, ib | flags}, then the values */
	if (ntags) {
		size_t tagged = out->len, mask = large ? 0x7FFF : 0x1FFF;
		for (size_t i = 0; i < 4 * ntags; i++)
			ese_sbuf_putc(out, 0);
		for (size_t i = 0; i < ntags; i++) {
			size_t ib = out->len - tagged;
			uint16_t ibflags;
			if ((err = put_tagged(out, tags[i].c, tags[i].v, large, &ibflags, st)))
				goto fail;
			if (out->oom)
				goto oom;
			if (ib > mask || out->len - start > max) {
				err = ese_fail(st, JET_errRecordTooBig, 0,
				               "record encode: record reaches %zu bytes at column %u, more than %zu",
				               out->len - start, tags[i].v->columnid, max);
				goto fail;
			}
			uint8_t *ta = (uint8_t *)out->data + tagged + 4 * i;
			put_le16(ta, (uint16_t)tags[i].c->id);
			put_le16(ta + 2, (uint16_t)(ib | ibflags));
		}
	}
	if (out->oom)
		goto oom;
	if (out->len - start > max) {
		err = ese_fail(st, JET_errRecordTooBig, 0, "record encode: record of %zu bytes, more than %zu",
		               out->len - start, max);
		goto fail;
	}
	free(tags);
	return 0;
oom:
	err = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
fail:
	free(tags);
	if (!out->oom && out->len > start) {
		out->len = start;
		out->data[start] = '\0';
	}
	return err;
}
