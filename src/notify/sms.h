/*
 * sms.h - what the SMS provider's two directions share, in Twilio's shape:
 * the outbound message's form body, the request signature an inbound
 * webhook carries, and the consent keywords of an inbound message.  The
 * channel itself (sms_channel, sending) is private to src/notify/; the
 * inbound hook (src/api/sms_hook.c) uses only this header.
 *
 * Pure and thread-safe: no I/O, no global state.  Nothing here logs.
 */
#ifndef WISMO_SMS_H
#define WISMO_SMS_H

#include <stddef.h>

#include "../base/buf.h"
#include "../base/err.h"

/* The form body of an outbound SMS (To, From, Body), URL-encoded
 * (application/x-www-form-urlencoded), appended to out.  WERR_TOO_LARGE or
 * WERR_NOMEM when out cannot grow; out then holds a partial body. */
enum werr sms_form(const char *to, const char *from, const char *body, struct buf *out);

/* Twilio's request signature: base64(HMAC-SHA1(token, url + each POST
 * parameter's name and value, sorted by name)).  out holds 29 bytes; it is
 * "" when memory runs out (which no genuine signature matches).  The
 * caller compares it with the X-Twilio-Signature header in constant time. */
void sms_twilio_signature(const char *token, const char *url, const char *const *names,
			  const char *const *values, size_t n, char out[64]);

/* An inbound SMS that is one keyword (any case, blanks around ignored):
 * -1 opt out (STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT), +1 opt in
 * (START, YES, UNSTOP), 0 anything else (NULL included). */
int sms_keyword(const char *body);

#endif
