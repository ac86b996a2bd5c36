/*
 * carrier_scan.c - one carrier scan -> one normalized event, the same way for
 * UPS, FedEx, USPS and DHL (see carrier_scan.h for the shape of the event).
 */
#include "carrier_scan.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../base/crypto.h"
#include "../base/wtime.h"
#include "mapping.h"
#include "../base/banned.h"

static bool is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

void carrier_scan_text(char *dst, size_t cap, const char *src)
{
	size_t n = 0;
	bool pending_space = false;

	if (!cap)
		return;
	dst[0] = '\0';
	if (!src)
		return;
	for (const unsigned char *p = (const unsigned char *)src; *p; p++) {
		if (is_space(*p)) {
			pending_space = n > 0;
			continue;
		}
		if (pending_space) {
			if (n + 1 >= cap)
				break;
			dst[n++] = ' ';
			pending_space = false;
		}
		if (n + 1 >= cap)
			break;
		dst[n++] = (char)*p;
	}
	/* Never leave half a UTF-8 sequence at a cut: drop trailing continuation
	 * bytes and the lead byte they belong to when the sequence is short. */
	if (n) {
		size_t i = n;
		while (i > 0 && ((unsigned char)dst[i - 1] & 0xC0) == 0x80)
			i--;
		if (i > 0 && ((unsigned char)dst[i - 1] & 0x80)) {
			unsigned char lead = (unsigned char)dst[i - 1];
			size_t want = (lead & 0xE0) == 0xC0 ? 2 : (lead & 0xF0) == 0xE0 ? 3 : (lead & 0xF8) == 0xF0 ? 4 : 1;
			if (n - (i - 1) < want)
				n = i - 1;
		}
	}
	dst[n] = '\0';
}

const char *carrier_scan_str(const cJSON *obj, const char *name)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : "";
}

bool carrier_scan_id(const cJSON *obj, const char *name, char *out, size_t cap)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, name);

	out[0] = '\0';
	if (cJSON_IsString(v) && v->valuestring) {
		if (strlen(v->valuestring) >= cap)
			return false;
		carrier_scan_text(out, cap, v->valuestring);
		return out[0] != '\0';
	}
	if (cJSON_IsNumber(v)) {
		double d = v->valuedouble;
		/* Above 2^53 a double no longer holds every integer: the id would be
		 * silently another one. */
		if (d < 0 || d != floor(d) || d >= 9007199254740992.0)
			return false;
		snprintf(out, cap, "%.0f", d);
		return true;
	}
	return false;
}

static const char *nz(const char *s)
{
	return s ? s : "";
}

bool carrier_scan_time(const struct adapter_env *env, const char *iso, const struct scan_places *pl, int64_t *at,
		       char *note, size_t cap)
{
	const char *country = nz(pl->country), *region = nz(pl->region), *home = nz(pl->home);
	const struct {
		const char *country, *region, *why;
	} tries[] = {
		{ country[0] ? country : region[0] ? home : "", region, NULL },
		{ nz(pl->dest), "", "the parcel's destination" },
		{ nz(pl->orig), "", "the parcel's origin" },
		{ home, "", "the carrier's country" },
	};
	int64_t local;
	bool guess = false;

	note[0] = '\0';
	if (wtime_parse(iso, 0, &local) != WTIME_NO_OFFSET)
		return adapter_time(env, iso, NULL, NULL, at, NULL);
	for (size_t i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		if (!tries[i].country[0])
			continue;
		if (!adapter_time(env, iso, tries[i].country, tries[i].region, at, &guess))
			return false;
		if (!guess) {
			if (tries[i].why)
				snprintf(note, cap, "(local time read in %s, %s)", tries[i].country, tries[i].why);
			return true;
		}
	}
	if (!adapter_time(env, iso, NULL, NULL, at, NULL))
		return false;
	snprintf(note, cap, "(local time, zone unknown: read as UTC)");
	return true;
}

enum werr carrier_scan_emit(const struct adapter_env *env, struct adapter_out *out, const struct carrier_scan *s)
{
	char tracking[EV_PACKAGE_MAX + 2];
	char when[WTIME_BUFSZ];
	const char *code = s->code ? s->code : "";
	const char *table = s->table ? s->table : s->carrier;
	struct event *ev;
	bool hit;
	int n;

	carrier_scan_text(tracking, sizeof(tracking), s->tracking);
	if (!tracking[0])
		return adapter_fail(out, "%s: a scan without a tracking number", s->carrier);
	if (strlen(tracking) > EV_PACKAGE_MAX)
		return adapter_fail(out, "%s: tracking number longer than %d characters", s->carrier, EV_PACKAGE_MAX);
	if (s->at <= 0)
		return adapter_fail(out, "%s: scan of %s without a valid time", s->carrier, tracking);

	ev = adapter_push(out, env);
	if (!ev)
		return WERR_NOMEM;
	EVENT_SET(ev->package, tracking);
	EVENT_SET(ev->carrier, s->carrier);
	ev->occurred_at = s->at;
	ev->estimated_delivery = s->estimated;
	if (s->note && s->note[0]) {
		char both[EV_DESC_MAX * 2 + 2];
		snprintf(both, sizeof(both), "%s %s", s->description ? s->description : "", s->note);
		carrier_scan_text(ev->description, sizeof(ev->description), both);
	} else {
		carrier_scan_text(ev->description, sizeof(ev->description), s->description);
	}
	carrier_scan_text(ev->location.city, sizeof(ev->location.city), s->city);
	carrier_scan_text(ev->location.region, sizeof(ev->location.region), s->region);
	carrier_scan_text(ev->location.country, sizeof(ev->location.country), s->country);

	hit = mapping_apply(env->maps, table, code, NULL, ev);
	if (!hit && s->fallback && s->fallback[0] && strcmp(s->fallback, code)) {
		/* The coarse code decides the status, but the event keeps the most
		 * specific one so that people (and the unmapped list) see it. */
		mapping_apply(env->maps, table, s->fallback, NULL, ev);
		carrier_scan_text(ev->code, sizeof(ev->code), code[0] ? code : s->fallback);
	}

	n = snprintf(ev->id, sizeof(ev->id), "%s:%s:%s:%s", s->carrier, tracking, wtime_format(s->at, when), ev->code);
	if (n > 0 && (size_t)n >= sizeof(ev->id)) {
		char hex[SHA256_HEX_LEN + 1];
		crypto_sha256_hex(ev->code, strlen(ev->code), hex);
		n = snprintf(ev->id, sizeof(ev->id), "%s:%s:%s:h%.16s", s->carrier, tracking, wtime_format(s->at, when),
			     hex);
	}
	if (n < 0 || (size_t)n >= sizeof(ev->id)) {
		adapter_pop(out);
		return adapter_fail(out, "%s: event id for %s is longer than %d characters", s->carrier, tracking,
				    EV_ID_MAX);
	}
	return WERR_OK;
}
