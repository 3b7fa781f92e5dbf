/*
 * ese_sbuf.h - a growable byte/string buffer used by every formatter.
 *
 * Appends never fail silently: on allocation failure the buffer enters a
 * sticky error state (oom = 1) and further appends are ignored, so callers
 * check once at the end.  data is always NUL-terminated when non-NULL.
 */
#ifndef ESE_SBUF_H
#define ESE_SBUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

typedef struct ese_sbuf {
	char  *data;
	size_t len;
	size_t cap;
	int    oom;
} ese_sbuf;

void ese_sbuf_init(ese_sbuf *sb);
void ese_sbuf_free(ese_sbuf *sb);
void ese_sbuf_reset(ese_sbuf *sb);                 /* len = 0, keeps memory */
void ese_sbuf_putc(ese_sbuf *sb, char c);
void ese_sbuf_put(ese_sbuf *sb, const void *p, size_t n);
void ese_sbuf_puts(ese_sbuf *sb, const char *s);
void ese_sbuf_printf(ese_sbuf *sb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void ese_sbuf_vprintf(ese_sbuf *sb, const char *fmt, va_list ap);
/* Lower-case hex of n bytes, no separators. */
void ese_sbuf_hex(ese_sbuf *sb, const uint8_t *p, size_t n);
/* A JSON string literal (quotes included) of the n bytes at p, read as UTF-8;
 * control characters and invalid bytes are escaped. */
void ese_sbuf_json_str(ese_sbuf *sb, const char *p, size_t n);

#endif
