/*
 * pgserver.h - a PostgreSQL server of the test's own, for tests that need a
 * real one (the PostgreSQL backend, several wismo nodes on one database).
 *
 * pgserver_start finds initdb and pg_ctl (WISMO_PG_BINDIR when set, else the
 * newest /usr/lib/postgresql/VERSION/bin, else PATH), makes a temporary
 * directory /tmp/wismo-pg-XXXXXX, runs initdb into DIR/data (superuser
 * "wismo", trust authentication, UTF8, locale C, durability off: a test's data
 * need not survive a crash; `durable` keeps it on), and starts the server with `pg_ctl -w`, listening
 * on 127.0.0.1 only, on a free port it picks, with its unix socket in DIR.  It
 * never connects to, stops or reads a cluster it did not start.
 *
 * initdb and postgres refuse to run as root: when the effective uid is 0, they
 * run as the unprivileged user "nobody" (else "postgres"), and DIR is owned by
 * that user.  Otherwise they run as the caller.
 *
 * Results: PGSERVER_OK; PGSERVER_UNAVAILABLE when the binaries are not there
 * (or WISMO_PG_BINDIR names a directory without them, e.g. "none"), so that a
 * test can skip; PGSERVER_FAILED when they are there but did not work.  In
 * both failure cases `why` says why and nothing is left behind; when a
 * program failed, the end of its log is also printed to stderr.
 *
 * Lifecycle: the caller allocates the struct (it may live on the stack, it
 * holds no pointers; zero it, or set only `durable`, before the start); after pgserver_start returns PGSERVER_OK the caller must
 * call pgserver_stop, which stops the server (`pg_ctl -m fast stop`) and
 * removes DIR.  pgserver_stop on a struct whose start failed, or that was
 * stopped already, does nothing.  Should the test process end without it
 * (exit, a failed assert, a crash, SIGKILL), a watchdog process started with
 * the server notices (its pipe from the test closes), stops the server and
 * removes DIR.
 *
 * Not thread-safe; one thread starts and stops a server.  The functions fork
 * and wait for their children (initdb, pg_ctl, the watchdog): a caller that
 * reaps children with waitpid(-1, ...) or ignores SIGCHLD must not run
 * beside them.
 */
#ifndef WISMO_TESTS_PGSERVER_H
#define WISMO_TESTS_PGSERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

enum pgserver_result {
	PGSERVER_OK = 0,
	PGSERVER_UNAVAILABLE = 1, /* no PostgreSQL binaries: skip */
	PGSERVER_FAILED = 2,      /* binaries there, server did not start */
};

#define PGSERVER_USER "wismo" /* the superuser initdb makes */

struct pgserver {
	bool durable;       /* set before pgserver_start: fsync and synchronous_commit on (benchmarks) */
	char bindir[256];   /* where initdb and pg_ctl are */
	char dir[64];       /* the temporary directory; "" when none */
	char url[128];      /* postgresql://wismo@127.0.0.1:PORT/postgres */
	int port;
	bool drop;          /* run the server's programs as uid/gid (we are root) */
	uid_t uid;
	gid_t gid;
	char runas[32];     /* that user's name, for messages */
	pid_t watchdog;     /* 0 when none */
	int watch_fd;       /* write end of the watchdog's pipe; -1 when none */
	bool running;
};

/*
 * Starts a server as described above and fills s.  On failure s holds no
 * server, no directory and no watchdog.
 */
enum pgserver_result pgserver_start(struct pgserver *s, char *why, size_t whycap);

/*
 * Starts s as a streaming standby of the running primary (pg_basebackup -R:
 * a copy of the primary's cluster that replays its WAL and answers reads
 * only), in a directory of its own, on a free port, with a watchdog, like
 * pgserver_start; stop it with pgserver_stop (before or after the primary).
 * Its url names its own port; a database made on the primary appears on it
 * within the replay delay.
 */
enum pgserver_result pgserver_start_replica(struct pgserver *s, const struct pgserver *primary, char *why,
					    size_t whycap);

/*
 * Creates database `name` (1 to 63 characters of [a-z0-9_], not starting
 * with a digit) on the running server and writes its connection URI to url.
 * 0 on success; -1 with why filled when the name is refused, the database
 * exists, or the server does not answer.
 */
int pgserver_create_db(const struct pgserver *s, const char *name, char *url, size_t urlcap,
		       char *why, size_t whycap);

/*
 * Stops the server (`pg_ctl -m fast stop`: open sessions are ended; should
 * that fail, immediate, then SIGKILL to the postmaster), removes the
 * directory and ends the watchdog.  Does nothing when s holds no server.
 * Afterwards s->dir is "" and s->port keeps the port the server listened on.
 */
void pgserver_stop(struct pgserver *s);

#endif
