/*
 * test_store_web.c - the store operations behind the KPIs, search and the
 * dashboard's queues (store.h, "KPIs, agent view, streams"), on a fresh
 * SQLite file per test: the new columns put_order/append_event fill, the
 * writer's visible_at stamp, failure counters by UTC day, and the queries'
 * filters and orders.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "tempdb.h"
#include "core/order_json.h"
#include "store/schema/v4_web.h"
#include "store/store.h"
#include "base/banned.h"

#define T0 INT64_C(1709510400000) /* 2024-03-04T00:00:00Z */
#define HOUR INT64_C(3600000)
#define DAY (24 * HOUR)

#define OK(call)                                                            \
	do {                                                                \
		enum werr err_ = (call);                                    \
		if (err_)                                                   \
			fail_msg("%s: %s", #call, werr_name(err_));         \
	} while (0)

struct fixture {
	struct tempdb db;
	struct store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	char why[256];

	if (!f)
		return -1;
	if (tempdb_make(&f->db, "web"))
		return -1;
	if (store_open(f->db.url, 0, &f->st, why, sizeof(why)))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	tempdb_remove(&f->db);
	free(f);
	return 0;
}

static int64_t append(struct store *st, unsigned n, const char *order, const char *pkg, const char *carrier,
		      enum ev_status status, int64_t occurred, int64_t received)
{
	struct event ev;
	bool dup;

	event_init(&ev);
	snprintf(ev.key, sizeof(ev.key), "i:%08u", n);
	snprintf(ev.source, sizeof(ev.source), "%s", carrier && carrier[0] ? carrier : "shopify");
	snprintf(ev.order, sizeof(ev.order), "%s", order);
	snprintf(ev.package, sizeof(ev.package), "%s", pkg ? pkg : "");
	snprintf(ev.carrier, sizeof(ev.carrier), "%s", carrier ? carrier : "");
	ev.status = status;
	ev.occurred_at = occurred;
	ev.received_at = received;
	OK(store_append_event(st, &ev, 7, &dup));
	assert_false(dup);
	return ev.seq;
}

/* An order with one package in status ps (status_at = at), placed at
 * placed, shipped/delivered at the given times, nconflicts conflicts. */
static void put(struct store *st, const char *order, const char *email, enum ord_status os, int64_t updated,
		enum pkg_status ps, int64_t at, int64_t placed, int64_t shipped, int64_t delivered, int64_t promised,
		size_t nconflicts)
{
	struct order_state o;
	struct package_state p;
	struct conflict c[2];
	char json[200];

	memset(&o, 0, sizeof(o));
	memset(&p, 0, sizeof(p));
	memset(c, 0, sizeof(c));
	snprintf(o.order, sizeof(o.order), "%s", order);
	snprintf(o.customer.email, sizeof(o.customer.email), "%s", email);
	o.status = os;
	o.updated_at = updated;
	o.placed_at = placed;
	o.promised_by = promised;
	snprintf(p.tracking, sizeof(p.tracking), "T-%s", order);
	snprintf(p.carrier, sizeof(p.carrier), "ups");
	p.status = ps;
	p.status_at = at;
	p.shipped_at = shipped;
	p.delivered_at = delivered;
	o.packages = &p;
	o.npackages = 1;
	o.conflicts = c;
	o.nconflicts = nconflicts;
	snprintf(json, sizeof(json), "{\"order\":\"%s\",\"status\":\"%s\",\"conflicts\":[]}", order,
		 ord_status_name(os));
	OK(store_put_order(st, &o, json));
}

static void test_visible_and_kpi_events(void **state)
{
	struct fixture *f = *state;
	struct kpi_event_row *rows = NULL;
	struct event_meta *meta = NULL;
	size_t n = 0;
	int64_t s1, s2, s3;

	OK(store_begin(f->st));
	s1 = append(f->st, 1, "A1", NULL, NULL, EV_PLACED, T0, T0 + 1000);
	OK(store_commit(f->st));
	OK(store_begin(f->st));
	s2 = append(f->st, 2, "A1", "1Z", "ups", EV_IN_TRANSIT, T0 + HOUR, T0 + HOUR + 5000);
	s3 = append(f->st, 3, "A1", "1Z", "ups", EV_DELIVERED, T0 + 2 * HOUR, T0 + 2 * HOUR + 9000);
	OK(store_mark_visible(f->st, s2, T0 + 3 * HOUR));
	OK(store_commit(f->st));
	assert_true(s1 < s2 && s2 < s3);
	/* a later stamp never moves an earlier one */
	OK(store_mark_visible(f->st, s1, T0 + 4 * HOUR));

	OK(store_kpi_events(f->st, T0, T0 + DAY, &rows, &n));
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].source, "shopify");
	assert_string_equal(rows[0].carrier, "");
	assert_false(rows[0].has_package);
	assert_int_equal(rows[0].visible_at, T0 + 4 * HOUR);
	assert_string_equal(rows[1].carrier, "ups");
	assert_true(rows[1].has_package);
	assert_int_equal(rows[1].status, EV_IN_TRANSIT);
	assert_int_equal(rows[1].occurred_at, T0 + HOUR);
	assert_int_equal(rows[1].received_at, T0 + HOUR + 5000);
	assert_int_equal(rows[1].visible_at, T0 + 3 * HOUR);
	assert_int_equal(rows[2].visible_at, T0 + 3 * HOUR);
	free(rows);
	/* the period is on received_at, [from, to) */
	OK(store_kpi_events(f->st, T0 + HOUR + 5000, T0 + 2 * HOUR + 9000, &rows, &n));
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].status, EV_IN_TRANSIT);
	free(rows);

	OK(store_event_meta(f->st, "A1", &meta, &n));
	assert_int_equal(n, 3);
	assert_string_equal(meta[0].key, "i:00000001");
	assert_int_equal(meta[0].raw_id, 7);
	assert_int_equal(meta[2].visible_at, T0 + 3 * HOUR);
	free(meta);
}

static void test_failures_by_day(void **state)
{
	struct fixture *f = *state;
	struct sync_failure_row *rows = NULL;
	size_t n = 0;

	OK(store_sync_failure_bump(f->st, "shopify", "signature", 1, T0 + HOUR));
	OK(store_sync_failure_bump(f->st, "shopify", "signature", 2, T0 + 23 * HOUR));
	OK(store_sync_failure_bump(f->st, "shopify", "rejected", 1, T0 + 2 * HOUR));
	OK(store_sync_failure_bump(f->st, "ups", "fetch", 1, T0 + DAY + HOUR)); /* next UTC day */
	assert_int_equal(store_sync_failure_bump(f->st, "", "fetch", 1, T0), WERR_INVALID);
	assert_int_equal(store_sync_failure_bump(f->st, "ups", "fetch", 0, T0), WERR_INVALID);

	OK(store_sync_failures(f->st, T0, T0 + 2 * DAY, &rows, &n));
	assert_int_equal(n, 3);
	assert_string_equal(rows[0].day, "2024-03-04");
	assert_string_equal(rows[0].kind, "rejected");
	assert_int_equal(rows[0].count, 1);
	assert_string_equal(rows[1].kind, "signature");
	assert_int_equal(rows[1].count, 3);
	assert_int_equal(rows[1].last_at, T0 + 23 * HOUR);
	assert_string_equal(rows[2].day, "2024-03-05");
	assert_string_equal(rows[2].source, "ups");
	free(rows);
	/* a period that ends at midnight does not reach into the next day */
	OK(store_sync_failures(f->st, T0, T0 + DAY, &rows, &n));
	assert_int_equal(n, 2);
	free(rows);
}

static void test_orders_search_and_queues(void **state)
{
	struct fixture *f = *state;
	struct kpi_order_row *ko = NULL;
	struct order_row *rows = NULL;
	struct quiet_row *q = NULL;
	struct web_counts c;
	size_t n = 0;

	/* B1: delivered on day 2, promised day 3, placed day 0 */
	put(f->st, "B1", "Ada@Example.com", ORD_DELIVERED, T0 + 2 * DAY, PKG_DELIVERED, T0 + 2 * DAY, T0,
	    T0 + DAY, T0 + 2 * DAY, T0 + 3 * DAY, 0);
	/* B2: in transit since day 1, one open conflict */
	put(f->st, "B2", "ada@example.com", ORD_SHIPPED, T0 + DAY, PKG_IN_TRANSIT, T0 + DAY, T0, T0 + DAY, 0, 0, 1);
	/* B3: shipped but delivered only partly: no order delivered_at */
	put(f->st, "B3", "bob@example.com", ORD_PARTIALLY_DELIVERED, T0 + 5 * DAY, PKG_DELIVERED, T0 + 5 * DAY,
	    T0 + DAY, T0 + 2 * DAY, T0 + 5 * DAY, 0, 0);

	OK(store_kpi_orders(f->st, T0, T0 + 3 * DAY, &ko, &n));
	assert_int_equal(n, 3); /* B3 only through its shipping time */
	for (size_t i = 0; i < n; i++) {
		if (!strcmp(ko[i].order, "B1")) {
			assert_int_equal(ko[i].placed_at, T0);
			assert_int_equal(ko[i].shipped_at, T0 + DAY);
			assert_int_equal(ko[i].delivered_at, T0 + 2 * DAY);
			assert_int_equal(ko[i].promised_by, T0 + 3 * DAY);
			assert_int_equal(ko[i].conflicts, 0);
		} else if (!strcmp(ko[i].order, "B2")) {
			assert_int_equal(ko[i].delivered_at, 0);
			assert_int_equal(ko[i].conflicts, 1);
		} else {
			assert_string_equal(ko[i].order, "B3");
			assert_int_equal(ko[i].delivered_at, 0); /* not the whole order */
		}
	}
	free(ko);
	OK(store_kpi_orders(f->st, T0 + 4 * DAY, T0 + 6 * DAY, &ko, &n));
	assert_int_equal(n, 1);
	assert_string_equal(ko[0].order, "B3");
	free(ko);

	OK(store_orders_by_email(f->st, "ADA@example.COM", 10, &rows, &n));
	assert_int_equal(n, 2);
	assert_string_equal(rows[0].order, "B1"); /* newest first */
	assert_string_equal(rows[1].order, "B2");
	assert_non_null(strstr(rows[0].json, "\"order\":\"B1\""));
	order_rows_free(rows, n);
	OK(store_orders_by_email(f->st, "nobody@example.com", 10, &rows, &n));
	assert_int_equal(n, 0);
	order_rows_free(rows, n);

	OK(store_conflict_orders(f->st, 10, &rows, &n));
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].order, "B2");
	order_rows_free(rows, n);

	/* quiet: carrier-held and older than the cut; delivered never */
	OK(store_quiet_packages(f->st, T0 + 3 * DAY, 10, &q, &n));
	assert_int_equal(n, 1);
	assert_string_equal(q[0].order, "B2");
	assert_string_equal(q[0].tracking, "T-B2");
	assert_int_equal(q[0].status, PKG_IN_TRANSIT);
	assert_int_equal(q[0].status_at, T0 + DAY);
	free(q);
	OK(store_quiet_packages(f->st, T0 + DAY, 10, &q, &n));
	assert_int_equal(n, 0); /* not older than the cut */
	free(q);

	OK(store_sync_failure_bump(f->st, "shopify", "signature", 4, T0 + 5 * DAY));
	OK(store_sync_failure_bump(f->st, "shopify", "signature", 9, T0 - 5 * DAY));
	OK(store_web_counts(f->st, T0 + 3 * DAY, T0, &c));
	assert_int_equal(c.conflicts, 1);
	assert_int_equal(c.quiet, 1);
	assert_int_equal(c.unmapped, 0);
	assert_int_equal(c.rejected, 0);
	assert_int_equal(c.failures, 4); /* only since T0's day */

	/* a refold without the conflict clears it */
	put(f->st, "B2", "ada@example.com", ORD_SHIPPED, T0 + DAY, PKG_IN_TRANSIT, T0 + DAY, T0, T0 + DAY, 0, 0, 0);
	OK(store_web_counts(f->st, T0 + 3 * DAY, T0, &c));
	assert_int_equal(c.conflicts, 0);
}

/* Migration 4 back-fills the new columns from the stored projections: null
 * them, run the migration's UPDATE statements again, get the same values. */
static void test_backfill_matches_put_order(void **state)
{
	struct fixture *f = *state;
	struct order_state o;
	struct package_state p[2];
	struct conflict c;
	struct buf json = BUF_INIT;
	sqlite3 *db;
	sqlite3_stmt *q;
	const char *sql = SCHEMA_V4_KPIS, *next;
	int64_t want[6], got[6];
	const char *cols = "SELECT placed_at, shipped_at, delivered_at, promised_by, conflicts,"
			   " (SELECT status_at FROM packages WHERE tracking = 'P2') FROM orders WHERE order_no = 'C1'";

	if (tempdb_is_pg())
		skip(); /* SQLite's migration 4 replayed on a SQLite file */

	memset(&o, 0, sizeof(o));
	memset(p, 0, sizeof(p));
	memset(&c, 0, sizeof(c));
	snprintf(o.order, sizeof(o.order), "C1");
	o.status = ORD_DELIVERED;
	o.flags = FLAG_CONFLICT;
	o.placed_at = T0 + 123;
	o.promised_by = T0 + 3 * DAY;
	o.updated_at = o.last_event_at = T0 + 2 * DAY;
	for (int i = 0; i < 2; i++) {
		snprintf(p[i].tracking, sizeof(p[i].tracking), "P%d", i + 1);
		snprintf(p[i].carrier, sizeof(p[i].carrier), "ups");
		p[i].status = PKG_DELIVERED;
		p[i].shipped_at = T0 + (i + 1) * HOUR + 7;
		p[i].delivered_at = T0 + (i + 1) * DAY + 9;
		p[i].status_at = p[i].delivered_at;
	}
	o.packages = p;
	o.npackages = 2;
	snprintf(c.package, sizeof(c.package), "P1");
	snprintf(c.claim_source, sizeof(c.claim_source), "shopify");
	c.claim_status = EV_RETURNED_TO_SENDER;
	c.claim_at = T0 + DAY;
	o.conflicts = &c;
	o.nconflicts = 1;
	OK(order_to_json(&o, &json));
	OK(store_put_order(f->st, &o, json.p));
	buf_release(&json);

	assert_int_equal(sqlite3_open(f->db.path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, cols, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	for (int i = 0; i < 6; i++)
		want[i] = sqlite3_column_int64(q, i);
	sqlite3_finalize(q);
	assert_int_equal(want[0], T0 + 123);
	assert_int_equal(want[1], T0 + HOUR + 7);      /* the first parcel the carrier took */
	assert_int_equal(want[2], T0 + 2 * DAY + 9);   /* the last parcel delivered */
	assert_int_equal(want[4], 1);

	assert_int_equal(sqlite3_exec(db, "UPDATE orders SET placed_at = NULL, shipped_at = NULL, delivered_at = NULL,"
					  " promised_by = NULL, conflicts = 0; UPDATE packages SET status_at = NULL",
				      NULL, NULL, NULL), SQLITE_OK);
	/* the migration's UPDATE statements, one by one (no ';' inside them) */
	while ((next = strchr(sql, ';'))) {
		if (!strncmp(sql, "UPDATE", 6)) {
			assert_int_equal(sqlite3_prepare_v2(db, sql, (int)(next - sql), &q, NULL), SQLITE_OK);
			assert_int_equal(sqlite3_step(q), SQLITE_DONE);
			sqlite3_finalize(q);
		}
		sql = next + 1;
	}
	assert_int_equal(sqlite3_prepare_v2(db, cols, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	for (int i = 0; i < 6; i++)
		got[i] = sqlite3_column_int64(q, i);
	sqlite3_finalize(q);
	sqlite3_close(db);
	for (int i = 0; i < 6; i++)
		assert_int_equal(got[i], want[i]);
}

static struct kpi_ms_row ms_row(const char *order, const char *name, const char *channel, int64_t at, int64_t left,
				bool current)
{
	struct kpi_ms_row r;

	memset(&r, 0, sizeof(r));
	snprintf(r.order, sizeof(r.order), "%s", order);
	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.channel, sizeof(r.channel), "%s", channel);
	r.reached_at = at;
	r.left_at = left;
	r.current = current;
	return r;
}

static int cmp_ms(const void *a, const void *b)
{
	const struct kpi_ms_row *x = a, *y = b;
	int c = strcmp(x->order, y->order);

	return c ? c : strcmp(x->name, y->name);
}

/* The milestone times (store_ms_put / store_ms_kpis): rows left in the
 * period and current ones come back, an order's rows are replaced whole,
 * n 0 deletes them, clear_projections empties the table and the dump
 * shows it. */
static void test_milestone_times(void **state)
{
	struct fixture *f = *state;
	struct kpi_ms_row a[3] = {
		ms_row("B-1", "po_accepted", "wholesale", T0, T0 + HOUR, false),
		ms_row("B-1", "production_started", "wholesale", T0 + HOUR, T0 + 3 * DAY, false),
		ms_row("B-1", "quality_check_passed", "wholesale", T0 + 3 * DAY, 0, true),
	};
	struct kpi_ms_row b[1] = { ms_row("B-2", "po_accepted", "", T0 - 2 * DAY, T0 - DAY, false) };
	struct kpi_ms_row *rows = NULL;
	struct buf dump = BUF_INIT;
	size_t n = 0;

	OK(store_begin(f->st));
	OK(store_ms_put(f->st, "B-1", a, 3));
	OK(store_ms_put(f->st, "B-2", b, 1));
	OK(store_commit(f->st));
	/* [T0, T0 + 2 days): B-1's po_accepted left in it; its current one is open */
	OK(store_ms_kpis(f->st, T0, T0 + 2 * DAY, &rows, &n));
	assert_int_equal(n, 2);
	qsort(rows, n, sizeof(*rows), cmp_ms);
	assert_string_equal(rows[0].name, "po_accepted");
	assert_string_equal(rows[0].channel, "wholesale");
	assert_int_equal(rows[0].reached_at, T0);
	assert_int_equal(rows[0].left_at, T0 + HOUR);
	assert_false(rows[0].current);
	assert_string_equal(rows[1].name, "quality_check_passed");
	assert_int_equal(rows[1].left_at, 0);
	assert_true(rows[1].current);
	free(rows);
	/* a wider period takes every row that left in it, B-2's empty channel as it is */
	OK(store_ms_kpis(f->st, T0 - 7 * DAY, T0 + 7 * DAY, &rows, &n));
	assert_int_equal(n, 4);
	qsort(rows, n, sizeof(*rows), cmp_ms);
	assert_string_equal(rows[3].order, "B-2");
	assert_string_equal(rows[3].channel, "");
	free(rows);
	/* replaced whole: B-1 now has one row, in another channel */
	a[0].left_at = T0 + 2 * HOUR;
	snprintf(a[0].channel, sizeof(a[0].channel), "retail");
	OK(store_begin(f->st));
	OK(store_ms_put(f->st, "B-1", a, 1));
	OK(store_ms_put(f->st, "B-2", NULL, 0));
	OK(store_commit(f->st));
	OK(store_ms_kpis(f->st, T0 - 7 * DAY, T0 + 7 * DAY, &rows, &n));
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].order, "B-1");
	assert_string_equal(rows[0].channel, "retail");
	assert_int_equal(rows[0].left_at, T0 + 2 * HOUR);
	free(rows);
	OK(store_dump_projections(f->st, &dump));
	assert_non_null(strstr(dump.p, "milestone\tB-1\tpo_accepted\tretail\t"));
	buf_release(&dump);
	OK(store_clear_projections(f->st));
	OK(store_ms_kpis(f->st, T0 - 7 * DAY, T0 + 7 * DAY, &rows, &n));
	assert_int_equal(n, 0);
	free(rows);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_visible_and_kpi_events, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failures_by_day, setup, teardown),
		cmocka_unit_test_setup_teardown(test_orders_search_and_queues, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backfill_matches_put_order, setup, teardown),
		cmocka_unit_test_setup_teardown(test_milestone_times, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
