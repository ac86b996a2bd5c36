/*
 * test_sqlite_walbuf.c - the VFS that writes WAL frames in runs
 * (src/store/sqlite_walbuf.h): a commit's frames go in a few writes, the
 * files on disk after a commit hold it whole (a copy taken with the writer
 * still open recovers it: every frame's checksum is checked), a transaction
 * that spills and rewrites pages stays consistent, and each commit is seen
 * at once by another connection of the process, also without a sync.
 */
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

#include "../../src/store/sqlite_walbuf.h"
#include "tempdb.h"

static int setup(void **state)
{
	struct tempdb *d = calloc(1, sizeof(*d));

	assert_non_null(d);
	assert_int_equal(tempdb_make(d, "walbuf"), 0);
	assert_int_equal(sq_walbuf_register(), SQLITE_OK);
	*state = d;
	return 0;
}

static int teardown(void **state)
{
	tempdb_remove(*state);
	free(*state);
	return 0;
}

static void exec(sqlite3 *db, const char *sql)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &msg);

	if (rc != SQLITE_OK)
		fail_msg("%s: %s", sql, msg ? msg : sqlite3_errstr(rc));
}

static int64_t query_int(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *q;
	int64_t v;

	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	v = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	return v;
}

static void assert_intact(sqlite3 *db)
{
	sqlite3_stmt *q;

	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &q, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(q), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(q, 0), "ok");
	sqlite3_finalize(q);
}

/* A writer through the VFS: WAL, the given sync mode, no checkpoints. */
static sqlite3 *open_writer(const char *path, const char *sync)
{
	sqlite3 *db;
	char sql[96];

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, SQ_WALBUF_VFS),
			 SQLITE_OK);
	exec(db, "PRAGMA journal_mode=WAL; PRAGMA wal_autocheckpoint=0");
	snprintf(sql, sizeof(sql), "PRAGMA synchronous=%s", sync);
	exec(db, sql);
	exec(db, "CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, k TEXT UNIQUE, v BLOB)");
	return db;
}

static sqlite3 *open_reader(const char *path)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	return db;
}

static void insert_rows(sqlite3 *db, int from, int n, int size)
{
	sqlite3_stmt *q;
	char key[32];
	void *v = malloc((size_t)size);

	assert_non_null(v);
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t(id, k, v) VALUES (?, ?, ?)", -1, &q, NULL),
			 SQLITE_OK);
	for (int i = from; i < from + n; i++) {
		memset(v, i & 0xff, (size_t)size);
		/* keys in a scattered order, so the index's pages are many */
		snprintf(key, sizeof(key), "%08x", (unsigned)i * 2654435761u);
		sqlite3_bind_int(q, 1, i);
		sqlite3_bind_text(q, 2, key, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(q, 3, v, size, SQLITE_STATIC);
		assert_int_equal(sqlite3_step(q), SQLITE_DONE);
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	free(v);
}

static void copy_file(const char *from, const char *to)
{
	char cmd[384];

	snprintf(cmd, sizeof(cmd), "cp '%s' '%s'", from, to);
	assert_int_equal(system(cmd), 0);
}

/* A commit of a few hundred pages: a few writes, and every frame on disk
 * when the commit returns. */
static void test_commit_frames_in_runs(void **state)
{
	struct tempdb *d = *state;
	sqlite3 *w = open_writer(d->path, "FULL"), *r, *copy;
	uint64_t in0, out0, in1, out1;
	char cdb[128], src[160], dst[160];

	sq_walbuf_counts(&in0, &out0);
	exec(w, "BEGIN");
	insert_rows(w, 0, 2000, 600);
	exec(w, "COMMIT");
	sq_walbuf_counts(&in1, &out1);
	/* two writes per frame came in (header and page) for ~400 pages */
	assert_true(in1 - in0 >= 2 * 300);
	assert_true(out1 - out0 <= (in1 - in0) / 20);

	r = open_reader(d->path);
	assert_int_equal(query_int(r, "SELECT count(*) FROM t"), 2000);
	assert_intact(r);
	sqlite3_close(r);

	/* the files as a crash would leave them, the writer still open: the
	 * copy's WAL is recovered frame by frame (checksums), so a frame still
	 * in memory would lose the commit */
	snprintf(cdb, sizeof(cdb), "%s/copy.db", d->dir);
	copy_file(d->path, cdb);
	snprintf(src, sizeof(src), "%s-wal", d->path);
	snprintf(dst, sizeof(dst), "%s-wal", cdb);
	copy_file(src, dst);
	assert_int_equal(sqlite3_open_v2(cdb, &copy, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
	assert_int_equal(query_int(copy, "SELECT count(*) FROM t"), 2000);
	assert_int_equal(query_int(copy, "SELECT sum(length(v)) FROM t"), 2000 * 600);
	assert_intact(copy);
	sqlite3_close(copy);
	unlink(cdb);
	unlink(dst);
	snprintf(dst, sizeof(dst), "%s-shm", cdb);
	unlink(dst);
	sqlite3_close(w);
}

/* A transaction larger than the page cache spills frames to the WAL before
 * its commit, reads them back and writes pages again over frames of the
 * same transaction. */
static void test_spill_and_rewrite(void **state)
{
	struct tempdb *d = *state;
	sqlite3 *w = open_writer(d->path, "FULL"), *r;

	exec(w, "PRAGMA cache_size=8");
	exec(w, "BEGIN");
	insert_rows(w, 0, 3000, 300);
	for (int round = 0; round < 3; round++)
		exec(w, "UPDATE t SET v = zeroblob(280 + id % 40) WHERE id % 3 = 0");
	exec(w, "DELETE FROM t WHERE id % 7 = 0");
	exec(w, "COMMIT");
	r = open_reader(d->path);
	assert_int_equal(query_int(r, "SELECT count(*) FROM t"), 3000 - 429);
	assert_int_equal(query_int(r, "SELECT count(*) FROM t WHERE id % 3 = 0 AND length(v) = 280 + id % 40"),
			 1000 - 143);
	assert_intact(r);
	sqlite3_close(r);
	/* and after a checkpoint copies it into the database file */
	exec(w, "PRAGMA wal_checkpoint(TRUNCATE)");
	r = open_reader(d->path);
	assert_int_equal(query_int(r, "SELECT count(*) FROM t"), 3000 - 429);
	assert_intact(r);
	sqlite3_close(r);
	sqlite3_close(w);
}

/* Without a sync at commit the run is flushed at the barrier that
 * publishes the commit: another connection sees every commit at once. */
static void test_each_commit_seen_without_sync(void **state)
{
	struct tempdb *d = *state;
	sqlite3 *w = open_writer(d->path, "NORMAL"), *r = open_reader(d->path);

	for (int i = 0; i < 200; i++) {
		exec(w, "BEGIN");
		insert_rows(w, i * 5, 5, 200 + i);
		exec(w, "COMMIT");
		assert_int_equal(query_int(r, "SELECT count(*) FROM t"), (i + 1) * 5);
		assert_int_equal(query_int(r, "SELECT max(length(v)) FROM t"), 200 + i);
	}
	assert_intact(r);
	sqlite3_close(r);
	sqlite3_close(w);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_commit_frames_in_runs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_spill_and_rewrite, setup, teardown),
		cmocka_unit_test_setup_teardown(test_each_commit_seen_without_sync, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
