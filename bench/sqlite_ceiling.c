/*
 * sqlite_ceiling.c - the durable-ingest ceiling: event rows of the shape
 * wismo stores (the events table of migration 1: a unique 34-character key,
 * an index on (order_no, seq), a JSON body of the size event_to_json
 * writes) inserted straight into SQLite, BATCH rows per transaction, WAL and
 * synchronous=FULL as wismo's writer uses.  No HTTP, no parsing, no
 * projections: what the disk and SQLite allow.
 *
 *   sqlite_ceiling PATH BATCH SECONDS [PRELOAD]
 *
 * Prints rows_per_s=... ; PATH is created fresh (and its -wal removed).
 * With PRELOAD, that many rows are inserted first (synchronous=OFF, not
 * measured), so the ceiling is measured at a size: the b-trees of a large
 * table no longer fit the page cache, and every insert into the unique key
 * index lands on a page of its own.
 */
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ceiling_db.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int check(sqlite3 *db, int rc, const char *what)
{
	if (rc != SQLITE_OK && rc != SQLITE_DONE) {
		fprintf(stderr, "sqlite_ceiling: %s: %s\n", what, sqlite3_errmsg(db));
		exit(1);
	}
	return rc;
}

int main(int argc, char **argv)
{
	sqlite3 *db;
	sqlite3_stmt *ins, *begin, *commit;
	char key[64], order[32], body[512];
	long batch;
	double secs, t0, t;
	unsigned long long n = 0, measured = 0, preload = 0;

	if (argc == 5)
		preload = strtoull(argv[4], NULL, 10);
	if ((argc != 4 && argc != 5) || (batch = strtol(argv[2], NULL, 10)) < 1 || (secs = strtod(argv[3], NULL)) <= 0 ||
	    secs > 600) {
		fprintf(stderr, "usage: sqlite_ceiling PATH BATCH SECONDS [PRELOAD]\n");
		return 2;
	}
	ceiling_remove(argv[1]);
	check(NULL, sqlite3_open(argv[1], &db), "open");
	check(db, sqlite3_exec(db, ceiling_schema, NULL, NULL, NULL), "schema");
	check(db, sqlite3_prepare_v2(db,
				     "INSERT INTO events(key, source, order_no, package, status, occurred_at,"
				     " received_at, raw_id, body) VALUES(?1, 'ups', ?2, ?3, 'in_transit', ?4, ?5,"
				     " NULL, ?6) ON CONFLICT(key) DO NOTHING",
				     -1, &ins, NULL),
	      "prepare");
	check(db, sqlite3_prepare_v2(db, "BEGIN IMMEDIATE", -1, &begin, NULL), "prepare");
	check(db, sqlite3_prepare_v2(db, "COMMIT", -1, &commit, NULL), "prepare");
	if (preload)
		check(db, sqlite3_exec(db, "PRAGMA synchronous=OFF", NULL, NULL, NULL), "preload");
	t0 = now_s();
	do {
		if (preload && n >= preload) {
			/* the measured part starts here, durable again */
			check(db, sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE); PRAGMA synchronous=FULL", NULL,
					       NULL, NULL), "preload");
			preload = 0;
			t0 = now_s();
		}
		long rows = preload ? 10000 : batch;
		check(db, sqlite3_step(begin), "begin");
		sqlite3_reset(begin);
		for (long i = 0; i < rows; i++, n++) {
			unsigned long long h = (n + 1) * 0x9E3779B97F4A7C15ULL;
			int blen;
			snprintf(key, sizeof(key), "i:%016llx%016llx", h, h ^ 0xabcdefULL);
			snprintf(order, sizeof(order), "c%llu", n / 10);
			blen = snprintf(body, sizeof(body),
					"{\"key\":\"%s\",\"source\":\"ups\",\"id\":\"b-%llu\",\"order\":\"%s\","
					"\"package\":\"1Z%s\",\"carrier\":\"ups\",\"status\":\"in_transit\","
					"\"detail\":null,\"description\":null,\"action_required\":null,"
					"\"occurred_at\":\"2026-11-20T09:00:00Z\",\"estimated_delivery\":null,"
					"\"location\":{\"city\":\"Louisville\",\"region\":\"KY\",\"country\":\"US\"},"
					"\"seq\":0,\"received_at\":\"2026-11-21T10:02:11.023Z\"}",
					key, n, order, order);
			sqlite3_bind_text(ins, 1, key, -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 2, order, -1, SQLITE_STATIC);
			sqlite3_bind_text(ins, 3, order, -1, SQLITE_STATIC);
			sqlite3_bind_int64(ins, 4, 1795000000000LL + (long long)n);
			sqlite3_bind_int64(ins, 5, 1795000000000LL + (long long)n);
			sqlite3_bind_text(ins, 6, body, blen, SQLITE_STATIC);
			check(db, sqlite3_step(ins), "insert");
			sqlite3_reset(ins);
			measured += !preload;
		}
		check(db, sqlite3_step(commit), "commit");
		sqlite3_reset(commit);
		t = now_s();
	} while (preload || t - t0 < secs);
	printf("rows_per_s=%.0f rows=%llu batch=%ld\n", (double)measured / (t - t0), measured, batch);
	sqlite3_finalize(ins);
	sqlite3_finalize(begin);
	sqlite3_finalize(commit);
	sqlite3_close(db);
	return 0;
}
