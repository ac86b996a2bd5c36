/*
 * static.c - GET /static/NAME: the files of web/static/, and brand.css made
 * from the [web] colours.
 *
 * A name is one path component of letters, digits, '.', '_' and '-' that
 * does not start with '.', so nothing outside web/static can be named.
 * Answers carry an ETag (a hash of the content) and may be cached for five
 * minutes; If-None-Match with that tag gives 304.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/crypto.h"
#include "../base/datadir.h"
#include "web_int.h"
#include "color.h"
#include "page.h"
#include "../base/banned.h"

#define STATIC_MAX ((size_t)4 << 20)

static const struct {
	const char *ext, *type;
} types[] = {
	{ ".css", "text/css; charset=utf-8" },     { ".js", "text/javascript; charset=utf-8" },
	{ ".svg", "image/svg+xml" },               { ".png", "image/png" },
	{ ".jpg", "image/jpeg" },                  { ".jpeg", "image/jpeg" },
	{ ".ico", "image/x-icon" },                { ".webp", "image/webp" },
	{ ".txt", "text/plain; charset=utf-8" },   { ".woff2", "font/woff2" },
	{ ".json", "application/json" },
};

static const char *type_of(const char *name)
{
	size_t n = strlen(name);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t m = strlen(types[i].ext);
		if (n > m && !strcmp(name + n - m, types[i].ext))
			return types[i].type;
	}
	return NULL;
}

/* The brand colours as CSS custom properties, with readable text colours. */
static void brand_css(const struct web_config *c, struct buf *out)
{
	unsigned char p[3] = { 0x1f, 0x4e, 0x8c }, a[3] = { 0x0b, 0x6e, 0x4f };
	char ptext[8], atext[8], pink[8], aink[8], phex[8], ahex[8];

	if (c->primary[0])
		color_parse(c->primary, p);
	if (c->accent[0])
		color_parse(c->accent, a);
	color_format(p, phex);
	color_format(a, ahex);
	color_text_on(p, ptext);
	color_text_on(a, atext);
	color_readable_on_white(p, 4.5, pink);
	color_readable_on_white(a, 4.5, aink);
	buf_printf(out,
		   "/* made from the [web] colours: text on each is black or white, whichever\n"
		   "   contrasts more; the *-ink variants are darkened to 4.5:1 on white */\n"
		   ":root {\n  --primary: %s;\n  --on-primary: %s;\n  --primary-ink: %s;\n"
		   "  --accent: %s;\n  --on-accent: %s;\n  --accent-ink: %s;\n}\n",
		   phex, ptext, pink, ahex, atext, aink);
}

enum http_result web_static(struct http_req *r)
{
	const char *name = r->param;
	const struct web_config *c = &web_of(r)->cfg;
	char dir[1024], path[1024 + HTTP_PARAM_MAX + 16], hash[SHA256_HEX_LEN + 1], etag[24];
	const char *type = type_of(name), *inm;
	struct buf b = BUF_INIT;
	char *data = NULL;
	size_t len = 0;

	if (!name[0] || name[0] == '.' || strlen(name) > 128 || !type ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") != strlen(name)) {
		http_fail(r, HE_NOT_FOUND, "no such file");
		return HTTP_DONE;
	}
	if (!strcmp(name, "brand.css")) {
		brand_css(c, &b);
		len = b.len;
		data = buf_detach(&b);
	} else {
		datadir_path("web", dir, sizeof(dir));
		snprintf(path, sizeof(path), "%s/static/%s", dir, name);
		data = page_read_file(path, STATIC_MAX, &len);
	}
	if (!data) {
		http_fail(r, HE_NOT_FOUND, "no such file");
		return HTTP_DONE;
	}
	crypto_sha256_hex(data, len, hash);
	snprintf(etag, sizeof(etag), "\"%.16s\"", hash);
	http_add_header(r, "ETag", etag);
	http_add_header(r, "Cache-Control", "public, max-age=300");
	inm = http_header(r, "If-None-Match");
	r->content_type = type;
	if (inm && strstr(inm, etag)) {
		r->status = 304;
		buf_reset(&r->out);
	} else {
		r->status = 200;
		buf_reset(&r->out);
		if (buf_append(&r->out, data, len))
			http_fail(r, HE_INTERNAL, "file too large");
	}
	free(data);
	return HTTP_DONE;
}
