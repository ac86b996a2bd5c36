/*
 * text.h - what every text wismo takes in must be before anything reads it:
 * valid UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF), and,
 * for JSON, no string holding NUL through a \u0000 escape (C strings would cut
 * it there: "shop\u0000ify" would be stored as "shop").  Checked once on the
 * whole body at every entry (the API, every adapter), so a stored string, a
 * page of /v1/orders and a message a receiver must parse are always valid.
 *
 * Also the one reader of "exactly one JSON value": a body with text after
 * its value (a second batch, say) is refused rather than half read.
 *
 * Pure; thread-safe.
 */
#ifndef WISMO_TEXT_H
#define WISMO_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "err.h"

struct cJSON;

enum text_fault {
	TEXT_OK = 0,
	TEXT_BAD_UTF8,     /* a byte sequence that is not UTF-8 */
	TEXT_NUL,          /* a NUL byte, or a \u0000 escape inside a JSON string */
};

/* Checks s[0..n): UTF-8 throughout, no NUL byte, and when json is true no
 * \u0000 escape in a string.  TEXT_OK, or the fault with *at the offset of
 * the first bad byte. */
enum text_fault text_check(const char *s, size_t n, bool json, size_t *at);
/* "not valid UTF-8" / "holds a NUL character": for error messages. */
const char *text_fault_name(enum text_fault f);

/*
 * Parses s[0..n) as exactly one JSON value: whitespace may follow it,
 * nothing else.  NULL when it is not JSON or has text after the value, with
 * *at (may be NULL) the offset where reading stopped.  The caller deletes
 * the result with cJSON_Delete().
 */
struct cJSON *text_json_one(const char *s, size_t n, size_t *at);

/* Writes code point cp as UTF-8 into out (1 to 4 bytes) and returns the
 * length; 0 when cp is not a character (0, a UTF-16 surrogate, past
 * U+10FFFF). */
size_t text_utf8_put(unsigned long cp, char out[4]);

#endif
