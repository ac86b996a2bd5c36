/*
 * adapter.c - what every adapter shares: growing the output, failing with a
 * reason, reading time stamps, checking HMAC signatures.
 */
#include "adapter.h"
#include "declared.h"
#include "mapping.h"

#include <cjson/cJSON.h>
#include <math.h>
#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/crypto.h"
#include "../base/text.h"
#include "../base/wtime.h"
#include "detect.h"
#include "zones.h"
#include "../base/banned.h"

struct event *adapter_push(struct adapter_out *out, const struct adapter_env *env)
{
	struct event *ev;

	if (out->nevents == out->evcap) {
		size_t cap = out->evcap ? out->evcap * 2 : 8;
		struct event *p = realloc(out->events, cap * sizeof(*p));
		if (!p)
			return NULL;
		out->events = p;
		out->evcap = cap;
	}
	ev = &out->events[out->nevents++];
	event_init(ev);
	if (env && env->source)
		EVENT_SET(ev->source, env->source);
	return ev;
}

void adapter_pop(struct adapter_out *out)
{
	if (out->nevents)
		event_release(&out->events[--out->nevents]);
}

enum werr adapter_alias(struct adapter_out *out, const char *ref, const char *order, const char *package,
			const char *carrier)
{
	struct adapter_alias *a;

	if (out->naliases == out->alcap) {
		size_t cap = out->alcap ? out->alcap * 2 : 4;
		struct adapter_alias *p = realloc(out->aliases, cap * sizeof(*p));
		if (!p)
			return WERR_NOMEM;
		out->aliases = p;
		out->alcap = cap;
	}
	a = &out->aliases[out->naliases];
	memset(a, 0, sizeof(*a));
	if (event_set_str(a->ref, sizeof(a->ref), ref ? ref : "") ||
	    event_set_str(a->order, sizeof(a->order), order ? order : "") ||
	    event_set_str(a->package, sizeof(a->package), package ? package : "") ||
	    event_set_str(a->carrier, sizeof(a->carrier), carrier ? carrier : ""))
		return WERR_TOO_LARGE;
	if (!a->ref[0] || (!a->order[0] && !a->package[0]))
		return WERR_INVALID;
	out->naliases++;
	return WERR_OK;
}

enum werr adapter_fail(struct adapter_out *out, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(out->reason, sizeof(out->reason), fmt, ap);
	va_end(ap);
	return WERR_INVALID;
}

const char *adapter_json_str(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsString(v) && v->valuestring[0] ? v->valuestring : NULL;
}

bool adapter_json_has(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItemCaseSensitive(o, key) != NULL;
}

const cJSON *adapter_json_arr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsArray(v) ? v : NULL;
}

const cJSON *adapter_json_obj(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);
	return cJSON_IsObject(v) ? v : NULL;
}

enum werr adapter_set_id(struct adapter_out *out, struct event *ev, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(ev->id, sizeof(ev->id), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(ev->id))
		return adapter_fail(out, "event id '%.40s...' is longer than %d bytes", ev->id, EV_ID_MAX);
	return WERR_OK;
}

bool adapter_proof_url(struct event_proof *pr, const char *url)
{
	static const char scheme[] = "https://";
	const size_t slen = sizeof(scheme) - 1;
	size_t n;

	if (!url || strncasecmp(url, scheme, slen))
		return false;
	n = strlen(url);
	if (n == slen || n > EV_URL_MAX)
		return false; /* nothing after the scheme, or a link that would be cut */
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)url[i] <= ' ' || url[i] == 0x7f)
			return false;
	memcpy(pr->url, scheme, slen);
	memcpy(pr->url + slen, url + slen, n - slen + 1);
	return true;
}

bool adapter_proof_geo(struct event_proof *pr, double lat, double lng)
{
	/* !(x <= y) also refuses NaN */
	if (!(fabs(lat) <= 90) || !(fabs(lng) <= 180))
		return false;
	pr->has_geo = true;
	pr->lat = lat;
	pr->lng = lng;
	return true;
}

struct event *adapter_newest_with(struct adapter_out *out, size_t from, enum ev_status s)
{
	struct event *best = NULL;

	for (size_t i = from; i < out->nevents; i++)
		if (out->events[i].status == s && (!best || out->events[i].occurred_at >= best->occurred_at))
			best = &out->events[i];
	return best;
}

void adapter_set_text(char *field, size_t cap, const char *s)
{
	size_t n = 0;

	field[0] = '\0';
	if (!s)
		return;
	while (s[n] && n < cap - 1)
		n++;
	if (s[n])
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
	for (size_t i = 0; i < n; i++) {
		unsigned char ch = (unsigned char)s[i];
		field[i] = (ch < 0x20 || ch == 0x7f) ? ' ' : (char)ch;
	}
	field[n] = '\0';
}

void adapter_set_contact(char *field, size_t cap, const char *s)
{
	field[0] = '\0';
	if (!s)
		return;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			return;
	(void)event_set_str(field, cap, s);
}

void adapter_out_free(struct adapter_out *out)
{
	for (size_t i = 0; i < out->nevents; i++)
		event_release(&out->events[i]);
	free(out->events);
	free(out->aliases);
	memset(out, 0, sizeof(*out));
}

bool adapter_time(const struct adapter_env *env, const char *s, const char *country, const char *region,
		  int64_t *ms, bool *local_guess)
{
	const char *zone = NULL;
	int64_t t;

	if (local_guess)
		*local_guess = false;
	switch (wtime_parse(s, 0, &t)) {
	case WTIME_OK:
		*ms = t;
		return true;
	case WTIME_NO_OFFSET:
		break;
	default:
		return false;
	}
	if (env && env->zones)
		zone = zones_lookup(env->zones, country ? country : "", region ? region : "");
	if (zone && zones_to_utc(env->zones, zone, t, ms) == WERR_OK)
		return *ms > 0;
	if (local_guess)
		*local_guess = true;
	*ms = t;
	return true;
}

static void hmac(const char *secret, const void *body, size_t len, unsigned char mac[32])
{
	crypto_hmac_sha256(secret, strlen(secret), body, len, mac);
}

bool sig_hmac_b64_ok(const char *secret, const void *body, size_t len, const char *header)
{
	unsigned char mac[32];
	unsigned char b64[48];

	if (!secret || !secret[0] || !header)
		return false;
	hmac(secret, body, len, mac);
	int n = EVP_EncodeBlock(b64, mac, 32);
	return crypto_equal(b64, (size_t)n, header, strlen(header)) == 1;
}

bool sig_hmac_hex_ok(const char *secret, const void *body, size_t len, const char *header)
{
	unsigned char mac[32];
	char hex[65], low[65];
	size_t n;

	if (!secret || !secret[0] || !header)
		return false;
	n = strlen(header);
	if (n != 64)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = header[i];
		low[i] = (c >= 'A' && c <= 'F') ? (char)(c - 'A' + 'a') : c;
	}
	low[64] = '\0';
	hmac(secret, body, len, mac);
	crypto_hex(mac, 32, hex);
	return crypto_equal(hex, 64, low, 64) == 1;
}

static void generic_mac(const char *secret, const char *ts, const void *body, size_t len, char hex[65])
{
	unsigned char mac[32];
	size_t tslen = strlen(ts);
	unsigned char *msg = malloc(tslen + 1 + len + 1);

	if (!msg) {
		hex[0] = '\0';
		return;
	}
	memcpy(msg, ts, tslen);
	msg[tslen] = '.';
	if (len)
		memcpy(msg + tslen + 1, body, len);
	crypto_hmac_sha256(secret, strlen(secret), msg, tslen + 1 + len, mac);
	free(msg);
	crypto_hex(mac, 32, hex);
}

enum werr sig_generic_check(const char *secret, const void *body, size_t len, const char *timestamp,
			    const char *signature, int64_t now_ms, char *why, size_t whycap)
{
	char hex[65];
	char *end = NULL;
	long long ts;

	if (!secret || !secret[0]) {
		snprintf(why, whycap, "no secret is configured for this source");
		return WERR_UNAUTHORIZED;
	}
	if (!timestamp || !signature) {
		snprintf(why, whycap, "missing %s", !timestamp ? "X-Wismo-Timestamp" : "X-Wismo-Signature");
		return WERR_UNAUTHORIZED;
	}
	ts = strtoll(timestamp, &end, 10);
	if (!*timestamp || *end || ts <= 0) {
		snprintf(why, whycap, "X-Wismo-Timestamp is not unix seconds");
		return WERR_UNAUTHORIZED;
	}
	if (ts * 1000 < now_ms - SIG_GENERIC_WINDOW_S * 1000LL || ts * 1000 > now_ms + SIG_GENERIC_WINDOW_S * 1000LL) {
		snprintf(why, whycap, "X-Wismo-Timestamp is more than %d s away from now", SIG_GENERIC_WINDOW_S);
		return WERR_UNAUTHORIZED;
	}
	if (strncmp(signature, "sha256=", 7) || strlen(signature + 7) != 64) {
		snprintf(why, whycap, "X-Wismo-Signature must be sha256=<64 hex digits>");
		return WERR_UNAUTHORIZED;
	}
	generic_mac(secret, timestamp, body, len, hex);
	if (crypto_equal(hex, 64, signature + 7, 64) != 1) {
		snprintf(why, whycap, "signature mismatch");
		return WERR_UNAUTHORIZED;
	}
	return WERR_OK;
}

void sig_generic_sign(const char *secret, const void *body, size_t len, int64_t now_ms, char ts[24], char sig[80])
{
	char hex[65];

	snprintf(ts, 24, "%lld", (long long)(now_ms / 1000));
	generic_mac(secret, ts, body, len, hex);
	snprintf(sig, 80, "sha256=%s", hex);
}

void adapter_event_key(const struct mappings *m, struct event *ev)
{
	/* a parcel whose source named no carrier: tell it from the number */
	if (ev->package[0] && !ev->carrier[0]) {
		const char *c = carrier_detect(ev->package);
		if (!c)
			c = mappings_detect_carrier(m, ev->package);
		if (c)
			EVENT_SET(ev->carrier, c);
	}
	char material[1024];
	char hex[SHA256_HEX_LEN + 1];
	size_t n = event_key_material(ev, material, sizeof(material));

	crypto_sha256_hex(material, n < sizeof(material) ? n : sizeof(material), hex);
	memcpy(ev->key, event_key_prefix(ev), 2);
	memcpy(ev->key + 2, hex, 32);
	ev->key[34] = '\0';
}

enum werr adapter_parse(const struct adapter *ad, const struct adapter_env *env, const struct hook_request *rq,
			struct adapter_out *out)
{
	enum text_fault tf;
	size_t at = 0, i = 0;
	enum werr e;

	while (i < rq->len && (rq->body[i] == ' ' || rq->body[i] == '\t' || rq->body[i] == '\r' || rq->body[i] == '\n'))
		i++;
	tf = text_check(rq->body, rq->len, i < rq->len && (rq->body[i] == '{' || rq->body[i] == '['), &at);
	if (tf)
		return adapter_fail(out, "the body %s (byte %zu)", text_fault_name(tf), at);
	if ((e = ad->decl ? decl_parse(ad->decl, env, rq, out) : ad->parse(env, rq, out)))
		return e;
	/* codes first, then the source's words where its code is coarse (mapping.h) */
	for (size_t k = 0; env->maps && k < out->nevents; k++)
		mapping_refine_text(env->maps, ad->name, &out->events[k]);
	return WERR_OK;
}
