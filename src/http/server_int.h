/*
 * server_int.h - the server's private state, shared by the files of
 * src/http/ only (server.c, sse.c, reply.c).
 */
#ifndef WISMO_HTTP_SERVER_INT_H
#define WISMO_HTTP_SERVER_INT_H

#include <stdatomic.h>

#include "http.h"

struct http_server {
	struct http_opts opts;
	struct http_app app;
	struct MHD_Daemon *daemon;
	struct http_metrics *metrics;
	struct sse_hub *sse;
	atomic_int active; /* requests allocated and not yet completed */
	atomic_int conns;  /* open connections */
	int fd;            /* the bound socket until the daemon takes it */
	int port;
	bool ipv6;
	atomic_bool stopping; /* http_server_quiesce: new requests get 503 */
	/* the library's log lines, at most LIBLOG_PER_S a second (server.c) */
	pthread_mutex_t log_mu;
	int64_t log_second;
	unsigned log_lines, log_dropped;
};

#endif
