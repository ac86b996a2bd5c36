/* text.c - UTF-8, NUL and one JSON value (contract in text.h). */
#include "text.h"

#include <cjson/cJSON.h>

#include "banned.h"

/* The length of the UTF-8 sequence at p (1..4), or 0 when it is not one
 * (RFC 3629: the shortest form, no surrogates, at most U+10FFFF). */
static size_t utf8_seq(const unsigned char *p, size_t left)
{
	unsigned char c = p[0];
	size_t need;
	unsigned long cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF) {
		need = 2;
		cp = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 3;
		cp = c & 0x0F;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 4;
		cp = c & 0x07;
	} else {
		return 0; /* a continuation byte first, 0xC0/0xC1 (overlong) or 0xF5.. */
	}
	if (left < need)
		return 0;
	for (size_t i = 1; i < need; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3F);
	}
	if ((need == 3 && cp < 0x800) || (need == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
	    (cp >= 0xD800 && cp <= 0xDFFF))
		return 0;
	return need;
}

static bool is_zero_escape(const char *s, size_t n, size_t i)
{
	/* s[i] is the 'u' after a backslash */
	return i + 4 < n && s[i + 1] == '0' && s[i + 2] == '0' && s[i + 3] == '0' && s[i + 4] == '0';
}

enum text_fault text_check(const char *s, size_t n, bool json, size_t *at)
{
	const unsigned char *p = (const unsigned char *)s;
	bool in_str = false;

	for (size_t i = 0; i < n;) {
		size_t k;
		if (p[i] == 0) {
			*at = i;
			return TEXT_NUL;
		}
		if (!(k = utf8_seq(p + i, n - i))) {
			*at = i;
			return TEXT_BAD_UTF8;
		}
		if (json && k == 1) {
			if (p[i] == '"') {
				in_str = !in_str;
			} else if (in_str && p[i] == '\\' && i + 1 < n) {
				/* an escape: \u0000 is a NUL; skip the escaped byte so an
				 * escaped quote or backslash does not end the string */
				if (p[i + 1] == 'u' && is_zero_escape(s, n, i + 1)) {
					*at = i;
					return TEXT_NUL;
				}
				i += 2;
				continue;
			}
		}
		i += k;
	}
	return TEXT_OK;
}

const char *text_fault_name(enum text_fault f)
{
	switch (f) {
	case TEXT_OK: return "valid text";
	case TEXT_BAD_UTF8: return "not valid UTF-8";
	case TEXT_NUL: return "holds a NUL character";
	}
	return "not valid text";
}

cJSON *text_json_one(const char *s, size_t n, size_t *at)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(s, n, &end, false);
	size_t i;

	if (!j) {
		if (at)
			*at = end && end >= s ? (size_t)(end - s) : 0;
		return NULL;
	}
	for (i = (size_t)(end - s); i < n; i++)
		if (s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r')
			break;
	if (i < n) {
		if (at)
			*at = i;
		cJSON_Delete(j);
		return NULL;
	}
	return j;
}

size_t text_utf8_put(unsigned long cp, char out[4])
{
	if (!cp || (cp >= 0xD800 && cp <= 0xDFFF) || cp > 0x10FFFF)
		return 0;
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}
