/*
 * dhl.c - DHL tracking responses, as the poller receives them, -> one event
 * per checkpoint.  Three shapes, told apart by the body:
 *
 *  1. Shipment Tracking - Unified API (GET /track/shipments), JSON:
 *       shipments[] {id, events[] {timestamp, statusCode, status,
 *       description, location.address {addressLocality, countryCode}},
 *       estimatedTimeOfDelivery}
 *     statusCode is DHL's own normalized word (pre-transit, transit,
 *     delivered, failure, unknown): the table key.
 *  2. MyDHL API (DHL Express, GET /shipments/{number}/tracking), JSON:
 *       shipments[] {shipmentTrackingNumber, estimatedTimeOfDelivery,
 *       events[] {date, time, GMTOffset, typeCode, description,
 *       serviceArea[] {code, description}}}
 *     typeCode is the DHL Express checkpoint code (PU, PL, DF, AF, AR, WC,
 *     OK, ...): the table key.
 *  3. DHL Express XML Services (XML-PI) TrackingResponse, XML:
 *       AWBInfo[] {AWBNumber, Status {ActionStatus, Condition},
 *       ShipmentInfo {EstDlvyDateUTC, ShipmentEvent[] {Date, Time,
 *       ServiceEvent {EventCode, Description}, ServiceArea {Description}}}}
 *     read with a small XML reader below (elements and text only).
 *
 * Both key spaces live in mappings/dhl.tsv: DHL's normalized words are
 * lower-case, Express checkpoint codes two upper-case letters.
 *
 * Time: an offset when the body gives one (Unified timestamps often carry
 * none; MyDHL's GMTOffset); otherwise local time in the zone of the event's
 * country when known (Unified countryCode; "City-CC" service areas), else
 * read as UTC (XML-PI gives a service area name only).
 *
 * Answers: "no shipment found" (Unified/MyDHL problem JSON with status 404;
 * XML-PI ActionStatus "No Shipments Found" / condition 103) gives no events
 * and WERR_OK; any other DHL error is WERR_INVALID with DHL's code and words;
 * a body in none of these shapes, or XML that is not well formed, is
 * WERR_INVALID.  DHL Parcel DE and DHL Poland responses are other APIs and
 * are not read (docs/conformance.md).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cjson/cJSON.h>

#include "adapter.h"
#include "carrier_scan.h"
#include "../base/text.h"
#include "../base/wtime.h"
#include "../base/banned.h"

#define STR carrier_scan_str

static const cJSON *item(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* "Leipzig-DE" -> city "Leipzig", country "DE"; "Barcelona - Spain" ->
 * "Barcelona", "Spain"; a text without '-' is all city. */
static void split_area(const char *area, char *city, size_t ccap, char *country, size_t kcap)
{
	const char *dash = strrchr(area, '-');
	char tmp[EV_DESC_MAX + 1];
	size_t n;

	country[0] = '\0';
	if (!dash || dash == area || !dash[1]) {
		carrier_scan_text(city, ccap, area);
		return;
	}
	n = (size_t)(dash - area);
	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	memcpy(tmp, area, n);
	tmp[n] = '\0';
	carrier_scan_text(city, ccap, tmp);
	carrier_scan_text(country, kcap, dash + 1);
	if (!city[0] || !country[0]) {
		carrier_scan_text(city, ccap, area);
		country[0] = '\0';
	}
}

/* ---- 1 and 2: JSON ---- */

static enum werr unified_shipment(const struct adapter_env *env, struct adapter_out *out, const cJSON *sh)
{
	char tracking[EV_PACKAGE_MAX + 1];
	const cJSON *ev;
	int64_t estimated = 0;
	size_t idx = 0;

	/* a scan's local time without its place is read where the parcel goes,
	 * else where it came from; the event says which (issue 16) */
	const char *dest = STR(item(item(sh, "destination"), "address"), "countryCode");
	const char *orig = STR(item(item(sh, "origin"), "address"), "countryCode");

	if (!carrier_scan_id(sh, "id", tracking, sizeof(tracking)))
		return adapter_fail(out, "dhl: shipment without a usable id");
	if (!adapter_time(env, STR(sh, "estimatedTimeOfDelivery"), NULL, NULL, &estimated, NULL))
		estimated = 0;
	cJSON_ArrayForEach(ev, item(sh, "events")) {
		const cJSON *addr = item(item(ev, "location"), "address");
		const char *country = STR(addr, "countryCode"), *ts = STR(ev, "timestamp");
		const char *desc = STR(ev, "description"), *zc = country[0] ? country : dest[0] ? dest : orig;
		struct carrier_scan s = { .carrier = "dhl", .tracking = tracking, .estimated = estimated };
		char said[EV_DESC_MAX + 1];
		int64_t local;
		bool guess;

		if (!adapter_time(env, ts, zc, NULL, &s.at, &guess))
			return adapter_fail(out, "dhl: event %zu of %s: timestamp is not a time", idx, tracking);
		s.code = STR(ev, "statusCode");
		s.description = desc[0] ? desc : STR(ev, "status");
		if (guess)
			snprintf(said, sizeof(said), "%s (local time, zone unknown: read as UTC)", s.description);
		else if (!country[0] && zc[0] && wtime_parse(ts, 0, &local) == WTIME_NO_OFFSET)
			snprintf(said, sizeof(said), "%s (local time read in %s, the parcel's %s)", s.description, zc,
				 zc == dest ? "destination" : "origin");
		else
			said[0] = '\0';
		if (said[0])
			s.description = said;
		s.city = STR(addr, "addressLocality");
		s.country = country;
		enum werr e = carrier_scan_emit(env, out, &s);
		if (e)
			return e;
		idx++;
	}
	return WERR_OK;
}

static enum werr mydhl_shipment(const struct adapter_env *env, struct adapter_out *out, const cJSON *sh)
{
	const char *tracking = STR(sh, "shipmentTrackingNumber");
	const cJSON *ev;
	int64_t estimated = 0;
	size_t idx = 0;

	if (!adapter_time(env, STR(sh, "estimatedTimeOfDelivery"), NULL, NULL, &estimated, NULL))
		estimated = 0;
	cJSON_ArrayForEach(ev, item(sh, "events")) {
		const char *area = STR(cJSON_GetArrayItem(item(ev, "serviceArea"), 0), "description");
		const char *date = STR(ev, "date"), *time = STR(ev, "time"), *off = STR(ev, "GMTOffset");
		char city[EV_PLACE_MAX + 1], country[EV_PLACE_MAX + 1], when[64];
		struct carrier_scan s = { .carrier = "dhl", .tracking = tracking, .estimated = estimated };

		split_area(area, city, sizeof(city), country, sizeof(country));
		if (strlen(date) > 10 || strlen(time) > 12 || strlen(off) > 8)
			return adapter_fail(out, "dhl: event %zu of %s: date/time too long", idx, tracking);
		snprintf(when, sizeof(when), "%sT%s%s", date, time, off);
		if (!adapter_time(env, when, country, NULL, &s.at, NULL))
			return adapter_fail(out, "dhl: event %zu of %s: date/time is not a time", idx, tracking);
		s.code = STR(ev, "typeCode");
		s.description = STR(ev, "description");
		s.city = city;
		s.country = country;
		enum werr e = carrier_scan_emit(env, out, &s);
		if (e)
			return e;
		idx++;
	}
	return WERR_OK;
}

static enum werr dhl_json(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	cJSON *root = text_json_one(rq->body, rq->len, NULL);
	const cJSON *shipments, *sh, *status;
	enum werr e = WERR_OK;

	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return adapter_fail(out, "dhl: body is not a JSON object");
	}
	shipments = item(root, "shipments");
	status = item(root, "status");
	if (!cJSON_IsArray(shipments)) {
		/* RFC 7807 problem: {"status": 404, "title": ..., "detail": ...}. */
		if (cJSON_IsNumber(status) && status->valuedouble == 404)
			goto out;
		if (cJSON_IsNumber(status) && (item(root, "title") || item(root, "detail")))
			e = adapter_fail(out, "dhl reported error %d: %s: %s", status->valueint, STR(root, "title"),
					 STR(root, "detail"));
		else
			e = adapter_fail(out, "dhl: not a tracking response (no shipments[])");
		goto out;
	}
	cJSON_ArrayForEach(sh, shipments) {
		e = item(sh, "shipmentTrackingNumber") ? mydhl_shipment(env, out, sh) : unified_shipment(env, out, sh);
		if (e)
			goto out;
	}
out:
	cJSON_Delete(root);
	return e;
}

/* ---- 3: XML ----
 *
 * A reader for the subset XML-PI uses: elements, attributes (skipped), text,
 * the five predefined entities and character references, CDATA, comments and
 * processing instructions.  A DOCTYPE is refused (no entity expansion, ever).
 * Names keep their local part only ("req:TrackingResponse" ->
 * "TrackingResponse").  Depth and node count are bounded.
 */

#define XML_DEPTH_MAX 32
#define XML_NODES_MAX 20000

struct xnode {
	char *name;
	char *text; /* character data directly inside, entities decoded */
	size_t textlen;
	struct xnode *child, *last, *next;
};

struct xparser {
	const char *p, *end;
	size_t nodes;
	const char *err;
};

static void xfree(struct xnode *n)
{
	while (n) {
		struct xnode *next = n->next;
		xfree(n->child);
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

static bool xappend(struct xnode *n, const char *s, size_t len)
{
	char *t;

	if (!len)
		return true;
	t = realloc(n->text, n->textlen + len + 1);
	if (!t)
		return false;
	memcpy(t + n->textlen, s, len);
	n->textlen += len;
	t[n->textlen] = '\0';
	n->text = t;
	return true;
}

static size_t utf8_put(unsigned long cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* Text up to the next '<', entities decoded, appended to n. */
static bool xtext(struct xparser *x, struct xnode *n)
{
	while (x->p < x->end && *x->p != '<') {
		const char *amp = memchr(x->p, '&', (size_t)(x->end - x->p));
		const char *lt = memchr(x->p, '<', (size_t)(x->end - x->p));
		const char *stop = lt ? lt : x->end;
		char buf[4];
		size_t blen = 0;

		if (!amp || amp > stop) {
			if (!xappend(n, x->p, (size_t)(stop - x->p)))
				return false;
			x->p = stop;
			break;
		}
		if (!xappend(n, x->p, (size_t)(amp - x->p)))
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
			blen = utf8_put(cp, buf);
		} else {
			x->err = "unknown entity";
			return false;
		}
		if (!xappend(n, buf, blen))
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

static struct xnode *xelement(struct xparser *x, int depth)
{
	struct xnode *n;
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
	/* Attributes: name="value" or name='value', skipped. */
	for (;;) {
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
		while (x->p < x->end && xname_char(*x->p))
			x->p++;
		while (x->p < x->end && isspace((unsigned char)*x->p))
			x->p++;
		if (x->p + 1 >= x->end || *x->p != '=') {
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
		const char *q = memchr(x->p + 1, *x->p, (size_t)(x->end - x->p - 1));
		if (!q) {
			x->err = "unterminated attribute value";
			goto fail;
		}
		x->p = q + 1;
	}
	/* Content. */
	for (;;) {
		if (!xtext(x, n)) {
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
			if (!xappend(n, start, (size_t)(x->p - 3 - start))) {
				x->err = "out of memory";
				goto fail;
			}
		} else if (xstarts(x, "<!--") || xstarts(x, "<?") || xstarts(x, "<!")) {
			if (!xmisc(x))
				goto fail;
		} else {
			struct xnode *c = xelement(x, depth + 1);
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
	xfree(n);
	return NULL;
}

static struct xnode *xml_parse(const char *body, size_t len, const char **err)
{
	struct xparser x = { .p = body, .end = body + len };
	struct xnode *root;

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
		xfree(root);
		return NULL;
	}
	return root;
}

static const struct xnode *xchild(const struct xnode *n, const char *name)
{
	for (const struct xnode *c = n ? n->child : NULL; c; c = c->next)
		if (!strcmp(c->name, name))
			return c;
	return NULL;
}

/* Text of a path of children ("ServiceEvent", "EventCode", NULL), or "". */
static const char *xpath(const struct xnode *n, ...)
{
	va_list ap;
	const char *name;

	va_start(ap, n);
	while (n && (name = va_arg(ap, const char *)) != NULL)
		n = xchild(n, name);
	va_end(ap);
	return n && n->text ? n->text : "";
}

static enum werr xmlpi_awb(const struct adapter_env *env, struct adapter_out *out, const struct xnode *awb)
{
	char tracking[EV_PACKAGE_MAX + 2];
	const char *action = xpath(awb, "Status", "ActionStatus", NULL);
	const char *cond = xpath(awb, "Status", "Condition", "ConditionCode", NULL);
	const struct xnode *info = xchild(awb, "ShipmentInfo");
	char trimmed_action[64], trimmed_cond[16];
	int64_t estimated = 0;
	size_t idx = 0;

	carrier_scan_text(tracking, sizeof(tracking), xpath(awb, "AWBNumber", NULL));
	carrier_scan_text(trimmed_action, sizeof(trimmed_action), action);
	carrier_scan_text(trimmed_cond, sizeof(trimmed_cond), cond);
	if (strcasecmp(trimmed_action, "success")) {
		if (!strcmp(trimmed_cond, "103") || !strcasecmp(trimmed_action, "No Shipments Found"))
			return WERR_OK;
		char data[160];
		carrier_scan_text(data, sizeof(data), xpath(awb, "Status", "Condition", "ConditionData", NULL));
		return adapter_fail(out, "dhl reported error %s: %s", trimmed_cond[0] ? trimmed_cond : trimmed_action,
				    data);
	}
	{
		char utc[40];
		carrier_scan_text(utc, sizeof(utc), xpath(info, "EstDlvyDateUTC", NULL));
		if (utc[0] && strlen(utc) < 30) {
			char z[48];
			snprintf(z, sizeof(z), "%sZ", utc); /* "2021-05-08 03:59:00" is UTC */
			if (wtime_parse(z, 0, &estimated) != WTIME_OK)
				estimated = 0;
		}
	}
	for (const struct xnode *ev = info ? info->child : NULL; ev; ev = ev->next) {
		char date[16], time[16], code[EV_CODE_MAX + 1], when[40];
		char city[EV_PLACE_MAX + 1], country[EV_PLACE_MAX + 1], area[EV_DESC_MAX + 1];
		struct carrier_scan s = { .carrier = "dhl", .tracking = tracking, .estimated = estimated };

		if (strcmp(ev->name, "ShipmentEvent"))
			continue;
		carrier_scan_text(date, sizeof(date), xpath(ev, "Date", NULL));
		carrier_scan_text(time, sizeof(time), xpath(ev, "Time", NULL));
		carrier_scan_text(code, sizeof(code), xpath(ev, "ServiceEvent", "EventCode", NULL));
		carrier_scan_text(area, sizeof(area), xpath(ev, "ServiceArea", "Description", NULL));
		split_area(area, city, sizeof(city), country, sizeof(country));
		snprintf(when, sizeof(when), "%sT%s", date, time);
		if (!adapter_time(env, when, country, NULL, &s.at, NULL))
			return adapter_fail(out, "dhl: event %zu of %s: Date/Time is not a time", idx, tracking);
		s.code = code;
		s.description = xpath(ev, "ServiceEvent", "Description", NULL);
		s.city = city;
		s.country = country;
		enum werr e = carrier_scan_emit(env, out, &s);
		if (e)
			return e;
		idx++;
	}
	return WERR_OK;
}

static enum werr dhl_xml(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	const char *err = NULL;
	struct xnode *root = xml_parse(rq->body, rq->len, &err);
	enum werr e = WERR_OK;

	if (!root)
		return adapter_fail(out, "dhl: body is not well-formed XML (%s)", err);
	if (!strcmp(root->name, "TrackingResponse")) {
		for (const struct xnode *c = root->child; c && !e; c = c->next)
			if (!strcmp(c->name, "AWBInfo"))
				e = xmlpi_awb(env, out, c);
	} else if (!strcmp(root->name, "ShipmentTrackingErrorResponse")) {
		char code[16], data[160];
		carrier_scan_text(code, sizeof(code), xpath(root, "Response", "Status", "Condition", "ConditionCode", NULL));
		carrier_scan_text(data, sizeof(data), xpath(root, "Response", "Status", "Condition", "ConditionData", NULL));
		e = adapter_fail(out, "dhl reported error %s: %s", code, data);
	} else {
		e = adapter_fail(out, "dhl: XML root '%s' is not an XML-PI TrackingResponse", root->name);
	}
	xfree(root);
	return e;
}

static enum werr dhl_parse(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	size_t i = 0;

	if (rq->len >= 3 && !memcmp(rq->body, "\xEF\xBB\xBF", 3))
		i = 3;
	while (i < rq->len && isspace((unsigned char)rq->body[i]))
		i++;
	if (i < rq->len && rq->body[i] == '<')
		return dhl_xml(env, rq, out);
	return dhl_json(env, rq, out);
}

const struct adapter adapter_dhl = {
	.name = "dhl",
	.kind = KIND_CARRIER,
	.verify = NULL,
	.parse = dhl_parse,
};
