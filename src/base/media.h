/*
 * media.h - reading a Content-Type header as the media type it is (RFC 9110
 * 8.3.1): type "/" subtype compared without regard to case, optional
 * whitespace, parameters after ';' (charset=utf-8) allowed and ignored.
 * "APPLICATION/JSON; charset=UTF-8" is application/json; "application/jsonx"
 * and "text/json-ish" are not.  Pure.
 */
#ifndef WISMO_MEDIA_H
#define WISMO_MEDIA_H

#include <stdbool.h>

/* True when header (may be NULL: false) names the media type type
 * ("application/json"). */
bool media_type_is(const char *header, const char *type);

#endif
