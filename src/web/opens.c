/*
 * opens.c - the orders whose tracking page was opened (opens.h).
 */
#include "opens.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/log.h"
#include "../notify/planner.h"
#include "../base/banned.h"

#define SLOTS (1u << 16)

struct web_opens {
	pthread_mutex_t mu;
	size_t used;
	uint64_t slot[SLOTS]; /* FNV-1a of the order number, 0 empty */
};

struct web_opens *web_opens_new(void)
{
	struct web_opens *o = calloc(1, sizeof(*o));

	if (o && pthread_mutex_init(&o->mu, NULL)) {
		free(o);
		return NULL;
	}
	return o;
}

void web_opens_free(struct web_opens *o)
{
	if (!o)
		return;
	pthread_mutex_destroy(&o->mu);
	free(o);
}

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ? h : 1;
}

/* Whether order was seen; remembers it otherwise. */
static bool seen(struct web_opens *o, const char *order)
{
	uint64_t h = hash(order);
	size_t i = (size_t)(h & (SLOTS - 1));
	bool found = false;

	pthread_mutex_lock(&o->mu);
	if (o->used >= SLOTS / 4 * 3) {
		memset(o->slot, 0, sizeof(o->slot));
		o->used = 0;
	}
	while (o->slot[i] && !(found = o->slot[i] == h))
		i = (i + 1) & (SLOTS - 1);
	if (!found) {
		o->slot[i] = h;
		o->used++;
	}
	pthread_mutex_unlock(&o->mu);
	return found;
}

void web_opens_note(struct web_opens *o, struct app *a, const char *order, int64_t now)
{
	struct store *st;
	enum werr err;

	if (!o || !a->planner || seen(o, order))
		return;
	if (!(st = notify_side_lock(a->planner)))
		return;
	if ((err = store_open_put(st, order, now)))
		wlog(LOG_WARN, "page_open_unrecorded", "detail", store_errmsg(st), NULL);
	notify_side_unlock(a->planner);
}
