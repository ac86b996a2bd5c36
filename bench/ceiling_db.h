/*
 * ceiling_db.h - the database the SQLite ceilings write into
 * (bench/sqlite_ceiling.c, bench/stack_ceiling.c): event rows of the shape
 * wismo stores (the events table of migration 1: a unique 34-character key,
 * an index on (order_no, seq), a JSON body), in WAL with synchronous=FULL
 * and the 16 MiB page cache wismo's writer uses.  Header-only: each bench
 * program is one file.
 */
#ifndef WISMO_BENCH_CEILING_DB_H
#define WISMO_BENCH_CEILING_DB_H

#include <stdio.h>
#include <unistd.h>

static const char ceiling_schema[] =
	"PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA cache_size=-16384;"
	"CREATE TABLE events (seq INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,"
	" source TEXT NOT NULL, order_no TEXT NOT NULL, package TEXT, status TEXT NOT NULL,"
	" occurred_at INTEGER NOT NULL, received_at INTEGER NOT NULL, raw_id INTEGER,"
	" body TEXT NOT NULL);"
	"CREATE INDEX events_order ON events(order_no, seq);";

/* Removes the database at path with its -wal and -shm, so it starts fresh. */
static inline void ceiling_remove(const char *path)
{
	char side[4096];

	unlink(path);
	snprintf(side, sizeof(side), "%s-wal", path);
	unlink(side);
	snprintf(side, sizeof(side), "%s-shm", path);
	unlink(side);
}

#endif
