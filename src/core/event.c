/* event.c - lifecycle and key material of normalized events; see event.h. */
#include "event.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/walloc.h"
#include "../base/banned.h"

void event_init(struct event *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->action_required = -1;
	ev->status = EV_UNKNOWN;
}

void event_release(struct event *ev)
{
	free(ev->items);
	event_init(ev);
}

enum werr event_copy(struct event *dst, const struct event *src)
{
	*dst = *src;
	dst->items = NULL;
	if (src->nitems) {
		dst->items = wmalloc(src->nitems * sizeof(*src->items));
		memcpy(dst->items, src->items, src->nitems * sizeof(*src->items));
	}
	return WERR_OK;
}

enum werr event_set_str(char *field, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		return WERR_TOO_LARGE;
	memcpy(field, src, n + 1);
	return WERR_OK;
}

static size_t put_part(char *out, size_t cap, size_t at, const char *s)
{
	size_t n = strlen(s) + 1; /* the NUL separates the parts */
	if (at < cap) {
		size_t room = cap - at;
		memcpy(out + at, s, n < room ? n : room);
	}
	return at + n;
}

size_t event_key_material(const struct event *ev, char *out, size_t cap)
{
	size_t at = 0;
	char num[32];

	at = put_part(out, cap, at, ev->source);
	/* a correction is its own fact, the same one whenever it is made */
	if (ev->supersedes[0])
		at = put_part(out, cap, at, ev->supersedes);
	if (ev->id[0])
		return put_part(out, cap, at, ev->id);
	at = put_part(out, cap, at, ev->order);
	at = put_part(out, cap, at, ev->package);
	/* a milestone's own name: no built-in word is one (core/milestones.c) */
	at = put_part(out, cap, at, ev->status == EV_MILESTONE ? ev->milestone : ev_status_name(ev->status));
	snprintf(num, sizeof(num), "%" PRId64, ev->occurred_at);
	at = put_part(out, cap, at, num);
	/* two returns of one order may take the same step at the same time */
	if (ev->return_id[0])
		at = put_part(out, cap, at, ev->return_id);
	return at;
}

const char *event_key_prefix(const struct event *ev)
{
	return ev->id[0] ? "i:" : "h:";
}
