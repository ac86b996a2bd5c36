/*
 * ceiling_daemon.h - the libmicrohttpd daemon of the HTTP ceilings
 * (bench/hello.c, bench/stack_ceiling.c), started as wismo's server starts
 * its own (src/http/server.c): internal polling thread, epoll, a pool of 2,
 * suspend/resume allowed.  Header-only: each bench program is one file.
 */
#ifndef WISMO_BENCH_CEILING_DAEMON_H
#define WISMO_BENCH_CEILING_DAEMON_H

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Listens on 127.0.0.1:port (decimal text); done may be NULL.  NULL when
 * it cannot listen. */
static inline struct MHD_Daemon *ceiling_daemon(const char *port, MHD_AccessHandlerCallback handler,
						MHD_RequestCompletedCallback done)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)strtol(port, NULL, 10));
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
					MHD_USE_ITC,
				0, NULL, NULL, handler, NULL, MHD_OPTION_SOCK_ADDR, &sin,
				MHD_OPTION_NOTIFY_COMPLETED, done, NULL, MHD_OPTION_THREAD_POOL_SIZE, 2u,
				MHD_OPTION_CONNECTION_LIMIT, 1064u, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
				MHD_OPTION_END);
}

static volatile sig_atomic_t ceiling_stop;

static void ceiling_on_signal(int sig)
{
	(void)sig;
	ceiling_stop = 1;
}

/* Returns once SIGTERM or SIGINT came. */
static inline void ceiling_wait(void)
{
	signal(SIGTERM, ceiling_on_signal);
	signal(SIGINT, ceiling_on_signal);
	while (!ceiling_stop)
		pause();
}

#endif
