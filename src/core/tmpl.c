/*
 * tmpl.c - the Mustache-style renderer behind the web pages and the
 * notification messages (contract in tmpl.h).
 *
 * There is no compiled form: the renderer walks the source text with one
 * tokenizer, next_tok(), and a section is rendered by walking its inner span
 * once per item.  next_tok() is a pure function of (source, position), so
 * the same tokens come out whether a span is scanned from the top of the
 * template or from the start of a section; that is what lets find_close()
 * and render_span() agree on where a section ends.  Standalone-line removal
 * is done inside next_tok(): a standalone tag's token starts at its line's
 * start and ends after its line break, so the text before it stops short of
 * the indentation.
 *
 * A source is checked whole (check_src) before it is rendered, so a mistake
 * inside a section the view skips is still reported, and rendering can
 * trust that every open has its close.  The only memory allocated besides
 * the output is the indented copy of a standalone partial that is indented.
 */
#include "tmpl.h"

#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/banned.h"

#define MAX_SECTIONS 32 /* nesting of sections, in one source and across partials */
#define MAX_PARTIALS 16 /* nesting of partials */
#define MAX_NAME 128    /* longest partial name */

enum tok_type {
	TOK_END,      /* no more tags: the rest is text */
	TOK_VAR,      /* {{name}} */
	TOK_RAW,      /* {{{name}}} or {{&name}} */
	TOK_SECTION,  /* {{#name}} */
	TOK_INVERTED, /* {{^name}} */
	TOK_CLOSE,    /* {{/name}} */
	TOK_COMMENT,  /* {{! ...}} */
	TOK_PARTIAL,  /* {{>name}} */
};

/* One step of the tokenizer from position pos: the text [pos, text_end),
 * then the tag (unless TOK_END); scanning resumes at next. */
struct tok {
	enum tok_type type;
	size_t text_end;
	size_t tag_at;    /* the tag's "{{" (for line numbers) */
	size_t indent_at; /* standalone: the line start; indentation is [indent_at, tag_at) */
	bool standalone;
	const char *name; /* trimmed, not NUL-terminated */
	size_t nlen;
	size_t next;
};

/* A template or partial text, with the partial's name for messages. */
struct src {
	const char *p;
	size_t len;
	const char *partial; /* NULL for the top-level template */
};

struct rstate {
	enum tmpl_escape esc;
	const struct tmpl_partials *partials;
	struct buf *out;
	char *err;
	size_t errcap;
	const cJSON *ctx[MAX_SECTIONS + 1]; /* the context stack: view, then one per open section */
	int nctx;
	int npartials;
};

static unsigned line_of(const struct src *s, size_t at)
{
	unsigned line = 1;
	for (size_t i = 0; i < at && i < s->len; i++)
		line += s->p[i] == '\n';
	return line;
}

/* Writes "line N: <message>" (prefixed by the partial's name) into err. */
__attribute__((format(printf, 5, 6)))
static enum werr fail(const struct src *s, size_t at, char *err, size_t errcap, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (!err || !errcap)
		return WERR_INVALID;
	if (s->partial)
		n = snprintf(err, errcap, "partial '%s' line %u: ", s->partial, line_of(s, at));
	else
		n = snprintf(err, errcap, "line %u: ", line_of(s, at));
	if (n >= 0 && (size_t)n < errcap) {
		va_start(ap, fmt);
		vsnprintf(err + n, errcap - (size_t)n, fmt, ap);
		va_end(ap);
	}
	return WERR_INVALID;
}

static enum werr fail_out(struct rstate *st, enum werr e)
{
	if (st->err && st->errcap)
		snprintf(st->err, st->errcap, "%s", e == WERR_TOO_LARGE ? "output too large" : "out of memory");
	return e;
}

/* Names in messages are cut short so a runaway tag does not fill err. */
#define NAME_FMT "'%.*s'"
#define NAME_ARG(ptr, n) (int)((n) > 64 ? 64 : (n)), (ptr)

static size_t find(const char *p, size_t len, size_t from, const char *needle, size_t nlen)
{
	for (size_t i = from; i + nlen <= len; i++)
		if (p[i] == needle[0] && memcmp(p + i, needle, nlen) == 0)
			return i;
	return len;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static enum werr next_tok(const struct src *s, size_t pos, struct tok *t, char *err, size_t errcap)
{
	const char *p = s->p;
	size_t n = s->len, open, body, close, after, a, b;
	bool triple = false;

	memset(t, 0, sizeof(*t));
	open = find(p, n, pos, "{{", 2);
	if (open == n) {
		t->type = TOK_END;
		t->text_end = t->next = n;
		return WERR_OK;
	}
	t->tag_at = open;
	body = open + 2;
	t->type = TOK_VAR;
	switch (body < n ? p[body] : '\0') {
	case '{': triple = true; t->type = TOK_RAW; break;
	case '&': t->type = TOK_RAW; break;
	case '#': t->type = TOK_SECTION; break;
	case '^': t->type = TOK_INVERTED; break;
	case '/': t->type = TOK_CLOSE; break;
	case '!': t->type = TOK_COMMENT; break;
	case '>': t->type = TOK_PARTIAL; break;
	case '=': return fail(s, open, err, errcap, "set-delimiter tags are not supported");
	default: break;
	}
	if (t->type != TOK_VAR)
		body++; /* past the sigil */
	close = find(p, n, body, triple ? "}}}" : "}}", triple ? 3 : 2);
	if (close == n)
		return fail(s, open, err, errcap, "unclosed tag");
	after = close + (triple ? 3 : 2);

	for (a = body; a < close && is_space(p[a]); a++)
		;
	for (b = close; b > a && is_space(p[b - 1]); b--)
		;
	t->name = p + a;
	t->nlen = b - a;
	if (t->type != TOK_COMMENT) {
		if (t->nlen == 0)
			return fail(s, open, err, errcap, "empty tag");
		for (size_t i = a; i < b; i++)
			if (is_space(p[i]) || p[i] == '{' || p[i] == '}')
				return fail(s, open, err, errcap, "bad name in tag " NAME_FMT,
					    NAME_ARG(p + open, after - open));
	}

	t->text_end = open;
	t->next = after;
	if (t->type != TOK_VAR && t->type != TOK_RAW) {
		/* Standalone: only blanks between the line start and the tag and
		 * between the tag and the line break (or the end). */
		size_t ls = open, le = after;
		while (ls > pos && (p[ls - 1] == ' ' || p[ls - 1] == '\t'))
			ls--;
		while (le < n && (p[le] == ' ' || p[le] == '\t'))
			le++;
		if ((ls == 0 || p[ls - 1] == '\n') &&
		    (le == n || p[le] == '\n' || (p[le] == '\r' && le + 1 < n && p[le + 1] == '\n'))) {
			if (le < n)
				le += p[le] == '\r' ? 2 : 1;
			t->standalone = true;
			t->indent_at = ls;
			t->text_end = ls;
			t->next = le;
		}
	}
	return WERR_OK;
}

static enum werr check_src(const struct src *s, char *err, size_t errcap)
{
	struct { const char *name; size_t nlen; size_t at; char sigil; } open[MAX_SECTIONS];
	int depth = 0;
	size_t pos = 0;
	struct tok t;
	enum werr e;

	for (;;) {
		if ((e = next_tok(s, pos, &t, err, errcap)))
			return e;
		if (t.type == TOK_END)
			break;
		if (t.type == TOK_SECTION || t.type == TOK_INVERTED) {
			if (depth == MAX_SECTIONS)
				return fail(s, t.tag_at, err, errcap, "sections nested deeper than %d",
					    MAX_SECTIONS);
			open[depth].name = t.name;
			open[depth].nlen = t.nlen;
			open[depth].at = t.tag_at;
			open[depth].sigil = t.type == TOK_SECTION ? '#' : '^';
			depth++;
		} else if (t.type == TOK_CLOSE) {
			if (depth == 0)
				return fail(s, t.tag_at, err, errcap, "close tag {{/%.*s}} without an open section",
					    NAME_ARG(t.name, t.nlen));
			depth--;
			if (open[depth].nlen != t.nlen || memcmp(open[depth].name, t.name, t.nlen) != 0)
				return fail(s, t.tag_at, err, errcap,
					    "close tag {{/%.*s}} does not match {{%c%.*s}} opened on line %u",
					    NAME_ARG(t.name, t.nlen), open[depth].sigil,
					    NAME_ARG(open[depth].name, open[depth].nlen), line_of(s, open[depth].at));
		}
		pos = t.next;
	}
	if (depth > 0)
		return fail(s, open[depth - 1].at, err, errcap, "unclosed section " NAME_FMT,
			    NAME_ARG(open[depth - 1].name, open[depth - 1].nlen));
	return WERR_OK;
}

/* The section opened just before pos: its inner text ends at *inner_end and
 * scanning resumes at *after.  The source has passed check_src. */
static enum werr find_close(const struct src *s, size_t pos, size_t *inner_end, size_t *after, char *err,
			    size_t errcap)
{
	int depth = 1;
	struct tok t;
	enum werr e;

	for (;;) {
		if ((e = next_tok(s, pos, &t, err, errcap)))
			return e;
		if (t.type == TOK_END)
			return fail(s, pos, err, errcap, "unclosed section");
		if (t.type == TOK_SECTION || t.type == TOK_INVERTED)
			depth++;
		else if (t.type == TOK_CLOSE && --depth == 0) {
			*inner_end = t.text_end;
			*after = t.next;
			return WERR_OK;
		}
		pos = t.next;
	}
}

static const cJSON *member(const cJSON *obj, const char *name, size_t nlen)
{
	const cJSON *c;

	if (!cJSON_IsObject(obj))
		return NULL;
	for (c = obj->child; c; c = c->next)
		if (c->string && strlen(c->string) == nlen && memcmp(c->string, name, nlen) == 0)
			return c;
	return NULL;
}

/* The first part of a dotted name is looked up from the innermost context
 * outward; the rest only inside what the first part found (the spec's
 * "broken chain" rule: {{a.b}} never takes b from an outer context). */
static const cJSON *lookup(const struct rstate *st, const char *name, size_t nlen)
{
	const cJSON *v = NULL;
	size_t i, j;

	if (st->nctx == 0)
		return NULL;
	if (nlen == 1 && name[0] == '.')
		return st->ctx[st->nctx - 1];
	for (i = 0; i < nlen && name[i] != '.'; i++)
		;
	for (int k = st->nctx - 1; k >= 0 && !v; k--)
		v = member(st->ctx[k], name, i);
	while (v && i < nlen) {
		j = ++i;
		for (; i < nlen && name[i] != '.'; i++)
			;
		v = member(v, name + j, i - j);
	}
	return v;
}

static bool truthy(const cJSON *v)
{
	if (!v || cJSON_IsNull(v) || cJSON_IsFalse(v))
		return false;
	if (cJSON_IsString(v))
		return v->valuestring && v->valuestring[0];
	if (cJSON_IsArray(v))
		return v->child != NULL;
	return true;
}

static enum werr put_number(struct buf *out, double d)
{
	char tmp[64];

	if (d != d || d > 1e308 || d < -1e308) /* NaN, infinities: nothing, as null */
		return WERR_OK;
	if (d == 0)
		return buf_putc(out, '0'); /* also -0 */
	if (d > -9.2e18 && d < 9.2e18 && (double)(long long)d == d)
		snprintf(tmp, sizeof(tmp), "%lld", (long long)d);
	else {
		snprintf(tmp, sizeof(tmp), "%.15g", d);
		if (strtod(tmp, NULL) != d)
			snprintf(tmp, sizeof(tmp), "%.17g", d);
	}
	return buf_puts(out, tmp);
}

static enum werr put_value(struct rstate *st, const cJSON *v, bool escape)
{
	if (cJSON_IsString(v) && v->valuestring) {
		size_t n = strlen(v->valuestring);
		return escape ? tmpl_escape_html(st->out, v->valuestring, n) : buf_append(st->out, v->valuestring, n);
	}
	if (cJSON_IsNumber(v))
		return put_number(st->out, v->valuedouble);
	if (cJSON_IsTrue(v))
		return buf_puts(st->out, "true");
	if (cJSON_IsFalse(v))
		return buf_puts(st->out, "false");
	return WERR_OK; /* missing, null, objects, arrays */
}

static enum werr render_span(struct rstate *st, const struct src *s, size_t pos, size_t end);

static enum werr render_section(struct rstate *st, const struct src *s, const struct tok *t, size_t *after)
{
	const cJSON *v = lookup(st, t->name, t->nlen), *item;
	size_t inner_end = 0;
	enum werr e;

	if ((e = find_close(s, t->next, &inner_end, after, st->err, st->errcap)))
		return e;
	if (t->type == TOK_INVERTED)
		return truthy(v) ? WERR_OK : render_span(st, s, t->next, inner_end);
	if (!truthy(v))
		return WERR_OK;
	if (st->nctx > MAX_SECTIONS)
		return fail(s, t->tag_at, st->err, st->errcap, "sections nested deeper than %d", MAX_SECTIONS);
	item = cJSON_IsArray(v) ? v->child : v;
	for (; item; item = cJSON_IsArray(v) ? item->next : NULL) {
		st->ctx[st->nctx++] = item;
		e = render_span(st, s, t->next, inner_end);
		st->nctx--;
		if (e)
			return e;
	}
	return WERR_OK;
}

/* The partial's text with indent put before each of its lines (spec:
 * a standalone partial tag's indentation applies to every line). */
static enum werr indent_text(struct buf *b, const char *indent, size_t ilen, const char *p, size_t len)
{
	enum werr e = WERR_OK;
	size_t i = 0, eol;

	while (!e && i < len) {
		for (eol = i; eol < len && p[eol] != '\n'; eol++)
			;
		eol += eol < len;
		if (!(e = buf_append(b, indent, ilen)))
			e = buf_append(b, p + i, eol - i);
		i = eol;
	}
	return e;
}

static enum werr render_partial(struct rstate *st, const struct src *s, const struct tok *t)
{
	char name[MAX_NAME];
	struct buf indented = BUF_INIT;
	struct src ps;
	const char *text;
	size_t len = 0;
	enum werr e;

	if (t->nlen >= sizeof(name))
		return fail(s, t->tag_at, st->err, st->errcap, "partial name too long");
	memcpy(name, t->name, t->nlen);
	name[t->nlen] = '\0';
	text = st->partials && st->partials->load ? st->partials->load(st->partials->ctx, name, &len) : NULL;
	if (!text)
		return fail(s, t->tag_at, st->err, st->errcap, "unknown partial '%s'", name);
	if (st->npartials >= MAX_PARTIALS)
		return fail(s, t->tag_at, st->err, st->errcap, "partials nested deeper than %d", MAX_PARTIALS);
	ps.p = text;
	ps.len = len;
	ps.partial = name;
	if (t->standalone && t->tag_at > t->indent_at) {
		if ((e = indent_text(&indented, s->p + t->indent_at, t->tag_at - t->indent_at, text, len)))
			return fail_out(st, e);
		ps.p = indented.p;
		ps.len = indented.len;
	}
	if (!(e = check_src(&ps, st->err, st->errcap))) {
		st->npartials++;
		e = render_span(st, &ps, 0, ps.len);
		st->npartials--;
	}
	buf_release(&indented);
	return e;
}

/* Renders [pos, end) of s, where end is the end of s or the text end of the
 * close tag of the section being rendered. */
static enum werr render_span(struct rstate *st, const struct src *s, size_t pos, size_t end)
{
	struct tok t;
	size_t after = 0;
	enum werr e;

	for (;;) {
		if ((e = next_tok(s, pos, &t, st->err, st->errcap)))
			return e;
		if ((e = buf_append(st->out, s->p + pos, (t.text_end < end ? t.text_end : end) - pos)))
			return fail_out(st, e);
		if (t.type == TOK_END || t.text_end >= end)
			return WERR_OK;
		switch (t.type) {
		case TOK_VAR:
		case TOK_RAW:
			e = put_value(st, lookup(st, t.name, t.nlen), t.type == TOK_VAR && st->esc == TMPL_ESC_HTML);
			if (e)
				return fail_out(st, e);
			break;
		case TOK_SECTION:
		case TOK_INVERTED:
			if ((e = render_section(st, s, &t, &after)))
				return e;
			t.next = after;
			break;
		case TOK_PARTIAL:
			if ((e = render_partial(st, s, &t)))
				return e;
			break;
		case TOK_CLOSE: /* check_src vouches that this is end */
		case TOK_COMMENT:
		case TOK_END:
			break;
		}
		pos = t.next;
	}
}

enum werr tmpl_render(const char *src, size_t len, const cJSON *view, enum tmpl_escape esc,
		      const struct tmpl_partials *partials, struct buf *out, char *err, size_t errcap)
{
	struct rstate st;
	struct src s = { src, len, NULL };
	enum werr e;

	if (err && errcap)
		err[0] = '\0';
	if (!src && len)
		return fail(&s, 0, err, errcap, "no template");
	if (!src)
		s.p = "";
	if ((e = check_src(&s, err, errcap)))
		return e;
	memset(&st, 0, sizeof(st));
	st.esc = esc;
	st.partials = partials;
	st.out = out;
	st.err = err;
	st.errcap = errcap;
	if (view)
		st.ctx[st.nctx++] = view;
	return render_span(&st, &s, 0, len);
}

enum werr tmpl_check(const char *src, size_t len, char *err, size_t errcap)
{
	struct src s = { src, len, NULL };

	if (err && errcap)
		err[0] = '\0';
	if (!src && len)
		return fail(&s, 0, err, errcap, "no template");
	if (!src)
		s.p = "";
	return check_src(&s, err, errcap);
}

enum werr tmpl_escape_html(struct buf *out, const char *s, size_t len)
{
	size_t run = 0;
	enum werr e;

	for (size_t i = 0; i < len; i++) {
		const char *ent;
		switch (s[i]) {
		case '&': ent = "&amp;"; break;
		case '<': ent = "&lt;"; break;
		case '>': ent = "&gt;"; break;
		case '"': ent = "&quot;"; break;
		case '\'': ent = "&#39;"; break;
		default: continue;
		}
		if ((e = buf_append(out, s + run, i - run)) || (e = buf_puts(out, ent)))
			return e;
		run = i + 1;
	}
	return buf_append(out, s + run, len - run);
}
