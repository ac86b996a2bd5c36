/*
 * test_retention.c - the raw-payload purge (app/retention.h,
 * docs/privacy.md): its setting, one pass in batches, and the thread,
 * which purges at start and stops on request.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../store/tempdb.h"
#include "app/retention.h"
#include "base/clock.h"
#include "base/banned.h"

#define DAY INT64_C(86400000)

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
	if (tempdb_make(&f->db, "retention"))
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

/* n distinct bodies received at `at` */
static void put_raws(struct store *st, int n, int64_t at, int64_t *first_id)
{
	for (int i = 0; i < n; i++) {
		char body[64];
		int64_t id;
		snprintf(body, sizeof(body), "{\"n\":%d,\"at\":%lld}", i, (long long)at);
		assert_int_equal(store_put_raw(st, "shopify", "application/json", body, strlen(body), at, &id), WERR_OK);
		if (i == 0 && first_id)
			*first_id = id;
	}
}

static bool raw_exists(struct store *st, int64_t id)
{
	struct buf b = BUF_INIT;
	char ct[128];
	enum werr err = store_raw_get(st, id, ct, &b);

	buf_release(&b);
	return err == WERR_OK;
}

static void test_setting(void **state)
{
	struct retention_config c = { 0 };

	(void)state;
	assert_int_equal(retention_raw_days(&c), RETENTION_RAW_DAYS_DEFAULT);
	assert_int_equal(retention_config_set(&c, "web", "raw_days", "3"), 0);
	assert_int_equal(retention_config_set(&c, "retention", "raw_days", "7"), 1);
	assert_int_equal(retention_raw_days(&c), 7);
	assert_int_equal(retention_config_set(&c, "retention", "raw_days", "0"), -1);
	assert_int_equal(retention_config_set(&c, "retention", "raw_days", "7d"), -1);
	assert_int_equal(retention_config_set(&c, "retention", "interval", "60"), 1);
	assert_int_equal(retention_config_set(&c, "retention", "keep", "1"), -1);
}

static void test_purge_pass_in_batches(void **state)
{
	struct fixture *f = *state;
	int64_t now = clock_wall_ms(), old_id = 0, young_id = 0, deleted = -1;

	put_raws(f->st, 7, now - 31 * DAY, &old_id);
	put_raws(f->st, 2, now - 29 * DAY, &young_id);
	/* 7 rows in batches of 3: three statements, 7 rows */
	assert_int_equal(retention_purge(f->st, 30, 3, 0, now, &deleted), WERR_OK);
	assert_int_equal(deleted, 7);
	assert_false(raw_exists(f->st, old_id));
	assert_true(raw_exists(f->st, young_id));
	assert_int_equal(retention_purge(f->st, 30, 3, 0, now, &deleted), WERR_OK);
	assert_int_equal(deleted, 0);
}

static void test_thread_purges_and_stops(void **state)
{
	struct fixture *f = *state;
	struct retention_config c = { 0 };
	struct retention *r = NULL;
	int64_t now = clock_wall_ms(), old_id = 0, young_id = 0;
	char why[128];
	int waited = 0;

	put_raws(f->st, RETENTION_BATCH + 20, now - 3 * DAY, &old_id);
	put_raws(f->st, 1, now - DAY / 2, &young_id);
	c.raw_days = 1;
	assert_int_equal(retention_start(f->db.url, &c, &r, why, sizeof(why)), WERR_OK);
	while (raw_exists(f->st, old_id + RETENTION_BATCH + 19) && waited < 5000) {
		struct timespec ts = { 0, 10 * 1000000L };
		nanosleep(&ts, NULL);
		waited += 10;
	}
	retention_stop(r);
	assert_false(raw_exists(f->st, old_id));
	assert_false(raw_exists(f->st, old_id + RETENTION_BATCH + 19));
	assert_true(raw_exists(f->st, young_id));
	retention_stop(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_setting),
		cmocka_unit_test_setup_teardown(test_purge_pass_in_batches, setup, teardown),
		cmocka_unit_test_setup_teardown(test_thread_purges_and_stops, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
