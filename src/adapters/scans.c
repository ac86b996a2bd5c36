/*
 * scans.c - the warehouse scan feed: JSON lines or CSV of barcode scans
 * (received, picked, packed, labelled, handed to the carrier ...), signed
 * with wismo's generic scheme, turned into the order's warehouse milestones.
 *
 * The format is wismo's own (docs/adapters/scans.md): one scan per JSON line
 * or CSV row, with the columns below.  A feed is retried whole, so a body is
 * all-or-nothing: one malformed line rejects it with "line N: why".
 *
 * A warehouse never has the parcel's carrier status: handing a parcel to the
 * carrier's driver is still ready_to_ship (detail handed_over) until the
 * carrier's own scan says in_transit.  Warehouse milestones are order-level,
 * so these events name the order and not the package; the barcode only
 * becomes the package when a (user) mapping gives a package status.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "../base/wtime.h"
#include "adapter.h"
#include "carrier_names.h"
#include "mapping.h"
#include "../core/returns.h"
#include "../base/banned.h"

#define SCANS_TABLE "scans"
#define SCANS_MAX 10000    /* scans in one body: a feed sends batches */
#define CSV_MAX_FIELDS 64  /* columns in one CSV row */
#define SCANS_UTC_NOTE "; local time, zone unknown: read as UTC"

enum scan_col {
	SC_SCAN_ID,
	SC_ORDER,
	SC_BARCODE,
	SC_EVENT,
	SC_TIME,
	SC_SCANNER,
	SC_LOCATION,
	SC_CITY,
	SC_REGION,
	SC_COUNTRY,
	SC_CARRIER,
	SC_DESCRIPTION,
	SC_RETURN_ID,
	SC_REASON,
	SC_DISPOSITION,
	SC__COUNT
};

static const char *const col_names[SC__COUNT] = {
	"scan_id", "order", "barcode", "event", "time", "scanner",
	"location", "city", "region", "country", "carrier", "description",
	"return_id", "reason", "disposition",
};

/* One scan, whichever format it came in: NULL or "" is absent. */
struct scan {
	const char *v[SC__COUNT];
	char num[2][32]; /* scan_id and order given as JSON numbers */
};

struct sc {
	const struct adapter_env *env;
	struct adapter_out *out;
	size_t nscans;
};

static const char *hdr(const struct hook_request *rq, const char *name)
{
	return rq->header ? rq->header(rq->hctx, name) : NULL;
}

static enum werr scans_verify(const struct hook_request *rq, const char *secret, int64_t now_ms, char *why,
			      size_t whycap)
{
	return sig_generic_check(secret, rq->body, rq->len, hdr(rq, "X-Wismo-Timestamp"),
				 hdr(rq, "X-Wismo-Signature"), now_ms, why, whycap);
}

/* Copies what fits, not cutting a UTF-8 sequence (for words shown to
 * people: places and descriptions). */
static void cut_copy(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;

	if (n >= cap) {
		n = cap - 1;
		while (n > 0 && ((unsigned char)src[n] & 0xC0) == 0x80)
			n--;
	}
	if (n)
		memcpy(dst, src, n);
	dst[n] = '\0';
}

static const char *val(const struct scan *s, enum scan_col col)
{
	return s->v[col] && s->v[col][0] ? s->v[col] : NULL;
}

/* Copies an identifier that must fit whole into dst (cap bytes), folding
 * upper case when lower is set.  false when it does not fit. */
static bool copy_id(char *dst, size_t cap, const char *src, bool lower)
{
	size_t n = strlen(src);

	if (n >= cap)
		return false;
	for (size_t i = 0; i <= n; i++)
		dst[i] = lower && src[i] >= 'A' && src[i] <= 'Z' ? (char)(src[i] - 'A' + 'a') : src[i];
	return true;
}

/* The carrier as wismo names carriers (carrier_names.h: "DHL Express" ->
 * "dhl", "La Poste" -> "la_poste").  false when the name is too long. */
static bool carrier_id(const char *raw, char out[EV_CARRIER_MAX + 1])
{
	char tmp[4 * EV_CARRIER_MAX];

	carrier_normalize(raw, tmp, sizeof(tmp));
	if (strlen(tmp) > EV_CARRIER_MAX)
		return false;
	memcpy(out, tmp, strlen(tmp) + 1);
	return true;
}

/*
 * One scan -> one event.  The id is "scan:<scan_id>"; a feed without scan ids
 * gets "scan:<scanner>:<time in UTC>:<barcode, else order>:<event>", which is
 * the same each time the same scan is sent again.
 */
static enum werr scan_event(struct sc *c, const struct scan *s, size_t line)
{
	const char *order_in = val(s, SC_ORDER), *barcode = val(s, SC_BARCODE), *time_in = val(s, SC_TIME);
	const char *scanner = val(s, SC_SCANNER), *location = val(s, SC_LOCATION), *given = val(s, SC_DESCRIPTION);
	char code[EV_CODE_MAX + 1], order[EV_ORDER_MAX + 1] = "", carrier[EV_CARRIER_MAX + 1] = "";
	char id[EV_ID_MAX + 1], tbuf[WTIME_BUFSZ], desc[EV_DESC_MAX + 1];
	struct event *ev;
	int64_t at;
	bool guess;
	int n;

	if (!val(s, SC_EVENT))
		return adapter_fail(c->out, "line %zu: no event", line);
	if (!copy_id(code, sizeof(code), val(s, SC_EVENT), true))
		return adapter_fail(c->out, "line %zu: event longer than %d bytes", line, EV_CODE_MAX);
	if (order_in && order_in[0] == '#')
		order_in = order_in[1] ? order_in + 1 : NULL;
	if (order_in && !copy_id(order, sizeof(order), order_in, false))
		return adapter_fail(c->out, "line %zu: order longer than %d bytes", line, EV_ORDER_MAX);
	if (barcode && strlen(barcode) > EV_PACKAGE_MAX)
		return adapter_fail(c->out, "line %zu: barcode longer than %d bytes", line, EV_PACKAGE_MAX);
	if (!order[0] && !barcode)
		return adapter_fail(c->out, "line %zu: a scan needs an order or a barcode", line);
	if (val(s, SC_CARRIER) && !carrier_id(val(s, SC_CARRIER), carrier))
		return adapter_fail(c->out, "line %zu: carrier longer than %d bytes", line, EV_CARRIER_MAX);
	if (!time_in)
		return adapter_fail(c->out, "line %zu: no time", line);
	if (!adapter_time(c->env, time_in, val(s, SC_COUNTRY), val(s, SC_REGION), &at, &guess))
		return adapter_fail(c->out, "line %zu: time '%.40s' is not an RFC 3339 time", line, time_in);
	if (val(s, SC_SCAN_ID))
		n = snprintf(id, sizeof(id), "scan:%s", val(s, SC_SCAN_ID));
	else
		n = snprintf(id, sizeof(id), "scan:%s:%s:%s:%s", scanner ? scanner : "", wtime_format(at, tbuf),
			     barcode ? barcode : order, code);
	if (n < 0 || (size_t)n >= sizeof(id))
		return adapter_fail(c->out, "line %zu: scan id makes an event id over %d bytes", line, EV_ID_MAX);

	if (!(ev = adapter_push(c->out, c->env)))
		return WERR_NOMEM;
	EVENT_SET(ev->id, id);
	ev->occurred_at = at;
	EVENT_SET(ev->carrier, carrier);
	if (!mapping_apply(c->env->maps, SCANS_TABLE, code, NULL, ev) && c->env->milestones &&
	    ms_find(c->env->milestones, code) >= 0) {
		/* one of the shop's own milestones, by its name (docs/milestones.md) */
		ev->status = EV_MILESTONE;
		EVENT_SET(ev->milestone, code);
	}
	if (ev_status_is_return(ev->status)) {
		/* a return step (docs/returns.md): the barcode is the return
		 * parcel's, the return named or told by its parcel */
		const char *disp = val(s, SC_DISPOSITION);
		if (val(s, SC_RETURN_ID) && !copy_id(ev->return_id, sizeof(ev->return_id), val(s, SC_RETURN_ID), false))
			return adapter_fail(c->out, "line %zu: return_id longer than %d bytes", line, EV_RETURN_ID_MAX);
		if (val(s, SC_REASON) && !copy_id(ev->return_reason, sizeof(ev->return_reason), val(s, SC_REASON), true))
			return adapter_fail(c->out, "line %zu: reason longer than %d bytes", line, EV_REASON_MAX);
		/* a mapping row gives the disposition of its code as the detail ("restocked") */
		if (!disp && ev->status == EV_RETURN_DISPOSED && ret_disposition_from_name(ev->detail) > 0)
			disp = ev->detail;
		if (disp && (ret_disposition_from_name(disp) < 0 || EVENT_SET(ev->disposition, disp)))
			return adapter_fail(c->out, "line %zu: disposition '%.32s' is not restock, refurbish, scrap or "
						    "return_to_customer", line, disp);
		if (barcode)
			EVENT_SET(ev->package, barcode);
	} else if (ev_status_needs_package(ev->status) || (ev->status == EV_CANCELLED && barcode)) {
		if (!barcode)
			return adapter_fail(c->out, "line %zu: event '%s' means %s, which needs a barcode", line, code,
					    ev_status_name(ev->status));
		EVENT_SET(ev->package, barcode);
	}
	if (order[0])
		EVENT_SET(ev->order, order);
	else if (!ev->package[0])
		snprintf(ev->ref, sizeof(ev->ref), "tracking:%s", barcode);
	cut_copy(ev->location.city, sizeof(ev->location.city), val(s, SC_CITY));
	cut_copy(ev->location.region, sizeof(ev->location.region), val(s, SC_REGION));
	cut_copy(ev->location.country, sizeof(ev->location.country), val(s, SC_COUNTRY));

	/* The warehouse's own words first; otherwise what the scan says, with
	 * the dock and the scanner, which have no field of their own. */
	if (given)
		snprintf(desc, sizeof(desc), "%s%s", given, guess ? SCANS_UTC_NOTE : "");
	else
		snprintf(desc, sizeof(desc), "%s%s%s%s%s%s%s%s", code, location ? " at " : "", location ? location : "",
			 scanner ? " by " : "", scanner ? scanner : "",
			 barcode && !ev->package[0] ? ", barcode " : "", barcode && !ev->package[0] ? barcode : "",
			 guess ? SCANS_UTC_NOTE : "");
	cut_copy(ev->description, sizeof(ev->description), desc);
	return WERR_OK;
}

static enum werr count_scan(struct sc *c, size_t line)
{
	if (++c->nscans > SCANS_MAX)
		return adapter_fail(c->out, "line %zu: more than %d scans in one body: send smaller batches", line,
				    SCANS_MAX);
	return WERR_OK;
}

static bool is_space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* ---- JSON lines ---- */

static enum werr json_field(struct sc *c, const cJSON *o, struct scan *s, enum scan_col col, size_t line)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, col_names[col]);

	if (!v || cJSON_IsNull(v))
		return WERR_OK;
	if (cJSON_IsString(v)) {
		s->v[col] = v->valuestring;
		return WERR_OK;
	}
	/* An order number or scanner id sent as a number: only exact integers
	 * (cJSON keeps doubles, exact below 2^53).  A barcode must be a string:
	 * tracking numbers are longer than a double is exact. */
	if (cJSON_IsNumber(v) && (col == SC_SCAN_ID || col == SC_ORDER)) {
		double d = v->valuedouble;
		char *buf = s->num[col == SC_ORDER];
		if (d < 0 || d != floor(d) || d >= 9007199254740992.0)
			return adapter_fail(c->out, "line %zu: %s is not a whole number below 2^53", line,
					    col_names[col]);
		snprintf(buf, sizeof(s->num[0]), "%.0f", d);
		s->v[col] = buf;
		return WERR_OK;
	}
	return adapter_fail(c->out, "line %zu: %s must be a string", line, col_names[col]);
}

static enum werr read_jsonl(struct sc *c, const char *p, const char *end)
{
	size_t line = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *a = p, *b = nl ? nl : end, *parse_end = NULL;
		struct scan s;
		cJSON *o;
		enum werr e = WERR_OK;

		line++;
		p = nl ? nl + 1 : end;
		while (a < b && is_space(*a))
			a++;
		while (b > a && is_space(b[-1]))
			b--;
		if (a == b)
			continue; /* blank lines separate nothing; allowed */
		if ((e = count_scan(c, line)))
			return e;
		o = cJSON_ParseWithLengthOpts(a, (size_t)(b - a), &parse_end, false);
		if (!cJSON_IsObject(o) || parse_end != b) {
			cJSON_Delete(o);
			return adapter_fail(c->out, "line %zu: not one JSON object", line);
		}
		memset(&s, 0, sizeof(s));
		for (int col = 0; col < SC__COUNT && !e; col++)
			e = json_field(c, o, &s, (enum scan_col)col, line);
		if (!e)
			e = scan_event(c, &s, line);
		cJSON_Delete(o);
		if (e)
			return e;
	}
	return WERR_OK;
}

/* ---- CSV (RFC 4180) ---- */

/* One record: fields NUL-separated in text, starting at off[i]. */
struct csv_rec {
	struct buf text;
	size_t off[CSV_MAX_FIELDS];
	size_t n;
	bool blank; /* an empty line */
};

/*
 * Reads one record at *pp: fields separated by ',', records by CRLF or LF;
 * a field in double quotes may hold commas, line breaks and "" for a quote.
 * Returns 1 at the end of input, 0 with the record, -1 with why and
 * *err_line set.  *line counts the lines consumed (a quoted line break
 * included), so errors name the line a person sees in an editor.
 */
static int csv_next(const char **pp, const char *end, size_t *line, struct csv_rec *r, char *why, size_t whycap,
		    size_t *err_line)
{
	const char *p = *pp;

	buf_reset(&r->text);
	r->n = 0;
	r->blank = false;
	if (p >= end)
		return 1;
	if (*p == '\n' || (*p == '\r' && p + 1 < end && p[1] == '\n')) {
		r->blank = true;
		*pp = p + (*p == '\r' ? 2 : 1);
		(*line)++;
		return 0;
	}
	for (;;) {
		if (r->n == CSV_MAX_FIELDS) {
			snprintf(why, whycap, "more than %d fields", CSV_MAX_FIELDS);
			*err_line = *line;
			return -1;
		}
		r->off[r->n++] = r->text.len;
		if (p < end && *p == '"') {
			size_t start = *line;
			p++;
			for (;;) {
				if (p >= end) {
					snprintf(why, whycap, "quoted field never closed");
					*err_line = start;
					return -1;
				}
				if (*p == '"') {
					if (p + 1 < end && p[1] == '"') {
						if (buf_putc(&r->text, '"'))
							goto nomem;
						p += 2;
						continue;
					}
					p++;
					break;
				}
				if (*p == '\n')
					(*line)++;
				if (buf_putc(&r->text, *p++))
					goto nomem;
			}
			if (p < end && *p != ',' && *p != '\n' && !(*p == '\r' && p + 1 < end && p[1] == '\n')) {
				snprintf(why, whycap, "'%c' after a closing quote (a quote inside a field is written \"\")",
					 *p);
				*err_line = *line;
				return -1;
			}
		} else {
			while (p < end && *p != ',' && *p != '\n' && !(*p == '\r' && p + 1 < end && p[1] == '\n')) {
				if (*p == '"') {
					snprintf(why, whycap, "a quote inside an unquoted field");
					*err_line = *line;
					return -1;
				}
				if (buf_putc(&r->text, *p++))
					goto nomem;
			}
		}
		if (buf_putc(&r->text, '\0'))
			goto nomem;
		if (p < end && *p == ',') {
			p++;
			continue;
		}
		if (p < end)
			p += *p == '\r' ? 2 : 1;
		(*line)++;
		break;
	}
	*pp = p;
	return 0;
nomem:
	snprintf(why, whycap, "row too large");
	*err_line = *line;
	return -1;
}

/* Field i of r, spaces around it trimmed (in place). */
static char *csv_field(struct csv_rec *r, size_t i)
{
	char *f = r->text.p + r->off[i], *e;

	while (*f == ' ' || *f == '\t')
		f++;
	e = f + strlen(f);
	while (e > f && (e[-1] == ' ' || e[-1] == '\t'))
		*--e = '\0';
	return f;
}

static enum werr read_csv(struct sc *c, const char *p, const char *end)
{
	struct csv_rec r = { .n = 0 };
	int colmap[CSV_MAX_FIELDS];
	size_t ncols = 0, line = 1, err_line = 0;
	bool have_header = false;
	enum werr e = WERR_OK;
	char why[128];

	buf_init(&r.text, (size_t)1 << 20);
	for (;;) {
		size_t start = line;
		int rc = csv_next(&p, end, &line, &r, why, sizeof(why), &err_line);
		struct scan s;

		if (rc == 1)
			break;
		if (rc < 0) {
			e = adapter_fail(c->out, "line %zu: %s", err_line, why);
			break;
		}
		if (r.blank)
			continue;
		if (!have_header) {
			bool seen[SC__COUNT] = { false };
			for (size_t i = 0; i < r.n; i++) {
				char *name = csv_field(&r, i);
				colmap[i] = -1;
				for (int col = 0; col < SC__COUNT; col++) {
					if (strcasecmp(name, col_names[col]))
						continue;
					if (seen[col]) {
						e = adapter_fail(c->out, "line %zu: column '%s' appears twice", start,
								 col_names[col]);
						goto out;
					}
					seen[col] = true;
					colmap[i] = col;
				}
			}
			if (!seen[SC_EVENT] || !seen[SC_TIME] || (!seen[SC_ORDER] && !seen[SC_BARCODE])) {
				e = adapter_fail(c->out,
						 "line %zu: not JSON lines, and not a CSV header row with columns event, "
						 "time and order or barcode",
						 start);
				break;
			}
			ncols = r.n;
			have_header = true;
			continue;
		}
		if (r.n != ncols) {
			e = adapter_fail(c->out, "line %zu: %zu fields, the header row has %zu", start, r.n, ncols);
			break;
		}
		if ((e = count_scan(c, start)))
			break;
		memset(&s, 0, sizeof(s));
		for (size_t i = 0; i < r.n; i++)
			if (colmap[i] >= 0)
				s.v[colmap[i]] = csv_field(&r, i);
		if ((e = scan_event(c, &s, start)))
			break;
	}
out:
	buf_release(&r.text);
	return e;
}

/* ---- format ---- */

enum scan_format { FMT_SNIFF, FMT_JSONL, FMT_CSV };

static enum scan_format format_of(const char *content_type)
{
	static const char *const jsonl[] = {
		"application/x-ndjson", "application/ndjson",     "application/jsonl", "application/x-jsonl",
		"application/jsonlines", "application/x-jsonlines", "application/json",
	};
	static const char *const csv[] = { "text/csv", "application/csv", "text/comma-separated-values" };
	size_t n;

	if (!content_type)
		return FMT_SNIFF;
	while (*content_type == ' ')
		content_type++;
	n = strcspn(content_type, "; ");
	for (size_t i = 0; i < sizeof(jsonl) / sizeof(jsonl[0]); i++)
		if (strlen(jsonl[i]) == n && !strncasecmp(content_type, jsonl[i], n))
			return FMT_JSONL;
	for (size_t i = 0; i < sizeof(csv) / sizeof(csv[0]); i++)
		if (strlen(csv[i]) == n && !strncasecmp(content_type, csv[i], n))
			return FMT_CSV;
	return FMT_SNIFF;
}

static enum werr scans_parse(const struct adapter_env *env, const struct hook_request *rq, struct adapter_out *out)
{
	struct sc c = { env, out, 0 };
	const char *p = rq->body, *end = rq->body + rq->len, *nul;
	enum scan_format fmt = format_of(rq->content_type);

	if (rq->len >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3))
		p += 3; /* a UTF-8 byte order mark, as spreadsheets write */
	nul = memchr(p, '\0', (size_t)(end - p));
	if (nul) {
		size_t line = 1;
		for (const char *q = p; q < nul; q++)
			line += *q == '\n';
		return adapter_fail(out, "line %zu: a NUL byte", line);
	}
	if (fmt == FMT_SNIFF) {
		const char *q = p;
		while (q < end && is_space(*q))
			q++;
		if (q < end && *q == '[')
			return adapter_fail(out, "line 1: a JSON array: send one JSON object per line (JSON lines)");
		fmt = q < end && *q == '{' ? FMT_JSONL : FMT_CSV;
	}
	return fmt == FMT_JSONL ? read_jsonl(&c, p, end) : read_csv(&c, p, end);
}

const struct adapter adapter_scans = {
	.name = "scans",
	.kind = KIND_WAREHOUSE,
	.verify = scans_verify,
	.parse = scans_parse,
};
