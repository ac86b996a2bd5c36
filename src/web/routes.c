/*
 * routes.c - the web pages' route table, the context their handlers share
 * (web_int.h) and the [web] settings.  A new page adds its handler in its
 * file and one row here; nothing in src/http/ changes.
 */
#include <stdlib.h>
#include <string.h>

#include "ratelimit.h"
#include "web_int.h"
#include "../base/num.h"
#include "../base/banned.h"

#define RATE_SLOTS 4096

static const struct http_route rows[] = {
	{ "GET", "/track", 0, "track", web_track_form },
	{ "POST", "/track", 0, "track", web_track_lookup },
	{ "GET", "/track/", 0, "track", web_track_form },
	{ "POST", "/track/", 0, "track", web_track_lookup },
	{ "GET", "/track/{token*}/stream", 0, "track_stream", web_track_stream },
	{ "POST", "/track/{token*}/cancel", 0, "track_cancel", web_track_cancel },
	{ "POST", "/track/{token*}/not-received", 0, "track_not_received", web_track_not_received },
	{ "POST", "/track/{token*}/return", 0, "track_return", web_track_return },
	{ "GET", "/track/{token*}", 0, "track", web_track_page },
	{ "GET", "/static/{name*}", 0, "static", web_static },
	{ "POST", "/dashboard/login", 0, "dashboard", web_dashboard_login },
	{ "POST", "/dashboard/logout", 0, "dashboard", web_dashboard_logout },
	/* the dashboard's pages check the session cookie themselves: no key
	 * means the login page, not a 401 */
	{ "GET", "/dashboard", 0, "dashboard", web_dashboard },
	{ "GET", "/dashboard/tasks", 0, "dashboard", web_dashboard_tasks },
	{ "GET", "/dashboard/returns", 0, "dashboard", web_dashboard_returns },
	{ "GET", "/dashboard/{page*}", 0, "dashboard", web_dashboard },
	{ "POST", "/v1/track-links", ROLES_STAFF, "track_links", web_post_track_link },
	{ "GET", "/v1/raw/{id*}", ROLES_ADMIN, "raw", web_get_raw },
};

struct http_routes web_routes(struct web *w)
{
	return HTTP_ROUTES(rows, w);
}

enum werr web_new(struct app *app, const struct web_config *cfg, struct web **out)
{
	struct web *w = calloc(1, sizeof(*w));
	unsigned per = cfg->lookups_per_minute > 0 ? (unsigned)cfg->lookups_per_minute : 10;

	*out = NULL;
	if (!w || !(w->lookups = ratelimit_new(RATE_SLOTS, per, per)) || !(w->opens = web_opens_new())) {
		if (w)
			ratelimit_free(w->lookups);
		free(w);
		return WERR_NOMEM;
	}
	w->app = app;
	w->cfg = *cfg;
	*out = w;
	return WERR_OK;
}

void web_free(struct web *w)
{
	if (!w)
		return;
	ratelimit_free(w->lookups);
	web_opens_free(w->opens);
	free(w);
}

static int num(const char *v, long min, long max, int *out)
{
	long n;

	if (!num_parse(v, min, max, &n))
		return -1;
	*out = (int)n;
	return 1;
}

static bool is_color(const char *v)
{
	return strlen(v) == 7 && v[0] == '#' && strspn(v + 1, "0123456789abcdefABCDEF") == 6;
}

int web_config_set(struct web_config *c, const char *section, const char *name, const char *value)
{
	static const struct { const char *name; size_t off, cap; } strs[] = {
#define WEB_STR(n, f) { n, offsetof(struct web_config, f), sizeof(((struct web_config *)0)->f) }
		WEB_STR("name", name), WEB_STR("logo", logo), WEB_STR("primary_color", primary),
		WEB_STR("accent_color", accent), WEB_STR("support_email", support_email),
		WEB_STR("support_phone", support_phone), WEB_STR("public_url", public_url),
		WEB_STR("link_secret", link_secret), WEB_STR("templates", templates),
		WEB_STR("reschedule_url", reschedule_url),
#undef WEB_STR
	};

	if (strcmp(section, "web"))
		return 0;
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		if (strcmp(name, strs[i].name))
			continue;
		if ((!strcmp(name, "primary_color") || !strcmp(name, "accent_color")) && !is_color(value))
			return -1;
		if (strlen(value) >= strs[i].cap)
			return -1;
		memcpy((char *)c + strs[i].off, value, strlen(value) + 1);
		return 1;
	}
	if (!strcmp(name, "lookups_per_minute"))
		return num(value, 1, 100000, &c->lookups_per_minute);
	if (!strcmp(name, "link_days"))
		return num(value, 1, 3650, &c->link_days);
	return 0;
}
