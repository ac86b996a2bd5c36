/*
 * buf.h - a growable byte buffer, always NUL-terminated (after git's strbuf).
 *
 * Lifecycle: BUF_INIT or buf_init(), then any appends, then buf_release().
 * A buffer never grows past its max (BUF_MAX_DEFAULT unless set): an append
 * that would pass it fails with WERR_TOO_LARGE and leaves the buffer as it
 * was.  On WERR_NOMEM the buffer is also left unchanged.  Not thread-safe;
 * one owner at a time.  buf_detach() hands the memory to the caller, who
 * frees it with free().
 */
#ifndef WISMO_BUF_H
#define WISMO_BUF_H

#include <stdarg.h>
#include <stddef.h>

#include "err.h"

#define BUF_MAX_DEFAULT ((size_t)64 << 20)

struct buf {
	char *p;     /* NUL-terminated contents, or "" when empty */
	size_t len;  /* bytes used, excluding the NUL */
	size_t cap;  /* bytes allocated (0 while p points at a static "") */
	size_t max;  /* hard maximum of len */
};

#define BUF_INIT { (char *)"", 0, 0, BUF_MAX_DEFAULT }

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);   /* len = 0, keeps memory */
char *buf_detach(struct buf *b); /* caller frees; b is re-initialised */

enum werr buf_grow(struct buf *b, size_t extra);
enum werr buf_append(struct buf *b, const void *data, size_t len);
enum werr buf_puts(struct buf *b, const char *s);
enum werr buf_putc(struct buf *b, char c);
enum werr buf_printf(struct buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* (format(printf, 2, 0): callers' formats are checked, and the vsnprintf
 * calls inside may take fmt as the checked format it is) */
enum werr buf_vprintf(struct buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Appends s as a JSON string literal, quotes included. */
enum werr buf_json_str(struct buf *b, const char *s);

#endif
