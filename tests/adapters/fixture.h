/*
 * fixture.h - the one harness every source-adapter test shares (fixture.c).
 *
 * Contract
 *  - Data.  Fixtures live under $WISMO_SRCDIR/tests/data (WISMO_SRCDIR unset: "."): a body
 *    tests/data/<dir>/<case>.json (or <case> with any extension) and its specification
 *    tests/data/<dir>/<case>.expected.jsonl, the exact
 *    text the adapter must give: by default one event_to_json(ev, false) line per event, in order; a test
 *    may render more (Shopify adds one {"alias":...} line per alias).  An empty file means "no events".
 *  - Setup.  fx_setup / fx_teardown are cmocka group fixtures: they load mappings/ and mappings/zones.tsv
 *    into fx_maps / fx_zones (setup fails the group when either does not load).
 *  - A case.  fx_run_case parses the body with the adapter (fx_parse: a hook_request with the body, the
 *    template's content type and headers), fails with werr and reason unless it is WERR_OK, runs the test's
 *    check on the output (the rules of adapter.h that the test holds its source to), renders it, compares
 *    the text with the expected file (fx_expect_text), and, when asked, parses the same body again, and
 *    once more without headers, and requires the same text each time (stable ids; a topic the body's
 *    shape tells), with the check run on each parse.  It returns the number of events of the first parse.
 *  - Rewriting.  WISMO_UPDATE_EXPECTED=1 (any value) makes fx_expect_text write what the adapter gave into
 *    the expected file before comparing, so every case passes and `git diff tests/data` shows the change:
 *    read that diff, the expected files are the specification.  WISMO_REGEN is an old alias of it.
 *  - Corpora.  ../shared/corpora/<sub> beside the checkout holds public payloads; fx_corpus_dir skips the
 *    test when it is absent, fx_corpus_path only says whether it is there.
 *  - Failures are cmocka failures (assert_*, fail_msg) raised inside these helpers; nothing here exits.
 *    Every pointer returned is malloc'ed and the caller's to free.
 */
#ifndef WISMO_TESTS_FIXTURE_H
#define WISMO_TESTS_FIXTURE_H

#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adapters/adapter.h"
#include "adapters/declared.h"
#include "adapters/mapping.h"
#include "adapters/zones.h"
#include "base/buf.h"
#include "core/event_json.h"

/* The "now" most tests give adapters (2024-03-09T16:00:00Z). */
#define FX_NOW_MS 1710000000000LL

/* Loaded by fx_setup, freed by fx_teardown. */
extern struct mappings *fx_maps;
extern struct zones *fx_zones;

/* $WISMO_SRCDIR, or "." when unset. */
const char *fx_srcdir(void);
int fx_setup(void **state);
int fx_teardown(void **state);

/* The whole file, NUL-terminated (*len, when len is not NULL, without the NUL); NULL when it cannot be read. */
char *fx_slurp(const char *path, size_t *len);
/* tests/data/<dir>/<name> (dir NULL: tests/data/<name>); NULL when absent. */
char *fx_data(const char *dir, const char *name, size_t *len);
/* The same, but a missing file fails the test. */
char *fx_data_must(const char *dir, const char *name, size_t *len);
/* tests/data/<fmt...>, and a missing file fails the test. */
char *fx_dataf(size_t *len, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Compares got with tests/data/<dir>/<name> (dir NULL: tests/data/<name>), first rewriting the file when
 * WISMO_UPDATE_EXPECTED (or WISMO_REGEN) is set; a missing file fails. */
void fx_expect_text(const char *dir, const char *name, const struct buf *got);

/* ../shared/corpora/<sub> into out; false when it is not a directory. */
bool fx_corpus_path(const char *sub, char *out, size_t cap);
/* The same, but skips the test when absent. */
void fx_corpus_dir(const char *sub, char *out, size_t cap);

/* Request headers for hook_request.header: names and values up to the first NULL name. */
struct fx_hdrs {
	const char *name[4], *value[4];
};
const char *fx_hdr_get(const void *ctx, const char *name);

/* An env with the loaded tables (zones only when with_zones), no fetch. */
void fx_env_init(struct adapter_env *env, const char *source, bool with_zones, int64_t now_ms);

/* Parses body with a: the request is tmpl (content type, headers; NULL: none) with body and len set; out is
 * cleared first and always the caller's to free. */
enum werr fx_parse(const struct adapter *a, const struct adapter_env *env, const struct hook_request *tmpl,
		   const char *body, size_t len, struct adapter_out *out);

/* Parses every proper prefix of body (lengths 0 .. len-1, each in a buffer of its own size, so that ASan
 * sees a read past it): odd lengths with odd_rq (headers), even ones with none; each answer must be WERR_OK,
 * or WERR_INVALID with a reason. */
void fx_every_prefix(const struct adapter *a, const struct adapter_env *env, const struct hook_request *odd_rq,
		     const char *body, size_t len);

/* Appends one event_to_json() line per event. */
void fx_events_json(const struct adapter_out *out, struct buf *b);

struct fx_case;
/* The test's rules for one output (c->adapter->name is the source its events must carry). */
typedef void (*fx_check_fn)(const struct fx_case *c, const struct adapter_out *out);
typedef void (*fx_render_fn)(const struct adapter_out *out, struct buf *b);

struct fx_case {
	const struct adapter *adapter;
	const struct adapter_env *env;    /* NULL: fx_env_init(adapter->name, zones, FX_NOW_MS) */
	const struct hook_request *rq;    /* template for fx_parse; NULL: no headers, no content type */
	const char *dir;                  /* under tests/data; NULL: the names are relative to tests/data */
	const char *name;                 /* the case: the body is the file <name><ext> */
	const char *ext;                  /* ".json", or NULL when name is the whole file name */
	const char *expected;             /* NULL: <name>.expected.jsonl */
	fx_check_fn check;                /* NULL: none */
	fx_render_fn render;              /* NULL: fx_events_json */
	bool again;                       /* parse the body again: the same text */
	void (*before_again)(const struct adapter_env *env); /* before each later parse; NULL: none */
	bool bare;                        /* and once more without rq (no headers): the same text */
};

/* Runs a case as the contract says; returns the number of events.  text, when not NULL, receives the
 * rendered text (the caller releases it); keep, when not NULL, the first parse's output (the caller frees
 * it with adapter_out_free). */
size_t fx_run_case(const struct fx_case *c, struct buf *text, struct adapter_out *keep);

/* A request with content type application/json and no headers. */
extern const struct hook_request fx_json_request;

/* Parses text with fx_env_init(a->name, zones, FX_NOW_MS) as fx_json_request. */
enum werr fx_parse_text(const struct adapter *a, const char *text, struct adapter_out *out);

/* An aggregator case: tests/data/<a->name>/<name>.json against expected (NULL: <name>.expected.jsonl),
 * env as fx_parse_text, every event held to fx_check_aggregator_event, parsed twice.  Returns the number of
 * events; keep as in fx_run_case. */
size_t fx_agg_case(const struct adapter *a, const char *name, const char *expected, struct adapter_out *keep);

/* The rules every aggregator event follows (adapter.h): a stable id, a time, a package, a lower-case carrier
 * id, a code, never an order milestone; and source is the source. */
void fx_check_aggregator_event(const struct event *ev, const char *source);

/* Parses every *.json file of dir (a corpus folder) as fx_parse_text does, requires
 * WERR_OK and check_event on each event; returns how many files, adds their events to *nevents. */
int fx_parse_dir(const struct adapter *a, const char *dir, void (*check_event)(const struct event *, const char *),
		 size_t *nevents);

/* The first event whose id ends with suffix; fails when there is none. */
const struct event *fx_find_event(const struct adapter_out *out, const char *suffix);

#endif
