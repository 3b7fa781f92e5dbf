/*
 * ese_compress.h - the compression schemes ESE applies to column values
 * and long-value chunks (JET_bitColumnCompressed, format 0x620 rev >= 17).
 *
 * A compressed value starts with a one-byte header whose top five bits
 * (byte >> 3) name the scheme: 1 = 7-bit ASCII, 2 = 7-bit Unicode,
 * 3 = Xpress (LZ77 "plain LZXPRESS", MS-XCA 2.3/2.4), and newer schemes
 * (scrub, Xpress9, Xpress10, LZ4) that this toolkit recognises but cannot
 * decode.  The low three bits are the number of bits used in the last byte,
 * minus one, for the 7-bit schemes, and 0 otherwise.  An Xpress value is
 * the header byte, the uncompressed size (LE16), then the LZ77 stream.
 * docs/compression.md has the details and the sources.
 * Pure codec: no I/O, no allocation.
 */
#ifndef ESE_COMPRESS_H
#define ESE_COMPRESS_H

#include <stddef.h>
#include <stdint.h>

enum ese_compress_scheme {
	ESE_COMPRESS_NONE     = 0,
	ESE_COMPRESS_7BIT_ASCII   = 1,
	ESE_COMPRESS_7BIT_UNICODE = 2,
	ESE_COMPRESS_XPRESS   = 3,
	ESE_COMPRESS_SCRUB    = 4,
	ESE_COMPRESS_XPRESS9  = 5,
	ESE_COMPRESS_XPRESS10 = 6,
	ESE_COMPRESS_LZ4      = 7,  /* COMPRESS_LZ4 in ESE's compression.cxx */
};

/* The scheme named by the first byte of a compressed value (in[0] >> 3,
 * 0..31; values outside the enum are not schemes ESE knows), or
 * JET_errDatabaseCorrupted when there is no first byte. */
int ese_compress_scheme(const uint8_t *in, size_t inlen);

/* The decompressed size of in, stored or implied by its header, in *outlen.
 * Returns 0, or JET_errDatabaseCorrupted (-1206) for a malformed value (one
 * whose header ESE's decoder would reject, or an unknown scheme), or
 * JET_errInvalidParameter (-1003) for a scheme it cannot decode (scrub,
 * Xpress9, Xpress10, LZ4) or a NULL outlen.  *outlen is 0 on error.  Only
 * the header is checked: ese_decompress may still find the body corrupt. */
int ese_decompress_size(const uint8_t *in, size_t inlen, size_t *outlen);

/* Decompresses in (header byte included) into out[0..outcap).  On success
 * *outlen is the number of bytes written and 0 is returned; a value that
 * would overrun outcap or reads past in+inlen is JET_errDatabaseCorrupted
 * (size out with ese_decompress_size first: a short buffer is not a
 * partial decode); an unsupported scheme is JET_errInvalidParameter, as are
 * NULL outlen/in/out with a nonzero length.  On JET_errDatabaseCorrupted
 * from inside an Xpress stream, out[0..*outlen) holds what was decoded
 * before the fault (for salvage); otherwise *outlen is 0 on error.  Never
 * reads or writes outside the given buffers, whatever the input. */
int ese_decompress(const uint8_t *in, size_t inlen,
                   uint8_t *out, size_t outcap, size_t *outlen);

#endif
