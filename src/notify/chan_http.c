/*
 * chan_http.c - the HTTP channels' one outbound exchange and its
 * classification (contract in chan_http.h).
 */
#include "chan_http.h"

#include <stdio.h>
#include <string.h>

#include "channel_int.h"
#include "../base/banned.h"

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct buf *b = ctx;

	/* past the cap the rest is dropped, not an error: only ids are read */
	if (buf_append(b, p, size * n))
		return size * n;
	return size * n;
}

bool chan_http_retryable(CURLcode cc)
{
	switch (cc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_LOGIN_DENIED:
	case CURLE_PEER_FAILED_VERIFICATION:
		return false;
	default:
		return true;
	}
}

enum werr chan_http_call(struct chan_http *h, struct send_result *res)
{
	CURL *c = curl_easy_init();
	CURLcode cc;

	buf_init(&h->resp, CHAN_HTTP_RESPONSE_MAX);
	h->status = 0;
	if (!c) {
		snprintf(res->error, sizeof(res->error), "curl init failed");
		res->retry = true;
		return WERR_NOMEM;
	}
	curl_easy_setopt(c, CURLOPT_URL, h->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CHANNEL_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)CHANNEL_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "wismo");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &h->resp);
	if (h->headers)
		curl_easy_setopt(c, CURLOPT_HTTPHEADER, h->headers);
	if (h->user) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERNAME, h->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, h->password ? h->password : "");
	}
	if (h->body) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)h->len);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, h->body);
	}
	if (strcmp(h->method, "POST"))
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, h->method);
	cc = curl_easy_perform(c);
	if (cc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
	curl_easy_cleanup(c);
	if (cc != CURLE_OK) {
		res->retry = chan_http_retryable(cc);
		snprintf(res->error, sizeof(res->error), "%s", curl_easy_strerror(cc));
		return WERR_IO;
	}
	return WERR_OK;
}

void chan_http_result(struct send_result *res, long status, const char *what)
{
	res->http_status = status;
	if (status >= 200 && status < 300) {
		res->ok = true;
		res->retry = false;
		res->error[0] = '\0';
		return;
	}
	res->ok = false;
	res->retry = status == 408 || status == 425 || status == 429 || status >= 500 || status < 100;
	snprintf(res->error, sizeof(res->error), "%s answered HTTP %ld", what, status);
}
