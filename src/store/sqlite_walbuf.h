/*
 * sqlite_walbuf.h - an SQLite VFS that writes a transaction's WAL frames in
 * one system call instead of two per page (internal to the SQLite backend).
 *
 * SQLite appends each frame of a commit to the WAL with two writes (its
 * 24-byte header, then the page), each a pwrite: ~14 system calls per
 * one-event request and thousands per group commit, a fifth of the server's
 * CPU on a machine where a system call is dear (docs/performance.md).  This
 * VFS wraps the default one and keeps a WAL file's writes in memory while
 * they extend one contiguous run, then writes the run at once when SQLite
 * next needs the file as it is on disk: before a sync (a commit with
 * synchronous=FULL), a read, a size, a truncation, a file control or the
 * close, when a write falls outside the run, when the run reaches its bound,
 * and at the shared-memory barrier with which SQLite publishes a commit to
 * other connections (so no reader is ever told of frames still in memory).
 * Every other file, and every other call, goes straight to the default VFS.
 *
 * What it guarantees: the bytes on disk and the order of syncs are SQLite's
 * own; a write error is returned by the call that flushed the run.  The
 * barrier cannot return one: the backend therefore uses this VFS only for
 * read-write connections with synchronous=FULL, where the commit's sync has
 * flushed the run before the barrier (store_sqlite.c).
 */
#ifndef WISMO_SQLITE_WALBUF_H
#define WISMO_SQLITE_WALBUF_H

#include <sqlite3.h>
#include <stdint.h>

#define SQ_WALBUF_VFS "wismo-walbuf"

/* Registers the VFS (once per process, not as the default).  Returns an
 * SQLite result code. */
int sq_walbuf_register(void);

/* Writes the VFS received for WAL files and the writes it made, since the
 * process started (the tests check that a commit's frames go in a few). */
void sq_walbuf_counts(uint64_t *wal_writes_in, uint64_t *wal_writes_out);

#endif
