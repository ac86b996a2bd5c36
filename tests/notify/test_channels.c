/*
 * test_channels.c - the pure parts of the delivery side: the email message
 * (headers, RFC 2047, quoted-printable, Message-ID from the idempotency
 * key), the SMS form and Twilio's signature (the vector Twilio publishes),
 * inbound keywords, the Zendesk bodies, the worker's backoff and quiet
 * hours, the configuration reader, and what every channel in the channel
 * table must do (test_channel_table).  The transports themselves are
 * tested against real receivers in tests/integration/test_notify_delivery.py.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <cjson/cJSON.h>
#include <openssl/evp.h>
#include <string.h>

#include "notify/channel_int.h"
#include "notify/notify_config.h"
#include "notify/worker.h"

static void test_email_date(void **state)
{
	char d[40];

	email_date(0, d);
	assert_string_equal(d, "Thu, 01 Jan 1970 00:00:00 +0000");
	email_date(1772532000, d);
	assert_string_equal(d, "Tue, 03 Mar 2026 10:00:00 +0000");
}

static void test_header_encode(void **state)
{
	struct buf b = BUF_INIT;
	const char *long_subject =
		"Votre commande n°1001 est expédiée — elle arrive bientôt chez vous, "
		"réjouissez-vous, ça y est, c'est parti pour de bon ✓";

	assert_int_equal(email_header_encode(&b, "Your order 1001 has shipped"), WERR_OK);
	assert_string_equal(b.p, "Your order 1001 has shipped");
	buf_reset(&b);
	assert_int_equal(email_header_encode(&b, "Café"), WERR_OK);
	assert_string_equal(b.p, "=?UTF-8?B?Q2Fmw6k=?=");
	buf_reset(&b);
	/* a CR or LF cannot start a header of its own */
	assert_int_equal(email_header_encode(&b, "a\r\nBcc: x@y.z é"), WERR_OK);
	assert_null(strchr(b.p, '\n'));
	buf_reset(&b);
	/* long: several words, each <= 75 characters, each whole UTF-8 */
	assert_int_equal(email_header_encode(&b, long_subject), WERR_OK);
	{
		struct buf all = BUF_INIT;
		char *save = NULL, *copy = strdup(b.p);
		int words = 0;
		for (char *w = strtok_r(copy, "\r\n ", &save); w; w = strtok_r(NULL, "\r\n ", &save)) {
			unsigned char dec[80];
			size_t len = strlen(w), b64 = len - 12;
			int n;
			assert_true(len <= 75);
			assert_memory_equal(w, "=?UTF-8?B?", 10);
			n = EVP_DecodeBlock(dec, (const unsigned char *)w + 10, (int)b64);
			assert_true(n > 0);
			while (b64 && w[10 + b64 - 1] == '=') /* padding decodes as zero bytes */
				b64--, n--;
			/* no word ends inside a UTF-8 sequence */
			assert_true(dec[n - 1] < 0x80 || (dec[n - 1] & 0xc0) == 0x80);
			buf_append(&all, dec, (size_t)n);
			words++;
		}
		assert_true(words >= 2);
		assert_string_equal(all.p, long_subject);
		free(copy);
		buf_release(&all);
	}
	buf_release(&b);
}

static void test_qp(void **state)
{
	struct buf b = BUF_INIT;
	char line[200];

	assert_int_equal(email_qp(&b, "Hello Ada,\nyour order = shipped. \n.dot first\n"), WERR_OK);
	assert_string_equal(b.p, "Hello Ada,\r\nyour order =3D shipped.=20\r\n=2Edot first\r\n");
	buf_reset(&b);
	assert_int_equal(email_qp(&b, "Größe"), WERR_OK);
	assert_string_equal(b.p, "Gr=C3=B6=C3=9Fe");
	buf_reset(&b);
	/* a long line is cut with soft breaks; no line is over 76 */
	memset(line, 'x', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\0';
	assert_int_equal(email_qp(&b, line), WERR_OK);
	{
		const char *p = b.p;
		size_t xs = 0;
		while (*p) {
			size_t n = strcspn(p, "\r");
			assert_true(n <= 76);
			for (size_t i = 0; i < n; i++)
				xs += p[i] == 'x';
			if (p[n])
				assert_true(n > 0 && p[n - 1] == '=');
			p += n;
			if (*p)
				p += 2;
		}
		assert_int_equal(xs, sizeof(line) - 1);
	}
	buf_release(&b);
}

static void test_email_build(void **state)
{
	struct notify_smtp smtp = { 0 };
	struct message m = { .channel = "email", .to = "ada@example.org", .subject = "Order 1001 shipped",
			     .text = "Hi Ada\nIt shipped.", .html = "<p>Hi Ada</p>",
			     .idempotency_key = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef" };
	struct buf b = BUF_INIT;
	char id[160];

	snprintf(smtp.from, sizeof(smtp.from), "shop@shop.example");
	snprintf(smtp.from_name, sizeof(smtp.from_name), "The Shop");
	assert_int_equal(email_build(&smtp, &m, 1772532000, &b), WERR_OK);
	email_message_id(smtp.from, m.idempotency_key, id, sizeof(id));
	assert_string_equal(id, "<0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef@shop.example>");
	assert_non_null(strstr(b.p, "From: \"The Shop\" <shop@shop.example>\r\n"));
	assert_non_null(strstr(b.p, "To: <ada@example.org>\r\n"));
	assert_non_null(strstr(b.p, "Subject: Order 1001 shipped\r\n"));
	assert_non_null(strstr(b.p, "Date: Tue, 03 Mar 2026 10:00:00 +0000\r\n"));
	assert_non_null(strstr(b.p, "Message-ID: <0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef@"
				    "shop.example>\r\n"));
	assert_non_null(strstr(b.p, "MIME-Version: 1.0\r\n"));
	assert_non_null(strstr(b.p, "Content-Type: multipart/alternative; boundary=\"=_wismo_0123456789abcdef01234567\""));
	assert_non_null(strstr(b.p, "Content-Type: text/plain; charset=utf-8"));
	assert_non_null(strstr(b.p, "Content-Type: text/html; charset=utf-8"));
	assert_non_null(strstr(b.p, "Hi Ada\r\nIt shipped."));
	assert_non_null(strstr(b.p, "--=_wismo_0123456789abcdef01234567--\r\n"));
	/* headers end before the first blank line, every line ends in CRLF */
	for (const char *p = strchr(b.p, '\n'); p; p = strchr(p + 1, '\n'))
		assert_int_equal(p[-1], '\r');
	/* the same message built again is the same bytes (a retry) */
	{
		struct buf again = BUF_INIT;
		assert_int_equal(email_build(&smtp, &m, 1772532000, &again), WERR_OK);
		assert_string_equal(again.p, b.p);
		buf_release(&again);
	}
	/* text only: no multipart */
	buf_reset(&b);
	m.html = NULL;
	assert_int_equal(email_build(&smtp, &m, 1772532000, &b), WERR_OK);
	assert_null(strstr(b.p, "multipart"));
	/* a recipient that would inject a header is refused */
	buf_reset(&b);
	m.to = "ada@example.org\r\nBcc: eve@example.org";
	assert_int_equal(email_build(&smtp, &m, 1772532000, &b), WERR_INVALID);
	m.to = "no-at-sign";
	assert_int_equal(email_build(&smtp, &m, 1772532000, &b), WERR_INVALID);
	buf_release(&b);
}

static void test_sms_form(void **state)
{
	struct buf b = BUF_INIT;

	assert_int_equal(sms_form("+15555550100", "+15555550199", "Out for delivery: 1Z & co. ok?", &b), WERR_OK);
	assert_string_equal(b.p, "To=%2B15555550100&From=%2B15555550199&Body=Out+for+delivery%3A+1Z+%26+co.+ok%3F");
	buf_release(&b);
}

static void test_twilio_signature(void **state)
{
	/* the example in Twilio's "Webhooks security" documentation */
	const char *names[] = { "To", "From", "Digits", "Caller", "CallSid" };
	const char *values[] = { "+18005551212", "+12349013030", "1234", "+12349013030", "CA1234567890ABCDE" };
	char sig[64];

	sms_twilio_signature("12345", "https://mycompany.com/myapp.php?foo=1&bar=2", names, values, 5, sig);
	assert_string_equal(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
	sms_twilio_signature("54321", "https://mycompany.com/myapp.php?foo=1&bar=2", names, values, 5, sig);
	assert_string_not_equal(sig, "0/KCTR6DLpKmkAf8muzZqo1nDgQ=");
}

static void test_keywords(void **state)
{
	assert_int_equal(sms_keyword("STOP"), -1);
	assert_int_equal(sms_keyword("  stop\n"), -1);
	assert_int_equal(sms_keyword("Unsubscribe"), -1);
	assert_int_equal(sms_keyword("STOPALL"), -1);
	assert_int_equal(sms_keyword("cancel"), -1);
	assert_int_equal(sms_keyword("End"), -1);
	assert_int_equal(sms_keyword("quit"), -1);
	assert_int_equal(sms_keyword("START"), 1);
	assert_int_equal(sms_keyword("yes"), 1);
	assert_int_equal(sms_keyword("Unstop"), 1);
	assert_int_equal(sms_keyword("please stop"), 0);
	assert_int_equal(sms_keyword("STOP IT"), 0);
	assert_int_equal(sms_keyword("where is my parcel"), 0);
	assert_int_equal(sms_keyword(""), 0);
	assert_int_equal(sms_keyword(NULL), 0);
}

static void test_ticket_body(void **state)
{
	const char *tags[] = { "wismo", "delivery_attempted", NULL };
	struct message m = { .channel = "ticket", .subject = "Delivery attempted: order 1001",
			     .text = "10:00 out for delivery\n14:00 delivery attempted", .order = "1001", .tags = tags };
	struct buf b = BUF_INIT;
	cJSON *j, *t;

	assert_int_equal(ticket_body(&m, false, &b), WERR_OK);
	j = cJSON_Parse(b.p);
	t = cJSON_GetObjectItem(j, "ticket");
	assert_string_equal(cJSON_GetObjectItem(t, "subject")->valuestring, "Delivery attempted: order 1001");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "comment"), "body")->valuestring, m.text);
	assert_string_equal(cJSON_GetObjectItem(t, "external_id")->valuestring, "1001");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(t, "tags")), 2);
	assert_null(cJSON_GetObjectItem(t, "status"));
	cJSON_Delete(j);
	buf_reset(&b);
	m.ticket_id = "1001";
	m.ticket_status = "solved";
	assert_int_equal(ticket_body(&m, true, &b), WERR_OK);
	j = cJSON_Parse(b.p);
	t = cJSON_GetObjectItem(j, "ticket");
	assert_string_equal(cJSON_GetObjectItem(t, "status")->valuestring, "solved");
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(cJSON_GetObjectItem(t, "comment"), "public")));
	assert_null(cJSON_GetObjectItem(t, "subject"));
	cJSON_Delete(j);
	buf_release(&b);
}

static void test_backoff(void **state)
{
	struct notify_worker_cfg w = { 0 };
	const int64_t want[] = { 30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600 };

	w = notify_worker_defaults(&w);
	assert_int_equal(w.max_attempts, 8);
	for (int a = 1; a <= 10; a++)
		assert_int_equal(worker_backoff_ms(&w, a), want[a - 1] * 1000);
	w.backoff_base_s = 1;
	w.backoff_max_s = 5;
	assert_int_equal(worker_backoff_ms(&w, 1), 1000);
	assert_int_equal(worker_backoff_ms(&w, 3), 4000);
	assert_int_equal(worker_backoff_ms(&w, 4), 5000);
	assert_int_equal(worker_backoff_ms(&w, 60), 5000);
}

#define H(x) ((int64_t)(x) * 3600000)
static void test_quiet_hours(void **state)
{
	const int64_t day = H(24) * 20000; /* some midnight */

	/* 21-8 wraps past midnight */
	assert_int_equal(worker_quiet_end(21, 8, day + H(22)), day + H(24 + 8));
	assert_int_equal(worker_quiet_end(21, 8, day + H(21)), day + H(24 + 8));
	assert_int_equal(worker_quiet_end(21, 8, day + H(3) + 1234), day + H(8));
	assert_int_equal(worker_quiet_end(21, 8, day + H(8)), 0);
	assert_int_equal(worker_quiet_end(21, 8, day + H(12)), 0);
	assert_int_equal(worker_quiet_end(21, 8, day + H(21) - 1), 0);
	/* 0-6 does not */
	assert_int_equal(worker_quiet_end(0, 6, day + H(5)), day + H(6));
	assert_int_equal(worker_quiet_end(0, 6, day + H(23)), 0);
	/* equal: never quiet */
	assert_int_equal(worker_quiet_end(0, 0, day + H(3)), 0);
	assert_true(worker_sms_urgent("out_for_delivery:1Z999AA10123456784"));
	assert_true(worker_sms_urgent("delivery_attempted"));
	assert_true(worker_sms_urgent("exception:lost"));
	assert_false(worker_sms_urgent("shipped"));
	assert_false(worker_sms_urgent("delivered"));
}

static void test_config(void **state)
{
	struct notify_config c;

	notify_config_defaults(&c);
	assert_int_equal(c.worker.max_attempts, 8);
	assert_int_equal(c.worker.quiet_start_h, 21);
	assert_int_equal(notify_config_set(&c, "smtp", "url", "smtp://127.0.0.1:2525"), 1);
	assert_int_equal(notify_config_set(&c, "smtp", "url", "http://x"), -1);
	assert_int_equal(notify_config_set(&c, "smtp", "tls", "required"), 1);
	assert_int_equal(c.smtp.tls, SMTP_TLS_REQUIRED);
	assert_int_equal(notify_config_set(&c, "smtp", "tls", "maybe"), -1);
	assert_int_equal(notify_config_set(&c, "smtp", "colour", "blue"), -1);
	assert_int_equal(notify_config_set(&c, "sms", "from", "+15555550199"), 1);
	assert_int_equal(notify_config_set(&c, "sms", "from", "5555550199"), -1);
	assert_int_equal(notify_config_set(&c, "webhook crm", "url", "https://crm.example/hook"), 1);
	assert_int_equal(notify_config_set(&c, "webhook crm", "secret", "s3"), 1);
	assert_int_equal(notify_config_set(&c, "webhook erp", "url", "ftp://x"), -1);
	assert_non_null(notify_subscriber(&c, "crm"));
	assert_string_equal(notify_subscriber(&c, "crm")->secret, "s3");
	assert_int_equal(notify_config_set(&c, "outbox", "max_attempts", "3"), 1);
	assert_int_equal(notify_config_set(&c, "outbox", "max_attempts", "0"), -1);
	assert_int_equal(c.worker.max_attempts, 3);
	assert_int_equal(notify_config_set(&c, "notify", "quiet_hours", "22-7"), 1);
	assert_int_equal(c.worker.quiet_start_h, 22);
	assert_int_equal(c.worker.quiet_end_h, 7);
	assert_int_equal(notify_config_set(&c, "notify", "quiet_hours", "22-25"), -1);
	assert_int_equal(notify_config_set(&c, "notify", "quiet_hours", "off"), 1);
	assert_int_equal(c.worker.quiet_start_h, c.worker.quiet_end_h);
	/* [notify] is shared: names of other parts are not ours */
	assert_int_equal(notify_config_set(&c, "notify", "locale", "fr"), 0);
	assert_int_equal(notify_config_set(&c, "server", "threads", "2"), 0);
	setenv("WISMO_WEBHOOK_CRM_SECRET", "from-env", 1);
	setenv("WISMO_SMS_AUTH_TOKEN", "tok-env", 1);
	assert_int_equal(notify_config_env(&c), 0);
	assert_string_equal(notify_subscriber(&c, "crm")->secret, "from-env");
	assert_string_equal(c.sms.auth_token, "tok-env");
}

static void test_send_unconfigured(void **state)
{
	struct notify_config c;
	struct message m = { .channel = "email", .to = "ada@example.org", .text = "x", .idempotency_key = "k" };
	struct send_result r;

	notify_config_defaults(&c);
	/* not configured: fails for good, no retry (the row goes dead, visibly) */
	assert_int_not_equal(channel_send(&c, &m, &r), WERR_OK);
	assert_false(r.ok);
	assert_false(r.retry);
	m.channel = "pigeon";
	assert_int_equal(channel_send(&c, &m, &r), WERR_UNSUPPORTED);
	assert_false(r.retry);
	/* a connection refused is worth retrying */
	snprintf(c.smtp.url, sizeof(c.smtp.url), "smtp://127.0.0.1:1");
	snprintf(c.smtp.from, sizeof(c.smtp.from), "shop@shop.example");
	m.channel = "email";
	assert_int_equal(channel_send(&c, &m, &r), WERR_IO);
	assert_false(r.ok);
	assert_true(r.retry);
	/* HTTP statuses */
	chan_http_result(&r, 201, "x");
	assert_true(r.ok);
	chan_http_result(&r, 503, "x");
	assert_true(!r.ok && r.retry);
	chan_http_result(&r, 429, "x");
	assert_true(!r.ok && r.retry);
	chan_http_result(&r, 400, "x");
	assert_true(!r.ok && !r.retry);
	chan_http_result(&r, 401, "x");
	assert_true(!r.ok && !r.retry);
}

/* What every channel in the table must do (channel.h): be found by its
 * name, say it is not configured on the defaults, and refuse to send then
 * for good (no retry, an error naming the cause) without touching the
 * network; a configured() true once its section is there. */
static void test_channel_table(void **state)
{
	static const struct {
		const struct channel *ch;
		const char *name;
		bool templated, html;
	} want[] = {
		{ &email_channel, "email", true, true },
		{ &sms_channel, "sms", true, false },
		{ &webhook_channel, "webhook", false, false },
		{ &ticket_channel, "ticket", true, false },
	};
	struct notify_config c;

	(void)state;
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct channel *ch = want[i].ch;
		struct message m = { .channel = want[i].name, .to = "crm", .text = "x", .idempotency_key = "k" };
		struct send_result r;

		notify_config_defaults(&c);
		assert_ptr_equal(channel_find(want[i].name), ch);
		assert_string_equal(ch->name, want[i].name);
		assert_non_null(ch->send);
		assert_non_null(ch->configured);
		assert_int_equal(ch->templated, want[i].templated);
		assert_int_equal(ch->html, want[i].html);
		assert_false(ch->configured(&c));
		assert_false(channel_configured(&c, want[i].name));
		memset(&r, 0xff, sizeof(r));
		assert_int_equal(channel_send(&c, &m, &r), WERR_UNSUPPORTED);
		assert_false(r.ok);
		assert_false(r.retry);
		assert_true(r.error[0] != '\0');
	}
	notify_config_defaults(&c);
	assert_int_equal(notify_config_set(&c, "smtp", "url", "smtp://127.0.0.1:1"), 1);
	assert_int_equal(notify_config_set(&c, "sms", "api_base", "http://127.0.0.1:1"), 1);
	assert_int_equal(notify_config_set(&c, "webhook crm", "url", "http://127.0.0.1:1/h"), 1);
	assert_int_equal(notify_config_set(&c, "helpdesk", "base_url", "http://127.0.0.1:1"), 1);
	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_true(channel_configured(&c, want[i].name));
	assert_null(channel_find("pigeon"));
	assert_null(channel_find(NULL));
	assert_false(channel_configured(&c, "pigeon"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email_date),
		cmocka_unit_test(test_header_encode),
		cmocka_unit_test(test_qp),
		cmocka_unit_test(test_email_build),
		cmocka_unit_test(test_sms_form),
		cmocka_unit_test(test_twilio_signature),
		cmocka_unit_test(test_keywords),
		cmocka_unit_test(test_ticket_body),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_quiet_hours),
		cmocka_unit_test(test_config),
		cmocka_unit_test(test_send_unconfigured),
		cmocka_unit_test(test_channel_table),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
