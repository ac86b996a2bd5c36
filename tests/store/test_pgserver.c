/*
 * test_pgserver.c - the tests' own PostgreSQL server (pgserver.h): it starts,
 * a database per test case, what the PostgreSQL backend will lean on (INSERT
 * ... ON CONFLICT DO NOTHING, advisory locks, LISTEN/NOTIFY between two
 * sessions) works through libpq, and stopping it, or the test process dying,
 * leaves no server and no directory.  Every case is skipped, with the reason
 * printed, when the PostgreSQL server programs are not installed.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "pgserver.h"

#include "base/banned.h"

struct fx {
	struct pgserver pg;
	enum pgserver_result started;
	char why[512];
};

/*
 * One server for the group.  A failed start is reported by every case rather
 * than by this setup: cmocka 1.1.5 exits 0 when a group setup fails.
 */
static int group_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));

	if (!f)
		return -1;
	*state = f;
	f->started = pgserver_start(&f->pg, f->why, sizeof(f->why));
	return 0;
}

static int group_teardown(void **state)
{
	struct fx *f = *state;

	pgserver_stop(&f->pg);
	free(f);
	return 0;
}

static struct fx *need_server(void **state)
{
	struct fx *f = *state;

	if (f->started == PGSERVER_UNAVAILABLE) {
		printf("skipped: %s\n", f->why);
		skip();
	}
	if (f->started != PGSERVER_OK)
		fail_msg("pgserver_start: %s", f->why);
	return f;
}

static PGconn *connect_ok(const char *url)
{
	PGconn *c = PQconnectdb(url);

	if (PQstatus(c) != CONNECTION_OK)
		fail_msg("connect %s: %s", url, PQerrorMessage(c));
	return c;
}

/* Runs one command that returns no rows; the number of rows it touched. */
static long cmd_ok(PGconn *c, const char *sql)
{
	PGresult *r = PQexec(c, sql);
	long n;

	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	n = strtol(PQcmdTuples(r), NULL, 10);
	PQclear(r);
	return n;
}

/* Runs a query that returns one value, into out. */
static void value_ok(PGconn *c, const char *sql, char *out, size_t cap)
{
	PGresult *r = PQexec(c, sql);

	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1 || PQnfields(r) != 1)
		fail_msg("%s: %s", sql, PQerrorMessage(c));
	snprintf(out, cap, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
}

/* Creates database `name` (its URI into url[160]) and connects to it. */
static PGconn *fresh_db(struct fx *f, const char *name, char *url)
{
	char why[256];

	if (pgserver_create_db(&f->pg, name, url, 160, why, sizeof(why)))
		fail_msg("create database %s: %s", name, why);
	return connect_ok(url);
}

/* True when something accepts a TCP connection on 127.0.0.1:port. */
static bool port_open(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	bool open;

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	open = connect(fd, (struct sockaddr *)&a, sizeof(a)) == 0;
	close(fd);
	return open;
}

static bool dir_exists(const char *dir)
{
	struct stat st;

	return stat(dir, &st) == 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Without the binaries (WISMO_PG_BINDIR naming none), start says so and leaves nothing. */
static void test_unavailable(void **state)
{
	const char *old = getenv("WISMO_PG_BINDIR");
	char saved[256] = "", why[256] = "";
	struct pgserver s = { 0 };
	enum pgserver_result r;

	(void)state;
	if (old)
		snprintf(saved, sizeof(saved), "%s", old);
	setenv("WISMO_PG_BINDIR", "none", 1);
	r = pgserver_start(&s, why, sizeof(why));
	if (old)
		setenv("WISMO_PG_BINDIR", saved, 1);
	else
		unsetenv("WISMO_PG_BINDIR");
	assert_int_equal(r, PGSERVER_UNAVAILABLE);
	assert_non_null(strstr(why, "WISMO_PG_BINDIR"));
	assert_string_equal(s.dir, "");
	assert_int_equal(s.watchdog, 0);
	pgserver_stop(&s); /* nothing to do */
}

/* Two databases of one server: each its own tables; ON CONFLICT DO NOTHING is idempotent. */
static void test_two_databases(void **state)
{
	struct fx *f = need_server(state);
	char v[64], url[160], why[256];
	PGconn *a = fresh_db(f, "wismo_a", url), *b = fresh_db(f, "wismo_b", url);

	assert_non_null(strstr(f->pg.url, "postgresql://wismo@127.0.0.1:"));
	value_ok(a, "SELECT 1", v, sizeof(v));
	assert_string_equal(v, "1");
	value_ok(b, "SELECT current_database()", v, sizeof(v));
	assert_string_equal(v, "wismo_b");
	value_ok(a, "SHOW server_encoding", v, sizeof(v));
	assert_string_equal(v, "UTF8");

	for (int i = 0; i < 2; i++)
		cmd_ok(i ? b : a, "CREATE TABLE events (key text PRIMARY KEY, body text NOT NULL)");
	assert_int_equal(cmd_ok(a, "INSERT INTO events VALUES ('k1', 'first') ON CONFLICT DO NOTHING"), 1);
	assert_int_equal(cmd_ok(a, "INSERT INTO events VALUES ('k1', 'again') ON CONFLICT DO NOTHING"), 0);
	value_ok(a, "SELECT body FROM events WHERE key = 'k1'", v, sizeof(v));
	assert_string_equal(v, "first");
	value_ok(b, "SELECT count(*) FROM events", v, sizeof(v));
	assert_string_equal(v, "0");

	assert_int_equal(pgserver_create_db(&f->pg, "wismo_a", url, sizeof(url), why, sizeof(why)), -1);
	assert_non_null(strstr(why, "already exists"));
	assert_int_equal(pgserver_create_db(&f->pg, "x\"; DROP", url, sizeof(url), why, sizeof(why)), -1);
	assert_non_null(strstr(why, "refused"));
	PQfinish(a);
	PQfinish(b);
}

/* pg_advisory_xact_lock: held until the transaction ends, seen by another session. */
static void test_advisory_lock(void **state)
{
	struct fx *f = need_server(state);
	char v[16], url[160];
	PGconn *c1 = fresh_db(f, "wismo_lock", url), *c2 = connect_ok(url);

	cmd_ok(c1, "BEGIN");
	value_ok(c1, "SELECT pg_advisory_xact_lock(1)", v, sizeof(v));
	value_ok(c2, "SELECT pg_try_advisory_xact_lock(1)", v, sizeof(v));
	assert_string_equal(v, "f");
	cmd_ok(c1, "COMMIT");
	value_ok(c2, "SELECT pg_try_advisory_xact_lock(1)", v, sizeof(v));
	assert_string_equal(v, "t");
	PQfinish(c1);
	PQfinish(c2);
}

/* LISTEN in one session, NOTIFY in another: the notification arrives, with its payload. */
static void test_listen_notify(void **state)
{
	struct fx *f = need_server(state);
	char url[160];
	PGconn *l = fresh_db(f, "wismo_notify", url), *n = connect_ok(url);
	PGnotify *note = NULL;
	int64_t deadline;

	cmd_ok(l, "LISTEN wismo_orders");
	cmd_ok(n, "NOTIFY wismo_orders, 'order 42'");

	deadline = now_ms() + 5000;
	while (!note) {
		struct pollfd p = { .fd = PQsocket(l), .events = POLLIN };
		int64_t left = deadline - now_ms();

		assert_true(p.fd >= 0);
		if (left <= 0)
			fail_msg("no notification within 5 s");
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			fail_msg("poll: %s", strerror(errno));
		if (!PQconsumeInput(l))
			fail_msg("PQconsumeInput: %s", PQerrorMessage(l));
		note = PQnotifies(l);
	}
	assert_string_equal(note->relname, "wismo_orders");
	assert_string_equal(note->extra, "order 42");
	assert_int_equal(note->be_pid, PQbackendPID(n));
	PQfreemem(note);
	assert_null(PQnotifies(l));
	PQfinish(l);
	PQfinish(n);
}

/*
 * A test process that dies without pgserver_stop (SIGKILL, so no atexit
 * either): its watchdog stops the server and removes the directory.
 */
static void test_watchdog_after_kill(void **state)
{
	struct fx *f = need_server(state);
	struct {
		int port;
		char dir[sizeof(f->pg.dir)];
	} seen = { 0, "" };
	int fds[2], st;
	pid_t pid;
	int64_t deadline;

	assert_int_equal(pipe(fds), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		struct pgserver s = { 0 };
		char why[256];

		close(fds[0]);
		if (pgserver_start(&s, why, sizeof(why)) == PGSERVER_OK) {
			seen.port = s.port;
			memcpy(seen.dir, s.dir, sizeof(seen.dir));
		} else {
			fprintf(stderr, "child: pgserver_start: %s\n", why);
		}
		if (write(fds[1], &seen, sizeof(seen)) != (ssize_t)sizeof(seen))
			_exit(1);
		raise(SIGKILL);
		_exit(1);
	}
	close(fds[1]);
	assert_int_equal(read(fds[0], &seen, sizeof(seen)), (ssize_t)sizeof(seen));
	close(fds[0]);
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	assert_true(seen.port > 0);

	deadline = now_ms() + 20000;
	while ((dir_exists(seen.dir) || port_open(seen.port)) && now_ms() < deadline)
		usleep(50 * 1000);
	assert_false(dir_exists(seen.dir));
	assert_false(port_open(seen.port));
}

/* Last: stopping closes the port and removes the directory; a second stop does nothing. */
static void test_stop(void **state)
{
	struct fx *f = need_server(state);
	char dir[sizeof(f->pg.dir)], url[160], why[256];
	int port = f->pg.port;

	memcpy(dir, f->pg.dir, sizeof(dir));
	assert_true(port_open(port));
	assert_true(dir_exists(dir));
	pgserver_stop(&f->pg);
	assert_false(port_open(port));
	assert_false(dir_exists(dir));
	assert_int_equal(f->pg.watchdog, 0);
	assert_int_equal(pgserver_create_db(&f->pg, "late", url, sizeof(url), why, sizeof(why)), -1);
	pgserver_stop(&f->pg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unavailable),
		cmocka_unit_test(test_two_databases),
		cmocka_unit_test(test_advisory_lock),
		cmocka_unit_test(test_listen_notify),
		cmocka_unit_test(test_watchdog_after_kill),
		cmocka_unit_test(test_stop),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
