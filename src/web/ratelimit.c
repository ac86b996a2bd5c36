/*
 * ratelimit.c - token buckets per client (contract in ratelimit.h).
 *
 * Tokens are kept in thousandths so the refill needs no floating point:
 * per_minute tokens a minute is per_minute thousandths a 60 ms.
 */
#include "ratelimit.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "../base/banned.h"

#define CLIENT_MAX 64 /* an IPv6 address in text is at most 45 bytes */
#define PROBES 8

struct bucket {
	char client[CLIENT_MAX];
	int64_t milli;      /* tokens * 1000 at `at` */
	int64_t at;         /* last refill, ms */
	int64_t seen;       /* last use, ms */
	bool used;
};

struct ratelimit {
	pthread_mutex_t mu;
	size_t slots;
	int64_t per_minute;
	int64_t cap_milli;
	struct bucket *b;
};

struct ratelimit *ratelimit_new(size_t slots, unsigned per_minute, unsigned burst)
{
	struct ratelimit *rl;

	if (!slots || !per_minute || !burst || !(rl = calloc(1, sizeof(*rl))))
		return NULL;
	if (!(rl->b = calloc(slots, sizeof(*rl->b)))) {
		free(rl);
		return NULL;
	}
	pthread_mutex_init(&rl->mu, NULL);
	rl->slots = slots;
	rl->per_minute = per_minute;
	rl->cap_milli = (int64_t)burst * 1000;
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl->b);
	free(rl);
}

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static void refill(const struct ratelimit *rl, struct bucket *b, int64_t now)
{
	if (now > b->at) {
		/* per_minute * 1000 thousandths per 60000 ms */
		int64_t add = (now - b->at) * rl->per_minute / 60;
		b->milli = add >= rl->cap_milli - b->milli ? rl->cap_milli : b->milli + add;
		b->at = now;
	}
}

static struct bucket *find(struct ratelimit *rl, const char *client, int64_t now)
{
	size_t h = (size_t)(fnv1a(client) % rl->slots), victim = h;
	int64_t oldest = INT64_MAX;
	struct bucket *b;

	/* Slots are never emptied, only reused, so a client's bucket is never
	 * behind an unused slot on its probe path. */
	for (size_t i = 0; i < PROBES && i < rl->slots; i++) {
		size_t at = (h + i) % rl->slots;
		int64_t prio;
		b = &rl->b[at];
		if (!b->used) {
			victim = at;
			break;
		}
		if (!strcmp(b->client, client))
			return b;
		/* a bucket back to full holds nothing worth keeping: reuse it first */
		refill(rl, b, now);
		prio = b->milli >= rl->cap_milli ? INT64_MIN : b->seen;
		if (prio < oldest) {
			oldest = prio;
			victim = at;
		}
	}
	b = &rl->b[victim];
	memset(b, 0, sizeof(*b));
	b->used = true;
	memcpy(b->client, client, strnlen(client, CLIENT_MAX - 1));
	b->milli = rl->cap_milli;
	b->at = now;
	return b;
}

bool ratelimit_take(struct ratelimit *rl, const char *client, int64_t now_ms, unsigned *retry_after_s)
{
	char key[CLIENT_MAX];
	struct bucket *b;
	bool ok;

	memset(key, 0, sizeof(key));
	memcpy(key, client, strnlen(client, CLIENT_MAX - 1));
	pthread_mutex_lock(&rl->mu);
	b = find(rl, key, now_ms);
	refill(rl, b, now_ms);
	b->seen = now_ms;
	ok = b->milli >= 1000;
	if (ok) {
		b->milli -= 1000;
	} else if (retry_after_s) {
		/* ms until 1000 thousandths are back, rounded up to seconds */
		int64_t ms = ((1000 - b->milli) * 60 + rl->per_minute - 1) / rl->per_minute;
		*retry_after_s = (unsigned)((ms + 999) / 1000);
		if (!*retry_after_s)
			*retry_after_s = 1;
	}
	pthread_mutex_unlock(&rl->mu);
	return ok;
}
