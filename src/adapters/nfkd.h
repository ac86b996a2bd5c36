/*
 * nfkd.h - Unicode NFKD normalisation for the Latin range, enough to key an
 * HMAC the way EasyPost's client libraries do.
 *
 * EasyPost's libraries NFKD-normalise a webhook secret before using its UTF-8
 * bytes as the HMAC key ("s\u00e9cret" keys as "se\u0301cret").  A secret is
 * usually ASCII, which NFKD leaves alone.  Rather than pull in ICU for the
 * rest, this module normalises U+0000..U+036F (ASCII, Latin-1, Latin
 * Extended-A/B, IPA, spacing modifiers, combining marks) and U+1E00..U+1EFF
 * (Latin Extended Additional), with canonical reordering of the combining
 * marks, and refuses any other character instead of guessing.
 *
 * Pure and thread-safe; the table was generated from Python's unicodedata
 * (Unicode 14.0; these ranges have not changed since).
 */
#ifndef WISMO_NFKD_H
#define WISMO_NFKD_H

#include <stddef.h>

#include "../base/err.h"

/*
 * Writes NFKD(in) as UTF-8 into out (cap bytes, NUL included).  Returns
 * WERR_OK; WERR_INVALID when in is not valid UTF-8; WERR_UNSUPPORTED when it
 * holds a character outside the ranges above; WERR_TOO_LARGE when out is too
 * small.  out is "" on failure.
 */
enum werr nfkd_latin(const char *in, char *out, size_t cap);

#endif
