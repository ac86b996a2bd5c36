/*
 * mapping.c - loading the code tables of mappings/ and applying them.
 *
 * A table is an array of rows sorted by code, searched by bisection; a set is
 * a small array of tables (a few dozen), searched linearly by name.  Loading
 * checks every line, so `wismo check` and server start refuse a table with a
 * status word the language does not have, an unknown detail spelling is
 * accepted (details are open-ended) and a code listed twice is an error.
 */
#include "mapping.h"

#include <dirent.h>
#include <stdatomic.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "declared.h"
#include "../core/status.h"
#include "../base/banned.h"

#define TABLE_NAME_MAX 64
#define MAPPING_FILE_MAX (4u << 20)

struct mrow {
	char *code;
	enum ev_status status;
	char *detail;              /* NULL when the row has none */
	int action_required;       /* -1 not said */
	_Atomic unsigned long long hits; /* text_* rows: how often it decided */
};

struct mtable {
	char name[TABLE_NAME_MAX + 1];
	struct mrow *rows;
	size_t nrows;
	bool has_prefix; /* a row whose code ends in '*' */
};

struct mappings {
	struct mtable *tables;
	size_t ntables, cap;
	struct carrier_decl **carriers; /* mappings/NAME.carrier (declared.h) */
	size_t ncarriers, carcap;
};

struct mappings *mappings_new(void)
{
	return calloc(1, sizeof(struct mappings));
}

static void table_clear(struct mtable *t)
{
	for (size_t i = 0; i < t->nrows; i++) {
		free(t->rows[i].code);
		free(t->rows[i].detail);
	}
	free(t->rows);
	t->rows = NULL;
	t->nrows = 0;
}

void mappings_free(struct mappings *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->ntables; i++)
		table_clear(&m->tables[i]);
	free(m->tables);
	for (size_t i = 0; i < m->ncarriers; i++)
		decl_free(m->carriers[i]);
	free(m->carriers);
	free(m);
}

static struct mtable *find_table(const struct mappings *m, const char *name)
{
	for (size_t i = 0; m && i < m->ntables; i++)
		if (!strcmp(m->tables[i].name, name))
			return &m->tables[i];
	return NULL;
}

static int row_cmp(const void *a, const void *b)
{
	return strcmp(((const struct mrow *)a)->code, ((const struct mrow *)b)->code);
}

/* Trims spaces at both ends in place. */
static char *trim(char *s)
{
	char *e;

	while (*s == ' ')
		s++;
	e = s + strlen(s);
	while (e > s && (e[-1] == ' ' || e[-1] == '\r'))
		*--e = '\0';
	return s;
}

static enum werr parse_line(char *line, struct mrow *row, const char *origin, size_t lineno, char *err,
			    size_t errcap)
{
	char *cols[5] = { NULL };
	int n = 0;
	char *p = line;
	int st;

	while (n < 5) {
		char *tab = strchr(p, '\t');
		cols[n++] = p;
		if (!tab)
			break;
		*tab = '\0';
		p = tab + 1;
	}
	for (int i = 0; i < n; i++)
		cols[i] = trim(cols[i]);
	if (n < 2 || !cols[0][0]) {
		snprintf(err, errcap, "%s:%zu: expected 'code<TAB>status[<TAB>detail<TAB>action_required<TAB>note]'",
			 origin, lineno);
		return WERR_INVALID;
	}
	st = ev_status_from_name(cols[1]);
	if (st < 0) {
		snprintf(err, errcap, "%s:%zu: '%s' is not a status word (docs/status.md)", origin, lineno, cols[1]);
		return WERR_INVALID;
	}
	row->status = (enum ev_status)st;
	row->action_required = -1;
	if (n >= 4 && cols[3][0]) {
		if (!strcmp(cols[3], "yes"))
			row->action_required = 1;
		else if (!strcmp(cols[3], "no"))
			row->action_required = 0;
		else {
			snprintf(err, errcap, "%s:%zu: action_required must be 'yes', 'no' or empty, not '%s'",
				 origin, lineno, cols[3]);
			return WERR_INVALID;
		}
	}
	if (strlen(cols[0]) > EV_CODE_MAX || (n >= 3 && strlen(cols[2]) > EV_DETAIL_MAX)) {
		snprintf(err, errcap, "%s:%zu: code or detail too long", origin, lineno);
		return WERR_INVALID;
	}
	row->code = strdup(cols[0]);
	row->detail = n >= 3 && cols[2][0] && strcmp(cols[2], "-") ? strdup(cols[2]) : NULL;
	if (!row->code || (n >= 3 && cols[2][0] && strcmp(cols[2], "-") && !row->detail)) {
		free(row->code);
		free(row->detail);
		return WERR_NOMEM;
	}
	return WERR_OK;
}

enum werr mappings_add_text(struct mappings *m, const char *table, const char *text, size_t len,
			    const char *origin, char *err, size_t errcap)
{
	struct mtable t = { 0 };
	size_t cap = 0, lineno = 0;
	const char *p = text, *end = text + len;
	enum werr e = WERR_OK;
	struct mtable *old;

	if (!table[0] || strlen(table) > TABLE_NAME_MAX) {
		snprintf(err, errcap, "%s: invalid table name '%s'", origin, table);
		return WERR_INVALID;
	}
	memcpy(t.name, table, strlen(table) + 1);
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		char *line, *s;

		lineno++;
		line = strndup(p, n);
		p += n + (nl ? 1 : 0);
		if (!line) {
			e = WERR_NOMEM;
			break;
		}
		s = trim(line);
		if (!s[0] || s[0] == '#') {
			free(line);
			continue;
		}
		if (t.nrows == cap) {
			size_t nc = cap ? cap * 2 : 32;
			struct mrow *r = realloc(t.rows, nc * sizeof(*r));
			if (!r) {
				free(line);
				e = WERR_NOMEM;
				break;
			}
			t.rows = r;
			cap = nc;
		}
		atomic_init(&t.rows[t.nrows].hits, 0);
		e = parse_line(s, &t.rows[t.nrows], origin, lineno, err, errcap);
		free(line);
		if (e)
			break;
		t.nrows++;
	}
	for (size_t i = 0; !e && i < t.nrows; i++)
		if (t.rows[i].code[strlen(t.rows[i].code) - 1] == '*')
			t.has_prefix = true;
	if (!e && t.nrows > 1) {
		qsort(t.rows, t.nrows, sizeof(*t.rows), row_cmp);
		for (size_t i = 1; i < t.nrows; i++)
			if (!strcmp(t.rows[i - 1].code, t.rows[i].code)) {
				snprintf(err, errcap, "%s: code '%s' is listed twice", origin, t.rows[i].code);
				e = WERR_INVALID;
				break;
			}
	}
	if (e) {
		table_clear(&t);
		return e;
	}
	old = find_table(m, table);
	if (old) {
		table_clear(old);
		*old = t;
		return WERR_OK;
	}
	if (m->ntables == m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 16;
		struct mtable *tt = realloc(m->tables, nc * sizeof(*tt));
		if (!tt) {
			table_clear(&t);
			return WERR_NOMEM;
		}
		m->tables = tt;
		m->cap = nc;
	}
	m->tables[m->ntables++] = t;
	return WERR_OK;
}

/* Adds (or replaces, by name) a carrier description. */
static enum werr add_carrier(struct mappings *m, const char *name, const char *text, size_t len, const char *origin,
			     char *err, size_t errcap)
{
	struct carrier_decl *d;
	enum werr e = decl_load(name, text, len, origin, &d, err, errcap);

	if (e)
		return e;
	for (size_t i = 0; i < m->ncarriers; i++)
		if (!strcmp(decl_name(m->carriers[i]), name)) {
			decl_free(m->carriers[i]);
			m->carriers[i] = d;
			return WERR_OK;
		}
	if (m->ncarriers == m->carcap) {
		size_t nc = m->carcap ? m->carcap * 2 : 8;
		struct carrier_decl **cc = realloc(m->carriers, nc * sizeof(*cc));
		if (!cc) {
			decl_free(d);
			return WERR_NOMEM;
		}
		m->carriers = cc;
		m->carcap = nc;
	}
	m->carriers[m->ncarriers++] = d;
	return WERR_OK;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);
	return n > t && !strcmp(s + n - t, tail);
}

static enum werr load_file(struct mappings *m, const char *dir, const char *fname, char *err, size_t errcap)
{
	char path[4096], table[TABLE_NAME_MAX + 1];
	bool carrier = ends_with(fname, ".carrier");
	size_t nlen = strlen(fname) - (carrier ? 8 : 4); /* without ".carrier" or ".tsv" */
	FILE *f;
	char *text;
	size_t len;
	enum werr e;

	if (nlen == 0 || nlen > TABLE_NAME_MAX) {
		snprintf(err, errcap, "%s/%s: invalid table name", dir, fname);
		return WERR_INVALID;
	}
	memcpy(table, fname, nlen);
	table[nlen] = '\0';
	snprintf(path, sizeof(path), "%s/%s", dir, fname);
	f = fopen(path, "rb");
	if (!f) {
		snprintf(err, errcap, "unable to open '%s': %s", path, strerror(errno));
		return WERR_IO;
	}
	text = malloc(MAPPING_FILE_MAX);
	if (!text) {
		fclose(f);
		return WERR_NOMEM;
	}
	len = fread(text, 1, MAPPING_FILE_MAX, f);
	if (ferror(f) || len == MAPPING_FILE_MAX) {
		snprintf(err, errcap, "unable to read '%s' (or larger than 4 MiB)", path);
		fclose(f);
		free(text);
		return WERR_IO;
	}
	fclose(f);
	e = carrier ? add_carrier(m, table, text, len, path, err, errcap)
		    : mappings_add_text(m, table, text, len, path, err, errcap);
	free(text);
	return e;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads the .tsv and .carrier files of dir in name order (so errors are
 * reproducible). */
static enum werr load_dir(struct mappings *m, const char *dir, bool must_exist, char *err, size_t errcap)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0;
	enum werr e = WERR_OK;

	if (!d) {
		if (!must_exist && errno == ENOENT)
			return WERR_OK;
		snprintf(err, errcap, "unable to open mappings directory '%s': %s", dir, strerror(errno));
		return WERR_IO;
	}
	while ((de = readdir(d))) {
		size_t l = strlen(de->d_name);
		if (!(ends_with(de->d_name, ".tsv") || ends_with(de->d_name, ".carrier")) ||
		    !strcmp(de->d_name, "zones.tsv"))
			continue;
		(void)l;
		if (n == cap) {
			size_t nc = cap ? cap * 2 : 32;
			char **nn = realloc(names, nc * sizeof(*nn));
			if (!nn) {
				e = WERR_NOMEM;
				break;
			}
			names = nn;
			cap = nc;
		}
		if (!(names[n] = strdup(de->d_name))) {
			e = WERR_NOMEM;
			break;
		}
		n++;
	}
	closedir(d);
	if (!e && n)
		qsort(names, n, sizeof(*names), name_cmp);
	for (size_t i = 0; i < n; i++) {
		if (!e)
			e = load_file(m, dir, names[i], err, errcap);
		free(names[i]);
	}
	free(names);
	return e;
}

enum werr mappings_load(const char *dir, const char *override_dir, struct mappings **out, char *err,
			size_t errcap)
{
	struct mappings *m = mappings_new();
	enum werr e;

	*out = NULL;
	if (!m)
		return WERR_NOMEM;
	e = load_dir(m, dir, true, err, errcap);
	if (!e && override_dir && override_dir[0])
		e = load_dir(m, override_dir, false, err, errcap);
	if (e) {
		mappings_free(m);
		return e;
	}
	*out = m;
	return WERR_OK;
}

size_t mappings_ntables(const struct mappings *m)
{
	return m ? m->ntables : 0;
}

size_t mappings_nrows(const struct mappings *m, const char *table)
{
	const struct mtable *t = find_table(m, table);
	return t ? t->nrows : 0;
}

bool mappings_has_table(const struct mappings *m, const char *table)
{
	return find_table(m, table) != NULL;
}

static void copy_cut(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--; /* do not cut a UTF-8 sequence */
	}
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* The longest row "PREFIX*" whose prefix starts code, or NULL. */
static const struct mrow *prefix_row(const struct mtable *t, const char *code)
{
	const struct mrow *best = NULL;
	size_t bestlen = 0;

	for (size_t i = 0; i < t->nrows; i++) {
		const struct mrow *r = &t->rows[i];
		size_t n = strlen(r->code) - 1;
		if (r->code[n] == '*' && (!best || n > bestlen) && !strncmp(r->code, code, n)) {
			best = r;
			bestlen = n;
		}
	}
	return best;
}

bool mapping_apply(const struct mappings *m, const char *table, const char *code, const char *description,
		   struct event *ev)
{
	const struct mtable *t = find_table(m, table);
	const struct mrow *hit = NULL;

	code = code ? code : "";
	copy_cut(ev->code, sizeof(ev->code), code);
	if (description && description[0] && !ev->description[0])
		copy_cut(ev->description, sizeof(ev->description), description);
	/* a table of comments only has no row array: bsearch must not see NULL */
	if (t && t->nrows && code[0]) {
		struct mrow key = { .code = (char *)code };
		hit = bsearch(&key, t->rows, t->nrows, sizeof(*t->rows), row_cmp);
	}
	/* "In transit to next facility in *": the longest such row that starts the code */
	if (!hit && t && t->has_prefix && code[0])
		hit = prefix_row(t, code);
	if (!hit) {
		ev->status = EV_UNKNOWN;
		return false;
	}
	ev->status = hit->status;
	if (hit->detail)
		copy_cut(ev->detail, sizeof(ev->detail), hit->detail);
	else if (hit->status == EV_UNKNOWN)
		copy_cut(ev->detail, sizeof(ev->detail), MAPPING_SAID_UNKNOWN);
	if (hit->action_required >= 0)
		ev->action_required = hit->action_required;
	return true;
}

/* Whether status may move from cur to to by the source's words: only finer. */
static bool refines(enum ev_status cur, enum ev_status to)
{
	if (cur == EV_IN_TRANSIT)
		return to == EV_OUT_FOR_DELIVERY || to == EV_AVAILABLE_FOR_PICKUP;
	if (cur == EV_UNKNOWN)
		return to == EV_LABEL_CREATED || to == EV_IN_TRANSIT || to == EV_OUT_FOR_DELIVERY ||
		       to == EV_AVAILABLE_FOR_PICKUP;
	return false;
}

/* The longest phrase of t found in text (already lower-cased), or NULL. */
static struct mrow *longest(const struct mtable *t, const char *text, enum ev_status cur)
{
	struct mrow *best = NULL;
	size_t blen = 0;

	for (size_t i = 0; t && i < t->nrows; i++) {
		size_t l = strlen(t->rows[i].code);
		if (l > blen && refines(cur, t->rows[i].status) && strstr(text, t->rows[i].code)) {
			best = &t->rows[i];
			blen = l;
		}
	}
	return best;
}

bool mapping_refine_text(const struct mappings *m, const char *source, struct event *ev)
{
	char name[TABLE_NAME_MAX + 1], text[EV_DESC_MAX + 1];
	struct mrow *hit, *any;
	size_t i;

	/* an unknown the source said on purpose stays: it knows it does not know */
	if (!ev->description[0] || !(ev->status == EV_IN_TRANSIT || (ev->status == EV_UNKNOWN && !ev->detail[0])))
		return false;
	for (i = 0; ev->description[i] && i < EV_DESC_MAX; i++)
		text[i] = (char)(ev->description[i] >= 'A' && ev->description[i] <= 'Z' ? ev->description[i] - 'A' + 'a'
										  : ev->description[i]);
	text[i] = '\0';
	snprintf(name, sizeof(name), "text_%s", source);
	hit = longest(find_table(m, name), text, ev->status);
	any = longest(find_table(m, "text_any"), text, ev->status);
	if (!hit || (any && strlen(any->code) > strlen(hit->code)))
		hit = any;
	if (!hit)
		return false;
	ev->status = hit->status;
	if (hit->detail)
		copy_cut(ev->detail, sizeof(ev->detail), hit->detail);
	if (hit->action_required >= 0)
		ev->action_required = hit->action_required;
	atomic_fetch_add_explicit(&hit->hits, 1, memory_order_relaxed);
	return true;
}

void mappings_text_hits(const struct mappings *m,
			void (*fn)(void *ctx, const char *table, const char *phrase, unsigned long long n), void *ctx)
{
	for (size_t k = 0; m && k < m->ntables; k++) {
		const struct mtable *t = &m->tables[k];
		if (strncmp(t->name, "text_", 5))
			continue;
		for (size_t i = 0; i < t->nrows; i++) {
			unsigned long long n = atomic_load_explicit(&t->rows[i].hits, memory_order_relaxed);
			if (n)
				fn(ctx, t->name, t->rows[i].code, n);
		}
	}
}

const struct adapter *mappings_carrier(const struct mappings *m, const char *name)
{
	for (size_t i = 0; m && i < m->ncarriers; i++)
		if (!strcmp(decl_name(m->carriers[i]), name))
			return decl_adapter(m->carriers[i]);
	return NULL;
}

const struct adapter *mappings_carrier_at(const struct mappings *m, size_t i)
{
	return m && i < m->ncarriers ? decl_adapter(m->carriers[i]) : NULL;
}

const char *mappings_detect_carrier(const struct mappings *m, const char *tracking)
{
	char s[EV_PACKAGE_MAX + 1];
	size_t n = 0;

	if (!m || !tracking)
		return NULL;
	for (const char *p = tracking; *p; p++) {
		if (*p == ' ')
			continue;
		if (n == EV_PACKAGE_MAX)
			return NULL;
		s[n++] = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	}
	s[n] = '\0';
	for (size_t i = 0; n && i < m->ncarriers; i++)
		if (decl_detect(m->carriers[i], s))
			return decl_carrier(m->carriers[i]);
	return NULL;
}
