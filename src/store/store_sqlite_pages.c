/*
 * store_sqlite_pages.c - the SQLite operations the web pages need
 * (docs/web.md): the settings table (the link secret made on first use), the
 * lookup fields of an order for the tracking page's lookup form, and a raw
 * payload for the dashboard's "raw" link.
 */
#include <stdio.h>
#include <string.h>

#include "sqlite_int.h"
#include "../base/banned.h"

static const char sql_setting_insert[] =
	"INSERT INTO settings(name, value, created_at) VALUES (?1, ?2, strftime('%s','now') * 1000)"
	" ON CONFLICT(name) DO NOTHING";
static const char sql_setting_get[] = "SELECT value FROM settings WHERE name = ?1";
static const char sql_order_contact[] = "SELECT email, postal_code, json FROM orders WHERE order_no = ?1";
static const char sql_raw_get[] = "SELECT content_type, body FROM raw_payloads WHERE id = ?1";

static enum werr setting_read(struct sqlite_store *s, const char *name, char *value, size_t cap)
{
	sqlite3_stmt *q;
	enum werr err = sq_stmt(s, sql_setting_get, &q);
	int rc;

	if (err)
		return err;
	rc = sq_bind(q, "s", name);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW)
		err = sq_col_field(s, q, 0, value, cap);
	else if (rc == SQLITE_DONE)
		err = WERR_NOT_FOUND;
	else
		err = sq_fail(s, rc, "unable to read setting");
	sq_done(q);
	return err;
}

enum werr sqlite_setting_get_or_create(struct store *st, const char *name, const char *proposed, char *value,
				       size_t cap)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = setting_read(s, name, value, cap);

	if (err != WERR_NOT_FOUND || !proposed)
		return err;
	if ((err = sq_stmt(s, sql_setting_insert, &q)))
		return err;
	if ((err = sq_step_write(s, q, sq_bind(q, "ss", name, proposed), "unable to store setting", NULL)))
		return err;
	return setting_read(s, name, value, cap);
}

enum werr sqlite_order_contact(struct store *st, const char *order, char email[EV_EMAIL_MAX + 1],
			       char postal[EV_POSTAL_MAX + 1], char **json)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = sq_stmt(s, sql_order_contact, &q);
	int rc;

	*json = NULL;
	email[0] = postal[0] = '\0';
	if (err)
		return err;
	rc = sq_bind(q, "s", order);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		if (!(err = sq_col_field(s, q, 0, email, EV_EMAIL_MAX + 1)) &&
		    !(err = sq_col_field(s, q, 1, postal, EV_POSTAL_MAX + 1)) && !(*json = sq_col_strdup(q, 2))) {
			sq_msg(s, "out of memory reading order");
			err = WERR_NOMEM;
		}
	} else if (rc == SQLITE_DONE) {
		err = WERR_NOT_FOUND;
	} else {
		err = sq_fail(s, rc, "unable to read order");
	}
	sq_done(q);
	return err;
}

enum werr sqlite_raw_get(struct store *st, int64_t id, char content_type[128], struct buf *body)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = sq_stmt(s, sql_raw_get, &q);
	int rc;

	content_type[0] = '\0';
	if (err)
		return err;
	rc = sq_bind(q, "i", id);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		const void *p = sqlite3_column_blob(q, 1);
		size_t n = (size_t)sqlite3_column_bytes(q, 1);
		snprintf(content_type, 128, "%s", sq_col_text(q, 0));
		if (n && (!p || buf_append(body, p, n))) {
			sq_msg(s, "raw payload %lld does not fit", (long long)id);
			err = p ? WERR_TOO_LARGE : WERR_NOMEM;
		}
	} else if (rc == SQLITE_DONE) {
		err = WERR_NOT_FOUND;
	} else {
		err = sq_fail(s, rc, "unable to read raw payload");
	}
	sq_done(q);
	return err;
}
