/*
 * route.c - matching a request to a row of the route tables (the rules are
 * in http.h, above struct http_route).
 */
#include <stdio.h>
#include <string.h>

#include "http.h"
#include "../base/banned.h"

/* Where the pattern's parameter starts ('{'), or NULL for a literal one. */
static const char *param_at(const char *pattern)
{
	return strchr(pattern, '{');
}

/*
 * Matches path against pattern; the parameter's text goes into param (cut
 * to cap).  Patterns are ours (route tables), so a malformed one simply
 * never matches.
 */
static bool match(const char *pattern, const char *path, char *param, size_t cap)
{
	const char *open = param_at(pattern), *close, *suffix;
	size_t pre, slen, plen = strlen(path), vlen;
	bool rest;

	if (!open) {
		if (strcmp(pattern, path))
			return false;
		if (cap)
			param[0] = '\0';
		return true;
	}
	if (!(close = strchr(open, '}')))
		return false;
	rest = close > open && close[-1] == '*';
	suffix = close + 1;
	pre = (size_t)(open - pattern);
	slen = strlen(suffix);
	if (plen < pre + slen || strncmp(path, pattern, pre) || strcmp(path + plen - slen, suffix))
		return false;
	vlen = plen - pre - slen;
	if (!rest && (vlen == 0 || memchr(path + pre, '/', vlen)))
		return false;
	if (cap) {
		size_t n = vlen < cap - 1 ? vlen : cap - 1;
		memcpy(param, path + pre, n);
		param[n] = '\0';
	}
	return true;
}

static bool method_ok(const char *row, const char *method)
{
	return !strcmp(row, method) || (!strcmp(row, "GET") && !strcmp(method, "HEAD"));
}

/* Appends the methods of pattern's rows to allow ("GET, HEAD" for GET). */
static void allow_list(const struct http_routes *tables, size_t ntables, const char *pattern, char *allow,
		       size_t cap)
{
	size_t at = 0;

	allow[0] = '\0';
	for (size_t t = 0; t < ntables; t++)
		for (size_t i = 0; i < tables[t].n; i++) {
			const struct http_route *rt = &tables[t].rows[i];
			int n;
			if (strcmp(rt->pattern, pattern))
				continue;
			n = snprintf(allow + at, cap - at, "%s%s%s", at ? ", " : "", rt->method,
				     !strcmp(rt->method, "GET") ? ", HEAD" : "");
			if (n < 0 || (size_t)n >= cap - at)
				return;
			at += (size_t)n;
		}
}

const struct http_route *http_route_find(const struct http_routes *tables, size_t ntables, const char *method,
					 const char *path, char *param, size_t cap, char *allow, size_t allowcap,
					 void **ctx)
{
	if (allowcap)
		allow[0] = '\0';
	/* literal patterns first, then those with a parameter */
	for (int pass = 0; pass < 2; pass++)
		for (size_t t = 0; t < ntables; t++)
			for (size_t i = 0; i < tables[t].n; i++) {
				const struct http_route *rt = &tables[t].rows[i];
				if ((param_at(rt->pattern) != NULL) != (pass == 1) || !match(rt->pattern, path, param, cap))
					continue;
				/* this pattern decides: a row of it for the method, or 405 */
				if (!method) {
					if (ctx)
						*ctx = tables[t].ctx;
					return rt;
				}
				for (size_t u = t; u < ntables; u++)
					for (size_t j = u == t ? i : 0; j < tables[u].n; j++)
						if (!strcmp(tables[u].rows[j].pattern, rt->pattern) &&
						    method_ok(tables[u].rows[j].method, method)) {
							if (ctx)
								*ctx = tables[u].ctx;
							return &tables[u].rows[j];
						}
				if (allowcap)
					allow_list(tables, ntables, rt->pattern, allow, allowcap);
				return NULL;
			}
	return NULL;
}
