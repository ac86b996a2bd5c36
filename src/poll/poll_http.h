/*
 * poll_http.h - the one outbound HTTP exchange of src/poll/ (internal):
 * the carrier poller and the webhook fetcher both ask remote APIs with it,
 * so both get the same protocols (http, https only), timeouts and size cap.
 *
 * poll_http_call() blocks its caller for at most POLL_HTTP_TIMEOUT_S (the
 * connection itself for POLL_HTTP_CONNECT_S); it is only ever called on a
 * background thread (the poller's, the fetcher's), never on a request
 * thread.  A body over resp->max (POLL_HTTP_MAX_DEFAULT when 0) stops the
 * transfer and sets too_big.  cancel, when not NULL, is read while the
 * transfer runs: once it is true the transfer is abandoned (a stopping
 * server does not wait out a slow API).  Nothing here logs, so no
 * credential can reach a log line.
 */
#ifndef WISMO_POLL_HTTP_H
#define WISMO_POLL_HTTP_H

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "../base/buf.h"

#define POLL_HTTP_TIMEOUT_S 20
#define POLL_HTTP_CONNECT_S 10
#define POLL_HTTP_MAX_DEFAULT (4u << 20)

struct poll_response {
	struct buf body;           /* the caller releases it */
	size_t max;                /* 0: POLL_HTTP_MAX_DEFAULT */
	bool too_big;
	long retry_after;          /* seconds, 0 when not given */
};

#define POLL_RESPONSE_INIT { BUF_INIT, 0, false, 0 }

/* One exchange; returns the HTTP status, 0 on a transport error, a
 * timeout, a body over max or a cancel. */
long poll_http_call(const char *method, const char *url, struct curl_slist *headers, const char *body,
		    const char *userpwd, struct poll_response *resp, const atomic_bool *cancel);

#endif
