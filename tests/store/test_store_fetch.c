/*
 * test_store_fetch.c - fetch jobs (store.h, struct store_fetch_ops): the
 * writer commits a webhook body and its fetch job together; the fetcher's
 * handle reads the due jobs, reschedules a failed attempt, deletes a done
 * job and keeps a given-up one.  A fresh SQLite file per case.
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

#include "tempdb.h"
#include "store/writer.h"

#include "base/banned.h"

struct fx {
	struct tempdb db;
	struct writer *w;
	struct store *st;
	struct policy pol;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char why[256];

	if (!f || tempdb_make(&f->db, "fetch"))
		return -1;
	policy_init_defaults(&f->pol);
	if (writer_new(f->db.url, &f->pol, 0, &f->w, why, sizeof(why)))
		return -1;
	if (store_open(f->db.url, 0, &f->st, why, sizeof(why)))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	writer_stop(f->w);
	writer_free(f->w);
	tempdb_remove(&f->db);
	free(f);
	return 0;
}

static const char NOTE[] = "{\"resource_url\":\"https://ssapi.shipstation.com/shipments?batchId=1\","
			   "\"resource_type\":\"SHIP_NOTIFY\"}";

/* What the webhook route submits for a body that calls for a fetch. */
static void put_job(struct fx *f, int64_t at)
{
	struct writer_job job = { 0 };

	job.source = "shipstation";
	job.content_type = "application/json";
	job.raw = NOTE;
	job.rawlen = strlen(NOTE);
	job.fetch_later = true;
	job.received_at = at;
	assert_int_equal(writer_submit_wait(f->w, &job), WERR_OK);
}

static void test_12_7_body_and_fetch_job_commit_together(void **state)
{
	struct fx *f = *state;
	struct fetch_row *rows = NULL;
	struct buf body = BUF_INIT;
	char ctype[128];
	size_t n = 0;
	int64_t pending, failed;

	put_job(f, 1000);
	assert_int_equal(store_fetch_due(f->st, 1000, 10, &rows, &n), WERR_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].source, "shipstation");
	assert_int_equal(rows[0].received_at, 1000);
	assert_int_equal(rows[0].attempts, 0);
	/* the job names the body as it was received */
	assert_int_equal(store_raw_get(f->st, rows[0].raw_id, ctype, &body), WERR_OK);
	assert_string_equal(ctype, "application/json");
	assert_int_equal(body.len, strlen(NOTE));
	assert_memory_equal(body.p, NOTE, body.len);
	/* nothing else is due */
	free(rows);
	assert_int_equal(store_fetch_due(f->st, 999, 10, &rows, &n), WERR_OK);
	assert_int_equal(n, 0);
	free(rows);
	assert_int_equal(store_fetch_counts(f->st, &pending, &failed), WERR_OK);
	assert_int_equal(pending, 1);
	assert_int_equal(failed, 0);
	buf_release(&body);
}

static void test_12_7_failed_fetch_is_rescheduled_then_finished(void **state)
{
	struct fx *f = *state;
	struct fetch_row *rows = NULL;
	size_t n = 0;
	int64_t id, pending, failed;

	put_job(f, 1000);
	put_job(f, 2000);
	assert_int_equal(store_fetch_due(f->st, 5000, 10, &rows, &n), WERR_OK);
	assert_int_equal(n, 2);
	id = rows[0].id;
	assert_int_equal(rows[0].received_at, 1000); /* oldest first */
	free(rows);
	/* a failed attempt: not due until its next time */
	assert_int_equal(store_fetch_retry(f->st, id, 1, 300000, "the API answered HTTP 401"), WERR_OK);
	assert_int_equal(store_fetch_due(f->st, 5000, 10, &rows, &n), WERR_OK);
	assert_int_equal(n, 1);
	assert_true(rows[0].id != id);
	free(rows);
	assert_int_equal(store_fetch_due(f->st, 300000, 10, &rows, &n), WERR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(rows[1].id, id);
	assert_int_equal(rows[1].attempts, 1);
	/* one done (deleted), one given up (kept, never due again) */
	assert_int_equal(store_fetch_finish(f->st, rows[0].id, false, NULL, 6000), WERR_OK);
	assert_int_equal(store_fetch_finish(f->st, id, true, "gave up", 6000), WERR_OK);
	assert_int_equal(store_fetch_finish(f->st, id, false, NULL, 6000), WERR_NOT_FOUND);
	assert_int_equal(store_fetch_retry(f->st, id, 2, 0, "late"), WERR_NOT_FOUND);
	free(rows);
	assert_int_equal(store_fetch_due(f->st, INT64_MAX, 10, &rows, &n), WERR_OK);
	assert_int_equal(n, 0);
	free(rows);
	assert_int_equal(store_fetch_counts(f->st, &pending, &failed), WERR_OK);
	assert_int_equal(pending, 0);
	assert_int_equal(failed, 1);
}

int main(void)
{
#define T(fn) cmocka_unit_test_setup_teardown(fn, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_12_7_body_and_fetch_job_commit_together),
		T(test_12_7_failed_fetch_is_rescheduled_then_finished),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
