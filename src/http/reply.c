/*
 * reply.c - JSON replies, the one mapping from errors to HTTP answers, and
 * what handlers read of a request (query, headers, cookies, client address).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/num.h"
#include "../base/crypto.h"
#include "http.h"
#include "../base/banned.h"

void http_json(struct http_req *r, unsigned status, const char *json, size_t len)
{
	r->status = status;
	buf_reset(&r->out);
	if (buf_append(&r->out, json, len)) {
		r->status = 500;
		buf_reset(&r->out);
		buf_puts(&r->out, "{\"error\":{\"code\":\"internal\",\"message\":\"reply too large\"}}");
	}
}

const struct http_error_row http_errors[HE__COUNT] = {
#define HTTP_ERROR_ROW(id, code, status, meaning) { code, status, meaning },
	HTTP_ERRORS(HTTP_ERROR_ROW)
#undef HTTP_ERROR_ROW
};

const struct http_error_row *http_error_find(const char *code)
{
	for (size_t i = 0; i < HE__COUNT; i++)
		if (!strcmp(http_errors[i].code, code))
			return &http_errors[i];
	return NULL;
}

void http_fail(struct http_req *r, enum http_error_id e, const char *fmt, ...)
{
	const struct http_error_row *row = &http_errors[e < HE__COUNT ? e : HE_INTERNAL];
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->status = row->status;
	buf_reset(&r->out);
	buf_puts(&r->out, "{\"error\":{\"code\":");
	buf_json_str(&r->out, row->code);
	buf_puts(&r->out, ",\"message\":");
	buf_json_str(&r->out, msg);
	buf_puts(&r->out, "}}");
}

void http_werr(struct http_req *r, enum werr err, const char *message)
{
	enum http_error_id e;

	switch (err) {
	case WERR_INVALID: e = HE_INVALID; break;
	case WERR_UNAUTHORIZED: e = HE_UNAUTHORIZED; break;
	case WERR_FORBIDDEN: e = HE_FORBIDDEN; break;
	case WERR_NOT_FOUND: e = HE_NOT_FOUND; break;
	case WERR_EXISTS: e = HE_EXISTS; break;
	case WERR_TOO_LARGE: e = HE_TOO_LARGE; break;
	case WERR_UNSUPPORTED: e = HE_UNSUPPORTED; break;
	case WERR_NOMEM: e = HE_OUT_OF_MEMORY; break;
	case WERR_IO: e = HE_IO_ERROR; break;
	case WERR_DB: e = HE_STORAGE_ERROR; break;
	case WERR_BUSY: e = HE_BUSY; break;
	case WERR_SHUTDOWN: e = HE_SHUTTING_DOWN; break;
	case WERR_STORAGE_FULL: e = HE_STORAGE_FULL; break;
	case WERR_STORAGE_DOWN: e = HE_STORAGE_UNAVAILABLE; break;
	default: e = HE_INTERNAL; break;
	}
	if (e == HE_BUSY || e == HE_SHUTTING_DOWN)
		r->retry_after = "1";
	else if (e == HE_STORAGE_FULL || e == HE_STORAGE_UNAVAILABLE)
		r->retry_after = "30"; /* an operator frees space or fixes a mount: not a second */
	http_fail(r, e, "%s", message ? message : http_errors[e].code);
}

const char *http_query(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *http_header(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *http_cookie(struct http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

bool http_is_get(const struct http_req *r)
{
	return !strcmp(r->method, "GET") || !strcmp(r->method, "HEAD");
}

void http_client_ip(struct http_req *r, char out[64])
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	out[0] = '\0';
	if (!sa)
		return;
	if (sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, out, 64);
	else if (sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, out, 64);
}

enum werr http_add_header(struct http_req *r, const char *name, const char *value)
{
	char *n, *v;

	if (r->nheaders == HTTP_MAX_HEADERS)
		return WERR_TOO_LARGE;
	n = strdup(name);
	v = strdup(value);
	if (!n || !v) {
		free(n);
		free(v);
		return WERR_NOMEM;
	}
	r->headers[r->nheaders].name = n;
	r->headers[r->nheaders].value = v;
	r->nheaders++;
	return WERR_OK;
}

bool http_query_limit(struct http_req *r, int def, int max, int *out)
{
	const char *v = http_query(r, "limit");
	long n;

	*out = def;
	if (!v)
		return true;
	if (!num_parse(v, 1, max, &n)) {
		http_fail(r, HE_INVALID_QUERY, "'limit' must be from 1 to %d", max);
		return false;
	}
	*out = (int)n;
	return true;
}

size_t http_form_decode(const char *s, size_t len, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t k = 0; k < len && o + 1 < cap; k++) {
		char ch = s[k];
		if (ch == '+') {
			ch = ' ';
		} else if (ch == '%' && k + 2 < len && crypto_hex_digit(s[k + 1]) >= 0 &&
			   crypto_hex_digit(s[k + 2]) >= 0) {
			ch = (char)(crypto_hex_digit(s[k + 1]) * 16 + crypto_hex_digit(s[k + 2]));
			k += 2;
		}
		if (ch != '\0')
			out[o++] = ch;
	}
	if (cap)
		out[o] = '\0';
	return o;
}
