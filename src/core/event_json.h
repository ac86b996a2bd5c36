/*
 * event_json.h - an event <-> its JSON object (the API's input shape and the
 * stored form of an event).
 *
 * event_from_json() validates one object of POST /v1/events against the
 * contract in docs/api.md and fills an event, or says precisely what is wrong
 * in an ev_error (a stable code and a message naming the field).  It never
 * keeps a pointer into the cJSON tree.  It does not compute the key (the
 * caller hashes event_key_material(), see event.h) and does not set seq or
 * received_at.
 *
 * event_to_json() writes every field that is set, in a fixed order; reading
 * it back gives an equal event (key, seq and received_at included when
 * with_meta is true).
 */
#ifndef WISMO_EVENT_JSON_H
#define WISMO_EVENT_JSON_H

#include <cjson/cJSON.h>
#include <stdbool.h>

#include "../base/buf.h"
#include "event.h"

struct ev_error {
	const char *code;  /* stable: "missing_field", "invalid_field", "unknown_status",
	                      "too_long", "package_required", "invalid_time",
	                      "time_without_offset", "too_many_items" */
	char message[192];
};

/* Returns WERR_OK or WERR_INVALID (with err filled).  ev must
 * be initialised; on failure it is released. With with_meta (the stored form),
 * "order" may be absent and a package status may name a "ref" instead of a
 * "package" (a parked event, store/writer.h), and "key", "seq" and
 * "received_at" are read too (stored form). */
enum werr event_from_json(const cJSON *obj, bool with_meta, struct event *ev, struct ev_error *err);

/* An upper bound of event_to_json's output, items included. */
#define EVENT_JSON_MAX ((size_t)160 * 1024)

enum werr event_to_json(const struct event *ev, bool with_meta, struct buf *out);

#endif
