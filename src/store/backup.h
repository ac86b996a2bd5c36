/*
 * backup.h - copies of a SQLite store taken while a server writes to it, putting one back, and the
 * lock that tells the two apart from a running server (`wismo backup`, `wismo restore`,
 * docs/operations.md).
 *
 * Backup: SQLite's online backup API from one read transaction on the store, so the copy is the
 * store as of one commit (the snapshot) however much the server writes meanwhile, and the server's
 * writer is never blocked by it (WAL: a reader does not stop a writer).  The pages go over
 * BACKUP_STEP_PAGES at a time with a short sleep between steps, so the copy does not take the disk
 * from the server.  It is written to FILE.tmp, synced, then renamed over FILE and the directory
 * synced: a FILE that exists is a whole backup.
 *
 * Restore: FILE must be a wismo SQLite store (SQLite's integrity_check says "ok", it has the
 * schema_migrations table, its schema version is not newer than this build's); it is copied next
 * to the target, checked there, synced, the target's old -wal, -shm and -journal files removed
 * (a log left from the old store would be read into the new one) and renamed into place.  Pending
 * migrations are applied by whatever opens the store next, as at every start.
 *
 * The serve lock: a server (serve_start) holds a shared flock(2) on a companion file "PATH.lock"
 * next to the SQLite store for its lifetime; restore takes it exclusive without waiting, and holds
 * it until the new store is in place, so a restore never replaces a store a server uses, and a
 * server does not start on a store being restored.  The lock file itself is never removed (removing
 * it would let two processes lock two different files).  The kernel drops the lock when the
 * process ends, however it ends.  A companion file rather than the database: SQLite's own locks are
 * POSIX locks on the database file, which closing any other descriptor of it would drop.
 *
 * Every function here takes a store URL; on a PostgreSQL URL backup and restore answer
 * WERR_UNSUPPORTED (pg_dump does this job there: docs/operations.md) and the serve lock is a no-op.
 * Errors are written to errbuf: lower-case, the path quoted.  Called from one thread at a time.
 */
#ifndef WISMO_STORE_BACKUP_H
#define WISMO_STORE_BACKUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/err.h"

#define BACKUP_STEP_PAGES 256 /* pages copied per step of the online backup */
#define BACKUP_STEP_SLEEP_MS 2 /* pause between two steps */

struct backup_result {
	int64_t pages;  /* pages in the copy */
	int64_t events; /* rows of the events table in the copy */
	int64_t steps;  /* steps the copy took */
};

/*
 * Copies the SQLite store of url to dest (a path).  force: replace an existing dest; else an
 * existing dest is refused with WERR_EXISTS and left alone.  WERR_UNSUPPORTED for a store that is
 * not SQLite; WERR_NOT_FOUND when the store's file does not exist; WERR_INVALID when it is not a
 * wismo store; WERR_IO or WERR_DB otherwise (dest.tmp is removed then).
 */
enum werr store_backup(const char *url, const char *dest, bool force, struct backup_result *out, char *errbuf,
		       size_t errcap);

struct restore_result {
	int schema;     /* the backup's schema version (migrations bring it to this build's at the next start) */
	int64_t events; /* rows of the events table in the restored store */
};

/*
 * Puts the SQLite store in from (a path) in place of the store of url.  WERR_BUSY when a server
 * holds the serve lock (nothing touched); WERR_INVALID when from is not a wismo SQLite store or is
 * newer than this build (nothing touched); WERR_UNSUPPORTED for a store that is not SQLite;
 * WERR_NOT_FOUND when from does not exist; WERR_IO otherwise.  The target's directory must exist.
 */
enum werr store_restore(const char *url, const char *from, struct restore_result *out, char *errbuf,
			size_t errcap);

/* The serve lock: *fd gets the lock file's descriptor, or -1 for a store that has none
 * (PostgreSQL).  exclusive: restore's; else a server's (several servers may share it).  Never waits:
 * WERR_BUSY when the lock is held the other way.  Release with store_lock_release(fd), which
 * accepts -1. */
enum werr store_lock_take(const char *url, bool exclusive, int *fd, char *errbuf, size_t errcap);
void store_lock_release(int fd);

#endif
