/*
 * store_sqlite_backup.c - a SQLite store copied while a server writes to it, put back, and the
 * serve lock between a server and a restore (backup.h has the contract, docs/operations.md the
 * procedures).
 *
 * Why one read transaction around the whole backup: sqlite3_backup_step() restarts from the first
 * page whenever another connection writes the source between two steps, so under a server's steady
 * writes a backup taken in small steps might never end.  Holding a read transaction on the source
 * connection pins one WAL snapshot: every step reads that snapshot, nothing restarts, and the copy
 * is the store as of that commit.  A WAL reader blocks no writer; it only keeps the checkpointer
 * from copying frames past the snapshot into the database until the backup ends.
 */
#include "backup.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "store.h"
#include "../base/banned.h"

#define PATH_CAP 4096

static void set_err(char *errbuf, size_t errcap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void set_err(char *errbuf, size_t errcap, const char *fmt, ...)
{
	va_list ap;

	if (!errbuf || !errcap)
		return;
	va_start(ap, fmt);
	vsnprintf(errbuf, errcap, fmt, ap);
	va_end(ap);
}

/* The file of a sqlite: URL, or NULL for any other store. */
static const char *sqlite_path(const char *url)
{
	return url && !strncmp(url, "sqlite:", 7) && url[7] ? url + 7 : NULL;
}

/* path + suffix into out; false when it does not fit. */
static bool path_with(char out[PATH_CAP], const char *path, const char *suffix)
{
	int n = snprintf(out, PATH_CAP, "%s%s", path, suffix);

	return n > 0 && n < PATH_CAP;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int fsync_path(const char *path, bool dir)
{
	int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDWR) | O_CLOEXEC), rc;

	if (fd < 0)
		return -1;
	rc = fsync(fd);
	close(fd);
	return rc;
}

/* Syncs the directory holding path, so that a rename in it survives a crash. */
static int fsync_parent(const char *path)
{
	char copy[PATH_CAP];

	snprintf(copy, sizeof(copy), "%s", path);
	return fsync_path(dirname(copy), true);
}

/* Removes SQLite's companion files of path (-wal, -shm, -journal). */
static void unlink_companions(const char *path)
{
	static const char *const suffixes[] = { "-wal", "-shm", "-journal" };
	char p[PATH_CAP];

	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (path_with(p, path, suffixes[i]))
			unlink(p);
}

static bool same_file(const char *a, const char *b)
{
	struct stat sa, sb;

	return !stat(a, &sa) && !stat(b, &sb) && sa.st_dev == sb.st_dev && sa.st_ino == sb.st_ino;
}

/* One integer from a query of one row, one column; false on any error (message in errbuf). */
static bool query_int(sqlite3 *db, const char *sql, int64_t *out, const char *what, char *errbuf, size_t errcap)
{
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL);

	if (rc == SQLITE_OK && (rc = sqlite3_step(st)) == SQLITE_ROW) {
		*out = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
		return true;
	}
	set_err(errbuf, errcap, "%s: %s", what, sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return false;
}

enum werr store_lock_take(const char *url, bool exclusive, int *fd, char *errbuf, size_t errcap)
{
	const char *path = sqlite_path(url);
	char lock[PATH_CAP];
	int f;

	*fd = -1;
	if (!path)
		return WERR_OK;
	if (!path_with(lock, path, ".lock")) {
		set_err(errbuf, errcap, "store path too long");
		return WERR_INVALID;
	}
	if ((f = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) < 0) {
		set_err(errbuf, errcap, "unable to open lock file '%s': %s", lock, strerror(errno));
		return WERR_IO;
	}
	if (flock(f, (exclusive ? LOCK_EX : LOCK_SH) | LOCK_NB)) {
		int e = errno;

		close(f);
		if (e == EWOULDBLOCK) {
			set_err(errbuf, errcap,
				exclusive ? "a server is running on '%s' (it holds '%s'): stop it first"
					  : "a restore is replacing '%s' (it holds '%s'): start the server when it is done",
				path, lock);
			return WERR_BUSY;
		}
		set_err(errbuf, errcap, "unable to lock '%s': %s", lock, strerror(e));
		return WERR_IO;
	}
	*fd = f;
	return WERR_OK;
}

void store_lock_release(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

/* Whether db is a wismo store: schema_migrations and events exist.  *version gets the schema
 * version.  false with the reason in errbuf. */
static bool is_wismo(sqlite3 *db, const char *path, int64_t *version, char *errbuf, size_t errcap)
{
	int64_t n = 0;

	if (!query_int(db,
		       "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('schema_migrations', 'events')",
		       &n, path, errbuf, errcap))
		return false;
	if (n != 2) {
		set_err(errbuf, errcap, "'%s' is not a wismo store (no schema_migrations or events table)", path);
		return false;
	}
	return query_int(db, "SELECT coalesce(max(version), 0) FROM schema_migrations", version, path, errbuf, errcap);
}

enum werr store_backup(const char *url, const char *dest, bool force, struct backup_result *out, char *errbuf,
		       size_t errcap)
{
	const char *path = sqlite_path(url);
	char tmp[PATH_CAP];
	sqlite3 *src = NULL, *dst = NULL;
	sqlite3_backup *bk = NULL;
	struct stat sb;
	int64_t version = 0;
	enum werr err = WERR_DB;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!path) {
		set_err(errbuf, errcap, "backup copies SQLite stores only");
		return WERR_UNSUPPORTED;
	}
	if (!dest || !*dest || !path_with(tmp, dest, ".tmp")) {
		set_err(errbuf, errcap, "no usable backup file name");
		return WERR_INVALID;
	}
	if (stat(path, &sb) || !S_ISREG(sb.st_mode)) {
		set_err(errbuf, errcap, "no store at '%s'", path);
		return WERR_NOT_FOUND;
	}
	if (same_file(path, dest)) {
		set_err(errbuf, errcap, "'%s' is the store itself", dest);
		return WERR_INVALID;
	}
	if (!force && !lstat(dest, &sb)) {
		set_err(errbuf, errcap, "'%s' exists (--force replaces it)", dest);
		return WERR_EXISTS;
	}
	if (sqlite3_open_v2(path, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		set_err(errbuf, errcap, "unable to open '%s': %s", path, sqlite3_errmsg(src));
		goto out;
	}
	sqlite3_busy_timeout(src, 5000);
	/* the snapshot: from here to the end every read sees the same commit */
	if (sqlite3_exec(src, "BEGIN", NULL, NULL, NULL) != SQLITE_OK) {
		set_err(errbuf, errcap, "unable to read '%s': %s", path, sqlite3_errmsg(src));
		goto out;
	}
	if (!is_wismo(src, path, &version, errbuf, errcap)) {
		err = WERR_INVALID;
		goto out;
	}
	unlink(tmp);
	unlink_companions(tmp);
	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		set_err(errbuf, errcap, "unable to create '%s': %s", tmp, sqlite3_errmsg(dst));
		err = WERR_IO;
		goto out;
	}
	if (!(bk = sqlite3_backup_init(dst, "main", src, "main"))) {
		set_err(errbuf, errcap, "unable to start the backup: %s", sqlite3_errmsg(dst));
		goto out;
	}
	for (;;) {
		rc = sqlite3_backup_step(bk, BACKUP_STEP_PAGES);
		out->steps++;
		if (rc == SQLITE_DONE)
			break;
		if (rc != SQLITE_OK && rc != SQLITE_BUSY && rc != SQLITE_LOCKED) {
			set_err(errbuf, errcap, "backup of '%s' failed: %s", path, sqlite3_errstr(rc));
			err = rc == SQLITE_FULL || rc == SQLITE_IOERR ? WERR_IO : WERR_DB;
			goto out;
		}
		sleep_ms(BACKUP_STEP_SLEEP_MS);
	}
	out->pages = sqlite3_backup_pagecount(bk);
	rc = sqlite3_backup_finish(bk);
	bk = NULL;
	if (rc != SQLITE_OK) {
		set_err(errbuf, errcap, "backup of '%s' failed: %s", path, sqlite3_errstr(rc));
		goto out;
	}
	sqlite3_exec(src, "COMMIT", NULL, NULL, NULL);
	sqlite3_close(src);
	src = NULL;
	/* what the copy holds, read from the copy */
	if (!query_int(dst, "SELECT count(*) FROM events", &out->events, tmp, errbuf, errcap))
		goto out;
	if (sqlite3_close(dst) != SQLITE_OK) {
		set_err(errbuf, errcap, "unable to close '%s'", tmp);
		goto out;
	}
	dst = NULL;
	unlink_companions(tmp); /* a clean close leaves none; the copy is whole in tmp */
	if (fsync_path(tmp, false) || rename(tmp, dest) || fsync_parent(dest)) {
		set_err(errbuf, errcap, "unable to write '%s': %s", dest, strerror(errno));
		err = WERR_IO;
		goto out;
	}
	err = WERR_OK;
out:
	if (bk)
		sqlite3_backup_finish(bk);
	sqlite3_close(dst);
	sqlite3_close(src);
	if (err) {
		unlink(tmp);
		unlink_companions(tmp);
	}
	return err;
}

/* Copies from to to (created, 0600), synced. */
static enum werr copy_file(const char *from, const char *to, char *errbuf, size_t errcap)
{
	char block[65536];
	int in = open(from, O_RDONLY | O_CLOEXEC), o = -1;
	enum werr err = WERR_IO;
	ssize_t n;

	if (in < 0) {
		set_err(errbuf, errcap, "unable to open '%s': %s", from, strerror(errno));
		return WERR_IO;
	}
	if ((o = open(to, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0) {
		set_err(errbuf, errcap, "unable to create '%s': %s", to, strerror(errno));
		goto out;
	}
	while ((n = read(in, block, sizeof(block))) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			set_err(errbuf, errcap, "unable to read '%s': %s", from, strerror(errno));
			goto out;
		}
		for (ssize_t done = 0, w; done < n; done += w)
			if ((w = write(o, block + done, (size_t)(n - done))) < 0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				set_err(errbuf, errcap, "unable to write '%s': %s", to, strerror(errno));
				goto out;
			}
	}
	if (fsync(o)) {
		set_err(errbuf, errcap, "unable to write '%s': %s", to, strerror(errno));
		goto out;
	}
	err = WERR_OK;
out:
	if (o >= 0 && close(o) && !err) {
		set_err(errbuf, errcap, "unable to write '%s': %s", to, strerror(errno));
		err = WERR_IO;
	}
	close(in);
	return err;
}

/* Checks that path (the copy next to the target) is a sound wismo store this build can open. */
static enum werr check_copy(const char *path, const char *from, struct restore_result *out, char *errbuf,
			    size_t errcap)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *st = NULL;
	int64_t version = 0;
	enum werr err = WERR_INVALID;
	int rc;

	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		set_err(errbuf, errcap, "unable to open a copy of '%s': %s", from, sqlite3_errmsg(db));
		err = WERR_IO;
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	rc = sqlite3_prepare_v2(db, "PRAGMA integrity_check(1)", -1, &st, NULL);
	if (rc != SQLITE_OK || (rc = sqlite3_step(st)) != SQLITE_ROW) {
		set_err(errbuf, errcap, "'%s' is not a wismo store: %s", from, sqlite3_errmsg(db));
		goto out;
	}
	if (strcmp((const char *)sqlite3_column_text(st, 0), "ok")) {
		set_err(errbuf, errcap, "'%s' fails SQLite's integrity check: %.120s", from,
			(const char *)sqlite3_column_text(st, 0));
		goto out;
	}
	sqlite3_finalize(st);
	st = NULL;
	if (!is_wismo(db, from, &version, errbuf, errcap) ||
	    !query_int(db, "SELECT count(*) FROM events", &out->events, from, errbuf, errcap))
		goto out;
	if (version > store_schema_version()) {
		set_err(errbuf, errcap, "'%s' has schema version %lld, newer than this wismo's %d: restore it with "
			"the wismo that wrote it", from, (long long)version, store_schema_version());
		goto out;
	}
	out->schema = (int)version;
	err = WERR_OK;
out:
	sqlite3_finalize(st);
	if (sqlite3_close(db) != SQLITE_OK && !err) {
		set_err(errbuf, errcap, "unable to close a copy of '%s'", from);
		err = WERR_IO;
	}
	return err;
}

enum werr store_restore(const char *url, const char *from, struct restore_result *out, char *errbuf,
			size_t errcap)
{
	const char *path = sqlite_path(url);
	char tmp[PATH_CAP];
	struct stat sb;
	enum werr err;
	int lock = -1;

	memset(out, 0, sizeof(*out));
	if (!path) {
		set_err(errbuf, errcap, "restore replaces SQLite stores only");
		return WERR_UNSUPPORTED;
	}
	if (!from || stat(from, &sb) || !S_ISREG(sb.st_mode)) {
		set_err(errbuf, errcap, "no backup file '%s'", from ? from : "");
		return WERR_NOT_FOUND;
	}
	if (same_file(path, from)) {
		set_err(errbuf, errcap, "'%s' is the store itself", from);
		return WERR_INVALID;
	}
	if (!path_with(tmp, path, ".tmp")) {
		set_err(errbuf, errcap, "store path too long");
		return WERR_INVALID;
	}
	/* first: with a server on the target, nothing is touched */
	if ((err = store_lock_take(url, true, &lock, errbuf, errcap)))
		return err;
	unlink(tmp);
	unlink_companions(tmp);
	if ((err = copy_file(from, tmp, errbuf, errcap)) || (err = check_copy(tmp, from, out, errbuf, errcap)))
		goto out;
	unlink_companions(tmp); /* the check's clean close leaves none */
	if (fsync_path(tmp, false)) {
		set_err(errbuf, errcap, "unable to write '%s': %s", tmp, strerror(errno));
		err = WERR_IO;
		goto out;
	}
	/* the old store's log and shared memory describe the old file: gone before the new one lands */
	unlink_companions(path);
	if (rename(tmp, path) || fsync_parent(path)) {
		set_err(errbuf, errcap, "unable to put the backup in place at '%s': %s", path, strerror(errno));
		err = WERR_IO;
		goto out;
	}
out:
	if (err) {
		unlink(tmp);
		unlink_companions(tmp);
	}
	store_lock_release(lock);
	return err;
}
