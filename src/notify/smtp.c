/*
 * smtp.c - the email channel: one RFC 5322 message (text and HTML parts)
 * handed to an SMTP server with libcurl.
 *
 * The message is built here rather than with curl_mime so that its bytes
 * are a pure function of the message and the date (unit-tested), and so
 * that the Message-ID is derived from the outbox's idempotency key: a
 * message sent again after a crash carries the same Message-ID, and a
 * receiver (or a mail store) can drop the repeat.
 *
 * Errors: no connection, a timeout or a 4xx reply (the server's "try
 * later") retry; a 5xx reply (a refused sender or recipient, a refused
 * message) does not.  The recipient is never logged.
 */
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "channel_int.h"
#include "../base/banned.h"

void email_date(int64_t unix_s, char out[40])
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)unix_s;
	struct tm tm;

	gmtime_r(&t, &tm);
	snprintf(out, 40, "%s, %02d %s %04d %02d:%02d:%02d +0000", days[tm.tm_wday % 7], tm.tm_mday,
		 months[tm.tm_mon % 12], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void email_message_id(const char *from, const char *key, char *out, size_t cap)
{
	const char *at = from ? strrchr(from, '@') : NULL;
	const char *domain = at && at[1] ? at + 1 : "wismo.invalid";
	size_t dlen = strcspn(domain, "> \t\r\n");

	snprintf(out, cap, "<%s@%.*s>", key && key[0] ? key : "none", (int)dlen, domain);
}

static bool is_ascii_printable(const char *s)
{
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			return false;
	return true;
}

enum werr email_header_encode(struct buf *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s);
	enum werr err = WERR_OK;

	if (is_ascii_printable(s))
		return buf_puts(out, s);
	/* 45 input bytes -> 60 base64 characters + 12 of =?UTF-8?B??= = 72 */
	for (size_t i = 0; i < n && !err;) {
		unsigned char chunk[48], enc[72];
		size_t take = 0;

		while (i + take < n) {
			size_t len = 1;
			unsigned char c = p[i + take];
			if (c >= 0xf0)
				len = 4;
			else if (c >= 0xe0)
				len = 3;
			else if (c >= 0xc0)
				len = 2;
			if (take + len > 45)
				break;
			for (size_t k = 0; k < len && i + take < n; k++, take++)
				chunk[take] = (p[i + take] == '\r' || p[i + take] == '\n') ? ' ' : p[i + take];
		}
		if (take == 0) /* a broken sequence longer than a word: cut it */
			take = 1, chunk[0] = '?';
		EVP_EncodeBlock(enc, chunk, (int)take);
		err = buf_printf(out, "%s=?UTF-8?B?%s?=", i ? "\r\n " : "", (const char *)enc);
		i += take;
	}
	return err;
}

enum werr email_qp(struct buf *out, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s;
	size_t col = 0;
	enum werr err = WERR_OK;

	for (; *p && !err; p++) {
		unsigned char c = *p;
		char enc[4];
		size_t len;

		if (c == '\r' && p[1] == '\n')
			continue;
		if (c == '\n' || c == '\r') {
			err = buf_puts(out, "\r\n");
			col = 0;
			continue;
		}
		/* a space or tab before a line end must be encoded; a dot first
		 * on a line is encoded so no relay can take it for the end */
		if ((c >= 33 && c <= 126 && c != '=' && !(c == '.' && col == 0)) ||
		    ((c == ' ' || c == '\t') && p[1] && p[1] != '\n' && p[1] != '\r')) {
			enc[0] = (char)c;
			len = 1;
		} else {
			enc[0] = '=';
			enc[1] = hex[c >> 4];
			enc[2] = hex[c & 15];
			len = 3;
		}
		if (col + len > 75) {
			err = buf_puts(out, "=\r\n");
			col = 0;
			if (!err && enc[0] == '.' && len == 1) {
				enc[0] = '=', enc[1] = '2', enc[2] = 'E';
				len = 3;
			}
		}
		if (!err)
			err = buf_append(out, enc, len);
		col += len;
	}
	return err;
}

/* Header values come from configuration and rendered templates: a CR or LF
 * in one would start a header of its own. */
static bool header_safe(const char *s)
{
	return s && !strpbrk(s, "\r\n");
}

static bool address_ok(const char *s)
{
	return s && s[0] && strchr(s, '@') && !strpbrk(s, "\r\n<>\", \t") && strlen(s) < 255;
}

enum werr email_build(const struct notify_smtp *smtp, const struct message *m, int64_t date_s, struct buf *out)
{
	char date[40], msgid[160], boundary[48];
	enum werr err = WERR_OK;
	const char *key = m->idempotency_key ? m->idempotency_key : "";

	if (!address_ok(smtp->from) || !address_ok(m->to) || !header_safe(smtp->from_name))
		return WERR_INVALID;
	email_date(date_s, date);
	email_message_id(smtp->from, key, msgid, sizeof(msgid));
	snprintf(boundary, sizeof(boundary), "=_wismo_%.24s", key);
	if (smtp->from_name[0]) {
		err = buf_puts(out, "From: ");
		if (!err && is_ascii_printable(smtp->from_name) && !strpbrk(smtp->from_name, "\"\\")) {
			err = buf_printf(out, "\"%s\"", smtp->from_name);
		} else if (!err) {
			err = email_header_encode(out, smtp->from_name);
		}
		if (!err)
			err = buf_printf(out, " <%s>\r\n", smtp->from);
	} else {
		err = buf_printf(out, "From: <%s>\r\n", smtp->from);
	}
	if (!err)
		err = buf_printf(out, "To: <%s>\r\nSubject: ", m->to);
	if (!err)
		err = email_header_encode(out, m->subject ? m->subject : "");
	if (!err)
		err = buf_printf(out, "\r\nDate: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n", date, msgid);
	if (!err && key[0])
		err = buf_printf(out, "X-Wismo-Idempotency-Key: %s\r\n", key);
	if (!err && m->html) {
		err = buf_printf(out, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n"
				 "This is a message in MIME format.\r\n\r\n--%s\r\n", boundary, boundary);
	}
	if (!err)
		err = buf_puts(out, "Content-Type: text/plain; charset=utf-8\r\n"
			       "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	if (!err)
		err = email_qp(out, m->text ? m->text : "");
	if (!err && m->html) {
		err = buf_printf(out, "\r\n--%s\r\nContent-Type: text/html; charset=utf-8\r\n"
				 "Content-Transfer-Encoding: quoted-printable\r\n\r\n", boundary);
		if (!err)
			err = email_qp(out, m->html);
		if (!err)
			err = buf_printf(out, "\r\n--%s--", boundary);
	}
	if (!err)
		err = buf_puts(out, "\r\n");
	return err;
}

struct upload {
	const char *p;
	size_t len, off;
};

static size_t on_read(char *dst, size_t size, size_t n, void *ctx)
{
	struct upload *u = ctx;
	size_t left = u->len - u->off, take = size * n < left ? size * n : left;

	memcpy(dst, u->p + u->off, take);
	u->off += take;
	return take;
}

static size_t on_discard(char *p, size_t size, size_t n, void *ctx)
{
	return size * n;
}

static enum werr email_send(const struct notify_config *cfg, const struct message *m, struct send_result *res)
{
	const struct notify_smtp *smtp = &cfg->smtp;
	struct buf msg = BUF_INIT;
	struct curl_slist *rcpt = NULL;
	struct upload up;
	char from[300], to[300];
	CURL *c = NULL;
	CURLcode cc;
	long code = 0;
	enum werr err;

	if (!smtp->url[0]) {
		snprintf(res->error, sizeof(res->error), "email channel not configured ([smtp] url)");
		return WERR_UNSUPPORTED;
	}
	if ((err = email_build(smtp, m, time(NULL), &msg))) {
		snprintf(res->error, sizeof(res->error), "email: %s",
			 err == WERR_INVALID ? "bad sender or recipient address" : "message too large");
		goto out;
	}
	snprintf(from, sizeof(from), "<%s>", smtp->from);
	snprintf(to, sizeof(to), "<%s>", m->to);
	if (!(rcpt = curl_slist_append(NULL, to)) || !(c = curl_easy_init())) {
		err = WERR_NOMEM;
		res->retry = true;
		snprintf(res->error, sizeof(res->error), "email: out of memory");
		goto out;
	}
	up = (struct upload){ msg.p, msg.len, 0 };
	curl_easy_setopt(c, CURLOPT_URL, smtp->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, (long)CHANNEL_CONNECT_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)CHANNEL_TIMEOUT_S);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg.len);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_discard);
	curl_easy_setopt(c, CURLOPT_USE_SSL, smtp->tls == SMTP_TLS_REQUIRED ? (long)CURLUSESSL_ALL :
					     smtp->tls == SMTP_TLS_TRY ? (long)CURLUSESSL_TRY : (long)CURLUSESSL_NONE);
	if (smtp->ca_file[0])
		curl_easy_setopt(c, CURLOPT_CAINFO, smtp->ca_file);
	if (smtp->no_verify) {
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	}
	if (smtp->user[0]) {
		curl_easy_setopt(c, CURLOPT_USERNAME, smtp->user);
		curl_easy_setopt(c, CURLOPT_PASSWORD, smtp->password);
	}
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	res->http_status = 0;
	if (cc == CURLE_OK) {
		res->ok = true;
		email_message_id(smtp->from, m->idempotency_key, res->remote_id, sizeof(res->remote_id));
		err = WERR_OK;
		goto out;
	}
	/* the last SMTP reply tells a refusal (5xx) from "try later" (4xx) */
	if (code >= 500 && code < 600)
		res->retry = false;
	else if (code >= 400 && code < 500)
		res->retry = true;
	else
		res->retry = chan_http_retryable(cc);
	if (code)
		snprintf(res->error, sizeof(res->error), "smtp: server replied %ld (%s)", code, curl_easy_strerror(cc));
	else
		snprintf(res->error, sizeof(res->error), "smtp: %s", curl_easy_strerror(cc));
	err = WERR_IO;
out:
	curl_easy_cleanup(c);
	curl_slist_free_all(rcpt);
	buf_release(&msg);
	return err;
}

static bool email_configured(const struct notify_config *cfg)
{
	return cfg->smtp.url[0] != '\0';
}

const struct channel email_channel = {
	.name = "email",
	.send = email_send,
	.configured = email_configured,
	.templated = true,
	.html = true,
};
