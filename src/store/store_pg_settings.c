/*
 * store_pg_settings.c - the PostgreSQL backend's settings (store.h, struct
 * store_setting_ops): named values the server makes itself on first use,
 * such as the secret that signs tracking links (docs/web.md).  Table
 * settings (schema/pg_v13.h).
 *
 * Several nodes may make the same setting at once: the insert does nothing
 * when the name exists (ON CONFLICT, never a failed statement, which would
 * abort a caller's transaction), and every node reads back the one value
 * that was stored first.
 */
#include <string.h>

#include "pg_int.h"
#include "../base/banned.h"

/* created_at in whole seconds, as SQLite's strftime('%s','now') * 1000 */
static const char SQL_SETTING_INSERT[] =
	"INSERT INTO settings(name, value, created_at)"
	" VALUES ($1, $2, (floor(extract(epoch FROM clock_timestamp())) * 1000)::bigint)"
	" ON CONFLICT(name) DO NOTHING";
static const char SQL_SETTING_GET[] = "SELECT value FROM settings WHERE name = $1";

static enum werr setting_read(struct pg_store *s, const char *name, char *value, size_t cap)
{
	PGresult *r = NULL;
	enum werr err = pg_run(s, SQL_SETTING_GET, "unable to read setting", &r, "s", name);

	if (err)
		return err;
	if (PQntuples(r) > 0)
		err = pg_row(s, r, 0, "f", value, cap);
	else
		err = WERR_NOT_FOUND;
	PQclear(r);
	return err;
}

/* Insert-if-absent, then read back: of two connections (or nodes) racing,
 * the second insert does nothing (it waits for the first one's commit on
 * the unique name) and both read the first one's value. */
static enum werr pg_setting_get_or_create(struct store *st, const char *name, const char *proposed, char *value,
					  size_t cap)
{
	struct pg_store *s = pg(st);
	enum werr err = setting_read(s, name, value, cap);

	if (err != WERR_NOT_FOUND || !proposed)
		return err;
	if ((err = pg_run(s, SQL_SETTING_INSERT, "unable to store setting", NULL, "ss", name, proposed)))
		return err;
	return setting_read(s, name, value, cap);
}

const struct store_setting_ops pg_setting_ops = {
	.setting_get_or_create = pg_setting_get_or_create,
};
