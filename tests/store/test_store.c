/*
 * test_store.c - the storage conformance suite (store.h).
 *
 * Every case talks to the store through store.h only, opened by the URL that
 * setup() makes (tempdb.h: a fresh SQLite file per case, or with
 * WISMO_TEST_STORE=postgres a fresh PostgreSQL database), so the same cases
 * run against both backends (tests/meson.build runs this program twice).
 * The cases that only make sense for SQLite (a fresh file, a schema written
 * by a newer build) check is_sqlite() and skip otherwise.
 *
 * Threads: the concurrency case runs a writer and a reader thread on their
 * own handles; they record failures in plain fields that the main thread
 * asserts on (cmocka's asserts must not fire off the main thread).
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "store/store.h"
#include "tempdb.h"

#include "base/banned.h"

struct fixture {
	struct tempdb db;
	char *dir, *path, *url; /* db's */
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (!f || tempdb_make(&f->db, "store")) {
		free(f);
		return -1;
	}
	f->dir = f->db.dir;
	f->path = f->db.path;
	f->url = f->db.url;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	tempdb_remove(&f->db);
	free(f);
	return 0;
}

static struct store *open_url(const char *url, int flags)
{
	struct store *st = NULL;
	char why[256];
	enum werr err;

	err = store_open(url, flags, &st, why, sizeof(why));
	if (err)
		fail_msg("store_open(%s): %s: %s", url, werr_name(err), why);
	assert_non_null(st);
	return st;
}

static struct store *open_store(void **state, int flags)
{
	struct fixture *f = *state;

	return open_url(f->url, flags);
}

#define OK(call)                                                                        \
	do {                                                                            \
		enum werr err_ = (call);                                                \
		if (err_)                                                               \
			fail_msg("%s: %s", #call, werr_name(err_));                     \
	} while (0)

/* ---- building events ---- */

static void make_key(char key[EV_KEY_MAX + 1], unsigned n)
{
	snprintf(key, EV_KEY_MAX + 1, "i:%032x", n);
}

/* A valid event with every field set; n makes it distinct. */
static void make_event(struct event *ev, unsigned n, const char *order, const char *package,
		       enum ev_status status)
{
	event_init(ev);
	make_key(ev->key, n);
	snprintf(ev->source, sizeof(ev->source), "%s", package && *package ? "ups" : "shopify");
	snprintf(ev->id, sizeof(ev->id), "evt-%u", n);
	snprintf(ev->order, sizeof(ev->order), "%s", order);
	ev->status = status;
	ev->occurred_at = 1700000000000 + (int64_t)n * 60000;
	ev->received_at = 1700000000500 + (int64_t)n * 60000;
	if (package && *package) {
		snprintf(ev->package, sizeof(ev->package), "%s", package);
		snprintf(ev->carrier, sizeof(ev->carrier), "ups");
		snprintf(ev->description, sizeof(ev->description), "Arrived at \"facility\" %u", n);
		snprintf(ev->location.city, sizeof(ev->location.city), "Z\xc3\xbcrich");
		snprintf(ev->location.region, sizeof(ev->location.region), "ZH");
		snprintf(ev->location.country, sizeof(ev->location.country), "CH");
		ev->estimated_delivery = 1700500000000;
		if (status == EV_EXCEPTION) {
			snprintf(ev->detail, sizeof(ev->detail), "address_issue");
			ev->action_required = 1;
		}
	} else {
		snprintf(ev->customer.name, sizeof(ev->customer.name), "Ada Lovelace");
		snprintf(ev->customer.email, sizeof(ev->customer.email), "ada@example.com");
		snprintf(ev->customer.phone, sizeof(ev->customer.phone), "+41 44 000 00 00");
		snprintf(ev->customer.postal_code, sizeof(ev->customer.postal_code), "8001");
		ev->promised_by = 1700900000000;
		ev->action_required = 0;
	}
	ev->has_items = true;
	ev->nitems = 2;
	ev->items = calloc(2, sizeof(*ev->items));
	assert_non_null(ev->items);
	snprintf(ev->items[0].sku, sizeof(ev->items[0].sku), "SKU-%u", n);
	snprintf(ev->items[0].name, sizeof(ev->items[0].name), "Mug");
	ev->items[0].quantity = 2;
	snprintf(ev->items[1].sku, sizeof(ev->items[1].sku), "TEA-1");
	snprintf(ev->items[1].name, sizeof(ev->items[1].name), "Green tea");
	ev->items[1].quantity = 1;
}

static void assert_events_equal(const struct event *a, const struct event *b)
{
	size_t i;

	assert_string_equal(a->key, b->key);
	assert_string_equal(a->source, b->source);
	assert_string_equal(a->id, b->id);
	assert_string_equal(a->order, b->order);
	assert_string_equal(a->package, b->package);
	assert_string_equal(a->carrier, b->carrier);
	assert_int_equal(a->status, b->status);
	assert_string_equal(a->detail, b->detail);
	assert_string_equal(a->description, b->description);
	assert_int_equal(a->action_required, b->action_required);
	assert_int_equal(a->occurred_at, b->occurred_at);
	assert_int_equal(a->received_at, b->received_at);
	assert_int_equal(a->seq, b->seq);
	assert_int_equal(a->estimated_delivery, b->estimated_delivery);
	assert_int_equal(a->promised_by, b->promised_by);
	assert_string_equal(a->location.city, b->location.city);
	assert_string_equal(a->location.region, b->location.region);
	assert_string_equal(a->location.country, b->location.country);
	assert_string_equal(a->customer.name, b->customer.name);
	assert_string_equal(a->customer.email, b->customer.email);
	assert_string_equal(a->customer.phone, b->customer.phone);
	assert_string_equal(a->customer.postal_code, b->customer.postal_code);
	assert_int_equal(a->has_items, b->has_items);
	assert_int_equal(a->nitems, b->nitems);
	for (i = 0; i < a->nitems; i++) {
		assert_string_equal(a->items[i].sku, b->items[i].sku);
		assert_string_equal(a->items[i].name, b->items[i].name);
		assert_int_equal(a->items[i].quantity, b->items[i].quantity);
	}
}

static int64_t append(struct store *st, unsigned n, const char *order, const char *package,
		      enum ev_status status, bool *dup)
{
	struct event ev;
	bool d = false;
	int64_t seq;

	make_event(&ev, n, order, package, status);
	OK(store_append_event(st, &ev, 0, &d));
	if (dup)
		*dup = d;
	seq = ev.seq;
	event_release(&ev);
	return seq;
}

/* ---- building order projections ---- */

struct test_order {
	struct order_state o;
	struct package_state pk[3];
	char json[256];
};

/* An order with npk packages "<order>-P<i>"; status and time as given. */
static void make_order(struct test_order *t, const char *order, enum ord_status status,
		       int64_t updated_at, size_t npk)
{
	size_t i;

	memset(t, 0, sizeof(*t));
	snprintf(t->o.order, sizeof(t->o.order), "%s", order);
	t->o.status = status;
	t->o.updated_at = updated_at;
	snprintf(t->o.customer.email, sizeof(t->o.customer.email), "%s@example.com", order);
	snprintf(t->o.customer.postal_code, sizeof(t->o.customer.postal_code), "10115");
	assert_true(npk <= 3);
	for (i = 0; i < npk; i++) {
		snprintf(t->pk[i].tracking, sizeof(t->pk[i].tracking), "%s-P%zu", order, i);
		snprintf(t->pk[i].carrier, sizeof(t->pk[i].carrier), "dhl");
		t->pk[i].status = i ? PKG_DELIVERED : PKG_IN_TRANSIT;
	}
	t->o.npackages = npk;
	t->o.packages = npk ? t->pk : NULL;
	snprintf(t->json, sizeof(t->json), "{\"order\":\"%s\",\"status\":\"%s\",\"updated\":%" PRId64 "}",
		 order, ord_status_name(status), updated_at);
}

static void put_order(struct store *st, const char *order, enum ord_status status, int64_t updated_at,
		      size_t npk)
{
	struct test_order t;

	make_order(&t, order, status, updated_at, npk);
	OK(store_put_order(st, &t.o, t.json));
}

static bool is_sqlite(void **state)
{
	struct fixture *f = *state;

	return !strncmp(f->url, "sqlite:", 7);
}

/* ---- cases ---- */

static void test_open_and_migrate(void **state)
{
	struct store *st;
	int from = -1, to = -1;

	assert_true(store_schema_version() >= 1);
	st = open_store(state, 0);
	OK(store_migrate(st, &from, &to));
	assert_int_equal(from, store_schema_version());
	assert_int_equal(to, store_schema_version());
	store_close(st);

	/* Re-opening applies nothing and changes nothing. */
	st = open_store(state, 0);
	from = to = -1;
	OK(store_migrate(st, &from, &to));
	assert_int_equal(from, store_schema_version());
	assert_int_equal(to, store_schema_version());
	store_close(st);
}

static void test_open_no_migrate(void **state)
{
	struct store *st;
	int from = -1, to = -1;

	if (!is_sqlite(state))
		skip(); /* a shared server database is never fresh */
	st = open_store(state, STORE_NO_MIGRATE);
	OK(store_migrate(st, &from, &to));
	assert_int_equal(from, 0);
	assert_int_equal(to, store_schema_version());
	OK(store_migrate(st, &from, &to));
	assert_int_equal(from, store_schema_version());
	assert_int_equal(to, store_schema_version());
	store_close(st);
}

static void test_open_errors(void **state)
{
	struct fixture *f = *state;
	struct store *st = (struct store *)1;
	char why[256], url[200];

	assert_int_equal(store_open("mysql://x", 0, &st, why, sizeof(why)), WERR_INVALID);
	assert_null(st);
	assert_true(why[0] != '\0');
	assert_int_equal(store_open("sqlite:", 0, &st, why, sizeof(why)), WERR_INVALID);
	assert_null(st);
	assert_int_not_equal(store_open("", 0, &st, NULL, 0), WERR_OK);

	/* A reader cannot create the database. */
	snprintf(url, sizeof(url), "sqlite:%s/missing.db", f->dir);
	assert_int_not_equal(store_open(url, STORE_READONLY, &st, why, sizeof(why)), WERR_OK);
	assert_null(st);
	assert_true(why[0] != '\0');
}

/* A PostgreSQL URI's password never reaches a message or a banner. */
static void test_url_display(void **state)
{
	struct store *st = (struct store *)1;
	char out[256], why[256];

	(void)state;
	store_url_display("postgres://shop:s3cret@db.example:5432/wismo?sslmode=require", out, sizeof(out));
	assert_string_equal(out, "postgres://shop:***@db.example:5432/wismo?sslmode=require");
	store_url_display("postgresql://db/wismo?user=shop&password=s3cret&sslmode=verify-full", out, sizeof(out));
	assert_string_equal(out, "postgresql://db/wismo?user=shop&password=***&sslmode=verify-full");
	store_url_display("postgresql://shop@db/wismo", out, sizeof(out));
	assert_string_equal(out, "postgresql://shop@db/wismo");
	store_url_display("sqlite:./wismo.db", out, sizeof(out));
	assert_string_equal(out, "sqlite:./wismo.db");
	/* a server that is not there: the error names no password */
	assert_int_not_equal(store_open("postgresql://shop:s3cret@127.0.0.1:1/wismo?connect_timeout=2", 0, &st, why,
					sizeof(why)),
			     WERR_OK);
	assert_null(st);
	assert_null(strstr(why, "s3cret"));
	st = (struct store *)1;
	assert_int_equal(store_open("postgres:/x", 0, &st, why, sizeof(why)), WERR_INVALID);
	assert_null(st);
}

/* SQLite-specific: a file written by a newer wismo is refused, clearly. */
static void test_newer_schema_refused(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	sqlite3 *db;
	char sql[160], why[256];

	if (!is_sqlite(state))
		skip();
	st = open_store(state, 0);
	store_close(st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	snprintf(sql, sizeof(sql), "INSERT INTO schema_migrations(version, applied_at) VALUES(%d, 0)",
		 store_schema_version() + 1);
	assert_int_equal(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);

	st = NULL;
	assert_int_not_equal(store_open(f->url, 0, &st, why, sizeof(why)), WERR_OK);
	assert_null(st);
	assert_non_null(strstr(why, "newer"));
	assert_int_not_equal(store_open(f->url, STORE_READONLY, &st, why, sizeof(why)), WERR_OK);
	assert_null(st);
}

/* SQLite-specific: migration 13 copies the key a correction supersedes from
 * the body into its column (a database of version 12 rebuilt by hand). */
static void test_migration_13_supersedes(void **state)
{
	struct fixture *f = *state;
	struct store *st;
	struct event ev;
	sqlite3 *db;
	sqlite3_stmt *q;
	bool dup;
	int from = -1, to = -1;

	if (!is_sqlite(state))
		skip();
	st = open_store(state, 0);
	make_event(&ev, 1, "1001", "", EV_PLACED);
	OK(store_append_event(st, &ev, 0, &dup));
	event_release(&ev);
	make_event(&ev, 2, "1001", "", EV_CONFIRMED);
	snprintf(ev.supersedes, sizeof(ev.supersedes), "i:%032x", 1);
	OK(store_append_event(st, &ev, 0, &dup));
	event_release(&ev);
	store_close(st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_exec(db,
				      "DROP INDEX events_supersedes; ALTER TABLE events DROP COLUMN supersedes;"
				      "CREATE INDEX events_supersedes ON events(json_extract(body, '$.supersedes'))"
				      " WHERE json_extract(body, '$.supersedes') IS NOT NULL;"
				      "DROP TABLE order_milestones;" /* and back before 14 */
				      "DELETE FROM schema_migrations WHERE version >= 13",
				      NULL, NULL, NULL),
			 SQLITE_OK);
	sqlite3_close(db);

	st = open_store(state, 0); /* opening migrates */
	OK(store_migrate(st, &from, &to));
	assert_int_equal(to, store_schema_version());
	store_close(st);
	assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT key, supersedes FROM events INDEXED BY events_supersedes"
					    " WHERE supersedes IS NOT NULL", -1, &q, NULL),
			 SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 1), "i:00000000000000000000000000000001");
	assert_int_equal(sqlite3_step(q), SQLITE_DONE);
	sqlite3_finalize(q);
	sqlite3_close(db);
}

/* SQLite-specific: the benchmark-only override of synchronous. */
static void test_sqlite_sync_env(void **state)
{
	struct fixture *f = *state;
	struct store *st = NULL;
	char why[256];

	if (!is_sqlite(state))
		skip();
	assert_int_equal(setenv("WISMO_SQLITE_SYNC", "sometimes", 1), 0);
	assert_int_equal(store_open(f->url, 0, &st, why, sizeof(why)), WERR_INVALID);
	assert_null(st);
	assert_non_null(strstr(why, "WISMO_SQLITE_SYNC"));
	assert_int_equal(setenv("WISMO_SQLITE_SYNC", "normal", 1), 0);
	st = open_store(state, 0);
	append(st, 1, "1001", NULL, EV_PLACED, NULL);
	store_close(st);
	assert_int_equal(unsetenv("WISMO_SQLITE_SYNC"), 0);
}

static void test_append_and_duplicates(void **state)
{
	struct store *st = open_store(state, 0);
	struct event ev;
	struct dup_row *dups = NULL;
	size_t ndups = 0;
	int64_t nev = -1, ndup = -1, seq1, seq2;
	bool dup = true;

	OK(store_begin(st));
	seq1 = append(st, 1, "1001", NULL, EV_PLACED, &dup);
	assert_false(dup);
	assert_true(seq1 > 0);
	/* The same key again in the same transaction. */
	make_event(&ev, 1, "1001", NULL, EV_PLACED);
	ev.received_at += 1000;
	OK(store_append_event(st, &ev, 0, &dup));
	assert_true(dup);
	event_release(&ev);
	seq2 = append(st, 2, "1001", "1Z1", EV_IN_TRANSIT, &dup);
	assert_false(dup);
	assert_true(seq2 > seq1);
	OK(store_commit(st));

	/* And in a later transaction. */
	OK(store_begin(st));
	make_event(&ev, 1, "1001", NULL, EV_PLACED);
	ev.received_at += 5000;
	OK(store_append_event(st, &ev, 0, &dup));
	assert_true(dup);
	event_release(&ev);
	OK(store_commit(st));

	/* Outside a transaction too (autocommit). */
	make_event(&ev, 1, "1001", NULL, EV_PLACED);
	ev.received_at += 3000;
	OK(store_append_event(st, &ev, 0, &dup));
	assert_true(dup);
	event_release(&ev);

	OK(store_count_events(st, &nev, &ndup));
	assert_int_equal(nev, 2);
	assert_int_equal(ndup, 3);

	OK(store_order_duplicates(st, "1001", &dups, &ndups));
	assert_int_equal(ndups, 1);
	make_key(ev.key, 1);
	assert_string_equal(dups[0].key, ev.key);
	assert_string_equal(dups[0].source, "shopify");
	assert_int_equal(dups[0].count, 3);
	assert_int_equal(dups[0].first_received, 1700000000500 + 60000);
	assert_int_equal(dups[0].last_received, 1700000000500 + 60000 + 5000);
	free(dups);

	OK(store_order_duplicates(st, "1002", &dups, &ndups));
	assert_int_equal(ndups, 0);
	free(dups);
	store_close(st);
}

static void test_rollback_leaves_nothing(void **state)
{
	struct store *st = open_store(state, 0);
	struct api_key k, *keys = NULL;
	struct event empty, *evs = NULL;
	size_t n = 1;
	int64_t nev = -1, ndup = -1, raw = 0, id = 0;
	char *json = NULL;
	bool dup;

	OK(store_begin(st));
	OK(store_put_raw(st, "shopify", "application/json", "{}", 2, 1700000000000, &raw));
	event_init(&empty);
	assert_int_equal(store_append_event(st, &empty, raw, &dup), WERR_INVALID);
	append(st, 1, "1001", NULL, EV_PLACED, NULL);
	append(st, 1, "1001", NULL, EV_PLACED, &dup);
	assert_true(dup);
	put_order(st, "1001", ORD_PLACED, 1700000000500, 1);
	memset(&k, 0, sizeof(k));
	k.role = ROLE_ADMIN;
	k.created_at = 1;
	OK(store_key_put(st, "abc", &k, &id));
	OK(store_rollback(st));
	/* A second rollback with nothing open is harmless. */
	OK(store_rollback(st));

	OK(store_count_events(st, &nev, &ndup));
	assert_int_equal(nev, 0);
	assert_int_equal(ndup, 0);
	OK(store_order_events(st, "1001", &evs, &n));
	assert_int_equal(n, 0);
	event_array_free(evs, n);
	assert_int_equal(store_get_order(st, "1001", &json), WERR_NOT_FOUND);
	assert_null(json);
	OK(store_key_list(st, &keys, &n));
	assert_int_equal(n, 0);
	free(keys);
	store_close(st);
}

static void test_order_events_roundtrip(void **state)
{
	static const struct {
		unsigned n;
		const char *order, *package;
		enum ev_status status;
	} in[] = {
		{ 10, "A-1", NULL, EV_PLACED },
		{ 11, "B-2", NULL, EV_PLACED },
		{ 12, "A-1", "1ZA", EV_IN_TRANSIT },
		{ 13, "A-1", "1ZA", EV_EXCEPTION },
		{ 14, "A-10", NULL, EV_CONFIRMED },
	};
	struct store *st = open_store(state, 0);
	struct event sent[5], *evs = NULL;
	size_t n = 0, i, j;
	int64_t raw = 0;
	bool dup;

	OK(store_put_raw(st, "ups", "application/json", "{\"x\":1}", 7, 1700000000000, &raw));
	assert_true(raw > 0);
	OK(store_begin(st));
	for (i = 0; i < 5; i++) {
		make_event(&sent[i], in[i].n, in[i].order, in[i].package, in[i].status);
		OK(store_append_event(st, &sent[i], raw, &dup));
		assert_false(dup);
		assert_true(sent[i].seq > 0);
	}
	OK(store_commit(st));

	OK(store_order_events(st, "A-1", &evs, &n));
	assert_int_equal(n, 3);
	for (i = 0, j = 0; i < 5; i++) {
		if (strcmp(in[i].order, "A-1"))
			continue;
		assert_events_equal(&evs[j], &sent[i]);
		j++;
	}
	assert_true(evs[0].seq < evs[1].seq && evs[1].seq < evs[2].seq);
	event_array_free(evs, n);

	OK(store_order_events(st, "B-2", &evs, &n));
	assert_int_equal(n, 1);
	assert_events_equal(&evs[0], &sent[1]);
	event_array_free(evs, n);

	OK(store_order_events(st, "nope", &evs, &n));
	assert_int_equal(n, 0);
	event_array_free(evs, n);

	for (i = 0; i < 5; i++)
		event_release(&sent[i]);
	store_close(st);
}

static void test_minimal_event_roundtrip(void **state)
{
	struct store *st = open_store(state, 0);
	struct event ev, *evs = NULL;
	size_t n = 0;
	bool dup;

	event_init(&ev);
	make_key(ev.key, 99);
	snprintf(ev.source, sizeof(ev.source), "generic");
	snprintf(ev.order, sizeof(ev.order), "M-1");
	ev.status = EV_PLACED;
	ev.occurred_at = 1700000000000;
	ev.received_at = 1700000000001;
	OK(store_append_event(st, &ev, 0, &dup));
	OK(store_order_events(st, "M-1", &evs, &n));
	assert_int_equal(n, 1);
	assert_events_equal(&evs[0], &ev);
	event_array_free(evs, n);
	store_close(st);
}

static void test_put_get_order(void **state)
{
	struct store *st = open_store(state, 0);
	struct test_order t;
	char order[EV_ORDER_MAX + 1];
	char *json = NULL;

	make_order(&t, "1001", ORD_SHIPPED, 1700000000000, 3);
	OK(store_put_order(st, &t.o, t.json));
	OK(store_get_order(st, "1001", &json));
	assert_string_equal(json, t.json);
	free(json);
	OK(store_find_package(st, "1001-P2", order));
	assert_string_equal(order, "1001");
	assert_int_equal(store_find_package(st, "nope", order), WERR_NOT_FOUND);
	assert_int_equal(store_get_order(st, "1002", &json), WERR_NOT_FOUND);
	assert_null(json);

	/* Replacing the order replaces its packages. */
	make_order(&t, "1001", ORD_DELIVERED, 1700000001000, 1);
	OK(store_begin(st));
	OK(store_put_order(st, &t.o, t.json));
	OK(store_commit(st));
	OK(store_get_order(st, "1001", &json));
	assert_string_equal(json, t.json);
	free(json);
	OK(store_find_package(st, "1001-P0", order));
	assert_string_equal(order, "1001");
	assert_int_equal(store_find_package(st, "1001-P2", order), WERR_NOT_FOUND);
	store_close(st);
}

#define NLIST 250

static int order_index(const char *order)
{
	return (int)strtol(order + 2, NULL, 10);
}

/* Walks every page; checks order and returns how many rows were seen. */
static size_t walk(struct store *st, const char *status, int64_t since, int limit, int seen[NLIST])
{
	struct order_query q = { .status = status, .updated_since = since, .limit = limit };
	struct order_page page;
	char cursor[160] = "";
	int64_t last_at = INT64_MIN;
	char last[EV_ORDER_MAX + 1] = "";
	size_t total = 0, i, pages = 0;

	do {
		q.cursor = cursor;
		OK(store_list_orders(st, &q, &page));
		assert_true(page.n <= (size_t)limit);
		if (page.next_cursor[0])
			assert_int_equal(page.n, limit);
		for (i = 0; i < page.n; i++) {
			const struct order_row *r = &page.rows[i];

			assert_true(r->updated_at > last_at ||
				    (r->updated_at == last_at && strcmp(r->order, last) > 0));
			assert_true(r->updated_at >= since);
			if (status)
				assert_string_equal(r->status, status);
			assert_non_null(strstr(r->json, r->order));
			seen[order_index(r->order)]++;
			last_at = r->updated_at;
			snprintf(last, sizeof(last), "%s", r->order);
		}
		total += page.n;
		snprintf(cursor, sizeof(cursor), "%s", page.next_cursor);
		order_page_release(&page);
		assert_true(++pages < 1000);
	} while (cursor[0]);
	return total;
}

static void test_list_orders(void **state)
{
	static const char *const bad[] = { "x", "12", "12:", "12:zz", "12:abc", ":3132", "1x:3132",
					   "12:00", "99999999999999999999999:31" };
	struct store *st = open_store(state, 0);
	struct order_query q = { .limit = 100 };
	struct order_page p1, p2, p2b;
	int seen[NLIST];
	char name[16];
	size_t i;
	int k;

	OK(store_begin(st));
	for (k = 0; k < NLIST; k++) {
		snprintf(name, sizeof(name), "O-%03d", k);
		/* Many ties on updated_at: the order number breaks them. */
		put_order(st, name, k % 2 ? ORD_DELIVERED : ORD_SHIPPED,
			  1700000000000 + (int64_t)(k % 40) * 1000, 1);
	}
	OK(store_commit(st));

	memset(seen, 0, sizeof(seen));
	assert_int_equal(walk(st, NULL, 0, 100, seen), NLIST);
	for (k = 0; k < NLIST; k++)
		assert_int_equal(seen[k], 1);

	memset(seen, 0, sizeof(seen));
	assert_int_equal(walk(st, NULL, 0, 1000, seen), NLIST);
	memset(seen, 0, sizeof(seen));
	assert_int_equal(walk(st, NULL, 0, 7, seen), NLIST);
	for (k = 0; k < NLIST; k++)
		assert_int_equal(seen[k], 1);

	/* Status filter. */
	memset(seen, 0, sizeof(seen));
	assert_int_equal(walk(st, "delivered", 0, 100, seen), NLIST / 2);
	for (k = 0; k < NLIST; k++)
		assert_int_equal(seen[k], k % 2);

	/* updated_since: k % 40 >= 30 -> 10 of every 40. */
	memset(seen, 0, sizeof(seen));
	walk(st, NULL, 1700000000000 + 30 * 1000, 100, seen);
	for (k = 0; k < NLIST; k++)
		assert_int_equal(seen[k], k % 40 >= 30);
	memset(seen, 0, sizeof(seen));
	walk(st, "shipped", 1700000000000 + 30 * 1000, 3, seen);
	for (k = 0; k < NLIST; k++)
		assert_int_equal(seen[k], k % 40 >= 30 && k % 2 == 0);

	/* Cursor stability: the same cursor gives the same page, also after
	 * an order is added before it. */
	OK(store_list_orders(st, &q, &p1));
	assert_int_equal(p1.n, 100);
	assert_true(p1.next_cursor[0] != '\0');
	q.cursor = p1.next_cursor;
	OK(store_list_orders(st, &q, &p2));
	put_order(st, "A-early", ORD_SHIPPED, 1600000000000, 0);
	OK(store_list_orders(st, &q, &p2b));
	assert_int_equal(p2.n, p2b.n);
	for (i = 0; i < p2.n; i++)
		assert_string_equal(p2.rows[i].order, p2b.rows[i].order);
	assert_string_equal(p2.next_cursor, p2b.next_cursor);
	order_page_release(&p1);
	order_page_release(&p2);
	order_page_release(&p2b);

	/* An empty result. */
	q.cursor = NULL;
	q.status = "cancelled";
	OK(store_list_orders(st, &q, &p1));
	assert_int_equal(p1.n, 0);
	assert_string_equal(p1.next_cursor, "");
	order_page_release(&p1);
	q.status = NULL;

	/* Bad input. */
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		q.cursor = bad[i];
		if (store_list_orders(st, &q, &p1) != WERR_INVALID)
			fail_msg("cursor '%s' accepted", bad[i]);
		assert_int_equal(p1.n, 0);
		assert_null(p1.rows);
	}
	q.cursor = NULL;
	q.limit = 0;
	assert_int_equal(store_list_orders(st, &q, &p1), WERR_INVALID);
	q.limit = 1001;
	assert_int_equal(store_list_orders(st, &q, &p1), WERR_INVALID);
	q.limit = 10;
	q.status = "no-such-status";
	assert_int_equal(store_list_orders(st, &q, &p1), WERR_INVALID);
	store_close(st);
}

static void test_dump_after_clear(void **state)
{
	struct store *st = open_store(state, 0);
	struct buf a = BUF_INIT, b = BUF_INIT, empty = BUF_INIT;

	put_order(st, "1001", ORD_SHIPPED, 1700000000000, 2);
	put_order(st, "1002", ORD_PLACED, 1700000001000, 0);
	put_order(st, "0999", ORD_DELIVERED, 1700000002000, 3);
	OK(store_dump_projections(st, &a));
	assert_non_null(strstr(a.p, "1001-P1"));
	assert_non_null(strstr(a.p, "0999@example.com"));

	OK(store_clear_projections(st));
	OK(store_dump_projections(st, &empty));
	assert_string_equal(empty.p, "");

	OK(store_begin(st));
	put_order(st, "0999", ORD_DELIVERED, 1700000002000, 3);
	put_order(st, "1002", ORD_PLACED, 1700000001000, 0);
	put_order(st, "1001", ORD_SHIPPED, 1700000000000, 2);
	OK(store_commit(st));
	OK(store_dump_projections(st, &b));
	assert_string_equal(a.p, b.p);

	buf_release(&a);
	buf_release(&b);
	buf_release(&empty);
	store_close(st);
}

static void test_keys(void **state)
{
	struct store *st = open_store(state, 0);
	struct api_key k, got, *keys = NULL;
	int64_t id1 = 0, id2 = 0;
	size_t n = 0;

	memset(&k, 0, sizeof(k));
	k.role = ROLE_ADMIN;
	k.created_at = 1700000000000;
	snprintf(k.prefix, sizeof(k.prefix), "wk_adm1");
	OK(store_key_put(st, "h-admin", &k, &id1));
	memset(&k, 0, sizeof(k));
	k.role = ROLE_INGEST;
	k.created_at = 1700000001000;
	snprintf(k.source, sizeof(k.source), "shopify");
	snprintf(k.prefix, sizeof(k.prefix), "wk_ing1");
	OK(store_key_put(st, "h-ingest", &k, &id2));
	assert_true(id1 > 0 && id2 > 0 && id1 != id2);
	assert_int_equal(store_key_put(st, "h-ingest", &k, NULL), WERR_EXISTS);

	OK(store_key_find(st, "h-ingest", &got));
	assert_int_equal(got.id, id2);
	assert_int_equal(got.role, ROLE_INGEST);
	assert_string_equal(got.source, "shopify");
	assert_string_equal(got.prefix, "wk_ing1");
	assert_int_equal(got.created_at, 1700000001000);
	assert_int_equal(got.revoked_at, 0);
	OK(store_key_find(st, "h-admin", &got));
	assert_int_equal(got.role, ROLE_ADMIN);
	assert_string_equal(got.source, "");
	assert_int_equal(store_key_find(st, "h-none", &got), WERR_NOT_FOUND);

	OK(store_key_revoke(st, id1, 1700000005000));
	OK(store_key_revoke(st, id1, 1700000009000)); /* again: keeps the first time */
	assert_int_equal(store_key_find(st, "h-admin", &got), WERR_NOT_FOUND);
	assert_int_equal(store_key_revoke(st, id2 + 100, 1), WERR_NOT_FOUND);

	OK(store_key_list(st, &keys, &n));
	assert_int_equal(n, 2);
	assert_int_equal(keys[0].id, id1);
	assert_int_equal(keys[0].revoked_at, 1700000005000);
	assert_string_equal(keys[0].prefix, "wk_adm1");
	assert_int_equal(keys[1].id, id2);
	assert_int_equal(keys[1].revoked_at, 0);
	assert_string_equal(keys[1].source, "shopify");
	free(keys);

	assert_string_equal(key_role_name(ROLE_AGENT), "agent");
	assert_int_equal(key_role_from_name("ingest"), ROLE_INGEST);
	assert_int_equal(key_role_from_name("root"), -1);
	store_close(st);
}

struct each_ctx {
	struct store *other; /* a second handle the callback reads through */
	struct store *self;  /* the iterating handle, also read from the callback */
	char last[EV_ORDER_MAX + 1];
	int calls;
	int stop_at;
	int bad;
};

static enum werr each_cb(const char *order, void *ctx)
{
	struct each_ctx *c = ctx;
	struct event *evs = NULL;
	size_t n = 0;
	enum werr err;

	if (strcmp(order, c->last) <= 0)
		c->bad++;
	snprintf(c->last, sizeof(c->last), "%s", order);
	if (++c->calls == c->stop_at)
		return WERR_SHUTDOWN;
	err = store_order_events(c->calls % 2 ? c->other : c->self, order, &evs, &n);
	if (err || n != 2 || strcmp(evs[0].order, order))
		c->bad++;
	event_array_free(evs, n);
	return err;
}

static void test_each_order(void **state)
{
	struct store *st = open_store(state, 0);
	struct each_ctx c;
	char name[16];
	unsigned k;

	OK(store_begin(st));
	for (k = 0; k < 300; k++) {
		snprintf(name, sizeof(name), "E-%04u", k);
		append(st, 2 * k, name, NULL, EV_PLACED, NULL);
		append(st, 2 * k + 1, name, "1ZX", EV_IN_TRANSIT, NULL);
	}
	OK(store_commit(st));

	memset(&c, 0, sizeof(c));
	c.self = st;
	c.other = open_store(state, STORE_READONLY);
	OK(store_each_order(st, each_cb, &c));
	assert_int_equal(c.calls, 300);
	assert_int_equal(c.bad, 0);

	/* The callback's error stops the walk and is returned. */
	memset(c.last, 0, sizeof(c.last));
	c.calls = 0;
	c.stop_at = 5;
	assert_int_equal(store_each_order(st, each_cb, &c), WERR_SHUTDOWN);
	assert_int_equal(c.calls, 5);
	store_close(c.other);
	store_close(st);
}

static void test_reader_sees_committed_only(void **state)
{
	struct store *w = open_store(state, 0);
	struct store *r = open_store(state, STORE_READONLY);
	struct event *evs = NULL;
	size_t n = 0;
	int64_t nev = -1, raw = 0;
	char *json = NULL;

	OK(store_begin(w));
	append(w, 1, "1001", NULL, EV_PLACED, NULL);
	put_order(w, "1001", ORD_PLACED, 1700000000500, 0);
	OK(store_count_events(r, &nev, NULL));
	assert_int_equal(nev, 0);
	assert_int_equal(store_get_order(r, "1001", &json), WERR_NOT_FOUND);
	OK(store_commit(w));

	OK(store_count_events(r, &nev, NULL));
	assert_int_equal(nev, 1);
	OK(store_order_events(r, "1001", &evs, &n));
	assert_int_equal(n, 1);
	event_array_free(evs, n);
	OK(store_get_order(r, "1001", &json));
	free(json);

	/* A reader's snapshot holds for its transaction. */
	OK(store_begin(r));
	OK(store_count_events(r, &nev, NULL));
	assert_int_equal(nev, 1);
	append(w, 2, "1001", "1Z", EV_IN_TRANSIT, NULL);
	OK(store_count_events(r, &nev, NULL));
	assert_int_equal(nev, 1);
	OK(store_commit(r));
	OK(store_count_events(r, &nev, NULL));
	assert_int_equal(nev, 2);

	/* A reader cannot write. */
	assert_int_not_equal(store_put_raw(r, "x", "text/plain", "a", 1, 1, &raw), WERR_OK);
	assert_true(store_errmsg(r)[0] != '\0');

	store_close(r);
	store_close(w);
}

/* PostgreSQL sends a write transaction's statements ahead of their answers
 * (store_pg.c): a write that fails is reported by a later call or by the
 * commit, nothing of the transaction is kept, and the handle goes on. */
static void test_failed_write_fails_the_transaction(void **state)
{
	struct store *st;
	struct store_alias a = { .ref = "", .order = "1001" };
	struct event *evs = NULL;
	size_t n = 0;
	int64_t nev = -1;
	enum werr err;

	if (is_sqlite(state))
		skip(); /* SQLite stores any bytes as text */
	st = open_store(state, 0);
	OK(store_begin(st));
	append(st, 1, "1001", NULL, EV_PLACED, NULL);
	snprintf(a.ref, sizeof(a.ref), "bad\xff\xfe"); /* not UTF-8: the server refuses it */
	err = store_alias_put(st, "shop", &a, 1);
	if (!err)
		err = store_order_events(st, "1001", &evs, &n);
	event_array_free(evs, n);
	if (!err)
		err = store_commit(st);
	else
		store_rollback(st);
	assert_int_not_equal(err, WERR_OK);
	assert_true(store_errmsg(st)[0] != '\0');
	if (store_count_events(st, &nev, NULL))
		fail_msg("after the failure: %s", store_errmsg(st));
	assert_int_equal(nev, 0);
	/* the next transaction works, its statements prepared again */
	OK(store_begin(st));
	append(st, 2, "1002", NULL, EV_PLACED, NULL);
	OK(store_commit(st));
	OK(store_count_events(st, &nev, NULL));
	assert_int_equal(nev, 1);
	store_close(st);
}

/* ---- peers: announcements and leases (several nodes on one database) ---- */

struct heard {
	char orders[8][EV_ORDER_MAX + 1];
	size_t n;
};

static void on_heard(void *ctx, const char *const *orders, size_t n)
{
	struct heard *h = ctx;

	for (size_t i = 0; i < n && h->n < 8; i++)
		snprintf(h->orders[h->n++], sizeof(h->orders[0]), "%s", orders[i]);
}

/* Another process (a node) announces two orders; a rolled-back
 * announcement is never heard, and a process does not hear its own. */
static void test_peers_announce(void **state)
{
	struct fixture *f = *state;
	const char *two[] = { "1001", "1002" }, *lost[] = { "9999" };
	struct store *l = open_store(state, STORE_NO_MIGRATE), *w = open_store(state, 0);
	struct heard h = { .n = 0 };
	pid_t pid;
	int status;

	if (is_sqlite(state)) {
		assert_int_equal(store_listen(l, 0, on_heard, &h), WERR_UNSUPPORTED);
		OK(store_announce(w, two, 2));
		goto out;
	}
	OK(store_listen(l, 0, on_heard, &h)); /* LISTEN */
	/* the child first: it must not inherit this process's id, made on
	 * its first announcement */
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct store *c = NULL;
		int bad = store_open(f->url, 0, &c, NULL, 0) || store_begin(c) || store_announce(c, lost, 1) ||
			  store_rollback(c) || store_begin(c) || store_announce(c, two, 2) || store_commit(c);
		store_close(c);
		_exit(bad);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	/* our own announcement: not heard */
	OK(store_begin(w));
	OK(store_announce(w, lost, 1));
	OK(store_commit(w));
	for (int i = 0; i < 50 && h.n < 2; i++)
		OK(store_listen(l, 100, on_heard, &h));
	assert_int_equal(h.n, 2);
	assert_string_equal(h.orders[0], "1001");
	assert_string_equal(h.orders[1], "1002");
	OK(store_listen(l, 200, on_heard, &h));
	assert_int_equal(h.n, 2); /* nothing more: neither ours nor the rolled-back one */
out:
	store_close(l);
	store_close(w);
}

/* One handle holds a lease at a time (SQLite: the one node holds all); it
 * goes with its handle. */
static void test_peers_lease(void **state)
{
	struct store *a, *b;
	bool held = false;

	store_close(open_store(state, 0)); /* made and migrated */
	a = open_store(state, STORE_READONLY);
	b = open_store(state, STORE_READONLY);
	OK(store_lease(a, "sweep", &held));
	assert_true(held);
	OK(store_lease(a, "sweep", &held)); /* kept */
	assert_true(held);
	OK(store_lease(b, "sweep", &held));
	assert_true(held == is_sqlite(state));
	OK(store_lease(b, "poll:ups", &held));
	assert_true(held);
	store_close(a);
	for (int i = 0; i < 50; i++) {
		OK(store_lease(b, "sweep", &held));
		if (held)
			break;
		usleep(20000);
	}
	assert_true(held);
	store_close(b);
}

#define CONC_TX 40
#define CONC_PER_TX 25

struct conc {
	const char *url;
	int writer_err;
	int reader_err;
	int reader_bad;
	int reader_polls;
	atomic_int done;
};

static void *writer_main(void *arg)
{
	struct conc *c = arg;
	struct store *st = NULL;
	struct event ev;
	char order[16];
	bool dup;
	int t, i;

	if (store_open(c->url, 0, &st, NULL, 0)) {
		c->writer_err = 1;
		goto out;
	}
	for (t = 0; t < CONC_TX && !c->writer_err; t++) {
		if (store_begin(st)) {
			c->writer_err = 2;
			break;
		}
		for (i = 0; i < CONC_PER_TX; i++) {
			snprintf(order, sizeof(order), "C-%d", t);
			make_event(&ev, (unsigned)(t * CONC_PER_TX + i), order, NULL, EV_PLACED);
			if (store_append_event(st, &ev, 0, &dup) || dup)
				c->writer_err = 3;
			event_release(&ev);
		}
		if (c->writer_err || store_commit(st)) {
			store_rollback(st);
			c->writer_err = c->writer_err ? c->writer_err : 4;
		}
	}
out:
	store_close(st);
	c->done = 1;
	return NULL;
}

static void *reader_main(void *arg)
{
	struct conc *c = arg;
	struct store *st = NULL;
	int64_t n = 0, last = 0;

	if (store_open(c->url, STORE_READONLY, &st, NULL, 0)) {
		c->reader_err = 1;
		return NULL;
	}
	for (;;) {
		int finished = c->done;

		if (store_count_events(st, &n, NULL)) {
			c->reader_err = 2;
			break;
		}
		c->reader_polls++;
		/* Whole transactions only, never going back. */
		if (n % CONC_PER_TX || n < last)
			c->reader_bad++;
		last = n;
		if (finished || n == CONC_TX * CONC_PER_TX)
			break;
	}
	store_close(st);
	return NULL;
}

static void test_concurrent_writer_reader(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_store(state, 0); /* creates the schema */
	struct conc c;
	pthread_t wt, rt;
	int64_t n = 0;

	memset(&c, 0, sizeof(c));
	c.url = f->url;
	assert_int_equal(pthread_create(&rt, NULL, reader_main, &c), 0);
	assert_int_equal(pthread_create(&wt, NULL, writer_main, &c), 0);
	pthread_join(wt, NULL);
	pthread_join(rt, NULL);
	assert_int_equal(c.writer_err, 0);
	assert_int_equal(c.reader_err, 0);
	assert_int_equal(c.reader_bad, 0);
	assert_true(c.reader_polls > 0);
	OK(store_count_events(st, &n, NULL));
	assert_int_equal(n, CONC_TX * CONC_PER_TX);
	store_close(st);
}

static void test_reopen_keeps_data(void **state)
{
	struct store *st = open_store(state, 0);
	struct api_key k;
	struct event *evs = NULL;
	size_t n = 0;
	int64_t nev = 0, ndup = 0, seq;
	char order[EV_ORDER_MAX + 1];
	char *json = NULL;

	seq = append(st, 1, "R-1", NULL, EV_PLACED, NULL);
	append(st, 1, "R-1", NULL, EV_PLACED, NULL);
	put_order(st, "R-1", ORD_PLACED, 1700000000500, 1);
	memset(&k, 0, sizeof(k));
	k.role = ROLE_AGENT;
	OK(store_key_put(st, "h-agent", &k, NULL));
	store_close(st);

	st = open_store(state, 0);
	OK(store_count_events(st, &nev, &ndup));
	assert_int_equal(nev, 1);
	assert_int_equal(ndup, 1);
	OK(store_order_events(st, "R-1", &evs, &n));
	assert_int_equal(n, 1);
	assert_int_equal(evs[0].seq, seq);
	event_array_free(evs, n);
	OK(store_get_order(st, "R-1", &json));
	free(json);
	OK(store_find_package(st, "R-1-P0", order));
	OK(store_key_find(st, "h-agent", &k));
	assert_int_equal(k.role, ROLE_AGENT);
	/* New events continue after the old ones. */
	assert_true(append(st, 2, "R-1", "1Z", EV_IN_TRANSIT, NULL) > seq);
	store_close(st);
}

/* Issue 12: the retention purge leaves the body a pending fetch job still
 * has to read (the background fetcher re-parses it), whatever its age;
 * a body delivered again keeps one row per source. */
static void test_12_5_purge_keeps_bodies_pending_fetches_need(void **state)
{
	struct store *st = open_store(state, 0);
	int64_t a = 0, a2 = 0, b = 0, d = 0, n = 0;
	char ctype[128];
	struct buf body = BUF_INIT;

	assert_int_equal(store_begin(st), WERR_OK);
	assert_int_equal(store_put_raw(st, "shopify", "application/json", "{\"x\":1}", 7, 1000, &a), WERR_OK);
	assert_int_equal(store_put_raw(st, "shopify", "application/json", "{\"x\":1}", 7, 1001, &a2), WERR_OK);
	assert_int_equal(a2, a);
	assert_int_equal(store_put_raw(st, "woocommerce", "application/json", "{\"x\":1}", 7, 1000, &b), WERR_OK);
	assert_int_not_equal(b, a); /* the same bytes from another source are another row */
	assert_int_equal(store_put_raw(st, "shipstation", "application/json", "{\"r\":1}", 7, 10, &d), WERR_OK);
	assert_int_equal(store_fetch_put(st, "shipstation", d, 10), WERR_OK);
	assert_int_equal(store_commit(st), WERR_OK);

	assert_int_equal(store_begin(st), WERR_OK);
	assert_int_equal(store_raw_purge(st, 1000000, 100, &n), WERR_OK);
	assert_int_equal(store_commit(st), WERR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(store_raw_get(st, a, ctype, &body), WERR_NOT_FOUND);
	assert_int_equal(store_raw_get(st, d, ctype, &body), WERR_OK);
	buf_release(&body);
	store_close(st);
}

/* Parcel owners the writer notes in a transaction (PostgreSQL keeps them in
 * the transaction's memory and writes each once, with its last value): all
 * of them, last values, after the commit; none after a rollback. */
static void test_parcel_owners_noted_in_a_transaction(void **state)
{
	struct fixture *f = *state;
	struct store *st = open_url(f->url, 0);
	struct parcel_owner o;
	char (*orders)[EV_ORDER_MAX + 1] = NULL;
	size_t n = 0;

	for (int round = 0; round < 2; round++) {
		assert_int_equal(store_begin(st), WERR_OK);
		for (int i = 0; i < 300; i++) {
			struct event e;
			struct parcel_owner next = { 0 };
			event_init(&e);
			snprintf(e.package, sizeof(e.package), "1Z%c%03d", round ? 'R' : 'C', i % 100);
			snprintf(e.order, sizeof(e.order), "O%d", i % 100);
			snprintf(e.source, sizeof(e.source), "ups");
			snprintf(e.key, sizeof(e.key), "k%d-%d", round, i);
			e.status = EV_IN_TRANSIT;
			e.occurred_at = 1700000000000 + i;
			next = (struct parcel_owner){ .last_at = e.occurred_at, .last_status = e.status };
			snprintf(next.tracking, sizeof(next.tracking), "%s", e.package);
			snprintf(next.order, sizeof(next.order), "%s", e.order);
			snprintf(next.source, sizeof(next.source), "%s", e.source);
			assert_int_equal(store_parcel_note(st, i < 100 ? PARCEL_TAKE : PARCEL_KEEP, &e, NULL, &next,
							   &orders, &n),
					 WERR_OK);
			free(orders);
			orders = NULL;
			event_release(&e);
		}
		if (round == 0)
			assert_int_equal(store_commit(st), WERR_OK);
		else
			store_rollback(st);
	}
	for (int i = 0; i < 100; i++) {
		char t[32];
		snprintf(t, sizeof(t), "1ZC%03d", i);
		assert_int_equal(store_parcel_owner(st, t, &o), WERR_OK);
		assert_int_equal(o.last_at, 1700000000000 + 200 + i); /* the last of its three */
		snprintf(t, sizeof(t), "1ZR%03d", i);
		assert_int_equal(store_parcel_owner(st, t, &o), WERR_NOT_FOUND);
	}
	store_close(st);
}

static void put_exception_and_task(struct store *st, const char *order)
{
	struct exception_row x = { 0 };
	struct task_row t = { 0 };
	bool exists;

	snprintf(x.order, sizeof(x.order), "%s", order);
	snprintf(x.kind, sizeof(x.kind), "stalled");
	snprintf(x.reason, sizeof(x.reason), "no scan");
	snprintf(x.basis, sizeof(x.basis), "hours");
	x.since = 1700000000000;
	assert_int_equal(store_exc_put(st, order, &x, 1, 0), WERR_OK);
	snprintf(t.order, sizeof(t.order), "%s", order);
	snprintf(t.kind, sizeof(t.kind), "stalled");
	snprintf(t.team, sizeof(t.team), "operations");
	snprintf(t.priority, sizeof(t.priority), "normal");
	snprintf(t.reason, sizeof(t.reason), "no scan");
	t.since = t.opened_at = 1700000000000;
	t.due_at = t.opened_at + 3600000;
	assert_int_equal(store_task_open(st, &t, &exists), WERR_OK);
	assert_false(exists);
}

/* What an order's refold reads, the same with the writer's refold hint as
 * without (PostgreSQL answers orders it found empty from the transaction's
 * memory): an order with rows, one without, and one given rows after the
 * hint in the same transaction. */
static void test_refold_hint_changes_no_answer(void **state)
{
	static const char *const orders[] = { "H1", "H2" };
	struct fixture *f = *state;
	struct store *st = open_url(f->url, 0);
	struct task_query q = { "live", NULL, NULL, NULL, 10 };
	struct exception_row *x = NULL;
	struct task_row *t = NULL;
	struct event ev, *evs = NULL;
	size_t n = 0;
	bool dup;

	event_init(&ev);
	snprintf(ev.key, sizeof(ev.key), "i:h1");
	snprintf(ev.source, sizeof(ev.source), "shop");
	snprintf(ev.order, sizeof(ev.order), "H1");
	ev.status = EV_PLACED;
	ev.occurred_at = ev.received_at = 1700000000000;
	assert_int_equal(store_begin(st), WERR_OK);
	assert_int_equal(store_append_event(st, &ev, 0, &dup), WERR_OK);
	put_exception_and_task(st, "H1");
	assert_int_equal(store_commit(st), WERR_OK);

	assert_int_equal(store_begin(st), WERR_OK);
	assert_int_equal(store_refold_hint(st, orders, 2, INT64_MAX), WERR_OK);
	for (int i = 0; i < 2; i++) {
		size_t want = i == 0; /* H1 has one of each, H2 none */
		q.order = orders[i];
		assert_int_equal(store_order_events_before(st, orders[i], INT64_MAX, &evs, &n), WERR_OK);
		assert_int_equal(n, want);
		event_array_free(evs, n);
		assert_int_equal(store_exc_list(st, orders[i], 10, &x, &n), WERR_OK);
		assert_int_equal(n, want);
		free(x);
		assert_int_equal(store_task_list(st, &q, &t, &n), WERR_OK);
		assert_int_equal(n, want);
		free(t);
	}
	put_exception_and_task(st, "H2"); /* H2 was empty at the hint */
	q.order = "H2";
	assert_int_equal(store_exc_list(st, "H2", 10, &x, &n), WERR_OK);
	assert_int_equal(n, 1);
	assert_string_equal(x[0].kind, "stalled");
	free(x);
	assert_int_equal(store_task_list(st, &q, &t, &n), WERR_OK);
	assert_int_equal(n, 1);
	free(t);
	store_rollback(st);
	event_release(&ev);
	store_close(st);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_open_and_migrate),
		T(test_open_no_migrate),
		T(test_open_errors),
		T(test_url_display),
		T(test_newer_schema_refused),
		T(test_migration_13_supersedes),
		T(test_sqlite_sync_env),
		T(test_append_and_duplicates),
		T(test_12_5_purge_keeps_bodies_pending_fetches_need),
		T(test_rollback_leaves_nothing),
		T(test_order_events_roundtrip),
		T(test_minimal_event_roundtrip),
		T(test_put_get_order),
		T(test_list_orders),
		T(test_dump_after_clear),
		T(test_keys),
		T(test_each_order),
		T(test_reader_sees_committed_only),
		T(test_concurrent_writer_reader),
		T(test_failed_write_fails_the_transaction),
		T(test_peers_announce),
		T(test_peers_lease),
		T(test_reopen_keeps_data),
		T(test_parcel_owners_noted_in_a_transaction),
		T(test_refold_hint_changes_no_answer),
	};
#undef T
	return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
