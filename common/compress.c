/*
 * compress.c - decoding of ESE's compressed column values and long-value
 * chunks (see include/ese_compress.h and docs/compression.md).
 *
 * Written from the format facts established in docs/compression.md; the
 * acceptance rules follow what ESE's own decoder (compression.cxx and the
 * legacy Xpress library _xpress/xdecode.i) accepts, so that a value this
 * file calls good is one ESE can read back, and vice versa.
 *
 * Every read is checked against in+inlen and every write against
 * out+outcap before it happens; every loop iteration either consumes input
 * or produces output, both bounded, so the decoder terminates on any input.
 */
#include "ese_compress.h"
#include "ese_error.h"

#include <stdint.h>
#include <string.h>

/* ---- 7-bit schemes --------------------------------------------------- */

/*
 * Header byte: scheme << 3 | (number of bits used in the last byte - 1).
 * The codes follow, packed LSB-first, 7 bits each, with no padding
 * between them; the total number of code bits is
 *     (inlen - 2) * 8 + (header & 7) + 1
 * and ESE always writes a whole number of codes.
 */
static int sevenbit_count(const uint8_t *in, size_t inlen, size_t *ncodes)
{
	size_t bits;

	if (inlen < 2)          /* ESE never 7-bit-compresses an empty value */
		return JET_errDatabaseCorrupted;
	if (inlen - 2 > (SIZE_MAX - 8) / 8)
		return JET_errDatabaseCorrupted;
	bits = (inlen - 2) * 8 + (size_t)(in[0] & 7) + 1;
	if (bits % 7 != 0)
		return JET_errDatabaseCorrupted;
	*ncodes = bits / 7;
	return ESE_OK;
}

/* Decodes n codes from in[1..]; wide: each code becomes a UTF-16LE unit. */
static int sevenbit_decode(const uint8_t *in, size_t inlen, size_t n, int wide,
                           uint8_t *out, size_t outcap, size_t *outlen)
{
	size_t need = wide ? 2 * n : n;  /* 2n < 8 * inlen: cannot overflow */
	size_t ip = 1, op = 0, k;
	uint32_t acc = 0;
	unsigned nbits = 0;

	if (need > outcap)
		return JET_errDatabaseCorrupted;
	for (k = 0; k < n; k++) {
		if (nbits < 7) {
			/* sevenbit_count guarantees the bits are there */
			if (ip >= inlen)
				return JET_errDatabaseCorrupted;
			acc |= (uint32_t)in[ip++] << nbits;
			nbits += 8;
		}
		out[op++] = (uint8_t)(acc & 0x7f);
		if (wide)
			out[op++] = 0;
		acc >>= 7;
		nbits -= 7;
	}
	*outlen = op;
	return ESE_OK;
}

/* ---- Xpress (legacy, "plain LZ77" LZXPRESS) -------------------------- */

/*
 * Value layout: header byte (3 << 3), uncompressed size as LE16, then the
 * LZ77 stream.  The preconditions are those of ESE's XpressDecode
 * (MIN_SIZE 8 for CODING_DIRECT2): more than 8 bytes of output, at least 8
 * bytes of stream, and a stream shorter than its output (ESE's encoder
 * stores Xpress only when it saves bytes; a stream as long as its output is
 * "decoded" by ESE without touching the output buffer).
 */
#define XPRESS_HDR      3
#define XPRESS_MIN_SIZE 8

static int xpress_size(const uint8_t *in, size_t inlen, size_t *size)
{
	size_t orig, comp;

	if (inlen < XPRESS_HDR)
		return JET_errDatabaseCorrupted;
	orig = (size_t)in[1] | ((size_t)in[2] << 8);
	comp = inlen - XPRESS_HDR;
	if (orig <= XPRESS_MIN_SIZE || comp < XPRESS_MIN_SIZE || comp >= orig)
		return JET_errDatabaseCorrupted;
	*size = orig;
	return ESE_OK;
}

/*
 * The stream: a 32-bit LE flag word whose bits, most significant first,
 * say literal (0) or match (1) for the next 32 tokens; a literal is one
 * byte; a match is an LE16 token, offset = (token >> 3) + 1 and length =
 * (token & 7) + 3, where 7 escapes to a nibble (two matches share one
 * byte, low nibble first), nibble 15 to a byte, byte 255 to an LE16 that
 * holds the whole length minus 3.  The stream ends when a match flag comes
 * up with the output complete ("EOF mark"); ESE rejects a stream that
 * fills the output any other way.
 */
static int xpress_decode(const uint8_t *s, size_t slen, size_t size,
                         uint8_t *out, size_t *op_out)
{
	size_t ip = 0, op = 0, half = SIZE_MAX;  /* half: shared nibble byte */
	uint32_t flags = 0;
	unsigned nflags = 0;
	int err = JET_errDatabaseCorrupted;

	for (;;) {
		if (nflags == 0) {
			if (slen - ip < 4)
				goto out;               /* truncated flag word */
			flags = (uint32_t)s[ip] | ((uint32_t)s[ip + 1] << 8) |
			        ((uint32_t)s[ip + 2] << 16) | ((uint32_t)s[ip + 3] << 24);
			ip += 4;
			nflags = 32;
		}
		nflags--;
		if (!((flags >> nflags) & 1)) {
			/* literal */
			if (op == size || ip >= slen)
				goto out;               /* no EOF mark / truncated */
			out[op++] = s[ip++];
			continue;
		}
		/* match, or the end of the stream */
		if (op == size) {
			err = ESE_OK;
			goto out;
		}
		if (slen - ip < 2)
			goto out;
		{
			size_t tok = (size_t)s[ip] | ((size_t)s[ip + 1] << 8);
			size_t off = (tok >> 3) + 1, len = tok & 7, i;

			ip += 2;
			if (len == 7) {
				if (half == SIZE_MAX) {
					if (ip >= slen)
						goto out;
					half = ip++;
					len = s[half] & 15;
				} else {
					len = s[half] >> 4;
					half = SIZE_MAX;
				}
				if (len == 15) {
					if (ip >= slen)
						goto out;
					len = s[ip++];
					if (len == 255) {
						if (slen - ip < 2)
							goto out;
						len = (size_t)s[ip] | ((size_t)s[ip + 1] << 8);
						ip += 2;
						/* shorter lengths have a shorter form */
						if (len < 255 + 15 + 7)
							goto out;
						len -= 15 + 7;
					}
					len += 15;
				}
				len += 7;
			}
			len += 3;
			if (off > op)
				goto out;               /* before the start of output */
			if (len > size - op)
				goto out;               /* past the stated size */
			for (i = 0; i < len; i++, op++)
				out[op] = out[op - off];  /* may overlap: forward copy */
		}
	}
out:
	*op_out = op;
	return err;
}

/* ---- interface ------------------------------------------------------- */

int ese_compress_scheme(const uint8_t *in, size_t inlen)
{
	if (in == NULL || inlen == 0)
		return JET_errDatabaseCorrupted;
	return in[0] >> 3;
}

static int unsupported(int scheme)
{
	switch (scheme) {
	case ESE_COMPRESS_SCRUB:
	case ESE_COMPRESS_XPRESS9:
	case ESE_COMPRESS_XPRESS10:
	case ESE_COMPRESS_LZ4:
		return 1;
	default:
		return 0;
	}
}

int ese_decompress_size(const uint8_t *in, size_t inlen, size_t *outlen)
{
	size_t n = 0;
	int scheme, err;

	if (outlen == NULL || (in == NULL && inlen != 0))
		return JET_errInvalidParameter;
	*outlen = 0;
	scheme = ese_compress_scheme(in, inlen);
	if (scheme < 0)
		return scheme;
	switch (scheme) {
	case ESE_COMPRESS_7BIT_ASCII:
	case ESE_COMPRESS_7BIT_UNICODE:
		err = sevenbit_count(in, inlen, &n);
		if (err < 0)
			return err;
		*outlen = scheme == ESE_COMPRESS_7BIT_UNICODE ? 2 * n : n;
		return ESE_OK;
	case ESE_COMPRESS_XPRESS:
		err = xpress_size(in, inlen, &n);
		if (err < 0)
			return err;
		*outlen = n;
		return ESE_OK;
	default:
		return unsupported(scheme) ? JET_errInvalidParameter
		                           : JET_errDatabaseCorrupted;
	}
}

int ese_decompress(const uint8_t *in, size_t inlen,
                   uint8_t *out, size_t outcap, size_t *outlen)
{
	size_t n = 0;
	int scheme, err;

	if (outlen == NULL || (in == NULL && inlen != 0) ||
	    (out == NULL && outcap != 0))
		return JET_errInvalidParameter;
	*outlen = 0;
	scheme = ese_compress_scheme(in, inlen);
	if (scheme < 0)
		return scheme;
	switch (scheme) {
	case ESE_COMPRESS_7BIT_ASCII:
	case ESE_COMPRESS_7BIT_UNICODE:
		err = sevenbit_count(in, inlen, &n);
		if (err < 0)
			return err;
		return sevenbit_decode(in, inlen, n,
		                       scheme == ESE_COMPRESS_7BIT_UNICODE,
		                       out, outcap, outlen);
	case ESE_COMPRESS_XPRESS:
		err = xpress_size(in, inlen, &n);
		if (err < 0)
			return err;
		if (n > outcap)
			return JET_errDatabaseCorrupted;
		return xpress_decode(in + XPRESS_HDR, inlen - XPRESS_HDR, n,
		                     out, outlen);
	default:
		return unsupported(scheme) ? JET_errInvalidParameter
		                           : JET_errDatabaseCorrupted;
	}
}
