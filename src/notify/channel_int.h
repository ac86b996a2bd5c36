/*
 * channel_int.h - what the channel files share (private to src/notify/):
 * the channels' timeouts, the four struct channel the table in channel.c
 * holds, the outbound HTTP exchange (chan_http.h), and the pure builders
 * the unit tests check (tests/notify/test_channels.c).
 *
 * Logging: none of these functions logs a recipient, a body or a secret;
 * errors written into send_result.error name the channel and the status
 * only.
 */
#ifndef WISMO_CHANNEL_INT_H
#define WISMO_CHANNEL_INT_H

#include <stddef.h>
#include <stdint.h>

#include "../base/buf.h"
#include "chan_http.h"
#include "channel.h"
#include "notify_config.h"
#include "sms.h"

/* Every outbound call (SMTP included): a receiver that does not answer
 * holds one worker attempt at most this long. */
#define CHANNEL_CONNECT_TIMEOUT_S 5
#define CHANNEL_TIMEOUT_S 20

/* One each, in smtp.c, sms.c, webhook.c and helpdesk.c. */
extern const struct channel email_channel;
extern const struct channel sms_channel;
extern const struct channel webhook_channel;
extern const struct channel ticket_channel;

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

/* (sms_form, sms_twilio_signature, sms_keyword: sms.h) */

/* The Zendesk body: {"ticket":{subject, comment{body}, tags, external_id}}
 * to open one (update false), {"ticket":{status, comment{body}}} to update
 * one with m->ticket_status. */
enum werr ticket_body(const struct message *m, bool update, struct buf *out);

#endif
