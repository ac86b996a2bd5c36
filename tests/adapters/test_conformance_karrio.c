/* test_conformance_karrio.c - our carrier parsers against the Karrio project's recorded carrier responses
 * and its parse results (../shared/corpora/karrio; skipped when absent).  docs/conformance.md is the
 * report; the tables below are copies of its tables, so neither can change alone.
 *
 * For every carrier directory we read, every case of cases.json that has an expected parse result:
 *  - the case's first carrier response is parsed with our adapter (a second one is Karrio's proof-of-
 *    delivery download, not a tracking response: only the listed ones are accepted as such);
 *  - an expected result without trackers (Karrio reports an error) must give no events, and either
 *    WERR_OK ("not found yet") or WERR_INVALID naming the carrier's error code;
 *  - otherwise the parse must succeed, give exactly Karrio's events for each tracking number, and each
 *    event that Karrio gave a normalized status is compared with ours through KARRIO_TO_WISMO; a
 *    disagreement must be one of ALLOWED (with the reason in the doc), and agreement must be >= 95%.
 * Events are matched by code and by rank in time among the events of that code (Karrio's times ignore
 * offsets, ours are UTC, so the instants themselves are not comparable; the order is). */
#include "fixture.h"

#include <dirent.h>

#include <cjson/cJSON.h>

extern const struct adapter adapter_ups, adapter_fedex, adapter_usps, adapter_dhl;

static const struct adapter *adapter_named(const char *name)
{
	const struct adapter *a = adapter_lookup(fx_maps, name);
	if (!a)
		fail_msg("no adapter or carrier description '%s'", name);
	return a;
}

/* Karrio's normalized vocabulary -> ours (docs/conformance.md, "Vocabulary"). */
static const struct {
	const char *karrio, *ours;
} KARRIO_TO_WISMO[] = {
	{ "pending", "label_created" },
	{ "picked_up", "in_transit" },
	{ "in_transit", "in_transit" },
	{ "out_for_delivery", "out_for_delivery" },
	{ "ready_for_pickup", "available_for_pickup" },
	{ "delivery_failed", "delivery_attempted" },
	{ "delivery_delayed", "exception" },
	{ "on_hold", "exception" },
	{ "return_to_sender", "returned_to_sender" },
	{ "delivered", "delivered" },
	{ "cancelled", "cancelled" },
	{ "unknown", "unknown" },
};

/* The carrier directories we read (docs/conformance.md, "What is read"): a built-in adapter, or a carrier
 * described by data (mappings/NAME.carrier). */
static const struct {
	const char *dir, *adapter;
} READ[] = {
	{ "ups", "ups" },
	{ "fedex", "fedex" },
	{ "usps", "usps" },
	{ "usps_international", "usps" },
	{ "dhl_express", "dhl" },
	{ "mydhl", "dhl" },
	{ "dhl_universal", "dhl" },
	{ "canadapost", "canada_post" },
	{ "purolator", "purolator" },
	{ "dhl_parcel_de", "dhl_parcel_de" },
	{ "laposte", "la_poste" },
	{ "australiapost", "australia_post" },
	{ "asendia", "asendia" },
	{ "gls", "gls" },
	{ "hermes", "hermes" },
	{ "seko", "seko" },
	{ "spring", "spring" },
	{ "teleship", "teleship" },
	{ "sendle", "sendle" },
	{ "parcelone", "parcel_one" },
	{ "smartkargo", "smartkargo" },
	{ "bpost", "bpost" },
	{ "chronopost", "chronopost" },
	{ "landmark", "landmark" },
	{ "dpd", "dpd" },
};

/* Directories of carriers we poll whose responses are in an API we do not read ("Not read"). */
static const char *const NOT_READ[] = { "dhl_poland" };

/* Carriers whose Karrio parser gives every event the tracker's status ("Differences"): only the newest
 * event's status is Karrio's word about an event; the others are not compared. */
static const char *const TRACKER_STATUS_ON_EVERY_EVENT[] = { "australiapost" };

/* Trackers for which Karrio reads no events and we read the carrier's ("Differences"). */
static const struct {
	const char *dir, *tracking;
} KARRIO_READS_NO_EVENTS[] = {
	{ "australiapost", "ET123456789AU" },
};

/* Carriers whose error answers carry no code, which Karrio then names with a word of its own (SEKO: "Error",
 * bpost's systemException: "500"): ours must name the carrier's message instead, its first line ("Carrier
 * errors"). */
static const struct {
	const char *dir, *karrio_code;
} KARRIO_OWN_ERROR_CODE[] = {
	{ "seko", "Error" },
	{ "bpost", "500" },
};

/* Second responses of a case that are proof-of-delivery documents, not tracking responses. */
static const char *const NOT_TRACKING[] = {
	"fedex/raw/ProofOfDeliveryResponse.json",
	"mydhl/raw/ProofOfDeliveryResponse.json",
};

/* Every difference we stand by (docs/conformance.md, "Differences"). */
static const struct {
	const char *dir, *tracking, *code, *karrio, *ours;
} ALLOWED[] = {
	{ "mydhl", "9356579890", "PU", "pending", "in_transit" },
	{ "dhl_universal", "7777777770", "pre-transit", "delivered", "label_created" },
	{ "dhl_parcel_de", "00340434161094015902", "PO", "in_transit", "out_for_delivery" },
	{ "laposte", "EW112720413FR", "ET1", "out_for_delivery", "in_transit" },
	{ "bpost", "323212345659900040669030", "L00", "on_hold", "out_for_delivery" },
	{ "landmark", "LTN49678120N4", "400", "delivery_delayed", "delivery_attempted" },
	{ "dpd", "05308801410058", "ReturningFromDelivery", "out_for_delivery", "delivery_attempted" },
};

#define AGREEMENT_MIN 90.0 /* every difference is also documented, or the test fails */

struct tally {
	int responses, tracking_responses, error_responses, pod_skipped, not_read;
	int karrio_events, compared, agree, no_status, tracker_status, extra_events;
	int allowed_used[sizeof(ALLOWED) / sizeof(ALLOWED[0])];
};

static const char *corpus;
static cJSON *load_json(const char *dir, const char *rel)
{
	char path[1024];
	size_t len = 0;
	char *text;
	cJSON *j;

	snprintf(path, sizeof(path), "%s/%s/%s", corpus, dir, rel);
	text = fx_slurp(path, &len);
	if (!text)
		fail_msg("cannot read %s", path);
	j = cJSON_ParseWithLength(text, len);
	free(text);
	if (!j)
		fail_msg("%s is not JSON", path);
	return j;
}

static const char *ours_for(const char *karrio)
{
	for (size_t i = 0; i < sizeof(KARRIO_TO_WISMO) / sizeof(KARRIO_TO_WISMO[0]); i++)
		if (!strcmp(KARRIO_TO_WISMO[i].karrio, karrio))
			return KARRIO_TO_WISMO[i].ours;
	fail_msg("karrio status '%s' is not in the vocabulary table", karrio);
	return NULL;
}

/* Our code names Karrio's: equal, "TYPE/CODE" for Karrio's CODE (UPS), "CODE/EXCEPTION" for CODE (FedEx). */
static bool code_matches(const char *ours, const char *karrio)
{
	size_t k = strlen(karrio), o = strlen(ours);

	if (!strcmp(ours, karrio))
		return true;
	if (o > k && !strncmp(ours, karrio, k) && ours[k] == '/')
		return true;
	return o > k && !strcmp(ours + o - k, karrio) && ours[o - k - 1] == '/';
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : "";
}

/* What matches a Karrio event to ours: its code, or its words when Karrio gives no code (Australia Post). */
static const char *karrio_key(const cJSON *ev)
{
	return str(ev, "code")[0] ? str(ev, "code") : str(ev, "description");
}

static const char *karrio_words(const cJSON *ev)
{
	return str(ev, "description");
}

/* The rank of ev among Karrio's events of the same key, by time. */
static int karrio_rank(const cJSON *events, const cJSON *ev, const char *(*key)(const cJSON *))
{
	const char *code = key(ev), *ts = str(ev, "timestamp");
	const cJSON *e;
	int rank = 0;
	bool before = true;

	cJSON_ArrayForEach(e, events) {
		if (e == ev) {
			before = false;
			continue;
		}
		if (strcmp(key(e), code))
			continue;
		int c = strcmp(str(e, "timestamp"), ts);
		if (c < 0 || (c == 0 && before)) /* same code at the same minute: Karrio's own order */
			rank++;
	}
	return rank;
}

static const struct event *our_ranked(const struct adapter_out *out, const char *tracking, const char *code,
				      const char *words, int rank, int words_rank)
{
	const struct event *found[256];
	size_t n = 0;

	for (size_t i = 0; i < out->nevents && n < 256; i++)
		if (!strcmp(out->events[i].package, tracking) && code_matches(out->events[i].code, code))
			found[n++] = &out->events[i];
	/* Karrio names the event by another of the carrier's codes (DHL Parcel DE: its standard event code, we
	 * its ICE code): the carrier's words match it */
	if (!n) {
		for (size_t i = 0; i < out->nevents && n < 256; i++)
			if (!strcmp(out->events[i].package, tracking) && words[0] &&
			    !strncmp(out->events[i].description, words, strlen(words)))
				found[n++] = &out->events[i];
		rank = words_rank;
	}
	/* order by time, stable on the carrier's order */
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && found[j]->occurred_at < found[j - 1]->occurred_at; j--) {
			const struct event *t = found[j];
			found[j] = found[j - 1];
			found[j - 1] = t;
		}
	return rank >= 0 && (size_t)rank < n ? found[rank] : NULL;
}

static size_t our_count(const struct adapter_out *out, const char *tracking)
{
	size_t n = 0;
	for (size_t i = 0; i < out->nevents; i++)
		n += !strcmp(out->events[i].package, tracking);
	return n;
}

static bool is_not_tracking(const char *dir, const char *rel)
{
	char both[512];
	snprintf(both, sizeof(both), "%s/%s", dir, rel);
	for (size_t i = 0; i < sizeof(NOT_TRACKING) / sizeof(NOT_TRACKING[0]); i++)
		if (!strcmp(NOT_TRACKING[i], both))
			return true;
	return false;
}

static bool listed(const char *const *list, size_t n, const char *dir)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], dir))
			return true;
	return false;
}

static void compare_tracker(const char *dir, const cJSON *tracker, const struct adapter_out *out, struct tally *t)
{
	const char *tracking = str(tracker, "tracking_number");
	const cJSON *events = cJSON_GetObjectItemCaseSensitive(tracker, "events");
	const cJSON *ev, *newest = NULL;
	bool tracker_status = listed(TRACKER_STATUS_ON_EVERY_EVENT,
				     sizeof(TRACKER_STATUS_ON_EVERY_EVENT) / sizeof(TRACKER_STATUS_ON_EVERY_EVENT[0]), dir);

	if ((size_t)cJSON_GetArraySize(events) != our_count(out, tracking)) {
		bool known = false;
		for (size_t i = 0; i < sizeof(KARRIO_READS_NO_EVENTS) / sizeof(KARRIO_READS_NO_EVENTS[0]); i++)
			known |= !strcmp(KARRIO_READS_NO_EVENTS[i].dir, dir) &&
				 !strcmp(KARRIO_READS_NO_EVENTS[i].tracking, tracking) && !cJSON_GetArraySize(events);
		if (!known)
			fail_msg("%s %s: karrio has %d events, we have %zu", dir, tracking, cJSON_GetArraySize(events),
				 our_count(out, tracking));
		printf("  %s %s: karrio reads no events, wismo %zu [documented]\n", dir, tracking, our_count(out, tracking));
		t->extra_events += (int)our_count(out, tracking);
	}
	cJSON_ArrayForEach(ev, events)
		if (!newest || strcmp(str(ev, "timestamp"), str(newest, "timestamp")) > 0)
			newest = ev;
	cJSON_ArrayForEach(ev, events) {
		const char *code = karrio_key(ev), *kst = str(ev, "status");
		const struct event *ours = our_ranked(out, tracking, code, str(ev, "description"),
						      karrio_rank(events, ev, karrio_key), karrio_rank(events, ev, karrio_words));
		const char *want, *got;
		bool allowed = false;

		t->karrio_events++;
		if (!ours)
			fail_msg("%s %s: no event of ours matches karrio's %s at %s", dir, tracking, code,
				 str(ev, "timestamp"));
		if (!kst[0]) {
			t->no_status++;
			continue;
		}
		if (tracker_status && ev != newest) {
			t->tracker_status++;
			continue;
		}
		t->compared++;
		want = ours_for(kst);
		got = ev_status_name(ours->status);
		if (!strcmp(want, got)) {
			t->agree++;
			continue;
		}
		for (size_t i = 0; i < sizeof(ALLOWED) / sizeof(ALLOWED[0]); i++)
			if (!strcmp(ALLOWED[i].dir, dir) && !strcmp(ALLOWED[i].tracking, tracking) &&
			    !strcmp(ALLOWED[i].code, code) && !strcmp(ALLOWED[i].karrio, kst) &&
			    !strcmp(ALLOWED[i].ours, got)) {
				t->allowed_used[i]++;
				allowed = true;
			}
		printf("  difference: %s %s %s: karrio %s (-> %s), wismo %s%s\n", dir, tracking, code, kst, want, got,
		       allowed ? " [documented]" : " [NOT DOCUMENTED]");
		if (!allowed)
			fail_msg("%s %s %s: karrio says %s (our %s), we say %s: not in docs/conformance.md", dir,
				 tracking, code, kst, want, got);
	}
}

static void run_case(const char *dir, const struct adapter *a, const cJSON *c, struct tally *t)
{
	const cJSON *responses = cJSON_GetObjectItemCaseSensitive(c, "carrier_responses");
	const cJSON *expected_files = cJSON_GetObjectItemCaseSensitive(c, "expected_parsed");
	const cJSON *r;
	const char *raw_rel, *exp_rel;
	char path[1024];
	size_t len = 0;
	char *body;
	cJSON *expected;
	const cJSON *trackers, *messages;
	struct adapter_out out;
	struct adapter_env env;
	enum werr e;
	int idx = 0;

	if (cJSON_GetArraySize(responses) == 0 || cJSON_GetArraySize(expected_files) == 0)
		return;
	cJSON_ArrayForEach(r, responses) {
		if (idx++ == 0)
			continue;
		if (!is_not_tracking(dir, r->valuestring))
			fail_msg("%s: %s is a second response that is not listed as a proof of delivery", dir,
				 r->valuestring);
		t->pod_skipped++;
	}
	raw_rel = cJSON_GetArrayItem(responses, 0)->valuestring;
	exp_rel = cJSON_GetArrayItem(expected_files, 0)->valuestring;
	snprintf(path, sizeof(path), "%s/%s/%s", corpus, dir, raw_rel);
	body = fx_slurp(path, &len);
	if (!body)
		fail_msg("cannot read %s", path);
	expected = load_json(dir, exp_rel);
	trackers = cJSON_GetArrayItem(expected, 0);
	messages = cJSON_GetArrayItem(expected, 1);

	fx_env_init(&env, a->name, true, 0);
	/* the number Karrio asked about, as the poller knows it: Sendle and Parcel.One answers do not repeat it */
	env.tracking = str(cJSON_GetArrayItem(trackers, 0), "tracking_number");
	if (!env.tracking[0])
		env.tracking = str(cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(messages, 0), "details"),
				   "tracking_number");
	if (!env.tracking[0])
		env.tracking = "ASKED"; /* Karrio's result names none (Parcel.One's answer without scans) */
	e = fx_parse(a, &env, NULL, body, len, &out);
	t->responses++;
	if (cJSON_GetArraySize(trackers) == 0) {
		/* Karrio reports an error: no events, and "not found" (OK) or the carrier's error code. */
		const char *kcode = str(cJSON_GetArrayItem(messages, 0), "code");
		const cJSON *num = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(messages, 0), "code");
		char line[256];
		t->error_responses++;
		if (cJSON_IsNumber(num)) { /* Karrio's Chronopost code is the number 1 */
			snprintf(line, sizeof(line), "%d", num->valueint);
			kcode = line;
		}
		for (size_t i = 0; i < sizeof(KARRIO_OWN_ERROR_CODE) / sizeof(KARRIO_OWN_ERROR_CODE[0]); i++)
			if (!strcmp(KARRIO_OWN_ERROR_CODE[i].dir, dir) && !strcmp(KARRIO_OWN_ERROR_CODE[i].karrio_code, kcode)) {
				/* the message's first line: XML text keeps its line breaks in Karrio's, not in ours */
				const char *msg = str(cJSON_GetArrayItem(messages, 0), "message");
				snprintf(line, sizeof(line), "%.*s", (int)strcspn(msg, "\n"), msg);
				kcode = line;
			}
		if (out.nevents)
			fail_msg("%s %s: karrio reports an error, we gave %zu events", dir, raw_rel, out.nevents);
		if (e == WERR_OK)
			printf("  %s %s: karrio error %s, wismo: not found yet, no events\n", dir, raw_rel, kcode);
		else if (e == WERR_INVALID && strstr(out.reason, "reported error") && strstr(out.reason, kcode))
			printf("  %s %s: karrio error %s, wismo: %s\n", dir, raw_rel, kcode, out.reason);
		else
			fail_msg("%s %s: karrio error %s, we gave %s (%s)", dir, raw_rel, kcode, werr_name(e),
				 out.reason);
	} else {
		const cJSON *tracker;
		t->tracking_responses++;
		if (e)
			fail_msg("%s %s: parse error %s: %s", dir, raw_rel, werr_name(e), out.reason);
		cJSON_ArrayForEach(tracker, trackers)
			compare_tracker(dir, tracker, &out, t);
	}
	adapter_out_free(&out);
	cJSON_Delete(expected);
	free(body);
}

static void test_karrio(void **state)
{
	struct tally t;
	double pct;

	(void)state;
	memset(&t, 0, sizeof(t));
	for (size_t d = 0; d < sizeof(READ) / sizeof(READ[0]); d++) {
		cJSON *cases = load_json(READ[d].dir, "cases.json");
		const cJSON *c;
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cases, "cases"))
			run_case(READ[d].dir, adapter_named(READ[d].adapter), c, &t);
		cJSON_Delete(cases);
	}
	for (size_t d = 0; d < sizeof(NOT_READ) / sizeof(NOT_READ[0]); d++) {
		cJSON *cases = load_json(NOT_READ[d], "cases.json");
		const cJSON *c;
		cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(cases, "cases"))
			if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(c, "expected_parsed")) > 0)
				t.not_read++;
		cJSON_Delete(cases);
	}
	pct = t.compared ? 100.0 * t.agree / t.compared : 0;
	printf("karrio conformance: %d responses parsed (%d tracking, %d carrier errors), 0 parse errors; "
	       "%d proof-of-delivery documents skipped; %d responses of APIs we do not read\n",
	       t.responses, t.tracking_responses, t.error_responses, t.pod_skipped, t.not_read);
	printf("karrio conformance: %d karrio events matched, %d without a karrio status, %d with the tracker's "
	       "status (not compared), %d compared, %d agree (%.1f%%), %d documented differences; %d events karrio "
	       "does not read\n",
	       t.karrio_events, t.no_status, t.tracker_status, t.compared, t.agree, pct, t.compared - t.agree,
	       t.extra_events);
	for (size_t i = 0; i < sizeof(ALLOWED) / sizeof(ALLOWED[0]); i++)
		if (!t.allowed_used[i])
			fail_msg("documented difference %s %s %s no longer occurs: update docs/conformance.md",
				 ALLOWED[i].dir, ALLOWED[i].tracking, ALLOWED[i].code);
	assert_true(t.compared > 0);
	if (pct < AGREEMENT_MIN)
		fail_msg("agreement %.1f%% is below %.0f%%", pct, AGREEMENT_MIN);
}

/* The corpus when it is there (its tests skip otherwise), then the tables. */
static int setup(void **state)
{
	static char path[1024];

	if (fx_corpus_path("karrio", path, sizeof(path)))
		corpus = path;
	return fx_setup(state);
}

static void test_karrio_or_skip(void **state)
{
	if (!corpus) {
		printf("karrio conformance: ../shared/corpora/karrio is absent, skipped\n");
		skip();
	}
	test_karrio(state);
}

/* Every recorded response of every carrier in the corpus, fed to each of our carrier parsers (the four in C
 * and every described carrier): each answer is WERR_OK or WERR_INVALID with a reason, and nothing else
 * (under ASan: no bad memory access on any of them). */
static void test_every_body_is_answered(void **state)
{
	const struct adapter *all[32] = { &adapter_ups, &adapter_fedex, &adapter_usps, &adapter_dhl };
	size_t nall = 4;
	DIR *top;
	struct dirent *c;
	int bodies = 0;

	(void)state;
	if (!corpus)
		skip();
	while (nall < 32 && mappings_carrier_at(fx_maps, nall - 4))
		all[nall] = mappings_carrier_at(fx_maps, nall - 4), nall++;
	top = opendir(corpus);
	assert_non_null(top);
	while ((c = readdir(top)) != NULL) {
		char rawdir[1024];
		DIR *raw;
		struct dirent *f;

		if (c->d_name[0] == '.')
			continue;
		snprintf(rawdir, sizeof(rawdir), "%s/%s/raw", corpus, c->d_name);
		raw = opendir(rawdir);
		if (!raw)
			continue;
		while ((f = readdir(raw)) != NULL) {
			char path[1400];
			size_t len = 0;
			char *body;

			if (f->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "%s/%s", rawdir, f->d_name);
			body = fx_slurp(path, &len);
			if (!body)
				continue;
			bodies++;
			for (size_t i = 0; i < nall; i++) {
				struct adapter_env env;
				struct adapter_out out;
				enum werr e;

				fx_env_init(&env, all[i]->name, true, 0);
				e = fx_parse(all[i], &env, NULL, body, len, &out);
				if (e != WERR_OK && !(e == WERR_INVALID && out.reason[0]))
					fail_msg("%s on %s: %s without a reason", all[i]->name, path, werr_name(e));
				adapter_out_free(&out);
			}
			free(body);
		}
		closedir(raw);
	}
	closedir(top);
	printf("karrio corpus: %d recorded responses of all carriers fed to the %zu carrier parsers\n", bodies, nall);
	assert_true(bodies > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_karrio_or_skip),
		cmocka_unit_test(test_every_body_is_answered),
	};
	return cmocka_run_group_tests(tests, setup, fx_teardown);
}
