/* buf.c - growable NUL-terminated byte buffer; see buf.h. */
#include "buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "walloc.h"
#include "banned.h"

static char buf_empty[1];

void buf_init(struct buf *b, size_t max)
{
	b->p = buf_empty;
	b->len = 0;
	b->cap = 0;
	b->max = max ? max : BUF_MAX_DEFAULT;
	b->err = WERR_OK;
}

void buf_release(struct buf *b)
{
	if (b->cap)
		free(b->p);
	buf_init(b, b->max);
}

void buf_reset(struct buf *b)
{
	b->len = 0;
	b->err = WERR_OK;
	if (b->cap)
		b->p[0] = '\0';
}

char *buf_detach(struct buf *b)
{
	char *p = b->cap ? b->p : wstrdup("");
	buf_init(b, b->max);
	return p;
}

bool buf_failed(const struct buf *b)
{
	return b->err != WERR_OK;
}

enum werr buf_error(const struct buf *b)
{
	return b->err;
}

/* Records the first failure; the contents stay as they were. */
static enum werr buf_fail(struct buf *b, enum werr err)
{
	if (!b->err)
		b->err = err;
	return b->err;
}

enum werr buf_grow(struct buf *b, size_t extra)
{
	size_t need, ncap;

	if (b->err)
		return b->err;
	if (extra > b->max || b->len > b->max - extra)
		return buf_fail(b, WERR_TOO_LARGE);
	need = b->len + extra + 1;
	if (need <= b->cap)
		return WERR_OK;
	ncap = b->cap ? b->cap : 64;
	/* need <= max + 1 and every max in use is far below SIZE_MAX / 2, so
	 * doubling cannot overflow */
	while (ncap < need)
		ncap *= 2;
	if (b->cap) {
		b->p = wrealloc(b->p, ncap);
	} else {
		b->p = wmalloc(ncap);
		b->p[0] = '\0';
	}
	b->cap = ncap;
	return WERR_OK;
}

enum werr buf_append(struct buf *b, const void *data, size_t len)
{
	enum werr err = buf_grow(b, len);
	if (err)
		return err;
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return WERR_OK;
}

enum werr buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

enum werr buf_putc(struct buf *b, char c)
{
	return buf_append(b, &c, 1);
}

enum werr buf_vprintf(struct buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;
	enum werr err;

	if (b->err)
		return b->err;
	va_copy(cp, ap);
	n = vsnprintf(NULL, 0, fmt, cp);
	va_end(cp);
	if (n < 0)
		return buf_fail(b, WERR_INVALID);
	err = buf_grow(b, (size_t)n);
	if (err)
		return err;
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
	return WERR_OK;
}

enum werr buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	enum werr err;

	va_start(ap, fmt);
	err = buf_vprintf(b, fmt, ap);
	va_end(ap);
	return err;
}

enum werr buf_json_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	size_t start = b->len;
	enum werr err = buf_putc(b, '"');

	while (!err && *s) {
		/* the run of characters that need no escape, in one copy */
		size_t run = 0;
		while (s[run] && (unsigned char)s[run] >= 0x20 && s[run] != '"' && s[run] != '\\')
			run++;
		if (run && (err = buf_append(b, s, run)))
			break;
		s += run;
		if (!*s)
			break;
		unsigned char c = (unsigned char)*s++;
		switch (c) {
		case '"': err = buf_append(b, "\\\"", 2); break;
		case '\\': err = buf_append(b, "\\\\", 2); break;
		case '\n': err = buf_append(b, "\\n", 2); break;
		case '\r': err = buf_append(b, "\\r", 2); break;
		case '\t': err = buf_append(b, "\\t", 2); break;
		default: {
			char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
			err = buf_append(b, u, 6);
		}
		}
	}
	if (!err)
		err = buf_putc(b, '"');
	if (err) {
		b->len = start;
		if (b->cap)
			b->p[start] = '\0';
	}
	return err;
}
