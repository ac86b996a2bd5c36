/*
 * render.h - turning an outbox row into the text a channel sends.
 *
 * Templates live in files, one set per channel, locale and template name
 * (docs/notifications.md):
 *
 *   <dir>/<channel>/<locale>/<template>.subject   email, ticket (one line)
 *   <dir>/<channel>/<locale>/<template>.txt       email text part, SMS body, ticket comment
 *   <dir>/<channel>/<locale>/<template>.html      email HTML part (optional)
 *
 * They are found in the [notify] templates override directory first, then
 * in the installed (or source tree's) templates/ directory
 * (datadir_path("templates")); a set is taken whole from the first
 * place that has its .txt file, trying the message's locale first and then
 * "en".  Rendering is tmpl.h's Mustache with the row's stored view: HTML
 * escaping for .html, none for .subject and .txt (plain text).  Which
 * channels are rendered, and which have an HTML part, is the channel
 * table's say (channel.h: templated, html); webhooks are not rendered:
 * their body is the event JSON the worker builds from the view.
 *
 * The HTML part is placed in a layout, <channel>/<locale>/_layout.html,
 * found like a set (override directory first, the set's locale then "en")
 * but independently of the set's directory, so an override layout wraps
 * built-in messages too.  The message's .html is the layout's partial
 * {{>content}}, rendered in place with the same view and escaping.  A .html
 * that is a whole document (it starts with <!doctype or <html, blanks
 * ignored), or any .html when there is no layout, is rendered alone.
 * Errors name the file they are in (the message's .html or the layout).
 *
 * Files are read on every call (no cache): the outbox worker renders a few
 * messages a second at most, and an edited template takes effect at once.
 *
 * Thread-safe (no shared state).  Memory: the strings in struct rendered
 * are malloc'd; rendered_release() frees them.
 */
#ifndef WISMO_NOTIFY_RENDER_H
#define WISMO_NOTIFY_RENDER_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"
#include "../store/store.h"

struct rendered {
	char *subject;      /* NULL when the set has no .subject (SMS) */
	char *text;         /* never NULL after success */
	char *html;         /* NULL when the set has no .html */
	char locale[16];    /* the locale whose files were used ("en" after a fallback) */
	char dir[1024];     /* the directory the set came from */
};

void rendered_release(struct rendered *r);

/*
 * Renders row (its channel, locale, template_name and view) with the
 * templates of override_dir (NULL or "": none) and the built-in directory.
 * WERR_NOT_FOUND (message in err) when no directory has the set in the
 * row's locale or in "en"; WERR_INVALID for a template syntax error or a
 * view that is not a JSON object; WERR_UNSUPPORTED for a webhook row.
 */
enum werr notify_render(const char *override_dir, const struct outbox_row *row, struct rendered *out, char *err,
			size_t errcap);

/* The same with explicit directories (tests, the preview command).  Each
 * of override_dir and builtin_dir may be NULL. */
enum werr notify_render_in(const char *override_dir, const char *builtin_dir, const char *channel,
			   const char *locale, const char *template_name, const char *view_json,
			   struct rendered *out, char *err, size_t errcap);

/* True when some directory has <channel>/en/<template>.txt (the rules API
 * refuses a rule naming a template that does not exist).  Webhooks need no
 * template: always true. */
bool notify_template_exists(const char *override_dir, const char *channel, const char *template_name);

#endif
