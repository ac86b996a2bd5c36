/*
 * sse.h - Server-Sent Events: live updates for the tracking page, the agent
 * view and the dashboard.
 *
 * One hub per server (created in http_server_new, closed in
 * http_server_stop).  The transport knows no topic: a layer above hands
 * the hub keys (sse_hub_notify: copies them and returns at once, e.g. the
 * order numbers a commit refolded) and sets a feed; the hub's own thread
 * calls the feed once per key, off the caller's thread, and the feed
 * publishes what the key means to its topics (src/app/live.c) - only while
 * some stream is open: with none, keys are dropped unread.  The thread
 * also writes a comment line (": hb") to every stream every SSE_HEARTBEAT_MS,
 * so a dead client is noticed (the write fails) and proxies keep the line
 * open.
 *
 * A route turns its request into a stream with http_sse() once it is
 * authorized, saying who the stream is for and how long it may live:
 *
 *   struct sse_grant g = { .audience = SSE_PUBLIC, .expires_ms = link_expiry_ms };
 *   return http_sse(r, "order:1001", &g);
 *
 * Budgets: each audience (staff streams, public tracking-page streams) has
 * its own cap of open streams, and may cap the streams of one client
 * address, so a flood by one audience or one address never takes the
 * slots of another (503 too_many_streams).
 *
 * Validity: a stream ends (an "end" event, then end of stream) when its
 * grant's expiry passes - checked every SSE_TICK_MS - or when the hub's
 * check (sse_hub_set_check), re-run on the hub's thread every
 * SSE_RECHECK_MS for a stream with a principal, says the principal is no
 * longer valid (a revoked key).  A client that reconnects is then refused
 * by its route.
 *
 * How it works with libmicrohttpd: http_sse queues a response whose content
 * reader copies the stream's pending bytes; with none pending it suspends
 * the connection (MHD_suspend_connection, allowed from a content reader)
 * while holding the hub lock and returns 0; the hub resumes it (never under
 * its lock; a flag under the lock says who owns the resume) when data or a
 * heartbeat is due.  Suspended connections do not time out and do not see
 * the client go away, hence the heartbeat.  libmicrohttpd forbids stopping
 * the daemon with suspended connections: sse_hub_close() ends every stream
 * (resumes it, the reader returns end-of-stream) and server_stop waits for
 * the requests to complete before MHD_stop_daemon.
 *
 * Threads: everything here may be called from any thread.
 */
#ifndef WISMO_SSE_H
#define WISMO_SSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "http.h"

#define SSE_HEARTBEAT_MS 15000
#define SSE_RETRY_MS 3000             /* the "retry:" line sent first */
#define SSE_MAX_STREAMS_DEFAULT 256   /* [streams] max: staff streams */
#define SSE_MAX_PUBLIC_DEFAULT 256    /* [streams] max_public: tracking-page streams */
/* [streams] public_per_client: a closed tab's stream lingers until its next
 * heartbeat (15 s), so a shopper's reloads count against it */
#define SSE_PUBLIC_PER_CLIENT_DEFAULT 32
#define SSE_TICK_MS 1000              /* expiry checks, heartbeats */
#define SSE_RECHECK_MS 5000           /* principal checks (a revoked key's stream ends within this + a tick) */
#define SSE_PENDING_MAX (256 * 1024)  /* a client this far behind is dropped */
#define SSE_TOPIC_MAX 96
#define SSE_KEY_MAX 64

struct sse_hub;
struct http_metrics;

/* Called on the hub's thread for each key handed to sse_hub_notify. */
typedef void (*sse_feed_fn)(void *ctx, struct sse_hub *h, const char *key);
/* Called on the hub's thread (never under the hub's lock) with a stream's
 * principal: true while it may go on streaming; an error reading it counts
 * as valid (a store that cannot be read now ends no stream). */
typedef bool (*sse_check_fn)(void *ctx, const char *principal);

/* Who a stream is for: each has its own budget. */
enum sse_audience { SSE_STAFF = 0, SSE_PUBLIC = 1, SSE_AUDIENCES };

struct sse_budget {
	unsigned max;        /* streams of the audience open at once (0: default) */
	unsigned per_client; /* of them from one client address; 0: no cap */
};

/* What a route grants a stream (copied by http_sse). */
struct sse_grant {
	enum sse_audience audience;
	int64_t expires_ms;               /* wall-clock ms when it ends (a link's expiry); 0: never */
	char principal[SSE_KEY_MAX + 1];  /* handed to the hub's check; "": not re-checked */
};

/* Starts the hub's thread with a budget per audience (copied).  m (may be
 * NULL) counts streams for /metrics. */
enum werr sse_hub_new(const struct sse_budget budgets[SSE_AUDIENCES], struct http_metrics *m,
		      struct sse_hub **out);
void sse_hub_set_feed(struct sse_hub *h, sse_feed_fn feed, void *ctx);
/* Sets the check re-run for streams with a principal (the wiring, before
 * serving). */
void sse_hub_set_check(struct sse_hub *h, sse_check_fn check, void *ctx);
/* Copies the keys (cut to SSE_KEY_MAX) and wakes the hub's thread. */
void sse_hub_notify(struct sse_hub *h, const char *const *keys, size_t n);
/* Queues one event (copied) for every stream on topic.  data is one line of
 * JSON (no newline). */
void sse_hub_publish(struct sse_hub *h, const char *topic, const char *event, const char *data);
/* Streams open now. */
unsigned sse_hub_streams(struct sse_hub *h);
/* Ends every stream and refuses new ones (503); streams finish on their own
 * connections' threads. */
void sse_hub_close(struct sse_hub *h);
/* Stops the thread and frees the hub; call after the daemon has stopped. */
void sse_hub_free(struct sse_hub *h);

/* The server's hub. */
struct sse_hub *http_server_hub(struct http_server *s);

/*
 * Turns r into an event stream on topic (Content-Type text/event-stream,
 * Cache-Control no-store, X-Accel-Buffering no, the headers added with
 * http_add_header, a "retry:" line first).  Call after authorization, on
 * GET.  g says whose budget it takes and how long it lives.  Returns
 * HTTP_SUSPENDED: the response is queued and the server has nothing more to
 * send for this request.  When the audience's budget (or its per-client
 * share) is used up or the hub is closing it sets a 503 reply and returns
 * HTTP_DONE.
 */
enum http_result http_sse(struct http_req *r, const char *topic, const struct sse_grant *g);

#endif
