/* test_declared.c - carriers described by data (adapters/declared.c, mappings/NAME.carrier, docs/carriers.md).
 *
 * The shipped descriptions read hand-written answers in each carrier's public format (tests/data/<carrier>/,
 * compared line for line with <fixture>.expected.jsonl; WISMO_UPDATE_EXPECTED=1 rewrites them), their error
 * answers give the carrier's own code, and the instants are checked as numbers.  Then the engine on its own:
 * the loader's refusals, paths (alternatives, any member, arrays, XML attributes and text), times, places,
 * detection, codes joined and fallbacks, ids of long codes. */
#include "fixture.h"

#include <dirent.h>

#include "base/wtime.h"

static const struct adapter *carrier(const char *name)
{
	const struct adapter *a = adapter_lookup(fx_maps, name);
	if (!a || !a->decl)
		fail_msg("no carrier description '%s' in mappings/", name);
	return a;
}

/* The number every fixture answer was asked about, as the poller knows it: a carrier whose answer does not
 * repeat it (Sendle, Parcel.One) names it "{tracking}". */
#define ASKED "ASKED0042"

static size_t expect_events(const char *name, const char *rel)
{
	struct adapter_env env;
	const struct adapter *a = carrier(name);
	const struct fx_case c = { .adapter = a, .env = &env, .name = rel, .again = true };

	fx_env_init(&env, a->name, true, 0);
	env.tracking = ASKED;
	return fx_run_case(&c, NULL, NULL);
}

static enum werr parse_file(const char *name, const char *rel, struct adapter_out *out)
{
	struct adapter_env env;
	const struct adapter *a = carrier(name);
	size_t len = 0;
	char *body = fx_data_must(NULL, rel, &len);
	enum werr e;

	struct hook_request rq = { body, len, NULL, NULL, NULL };

	fx_env_init(&env, a->name, true, 0);
	env.tracking = ASKED;
	memset(out, 0, sizeof(*out));
	e = adapter_parse(a, &env, &rq, out); /* as the poller does: the codes, then the words */
	free(body);
	return e;
}

/* An error answer: no events, and rc; with WERR_INVALID the reason contains why. */
static void expect_answer(const char *name, const char *rel, enum werr rc, const char *why)
{
	struct adapter_out out;
	enum werr e = parse_file(name, rel, &out);

	if (e != rc)
		fail_msg("%s: got %s (%s), want %s", rel, werr_name(e), out.reason, werr_name(rc));
	if (why && !strstr(out.reason, why))
		fail_msg("%s: reason '%s' does not say '%s'", rel, out.reason, why);
	assert_int_equal(out.nevents, 0);
	adapter_out_free(&out);
}

static int64_t at(const char *rfc3339)
{
	int64_t ms = 0;
	assert_int_equal(wtime_parse(rfc3339, 0, &ms), WTIME_OK);
	return ms;
}

static void test_shipped_descriptions(void **state)
{
	struct adapter_out out;

	(void)state;
	assert_int_equal(expect_events("canada_post", "canada_post/detail.xml"), 4);
	assert_int_equal(expect_events("purolator", "purolator/track.xml"), 3);
	assert_int_equal(expect_events("dhl_parcel_de", "dhl_parcel_de/piece.xml"), 4);
	assert_int_equal(expect_events("la_poste", "la_poste/idship.json"), 4);
	assert_int_equal(expect_events("australia_post", "australia_post/track.json"), 5);
	assert_int_equal(expect_events("royal_mail", "royal_mail/events.json"), 5);
	assert_int_equal(expect_events("postnl", "postnl/status.json"), 6);
	assert_int_equal(expect_events("postnl", "postnl/current.json"), 1);

	/* Canada Post: local times in the province's zone (Vancouver in July: PDT), the estimate a date. */
	assert_int_equal(parse_file("canada_post", "canada_post/detail.xml", &out), WERR_OK);
	assert_int_equal(out.events[0].occurred_at, at("2026-07-08T20:05:11Z"));
	assert_int_equal(out.events[0].status, EV_DELIVERED);
	assert_int_equal(out.events[2].occurred_at, at("2026-07-07T02:18:30Z")); /* 22:18:30 EDT in Ontario */
	assert_int_equal(out.events[3].status, EV_UNKNOWN);                        /* a code no row has */
	assert_string_equal(out.events[3].code, "9999");
	assert_string_equal(out.events[3].detail, "");                             /* so: the unmapped queue */
	assert_string_equal(out.events[0].carrier, "canada_post");
	assert_string_equal(out.events[0].id, "canada_post:1371134583769923:2026-07-08T20:05:11Z:1496");
	adapter_out_free(&out);

	/* DHL Paket: DHL's parcels; "26.10.2026 06:40" is after the end of summer time (25 Oct 2026); a scan without
	 * a place is read in the destination and says so; a country written in German is known. */
	assert_int_equal(parse_file("dhl_parcel_de", "dhl_parcel_de/piece.xml", &out), WERR_OK);
	assert_string_equal(out.events[0].carrier, "dhl");
	assert_string_equal(out.events[0].package, "00340434299912345678");
	assert_int_equal(out.events[0].occurred_at, at("2026-10-24T16:02:00Z")); /* CEST in Hamburg */
	assert_int_equal(out.events[1].occurred_at, at("2026-10-26T05:40:00Z")); /* CET in Austria */
	assert_non_null(strstr(out.events[1].description, "(local time read in AT, the parcel's destination)"));
	assert_null(strstr(out.events[0].description, "local time"));
	assert_int_equal(out.events[1].status, EV_OUT_FOR_DELIVERY);             /* SRTED with PO */
	assert_string_equal(out.events[1].code, "SRTED/NRQRD");
	assert_int_equal(out.events[3].status, EV_DELIVERED);                    /* an unknown ICE: its ZU decides */
	assert_string_equal(out.events[3].code, "QQQQQ/OTHER");                  /* and the event keeps its own */
	adapter_out_free(&out);

	/* Purolator: "HHMM" and "HHMMSS" times, the depot's "CITY, PROVINCE". */
	assert_int_equal(parse_file("purolator", "purolator/track.xml", &out), WERR_OK);
	assert_int_equal(out.events[1].occurred_at, at("2026-11-03T15:12:00Z")); /* 08:12 MST in Calgary */
	assert_string_equal(out.events[1].location.city, "CALGARY");
	assert_string_equal(out.events[1].location.region, "AB");
	assert_int_equal(out.events[2].status, EV_IN_TRANSIT); /* ScanType Other: its words decide */
	adapter_out_free(&out);

	/* Australia Post: words as codes, a row ending in '*' for a place in the words. */
	assert_int_equal(parse_file("australia_post", "australia_post/track.json", &out), WERR_OK);
	assert_int_equal(out.events[2].status, EV_IN_TRANSIT);
	assert_string_equal(out.events[2].code, "In transit to next facility in SUNSHINE WEST VIC");
	assert_int_equal(out.events[0].status, EV_DELIVERED);
	assert_string_equal(out.events[0].package, "33LRT0012345");
	adapter_out_free(&out);

	/* Royal Mail: times with their offset (BST, then GMT after 25 Oct 2026); the place is the office's name; the
	 * estimate a date, read in the carrier's country. */
	assert_int_equal(parse_file("royal_mail", "royal_mail/events.json", &out), WERR_OK);
	assert_string_equal(out.events[0].package, "TT123456785GB");
	assert_int_equal(out.events[0].status, EV_DELIVERED);
	assert_int_equal(out.events[0].occurred_at, at("2026-10-26T11:05:00Z"));
	assert_int_equal(out.events[0].estimated_delivery, at("2026-10-26T00:00:00Z"));
	assert_int_equal(out.events[1].status, EV_OUT_FOR_DELIVERY);              /* EVGPD: due for delivery today */
	assert_int_equal(out.events[2].occurred_at, at("2026-10-24T09:04:00Z"));  /* 10:04 BST */
	assert_string_equal(out.events[2].location.city, "Stone DO");
	assert_int_equal(out.events[2].status, EV_IN_TRANSIT);                    /* a mis-sort, re-routed */
	assert_string_equal(out.events[4].location.city, "");                     /* locationName null */
	assert_null(strstr(out.events[4].description, "local time"));
	assert_string_equal(out.events[4].id, "royal_mail:TT123456785GB:2026-10-23T09:17:40Z:EVPPA");
	adapter_out_free(&out);

	/* PostNL: "dd-mm-yyyy hh:mm:ss[.fff]" in Dutch local time (summer time from 29 Mar 2026 02:00), the history
	 * from OldStatus (the current Status too), else the current Status alone; 99 is unknown on purpose. */
	assert_int_equal(parse_file("postnl", "postnl/status.json", &out), WERR_OK);
	assert_string_equal(out.events[0].package, "3SABCD123456789");
	assert_int_equal(out.events[0].status, EV_DELIVERED);
	assert_int_equal(out.events[0].occurred_at, at("2026-03-30T12:06:53Z"));  /* CEST */
	assert_int_equal(out.events[1].status, EV_OUT_FOR_DELIVERY);
	assert_int_equal(out.events[2].occurred_at, at("2026-03-30T07:41:54.117Z"));
	assert_int_equal(out.events[2].status, EV_UNKNOWN);
	assert_string_equal(out.events[2].code, "99");
	assert_int_equal(out.events[3].occurred_at, at("2026-03-29T00:15:18Z"));  /* 01:15 CET, before the change */
	assert_non_null(strstr(out.events[3].description, "(local time read in NL,"));
	assert_int_equal(out.events[5].status, EV_LABEL_CREATED);
	assert_int_equal(out.events[5].occurred_at, at("2026-03-27T11:11:10Z"));
	assert_int_equal(out.events[0].estimated_delivery, at("2026-03-29T22:00:00Z"));
	adapter_out_free(&out);
	assert_int_equal(parse_file("postnl", "postnl/current.json", &out), WERR_OK);
	assert_int_equal(out.events[0].status, EV_AVAILABLE_FOR_PICKUP);
	assert_int_equal(out.events[0].occurred_at, at("2026-11-05T09:13:20Z"));  /* CET again */
	adapter_out_free(&out);
}

static void test_error_answers(void **state)
{
	(void)state;
	expect_answer("canada_post", "canada_post/no_history.xml", WERR_OK, NULL);
	expect_answer("canada_post", "canada_post/unauthorized.xml", WERR_INVALID,
		      "canada_post reported error E002: AAA Authentication Failure");
	expect_answer("purolator", "purolator/error.xml", WERR_INVALID, "purolator reported error 3001000: Invalid PIN");
	expect_answer("dhl_parcel_de", "dhl_parcel_de/no_data.xml", WERR_OK, NULL);
	expect_answer("dhl_parcel_de", "dhl_parcel_de/denied.xml", WERR_INVALID,
		      "dhl_parcel_de reported error 3: Login failed");
	expect_answer("la_poste", "la_poste/not_found.json", WERR_OK, NULL);
	expect_answer("australia_post", "australia_post/too_many.json", WERR_INVALID,
		      "australia_post reported error 51101: The request must contain 10 or less");
	expect_answer("royal_mail", "royal_mail/not_found.json", WERR_OK, NULL);
	expect_answer("royal_mail", "royal_mail/bad_header.json", WERR_INVALID,
		      "royal_mail reported error E0004: Failed header validation for X-Accept-RMG-Terms");
	expect_answer("royal_mail", "royal_mail/unauthorized.json", WERR_INVALID,
		      "royal_mail reported error 401: Client id not registered.");
	expect_answer("postnl", "postnl/not_found.json", WERR_OK, NULL);
	expect_answer("postnl", "postnl/invalid_key.json", WERR_INVALID,
		      "postnl reported error oauth.v2.InvalidApiKey: Invalid ApiKey");
}

/* ---- the engine, on descriptions written here ---- */

static struct carrier_decl *load(const char *text, char *err, size_t cap, enum werr *e)
{
	struct carrier_decl *d = NULL;
	*e = decl_load("testcar", text, strlen(text), "testcar.carrier", &d, err, cap);
	return d;
}

#define MINIMAL "[carrier]\nformat = json\n[request]\nurl = {api_base}/t/{tracking}\n" \
		"[answer]\ntracking = id\nevents = ev\n[event]\ncode = c\nat = t\n"

static void test_loader_refuses(void **state)
{
	static const struct {
		const char *text, *why;
	} bad[] = {
		{ MINIMAL "colour = red\n", "testcar.carrier:11: unknown key 'colour' in [event]" },
		{ MINIMAL "[event]\ncode = d\n", "testcar.carrier:12: [event] code is given twice" },
		{ "format = json\n", "testcar.carrier:1: a key before any [section]" },
		{ "[carrier\n", "testcar.carrier:1: a section is written [name]" },
		{ "[carrier]\njust words\n", "testcar.carrier:2: expected 'key = value'" },
		{ "[carrier]\nformat = yaml\n[request]\nurl = x\n[answer]\ntracking = a\nevents = b\n[event]\ncode = c\nat = t\n",
		  "[carrier] format is json or xml, not 'yaml'" },
		{ "[carrier]\nformat = json\n", "[request] url is required" },
		{ MINIMAL "[detect]\npattern = ([0-9\n", "[detect] pattern is not a POSIX extended regular expression" },
		{ MINIMAL "[detect]\npattern = 0++++[0-9]\n", "[detect] pattern is too elaborate" },
		{ MINIMAL "[detect]\npattern = [0-9]{1,9999}\n", "[detect] pattern is too elaborate" },
		{ MINIMAL "[request]\nauth = magic\n", "[request] auth is none, basic, bearer or header, not 'magic'" },
		{ MINIMAL "[request]\nauth = bearer\n", "auth = bearer needs token_path" },
		{ MINIMAL "[request]\nmethod = PUT\n", "method is GET or POST" },
	};
	char err[512];
	enum werr e;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct carrier_decl *d = load(bad[i].text, err, sizeof(err), &e);
		if (d || e != WERR_INVALID)
			fail_msg("case %zu loaded", i);
		if (!strstr(err, bad[i].why))
			fail_msg("case %zu: '%s' does not say '%s'", i, err, bad[i].why);
	}
	/* a long value is one line, whatever its length; comments with '#' and ';' */
	char long_text[2048];
	snprintf(long_text, sizeof(long_text), "; a comment\n" MINIMAL "[request]\nbody = {\"q\":\"%0400d\"}\n", 7);
	struct carrier_decl *d = load(long_text, err, sizeof(err), &e);
	assert_int_equal(e, WERR_OK);
	assert_non_null(d);
	assert_int_equal(strlen(decl_request(d)->body), 400 + 8);
	assert_string_equal(decl_request(d)->method, "GET");
	assert_string_equal(decl_request(d)->auth, "none");
	assert_string_equal(decl_request(d)->accept, "application/json");
	assert_string_equal(decl_carrier(d), "testcar");
	assert_ptr_equal(decl_adapter(d)->decl, d);
	assert_int_equal(decl_adapter(d)->kind, KIND_CARRIER);
	decl_free(d);

	/* "header =" once per header line: the lines are kept in order, joined by '\n' (Royal Mail sends three) */
	d = load(MINIMAL "[request]\nheader = X-One: {api_secret}\nheader = X-Two: yes\n", err, sizeof(err), &e);
	assert_int_equal(e, WERR_OK);
	assert_non_null(d);
	assert_string_equal(decl_request(d)->header, "X-One: {api_secret}\nX-Two: yes");
	decl_free(d);
}

static enum werr parse_with(const char *desc, const char *body, struct adapter_out *out)
{
	char err[512];
	enum werr e;
	struct carrier_decl *d = load(desc, err, sizeof(err), &e);
	struct adapter_env env;
	struct hook_request rq = { body, strlen(body), NULL, NULL, NULL };

	if (!d)
		fail_msg("description: %s", err);
	fx_env_init(&env, "testcar", true, 0);
	memset(out, 0, sizeof(*out));
	e = decl_parse(d, &env, &rq, out);
	decl_free(d);
	return e;
}

/* parse_with, the answer asked about number (env.tracking). */
static enum werr parse_asked(const char *desc, const char *body, const char *number, struct adapter_out *out)
{
	char err[512];
	enum werr e;
	struct carrier_decl *d = load(desc, err, sizeof(err), &e);
	struct adapter_env env;
	struct hook_request rq = { body, strlen(body), NULL, NULL, NULL };

	if (!d)
		fail_msg("description: %s", err);
	fx_env_init(&env, "testcar", true, 0);
	env.tracking = number;
	memset(out, 0, sizeof(*out));
	e = decl_parse(d, &env, &rq, out);
	decl_free(d);
	return e;
}

static void test_paths(void **state)
{
	static const char desc[] = "[carrier]\nformat = json\nhome = DE\n[request]\nurl = x\n"
				   "[answer]\nshipments = a.* | b\ntracking = no | number\nevents = ev | scans.list\n"
				   "destination = to\n"
				   "[event]\ncode = k + r\ndescription = w\ndate = d\ntime = h\ncountry = c\n";
	struct adapter_out out;

	(void)state;
	/* "a.*": every member of a; an array on the way is walked; a number is read as an integer */
	assert_int_equal(parse_with(desc, "{\"a\":{\"x\":{\"no\":123456,\"ev\":[{\"k\":\"A\",\"r\":\"B\",\"d\":\"20260301\","
					  "\"h\":\"0930\",\"c\":\"FR\"}]},\"y\":[{\"number\":\"N2\",\"scans\":{\"list\":"
					  "{\"k\":\"Z\",\"d\":\"01.03.2026\",\"h\":\"10:00\",\"w\":\"no place\"}},\"to\":\"US\"}]}}",
				    &out),
			 WERR_OK);
	assert_int_equal(out.nevents, 2);
	assert_string_equal(out.events[0].package, "123456");
	assert_string_equal(out.events[0].code, "A/B");                            /* "k + r" */
	assert_int_equal(out.events[0].occurred_at, at("2026-03-01T08:30:00Z"));   /* 09:30 in Paris */
	assert_string_equal(out.events[1].package, "N2");
	assert_string_equal(out.events[1].code, "Z");                              /* an empty part is left out */
	assert_int_equal(out.events[1].occurred_at, at("2026-03-01T15:00:00Z"));   /* destination US: New York */
	assert_non_null(strstr(out.events[1].description, "(local time read in US, the parcel's destination)"));
	adapter_out_free(&out);

	/* a day-first date with dashes and the time in one value (PostNL): "dd-mm-yyyy hh:mm:ss[.fff]" */
	assert_int_equal(parse_with(desc, "{\"b\":{\"no\":\"P1\",\"ev\":[{\"k\":\"A\",\"d\":\"01-03-2026 10:00:00\","
					  "\"c\":\"FR\"},{\"k\":\"B\",\"d\":\"31-07-2026 23:59:58.250\",\"c\":\"FR\"}]}}",
				    &out),
			 WERR_OK);
	assert_int_equal(out.nevents, 2);
	assert_int_equal(out.events[0].occurred_at, at("2026-03-01T09:00:00Z"));   /* CET */
	assert_int_equal(out.events[1].occurred_at, at("2026-07-31T21:59:58.250Z")); /* CEST */
	adapter_out_free(&out);

	/* the second alternative when the first finds nothing */
	assert_int_equal(parse_with(desc, "[{\"b\":{\"number\":\"B1\",\"ev\":[]}}]", &out), WERR_OK);
	assert_int_equal(out.nevents, 0);
	adapter_out_free(&out);

	/* nothing at the shipments path and no [error]: says where it looked */
	assert_int_equal(parse_with(desc, "{\"c\":1}", &out), WERR_INVALID);
	assert_non_null(strstr(out.reason, "nothing at [answer] shipments = 'a.* | b'"));
	adapter_out_free(&out);

	/* a shipment without a tracking number; a time that is not one; not JSON */
	assert_int_equal(parse_with(desc, "{\"b\":{\"ev\":[]}}", &out), WERR_INVALID);
	assert_non_null(strstr(out.reason, "without a tracking number"));
	adapter_out_free(&out);
	assert_int_equal(parse_with(desc, "{\"b\":{\"no\":\"1\",\"ev\":[{\"k\":\"A\",\"d\":\"soon\"}]}}", &out),
			 WERR_INVALID);
	assert_non_null(strstr(out.reason, "is not a time"));
	adapter_out_free(&out);
	assert_int_equal(parse_with(desc, "{\"b\":", &out), WERR_INVALID);
	adapter_out_free(&out);
	assert_int_equal(parse_with(desc, "<b/>", &out), WERR_INVALID);
	adapter_out_free(&out);

	/* time stamps in one value: "+HHMM" offsets (GLS), "YYYY-MM-DD HH:MM:SS" (local: read in the scan's
	 * country), ten digits as seconds since the epoch (Spring) */
	static const char one[] = "[carrier]\nformat = json\n[request]\nurl = x\n"
				  "[answer]\ntracking = n\nevents = ev\n[event]\ncode = k\nat = t\ncountry = c\n";
	assert_int_equal(parse_with(one, "{\"n\":\"T\",\"ev\":[{\"k\":\"A\",\"t\":\"2024-10-07T10:46:14+0200\"},"
					 "{\"k\":\"B\",\"t\":\"2024-01-01 12:00:00\",\"c\":\"NL\"},"
					 "{\"k\":\"C\",\"t\":1704110400},{\"k\":\"D\",\"t\":\"2024-01-02T03:04:05.6571145\"}]}",
				    &out),
			 WERR_OK);
	assert_int_equal(out.nevents, 4);
	assert_int_equal(out.events[0].occurred_at, at("2024-10-07T08:46:14Z"));
	assert_int_equal(out.events[1].occurred_at, at("2024-01-01T11:00:00Z")); /* 12:00 in Amsterdam */
	assert_int_equal(out.events[2].occurred_at, at("2024-01-01T12:00:00Z"));
	assert_int_equal(out.events[3].occurred_at, at("2024-01-02T03:04:05.657Z")); /* no place: UTC, said */
	adapter_out_free(&out);

	/* a US date, month first, with a 12-hour clock (Landmark, DPD): "MM/DD/YYYY hh:mm AM", "M/D/YYYY h:mm:ss PM";
	 * 12 AM is midnight and 12 PM noon; a 13th hour is not a time */
	assert_int_equal(parse_with(one, "{\"n\":\"U\",\"ev\":[{\"k\":\"A\",\"t\":\"10/01/2025 03:02 PM\"},"
					 "{\"k\":\"B\",\"t\":\"8/17/2021 7:11:26 PM\"},{\"k\":\"C\",\"t\":\"1/2/2024 12:05 AM\"},"
					 "{\"k\":\"D\",\"t\":\"1/2/2024 12:05:09 pm\"}]}",
				    &out),
			 WERR_OK);
	assert_int_equal(out.nevents, 4);
	assert_int_equal(out.events[0].occurred_at, at("2025-10-01T15:02:00Z")); /* no place: UTC */
	assert_int_equal(out.events[1].occurred_at, at("2021-08-17T19:11:26Z"));
	assert_int_equal(out.events[2].occurred_at, at("2024-01-02T00:05:00Z"));
	assert_int_equal(out.events[3].occurred_at, at("2024-01-02T12:05:09Z"));
	adapter_out_free(&out);
	assert_int_equal(parse_with(one, "{\"n\":\"U\",\"ev\":[{\"k\":\"A\",\"t\":\"10/01/2025 13:02 PM\"}]}", &out),
			 WERR_INVALID);
	assert_non_null(strstr(out.reason, "is not a time"));
	adapter_out_free(&out);

	/* with [error] entries, shipments none of which names a number make an error answer (an answer that is
	 * its own shipment; GLS's parcels[] with an errorCode); without [error], a shipment without one fails */
	static const char errs[] = "[carrier]\nformat = json\n[request]\nurl = x\n"
				   "[answer]\ntracking = n\nevents = ev\n[event]\ncode = k\nat = t\n"
				   "[error]\nentries = .\ncode = status\nmessage = detail\nnot_found = 404\n";
	assert_int_equal(parse_with(errs, "{\"status\":404,\"detail\":\"Tracking number not found\"}", &out), WERR_OK);
	assert_int_equal(out.nevents, 0);
	adapter_out_free(&out);
	assert_int_equal(parse_with(errs, "{\"status\":401,\"detail\":\"Unauthorized\"}", &out), WERR_INVALID);
	assert_string_equal(out.reason, "testcar reported error 401: Unauthorized");
	adapter_out_free(&out);
	assert_int_equal(parse_with(errs, "{\"other\":1}", &out), WERR_INVALID);
	assert_non_null(strstr(out.reason, "nothing at [answer] shipments"));
	adapter_out_free(&out);
	assert_int_equal(parse_with(one, "{\"other\":1}", &out), WERR_INVALID);
	assert_non_null(strstr(out.reason, "without a tracking number"));
	adapter_out_free(&out);

	/* "{tracking}": the number asked about (Sendle's answer does not repeat it); an answer whose error
	 * entries say something is then the error answer; without the number, a reason that says so */
	static const char asked[] = "[carrier]\nformat = json\n[request]\nurl = x\n"
				    "[answer]\ntracking = {tracking}\nevents = ev\n[event]\ncode = k\nat = t\n"
				    "[error]\nentries = .\ncode = error\nmessage = text\nnot_found = not_found\n";
	static const char scans[] = "{\"ev\":[{\"k\":\"A\",\"t\":\"2026-01-02T03:04:05Z\"}]}";
	assert_int_equal(parse_asked(asked, scans, "S3ND73", &out), WERR_OK);
	assert_int_equal(out.nevents, 1);
	assert_string_equal(out.events[0].package, "S3ND73");
	adapter_out_free(&out);
	assert_int_equal(parse_asked(asked, "{\"error\":\"not_found\",\"text\":\"no\"}", "S3ND73", &out), WERR_OK);
	assert_int_equal(out.nevents, 0);
	adapter_out_free(&out);
	assert_int_equal(parse_asked(asked, "{\"error\":\"unauthorised\",\"text\":\"bad key\"}", "S3ND73", &out),
			 WERR_INVALID);
	assert_string_equal(out.reason, "testcar reported error unauthorised: bad key");
	adapter_out_free(&out);
	assert_int_equal(parse_asked(asked, scans, NULL, &out), WERR_INVALID);
	assert_non_null(strstr(out.reason, "the number asked about"));
	adapter_out_free(&out);
	/* "{tracking} | id": the answer's own number when the asked one is not known */
	static const char either[] = "[carrier]\nformat = json\n[request]\nurl = x\n"
				     "[answer]\ntracking = {tracking} | id\nevents = ev\n[event]\ncode = k\nat = t\n";
	assert_int_equal(parse_asked(either, "{\"id\":\"OWN\",\"ev\":[{\"k\":\"A\",\"t\":\"2026-01-02T03:04:05Z\"}]}",
				     NULL, &out),
			 WERR_OK);
	assert_string_equal(out.events[0].package, "OWN");
	adapter_out_free(&out);
}

static void test_xml_paths_and_ids(void **state)
{
	static const char desc[] = "[carrier]\nformat = xml\n[request]\nurl = x\n"
				   "[answer]\nshipments = r.s\ntracking = id\nevents = e\n"
				   "[event]\ncode = code\ndescription = words\nat = @ | when\n";
	char body[1024], words[80];
	struct adapter_out out;

	(void)state;
	memset(words, 'w', 64);
	words[64] = '\0';
	/* attributes and child elements read alike; "#text" of an element with attributes; a code too long for
	 * the id is hashed there, the event keeps it */
	snprintf(body, sizeof(body),
		 "<r><s id=\"T1234567890123456789012345678901234567890\"><e code=\"X\"><when>2026-01-02T03:04:05Z</when>"
		 "<words lang=\"en\">hello</words></e><e><code>%s</code><when>2026-01-02T04:00:00Z</when></e></s></r>",
		 words);
	assert_int_equal(parse_with(desc, body, &out), WERR_OK);
	assert_int_equal(out.nevents, 2);
	assert_string_equal(out.events[0].code, "X");
	assert_string_equal(out.events[0].description, "hello");
	assert_string_equal(out.events[0].id, "testcar:T1234567890123456789012345678901234567890:2026-01-02T03:04:05Z:X");
	assert_string_equal(out.events[1].code, words);
	assert_non_null(strstr(out.events[1].id, ":2026-01-02T04:00:00Z:h"));
	assert_int_equal(strlen(strstr(out.events[1].id, ":h")), 2 + 16);
	adapter_out_free(&out);
	assert_int_equal(parse_with(desc, "<r><s></r>", &out), WERR_INVALID);
	assert_non_null(strstr(out.reason, "not well-formed XML"));
	adapter_out_free(&out);
	assert_int_equal(parse_with(desc, "{\"r\":1}", &out), WERR_INVALID);
	assert_non_null(strstr(out.reason, "not XML"));
	adapter_out_free(&out);
}

static void test_detection(void **state)
{
	static const struct {
		const char *number, *carrier;
	} cases[] = {
		{ "1371134583769923", "canada_post" },  /* a 16-digit PIN */
		{ "EE123456785CA", "canada_post" },     /* S10 posted in Canada */
		{ "ee 123 456 785 ca", "canada_post" }, /* spaces and case do not matter */
		{ "EE123456786CA", NULL },              /* a wrong check digit is nobody's */
		{ "EE123456785FR", "la_poste" },
		{ "6A24811900317", "la_poste" },        /* Colissimo */
		{ "EE123456785AU", "australia_post" },
		{ "TT123456785GB", "royal_mail" },      /* S10 posted in the UK: Tracked, Special Delivery */
		{ "TT123456786GB", NULL },
		{ "EE123456785NL", "postnl" },
		{ "3SABCD123456789", "postnl" },        /* a 3S barcode: customer code, serial */
		{ "3sabcd 1234567", "postnl" },
		{ "3SAB12123456789", NULL },            /* a customer code is four letters */
		{ "00340434299912345678", "dhl" },      /* DHL Paket's 20-digit piece code: DHL's parcel */
		{ "JJD000390007880912345", "dhl" },
		{ "EE123456785US", "usps" },            /* the built-in formats come first */
		{ "1Z5R89390357567127", "ups" },
		{ "hello", NULL },
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct event ev;
		event_init(&ev);
		EVENT_SET(ev.package, cases[i].number);
		adapter_event_key(fx_maps, &ev);
		if (strcmp(ev.carrier, cases[i].carrier ? cases[i].carrier : ""))
			fail_msg("%s: carrier '%s', want '%s'", cases[i].number, ev.carrier,
				 cases[i].carrier ? cases[i].carrier : "");
	}
	/* without the tables, only the built-in formats */
	struct event ev;
	event_init(&ev);
	EVENT_SET(ev.package, "1371134583769923");
	adapter_event_key(NULL, &ev);
	assert_string_equal(ev.carrier, "");
}

static void test_prefix_rows(void **state)
{
	struct mappings *m = mappings_new();
	char err[256];
	struct event ev;
	static const char table[] = "Delivered\tdelivered\nDelivered - *\tdelivered\t\t\tany delivery\n"
				    "In transit*\tin_transit\nIn transit to next facility in *\tin_transit\tdelayed\n";

	(void)state;
	assert_int_equal(mappings_add_text(m, "t", table, strlen(table), "t.tsv", err, sizeof(err)), WERR_OK);
	event_init(&ev);
	assert_true(mapping_apply(m, "t", "Delivered - Signed for", NULL, &ev));
	assert_int_equal(ev.status, EV_DELIVERED);
	event_init(&ev);
	assert_true(mapping_apply(m, "t", "In transit to next facility in KEW", NULL, &ev));
	assert_string_equal(ev.detail, "delayed"); /* the longest prefix wins */
	event_init(&ev);
	assert_true(mapping_apply(m, "t", "In transit", NULL, &ev));
	assert_string_equal(ev.detail, "");         /* the prefix row of "In transit*" with nothing after */
	event_init(&ev);
	assert_false(mapping_apply(m, "t", "Delivere", NULL, &ev));
	assert_int_equal(ev.status, EV_UNKNOWN);
	mappings_free(m);
}

/* Every described carrier's fixtures, whichever carrier: tests/data/<name>/<case> against
 * <case>.expected.jsonl when it has one (a readable answer), else an answer with no events (an error
 * answer: "not found yet", or a reason naming the carrier's error).  Adding a carrier adds its files here, no
 * code. */
static void test_every_described_carrier_fixture(void **state)
{
	const struct adapter *a;
	int cases = 0, carriers = 0;

	(void)state;
	for (size_t i = 0; (a = mappings_carrier_at(fx_maps, i)) != NULL; i++) {
		const char *src = getenv("WISMO_SRCDIR");
		char dir[1024];
		struct dirent *de;
		DIR *d;

		snprintf(dir, sizeof(dir), "%s/tests/data/%s", src && src[0] ? src : ".", a->name);
		if (!(d = opendir(dir)))
			fail_msg("carrier %s has no fixtures in %s", a->name, dir);
		carriers++;
		while ((de = readdir(d)) != NULL) {
			char rel[512], exp[600];
			struct adapter_out out;
			size_t len;
			char *body;
			enum werr e;

			if (de->d_name[0] == '.' || strstr(de->d_name, ".expected.jsonl"))
				continue;
			snprintf(rel, sizeof(rel), "%s/%s", a->name, de->d_name);
			snprintf(exp, sizeof(exp), "%s.expected.jsonl", de->d_name);
			cases++;
			if ((body = fx_data(a->name, exp, &len)) != NULL) {
				free(body);
				(void)expect_events(a->name, rel);
				continue;
			}
			e = parse_file(a->name, rel, &out);
			if (out.nevents || !(e == WERR_OK || (e == WERR_INVALID && strstr(out.reason, "reported error"))))
				fail_msg("%s: an error answer gave %s (%s) and %zu events", rel, werr_name(e), out.reason,
					 out.nevents);
			adapter_out_free(&out);
		}
		closedir(d);
	}
	printf("described carriers: %d, their fixtures: %d\n", carriers, cases);
	assert_true(carriers >= 5);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shipped_descriptions),
		cmocka_unit_test(test_error_answers),
		cmocka_unit_test(test_loader_refuses),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_xml_paths_and_ids),
		cmocka_unit_test(test_detection),
		cmocka_unit_test(test_prefix_rows),
		cmocka_unit_test(test_every_described_carrier_fixture),
	};
	return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
