/*
 * loader.c - bulk preload for the benchmarks: ORDERS orders of 10 events
 * each (the same lifecycle loadgen posts), written through the project's own
 * store API: store_append_event for every event, then the order folded in
 * memory and stored with store_put_order, as the writer would, in
 * transactions of 2000 orders.
 *
 *   loader --store sqlite:PATH --orders N [--prefix o] [--first 1]
 *
 * Orders are named PREFIX1 .. PREFIXN; their parcels 1ZPREFIXn.  run.sh
 * runs it with WISMO_SQLITE_SYNC=OFF: this is the preload, not a measured
 * figure; every measured ingest runs with synchronous=FULL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/buf.h"
#include "base/crypto.h"
#include "core/order.h"
#include "core/order_json.h"
#include "core/policy.h"
#include "store/store.h"

#define PER_ORDER 10
#define ORDERS_PER_TXN 2000

static const enum ev_status flow[PER_ORDER] = {
	EV_PLACED, EV_CONFIRMED, EV_PROCESSING, EV_PICKED, EV_PACKED,
	EV_LABEL_CREATED, EV_IN_TRANSIT, EV_IN_TRANSIT, EV_OUT_FOR_DELIVERY, EV_DELIVERED,
};

static void make_key(struct event *ev)
{
	char material[1024], hex[SHA256_HEX_LEN + 1];
	size_t n = event_key_material(ev, material, sizeof(material));

	crypto_sha256_hex(material, n < sizeof(material) ? n : sizeof(material), hex);
	memcpy(ev->key, event_key_prefix(ev), 2);
	memcpy(ev->key + 2, hex, 32);
	ev->key[34] = '\0';
}

static void fill(struct event *ev, const char *prefix, unsigned long long order, int step, int64_t base,
		 int64_t now)
{
	event_init(ev);
	snprintf(ev->order, sizeof(ev->order), "%s%llu", prefix, order);
	snprintf(ev->id, sizeof(ev->id), "L%s%llu-%d", prefix, order, step);
	ev->status = flow[step];
	ev->occurred_at = base + (int64_t)step * 3600000;
	ev->received_at = now;
	if (step < 5) {
		snprintf(ev->source, sizeof(ev->source), "shopify");
		if (step == 0) {
			snprintf(ev->customer.name, sizeof(ev->customer.name), "Ada Lovelace");
			snprintf(ev->customer.email, sizeof(ev->customer.email), "ada%llu@example.com", order);
			snprintf(ev->customer.postal_code, sizeof(ev->customer.postal_code), "40201");
			ev->has_items = true;
			ev->nitems = 1;
			ev->items = calloc(1, sizeof(*ev->items));
			if (!ev->items)
				exit(1);
			snprintf(ev->items[0].sku, sizeof(ev->items[0].sku), "MUG-01");
			snprintf(ev->items[0].name, sizeof(ev->items[0].name), "Stoneware mug");
			ev->items[0].quantity = 2;
		}
	} else {
		snprintf(ev->source, sizeof(ev->source), "ups");
		snprintf(ev->carrier, sizeof(ev->carrier), "ups");
		snprintf(ev->package, sizeof(ev->package), "1Z%s%llu", prefix, order);
		snprintf(ev->location.city, sizeof(ev->location.city), "Louisville");
		snprintf(ev->location.region, sizeof(ev->location.region), "KY");
		snprintf(ev->location.country, sizeof(ev->location.country), "US");
	}
	make_key(ev);
}

static int fail(struct store *st, const char *what, enum werr err)
{
	fprintf(stderr, "loader: %s: %s (%s)\n", what, werr_name(err), st ? store_errmsg(st) : "");
	return 1;
}

int main(int argc, char **argv)
{
	const char *url = NULL, *prefix = "o";
	unsigned long long norders = 0, first = 1;
	struct policy pol;
	struct store *st = NULL;
	struct event evs[PER_ORDER];
	struct buf json = BUF_INIT;
	char errbuf[256];
	enum werr err;
	struct timespec ts;
	int64_t now;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--store"))
			url = argv[i + 1];
		else if (!strcmp(argv[i], "--orders"))
			norders = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--prefix"))
			prefix = argv[i + 1];
		else if (!strcmp(argv[i], "--first"))
			first = strtoull(argv[i + 1], NULL, 10);
	}
	if (!url || !norders || norders > 100000000ULL) {
		fprintf(stderr, "usage: loader --store sqlite:PATH --orders N [--prefix P] [--first K]\n");
		return 2;
	}
	policy_init_defaults(&pol);
	if ((err = store_open(url, 0, &st, errbuf, sizeof(errbuf)))) {
		fprintf(stderr, "loader: %s\n", errbuf);
		return 1;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	for (unsigned long long o = first; o < first + norders; o++) {
		struct order_state os;
		int64_t base = 1795000000000LL + (int64_t)(o % 100000) * 60000;

		if ((o - first) % ORDERS_PER_TXN == 0 && (err = store_begin(st)))
			return fail(st, "begin", err);
		for (int k = 0; k < PER_ORDER; k++) {
			bool dup = false;
			fill(&evs[k], prefix, o, k, base, now);
			if ((err = store_append_event(st, &evs[k], 0, &dup)))
				return fail(st, "append", err);
		}
		order_init(&os);
		buf_reset(&json);
		if ((err = order_fold(&pol, evs, PER_ORDER, &os, NULL)) || (err = order_to_json(&os, &json)) ||
		    (err = store_put_order(st, &os, json.p)))
			return fail(st, "project", err);
		order_release(&os);
		for (int k = 0; k < PER_ORDER; k++)
			event_release(&evs[k]);
		if ((o - first + 1) % ORDERS_PER_TXN == 0 || o + 1 == first + norders)
			if ((err = store_commit(st)))
				return fail(st, "commit", err);
	}
	buf_release(&json);
	store_close(st);
	return 0;
}
