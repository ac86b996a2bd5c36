/*
 * sse.h - Server-Sent Events: live updates for the tracking page, the agent
 * view and the dashboard.
 *
 * One hub per server (created in http_server_new, closed in
 * http_server_stop).  The transport knows no topic: a layer above hands
 * the hub keys (sse_hub_notify: copies them and returns at once, e.g. the
 * order numbers a commit refolded) and sets a feed; the hub's own thread
 * calls the feed once per key, off the caller's thread, and the feed
 * publishes what the key means to its topics (src/app/live.c).  The thread
 * also writes a comment line (": hb") to every stream every SSE_HEARTBEAT_MS,
 * so a dead client is noticed (the write fails) and proxies keep the line
 * open.
 *
 * A route turns its request into a stream with http_sse() once it is
 * authorized:
 *
 *   return http_sse(r, "order:1001");
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

#include <stddef.h>

#include "http.h"

#define SSE_HEARTBEAT_MS 15000
#define SSE_RETRY_MS 3000             /* the "retry:" line sent first */
#define SSE_MAX_STREAMS_DEFAULT 256   /* [streams] max */
#define SSE_PENDING_MAX (256 * 1024)  /* a client this far behind is dropped */
#define SSE_TOPIC_MAX 96
#define SSE_KEY_MAX 64

struct sse_hub;
struct http_metrics;

/* Called on the hub's thread for each key handed to sse_hub_notify. */
typedef void (*sse_feed_fn)(void *ctx, struct sse_hub *h, const char *key);

/* Starts the hub's thread.  m (may be NULL) counts streams for /metrics. */
enum werr sse_hub_new(unsigned max_streams, struct http_metrics *m, struct sse_hub **out);
void sse_hub_set_feed(struct sse_hub *h, sse_feed_fn feed, void *ctx);
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
 * GET.  Returns HTTP_SUSPENDED: the response is queued and the server has
 * nothing more to send for this request.  When the cap of streams is
 * reached or the hub is closing it sets a 503 reply and returns HTTP_DONE.
 */
enum http_result http_sse(struct http_req *r, const char *topic);

#endif
