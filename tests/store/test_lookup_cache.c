/*
 * test_lookup_cache.c - the lookup cache (src/store/lookup_cache.h): hits
 * and misses, the bound and its eviction order, the ticket rule that keeps
 * a read that began before an invalidation from inserting, the listener's
 * edges, and the same rule under threads.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "../../src/store/lookup_cache.h"

/* A cache with a listener up: usable. */
static struct lookup_cache *usable_cache(size_t cap, unsigned stripes)
{
	struct lookup_cache *c = lookup_cache_new(cap, stripes);

	assert_non_null(c);
	lookup_cache_listening(c, true);
	return c;
}

/* Misses, then inserts with the miss's ticket (which may refuse). */
static void fill(struct lookup_cache *c, const char *key, const char *json)
{
	struct lookup_ticket t;
	char *got;

	assert_false(lookup_cache_get(c, key, &got, &t));
	assert_null(got);
	lookup_cache_put(c, key, json, &t);
}

static bool has(struct lookup_cache *c, const char *key, const char *json)
{
	struct lookup_ticket t;
	char *got = NULL;
	bool hit = lookup_cache_get(c, key, &got, &t);

	if (hit)
		assert_string_equal(got, json);
	free(got);
	return hit;
}

static void test_hit_after_miss(void **state)
{
	struct lookup_cache *c = usable_cache(1 << 20, 0);
	struct lookup_cache_stats s;

	(void)state;
	fill(c, "1001", "{\"order\":\"1001\"}");
	assert_true(has(c, "1001", "{\"order\":\"1001\"}"));
	assert_false(has(c, "1002", ""));
	lookup_cache_stats(c, &s);
	assert_int_equal(s.hits, 1);
	assert_int_equal(s.misses, 2);
	assert_int_equal(s.entries, 1);
	assert_true(s.bytes > strlen("1001") + strlen("{\"order\":\"1001\"}"));
	assert_true(s.usable);
	lookup_cache_free(c);
}

/* Without a listener nothing is served and nothing kept; size 0 keeps nothing. */
static void test_off_without_listener(void **state)
{
	struct lookup_cache *c = lookup_cache_new(1 << 20, 0), *z;
	struct lookup_cache_stats s;
	struct lookup_ticket t;
	char *got;

	(void)state;
	assert_false(lookup_cache_get(c, "1001", &got, &t));
	assert_false(t.valid);
	lookup_cache_put(c, "1001", "{}", &t);
	lookup_cache_listening(c, true);
	assert_false(has(c, "1001", "{}"));
	lookup_cache_stats(c, &s);
	assert_int_equal(s.entries, 0);
	assert_int_equal(s.misses, 1); /* only while usable */
	lookup_cache_free(c);

	z = usable_cache(0, 0);
	fill(z, "1001", "{}");
	assert_false(has(z, "1001", "{}"));
	lookup_cache_stats(z, &s);
	assert_false(s.usable);
	lookup_cache_free(z);
}

/* One stripe of room for three entries: the least recently used goes, and
 * the bytes never pass the bound. */
static void test_bound_evicts_least_recent(void **state)
{
	struct lookup_cache *c;
	struct lookup_cache_stats s;
	char json[200];
	size_t one;

	(void)state;
	memset(json, 'x', sizeof(json) - 1);
	json[sizeof(json) - 1] = '\0';
	c = usable_cache(1 << 20, 1);
	fill(c, "A", json);
	lookup_cache_stats(c, &s);
	one = s.bytes;
	lookup_cache_free(c);

	c = usable_cache(3 * one + one / 2, 1);
	fill(c, "A", json);
	fill(c, "B", json);
	fill(c, "C", json);
	assert_true(has(c, "A", json)); /* A is now the most recent: B goes first */
	fill(c, "D", json);
	assert_false(has(c, "B", json));
	assert_true(has(c, "A", json));
	assert_true(has(c, "C", json));
	assert_true(has(c, "D", json));
	lookup_cache_stats(c, &s);
	assert_int_equal(s.entries, 3);
	assert_int_equal(s.evictions, 1);
	assert_true(s.bytes <= s.cap);
	/* an entry larger than the stripe's share is not kept */
	{
		char *big = malloc(4 * one);

		memset(big, 'y', 4 * one - 1);
		big[4 * one - 1] = '\0';
		fill(c, "E", big);
		assert_false(has(c, "E", big));
		free(big);
	}
	for (int i = 0; i < 100; i++) {
		char key[16];

		snprintf(key, sizeof(key), "K%d", i);
		fill(c, key, json);
	}
	lookup_cache_stats(c, &s);
	assert_int_equal(s.entries, 3);
	assert_true(s.bytes <= s.cap);
	lookup_cache_free(c);
}

/* The race: a reader misses (ticket), the order changes and is
 * invalidated, the reader's old row must not go in. */
static void test_ticket_refused_after_invalidation(void **state)
{
	struct lookup_cache *c = usable_cache(1 << 20, 1);
	struct lookup_cache_stats s;
	struct lookup_ticket t, t2;
	char *got;

	(void)state;
	fill(c, "1001", "old");
	lookup_cache_invalidate(c, "1001");
	assert_false(has(c, "1001", "old"));

	assert_false(lookup_cache_get(c, "1001", &got, &t)); /* before the read */
	lookup_cache_invalidate(c, "1001");                  /* a commit, then its invalidation */
	lookup_cache_put(c, "1001", "old", &t);               /* the read began before it */
	assert_false(has(c, "1001", "old"));
	/* another order of the same stripe invalidated: refused too (the
	 * epoch is the stripe's) */
	assert_false(lookup_cache_get(c, "1001", &got, &t));
	lookup_cache_invalidate(c, "2002");
	lookup_cache_put(c, "1001", "old", &t);
	assert_false(has(c, "1001", "old"));
	/* a ticket taken after the invalidation inserts */
	assert_false(lookup_cache_get(c, "1001", &got, &t2));
	lookup_cache_put(c, "1001", "new", &t2);
	assert_true(has(c, "1001", "new"));
	lookup_cache_stats(c, &s);
	assert_int_equal(s.refused, 2);
	assert_int_equal(s.invalidations, 3);
	lookup_cache_free(c);
}

/* The listener going down empties the cache and keeps it empty; coming
 * up again refuses every ticket taken before. */
static void test_listener_edges(void **state)
{
	struct lookup_cache *c = usable_cache(1 << 20, 0);
	struct lookup_cache_stats s;
	struct lookup_ticket t;
	char *got;

	(void)state;
	fill(c, "1001", "a");
	fill(c, "1002", "b");
	assert_false(lookup_cache_get(c, "1003", &got, &t));
	lookup_cache_listening(c, false);
	lookup_cache_stats(c, &s);
	assert_int_equal(s.entries, 0);
	assert_false(s.usable);
	lookup_cache_put(c, "1003", "c", &t); /* read while the announcements were lost */
	fill(c, "1004", "d");                 /* nothing taken while down */
	lookup_cache_listening(c, true);
	lookup_cache_put(c, "1003", "c", &t);
	assert_false(has(c, "1001", "a"));
	assert_false(has(c, "1003", "c"));
	assert_false(has(c, "1004", "d"));
	/* a ticket taken while up, then a down and up edge before its put */
	assert_false(lookup_cache_get(c, "1005", &got, &t));
	lookup_cache_listening(c, false);
	lookup_cache_listening(c, true);
	lookup_cache_put(c, "1005", "e", &t);
	assert_false(has(c, "1005", "e"));
	/* two listeners: one down leaves it usable (but empty) */
	lookup_cache_listening(c, true);
	fill(c, "1006", "f");
	lookup_cache_listening(c, false);
	lookup_cache_stats(c, &s);
	assert_true(s.usable);
	assert_int_equal(s.entries, 0);
	fill(c, "1006", "f");
	assert_true(has(c, "1006", "f"));
	/* a flush (a rebuild) refuses every earlier ticket */
	assert_false(lookup_cache_get(c, "1007", &got, &t));
	lookup_cache_flush(c);
	lookup_cache_put(c, "1007", "g", &t);
	assert_false(has(c, "1006", "f"));
	assert_false(has(c, "1007", "g"));
	lookup_cache_free(c);
}

/* Threads: a writer bumps an order's version (the commit) then
 * invalidates it and notes the version it invalidated for; readers take a
 * ticket, read the version (the database) and insert it.  A hit must never
 * be older than an invalidation that finished before the lookup began. */
#define KEYS 4
#define ROUNDS 200000

static atomic_int versions[KEYS], invalidated[KEYS];
static atomic_int stale, done;
static struct lookup_cache *shared;

static void *writer_main(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	for (int i = 0; i < ROUNDS / 10; i++) {
		int k = (int)(rand_r(&seed) % KEYS), v;
		char key[8];

		snprintf(key, sizeof(key), "o%d", k);
		v = atomic_fetch_add(&versions[k], 1) + 1;
		lookup_cache_invalidate(shared, key);
		atomic_store(&invalidated[k], v);
		sched_yield();
	}
	atomic_store(&done, 1);
	return NULL;
}

static void *reader_main(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	for (int i = 0; i < ROUNDS && !atomic_load(&done); i++) {
		int k = (int)(rand_r(&seed) % KEYS), floor = atomic_load(&invalidated[k]);
		char key[8], json[16], *got;
		struct lookup_ticket t;

		snprintf(key, sizeof(key), "o%d", k);
		if (lookup_cache_get(shared, key, &got, &t)) {
			if (strtol(got, NULL, 10) < floor)
				atomic_fetch_add(&stale, 1);
			free(got);
			continue;
		}
		snprintf(json, sizeof(json), "%d", atomic_load(&versions[k]));
		sched_yield(); /* the read's round trip: a commit may come in between */
		lookup_cache_put(shared, key, json, &t);
	}
	return NULL;
}

static void test_threads_never_serve_an_invalidated_version(void **state)
{
	pthread_t th[4];

	(void)state;
	shared = usable_cache(1 << 20, 2);
	for (uintptr_t i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&th[i], NULL, i == 0 ? writer_main : reader_main, (void *)(i + 1)), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	assert_int_equal(atomic_load(&stale), 0);
	lookup_cache_free(shared);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_after_miss),
		cmocka_unit_test(test_off_without_listener),
		cmocka_unit_test(test_bound_evicts_least_recent),
		cmocka_unit_test(test_ticket_refused_after_invalidation),
		cmocka_unit_test(test_listener_edges),
		cmocka_unit_test(test_threads_never_serve_an_invalidated_version),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
