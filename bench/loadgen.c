/*
 * loadgen.c - the load generator for what wrk cannot express: durable
 * ingest (every request a batch of new, unique events, counted from the
 * server's own "accepted" answer) and event-to-visible latency.
 *
 * One thread, non-blocking sockets on epoll, HTTP/1.1 keep-alive, one
 * request in flight per connection (closed loop).  Every loop is bounded by
 * a duration and a request cap; every socket talks to 127.0.0.1 only.
 *
 *   loadgen ingest  --port P --key K --conns 64 --batch 50 --secs 10 [--tag T]
 *       closed loop: each connection posts a batch, waits for the answer,
 *       posts the next.  Prints events/s accepted and request p50/p99.
 *   loadgen visible --port P --key K --rate EVENTS_PER_S --batch 50 --secs 10
 *       paced background ingest at the given rate on 16 connections, plus a
 *       probe: a new order is placed, then a "confirmed" event is posted and
 *       the order is read back-to-back on a second connection until it shows
 *       "confirmed".  Prints the post-to-visible p50/p99/max.
 *
 * Output: one line of key=value pairs on stdout (run.sh parses it).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONNS 256
#define MAX_SAMPLES (4u << 20)
#define RBUF 65536

enum kind { K_INGEST, K_PROBE_POST, K_PROBE_GET };

struct conn {
	int fd;
	enum kind kind;
	bool busy;
	char *req;
	size_t reqlen, sent;
	char rbuf[RBUF];
	size_t rlen;
	double t0; /* send time, ms */
	int nbatch; /* events in the request in flight */
};

static const char *g_key = "";
static int g_port;
static int g_batch = 50;
static const char *g_tag = "b";
static uint64_t g_seq;  /* unique event ids */
static uint64_t g_order; /* order numbers */
static int g_ep;

static double *lat; /* request latencies, ms */
static size_t nlat;
static uint64_t accepted, non200;

static double now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void die(const char *what)
{
	fprintf(stderr, "loadgen: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int dial(void)
{
	struct sockaddr_in sin = { 0 };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		die("socket");
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)g_port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("connect");
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK))
		die("fcntl");
	return fd;
}

/* Appends printf output to a growing string. */
struct sb {
	char *p;
	size_t len, cap;
};

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		int n;
		va_start(ap, fmt);
		n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0)
			exit(1);
		if ((size_t)n < b->cap - b->len) {
			b->len += (size_t)n;
			return;
		}
		b->cap = b->cap * 2 + (size_t)n + 256;
		if (!(b->p = realloc(b->p, b->cap)))
			exit(1);
	}
}

static const char *const flow[] = { "placed", "confirmed", "processing", "picked", "packed",
				    "label_created", "in_transit", "in_transit", "out_for_delivery",
				    "delivered" };

/* One event of a 10-event order lifecycle: order milestones from the
 * storefront, parcel scans from the carrier. */
static void put_event(struct sb *b, uint64_t order, int step)
{
	uint64_t id = ++g_seq;
	int hour = step + 1;

	if (step < 5)
		sb_printf(b, "{\"source\":\"shopify\",\"id\":\"%s-%llu\",\"order\":\"%s%llu\","
			  "\"status\":\"%s\",\"occurred_at\":\"2026-11-20T%02d:00:00Z\"%s}",
			  g_tag, (unsigned long long)id, g_tag, (unsigned long long)order, flow[step], hour,
			  step ? ""
			       : ",\"customer\":{\"name\":\"Ada Lovelace\",\"email\":\"ada@example.com\","
				 "\"postal_code\":\"40201\"},\"items\":[{\"sku\":\"MUG-01\",\"name\":"
				 "\"Stoneware mug\",\"quantity\":2}]");
	else
		sb_printf(b, "{\"source\":\"ups\",\"id\":\"%s-%llu\",\"order\":\"%s%llu\","
			  "\"package\":\"1Z%s%llu\",\"carrier\":\"ups\",\"status\":\"%s\","
			  "\"occurred_at\":\"2026-11-20T%02d:00:00Z\",\"location\":{\"city\":\"Louisville\","
			  "\"region\":\"KY\",\"country\":\"US\"}}",
			  g_tag, (unsigned long long)id, g_tag, (unsigned long long)order, g_tag,
			  (unsigned long long)order, flow[step], hour);
}

static void frame(struct conn *c, const char *method, const char *path, const char *body, size_t blen)
{
	struct sb b = { c->req, 0, c->req ? c->reqlen + 1 : 0 };
	if (!b.p) {
		b.cap = 4096;
		b.p = malloc(b.cap);
	}
	sb_printf(&b, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer %s\r\n", method, path,
		  g_key);
	if (body) {
		sb_printf(&b, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n", blen);
		sb_printf(&b, "%.*s", (int)blen, body);
	} else {
		sb_printf(&b, "\r\n");
	}
	c->req = b.p;
	c->reqlen = b.len;
	c->sent = 0;
}

/* A batch of events: consecutive steps of consecutive orders, so each
 * order gets its 10 events over a few requests. */
static struct sb body;
static int g_step;
static void next_ingest(struct conn *c)
{
	body.len = 0;
	sb_printf(&body, "{\"events\":[");
	for (int i = 0; i < g_batch; i++) {
		if (g_step == 0)
			g_order++;
		if (i)
			sb_printf(&body, ",");
		put_event(&body, g_order, g_step);
		g_step = (g_step + 1) % 10;
	}
	sb_printf(&body, "]}");
	frame(c, "POST", "/v1/events", body.p, body.len);
	c->nbatch = g_batch;
}

static void send_some(struct conn *c)
{
	while (c->sent < c->reqlen) {
		ssize_t n = send(c->fd, c->req + c->sent, c->reqlen - c->sent, MSG_NOSIGNAL);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return;
			die("send");
		}
		c->sent += (size_t)n;
	}
}

static void start(struct conn *c)
{
	c->busy = true;
	c->rlen = 0;
	c->t0 = now_ms();
	send_some(c);
}

/* Returns the status code once a whole answer is in rbuf, 0 while not. */
static int parse_answer(struct conn *c, const char **bodyp, size_t *blen)
{
	char *hend, *cl;
	size_t hlen, clen = 0;

	c->rbuf[c->rlen < RBUF ? c->rlen : RBUF - 1] = '\0';
	hend = strstr(c->rbuf, "\r\n\r\n");
	if (!hend)
		return 0;
	hlen = (size_t)(hend - c->rbuf) + 4;
	cl = strcasestr(c->rbuf, "\r\ncontent-length:");
	if (cl && cl < hend)
		clen = strtoul(cl + 17, NULL, 10);
	if (c->rlen < hlen + clen)
		return 0;
	*bodyp = c->rbuf + hlen;
	*blen = clen;
	return c->rlen > 12 ? (int)strtol(c->rbuf + 9, NULL, 10) : -1;
}

/* Reads what is there; returns the status once the answer is complete. */
static int read_some(struct conn *c, const char **bodyp, size_t *blen)
{
	for (;;) {
		ssize_t n = recv(c->fd, c->rbuf + c->rlen, RBUF - 1 - c->rlen, 0);
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			die("recv");
		}
		if (n == 0) {
			errno = ECONNRESET;
			die("server closed the connection");
		}
		c->rlen += (size_t)n;
		if (c->rlen >= RBUF - 1) {
			errno = EMSGSIZE;
			die("answer too large");
		}
	}
	return parse_answer(c, bodyp, blen);
}

static struct conn conns[MAX_CONNS];
static int nconns;

static struct conn *add_conn(enum kind k)
{
	struct conn *c = &conns[nconns];
	struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLET, .data.ptr = c };

	if (nconns == MAX_CONNS) {
		errno = EINVAL;
		die("too many connections");
	}
	c->fd = dial();
	c->kind = k;
	nconns++;
	if (epoll_ctl(g_ep, EPOLL_CTL_ADD, c->fd, &ev))
		die("epoll_ctl");
	return c;
}

static void record(double ms)
{
	if (nlat < MAX_SAMPLES)
		lat[nlat++] = ms;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static double pct(double *v, size_t n, double p)
{
	size_t i;
	if (!n)
		return 0;
	i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
	return v[i < n ? i : n - 1];
}

static uint64_t accepted_in(const char *b, size_t len)
{
	const char *a = memmem(b, len, "\"accepted\":", 11);
	return a ? strtoull(a + 11, NULL, 10) : 0;
}

/* ---- ingest: closed loop ---- */

static void run_ingest(int nc, double secs, double warm)
{
	struct epoll_event evs[MAX_CONNS];
	double tstart = now_ms(), tmeasure = tstart + warm * 1000, tend = tmeasure + secs * 1000;
	double first = 0;
	uint64_t acc0 = 0;

	for (int i = 0; i < nc; i++) {
		struct conn *c = add_conn(K_INGEST);
		next_ingest(c);
		start(c);
	}
	for (;;) {
		double t = now_ms();
		int n;
		if (t >= tend)
			break;
		if (!first && t >= tmeasure) {
			first = t;
			acc0 = accepted;
			nlat = 0;
		}
		n = epoll_wait(g_ep, evs, MAX_CONNS, 100);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			const char *b;
			size_t bl;
			int st;
			if (evs[i].events & EPOLLOUT)
				send_some(c);
			if (!(evs[i].events & EPOLLIN))
				continue;
			st = read_some(c, &b, &bl);
			if (!st)
				continue;
			t = now_ms();
			record(t - c->t0);
			if (st == 200)
				accepted += accepted_in(b, bl);
			else
				non200++;
			next_ingest(c);
			start(c);
		}
	}
	double dt = (now_ms() - (first ? first : tstart)) / 1000.0;
	qsort(lat, nlat, sizeof(*lat), cmp_d);
	printf("events_per_s=%.0f requests=%zu p50_ms=%.2f p99_ms=%.2f max_ms=%.2f non200=%llu\n",
	       (double)(accepted - acc0) / dt, nlat, pct(lat, nlat, 50), pct(lat, nlat, 99),
	       nlat ? lat[nlat - 1] : 0.0, (unsigned long long)non200);
}

/* ---- visible: paced background load plus a probe ---- */

enum probe_state { P_IDLE, P_PLACING, P_POSTED };

static void run_visible(double rate, double secs, double warm)
{
	struct epoll_event evs[MAX_CONNS];
	int nbg = 16;
	struct conn *bg[16], *pp, *pg;
	double interval = 1000.0 * g_batch / rate; /* ms between background requests */
	double tstart = now_ms(), tmeasure = tstart + warm * 1000, tend = tmeasure + secs * 1000;
	double next_bg = tstart, next_probe = tstart, tpost = 0;
	enum probe_state ps = P_IDLE;
	bool got_post = false, saw = false;
	uint64_t probe_order = 0, lagged = 0, bg_acc0 = 0;
	double first = 0;
	char path[128];
	struct sb pb = { 0 };

	for (int i = 0; i < nbg; i++)
		bg[i] = add_conn(K_INGEST);
	pp = add_conn(K_PROBE_POST);
	pg = add_conn(K_PROBE_GET);
	for (;;) {
		double t = now_ms();
		int n, wait;

		if (t >= tend && ps == P_IDLE)
			break;
		if (t >= tend + 5000) {
			fprintf(stderr, "loadgen: probe not visible after 5 s\n");
			break;
		}
		if (!first && t >= tmeasure) {
			first = t;
			nlat = 0;
			bg_acc0 = accepted;
		}
		/* background: send every interval on an idle connection */
		while (t >= next_bg && t < tend) {
			int i;
			for (i = 0; i < nbg && bg[i]->busy; i++)
				;
			if (i == nbg) {
				lagged++;
				break;
			}
			next_ingest(bg[i]);
			start(bg[i]);
			next_bg += interval;
		}
		/* probe: place an order, then time confirmed until visible */
		if (ps == P_IDLE && t >= next_probe && t < tend) {
			probe_order++;
			pb.len = 0;
			sb_printf(&pb, "{\"events\":[{\"source\":\"shopify\",\"id\":\"%s-p%llu-0\",\"order\":"
				       "\"%sp%llu\",\"status\":\"placed\",\"occurred_at\":\"2026-11-20T08:00:00Z\"}]}",
				  g_tag, (unsigned long long)probe_order, g_tag, (unsigned long long)probe_order);
			frame(pp, "POST", "/v1/events", pb.p, pb.len);
			start(pp);
			ps = P_PLACING;
		}
		wait = 1;
		n = epoll_wait(g_ep, evs, MAX_CONNS, wait);
		for (int i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;
			const char *b;
			size_t bl;
			int st;
			if (evs[i].events & EPOLLOUT)
				send_some(c);
			if (!(evs[i].events & EPOLLIN) || !c->busy)
				continue;
			st = read_some(c, &b, &bl);
			if (!st)
				continue;
			c->busy = false;
			t = now_ms();
			if (c->kind == K_INGEST) {
				if (st == 200)
					accepted += accepted_in(b, bl);
				else
					non200++;
			} else if (c == pp && ps == P_PLACING) {
				if (st != 200)
					non200++;
				/* post the status change and start reading at once */
				pb.len = 0;
				sb_printf(&pb, "{\"events\":[{\"source\":\"shopify\",\"id\":\"%s-p%llu-1\","
					       "\"order\":\"%sp%llu\",\"status\":\"confirmed\","
					       "\"occurred_at\":\"2026-11-20T08:01:00Z\"}]}",
					  g_tag, (unsigned long long)probe_order, g_tag,
					  (unsigned long long)probe_order);
				frame(pp, "POST", "/v1/events", pb.p, pb.len);
				snprintf(path, sizeof(path), "/v1/orders/%sp%llu", g_tag,
					 (unsigned long long)probe_order);
				start(pp);
				tpost = pp->t0;
				frame(pg, "GET", path, NULL, 0);
				start(pg);
				ps = P_POSTED;
				got_post = saw = false;
			} else if (c == pp) {
				if (st != 200)
					non200++;
				got_post = true;
			} else if (c == pg) {
				if (st == 200 && memmem(b, bl, "\"status\":\"confirmed\"", 20))
					saw = true;
				if (!saw) {
					frame(pg, "GET", path, NULL, 0);
					start(pg);
				} else if (!got_post || saw) {
					if (first)
						record(t - tpost);
				}
			}
			if (ps == P_POSTED && saw && got_post) {
				ps = P_IDLE;
				next_probe = t + 10; /* about 50-90 probes a second */
			}
		}
	}
	double dt = (now_ms() - (first ? first : tstart)) / 1000.0;
	qsort(lat, nlat, sizeof(*lat), cmp_d);
	printf("probes=%zu p50_ms=%.2f p99_ms=%.2f max_ms=%.2f bg_events_per_s=%.0f lagged=%llu non200=%llu\n",
	       nlat, pct(lat, nlat, 50), pct(lat, nlat, 99), nlat ? lat[nlat - 1] : 0.0,
	       (double)(accepted - bg_acc0) / dt, (unsigned long long)lagged, (unsigned long long)non200);
	free(pb.p);
}

int main(int argc, char **argv)
{
	int nc = 64;
	double secs = 10, warm = 1, rate = 10000;
	const char *mode = argc > 1 ? argv[1] : "";

	for (int i = 2; i + 1 < argc; i += 2) {
		const char *o = argv[i], *v = argv[i + 1];
		if (!strcmp(o, "--port"))
			g_port = (int)strtol(v, NULL, 10);
		else if (!strcmp(o, "--key"))
			g_key = v;
		else if (!strcmp(o, "--conns"))
			nc = (int)strtol(v, NULL, 10);
		else if (!strcmp(o, "--batch"))
			g_batch = (int)strtol(v, NULL, 10);
		else if (!strcmp(o, "--secs"))
			secs = strtod(v, NULL);
		else if (!strcmp(o, "--warmup"))
			warm = strtod(v, NULL);
		else if (!strcmp(o, "--rate"))
			rate = strtod(v, NULL);
		else if (!strcmp(o, "--tag"))
			g_tag = v;
		else {
			fprintf(stderr, "loadgen: unknown option %s\n", o);
			return 2;
		}
	}
	if (!g_port || nc < 1 || nc > MAX_CONNS - 2 || g_batch < 1 || g_batch > 1000 || secs <= 0 ||
	    secs > 600 || rate <= 0) {
		fprintf(stderr, "usage: loadgen ingest|visible --port P --key K [--conns N] [--batch B]"
				" [--secs S] [--warmup S] [--rate EV/S] [--tag T]\n");
		return 2;
	}
	if (!(lat = malloc(MAX_SAMPLES * sizeof(*lat))) || (g_ep = epoll_create1(0)) < 0)
		die("setup");
	if (!strcmp(mode, "ingest"))
		run_ingest(nc, secs, warm);
	else if (!strcmp(mode, "visible"))
		run_visible(rate, secs, warm);
	else {
		fprintf(stderr, "loadgen: mode must be ingest or visible\n");
		return 2;
	}
	return non200 ? 1 : 0;
}
