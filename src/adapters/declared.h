/*
 * declared.h - carriers described by data instead of code.
 *
 * A direct carrier whose tracking answer is a list of scans needs no C: a
 * description, mappings/NAME.carrier (INI), says where the shipments, scans,
 * codes, times and places sit in the answer (JSON, or XML read as JSON by
 * base/xml.h), how to ask the carrier (URL, method, credentials), which
 * tracking numbers are the carrier's, and how it reports errors; the code
 * table mappings/NAME.tsv gives the statuses.  docs/carriers.md describes
 * every key; the .carrier files in mappings/ are the examples.  A description in the
 * override directory replaces the built-in one of the same name, so an
 * operator can add a carrier without a new build.
 *
 * Paths: member names joined by '.', read from the node in hand ("*" is any
 * member; an XML answer starts at its root element's name); an array met
 * on the way is walked member by member (every shipment, every scan), so
 * one spelling serves "one" and "many" (XML gives an array only where an
 * element repeats).  "a.b | c.d" tries the alternatives in turn and takes
 * the first that finds anything.  An empty path (or ".") is the node itself.
 * A value that is an object with "#text" (an XML element with attributes)
 * reads as that text; a number reads as an integer when it is one.
 *
 * "{tracking}" as an alternative of [answer] tracking is the number the
 * answer was asked about (env->tracking: the poller's, remap's, `wismo parse
 * --tracking`), for carriers whose answers do not repeat it.
 *
 * Parsing an answer: every shipment gives one event per scan through
 * carrier_scan_emit (the carrier's id, the tracking number, the code and its
 * fallback through the code table, the words, the place, the time).  A
 * scan's local time is read in the zone of its own place; without one, in
 * the shipment's destination, else its origin, else the carrier's home
 * country, and the event's words say which (as dhl.c does).  An answer with
 * no shipment is an error answer: the [error] entries' codes listed as
 * not_found give no events and WERR_OK (no record yet), any other is
 * WERR_INVALID "NAME reported error CODE: MESSAGE"; no shipment and no error
 * entry is WERR_INVALID naming the path that found nothing.
 *
 * Pure (no I/O, no clock); a loaded description is read-only and may be
 * shared between threads.
 */
#ifndef WISMO_DECLARED_H
#define WISMO_DECLARED_H

#include <stdbool.h>
#include <stddef.h>

#include "../base/err.h"
#include "adapter.h"

struct carrier_decl;

/* How the poller asks the carrier ([request]). */
struct decl_request {
	const char *method;     /* "GET" or "POST" */
	const char *url;        /* "{api_base}/track/{tracking}": the number (and {api_key},
	                           {api_secret}, {account}) URL-escaped */
	const char *body;       /* POST body with {tracking} JSON-escaped, or "" */
	const char *accept;     /* the Accept header */
	const char *auth;       /* "none", "basic" (api_key:api_secret), "bearer"
	                           (OAuth client credentials at token_path), or
	                           "header" (api_key in the header key_header) */
	const char *token_path; /* bearer: the token endpoint under api_base */
	const char *key_header; /* header: its name */
	const char *header;     /* more header lines ("SOAPAction: ..."), placeholders filled; several
	                           (one per "header =" of the description) are joined by '\n'; or "" */
};

/* Parses one description (the text of mappings/NAME.carrier).  On a bad
 * line: WERR_INVALID with "origin:line: what" in err. */
enum werr decl_load(const char *name, const char *text, size_t len, const char *origin,
		    struct carrier_decl **out, char *err, size_t errcap);
void decl_free(struct carrier_decl *d);

/* The description's name (its file's), and the adapter that reads its answers
 * (kind carrier, no verify: carriers are polled). */
const char *decl_name(const struct carrier_decl *d);
const struct adapter *decl_adapter(const struct carrier_decl *d);
const struct decl_request *decl_request(const struct carrier_decl *d);

/* Whether tracking (spaces removed, upper case) is this carrier's by
 * [detect]: a pattern, or a UPU S10 number with a listed country suffix. */
bool decl_detect(const struct carrier_decl *d, const char *tracking);
/* The carrier id its events carry ([carrier] carrier, else its name). */
const char *decl_carrier(const struct carrier_decl *d);

/* Reads one answer (see above).  adapter_parse() calls it for a declared
 * adapter. */
enum werr decl_parse(const struct carrier_decl *d, const struct adapter_env *env, const struct hook_request *rq,
		     struct adapter_out *out);

#endif
