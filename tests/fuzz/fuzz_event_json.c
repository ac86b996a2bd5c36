/*
 * fuzz_event_json.c - the event JSON reader (core/event_json) as
 * POST /v1/events uses it: a body parsed by cJSON, each object of its
 * "events" array (or the body itself when it is an object without one) read
 * with event_from_json.  Property: an event that reads is written by
 * event_to_json as JSON that reads back to the same JSON (the log's body
 * column is this text, and a rebuild reads it back).
 */
#include "fuzz.h"

#include <cjson/cJSON.h>

#include "base/buf.h"
#include "base/walloc.h"
#include "core/event_json.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	walloc_init();
	return 0;
}

static void one(const cJSON *obj, bool with_meta)
{
	struct event ev, again;
	struct ev_error e;
	struct buf a, b;

	event_init(&ev);
	event_init(&again);
	if (event_from_json(obj, with_meta, &ev, &e) != WERR_OK) {
		FUZZ_CHECK(e.code != NULL);
		return;
	}
	buf_init(&a, 0);
	buf_init(&b, 0);
	FUZZ_CHECK(event_to_json(&ev, true, &a) == WERR_OK);
	cJSON *back = cJSON_ParseWithLength(a.p, a.len);
	FUZZ_CHECK(back != NULL);
	FUZZ_CHECK(event_from_json(back, true, &again, &e) == WERR_OK);
	FUZZ_CHECK(event_to_json(&again, true, &b) == WERR_OK);
	FUZZ_CHECK(a.len == b.len && !memcmp(a.p, b.p, a.len));
	cJSON_Delete(back);
	event_release(&ev);
	event_release(&again);
	buf_release(&a);
	buf_release(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cJSON *root = cJSON_ParseWithLength((const char *)data, size);
	const cJSON *events, *it;

	if (!root)
		return 0;
	events = cJSON_GetObjectItemCaseSensitive(root, "events");
	if (cJSON_IsArray(events)) {
		cJSON_ArrayForEach(it, events)
			if (cJSON_IsObject(it)) {
				one(it, false);
				one(it, true);
			}
	} else if (cJSON_IsObject(root)) {
		one(root, false);
		one(root, true);
	}
	cJSON_Delete(root);
	return 0;
}
