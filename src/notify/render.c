/*
 * render.c - outbox row -> subject, text and HTML (contract in render.h).
 */
#include "render.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../core/tmpl.h"
#include "../base/datadir.h"
#include "channel.h"
#include "../base/banned.h"

#define TEMPLATE_MAX ((size_t)256 * 1024)

void rendered_release(struct rendered *r)
{
	if (!r)
		return;
	free(r->subject);
	free(r->text);
	free(r->html);
	r->subject = r->text = r->html = NULL;
}

/* Names that become path parts: letters, digits, '_', '-' (no dots, no slashes). */
static bool safe_part(const char *s)
{
	if (!s || !s[0] || strlen(s) > 64)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_' ||
		      *s == '-'))
			return false;
	return true;
}

/* Reads a whole file into b; WERR_NOT_FOUND when it does not exist. */
static enum werr read_file(const char *path, struct buf *b)
{
	FILE *f = fopen(path, "rb");
	char chunk[4096];
	size_t n;
	enum werr err = WERR_OK;

	if (!f)
		return WERR_NOT_FOUND;
	buf_init(b, TEMPLATE_MAX);
	while (!err && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		err = buf_append(b, chunk, n);
	if (!err && ferror(f))
		err = WERR_IO;
	fclose(f);
	if (err)
		buf_release(b);
	return err;
}

static bool exists(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
}

/* Renders <base>.<ext> if it exists into *out (malloc'd); absent: *out NULL. */
static enum werr render_part(const char *base, const char *ext, const cJSON *view, enum tmpl_escape esc,
			     char **out, char *err, size_t errcap)
{
	char path[1200], msg[200];
	struct buf src, res = BUF_INIT;
	enum werr e;

	*out = NULL;
	snprintf(path, sizeof(path), "%s.%s", base, ext);
	if ((e = read_file(path, &src)))
		return e == WERR_NOT_FOUND ? WERR_OK : e;
	msg[0] = '\0';
	e = tmpl_render(src.p, src.len, view, esc, NULL, &res, msg, sizeof(msg));
	buf_release(&src);
	if (e) {
		snprintf(err, errcap, "template '%s': %s", path, msg[0] ? msg : werr_name(e));
		buf_release(&res);
		return e;
	}
	*out = buf_detach(&res);
	return *out ? WERR_OK : WERR_NOMEM;
}

/* An HTML part that is a whole document (written before layouts existed,
 * or on purpose) is sent as it is: wrapping it would nest two pages. */
static bool whole_document(const char *p, size_t len)
{
	while (len && (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n'))
		p++, len--;
	return (len >= 9 && !strncasecmp(p, "<!doctype", 9)) || (len >= 5 && !strncasecmp(p, "<html", 5));
}

/* The layout for a set in locale: <dir>/<channel>/<locale>/_layout.html,
 * the set's locale then "en", the override directory before the built-in
 * one in each (the order the set itself is found in).  false: none. */
static bool find_layout(const char *const dirs[2], const char *channel, const char *locale, char *path,
			size_t cap)
{
	const char *locales[2] = { locale, "en" };

	for (int l = 0; l < 2; l++)
		for (int d = 0; d < 2; d++) {
			if (!dirs[d] || !dirs[d][0])
				continue;
			snprintf(path, cap, "%s/%s/%s/_layout.html", dirs[d], channel, locales[l]);
			if (exists(path))
				return true;
		}
	return false;
}

struct body_partial {
	const char *p;
	size_t len;
};

/* The layout's one partial, {{>content}}: the message's own .html source,
 * rendered in the layout's place with the same view and escaping (a
 * partial, not a pre-rendered string, so that no value from the view is
 * ever read as template text). */
static const char *body_load(void *ctx, const char *name, size_t *len)
{
	const struct body_partial *b = ctx;

	if (strcmp(name, "content"))
		return NULL;
	*len = b->len;
	return b->p;
}

/* Renders <base>.html into *out (absent: *out NULL), inside the layout
 * when there is one and the part is not a whole document. */
static enum werr render_html(const char *const dirs[2], const char *channel, const char *locale, const char *base,
			     const cJSON *view, char **out, char *err, size_t errcap)
{
	char path[1200], layout_path[1200], msg[200];
	struct buf src, layout, res = BUF_INIT;
	struct body_partial body;
	struct tmpl_partials partials = { body_load, &body };
	enum werr e;

	*out = NULL;
	snprintf(path, sizeof(path), "%s.html", base);
	if (!exists(path) || !find_layout(dirs, channel, locale, layout_path, sizeof(layout_path)))
		return render_part(base, "html", view, TMPL_ESC_HTML, out, err, errcap);
	if ((e = read_file(path, &src)))
		return e == WERR_NOT_FOUND ? WERR_OK : e;
	if (whole_document(src.p, src.len)) {
		buf_release(&src);
		return render_part(base, "html", view, TMPL_ESC_HTML, out, err, errcap);
	}
	/* the message's own mistakes are reported against its file, as
	 * without a layout, not as "partial 'content'" */
	msg[0] = '\0';
	if ((e = tmpl_check(src.p, src.len, msg, sizeof(msg)))) {
		snprintf(err, errcap, "template '%s': %s", path, msg[0] ? msg : werr_name(e));
		buf_release(&src);
		return e;
	}
	if ((e = read_file(layout_path, &layout))) {
		buf_release(&src);
		snprintf(err, errcap, "template '%s': %s", layout_path, werr_name(e));
		return e;
	}
	body = (struct body_partial){ src.p, src.len };
	e = tmpl_render(layout.p, layout.len, view, TMPL_ESC_HTML, &partials, &res, msg, sizeof(msg));
	buf_release(&layout);
	buf_release(&src);
	if (e) {
		snprintf(err, errcap, "template '%s': %s", layout_path, msg[0] ? msg : werr_name(e));
		buf_release(&res);
		return e;
	}
	*out = buf_detach(&res);
	return *out ? WERR_OK : WERR_NOMEM;
}

/* A subject is one line: trailing white space and line breaks go. */
static void one_line(char *s)
{
	size_t n;

	if (!s)
		return;
	for (char *p = s; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	n = strlen(s);
	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
}

enum werr notify_render_in(const char *override_dir, const char *builtin_dir, const char *channel,
			   const char *locale, const char *template_name, const char *view_json,
			   struct rendered *out, char *err, size_t errcap)
{
	const char *dirs[2] = { override_dir, builtin_dir };
	const char *locales[2] = { locale && locale[0] ? locale : "en", "en" };
	const struct channel *ch = channel_find(channel);
	char base[1100], txt[1200];
	cJSON *view;
	enum werr e;

	memset(out, 0, sizeof(*out));
	if (ch && !ch->templated) {
		snprintf(err, errcap, "%ss are not rendered from templates", ch->name);
		return WERR_UNSUPPORTED;
	}
	if (!safe_part(channel) || !safe_part(locales[0]) || !safe_part(template_name)) {
		snprintf(err, errcap, "bad channel, locale or template name");
		return WERR_INVALID;
	}
	base[0] = '\0';
	for (int l = 0; l < 2 && !base[0]; l++)
		for (int d = 0; d < 2 && !base[0]; d++) {
			if (!dirs[d] || !dirs[d][0])
				continue;
			snprintf(txt, sizeof(txt), "%s/%s/%s/%s.txt", dirs[d], channel, locales[l], template_name);
			if (exists(txt)) {
				snprintf(base, sizeof(base), "%s/%s/%s/%s", dirs[d], channel, locales[l], template_name);
				snprintf(out->locale, sizeof(out->locale), "%s", locales[l]);
				snprintf(out->dir, sizeof(out->dir), "%s/%s/%s", dirs[d], channel, locales[l]);
			}
		}
	if (!base[0]) {
		snprintf(err, errcap, "no template '%s' for channel '%s' in locale '%s' or 'en'", template_name, channel,
			 locales[0]);
		return WERR_NOT_FOUND;
	}
	if (!(view = cJSON_Parse(view_json ? view_json : "")) || !cJSON_IsObject(view)) {
		cJSON_Delete(view);
		snprintf(err, errcap, "the message's view is not a JSON object");
		return WERR_INVALID;
	}
	e = render_part(base, "subject", view, TMPL_ESC_NONE, &out->subject, err, errcap);
	if (!e)
		e = render_part(base, "txt", view, TMPL_ESC_NONE, &out->text, err, errcap);
	if (!e && ch && ch->html)
		e = render_html(dirs, channel, out->locale, base, view, &out->html, err, errcap);
	cJSON_Delete(view);
	if (!e && !out->text) {
		snprintf(err, errcap, "template '%s.txt' disappeared while rendering", base);
		e = WERR_NOT_FOUND;
	}
	if (e) {
		rendered_release(out);
		return e;
	}
	one_line(out->subject);
	return WERR_OK;
}

enum werr notify_render(const char *override_dir, const struct outbox_row *row, struct rendered *out, char *err,
			size_t errcap)
{
	char builtin[1024];

	datadir_path("templates", builtin, sizeof(builtin));
	return notify_render_in(override_dir, builtin, row->channel, row->locale, row->template_name, row->view, out,
				err, errcap);
}

bool notify_template_exists(const char *override_dir, const char *channel, const char *template_name)
{
	const struct channel *ch = channel_find(channel);
	char builtin[1024], path[1200];
	const char *dirs[2];

	if (ch && !ch->templated)
		return true;
	if (!safe_part(channel) || !safe_part(template_name))
		return false;
	dirs[0] = override_dir;
	dirs[1] = datadir_path("templates", builtin, sizeof(builtin));
	for (int d = 0; d < 2; d++) {
		if (!dirs[d] || !dirs[d][0])
			continue;
		snprintf(path, sizeof(path), "%s/%s/en/%s.txt", dirs[d], channel, template_name);
		if (exists(path))
			return true;
	}
	return false;
}
