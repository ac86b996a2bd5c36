/*
 * keys.c - "wismo keys create|list|revoke": API keys, stored hashed.
 * create prints the new key alone on standard output (shown once).
 * Creating and revoking a key are security events: each writes an audit
 * entry (actor "cli", action key.create / key.revoke, subject the key id,
 * detail {"id", "role", "prefix", "source"}: never the key or its hash) in
 * the same transaction, so no key exists or stops without a record of it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/buf.h"
#include "../base/clock.h"
#include "../base/wtime.h"
#include "../app/auth.h"
#include "cli.h"
#include "../base/banned.h"

/* k: the key as created, or NULL when only the id is known. */
static enum werr audit_key(struct store *st, const char *action, int64_t id, const struct api_key *k, int64_t now)
{
	struct buf d = BUF_INIT;
	char subject[24];
	enum werr err;

	snprintf(subject, sizeof(subject), "%lld", (long long)id);
	buf_printf(&d, "{\"id\":%lld", (long long)id);
	if (k) {
		buf_puts(&d, ",\"role\":");
		buf_json_str(&d, key_role_name(k->role));
		buf_puts(&d, ",\"prefix\":");
		buf_json_str(&d, k->prefix);
		if (k->source[0]) {
			buf_puts(&d, ",\"source\":");
			buf_json_str(&d, k->source);
		}
	}
	buf_puts(&d, "}");
	err = buf_failed(&d) ? buf_error(&d) : store_audit_put(st, "cli", action, subject, d.p, now);
	buf_release(&d);
	return err;
}

static int keys_create(struct store *st, const struct cli_opts *o)
{
	char key[AUTH_KEY_LEN + 1], hash[65];
	struct api_key k;
	int64_t id;
	int role = o->role ? key_role_from_name(o->role) : -1;
	int64_t now = clock_wall_ms();

	if (role < 0) {
		fprintf(stderr, "wismo: keys create: --role must be admin, ingest or agent\n");
		return 2;
	}
	if (o->source && role != ROLE_INGEST) {
		fprintf(stderr, "wismo: keys create: --source only goes with --role ingest\n");
		return 2;
	}
	if (auth_key_new((enum key_role)role, o->source, now, key, hash, &k)) {
		fprintf(stderr, "wismo: keys create: unable to make a key\n");
		return 1;
	}
	if (store_begin(st) || store_key_put(st, hash, &k, &id) || audit_key(st, "key.create", id, &k, now) ||
	    store_commit(st)) {
		fprintf(stderr, "wismo: keys create: %s\n", store_errmsg(st));
		store_rollback(st);
		return 1;
	}
	printf("%s\n", key);
	return 0;
}

static int keys_list(struct store *st)
{
	struct api_key *keys = NULL;
	size_t n = 0;
	char ts[WTIME_BUFSZ];

	if (store_key_list(st, &keys, &n)) {
		fprintf(stderr, "wismo: keys list: %s\n", store_errmsg(st));
		return 1;
	}
	printf("%-6s %-8s %-12s %-16s %-22s %s\n", "ID", "ROLE", "PREFIX", "SOURCE", "CREATED", "STATE");
	for (size_t i = 0; i < n; i++)
		printf("%-6lld %-8s %-12s %-16s %-22s %s\n", (long long)keys[i].id, key_role_name(keys[i].role),
		       keys[i].prefix, keys[i].source[0] ? keys[i].source : "-",
		       wtime_format(keys[i].created_at, ts), keys[i].revoked_at ? "revoked" : "valid");
	free(keys);
	return 0;
}

static int keys_revoke(struct store *st, const struct cli_opts *o)
{
	char *end;
	long long id;
	int64_t now = clock_wall_ms();
	enum werr err;

	if (o->nargs < 2) {
		fprintf(stderr, "wismo: keys revoke: which key id?\n");
		return 2;
	}
	id = strtoll(o->args[1], &end, 10);
	if (*end || id <= 0) {
		fprintf(stderr, "wismo: keys revoke: '%s' is not a key id\n", o->args[1]);
		return 2;
	}
	if ((err = store_begin(st)) || (err = store_key_revoke(st, id, now)) ||
	    (err = audit_key(st, "key.revoke", id, NULL, now)) || (err = store_commit(st))) {
		store_rollback(st);
		fprintf(stderr, "wismo: keys revoke: %s\n",
			err == WERR_NOT_FOUND ? "no such key" : store_errmsg(st));
		return 1;
	}
	fprintf(stderr, "key %lld revoked (servers stop accepting it within %d seconds)\n", id,
		AUTH_CACHE_MS / 1000);
	return 0;
}

int cmd_keys(const struct config *cfg, const struct cli_opts *o)
{
	struct store *st;
	char msg[256];
	int rc;

	if (o->nargs < 1) {
		cli_usage("keys");
		return 2;
	}
	if (store_open(cfg->store.url, 0, &st, msg, sizeof(msg))) {
		fprintf(stderr, "wismo: %s\n", msg);
		return 1;
	}
	if (!strcmp(o->args[0], "create"))
		rc = keys_create(st, o);
	else if (!strcmp(o->args[0], "list"))
		rc = keys_list(st);
	else if (!strcmp(o->args[0], "revoke"))
		rc = keys_revoke(st, o);
	else {
		fprintf(stderr, "wismo: keys: unknown action '%s'\n", o->args[0]);
		rc = 2;
	}
	store_close(st);
	return rc;
}
