/*
 * sweep.c - what the exception sweep costs with many open orders
 * (docs/exceptions.md, docs/performance.md "Exception sweep").
 *
 *   sweep --store sqlite:PATH --orders N --open M [--due D]
 *
 * The store holds N orders preloaded by bench/loader (o1 .. oN).  This
 * gives M orders a next check (exception_checks): o1 .. oN, then order
 * numbers with no events, open(N+1) .. openM, which only fill the index;
 * all are days ahead except o1 .. oD, which are due.  It then runs the
 * sweep's pass (exceptions/engine.h exc_sweep_once) through
 * a writer with the engine's hook, as the server does:
 *
 *   due pass   refolds the D due orders: due_ms, due_orders_per_s
 *   idle pass  nothing due (the common case), repeated: idle_us (median)
 *
 * and prints key=value pairs for run.sh.  The idle pass should not grow
 * with M: it reads the due end of an index, never every order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/clock.h"
#include "core/exceptions.h"
#include "core/policy.h"
#include "exceptions/engine.h"
#include "store/store.h"
#include "store/writer.h"

#define IDLE_RUNS 200
#define DAY_MS INT64_C(86400000)

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
	const char *url = NULL;
	unsigned long long norders = 0, open = 0, due = 1000;
	struct store *st = NULL, *rd = NULL;
	struct writer *w = NULL;
	struct policy pol;
	struct exc_config cfg;
	struct exc_engine engine;
	char errbuf[256];
	int64_t now = clock_wall_ms(), t0, idle[IDLE_RUNS];
	size_t n = 0;
	enum werr err;

	for (int i = 1; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--store"))
			url = argv[i + 1];
		else if (!strcmp(argv[i], "--orders"))
			norders = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--open"))
			open = strtoull(argv[i + 1], NULL, 10);
		else if (!strcmp(argv[i], "--due"))
			due = strtoull(argv[i + 1], NULL, 10);
	}
	if (!url || !norders || open < norders || due > norders) {
		fprintf(stderr, "usage: sweep --store URL --orders N --open M (M >= N) [--due D (<= N)]\n");
		return 2;
	}
	policy_init_defaults(&pol);
	exc_config_defaults(&cfg);
	engine = (struct exc_engine){ &cfg, &pol, NULL };
	if ((err = store_open(url, 0, &st, errbuf, sizeof(errbuf)))) {
		fprintf(stderr, "sweep: %s\n", errbuf);
		return 1;
	}
	/* the checks: D due real orders, every other one days ahead */
	if ((err = store_begin(st)))
		goto fail;
	for (unsigned long long i = 1; i <= open && !err; i++) {
		char order[EV_ORDER_MAX + 1];
		snprintf(order, sizeof(order), i <= norders ? "o%llu" : "open%llu", i);
		err = store_exc_put(st, order, NULL, 0, i <= due ? now - 1000 : now + DAY_MS + (int64_t)i);
	}
	if (err || (err = store_commit(st)))
		goto fail;
	if ((err = writer_new(url, &pol, 100000, &w, errbuf, sizeof(errbuf))) ||
	    (err = writer_add_project_hook(w, exc_engine_project, &engine)) ||
	    (err = store_open(url, STORE_NO_MIGRATE | STORE_READONLY, &rd, errbuf, sizeof(errbuf)))) {
		fprintf(stderr, "sweep: %s\n", errbuf[0] ? errbuf : werr_name(err));
		goto out;
	}
	t0 = clock_mono_us();
	if ((err = exc_sweep_once(rd, w, now, &n)))
		goto fail;
	t0 = clock_mono_us() - t0;
	printf("open=%llu due_orders=%zu due_ms=%.1f due_orders_per_s=%.0f", open, n, (double)t0 / 1000.0,
	       t0 > 0 ? (double)n * 1e6 / (double)t0 : 0.0);
	for (int i = 0; i < IDLE_RUNS; i++) {
		int64_t t = clock_mono_us();
		if ((err = exc_sweep_once(rd, w, now, &n)))
			goto fail;
		idle[i] = clock_mono_us() - t;
		if (n) {
			fprintf(stderr, "sweep: %zu orders still due after the due pass\n", n);
			err = WERR_INTERNAL;
			goto out;
		}
	}
	qsort(idle, IDLE_RUNS, sizeof(idle[0]), cmp_i64);
	printf(" idle_us=%lld idle_p99_us=%lld\n", (long long)idle[IDLE_RUNS / 2],
	       (long long)idle[IDLE_RUNS * 99 / 100]);
	goto out;
fail:
	fprintf(stderr, "sweep: %s (%s)\n", werr_name(err), store_errmsg(rd ? rd : st));
out:
	if (w) {
		writer_stop(w);
		writer_free(w);
	}
	store_close(rd);
	store_close(st);
	return err ? 1 : 0;
}
