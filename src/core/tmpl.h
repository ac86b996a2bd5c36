/*
 * tmpl.h - a small Mustache-style template renderer (pure: no I/O, no clock).
 *
 * Used for the web pages (templates/page/) and the notification messages
 * (templates/email/, templates/sms/, ...).  The view is a cJSON tree.
 *
 * Supported (Mustache spec semantics where it has them):
 *   {{name}}            the value, escaped (see enum tmpl_escape)
 *   {{{name}}} {{&name}} the value, never escaped
 *   {{a.b.c}}           dotted names; {{.}} is the current item
 *   {{#name}}..{{/name}} section: skipped for missing, null, false, "" and
 *                       an empty array; once per element of an array (the
 *                       element pushed on the context stack); once with an
 *                       object pushed; once for any other true value (0
 *                       included), the value pushed so {{.}} prints it
 *   {{^name}}..{{/name}} inverted section: once when the section would be skipped
 *   {{! comment}}       nothing
 *   {{>name}}           partial, found through the loader (may nest, depth <= 16)
 * Names are looked up from the innermost context outward.  Numbers that are
 * whole print without a decimal point ("3", not "3.000000"); true/false print
 * as "true"/"false"; null and missing print nothing; objects and arrays print
 * nothing.  Standalone lines (a section tag, comment or partial alone on its
 * line) are removed with their line break, as in the spec.  Not supported:
 * set-delimiter tags and lambdas (an error, not silently ignored).
 *
 * Escaping: TMPL_ESC_HTML escapes & < > " ' (HTML text and attribute
 * values); TMPL_ESC_NONE leaves values as they are (plain-text email, SMS).
 *
 * Errors: an unclosed tag or section, a close tag that does not match, an
 * empty tag or a name with blanks, a set-delimiter tag, a partial the loader
 * does not have, nesting deeper than 32 sections or 16 partials: the
 * function returns WERR_INVALID and writes a message with the line number
 * ("line 3: unclosed section 'items'", "partial 'footer' line 2: ...") into
 * err (if not NULL; cut to errcap, always NUL-terminated, "" on success).
 * The whole template is checked before anything renders, so a mistake in a
 * section the view skips is still an error; a partial is checked each time
 * it is rendered.  When out reaches its max the result is WERR_TOO_LARGE
 * (memory running out ends the process, base/walloc.h).  In every error case
 * out then holds a partial result the caller drops.
 */
#ifndef WISMO_TMPL_H
#define WISMO_TMPL_H

#include <cjson/cJSON.h>
#include <stddef.h>

#include "../base/buf.h"
#include "../base/err.h"

enum tmpl_escape { TMPL_ESC_HTML = 0, TMPL_ESC_NONE = 1 };

/* Where partials come from: load returns the partial's text and its length,
 * or NULL when there is none by that name.  The text must stay valid for the
 * whole render. */
struct tmpl_partials {
	const char *(*load)(void *ctx, const char *name, size_t *len);
	void *ctx;
};

/* Renders src (len bytes) with view into out (appended).  partials may be NULL. */
enum werr tmpl_render(const char *src, size_t len, const cJSON *view, enum tmpl_escape esc,
		      const struct tmpl_partials *partials, struct buf *out, char *err, size_t errcap);

/* Checks src's syntax without rendering (partials are not followed). */
enum werr tmpl_check(const char *src, size_t len, char *err, size_t errcap);

/* Appends s escaped for HTML (the same escaping as {{name}}). */
enum werr tmpl_escape_html(struct buf *out, const char *s, size_t len);

#endif
