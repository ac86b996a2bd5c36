/* backend.c - what every storage backend computes alike (contract in backend.h). */
#include "backend.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/walloc.h"
#include "../core/outbox.h"
#include "../base/banned.h"

void be_raw_digest(const char *source, const void *body, size_t len, char out[SHA256_HEX_LEN + 1])
{
	size_t sl = source ? strlen(source) : 0;
	char *p = wmalloc(sl + 1 + len);

	if (sl)
		memcpy(p, source, sl);
	p[sl] = '\0';
	if (len)
		memcpy(p + sl + 1, body, len);
	crypto_sha256_hex(p, sl + 1 + len, out);
	free(p);
}

void be_cursor_encode(char out[160], int64_t updated_at, const char *order)
{
	static const char hex[] = "0123456789abcdef";
	size_t at, i, n = strnlen(order, EV_ORDER_MAX);

	at = (size_t)snprintf(out, 160, "%" PRId64 ":", updated_at);
	for (i = 0; i < n && at + 2 < 160; i++) {
		out[at++] = hex[(unsigned char)order[i] >> 4];
		out[at++] = hex[(unsigned char)order[i] & 15];
	}
	out[at] = '\0';
}

bool be_cursor_decode(const char *cur, int64_t *updated_at, char order[EV_ORDER_MAX + 1])
{
	const char *p;
	char *end;
	long long v;
	size_t n, i;
	int hi, lo;

	if (!(*cur == '-' || (*cur >= '0' && *cur <= '9')))
		return false;
	errno = 0;
	v = strtoll(cur, &end, 10);
	if (errno || end == cur || *end != ':')
		return false;
	p = end + 1;
	n = strlen(p);
	if (n == 0 || n % 2 || n / 2 > EV_ORDER_MAX)
		return false;
	for (i = 0; i < n / 2; i++) {
		hi = crypto_hex_digit(p[2 * i]);
		lo = crypto_hex_digit(p[2 * i + 1]);
		if (hi < 0 || lo < 0 || (hi == 0 && lo == 0))
			return false;
		order[i] = (char)(hi << 4 | lo);
	}
	order[n / 2] = '\0';
	*updated_at = v;
	return true;
}

bool be_outbox_plannable(const char *state)
{
	int to = outbox_state_from_name(state);

	return to >= 0 && outbox_move_ok(OUTBOX_PLAN, OUTBOX_NEW, (enum outbox_state)to);
}

bool be_has_package(const struct order_state *o, const char *tracking)
{
	for (size_t i = 0; i < o->npackages; i++)
		if (!strcmp(o->packages[i].tracking, tracking))
			return true;
	return false;
}

enum ev_status be_status_of(const char *name)
{
	int s = ev_status_from_name(name);

	return s < 0 ? EV_UNKNOWN : (enum ev_status)s;
}

enum werr be_add_order(char (**orders)[EV_ORDER_MAX + 1], size_t *n, const char *order)
{
	char (*p)[EV_ORDER_MAX + 1];

	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*orders)[i], order))
			return WERR_OK;
	if (!(p = realloc(*orders, (*n + 1) * sizeof(**orders))))
		return WERR_NOMEM;
	*orders = p;
	snprintf(p[*n], sizeof(p[0]), "%s", order);
	(*n)++;
	return WERR_OK;
}
