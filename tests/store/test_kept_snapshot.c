/*
 * test_kept_snapshot.c - STORE_KEEP_SNAPSHOT on SQLite (store.h,
 * src/store/store_sqlite.c "Kept snapshots"): a lookup thread's handle
 * reuses its read snapshot, a commit of this process ends it at once,
 * another process's commit only once the snapshot is older than its bound
 * (set to 10 s here, so a reuse shows), a checkpoint ends it while the handle
 * is not in use, and while it is once its use ends, a transaction of the caller
 * starts fresh, and a handle used outside enter/leave reads as any handle.
 *
 * "Another process" is a plain SQLite connection of this program: it commits
 * without the store's WAL hook, as a second process would.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <sqlite3.h>

#include "../../src/store/store.h"
#include "tempdb.h"

struct fx {
	struct tempdb db;
	struct store *w;  /* this process's writer (its commits are counted) */
	struct store *r;  /* a lookup thread's handle */
	sqlite3 *other;   /* another process's connection */
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char msg[256];

	assert_non_null(f);
	assert_int_equal(tempdb_make(&f->db, "kept"), 0);
	setenv("WISMO_SQLITE_SNAPSHOT_US", "10000000", 1);
	assert_int_equal(store_sqlite_open(f->db.path, 0, &f->w, msg, sizeof(msg)), WERR_OK);
	assert_int_equal(store_sqlite_open(f->db.path, STORE_READONLY | STORE_KEEP_SNAPSHOT, &f->r, msg, sizeof(msg)),
			 WERR_OK);
	assert_int_equal(sqlite3_open_v2(f->db.path, &f->other, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	sqlite3_busy_timeout(f->other, 5000);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	sqlite3_close(f->other);
	store_close(f->r);
	store_close(f->w);
	unsetenv("WISMO_SQLITE_SNAPSHOT_US");
	tempdb_remove(&f->db);
	free(f);
	return 0;
}

/* Another process stores order no. */
static void other_puts(struct fx *f, const char *no)
{
	char sql[256];

	snprintf(sql, sizeof(sql),
		 "INSERT INTO orders(order_no, status, updated_at, json) VALUES('%s', 'placed', 1, '{\"order\":\"%s\"}')",
		 no, no);
	assert_int_equal(sqlite3_exec(f->other, sql, NULL, NULL, NULL), SQLITE_OK);
}

/* This process commits something (any commit counts). */
static void we_commit(struct fx *f, int n)
{
	struct api_key k = { .role = ROLE_ADMIN, .created_at = 1 };
	char hash[65];
	int64_t id;

	snprintf(hash, sizeof(hash), "%064d", n);
	snprintf(k.prefix, sizeof(k.prefix), "wsm_%d", n);
	assert_int_equal(store_begin(f->w), WERR_OK);
	assert_int_equal(store_key_put(f->w, hash, &k, &id), WERR_OK);
	assert_int_equal(store_commit(f->w), WERR_OK);
}

static bool has(struct store *st, const char *no)
{
	char *json = NULL;
	enum werr err = store_get_order(st, no, &json);

	assert_true(err == WERR_OK || err == WERR_NOT_FOUND);
	free(json);
	return err == WERR_OK;
}

static void test_reused_until_this_process_commits(void **state)
{
	struct fx *f = *state;

	store_reader_enter(f->r);
	assert_false(has(f->r, "a"));
	other_puts(f, "a");
	assert_false(has(f->r, "a")); /* the same snapshot */
	store_reader_leave(f->r);
	store_reader_enter(f->r); /* and across uses */
	assert_false(has(f->r, "a"));
	we_commit(f, 1);
	assert_true(has(f->r, "a")); /* a fresh one */
	store_reader_leave(f->r);
}

static void test_checkpoint_ends_an_unused_one(void **state)
{
	struct fx *f = *state;

	store_reader_enter(f->r);
	assert_false(has(f->r, "b"));
	store_reader_leave(f->r);
	other_puts(f, "b");
	assert_int_equal(store_checkpoint(f->w, true, NULL), WERR_OK);
	store_reader_enter(f->r);
	assert_true(has(f->r, "b"));
	store_reader_leave(f->r);
}

static void test_checkpoint_leaves_one_in_use(void **state)
{
	struct fx *f = *state;

	store_reader_enter(f->r);
	assert_false(has(f->r, "c"));
	other_puts(f, "c");
	assert_int_equal(store_checkpoint(f->w, false, NULL), WERR_OK);
	assert_false(has(f->r, "c"));
	store_reader_leave(f->r);
}

static void *rewind_log(void *p)
{
	struct fx *f = p;

	assert_int_equal(store_checkpoint(f->w, true, NULL), WERR_OK);
	return NULL;
}

/* A handle in use when a checkpoint starts lets go of its snapshot when its
 * use ends, so the restart of the log (which waits up to 100 ms for every
 * reader to leave it) succeeds: the next commit is written at the log's
 * start. */
static void test_checkpoint_restarts_once_use_ends(void **state)
{
	struct fx *f = *state;
	char no[16];
	pthread_t t;
	int64_t logged = 0;

	for (int i = 0; i < 20; i++) {
		snprintf(no, sizeof(no), "g%d", i);
		other_puts(f, no);
	}
	store_reader_enter(f->r);
	assert_true(has(f->r, "g0")); /* a snapshot that reads the log */
	assert_int_equal(pthread_create(&t, NULL, rewind_log, f), 0);
	usleep(20 * 1000);
	store_reader_leave(f->r);
	assert_int_equal(pthread_join(t, NULL), 0);
	other_puts(f, "h");
	assert_int_equal(store_checkpoint(f->w, false, &logged), WERR_OK);
	assert_in_range(logged, 1, 10);
}

static void test_own_transaction_is_fresh(void **state)
{
	struct fx *f = *state;

	store_reader_enter(f->r);
	assert_false(has(f->r, "d"));
	other_puts(f, "d");
	assert_int_equal(store_begin(f->r), WERR_OK);
	assert_true(has(f->r, "d"));
	assert_int_equal(store_commit(f->r), WERR_OK);
	store_reader_leave(f->r);
}

static void test_outside_enter_reads_as_any_handle(void **state)
{
	struct fx *f = *state;

	store_reader_enter(f->r);
	assert_false(has(f->r, "e"));
	store_reader_leave(f->r);
	other_puts(f, "e");
	assert_true(has(f->r, "e"));
	other_puts(f, "f");
	assert_true(has(f->r, "f"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_reused_until_this_process_commits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_ends_an_unused_one, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_leaves_one_in_use, setup, teardown),
		cmocka_unit_test_setup_teardown(test_checkpoint_restarts_once_use_ends, setup, teardown),
		cmocka_unit_test_setup_teardown(test_own_transaction_is_fresh, setup, teardown),
		cmocka_unit_test_setup_teardown(test_outside_enter_reads_as_any_handle, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
