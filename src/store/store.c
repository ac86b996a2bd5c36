/*
 * store.c - the backend-independent part of the storage interface: opening a
 * store by URL (the only place that knows which backends exist), the schema
 * version every backend migrates to, and the helpers that free what the
 * interface returns.  See store.h.
 */
#include "store.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/banned.h"

/*
 * The number of the newest migration.  Migrations are numbered the same in
 * every backend (migration N means the same schema change in SQLite and in
 * PostgreSQL), so one number serves all; a backend whose list of migrations
 * disagrees refuses to open.
 */
#define STORE_SCHEMA_VERSION 15

int store_schema_version(void)
{
	return STORE_SCHEMA_VERSION;
}

static void set_err(char *errbuf, size_t errcap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_err(char *errbuf, size_t errcap, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || !errcap)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errcap, fmt, ap);
	va_end(ap);
}

enum werr store_open(const char *url, int flags, struct store **out, char *errbuf, size_t errcap)
{
	static const char sqlite_scheme[] = "sqlite:";

	*out = NULL;
	if (errbuf && errcap)
		errbuf[0] = '\0';
	if (!url || !*url) {
		set_err(errbuf, errcap, "no store url given");
		return WERR_INVALID;
	}
	if (!strncmp(url, sqlite_scheme, sizeof(sqlite_scheme) - 1)) {
		const char *path = url + sizeof(sqlite_scheme) - 1;

		if (!*path) {
			set_err(errbuf, errcap, "store url '%s' names no file", url);
			return WERR_INVALID;
		}
		return store_sqlite_open(path, flags, out, errbuf, errcap);
	}
	if (!strncmp(url, "postgres://", 11) || !strncmp(url, "postgresql://", 13)) {
		/* The URL may hold a password: never echo it. */
#ifdef WISMO_HAVE_PG
		return store_pg_open(url, flags, out, errbuf, errcap);
#else
		set_err(errbuf, errcap, "postgresql store is not built in this version (build with libpq)");
		return WERR_UNSUPPORTED;
#endif
	}
	if (!strncmp(url, "postgres", 8)) {
		set_err(errbuf, errcap, "postgresql store url must start with postgres:// or postgresql://");
		return WERR_INVALID;
	}
	set_err(errbuf, errcap, "unknown store url (expected sqlite:PATH or postgres://...)");
	return WERR_INVALID;
}

void store_url_display(const char *url, char *out, size_t cap)
{
	const char *auth, *at, *colon, *pw;
	struct buf b = BUF_INIT;

	if (!cap)
		return;
	if (!strncmp(url, "postgres", 8) && (auth = strstr(url, "://"))) {
		auth += 3;
		at = strchr(auth, '@');
		colon = at ? memchr(auth, ':', (size_t)(at - auth)) : NULL;
		if (colon) {
			buf_append(&b, url, (size_t)(colon + 1 - url));
			buf_puts(&b, "***");
			url = at;
		}
		/* password=... among the parameters, up to the next & */
		while ((pw = strstr(url, "password="))) {
			buf_append(&b, url, (size_t)(pw + 9 - url));
			buf_puts(&b, "***");
			url = pw + 9 + strcspn(pw + 9, "&");
		}
	}
	buf_puts(&b, url);
	snprintf(out, cap, "%s", b.p ? b.p : "");
	buf_release(&b);
}

void store_close(struct store *st)
{
	if (st)
		st->ops->close(st);
}

const char *store_errmsg(const struct store *st)
{
	return st ? st->errmsg : "no store";
}

enum werr store_fold(struct store *st, const struct policy *pol, const struct event *evs, size_t n,
		     struct order_state *o, enum ev_outcome *outcomes)
{
	struct parcel_fact *facts = NULL;
	size_t nfacts = 0;
	enum werr err;

	if (n && (err = store_parcel_facts(st, evs[0].order, &facts, &nfacts)))
		return err;
	err = order_fold_parcels(pol, evs, n, facts, nfacts, o, outcomes);
	free(facts);
	return err;
}

void event_array_free(struct event *evs, size_t n)
{
	size_t i;

	if (!evs)
		return;
	for (i = 0; i < n; i++)
		event_release(&evs[i]);
	free(evs);
}

void order_page_release(struct order_page *page)
{
	size_t i;

	if (!page)
		return;
	for (i = 0; i < page->n; i++)
		free(page->rows[i].json);
	free(page->rows);
	page->rows = NULL;
	page->n = 0;
	page->next_cursor[0] = '\0';
}

const char *key_role_name(enum key_role r)
{
	switch (r) {
	case ROLE_ADMIN: return "admin";
	case ROLE_INGEST: return "ingest";
	case ROLE_AGENT: return "agent";
	}
	return "unknown";
}

int key_role_from_name(const char *name)
{
	if (!name)
		return -1;
	if (!strcmp(name, "admin"))
		return ROLE_ADMIN;
	if (!strcmp(name, "ingest"))
		return ROLE_INGEST;
	if (!strcmp(name, "agent"))
		return ROLE_AGENT;
	return -1;
}

void parked_events_free(struct parked_event *p, size_t n)
{
	if (!p)
		return;
	for (size_t i = 0; i < n; i++)
		event_release(&p[i].ev);
	free(p);
}

void unmapped_rows_free(struct unmapped_row *rows, size_t n)
{
	if (!rows)
		return;
	for (size_t i = 0; i < n; i++)
		free(rows[i].sample_event);
	free(rows);
}

void order_rows_free(struct order_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		free(rows[i].json);
	free(rows);
}

void outbox_rows_free(struct outbox_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		free(rows[i].view);
	free(rows);
}

void rule_rows_free(struct rule_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		free(rows[i].json);
	free(rows);
}

void audit_rows_free(struct audit_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		free(rows[i].detail);
	free(rows);
}
