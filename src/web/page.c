/*
 * page.c - templates, headers, branding and small helpers for the web
 * handlers (contract in page.h).
 */
#include "page.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>

#include "../base/crypto.h"
#include "../base/log.h"
#include "../base/wtime.h"
#include "../core/tmpl.h"
#include "../base/datadir.h"
#include "web_int.h"
#include "color.h"
#include "../base/banned.h"

#define TEMPLATE_MAX ((size_t)256 * 1024)
#define PARTIALS_MAX 24
#define PAGE_MAX ((size_t)4 << 20)

char *page_read_file(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;

	if (!f)
		return NULL;
	b.max = max;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (buf_append(&b, chunk, n)) {
			fclose(f);
			buf_release(&b);
			return NULL;
		}
	}
	fclose(f);
	*len = b.len;
	return buf_detach(&b);
}

/* Loads templates/page/NAME.mustache from the override directory, else the
 * data directory.  Names are letters, digits, '_' and '-' only. */
static char *load_template(const struct web_config *c, const char *name, size_t *len)
{
	char dir[1024], path[1400];
	char *text;

	if (!name[0] || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_-") != strlen(name) ||
	    strlen(name) > 64)
		return NULL;
	if (c->templates[0]) {
		snprintf(path, sizeof(path), "%s/page/%s.mustache", c->templates, name);
		if ((text = page_read_file(path, TEMPLATE_MAX, len)))
			return text;
	}
	datadir_path("templates", dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/page/%s.mustache", dir, name);
	return page_read_file(path, TEMPLATE_MAX, len);
}

struct loader {
	const struct web_config *cfg;
	struct {
		char name[72];
		char *text;
		size_t len;
	} files[PARTIALS_MAX];
	int n;
};

static const char *partial_load(void *ctx, const char *name, size_t *len)
{
	struct loader *l = ctx;
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->files[i].name, name)) {
			*len = l->files[i].len;
			return l->files[i].text;
		}
	if (l->n == PARTIALS_MAX || strlen(name) >= sizeof(l->files[0].name))
		return NULL;
	if (!(l->files[l->n].text = load_template(l->cfg, name, &l->files[l->n].len)))
		return NULL;
	snprintf(l->files[l->n].name, sizeof(l->files[0].name), "%s", name);
	*len = l->files[l->n].len;
	return l->files[l->n++].text;
}

static void loader_release(struct loader *l)
{
	for (int i = 0; i < l->n; i++)
		free(l->files[i].text);
	l->n = 0;
}

void page_headers(struct http_req *r)
{
	http_add_header(r, "Content-Security-Policy", PAGE_CSP);
	http_add_header(r, "X-Frame-Options", "DENY");
	http_add_header(r, "Referrer-Policy", "no-referrer");
}

static void fail_page(struct http_req *r, const char *what, const char *detail)
{
	wlog(LOG_ERROR, "page_failed", "what", what, "detail", detail, NULL);
	r->status = 500;
	r->content_type = "text/html; charset=utf-8";
	buf_reset(&r->out);
	buf_puts(&r->out, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Error</title>"
		 "</head><body><main id=\"main\"><h1>Something went wrong</h1><p>Please try again later.</p>"
		 "</main></body></html>\n");
}

void page_send(struct http_req *r, unsigned status, const char *name, cJSON *view)
{
	const struct web_config *c = &web_of(r)->cfg;
	struct loader l = { .cfg = c };
	struct tmpl_partials partials = { partial_load, &l };
	struct buf content = BUF_INIT;
	char err[256] = "";
	size_t len = 0, llen = 0;
	char *src = NULL, *layout = NULL;
	enum werr e;

	content.max = PAGE_MAX;
	page_headers(r);
	if (!cJSON_GetObjectItemCaseSensitive(view, "brand"))
		page_brand(c, view);
	if (!(src = load_template(c, name, &len)) || !(layout = load_template(c, "layout", &llen))) {
		fail_page(r, "template_missing", src ? "layout" : name);
		goto out;
	}
	if ((e = tmpl_render(src, len, view, TMPL_ESC_HTML, &partials, &content, err, sizeof(err)))) {
		fail_page(r, "template_render", err);
		goto out;
	}
	if (!cJSON_AddStringToObject(view, "content", content.p)) {
		fail_page(r, "template_render", "out of memory");
		goto out;
	}
	buf_reset(&r->out);
	r->out.max = PAGE_MAX;
	if ((e = tmpl_render(layout, llen, view, TMPL_ESC_HTML, &partials, &r->out, err, sizeof(err)))) {
		fail_page(r, "template_render", err);
		goto out;
	}
	r->status = status;
	r->content_type = "text/html; charset=utf-8";
out:
	cJSON_DeleteItemFromObjectCaseSensitive(view, "content");
	loader_release(&l);
	buf_release(&content);
	free(src);
	free(layout);
}

void page_redirect(struct http_req *r, const char *location)
{
	page_headers(r);
	http_add_header(r, "Location", location);
	r->status = 303;
	r->content_type = "text/html; charset=utf-8";
	buf_reset(&r->out);
	buf_puts(&r->out, "<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Redirect</title>"
		 "</head><body><main id=\"main\"><p>See other.</p></main></body></html>\n");
}

void page_brand(const struct web_config *c, cJSON *view)
{
	cJSON *b = cJSON_AddObjectToObject(view, "brand");

	if (!b)
		return;
	cJSON_AddStringToObject(b, "name", c->name[0] ? c->name : "Order tracking");
	if (c->logo[0]) {
		char url[600];
		/* a file under web/static, or a URL; CSP allows only this server's images */
		if (c->logo[0] == '/' || strstr(c->logo, "://"))
			snprintf(url, sizeof(url), "%s", c->logo);
		else
			snprintf(url, sizeof(url), "/static/%s", c->logo);
		cJSON_AddStringToObject(b, "logo", url);
	}
	if (c->support_email[0])
		cJSON_AddStringToObject(b, "support_email", c->support_email);
	if (c->support_phone[0])
		cJSON_AddStringToObject(b, "support_phone", c->support_phone);
	if (c->support_email[0] || c->support_phone[0])
		cJSON_AddTrueToObject(b, "support");
}

void page_url_escape(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";

	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '.' || c == '_' || c == '~') {
			buf_putc(b, (char)c);
		} else {
			buf_putc(b, '%');
			buf_putc(b, hex[c >> 4]);
			buf_putc(b, hex[c & 15]);
		}
	}
}

bool page_form_value(const char *body, size_t len, const char *name, char *out, size_t cap)
{
	size_t nlen = strlen(name), i = 0;

	out[0] = '\0';
	while (i < len) {
		size_t end = i;
		while (end < len && body[end] != '&')
			end++;
		if (end - i > nlen && !memcmp(body + i, name, nlen) && body[i + nlen] == '=') {
			http_form_decode(body + i + nlen + 1, end - i - nlen - 1, out, cap);
			return true;
		}
		if (end - i == nlen && !memcmp(body + i, name, nlen))
			return true;
		i = end + 1;
	}
	return false;
}

static const char *const months[] = { "January", "February", "March", "April", "May", "June", "July",
				      "August", "September", "October", "November", "December" };
static const char *const wdays[] = { "Thursday", "Friday", "Saturday", "Sunday", "Monday", "Tuesday",
				     "Wednesday" };

void page_date(int64_t ms, char *out, size_t cap)
{
	int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	int64_t y;
	unsigned m, d;

	wtime_civil_from_days(days, &y, &m, &d);
	snprintf(out, cap, "%s, %s %u", wdays[((days % 7) + 7) % 7], months[m - 1], d);
}

void page_datetime(int64_t ms, char *out, size_t cap)
{
	int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
	int64_t in_day = ms - days * 86400000, y;
	unsigned m, d;

	wtime_civil_from_days(days, &y, &m, &d);
	snprintf(out, cap, "%.3s %u, %02d:%02d UTC", months[m - 1], d, (int)(in_day / 3600000),
		 (int)(in_day / 60000 % 60));
}

