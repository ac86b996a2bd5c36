/*
 * carrier_scan.h - what the direct-carrier parsers (ups.c, fedex.c, usps.c,
 * dhl.c) share: turning one carrier scan into one normalized event, keyed and
 * mapped the same way for every carrier.
 *
 * The poller GETs a carrier's tracking API and hands the response body to the
 * carrier adapter's parse(); each scan (UPS activity, FedEx scanEvent, USPS
 * trackingEvent, DHL event) becomes one event:
 *
 *   id       "<carrier>:<tracking number>:<UTC time>:<code>"; a code too
 *            long for the id (carriers that give words, not codes) is
 *            replaced there by "h" and 16 hex digits of its SHA-256
 *   package  the tracking number; order "" (the writer resolves it)
 *   status   through mappings/<carrier>.tsv: the most specific code first
 *            ("X/SR", "DE/08"), then the coarser fallback ("X", "DE"); a code
 *            no row knows is status unknown with the specific code kept
 *
 * Pure: no I/O, no clock.  Strings are copied; text longer than a field is cut
 * at a UTF-8 boundary and runs of white space become one space (carrier text
 * is for people, and XML bodies break it over lines).
 */
#ifndef WISMO_CARRIER_SCAN_H
#define WISMO_CARRIER_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "adapter.h"

struct carrier_scan {
	const char *carrier;     /* "ups": the event's carrier (and the table name) */
	const char *table;       /* the code table when it is not named like the
	                            carrier (declared carriers); may be NULL */
	const char *tracking;    /* tracking number (required) */
	const char *code;        /* most specific code, "" when the carrier gave none */
	const char *fallback;    /* coarser code tried when code has no row; may be NULL */
	const char *description; /* the carrier's words; may be NULL */
	const char *city, *region, *country; /* may be NULL */
	int64_t at;              /* UTC ms (required, > 0) */
	const char *note;        /* appended to the description ("(local time read in
	                            DE, the parcel's destination)"); may be NULL */
	int64_t estimated;       /* carrier's delivery estimate, 0 when none */
};

/*
 * Appends the event for one scan to out.  Returns WERR_OK, WERR_NOMEM, or
 * WERR_INVALID with out->reason set (tracking number empty or longer than a
 * package id, id too long).
 */
enum werr carrier_scan_emit(const struct adapter_env *env, struct adapter_out *out,
			    const struct carrier_scan *s);

/*
 * A scan's time (docs/adapters.md "Times"): iso with an offset as it is; a
 * local time in the zone of the scan's own place (country and region; a
 * region alone is the carrier's home country's), else - no place, or one the
 * zone table does not know - the parcel's destination, its origin, the
 * carrier's home country.  note (cap bytes) receives what the event should
 * say about it: "" when the scan's own place or an offset decided, "(local
 * time read in AT, the parcel's destination)", or "(local time, zone
 * unknown: read as UTC)".  Any place may be NULL or "".  Returns false when
 * iso is not a time.
 */
struct scan_places {
	const char *country, *region; /* the scan's */
	const char *dest, *orig;      /* the parcel's destination and origin countries */
	const char *home;             /* the carrier's country */
};
bool carrier_scan_time(const struct adapter_env *env, const char *iso, const struct scan_places *pl, int64_t *at,
		       char *note, size_t cap);

/* Copies src into dst (cap bytes with the NUL): white space runs become one
 * space, ends trimmed, cut at a UTF-8 boundary.  src NULL gives "". */
void carrier_scan_text(char *dst, size_t cap, const char *src);

/* The string value of obj[name], or "" when absent, null or not a string. */
const char *carrier_scan_str(const cJSON *obj, const char *name);

/*
 * Reads obj[name] as an identifier: a string as is, or a number that is an
 * exact integer below 2^53 (cJSON keeps doubles) formatted with "%.0f".
 * Returns false when absent or not an exact integer; out gets "" then.
 */
bool carrier_scan_id(const cJSON *obj, const char *name, char *out, size_t cap);

#endif
