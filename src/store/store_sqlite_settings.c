/*
 * store_sqlite_settings.c - the SQLite backend's settings (store.h, struct
 * store_setting_ops): named values the server makes itself on first use,
 * such as the secret that signs tracking links (docs/web.md).  Table
 * settings (migration 4, schema/v4_web.h).
 */
#include <string.h>

#include "sqlite_int.h"
#include "../base/banned.h"

static const char SQL_SETTING_INSERT[] =
	"INSERT INTO settings(name, value, created_at) VALUES (?1, ?2, strftime('%s','now') * 1000)"
	" ON CONFLICT(name) DO NOTHING";
static const char SQL_SETTING_GET[] = "SELECT value FROM settings WHERE name = ?1";

static enum werr setting_read(struct sqlite_store *s, const char *name, char *value, size_t cap)
{
	sqlite3_stmt *q;
	enum werr err = sq_stmt(s, SQL_SETTING_GET, &q);
	int rc;

	if (err)
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "s", name), "unable to read setting", &err);
	if (rc == SQLITE_ROW)
		err = sq_row(s, q, "f", value, cap);
	else if (rc == SQLITE_DONE)
		err = WERR_NOT_FOUND;
	sq_done(q);
	return err;
}

/* Insert-if-absent, then read back: of two connections racing, the second
 * insert does nothing and both read the first one's value. */
static enum werr sq_setting_get_or_create(struct store *st, const char *name, const char *proposed, char *value,
					  size_t cap)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q;
	enum werr err = setting_read(s, name, value, cap);

	if (err != WERR_NOT_FOUND || !proposed)
		return err;
	if ((err = sq_stmt(s, SQL_SETTING_INSERT, &q)))
		return err;
	if ((err = sq_step_write(s, q, sq_bind(q, "ss", name, proposed), "unable to store setting", NULL)))
		return err;
	return setting_read(s, name, value, cap);
}

const struct store_setting_ops sq_setting_ops = {
	.setting_get_or_create = sq_setting_get_or_create,
};
