/*
 * pgserver_main.c - pgserver.h as a program, for the integration tests
 * (tests/integration/harness.py with WISMO_IT_STORE=postgres) and for
 * people trying the PostgreSQL backend by hand.
 *
 * Starts a server of its own (with --durable: fsync and synchronous_commit
 * on, for the benchmarks) and talks on stdin/stdout, one line each way:
 *   started:                    "url URI"            (the server's postgres database)
 *   "db NAME" in:               "url URI" | "error WHY"   (a new database)
 *   "replica" in:               "url URI" | "error WHY"   (a streaming standby of the
 *                               server, started once: its postgres database; the
 *                               primary's databases appear on it under their names)
 *   end of stdin:               stops the server, removes its directory, exits 0
 * Without the server programs it prints "unavailable WHY" and exits 77;
 * when they fail, "error WHY" and exits 1.  Should the caller die, stdin
 * closes and the server goes; should this program die, pgserver's watchdog
 * stops the server.
 */
#include <stdio.h>
#include <string.h>

#include "pgserver.h"

int main(int argc, char **argv)
{
	struct pgserver s = { .durable = argc > 1 && !strcmp(argv[1], "--durable") }, standby = { 0 };
	char line[256], url[160], why[512];
	enum pgserver_result r = pgserver_start(&s, why, sizeof(why));

	if (r != PGSERVER_OK) {
		printf("%s %s\n", r == PGSERVER_UNAVAILABLE ? "unavailable" : "error", why);
		return r == PGSERVER_UNAVAILABLE ? 77 : 1;
	}
	printf("url %s\n", s.url);
	fflush(stdout);
	while (fgets(line, sizeof(line), stdin)) {
		line[strcspn(line, "\r\n")] = '\0';
		if (!strncmp(line, "db ", 3) && !pgserver_create_db(&s, line + 3, url, sizeof(url), why, sizeof(why)))
			printf("url %s\n", url);
		else if (!strncmp(line, "db ", 3))
			printf("error %s\n", why);
		else if (!strcmp(line, "replica") && standby.running)
			printf("url %s\n", standby.url);
		else if (!strcmp(line, "replica") && pgserver_start_replica(&standby, &s, why, sizeof(why)) == PGSERVER_OK)
			printf("url %s\n", standby.url);
		else if (!strcmp(line, "replica"))
			printf("error %s\n", why);
		else
			printf("error unknown command\n");
		fflush(stdout);
	}
	pgserver_stop(&standby);
	pgserver_stop(&s);
	return 0;
}
