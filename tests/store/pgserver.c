/*
 * pgserver.c - starts and stops a PostgreSQL server of the test's own
 * (contract in pgserver.h).
 *
 * The server's programs are run directly (fork, drop to the unprivileged
 * user when we are root, execve with a small fixed environment), never
 * through a shell, so that PG* variables of the caller's environment cannot
 * point them at another cluster.  Each writes its output to a log in the
 * temporary directory, whose end is printed when it fails:
 *
 *   /tmp/wismo-pg-XXXXXX/           owned by the user the server runs as
 *     data/                         initdb's cluster; our settings appended to postgresql.conf
 *     .s.PGSQL.PORT                 the unix socket (TCP on 127.0.0.1 is what tests use)
 *     initdb.log pg_ctl.log server.log
 *
 * The watchdog is a fork of the test process that holds the read end of a
 * pipe whose only write end the test holds (close-on-exec, so no program we
 * start inherits it).  pgserver_stop writes one byte and the watchdog exits;
 * if the pipe closes without it, the test process is gone, and the watchdog
 * stops the server and removes the directory.  It runs in a session of its
 * own, so that a signal to the test's process group (a test runner's timeout)
 * does not end it before it has done so.
 */
#include "pgserver.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <glob.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "base/banned.h"

/* What the server's programs see: nothing of the caller's PG* variables. */
static char *const child_env[] = { "PATH=/usr/bin:/bin", "LC_ALL=C", "LANG=C", NULL };

/*
 * Appended to postgresql.conf; a macro, as formats must be literals
 * (-Wformat-nonliteral).  Durability off unless s->durable: a test's data
 * need not survive a crash; a benchmark's ceiling must pay for the fsync.
 */
#define CONF_FMT \
	"\n# pgserver.c (a test's own server)\n" \
	"listen_addresses = '127.0.0.1'\n" \
	"unix_socket_directories = '%s'\n" \
	"timezone = 'UTC'\n" \
	"log_timezone = 'UTC'\n"
#define CONF_FAST \
	"fsync = off\n" \
	"synchronous_commit = off\n" \
	"full_page_writes = off\n" \
	"shared_buffers = 32MB\n"
#define CONF_DURABLE \
	"fsync = on\n" \
	"synchronous_commit = on\n" \
	"shared_buffers = 256MB\n" \
	"max_wal_size = 2GB\n"

__attribute__((format(printf, 3, 4)))
static void say(char *why, size_t whycap, const char *fmt, ...)
{
	va_list ap;

	if (!why || !whycap)
		return;
	va_start(ap, fmt);
	vsnprintf(why, whycap, fmt, ap);
	va_end(ap);
}

static bool is_exec(const char *dir, const char *prog)
{
	char p[PATH_MAX];

	if ((size_t)snprintf(p, sizeof(p), "%s/%s", dir, prog) >= sizeof(p))
		return false;
	return access(p, X_OK) == 0;
}

static bool has_tools(const char *dir)
{
	return is_exec(dir, "initdb") && is_exec(dir, "pg_ctl") && is_exec(dir, "postgres");
}

static bool set_bindir(struct pgserver *s, const char *dir, size_t len)
{
	if (len >= sizeof(s->bindir))
		return false;
	memcpy(s->bindir, dir, len);
	s->bindir[len] = '\0';
	return has_tools(s->bindir);
}

/*
 * WISMO_PG_BINDIR when set; else the newest /usr/lib/postgresql/VERSION/bin
 * (Debian's layout: the server's programs are not on PATH); else PATH.
 * 0 when found, -1 with why filled when not.
 */
static int find_bindir(struct pgserver *s, char *why, size_t whycap)
{
	const char *env = getenv("WISMO_PG_BINDIR");
	const char *path = getenv("PATH");
	glob_t g;
	long best = -1;

	if (env && *env) {
		if (set_bindir(s, env, strlen(env)))
			return 0;
		say(why, whycap, "WISMO_PG_BINDIR='%s' holds no initdb, pg_ctl and postgres", env);
		return -1;
	}
	if (glob("/usr/lib/postgresql/*/bin", GLOB_ONLYDIR, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			const char *v = g.gl_pathv[i] + strlen("/usr/lib/postgresql/");
			char *end;
			long n = strtol(v, &end, 10);

			if (end == v || strcmp(end, "/bin") != 0 || n <= best || !has_tools(g.gl_pathv[i]))
				continue;
			best = n;
			snprintf(s->bindir, sizeof(s->bindir), "%s", g.gl_pathv[i]);
		}
		globfree(&g);
	}
	if (best >= 0)
		return 0;
	for (const char *p = path; p && *p;) {
		size_t n = strcspn(p, ":");

		if (n && set_bindir(s, p, n))
			return 0;
		p += n + (p[n] == ':');
	}
	say(why, whycap, "no PostgreSQL server programs (initdb, pg_ctl, postgres) in "
	    "/usr/lib/postgresql/*/bin or PATH; scripts/deps.sh test installs them");
	return -1;
}

/*
 * As root, the server runs as "nobody" (it can touch nothing of the system's,
 * and in particular no file of a system cluster), else as "postgres".
 */
static int pick_user(struct pgserver *s, char *why, size_t whycap)
{
	static const char *const names[] = { "nobody", "postgres" };

	if (geteuid() != 0)
		return 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		struct passwd *pw = getpwnam(names[i]);

		if (!pw || pw->pw_uid == 0)
			continue;
		s->drop = true;
		s->uid = pw->pw_uid;
		s->gid = pw->pw_gid;
		snprintf(s->runas, sizeof(s->runas), "%s", names[i]);
		return 0;
	}
	say(why, whycap, "running as root, and no unprivileged user (nobody, postgres) to run PostgreSQL as");
	return -1;
}

/* A port on 127.0.0.1 that nothing listens on now; 0 when none could be had. */
static int free_port(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET };
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), port = 0;

	if (fd < 0)
		return 0;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&a, &len) == 0)
		port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void child_fail(int fd, const char *what, const char *arg)
{
	char msg[PATH_MAX + 128];
	int n = snprintf(msg, sizeof(msg), "pgserver: %s %s: %s\n", what, arg, strerror(errno));

	if (n > 0 && write(fd, msg, (size_t)n) != n) {
		/* nowhere left to say it */
	}
	_exit(127);
}

/*
 * Runs argv (argv[0] a full path) in s->dir, as s->uid when s->drop, with
 * stdin from /dev/null and stdout and stderr appended to s->dir/LOG.
 * Returns its exit status, or -1 when it could not be run or was killed.
 */
static int run(const struct pgserver *s, char *const argv[], const char *log)
{
	char logpath[sizeof(s->dir) + 32];
	pid_t pid;
	int st;

	snprintf(logpath, sizeof(logpath), "%s/%s", s->dir, log);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int null = open("/dev/null", O_RDONLY), fd = 2;

		if (s->drop && (setgroups(1, &s->gid) || setresgid(s->gid, s->gid, s->gid) ||
				setresuid(s->uid, s->uid, s->uid)))
			child_fail(fd, "cannot become", s->runas);
		if (chdir(s->dir))
			child_fail(fd, "cannot enter", s->dir);
		fd = open(logpath, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd < 0)
			child_fail(2, "cannot open", logpath);
		if (null < 0 || dup2(null, 0) < 0 || dup2(fd, 1) < 0 || dup2(fd, 2) < 0)
			child_fail(fd, "cannot redirect to", logpath);
		if (close_range(3, ~0U, 0))
			for (int i = 3; i < 1024; i++)
				close(i);
		execve(argv[0], argv, child_env);
		child_fail(2, "cannot run", argv[0]);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/*
 * Prints the end of s->dir/LOG to stderr, and puts its last line into why
 * after `what`.
 */
static void fail_with_log(const struct pgserver *s, const char *log, const char *what, char *why, size_t whycap)
{
	char path[sizeof(s->dir) + 32], tail[2048], *last;
	FILE *f;
	size_t n = 0;

	snprintf(path, sizeof(path), "%s/%s", s->dir, log);
	f = fopen(path, "r");
	if (f) {
		if (fseek(f, -(long)(sizeof(tail) - 1), SEEK_END))
			rewind(f);
		n = fread(tail, 1, sizeof(tail) - 1, f);
		fclose(f);
	}
	tail[n] = '\0';
	while (n && (tail[n - 1] == '\n' || tail[n - 1] == '\r'))
		tail[--n] = '\0';
	if (n)
		fprintf(stderr, "pgserver: %s; the end of %s:\n%s\n", what, log, tail);
	last = strrchr(tail, '\n');
	say(why, whycap, "%s: %s", what, n ? (last ? last + 1 : tail) : "(empty log)");
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	if (remove(path) && errno != ENOENT)
		fprintf(stderr, "pgserver: cannot remove '%s': %s\n", path, strerror(errno));
	return 0;
}

static void rm_rf(const char *dir)
{
	nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

/*
 * SIGKILL to the postmaster named in DIR/data/postmaster.pid (its backends
 * end when they see it gone).  0 when there was one to kill.
 */
static int kill_postmaster(const struct pgserver *s)
{
	char path[sizeof(s->dir) + 32];
	FILE *f;
	long pid = 0;
	int n;

	snprintf(path, sizeof(path), "%s/data/postmaster.pid", s->dir);
	f = fopen(path, "r");
	if (!f)
		return -1;
	n = fscanf(f, "%ld", &pid);
	fclose(f);
	if (n != 1 || pid <= 1 || pid > INT_MAX)
		return -1;
	return kill((pid_t)pid, SIGKILL);
}

/*
 * pg_ctl stop: fast (sessions are ended), then immediate, then SIGKILL.
 * 0 when pg_ctl stopped the server, -1 when it had to be killed or there was
 * none to stop.
 */
static int stop_server(const struct pgserver *s)
{
	char data[sizeof(s->dir) + 8], ctl[sizeof(s->bindir) + 8];
	char *fast[] = { ctl, "-D", data, "-m", "fast", "-w", "-t", "30", "stop", NULL };
	char *now[] = { ctl, "-D", data, "-m", "immediate", "-w", "-t", "10", "stop", NULL };

	snprintf(data, sizeof(data), "%s/data", s->dir);
	snprintf(ctl, sizeof(ctl), "%s/pg_ctl", s->bindir);
	if (run(s, fast, "pg_ctl.log") == 0 || run(s, now, "pg_ctl.log") == 0)
		return 0;
	kill_postmaster(s);
	return -1;
}

static void watchdog_main(const struct pgserver *s, int rfd)
{
	char c;
	ssize_t n;
	int null = open("/dev/null", O_RDWR);

	setsid();
	signal(SIGINT, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
	}
	/* keep stderr (the test's log) and the pipe, nothing else of the test's */
	for (int i = 3; i < 1024; i++)
		if (i != rfd)
			close(i);
	while ((n = read(rfd, &c, 1)) < 0 && errno == EINTR)
		;
	if (n == 1)
		_exit(0);
	fprintf(stderr, "pgserver: the test ended without stopping its server: stopping it, removing %s\n", s->dir);
	stop_server(s);
	rm_rf(s->dir);
	_exit(0);
}

static int watchdog_start(struct pgserver *s, char *why, size_t whycap)
{
	int fds[2];
	pid_t pid;

	if (pipe2(fds, O_CLOEXEC)) {
		say(why, whycap, "cannot make a pipe: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		say(why, whycap, "cannot fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		close(fds[1]);
		watchdog_main(s, fds[0]);
	}
	close(fds[0]);
	s->watchdog = pid;
	s->watch_fd = fds[1];
	return 0;
}

static void watchdog_end(struct pgserver *s)
{
	if (s->watch_fd >= 0) {
		if (write(s->watch_fd, "q", 1) != 1)
			fprintf(stderr, "pgserver: cannot tell the watchdog: %s\n", strerror(errno));
		close(s->watch_fd);
		s->watch_fd = -1;
	}
	if (s->watchdog > 0)
		while (waitpid(s->watchdog, NULL, 0) < 0 && errno == EINTR)
			;
	s->watchdog = 0;
}

static int write_conf(const struct pgserver *s, char *why, size_t whycap)
{
	char path[sizeof(s->dir) + 32];
	FILE *f;
	int bad;

	snprintf(path, sizeof(path), "%s/data/postgresql.conf", s->dir);
	f = fopen(path, "a");
	if (!f) {
		say(why, whycap, "cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	bad = fprintf(f, CONF_FMT, s->dir) < 0 || fputs(s->durable ? CONF_DURABLE : CONF_FAST, f) < 0;
	if (fclose(f) || bad) {
		say(why, whycap, "cannot write '%s'", path);
		return -1;
	}
	return 0;
}

/* True when the server's log says the port was taken (between our check and its bind). */
static bool port_taken(const struct pgserver *s)
{
	char path[sizeof(s->dir) + 32], line[512];
	FILE *f;
	bool taken = false;

	snprintf(path, sizeof(path), "%s/server.log", s->dir);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (!taken && fgets(line, sizeof(line), f))
		taken = strstr(line, "Address already in use") != NULL;
	fclose(f);
	return taken;
}

/* Starts s: a new cluster (initdb), or with primary a streaming standby of
 * it (pg_basebackup -R). */
static enum pgserver_result start(struct pgserver *s, const struct pgserver *primary, char *why, size_t whycap)
{
	char data[sizeof(s->dir) + 8], prog[sizeof(s->bindir) + 16], log[sizeof(s->dir) + 16], opt[32];
	char *initdb[] = { prog, "-D", data, "-U", PGSERVER_USER, "-A", "trust", "-E", "UTF8",
			   "--locale=C", "--no-sync", "--no-instructions", NULL };
	char *start[] = { prog, "-D", data, "-l", log, "-o", opt, "-w", "-t", "60", "start", NULL };
	char from[16];
	char *basebackup[] = { prog, "-D", data, "-h", "127.0.0.1", "-p", from, "-U", PGSERVER_USER, "-R",
			       "-X", "stream", "--no-sync", NULL };
	bool tried_start = false;
	int rc;

	bool durable = s->durable;

	memset(s, 0, sizeof(*s));
	s->durable = durable;
	s->watch_fd = -1;
	if (find_bindir(s, why, whycap) || pick_user(s, why, whycap))
		return PGSERVER_UNAVAILABLE;
	snprintf(s->dir, sizeof(s->dir), "/tmp/wismo-pg-XXXXXX");
	if (!mkdtemp(s->dir)) {
		say(why, whycap, "cannot make a temporary directory: %s", strerror(errno));
		s->dir[0] = '\0';
		return PGSERVER_FAILED;
	}
	if (s->drop && chown(s->dir, s->uid, s->gid)) {
		say(why, whycap, "cannot give '%s' to %s: %s", s->dir, s->runas, strerror(errno));
		goto fail;
	}
	if (watchdog_start(s, why, whycap))
		goto fail;

	snprintf(data, sizeof(data), "%s/data", s->dir);
	snprintf(log, sizeof(log), "%s/server.log", s->dir);
	if (primary) {
		snprintf(prog, sizeof(prog), "%s/pg_basebackup", s->bindir);
		snprintf(from, sizeof(from), "%d", primary->port);
		rc = run(s, basebackup, "initdb.log");
	} else {
		snprintf(prog, sizeof(prog), "%s/initdb", s->bindir);
		rc = run(s, initdb, "initdb.log");
	}
	if (rc) {
		fail_with_log(s, "initdb.log", primary ? "pg_basebackup failed" : "initdb failed", why, whycap);
		goto fail;
	}
	if (write_conf(s, why, whycap))
		goto fail;

	snprintf(prog, sizeof(prog), "%s/pg_ctl", s->bindir);
	for (int attempt = 0;; attempt++) {
		s->port = free_port();
		if (!s->port) {
			say(why, whycap, "no free port on 127.0.0.1: %s", strerror(errno));
			goto fail;
		}
		snprintf(opt, sizeof(opt), "-p %d", s->port);
		unlink(log);
		tried_start = true;
		rc = run(s, start, "pg_ctl.log");
		if (rc == 0)
			break;
		if (attempt < 2 && port_taken(s))
			continue;
		fail_with_log(s, "server.log", "the server did not start", why, whycap);
		goto fail;
	}
	snprintf(s->url, sizeof(s->url), "postgresql://%s@127.0.0.1:%d/postgres", PGSERVER_USER, s->port);
	s->running = true;
	return PGSERVER_OK;

fail:
	/* pg_ctl -w gives up after its timeout but leaves a slow server starting */
	if (tried_start)
		stop_server(s);
	rm_rf(s->dir);
	s->dir[0] = '\0';
	watchdog_end(s);
	return PGSERVER_FAILED;
}

enum pgserver_result pgserver_start(struct pgserver *s, char *why, size_t whycap)
{
	return start(s, NULL, why, whycap);
}

enum pgserver_result pgserver_start_replica(struct pgserver *s, const struct pgserver *primary, char *why,
					    size_t whycap)
{
	if (!primary->running) {
		s->dir[0] = '\0';
		say(why, whycap, "no primary running");
		return PGSERVER_FAILED;
	}
	return start(s, primary, why, whycap);
}

int pgserver_create_db(const struct pgserver *s, const char *name, char *url, size_t urlcap,
		       char *why, size_t whycap)
{
	char sql[96];
	size_t n = strlen(name);
	PGconn *c = NULL;
	PGresult *r = NULL;
	int result = -1;

	if (!s->running) {
		say(why, whycap, "no server running");
		return -1;
	}
	if (n == 0 || n > 63 || strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789_") != n ||
	    (name[0] >= '0' && name[0] <= '9')) {
		say(why, whycap, "database name '%s' refused: 1 to 63 of [a-z0-9_], not starting with a digit", name);
		return -1;
	}
	c = PQconnectdb(s->url);
	if (PQstatus(c) != CONNECTION_OK) {
		say(why, whycap, "cannot connect to the test server: %s", PQerrorMessage(c));
		goto out;
	}
	snprintf(sql, sizeof(sql), "CREATE DATABASE %s", name);
	r = PQexec(c, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK) {
		say(why, whycap, "cannot create database '%s': %s", name, PQerrorMessage(c));
		goto out;
	}
	if ((size_t)snprintf(url, urlcap, "postgresql://%s@127.0.0.1:%d/%s", PGSERVER_USER, s->port, name) >= urlcap) {
		say(why, whycap, "URL of database '%s' longer than %zu bytes", name, urlcap);
		goto out;
	}
	result = 0;
out:
	/* libpq's messages end in a newline; ours do not */
	if (result && why && whycap) {
		size_t w = strlen(why);

		while (w && why[w - 1] == '\n')
			why[--w] = '\0';
	}
	PQclear(r);
	PQfinish(c);
	return result;
}

void pgserver_stop(struct pgserver *s)
{
	if (!s->dir[0])
		return;
	if (s->running && stop_server(s))
		fail_with_log(s, "pg_ctl.log", "pg_ctl could not stop the server, so it was killed", NULL, 0);
	s->running = false;
	rm_rf(s->dir);
	s->dir[0] = '\0';
	watchdog_end(s);
}
