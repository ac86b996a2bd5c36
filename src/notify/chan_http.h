/*
 * chan_http.h - the one outbound HTTP exchange of the HTTP channels (SMS,
 * webhooks, tickets): a libcurl request with a body and headers, the
 * channels' connect and total timeouts, http and https only, and the
 * classification of what came back into a send_result (channel.h).
 *
 * Private to src/notify/.  Blocking; thread-safe (one curl easy handle per
 * call, CURLOPT_NOSIGNAL).  Nothing here logs: errors go into send_result.error, which
 * names the channel and the status or the transport error only - never a
 * URL's credentials, a recipient, a body or a secret.
 */
#ifndef WISMO_CHAN_HTTP_H
#define WISMO_CHAN_HTTP_H

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>

#include "../base/buf.h"
#include "channel.h"

/* The answer's body is kept up to this size (only ids are read from it);
 * the rest is dropped, which is not an error. */
#define CHAN_HTTP_RESPONSE_MAX (256 * 1024)

/* One request.  The caller fills method ("POST", "PUT", ...), url, and
 * optionally headers (the caller keeps and frees the list), body and len,
 * user and password (basic auth; password NULL: empty).  On return: status
 * (0 when no answer came) and the answer's body in resp, which the caller
 * releases with buf_release() whatever the result. */
struct chan_http {
	const char *method;
	const char *url;
	struct curl_slist *headers;
	const char *body;
	size_t len;
	const char *user, *password;
	long status;
	struct buf resp;
};

/* Performs h.  WERR_OK when an answer came, whatever its status (classify
 * it with chan_http_result); WERR_IO when none did, with res->error and
 * res->retry set from the transport error; WERR_NOMEM (retry) when curl
 * cannot start. */
enum werr chan_http_call(struct chan_http *h, struct send_result *res);

/* Fills res from an HTTP status: 2xx ok; 408, 425, 429 and 5xx retry; any
 * other status fails for good.  what names the receiver in res->error
 * ("sms provider answered HTTP 400"). */
void chan_http_result(struct send_result *res, long status, const char *what);

/* Whether a transport-level (curl) error is worth retrying: not for a bad
 * URL or protocol, refused credentials or a certificate that does not
 * verify, which the next attempt would meet again.  Also used by SMTP. */
bool chan_http_retryable(CURLcode cc);

#endif
