/*
 * sms.c - the SMS channel in Twilio's request shape:
 *
 *   POST {api_base}/2010-04-01/Accounts/{sid}/Messages.json
 *   Authorization: Basic base64(sid:token)
 *   I-Twilio-Idempotency-Token: <outbox key>
 *   To=+1555...&From=+1555...&Body=...
 *
 * The answer's "sid" is the remote id.  A 4xx (a number that opted out at
 * the provider, a bad number) is final; 429 and 5xx retry.  Also the pure
 * parts (sms.h) the inbound hook (src/api/sms_hook.c) shares: Twilio's
 * request signature and the consent keywords.
 */
#include "sms.h"

#include <cjson/cJSON.h>
#include <ctype.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "channel_int.h"
#include "../base/banned.h"

/* application/x-www-form-urlencoded: unreserved characters as they are,
 * space as '+', everything else %XX. */
static enum werr form_escape(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	enum werr err = WERR_OK;

	for (const unsigned char *p = (const unsigned char *)s; *p && !err; p++) {
		unsigned char c = *p;
		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		    c == '_' || c == '.' || c == '~') {
			err = buf_putc(out, (char)c);
		} else if (c == ' ') {
			err = buf_putc(out, '+');
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };
			err = buf_append(out, e, 3);
		}
	}
	return err;
}

enum werr sms_form(const char *to, const char *from, const char *body, struct buf *out)
{
	enum werr err = buf_puts(out, "To=");

	if (!err)
		err = form_escape(out, to);
	if (!err)
		err = buf_puts(out, "&From=");
	if (!err)
		err = form_escape(out, from);
	if (!err)
		err = buf_puts(out, "&Body=");
	if (!err)
		err = form_escape(out, body);
	return err;
}

struct kv {
	const char *name, *value;
};

static int kv_cmp(const void *a, const void *b)
{
	return strcmp(((const struct kv *)a)->name, ((const struct kv *)b)->name);
}

void sms_twilio_signature(const char *token, const char *url, const char *const *names,
			  const char *const *values, size_t n, char out[64])
{
	struct kv *kv = n ? calloc(n, sizeof(*kv)) : NULL;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;

	out[0] = '\0';
	if (n && !kv)
		return;
	for (size_t i = 0; i < n; i++)
		kv[i] = (struct kv){ names[i], values[i] };
	if (n)
		qsort(kv, n, sizeof(*kv), kv_cmp);
	{
		struct buf data = BUF_INIT;
		bool ok = !buf_puts(&data, url);
		for (size_t i = 0; i < n && ok; i++)
			ok = !buf_puts(&data, kv[i].name) && !buf_puts(&data, kv[i].value);
		if (ok && HMAC(EVP_sha1(), token, (int)strlen(token), (const unsigned char *)data.p, data.len, mac,
			       &maclen))
			EVP_EncodeBlock((unsigned char *)out, mac, (int)maclen);
		buf_release(&data);
	}
	free(kv);
}

int sms_keyword(const char *body)
{
	static const char *const out[] = { "STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT" };
	static const char *const in[] = { "START", "YES", "UNSTOP" };
	char word[16];
	size_t n;

	if (!body)
		return 0;
	while (isspace((unsigned char)*body))
		body++;
	n = strlen(body);
	while (n && isspace((unsigned char)body[n - 1]))
		n--;
	if (!n || n >= sizeof(word))
		return 0;
	memcpy(word, body, n);
	word[n] = '\0';
	for (size_t i = 0; i < sizeof(out) / sizeof(out[0]); i++)
		if (!strcasecmp(word, out[i]))
			return -1;
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++)
		if (!strcasecmp(word, in[i]))
			return 1;
	return 0;
}

static enum werr sms_send(const struct notify_config *cfg, const struct message *m, struct send_result *res)
{
	const struct notify_sms *sms = &cfg->sms;
	struct chan_http h = { 0 };
	struct buf form = BUF_INIT, url = BUF_INIT;
	struct curl_slist *headers = NULL;
	char idem[128];
	enum werr err;

	if (!sms->api_base[0] || !sms->account_sid[0] || !sms->from[0]) {
		snprintf(res->error, sizeof(res->error), "sms channel not configured ([sms] api_base, account_sid, from)");
		return WERR_UNSUPPORTED;
	}
	if (!m->to || m->to[0] != '+' || strlen(m->to) < 8 || strlen(m->to) > 16 ||
	    strspn(m->to + 1, "0123456789") != strlen(m->to) - 1) {
		snprintf(res->error, sizeof(res->error), "sms: recipient is not an E.164 number");
		return WERR_INVALID;
	}
	if ((err = sms_form(m->to, sms->from, m->text ? m->text : "", &form)) ||
	    (err = buf_printf(&url, "%s/2010-04-01/Accounts/%s/Messages.json", sms->api_base, sms->account_sid)))
		goto out;
	snprintf(idem, sizeof(idem), "I-Twilio-Idempotency-Token: %s", m->idempotency_key ? m->idempotency_key : "");
	headers = curl_slist_append(headers, "Content-Type: application/x-www-form-urlencoded");
	if (headers)
		headers = curl_slist_append(headers, idem);
	if (!headers) {
		err = WERR_NOMEM;
		goto out;
	}
	h = (struct chan_http){ .method = "POST", .url = url.p, .headers = headers, .body = form.p, .len = form.len,
				.user = sms->account_sid, .password = sms->auth_token };
	if ((err = chan_http_call(&h, res)))
		goto out;
	chan_http_result(res, h.status, "sms provider");
	if (res->ok) {
		cJSON *j = cJSON_ParseWithLength(h.resp.p, h.resp.len);
		const cJSON *sid = cJSON_GetObjectItemCaseSensitive(j, "sid");
		if (cJSON_IsString(sid))
			snprintf(res->remote_id, sizeof(res->remote_id), "%s", sid->valuestring);
		cJSON_Delete(j);
	}
	err = res->ok ? WERR_OK : WERR_IO;
out:
	if (err == WERR_NOMEM || err == WERR_TOO_LARGE) {
		res->retry = err == WERR_NOMEM;
		snprintf(res->error, sizeof(res->error), "sms: %s", werr_name(err));
	}
	buf_release(&h.resp);
	curl_slist_free_all(headers);
	buf_release(&form);
	buf_release(&url);
	return err;
}

static bool sms_configured(const struct notify_config *cfg)
{
	return cfg->sms.api_base[0] != '\0';
}

const struct channel sms_channel = {
	.name = "sms",
	.send = sms_send,
	.configured = sms_configured,
	.templated = true,
};
