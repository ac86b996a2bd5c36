/*
 * eval.c - `wismo eval-predictions` (docs/predictions.md "Measured"):
 * replays a simulated shipping history and scores wismo's delivery
 * predictions against the carriers' own estimates.
 *
 * The history: a shop ships every working day from two warehouses
 * (US-CA, US-NJ) to 14 US states and 3 countries with five services.
 * Each lane's true transit is the service's time-in-transit for the
 * distance, plus what a time-in-transit table does not know: a per-lane
 * bias (this shop's late pickups, a slow hub on the way: -0.3..+0.8 days),
 * day-to-day noise, one parcel in 25 missorted or missed (+1..3 days), a
 * week of weather per month in one region (+1..2 days) and the peak season
 * (20 November to 24 December, +0.5 day on average).  Delivery happens on
 * working days between 09:00 and 20:00.  The carrier's estimate is its
 * table: the service's standard days for the distance (padded as carriers
 * pad economy services) on its last working day, by 20:00.
 *
 * The replay: the lane model is rebuilt every Monday from the deliveries
 * made before it (as the server's refresh does); each parcel shipped in the
 * following week after the first eight is predicted with it.  Scores:
 * coverage (deliveries inside [earliest, latest]), mean absolute error of
 * "likely" and of the carrier's estimate, in hours and in days (by date).
 * Every scored parcel counts, those predicted from the carrier's estimate
 * (no lane learned yet) too.  Exit 0 when coverage >= 90 % and wismo's
 * error in hours is below the carrier's, 1 otherwise.
 */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../base/walloc.h"
#include "../core/lanes.h"
#include "../core/predict.h"
#include "cli.h"
#include "../base/banned.h"

#define HOUR_MS INT64_C(3600000)
#define DAY_MS (24 * HOUR_MS)
#define START_MS INT64_C(1767571200000) /* 2026-01-05T00:00:00Z, a Monday */
#define TRAIN_WEEKS 8

struct service {
	const char *carrier, *name;
	double per_zone, base, pad; /* days: base + per_zone * zone; the table's padding */
	bool international;
};

static const struct service services[] = {
	{ "ups", "ground", 0.55, 1.0, 0.6, false },
	{ "fedex", "ground", 0.5, 1.2, 0.5, false },
	{ "usps", "ground_advantage", 0.6, 1.5, 1.2, false },
	{ "ups", "2nd_day_air", 0.0, 2.0, 0.0, false },
	{ "dhl", "express", 0.3, 2.0, 0.3, true },
};
#define NSERVICES (sizeof(services) / sizeof(services[0]))

static const struct place {
	const char *country, *region;
	double x; /* west (0) to east (6) for the distance; abroad: 8 */
} places[] = {
	{ "US", "CA", 0 }, { "US", "WA", 0.5 }, { "US", "AZ", 1 }, { "US", "CO", 2 }, { "US", "TX", 2.5 },
	{ "US", "MN", 3 }, { "US", "IL", 3.5 }, { "US", "GA", 4.5 }, { "US", "OH", 4.5 }, { "US", "FL", 5 },
	{ "US", "PA", 5.5 }, { "US", "NY", 6 }, { "US", "MA", 6 }, { "US", "NJ", 6 },
	{ "DE", "", 8 }, { "GB", "", 8 }, { "CA", "", 8 },
};
#define NPLACES (sizeof(places) / sizeof(places[0]))
#define NORIGINS 2 /* US-CA (places[0]) and US-NJ (places[13]) */

static uint64_t rng_state;

static double uniform(void)
{
	/* splitmix64 */
	uint64_t z = (rng_state += UINT64_C(0x9e3779b97f4a7c15));
	z = (z ^ (z >> 30)) * UINT64_C(0xbf58476d1ce4e5b9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94d049bb133111eb);
	return (double)((z ^ (z >> 31)) >> 11) / 9007199254740992.0;
}

static double normal(void)
{
	double u = uniform(), v = uniform();
	return sqrt(-2.0 * log(u > 0 ? u : 1e-12)) * cos(6.283185307179586 * v);
}

struct parcel {
	struct lane_sample s;
	int64_t estimate;
};

/* The lane's hidden bias (days), the same for every parcel on it. */
static double lane_bias(size_t svc, size_t from, size_t to)
{
	uint64_t keep = rng_state;
	double b;

	rng_state = (uint64_t)(svc * 1000 + from * 100 + to) * UINT64_C(0x2545f4914f6cdd1d) + 17;
	b = -0.3 + 1.1 * uniform();
	rng_state = keep;
	return b;
}

/* A working-day instant `days` working days after t, at hour h (local = UTC
 * here), moved to the next working day when it falls on a weekend. */
static int64_t on_working_day(const struct calendar *cal, int64_t t, double days, double h)
{
	int64_t at = calendar_add(cal, t, (int64_t)(days * (double)DAY_MS));
	int64_t day = at / DAY_MS;

	while (!calendar_workday(cal, day))
		day++;
	return day * DAY_MS + (int64_t)(h * (double)HOUR_MS);
}

static void simulate_one(const struct calendar *cal, int64_t day_start, struct parcel *p)
{
	size_t svc = (size_t)(uniform() * NSERVICES), from = uniform() < 0.6 ? 0 : 13, to;
	const struct service *sv = &services[svc];
	double zone, table, actual, weather_region;
	int64_t shipped, month;

	do
		to = sv->international ? 14 + (size_t)(uniform() * 3) : (size_t)(uniform() * 13);
	while (to == from);
	zone = fabs(places[to].x - places[from].x);
	table = sv->base + sv->per_zone * zone;
	/* picked up in the afternoon; the first scan 15:00..19:00 */
	shipped = day_start + (int64_t)((15.0 + 4.0 * uniform()) * (double)HOUR_MS);
	actual = table + lane_bias(svc, from, to) + 0.35 * normal();
	if (uniform() < 0.04)
		actual += 1.0 + 2.0 * uniform();
	month = (day_start - START_MS) / (30 * DAY_MS);
	weather_region = (double)((month * 7) % 13);
	if (!sv->international && (size_t)weather_region == to && (day_start - START_MS) % (30 * DAY_MS) < 7 * DAY_MS)
		actual += 1.0 + uniform();
	{
		int64_t doy = ((day_start - START_MS) / DAY_MS) % 365;
		if (doy >= 318 && doy <= 352) /* 20 November .. 24 December */
			actual += fabs(0.5 + 0.4 * normal());
	}
	if (actual < 0.6)
		actual = 0.6;
	memset(p, 0, sizeof(*p));
	snprintf(p->s.lane.carrier, sizeof(p->s.lane.carrier), "%s", sv->carrier);
	snprintf(p->s.lane.service, sizeof(p->s.lane.service), "%s", sv->name);
	lane_region(places[from].country, places[from].region, p->s.lane.origin);
	lane_region(places[to].country, places[to].region, p->s.lane.destination);
	p->s.shipped_at = shipped;
	/* delivered on the working day the transit ends, 09:00..20:00 */
	p->s.delivered_at = on_working_day(cal, shipped, actual - 0.25, 9.0 + 11.0 * uniform());
	if (p->s.delivered_at <= shipped)
		p->s.delivered_at = shipped + 12 * HOUR_MS;
	p->s.max_gap = (int64_t)((8.0 + 20.0 * uniform()) * (double)HOUR_MS);
	p->estimate = on_working_day(cal, shipped, ceil(table + sv->pad) - 0.25, 20.0);
	p->s.first_estimate = p->estimate;
}

struct score {
	size_t n, covered, carrier_same_day, ours_same_day;
	double ours_h, carrier_h, ours_d, carrier_d;
};

static int64_t day_of(int64_t t)
{
	return t / DAY_MS;
}

static void score_one(struct score *sc, const struct prediction *pr, const struct parcel *p)
{
	int64_t actual = p->s.delivered_at;

	sc->n++;
	sc->covered += actual >= pr->earliest && actual <= pr->latest;
	sc->ours_h += fabs((double)(pr->likely - actual)) / (double)HOUR_MS;
	sc->carrier_h += fabs((double)(p->estimate - actual)) / (double)HOUR_MS;
	sc->ours_d += (double)llabs(day_of(pr->likely) - day_of(actual));
	sc->carrier_d += (double)llabs(day_of(p->estimate) - day_of(actual));
	sc->ours_same_day += day_of(pr->likely) == day_of(actual);
	sc->carrier_same_day += day_of(p->estimate) == day_of(actual);
}

int cmd_eval_predictions(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "seed", required_argument, NULL, 's' },
		{ "weeks", required_argument, NULL, 'w' },
		{ "per-day", required_argument, NULL, 'p' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	long seed = 1, weeks = 26, per_day = 60;
	struct calendar cal;
	struct parcel *all;
	struct lane_sample *train;
	struct score sc = { 0 };
	size_t from_carrier = 0;
	size_t n = 0, cap;
	int c;

	optind = 2;
	while ((c = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		char *end;
		long *dst = c == 's' ? &seed : c == 'w' ? &weeks : c == 'p' ? &per_day : NULL;
		if (c == 'h') {
			cli_help("eval-predictions");
			return 0;
		}
		if (!dst || (*dst = strtol(optarg, &end, 10), *end) || *dst < 0) {
			cli_usage("eval-predictions");
			return 2;
		}
	}
	if (optind != argc || weeks <= TRAIN_WEEKS || weeks > 520 || per_day < 1 || per_day > 10000) {
		cli_usage("eval-predictions");
		return 2;
	}
	calendar_init(&cal);
	rng_state = (uint64_t)seed;
	cap = (size_t)(weeks * 5 * per_day);
	all = wmalloc(cap * sizeof(*all));
	train = wmalloc(cap * sizeof(*train));
	for (long d = 0; d < weeks * 7; d++) {
		int64_t day = START_MS + d * DAY_MS;
		if (!calendar_workday(&cal, day / DAY_MS))
			continue;
		for (long i = 0; i < per_day; i++)
			simulate_one(&cal, day, &all[n++]);
	}
	for (long w = TRAIN_WEEKS; w < weeks; w++) {
		int64_t monday = START_MS + w * 7 * DAY_MS, next = monday + 7 * DAY_MS;
		struct lanes_model *m;
		size_t nt = 0;
		for (size_t i = 0; i < n; i++)
			if (all[i].s.delivered_at < monday)
				train[nt++] = all[i].s;
		lanes_model_build(train, nt, &cal, &m);
		for (size_t i = 0; i < n; i++) {
			struct lane_stat st;
			struct prediction pr;
			if (all[i].s.shipped_at < monday || all[i].s.shipped_at >= next)
				continue;
			lanes_lookup(m, &all[i].s.lane, &st);
			if (!predict_delivery(&st, &cal, all[i].s.shipped_at, all[i].estimate, &pr))
				continue;
			from_carrier += pr.level < 0;
			score_one(&sc, &pr, &all[i]);
		}
		lanes_model_free(m);
	}
	free(train);
	free(all);
	if (!sc.n) {
		printf("no parcel was predicted\n");
		return 1;
	}
	printf("simulated %zu parcels over %ld weeks (seed %ld); scored the %zu shipped after week %d\n", n, weeks,
	       seed, sc.n, TRAIN_WEEKS);
	printf("predicted from a lane: %zu; from the carrier's estimate (no lane learned yet): %zu\n",
	       sc.n - from_carrier, from_carrier);
	printf("coverage: %.1f %% delivered within [earliest, latest] (target >= 90 %%)\n",
	       100.0 * (double)sc.covered / (double)sc.n);
	printf("mean absolute error, hours: wismo %.1f, carrier %.1f (ratio %.2f)\n", sc.ours_h / (double)sc.n,
	       sc.carrier_h / (double)sc.n, sc.ours_h / sc.carrier_h);
	printf("mean absolute error, days:  wismo %.2f, carrier %.2f\n", sc.ours_d / (double)sc.n,
	       sc.carrier_d / (double)sc.n);
	printf("right day: wismo %.1f %%, carrier %.1f %%\n", 100.0 * (double)sc.ours_same_day / (double)sc.n,
	       100.0 * (double)sc.carrier_same_day / (double)sc.n);
	if ((double)sc.covered < 0.9 * (double)sc.n || sc.ours_h >= sc.carrier_h) {
		printf("targets NOT met\n");
		return 1;
	}
	printf("targets met\n");
	return 0;
}
