/*
 * poller.c - the carrier poller (see poller.h for the schedule).
 *
 * Per carrier source: a token bucket (rate_per_minute, burst of a tenth of
 * a minute's budget), an OAuth token with its expiry, and a pause until time
 * after a 429.  Each tick asks poll_due for at most as many packages as the
 * bucket holds, asks the carrier about each, hands the events to the writer
 * (they name the package, not the order: the writer resolves it) and
 * records the next time.
 */
#include "poller.h"

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <pthread.h>
#include <strings.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../base/clock.h"
#include "../adapters/adapter.h"
#include "../adapters/declared.h"
#include "../base/xml.h"
#include "../base/log.h"
#include "poll_http.h"
#include "../base/banned.h"

#define MINUTE_MS (60 * 1000LL)
#define HOUR_MS (60 * MINUTE_MS)
#define DUE_MAX 64

int64_t poll_interval_ms(enum pkg_status status, int failures)
{
	if (failures > 0) {
		int64_t d = 5 * MINUTE_MS;
		for (int i = 1; i < failures && d < 12 * HOUR_MS; i++)
			d *= 2;
		return d < 12 * HOUR_MS ? d : 12 * HOUR_MS;
	}
	switch (status) {
	case PKG_LABEL_CREATED:
		return 4 * HOUR_MS;
	case PKG_OUT_FOR_DELIVERY:
	case PKG_AVAILABLE_FOR_PICKUP:
	case PKG_DELIVERY_ATTEMPTED:
		return 30 * MINUTE_MS;
	default:
		return 2 * HOUR_MS;
	}
}

struct carrier {
	const struct source_cfg *sc;
	const struct adapter *ad;
	double tokens;
	double per_ms;             /* tokens added per millisecond */
	double burst;
	int64_t paused_until;
	char token[2048];          /* OAuth bearer token, "" when none */
	int64_t token_expires;
};

struct poller {
	struct sources_config sources; /* a copy: the sources outlive the caller's */
	struct writer *w;
	const struct mappings *maps;
	const struct zones *zones;
	struct store *st;
	struct carrier carriers[SOURCES_MAX];
	int ncarriers;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stopping;
};


/* The OAuth token endpoint of a carrier, or NULL when it takes an API key. */
static const char *token_path(const struct adapter *ad)
{
	const char *adapter = ad->name;

	if (ad->decl)
		return strcmp(decl_request(ad->decl)->auth, "bearer") ? NULL : decl_request(ad->decl)->token_path;
	if (!strcmp(adapter, "ups"))
		return "/security/v1/oauth/token";
	if (!strcmp(adapter, "fedex"))
		return "/oauth/token";
	if (!strcmp(adapter, "usps"))
		return "/oauth2/v3/token";
	return NULL;
}

/* Fetches a client-credentials token when there is none or it is about to
 * expire.  Sent as a form with the credentials both in the body (FedEx,
 * USPS) and as basic auth (UPS). */
static enum werr ensure_token(struct carrier *c, int64_t now)
{
	const char *path = token_path(c->ad);
	struct poll_response resp = POLL_RESPONSE_INIT;
	char url[1024], auth[600];
	struct buf form = BUF_INIT;
	CURL *esc = curl_easy_init();
	long status;
	enum werr err = WERR_IO;

	if (!path || (c->token[0] && now < c->token_expires - MINUTE_MS)) {
		if (esc)
			curl_easy_cleanup(esc);
		return WERR_OK;
	}
	if (!esc)
		return WERR_NOMEM;
	char *id = curl_easy_escape(esc, c->sc->api_key, 0), *secret = curl_easy_escape(esc, c->sc->api_secret, 0);
	buf_printf(&form, "grant_type=client_credentials&client_id=%s&client_secret=%s", id ? id : "",
		   secret ? secret : "");
	curl_free(id);
	curl_free(secret);
	curl_easy_cleanup(esc);
	snprintf(url, sizeof(url), "%s%s", c->sc->api_base, path);
	snprintf(auth, sizeof(auth), "%s:%s", c->sc->api_key, c->sc->api_secret);
	struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/x-www-form-urlencoded");
	status = poll_http_call("POST", url, h, form.p, auth, &resp, NULL);
	curl_slist_free_all(h);
	if (status == 200 && resp.body.len) {
		cJSON *j = cJSON_ParseWithLength(resp.body.p, resp.body.len);
		const cJSON *tok = cJSON_GetObjectItemCaseSensitive(j, "access_token");
		const cJSON *exp = cJSON_GetObjectItemCaseSensitive(j, "expires_in");
		if (cJSON_IsString(tok) && strlen(tok->valuestring) < sizeof(c->token)) {
			double secs = cJSON_IsNumber(exp) ? exp->valuedouble
				    : cJSON_IsString(exp) ? strtod(exp->valuestring, NULL) : 3600;
			snprintf(c->token, sizeof(c->token), "%s", tok->valuestring);
			c->token_expires = now + (int64_t)(secs > 60 ? secs : 60) * 1000;
			err = WERR_OK;
		}
		cJSON_Delete(j);
	}
	if (err)
		wlog(LOG_WARN, "carrier_token_failed", "source", c->sc->name, NULL);
	buf_release(&form);
	buf_release(&resp.body);
	return err;
}

/* How a value goes into a template: escaped for where it lands. */
enum fill_as { FILL_URL, FILL_XML, FILL_JSON, FILL_HEADER };

static void put_escaped(struct buf *out, const char *v, enum fill_as as, CURL *esc)
{
	if (as == FILL_URL) {
		char *e = curl_easy_escape(esc, v, 0);
		buf_puts(out, e ? e : "");
		curl_free(e);
		return;
	}
	for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			continue; /* no line breaks into a header, no control bytes anywhere */
		if (as == FILL_XML && (*p == '<' || *p == '>' || *p == '&' || *p == '"' || *p == '\''))
			buf_printf(out, "&#%d;", *p);
		else if (as == FILL_JSON && (*p == '"' || *p == '\\'))
			buf_printf(out, "\\%c", *p);
		else
			buf_putc(out, (char)*p);
	}
}

/*
 * Writes a description's template (declared.h) with {api_base}, {tracking},
 * {api_key}, {api_secret} and {account} filled, each escaped for where it
 * lands: URL-escaped in the URL (but {api_base}, which is the URL's start),
 * as XML or JSON text in a body (by its first character), without control
 * characters in a header.  Credentials in a URL (DHL Parcel DE) never reach
 * a log line: the poller logs the source and the number only.
 */
static void fill(struct buf *out, const char *tmpl, const struct source_cfg *sc, const char *tracking, CURL *esc,
		 enum fill_as as)
{
	static const char *const names[] = { "{api_base}", "{tracking}", "{api_key}", "{api_secret}", "{account}" };

	for (const char *p = tmpl; *p;) {
		size_t k;
		for (k = 0; k < 5; k++)
			if (!strncmp(p, names[k], strlen(names[k])))
				break;
		if (k == 5) {
			buf_putc(out, *p++);
			continue;
		}
		const char *v = k == 0 ? sc->api_base : k == 1 ? tracking : k == 2 ? sc->api_key
			      : k == 3 ? sc->api_secret : sc->account;
		if (k == 0 && as == FILL_URL)
			buf_puts(out, v);
		else
			put_escaped(out, v, as, esc);
		p += strlen(names[k]);
	}
}

/* A described carrier's request ([request] of mappings/NAME.carrier). */
static long ask_declared(struct carrier *c, const char *tracking, struct poll_response *resp, CURL *esc)
{
	const struct decl_request *rq = decl_request(c->ad->decl);
	struct buf url = BUF_INIT, body = BUF_INIT, hdr = BUF_INIT;
	struct curl_slist *h = NULL;
	char auth[600];
	long status;

	fill(&url, rq->url, c->sc, tracking, esc, FILL_URL);
	if (rq->body[0]) {
		fill(&body, rq->body, c->sc, tracking, esc, rq->body[0] == '<' ? FILL_XML : FILL_JSON);
		h = curl_slist_append(h, body.p && body.p[0] == '<' ? "Content-Type: text/xml; charset=utf-8"
								    : "Content-Type: application/json");
	}
	if (c->token[0]) {
		buf_printf(&hdr, "Authorization: Bearer %s", c->token);
		h = curl_slist_append(h, hdr.p);
	} else if (!strcmp(rq->auth, "header")) {
		buf_printf(&hdr, "%s: ", rq->key_header);
		put_escaped(&hdr, c->sc->api_key, FILL_HEADER, esc);
		h = curl_slist_append(h, hdr.p);
	}
	buf_reset(&hdr);
	buf_printf(&hdr, "Accept: %s", rq->accept);
	h = curl_slist_append(h, hdr.p);
	for (const char *line = rq->header; *line;) {
		/* one header a line ("header =" may be given more than once) */
		const char *nl = strchr(line, '\n');
		size_t n = nl ? (size_t)(nl - line) : strlen(line);
		char one[2100];
		snprintf(one, sizeof(one), "%.*s", (int)n, line);
		buf_reset(&hdr);
		fill(&hdr, one, c->sc, tracking, esc, FILL_HEADER);
		if (hdr.p && hdr.p[0])
			h = curl_slist_append(h, hdr.p);
		line += n + (nl ? 1 : 0);
	}
	snprintf(auth, sizeof(auth), "%s:%s", c->sc->api_key, c->sc->api_secret);
	status = poll_http_call(rq->method, url.p ? url.p : "", h, body.p, !strcmp(rq->auth, "basic") ? auth : NULL, resp,
				NULL);
	curl_slist_free_all(h);
	buf_release(&url);
	buf_release(&body);
	buf_release(&hdr);
	return status;
}

/* Asks the carrier about one tracking number; the answer's body in resp. */
static long ask(struct carrier *c, const char *tracking, struct poll_response *resp)
{
	char url[1200], auth[2100], key[300];
	struct curl_slist *h = NULL;
	struct buf body = BUF_INIT;
	const char *name = c->ad->name, *method = "GET";
	CURL *esc = curl_easy_init();
	char *tn = esc ? curl_easy_escape(esc, tracking, 0) : NULL;
	long status;

	if (!tn) {
		if (esc)
			curl_easy_cleanup(esc);
		return 0;
	}
	if (c->ad->decl) {
		status = ask_declared(c, tracking, resp, esc);
		curl_free(tn);
		curl_easy_cleanup(esc);
		return status;
	}
	if (c->token[0]) {
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", c->token);
		h = curl_slist_append(h, auth);
	}
	if (!strcmp(name, "ups")) {
		snprintf(url, sizeof(url), "%s/api/track/v1/details/%s?locale=en_US", c->sc->api_base, tn);
		h = curl_slist_append(h, "transId: wismo");
		h = curl_slist_append(h, "transactionSrc: wismo");
	} else if (!strcmp(name, "fedex")) {
		snprintf(url, sizeof(url), "%s/track/v1/trackingnumbers", c->sc->api_base);
		method = "POST";
		buf_puts(&body, "{\"includeDetailedScans\":true,\"trackingInfo\":[{\"trackingNumberInfo\":"
				"{\"trackingNumber\":");
		buf_json_str(&body, tracking);
		buf_puts(&body, "}}]}");
		h = curl_slist_append(h, "Content-Type: application/json");
	} else if (!strcmp(name, "usps")) {
		snprintf(url, sizeof(url), "%s/tracking/v3/tracking/%s?expand=DETAIL", c->sc->api_base, tn);
	} else {
		snprintf(url, sizeof(url), "%s/track/shipments?trackingNumber=%s", c->sc->api_base, tn);
		snprintf(key, sizeof(key), "DHL-API-Key: %s", c->sc->api_key);
		h = curl_slist_append(h, key);
	}
	h = curl_slist_append(h, "Accept: application/json");
	status = poll_http_call(method, url, h, body.p, NULL, resp, NULL);
	curl_slist_free_all(h);
	curl_free(tn);
	curl_easy_cleanup(esc);
	buf_release(&body);
	return status;
}

/* Parses an answer and hands its events to the writer.  Returns false when
 * the answer could not be used (counted as a failed ask). */
static bool feed(struct poller *p, struct carrier *c, const char *tracking, const struct poll_response *resp,
		 int64_t now)
{
	struct hook_request rq = { resp->body.p, resp->body.len, NULL, NULL, NULL };
	struct adapter_env env = { c->sc->name, p->maps, p->zones, now, NULL, NULL, tracking, NULL };
	struct adapter_out out = { 0 };
	struct writer_job job = { 0 };
	bool *dup = NULL, ok = false;

	if (adapter_parse(c->ad, &env, &rq, &out)) {
		wlog(LOG_WARN, "carrier_answer_unreadable", "source", c->sc->name, "tracking", tracking, "reason",
		     out.reason, NULL);
		goto out;
	}
	if (!out.nevents) {
		ok = true;
		goto out;
	}
	if (!(dup = calloc(out.nevents, sizeof(*dup))))
		goto out;
	for (size_t i = 0; i < out.nevents; i++) {
		struct event *ev = &out.events[i];
		if (!ev->package[0])
			EVENT_SET(ev->package, tracking);
		adapter_event_key(p->maps, ev);
	}
	job.source = c->sc->name;
	job.content_type = xml_looks_like(resp->body.p, resp->body.len) ? "application/xml" : "application/json";
	job.raw = resp->body.p;
	job.rawlen = resp->body.len;
	job.events = out.events;
	job.nevents = out.nevents;
	job.duplicate = dup;
	job.received_at = now;
	ok = writer_submit_wait(p->w, &job) == WERR_OK;
out:
	free(dup);
	adapter_out_free(&out);
	return ok;
}

static void poll_carrier(struct poller *p, struct carrier *c, int64_t now)
{
	struct poll_row *rows = NULL;
	size_t n = 0;
	int want;
	char lease[64];
	bool held = false;

	if (now < c->paused_until)
		return;
	/* one node polls each carrier (the lease's holder; docs/scale-out.md) */
	snprintf(lease, sizeof(lease), "poll:%.56s", c->sc->name);
	if (store_lease(p->st, lease, &held) || !held)
		return;
	c->tokens = c->tokens + c->per_ms * 1000;
	if (c->tokens > c->burst)
		c->tokens = c->burst;
	want = (int)c->tokens;
	if (want <= 0)
		return;
	if (want > DUE_MAX)
		want = DUE_MAX;
	if (store_poll_due(p->st, c->ad->decl ? decl_carrier(c->ad->decl) : c->ad->name, now, want, &rows, &n) || !n) {
		free(rows);
		return;
	}
	if (ensure_token(c, now)) {
		c->paused_until = now + 5 * MINUTE_MS;
		free(rows);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		struct poll_response resp = POLL_RESPONSE_INIT;
		long status;
		bool ok = false;

		c->tokens -= 1;
		status = ask(c, rows[i].tracking, &resp);
		if (status == 200)
			ok = feed(p, c, rows[i].tracking, &resp, clock_wall_ms());
		else if (status == 401)
			c->token[0] = '\0'; /* fetch a new token next time */
		else if (status == 429)
			c->paused_until = now + (resp.retry_after > 0 ? resp.retry_after * 1000 : MINUTE_MS);
		if (!ok) {
			char st[16];
			snprintf(st, sizeof(st), "%ld", status);
			wlog(LOG_WARN, "carrier_poll_failed", "source", c->sc->name, "tracking", rows[i].tracking,
			     "status", st, NULL);
			writer_note_failure(p->w, c->sc->name, "fetch"); /* KPIs (docs/kpis.md) */
		}
		int failures = ok ? 0 : rows[i].failures + 1;
		store_poll_done(p->st, rows[i].tracking, now + poll_interval_ms(rows[i].status, failures), failures,
				now);
		buf_release(&resp.body);
		if (status == 429)
			break;
	}
	free(rows);
}

static void *poller_main(void *arg)
{
	struct poller *p = arg;

	pthread_mutex_lock(&p->mu);
	while (!p->stopping) {
		struct timespec until;
		pthread_mutex_unlock(&p->mu);
		int64_t now = clock_wall_ms();
		for (int i = 0; i < p->ncarriers; i++)
			poll_carrier(p, &p->carriers[i], now);
		pthread_mutex_lock(&p->mu);
		until = clock_deadline(CLOCK_REALTIME, 1000);
		if (!p->stopping)
			pthread_cond_timedwait(&p->cond, &p->mu, &until);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

enum werr poller_start(const struct sources_config *sources, const char *store_url, struct writer *w,
		       const struct mappings *maps,
		       const struct zones *zones, struct poller **out, char *errbuf, size_t errcap)
{
	struct poller *p;
	enum werr err;

	*out = NULL;
	if (!(p = calloc(1, sizeof(*p))))
		return WERR_NOMEM;
	p->sources = *sources;
	for (int i = 0; i < p->sources.nsources; i++) {
		const struct source_cfg *sc = &p->sources.sources[i];
		const struct adapter *ad = adapter_lookup(maps, sc->adapter[0] ? sc->adapter : sc->name);
		if (!ad || ad->kind != KIND_CARRIER || !sc->api_base[0])
			continue;
		struct carrier *c = &p->carriers[p->ncarriers++];
		int rate = sc->rate_per_minute > 0 ? sc->rate_per_minute : 60;
		c->sc = sc;
		c->ad = ad;
		c->per_ms = rate / 60000.0;
		c->burst = rate / 10.0 > 1 ? rate / 10.0 : 1;
		c->tokens = 0;
	}
	if (!p->ncarriers) {
		free(p);
		return WERR_OK;
	}
	p->w = w;
	p->maps = maps;
	p->zones = zones;
	if ((err = store_open(store_url, 0, &p->st, errbuf, errcap))) {
		free(p);
		return err;
	}
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->cond, NULL);
	if (pthread_create(&p->thread, NULL, poller_main, p)) {
		store_close(p->st);
		free(p);
		return WERR_INTERNAL;
	}
	*out = p;
	return WERR_OK;
}

void poller_stop(struct poller *p)
{
	if (!p)
		return;
	pthread_mutex_lock(&p->mu);
	p->stopping = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->thread, NULL);
	store_close(p->st);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->cond);
	free(p);
}
