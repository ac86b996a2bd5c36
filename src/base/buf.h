/*
 * buf.h - a growable byte buffer, always NUL-terminated (after git's strbuf).
 *
 * Lifecycle: BUF_INIT or buf_init(), then any appends, then buf_release().
 * Not thread-safe; one owner at a time.  buf_detach() hands the memory to the
 * caller, who frees it with free().
 *
 * Failure.  Memory comes from wrealloc() (walloc.h): running out of it ends
 * the process, so no append reports WERR_NOMEM.  What an append can hit is
 * the buffer's hard maximum (BUF_MAX_DEFAULT unless set): a buffer filled
 * from input must not grow without bound.  An append that would pass max
 * fails with WERR_TOO_LARGE, leaves the contents as they were, and marks the
 * buffer failed.  The failure is sticky: every later append (or buf_grow)
 * is a no-op returning the same error, so a writer that checks only its last
 * call, or none, cannot produce a text with a hole in the middle; the owner
 * asks buf_failed() before sending the contents (a server turns a cut-off
 * reply into a 500).  buf_reset(), buf_release() and buf_detach() start a new
 * text and clear the failure.  A formatting error in buf_printf() (n < 0 from
 * vsnprintf) fails the same way with WERR_INVALID.
 */
#ifndef WISMO_BUF_H
#define WISMO_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

#include "err.h"

#define BUF_MAX_DEFAULT ((size_t)64 << 20)

struct buf {
	char *p;     /* NUL-terminated contents, or "" when empty */
	size_t len;  /* bytes used, excluding the NUL */
	size_t cap;  /* bytes allocated (0 while p points at a static "") */
	size_t max;  /* hard maximum of len */
	enum werr err; /* the first failed append's error, sticky; WERR_OK if none */
};

#define BUF_INIT { (char *)"", 0, 0, BUF_MAX_DEFAULT, WERR_OK }

void buf_init(struct buf *b, size_t max);
void buf_release(struct buf *b);
void buf_reset(struct buf *b);   /* len = 0, keeps memory, clears the failure */
char *buf_detach(struct buf *b); /* caller frees; b is re-initialised */

/* True once an append has failed since the last init, reset or detach: the
 * contents lack something a writer meant to put there.  buf_error() says
 * which error (WERR_OK while not failed). */
bool buf_failed(const struct buf *b);
enum werr buf_error(const struct buf *b);

/* Makes room for extra more bytes (and the NUL) without appending; fails,
 * sticky, like an append of extra bytes. */
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
