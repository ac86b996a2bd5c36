/*
 * tempdb.h - a store of its own for one test: made in a setup, removed in
 * the teardown.  Header-only: the tests that need it are separate programs.
 *
 * The backend is chosen by the environment, so one conformance suite runs
 * against each (tests/meson.build registers every store test twice):
 *  - by default a SQLite file in a temporary directory
 *    (/tmp/wismo-NAME-XXXXXX/x.db), removed with its WAL and journal files;
 *  - with WISMO_TEST_STORE=postgres, a fresh database on a PostgreSQL server
 *    the test program starts on first use (pgserver.h) and stops at exit.
 *    Without the server programs the program prints why and exits 77
 *    (meson's "skipped").  url is then a postgres:// URI and path is "".
 * tempdb_is_pg() tells a case that checks something only one backend has
 * (a file, SQLite's WAL) to skip.
 */
#ifndef WISMO_TESTS_TEMPDB_H
#define WISMO_TESTS_TEMPDB_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef WISMO_HAVE_PG
#include "pgserver.h"
#endif

struct tempdb {
	char dir[64], path[128], url[160];
};

static inline bool tempdb_is_pg(void)
{
	const char *v = getenv("WISMO_TEST_STORE");

	return v && !strcmp(v, "postgres");
}

#ifdef WISMO_HAVE_PG
static struct pgserver tempdb_server;

static inline void tempdb_server_stop(void)
{
	pgserver_stop(&tempdb_server);
}

/* A new database on the program's server (started on first use). */
static inline int tempdb_make_pg(struct tempdb *t, const char *name)
{
	static int started, serial;
	char why[512], db[64];

	if (!started) {
		enum pgserver_result r = pgserver_start(&tempdb_server, why, sizeof(why));

		if (r == PGSERVER_UNAVAILABLE) {
			printf("skipped: %s\n", why);
			exit(77);
		}
		if (r != PGSERVER_OK) {
			fprintf(stderr, "postgresql test server: %s\n", why);
			return -1;
		}
		started = 1;
		atexit(tempdb_server_stop);
	}
	snprintf(db, sizeof(db), "t%d_%.40s", ++serial, name);
	for (char *c = db; *c; c++)
		if (!((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9')))
			*c = '_';
	t->dir[0] = t->path[0] = '\0';
	if (pgserver_create_db(&tempdb_server, db, t->url, sizeof(t->url), why, sizeof(why))) {
		fprintf(stderr, "postgresql test database: %s\n", why);
		return -1;
	}
	return 0;
}
#endif

/* Makes the store's place and fills url (and path for SQLite); -1 when it
 * cannot. */
static inline int tempdb_make(struct tempdb *t, const char *name)
{
	if (tempdb_is_pg()) {
#ifdef WISMO_HAVE_PG
		return tempdb_make_pg(t, name);
#else
		printf("skipped: this build has no postgresql backend (libpq not found)\n");
		exit(77);
#endif
	}
	snprintf(t->dir, sizeof(t->dir), "/tmp/wismo-%s-XXXXXX", name);
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/x.db", t->dir);
	snprintf(t->url, sizeof(t->url), "sqlite:%s", t->path);
	return 0;
}

/* Removes the database, its -wal, -shm and -journal files, and the
 * directory (SQLite; a PostgreSQL database goes with its server). */
static inline void tempdb_remove(const struct tempdb *t)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char p[sizeof(t->path) + 16];

	if (!t->dir[0])
		return;
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, suffixes[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

#endif
