/*
 * sqlite_walbuf.c - the VFS that writes WAL frames in runs (sqlite_walbuf.h).
 *
 * A file opened through it is a struct wb_file followed by the default
 * VFS's own file object, to which every call is passed on.  A WAL file also
 * holds the run: bytes [start, start + len) not yet written.  SQLite writes
 * a commit's frames at increasing offsets, and may write a page again over
 * a frame of the same transaction (inside the run: copied over it).  The
 * main database file knows its WAL file (sqlite3_database_file_object) so
 * that its shared-memory barrier can flush the run.
 */
#include "sqlite_walbuf.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "../base/banned.h"

#define RUN_FIRST (64 * 1024)      /* the run's first allocation */
#define RUN_MAX (4 * 1024 * 1024)  /* a run is written once this long */
/* The unix VFS writes at most 128 KiB - 1 per call (seekAndWriteFd masks
 * the length to 17 bits): a run goes in pieces of 31 pages. */
#define WRITE_MAX (31 * 4096)

struct wb_file {
	sqlite3_file base; /* first: SQLite holds a pointer to this */
	sqlite3_file *real; /* the default VFS's file, right after this struct */
	struct wb_file *wal; /* main database file: its WAL file while open */
	struct wb_file *db; /* WAL file: its main database file */
	bool is_wal;
	unsigned char *run;
	size_t len, cap;
	sqlite3_int64 start;
};

static sqlite3_vfs *real_vfs;
static sqlite3_vfs wb_vfs;
static atomic_uint_fast64_t writes_in, writes_out;

static int flush(struct wb_file *f)
{
	int rc = SQLITE_OK;
	size_t done, n;

	for (done = 0; done < f->len && rc == SQLITE_OK; done += n) {
		n = f->len - done < WRITE_MAX ? f->len - done : WRITE_MAX;
		rc = f->real->pMethods->xWrite(f->real, f->run + done, (int)n, f->start + (sqlite3_int64)done);
		atomic_fetch_add_explicit(&writes_out, 1, memory_order_relaxed);
	}
	f->len = 0;
	return rc;
}

/* Room for n more bytes in the run, growing it up to RUN_MAX. */
static bool room(struct wb_file *f, size_t n)
{
	size_t cap = f->cap ? f->cap : RUN_FIRST;
	unsigned char *p;

	if (f->len + n <= f->cap)
		return true;
	while (cap < f->len + n && cap < RUN_MAX)
		cap *= 2;
	if (cap < f->len + n)
		return false;
	if (!(p = realloc(f->run, cap)))
		return false;
	f->run = p;
	f->cap = cap;
	return true;
}

static int wb_write(sqlite3_file *file, const void *data, int amt, sqlite3_int64 off)
{
	struct wb_file *f = (struct wb_file *)file;
	int rc;

	if (!f->is_wal)
		return f->real->pMethods->xWrite(f->real, data, amt, off);
	atomic_fetch_add_explicit(&writes_in, 1, memory_order_relaxed);
	/* a page written again over a frame of the run */
	if (f->len && off >= f->start && off + amt <= f->start + (sqlite3_int64)f->len) {
		memcpy(f->run + (off - f->start), data, (size_t)amt);
		return SQLITE_OK;
	}
	if (f->len && (off != f->start + (sqlite3_int64)f->len || !room(f, (size_t)amt)))
		if ((rc = flush(f)) != SQLITE_OK)
			return rc;
	if (!f->len) {
		if (!room(f, (size_t)amt)) {
			atomic_fetch_add_explicit(&writes_out, 1, memory_order_relaxed);
			return f->real->pMethods->xWrite(f->real, data, amt, off);
		}
		f->start = off;
	}
	memcpy(f->run + f->len, data, (size_t)amt);
	f->len += (size_t)amt;
	return SQLITE_OK;
}

static int wb_close(sqlite3_file *file)
{
	struct wb_file *f = (struct wb_file *)file;
	int rc = flush(f), rc2;

	if (f->wal)
		f->wal->db = NULL;
	if (f->db)
		f->db->wal = NULL;
	free(f->run);
	rc2 = f->real->pMethods->xClose(f->real);
	return rc != SQLITE_OK ? rc : rc2;
}

static int wb_read(sqlite3_file *file, void *buf, int amt, sqlite3_int64 off)
{
	struct wb_file *f = (struct wb_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xRead(f->real, buf, amt, off);
}

static int wb_truncate(sqlite3_file *file, sqlite3_int64 size)
{
	struct wb_file *f = (struct wb_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xTruncate(f->real, size);
}

static int wb_sync(sqlite3_file *file, int flags)
{
	struct wb_file *f = (struct wb_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xSync(f->real, flags);
}

static int wb_file_size(sqlite3_file *file, sqlite3_int64 *size)
{
	struct wb_file *f = (struct wb_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileSize(f->real, size);
}

static int wb_file_control(sqlite3_file *file, int op, void *arg)
{
	struct wb_file *f = (struct wb_file *)file;
	int rc = flush(f);

	return rc != SQLITE_OK ? rc : f->real->pMethods->xFileControl(f->real, op, arg);
}

static void wb_shm_barrier(sqlite3_file *file)
{
	struct wb_file *f = (struct wb_file *)file;

	/* Never holds anything with synchronous=FULL (the commit's sync
	 * flushed); an error here cannot be returned (sqlite_walbuf.h). */
	if (f->wal)
		(void)flush(f->wal);
	f->real->pMethods->xShmBarrier(f->real);
}

/* ---- the calls passed on unchanged ---- */

#define REAL(file) (((struct wb_file *)(file))->real)

static int wb_lock(sqlite3_file *file, int lock)
{
	return REAL(file)->pMethods->xLock(REAL(file), lock);
}

static int wb_unlock(sqlite3_file *file, int lock)
{
	return REAL(file)->pMethods->xUnlock(REAL(file), lock);
}

static int wb_check_reserved(sqlite3_file *file, int *out)
{
	return REAL(file)->pMethods->xCheckReservedLock(REAL(file), out);
}

static int wb_sector_size(sqlite3_file *file)
{
	return REAL(file)->pMethods->xSectorSize(REAL(file));
}

static int wb_device_characteristics(sqlite3_file *file)
{
	return REAL(file)->pMethods->xDeviceCharacteristics(REAL(file));
}

static int wb_shm_map(sqlite3_file *file, int page, int size, int extend, void volatile **out)
{
	return REAL(file)->pMethods->xShmMap(REAL(file), page, size, extend, out);
}

static int wb_shm_lock(sqlite3_file *file, int offset, int n, int flags)
{
	return REAL(file)->pMethods->xShmLock(REAL(file), offset, n, flags);
}

static int wb_shm_unmap(sqlite3_file *file, int del)
{
	return REAL(file)->pMethods->xShmUnmap(REAL(file), del);
}

static int wb_fetch(sqlite3_file *file, sqlite3_int64 off, int amt, void **out)
{
	return REAL(file)->pMethods->xFetch(REAL(file), off, amt, out);
}

static int wb_unfetch(sqlite3_file *file, sqlite3_int64 off, void *p)
{
	return REAL(file)->pMethods->xUnfetch(REAL(file), off, p);
}

/* Version 3 (shared memory and memory maps), as the default unix VFS's
 * files; wb_open refuses a default VFS whose files are older. */
static const sqlite3_io_methods wb_io = {
	3,
	wb_close,
	wb_read,
	wb_write,
	wb_truncate,
	wb_sync,
	wb_file_size,
	wb_lock,
	wb_unlock,
	wb_check_reserved,
	wb_file_control,
	wb_sector_size,
	wb_device_characteristics,
	wb_shm_map,
	wb_shm_lock,
	wb_shm_barrier,
	wb_shm_unmap,
	wb_fetch,
	wb_unfetch,
};

static int wb_open(sqlite3_vfs *vfs, const char *name, sqlite3_file *file, int flags, int *out_flags)
{
	struct wb_file *f = (struct wb_file *)file;
	int rc;

	(void)vfs;
	memset(f, 0, sizeof(*f));
	f->real = (sqlite3_file *)(f + 1);
	rc = real_vfs->xOpen(real_vfs, name, f->real, flags, out_flags);
	if (rc == SQLITE_OK && (!f->real->pMethods || f->real->pMethods->iVersion < 3))
		rc = SQLITE_CANTOPEN;
	if (rc != SQLITE_OK) { /* our pMethods stays NULL: SQLite will not call wb_close */
		if (f->real->pMethods)
			f->real->pMethods->xClose(f->real);
		return rc;
	}
	if ((flags & SQLITE_OPEN_WAL) && name) {
		f->is_wal = true;
		f->db = (struct wb_file *)sqlite3_database_file_object(name);
		f->db->wal = f;
	}
	f->base.pMethods = &wb_io;
	return SQLITE_OK;
}

/* The VFS's own calls go to the default VFS with its own pointer. */
static int wb_delete(sqlite3_vfs *v, const char *name, int sync)
{
	(void)v;
	return real_vfs->xDelete(real_vfs, name, sync);
}

static int wb_access(sqlite3_vfs *v, const char *name, int flags, int *out)
{
	(void)v;
	return real_vfs->xAccess(real_vfs, name, flags, out);
}

static int wb_full_pathname(sqlite3_vfs *v, const char *name, int n, char *out)
{
	(void)v;
	return real_vfs->xFullPathname(real_vfs, name, n, out);
}

static void *wb_dlopen(sqlite3_vfs *v, const char *name)
{
	(void)v;
	return real_vfs->xDlOpen(real_vfs, name);
}

static void wb_dlerror(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	real_vfs->xDlError(real_vfs, n, out);
}

static void (*wb_dlsym(sqlite3_vfs *v, void *h, const char *sym))(void)
{
	(void)v;
	return real_vfs->xDlSym(real_vfs, h, sym);
}

static void wb_dlclose(sqlite3_vfs *v, void *h)
{
	(void)v;
	real_vfs->xDlClose(real_vfs, h);
}

static int wb_randomness(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return real_vfs->xRandomness(real_vfs, n, out);
}

static int wb_sleep(sqlite3_vfs *v, int us)
{
	(void)v;
	return real_vfs->xSleep(real_vfs, us);
}

static int wb_current_time(sqlite3_vfs *v, double *out)
{
	(void)v;
	return real_vfs->xCurrentTime(real_vfs, out);
}

static int wb_last_error(sqlite3_vfs *v, int n, char *out)
{
	(void)v;
	return real_vfs->xGetLastError(real_vfs, n, out);
}

static int wb_current_time64(sqlite3_vfs *v, sqlite3_int64 *out)
{
	(void)v;
	return real_vfs->xCurrentTimeInt64(real_vfs, out);
}

static pthread_once_t once = PTHREAD_ONCE_INIT;
static int register_rc = SQLITE_ERROR;

static void do_register(void)
{
	if (sqlite3_initialize() != SQLITE_OK || !(real_vfs = sqlite3_vfs_find(NULL)) || real_vfs->iVersion < 2)
		return;
	wb_vfs = (sqlite3_vfs){
		.iVersion = 2,
		.szOsFile = (int)sizeof(struct wb_file) + real_vfs->szOsFile,
		.mxPathname = real_vfs->mxPathname,
		.zName = SQ_WALBUF_VFS,
		.xOpen = wb_open,
		.xDelete = wb_delete,
		.xAccess = wb_access,
		.xFullPathname = wb_full_pathname,
		.xDlOpen = wb_dlopen,
		.xDlError = wb_dlerror,
		.xDlSym = wb_dlsym,
		.xDlClose = wb_dlclose,
		.xRandomness = wb_randomness,
		.xSleep = wb_sleep,
		.xCurrentTime = wb_current_time,
		.xGetLastError = wb_last_error,
		.xCurrentTimeInt64 = wb_current_time64,
	};
	register_rc = sqlite3_vfs_register(&wb_vfs, 0);
}

int sq_walbuf_register(void)
{
	pthread_once(&once, do_register);
	return register_rc;
}

void sq_walbuf_counts(uint64_t *wal_writes_in, uint64_t *wal_writes_out)
{
	*wal_writes_in = atomic_load(&writes_in);
	*wal_writes_out = atomic_load(&writes_out);
}
