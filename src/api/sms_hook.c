/*
 * sms_hook.c - POST /hooks/sms: inbound text messages from the SMS provider,
 * in Twilio's shape (form-encoded From, To, Body, MessageSid, ...), signed
 * with X-Twilio-Signature = base64(HMAC-SHA1(auth token, URL + the POST
 * parameters sorted by name, each name then value)).  The URL is [sms]
 * public_url: the one the provider was told to call (behind a proxy the
 * server cannot know it).
 *
 * A message that is one keyword records SMS consent for the sender:
 *   STOP, STOPALL, UNSUBSCRIBE, CANCEL, END, QUIT   -> opted out
 *   START, YES, UNSTOP                               -> opted in
 * (any case, surrounding blanks ignored; anything else changes nothing),
 * with an audit entry (actor "sms:<provider>", detail {"message_sid": ...}),
 * written through the side store.  The worker reads consent right before
 * each SMS, so a STOP stops the next message already planned.
 *
 * Replays.  A captured, validly signed START sent again after a STOP must
 * not opt the number back in.  The provider's body carries no time, so a
 * message's time is when this server first recorded it, and the message id
 * (MessageSid) is what tells a replay from a new message:
 *   - a MessageSid already recorded for this number changes nothing (200:
 *     the first delivery was the change; a replay is therefore always older
 *     than any change recorded after it, and cannot undo one);
 *   - a keyword without a MessageSid changes nothing (the provider always
 *     sends one; without it a replay could not be recognized).
 * The check and the write are one transaction under the side-store lock, so
 * two deliveries of one message cannot both apply.
 * The answer is 200 with an empty TwiML <Response/> (the provider sends its
 * own compliance reply); 401 for a missing or wrong signature.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/clock.h"
#include "../base/crypto.h"
#include "../base/log.h"
#include "api_int.h"
#include "../notify/planner.h"
#include "../notify/sms.h"
#include "../base/banned.h"

#define FORM_PARAMS_MAX 64

struct form {
	char *names[FORM_PARAMS_MAX];
	char *values[FORM_PARAMS_MAX];
	size_t n;
};

/* Decodes s[0..len) (application/x-www-form-urlencoded) into a new string. */
static char *form_decode(const char *s, size_t len)
{
	char *out = malloc(len + 1);

	if (out)
		http_form_decode(s, len, out, len + 1);
	return out;
}

static void form_free(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->names[i]);
		free(f->values[i]);
	}
	f->n = 0;
}

static enum werr form_parse(const char *body, size_t len, struct form *f)
{
	size_t at = 0;

	f->n = 0;
	while (at < len) {
		const char *p = body + at, *amp = memchr(p, '&', len - at), *eq;
		size_t plen = amp ? (size_t)(amp - p) : len - at;

		at += plen + 1;
		if (!plen)
			continue;
		if (f->n == FORM_PARAMS_MAX)
			return WERR_TOO_LARGE;
		eq = memchr(p, '=', plen);
		f->names[f->n] = form_decode(p, eq ? (size_t)(eq - p) : plen);
		f->values[f->n] = eq ? form_decode(eq + 1, plen - (size_t)(eq - p) - 1) : form_decode("", 0);
		if (!f->names[f->n] || !f->values[f->n]) {
			free(f->names[f->n]);
			free(f->values[f->n]);
			return WERR_NOMEM;
		}
		f->n++;
	}
	return WERR_OK;
}

static const char *form_get(const struct form *f, const char *name)
{
	for (size_t i = 0; i < f->n; i++)
		if (!strcmp(f->names[i], name))
			return f->values[i];
	return NULL;
}

static bool e164(const char *s)
{
	size_t n = s ? strlen(s) : 0;
	return n >= 8 && n <= 16 && s[0] == '+' && strspn(s + 1, "0123456789") == n - 1;
}

/* Records the decision and its audit entry in one transaction, through the
 * side store (one read-write handle for request threads, notify/planner.h),
 * unless message sid was already recorded for phone: then *replay is set
 * and nothing changes. */
static enum werr record(struct http_req *r, const char *phone, bool opted_in, const char *sid, int64_t now,
			bool *replay)
{
	const struct notify_config *nc = api_of(r)->notify;
	struct store *st;
	char actor[64];
	struct buf d = BUF_INIT;
	enum werr err;

	snprintf(actor, sizeof(actor), "sms:%s", nc->sms.provider[0] ? nc->sms.provider : "twilio");
	if ((err = buf_puts(&d, "{\"message_sid\":")) || (err = buf_json_str(&d, sid ? sid : "")) ||
	    (err = buf_puts(&d, "}"))) {
		buf_release(&d);
		return err;
	}
	if (!(st = notify_side_lock(api_app(r)->planner))) {
		buf_release(&d);
		return WERR_DB;
	}
	*replay = false;
	if (!(err = store_begin(st))) {
		err = store_consent_message_seen(st, phone, sid);
		if (!err)
			*replay = true;
		else if (err == WERR_NOT_FOUND && !(err = store_consent_put(st, phone, opted_in, actor, now)))
			err = store_audit_put(st, actor, opted_in ? "consent.sms_opt_in" : "consent.sms_opt_out",
					      phone, d.p, now);
		if (!err)
			err = store_commit(st);
	}
	if (err) {
		wlog(LOG_ERROR, "sms_hook_write_failed", "error", store_errmsg(st), NULL);
		store_rollback(st);
	}
	notify_side_unlock(api_app(r)->planner);
	buf_release(&d);
	return err;
}

enum http_result api_post_sms_hook(struct http_req *r)
{
	const struct notify_config *nc = api_of(r)->notify;
	const char *token = nc->sms.auth_token, *given = http_header(r, "X-Twilio-Signature");
	const char *from, *body, *sid;
	struct form f = { 0 };
	bool replay = false;
	char url[600], want[64];
	enum werr err;
	int kw;

	if (!token[0]) {
		http_fail(r, HE_UNAUTHORIZED, "no SMS auth token is configured ([sms] auth_token)");
		return HTTP_DONE;
	}
	if ((err = form_parse(r->body.p, r->body.len, &f))) {
		form_free(&f);
		http_fail(r, err == WERR_TOO_LARGE ? HE_TOO_MANY_PARAMS : HE_INTERNAL, "the form could not be read");
		return HTTP_DONE;
	}
	if (nc->sms.public_url[0]) {
		snprintf(url, sizeof(url), "%s", nc->sms.public_url);
	} else {
		const char *host = http_header(r, "Host");
		snprintf(url, sizeof(url), "http://%s%s", host ? host : "", r->url);
	}
	sms_twilio_signature(token, url, (const char *const *)f.names, (const char *const *)f.values, f.n, want);
	if (!given || !want[0] || !crypto_equal(given, strlen(given), want, strlen(want))) {
		form_free(&f);
		http_fail(r, HE_INVALID_SIGNATURE, "X-Twilio-Signature does not match");
		return HTTP_DONE;
	}
	from = form_get(&f, "From");
	body = form_get(&f, "Body");
	sid = form_get(&f, "MessageSid");
	kw = sms_keyword(body);
	if (kw && e164(from) && (!sid || !sid[0])) {
		wlog(LOG_WARN, "sms_consent_ignored", "reason", "no MessageSid", NULL);
		kw = 0;
	}
	if (kw && e164(from) && record(r, from, kw > 0, sid, clock_wall_ms(), &replay)) {
		form_free(&f);
		http_fail(r, HE_STORAGE_UNAVAILABLE, "the consent change could not be stored; retry");
		r->retry_after = "1";
		return HTTP_DONE;
	}
	if (kw && replay)
		wlog(LOG_INFO, "sms_consent_ignored", "reason", "MessageSid already recorded (a replay)", NULL);
	else if (kw)
		wlog(LOG_INFO, "sms_consent", "change", kw > 0 ? "opt_in" : "opt_out", NULL);
	form_free(&f);
	r->content_type = "text/xml";
	r->status = 200;
	buf_reset(&r->out);
	buf_puts(&r->out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response/>");
	return HTTP_DONE;
}
