/*
 * page.h - what the web handlers (track.c, dashboard.c, static.c, api.c)
 * share: rendering a page template inside the layout, the security headers,
 * branding, form bodies, URL escaping, the client's address, dates for people, and the
 * link secret.
 *
 * Templates are Mustache files (core/tmpl.h): templates/page/NAME.mustache,
 * found first in the [web] templates override directory (DIR/page/NAME.mustache)
 * and then in the installed or source tree's templates/ (datadir_path).
 * Partials ({{>name}}) are looked up the same way.  A page is rendered, then
 * put into layout.mustache as {{{content}}}; the view gets "brand" (the [web]
 * branding), "title" and "year" added.
 *
 * Every HTML answer carries the security headers of docs/web.md; the server
 * adds Cache-Control: no-store to everything but static files.
 */
#ifndef WISMO_WEB_PAGE_H
#define WISMO_WEB_PAGE_H

#include <cjson/cJSON.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "../http/http.h"
#include "web.h"

#define PAGE_CSP "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

/* Renders page `name` with view (owned by the caller) into the layout and
 * sets r's reply: status, text/html, security headers.  On a template error
 * the reply is a plain 500 page and the error is logged. */
void page_send(struct http_req *r, unsigned status, const char *name, cJSON *view);
/* The security headers alone (for redirects and non-template answers). */
void page_headers(struct http_req *r);
/* A 303 See Other to location (a path on this server). */
void page_redirect(struct http_req *r, const char *location);

/* Adds "brand" to view from the [web] settings (defaults applied). */
void page_brand(const struct web_config *c, cJSON *view);

/* The value of name in an application/x-www-form-urlencoded body,
 * decoded, cut at cap - 1 bytes; false when absent (out is then ""). */
bool page_form_value(const char *body, size_t len, const char *name, char *out, size_t cap);

/* Appends s to b percent-encoded as one URL path segment or query value:
 * every byte but RFC 3986's unreserved ones (A-Z a-z 0-9 - . _ ~) becomes
 * %XX, so data such as an order number "A?1#2%" cannot end the path, start
 * a query or fragment, or be decoded into something else.  Errors stick in b. */
void page_url_escape(struct buf *b, const char *s);

/* "Tuesday, March 3" and "Mar 3, 14:05" (UTC); out needs 40 bytes. */
void page_date(int64_t ms, char *out, size_t cap);
void page_datetime(int64_t ms, char *out, size_t cap);

/* Reads a whole file (for templates and static files); NULL when missing. */
char *page_read_file(const char *path, size_t max, size_t *len);

#endif
