/* sbuf.c - growable string buffer (see include/ese_sbuf.h). */
#include "ese_sbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void ese_sbuf_init(ese_sbuf *sb) { memset(sb, 0, sizeof(*sb)); }

void ese_sbuf_free(ese_sbuf *sb)
{
	free(sb->data);
	memset(sb, 0, sizeof(*sb));
}

void ese_sbuf_reset(ese_sbuf *sb)
{
	sb->len = 0;
	if (sb->data)
		sb->data[0] = '\0';
}

static int reserve(ese_sbuf *sb, size_t extra)
{
	if (sb->oom)
		return -1;
	if (extra > SIZE_MAX / 2 - sb->len) {
		sb->oom = 1;
		return -1;
	}
	size_t need = sb->len + extra + 1;
	if (need <= sb->cap)
		return 0;
	size_t cap = sb->cap ? sb->cap : 64;
	while (cap < need)
		cap *= 2;
	char *p = realloc(sb->data, cap);
	if (!p) {
		sb->oom = 1;
		return -1;
	}
	sb->data = p;
	sb->cap = cap;
	return 0;
}

void ese_sbuf_put(ese_sbuf *sb, const void *p, size_t n)
{
	if (reserve(sb, n))
		return;
	if (n)
		memcpy(sb->data + sb->len, p, n);
	sb->len += n;
	sb->data[sb->len] = '\0';
}

void ese_sbuf_putc(ese_sbuf *sb, char c) { ese_sbuf_put(sb, &c, 1); }
void ese_sbuf_puts(ese_sbuf *sb, const char *s) { ese_sbuf_put(sb, s, strlen(s)); }

void ese_sbuf_vprintf(ese_sbuf *sb, const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || reserve(sb, (size_t)n))
		return;
	vsnprintf(sb->data + sb->len, (size_t)n + 1, fmt, ap);
	sb->len += (size_t)n;
}

void ese_sbuf_printf(ese_sbuf *sb, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	ese_sbuf_vprintf(sb, fmt, ap);
	va_end(ap);
}

void ese_sbuf_hex(ese_sbuf *sb, const uint8_t *p, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	if (reserve(sb, 2 * n))
		return;
	char *o = sb->data + sb->len;
	for (size_t i = 0; i < n; i++) {
		*o++ = hx[p[i] >> 4];
		*o++ = hx[p[i] & 15];
	}
	sb->len += 2 * n;
	sb->data[sb->len] = '\0';
}

void ese_sbuf_json_str(ese_sbuf *sb, const char *p, size_t n)
{
	ese_sbuf_putc(sb, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (c == '"' || c == '\\') {
			ese_sbuf_putc(sb, '\\');
			ese_sbuf_putc(sb, (char)c);
		} else if (c == '\n') {
			ese_sbuf_puts(sb, "\\n");
		} else if (c == '\t') {
			ese_sbuf_puts(sb, "\\t");
		} else if (c == '\r') {
			ese_sbuf_puts(sb, "\\r");
		} else if (c < 0x20 || c == 0x7f) {
			ese_sbuf_printf(sb, "\\u%04x", c);
		} else if (c < 0x80) {
			ese_sbuf_putc(sb, (char)c);
		} else {
			/* pass well-formed UTF-8 sequences through, escape stray bytes */
			size_t k = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : 0;
			size_t j = 1;
			while (k && j <= k && i + j < n && ((unsigned char)p[i + j] & 0xc0) == 0x80)
				j++;
			if (k && j == k + 1 && c < 0xf8) {
				ese_sbuf_put(sb, p + i, j);
				i += k;
			} else {
				ese_sbuf_printf(sb, "\\u%04x", c);
			}
		}
	}
	ese_sbuf_putc(sb, '"');
}
