/* fixture.c - the shared adapter-test harness; the contract is at the top of fixture.h. */
#include "fixture.h"

#include <dirent.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/banned.h"

struct mappings *fx_maps;
struct zones *fx_zones;

const char *fx_srcdir(void)
{
	const char *s = getenv("WISMO_SRCDIR");

	return s ? s : ".";
}

int fx_setup(void **state)
{
	char path[1024], err[512] = "";

	(void)state;
	snprintf(path, sizeof(path), "%s/mappings", fx_srcdir());
	if (mappings_load(path, NULL, &fx_maps, err, sizeof(err)) != WERR_OK) {
		fprintf(stderr, "mappings: %s\n", err);
		return -1;
	}
	snprintf(path, sizeof(path), "%s/mappings/zones.tsv", fx_srcdir());
	if (zones_load(path, NULL, &fx_zones, err, sizeof(err)) != WERR_OK) {
		fprintf(stderr, "zones: %s\n", err);
		return -1;
	}
	return 0;
}

int fx_teardown(void **state)
{
	(void)state;
	mappings_free(fx_maps);
	zones_free(fx_zones);
	fx_maps = NULL;
	fx_zones = NULL;
	return 0;
}

char *fx_slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *p = NULL;
	long n;

	if (!f)
		return NULL;
	if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		p = malloc((size_t)n + 1);
		if (p && fread(p, 1, (size_t)n, f) != (size_t)n) {
			free(p);
			p = NULL;
		}
		if (p) {
			p[n] = '\0';
			if (len)
				*len = (size_t)n;
		}
	}
	fclose(f);
	return p;
}

static void data_path(const char *dir, const char *name, char *out, size_t cap)
{
	if (dir)
		snprintf(out, cap, "%s/tests/data/%s/%s", fx_srcdir(), dir, name);
	else
		snprintf(out, cap, "%s/tests/data/%s", fx_srcdir(), name);
}

char *fx_data(const char *dir, const char *name, size_t *len)
{
	char path[1024];

	data_path(dir, name, path, sizeof(path));
	return fx_slurp(path, len);
}

char *fx_data_must(const char *dir, const char *name, size_t *len)
{
	char path[1024];
	char *p;

	data_path(dir, name, path, sizeof(path));
	p = fx_slurp(path, len);
	if (!p)
		fail_msg("cannot read %s", path);
	return p;
}

char *fx_dataf(size_t *len, const char *fmt, ...)
{
	char rel[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(rel, sizeof(rel), fmt, ap);
	va_end(ap);
	return fx_data_must(NULL, rel, len);
}

void fx_expect_text(const char *dir, const char *name, const struct buf *got)
{
	char path[1024];
	char *want;

	data_path(dir, name, path, sizeof(path));
	if (getenv("WISMO_UPDATE_EXPECTED") || getenv("WISMO_REGEN")) {
		FILE *f = fopen(path, "wb");

		assert_non_null(f);
		assert_int_equal(fwrite(got->p ? got->p : "", 1, got->len, f), got->len);
		assert_int_equal(fclose(f), 0);
	}
	want = fx_slurp(path, NULL);
	if (!want)
		fail_msg("cannot read %s", path);
	if (strcmp(want, got->p ? got->p : "")) {
		fprintf(stderr, "--- %s\n+++ got\n%s", path, got->p ? got->p : "");
		free(want);
		fail_msg("%s: the text differs from %s", name, path);
	}
	free(want);
}

bool fx_corpus_path(const char *sub, char *out, size_t cap)
{
	struct stat st;

	snprintf(out, cap, "%s/../shared/corpora/%s", fx_srcdir(), sub);
	return stat(out, &st) == 0 && S_ISDIR(st.st_mode);
}

void fx_corpus_dir(const char *sub, char *out, size_t cap)
{
	if (!fx_corpus_path(sub, out, cap)) {
		print_message("corpus %s is absent: skipped\n", out);
		skip();
	}
}

const char *fx_hdr_get(const void *ctx, const char *name)
{
	const struct fx_hdrs *h = ctx;

	for (int i = 0; i < 4 && h->name[i]; i++)
		if (!strcasecmp(h->name[i], name))
			return h->value[i];
	return NULL;
}

void fx_env_init(struct adapter_env *env, const char *source, bool with_zones, int64_t now_ms)
{
	memset(env, 0, sizeof(*env));
	env->source = source;
	env->maps = fx_maps;
	env->zones = with_zones ? fx_zones : NULL;
	env->now_ms = now_ms;
}

enum werr fx_parse(const struct adapter *a, const struct adapter_env *env, const struct hook_request *tmpl,
		   const char *body, size_t len, struct adapter_out *out)
{
	struct hook_request rq = { 0 };

	if (tmpl)
		rq = *tmpl;
	rq.body = body;
	rq.len = len;
	memset(out, 0, sizeof(*out));
	return a->decl ? decl_parse(a->decl, env, &rq, out) : a->parse(env, &rq, out);
}

void fx_every_prefix(const struct adapter *a, const struct adapter_env *env, const struct hook_request *odd_rq,
		     const char *body, size_t len)
{
	for (size_t cut = 0; cut < len; cut++) {
		char *p = malloc(cut ? cut : 1);
		struct adapter_out out;
		enum werr e;

		assert_non_null(p);
		memcpy(p, body, cut);
		e = fx_parse(a, env, (cut & 1) ? odd_rq : NULL, p, cut, &out);
		assert_true(e == WERR_OK || e == WERR_INVALID);
		if (e == WERR_INVALID)
			assert_true(out.reason[0]);
		adapter_out_free(&out);
		free(p);
	}
}

void fx_events_json(const struct adapter_out *out, struct buf *b)
{
	for (size_t i = 0; i < out->nevents; i++) {
		assert_int_equal(event_to_json(&out->events[i], false, b), WERR_OK);
		assert_int_equal(buf_putc(b, '\n'), WERR_OK);
	}
}

static void render_checked(const struct fx_case *c, const struct adapter_out *out, struct buf *b)
{
	if (c->check)
		c->check(c, out);
	(c->render ? c->render : fx_events_json)(out, b);
}

/* Parses body again as rq says and requires the text got. */
static void parse_same(const struct fx_case *c, const struct adapter_env *env, const struct hook_request *rq,
		       const char *body, size_t len, const struct buf *got)
{
	struct adapter_out again;
	struct buf got2 = BUF_INIT;

	if (c->before_again)
		c->before_again(env);
	assert_int_equal(fx_parse(c->adapter, env, rq, body, len, &again), WERR_OK);
	render_checked(c, &again, &got2);
	assert_string_equal(got->p ? got->p : "", got2.p ? got2.p : "");
	adapter_out_free(&again);
	buf_release(&got2);
}

size_t fx_run_case(const struct fx_case *c, struct buf *text, struct adapter_out *keep)
{
	char file[512], exp[512];
	struct adapter_env own;
	const struct adapter_env *env = c->env;
	struct adapter_out out;
	struct buf got = BUF_INIT;
	size_t len = 0, n;
	char *body;
	enum werr e;

	snprintf(file, sizeof(file), "%s%s", c->name, c->ext ? c->ext : "");
	if (c->expected)
		snprintf(exp, sizeof(exp), "%s", c->expected);
	else
		snprintf(exp, sizeof(exp), "%s.expected.jsonl", c->name);
	if (!env) {
		fx_env_init(&own, c->adapter->name, true, FX_NOW_MS);
		env = &own;
	}
	body = fx_data_must(c->dir, file, &len);
	e = fx_parse(c->adapter, env, c->rq, body, len, &out);
	if (e)
		fail_msg("%s: %s: %s", file, werr_name(e), out.reason);
	render_checked(c, &out, &got);
	fx_expect_text(c->dir, exp, &got);
	n = out.nevents;
	if (c->again)
		/* the same body again: the same facts, the same ids, the same bytes */
		parse_same(c, env, c->rq, body, len, &got);
	if (c->bare)
		/* without headers the body's shape tells the rest */
		parse_same(c, env, NULL, body, len, &got);
	if (keep)
		*keep = out;
	else
		adapter_out_free(&out);
	free(body);
	if (text)
		*text = got;
	else
		buf_release(&got);
	return n;
}

void fx_check_aggregator_event(const struct event *ev, const char *source)
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

const struct hook_request fx_json_request = { .content_type = "application/json" };

enum werr fx_parse_text(const struct adapter *a, const char *text, struct adapter_out *out)
{
	struct adapter_env env;

	fx_env_init(&env, a->name, true, FX_NOW_MS);
	return fx_parse(a, &env, &fx_json_request, text, strlen(text), out);
}

static void check_aggregator_out(const struct fx_case *c, const struct adapter_out *out)
{
	for (size_t i = 0; i < out->nevents; i++)
		fx_check_aggregator_event(&out->events[i], c->adapter->name);
}

size_t fx_agg_case(const struct adapter *a, const char *name, const char *expected, struct adapter_out *keep)
{
	const struct fx_case c = {
		.adapter = a, .rq = &fx_json_request, .dir = a->name, .name = name, .ext = ".json",
		.expected = expected, .check = check_aggregator_out, .again = true,
	};

	return fx_run_case(&c, NULL, keep);
}

int fx_parse_dir(const struct adapter *a, const char *dir, void (*check_event)(const struct event *, const char *),
		 size_t *nevents)
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
		body = fx_slurp(path, &len);
		assert_non_null(body);
		fx_env_init(&env, a->name, true, FX_NOW_MS);
		e = fx_parse(a, &env, &fx_json_request, body, len, &out);
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

const struct event *fx_find_event(const struct adapter_out *out, const char *suffix)
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
