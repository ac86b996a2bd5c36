/*
 * aggregator.c - helpers shared by the aggregator adapters; see aggregator.h.
 */
#include "aggregator.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/text.h"
#include "../base/crypto.h"
#include "../base/wtime.h"
#include "mapping.h"
#include "../base/banned.h"

enum werr agg_parse_object(const struct hook_request *rq, struct adapter_out *out, cJSON **root)
{
	cJSON *j;

	*root = NULL;
	if (!rq->body || !rq->len)
		return adapter_fail(out, "body is empty");
	j = text_json_one(rq->body, rq->len, NULL);
	if (!j)
		return adapter_fail(out, "body is not JSON");
	if (!cJSON_IsObject(j)) {
		cJSON_Delete(j);
		return adapter_fail(out, "body is not a JSON object");
	}
	*root = j;
	return WERR_OK;
}

const char *agg_str(const cJSON *obj, const char *key)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	return cJSON_IsString(v) && v->valuestring ? v->valuestring : NULL;
}

const char *agg_strz(const cJSON *obj, const char *key)
{
	const char *s = agg_str(obj, key);
	return s ? s : "";
}

const cJSON *agg_obj(const cJSON *obj, const char *key)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	return cJSON_IsObject(v) ? v : NULL;
}

bool agg_scalar(const cJSON *obj, const char *key, char *out, size_t cap)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	out[0] = '\0';
	if (cJSON_IsString(v) && v->valuestring) {
		agg_copy_cut(out, cap, v->valuestring);
		return out[0] != '\0';
	}
	/* cJSON keeps numbers as doubles: only an exact integer below 2^53 is
	 * surely the number the source wrote. */
	if (cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
	    fabs(v->valuedouble) < 9007199254740992.0) {
		snprintf(out, cap, "%.0f", v->valuedouble);
		return true;
	}
	return false;
}

enum werr agg_tracking(const cJSON *obj, const char *key, char out[EV_PACKAGE_MAX + 1], struct adapter_out *ao)
{
	const cJSON *v = obj ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;

	out[0] = '\0';
	if (!v || cJSON_IsNull(v))
		return WERR_OK;
	if (cJSON_IsString(v)) {
		if (strlen(v->valuestring) > EV_PACKAGE_MAX)
			return adapter_fail(ao, "%s is longer than %d characters", key, EV_PACKAGE_MAX);
		memcpy(out, v->valuestring, strlen(v->valuestring) + 1);
		return WERR_OK;
	}
	if (cJSON_IsNumber(v)) {
		if (v->valuedouble != floor(v->valuedouble) || v->valuedouble < 0)
			return adapter_fail(ao, "%s is a number that is not a whole one", key);
		if (v->valuedouble >= 9007199254740992.0)
			return adapter_fail(ao, "%s is a JSON number too large to read exactly: send it as a string", key);
		snprintf(out, EV_PACKAGE_MAX + 1, "%.0f", v->valuedouble);
		return WERR_OK;
	}
	return adapter_fail(ao, "%s is neither a string nor a number", key);
}

void agg_copy_cut(char *field, size_t cap, const char *src)
{
	size_t n;

	if (!cap)
		return;
	src = src ? src : "";
	n = strlen(src);
	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--; /* do not cut a UTF-8 sequence */
	}
	memcpy(field, src, n);
	field[n] = '\0';
}

void agg_set_id(struct event *ev, const char *prefix, const char *natural)
{
	char hex[SHA256_HEX_LEN + 1];

	if (strlen(natural) <= EV_ID_MAX) {
		EVENT_SET(ev->id, natural);
		return;
	}
	crypto_sha256_hex(natural, strlen(natural), hex);
	snprintf(ev->id, sizeof(ev->id), "%s:h:%.40s", prefix, hex);
}

bool agg_map(const struct adapter_env *env, const char *table, const char *const *codes, size_t n,
	     const char *description, struct event *ev)
{
	const char *finest = NULL;

	for (size_t i = 0; i < n; i++) {
		struct event probe;

		if (!codes[i] || !codes[i][0])
			continue;
		if (!finest)
			finest = codes[i];
		/* mapping_apply writes whatever it finds: probe first, so a miss
		 * on the finer code leaves nothing behind on ev. */
		event_init(&probe);
		if (!mapping_apply(env->maps, table, codes[i], NULL, &probe))
			continue;
		mapping_apply(env->maps, table, codes[i], description, ev);
		AGG_SET_CUT(ev->code, finest);
		return true;
	}
	mapping_apply(env->maps, table, finest ? finest : "", description, ev);
	return false;
}

struct country {
	char a3[4], a2[3];
};

/* ISO 3166-1, sorted by alpha-3 (generated from Debian's iso-codes). */
static const struct country countries[] = {
	{ "ABW", "AW" }, { "AFG", "AF" }, { "AGO", "AO" }, { "AIA", "AI" }, { "ALA", "AX" }, { "ALB", "AL" },
	{ "AND", "AD" }, { "ARE", "AE" }, { "ARG", "AR" }, { "ARM", "AM" }, { "ASM", "AS" }, { "ATA", "AQ" },
	{ "ATF", "TF" }, { "ATG", "AG" }, { "AUS", "AU" }, { "AUT", "AT" }, { "AZE", "AZ" }, { "BDI", "BI" },
	{ "BEL", "BE" }, { "BEN", "BJ" }, { "BES", "BQ" }, { "BFA", "BF" }, { "BGD", "BD" }, { "BGR", "BG" },
	{ "BHR", "BH" }, { "BHS", "BS" }, { "BIH", "BA" }, { "BLM", "BL" }, { "BLR", "BY" }, { "BLZ", "BZ" },
	{ "BMU", "BM" }, { "BOL", "BO" }, { "BRA", "BR" }, { "BRB", "BB" }, { "BRN", "BN" }, { "BTN", "BT" },
	{ "BVT", "BV" }, { "BWA", "BW" }, { "CAF", "CF" }, { "CAN", "CA" }, { "CCK", "CC" }, { "CHE", "CH" },
	{ "CHL", "CL" }, { "CHN", "CN" }, { "CIV", "CI" }, { "CMR", "CM" }, { "COD", "CD" }, { "COG", "CG" },
	{ "COK", "CK" }, { "COL", "CO" }, { "COM", "KM" }, { "CPV", "CV" }, { "CRI", "CR" }, { "CUB", "CU" },
	{ "CUW", "CW" }, { "CXR", "CX" }, { "CYM", "KY" }, { "CYP", "CY" }, { "CZE", "CZ" }, { "DEU", "DE" },
	{ "DJI", "DJ" }, { "DMA", "DM" }, { "DNK", "DK" }, { "DOM", "DO" }, { "DZA", "DZ" }, { "ECU", "EC" },
	{ "EGY", "EG" }, { "ERI", "ER" }, { "ESH", "EH" }, { "ESP", "ES" }, { "EST", "EE" }, { "ETH", "ET" },
	{ "FIN", "FI" }, { "FJI", "FJ" }, { "FLK", "FK" }, { "FRA", "FR" }, { "FRO", "FO" }, { "FSM", "FM" },
	{ "GAB", "GA" }, { "GBR", "GB" }, { "GEO", "GE" }, { "GGY", "GG" }, { "GHA", "GH" }, { "GIB", "GI" },
	{ "GIN", "GN" }, { "GLP", "GP" }, { "GMB", "GM" }, { "GNB", "GW" }, { "GNQ", "GQ" }, { "GRC", "GR" },
	{ "GRD", "GD" }, { "GRL", "GL" }, { "GTM", "GT" }, { "GUF", "GF" }, { "GUM", "GU" }, { "GUY", "GY" },
	{ "HKG", "HK" }, { "HMD", "HM" }, { "HND", "HN" }, { "HRV", "HR" }, { "HTI", "HT" }, { "HUN", "HU" },
	{ "IDN", "ID" }, { "IMN", "IM" }, { "IND", "IN" }, { "IOT", "IO" }, { "IRL", "IE" }, { "IRN", "IR" },
	{ "IRQ", "IQ" }, { "ISL", "IS" }, { "ISR", "IL" }, { "ITA", "IT" }, { "JAM", "JM" }, { "JEY", "JE" },
	{ "JOR", "JO" }, { "JPN", "JP" }, { "KAZ", "KZ" }, { "KEN", "KE" }, { "KGZ", "KG" }, { "KHM", "KH" },
	{ "KIR", "KI" }, { "KNA", "KN" }, { "KOR", "KR" }, { "KWT", "KW" }, { "LAO", "LA" }, { "LBN", "LB" },
	{ "LBR", "LR" }, { "LBY", "LY" }, { "LCA", "LC" }, { "LIE", "LI" }, { "LKA", "LK" }, { "LSO", "LS" },
	{ "LTU", "LT" }, { "LUX", "LU" }, { "LVA", "LV" }, { "MAC", "MO" }, { "MAF", "MF" }, { "MAR", "MA" },
	{ "MCO", "MC" }, { "MDA", "MD" }, { "MDG", "MG" }, { "MDV", "MV" }, { "MEX", "MX" }, { "MHL", "MH" },
	{ "MKD", "MK" }, { "MLI", "ML" }, { "MLT", "MT" }, { "MMR", "MM" }, { "MNE", "ME" }, { "MNG", "MN" },
	{ "MNP", "MP" }, { "MOZ", "MZ" }, { "MRT", "MR" }, { "MSR", "MS" }, { "MTQ", "MQ" }, { "MUS", "MU" },
	{ "MWI", "MW" }, { "MYS", "MY" }, { "MYT", "YT" }, { "NAM", "NA" }, { "NCL", "NC" }, { "NER", "NE" },
	{ "NFK", "NF" }, { "NGA", "NG" }, { "NIC", "NI" }, { "NIU", "NU" }, { "NLD", "NL" }, { "NOR", "NO" },
	{ "NPL", "NP" }, { "NRU", "NR" }, { "NZL", "NZ" }, { "OMN", "OM" }, { "PAK", "PK" }, { "PAN", "PA" },
	{ "PCN", "PN" }, { "PER", "PE" }, { "PHL", "PH" }, { "PLW", "PW" }, { "PNG", "PG" }, { "POL", "PL" },
	{ "PRI", "PR" }, { "PRK", "KP" }, { "PRT", "PT" }, { "PRY", "PY" }, { "PSE", "PS" }, { "PYF", "PF" },
	{ "QAT", "QA" }, { "REU", "RE" }, { "ROU", "RO" }, { "RUS", "RU" }, { "RWA", "RW" }, { "SAU", "SA" },
	{ "SDN", "SD" }, { "SEN", "SN" }, { "SGP", "SG" }, { "SGS", "GS" }, { "SHN", "SH" }, { "SJM", "SJ" },
	{ "SLB", "SB" }, { "SLE", "SL" }, { "SLV", "SV" }, { "SMR", "SM" }, { "SOM", "SO" }, { "SPM", "PM" },
	{ "SRB", "RS" }, { "SSD", "SS" }, { "STP", "ST" }, { "SUR", "SR" }, { "SVK", "SK" }, { "SVN", "SI" },
	{ "SWE", "SE" }, { "SWZ", "SZ" }, { "SXM", "SX" }, { "SYC", "SC" }, { "SYR", "SY" }, { "TCA", "TC" },
	{ "TCD", "TD" }, { "TGO", "TG" }, { "THA", "TH" }, { "TJK", "TJ" }, { "TKL", "TK" }, { "TKM", "TM" },
	{ "TLS", "TL" }, { "TON", "TO" }, { "TTO", "TT" }, { "TUN", "TN" }, { "TUR", "TR" }, { "TUV", "TV" },
	{ "TWN", "TW" }, { "TZA", "TZ" }, { "UGA", "UG" }, { "UKR", "UA" }, { "UMI", "UM" }, { "URY", "UY" },
	{ "USA", "US" }, { "UZB", "UZ" }, { "VAT", "VA" }, { "VCT", "VC" }, { "VEN", "VE" }, { "VGB", "VG" },
	{ "VIR", "VI" }, { "VNM", "VN" }, { "VUT", "VU" }, { "WLF", "WF" }, { "WSM", "WS" }, { "YEM", "YE" },
	{ "ZAF", "ZA" }, { "ZMB", "ZM" }, { "ZWE", "ZW" },
};

static int country_cmp(const void *k, const void *e)
{
	return strcasecmp(k, ((const struct country *)e)->a3);
}

const char *agg_country_iso2(const char *country)
{
	const struct country *c;

	if (!country || strlen(country) != 3)
		return country ? country : "";
	c = bsearch(country, countries, sizeof(countries) / sizeof(countries[0]), sizeof(countries[0]),
		    country_cmp);
	return c ? c->a2 : country;
}

bool agg_estimate(const struct adapter_env *env, const char *s, const char *country, const char *region,
		  int64_t *ms)
{
	int64_t t;

	if (!s || !s[0])
		return false;
	switch (wtime_parse(s, WTIME_FLAG_DATE_OK, &t)) {
	case WTIME_OK:
		*ms = t;
		return true;
	case WTIME_NO_OFFSET:
		return adapter_time(env, s, country, region, ms, NULL);
	default:
		return false;
	}
}

static bool word_at(const char **p, const char *word)
{
	size_t n = strlen(word);

	if (strncasecmp(*p, word, n))
		return false;
	*p += n;
	return true;
}

static void skip_space(const char **p)
{
	while (**p == ' ' || **p == '\t')
		(*p)++;
}

bool agg_order_from_text(const char *text, char *out, size_t cap)
{
	const char *p = text ? text : "";
	const char *start;
	bool digit = false, lead = false;
	size_t n;

	out[0] = '\0';
	skip_space(&p);
	if (word_at(&p, "order")) {
		lead = true;
		skip_space(&p);
		if (word_at(&p, "number") || word_at(&p, "no.") || word_at(&p, "no "))
			skip_space(&p);
		if (*p == ':') {
			p++;
			skip_space(&p);
		}
	}
	if (*p == '#') {
		lead = true;
		p++;
		skip_space(&p);
	}
	if (!lead)
		return false;
	start = p;
	while (isalnum((unsigned char)*p) || *p == '-' || *p == '_' || *p == '.') {
		digit |= isdigit((unsigned char)*p) != 0;
		p++;
	}
	n = (size_t)(p - start);
	skip_space(&p);
	if (!digit || *p || n >= cap)
		return false;
	memcpy(out, start, n);
	out[n] = '\0';
	return true;
}

void agg_order_number(const char *raw, char *out, size_t cap)
{
	const char *p = raw ? raw : "";
	size_t n;

	while (*p == ' ' || *p == '#')
		p++;
	agg_copy_cut(out, cap, p);
	for (n = strlen(out); n > 0 && out[n - 1] == ' '; n--)
		out[n - 1] = '\0';
}

static int event_cmp(const void *a, const void *b)
{
	const struct event *x = a, *y = b;

	if (x->occurred_at != y->occurred_at)
		return x->occurred_at < y->occurred_at ? -1 : 1;
	return strcmp(x->id, y->id);
}

void agg_mark_return(struct adapter_out *out, size_t from, const cJSON *obj)
{
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(obj, "is_return")) &&
	    !cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(agg_obj(obj, "extra"), "is_return")))
		return;
	for (size_t i = from; i < out->nevents; i++)
		out->events[i].is_return = true;
}

void agg_sort_events(struct adapter_out *out, size_t from)
{
	if (out->nevents > from + 1)
		qsort(out->events + from, out->nevents - from, sizeof(*out->events), event_cmp);
}

void agg_summary(const struct adapter_env *env, const char *table, const char *const *codes, size_t n,
		 const char *prefix, struct adapter_out *out, size_t from)
{
	struct event probe, *ev;
	const struct event *newest;
	char natural[EV_ID_MAX * 2];

	if (out->nevents <= from)
		return;
	event_init(&probe);
	if (!agg_map(env, table, codes, n, NULL, &probe) || probe.status == EV_UNKNOWN ||
	    probe.status == out->events[out->nevents - 1].status)
		return;
	if (!(ev = adapter_push(out, env)))
		return; /* out of memory: the scans still say what they say */
	newest = &out->events[out->nevents - 2];
	memcpy(ev->package, newest->package, sizeof(ev->package));
	memcpy(ev->carrier, newest->carrier, sizeof(ev->carrier));
	memcpy(ev->order, newest->order, sizeof(ev->order));
	memcpy(ev->ref, newest->ref, sizeof(ev->ref));
	ev->is_return = newest->is_return;
	ev->occurred_at = newest->occurred_at;
	ev->status = probe.status;
	memcpy(ev->code, probe.code, sizeof(ev->code));
	memcpy(ev->detail, probe.detail, sizeof(ev->detail));
	ev->action_required = probe.action_required;
	ev->summary = true;
	snprintf(ev->description, sizeof(ev->description), "%s's own status for the parcel: %s (its newest scan: %s)",
		 env->source, probe.code, newest->code);
	snprintf(natural, sizeof(natural), "%s:summary:%s", prefix, probe.code);
	agg_set_id(ev, prefix, natural);
}

void agg_estimate_on_newest(struct adapter_out *out, size_t from, int64_t ms)
{
	if (ms && out->nevents > from)
		out->events[out->nevents - 1].estimated_delivery = ms;
}
