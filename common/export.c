/*
 * export.c - tables as tab-separated text, byte for byte what Debian's
 * `esedbexport -t` (libesedb-utils 20181229) writes (include/ese_export.h).
 *
 * Every rule below is written down, with the libesedb / libfvalue /
 * libuna / libfdatetime / libcpath function it comes from, in
 * docs/esedbexport-format.md; the section names there are quoted in the
 * comments here ("R3" etc.).
 *
 * Invariants:
 *  1. Every byte read from a value is inside [v->data, v->data + v->len);
 *     every value is a view into its record or into a buffer we own.
 *  2. The compatible rendering appends to out only; when it gives up (the
 *     value is one esedbexport leaves empty or would abort on), out is cut
 *     back to where it was and the exact rendering is appended instead.
 *  3. Nothing here writes to the database.
 */
#include "ese_export.h"
#include "ese_compress.h"
#include "ese_cursor.h"
#include "ese_lv.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <float.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What the compatible rendering made of a value. */
enum {
	R_DONE = 0,      /* esedbexport prints what was appended (maybe nothing) */
	R_UNDECODED,     /* esedbexport prints nothing although there is a value */
	R_BROKEN,        /* libesedb fails on this value and aborts the table */
	R_LVFAIL,        /* the long value could not be read: nothing is printed */
};

/* Result of a text decoder. */
enum { T_OK = 0, T_FAIL = 1, T_EMPTY = 2 };

#define REPLACEMENT 0xFFFDu

/* ---- small helpers ---------------------------------------------------- */

static uint64_t le_uint(const uint8_t *p, size_t n)
{
	uint64_t v = 0;
	for (size_t i = n; i > 0; i--)
		v = (v << 8) | p[i - 1];
	return v;
}

static void sbuf_cut(ese_sbuf *sb, size_t len)
{
	if (sb->len > len) {
		sb->len = len;
		sb->data[len] = '\0';
	}
}

/* Appends code point cp as UTF-8; above U+10FFFF becomes U+FFFD
 * (libuna_unicode_character_copy_to_utf8).  Characters are then escaped
 * as export_text() does (R9): \ \n \r \t become two characters. */
static void put_char(ese_sbuf *out, uint32_t cp)
{
	char b[4];
	size_t n;

	switch (cp) {
	case '\\': ese_sbuf_put(out, "\\\\", 2); return;
	case '\n': ese_sbuf_put(out, "\\n", 2); return;
	case '\r': ese_sbuf_put(out, "\\r", 2); return;
	case '\t': ese_sbuf_put(out, "\\t", 2); return;
	default: break;
	}
	if (cp > 0x10FFFF)
		cp = REPLACEMENT;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xC0 | (cp >> 6));
		b[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xE0 | (cp >> 12));
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		b[0] = (char)(0xF0 | (cp >> 18));
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		b[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	ese_sbuf_put(out, b, n);
}

/* Windows-1252 0x80..0x9F as libuna's table has them (undefined: U+FFFD). */
static const uint16_t cp1252_80[32] = {
	0x20ac, 0xfffd, 0x201a, 0x0192, 0x201e, 0x2026, 0x2020, 0x2021,
	0x02c6, 0x2030, 0x0160, 0x2039, 0x0152, 0xfffd, 0x017d, 0xfffd,
	0xfffd, 0x2018, 0x2019, 0x201c, 0x201d, 0x2022, 0x2013, 0x2014,
	0x02dc, 0x2122, 0x0161, 0x203a, 0x0153, 0xfffd, 0x017e, 0x0178,
};

/* ---- text decoders (libuna 2018, R7) ------------------------------------ */

/* One byte per character; stops at NUL.  which: 1252, 20127 (ASCII: 0x80
 * and above become U+FFFD) or 28591 (ISO 8859-1). */
static void dec_bytes(ese_sbuf *out, const uint8_t *p, size_t n, unsigned which)
{
	for (size_t i = 0; i < n && p[i]; i++) {
		uint32_t c = p[i];
		if (c >= 0x80) {
			if (which == 20127)
				c = REPLACEMENT;
			else if (which == 1252 && c < 0xA0)
				c = cp1252_80[c - 0x80];
		}
		put_char(out, c);
	}
}

/* UTF-16 as libuna_utf8_string_with_index_copy_from_utf16_stream reads it:
 * a leading BOM (either order) is skipped, NUL ends the string, a high
 * surrogate takes the next unit whatever it is, and a pair is joined as
 * ((hi - 0xD800) << 10) + (lo - 0xDFFF) + 0x10000 - libuna subtracts the
 * end of the low range, not its start, so every pair lands 0x3FF too low
 * (U+1F98A prints as U+1F58B).  A high surrogate that is the last unit
 * fails; *emitted tells whether anything was appended before.  A
 * stream with no unit after its BOM has libuna report a size of 0, which
 * esedbexport treats as an error (T_EMPTY).  With exact set, pairs are
 * joined correctly and lone surrogates become U+FFFD. */
static int dec_utf16(ese_sbuf *out, const uint8_t *p, size_t n, int big, int exact, int *emitted)
{
	size_t i = 0;
	*emitted = 0;
	if (n % 2 && !exact)
		return T_FAIL;
	if (n >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF)))
		i = 2;
	if (!exact && i + 1 >= n)
		return T_EMPTY;
	while (i + 1 < n) {
		uint32_t c = big ? ((uint32_t)p[i] << 8 | p[i + 1]) : ((uint32_t)p[i + 1] << 8 | p[i]);
		i += 2;
		if (c >= 0xD800 && c <= 0xDBFF) {
			if (i + 1 >= n) {
				if (!exact)
					return T_FAIL;
				c = REPLACEMENT;
			} else {
				uint32_t lo = big ? ((uint32_t)p[i] << 8 | p[i + 1]) : ((uint32_t)p[i + 1] << 8 | p[i]);
				if (lo >= 0xDC00 && lo <= 0xDFFF) {
					i += 2;
					if (exact)
						c = ((c - 0xD800) << 10) + (lo - 0xDC00) + 0x10000;
					else
						c = (uint32_t)(((c - 0xD800) << 10) + lo - 0xDFFFu + 0x10000);
				} else if (exact) {
					c = REPLACEMENT;     /* keep the unit for the next round */
				} else {
					i += 2;              /* libuna swallows the unit */
					c = REPLACEMENT;
				}
			}
		} else if (c >= 0xDC00 && c <= 0xDFFF) {
			c = REPLACEMENT;
		}
		if (c == 0)
			return T_OK;
		put_char(out, c);
		*emitted = 1;
	}
	if (exact && i < n && p[i])
		put_char(out, REPLACEMENT);
	return T_OK;
}

/* UTF-8 as libuna_utf8_string_size_from_utf8_stream reads it: BOM skipped,
 * NUL ends the string, any invalid sequence fails (compatible) or becomes
 * U+FFFD for its first byte (exact).  Nothing after the BOM: T_EMPTY. */
static int dec_utf8(ese_sbuf *out, const uint8_t *p, size_t n, int exact)
{
	size_t i = 0;
	if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
		i = 3;
	if (!exact && i >= n)
		return T_EMPTY;
	while (i < n) {
		uint8_t b = p[i];
		size_t extra = b < 0xC0 ? 0 : b < 0xE0 ? 1 : b < 0xF0 ? 2 : 3;
		uint32_t c = b;
		int bad = b > 0xF4 || (b >= 0x80 && b < 0xC2) || i + extra >= n + (extra ? 0 : 1);
		if (!bad && extra) {
			uint8_t b1 = p[i + 1];
			if (b1 < 0x80 || b1 > 0xBF || (b == 0xE0 && b1 < 0xA0) || (b == 0xED && b1 > 0x9F) ||
			    (b == 0xF0 && b1 < 0x90) || (b == 0xF4 && b1 > 0x8F))
				bad = 1;
			for (size_t k = 2; !bad && k <= extra; k++)
				if (p[i + k] < 0x80 || p[i + k] > 0xBF)
					bad = 1;
			if (!bad) {
				c = b & (0x3F >> extra);
				for (size_t k = 1; k <= extra; k++)
					c = (c << 6) | (p[i + k] & 0x3F);
			}
		}
		if (bad) {
			if (!exact)
				return T_FAIL;
			put_char(out, REPLACEMENT);
			i++;
			continue;
		}
		if (c == 0)
			return T_OK;
		put_char(out, c);
		i += extra + 1;
	}
	return T_OK;
}

/* Text of a record value as libfvalue_string_copy_to_utf8_string_with_index
 * converts it (R7).  Code page 0 is 1252 (libesedb's default ASCII code
 * page), 1200 is libfvalue's "1200 mixed": UTF-16LE when the size is even
 * and it converts, else ASCII.  Returns R_DONE or R_BROKEN. */
static int compat_text(ese_sbuf *out, const uint8_t *p, size_t n, uint32_t codepage)
{
	int emitted;
	size_t mark = out->len;

	if (n == 0)
		return R_DONE;
	switch (codepage) {
	case 0:
	case 1252:
		dec_bytes(out, p, n, 1252);
		return R_DONE;
	case 1200:
		if (n % 2 == 0) {
			int t = dec_utf16(out, p, n, 0, 0, &emitted);
			if (t == T_OK)
				return R_DONE;
			if (t == T_EMPTY)
				return R_BROKEN;   /* "missing value string" */
			/* libfvalue retries as ASCII after the index the UTF-16
			 * attempt advanced: that only fits when it wrote nothing */
			if (emitted) {
				sbuf_cut(out, mark);
				return R_BROKEN;
			}
			sbuf_cut(out, mark);
		}
		dec_bytes(out, p, n, 20127);
		return R_DONE;
	case 1201:
		if (dec_utf16(out, p, n, 1, 0, &emitted) == T_OK)
			return R_DONE;
		sbuf_cut(out, mark);
		return R_BROKEN;
	case 65001:
		if (dec_utf8(out, p, n, 0) == T_OK)
			return R_DONE;
		sbuf_cut(out, mark);
		return R_BROKEN;
	case 28591:
		dec_bytes(out, p, n, 28591);
		return R_DONE;
	default:
		/* 20127, and the code pages this toolkit does not emulate */
		dec_bytes(out, p, n, 20127);
		return R_DONE;
	}
}

/* Text decoded as ESE means it (exact rendering). */
static void exact_text(ese_sbuf *out, const uint8_t *p, size_t n, uint32_t codepage)
{
	int emitted;
	switch (codepage) {
	case 1200:
		dec_utf16(out, p, n, 0, 1, &emitted);
		return;
	case 1201:
		dec_utf16(out, p, n, 1, 1, &emitted);
		return;
	case 65001:
		dec_utf8(out, p, n, 1);
		return;
	case 28591:
		dec_bytes(out, p, n, 28591);
		return;
	case 0:
	case 1252:
		dec_bytes(out, p, n, 1252);
		return;
	default:
		dec_bytes(out, p, n, 20127);
		return;
	}
}

/* ---- decompression as libesedb_compression_decompress does it (R6) ------ */

/* libesedb_compression_7bit_decompress: any leading byte but 0x18 is
 * 7-bit; the size is ((n - 1) * 8) / 7 whatever the header's bit count
 * says (so a trailing 0 may appear), one byte per code even for the
 * 7-bit Unicode scheme, and bits left over at the end are an error. */
static int lib_7bit(const uint8_t *in, size_t n, ese_sbuf *dst)
{
	if (n < 1 || n - 1 > SIZE_MAX / 8)
		return -1;
	size_t size = ((n - 1) * 8) / 7, o = 0;
	uint32_t acc = 0;
	unsigned bit = 0;
	uint8_t b;

	ese_sbuf_reset(dst);
	for (size_t i = 1; i < n; i++) {
		acc |= (uint32_t)in[i] << bit;
		b = (uint8_t)(acc & 0x7F);
		if (o < size) {
			ese_sbuf_put(dst, &b, 1);
			o++;
		}
		acc >>= 7;
		bit++;
		if (bit == 7) {
			b = (uint8_t)(acc & 0x7F);
			if (o < size) {
				ese_sbuf_put(dst, &b, 1);
				o++;
			}
			acc >>= 7;
			bit = 0;
		}
	}
	if (acc != 0 || dst->oom)
		return -1;
	return 0;
}

/* libesedb_compression_decompress: 0x18 is Xpress with a 16-bit size
 * after it, anything else is 7-bit.  -1 where libesedb fails or where its
 * output would hold bytes it never wrote (a size the stream does not fill). */
static int lib_decompress(const uint8_t *in, size_t n, ese_sbuf *dst)
{
	if (n < 1)
		return -1;
	if (in[0] != 0x18)
		return lib_7bit(in, n, dst);
	if (n < 3)
		return -1;
	size_t size = (size_t)in[1] | (size_t)in[2] << 8, got = 0;
	ese_sbuf_reset(dst);
	uint8_t *buf = malloc(size ? size : 1);
	if (!buf)
		return -1;
	int err = ese_decompress(in, n, buf, size, &got);
	if (!err && got == size)
		ese_sbuf_put(dst, buf, got);
	free(buf);
	return err || got != size || dst->oom ? -1 : 0;
}

/* Text of a compressed value (libesedb_compression_copy_to_utf8_string):
 * UTF-16LE first when the decompressed size is even and the scheme is
 * Xpress or 7-bit ASCII (so ASCII text of even length reads as UTF-16),
 * then strict UTF-8. */
static int compat_compressed_text(ese_sbuf *out, const uint8_t *p, size_t n)
{
	ese_sbuf d;
	int emitted, r = R_DONE;
	size_t mark = out->len;

	ese_sbuf_init(&d);
	if (lib_decompress(p, n, &d)) {
		ese_sbuf_free(&d);
		return R_BROKEN;
	}
	const uint8_t *u = (const uint8_t *)d.data;
	if (d.len == 0) {
		r = R_BROKEN;               /* a size of 0: "missing value string" */
		goto done;
	}
	if (d.len % 2 == 0 && (p[0] == 0x18 || (p[0] & 0x10) == 0)) {
		int t = dec_utf16(out, u, d.len, 0, 0, &emitted);
		if (t == T_OK)
			goto done;
		if (t == T_EMPTY) {
			r = R_BROKEN;
			goto done;
		}
	}
	sbuf_cut(out, mark);
	if (dec_utf8(out, u, d.len, 0) != T_OK) {
		sbuf_cut(out, mark);
		r = R_BROKEN;
	}
done:
	ese_sbuf_free(&d);
	return r;
}

/* ---- DateTime as a FILETIME (libfdatetime 2018, R4) --------------------- */

static int leap(unsigned y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

/* libfdatetime_filetime_copy_to_utf8_string_with_index with CTIME |
 * DATE_TIME_NANO_SECONDS: "Mon DD, YYYY HH:MM:SS.mmmuuunnn", or
 * "(0xUPPER 0xLOWER)" when the date is past 9999 or fails validation.
 * The day arithmetic is libfdatetime's, including its odd spots. */
static void put_filetime(ese_sbuf *out, uint64_t ft)
{
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	uint64_t t = ft;
	unsigned ns = (unsigned)(t % 10) * 100;
	t /= 10;
	unsigned us = (unsigned)(t % 1000);
	t /= 1000;
	unsigned ms = (unsigned)(t % 1000);
	t /= 1000;
	unsigned sec = (unsigned)(t % 60);
	t /= 60;
	unsigned min = (unsigned)(t % 60);
	t /= 60;
	unsigned hour = (unsigned)(t % 24);
	t /= 24;
	t += 1;
	uint64_t year = 1601;
	if (t >= 36159) {
		year = 1700;
		t -= 36159;
	}
	while (t > 0) {
		uint64_t dc = year % 400 == 0 ? 36525 : 36524;
		if (t <= dc)
			break;
		t -= dc;
		year += 100;
	}
	while (t > 0) {
		uint64_t dy = leap((unsigned)(year % 400)) ? 366 : 365;
		if (t <= dy)
			break;
		t -= dy;
		year += 1;
	}
	if (year > 9999)
		goto hex;
	unsigned month = 1, y = (unsigned)year;
	while (t > 0) {
		unsigned dm = month == 2 ? (leap(y) ? 29 : 28)
		            : (month == 4 || month == 6 || month == 9 || month == 11) ? 30 : 31;
		if (t <= dm)
			break;
		t -= dm;
		month++;
		if (month > 12)
			goto hex;       /* libfdatetime: "unsupported month" */
	}
	unsigned day = (unsigned)t;
	unsigned dim = month == 2 ? (leap(y) ? 29 : 28)
	             : (month == 4 || month == 6 || month == 9 || month == 11) ? 30 : 31;
	if (day == 0 || day > dim)
		goto hex;
	ese_sbuf_printf(out, "%s %02u, %04u %02u:%02u:%02u.%03u%03u%03u", mon[month - 1], day, y, hour, min, sec,
	                ms, us, ns);
	return;
hex:
	ese_sbuf_printf(out, "(0x%08" PRIx32 " 0x%08" PRIx32 ")", (uint32_t)(ft >> 32), (uint32_t)ft);
}

/* ---- fixed-type values (export_handle_export_basic_record_value, R3) ---- */

static int is_text(uint32_t coltyp) { return coltyp == JET_coltypText || coltyp == JET_coltypLongText; }

/* The compatible rendering of a value on the "basic" path. */
static int compat_basic(ese_sbuf *out, const ese_column *c, const uint8_t *p, size_t n)
{
	uint64_t u;
	union { uint64_t u; double d; } f64;
	union { uint32_t u; float f; } f32;

	if (n == 0)
		return R_DONE;   /* libfvalue_value_has_data: no data, nothing printed */
	switch (c->coltyp) {
	case JET_coltypBit:
	case JET_coltypUnsignedByte:
	case JET_coltypShort:
	case JET_coltypUnsignedShort:
	case JET_coltypLong:
	case JET_coltypUnsignedLong:
	case JET_coltypCurrency:
	case JET_coltypLongLong:
		/* libfvalue_integer_copy_from_byte_stream: 1, 2, 4 or 8 bytes */
		if (n != 1 && n != 2 && n != 4 && n != 8)
			return R_BROKEN;
		u = le_uint(p, n);
		switch (c->coltyp) {
		case JET_coltypBit:
			ese_sbuf_puts(out, u ? "true" : "false");
			break;
		case JET_coltypUnsignedByte:
			if (u > UINT8_MAX)
				return R_BROKEN;
			ese_sbuf_printf(out, "%" PRIu8, (uint8_t)u);
			break;
		case JET_coltypShort:
		case JET_coltypUnsignedShort:
			if (u > UINT16_MAX)
				return R_BROKEN;
			if (c->coltyp == JET_coltypShort)
				ese_sbuf_printf(out, "%" PRIi16, (int16_t)(uint16_t)u);
			else
				ese_sbuf_printf(out, "%" PRIu16, (uint16_t)u);
			break;
		case JET_coltypLong:
		case JET_coltypUnsignedLong:
			if (u > UINT32_MAX)
				return R_BROKEN;
			if (c->coltyp == JET_coltypLong)
				ese_sbuf_printf(out, "%" PRIi32, (int32_t)(uint32_t)u);
			else
				ese_sbuf_printf(out, "%" PRIu32, (uint32_t)u);
			break;
		case JET_coltypLongLong:
			ese_sbuf_printf(out, "%" PRIi64, (int64_t)u);
			break;
		default:   /* Currency: printed unsigned */
			ese_sbuf_printf(out, "%" PRIu64, u);
			break;
		}
		return R_DONE;
	case JET_coltypIEEESingle:
	case JET_coltypIEEEDouble:
		/* libfvalue keeps 4 stored bytes zero-extended in a 64-bit
		 * integer and reads every value back as a double: a 4-byte
		 * single becomes a denormal, then 0.0f (R3). */
		if (n != 4 && n != 8)
			return R_BROKEN;
		f64.u = le_uint(p, n);
		if (c->coltyp == JET_coltypIEEESingle) {
			f32.f = (float)f64.d;
			ese_sbuf_printf(out, "%f", (double)f32.f);
		} else {
			ese_sbuf_printf(out, "%f", f64.d);
		}
		return R_DONE;
	case JET_coltypDateTime:
		if (n < 8)
			return R_BROKEN;
		put_filetime(out, le_uint(p, 8));
		return R_DONE;
	case JET_coltypText:
	case JET_coltypLongText:
		return compat_text(out, p, n, c->codepage);
	default:
		/* Nil, Binary, LongBinary, SLV, GUID and unknown: hex */
		ese_sbuf_hex(out, p, n);
		return R_DONE;
	}
}

/* The exact rendering of one stored instance (already decompressed and
 * long values already read). */
static int exact_scalar(ese_sbuf *out, const ese_column *c, const uint8_t *p, size_t n)
{
	static const unsigned char want[] = {
		[JET_coltypBit] = 1, [JET_coltypUnsignedByte] = 1, [JET_coltypShort] = 2,
		[JET_coltypLong] = 4, [JET_coltypCurrency] = 8, [JET_coltypIEEESingle] = 4,
		[JET_coltypIEEEDouble] = 8, [JET_coltypDateTime] = 8, [JET_coltypUnsignedLong] = 4,
		[JET_coltypLongLong] = 8, [JET_coltypGUID] = 16, [JET_coltypUnsignedShort] = 2,
	};
	union { uint64_t u; double d; } f64;
	union { uint32_t u; float f; } f32;
	uint64_t u;

	if (c->coltyp < sizeof(want) && want[c->coltyp] && c->coltyp != JET_coltypGUID && n != want[c->coltyp]) {
		ese_sbuf_hex(out, p, n);
		return -1;
	}
	u = n <= 8 ? le_uint(p, n) : 0;
	switch (c->coltyp) {
	case JET_coltypBit:
		ese_sbuf_puts(out, u ? "true" : "false");
		break;
	case JET_coltypUnsignedByte:
	case JET_coltypUnsignedShort:
	case JET_coltypUnsignedLong:
		ese_sbuf_printf(out, "%" PRIu64, u);
		break;
	case JET_coltypShort:
		ese_sbuf_printf(out, "%" PRIi16, (int16_t)(uint16_t)u);
		break;
	case JET_coltypLong:
		ese_sbuf_printf(out, "%" PRIi32, (int32_t)(uint32_t)u);
		break;
	case JET_coltypCurrency:
	case JET_coltypLongLong:
		ese_sbuf_printf(out, "%" PRIi64, (int64_t)u);
		break;
	case JET_coltypIEEESingle:
		f32.u = (uint32_t)u;
		ese_sbuf_printf(out, "%f", (double)f32.f);
		break;
	case JET_coltypIEEEDouble:
		f64.u = u;
		ese_sbuf_printf(out, "%f", f64.d);
		break;
	case JET_coltypDateTime:
		put_filetime(out, u);
		break;
	case JET_coltypText:
	case JET_coltypLongText:
		exact_text(out, p, n, c->codepage);
		break;
	default:
		ese_sbuf_hex(out, p, n);
		break;
	}
	return 0;
}

/* ---- one value ------------------------------------------------------------ */

struct vctx {
	ese_db *db;
	const ese_table *t;
	const ese_column *c;
	ese_status *st;
	int err;                 /* first problem seen in this value */
};

static void vfail(struct vctx *x, int err, const char *what)
{
	if (!x->err)
		x->err = err;
	ese_fail(x->st, err, 0, "table %s, column %s: %s", x->t && x->t->name ? x->t->name : "?",
	         x->c->name ? x->c->name : "?", what);
}

/* The compatible rendering (export_handle_export_record_value, R2). */
static int compat_value(ese_sbuf *out, struct vctx *x, const ese_colval *v)
{
	const ese_column *c = x->c;
	uint8_t h = v->tagged ? v->header : 0;
	const uint8_t *p;
	size_t n, count;
	int sep, r;

	if ((h & ~0x01u) == 0)
		return compat_basic(out, c, v->data, v->len);
	if ((h & ESE_TAG_COMPRESSED) && !(h & ESE_TAG_MULTI)) {
		if (v->len == 0)
			return R_DONE;
		if (c->coltyp == JET_coltypLongText)
			return compat_compressed_text(out, v->data, v->len);
		if (c->coltyp == JET_coltypLongBinary) {
			ese_sbuf d;
			ese_sbuf_init(&d);
			r = lib_decompress(v->data, v->len, &d) ? R_BROKEN : R_DONE;
			if (r == R_DONE && d.len == 0)
				r = R_BROKEN;        /* "missing binary data" */
			if (r == R_DONE)
				ese_sbuf_hex(out, (const uint8_t *)d.data, d.len);
			ese_sbuf_free(&d);
			return r;
		}
		return R_UNDECODED;
	}
	if ((h & ESE_TAG_SEPARATED) && !(h & ESE_TAG_MULTI)) {
		ese_sbuf lv;
		ese_status lst;
		ese_status_clear(&lst);
		ese_sbuf_init(&lv);
		int err = x->db && x->t ? ese_lv_read(x->db, x->t, v->data, v->len, &lv, NULL, &lst)
		                : ese_fail(&lst, JET_errRecordNotFound, 0, "no database to read long values from");
		if (err) {
			ese_sbuf_free(&lv);
			vfail(x, err, lst.msg[0] ? lst.msg : "long value cannot be read");
			return R_LVFAIL;
		}
		if (is_text(c->coltyp))
			r = compat_text(out, (const uint8_t *)lv.data, lv.len, c->codepage);
		else {
			ese_sbuf_hex(out, (const uint8_t *)lv.data, lv.len);
			r = R_DONE;
		}
		ese_sbuf_free(&lv);
		return r;
	}
	if ((h & ESE_TAG_MULTI) && !(h & ESE_TAG_SEPARATED) && !(h & ESE_TAG_TWO_VALUES)) {
		/* libesedb prints multi-values of text columns only: its
		 * non-text branch never sets the size it allocates (R5). */
		if (!is_text(c->coltyp))
			return R_UNDECODED;
		count = ese_colval_count(v);
		for (size_t i = 0; i < count; i++) {
			if (ese_colval_instance(v, i, &p, &n, &sep, NULL))
				return R_BROKEN;
			/* the 0x8000 "separated" bit is ignored: the LID's bytes
			 * are converted as text */
			if (i == 0 && (h & ESE_TAG_COMPRESSED) && n > 0)
				r = compat_compressed_text(out, p, n);
			else
				r = compat_text(out, p, n, c->codepage);
			if (r != R_DONE)
				return r;
			if (i + 1 < count)
				ese_sbuf_put(out, "; ", 2);
		}
		return R_DONE;
	}
	/* two-value columns, multi-valued long values, flags it does not know */
	return v->len ? R_UNDECODED : R_DONE;
}

/* The exact rendering: every instance, decompressed, long values read,
 * joined by "; " as esedbexport joins text multi-values. */
static void exact_value(ese_sbuf *out, struct vctx *x, const ese_colval *v)
{
	const ese_column *c = x->c;
	uint8_t h = v->tagged ? v->header : 0;
	size_t count = ese_colval_count(v);
	ese_sbuf buf;

	ese_sbuf_init(&buf);
	for (size_t i = 0; i < count; i++) {
		const uint8_t *p;
		size_t n;
		int sep;
		if (ese_colval_instance(v, i, &p, &n, &sep, NULL)) {
			vfail(x, JET_errDatabaseCorrupted, "multi-valued column with a bad offset array");
			break;
		}
		if (i > 0)
			ese_sbuf_put(out, "; ", 2);
		if (sep) {
			ese_status lst;
			ese_status_clear(&lst);
			int err = x->db && x->t ? ese_lv_read(x->db, x->t, p, n, &buf, NULL, &lst)
			                : ese_fail(&lst, JET_errRecordNotFound, 0, "no database to read long values from");
			if (err) {
				vfail(x, err, lst.msg[0] ? lst.msg : "long value cannot be read");
				continue;
			}
			p = (const uint8_t *)buf.data;
			n = buf.len;
		} else if ((h & ESE_TAG_COMPRESSED) && i == 0 && n > 0 &&
		           ese_compress_scheme(p, n) != ESE_COMPRESS_NONE) {
			size_t size = 0, got = 0;
			int err = ese_decompress_size(p, n, &size);
			uint8_t *d = NULL;
			if (!err && !(d = malloc(size ? size : 1)))
				err = JET_errOutOfMemory;
			if (!err)
				err = ese_decompress(p, n, d, size, &got);
			if (err) {
				free(d);
				vfail(x, err, "compressed value cannot be decompressed");
				continue;
			}
			ese_sbuf_reset(&buf);
			ese_sbuf_put(&buf, d, got);
			free(d);
			p = (const uint8_t *)buf.data;
			n = buf.len;
		}
		if (exact_scalar(out, c, p, n))
			vfail(x, JET_errDatabaseCorrupted, "value of the wrong size for its type");
	}
	ese_sbuf_free(&buf);
}

int ese_export_format_value_ex(ese_sbuf *out, ese_db *db, const ese_table *t, const ese_column *c,
                               const ese_colval *v, unsigned flags, ese_status *st)
{
	struct vctx x = { db, t, c, st, 0 };
	size_t mark = out->len;

	if (!v || !v->present)
		return 0;
	if (!(flags & ESE_EXPORT_EXACT)) {
		switch (compat_value(out, &x, v)) {
		case R_DONE:
			return x.err;
		case R_LVFAIL:
			sbuf_cut(out, mark);
			return x.err;
		case R_BROKEN:
			vfail(&x, JET_errDatabaseCorrupted, "value that esedbexport cannot convert");
			break;
		default:
			break;
		}
		sbuf_cut(out, mark);
	}
	exact_value(out, &x, v);
	return x.err;
}

void ese_export_format_value(ese_sbuf *out, ese_db *db, const ese_table *t, const ese_column *c,
                             const ese_colval *v)
{
	(void)ese_export_format_value_ex(out, db, t, c, v, 0, NULL);
}

/* ---- file names (libcpath_path_get_sanitized_filename, R11) ------------- */

size_t ese_export_file_name(const char *name, size_t index, char *buf, size_t cap)
{
	ese_sbuf u, o;
	size_t len;

	ese_sbuf_init(&u);
	ese_sbuf_init(&o);
	/* the name as libesedb gives it: code page 1252 to UTF-8, to NUL */
	for (const uint8_t *p = (const uint8_t *)name; p && *p; p++) {
		uint32_t cp = *p;
		if (cp >= 0x80 && cp < 0xA0)
			cp = cp1252_80[cp - 0x80];
		char b[3];
		if (cp < 0x80) {
			b[0] = (char)cp;
			ese_sbuf_put(&u, b, 1);
		} else if (cp < 0x800) {
			b[0] = (char)(0xC0 | (cp >> 6));
			b[1] = (char)(0x80 | (cp & 0x3F));
			ese_sbuf_put(&u, b, 2);
		} else {
			b[0] = (char)(0xE0 | (cp >> 12));
			b[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
			b[2] = (char)(0x80 | (cp & 0x3F));
			ese_sbuf_put(&u, b, 3);
		}
	}
	for (size_t i = 0; i < u.len; i++) {
		signed char ch = (signed char)u.data[i];
		if (ch == '/' || (ch >= 0x00 && ch <= 0x1F) || ch == '!' || ch == '$' || ch == '%' || ch == '&' ||
		    ch == '*' || ch == '+' || ch == ':' || ch == ';' || ch == '<' || ch == '>' || ch == '?' ||
		    ch == '|' || ch == 0x7F) {
			/* libcpath's nibble test is "> 10", so 0xA prints as ':' */
			unsigned hi = ((unsigned char)ch >> 4) & 0xF, lo = (unsigned char)ch & 0xF;
			char e[4] = { '\\', 'x', (char)(hi > 10 ? 'a' + hi - 10 : '0' + hi),
			              (char)(lo > 10 ? 'a' + lo - 10 : '0' + lo) };
			ese_sbuf_put(&o, e, 4);
		} else if (ch == '\\') {
			ese_sbuf_put(&o, "\\\\", 2);
		} else {
			ese_sbuf_putc(&o, (char)ch);
		}
	}
	ese_sbuf_printf(&o, ".%zu", index);
	len = o.oom ? 0 : o.len;
	if (cap > 0) {
		size_t k = len < cap ? len : cap - 1;
		if (k)
			memcpy(buf, o.data, k);
		buf[k] = '\0';
	}
	ese_sbuf_free(&u);
	ese_sbuf_free(&o);
	return len;
}

/* ---- tables ---------------------------------------------------------------- */

/* Column names as libesedb_column_get_utf8_name gives them: 1252 to UTF-8,
 * unescaped (R1). */
static void put_name(ese_sbuf *out, const char *name)
{
	for (const uint8_t *p = (const uint8_t *)name; p && *p; p++) {
		uint32_t cp = *p;
		if (cp >= 0x80 && cp < 0xA0)
			cp = cp1252_80[cp - 0x80];
		if (cp < 0x80) {
			ese_sbuf_putc(out, (char)cp);
		} else {
			/* put_char escapes only ASCII, so this is plain UTF-8 */
			put_char(out, cp);
		}
	}
}

/* Is column id stored in record r at all (for default values)? */
static int column_absent(const ese_record *r, const ese_column *c)
{
	uint32_t id = c->id;
	if (id <= 127)
		return id > r->fixed_last;
	if (id <= 255)
		return id > r->var_last;
	for (size_t i = 0; i < r->ntagged; i++) {
		uint32_t fid;
		ese_colval tv;
		if (ese_record_tagged_at(r, i, &fid, &tv, NULL))
			return 0;
		if (fid == id)
			return 0;
		if (fid > id)
			return 1;
	}
	return 1;
}

struct tctx {
	ese_db *db;
	const ese_table *t;          /* the table whose records these are */
	const ese_table *tmpl;       /* its template table, or NULL */
	ese_status *st;
	int err;
};

static void tfail(struct tctx *x, int err)
{
	if (!x->err)
		x->err = err;
}

/* Appends the cell of column c (belonging to table owner) for record r. */
static void put_cell(ese_sbuf *row, struct tctx *x, const ese_table *owner, const ese_column *c,
                     const ese_record *r, size_t fixed_off)
{
	ese_colval v;
	ese_status vst;
	int err;

	memset(&v, 0, sizeof(v));
	ese_status_clear(&vst);
	if (c->id <= 127) {
		/* libesedb_data_definition_read_record: fixed columns up to
		 * fidFixedLast are read at the summed catalog sizes, and the
		 * null bitmap is never consulted (R2) */
		if (c->id <= r->fixed_last) {
			if (fixed_off > r->len || c->size > r->len - fixed_off) {
				tfail(x, ese_fail(x->st, JET_errDatabaseCorrupted, 0,
				                  "table %s, column %s: fixed value outside its record", x->t->name,
				                  c->name));
				return;
			}
			v.present = 1;
			v.data = r->data + fixed_off;
			v.len = c->size;
		}
	} else if ((err = ese_record_get(r, owner, c, &v, &vst))) {
		tfail(x, ese_fail(x->st, err, 0, "table %s, column %s: %s", x->t->name, c->name, vst.msg));
		return;
	}
	if (!v.present && (c->flags & ESE_COL_DEFAULT) && c->default_value && c->default_len &&
	    column_absent(r, c)) {
		/* ESE returns the default of a column the record does not
		 * store; libesedb does not know defaults (exact rendering) */
		ese_colval d = { 1, 0, 0, c->default_value, c->default_len };
		err = ese_export_format_value_ex(row, x->db, x->t, c, &d, ESE_EXPORT_EXACT, x->st);
		if (err)
			tfail(x, err);
		return;
	}
	/* long values live in the record's own table, template column or not */
	err = ese_export_format_value_ex(row, x->db, x->t, c, &v, 0, x->st);
	if (err)
		tfail(x, err);
}

/* One record: every column of the template (if any), then of the table. */
static void put_row(ese_sbuf *row, struct tctx *x, const ese_record *r)
{
	const ese_table *parts[2] = { x->tmpl, x->t };
	size_t ncols = (x->tmpl ? x->tmpl->ncolumns : 0) + x->t->ncolumns, k = 0;

	for (int pi = 0; pi < 2; pi++) {
		const ese_table *owner = parts[pi];
		if (!owner)
			continue;
		size_t fixed_off = 4;
		for (size_t i = 0; i < owner->ncolumns; i++, k++) {
			const ese_column *c = &owner->columns[i];
			put_cell(row, x, owner, c, r, fixed_off);
			if (c->id <= 127 && c->id <= r->fixed_last && fixed_off <= SIZE_MAX - c->size)
				fixed_off += c->size;
			ese_sbuf_putc(row, k + 1 == ncols ? '\n' : '\t');
		}
	}
}

static int write_sbuf(FILE *out, ese_sbuf *sb, ese_status *st)
{
	if (sb->oom)
		return ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
	if (sb->len && fwrite(sb->data, 1, sb->len, out) != sb->len)
		return ese_fail(st, errno == ENOSPC ? JET_errDiskFull : JET_errDiskIO, 0, "cannot write: %s",
		                strerror(errno));
	ese_sbuf_reset(sb);
	return 0;
}

static int export_table(ese_db *db, const ese_table *t, const ese_table *tmpl, FILE *out, ese_status *st)
{
	struct tctx x = { db, t, tmpl, st, 0 };
	ese_sbuf row;
	ese_cursor *cur = NULL;
	size_t ncols = (tmpl ? tmpl->ncolumns : 0) + t->ncolumns, k = 0;
	int err, large = ese_db_page_size(db) >= 16384;

	ese_sbuf_init(&row);
	/* header line (export_handle_export_table): names, tab-separated;
	 * a table without columns has no header line at all */
	for (int pi = 0; pi < 2; pi++) {
		const ese_table *owner = pi ? t : tmpl;
		for (size_t i = 0; owner && i < owner->ncolumns; i++, k++) {
			put_name(&row, owner->columns[i].name);
			ese_sbuf_putc(&row, k + 1 == ncols ? '\n' : '\t');
		}
	}
	if ((err = write_sbuf(out, &row, st)))
		goto out;
	if ((err = ese_cursor_open(db, t->pgno_fdp, t->objid, &cur, st)))
		goto out;
	for (err = ese_cursor_first(cur, st); !err; err = ese_cursor_next(cur, st)) {
		size_t dlen;
		const uint8_t *d = ese_cursor_data(cur, &dlen);
		ese_record r;
		ese_status rst;
		ese_status_clear(&rst);
		if (ese_record_parse(&r, d, dlen, large, &rst)) {
			/* libesedb would stop the table here; we skip the record */
			tfail(&x, ese_fail(st, JET_errDatabaseCorrupted, ese_cursor_pgno(cur),
			                   "table %s: record on page %u skipped: %s", t->name, ese_cursor_pgno(cur),
			                   rst.msg));
			continue;
		}
		if (ncols)
			put_row(&row, &x, &r);
		if ((err = write_sbuf(out, &row, st)))
			goto out;
	}
	if (err == JET_errRecordNotFound)
		err = 0;
out:
	if (!err && fflush(out))
		err = ese_fail(st, errno == ENOSPC ? JET_errDiskFull : JET_errDiskIO, 0, "cannot write: %s",
		               strerror(errno));
	ese_cursor_close(cur);
	ese_sbuf_free(&row);
	return err ? err : x.err;
}

int ese_export_table(ese_db *db, const ese_table *t, FILE *out, ese_status *st)
{
	return export_table(db, t, NULL, out, st);
}

/* ---- the database ------------------------------------------------------- */

static int dir_is_empty(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int empty = 1;
	if (!d)
		return 0;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
			empty = 0;
			break;
		}
	closedir(d);
	return empty;
}

int ese_export_database(ese_db *db, const ese_catalog *cat, const char *outdir, ese_status *st)
{
	struct stat sb;
	int first = 0;

	if (!outdir || !*outdir)
		return ese_fail(st, JET_errInvalidPath, 0, "no output directory given");
	if (stat(outdir, &sb) == 0) {
		if (!S_ISDIR(sb.st_mode))
			return ese_fail(st, JET_errInvalidPath, 0, "'%s' exists and is not a directory", outdir);
		if (!dir_is_empty(outdir))
			return ese_fail(st, JET_errInvalidPath, 0, "'%s' is not empty; export into a new directory",
			                outdir);
	} else if (errno != ENOENT || mkdir(outdir, 0777)) {
		return ese_fail(st, errno == EACCES ? JET_errFileAccessDenied : JET_errInvalidPath, 0,
		                "cannot create '%s': %s", outdir, strerror(errno));
	}
	for (size_t i = 0; i < cat->ntables; i++) {
		const ese_table *t = &cat->tables[i], *tmpl = NULL;
		if (t->template_name && *t->template_name) {
			tmpl = ese_catalog_find_table(cat, t->template_name);
			if (tmpl == t)
				tmpl = NULL;
		}
		size_t need = ese_export_file_name(t->name, i, NULL, 0);
		size_t plen = strlen(outdir);
		char *path = malloc(plen + 1 + need + 1);
		if (!path) {
			if (!first)
				first = ese_fail(st, JET_errOutOfMemory, 0, "out of memory");
			break;
		}
		memcpy(path, outdir, plen);
		path[plen] = '/';
		ese_export_file_name(t->name, i, path + plen + 1, need + 1);
		/* never overwrite: a file that exists is a name collision */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
		int err;
		if (!f) {
			err = ese_fail(st, errno == ENOSPC ? JET_errDiskFull : JET_errDiskIO, 0, "cannot create '%s': %s",
			               path, strerror(errno));
			if (fd >= 0)
				close(fd);
		} else {
			err = export_table(db, t, tmpl, f, st);
			if (fclose(f) && !err)
				err = ese_fail(st, errno == ENOSPC ? JET_errDiskFull : JET_errDiskIO, 0,
				               "cannot write '%s': %s", path, strerror(errno));
		}
		free(path);
		if (err && !first)
			first = err;
	}
	return first;
}
