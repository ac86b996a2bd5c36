/*
 * test_store_notify.c - the notification operations of the store (store.h,
 * ops: notifications): outbox put/duplicate, claim with lease, finish,
 * retry from dead, review approve/reject, consent, audit, tickets, rules.
 * Each case works on a fresh SQLite file through store.h only.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tempdb.h"
#include "store/store.h"

#include "base/banned.h"

struct fx {
	struct tempdb db;
	struct store *st;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char why[256];

	if (!f)
		return -1;
	if (tempdb_make(&f->db, "notify"))
		return -1;
	if (store_open(f->db.url, 0, &f->st, why, sizeof(why))) {
		fprintf(stderr, "open: %s\n", why);
		return -1;
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	tempdb_remove(&f->db);
	free(f);
	return 0;
}

static void make_row(struct outbox_row *r, const char *key, const char *order, const char *state, int64_t next_at)
{
	memset(r, 0, sizeof(*r));
	snprintf(r->key, sizeof(r->key), "%s", key);
	snprintf(r->order, sizeof(r->order), "%s", order);
	snprintf(r->rule, sizeof(r->rule), "shipped");
	snprintf(r->milestone, sizeof(r->milestone), "shipped");
	snprintf(r->channel, sizeof(r->channel), "email");
	snprintf(r->recipient, sizeof(r->recipient), "ann@example.com");
	snprintf(r->template_name, sizeof(r->template_name), "shipped");
	snprintf(r->locale, sizeof(r->locale), "en");
	snprintf(r->state, sizeof(r->state), "%s", state);
	r->created_at = 1000;
	r->next_at = next_at;
	r->view = (char *)"{\"order_number\":\"1001\"}";
}

static void put_dup(void **state)
{
	struct fx *f = *state;
	struct outbox_row r, again, got;
	bool dup = true;

	make_row(&r, "k1", "1001", "pending", 1000);
	assert_int_equal(store_outbox_put(f->st, &r, &dup), WERR_OK);
	assert_false(dup);
	assert_true(r.id > 0);
	make_row(&again, "k1", "1001", "pending", 5000);
	snprintf(again.recipient, sizeof(again.recipient), "other@example.com");
	assert_int_equal(store_outbox_put(f->st, &again, &dup), WERR_OK);
	assert_true(dup);
	assert_int_equal(again.id, r.id);
	assert_int_equal(store_outbox_get(f->st, r.id, &got), WERR_OK);
	assert_string_equal(got.recipient, "ann@example.com");
	assert_int_equal(got.next_at, 1000);
	assert_string_equal(got.view, "{\"order_number\":\"1001\"}");
	free(got.view);
	/* a row without a recipient is refused */
	make_row(&again, "k2", "1001", "pending", 1000);
	again.recipient[0] = '\0';
	assert_int_equal(store_outbox_put(f->st, &again, &dup), WERR_INVALID);
	make_row(&again, "k3", "1001", "bogus", 1000);
	assert_int_equal(store_outbox_put(f->st, &again, &dup), WERR_INVALID);
	assert_int_equal(store_outbox_get(f->st, 9999, &got), WERR_NOT_FOUND);
}

static void claim_lease_finish(void **state)
{
	struct fx *f = *state;
	struct outbox_row r, *rows;
	size_t n;
	bool dup;
	int64_t id1, id2;

	make_row(&r, "a", "1", "pending", 100);
	assert_int_equal(store_outbox_put(f->st, &r, &dup), WERR_OK);
	id1 = r.id;
	make_row(&r, "b", "2", "pending", 500); /* not due before 500 */
	assert_int_equal(store_outbox_put(f->st, &r, &dup), WERR_OK);
	id2 = r.id;
	make_row(&r, "c", "3", "review", 0); /* never claimed while in review */
	assert_int_equal(store_outbox_put(f->st, &r, &dup), WERR_OK);

	assert_int_equal(store_outbox_claim(f->st, 200, 1200, 10, &rows, &n), WERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, id1);
	assert_string_equal(rows[0].state, "sending");
	assert_int_equal(rows[0].attempts, 1);
	outbox_rows_free(rows, n);
	/* claimed: a second worker gets nothing until the lease runs out */
	assert_int_equal(store_outbox_claim(f->st, 300, 1300, 10, &rows, &n), WERR_OK);
	assert_int_equal(n, 0);
	/* at 1200 the lease is over (a dead worker) and row b is due too */
	assert_int_equal(store_outbox_claim(f->st, 1200, 2200, 10, &rows, &n), WERR_OK);
	assert_int_equal(n, 2);
	assert_int_equal(rows[0].id, id1);
	assert_int_equal(rows[0].attempts, 2);
	assert_int_equal(rows[1].id, id2);
	outbox_rows_free(rows, n);

	/* a: retry later, then dead; b: sent */
	assert_int_equal(store_outbox_finish(f->st, id1, "pending", 3000, "smtp 451", NULL, 1300), WERR_OK);
	assert_int_equal(store_outbox_finish(f->st, id2, "sent", 0, NULL, "queue-42", 1300), WERR_OK);
	/* finishing a row nobody is sending fails */
	assert_int_equal(store_outbox_finish(f->st, id2, "sent", 0, NULL, "x", 1400), WERR_NOT_FOUND);
	assert_int_equal(store_outbox_finish(f->st, id2, "review", 0, NULL, "x", 1400), WERR_INVALID);
	assert_int_equal(store_outbox_get(f->st, id2, &r), WERR_OK);
	assert_string_equal(r.state, "sent");
	assert_string_equal(r.remote_id, "queue-42");
	assert_int_equal(r.sent_at, 1300);
	free(r.view);
	assert_int_equal(store_outbox_claim(f->st, 2999, 4000, 10, &rows, &n), WERR_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_outbox_claim(f->st, 3000, 4000, 10, &rows, &n), WERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].attempts, 3);
	assert_string_equal(rows[0].last_error, "smtp 451");
	outbox_rows_free(rows, n);
	assert_int_equal(store_outbox_finish(f->st, id1, "dead", 0, "gave up", NULL, 3100), WERR_OK);

	/* dead letters are listed and can be retried */
	assert_int_equal(store_outbox_list(f->st, "dead", NULL, 50, &rows, &n), WERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, id1);
	assert_string_equal(rows[0].last_error, "gave up");
	outbox_rows_free(rows, n);
	assert_int_equal(store_outbox_set_state(f->st, id2, "pending", 3200), WERR_EXISTS); /* sent stays sent */
	assert_int_equal(store_outbox_set_state(f->st, id1, "pending", 3200), WERR_OK);
	assert_int_equal(store_outbox_get(f->st, id1, &r), WERR_OK);
	assert_string_equal(r.state, "pending");
	assert_int_equal(r.attempts, 0);
	assert_int_equal(r.next_at, 3200);
	free(r.view);
	assert_int_equal(store_outbox_set_state(f->st, 424242, "pending", 3200), WERR_NOT_FOUND);
	assert_int_equal(store_outbox_claim(f->st, 1, 2, 0, &rows, &n), WERR_INVALID);

	/* list by order, newest first, and all */
	assert_int_equal(store_outbox_list(f->st, NULL, "2", 50, &rows, &n), WERR_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].order, "2");
	outbox_rows_free(rows, n);
	assert_int_equal(store_outbox_list(f->st, NULL, NULL, 50, &rows, &n), WERR_OK);
	assert_int_equal(n, 3);
	assert_true(rows[0].id > rows[1].id && rows[1].id > rows[2].id);
	outbox_rows_free(rows, n);
}

static void review_queue(void **state)
{
	struct fx *f = *state;
	struct outbox_row r, *rows;
	size_t n;
	bool dup;
	int64_t a, b;

	make_row(&r, "ra", "1", "review", 100);
	assert_int_equal(store_outbox_put(f->st, &r, &dup), WERR_OK);
	a = r.id;
	make_row(&r, "rb", "1", "review", 100);
	assert_int_equal(store_outbox_put(f->st, &r, &dup), WERR_OK);
	b = r.id;
	assert_int_equal(store_outbox_set_state(f->st, a, "pending", 700), WERR_OK);
	assert_int_equal(store_outbox_set_state(f->st, b, "cancelled", 700), WERR_OK);
	assert_int_equal(store_outbox_set_state(f->st, b, "pending", 800), WERR_EXISTS);
	assert_int_equal(store_outbox_set_state(f->st, b, "sent", 800), WERR_INVALID);
	assert_int_equal(store_outbox_claim(f->st, 1000, 2000, 5, &rows, &n), WERR_OK);
	assert_int_equal(n, 1);
	assert_int_equal(rows[0].id, a);
	outbox_rows_free(rows, n);
	/* a suppressed message keeps its reason */
	make_row(&r, "rc", "1", "cancelled", 100);
	snprintf(r.last_error, sizeof(r.last_error), "no sms consent");
	assert_int_equal(store_outbox_put(f->st, &r, &dup), WERR_OK);
	assert_int_equal(store_outbox_get(f->st, r.id, &r), WERR_OK);
	assert_string_equal(r.last_error, "no sms consent");
	free(r.view);
}

static void consent(void **state)
{
	struct fx *f = *state;
	bool in = true;
	int64_t at = 1;

	assert_int_equal(store_consent_get(f->st, "+15550001", &in, &at), WERR_NOT_FOUND);
	assert_false(in);
	assert_int_equal(store_consent_put(f->st, "+15550001", true, "checkout", 100), WERR_OK);
	assert_int_equal(store_consent_get(f->st, "+15550001", &in, &at), WERR_OK);
	assert_true(in);
	assert_int_equal(at, 100);
	/* an older decision arriving late does not override */
	assert_int_equal(store_consent_put(f->st, "+15550001", false, "late", 50), WERR_OK);
	assert_int_equal(store_consent_get(f->st, "+15550001", &in, &at), WERR_OK);
	assert_true(in);
	/* STOP at the same millisecond wins */
	assert_int_equal(store_consent_put(f->st, "+15550001", false, "sms", 100), WERR_OK);
	assert_int_equal(store_consent_get(f->st, "+15550001", &in, &at), WERR_OK);
	assert_false(in);
	assert_int_equal(store_consent_put(f->st, "", true, "x", 1), WERR_INVALID);
}

/* Defect 12.6: the seen inbound message ids are the consent audit entries'. */
static void test_12_6_consent_message_seen(void **state)
{
	struct fx *f = *state;

	assert_int_equal(store_consent_message_seen(f->st, "+15550002", "SM1"), WERR_NOT_FOUND);
	assert_int_equal(store_audit_put(f->st, "sms:twilio", "consent.sms_opt_in", "+15550002",
					 "{\"message_sid\":\"SM1\"}", 10),
			 WERR_OK);
	assert_int_equal(store_consent_message_seen(f->st, "+15550002", "SM1"), WERR_OK);
	/* another number, another message, another kind of entry: not seen */
	assert_int_equal(store_consent_message_seen(f->st, "+15550003", "SM1"), WERR_NOT_FOUND);
	assert_int_equal(store_consent_message_seen(f->st, "+15550002", "SM2"), WERR_NOT_FOUND);
	assert_int_equal(store_audit_put(f->st, "ab12", "rule.update", "+15550002", "{\"message_sid\":\"SM3\"}",
					 11),
			 WERR_OK);
	assert_int_equal(store_consent_message_seen(f->st, "+15550002", "SM3"), WERR_NOT_FOUND);
	/* a detail that is not JSON is no error */
	assert_int_equal(store_audit_put(f->st, "x", "consent.sms_opt_out", "+15550002", "not json", 12), WERR_OK);
	assert_int_equal(store_consent_message_seen(f->st, "+15550002", "SM4"), WERR_NOT_FOUND);
	assert_int_equal(store_consent_message_seen(f->st, "+15550002", ""), WERR_INVALID);
}

static void audit_tickets_rules(void **state)
{
	struct fx *f = *state;
	struct audit_row *a;
	struct rule_row *r;
	char tid[128], tstate[16];
	size_t n;

	assert_int_equal(store_audit_put(f->st, "wk_ab12", "rule.update", "shipped", "{\"x\":1}", 10), WERR_OK);
	assert_int_equal(store_audit_put(f->st, "config", "consent.sms_opt_in", "+1555", NULL, 20), WERR_OK);
	assert_int_equal(store_audit_put(f->st, "", "x", NULL, NULL, 20), WERR_INVALID);
	assert_int_equal(store_audit_list(f->st, 0, 10, &a, &n), WERR_OK);
	assert_int_equal(n, 2);
	assert_string_equal(a[0].action, "consent.sms_opt_in");
	assert_null(a[0].detail);
	assert_string_equal(a[1].actor, "wk_ab12");
	assert_string_equal(a[1].detail, "{\"x\":1}");
	assert_string_equal(a[1].subject, "shipped");
	int64_t before = a[0].id;
	audit_rows_free(a, n);
	assert_int_equal(store_audit_list(f->st, before, 10, &a, &n), WERR_OK);
	assert_int_equal(n, 1);
	audit_rows_free(a, n);

	assert_int_equal(store_ticket_get(f->st, "1001", tid, tstate), WERR_NOT_FOUND);
	assert_int_equal(store_ticket_put(f->st, "1001", "77", "open", 5), WERR_OK);
	assert_int_equal(store_ticket_put(f->st, "1001", "77", "solved", 6), WERR_OK);
	assert_int_equal(store_ticket_get(f->st, "1001", tid, tstate), WERR_OK);
	assert_string_equal(tid, "77");
	assert_string_equal(tstate, "solved");

	assert_int_equal(store_rule_put(f->st, "vip", "{\"trigger\":\"shipped\"}", 1), WERR_OK);
	assert_int_equal(store_rule_put(f->st, "delivered", NULL, 2), WERR_OK);
	assert_int_equal(store_rule_put(f->st, "vip", "{\"trigger\":\"delivered\"}", 3), WERR_OK);
	assert_int_equal(store_rule_list(f->st, &r, &n), WERR_OK);
	assert_int_equal(n, 2);
	assert_string_equal(r[0].name, "delivered");
	assert_null(r[0].json);
	assert_string_equal(r[1].name, "vip");
	assert_string_equal(r[1].json, "{\"trigger\":\"delivered\"}");
	assert_int_equal(r[1].updated_at, 3);
	rule_rows_free(r, n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(put_dup, setup, teardown),
		cmocka_unit_test_setup_teardown(claim_lease_finish, setup, teardown),
		cmocka_unit_test_setup_teardown(review_queue, setup, teardown),
		cmocka_unit_test_setup_teardown(consent, setup, teardown),
		cmocka_unit_test_setup_teardown(test_12_6_consent_message_seen, setup, teardown),
		cmocka_unit_test_setup_teardown(audit_tickets_rules, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
