/*
 * store_sqlite_keys.c - the SQLite backend's API key operations (store.h,
 * struct store_key_ops): keys are stored as the SHA-256 of the key (never
 * the key), with their role, optional source and revocation time.  Table
 * api_keys (migration 1).
 */
#include <inttypes.h>
#include <string.h>

#include "sqlite_int.h"
#include "../base/banned.h"

#define KEY_COLUMNS "id, role, source, created_at, revoked_at, prefix"

static const char SQL_KEY_PUT[] =
	"INSERT INTO api_keys(hash, prefix, role, source, created_at, revoked_at) VALUES(?1, ?2, ?3, ?4, ?5, ?6)";
static const char SQL_KEY_FIND[] = "SELECT " KEY_COLUMNS " FROM api_keys WHERE hash = ?1 AND revoked_at IS NULL";
static const char SQL_KEY_LIST[] = "SELECT " KEY_COLUMNS " FROM api_keys ORDER BY id";
/* Revoking twice keeps the first time. */
static const char SQL_KEY_REVOKE[] = "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1";

static enum werr sq_key_put(struct store *st, const char *hash, const struct api_key *k, int64_t *id)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err;
	int rc;

	if (!hash || !*hash || key_role_from_name(key_role_name(k->role)) < 0) {
		sq_msg(s, "unable to store key: hash and a valid role are required");
		return WERR_INVALID;
	}
	if ((err = sq_stmt(s, SQL_KEY_PUT, &q)))
		return err;
	rc = sq_bind(q, "SsSsio", hash, k->prefix, key_role_name(k->role), k->source, k->created_at, k->revoked_at);
	if (rc == SQLITE_OK)
		rc = sqlite3_step(q);
	if (rc == SQLITE_DONE) {
		if (id)
			*id = sqlite3_last_insert_rowid(s->db);
	} else if ((rc & 0xff) == SQLITE_CONSTRAINT) {
		sq_msg(s, "a key with this hash exists already");
		err = WERR_EXISTS;
	} else {
		err = sq_fail(s, rc, "unable to store key");
	}
	sq_done(q);
	return err;
}

static enum werr read_key(struct sqlite_store *s, sqlite3_stmt *q, void *row)
{
	struct api_key *k = row;
	int role;

	memset(k, 0, sizeof(*k));
	k->id = sqlite3_column_int64(q, 0);
	role = key_role_from_name(sq_col_text(q, 1));
	if (role < 0) {
		sq_msg(s, "key %" PRId64 " has an unknown role '%s'", k->id, sq_col_text(q, 1));
		return WERR_DB;
	}
	k->role = (enum key_role)role;
	return sq_row(s, q, "--fiif", SQ_FIELD(k->source), &k->created_at, &k->revoked_at, SQ_FIELD(k->prefix));
}

static enum werr sq_key_find(struct store *st, const char *hash, struct api_key *out)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((err = sq_stmt(s, SQL_KEY_FIND, &q)))
		return err;
	rc = sq_step_read(s, q, sq_bind(q, "S", hash), "unable to find key", &err);
	if (rc == SQLITE_ROW) {
		err = read_key(s, q, out);
	} else if (rc == SQLITE_DONE) {
		sq_msg(s, "no such key");
		err = WERR_NOT_FOUND;
	}
	sq_done(q);
	return err;
}

static enum werr sq_key_list(struct store *st, struct api_key **keys, size_t *n)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	enum werr err = sq_stmt(s, SQL_KEY_LIST, &q);

	return sq_query_rows(s, q, err, SQLITE_OK, sizeof(struct api_key), read_key, "unable to list keys",
			     sq_release_plain, (void **)keys, n);
}

static enum werr sq_key_revoke(struct store *st, int64_t id, int64_t at)
{
	struct sqlite_store *s = sq(st);
	sqlite3_stmt *q = NULL;
	bool changed = false;
	enum werr err;

	if ((err = sq_stmt(s, SQL_KEY_REVOKE, &q)))
		return err;
	err = sq_step_write(s, q, sq_bind(q, "ii", id, at), "unable to revoke key", &changed);
	if (!err && !changed) {
		sq_msg(s, "no key with id %" PRId64, id);
		err = WERR_NOT_FOUND;
	}
	return err;
}

const struct store_key_ops sq_key_ops = {
	.key_put = sq_key_put,
	.key_find = sq_key_find,
	.key_list = sq_key_list,
	.key_revoke = sq_key_revoke,
};
