/*
 * store_pg_keys.c - the PostgreSQL backend's API key operations (store.h,
 * struct store_key_ops): keys are stored as the SHA-256 of the key (never
 * the key), with their role, optional source and revocation time.  Table
 * api_keys (schema/pg_v13.h).
 *
 * A hash stored already is WERR_EXISTS without a failed statement (ON
 * CONFLICT DO NOTHING, no row returned): a caller's transaction goes on.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "pg_int.h"
#include "../base/banned.h"

#define KEY_COLUMNS "id, role, source, created_at, revoked_at, prefix"

static const char SQL_KEY_PUT[] =
	"INSERT INTO api_keys(hash, prefix, role, source, created_at, revoked_at) VALUES($1, $2, $3, $4, $5, $6)"
	" ON CONFLICT(hash) DO NOTHING RETURNING id";
static const char SQL_KEY_FIND[] = "SELECT " KEY_COLUMNS " FROM api_keys WHERE hash = $1 AND revoked_at IS NULL";
static const char SQL_KEY_LIST[] = "SELECT " KEY_COLUMNS " FROM api_keys ORDER BY id";
/* Revoking twice keeps the first time. */
static const char SQL_KEY_REVOKE[] =
	"UPDATE api_keys SET revoked_at = coalesce(revoked_at, $2::bigint) WHERE id = $1";

static enum werr pg_key_put(struct store *st, const char *hash, const struct api_key *k, int64_t *id)
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err;

	if (!hash || !*hash || key_role_from_name(key_role_name(k->role)) < 0) {
		pg_msg(s, "unable to store key: hash and a valid role are required");
		return WERR_INVALID;
	}
	err = pg_run(s, SQL_KEY_PUT, "unable to store key", &r, "SsSsio", hash, k->prefix, key_role_name(k->role),
		     k->source, k->created_at, k->revoked_at);
	if (err)
		return err;
	if (PQntuples(r) == 0) {
		pg_msg(s, "a key with this hash exists already");
		err = WERR_EXISTS;
	} else if (id) {
		err = pg_row(s, r, 0, "i", id);
	}
	PQclear(r);
	return err;
}

static enum werr read_key(struct pg_store *s, const PGresult *r, int row, void *out)
{
	struct api_key *k = out;
	const char *name = PQgetvalue(r, row, 1);
	int role;

	memset(k, 0, sizeof(*k));
	k->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
	role = key_role_from_name(name);
	if (role < 0) {
		pg_msg(s, "key %" PRId64 " has an unknown role '%s'", k->id, name);
		return WERR_DB;
	}
	k->role = (enum key_role)role;
	return pg_row(s, r, row, "--fiif", PG_FIELD(k->source), &k->created_at, &k->revoked_at,
		      PG_FIELD(k->prefix));
}

static enum werr pg_key_find(struct store *st, const char *hash, struct api_key *out)
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err;

	memset(out, 0, sizeof(*out));
	if ((err = pg_run(s, SQL_KEY_FIND, "unable to find key", &r, "S", hash)))
		return err;
	if (PQntuples(r) > 0) {
		err = read_key(s, r, 0, out);
	} else {
		pg_msg(s, "no such key");
		err = WERR_NOT_FOUND;
	}
	PQclear(r);
	return err;
}

static enum werr pg_key_list(struct store *st, struct api_key **keys, size_t *n)
{
	return pg_query_rows(pg(st), SQL_KEY_LIST, "unable to list keys", sizeof(struct api_key), read_key,
			     pg_release_plain, (void **)keys, n, "");
}

static enum werr pg_key_revoke(struct store *st, int64_t id, int64_t at)
{
	struct pg_store *s = pg(st);
	PGresult *r = NULL;
	enum werr err;

	if ((err = pg_run(s, SQL_KEY_REVOKE, "unable to revoke key", &r, "ii", id, at)))
		return err;
	if (pg_changes(r) == 0) {
		pg_msg(s, "no key with id %" PRId64, id);
		err = WERR_NOT_FOUND;
	}
	PQclear(r);
	return err;
}

const struct store_key_ops pg_key_ops = {
	.key_put = pg_key_put,
	.key_find = pg_key_find,
	.key_list = pg_key_list,
	.key_revoke = pg_key_revoke,
};
