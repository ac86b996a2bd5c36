/*
 * xml.c - the small XML reader (contract in xml.h).
 */
#include "xml.h"

#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "text.h"
#include "banned.h"

struct xparser {
	const char *p, *end;
	size_t nodes;
	const char *err;
};

void xml_free(struct xml_node *n)
{
	while (n) {
		struct xml_node *next = n->next;
		xml_free(n->child);
		for (struct xml_attr *a = n->attrs, *an; a; a = an) {
			an = a->next;
			free(a->name);
			free(a->value);
			free(a);
		}
		free(n->name);
		free(n->text);
		free(n);
		n = next;
	}
}

static bool xstarts(const struct xparser *x, const char *s)
{
	size_t n = strlen(s);
	return (size_t)(x->end - x->p) >= n && !memcmp(x->p, s, n);
}

static bool xskip_past(struct xparser *x, const char *s)
{
	size_t n = strlen(s);
	for (; x->end - x->p >= (ptrdiff_t)n; x->p++)
		if (!memcmp(x->p, s, n)) {
			x->p += n;
			return true;
		}
	x->err = "unterminated markup";
	return false;
}

static bool xname_char(char c)
{
	return isalnum((unsigned char)c) || c == '_' || c == '-' || c == '.' || c == ':' || (unsigned char)c >= 0x80;
}

/* A growing decoded string. */
struct xstr {
	char *p;
	size_t len;
};

static bool xappend(struct xstr *t, const char *s, size_t len)
{
	char *q;

	if (!len)
		return true;
	q = realloc(t->p, t->len + len + 1);
	if (!q)
		return false;
	memcpy(q + t->len, s, len);
	t->len += len;
	q[t->len] = '\0';
	t->p = q;
	return true;
}

/* Text up to the next `stop` ('<' in content, the quote in an attribute
 * value), entities decoded, appended to t. */
static bool xtext(struct xparser *x, char stop_at, struct xstr *t)
{
	while (x->p < x->end && *x->p != stop_at) {
		const char *amp = memchr(x->p, '&', (size_t)(x->end - x->p));
		const char *lt = memchr(x->p, stop_at, (size_t)(x->end - x->p));
		const char *stop = lt ? lt : x->end;
		char buf[4];
		size_t blen = 0;

		if (!amp || amp > stop) {
			if (!xappend(t, x->p, (size_t)(stop - x->p)))
				return false;
			x->p = stop;
			break;
		}
		if (!xappend(t, x->p, (size_t)(amp - x->p)))
			return false;
		x->p = amp + 1;
		const char *semi = memchr(x->p, ';', (size_t)(x->end - x->p) < 12 ? (size_t)(x->end - x->p) : 12);
		if (!semi) {
			x->err = "bad entity";
			return false;
		}
		size_t len = (size_t)(semi - x->p);
		if (len == 2 && !memcmp(x->p, "lt", 2))
			buf[blen++] = '<';
		else if (len == 2 && !memcmp(x->p, "gt", 2))
			buf[blen++] = '>';
		else if (len == 3 && !memcmp(x->p, "amp", 3))
			buf[blen++] = '&';
		else if (len == 4 && !memcmp(x->p, "quot", 4))
			buf[blen++] = '"';
		else if (len == 4 && !memcmp(x->p, "apos", 4))
			buf[blen++] = '\'';
		else if (len >= 2 && x->p[0] == '#') {
			char num[12];
			char *end;
			int hex = x->p[1] == 'x' || x->p[1] == 'X';
			unsigned long cp;

			memcpy(num, x->p + 1 + hex, len - 1 - (size_t)hex);
			num[len - 1 - (size_t)hex] = '\0';
			cp = strtoul(num, &end, hex ? 16 : 10);
			if (!num[0] || *end || cp == 0 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
				x->err = "bad character reference";
				return false;
			}
			blen = text_utf8_put(cp, buf);
		} else {
			x->err = "unknown entity";
			return false;
		}
		if (!xappend(t, buf, blen))
			return false;
		x->p = semi + 1;
	}
	return true;
}

/* Misc between markup: comments, PIs, white space; refuses DOCTYPE. */
static bool xmisc(struct xparser *x)
{
	for (;;) {
		while (x->p < x->end && isspace((unsigned char)*x->p))
			x->p++;
		if (xstarts(x, "<?")) {
			if (!xskip_past(x, "?>"))
				return false;
		} else if (xstarts(x, "<!--")) {
			if (!xskip_past(x, "-->"))
				return false;
		} else if (xstarts(x, "<!")) {
			x->err = "DOCTYPE and declarations are not accepted";
			return false;
		} else {
			return true;
		}
	}
}

static struct xml_node *xelement(struct xparser *x, int depth)
{
	struct xml_node *n;
	const char *name, *local;
	size_t namelen;

	if (depth > XML_DEPTH_MAX) {
		x->err = "elements nested too deep";
		return NULL;
	}
	if (++x->nodes > XML_NODES_MAX) {
		x->err = "too many elements";
		return NULL;
	}
	if (x->p >= x->end || *x->p != '<') {
		x->err = "expected an element";
		return NULL;
	}
	name = ++x->p;
	while (x->p < x->end && xname_char(*x->p))
		x->p++;
	namelen = (size_t)(x->p - name);
	if (!namelen) {
		x->err = "element without a name";
		return NULL;
	}
	n = calloc(1, sizeof(*n));
	if (!n) {
		x->err = "out of memory";
		return NULL;
	}
	local = memchr(name, ':', namelen);
	local = local ? local + 1 : name;
	n->name = strndup(local, namelen - (size_t)(local - name));
	if (!n->name) {
		x->err = "out of memory";
		goto fail;
	}
	/* Attributes: name="value" or name='value'; xmlns declarations dropped. */
	struct xml_attr **tail = &n->attrs;
	for (;;) {
		const char *an;
		size_t anlen;
		char quote;

		while (x->p < x->end && isspace((unsigned char)*x->p))
			x->p++;
		if (x->p >= x->end) {
			x->err = "unterminated start tag";
			goto fail;
		}
		if (*x->p == '/' && x->p + 1 < x->end && x->p[1] == '>') {
			x->p += 2;
			return n;
		}
		if (*x->p == '>') {
			x->p++;
			break;
		}
		an = x->p;
		while (x->p < x->end && xname_char(*x->p))
			x->p++;
		anlen = (size_t)(x->p - an);
		while (x->p < x->end && isspace((unsigned char)*x->p))
			x->p++;
		if (!anlen || x->p + 1 >= x->end || *x->p != '=') {
			x->err = "bad attribute";
			goto fail;
		}
		x->p++;
		while (x->p < x->end && isspace((unsigned char)*x->p))
			x->p++;
		if (x->p >= x->end || (*x->p != '"' && *x->p != '\'')) {
			x->err = "bad attribute value";
			goto fail;
		}
		quote = *x->p++;
		struct xstr v = { NULL, 0 };
		if (!xtext(x, quote, &v) || x->p >= x->end) {
			free(v.p);
			if (!x->err)
				x->err = x->p >= x->end ? "unterminated attribute value" : "out of memory";
			goto fail;
		}
		x->p++; /* the closing quote */
		if ((anlen == 5 && !memcmp(an, "xmlns", 5)) || (anlen > 6 && !memcmp(an, "xmlns:", 6))) {
			free(v.p);
			continue;
		}
		if (++x->nodes > XML_NODES_MAX) {
			free(v.p);
			x->err = "too many attributes";
			goto fail;
		}
		const char *alocal = memchr(an, ':', anlen);
		alocal = alocal ? alocal + 1 : an;
		struct xml_attr *at = calloc(1, sizeof(*at));
		if (!at || !(at->name = strndup(alocal, anlen - (size_t)(alocal - an)))) {
			free(at);
			free(v.p);
			x->err = "out of memory";
			goto fail;
		}
		at->value = v.p ? v.p : strdup("");
		*tail = at; /* in document order */
		tail = &at->next;
		if (!at->value) {
			x->err = "out of memory";
			goto fail;
		}
	}
	/* Content. */
	for (;;) {
		struct xstr t = { n->text, n->textlen };
		bool ok = xtext(x, '<', &t);
		n->text = t.p;
		n->textlen = t.len;
		if (!ok) {
			if (!x->err)
				x->err = "out of memory";
			goto fail;
		}
		if (x->p >= x->end) {
			x->err = "unterminated element";
			goto fail;
		}
		if (xstarts(x, "</")) {
			const char *end_name = x->p + 2;
			x->p = end_name;
			while (x->p < x->end && xname_char(*x->p))
				x->p++;
			if ((size_t)(x->p - end_name) != namelen || memcmp(end_name, name, namelen)) {
				x->err = "mismatched end tag";
				goto fail;
			}
			while (x->p < x->end && isspace((unsigned char)*x->p))
				x->p++;
			if (x->p >= x->end || *x->p != '>') {
				x->err = "bad end tag";
				goto fail;
			}
			x->p++;
			return n;
		}
		if (xstarts(x, "<![CDATA[")) {
			const char *start = x->p + 9;
			x->p = start;
			if (!xskip_past(x, "]]>"))
				goto fail;
			t.p = n->text;
			t.len = n->textlen;
			ok = xappend(&t, start, (size_t)(x->p - 3 - start));
			n->text = t.p;
			n->textlen = t.len;
			if (!ok) {
				x->err = "out of memory";
				goto fail;
			}
		} else if (xstarts(x, "<!--") || xstarts(x, "<?") || xstarts(x, "<!")) {
			if (!xmisc(x))
				goto fail;
		} else {
			struct xml_node *c = xelement(x, depth + 1);
			if (!c)
				goto fail;
			if (n->last)
				n->last->next = c;
			else
				n->child = c;
			n->last = c;
		}
	}
fail:
	xml_free(n);
	return NULL;
}

struct xml_node *xml_parse(const char *body, size_t len, const char **err)
{
	struct xparser x = { .p = body, .end = body + len };
	struct xml_node *root;

	if (len >= 3 && !memcmp(body, "\xEF\xBB\xBF", 3))
		x.p += 3;
	if (!xmisc(&x)) {
		*err = x.err;
		return NULL;
	}
	root = xelement(&x, 0);
	if (!root) {
		*err = x.err ? x.err : "not XML";
		return NULL;
	}
	if (!xmisc(&x) || x.p != x.end) {
		*err = x.err ? x.err : "content after the root element";
		xml_free(root);
		return NULL;
	}
	return root;
}

const struct xml_node *xml_child(const struct xml_node *n, const char *name)
{
	for (const struct xml_node *c = n ? n->child : NULL; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* Text of a path of children ("ServiceEvent", "EventCode", NULL), or "". */
const char *xml_path(const struct xml_node *n, ...)
{
	va_list ap;
	const char *name;

	va_start(ap, n);
	while (n && (name = va_arg(ap, const char *)) != NULL)
		n = xml_child(n, name);
	va_end(ap);
	return n && n->text ? n->text : "";
}
const char *xml_attr(const struct xml_node *n, const char *name)
{
	for (const struct xml_attr *a = n ? n->attrs : NULL; a; a = a->next)
		if (!strcmp(a->name, name))
			return a->value;
	return NULL;
}

bool xml_looks_like(const char *body, size_t len)
{
	size_t i = 0;

	if (len >= 3 && !memcmp(body, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < len && isspace((unsigned char)body[i]))
		i++;
	return i < len && body[i] == '<';
}

static bool blank(const char *s)
{
	for (; s && *s; s++)
		if (!isspace((unsigned char)*s))
			return false;
	return true;
}

/* Adds v under name: a second value of the name turns the member into an
 * array.  Takes v. */
static bool add_member(cJSON *obj, const char *name, cJSON *v)
{
	cJSON *have = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!have)
		return cJSON_AddItemToObject(obj, name, v);
	if (!cJSON_IsArray(have)) { /* XML gives no arrays but these */
		cJSON *arr = cJSON_CreateArray();
		if (!arr) {
			cJSON_Delete(v);
			return false;
		}
		cJSON_DetachItemViaPointer(obj, have);
		cJSON_AddItemToArray(arr, have);
		if (!cJSON_AddItemToObject(obj, name, arr)) {
			cJSON_Delete(arr);
			cJSON_Delete(v);
			return false;
		}
		have = arr;
	}
	return cJSON_AddItemToArray(have, v);
}

cJSON *xml_to_json(const struct xml_node *n)
{
	cJSON *obj;

	if (!n->attrs && !n->child)
		return cJSON_CreateString(n->text ? n->text : "");
	if (!(obj = cJSON_CreateObject()))
		return NULL;
	for (const struct xml_node *c = n->child; c; c = c->next) {
		cJSON *v = xml_to_json(c);
		if (!v || !add_member(obj, c->name, v))
			goto fail;
	}
	/* an attribute named like a child (or like an earlier attribute) gives way */
	for (const struct xml_attr *a = n->attrs; a; a = a->next)
		if (!cJSON_GetObjectItemCaseSensitive(obj, a->name) && !cJSON_AddStringToObject(obj, a->name, a->value))
			goto fail;
	if (!blank(n->text) && !cJSON_AddStringToObject(obj, "#text", n->text))
		goto fail;
	return obj;
fail:
	cJSON_Delete(obj);
	return NULL;
}
