/*
 * tempdb.h - a SQLite store in a temporary directory for one test
 * (/tmp/wismo-NAME-XXXXXX/x.db): made in a setup, removed with its WAL and
 * journal files in the teardown.  Header-only: the tests that need it are
 * separate programs.
 */
#ifndef WISMO_TESTS_TEMPDB_H
#define WISMO_TESTS_TEMPDB_H

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

struct tempdb {
	char dir[64], path[128], url[160];
};

/* Makes the directory and fills path and url; -1 when it cannot. */
static inline int tempdb_make(struct tempdb *t, const char *name)
{
	snprintf(t->dir, sizeof(t->dir), "/tmp/wismo-%s-XXXXXX", name);
	if (!mkdtemp(t->dir))
		return -1;
	snprintf(t->path, sizeof(t->path), "%s/x.db", t->dir);
	snprintf(t->url, sizeof(t->url), "sqlite:%s", t->path);
	return 0;
}

/* Removes the database, its -wal, -shm and -journal files, and the directory. */
static inline void tempdb_remove(const struct tempdb *t)
{
	static const char *const suffixes[] = { "", "-wal", "-shm", "-journal" };
	char p[sizeof(t->path) + 16];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++) {
		snprintf(p, sizeof(p), "%s%s", t->path, suffixes[i]);
		unlink(p);
	}
	rmdir(t->dir);
}

#endif
