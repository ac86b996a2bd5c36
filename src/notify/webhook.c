/*
 * webhook.c - signed outbound webhooks to the configured subscribers
 * ([webhook NAME] url, secret).
 *
 *   POST <url>
 *   Content-Type: application/json
 *   X-Wismo-Event-Id: <outbox key>       (the same on every retry: dedupe on it)
 *   X-Wismo-Timestamp: <unix seconds>
 *   X-Wismo-Signature: sha256=hex(HMAC-SHA256(secret, timestamp + "." + body))
 *
 * The signature is wismo's generic scheme, the one inbound generic sources
 * use (adapters/adapter.h, sig_generic_sign); docs/channels.md shows how a
 * subscriber checks it.  m->to names the subscriber; m->json is the body.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "channel_int.h"
#include "../base/clock.h"
#include "../adapters/adapter.h"
#include "../base/banned.h"

static enum werr webhook_send(const struct notify_config *cfg, const struct message *m, struct send_result *res)
{
	const struct notify_subscriber *sub = m->to ? notify_subscriber(cfg, m->to) : NULL;
	struct chan_http h = { 0 };
	struct curl_slist *headers = NULL;
	const char *body = m->json ? m->json : "{}";
	char ts[24], sig[80], line[200];
	enum werr err;

	if (!sub || !sub->url[0]) {
		snprintf(res->error, sizeof(res->error), "webhook: no subscriber by that name is configured");
		return WERR_UNSUPPORTED;
	}
	if (!sub->secret[0]) {
		snprintf(res->error, sizeof(res->error), "webhook: the subscriber has no secret");
		return WERR_UNSUPPORTED;
	}
	sig_generic_sign(sub->secret, body, strlen(body), clock_wall_ms(), ts, sig);
	headers = curl_slist_append(headers, "Content-Type: application/json");
	snprintf(line, sizeof(line), "X-Wismo-Event-Id: %s", m->idempotency_key ? m->idempotency_key : "");
	if (headers)
		headers = curl_slist_append(headers, line);
	snprintf(line, sizeof(line), "X-Wismo-Timestamp: %s", ts);
	if (headers)
		headers = curl_slist_append(headers, line);
	snprintf(line, sizeof(line), "X-Wismo-Signature: %s", sig);
	if (headers)
		headers = curl_slist_append(headers, line);
	if (!headers) {
		res->retry = true;
		snprintf(res->error, sizeof(res->error), "webhook: out of memory");
		return WERR_NOMEM;
	}
	h = (struct chan_http){ .method = "POST", .url = sub->url, .headers = headers, .body = body,
				.len = strlen(body) };
	if (!(err = chan_http_call(&h, res))) {
		chan_http_result(res, h.status, "webhook subscriber");
		if (res->ok)
			snprintf(res->remote_id, sizeof(res->remote_id), "http %ld", h.status);
		err = res->ok ? WERR_OK : WERR_IO;
	}
	buf_release(&h.resp);
	curl_slist_free_all(headers);
	return err;
}

static bool webhook_configured(const struct notify_config *cfg)
{
	return cfg->nsubscribers > 0;
}

/* Not templated: the body is the event JSON the worker builds from the
 * stored view, the same bytes on every attempt. */
const struct channel webhook_channel = {
	.name = "webhook",
	.send = webhook_send,
	.configured = webhook_configured,
};
