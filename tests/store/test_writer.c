/*
 * test_writer.c - what the writer does for adapters (store/writer.c): events
 * that do not name their order are resolved from aliases or tracking numbers
 * or parked until they can be; unknown codes are counted; unreadable bodies
 * are kept as rejected; the owner of a tracking number is decided in log
 * order and replayed the same by a rebuild (docs/parcels.md); a body is kept
 * when it brings a new event.  Runs against a fresh SQLite file per case.
 */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <pthread.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tempdb.h"
#include "store/writer.h"
#include "core/order_json.h"
#include "base/buf.h"

#include "base/banned.h"

struct fx {
	struct tempdb db;
	struct writer *w;
	struct store *st;
	struct policy pol;
};

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	char why[256];

	if (tempdb_make(&f->db, "writer"))
		return -1;
	policy_init_defaults(&f->pol);
	if (writer_new(f->db.url, &f->pol, 0, &f->w, why, sizeof(why)))
		return -1;
	if (store_open(f->db.url, STORE_READONLY, &f->st, why, sizeof(why)))
		return -1;
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	store_close(f->st);
	writer_stop(f->w);
	writer_free(f->w);
	tempdb_remove(&f->db);
	free(f);
	return 0;
}

static void ev_make(struct event *ev, const char *source, const char *id, const char *order, const char *package,
		    const char *ref, enum ev_status st, int minute)
{
	event_init(ev);
	snprintf(ev->source, sizeof(ev->source), "%s", source);
	snprintf(ev->id, sizeof(ev->id), "%s", id);
	snprintf(ev->key, sizeof(ev->key), "i:%s", id);
	snprintf(ev->order, sizeof(ev->order), "%s", order);
	snprintf(ev->package, sizeof(ev->package), "%s", package);
	snprintf(ev->ref, sizeof(ev->ref), "%s", ref);
	ev->status = st;
	ev->occurred_at = 1700000000000 + (int64_t)minute * 60000;
}

/* Submits events (and aliases, and the body they came in, when not NULL)
 * as one job and waits for the commit. */
static void submit_with(struct fx *f, const char *source, const char *body, struct event *evs, size_t n,
			const struct store_alias *al, size_t nal, bool *dup, bool *parked)
{
	struct writer_job job = { 0 };

	job.source = source;
	job.content_type = "application/json";
	job.raw = body;
	job.rawlen = body ? strlen(body) : 0;
	job.events = evs;
	job.nevents = n;
	job.aliases = al;
	job.naliases = nal;
	job.duplicate = dup;
	job.parked = parked;
	job.received_at = 1700000100000;
	assert_int_equal(writer_submit_wait(f->w, &job), WERR_OK);
}

static void submit(struct fx *f, const char *source, struct event *evs, size_t n, const struct store_alias *al,
		   size_t nal, bool *dup, bool *parked)
{
	submit_with(f, source, NULL, evs, n, al, nal, dup, parked);
}

static char *order_json(struct fx *f, const char *order)
{
	char *json = NULL;
	enum werr e = store_get_order(f->st, order, &json);
	return e ? NULL : json;
}

static void test_ref_parked_until_alias(void **state)
{
	struct fx *f = *state;
	struct event ev[2];
	bool dup[2], parked[2];
	struct store_alias al = { .ref = "order:450789469", .order = "1001" };

	/* a refund that only names the store's internal order id */
	ev_make(&ev[0], "shopify", "refund:1", "", "", "order:450789469", EV_REFUNDED, 5);
	submit(f, "shopify", ev, 1, NULL, 0, dup, parked);
	assert_true(parked[0]);
	assert_false(dup[0]);
	assert_null(order_json(f, "1001"));
	/* delivered again before the order is known: still one parked event */
	ev_make(&ev[0], "shopify", "refund:1", "", "", "order:450789469", EV_REFUNDED, 5);
	submit(f, "shopify", ev, 1, NULL, 0, dup, parked);
	assert_true(parked[0]);
	assert_true(dup[0]);
	/* the order arrives with its alias: the parked refund is applied too */
	ev_make(&ev[1], "shopify", "order:450789469:placed", "1001", "", "", EV_PLACED, 0);
	submit(f, "shopify", &ev[1], 1, &al, 1, dup, parked);
	assert_false(parked[0]);
	char *json = order_json(f, "1001");
	assert_non_null(json);
	assert_non_null(strstr(json, "\"refund\":{\"status\":\"partial\""));
	assert_non_null(strstr(json, "\"events\":2"));
	free(json);
	/* and a later event with the same ref resolves at once */
	ev_make(&ev[0], "shopify", "order:450789469:confirmed", "", "", "order:450789469", EV_CONFIRMED, 1);
	submit(f, "shopify", ev, 1, NULL, 0, dup, parked);
	assert_false(parked[0]);
	json = order_json(f, "1001");
	assert_non_null(strstr(json, "\"status\":\"confirmed\""));
	free(json);
	/* another source's alias of the same name is not used */
	ev_make(&ev[0], "woocommerce", "wc:1", "", "", "order:450789469", EV_CONFIRMED, 1);
	submit(f, "woocommerce", ev, 1, NULL, 0, dup, parked);
	assert_true(parked[0]);
}

static void test_tracking_number_parked_until_package_known(void **state)
{
	struct fx *f = *state;
	struct event ev[3];
	bool dup[3], parked[3];

	/* the aggregator reports before the shipping software named the package */
	ev_make(&ev[0], "easypost", "ep:1", "", "1ZX", "", EV_IN_TRANSIT, 30);
	ev_make(&ev[1], "easypost", "ep:2", "", "1ZX", "", EV_DELIVERED, 90);
	submit(f, "easypost", ev, 2, NULL, 0, dup, parked);
	assert_true(parked[0] && parked[1]);
	/* the label (and the order) in one batch: both parked events follow */
	ev_make(&ev[0], "shopify", "o:placed", "2002", "", "", EV_PLACED, 0);
	ev_make(&ev[1], "shipstation", "ss:1", "2002", "1ZX", "", EV_LABEL_CREATED, 10);
	submit(f, "x", ev, 2, NULL, 0, dup, parked);
	char *json = order_json(f, "2002");
	assert_non_null(json);
	assert_non_null(strstr(json, "\"status\":\"delivered\""));
	assert_non_null(strstr(json, "\"events\":4"));
	free(json);
	/* a fulfillment alias naming only the package resolves through it */
	struct store_alias al = { .ref = "fulfillment:77", .package = "1ZX", .carrier = "ups" };
	ev_make(&ev[0], "shopify", "fe:1", "", "", "fulfillment:77", EV_OUT_FOR_DELIVERY, 60);
	submit(f, "shopify", ev, 1, &al, 1, dup, parked);
	assert_false(parked[0]);
	json = order_json(f, "2002");
	assert_non_null(strstr(json, "\"events\":5"));
	free(json);
}

/* Rule 10 through the writer: a claim from another source moves nothing and
 * shows on both orders, a scan naming no order goes to the owner, the owning
 * source moves a number; a rebuild replays the same ownership. */
static void test_parcel_owner_claim_move_and_rebuild(void **state)
{
	struct fx *f = *state;
	struct event ev[2];
	bool dup[2], parked[2];
	struct parcel_fact *pf = NULL;
	size_t npf = 0, norders = 0;
	struct buf before = BUF_INIT, after = BUF_INIT;
	struct store *rw;
	char why[256], order[EV_ORDER_MAX + 1];
	char *json;

	ev_make(&ev[0], "shipstation", "ss:a", "A", "1ZP", "", EV_LABEL_CREATED, 0);
	submit(f, "shipstation", ev, 1, NULL, 0, dup, parked);
	ev_make(&ev[0], "scans", "sc:b", "B", "1ZP", "", EV_LABEL_CREATED, 5);
	submit(f, "scans", ev, 1, NULL, 0, dup, parked);
	ev_make(&ev[0], "easypost", "ep:p", "", "1ZP", "", EV_IN_TRANSIT, 10);
	submit(f, "easypost", ev, 1, NULL, 0, dup, parked);
	assert_false(parked[0]);
	assert_int_equal(store_find_package(f->st, "1ZP", order), WERR_OK);
	assert_string_equal(order, "A");
	json = order_json(f, "A");
	assert_non_null(strstr(json, "\"tracking_number\":\"1ZP\""));
	assert_non_null(strstr(json, "\"status\":\"in_transit\""));
	assert_non_null(strstr(json, "\"milestone\":\"parcel\""));
	assert_non_null(strstr(json, "\"events\":2"));
	free(json);
	json = order_json(f, "B");
	assert_non_null(strstr(json, "\"packages\":[]"));
	/* the owner's latest status reached the claimant's conflict */
	assert_non_null(strstr(json, "\"resolved\":{\"source\":\"shipstation\",\"status\":\"in_transit\","
				     "\"order\":\"A\"}"));
	free(json);
	assert_int_equal(store_parcel_facts(f->st, "B", &pf, &npf), WERR_OK);
	assert_int_equal(npf, 1);
	assert_int_equal(pf[0].role, PARCEL_CLAIMANT);
	assert_string_equal(pf[0].other_order, "A");
	free(pf);

	/* the store that attached 1ZQ to C corrects it to D */
	ev_make(&ev[0], "shopify", "sh:c", "C", "1ZQ", "", EV_LABEL_CREATED, 0);
	submit(f, "shopify", ev, 1, NULL, 0, dup, parked);
	ev_make(&ev[0], "shopify", "sh:d", "D", "1ZQ", "", EV_LABEL_CREATED, 20);
	submit(f, "shopify", ev, 1, NULL, 0, dup, parked);
	json = order_json(f, "C");
	assert_non_null(strstr(json, "\"packages\":[]"));
	assert_non_null(strstr(json, "\"conflicts\":[]"));
	assert_non_null(strstr(json, "\"moved_parcels\":[{\"package\":\"1ZQ\",\"to\":\"D\""));
	free(json);
	assert_int_equal(store_find_package(f->st, "1ZQ", order), WERR_OK);
	assert_string_equal(order, "D");

	/* the same projections from the log alone */
	assert_int_equal(store_open(f->db.url, 0, &rw, why, sizeof(why)), WERR_OK);
	assert_int_equal(store_dump_projections(rw, &before), WERR_OK);
	assert_non_null(strstr(before.p, "parcel_claim\t1ZP\tB\tclaim\tA\tscans"));
	assert_int_equal(store_rebuild(rw, &f->pol, NULL, NULL, 0, &norders), WERR_OK);
	assert_int_equal(norders, 4);
	assert_int_equal(store_dump_projections(rw, &after), WERR_OK);
	assert_string_equal(before.p, after.p);
	store_close(rw);
	buf_release(&before);
	buf_release(&after);
}

static void test_unmapped_and_rejected(void **state)
{
	struct fx *f = *state;
	struct event ev[2];
	bool dup[2], parked[2];
	struct unmapped_row *rows = NULL;
	struct rejected_row *rej = NULL;
	size_t n = 0;
	struct writer_job job = { 0 };

	ev_make(&ev[0], "ups", "u:1", "3003", "1ZU", "", EV_UNKNOWN, 0);
	snprintf(ev[0].code, sizeof(ev[0].code), "I/ZZ");
	snprintf(ev[0].carrier, sizeof(ev[0].carrier), "ups");
	snprintf(ev[0].description, sizeof(ev[0].description), "Mystery scan");
	ev_make(&ev[1], "ups", "u:2", "3003", "1ZU", "", EV_UNKNOWN, 5);
	snprintf(ev[1].code, sizeof(ev[1].code), "I/ZZ");
	snprintf(ev[1].carrier, sizeof(ev[1].carrier), "ups");
	submit(f, "ups", ev, 2, NULL, 0, dup, parked);
	/* a duplicate is not counted again */
	ev_make(&ev[0], "ups", "u:1", "3003", "1ZU", "", EV_UNKNOWN, 0);
	snprintf(ev[0].code, sizeof(ev[0].code), "I/ZZ");
	submit(f, "ups", ev, 1, NULL, 0, dup, parked);
	assert_true(dup[0]);
	assert_int_equal(store_unmapped_list(f->st, 100, &rows, &n), WERR_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rows[0].code, "I/ZZ");
	assert_string_equal(rows[0].carrier, "ups");
	assert_string_equal(rows[0].description, "Mystery scan");
	assert_int_equal(rows[0].count, 2);
	assert_non_null(strstr(rows[0].sample_event, "\"code\":\"I/ZZ\""));
	unmapped_rows_free(rows, n);

	job.source = "woocommerce";
	job.raw = "not json";
	job.rawlen = 8;
	job.reject_reason = "the body is not JSON";
	job.received_at = 1700000200000;
	assert_int_equal(writer_submit_wait(f->w, &job), WERR_OK);
	assert_int_equal(store_rejected_list(f->st, NULL, 10, &rej, &n), WERR_OK);
	assert_int_equal(n, 1);
	assert_string_equal(rej[0].source, "woocommerce");
	assert_string_equal(rej[0].reason, "the body is not JSON");
	assert_true(rej[0].raw_id > 0);
	free(rej);
	assert_int_equal(store_rejected_list(f->st, "shopify", 10, &rej, &n), WERR_OK);
	assert_int_equal(n, 0);
	free(rej);
}

static bool raw_exists(struct fx *f, int64_t id)
{
	struct buf b = BUF_INIT;
	char ct[128];
	bool ok = store_raw_get(f->st, id, ct, &b) == WERR_OK;

	buf_release(&b);
	return ok;
}

/* How many raw payloads are kept (ids are small here; a backend may skip
 * ids, so count them rather than expect the next one). */
static int raw_count(struct fx *f)
{
	int n = 0;

	for (int64_t id = 1; id <= 64; id++)
		n += raw_exists(f, id);
	return n;
}

/* Submits one body and its events; returns the raw id the first event
 * points to (0: none). */
static int64_t submit_body(struct fx *f, const char *body, struct event *evs, size_t n, bool *dup)
{
	bool parked[4];
	struct event_meta *m = NULL;
	size_t nm = 0;
	int64_t raw = 0;

	submit_with(f, "shopify", body, evs, n, NULL, 0, dup, parked);
	assert_int_equal(store_event_meta(f->st, evs[n - 1].order, &m, &nm), WERR_OK);
	for (size_t i = 0; i < nm; i++)
		if (!strcmp(m[i].key, evs[n - 1].key))
			raw = m[i].raw_id;
	free(m);
	return raw;
}

/* A body is kept when it brings a new event; a redelivery whose events were
 * all seen is not kept again, whatever its bytes; a body without events
 * (rejected) is kept once per digest (docs/privacy.md). */
static void test_raw_bodies_kept_once(void **state)
{
	struct fx *f = *state;
	struct event ev[2];
	bool dup[2];
	int64_t first, second;

	ev_make(&ev[0], "shopify", "s:1", "4004", "", "", EV_PLACED, 0);
	first = submit_body(f, "{\"id\":1}", ev, 1, dup);
	assert_false(dup[0]);
	assert_true(first > 0 && raw_exists(f, first));
	/* the same delivery again, and the same event in other bytes */
	ev_make(&ev[0], "shopify", "s:1", "4004", "", "", EV_PLACED, 0);
	submit_body(f, "{\"id\":1}", ev, 1, dup);
	assert_true(dup[0]);
	ev_make(&ev[0], "shopify", "s:1", "4004", "", "", EV_PLACED, 0);
	submit_body(f, "{\"id\":1,\"retry\":2}", ev, 1, dup);
	assert_true(dup[0]);
	assert_int_equal(raw_count(f), 1);
	/* one seen event and one new: kept, and the new event points to it */
	ev_make(&ev[0], "shopify", "s:1", "4004", "", "", EV_PLACED, 0);
	ev_make(&ev[1], "shopify", "s:2", "4004", "", "", EV_CONFIRMED, 1);
	second = submit_body(f, "{\"id\":2}", ev, 2, dup);
	assert_true(dup[0]);
	assert_false(dup[1]);
	assert_true(second > first);
	assert_true(raw_exists(f, first) && raw_exists(f, second));
	assert_int_equal(raw_count(f), 2);

	/* a rejected body twice: one row */
	for (int i = 0; i < 2; i++) {
		struct writer_job job = { 0 };
		job.source = "woocommerce";
		job.raw = "not json";
		job.rawlen = 8;
		job.reject_reason = "the body is not JSON";
		job.received_at = 1700000200000 + i;
		assert_int_equal(writer_submit_wait(f->w, &job), WERR_OK);
	}
	assert_int_equal(raw_count(f), 3);
}

/* Jobs submitted without waiting: how many have not finished yet. */
struct pending {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	size_t n;
};

static void pending_done(struct writer_job *job)
{
	struct pending *p = job->ctx;

	assert_int_equal(job->result, WERR_OK);
	pthread_mutex_lock(&p->mu);
	p->n--;
	pthread_cond_signal(&p->cv);
	pthread_mutex_unlock(&p->mu);
}

/* Waits until at most `most` jobs are pending; returns with p->mu held. */
static void pending_wait(struct pending *p, size_t most)
{
	pthread_mutex_lock(&p->mu);
	while (p->n > most)
		pthread_cond_wait(&p->cv, &p->mu);
}

static int64_t wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Every event of a batch reads back the batch's visible_at (taken just
 * before its COMMIT), through the event metadata and the KPIs, and a later
 * batch never moves it; each body gets its own raw id.  PostgreSQL sends a
 * batch's events before folding them and stamps them through one row of
 * event_batches (schema/v15_batches.h); SQLite stamps the rows. */
static void test_batch_visible_at_and_raw_ids(void **state)
{
	static const char *const orders[] = { "V-1", "V-2", "V-3" };
	struct fx *f = *state;
	struct event evs[6], later;
	struct event_meta *meta = NULL;
	struct kpi_event_row *rows = NULL;
	size_t n = 0;
	int64_t t0, t1, stamp = 0, raw = 0;
	bool dup[6];

	for (int i = 0; i < 6; i++) {
		char id[16], pkg[16];
		snprintf(id, sizeof(id), "vis-%d", i);
		snprintf(pkg, sizeof(pkg), "1ZV%d", i / 2);
		ev_make(&evs[i], "ups", id, orders[i / 2], pkg, "", i % 2 ? EV_IN_TRANSIT : EV_LABEL_CREATED, i);
	}
	t0 = wall_ms();
	submit_with(f, "ups", "{\"batch\":1}", evs, 6, NULL, 0, dup, NULL);
	t1 = wall_ms();
	for (int k = 0; k < 3; k++) {
		assert_int_equal(store_event_meta(f->st, orders[k], &meta, &n), WERR_OK);
		assert_int_equal(n, 2);
		for (size_t i = 0; i < n; i++) {
			if (!stamp)
				stamp = meta[i].visible_at, raw = meta[i].raw_id;
			assert_int_equal(meta[i].visible_at, stamp);
			assert_int_equal(meta[i].raw_id, raw);
		}
		free(meta);
	}
	assert_true(stamp >= t0 && stamp <= t1);
	assert_true(raw > 0);

	ev_make(&later, "ups", "vis-later", "V-1", "1ZV0", "", EV_DELIVERED, 10);
	submit_with(f, "ups", "{\"batch\":2}", &later, 1, NULL, 0, dup, NULL);
	assert_int_equal(store_event_meta(f->st, "V-1", &meta, &n), WERR_OK);
	assert_int_equal(n, 3);
	assert_int_equal(meta[0].visible_at, stamp);
	assert_int_equal(meta[1].visible_at, stamp);
	assert_true(meta[2].visible_at >= stamp);
	assert_true(meta[2].raw_id > raw);
	free(meta);
	assert_int_equal(store_kpi_events(f->st, 1700000100000, 1700000100001, &rows, &n), WERR_OK);
	assert_int_equal(n, 7);
	for (size_t i = 0; i < 6; i++)
		assert_int_equal(rows[i].visible_at, stamp);
	assert_true(rows[6].visible_at >= stamp);
	free(rows);
	for (int i = 0; i < 6; i++)
		event_release(&evs[i]);
	event_release(&later);
}

/*
 * Property (issue 17): the writer refolds an order from the events older
 * than its batch, read from the store, and the ones the batch appended, as
 * it holds them; for random arrival orders, batch shapes, duplicates and
 * late events, every stored projection equals a full refold of the log.
 */
/* Names with the characters array parameters quote (PostgreSQL sends a
 * batch's keys, orders, parcels and events as array literals): each is
 * stored and read back as it came, a repeat is a duplicate. */
static void test_batch_names_with_array_syntax(void **state)
{
	static const char *const names[] = { "A\"1", "B\\2", "C,3", "{D4}", "NULL", "E 5", "F\\\"}6", "G\u00e9" };
	enum { N = sizeof(names) / sizeof(names[0]) };
	struct fx *f = *state;
	struct event evs[N], again[N];
	bool dup[N];

	for (size_t i = 0; i < N; i++) {
		char pkg[32];
		snprintf(pkg, sizeof(pkg), "1Z%s", names[i]);
		ev_make(&evs[i], "ups", names[i], names[i], pkg, "", EV_IN_TRANSIT, (int)i);
		ev_make(&again[i], "ups", names[i], names[i], pkg, "", EV_IN_TRANSIT, (int)i);
	}
	submit(f, "ups", evs, N, NULL, 0, dup, NULL);
	for (size_t i = 0; i < N; i++)
		assert_false(dup[i]);
	submit(f, "ups", again, N, NULL, 0, dup, NULL);
	for (size_t i = 0; i < N; i++) {
		char pkg[32], order[EV_ORDER_MAX + 1], *json;
		struct event *all = NULL;
		size_t n = 0;

		assert_true(dup[i]);
		snprintf(pkg, sizeof(pkg), "1Z%s", names[i]);
		assert_int_equal(store_find_package(f->st, pkg, order), WERR_OK);
		assert_string_equal(order, names[i]);
		assert_non_null(json = order_json(f, names[i]));
		free(json);
		assert_int_equal(store_order_events(f->st, names[i], &all, &n), WERR_OK);
		assert_int_equal(n, 1);
		assert_string_equal(all[0].id, names[i]);
		assert_string_equal(all[0].package, pkg);
		event_array_free(all, n);
		event_release(&evs[i]);
		event_release(&again[i]);
	}
}

static void test_incremental_refold_equals_full(void **state)
{
	static const enum ev_status order_st[] = { EV_PLACED, EV_CONFIRMED, EV_PROCESSING, EV_PACKED,
						   EV_READY_TO_SHIP, EV_CANCELLED };
	static const enum ev_status pkg_st[] = { EV_LABEL_CREATED, EV_IN_TRANSIT, EV_OUT_FOR_DELIVERY,
						 EV_DELIVERY_ATTEMPTED, EV_DELIVERED, EV_EXCEPTION, EV_UNKNOWN };
	static const char *const sources[] = { "shopify", "ups", "aftership", "warehouse" };
	struct fx *f = *state;
	enum { ROUNDS = 40, JOBS = 6, PER = 4, ORDERS = 5 };
	struct event (*evs)[PER] = calloc(JOBS, sizeof(*evs));
	bool (*dup)[PER] = calloc(JOBS, sizeof(*dup));
	struct writer_job *jobs = calloc(JOBS, sizeof(*jobs));
	unsigned seed = 17;
	int id = 0;

	for (int round = 0; round < ROUNDS; round++) {
		struct pending r = { PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, 0 };
		size_t njobs = 1 + (size_t)(rand_r(&seed) % JOBS);

		for (size_t j = 0; j < njobs; j++) {
			size_t n = 1 + (size_t)(rand_r(&seed) % PER);
			for (size_t i = 0; i < n; i++) {
				char order[16], pkg[16], eid[16];
				int o = rand_r(&seed) % ORDERS, src = rand_r(&seed) % 4;
				bool parcel = src != 0 && rand_r(&seed) % 3;
				/* a duplicate now and then: an id seen before */
				int this_id = id > 4 && rand_r(&seed) % 6 == 0 ? rand_r(&seed) % id : id++;
				snprintf(order, sizeof(order), "P%d", o);
				pkg[0] = '\0';
				if (parcel)
					snprintf(pkg, sizeof(pkg), "1ZP%d%d", o, rand_r(&seed) % 2);
				snprintf(eid, sizeof(eid), "e%d", this_id);
				/* late events: any time in a 3-day window, in any order */
				ev_make(&evs[j][i], sources[src], eid, order, pkg, "",
					parcel ? pkg_st[rand_r(&seed) % 7] : order_st[rand_r(&seed) % 6],
					rand_r(&seed) % (3 * 24 * 60));
				if (evs[j][i].status == EV_UNKNOWN)
					snprintf(evs[j][i].code, sizeof(evs[j][i].code), "Z%d", rand_r(&seed) % 3);
			}
			memset(&jobs[j], 0, sizeof(jobs[j]));
			jobs[j].source = "test";
			jobs[j].events = evs[j];
			jobs[j].nevents = n;
			jobs[j].duplicate = dup[j];
			jobs[j].received_at = 1700000000000 + (int64_t)round * 60000;
			jobs[j].done = pending_done;
			jobs[j].ctx = &r;
		}
		r.n = njobs;
		for (size_t j = 0; j < njobs; j++)
			assert_int_equal(writer_submit(f->w, &jobs[j]), WERR_OK);
		pending_wait(&r, 0);
		pthread_mutex_unlock(&r.mu);
		for (size_t j = 0; j < njobs; j++)
			for (size_t i = 0; i < jobs[j].nevents; i++)
				event_release(&evs[j][i]);

		for (int o = 0; o < ORDERS; o++) {
			char order[16], *stored;
			struct event *all = NULL;
			struct order_state full;
			struct buf json = BUF_INIT;
			size_t n = 0;

			snprintf(order, sizeof(order), "P%d", o);
			if (!(stored = order_json(f, order)))
				continue; /* no event of it yet */
			order_init(&full);
			assert_int_equal(store_order_events(f->st, order, &all, &n), WERR_OK);
			assert_int_equal(store_fold(f->st, &f->pol, all, n, &full, NULL), WERR_OK);
			assert_int_equal(order_to_json(&full, &json), WERR_OK);
			assert_string_equal(stored, json.p);
			buf_release(&json);
			order_release(&full);
			event_array_free(all, n);
			free(stored);
		}
	}
	assert_true(id > 100);
	free(jobs);
	free(dup);
	free(evs);
}

static off_t file_size(const char *path)
{
	struct stat sb;
	return stat(path, &sb) ? 0 : sb.st_size;
}

/* A stream of one-event jobs, up to 32 in flight. */
struct stream {
	struct pending p;
	size_t sent;
	struct writer_job jobs[32];
	struct event evs[32];
	bool dup[32];
};

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Defect (issue 17): the checkpointer copied the WAL passively, which
 * under a steady stream of commits never reaches the end, so the WAL was
 * never started over: 1.5 GB after 10 s of one-event requests.  Under a
 * stream of one-event jobs for two seconds the WAL now stays bounded.
 */
static void test_wal_stays_bounded(void **state)
{
	struct fx *f = *state;
	struct stream *st;
	char wal[sizeof(f->db.path) + 8];
	off_t most = 0;
	int64_t until = now_ms() + 2000;

	if (tempdb_is_pg())
		skip(); /* SQLite's WAL file */
	st = calloc(1, sizeof(*st));

	snprintf(wal, sizeof(wal), "%s-wal", f->db.path);
	pthread_mutex_init(&st->p.mu, NULL);
	pthread_cond_init(&st->p.cv, NULL);
	while (now_ms() < until) {
		pending_wait(&st->p, 31);
		/* slots are reused in turn: the writer finishes jobs in the order
		 * they came, so with fewer than 32 in flight the oldest is done */
		size_t k = st->sent % 32;
		char id[32], order[32];
		snprintf(id, sizeof(id), "w%zu", st->sent);
		snprintf(order, sizeof(order), "W%zu", st->sent / 10);
		ev_make(&st->evs[k], "shopify", id, order, "", "", EV_PLACED, (int)(st->sent % 1000));
		memset(&st->jobs[k], 0, sizeof(st->jobs[k]));
		st->jobs[k].source = "shopify";
		st->jobs[k].events = &st->evs[k];
		st->jobs[k].nevents = 1;
		st->jobs[k].duplicate = &st->dup[k];
		st->jobs[k].received_at = 1700000000000;
		st->jobs[k].done = pending_done;
		st->jobs[k].ctx = &st->p;
		st->p.n++;
		st->sent++;
		pthread_mutex_unlock(&st->p.mu);
		assert_int_equal(writer_submit(f->w, &st->jobs[k]), WERR_OK);
		if (file_size(wal) > most)
			most = file_size(wal);
	}
	pending_wait(&st->p, 0);
	pthread_mutex_unlock(&st->p.mu);
	assert_true(st->sent > 1000);
	/* 16 MiB between checkpoints; the passive copy alone let it grow
	 * by hundreds of MiB in two seconds */
	if (most > 96 << 20)
		fail_msg("WAL reached %lld bytes after %zu jobs", (long long)most, st->sent);
	pthread_mutex_destroy(&st->p.mu);
	pthread_cond_destroy(&st->p.cv);
	free(st);
}

/*
 * Defect (issue 12, storage faults): a disk that fills up gave 500
 * storage_error, and nothing said the writer carries on once space returns.
 * The process's file-size limit stands in for a full disk here (no root, no
 * mount): SQLite's write fails as it would on ENOSPC or EIO, the batch is
 * rolled back and reported as a storage fault (503 on the wire), what was
 * committed before stays, and the same job commits once the limit is lifted.
 */
static void test_12_storage_fault_writer_recovers(void **state)
{
	struct fx *f = *state;
	struct event ev[1];
	bool dup[1], parked[1];
	struct rlimit old, lim;
	char wal[160];
	enum werr err;
	size_t big = 4u << 20;
	char *raw;

	if (tempdb_is_pg())
		skip(); /* a file size limit on SQLite's files */
	raw = malloc(big);

	assert_non_null(raw);
	memset(raw, 'x', big);
	ev_make(&ev[0], "api", "before", "2001", "", "", EV_PLACED, 0);
	submit(f, "api", ev, 1, NULL, 0, dup, parked);

	snprintf(wal, sizeof(wal), "%s-wal", f->db.path);
	off_t have = file_size(f->db.path) > file_size(wal) ? file_size(f->db.path) : file_size(wal);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, SIG_IGN); /* a write past the limit fails with EFBIG instead of killing us */
	lim = old;
	lim.rlim_cur = (rlim_t)have + 65536;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);

	struct writer_job job = { 0 };
	ev_make(&ev[0], "api", "during", "2002", "", "", EV_PLACED, 1);
	job.source = "api";
	job.content_type = "application/json";
	job.raw = raw;
	job.rawlen = big;
	job.events = ev;
	job.nevents = 1;
	job.duplicate = dup;
	job.received_at = 1700000100000;
	err = writer_submit_wait(f->w, &job);
	assert_true(err == WERR_STORAGE_FULL || err == WERR_STORAGE_DOWN);
	assert_int_equal(werr_write_result(err), err); /* reaches the client as it is: 503 */
	assert_null(order_json(f, "2002"));

	/* space returns: the very same job commits, and nothing was lost */
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
	ev_make(&ev[0], "api", "during", "2002", "", "", EV_PLACED, 1);
	assert_int_equal(writer_submit_wait(f->w, &job), WERR_OK);
	assert_false(dup[0]);
	char *json = order_json(f, "2001");
	assert_non_null(json);
	free(json);
	json = order_json(f, "2002");
	assert_non_null(json);
	free(json);
	signal(SIGXFSZ, SIG_DFL);
	free(raw);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_ref_parked_until_alias, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tracking_number_parked_until_package_known, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unmapped_and_rejected, setup, teardown),
		cmocka_unit_test_setup_teardown(test_raw_bodies_kept_once, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_names_with_array_syntax, setup, teardown),
		cmocka_unit_test_setup_teardown(test_batch_visible_at_and_raw_ids, setup, teardown),
		cmocka_unit_test_setup_teardown(test_incremental_refold_equals_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wal_stays_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parcel_owner_claim_move_and_rebuild, setup, teardown),
		cmocka_unit_test_setup_teardown(test_12_storage_fault_writer_recovers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
