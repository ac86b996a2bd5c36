/* lookup_cache.c - a bounded, striped cache of order lookups (contract in lookup_cache.h). */
#include "lookup_cache.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "../base/banned.h"

#define DEFAULT_STRIPES 64
#define MIN_BUCKETS 16

struct entry {
	struct entry *hnext;       /* the bucket's chain */
	struct entry *prev, *next; /* the stripe's recency list, most recent first */
	uint64_t hash;
	size_t size;               /* what it counts against the bound */
	char *json;                /* in the same allocation, after the key */
	char key[];
};

struct stripe {
	pthread_mutex_t mu;
	struct entry **buckets;
	size_t nbuckets, n, bytes;
	struct entry *head, *tail;
	uint64_t epoch; /* bumped by every invalidation in this stripe */
	uint64_t hits, misses, invalidations, evictions, refused;
};

struct lookup_cache {
	size_t cap, stripe_cap;
	unsigned nstripes;
	atomic_uint_fast64_t gen; /* bumped by flushes and listener edges */
	atomic_int listeners;     /* up minus down */
	atomic_uint_fast64_t flushes;
	struct stripe *stripes;
};

static uint64_t hash_key(const char *key)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */

	for (; *key; key++)
		h = (h ^ (unsigned char)*key) * 1099511628211ULL;
	return h ^ (h >> 29);
}

struct lookup_cache *lookup_cache_new(size_t cap, unsigned stripes)
{
	struct lookup_cache *c;

	if (!stripes)
		stripes = DEFAULT_STRIPES;
	if (stripes & (stripes - 1))
		return NULL;
	if (!(c = calloc(1, sizeof(*c))) || !(c->stripes = calloc(stripes, sizeof(*c->stripes)))) {
		free(c);
		return NULL;
	}
	c->cap = cap;
	c->nstripes = stripes;
	c->stripe_cap = cap / stripes;
	atomic_init(&c->gen, 1);
	atomic_init(&c->listeners, 0);
	atomic_init(&c->flushes, 0);
	for (unsigned i = 0; i < stripes; i++)
		pthread_mutex_init(&c->stripes[i].mu, NULL);
	return c;
}

static void stripe_clear(struct stripe *s)
{
	struct entry *e, *next;

	for (e = s->head; e; e = next) {
		next = e->next;
		free(e);
	}
	if (s->buckets)
		memset(s->buckets, 0, s->nbuckets * sizeof(*s->buckets));
	s->head = s->tail = NULL;
	s->n = s->bytes = 0;
}

void lookup_cache_free(struct lookup_cache *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->nstripes; i++) {
		stripe_clear(&c->stripes[i]);
		free(c->stripes[i].buckets);
		pthread_mutex_destroy(&c->stripes[i].mu);
	}
	free(c->stripes);
	free(c);
}

static bool usable(struct lookup_cache *c)
{
	return c->stripe_cap > 0 && atomic_load(&c->listeners) > 0;
}

static struct stripe *stripe_of(struct lookup_cache *c, uint64_t h, unsigned *idx)
{
	*idx = (unsigned)(h & (c->nstripes - 1));
	return &c->stripes[*idx];
}

static struct entry **slot(struct stripe *s, uint64_t h, const char *key)
{
	struct entry **p;

	if (!s->nbuckets)
		return NULL;
	for (p = &s->buckets[(h >> 16) & (s->nbuckets - 1)]; *p; p = &(*p)->hnext)
		if ((*p)->hash == h && !strcmp((*p)->key, key))
			return p;
	return p;
}

static void list_unlink(struct stripe *s, struct entry *e)
{
	if (e->prev)
		e->prev->next = e->next;
	else
		s->head = e->next;
	if (e->next)
		e->next->prev = e->prev;
	else
		s->tail = e->prev;
	e->prev = e->next = NULL;
}

static void list_push(struct stripe *s, struct entry *e)
{
	e->prev = NULL;
	e->next = s->head;
	if (s->head)
		s->head->prev = e;
	s->head = e;
	if (!s->tail)
		s->tail = e;
}

/* Unlinks and frees the entry *p points to. */
static void drop(struct stripe *s, struct entry **p)
{
	struct entry *e = *p;

	*p = e->hnext;
	list_unlink(s, e);
	s->n--;
	s->bytes -= e->size;
	free(e);
}

static bool grow(struct stripe *s)
{
	size_t n = s->nbuckets ? s->nbuckets * 2 : MIN_BUCKETS;
	struct entry **b = calloc(n, sizeof(*b));

	if (!b)
		return false;
	for (size_t i = 0; i < s->nbuckets; i++) {
		struct entry *e, *next;

		for (e = s->buckets[i]; e; e = next) {
			next = e->hnext;
			e->hnext = b[(e->hash >> 16) & (n - 1)];
			b[(e->hash >> 16) & (n - 1)] = e;
		}
	}
	free(s->buckets);
	s->buckets = b;
	s->nbuckets = n;
	return true;
}

bool lookup_cache_get(struct lookup_cache *c, const char *key, char **json, struct lookup_ticket *t)
{
	uint64_t h = hash_key(key);
	struct stripe *s;
	struct entry **p;
	bool hit = false;

	*json = NULL;
	memset(t, 0, sizeof(*t));
	if (!usable(c))
		return false;
	s = stripe_of(c, h, &t->stripe);
	pthread_mutex_lock(&s->mu);
	/* the generation first: a listener edge after this refuses the ticket */
	t->gen = atomic_load(&c->gen);
	t->epoch = s->epoch;
	if ((p = slot(s, h, key)) && *p) {
		size_t len = strlen((*p)->json) + 1;

		if ((*json = malloc(len))) {
			memcpy(*json, (*p)->json, len);
			list_unlink(s, *p);
			list_push(s, *p);
			s->hits++;
			hit = true;
		}
	}
	if (!hit) {
		s->misses++;
		t->valid = true;
	}
	pthread_mutex_unlock(&s->mu);
	return hit;
}

void lookup_cache_put(struct lookup_cache *c, const char *key, const char *json, const struct lookup_ticket *t)
{
	size_t klen = strlen(key), jlen = strlen(json), size = sizeof(struct entry) + klen + jlen + 2;
	struct stripe *s;
	struct entry **p, *e;

	if (!t->valid || t->stripe >= c->nstripes || size > c->stripe_cap)
		return;
	s = &c->stripes[t->stripe];
	pthread_mutex_lock(&s->mu);
	/* under the stripe's lock: a flush or a listener edge bumps the
	 * generation before it empties the stripes, so an entry put before
	 * the flush reaches this stripe is dropped by it, and one put after
	 * sees the new generation */
	if (s->epoch != t->epoch || atomic_load(&c->gen) != t->gen || !usable(c)) {
		s->refused++;
		goto out;
	}
	if (s->n >= s->nbuckets && !grow(s) && !s->nbuckets)
		goto out;
	if (!(e = malloc(size)))
		goto out;
	e->hash = hash_key(key);
	e->size = size;
	e->hnext = e->prev = e->next = NULL;
	memcpy(e->key, key, klen + 1);
	e->json = e->key + klen + 1;
	memcpy(e->json, json, jlen + 1);
	if ((p = slot(s, e->hash, key)) && *p)
		drop(s, p); /* a concurrent miss of the same key filled it: same snapshot age */
	while (s->bytes + size > c->stripe_cap && s->tail) {
		struct entry *old = s->tail;

		drop(s, slot(s, old->hash, old->key));
		s->evictions++;
	}
	p = &s->buckets[(e->hash >> 16) & (s->nbuckets - 1)];
	e->hnext = *p;
	*p = e;
	list_push(s, e);
	s->n++;
	s->bytes += size;
out:
	pthread_mutex_unlock(&s->mu);
}

void lookup_cache_invalidate(struct lookup_cache *c, const char *key)
{
	uint64_t h = hash_key(key);
	unsigned idx;
	struct stripe *s = stripe_of(c, h, &idx);
	struct entry **p;

	pthread_mutex_lock(&s->mu);
	s->epoch++;
	s->invalidations++;
	if ((p = slot(s, h, key)) && *p)
		drop(s, p);
	pthread_mutex_unlock(&s->mu);
}

static void flush(struct lookup_cache *c)
{
	atomic_fetch_add(&c->gen, 1);
	for (unsigned i = 0; i < c->nstripes; i++) {
		pthread_mutex_lock(&c->stripes[i].mu);
		stripe_clear(&c->stripes[i]);
		pthread_mutex_unlock(&c->stripes[i].mu);
	}
}

void lookup_cache_flush(struct lookup_cache *c)
{
	atomic_fetch_add(&c->flushes, 1);
	flush(c);
}

void lookup_cache_listening(struct lookup_cache *c, bool up)
{
	if (up) {
		atomic_fetch_add(&c->listeners, 1);
		atomic_fetch_add(&c->gen, 1);
		return;
	}
	atomic_fetch_sub(&c->listeners, 1);
	atomic_fetch_add(&c->flushes, 1);
	flush(c);
}

void lookup_cache_stats(struct lookup_cache *c, struct lookup_cache_stats *out)
{
	memset(out, 0, sizeof(*out));
	out->cap = c->cap;
	out->usable = usable(c);
	out->flushes = atomic_load(&c->flushes);
	for (unsigned i = 0; i < c->nstripes; i++) {
		struct stripe *s = &c->stripes[i];

		pthread_mutex_lock(&s->mu);
		out->hits += s->hits;
		out->misses += s->misses;
		out->invalidations += s->invalidations;
		out->evictions += s->evictions;
		out->refused += s->refused;
		out->entries += s->n;
		out->bytes += s->bytes;
		pthread_mutex_unlock(&s->mu);
	}
}
