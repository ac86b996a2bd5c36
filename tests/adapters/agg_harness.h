/*
 * agg_harness.h - what the aggregator adapter tests (test_easypost.c, test_aftership.c, test_shippo.c) share:
 * loading the mapping tables and zones, fixtures under tests/data/<source>/, headers for verify(), and running a
 * case: parse <case>.json, check the rules every event follows, compare the event_to_json() lines with
 * <case>.expected.jsonl, and parse the body again to see the same events.  WISMO_UPDATE_EXPECTED=1 rewrites the
 * expected files (then read the diff: the expected files are the specification).
 *
 * Included by one test file each; everything is static (inline where a file may not use it).
 */
#ifndef WISMO_AGG_HARNESS_H
#define WISMO_AGG_HARNESS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "adapters/adapter.h"
#include "adapters/mapping.h"
#include "adapters/zones.h"
#include "core/event_json.h"

static struct mappings *maps;
static struct zones *zones;
static const char *srcdir;

static inline int harness_setup(void **state)
{
	char dir[1024], path[1024], err[256];

	(void)state;
	srcdir = getenv("WISMO_SRCDIR");
	if (!srcdir)
		srcdir = ".";
	snprintf(dir, sizeof(dir), "%s/mappings", srcdir);
	snprintf(path, sizeof(path), "%s/mappings/zones.tsv", srcdir);
	if (mappings_load(dir, NULL, &maps, err, sizeof(err)) || zones_load(path, NULL, &zones, err, sizeof(err))) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	return 0;
}

static inline int harness_teardown(void **state)
{
	(void)state;
	mappings_free(maps);
	zones_free(zones);
	return 0;
}

static inline char *slurp_path(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p;
	long n;

	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	p = malloc((size_t)n + 1);
	assert_non_null(p);
	assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
	p[n] = '\0';
	fclose(f);
	if (len)
		*len = (size_t)n;
	return p;
}

/* tests/data/<source>/<name>; NULL when absent. */
static inline char *fixture(const char *source, const char *name, size_t *len)
{
	char path[1024];

	snprintf(path, sizeof(path), "%s/tests/data/%s/%s", srcdir, source, name);
	return slurp_path(path, len);
}

/* ../shared/corpora/<sub> beside the checkout, or skip the test. */
static inline void corpus_dir(const char *sub, char *out, size_t cap)
{
	struct stat st;

	snprintf(out, cap, "%s/../shared/corpora/%s", srcdir, sub);
	if (stat(out, &st) || !S_ISDIR(st.st_mode)) {
		print_message("corpus %s is absent: skipped\n", out);
		skip();
	}
}

struct hdrs {
	const char *name[4], *value[4];
};

static inline const char *hdr_get(const void *ctx, const char *name)
{
	const struct hdrs *h = ctx;

	for (int i = 0; i < 4 && h->name[i]; i++)
		if (!strcasecmp(h->name[i], name))
			return h->value[i];
	return NULL;
}

static inline void env_init(struct adapter_env *env, const char *source, bool with_zones)
{
	memset(env, 0, sizeof(*env));
	env->source = source;
	env->maps = maps;
	env->zones = with_zones ? zones : NULL;
	env->now_ms = 1710000000000LL;
}

/* The rules every aggregator event follows (adapter.h): a stable id, a time, a package (aggregators always name
 * the parcel), a lower-case carrier id, a code, and never an order milestone. */
static inline void check_event(const struct event *ev, const char *source)
{
	assert_string_equal(ev->source, source);
	assert_true(ev->id[0] != '\0');
	assert_true(ev->occurred_at > 0);
	assert_true(ev->package[0] != '\0');
	assert_false(ev_status_is_order_level(ev->status));
	for (const char *c = ev->carrier; *c; c++)
		assert_true((*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '_');
	assert_true(ev->code[0] != '\0');
}

static inline enum werr parse_with(const struct adapter *a, const struct adapter_env *env, const char *body,
				   size_t len, struct adapter_out *out)
{
	struct hook_request rq = { .body = body, .len = len, .content_type = "application/json" };

	memset(out, 0, sizeof(*out));
	return a->parse(env, &rq, out);
}

static inline enum werr parse_text(const struct adapter *a, const char *text, struct adapter_out *out)
{
	struct adapter_env env;

	env_init(&env, a->name, true);
	return parse_with(a, &env, text, strlen(text), out);
}

static inline void events_text(const struct adapter_out *out, const char *source, struct buf *b)
{
	for (size_t i = 0; i < out->nevents; i++) {
		check_event(&out->events[i], source);
		assert_int_equal(event_to_json(&out->events[i], false, b), WERR_OK);
		buf_putc(b, '\n');
	}
}

static inline void compare_expected(const char *source, const char *expected_name, const struct buf *got)
{
	char path[1024];
	char *want;

	snprintf(path, sizeof(path), "%s/tests/data/%s/%s", srcdir, source, expected_name);
	if (getenv("WISMO_UPDATE_EXPECTED")) {
		FILE *f = fopen(path, "wb");
		assert_non_null(f);
		fwrite(got->p, 1, got->len, f);
		fclose(f);
	}
	want = slurp_path(path, NULL);
	if (!want)
		fail_msg("missing %s", path);
	assert_string_equal(got->p, want);
	free(want);
}

/*
 * Parses tests/data/<source>/<name>.json with adapter a and compares with expected (NULL:
 * <name>.expected.jsonl); then parses the same body again and requires the same text (stable ids).  Returns
 * the number of events.
 */
static inline size_t run_case(const struct adapter *a, const char *name, const char *expected)
{
	char file[256], exp[256];
	struct adapter_env env;
	struct adapter_out out, again;
	struct buf got = BUF_INIT, got2 = BUF_INIT;
	size_t len = 0, n;
	char *body;
	enum werr e;

	snprintf(file, sizeof(file), "%s.json", name);
	if (expected)
		snprintf(exp, sizeof(exp), "%s", expected);
	else
		snprintf(exp, sizeof(exp), "%s.expected.jsonl", name);
	body = fixture(a->name, file, &len);
	if (!body)
		fail_msg("missing fixture %s/%s", a->name, file);
	env_init(&env, a->name, true);
	e = parse_with(a, &env, body, len, &out);
	if (e)
		fail_msg("%s: %s: %s", name, werr_name(e), out.reason);
	events_text(&out, a->name, &got);
	compare_expected(a->name, exp, &got);
	assert_int_equal(parse_with(a, &env, body, len, &again), WERR_OK);
	events_text(&again, a->name, &got2);
	assert_string_equal(got.p, got2.p);
	n = out.nevents;
	adapter_out_free(&again);
	adapter_out_free(&out);
	buf_release(&got);
	buf_release(&got2);
	free(body);
	return n;
}

/* Parses every *.json file of dir (a corpus folder) and requires WERR_OK; returns how many files and adds
 * their events to *nevents. */
static inline int parse_dir(const struct adapter *a, const char *dir, size_t *nevents)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int files = 0;

	assert_non_null(d);
	while ((de = readdir(d))) {
		char path[2048];
		struct adapter_env env;
		struct adapter_out out;
		size_t len = 0, l = strlen(de->d_name);
		char *body;
		enum werr e;

		if (l < 6 || strcmp(de->d_name + l - 5, ".json"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		body = slurp_path(path, &len);
		assert_non_null(body);
		env_init(&env, a->name, true);
		e = parse_with(a, &env, body, len, &out);
		if (e)
			fail_msg("%s: %s: %s", path, werr_name(e), out.reason);
		for (size_t i = 0; i < out.nevents; i++)
			check_event(&out.events[i], a->name);
		*nevents += out.nevents;
		files++;
		adapter_out_free(&out);
		free(body);
	}
	closedir(d);
	return files;
}

/* The first event whose id ends with suffix. */
static inline const struct event *find_event(const struct adapter_out *out, const char *suffix)
{
	size_t n = strlen(suffix);

	for (size_t i = 0; i < out->nevents; i++) {
		size_t l = strlen(out->events[i].id);
		if (l >= n && !strcmp(out->events[i].id + l - n, suffix))
			return &out->events[i];
	}
	fail_msg("no event id ends with '%s'", suffix);
	return NULL;
}

#endif
