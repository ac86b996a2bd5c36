/* poll_http.c - the outbound HTTP exchange of src/poll/ (contract in poll_http.h). */
#include "poll_http.h"

#include <strings.h>
#include <stdlib.h>
#include <string.h>

#include "../base/banned.h"

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct poll_response *r = ctx;
	size_t max = r->max ? r->max : POLL_HTTP_MAX_DEFAULT;

	if (r->body.len + size * n > max || buf_append(&r->body, p, size * n)) {
		r->too_big = true;
		return 0;
	}
	return size * n;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct poll_response *r = ctx;

	if (size * n > 12 && !strncasecmp(p, "Retry-After:", 12))
		r->retry_after = strtol(p + 12, NULL, 10);
	return size * n;
}

static int on_progress(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal, curl_off_t ulnow)
{
	const atomic_bool *cancel = ctx;

	(void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
	return atomic_load(cancel) ? 1 : 0;
}

long poll_http_call(const char *method, const char *url, struct curl_slist *headers, const char *body,
		    const char *userpwd, struct poll_response *resp, const atomic_bool *cancel)
{
	CURL *c = curl_easy_init();
	long status = 0;

	if (!c)
		return 0;
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)POLL_HTTP_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)POLL_HTTP_CONNECT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, resp);
	if (cancel) {
		curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, on_progress);
		curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)cancel);
		curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
	}
	if (userpwd) {
		curl_easy_setopt(c, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(c, CURLOPT_USERPWD, userpwd);
	}
	if (!strcmp(method, "POST"))
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	if (curl_easy_perform(c) == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_cleanup(c);
	return status;
}
