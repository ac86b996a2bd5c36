/*
 * channel_int.h - what the channel files share (private to src/notify/):
 * one HTTP exchange with the channels' timeouts and its classification,
 * and the pure builders the unit tests check (tests/notify/test_channels.c).
 *
 * Logging: none of these functions logs a recipient, a body or a secret;
 * errors written into send_result.error name the channel and the status
 * only.
 */
#ifndef WISMO_CHANNEL_INT_H
#define WISMO_CHANNEL_INT_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "channel.h"
#include "notify_config.h"

#define CHANNEL_CONNECT_TIMEOUT_S 5
#define CHANNEL_TIMEOUT_S 20
#define CHANNEL_RESPONSE_MAX (256 * 1024)

/* One HTTP request.  headers may be NULL; user/password (basic auth) may be
 * NULL.  On return: status (0 when no answer came), the response body in
 * resp (the caller releases it).  Returns WERR_OK when an answer came
 * (whatever its status), WERR_IO otherwise with res->error and res->retry
 * set from the transport error. */
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
enum werr chan_http_call(struct chan_http *h, struct send_result *res);

/* Fills res from an HTTP status: 2xx ok; 408, 425, 429 and 5xx retry; any
 * other status fails for good.  what names the channel in res->error. */
void chan_http_result(struct send_result *res, long status, const char *what);
/* Whether a transport-level (curl) error is worth retrying. */
bool chan_curl_retryable(CURLcode cc);

enum werr channel_email(const struct notify_config *cfg, const struct message *m, struct send_result *res);
enum werr channel_sms(const struct notify_config *cfg, const struct message *m, struct send_result *res);
enum werr channel_webhook(const struct notify_config *cfg, const struct message *m, struct send_result *res);
enum werr channel_ticket(const struct notify_config *cfg, const struct message *m, struct send_result *res);

/* --- pure builders (unit-tested) --- */

/* An RFC 5322 message with a multipart/alternative body (text + HTML; text
 * only when html is NULL), CRLF line ends, quoted-printable parts, the
 * Subject RFC 2047-encoded when it is not ASCII, and Message-ID
 * <idempotency_key@domain-of-from> so that a receiver can drop a repeat.
 * date_s is the Date header's time (unix seconds). */
enum werr email_build(const struct notify_smtp *smtp, const struct message *m, int64_t date_s, struct buf *out);
/* The Message-ID (with its angle brackets) email_build writes. */
void email_message_id(const char *from, const char *key, char *out, size_t cap);
/* s as an RFC 2047 header value: itself when printable ASCII, otherwise
 * =?UTF-8?B?...?= words of at most 75 characters, never splitting a UTF-8
 * sequence, folded with CRLF SP.  CR and LF in s become spaces. */
enum werr email_header_encode(struct buf *out, const char *s);
/* s quoted-printable (RFC 2045) with CRLF line ends, lines of at most 76. */
enum werr email_qp(struct buf *out, const char *s);
/* "Tue, 03 Mar 2026 10:00:00 +0000" */
void email_date(int64_t unix_s, char out[40]);

/* The form body of an outbound SMS (To, From, Body), URL-encoded. */
enum werr sms_form(const char *to, const char *from, const char *body, struct buf *out);

/* Twilio's request signature: base64(HMAC-SHA1(token, url + each POST
 * parameter's name and value, sorted by name)).  out holds 29 bytes. */
void sms_twilio_signature(const char *token, const char *url, const char *const *names,
			  const char *const *values, size_t n, char out[64]);

/* An inbound SMS that is one keyword (any case, blanks around ignored):
 * -1 opt out (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT), +1 opt in
 * (START, YES, UNSTOP), 0 anything else. */
int sms_keyword(const char *body);

/* The Zendesk body: {"ticket":{subject, comment{body}, tags, external_id}}
 * to open one (update false), {"ticket":{status, comment{body}}} to update
 * one with m->ticket_status. */
enum werr ticket_body(const struct message *m, bool update, struct buf *out);

#endif
