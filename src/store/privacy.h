/*
 * privacy.h - a person's data: erasure and export (docs/privacy.md).
 *
 * Used by `wismo erase`, the admin API (POST /v1/erasures, GET
 * /v1/exports) and Shopify's privacy webhooks.  A person is named by an
 * email, a phone number or an order number:
 *
 *   by      orders erased                 also forgotten outside the orders
 *   email   every order whose events      the email and every phone those
 *           name the email                 orders name (consent, raw bodies,
 *   phone   every order whose events       parked events, outbox rows, audit)
 *           name the phone                the phone and every email those
 *                                          orders name
 *   order   that order only               nothing: the person may still be
 *                                          a customer through other orders
 *   source  every order any event of      nothing (a shop that left: Shopify's
 *           that source names               shop/redact)
 *
 * Erasure keeps the facts (events keep key, order, package, status and
 * times; the log rebuilds) and removes the person: each event's customer,
 * the raw payloads, the outbox rows' recipient and view; then refolds each
 * order (project_order), so the projections lose them as well, announces
 * the refolded orders (store_announce: the other nodes' live pages and
 * every node's lookup cache, store_cache.h, forget the old projection when
 * the transaction commits), and writes one audit entry ("privacy.erase")
 * that names the orders and the counts, never the email or phone.
 *
 * Threads and transactions: both functions run on the caller's store
 * inside the caller's transaction (the writer's batch, or the CLI's own);
 * on error the caller rolls back and nothing is half-erased.
 */
#ifndef WISMO_PRIVACY_H
#define WISMO_PRIVACY_H

#include <stddef.h>

#include "../base/buf.h"
#include "../core/policy.h"
#include "store.h"

struct privacy_who {
	char email[EV_EMAIL_MAX + 1]; /* "" for none; exactly one of the three is set */
	char phone[EV_PHONE_MAX + 1];
	char order[EV_ORDER_MAX + 1];
	char source[EV_SOURCE_MAX + 1];
};

struct privacy_result {
	struct erase_counts counts;
	size_t norders;
	char (*orders)[EV_ORDER_MAX + 1]; /* the orders erased (or exported); free() */
};

/* Sets exactly one field of who; WERR_INVALID (and why) when by is not
 * "email", "phone", "order" or "source", or value is empty or too long. */
enum werr privacy_who_set(struct privacy_who *who, const char *by, const char *value, char *why, size_t whycap);

/* Erases the person (see above).  actor goes to the audit entry ("cli",
 * an API key's prefix, "shopify").  An unknown person erases nothing and
 * succeeds (res->norders 0): an erasure request is answered the same
 * whether or not wismo held anything. */
enum werr privacy_erase(struct store *st, const struct policy *pol, const struct privacy_who *who,
			const char *actor, int64_t at, struct privacy_result *res);

/* Appends to out a JSON object with what wismo holds about the person:
 * {"by", "value", "orders":[projection...], "customers":[{order, name,
 *  email, phone, postal_code}: each distinct customer of each order's events],
 *  "messages":[{order, channel, recipient, state, created_at, sent_at}...],
 *  "consent":[{phone, sms, at}...]}.  Reads only. */
enum werr privacy_export(struct store *st, const struct privacy_who *who, struct buf *out);

void privacy_result_release(struct privacy_result *res);

#endif
