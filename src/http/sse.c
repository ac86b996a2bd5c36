/*
 * sse.c - Server-Sent Events hub and streams (contract in sse.h).
 *
 * Each stream is one queued libmicrohttpd response whose content reader
 * hands over the stream's pending bytes.  The state of a stream, all under
 * the hub's mutex:
 *
 *          publish / heartbeat / close: take the resume token
 *     +-------------------------------------------------------+
 *     v                                                       |
 *  RUNNING --reader finds nothing pending--> SUSPENDED -------+
 *     |      (MHD_suspend_connection under the mutex;
 *     |       suspended = true is the resume token)
 *     +--reader finds nothing pending and closing--> END (end of stream)
 *
 * Whoever sets suspended from true to false owns the one
 * MHD_resume_connection call, made after dropping the mutex (so no MHD lock
 * is ever taken inside ours except the suspend itself, which libmicrohttpd
 * documents as allowed from a content reader).  A suspended connection
 * cannot be closed by libmicrohttpd, so the stream (and conn) stay valid
 * until that resume call.  The free callback (the response is destroyed:
 * end of stream, client gone, daemon stopped) unlinks and frees the stream.
 *
 * Ending a stream early (expiry, a principal no longer valid, shutdown) is
 * the same move as closing: closing = true and take the token; the reader
 * sends what is pending (the "end" event) and then ends the stream.
 */
#include "sse.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/clock.h"
#include "../base/log.h"
#include "../base/walloc.h"
#include "metrics.h"
#include "server_int.h"
#include "../base/banned.h"

#define SSE_BLOCK 4096
#define SSE_CLIENT_MAX 64

struct sse_stream {
	struct sse_hub *hub;
	struct MHD_Connection *conn;
	uint64_t id;        /* names the stream across an unlocked check */
	char topic[SSE_TOPIC_MAX + 1];
	struct sse_grant grant;
	char client[SSE_CLIENT_MAX]; /* the client's address */
	int64_t next_check; /* monotonic ms of the next principal check */
	struct buf pending; /* bytes not yet handed to libmicrohttpd, from off */
	size_t off;
	bool suspended;     /* the resume token */
	bool closing;       /* end the stream once pending is sent */
	int64_t next_hb;    /* monotonic ms */
	struct sse_stream *prev, *next;
};

struct sse_hub {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sse_stream *head;
	unsigned nstreams;
	unsigned open[SSE_AUDIENCES];
	struct sse_budget budget[SSE_AUDIENCES];
	uint64_t next_id;
	sse_check_fn check;
	void *check_ctx;
	bool closing, stop;
	char (*keys)[SSE_KEY_MAX + 1]; /* notified, not yet fed */
	size_t nkeys, cap;
	sse_feed_fn feed;
	void *feed_ctx;
	pthread_t thread;
	struct http_metrics *metrics;
};


/* Resumes the connections collected under the mutex; call without it. */
static void resume_all(struct MHD_Connection **conns, size_t n)
{
	for (size_t i = 0; i < n; i++)
		MHD_resume_connection(conns[i]);
}

/* Takes the resume token of s (mutex held); true when the caller must
 * resume s->conn after unlocking. */
static bool take_token(struct sse_stream *s)
{
	if (!s->suspended)
		return false;
	s->suspended = false;
	return true;
}

/* Appends to a stream (mutex held); a client too far behind is ended. */
static void stream_put(struct sse_stream *s, const char *text, size_t len)
{
	if (s->closing)
		return;
	if (s->pending.len - s->off + len > SSE_PENDING_MAX || buf_append(&s->pending, text, len)) {
		s->closing = true;
		wlog(LOG_WARN, "sse_client_behind", "topic", s->topic, NULL);
	}
	s->next_hb = clock_mono_ms() + SSE_HEARTBEAT_MS;
}

static ssize_t stream_read(void *cls, uint64_t pos, char *out, size_t max)
{
	struct sse_stream *s = cls;
	struct sse_hub *h = s->hub;
	ssize_t n;

	(void)pos;
	pthread_mutex_lock(&h->mu);
	if (s->pending.len > s->off) {
		size_t avail = s->pending.len - s->off;
		size_t take = avail < max ? avail : max;
		memcpy(out, s->pending.p + s->off, take);
		s->off += take;
		if (s->off == s->pending.len) {
			buf_reset(&s->pending);
			s->off = 0;
		}
		n = (ssize_t)take;
	} else if (s->closing) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		/* nothing to send: park the connection until the hub has
		 * something (libmicrohttpd: "returning zero should only be used
		 * in conjunction with MHD_suspend_connection") */
		s->suspended = true;
		MHD_suspend_connection(s->conn);
		n = 0;
	}
	pthread_mutex_unlock(&h->mu);
	return n;
}

static void stream_free(void *cls)
{
	struct sse_stream *s = cls;
	struct sse_hub *h = s->hub;

	pthread_mutex_lock(&h->mu);
	if (s->prev)
		s->prev->next = s->next;
	else
		h->head = s->next;
	if (s->next)
		s->next->prev = s->prev;
	h->nstreams--;
	h->open[s->grant.audience]--;
	pthread_mutex_unlock(&h->mu);
	if (h->metrics)
		http_metrics_sse(h->metrics, -1, false);
	buf_release(&s->pending);
	free(s);
}

void sse_hub_publish(struct sse_hub *h, const char *topic, const char *event, const char *data)
{
	struct MHD_Connection **conns;
	struct buf msg = BUF_INIT;
	size_t n = 0;

	if (buf_printf(&msg, "event: %s\ndata: %s\n\n", event, data)) {
		buf_release(&msg);
		return;
	}
	pthread_mutex_lock(&h->mu);
	conns = h->nstreams ? malloc(h->nstreams * sizeof(*conns)) : NULL;
	for (struct sse_stream *s = h->head; s; s = s->next) {
		if (strcmp(s->topic, topic))
			continue;
		stream_put(s, msg.p, msg.len);
		if (conns && take_token(s))
			conns[n++] = s->conn;
		else if (!conns)
			s->closing = true; /* out of memory: cannot wake it, end it at its next read */
	}
	pthread_mutex_unlock(&h->mu);
	resume_all(conns, n);
	free(conns);
	buf_release(&msg);
}

/* Heartbeats due now, or ending every stream when closing (mutex taken). */
static void hub_sweep(struct sse_hub *h, bool close_all)
{
	struct MHD_Connection **conns;
	size_t n = 0;
	int64_t now = clock_mono_ms();

	pthread_mutex_lock(&h->mu);
	if (close_all)
		h->closing = true;
	conns = h->nstreams ? malloc(h->nstreams * sizeof(*conns)) : NULL;
	for (struct sse_stream *s = h->head; s; s = s->next) {
		if (close_all)
			s->closing = true;
		else if (now >= s->next_hb)
			stream_put(s, ": hb\n\n", 6);
		else
			continue;
		if (conns && take_token(s))
			conns[n++] = s->conn;
	}
	pthread_mutex_unlock(&h->mu);
	resume_all(conns, n);
	free(conns);
}

/* Ends s with an "end" event saying why (mutex held); true when the caller
 * must resume s->conn. */
static bool stream_end(struct sse_stream *s, const char *reason)
{
	char msg[128];
	int n;

	if (s->closing)
		return false;
	n = snprintf(msg, sizeof(msg), "event: end\ndata: {\"reason\":\"%s\"}\n\n", reason);
	stream_put(s, msg, (size_t)n);
	s->closing = true;
	return take_token(s);
}

struct due {
	uint64_t id;
	char principal[SSE_KEY_MAX + 1];
	bool valid;
};

/*
 * Ends the streams whose grant no longer holds: expired ones at once, and
 * those whose principal the check refuses.  The check reads the store, so
 * it runs without the mutex on copies of the principals; streams are found
 * again by id afterwards (one may have gone meanwhile).
 */
static void hub_recheck(struct sse_hub *h)
{
	struct MHD_Connection **conns;
	struct due *due = NULL;
	size_t n = 0, ndue = 0;
	int64_t wall = clock_wall_ms(), now = clock_mono_ms();

	pthread_mutex_lock(&h->mu);
	conns = h->nstreams ? wmalloc(h->nstreams * sizeof(*conns)) : NULL;
	due = h->nstreams && h->check ? wcalloc(h->nstreams, sizeof(*due)) : NULL;
	for (struct sse_stream *s = h->head; s; s = s->next) {
		if (s->grant.expires_ms && wall >= s->grant.expires_ms) {
			if (stream_end(s, "expired"))
				conns[n++] = s->conn;
		} else if (due && s->grant.principal[0] && !s->closing && now >= s->next_check) {
			s->next_check = now + SSE_RECHECK_MS;
			due[ndue].id = s->id;
			memcpy(due[ndue].principal, s->grant.principal, sizeof(due[ndue].principal));
			ndue++;
		}
	}
	pthread_mutex_unlock(&h->mu);
	resume_all(conns, n);
	n = 0;
	for (size_t i = 0; i < ndue; i++) {
		size_t j;
		/* one read per principal, however many streams it has open */
		for (j = 0; j < i && strcmp(due[j].principal, due[i].principal); j++)
			;
		due[i].valid = j < i ? due[j].valid : h->check(h->check_ctx, due[i].principal);
	}
	if (ndue) {
		pthread_mutex_lock(&h->mu);
		for (struct sse_stream *s = h->head; s; s = s->next)
			for (size_t i = 0; i < ndue; i++)
				if (due[i].id == s->id && !due[i].valid && stream_end(s, "revoked"))
					conns[n++] = s->conn;
		pthread_mutex_unlock(&h->mu);
		resume_all(conns, n);
	}
	free(due);
	free(conns);
}

static void *hub_main(void *p)
{
	struct sse_hub *h = p;

	pthread_mutex_lock(&h->mu);
	while (!h->stop) {
		char (*keys)[SSE_KEY_MAX + 1];
		size_t n;
		struct timespec until;

		if (!h->nkeys) {
			until = clock_deadline(CLOCK_REALTIME, SSE_TICK_MS);
			pthread_cond_timedwait(&h->cv, &h->mu, &until);
		}
		keys = h->keys;
		n = h->nkeys;
		h->keys = NULL;
		h->nkeys = h->cap = 0;
		/* nobody listens: no reading of what changed (a stream opened
		 * later starts from the page it loads) */
		bool listened = h->nstreams > 0;
		pthread_mutex_unlock(&h->mu);
		for (size_t i = 0; i < n && h->feed && listened; i++)
			h->feed(h->feed_ctx, h, keys[i]);
		free(keys);
		hub_sweep(h, false);
		hub_recheck(h);
		pthread_mutex_lock(&h->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

enum werr sse_hub_new(const struct sse_budget budgets[SSE_AUDIENCES], struct http_metrics *m,
		      struct sse_hub **out)
{
	struct sse_hub *h = calloc(1, sizeof(*h));
	pthread_condattr_t ca;

	*out = NULL;
	if (!h)
		return WERR_NOMEM;
	for (int a = 0; a < SSE_AUDIENCES; a++)
		h->budget[a] = budgets[a];
	if (!h->budget[SSE_STAFF].max)
		h->budget[SSE_STAFF].max = SSE_MAX_STREAMS_DEFAULT;
	if (!h->budget[SSE_PUBLIC].max)
		h->budget[SSE_PUBLIC].max = SSE_MAX_PUBLIC_DEFAULT;
	h->metrics = m;
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_cond_init(&h->cv, &ca);
	pthread_condattr_destroy(&ca);
	if (pthread_create(&h->thread, NULL, hub_main, h)) {
		pthread_cond_destroy(&h->cv);
		pthread_mutex_destroy(&h->mu);
		free(h);
		return WERR_INTERNAL;
	}
	*out = h;
	return WERR_OK;
}

void sse_hub_set_feed(struct sse_hub *h, sse_feed_fn feed, void *ctx)
{
	pthread_mutex_lock(&h->mu);
	h->feed = feed;
	h->feed_ctx = ctx;
	pthread_mutex_unlock(&h->mu);
}

void sse_hub_set_check(struct sse_hub *h, sse_check_fn check, void *ctx)
{
	pthread_mutex_lock(&h->mu);
	h->check = check;
	h->check_ctx = ctx;
	pthread_mutex_unlock(&h->mu);
}

/* Streams of audience a from client open now (mutex held). */
static unsigned client_streams(struct sse_hub *h, enum sse_audience a, const char *client)
{
	unsigned n = 0;

	for (struct sse_stream *s = h->head; s; s = s->next)
		n += s->grant.audience == a && !strcmp(s->client, client);
	return n;
}

void sse_hub_notify(struct sse_hub *h, const char *const *keys, size_t n)
{
	if (!h || !n)
		return;
	pthread_mutex_lock(&h->mu);
	for (size_t i = 0; i < n; i++) {
		if (h->nkeys == h->cap) {
			size_t nc = h->cap ? h->cap * 2 : 64;
			void *q = nc <= 100000 ? realloc(h->keys, nc * sizeof(*h->keys)) : NULL;
			if (!q)
				break; /* live updates are best effort; the pages reload on reconnect */
			h->keys = q;
			h->cap = nc;
		}
		snprintf(h->keys[h->nkeys++], sizeof(h->keys[0]), "%s", keys[i]);
	}
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

unsigned sse_hub_streams(struct sse_hub *h)
{
	unsigned n;

	pthread_mutex_lock(&h->mu);
	n = h->nstreams;
	pthread_mutex_unlock(&h->mu);
	return n;
}

void sse_hub_close(struct sse_hub *h)
{
	if (h)
		hub_sweep(h, true);
}

void sse_hub_free(struct sse_hub *h)
{
	if (!h)
		return;
	pthread_mutex_lock(&h->mu);
	h->stop = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	if (h->head)
		wlog(LOG_ERROR, "sse_streams_left", NULL); /* the daemon must be stopped first */
	free(h->keys);
	pthread_cond_destroy(&h->cv);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

enum http_result http_sse(struct http_req *r, const char *topic, const struct sse_grant *g)
{
	struct sse_hub *h = r->srv->sse;
	struct sse_stream *s;
	struct MHD_Response *resp;
	static const char hello[] = "retry: %d\n: stream open\n\n";
	const char *full = NULL;
	unsigned cap = 0;

	if (strlen(topic) > SSE_TOPIC_MAX || (unsigned)g->audience >= SSE_AUDIENCES) {
		http_fail(r, HE_NOT_FOUND, "no such stream");
		return HTTP_DONE;
	}
	if (!(s = calloc(1, sizeof(*s)))) {
		http_werr(r, WERR_NOMEM, NULL);
		return HTTP_DONE;
	}
	s->hub = h;
	s->conn = r->conn;
	memcpy(s->topic, topic, strlen(topic) + 1);
	s->grant = *g;
	s->grant.principal[SSE_KEY_MAX] = '\0';
	http_client_ip(r, s->client);
	s->next_check = clock_mono_ms() + SSE_RECHECK_MS;
	buf_init(&s->pending, 0);
	s->next_hb = clock_mono_ms() + SSE_HEARTBEAT_MS;
	if (buf_printf(&s->pending, hello, SSE_RETRY_MS)) {
		free(s);
		http_werr(r, WERR_NOMEM, NULL);
		return HTTP_DONE;
	}
	pthread_mutex_lock(&h->mu);
	if (h->open[g->audience] >= h->budget[g->audience].max) {
		full = g->audience == SSE_PUBLIC ? "tracking-page" : "staff";
		cap = h->budget[g->audience].max;
	} else if (h->budget[g->audience].per_client &&
		   client_streams(h, g->audience, s->client) >= h->budget[g->audience].per_client) {
		full = "one address's";
		cap = h->budget[g->audience].per_client;
	}
	if (h->closing || full) {
		bool closing = h->closing;
		pthread_mutex_unlock(&h->mu);
		buf_release(&s->pending);
		free(s);
		if (h->metrics)
			http_metrics_sse(h->metrics, 0, true);
		r->retry_after = "5";
		if (closing)
			http_fail(r, HE_SHUTTING_DOWN, "the server is stopping");
		else
			http_fail(r, HE_TOO_MANY_STREAMS, "the server holds its limit of %u %s live streams", cap,
				  full);
		return HTTP_DONE;
	}
	s->next = h->head;
	if (h->head)
		h->head->prev = s;
	h->head = s;
	h->nstreams++;
	h->open[g->audience]++;
	s->id = ++h->next_id;
	pthread_mutex_unlock(&h->mu);
	if (h->metrics)
		http_metrics_sse(h->metrics, 1, false);

	/* from here on the stream belongs to the response: stream_free runs
	 * when libmicrohttpd lets go of it (also when creating it failed) */
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, SSE_BLOCK, stream_read, s, stream_free);
	if (!resp) {
		stream_free(s);
		http_werr(r, WERR_NOMEM, NULL);
		return HTTP_DONE;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream; charset=utf-8");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	for (int i = 0; i < r->nheaders; i++)
		MHD_add_response_header(resp, r->headers[i].name, r->headers[i].value);
	r->status = 200;
	if (MHD_queue_response(r->conn, 200, resp) != MHD_YES) {
		MHD_destroy_response(resp); /* frees s through stream_free */
		http_fail(r, HE_INTERNAL, "unable to start the stream");
		return HTTP_DONE;
	}
	MHD_destroy_response(resp); /* the connection holds its own reference */
	http_metrics_request(r->srv->metrics, r->route ? r->route->label : NULL, 200);
	return HTTP_SUSPENDED;
}
